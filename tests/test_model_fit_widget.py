"""The fit explorer refits the spec its selector and picker show, without sampling here."""

from __future__ import annotations

from unittest import mock

import altair as alt
import arviz as az
import numpy as np
import pytest

import hbm_widgets as hbm
from hbm_widgets import ModelSpec, Prior


@pytest.fixture(autouse=True)
def no_display():
    with mock.patch("hbm_widgets.widgets.base.display") as display:
        yield display


class FakeFit:
    """Records the specs it is asked to fit and returns a tiny posterior for each.

    Intercepts are the county means shifted by a number that identifies the call, so the
    chart's data show which fit is on screen.
    """

    def __init__(self):
        self.specs: list[ModelSpec] = []

    def __call__(self, spec, data):
        self.specs.append(spec)
        shift = len(self.specs)
        rng = np.random.default_rng(shift)
        shape = (2, 20)
        county = {data.group_name: data.group_names.tolist()}
        posterior = {"sigma": rng.uniform(0.7, 0.8, shape)}
        dims = {}
        if spec.pooling == "complete":
            posterior["alpha"] = float(shift) + rng.normal(0, 0.01, shape)
        else:
            posterior["alpha"] = data.group_means + shift + rng.normal(0, 0.01, (*shape, 85))
            dims["alpha"] = [data.group_name]
        if spec.varies_slope:
            posterior["beta"] = np.full((*shape, 85), -0.5) + rng.normal(0, 0.01, (*shape, 85))
            dims["beta"] = [data.group_name]
        else:
            posterior["beta"] = rng.normal(-0.7, 0.01, shape)
        if spec.pooling == "partial":
            posterior["mu_alpha"] = rng.normal(1.5, 0.01, shape)
            posterior["sigma_alpha"] = rng.uniform(0.3, 0.4, shape)
        return az.from_dict(
            {"posterior": posterior, "sample_stats": {"diverging": np.zeros(shape, dtype=bool)}},
            dims=dims,
            coords=county,
        )


def explorer_draws(display):
    """How many times a county chart (not the selector's or picker's output) was drawn."""
    return sum(isinstance(c.args[0], alt.LayerChart) for c in display.call_args_list)


def chart_rows(explorer):
    return next(iter(explorer.chart.to_dict()["datasets"].values()))


def model_means(explorer, label):
    return np.array([r["mean"] for r in chart_rows(explorer) if r["model"] == label])


def test_the_first_fit_is_the_selectors_spec(radon_data):
    fake = FakeFit()
    explorer = hbm.model_fit_explorer(radon_data, fit=fake)
    assert fake.specs == [ModelSpec()]
    assert explorer.spec == ModelSpec() and explorer.error is None
    labels = {r["model"] for r in chart_rows(explorer)}
    assert labels == {"least squares (no pooling)", "partial pooling, varying intercept"}
    np.testing.assert_allclose(
        model_means(explorer, "partial pooling, varying intercept"),
        radon_data.group_means + 1,
        atol=0.01,
    )
    assert "partial pooling, varying intercept" in explorer.summary.value
    assert "mu_alpha" in explorer.summary.value and "fitted in" in explorer.summary.value


def test_changing_the_pooling_refits_and_going_back_uses_the_cache(radon_data, no_display):
    fake = FakeFit()
    explorer = hbm.model_fit_explorer(radon_data, fit=fake)
    explorer.selector.controls["pooling"].value = "none"
    assert fake.specs[-1] == ModelSpec(pooling="none")
    np.testing.assert_allclose(
        model_means(explorer, "no pooling, varying intercept"),
        radon_data.group_means + 2,
        atol=0.01,
    )
    explorer.selector.controls["pooling"].value = "complete"
    assert fake.specs[-1] == ModelSpec(pooling="complete")
    np.testing.assert_allclose(model_means(explorer, "complete pooling"), 3.0, atol=0.01)
    explorer.selector.controls["pooling"].value = "partial"
    assert len(fake.specs) == 3  # cached: not fitted again
    assert "from the cache" in explorer.summary.value
    np.testing.assert_allclose(
        model_means(explorer, "partial pooling, varying intercept"),
        radon_data.group_means + 1,
        atol=0.01,
    )
    assert explorer_draws(no_display) == 4


