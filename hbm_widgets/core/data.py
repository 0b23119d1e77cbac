"""Loading and validating the workbook's grouped data.

``load_radon`` and ``load_gcse`` return the shipped CSV files as data frames.
``GroupedData`` is what every model builder takes: one outcome, at most one individual-level
predictor, a group index and, optionally, one group-level predictor, checked once here so
that a mistake surfaces as a clear message rather than deep inside PyMC.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from hbm_widgets.core.columns import (
    FAMILIES,
    ModelNames,
    model_names,
    one_line,
    outcome_family_problem,
    repeated_names,
)
from hbm_widgets.core.errors import DataValidationError

__all__ = [
    "GroupedData",
    "data_dir",
    "load_gcse",
    "load_grouped_csv",
    "load_radon",
]

MissingPolicy = Literal["error", "drop"]


def data_dir() -> Path:
    """Folder holding the shipped CSV files (``HBM_DATA_DIR`` overrides it)."""
    override = os.environ.get("HBM_DATA_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "data"


def _read_shipped(name: str) -> pd.DataFrame:
    path = data_dir() / name
    if not path.is_file():
        raise DataValidationError(
            f"the shipped data file {path} is missing; rebuild it with `python data/build.py`"
        )
    return pd.read_csv(path)


def load_radon() -> pd.DataFrame:
    """The Minnesota radon survey: 919 houses in 85 counties.

    Columns: ``county`` (name), ``log_radon``, ``floor`` (0 = basement, 1 = first floor) and
    ``log_uranium`` (county-level soil uranium).

    Examples
    --------
    >>> radon = load_radon()
    >>> radon.shape
    (919, 4)
    """
    return _read_shipped("radon.csv")


def load_gcse() -> pd.DataFrame:
    """GCSE science scores: 1905 students in 73 schools, missing scores left as NaN.

    Columns: ``school``, ``student``, ``female`` (0/1), ``written`` and ``course``.

    Examples
    --------
    >>> gcse = load_gcse()
    >>> int(gcse["course"].isna().sum())
    180
    """
    return _read_shipped("gcse.csv")


@dataclass(frozen=True, eq=False)
class GroupedData:
    """Validated arrays for a two-level model.

    Build it with :meth:`from_frame` or :func:`load_grouped_csv`, which check the input;
    the fields are then plain NumPy arrays ready for PyMC.

    Attributes
    ----------
    outcome : ndarray of float, shape (n_obs,)
    group_idx : ndarray of int, shape (n_obs,)
        Position of each observation's group in ``group_names``.
    group_names : ndarray of str, shape (n_groups,)
    predictor : ndarray of float, shape (n_obs,), or None
    group_predictor : ndarray of float, shape (n_groups,), or None
        One value per group, in the order of ``group_names``.
    outcome_name, group_name, predictor_name, group_predictor_name : str or None
        The columns the arrays came from; models name their variables and dims after them.
    dropped_rows : int
        Rows left out because of missing values (only with ``missing="drop"``).
    missing_values : dict of str to int
        How many values each column used was missing in the rows read, before any row was
        left out.
    """

    outcome: np.ndarray
    group_idx: np.ndarray
    group_names: np.ndarray
    outcome_name: str
    group_name: str
    predictor: np.ndarray | None = None
    predictor_name: str | None = None
    group_predictor: np.ndarray | None = None
    group_predictor_name: str | None = None
    dropped_rows: int = 0
    frame: pd.DataFrame | None = field(default=None, repr=False)
    missing_values: dict[str, int] = field(default_factory=dict, repr=False)

    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        *,
        group: str,
        outcome: str,
        predictor: str | None = None,
        group_predictor: str | None = None,
        missing: MissingPolicy = "error",
        family: str | None = None,
    ) -> GroupedData:
        """Check a data frame and turn it into grouped arrays.

        Parameters
        ----------
        df : DataFrame
            One row per observation.
        group, outcome : str
            Columns holding the group label and the numeric outcome.
        predictor : str, optional
            A numeric individual-level predictor (its slope can vary by group).
        group_predictor : str, optional
            A numeric predictor constant within each group (e.g. county uranium).
        missing : {"error", "drop"}
            What to do with rows that have a missing value in a used column: refuse with a
            message (default, so that nothing is dropped silently) or drop them.
        family : {None, "gaussian"}
            The outcome's distribution. ``None`` (the default) accepts an outcome a normal
            model suits and refuses one that holds only 0 and 1 or looks like counts (see
            :func:`outcome_family_problem`); ``"gaussian"`` fits a normal model to any
            numeric outcome.

        Raises
        ------
        DataValidationError
            The frame has no rows or repeats a column name, a column is missing or not
            numeric, a numeric column holds inf or -inf, values are missing and
            ``missing="error"``, fewer than two groups remain, a predictor has no variance,
            a group-level predictor varies within a group, or the outcome is binary or
            counts and ``family`` is None.

        Examples
        --------
        >>> data = GroupedData.from_frame(
        ...     load_radon(), group="county", outcome="log_radon", predictor="floor"
        ... )
        >>> data.n_obs, data.n_groups
        (919, 85)
        """
        return _grouped_data(
            cls,
            df,
            group=group,
            outcome=outcome,
            predictor=predictor,
            group_predictor=group_predictor,
            missing=missing,
            family=family,
            row_label=_row_name,
        )

    @property
    def model_names(self) -> ModelNames:
        """The names of the model's group dim, data containers and outcome (see ModelNames)."""
        return model_names(
            group=self.group_name,
            outcome=self.outcome_name,
            predictor=self.predictor_name,
            group_predictor=self.group_predictor_name,
        )

    @property
    def n_obs(self) -> int:
        return int(self.outcome.shape[0])

    @property
    def n_groups(self) -> int:
        return int(self.group_names.shape[0])

    @property
    def group_sizes(self) -> np.ndarray:
        """Number of observations in each group, in the order of ``group_names``."""
        return np.bincount(self.group_idx, minlength=self.n_groups)

    @property
    def group_means(self) -> np.ndarray:
        """Each group's mean outcome (the no-pooling estimate without predictors)."""
        sums = np.bincount(self.group_idx, weights=self.outcome, minlength=self.n_groups)
        return sums / self.group_sizes

    @property
    def coords(self) -> dict[str, list]:
        """PyMC coordinates: the group dimension named after the group column (see
        :attr:`model_names`)."""
        return {
            self.model_names.group_dim: self.group_names.tolist(),
            "obs_id": list(range(self.n_obs)),
        }

    def summary(self) -> pd.DataFrame:
        """A one-row-per-group table: size, mean outcome and group-level predictor."""
        table = pd.DataFrame(
            {
                self.group_name: self.group_names,
                "n": self.group_sizes,
                f"mean_{self.outcome_name}": self.group_means,
            }
        )
        if self.group_predictor is not None:
            table[self.group_predictor_name] = self.group_predictor
        return table

    def __repr__(self) -> str:
        parts = [f"outcome={self.outcome_name!r}", f"group={self.group_name!r}"]
        if self.predictor_name:
            parts.append(f"predictor={self.predictor_name!r}")
        if self.group_predictor_name:
            parts.append(f"group_predictor={self.group_predictor_name!r}")
        parts.append(f"n_obs={self.n_obs}, n_groups={self.n_groups}")
        return f"GroupedData({', '.join(parts)})"


