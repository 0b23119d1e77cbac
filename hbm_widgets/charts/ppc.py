"""A posterior predictive check: the observed distribution among replicated ones."""

from __future__ import annotations

import altair as alt
import pandas as pd

from hbm_widgets.core.errors import WorkbookInputError

__all__ = ["plot_ppc"]


def plot_ppc(
    densities: pd.DataFrame,
    *,
    x_title: str = "log radon",
    title: str | None = None,
    width: int = 520,
    height: int = 260,
) -> alt.LayerChart:
    """Draw :func:`hbm_widgets.ppc_densities`: thin lines for replicated data sets, a thick
    black line for the data.

    Parameters
    ----------
    densities : DataFrame
        Columns ``value``, ``density``, ``series`` and ``kind``.
    x_title, title : str
    width, height : int

    Examples
    --------
    >>> frame = pd.DataFrame({"value": [0, 1, 0, 1], "density": [0.4, 0.6, 0.5, 0.5],
    ...                       "series": ["observed"] * 2 + ["replicate 0"] * 2,
    ...                       "kind": ["observed"] * 2 + ["replicated"] * 2})
    >>> plot_ppc(frame).to_dict()["layer"][1]["mark"]["strokeWidth"]
    3
    """
    missing = sorted({"value", "density", "series", "kind"} - set(densities.columns))
    if missing:
        raise WorkbookInputError(f"densities lack column(s) {missing}; see ppc_densities()")
    base = alt.Chart(densities)
    x = alt.X("value:Q", title=x_title)
    y = alt.Y("density:Q", title="density")
    replicated = (
        base.transform_filter(alt.datum.kind == "replicated")
        .mark_line(strokeWidth=1, opacity=0.3, color="#1f77b4", interpolate="step")
        .encode(x=x, y=y, detail="series:N")
    )
    observed = (
        base.transform_filter(alt.datum.kind == "observed")
        .mark_line(strokeWidth=3, color="black", interpolate="step")
        .encode(x=x, y=y)
    )
    chart = alt.layer(replicated, observed).properties(width=width, height=height)
    if title:
        chart = chart.properties(title=title)
    return chart
