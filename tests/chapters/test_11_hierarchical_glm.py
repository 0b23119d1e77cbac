"""Chapter 11 in fast mode: pooled batting averages, overdispersion, pumps, a borrowed forecast."""

from __future__ import annotations

import nbformat
import numpy as np
import pytest
from scipy import special

from tests.chapters.harness import run_chapter

pytestmark = pytest.mark.notebook

FAST = {"draws": 250, "tune": 300, "chains": 2}

# Run in the chapter's namespace after its last cell: the figures the tests assert on.
READ_BACK = """
record(
    draws=draws,
    chains=chains,
    n_players=len(rates),
    pooled_average=float(pooled_average),
    population_rate=population_rate,
    mu_alpha=float(partial_pooling_idata.posterior["mu_alpha"].mean()),
    sigma_alpha=float(partial_pooling_idata.posterior["sigma_alpha"].mean()),
    rate_model_match=bool(rate_model_match.same),
    series_model_match=bool(series_model_match.same),
    glm_convergence={name: report.to_dict() for name, report in glm_convergence.items()},
    logit_se=logit_se_summary.to_dict(),
    rates=rates[
        [
            "player",
            "n",
            "count",
            "raw_rate",
            "pooled_rate",
            "lower",
            "upper",
            "shrinkage",
            "empirical_bayes",
            "no_pooling_width",
            "partial_pooling_width",
        ]
    ].to_dict(orient="list"),
    empirical_bayes={
        "a": empirical_bayes.a,
        "b": empirical_bayes.b,
        "max_gap": float(eb_gap.max()),
    },
    overdispersion=overdispersion.to_dict(orient="index"),
    beta_binomial_concentration=float(beta_binomial_idata.posterior["concentration"].mean()),
    rate_comparison={
        "elpd_diff": float(rate_comparison["elpd_diff"].abs().max()),
        "dse": float(rate_comparison["dse"].max()),
        "p": [float(v) for v in rate_comparison["p"]],
    },
    high_pareto_k=high_pareto_k,
    n_judged=int(judged.sum()),
    prediction_error=prediction_error.to_dict(),
    pump_rates=pump_rates.to_dict(orient="list"),
    pump_sigma_alpha=float(pumps_idata.posterior["sigma_alpha"].mean()),
    typical_pump_rate=typical_pump_rate,
    short_store=short_store,
    short_length=short_length,
    series_convergence={name: report.to_dict() for name, report in series_convergence.items()},
    ppc_inside=float(in_sample["inside"].mean()),
    ppc_coverage=ppc_coverage.to_dict(),
    forecast=forecast_table.to_dict(orient="index"),
)
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory, shared_kernel):
    return run_chapter(
        "11-hierarchical-glm",
        tmp_path_factory.mktemp("ch11"),
        km=shared_kernel,
        read_back=READ_BACK,
        **FAST,
    )


@pytest.fixture(scope="module")
def rates(results):
    return {k: np.asarray(v) for k, v in results["rates"].items()}


def test_parameters_reached_the_chapter(results):
    assert results["draws"] == 250 and results["chains"] == 2
    assert results["n_players"] == 322


def test_hand_written_models_are_the_helpers_models(results):
    assert results["rate_model_match"] is True
    assert results["series_model_match"] is True


def test_fits_converged_well_enough_for_fast_mode(results):
    reports = [*results["glm_convergence"].values(), *results["series_convergence"].values()]
    for report in reports:
        assert report["divergences"] == 0
        assert report["max_rhat"] < 1.1
    for name, figures in results["convergence"].items():
        assert figures["divergences"] == 0, name
        assert figures["max_rhat"] < 1.1, name


def test_raw_rates_are_the_data(results, rates):
    np.testing.assert_allclose(rates["raw_rate"], rates["count"] / rates["n"])
    assert results["pooled_average"] == pytest.approx(rates["count"].sum() / rates["n"].sum())


def test_population_rate_is_near_the_pooled_average(results):
    assert results["population_rate"] == pytest.approx(
        float(special.expit(results["mu_alpha"])), rel=1e-9
    )
    assert abs(results["population_rate"] - results["pooled_average"]) < 0.01
    assert 0.05 < results["sigma_alpha"] < 0.2


def test_every_players_data_are_weak_against_the_population(results):
    # The reason for the non-centred form: a player's logit SE is close to sigma_alpha
    # (chapter: 0.083 for the most at-bats, 0.117 for the median, sigma_alpha 0.105).
    se = results["logit_se"]
    assert se["sigma_alpha (posterior mean)"] == pytest.approx(0.105, abs=0.01)
    assert se["logit SE, most at-bats"] == pytest.approx(0.083, abs=0.003)
    assert se["logit SE, median player"] == pytest.approx(0.117, abs=0.003)
    assert se["logit SE, most at-bats"] > 0.6 * se["sigma_alpha (posterior mean)"]
    assert se["share of players with SE above 0.8 sigma_alpha"] > 0.97


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
    # The no-pooling interval shrinks as 1/sqrt(n) (0.17-0.34 wide near 20 at-bats); the
    # partially pooled one stays near the spread of skill, about 0.06.
    narrowing = rates["no_pooling_width"][small] / rates["partial_pooling_width"][small]
    assert np.all(narrowing > 2) and np.median(narrowing) > 3


def test_agrees_with_beta_binomial_empirical_bayes(results, rates):
    eb = results["empirical_bayes"]
    expected = (eb["a"] + rates["count"]) / (eb["a"] + eb["b"] + rates["n"])
    np.testing.assert_allclose(rates["empirical_bayes"], expected, rtol=1e-9)
    # Deterministic: the chapter's a = 126.0, b = 352.6, worth 479 at-bats.
    assert eb["a"] == pytest.approx(126.0, abs=0.05)
    assert eb["b"] == pytest.approx(352.6, abs=0.05)
    assert eb["max_gap"] < 0.006


def test_one_rate_for_everyone_is_overdispersed_and_the_populations_are_not(results):
    table = results["overdispersion"]
    one_rate = table["one rate for everyone"]
    # The observed variance of the raw averages (0.00131, deterministic) is out of reach of
    # binomial luck alone, and typical of both hierarchical models' replicates.
    assert one_rate["observed"] == pytest.approx(0.00131, abs=5e-6)
    assert one_rate["P(replicated >= observed)"] < 0.02
    assert one_rate["observed"] / one_rate["replicated, mean"] == pytest.approx(1.7, abs=0.1)
    for name in ("logit-normal (partial pooling)", "beta-binomial"):
        assert 0.05 < table[name]["P(replicated >= observed)"] < 0.5, name
    assert 380 < results["beta_binomial_concentration"] < 600


def test_the_two_populations_predict_equally_well(results):
    # PSIS-LOO with each player's own z_j fails for many players (57 at the defaults)...
    assert results["high_pareto_k"] > 20
    # ...so each player's rate is integrated out, and then the two are alike.
    comparison = results["rate_comparison"]
    assert comparison["elpd_diff"] < 2
    assert all(1.5 < p < 3 for p in comparison["p"])


def test_pooling_predicts_earlier_careers_better(results):
    error = results["prediction_error"]
    assert results["n_judged"] == 277
    assert error["partially pooled"] < error["raw 1986 average"]
    assert error["partially pooled"] < error["league average for everyone"]
    assert error["raw 1986 average"] == pytest.approx(0.000884, abs=5e-7)


def test_pumps_short_records_move_and_long_ones_stay(results):
    pumps = {k: np.asarray(v) for k, v in results["pump_rates"].items()}
    shrinkage = dict(zip(pumps["pump"], pumps["shrinkage"], strict=True))
    assert shrinkage["pump 04"] < 0.1  # 14 failures in 126 thousand hours
    assert 0.25 < shrinkage["pump 07"] < 0.6  # 1 failure in 1,050 hours
    assert 0.25 < shrinkage["pump 08"] < 0.6
    assert results["pump_sigma_alpha"] == pytest.approx(1.35, abs=0.15)
    assert results["typical_pump_rate"] == pytest.approx(0.30, abs=0.06)


def test_series_model_reproduces_its_data(results):
    assert 0.85 < results["ppc_inside"] < 0.97
    assert min(results["ppc_coverage"].values()) > 0.75


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
    assert len(svgs) >= 5, "the model graphs and the Altair charts are rendered as SVG"
    source = "\n".join(c.source for c in notebook.cells)
    assert "az.plot_forest(" in source and "az.plot_ppc_dist(" in source
