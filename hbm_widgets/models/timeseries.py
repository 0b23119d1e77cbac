"""Grouped time series: related series whose trends and seasons are partially pooled.

Each series ``s`` (a store, say) is a local level, a straight trend and a yearly season
written with a few Fourier terms, plus noise:

    y_st = level_s + slope_s * (t - origin) / period + sum_k season_sk * f_k(t) + e_st,
    e_st ~ Normal(0, sigma),
    f_k = cos(2 pi h t / period) and sin(2 pi h t / period) for h = 1..harmonics.

With ``pooling="partial"`` the levels and slopes of the series are drawn from populations
(``level_s ~ Normal(mu_level, sigma_level)``), and the season is either one pattern shared
by all series or partially pooled too, so a short series borrows its season and trend from
the others; with ``pooling="none"`` each series stands alone with fixed priors.
:func:`forecast_series` extends any series into the future with bands, and
:mod:`~hbm_widgets.models.timeseries_simulation` draws such series with known values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt

from hbm_widgets.core.data import _as_numeric
from hbm_widgets.core.errors import (
    DataValidationError,
    SpecificationError,
    WorkbookInputError,
    check_whole_number,
)
from hbm_widgets.core.priors import Prior

__all__ = [
    "SERIES_TRUTH",
    "SeriesData",
    "build_series_model",
    "forecast_series",
    "fourier_features",
    "series_priors",
]

# True values of the simulation: monthly log sales of stores of one chain.
SERIES_TRUTH: Mapping[str, float | tuple[float, ...]] = {
    "mu_level": 4.0,  # log sales of a typical store in the last observed month
    "sigma_level": 0.3,
    "mu_slope": 0.25,  # growth per year on the log scale (about 28% a year)
    "sigma_slope": 0.08,
    # The chain's yearly pattern: coefficients of cos_1, sin_1, cos_2, sin_2, shared by
    # every store (a positive sigma_season would give each store its own variation).
    "mu_season": (0.3, 0.1, 0.05, -0.08),
    "sigma_season": 0.0,
    "sigma": 0.08,  # month-to-month noise
}


def fourier_features(time, *, period: float = 12, harmonics: int = 2) -> np.ndarray:
    """Columns ``cos(2 pi h t / period)``, ``sin(2 pi h t / period)`` for ``h = 1..harmonics``.

    Examples
    --------
    >>> fourier_features([0, 3], period=12, harmonics=1).round(6).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    harmonics = check_whole_number("harmonics", harmonics, low=1)
    if not period > 0:
        raise WorkbookInputError(f"period must be positive, got {period!r}")
    t = np.asarray(time, dtype=float)
    columns = []
    for h in range(1, harmonics + 1):
        angle = 2 * np.pi * h * t / period
        columns += [np.cos(angle), np.sin(angle)]
    return np.column_stack(columns)


def _fourier_names(harmonics: int) -> list[str]:
    return [f"{kind}_{h}" for h in range(1, harmonics + 1) for kind in ("cos", "sin")]


