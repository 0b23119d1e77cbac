"""Exercises of chapter 02 (Monte Carlo error, Metropolis-Hastings and a model in PyMC).

The first three use the chapter's target, chapter 01's posterior rounded to N(7.43, 3.18^2).
The fourth asks for a model: chapter 01's class with the spread of the scores unknown too.
"""

from __future__ import annotations

import math

import numpy as np

from hbm_widgets.exercises import Feedback, close_to, exercise, reference_fit

POSTERIOR_MEAN = 7.43
POSTERIOR_SD = 3.18


def _number(answer) -> float | None:
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


@exercise("02", 1)
def draws_for_standard_error(answer) -> Feedback:
    """Independent draws needed for a standard error of the mean of at most 0.05."""
    target = math.ceil((POSTERIOR_SD / 0.05) ** 2)
    value = _number(answer)
    if value is None:
        return Feedback("wrong", f"expected a number of draws, got {answer!r}")
    if abs(value - target) <= 5:
        return Feedback("right", "well done.")
    hint = "the standard error of a mean of n independent draws is SD/√n: solve SD/√n ≤ 0.05."
    if abs(value - target) <= 0.1 * target:
        return Feedback("close", f"nearly: check your rounding. {hint}")
    if abs(value - math.sqrt(target)) <= 2:
        return Feedback("wrong", f"the error falls like 1/√n, so n is a square. {hint}")
    return Feedback("wrong", hint)


@exercise("02", 2)
def acceptance_probability(answer) -> Feedback:
    """Probability of accepting a move from 5 to 12 under the target N(7.43, 3.18^2)."""

    def log_density(mu: float) -> float:
        return -0.5 * ((mu - POSTERIOR_MEAN) / POSTERIOR_SD) ** 2

    target = min(1.0, math.exp(log_density(12.0) - log_density(5.0)))
    value = _number(answer)
    if value is not None and not 0 <= value <= 1:
        return Feedback("wrong", "an acceptance probability lies between 0 and 1.")
    return close_to(
        answer,
        target,
        right=0.005,
        close=0.03,
        hint=(
            "the proposal is symmetric, so only the ratio of target densities at 12 and at 5 "
            "counts (the normalising constant cancels); take min(1, ratio)."
        ),
    )


@exercise("02", 3)
def monte_carlo_standard_error(answer) -> Feedback:
    """MCSE of the mean of 4000 correlated draws with SD 3.18 and an ESS of 1000."""
    target = POSTERIOR_SD / math.sqrt(1000)
    value = _number(answer)
    if value is not None and abs(value - POSTERIOR_SD / math.sqrt(4000)) < 0.002:
        return Feedback(
            "wrong",
            "that treats all 4000 draws as independent; correlated draws carry less "
            "information: use the effective sample size.",
        )
    return close_to(
        answer,
        target,
        right=0.002,
        close=0.01,
        hint="the MCSE of a mean is the SD over the square root of the effective sample size.",
    )


# Chapter 01's simulated class, drawn as the chapter draws it: its seed, its first call.
CLASS_SEED = 8927
CLASS_TRUE_MEAN = 6.0
CLASS_SIGMA = 15.0
CLASS_SIZE = 20
SIGMA_PRIOR_SCALE = 20.0


def class_improvements() -> np.ndarray:
    """The improvements of chapter 01's simulated class of 20 students."""
    rng = np.random.default_rng(CLASS_SEED)
    return rng.normal(CLASS_TRUE_MEAN, CLASS_SIGMA, size=CLASS_SIZE)


def unknown_sigma_model(improvements):
    """Exercise 4's model: the class's mean and spread both unknown."""
    import pymc as pm

    coords = {"student": np.arange(len(improvements))}
    with pm.Model(coords=coords) as model:
        improvement = pm.Data("improvement", improvements, dims="student")
        mu = pm.Normal("mu", mu=0.0, sigma=10.0)
        sigma = pm.HalfNormal("sigma", sigma=SIGMA_PRIOR_SCALE)
        pm.Normal("y", mu=mu, sigma=sigma, observed=improvement, dims="student")
    return model


@reference_fit
def _unknown_sigma_reference():
    from hbm_widgets.exercises.fits import ReferenceFit

    return ReferenceFit.stored("02-4", unknown_sigma_model(class_improvements()), random_seed=20402)


@exercise("02", 4)
def unknown_sigma(answer) -> Feedback:
    """The normal model with sigma unknown (HalfNormal(20)), fitted or as a model."""
    from hbm_widgets.exercises.fits import fit_feedback

    return fit_feedback(
        answer,
        _unknown_sigma_reference(),
        compare=["mu", "sigma"],
        hint=(
            "keep mu ~ Normal(0, 10) and the likelihood of chapter 01, but give sigma a "
            "prior, HalfNormal with scale 20, instead of fixing it at 15; name the variables "
            "mu and sigma and the observed scores y."
        ),
        hints={
            "sigma": "the spread of the scores is unknown here: sigma is a parameter with a "
            "prior, not the fixed number 15",
        },
    )
