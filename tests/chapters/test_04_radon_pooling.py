"""Chapter 04 in fast mode: the radon pooling models against the data and MixedLM."""

from __future__ import annotations

import nbformat
import numpy as np
import pytest

import hbm_widgets as hbm
from tests.chapters.harness import run_chapter

pytestmark = pytest.mark.notebook

FAST = {
    "draws": 100,
    "tune": 150,
    "chains": 2,
    "lkj_draws": 100,
    "explorer_draws": 50,
    "explorer_tune": 50,
    "explorer_chains": 1,
}


@pytest.fixture(scope="module")
def results(tmp_path_factory, shared_kernel):
    return run_chapter(
        "04-radon-pooling", tmp_path_factory.mktemp("ch04"), km=shared_kernel, **FAST
    )


def test_parameters_reached_the_chapter(results):
    assert results["settings"] == {"draws": 100, "tune": 150, "chains": 2, "lkj_draws": 100}


def test_data_counts(results):
    radon = hbm.load_radon()
    assert results["n_obs"] == 919 and results["n_counties"] == 85
    assert results["min_county_size"] == 1 and results["max_county_size"] == 116
    assert results["counties_under_five"] == int((radon.groupby("county").size() < 5).sum())
    assert results["basement_share"] == pytest.approx(float((radon["floor"] == 0).mean()))


def test_floor_effect_is_negative_and_agrees_with_mixedlm(results):
    beta, sd = results["floor_effect"], results["floor_effect_sd"]
    assert beta < 0
    assert abs(beta - results["mixedlm"]["partial"]["beta"]) < 2 * sd
    assert results["pooled_floor_effect"] < 0


def test_county_sd_is_positive_and_below_the_no_pooling_spread(results):
    assert 0 < results["county_sd"] < results["unpooled_spread"]
    # The posterior mean of a scale sits at or above the REML estimate, not far from it.
    reml = results["mixedlm"]["partial"]["sigma_alpha"]
    assert reml * 0.8 < results["county_sd"] < reml * 1.4


def test_partial_pooling_shrinks_small_counties_most(results):
    partial = results["partial_estimates"]
    unpooled = results["unpooled_estimates"]
    assert partial["county"] == unpooled["county"]
    n = np.array(partial["n"])
    moved = np.abs(np.array(partial["mean"]) - np.array(unpooled["mean"]))
    assert np.median(moved[n <= 2]) > 3 * np.median(moved[n >= 20])
    centre = results["mu_alpha"]
    assert (
        np.abs(np.array(partial["mean"]) - centre).mean()
        < np.abs(np.array(unpooled["mean"]) - centre).mean()
    )
    assert results["closed_form_max_gap"] < 0.1
    assert results["shrinkage_smallest"] > 0.7 and results["shrinkage_largest"] < 0.1
    assert results["unpooled_vs_least_squares_max_gap"] < 0.1


def test_uranium_explains_county_variation(results):
    assert results["uranium_effect"] > 0
    reml = results["mixedlm"]["uranium"]
    assert abs(results["uranium_effect"] - reml["gamma_alpha"]) < 2 * results["uranium_effect_sd"]
    assert results["county_sd_with_uranium"] < results["county_sd"]
    assert 0.5 < results["explained_share"] < 0.95


def test_mixedlm_reference_is_converged(results):
    mixed = results["mixedlm"]
    assert mixed["partial_converged"] and mixed["uranium_converged"]
    attempts = {a["method"]: a for a in mixed["uranium_attempts"]}
    assert not attempts["bfgs"]["converged"]
    assert attempts["lbfgs"]["converged"] and not attempts["lbfgs"]["usable"]
    assert mixed["uranium_method"] in ("powell", "nm")
    assert mixed["partial_ml"]["sigma_alpha"] < mixed["partial"]["sigma_alpha"]


def test_every_fit_has_no_divergences(results):
    for name, report in results["convergence"].items():
        assert report["divergences"] == 0, name
        # Fast mode samples 2 x 100 draws; the defaults are held to 1.01 in the chapter.
        assert report["max_rhat"] < 1.15, name


def test_the_explorer_refits_then_uses_its_cache(results):
    assert results["explorer_fitted"] == [
        {"label": "partial pooling, varying intercept", "likelihood": "student_t"}
    ]
    assert results["cached_seconds"] < results["refit_seconds"]


def test_executed_chapter_has_no_errors_and_charts(results):
    notebook = nbformat.read(results["_executed_notebook"], as_version=4)
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    svgs = [o for o in outputs if "image/svg+xml" in o.get("data", {})]
    assert len(svgs) >= 4  # the explorer draws into its own output, not the cell's
