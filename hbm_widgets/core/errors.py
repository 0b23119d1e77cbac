"""Errors the workbook raises for a user's mistake.

Each is a ``ValueError`` so that code catching the usual exception keeps working, and each
message names the offending value and what was expected instead.
"""

__all__ = ["DataValidationError", "SpecificationError", "WorkbookInputError"]


class WorkbookInputError(ValueError):
    """Bad input given to the workbook (a value, a column, a setting)."""


class DataValidationError(WorkbookInputError):
    """A data set cannot be used as grouped data as it stands."""


class SpecificationError(WorkbookInputError):
    """A model specification or prior is not one the workbook can build."""
