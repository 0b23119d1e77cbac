"""``shrinkage_explorer()``: move tau and sigma, watch every group's estimate move."""

from __future__ import annotations

import altair as alt
import ipywidgets as widgets
import numpy as np

from hbm_widgets.charts.shrinkage_arrows import plot_shrinkage_arrows
from hbm_widgets.charts.shrinkage_factor import plot_shrinkage_factor
from hbm_widgets.data import GroupedData, load_gcse
from hbm_widgets.pooling_estimates import moment_estimates, pooling_estimates
from hbm_widgets.widgets.base import Explorer

__all__ = ["ShrinkageExplorer", "shrinkage_explorer"]

_STYLE = {"description_width": "initial"}


def _gcse_schools() -> GroupedData:
    """Coursework scores by school, complete cases (1725 students in 73 schools)."""
    return GroupedData.from_frame(load_gcse(), group="school", outcome="course", missing="drop")


class ShrinkageExplorer(Explorer):
    """tau, sigma and mu -> each group's shrinkage factor and partially pooled mean.

    Attributes
    ----------
    data : GroupedData
    estimates : DataFrame or None
        The last valid table of :func:`hbm_widgets.pooling_estimates`.
    """

    def __init__(self, data: GroupedData, *, sigma: float, tau: float, mu: float) -> None:
        self.data = data
        self.estimates = None
        controls = {
            "tau": widgets.FloatText(value=tau, step=1.0, description="τ (spread of means)"),
            "sigma": widgets.FloatText(value=sigma, step=1.0, description="σ (within groups)"),
            "mu": widgets.FloatText(value=mu, step=1.0, description="μ (centre)"),
        }
        for control in controls.values():
            control.style = _STYLE
            control.layout.width = "230px"
        super().__init__(controls)

    def _render(self, values):
        estimates = pooling_estimates(
            self.data, sigma=values["sigma"], tau=values["tau"], mu=values["mu"]
        )
        outcome = self.data.outcome_name
        arrows = plot_shrinkage_arrows(
            estimates,
            group_title=f"{self.data.group_name} (sorted by its own mean)",
            value_title=f"mean {outcome}",
            width=420,
            row_height=6,
        )
        factor = plot_shrinkage_factor(estimates, width=300, height=220)
        chart = alt.hconcat(arrows, factor)
        self.estimates = estimates
        factor_values = estimates["shrinkage"]
        moved = np.abs(estimates["partial_pooling"] - estimates["no_pooling"])
        summary = (
            f"shrinkage factor B from <b>{factor_values.min():.3f}</b> (largest group, "
            f"n = {estimates['n'].max()}) to <b>{factor_values.max():.3f}</b> (smallest, "
            f"n = {estimates['n'].min()}); the estimates move by {moved.mean():.2f} on average "
            f"and at most {moved.max():.2f}. B → 1 is complete pooling, B → 0 no pooling."
        )
        return chart, summary


def shrinkage_explorer(
    data: GroupedData | None = None,
    *,
    sigma: float | None = None,
    tau: float | None = None,
    mu: float | None = None,
) -> ShrinkageExplorer:
    """An explorer of the shrinkage factor and partial pooling (chapter 03).

    Parameters
    ----------
    data : GroupedData, optional
        Grouped outcomes without a predictor; by default the GCSE coursework scores by
        school (complete cases).
    sigma, tau, mu : float, optional
        Initial values; by default quick moment estimates from the data
        (:func:`hbm_widgets.moment_estimates`).

    Examples
    --------
    >>> explorer = shrinkage_explorer(sigma=14.0, tau=9.0, mu=74.0)
    >>> explorer.controls["tau"].value = 0.0          # complete pooling: every school at mu
    >>> bool((explorer.estimates["partial_pooling"] == 74.0).all())
    True
    >>> explorer.controls["sigma"].value = -1.0       # refused: the last chart stays
    >>> explorer.error
    'sigma must be positive, got -1'
    """
    data = _gcse_schools() if data is None else data
    rough = moment_estimates(data)
    return ShrinkageExplorer(
        data,
        sigma=rough["sigma"] if sigma is None else sigma,
        tau=rough["tau"] if tau is None else tau,
        mu=rough["mu"] if mu is None else mu,
    )
