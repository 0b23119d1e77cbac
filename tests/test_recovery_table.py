"""The recovery table: true values beside posterior intervals, and its chart."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest

import hbm_widgets as hbm


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
