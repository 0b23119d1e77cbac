"""The one place that decides how the workbook samples a model.

Chapters, widgets, studies and reports call :func:`sample` rather than ``pm.sample`` so that
sampler, chains, cores, seeding and progress display are chosen once, for all of them.

Three NUTS implementations are available, chosen from ``benchmarks/samplers.py``'s figures:

- NumPyro (the default): JAX compiles the log density and the whole sampler in a few seconds
  and runs the chains side by side; a first fit of the radon LKJ model takes 5 s with filled
  compile caches against PyMC's own sampler's 11 s and a plain ``pm.sample()``'s (nutpie's)
  15 s (17 s against 18 and 22 s from empty ones), at the same R-hat and more ESS, and a
  second fit in the same process 3 s against 9 s.
- nutpie compiles the model once (with numba, 9-26 s) and then samples several times faster
  still; because a model's data containers (``pm.Data``) stay variables of the compiled
  function, a refit after ``pm.set_data`` on the *same* model reuses the compiled sampler
  instead of compiling again. That is what makes a widget's refit or a simulation study's
  thousandth fit quick.
- PyMC's own compiles the model's log density to C on every call. It is the fallback when
  JAX or NumPyro is missing, or when a model cannot be sampled with them (discrete
  parameters, or an operation JAX cannot compile).
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import time
import warnings
import weakref
from typing import Literal

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import xarray as xr
from arviz_base import dict_to_dataset
from pymc.logprob.transforms import Transform
from pymc.model.transform.conditioning import change_value_transforms
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Constant

from hbm_widgets.core import jax_nuts
from hbm_widgets.core.errors import WorkbookInputError, check_number, check_whole_number
from hbm_widgets.core.log_likelihood import add_log_likelihood

__all__ = ["DEFAULT_SAMPLER", "DEFAULT_TARGET_ACCEPT", "SAMPLERS", "compiled_sampler", "sample"]

DEFAULT_TARGET_ACCEPT = 0.9
SamplerName = Literal["numpyro", "nutpie", "pymc"]
SAMPLERS: tuple[SamplerName, ...] = ("numpyro", "nutpie", "pymc")
DEFAULT_SAMPLER: SamplerName = "numpyro"

# Before anything starts JAX, so that NumPyro's chains can run in parallel.
jax_nuts.enable_parallel_chains()

# nutpie's names for the sample statistics that PyMC also records, and PyMC's names for them:
# renamed so that code reading a fit need not know which sampler drew it.
_NUTPIE_STAT_NAMES = {
    "depth": "tree_depth",
    "maxdepth_reached": "reached_max_treedepth",
    "logp": "lp",
    "mean_tree_accept": "acceptance_rate",
}

_log = logging.getLogger(__name__)
# One compiled nutpie model per PyMC model object, dropped with the model.
_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

# Priors whose spread stays within these bounds are sampled as written. All three samplers
# start each chain within +-1 of the prior's centre on the unconstrained scale and adapt their
# mass matrix from 1 (NumPyro and Stan also add a fixed 1e-3 * 5 / (n + 5) to every adapted
# variance), so a parameter whose posterior spread is far from 1 (an outcome measured near
# 1e-9 or 1e9) is adapted to a scale that is wrong by orders of magnitude and never mixes.
_SCALE_BOUNDS = (0.05, 1e3)
# Location-scale families: their last parameter is the scale.
_LOCATION_SCALE_OPS = {"NormalRV", "StudentTRV", "CauchyRV", "LaplaceRV", "LogisticRV", "GumbelRV"}
_PRIOR_DRAWS = 500


def _check_arguments(model, **arguments) -> dict:
    """The arguments of :func:`sample`, checked up front: a WorkbookInputError names the first
    that is not what it should be; the counts come back as ints."""
    if not isinstance(model, pm.Model):
        raise WorkbookInputError(
            f"model must be a PyMC model (pymc.Model, e.g. from hbm.build_model), "
            f"got {type(model).__name__}"
        )
    checked = dict(arguments)
    checked["random_seed"] = check_whole_number("random_seed", arguments["random_seed"])
    for name, low in (("draws", 1), ("tune", 0), ("chains", 1)):
        checked[name] = check_whole_number(name, arguments[name], low=low)
    checked["target_accept"] = check_number(
        "target_accept", arguments["target_accept"], above=0, below=1
    )
    for name in ("log_likelihood", "progressbar"):
        if not isinstance(arguments[name], bool):
            raise WorkbookInputError(f"{name} must be True or False, got {arguments[name]!r}")
    sampler = arguments["sampler"]
    if sampler is not None and (not isinstance(sampler, str) or sampler not in SAMPLERS):
        raise WorkbookInputError(f"unknown sampler {sampler!r}; expected one of {SAMPLERS}")
    if arguments["cores"] is not None:
        checked["cores"] = check_whole_number("cores", arguments["cores"], low=1)
    return checked


class _Rescaled(Transform):
    """``x = centre + spread * u``: a parameter sampled in units of its prior's spread."""

    name = "rescaled"
    ndim_supp = 0

    def __init__(self, centre: float, spread: float) -> None:
        self.centre, self.spread = centre, spread

    def forward(self, value, *inputs):
        return (value - self.centre) / self.spread

    def backward(self, value, *inputs):
        return self.centre + self.spread * value

    def log_jac_det(self, value, *inputs):
        return pt.zeros_like(value) + np.log(self.spread)


