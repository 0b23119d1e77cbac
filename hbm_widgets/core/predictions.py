"""Predictions from a fitted two-level model, for groups in the data and for new ones.

A prediction for a new observation in group ``j`` with predictor ``x`` combines, draw by
draw, the posterior of that group's intercept and slope with the residual noise:

    y_new = alpha_j + beta_j * x + sigma * e,     e ~ N(0, 1) (or Student-t).

For a group that is not in the data there is no ``alpha_j`` to read off. Under partial pooling
its coefficients are drawn from the population distribution, using each posterior draw of
its centre and spread (``mu_alpha + gamma_alpha * u``, ``sigma_alpha``, and ``rho`` when
intercept and slope vary together); under no pooling nothing links groups, so a new group's
coefficients come from their prior; under complete pooling every group is the same.

The numbers behind a posterior predictive check are in :mod:`hbm_widgets.core.ppc`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pymc as pm

from hbm_widgets.core.data import GroupedData
from hbm_widgets.core.errors import WorkbookInputError, check_whole_number
from hbm_widgets.core.fitted import check_fit
from hbm_widgets.core.priors import resolve_priors
from hbm_widgets.core.spec import ModelSpec, check_compatible

__all__ = [
    "coefficient_draws",
    "expected_outcome",
    "posterior_predictive_draws",
    "predictive_intervals",
]


def _stacked(idata, name: str, replicates: int = 1) -> np.ndarray:
    """Draws of ``name`` stacked over chains and draws (each repeated ``replicates`` times)."""
    if name not in idata.posterior:
        available = ", ".join(sorted(idata.posterior.data_vars))
        raise WorkbookInputError(
            f"the fit has no variable {name!r} (its variables are: {available}); "
            "was it fitted with this ModelSpec?"
        )
    values = idata.posterior[name]
    extra = [d for d in values.dims if d not in ("chain", "draw")]
    stacked = values.stack(sample=("chain", "draw")).transpose("sample", *extra).values
    return np.repeat(stacked, replicates, axis=0) if replicates > 1 else stacked


def _check_replicates(replicates) -> int:
    return check_whole_number("replicates", replicates, low=1)


def _group_position(data: GroupedData, group) -> int | None:
    matches = np.flatnonzero(data.group_names == str(group))
    return int(matches[0]) if matches.size else None


def _finite(name: str, value) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise WorkbookInputError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(value):
        raise WorkbookInputError(f"{name} must be a finite number, got {value}")
    return value


def _check_inputs(idata, spec: ModelSpec, data: GroupedData) -> None:
    check_fit(idata)
    check_compatible(spec, data)


def _group_predictor_value(spec, data, group, position, group_predictor) -> float | None:
    """The group-level predictor of a group: from the data, or given for a new group."""
    if not spec.group_predictor:
        return None
    if position is not None:
        known = float(data.group_predictor[position])
        if group_predictor is not None and not np.isclose(float(group_predictor), known):
            raise WorkbookInputError(
                f"{data.group_name} {group!r} has {data.group_predictor_name} = {known:g} in the "
                f"data; got group_predictor={group_predictor!r}"
            )
        return known
    if group_predictor is None:
        raise WorkbookInputError(
            f"{data.group_name} {group!r} is not in the data: give its "
            f"{data.group_predictor_name} with group_predictor=..."
        )
    return _finite("group_predictor", group_predictor)


def coefficient_draws(
    idata,
    spec: ModelSpec,
    data: GroupedData,
    *,
    group,
    group_predictor: float | None = None,
    random_seed: int | None = None,
    replicates: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Draws of one group's intercept and slope, shape (samples * replicates,) each.

    Parameters
    ----------
    idata : xarray.DataTree
        The posterior of ``build_model(spec, data)``.
    spec : ModelSpec
    data : GroupedData
        The data the model was fitted on.
    group : str
        A group in the data, or a new one.
    group_predictor : float, optional
        A new group's value of the group-level predictor (needed when the spec uses one).
    random_seed : int, optional
        Seeds the draws of a new group's coefficients.
    replicates : int
        Each posterior draw is used this many times (a new group gets fresh coefficients
        each time), which smooths Monte Carlo noise when there are few posterior draws.

    Returns
    -------
    (intercept, slope) : tuple of ndarray
        The slope is all zeros when the data have no predictor.
    """
    _check_inputs(idata, spec, data)
    r = _check_replicates(replicates)
    position = _group_position(data, group)
    u = _group_predictor_value(spec, data, group, position, group_predictor)
    rng = np.random.default_rng(random_seed)
    alpha = _stacked(idata, "alpha", r)
    n_samples = alpha.shape[0]
    beta = _stacked(idata, "beta", r) if "beta" in idata.posterior else np.zeros(n_samples)

    if position is not None or spec.pooling == "complete":
        intercept = alpha[:, position] if alpha.ndim == 2 else alpha
        slope = beta[:, position] if beta.ndim == 2 else beta
        return intercept.astype(float), slope.astype(float)

    if spec.pooling == "none":
        # Nothing links the groups: a new group's coefficients are only their prior.
        priors = resolve_priors(spec, data)
        seeds = rng.integers(2**31, size=2)
        intercept = alpha if alpha.ndim == 1 else _prior_draws(priors["alpha"], n_samples, seeds[0])
        if beta.ndim == 2:
            slope = _prior_draws(priors["beta"], n_samples, seeds[1])
        else:
            slope = beta
        return np.asarray(intercept, dtype=float), np.asarray(slope, dtype=float)

    # Partial pooling: draw the new group's effects from the population, draw by draw.
    z_alpha = rng.standard_normal(n_samples)
    z_beta = rng.standard_normal(n_samples)
    intercept = alpha if alpha.ndim == 1 else None
    slope = beta if beta.ndim == 1 else None
    if spec.varies_intercept:
        centre = _stacked(idata, "mu_alpha", r)
        if spec.group_predictor:
            centre = centre + _stacked(idata, "gamma_alpha", r) * u
        intercept = centre + _stacked(idata, "sigma_alpha", r) * z_alpha
    if spec.varies_slope:
        centre = _stacked(idata, "mu_beta", r)
        if spec.group_predictor:
            centre = centre + _stacked(idata, "gamma_beta", r) * u
        scale = _stacked(idata, "sigma_beta", r)
        if spec.correlated:
            rho = _stacked(idata, "rho", r)
            slope = centre + scale * (rho * z_alpha + np.sqrt(1 - rho**2) * z_beta)
        else:
            slope = centre + scale * z_beta
    return np.asarray(intercept, dtype=float), np.asarray(slope, dtype=float)


