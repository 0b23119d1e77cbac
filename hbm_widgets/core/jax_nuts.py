"""NumPyro's NUTS on a PyMC model, with JAX compiling the whole sampler once per call.

PyMC's ``pm.sample(nuts_sampler="numpyro")`` spends most of a small model's first call on
work done one JAX operation at a time (each one compiled on its own): checking the jittered
starting points and setting up each chain. Here the starting points come from PyMC's own
initial-point functions, NumPyro compiles the log density and the sampler together, the
chains run side by side on the machine's cores, and the deterministic variables are computed
from the draws in one compiled pass. On the radon LKJ model, with filled compile caches, a
first call takes 5 s, against 10 s through ``pm.sample(nuts_sampler="numpyro")`` and 11 s
for PyMC's own sampler (``benchmarks/samplers.py``).

The data are compiled in as constants, so a new model or new data compiles again (a few
seconds); fits that change only the data many times over (a widget, a simulation study) use
nutpie, whose compiled sampler takes new data without compiling. What JAX compiles is kept on
disk (:func:`compile_cache_directory`), as PyTensor keeps its compiled C code, so a chapter run
a second time skips those seconds: the radon LKJ fit's first call falls from 17 s to 5.
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path

import numpy as np
import pymc as pm
import xarray as xr
from arviz_base import from_dict

# Used by the sampling entry point only; nothing here is re-exported.
__all__: list[str] = []

_log = logging.getLogger(__name__)

# Chains run in parallel on JAX devices, one chain per device, and a CPU is one device unless
# XLA is told before it starts to split it. Four matches the workbook's four chains.
_HOST_DEVICES = max(4, os.cpu_count() or 1)
_DEVICE_FLAG = "--xla_force_host_platform_device_count"

# NumPyro's names for the sample statistics, and PyMC's.
_STATS = {
    "diverging": "diverging",
    "energy": "energy",
    "adapt_state.step_size": "step_size",
    "accept_prob": "acceptance_rate",
    "num_steps": "n_steps",
}
_MAX_TREE_DEPTH = 10

# Set to a directory to keep JAX's compiled samplers there, or to "off" to keep none.
CACHE_VARIABLE = "HBM_COMPILE_CACHE"
# The oldest entries go first beyond this size; one radon sampler takes about 0.4 MB.
_CACHE_BYTES = 256 * 2**20


def enable_parallel_chains() -> None:
    """Ask XLA for one CPU device per chain; without effect once JAX has started."""
    flags = os.environ.get("XLA_FLAGS", "")
    if _DEVICE_FLAG not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} {_DEVICE_FLAG}={_HOST_DEVICES}".strip()


def compile_cache_directory() -> Path | None:
    """Where JAX's compiled samplers are kept between Python processes, or None for nowhere.

    ``$HBM_COMPILE_CACHE`` when set ("off" keeps none), else ``hbm-workbook/jax`` in the
    user's cache folder (``$XDG_CACHE_HOME``, by default ``~/.cache``). JAX writes there only
    compilations that took a second or more, and drops the least recently used entries
    beyond 256 MB.
    """
    setting = os.environ.get(CACHE_VARIABLE, "").strip()
    if setting.lower() == "off":
        return None
    if setting:
        return Path(setting).expanduser()
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "hbm-workbook" / "jax"


@functools.cache
def _use_compile_cache() -> None:
    """Point JAX's persistent compilation cache at :func:`compile_cache_directory`, unless
    it already points somewhere (a user's own ``JAX_COMPILATION_CACHE_DIR`` wins); once per
    process, at the first fit."""
    import jax

    directory = compile_cache_directory()
    if directory is None or jax.config.jax_compilation_cache_dir is not None:
        return
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        # Sampling works without the cache; it only compiles again next time.
        _log.info("compiled samplers are not kept: cannot create %s (%s)", directory, error)
        return
    jax.config.update("jax_compilation_cache_dir", str(directory))
    jax.config.update("jax_compilation_cache_max_size", _CACHE_BYTES)


def available() -> bool:
    """Whether JAX and NumPyro can be imported."""
    try:
        import jax  # noqa: F401
        import numpyro  # noqa: F401
    except ImportError:
        return False
    return True


def _starting_points(model: pm.Model, chains: int, seeds: list[int]) -> list[np.ndarray]:
    """PyMC's jittered starting points (uniform(-1, 1) on the unconstrained scale), stacked
    by variable with chains first, as NumPyro takes them."""
    from pymc.initial_point import make_initial_point_fns_per_chain

    functions = make_initial_point_fns_per_chain(
        model=model, overrides=None, jitter_rvs=set(model.free_RVs), chains=chains
    )
    points = [function(seed) for function, seed in zip(functions, seeds, strict=True)]
    return [np.stack([point[var.name] for point in points]) for var in model.value_vars]


def sample_numpyro(
    model: pm.Model,
    *,
    random_seed: int,
    draws: int,
    tune: int,
    chains: int,
    target_accept: float,
    parallel: bool,
    progressbar: bool,
) -> xr.DataTree:
    """NUTS draws from ``model``'s posterior: posterior and sample stats (PyMC's names)."""
    import jax
    from numpyro.infer import MCMC, NUTS
    from pymc.backends.arviz import coords_and_dims_for_inferencedata
    from pymc.sampling.jax import get_jaxified_graph, get_jaxified_logp
    from pymc.util import get_default_varnames

    _use_compile_cache()
    # PyMC's flag name reads backwards: with negative_logp=False it returns -logp, which is
    # NumPyro's potential energy.
    # Jitted as a whole: a single chain's (or sequential chains') set-up evaluates it outside
    # the compiled sampler, where JAX would otherwise compile each of its operations on its own.
    potential = jax.jit(get_jaxified_logp(model, negative_logp=False))
    seeds = [int(s) for s in np.random.default_rng(random_seed).integers(2**31, size=chains + 1)]
    start = _starting_points(model, chains, seeds[:chains])
    if chains == 1:
        start = [value[0] for value in start]
    chain_method = "parallel" if parallel and jax.local_device_count() >= chains else "sequential"
    mcmc = MCMC(
        NUTS(potential_fn=potential, target_accept_prob=target_accept),
        num_warmup=tune,
        num_samples=draws,
        num_chains=chains,
        chain_method=chain_method,
        progress_bar=progressbar,
    )
    key = jax.random.PRNGKey(seeds[-1])
    mcmc.run(
        jax.random.split(key, chains) if chains > 1 else key,
        init_params=start,
        extra_fields=(*_STATS, "potential_energy"),
    )
    raw = mcmc.get_samples(group_by_chain=True)

    # The model's own variables (constrained, with deterministics) from the unconstrained draws.
    outputs = list(get_default_varnames(model.unobserved_value_vars, include_transformed=False))
    to_model_scale = get_jaxified_graph(inputs=model.value_vars, outputs=outputs)
    values = jax.jit(lambda draws: jax.vmap(jax.vmap(to_model_scale))(*draws))(raw)
    posterior = {var.name: np.asarray(value) for var, value in zip(outputs, values, strict=True)}

    extra = mcmc.get_extra_fields(group_by_chain=True)
    # The data are compiled in, so nothing compiled here serves a later fit: dropping JAX's
    # caches keeps a chapter that fits many models (cross-validation) from growing by tens of
    # megabytes per fit.
    jax.clear_caches()
    stats = {name: np.asarray(extra[key]) for key, name in _STATS.items()}
    stats["lp"] = -np.asarray(extra["potential_energy"])
    stats["tree_depth"] = np.log2(stats["n_steps"]).astype(int) + 1
    stats["reached_max_treedepth"] = stats["tree_depth"] > _MAX_TREE_DEPTH
    coords, dims = coords_and_dims_for_inferencedata(model)
    attrs = {"sampler": "numpyro", "tuning_steps": tune}
    return from_dict(
        {"posterior": posterior, "sample_stats": stats},
        coords=coords,
        dims={name: d for name, d in dims.items() if name in posterior},
        attrs={"posterior": attrs, "sample_stats": attrs},
    )
