"""Exercises of chapter 06 (GCSE scores: maximum likelihood against Bayes)."""

from __future__ import annotations

import math
from functools import cache

from hbm_widgets.core.data import GroupedData, load_gcse
from hbm_widgets.core.spec import ModelSpec
from hbm_widgets.exercises import Feedback, close_to, exercise


@cache
def _ml_estimates() -> dict[str, float]:
    """Maximum-likelihood estimates of the chapter's model on the complete cases."""
    from hbm_widgets.lessons.mixedlm import fit_mixedlm

    data = GroupedData.from_frame(
        load_gcse(), group="school", outcome="course", predictor="female", missing="drop"
    )
    spec = ModelSpec(pooling="partial", varying="both")
    return fit_mixedlm(data, spec, reml=False).estimates()["estimate"].to_dict()


@exercise("06", 1)
def girls_in_average_school(answer) -> Feedback:
    """ML estimate of a girl's expected coursework score in a typical school."""
    ml = _ml_estimates()
    target = ml["mu_alpha"] + ml["mu_beta"]
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
    ml = _ml_estimates()
    sd_a, sd_b, rho = ml["sigma_alpha"], ml["sigma_beta"], ml["rho"]
    target = math.sqrt(sd_a**2 + sd_b**2 + 2 * rho * sd_a * sd_b)
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
    wrong_sign = math.sqrt(sd_a**2 + sd_b**2 + 2 * abs(rho) * sd_a * sd_b)
    if feedback.verdict == "wrong" and without_covariance - 0.5 <= value <= wrong_sign + 0.5:
        return Feedback(
            "wrong",
            "that is too large: the intercepts and slopes are negatively correlated, so the "
            "covariance term makes the sum smaller, not larger.",
        )
    return feedback
