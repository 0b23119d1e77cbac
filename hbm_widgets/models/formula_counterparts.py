"""The complete-pooling and no-pooling counterparts of a formula model, as formulas.

Complete pooling is the formula without its group terms; no pooling makes each group term a
fixed effect of its factor, every group estimated on its own, which has one meaning only with
one grouping factor. Written from the formula's text and the group terms formulae read from
it, so that :class:`~hbm_widgets.models.formula.FormulaModel` builds each counterpart as it
builds any formula. Nothing here is re-exported by the package.
"""

from __future__ import annotations

import pandas as pd

from hbm_widgets.models.formula_checks import GroupTerm

__all__: list[str] = []

# Bambi builds a fixed effect's design matrix dense, one column per group, and each gradient
# is a product with all of it, where a group term only indexes its groups: 4 x 1000 draws of
# no pooling took 15 s on 5,000 rows in 100 groups (the model 9 s) and 210 s on 10,000 rows
# in 200 (the model 10 s). Above this many numbers (rows x groups x group terms) it is left
# out rather than let it take most of the report's time.
MAX_UNPOOLED_CELLS = 1_000_000


def pooled_formula(formula: str) -> str:
    """``formula`` without its group terms: ``y ~ x`` for ``y ~ x + (x | g)``, ``y ~ 1`` when
    only group terms were on the right."""
    left, right = formula.split("~")
    kept = [part for part in _top_level_terms(right) if not _is_group_term(part)]
    return f"{left.strip()} ~ {' + '.join(kept) if kept else '1'}"


def unpooled_reason(terms: tuple[GroupTerm, ...], frame: pd.DataFrame) -> str | None:
    """Why a model with these group terms, fitted to ``frame``, has no no-pooling
    counterpart; None when it has one. A sentence starting in lower case, to follow a colon.

    No pooling means every group estimated on its own, which has one meaning only when each
    row belongs to one group of one grouping factor named by one column. Crossed factors put
    a row in a group of each, nested ones in a group at each level, and their fixed-effect
    versions (``a + b``, ``a + a:b``) are not each group on its own.
    """
    if not terms:
        return "the formula has no group terms, so there are no groups to fit on their own."
    columns = {term.factor: set(term.columns) for term in terms}
    for outer, outer_columns in columns.items():
        for inner_columns in columns.values():
            if outer_columns < inner_columns:
                within = ":".join(sorted(inner_columns - outer_columns))
                return (
                    f"the formula's grouping factors are nested ({within} within {outer}), "
                    "so there is no one set of groups to fit each on its own."
                )
    if len(columns) > 1:
        return (
            f"the formula's grouping factors {' and '.join(columns)} are crossed (each row "
            "is in a group of each), so there is no one set of groups to fit each on its own."
        )
    ((factor, factor_columns),) = columns.items()
    if len(factor_columns) > 1:
        # formulae would make a coefficient for every pair of levels, observed or not.
        return (
            f"the formula's groups ({factor}) are combinations of several columns; no "
            "pooling is fitted for groups named by one column."
        )
    groups = frame.groupby(list(factor_columns), observed=True).ngroups
    cells = len(frame) * groups * len(terms)
    if cells > MAX_UNPOOLED_CELLS:
        return (
            f"{len(frame):,} rows in {groups:,} groups of {factor} would need a dense "
            f"design matrix of {cells:,} numbers (more than {MAX_UNPOOLED_CELLS:,}), and "
            "a fit far slower than the model's."
        )
    return None


def unpooled_formula(formula: str, terms: tuple[GroupTerm, ...]) -> str:
    """``formula`` with each group term, all of one factor, made a fixed effect of it.

    ``(1 | g)`` becomes ``0 + g``, a mean for each group in place of the common intercept,
    and a varying slope ``(x | g)`` becomes ``x:g``, a slope for each group in place of the
    common ``x``; the other common terms are kept after them: ``y ~ 0 + g + z + x:g`` for
    ``y ~ x + z + (1 + x | g)``. The model is the same as Bambi's default ``y ~ x + z + g
    + x:g``, which codes each group as its difference from the first; but those differences
    all share the first group's estimate, and with many groups NUTS then mixes badly
    (radon's 85 counties: R-hat 1.06 and a bulk ESS of 80 from 4 x 1000 draws, against 1.005
    and 6,000 for each county's own mean). Check :func:`unpooled_reason` first.
    """
    left, right = formula.split("~")
    factor = terms[0].factor
    slopes = [term.effect for term in terms if not term.is_intercept]
    absorbed = {_squeezed(effect) for effect in slopes}
    kept = [
        part
        for part in _top_level_terms(right)
        if not _is_group_term(part) and _squeezed(part) not in absorbed
    ]
    intercept_marks = [part for part in kept if part in ("0", "1")]
    others = [part for part in kept if part not in ("0", "1") and part != factor]
    if any(term.is_intercept for term in terms):
        intercept_marks = ["0", factor]
    written = [*intercept_marks, *others, *(f"{effect}:{factor}" for effect in slopes)]
    return f"{left.strip()} ~ {' + '.join(written)}"


def _top_level_terms(right: str) -> list[str]:
    """The right-hand side split at each ``+`` outside parentheses, stripped."""
    parts, depth, current = [], 0, []
    for character in right:
        depth += {"(": 1, ")": -1}.get(character, 0)
        if character == "+" and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(character)
    parts.append("".join(current).strip())
    return [part for part in parts if part]


def _squeezed(part: str) -> str:
    """A term without its spaces: formulae writes ``I(x**2)`` as ``I(x ** 2)``."""
    return "".join(part.split())


def _is_group_term(part: str) -> bool:
    """``(expr | factor)``, one parenthesised term with a ``|`` at its top level."""
    if not (part.startswith("(") and part.endswith(")")):
        return False
    depth = 0
    for character in part[1:-1]:
        depth += {"(": 1, ")": -1}.get(character, 0)
        if depth < 0:
            return False  # ``(a) + (b)``: two groups, not one
        if character == "|" and depth == 0:
            return True
    return False
