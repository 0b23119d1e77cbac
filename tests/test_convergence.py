"""The hand-computed Gelman-Rubin statistic and the chapter 09 helpers built on ArviZ."""

from __future__ import annotations

import math

import arviz as az
import numpy as np
import pymc as pm
import pytest
from scipy import stats

import hbm_widgets as hbm
from hbm_widgets.lessons.convergence import (
    example_chains,
    gelman_rubin,
    gelman_rubin_steps,
    metropolis_chains,
    mixture_model,
    rhat_methods,
)
from hbm_widgets.lessons.diagnostic_tables import (
    CHECKLIST_THRESHOLDS,
    chain_draws,
    compare_checklists,
    diagnostic_checklist,
    divergence_table,
    draws_table,
    energy_table,
    ess_per_gradient,
    ess_per_second,
    rank_table,
    variable_elements,
    variable_names,
)


def classic_rhat_by_loops(chains: list[list[float]]) -> float:
    """The textbook formula, written with plain loops and no NumPy."""
    m = len(chains)
    n = len(chains[0])
    means = [sum(chain) / n for chain in chains]
    variances = [
        sum((x - mean) ** 2 for x in chain) / (n - 1)
        for chain, mean in zip(chains, means, strict=True)
    ]
    w = sum(variances) / m
    grand = sum(means) / m
    b_over_n = sum((mean - grand) ** 2 for mean in means) / (m - 1)
    var_plus = (n - 1) / n * w + b_over_n
    return math.sqrt(var_plus / w)


FIXED_ARRAYS = [
    [[1.0, 2.0, 3.0, 4.0], [3.0, 4.0, 5.0, 6.0]],
    [[0.5, -1.2, 3.3, 0.0, 2.2], [1.1, 0.4, -0.7, 2.5, 1.9], [9.0, 8.5, 10.1, 9.7, 8.8]],
    [[2.0, 2.5, 1.5, 2.1], [2.2, 1.8, 2.0, 1.6], [1.9, 2.1, 2.6, 2.2], [2.4, 1.7, 2.3, 2.0]],
]


@pytest.mark.parametrize("array", FIXED_ARRAYS)
def test_hand_rhat_is_the_classic_formula(array):
    assert gelman_rubin(array) == pytest.approx(classic_rhat_by_loops(array), rel=1e-12)
    # ArviZ's "identity" method is the same formula: the lesson matches the library.
    assert gelman_rubin(array) == pytest.approx(
        float(az.rhat(np.asarray(array), method="identity")), rel=1e-10
    )


def test_steps_of_the_worked_example():
    steps = gelman_rubin_steps(FIXED_ARRAYS[0])
    np.testing.assert_allclose(steps.chain_means, [2.5, 4.5])
    np.testing.assert_allclose(steps.chain_variances, [5 / 3, 5 / 3])
    assert steps.within == pytest.approx(5 / 3)
    assert steps.between_over_n == pytest.approx(2.0)
    assert steps.var_plus == pytest.approx(3 / 4 * 5 / 3 + 2)
    assert steps.rhat == pytest.approx(math.sqrt(1.95))
    table = steps.to_frame().set_index("quantity")["value"]
    assert table["R-hat"] == steps.rhat and table["W"] == steps.within
    assert table["M (chains)"] == 2 and table["N (draws per chain)"] == 4


def test_mixed_chains_near_one_stuck_chains_far_above():
    rng = np.random.default_rng(20240901)
    mixed = example_chains("mixed", chains=4, draws=2000, rng=rng)
    stuck = example_chains("stuck", chains=4, draws=2000, rng=rng)
    assert gelman_rubin(mixed) < 1.01
    assert gelman_rubin(stuck) > 1.1
    # Four iid chains from one distribution: the statistic is 1 up to noise, whatever the seed.
    for seed in range(5):
        iid = np.random.default_rng(seed).normal(size=(4, 1000))
        assert gelman_rubin(iid) < 1.01
    # Chains at centres 0 and 2 with unit variance: R-hat is about sqrt(1 + 2) by the formula.
    apart = np.random.default_rng(3).normal(size=(2, 5000)) + np.array([[0.0], [2.0]])
    assert gelman_rubin(apart) == pytest.approx(math.sqrt(1 + 2.0), rel=0.03)


