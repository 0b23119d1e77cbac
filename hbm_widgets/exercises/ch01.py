"""Exercises of chapter 01 (Bayes' rule and the conjugate normal posterior)."""

from __future__ import annotations

import math

from hbm_widgets.core.conjugate import conjugate_normal_posterior
from hbm_widgets.exercises import Feedback, close_to, exercise, reference_fit


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


# Exercise 3: the second class, where 27 of 40 students improved, with a Beta(2, 2) prior on
# the share who improve.
SECOND_CLASS_STUDENTS = 40
SECOND_CLASS_IMPROVED = 27
SHARE_PRIOR = (2.0, 2.0)


def second_class_model():
    """The model exercise 3 asks for: a Beta(2, 2) share and a binomial count."""
    import pymc as pm

    with pm.Model() as model:
        theta = pm.Beta("theta", alpha=SHARE_PRIOR[0], beta=SHARE_PRIOR[1])
        pm.Binomial("improved", n=SECOND_CLASS_STUDENTS, p=theta, observed=SECOND_CLASS_IMPROVED)
    return model


@reference_fit
def second_class_reference():
    """Exercise 3's model and the stored summary of its reference fit."""
    from hbm_widgets.exercises.fits import ReferenceFit

    return ReferenceFit.stored("01-3", second_class_model(), random_seed=101)


@exercise("01", 3)
def second_class_share(answer) -> Feedback:
    """The learner's Beta-Binomial model of the second class (27 of 40 improved), or its fit."""
    from hbm_widgets.exercises.fits import fit_feedback

    return fit_feedback(
        answer,
        second_class_reference(),
        compare=["theta"],
        hint=(
            "the share theta has a Beta(2, 2) prior, and the number who improved is binomial: "
            "40 students (the trials), each improving with probability theta, 27 of them did "
            "(the observed count)."
        ),
        hints={"theta": "name the share of students who improve theta."},
    )
