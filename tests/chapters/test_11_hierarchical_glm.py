"""Chapter 11 in fast mode: pooled batting averages and a borrowed forecast."""

from __future__ import annotations

import nbformat
import numpy as np
import pytest
from scipy import special

from tests.chapters.harness import run_chapter

pytestmark = pytest.mark.notebook

FAST = {"draws": 250, "tune": 300, "chains": 2}


@pytest.fixture(scope="module")
def results(tmp_path_factory, shared_kernel):
    return run_chapter(
        "11-hierarchical-glm", tmp_path_factory.mktemp("ch11"), km=shared_kernel, **FAST
    )


@pytest.fixture(scope="module")
def rates(results):
    return {k: np.asarray(v) for k, v in results["rates"].items()}


def test_parameters_reached_the_chapter(results):
    assert results["draws"] == 250 and results["chains"] == 2
    assert results["n_players"] == 322


def test_fits_converged_well_enough_for_fast_mode(results):
    for report in [*results["glm_convergence"].values(), *results["series_convergence"].values()]:
        assert report["divergences"] == 0
        assert report["max_rhat"] < 1.1


def test_raw_rates_are_the_data(results, rates):
    np.testing.assert_allclose(rates["raw_rate"], rates["count"] / rates["n"])
    assert results["pooled_average"] == pytest.approx(rates["count"].sum() / rates["n"].sum())


def test_population_rate_is_near_the_pooled_average(results):
    assert results["population_rate"] == pytest.approx(
        float(special.expit(results["mu_alpha"])), rel=1e-9
    )
    assert abs(results["population_rate"] - results["pooled_average"]) < 0.01
    assert 0.05 < results["sigma_alpha"] < 0.2


def test_every_estimate_moves_towards_the_centre(results, rates):
    centre = results["population_rate"]
    raw, pooled = rates["raw_rate"], rates["pooled_rate"]
    far = np.abs(raw - centre) > 0.01
    # Partially pooled rates lie between the raw rate and the centre...
    assert np.all(np.abs(pooled[far] - centre) < np.abs(raw[far] - centre))
    assert np.all(np.sign(pooled[far] - centre) == np.sign(raw[far] - centre))
    # ...and small groups move further: the 7 players with under 100 at-bats go most of the
    # way, the 20 with the most at-bats well under half of it.
    order = np.argsort(rates["n"])
    shrinkage = rates["shrinkage"]
    assert np.nanmedian(shrinkage[order[:7]]) > 0.9
    assert np.nanmedian(shrinkage[order[-20:]]) < 0.6


def test_pooling_narrows_small_groups_intervals(rates):
    small = rates["n"] < 50
    assert small.sum() >= 5
    # The no-pooling interval shrinks as 1/sqrt(n) (0.2-0.3 wide at 20 at-bats, under 0.2 near
    # 50); the partially pooled one stays near the spread of skill, about 0.06.
    narrowing = rates["no_pooling_width"][small] / rates["partial_pooling_width"][small]
    assert np.all(narrowing > 2) and np.median(narrowing) > 3


def test_agrees_with_beta_binomial_empirical_bayes(results, rates):
    eb = results["empirical_bayes"]
    expected = (eb["a"] + rates["count"]) / (eb["a"] + eb["b"] + rates["n"])
    np.testing.assert_allclose(rates["empirical_bayes"], expected, rtol=1e-9)
    assert eb["max_gap"] < 0.006
    assert 200 < eb["a"] + eb["b"] < 1000


def test_pooling_predicts_earlier_careers_better(results):
    error = results["prediction_error"]
    assert results["n_judged"] > 250
    assert error["partially pooled"] < error["raw 1986 average"]
    assert error["partially pooled"] < error["league average for everyone"]


def test_borrowed_forecast_is_sharper(results):
    forecast = results["forecast"]
    pooled, alone = forecast["partial pooling"], forecast["new store alone"]
    assert pooled["mean width of the 90% band"] < alone["mean width of the 90% band"] / 2
    assert pooled["error of the mean (RMSE)"] < alone["error of the mean (RMSE)"]
    assert pooled["held-out months inside the 90% band"] >= 0.75
    assert alone["held-out months inside the 90% band"] >= 0.75


def test_executed_chapter_has_no_errors_and_charts(results):
    notebook = nbformat.read(results["_executed_notebook"], as_version=4)
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    svgs = [o for o in outputs if "image/svg+xml" in o.get("data", {})]
    assert len(svgs) >= 2, "the rates chart and the forecasts chart are rendered as SVG"
