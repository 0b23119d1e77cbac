"""Rank plot: how each chain's draws rank among all chains' draws."""

from __future__ import annotations

import altair as alt

from hbm_widgets.lessons.diagnostic_tables import rank_table

__all__ = ["plot_rank"]


def plot_rank(
    idata,
    *,
    var_name: str,
    bins: int = 20,
    title: str | None = None,
    width: int = 300,
    height: int = 45,
) -> alt.Chart:
    """Draw one rank histogram per chain (rows), with the uniform count as a tick.

    All draws of all chains are ranked together. If the chains explore the same
    distribution each chain holds its fair share of every rank range and its bars are
    flat, near the expected count; a chain stuck high or low, or one that misses the tails,
    piles its ranks up in some bins and leaves others empty.

    Parameters
    ----------
    idata : xarray.DataTree
    var_name : str
        A scalar variable or one element of a vector, ``"name[label]"``.
    bins : int
        Number of rank bins (at least 2).
    title : str, optional
        Defaults to ``"ranks of <var_name>"``.
    width, height : int
        Size of each chain's panel in pixels.

    Examples
    --------
    >>> import arviz as az, numpy as np
    >>> rng = np.random.default_rng(0)
    >>> idata = az.from_dict({"posterior": {"mu": rng.normal(size=(2, 50))}})
    >>> spec = plot_rank(idata, var_name="mu", bins=5).to_dict()
    >>> spec["mark"]["type"], spec["encoding"]["row"]["field"]
    ('bar', 'chain')
    """
    frame = rank_table(idata, var_name, bins=bins)
    frame = frame.assign(chain=frame["chain"].astype(str))
    expected = float(frame["expected"].iloc[0])
    return (
        alt.Chart(frame, title=title or f"ranks of {var_name} (uniform: {expected:.0f} a bin)")
        .mark_bar(stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X("rank_start:Q", title="rank among all draws", bin="binned"),
            x2="rank_end:Q",
            y=alt.Y("count:Q", title=None, scale=alt.Scale(zero=True)),
            color=alt.Color("chain:N", title="chain", legend=None),
            row=alt.Row("chain:N", title="chain"),
            tooltip=["chain:N", "rank_start:Q", "rank_end:Q", "count:Q", "expected:Q"],
        )
        .properties(width=width, height=height)
    )
