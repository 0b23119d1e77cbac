"""Chapter 01 in fast mode: the recorded posteriors agree with the closed form."""

from __future__ import annotations

import math

import nbformat
import pytest

import hbm_widgets as hbm
from tests.chapters.harness import run_chapter

pytestmark = pytest.mark.notebook

FAST = {"draws": 400, "chains": 2, "n": 12, "prior_sd": 5.0}


@pytest.fixture(scope="module")
def results(tmp_path_factory, shared_kernel):
    return run_chapter("01-bayes-rule", tmp_path_factory.mktemp("ch01"), km=shared_kernel, **FAST)


def test_parameters_reached_the_chapter(results):
    assert results["n"] == FAST["n"] and results["prior_sd"] == FAST["prior_sd"]


def test_closed_form_is_the_formula(results):
    n, sigma, sd0 = results["n"], results["sigma"], results["prior_sd"]
    precision = n / sigma**2 + 1 / sd0**2
    expected_mean = (
        n / sigma**2 * results["sample_mean"] + results["prior_mean"] / sd0**2
    ) / precision
    assert results["closed_form_mean"] == pytest.approx(expected_mean, rel=1e-12)
    assert results["closed_form_sd"] == pytest.approx(precision**-0.5, rel=1e-12)
    direct = hbm.conjugate_normal_posterior(
        results["prior_mean"], sd0, sigma, n, results["sample_mean"]
    )
    assert results["data_weight"] == pytest.approx(direct.data_weight)


def test_grid_agrees_with_closed_form(results):
    assert results["grid_mean"] == pytest.approx(results["closed_form_mean"], abs=1e-4)
    assert results["grid_sd"] == pytest.approx(results["closed_form_sd"], rel=1e-4)


def test_mcmc_agrees_within_monte_carlo_error(results):
    gap = abs(results["mcmc_mean"] - results["closed_form_mean"])
    assert gap < 4 * results["mcmc_mcse_mean"]
    assert results["mcmc_sd"] == pytest.approx(results["closed_form_sd"], rel=0.15)
    # Fast mode samples 2 x 400 draws; the chapter's defaults (4 x 2000) are held to 1.01.
    assert results["convergence"]["max_rhat"] < 1.02
    assert results["convergence"]["divergences"] == 0


def test_limits(results):
    assert results["flat_prior_mean"] == pytest.approx(results["sample_mean"])
    assert results["flat_prior_sd"] == pytest.approx(results["sigma"] / math.sqrt(results["n"]))
    assert results["no_data_mean"] == results["prior_mean"]
    assert results["no_data_sd"] == results["prior_sd"]


def test_executed_chapter_has_no_errors_and_a_chart(results):
    notebook = nbformat.read(results["_executed_notebook"], as_version=4)
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/svg+xml" in o.get("data", {}) for o in outputs), "no chart rendered as SVG"
