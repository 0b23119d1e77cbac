"""The crossed-and-nested simulation, data, model, predictions and recovery, without sampling."""

from __future__ import annotations

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
import pytest

import hbm_widgets as hbm
from hbm_widgets.core.errors import DataValidationError, SpecificationError, WorkbookInputError
from hbm_widgets.models.crossed import INDUSTRIES, REGIONS


@pytest.fixture(scope="module")
def simulation():
    return hbm.simulate_crossed(np.random.default_rng(3), obs_per_cell=2, sparse_obs=3)


@pytest.fixture(scope="module")
def data(simulation):
    return hbm.CrossedData.from_frame(
        simulation.frame, outcome="log_conversions", predictor="log_spend", centre=2.5
    )


def test_simulation_design(simulation):
    frame = simulation.frame
    counts = frame.groupby("country").size()
    assert simulation.new_country not in counts.index
    assert counts[simulation.sparse_country] == 3
    full = counts.drop(simulation.sparse_country)
    assert len(full) == 11 and (full == 8 * 2).all()
    # Every well-measured country runs every vertical: the design is crossed.
    cells = frame.groupby(["country", "vertical"]).size().unstack()
    assert cells.drop(index=simulation.sparse_country).eq(2).all().all()
    assert frame["log_spend"].between(0.5, 4.5).all()
    outliers = frame[frame["outlier"]]
    assert len(outliers) == 5 and set(outliers["country"]) == {simulation.outlier_country}
    for country, region in zip(frame["country"], frame["region"], strict=True):
        assert country in REGIONS[region]
    for vertical, industry in zip(frame["vertical"], frame["industry"], strict=True):
        assert vertical in INDUSTRIES[industry]


def test_outliers_are_the_clean_values_shifted():
    clean = hbm.simulate_crossed(np.random.default_rng(5), obs_per_cell=1, n_outliers=0)
    dirty = hbm.simulate_crossed(
        np.random.default_rng(5), obs_per_cell=1, n_outliers=3, outlier_shift=2.0
    )
    gap = dirty.frame["log_conversions"] - clean.frame["log_conversions"]
    np.testing.assert_allclose(gap[dirty.frame["outlier"]], 2.0)
    np.testing.assert_allclose(gap[~dirty.frame["outlier"]], 0.0)
    assert not clean.frame["outlier"].any()


def test_truth_is_centred_and_parts_add_up(simulation):
    truth = simulation.truth
    effects = truth[truth["group"] != ""].set_index(["parameter", "group"])["true"]
    for coefficient in ("alpha", "beta"):
        for level in ("region", "vertical", "industry"):
            assert effects[f"{coefficient}_{level}"].sum() == pytest.approx(0, abs=1e-12)
        observed = effects[f"{coefficient}_country"].drop(simulation.new_country)
        assert observed.sum() == pytest.approx(0, abs=1e-12)
        for region, countries in REGIONS.items():
            for country in countries:
                assert effects[(f"gamma_{coefficient}_country", country)] == pytest.approx(
                    effects[(f"{coefficient}_country", country)]
                    + effects[(f"{coefficient}_region", region)]
                )
    scalars = truth[truth["group"] == ""].set_index("parameter")["true"]
    assert scalars["nu"] == hbm.CROSSED_TRUTH["nu"]
    assert scalars["sigma_beta_region"] == hbm.CROSSED_TRUTH["sigma_beta_region"]


def test_noiseless_outcomes_follow_the_true_coefficients():
    simulation = hbm.simulate_crossed(
        np.random.default_rng(9), obs_per_cell=1, n_outliers=0, truth={"sigma": 1e-9}
    )
    for row in simulation.frame.sample(20, random_state=1).itertuples():
        intercept, slope = simulation.true_coefficients(row.country, row.vertical)
        assert row.log_conversions == pytest.approx(
            intercept + slope * (row.log_spend - 2.5), abs=1e-6
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"obs_per_cell": 0}, r"obs_per_cell must be a whole number >= 1, got 0"),
        ({"sparse_obs": 2.5}, r"sparse_obs must be a whole number >= 1, got 2.5"),
        ({"sparse_country": "Atlantis"}, r"sparse_country='Atlantis' is not a simulated country"),
        ({"new_country": "Germany"}, r"three different countries"),
        ({"n_outliers": 50, "obs_per_cell": 1}, r"n_outliers=50 is more than the 8 campaigns"),
        ({"truth": {"tau": 1.0}}, r"unknown true value 'tau'"),
    ],
)
def test_simulation_refuses_bad_settings(kwargs, message):
    with pytest.raises(WorkbookInputError, match=message):
        hbm.simulate_crossed(np.random.default_rng(0), **kwargs)