def _prior_draws(prior, size: int, seed) -> np.ndarray:
    return np.asarray(pm.draw(prior.dist(), draws=size, random_seed=int(seed)), dtype=float)


def _noise(idata, spec: ModelSpec, replicates: int, rng) -> np.ndarray:
    sigma = _stacked(idata, "sigma", replicates)
    if spec.likelihood == "student_t":
        return sigma * rng.standard_t(_stacked(idata, "nu", replicates))
    return sigma * rng.standard_normal(sigma.shape[0])


def posterior_predictive_draws(
    idata,
    spec: ModelSpec,
    data: GroupedData,
    *,
    group,
    predictor: float = 0.0,
    group_predictor: float | None = None,
    random_seed: int,
    replicates: int = 1,
) -> np.ndarray:
    """Posterior predictive draws of one new observation in ``group`` (existing or new).

    Parameters
    ----------
    idata, spec, data
        A fit, the spec it was built from and the data it was fitted on.
    group : str
        A group of the data, or a name that is not in it (a new group).
    predictor : float
        The new observation's predictor (for radon, ``floor``: 0 basement, 1 first floor).
    group_predictor : float, optional
        A new group's group-level predictor, when the spec uses one.
    random_seed : int
    replicates : int
        Predicted outcomes per posterior draw.

    Returns
    -------
    ndarray, shape (samples * replicates,)
        Predicted outcomes, ``replicates`` per posterior draw.

    Examples
    --------
    >>> # y_new = posterior_predictive_draws(partial_pooling_idata, spec, data,
    >>> #                                    group="LAC QUI PARLE", predictor=0, random_seed=1)
    """
    predictor = _finite("predictor", predictor)
    if data.predictor is None and predictor != 0:
        raise WorkbookInputError(
            f"the data have no predictor, so predictor must be 0, got {predictor:g}"
        )
    rng = np.random.default_rng(random_seed)
    intercept, slope = coefficient_draws(
        idata,
        spec,
        data,
        group=group,
        group_predictor=group_predictor,
        random_seed=int(rng.integers(2**31)),
        replicates=replicates,
    )
    return intercept + slope * predictor + _noise(idata, spec, replicates, rng)


