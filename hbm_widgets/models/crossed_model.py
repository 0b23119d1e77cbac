"""The crossed-and-nested model in PyMC, its predictions and its recovery of the truth.

:func:`build_crossed_model` writes the model of :mod:`hbm_widgets.models.crossed` in PyMC,
non-centred, with zero-sum effects at every level; :func:`crossed_response_curves` predicts
the expected outcome (or a new campaign's) over a range of spend for any country, observed
or new, and vertical; :func:`crossed_recovery` sets the posterior beside the simulated truth.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pymc as pm

from hbm_widgets.core.errors import SpecificationError, WorkbookInputError
from hbm_widgets.core.priors import Prior
from hbm_widgets.models.crossed import (
    _POSITIVE_ROLES,
    CROSSED_PRIORS,
    LEVELS,
    CrossedData,
)

__all__ = ["build_crossed_model", "crossed_recovery", "crossed_response_curves"]


def _resolve_crossed_priors(priors) -> dict[str, Prior]:
    if isinstance(priors, str):
        if priors not in CROSSED_PRIORS:
            raise SpecificationError(
                f"unknown prior set {priors!r}; expected one of: {', '.join(CROSSED_PRIORS)}"
            )
        return dict(CROSSED_PRIORS[priors])
    if not isinstance(priors, Mapping):
        raise SpecificationError(
            f"priors must be the name of a prior set or a mapping of role to Prior, got {priors!r}"
        )
    resolved = dict(CROSSED_PRIORS["weakly_informative"])
    allowed = {
        "mu_alpha",
        "mu_beta",
        *_POSITIVE_ROLES,
        *(f"sigma_{c}_{lvl}" for c in ("alpha", "beta") for lvl in LEVELS),
    }
    for role, prior in priors.items():
        if role not in allowed:
            raise SpecificationError(
                f"no parameter called {role!r} takes a prior; expected one of: "
                f"{', '.join(sorted(allowed))}"
            )
        if not isinstance(prior, Prior):
            raise SpecificationError(f"the prior for {role!r} must be a Prior, got {prior!r}")
        if role.startswith("sigma") or role == "nu":
            if prior.support != "positive":
                raise SpecificationError(
                    f"{role!r} is positive and needs a prior on positive values, got {prior}"
                )
        elif prior.support != "real":
            raise SpecificationError(f"{role!r} needs a prior on the real line, got {prior}")
        resolved[role] = prior
    return resolved


def build_crossed_model(
    data: CrossedData,
    *,
    priors: str | Mapping[str, Prior] = "weakly_informative",
    likelihood: str = "student_t",
) -> pm.Model:
    """The crossed-and-nested varying intercept and slope model, non-centred.

    Parameters
    ----------
    data : CrossedData
    priors : {"weakly_informative", "half_cauchy"} or mapping of str to Prior
        A named set from ``CROSSED_PRIORS`` or a mapping that overrides roles of the
        weakly informative set: ``mu_alpha``, ``mu_beta``, ``sigma_alpha`` and
        ``sigma_beta`` (every level's scale), ``sigma_alpha_<level>`` /
        ``sigma_beta_<level>`` (one level's), ``sigma`` and ``nu``.
    likelihood : {"student_t", "normal"}

    Returns
    -------
    pymc.Model
        Free variables ``mu_alpha``, ``mu_beta``, for each level ``sigma_alpha_<level>``,
        ``sigma_beta_<level>``, ``z_alpha_<level>`` and ``z_beta_<level>`` (dims ``<level>``),
        ``sigma`` and, for Student-t, ``nu``; deterministic ``alpha_<level>`` and
        ``beta_<level>`` (the group parts); data containers for the indices and the
        centred predictor; the observed outcome named after its column.

    Examples
    --------
    >>> import hbm_widgets as hbm
    >>> sim = hbm.simulate_crossed(np.random.default_rng(1), obs_per_cell=1)
    >>> data = hbm.CrossedData.from_frame(
    ...     sim.frame, outcome="log_conversions", predictor="log_spend"
    ... )
    >>> model = hbm.build_crossed_model(data)
    >>> model.named_vars_to_dims["alpha_region"]
    ('region',)
    """
    if not isinstance(data, CrossedData):
        raise SpecificationError(
            f"expected CrossedData (see CrossedData.from_frame), got {type(data).__name__}"
        )
    if likelihood not in ("student_t", "normal"):
        raise SpecificationError(
            f"unknown likelihood {likelihood!r}; expected one of: student_t, normal"
        )
    chosen = _resolve_crossed_priors(priors)
    dims = data.columns
    with pm.Model(coords=data.coords) as model:
        country_idx = pm.Data(f"{dims['country']}_idx", data.country_idx, dims="obs_id")
        vertical_idx = pm.Data(f"{dims['vertical']}_idx", data.vertical_idx, dims="obs_id")
        region_of_country = pm.Data(
            f"{dims['region']}_of_{dims['country']}", data.country_region_idx, dims=dims["country"]
        )
        industry_of_vertical = pm.Data(
            f"{dims['industry']}_of_{dims['vertical']}",
            data.vertical_industry_idx,
            dims=dims["vertical"],
        )
        x = pm.Data(f"{data.predictor_name}_centred", data.predictor, dims="obs_id")

        coefficient = {}
        for name in ("alpha", "beta"):
            effects = {}
            for level in LEVELS:
                dim = dims[level]
                scale_prior = chosen.get(f"sigma_{name}_{level}", chosen[f"sigma_{name}"])
                scale = scale_prior.create(f"sigma_{name}_{dim}")
                # Non-centred: standard-normal offsets times the level's scale. The offsets
                # of a level sum to zero, so that mu_name alone carries the average.
                offset = pm.ZeroSumNormal(f"z_{name}_{dim}", sigma=1, dims=dim)
                effects[level] = pm.Deterministic(f"{name}_{dim}", scale * offset, dims=dim)
            # The country part (country + its region) and the vertical part (vertical + its
            # industry): what the data pin down, however they split between the two levels.
            country_part = pm.Deterministic(
                f"gamma_{name}_{dims['country']}",
                effects["country"] + effects["region"][region_of_country],
                dims=dims["country"],
            )
            vertical_part = pm.Deterministic(
                f"gamma_{name}_{dims['vertical']}",
                effects["vertical"] + effects["industry"][industry_of_vertical],
                dims=dims["vertical"],
            )
            coefficient[name] = (
                chosen[f"mu_{name}"].create(f"mu_{name}")
                + country_part[country_idx]
                + vertical_part[vertical_idx]
            )

        mu = coefficient["alpha"] + coefficient["beta"] * x
        sigma = chosen["sigma"].create("sigma")
        if likelihood == "student_t":
            nu = chosen["nu"].create("nu")
            pm.StudentT(
                data.outcome_name, nu=nu, mu=mu, sigma=sigma, observed=data.outcome, dims="obs_id"
            )
        else:
            pm.Normal(data.outcome_name, mu=mu, sigma=sigma, observed=data.outcome, dims="obs_id")
    return model


def _posterior_draws(idata, name: str) -> np.ndarray:
    """A posterior variable as an array with the draws (chains stacked) first."""
    posterior = idata["posterior"]
    if name not in posterior.data_vars:
        raise WorkbookInputError(f"the posterior has no variable {name!r}")
    variable = posterior[name]
    extra = [d for d in variable.dims if d not in ("chain", "draw")]
    values = variable.transpose("chain", "draw", *extra).values
    return values.reshape((-1, *values.shape[2:]))


def crossed_response_curves(
    idata,
    data: CrossedData,
    groups: Sequence[tuple[str, str]],
    *,
    new_countries: Mapping[str, str] | None = None,
    log_spend: Sequence[float] | None = None,
    rng: np.random.Generator | None = None,
    predictive: bool = False,
) -> pd.DataFrame:
    """Expected outcome over a range of spend for (country, vertical) pairs, with bands.

    For a country of the data the draws of its four group parts are added up. A country
    listed in ``new_countries`` (name -> region) has no data: each posterior draw gets a
    fresh country part drawn from the population, ``N(0, sigma_alpha_country)`` and
    ``N(0, sigma_beta_country)``, on top of its region's part, so its band carries the
    between-country spread as well as the uncertainty about the region.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit of :func:`build_crossed_model` on ``data``.
    data : CrossedData
    groups : sequence of (country, vertical)
    new_countries : mapping of str to str, optional
        New countries and the (known) region each belongs to.
    log_spend : sequence of float, optional
        Where to predict (default: 25 points across the data's range).
    rng : numpy.random.Generator, optional
        Draws the new countries' parts and the noise; needed when there are new countries
        or ``predictive`` is true.
    predictive : bool
        False (default): bands of the expected outcome. True: bands of the outcome of one
        new campaign, each draw's curve plus a draw of the noise (Student-t with the draw's
        ``nu`` and ``sigma``, or normal where the fit has no ``nu``).

    Returns
    -------
    DataFrame
        One row per group and spend value: ``group`` ("country · vertical"), ``country``,
        ``vertical``, ``new_country`` (bool), ``n_obs`` (the country's observations),
        ``log_spend``, ``mean``, ``lower_90``, ``upper_90``, ``lower_50``, ``upper_50``.
    """
    new_countries = dict(new_countries or {})
    if new_countries and rng is None:
        raise WorkbookInputError("predicting a new country needs rng= to draw its effect")
    if predictive and rng is None:
        raise WorkbookInputError("predicting a new campaign needs rng= to draw its noise")
    if not groups:
        raise WorkbookInputError("groups is empty; pass (country, vertical) pairs to predict")
    dims = data.columns
    for name, region in new_countries.items():
        if name in data.names["country"]:
            raise WorkbookInputError(f"{name!r} is a country of the data, not a new one")
        if region not in data.names["region"]:
            known = ", ".join(data.names["region"])
            raise WorkbookInputError(
                f"region {region!r} of {name!r} is not in the data; known: {known}"
            )
    if log_spend is None:
        observed = data.predictor + data.centre
        grid = np.linspace(observed.min(), observed.max(), 25)
    else:
        grid = np.asarray(log_spend, dtype=float)
        if grid.ndim != 1 or not len(grid) or not np.isfinite(grid).all():
            raise WorkbookInputError(
                f"log_spend must be a list of finite numbers, got {log_spend!r}"
            )
    x = grid - data.centre

    draws = {
        (name, level): _posterior_draws(idata, f"{name}_{dims[level]}")
        for name in ("alpha", "beta")
        for level in LEVELS
    }
    mu = {name: _posterior_draws(idata, f"mu_{name}") for name in ("alpha", "beta")}
    n_draws = mu["alpha"].shape[0]
    new_parts = {}
    for name in new_countries:
        new_parts[name] = {
            coef: _posterior_draws(idata, f"sigma_{coef}_{dims['country']}")
            * rng.standard_normal(n_draws)
            for coef in ("alpha", "beta")
        }
    counts = data.counts("country")
    frames = []
    for country, vertical in groups:
        is_new = country in new_countries
        region = new_countries[country] if is_new else data.region_of(country)
        industry = data.industry_of(vertical)
        positions = {
            "region": data._position("region", region),
            "vertical": data._position("vertical", vertical),
            "industry": data._position("industry", industry),
        }
        if not is_new:
            positions["country"] = data._position("country", country)
        coefficient = {}
        for name in ("alpha", "beta"):
            total = mu[name].copy()
            for level, position in positions.items():
                total = total + draws[(name, level)][:, position]
            if is_new:
                total = total + new_parts[country][name]
            coefficient[name] = total
        curves = coefficient["alpha"][:, None] + coefficient["beta"][:, None] * x[None, :]
        if predictive:
            curves = curves + _noise_draws(idata, curves.shape, rng)
        quantiles = np.quantile(curves, [0.05, 0.25, 0.75, 0.95], axis=0)
        frames.append(
            pd.DataFrame(
                {
                    "group": f"{country} · {vertical}",
                    "country": country,
                    "vertical": vertical,
                    "new_country": is_new,
                    "n_obs": 0 if is_new else int(counts[country]),
                    "log_spend": grid,
                    "mean": curves.mean(axis=0),
                    "lower_90": quantiles[0],
                    "lower_50": quantiles[1],
                    "upper_50": quantiles[2],
                    "upper_90": quantiles[3],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _noise_draws(idata, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """One noise draw per posterior draw (rows) and spend value (columns)."""
    sigma = _posterior_draws(idata, "sigma")[:, None]
    if "nu" in idata["posterior"].data_vars:
        nu = _posterior_draws(idata, "nu")[:, None]
        return sigma * rng.standard_t(np.broadcast_to(nu, shape))
    return sigma * rng.standard_normal(shape)


def crossed_recovery(idata, truth: pd.DataFrame, *, prob: float = 0.9) -> pd.DataFrame:
    """Each simulated true value beside its posterior mean and central interval.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit with a ``posterior`` group.
    truth : DataFrame
        Columns ``parameter``, ``group`` (empty for scalars) and ``true``, as in
        :attr:`CrossedSimulation.truth`. Rows whose parameter or group the posterior does
        not have (a country kept out of the data) are left out.
    prob : float
        Mass of the central (equal-tailed) interval.

    Returns
    -------
    DataFrame
        ``parameter``, ``group``, ``true_value``, ``posterior_mean``, ``lower``, ``upper``
        and ``covered`` (the true value lies inside the interval).
    """
    if not 0 < prob < 1:
        raise WorkbookInputError(f"prob must be between 0 and 1, got {prob!r}")
    missing = {"parameter", "group", "true"} - set(truth.columns)
    if missing:
        raise WorkbookInputError(
            f"truth needs the columns parameter, group and true; missing {sorted(missing)}"
        )
    posterior = idata["posterior"]
    tail = (1 - prob) / 2
    rows = []
    for row in truth.itertuples(index=False):
        if row.parameter not in posterior.data_vars:
            continue
        variable = posterior[row.parameter]
        if row.group:
            (dim,) = [d for d in variable.dims if d not in ("chain", "draw")]
            if row.group not in variable[dim].values:
                continue
            variable = variable.sel({dim: row.group})
        values = variable.values.ravel()
        lower, upper = np.quantile(values, [tail, 1 - tail])
        rows.append(
            {
                "parameter": row.parameter,
                "group": row.group,
                "true_value": float(row.true),
                "posterior_mean": float(values.mean()),
                "lower": float(lower),
                "upper": float(upper),
                "covered": bool(lower <= row.true <= upper),
            }
        )
    return pd.DataFrame(rows)
