"""Grouped time series: simulation, model graph, forecasts and chart, without sampling."""

from __future__ import annotations

import arviz as az
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import hbm_widgets as hbm
from hbm_widgets.core.errors import DataValidationError, SpecificationError, WorkbookInputError


@pytest.fixture(scope="module")
def simulation():
    return hbm.simulate_grouped_series(np.random.default_rng(4), n_series=4, short_length=6)


@pytest.fixture(scope="module")
def data(simulation):
    return hbm.SeriesData.from_frame(
        simulation.frame, series="store", time="month", outcome="log_sales"
    )


def test_fourier_features():
    features = hbm.fourier_features([0, 3, 6], period=12, harmonics=2)
    np.testing.assert_allclose(
        features,
        [[1, 0, 1, 0], [0, 1, -1, 0], [-1, 0, 1, 0]],
        atol=1e-12,
    )
    with pytest.raises(WorkbookInputError, match="harmonics must be a whole number >= 1"):
        hbm.fourier_features([0], harmonics=0)
    with pytest.raises(WorkbookInputError, match="period must be positive"):
        hbm.fourier_features([0], period=0)


def test_simulation_design(simulation):
    sizes = simulation.frame.groupby("store").size()
    assert sizes.tolist() == [36, 36, 36, 6]
    assert simulation.short_series == "store D"
    short = simulation.frame.query("store == 'store D'")
    assert short["month"].tolist() == list(range(30, 36))
    future = simulation.future
    assert future.groupby("store")["month"].agg(["min", "max", "size"]).eq([36, 47, 12]).all().all()
    assert list(simulation.truth.columns) == [
        "store",
        "level",
        "slope",
        "cos_1",
        "sin_1",
        "cos_2",
        "sin_2",
    ]
    # With sigma_season = 0 every store has the chain's season.
    seasons = simulation.truth[["cos_1", "sin_1", "cos_2", "sin_2"]].to_numpy()
    np.testing.assert_allclose(seasons, np.tile(hbm.SERIES_TRUTH["mu_season"], (4, 1)))


def test_future_means_follow_the_stated_process(simulation):
    truth = simulation.truth.set_index("store")
    row = truth.loc["store B"]
    months = np.arange(36, 48)
    features = hbm.fourier_features(months)
    expected = (
        row["level"]
        + row["slope"] * (months - 35) / 12
        + features @ row[["cos_1", "sin_1", "cos_2", "sin_2"]].to_numpy(dtype=float)
    )
    np.testing.assert_allclose(simulation.future.query("store == 'store B'")["expected"], expected)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_series": 1}, r"n_series must be a whole number >= 2"),
        ({"short_length": 40}, r"short_length=40 cannot exceed n_periods=36"),
        ({"n_series": 30}, r"n_series must be at most 26"),
        ({"truth": {"phi": 0.5}}, r"unknown true value 'phi'"),
    ],
)
def test_simulation_refuses_bad_settings(kwargs, message):
    with pytest.raises(WorkbookInputError, match=message):
        hbm.simulate_grouped_series(np.random.default_rng(0), **kwargs)


def test_series_data(data):
    assert data.n_series == 4 and data.origin == 35
    np.testing.assert_allclose(data.scaled_time([35, 47]), [0, 1])
    assert data.features([0]).shape == (1, 4)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="month"), r"time column 'month' is not in the data"),
        (lambda f: pd.concat([f, f.iloc[[0]]]), r"more than one value at month=0"),
        (
            lambda f: f[(f["store"] != "store D") | (f["month"] > 33)],
            r"'store D' has 2 observation",
        ),
        (lambda f: f.assign(log_sales=np.where(f.index == 2, np.nan, 1.0)), r"missing values"),
    ],
)
def test_series_data_names_the_problem(simulation, change, message):
    with pytest.raises(DataValidationError, match=message):
        hbm.SeriesData.from_frame(
            change(simulation.frame), series="store", time="month", outcome="log_sales"
        )


