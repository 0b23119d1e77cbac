"""Exercises of chapter 07 (priors on scales and correlations, fake-data recovery)."""

from __future__ import annotations

import math

from scipy import stats

from hbm_widgets.exercises import Feedback, close_to, exercise


@exercise("07", 1)
def half_cauchy_tail(answer) -> Feedback:
    """P(sigma > 5) under a HalfCauchy prior with scale 1."""
    target = 1 - 2 / math.pi * math.atan(5.0)
    return close_to(
        answer,
        target,
        right=0.002,
        close=0.02,
        hint="P(σ > t) is 1 minus the CDF at t; a half-Cauchy with scale β has CDF "
        "(2/π)·arctan(t/β).",
    )


@exercise("07", 2)
def lkj_strong_correlation(answer) -> Feedback:
    """P(|rho| > 0.5) for the correlation of a 2 x 2 LKJ(eta = 2) matrix."""
    beta = stats.beta(2, 2)
    target = float(beta.cdf(0.25) + beta.sf(0.75))
    return close_to(
        answer,
        target,
        right=0.005,
        close=0.03,
        hint="for a 2 × 2 matrix, (ρ + 1)/2 follows a Beta(η, η) distribution: add the "
        "two tails, ρ < -0.5 and ρ > 0.5.",
    )


@exercise("07", 3)
def exponential_rate_from_range(answer) -> Feedback:
    """The rate of the Exponential prior with 90% of its mass below 2."""
    target = math.log(10) / 2
    return close_to(
        answer,
        target,
        right=0.005,
        close=0.05,
        hint="an exponential with rate λ has P(σ ≤ u) = 1 − exp(−λu); set that to 0.9 at "
        "u = 2 and solve for λ.",
    )
