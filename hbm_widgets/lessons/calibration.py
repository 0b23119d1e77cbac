"""Simulation-based calibration of the prior study's model: truths drawn from the prior.

Chapter 08's study fixes the truth and asks how a prior behaves there. Simulation-based
calibration (SBC; Talts et al., 2018) asks whether the computation is right: draw every
parameter from the prior, simulate a data set from those values, fit the model with the same
prior, and rank each true value among the posterior draws. When model and sampler are right
the rank is uniform over the simulations, whatever the prior, so a histogram of the ranks is
flat. The simulations reuse the study's designs, models and sampler
(:mod:`hbm_widgets.lessons.study`), with the outcome swapped for one drawn from the prior.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr

from hbm_widgets.core.errors import WorkbookInputError, check_whole_number
from hbm_widgets.lessons.study import (
    _grouped,
    _key,
    _sample_with_spec,
    _study_model,
    study_data,
    study_model_spec,
)
from hbm_widgets.lessons.study_spec import STUDY_PARAMETERS, Design, PriorChoice, StudySpec

__all__ = [
    "calibration_pit",
    "calibration_uniformity",
    "rank_histogram",
    "run_calibration",
    "truth_ranks",
]

# Posterior draws a true value is ranked among: evenly spaced through the chains, so that
# neighbouring draws are far apart and nearly independent (ranks among strongly
# autocorrelated draws are not uniform even when the fit is right), and 99 of them, so that a
# rank takes one of 100 values.
RANKED_DRAWS = 99

CALIBRATION_COLUMNS = [
    "design",
    "prior",
    "simulation",
    "parameter",
    "true_value",
    "rank",
    "rank_too_narrow",
    "ranked_draws",
    "max_rhat",
    "divergences",
]


def _seeds(spec: StudySpec, design: Design, prior: PriorChoice, simulation: int):
    sequence = np.random.SeedSequence(
        spec.seed,
        spawn_key=(
            _key(f"{design.n_obs}/{design.n_groups}"),
            simulation,
            _key(prior.name),
            _key("calibration"),
        ),
    )
    draw_seed, fit_seed = sequence.generate_state(2)
    return int(draw_seed), int(fit_seed)


def _ranked(values: np.ndarray) -> np.ndarray:
    """``RANKED_DRAWS`` draws spread evenly through all of ``values``."""
    if len(values) < RANKED_DRAWS:
        raise WorkbookInputError(
            f"a calibration fit needs at least {RANKED_DRAWS} draws in all (chains x draws), "
            f"got {len(values)}"
        )
    return values[np.linspace(0, len(values) - 1, RANKED_DRAWS).round().astype(int)]


def truth_ranks(posterior, truth: dict[str, float]) -> dict[str, dict[str, int]]:
    """Each true value's rank among 99 of its posterior draws, and among the same draws
    pulled halfway to their mean (what a computation whose posteriors are half as wide as
    they should be would report).

    ``posterior`` holds the model's variables (``STUDY_PARAMETERS`` names them); ``truth``
    maps each study parameter to its true value.
    """
    ranks = {}
    for parameter, true_value in truth.items():
        draws = _ranked(np.asarray(posterior[STUDY_PARAMETERS[parameter]]).ravel())
        too_narrow = draws.mean() + 0.5 * (draws - draws.mean())
        ranks[parameter] = {
            "rank": int((draws < true_value).sum()),
            "rank_too_narrow": int((too_narrow < true_value).sum()),
        }
    return ranks


def _calibrate(spec: StudySpec, design: Design, prior: PriorChoice, simulations) -> list[dict]:
    model_spec = study_model_spec(spec, prior)
    variables = list(STUDY_PARAMETERS.values())
    rows = []
    for simulation in simulations:
        # The study's data set gives the design (groups, x, u); its outcome is replaced by
        # one drawn, with every parameter, from the prior.
        model = _study_model(model_spec, _grouped(study_data(spec, design, simulation)))
        draw_seed, fit_seed = _seeds(spec, design, prior, simulation)
        *truth, outcome = pm.draw(
            [model[v] for v in variables] + [model["y"]], random_seed=draw_seed
        )
        with model:
            pm.set_data({"y_observed": outcome})
        idata, (max_rhat, _, divergences) = _sample_with_spec(model, spec, fit_seed)
        posterior = idata["posterior"]
        ranks = truth_ranks(posterior, dict(zip(STUDY_PARAMETERS, truth, strict=True)))
        for parameter, true_value in zip(STUDY_PARAMETERS, truth, strict=True):
            rows.append(
                {
                    "design": design.name,
                    "prior": prior.name,
                    "simulation": int(simulation),
                    "parameter": parameter,
                    "true_value": float(true_value),
                    **ranks[parameter],
                    "ranked_draws": RANKED_DRAWS,
                    "max_rhat": max_rhat,
                    "divergences": divergences,
                }
            )
    return rows


def run_calibration(
    spec: StudySpec,
    *,
    design: str | Design,
    prior: str | PriorChoice,
    n_simulations: int,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Simulation-based calibration of the study's model under one design and prior.

    Each simulation draws every parameter and the outcome from the prior (the design's
    groups, ``x`` and ``u`` are the study's), fits the model with the same prior and the
    study's sampler settings, and ranks each true value among 99 of the posterior draws,
    spread evenly through the chains. Every simulation is seeded from the study's seed, the
    design, the prior and its number alone, so the table does not depend on ``n_jobs``.

    Parameters
    ----------
    spec : StudySpec
        The study whose model, sampler settings and seed are used.
    design, prior : str or Design / PriorChoice
        One of the spec's designs and prior choices (a flat prior cannot be drawn from).
    n_simulations : int
        Simulated data sets (at least 1; a rank histogram wants 100 or more).
    n_jobs : int, optional
        Fits run at once on this machine, each on one core; ``None`` runs one per core.

    Returns
    -------
    DataFrame
        One row per simulation and parameter of ``STUDY_PARAMETERS``: the true value, its
        ``rank`` among the 99 draws (0 to 99), ``rank_too_narrow`` (its rank among the same
        draws pulled halfway to their mean, the ranks an overconfident computation would
        give), and the fit's worst R-hat and divergences.

    Examples
    --------
    >>> spec = StudySpec(designs=[(50, 5)], priors=["good"], draws=50, tune=50, chains=2)
    >>> table = run_calibration(spec, design="N=50, J=5", prior="good", n_simulations=2,
    ...                         n_jobs=1)  # doctest: +SKIP
    >>> table["rank"].between(0, 99).all()  # doctest: +SKIP
    True
    """
    if not isinstance(spec, StudySpec):
        raise WorkbookInputError(f"expected a StudySpec, got {type(spec).__name__}")
    design = spec.design(design)
    prior = spec.prior(prior)
    if prior.gamma0.distribution == "Flat" or prior.gamma1.distribution == "Flat":
        raise WorkbookInputError(
            f"prior {prior.name!r} is flat: calibration draws the truth from the prior, "
            "so it needs a proper one (good, bad or weak_bad)"
        )
    n_simulations = check_whole_number("n_simulations", n_simulations, low=1)
    n_jobs = check_whole_number("n_jobs", n_jobs or os.cpu_count() or 1, low=1)
    batches = [b.tolist() for b in np.array_split(np.arange(n_simulations), n_jobs) if len(b)]
    if len(batches) == 1:
        rows = _calibrate(spec, design, prior, batches[0])
    else:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=len(batches))(
            delayed(_calibrate)(spec, design, prior, batch) for batch in batches
        )
        rows = [row for batch in results for row in batch]
    return pd.DataFrame(rows, columns=CALIBRATION_COLUMNS)


