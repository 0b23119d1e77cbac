"""Cross-validated RMSE of several models, fold by fold."""

from __future__ import annotations

import altair as alt
import pandas as pd

from hbm_widgets.core.errors import WorkbookInputError

__all__ = ["plot_cv_scores"]


def plot_cv_scores(
    by_fold: pd.DataFrame,
    *,
    title: str | None = None,
    width: int = 360,
    height: int = 260,
) -> alt.LayerChart:
    """Draw ``CrossValidation.by_fold()``: one line per fold joining the models' RMSEs, so
    that each fold's ranking can be read (the folds are shared by all models).

    Parameters
    ----------
    by_fold : DataFrame
        Columns ``model``, ``fold`` and ``rmse``.
    title : str, optional
    width, height : int

    Examples
    --------
    >>> frame = pd.DataFrame({"model": ["a", "b"] * 2, "fold": [0, 0, 1, 1],
    ...                       "rmse": [0.8, 0.7, 0.9, 0.8]})
    >>> plot_cv_scores(frame).to_dict()["layer"][0]["mark"]["type"]
    'line'
    """
    missing = sorted({"model", "fold", "rmse"} - set(by_fold.columns))
    if missing:
        raise WorkbookInputError(
            f"by_fold lacks column(s) {missing}; see CrossValidation.by_fold()"
        )
    models = list(dict.fromkeys(by_fold["model"]))
    base = alt.Chart(by_fold)
    x = alt.X("model:N", sort=models, title=None, axis=alt.Axis(labelAngle=0))
    y = alt.Y("rmse:Q", title="held-out RMSE", scale=alt.Scale(zero=False))
    lines = base.mark_line(color="#9e9e9e", strokeWidth=1).encode(x=x, y=y, detail="fold:N")
    points = base.mark_circle(size=60).encode(
        x=x, y=y, color=alt.Color("fold:N", title="fold"), tooltip=["model:N", "fold:N", "rmse:Q"]
    )
    chart = alt.layer(lines, points).properties(width=width, height=height)
    if title:
        chart = chart.properties(title=title)
    return chart
