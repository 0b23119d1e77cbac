"""The shrinkage factor of each group against its size."""

from __future__ import annotations

import altair as alt
import pandas as pd

__all__ = ["plot_shrinkage_factor"]


def plot_shrinkage_factor(
    estimates: pd.DataFrame,
    *,
    title: str | None = None,
    width: int = 420,
    height: int = 240,
) -> alt.LayerChart:
    """``B_k`` against ``n_k``: one point per group, on one curve for given sigma and tau.

    Parameters
    ----------
    estimates : DataFrame
        Columns ``group``, ``n`` and ``shrinkage`` (see :func:`hbm_widgets.core.pooling`).
    title : str, optional
    width, height : int
        Chart size in pixels.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"group": ["a", "b"], "n": [1, 4], "shrinkage": [0.8, 0.5]})
    >>> [layer["mark"]["type"] for layer in plot_shrinkage_factor(table).to_dict()["layer"]]
    ['line', 'point']
    """
    base = alt.Chart(estimates).encode(
        x=alt.X("n:Q", title="group size n (log scale)", scale=alt.Scale(type="log")),
        y=alt.Y(
            "shrinkage:Q", title="shrinkage factor B", scale=alt.Scale(domain=[0, 1], nice=False)
        ),
    )
    curve = base.mark_line(color="#bdbdbd", strokeWidth=1.5)
    # Coloured through `fill`, as in `plot_shrinkage_arrows`, so that the two charts side by
    # side share one legend.
    points = base.mark_point(filled=True, size=40, strokeOpacity=0).encode(
        fill=alt.Fill(
            "n:Q", title="group size n", scale=alt.Scale(type="log", scheme="viridis", reverse=True)
        ),
        tooltip=[
            alt.Tooltip("group:N"),
            alt.Tooltip("n:Q"),
            alt.Tooltip("shrinkage:Q", format=".3f", title="B"),
        ],
    )
    chart = alt.layer(curve, points).properties(width=width, height=height)
    if title:
        chart = chart.properties(title=title)
    return chart
