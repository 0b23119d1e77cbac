"""Monte Carlo estimates and a Metropolis-Hastings sampler, written out to be read.

Chapter 02 uses these to look inside a sampler before trusting PyMC's: plain Monte Carlo
with independent draws (whose error falls like ``1 / sqrt(n)``), then a random-walk
Metropolis-Hastings chain on a target known only up to a constant. The chain, its
acceptance rate and the tables for charts are plain NumPy and pandas; ArviZ turns chains
into a ``DataTree`` (groups ``posterior`` and ``sample_stats``, as ``pm.sample`` returns) so
that its MCSE, ESS and R-hat can be used on them.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats

from hbm_widgets.core.conjugate import NormalPosterior, conjugate_normal_posterior
from hbm_widgets.core.errors import WorkbookInputError, check_whole_number

__all__ = [
    "MetropolisResult",
    "chains_to_idata",
    "histogram_frame",
    "log_log_slope",
    "metropolis_hastings",
    "monte_carlo_errors",
    "normal_density_frame",
    "normal_ellipse_frame",
    "normal_mean_log_posterior",
    "trace_frame",
]


@dataclass(frozen=True)
class MetropolisResult:
    """One Metropolis-Hastings chain.

    Attributes
    ----------
    draws : ndarray of float, shape (steps,) or (steps, d)
        The state of the chain after each step (a rejected step repeats the last state); one
        column per parameter when the chain moves in ``d`` dimensions.
    accepted : ndarray of bool, shape (steps,)
        Whether each step's proposal was accepted.
    acceptance_rate : float
        The fraction of accepted proposals.
    """

    draws: np.ndarray
    accepted: np.ndarray
    acceptance_rate: float


def _finite_number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise WorkbookInputError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise WorkbookInputError(f"{name} must be a finite number, got {value}")
    return value


def _start(value) -> float | np.ndarray:
    """A finite number, or a one-dimensional array of them for a chain in several dimensions."""
    if isinstance(value, Sequence | np.ndarray) and not isinstance(value, str):
        array = np.asarray(value, dtype=float) if len(value) else np.empty(0)
        if array.ndim != 1 or array.size == 0:
            raise WorkbookInputError(
                f"start must be a number or a flat list of numbers, got {value!r}"
            )
        if not np.isfinite(array).all():
            raise WorkbookInputError(f"start must hold finite numbers, got {array.tolist()}")
        return array
    return _finite_number("start", value)


def _format_state(state) -> str:
    return f"{state:g}" if np.ndim(state) == 0 else str(np.asarray(state).tolist())


def metropolis_hastings(
    log_target: Callable,
    start,
    *,
    proposal_sd: float,
    steps: int,
    rng: np.random.Generator,
) -> MetropolisResult:
    """Random-walk Metropolis-Hastings for one real parameter, or several.

    At each step a candidate ``y = x + proposal_sd * z`` (``z`` standard normal, one
    independent component per parameter) is drawn around the current state ``x`` and
    accepted with probability

        min(1, [pi(y) q(x | y)] / [pi(x) q(y | x)]).

    The Gaussian random walk is symmetric, ``q(x | y) = q(y | x)``, so the proposal terms
    of this Hastings ratio cancel and only the ratio of target densities is left: a
    constant factor of the target cancels too, which is why an unnormalised posterior
    (prior times likelihood) is enough. The comparison is made on the log scale.

    Parameters
    ----------
    log_target : callable
        The log of the target density, up to an additive constant, of a number (or of an
        array of ``d`` numbers when ``start`` is one). ``-inf`` (zero density) rejects a
        candidate.
    start : float or sequence of float
        The initial state; the target must have positive density there. A sequence of ``d``
        numbers runs the chain in ``d`` dimensions.
    proposal_sd : float
        Standard deviation of the random-walk step, > 0.
    steps : int
        Number of steps, >= 1.
    rng : numpy.random.Generator
        The source of randomness (seeded by the caller).

    Returns
    -------
    MetropolisResult

    Raises
    ------
    WorkbookInputError
        ``proposal_sd <= 0``, ``steps < 1``, a start that is not a finite number or has
        zero target density, or an ``rng`` that is not a NumPy ``Generator``.

    Examples
    --------
    >>> import numpy as np
    >>> result = metropolis_hastings(
    ...     lambda x: -0.5 * x**2, 0.0, proposal_sd=2.4, steps=5000,
    ...     rng=np.random.default_rng(1),
    ... )
    >>> result.draws.shape, result.accepted.dtype
    ((5000,), dtype('bool'))
    >>> 0.3 < result.acceptance_rate < 0.6
    True
    """
    if not callable(log_target):
        raise WorkbookInputError(f"log_target must be a function, got {log_target!r}")
    start = _start(start)
    proposal_sd = _finite_number("proposal_sd", proposal_sd)
    if proposal_sd <= 0:
        raise WorkbookInputError(f"proposal_sd must be positive, got {proposal_sd:g}")
    steps = check_whole_number("steps", steps, low=1)
    if not isinstance(rng, np.random.Generator):
        raise WorkbookInputError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {rng!r}"
        )

    current = start
    current_log_density = float(log_target(current))
    if not math.isfinite(current_log_density):
        raise WorkbookInputError(
            f"the target has no positive density at start={_format_state(start)} "
            f"(log density {current_log_density}); start where it does"
        )

    draws = np.empty((steps, *np.shape(start)))
    accepted = np.zeros(steps, dtype=bool)
    for step in range(steps):
        # One standard normal step per parameter (a single number in one dimension).
        candidate = current + proposal_sd * rng.standard_normal(np.shape(start))
        candidate_log_density = float(log_target(candidate))
        # log of pi(candidate) / pi(current); the symmetric proposal's q terms cancel.
        log_ratio = candidate_log_density - current_log_density
        # Accept with probability min(1, ratio): a uniform draw below the ratio. A NaN
        # ratio compares False and so rejects.
        if math.log(rng.uniform()) < log_ratio:
            current, current_log_density = candidate, candidate_log_density
            accepted[step] = True
        draws[step] = current
    return MetropolisResult(draws=draws, accepted=accepted, acceptance_rate=float(accepted.mean()))


def normal_mean_log_posterior(
    prior_mean, prior_sd, sigma, n, sample_mean
) -> Callable[[float], float]:
    """The unnormalised log posterior of chapter 01's normal mean, as a function of ``mu``.

    ``log p(mu | y) = -n (mu - ybar)^2 / (2 sigma^2) - (mu - mu_0)^2 / (2 sigma_0^2) + const``:
    the log likelihood (which depends on the data only through their mean) plus the log
    prior, with every term free of ``mu`` dropped. The arguments are those of
    :func:`hbm_widgets.conjugate_normal_posterior` and are checked the same way.

    Examples
    --------
    >>> log_post = normal_mean_log_posterior(0, 10, 15, 20, 8.0)
    >>> post = conjugate_normal_posterior(0, 10, 15, 20, 8.0)
    >>> round(log_post(post.mean + post.sd) - log_post(post.mean), 6)  # one SD away: -1/2
    -0.5
    """
    conjugate_normal_posterior(prior_mean, prior_sd, sigma, n, sample_mean)  # checks inputs
    prior_mean, prior_sd, sigma = float(prior_mean), float(prior_sd), float(sigma)
    n, sample_mean = int(n), float(sample_mean) if int(n) > 0 else 0.0
    prior_precision = 0.0 if math.isinf(prior_sd) else 1 / prior_sd**2

    def log_posterior(mu: float) -> float:
        log_likelihood = -0.5 * n * (mu - sample_mean) ** 2 / sigma**2
        log_prior = -0.5 * prior_precision * (mu - prior_mean) ** 2
        return log_likelihood + log_prior

    return log_posterior


def monte_carlo_errors(
    posterior: NormalPosterior,
    *,
    sample_sizes: Sequence[int],
    repeats: int,
    rng: np.random.Generator,
    threshold: float = 0.0,
) -> pd.DataFrame:
    """How far plain Monte Carlo estimates fall from the exact answer, by number of draws.

    For each ``n`` in ``sample_sizes`` the estimate is repeated ``repeats`` times, each
    time from ``n`` fresh independent draws of the normal posterior, for two quantities:
    the posterior mean (estimated by the draws' mean) and the probability that the
    parameter exceeds ``threshold`` (estimated by the fraction of draws above it).

    Returns
    -------
    DataFrame
        One row per quantity and ``n``: ``quantity``, ``n``, ``exact``, ``mean_estimate``
        (the average over repeats), ``rmse`` (root mean square error over repeats) and
        ``predicted`` (the standard error an independent sample has: ``sd / sqrt(n)`` for
        the mean, ``sqrt(p (1 - p) / n)`` for the probability).
    """
    sizes = [check_whole_number("each sample size", n, low=1) for n in sample_sizes]
    if not sizes:
        raise WorkbookInputError("sample_sizes must hold at least one size")
    repeats = check_whole_number("repeats", repeats, low=2)
    threshold = _finite_number("threshold", threshold)
    exceed = float(stats.norm(posterior.mean, posterior.sd).sf(threshold))
    quantities = {
        "posterior mean": (posterior.mean, posterior.sd, np.mean),
        f"P(μ > {threshold:g})": (
            exceed,
            math.sqrt(exceed * (1 - exceed)),
            lambda draws: np.mean(draws > threshold),
        ),
    }
    rows = []
    for n in sizes:
        samples = [rng.normal(posterior.mean, posterior.sd, size=n) for _ in range(repeats)]
        for quantity, (exact, spread, estimator) in quantities.items():
            estimates = np.array([estimator(draws) for draws in samples])
            rows.append(
                {
                    "quantity": quantity,
                    "n": n,
                    "exact": exact,
                    "mean_estimate": float(estimates.mean()),
                    "rmse": float(np.sqrt(np.mean((estimates - exact) ** 2))),
                    "predicted": spread / math.sqrt(n),
                }
            )
    return pd.DataFrame(rows)


def log_log_slope(n, error) -> float:
    """Least-squares slope of ``log(error)`` on ``log(n)`` (``-1/2`` for Monte Carlo error).

    Examples
    --------
    >>> round(log_log_slope([10, 100, 1000], [1.0, 0.1, 0.01]), 6)
    -1.0
    """
    n = np.asarray(n, dtype=float)
    error = np.asarray(error, dtype=float)
    if n.shape != error.shape or n.size < 2:
        raise WorkbookInputError(
            f"need two or more (n, error) pairs of equal length, got {n.size} and {error.size}"
        )
    if (n <= 0).any() or (error <= 0).any():
        raise WorkbookInputError("n and error must be positive to be put on a log scale")
    slope, _intercept = np.polyfit(np.log(n), np.log(error), 1)
    return float(slope)


def _as_chains(chains) -> list[MetropolisResult]:
    if isinstance(chains, MetropolisResult):
        return [chains]
    chains = list(chains)
    if not chains or not all(isinstance(c, MetropolisResult) for c in chains):
        raise WorkbookInputError("expected one MetropolisResult or a list of them")
    return chains


def _warmup(warmup, steps: int) -> int:
    warmup = check_whole_number("warmup", warmup, low=0)
    if warmup >= steps:
        raise WorkbookInputError(
            f"warmup must be fewer than the {steps} steps of the chain, got {warmup}"
        )
    return warmup


def chains_to_idata(
    chains,
    *,
    warmup: int = 0,
    var_name: str = "mu",
    dim: str | None = None,
    labels: Sequence | None = None,
) -> xr.DataTree:
    """Metropolis chains (after dropping ``warmup`` steps) as an ArviZ ``DataTree``.

    The posterior group holds ``var_name`` with dims ``(chain, draw)`` (and ``dim`` for a
    chain in several dimensions, labelled by ``labels``) and the sample stats group
    ``accepted``, so that ``az.mcse``, ``az.ess`` and ``az.rhat`` apply.
    """
    chains = _as_chains(chains)
    lengths = {len(c.draws) for c in chains}
    if len(lengths) != 1:
        raise WorkbookInputError(f"chains must have equal lengths, got {sorted(lengths)}")
    warmup = _warmup(warmup, lengths.pop())
    shapes = {c.draws.shape[1:] for c in chains}
    if len(shapes) != 1:
        raise WorkbookInputError("chains must move in the same number of dimensions")
    dims, coords = {}, {}
    if shapes.pop():
        dim = dim or f"{var_name}_dim"
        dims = {var_name: [dim]}
        if labels is not None:
            coords = {dim: list(labels)}
    return az.from_dict(
        {
            "posterior": {var_name: np.stack([c.draws[warmup:] for c in chains])},
            "sample_stats": {"accepted": np.stack([c.accepted[warmup:] for c in chains])},
        },
        dims=dims,
        coords=coords,
    )


def trace_frame(chains, *, max_points: int = 1500) -> pd.DataFrame:
    """The chains' paths for a trace chart: columns ``chain``, ``step`` and ``value``.

    Long chains are thinned evenly so that at most ``max_points`` rows are kept in all
    (the first and last step of each chain always are).
    """
    chains = _as_chains(chains)
    max_points = check_whole_number("max_points", max_points, low=2 * len(chains))
    per_chain = max(2, max_points // len(chains))
    frames = []
    for number, chain in enumerate(chains):
        steps = chain.draws.size
        keep = np.unique(np.linspace(0, steps - 1, min(steps, per_chain)).round().astype(int))
        frames.append(pd.DataFrame({"chain": number, "step": keep + 1, "value": chain.draws[keep]}))
    return pd.concat(frames, ignore_index=True)


def histogram_frame(draws, *, bins: int = 40, low=None, high=None) -> pd.DataFrame:
    """Draws binned into a density histogram: ``bin_start``, ``bin_end``, ``density``.

    The densities integrate to one over the bins, so the histogram can share axes with a
    density curve.
    """
    draws = np.asarray(draws, dtype=float).ravel()
    if draws.size == 0 or not np.isfinite(draws).all():
        raise WorkbookInputError("need at least one draw, all finite, to make a histogram")
    bins = check_whole_number("bins", bins, low=1)
    value_range = None if low is None or high is None else (float(low), float(high))
    density, edges = np.histogram(draws, bins=bins, range=value_range, density=True)
    return pd.DataFrame({"bin_start": edges[:-1], "bin_end": edges[1:], "density": density})


def normal_density_frame(mean, sd, *, low=None, high=None, points: int = 200) -> pd.DataFrame:
    """A normal density on a grid (``value``, ``density``), by default over mean +- 4 SD."""
    mean = _finite_number("mean", mean)
    sd = _finite_number("sd", sd)
    if sd <= 0:
        raise WorkbookInputError(f"sd must be positive, got {sd:g}")
    low = mean - 4 * sd if low is None else float(low)
    high = mean + 4 * sd if high is None else float(high)
    grid = np.linspace(low, high, check_whole_number("points", points, low=2))
    return pd.DataFrame({"value": grid, "density": stats.norm(mean, sd).pdf(grid)})


def normal_ellipse_frame(mean, cov, *, mass: float = 0.95, points: int = 120) -> pd.DataFrame:
    """The ellipse holding ``mass`` of a bivariate normal's probability: ``order``, ``x``, ``y``.

    For a chart of draws in the plane: the region a sampler should cover. The points run
    once round the ellipse (the first repeated at the end), in the order given by ``order``.

    Examples
    --------
    >>> frame = normal_ellipse_frame([0, 0], [[1, 0], [0, 1]], mass=0.5, points=5)
    >>> round(float(np.hypot(frame["x"], frame["y"]).max()), 4)  # sqrt(2 log 2)
    1.1774
    """
    mean = np.asarray(mean, dtype=float)
    cov = np.asarray(cov, dtype=float)
    if mean.shape != (2,) or cov.shape != (2, 2) or not np.isfinite(cov).all():
        raise WorkbookInputError("need a mean of two numbers and a 2 x 2 covariance matrix")
    if not 0 < mass < 1:
        raise WorkbookInputError(f"mass must be between 0 and 1, got {mass!r}")
    points = check_whole_number("points", points, low=3)
    try:
        factor = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise WorkbookInputError("the covariance matrix must be positive definite") from None
    # A bivariate normal's squared Mahalanobis distance is chi-squared with 2 degrees of
    # freedom, so the ellipse is the circle of that radius, mapped by the Cholesky factor.
    radius = math.sqrt(stats.chi2(2).ppf(mass))
    angle = np.linspace(0, 2 * np.pi, points + 1)
    circle = radius * np.stack([np.cos(angle), np.sin(angle)])
    x, y = mean[:, None] + factor @ circle
    return pd.DataFrame({"order": np.arange(points + 1), "x": x, "y": y})