@pytest.mark.parametrize(
    ("draws", "message"),
    [
        ([1.0, 2.0, 3.0], r"shape \(chains, draws\), got an array of shape \(3,\)"),
        ([[1.0, 2.0, 3.0]], "need at least 2 chains, got 1"),
        ([[1.0], [2.0]], "at least 2 draws, got 1"),
        ([[1.0, np.nan], [2.0, 3.0]], "finite"),
        ([[1.0, 1.0], [2.0, 2.0]], "W = 0"),
        ([["a", "b"], ["c", "d"]], "must be numbers"),
    ],
)
def test_bad_draws_are_refused(draws, message):
    with pytest.raises(hbm.WorkbookInputError, match=message):
        gelman_rubin(draws)


def test_rhat_methods_come_from_arviz():
    rng = np.random.default_rng(7)
    for kind in ["mixed", "trending", "heavy_tailed", "unequal_spread"]:
        chains = example_chains(kind, rng=rng)
        table = rhat_methods(chains).set_index("method")["rhat"]
        assert table["by hand (classic)"] == pytest.approx(table["ArviZ identity"], rel=1e-10)
        assert table["ArviZ split"] == pytest.approx(float(az.rhat(chains, method="split")))
        assert table["ArviZ rank"] == pytest.approx(float(az.rhat(chains, method="rank")))


def test_each_kind_shows_what_its_method_sees():
    rng = np.random.default_rng(11)
    rhat = {
        k: rhat_methods(example_chains(k, rng=rng)).set_index("method")["rhat"]
        for k in [
            "trending",
            "heavy_tailed",
            "unequal_spread",
        ]
    }
    # A shared drift: whole chains agree, halves do not.
    assert rhat["trending"]["by hand (classic)"] < 1.01 < 1.1 < rhat["trending"]["ArviZ split"]
    # Heavy tails and unequal spreads: only the rank-normalised (and folded) version sees them.
    for kind in ["heavy_tailed", "unequal_spread"]:
        assert rhat[kind]["by hand (classic)"] < 1.01
        assert rhat[kind]["ArviZ split"] < 1.01
        assert rhat[kind]["ArviZ rank"] > 1.01


def test_example_chains_refuse_unknown_kinds_and_sizes():
    rng = np.random.default_rng(0)
    with pytest.raises(hbm.WorkbookInputError, match="unknown kind 'odd'"):
        example_chains("odd", rng=rng)
    with pytest.raises(hbm.WorkbookInputError, match="chains must be a whole number >= 2, got 1"):
        example_chains("mixed", chains=1, rng=rng)
    assert example_chains("stuck", chains=3, draws=10, rng=rng).shape == (3, 10)


# ------------------------------------------------------------------ picking variables


@pytest.fixture(scope="module")
def fake_fit():
    """A NUTS-like fit without sampling: posterior, divergences and energy made up."""
    rng = np.random.default_rng(5)
    chains, n = 4, 300
    diverging = np.zeros((chains, n), dtype=bool)
    diverging[1, [10, 50, 99]] = True
    diverging[3, 7] = True
    return az.from_dict(
        {
            "posterior": {
                "mu": rng.normal(size=(chains, n)),
                "theta": rng.normal(size=(chains, n, 3)) + np.array([0.0, 5.0, 10.0]),
                "grid": rng.normal(size=(chains, n, 2, 2)),
            },
            "sample_stats": {
                "diverging": diverging,
                "energy": rng.normal(size=(chains, n)).cumsum(axis=1) * 0.3 + 50,
            },
        },
        coords={"school": ["a", "b", "c"], "row": [0, 1], "col": ["x", "y"]},
        dims={"theta": ["school"], "grid": ["row", "col"]},
    )


def test_variables_and_their_elements(fake_fit):
    assert variable_names(fake_fit) == ["mu", "theta", "grid"]
    assert variable_elements(fake_fit, "mu") == []
    assert variable_elements(fake_fit, "theta") == ["a", "b", "c"]
    assert variable_elements(fake_fit, "grid") == ["0, x", "0, y", "1, x", "1, y"]
    np.testing.assert_array_equal(chain_draws(fake_fit, "mu"), fake_fit.posterior["mu"].values)
    np.testing.assert_array_equal(
        chain_draws(fake_fit, "theta[b]"), fake_fit.posterior["theta"].values[:, :, 1]
    )
    np.testing.assert_array_equal(
        chain_draws(fake_fit, "grid[1, x]"), fake_fit.posterior["grid"].values[:, :, 1, 0]
    )


