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

from hbm_widgets.errors import WorkbookInputError

__all__ = ["NormalPosterior", "conjugate_normal_posterior"]


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
