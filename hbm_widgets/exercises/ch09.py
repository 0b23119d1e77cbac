"""Exercises of chapter 09 (MCMC diagnostics)."""

from __future__ import annotations

import math

from hbm_widgets.exercises import Feedback, close_to, exercise
from hbm_widgets.lessons.convergence import CHECKLIST_THRESHOLDS, gelman_rubin

# Exercise 1: two short chains, small enough to work through with pencil and paper.
HAND_CHAINS = [[1.0, 2.0, 3.0, 4.0], [3.0, 4.0, 5.0, 6.0]]

# Exercise 2: a pilot run and the bulk ESS it reached.
PILOT_CHAINS, PILOT_DRAWS, PILOT_ESS = 4, 500, 250.0

# Exercise 3: the checklist numbers of an imaginary fit.
IMAGINARY_FIT = {
    "max R-hat": 1.004,
    "min bulk ESS": 1200.0,
    "min tail ESS": 350.0,
    "divergences": 3,
    "min BFMI": 0.25,
}


def _failed_checks(fit: dict) -> int:
    t = CHECKLIST_THRESHOLDS
    passed = [
        fit["max R-hat"] < t["rhat"],
        fit["min bulk ESS"] >= t["ess"],
        fit["min tail ESS"] >= t["ess"],
        fit["divergences"] == t["divergences"],
        fit["min BFMI"] > t["bfmi"],
    ]
    return passed.count(False)


@exercise("09", 1)
def hand_rhat(answer) -> Feedback:
    """The classic R-hat of the chains [1, 2, 3, 4] and [3, 4, 5, 6]."""
    return close_to(
        answer,
        gelman_rubin(HAND_CHAINS),
        right=0.005,
        close=0.05,
        hint=(
            "take each chain's variance with divisor N - 1 and average them (W); the variance "
            "of the two chain means, divisor M - 1, is B/N; then sqrt(((N-1)/N W + B/N) / W)."
        ),
    )


@exercise("09", 2)
def draws_for_ess(answer) -> Feedback:
    """Draws per chain that bring a pilot's bulk ESS of 250 (4 x 500 draws) up to 400."""
    target = PILOT_DRAWS * CHECKLIST_THRESHOLDS["ess"] / PILOT_ESS
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return Feedback("wrong", f"expected a number of draws per chain, got {answer!r}")
    if not math.isfinite(value):
        return Feedback("wrong", f"expected a finite number of draws, got {value}")
    if abs(value - target) <= 0.02 * target:
        return Feedback("right", "well done: the ESS per draw stays about the same.")
    if abs(value - PILOT_CHAINS * target) <= 0.02 * PILOT_CHAINS * target:
        return Feedback(
            "close",
            "that is the total over all chains; the question asks for draws per chain.",
        )
    if abs(value - target) <= 0.15 * target:
        return Feedback("close", "nearly: scale the draws by the ratio of the ESS you need.")
    return Feedback(
        "wrong",
        "ESS grows roughly in proportion to the number of draws once the chains mix: "
        "what fraction of a draw is each draw worth in the pilot?",
    )


@exercise("09", 3)
def failed_checks(answer) -> Feedback:
    """How many of the five checks the imaginary fit fails."""
    target = _failed_checks(IMAGINARY_FIT)
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return Feedback("wrong", f"expected a whole number of checks, got {answer!r}")
    if value == target:
        return Feedback("right", "well done.")
    if not math.isfinite(value) or value != int(value) or not 0 <= value <= 5:
        return Feedback("wrong", "the answer is a whole number between 0 and 5.")
    return Feedback(
        "close" if abs(value - target) == 1 else "wrong",
        "go through the five rules one at a time: R-hat below 1.01, bulk and tail ESS at "
        "least 400 each, no divergences, BFMI above 0.3.",
    )
