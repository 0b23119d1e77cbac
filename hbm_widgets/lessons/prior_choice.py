"""Choosing priors: scale priors side by side, correlation priors, and priors from ranges.

``prior_from_range`` turns "90% of the mass between 0.1 and 2" into a prior with PreliZ's
maximum-entropy search. ``scale_prior_summary`` and ``scale_prior_densities`` compare
candidate priors for a standard deviation (how much mass each puts in the far tail);
``lkj_correlation_draws`` and ``inverse_wishart_draws`` show what LKJ and inverse-Wishart
priors say about a 2 x 2 correlation; ``binned_density`` turns many draws into a small
histogram table a chart can carry.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pymc as pm
from scipy import stats

from hbm_widgets.core.errors import WorkbookInputError
from hbm_widgets.core.priors import DISTRIBUTIONS, Prior

__all__ = [
    "RANGE_FAMILIES",
    "binned_density",
    "inverse_wishart_draws",
    "lkj_correlation_draws",
    "prior_from_range",
    "scale_prior_densities",
    "scale_prior_summary",
]

# Families prior_from_range can fit, with the parameters that may be held fixed.
RANGE_FAMILIES: Mapping[str, tuple[str, ...]] = {
    "Normal": (),
    "StudentT": ("nu",),
    "Cauchy": (),
    "HalfNormal": (),
    "HalfCauchy": (),
    "HalfStudentT": ("nu",),
    "Exponential": (),
    "Gamma": (),
}


def _preliz():
    """Import PreliZ, which on import reaches for ``matplotlib.style.core``.

    Matplotlib 3.11 no longer imports that submodule for you (and deprecates it), so it is
    imported here first; its deprecation warning says nothing a reader can act on.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import matplotlib.style.core  # noqa: F401
        import preliz

    return preliz


def _number(name: str, value) -> float:
    if isinstance(value, bool):
        raise WorkbookInputError(f"{name} must be a number, got {value!r}")
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise WorkbookInputError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(value):
        raise WorkbookInputError(f"{name} must be finite, got {value}")
    return value


def _tidy(value: float, width: float) -> float:
    """Three significant figures; numerical dust (a centre of 1e-8 on a range of 2) is 0."""
    if abs(value) < 1e-6 * width:
        return 0.0
    return float(f"{value:.3g}")


def prior_from_range(
    family: str, lower: float, upper: float, *, mass: float = 0.9, **fixed: float
) -> Prior:
    """The maximum-entropy prior of a family with ``mass`` of its probability in a range.

    Say what you believe ("the spread between counties is surely below 2 and probably above
    0.1") as a range and a probability; PreliZ's ``maxent`` finds the member of the family
    that puts that probability on the range while assuming as little else as possible.

    Parameters
    ----------
    family : str
        One of ``RANGE_FAMILIES``: Normal, StudentT, Cauchy, HalfNormal, HalfCauchy,
        HalfStudentT, Exponential or Gamma.
    lower, upper : float
        The plausible range; for families on positive values ``lower`` must be >= 0.
    mass : float
        Probability the prior puts between ``lower`` and ``upper``.
    **fixed : float
        Parameters held fixed during the search (``nu`` for StudentT and HalfStudentT).

    Returns
    -------
    Prior
        With parameters rounded to three significant figures.

    Raises
    ------
    WorkbookInputError
        An unknown family, ``lower >= upper``, a mass outside (0, 1), a negative lower bound
        for a positive family, or a parameter that cannot be fixed.

    Examples
    --------
    >>> prior_from_range("Exponential", 0, 2, mass=0.9)
    Prior('Exponential', lam=1.15)
    """
    if family not in RANGE_FAMILIES:
        raise WorkbookInputError(
            f"prior_from_range cannot fit a {family!r} prior; expected one of: "
            f"{', '.join(RANGE_FAMILIES)}"
        )
    lower, upper = _number("lower", lower), _number("upper", upper)
    mass = _number("mass", mass)
    if not lower < upper:
        raise WorkbookInputError(f"lower must be below upper, got lower={lower:g}, upper={upper:g}")
    if not 0 < mass < 1:
        raise WorkbookInputError(f"mass must be between 0 and 1, got {mass:g}")
    support = DISTRIBUTIONS[family][2]
    if support == "positive" and lower < 0:
        raise WorkbookInputError(
            f"a {family} prior lives on positive values, so lower must be >= 0, got {lower:g}"
        )
    allowed = RANGE_FAMILIES[family]
    for name, value in fixed.items():
        if name not in allowed:
            held = ", ".join(allowed) or "none"
            raise WorkbookInputError(
                f"{family}'s {name!r} cannot be held fixed here (parameters that can: {held})"
            )
        fixed[name] = _number(name, value)
    pz = _preliz()
    distribution = getattr(pz, family)(**fixed)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pz.maxent(distribution, lower, upper, mass, plot=False)
    except ValueError as exc:
        raise WorkbookInputError(
            f"no {family} prior puts {mass:g} of its mass between {lower:g} and {upper:g}: {exc}"
        ) from None
    width = upper - lower
    values = {
        name: _tidy(float(value), width)
        for name, value in zip(distribution.param_names, distribution.params, strict=True)
    }
    for name, value in fixed.items():
        values[name] = value
    return Prior(family, **values)


