"""Chapter 06 in fast mode: ML as statsmodels and lmer give it, Bayes close to ML, the joint
model written by hand and the helper's the same, ranks."""

from __future__ import annotations

import nbformat
import pytest
import statsmodels.formula.api as smf

import hbm_widgets as hbm
from tests.chapters.harness import run_chapter

pytestmark = pytest.mark.notebook

# Run after the chapter's last cell, in its namespace: the figures the tests assert on.
READ_BACK = """
record(
    draws=draws,
    chains=chains,
    n_rows=len(gcse),
    missing_course=int(gcse["course"].isna().sum()),
    missing_written=int(gcse["written"].isna().sum()),
    n_students=data.n_obs,
    n_schools=data.n_groups,
    ml_method=ml_fit.method,
    ml_converged=ml_fit.converged,
    ml_estimates=ml_estimates.to_dict(),
    ml_se=ml_se[["mu_alpha", "mu_beta"]].to_dict(),
    reml_estimates=reml_estimates.to_dict(),
    bayes=bayes_scalars.to_dict(orient="index"),
    partial_pooling_convergence=partial_pooling_report.to_dict(),
    parameterization_costs=costs.to_dict(orient="index"),
    joint_match_same=bool(joint_match.same),
    joint_match_variables=sorted(joint_match.variables.index),
    joint=joint_scalars.to_dict(orient="index"),
    joint_convergence=joint_report.to_dict(),
    joint_rho_residual=float(written_scalars.loc["rho_residual", "mean"]),
    expected_missing_course=float(expected_missing.mean()),
    observed_course_mean=float(data.outcome.mean()),
    prior_share_outside=prior_share_outside,
    rank_draws=int(girls_ranks.sizes["sample"]),
    rank_permutation_draws=ranks_are_permutations,
    rank_mean_sum=float(rank_table["mean_rank"].sum()),
    school_a=school_a,
    school_b=school_b,
    p_a_greater_b=a_vs_b.probability,
    p_b_greater_a=b_vs_a.probability,
    pairwise_schools=int(pairwise["school_a"].nunique()),
    slope_sd_no_pooling=float(spread.loc["SD of slopes", "no pooling"]),
    slope_sd_partial_pooling=float(spread.loc["SD of slopes", "partial pooling"]),
    intercept_sd_no_pooling=float(spread.loc["SD of intercepts", "no pooling"]),
    intercept_sd_partial_pooling=float(spread.loc["SD of intercepts", "partial pooling"]),
    comparison_table=hbm.format_comparison_table(comparison).to_dict(orient="index"),
)
"""

FAST = {
    "draws": 100,
    "tune": 150,
    "chains": 2,
    "compare_parameterizations": False,
    "joint_draws": 100,
    "joint_tune": 150,
    "prior_draws": 50,
    "top_schools": 4,
}


@pytest.fixture(scope="module")
def results(tmp_path_factory, shared_kernel):
    return run_chapter(
        "06-gcse-ml-vs-bayes",
        tmp_path_factory.mktemp("ch06"),
        km=shared_kernel,
        read_back=READ_BACK,
        **FAST,
    )


def test_parameters_reached_the_chapter(results):
    assert results["draws"] == FAST["draws"] and results["chains"] == FAST["chains"]
    assert results["rank_draws"] == FAST["draws"] * FAST["chains"]
    assert results["pairwise_schools"] == FAST["top_schools"]


def test_data_and_complete_cases(results):
    assert results["n_rows"] == 1905
    assert results["missing_course"] == 180 and results["missing_written"] == 202
    assert results["n_students"] == 1725 and results["n_schools"] == 73


def test_ml_is_statsmodels_on_the_complete_cases(results):
    frame = hbm.load_gcse().dropna(subset=["course"])
    direct = smf.mixedlm(
        "course ~ female", frame, groups=frame["school"], re_formula="~female"
    ).fit(reml=False, method="lbfgs")
    assert direct.converged and results["ml_converged"]
    ml = results["ml_estimates"]
    assert ml["mu_alpha"] == pytest.approx(direct.fe_params["Intercept"], abs=1e-3)
    assert ml["mu_beta"] == pytest.approx(direct.fe_params["female"], abs=1e-3)
    assert results["ml_se"]["mu_beta"] == pytest.approx(direct.bse_fe["female"], rel=1e-3)


