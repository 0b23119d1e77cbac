"""A Monte Carlo study of priors: simulate data, fit them under several priors, summarise.

The data come from a varying-slope model with a group-level predictor,

    y_i    = alpha + beta_j[i] * x_i + e_i,          e_i   ~ N(0, sigma^2)
    beta_j = gamma0 + gamma1 * u_j + eta_j,          eta_j ~ N(0, sigma_beta^2),

and each simulated data set is fitted by :func:`hbm_widgets.build_model` with
``ModelSpec(pooling="partial", varying="slope", group_predictor=True)``, whose ``mu_beta``
is ``gamma0`` and ``gamma_beta`` is ``gamma1``. A
:class:`~hbm_widgets.lessons.study_spec.StudySpec` holds every setting, and
:mod:`hbm_widgets.lessons.study_summary` summarises the table.

Every simulation is seeded from ``(seed, design, simulation)`` alone (and its fit from the
prior's name as well), so any one of them can be rerun on its own with
:func:`run_simulation`, the same data are fitted under every prior, and the table does not
depend on the order in which fits finish. :func:`run_study` runs the fits on local cores
with joblib, or on a Dask cluster when given a scheduler address, writes each finished fit
to disk at once and, run again on the same folder, skips the fits already there.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
import threading
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr

from hbm_widgets.core.build import build_model
from hbm_widgets.core.data import GroupedData
from hbm_widgets.core.diagnostics import convergence_report
from hbm_widgets.core.errors import WorkbookInputError, check_whole_number
from hbm_widgets.core.sampling import sample
from hbm_widgets.core.spec import ModelSpec
from hbm_widgets.lessons.study_spec import (
    INTERVAL,
    STUDY_PARAMETERS,
    TABLE_COLUMNS,
    Design,
    PriorChoice,
    StudySpec,
    StudyTruth,
    _slug,
)

__all__ = [
    "fit_study_model",
    "load_study",
    "run_simulation",
    "run_study",
    "simulate_study_data",
    "study_data",
    "study_model_spec",
]


def _key(name: str) -> int:
    """A stable number for a name (Python's own hash changes between runs)."""
    return zlib.crc32(name.encode())


def _data_rng(spec: StudySpec, design: Design, simulation: int) -> np.random.Generator:
    sequence = np.random.SeedSequence(
        spec.seed, spawn_key=(_key(f"{design.n_obs}/{design.n_groups}"), simulation)
    )
    return np.random.default_rng(sequence)


def _fit_seed(spec: StudySpec, design: Design, prior: PriorChoice, simulation: int) -> int:
    sequence = np.random.SeedSequence(
        spec.seed,
        spawn_key=(_key(f"{design.n_obs}/{design.n_groups}"), simulation, _key(prior.name)),
    )
    return int(sequence.generate_state(1)[0])


def simulate_study_data(
    design: Design, truth: StudyTruth, rng: np.random.Generator
) -> pd.DataFrame:
    """One data set from the study's data-generating process.

    ``x_i`` and ``u_j`` are standard normal; observation ``i`` is in group ``i mod J``.

    Returns
    -------
    DataFrame
        Columns ``group`` (labels ``g00``, ``g01``...), ``x``, ``u`` (the group's value
        on every row) and ``y``.
    """
    if not isinstance(rng, np.random.Generator):
        raise WorkbookInputError(
            f"rng must be a numpy Generator (np.random.default_rng(seed)), got {rng!r}"
        )
    group = np.arange(design.n_obs) % design.n_groups
    u = rng.normal(size=design.n_groups)
    eta = rng.normal(0.0, truth.sigma_beta, size=design.n_groups)
    beta = truth.gamma0 + truth.gamma1 * u + eta
    x = rng.normal(size=design.n_obs)
    y = truth.alpha + beta[group] * x + rng.normal(0.0, truth.sigma, size=design.n_obs)
    width = len(str(design.n_groups - 1))
    labels = np.array([f"g{j:0{width}d}" for j in range(design.n_groups)])
    return pd.DataFrame({"group": labels[group], "x": x, "u": u[group], "y": y})


def study_data(spec: StudySpec, design: str | Design, simulation: int) -> pd.DataFrame:
    """The data set of simulation number ``simulation`` of a design (the same every time)."""
    design = spec.design(design)
    simulation = check_whole_number("simulation", simulation, low=0)
    return simulate_study_data(design, spec.truth, _data_rng(spec, design, simulation))


def study_model_spec(spec: StudySpec, prior: str | PriorChoice) -> ModelSpec:
    """The ``ModelSpec`` fitted under one prior choice."""
    prior = spec.prior(prior)
    return ModelSpec(
        pooling="partial",
        varying="slope",
        group_predictor=True,
        parameterization=spec.parameterization,
        priors={
            "alpha": spec.alpha_prior,
            "mu_beta": prior.gamma0,
            "gamma_beta": prior.gamma1,
            "sigma": spec.scale_prior,
            "sigma_beta": spec.scale_prior,
        },
    )


def _grouped(frame: pd.DataFrame) -> GroupedData:
    return GroupedData.from_frame(
        frame, group="group", outcome="y", predictor="x", group_predictor="u"
    )


@contextmanager
def _quiet_sampler():
    """Keep PyMC's per-fit log lines out of a study's output (thousands of fits)."""
    logger = logging.getLogger("pymc")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


# One model per structure (prior, design shape) in each process and thread, reused for every
# simulation with its data swapped in: the compiled sampler behind it is then reused too.
_MODELS: dict[tuple, pm.Model] = {}
_MAX_MODELS = 32


def _study_model(model_spec: ModelSpec, data: GroupedData) -> pm.Model:
    key = (threading.get_ident(), repr(model_spec), data.n_obs, data.n_groups)
    model = _MODELS.get(key)
    if model is None:
        model = build_model(model_spec, data, outcome_as_data=True)
        if len(_MODELS) >= _MAX_MODELS:
            _MODELS.pop(next(iter(_MODELS)))
        _MODELS[key] = model
        return model
    with model:
        pm.set_data(
            {
                f"{data.group_name}_idx": data.group_idx,
                data.predictor_name: data.predictor,
                data.group_predictor_name: data.group_predictor,
                f"{data.outcome_name}_observed": data.outcome,
            }
        )
    return model


def fit_study_model(
    model,
    *,
    random_seed: int,
    draws: int,
    tune: int,
    chains: int,
    target_accept: float,
    sampler: str = "nutpie",
) -> xr.DataTree:
    """Sample one study model: the single place a study fits, through :func:`hbm.sample`.

    The chains run one after another on one core, so that a fit uses one core wherever it
    runs (a joblib or Dask worker may not start processes of its own); a study runs many
    fits side by side instead.
    """
    with _quiet_sampler():
        return sample(
            model,
            random_seed=random_seed,
            draws=draws,
            tune=tune,
            chains=chains,
            cores=1,
            target_accept=target_accept,
            sampler=sampler,
        )


def _sample_with_spec(model, spec: StudySpec, random_seed: int):
    """Fit a study model with the spec's sampler settings, and the fit's health: the worst
    R-hat and lowest bulk ESS over the study's parameters (NaN with one chain, where R-hat
    has nothing to compare) and the number of divergences."""
    idata = fit_study_model(
        model,
        random_seed=random_seed,
        draws=spec.draws,
        tune=spec.tune,
        chains=spec.chains,
        target_accept=spec.target_accept,
        sampler=spec.sampler,
    )
    if spec.chains > 1:
        report = convergence_report(idata, var_names=list(STUDY_PARAMETERS.values()))
        max_rhat, min_ess = report.max_rhat, report.min_ess_bulk
    else:
        max_rhat, min_ess = float("nan"), float("nan")
    return idata, (max_rhat, min_ess, int(idata["sample_stats"]["diverging"].sum()))


def run_simulation(
    spec: StudySpec, design: str | Design, prior: str | PriorChoice, simulation: int
) -> pd.DataFrame:
    """Simulate data set ``simulation`` of ``design``, fit it under ``prior``, summarise.

    The result is the same whenever and wherever it runs: this is how one simulation of a
    study is rerun on its own.

    Returns
    -------
    DataFrame
        One row per parameter of ``STUDY_PARAMETERS``, with the columns of a study table:
        the true value, the posterior mean and SD, the 90% central interval, whether it
        covers the truth, and the fit's worst R-hat, lowest bulk ESS and divergences.
    """
    design = spec.design(design)
    prior = spec.prior(prior)
    frame = study_data(spec, design, simulation)
    model = _study_model(study_model_spec(spec, prior), _grouped(frame))
    fit_seed = _fit_seed(spec, design, prior, simulation)
    idata, (max_rhat, min_ess, divergences) = _sample_with_spec(model, spec, fit_seed)
    tail = (1 - INTERVAL) / 2
    rows = []
    for parameter, variable in STUDY_PARAMETERS.items():
        values = idata["posterior"][variable].values.ravel()
        lower, upper = np.quantile(values, [tail, 1 - tail])
        true_value = getattr(spec.truth, parameter)
        rows.append(
            {
                "design": design.name,
                "n_obs": design.n_obs,
                "n_groups": design.n_groups,
                "prior": prior.name,
                "simulation": int(simulation),
                "parameter": parameter,
                "true_value": true_value,
                "posterior_mean": float(values.mean()),
                "posterior_sd": float(values.std(ddof=1)),
                "lower_90": float(lower),
                "upper_90": float(upper),
                "covered": bool(lower <= true_value <= upper),
                "max_rhat": max_rhat,
                "min_ess_bulk": min_ess,
                "divergences": divergences,
                "fit_seed": fit_seed,
            }
        )
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


# -- running many ----------------------------------------------------------------------------


def _task_file(spec: StudySpec, design: Design, prior: PriorChoice, simulation: int) -> str:
    return (
        f"{_slug(design.name)}__{_slug(prior.name)}__{simulation:05d}__"
        f"{spec.fingerprint(design, prior)}.csv"
    )


def _read_part(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path)
    frame["covered"] = frame["covered"].astype(bool)
    return frame[TABLE_COLUMNS]


def _write_part(path: Path, frame: pd.DataFrame) -> None:
    tmp = path.with_name(path.name + ".tmp")
    frame.to_csv(tmp, index=False)
    tmp.replace(path)  # atomic: an interrupted write never looks like a finished fit


# A task is a run of simulations of one design under one prior, so that a worker compiles
# that model once for all of them: nutpie compiles a study model in about 6 s and then fits
# it in 0.2 s, and with one task per fit every worker compiled every model (chapter 08's two
# workers: 24 compilations where 12 suffice). At most this many fits a task, so that an
# interrupted study loses little and the workers stay evenly loaded.
_MOST_FITS_A_TASK = 50


def _tasks(todo: list[tuple], workers: int) -> list[tuple]:
    """``todo``'s (design, prior, simulation) triples as (design, prior, simulations) runs:
    at least two runs a worker while each holds at least one fit."""
    models: dict[tuple[str, str], tuple[Design, PriorChoice]] = {}
    simulations: dict[tuple[str, str], list[int]] = {}
    for design, prior, simulation in todo:
        models[design.name, prior.name] = (design, prior)
        simulations.setdefault((design.name, prior.name), []).append(simulation)
    size = max(1, min(_MOST_FITS_A_TASK, math.ceil(len(todo) / (2 * max(workers, 1)))))
    return [
        (*models[key], runs[start : start + size])
        for key, runs in simulations.items()
        for start in range(0, len(runs), size)
    ]


def _run_task(spec: StudySpec, design: Design, prior: PriorChoice, simulations: list[int]):
    return [
        ((design.name, prior.name, simulation), run_simulation(spec, design, prior, simulation))
        for simulation in simulations
    ]


def _local_results(spec, todo, n_jobs) -> Iterator:
    if n_jobs == 1:
        for design, prior, simulation in todo:
            yield from _run_task(spec, design, prior, [simulation])
        return
    from joblib import Parallel, cpu_count, delayed

    tasks = _tasks(todo, cpu_count() if n_jobs == -1 else n_jobs)
    try:  # joblib 1.4 and later hand results back as they finish
        parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    except ValueError:  # older joblib: in order, all at the end
        parallel = Parallel(n_jobs=n_jobs)
    for results in parallel(delayed(_run_task)(spec, *task) for task in tasks):
        yield from results


def _dask_results(spec, todo, scheduler) -> Iterator:
    from dask.distributed import Client, as_completed

    own_client = not isinstance(scheduler, Client)
    client = Client(scheduler) if own_client else scheduler
    try:
        workers = sum(client.nthreads().values())
        tasks = _tasks(todo, workers)
        futures = [client.submit(_run_task, spec, *task, pure=False) for task in tasks]
        for _future, results in as_completed(futures, with_results=True):
            yield from results
    finally:
        if own_client:
            client.close()


def run_study(
    spec: StudySpec,
    path: str | os.PathLike | None = None,
    *,
    n_jobs: int | None = None,
    scheduler=None,
    progress: bool = True,
) -> pd.DataFrame:
    """Run every (design, prior, simulation) fit of a study and gather one tidy table.

    Parameters
    ----------
    spec : StudySpec
    path : path-like, optional
        A folder for the results. Each finished fit is written there at once (under
        ``parts/``), and the whole table to ``study.csv`` at the end. Run again with the same
        folder, fits already on disk are read back instead of rerun, so an interrupted study
        resumes where it stopped and a larger ``n_simulations`` only runs the new ones.
        Fits made with other settings are never reused. ``None`` keeps nothing on disk.
    n_jobs : int, optional
        Fits run at once on this machine (joblib), each on one core; ``None`` runs one per
        core. 1 runs them one after another in this process.
    scheduler : str or dask.distributed.Client, optional
        A Dask scheduler address (``"tcp://host:8786"``) or client: the fits then run on
        that cluster instead, whose workers need this package installed.
    progress : bool
        Show a progress bar (tqdm) over the fits still to run.

    Returns
    -------
    DataFrame
        One row per (design, prior, simulation, parameter), in the spec's order, with the
        columns of :func:`run_simulation`.
    """
    if not isinstance(spec, StudySpec):
        raise WorkbookInputError(f"expected a StudySpec, got {type(spec).__name__}")
    if n_jobs is None:
        n_jobs = os.cpu_count() or 1
    n_jobs = check_whole_number("n_jobs", n_jobs, low=1) if n_jobs != -1 else -1
    tasks = [
        (design, prior, simulation)
        for design in spec.designs
        for prior in spec.priors
        for simulation in range(spec.n_simulations)
    ]
    parts = None
    done: dict[tuple, pd.DataFrame] = {}
    if path is not None:
        folder = Path(path)
        parts = folder / "parts"
        parts.mkdir(parents=True, exist_ok=True)
        for design, prior, simulation in tasks:
            part = parts / _task_file(spec, design, prior, simulation)
            if part.is_file():
                done[(design.name, prior.name, simulation)] = _read_part(part)
    todo = [t for t in tasks if (t[0].name, t[1].name, t[2]) not in done]
    by_name = {(d.name, p.name, s): (d, p, s) for d, p, s in todo}

    if todo:
        results: Iterable = (
            _dask_results(spec, todo, scheduler)
            if scheduler is not None
            else _local_results(spec, todo, n_jobs)
        )
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(todo), desc="fits", unit="fit", file=sys.stderr, mininterval=2.0)
        try:
            for key, frame in results:
                done[key] = frame
                if parts is not None:
                    _write_part(parts / _task_file(spec, *by_name[key]), frame)
                if bar is not None:
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()

    table = pd.concat(
        [done[(d.name, p.name, s)] for d, p, s in tasks], ignore_index=True
    ).reset_index(drop=True)
    if path is not None:
        folder = Path(path)
        _write_part(folder / "study.csv", table)
        (folder / "spec.json").write_text(json.dumps(spec.to_dict(), indent=2))
    return table


def load_study(path: str | os.PathLike) -> pd.DataFrame:
    """Read the table a finished :func:`run_study` left in ``path``."""
    file = Path(path) / "study.csv"
    if not file.is_file():
        raise WorkbookInputError(f"no study table at {file}; run run_study(spec, {str(path)!r})")
    return _read_part(file)