def test_crossed_data_arrays(simulation, data):
    assert data.n_obs == len(simulation.frame)
    assert list(data.names["region"]) == sorted(REGIONS)
    assert len(data.names["country"]) == 12 and len(data.names["vertical"]) == 8
    np.testing.assert_allclose(data.predictor, simulation.frame["log_spend"] - 2.5)
    first = simulation.frame.iloc[0]
    assert data.names["country"][data.country_idx[0]] == first["country"]
    assert data.names["vertical"][data.vertical_idx[0]] == first["vertical"]
    assert data.region_of("Portugal") == "Europe" and data.industry_of("hotels") == "travel"
    assert data.counts("country")["Portugal"] == 3
    assert set(data.coords) == {"country", "region", "vertical", "industry", "obs_id"}
    assert "12 country, 4 region, 8 vertical, 4 industry" in repr(data)


def test_crossed_data_centres_on_the_mean_by_default(simulation):
    data = hbm.CrossedData.from_frame(
        simulation.frame, outcome="log_conversions", predictor="log_spend"
    )
    assert data.centre == pytest.approx(simulation.frame["log_spend"].mean())
    assert data.predictor.mean() == pytest.approx(0, abs=1e-12)


def test_crossed_data_refuses_a_country_in_two_regions(simulation):
    frame = simulation.frame.copy()
    frame.loc[0, "region"] = "Atlantis" if frame.loc[0, "region"] != "Atlantis" else "Europe"
    country = frame.loc[0, "country"]
    with pytest.raises(DataValidationError, match=rf"country '{country}' appears in 2 regions"):
        hbm.CrossedData.from_frame(frame, outcome="log_conversions", predictor="log_spend")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="industry"), r"industry column 'industry' is not in the data"),
        (lambda f: f.assign(log_spend="lots"), r"predictor column 'log_spend' must be numeric"),
        (lambda f: f.assign(log_spend=1.0), r"'log_spend' has no variance"),
        (lambda f: f.assign(industry="retail", vertical="fashion"), r"vertical column 'vertical'"),
        (
            lambda f: f.assign(log_conversions=np.where(f.index == 3, np.nan, 1.0)),
            r"1 of \d+ rows have missing values",
        ),
    ],
)
def test_crossed_data_names_the_problem(simulation, change, message):
    with pytest.raises(DataValidationError, match=message):
        hbm.CrossedData.from_frame(
            change(simulation.frame.copy()), outcome="log_conversions", predictor="log_spend"
        )


def test_model_variables_and_dims(data):
    model = hbm.build_crossed_model(data)
    free = {v.name for v in model.free_RVs}
    levels = ("country", "region", "vertical", "industry")
    expected = {"mu_alpha", "mu_beta", "sigma", "nu"}
    for coefficient in ("alpha", "beta"):
        expected |= {f"sigma_{coefficient}_{level}" for level in levels}
        expected |= {f"z_{coefficient}_{level}" for level in levels}
    assert free == expected
    for coefficient in ("alpha", "beta"):
        for level in levels:
            assert model.named_vars_to_dims[f"{coefficient}_{level}"] == (level,)
        assert model.named_vars_to_dims[f"gamma_{coefficient}_country"] == ("country",)
        assert model.named_vars_to_dims[f"gamma_{coefficient}_vertical"] == ("vertical",)
    assert model.named_vars_to_dims["log_conversions"] == ("obs_id",)
    assert model["log_spend_centred"].get_value().shape == (data.n_obs,)
    assert model["gamma_beta_country"].eval().shape == (12,)
    assert model["alpha_industry"].eval().shape == (4,)
    logp = model.compile_logp()(model.initial_point())
    assert np.isfinite(logp)


