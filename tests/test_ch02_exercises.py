"""Chapter 02's modelling exercise: the normal model with sigma unknown, right and wrong."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest

import hbm_widgets as hbm
from hbm_widgets.exercises.ch02 import class_improvements, unknown_sigma_model

CHAPTER = "02-monte-carlo-and-mcmc"


def known_sigma_model(improvements):
    """The chapter's own model, sigma fixed at 15: what a learner who changed nothing sends."""
    with pm.Model(coords={"student": np.arange(len(improvements))}) as model:
        improvement = pm.Data("improvement", improvements, dims="student")
        mu = pm.Normal("mu", mu=0.0, sigma=10.0)
        pm.Normal("y", mu=mu, sigma=15.0, observed=improvement, dims="student")
    return model


def test_the_class_is_the_chapters():
    y = np.random.default_rng(8927).normal(6.0, 15.0, size=20)
    np.testing.assert_array_equal(class_improvements(), y)


def test_the_reference_model_itself_is_right():
    feedback = hbm.check_exercise(CHAPTER, 4, unknown_sigma_model(class_improvements()))
    assert feedback.verdict == "right"


def test_a_fit_of_the_asked_for_model_is_right():
    model = unknown_sigma_model(class_improvements())
    fit = hbm.sample(model, draws=500, chains=2, random_seed=11)
    assert hbm.check_exercise(CHAPTER, 4, fit).verdict == "right"


def test_sigma_left_fixed_is_wrong_and_told_sigma_is_missing():
    fit = hbm.sample(known_sigma_model(class_improvements()), draws=300, chains=2, random_seed=12)
    feedback = hbm.check_exercise(CHAPTER, 4, fit)
    assert feedback.verdict == "wrong"
    assert "the model needs sigma" in feedback.message
    assert "not the fixed number 15" in feedback.message


def test_another_prior_on_sigma_is_not_right():
    y = class_improvements()
    with pm.Model(coords={"student": np.arange(len(y))}) as tight_prior:
        mu = pm.Normal("mu", mu=0.0, sigma=10.0)
        sigma = pm.HalfNormal("sigma", sigma=1.0)
        pm.Normal("y", mu=mu, sigma=sigma, observed=y, dims="student")
    feedback = hbm.check_exercise(CHAPTER, 4, tight_prior)
    assert feedback.verdict == "close" and "log density differs" in feedback.message


@pytest.mark.parametrize("answer", [None, 7.43, {"mu": 7.4}])
def test_something_other_than_a_fit_is_wrong(answer):
    assert hbm.check_exercise(CHAPTER, 4, answer).verdict == "wrong"
