"""Reading a fit: the checks and intervals shared by the summaries, group estimates and
predictions.

A fit is what :func:`hbm_widgets.sample` returns, an :class:`xarray.DataTree` whose groups
(``posterior``, ``sample_stats``...) are its children.
"""

from __future__ import annotations

import arviz as az
import numpy as np
import xarray as xr

from hbm_widgets.core.errors import WorkbookInputError

# Used by other core modules only; nothing here is re-exported.
__all__: list[str] = []


def check_fit(idata) -> xr.DataTree:
    """``idata`` itself, or a WorkbookInputError when it is not a fit with a posterior."""
    if not isinstance(idata, xr.DataTree) or "posterior" not in idata.children:
        raise WorkbookInputError(
            "expected a fit with a posterior group (the DataTree hbm.sample returns), "
            f"got {type(idata).__name__}"
        )
    return idata


def posterior_dataset(idata) -> xr.Dataset:
    """The posterior of a fit as a Dataset, with its coordinates."""
    return check_fit(idata)["posterior"].to_dataset()


def hdi_bounds(draws, prob: float) -> np.ndarray:
    """Highest-density intervals of draws: shape (samples,) gives ``[low, high]``, shape
    (samples, k) gives one ``[low, high]`` row per column."""
    values = np.asarray(draws, dtype=float)
    # ArviZ's array functions reduce the last axis, so samples go last.
    return np.asarray(az.hdi(np.moveaxis(values, 0, -1), prob=prob))
