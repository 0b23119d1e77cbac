"""Exercises of chapter 08 (a Monte Carlo study of priors)."""

from __future__ import annotations

import math

from hbm_widgets.core.conjugate import conjugate_normal_posterior
from hbm_widgets.exercises import Feedback, close_to, exercise, reference_fit


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


# Exercise 4: the study's model written non-centred, for the first five-group data set.
SMALL_DESIGN = "N=50, J=5"
TARGET_ACCEPT = 0.95


def small_design_data():
    """The data of exercise 4: simulation 0 of the five-group design of the default study."""
    from hbm_widgets.lessons.study import study_data
    from hbm_widgets.lessons.study_spec import StudySpec

    return study_data(StudySpec(), SMALL_DESIGN, 0)


def non_centred_model():
    """The model exercise 4 asks for: the study's model under the good prior, non-centred."""
    import numpy as np
    import pandas as pd
    import pymc as pm

    frame = small_design_data()
    group_idx, group_names = pd.factorize(frame["group"])
    group_u = frame.groupby("group", sort=False)["u"].first().to_numpy()
    coords = {"group": group_names, "obs_id": np.arange(len(frame))}
    with pm.Model(coords=coords) as model:
        group = pm.Data("group_idx", group_idx, dims="obs_id")
        x = pm.Data("x", frame["x"].to_numpy(), dims="obs_id")
        u = pm.Data("u", group_u, dims="group")
        alpha = pm.Normal("alpha", mu=0, sigma=10)
        mu_beta = pm.Normal("mu_beta", mu=1, sigma=1)
        gamma_beta = pm.Normal("gamma_beta", mu=1, sigma=1)
        sigma_beta = pm.HalfCauchy("sigma_beta", beta=5)
        z_beta = pm.Normal("z_beta", mu=0, sigma=1, dims="group")
        beta = pm.Deterministic(
            "beta", mu_beta + gamma_beta * u + sigma_beta * z_beta, dims="group"
        )
        sigma = pm.HalfCauchy("sigma", beta=5)
        pm.Normal("y", mu=alpha + beta[group] * x, sigma=sigma, observed=frame["y"], dims="obs_id")
    return model


@reference_fit
def non_centred_reference():
    """Exercise 4's model and the stored summary of its reference fit."""
    from hbm_widgets.exercises.fits import ReferenceFit

    return ReferenceFit.stored(
        "08-4", non_centred_model(), random_seed=808, target_accept=TARGET_ACCEPT
    )


@exercise("08", 4)
def non_centred_small_design(answer) -> Feedback:
    """The learner's non-centred model of the first five-group data set, or its fit."""
    from hbm_widgets.exercises.fits import fit_feedback

    return fit_feedback(
        answer,
        non_centred_reference(),
        compare=["alpha", "mu_beta", "gamma_beta", "sigma_beta", "sigma"],
        hint=(
            "keep the chapter's model and its good prior, and change only how the slopes are "
            "drawn: standard-normal offsets z_beta, one per group, and the slopes built from "
            "them as mu_beta + gamma_beta * u + sigma_beta * z_beta (a pm.Deterministic)."
        ),
        hints={
            "z_beta": "the non-centred form samples standard-normal offsets z_beta (dims "
            "'group') and scales them by sigma_beta.",
            "gamma_beta": "the slopes' centre moves with the group-level predictor u: "
            "gamma_beta is its coefficient.",
            "sigma_beta": "partial pooling estimates the slopes' spread sigma_beta.",
        },
    )
