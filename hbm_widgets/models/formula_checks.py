"""The checks a formula and its data pass before Bambi builds a model from them.

Each refuses with one line naming the value and what was expected: a formula that does not
parse, a column it names that the data lack (with the close matches), an unknown family,
an empty frame, missing values (refused or dropped, as the core's loaders do), an outcome
that does not suit its family, and a grouping with fewer than two levels. Used by
:mod:`hbm_widgets.models.formula`; nothing here is re-exported.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import formulae
import numpy as np
import pandas as pd

from hbm_widgets.core.columns import one_line, outcome_family_problem, repeated_names
from hbm_widgets.core.data import _as_numeric
from hbm_widgets.core.errors import DataValidationError, SpecificationError
from hbm_widgets.models.formula_text import FORMULA_EXAMPLE, formula_sides

__all__: list[str] = []

# The likelihood families a formula model may have, as Bambi names them.
FORMULA_FAMILIES = ("gaussian", "t", "bernoulli", "binomial", "poisson", "negativebinomial")
COUNT_FAMILIES = ("poisson", "negativebinomial")
_EXAMPLE = FORMULA_EXAMPLE
# brms's binomial response, ``successes | trials(n)``, which Bambi writes ``p(successes, n)``.
_BRMS_TRIALS = re.compile(r"^\s*([^|~()]+?)\s*\|\s*trials\(\s*([^()]+?)\s*\)\s*$")


@dataclass(frozen=True)
class GroupTerm:
    """One varying effect of a formula: ``effect`` varies by the levels of ``factor``.

    ``name`` is Bambi's (``1|county``, ``floor|county``, ``1|school:class`` for a nested
    level); ``effect`` is ``"1"`` for an intercept, else the term's expression; ``columns``
    are the data columns whose combined values make the levels.
    """

    name: str
    effect: str
    factor: str
    columns: tuple[str, ...]

    @property
    def is_intercept(self) -> bool:
        return self.effect == "1"


def check_family(family) -> str | None:
    """``family`` itself when it is one of :data:`FORMULA_FAMILIES` or None."""
    if family is not None and (not isinstance(family, str) or family not in FORMULA_FAMILIES):
        allowed = ", ".join(FORMULA_FAMILIES)
        raise SpecificationError(f"unknown family {family!r}; expected one of: {allowed}")
    return family


def bambi_formula(formula) -> str:
    """``formula`` with brms's binomial response ``s | trials(n)`` written ``p(s, n)``."""
    left, right = formula_sides(formula)
    trials = _BRMS_TRIALS.match(left)
    if trials:
        left = f"p({trials.group(1)}, {trials.group(2)}) "
    elif "|" in left:
        raise SpecificationError(
            f"formula {formula!r} has an outcome {left.strip()!r} that is not 'successes | "
            "trials(n)', the one '|' form an outcome may take"
        )
    return f"{left.strip()} ~ {right.strip()}"


def describe(formula: str):
    """formulae's description of ``formula`` (already through :func:`bambi_formula`)."""
    try:
        return formulae.model_description(formula)
    except Exception as error:  # formulae raises its own ParseError and plain ones alike
        raise SpecificationError(
            f"formula {formula!r} does not parse ({one_line(error)}); expected lme4 syntax "
            f"such as {_EXAMPLE}"
        ) from None


def group_terms(description) -> tuple[GroupTerm, ...]:
    """The formula's varying effects, named as Bambi names them."""
    terms = []
    for term in description.terms:
        if type(term).__name__ != "GroupSpecificTerm":
            continue
        effect = "1" if type(term.expr).__name__ == "Intercept" else term.expr.name
        factor = term.factor.name
        columns = tuple(sorted(term.factor.var_names))
        terms.append(
            GroupTerm(name=f"{effect}|{factor}", effect=effect, factor=factor, columns=columns)
        )
    return tuple(terms)


def check_frame(frame) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise DataValidationError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    repeated = repeated_names(frame.columns)
    if repeated:
        raise DataValidationError(
            f"the data repeat the column name(s) {repeated}; each column needs its own name"
        )
    if frame.empty:
        raise DataValidationError(
            f"the data have no rows ({len(frame.columns)} column(s)); a model needs observations"
        )


def check_columns(formula: str, description, frame: pd.DataFrame) -> list[str]:
    """The columns the formula uses, in the frame's order; every one must be in the frame."""
    columns = [str(c) for c in frame.columns]
    used = description.var_names
    for name in sorted(used):
        if name not in columns:
            close = difflib.get_close_matches(name, columns, n=3, cutoff=0.6)
            hint = (
                f"did you mean {', '.join(map(repr, close))}?"
                if close
                else f"available columns: {', '.join(columns)}"
            )
            raise DataValidationError(
                f"formula {formula!r} names column {name!r}, which is not in the data; {hint}"
            )
    return [c for c in columns if c in used]


