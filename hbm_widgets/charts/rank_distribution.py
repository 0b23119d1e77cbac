"""The posterior of each school's rank: where it may stand among all schools."""

from __future__ import annotations

import altair as alt
import pandas as pd

from hbm_widgets.core.errors import WorkbookInputError

__all__ = ["plot_rank_distribution"]


def plot_rank_distribution(
    ranks: pd.DataFrame,
    *,
    group: str = "school",
    title: str | None = None,
    width: int = 460,
    row_height: int = 9,
) -> alt.LayerChart:
    """Draw :func:`hbm_widgets.rank_summary`: mean rank and interval per school.

    Rows keep the frame's order (best mean rank first); rank 1 is at the left. A long bar
    means the data cannot place the school: ranks are far less certain than scores.

    Parameters
    ----------
    ranks : DataFrame
        Columns ``group``, ``mean_rank``, ``median_rank``, ``lower`` and ``upper``.
    group : str
    title : str, optional
    width, row_height : int

    Examples
    --------
    >>> frame = pd.DataFrame({"school": ["a", "b"], "mean_rank": [1.2, 1.8],
    ...                       "median_rank": [1, 2], "lower": [1, 1], "upper": [2, 2]})
    >>> plot_rank_distribution(frame).to_dict()["layer"][1]["encoding"]["x"]["field"]
    'mean_rank'
    """
    needed = {group, "mean_rank", "median_rank", "lower", "upper"}
    missing = sorted(needed - set(ranks.columns))
    if missing:
        raise WorkbookInputError(f"ranks lack column(s) {missing}; see rank_summary()")
    data = ranks.assign(**{group: ranks[group].astype(str)})
    order = data[group].tolist()
    n_groups = len(order)
    y = alt.Y(f"{group}:N", sort=order, title=f"{group} (by mean rank)")
    x_scale = alt.Scale(domain=[1, max(n_groups, 2)])
    base = alt.Chart(data).encode(y=y)
    interval = base.mark_rule(strokeWidth=2, color="#9ecae1").encode(
        x=alt.X("lower:Q", title="rank (1 = highest expected score)", scale=x_scale),
        x2="upper:Q",
    )
    tooltip = [
        group,
        alt.Tooltip("mean_rank:Q", format=".1f"),
        alt.Tooltip("lower:Q", format=".0f"),
        alt.Tooltip("upper:Q", format=".0f"),
    ]
    mean = base.mark_point(filled=True, size=16, color="#08519c").encode(
        x=alt.X("mean_rank:Q", scale=x_scale), tooltip=tooltip
    )
    chart = alt.layer(interval, mean).properties(width=width, height=alt.Step(row_height))
    if title:
        chart = chart.properties(title=title)
    return chart
