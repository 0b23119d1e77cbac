"""``metropolis_explorer()``: tune a random-walk Metropolis-Hastings chain by hand."""

from __future__ import annotations

import math
import warnings

import altair as alt
import arviz as az
import ipywidgets as widgets
import numpy as np

from hbm_widgets.charts.chain_histogram import plot_chain_histogram
from hbm_widgets.charts.metropolis_trace import plot_metropolis_trace
from hbm_widgets.core.conjugate import conjugate_normal_posterior
from hbm_widgets.core.errors import WorkbookInputError
from hbm_widgets.lessons.metropolis import (
    chains_to_idata,
    histogram_frame,
    metropolis_hastings,
    normal_density_frame,
    normal_mean_log_posterior,
    trace_frame,
)
from hbm_widgets.widgets.base import Explorer

__all__ = ["MetropolisExplorer", "metropolis_explorer"]

_STYLE = {"description_width": "initial"}
MAX_STEPS = 50_000


class MetropolisExplorer(Explorer):
    """Proposal SD, number of steps, start and warm-up -> trace, histogram and figures.

    The target is the posterior of chapter 01's normal mean (prior, known data SD, sample
    size and mean), so the exact answer is known. Every redraw starts a fresh generator
    from ``seed``, so the same settings always give the same chain.

    Attributes
    ----------
    exact : NormalPosterior
        The closed-form posterior the chain should reproduce.
    result : MetropolisResult or None
        The last valid chain.
    chain_mean, gap, mcse : float or None
        The mean of the chain after warm-up, its distance from the exact posterior mean,
        and ArviZ's Monte Carlo standard error of that mean (NaN for very short chains).
    """

    def __init__(
        self,
        *,
        proposal_sd: float = 5.0,
        steps: int = 2000,
        start: float = -20.0,
        warmup: int = 200,
        prior_mean: float = 0.0,
        prior_sd: float = 10.0,
        sigma: float = 15.0,
        n: int = 20,
        sample_mean: float = 8.27,
        seed: int = 8927,
    ) -> None:
        self.exact = conjugate_normal_posterior(prior_mean, prior_sd, sigma, n, sample_mean)
        self.log_target = normal_mean_log_posterior(prior_mean, prior_sd, sigma, n, sample_mean)
        self.seed = seed
        self.result = None
        self.chain_mean = self.gap = self.mcse = None
        controls = {
            "proposal_sd": widgets.FloatText(
                value=proposal_sd, step=0.5, description="proposal SD", style=_STYLE
            ),
            "steps": widgets.IntText(value=steps, step=500, description="steps", style=_STYLE),
            "start": widgets.FloatText(value=start, step=5, description="start", style=_STYLE),
            "warmup": widgets.IntText(value=warmup, step=100, description="warm-up", style=_STYLE),
        }
        for control in controls.values():
            control.layout.width = "190px"
        super().__init__(controls)

    def _render(self, values):
        steps = values["steps"]
        if isinstance(steps, int) and steps > MAX_STEPS:
            raise WorkbookInputError(
                f"steps must be at most {MAX_STEPS} here (to keep the page quick), got {steps}"
            )
        result = metropolis_hastings(
            self.log_target,
            values["start"],
            proposal_sd=values["proposal_sd"],
            steps=steps,
            rng=np.random.default_rng(self.seed),
        )
        warmup = values["warmup"]
        idata = chains_to_idata(result, warmup=warmup)  # checks 0 <= warmup < steps
        kept = result.draws[warmup:]
        chain_mean = float(kept.mean())
        mcse = math.nan
        if kept.size >= 20:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mcse = float(az.mcse(idata.posterior["mu"]))

        exact = self.exact
        low = min(exact.mean - 4 * exact.sd, float(kept.min()))
        high = max(exact.mean + 4 * exact.sd, float(kept.max()))
        trace = plot_metropolis_trace(
            trace_frame(result), reference=exact.mean, warmup=warmup, height=180
        )
        histogram = plot_chain_histogram(
            histogram_frame(kept, bins=40, low=low, high=high),
            density=normal_density_frame(exact.mean, exact.sd, low=low, high=high),
            x_title="μ (draws after warm-up)",
            height=180,
        )
        chart = alt.vconcat(trace, histogram)

        self.result = result
        self.chain_mean, self.gap, self.mcse = chain_mean, chain_mean - exact.mean, mcse
        in_mcse = (
            f" ({abs(self.gap) / mcse:.1f} Monte Carlo standard errors)"
            if math.isfinite(mcse) and mcse > 0
            else ""
        )
        summary = (
            f"acceptance rate <b>{result.acceptance_rate:.1%}</b>; "
            f"chain mean after warm-up <b>{chain_mean:.3f}</b> vs exact posterior mean "
            f"{exact.mean:.3f}: gap <b>{self.gap:+.3f}</b>{in_mcse}"
        )
        return chart, summary


def metropolis_explorer(
    *,
    proposal_sd: float = 5.0,
    steps: int = 2000,
    start: float = -20.0,
    warmup: int = 200,
    prior_mean: float = 0.0,
    prior_sd: float = 10.0,
    sigma: float = 15.0,
    n: int = 20,
    sample_mean: float = 8.27,
    seed: int = 8927,
) -> MetropolisExplorer:
    """An explorer of random-walk Metropolis-Hastings on chapter 01's posterior (chapter 02).

    Parameters
    ----------
    proposal_sd, steps, start, warmup : initial values of the controls
    prior_mean, prior_sd, sigma, n, sample_mean : the target posterior
        As in :func:`hbm_widgets.conjugate_normal_posterior`.
    seed : int
        Seed of the generator each chain is drawn with.

    Examples
    --------
    >>> explorer = metropolis_explorer(steps=500, warmup=100)
    >>> 0 < explorer.result.acceptance_rate < 1
    True
    >>> explorer.controls["proposal_sd"].value = 0    # refused: the last chain stays
    >>> explorer.error
    'proposal_sd must be positive, got 0'
    """
    return MetropolisExplorer(
        proposal_sd=proposal_sd,
        steps=steps,
        start=start,
        warmup=warmup,
        prior_mean=prior_mean,
        prior_sd=prior_sd,
        sigma=sigma,
        n=n,
        sample_mean=sample_mean,
        seed=seed,
    )
