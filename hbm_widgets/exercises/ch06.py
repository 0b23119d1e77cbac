"""Exercises of chapter 06 (GCSE scores: maximum likelihood against Bayes)."""

from __future__ import annotations

import math
from functools import cache

from hbm_widgets.core.data import GroupedData, load_gcse
from hbm_widgets.core.spec import ModelSpec
from hbm_widgets.exercises import Feedback, close_to, exercise, reference_fit


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


# The coursework parameters a fit of exercise 3 must have, under the chapter's names.
CORRELATED_MODEL_VARIABLES = ("mu_alpha", "mu_beta", "sigma_alpha", "sigma_beta", "rho", "sigma")
_CORRELATED_HINTS = {
    "rho": "intercepts and gender gaps vary together: their correlation is part of the model "
    "(the LKJ Cholesky factor gives it).",
    "sigma_beta": "the gender gap varies by school too, with its own spread.",
    "mu_beta": "the gender gap has a population mean, as the intercept has.",
}


def correlated_model(data: GroupedData | None = None):
    """The complete-case model of chapter 06 with ``pm.LKJCholeskyCov``, non-centred.

    The same model as ``build_model`` gives for the chapter's spec (``LKJCorr`` and separate
    scales, centred), written as the chapter writes the joint model of both scores.
    """
    import pymc as pm

    from hbm_widgets.lessons.gcse_model import score_priors

    if data is None:
        data = GroupedData.from_frame(
            load_gcse(), group="school", outcome="course", predictor="female", missing="drop"
        )
    priors = {name: prior.kwargs for name, prior in score_priors((0, 100)).items()}
    coords = {
        "school": data.group_names.tolist(),
        "effect": ["intercept", "female"],
        "obs_id": range(data.n_obs),
    }
    with pm.Model(coords=coords) as model:
        school_idx = pm.Data("school_idx", data.group_idx, dims="obs_id")
        female = pm.Data("female", data.predictor, dims="obs_id")
        mu = pm.Normal(
            "mu",
            mu=[priors["mu_alpha"]["mu"], priors["mu_beta"]["mu"]],
            sigma=[priors["mu_alpha"]["sigma"], priors["mu_beta"]["sigma"]],
            dims="effect",
        )
        chol, corr, sds = pm.LKJCholeskyCov(
            "school_chol",
            n=2,
            eta=priors["rho"]["eta"],
            sd_dist=pm.HalfNormal.dist(
                sigma=[priors["sigma_alpha"]["sigma"], priors["sigma_beta"]["sigma"]], shape=2
            ),
            compute_corr=True,
        )
        z = pm.Normal("z", 0, 1, dims=("school", "effect"))
        school_effects = mu + z @ chol.T
        alpha = pm.Deterministic("alpha", school_effects[:, 0], dims="school")
        beta = pm.Deterministic("beta", school_effects[:, 1], dims="school")
        pm.Deterministic("mu_alpha", mu[0])
        pm.Deterministic("mu_beta", mu[1])
        pm.Deterministic("sigma_alpha", sds[0])
        pm.Deterministic("sigma_beta", sds[1])
        pm.Deterministic("rho", corr[0, 1])
        sigma = pm.HalfNormal("sigma", sigma=priors["sigma"]["sigma"])
        pm.Normal(
            "course",
            mu=alpha[school_idx] + beta[school_idx] * female,
            sigma=sigma,
            observed=data.outcome,
            dims="obs_id",
        )
    return model


@reference_fit
def _correlated_reference():
    """The model of exercise 3 and the stored summary of its reference fit."""
    from hbm_widgets.exercises.fits import ReferenceFit

    # Only the named coursework parameters are asked for: the learner's own names for the
    # Cholesky factor or the offsets are theirs to choose.
    return ReferenceFit.stored(
        "06-3",
        correlated_model(),
        random_seed=60603,
        target_accept=0.9,
        keep=list(CORRELATED_MODEL_VARIABLES),
    )


@exercise("06", 3)
def correlated_model_by_hand(answer) -> Feedback:
    """The complete-case model written with ``pm.LKJCholeskyCov``, and its fit."""
    from hbm_widgets.exercises.fits import fit_feedback

    return fit_feedback(
        answer,
        _correlated_reference(),
        compare=CORRELATED_MODEL_VARIABLES,
        hint=(
            "start from the joint model: two effects per school (coursework intercept and "
            "female gap), pm.LKJCholeskyCov with n=2 and the priors of spec, school effects "
            "mu + z @ chol.T, and one normal likelihood for the 1725 coursework scores."
        ),
        hints=_CORRELATED_HINTS,
    )
