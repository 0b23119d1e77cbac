"""Shrinkage factor and conjugate normal posterior against their closed forms and limits."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from hbm_widgets import (
    WorkbookInputError,
    conjugate_normal_posterior,
    partial_pooling_estimate,
    shrinkage_factor,
)


def test_shrinkage_factor_closed_form():
    sigma, tau, n = 0.8, 0.3, np.array([1, 2, 5, 40])
    expected = (sigma**2 / n) / (tau**2 + sigma**2 / n)
    np.testing.assert_allclose(shrinkage_factor(sigma, tau, n), expected)
    # The two forms in the derivation are the same number.
    np.testing.assert_allclose(expected, (1 / tau**2) / (n / sigma**2 + 1 / tau**2))


def test_small_groups_shrink_more():
    factors = shrinkage_factor(1.0, 0.5, np.arange(1, 50))
    assert np.all(np.diff(factors) < 0)
    assert np.all((factors > 0) & (factors < 1))


def test_shrinkage_limits():
    assert shrinkage_factor(1.0, 0.0, 10) == 1.0  # tau -> 0: complete pooling
    assert shrinkage_factor(1.0, np.inf, 10) == 0.0  # tau -> infinity: no pooling
    assert shrinkage_factor(1.0, 1e-6, 10) == pytest.approx(1.0)
    assert shrinkage_factor(1.0, 1e6, 10) == pytest.approx(0.0)


def test_partial_pooling_estimate_lies_between_group_mean_and_mu():
    ybar, mu = np.array([3.0, -1.0, 0.5]), 1.0
    estimate = partial_pooling_estimate(ybar, mu, sigma=1.0, tau=0.7, n=np.array([2, 8, 30]))
    low, high = np.minimum(ybar, mu), np.maximum(ybar, mu)
    assert np.all((estimate >= low) & (estimate <= high))
    np.testing.assert_allclose(partial_pooling_estimate(ybar, mu, 1.0, 0.0, 5), mu)
    np.testing.assert_allclose(partial_pooling_estimate(ybar, mu, 1.0, np.inf, 5), ybar)
    # Precision-weighted form from the derivation.
    n, sigma, tau = 8, 1.0, 0.7
    direct = (n * ybar / sigma**2 + mu / tau**2) / (n / sigma**2 + 1 / tau**2)
    np.testing.assert_allclose(partial_pooling_estimate(ybar, mu, sigma, tau, n), direct)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sigma": 0, "tau": 1, "n": 1}, "sigma must be positive, got 0"),
        ({"sigma": 1, "tau": -0.5, "n": 1}, "tau must be zero or positive, got -0.5"),
        ({"sigma": 1, "tau": 1, "n": [3, 0]}, "n must be positive, got 0"),
        ({"sigma": float("nan"), "tau": 1, "n": 1}, "sigma must be a number"),
    ],
)
def test_shrinkage_bad_input(kwargs, message):
    with pytest.raises(WorkbookInputError, match=message):
        shrinkage_factor(**kwargs)


def test_conjugate_posterior_closed_form():
    post = conjugate_normal_posterior(
        prior_mean=1.0, prior_sd=2.0, sigma=3.0, n=10, sample_mean=4.0
    )
    precision = 10 / 9 + 1 / 4
    assert post.sd == pytest.approx(precision**-0.5)
    assert post.mean == pytest.approx((10 / 9 * 4.0 + 1 / 4 * 1.0) / precision)
    assert post.data_weight == pytest.approx((10 / 9) / precision)
    assert post.mean == pytest.approx(post.data_weight * 4.0 + (1 - post.data_weight) * 1.0)


def test_conjugate_posterior_matches_a_grid():
    rng = np.random.default_rng(5)
    y = rng.normal(2.0, 1.5, size=12)
    post = conjugate_normal_posterior(0.0, 1.0, 1.5, len(y), y.mean())
    grid = np.linspace(-4, 6, 20001)
    log_post = stats.norm(0, 1).logpdf(grid) + stats.norm(grid[:, None], 1.5).logpdf(y).sum(1)
    weights = np.exp(log_post - log_post.max())
    weights /= weights.sum()
    grid_mean = (grid * weights).sum()
    assert grid_mean == pytest.approx(post.mean, abs=1e-6)
    assert np.sqrt(((grid - grid_mean) ** 2 * weights).sum()) == pytest.approx(post.sd, abs=1e-6)


def test_conjugate_limits():
    # A flat prior gives the sample mean and the standard error.
    flat = conjugate_normal_posterior(0.0, np.inf, 2.0, 16, 3.0)
    assert (flat.mean, flat.sd, flat.data_weight) == (3.0, 0.5, 1.0)
    # A huge prior SD approaches it.
    assert conjugate_normal_posterior(0.0, 1e8, 2.0, 16, 3.0).mean == pytest.approx(3.0)
    # No data gives back the prior.
    none = conjugate_normal_posterior(1.0, 2.0, 3.0, 0, 99.0)
    assert (none.mean, none.sd, none.data_weight) == (1.0, 2.0, 0.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"prior_sd": -1}, "prior_sd must be positive, got -1"),
        ({"sigma": 0}, "sigma must be positive, got 0"),
        ({"n": 2.5}, "n must be a whole number >= 0, got 2.5"),
        ({"n": -3}, "n must be a whole number >= 0, got -3"),
        ({"sample_mean": "high"}, "sample_mean must be a number, got 'high'"),
    ],
)
def test_conjugate_bad_input(kwargs, message):
    args = {"prior_mean": 0, "prior_sd": 1, "sigma": 1, "n": 5, "sample_mean": 0.3} | kwargs
    with pytest.raises(WorkbookInputError, match=message):
        conjugate_normal_posterior(**args)
