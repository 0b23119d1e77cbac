"""Leave-one-group-out cross-validation of a :class:`~hbm_widgets.models.formula.FormulaFit`.

Leave-one-out (PSIS-LOO) asks how well a model predicts a row it has not seen, when the
row's group has been seen; leave-one-group-out asks how well it predicts a whole group it
has not seen, the question a model of groups is usually for. The pointwise log-likelihood
is summed within each group of the first grouping factor, each group's sum being the
log-likelihood of its rows together, and ArviZ's PSIS-LOO is run over those sums: one
"observation" per group. With few groups the importance weights of a left-out group are
often heavy-tailed (Pareto k above 0.7), and the estimate for those groups is unreliable.
When only a few groups are (at most :data:`MAX_REFITS`), each is settled exactly, as
ArviZ's ``reloo`` does for rows: the model is sampled again without the group's rows and
the group's log predictive density computed from those draws. With more, the result says
which groups are unreliable. Nothing here is re-exported by the package.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr
from pymc.model.fgraph import clone_model

from hbm_widgets.core.errors import WorkbookInputError, check_whole_number
from hbm_widgets.core.sampling import DEFAULT_TARGET_ACCEPT, sample
from hbm_widgets.models.formula_summaries import _level_labels

# Used by the formula report, which imports them from here; nothing is re-exported.
__all__: list[str] = []

# Above this many groups, leaving one out is much like leaving one row out.
MAX_GROUPS = 30
# Pareto k above this: PSIS's estimate for that group is unreliable (Vehtari et al., 2024).
K_THRESHOLD = 0.7
GROUP_DIM = "group"
# At most this many groups with a high k are refitted one by one; with more, the refits
# would cost more than the fit itself and the groups are named as unreliable instead.
MAX_REFITS = 5


@dataclass(frozen=True)
class GroupLoo:
    """Leave-one-group-out of one fit: ArviZ's LOO result over groups, the groups whose
    Pareto k exceeds :data:`K_THRESHOLD` and were left so, and those refitted instead (their
    ``elpd_i`` exact, their k set to 0, as ArviZ's ``reloo`` leaves them)."""

    formula: str
    factor: str
    loo: object
    unreliable_groups: tuple[str, ...]
    refitted_groups: tuple[str, ...] = ()

    @property
    def elpd(self) -> float:
        return float(self.loo.elpd)

    @property
    def se(self) -> float:
        return float(self.loo.se)


def grouped_log_likelihood(fit, labels: pd.Series) -> xr.DataTree:
    """``fit``'s posterior with its pointwise log-likelihood summed within each group.

    ``labels`` gives each row's group (in the rows' order); the result's ``log_likelihood``
    holds one value per draw and group, dimension ``group``, groups in sorted order.
    """
    log_likelihood = fit.idata["log_likelihood"].to_dataset()
    if len(log_likelihood.data_vars) != 1:
        raise WorkbookInputError(
            f"expected one log-likelihood variable, got {list(log_likelihood.data_vars)}"
        )
    name = next(iter(log_likelihood.data_vars))
    pointwise = log_likelihood[name]
    row_dims = [d for d in pointwise.dims if d not in ("chain", "draw")]
    if len(row_dims) != 1 or pointwise.sizes[row_dims[0]] != len(labels):
        raise WorkbookInputError(
            f"the log-likelihood has dims {dict(pointwise.sizes)}; expected one row "
            f"dimension of {len(labels)} rows"
        )
    groups = xr.DataArray(np.asarray(labels, dtype=str), dims=row_dims[0], name=GROUP_DIM)
    summed = pointwise.groupby(groups).sum().transpose("chain", "draw", GROUP_DIM)
    return xr.DataTree.from_dict(
        {
            "posterior": fit.idata["posterior"].to_dataset(),
            "log_likelihood": summed.to_dataset(name=name),
        }
    )


def refitted_group_log_likelihood(
    fit,
    left_out: np.ndarray,
    *,
    random_seed: int,
    tune: int = 1000,
    target_accept: float = DEFAULT_TARGET_ACCEPT,
) -> xr.DataArray:
    """The log-likelihood of the rows ``left_out`` (a boolean mask over ``fit``'s rows), summed,
    at each draw of the model sampled again without them.

    The refit is a copy of ``fit``'s PyMC model with a ``pm.Potential`` that subtracts those
    rows' log density, cancelling their term of the likelihood: its posterior is the one
    given the other rows, with the same priors, sampled by :func:`hbm_widgets.sample` with as
    many draws and chains as ``fit``. A group whose rows are all left out keeps its effects in
    the model, but nothing informs them beyond their population distribution, so each draw
    predicts the rows as a new group's. (Building the model again from the other rows would
    not do: formulae keeps only the levels it sees, so the group would have no effects to
    draw, and Bambi would scale the priors to the remaining rows.) Averaging ``exp`` of the
    result over the draws gives the rows' joint predictive density.
    """
    left_out = np.asarray(left_out, dtype=bool)
    n_rows = len(fit.model.frame)
    if left_out.shape != (n_rows,) or not left_out.any() or left_out.all():
        raise WorkbookInputError(
            f"left_out must mark some but not all of the {n_rows} rows, got "
            f"{int(left_out.sum())} of {left_out.size}"
        )
    refit_model = clone_model(fit.model.model)
    if len(refit_model.observed_RVs) != 1:
        raise WorkbookInputError(
            f"expected one observed variable, got {[v.name for v in refit_model.observed_RVs]}"
        )
    observed = refit_model.observed_RVs[0]
    with refit_model:
        pointwise = refit_model.logp(vars=[observed], sum=False)[0]
        pm.Potential("left_out_rows", -pointwise[np.flatnonzero(left_out)].sum())
    posterior = fit.idata["posterior"]
    idata = sample(
        refit_model,
        random_seed=random_seed,
        draws=posterior.sizes["draw"],
        tune=tune,
        chains=posterior.sizes["chain"],
        target_accept=target_accept,
        log_likelihood=True,
    )
    rows = idata["log_likelihood"][observed.name]
    row_dim = next(d for d in rows.dims if d not in ("chain", "draw"))
    return rows.isel({row_dim: np.flatnonzero(left_out)}).sum(row_dim)


class _GroupRefits(az.SamplingWrapper):
    """What ArviZ's ``reloo`` needs to refit a :class:`FormulaFit` without one group: the
    observations are the groups of the grouped tree, each a mask over ``fit``'s rows."""

    def __init__(self, fit, tree, labels, *, random_seed, tune, target_accept, progress):
        super().__init__(model=fit, idata_orig=tree)
        self.labels = np.asarray(labels, dtype=str)
        self.groups = tree["log_likelihood"][GROUP_DIM].to_numpy().astype(str)
        self.settings = {"random_seed": random_seed, "tune": tune, "target_accept": target_accept}
        self.progress = progress
        self.refitted: list[str] = []

    def sel_observations(self, idx):
        left_out = self.labels == self.groups[idx]
        return ~left_out, left_out

    def sample(self, modified_observed_data):
        left_out = ~modified_observed_data
        group = str(self.labels[left_out][0])
        if self.progress is not None:
            self.progress(f"refitting {self.model.model.formula} without {group}...")
        self.refitted.append(group)
        return refitted_group_log_likelihood(self.model, left_out, **self.settings)

    def get_inference_data(self, fitted_model):
        return fitted_model

    def log_likelihood__i(self, excluded_obs, idata__i):
        # sample() already returned the left-out group's summed log-likelihood per draw.
        return idata__i


def leave_one_group_out(
    fit,
    *,
    factor_labels: pd.Series,
    factor: str,
    random_seed: int | None = None,
    tune: int = 1000,
    target_accept: float = DEFAULT_TARGET_ACCEPT,
    max_refits: int = MAX_REFITS,
    progress: Callable[[str], None] | None = None,
) -> GroupLoo:
    """PSIS-LOO over the groups given by ``factor_labels`` (one label per row of ``fit``).

    With a ``random_seed``, the groups whose Pareto k exceeds :data:`K_THRESHOLD` are
    refitted exactly (:func:`refitted_group_log_likelihood`, ``tune`` and ``target_accept``
    as given) when there are at most ``max_refits`` of them; ``progress`` is told of each
    refit. Without one, or with more such groups, they are named as unreliable.
    """
    max_refits = check_whole_number("max_refits", max_refits)
    tree = grouped_log_likelihood(fit, factor_labels)
    with warnings.catch_warnings():
        # The groups with a high Pareto k are named in the result instead.
        warnings.filterwarnings("ignore", "Estimated shape parameter of Pareto", UserWarning)
        result = az.loo(tree, pointwise=True)
    k = result.pareto_k
    unreliable = tuple(str(g) for g in k[GROUP_DIM].to_numpy()[k.to_numpy() > K_THRESHOLD])
    refitted: tuple[str, ...] = ()
    if random_seed is not None and 0 < len(unreliable) <= max_refits:
        wrapper = _GroupRefits(
            fit,
            tree,
            factor_labels,
            random_seed=random_seed,
            tune=tune,
            target_accept=target_accept,
            progress=progress,
        )
        result = az.reloo(wrapper, loo_orig=result, k_threshold=K_THRESHOLD, pointwise=True)
        refitted = tuple(wrapper.refitted)
        unreliable = tuple(g for g in unreliable if g not in refitted)
    return GroupLoo(
        formula=fit.model.formula,
        factor=factor,
        loo=result,
        unreliable_groups=unreliable,
        refitted_groups=refitted,
    )


def compare_leaving_groups_out(
    fit,
    pooled_fit,
    *,
    random_seed: int | None = None,
    tune: int = 1000,
    target_accept: float = DEFAULT_TARGET_ACCEPT,
    max_refits: int = MAX_REFITS,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[GroupLoo], pd.DataFrame] | None:
    """The fit and its complete-pooling counterpart, each leaving out one group at a time.

    The groups are those of ``fit``'s first grouping factor, when it has at most
    :data:`MAX_GROUPS`; otherwise None. With a ``random_seed``, each model's groups with a
    high Pareto k are refitted exactly when there are at most ``max_refits`` of them (see
    :func:`leave_one_group_out`). Returns the two :class:`GroupLoo` and ArviZ's comparison
    of them (``az.compare``, best first, rows named by formula).
    """
    if not fit.model.group_terms:
        raise WorkbookInputError(f"{fit.model.formula!r} has no grouping factor")
    if len(fit.model.frame) != len(pooled_fit.model.frame):
        raise WorkbookInputError(
            f"fit and pooled_fit hold {len(fit.model.frame)} and "
            f"{len(pooled_fit.model.frame)} rows; expected the same rows"
        )
    term = fit.model.group_terms[0]
    labels = _level_labels(fit.model.frame, term)
    if labels.nunique() > MAX_GROUPS:
        return None
    results = [
        leave_one_group_out(
            each,
            factor_labels=labels,
            factor=term.factor,
            random_seed=random_seed,
            tune=tune,
            target_accept=target_accept,
            max_refits=max_refits,
            progress=progress,
        )
        for each in (fit, pooled_fit)
    ]
    comparison = az.compare({result.formula: result.loo for result in results}, round_to="none")
    return results, comparison
