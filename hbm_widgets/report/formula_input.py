"""The checks of a formula report that need no kernel: read with the standard library only.

``hbm-report data FILE.csv --formula ...`` answers a mistake within a second or two, so these
checks load neither pandas nor PyMC: the file is a CSV text with a header and rows, every
name the formula uses is a column (a light tokenizer; formulae checks the whole formula in
the kernel), and the outcome suits the family (numbers; 0/1 for bernoulli; counts for
poisson and negativebinomial; successes within trials for binomial). The kernel repeats the
full checks (:mod:`hbm_widgets.models.formula_checks`), whose errors also end with status 2.
"""

from __future__ import annotations

import csv
import difflib
import math
import re
from pathlib import Path

from hbm_widgets.core.errors import SpecificationError
from hbm_widgets.models.formula_text import formula_sides
from hbm_widgets.report.checks import ReportInputError

__all__: list[str] = []

FORMULA_FAMILIES = ("gaussian", "t", "bernoulli", "binomial", "poisson", "negativebinomial")
_COUNT_FAMILIES = ("poisson", "negativebinomial")
# pandas' default missing-value spellings: such cells are left to --missing in the kernel.
_MISSING = {"", "NA", "N/A", "NaN", "nan", "NULL", "null", "None", "<NA>", "n/a", "#N/A", "-NaN"}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_TRIALS = re.compile(r"^\s*(\w+)\s*\|\s*trials\(\s*(\w+)\s*\)\s*$")
_P_OF = re.compile(r"^\s*p\(\s*(\w+)\s*,\s*(\w+)\s*\)\s*$")
_SAMPLE_BYTES = 64 * 1024


def read_csv_text(path: Path) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a CSV file, refused when it is empty, not text, or has no rows."""
    raw = path.read_bytes()
    if not raw.strip():
        raise ReportInputError(f"{path} is empty; expected a CSV file with a header row")
    if b"\x00" in raw[:_SAMPLE_BYTES]:
        raise ReportInputError(f"{path} is not a CSV file (it holds binary data)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ReportInputError(
            f"{path} is not a CSV text file (not UTF-8 at byte {error.start})"
        ) from None
    try:
        rows = [row for row in csv.reader(text.splitlines()) if row]
    except csv.Error as error:
        raise ReportInputError(f"{path} is not a CSV file that can be read ({error})") from None
    header = [name.strip() for name in rows[0]]
    if len(header) < 2:
        raise ReportInputError(
            f"{path} is not a CSV file with a header of column names: its first line has one "
            f"field ({header[0]!r}); expected names separated by commas"
        )
    body = rows[1:]
    if not body:
        raise ReportInputError(f"{path} has a header but no rows; a model needs observations")
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise ReportInputError(
                f"{path} is not a CSV file with one value per column: line {number} has "
                f"{len(row)} field(s) where the header has {len(header)}"
            )
    return header, body


def formula_names(formula: str) -> tuple[list[str], list[str]]:
    """The column names an lme4-style formula uses, on the outcome side and the other."""
    try:
        left, right = formula_sides(formula)
    except SpecificationError as exc:
        raise ReportInputError(str(exc)) from None

    def names(side: str) -> list[str]:
        found = []
        for match in _NAME.finditer(side):
            rest = side[match.end() :].lstrip()
            before = side[: match.start()].rstrip()
            # A function (C(x), np.log(y), trials(n)) is no column; nor a keyword argument.
            if rest.startswith("(") or (rest.startswith("=") and not rest.startswith("==")):
                continue
            if before.endswith(".") or match.group() in ("True", "False", "None"):
                continue
            found.append(match.group())
        return list(dict.fromkeys(found))

    return names(left), names(right)


def _numbers(header, rows, column: str, family: str, path: Path) -> list[tuple[int, float]]:
    """``(line, value)`` for every non-missing cell of ``column``, each a number."""
    index = header.index(column)
    values = []
    for line, row in enumerate(rows, start=2):
        cell = row[index].strip()
        if cell in _MISSING:
            continue
        try:
            value = float(cell)
        except ValueError:
            raise ReportInputError(
                f"outcome column {column!r} of {path.name} holds {cell!r} at line {line}; "
                f"family {family!r} needs numbers"
            ) from None
        if not math.isfinite(value):
            raise ReportInputError(
                f"outcome column {column!r} of {path.name} holds {cell!r} at line {line}; "
                "expected finite numbers"
            )
        values.append((line, value))
    return values


def check_formula_file(path: Path, formula: str, family: str | None) -> None:
    """Refuse, in one line, a file and formula that cannot make a report (see the module)."""
    if family is not None and family not in FORMULA_FAMILIES:
        raise ReportInputError(
            f"unknown family {family!r}; expected one of: {', '.join(FORMULA_FAMILIES)}"
        )
    header, rows = read_csv_text(path)
    outcome_names, predictor_names = formula_names(formula)
    for name in outcome_names + predictor_names:
        if name not in header:
            close = difflib.get_close_matches(name, header, n=3, cutoff=0.6)
            hint = (
                f"did you mean {', '.join(map(repr, close))}?"
                if close
                else f"available columns: {', '.join(header)}"
            )
            raise ReportInputError(
                f"formula {formula!r} names column {name!r}, which is not in {path.name}; {hint}"
            )
    left = formula.split("~")[0]
    pair = _TRIALS.match(left) or _P_OF.match(left)
    if pair:
        if family != "binomial":
            raise ReportInputError(
                f"outcome {left.strip()!r} counts successes in trials: it needs "
                f"--family binomial, got {family or 'none'}"
            )
        successes_name, trials_name = pair.groups()
        successes = _numbers(header, rows, successes_name, "binomial", path)
        trials = dict(_numbers(header, rows, trials_name, "binomial", path))
        for line, value in successes:
            if value < 0 or value != round(value):
                raise ReportInputError(
                    f"successes column {successes_name!r} must hold whole numbers >= 0, but "
                    f"it holds {value:g} at line {line}"
                )
            if line in trials and value > trials[line]:
                raise ReportInputError(
                    f"successes column {successes_name!r} exceeds trials column "
                    f"{trials_name!r} at line {line} ({value:g} of {trials[line]:g})"
                )
        return
    if family == "binomial":
        raise ReportInputError(
            f"family 'binomial' needs an outcome 'successes | trials(n)', got {left.strip()!r}"
        )
    if len(outcome_names) != 1 or left.strip() != outcome_names[0]:
        return  # a transformed outcome: formulae evaluates it in the kernel
    outcome = outcome_names[0]
    values = _numbers(header, rows, outcome, family or "gaussian", path)
    if family == "bernoulli":
        for line, value in values:
            if value not in (0.0, 1.0):
                raise ReportInputError(
                    f"outcome {outcome!r} must hold only 0 and 1 for family 'bernoulli', but "
                    f"it holds {value:g} at line {line}"
                )
    if family in _COUNT_FAMILIES:
        for line, value in values:
            if value < 0 or value != round(value):
                raise ReportInputError(
                    f"outcome {outcome!r} must hold counts (whole numbers >= 0) for family "
                    f"{family!r}, but it holds {value:g} at line {line}"
                )