def test_ml_within_one_standard_error_of_the_published_ml_column(results):
    reference = hbm.GCSE_REFERENCE["ML (lmer)"]
    ml, se = results["ml_estimates"], results["ml_se"]
    for term, name in (("intercept", "mu_alpha"), ("female", "mu_beta")):
        assert abs(ml[name] - reference[term][0]) < se[name]
    # The school SDs are reproduced to the third decimal as well.
    assert ml["sigma_alpha"] == pytest.approx(reference["sd_intercept"][0], abs=0.005)
    assert ml["sigma_beta"] == pytest.approx(reference["sd_female"][0], abs=0.005)
    table = results["comparison_table"]
    key = "('B. fixed effects', 'intercept')"
    assert table[key]["reference: ML (lmer)"] == "69.425 (1.352)"
    assert table[key]["ML (statsmodels)"] == f"{ml['mu_alpha']:.3f} ({se['mu_alpha']:.3f})"


def test_bayes_within_two_posterior_sds_of_ml(results):
    bayes, ml = results["bayes"], results["ml_estimates"]
    for name in ("mu_alpha", "mu_beta"):
        assert abs(bayes[name]["mean"] - ml[name]) < 2 * bayes[name]["sd"]
    for name in ("sigma_alpha", "sigma_beta"):
        assert abs(bayes[name]["mean"] - ml[name]) < 2 * bayes[name]["sd"]
    assert bayes["rho"]["mean"] < 0 and ml["rho"] < 0
    # REML accounts for the fixed effects' uncertainty: larger school SDs than ML.
    assert results["reml_estimates"]["sigma_alpha"] > ml["sigma_alpha"]


def test_fits_are_usable_in_fast_mode(results):
    # Fast mode runs 2 x 100 draws; the chapter's defaults (4 x 1000) reach R-hat < 1.01.
    assert results["partial_pooling_convergence"]["divergences"] == 0
    assert results["partial_pooling_convergence"]["max_rhat"] < 1.1
    assert results["joint_convergence"]["max_rhat"] < 1.2
    assert results["joint_convergence"]["divergences"] == 0
    # Every fit in the chapter's namespace, as the harness records them.
    fits = results["convergence"]
    assert {"partial_pooling_idata", "joint_idata"} <= set(fits)
    assert all(fit["divergences"] == 0 for fit in fits.values())


def test_hand_written_joint_model_is_the_helpers(results):
    # match_models: the same free and observed variables, shapes and log density.
    assert results["joint_match_same"]
    assert results["joint_match_variables"] == sorted(
        [
            "mu", "school_chol", "z", "beta_written", "sigma", "sigma_written",
            "residual_chol", "written", "course_given_written", "course_only",
        ]
    )  # fmt: skip


def test_joint_model_uses_the_written_scores(results):
    joint, bayes = results["joint"], results["bayes"]
    assert results["joint_rho_residual"] > 0.3
    # Students without coursework wrote weaker papers: their expected coursework is lower.
    assert results["expected_missing_course"] < results["observed_course_mean"]
    for name in ("mu_alpha", "mu_beta"):
        assert abs(joint[name]["mean"] - bayes[name]["mean"]) < 2 * bayes[name]["sd"]
    assert joint["rho"]["mean"] < 0


def test_ranks_and_comparisons(results):
    assert results["rank_permutation_draws"] == results["rank_draws"]
    n = results["n_schools"]
    assert results["rank_mean_sum"] == pytest.approx(n * (n + 1) / 2)
    assert results["p_a_greater_b"] + results["p_b_greater_a"] == pytest.approx(1.0, abs=1e-12)
    assert results["school_a"] != results["school_b"]
    assert 0 < results["p_a_greater_b"] < 1


def test_partial_pooling_shrinks_slopes_more_than_intercepts(results):
    slope_ratio = results["slope_sd_partial_pooling"] / results["slope_sd_no_pooling"]
    intercept_ratio = results["intercept_sd_partial_pooling"] / results["intercept_sd_no_pooling"]
    assert slope_ratio < intercept_ratio < 1


def test_executed_chapter_has_no_errors_and_charts(results):
    notebook = nbformat.read(results["_executed_notebook"], as_version=4)
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    svgs = [o for o in outputs if "image/svg+xml" in o.get("data", {})]
    assert len(svgs) >= 6, f"expected the chapter's charts as SVG, found {len(svgs)}"