def test_effects_of_each_level_sum_to_zero(data):
    model = hbm.build_crossed_model(data)
    draws = pm.draw([model["alpha_region"], model["beta_vertical"]], draws=50, random_seed=1)
    np.testing.assert_allclose(draws[0].sum(axis=1), 0, atol=1e-9)
    np.testing.assert_allclose(draws[1].sum(axis=1), 0, atol=1e-9)
    assert draws[0].std() > 0


def test_country_part_is_country_plus_region(data):
    model = hbm.build_crossed_model(data)
    country, region, part = pm.draw(
        [model["alpha_country"], model["alpha_region"], model["gamma_alpha_country"]],
        draws=5,
        random_seed=2,
    )
    np.testing.assert_allclose(part, country + region[:, data.country_region_idx])


def test_likelihood_and_prior_sets(data):
    normal = hbm.build_crossed_model(data, likelihood="normal")
    assert "nu" not in {v.name for v in normal.free_RVs}
    assert normal["log_conversions"].owner.op.name == "normal"
    cauchy = hbm.build_crossed_model(data, priors="half_cauchy")
    assert cauchy["sigma_alpha_region"].owner.op.name == "halfcauchy"
    assert cauchy["nu"].owner.op.name == "gamma"
    weak = hbm.build_crossed_model(
        data, priors={"sigma_beta_region": hbm.Prior("HalfNormal", sigma=0.1)}
    )
    assert weak["sigma_beta_region"].owner.op.name == "halfnormal"
    assert np.isfinite(cauchy.compile_logp()(cauchy.initial_point()))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"priors": "flat"}, r"unknown prior set 'flat'"),
        ({"priors": {"tau": hbm.Prior("HalfNormal", sigma=1)}}, r"no parameter called 'tau'"),
        ({"priors": {"nu": hbm.Prior("Normal", mu=0, sigma=1)}}, r"'nu' is positive"),
        ({"priors": {"mu_beta": hbm.Prior("HalfNormal", sigma=1)}}, r"'mu_beta' needs a prior on"),
        ({"likelihood": "cauchy"}, r"unknown likelihood 'cauchy'"),
    ],
)
def test_builder_refuses_bad_specifications(data, kwargs, message):
    with pytest.raises(SpecificationError, match=message):
        hbm.build_crossed_model(data, **kwargs)


def _fake_fit(data, *, sigma_country=0.0, draws=400):
    """A posterior whose every draw is the same: effects 0, 0.1, 0.2... in each level."""
    shape = (1, draws)
    posterior = {"mu_alpha": np.full(shape, 4.0), "mu_beta": np.full(shape, 0.7)}
    dims = {}
    for coefficient, offset in (("alpha", 0.1), ("beta", 0.01)):
        for level in ("country", "region", "vertical", "industry"):
            n = len(data.names[level])
            posterior[f"{coefficient}_{level}"] = np.broadcast_to(
                offset * np.arange(n), (*shape, n)
            ).copy()
            dims[f"{coefficient}_{level}"] = [level]
        posterior[f"sigma_{coefficient}_country"] = np.full(shape, sigma_country)
    coords = {level: data.names[level].tolist() for level in data.names}
    return az.from_dict({"posterior": posterior}, coords=coords, dims=dims)


def test_response_curves_add_up_the_parts(data):
    idata = _fake_fit(data)
    curves = hbm.crossed_response_curves(
        idata, data, [("France", "hotels")], log_spend=[1.5, 2.5, 3.5]
    )
    position = {level: list(data.names[level]) for level in data.names}
    parts = {
        "country": position["country"].index("France"),
        "region": position["region"].index("Europe"),
        "vertical": position["vertical"].index("hotels"),
        "industry": position["industry"].index("travel"),
    }
    intercept = 4.0 + 0.1 * sum(parts.values())
    slope = 0.7 + 0.01 * sum(parts.values())
    np.testing.assert_allclose(curves["mean"], intercept + slope * np.array([-1.0, 0.0, 1.0]))
    np.testing.assert_allclose(curves["upper_90"] - curves["lower_90"], 0, atol=1e-9)
    assert curves["group"].unique().tolist() == ["France · hotels"]
    assert not curves["new_country"].any() and (curves["n_obs"] == 16).all()


