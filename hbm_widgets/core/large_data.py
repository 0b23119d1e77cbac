"""What the grouped-data report needs to run on a large file: a size check before anything
runs, a progress line per fit, a parameterisation suited to the groups, and tables that keep
significant figures.
"""

from __future__ import annotations

import math
import os
import sys

import numpy as np
import pandas as pd

from hbm_widgets.core.data import GroupedData
from hbm_widgets.core.errors import DataValidationError, WorkbookInputError, check_whole_number

__all__ = [
    "CHARTED_GROUPS",
    "MEMORY_LIMIT_ENV",
    "PROGRESS_ENV",
    "check_report_size",
    "estimated_report_memory",
    "groups_to_chart",
    "partial_pooling_parameterization",
    "report_progress",
    "significant_figures",
]

PROGRESS_ENV = "HBM_REPORT_PROGRESS"
MEMORY_LIMIT_ENV = "HBM_REPORT_MEMORY_LIMIT"  # in MB

# A chart of a few thousand groups is unreadable, and Vega-Lite's SVG export of one overflows
# its stack; past this many, charts show an even spread of the groups.
CHARTED_GROUPS = 60

# The report's peak memory (the command and its kernel), measured at the defaults
# (benchmarks/report_large.py): 1.29 GB for 2,000 rows in 50 groups; 2.42 GB (2.25 GiB) for
# 300,000 rows of ten columns (45 MB) in 2,000 groups, one fit sampled again at 2000 draws.
# The figures below give 1.5 and 2.57 GB: a margin of about 0.15 GB. The base is a kernel
# with PyMC, JAX and the compiled samplers; a row costs the whole file read as a data frame
# (every column, text ones as Python strings), the three models' per-observation LOO results
# and the posterior predictive check's draws (2,500 bytes allowed); a stored draw of a group
# coefficient the fits' copies of it and those the group tables make from them.
_BASE_BYTES = 1.5e9
_BYTES_PER_ROW = 2_500
_BYTES_PER_GROUP_DRAW = 8 * 5


def report_progress(message: str) -> None:
    """Write one line to the terminal that started the report, when it asks for progress.

    The report's kernel inherits the ``hbm-report`` command's file descriptors, so
    ``sys.__stderr__`` is that terminal (the notebook's own ``sys.stderr`` is captured into
    the page). Nothing is written unless ``HBM_REPORT_PROGRESS`` is ``"1"``.
    """
    if os.environ.get(PROGRESS_ENV) != "1" or sys.__stderr__ is None:
        return
    sys.__stderr__.write(message + "\n")
    sys.__stderr__.flush()


def _available_bytes() -> float:
    """The memory the report may use: ``HBM_REPORT_MEMORY_LIMIT`` (MB) if set, else what the
    system reports available (``MemAvailable`` in /proc/meminfo, or free pages)."""
    override = os.environ.get(MEMORY_LIMIT_ENV)
    if override:
        try:
            limit_mb = float(override)
        except ValueError:
            raise WorkbookInputError(
                f"{MEMORY_LIMIT_ENV} must be a number of MB, got {override!r}"
            ) from None
        if not limit_mb > 0:
            raise WorkbookInputError(f"{MEMORY_LIMIT_ENV} must be above 0 MB, got {override!r}")
        return limit_mb * 1e6
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return math.inf  # no way to tell: let the report try


def _group_coefficients(varying: str) -> int:
    return 2 if varying == "both" else 1


def estimated_report_memory(
    n_rows: int,
    n_groups: int,
    *,
    draws: int,
    chains: int,
    varying: str = "intercept",
    pointwise_arrays: int = 0,
) -> float:
    """The report's estimated peak memory in bytes, from the calibration above, plus
    ``pointwise_arrays`` arrays of one number per row and draw that the report holds whole
    (a formula report's log-likelihoods and predictive draws)."""
    group_draws = draws * chains * n_groups * _group_coefficients(varying)
    pointwise = pointwise_arrays * n_rows * draws * chains * 8
    return _BASE_BYTES + n_rows * _BYTES_PER_ROW + group_draws * _BYTES_PER_GROUP_DRAW + pointwise


