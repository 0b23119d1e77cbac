"""The funnel: one group's effect against the log of the population SD, divergences marked."""

from __future__ import annotations

import altair as alt
import pandas as pd

from hbm_widgets.core.errors import WorkbookInputError

__all__ = ["plot_funnel"]


def plot_funnel(
    draws: pd.DataFrame,
    *,
    y_title: str = "log population SD",
    title: str | None = None,
    width: int = 300,
    height: int = 280,
) -> alt.FacetChart:
    """Draw :func:`hbm_widgets.funnel_draws`: one panel per fit, divergent draws in orange.

    Parameters
    ----------
    draws : DataFrame
        Columns ``model``, ``log_scale``, ``value``, ``variable`` and ``divergent``.
    y_title, title : str
    width, height : int
        Size of each panel.

    Examples
    --------
    >>> frame = pd.DataFrame({"model": "centred", "log_scale": [0.1, -2.0], "value": [0.5, 0.0],
    ...                       "variable": "beta[A]", "divergent": [False, True]})
    >>> plot_funnel(frame).to_dict()["spec"]["mark"]["type"]
    'circle'
    """
    missing = sorted({"model", "log_scale", "value", "variable", "divergent"} - set(draws.columns))
    if missing:
        raise WorkbookInputError(f"draws lack column(s) {missing}; see funnel_draws()")
    models = list(dict.fromkeys(draws["model"]))
    chart = (
        alt.Chart(draws)
        .mark_circle(size=14)
        .encode(
            x=alt.X("value:Q", title="what the sampler moves (effect or offset)"),
            y=alt.Y("log_scale:Q", title=y_title),
            color=alt.Color(
                "divergent:N",
                title="divergent",
                scale=alt.Scale(domain=[False, True], range=["#9e9e9e", "#ff7f0e"]),
            ),
            opacity=alt.condition(alt.datum.divergent, alt.value(1.0), alt.value(0.35)),
            order=alt.Order("divergent:N", sort="ascending"),
            tooltip=["variable:N", "divergent:N"],
        )
        .properties(width=width, height=height)
        .facet(column=alt.Column("model:N", title=None, sort=models))
        .resolve_scale(x="independent")
    )
    if title:
        chart = chart.properties(title=title)
    return chart