@pytest.mark.parametrize(
    ("kwargs", "free"),
    [
        (
            {},
            [
                "level",
                "mu_level",
                "mu_season",
                "mu_slope",
                "sigma",
                "sigma_level",
                "sigma_slope",
                "slope",
            ],
        ),
        (
            {"parameterization": "non_centered"},
            [
                "mu_level",
                "mu_season",
                "mu_slope",
                "sigma",
                "sigma_level",
                "sigma_slope",
                "z_level",
                "z_slope",
            ],
        ),
        (
            {"season_pooling": "partial"},
            [
                "level",
                "mu_level",
                "mu_season",
                "mu_slope",
                "season",
                "sigma",
                "sigma_level",
                "sigma_season",
                "sigma_slope",
                "slope",
            ],
        ),
        ({"pooling": "none"}, ["level", "season", "sigma", "slope"]),
    ],
)
def test_model_variables(data, kwargs, free):
    model = hbm.build_series_model(data, **kwargs)
    assert sorted(v.name for v in model.free_RVs) == free
    assert model.named_vars_to_dims["season"] == ("store", "fourier")
    assert model["season"].eval().shape == (4, 4)
    assert model["level"].eval().shape == (4,)
    assert np.isfinite(model.compile_logp()(model.initial_point()))


def test_shared_season_is_the_same_for_every_store(data):
    model = hbm.build_series_model(data)
    season = model["season"].eval({model["mu_season"]: np.array([0.1, 0.2, 0.3, 0.4])})
    np.testing.assert_allclose(season, np.tile([0.1, 0.2, 0.3, 0.4], (4, 1)))


def test_log_likelihood_is_the_stated_normal(simulation):
    short = simulation.frame.query("store == 'store D'")
    data = hbm.SeriesData.from_frame(short, series="store", time="month", outcome="log_sales")
    model = hbm.build_series_model(data, pooling="none")
    truth = simulation.truth.set_index("store").loc["store D"]
    season = truth[["cos_1", "sin_1", "cos_2", "sin_2"]].to_numpy(dtype=float)
    point = {
        "level": np.array([truth["level"]]),
        "slope": np.array([truth["slope"]]),
        "season": season[None, :],
        "sigma_log__": np.log(0.08),
    }
    months = short["month"].to_numpy()
    mean = (
        truth["level"] + truth["slope"] * (months - 35) / 12 + hbm.fourier_features(months) @ season
    )
    expected = stats.norm(mean, 0.08).logpdf(short["log_sales"]).sum()
    assert model.compile_logp(vars=model.observed_RVs)(point) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pooling": "full"}, r"unknown pooling 'full'"),
        ({"season_pooling": "none"}, r"unknown season_pooling 'none'"),
        ({"parameterization": "twisted"}, r"unknown parameterization 'twisted'"),
        ({"priors": {"phi": hbm.Prior("Normal", mu=0, sigma=1)}}, r"no parameter called 'phi'"),
        (
            {"priors": {"sigma": hbm.Prior("Normal", mu=0, sigma=1)}},
            r"'sigma' needs a prior on positive",
        ),
    ],
)
def test_builder_refuses_bad_specifications(data, kwargs, message):
    with pytest.raises(SpecificationError, match=message):
        hbm.build_series_model(data, **kwargs)


def test_partial_pooling_needs_two_series(simulation):
    one = hbm.SeriesData.from_frame(
        simulation.frame.query("store == 'store A'"),
        series="store",
        time="month",
        outcome="log_sales",
    )
    with pytest.raises(SpecificationError, match="at least two series"):
        hbm.build_series_model(one)


def _fake_series_fit(data, *, sigma, draws=4000):
    shape = (1, draws)
    n = data.n_series
    return az.from_dict(
        {
            "posterior": {
                "level": np.broadcast_to(np.arange(n, dtype=float), (*shape, n)).copy(),
                "slope": np.full((*shape, n), 0.5),
                "season": np.broadcast_to([0.3, 0.1, 0.0, 0.0], (*shape, n, 4)).copy(),
                "sigma": np.full(shape, sigma),
            }
        },
        coords={
            "store": data.series_names.tolist(),
            "fourier": ["cos_1", "sin_1", "cos_2", "sin_2"],
        },
        dims={"level": ["store"], "slope": ["store"], "season": ["store", "fourier"]},
    )


def test_forecast_without_noise_is_the_formula(data):
    months = np.array([36.0, 41.0, 47.0])
    forecast = hbm.forecast_series(
        _fake_series_fit(data, sigma=0.1, draws=10),
        data,
        "store C",
        months,
        rng=np.random.default_rng(0),
        include_noise=False,
    )
    expected = 2.0 + 0.5 * (months - 35) / 12 + hbm.fourier_features(months) @ [0.3, 0.1, 0, 0]
    np.testing.assert_allclose(forecast["mean"], expected)
    np.testing.assert_allclose(forecast["upper_90"] - forecast["lower_90"], 0, atol=1e-12)
    assert list(forecast.columns) == [
        "store",
        "month",
        "mean",
        "lower_90",
        "lower_50",
        "upper_50",
        "upper_90",
    ]