def drop_missing(frame: pd.DataFrame, columns: list[str], *, missing: str):
    """The used columns of ``frame`` without incomplete rows, and how many were dropped."""
    if missing not in ("error", "drop"):
        raise DataValidationError(f"missing={missing!r} is not one of 'error', 'drop'")
    used = frame[columns]
    incomplete = used.isna().any(axis=1)
    n_incomplete = int(incomplete.sum())
    if n_incomplete and missing == "error":
        counts = ", ".join(f"{c!r}: {int(n)}" for c, n in used.isna().sum().items() if n)
        raise DataValidationError(
            f"{n_incomplete} of {len(used)} rows have missing values ({counts}); "
            "pass missing='drop' to leave those rows out, or fill them in first"
        )
    # Index labels kept, so that a later message names a row as the caller counts it.
    kept = used.loc[~incomplete].copy()
    if kept.empty:
        raise DataValidationError("no rows are left once rows with missing values are dropped")
    return kept, n_incomplete


def _numeric_outcome(frame: pd.DataFrame, column: str, family: str) -> np.ndarray:
    try:
        values = _as_numeric(frame[column], "outcome", column)
    except DataValidationError as error:
        raise DataValidationError(f"{error}; family {family!r} needs numbers") from None
    values = values.to_numpy(dtype=float)
    if not np.all(np.isfinite(values)):
        raise DataValidationError(
            f"outcome column {column!r} holds {int((~np.isfinite(values)).sum())} infinite "
            "value(s); expected finite numbers"
        )
    return values


def _first_bad(values: np.ndarray, bad: np.ndarray, index: pd.Index) -> str:
    first = int(bad.argmax())
    return f"{int(bad.sum())} such value(s), the first {values[first]:g} at row {index[first]!r}"


def check_outcome(frame: pd.DataFrame, description, family: str | None) -> str:
    """The family the outcome is fitted with: ``family``, or gaussian when None and the
    outcome suits a normal model (a 0/1 or count outcome is refused with the family it needs).
    """
    response = description.response
    columns = sorted(response.var_names)
    response_name = response.term.name
    if family == "binomial" or response_name.startswith("p("):
        return _check_binomial(frame, response_name, columns, family)
    if len(columns) != 1 or response_name != columns[0]:
        # A transformed outcome (np.log(y)): formulae evaluates it; only the family is checked.
        return family or "gaussian"
    column = columns[0]
    values = _numeric_outcome(frame, column, family or "gaussian")
    if family is None:
        problem = outcome_family_problem(values, column)
        if problem and set(np.unique(values).tolist()) == {0.0, 1.0}:
            raise DataValidationError(
                f"outcome {column!r} holds only 0 and 1: fit it with family='bernoulli' (or "
                "family='gaussian' to fit a normal model anyway)"
            )
        if problem:
            raise DataValidationError(
                f"outcome {column!r} looks like counts (whole numbers from 0 to "
                f"{values.max():g}, {np.mean(values == 0):.0%} zeros): fit it with "
                "family='poisson' or 'negativebinomial' (or family='gaussian' to fit a normal "
                "model anyway)"
            )
        return "gaussian"
    if family == "bernoulli":
        bad = (values != 0) & (values != 1)
        if bad.any():
            raise DataValidationError(
                f"outcome {column!r} must hold only 0 and 1 for family 'bernoulli', but it "
                f"holds {_first_bad(values, bad, frame.index)}"
            )
    if family in COUNT_FAMILIES:
        bad = (values < 0) | (values != np.round(values))
        if bad.any():
            raise DataValidationError(
                f"outcome {column!r} must hold counts (whole numbers >= 0) for family "
                f"{family!r}, but it holds {_first_bad(values, bad, frame.index)}"
            )
    return family


def _check_binomial(frame, response_name: str, columns: list[str], family) -> str:
    if family != "binomial":
        raise SpecificationError(
            f"outcome {response_name!r} counts successes in trials: it needs "
            f"family='binomial', got {family!r}"
        )
    match = re.fullmatch(r"p\(\s*(\w+)\s*,\s*(\w+)\s*\)", response_name)
    if match is None:
        raise SpecificationError(
            f"outcome {response_name!r} must be 'p(successes, trials)' or 'successes | "
            "trials(n)' for family 'binomial', each a column"
        )
    successes_name, trials_name = match.groups()
    successes = _numeric_outcome(frame, successes_name, "binomial")
    trials = _numeric_outcome(frame, trials_name, "binomial")
    for name, values, low in ((successes_name, successes, 0), (trials_name, trials, 1)):
        bad = (values < low) | (values != np.round(values))
        if bad.any():
            what = "successes" if low == 0 else "trials"
            raise DataValidationError(
                f"{what} column {name!r} must hold whole numbers >= {low}, but it holds "
                f"{_first_bad(values, bad, frame.index)}"
            )
    above = successes > trials
    if above.any():
        row = int(above.argmax())
        raise DataValidationError(
            f"successes column {successes_name!r} exceeds trials column {trials_name!r} in "
            f"{int(above.sum())} row(s), the first at row {frame.index[row]!r} "
            f"({successes[row]:g} of {trials[row]:g})"
        )
    return "binomial"


def check_group_terms(frame: pd.DataFrame, terms: tuple[GroupTerm, ...]) -> None:
    """Each grouping has at least two levels.

    A level with a single row is kept even when its slope varies: the hierarchical model
    takes that group's slope from the population (radon's three one-house counties under
    ``(1 + floor | county)``).
    """
    for term in terms:
        levels = frame.groupby(list(term.columns), observed=True).size()
        if len(levels) < 2:
            raise DataValidationError(
                f"group term ({term.name}) has {len(levels)} level(s) of {term.factor!r}; "
                "a varying effect needs at least two groups"
            )
