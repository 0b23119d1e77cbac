"""Chapter 10 in fast mode: robust estimates, borrowing strength and recovery of the truth."""

from __future__ import annotations

import nbformat
import numpy as np
import pytest

from tests.chapters.harness import run_chapter

pytestmark = pytest.mark.notebook

FAST = {
    "obs_per_cell": 2,
    "sparse_obs": 3,
    "n_outliers": 2,
    "draws": 200,
    "tune": 300,
    "chains": 2,
    "prior_draws": 100,
}

# Run in the chapter's namespace after its last cell: the figures the tests assert on.
READ_BACK = """
record(
    obs_per_cell=obs_per_cell,
    n_obs=campaign_data.n_obs,
    n_outliers=n_outliers,
    draws=draws,
    chains=chains,
    fit_convergence={name: report.to_dict() for name, report in convergence.items()},
    models_match=bool(crossed_match.same),
    model_variables=sorted(v.name for v in crossed_model.free_RVs + crossed_model.observed_RVs),
    prior_share_absurd=prior_check["share outside [-5, 15]"].to_dict(),
    outlier_country=outlier_country,
    outlier_intercept_error={
        "student_t": float(
            outlier_effect.loc[f"gamma_alpha_country[{outlier_country}]", "Student-t error"]
        ),
        "normal": float(
            outlier_effect.loc[f"gamma_alpha_country[{outlier_country}]", "normal error"]
        ),
    },
    sigma_estimate={
        "student_t": float(outlier_effect.loc["sigma (noise scale)", "Student-t"]),
        "normal": float(outlier_effect.loc["sigma (noise scale)", "normal"]),
    },
    nu_mean=float(student_t_idata.posterior["nu"].mean()),
    band_width_90=band_table["width_90"].to_dict(),
    band_width_90_new_campaign=band_table["width_90_new_campaign"].to_dict(),
    band_n_obs=band_table["n_obs"].to_dict(),
    band_truth_inside=band_table["truth_inside_90"].to_dict(),
    recovery_share_all=float(recovery["covered"].mean()),
    recovery_share_parts=float(parts["covered"].mean()),
    recovery_count=len(recovery),
    recovery_table=recovery[
        ["parameter", "group", "true_value", "posterior_mean", "lower", "upper", "covered"]
    ].to_dict(orient="list"),
)
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory, shared_kernel):
    return run_chapter(
        "10-crossed-and-nested-effects",
        tmp_path_factory.mktemp("ch10"),
        km=shared_kernel,
        read_back=READ_BACK,
        **FAST,
    )


def test_parameters_reached_the_chapter(results):
    assert results["obs_per_cell"] == 2 and results["n_outliers"] == 2
    # 11 well-measured countries x 8 verticals x 2 campaigns, plus the sparse country's 3.
    assert results["n_obs"] == 11 * 8 * 2 + 3
    assert results["draws"] == 200 and results["chains"] == 2


def test_recommended_fit_converged_well_enough_for_fast_mode(results):
    # Fast mode samples 2 x 200 draws; the chapter's defaults are held to R-hat < 1.01.
    report = results["fit_convergence"]["Student-t, weakly informative"]
    assert report["divergences"] == 0
    assert report["max_rhat"] < 1.1
    assert report["draws"] == 200 and report["chains"] == 2


def test_the_hand_written_model_is_the_helpers(results):
    assert results["models_match"]
    assert "nu" in results["model_variables"] and "log_conversions" in results["model_variables"]
    scales = [name for name in results["model_variables"] if name.startswith("sigma")]
    assert len(scales) == 9  # four levels for each coefficient, and the noise


def test_every_fit_in_the_chapter_is_recorded_and_has_no_divergences(results):
    fits = results["convergence"]
    assert {"half_cauchy_idata", "student_t_idata", "normal_idata"} <= set(fits)
    assert all(report["divergences"] == 0 for report in fits.values())


def test_half_cauchy_priors_imagine_more_absurd_campaigns(results):
    shares = results["prior_share_absurd"]
    assert shares["half_cauchy"] > 0.2
    assert shares["weakly_informative"] < 0.1
    assert shares["half_cauchy"] > 3 * shares["weakly_informative"]


def test_student_t_is_less_moved_by_the_outliers(results):
    errors = results["outlier_intercept_error"]
    # Two outliers raised by 3.0 among 16 campaigns pull a normal fit up by about 0.3.
    assert errors["normal"] > 0.15
    assert abs(errors["student_t"]) < abs(errors["normal"]) / 2
    sigma = results["sigma_estimate"]
    assert sigma["normal"] > 1.3 * sigma["student_t"]
    assert results["nu_mean"] < 10  # heavy tails found


def test_bands_follow_the_amount_of_data(results):
    width = results["band_width_90"]
    n_obs = results["band_n_obs"]
    assert n_obs["Spain · hotels"] == 0 and n_obs["Portugal · hotels"] == 3
    assert n_obs["France · hotels"] == 16
    assert width["Spain · hotels"] > width["France · hotels"]
    assert width["Portugal · hotels"] > width["France · hotels"]
    assert width["Spain · hotels"] > width["Portugal · hotels"]
    assert sum(results["band_truth_inside"].values()) >= 3
    # A new campaign's band adds the noise: wider than the expected value's, in every group.
    new_campaign = results["band_width_90_new_campaign"]
    assert all(new_campaign[group] > width[group] for group in width)
    assert new_campaign["Spain · hotels"] > new_campaign["France · hotels"]


def test_recovery_covers_at_least_the_promised_share(results):
    assert results["recovery_share_all"] >= 0.75
    assert results["recovery_share_parts"] >= 0.75
    table = results["recovery_table"]
    assert len(table["parameter"]) == results["recovery_count"] > 100
    true = np.asarray(table["true_value"])
    lower, upper = np.asarray(table["lower"]), np.asarray(table["upper"])
    mean = np.asarray(table["posterior_mean"])
    np.testing.assert_array_equal(np.asarray(table["covered"]), (lower <= true) & (true <= upper))
    assert np.all((lower <= mean) & (mean <= upper))
    # The new country has no data, so it is not in the recovery table.
    assert "Spain" not in set(table["group"])


def test_executed_chapter_has_no_errors_and_charts(results):
    notebook = nbformat.read(results["_executed_notebook"], as_version=4)
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    svgs = [o for o in outputs if "image/svg+xml" in o.get("data", {})]
    assert len(svgs) >= 2, "the response curves and the recovery chart are rendered as SVG"
