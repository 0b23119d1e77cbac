"""True values against their posteriors: does the fit recover what the data were made from?"""

from __future__ import annotations

import altair as alt
import pandas as pd

__all__ = ["plot_recovery"]


def plot_recovery(
    table: pd.DataFrame, *, title: str | None = None, width: int = 420, row_height: int = 22
) -> alt.LayerChart:
    """Each parameter's central interval and posterior mean, with its true value marked.

    Parameters
    ----------
    table : DataFrame
        From :func:`hbm_widgets.recovery_table`: ``parameter``, ``true_value``,
        ``posterior_mean``, ``lower``, ``upper`` and ``covered``.
    title : str, optional
    width, row_height : int
        Chart width and the height of one parameter's row, in pixels.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"parameter": ["a"], "true_value": [1.0], "posterior_mean": [1.1],
    ...                       "lower": [0.8], "upper": [1.4], "covered": [True]})
    >>> [layer["mark"]["type"] for layer in plot_recovery(table).to_dict()["layer"]]
    ['rule', 'point', 'point']
    """
    order = list(table["parameter"])
    y = alt.Y("parameter:N", sort=order, title=None)
    base = alt.Chart(table)
    interval = base.mark_rule(strokeWidth=3, color="#9ecae1").encode(
        y=y,
        x=alt.X("lower:Q", title="value"),
        x2="upper:Q",
        tooltip=["parameter:N", "lower:Q", "upper:Q", "posterior_mean:Q", "true_value:Q"],
    )
    mean = base.mark_point(filled=True, size=45, color="#08519c").encode(y=y, x="posterior_mean:Q")
    truth = base.mark_point(shape="diamond", filled=True, size=70).encode(
        y=y,
        x="true_value:Q",
        color=alt.Color(
            "covered:N",
            title="truth inside the interval",
            scale=alt.Scale(domain=[True, False], range=["#d62728", "#ff7f0e"]),
        ),
    )
    chart = alt.layer(interval, mean, truth).properties(
        width=width, height=max(60, row_height * len(order))
    )
    if title:
        chart = chart.properties(title=title)
    return chart
