"""Exercises of chapter 03 (the shrinkage factor and partial pooling).

They use the GCSE fit's scales rounded to sigma = 13.8, tau = 8.9 and mu = 73.7.
"""

from __future__ import annotations

import math

from hbm_widgets.core.shrinkage import partial_pooling_estimate, shrinkage_factor
from hbm_widgets.exercises import Feedback, close_to, exercise

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
