"""Per-group estimates from fitted models, side by side, ordered by group size.

``group_estimates`` turns one or more fits into a long table, one row per group and model,
with the posterior mean, SD and a central interval of a group coefficient (the intercept
``alpha`` or the slope ``beta``). A model in which the coefficient is shared (complete
pooling) gives every group the same value, so all the strategies of the pooling table can be
compared on one chart. ``least_squares_intercepts`` is the classical no-pooling reference
(one dummy per group and a shared slope), and ``population_summary`` the table of a fit's
scalar parameters.
"""

from __future__ import annotations

from collections.abc import Mapping

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from hbm_widgets.core.data import GroupedData
from hbm_widgets.core.errors import WorkbookInputError
from hbm_widgets.core.fitted import check_fit, hdi_bounds
from hbm_widgets.core.spec import ModelSpec

__all__ = [
    "group_estimates",
    "group_predictor_line",
    "group_size_table",
    "least_squares_intercepts",
    "population_summary",
]

COLUMNS = ("n", "model", "mean", "sd", "low", "high", "size_rank")


def _check_data(data) -> GroupedData:
    if not isinstance(data, GroupedData):
        raise WorkbookInputError(
            f"expected GroupedData (see GroupedData.from_frame), got {type(data).__name__}"
        )
    return data


def _check_prob(prob) -> float:
    try:
        prob = float(prob)
    except (TypeError, ValueError):
        raise WorkbookInputError(f"hdi_prob must be a number in (0, 1), got {prob!r}") from None
    if not 0 < prob < 1:
        raise WorkbookInputError(f"hdi_prob must be between 0 and 1, got {prob:g}")
    return prob


def size_ranks(data: GroupedData) -> np.ndarray:
    """Each group's position when groups are sorted by size, then by name (0 = smallest)."""
    order = np.lexsort((data.group_names, data.group_sizes))
    ranks = np.empty(data.n_groups, dtype=int)
    ranks[order] = np.arange(data.n_groups)
    return ranks


def group_size_table(data: GroupedData) -> pd.DataFrame:
    """How many groups have each number of observations.

    Returns columns ``n`` (observations in a group), ``groups`` (how many groups have that
    many) and ``share_of_groups``, sorted by ``n``.

    Examples
    --------
    >>> from hbm_widgets import load_radon
    >>> data = GroupedData.from_frame(load_radon(), group="county", outcome="log_radon")
    >>> int(group_size_table(data)["groups"].sum())
    85
    """
    data = _check_data(data)
    sizes, counts = np.unique(data.group_sizes, return_counts=True)
    return pd.DataFrame(
        {"n": sizes, "groups": counts, "share_of_groups": counts / data.n_groups}
    ).reset_index(drop=True)


def _coefficient_draws(idata, data: GroupedData, coefficient: str) -> np.ndarray:
    """Draws of the coefficient for every group, shape (samples, groups)."""
    posterior = check_fit(idata).posterior
    if coefficient not in posterior:
        available = ", ".join(sorted(posterior.data_vars))
        raise WorkbookInputError(
            f"the fit has no variable {coefficient!r}; its variables are: {available}"
        )
    values = posterior[coefficient]
    extra = [d for d in values.dims if d not in ("chain", "draw")]
    stacked = values.stack(sample=("chain", "draw"))
    if not extra:
        return np.repeat(stacked.values[:, None], data.n_groups, axis=1)
    # The fit's group dim: the group column's name unless the model uses that name itself.
    group_dim = data.model_names.group_dim
    if extra != [group_dim]:
        raise WorkbookInputError(
            f"{coefficient!r} has dims {extra}; expected none or [{group_dim!r}]"
        )
    names = [str(n) for n in values[group_dim].values]
    if names != data.group_names.tolist():
        raise WorkbookInputError(
            f"the fit's {data.group_name} coordinates do not match the data's groups; "
            "was it fitted on other data?"
        )
    return stacked.transpose("sample", group_dim).values


