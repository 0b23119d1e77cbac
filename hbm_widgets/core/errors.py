"""Errors the workbook raises for a user's mistake.

Each is a ``ValueError`` so that code catching the usual exception keeps working, and each
message names the offending value and what was expected instead. ``check_whole_number`` and
``check_number`` are the argument checks the core's functions share (not re-exported).
"""

import math
import numbers

__all__ = ["DataValidationError", "SpecificationError", "WorkbookInputError"]


class WorkbookInputError(ValueError):
    """Bad input given to the workbook (a value, a column, a setting)."""


class DataValidationError(WorkbookInputError):
    """A data set cannot be used as grouped data as it stands."""


class SpecificationError(WorkbookInputError):
    """A model specification or prior is not one the workbook can build."""


def check_whole_number(name: str, value, *, low: int = 0) -> int:
    """``value`` as an int, or a WorkbookInputError naming ``name`` unless it is a whole number
    (an int, not a bool or a float) of at least ``low``.

    Examples
    --------
    >>> check_whole_number("draws", 2.5, low=1)
    Traceback (most recent call last):
    ...
    hbm_widgets.core.errors.WorkbookInputError: draws must be a whole number >= 1, got 2.5
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise WorkbookInputError(f"{name} must be a whole number >= {low}, got {value!r}")
    return int(value)


def check_number(name: str, value, *, above: float | None = None, below: float | None = None):
    """``value`` as a float, or a WorkbookInputError naming ``name`` unless it is a finite real
    number (not a bool or a string), greater than ``above`` and less than ``below`` if given.

    Examples
    --------
    >>> check_number("hdi_prob", 1.5, above=0, below=1)
    Traceback (most recent call last):
    ...
    hbm_widgets.core.errors.WorkbookInputError: hdi_prob must be between 0 and 1, got 1.5
    """
    if above is not None and below is not None:
        bounds = f"between {above:g} and {below:g}"
    elif above is not None:
        bounds = f"greater than {above:g}"
    elif below is not None:
        bounds = f"less than {below:g}"
    else:
        bounds = ""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        wanted = f"a number {bounds}" if bounds else "a finite number"
        raise WorkbookInputError(f"{name} must be {wanted}, got {value!r}")
    if (above is not None and value <= above) or (below is not None and value >= below):
        raise WorkbookInputError(f"{name} must be {bounds}, got {value!r}")
    return float(value)
