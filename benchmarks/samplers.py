"""Samplers side by side on the workbook's models, and the latency of a widget's refit.

    python benchmarks/samplers.py [--models radon_intercept radon_lkj gcse_lkj crossed]

Each (model, sampler) pair runs in a fresh Python process, so a "first" call pays every
compilation a learner's first fit pays; the same process then fits again ("repeat"). The
compile caches are reported apart: "empty" runs point PyTensor (and JAX, for the workbook's
NumPyro sampler) at new compile directories, "filled" at the ones the previous run left.
Same seed, 4 chains x 1000 draws after 1000 tuning steps for every sampler. Results go to
``benchmarks/results/samplers.{txt,json}`` with the machine, cores and package versions.

Samplers:
- ``pymc``: PyMC's own NUTS, through ``hbm.sample(..., sampler="pymc")``, which names
  ``nuts_sampler="pymc"`` (left to itself, ``pm.sample`` picks nutpie when it is installed).
- ``hbm_default``: ``hbm.sample`` with no sampler named, the workbook's default (NumPyro, run
  by ``hbm_widgets.core.jax_nuts``: the sampler compiled whole by JAX, chains side by side).
- ``nutpie_pm_sample``: nutpie through ``pm.sample(nuts_sampler="nutpie")``, which compiles
  on every call. This is what a plain ``pm.sample()`` runs in PyMC 6 when nutpie is
  installed (its default NUTS sampler), so ``ratio_to_pm_sample_first`` compares with it.
- ``nutpie_compiled_once``: ``hbm.sample(..., sampler="nutpie")``, which compiles once per
  model and reuses the compiled sampler (the repeat call changes the data first, as a widget
  or a simulation study does).
- ``numpyro``: ``pm.sample(nuts_sampler="numpyro")``, PyMC's own route to NumPyro.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
MODELS = ("radon_intercept", "radon_lkj", "gcse_lkj", "crossed")
CROSSED_LEVELS = ("country", "region", "vertical", "industry")
SAMPLERS = ("pymc", "hbm_default", "nutpie_pm_sample", "nutpie_compiled_once", "numpyro")
SETTINGS = {"draws": 1000, "tune": 1000, "chains": 4, "random_seed": 20240, "target_accept": 0.9}
REPORTED = {
    "radon_intercept": ["mu_alpha", "beta", "sigma_alpha", "sigma"],
    "radon_lkj": ["mu_alpha", "mu_beta", "sigma_alpha", "sigma_beta", "rho", "sigma"],
    "gcse_lkj": ["mu_alpha", "mu_beta", "sigma_alpha", "sigma_beta", "rho", "sigma"],
    # Chapter 10's campaigns: the eight scales of the crossed and nested effects, and more.
    "crossed": [
        *(f"sigma_{c}_{level}" for c in ("alpha", "beta") for level in CROSSED_LEVELS),
        *("mu_alpha", "mu_beta", "sigma", "nu"),
    ],
}


# -- one measurement, run in a child process -------------------------------------------------


def _model_and_data(name: str):
    """The model, and the new values of a data container that a repeat call fits."""
    import numpy as np

    import hbm_widgets as hbm

    if name == "crossed":
        # Chapter 10's simulated campaigns at its defaults, under its weakly informative priors.
        simulation = hbm.simulate_crossed(
            np.random.default_rng(8927), obs_per_cell=5, sparse_obs=4, n_outliers=5
        )
        data = hbm.CrossedData.from_frame(
            simulation.frame, outcome="log_conversions", predictor="log_spend", centre=2.5
        )
        # Its outcome is no data container: the repeat call nudges the spend instead.
        model = hbm.build_crossed_model(data)
        return model, {f"{data.predictor_name}_centred": data.predictor + 0.01}
    if name.startswith("radon"):
        data = hbm.GroupedData.from_frame(
            hbm.load_radon(), group="county", outcome="log_radon", predictor="floor"
        )
        spec = (
            hbm.ModelSpec(pooling="partial", varying="intercept")
            if name == "radon_intercept"
            else hbm.ModelSpec(pooling="partial", varying="both", parameterization="non_centered")
        )
    else:
        data = hbm.GroupedData.from_frame(
            hbm.load_gcse(), group="school", outcome="course", predictor="female", missing="drop"
        )
        spec = hbm.ModelSpec(
            pooling="partial",
            varying="both",
            parameterization="centered",
            priors=hbm.score_priors((0, 100)),
        )
    # The outcome in a data container, so the repeat call can fit new data.
    model = hbm.build_model(spec, data, outcome_as_data=True)
    return model, {f"{data.outcome_name}_observed": data.outcome + 0.01}


def _fit(model, sampler: str, seed: int):
    import pymc as pm

    import hbm_widgets as hbm

    settings = {**SETTINGS, "random_seed": seed}
    if sampler == "pymc":
        return hbm.sample(model, sampler="pymc", **settings)
    if sampler == "nutpie_compiled_once":
        return hbm.sample(model, sampler="nutpie", **settings)
    if sampler == "hbm_default":
        return hbm.sample(model, **settings)
    with model:
        return pm.sample(
            nuts_sampler=sampler.split("_")[0],
            draws=settings["draws"],
            tune=settings["tune"],
            chains=settings["chains"],
            random_seed=seed,
            target_accept=settings["target_accept"],
            progressbar=False,
            compute_convergence_checks=False,
        )


def _quality(idata, names) -> dict:
    import arviz as az

    summary = az.summary(idata, var_names=names, kind="diagnostics", round_to="none")
    return {
        "min_ess_bulk": float(summary["ess_bulk"].min()),
        "max_rhat": float(summary["r_hat"].max()),
        "divergences": int(idata.sample_stats["diverging"].sum()),
    }


def measure(model_name: str, sampler: str) -> dict:
    started = time.perf_counter()
    import pymc as pm

    import hbm_widgets as hbm

    imported = time.perf_counter()
    model, new_data = _model_and_data(model_name)
    row = {"model": model_name, "sampler": sampler, "import_s": imported - started}
    compile_s = None
    if sampler == "nutpie_compiled_once":
        t = time.perf_counter()
        hbm.compiled_sampler(model)
        compile_s = time.perf_counter() - t
    t = time.perf_counter()
    idata = _fit(model, sampler, SETTINGS["random_seed"])
    first = time.perf_counter() - t + (compile_s or 0.0)
    row.update(first_call_s=first, compile_s=compile_s, **_quality(idata, REPORTED[model_name]))
    # The repeat: new data of the same shape (the outcome nudged), as a refit would bring.
    with model:
        pm.set_data(new_data)
    t = time.perf_counter()
    again = _fit(model, sampler, SETTINGS["random_seed"] + 1)
    row["repeat_call_s"] = time.perf_counter() - t
    row["repeat_min_ess_bulk"] = _quality(again, REPORTED[model_name])["min_ess_bulk"]
    row["ess_per_s_first"] = row["min_ess_bulk"] / first
    row["ess_per_s_repeat"] = row["repeat_min_ess_bulk"] / row["repeat_call_s"]
    return row


def refit_latency(repeats: int = 5) -> dict:
    """What a widget waits for on the radon partial-pooling model, after its first fit."""
    import numpy as np
    import pymc as pm

    import hbm_widgets as hbm

    data = hbm.GroupedData.from_frame(
        hbm.load_radon(), group="county", outcome="log_radon", predictor="floor"
    )
    settings = {"draws": 1000, "tune": 1000, "chains": 4, "sampler": "nutpie"}
    model = hbm.build_model(hbm.ModelSpec(pooling="partial"), data, outcome_as_data=True)
    t = time.perf_counter()
    hbm.sample(model, random_seed=1, **settings)
    first = time.perf_counter() - t
    data_changed = []
    for i in range(repeats):
        with model:
            pm.set_data({"log_radon_observed": data.outcome + 0.01 * (i + 1)})
        t = time.perf_counter()
        hbm.sample(model, random_seed=2 + i, **settings)
        data_changed.append(time.perf_counter() - t)
    # What the fit explorer does: a Refitter, first fit, then new prior values of the same
    # families (no compilation), then another pooling strategy (a new model).
    refit = hbm.Refitter(draws=1000, tune=1000, chains=4, random_seed=1)
    spec = hbm.ModelSpec(pooling="partial")
    refit(spec, data)
    prior_changed = []
    for lam in [0.5, 2.0, 5.0, 10.0, 20.0][:repeats]:
        t = time.perf_counter()
        refit(spec.with_prior("sigma_alpha", hbm.Prior("Exponential", lam=lam)), data)
        prior_changed.append(time.perf_counter() - t)
    pooling_changed = []
    for pooling in ["none", "complete"]:
        t = time.perf_counter()
        refit(spec.replace(pooling=pooling), data)
        pooling_changed.append(time.perf_counter() - t)
    return {
        "first_fit_s": first,
        "data_changed_median_s": float(np.median(data_changed)),
        "prior_changed_median_s": float(np.median(prior_changed)),
        "pooling_changed_median_s": float(np.median(pooling_changed)),
        "data_changed_s": data_changed,
        "prior_changed_s": prior_changed,
        "pooling_changed_s": pooling_changed,
    }


# -- the driver ------------------------------------------------------------------------------


def _child(args: list[str], compiledir: str) -> dict:
    # PyTensor's compiled C code and JAX's compiled samplers, both empty or both filled.
    env = {
        **os.environ,
        "PYTENSOR_FLAGS": f"compiledir={compiledir}",
        "HBM_COMPILE_CACHE": os.path.join(compiledir, "jax"),
    }
    done = subprocess.run(
        [sys.executable, __file__, *args], env=env, capture_output=True, text=True, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": reason[:160]}
    return json.loads(lines[-1])


def _refit_line(refit: dict) -> str:
    figures = {k: round(v, 2) for k, v in refit.items() if isinstance(v, float)}
    return "widget refit latency, radon partial pooling (nutpie, 4 x 1000 draws): " + json.dumps(
        figures
    )


def _versions() -> dict:
    out = {}
    for name in ("pymc", "pytensor", "nutpie", "numba", "arviz", "numpyro", "jax"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--samplers", nargs="+", choices=SAMPLERS, default=list(SAMPLERS))
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--refit", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--only-refit", action="store_true", help="rerun only the refit latency, keep the rest"
    )
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(*args.child)))
        return
    if args.refit:
        print(json.dumps(refit_latency()))
        return
    if args.only_refit:
        record = json.loads((RESULTS / "samplers.json").read_text())
        with tempfile.TemporaryDirectory() as root:
            record["refit"] = _child(["--refit"], os.path.join(root, "refit"))
        (RESULTS / "samplers.json").write_text(json.dumps(record, indent=2, sort_keys=True))
        text = (RESULTS / "samplers.txt").read_text().rsplit("\n\nwidget refit", 1)[0]
        text += "\n\n" + _refit_line(record["refit"])
        (RESULTS / "samplers.txt").write_text(text + "\n")
        print(text)
        return

    import pandas as pd

    rows = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as root:
        for model in args.models:
            for sampler in args.samplers:
                # The first run compiles into a directory never used ("empty"); the second
                # finds there what the first left ("filled").
                compiledir = os.path.join(root, f"{model}-{sampler}")
                for cache in ("empty", "filled"):
                    row = _child(["--child", model, sampler], compiledir)
                    row.update(model=model, sampler=sampler, cache=cache)
                    rows.append(row)
                    print(json.dumps(row), flush=True)
        refit = _child(["--refit"], os.path.join(root, "refit"))
    table = pd.DataFrame(rows)
    for column, baseline in (
        ("ratio_to_pymc_first", "pymc"),
        ("ratio_to_pm_sample_first", "nutpie_pm_sample"),
    ):
        base = table[table["sampler"] == baseline].set_index(["model", "cache"])
        base = base.get("ess_per_s_first", pd.Series(dtype=float))
        table[column] = [
            r["ess_per_s_first"] / base.get((r["model"], r["cache"]), float("nan"))
            if "ess_per_s_first" in r and pd.notna(r["ess_per_s_first"])
            else float("nan")
            for _, r in table.iterrows()
        ]
    columns = [
        "model",
        "sampler",
        "cache",
        "compile_s",
        "first_call_s",
        "repeat_call_s",
        "min_ess_bulk",
        "ess_per_s_first",
        "ess_per_s_repeat",
        "ratio_to_pymc_first",
        "ratio_to_pm_sample_first",
        "max_rhat",
        "divergences",
        "error",
    ]
    shown = table.reindex(columns=columns)
    header = (
        f"{platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        + ", ".join(f"{k} {v}" for k, v in _versions().items() if v)
        + "\nload average (1, 5, 15 min) before: "
        + ", ".join(f"{x:.1f}" for x in load_before)
        + "; after: "
        + ", ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    text = "\n\n".join(
        [
            header,
            shown.round(3).to_string(index=False),
            _refit_line(refit),
        ]
    )
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "samplers.txt").write_text(text + "\n")
    record = {
        "machine": platform.platform(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "versions": _versions(),
        "settings": SETTINGS,
        "rows": json.loads(table.to_json(orient="records")),
        "refit": refit,
    }
    (RESULTS / "samplers.json").write_text(json.dumps(record, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
