"""K-fold cross-validation of model specs on grouped data.

Each observation is held out once. Folds are stratified by group: a group's observations are
dealt round the folds in turn (from a random fold, seeded), so a group with at least two
observations always keeps some of them in the training set, and a group with a single
observation is, in its one test fold, a group the model has never seen. Every spec is fitted
on the training part of each fold and predicts the held-out outcomes with the posterior mean
of ``alpha_j + beta_j * x`` (see :func:`hbm_widgets.core.predictions.expected_outcome`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hbm_widgets.core.build import build_model
from hbm_widgets.core.data import GroupedData
from hbm_widgets.core.errors import WorkbookInputError
from hbm_widgets.core.predictions import expected_outcome
from hbm_widgets.core.sampling import DEFAULT_TARGET_ACCEPT, sample
from hbm_widgets.core.spec import ModelSpec, check_compatible

__all__ = ["CrossValidation", "cross_validate", "stratified_folds", "training_data"]


def stratified_folds(data: GroupedData, k: int, *, random_seed: int) -> np.ndarray:
    """The fold (0 to k-1) of each observation, balanced within every group.

    Within a group, observations are shuffled and then dealt to folds ``s, s+1, ...``
    (modulo ``k``) from a random start ``s``, so each group's observations are spread over
    as many folds as it has observations (up to ``k``) and fold sizes stay close.

    Examples
    --------
    >>> from hbm_widgets import load_radon
    >>> data = GroupedData.from_frame(load_radon(), group="county", outcome="log_radon")
    >>> folds = stratified_folds(data, 5, random_seed=1)
    >>> sorted(set(folds.tolist()))
    [0, 1, 2, 3, 4]
    """
    if not isinstance(data, GroupedData):
        raise WorkbookInputError(f"expected GroupedData, got {type(data).__name__}")
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 2:
        raise WorkbookInputError(f"k must be a whole number of folds >= 2, got {k!r}")
    if k > data.n_obs:
        raise WorkbookInputError(f"k={k} folds is more than the {data.n_obs} observations")
    rng = np.random.default_rng(random_seed)
    folds = np.empty(data.n_obs, dtype=int)
    # A running offset keeps fold sizes even across groups of sizes not divisible by k.
    offset = int(rng.integers(k))
    for group in range(data.n_groups):
        members = rng.permutation(np.flatnonzero(data.group_idx == group))
        folds[members] = (offset + np.arange(members.size)) % k
        offset = (offset + members.size) % k
    return folds


def training_data(data: GroupedData, keep) -> GroupedData:
    """The observations selected by the boolean mask ``keep``, re-validated as GroupedData."""
    if data.frame is None:
        raise WorkbookInputError("these data carry no frame to split; build them with from_frame")
    keep = np.asarray(keep, dtype=bool)
    return GroupedData.from_frame(
        data.frame.loc[keep],
        group=data.group_name,
        outcome=data.outcome_name,
        predictor=data.predictor_name,
        group_predictor=data.group_predictor_name,
    )


@dataclass(frozen=True)
class CrossValidation:
    """Held-out predictions of every spec.

    Attributes
    ----------
    predictions : DataFrame
        One row per observation and model: ``model``, ``fold``, ``obs_id``, the group,
        ``seen_group`` (whether the group had training data in that fold), ``observed``,
        ``predicted`` and ``squared_error``.
    seconds : dict of str to float
        Time spent fitting each model over all folds.
    k : int
    """

    predictions: pd.DataFrame
    seconds: dict
    k: int

    def summary(self) -> pd.DataFrame:
        """RMSE per model over all held-out observations, with the standard error of each
        model's mean squared error difference from the best model (paired by observation).
        """
        p = self.predictions
        mse = p.groupby("model", sort=False)["squared_error"].mean()
        best = mse.idxmin()
        wide = p.pivot(index="obs_id", columns="model", values="squared_error")
        rows = []
        for model in mse.index:
            diff = wide[model] - wide[best]
            rows.append(
                {
                    "model": model,
                    "rmse": float(np.sqrt(mse[model])),
                    "mse": float(mse[model]),
                    "mse_minus_best": float(diff.mean()),
                    "se_of_difference": float(diff.std(ddof=1) / np.sqrt(diff.size)),
                    "seconds": float(self.seconds[model]),
                }
            )
        return pd.DataFrame(rows).sort_values("rmse").reset_index(drop=True)

    def by_fold(self) -> pd.DataFrame:
        """RMSE of every model in every fold (columns ``model``, ``fold``, ``n``, ``rmse``)."""
        grouped = self.predictions.groupby(["model", "fold"], sort=False)["squared_error"]
        table = grouped.agg(n="size", mse="mean").reset_index()
        table["rmse"] = np.sqrt(table.pop("mse"))
        return table


def _default_fit(draws: int, tune: int, chains: int, target_accept: float):
    def fit(spec: ModelSpec, data: GroupedData, random_seed: int):
        model = build_model(spec, data)
        return sample(
            model,
            random_seed=random_seed,
            draws=draws,
            tune=tune,
            chains=chains,
            target_accept=target_accept,
        )

    return fit


def cross_validate(
    specs: Mapping[str, ModelSpec],
    data: GroupedData,
    *,
    k: int = 5,
    random_seed: int,
    draws: int = 500,
    tune: int = 500,
    chains: int = 2,
    target_accept: float = DEFAULT_TARGET_ACCEPT,
    fit: Callable | None = None,
) -> CrossValidation:
    """K-fold cross-validation of several specs on the same stratified folds.

    Parameters
    ----------
    specs : mapping of str to ModelSpec
        The models to compare, keyed by the label the results use.
    data : GroupedData
    k : int
        Number of folds.
    random_seed : int
        Seeds the folds and, fold by fold, the sampler.
    draws, tune, chains, target_accept
        Passed to :func:`hbm_widgets.sample` for each of the ``k * len(specs)`` fits.
    fit : callable, optional
        ``fit(spec, training_data, random_seed) -> xarray.DataTree``; by default
        ``build_model`` followed by :func:`hbm_widgets.sample` with the settings above.

    Returns
    -------
    CrossValidation
    """
    if not isinstance(specs, Mapping) or not specs:
        raise WorkbookInputError("specs must be a non-empty mapping of labels to ModelSpec")
    for label, spec in specs.items():
        if not isinstance(spec, ModelSpec):
            raise WorkbookInputError(f"specs[{label!r}] must be a ModelSpec, got {spec!r}")
        check_compatible(spec, data)
    folds = stratified_folds(data, k, random_seed=random_seed)
    fit = fit or _default_fit(draws, tune, chains, target_accept)
    seeds = np.random.SeedSequence(random_seed).generate_state(k * len(specs))
    groups = data.group_names[data.group_idx]
    u_by_obs = data.group_predictor[data.group_idx] if data.group_predictor is not None else None

    rows = []
    seconds = dict.fromkeys(specs, 0.0)
    for fold in range(k):
        test = folds == fold
        train = training_data(data, ~test)
        seen = np.isin(groups[test], train.group_names)
        for m, (label, spec) in enumerate(specs.items()):
            start = time.perf_counter()
            idata = fit(spec, train, int(seeds[fold * len(specs) + m]))
            seconds[label] += time.perf_counter() - start
            predicted = expected_outcome(
                idata,
                spec,
                train,
                groups=groups[test],
                predictor=None if data.predictor is None else data.predictor[test],
                group_predictor=None if u_by_obs is None else u_by_obs[test],
            )
            observed = data.outcome[test]
            rows.append(
                pd.DataFrame(
                    {
                        "model": label,
                        "fold": fold,
                        "obs_id": np.flatnonzero(test),
                        data.group_name: groups[test],
                        "seen_group": seen,
                        "observed": observed,
                        "predicted": predicted,
                        "squared_error": (observed - predicted) ** 2,
                    }
                )
            )
    return CrossValidation(predictions=pd.concat(rows, ignore_index=True), seconds=seconds, k=k)