def test_new_country_band_carries_the_spread_between_countries(data):
    idata = _fake_fit(data, sigma_country=0.3, draws=4000)
    curves = hbm.crossed_response_curves(
        idata,
        data,
        [("France", "hotels"), ("Spain", "hotels")],
        new_countries={"Spain": "Europe"},
        log_spend=[2.5],
        rng=np.random.default_rng(1),
    ).set_index("group")
    assert (
        curves.loc["Spain · hotels", "new_country"] and curves.loc["Spain · hotels", "n_obs"] == 0
    )
    width = curves["upper_90"] - curves["lower_90"]
    # At the centre only the intercept varies: N(region part, 0.3) has a 90% width of 0.99.
    assert width["Spain · hotels"] == pytest.approx(2 * 1.645 * 0.3, rel=0.08)
    assert width["France · hotels"] == pytest.approx(0, abs=1e-9)
    # Spain's curve is centred on Europe's part, without a country effect of its own.
    europe = list(data.names["region"]).index("Europe")
    hotels = list(data.names["vertical"]).index("hotels")
    travel = list(data.names["industry"]).index("travel")
    assert curves.loc["Spain · hotels", "mean"] == pytest.approx(
        4.0 + 0.1 * (europe + hotels + travel), abs=0.03
    )


def test_predictive_band_adds_the_noise(data):
    idata = _fake_fit(data, draws=4000)
    idata["posterior"]["sigma"] = idata["posterior"]["mu_alpha"] * 0 + 0.3
    curves = hbm.crossed_response_curves(
        idata,
        data,
        [("France", "hotels")],
        log_spend=[2.5],
        rng=np.random.default_rng(2),
        predictive=True,
    )
    # No uncertainty about the curve, normal noise with SD 0.3: a 90% width of 0.99.
    width = float(curves["upper_90"].iloc[0] - curves["lower_90"].iloc[0])
    assert width == pytest.approx(2 * 1.645 * 0.3, rel=0.08)
    with pytest.raises(WorkbookInputError, match=r"new campaign needs rng="):
        hbm.crossed_response_curves(idata, data, [("France", "hotels")], predictive=True)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"groups": []}, r"groups is empty"),
        ({"new_countries": {"Spain": "Europe"}}, r"needs rng="),
        ({"new_countries": {"France": "Europe"}, "rng": 1}, r"'France' is a country of the data"),
        ({"new_countries": {"Spain": "Antarctica"}, "rng": 1}, r"region 'Antarctica' of 'Spain'"),
        ({"groups": [("Narnia", "hotels")]}, r"country 'Narnia' is not in the data"),
        ({"log_spend": [1.0, np.nan]}, r"log_spend must be a list of finite numbers"),
    ],
)
def test_response_curves_refuse_bad_input(data, kwargs, message):
    arguments = {"groups": [("France", "hotels")], **kwargs}
    with pytest.raises(WorkbookInputError, match=message):
        hbm.crossed_response_curves(_fake_fit(data, draws=5), data, **arguments)


