"""Posterior predictive intervals for new observations, one row per case."""

from __future__ import annotations

import altair as alt
import pandas as pd

from hbm_widgets.core.errors import WorkbookInputError

__all__ = ["plot_predictive_intervals"]


def plot_predictive_intervals(
    intervals: pd.DataFrame,
    *,
    x_title: str = "predicted log radon",
    title: str | None = None,
    width: int = 480,
    height: int | None = None,
) -> alt.LayerChart:
    """Draw :func:`hbm_widgets.predictive_intervals`: a bar from ``low`` to ``high`` and a
    dot at the mean for each case, in the order given, labelled with ``n``.

    Parameters
    ----------
    intervals : DataFrame
        Columns ``label``, ``n``, ``mean``, ``low``, ``high`` and ``width``.
    x_title, title : str
    width : int
    height : int, optional
        Defaults to 40 pixels a case.

    Examples
    --------
    >>> frame = pd.DataFrame({"label": ["big", "new"], "n": [100, 0], "mean": [1.0, 1.2],
    ...                       "low": [0.0, -0.2], "high": [2.0, 2.6], "width": [2.0, 2.8]})
    >>> plot_predictive_intervals(frame).to_dict()["layer"][0]["mark"]["type"]
    'rule'
    """
    missing = sorted({"label", "n", "mean", "low", "high", "width"} - set(intervals.columns))
    if missing:
        raise WorkbookInputError(f"intervals lack column(s) {missing}; see predictive_intervals()")
    order = list(intervals["label"])
    y = alt.Y("label:N", sort=order, title=None)
    base = alt.Chart(intervals)
    tooltip = [
        "label:N",
        "n:Q",
        alt.Tooltip("mean:Q", format=".2f"),
        alt.Tooltip("low:Q", format=".2f"),
        alt.Tooltip("high:Q", format=".2f"),
        alt.Tooltip("width:Q", format=".2f"),
    ]
    bars = base.mark_rule(strokeWidth=6, opacity=0.45, color="#1f77b4").encode(
        x=alt.X("low:Q", title=x_title), x2="high:Q", y=y, tooltip=tooltip
    )
    dots = base.mark_circle(size=70, color="#1f77b4").encode(x="mean:Q", y=y, tooltip=tooltip)
    labels = base.mark_text(align="left", dx=8, fontSize=11).encode(
        x="high:Q", y=y, text=alt.Text("width:Q", format=".2f")
    )
    chart = alt.layer(bars, dots, labels).properties(width=width, height=height or 40 * len(order))
    if title:
        chart = chart.properties(title=title)
    return chart
