"""Every group's estimate under two fits, ordered by group size, with arrows between them."""

from __future__ import annotations

import json

import altair as alt
import pandas as pd

from hbm_widgets.core.errors import WorkbookInputError

__all__ = ["plot_county_estimates"]

MODEL_COLOURS = ["#7f7f7f", "#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b"]


def plot_county_estimates(
    estimates: pd.DataFrame,
    *,
    group: str = "county",
    arrow_from: str | None = None,
    arrow_to: str | None = None,
    reference: float | None = None,
    reference_label: str = "complete pooling",
    intervals: bool = False,
    y_title: str = "intercept (expected log radon in a basement)",
    title: str | None = None,
    width: int = 900,
    height: int = 320,
) -> alt.LayerChart:
    """Draw per-group estimates made by :func:`hbm_widgets.core.groups`.

    Groups run along the x axis from the smallest to the largest (``size_rank``). With
    ``arrow_from`` and ``arrow_to`` (two of the ``model`` labels) an arrow goes from each
    group's first estimate to its second: under partial pooling, long arrows on the left
    (small groups pulled hard towards the centre), short ones on the right.

    Parameters
    ----------
    estimates : DataFrame
        Columns: ``group``'s, ``n``, ``model``, ``mean``, ``size_rank`` (and ``low``,
        ``high`` for intervals).
    group : str
        The group column.
    arrow_from, arrow_to : str, optional
        Model labels to join with arrows.
    reference : float, optional
        A horizontal dashed line, e.g. the complete-pooling estimate.
    reference_label : str
    intervals : bool
        Draw each estimate's interval ``[low, high]`` (of ``arrow_to`` only, when arrows are
        drawn).
    y_title, title : str
    width, height : int

    Examples
    --------
    >>> frame = pd.DataFrame({"county": ["A", "B"], "n": [1, 9], "model": "fit",
    ...                       "mean": [1.0, 2.0], "size_rank": [0, 1]})
    >>> plot_county_estimates(frame).to_dict()["layer"][0]["mark"]["type"]
    'circle'
    """
    needed = {group, "n", "model", "mean", "size_rank"}
    if intervals:
        needed |= {"low", "high"}
    missing = sorted(needed - set(estimates.columns))
    if missing:
        raise WorkbookInputError(f"estimates lack column(s) {missing}; see group_estimates()")
    models = list(dict.fromkeys(estimates["model"]))
    if (arrow_from is None) != (arrow_to is None):
        raise WorkbookInputError("give both arrow_from and arrow_to, or neither")
    for label in (arrow_from, arrow_to):
        if label is not None and label not in models:
            raise WorkbookInputError(f"no model {label!r} in the estimates; they have {models}")

    x = alt.X(
        f"{group}:N",
        sort=alt.EncodingSortField(field="size_rank", op="min", order="ascending"),
        title=f"{group}, from the fewest observations (left) to the most (right)",
        axis=alt.Axis(labelAngle=-90, labelFontSize=7),
    )
    colour = alt.Color(
        "model:N",
        title=None,
        scale=alt.Scale(domain=models, range=MODEL_COLOURS[: len(models)]),
        legend=alt.Legend(orient="top", labelLimit=0),
    )
    base = alt.Chart(estimates)
    tooltip = [f"{group}:N", "n:Q", "model:N", alt.Tooltip("mean:Q", format=".2f")]
    layers = [
        base.mark_circle(size=28, opacity=0.9).encode(
            x=x,
            y=alt.Y("mean:Q", title=y_title, scale=alt.Scale(zero=False)),
            color=colour,
            tooltip=tooltip,
        )
    ]
    if intervals:
        shown = base if arrow_to is None else base.transform_filter(alt.datum.model == arrow_to)
        layers.append(
            shown.mark_rule(opacity=0.35).encode(x=x, y="low:Q", y2="high:Q", color=colour)
        )
    if arrow_from is not None:
        start, end = json.dumps(arrow_from), json.dumps(arrow_to)
        arrows = (
            base.transform_filter(
                alt.FieldOneOfPredicate(field="model", oneOf=[arrow_from, arrow_to])
            )
            .transform_pivot("model", value="mean", groupby=[group, "n", "size_rank"])
            .transform_calculate(
                start=f"datum[{start}]",
                end=f"datum[{end}]",
                angle=f"datum[{end}] >= datum[{start}] ? 0 : 180",
            )
        )
        layers.append(
            arrows.mark_rule(color="#555555", strokeWidth=1).encode(x=x, y="start:Q", y2="end:Q")
        )
        layers.append(
            arrows.mark_point(shape="triangle", filled=True, size=30, color="#555555").encode(
                x=x, y="end:Q", angle=alt.Angle("angle:Q", scale=None)
            )
        )
    if reference is not None:
        layers.append(
            alt.Chart(pd.DataFrame({"value": [float(reference)], "label": [reference_label]}))
            .mark_rule(strokeDash=[6, 4], color="black")
            .encode(y="value:Q", tooltip=["label:N", alt.Tooltip("value:Q", format=".2f")])
        )
    chart = alt.layer(*layers).properties(width=width, height=height)
    if title:
        chart = chart.properties(title=title)
    return chart
