"""Exercises of chapter 03 (the shrinkage factor and partial pooling).

Exercises 1-3 use the scales the chapter's fit shows (posterior means 13.82, 8.86 and
73.72), rounded to one decimal: sigma = 13.8, tau = 8.9 and mu = 73.7. Exercise 4 asks for
the partial-pooling model of the written-paper scores, written in PyMC and sampled.
"""

from __future__ import annotations

import math

from hbm_widgets.core.shrinkage import partial_pooling_estimate, shrinkage_factor
from hbm_widgets.exercises import Feedback, close_to, exercise, reference_fit

# The chapter's posterior means of sigma, sigma_alpha and mu_alpha, to one decimal.
# tests/test_ch03_exercises.py holds them to the values the stored chapter prints.
SIGMA = 13.8
TAU = 8.9
MU = 73.7


@exercise("03", 1)
def shrinkage_of_a_small_school(answer) -> Feedback:
    """B_k for a school of five pupils."""
    try:
        value = float(answer)
    except (TypeError, ValueError):
        value = None
    if value is not None and math.isfinite(value) and not 0 <= value <= 1:
        return Feedback("wrong", "a shrinkage factor lies between 0 and 1.")
    return close_to(
        answer,
        float(shrinkage_factor(SIGMA, TAU, 5)),
        right=0.005,
        close=0.03,
        hint="B is the sampling variance σ²/n over the total τ² + σ²/n.",
    )


@exercise("03", 2)
def partially_pooled_mean(answer) -> Feedback:
    """The same school's partial-pooling estimate when its own mean is 80.7."""
    target = float(partial_pooling_estimate(80.7, MU, SIGMA, TAU, 5))
    try:
        value = float(answer)
    except (TypeError, ValueError):
        value = None
    if value is not None and math.isfinite(value) and not MU <= value <= 80.7:
        return Feedback(
            "wrong",
            "a partially pooled mean lies between the school's own mean and μ: "
            "it is (1 − B) ȳ + B μ.",
        )
    return close_to(
        answer,
        target,
        right=0.05,
        close=0.5,
        hint="weight the school's own mean by 1 − B and μ by B, with B from exercise 1.",
    )


@exercise("03", 3)
def size_for_little_shrinkage(answer) -> Feedback:
    """The smallest school size whose shrinkage factor is below 0.1."""
    target = next(n for n in range(1, 10_000) if shrinkage_factor(SIGMA, TAU, n) < 0.1)
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return Feedback("wrong", f"expected a whole number of pupils, got {answer!r}")
    if value == target:
        return Feedback("right", "well done.")
    if not math.isfinite(value) or value != int(value):
        return Feedback("wrong", "a school size is a whole number.")
    if value < target:
        return Feedback(
            "wrong" if target - value > 2 else "close",
            "with that many pupils B is still 0.1 or more: solve σ²/n < τ²/9 for n.",
        )
    return Feedback(
        "wrong" if value - target > 2 else "close",
        "that is enough, but a smaller school already shrinks less than 0.1: find the smallest.",
    )


# Exercise 4: partial pooling of the written-paper scores.
WRITTEN_COMPARE = ("mu_alpha", "sigma_alpha", "sigma", "alpha")
WRITTEN_HINT = (
    "each school's intercept is drawn from a population of schools, "
    "alpha ~ Normal(mu_alpha, sigma_alpha) over the dim 'school', fitted to the written "
    "scores with the default priors that hbm.resolve_priors gives for those data."
)
WRITTEN_HINTS = {
    "mu_alpha": "partial pooling needs mu_alpha, the centre of the school intercepts.",
    "sigma_alpha": "partial pooling needs sigma_alpha, the spread of the school intercepts: "
    "it decides how far each school is pulled towards mu_alpha.",
}


def written_scores():
    """The GCSE written-paper scores by school, complete cases (as exercise 4 loads them)."""
    from hbm_widgets.core.data import GroupedData, load_gcse

    return GroupedData.from_frame(load_gcse(), group="school", outcome="written", missing="drop")


@reference_fit
def written_reference():
    """The partial-pooling model of the written scores, as the chapter writes it (centred),
    and the stored summary of its reference fit."""
    from hbm_widgets.core.build import build_model
    from hbm_widgets.core.spec import ModelSpec
    from hbm_widgets.exercises.fits import ReferenceFit

    spec = ModelSpec(pooling="partial", varying="intercept", parameterization="centered")
    return ReferenceFit.stored("03-4", build_model(spec, written_scores()), random_seed=20260301)


@exercise("03", 4)
def partial_pooling_of_written_scores(answer) -> Feedback:
    """The learner's partial-pooling fit (or model) of the written-paper scores."""
    from hbm_widgets.exercises.fits import fit_feedback

    return fit_feedback(
        answer,
        written_reference(),
        compare=WRITTEN_COMPARE,
        hint=WRITTEN_HINT,
        hints=WRITTEN_HINTS,
    )
