"""Chapter 05 in fast mode: the model by hand, parameterisation, predictions, LOO, leaving
counties out, and the PPC."""

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
    "ppc_replicates": 10,
}

# Run in the chapter's namespace after its last cell (tests/chapters/harness.py).
READ_BACK = """
record(
    n_obs=data.n_obs,
    n_counties=data.n_groups,
    settings={"draws": draws, "tune": tune, "chains": chains, "cv_folds": cv_folds},
    model_match_same=bool(model_match.same),
    model_match_differences=list(model_match.differences()),
    parameterization=parameterization.to_dict(orient="index"),
    centered=centered_report.to_dict(),
    noncentered=noncentered_report.to_dict(),
    funnel_divergent=int(funnel["divergent"].sum()),
    intervals=intervals.to_dict(orient="records"),
    pymc_widths=pymc_widths,
    pymc_means=comparison["pymc_mean"].tolist(),
    new_county_width=new_county_width,
    new_county_uranium_width=new_county_uranium_width,
    sigma=float(partial_pooling_idata.posterior["sigma"].mean()),
    sigma_alpha=float(partial_pooling_idata.posterior["sigma_alpha"].mean()),
    reports={name: r.to_dict() for name, r in reports.items()},
    loo=loo_comparison[["rank", "elpd_loo", "p_loo", "se", "elpd_diff", "dse"]].to_dict(
        orient="index"
    ),
    pareto_k_above_07=pareto_k,
    cv_comparison=cv_comparison.to_dict(orient="index"),
    cv_reports={name: r.to_dict() for name, r in cv_reports.items()},
    cv_counties_per_fold=np.bincount(county_fold).tolist(),
    models_have_all_houses_back=[
        int(m["county_idx"].get_value().size) for m in cv_models.values()
    ],
    ppc=ppc_table.to_dict(orient="index"),
)
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory, shared_kernel):
    return run_chapter(
        "05-radon-deeper",
        tmp_path_factory.mktemp("ch05"),
        km=shared_kernel,
        read_back=READ_BACK,
        **FAST,
    )


def test_parameters_reached_the_chapter(results):
    assert results["settings"] == {"draws": 200, "tune": 300, "chains": 2, "cv_folds": 2}
    assert results["n_obs"] == 919 and results["n_counties"] == 85


def test_the_hand_written_model_is_build_models(results):
    assert results["model_match_same"] and results["model_match_differences"] == []


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


def test_loo_difference_of_uranium_is_within_two_standard_errors(results):
    # The chapter's figures (default settings): a gain of 8.9 with dse 5.3.
    partial = results["loo"]["partial pooling"]
    assert partial["elpd_diff"] == pytest.approx(-8.9, abs=1.5)
    assert partial["dse"] == pytest.approx(5.3, abs=0.5)
    assert abs(partial["elpd_diff"]) < 2 * partial["dse"]


def test_leaving_counties_out_separates_uranium_clearly(results):
    assert results["cv_counties_per_fold"] == [43, 42]  # 85 counties in two folds
    assert results["models_have_all_houses_back"] == [919, 919]
    pointwise = results["cv_comparison"]["a house, its county kept (PSIS-LOO)"]
    by_county = results["cv_comparison"]["a whole county left out"]
    assert pointwise["gain in se"] < 2 < by_county["gain in se"]
    assert by_county["uranium gain"] > 3 * pointwise["uranium gain"]
    # A new county is harder to predict than a new house in a known one.
    assert by_county["elpd partial pooling"] < pointwise["elpd partial pooling"] - 30
    for report in results["cv_reports"].values():
        assert report["divergences"] == 0


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
