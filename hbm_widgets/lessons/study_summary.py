"""Summaries of a finished prior study's table: bias, RMSE and coverage, and prior against prior.

The table is the one :func:`hbm_widgets.lessons.study.run_study` returns (or
:func:`~hbm_widgets.lessons.study.load_study` reads back): one row per fit and parameter.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from hbm_widgets.core.errors import WorkbookInputError
from hbm_widgets.lessons.study_spec import INTERVAL, TABLE_COLUMNS

__all__ = ["compare_priors", "summarise_study"]


def summarise_study(
    table: pd.DataFrame, *, parameters: Sequence[str] = ("gamma0", "gamma1")
) -> pd.DataFrame:
    """Bias, RMSE and coverage of the posterior mean and 90% interval, per cell.

    Parameters
    ----------
    table : DataFrame
        A study table (:func:`run_study`).
    parameters : sequence of str
        The parameters to summarise.

    Returns
    -------
    DataFrame
        One row per (design, prior, parameter), in the table's order, with
        ``n_simulations``, ``true_value``, ``mean_estimate`` (the average posterior mean),
        ``bias`` and its Monte Carlo standard error ``bias_mcse``, ``rmse``, ``coverage`` of
        the 90% interval and ``coverage_mcse`` (the standard error a coverage of exactly 0.9
        would have with this many simulations), ``mean_posterior_sd``, and the share of
        fits with any divergent transition.
    """
    missing = [c for c in TABLE_COLUMNS if c not in table.columns]
    if missing:
        raise WorkbookInputError(f"not a study table: column {missing[0]!r} is missing")
    unknown = sorted(set(parameters) - set(table["parameter"]))
    if unknown:
        raise WorkbookInputError(
            f"the table has no parameter {unknown[0]!r}; it has "
            f"{', '.join(map(str, table['parameter'].unique()))}"
        )
    rows = []
    chosen = table[table["parameter"].isin(list(parameters))]
    for (design, prior, parameter), cell in chosen.groupby(
        ["design", "prior", "parameter"], sort=False
    ):
        n = len(cell)
        error = cell["posterior_mean"] - cell["true_value"]
        rows.append(
            {
                "design": design,
                "n_obs": int(cell["n_obs"].iloc[0]),
                "n_groups": int(cell["n_groups"].iloc[0]),
                "prior": prior,
                "parameter": parameter,
                "n_simulations": n,
                "true_value": float(cell["true_value"].iloc[0]),
                "mean_estimate": float(cell["posterior_mean"].mean()),
                "bias": float(error.mean()),
                "bias_mcse": float(error.std(ddof=1) / math.sqrt(n)) if n > 1 else float("nan"),
                "rmse": float(np.sqrt((error**2).mean())),
                "coverage": float(cell["covered"].mean()),
                "coverage_mcse": math.sqrt(INTERVAL * (1 - INTERVAL) / n),
                "mean_posterior_sd": float(cell["posterior_sd"].mean()),
                "share_divergent": float((cell["divergences"] > 0).mean()),
            }
        )
    summary = pd.DataFrame(rows)
    order = {p: i for i, p in enumerate(parameters)}
    return summary.sort_values("parameter", key=lambda s: s.map(order), kind="stable").reset_index(
        drop=True
    )


def compare_priors(
    table: pd.DataFrame,
    *,
    reference: str = "good",
    parameters: Sequence[str] = ("gamma0", "gamma1"),
) -> pd.DataFrame:
    """How far each prior moves the posterior mean from the reference prior's, data set by data set.

    Every prior of a study is fitted to the same simulated data sets, so the difference of
    two priors' posterior means on the same data has none of the data's own variation: its
    average over simulations measures the pull of one prior relative to the other far more
    precisely than the difference of two biases does.

    Returns
    -------
    DataFrame
        One row per (design, prior other than ``reference``, parameter): ``n_simulations``
        (simulations fitted under both), ``mean_shift`` (average of prior minus reference)
        and its Monte Carlo standard error ``shift_mcse``.
    """
    missing = [c for c in TABLE_COLUMNS if c not in table.columns]
    if missing:
        raise WorkbookInputError(f"not a study table: column {missing[0]!r} is missing")
    if reference not in set(table["prior"]):
        raise WorkbookInputError(
            f"the table has no prior {reference!r}; it has "
            f"{', '.join(map(str, table['prior'].unique()))}"
        )
    chosen = table[table["parameter"].isin(list(parameters))]
    wide = chosen.pivot_table(
        index=["design", "parameter", "simulation"],
        columns="prior",
        values="posterior_mean",
        sort=False,
    )
    rows = []
    priors = [p for p in dict.fromkeys(table["prior"]) if p != reference]
    for parameter in parameters:
        for design in dict.fromkeys(chosen["design"]):
            block = wide.loc[(design, parameter)]
            for prior in priors:
                shift = (block[prior] - block[reference]).dropna()
                n = len(shift)
                rows.append(
                    {
                        "design": design,
                        "prior": prior,
                        "parameter": parameter,
                        "n_simulations": n,
                        "mean_shift": float(shift.mean()),
                        "shift_mcse": float(shift.std(ddof=1) / math.sqrt(n))
                        if n > 1
                        else float("nan"),
                    }
                )
    return pd.DataFrame(rows)
