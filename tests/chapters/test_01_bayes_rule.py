"""Chapter 01 in fast mode: the grid, PyMC and the closed forms agree, and the hand-written
model is the helper's."""

from __future__ import annotations

import math

import nbformat
import numpy as np
import pytest

import hbm_widgets as hbm
from tests.chapters.harness import run_chapter

pytestmark = pytest.mark.notebook

FAST = {"draws": 400, "chains": 2, "n": 12, "prior_sd": 5.0, "prior_draws": 200}

# Run in the chapter's namespace after its last cell: the figures the tests assert on.
READ_BACK = """
share_nuts = share_summary.loc["theta"]
record(
    random_seed=RANDOM_SEED,
    true_mean=true_mean,
    n=n,
    sigma=sigma,
    prior_mean=prior_mean,
    prior_sd=prior_sd,
    sample_mean=sample_mean,
    n_improved=n_improved,
    share_prior=[share_prior_a, share_prior_b],
    share_closed_form_mean=float(share_posterior.mean()),
    share_closed_form_sd=float(share_posterior.std()),
    share_grid_mean=share_grid_mean,
    share_grid_sd=share_grid_sd,
    share_mcmc_mean=float(share_nuts["mean"]),
    share_mcmc_sd=float(share_nuts["sd"]),
    share_mcmc_mcse_mean=float(share_nuts["mcse_mean"]),
    closed_form_mean=posterior.mean,
    closed_form_sd=posterior.sd,
    data_weight=posterior.data_weight,
    grid_mean=grid_mean,
    grid_sd=grid_sd,
    model_variables=sorted(v.name for v in conjugate_model.free_RVs + conjugate_model.observed_RVs),
    model_dims={name: list(dims) for name, dims in conjugate_model.named_vars_to_dims.items()},
    models_match=bool(conjugate_match.same),
    prior_draws=int(prior_predictive.prior_predictive.sizes["draw"]),
    prior_class_mean_sd=float(simulated_class_means.std()),
    prior_interval=[float(low), float(high)],
    mcmc_mean=mcmc_mean,
    mcmc_sd=mcmc_sd,
    mcmc_mcse_mean=mcse_mean,
    flat_prior_mean=float(vaguer["mean"].iloc[-1]),
    flat_prior_sd=float(vaguer["sd"].iloc[-1]),
    no_data_mean=float(fewer["mean"].iloc[-1]),
    no_data_sd=float(fewer["sd"].iloc[-1]),
)
"""


@pytest.fixture(scope="module")
def results(tmp_path_factory, shared_kernel):
    return run_chapter(
        "01-bayes-rule",
        tmp_path_factory.mktemp("ch01"),
        km=shared_kernel,
        read_back=READ_BACK,
        **FAST,
    )


def test_parameters_reached_the_chapter(results):
    assert results["n"] == FAST["n"] and results["prior_sd"] == FAST["prior_sd"]
    assert results["prior_draws"] == FAST["prior_draws"]


def test_the_class_is_the_seeded_simulation(results):
    y = np.random.default_rng(results["random_seed"]).normal(
        results["true_mean"], results["sigma"], size=results["n"]
    )
    assert results["sample_mean"] == float(y.mean())
    assert results["n_improved"] == int((y > 0).sum())


def test_share_posterior_is_the_beta_update(results):
    a, b = results["share_prior"]
    k, n = results["n_improved"], results["n"]
    assert 0 <= k <= n
    a_post, b_post = a + k, b + n - k
    assert results["share_closed_form_mean"] == pytest.approx(a_post / (a_post + b_post))
    variance = a_post * b_post / ((a_post + b_post) ** 2 * (a_post + b_post + 1))
    assert results["share_closed_form_sd"] == pytest.approx(math.sqrt(variance))


def test_share_grid_and_nuts_agree_with_the_beta_posterior(results):
    assert results["share_grid_mean"] == pytest.approx(results["share_closed_form_mean"], abs=1e-5)
    assert results["share_grid_sd"] == pytest.approx(results["share_closed_form_sd"], rel=1e-4)
    gap = abs(results["share_mcmc_mean"] - results["share_closed_form_mean"])
    assert gap < 4 * results["share_mcmc_mcse_mean"]
    assert results["share_mcmc_sd"] == pytest.approx(results["share_closed_form_sd"], rel=0.15)


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


def test_hand_written_model_is_the_helpers_model(results):
    assert results["model_variables"] == ["mu", "y"]
    assert results["model_dims"]["y"] == ["student"]
    assert results["model_dims"]["score_change"] == ["student"]
    assert results["models_match"] is True


def test_prior_predictive_spread_is_the_formula(results):
    # The class mean under the prior is normal with variance prior_sd^2 + sigma^2 / n.
    expected = math.sqrt(results["prior_sd"] ** 2 + results["sigma"] ** 2 / results["n"])
    # 200 draws: the SD of a normal sample is within 20% of the truth with near certainty.
    assert results["prior_class_mean_sd"] == pytest.approx(expected, rel=0.2)
    low, high = results["prior_interval"]
    assert low < results["prior_mean"] < high


def test_mcmc_agrees_within_monte_carlo_error(results):
    gap = abs(results["mcmc_mean"] - results["closed_form_mean"])
    assert gap < 4 * results["mcmc_mcse_mean"]
    assert results["mcmc_sd"] == pytest.approx(results["closed_form_sd"], rel=0.15)


def test_every_fit_converged(results):
    # Fast mode samples 2 x 400 draws; the chapter's defaults (4 x 2000) are held to 1.01.
    assert set(results["convergence"]) == {"proportion_idata", "conjugate_idata"}
    for fit in results["convergence"].values():
        assert fit["max_rhat"] < 1.02
        assert fit["divergences"] == 0


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
