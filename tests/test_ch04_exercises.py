"""Chapter 04's modelling exercise: the contextual effect (county mean of floor)."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest

import hbm_widgets as hbm
from hbm_widgets.exercises import ch04

CHAPTER = "04-radon-pooling"


@pytest.fixture(scope="module")
def data(radon_data):
    """The radon data with uranium, as tests/conftest.py loads them for every test."""
    return radon_data


def house_level_floor_model(data):
    """A plausible slip: the house's own floor where the county mean of floor belongs."""
    coords = {"county": data.group_names.tolist(), "obs_id": np.arange(data.n_obs)}
    with pm.Model(coords=coords) as model:
        county_idx = pm.Data("county_idx", data.group_idx, dims="obs_id")
        floor = pm.Data("floor", data.predictor, dims="obs_id")
        log_uranium = pm.Data("log_uranium", data.group_predictor, dims="county")
        mu_alpha = pm.Normal("mu_alpha", mu=1.2, sigma=2.1)
        gamma_alpha = pm.Normal("gamma_alpha", mu=0, sigma=5.6)
        gamma_floor_mean = pm.Normal("gamma_floor_mean", mu=0, sigma=5)
        sigma_alpha = pm.Exponential("sigma_alpha", lam=1.2)
        z_alpha = pm.Normal("z_alpha", mu=0, sigma=1, dims="county")
        alpha = pm.Deterministic(
            "alpha", mu_alpha + gamma_alpha * log_uranium + sigma_alpha * z_alpha, dims="county"
        )
        beta = pm.Normal("beta", mu=0, sigma=5.7)
        sigma = pm.Exponential("sigma", lam=1.2)
        mu = alpha[county_idx] + beta * floor + gamma_floor_mean * floor
        pm.Normal("log_radon", mu=mu, sigma=sigma, observed=data.outcome, dims="obs_id")
    return model


def test_county_floor_mean_is_the_share_measured_upstairs(data):
    radon = hbm.load_radon()
    expected = radon.groupby("county")["floor"].mean().loc[data.group_names].to_numpy()
    np.testing.assert_allclose(ch04.county_floor_mean(data), expected)


def test_the_reference_model_itself_is_right(data):
    feedback = hbm.check_exercise(CHAPTER, 4, ch04.contextual_effect_model(data))
    assert feedback.verdict == "right"


def test_the_uranium_model_without_the_contextual_effect_is_wrong(data):
    uranium_spec = hbm.ModelSpec(pooling="partial", varying="intercept", group_predictor=True)
    feedback = hbm.check_exercise(CHAPTER, 4, hbm.build_model(uranium_spec, data))
    assert feedback.verdict == "wrong"
    assert "gamma_floor_mean" in feedback.message


def test_the_house_level_floor_in_its_place_is_wrong_once_fitted(data):
    # As a model it has the right variables (only its log density differs: "close"); its
    # fit shows the slip: beta and gamma_floor_mean share one house-level effect.
    model = house_level_floor_model(data)
    assert hbm.check_exercise(CHAPTER, 4, model).verdict == "close"
    fit = hbm.sample(model, random_seed=3, draws=300, tune=300, chains=2)
    feedback = hbm.check_exercise(CHAPTER, 4, fit)
    assert feedback.verdict == "wrong"
    for number in ("0.41", "0.72", "1.39"):  # the reference's means are never shown
        assert number not in feedback.message


def test_a_number_is_not_a_model(data):
    assert hbm.check_exercise(CHAPTER, 4, 0.4).verdict == "wrong"
