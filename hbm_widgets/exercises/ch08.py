"""Exercises of chapter 08 (a Monte Carlo study of priors)."""

from __future__ import annotations

import math

from hbm_widgets.core.conjugate import conjugate_normal_posterior
from hbm_widgets.exercises import Feedback, close_to, exercise


@exercise("08", 1)
def coverage_mcse(answer) -> Feedback:
    """Monte Carlo standard error of a 90% interval's coverage over 300 simulations."""
    target = math.sqrt(0.9 * 0.1 / 300)
    return close_to(
        answer,
        target,
        right=0.0005,
        close=0.003,
        hint="each simulation covers the truth or not, a Bernoulli trial with p = 0.9: "
        "the SE of a share of n such trials is sqrt(p(1 − p)/n).",
    )


@exercise("08", 2)
def prior_pull(answer) -> Feedback:
    """Bias of the posterior mean: likelihood SE 0.3 around the truth 1, prior N(2, 1)."""
    posterior = conjugate_normal_posterior(2.0, 1.0, 0.3, 1, 1.0)
    target = posterior.mean - 1.0
    return close_to(
        answer,
        target,
        right=0.002,
        close=0.01,
        hint="treat the likelihood as one observation equal to the truth with SD 0.3: the "
        "posterior mean is a precision-weighted average of it and the prior mean, and the "
        "bias is how far that average sits from the truth.",
    )


@exercise("08", 3)
def simulations_for_precision(answer) -> Feedback:
    """Fewest simulations for which a 90% coverage has a Monte Carlo SE of at most 0.01."""
    target = math.ceil(0.9 * 0.1 / 0.01**2 - 1e-9)
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return Feedback("wrong", f"expected a whole number of simulations, got {answer!r}")
    if not math.isfinite(value) or value != int(value):
        return Feedback("wrong", "a number of simulations is a whole number.")
    if value == target:
        return Feedback("right", "well done.")
    if value < target:
        return Feedback(
            "close" if target - value <= 0.02 * target else "wrong",
            "with that many simulations the SE is still above 0.01: solve "
            "sqrt(p(1 − p)/n) ≤ 0.01 for n.",
        )
    return Feedback(
        "close" if value - target <= 0.02 * target else "wrong",
        "that is enough, but fewer simulations already reach an SE of 0.01.",
    )
