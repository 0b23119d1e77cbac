"""Refitter: one compiled model per structure, prior values and data set in for a refit."""

from __future__ import annotations

import numpy as np
import pytest

import hbm_widgets as hbm
from hbm_widgets.core.refit import _structure


def test_priors_as_data_holds_every_prior_parameter(radon_data):
    spec = hbm.ModelSpec(pooling="partial")
    model = hbm.build_model(spec, radon_data, priors_as_data=True)
    priors = hbm.resolve_priors(spec, radon_data)
    for role, prior in priors.items():
        for parameter, value in prior.kwargs.items():
            name = hbm.prior_data_name(role, parameter)
            assert model[name].get_value() == pytest.approx(value), name
    # The same log density as the model with constants, at the same point.
    plain = hbm.build_model(spec, radon_data)
    point = plain.initial_point()
    assert model.compile_logp()(point) == pytest.approx(plain.compile_logp()(point))


def test_structure_ignores_prior_values_but_not_families(radon_data):
    spec = hbm.ModelSpec(pooling="partial")
    other_value = spec.with_prior("sigma_alpha", hbm.Prior("Exponential", lam=5))
    other_family = spec.with_prior("sigma_alpha", hbm.Prior("HalfNormal", sigma=1))
    assert _structure(spec, radon_data) == _structure(other_value, radon_data)
    assert _structure(spec, radon_data) != _structure(other_family, radon_data)
    assert _structure(spec, radon_data) != _structure(spec.replace(pooling="none"), radon_data)


def test_model_for_reuses_the_model_and_sets_the_new_prior(radon_data):
    refit = hbm.Refitter()
    spec = hbm.ModelSpec(pooling="partial")
    first = refit.model_for(spec, radon_data)
    tight = spec.with_prior("sigma_alpha", hbm.Prior("Exponential", lam=20))
    again = refit.model_for(tight, radon_data)
    assert again is first and refit.builds == 1
    assert first["prior_sigma_alpha_lam"].get_value() == pytest.approx(20)
    refit.model_for(spec.replace(pooling="none"), radon_data)
    assert refit.builds == 2


def test_refitter_refuses_bad_settings():
    with pytest.raises(hbm.WorkbookInputError, match="max_models must be a whole number >= 1"):
        hbm.Refitter(max_models=0)


@pytest.mark.slow
def test_a_refit_with_new_prior_values_matches_a_fresh_model(radon_data):
    refit = hbm.Refitter(draws=300, tune=300, chains=2, random_seed=5)
    spec = hbm.ModelSpec(pooling="partial")
    default = refit(spec, radon_data)
    # A prior that insists the counties are nearly alike: their spread shrinks.
    tight = spec.with_prior("sigma_alpha", hbm.Prior("Exponential", lam=50))
    refitted = refit(tight, radon_data)
    assert refit.builds == 1, "the refit built a new model"
    fresh = hbm.sample(
        hbm.build_model(tight, radon_data),
        random_seed=5,
        draws=300,
        tune=300,
        chains=2,
        sampler="nutpie",
    )
    ours = float(refitted.posterior["sigma_alpha"].mean())
    theirs = float(fresh.posterior["sigma_alpha"].mean())
    before = default.posterior["sigma_alpha"]
    assert ours < float(before.mean()) - float(before.std())  # the spread shrank
    assert ours == pytest.approx(theirs, abs=3 * float(fresh.posterior["sigma_alpha"].std()) / 10)
    np.testing.assert_allclose(
        refitted.observed_data["log_radon"].values, radon_data.outcome.astype(float)
    )
