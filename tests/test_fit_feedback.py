"""``fit_feedback``: a learner's fit or model told right, close or wrong against a reference."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest

import hbm_widgets as hbm
from hbm_widgets.exercises import ReferenceFit, fit_feedback
from tests.test_model_match import partial_pooling

MEANS = {"mu_alpha": 0.4, "sigma_alpha": 0.9, "alpha": np.array([-0.5, 0.6, 1.1])}
SDS = {"mu_alpha": 0.5, "sigma_alpha": 0.3, "alpha": np.array([0.4, 0.4, 0.6])}
HINTS = {"sigma_alpha": "partial pooling needs the spread of the group intercepts."}


def draws(seed, *, shift=None, drop=(), chain_offset=0.0):
    """Independent normal draws, 4 chains of 1000, as a fit of the model would give."""
    rng = np.random.default_rng(seed)
    posterior = {}
    for name, mean in MEANS.items():
        shape = (4, 1000, *np.shape(mean))
        values = mean + SDS[name] * rng.standard_normal(shape)
        values += np.arange(4).reshape(4, 1, *([1] * np.ndim(mean))) * chain_offset
        if shift and name in shift:
            values += shift[name] * SDS[name]
        if name not in drop:
            posterior[name] = values
    return az.from_dict({"posterior": posterior}, dims={"alpha": ["group"]})


@pytest.fixture(scope="module")
def reference():
    return ReferenceFit.from_fit(partial_pooling(), draws(0))


def check(answer, reference):
    return fit_feedback(
        answer, reference, compare=["mu_alpha", "sigma_alpha", "alpha"], hint="HINT", hints=HINTS
    )


def test_another_fit_of_the_same_posterior_is_right(reference):
    for seed in (1, 2, 3):
        assert check(draws(seed), reference).verdict == "right"


def test_a_mean_off_by_half_a_posterior_sd_is_close_and_says_which_way(reference):
    feedback = check(draws(1, shift={"sigma_alpha": 0.5}), reference)
    assert feedback.verdict == "close"
    assert "sigma_alpha is larger than it should be" in feedback.message
    assert "HINT" in feedback.message


def test_a_mean_off_by_two_posterior_sds_is_wrong(reference):
    feedback = check(draws(1, shift={"alpha": -2.0}), reference)
    assert feedback.verdict == "wrong"
    assert "alpha is smaller than it should be" in feedback.message


def test_no_pooling_is_wrong_and_told_what_partial_pooling_needs(reference):
    feedback = check(draws(1, drop=("sigma_alpha", "mu_alpha")), reference)
    assert feedback.verdict == "wrong"
    assert "the model needs mu_alpha, sigma_alpha" in feedback.message
    assert HINTS["sigma_alpha"] in feedback.message


def test_chains_that_disagree_are_not_passed_as_right(reference):
    feedback = check(draws(1, chain_offset=0.3), reference)
    assert feedback.verdict in {"close", "wrong"}
    assert "not converged" in feedback.message and "R-hat" in feedback.message


def test_the_answer_never_shows_the_reference_numbers(reference):
    feedback = check(draws(1, shift={"mu_alpha": 3.0}), reference)
    assert "0.4" not in feedback.message and "0.9" not in feedback.message


def test_a_model_is_compared_by_structure_and_log_density(reference):
    assert check(partial_pooling(), reference).verdict == "right"
    assert check(partial_pooling(sigma_alpha_scale=3.0), reference).verdict == "close"
    wrong = check(partial_pooling(centered=False), reference)
    assert wrong.verdict == "wrong" and "z_alpha should not be in it" in wrong.message


def test_something_else_is_wrong_with_a_clear_message(reference):
    feedback = check({"mu_alpha": 0.4}, reference)
    assert feedback.verdict == "wrong" and "got dict" in feedback.message


def test_a_sampled_fit_of_the_reference_model_is_right():
    model = partial_pooling(centered=False)
    reference = ReferenceFit.from_fit(model, hbm.sample(model, draws=1000, chains=4, random_seed=1))
    learner = hbm.sample(partial_pooling(centered=False), draws=500, chains=2, random_seed=2)
    assert check(learner, reference).verdict == "right"
