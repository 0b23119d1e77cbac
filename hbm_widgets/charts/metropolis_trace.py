"""The path of Metropolis-Hastings chains, step by step."""

from __future__ import annotations

import altair as alt
import pandas as pd

__all__ = ["plot_metropolis_trace"]


def plot_metropolis_trace(
    trace: pd.DataFrame,
    *,
    reference: float | None = None,
    warmup: int | None = None,
    title: str | None = None,
    width: int = 520,
    height: int = 200,
) -> alt.LayerChart:
    """Draw the chain paths made by :func:`hbm_widgets.trace_frame`.

    Parameters
    ----------
    trace : DataFrame
        Columns ``chain``, ``step`` and ``value``.
    reference : float, optional
        A value to mark with a horizontal line (the exact posterior mean, say).
    warmup : int, optional
        The last warm-up step, marked with a vertical line.
    title : str, optional
    width, height : int
        Chart size in pixels.

    Examples
    --------
    >>> import numpy as np
    >>> from hbm_widgets import metropolis_hastings, trace_frame
    >>> chain = metropolis_hastings(lambda x: -x * x / 2, 3.0, proposal_sd=1.0, steps=50,
    ...                             rng=np.random.default_rng(0))
    >>> spec = plot_metropolis_trace(trace_frame(chain), reference=0.0, warmup=10).to_dict()
    >>> [layer["mark"]["type"] for layer in spec["layer"]]
    ['line', 'rule', 'rule']
    """
    several = trace["chain"].nunique() > 1
    lines = (
        alt.Chart(trace)
        .mark_line(strokeWidth=1, opacity=0.8 if several else 1.0)
        .encode(
            x=alt.X("step:Q", title="step"),
            y=alt.Y("value:Q", title="state of the chain", scale=alt.Scale(zero=False)),
            color=(alt.Color("chain:N", title="chain") if several else alt.value("#1f77b4")),
            detail="chain:N",
        )
    )
    layers = [lines]
    if reference is not None:
        layers.append(
            alt.Chart(pd.DataFrame({"value": [float(reference)]}))
            .mark_rule(color="#d62728", strokeWidth=1.5, strokeDash=[6, 3])
            .encode(y="value:Q")
        )
    if warmup:
        layers.append(
            alt.Chart(pd.DataFrame({"step": [int(warmup)]}))
            .mark_rule(color="#7f7f7f", strokeDash=[2, 2])
            .encode(x="step:Q")
        )
    chart = alt.layer(*layers).properties(width=width, height=height)
    if title:
        chart = chart.properties(title=title)
    return chart
