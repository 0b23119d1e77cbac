"""Sampling again with more draws when the largest of many R-hats sits at 1.01 by chance.

A model with thousands of group coefficients has thousands of R-hats. Each is an estimate
with its own noise, so at 1000 draws the largest of them reaches 1.01 now and then even when
every chain mixes well and every effective sample size is in the thousands (a no-pooling fit
of 2,000 groups gives 1.009-1.012 from seed to seed; ``benchmarks/results/report-large.txt``).
Twice the draws halve that noise. A fit with divergences, or an R-hat far above 1.01, has a
real problem that more draws do not cure, and is returned as it is for the report to flag.
"""

from __future__ import annotations

from dataclasses import dataclass

import pymc as pm
import xarray as xr

from hbm_widgets.core import sampling
from hbm_widgets.core.diagnostics import ConvergenceReport, convergence_report
from hbm_widgets.core.errors import check_whole_number

__all__ = ["CHANCE_RHAT", "SettledFit", "sample_until_settled"]

# Above this, an R-hat is not the chance excess of many estimates but chains that disagree.
CHANCE_RHAT = 1.05


@dataclass(frozen=True)
class SettledFit:
    """A fit and the convergence figures of each attempt, the last one the fit's own."""

    idata: xr.DataTree
    attempts: tuple[ConvergenceReport, ...]

    @property
    def report(self) -> ConvergenceReport:
        """The returned fit's figures."""
        return self.attempts[-1]

    @property
    def draws_tried(self) -> tuple[int, ...]:
        """Draws per chain of each attempt."""
        return tuple(attempt.draws for attempt in self.attempts)


def _chance_excess(report: ConvergenceReport) -> bool:
    return 1.01 <= report.max_rhat < CHANCE_RHAT and report.divergences == 0


def sample_until_settled(
    model: pm.Model,
    *,
    random_seed: int,
    draws: int = 1000,
    at_most_draws: int | None = None,
    **sample_options,
) -> SettledFit:
    """Sample ``model``; while the largest R-hat is at 1.01 by chance, again at twice the draws.

    Parameters
    ----------
    model : pymc.Model
        The model, as :func:`hbm_widgets.core.sampling.sample` takes it.
    random_seed : int
        The same seed for every attempt, so that a report is made again exactly.
    draws : int
        Draws per chain of the first attempt.
    at_most_draws : int, optional
        Draws per chain no attempt goes beyond (default: twice ``draws``, one more attempt).
    **sample_options
        Passed on to :func:`~hbm_widgets.core.sampling.sample` (tune, chains, ...).

    Returns
    -------
    SettledFit
        The last attempt's fit and every attempt's figures. Its ``report`` may still fail:
        divergences, an R-hat of 1.05 or more, or the draws used up.

    Examples
    --------
    >>> fit = hbm.sample_until_settled(model, random_seed=1, draws=1000)  # doctest: +SKIP
    >>> fit.draws_tried, fit.report.max_rhat  # doctest: +SKIP
    ((1000, 2000), 1.004)
    """
    draws = check_whole_number("draws", draws, low=1)
    at_most = 2 * draws if at_most_draws is None else at_most_draws
    at_most = check_whole_number("at_most_draws", at_most, low=draws)
    attempts: list[ConvergenceReport] = []
    while True:
        idata = sampling.sample(model, random_seed=random_seed, draws=draws, **sample_options)
        attempts.append(convergence_report(idata))
        if not _chance_excess(attempts[-1]) or 2 * draws > at_most:
            return SettledFit(idata=idata, attempts=tuple(attempts))
        draws *= 2
