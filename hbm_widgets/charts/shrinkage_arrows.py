"""Each group's own mean, and the arrow to where partial pooling moves it."""

from __future__ import annotations

import altair as alt
import pandas as pd

__all__ = ["plot_shrinkage_arrows"]


def plot_shrinkage_arrows(
    estimates: pd.DataFrame,
    *,
    group_title: str = "group",
    value_title: str = "estimate",
    title: str | None = None,
    width: int = 520,
    row_height: int = 7,
) -> alt.LayerChart:
    """One row per group: a rule from its no-pooling to its partial-pooling estimate.

    Groups are sorted by their own mean, highest at the top. The open circle is the group's
    mean, the triangle the partially pooled estimate (pointing the way it moved), both
    coloured by group size; the dashed line is the centre ``mu`` every group is pulled
    towards.

    Parameters
    ----------
    estimates : DataFrame
        Columns ``group``, ``n``, ``no_pooling``, ``partial_pooling``, ``shrinkage`` and
        ``mu`` (see :func:`hbm_widgets.core.pooling`).
    group_title, value_title : str
        Axis titles.
    title : str, optional
    width : int
        Chart width in pixels.
    row_height : int
        Pixels per group.

    Examples
    --------
    >>> import pandas as pd
    >>> from hbm_widgets import GroupedData, pooling_estimates
    >>> frame = pd.DataFrame({"g": ["a", "a", "b"], "y": [1.0, 2.0, 6.0]})
    >>> table = pooling_estimates(GroupedData.from_frame(frame, group="g", outcome="y"),
    ...                           sigma=1.0, tau=1.0)
    >>> [layer["mark"]["type"] for layer in plot_shrinkage_arrows(table).to_dict()["layer"]]
    ['rule', 'point', 'point', 'rule']
    """
    order = estimates.sort_values("no_pooling", ascending=False)["group"].astype(str).tolist()
    scale = alt.Scale(type="log", scheme="viridis", reverse=True)
    # Rules and open circles are coloured through `stroke`, the filled heads through `fill`
    # (which carries the one legend): mixing the two on one `color` channel would turn the
    # gradient legend into a long list of symbols.
    stroke = alt.Stroke("n:Q", scale=scale, legend=None)
    fill = alt.Fill("n:Q", title="group size n", scale=scale)
    y = alt.Y("group:N", sort=order, title=group_title, axis=alt.Axis(labels=False, ticks=False))
    tooltip = [
        alt.Tooltip("group:N", title=group_title),
        alt.Tooltip("n:Q"),
        alt.Tooltip("no_pooling:Q", format=".2f", title="own mean"),
        alt.Tooltip("partial_pooling:Q", format=".2f", title="partial pooling"),
        alt.Tooltip("shrinkage:Q", format=".3f", title="B"),
    ]
    base = alt.Chart(estimates).encode(y=y, tooltip=tooltip)
    arrows = base.mark_rule(strokeWidth=1.5).encode(
        x=alt.X("no_pooling:Q", title=value_title, scale=alt.Scale(zero=False)),
        x2="partial_pooling:Q",
        stroke=stroke,
    )
    starts = base.mark_point(filled=False, size=20).encode(x="no_pooling:Q", stroke=stroke)
    heads = base.mark_point(filled=True, size=35, opacity=1).encode(
        x="partial_pooling:Q",
        fill=fill,
        stroke=alt.value(None),
        shape=alt.condition(
            "datum.partial_pooling >= datum.no_pooling",
            alt.value("triangle-right"),
            alt.value("triangle-left"),
        ),
    )
    centre = (
        alt.Chart(estimates.head(1)[["mu"]])
        .mark_rule(color="#d62728", strokeDash=[6, 3], strokeWidth=1.5)
        .encode(x="mu:Q", tooltip=[alt.Tooltip("mu:Q", format=".2f", title="μ")])
    )
    height = max(120, row_height * len(estimates))
    chart = alt.layer(arrows, starts, heads, centre).properties(width=width, height=height)
    if title:
        chart = chart.properties(title=title)
    return chart
