"""Chapter 05's modelling exercise: the uranium model written by hand, told right or wrong."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest

import hbm_widgets as hbm

pytestmark = pytest.mark.slow  # samples the reference fit and one wrong answer


@pytest.fixture(scope="module")
def data(radon_data):
    """The radon data with uranium, as tests/conftest.py loads them for every test."""
    return radon_data


def by_hand(data, *, uranium=None, with_uranium=True):
    """The exercise's model as a learner writes it (``uranium``: the values they hold)."""
    coords = {"county": data.group_names, "obs_id": np.arange(data.n_obs)}
    with pm.Model(coords=coords) as model:
        county = pm.Data("county_idx", data.group_idx, dims="obs_id")
        floor = pm.Data("floor", data.predictor, dims="obs_id")
        mu_alpha = pm.Normal("mu_alpha", mu=1.2, sigma=2.1)
        centre = mu_alpha
        if with_uranium:
            values = data.group_predictor if uranium is None else uranium
            log_uranium = pm.Data("log_uranium", values, dims="county")
            centre = mu_alpha + pm.Normal("gamma_alpha", mu=0, sigma=5.6) * log_uranium
        sigma_alpha = pm.Exponential("sigma_alpha", lam=1.2)
        z_alpha = pm.Normal("z_alpha", mu=0, sigma=1, dims="county")
        alpha = pm.Deterministic("alpha", centre + sigma_alpha * z_alpha, dims="county")
        beta = pm.Normal("beta", mu=0, sigma=5.7)
        sigma = pm.Exponential("sigma", lam=1.2)
        pm.Normal(
            "log_radon",
            mu=alpha[county] + beta * floor,
            sigma=sigma,
            observed=data.outcome,
            dims="obs_id",
        )
    return model


def check(answer):
    return hbm.check_exercise("05-radon-deeper", 3, answer)


def test_the_model_asked_for_is_right(data):
    assert check(by_hand(data)).verdict == "right"


def test_partial_pooling_without_uranium_is_wrong(data):
    feedback = check(by_hand(data, with_uranium=False))
    assert feedback.verdict == "wrong"
    assert "gamma_alpha" in feedback.message


def test_raw_uranium_instead_of_its_log_is_wrong_once_sampled(data):
    # The same variables and shapes, but the intercepts drawn around a line in uranium
    # itself: the fit's gamma_alpha and intercepts land far from the reference's.
    model = by_hand(data, uranium=np.exp(data.group_predictor))
    fit = hbm.sample(model, random_seed=5, draws=500, tune=500, chains=2)
    feedback = check(fit)
    assert feedback.verdict == "wrong"
    assert "than it should be" in feedback.message
