"""Exercises of chapter 11 (a hierarchical GLM and grouped time series)."""

from __future__ import annotations

from scipy import special, stats

from hbm_widgets.exercises import Feedback, close_to, exercise, reference_fit
from hbm_widgets.exercises.fits import ReferenceFit, fit_feedback


@exercise("11", 1)
def rate_at_ninetieth_percentile(answer) -> Feedback:
    """invlogit(mu + z_0.9 * sigma) with mu = -1.0 and sigma = 0.2 on the logit scale."""
    target = float(special.expit(-1.0 + stats.norm.ppf(0.9) * 0.2))
    return close_to(
        answer,
        target,
        right=0.001,
        close=0.01,
        hint=(
            "find the 90th percentile on the logit scale first (mu plus 1.28 standard "
            "deviations), then turn it into a rate with the inverse logit 1 / (1 + e^-x)."
        ),
    )


@exercise("11", 2)
def beta_binomial_posterior_mean(answer) -> Feedback:
    """Posterior mean (a + y) / (a + b + n) with a Beta(80, 220) prior, 4 hits in 19."""
    a, b, y, n = 80, 220, 4, 19
    target = (a + y) / (a + b + n)
    return close_to(
        answer,
        target,
        right=0.0005,
        close=0.005,
        hint=(
            "a Beta(a, b) prior updated with y successes in n trials gives "
            "Beta(a + y, b + n - y); its mean is the first parameter over their sum."
        ),
    )


@exercise("11", 3)
def weight_on_the_data(answer) -> Feedback:
    """Weight n / (n + a + b) the beta-binomial posterior mean puts on the raw rate."""
    a, b, n = 80, 220, 19
    target = n / (n + a + b)
    return close_to(
        answer,
        target,
        right=0.0005,
        close=0.01,
        hint=(
            "write (a + y) / (a + b + n) as w * y / n + (1 - w) * a / (a + b) and solve "
            "for w: the prior counts as a + b extra trials."
        ),
    )


@reference_fit
def pumps_reference() -> ReferenceFit:
    """The pumps model asked for in exercise 4, and the stored summary of its reference fit."""
    from hbm_widgets.models.rates import build_rate_model, load_pumps

    model = build_rate_model(
        load_pumps(), group="pump", count="failures", size="thousand_hours", family="poisson"
    )
    # Centred and non-centred answers are the same model: keep only what both have.
    return ReferenceFit.stored(
        "11-4", model, random_seed=1104, target_accept=0.95, drop=["z_alpha"]
    )


@exercise("11", 4)
def pumps_model_by_hand(answer) -> Feedback:
    """The hierarchical Poisson model of the pumps, written in PyMC and sampled."""
    return fit_feedback(
        answer,
        pumps_reference(),
        compare=["mu_alpha", "sigma_alpha", "rate"],
        hint=(
            "each pump's failures are Poisson with mean thousand_hours * rate, rate = "
            "exp(alpha), and alpha ~ Normal(mu_alpha, sigma_alpha) with the priors the "
            "exercise gives; name the variables as it does, with dims 'pump'."
        ),
        hints={
            "mu_alpha": "partial pooling draws the pumps' log rates around a common centre, "
            "mu_alpha",
            "sigma_alpha": "partial pooling needs the spread of the pumps' log rates, sigma_alpha",
            "alpha": "each pump needs its own log rate, alpha",
            "rate": "keep the rate per thousand hours as a deterministic, rate = exp(alpha)",
        },
    )