def _labelled(priors: Mapping[str, Prior]) -> dict[str, Prior]:
    if not isinstance(priors, Mapping) or not priors:
        raise WorkbookInputError("expected a non-empty mapping of label -> Prior")
    for label, prior in priors.items():
        if not isinstance(prior, Prior) or prior.support != "positive":
            raise WorkbookInputError(
                f"{label!r} must be a Prior on positive values (a scale prior), got {prior!r}"
            )
    return dict(priors)


def scale_prior_summary(
    priors: Mapping[str, Prior], *, thresholds: Sequence[float] = (1.0, 2.0, 5.0)
) -> pd.DataFrame:
    """How much mass each scale prior puts above each threshold.

    Parameters
    ----------
    priors : mapping of label -> Prior
        Priors on a standard deviation (HalfNormal, Exponential, HalfCauchy...).
    thresholds : sequence of float
        Values ``t`` for which ``P(sigma > t)`` is computed (from PyMC's own CDF).

    Returns
    -------
    DataFrame
        One row per prior: ``prior`` (the label), ``distribution`` and a column
        ``P(sigma > t)`` per threshold.

    Examples
    --------
    >>> table = scale_prior_summary({"expo": Prior("Exponential", lam=1)}, thresholds=[5])
    >>> round(float(table.loc[0, "P(sigma > 5)"]), 4)
    0.0067
    """
    priors = _labelled(priors)
    levels = [_number("threshold", t) for t in thresholds]
    if not levels:
        raise WorkbookInputError("give at least one threshold")
    points = np.array([max(t, 0.0) for t in levels])
    rows = []
    for label, prior in priors.items():
        log_cdf = np.atleast_1d(pm.logcdf(prior.dist(), points).eval())  # one compile a prior
        row = {"prior": label, "distribution": str(prior)}
        for t, value in zip(levels, log_cdf, strict=True):
            row[f"P(sigma > {t:g})"] = 1.0 if t <= 0 else float(-np.expm1(value))
        rows.append(row)
    return pd.DataFrame(rows)


def scale_prior_densities(
    priors: Mapping[str, Prior], *, upper: float = 6.0, points: int = 300
) -> pd.DataFrame:
    """Densities of several scale priors on one grid from 0 to ``upper``.

    Returns columns ``prior`` (the label), ``value`` and ``density``.
    """
    priors = _labelled(priors)
    upper = _number("upper", upper)
    if upper <= 0:
        raise WorkbookInputError(f"upper must be positive, got {upper:g}")
    grid = np.linspace(0.0, upper, int(points) + 1)[1:]
    frames = []
    for label, prior in priors.items():
        density = np.exp(pm.logp(prior.dist(), grid).eval())
        frames.append(pd.DataFrame({"prior": label, "value": grid, "density": density}))
    return pd.concat(frames, ignore_index=True)


