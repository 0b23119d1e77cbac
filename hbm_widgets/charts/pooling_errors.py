"""The error of each pooling strategy against the truth, by group size, in a simulation."""

from __future__ import annotations

import altair as alt
import pandas as pd

__all__ = ["plot_pooling_errors"]

# The strategies in the order of the other pooling charts: the two extremes, then the compromise.
_ESTIMATORS = ["complete pooling", "no pooling", "partial pooling"]
_COLOURS = ["#7570b3", "#d95f02", "#1b9e77"]


def plot_pooling_errors(
    errors: pd.DataFrame,
    *,
    title: str | None = None,
    width: int = 420,
    height: int = 260,
) -> alt.LayerChart:
    """Mean squared error of each estimator for groups of each size, on a log scale.

    Parameters
    ----------
    errors : DataFrame
        One row per size class and estimator: ``size_group`` (a label such as ``"1-5"``,
        drawn left to right in the frame's order), ``estimator`` (``"complete pooling"``,
        ``"no pooling"`` or ``"partial pooling"``) and ``mean_squared_error``.
    title : str, optional
    width, height : int
        Chart size in pixels.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({
    ...     "size_group": ["1-5", "1-5", "6-94", "6-94"],
    ...     "estimator": ["no pooling", "partial pooling"] * 2,
    ...     "mean_squared_error": [57.0, 32.0, 9.0, 8.0],
    ... })
    >>> [layer["mark"]["type"] for layer in plot_pooling_errors(frame).to_dict()["layer"]]
    ['line', 'point']
    """
    order = list(dict.fromkeys(errors["size_group"]))
    base = alt.Chart(errors).encode(
        x=alt.X(
            "size_group:O", title="students per school", sort=order, axis=alt.Axis(labelAngle=0)
        ),
        y=alt.Y(
            "mean_squared_error:Q",
            title="mean squared error (points², log scale)",
            scale=alt.Scale(type="log"),
        ),
        color=alt.Color(
            "estimator:N",
            title="estimate",
            scale=alt.Scale(domain=_ESTIMATORS, range=_COLOURS),
        ),
    )
    lines = base.mark_line(strokeWidth=2)
    points = base.mark_point(filled=True, size=60).encode(
        tooltip=[
            alt.Tooltip("size_group:O", title="students per school"),
            alt.Tooltip("estimator:N"),
            alt.Tooltip("mean_squared_error:Q", format=".2f", title="mean squared error"),
        ]
    )
    chart = alt.layer(lines, points).properties(width=width, height=height)
    if title:
        chart = chart.properties(title=title)
    return chart
