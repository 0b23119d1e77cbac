"""Chapter 08's modelling exercise: the study's model written non-centred, for the first
five-group data set.

The model asked for passes as a model and as a short fit; the centred form the study uses
(no offsets z_beta) and a model that forgets the group-level predictor are told wrong.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
import pytest

import hbm_widgets as hbm
from hbm_widgets.exercises import ch08

pytestmark = pytest.mark.slow  # the reference fit and the wrong models sample


def check(answer):
    return hbm.check_exercise("08-monte-carlo-study", 4, answer)


def short_fit(model, seed):
    return hbm.sample(model, draws=500, chains=2, target_accept=0.95, random_seed=seed)


def slope_model(*, centred=False, group_predictor=True):
    frame = ch08.small_design_data()
    group_idx, group_names = pd.factorize(frame["group"])
    group_u = frame.groupby("group", sort=False)["u"].first().to_numpy()
    coords = {"group": group_names, "obs_id": np.arange(len(frame))}
    with pm.Model(coords=coords) as model:
        alpha = pm.Normal("alpha", mu=0, sigma=10)
        centre = pm.Normal("mu_beta", mu=1, sigma=1)
        if group_predictor:
            centre = centre + pm.Normal("gamma_beta", mu=1, sigma=1) * group_u
        sigma_beta = pm.HalfCauchy("sigma_beta", beta=5)
        if centred:
            beta = pm.Normal("beta", mu=centre, sigma=sigma_beta, dims="group")
        else:
            z_beta = pm.Normal("z_beta", 0, 1, dims="group")
            beta = pm.Deterministic("beta", centre + sigma_beta * z_beta, dims="group")
        sigma = pm.HalfCauchy("sigma", beta=5)
        pm.Normal("y", alpha + beta[group_idx] * frame["x"].to_numpy(), sigma, observed=frame["y"])
    return model


def test_the_model_asked_for_is_right_before_sampling():
    assert check(ch08.non_centred_model()).verdict == "right"
    # Written without pm.Data and coords for the observations, it is the same model.
    assert check(slope_model()).verdict == "right"


def test_a_short_fit_of_the_model_asked_for_is_right():
    feedback = check(short_fit(slope_model(), seed=41))
    assert feedback.verdict == "right", feedback.message


def test_the_centred_form_is_wrong():
    # The study's own form: the same posterior, but not the parameterisation asked for.
    feedback = check(slope_model(centred=True))
    assert feedback.verdict == "wrong"
    assert "z_beta" in feedback.message


def test_forgetting_the_group_level_predictor_is_wrong():
    feedback = check(short_fit(slope_model(group_predictor=False), seed=43))
    assert feedback.verdict == "wrong"
    assert "gamma_beta" in feedback.message
