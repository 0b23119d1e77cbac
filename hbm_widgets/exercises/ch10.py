"""Exercises of chapter 10 (crossed and nested effects with a Student-t likelihood)."""

from __future__ import annotations

import math

from scipy import stats

from hbm_widgets.exercises import Feedback, close_to, exercise


@exercise("10", 1)
def expected_log_conversions(answer) -> Feedback:
    """Intercept and slope from mu plus a country part plus a vertical part, at x = 1."""
    intercept = 4.0 + 0.2 - 0.1
    slope = 0.7 - 0.05 + 0.1
    target = intercept + slope * (3.5 - 2.5)
    return close_to(
        answer,
        target,
        right=0.005,
        close=0.1,
        hint=(
            "add up the intercept (mu_alpha + country part + vertical part) and the slope "
            "the same way, then use x = log spend minus the centre."
        ),
    )


@exercise("10", 2)
def student_t_standard_deviation(answer) -> Feedback:
    """SD of Student-t noise with nu = 4 and scale 0.3: sigma * sqrt(nu / (nu - 2))."""
    nu, sigma = 4.0, 0.3
    target = sigma * math.sqrt(nu / (nu - 2))
    return close_to(
        answer,
        target,
        right=0.002,
        close=0.02,
        hint=(
            "a Student-t's variance is sigma^2 * nu / (nu - 2) when nu > 2: larger than "
            "sigma^2, because of the heavy tails."
        ),
    )


@exercise("10", 3)
def new_country_interval_width(answer) -> Feedback:
    """Width of the central 90% interval of N(region part, 0.3^2): 2 * 1.645 * 0.3."""
    target = 2 * stats.norm.ppf(0.95) * 0.3
    return close_to(
        answer,
        target,
        right=0.005,
        close=0.06,
        hint=(
            "the new country's intercept is its region's part plus a draw from "
            "N(0, sigma_alpha_country); a central 90% interval of a normal spans "
            "1.645 standard deviations on each side."
        ),
    )