def group_estimates(
    fits, data: GroupedData, *, coefficient: str = "alpha", hdi_prob: float = 0.9
) -> pd.DataFrame:
    """Each group's coefficient under one or several fits, as a long table.

    Parameters
    ----------
    fits : xarray.DataTree or mapping of str to xarray.DataTree
        One fit, or fits keyed by the label the table and charts should use
        (``{"no pooling": unpooled_idata, "partial pooling": partial_pooling_idata}``).
    data : GroupedData
        The data the models were fitted on (group names and sizes).
    coefficient : str
        The posterior variable, ``"alpha"`` (intercepts) or ``"beta"`` (slopes). A scalar
        variable (a coefficient shared by all groups) is repeated for every group.
    hdi_prob : float
        Probability of the highest-density interval ``[low, high]``.

    Returns
    -------
    DataFrame
        Columns: the group column (named as in the data), ``n``, ``model``, ``mean``, ``sd``,
        ``low``, ``high`` and ``size_rank`` (0 for the smallest group; ties by name), and the
        group-level predictor's column when the data have one.
    """
    data = _check_data(data)
    hdi_prob = _check_prob(hdi_prob)
    # A DataTree is a mapping too (of its groups): one fit is told apart first.
    if isinstance(fits, xr.DataTree):
        fits = {"posterior": fits}
    if not isinstance(fits, Mapping) or not fits:
        raise WorkbookInputError(
            "fits must be a fit (from hbm.sample) or a non-empty mapping of labels to fits, "
            f"got {type(fits).__name__}"
        )
    ranks = size_ranks(data)
    frames = []
    for label, idata in fits.items():
        draws = _coefficient_draws(idata, data, coefficient)
        interval = hdi_bounds(draws, hdi_prob)
        frames.append(
            pd.DataFrame(
                {
                    data.group_name: data.group_names,
                    "n": data.group_sizes,
                    "model": str(label),
                    "mean": draws.mean(axis=0),
                    "sd": draws.std(axis=0, ddof=1),
                    "low": interval[:, 0],
                    "high": interval[:, 1],
                    "size_rank": ranks,
                }
            )
        )
        if data.group_predictor is not None:
            frames[-1][data.group_predictor_name] = data.group_predictor
    return pd.concat(frames, ignore_index=True)


def least_squares_intercepts(data: GroupedData, *, label: str = "least squares") -> pd.DataFrame:
    """No-pooling intercepts by least squares: one dummy per group and a shared slope.

    The classical estimate the Bayesian no-pooling model approaches when its priors are
    weak. Returns the columns of :func:`group_estimates` (``sd`` is the usual standard
    error; ``low`` and ``high`` are left empty) and an attribute ``attrs["slope"]`` with the
    shared slope (``nan`` without a predictor).

    Examples
    --------
    >>> from hbm_widgets import load_radon
    >>> data = GroupedData.from_frame(load_radon(), group="county", outcome="log_radon",
    ...                               predictor="floor")
    >>> round(least_squares_intercepts(data).attrs["slope"], 3)
    -0.721
    """
    data = _check_data(data)
    dummies = np.zeros((data.n_obs, data.n_groups))
    dummies[np.arange(data.n_obs), data.group_idx] = 1.0
    design = dummies if data.predictor is None else np.column_stack([dummies, data.predictor])
    coef, _, rank, _ = np.linalg.lstsq(design, data.outcome, rcond=None)
    if rank < design.shape[1]:
        raise WorkbookInputError(
            "the least-squares design is rank deficient: the predictor is constant within "
            "every group, so its slope cannot be told apart from the intercepts"
        )
    residuals = data.outcome - design @ coef
    dof = data.n_obs - design.shape[1]
    scale2 = float(residuals @ residuals / dof) if dof > 0 else np.nan
    cov = scale2 * np.linalg.inv(design.T @ design)
    frame = pd.DataFrame(
        {
            data.group_name: data.group_names,
            "n": data.group_sizes,
            "model": label,
            "mean": coef[: data.n_groups],
            "sd": np.sqrt(np.diag(cov)[: data.n_groups]),
            "low": np.nan,
            "high": np.nan,
            "size_rank": size_ranks(data),
        }
    )
    frame.attrs["slope"] = float(coef[-1]) if data.predictor is not None else float("nan")
    return frame


