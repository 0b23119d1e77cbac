"""The shape of an lme4-style formula, read from its text alone.

One '~' between an outcome and predictors, and balanced parentheses: what can be said of a
formula without pandas or Bambi, so that the report command can say it before it loads
either, in the words the model layer uses.
"""

from __future__ import annotations

from hbm_widgets.core.errors import SpecificationError

__all__ = ["FORMULA_EXAMPLE", "formula_sides"]

FORMULA_EXAMPLE = "'y ~ x + (1 + x | g)'"


def formula_sides(formula) -> tuple[str, str]:
    """The outcome and predictor sides of ``formula``, as written.

    Raises
    ------
    SpecificationError
        Not a non-empty string, not exactly one '~', an empty side, or parentheses that do
        not balance; one line naming the formula.

    Examples
    --------
    >>> formula_sides("y ~ x + (1 | g)")
    ('y ', ' x + (1 | g)')
    """
    if not isinstance(formula, str) or not formula.strip():
        raise SpecificationError(
            f"formula must be a non-empty string such as {FORMULA_EXAMPLE}, got {formula!r}"
        )
    if formula.count("~") != 1:
        raise SpecificationError(
            f"formula {formula!r} needs exactly one '~' between the outcome and the "
            f"predictors, e.g. {FORMULA_EXAMPLE}"
        )
    left, right = formula.split("~")
    if not left.strip() or not right.strip():
        side = "outcome (left of '~')" if not left.strip() else "predictors (right of '~')"
        raise SpecificationError(
            f"formula {formula!r} has no {side}; expected e.g. {FORMULA_EXAMPLE}"
        )
    depth = 0
    for character in formula:
        depth += {"(": 1, ")": -1}.get(character, 0)
        if depth < 0:
            break
    if depth != 0:
        raise SpecificationError(
            f"formula {formula!r} does not parse: its parentheses are not balanced"
        )
    return left, right
