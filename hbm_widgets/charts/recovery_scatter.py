"""Simulated true values against their posterior means, with intervals and the diagonal."""

from __future__ import annotations

import altair as alt
import pandas as pd

from hbm_widgets.core.errors import WorkbookInputError

__all__ = ["plot_recovery_scatter"]


def plot_recovery_scatter(
    table: pd.DataFrame,
    *,
    colour: str = "parameter",
    title: str | None = None,
    width: int = 380,
    height: int = 380,
) -> alt.LayerChart:
    """Posterior mean and interval (vertical rule) of each quantity above its true value.

    A fit that recovers the truth puts the dots near the dashed diagonal and most rules
    across it; rules that miss the diagonal are drawn thicker, in black.

    Parameters
    ----------
    table : DataFrame
        Columns ``true_value``, ``posterior_mean``, ``lower``, ``upper``, ``covered`` and
        the ``colour`` column (see :func:`hbm_widgets.crossed_recovery`).
    colour : str
        The column that colours the dots (the parameter family, say).
    title : str, optional
    width, height : int

    Examples
    --------
    >>> table = pd.DataFrame({"parameter": ["a", "b"], "true_value": [0.0, 1.0],
    ...                       "posterior_mean": [0.1, 0.8], "lower": [-0.2, 0.5],
    ...                       "upper": [0.4, 0.9], "covered": [True, False]})
    >>> [layer["mark"]["type"] for layer in plot_recovery_scatter(table).to_dict()["layer"]]
    ['rule', 'rule', 'point']
    """
    needed = {"true_value", "posterior_mean", "lower", "upper", "covered", colour}
    missing = sorted(needed - set(table.columns))
    if missing:
        raise WorkbookInputError(f"the recovery table lacks column(s) {missing}")
    low = float(min(table["true_value"].min(), table["lower"].min()))
    high = float(max(table["true_value"].max(), table["upper"].max()))
    scale = alt.Scale(domain=[low, high], nice=True)
    x = alt.X("true_value:Q", title="true value", scale=scale)
    tooltip = [c for c in ("parameter", "group") if c in table.columns] + [
        alt.Tooltip("true_value:Q", format=".3f"),
        alt.Tooltip("posterior_mean:Q", format=".3f"),
        alt.Tooltip("lower:Q", format=".3f"),
        alt.Tooltip("upper:Q", format=".3f"),
    ]
    # The diagonal y = x, where a perfectly recovered value would sit.
    line = (
        alt.Chart(pd.DataFrame({"x": [low], "y": [low], "x2": [high], "y2": [high]}))
        .mark_rule(strokeDash=[5, 4], color="#7f7f7f")
        .encode(
            x=alt.X("x:Q", scale=scale, title="true value"),
            y=alt.Y("y:Q", scale=scale, title="posterior mean and interval"),
            x2="x2:Q",
            y2="y2:Q",
        )
    )
    base = alt.Chart(table)
    intervals = base.mark_rule(strokeWidth=1.5).encode(
        x=x,
        y=alt.Y("lower:Q", scale=scale),
        y2="upper:Q",
        color=alt.condition(alt.datum.covered, alt.value("#bdbdbd"), alt.value("#000000")),
        strokeWidth=alt.condition(alt.datum.covered, alt.value(1.5), alt.value(2.5)),
    )
    dots = base.mark_point(filled=True, size=40).encode(
        x=x,
        y=alt.Y("posterior_mean:Q", scale=scale),
        color=alt.Color(f"{colour}:N", title=colour),
        tooltip=tooltip,
    )
    chart = alt.layer(line, intervals, dots).properties(width=width, height=height)
    if title:
        chart = chart.properties(title=title)
    return chart