def _megabytes(n_bytes: float) -> str:
    return f"{n_bytes / 1e9:.1f} GB" if n_bytes >= 1e9 else f"{n_bytes / 1e6:.0f} MB"


def check_report_size(
    n_rows: int,
    n_groups: int,
    *,
    draws: int,
    chains: int,
    varying: str = "intercept",
    pointwise_arrays: int = 0,
    memory_limit: float | None = None,
) -> float:
    """Refuse a report that would not fit in memory, before anything is fitted.

    Parameters
    ----------
    n_rows, n_groups : int
        The file's observations and groups (``data.n_obs``, ``data.n_groups``).
    draws, chains : int
        The report's settings.
    varying : str
        What differs between groups (both: twice the group coefficients).
    pointwise_arrays : int
        Arrays of one number per row and draw the report holds whole (0 for the
        grouped-data report, whose LOO goes a block of rows at a time).
    memory_limit : float, optional
        Bytes the report may use; default: ``HBM_REPORT_MEMORY_LIMIT`` (MB) if set, else the
        memory the system has available now.

    Returns
    -------
    float
        The estimated peak in bytes, when it fits.

    Raises
    ------
    DataValidationError
        One line: the file's rows and groups, the estimate, the limit and what would fit.
    """
    limit = _available_bytes() if memory_limit is None else float(memory_limit)
    needed = estimated_report_memory(
        n_rows,
        n_groups,
        draws=draws,
        chains=chains,
        varying=varying,
        pointwise_arrays=pointwise_arrays,
    )
    if needed <= limit:
        return needed
    group_draw = chains * n_groups * _group_coefficients(varying) * _BYTES_PER_GROUP_DRAW
    pointwise = 8 * pointwise_arrays * chains  # bytes per row and draw

    def most_draws(rows: float) -> int:
        return int((limit - _BASE_BYTES - rows * _BYTES_PER_ROW) // (group_draw + pointwise * rows))

    def most_rows(draws_: float) -> int:
        return int(
            (limit - _BASE_BYTES - draws_ * group_draw) // (_BYTES_PER_ROW + pointwise * draws_)
        )

    options = []
    if most_draws(n_rows) >= 1:
        options.append(f"--draws {most_draws(n_rows)} or fewer")
    if most_rows(draws) >= 1:
        options.append(f"a file of at most {most_rows(draws):,} rows")
    half_rows = (limit - _BASE_BYTES) / 2 // _BYTES_PER_ROW
    if options:
        advice = f"it would fit with {' or '.join(options)}"
    elif half_rows >= 1 and most_draws(half_rows) >= 1:
        # Neither alone is enough: half the room for the rows, the rest for the draws.
        advice = (
            f"it would fit with --draws {most_draws(half_rows)} or fewer and a file of "
            f"at most {int(half_rows):,} rows"
        )
    else:
        advice = f"the report alone needs about {_megabytes(_BASE_BYTES)}; use more memory"
    raise DataValidationError(
        f"the file has {n_rows:,} rows in {n_groups:,} groups: the report would need about "
        f"{_megabytes(needed)} at {draws} draws x {chains} chains, more than the "
        f"{_megabytes(limit)} available; {advice}"
    )


# How many times the population's information the median group's own data must carry
# before the centred form is used.
CENTRED_FROM = 10.0


def partial_pooling_parameterization(data: GroupedData) -> str:
    """``"centered"`` when the typical group's own data outweigh the population, else
    ``"non_centered"``.

    Non-centred offsets avoid the funnel between group effects and their spread when groups
    say little; when most groups are large they are tied to the spread instead, and NUTS
    mixes slowly (300,000 rows in 2,000 groups: R-hat 1.05, bulk ESS 88 non-centred, R-hat
    1.01 and ESS 3,600 centred). The rule compares, for the median group, the information
    of its own mean (``n_j / sigma^2``) with the population's (``1 / tau^2``), from moment
    estimates of the within-group and between-group variances, and asks for ten times as
    much: at a ratio of about 2 (eight groups of ten, group SD half the noise SD) the centred
    form still diverged where the non-centred one did not.
    """
    sizes = np.bincount(data.group_idx, minlength=data.n_groups).astype(float)
    means = np.bincount(data.group_idx, weights=data.outcome, minlength=data.n_groups) / sizes
    deviations = data.outcome - means[data.group_idx]
    within_df = data.n_obs - data.n_groups
    if within_df < 1 or data.n_groups < 2:
        return "non_centered"
    within = float(np.sum(deviations**2)) / within_df
    between = float(np.var(means, ddof=1)) - float(np.mean(within / sizes))
    if within <= 0 or between <= 0:
        return "non_centered"
    information_ratio = float(np.median(sizes)) * between / within
    return "centered" if information_ratio >= CENTRED_FROM else "non_centered"


def groups_to_chart(data: GroupedData, *, at_most: int = CHARTED_GROUPS) -> list[str]:
    """Every group's name when there are at most ``at_most``; otherwise ``at_most`` of them,
    evenly spread over the groups ordered by size (then name), smallest and largest included.
    """
    at_most = check_whole_number("at_most", at_most, low=2)
    names = np.asarray(data.group_names)
    if data.n_groups <= at_most:
        return names.tolist()
    by_size = np.lexsort((names, np.bincount(data.group_idx, minlength=data.n_groups)))
    picks = np.unique(np.linspace(0, data.n_groups - 1, at_most).round().astype(int))
    return names[by_size[picks]].tolist()


def _significant(value, digits: int) -> str:
    """A number with ``digits`` significant figures, never rounded away to 0."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    value = float(value)
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    magnitude = math.floor(math.log10(abs(value)))
    if magnitude >= digits - 1:
        return f"{value:,.0f}"
    if magnitude >= -3:
        return f"{value:.{digits - 1 - magnitude}f}"
    return f"{value:.{digits - 1}e}"


def significant_figures(frame: pd.DataFrame, *, digits: int = 4):
    """The frame for display, its decimal columns shown to ``digits`` significant figures.

    Unlike ``round(3)``, a value on a 1e-9 scale stays visible (``1.235e-09``), and a large
    one keeps its integer digits (``-441,037``). A decimal column of whole numbers (a 0/1
    predictor read as floats) shows them whole (``0``, ``1``), and the decimals of a column
    of mixed values (a table of figures of different kinds) get the same significant
    figures. Row numbers (an unnamed index of whole numbers) are hidden; an index that
    names the rows is shown. Returns a pandas ``Styler``; the frame's values are unchanged.
    """
    if not isinstance(frame, pd.DataFrame):
        raise WorkbookInputError(f"expected a DataFrame, got {type(frame).__name__}")

    def decimal(value) -> bool:
        return isinstance(value, float | np.floating)

    def whole(column) -> bool:
        values = frame[column].dropna().to_numpy(dtype=float)
        return values.size > 0 and bool(np.all(np.isfinite(values) & (values == np.round(values))))

    styler = frame.style
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_float_dtype(values):
            if whole(column):
                styler = styler.format("{:,.0f}", subset=[column], na_rep="")
            else:
                styler = styler.format(lambda v: _significant(v, digits), subset=[column])
        elif values.dtype == object and any(decimal(v) for v in values):
            styler = styler.format(
                lambda v: (
                    (f"{v:,.0f}" if float(v).is_integer() else _significant(v, digits))
                    if decimal(v)
                    else str(v)
                ),
                subset=[column],
            )
    # Names read from the left, numbers line up on the right.
    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if text:
        styler = styler.set_properties(subset=text, **{"text-align": "left"})
    # Row numbers (even out of order, after a sort) say nothing; labels or a named index do.
    if frame.index.name is None and pd.api.types.is_integer_dtype(frame.index):
        styler = styler.hide(axis="index")
    return styler
