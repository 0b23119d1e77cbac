"""Prior, likelihood and posterior of a normal mean on one set of axes."""

from __future__ import annotations

import altair as alt
import pandas as pd

__all__ = ["plot_conjugate_update"]

CURVE_COLOURS = {"prior": "#7f7f7f", "likelihood": "#1f77b4", "posterior": "#d62728"}


def plot_conjugate_update(
    curves: pd.DataFrame, *, title: str | None = None, width: int = 520, height: int = 260
) -> alt.Chart:
    """Draw the curves made by :func:`hbm_widgets.conjugate_curves`.

    Parameters
    ----------
    curves : DataFrame
        Columns ``mean``, ``density`` and ``curve``.
    title : str, optional
    width, height : int
        Chart size in pixels.

    Examples
    --------
    >>> from hbm_widgets import conjugate_curves
    >>> chart = plot_conjugate_update(conjugate_curves(0, 10, 15, 20, 4.2))
    >>> chart.to_dict()["mark"]["type"]
    'line'
    """
    names = [c for c in CURVE_COLOURS if c in set(curves["curve"])]
    chart = (
        alt.Chart(curves)
        .mark_line(strokeWidth=2.5)
        .encode(
            x=alt.X("mean:Q", title="mean (μ)"),
            y=alt.Y("density:Q", title="density"),
            color=alt.Color(
                "curve:N",
                title=None,
                sort=names,
                scale=alt.Scale(domain=names, range=[CURVE_COLOURS[n] for n in names]),
            ),
            strokeDash=alt.condition(
                alt.datum.curve == "likelihood", alt.value([6, 3]), alt.value([1, 0])
            ),
        )
        .properties(width=width, height=height)
    )
    if title:
        chart = chart.properties(title=title)
    return chart