def predictive_intervals(
    idata,
    spec: ModelSpec,
    data: GroupedData,
    cases: Sequence[Mapping],
    *,
    prob: float = 0.9,
    random_seed: int,
    replicates: int = 10,
) -> pd.DataFrame:
    """Posterior predictive intervals for new observations, one row per case.

    Parameters
    ----------
    idata, spec, data
        A fit, its spec and the data it was fitted on.
    cases : sequence of mappings
        Each with ``group`` and optionally ``predictor`` (default 0), ``group_predictor``
        (for a new group, when the spec uses one) and ``label``.
    prob : float
        Probability of the central interval.
    random_seed : int
    replicates : int
        Predicted outcomes per posterior draw (several make the interval ends steadier).

    Returns
    -------
    DataFrame
        Columns ``label``, the group column, ``n`` (observations of that group in the data,
        0 for a new group), ``new_group``, ``predictor``, ``mean``, ``sd``, ``low``, ``high``
        and ``width``.
    """
    try:
        prob = float(prob)
    except (TypeError, ValueError):
        raise WorkbookInputError(f"prob must be a number in (0, 1), got {prob!r}") from None
    if not 0 < prob < 1:
        raise WorkbookInputError(f"prob must be between 0 and 1, got {prob:g}")
    if isinstance(cases, Mapping) or not len(cases):
        raise WorkbookInputError("cases must be a non-empty list of mappings with a 'group'")
    seeds = np.random.SeedSequence(random_seed).generate_state(len(cases))
    rows = []
    for case, seed in zip(cases, seeds, strict=True):
        if not isinstance(case, Mapping) or "group" not in case:
            raise WorkbookInputError(f"each case needs a 'group', got {case!r}")
        unknown = set(case) - {"group", "predictor", "group_predictor", "label"}
        if unknown:
            raise WorkbookInputError(
                f"unknown case key {sorted(unknown)[0]!r}; expected group, predictor, "
                "group_predictor, label"
            )
        group = str(case["group"])
        draws = posterior_predictive_draws(
            idata,
            spec,
            data,
            group=group,
            predictor=case.get("predictor", 0.0),
            group_predictor=case.get("group_predictor"),
            random_seed=int(seed),
            replicates=replicates,
        )
        position = _group_position(data, group)
        low, high = np.quantile(draws, [(1 - prob) / 2, (1 + prob) / 2])
        rows.append(
            {
                "label": str(case.get("label", group)),
                data.group_name: group,
                "n": 0 if position is None else int(data.group_sizes[position]),
                "new_group": position is None,
                "predictor": float(case.get("predictor", 0.0)),
                "mean": float(draws.mean()),
                "sd": float(draws.std(ddof=1)),
                "low": float(low),
                "high": float(high),
                "width": float(high - low),
            }
        )
    return pd.DataFrame(rows)


def expected_outcome(
    idata,
    spec: ModelSpec,
    data: GroupedData,
    *,
    groups: Sequence,
    predictor=None,
    group_predictor=None,
) -> np.ndarray:
    """Posterior mean of the expected outcome ``alpha_j + beta_j * x`` for each row.

    The point prediction of cross-validation. A group not in ``data`` gets the population
    mean of the coefficients (partial pooling: ``mu + gamma * u``), their prior mean (no
    pooling), or the shared value (complete pooling).

    Parameters
    ----------
    groups : sequence of str
        Each row's group.
    predictor : sequence of float, optional
        Each row's predictor (required when the data have one).
    group_predictor : sequence of float, optional
        Each row's group-level predictor (used for groups not in the data).
    """
    _check_inputs(idata, spec, data)
    groups = np.asarray([str(g) for g in groups])
    n_rows = groups.shape[0]
    x = np.zeros(n_rows) if predictor is None else np.asarray(predictor, dtype=float)
    if data.predictor is not None and predictor is None:
        raise WorkbookInputError(
            f"the data have a predictor ({data.predictor_name}); pass predictor=... for each row"
        )
    if x.shape != (n_rows,):
        raise WorkbookInputError(f"predictor must have one value per row ({n_rows}), got {x.shape}")
    u = None if group_predictor is None else np.asarray(group_predictor, dtype=float)

    alpha = _stacked(idata, "alpha").mean(axis=0)
    beta = _stacked(idata, "beta").mean(axis=0) if "beta" in idata.posterior else np.zeros(())
    lookup = {name: i for i, name in enumerate(data.group_names.tolist())}
    positions = np.array([lookup.get(g, -1) for g in groups])
    known = positions >= 0

    intercept = np.empty(n_rows)
    slope = np.empty(n_rows)
    if np.ndim(alpha) == 0:
        intercept[:] = alpha
    else:
        intercept[known] = alpha[positions[known]]
    if np.ndim(beta) == 0:
        slope[:] = beta
    else:
        slope[known] = beta[positions[known]]

    if (~known).any() and spec.pooling != "complete":
        new = ~known
        if spec.pooling == "none":
            priors = resolve_priors(spec, data)
            if np.ndim(alpha):
                intercept[new] = _prior_mean(priors["alpha"])
            if np.ndim(beta):
                slope[new] = _prior_mean(priors["beta"])
        else:
            if spec.group_predictor and (u is None or u.shape != (n_rows,)):
                raise WorkbookInputError(
                    f"rows of {data.group_name} groups not in the data need their "
                    f"{data.group_predictor_name}: pass group_predictor=... for each row"
                )
            for name, target in (("alpha", intercept), ("beta", slope)):
                varies = spec.varies_intercept if name == "alpha" else spec.varies_slope
                if not varies:
                    continue
                centre = np.full(n_rows, _stacked(idata, f"mu_{name}").mean())
                if spec.group_predictor:
                    centre = centre + _stacked(idata, f"gamma_{name}").mean() * u
                target[new] = centre[new]
    return intercept + slope * x


def _prior_mean(prior) -> float:
    if prior.distribution in ("Normal", "StudentT"):
        return float(prior.kwargs["mu"])
    if prior.distribution == "Cauchy":
        return float(prior.kwargs["alpha"])
    if prior.distribution == "Uniform":
        return (prior.kwargs["lower"] + prior.kwargs["upper"]) / 2
    raise WorkbookInputError(f"a {prior.distribution} prior has no mean to predict with")
