"""Centred against non-centred: the funnel, and the sampler's figures side by side.

In the centred form a group's effect ``beta_j`` is sampled directly, ``beta_j ~ N(mu, s)``.
When a group has little data, its ``beta_j`` is pinned by ``s`` alone: large ``s`` lets it
roam, small ``s`` squeezes it to ``mu``. Plotted against ``log s`` its draws fill a funnel, and
NUTS, which uses one step size everywhere, cannot both cross the wide mouth and enter the
narrow neck: it reports divergences there and explores the neck poorly. The non-centred form
samples an offset ``z_j ~ N(0, 1)`` and sets ``beta_j = mu + s * z_j``; in the coordinates the
sampler sees, ``z_j`` and ``log s`` are (nearly) independent and the funnel is gone.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from hbm_widgets.core.diagnostics import convergence_report
from hbm_widgets.core.errors import WorkbookInputError, check_whole_number

__all__ = ["funnel_draws", "parameterization_table"]


def _has(idata, group: str, name: str) -> bool:
    """Whether the fit's ``group`` holds a variable ``name`` (coordinates do not count)."""
    return group in idata.children and name in idata[group].data_vars


def _flat(idata, name: str, **selection) -> np.ndarray:
    if not _has(idata, "posterior", name):
        available = ", ".join(sorted(idata["posterior"].data_vars))
        raise WorkbookInputError(f"the fit has no variable {name!r}; it has: {available}")
    values = idata["posterior"][name]
    if selection:
        try:
            values = values.sel(**selection)
        except KeyError:
            (dim, label), *_ = selection.items()
            raise WorkbookInputError(f"{label!r} is not a {dim} of the fit") from None
    return np.asarray(values.values, dtype=float).ravel()


def funnel_draws(
    fits: Mapping[str, xr.DataTree],
    *,
    group_dim: str,
    group: str,
    coefficient: str = "beta",
    max_points: int = 1500,
    random_seed: int = 0,
) -> pd.DataFrame:
    """One group's effect against the log of its population SD, draw by draw.

    For each fit, the value shown is what the sampler moves: the offset ``z_<coefficient>``
    when the fit has one (non-centred), the coefficient itself otherwise (centred).

    Parameters
    ----------
    fits : mapping of str to DataTree
        Labelled fits, e.g. ``{"centred": centered_idata, "non-centred": noncentered_idata}``.
    group_dim : str
        The group dimension (``"county"``).
    group : str
        The group whose effect to show (a small one shows the funnel best).
    coefficient : str
        ``"beta"`` (scale ``sigma_beta``) or ``"alpha"`` (scale ``sigma_alpha``).
    max_points : int
        Non-divergent draws kept per fit (thinned at random, seeded); divergent draws are
        always kept. Keeps charts under Altair's row limit.
    random_seed : int

    Returns
    -------
    DataFrame
        Columns ``model``, ``log_scale``, ``value``, ``variable`` (the name of what is shown)
        and ``divergent``.
    """
    if not isinstance(fits, Mapping) or not fits:
        raise WorkbookInputError("fits must be a non-empty mapping of labels to DataTrees")
    if coefficient not in ("alpha", "beta"):
        raise WorkbookInputError(f"coefficient must be 'alpha' or 'beta', got {coefficient!r}")
    max_points = check_whole_number("max_points", max_points, low=1)
    rng = np.random.default_rng(random_seed)
    frames = []
    for label, idata in fits.items():
        log_scale = np.log(_flat(idata, f"sigma_{coefficient}"))
        shown = f"z_{coefficient}" if _has(idata, "posterior", f"z_{coefficient}") else coefficient
        value = _flat(idata, shown, **{group_dim: group})
        divergent = np.zeros(value.shape, dtype=bool)
        if _has(idata, "sample_stats", "diverging"):
            divergent = np.asarray(idata["sample_stats"]["diverging"].values, dtype=bool).ravel()
        keep = np.flatnonzero(divergent)
        calm = np.flatnonzero(~divergent)
        if calm.size > max_points:
            calm = np.sort(rng.choice(calm, size=max_points, replace=False))
        keep = np.sort(np.concatenate([keep, calm]))
        frames.append(
            pd.DataFrame(
                {
                    "model": str(label),
                    "log_scale": log_scale[keep],
                    "value": value[keep],
                    "variable": f"{shown}[{group}]",
                    "divergent": divergent[keep],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def parameterization_table(fits: Mapping[str, xr.DataTree], *, var_names) -> pd.DataFrame:
    """Divergences, worst R-hat and smallest ESS of several fits of the same model.

    Returns
    -------
    DataFrame
        Indexed by label: ``divergences``, ``max_rhat``, ``min_ess_bulk``, ``min_ess_tail``,
        ``draws``, ``chains`` and ``ess_bulk_per_draw`` (bulk ESS over total draws).
    """
    if not isinstance(fits, Mapping) or not fits:
        raise WorkbookInputError("fits must be a non-empty mapping of labels to DataTrees")
    rows = {}
    for label, idata in fits.items():
        report = convergence_report(idata, var_names=var_names).to_dict()
        report["ess_bulk_per_draw"] = report["min_ess_bulk"] / (report["draws"] * report["chains"])
        rows[str(label)] = report
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "parameterization"
    return table[
        [
            "divergences",
            "max_rhat",
            "min_ess_bulk",
            "min_ess_tail",
            "ess_bulk_per_draw",
            "draws",
            "chains",
        ]
    ]