def _rank_column(rank: str) -> str:
    if rank not in ("rank", "rank_too_narrow"):
        raise WorkbookInputError(f"rank must be 'rank' or 'rank_too_narrow', got {rank!r}")
    return rank


def rank_histogram(table: pd.DataFrame, *, rank: str = "rank", bins: int = 10) -> pd.DataFrame:
    """Counts of the true values' ranks in ``bins`` equal bins, per parameter.

    The ranks 0 to ``ranked_draws`` are ``ranked_draws + 1`` values; the bins split them
    evenly, so under uniform ranks every bin expects ``simulations / bins``.

    Returns
    -------
    DataFrame
        One row per parameter and bin: ``parameter``, ``start`` and ``end`` (the bin's rank
        edges), ``simulations`` (its count) and ``expected``.
    """
    rank = _rank_column(rank)
    bins = check_whole_number("bins", bins, low=2)
    edges = np.linspace(0, int(table["ranked_draws"].iloc[0]) + 1, bins + 1)
    rows = []
    for parameter, ranks in table.groupby("parameter", sort=False)[rank]:
        counts, _ = np.histogram(ranks.to_numpy(), bins=edges)
        rows += [
            {
                "parameter": parameter,
                "start": float(lo),
                "end": float(hi),
                "simulations": int(count),
                "expected": len(ranks) / bins,
            }
            for lo, hi, count in zip(edges[:-1], edges[1:], counts, strict=True)
        ]
    return pd.DataFrame(rows)


def calibration_uniformity(table: pd.DataFrame, *, bins: int = 10) -> pd.DataFrame:
    """How far each parameter's rank histogram is from flat: a chi-square test per parameter.

    For the fits' own ranks and for the too-narrow ones, the p-value of Pearson's chi-square
    test of the binned counts against uniform (:func:`scipy.stats.chisquare`), and the
    share of simulations whose true value ranked in the first or last tenth of the bins
    (0.2 when uniform), which a ∪ shape inflates.
    """
    from scipy import stats

    outer = max(1, bins // 10)  # bins at each end
    columns = {}
    for rank, label in (("rank", "the fits"), ("rank_too_narrow", "half as wide")):
        histogram = rank_histogram(table, rank=rank, bins=bins)
        grouped = histogram.groupby("parameter", sort=False)["simulations"]
        columns[f"p-value, {label}"] = grouped.apply(
            lambda counts: float(stats.chisquare(counts.to_numpy()).pvalue)
        )
        columns[f"outer share, {label}"] = grouped.apply(
            lambda counts: float(
                (counts.iloc[:outer].sum() + counts.iloc[-outer:].sum()) / counts.sum()
            )
        )
    return pd.DataFrame(columns).rename_axis("parameter")


def calibration_pit(table: pd.DataFrame, *, rank: str = "rank") -> xr.DataTree:
    """The ranks as probability integral transforms, for ArviZ's ``plot_ecdf_pit``.

    A rank ``r`` among ``L`` draws becomes ``(r + 0.5) / (L + 1)``, the middle of its share
    of (0, 1). The values sit in a ``prior_sbc`` group, one variable per parameter, with the
    simulations as draws of one chain: the layout ArviZ's SBC plots read.
    """
    rank = _rank_column(rank)
    wide = table.pivot(index="simulation", columns="parameter", values=rank)
    ranked_draws = int(table["ranked_draws"].iloc[0])
    pit = (wide + 0.5) / (ranked_draws + 1)
    return xr.DataTree.from_dict(
        {
            "prior_sbc": xr.Dataset(
                {
                    parameter: (("chain", "draw"), pit[parameter].to_numpy()[None, :])
                    for parameter in STUDY_PARAMETERS
                    if parameter in pit
                },
                coords={"chain": [0], "draw": pit.index.to_numpy()},
            )
        }
    )