def _constant_scale(rv) -> np.ndarray | None:
    """The scale parameter of a location-scale prior when it is a constant or data, else None."""
    if type(rv.owner.op).__name__ not in _LOCATION_SCALE_OPS:
        return None
    scale = rv.owner.inputs[-1]
    if isinstance(scale, Constant):
        return np.asarray(scale.data, dtype=float)
    if isinstance(scale, SharedVariable):
        return np.asarray(scale.get_value(), dtype=float)
    return None


def _well_scaled(model: pm.Model) -> pm.Model:
    """``model``, or a copy sampled in units of each prior's spread when a spread is extreme.

    The copy differs only in the transform of the parameters sampled without one (normal and
    other location-scale priors): each is sampled as ``(x - centre) / spread``, the centre and
    spread of 500 draws from its prior, a linear change of variables that leaves the posterior
    unchanged. As the workbook's default priors are scaled to the data, the sampler then meets
    the same problem whatever the outcome's units (1e-9 or 1e9). Models whose known prior
    spreads lie within ``_SCALE_BOUNDS`` (every chapter's) are sampled as written, so their
    draws stay what they were. The copy is made afresh on every call, so that it holds the
    model's current data; nutpie then compiles it every time too.
    """
    low, high = _SCALE_BOUNDS
    plain = [
        rv
        for rv in model.free_RVs
        if model.rvs_to_transforms.get(rv) is None and rv.dtype.startswith("float")
    ]
    spreads = [_constant_scale(rv) for rv in plain]
    if not any(s is not None and ((s < low) | (s > high)).any() for s in spreads):
        return model
    try:
        draws = pm.draw(plain, draws=_PRIOR_DRAWS, random_seed=0)
    except (NotImplementedError, ValueError, TypeError) as error:
        # A prior that cannot be drawn from (Flat): sampled as written.
        _log.info("priors cannot be drawn from (%s): sampling without rescaling", error)
        return model
    transforms = {}
    for rv, values in zip(plain, draws, strict=True):
        spread = float(np.std(values))
        if np.isfinite(spread) and spread > 0 and not low <= spread <= high:
            transforms[rv.name] = _Rescaled(float(np.mean(values)), spread)
    return change_value_transforms(model, transforms) if transforms else model


def _nutpie_available() -> bool:
    try:
        import nutpie  # noqa: F401
    except ImportError:
        return False
    return True


def _numpyro_unusable(model: pm.Model) -> str | None:
    """Why NumPyro cannot sample ``model``, or None if it can."""
    if not jax_nuts.available():
        return "JAX and NumPyro are not installed"
    if model.discrete_value_vars:
        names = ", ".join(var.name for var in model.discrete_value_vars)
        return f"NUTS cannot sample the discrete parameters ({names})"
    return None


def _data_values(model: pm.Model) -> dict[str, np.ndarray]:
    """The current values of a model's data containers, by name."""
    return {var.name: var.get_value() for var in model.data_vars}


def compiled_sampler(model: pm.Model):
    """nutpie's compiled form of ``model``, compiled on first use and then reused.

    The compiled model keeps the data containers as inputs (``freeze_model=False``), so
    :func:`sample` hands it their current values on every call, by name, through nutpie's
    ``with_data``: ``pm.set_data`` followed by :func:`sample` refits without compiling again.
    A change to the model's structure or priors needs a new model (and so a new compilation).
    """
    compiled = _COMPILED.get(model)
    if compiled is None:
        import nutpie

        with warnings.catch_warnings():
            # nutpie warns that data containers stay mutable: that is what is wanted here.
            warnings.simplefilter("ignore", UserWarning)
            compiled = nutpie.compile_pymc_model(model, backend="numba", freeze_model=False)
        _COMPILED[model] = compiled
    return compiled


