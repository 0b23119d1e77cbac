"""Histograms of several sets of draws, overlaid: one colour per source."""

from __future__ import annotations

import altair as alt
import pandas as pd

__all__ = ["plot_binned_density"]


def plot_binned_density(
    bins: pd.DataFrame,
    *,
    label: str = "source",
    x_title: str = "value",
    title: str | None = None,
    width: int = 460,
    height: int = 220,
) -> alt.Chart:
    """Draw histogram tables made by :func:`hbm_widgets.binned_density`.

    Parameters
    ----------
    bins : DataFrame
        Columns ``bin_start``, ``bin_end``, ``density`` and the ``label`` column naming the
        source of each histogram (e.g. "vague prior", "observed").
    label : str
        The column that tells the histograms apart.
    x_title : str
    title : str, optional
    width, height : int
        Chart size in pixels.

    Examples
    --------
    >>> import pandas as pd
    >>> from hbm_widgets import binned_density
    >>> frame = pd.DataFrame({"source": ["a", "a", "b"], "x": [0.1, 0.4, 0.3]})
    >>> table = binned_density(frame, value="x", by="source", bins=2, value_range=(0, 0.5))
    >>> plot_binned_density(table).to_dict()["mark"]["type"]
    'bar'
    """
    order = list(dict.fromkeys(bins[label]))
    chart = (
        alt.Chart(bins)
        .mark_bar(opacity=0.45, binSpacing=0, stroke=None)
        .encode(
            x=alt.X("bin_start:Q", bin="binned", title=x_title),
            x2="bin_end:Q",
            y=alt.Y("density:Q", title="density", stack=None),
            color=alt.Color(f"{label}:N", title=None, sort=order, legend=alt.Legend(labelLimit=0)),
            tooltip=[f"{label}:N", "bin_start:Q", "bin_end:Q", alt.Tooltip("share:Q", format=".3f")]
            if "share" in bins.columns
            else [f"{label}:N", "bin_start:Q", "bin_end:Q"],
        )
        .properties(width=width, height=height)
    )
    if title:
        chart = chart.properties(title=title)
    return chart
