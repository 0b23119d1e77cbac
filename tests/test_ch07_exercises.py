"""Chapter 07's modelling exercise: the cafes model refitted with an LKJ(20) prior.

The model asked for passes before sampling; a plausible wrong answer, the chapter's own fit
with eta left at 2, is told it is wrong (its correlation is far stronger than the sceptical
prior allows), and a model with another prior changed instead is told it is close.
"""

from __future__ import annotations

import pymc as pm
import pytest

import hbm_widgets as hbm
from hbm_widgets.exercises import ch07


def check(answer):
    return hbm.check_exercise("07-priors-and-fake-data", 4, answer)


def observed(model):
    return pm.observe(model, {"wait": ch07.cafe_fake_wait()})


def test_the_model_asked_for_is_right_before_sampling():
    assert check(observed(ch07.cafe_model(20.0))).verdict == "right"


def test_another_eta_is_close_as_a_model():
    feedback = check(observed(ch07.cafe_model(5.0)))
    assert feedback.verdict == "close"
    assert "change only eta" in feedback.message


def test_leaving_eta_at_two_is_wrong():
    fit = hbm.sample(
        observed(ch07.cafe_model(2.0)), draws=500, chains=2, random_seed=11, target_accept=0.9
    )
    feedback = check(fit)
    assert feedback.verdict == "wrong"
    assert "rho is smaller than it should be" in feedback.message


@pytest.mark.parametrize("answer", [None, -0.5, {"rho": -0.5}])
def test_something_that_is_not_a_fit_is_wrong(answer):
    assert check(answer).verdict == "wrong"