def _grouped_data(
    cls,
    df,
    *,
    group,
    outcome,
    predictor,
    group_predictor,
    missing,
    family,
    row_label,
) -> GroupedData:
    """The checks of :meth:`GroupedData.from_frame`; ``row_label`` names a row of ``df`` by its
    index label the way the user counts it (a frame's label, a file's line)."""
    if not isinstance(df, pd.DataFrame):
        raise DataValidationError(f"expected a pandas DataFrame, got {type(df).__name__}")
    if missing not in ("error", "drop"):
        raise DataValidationError(f"missing={missing!r} is not one of 'error', 'drop'")
    if family not in FAMILIES:
        allowed = ", ".join(repr(f) for f in FAMILIES)
        raise DataValidationError(f"family={family!r} is not one of {allowed}")
    repeated = repeated_names(df.columns)
    if repeated:
        raise DataValidationError(
            f"the data repeat the column name(s) {repeated}; each column needs its own name"
        )
    if df.empty and len(df.columns):
        raise DataValidationError("the data have no rows (only column names)")
    roles = {"group": group, "outcome": outcome}
    if predictor is not None:
        roles["predictor"] = predictor
    if group_predictor is not None:
        roles["group_predictor"] = group_predictor
    _check_role_columns(df, roles)

    numeric_roles = {r: c for r, c in roles.items() if r != "group"}
    used = df[list(dict.fromkeys(roles.values()))].copy()
    for role, column in numeric_roles.items():
        used[column] = _as_numeric(used[column], role, column, row_label)
        infinite = np.isinf(used[column].to_numpy())
        if infinite.any():
            first = used.index[infinite.argmax()]
            raise DataValidationError(
                f"{role} column {column!r} holds {int(infinite.sum())} infinite value(s) "
                f"(inf or -inf), the first at {row_label(first)}; expected finite numbers"
            )

    missing_values = {str(column): int(n) for column, n in used.isna().sum().items()}
    incomplete = used.isna().any(axis=1)
    n_incomplete = int(incomplete.sum())
    if n_incomplete and missing == "error":
        counts = ", ".join(f"{c!r}: {int(n)}" for c, n in used.isna().sum().items() if n)
        raise DataValidationError(
            f"{n_incomplete} of {len(used)} rows have missing values ({counts}); "
            "pass missing='drop' to leave those rows out, or fill them in first"
        )
    used = used.loc[~incomplete]
    if used.empty:
        raise DataValidationError("no rows are left once rows with missing values are dropped")

    codes, names = pd.factorize(used[group], sort=True)
    if len(names) < 2:
        raise DataValidationError(
            f"group column {group!r} has {len(names)} distinct value(s) "
            f"({', '.join(map(str, names))}); a hierarchical model needs at least two groups"
        )

    outcome_values = used[outcome].to_numpy(dtype=float)
    if family is None:
        problem = outcome_family_problem(outcome_values, outcome)
        if problem:
            raise DataValidationError(problem)
    for role, column in numeric_roles.items():
        # Finite values whose spread overflows (beyond about 1e154) leave no usable scale.
        with np.errstate(over="ignore"):
            spread = np.std(used[column].to_numpy())
        if not np.isfinite(spread):
            raise DataValidationError(
                f"{role} column {column!r} spans too wide a range (its standard deviation "
                "overflows); rescale it, e.g. to other units or a logarithm"
            )
    predictor_values = None
    if predictor is not None:
        predictor_values = used[predictor].to_numpy(dtype=float)
        if np.ptp(predictor_values) == 0:
            raise DataValidationError(
                f"predictor column {predictor!r} has no variance (every value is "
                f"{predictor_values[0]:g}); a slope cannot be estimated from it"
            )

    group_predictor_values = None
    if group_predictor is not None:
        by_group = used.groupby(codes)[group_predictor]
        spread = by_group.max() - by_group.min()
        if (spread > 1e-9 * (1 + by_group.max().abs())).any():
            bad = names[int(spread.idxmax())]
            raise DataValidationError(
                f"group-level predictor {group_predictor!r} varies within group {bad!r}; "
                "it must be constant within each group"
            )
        group_predictor_values = by_group.first().to_numpy(dtype=float)
        if np.ptp(group_predictor_values) == 0:
            raise DataValidationError(
                f"group-level predictor {group_predictor!r} is the same in every group "
                f"({group_predictor_values[0]:g}); its coefficient cannot be estimated"
            )

    return cls(
        outcome=outcome_values,
        group_idx=codes.astype(np.int64),
        group_names=np.asarray([str(n) for n in names]),
        outcome_name=outcome,
        group_name=group,
        predictor=predictor_values,
        predictor_name=predictor,
        group_predictor=group_predictor_values,
        group_predictor_name=group_predictor,
        dropped_rows=n_incomplete,
        frame=used.reset_index(drop=True),
        missing_values=missing_values,
    )


