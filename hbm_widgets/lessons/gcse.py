"""The GCSE coursework analysis: maximum likelihood against Bayes, missing scores, rankings.

Chapter 06 fits ``course ~ 1 + female + (1 + female | school)`` twice, by maximum likelihood
with statsmodels' ``MixedLM`` (through :func:`hbm_widgets.fit_mixedlm`) and by Bayes with
:func:`hbm_widgets.build_model`, and lays the two side by side. This module holds what
``build_model`` cannot do:

- :func:`missing_data_patterns` and :func:`school_overview` describe the data as they are;
- :func:`ml_vs_bayes_table` puts the maximum-likelihood fit (:func:`hbm_widgets.fit_mixedlm`)
  and the posterior next to the published reference values;
- :func:`build_joint_model` models ``course`` and ``written`` together, so that students with
  only one of the two scores still count;
- :func:`expected_scores`, :func:`school_ranks`, :func:`compare_schools` and
  :func:`pairwise_probabilities` turn posterior draws into rankings and comparisons;
- :func:`school_line_estimates` gives each school's no-pooling and partial-pooling line.

Schools are named by their identifier as a string (``"20920"``); integers are accepted too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import xarray as xr
from scipy import stats

from hbm_widgets.core.data import GroupedData
from hbm_widgets.core.errors import DataValidationError, WorkbookInputError
from hbm_widgets.core.priors import Prior
from hbm_widgets.lessons.mixedlm import MixedLMFit

__all__ = [
    "GCSE_REFERENCE",
    "SchoolComparison",
    "build_joint_model",
    "compare_schools",
    "expected_scores",
    "format_comparison_table",
    "missing_data_patterns",
    "ml_vs_bayes_table",
    "pairwise_probabilities",
    "posterior_scalars",
    "rank_summary",
    "sampling_cost",
    "school_line_estimates",
    "school_lines",
    "school_overview",
    "school_ranks",
    "score_histograms",
    "score_priors",
    "score_summary",
]

# The published comparison this chapter reproduces: lmer (ML) and Stan (Bayes) on the 1725
# students with a coursework score. Values are (estimate, standard error or posterior SD);
# None where the source gives no uncertainty. Correlation and residual SD were not reported.
GCSE_REFERENCE: Mapping[str, Mapping[str, tuple[float, float | None]]] = {
    "ML (lmer)": {
        "sd_intercept": (10.146, None),
        "sd_female": (6.924, None),
        "intercept": (69.425, 1.352),
        "female": (7.128, 1.131),
        "students": (1725, None),
        "schools": (73, None),
    },
    "Bayes (Stan)": {
        "sd_intercept": (10.249, None),
        "sd_female": (7.099, None),
        "intercept": (69.413, 1.287),
        "female": (7.132, 1.165),
        "students": (1725, None),
        "schools": (73, None),
    },
}

# Rows of the comparison table, in the order the published table uses, with their labels.
_TABLE_ROWS = [
    ("A. school effects (SD)", "intercept", "sd_intercept"),
    ("A. school effects (SD)", "female", "sd_female"),
    ("A. school effects (SD)", "correlation", "correlation"),
    ("A. school effects (SD)", "residual SD", "residual_sd"),
    ("B. fixed effects", "intercept", "intercept"),
    ("B. fixed effects", "female", "female"),
    ("N", "students", "students"),
    ("N", "schools", "schools"),
]


# --------------------------------------------------------------------------------------------
# The data as they are
# --------------------------------------------------------------------------------------------


def _check_columns(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise DataValidationError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise DataValidationError(
            f"column {absent[0]!r} is not in the data; available columns: "
            f"{', '.join(map(str, frame.columns))}"
        )


def missing_data_patterns(
    frame: pd.DataFrame,
    *,
    outcomes: Sequence[str] = ("course", "written"),
    covariate: str = "female",
) -> pd.DataFrame:
    """Students by which scores they have, with the average of what is observed.

    One row per pattern (``both``, ``only course``, ``only written``, ``neither``) that
    occurs: the number of students, their share, the covariate's mean and each outcome's
    mean among them (NaN where the outcome is missing by definition). If the averages of the
    observed columns differ between patterns, the scores are not missing completely at random.

    Examples
    --------
    >>> from hbm_widgets import load_gcse
    >>> missing_data_patterns(load_gcse())["students"].tolist()
    [1523, 202, 180]
    """
    first, second = outcomes
    _check_columns(frame, [first, second, covariate])
    has_first, has_second = frame[first].notna(), frame[second].notna()
    patterns = {
        "both": has_first & has_second,
        f"only {first}": has_first & ~has_second,
        f"only {second}": ~has_first & has_second,
        "neither": ~has_first & ~has_second,
    }
    rows = []
    for name, mask in patterns.items():
        if not mask.any():
            continue
        rows.append(
            {
                "pattern": name,
                "students": int(mask.sum()),
                "share": float(mask.mean()),
                f"mean {covariate}": float(frame.loc[mask, covariate].mean()),
                f"mean {first}": float(frame.loc[mask, first].mean()),
                f"mean {second}": float(frame.loc[mask, second].mean()),
            }
        )
    return pd.DataFrame(rows)


def school_overview(
    frame: pd.DataFrame,
    *,
    group: str = "school",
    covariate: str = "female",
    outcomes: Sequence[str] = ("course", "written"),
) -> pd.DataFrame:
    """One row per school: students, how many have each score, and the covariate's share.

    Examples
    --------
    >>> from hbm_widgets import load_gcse
    >>> overview = school_overview(load_gcse())
    >>> len(overview), int(overview["students"].sum())
    (73, 1905)
    """
    _check_columns(frame, [group, covariate, *outcomes])
    grouped = frame.groupby(group, sort=True)
    table = pd.DataFrame({"students": grouped.size()})
    for outcome in outcomes:
        table[f"with {outcome}"] = grouped[outcome].count()
    table[f"{covariate} share"] = grouped[covariate].mean()
    table.index = table.index.astype(str)
    return table.reset_index()


# --------------------------------------------------------------------------------------------
# Bayes, and the two side by side
# --------------------------------------------------------------------------------------------

_SCALARS = ["mu_alpha", "mu_beta", "sigma_alpha", "sigma_beta", "rho", "sigma"]


def posterior_scalars(idata: xr.DataTree, var_names: Sequence[str] = _SCALARS) -> pd.DataFrame:
    """Posterior mean, SD, median and 90% interval of scalar parameters, one row each."""
    posterior = idata["posterior"].to_dataset()
    missing = [v for v in var_names if v not in posterior.data_vars]
    if missing:
        raise WorkbookInputError(
            f"the posterior has no variable {missing[0]!r}; it has {', '.join(posterior.data_vars)}"
        )
    rows = {}
    for name in var_names:
        values = posterior[name].to_numpy().ravel()
        rows[name] = {
            "mean": float(values.mean()),
            "sd": float(values.std(ddof=1)),
            "median": float(np.median(values)),
            "q5": float(np.quantile(values, 0.05)),
            "q95": float(np.quantile(values, 0.95)),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def ml_vs_bayes_table(
    ml: MixedLMFit,
    idata: xr.DataTree,
    data: GroupedData,
    *,
    reference: Mapping[str, Mapping[str, tuple[float, float | None]]] = GCSE_REFERENCE,
) -> pd.DataFrame:
    """The ML fit, the posterior and the reference values in one numeric table.

    Rows are indexed by ``(section, term)`` in the published order: the school-level SDs of
    intercept and slope, their correlation and the residual SD; the fixed effects; and the
    numbers of students and schools. Columns are ``(source, "value" | "uncertainty")`` where
    uncertainty is the standard error of a fixed effect (ML), the posterior SD (Bayes), or
    NaN when not given. Bayes values are posterior means, as Stan's summary reports them.

    Parameters
    ----------
    ml : MixedLMFit
        :func:`hbm_widgets.fit_mixedlm` of the varying intercept and slope spec, on ``data``.
    idata : xarray.DataTree
        The posterior of :func:`hbm_widgets.build_model` with the same spec and data.
    data : GroupedData
    reference : mapping
        Published values per source, as in ``GCSE_REFERENCE``.
    """
    if not isinstance(ml, MixedLMFit):
        raise WorkbookInputError(f"expected a MixedLMFit from fit_mixedlm, got {type(ml).__name__}")
    if not ml.spec.correlated:
        raise WorkbookInputError(
            f"the ML fit must vary intercept and slope together, got {ml.spec.label!r}"
        )
    estimates = ml.estimates()
    scalars = posterior_scalars(idata)
    names = {
        "sd_intercept": "sigma_alpha",
        "sd_female": "sigma_beta",
        "correlation": "rho",
        "residual_sd": "sigma",
        "intercept": "mu_alpha",
        "female": "mu_beta",
    }
    with_se = ("intercept", "female")
    ml_values = {
        key: (
            float(estimates.loc[name, "estimate"]),
            float(estimates.loc[name, "se"]) if key in with_se else math.nan,
        )
        for key, name in names.items()
    }
    ml_values["students"] = (int(ml.result.nobs), math.nan)
    ml_values["schools"] = (len(ml.result.model.group_labels), math.nan)
    bayes_values = {
        key: (scalars.loc[name, "mean"], scalars.loc[name, "sd"]) for key, name in names.items()
    }
    bayes_values["students"] = (data.n_obs, math.nan)
    bayes_values["schools"] = (data.n_groups, math.nan)
    method = "REML" if ml.reml else "ML"
    sources = {f"{method} (statsmodels)": ml_values, "Bayes (PyMC)": bayes_values}
    for name, values in reference.items():
        sources[f"reference: {name}"] = {
            key: (v[0], math.nan if v[1] is None else v[1]) for key, v in values.items()
        }
    columns = pd.MultiIndex.from_product([list(sources), ["value", "uncertainty"]])
    index = pd.MultiIndex.from_tuples([(s, t) for s, t, _ in _TABLE_ROWS], names=["", "term"])
    table = pd.DataFrame(np.nan, index=index, columns=columns)
    for source, values in sources.items():
        for section, term, key in _TABLE_ROWS:
            value, uncertainty = values.get(key, (math.nan, math.nan))
            table.loc[(section, term), (source, "value")] = value
            table.loc[(section, term), (source, "uncertainty")] = uncertainty
    return table


def format_comparison_table(table: pd.DataFrame, *, decimals: int = 3) -> pd.DataFrame:
    """The table of :func:`ml_vs_bayes_table` as text, ``estimate (uncertainty)`` per cell.

    Counts are shown as whole numbers and values a source does not give as an en dash.
    """
    sources = list(dict.fromkeys(table.columns.get_level_values(0)))
    text = pd.DataFrame(index=table.index, columns=sources, dtype=object)
    for (section, term), row in table.iterrows():
        for source in sources:
            value, uncertainty = row[(source, "value")], row[(source, "uncertainty")]
            if pd.isna(value):
                cell = "–"
            elif section == "N":
                cell = f"{int(value)}"
            else:
                cell = f"{value:.{decimals}f}"
                if not pd.isna(uncertainty):
                    cell += f" ({uncertainty:.{decimals}f})"
            text.loc[(section, term), source] = cell
    return text


def sampling_cost(idata: xr.DataTree, var_names: Sequence[str] | None = None) -> dict:
    """How much work a fit took and what it bought: ESS per 1000 gradient evaluations.

    Wall-clock time depends on what else the machine is doing; the number of leapfrog steps
    NUTS took (each one gradient evaluation) does not. Returns ``min_ess_bulk``,
    ``gradient_evaluations``, ``ess_per_1000_gradients``, ``mean_tree_depth`` and
    ``divergences`` (kept draws only).
    """
    if "sample_stats" not in idata.children or "n_steps" not in idata["sample_stats"].data_vars:
        raise WorkbookInputError("the fit has no NUTS sample statistics (n_steps)")
    stats_ = idata["sample_stats"]
    summary = az.summary(idata, var_names=var_names, kind="diagnostics", round_to="none")
    ess = float(np.nanmin(summary["ess_bulk"]))
    steps = float(stats_["n_steps"].sum())
    return {
        "min_ess_bulk": ess,
        "gradient_evaluations": int(steps),
        "ess_per_1000_gradients": 1000 * ess / steps,
        "mean_tree_depth": float(stats_["tree_depth"].mean()),
        "divergences": int(stats_["diverging"].sum()),
    }


# --------------------------------------------------------------------------------------------
# Course and written scores together
# --------------------------------------------------------------------------------------------


def score_priors(score_range: tuple[float, float] = (0.0, 100.0)) -> dict[str, Prior]:
    """Weakly informative priors for a bounded score, from the width of its scale alone.

    For a score that can only lie in ``score_range`` (width ``W``) and a 0/1 predictor:

    - ``mu_alpha ~ Normal(centre, W / 5)``: a typical group's mean lies within the scale;
    - ``mu_beta ~ Normal(0, W / 10)``: a gap of a fifth of the scale is already large;
    - ``sigma_alpha ~ HalfNormal(0.15 W)``, ``sigma_beta ~ HalfNormal(W / 10)``: groups may
      differ by up to about a third of the scale, their gaps by a fifth;
    - ``rho ~ LKJ(2)`` and ``sigma ~ HalfNormal(W / 5)`` (a residual SD up to two fifths of
      the scale).

    They use no data, only what the scale itself says. Keys are those of
    :data:`hbm_widgets.core.spec.PRIOR_ROLES`, ready for ``ModelSpec.with_prior``.

    Examples
    --------
    >>> score_priors()["mu_alpha"]
    Prior('Normal', mu=50, sigma=20)
    """
    try:
        low, high = (float(v) for v in score_range)
    except (TypeError, ValueError):
        raise WorkbookInputError(
            f"score_range must be two numbers (low, high), got {score_range!r}"
        ) from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise WorkbookInputError(f"score_range needs finite low < high, got {score_range!r}")
    width = high - low
    return {
        "mu_alpha": Prior("Normal", mu=(low + high) / 2, sigma=width / 5),
        "mu_beta": Prior("Normal", mu=0, sigma=width / 10),
        "sigma_alpha": Prior("HalfNormal", sigma=0.15 * width),
        "sigma_beta": Prior("HalfNormal", sigma=width / 10),
        "rho": Prior("LKJCorr", eta=2),
        "sigma": Prior("HalfNormal", sigma=width / 5),
    }


def build_joint_model(
    frame: pd.DataFrame,
    *,
    group: str = "school",
    outcome: str = "course",
    companion: str = "written",
    predictor: str = "female",
    score_range: tuple[float, float] = (0.0, 100.0),
) -> pm.Model:
    """Both scores of every student, with correlated school effects and residuals.

    For student ``i`` in school ``j``, with ``y`` the ``outcome`` and ``w`` the ``companion``
    score and ``x`` the 0/1 predictor,

        y_i = alpha_j + beta_j * x_i + e_i,
        w_i = alpha_written_j + beta_written * x_i + d_i,   (e_i, d_i) bivariate normal,

    with residual SDs ``sigma`` and ``sigma_<companion>`` and residual correlation
    ``rho_residual``. The three school effects ``(alpha_j, beta_j, alpha_written_j)`` are
    multivariate normal around ``mu`` with an LKJ(2) correlation (``school_corr``), written
    non-centred through the Cholesky factor; the companion's predictor effect is shared by
    all schools (letting it vary too leaves it poorly identified on the GCSE data).

    A student with both scores contributes ``p(companion) p(outcome | companion)``; one with a
    single score contributes that score's marginal density (the missing one integrated out
    exactly, which is valid when scores are missing at random given what is observed). So a
    student with only a written score still informs the coursework parameters, through the
    residual and school-level correlations.

    The coursework part is named as :func:`hbm_widgets.build_model` names it (``mu_alpha``,
    ``mu_beta``, ``sigma_alpha``, ``sigma_beta``, ``rho``, ``sigma``, and ``alpha``/``beta``
    over the group dimension), so the same summaries apply. ``<outcome>_expected_missing``
    holds, for each student without an ``outcome`` score, its expected value given the
    student's school, predictor and ``companion`` score.

    Both scores get the priors of :func:`score_priors` for ``score_range`` (the companion's
    intercept, its SD and its residual SD like the outcome's; its shared predictor effect
    like ``mu_beta``); the residual correlation gets LKJ(2).

    Raises
    ------
    DataValidationError
        A column is absent or not numeric, the group or predictor is missing somewhere, or a
        student has neither score.
    """
    _check_columns(frame, [group, outcome, companion, predictor])
    for column in (outcome, companion, predictor):
        if not pd.api.types.is_numeric_dtype(frame[column]):
            raise DataValidationError(
                f"column {column!r} must be numeric, got {frame[column].dtype}"
            )
    for column in (group, predictor):
        if frame[column].isna().any():
            raise DataValidationError(
                f"column {column!r} has {int(frame[column].isna().sum())} missing value(s); "
                "only the scores may be missing"
            )
    y = frame[outcome].to_numpy(dtype=float)
    w = frame[companion].to_numpy(dtype=float)
    x = frame[predictor].to_numpy(dtype=float)
    has_y, has_w = ~np.isnan(y), ~np.isnan(w)
    neither = int((~has_y & ~has_w).sum())
    if neither:
        raise DataValidationError(
            f"{neither} student(s) have neither {outcome!r} nor {companion!r}; they carry no "
            "information for this model, drop them first"
        )
    codes, names = pd.factorize(frame[group], sort=True)
    both = np.flatnonzero(has_y & has_w)
    only_y = np.flatnonzero(has_y & ~has_w)
    only_w = np.flatnonzero(~has_y & has_w)
    priors = {name: prior.kwargs for name, prior in score_priors(score_range).items()}
    location_mu = [priors["mu_alpha"]["mu"], priors["mu_beta"]["mu"], priors["mu_alpha"]["mu"]]
    location_sd = [
        priors["mu_alpha"]["sigma"],
        priors["mu_beta"]["sigma"],
        priors["mu_alpha"]["sigma"],
    ]
    scale_sd = [
        priors["sigma_alpha"]["sigma"],
        priors["sigma_beta"]["sigma"],
        priors["sigma_alpha"]["sigma"],
    ]
    eta = priors["rho"]["eta"]
    effects = [f"{outcome}_intercept", f"{outcome}_{predictor}", f"{companion}_intercept"]
    coords = {
        group: [str(n) for n in names],
        "effect": effects,
        "effect_bis": effects,
        "obs_id": np.arange(len(frame)),
        f"{companion}_obs": np.flatnonzero(has_w),
        f"{outcome}_given_{companion}_obs": both,
        f"{outcome}_only_obs": only_y,
        f"{outcome}_missing_obs": only_w,
    }
    with pm.Model(coords=coords) as model:
        group_idx = pm.Data(f"{group}_idx", codes.astype(np.int64), dims="obs_id")
        x_data = pm.Data(predictor, x, dims="obs_id")
        mu = pm.Normal("mu", mu=location_mu, sigma=location_sd, dims="effect")
        chol, corr, school_sds = pm.LKJCholeskyCov(
            "school_chol",
            n=3,
            eta=eta,
            sd_dist=pm.HalfNormal.dist(sigma=np.asarray(scale_sd), shape=3),
            compute_corr=True,
        )
        pm.Deterministic("school_corr", corr, dims=("effect", "effect_bis"))
        z = pm.Normal("z", 0.0, 1.0, dims=(group, "effect"))
        school_effects = pm.Deterministic(
            "school_effects", mu + pt.dot(z, chol.T), dims=(group, "effect")
        )
        alpha = pm.Deterministic("alpha", school_effects[:, 0], dims=group)
        beta = pm.Deterministic("beta", school_effects[:, 1], dims=group)
        alpha_w = pm.Deterministic(f"alpha_{companion}", school_effects[:, 2], dims=group)
        beta_w = pm.Normal(f"beta_{companion}", **priors["mu_beta"])
        pm.Deterministic("mu_alpha", mu[0])
        pm.Deterministic("mu_beta", mu[1])
        pm.Deterministic(f"mu_alpha_{companion}", mu[2])
        pm.Deterministic("sigma_alpha", school_sds[0])
        pm.Deterministic("sigma_beta", school_sds[1])
        pm.Deterministic(f"sigma_alpha_{companion}", school_sds[2])
        pm.Deterministic("rho", corr[0, 1])

        sigma = pm.HalfNormal("sigma", **priors["sigma"])
        sigma_w = pm.HalfNormal(f"sigma_{companion}", **priors["sigma"])
        # LKJCorr gives the Cholesky factor L of the correlation matrix; for two variables
        # L = [[1, 0], [rho, sqrt(1 - rho^2)]], so the correlation is L[1, 0].
        residual_chol = pm.LKJCorr("residual_chol", n=2, eta=eta)
        rho_residual = pm.Deterministic("rho_residual", residual_chol[1, 0])

        mean_y = alpha[group_idx] + beta[group_idx] * x_data
        mean_w = alpha_w[group_idx] + beta_w * x_data
        slope_on_w = rho_residual * sigma / sigma_w
        has_w_idx = np.flatnonzero(has_w)
        pm.Normal(
            companion,
            mu=mean_w[has_w_idx],
            sigma=sigma_w,
            observed=w[has_w_idx],
            dims=f"{companion}_obs",
        )
        pm.Normal(
            f"{outcome}_given_{companion}",
            mu=mean_y[both] + slope_on_w * (w[both] - mean_w[both]),
            sigma=sigma * pt.sqrt(1 - rho_residual**2),
            observed=y[both],
            dims=f"{outcome}_given_{companion}_obs",
        )
        pm.Normal(
            f"{outcome}_only",
            mu=mean_y[only_y],
            sigma=sigma,
            observed=y[only_y],
            dims=f"{outcome}_only_obs",
        )
        pm.Deterministic(
            f"{outcome}_expected_missing",
            mean_y[only_w] + slope_on_w * (w[only_w] - mean_w[only_w]),
            dims=f"{outcome}_missing_obs",
        )
    return model


# --------------------------------------------------------------------------------------------
# Schools' expected scores, ranks and comparisons
# --------------------------------------------------------------------------------------------


def expected_scores(
    idata: xr.DataTree,
    *,
    group: str = "school",
    levels: Mapping[str, float] | None = None,
    level_name: str = "sex",
) -> xr.DataArray:
    """Posterior draws of each group's expected outcome at given predictor values.

    ``alpha_j + beta_j * x`` for each ``x`` in ``levels`` (by default boys ``x = 0`` and
    girls ``x = 1``), with dims ``("sample", group, level_name)``, chains and draws stacked.
    """
    levels = dict(levels or {"boys": 0.0, "girls": 1.0})
    posterior = idata["posterior"].to_dataset()
    for name in ("alpha", "beta"):
        if name not in posterior.data_vars or group not in posterior[name].dims:
            raise WorkbookInputError(
                f"the posterior needs {name!r} over the {group!r} dimension (a varying intercept "
                "and slope model)"
            )
    alpha = posterior["alpha"].stack(sample=("chain", "draw"))
    beta = posterior["beta"].stack(sample=("chain", "draw"))
    scores = xr.concat(
        [alpha + beta * value for value in levels.values()],
        dim=pd.Index(list(levels), name=level_name),
    )
    scores = scores.drop_vars(["sample", "chain", "draw"], errors="ignore")
    scores = scores.assign_coords(sample=np.arange(scores.sizes["sample"]))
    scores = scores.assign_coords({group: [str(g) for g in scores[group].values]})
    return scores.transpose("sample", group, level_name).rename("expected_score")


def _two_dims(scores: xr.DataArray) -> tuple[xr.DataArray, str]:
    if not isinstance(scores, xr.DataArray) or scores.ndim != 2 or "sample" not in scores.dims:
        raise WorkbookInputError(
            "expected draws with dims ('sample', group), e.g. "
            "expected_scores(idata).sel(sex='girls')"
        )
    group = next(d for d in scores.dims if d != "sample")
    return scores.transpose("sample", group), group


def school_ranks(scores: xr.DataArray) -> xr.DataArray:
    """Each draw's ranking of the schools: 1 for the highest expected score.

    Ties (which continuous draws practically never have) are broken by order, so every
    draw's ranks are a permutation of ``1..n_schools``.
    """
    scores, _ = _two_dims(scores)
    ranks = stats.rankdata(-scores.to_numpy(), axis=1, method="ordinal").astype(np.int64)
    return xr.DataArray(ranks, coords=scores.coords, dims=scores.dims, name="rank")


def rank_summary(ranks: xr.DataArray, *, prob: float = 0.9, top: int = 10) -> pd.DataFrame:
    """Per school: mean and median rank, a central ``prob`` interval, and P(in the top ``top``).

    Sorted by mean rank, best first.
    """
    ranks, group = _two_dims(ranks)
    _check_prob(prob)
    values = ranks.to_numpy()
    tail = (1 - prob) / 2
    table = pd.DataFrame(
        {
            group: [str(g) for g in ranks[group].values],
            "mean_rank": values.mean(axis=0),
            "median_rank": np.median(values, axis=0),
            "lower": np.quantile(values, tail, axis=0),
            "upper": np.quantile(values, 1 - tail, axis=0),
            f"p_top_{top}": (values <= top).mean(axis=0),
        }
    )
    return table.sort_values("mean_rank", kind="stable").reset_index(drop=True)


def _check_prob(prob) -> None:
    if not isinstance(prob, int | float) or not 0 < prob < 1:
        raise WorkbookInputError(f"prob must be between 0 and 1, got {prob!r}")


def score_summary(scores: xr.DataArray, *, prob: float = 0.9) -> pd.DataFrame:
    """Posterior mean and central ``prob`` interval of each school's score at each level.

    Takes :func:`expected_scores`; returns one row per school and level with ``mean``,
    ``lower``, ``upper`` and ``mean_rank`` (the school's mean rank within that level).
    """
    _check_prob(prob)
    if not isinstance(scores, xr.DataArray) or scores.ndim != 3 or "sample" not in scores.dims:
        raise WorkbookInputError("expected the draws made by expected_scores(idata)")
    group, level_name = [d for d in scores.dims if d != "sample"]
    tail = (1 - prob) / 2
    frames = []
    for level in scores[level_name].values:
        draws = scores.sel({level_name: level})
        ranks = school_ranks(draws).to_numpy()
        values = draws.transpose("sample", group).to_numpy()
        frames.append(
            pd.DataFrame(
                {
                    group: [str(g) for g in scores[group].values],
                    level_name: str(level),
                    "mean": values.mean(axis=0),
                    "lower": np.quantile(values, tail, axis=0),
                    "upper": np.quantile(values, 1 - tail, axis=0),
                    "mean_rank": ranks.mean(axis=0),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _school_label(scores: xr.DataArray, group: str, school) -> str:
    label = str(school)
    known = [str(g) for g in scores[group].values]
    if label not in known:
        raise WorkbookInputError(
            f"{group} {school!r} is not in the data; expected one of {', '.join(known[:5])}, "
            f"... ({len(known)} in all)"
        )
    return label


@dataclass(frozen=True)
class SchoolComparison:
    """The posterior of one school's expected score minus another's.

    Attributes
    ----------
    school_a, school_b : str
    probability : float
        P(A > B): the share of draws in which A's expected score is the higher one.
    mean, lower, upper : float
        Posterior mean of A - B and its central interval.
    prob : float
        The interval's probability.
    histogram : DataFrame
        ``bin_start``, ``bin_end``, ``density`` and ``side`` (``"A higher"``/``"B higher"``),
        with 0 on a bin edge so that each bar lies on one side.
    """

    school_a: str
    school_b: str
    probability: float
    mean: float
    lower: float
    upper: float
    prob: float
    histogram: pd.DataFrame = field(repr=False, compare=False)


def _probability_greater(a: np.ndarray, b: np.ndarray) -> float:
    # Ties count half, so that P(A > B) + P(B > A) = 1 exactly.
    return float(np.mean(a > b) + 0.5 * np.mean(a == b))


def compare_schools(
    scores: xr.DataArray, school_a, school_b, *, prob: float = 0.9, bins: int = 40
) -> SchoolComparison:
    """P(school A's expected score > school B's) and the posterior of the difference.

    Parameters
    ----------
    scores : DataArray
        Draws with dims ``("sample", school)``, e.g. ``expected_scores(idata).sel(sex="girls")``.
    school_a, school_b : str or int
        Two different schools.
    prob : float
        Probability of the central interval of the difference.
    bins : int
        Roughly how many bars the histogram has.

    Raises
    ------
    WorkbookInputError
        A school is unknown, the two are the same, or ``prob``/``bins`` are out of range.
    """
    scores, group = _two_dims(scores)
    _check_prob(prob)
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
        raise WorkbookInputError(f"bins must be a whole number >= 2, got {bins!r}")
    a = _school_label(scores, group, school_a)
    b = _school_label(scores, group, school_b)
    if a == b:
        raise WorkbookInputError(
            f"{group} A and {group} B are both {a!r}; pick two different {group}s"
        )
    draws_a = scores.sel({group: a}).to_numpy()
    draws_b = scores.sel({group: b}).to_numpy()
    difference = draws_a - draws_b
    tail = (1 - prob) / 2
    low, high = float(difference.min()), float(difference.max())
    width = (high - low) / bins or 1.0
    edges = width * np.arange(math.floor(low / width), math.ceil(high / width) + 1)
    if edges.size < 2:
        edges = np.array([edges[0], edges[0] + width])
    density, edges = np.histogram(difference, bins=edges, density=True)
    histogram = pd.DataFrame(
        {
            "bin_start": edges[:-1],
            "bin_end": edges[1:],
            "density": density,
            "side": np.where(edges[:-1] >= 0, "A higher", "B higher"),
        }
    )
    return SchoolComparison(
        school_a=a,
        school_b=b,
        probability=_probability_greater(draws_a, draws_b),
        mean=float(difference.mean()),
        lower=float(np.quantile(difference, tail)),
        upper=float(np.quantile(difference, 1 - tail)),
        prob=float(prob),
        histogram=histogram,
    )


def pairwise_probabilities(
    scores: xr.DataArray, *, schools: Sequence | None = None, top: int = 10
) -> pd.DataFrame:
    """P(row school > column school) for every ordered pair of some schools.

    ``schools`` defaults to the ``top`` schools by mean rank. Returns a long frame with
    ``school_a``, ``school_b``, ``probability`` (NaN on the diagonal) and ``order_a``,
    ``order_b`` (the position by mean rank, for sorting the axes).
    """
    scores, group = _two_dims(scores)
    values = scores.to_numpy()
    mean_rank = school_ranks(scores).to_numpy().mean(axis=0)
    labels = [str(g) for g in scores[group].values]
    if schools is None:
        if isinstance(top, bool) or not isinstance(top, int) or top < 2:
            raise WorkbookInputError(f"top must be a whole number >= 2, got {top!r}")
        chosen = [labels[i] for i in np.argsort(mean_rank, kind="stable")[:top]]
    else:
        chosen = list(dict.fromkeys(_school_label(scores, group, s) for s in schools))
        if len(chosen) < 2:
            raise WorkbookInputError(f"need at least two different {group}s, got {schools!r}")
        position = {label: i for i, label in enumerate(labels)}
        chosen.sort(key=lambda s: mean_rank[position[s]])
    position = {label: i for i, label in enumerate(labels)}
    rows = []
    for i, a in enumerate(chosen):
        for j, b in enumerate(chosen):
            p = (
                math.nan
                if a == b
                else _probability_greater(values[:, position[a]], values[:, position[b]])
            )
            rows.append(
                {"school_a": a, "school_b": b, "probability": p, "order_a": i, "order_b": j}
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# School-specific regression lines
# --------------------------------------------------------------------------------------------


def school_line_estimates(idata: xr.DataTree, data: GroupedData) -> pd.DataFrame:
    """Each school's intercept and slope, fitted alone (no pooling) and partially pooled.

    No pooling: a school's own least-squares line, which for a 0/1 predictor is the mean of
    the ``x = 0`` students (intercept) and the gap to the mean of the ``x = 1`` students
    (slope); NaN where a school has students of one kind only. Partial pooling: the posterior
    means of ``alpha`` and ``beta``.
    """
    if data.predictor is None:
        raise WorkbookInputError("school lines need a predictor; the data have none")
    group = data.group_name
    posterior = idata["posterior"].to_dataset()
    frame = pd.DataFrame({"g": data.group_idx, "x": data.predictor, "y": data.outcome})
    rows = []
    for j, name in enumerate(data.group_names):
        school = frame[frame["g"] == j]
        xs, ys = school["x"].to_numpy(), school["y"].to_numpy()
        if np.ptp(xs) > 0:
            slope, intercept = np.polyfit(xs, ys, 1)
        else:
            slope, intercept = math.nan, math.nan
        rows.append(
            {
                group: str(name),
                "n": len(school),
                "no_pooling_intercept": float(intercept),
                "no_pooling_slope": float(slope),
            }
        )
    table = pd.DataFrame(rows)
    labels = [str(g) for g in posterior["alpha"][group].values]
    alpha = posterior["alpha"].mean(("chain", "draw")).to_numpy()
    beta = posterior["beta"].mean(("chain", "draw")).to_numpy()
    partial = pd.DataFrame(
        {group: labels, "partial_pooling_intercept": alpha, "partial_pooling_slope": beta}
    )
    return table.merge(partial, on=group, how="left", validate="one_to_one")


def school_lines(
    estimates: pd.DataFrame, *, x_values: Sequence[float] = (0.0, 1.0)
) -> pd.DataFrame:
    """The lines of :func:`school_line_estimates` as points to draw, one row per end point.

    Columns: the school, ``fit`` (``"no pooling"``/``"partial pooling"``), ``x`` and
    ``score``. Schools without a no-pooling slope are left out of the no-pooling lines.
    """
    group = estimates.columns[0]
    frames = []
    for fit, prefix in (("no pooling", "no_pooling"), ("partial pooling", "partial_pooling")):
        usable = estimates.dropna(subset=[f"{prefix}_intercept", f"{prefix}_slope"])
        for x in x_values:
            frames.append(
                pd.DataFrame(
                    {
                        group: usable[group].to_numpy(),
                        "fit": fit,
                        "x": float(x),
                        "score": (
                            usable[f"{prefix}_intercept"] + usable[f"{prefix}_slope"] * x
                        ).to_numpy(),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------------------------
# Prior predictive check
# --------------------------------------------------------------------------------------------


def score_histograms(
    samples: Mapping[str, np.ndarray], *, bins: int = 60, low=None, high=None
) -> pd.DataFrame:
    """Several sets of values binned on shared edges into density histograms.

    ``samples`` maps a label (``"observed"``, ``"prior predictive"``) to values; the result
    has ``source``, ``bin_start``, ``bin_end`` and ``density`` (each source integrating to
    one over the shared range, values outside it left out).
    """
    if not samples:
        raise WorkbookInputError("samples must hold at least one set of values")
    arrays = {k: np.asarray(v, dtype=float).ravel() for k, v in samples.items()}
    for name, values in arrays.items():
        if values.size == 0 or not np.isfinite(values).all():
            raise WorkbookInputError(f"{name!r} needs at least one value, all finite")
    every = np.concatenate(list(arrays.values()))
    low = float(every.min()) if low is None else float(low)
    high = float(every.max()) if high is None else float(high)
    if not low < high:
        raise WorkbookInputError(f"need low < high, got low={low:g}, high={high:g}")
    edges = np.linspace(low, high, bins + 1)
    frames = []
    for name, values in arrays.items():
        counts, _ = np.histogram(values, bins=edges)
        density = counts / (values.size * np.diff(edges))
        frames.append(
            pd.DataFrame(
                {"source": name, "bin_start": edges[:-1], "bin_end": edges[1:], "density": density}
            )
        )
    return pd.concat(frames, ignore_index=True)
