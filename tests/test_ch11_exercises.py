"""Chapter 11's modelling exercise: the pumps model written by hand, right and wrong."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest

import hbm_widgets as hbm
from hbm_widgets.exercises.ch11 import pumps_reference

pytestmark = pytest.mark.slow

SMALL = {"draws": 500, "tune": 500, "chains": 2, "target_accept": 0.95}


def pumps_by_hand(*, exposure: bool = True, centred: bool = False) -> pm.Model:
    """The model exercise 4 asks for, or the same without the exposure."""
    pumps = hbm.load_pumps()
    coords = {"pump": pumps["pump"], "obs_id": np.arange(len(pumps))}
    with pm.Model(coords=coords) as model:
        thousand_hours = pm.Data("thousand_hours", pumps["thousand_hours"], dims="obs_id")
        mu_alpha = pm.Normal("mu_alpha", mu=-1.5, sigma=2)
        sigma_alpha = pm.HalfNormal("sigma_alpha", sigma=1)
        if centred:
            alpha = pm.Normal("alpha", mu=mu_alpha, sigma=sigma_alpha, dims="pump")
        else:
            z_alpha = pm.Normal("z_alpha", mu=0, sigma=1, dims="pump")
            alpha = pm.Deterministic("alpha", mu_alpha + sigma_alpha * z_alpha, dims="pump")
        rate = pm.Deterministic("rate", pm.math.exp(alpha), dims="pump")
        mean = thousand_hours * rate if exposure else rate
        pm.Poisson("failures", mu=mean, observed=pumps["failures"], dims="obs_id")
    return model


def check(answer):
    return hbm.check_exercise("11-hierarchical-glm", 4, answer)


def test_the_model_asked_for_is_the_reference_model():
    assert hbm.match_models(pumps_by_hand(), pumps_reference().model).same
    assert check(pumps_by_hand()).verdict == "right"


def test_a_centred_fit_of_the_same_model_is_right():
    fit = hbm.sample(pumps_by_hand(centred=True), random_seed=5, **SMALL)
    assert check(fit).verdict == "right", check(fit).message


def test_no_pooling_is_wrong():
    pumps = hbm.load_pumps()
    no_pooling = hbm.build_rate_model(
        pumps,
        group="pump",
        count="failures",
        size="thousand_hours",
        family="poisson",
        pooling="none",
    )
    feedback = check(hbm.sample(no_pooling, random_seed=6, **SMALL))
    assert feedback.verdict == "wrong"
    assert "sigma_alpha" in feedback.message


def test_forgetting_the_exposure_is_wrong():
    fit = hbm.sample(pumps_by_hand(exposure=False), random_seed=7, **SMALL)
    feedback = check(fit)
    assert feedback.verdict == "wrong"
    assert "rate" in feedback.message or "alpha" in feedback.message
    assert check(pumps_by_hand(exposure=False)).verdict == "close"
