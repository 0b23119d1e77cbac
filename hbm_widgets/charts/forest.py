"""A forest chart: every group's estimate and interval, sorted, each labelled with its size."""

from __future__ import annotations

import altair as alt
import pandas as pd

from hbm_widgets.core.errors import WorkbookInputError

__all__ = ["plot_forest"]

_NEEDED = ("group", "n", "mean", "hdi_low", "hdi_high")


def plot_forest(
    estimates: pd.DataFrame,
    *,
    population_mean: float | None = None,
    group_title: str = "group",
    value_title: str = "estimate",
    title: str | None = None,
    width: int = 460,
    row_height: int = 13,
) -> alt.LayerChart:
    """One row per group, highest estimate at the top: the posterior mean as a dot, its
    interval as a bar, the group's size in its label (``"name (n = 4)"``).

    Parameters
    ----------
    estimates : DataFrame
        One coefficient's estimates: columns ``group``, ``n``, ``mean``, ``hdi_low`` and
        ``hdi_high``, optionally ``observed_mean`` (the group's own raw figure, drawn as an
        open circle; leave it out where it is not on the coefficient's scale).
    population_mean : float, optional
        The centre of the population distribution, drawn as a dashed line.
    group_title, value_title, title : str
    width, row_height : int
        Chart width, and pixels per group.

    Examples
    --------
    >>> table = pd.DataFrame({"group": ["a", "b"], "n": [3, 40], "mean": [1.0, 2.0],
    ...                       "hdi_low": [0.5, 1.2], "hdi_high": [1.5, 2.9]})
    >>> spec = plot_forest(table, population_mean=1.4).to_dict()
    >>> spec["layer"][0]["encoding"]["y"]["sort"]
    ['b (n = 40)', 'a (n = 3)']
    """
    missing = [c for c in _NEEDED if c not in estimates.columns]
    if missing:
        raise WorkbookInputError(
            f"the estimates need columns {', '.join(_NEEDED)}; {missing[0]!r} is missing"
        )
    if "coefficient" in estimates and estimates["coefficient"].nunique() > 1:
        raise WorkbookInputError(
            "the estimates hold several coefficients "
            f"({', '.join(map(str, estimates['coefficient'].unique()))}); pass one at a time"
        )
    columns = [c for c in (*_NEEDED, "observed_mean") if c in estimates]
    frame = estimates[columns].sort_values("mean", ascending=False, kind="stable")
    frame = frame.assign(
        label=[f"{g} (n = {n:,})" for g, n in zip(frame["group"], frame["n"], strict=True)]
    )
    order = frame["label"].tolist()
    base = alt.Chart(frame).encode(y=alt.Y("label:N", sort=order, title=group_title))
    layers = [
        base.mark_rule(strokeWidth=2, color="#1f77b4", opacity=0.6).encode(
            x=alt.X("hdi_low:Q", title=value_title, scale=alt.Scale(zero=False)),
            x2="hdi_high:Q",
        ),
        base.mark_point(filled=True, size=36, color="#1f77b4", opacity=1).encode(x="mean:Q"),
    ]
    if "observed_mean" in frame:
        layers.append(
            base.mark_point(filled=False, size=36, color="#7f7f7f").encode(x="observed_mean:Q")
        )
    if population_mean is not None:
        line = pd.DataFrame({"population_mean": [float(population_mean)]})
        layers.append(
            alt.Chart(line).mark_rule(strokeDash=[4, 3], color="#444").encode(x="population_mean:Q")
        )
    chart = alt.layer(*layers).properties(width=width, height=max(80, row_height * len(frame)))
    return chart.properties(title=title) if title else chart
