"""Closed forms for the normal two-level model: the shrinkage factor and partial pooling.

With group means ``ybar_k`` of ``n_k`` observations, residual SD ``sigma`` and a normal
population of group means with centre ``mu`` and SD ``tau``, the posterior mean of group
``k``'s mean is the precision-weighted compromise

    theta_k = (1 - B_k) * ybar_k + B_k * mu,   B_k = (sigma^2 / n_k) / (tau^2 + sigma^2 / n_k).

``B_k`` near 1 (small ``tau`` or small ``n_k``) is complete pooling, near 0 no pooling.
"""

from __future__ import annotations

import numpy as np

from hbm_widgets.core.errors import WorkbookInputError, check_number

__all__ = ["partial_pooling_estimate", "shrinkage_factor"]


def _check(name: str, value, *, allow_zero: bool = False, allow_inf: bool = False) -> np.ndarray:
    wanted = "a number or an array of numbers"
    if isinstance(value, bool | str | bytes):
        raise WorkbookInputError(f"{name} must be {wanted}, got {value!r}")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise WorkbookInputError(f"{name} must be {wanted}, got {value!r}") from None
    if np.isnan(array).any():
        raise WorkbookInputError(f"{name} must be a number, got {value!r}")
    bad = array < 0 if allow_zero else array <= 0
    if bad.any():
        wanted = "zero or positive" if allow_zero else "positive"
        raise WorkbookInputError(f"{name} must be {wanted}, got {array[bad].flat[0]:g}")
    if not allow_inf and np.isinf(array).any():
        raise WorkbookInputError(f"{name} must be finite, got {value!r}")
    return array


def _real(name: str, value) -> np.ndarray:
    """Finite numbers of any sign (group means), as an array."""
    if isinstance(value, bool | str | bytes):
        raise WorkbookInputError(f"{name} must be a number or an array of numbers, got {value!r}")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise WorkbookInputError(
            f"{name} must be a number or an array of numbers, got {value!r}"
        ) from None
    if not np.isfinite(array).all():
        raise WorkbookInputError(f"{name} must be finite, got {value!r}")
    return array


def shrinkage_factor(sigma, tau, n):
    """The weight ``B_k`` a group's estimate puts on the population mean.

    Parameters
    ----------
    sigma : float
        Residual (within-group) standard deviation, > 0.
    tau : float or array
        Standard deviation of the group means, >= 0; ``np.inf`` gives no pooling.
    n : int or array
        Group sizes, > 0.

    Returns
    -------
    float or ndarray
        ``(sigma**2 / n) / (tau**2 + sigma**2 / n)``, in [0, 1].

    Examples
    --------
    >>> float(shrinkage_factor(sigma=1.0, tau=1.0, n=1))
    0.5
    >>> shrinkage_factor(sigma=1.0, tau=0.5, n=[1, 4, 16]).round(3).tolist()
    [0.8, 0.5, 0.2]
    """
    sigma = _check("sigma", sigma)
    tau = _check("tau", tau, allow_zero=True, allow_inf=True)
    n = _check("n", n)
    sampling_variance = sigma**2 / n
    with np.errstate(invalid="ignore"):
        factor = sampling_variance / (tau**2 + sampling_variance)
    factor = np.where(np.isinf(tau), 0.0, factor)
    return factor[()] if factor.ndim == 0 else factor


def partial_pooling_estimate(group_mean, mu, sigma, tau, n):
    """``(1 - B_k) * group_mean + B_k * mu``: each group's partially pooled mean.

    Examples
    --------
    >>> float(partial_pooling_estimate(group_mean=2.0, mu=0.0, sigma=1.0, tau=1.0, n=1))
    1.0
    """
    factor = shrinkage_factor(sigma, tau, n)
    group_mean = _real("group_mean", group_mean)
    mu = check_number("mu", mu)
    estimate = (1 - factor) * group_mean + factor * mu
    return estimate[()] if np.ndim(estimate) == 0 else estimate
