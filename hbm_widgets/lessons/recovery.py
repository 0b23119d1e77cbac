"""How well a fit recovers the truth: each true value beside its posterior interval.

Simulating data from known parameter values and fitting the model to them is the check that
comes before any real data: if the posterior does not cover the values the data were made
from, the model, its priors or the sampler are wrong, and no real data set will say so.
Chapter 07 draws its fake cafes from the model itself (``pm.do`` and ``pm.draw``) and reads
the fit against the values it fixed with :func:`recovery_table`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from hbm_widgets.core.errors import WorkbookInputError

__all__ = ["recovery_table"]


def recovery_table(
    idata: xr.DataTree, truth: Mapping[str, float | np.ndarray], *, prob: float = 0.9
) -> pd.DataFrame:
    """Each true value beside its posterior mean and central ``prob`` interval.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit with a ``posterior`` group (as ``hbm.sample`` returns).
    truth : mapping of str to float or array
        True values keyed by posterior variable name; a scalar for a scalar variable, an
        array (in the order of the variable's dims, row by row) for a vector or matrix one.
    prob : float
        Mass of the central interval (0.9: from the 5% to the 95% quantile).

    Returns
    -------
    DataFrame
        Columns ``level`` (``population`` for scalars, ``group`` for vector entries),
        ``parameter`` (``alpha[cafe 03]`` for vector entries), ``true_value``,
        ``posterior_mean``, ``lower``, ``upper`` and ``covered``.
    """
    if not 0 < prob < 1:
        raise WorkbookInputError(f"prob must be between 0 and 1, got {prob!r}")
    posterior = idata["posterior"].to_dataset()
    tail = (1 - prob) / 2
    rows = []
    for name, value in truth.items():
        if name not in posterior.data_vars:
            raise WorkbookInputError(
                f"the posterior has no variable {name!r}; it has {', '.join(posterior.data_vars)}"
            )
        draws = posterior[name].stack(sample=("chain", "draw"))
        true = np.atleast_1d(np.asarray(value, dtype=float)).ravel()
        other_dims = [d for d in draws.dims if d != "sample"]
        if not other_dims:
            labels, matrix, level = [name], draws.values[None, :], "population"
        else:
            # One row per entry, in the order of the variable's dims (cafe, then effect).
            entries = draws.stack(entry=other_dims).transpose("entry", "sample")
            labels = [
                f"{name}[{', '.join(str(c) for c in np.atleast_1d(key))}]"
                for key in entries["entry"].values
            ]
            matrix = entries.values
            level = "group"
        if true.shape[0] != matrix.shape[0]:
            raise WorkbookInputError(
                f"{name!r} has {matrix.shape[0]} value(s) in the posterior but "
                f"{true.shape[0]} true value(s) were given"
            )
        lower, upper = np.quantile(matrix, [tail, 1 - tail], axis=1)
        for label, t, row, lo, hi in zip(labels, true, matrix, lower, upper, strict=True):
            rows.append(
                {
                    "level": level,
                    "parameter": label,
                    "true_value": float(t),
                    "posterior_mean": float(row.mean()),
                    "lower": float(lo),
                    "upper": float(hi),
                    "covered": bool(lo <= t <= hi),
                }
            )
    return pd.DataFrame(rows)
