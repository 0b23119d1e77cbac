"""Exercises of chapter 04 (radon: from complete to partial pooling)."""

from __future__ import annotations

import math
from functools import cache

import numpy as np

from hbm_widgets.exercises import Feedback, close_to, exercise, reference_fit


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


# Exercise 4: the contextual effect. The reference is the chapter's uranium model with the
# county's share of ground-floor measurements as a second county-level predictor.
CONTEXTUAL_COMPARE = ("mu_alpha", "gamma_alpha", "gamma_floor_mean", "sigma_alpha", "beta", "sigma")
_CONTEXTUAL_HINT = (
    "start from the chapter's uranium_model and add one county-level term to the county "
    "intercepts: gamma_floor_mean times the county's mean of floor (a pm.Data with dims "
    "'county'), with the prior pm.Normal('gamma_floor_mean', mu=0, sigma=5)."
)
_CONTEXTUAL_HINTS = {
    "gamma_floor_mean": "the contextual effect is one coefficient, gamma_floor_mean, on the "
    "county mean of floor, entering the model for alpha next to gamma_alpha * log_uranium.",
}


def county_floor_mean(data=None) -> np.ndarray:
    """Each county's mean of floor (its share of ground-floor measurements), in county order."""
    data = _radon_data() if data is None else data
    totals = np.bincount(data.group_idx, weights=data.predictor, minlength=data.n_groups)
    return totals / data.group_sizes


def contextual_effect_model(data=None):
    """The model exercise 4 asks for (built here so the check never prints its code)."""
    import pymc as pm

    data = _radon_data() if data is None else data
    coords = {"county": data.group_names.tolist(), "obs_id": np.arange(data.n_obs)}
    with pm.Model(coords=coords) as model:
        county_idx = pm.Data("county_idx", data.group_idx, dims="obs_id")
        floor = pm.Data("floor", data.predictor, dims="obs_id")
        log_uranium = pm.Data("log_uranium", data.group_predictor, dims="county")
        floor_mean = pm.Data("floor_mean", county_floor_mean(data), dims="county")
        mu_alpha = pm.Normal("mu_alpha", mu=1.2, sigma=2.1)
        gamma_alpha = pm.Normal("gamma_alpha", mu=0, sigma=5.6)
        gamma_floor_mean = pm.Normal("gamma_floor_mean", mu=0, sigma=5)
        sigma_alpha = pm.Exponential("sigma_alpha", lam=1.2)
        z_alpha = pm.Normal("z_alpha", mu=0, sigma=1, dims="county")
        alpha = pm.Deterministic(
            "alpha",
            mu_alpha
            + gamma_alpha * log_uranium
            + gamma_floor_mean * floor_mean
            + sigma_alpha * z_alpha,
            dims="county",
        )
        beta = pm.Normal("beta", mu=0, sigma=5.7)
        sigma = pm.Exponential("sigma", lam=1.2)
        pm.Normal(
            "log_radon",
            mu=alpha[county_idx] + beta * floor,
            sigma=sigma,
            observed=data.outcome,
            dims="obs_id",
        )
    return model


@reference_fit
def _contextual_reference():
    from hbm_widgets.exercises.fits import ReferenceFit

    return ReferenceFit.stored(
        "04-4", contextual_effect_model(), random_seed=20404, target_accept=0.9
    )


@exercise("04", 4)
def contextual_effect(answer) -> Feedback:
    """The uranium model with the county mean of floor as a second county-level predictor."""
    from hbm_widgets.exercises.fits import fit_feedback

    return fit_feedback(
        answer,
        _contextual_reference(),
        compare=list(CONTEXTUAL_COMPARE),
        hint=_CONTEXTUAL_HINT,
        hints=_CONTEXTUAL_HINTS,
    )
