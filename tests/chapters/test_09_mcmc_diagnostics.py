"""Chapter 09 in fast mode: the failing runs fail the checklist, the cured runs pass it.

The chapter records nothing itself: ``READ_BACK`` runs in its namespace after its last cell
and records the figures asserted on here.
"""

from __future__ import annotations

import math

import nbformat
import pytest

import hbm_widgets as hbm
from tests.chapters.harness import run_chapter

pytestmark = pytest.mark.notebook

# Only the recommended runs shrink; the runs that fail on purpose keep their own settings.
FAST = {"draws": 1000, "tune": 700}

READ_BACK = """
record(
    draws=draws,
    tune=tune,
    chains=chains,
    hand_rhat={kind: float(rhat_table.loc[kind, "by hand (classic)"]) for kind in rhat_table.index},
    arviz_rhat={
        method: rhat_table[f"ArviZ {method}"].to_dict() for method in ["identity", "split", "rank"]
    },
    mixed_steps={"within": mixed_steps.within, "between_over_n": mixed_steps.between_over_n},
    noncentered_match={
        "same": noncentered_match.same,
        "differences": list(noncentered_match.differences()),
    },
    noncentered_report=noncentered_report.to_dict(),
    noncentered_ess_per_gradient=noncentered_ess_per_gradient,
    ess_per_gradient=centered_comparison["ESS per 1000 gradients"].to_dict(),
    target_accept={
        "high": high_target_accept,
        "checklists": target_accept_comparison.to_dict(orient="index"),
    },
    centered_checklists=centered_comparison.to_dict(orient="index"),
    radon_estimates={name: float(noncentered_summary.loc[name, "mean"]) for name in hyper_names},
    mcse_mean=noncentered_summary["mcse_mean"].to_dict(),
    mcse_from_ess=noncentered_summary["sd / sqrt(ESS of the mean)"].to_dict(),
    centered_divergences=int(centered_idata.sample_stats["diverging"].sum()),
    centered_bfmi=az.bfmi(centered_idata)["energy"].values.tolist(),
    exact_posterior={"mean": exact_posterior.mean, "sd": exact_posterior.sd},
    good_proposal_sd=good_proposal_sd,
    mh_acceptance={label: run.posterior.attrs["acceptance_rate"] for label, run in mh_runs.items()},
    mh_checklists=mh_comparison.to_dict(orient="index"),
    good_mh={
        "mean": float(good_mh_summary["mean"]),
        "sd": float(good_mh_summary["sd"]),
        "mcse_mean": float(good_mh_summary["mcse_mean"]),
    },
    exchangeable_chain_means=exchangeable_chain_means,
    ordered_means=ordered_means,
    mixture_separation=mixture_separation,
    runs={
        run: {fit: all_checklists.loc[(run, fit)].to_dict() for fit in ["before", "after"]}
        for run in failing_runs
    },
)
"""

RUN_NAMES = [
    "1 chains too short",
    "2 Metropolis-Hastings proposal scale",
    "3 centred funnel",
    "4 label switching",
]


@pytest.fixture(scope="module")
def results(tmp_path_factory, shared_kernel):
    return run_chapter(
        "09-mcmc-diagnostics",
        tmp_path_factory.mktemp("ch09"),
        km=shared_kernel,
        read_back=READ_BACK,
        **FAST,
    )


def test_parameters_reached_the_chapter(results):
    assert results["draws"] == FAST["draws"] and results["tune"] == FAST["tune"]


def test_hand_rhat_matches_arviz_identity_and_sees_what_it_can(results):
    hand = results["hand_rhat"]
    identity = results["arviz_rhat"]["identity"]
    split = results["arviz_rhat"]["split"]
    rank = results["arviz_rhat"]["rank"]
    assert set(hand) == {"mixed", "stuck", "trending", "heavy_tailed", "unequal_spread"}
    for kind, value in hand.items():
        assert value == pytest.approx(identity[kind], rel=1e-10)
    assert hand["mixed"] < 1.01 and rank["mixed"] < 1.01
    assert hand["stuck"] > 1.1 and rank["stuck"] > 1.1
    assert hand["trending"] < 1.01 < 1.1 < split["trending"]
    for kind in ["heavy_tailed", "unequal_spread"]:
        assert hand[kind] < 1.01 < rank[kind]
    # Independent standard normal chains: W estimates the variance, 1.
    assert results["mixed_steps"]["within"] == pytest.approx(1.0, abs=0.1)
    assert results["mixed_steps"]["between_over_n"] < 0.01


def test_every_failing_run_fails_and_every_cure_passes(results):
    runs = results["runs"]
    assert list(runs) == RUN_NAMES
    for name in RUN_NAMES:
        assert runs[name]["before"]["passed"] is False, name
        assert runs[name]["after"]["passed"] is True, name
        after = runs[name]["after"]
        assert after["max R-hat"] < 1.01
        assert after["min bulk ESS"] >= 400 and after["min tail ESS"] >= 400
        assert after["divergences"] in (0, None)  # None: Metropolis-Hastings records none
    short = runs["1 chains too short"]["before"]
    assert short["min bulk ESS"] < 120 and short["max R-hat"] > 1.01
    assert runs["2 Metropolis-Hastings proposal scale"]["before"]["max R-hat"] > 1.1
    centred = runs["3 centred funnel"]["before"]
    assert centred["divergences"] > 0 and centred["min BFMI"] < 0.3
    assert results["centered_divergences"] == centred["divergences"]
    label_switching = runs["4 label switching"]["before"]
    assert label_switching["max R-hat"] > 1.1 and label_switching["divergences"] == 0