def population_summary(
    idata, spec: ModelSpec | None = None, *, hdi_prob: float = 0.9
) -> pd.DataFrame:
    """The fit's scalar parameters (population mean and spread, slope, residual scale...).

    Parameters
    ----------
    idata : xarray.DataTree
        A fit from :func:`hbm_widgets.sample`.
    spec : ModelSpec, optional
        When given, rows follow the spec's parameters in reading order; otherwise every
        scalar posterior variable is listed.
    hdi_prob : float

    Returns
    -------
    DataFrame
        Indexed by parameter: ``mean``, ``sd``, ``low``, ``high``, ``r_hat``, ``ess_bulk``.
    """
    hdi_prob = _check_prob(hdi_prob)
    posterior = check_fit(idata).posterior
    scalars = [
        name
        for name, values in posterior.data_vars.items()
        if set(values.dims) <= {"chain", "draw"}
    ]
    if spec is not None:
        wanted = [*spec.prior_roles(), "gamma_alpha", "gamma_beta"]
        scalars = [n for n in dict.fromkeys(wanted) if n in scalars]
    if not scalars:
        raise WorkbookInputError("the fit has no scalar parameters to summarise")
    summary = az.summary(idata, var_names=scalars, ci_prob=hdi_prob, ci_kind="hdi", round_to="none")
    # ArviZ names the interval's columns after its probability (hdi90_lb, hdi90_ub).
    low, high = (c for c in summary.columns if c.startswith("hdi"))
    table = summary[["mean", "sd", low, high]].rename(columns={low: "low", high: "high"})
    if posterior.sizes["chain"] > 1:
        table["r_hat"] = summary["r_hat"]
    table["ess_bulk"] = summary["ess_bulk"]
    table.index.name = "parameter"
    return table


def group_predictor_line(
    idata, data: GroupedData, *, coefficient: str = "alpha", points: int = 50, hdi_prob=0.9
) -> pd.DataFrame:
    """The population line ``mu + gamma * u`` over the range of the group-level predictor.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit with ``mu_<coefficient>`` and ``gamma_<coefficient>`` (a spec with
        ``group_predictor=True``).
    data : GroupedData
        The data (for the predictor's name and range).
    coefficient : {"alpha", "beta"}
    points : int
        Grid points.
    hdi_prob : float

    Returns
    -------
    DataFrame
        Columns: the group-level predictor's name, ``mean``, ``low`` and ``high``.
    """
    data = _check_data(data)
    hdi_prob = _check_prob(hdi_prob)
    if data.group_predictor is None:
        raise WorkbookInputError("the data have no group-level predictor")
    names = (f"mu_{coefficient}", f"gamma_{coefficient}")
    posterior = check_fit(idata).posterior
    missing = [n for n in names if n not in posterior]
    if missing:
        raise WorkbookInputError(
            f"the fit has no {missing[0]!r}; fit a spec with group_predictor=True"
        )
    mu, gamma = (posterior[n].values.ravel() for n in names)
    grid = np.linspace(data.group_predictor.min(), data.group_predictor.max(), points)
    lines = mu[:, None] + gamma[:, None] * grid[None, :]
    interval = hdi_bounds(lines, hdi_prob)
    return pd.DataFrame(
        {
            data.group_predictor_name: grid,
            "mean": lines.mean(axis=0),
            "low": interval[:, 0],
            "high": interval[:, 1],
        }
    )
