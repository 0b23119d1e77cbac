"""Scores the priors predict before seeing data, against the scores observed."""

from __future__ import annotations

import altair as alt
import pandas as pd

from hbm_widgets.core.errors import WorkbookInputError

__all__ = ["plot_score_prior_predictive"]


def plot_score_prior_predictive(
    histograms: pd.DataFrame,
    *,
    possible_range: tuple[float, float] | None = (0.0, 100.0),
    x_title: str = "coursework score",
    title: str | None = None,
    width: int = 520,
    height: int = 240,
) -> alt.LayerChart:
    """Draw :func:`hbm_widgets.score_histograms` as step lines, one per source.

    Parameters
    ----------
    histograms : DataFrame
        Columns ``source``, ``bin_start``, ``bin_end`` and ``density``.
    possible_range : (float, float), optional
        The scores that can occur at all, shaded grey (None for no shading).
    x_title, title : str
    width, height : int

    Examples
    --------
    >>> frame = pd.DataFrame({"source": ["observed"] * 2, "bin_start": [0.0, 50.0],
    ...                       "bin_end": [50.0, 100.0], "density": [0.004, 0.016]})
    >>> plot_score_prior_predictive(frame).to_dict()["layer"][1]["mark"]["type"]
    'line'
    """
    missing = sorted({"source", "bin_start", "bin_end", "density"} - set(histograms.columns))
    if missing:
        raise WorkbookInputError(f"histograms lack column(s) {missing}; see score_histograms()")
    data = histograms.assign(centre=(histograms["bin_start"] + histograms["bin_end"]) / 2)
    sources = list(dict.fromkeys(data["source"]))
    lines = (
        alt.Chart(data)
        .mark_line(interpolate="step", strokeWidth=2)
        .encode(
            x=alt.X("centre:Q", title=x_title),
            y=alt.Y("density:Q", title="density"),
            color=alt.Color("source:N", title=None, sort=sources),
        )
    )
    layers = []
    if possible_range is not None:
        low, high = possible_range
        band = pd.DataFrame({"low": [float(low)], "high": [float(high)]})
        layers.append(alt.Chart(band).mark_rect(color="#eeeeee").encode(x="low:Q", x2="high:Q"))
    layers.append(lines)
    chart = alt.layer(*layers).properties(width=width, height=height)
    if title:
        chart = chart.properties(title=title)
    return chart
