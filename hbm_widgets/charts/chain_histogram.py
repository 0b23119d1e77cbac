"""A histogram of draws against the density they should follow."""

from __future__ import annotations

import altair as alt
import pandas as pd

__all__ = ["plot_chain_histogram"]


def plot_chain_histogram(
    histogram: pd.DataFrame,
    *,
    density: pd.DataFrame | None = None,
    title: str | None = None,
    x_title: str = "value",
    width: int = 520,
    height: int = 220,
) -> alt.LayerChart:
    """Draw a density histogram (bars) and, optionally, a density curve on the same axes.

    Parameters
    ----------
    histogram : DataFrame
        Columns ``bin_start``, ``bin_end`` and ``density``
        (see :func:`hbm_widgets.histogram_frame`).
    density : DataFrame, optional
        Columns ``value`` and ``density`` (see :func:`hbm_widgets.normal_density_frame`),
        drawn as a red line.
    title : str, optional
    x_title : str
        Title of the horizontal axis.
    width, height : int
        Chart size in pixels.

    Examples
    --------
    >>> from hbm_widgets import histogram_frame, normal_density_frame
    >>> chart = plot_chain_histogram(histogram_frame([0.1, 0.2, 0.4], bins=3),
    ...                              density=normal_density_frame(0.2, 0.1))
    >>> [layer["mark"]["type"] for layer in chart.to_dict()["layer"]]
    ['rect', 'line']
    """
    bars = (
        alt.Chart(histogram)
        .mark_rect(color="#9ecae1", stroke="#6baed6", strokeWidth=0.5)
        .encode(
            x=alt.X("bin_start:Q", title=x_title, scale=alt.Scale(zero=False)),
            x2="bin_end:Q",
            y=alt.Y("density:Q", title="density"),
            y2=alt.datum(0),
        )
    )
    layers = [bars]
    if density is not None:
        layers.append(
            alt.Chart(density)
            .mark_line(color="#d62728", strokeWidth=2)
            .encode(x="value:Q", y="density:Q")
        )
    chart = alt.layer(*layers).properties(width=width, height=height)
    if title:
        chart = chart.properties(title=title)
    return chart
