"""A fit's diagnostics as tables: draws, ranks, energy, divergences and the checklist.

Every number comes from ArviZ (split and rank-normalised R-hat, bulk and tail ESS, MCSE,
BFMI) and is never re-implemented here: these functions only gather ArviZ's numbers and a
fit's draws into tables that charts, widgets and tests can read (chapter 09), after
picking one variable, or one element of a vector variable, out of a fit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats

from hbm_widgets.core.diagnostics import ESS_AT_LEAST, RHAT_BELOW, convergence_report
from hbm_widgets.core.errors import WorkbookInputError, check_whole_number

__all__ = [
    "CHECKLIST_THRESHOLDS",
    "chain_draws",
    "compare_checklists",
    "diagnostic_checklist",
    "divergence_table",
    "draws_table",
    "energy_table",
    "ess_per_gradient",
    "ess_per_second",
    "rank_table",
    "variable_elements",
    "variable_names",
]

# The checklist every fit should pass before its numbers are used.
CHECKLIST_THRESHOLDS = {
    "rhat": RHAT_BELOW,
    "ess": float(ESS_AT_LEAST),
    "divergences": 0,
    "bfmi": 0.3,
}


# --------------------------------------------------------------------------------------
# Picking one variable (or one element of a vector variable) out of a fit
# --------------------------------------------------------------------------------------

_SAMPLE_DIMS = ("chain", "draw")
_ELEMENT = re.compile(r"^(?P<name>[^\[\]]+)\[(?P<label>.*)\]$")


def _posterior(idata) -> xr.Dataset:
    if not isinstance(idata, xr.DataTree) or "posterior" not in idata.children:
        raise WorkbookInputError(
            f"expected an ArviZ DataTree with a posterior group, got {type(idata).__name__}"
        )
    return idata["posterior"].to_dataset()


def variable_names(idata) -> list[str]:
    """The numeric variables of the posterior group, in the order they are stored."""
    posterior = _posterior(idata)
    return [
        str(name)
        for name, values in posterior.data_vars.items()
        if np.issubdtype(values.dtype, np.number) and not np.issubdtype(values.dtype, np.bool_)
    ]


def _element_dims(values: xr.DataArray) -> list[str]:
    return [str(d) for d in values.dims if d not in _SAMPLE_DIMS]


def _element_label(coordinates) -> str:
    if isinstance(coordinates, tuple):
        return ", ".join(str(c) for c in coordinates)
    return str(coordinates)


def variable_elements(idata, var_name: str) -> list[str]:
    """Labels of a variable's elements (``[]`` for a scalar).

    A vector over counties gives the county names; a variable with several extra dims gives
    labels such as ``"AITKIN, 0"``. ``f"{var_name}[{label}]"`` selects one element in
    :func:`chain_draws` and the charts.
    """
    posterior = _posterior(idata)
    if var_name not in variable_names(idata):
        raise WorkbookInputError(
            f"no numeric variable {var_name!r} in the posterior; "
            f"expected one of: {', '.join(variable_names(idata))}"
        )
    values = posterior[var_name]
    dims = _element_dims(values)
    if not dims:
        return []
    if len(dims) == 1:
        return [_element_label(c) for c in values[dims[0]].values.tolist()]
    stacked = values.stack(element=dims)
    return [_element_label(c) for c in stacked["element"].values.tolist()]


def chain_draws(idata, var_name: str) -> np.ndarray:
    """The draws of one scalar quantity as an array of shape (chains, draws).

    ``var_name`` is a scalar variable (``"sigma_beta"``) or one element of a vector variable
    written ``"name[label]"`` with a label from :func:`variable_elements`
    (``"beta[AITKIN]"``).

    Raises
    ------
    WorkbookInputError
        No such variable or element, or a vector variable named without an element.
    """
    posterior = _posterior(idata)
    if not isinstance(var_name, str) or not var_name:
        raise WorkbookInputError(f"var_name must be a variable name, got {var_name!r}")
    match = _ELEMENT.match(var_name)
    name, label = (match["name"], match["label"]) if match else (var_name, None)
    labels = variable_elements(idata, name)
    values = posterior[name]
    if label is None:
        if labels:
            raise WorkbookInputError(
                f"{name!r} has {len(labels)} elements; pick one, e.g. {name}[{labels[0]}]"
            )
        return values.transpose(*_SAMPLE_DIMS).values.astype(float)
    if not labels:
        raise WorkbookInputError(f"{name!r} is a scalar; write {name!r} without [{label}]")
    if label not in labels:
        shown = ", ".join(labels[:5]) + (", ..." if len(labels) > 5 else "")
        raise WorkbookInputError(f"{name!r} has no element {label!r}; its elements are {shown}")
    dims = _element_dims(values)
    flat = values.stack(element=dims) if len(dims) > 1 else values.rename({dims[0]: "element"})
    return flat.isel(element=labels.index(label)).transpose(*_SAMPLE_DIMS).values.astype(float)


def _thin_step(total: int, max_rows: int) -> int:
    return max(1, math.ceil(total / max_rows))


def draws_table(idata, var_name: str, *, max_rows: int = 4000) -> pd.DataFrame:
    """A variable's draws in long form for a trace chart: ``chain``, ``draw``, ``value``.

    When chains x draws exceed ``max_rows`` every k-th draw is kept (the same draws in every
    chain), with ``k`` the smallest step that fits; the frame's ``attrs["thin"]`` holds it.
    """
    max_rows = check_whole_number("max_rows", max_rows, low=2)
    array = chain_draws(idata, var_name)
    chains, n = array.shape
    step = _thin_step(chains * n, max_rows)
    keep = np.arange(0, n, step)
    draw_numbers = idata["posterior"]["draw"].values[keep]
    frame = pd.DataFrame(
        {
            "chain": np.repeat(np.arange(chains), keep.size),
            "draw": np.tile(draw_numbers, chains),
            "value": array[:, keep].ravel(),
        }
    )
    frame.attrs.update(var_name=var_name, thin=step)
    return frame


def rank_table(idata, var_name: str, *, bins: int = 20) -> pd.DataFrame:
    """Rank histograms: all draws ranked together, each chain's ranks counted in bins.

    If the chains explore the same distribution each chain's ranks are spread uniformly
    and every bin holds about ``draws / bins`` of them. Columns ``chain``, ``bin``,
    ``rank_start``, ``rank_end``, ``count`` and ``expected`` (the uniform count).
    """
    bins = check_whole_number("bins", bins, low=2)
    array = chain_draws(idata, var_name)
    chains, n = array.shape
    ranks = stats.rankdata(array, axis=None).reshape(array.shape)
    edges = np.linspace(0.5, chains * n + 0.5, bins + 1)
    rows = []
    for chain in range(chains):
        counts, _ = np.histogram(ranks[chain], bins=edges)
        rows.append(
            pd.DataFrame(
                {
                    "chain": chain,
                    "bin": np.arange(bins),
                    "rank_start": edges[:-1],
                    "rank_end": edges[1:],
                    "count": counts,
                    "expected": n / bins,
                }
            )
        )
    frame = pd.concat(rows, ignore_index=True)
    frame.attrs.update(var_name=var_name)
    return frame


def _sample_stat(idata, name: str) -> xr.DataArray | None:
    if "sample_stats" in idata.children and name in idata["sample_stats"].data_vars:
        return idata["sample_stats"][name]
    return None


def _bfmi(idata) -> np.ndarray:
    """ArviZ's BFMI of each chain (ArviZ returns it as a group holding ``energy``)."""
    return np.asarray(az.bfmi(idata)["energy"].values, dtype=float)


