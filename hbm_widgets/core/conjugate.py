"""The conjugate normal model: a normal prior on a mean, normal data with known SD.

With prior ``mu ~ N(mu_0, sigma_0^2)`` and ``n`` observations with mean ``ybar`` from
``N(mu, sigma^2)``, the posterior is normal with

    precision = n / sigma^2 + 1 / sigma_0^2
    mean      = (n / sigma^2 * ybar + 1 / sigma_0^2 * mu_0) / precision
              = w * ybar + (1 - w) * mu_0,   w = (n / sigma^2) / precision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pymc as pm
from scipy import stats

from hbm_widgets.core.errors import WorkbookInputError

__all__ = [
    "NormalPosterior",
    "build_conjugate_model",
    "conjugate_curves",
    "conjugate_normal_posterior",
    "grid_posterior",
]


@dataclass(frozen=True)
class NormalPosterior:
    """Posterior of a normal mean: its mean, its SD and the weight on the data."""

    mean: float
    sd: float
    data_weight: float

    @property
    def variance(self) -> float:
        return self.sd**2


def _number(name: str, value, *, positive: bool = False, allow_inf: bool = False) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise WorkbookInputError(f"{name} must be a number, got {value!r}") from None
    if math.isnan(value) or (math.isinf(value) and not allow_inf):
        raise WorkbookInputError(f"{name} must be a finite number, got {value}")
    if positive and value <= 0:
        raise WorkbookInputError(f"{name} must be positive, got {value:g}")
    return value


def conjugate_normal_posterior(prior_mean, prior_sd, sigma, n, sample_mean) -> NormalPosterior:
    """Closed-form posterior of a normal mean with known data SD.

    Parameters
    ----------
    prior_mean, prior_sd : float
        The prior ``N(prior_mean, prior_sd^2)``; ``prior_sd=np.inf`` is a flat prior.
    sigma : float
        The known SD of one observation.
    n : int
        Number of observations (0 returns the prior).
    sample_mean : float
        Their mean (ignored when ``n == 0``).

    Examples
    --------
    >>> post = conjugate_normal_posterior(prior_mean=0, prior_sd=1, sigma=1, n=1, sample_mean=2)
    >>> post.mean, round(post.sd**2, 3), post.data_weight
    (1.0, 0.5, 0.5)
    """
    prior_mean = _number("prior_mean", prior_mean)
    prior_sd = _number("prior_sd", prior_sd, positive=True, allow_inf=True)
    sigma = _number("sigma", sigma, positive=True)
    n_float = _number("n", n)
    if n_float < 0 or n_float != int(n_float):
        raise WorkbookInputError(f"n must be a whole number >= 0, got {n!r}")
    n = int(n_float)
    if n == 0:
        if math.isinf(prior_sd):
            raise WorkbookInputError("with no data (n=0) a flat prior gives no posterior")
        return NormalPosterior(mean=prior_mean, sd=prior_sd, data_weight=0.0)
    sample_mean = _number("sample_mean", sample_mean)
    data_precision = n / sigma**2
    prior_precision = 0.0 if math.isinf(prior_sd) else 1 / prior_sd**2
    precision = data_precision + prior_precision
    weight = data_precision / precision
    return NormalPosterior(
        mean=weight * sample_mean + (1 - weight) * prior_mean,
        sd=math.sqrt(1 / precision),
        data_weight=weight,
    )


def conjugate_curves(
    prior_mean, prior_sd, sigma, n, sample_mean, *, points: int = 400
) -> pd.DataFrame:
    """Prior, likelihood and posterior densities of the mean on a shared grid.

    The likelihood is drawn as the density of ``N(sample_mean, sigma / sqrt(n))`` in the
    mean, so that all three curves are on the same scale. Returns a tidy frame with columns
    ``mean``, ``density`` and ``curve`` (``prior``, ``likelihood``, ``posterior``).
    """
    posterior = conjugate_normal_posterior(prior_mean, prior_sd, sigma, n, sample_mean)
    curves = {
        "prior": (float(prior_mean), float(prior_sd)),
        "posterior": (posterior.mean, posterior.sd),
    }
    if int(n) > 0:
        curves["likelihood"] = (float(sample_mean), float(sigma) / math.sqrt(int(n)))
    finite = [(m, s) for m, s in curves.values() if math.isfinite(s)]
    low = min(m - 4 * s for m, s in finite)
    high = max(m + 4 * s for m, s in finite)
    grid = np.linspace(low, high, points)
    frames = [
        pd.DataFrame({"mean": grid, "density": stats.norm(m, s).pdf(grid), "curve": name})
        for name, (m, s) in curves.items()
        if math.isfinite(s)
    ]
    return pd.concat(frames, ignore_index=True)


def grid_posterior(y, sigma, prior_mean, prior_sd, *, points: int = 2001) -> pd.DataFrame:
    """Grid approximation of the same posterior: prior times likelihood, normalised.

    The lesson's check on the closed form: evaluate the unnormalised log posterior on a fine
    grid of candidate means and normalise it so that it sums to one.
    Returns columns ``mean``, ``weight`` (summing to 1) and ``density``.
    """
    y = np.asarray(y, dtype=float)
    posterior = conjugate_normal_posterior(prior_mean, prior_sd, sigma, len(y), y.mean())
    grid = np.linspace(posterior.mean - 8 * posterior.sd, posterior.mean + 8 * posterior.sd, points)
    log_prior = stats.norm(prior_mean, prior_sd).logpdf(grid) if math.isfinite(prior_sd) else 0.0
    log_likelihood = stats.norm(grid[:, None], sigma).logpdf(y[None, :]).sum(axis=1)
    log_unnormalised = log_prior + log_likelihood
    weight = np.exp(log_unnormalised - log_unnormalised.max())
    weight /= weight.sum()
    return pd.DataFrame({"mean": grid, "weight": weight, "density": weight / (grid[1] - grid[0])})


def build_conjugate_model(y, sigma, prior_mean, prior_sd) -> pm.Model:
    """The same normal model in PyMC, so NUTS can be checked against the closed form."""
    with pm.Model(coords={"obs_id": np.arange(len(y))}) as model:
        mu = pm.Normal("mu", mu=prior_mean, sigma=prior_sd)
        pm.Normal("y", mu=mu, sigma=sigma, observed=np.asarray(y, dtype=float), dims="obs_id")
    return model
