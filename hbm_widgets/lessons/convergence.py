"""Convergence diagnostics taught by hand, and the runs of chapter 09 that fail on purpose.

The Gelman-Rubin statistic is written out here once, as a lesson: with ``M`` chains of
``N`` draws each,

    s_m^2  = 1 / (N - 1) * sum_n (theta_m^(n) - mean_m)^2      (the variance of chain m)
    W      = 1 / M * sum_m s_m^2                               (within-chain variance)
    B / N  = 1 / (M - 1) * sum_m (mean_m - grand mean)^2       (variance of the chain means)
    Var+   = (N - 1) / N * W + B / N                           (pooled estimate of the variance)
    R-hat  = sqrt(Var+ / W).

If every chain explores the whole posterior, the chain means agree, ``B / N`` is small and
``R-hat`` is close to 1; chains sitting in different places inflate ``Var+`` above ``W``.
Every other diagnostic (split and rank-normalised R-hat, bulk and tail ESS, MCSE, BFMI)
comes from ArviZ and is never re-implemented: the helpers below only gather its numbers
into tables that charts, widgets and tests can read.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr
from scipy import stats

from hbm_widgets.core.diagnostics import convergence_report
from hbm_widgets.core.errors import WorkbookInputError

__all__ = [
    "CHECKLIST_THRESHOLDS",
    "GelmanRubin",
    "chain_draws",
    "compare_checklists",
    "diagnostic_checklist",
    "divergence_table",
    "draws_table",
    "energy_table",
    "ess_per_gradient",
    "ess_per_second",
    "example_chains",
    "gelman_rubin",
    "gelman_rubin_steps",
    "metropolis_chains",
    "mixture_model",
    "rank_table",
    "rhat_methods",
    "variable_elements",
    "variable_names",
]

# The checklist every fit should pass before its numbers are used.
CHECKLIST_THRESHOLDS = {"rhat": 1.01, "ess": 400.0, "divergences": 0, "bfmi": 0.3}

ChainKind = Literal["mixed", "stuck", "trending", "heavy_tailed", "unequal_spread"]
CHAIN_KINDS: tuple[str, ...] = ("mixed", "stuck", "trending", "heavy_tailed", "unequal_spread")


# --------------------------------------------------------------------------------------
# The Gelman-Rubin statistic by hand
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GelmanRubin:
    """Each step of the Gelman-Rubin statistic for one parameter.

    Attributes
    ----------
    chain_means, chain_variances : ndarray, shape (chains,)
        Each chain's mean and its variance ``s_m^2`` (divisor ``N - 1``).
    within : float
        ``W``, the average within-chain variance.
    between_over_n : float
        ``B / N``, the variance of the chain means (divisor ``M - 1``).
    var_plus : float
        ``Var+ = (N - 1) / N * W + B / N``.
    rhat : float
        ``sqrt(Var+ / W)``.
    chains, draws : int
        ``M`` and ``N``.
    """

    chain_means: np.ndarray
    chain_variances: np.ndarray
    within: float
    between_over_n: float
    var_plus: float
    rhat: float
    chains: int
    draws: int

    def to_frame(self) -> pd.DataFrame:
        """The steps as a two-column table (``quantity``, ``value``)."""
        rows = [
            ("M (chains)", self.chains),
            ("N (draws per chain)", self.draws),
            *((f"mean of chain {m}", v) for m, v in enumerate(self.chain_means)),
            *((f"s² of chain {m}", v) for m, v in enumerate(self.chain_variances)),
            ("W", self.within),
            ("B / N", self.between_over_n),
            ("Var+", self.var_plus),
            ("R-hat", self.rhat),
        ]
        return pd.DataFrame(rows, columns=["quantity", "value"])


def _as_chain_array(draws) -> np.ndarray:
    try:
        array = np.asarray(draws, dtype=float)
    except (TypeError, ValueError):
        raise WorkbookInputError(
            f"draws must be numbers in an array of shape (chains, draws), got {draws!r}"
        ) from None
    if array.ndim != 2:
        raise WorkbookInputError(
            f"draws must have shape (chains, draws), got an array of shape {array.shape}"
        )
    chains, n = array.shape
    if chains < 2:
        raise WorkbookInputError(f"R-hat compares chains: need at least 2 chains, got {chains}")
    if n < 2:
        raise WorkbookInputError(f"each chain needs at least 2 draws, got {n}")
    if not np.isfinite(array).all():
        raise WorkbookInputError("draws must all be finite numbers (found NaN or infinity)")
    return array


def gelman_rubin_steps(draws) -> GelmanRubin:
    """Compute the classic (not split, not rank-normalised) Gelman-Rubin statistic step by step.

    Parameters
    ----------
    draws : array-like, shape (chains, draws)
        One row per chain, at least two chains of at least two draws.

    Returns
    -------
    GelmanRubin

    Raises
    ------
    WorkbookInputError
        The array is not two-dimensional, has fewer than two chains or draws, holds a value
        that is not finite, or every chain is constant (``W = 0``).

    Examples
    --------
    >>> steps = gelman_rubin_steps([[1.0, 2.0, 3.0, 4.0], [3.0, 4.0, 5.0, 6.0]])
    >>> round(steps.within, 4), steps.between_over_n, steps.var_plus
    (1.6667, 2.0, 3.25)
    >>> round(steps.rhat, 4)
    1.3964
    """
    array = _as_chain_array(draws)
    chains, n = array.shape
    chain_means = array.mean(axis=1)
    # s_m^2: each chain's variance around its own mean, divisor N - 1.
    chain_variances = ((array - chain_means[:, None]) ** 2).sum(axis=1) / (n - 1)
    within = float(chain_variances.mean())
    if within == 0:
        raise WorkbookInputError(
            "every chain is constant (within-chain variance W = 0), so R-hat is undefined"
        )
    grand_mean = chain_means.mean()
    between_over_n = float(((chain_means - grand_mean) ** 2).sum() / (chains - 1))
    var_plus = (n - 1) / n * within + between_over_n
    return GelmanRubin(
        chain_means=chain_means,
        chain_variances=chain_variances,
        within=within,
        between_over_n=between_over_n,
        var_plus=float(var_plus),
        rhat=float(math.sqrt(var_plus / within)),
        chains=chains,
        draws=n,
    )


def gelman_rubin(draws) -> float:
    """The classic Gelman-Rubin R-hat of chains given as an array of shape (chains, draws).

    See :func:`gelman_rubin_steps` for the working; this returns its last line.

    Examples
    --------
    >>> import numpy as np
    >>> chains = np.random.default_rng(1).normal(size=(4, 2000))  # four well-mixed chains
    >>> gelman_rubin(chains) < 1.01
    True
    >>> gelman_rubin(chains + np.array([[0.0], [0.0], [0.0], [3.0]])) > 1.1  # one stuck elsewhere
    True
    """
    return gelman_rubin_steps(draws).rhat


def example_chains(
    kind: ChainKind,
    *,
    chains: int = 4,
    draws: int = 1000,
    rng: np.random.Generator,
) -> np.ndarray:
    """Artificial chains (shape ``(chains, draws)``) that show what each R-hat can see.

    ``mixed``
        Independent standard normal draws in every chain: the ideal.
    ``stuck``
        Chain ``m`` sits around its own centre, evenly spaced between -1.5 and 1.5.
    ``trending``
        Every chain drifts from -2 to 2 over its length (plus noise): all chains share the
        same mean, so comparing whole chains misses the drift; comparing halves catches it.
    ``heavy_tailed``
        Standard Cauchy draws, the first chain shifted by 2: its huge outliers swamp the
        variances the classic statistic compares; ranks are not swayed by them.
    ``unequal_spread``
        Normal draws with the same centre, the first chain three times as wide.
    """
    if kind not in CHAIN_KINDS:
        raise WorkbookInputError(
            f"unknown kind {kind!r}; expected one of: {', '.join(CHAIN_KINDS)}"
        )
    for name, value, low in (("chains", chains, 2), ("draws", draws, 4)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise WorkbookInputError(f"{name} must be a whole number >= {low}, got {value!r}")
    if not isinstance(rng, np.random.Generator):
        raise WorkbookInputError(f"rng must be a numpy.random.Generator, got {rng!r}")
    shape = (chains, draws)
    first_only = np.zeros((chains, 1))
    first_only[0] = 1.0
    if kind == "mixed":
        return rng.normal(size=shape)
    if kind == "stuck":
        return rng.normal(size=shape) + np.linspace(-1.5, 1.5, chains)[:, None]
    if kind == "trending":
        return rng.normal(size=shape) + np.linspace(-2.0, 2.0, draws)[None, :]
    if kind == "heavy_tailed":
        return rng.standard_cauchy(size=shape) + 2.0 * first_only
    return rng.normal(size=shape) * (1.0 + 2.0 * first_only)


def rhat_methods(draws) -> pd.DataFrame:
    """R-hat of the same chains by hand and by each of ArviZ's methods.

    Returns one row per method (``method``, ``rhat``, ``what it compares``): the hand
    computation, ArviZ's ``identity`` (the same classic formula), ``split`` (each chain cut
    in two halves), and ``rank`` (ArviZ's default: split chains, rank-normalised, and the
    larger of that and the same on folded draws ``|theta - median|``).
    """
    array = _as_chain_array(draws)
    rows = [
        ("by hand (classic)", gelman_rubin(array), "whole chains, raw values"),
        ("ArviZ identity", float(az.rhat(array, method="identity")), "whole chains, raw values"),
        ("ArviZ split", float(az.rhat(array, method="split")), "half chains, raw values"),
        (
            "ArviZ rank",
            float(az.rhat(array, method="rank")),
            "half chains, ranks of the values and of their distance from the median",
        ),
    ]
    return pd.DataFrame(rows, columns=["method", "rhat", "what it compares"])


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


def _whole(name: str, value, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise WorkbookInputError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def _thin_step(total: int, max_rows: int) -> int:
    return max(1, math.ceil(total / max_rows))


def draws_table(idata, var_name: str, *, max_rows: int = 4000) -> pd.DataFrame:
    """A variable's draws in long form for a trace chart: ``chain``, ``draw``, ``value``.

    When chains x draws exceed ``max_rows`` every k-th draw is kept (the same draws in every
    chain), with ``k`` the smallest step that fits; the frame's ``attrs["thin"]`` holds it.
    """
    max_rows = _whole("max_rows", max_rows, minimum=2)
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
    bins = _whole("bins", bins, minimum=2)
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
    bins = _whole("bins", bins, minimum=2)
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
    max_rows = _whole("max_rows", max_rows, minimum=2)
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
    if isinstance(per, bool) or not isinstance(per, int) or per < 1:
        raise WorkbookInputError(f"per must be a whole number >= 1, got {per!r}")
    total = float(steps.sum())
    if total <= 0:
        raise WorkbookInputError("the fit records no leapfrog steps at all")
    report = convergence_report(idata, var_names=var_names)
    return report.min_ess_bulk / total * per


# --------------------------------------------------------------------------------------
# Runs that fail on purpose
# --------------------------------------------------------------------------------------


def metropolis_chains(
    log_target: Callable[[float], float],
    starts: Sequence[float],
    *,
    proposal_sd: float,
    steps: int,
    rng: np.random.Generator,
    warmup: int = 0,
    var_name: str = "mu",
) -> xr.DataTree:
    """Random-walk Metropolis-Hastings chains from several starts, as one DataTree.

    Runs :func:`hbm_widgets.metropolis_hastings` once per start (one after the other, all
    drawing from ``rng``), drops the first ``warmup`` steps of each and stacks the chains
    with ArviZ (posterior ``var_name`` and sample stat ``accepted``). The acceptance rate
    of each chain (over all its steps) is kept in ``posterior.attrs["acceptance_rate"]``.
    """
    from hbm_widgets.lessons.metropolis import chains_to_idata, metropolis_hastings

    starts = list(starts)
    if len(starts) < 2:
        raise WorkbookInputError(
            f"give at least two starts so that chains can be compared, got {len(starts)}"
        )
    results = [
        metropolis_hastings(log_target, start, proposal_sd=proposal_sd, steps=steps, rng=rng)
        for start in starts
    ]
    idata = chains_to_idata(results, warmup=warmup, var_name=var_name)
    idata["posterior"].attrs["acceptance_rate"] = [r.acceptance_rate for r in results]
    idata["posterior"].attrs["starts"] = [float(s) for s in starts]
    return idata


def mixture_model(y, *, ordered: bool = False, sigma: float = 1.0, prior_sd: float = 5.0):
    """An equal-weight mixture of two normals with unknown means and known ``sigma``.

    Both means get the same prior ``N(0, prior_sd^2)``, so nothing in the model says which
    component is which: swapping the labels gives the same posterior density, which then
    has two mirror-image modes (label switching). ``ordered=True`` identifies the model
    by requiring ``mu[0] < mu[1]`` (PyMC's ordered transform), which keeps one of them.

    The means are ``mu`` with dims ``component``; the observations ``y`` with dims
    ``obs_id``.
    """
    y = np.asarray(y, dtype=float)
    if y.ndim != 1 or y.size < 2 or not np.isfinite(y).all():
        raise WorkbookInputError(
            f"y must be a 1-d array of at least two finite numbers, got shape {y.shape}"
        )
    for name, value in (("sigma", sigma), ("prior_sd", prior_sd)):
        if not (isinstance(value, numbers.Real) and math.isfinite(value) and value > 0):
            raise WorkbookInputError(f"{name} must be a positive number, got {value!r}")
    coords = {"component": [0, 1], "obs_id": np.arange(y.size)}
    with pm.Model(coords=coords) as model:
        if ordered:
            mu = pm.Normal(
                "mu",
                mu=0.0,
                sigma=prior_sd,
                dims="component",
                transform=pm.distributions.transforms.ordered,
                initval=np.array([-1.0, 1.0]),
            )
        else:
            mu = pm.Normal("mu", mu=0.0, sigma=prior_sd, dims="component")
        pm.NormalMixture("y", w=np.array([0.5, 0.5]), mu=mu, sigma=sigma, observed=y, dims="obs_id")
    return model
