"""Exercises of chapter 10 (crossed and nested effects with a Student-t likelihood)."""

from __future__ import annotations

import math

from scipy import stats

from hbm_widgets.exercises import Feedback, close_to, exercise, reference_fit


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


# Exercise 4 works on the chapter's campaigns at its default settings: this seed and these
# counts make the same data as the chapter's simulation cell.
EXERCISE_SEED = 8927
EXERCISE_SIMULATION = {"obs_per_cell": 5, "sparse_obs": 4, "n_outliers": 5, "outlier_shift": 3.0}


def exercise_data():
    """The chapter's campaigns at its defaults, as CrossedData."""
    import numpy as np

    from hbm_widgets.models.crossed import CrossedData
    from hbm_widgets.models.crossed_simulation import simulate_crossed

    simulation = simulate_crossed(np.random.default_rng(EXERCISE_SEED), **EXERCISE_SIMULATION)
    return CrossedData.from_frame(
        simulation.frame, outcome="log_conversions", predictor="log_spend", centre=2.5
    )


def country_side_model(data):
    """The model exercise 4 asks for: the chapter's model without the vertical side."""
    import pymc as pm

    with pm.Model(coords=data.coords) as model:
        country_idx = pm.Data("country_idx", data.country_idx, dims="obs_id")
        region_of_country = pm.Data("region_of_country", data.country_region_idx, dims="country")
        log_spend_centred = pm.Data("log_spend_centred", data.predictor, dims="obs_id")
        parts = {}
        for coefficient, scale_sd in (("alpha", 0.5), ("beta", 0.25)):
            effects = {}
            for level in ("country", "region"):
                scale = pm.HalfNormal(f"sigma_{coefficient}_{level}", sigma=scale_sd)
                offset = pm.ZeroSumNormal(f"z_{coefficient}_{level}", sigma=1, dims=level)
                effects[level] = pm.Deterministic(
                    f"{coefficient}_{level}", scale * offset, dims=level
                )
            parts[coefficient] = pm.Deterministic(
                f"gamma_{coefficient}_country",
                effects["country"] + effects["region"][region_of_country],
                dims="country",
            )
        mu_alpha = pm.Normal("mu_alpha", mu=3, sigma=2)
        mu_beta = pm.Normal("mu_beta", mu=0.5, sigma=0.5)
        alpha = mu_alpha + parts["alpha"][country_idx]
        beta = mu_beta + parts["beta"][country_idx]
        sigma = pm.Exponential("sigma", lam=1)
        nu = pm.Gamma("nu", alpha=2, beta=0.1)
        pm.StudentT(
            "log_conversions",
            nu=nu,
            mu=alpha + beta * log_spend_centred,
            sigma=sigma,
            observed=data.outcome,
            dims="obs_id",
        )
    return model


@reference_fit
def country_side_reference():
    """Exercise 4's model and the stored summary of its reference fit."""
    from hbm_widgets.exercises.fits import ReferenceFit

    model = country_side_model(exercise_data())
    return ReferenceFit.stored("10-4", model, random_seed=1010, target_accept=0.95)


@exercise("10", 4)
def country_side_only(answer) -> Feedback:
    """The learner's model without verticals and industries, or its fit."""
    from hbm_widgets.exercises.fits import fit_feedback

    return fit_feedback(
        answer,
        country_side_reference(),
        compare=["mu_alpha", "mu_beta", "sigma", "nu", "gamma_alpha_country", "gamma_beta_country"],
        hint=(
            "keep the chapter's model, its priors, names and Student-t likelihood, and take out "
            "every vertical and industry piece: their scales, offsets, effects and parts, and "
            "their terms in the intercept and the slope."
        ),
        hints={
            "nu": "keep the Student-t likelihood and its degrees of freedom nu.",
            "sigma_alpha_region": "keep the region level: countries are still nested in regions.",
            "sigma_beta_region": "keep the region level: countries are still nested in regions.",
        },
    )
