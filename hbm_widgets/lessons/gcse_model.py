"""The GCSE scores modelled together: priors for a bounded score and the joint model.

:func:`build_joint_model` models ``course`` and ``written`` together, so that students with
only one of the two scores still count (chapter 06); :func:`score_priors` gives weakly
informative priors from the width of a score's scale, and :func:`score_histograms` what
those priors say about the scores before any data are seen.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt

from hbm_widgets.core.errors import DataValidationError, WorkbookInputError
from hbm_widgets.core.priors import Prior
from hbm_widgets.lessons.gcse import _check_columns

__all__ = ["build_joint_model", "score_histograms", "score_priors"]


# --------------------------------------------------------------------------------------------
# Course and written scores together
# --------------------------------------------------------------------------------------------


def score_priors(score_range: tuple[float, float] = (0.0, 100.0)) -> dict[str, Prior]:
    """Weakly informative priors for a bounded score, from the width of its scale alone.

    For a score that can only lie in ``score_range`` (width ``W``) and a 0/1 predictor:

    - ``mu_alpha ~ Normal(centre, W / 5)``: a typical group's mean lies within the scale;
    - ``mu_beta ~ Normal(0, W / 10)``: a gap of a fifth of the scale is already large;
    - ``sigma_alpha ~ HalfNormal(0.15 W)``, ``sigma_beta ~ HalfNormal(W / 10)``: groups may
      differ by up to about a third of the scale, their gaps by a fifth;
    - ``rho ~ LKJ(2)`` and ``sigma ~ HalfNormal(W / 5)`` (a residual SD up to two fifths of
      the scale).

    They use no data, only what the scale itself says. Keys are those of
    :data:`hbm_widgets.core.spec.PRIOR_ROLES`, ready for ``ModelSpec.with_prior``.

    Examples
    --------
    >>> score_priors()["mu_alpha"]
    Prior('Normal', mu=50, sigma=20)
    """
    try:
        low, high = (float(v) for v in score_range)
    except (TypeError, ValueError):
        raise WorkbookInputError(
            f"score_range must be two numbers (low, high), got {score_range!r}"
        ) from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise WorkbookInputError(f"score_range needs finite low < high, got {score_range!r}")
    width = high - low
    return {
        "mu_alpha": Prior("Normal", mu=(low + high) / 2, sigma=width / 5),
        "mu_beta": Prior("Normal", mu=0, sigma=width / 10),
        "sigma_alpha": Prior("HalfNormal", sigma=0.15 * width),
        "sigma_beta": Prior("HalfNormal", sigma=width / 10),
        "rho": Prior("LKJCorr", eta=2),
        "sigma": Prior("HalfNormal", sigma=width / 5),
    }


def build_joint_model(
    frame: pd.DataFrame,
    *,
    group: str = "school",
    outcome: str = "course",
    companion: str = "written",
    predictor: str = "female",
    score_range: tuple[float, float] = (0.0, 100.0),
) -> pm.Model:
    """Both scores of every student, with correlated school effects and residuals.

    For student ``i`` in school ``j``, with ``y`` the ``outcome`` and ``w`` the ``companion``
    score and ``x`` the 0/1 predictor,

        y_i = alpha_j + beta_j * x_i + e_i,
        w_i = alpha_written_j + beta_written * x_i + d_i,   (e_i, d_i) bivariate normal,

    with residual SDs ``sigma`` and ``sigma_<companion>`` and residual correlation
    ``rho_residual``. The three school effects ``(alpha_j, beta_j, alpha_written_j)`` are
    multivariate normal around ``mu`` with an LKJ(2) correlation (``school_corr``), written
    non-centred through the Cholesky factor; the companion's predictor effect is shared by
    all schools (letting it vary too leaves it poorly identified on the GCSE data).

    A student with both scores contributes ``p(companion) p(outcome | companion)``; one with a
    single score contributes that score's marginal density (the missing one integrated out
    exactly, which is valid when scores are missing at random given what is observed). So a
    student with only a written score still informs the coursework parameters, through the
    residual and school-level correlations.

    The coursework part is named as :func:`hbm_widgets.build_model` names it (``mu_alpha``,
    ``mu_beta``, ``sigma_alpha``, ``sigma_beta``, ``rho``, ``sigma``, and ``alpha``/``beta``
    over the group dimension), so the same summaries apply. ``<outcome>_expected_missing``
    holds, for each student without an ``outcome`` score, its expected value given the
    student's school, predictor and ``companion`` score.

    Both scores get the priors of :func:`score_priors` for ``score_range`` (the companion's
    intercept, its SD and its residual SD like the outcome's; its shared predictor effect
    like ``mu_beta``); the residual correlation gets LKJ(2).

    Raises
    ------
    DataValidationError
        A column is absent or not numeric, the group or predictor is missing somewhere, or a
        student has neither score.
    """
    _check_columns(frame, [group, outcome, companion, predictor])
    for column in (outcome, companion, predictor):
        if not pd.api.types.is_numeric_dtype(frame[column]):
            raise DataValidationError(
                f"column {column!r} must be numeric, got {frame[column].dtype}"
            )
    for column in (group, predictor):
        if frame[column].isna().any():
            raise DataValidationError(
                f"column {column!r} has {int(frame[column].isna().sum())} missing value(s); "
                "only the scores may be missing"
            )
    y = frame[outcome].to_numpy(dtype=float)
    w = frame[companion].to_numpy(dtype=float)
    x = frame[predictor].to_numpy(dtype=float)
    has_y, has_w = ~np.isnan(y), ~np.isnan(w)
    neither = int((~has_y & ~has_w).sum())
    if neither:
        raise DataValidationError(
            f"{neither} student(s) have neither {outcome!r} nor {companion!r}; they carry no "
            "information for this model, drop them first"
        )
    codes, names = pd.factorize(frame[group], sort=True)
    both = np.flatnonzero(has_y & has_w)
    only_y = np.flatnonzero(has_y & ~has_w)
    only_w = np.flatnonzero(~has_y & has_w)
    priors = {name: prior.kwargs for name, prior in score_priors(score_range).items()}
    location_mu = [priors["mu_alpha"]["mu"], priors["mu_beta"]["mu"], priors["mu_alpha"]["mu"]]
    location_sd = [
        priors["mu_alpha"]["sigma"],
        priors["mu_beta"]["sigma"],
        priors["mu_alpha"]["sigma"],
    ]
    scale_sd = [
        priors["sigma_alpha"]["sigma"],
        priors["sigma_beta"]["sigma"],
        priors["sigma_alpha"]["sigma"],
    ]
    eta = priors["rho"]["eta"]
    effects = [f"{outcome}_intercept", f"{outcome}_{predictor}", f"{companion}_intercept"]
    coords = {
        group: [str(n) for n in names],
        "effect": effects,
        "effect_bis": effects,
        "obs_id": np.arange(len(frame)),
        f"{companion}_obs": np.flatnonzero(has_w),
        f"{outcome}_given_{companion}_obs": both,
        f"{outcome}_only_obs": only_y,
        f"{outcome}_missing_obs": only_w,
    }
    with pm.Model(coords=coords) as model:
        group_idx = pm.Data(f"{group}_idx", codes.astype(np.int64), dims="obs_id")
        x_data = pm.Data(predictor, x, dims="obs_id")
        mu = pm.Normal("mu", mu=location_mu, sigma=location_sd, dims="effect")
        chol, corr, school_sds = pm.LKJCholeskyCov(
            "school_chol",
            n=3,
            eta=eta,
            sd_dist=pm.HalfNormal.dist(sigma=np.asarray(scale_sd), shape=3),
            compute_corr=True,
        )
        pm.Deterministic("school_corr", corr, dims=("effect", "effect_bis"))
        z = pm.Normal("z", 0.0, 1.0, dims=(group, "effect"))
        school_effects = pm.Deterministic(
            "school_effects", mu + pt.dot(z, chol.T), dims=(group, "effect")
        )
        alpha = pm.Deterministic("alpha", school_effects[:, 0], dims=group)
        beta = pm.Deterministic("beta", school_effects[:, 1], dims=group)
        alpha_w = pm.Deterministic(f"alpha_{companion}", school_effects[:, 2], dims=group)
        beta_w = pm.Normal(f"beta_{companion}", **priors["mu_beta"])
        pm.Deterministic("mu_alpha", mu[0])
        pm.Deterministic("mu_beta", mu[1])
        pm.Deterministic(f"mu_alpha_{companion}", mu[2])
        pm.Deterministic("sigma_alpha", school_sds[0])
        pm.Deterministic("sigma_beta", school_sds[1])
        pm.Deterministic(f"sigma_alpha_{companion}", school_sds[2])
        pm.Deterministic("rho", corr[0, 1])

        sigma = pm.HalfNormal("sigma", **priors["sigma"])
        sigma_w = pm.HalfNormal(f"sigma_{companion}", **priors["sigma"])
        # LKJCorr gives the Cholesky factor L of the correlation matrix; for two variables
        # L = [[1, 0], [rho, sqrt(1 - rho^2)]], so the correlation is L[1, 0].
        residual_chol = pm.LKJCorr("residual_chol", n=2, eta=eta)
        rho_residual = pm.Deterministic("rho_residual", residual_chol[1, 0])

        mean_y = alpha[group_idx] + beta[group_idx] * x_data
        mean_w = alpha_w[group_idx] + beta_w * x_data
        slope_on_w = rho_residual * sigma / sigma_w
        has_w_idx = np.flatnonzero(has_w)
        pm.Normal(
            companion,
            mu=mean_w[has_w_idx],
            sigma=sigma_w,
            observed=w[has_w_idx],
            dims=f"{companion}_obs",
        )
        pm.Normal(
            f"{outcome}_given_{companion}",
            mu=mean_y[both] + slope_on_w * (w[both] - mean_w[both]),
            sigma=sigma * pt.sqrt(1 - rho_residual**2),
            observed=y[both],
            dims=f"{outcome}_given_{companion}_obs",
        )
        pm.Normal(
            f"{outcome}_only",
            mu=mean_y[only_y],
            sigma=sigma,
            observed=y[only_y],
            dims=f"{outcome}_only_obs",
        )
        pm.Deterministic(
            f"{outcome}_expected_missing",
            mean_y[only_w] + slope_on_w * (w[only_w] - mean_w[only_w]),
            dims=f"{outcome}_missing_obs",
        )
    return model


# --------------------------------------------------------------------------------------------
# Prior predictive check
# --------------------------------------------------------------------------------------------


def score_histograms(
    samples: Mapping[str, np.ndarray], *, bins: int = 60, low=None, high=None
) -> pd.DataFrame:
    """Several sets of values binned on shared edges into density histograms.

    ``samples`` maps a label (``"observed"``, ``"prior predictive"``) to values; the result
    has ``source``, ``bin_start``, ``bin_end`` and ``density`` (each source integrating to
    one over the shared range, values outside it left out).
    """
    if not samples:
        raise WorkbookInputError("samples must hold at least one set of values")
    arrays = {k: np.asarray(v, dtype=float).ravel() for k, v in samples.items()}
    for name, values in arrays.items():
        if values.size == 0 or not np.isfinite(values).all():
            raise WorkbookInputError(f"{name!r} needs at least one value, all finite")
    every = np.concatenate(list(arrays.values()))
    low = float(every.min()) if low is None else float(low)
    high = float(every.max()) if high is None else float(high)
    if not low < high:
        raise WorkbookInputError(f"need low < high, got low={low:g}, high={high:g}")
    edges = np.linspace(low, high, bins + 1)
    frames = []
    for name, values in arrays.items():
        counts, _ = np.histogram(values, bins=edges)
        density = counts / (values.size * np.diff(edges))
        frames.append(
            pd.DataFrame(
                {"source": name, "bin_start": edges[:-1], "bin_end": edges[1:], "density": density}
            )
        )
    return pd.concat(frames, ignore_index=True)
