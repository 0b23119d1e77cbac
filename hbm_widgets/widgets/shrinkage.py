"""``shrinkage_explorer()``: move tau and sigma, watch every group's estimate move."""

from __future__ import annotations

import math

import altair as alt
import ipywidgets as widgets
import numpy as np

from hbm_widgets.charts.shrinkage_arrows import plot_shrinkage_arrows
from hbm_widgets.charts.shrinkage_factor import plot_shrinkage_factor
from hbm_widgets.core.data import GroupedData, load_gcse
from hbm_widgets.core.errors import WorkbookInputError
from hbm_widgets.core.pooling import moment_estimates, pooling_estimates
from hbm_widgets.widgets.base import Explorer

__all__ = ["ShrinkageExplorer", "shrinkage_explorer"]

_STYLE = {"description_width": "initial"}


def _gcse_schools() -> GroupedData:
    """Coursework scores by school, complete cases (1725 students in 73 schools)."""
    return GroupedData.from_frame(load_gcse(), group="school", outcome="course", missing="drop")


def _round_up(value: float) -> float:
    """The next 1, 2 or 5 times a power of ten at or above ``value`` (> 0)."""
    power = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value * (1 - 1e-12))


def _finite(name: str, value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise WorkbookInputError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise WorkbookInputError(f"{name} must be a finite number, got {value!r}")
    return number


def _tau_range(sigma: float, tau: float, tau_max: float | None) -> tuple[float, float]:
    """The slider's right end and step.

    By default the slider runs to ten times the larger of sigma and tau (rounded up): there a
    group of a single observation keeps 99% of its deviation from mu, so the right end is
    no pooling for every practical purpose, as the left end (tau = 0) is complete pooling.
    """
    sigma, tau = _finite("sigma", sigma), _finite("tau", tau)
    if tau < 0:
        raise WorkbookInputError(f"tau must be zero or positive, got {tau:g}")
    if tau_max is None:
        tau_max = _round_up(10 * max(abs(sigma), tau) or 1.0)
    elif _finite("tau_max", tau_max) <= 0:
        raise WorkbookInputError(f"tau_max must be positive, got {tau_max!r}")
    tau_max = float(tau_max)
    if tau > tau_max:
        raise WorkbookInputError(f"tau ({tau:g}) must not exceed tau_max ({tau_max:g})")
    # A power of ten, at most a thousandth of the range: an arrow key moves tau a little.
    step = 10.0 ** math.floor(math.log10(tau_max / 1000))
    return tau_max, step


class ShrinkageExplorer(Explorer):
    """tau, sigma and mu -> each group's shrinkage factor and partially pooled mean.

    tau is a slider from 0 (complete pooling) to ``tau_max`` (practically no pooling); it
    redraws when released. sigma and mu are typed; a sigma of zero or below is refused with
    an inline message and the last chart stays.

    Attributes
    ----------
    data : GroupedData
    estimates : DataFrame or None
        The last valid table of :func:`hbm_widgets.core.pooling`.
    """

    def __init__(
        self, data: GroupedData, *, sigma: float, tau: float, mu: float, tau_max: float | None
    ) -> None:
        self.data = data
        self.estimates = None
        tau_max, tau_step = _tau_range(sigma, tau, tau_max)
        controls = {
            "tau": widgets.FloatSlider(
                value=tau,
                min=0.0,
                max=tau_max,
                step=tau_step,
                description="τ (spread of means)",
                continuous_update=False,
                readout_format=".2f",
            ),
            "sigma": widgets.FloatText(value=sigma, step=1.0, description="σ (within groups)"),
            "mu": widgets.FloatText(value=mu, step=1.0, description="μ (centre)"),
        }
        for control in controls.values():
            control.style = _STYLE
            control.layout.width = "230px"
        controls["tau"].layout.width = "420px"
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
    tau_max: float | None = None,
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
    tau_max : float, optional
        The right end of the tau slider; by default ten times the larger of sigma and tau,
        rounded up, where even a group of one is hardly pooled.

    Raises
    ------
    WorkbookInputError
        For a negative tau, or a tau beyond ``tau_max`` (the slider could not show it).

    Examples
    --------
    >>> explorer = shrinkage_explorer(sigma=14.0, tau=9.0, mu=74.0)
    >>> explorer.controls["tau"].max                  # 10 sigma, rounded up: the slider's end
    200.0
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
        tau_max=tau_max,
    )