@pytest.mark.parametrize(
    ("var_name", "message"),
    [
        ("nope", "no numeric variable 'nope'"),
        ("theta", r"'theta' has 3 elements; pick one, e.g. theta\[a\]"),
        ("theta[z]", "'theta' has no element 'z'; its elements are a, b, c"),
        ("mu[0]", "'mu' is a scalar"),
        ("", "var_name must be a variable name"),
    ],
)
def test_bad_selections_are_named(fake_fit, var_name, message):
    with pytest.raises(hbm.WorkbookInputError, match=message):
        chain_draws(fake_fit, var_name)


def test_not_a_fit_is_refused():
    with pytest.raises(hbm.WorkbookInputError, match="expected an ArviZ DataTree"):
        chain_draws(np.zeros((2, 3)), "mu")


def test_draws_table_thins_evenly_below_the_limit(fake_fit):
    full = draws_table(fake_fit, "theta[c]", max_rows=5000)
    assert len(full) == 4 * 300 and full.attrs["thin"] == 1
    thin = draws_table(fake_fit, "theta[c]", max_rows=500)
    assert len(thin) <= 500 and thin.attrs["thin"] == 3
    expected = fake_fit.posterior["theta"].values[:, ::3, 2]
    np.testing.assert_array_equal(thin["value"].to_numpy(), expected.ravel())
    assert set(thin["chain"]) == {0, 1, 2, 3}


def test_rank_table_counts_the_pooled_ranks(fake_fit):
    table = rank_table(fake_fit, "mu", bins=10)
    assert table.groupby("chain")["count"].sum().tolist() == [300] * 4
    assert (table["expected"] == 30).all()
    ranks = stats.rankdata(fake_fit.posterior["mu"].values, axis=None).reshape(4, 300)
    low_ranks = int((ranks[2] <= 120).sum())  # the first bin holds ranks 1..120
    assert table.query("chain == 2 and bin == 0")["count"].item() == low_ranks
    # A chain sitting above the others takes the top ranks and leaves the bottom bins empty.
    stuck = az.from_dict(
        {
            "posterior": {
                "x": np.random.default_rng(1).normal(size=(2, 100)) + np.array([[0.0], [9.0]])
            }
        }
    )
    stuck_table = rank_table(stuck, "x", bins=4)
    assert stuck_table.query("chain == 1")["count"].tolist() == [0, 0, 50, 50]


def test_energy_table_and_bfmi(fake_fit):
    table = energy_table(fake_fit, bins=20)
    assert set(table["distribution"]) == {"marginal energy", "energy transition"}
    for _, part in table.groupby("distribution"):
        width = (part["bin_end"] - part["bin_start"]).to_numpy()
        assert float((part["density"] * width).sum()) == pytest.approx(1.0)
    np.testing.assert_allclose(table.attrs["bfmi"], az.bfmi(fake_fit)["energy"])
    no_energy = az.from_dict({"posterior": {"mu": np.zeros((2, 5))}})
    with pytest.raises(hbm.WorkbookInputError, match="no energy in its sample_stats"):
        energy_table(no_energy)


def test_divergence_table_keeps_every_divergent_draw(fake_fit):
    table = divergence_table(fake_fit, "mu", "theta[a]", max_rows=100)
    assert int(table["divergent"].sum()) == 4
    assert len(table) <= 100
    row = table[table["divergent"] & (table["chain"] == 1) & (table["draw"] == 50)]
    assert row["x"].item() == fake_fit.posterior["mu"].values[1, 50]
    assert row["y"].item() == fake_fit.posterior["theta"].values[1, 50, 0]


# ------------------------------------------------------------------ the checklist


