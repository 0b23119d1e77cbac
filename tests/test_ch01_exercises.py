"""Chapter 01's modelling exercise: the second class's share, written as a PyMC model.

The reference model itself and a short fit of it pass; plausible wrong models (the count of
students who did not improve, the count taken as the number of trials, another prior) are
told they are wrong, or close where only the prior differs.
"""

from __future__ import annotations

import pymc as pm
import pytest

import hbm_widgets as hbm


def beta_binomial(*, observed=27, trials=40, prior=(2.0, 2.0), share="theta"):
    with pm.Model() as model:
        theta = pm.Beta(share, alpha=prior[0], beta=prior[1])
        pm.Binomial("improved", n=trials, p=theta, observed=observed)
    return model


def check(answer):
    return hbm.check_exercise("01-bayes-rule", 3, answer)


def short_fit(model, seed):
    return hbm.sample(model, draws=500, chains=2, random_seed=seed)


def test_the_model_asked_for_is_right_before_sampling():
    assert check(beta_binomial()).verdict == "right"


def test_a_short_fit_of_the_model_asked_for_is_right():
    feedback = check(short_fit(beta_binomial(), seed=7))
    assert feedback.verdict == "right", feedback.message


def test_the_count_who_did_not_improve_is_wrong():
    # 13 of 40 did not improve: the share comes out on the wrong side of one half.
    feedback = check(short_fit(beta_binomial(observed=13), seed=8))
    assert feedback.verdict == "wrong"
    assert "theta is smaller than it should be" in feedback.message


def test_the_improved_count_as_the_number_of_trials_is_wrong():
    # The wrong likelihood: Binomial(27, theta) with all 27 "successes".
    feedback = check(short_fit(beta_binomial(trials=27), seed=9))
    assert feedback.verdict == "wrong"
    assert "theta is larger than it should be" in feedback.message


def test_another_prior_is_close_as_a_model():
    feedback = check(beta_binomial(prior=(1.0, 1.0)))
    assert feedback.verdict == "close"
    assert "prior or the likelihood" in feedback.message


def test_a_share_under_another_name_is_told_its_name():
    feedback = check(short_fit(beta_binomial(share="p"), seed=10))
    assert feedback.verdict == "wrong"
    assert "name the share of students who improve theta" in feedback.message


@pytest.mark.parametrize("answer", [None, 0.675, {"theta": 0.675}])
def test_something_that_is_not_a_fit_is_wrong(answer):
    assert check(answer).verdict == "wrong"