@dataclass(frozen=True, eq=False)
class SeriesData:
    """Validated arrays for the grouped time-series model.

    Attributes
    ----------
    outcome : ndarray of float
    time : ndarray of float
        The time column as given (months, say).
    series_idx : ndarray of int
    series_names : ndarray of str
    series, time_name, outcome_name : str
        The columns used; the model's series dim is named after ``series``.
    period : float
        Length of the seasonal cycle in time units (12 for months).
    harmonics : int
    origin : float
        The time at which each series' ``level`` is read (default: the last time in the
        data), so that a forecast starts from the level.
    """

    outcome: np.ndarray
    time: np.ndarray
    series_idx: np.ndarray
    series_names: np.ndarray
    series: str
    time_name: str
    outcome_name: str
    period: float
    harmonics: int
    origin: float
    frame: pd.DataFrame | None = field(default=None, repr=False)

    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        *,
        series: str,
        time: str,
        outcome: str,
        period: float = 12,
        harmonics: int = 2,
        origin: float | None = None,
    ) -> SeriesData:
        """Check a long data frame (one row per series and time) and build the arrays.

        Raises
        ------
        DataValidationError
            A missing or non-numeric column, missing values, a series observed twice at
            the same time, or a series with fewer than three observations.
        """
        if not isinstance(df, pd.DataFrame):
            raise DataValidationError(f"expected a pandas DataFrame, got {type(df).__name__}")
        roles = {"series": series, "time": time, "outcome": outcome}
        for role, column in roles.items():
            if column not in df.columns:
                available = ", ".join(map(str, df.columns))
                raise DataValidationError(
                    f"{role} column {column!r} is not in the data; available columns: {available}"
                )
        if len(set(roles.values())) < 3:
            raise DataValidationError(f"each role needs its own column, got {roles}")
        used = df[[series, time, outcome]].copy()
        used[time] = _as_numeric(used[time], "time", time)
        used[outcome] = _as_numeric(used[outcome], "outcome", outcome)
        if used.isna().any().any():
            counts = ", ".join(f"{c!r}: {int(n)}" for c, n in used.isna().sum().items() if n)
            raise DataValidationError(
                f"the data have missing values ({counts}); drop those rows first "
                "(a series may skip times)"
            )
        used[series] = used[series].astype(str)
        duplicated = used.duplicated([series, time])
        if duplicated.any():
            row = used.loc[duplicated].iloc[0]
            raise DataValidationError(
                f"series {row[series]!r} has more than one value at {time}={row[time]:g}"
            )
        sizes = used.groupby(series).size()
        if (sizes < 3).any():
            raise DataValidationError(
                f"series {sizes.idxmin()!r} has {int(sizes.min())} observation(s); "
                "each series needs at least three"
            )
        fourier_features([0.0], period=period, harmonics=harmonics)  # checks both
        codes, names = pd.factorize(used[series], sort=True)
        t = used[time].to_numpy(dtype=float)
        return cls(
            outcome=used[outcome].to_numpy(dtype=float),
            time=t,
            series_idx=codes.astype(np.int64),
            series_names=np.asarray(names),
            series=series,
            time_name=time,
            outcome_name=outcome,
            period=float(period),
            harmonics=int(harmonics),
            origin=float(t.max() if origin is None else origin),
            frame=used.reset_index(drop=True),
        )

    @property
    def n_series(self) -> int:
        return int(self.series_names.shape[0])

    def scaled_time(self, time) -> np.ndarray:
        """Time since ``origin`` in cycles (years for monthly data)."""
        return (np.asarray(time, dtype=float) - self.origin) / self.period

    def features(self, time) -> np.ndarray:
        return fourier_features(time, period=self.period, harmonics=self.harmonics)


def series_priors(data: SeriesData) -> dict[str, Prior]:
    """Default priors: locations scaled to the outcome, scales for a log-sales-like series.

    ``level`` (and ``mu_level``) get ``Normal(mean, 2 SD)`` of the outcome; a slope per
    cycle ``Normal(0, 1)``; each season coefficient ``Normal(0, 1)``; the spreads between
    series ``HalfNormal`` priors of 1 (levels), 0.5 (slopes) and 0.2 (season coefficients),
    and the noise ``HalfNormal(0.5)``.
    """
    mean = float(f"{np.mean(data.outcome):.2g}")
    sd = float(f"{2 * max(np.std(data.outcome), 0.1):.2g}")
    return {
        "level": Prior("Normal", mu=mean, sigma=sd),
        "slope": Prior("Normal", mu=0, sigma=1),
        "season": Prior("Normal", mu=0, sigma=1),
        "sigma_level": Prior("HalfNormal", sigma=1),
        "sigma_slope": Prior("HalfNormal", sigma=0.5),
        "sigma_season": Prior("HalfNormal", sigma=0.2),
        "sigma": Prior("HalfNormal", sigma=0.5),
    }


