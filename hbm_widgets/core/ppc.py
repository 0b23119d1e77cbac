"""The numbers behind a posterior predictive check: replicated data sets binned on the
observed data's scale, and posterior predictive p-values of a few statistics.

Both take plain arrays (the observed outcome, and replicated data sets of shape
``(draws, observations)``), so they serve any model's posterior predictive draws.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from hbm_widgets.core.errors import WorkbookInputError

__all__ = ["ppc_densities", "ppc_pvalues"]


def _replicated(replicated) -> np.ndarray:
    array = np.asarray(replicated, dtype=float)
    if array.ndim != 2:
        raise WorkbookInputError(
            f"replicated must have shape (draws, observations), got shape {array.shape}"
        )
    return array


def ppc_densities(
    observed,
    replicated,
    *,
    replicates: int = 40,
    bins: int = 30,
    random_seed: int,
) -> pd.DataFrame:
    """Histograms (as densities) of the observed outcome and of replicated data sets.

    Parameters
    ----------
    observed : array, shape (n,)
    replicated : array, shape (draws, n)
        Posterior predictive data sets, e.g. ``posterior_predictive[outcome]`` stacked over
        chains and draws.
    replicates : int
        How many replicated data sets to draw (chosen at random, seeded).
    bins : int
        Shared bins spanning the observed and replicated values.
    random_seed : int

    Returns
    -------
    DataFrame
        Columns ``value`` (bin centre), ``density``, ``series`` (``"observed"`` or
        ``"replicate k"``) and ``kind`` (``"observed"`` or ``"replicated"``).
    """
    observed = np.asarray(observed, dtype=float)
    replicated = _replicated(replicated)
    if replicated.shape[1] != observed.shape[0]:
        raise WorkbookInputError(
            f"replicated data sets have {replicated.shape[1]} values each, observed has "
            f"{observed.shape[0]}"
        )
    if not isinstance(replicates, int) or not 1 <= replicates <= replicated.shape[0]:
        raise WorkbookInputError(
            f"replicates must be a whole number from 1 to {replicated.shape[0]}, got {replicates!r}"
        )
    rng = np.random.default_rng(random_seed)
    chosen = replicated[rng.choice(replicated.shape[0], size=replicates, replace=False)]
    low = min(observed.min(), np.quantile(chosen, 0.001))
    high = max(observed.max(), np.quantile(chosen, 0.999))
    edges = np.linspace(low, high, bins + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    frames = [
        pd.DataFrame(
            {
                "value": centres,
                "density": np.histogram(observed, edges, density=True)[0],
                "series": "observed",
                "kind": "observed",
            }
        )
    ]
    for k, values in enumerate(chosen):
        frames.append(
            pd.DataFrame(
                {
                    "value": centres,
                    "density": np.histogram(np.clip(values, low, high), edges, density=True)[0],
                    "series": f"replicate {k}",
                    "kind": "replicated",
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


_STATISTICS = {
    "mean": np.mean,
    "sd": lambda v, axis=None: np.std(v, axis=axis, ddof=1),
    "min": np.min,
    "max": np.max,
}


def ppc_pvalues(observed, replicated, *, statistics: Sequence[str] = tuple(_STATISTICS)):
    """Posterior predictive p-values: the share of replicated data sets whose statistic is
    at least the observed one.

    Values near 0 or 1 flag a feature of the data the model does not reproduce; values in
    between mean the observed statistic is typical of the model's replications.

    Returns
    -------
    DataFrame
        Indexed by statistic: ``observed``, ``replicated_mean``, ``replicated_low``,
        ``replicated_high`` (central 90%) and ``p_value``.
    """
    observed = np.asarray(observed, dtype=float)
    replicated = _replicated(replicated)
    rows = {}
    for name in statistics:
        if name not in _STATISTICS:
            raise WorkbookInputError(
                f"unknown statistic {name!r}; expected one of: {', '.join(_STATISTICS)}"
            )
        function = _STATISTICS[name]
        value = float(function(observed))
        replicated_values = function(replicated, axis=1)
        low, high = np.quantile(replicated_values, [0.05, 0.95])
        rows[name] = {
            "observed": value,
            "replicated_mean": float(replicated_values.mean()),
            "replicated_low": float(low),
            "replicated_high": float(high),
            "p_value": float(np.mean(replicated_values >= value)),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "statistic"
    return table
