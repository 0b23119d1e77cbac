"""Complete, no and partial pooling of group means, side by side, from the closed forms.

For grouped data without predictors each group ``k`` has a mean ``ybar_k`` of ``n_k``
observations. Complete pooling gives every group the grand mean, no pooling its own mean,
and partial pooling the compromise ``(1 - B_k) ybar_k + B_k mu`` of
:func:`hbm_widgets.partial_pooling_estimate`, given the residual SD ``sigma``, the spread of
the group means ``tau`` and their centre ``mu``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hbm_widgets.core.data import GroupedData
from hbm_widgets.core.errors import WorkbookInputError
from hbm_widgets.core.shrinkage import partial_pooling_estimate, shrinkage_factor

__all__ = ["moment_estimates", "pooling_estimates"]


def _check_data(data) -> GroupedData:
    if not isinstance(data, GroupedData):
        raise WorkbookInputError(
            f"expected GroupedData (see GroupedData.from_frame), got {type(data).__name__}"
        )
    if data.predictor is not None:
        raise WorkbookInputError(
            f"the closed-form shrinkage here is for group means without a predictor, but the "
            f"data have predictor {data.predictor_name!r}; load them without it"
        )
    return data


def pooling_estimates(data: GroupedData, *, sigma, tau, mu=None) -> pd.DataFrame:
    """Every group's estimate under complete, no and partial pooling.

    Parameters
    ----------
    data : GroupedData
        Grouped outcomes without a predictor.
    sigma : float
        Residual (within-group) SD, > 0.
    tau : float
        SD of the group means, >= 0 (0 is complete pooling, ``np.inf`` no pooling).
    mu : float, optional
        Centre of the group means; by default the grand mean of all observations.

    Returns
    -------
    DataFrame
        One row per group, in the data's group order: ``group``, ``n``, ``no_pooling``
        (the group's mean), ``complete_pooling`` (the grand mean), ``shrinkage`` (``B_k``),
        ``partial_pooling`` and ``mu``.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"g": ["a", "a", "a", "a", "b"], "y": [1.0, 2, 3, 2, 6]})
    >>> data = GroupedData.from_frame(frame, group="g", outcome="y")
    >>> table = pooling_estimates(data, sigma=2.0, tau=1.0, mu=3.0)
    >>> table[["group", "n", "no_pooling", "shrinkage", "partial_pooling"]].round(2)
      group  n  no_pooling  shrinkage  partial_pooling
    0     a  4         2.0        0.5              2.5
    1     b  1         6.0        0.8              3.6
    """
    data = _check_data(data)
    grand_mean = float(data.outcome.mean())
    if mu is None:
        mu = grand_mean
    try:
        mu = float(mu)
    except (TypeError, ValueError):
        raise WorkbookInputError(f"mu must be a number, got {mu!r}") from None
    if not np.isfinite(mu):
        raise WorkbookInputError(f"mu must be a finite number, got {mu}")
    sizes = data.group_sizes
    means = data.group_means
    factor = shrinkage_factor(sigma, tau, sizes)
    return pd.DataFrame(
        {
            "group": data.group_names,
            "n": sizes,
            "no_pooling": means,
            "complete_pooling": grand_mean,
            "shrinkage": factor,
            "partial_pooling": partial_pooling_estimate(means, mu, sigma, tau, sizes),
            "mu": mu,
        }
    )


def moment_estimates(data: GroupedData) -> dict[str, float]:
    """Quick estimates of ``sigma``, ``tau`` and ``mu`` from the data, without a model.

    ``sigma`` is the pooled within-group SD; ``tau`` the SD of the group means once the
    part of their spread that sampling noise explains (the average ``sigma^2 / n_k``) is
    taken off, floored at zero; ``mu`` the grand mean. A starting point for the shrinkage
    explorer, not a substitute for fitting the model.
    """
    data = _check_data(data)
    sizes = data.group_sizes
    means = data.group_means
    residuals = data.outcome - means[data.group_idx]
    degrees = data.n_obs - data.n_groups
    if degrees < 1:
        raise WorkbookInputError(
            "every group has a single observation, so the within-group SD cannot be estimated"
        )
    sigma = float(np.sqrt(np.sum(residuals**2) / degrees))
    between = float(np.var(means, ddof=1)) - float(np.mean(sigma**2 / sizes))
    return {
        "sigma": sigma,
        "tau": float(np.sqrt(max(between, 0.0))),
        "mu": float(data.outcome.mean()),
    }
