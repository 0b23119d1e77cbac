"""Exercise 3 of chapter 06: the complete-case model written with pm.LKJCholeskyCov.

The reference model passes as a model; a model without the correlation is told what it
lacks; and a fit of a model with the Cholesky factor applied the wrong way round (the
covariance L^T L instead of L L^T) has every variable asked for but the wrong posterior, and
is told it is wrong.
"""

from __future__ import annotations

import pymc as pm
import pytest

import hbm_widgets as hbm
from hbm_widgets.exercises import ch06

pytestmark = pytest.mark.slow  # the reference fit and the wrong models sample


@pytest.fixture(scope="module")
def data() -> hbm.GroupedData:
    return hbm.GroupedData.from_frame(
        hbm.load_gcse(), group="school", outcome="course", predictor="female", missing="drop"
    )


def independent_effects_model(data: hbm.GroupedData) -> pm.Model:
    """Intercepts and gaps varying by school, but drawn independently: no correlation."""
    coords = {"school": data.group_names.tolist(), "obs_id": range(data.n_obs)}
    with pm.Model(coords=coords) as model:
        mu_alpha = pm.Normal("mu_alpha", 50, 20)
        mu_beta = pm.Normal("mu_beta", 0, 10)
        sigma_alpha = pm.HalfNormal("sigma_alpha", 15)
        sigma_beta = pm.HalfNormal("sigma_beta", 10)
        alpha = pm.Normal("alpha", mu_alpha, sigma_alpha, dims="school")
        beta = pm.Normal("beta", mu_beta, sigma_beta, dims="school")
        sigma = pm.HalfNormal("sigma", 20)
        pm.Normal(
            "course",
            alpha[data.group_idx] + beta[data.group_idx] * data.predictor,
            sigma,
            observed=data.outcome,
            dims="obs_id",
        )
    return model


def transposed_cholesky_model(data: hbm.GroupedData) -> pm.Model:
    """The model asked for, but with school effects mu + z @ L: covariance L^T L, not L L^T."""
    coords = {
        "school": data.group_names.tolist(),
        "effect": ["intercept", "female"],
        "obs_id": range(data.n_obs),
    }
    with pm.Model(coords=coords) as model:
        mu = pm.Normal("mu", mu=[50, 0], sigma=[20, 10], dims="effect")
        chol, corr, sds = pm.LKJCholeskyCov(
            "school_chol",
            n=2,
            eta=2,
            sd_dist=pm.HalfNormal.dist(sigma=[15, 10], shape=2),
            compute_corr=True,
        )
        z = pm.Normal("z", 0, 1, dims=("school", "effect"))
        effects = mu + z @ chol
        alpha = pm.Deterministic("alpha", effects[:, 0], dims="school")
        beta = pm.Deterministic("beta", effects[:, 1], dims="school")
        pm.Deterministic("mu_alpha", mu[0])
        pm.Deterministic("mu_beta", mu[1])
        pm.Deterministic("sigma_alpha", sds[0])
        pm.Deterministic("sigma_beta", sds[1])
        pm.Deterministic("rho", corr[0, 1])
        sigma = pm.HalfNormal("sigma", sigma=20)
        pm.Normal(
            "course",
            mu=alpha[data.group_idx] + beta[data.group_idx] * data.predictor,
            sigma=sigma,
            observed=data.outcome,
            dims="obs_id",
        )
    return model


def test_the_reference_model_is_right(data):
    feedback = hbm.check_exercise("06", 3, ch06.correlated_model(data))
    assert feedback.verdict == "right"


def test_the_reference_model_is_build_models_model_in_another_parameterisation(data):
    # Same priors (score_priors), other free variables: match_models tells them apart by
    # structure, which is why the chapter compares posteriors instead.
    spec = hbm.ModelSpec(pooling="partial", varying="both", priors=hbm.score_priors((0, 100)))
    match = hbm.match_models(ch06.correlated_model(data), hbm.build_model(spec, data))
    assert not match.same_structure
    assert {"corr", "sigma_alpha", "sigma_beta"} <= set(match.missing)
    assert {"school_chol", "z"} <= set(match.extra)


def test_independent_effects_are_wrong_and_told_about_the_correlation(data):
    feedback = hbm.check_exercise("06", 3, independent_effects_model(data))
    assert feedback.verdict == "wrong"
    fitted = hbm.sample(
        independent_effects_model(data), random_seed=3, draws=300, tune=300, chains=2
    )
    feedback = hbm.check_exercise("06", 3, fitted)
    assert feedback.verdict == "wrong"
    assert "the model needs rho" in feedback.message


def test_a_transposed_cholesky_factor_is_wrong(data):
    fitted = hbm.sample(
        transposed_cholesky_model(data), random_seed=3, draws=500, tune=500, chains=2
    )
    feedback = hbm.check_exercise("06", 3, fitted)
    assert feedback.verdict == "wrong", feedback.message
    assert "should be" in feedback.message
