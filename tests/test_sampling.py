"""The sampling entry point: its three NUTS implementations, and nutpie's compile-once refits."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import numpy as np
import pymc as pm
import pytest

import hbm_widgets as hbm
from hbm_widgets.core import sampling


def test_unknown_sampler_and_bad_cores_are_refused(radon_data):
    model = hbm.build_model(hbm.ModelSpec(pooling="complete"), radon_data)
    with pytest.raises(hbm.WorkbookInputError, match=r"unknown sampler 'stan'; expected one of"):
        hbm.sample(model, random_seed=1, sampler="stan")
    with pytest.raises(hbm.WorkbookInputError, match="cores must be a whole number >= 1, got 0"):
        hbm.sample(model, random_seed=1, cores=0)


def test_the_outcome_can_be_a_data_container(radon_data):
    spec = hbm.ModelSpec(pooling="partial")
    assert {v.name for v in hbm.build_model(spec, radon_data).data_vars} == {"county_idx", "floor"}
    model = hbm.build_model(spec, radon_data, outcome_as_data=True)
    names = {v.name for v in model.data_vars}
    assert names == {"county_idx", "floor", "log_radon_observed"}
    np.testing.assert_array_equal(
        model["log_radon_observed"].get_value(), radon_data.outcome.astype(float)
    )


@pytest.fixture(scope="module")
def nutpie_fit(radon_data):
    model = hbm.build_model(
        hbm.ModelSpec(pooling="partial", varying="intercept"), radon_data, outcome_as_data=True
    )
    idata = hbm.sample(
        model, draws=500, tune=500, chains=2, random_seed=11, sampler="nutpie", log_likelihood=True
    )
    return model, idata


@pytest.fixture(scope="module")
def numpyro_fit(radon_data):
    model = hbm.build_model(hbm.ModelSpec(pooling="partial", varying="intercept"), radon_data)
    # No sampler named: the workbook's default.
    idata = hbm.sample(model, draws=500, tune=500, chains=2, random_seed=11, log_likelihood=True)
    return model, idata


@pytest.fixture(scope="module")
def pymc_fit(radon_data):
    model = hbm.build_model(hbm.ModelSpec(pooling="partial", varying="intercept"), radon_data)
    return hbm.sample(model, draws=500, tune=500, chains=2, random_seed=12, sampler="pymc")


def test_numpyro_is_the_default_sampler():
    assert hbm.DEFAULT_SAMPLER == "numpyro"
    assert hbm.SAMPLERS == ("numpyro", "nutpie", "pymc")


@pytest.mark.slow
@pytest.mark.parametrize("fit", ["nutpie_fit", "numpyro_fit"])
def test_each_sampler_agrees_with_pymc_on_radon(fit, pymc_fit, request):
    _, idata = request.getfixturevalue(fit)
    for name in ("beta", "sigma_alpha", "mu_alpha", "sigma"):
        ours = idata.posterior[name]
        theirs = pymc_fit.posterior[name]
        # Two seeded runs of the same posterior: their means differ by Monte Carlo error only.
        assert abs(float(ours.mean()) - float(theirs.mean())) < 0.25 * float(theirs.std()), name
        assert float(ours.std()) == pytest.approx(float(theirs.std()), rel=0.15), name
    report = hbm.convergence_report(idata, var_names=["beta", "sigma_alpha"])
    assert report.max_rhat < 1.01 and report.divergences == 0 and report.chains == 2


@pytest.mark.slow
@pytest.mark.parametrize("fit", ["nutpie_fit", "numpyro_fit"])
def test_each_sampler_gives_what_pm_sample_gives(fit, radon_data, request):
    _, idata = request.getfixturevalue(fit)
    assert {"posterior", "sample_stats", "observed_data", "constant_data", "log_likelihood"} <= set(
        idata.children
    )
    np.testing.assert_allclose(idata.observed_data["log_radon"].values, radon_data.outcome)
    assert idata.log_likelihood["log_radon"].shape == (2, 500, radon_data.n_obs)
    assert list(idata.posterior["alpha"].coords["county"].values) == list(radon_data.group_names)
    # Sample statistics under PyMC's names, whichever sampler drew them.
    assert {"diverging", "energy", "tree_depth", "n_steps", "lp", "step_size"} <= set(
        idata.sample_stats
    )
    assert idata.posterior["alpha"].dims == ("chain", "draw", "county")
    assert idata.sample_stats["diverging"].dtype == bool
    cost = hbm.sampling_cost(idata, ["beta"])
    assert cost["gradient_evaluations"] > 0 and cost["mean_tree_depth"] >= 1


@pytest.mark.slow
def test_numpyro_draws_are_reproducible_and_its_stats_consistent(radon_data):
    model = hbm.build_model(hbm.ModelSpec(pooling="complete"), radon_data)
    first, again, other = (
        hbm.sample(model, draws=100, tune=100, chains=2, random_seed=seed) for seed in (5, 5, 6)
    )
    np.testing.assert_array_equal(first.posterior["beta"], again.posterior["beta"])
    assert not np.array_equal(first.posterior["beta"], other.posterior["beta"])
    stats = first.sample_stats
    # A tree of depth d takes between 2**(d-1) and 2**d - 1 leapfrog steps.
    assert (stats["n_steps"] >= 2 ** (stats["tree_depth"] - 1)).all()
    assert (stats["n_steps"] < 2 ** stats["tree_depth"]).all()
    assert ((stats["acceptance_rate"] >= 0) & (stats["acceptance_rate"] <= 1)).all()
    # lp is the log density at each draw, so it is PyMC's logp at that draw.
    logp = model.compile_logp()
    point = {
        "alpha": float(first.posterior["alpha"][0, 0]),
        "beta": float(first.posterior["beta"][0, 0]),
        "sigma_log__": np.log(float(first.posterior["sigma"][0, 0])),
    }
    assert float(stats["lp"][0, 0]) == pytest.approx(float(logp(point)), rel=1e-6)


def test_numpyro_gets_the_log_density_jitted_whole(radon_data, monkeypatch):
    # NumPyro sets a single chain (or sequential chains) up outside its compiled sampler,
    # where an unjitted log density would be compiled one JAX operation at a time.
    import numpyro.infer

    given = []
    nuts = numpyro.infer.NUTS

    def spy(*args, potential_fn, **kwargs):
        given.append(potential_fn)
        return nuts(*args, potential_fn=potential_fn, **kwargs)

    monkeypatch.setattr(numpyro.infer, "NUTS", spy)
    model = hbm.build_model(hbm.ModelSpec(pooling="complete"), radon_data)
    idata = hbm.sample(model, draws=30, tune=30, chains=1, random_seed=2)
    assert len(given) == 1 and hasattr(given[0], "lower")  # what jax.jit returns
    assert idata.posterior["beta"].shape == (1, 30)


@pytest.mark.slow
def test_numpyro_falls_back_to_pymc_with_a_message(radon_data, monkeypatch, caplog):
    model = hbm.build_model(hbm.ModelSpec(pooling="complete"), radon_data)
    monkeypatch.setattr(sampling.jax_nuts, "available", lambda: False)
    with caplog.at_level(logging.WARNING, logger="hbm_widgets.core.sampling"):
        idata = hbm.sample(model, draws=50, tune=50, chains=1, random_seed=3)
    assert "JAX and NumPyro are not installed: sampling with PyMC's NUTS instead" in caplog.text
    assert "perf_counter_diff" in idata.sample_stats  # a statistic only PyMC records

    monkeypatch.undo()
    caplog.clear()

    def no_jax(*args, **kwargs):
        raise NotImplementedError("No JAX conversion for Op SomeOp")

    monkeypatch.setattr(sampling.jax_nuts, "sample_numpyro", no_jax)
    with caplog.at_level(logging.WARNING, logger="hbm_widgets.core.sampling"):
        idata = hbm.sample(model, draws=50, tune=50, chains=1, random_seed=3)
    assert "JAX cannot compile this model (No JAX conversion for Op SomeOp)" in caplog.text
    assert "perf_counter_diff" in idata.sample_stats


def test_numpyro_refuses_a_model_with_discrete_parameters():
    with pm.Model() as model:
        pm.Poisson("count", mu=3.0)
    assert sampling._numpyro_unusable(model) == "NUTS cannot sample the discrete parameters (count)"


@pytest.mark.slow
def test_a_refit_after_set_data_reuses_the_compiled_sampler(nutpie_fit, radon_data):
    model, idata = nutpie_fit
    compiled = hbm.compiled_sampler(model)
    with model:
        pm.set_data({"log_radon_observed": radon_data.outcome + 1.0})
    try:
        shifted = hbm.sample(model, draws=300, tune=300, chains=2, random_seed=11, sampler="nutpie")
    finally:
        with model:
            pm.set_data({"log_radon_observed": radon_data.outcome})
    assert hbm.compiled_sampler(model) is compiled, "the compiled sampler was rebuilt"
    # Every outcome one higher: the mean of the county intercepts moves up by one.
    moved = float(shifted.posterior["mu_alpha"].mean()) - float(idata.posterior["mu_alpha"].mean())
    assert moved == pytest.approx(1.0, abs=0.05)
    assert float(shifted.posterior["beta"].mean()) == pytest.approx(
        float(idata.posterior["beta"].mean()), abs=0.03
    )


@pytest.mark.slow
def test_missing_nutpie_falls_back_to_pymc_with_a_message(radon_data, monkeypatch, caplog):
    monkeypatch.setattr(sampling, "_nutpie_available", lambda: False)
    model = hbm.build_model(hbm.ModelSpec(pooling="complete"), radon_data)
    with caplog.at_level(logging.WARNING, logger="hbm_widgets.core.sampling"):
        idata = hbm.sample(model, draws=50, tune=50, chains=1, random_seed=3, sampler="nutpie")
    assert "nutpie is not installed: sampling with PyMC's NUTS instead" in caplog.text
    assert "tree_depth" in idata.sample_stats and "depth" not in idata.sample_stats


def test_fit_log_records_every_fits_health_when_asked(radon_data, monkeypatch, tmp_path):
    import arviz as az

    log = tmp_path / "fits.jsonl"
    model = hbm.build_model(hbm.ModelSpec(pooling="complete"), radon_data)
    monkeypatch.delenv("HBM_FIT_LOG", raising=False)
    hbm.sample(model, draws=60, tune=60, chains=2, random_seed=4)
    assert not log.exists()
    monkeypatch.setenv("HBM_FIT_LOG", str(log))
    first = hbm.sample(model, draws=60, tune=60, chains=2, random_seed=4)
    hbm.sample(model, draws=80, tune=60, chains=2, random_seed=5)
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["draws"] for r in records] == [60, 80]
    summary = az.summary(first, kind="diagnostics", round_to="none")
    assert records[0]["max_rhat"] == pytest.approx(summary["r_hat"].max())
    assert records[0]["min_ess_bulk"] == pytest.approx(summary["ess_bulk"].min())
    assert records[0]["variables"] == sorted(first.posterior.data_vars)
    assert records[0]["divergences"] == int(first.sample_stats["diverging"].sum())
    assert records[0]["sampler"] == "numpyro" and records[0]["seconds"] > 0


def test_every_fit_hands_freed_memory_back(radon_data, monkeypatch):
    calls = []
    monkeypatch.setattr(sampling, "_return_freed_memory", lambda: calls.append(1))
    model = hbm.build_model(hbm.ModelSpec(pooling="complete"), radon_data)
    hbm.sample(model, draws=30, tune=30, chains=1, random_seed=2)
    hbm.sample(model, draws=30, tune=30, chains=1, random_seed=2, sampler="pymc")
    assert len(calls) == 2
    monkeypatch.undo()

    # Without glibc there is nothing to call, and nothing fails.
    def no_glibc(name):
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(sampling.ctypes, "CDLL", no_glibc)
    sampling._return_freed_memory()


def test_compile_cache_directory_follows_the_setting(monkeypatch, tmp_path):
    monkeypatch.delenv(sampling.jax_nuts.CACHE_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert sampling.jax_nuts.compile_cache_directory() == tmp_path / "hbm-workbook" / "jax"
    monkeypatch.setenv(sampling.jax_nuts.CACHE_VARIABLE, str(tmp_path / "mine"))
    assert sampling.jax_nuts.compile_cache_directory() == tmp_path / "mine"
    monkeypatch.setenv(sampling.jax_nuts.CACHE_VARIABLE, "OFF")
    assert sampling.jax_nuts.compile_cache_directory() is None


_FIT_ONCE = """
import numpy as np, pymc as pm
import hbm_widgets as hbm
y = np.random.default_rng(3).normal(1.0, 2.0, size=(5, 8))
with pm.Model(coords={"group": range(5)}) as model:
    mu = pm.Normal("mu", 0, 5)
    tau = pm.HalfNormal("tau", 2)
    z = pm.Normal("z", 0, 1, dims="group")
    pm.Normal("y", mu + tau * z[:, None], 2.0, observed=y)
