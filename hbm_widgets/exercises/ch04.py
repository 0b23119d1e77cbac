"""Exercises of chapter 04 (radon: from complete to partial pooling)."""

from __future__ import annotations

import math
from functools import cache

import numpy as np

from hbm_widgets.exercises import Feedback, close_to, exercise


@cache
def _radon_data():
    from hbm_widgets.core.data import GroupedData, load_radon

    return GroupedData.from_frame(
        load_radon(),
        group="county",
        outcome="log_radon",
        predictor="floor",
        group_predictor="log_uranium",
    )


@exercise("04", 1)
def small_counties(answer) -> Feedback:
    """Counties with fewer than five houses."""
    target = int((_radon_data().group_sizes < 5).sum())
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return Feedback("wrong", f"expected a whole number of counties, got {answer!r}")
    if not math.isfinite(value) or value != int(value):
        return Feedback("wrong", "a number of counties is a whole number.")
    if value == target:
        return Feedback("right", "well done.")
    if abs(value - target) <= 12:
        # 11 counties have 1 or 2 houses, 17 have exactly 4: the usual slips are near misses.
        return Feedback(
            "close",
            "nearly: 'fewer than five' means 1, 2, 3 or 4 houses; count every such county "
            "(hbm.group_size_table(data) lists how many counties have each size).",
        )
    return Feedback(
        "wrong",
        "count the counties whose number of houses is below 5, e.g. from data.group_sizes.",
    )


@exercise("04", 2)
def shrinkage_two_houses(answer) -> Feedback:
    """Shrinkage factor of a two-house county with sigma = 0.76, sigma_alpha = 0.33."""
    from hbm_widgets.core.shrinkage import shrinkage_factor

    target = float(shrinkage_factor(0.76, 0.33, 2))
    feedback = close_to(
        answer,
        target,
        right=0.01,
        close=0.05,
        hint="B = (σ²/n) / (σ_α² + σ²/n), with n = 2: square the SDs before dividing.",
    )
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return feedback
    if feedback.verdict == "wrong" and abs(value - (1 - target)) <= 0.01:
        return Feedback(
            "wrong",
            "that is the share the county keeps, 1 − B; the question asks for B, the share "
            "it is pulled towards μ_α.",
        )
    return feedback


@cache
def _uranium_variance_share() -> float:
    from hbm_widgets.core.spec import ModelSpec
    from hbm_widgets.lessons.mixedlm import fit_mixedlm

    data = _radon_data()
    without = fit_mixedlm(data, ModelSpec()).estimates().loc["sigma_alpha", "estimate"]
    with_u = (
        fit_mixedlm(data, ModelSpec(group_predictor=True))
        .estimates()
        .loc["sigma_alpha", "estimate"]
    )
    return float(1 - (with_u / without) ** 2)


@exercise("04", 3)
def uranium_variance_share(answer) -> Feedback:
    """Share of the between-county variance explained by uranium (REML estimates)."""
    target = _uranium_variance_share()
    try:
        value = float(answer)
    except (TypeError, ValueError):
        value = None
    if value is not None and np.isfinite(value) and value > 1:
        return Feedback("wrong", "answer as a fraction between 0 and 1, not a percentage.")
    sd_share = 1 - math.sqrt(1 - target)
    if value is not None and abs(value - sd_share) <= 0.02:
        return Feedback(
            "wrong",
            "that is the drop in the SD; the variance is the SD squared: 1 − (σ_α,u / σ_α)².",
        )
    return close_to(
        answer,
        target,
        right=0.01,
        close=0.04,
        hint="take the two REML σ_α estimates and compute 1 − (σ_α with uranium / σ_α without)².",
    )
