"""Chapter 05 in fast mode: parameterisation, predictions, LOO, K-fold CV and the PPC."""

from __future__ import annotations

import math

import nbformat
import pytest

from tests.chapters.harness import run_chapter

pytestmark = pytest.mark.notebook

FAST = {
    # Two chains with enough tuning that the centred funnel shows itself in the ESS of
    # sigma_beta whatever the seed, not only in its divergences.
    "draws": 200,
    "tune": 300,
    "chains": 2,
    "cv_folds": 2,
    "cv_draws": 60,
    "cv_tune": 60,
    "cv_chains": 1,
    "ppc_replicates": 10,
}


@pytest.fixture(scope="module")
def results(tmp_path_factory, shared_kernel):
    return run_chapter("05-radon-deeper", tmp_path_factory.mktemp("ch05"), km=shared_kernel, **FAST)


def test_parameters_reached_the_chapter(results):
    assert results["settings"] == {"draws": 200, "tune": 300, "chains": 2, "cv_folds": 2}
    assert results["n_obs"] == 919 and results["n_counties"] == 85


def test_non_centring_samples_the_slope_scale_better(results):
    table = results["parameterization"]
    centred, noncentred = table["centred"], table["non-centred"]
    assert centred["divergences"] >= noncentred["divergences"]
    assert centred["ess_bulk_sigma_beta"] < noncentred["ess_bulk_sigma_beta"]
    assert centred["ess_bulk_per_draw"] < noncentred["ess_bulk_per_draw"]
    assert results["funnel_divergent"] == centred["divergences"]


def test_prediction_intervals_widen_as_data_thin_out(results):
    big, small, new = results["intervals"]
    assert (big["n"], small["n"], new["n"]) == (116, 2, 0)
    assert new["new_group"] and not big["new_group"]
    assert new["width"] > big["width"]
    # The small county's prediction is pulled well below its own two-house mean of 2.6.
    assert small["mean"] < 2.3
    # The new county's spread is about sqrt(sigma^2 + sigma_alpha^2).
    expected_sd = math.hypot(results["sigma"], results["sigma_alpha"])
    assert new["sd"] == pytest.approx(expected_sd, rel=0.15)


def test_core_predictions_agree_with_pymc_set_data(results):
    big, small, _ = results["intervals"]
    for ours, pymc_width, pymc_mean in zip(
        (big, small), results["pymc_widths"], results["pymc_means"], strict=True
    ):
        assert ours["width"] == pytest.approx(pymc_width, rel=0.2)
        assert ours["mean"] == pytest.approx(pymc_mean, abs=0.2)


def test_loo_ranks_and_effective_parameters(results):
    loo = results["loo"]
    assert loo["complete pooling"]["rank"] == 3
    assert loo["partial pooling"]["elpd_loo"] > loo["no pooling"]["elpd_loo"]
    assert loo["with uranium"]["elpd_loo"] > loo["complete pooling"]["elpd_loo"]
    assert 2 < loo["complete pooling"]["p_loo"] < 5  # alpha, beta and sigma
    assert loo["no pooling"]["p_loo"] > loo["partial pooling"]["p_loo"] > 5
    assert loo["partial pooling"]["p_loo"] > loo["with uranium"]["p_loo"]
    assert (
        results["pareto_k_above_07"]["no pooling"]
        >= results["pareto_k_above_07"]["partial pooling"]
    )


def test_partial_pooling_has_the_lowest_cross_validated_rmse(results):
    cv = results["cv"]
    assert set(cv) == {"complete pooling", "no pooling", "partial pooling"}
    best = min(cv, key=lambda model: cv[model]["rmse"])
    assert best == "partial pooling"
    assert cv["partial pooling"]["mse_minus_best"] == 0.0
    folds = {row["fold"] for row in results["cv_by_fold"]}
    assert folds == {0, 1}


def test_posterior_predictive_check(results):
    ppc = results["ppc"]
    assert 0.05 < ppc["mean"]["p_value"] < 0.95
    assert ppc["mean"]["observed"] == pytest.approx(1.2250, abs=1e-3)
    # A few readings at the survey's floor are lower than the normal model replicates.
    assert ppc["min"]["p_value"] > 0.8


def test_executed_chapter_has_no_errors_and_charts(results):
    notebook = nbformat.read(results["_executed_notebook"], as_version=4)
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    svgs = [o for o in outputs if "image/svg+xml" in o.get("data", {})]
    assert len(svgs) >= 4