hbm.sample(model, draws=50, tune=50, chains=2, random_seed=1, progressbar=False)
"""


@pytest.mark.slow
def test_a_second_process_reuses_the_compiled_sampler_from_disk(tmp_path):
    cache = tmp_path / "cache"
    # Every compilation kept, however quick, so that the test does not depend on the machine.
    env = {
        **os.environ,
        sampling.jax_nuts.CACHE_VARIABLE: str(cache),
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
    }
    env.pop("JAX_COMPILATION_CACHE_DIR", None)

    def entries() -> set[str]:
        return {p.name for p in cache.glob("*-cache")}

    subprocess.run([sys.executable, "-c", _FIT_ONCE], env=env, check=True, capture_output=True)
    first = entries()
    assert any(name.startswith("jit__fun") for name in first), first
    # Same model and data in a new process: found on disk, nothing compiled anew.
    subprocess.run([sys.executable, "-c", _FIT_ONCE], env=env, check=True, capture_output=True)
    assert entries() == first
    # A folder that cannot be made (under a file): the fit goes on, without JAX's warnings.
    (tmp_path / "a-file").write_text("")
    env[sampling.jax_nuts.CACHE_VARIABLE] = str(tmp_path / "a-file" / "cache")
    done = subprocess.run(
        [sys.executable, "-c", _FIT_ONCE], env=env, check=True, capture_output=True, text=True
    )
    assert "compilation cache" not in done.stderr
