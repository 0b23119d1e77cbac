"""A grouped data set's columns: the names a model gives them, and whether the outcome suits
a normal model. Used by :mod:`hbm_widgets.core.data` and the modules reading a fit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

# Used by other core modules only; nothing here is re-exported.
__all__: list[str] = []

# The outcome distributions ``family`` may name; None checks that a normal model suits.
FAMILIES = (None, "gaussian")
# An outcome of non-negative whole numbers with zeros looks like counts when zeros make up
# at least this share of it, or it has at most this many distinct values.
COUNT_ZERO_SHARE = 0.1
COUNT_MAX_DISTINCT = 10

# Names a model built from grouped data gives its own variables, dims and data containers
# (see hbm_widgets.core.build), and the dims of a fit's draws: a column is never given one.
_COEFFICIENTS = ("alpha", "beta")
INTERNAL_NAMES = frozenset(
    {
        *_COEFFICIENTS,
        *(f"{kind}_{c}" for kind in ("mu", "sigma", "gamma", "z") for c in _COEFFICIENTS),
        "sigma",
        "nu",
        "corr",
        "rho",
        "obs_id",
        "chain",
        "draw",
        "sample",
    }
)


# A prior's data container: prior_<role>_<parameter> (see build.prior_data_name).
_PRIOR_DATA_NAME = re.compile(r"prior_\w+_(mu|sigma|nu|alpha|beta|lower|upper|lam|eta)")


@dataclass(frozen=True)
class ModelNames:
    """What a model calls the things it makes from the data's columns.

    Each is named after its column (the group dim ``county``, its index ``county_idx``, the
    outcome ``log_radon``) unless that name is taken: by a name the model uses itself
    (:data:`INTERNAL_NAMES`, a prior's data container ``prior_<role>_<parameter>``, PyMC's
    transformed ``..._log__``) or by a name given before it (in the order of the fields
    below). A taken name gets ``_`` and the column's role appended until it is free (a group
    column ``sigma`` gives the dim ``sigma_group`` and the index ``sigma_group_idx``; an
    outcome ``alpha`` the variable ``alpha_outcome``).
    Tables and charts keep the columns' own names.
    """

    group_dim: str
    group_index: str
    outcome: str
    outcome_observed: str
    predictor: str | None
    group_predictor: str | None


def _taken(name: str, given: set[str]) -> bool:
    return (
        name in INTERNAL_NAMES
        or name in given
        or _PRIOR_DATA_NAME.fullmatch(name) is not None
        or name.endswith("__")
    )


def model_names(
    *, group: str, outcome: str, predictor: str | None, group_predictor: str | None
) -> ModelNames:
    """The model's names for a grouped data set's columns (see :class:`ModelNames`)."""
    given: set[str] = set()

    def claim(name: str, role: str) -> str:
        while _taken(name, given):
            name = f"{name}_{role}"
        given.add(name)
        return name

    group_dim = claim(str(group), "group")
    group_index = claim(f"{group_dim}_idx", "group")
    outcome = claim(str(outcome), "outcome")
    outcome_observed = claim(f"{outcome}_observed", "outcome")
    predictor_name = None if predictor is None else claim(str(predictor), "predictor")
    group_predictor_name = (
        None if group_predictor is None else claim(str(group_predictor), "group_predictor")
    )
    return ModelNames(
        group_dim=group_dim,
        group_index=group_index,
        outcome=outcome,
        outcome_observed=outcome_observed,
        predictor=predictor_name,
        group_predictor=group_predictor_name,
    )


def one_line(error: Exception) -> str:
    return " ".join(str(error).split())


def repeated_names(columns) -> str:
    """The column names given more than once, quoted and comma-separated ('' if none)."""
    counts = pd.Series([str(c) for c in columns]).value_counts(sort=False)
    return ", ".join(repr(name) for name in counts[counts > 1].index)


def outcome_family_problem(outcome: np.ndarray, name: str) -> str | None:
    """Why a normal model does not suit ``outcome``, or None when it does.

    Refused: an outcome holding only 0 and 1 (a Bernoulli outcome), and one that looks like
    counts: non-negative whole numbers including zeros, with zeros making up at least
    :data:`COUNT_ZERO_SHARE` of the values or at most :data:`COUNT_MAX_DISTINCT` distinct
    values. Whole-number scores without zeros (ratings from 1, the shipped data sets) or
    with many distinct values and few zeros (exam marks 0-100) pass.
    """
    values = np.asarray(outcome, dtype=float)
    distinct = np.unique(values)
    if set(distinct.tolist()) == {0.0, 1.0}:
        return (
            f"outcome {name!r} holds only 0 and 1: a normal model would predict values "
            "outside them; it needs a Bernoulli (logistic) model, which the workbook's "
            "grouped models do not fit; set family to 'gaussian' to fit a normal model anyway"
        )
    whole = bool(np.all(values >= 0) and np.all(values == np.round(values)))
    zero_share = float(np.mean(values == 0))
    if (
        whole
        and zero_share > 0
        and (zero_share >= COUNT_ZERO_SHARE or len(distinct) <= COUNT_MAX_DISTINCT)
    ):
        return (
            f"outcome {name!r} looks like counts (whole numbers from 0 to {distinct[-1]:g}, "
            f"{zero_share:.0%} zeros, {len(distinct)} distinct values): it needs a Poisson or "
            "negative binomial model, which the workbook's grouped models do not fit; set "
            "family to 'gaussian' to fit a normal model anyway"
        )
    return None