def energy_table(idata, *, bins: int = 30) -> pd.DataFrame:
    """Binned energy: the marginal energy and the energy change between draws.

    Both are centred on their chain's mean energy (as ArviZ's energy plot draws them).
    When the change is much narrower than the marginal, momentum resampling cannot move
    the sampler through the energy levels it needs (low BFMI). Columns ``distribution``
    (``marginal energy`` or ``energy transition``), ``bin_start``, ``bin_end``, ``density``.

    Raises
    ------
    WorkbookInputError
        The fit has no ``energy`` in its sample stats (it was not sampled with HMC/NUTS).
    """
    bins = check_whole_number("bins", bins, low=2)
    energy = _sample_stat(idata, "energy")
    if energy is None:
        raise WorkbookInputError(
            "this fit has no energy in its sample_stats; energy exists only for HMC/NUTS fits"
        )
    values = energy.transpose(*_SAMPLE_DIMS).values.astype(float)
    marginal = (values - values.mean(axis=1, keepdims=True)).ravel()
    transition = np.diff(values, axis=1).ravel()
    transition = transition - transition.mean()
    low = min(marginal.min(), transition.min())
    high = max(marginal.max(), transition.max())
    edges = np.linspace(low, high, bins + 1)
    frames = []
    for label, data in (("marginal energy", marginal), ("energy transition", transition)):
        density, _ = np.histogram(data, bins=edges, density=True)
        frames.append(
            pd.DataFrame(
                {
                    "distribution": label,
                    "bin_start": edges[:-1],
                    "bin_end": edges[1:],
                    "density": density,
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    frame.attrs.update(bfmi=_bfmi(idata).tolist())
    return frame


def divergence_table(idata, x: str, y: str, *, max_rows: int = 4000) -> pd.DataFrame:
    """Two quantities drawn together, with each draw flagged divergent or not.

    Columns ``chain``, ``draw``, ``x``, ``y`` and ``divergent`` (bool); ``x`` and ``y`` name
    variables as in :func:`chain_draws`. Every divergent draw is kept; the others are
    thinned evenly when there are more than ``max_rows`` rows in all.
    """
    max_rows = check_whole_number("max_rows", max_rows, low=2)
    x_draws, y_draws = chain_draws(idata, x), chain_draws(idata, y)
    diverging = _sample_stat(idata, "diverging")
    if diverging is None:
        flags = np.zeros(x_draws.shape, dtype=bool)
    else:
        flags = diverging.transpose(*_SAMPLE_DIMS).values.astype(bool)
    chains, n = x_draws.shape
    frame = pd.DataFrame(
        {
            "chain": np.repeat(np.arange(chains), n),
            "draw": np.tile(np.arange(n), chains),
            "x": x_draws.ravel(),
            "y": y_draws.ravel(),
            "divergent": flags.ravel(),
        }
    )
    calm = frame.index[~frame["divergent"]]
    room = max(1, max_rows - int(frame["divergent"].sum()))
    step = _thin_step(len(calm), room)
    frame = frame.loc[frame["divergent"] | frame.index.isin(calm[::step])].reset_index(drop=True)
    frame.attrs.update(x=x, y=y, thin=step)
    return frame


# --------------------------------------------------------------------------------------
# The checklist
# --------------------------------------------------------------------------------------


def diagnostic_checklist(idata, var_names=None) -> pd.DataFrame:
    """The four checks every fit should pass, as a table.

    One row per check (``check``, ``value``, ``threshold``, ``rule``, ``passed``):

    - the largest rank-normalised split R-hat is below 1.01;
    - the smallest bulk and the smallest tail ESS are at least 400;
    - there are no divergent transitions;
    - the smallest Bayesian fraction of missing information (BFMI) over chains exceeds 0.3.

    R-hat, ESS and divergences come from :func:`hbm_widgets.convergence_report`, BFMI from
    ``az.bfmi``. The divergence and BFMI rows are left out for fits without them in their
    sample stats (a Metropolis-Hastings run has neither).

    Parameters
    ----------
    idata : xarray.DataTree
        A fit with a ``posterior`` group (and, from NUTS, ``sample_stats``).
    var_names : list of str, optional
        Variables whose R-hat and ESS count (default: every posterior variable).
    """
    _posterior(idata)
    report = convergence_report(idata, var_names=var_names)
    t = CHECKLIST_THRESHOLDS
    rows = [
        ("max R-hat", report.max_rhat, t["rhat"], "<", report.max_rhat < t["rhat"]),
        ("min bulk ESS", report.min_ess_bulk, t["ess"], ">=", report.min_ess_bulk >= t["ess"]),
        ("min tail ESS", report.min_ess_tail, t["ess"], ">=", report.min_ess_tail >= t["ess"]),
    ]
    if _sample_stat(idata, "diverging") is not None:
        rows.append(
            (
                "divergences",
                float(report.divergences),
                t["divergences"],
                "==",
                report.divergences == t["divergences"],
            )
        )
    if _sample_stat(idata, "energy") is not None:
        bfmi = float(np.min(_bfmi(idata)))
        rows.append(("min BFMI", bfmi, t["bfmi"], ">", bfmi > t["bfmi"]))
    frame = pd.DataFrame(rows, columns=["check", "value", "threshold", "rule", "passed"])
    frame["passed"] = frame["passed"].astype(bool)
    return frame


def compare_checklists(fits: Mapping[str, xr.DataTree], var_names=None) -> pd.DataFrame:
    """The checklist of several fits side by side: one row per fit, one column per check.

    Columns ``max R-hat``, ``min bulk ESS``, ``min tail ESS``, ``divergences`` and
    ``min BFMI`` (NaN when a fit has no such statistic), and ``passed`` (every check that
    applies passed). ``var_names`` applies to every fit.
    """
    if not isinstance(fits, Mapping) or not fits:
        raise WorkbookInputError("fits must be a non-empty mapping of name -> DataTree")
    columns = ["max R-hat", "min bulk ESS", "min tail ESS", "divergences", "min BFMI"]
    rows = {}
    for name, idata in fits.items():
        table = diagnostic_checklist(idata, var_names=var_names).set_index("check")
        row = {column: float(table["value"].get(column, np.nan)) for column in columns}
        row["passed"] = bool(table["passed"].all())
        rows[name] = row
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "fit"
    return frame


def ess_per_second(idata, seconds: float, var_names=None) -> float:
    """The smallest bulk ESS (from ArviZ) divided by the seconds the sampling took.

    A sampler's speed is not draws per second but independent-draw equivalents per second:
    a fast sampler whose draws are strongly autocorrelated can lose to a slower one.
    """
    try:
        seconds = float(seconds)
    except (TypeError, ValueError):
        raise WorkbookInputError(f"seconds must be a number, got {seconds!r}") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise WorkbookInputError(f"seconds must be a positive number, got {seconds!r}")
    report = convergence_report(idata, var_names=var_names)
    return report.min_ess_bulk / seconds


def ess_per_gradient(idata, var_names=None, *, per: int = 1000) -> float:
    """The smallest bulk ESS (from ArviZ) per ``per`` gradient evaluations of the kept draws.

    NUTS's work is its leapfrog steps, one gradient of the log density each, which every
    sampler the workbook uses records per draw as ``n_steps``. Unlike ESS per second, the
    ratio does not depend on the machine or on what else it is doing.
    """
    steps = _sample_stat(idata, "n_steps")
    if steps is None:
        raise WorkbookInputError(
            "this fit records no leapfrog steps (sample_stats n_steps): is it a NUTS fit?"
        )
    per = check_whole_number("per", per, low=1)
    total = float(steps.sum())
    if total <= 0:
        raise WorkbookInputError("the fit records no leapfrog steps at all")
    report = convergence_report(idata, var_names=var_names)
    return report.min_ess_bulk / total * per
