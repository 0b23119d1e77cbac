"""Monte Carlo error against the number of draws, on log-log axes."""

from __future__ import annotations

import altair as alt
import pandas as pd

__all__ = ["plot_monte_carlo_error"]


def plot_monte_carlo_error(
    errors: pd.DataFrame, *, title: str | None = None, width: int = 460, height: int = 280
) -> alt.LayerChart:
    """Draw the table made by :func:`hbm_widgets.monte_carlo_errors`.

    Each quantity's root mean square error is drawn as points joined by a line; its
    predicted standard error ``spread / sqrt(n)``, a straight line of slope -1/2 on these
    axes, is drawn dashed in the same colour.

    Parameters
    ----------
    errors : DataFrame
        Columns ``quantity``, ``n``, ``rmse`` and ``predicted``.
    title : str, optional
    width, height : int
        Chart size in pixels.

    Examples
    --------
    >>> import numpy as np
    >>> from hbm_widgets import NormalPosterior, monte_carlo_errors
    >>> table = monte_carlo_errors(NormalPosterior(0.0, 1.0, 1.0), sample_sizes=[10, 100],
    ...                            repeats=20, rng=np.random.default_rng(0))
    >>> [layer["mark"]["type"] for layer in plot_monte_carlo_error(table).to_dict()["layer"]]
    ['line', 'line']
    """
    base = alt.Chart(errors).encode(
        x=alt.X("n:Q", scale=alt.Scale(type="log"), title="number of draws n (log scale)"),
        color=alt.Color("quantity:N", title="estimate of"),
        tooltip=[
            alt.Tooltip("quantity:N"),
            alt.Tooltip("n:Q"),
            alt.Tooltip("rmse:Q", format=".4g", title="RMS error"),
            alt.Tooltip("predicted:Q", format=".4g", title="σ/√n"),
        ],
    )
    observed = base.mark_line(point=True, strokeWidth=2).encode(
        y=alt.Y("rmse:Q", scale=alt.Scale(type="log"), title="error (log scale)")
    )
    predicted = base.mark_line(strokeDash=[6, 4], strokeWidth=1.5, opacity=0.8).encode(
        y=alt.Y("predicted:Q", scale=alt.Scale(type="log"))
    )
    chart = alt.layer(observed, predicted).properties(width=width, height=height)
    if title:
        chart = chart.properties(title=title)
    return chart
