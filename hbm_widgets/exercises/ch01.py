"""Exercises of chapter 01 (Bayes' rule and the conjugate normal posterior)."""

from __future__ import annotations

import math

from hbm_widgets.core.conjugate import conjugate_normal_posterior
from hbm_widgets.exercises import Feedback, close_to, exercise


@exercise("01", 1)
def data_weight(answer) -> Feedback:
    """Weight on the sample mean with prior N(0, 10^2), sigma = 15, n = 20."""
    target = conjugate_normal_posterior(0, 10, 15, 20, 0).data_weight
    return close_to(
        answer,
        target,
        right=0.005,
        close=0.05,
        hint="α is the data's precision n/σ² divided by the total precision n/σ² + 1/σ₀².",
    )


@exercise("01", 2)
def sample_size_for_weight(answer) -> Feedback:
    """Smallest n giving a data weight of at least 0.95 with the same prior and sigma."""
    target = next(
        n
        for n in range(1, 10_000)
        if conjugate_normal_posterior(0, 10, 15, n, 0).data_weight >= 0.95
    )
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return Feedback("wrong", f"expected a whole number of observations, got {answer!r}")
    if value == target:
        return Feedback("right", "well done.")
    if not math.isfinite(value) or value != int(value):
        return Feedback("wrong", "a sample size is a whole number.")
    if value < target:
        return Feedback(
            "wrong" if target - value > 3 else "close",
            "with that many observations α is still below 0.95: solve α ≥ 0.95 for n.",
        )
    return Feedback(
        "wrong" if value - target > 3 else "close",
        "that is enough, but a smaller n already reaches 0.95: find the smallest one.",
    )
