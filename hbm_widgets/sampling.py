"""The one place that decides how the workbook samples a model.

Chapters, widgets and reports call :func:`sample` rather than ``pm.sample`` so that sampler,
chains, cores, seeding and progress display are chosen once, for all of them.
"""

from __future__ import annotations

import os
from typing import Literal

import arviz as az
import pymc as pm

from hbm_widgets.errors import WorkbookInputError

__all__ = ["DEFAULT_TARGET_ACCEPT", "sample"]

DEFAULT_TARGET_ACCEPT = 0.9


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
    sampler: Literal["pymc"] = "pymc",
) -> az.InferenceData:
    """Draw from a model's posterior with NUTS, seeded.

    Parameters
    ----------
    model : pymc.Model
    random_seed : int
        Required: every fit in the workbook is reproducible.
    draws, tune, chains : int
        Kept draws per chain, tuning steps per chain, and number of chains (run on up to as
        many cores as the machine has).
    target_accept : float
        NUTS's target acceptance; 0.9 trades a little speed for fewer divergences.
    log_likelihood : bool
        Store pointwise log-likelihood, needed for LOO and WAIC.
    progressbar : bool
    sampler : {"pymc"}
        The NUTS implementation.

    Returns
    -------
    arviz.InferenceData
    """
    for name, value, low in (("draws", draws, 1), ("tune", tune, 0), ("chains", chains, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise WorkbookInputError(f"{name} must be a whole number >= {low}, got {value!r}")
    if not 0 < target_accept < 1:
        raise WorkbookInputError(f"target_accept must be between 0 and 1, got {target_accept!r}")
    if sampler != "pymc":
        raise WorkbookInputError(f"unknown sampler {sampler!r}; expected 'pymc'")
    cores = max(1, min(chains, os.cpu_count() or 1))
    with model:
        return pm.sample(
            draws=draws,
            tune=tune,
            chains=chains,
            cores=cores,
            target_accept=target_accept,
            random_seed=random_seed,
            progressbar=progressbar,
            idata_kwargs={"log_likelihood": log_likelihood},
            compute_convergence_checks=False,
        )
