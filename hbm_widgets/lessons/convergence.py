"""Convergence diagnostics taught by hand, and the runs of chapter 09 that fail on purpose.

The Gelman-Rubin statistic is written out here once, as a lesson: with ``M`` chains of
``N`` draws each,

    s_m^2  = 1 / (N - 1) * sum_n (theta_m^(n) - mean_m)^2      (the variance of chain m)
    W      = 1 / M * sum_m s_m^2                               (within-chain variance)
    B / N  = 1 / (M - 1) * sum_m (mean_m - grand mean)^2       (variance of the chain means)
    Var+   = (N - 1) / N * W + B / N                           (pooled estimate of the variance)
    R-hat  = sqrt(Var+ / W).

If every chain explores the whole posterior, the chain means agree, ``B / N`` is small and
``R-hat`` is close to 1; chains sitting in different places inflate ``Var+`` above ``W``.
Every other diagnostic (split and rank-normalised R-hat, bulk and tail ESS, MCSE, BFMI)
comes from ArviZ and is never re-implemented: :mod:`hbm_widgets.lessons.diagnostic_tables`
gathers its numbers into tables that charts, widgets and tests can read.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr

from hbm_widgets.core.errors import WorkbookInputError, check_whole_number

__all__ = [
    "GelmanRubin",
    "example_chains",
    "gelman_rubin",
    "gelman_rubin_steps",
    "metropolis_chains",
    "mixture_model",
    "rhat_methods",
]

ChainKind = Literal["mixed", "stuck", "trending", "heavy_tailed", "unequal_spread"]
CHAIN_KINDS: tuple[str, ...] = ("mixed", "stuck", "trending", "heavy_tailed", "unequal_spread")


# --------------------------------------------------------------------------------------
# The Gelman-Rubin statistic by hand
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GelmanRubin:
    """Each step of the Gelman-Rubin statistic for one parameter.

    Attributes
    ----------
    chain_means, chain_variances : ndarray, shape (chains,)
        Each chain's mean and its variance ``s_m^2`` (divisor ``N - 1``).
    within : float
        ``W``, the average within-chain variance.
    between_over_n : float
        ``B / N``, the variance of the chain means (divisor ``M - 1``).
    var_plus : float
        ``Var+ = (N - 1) / N * W + B / N``.
    rhat : float
        ``sqrt(Var+ / W)``.
    chains, draws : int
        ``M`` and ``N``.
    """

    chain_means: np.ndarray
    chain_variances: np.ndarray
    within: float
    between_over_n: float
    var_plus: float
    rhat: float
    chains: int
    draws: int

    def to_frame(self) -> pd.DataFrame:
        """The steps as a two-column table (``quantity``, ``value``)."""
        rows = [
            ("M (chains)", self.chains),
            ("N (draws per chain)", self.draws),
            *((f"mean of chain {m}", v) for m, v in enumerate(self.chain_means)),
            *((f"s² of chain {m}", v) for m, v in enumerate(self.chain_variances)),
            ("W", self.within),
            ("B / N", self.between_over_n),
            ("Var+", self.var_plus),
            ("R-hat", self.rhat),
        ]
        return pd.DataFrame(rows, columns=["quantity", "value"])


def _as_chain_array(draws) -> np.ndarray:
    try:
        array = np.asarray(draws, dtype=float)
    except (TypeError, ValueError):
        raise WorkbookInputError(
            f"draws must be numbers in an array of shape (chains, draws), got {draws!r}"
        ) from None
    if array.ndim != 2:
        raise WorkbookInputError(
            f"draws must have shape (chains, draws), got an array of shape {array.shape}"
        )
    chains, n = array.shape
    if chains < 2:
        raise WorkbookInputError(f"R-hat compares chains: need at least 2 chains, got {chains}")
    if n < 2:
        raise WorkbookInputError(f"each chain needs at least 2 draws, got {n}")
    if not np.isfinite(array).all():
        raise WorkbookInputError("draws must all be finite numbers (found NaN or infinity)")
    return array


def gelman_rubin_steps(draws) -> GelmanRubin:
    """Compute the classic (not split, not rank-normalised) Gelman-Rubin statistic step by step.

    Parameters
    ----------
    draws : array-like, shape (chains, draws)
        One row per chain, at least two chains of at least two draws.

    Returns
    -------
    GelmanRubin

    Raises
    ------
    WorkbookInputError
        The array is not two-dimensional, has fewer than two chains or draws, holds a value
        that is not finite, or every chain is constant (``W = 0``).

    Examples
    --------
    >>> steps = gelman_rubin_steps([[1.0, 2.0, 3.0, 4.0], [3.0, 4.0, 5.0, 6.0]])
    >>> round(steps.within, 4), steps.between_over_n, steps.var_plus
    (1.6667, 2.0, 3.25)
    >>> round(steps.rhat, 4)
    1.3964
    """
    array = _as_chain_array(draws)
    chains, n = array.shape
    chain_means = array.mean(axis=1)
    # s_m^2: each chain's variance around its own mean, divisor N - 1.
    chain_variances = ((array - chain_means[:, None]) ** 2).sum(axis=1) / (n - 1)
    within = float(chain_variances.mean())
    if within == 0:
        raise WorkbookInputError(
            "every chain is constant (within-chain variance W = 0), so R-hat is undefined"
        )
    grand_mean = chain_means.mean()
    between_over_n = float(((chain_means - grand_mean) ** 2).sum() / (chains - 1))
    var_plus = (n - 1) / n * within + between_over_n
    return GelmanRubin(
        chain_means=chain_means,
        chain_variances=chain_variances,
        within=within,
        between_over_n=between_over_n,
        var_plus=float(var_plus),
        rhat=float(math.sqrt(var_plus / within)),
        chains=chains,
        draws=n,
    )


def gelman_rubin(draws) -> float:
    """The classic Gelman-Rubin R-hat of chains given as an array of shape (chains, draws).

    See :func:`gelman_rubin_steps` for the working; this returns its last line.

    Examples
    --------
    >>> import numpy as np
    >>> chains = np.random.default_rng(1).normal(size=(4, 2000))  # four well-mixed chains
    >>> gelman_rubin(chains) < 1.01
    True
    >>> gelman_rubin(chains + np.array([[0.0], [0.0], [0.0], [3.0]])) > 1.1  # one stuck elsewhere
    True
    """
    return gelman_rubin_steps(draws).rhat


def example_chains(
    kind: ChainKind,
    *,
    chains: int = 4,
    draws: int = 1000,
    rng: np.random.Generator,
) -> np.ndarray:
    """Artificial chains (shape ``(chains, draws)``) that show what each R-hat can see.

    ``mixed``
        Independent standard normal draws in every chain: the ideal.
    ``stuck``
        Chain ``m`` sits around its own centre, evenly spaced between -1.5 and 1.5.
    ``trending``
        Every chain drifts from -2 to 2 over its length (plus noise): all chains share the
        same mean, so comparing whole chains misses the drift; comparing halves catches it.
    ``heavy_tailed``
        Standard Cauchy draws, the first chain shifted by 2: its huge outliers swamp the
        variances the classic statistic compares; ranks are not swayed by them.
    ``unequal_spread``
        Normal draws with the same centre, the first chain three times as wide.
    """
    if kind not in CHAIN_KINDS:
        raise WorkbookInputError(
            f"unknown kind {kind!r}; expected one of: {', '.join(CHAIN_KINDS)}"
        )
    chains = check_whole_number("chains", chains, low=2)
    draws = check_whole_number("draws", draws, low=4)
    if not isinstance(rng, np.random.Generator):
        raise WorkbookInputError(f"rng must be a numpy.random.Generator, got {rng!r}")
    shape = (chains, draws)
    first_only = np.zeros((chains, 1))
    first_only[0] = 1.0
    if kind == "mixed":
        return rng.normal(size=shape)
    if kind == "stuck":
        return rng.normal(size=shape) + np.linspace(-1.5, 1.5, chains)[:, None]
    if kind == "trending":
        return rng.normal(size=shape) + np.linspace(-2.0, 2.0, draws)[None, :]
    if kind == "heavy_tailed":
        return rng.standard_cauchy(size=shape) + 2.0 * first_only
    return rng.normal(size=shape) * (1.0 + 2.0 * first_only)


def rhat_methods(draws) -> pd.DataFrame:
    """R-hat of the same chains by hand and by each of ArviZ's methods.

    Returns one row per method (``method``, ``rhat``, ``what it compares``): the hand
    computation, ArviZ's ``identity`` (the same classic formula), ``split`` (each chain cut
    in two halves), and ``rank`` (ArviZ's default: split chains, rank-normalised, and the
    larger of that and the same on folded draws ``|theta - median|``).
    """
    array = _as_chain_array(draws)
    rows = [
        ("by hand (classic)", gelman_rubin(array), "whole chains, raw values"),
        ("ArviZ identity", float(az.rhat(array, method="identity")), "whole chains, raw values"),
        ("ArviZ split", float(az.rhat(array, method="split")), "half chains, raw values"),
        (
            "ArviZ rank",
            float(az.rhat(array, method="rank")),
            "half chains, ranks of the values and of their distance from the median",
        ),
    ]
    return pd.DataFrame(rows, columns=["method", "rhat", "what it compares"])


# --------------------------------------------------------------------------------------
# Runs that fail on purpose
# --------------------------------------------------------------------------------------


def metropolis_chains(
    log_target: Callable[[float], float],
    starts: Sequence[float],
    *,
    proposal_sd: float,
    steps: int,
    rng: np.random.Generator,
    warmup: int = 0,
    var_name: str = "mu",
) -> xr.DataTree:
    """Random-walk Metropolis-Hastings chains from several starts, as one DataTree.

    Runs :func:`hbm_widgets.metropolis_hastings` once per start (one after the other, all
    drawing from ``rng``), drops the first ``warmup`` steps of each and stacks the chains
    with ArviZ (posterior ``var_name`` and sample stat ``accepted``). The acceptance rate
    of each chain (over all its steps) is kept in ``posterior.attrs["acceptance_rate"]``.
    """
    from hbm_widgets.lessons.metropolis import chains_to_idata, metropolis_hastings

    starts = list(starts)
    if len(starts) < 2:
        raise WorkbookInputError(
            f"give at least two starts so that chains can be compared, got {len(starts)}"
        )
    results = [
        metropolis_hastings(log_target, start, proposal_sd=proposal_sd, steps=steps, rng=rng)
        for start in starts
    ]
    idata = chains_to_idata(results, warmup=warmup, var_name=var_name)
    idata["posterior"].attrs["acceptance_rate"] = [r.acceptance_rate for r in results]
    idata["posterior"].attrs["starts"] = [float(s) for s in starts]
    return idata


def mixture_model(y, *, ordered: bool = False, sigma: float = 1.0, prior_sd: float = 5.0):
    """An equal-weight mixture of two normals with unknown means and known ``sigma``.

    Both means get the same prior ``N(0, prior_sd^2)``, so nothing in the model says which
    component is which: swapping the labels gives the same posterior density, which then
    has two mirror-image modes (label switching). ``ordered=True`` identifies the model
    by requiring ``mu[0] < mu[1]`` (PyMC's ordered transform), which keeps one of them.

    The means are ``mu`` with dims ``component``; the observations ``y`` with dims
    ``obs_id``.
    """
    y = np.asarray(y, dtype=float)
    if y.ndim != 1 or y.size < 2 or not np.isfinite(y).all():
        raise WorkbookInputError(
            f"y must be a 1-d array of at least two finite numbers, got shape {y.shape}"
        )
    for name, value in (("sigma", sigma), ("prior_sd", prior_sd)):
        if not (isinstance(value, numbers.Real) and math.isfinite(value) and value > 0):
            raise WorkbookInputError(f"{name} must be a positive number, got {value!r}")
    coords = {"component": [0, 1], "obs_id": np.arange(y.size)}
    with pm.Model(coords=coords) as model:
        if ordered:
            mu = pm.Normal(
                "mu",
                mu=0.0,
                sigma=prior_sd,
                dims="component",
                transform=pm.distributions.transforms.ordered,
                initval=np.array([-1.0, 1.0]),
            )
        else:
            mu = pm.Normal("mu", mu=0.0, sigma=prior_sd, dims="component")
        pm.NormalMixture("y", w=np.array([0.5, 0.5]), mu=mu, sigma=sigma, observed=y, dims="obs_id")
    return model
