"""Checks for the chapters' exercises: right, close, or wrong with a hint.

Each chapter has a module ``chNN.py`` that registers its checks with :func:`exercise`.
A check never prints the answer; it compares and says how far off the attempt is. A number
is checked with :func:`close_to`; a model the learner wrote, or its fit, with
:func:`fit_feedback` against a :class:`ReferenceFit` of the model asked for.
"""

from __future__ import annotations

import functools
import html
import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from hbm_widgets.core.errors import WorkbookInputError

__all__ = [
    "Feedback",
    "ReferenceFit",
    "check_exercise",
    "close_to",
    "exercise",
    "fit_feedback",
    "reference_fit",
]

# Checks of a learner's own model (``fits.py``), loaded with PyMC only when first used.
_FROM_FITS = ("ReferenceFit", "fit_feedback")


def __getattr__(name: str):
    if name in _FROM_FITS:
        return getattr(importlib.import_module("hbm_widgets.exercises.fits"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


Verdict = Literal["right", "close", "wrong"]
_REGISTRY: dict[tuple[str, int], Callable[[object], Feedback]] = {}
# The functions that return an exercise's ReferenceFit, for the script that stores their
# summaries and the test that checks each stored summary is still its model's.
REFERENCE_FITS: list[Callable[[], object]] = []


@dataclass(frozen=True)
class Feedback:
    verdict: Verdict
    message: str

    def __str__(self) -> str:
        return f"{self.verdict}: {self.message}"

    def _repr_html_(self) -> str:
        colour = {"right": "#1b7837", "close": "#b35806", "wrong": "#b00020"}[self.verdict]
        return (
            f'<div style="color:{colour}"><b>{self.verdict.capitalize()}.</b> '
            f"{html.escape(self.message)}</div>"
        )


def exercise(chapter: str, number: int):
    """Register a check: ``@exercise("01", 1) def check(answer) -> Feedback``."""

    def register(check):
        _REGISTRY[(chapter, number)] = check
        return check

    return register


def reference_fit(function):
    """Register a function returning an exercise's ``ReferenceFit``, made once (cached)."""
    cached = functools.cache(function)
    REFERENCE_FITS.append(cached)
    return cached


def close_to(answer, target: float, *, right: float, close: float, hint: str) -> Feedback:
    """Compare a number with the target within absolute tolerances."""
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return Feedback("wrong", f"expected a number, got {answer!r}. {hint}")
    if not math.isfinite(value):
        return Feedback("wrong", f"expected a finite number, got {value}. {hint}")
    gap = abs(value - target)
    if gap <= right:
        return Feedback("right", "well done.")
    if gap <= close:
        return Feedback("close", f"nearly: check your rounding or one step of the working. {hint}")
    return Feedback("wrong", hint)


def check_exercise(chapter: str, number: int, answer) -> Feedback:
    """Check an answer to exercise ``number`` of ``chapter`` (``"01-bayes-rule"`` or ``"01"``)."""
    key = str(chapter)[:2]
    try:
        importlib.import_module(f"hbm_widgets.exercises.ch{key}")
    except ModuleNotFoundError:
        raise WorkbookInputError(f"chapter {chapter!r} has no exercises") from None
    if (key, number) not in _REGISTRY:
        numbers = sorted(n for c, n in _REGISTRY if c == key)
        raise WorkbookInputError(
            f"chapter {chapter!r} has no exercise {number!r}; its exercises are {numbers}"
        )
    return _REGISTRY[(key, number)](answer)
