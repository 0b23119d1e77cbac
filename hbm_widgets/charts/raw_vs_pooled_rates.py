"""Raw rates and partially pooled rates against group size: the binomial shrinkage picture."""

from __future__ import annotations

import altair as alt
import pandas as pd

from hbm_widgets.core.errors import WorkbookInputError

__all__ = ["plot_raw_vs_pooled_rates"]

_COLOURS = {"raw rate": "#7f7f7f", "partially pooled": "#d62728"}


def plot_raw_vs_pooled_rates(
    rates: pd.DataFrame,
    *,
    group: str,
    population_rate: float | None = None,
    size_title: str = "trials (log scale)",
    rate_title: str = "rate",
    title: str | None = None,
    width: int = 520,
    height: int = 320,
) -> alt.LayerChart:
    """Each group's raw rate (grey) and its partially pooled rate (red) against its size.

    A thin rule joins the two estimates of a group. Small groups have raw rates scattered
    far from the centre and move a long way; large groups barely move. The dashed line is
    the population rate, when given.

    Parameters
    ----------
    rates : DataFrame
        Columns ``group`` (named by ``group``), ``n``, ``raw_rate`` and ``pooled_rate``
        (see :func:`hbm_widgets.pooled_rates`).
    group : str
        The group label column.
    population_rate : float, optional
    size_title, rate_title : str
        Axis titles.
    title : str, optional
    width, height : int

    Examples
    --------
    >>> rates = pd.DataFrame({"player": ["a", "b"], "n": [10, 500], "raw_rate": [0.5, 0.27],
    ...                       "pooled_rate": [0.28, 0.27]})
    >>> spec = plot_raw_vs_pooled_rates(rates, group="player", population_rate=0.27).to_dict()
    >>> [layer["mark"]["type"] for layer in spec["layer"]]
    ['rule', 'point', 'rule']
    """
    missing = sorted({group, "n", "raw_rate", "pooled_rate"} - set(rates.columns))
    if missing:
        raise WorkbookInputError(f"rates lack column(s) {missing}; see pooled_rates()")
    x = alt.X("n:Q", title=size_title, scale=alt.Scale(type="log"))
    base = alt.Chart(rates[[group, "n", "raw_rate", "pooled_rate"]])
    links = base.mark_rule(color="#bdbdbd", strokeWidth=1).encode(
        x=x, y=alt.Y("raw_rate:Q", title=rate_title), y2="pooled_rate:Q"
    )
    points = (
        base.transform_fold(["raw_rate", "pooled_rate"], as_=["estimate", "rate"])
        .transform_calculate(
            estimate="datum.estimate == 'raw_rate' ? 'raw rate' : 'partially pooled'"
        )
        .mark_point(filled=True, size=28, opacity=0.8)
        .encode(
            x=x,
            y=alt.Y("rate:Q", title=rate_title),
            color=alt.Color(
                "estimate:N",
                title=None,
                scale=alt.Scale(domain=list(_COLOURS), range=list(_COLOURS.values())),
            ),
            tooltip=[
                alt.Tooltip(f"{group}:N"),
                alt.Tooltip("n:Q"),
                alt.Tooltip("estimate:N"),
                alt.Tooltip("rate:Q", format=".3f"),
            ],
        )
    )
    layers = [links, points]
    if population_rate is not None:
        layers.append(
            alt.Chart(pd.DataFrame({"population_rate": [float(population_rate)]}))
            .mark_rule(strokeDash=[6, 4], color="#08306b")
            .encode(y="population_rate:Q")
        )
    chart = alt.layer(*layers).properties(width=width, height=height)
    if title:
        chart = chart.properties(title=title)
    return chart
