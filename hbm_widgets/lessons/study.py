"""A Monte Carlo study of priors: simulate data, fit them under several priors, summarise.

The data come from a varying-slope model with a group-level predictor,

    y_i    = alpha + beta_j[i] * x_i + e_i,          e_i   ~ N(0, sigma^2)
    beta_j = gamma0 + gamma1 * u_j + eta_j,          eta_j ~ N(0, sigma_beta^2),

and each simulated data set is fitted by :func:`hbm_widgets.build_model` with
``ModelSpec(pooling="partial", varying="slope", group_predictor=True)``, whose ``mu_beta``
is ``gamma0`` and ``gamma_beta`` is ``gamma1``. A :class:`StudySpec` holds every setting.

Every simulation is seeded from ``(seed, design, simulation)`` alone (and its fit from the
prior's name as well), so any one of them can be rerun on its own with
:func:`run_simulation`, the same data are fitted under every prior, and the table does not
depend on the order in which fits finish. :func:`run_study` runs the fits on local cores
with joblib, or on a Dask cluster when given a scheduler address, writes each finished fit
to disk at once and, run again on the same folder, skips the fits already there.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import sys
import threading
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr

from hbm_widgets.core.build import build_model
from hbm_widgets.core.data import GroupedData
from hbm_widgets.core.diagnostics import convergence_report
from hbm_widgets.core.errors import WorkbookInputError
from hbm_widgets.core.priors import Prior
from hbm_widgets.core.sampling import SAMPLERS, sample
from hbm_widgets.core.spec import ModelSpec

__all__ = [
    "DEFAULT_DESIGNS",
    "DEFAULT_PRIOR_CHOICES",
    "STUDY_PARAMETERS",
    "Design",
    "PriorChoice",
    "StudySpec",
    "StudyTruth",
    "compare_priors",
    "fit_study_model",
    "load_study",
    "run_simulation",
    "run_study",
    "simulate_study_data",
    "study_data",
    "study_model_spec",
    "summarise_study",
]

# The parameters a study reports, and the model variable each one is.
STUDY_PARAMETERS: Mapping[str, str] = {
    "alpha": "alpha",
    "gamma0": "mu_beta",
    "gamma1": "gamma_beta",
    "sigma_beta": "sigma_beta",
    "sigma": "sigma",
}
INTERVAL = 0.9  # the central posterior interval whose coverage is counted

TABLE_COLUMNS = [
    "design",
    "n_obs",
    "n_groups",
    "prior",
    "simulation",
    "parameter",
    "true_value",
    "posterior_mean",
    "posterior_sd",
    "lower_90",
    "upper_90",
    "covered",
    "max_rhat",
    "min_ess_bulk",
    "divergences",
    "fit_seed",
]


def _whole(name: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise WorkbookInputError(f"{name} must be a whole number >= {low}, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class Design:
    """How much data one simulated study has: ``n_obs`` observations in ``n_groups`` groups.

    Observations are spread over the groups as evenly as possible.
    """

    n_obs: int
    n_groups: int
    name: str = ""

    def __post_init__(self) -> None:
        n_groups = _whole("n_groups", self.n_groups, 2)
        n_obs = _whole("n_obs", self.n_obs, 2)
        if n_obs < 2 * n_groups:
            raise WorkbookInputError(
                f"n_obs must be at least twice n_groups (two observations a group), "
                f"got n_obs={n_obs}, n_groups={n_groups}"
            )
        object.__setattr__(self, "n_obs", n_obs)
        object.__setattr__(self, "n_groups", n_groups)
        if not self.name:
            object.__setattr__(self, "name", f"N={n_obs}, J={n_groups}")


@dataclass(frozen=True)
class PriorChoice:
    """A named pair of priors for ``gamma0`` (``mu_beta``) and ``gamma1`` (``gamma_beta``)."""

    name: str
    gamma0: Prior
    gamma1: Prior

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise WorkbookInputError(f"a prior choice needs a name, got {self.name!r}")
        for role in ("gamma0", "gamma1"):
            prior = getattr(self, role)
            if not isinstance(prior, Prior) or prior.support != "real":
                raise WorkbookInputError(
                    f"{role} needs a prior on the real line (Normal, Flat, StudentT...), "
                    f"got {prior!r}"
                )


# The four priors of the study: centred on the truth, off by one prior SD, off but wide, flat.
DEFAULT_PRIOR_CHOICES: Mapping[str, PriorChoice] = {
    choice.name: choice
    for choice in (
        PriorChoice("good", Prior("Normal", mu=1, sigma=1), Prior("Normal", mu=1, sigma=1)),
        PriorChoice("bad", Prior("Normal", mu=2, sigma=1), Prior("Normal", mu=2, sigma=1)),
        PriorChoice("weak_bad", Prior("Normal", mu=2, sigma=3), Prior("Normal", mu=2, sigma=3)),
        PriorChoice("flat", Prior("Flat"), Prior("Flat")),
    )
}

# The main design, a smaller one and a large one in which a wrong prior washes out.
DEFAULT_DESIGNS: tuple[Design, ...] = (Design(200, 10), Design(50, 5), Design(500, 50))


@dataclass(frozen=True)
class StudyTruth:
    """The values the data are simulated from."""

    alpha: float = 0.5
    gamma0: float = 1.0
    gamma1: float = 1.0
    sigma: float = 1.0
    sigma_beta: float = 1.0

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
                raise WorkbookInputError(f"truth {name} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise WorkbookInputError(f"truth {name} must be finite, got {value}")
            object.__setattr__(self, name, float(value))
        for name in ("sigma", "sigma_beta"):
            if getattr(self, name) <= 0:
                raise WorkbookInputError(
                    f"truth {name} is a standard deviation and must be positive, "
                    f"got {getattr(self, name):g}"
                )


def _as_designs(designs) -> tuple[Design, ...]:
    if isinstance(designs, Design):
        designs = [designs]
    if isinstance(designs, Mapping):
        items = [(name, value) for name, value in designs.items()]
    else:
        items = [(None, value) for value in designs]
    out = []
    for name, value in items:
        if isinstance(value, Design):
            out.append(replace(value, name=name) if name else value)
            continue
        try:
            n_obs, n_groups = value
        except (TypeError, ValueError):
            raise WorkbookInputError(
                f"a design is a Design or a pair (n_obs, n_groups), got {value!r}"
            ) from None
        out.append(Design(n_obs, n_groups, name or ""))
    return tuple(out)


def _as_prior_choices(priors) -> tuple[PriorChoice, ...]:
    if isinstance(priors, str | PriorChoice):
        priors = [priors]
    out = []
    for prior in priors:
        if isinstance(prior, PriorChoice):
            out.append(prior)
        elif prior in DEFAULT_PRIOR_CHOICES:
            out.append(DEFAULT_PRIOR_CHOICES[prior])
        else:
            known = ", ".join(DEFAULT_PRIOR_CHOICES)
            raise WorkbookInputError(
                f"unknown prior choice {prior!r}; expected a PriorChoice or one of: {known}"
            )
    return tuple(out)


@dataclass(frozen=True)
class StudySpec:
    """Every setting of a prior study, as a frozen value.

    Parameters
    ----------
    designs : sequence of Design or of (n_obs, n_groups) pairs, or a mapping name -> pair
        Defaults to N = 200, J = 10; N = 50, J = 5; and N = 500, J = 50.
    priors : sequence of PriorChoice or of names in ``DEFAULT_PRIOR_CHOICES``
        Defaults to the good, bad, weak-bad and flat priors on gamma0 and gamma1.
    n_simulations : int
        Simulated data sets per design (each fitted under every prior).
    draws, tune, chains : int
        Passed to :func:`hbm_widgets.sample` for every fit.
    seed : int
        The root of every simulation's and every fit's seed.
    target_accept : float
        NUTS's target acceptance, above PyMC's 0.8 because the smallest designs, five
        groups under a half-Cauchy prior on their spread, otherwise diverge.
    truth : StudyTruth
        The values the data are simulated from.
    scale_prior : Prior
        The prior on both ``sigma`` and ``sigma_beta`` (half-Cauchy with scale 5).
    alpha_prior : Prior
        The prior on the shared intercept, the same under every prior choice.
    parameterization : {"centered", "non_centered"}
        Centred by default: with ten or more observations a group, each group's slope is
        well determined by its own data, the case where the centred form samples better.
    sampler : {"nutpie", "pymc"}
        The NUTS implementation (see :func:`hbm_widgets.sample`). nutpie by default: a
        study fits one model structure per design and prior thousands of times, and nutpie
        compiles it once per worker and then only swaps the data.

    Examples
    --------
    >>> spec = StudySpec(designs=[(50, 5)], priors=["good", "flat"], n_simulations=3)
    >>> [d.name for d in spec.designs], [p.name for p in spec.priors]
    (['N=50, J=5'], ['good', 'flat'])
    >>> spec.n_fits
    6
    """

    designs: tuple[Design, ...] = DEFAULT_DESIGNS
    priors: tuple[PriorChoice, ...] = field(
        default_factory=lambda: tuple(DEFAULT_PRIOR_CHOICES.values())
    )
    n_simulations: int = 300
    draws: int = 500
    tune: int = 500
    chains: int = 2
    seed: int = 20240
    target_accept: float = 0.95
    truth: StudyTruth = field(default_factory=StudyTruth)
    scale_prior: Prior = field(default_factory=lambda: Prior("HalfCauchy", beta=5))
    alpha_prior: Prior = field(default_factory=lambda: Prior("Normal", mu=0, sigma=10))
    parameterization: str = "centered"
    sampler: str = "nutpie"

    def __post_init__(self) -> None:
        designs = _as_designs(self.designs)
        priors = _as_prior_choices(self.priors)
        for kind, items in (("design", designs), ("prior choice", priors)):
            if not items:
                raise WorkbookInputError(f"a study needs at least one {kind}")
            names = [item.name for item in items]
            duplicated = sorted({n for n in names if names.count(n) > 1})
            if duplicated:
                raise WorkbookInputError(f"{kind} names must differ; {duplicated[0]!r} repeats")
            slugs = [_slug(n) for n in names]
            if len(set(slugs)) < len(slugs):
                raise WorkbookInputError(
                    f"{kind} names {names} differ only in punctuation; give them distinct names"
                )
        object.__setattr__(self, "designs", designs)
        object.__setattr__(self, "priors", priors)
        for name, low in (
            ("n_simulations", 1),
            ("draws", 1),
            ("tune", 0),
            ("chains", 1),
            ("seed", 0),
        ):
            object.__setattr__(self, name, _whole(name, getattr(self, name), low))
        if not 0 < self.target_accept < 1:
            raise WorkbookInputError(
                f"target_accept must be between 0 and 1, got {self.target_accept!r}"
            )
        if not isinstance(self.truth, StudyTruth):
            raise WorkbookInputError(f"truth must be a StudyTruth, got {self.truth!r}")
        if not isinstance(self.scale_prior, Prior) or self.scale_prior.support != "positive":
            raise WorkbookInputError(
                f"scale_prior must be a Prior on positive values, got {self.scale_prior!r}"
            )
        if not isinstance(self.alpha_prior, Prior) or self.alpha_prior.support != "real":
            raise WorkbookInputError(
                f"alpha_prior must be a Prior on the real line, got {self.alpha_prior!r}"
            )
        ModelSpec(parameterization=self.parameterization)  # checks the name
        if self.sampler not in SAMPLERS:
            raise WorkbookInputError(f"sampler must be one of {SAMPLERS}, got {self.sampler!r}")

    @property
    def n_fits(self) -> int:
        return len(self.designs) * len(self.priors) * self.n_simulations

    def replace(self, **changes) -> StudySpec:
        """A copy with some settings changed, checked like a new spec."""
        return replace(self, **changes)

    def design(self, name: str | Design) -> Design:
        """The design called ``name``."""
        if isinstance(name, Design):
            return name
        for design in self.designs:
            if design.name == name:
                return design
        known = ", ".join(repr(d.name) for d in self.designs)
        raise WorkbookInputError(f"no design called {name!r}; this study has {known}")

    def prior(self, name: str | PriorChoice) -> PriorChoice:
        """The prior choice called ``name``."""
        if isinstance(name, PriorChoice):
            return name
        for prior in self.priors:
            if prior.name == name:
                return prior
        known = ", ".join(repr(p.name) for p in self.priors)
        raise WorkbookInputError(f"no prior choice called {name!r}; this study has {known}")

    def fingerprint(self, design: Design, prior: PriorChoice) -> str:
        """A short hash of everything that decides the fits of one (design, prior) cell."""
        settings = {
            "design": [design.n_obs, design.n_groups],
            "prior": [repr(prior.gamma0), repr(prior.gamma1)],
            "truth": asdict(self.truth),
            "scale_prior": repr(self.scale_prior),
            "alpha_prior": repr(self.alpha_prior),
            "sampler": [self.draws, self.tune, self.chains, self.target_accept, self.sampler],
            "seed": self.seed,
            "parameterization": self.parameterization,
        }
        text = json.dumps(settings, sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()[:10]

    def to_dict(self) -> dict:
        """The settings as plain values (saved next to a study's results)."""
        return {
            "designs": [[d.name, d.n_obs, d.n_groups] for d in self.designs],
            "priors": {p.name: [str(p.gamma0), str(p.gamma1)] for p in self.priors},
            "n_simulations": self.n_simulations,
            "draws": self.draws,
            "tune": self.tune,
            "chains": self.chains,
            "seed": self.seed,
            "target_accept": self.target_accept,
            "truth": asdict(self.truth),
            "scale_prior": str(self.scale_prior),
            "alpha_prior": str(self.alpha_prior),
            "parameterization": self.parameterization,
            "sampler": self.sampler,
        }


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") or "x"


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
    simulation = _whole("simulation", simulation, 0)
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
    idata = fit_study_model(
        model,
        random_seed=fit_seed,
        draws=spec.draws,
        tune=spec.tune,
        chains=spec.chains,
        target_accept=spec.target_accept,
        sampler=spec.sampler,
    )
    variables = list(STUDY_PARAMETERS.values())
    if spec.chains > 1:
        report = convergence_report(idata, var_names=variables)
        max_rhat, min_ess = report.max_rhat, report.min_ess_bulk
    else:  # R-hat compares chains; with one there is nothing to compare
        max_rhat, min_ess = float("nan"), float("nan")
    divergences = int(idata["sample_stats"]["diverging"].sum())
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
    n_jobs = _whole("n_jobs", n_jobs, 1) if n_jobs != -1 else -1
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


# -- summarising -----------------------------------------------------------------------------


def summarise_study(
    table: pd.DataFrame, *, parameters: Sequence[str] = ("gamma0", "gamma1")
) -> pd.DataFrame:
    """Bias, RMSE and coverage of the posterior mean and 90% interval, per cell.

    Parameters
    ----------
    table : DataFrame
        A study table (:func:`run_study`).
    parameters : sequence of str
        The parameters to summarise.

    Returns
    -------
    DataFrame
        One row per (design, prior, parameter), in the table's order, with
        ``n_simulations``, ``true_value``, ``mean_estimate`` (the average posterior mean),
        ``bias`` and its Monte Carlo standard error ``bias_mcse``, ``rmse``, ``coverage`` of
        the 90% interval and ``coverage_mcse`` (the standard error a coverage of exactly 0.9
        would have with this many simulations), ``mean_posterior_sd``, and the share of
        fits with any divergent transition.
    """
    missing = [c for c in TABLE_COLUMNS if c not in table.columns]
    if missing:
        raise WorkbookInputError(f"not a study table: column {missing[0]!r} is missing")
    unknown = sorted(set(parameters) - set(table["parameter"]))
    if unknown:
        raise WorkbookInputError(
            f"the table has no parameter {unknown[0]!r}; it has "
            f"{', '.join(map(str, table['parameter'].unique()))}"
        )
    rows = []
    chosen = table[table["parameter"].isin(list(parameters))]
    for (design, prior, parameter), cell in chosen.groupby(
        ["design", "prior", "parameter"], sort=False
    ):
        n = len(cell)
        error = cell["posterior_mean"] - cell["true_value"]
        rows.append(
            {
                "design": design,
                "n_obs": int(cell["n_obs"].iloc[0]),
                "n_groups": int(cell["n_groups"].iloc[0]),
                "prior": prior,
                "parameter": parameter,
                "n_simulations": n,
                "true_value": float(cell["true_value"].iloc[0]),
                "mean_estimate": float(cell["posterior_mean"].mean()),
                "bias": float(error.mean()),
                "bias_mcse": float(error.std(ddof=1) / math.sqrt(n)) if n > 1 else float("nan"),
                "rmse": float(np.sqrt((error**2).mean())),
                "coverage": float(cell["covered"].mean()),
                "coverage_mcse": math.sqrt(INTERVAL * (1 - INTERVAL) / n),
                "mean_posterior_sd": float(cell["posterior_sd"].mean()),
                "share_divergent": float((cell["divergences"] > 0).mean()),
            }
        )
    summary = pd.DataFrame(rows)
    order = {p: i for i, p in enumerate(parameters)}
    return summary.sort_values("parameter", key=lambda s: s.map(order), kind="stable").reset_index(
        drop=True
    )


def compare_priors(
    table: pd.DataFrame,
    *,
    reference: str = "good",
    parameters: Sequence[str] = ("gamma0", "gamma1"),
) -> pd.DataFrame:
    """How far each prior moves the posterior mean from the reference prior's, data set by data set.

    Every prior of a study is fitted to the same simulated data sets, so the difference of
    two priors' posterior means on the same data has none of the data's own variation: its
    average over simulations measures the pull of one prior relative to the other far more
    precisely than the difference of two biases does.

    Returns
    -------
    DataFrame
        One row per (design, prior other than ``reference``, parameter): ``n_simulations``
        (simulations fitted under both), ``mean_shift`` (average of prior minus reference)
        and its Monte Carlo standard error ``shift_mcse``.
    """
    missing = [c for c in TABLE_COLUMNS if c not in table.columns]
    if missing:
        raise WorkbookInputError(f"not a study table: column {missing[0]!r} is missing")
    if reference not in set(table["prior"]):
        raise WorkbookInputError(
            f"the table has no prior {reference!r}; it has "
            f"{', '.join(map(str, table['prior'].unique()))}"
        )
    chosen = table[table["parameter"].isin(list(parameters))]
    wide = chosen.pivot_table(
        index=["design", "parameter", "simulation"],
        columns="prior",
        values="posterior_mean",
        sort=False,
    )
    rows = []
    priors = [p for p in dict.fromkeys(table["prior"]) if p != reference]
    for parameter in parameters:
        for design in dict.fromkeys(chosen["design"]):
            block = wide.loc[(design, parameter)]
            for prior in priors:
                shift = (block[prior] - block[reference]).dropna()
                n = len(shift)
                rows.append(
                    {
                        "design": design,
                        "prior": prior,
                        "parameter": parameter,
                        "n_simulations": n,
                        "mean_shift": float(shift.mean()),
                        "shift_mcse": float(shift.std(ddof=1) / math.sqrt(n))
                        if n > 1
                        else float("nan"),
                    }
                )
    return pd.DataFrame(rows)
