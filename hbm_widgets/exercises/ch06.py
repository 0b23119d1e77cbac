"""Exercises of chapter 06 (GCSE scores: maximum likelihood against Bayes)."""

from __future__ import annotations

import math
from functools import cache

from hbm_widgets.data import GroupedData, load_gcse
from hbm_widgets.exercises import Feedback, close_to, exercise


@cache
def _ml_fit():
    from hbm_widgets.gcse import fit_mixedlm

    data = GroupedData.from_frame(
        load_gcse(), group="school", outcome="course", predictor="female", missing="drop"
    )
    return fit_mixedlm(data)


@exercise("06", 1)
def girls_in_average_school(answer) -> Feedback:
    """ML estimate of a girl's expected coursework score in a typical school."""
    fit = _ml_fit()
    target = fit.fixed_effects["intercept"] + fit.fixed_effects["female"]
    return close_to(
        answer,
        target,
        right=0.05,
        close=1.0,
        hint="girls have female = 1: add the fixed intercept and the fixed female effect.",
    )


@exercise("06", 2)
def spread_of_girls_school_means(answer) -> Feedback:
    """ML estimate of the SD across schools of girls' expected scores."""
    fit = _ml_fit()
    sd_a, sd_b = fit.group_sds["intercept"], fit.group_sds["female"]
    target = math.sqrt(sd_a**2 + sd_b**2 + 2 * fit.correlation * sd_a * sd_b)
    feedback = close_to(
        answer,
        target,
        right=0.05,
        close=0.5,
        hint=(
            "a girl's school effect is u_j + v_j: its variance is var(u) + var(v) + "
            "2 cov(u, v), and the covariance is the correlation times both SDs."
        ),
    )
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return feedback
    # Leaving the covariance out, or adding it with the wrong sign, gives these values.
    without_covariance = math.hypot(sd_a, sd_b)
    wrong_sign = math.sqrt(sd_a**2 + sd_b**2 + 2 * abs(fit.correlation) * sd_a * sd_b)
    if feedback.verdict == "wrong" and without_covariance - 0.5 <= value <= wrong_sign + 0.5:
        return Feedback(
            "wrong",
            "that is too large: the intercepts and slopes are negatively correlated, so the "
            "covariance term makes the sum smaller, not larger.",
        )
    return feedback