def test_forecast_from_a_shared_season(data):
    """A hand-written model may keep only the chain's season, mu_season, not one per series."""
    full = _fake_series_fit(data, sigma=0.1, draws=10)
    posterior = full.posterior.to_dataset()
    shared = posterior.drop_vars("season").assign(
        mu_season=posterior["season"].isel(store=0, drop=True)
    )
    months = [36.0, 40.0]
    forecasts = [
        hbm.forecast_series(
            fit, data, "store B", months, rng=np.random.default_rng(0), include_noise=False
        )
        for fit in (
            full,
            az.from_dict(
                {"posterior": {k: v.values for k, v in shared.items()}},
                dims={"level": ["store"], "slope": ["store"], "mu_season": ["fourier"]},
            ),
        )
    ]
    np.testing.assert_allclose(forecasts[0]["mean"], forecasts[1]["mean"])
    without = az.from_dict(
        {
            "posterior": {
                "level": posterior["level"].values,
                "slope": posterior["slope"].values,
                "sigma": posterior["sigma"].values,
            }
        }
    )
    with pytest.raises(WorkbookInputError, match="neither 'season' nor 'mu_season'"):
        hbm.forecast_series(without, data, "store B", months, rng=np.random.default_rng(0))


def test_forecast_noise_sets_the_band(data):
    forecast = hbm.forecast_series(
        _fake_series_fit(data, sigma=0.2), data, "store A", [40.0], rng=np.random.default_rng(1)
    )
    width_90 = float(forecast["upper_90"].iloc[0] - forecast["lower_90"].iloc[0])
    width_50 = float(forecast["upper_50"].iloc[0] - forecast["lower_50"].iloc[0])
    assert width_90 == pytest.approx(2 * stats.norm.ppf(0.95) * 0.2, rel=0.08)
    assert width_50 == pytest.approx(2 * stats.norm.ppf(0.75) * 0.2, rel=0.08)


def test_forecast_refuses_bad_input(data):
    idata = _fake_series_fit(data, sigma=0.1, draws=5)
    with pytest.raises(WorkbookInputError, match=r"series 'store Z' is not in the data"):
        hbm.forecast_series(idata, data, "store Z", [40], rng=np.random.default_rng(0))
    with pytest.raises(WorkbookInputError, match="times must be a list of finite numbers"):
        hbm.forecast_series(idata, data, "store A", [], rng=np.random.default_rng(0))


def test_forecast_chart():
    forecasts = pd.DataFrame(
        {
            "model": ["pooled", "pooled", "alone", "alone"],
            "time": [36, 37, 36, 37],
            "mean": [1.0, 1.1, 1.0, 1.2],
            "lower_90": [0.8, 0.9, 0.0, 0.1],
            "upper_90": [1.2, 1.3, 2.0, 2.3],
            "lower_50": [0.9, 1.0, 0.5, 0.6],
            "upper_50": [1.1, 1.2, 1.5, 1.8],
        }
    )
    observed = pd.DataFrame(
        {"time": [35, 36], "value": [0.9, 1.05], "kind": ["observed", "held out"]}
    )
    spec = hbm.plot_forecasts(forecasts, observed=observed).to_dict()
    assert spec["facet"]["field"] == "model" and spec["facet"]["sort"] == ["pooled", "alone"]
    layers = spec["spec"]["layer"]
    assert [layer["mark"]["type"] for layer in layers] == ["area", "area", "line", "point"]
    assert layers[3]["encoding"]["color"]["scale"]["domain"] == ["observed", "held out"]
    rows = next(iter(spec["datasets"].values()))
    # Four forecast rows, and the two data points once in each model's panel.
    assert len(rows) == 4 + 2 * 2
    assert sorted(r["model"] for r in rows if r["layer"] == "data") == [
        "alone",
        "alone",
        "pooled",
        "pooled",
    ]
    with pytest.raises(WorkbookInputError, match=r"forecasts lack column\(s\) \['model'\]"):
        hbm.plot_forecasts(forecasts.drop(columns="model"))
