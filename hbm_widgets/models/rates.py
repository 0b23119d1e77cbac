"""Partially pooled rates: a hierarchical binomial (or Poisson) model on the log-odds scale.

Group ``j`` has ``y_j`` successes in ``n_j`` trials (binomial) or ``y_j`` events over an
exposure ``n_j`` (Poisson). Its rate lives on an unbounded scale, and that is where the groups
are pooled:

    y_j ~ Binomial(n_j, logit^-1(alpha_j))     or     y_j ~ Poisson(n_j * exp(alpha_j))
    alpha_j = mu_alpha + sigma_alpha * z_alpha_j,   z_alpha_j ~ Normal(0, 1)   (non-centred)

Unlike the normal model there is no separate noise scale: the binomial's variance is fixed by
its rate, so how much a group is shrunk depends on its number of trials and on where its rate
lies. :func:`beta_binomial_empirical_bayes` gives the closed-form cousin (a beta prior fitted
to all groups) as a check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pymc as pm
from scipy import optimize, special

from hbm_widgets.core.data import _as_numeric, _read_shipped
from hbm_widgets.core.errors import DataValidationError, SpecificationError, WorkbookInputError
from hbm_widgets.core.priors import Prior

__all__ = [
    "BetaBinomialFit",
    "beta_binomial_empirical_bayes",
    "build_rate_model",
    "load_baseball",
    "load_pumps",
    "pooled_rates",
    "population_rate",
    "rate_priors",
]

_FAMILIES = ("binomial", "poisson")
_POOLING = ("partial", "none", "complete")
_PARAMETERIZATIONS = ("non_centered", "centered")


def load_baseball() -> pd.DataFrame:
    """Batting records of 322 major-league players in the 1986 season.

    Columns: ``player``, ``team``, ``league`` (``A``/``N``), ``position``, ``at_bats`` and
    ``hits`` in 1986, and ``career_at_bats`` and ``career_hits`` before 1986 (0 for a
    rookie).

    Examples
    --------
    >>> baseball = load_baseball()
    >>> baseball.shape, int(baseball["at_bats"].min()), int(baseball["at_bats"].max())
    ((322, 8), 16, 687)
    """
    return _read_shipped("baseball.csv")


# Failures of ten pumps at a nuclear power plant and their operating times, in thousands of
# hours (Gaver and O'Muircheartaigh 1987; the "pumps" example of the BUGS manual).
_PUMP_FAILURES = (5, 1, 5, 14, 3, 19, 1, 1, 4, 22)
_PUMP_THOUSAND_HOURS = (94.3, 15.7, 62.9, 126.0, 5.24, 31.4, 1.05, 1.05, 2.1, 10.5)


def load_pumps() -> pd.DataFrame:
    """Failures of ten power-plant pumps over their operating times: counts with exposure.

    Columns: ``pump`` (``pump 01`` ... ``pump 10``), ``failures`` and ``thousand_hours``
    (operating time in thousands of hours). Gaver and O'Muircheartaigh (1987), the "pumps"
    example of the BUGS manual: a Poisson count per pump, with an exposure that ranges from
    about a thousand hours to over a hundred thousand.

    Examples
    --------
    >>> pumps = load_pumps()
    >>> pumps.shape, int(pumps["failures"].sum())
    ((10, 3), 75)
    """
    return pd.DataFrame(
        {
            "pump": [f"pump {number:02d}" for number in range(1, 11)],
            "failures": np.array(_PUMP_FAILURES, dtype=np.int64),
            "thousand_hours": np.array(_PUMP_THOUSAND_HOURS, dtype=float),
        }
    )


@dataclass(frozen=True, eq=False)
class _RateData:
    count: np.ndarray
    size: np.ndarray
    group_idx: np.ndarray
    group_names: np.ndarray
    group: str
    count_name: str
    size_name: str


def _rate_data(frame: pd.DataFrame, group: str, count: str, size: str, family: str) -> _RateData:
    if not isinstance(frame, pd.DataFrame):
        raise DataValidationError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    if family not in _FAMILIES:
        raise SpecificationError(
            f"unknown family {family!r}; expected one of: {', '.join(_FAMILIES)}"
        )
    roles = {"group": group, "count": count, "size": size}
    for role, column in roles.items():
        if column not in frame.columns:
            available = ", ".join(map(str, frame.columns))
            raise DataValidationError(
                f"{role} column {column!r} is not in the data; available columns: {available}"
            )
    if len(set(roles.values())) < 3:
        raise DataValidationError(f"each role needs its own column, got {roles}")
    y = _as_numeric(frame[count], "count", count).to_numpy()
    n = _as_numeric(frame[size], "size", size).to_numpy()
    labels = frame[group]
    for name, values in ((count, y), (size, n)):
        if np.isnan(values).any():
            raise DataValidationError(
                f"column {name!r} has {int(np.isnan(values).sum())} missing value(s); "
                "fill them in or drop those rows first"
            )
    if labels.isna().any():
        raise DataValidationError(f"group column {group!r} has missing labels")
    bad = (y < 0) | (y != np.round(y))
    if bad.any():
        raise DataValidationError(
            f"counts in {count!r} must be whole numbers >= 0, got {y[bad][0]:g} "
            f"(row {int(np.flatnonzero(bad)[0])})"
        )
    if (n <= 0).any():
        raise DataValidationError(
            f"{size!r} must be positive in every row, got {n[n <= 0][0]:g} "
            f"(row {int(np.flatnonzero(n <= 0)[0])})"
        )
    if family == "binomial":
        if (n != np.round(n)).any():
            raise DataValidationError(f"trials in {size!r} must be whole numbers for a binomial")
        over = y > n
        if over.any():
            row = int(np.flatnonzero(over)[0])
            raise DataValidationError(
                f"row {row} has {y[row]:g} successes in {count!r} but only {n[row]:g} trials "
                f"in {size!r}; successes cannot exceed trials"
            )
    codes, names = pd.factorize(labels.astype(str), sort=True)
    if len(names) < 2:
        raise DataValidationError(
            f"group column {group!r} has {len(names)} distinct value(s); "
            "pooling needs at least two groups"
        )
    return _RateData(
        count=y.astype(np.int64),
        size=n.astype(np.int64) if family == "binomial" else n.astype(float),
        group_idx=codes.astype(np.int64),
        group_names=np.asarray(names),
        group=group,
        count_name=count,
        size_name=size,
    )


def _link(rate: float, family: str) -> float:
    rate = min(max(rate, 1e-6), 1 - 1e-6) if family == "binomial" else max(rate, 1e-9)
    return float(special.logit(rate)) if family == "binomial" else float(np.log(rate))


def rate_priors(
    frame: pd.DataFrame, *, count: str, size: str, family: str = "binomial"
) -> dict[str, Prior]:
    """Default priors, on the link scale, for :func:`build_rate_model`.

    The centre's prior is a normal around the pooled rate of the data (``sum(count) /
    sum(size)`` on the logit or log scale) with SD 1.5 (binomial) or 2 (Poisson): a rate of
    0.27 gives a 90% prior range of about 0.03 to 0.8. The spread between groups gets a
    HalfNormal(1) prior: groups differing by a factor of e in their odds are possible,
    by e^3 implausible.
    """
    if family not in _FAMILIES:
        raise SpecificationError(
            f"unknown family {family!r}; expected one of: {', '.join(_FAMILIES)}"
        )
    pooled = float(frame[count].sum()) / float(frame[size].sum())
    centre = float(f"{_link(pooled, family):.2g}")
    width = 1.5 if family == "binomial" else 2.0
    location = Prior("Normal", mu=centre, sigma=width)
    return {
        "alpha": location,
        "mu_alpha": location,
        "sigma_alpha": Prior("HalfNormal", sigma=1),
    }


def build_rate_model(
    frame: pd.DataFrame,
    *,
    group: str,
    count: str,
    size: str,
    family: str = "binomial",
    pooling: str = "partial",
    parameterization: str = "non_centered",
    priors: dict[str, Prior] | None = None,
) -> pm.Model:
    """A binomial or Poisson model of rates by group, pooled on the link scale.

    Parameters
    ----------
    frame : DataFrame
        One row per group (or several rows per group, which then share one rate).
    group : str
        The group label column; the model's dim is named after it.
    count : str
        Successes (binomial) or events (Poisson); the observed variable is named after it.
    size : str
        Trials (binomial) or exposure (Poisson, events expected = exposure x rate).
    family : {"binomial", "poisson"}
    pooling : {"partial", "none", "complete"}
        ``complete`` fits one rate for everyone, ``none`` one rate per group with no
        hyperprior, ``partial`` draws the groups' log-odds (log rates) from a normal
        population.
    parameterization : {"non_centered", "centered"}
    priors : dict of str to Prior, optional
        Overrides for ``mu_alpha``, ``sigma_alpha`` (partial pooling) or ``alpha``
        (the other two); the rest come from :func:`rate_priors`.

    Returns
    -------
    pymc.Model
        Partial pooling has free variables ``mu_alpha``, ``sigma_alpha`` and ``z_alpha``
        (``alpha`` when centred), deterministic ``alpha`` (link scale) and ``rate``
        (dims the group column), and the observed count.

    Raises
    ------
    DataValidationError
        Missing columns or values, negative or fractional counts, more successes than
        trials, non-positive sizes, or fewer than two groups.
    SpecificationError
        An unknown family, pooling or parameterisation, or a prior for an unknown role.

    Examples
    --------
    >>> model = build_rate_model(load_baseball(), group="player", count="hits", size="at_bats")
    >>> sorted(v.name for v in model.free_RVs)
    ['mu_alpha', 'sigma_alpha', 'z_alpha']
    """
    data = _rate_data(frame, group, count, size, family)
    if pooling not in _POOLING:
        raise SpecificationError(
            f"unknown pooling {pooling!r}; expected one of: {', '.join(_POOLING)}"
        )
    if parameterization not in _PARAMETERIZATIONS:
        raise SpecificationError(
            f"unknown parameterization {parameterization!r}; expected one of: "
            f"{', '.join(_PARAMETERIZATIONS)}"
        )
    chosen = rate_priors(frame, count=count, size=size, family=family)
    roles = ("mu_alpha", "sigma_alpha") if pooling == "partial" else ("alpha",)
    for role, prior in (priors or {}).items():
        if role not in roles:
            raise SpecificationError(
                f"no parameter called {role!r} takes a prior under pooling={pooling!r}; "
                f"expected one of: {', '.join(roles)}"
            )
        if not isinstance(prior, Prior):
            raise SpecificationError(f"the prior for {role!r} must be a Prior, got {prior!r}")
        wanted = "positive" if role.startswith("sigma") else "real"
        if prior.support != wanted:
            raise SpecificationError(f"{role!r} needs a prior on {wanted} values, got {prior}")
        chosen[role] = prior

    coords = {data.group: data.group_names.tolist(), "obs_id": np.arange(len(data.count))}
    with pm.Model(coords=coords) as model:
        group_idx = pm.Data(f"{data.group}_idx", data.group_idx, dims="obs_id")
        size_data = pm.Data(data.size_name, data.size, dims="obs_id")
        if pooling == "complete":
            alpha = chosen["alpha"].create("alpha")
            alpha_obs = alpha
        elif pooling == "none":
            alpha = chosen["alpha"].create("alpha", dims=data.group)
            alpha_obs = alpha[group_idx]
        else:
            mu_alpha = chosen["mu_alpha"].create("mu_alpha")
            sigma_alpha = chosen["sigma_alpha"].create("sigma_alpha")
            if parameterization == "centered":
                alpha = pm.Normal("alpha", mu=mu_alpha, sigma=sigma_alpha, dims=data.group)
            else:
                z_alpha = pm.Normal("z_alpha", mu=0, sigma=1, dims=data.group)
                alpha = pm.Deterministic("alpha", mu_alpha + sigma_alpha * z_alpha, dims=data.group)
            alpha_obs = alpha[group_idx]
        inverse_link = pm.math.invlogit if family == "binomial" else pm.math.exp
        rate_dims = None if pooling == "complete" else data.group
        pm.Deterministic("rate", inverse_link(alpha), dims=rate_dims)
        if family == "binomial":
            pm.Binomial(
                data.count_name,
                n=size_data,
                p=inverse_link(alpha_obs),
                observed=data.count,
                dims="obs_id",
            )
        else:
            pm.Poisson(
                data.count_name,
                mu=size_data * inverse_link(alpha_obs),
                observed=data.count,
                dims="obs_id",
            )
    return model


def pooled_rates(
    idata,
    frame: pd.DataFrame,
    *,
    group: str,
    count: str,
    size: str,
    family: str = "binomial",
    prob: float = 0.9,
) -> pd.DataFrame:
    """Raw and modelled rate of every group, side by side.

    Returns
    -------
    DataFrame
        One row per group (sorted like the model's dim): the group column, ``n`` (total
        size), ``count``, ``raw_rate`` (count / size), ``pooled_rate`` (posterior mean of
        ``rate``), ``lower`` and ``upper`` (central ``prob`` interval) and ``shrinkage``
        (the share of the distance from the raw rate to the population rate that the
        estimate moved, ``(raw - pooled) / (raw - population)``, NaN when the raw rate is
        the population rate).
    """
    if not 0 < prob < 1:
        raise WorkbookInputError(f"prob must be between 0 and 1, got {prob!r}")
    posterior = idata["posterior"]
    if "rate" not in posterior.data_vars:
        raise WorkbookInputError("the posterior has no variable 'rate'; fit build_rate_model first")
    totals = frame.groupby(frame[group].astype(str))[[count, size]].sum()
    rate = posterior["rate"]
    if group not in rate.dims:
        raise WorkbookInputError(
            f"the fit's rate has no {group!r} dimension (a complete-pooling fit has one rate)"
        )
    names = [str(v) for v in rate[group].values]
    totals = totals.reindex(names)
    draws = rate.transpose("chain", "draw", group).values.reshape(-1, len(names))
    tail = (1 - prob) / 2
    lower, upper = np.quantile(draws, [tail, 1 - tail], axis=0)
    raw = totals[count].to_numpy(dtype=float) / totals[size].to_numpy(dtype=float)
    pooled = draws.mean(axis=0)
    population = population_rate(idata, family)
    with np.errstate(divide="ignore", invalid="ignore"):
        shrinkage = np.where(
            np.isclose(raw, population), np.nan, (raw - pooled) / (raw - population)
        )
    return pd.DataFrame(
        {
            group: names,
            "n": totals[size].to_numpy(),
            "count": totals[count].to_numpy(),
            "raw_rate": raw,
            "pooled_rate": pooled,
            "lower": lower,
            "upper": upper,
            "shrinkage": shrinkage,
        }
    )


def population_rate(idata, family: str = "binomial") -> float:
    """The rate of a typical group: the inverse link of ``mu_alpha``'s posterior mean.

    NaN for a fit without ``mu_alpha`` (no or complete pooling).
    """
    if family not in _FAMILIES:
        raise SpecificationError(
            f"unknown family {family!r}; expected one of: {', '.join(_FAMILIES)}"
        )
    posterior = idata["posterior"]
    if "mu_alpha" not in posterior.data_vars:
        return float("nan")
    centre = float(posterior["mu_alpha"].mean())
    return float(special.expit(centre)) if family == "binomial" else float(np.exp(centre))


@dataclass(frozen=True)
class BetaBinomialFit:
    """A beta prior fitted to all groups by maximum marginal likelihood, and its posteriors.

    Attributes
    ----------
    a, b : float
        The fitted ``Beta(a, b)`` population of rates.
    prior_mean : float
        ``a / (a + b)``, the rate every group is shrunk towards.
    prior_size : float
        ``a + b``: the prior is worth that many trials.
    posterior_mean : ndarray
        ``(a + y_j) / (a + b + n_j)`` for each group, in input order.
    """

    a: float
    b: float
    prior_mean: float
    prior_size: float
    posterior_mean: np.ndarray


def beta_binomial_empirical_bayes(successes, trials) -> BetaBinomialFit:
    """Empirical Bayes for rates: fit ``Beta(a, b)`` to all groups, then update each one.

    Each group's successes follow a beta-binomial distribution once its rate is integrated
    out; ``a`` and ``b`` maximise the product of those marginal likelihoods. With the beta
    prior fixed, each group's posterior is ``Beta(a + y_j, b + n_j - y_j)``, whose mean
    ``(a + y_j) / (a + b + n_j)`` is the raw rate shrunk towards ``a / (a + b)`` with the
    weight ``n_j / (n_j + a + b)`` on the data.

    Examples
    --------
    >>> fit = beta_binomial_empirical_bayes([1, 30, 5], [4, 100, 20])
    >>> bool(fit.a > 0 and fit.b > 0)
    True
    """
    y = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    if y.shape != n.shape or y.ndim != 1 or len(y) < 2:
        raise WorkbookInputError(
            "successes and trials must be two lists of the same length, with at least two groups"
        )
    if (n <= 0).any() or (y < 0).any() or (y > n).any():
        raise WorkbookInputError("need 0 <= successes <= trials and trials > 0 for every group")

    def negative_log_marginal(params):
        a, b = np.exp(params)
        return -np.sum(special.betaln(a + y, b + n - y) - special.betaln(a, b))

    pooled = y.sum() / n.sum()
    start = np.log([pooled * 10, (1 - pooled) * 10])
    result = optimize.minimize(
        negative_log_marginal,
        start,
        method="Nelder-Mead",
        options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 5000},
    )
    a, b = (float(v) for v in np.exp(result.x))
    return BetaBinomialFit(
        a=a,
        b=b,
        prior_mean=a / (a + b),
        prior_size=a + b,
        posterior_mean=(a + y) / (a + b + n),
    )
