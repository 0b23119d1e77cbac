"""The cafe simulation and the recovery table: simulated values, intervals and their chart."""

from __future__ import annotations

import arviz as az
import numpy as np
import pandas as pd
import pytest

import hbm_widgets as hbm
from hbm_widgets.lessons.cafes import CAFE_PARAMETERS


def test_cafes_alternate_mornings_and_afternoons_and_repeat_with_the_seed():
    first = hbm.simulate_cafes(np.random.default_rng(5), n_cafes=4, visits=6)
    again = hbm.simulate_cafes(np.random.default_rng(5), n_cafes=4, visits=6)
    pd.testing.assert_frame_equal(first.visits, again.visits)
    assert first.visits.shape == (24, 3)
    assert first.visits["afternoon"].tolist()[:6] == [0, 1, 0, 1, 0, 1]
    assert first.visits.groupby("cafe").size().tolist() == [6, 6, 6, 6]
    assert first.cafes["cafe"].tolist() == ["cafe 0", "cafe 1", "cafe 2", "cafe 3"]
    data = first.grouped()
    assert (data.n_obs, data.n_groups) == (24, 4)
    assert data.predictor_name == "afternoon" and data.outcome_name == "wait"


def test_cafe_effects_have_the_chosen_means_and_covariance():
    truth = hbm.CafeTruth(a=3.0, b=-2.0, sigma_a=1.5, sigma_b=0.5, rho=-0.6, sigma=0.3)
    sim = hbm.simulate_cafes(np.random.default_rng(11), n_cafes=20_000, visits=2, truth=truth)
    effects = sim.cafes[["a", "b"]].to_numpy()
    np.testing.assert_allclose(effects.mean(axis=0), [3.0, -2.0], atol=0.03)
    np.testing.assert_allclose(np.cov(effects.T), truth.covariance, atol=0.03)
    assert truth.covariance[0, 1] == pytest.approx(-0.6 * 1.5 * 0.5)
    # The visits scatter around each cafe's own expected wait with SD sigma.
    merged = sim.visits.merge(sim.cafes, on="cafe")
    residual = merged["wait"] - merged["a"] - merged["b"] * merged["afternoon"]
    assert residual.std() == pytest.approx(0.3, rel=0.02)


def test_true_values_use_the_model_names():
    sim = hbm.simulate_cafes(np.random.default_rng(2), n_cafes=3, visits=2)
    values = sim.true_values()
    assert set(values) == set(CAFE_PARAMETERS.values()) | {"alpha", "beta"}
    assert values["mu_alpha"] == 3.5 and values["rho"] == -0.7
    np.testing.assert_array_equal(values["beta"], sim.cafes["b"].to_numpy())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rho": 1.0}, "rho must lie strictly between -1 and 1, got 1"),
        ({"sigma_b": -0.5}, "sigma_b is a standard deviation and must be positive, got -0.5"),
        ({"a": float("nan")}, "a must be finite, got nan"),
        ({"b": "fast"}, "b must be a number, got 'fast'"),
    ],
)
def test_cafe_truth_refuses_impossible_values(kwargs, message):
    with pytest.raises(hbm.WorkbookInputError, match=message):
        hbm.CafeTruth(**kwargs)


def test_simulate_cafes_refuses_bad_sizes_and_generators():
    with pytest.raises(hbm.WorkbookInputError, match="visits must be a whole number >= 2, got 1"):
        hbm.simulate_cafes(np.random.default_rng(1), visits=1)
    with pytest.raises(hbm.WorkbookInputError, match="rng must be a numpy Generator"):
        hbm.simulate_cafes(42)


def _idata(rng):
    draws = {
        "mu_alpha": rng.normal(3.0, 0.1, size=(2, 500)),
        "alpha": rng.normal([1.0, 2.0, 3.0], 0.2, size=(2, 500, 3)),
    }
    return az.from_dict(
        {"posterior": draws}, coords={"cafe": ["x", "y", "z"]}, dims={"alpha": ["cafe"]}
    )


def test_recovery_table_reads_intervals_from_the_draws():
    idata = _idata(np.random.default_rng(3))
    table = hbm.recovery_table(idata, {"mu_alpha": 3.05, "alpha": [1.0, 2.5, 3.0]}, prob=0.9)
    assert table["parameter"].tolist() == ["mu_alpha", "alpha[x]", "alpha[y]", "alpha[z]"]
    assert table["level"].tolist() == ["population", "group", "group", "group"]
    flat = idata.posterior["mu_alpha"].values.ravel()
    row = table.iloc[0]
    assert row["posterior_mean"] == pytest.approx(flat.mean())
    assert row["lower"] == pytest.approx(np.quantile(flat, 0.05))
    assert row["upper"] == pytest.approx(np.quantile(flat, 0.95))
    # alpha[y] is centred on 2 with SD 0.2: the truth 2.5 lies outside its 90% interval.
    assert table["covered"].tolist() == [True, True, False, True]
    wider = hbm.recovery_table(idata, {"alpha": [1.0, 2.5, 3.0]}, prob=0.999)
    assert (wider["upper"] - wider["lower"]).min() > (table["upper"] - table["lower"])[1:].max()


def test_recovery_table_names_what_does_not_match():
    idata = _idata(np.random.default_rng(3))
    with pytest.raises(hbm.WorkbookInputError, match="the posterior has no variable 'rho'"):
        hbm.recovery_table(idata, {"rho": 0.1})
    with pytest.raises(hbm.WorkbookInputError, match=r"3 value\(s\) in the posterior but 2 true"):
        hbm.recovery_table(idata, {"alpha": [1.0, 2.0]})
    with pytest.raises(hbm.WorkbookInputError, match=r"prob must be between 0 and 1, got 1\.5"):
        hbm.recovery_table(idata, {"mu_alpha": 3.0}, prob=1.5)


def test_recovery_chart_carries_the_table():
    table = hbm.recovery_table(
        _idata(np.random.default_rng(3)), {"mu_alpha": 3.0, "alpha": [1.0, 2.5, 3.0]}
    )
    spec = hbm.plot_recovery(table, title="t").to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert [r["parameter"] for r in rows] == table["parameter"].tolist()
    assert [r["covered"] for r in rows] == table["covered"].tolist()
    interval, mean, truth = spec["layer"]
    assert interval["mark"]["type"] == "rule"
    assert (interval["encoding"]["x"]["field"], interval["encoding"]["x2"]["field"]) == (
        "lower",
        "upper",
    )
    assert mean["encoding"]["x"]["field"] == "posterior_mean"
    assert truth["encoding"]["x"]["field"] == "true_value"
    assert truth["encoding"]["color"]["field"] == "covered"
    assert interval["encoding"]["y"]["sort"] == table["parameter"].tolist()
