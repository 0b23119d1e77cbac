"""Energy plot: the marginal energy against the energy change from draw to draw."""

from __future__ import annotations

import altair as alt

from hbm_widgets.lessons.diagnostic_tables import energy_table

__all__ = ["plot_energy"]

ENERGY_COLOURS = {"marginal energy": "#1f77b4", "energy transition": "#ff7f0e"}


def plot_energy(
    idata,
    *,
    bins: int = 30,
    title: str | None = None,
    width: int = 420,
    height: int = 200,
) -> alt.Chart:
    """Overlay the histograms of the marginal energy and of the energy transitions.

    In a healthy NUTS fit the two histograms have similar widths. When the transitions are
    much narrower, each new momentum moves the sampler only a little through energy
    levels, so it explores the posterior's tails slowly; BFMI (in the title) measures that
    ratio and should exceed 0.3 in every chain.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit sampled with HMC/NUTS (with ``energy`` in its sample stats).
    bins : int
        Number of histogram bins shared by both.
    title : str, optional
        Defaults to the lowest BFMI over chains.
    width, height : int
        Chart size in pixels.
    """
    frame = energy_table(idata, bins=bins)
    bfmi = min(frame.attrs["bfmi"])
    names = list(ENERGY_COLOURS)
    return (
        alt.Chart(frame, title=title or f"energy (lowest BFMI over chains {bfmi:.2f})")
        .mark_bar(opacity=0.55)
        .encode(
            x=alt.X("bin_start:Q", title="energy minus its chain mean", bin="binned"),
            x2="bin_end:Q",
            y=alt.Y("density:Q", title="density", stack=None),
            color=alt.Color(
                "distribution:N",
                title=None,
                sort=names,
                scale=alt.Scale(domain=names, range=[ENERGY_COLOURS[n] for n in names]),
            ),
        )
        .properties(width=width, height=height)
    )
