"""Exercises of chapter 05 (radon: parameterisation, prediction and model choice)."""

from __future__ import annotations

import math

from scipy import stats

from hbm_widgets.exercises import Feedback, close_to, exercise, reference_fit


@exercise("05", 1)
def no_pooling_parameters(answer) -> Feedback:
    """Parameters of the no-pooling radon model: 85 intercepts, the floor slope and sigma."""
    target = 85 + 1 + 1
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return Feedback("wrong", f"expected a whole number of parameters, got {answer!r}")
    if not math.isfinite(value) or value != int(value):
        return Feedback("wrong", "a number of parameters is a whole number.")
    if value == target:
        return Feedback(
            "right", "well done; now set it beside the no-pooling p_loo in the LOO table."
        )
    if value in (85, 86):
        return Feedback(
            "close", "nearly: besides one intercept per county, the model has other parameters."
        )
    return Feedback(
        "wrong",
        "count one intercept for each county (data.n_groups of them), plus the shared "
        "parameters of the likelihood.",
    )


@exercise("05", 2)
def new_county_interval_width(answer) -> Feedback:
    """Width of the central 90% interval of N(., sqrt(0.76^2 + 0.33^2))."""
    sd = math.hypot(0.76, 0.33)
    z = float(stats.norm.ppf(0.95))
    target = 2 * z * sd
    feedback = close_to(
        answer,
        target,
        right=0.02,
        close=0.1,
        hint="the central 90% of a normal runs from 1.645 SDs below the mean to 1.645 above; "
        "the SD adds the variances, not the SDs.",
    )
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return feedback
    if feedback.verdict != "right" and abs(value - target / 2) <= 0.02:
        return Feedback("wrong", "that is half the interval; the width runs from end to end.")
    if feedback.verdict != "right" and abs(value - 2 * 1.96 * sd) <= 0.02:
        return Feedback("wrong", "that is a 95% interval; a 90% one uses 1.645 SDs each side.")
    return feedback


# -- exercise 3: the uranium model, written by hand ---------------------------------------

_URANIUM_COMPARE = ["mu_alpha", "gamma_alpha", "sigma_alpha", "alpha", "beta", "sigma"]
_URANIUM_HINTS = {
    "gamma_alpha": "the county intercepts need a slope on log uranium, gamma_alpha, in the "
    "centre they are drawn around.",
    "sigma_alpha": "partial pooling keeps the spread of the county intercepts, sigma_alpha.",
    "z_alpha": "write the intercepts non-centred, as in the chapter: standard-normal offsets "
    "z_alpha, scaled by sigma_alpha and added to the uranium line.",
    "alpha": "keep the county intercepts as a Deterministic named alpha, with dims county.",
}
_URANIUM_HINT = (
    "Start from the chapter's partial pooling model; the only change is the centre of the "
    "county intercepts, mu_alpha + gamma_alpha * log_uranium, with log uranium held per county "
    "(dims 'county'), not per house."
)


@reference_fit
def uranium_reference():
    """The chapter's uranium model (build_model's) and the stored summary of its reference fit."""
    # Imported here, so that checking a numeric answer does not load PyMC.
    from hbm_widgets.core.build import build_model
    from hbm_widgets.core.data import GroupedData, load_radon
    from hbm_widgets.core.spec import ModelSpec
    from hbm_widgets.exercises.fits import ReferenceFit

    data = GroupedData.from_frame(
        load_radon(),
        group="county",
        outcome="log_radon",
        predictor="floor",
        group_predictor="log_uranium",
    )
    spec = ModelSpec(pooling="partial", varying="intercept", group_predictor=True)
    return ReferenceFit.stored("05-3", build_model(spec, data), random_seed=20505)


@exercise("05", 3)
def uranium_model(answer) -> Feedback:
    """The partial pooling model with log uranium as a county-level predictor."""
    from hbm_widgets.exercises.fits import fit_feedback

    return fit_feedback(
        answer,
        uranium_reference(),
        compare=_URANIUM_COMPARE,
        hint=_URANIUM_HINT,
        hints=_URANIUM_HINTS,
    )
