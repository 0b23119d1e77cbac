"""Exercises of chapter 09 (MCMC diagnostics)."""

from __future__ import annotations

import math

from hbm_widgets.exercises import Feedback, close_to, exercise, reference_fit
from hbm_widgets.lessons.convergence import gelman_rubin
from hbm_widgets.lessons.diagnostic_tables import CHECKLIST_THRESHOLDS

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


# Exercise 4: the centred model of county intercepts and floor slopes (no correlation) written
# again in the non-centred form, and sampled. The priors are the chapter's.
NONCENTRED_PRIORS = {
    "mu_alpha": {"mu": 1.2, "sigma": 2.1},
    "mu_beta": {"mu": 0.0, "sigma": 5.7},
    "sigma_alpha": {"lam": 1.2},
    "sigma_beta": {"lam": 0.44},
    "sigma": {"lam": 1.2},
}
NONCENTRED_COMPARE = ["mu_alpha", "mu_beta", "sigma_alpha", "sigma_beta", "sigma", "alpha", "beta"]
NONCENTRED_HINTS = {
    "z_alpha": (
        "the non-centred form samples standardised offsets z_alpha ~ Normal(0, 1), one per "
        "county, and builds alpha = mu_alpha + sigma_alpha * z_alpha as a Deterministic"
    ),
    "z_beta": "the slopes need their own offsets z_beta, built into beta the same way",
    "rho": "this model has no correlation between intercepts and slopes",
    "corr": "this model has no correlation between intercepts and slopes",
}
NONCENTRED_HINT = (
    "start from the centred model in the exercise and change only how alpha and beta are "
    "drawn; keep its names, priors and dims."
)


def noncentered_radon_model():
    """The model exercise 4 asks for: varying intercepts and slopes, non-centred, no rho."""
    import numpy as np
    import pymc as pm

    from hbm_widgets.core.data import load_radon

    radon = load_radon()
    county_idx, counties = radon["county"].factorize(sort=True)
    coords = {"county": counties, "obs_id": np.arange(len(radon))}
    p = NONCENTRED_PRIORS
    with pm.Model(coords=coords) as model:
        county = pm.Data("county_idx", county_idx, dims="obs_id")
        floor = pm.Data("floor", radon["floor"].to_numpy(), dims="obs_id")
        mu_alpha = pm.Normal("mu_alpha", **p["mu_alpha"])
        mu_beta = pm.Normal("mu_beta", **p["mu_beta"])
        sigma_alpha = pm.Exponential("sigma_alpha", **p["sigma_alpha"])
        sigma_beta = pm.Exponential("sigma_beta", **p["sigma_beta"])
        z_alpha = pm.Normal("z_alpha", mu=0, sigma=1, dims="county")
        z_beta = pm.Normal("z_beta", mu=0, sigma=1, dims="county")
        alpha = pm.Deterministic("alpha", mu_alpha + sigma_alpha * z_alpha, dims="county")
        beta = pm.Deterministic("beta", mu_beta + sigma_beta * z_beta, dims="county")
        sigma = pm.Exponential("sigma", **p["sigma"])
        mu = alpha[county] + beta[county] * floor
        pm.Normal(
            "log_radon", mu=mu, sigma=sigma, observed=radon["log_radon"].to_numpy(), dims="obs_id"
        )
    return model


@reference_fit
def noncentered_reference():
    """Exercise 4's model and the stored summary of its reference fit."""
    from hbm_widgets.exercises.fits import ReferenceFit

    return ReferenceFit.stored(
        "09-4", noncentered_radon_model(), random_seed=20090, target_accept=0.95
    )


@exercise("09", 4)
def noncentered_radon(answer) -> Feedback:
    """The learner's non-centred model (or its fit) against the reference fit."""
    from hbm_widgets.exercises.fits import fit_feedback

    return fit_feedback(
        answer,
        noncentered_reference(),
        compare=NONCENTRED_COMPARE,
        hint=NONCENTRED_HINT,
        hints=NONCENTRED_HINTS,
    )
