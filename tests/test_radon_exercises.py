"""The exercise checks of chapters 04 and 05: right, close, wrong, never the answer."""

from __future__ import annotations

import math

import hbm_widgets as hbm


def test_chapter_04_small_counties():
    assert hbm.check_exercise("04-radon-pooling", 1, 39).verdict == "right"
    assert hbm.check_exercise("04", 1, 28).verdict == "close"  # counted 1 to 3 houses only
    wrong = hbm.check_exercise("04", 1, 85)
    assert wrong.verdict == "wrong" and "39" not in wrong.message
    assert hbm.check_exercise("04", 1, 39.5).verdict == "wrong"
    assert hbm.check_exercise("04", 1, "many").verdict == "wrong"


def test_chapter_04_shrinkage_factor():
    target = (0.76**2 / 2) / (0.33**2 + 0.76**2 / 2)
    assert hbm.check_exercise("04", 2, round(target, 3)).verdict == "right"
    assert hbm.check_exercise("04", 2, target + 0.03).verdict == "close"
    kept = hbm.check_exercise("04", 2, 1 - target)
    assert kept.verdict == "wrong" and "1 − B" in kept.message
    unsquared = hbm.check_exercise("04", 2, (0.76 / 2) / (0.33 + 0.76 / 2))
    assert unsquared.verdict == "wrong" and f"{target:.2f}" not in unsquared.message


def test_chapter_04_uranium_share_uses_the_reml_estimates():
    assert hbm.check_exercise("04", 3, 0.773).verdict == "right"
    assert hbm.check_exercise("04", 3, 0.75).verdict == "close"
    assert "percentage" in hbm.check_exercise("04", 3, 77.3).message
    sd_drop = 1 - 0.1564 / 0.3282
    assert "variance is the SD squared" in hbm.check_exercise("04", 3, sd_drop).message


def test_chapter_05_checks():
    assert hbm.check_exercise("05-radon-deeper", 1, 87).verdict == "right"
    assert hbm.check_exercise("05", 1, 85).verdict == "close"
    assert hbm.check_exercise("05", 1, 3).verdict == "wrong"
    width = 2 * 1.6449 * math.hypot(0.76, 0.33)
    assert hbm.check_exercise("05", 2, width).verdict == "right"
    assert "half the interval" in hbm.check_exercise("05", 2, width / 2).message
    assert "95% interval" in hbm.check_exercise("05", 2, 2 * 1.96 * math.hypot(0.76, 0.33)).message
    summed = hbm.check_exercise("05", 2, 2 * 1.6449 * (0.76 + 0.33))
    assert summed.verdict == "wrong" and f"{width:.2f}" not in summed.message
