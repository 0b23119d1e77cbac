"""Leave-one-group-out cross-validation of a :class:`~hbm_widgets.models.formula.FormulaFit`.

Leave-one-out (PSIS-LOO) asks how well a model predicts a row it has not seen, when the
row's group has been seen; leave-one-group-out asks how well it predicts a whole group it
has not seen, the question a model of groups is usually for. The pointwise log-likelihood
is summed within each group of the first grouping factor, each group's sum being the
log-likelihood of its rows together, and ArviZ's PSIS-LOO is run over those sums: one
"observation" per group. With few groups the importance weights of a left-out group are
often heavy-tailed (Pareto k above 0.7), and the estimate for those groups is unreliable;
the result says which. Nothing here is re-exported by the package.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from hbm_widgets.core.errors import WorkbookInputError
from hbm_widgets.models.formula_summaries import _level_labels

# Used by the formula report, which imports them from here; nothing is re-exported.
__all__: list[str] = []

# Above this many groups, leaving one out is much like leaving one row out.
MAX_GROUPS = 30
# Pareto k above this: PSIS's estimate for that group is unreliable (Vehtari et al., 2024).
K_THRESHOLD = 0.7
GROUP_DIM = "group"


@dataclass(frozen=True)
class GroupLoo:
    """Leave-one-group-out of one fit: ArviZ's LOO result over groups, and the groups
    whose Pareto k exceeds :data:`K_THRESHOLD`."""

    formula: str
    factor: str
    loo: object
    unreliable_groups: tuple[str, ...]

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


def leave_one_group_out(fit, *, factor_labels: pd.Series, factor: str) -> GroupLoo:
    """PSIS-LOO over the groups given by ``factor_labels`` (one label per row of ``fit``)."""
    tree = grouped_log_likelihood(fit, factor_labels)
    with warnings.catch_warnings():
        # The groups with a high Pareto k are named in the result instead.
        warnings.filterwarnings("ignore", "Estimated shape parameter of Pareto", UserWarning)
        result = az.loo(tree, pointwise=True)
    k = result.pareto_k
    unreliable = tuple(str(g) for g in k[GROUP_DIM].to_numpy()[k.to_numpy() > K_THRESHOLD])
    return GroupLoo(
        formula=fit.model.formula, factor=factor, loo=result, unreliable_groups=unreliable
    )


def compare_leaving_groups_out(fit, pooled_fit) -> tuple[list[GroupLoo], pd.DataFrame] | None:
    """The fit and its complete-pooling counterpart, each leaving out one group at a time.

    The groups are those of ``fit``'s first grouping factor, when it has at most
    :data:`MAX_GROUPS`; otherwise None. Returns the two :class:`GroupLoo` and ArviZ's
    comparison of them (``az.compare``, best first, rows named by formula).
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
        leave_one_group_out(each, factor_labels=labels, factor=term.factor)
        for each in (fit, pooled_fit)
    ]
    comparison = az.compare({result.formula: result.loo for result in results}, round_to="none")
    return results, comparison