def _check_role_columns(df: pd.DataFrame, roles: dict[str, str]) -> None:
    """Every role's column is in the frame, and no column plays two roles."""
    for role, column in roles.items():
        if column not in df.columns:
            available = ", ".join(map(str, df.columns))
            raise DataValidationError(
                f"{role} column {column!r} is not in the data; available columns: {available}"
            )
    if len(set(roles.values())) < len(roles):
        raise DataValidationError(f"each role needs its own column, got {roles}")


def _row_name(label) -> str:
    """How a data frame's row is named in a message (its label)."""
    return f"row {label!r}"


def _as_numeric(column: pd.Series, role: str, name: str, row_label=_row_name) -> pd.Series:
    if pd.api.types.is_bool_dtype(column):
        return column.astype(float)
    if pd.api.types.is_numeric_dtype(column):
        return column.astype(float)
    converted = pd.to_numeric(column, errors="coerce")
    bad = column[converted.isna() & column.notna()]
    if len(bad):
        raise DataValidationError(
            f"{role} column {name!r} must be numeric, but it holds {bad.iloc[0]!r} "
            f"({row_label(bad.index[0])}) and {len(bad) - 1} other non-numeric value(s)"
        )
    return converted.astype(float)


def load_grouped_csv(
    path: str | os.PathLike,
    *,
    group: str,
    outcome: str,
    predictor: str | None = None,
    group_predictor: str | None = None,
    missing: MissingPolicy = "error",
    family: str | None = None,
) -> GroupedData:
    """Read a user's CSV file (one row per observation) and validate it as grouped data.

    The keywords are those of :meth:`GroupedData.from_frame`; a row is named by its line in
    the file, the header being line 1.

    Raises
    ------
    DataValidationError
        The file does not exist, is empty, is not UTF-8 text, cannot be parsed as CSV, has
        a header but no rows or repeats a column name, or its columns fail the checks of
        :meth:`GroupedData.from_frame`.
    """
    path = Path(path)
    if not path.is_file():
        raise DataValidationError(f"no such file: {path}")
    if path.stat().st_size == 0:
        raise DataValidationError(
            f"{path} is empty (0 bytes); expected a CSV file whose first line names the columns"
        )
    try:
        # The header as written: pandas would rename a repeated name (y, y.1) silently.
        header = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False)
        frame = pd.read_csv(path)
    except UnicodeDecodeError as exc:
        raise DataValidationError(
            f"{path} is not a CSV file: it is not UTF-8 text (byte {exc.object[exc.start]:#04x} "
            f"at position {exc.start})"
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataValidationError(f"{path} is not a valid CSV file: {one_line(exc)}") from None
    repeated = repeated_names(header.iloc[0].tolist()) if len(header) else ""
    if repeated:
        raise DataValidationError(
            f"{path} repeats the column name(s) {repeated} in its header; "
            "each column needs its own name"
        )
    if frame.empty:
        raise DataValidationError(
            f"{path} has no rows of data: only its header line "
            f"({', '.join(map(str, frame.columns))})"
        )
    return _grouped_data(
        GroupedData,
        frame,
        group=group,
        outcome=outcome,
        predictor=predictor,
        group_predictor=group_predictor,
        missing=missing,
        family=family,
        # A row's label is its position among the data rows; the header is line 1.
        row_label=lambda label: f"line {label + 2}",
    )