def test_a_prior_change_refits_with_that_prior(radon_data):
    fake = FakeFit()
    explorer = hbm.model_fit_explorer(radon_data, fit=fake)
    explorer.picker.controls["parameter"].value = "sigma_alpha"
    assert len(fake.specs) == 1  # showing a prior is not changing it
    explorer.picker.controls["family"].value = "HalfNormal"
    explorer.picker.controls["value_0"].value = 0.5
    assert fake.specs[-1] == ModelSpec(priors={"sigma_alpha": Prior("HalfNormal", sigma=0.5)})
    # The prior survives a change of pooling that keeps the parameter...
    explorer.selector.controls["varying"].value = "both"
    assert fake.specs[-1] == ModelSpec(
        varying="both", priors={"sigma_alpha": Prior("HalfNormal", sigma=0.5)}
    )
    # ...and the picker now offers the new model's parameters.
    options = list(explorer.picker.controls["parameter"].options)
    assert options == ModelSpec(varying="both").prior_roles()
    assert explorer.picker.controls["parameter"].value == "sigma_alpha"
    # Under no pooling the prior on sigma_alpha means nothing and is dropped from the spec.
    explorer.selector.controls["pooling"].value = "none"
    assert fake.specs[-1] == ModelSpec(pooling="none", varying="both")


def test_specs_of_the_same_model_share_a_cache_entry(radon_data):
    fake = FakeFit()
    explorer = hbm.model_fit_explorer(radon_data, fit=fake)
    explorer.selector.controls["pooling"].value = "complete"
    explorer.selector.controls["varying"].value = "both"  # ignored under complete pooling
    explorer.selector.controls["parameterization"].value = "centered"  # and so is this
    assert fake.specs == [ModelSpec(), ModelSpec(pooling="complete")]


def test_showing_slopes_draws_the_slope_of_each_county(radon_data):
    fake = FakeFit()
    explorer = hbm.model_fit_explorer(radon_data, fit=fake)
    explorer.selector.controls["varying"].value = "slope"
    explorer.controls["coefficient"].value = "beta"
    assert len(fake.specs) == 2  # changing what is shown does not refit
    rows = chart_rows(explorer)
    assert {r["model"] for r in rows} == {"partial pooling, varying slope"}
    assert np.allclose([r["mean"] for r in rows], -0.5, atol=0.01)


def test_given_fits_start_the_cache(radon_data):
    fake = FakeFit()
    ready = FakeFit()(ModelSpec(), radon_data)
    complete = FakeFit()(ModelSpec(pooling="complete"), radon_data)
    given = {ModelSpec(): ready, ModelSpec(pooling="complete"): complete}
    with mock.patch(
        "hbm_widgets.widgets.model_fit.convergence_report", wraps=hbm.convergence_report
    ) as diagnose:
        explorer = hbm.model_fit_explorer(radon_data, fit=fake, fits=given)
        # Only the fit shown is diagnosed; the one not shown waits until it is.
        assert [c.args[0] is ready for c in diagnose.call_args_list] == [True]
        assert explorer.current.report == hbm.convergence_report(ready)
        assert diagnose.call_count == 1  # read twice, computed once
    assert fake.specs == [] and explorer.current.idata is ready


def test_a_failing_fit_keeps_the_last_good_state(radon_data, no_display):
    fake = FakeFit()

    def fit(spec, data):
        if spec.likelihood == "student_t":
            raise hbm.WorkbookInputError("sampling failed for likelihood='student_t'")
        return fake(spec, data)

    explorer = hbm.model_fit_explorer(radon_data, fit=fit)
    chart, spec = explorer.chart, explorer.spec
    explorer.selector.controls["likelihood"].value = "student_t"
    assert explorer.error == "sampling failed for likelihood='student_t'"
    assert "sampling failed" in explorer.message.value
    assert explorer.chart is chart and explorer.spec == spec
    assert explorer_draws(no_display) == 1
    explorer.selector.controls["likelihood"].value = "normal"
    assert explorer.error is None and explorer.message.value == ""


def test_a_refused_prior_value_does_not_refit(radon_data):
    fake = FakeFit()
    explorer = hbm.model_fit_explorer(radon_data, fit=fake)
    explorer.picker.controls["parameter"].value = "sigma"
    explorer.picker.controls["value_0"].value = -1.0
    assert "must be positive" in explorer.picker.error
    assert len(fake.specs) == 1 and explorer.error is None


def test_explorer_refuses_data_that_are_not_grouped():
    with pytest.raises(hbm.WorkbookInputError, match="expected GroupedData"):
        hbm.model_fit_explorer(hbm.load_radon())