def test_checklist_agrees_with_arviz_and_the_report(fake_fit):
    table = diagnostic_checklist(fake_fit, var_names=["mu", "theta"]).set_index("check")
    report = hbm.convergence_report(fake_fit, var_names=["mu", "theta"])
    assert table.loc["max R-hat", "value"] == report.max_rhat
    assert table.loc["min bulk ESS", "value"] == report.min_ess_bulk
    assert table.loc["min tail ESS", "value"] == report.min_ess_tail
    assert table.loc["divergences", "value"] == 4
    assert table.loc["min BFMI", "value"] == pytest.approx(float(az.bfmi(fake_fit)["energy"].min()))
    assert list(table["threshold"]) == [1.01, 400, 400, 0, 0.3]
    assert not table.loc["divergences", "passed"]  # four divergent draws fail the check
    assert table.loc["max R-hat", "passed"] == (report.max_rhat < 1.01)
    assert table["passed"].dtype == bool


def test_report_is_arvizs_summary_worst_over_entries_that_vary(fake_fit):
    # A variable fixed at one value (as LKJ's Cholesky factor's zeros) has no R-hat or ESS.
    posterior = {name: var.values for name, var in fake_fit.posterior.data_vars.items()}
    stats = {"diverging": fake_fit.sample_stats["diverging"].values}
    fit = az.from_dict(
        {"posterior": {**posterior, "fixed": np.ones((4, 300))}, "sample_stats": stats}
    )
    report = hbm.convergence_report(fit)
    with np.errstate(invalid="ignore", divide="ignore"):
        summary = az.summary(fit, kind="diagnostics", round_to="none")
    assert report.max_rhat == pytest.approx(summary["r_hat"].max(), rel=1e-12)
    assert report.min_ess_bulk == pytest.approx(summary["ess_bulk"].min(), rel=1e-12)
    assert report.min_ess_tail == pytest.approx(summary["ess_tail"].min(), rel=1e-12)
    assert (report.divergences, report.chains, report.draws) == (4, 4, 300)
    only_mu = hbm.convergence_report(fit, var_names=["mu"])
    assert only_mu.min_ess_bulk == pytest.approx(summary.loc["mu", "ess_bulk"], rel=1e-12)


def test_a_fit_asked_about_again_is_not_diagnosed_again(fake_fit):
    from unittest import mock

    from hbm_widgets.core import diagnostics

    diagnostics._RECENT.clear()  # earlier tests asked about this fit
    with mock.patch.object(
        diagnostics, "_convergence_report", wraps=diagnostics._convergence_report
    ) as computed:
        first = hbm.convergence_report(fake_fit, var_names=["mu"])
        assert hbm.convergence_report(fake_fit, var_names=["mu"]) is first
        assert computed.call_count == 1
        # Other variables, or other draws of the same variables, are other questions.
        hbm.convergence_report(fake_fit, var_names=["mu", "theta"])
        redrawn = az.from_dict(
            {"posterior": {"mu": fake_fit.posterior["mu"].values + 0.0}, "sample_stats": {}}
        )
        again = hbm.convergence_report(redrawn, var_names=["mu"])
        assert computed.call_count == 3
        assert again.max_rhat == first.max_rhat and again.divergences == 0


def test_checklist_leaves_out_rows_a_sampler_does_not_record():
    rng = np.random.default_rng(2)
    mh_like = az.from_dict({"posterior": {"mu": rng.normal(size=(4, 1000))}})
    table = diagnostic_checklist(mh_like)
    assert table["check"].tolist() == ["max R-hat", "min bulk ESS", "min tail ESS"]
    assert table["passed"].all()
    stuck = az.from_dict(
        {"posterior": {"mu": rng.normal(size=(4, 1000)) + np.array([[0.0], [0.0], [0.0], [3.0]])}}
    )
    comparison = compare_checklists({"good": mh_like, "stuck": stuck})
    assert comparison.loc["good", "passed"] and not comparison.loc["stuck", "passed"]
    assert math.isnan(comparison.loc["good", "divergences"])
    assert comparison.loc["stuck", "max R-hat"] > 1.1
    with pytest.raises(hbm.WorkbookInputError, match="non-empty mapping"):
        compare_checklists({})


def test_thresholds_are_the_documented_ones():
    assert CHECKLIST_THRESHOLDS == {"rhat": 1.01, "ess": 400.0, "divergences": 0, "bfmi": 0.3}


