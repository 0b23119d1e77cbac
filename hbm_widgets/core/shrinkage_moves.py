"""How far partial pooling moved each group's estimate, and the moves a reader will question.

Both kinds of report (a grouped file's and a formula's) set each group's own estimate (no
pooling) against its partial-pooling one and the population mean it is pulled towards. The
share of the way it moved is the posterior counterpart of the shrinkage factor ``B_k``
(:func:`hbm_widgets.shrinkage_factor`): between 0 and 1 in the normal model with nothing
else estimated, but past 1 or below 0 when the coefficient is estimated jointly with another
that the two models estimate differently.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from hbm_widgets.core.errors import WorkbookInputError

__all__ = ["moved_past_the_mean", "shrinkage_shares"]

# A group whose own estimate lies closer to the population mean than this share of the
# groups' spread has no meaningful share: it divides Monte Carlo noise by almost nothing.
NOTICEABLE_GAP = 0.1


def _require(frame: pd.DataFrame, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise WorkbookInputError(f"the shrinkage table needs the columns {missing}")


def shrinkage_shares(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``shift`` and ``shrinkage`` added.

    Parameters
    ----------
    frame : DataFrame
        One row a group and coefficient, with ``no_pooling`` (its own estimate),
        ``partial_pooling`` and ``mu`` (the population mean it is pulled towards).

    Returns
    -------
    DataFrame
        A copy with ``shift`` (partial minus no pooling) and ``shrinkage``, the share of the
        way from ``no_pooling`` to ``mu`` that partial pooling moved it: 0 no move, 1 all the
        way, above 1 past the mean, below 0 away from it; NaN where the two coincide.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"no_pooling": [2.0, 0.0], "partial_pooling": [1.5, 0.0],
    ...                       "mu": [1.0, 0.0]})
    >>> shrinkage_shares(table)["shrinkage"].tolist()
    [0.5, nan]
    """
    _require(frame, ("no_pooling", "partial_pooling", "mu"))
    shares = frame.copy()
    shares["shift"] = shares["partial_pooling"] - shares["no_pooling"]
    gap = shares["no_pooling"] - shares["mu"]
    shares["shrinkage"] = (-shares["shift"] / gap.where(gap.abs() > 1e-12)).astype(float)
    return shares


def moved_past_the_mean(shrinkage: pd.DataFrame, spread: Mapping[str, float]) -> pd.DataFrame:
    """The rows of a shrinkage table that moved past the population mean or away from it.

    Only groups whose own estimate was at least a tenth of the groups' spread from the mean
    count: nearer than that, the share is mostly Monte Carlo noise.

    Parameters
    ----------
    shrinkage : DataFrame
        A table from :func:`shrinkage_shares` (or :func:`hbm_widgets.posterior_shrinkage_table`)
        with a ``coefficient`` column.
    spread : mapping of str to float
        Each coefficient's spread across groups (its posterior mean SD).

    Returns
    -------
    DataFrame
        The rows whose ``shrinkage`` is above 1 or below 0, in the table's order.
    """
    _require(shrinkage, ("coefficient", "no_pooling", "mu", "shrinkage"))
    unknown = sorted(set(shrinkage["coefficient"]) - set(spread))
    if unknown:
        raise WorkbookInputError(f"no spread given for the coefficients {unknown}")
    gap = (shrinkage["no_pooling"] - shrinkage["mu"]).abs()
    noticeable = gap >= NOTICEABLE_GAP * shrinkage["coefficient"].map(spread).astype(float)
    past_or_away = (shrinkage["shrinkage"] > 1) | (shrinkage["shrinkage"] < 0)
    return shrinkage[past_or_away & noticeable]
