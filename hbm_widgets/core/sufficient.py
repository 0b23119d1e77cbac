"""A normal likelihood from each group's sufficient statistics, so that a fit's cost is set by
the number of groups, not of observations.

For observations ``y_i`` of group ``j`` with predictor ``x_i``, intercept ``a_j`` and slope
``b_j``, the normal log-likelihood of the whole group is

    -n_j log(sigma) - n_j/2 log(2 pi) - S_j / (2 sigma^2),
    S_j = Syy_j - 2 b_j Sxy_j + b_j^2 Sxx_j + n_j (ybar_j - a_j - b_j xbar_j)^2,

where ``ybar_j`` and ``xbar_j`` are the group's means and ``Syy``, ``Sxy``, ``Sxx`` its sums of
squares and cross-products about them. This is the sum of the observations' normal log
densities exactly (not merely up to a constant), so the posterior is the same; but each
gradient costs a few operations per group instead of per observation. Sums about the group
means, rather than raw sums of squares, keep the subtraction from losing digits when the
outcome sits far from zero relative to its spread.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from hbm_widgets.core.data import GroupedData

__all__ = ["GroupStatistics", "add_group_statistics_likelihood", "group_statistics"]


@dataclass(frozen=True)
class GroupStatistics:
    """Each group's count, means and centred sums of squares and cross-products.

    Arrays run over the groups in the data's order; the predictor's entries are None when
    the data have no predictor.
    """

    n: np.ndarray
    outcome_mean: np.ndarray
    outcome_ss: np.ndarray
    predictor_mean: np.ndarray | None = None
    predictor_ss: np.ndarray | None = None
    cross_products: np.ndarray | None = None


def _group_means_and_deviations(values: np.ndarray, group_idx: np.ndarray, n: np.ndarray):
    means = np.bincount(group_idx, weights=values, minlength=n.size) / n
    return means, values - means[group_idx]


def group_statistics(data: GroupedData) -> GroupStatistics:
    """The sufficient statistics of a normal regression within each group.

    Examples
    --------
    >>> from hbm_widgets import GroupedData, load_radon
    >>> data = GroupedData.from_frame(load_radon(), group="county", outcome="log_radon",
    ...                               predictor="floor")
    >>> stats = group_statistics(data)
    >>> int(stats.n.sum()) == data.n_obs
    True
    """
    n_groups = data.n_groups
    n = np.bincount(data.group_idx, minlength=n_groups).astype(float)
    outcome = np.asarray(data.outcome, dtype=float)
    outcome_mean, outcome_dev = _group_means_and_deviations(outcome, data.group_idx, n)
    outcome_ss = np.bincount(data.group_idx, weights=outcome_dev**2, minlength=n_groups)
    if data.predictor is None:
        return GroupStatistics(n=n, outcome_mean=outcome_mean, outcome_ss=outcome_ss)
    predictor = np.asarray(data.predictor, dtype=float)
    predictor_mean, predictor_dev = _group_means_and_deviations(predictor, data.group_idx, n)
    return GroupStatistics(
        n=n,
        outcome_mean=outcome_mean,
        outcome_ss=outcome_ss,
        predictor_mean=predictor_mean,
        predictor_ss=np.bincount(data.group_idx, weights=predictor_dev**2, minlength=n_groups),
        cross_products=np.bincount(
            data.group_idx, weights=outcome_dev * predictor_dev, minlength=n_groups
        ),
    )


def add_group_statistics_likelihood(
    data: GroupedData, *, intercept, slope, sigma, name: str | None = None
) -> pt.TensorVariable:
    """Add the normal log-likelihood of every observation, summed within groups, to the model
    being built (a ``pm.Potential`` named after the outcome column).

    Parameters
    ----------
    data : GroupedData
        The observations; only their per-group statistics enter the model.
    intercept, slope : tensor or None
        A scalar (shared by all groups) or a vector over groups; ``slope`` is None without a
        predictor.
    sigma : tensor
        The observation-level standard deviation.
    name : str, optional
        The potential's name; the outcome column's by default.
    """
    stats = group_statistics(data)
    # Constants as tensors first: a NumPy array on the left of an operator would try to
    # broadcast the tensor as an object.
    n, outcome_mean, outcome_ss = map(pt.as_tensor, (stats.n, stats.outcome_mean, stats.outcome_ss))
    residual_of_means = outcome_mean - intercept
    squares = outcome_ss
    if slope is not None:
        predictor_mean, predictor_ss, cross_products = map(
            pt.as_tensor, (stats.predictor_mean, stats.predictor_ss, stats.cross_products)
        )
        residual_of_means = residual_of_means - slope * predictor_mean
        squares = squares - 2 * slope * cross_products + slope**2 * predictor_ss
    squares = squares + n * residual_of_means**2
    n_obs = float(stats.n.sum())
    log_likelihood = (
        -n_obs * pt.log(sigma) - 0.5 * n_obs * np.log(2 * np.pi) - pt.sum(squares) / (2 * sigma**2)
    )
    return pm.Potential(name or data.model_names.outcome, log_likelihood)