def _observed_and_constant(model: pm.Model, idata: xr.DataTree) -> None:
    """Add the observed data and data containers, as ``pm.sample`` would."""
    from pymc.backends.arviz import (
        coords_and_dims_for_inferencedata,
        find_constants,
        find_observations,
    )

    coords, dims = coords_and_dims_for_inferencedata(model)
    for group, values in (
        ("observed_data", find_observations(model)),
        ("constant_data", find_constants(model)),
    ):
        if values and group not in idata.children:
            dataset = dict_to_dataset(
                values, inference_library=pm, coords=coords, dims=dims, sample_dims=[]
            )
            idata[group] = xr.DataTree(dataset)


def _return_freed_memory() -> None:
    """Hand the memory a fit freed back to the operating system (glibc only).

    glibc keeps freed blocks for reuse, and after JAX's and PyTensor's compilations they are
    scattered enough that a chapter fitting many models grows by hundreds of megabytes it no
    longer uses; ``malloc_trim`` releases them (chapter 05's peak: 1.57 GB without, 1.33 GB
    with).
    """
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # another C library (macOS, Windows, musl), which manages this itself


def _log_fit(idata: xr.DataTree, settings: dict, seconds: float) -> None:
    """Append the fit's health to the JSON-lines file named by ``HBM_FIT_LOG``, if set.

    The chapter benchmark sets it to audit every fit a chapter makes (R-hat, bulk ESS and
    divergences over every posterior variable), without the chapters recording anything.
    """
    path = os.environ.get("HBM_FIT_LOG")
    if not path:
        return
    # The audit's own time is logged too, so that the benchmark can leave it out of the
    # chapter's: over every variable of a large posterior it takes seconds a fit.
    started = time.perf_counter()
    from arviz_stats import ess, rhat

    # Entries that never vary (LKJCorr's fixed zeros and ones) get NaN, which max/min skip.
    with np.errstate(invalid="ignore", divide="ignore"):
        rhat_values = rhat(idata.posterior)
        ess_values = ess(idata.posterior, method="bulk")
    per_var = {
        name: {
            "max_rhat": float(rhat_values[name].max()),
            "min_ess_bulk": float(ess_values[name].min()),
        }
        for name in idata.posterior.data_vars
    }
    worst_rhat = max(per_var, key=lambda n: per_var[n]["max_rhat"])
    worst_ess = min(per_var, key=lambda n: per_var[n]["min_ess_bulk"])
    record = {
        **settings,
        "seconds": round(seconds, 2),
        "variables": sorted(per_var),
        "max_rhat": per_var[worst_rhat]["max_rhat"],
        "max_rhat_variable": worst_rhat,
        "min_ess_bulk": per_var[worst_ess]["min_ess_bulk"],
        "min_ess_variable": worst_ess,
        "divergences": int(idata.sample_stats["diverging"].sum()),
    }
    record["audit_seconds"] = round(time.perf_counter() - started, 2)
    with open(path, "a") as log:
        log.write(json.dumps(record) + "\n")


def _sample_nutpie(model, *, random_seed, draws, tune, chains, cores, target_accept, progressbar):
    import nutpie

    compiled = compiled_sampler(model)
    # nutpie keeps its own copy of each data container's value, taken at compilation, under
    # an internal key; ``with_data`` takes new values by the containers' names. Only the
    # containers the compiled functions read can be set (an unused one is not an input).
    inputs = {var.name for var in compiled.shared_var_keys}
    current = {k: v for k, v in _data_values(model).items() if k in inputs}
    if current:
        compiled = compiled.with_data(**current)
    idata = nutpie.sample(
        compiled,
        draws=draws,
        tune=tune,
        chains=chains,
        cores=cores,
        seed=random_seed,
        target_accept=target_accept,
        progress_bar=progressbar,
        save_warmup=False,
    )
    stats = idata["sample_stats"].to_dataset()
    renamed = {k: v for k, v in _NUTPIE_STAT_NAMES.items() if k in stats.data_vars}
    idata["sample_stats"] = xr.DataTree(stats.rename_vars(renamed))
    return idata


