"""The pooling selector and the prior picker turn their values into ModelSpecs."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from scipy import stats

import hbm_widgets as hbm
from hbm_widgets import GroupedData, ModelSpec, Prior


@pytest.fixture(autouse=True)
def no_display():
    with mock.patch("hbm_widgets.widgets.base.display") as display:
        yield display


@pytest.fixture(scope="module")
def radon_no_predictor():
    return GroupedData.from_frame(hbm.load_radon(), group="county", outcome="log_radon")


def test_pooling_selector_produces_the_spec_its_buttons_show():
    selector = hbm.pooling_selector()
    assert selector.spec == ModelSpec()
    selector.controls["pooling"].value = "complete"
    assert selector.spec == ModelSpec(pooling="complete")
    assert "Complete pooling" in selector.description.text
    selector.controls["pooling"].value = "partial"
    selector.controls["varying"].value = "both"
    selector.controls["parameterization"].value = "centered"
    selector.controls["likelihood"].value = "student_t"
    assert selector.spec == ModelSpec(
        pooling="partial", varying="both", parameterization="centered", likelihood="student_t"
    )
    assert "LKJ" in selector.description.text and "Student-t" in selector.description.text


def test_pooling_selector_keeps_priors_and_notifies_observers():
    start = ModelSpec(priors={"sigma": Prior("HalfNormal", sigma=2)})
    selector = hbm.pooling_selector(start)
    seen = []
    selector.observe(lambda change: seen.append(change["new"]), names="spec")
    selector.controls["pooling"].value = "none"
    assert seen == [start.replace(pooling="none")]
    assert selector.spec.prior_overrides == {"sigma": Prior("HalfNormal", sigma=2)}


def test_pooling_selector_refuses_what_cannot_be_built(radon_no_predictor):
    selector = hbm.pooling_selector(data=radon_no_predictor)
    assert selector.controls["group_predictor"].disabled
    selector.controls["varying"].value = "slope"
    assert "varying='slope' needs a predictor" in selector.error
    assert "needs a predictor" in selector.message.value
    assert selector.spec == ModelSpec()  # last good spec kept
    selector.controls["varying"].value = "intercept"
    assert selector.error is None


def test_pooling_selector_group_predictor_needs_partial_pooling(radon_data):
    selector = hbm.pooling_selector(data=radon_data)
    selector.controls["group_predictor"].value = True
    assert selector.spec.group_predictor
    assert "log_uranium" in selector.description.text
    selector.controls["pooling"].value = "none"
    assert "group-level predictor needs pooling='partial'" in selector.error
    assert selector.spec.pooling == "partial"


def test_prior_picker_sets_exactly_the_chosen_prior():
    picker = hbm.prior_picker(ModelSpec(varying="both"))
    assert picker.spec.prior_overrides == {}  # showing a prior is not choosing one
    assert list(picker.controls["parameter"].options) == ModelSpec(varying="both").prior_roles()
    picker.controls["parameter"].value = "sigma_beta"
    assert set(picker.controls["family"].options) >= {"HalfNormal", "Exponential", "HalfCauchy"}
    assert "Normal" not in picker.controls["family"].options  # a scale takes a positive prior
    picker.controls["family"].value = "HalfCauchy"
    picker.controls["value_0"].value = 2.5
    assert picker.spec.prior_overrides == {"sigma_beta": Prior("HalfCauchy", beta=2.5)}
    picker.controls["parameter"].value = "rho"
    assert list(picker.controls["family"].options) == ["LKJCorr"]
    picker.controls["value_0"].value = 4.0
    assert picker.spec.prior_overrides["rho"] == Prior("LKJCorr", eta=4)
    assert picker.spec.prior_overrides["sigma_beta"] == Prior("HalfCauchy", beta=2.5)


def test_prior_picker_chart_is_the_chosen_density():
    picker = hbm.prior_picker()
    picker.controls["parameter"].value = "sigma"
    picker.controls["family"].value = "Exponential"
    picker.controls["value_0"].value = 2.0
    rows = next(iter(picker.chart.to_dict()["datasets"].values()))
    values = np.array([r["value"] for r in rows])
    density = np.array([r["density"] for r in rows])
    np.testing.assert_allclose(density, stats.expon(scale=0.5).pdf(values), rtol=1e-6)
    assert "sigma ~ Exponential(lam=2)" in picker.summary.value


def test_prior_picker_keeps_last_good_state_on_bad_values():
    picker = hbm.prior_picker()
    picker.controls["parameter"].value = "sigma"
    picker.controls["family"].value = "HalfNormal"
    picker.controls["value_0"].value = 3.0
    good_spec, good_chart = picker.spec, picker.chart
    picker.controls["value_0"].value = -1.0
    assert picker.error == "HalfNormal's sigma must be positive, got -1"
    assert "must be positive" in picker.message.value
    assert picker.spec == good_spec and picker.chart is good_chart
    picker.controls["value_0"].value = 0.5
    assert picker.error is None
    assert picker.spec.prior_overrides["sigma"] == Prior("HalfNormal", sigma=0.5)


def test_prior_picker_with_data_shows_data_scaled_defaults_and_predictive_share(radon_data):
    picker = hbm.prior_picker(data=radon_data, predictive=True, random_seed=1)
    defaults = hbm.default_priors(radon_data)
    assert picker.controls["value_1"].value == defaults["mu_alpha"].kwargs["sigma"]
    assert 0 <= picker.predictive_summary.share_outside < 0.2
    picker.controls["value_1"].value = 1000.0  # a vague prior on the mean intercept
    assert picker.predictive_summary.share_outside > 0.5
    assert "fall outside the plausible range" in picker.summary.value


def test_prior_density_integrates_to_its_mass():
    for prior in [
        Prior("Normal", mu=1, sigma=2),
        Prior("Gamma", alpha=2, beta=0.1),
        Prior("LKJCorr", eta=2),
    ]:
        frame = hbm.prior_density(prior)
        area = np.trapezoid(frame["density"], frame["value"])
        assert 0.97 < area < 1.01, prior
    with pytest.raises(hbm.WorkbookInputError, match="a Flat prior has no proper density"):
        hbm.prior_density(Prior("Flat"))


def test_prior_predictive_summary_flags_vague_priors(radon_data):
    weak = hbm.prior_predictive_summary(ModelSpec(), radon_data, random_seed=3, draws=200)
    vague = hbm.prior_predictive_summary(
        ModelSpec(
            priors={
                "mu_alpha": Prior("Normal", mu=0, sigma=100),
                "sigma": Prior("HalfCauchy", beta=100),
            }
        ),
        radon_data,
        random_seed=3,
        draws=200,
    )
    assert weak.share_outside < 0.1 < 0.5 < vague.share_outside
    with pytest.raises(hbm.WorkbookInputError, match=r"plausible_range needs low < high"):
        hbm.prior_predictive_summary(ModelSpec(), radon_data, random_seed=3, plausible_range=(2, 1))