def lkj_correlation_draws(
    etas: Sequence[float], *, draws: int = 2000, random_seed: int
) -> pd.DataFrame:
    """Prior draws of the correlation of a 2 x 2 LKJ(eta) correlation matrix, per eta.

    Returns columns ``eta`` and ``rho``. For two dimensions LKJ(eta) makes ``(rho + 1) / 2``
    a Beta(eta, eta) variable: uniform for eta = 1, ever more doubtful of strong
    correlations as eta grows.
    """
    rng = np.random.default_rng(random_seed)
    frames = []
    for eta in etas:
        eta = _number("eta", eta)
        if eta <= 0:
            raise WorkbookInputError(f"eta must be positive, got {eta:g}")
        values = np.asarray(
            pm.draw(pm.LKJCorr.dist(n=2, eta=eta), draws=int(draws), random_seed=rng)
        )
        # Each draw is the lower Cholesky factor L of the correlation matrix, whose
        # L[1, 0] is the correlation (L = [[1, 0], [rho, sqrt(1 - rho^2)]]).
        rho = values[:, 1, 0]
        frames.append(pd.DataFrame({"eta": eta, "rho": rho}))
    return pd.concat(frames, ignore_index=True)


def inverse_wishart_draws(
    df: float = 3.0, *, draws: int = 4000, random_seed: int, scale=None
) -> pd.DataFrame:
    """Draws of a 2 x 2 covariance from an inverse-Wishart prior, as SDs and a correlation.

    Parameters
    ----------
    df : float
        Degrees of freedom (> 1 for a 2 x 2 matrix); 3 is the common "vague" choice.
    scale : array, optional
        The 2 x 2 scale matrix (the identity by default).

    Returns
    -------
    DataFrame
        Columns ``sd_1``, ``sd_2`` and ``rho``.
    """
    df = _number("df", df)
    if df <= 1:
        raise WorkbookInputError(f"df must be above 1 for a 2 x 2 inverse-Wishart, got {df:g}")
    scale = np.eye(2) if scale is None else np.asarray(scale, dtype=float)
    covariance = stats.invwishart(df=df, scale=scale).rvs(
        size=int(draws), random_state=np.random.default_rng(random_seed)
    )
    sd = np.sqrt(np.diagonal(covariance, axis1=1, axis2=2))
    rho = covariance[:, 0, 1] / (sd[:, 0] * sd[:, 1])
    return pd.DataFrame({"sd_1": sd[:, 0], "sd_2": sd[:, 1], "rho": rho})


def binned_density(
    frame: pd.DataFrame,
    *,
    value: str,
    by: str | None = None,
    bins: int = 30,
    value_range: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """A histogram table: the density of ``value`` in equal bins, per ``by`` group.

    Densities are relative to all of a group's values, so with a ``value_range`` that cuts
    some off the bars integrate to the share inside the range (``1 - share_outside``).

    Returns
    -------
    DataFrame
        Columns ``by`` (when given), ``bin_start``, ``bin_end``, ``count``, ``density``,
        ``share`` (of the group's values in the bin) and ``share_outside`` (of the group's
        values outside the range).
    """
    if value not in frame.columns or (by is not None and by not in frame.columns):
        missing = value if value not in frame.columns else by
        raise WorkbookInputError(
            f"column {missing!r} is not in the frame; it has {', '.join(map(str, frame.columns))}"
        )
    bins = int(bins)
    if bins < 1:
        raise WorkbookInputError(f"bins must be at least 1, got {bins}")
    values = frame[value].to_numpy(dtype=float)
    if value_range is None:
        value_range = (float(np.nanmin(values)), float(np.nanmax(values)))
    low, high = map(float, value_range)
    if not low < high:
        raise WorkbookInputError(f"value_range needs low < high, got {value_range}")
    edges = np.linspace(low, high, bins + 1)
    groups = [(None, frame)] if by is None else list(frame.groupby(by, sort=False))
    out = []
    for key, part in groups:
        data = part[value].to_numpy(dtype=float)
        counts, _ = np.histogram(data, bins=edges)
        total = len(data)
        table = pd.DataFrame(
            {
                "bin_start": edges[:-1],
                "bin_end": edges[1:],
                "count": counts,
                "density": counts / (total * np.diff(edges)),
                "share": counts / total,
                "share_outside": 1 - counts.sum() / total,
            }
        )
        if by is not None:
            table.insert(0, by, key)
        out.append(table)
    return pd.concat(out, ignore_index=True)
