"""Group estimates against the group-level predictor, with the population line."""

from __future__ import annotations

import altair as alt
import pandas as pd

from hbm_widgets.core.errors import WorkbookInputError

__all__ = ["plot_group_predictor"]


def plot_group_predictor(
    estimates: pd.DataFrame,
    line: pd.DataFrame,
    *,
    group_predictor: str = "log_uranium",
    group: str = "county",
    y_title: str = "county intercept",
    title: str | None = None,
    width: int = 520,
    height: int = 300,
) -> alt.LayerChart:
    """Draw group estimates (dots with intervals) and the line ``mu + gamma * u`` (with band).

    Parameters
    ----------
    estimates : DataFrame
        From :func:`hbm_widgets.core.groups` on data with a group-level predictor:
        columns ``group``'s, ``group_predictor``'s, ``n``, ``mean``, ``low``, ``high``.
    line : DataFrame
        From :func:`hbm_widgets.group_predictor_line`: ``group_predictor``'s, ``mean``,
        ``low``, ``high``.
    group_predictor, group : str
    y_title, title : str
    width, height : int

    Examples
    --------
    >>> est = pd.DataFrame({"county": ["A"], "log_uranium": [0.1], "n": [3], "mean": [1.5],
    ...                     "low": [1.0], "high": [2.0]})
    >>> line = pd.DataFrame({"log_uranium": [-1.0, 1.0], "mean": [0.7, 2.1],
    ...                      "low": [0.5, 1.9], "high": [0.9, 2.3]})
    >>> [layer["mark"]["type"] for layer in plot_group_predictor(est, line).to_dict()["layer"]]
    ['area', 'line', 'rule', 'circle']
    """
    missing = sorted({group, group_predictor, "n", "mean", "low", "high"} - set(estimates.columns))
    if missing:
        raise WorkbookInputError(f"estimates lack column(s) {missing}; see group_estimates()")
    missing = sorted({group_predictor, "mean", "low", "high"} - set(line.columns))
    if missing:
        raise WorkbookInputError(f"line lacks column(s) {missing}; see group_predictor_line()")
    x = alt.X(f"{group_predictor}:Q", title=group_predictor)
    band = (
        alt.Chart(line).mark_area(opacity=0.2, color="#d62728").encode(x=x, y="low:Q", y2="high:Q")
    )
    centre = alt.Chart(line).mark_line(color="#d62728", strokeWidth=2).encode(x=x, y="mean:Q")
    points = alt.Chart(estimates)
    whiskers = points.mark_rule(opacity=0.35, color="#1f77b4").encode(x=x, y="low:Q", y2="high:Q")
    dots = points.mark_circle(size=30, color="#1f77b4").encode(
        x=x,
        y=alt.Y("mean:Q", title=y_title, scale=alt.Scale(zero=False)),
        size=alt.Size("n:Q", title="observations", scale=alt.Scale(range=[15, 150])),
        tooltip=[f"{group}:N", "n:Q", alt.Tooltip("mean:Q", format=".2f")],
    )
    chart = alt.layer(band, centre, whiskers, dots).properties(width=width, height=height)
    if title:
        chart = chart.properties(title=title)
    return chart