def test_recovery_table_flags_what_the_intervals_miss(data):
    draws = np.linspace(-1, 1, 1001)[None, :]
    idata = az.from_dict(
        {
            "posterior": {
                "mu_alpha": 4.0 + draws,
                "alpha_region": np.stack([draws] * 4, axis=-1),
            }
        },
        coords={"region": data.names["region"].tolist()},
        dims={"alpha_region": ["region"]},
    )
    truth = pd.DataFrame(
        {
            "parameter": ["mu_alpha", "alpha_region", "alpha_region", "alpha_country", "nu"],
            "group": ["", "Europe", "Africa", "France", ""],
            "true": [4.5, 0.95, -0.2, 0.0, 4.0],
        }
    )
    table = hbm.crossed_recovery(idata, truth, prob=0.9).set_index(["parameter", "group"])
    # Parameters the posterior does not have are left out.
    assert len(table) == 3
    assert table.loc[("mu_alpha", ""), "lower"] == pytest.approx(3.1, abs=1e-9)
    assert table.loc[("mu_alpha", ""), "upper"] == pytest.approx(4.9, abs=1e-9)
    assert table.loc[("mu_alpha", ""), "covered"]
    assert not table.loc[("alpha_region", "Europe"), "covered"]
    assert table.loc[("alpha_region", "Africa"), "posterior_mean"] == pytest.approx(0, abs=1e-12)
    with pytest.raises(WorkbookInputError, match="prob must be between 0 and 1"):
        hbm.crossed_recovery(idata, truth, prob=1.5)
    with pytest.raises(WorkbookInputError, match=r"missing \['true'\]"):
        hbm.crossed_recovery(idata, truth.drop(columns="true"))


def test_response_curve_chart_carries_bands_and_points():
    curves = pd.DataFrame(
        {
            "group": ["a", "a", "b", "b"],
            "log_spend": [1.0, 2.0, 1.0, 2.0],
            "mean": [1.0, 2.0, 0.5, 1.0],
            "lower_90": [0.0, 1.0, -0.5, 0.0],
            "upper_90": [2.0, 3.0, 1.5, 2.0],
            "lower_50": [0.5, 1.5, 0.0, 0.5],
            "upper_50": [1.5, 2.5, 1.0, 1.5],
        }
    )
    observed = pd.DataFrame({"group": ["a", "z"], "log_spend": [1.5, 1.0], "outcome": [1.4, 9.0]})
    spec = hbm.plot_response_curves(curves, observed=observed, title="t").to_dict()
    assert spec["facet"]["field"] == "group" and spec["facet"]["sort"] == ["a", "b"]
    layers = spec["spec"]["layer"]
    assert [layer["mark"]["type"] for layer in layers] == ["area", "area", "line", "circle"]
    assert layers[0]["encoding"]["y"]["field"] == "lower_90"
    assert layers[0]["encoding"]["y2"]["field"] == "upper_90"
    assert layers[2]["encoding"]["y"]["field"] == "mean"
    rows = next(iter(spec["datasets"].values()))
    assert len(rows) == 5  # four curve rows and the one point of a plotted group
    assert [r["outcome"] for r in rows if r["layer"] == "data"] == [1.4]
    with pytest.raises(WorkbookInputError, match=r"curves lack column\(s\) \['upper_50'\]"):
        hbm.plot_response_curves(curves.drop(columns="upper_50"))


def test_recovery_scatter_chart():
    table = pd.DataFrame(
        {
            "parameter": ["a", "b"],
            "group": ["x", "y"],
            "true_value": [0.0, 1.0],
            "posterior_mean": [0.1, 0.8],
            "lower": [-0.2, 0.5],
            "upper": [0.4, 0.9],
            "covered": [True, False],
        }
    )
    spec = hbm.plot_recovery_scatter(table).to_dict()
    diagonal, intervals, dots = spec["layer"]
    assert intervals["encoding"]["y"]["field"] == "lower"
    assert intervals["encoding"]["y2"]["field"] == "upper"
    assert dots["encoding"]["x"]["field"] == "true_value"
    assert dots["encoding"]["y"]["field"] == "posterior_mean"
    assert dots["encoding"]["color"]["field"] == "parameter"
    rows = spec["datasets"][intervals["data"]["name"]]
    assert [r["covered"] for r in rows] == [True, False]
    line = spec["datasets"][diagonal["data"]["name"]][0]
    assert line["x"] == line["y"] == -0.2 and line["x2"] == line["y2"] == 1.0
    with pytest.raises(WorkbookInputError, match="lacks column"):
        hbm.plot_recovery_scatter(table.drop(columns="covered"))
