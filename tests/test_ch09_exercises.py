"""Chapter 09's modelling exercise: the non-centred model is right, a centred one is wrong.

The solutions notebook (tests/test_solutions.py) runs the check on a full fit and is told
"right".
"""

from __future__ import annotations

import numpy as np
import pymc as pm

import hbm_widgets as hbm
from hbm_widgets.exercises import ch09


def centred_model():
    """The centred model the exercise starts from (the same priors, names and dims)."""
    radon = hbm.load_radon()
    county_idx, counties = radon["county"].factorize(sort=True)
    coords = {"county": counties, "obs_id": np.arange(len(radon))}
    p = ch09.NONCENTRED_PRIORS
    with pm.Model(coords=coords) as model:
        county = pm.Data("county_idx", county_idx, dims="obs_id")
        floor = pm.Data("floor", radon["floor"].to_numpy(), dims="obs_id")
        mu_alpha = pm.Normal("mu_alpha", **p["mu_alpha"])
        mu_beta = pm.Normal("mu_beta", **p["mu_beta"])
        sigma_alpha = pm.Exponential("sigma_alpha", **p["sigma_alpha"])
        sigma_beta = pm.Exponential("sigma_beta", **p["sigma_beta"])
        alpha = pm.Normal("alpha", mu=mu_alpha, sigma=sigma_alpha, dims="county")
        beta = pm.Normal("beta", mu=mu_beta, sigma=sigma_beta, dims="county")
        sigma = pm.Exponential("sigma", **p["sigma"])
        pm.Normal(
            "log_radon",
            mu=alpha[county] + beta[county] * floor,
            sigma=sigma,
            observed=radon["log_radon"].to_numpy(),
            dims="obs_id",
        )
    return model


def chapter_model():
    """The chapter's correlated model (built by the helper; the chapter shows it is the same)."""
    data = hbm.GroupedData.from_frame(
        hbm.load_radon(), group="county", outcome="log_radon", predictor="floor"
    )
    spec = hbm.ModelSpec(pooling="partial", varying="both", parameterization="non_centered")
    return hbm.build_model(spec, data)


def check(answer):
    return hbm.check_exercise("09-mcmc-diagnostics", 4, answer)


def test_the_reference_model_is_right():
    assert check(ch09.noncentered_radon_model()).verdict == "right"


def test_the_centred_model_is_wrong_and_told_about_the_offsets():
    feedback = check(centred_model())
    assert feedback.verdict == "wrong"
    assert "z_alpha" in feedback.message and "z_beta" in feedback.message


def test_the_chapters_correlated_model_is_wrong():
    feedback = check(chapter_model())
    assert feedback.verdict == "wrong"
    assert "corr" in feedback.message


def test_a_fit_of_the_centred_model_is_wrong():
    fit = hbm.sample(centred_model(), random_seed=4, draws=100, tune=100, chains=2)
    feedback = check(fit)
    assert feedback.verdict == "wrong"
    assert "z_alpha" in feedback.message


def test_a_short_fit_of_the_model_asked_for_passes_and_never_shows_the_reference_numbers():
    fit = hbm.sample(
        ch09.noncentered_radon_model(), random_seed=3, draws=300, chains=2, target_accept=0.95
    )
    feedback = check(fit)
    assert feedback.verdict in ("right", "close"), feedback.message
    reference = ch09.noncentered_reference().summary
    for name in ("mu_alpha", "sigma_beta"):
        assert f"{float(reference.mean[name]):.2f}" not in feedback.message
