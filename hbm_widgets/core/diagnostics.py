"""Convergence figures from ArviZ, gathered the same way for every chapter and report."""

from __future__ import annotations

import warnings
import weakref
from collections import OrderedDict
from dataclasses import asdict, dataclass

import numpy as np
import xarray as xr
from arviz_stats import ess, rhat

__all__ = ["ESS_AT_LEAST", "RHAT_BELOW", "ConvergenceReport", "convergence_report"]

# The checklist's limits (Vehtari et al. 2021): every fit's numbers are used only when its
# largest rank-normalised split R-hat is below RHAT_BELOW and its smallest bulk and tail
# effective sample sizes are at least ESS_AT_LEAST, with no divergent transition.
RHAT_BELOW = 1.01
ESS_AT_LEAST = 400


@dataclass(frozen=True)
class ConvergenceReport:
    """The checklist numbers for one fit."""

    max_rhat: float
    min_ess_bulk: float
    min_ess_tail: float
    divergences: int
    draws: int
    chains: int

    @property
    def ok(self) -> bool:
        """R-hat below 1.01, bulk and tail ESS of at least 400, and no divergences."""
        return (
            self.max_rhat < RHAT_BELOW
            and self.min_ess_bulk >= ESS_AT_LEAST
            and self.min_ess_tail >= ESS_AT_LEAST
            and self.divergences == 0
        )

    def warnings(self) -> list[str]:
        found = []
        if not self.max_rhat < RHAT_BELOW:  # NaN too: chains that never moved
            found.append(f"max R-hat is {self.max_rhat:.3f} (should be below {RHAT_BELOW})")
        if self.min_ess_bulk < ESS_AT_LEAST:
            found.append(
                f"min bulk ESS is {self.min_ess_bulk:.0f} (should be at least {ESS_AT_LEAST})"
            )
        if self.min_ess_tail < ESS_AT_LEAST:
            found.append(
                f"min tail ESS is {self.min_ess_tail:.0f} (should be at least {ESS_AT_LEAST})"
            )
        if self.divergences:
            found.append(f"{self.divergences} divergent transitions (should be 0)")
        return found

    def to_dict(self) -> dict:
        return asdict(self)


def _all_values(dataset) -> np.ndarray:
    """Every entry of every variable of a per-variable result (R-hat or ESS), flattened."""
    return np.concatenate([np.ravel(v.values) for v in dataset.data_vars.values()] or [[np.nan]])


# The last few fits' reports. A chapter asks about one fit several times (its report, its
# checklist, a comparison with another run), and on a posterior of hundreds of entries each
# answer takes most of a second. Keyed by the draws' arrays themselves, held weakly: a fit
# that is dropped is not kept alive here, and new draws (a refit) are a new key.
_RECENT: OrderedDict[tuple, tuple[list[weakref.ref], ConvergenceReport]] = OrderedDict()
_RECENT_FITS = 16


def _draw_arrays(idata: xr.DataTree) -> list[np.ndarray]:
    arrays = [var.values for var in idata.posterior.data_vars.values()]
    if "sample_stats" in idata and "diverging" in idata.sample_stats:
        arrays.append(idata.sample_stats["diverging"].values)
    return arrays


def convergence_report(idata: xr.DataTree, var_names=None) -> ConvergenceReport:
    """R-hat, bulk and tail ESS (worst over the variables) and divergences, from ArviZ.

    The same fit asked about again (and not changed in place) gets the report computed the
    first time.
    """
    arrays = _draw_arrays(idata)
    names = None if var_names is None else tuple(np.atleast_1d(var_names).tolist())
    key = (tuple(idata.posterior.data_vars), tuple(map(id, arrays)), names)
    if key in _RECENT:
        held, report = _RECENT[key]
        if all(ref() is array for ref, array in zip(held, arrays, strict=True)):
            _RECENT.move_to_end(key)
            return report
    report = _convergence_report(idata, var_names)
    try:
        _RECENT[key] = ([weakref.ref(array) for array in arrays], report)
    except TypeError:  # an array type that takes no weak reference: not remembered
        return report
    while len(_RECENT) > _RECENT_FITS:
        _RECENT.popitem(last=False)
    return report


def _convergence_report(idata: xr.DataTree, var_names) -> ConvergenceReport:
    posterior = idata.posterior
    # ArviZ's rhat and ess themselves (from arviz_stats, as az.rhat and az.ess are, without
    # loading ArviZ's plotting), not its summary, which would compute the Monte Carlo errors
    # of the mean and SD too: a third of the time, on posteriors of hundreds of entries.
    # Entries that never vary (the fixed zeros and ones of LKJCorr's Cholesky factor) have no
    # R-hat or ESS: NumPy warns dividing by their zero variance, and the NaNs are skipped.
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN maxima, of such entries
        max_rhat = np.nanmax(_all_values(rhat(idata, var_names=var_names)))
        min_ess_bulk = np.nanmin(_all_values(ess(idata, var_names=var_names, method="bulk")))
        min_ess_tail = np.nanmin(_all_values(ess(idata, var_names=var_names, method="tail")))
    divergences = 0
    if "sample_stats" in idata and "diverging" in idata.sample_stats:
        divergences = int(idata.sample_stats["diverging"].sum())
    return ConvergenceReport(
        max_rhat=float(max_rhat),
        min_ess_bulk=float(min_ess_bulk),
        min_ess_tail=float(min_ess_tail),
        divergences=divergences,
        draws=int(posterior.sizes["draw"]),
        chains=int(posterior.sizes["chain"]),
    )
