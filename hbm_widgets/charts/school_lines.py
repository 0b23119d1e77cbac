"""School-specific regression lines, fitted alone and partially pooled, side by side."""

from __future__ import annotations

import altair as alt
import pandas as pd

from hbm_widgets.core.errors import WorkbookInputError

__all__ = ["plot_school_lines"]


def plot_school_lines(
    lines: pd.DataFrame,
    *,
    group: str = "school",
    x_labels: tuple[str, str] = ("boys", "girls"),
    y_title: str = "expected coursework score",
    title: str | None = None,
    width: int = 260,
    height: int = 300,
) -> alt.FacetChart:
    """Draw :func:`hbm_widgets.school_lines`: one line per school, one panel per fit.

    Parameters
    ----------
    lines : DataFrame
        Columns ``group``, ``fit``, ``x`` (0 or 1) and ``score``.
    group : str
    x_labels : (str, str)
        What ``x = 0`` and ``x = 1`` mean, written under the axis.
    y_title, title : str
    width, height : int
        Size of each panel.

    Examples
    --------
    >>> frame = pd.DataFrame({"school": ["a", "a"] * 2,
    ...                       "fit": ["no pooling"] * 2 + ["partial pooling"] * 2,
    ...                       "x": [0.0, 1.0] * 2, "score": [60, 70, 62, 69]})
    >>> plot_school_lines(frame).to_dict()["facet"]["column"]["field"]
    'fit'
    """
    missing = sorted({group, "fit", "x", "score"} - set(lines.columns))
    if missing:
        raise WorkbookInputError(f"lines lack column(s) {missing}; see school_lines()")
    data = lines.assign(**{group: lines[group].astype(str)})
    label_expr = f"datum.value == 0 ? '{x_labels[0]}' : datum.value == 1 ? '{x_labels[1]}' : ''"
    chart = (
        alt.Chart(data)
        .mark_line(strokeWidth=1, opacity=0.55, color="#4c78a8", point=False)
        .encode(
            x=alt.X(
                "x:Q",
                title=None,
                scale=alt.Scale(domain=[-0.1, 1.1], nice=False),
                axis=alt.Axis(values=[0, 1], labelExpr=label_expr),
            ),
            y=alt.Y("score:Q", title=y_title, scale=alt.Scale(zero=False)),
            detail=f"{group}:N",
            tooltip=[group, "fit", alt.Tooltip("score:Q", format=".1f")],
        )
        .properties(width=width, height=height)
        .facet(column=alt.Column("fit:N", title=None, sort=["no pooling", "partial pooling"]))
    )
    if title:
        chart = chart.properties(title=title)
    return chart
