"""The GCSE coursework analysis: maximum likelihood against Bayes, missing scores, rankings.

Chapter 06 fits ``course ~ 1 + female + (1 + female | school)`` twice, by maximum likelihood
with statsmodels' ``MixedLM`` (through :func:`hbm_widgets.fit_mixedlm`) and by Bayes with
:func:`hbm_widgets.build_model`, and lays the two side by side. This module holds what
``build_model`` cannot do:

- :func:`missing_data_patterns` and :func:`school_overview` describe the data as they are;
- :func:`ml_vs_bayes_table` puts the maximum-likelihood fit (:func:`hbm_widgets.fit_mixedlm`)
  and the posterior next to the published reference values;
- :mod:`hbm_widgets.lessons.gcse_model` models ``course`` and ``written`` together, so that
  students with only one of the two scores still count;
- :mod:`hbm_widgets.lessons.gcse_schools` turns posterior draws into rankings, comparisons
  and each school's no-pooling and partial-pooling line.

Schools are named by their identifier as a string (``"20920"``); integers are accepted too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from hbm_widgets.core.data import GroupedData
from hbm_widgets.core.errors import DataValidationError, WorkbookInputError
from hbm_widgets.lessons.mixedlm import MixedLMFit

__all__ = [
    "GCSE_REFERENCE",
    "format_comparison_table",
    "missing_data_patterns",
    "ml_vs_bayes_table",
    "posterior_scalars",
    "sampling_cost",
    "school_overview",
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
