"""Prior draws of a 2 x 2 LKJ correlation against the closed-form density, one panel per eta."""

from __future__ import annotations

import altair as alt
import pandas as pd

__all__ = ["plot_lkj_draws"]


def plot_lkj_draws(
    histogram: pd.DataFrame,
    curves: pd.DataFrame | None = None,
    *,
    width: int = 150,
    height: int = 150,
) -> alt.FacetChart:
    """Histograms of LKJ draws of the correlation ρ, with the exact density as a line.

    Parameters
    ----------
    histogram : DataFrame
        From :func:`hbm_widgets.binned_density` of :func:`hbm_widgets.lkj_correlation_draws`
        by ``eta``: columns ``eta``, ``bin_start``, ``bin_end`` and ``density``.
    curves : DataFrame, optional
        The closed-form density, columns ``eta``, ``value`` and ``density`` (for example
        :func:`hbm_widgets.prior_density` of ``Prior("LKJCorr", eta=...)`` per eta).
    width, height : int
        Size of each panel in pixels.

    Examples
    --------
    >>> from hbm_widgets import binned_density, lkj_correlation_draws
    >>> draws = lkj_correlation_draws([1, 5], draws=200, random_seed=1)
    >>> table = binned_density(draws, value="rho", by="eta", bins=10, value_range=(-1, 1))
    >>> "facet" in plot_lkj_draws(table).to_dict()
    True
    """
    bars_frame = histogram[["eta", "bin_start", "bin_end", "density"]].assign(kind="draws")
    frames = [bars_frame]
    if curves is not None:
        frames.append(
            curves[["eta", "value", "density"]]
            .rename(columns={"density": "exact"})
            .assign(kind="closed form")
        )
    data = pd.concat(frames, ignore_index=True)
    bars = (
        alt.Chart()
        .transform_filter(alt.datum.kind == "draws")
        .mark_bar(opacity=0.5, binSpacing=0, color="#4c78a8")
        .encode(
            x=alt.X("bin_start:Q", bin="binned", title="correlation ρ"),
            x2="bin_end:Q",
            y=alt.Y("density:Q", title="density"),
        )
    )
    layers = [bars]
    if curves is not None:
        layers.append(
            alt.Chart()
            .transform_filter(alt.datum.kind == "closed form")
            .mark_line(color="#d62728", strokeWidth=2)
            .encode(x="value:Q", y="exact:Q")
        )
    return (
        alt.layer(*layers, data=data)
        .properties(width=width, height=height)
        .facet(column=alt.Column("eta:O", title="LKJ η"))
    )
