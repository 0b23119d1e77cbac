"""A few groups, one panel each: their observations and the line each pooling strategy fits."""

from __future__ import annotations

import altair as alt
import pandas as pd

from hbm_widgets.core.errors import WorkbookInputError

__all__ = ["plot_pooling_lines"]

# One colour per pooling strategy, the same in every panel.
_COLOURS = {
    "complete pooling": "#7f7f7f",
    "no pooling": "#d62728",
    "partial pooling": "#1f77b4",
}


def plot_pooling_lines(
    observations: pd.DataFrame,
    lines: pd.DataFrame,
    *,
    group: str = "county",
    predictor: str = "floor",
    outcome: str = "log_radon",
    columns: int = 4,
    title: str | None = None,
    width: int = 140,
    height: int = 140,
) -> alt.FacetChart:
    """One panel per group: its observations, and a line ``intercept + slope * x`` per model.

    Parameters
    ----------
    observations : DataFrame
        The data of the groups to show: columns ``group``, ``predictor`` and ``outcome``.
        Panels follow the order in which groups first appear here.
    lines : DataFrame
        One row per group and model: ``group``, ``model`` (e.g. "no pooling"), ``intercept``
        and ``slope``; each line is drawn from x = 0 to x = 1.
    group, predictor, outcome : str
    columns : int
        Panels per row.
    title : str, optional
    width, height : int
        Size of one panel.

    Examples
    --------
    >>> obs = pd.DataFrame({"county": ["A", "A", "B"], "floor": [0, 1, 0],
    ...                     "log_radon": [1.2, 0.4, 2.0]})
    >>> lines = pd.DataFrame({"county": ["A", "B"], "model": ["no pooling"] * 2,
    ...                       "intercept": [1.2, 2.0], "slope": [-0.7, -0.7]})
    >>> spec = plot_pooling_lines(obs, lines).to_dict()
    >>> [layer["mark"]["type"] for layer in spec["spec"]["layer"]]
    ['circle', 'rule']
    """
    missing = sorted({group, predictor, outcome} - set(observations.columns))
    if missing:
        raise WorkbookInputError(f"observations lack column(s) {missing}")
    missing = sorted({group, "model", "intercept", "slope"} - set(lines.columns))
    if missing:
        raise WorkbookInputError(f"lines lack column(s) {missing}")
    order = list(dict.fromkeys(observations[group]))
    stray = sorted(set(lines[group]) - set(order))
    if stray:
        raise WorkbookInputError(f"lines for group(s) with no observations: {stray}")
    # One frame for both layers (a facet needs a single data source): observations are
    # points at (x, y), lines are segments from (0, intercept) to (1, intercept + slope).
    points = pd.DataFrame(
        {
            group: observations[group],
            "layer": "observed",
            "x": observations[predictor].astype(float),
            "y": observations[outcome].astype(float),
        }
    )
    segments = pd.DataFrame(
        {
            group: lines[group],
            "layer": "line",
            "model": lines["model"],
            "x": 0.0,
            "x2": 1.0,
            "y": lines["intercept"].astype(float),
            "y2": (lines["intercept"] + lines["slope"]).astype(float),
        }
    )
    frame = pd.concat([points, segments], ignore_index=True)
    models = list(dict.fromkeys(lines["model"]))
    colour = alt.Color(
        "model:N",
        title="model",
        sort=models,
        scale=alt.Scale(domain=models, range=[_COLOURS.get(m, "#2ca02c") for m in models]),
    )
    x = alt.X(
        "x:Q", title=predictor, scale=alt.Scale(domain=[-0.1, 1.1]), axis=alt.Axis(values=[0, 1])
    )
    y = alt.Y("y:Q", title=outcome)
    base = alt.Chart(frame)
    dots = (
        base.transform_filter(alt.datum.layer == "observed")
        .mark_circle(size=25, opacity=0.5, color="black")
        .encode(x=x, y=y)
    )
    rules = (
        base.transform_filter(alt.datum.layer == "line")
        .mark_rule(strokeWidth=2)
        .encode(
            x=x,
            x2="x2:Q",
            y=y,
            y2="y2:Q",
            color=colour,
            tooltip=["model:N", alt.Tooltip("y:Q", title="intercept", format=".2f")],
        )
    )
    chart = (
        alt.layer(dots, rules)
        .properties(width=width, height=height)
        .facet(facet=alt.Facet(f"{group}:N", sort=order, title=None), columns=columns)
    )
    if title:
        chart = chart.properties(title=title)
    return chart