def sample(
    model: pm.Model,
    *,
    random_seed: int,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    target_accept: float = DEFAULT_TARGET_ACCEPT,
    log_likelihood: bool = False,
    progressbar: bool = False,
    sampler: SamplerName | None = None,
    cores: int | None = None,
) -> xr.DataTree:
    """Draw from a model's posterior with NUTS, seeded.

    Parameters
    ----------
    model : pymc.Model
    random_seed : int
        Required, a whole number >= 0: every fit in the workbook is reproducible.
    draws, tune, chains : int
        Kept draws per chain, tuning steps per chain, and number of chains.
    target_accept : float
        NUTS's target acceptance; 0.9 trades a little speed for fewer divergences.
    log_likelihood : bool
        Store pointwise log-likelihood, needed for LOO and WAIC.
    progressbar : bool
    sampler : {"numpyro", "nutpie", "pymc"}, optional
        The NUTS implementation; ``None`` uses :data:`DEFAULT_SAMPLER` (NumPyro). ``"nutpie"``
        compiles the model once and reuses the compilation on later calls with the same model
        object (after ``pm.set_data``). If the chosen library is not installed, or NumPyro
        cannot sample the model, PyMC's sampler is used instead and a message says so.
    cores : int, optional
        Chains run at once; ``None`` uses up to one per chain on this machine's cores.

    Returns
    -------
    xarray.DataTree
        Groups ``posterior``, ``sample_stats``, ``observed_data`` and ``constant_data`` (and
        ``log_likelihood`` when asked for), whichever sampler drew it.

    Examples
    --------
    >>> import hbm_widgets as hbm
    >>> data = hbm.GroupedData.from_frame(hbm.load_radon(), group="county",
    ...                                   outcome="log_radon", predictor="floor")
    >>> model = hbm.build_model(hbm.ModelSpec(pooling="partial"), data)
    >>> idata = hbm.sample(model, random_seed=1, sampler="nutpie")  # doctest: +SKIP
    """
    checked = _check_arguments(
        model,
        random_seed=random_seed,
        draws=draws,
        tune=tune,
        chains=chains,
        target_accept=target_accept,
        log_likelihood=log_likelihood,
        progressbar=progressbar,
        sampler=sampler,
        cores=cores,
    )
    random_seed, draws, tune = checked["random_seed"], checked["draws"], checked["tune"]
    chains = checked["chains"]
    target_accept, cores = checked["target_accept"], checked["cores"]
    sampler = DEFAULT_SAMPLER if sampler is None else sampler
    if cores is None:
        cores = max(1, min(chains, os.cpu_count() or 1))
    if sampler == "nutpie" and not _nutpie_available():
        _log.warning("nutpie is not installed: sampling with PyMC's NUTS instead")
        sampler = "pymc"
    if sampler == "numpyro":
        reason = _numpyro_unusable(model)
        if reason:
            _log.warning("%s: sampling with PyMC's NUTS instead", reason)
            sampler = "pymc"

    started = time.perf_counter()
    # The model the sampler sees: the same posterior, rescaled when a prior's spread is extreme.
    sampled_model = _well_scaled(model)
    if sampler == "numpyro":
        try:
            idata = jax_nuts.sample_numpyro(
                sampled_model,
                random_seed=random_seed,
                draws=draws,
                tune=tune,
                chains=chains,
                target_accept=target_accept,
                parallel=cores > 1,
                progressbar=progressbar,
            )
        except NotImplementedError as error:
            # An operation with no JAX version: PyMC's sampler compiles it to C instead.
            _log.warning("JAX cannot compile this model (%s): sampling with PyMC's NUTS", error)
            sampler = "pymc"
    if sampler == "nutpie":
        idata = _sample_nutpie(
            sampled_model,
            random_seed=random_seed,
            draws=draws,
            tune=tune,
            chains=chains,
            cores=cores,
            target_accept=target_accept,
            progressbar=progressbar,
        )
    if sampler == "pymc":
        with sampled_model:
            # Named: left to itself, pm.sample picks nutpie whenever it is installed.
            idata = pm.sample(
                nuts_sampler="pymc",
                draws=draws,
                tune=tune,
                chains=chains,
                cores=cores,
                target_accept=target_accept,
                random_seed=random_seed,
                progressbar=progressbar,
                compute_convergence_checks=False,
            )
    else:
        # What pm.sample adds itself: the observed data and the data containers.
        _observed_and_constant(model, idata)
    if log_likelihood:
        add_log_likelihood(idata, model)
    settings = {
        "sampler": sampler,
        "draws": draws,
        "tune": tune,
        "chains": chains,
        "target_accept": target_accept,
    }
    _log_fit(idata, settings, time.perf_counter() - started)
    _return_freed_memory()
    return idata
