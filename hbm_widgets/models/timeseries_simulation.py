"""Grouped series simulated from the model of :mod:`hbm_widgets.models.timeseries`.

:func:`simulate_grouped_series` draws stores' monthly log sales with known levels, trends
and season, keeps one store short, and holds back every store's next months to forecast.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hbm_widgets.core.errors import WorkbookInputError, check_whole_number
from hbm_widgets.models.timeseries import SERIES_TRUTH, _fourier_names, fourier_features

__all__ = ["SeriesSimulation", "simulate_grouped_series"]


@dataclass(frozen=True)
class SeriesSimulation:
    """Simulated series, their held-back future and the true values.

    Attributes
    ----------
    frame : DataFrame
        The observed data: ``store``, ``month``, ``log_sales``.
    future : DataFrame
        The next months of every store: ``store``, ``month``, ``log_sales`` (a realised
        value) and ``expected`` (the true mean, without noise).
    truth : DataFrame
        One row per store: ``level``, ``slope`` and the season coefficients.
    short_series : str
        The store observed only for its last few months.
    """

    frame: pd.DataFrame
    future: pd.DataFrame
    truth: pd.DataFrame
    short_series: str


def simulate_grouped_series(
    rng: np.random.Generator,
    *,
    n_series: int = 6,
    n_periods: int = 36,
    short_length: int = 8,
    horizon: int = 12,
    truth: Mapping[str, float] | None = None,
) -> SeriesSimulation:
    """Monthly log sales of ``n_series`` stores, the last one opened only recently.

    Data-generating process (values in ``SERIES_TRUTH``): each store draws a level (at the
    last observed month) and a yearly slope, both normal; its four season coefficients are
    the chain's pattern (plus normal deviations when ``sigma_season`` is positive);
    ``log_sales = level + slope * (month - last) / 12 + season +
    Normal(0, sigma)`` noise. Every store is observed for months ``0 .. n_periods - 1``
    except the last, which opened ``short_length`` months before the end; ``future``
    holds the next ``horizon`` months of every store.

    Examples
    --------
    >>> sim = simulate_grouped_series(np.random.default_rng(0), n_series=3, short_length=5)
    >>> sim.frame.groupby("store").size().tolist()
    [36, 36, 5]
    """
    n_series = check_whole_number("n_series", n_series, low=2)
    n_periods = check_whole_number("n_periods", n_periods, low=3)
    short_length = check_whole_number("short_length", short_length, low=3)
    horizon = check_whole_number("horizon", horizon, low=1)
    if short_length > n_periods:
        raise WorkbookInputError(f"short_length={short_length} cannot exceed n_periods={n_periods}")
    if n_series > 26:
        raise WorkbookInputError(f"n_series must be at most 26 (stores A to Z), got {n_series}")
    values = dict(SERIES_TRUTH)
    for key, value in (truth or {}).items():
        if key not in values:
            raise WorkbookInputError(
                f"unknown true value {key!r}; expected one of: {', '.join(values)}"
            )
        values[key] = value
    stores = [f"store {letter}" for letter in string.ascii_uppercase[:n_series]]
    mu_season = np.asarray(values["mu_season"], dtype=float)
    level = rng.normal(values["mu_level"], values["sigma_level"], size=n_series)
    slope = rng.normal(values["mu_slope"], values["sigma_slope"], size=n_series)
    season = rng.normal(mu_season, values["sigma_season"], size=(n_series, len(mu_season)))
    harmonics = len(mu_season) // 2
    last = n_periods - 1

    def expected(store: int, months: np.ndarray) -> np.ndarray:
        features = fourier_features(months, period=12, harmonics=harmonics)
        return level[store] + slope[store] * (months - last) / 12 + features @ season[store]

    observed, future = [], []
    for s, store in enumerate(stores):
        start = n_periods - short_length if s == n_series - 1 else 0
        months = np.arange(start, n_periods)
        ahead = np.arange(n_periods, n_periods + horizon)
        observed.append(
            pd.DataFrame(
                {
                    "store": store,
                    "month": months,
                    "log_sales": expected(s, months)
                    + rng.normal(0, values["sigma"], size=len(months)),
                }
            )
        )
        mean_ahead = expected(s, ahead)
        future.append(
            pd.DataFrame(
                {
                    "store": store,
                    "month": ahead,
                    "log_sales": mean_ahead + rng.normal(0, values["sigma"], size=horizon),
                    "expected": mean_ahead,
                }
            )
        )
    truth_frame = pd.DataFrame({"store": stores, "level": level, "slope": slope})
    for j, name in enumerate(_fourier_names(harmonics)):
        truth_frame[name] = season[:, j]
    return SeriesSimulation(
        frame=pd.concat(observed, ignore_index=True),
        future=pd.concat(future, ignore_index=True),
        truth=truth_frame,
        short_series=stores[-1],
    )
