"""Chapter 10's modelling exercise: the model without its vertical side, written in PyMC.

The reference model itself and a short fit of it pass; plausible wrong models (the full
crossed model, a normal likelihood, countries without their regions) are told they are wrong,
and another prior on the noise is told close.
"""

from __future__ import annotations

import pymc as pm
import pytest

import hbm_widgets as hbm
from hbm_widgets.exercises import ch10

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def data():
    return ch10.exercise_data()


def check(answer):
    return hbm.check_exercise("10-crossed-and-nested-effects", 4, answer)


def country_side(data, *, likelihood="student_t", regions=True, sigma_prior=1.0):
    """The country side of the chapter's model, with one thing changed at a time."""
    with pm.Model(coords=data.coords) as model:
        country_idx = pm.Data("country_idx", data.country_idx, dims="obs_id")
        region_of_country = pm.Data("region_of_country", data.country_region_idx, dims="country")
        x = pm.Data("log_spend_centred", data.predictor, dims="obs_id")
        coefficient = {}
        for name, scale_sd, mean, sd in (("alpha", 0.5, 3, 2), ("beta", 0.25, 0.5, 0.5)):
            levels = ("country", "region") if regions else ("country",)
            effects = {}
            for level in levels:
                scale = pm.HalfNormal(f"sigma_{name}_{level}", sigma=scale_sd)
                offset = pm.ZeroSumNormal(f"z_{name}_{level}", sigma=1, dims=level)
                effects[level] = pm.Deterministic(f"{name}_{level}", scale * offset, dims=level)
            part = effects["country"]
            if regions:
                part = part + effects["region"][region_of_country]
            part = pm.Deterministic(f"gamma_{name}_country", part, dims="country")
            coefficient[name] = pm.Normal(f"mu_{name}", mu=mean, sigma=sd) + part[country_idx]
        sigma = pm.Exponential("sigma", lam=sigma_prior)
        mu = coefficient["alpha"] + coefficient["beta"] * x
        if likelihood == "student_t":
            nu = pm.Gamma("nu", alpha=2, beta=0.1)
            pm.StudentT("log_conversions", nu=nu, mu=mu, sigma=sigma, observed=data.outcome)
        else:
            pm.Normal("log_conversions", mu=mu, sigma=sigma, observed=data.outcome)
    return model


def short_fit(model, seed):
    return hbm.sample(model, draws=500, chains=2, target_accept=0.95, random_seed=seed)


def test_the_reference_model_is_right_before_sampling(data):
    assert check(ch10.country_side_model(data)).verdict == "right"


def test_a_short_fit_of_the_model_asked_for_is_right(data):
    feedback = check(short_fit(country_side(data), seed=11))
    assert feedback.verdict == "right", feedback.message


def test_the_full_crossed_model_is_wrong(data):
    feedback = check(hbm.build_crossed_model(data))
    assert feedback.verdict == "wrong"
    assert "sigma_alpha_vertical" in feedback.message and "should not be in it" in feedback.message


def test_a_normal_likelihood_is_wrong(data):
    feedback = check(country_side(data, likelihood="normal"))
    assert feedback.verdict == "wrong"
    assert "keep the Student-t likelihood" in feedback.message


def test_countries_without_their_regions_are_wrong(data):
    feedback = check(short_fit(country_side(data, regions=False), seed=12))
    assert feedback.verdict == "wrong"
    assert "keep the region level" in feedback.message


def test_another_noise_prior_is_close_as_a_model(data):
    assert check(country_side(data, sigma_prior=2.0)).verdict == "close"
