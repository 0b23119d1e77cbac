"""Every school's expected score with its interval, schools ordered by rank."""

from __future__ import annotations

import altair as alt
import pandas as pd

from hbm_widgets.core.errors import WorkbookInputError

__all__ = ["plot_caterpillar"]

LEVEL_COLOURS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd"]


def plot_caterpillar(
    summary: pd.DataFrame,
    *,
    group: str = "school",
    level: str = "sex",
    order_by: str | None = None,
    value_title: str = "expected coursework score",
    title: str | None = None,
    width: int = 460,
    row_height: int = 11,
) -> alt.LayerChart:
    """Draw :func:`hbm_widgets.score_summary`: a dot and interval per school and level.

    Parameters
    ----------
    summary : DataFrame
        Columns ``group``, ``level``, ``mean``, ``lower``, ``upper`` and ``mean_rank``.
    group, level : str
        Columns naming the school and the level (girls/boys) drawn side by side in a row.
    order_by : str, optional
        The level whose mean rank orders the rows, best at the top (default: the first
        level in the frame).
    value_title, title : str
    width, row_height : int
        Chart width and pixels per school.

    Examples
    --------
    >>> frame = pd.DataFrame({"school": ["a", "b", "a", "b"], "sex": ["girls"] * 2 + ["boys"] * 2,
    ...                       "mean": [70, 60, 65, 58], "lower": [65, 55, 60, 50],
    ...                       "upper": [75, 66, 70, 63], "mean_rank": [1, 2, 1, 2]})
    >>> plot_caterpillar(frame).to_dict()["layer"][0]["encoding"]["y"]["sort"]
    ['a', 'b']
    """
    needed = {group, level, "mean", "lower", "upper", "mean_rank"}
    missing = sorted(needed - set(summary.columns))
    if missing:
        raise WorkbookInputError(f"summary lacks column(s) {missing}; see score_summary()")
    levels = list(dict.fromkeys(summary[level]))
    order_by = levels[0] if order_by is None else order_by
    if order_by not in levels:
        raise WorkbookInputError(f"order_by={order_by!r} is not a level; expected one of {levels}")
    ranked = summary[summary[level] == order_by].sort_values("mean_rank", kind="stable")
    order = ranked[group].astype(str).tolist()
    data = summary.assign(**{group: summary[group].astype(str)})
    y = alt.Y(f"{group}:N", sort=order, title=f"{group} (by mean rank for {order_by})")
    colour = alt.Color(
        f"{level}:N",
        title=None,
        scale=alt.Scale(domain=levels, range=LEVEL_COLOURS[: len(levels)]),
    )
    base = alt.Chart(data).encode(y=y, yOffset=alt.YOffset(f"{level}:N", sort=levels), color=colour)
    tooltip = [
        group,
        level,
        alt.Tooltip("mean:Q", format=".1f"),
        alt.Tooltip("mean_rank:Q", format=".1f"),
    ]
    intervals = base.mark_rule(strokeWidth=1.5).encode(
        x=alt.X("lower:Q", title=value_title, scale=alt.Scale(zero=False)), x2="upper:Q"
    )
    points = base.mark_point(filled=True, size=18).encode(x="mean:Q", tooltip=tooltip)
    chart = alt.layer(intervals, points).properties(width=width, height=alt.Step(row_height))
    if title:
        chart = chart.properties(title=title)
    return chart
