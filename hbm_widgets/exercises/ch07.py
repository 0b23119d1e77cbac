"""Exercises of chapter 07 (priors on scales and correlations, fake-data recovery)."""

from __future__ import annotations

import functools
import math

from scipy import stats

from hbm_widgets.exercises import Feedback, close_to, exercise, reference_fit


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


# Exercise 4: the chapter's cafes model with an LKJ(eta = 20) prior on the correlation, fitted
# to the chapter's fake waits (its default design, truths and seed).
CAFE_SEED = 4321
N_CAFES = 20
VISITS_PER_CAFE = 10
CAFE_TRUTH = {"a": 3.5, "b": -1.0, "sigma_a": 1.0, "sigma_b": 0.5, "rho": -0.7, "sigma": 0.5}
STRONG_ETA = 20.0


def cafe_model(eta: float):
    """The chapter's cafes model, before any data: non-centred, with an LKJ(eta) prior."""
    import numpy as np
    import pymc as pm

    coords = {
        "cafe": [f"cafe {j:02d}" for j in range(N_CAFES)],
        "effect": ["intercept", "slope"],
        "visit": np.arange(N_CAFES * VISITS_PER_CAFE),
    }
    with pm.Model(coords=coords) as model:
        cafe_idx = pm.Data("cafe_idx", np.repeat(np.arange(N_CAFES), VISITS_PER_CAFE), dims="visit")
        afternoon = pm.Data(
            "afternoon", np.tile(np.arange(VISITS_PER_CAFE) % 2, N_CAFES), dims="visit"
        )
        mu_cafe = pm.Normal("mu_cafe", mu=[5.0, -1.0], sigma=[2.0, 0.5], dims="effect")
        chol, corr, stds = pm.LKJCholeskyCov(
            "chol_cov",
            n=2,
            eta=eta,
            sd_dist=pm.Exponential.dist(1.0, shape=2),
            compute_corr=True,
            store_in_trace=False,
        )
        pm.Deterministic("sigma_cafe", stds, dims="effect")
        pm.Deterministic("rho", corr[0, 1])
        z_cafe = pm.Normal("z_cafe", 0.0, 1.0, dims=("cafe", "effect"))
        cafe_effects = pm.Deterministic(
            "cafe_effects", mu_cafe + z_cafe @ chol.T, dims=("cafe", "effect")
        )
        sigma = pm.Exponential("sigma", 1.0)
        pm.Normal(
            "wait",
            mu=cafe_effects[cafe_idx, 0] + cafe_effects[cafe_idx, 1] * afternoon,
            sigma=sigma,
            dims="visit",
        )
    return model


@functools.cache
def cafe_fake_wait():
    """The chapter's fake waits: drawn from the model with the population values fixed."""
    import numpy as np
    import pymc as pm

    t = CAFE_TRUTH
    covariance = np.array(
        [
            [t["sigma_a"] ** 2, t["rho"] * t["sigma_a"] * t["sigma_b"]],
            [t["rho"] * t["sigma_a"] * t["sigma_b"], t["sigma_b"] ** 2],
        ]
    )
    true_model = pm.do(
        cafe_model(2.0),
        {
            "mu_cafe": np.array([t["a"], t["b"]]),
            "chol_cov": np.linalg.cholesky(covariance)[np.tril_indices(2)],
            "sigma": t["sigma"],
        },
    )
    _, wait = pm.draw([true_model["cafe_effects"], true_model["wait"]], random_seed=CAFE_SEED)
    return wait


@reference_fit
def strong_eta_reference():
    """Exercise 4's model and the stored summary of its reference fit."""
    import pymc as pm

    from hbm_widgets.exercises.fits import ReferenceFit

    model = pm.observe(cafe_model(STRONG_ETA), {"wait": cafe_fake_wait()})
    return ReferenceFit.stored("07-4", model, random_seed=707, target_accept=0.9)


@exercise("07", 4)
def strong_eta_cafes(answer) -> Feedback:
    """The learner's cafes model with an LKJ(20) prior on the correlation, or its fit."""
    from hbm_widgets.exercises.fits import fit_feedback

    return fit_feedback(
        answer,
        strong_eta_reference(),
        compare=["rho", "sigma_cafe", "mu_cafe"],
        hint=(
            "keep the chapter's cafes model as it is (its priors, its non-centred effects and "
            "the same fake waits through pm.observe) and change only eta, the shape of the "
            "LKJ prior in pm.LKJCholeskyCov, to 20."
        ),
        hints={
            "rho": "keep the correlation as a Deterministic named rho: corr[0, 1].",
            "sigma_cafe": "keep the standard deviations as a Deterministic named sigma_cafe.",
        },
    )
