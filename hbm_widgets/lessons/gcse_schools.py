"""GCSE schools compared: expected scores, ranks, pairwise probabilities, each school's line.

:func:`expected_scores`, :func:`school_ranks`, :func:`compare_schools` and
:func:`pairwise_probabilities` turn posterior draws into rankings and comparisons;
:func:`school_line_estimates` gives each school's no-pooling and partial-pooling line.
Schools are named by their identifier as a string (``"20920"``); integers are accepted too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats

from hbm_widgets.core.data import GroupedData
from hbm_widgets.core.errors import WorkbookInputError, check_whole_number

__all__ = [
    "SchoolComparison",
    "compare_schools",
    "expected_scores",
    "pairwise_probabilities",
    "rank_summary",
    "school_line_estimates",
    "school_lines",
    "school_ranks",
    "score_summary",
]


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
    bins = check_whole_number("bins", bins, low=2)
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
        top = check_whole_number("top", top, low=2)
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