def test_ess_per_second(fake_fit):
    report = hbm.convergence_report(fake_fit, var_names=["mu"])
    assert ess_per_second(fake_fit, 2.0, var_names=["mu"]) == pytest.approx(report.min_ess_bulk / 2)
    for bad in [0, -1.0, float("nan"), "soon"]:
        with pytest.raises(hbm.WorkbookInputError, match="seconds must be"):
            ess_per_second(fake_fit, bad)


def test_ess_per_gradient(fake_fit):
    report = hbm.convergence_report(fake_fit, var_names=["mu"])
    with pytest.raises(hbm.WorkbookInputError, match="n_steps"):
        ess_per_gradient(fake_fit)
    steps = np.full((4, 300), 7)
    fit = fake_fit.copy()
    fit["sample_stats"] = (
        fit["sample_stats"].to_dataset().assign(n_steps=(("chain", "draw"), steps))
    )
    expected = report.min_ess_bulk / steps.sum() * 1000
    assert ess_per_gradient(fit, var_names=["mu"]) == pytest.approx(expected)
    assert ess_per_gradient(fit, var_names=["mu"], per=1) == pytest.approx(expected / 1000)
    for bad in [0, -3, 2.5, True]:
        with pytest.raises(hbm.WorkbookInputError, match="per must be"):
            ess_per_gradient(fit, per=bad)


# ------------------------------------------------------------------ the failing runs' helpers


def test_metropolis_chains_stack_one_chain_per_start():
    log_target = hbm.normal_mean_log_posterior(0, 10, 15, 20, 8.0)
    idata = metropolis_chains(
        log_target,
        [-30.0, 30.0, 0.0],
        proposal_sd=7.0,
        steps=400,
        warmup=100,
        rng=np.random.default_rng(3),
    )
    assert idata.posterior["mu"].shape == (3, 300)
    assert idata.posterior.attrs["starts"] == [-30.0, 30.0, 0.0]
    rates = idata.posterior.attrs["acceptance_rate"]
    assert len(rates) == 3 and all(0.2 < r < 0.7 for r in rates)
    with pytest.raises(hbm.WorkbookInputError, match="at least two starts"):
        metropolis_chains(log_target, [0.0], proposal_sd=1, steps=10, rng=np.random.default_rng(0))


def test_mixture_labels_are_exchangeable_until_ordered():
    y = np.array([-2.1, -1.8, -2.5, 2.2, 1.9, 2.4, -1.7, 2.0])
    exchangeable = mixture_model(y)
    logp = exchangeable.compile_logp()
    here = {"mu": np.array([-2.0, 2.0])}
    swapped = {"mu": np.array([2.0, -2.0])}
    assert logp(here) == pytest.approx(logp(swapped))  # swapping labels changes nothing
    assert logp(here) > logp({"mu": np.array([0.0, 0.0])})
    ordered = mixture_model(y, ordered=True)
    assert [v.name for v in ordered.value_vars] == ["mu_ordered__"]
    assert isinstance(
        ordered.rvs_to_transforms[ordered["mu"]], type(pm.distributions.transforms.ordered)
    )
    free_start = ordered.initial_point()["mu_ordered__"]
    start = pm.distributions.transforms.ordered.backward(free_start).eval()
    assert start[0] < start[1]
    with pytest.raises(hbm.WorkbookInputError, match="y must be a 1-d array"):
        mixture_model([1.0])
    with pytest.raises(hbm.WorkbookInputError, match="sigma must be a positive number"):
        mixture_model(y, sigma=0)


def test_exercise_checks_never_reveal_the_answer():
    target = f"{gelman_rubin([[1, 2, 3, 4], [3, 4, 5, 6]]):.3f}"
    right = hbm.check_exercise("09-mcmc-diagnostics", 1, float(target))
    assert right.verdict == "right"
    wrong = hbm.check_exercise("09", 1, 1.0)
    assert wrong.verdict == "wrong" and target not in wrong.message
    assert hbm.check_exercise("09", 2, 800).verdict == "right"
    assert hbm.check_exercise("09", 2, 3200).verdict == "close"  # the total, not per chain
    assert hbm.check_exercise("09", 2, 400).verdict == "wrong"
    assert hbm.check_exercise("09", 3, 3).verdict == "right"
    assert hbm.check_exercise("09", 3, 2).verdict == "close"
    assert hbm.check_exercise("09", 3, 5).verdict == "wrong"
    assert "800" not in hbm.check_exercise("09", 2, 100).message