def test_the_recommended_radon_fit(results):
    report = results["noncentered_report"]
    assert report["max_rhat"] < 1.01 and report["divergences"] == 0  # every variable
    assert report["draws"] == FAST["draws"] and report["chains"] == 4
    # ArviZ's MCSE of the mean is the posterior SD over the square root of its ESS.
    for name, mcse in results["mcse_mean"].items():
        assert mcse == pytest.approx(results["mcse_from_ess"][name], rel=1e-6)
    efficiency = list(results["ess_per_gradient"].values())
    assert efficiency[2] == pytest.approx(results["noncentered_ess_per_gradient"])
    assert efficiency[2] > 5 * max(efficiency[:2])


def test_the_hand_written_model_is_the_helpers(results):
    assert results["noncentered_match"] == {"same": True, "differences": []}


def test_a_higher_target_accept_does_not_cure_the_funnel(results):
    """Smaller steps and more work, and the centred run still fails (on purpose)."""
    default, careful = results["target_accept"]["checklists"].values()
    assert results["target_accept"]["high"] == 0.99
    assert careful["mean step size"] < default["mean step size"]
    assert careful["gradient evaluations"] > default["gradient evaluations"]
    assert careful["passed"] is False
    assert careful["divergences"] > 0 and careful["min BFMI"] < 0.3
    assert careful["max R-hat"] > 1.01 and careful["min bulk ESS"] < 400
    assert list(results["centered_checklists"])[1] == "centred, target_accept 0.99"


def test_every_fit_but_the_failing_ones_converged(results):
    failing = {"short_idata", "centered_idata", "careful_idata", "exchangeable_idata"}
    # The artificial chains that teach R-hat are not fits, and the Metropolis-Hastings runs'
    # checklists are asserted above.
    failing |= {"toy_idata", "trending_idata", "unequal_idata"}
    assert {"noncentered_idata", "ordered_idata"} <= set(results["convergence"])
    for name, figures in results["convergence"].items():
        if name in failing or "mh" in name:
            continue
        assert figures["max_rhat"] < 1.01 and figures["divergences"] == 0, name


def test_radon_estimates_agree_with_mixed_lm(results):
    import statsmodels.formula.api as smf

    radon = hbm.load_radon()
    mixed = smf.mixedlm(
        "log_radon ~ floor", radon, groups=radon["county"], re_formula="~floor"
    ).fit()
    estimates = results["radon_estimates"]
    assert estimates["mu_alpha"] == pytest.approx(mixed.fe_params["Intercept"], abs=0.05)
    assert estimates["mu_beta"] == pytest.approx(mixed.fe_params["floor"], abs=0.1)
    assert estimates["sigma"] == pytest.approx(math.sqrt(mixed.scale), abs=0.02)


def test_metropolis_runs(results):
    exact = results["exact_posterior"]
    # Prior N(0, 10^2), 20 observations with SD 15: the posterior SD does not depend on y.
    assert exact["sd"] == pytest.approx((20 / 15**2 + 1 / 10**2) ** -0.5)
    assert results["good_proposal_sd"] == pytest.approx(2.4 * exact["sd"])
    rates = list(results["mh_acceptance"].values())
    bad, huge, good = rates
    assert min(bad) > 0.85  # tiny steps: nearly all accepted, nearly no progress
    assert max(huge) < 0.05  # huge steps: nearly all rejected
    assert all(0.3 < r < 0.6 for r in good)
    checklists = list(results["mh_checklists"].values())
    assert [c["passed"] for c in checklists] == [False, False, True]
    good_fit = results["good_mh"]
    assert abs(good_fit["mean"] - exact["mean"]) < 4 * good_fit["mcse_mean"]
    assert good_fit["sd"] == pytest.approx(exact["sd"], rel=0.1)


def test_mixture_modes_and_the_identified_cure(results):
    separation = results["mixture_separation"]
    chain_means = results["exchangeable_chain_means"]
    first_component = [means[0] for means in chain_means]
    # The chains disagree about which label belongs to which mode.
    assert min(first_component) < -separation / 2 and max(first_component) > separation / 2
    low, high = results["ordered_means"]
    assert low == pytest.approx(-separation, abs=0.4)
    assert high == pytest.approx(separation, abs=0.4)


def test_executed_chapter_has_no_errors_and_charts(results):
    notebook = nbformat.read(results["_executed_notebook"], as_version=4)
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    svgs = [o for o in outputs if "image/svg+xml" in o.get("data", {})]
    assert len(svgs) >= 10, "the trace, rank, energy and divergence charts render as SVG"
