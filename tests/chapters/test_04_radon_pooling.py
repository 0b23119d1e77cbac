"""Chapter 04 in fast mode: the radon pooling models, written by hand, against the data,
the workbook's own models and MixedLM."""

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

# Run in the chapter's namespace after its last cell: the figures the tests assert on.
READ_BACK = """
hand_written = {
    "complete pooling": (pooled_model, pooled_spec),
    "no pooling": (unpooled_model, unpooled_spec),
    "partial pooling": (partial_pooling_model, partial_pooling_spec),
    "varying slope": (varying_slope_model, varying_slope_spec),
    "with uranium": (uranium_model, uranium_spec),
}
matches = {
    name: hbm.match_models(model, hbm.build_model(spec, data))
    for name, (model, spec) in hand_written.items()
}
lkj_match = hbm.match_models(varying_intercept_slope_model, helper_intercept_slope_model)
record(
    n_obs=data.n_obs,
    n_counties=data.n_groups,
    basement_share=basement_share,
    min_county_size=int(data.group_sizes.min()),
    max_county_size=int(data.group_sizes.max()),
    counties_under_five=int((data.group_sizes < 5).sum()),
    matches={name: match.same for name, match in matches.items()},
    lkj_match={"same": lkj_match.same, "missing": list(lkj_match.missing)},
    two_forms_max_gap=two_forms_max_gap,
    prior_ground_floor_range=[
        float(q)
        for q in np.quantile(prior_log_radon.values[..., data.predictor == 1], [0.05, 0.95])
    ],
    has_posterior_predictive="posterior_predictive" in partial_pooling_idata,
    eight_counties=list(eight_counties),
    eight_lines=int(len(pooling_lines[pooling_lines["county"].isin(eight_counties)])),
    pooled_intercept=pooled_intercept,
    pooled_floor_effect=float(pooled_idata.posterior["beta"].mean()),
    unpooled_spread=unpooled_spread,
    unpooled_vs_least_squares_max_gap=float(gap.max()),
    floor_effect=floor_effect,
    floor_effect_sd=floor_effect_sd,
    county_sd=county_sd,
    residual_sd=residual_sd,
    mu_alpha=mu_alpha_mean,
    closed_form_max_gap=closed_form_gap,
    shrinkage_smallest=float(shrinkage.sort_values("n")["B"].iloc[0]),
    shrinkage_largest=float(shrinkage.sort_values("n")["B"].iloc[-1]),
    partial_estimates=partial_estimates[["county", "n", "mean"]].to_dict(orient="list"),
    unpooled_estimates=unpooled_estimates[["county", "n", "mean"]].to_dict(orient="list"),
    sigma_beta=float(varying_intercept_slope_table.loc["sigma_beta", "mean"]),
    rho=float(varying_intercept_slope_table.loc["rho", "mean"]),
    uranium_effect=uranium_effect,
    uranium_effect_sd=float(uranium_table.loc["gamma_alpha", "sd"]),
    county_sd_with_uranium=county_sd_with_uranium,
    explained_share=explained_share,
    mixedlm={
        "partial": mixed_partial.estimates()["estimate"].to_dict(),
        "partial_method": mixed_partial.method,
        "partial_converged": mixed_partial.converged,
        "uranium": mixed_uranium.estimates()["estimate"].to_dict(),
        "uranium_method": mixed_uranium.method,
        "uranium_converged": mixed_uranium.converged,
        "uranium_attempts": mixed_uranium.attempts[["method", "converged", "usable"]].to_dict(
            orient="records"
        ),
        "intercept_slope": mixed_intercept_slope.estimates()["estimate"].to_dict(),
        "partial_ml": mixed_partial_ml.estimates()["estimate"].to_dict(),
    },
    reports={name: r.to_dict() for name, r in reports.items()},
    explorer_fitted=[{"label": s.label, "likelihood": s.likelihood} for s in explorer.fitted_specs],
    settings={"draws": draws, "tune": tune, "chains": chains, "lkj_draws": lkj_draws},
)
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory, shared_kernel):
    return run_chapter(
        "04-radon-pooling",
        tmp_path_factory.mktemp("ch04"),
        km=shared_kernel,
        read_back=READ_BACK,
        **FAST,
    )


def test_parameters_reached_the_chapter(results):
    assert results["settings"] == {"draws": 100, "tune": 150, "chains": 2, "lkj_draws": 100}


def test_data_counts(results):
    radon = hbm.load_radon()
    assert results["n_obs"] == 919 and results["n_counties"] == 85
    assert results["min_county_size"] == 1 and results["max_county_size"] == 116
    assert results["counties_under_five"] == int((radon.groupby("county").size() < 5).sum())
    assert results["basement_share"] == pytest.approx(float((radon["floor"] == 0).mean()))


def test_hand_written_models_match_the_helper(results):
    # Complete, no and partial pooling, varying slope and uranium: the same variables,
    # shapes and log density as build_model's.
    assert results["matches"] == {
        "complete pooling": True,
        "no pooling": True,
        "partial pooling": True,
        "varying slope": True,
        "with uranium": True,
    }


def test_the_two_forms_of_the_correlated_model_agree_in_their_posteriors(results):
    # LKJCholeskyCov by hand, LKJCorr plus scales in the helper: different free variables,
    # so match_models tells them apart, but the posterior means agree within Monte Carlo
    # error (a loose bound: fast mode's 2 x 100 draws make the error itself rough).
    assert not results["lkj_match"]["same"]
    assert "z_alpha" in results["lkj_match"]["missing"]
    assert results["two_forms_max_gap"] < 5


def test_prior_predictive_check_shows_the_wide_floor_prior(results):
    low, high = results["prior_ground_floor_range"]
    # The slope's Normal(0, 5.7) prior lets ground-floor log radon range over about +-10.
    assert low < -5 and high > 7
    assert results["has_posterior_predictive"]


def test_eight_county_panel(results):
    assert len(results["eight_counties"]) == 8
    assert results["eight_lines"] == 3 * 8


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
    # The text says: the default optimiser (BFGS) does not converge on the uranium model,
    # another (L-BFGS) converges to a degenerate point, and a sensible fit is kept.
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


def test_the_explorer_starts_from_the_chapter_fits(results):
    # Every spec it opens on was fitted by the chapter: it has sampled nothing itself.
    assert results["explorer_fitted"] == []


def test_executed_chapter_has_no_errors_and_charts(results):
    notebook = nbformat.read(results["_executed_notebook"], as_version=4)
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    svgs = [o for o in outputs if "image/svg+xml" in o.get("data", {})]
    assert len(svgs) >= 5  # the explorer draws into its own output, not the cell's
    pngs = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(pngs) >= 5  # ArviZ's plots: prior and posterior predictive, trace, forest, rank