def build_series_model(
    data: SeriesData,
    *,
    pooling: str = "partial",
    season_pooling: str = "complete",
    parameterization: str = "centered",
    priors: Mapping[str, Prior] | None = None,
) -> pm.Model:
    """Level + trend + Fourier season for every series, partially pooled or not.

    Parameters
    ----------
    data : SeriesData
    pooling : {"partial", "none"}
        ``partial`` draws each series' level and slope from normal populations whose means
        (``mu_level``, ``mu_slope``) get the ``level`` and ``slope`` priors; ``none`` gives
        every series those priors directly and nothing is shared but ``sigma``.
    season_pooling : {"complete", "partial"}
        Under partial pooling, whether all series share one season (``mu_season``, the
        default) or each series' season coefficients are drawn around it with spread
        ``sigma_season``.
    parameterization : {"centered", "non_centered"}
        How the partially pooled terms are written. Centred (the default) suits series
        long enough to pin down their own level, trend and season; non-centred suits many
        short series, whose terms are mostly prior.
    priors : mapping of str to Prior, optional
        Overrides of :func:`series_priors`.

    Returns
    -------
    pymc.Model
        Dims: the series column, ``fourier`` (``cos_1``, ``sin_1``, ...) and ``obs_id``.
        ``level``, ``slope`` (series) and ``season`` (series x fourier, deterministic when
        shared); non-centred, they are deterministic, built from ``z_level``, ``z_slope``
        and ``z_season``.

    Examples
    --------
    >>> import hbm_widgets as hbm
    >>> sim = hbm.simulate_grouped_series(np.random.default_rng(0))
    >>> data = hbm.SeriesData.from_frame(
    ...     sim.frame, series="store", time="month", outcome="log_sales"
    ... )
    >>> model = hbm.build_series_model(data)
    >>> model.named_vars_to_dims["season"]
    ('store', 'fourier')
    """
    if not isinstance(data, SeriesData):
        raise SpecificationError(
            f"expected SeriesData (see SeriesData.from_frame), got {type(data).__name__}"
        )
    if pooling not in ("partial", "none"):
        raise SpecificationError(f"unknown pooling {pooling!r}; expected one of: partial, none")
    if parameterization not in ("centered", "non_centered"):
        raise SpecificationError(
            f"unknown parameterization {parameterization!r}; expected one of: "
            "centered, non_centered"
        )
    if season_pooling not in ("complete", "partial"):
        raise SpecificationError(
            f"unknown season_pooling {season_pooling!r}; expected one of: complete, partial"
        )
    if pooling == "partial" and data.n_series < 2:
        raise SpecificationError("partial pooling needs at least two series; use pooling='none'")
    chosen = series_priors(data)
    for role, prior in (priors or {}).items():
        if role not in chosen:
            raise SpecificationError(
                f"no parameter called {role!r} takes a prior; expected one of: {', '.join(chosen)}"
            )
        if not isinstance(prior, Prior):
            raise SpecificationError(f"the prior for {role!r} must be a Prior, got {prior!r}")
        wanted = "positive" if role.startswith("sigma") else "real"
        if prior.support != wanted:
            raise SpecificationError(f"{role!r} needs a prior on {wanted} values, got {prior}")
        chosen[role] = prior

    group = data.series
    coords = {
        group: data.series_names.tolist(),
        "fourier": _fourier_names(data.harmonics),
        "obs_id": np.arange(len(data.outcome)),
    }
    with pm.Model(coords=coords) as model:
        series_idx = pm.Data(f"{group}_idx", data.series_idx, dims="obs_id")
        trend_time = pm.Data("trend_time", data.scaled_time(data.time), dims="obs_id")
        features = pm.Data("fourier_features", data.features(data.time), dims=("obs_id", "fourier"))
        if pooling == "partial":
            centred = parameterization == "centered"
            level = _pooled("level", chosen, dims=group, centred=centred)
            slope = _pooled("slope", chosen, dims=group, centred=centred)
            if season_pooling == "partial":
                season = _pooled("season", chosen, dims=(group, "fourier"), centred=centred)
            else:
                shared = chosen["season"].create("mu_season", dims="fourier")
                season = pm.Deterministic(
                    "season",
                    pt.broadcast_to(shared, (data.n_series, 2 * data.harmonics)),
                    dims=(group, "fourier"),
                )
        else:
            level = chosen["level"].create("level", dims=group)
            slope = chosen["slope"].create("slope", dims=group)
            season = chosen["season"].create("season", dims=(group, "fourier"))
        mu = (
            level[series_idx]
            + slope[series_idx] * trend_time
            + (season[series_idx] * features).sum(axis=-1)
        )
        sigma = chosen["sigma"].create("sigma")
        pm.Normal(data.outcome_name, mu=mu, sigma=sigma, observed=data.outcome, dims="obs_id")
    return model


