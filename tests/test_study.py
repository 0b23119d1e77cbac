"""The prior study: specs, seeded data, fits on joblib and Dask, resuming, summaries, bias."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import hbm_widgets as hbm
from hbm_widgets import Prior, StudySpec
from hbm_widgets.lessons import study as study_module

# One small fit per prior: enough to check seeding, executors and resuming, not estimates.
TINY = StudySpec(
    designs=[(40, 4)], priors=["good", "bad"], n_simulations=1, draws=60, tune=60, chains=2, seed=7
)


# -- specs and data, without sampling ---------------------------------------------------------


def test_default_spec_is_the_study_of_the_chapter():
    spec = StudySpec()
    assert [(d.name, d.n_obs, d.n_groups) for d in spec.designs] == [
        ("N=200, J=10", 200, 10),
        ("N=50, J=5", 50, 5),
        ("N=500, J=50", 500, 50),
    ]
    assert [p.name for p in spec.priors] == ["good", "bad", "weak_bad", "flat"]
    assert spec.prior("bad").gamma1 == Prior("Normal", mu=2, sigma=1)
    assert spec.prior("weak_bad").gamma0 == Prior("Normal", mu=2, sigma=3)
    assert spec.prior("flat").gamma1 == Prior("Flat")
    assert spec.scale_prior == Prior("HalfCauchy", beta=5)
    assert spec.n_simulations == 300 and spec.n_fits == 3600


def test_designs_can_be_named_pairs():
    spec = StudySpec(designs={"small": [50, 5], "main": (200, 10)}, priors="good")
    assert [(d.name, d.n_obs, d.n_groups) for d in spec.designs] == [
        ("small", 50, 5),
        ("main", 200, 10),
    ]
    assert spec.replace(n_simulations=4).n_fits == 8


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"priors": ["good", "great"]}, "unknown prior choice 'great'"),
        ({"n_simulations": 0}, "n_simulations must be a whole number >= 1, got 0"),
        ({"designs": [(10, 10)]}, "n_obs must be at least twice n_groups"),
        ({"designs": [(50, 5), (50, 5)]}, "design names must differ; 'N=50, J=5' repeats"),
        ({"designs": [7]}, "a design is a Design or a pair"),
        ({"target_accept": 1.5}, "target_accept must be between 0 and 1, got 1.5"),
        (
            {"scale_prior": Prior("Normal", mu=0, sigma=1)},
            "scale_prior must be a Prior on positive",
        ),
        ({"draws": 2.5}, "draws must be a whole number >= 1, got 2.5"),
        (
            {"sampler": "stan"},
            r"sampler must be one of \('numpyro', 'nutpie', 'pymc'\), got 'stan'",
        ),
    ],
)
def test_spec_refuses_bad_settings(kwargs, message):
    with pytest.raises(hbm.WorkbookInputError, match=message):
        StudySpec(**kwargs)


def test_lookups_name_what_exists():
    with pytest.raises(hbm.WorkbookInputError, match="no design called 'big'; this study has"):
        TINY.design("big")
    with pytest.raises(hbm.WorkbookInputError, match="no prior choice called 'flat'"):
        TINY.prior("flat")


def test_simulated_data_follow_the_data_generating_process():
    truth = hbm.StudyTruth(alpha=0.5, gamma0=1.0, gamma1=-0.5, sigma=0.7, sigma_beta=0.3)
    frame = hbm.simulate_study_data(hbm.Design(40_000, 4000), truth, np.random.default_rng(1))
    assert frame.groupby("group").size().eq(10).all()
    assert frame.groupby("group")["u"].nunique().eq(1).all()
    # y = alpha + gamma0 x + gamma1 u x + (eta x + e): least squares on [1, x, u x].
    design = np.column_stack([np.ones(len(frame)), frame["x"], frame["u"] * frame["x"]])
    coef, *_ = np.linalg.lstsq(design, frame["y"], rcond=None)
    np.testing.assert_allclose(coef, [0.5, 1.0, -0.5], atol=0.02)
    residual = frame["y"] - design @ coef
    expected_var = truth.sigma**2 + truth.sigma_beta**2 * (frame["x"] ** 2).mean()
    assert residual.var() == pytest.approx(expected_var, rel=0.03)


def test_each_simulation_has_its_own_fixed_data_whatever_else_the_study_holds():
    first = hbm.study_data(TINY, "N=40, J=4", 1)
    pd.testing.assert_frame_equal(first, hbm.study_data(TINY, "N=40, J=4", 1))
    assert not first.equals(hbm.study_data(TINY, "N=40, J=4", 0))
    bigger = TINY.replace(designs=[(500, 50), (40, 4)], n_simulations=50, priors=["flat"])
    pd.testing.assert_frame_equal(first, hbm.study_data(bigger, "N=40, J=4", 1))
    assert not first.equals(hbm.study_data(TINY.replace(seed=8), "N=40, J=4", 1))


def test_study_model_is_build_model_with_the_chosen_priors():
    spec = StudySpec(priors=["bad", "flat"])
    model_spec = hbm.study_model_spec(spec, "bad")
    assert (model_spec.pooling, model_spec.varying, model_spec.group_predictor) == (
        "partial",
        "slope",
        True,
    )
    data = hbm.GroupedData.from_frame(
        hbm.study_data(spec, spec.designs[0], 0),
        group="group",
        outcome="y",
        predictor="x",
        group_predictor="u",
    )
    priors = hbm.resolve_priors(model_spec, data)
    assert priors == {
        "alpha": Prior("Normal", mu=0, sigma=10),
        "mu_beta": Prior("Normal", mu=2, sigma=1),
        "sigma_beta": Prior("HalfCauchy", beta=5),
        "gamma_beta": Prior("Normal", mu=2, sigma=1),
        "sigma": Prior("HalfCauchy", beta=5),
    }
    assert hbm.resolve_priors(hbm.study_model_spec(spec, "flat"), data)["gamma_beta"] == Prior(
        "Flat"
    )
    model = hbm.build_model(model_spec, data)
    # Centred by default: the group slopes themselves are sampled, not standardised offsets.
    assert sorted(v.name for v in model.free_RVs) == [
        "alpha",
        "beta",
        "gamma_beta",
        "mu_beta",
        "sigma",
        "sigma_beta",
    ]
    non_centred = hbm.study_model_spec(spec.replace(parameterization="non_centered"), "bad")
    assert "z_beta" in {v.name for v in hbm.build_model(non_centred, data).free_RVs}


def test_results_are_only_reused_under_the_same_settings():
    design, prior = TINY.designs[0], TINY.priors[0]
    name = study_module._task_file(TINY, design, prior, 3)
    assert name == study_module._task_file(TINY.replace(n_simulations=9), design, prior, 3)
    assert name != study_module._task_file(TINY.replace(draws=61), design, prior, 3)
    assert name != study_module._task_file(TINY.replace(seed=8), design, prior, 3)


def _synthetic_table() -> pd.DataFrame:
    rows = []
    for prior, means in [("good", [0.8, 1.0, 1.3]), ("bad", [1.1, 1.3, 1.6])]:
        for sim, mean in enumerate(means):
            for parameter in ("gamma0", "gamma1"):
                rows.append(
                    {
                        "design": "D",
                        "n_obs": 20,
                        "n_groups": 2,
                        "prior": prior,
                        "simulation": sim,
                        "parameter": parameter,
                        "true_value": 1.0,
                        "posterior_mean": mean,
                        "posterior_sd": 0.2,
                        "lower_90": mean - 0.33,
                        "upper_90": mean + 0.33,
                        "covered": abs(mean - 1.0) <= 0.33,
                        "max_rhat": 1.0,
                        "min_ess_bulk": 500.0,
                        "divergences": [0, 2, 0][sim],
                        "fit_seed": 1,
                    }
                )
    return pd.DataFrame(rows)


def test_summary_computes_bias_rmse_and_coverage():
    summary = hbm.summarise_study(_synthetic_table(), parameters=["gamma1"])
    good, bad = summary.iloc[0], summary.iloc[1]
    assert (good["prior"], bad["prior"]) == ("good", "bad")
    assert good["bias"] == pytest.approx((-0.2 + 0.0 + 0.3) / 3)
    assert good["rmse"] == pytest.approx(math.sqrt((0.04 + 0 + 0.09) / 3))
    assert good["bias_mcse"] == pytest.approx(np.std([-0.2, 0.0, 0.3], ddof=1) / math.sqrt(3))
    assert good["coverage"] == pytest.approx(1.0) and bad["coverage"] == pytest.approx(2 / 3)
    assert good["coverage_mcse"] == pytest.approx(math.sqrt(0.09 / 3))
    assert good["share_divergent"] == pytest.approx(1 / 3)
    shifts = hbm.compare_priors(_synthetic_table(), reference="good", parameters=["gamma1"])
    assert shifts[["prior", "n_simulations"]].values.tolist() == [["bad", 3]]
    assert shifts["mean_shift"].iloc[0] == pytest.approx(0.3)
    assert shifts["shift_mcse"].iloc[0] == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(hbm.WorkbookInputError, match="the table has no parameter 'rho'"):
        hbm.summarise_study(_synthetic_table(), parameters=["rho"])
    with pytest.raises(hbm.WorkbookInputError, match="the table has no prior 'flat'"):
        hbm.compare_priors(_synthetic_table(), reference="flat")


def test_posterior_means_chart_has_a_panel_per_prior_and_design():
    table = _synthetic_table()
    estimates = table[table["parameter"] == "gamma1"]
    spec = hbm.plot_study_posterior_means(estimates, parameter_title="γ1", maxbins=10).to_dict()
    assert spec["facet"]["row"] == {
        "field": "prior",
        "sort": ["good", "bad"],
        "title": None,
        "type": "nominal",
    }
    assert spec["facet"]["column"]["field"] == "design"
    bars, truth = spec["spec"]["layer"]
    assert bars["encoding"]["x"]["field"] == "posterior_mean"
    assert bars["encoding"]["x"]["bin"] == {"maxbins": 10}
    assert truth["mark"]["type"] == "rule"
    assert truth["encoding"]["x"] == {
        "aggregate": "mean",
        "field": "true_value",
        "type": "quantitative",
    }
    rows = next(iter(spec["datasets"].values()))
    assert sorted(r["posterior_mean"] for r in rows) == sorted(estimates["posterior_mean"])


# -- running fits (each takes a second or two) ------------------------------------------------


def test_a_worker_gets_runs_of_one_model_so_it_compiles_each_once():
    chapter = StudySpec(n_simulations=50)  # the chapter's study: 3 designs x 4 priors
    todo = [(d, p, s) for d in chapter.designs for p in chapter.priors for s in range(50)]
    tasks = study_module._tasks(todo, workers=2)
    # One task a model: each of the 12 models compiled by one worker only.
    assert len(tasks) == 12
    assert len({(d.name, p.name) for d, p, _ in tasks}) == 12
    assert all(runs == list(range(50)) for _, _, runs in tasks)
    # One model, 50 fits, two workers: split, so that both workers have work.
    one = [t for t in todo if t[0] == chapter.designs[0] and t[1] == chapter.priors[0]]
    tasks = study_module._tasks(one[:7] + one[9:], workers=2)
    assert [len(runs) for _, _, runs in tasks] == [12, 12, 12, 12]
    assert sorted(s for _, _, runs in tasks for s in runs) == [*range(7), *range(9, 50)]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("study")
    return folder, hbm.run_study(TINY, folder, n_jobs=1, progress=False)


@pytest.mark.slow
def test_the_table_is_tidy_and_saved(tiny_run):
    folder, table = tiny_run
    assert len(table) == 2 * 5
    assert table.groupby(["prior", "simulation"]).size().eq(5).all()
    assert table["parameter"].unique().tolist() == [
        "alpha",
        "gamma0",
        "gamma1",
        "sigma_beta",
        "sigma",
    ]
    assert (table["lower_90"] < table["posterior_mean"]).all()
    assert (table["posterior_mean"] < table["upper_90"]).all()
    assert table["max_rhat"].notna().all()  # two chains: R-hat is defined
    pd.testing.assert_frame_equal(hbm.load_study(folder), table)
    assert (folder / "spec.json").is_file()
    assert len(list((folder / "parts").glob("*.csv"))) == 2


@pytest.mark.slow
def test_the_same_seed_gives_the_same_table_on_other_cores(tiny_run):
    _, table = tiny_run
    again = hbm.run_study(TINY, None, n_jobs=2, progress=False)
    pd.testing.assert_frame_equal(again, table)


@pytest.mark.slow
def test_one_simulation_can_be_rerun_alone(tiny_run):
    _, table = tiny_run
    alone = hbm.run_simulation(TINY, "N=40, J=4", "bad", 0)
    cell = table[table["prior"] == "bad"].reset_index(drop=True)
    pd.testing.assert_frame_equal(alone, cell)


@pytest.mark.slow
def test_dask_cluster_gives_the_same_table(tiny_run):
    distributed = pytest.importorskip("dask.distributed")
    _, table = tiny_run
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        on_dask = hbm.run_study(TINY, None, scheduler=cluster.scheduler_address, progress=False)
    pd.testing.assert_frame_equal(on_dask, table)


@pytest.mark.slow
def test_resuming_runs_only_what_is_missing(tiny_run, monkeypatch):
    folder, table = tiny_run
    calls = []
    original = study_module.run_simulation

    def counting(spec, design, prior, simulation):
        calls.append((design.name, prior.name, simulation))
        return original(spec, design, prior, simulation)

    monkeypatch.setattr(study_module, "run_simulation", counting)
    more = TINY.replace(n_simulations=2)
    extended = hbm.run_study(more, folder, n_jobs=1, progress=False)
    assert calls == [("N=40, J=4", "good", 1), ("N=40, J=4", "bad", 1)]
    assert len(extended) == 20
    old = extended[extended["simulation"] == 0].reset_index(drop=True)
    pd.testing.assert_frame_equal(old, table)
    calls.clear()
    again = hbm.run_study(more, folder, n_jobs=1, progress=False)
    assert calls == []
    pd.testing.assert_frame_equal(again, extended)


# -- the study's point: a prior centred away from the truth biases gamma1 ---------------------

BIAS = StudySpec(
    designs=[(200, 10)],
    priors=["good", "bad"],
    n_simulations=30,
    draws=200,
    tune=300,
    chains=1,
    seed=20240,
)


@pytest.fixture(scope="module")
def bias_run():
    # In this process: each worker process would import PyMC and compile both models again,
    # which costs more than the 60 fits (the table is the same either way, tested above).
    return hbm.run_study(BIAS, None, n_jobs=1, progress=False)


@pytest.mark.slow
def test_good_prior_is_less_biased_than_bad_prior(bias_run):
    summary = hbm.summarise_study(bias_run).set_index(["prior", "parameter"])
    assert abs(summary.loc[("good", "gamma1"), "bias"]) < abs(
        summary.loc[("bad", "gamma1"), "bias"]
    )
    # The same data sets are fitted under both priors, so the bad prior's pull towards 2 is
    # measured without the data's own noise: clearly positive on every data set on average.
    shifts = hbm.compare_priors(bias_run, reference="good").set_index(["prior", "parameter"])
    for parameter in ("gamma0", "gamma1"):
        shift = shifts.loc[("bad", parameter)]
        assert shift["mean_shift"] > 5 * shift["shift_mcse"] > 0


@pytest.mark.slow
def test_good_prior_covers_near_its_nominal_rate(bias_run):
    summary = hbm.summarise_study(bias_run).set_index(["prior", "parameter"])
    for parameter in ("gamma0", "gamma1"):
        row = summary.loc[("good", parameter)]
        assert abs(row["coverage"] - 0.9) <= 3 * row["coverage_mcse"], parameter