def _pooled(name: str, priors: Mapping[str, Prior], *, dims, centred: bool):
    """``name ~ Normal(mu_name, sigma_name)`` per series; the season's centre is per term."""
    centre = priors[name].create(f"mu_{name}", dims=None if isinstance(dims, str) else dims[1:])
    scale = priors[f"sigma_{name}"].create(f"sigma_{name}")
    if centred:
        return pm.Normal(name, mu=centre, sigma=scale, dims=dims)
    offset = pm.Normal(f"z_{name}", mu=0, sigma=1, dims=dims)
    return pm.Deterministic(name, centre + scale * offset, dims=dims)


def forecast_series(
    idata,
    data: SeriesData,
    series: str,
    times: Sequence[float],
    *,
    rng: np.random.Generator,
    include_noise: bool = True,
) -> pd.DataFrame:
    """Posterior predictive forecast of one series at ``times``, with 50% and 90% bands.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit of :func:`build_series_model` on ``data``, or of a model written by hand with
        its variables: ``level`` and ``slope`` (series), ``sigma``, and either ``season``
        (series x fourier) or one shared ``mu_season`` (fourier).
    series : str
        A series of the data.
    times : sequence of float
        Where to forecast (any times: past, to check the fit, or future).
    rng : numpy.random.Generator
        Draws the noise.
    include_noise : bool
        Add the observation noise (a forecast of the next value) or not (the mean).

    Returns
    -------
    DataFrame
        ``series``, time (named like the data's column), ``mean``, ``lower_90``,
        ``lower_50``, ``upper_50``, ``upper_90``.
    """
    names = data.series_names.tolist()
    if series not in names:
        raise WorkbookInputError(f"series {series!r} is not in the data; known: {', '.join(names)}")
    t = np.asarray(times, dtype=float)
    if t.ndim != 1 or not len(t) or not np.isfinite(t).all():
        raise WorkbookInputError(f"times must be a list of finite numbers, got {times!r}")
    posterior = idata["posterior"]
    position = names.index(series)

    def draws(name):
        # Chains stacked into one leading axis, the model's own dims after it in their order.
        variable = posterior[name]
        extra = [d for d in variable.dims if d not in ("chain", "draw")]
        values = variable.transpose("chain", "draw", *extra).values
        return values.reshape((-1, *values.shape[2:]))

    level = draws("level")[:, position]
    slope = draws("slope")[:, position]
    # A model whose series all share one season may keep only that pattern, ``mu_season``.
    if "season" in posterior.data_vars:
        season = draws("season")[:, position, :]
    elif "mu_season" in posterior.data_vars:
        season = draws("mu_season")
    else:
        raise WorkbookInputError("the fit has neither 'season' nor 'mu_season'")
    mean = (
        level[:, None] + slope[:, None] * data.scaled_time(t)[None, :] + season @ data.features(t).T
    )
    if include_noise:
        mean = mean + draws("sigma")[:, None] * rng.standard_normal(mean.shape)
    quantiles = np.quantile(mean, [0.05, 0.25, 0.75, 0.95], axis=0)
    return pd.DataFrame(
        {
            data.series: series,
            data.time_name: t,
            "mean": mean.mean(axis=0),
            "lower_90": quantiles[0],
            "lower_50": quantiles[1],
            "upper_50": quantiles[2],
            "upper_90": quantiles[3],
        }
    )
