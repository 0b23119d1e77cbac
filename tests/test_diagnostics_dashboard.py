"""Chapter 09's charts carry the chosen draws; the dashboard follows its menus."""

from __future__ import annotations

from unittest import mock

import arviz as az
import numpy as np
import pytest

import hbm_widgets as hbm


@pytest.fixture(autouse=True)
def no_display():
    # Widgets display their chart in an Output; outside a kernel, capture the calls instead.
    with mock.patch("hbm_widgets.widgets.base.display") as display:
        yield display


@pytest.fixture(scope="module")
def fit():
    """A made-up NUTS-like fit: a scalar, a vector over schools, divergences and energy."""
    rng = np.random.default_rng(42)
    chains, n = 4, 250
    diverging = np.zeros((chains, n), dtype=bool)
    diverging[0, [3, 4]] = True
    diverging[2, 200] = True
    return az.from_dict(
        {
            "posterior": {
                "tau": np.abs(rng.normal(size=(chains, n))),
                "theta": rng.normal(size=(chains, n, 3)) + np.array([-10.0, 0.0, 10.0]),
            },
            "sample_stats": {
                "diverging": diverging,
                "energy": rng.normal(size=(chains, n)) + 20,
            },
        },
        coords={"school": ["Choate", "Deerfield", "Hotchkiss"]},
        dims={"theta": ["school"]},
    )


def rows(spec: dict, part: dict | None = None) -> list[dict]:
    """The data rows a (sub)chart draws."""
    part = spec if part is None else part
    return spec["datasets"][part["data"]["name"]]


def values_by_chain(records: list[dict]) -> dict[int, list[float]]:
    out: dict[int, list[float]] = {}
    for r in records:
        out.setdefault(int(r["chain"]), []).append(r["value"])
    return out


def test_trace_chart_holds_the_draws(fit):
    spec = hbm.plot_trace(fit, var_name="theta[Hotchkiss]").to_dict()
    assert spec["mark"]["type"] == "line"
    assert spec["encoding"]["x"]["field"] == "draw"
    assert spec["encoding"]["y"]["field"] == "value"
    assert spec["encoding"]["color"]["field"] == "chain"
    by_chain = values_by_chain(rows(spec))
    expected = fit.posterior["theta"].sel(school="Hotchkiss").values
    for chain in range(4):
        np.testing.assert_array_equal(by_chain[chain], expected[chain])
    assert spec["title"] == "theta[Hotchkiss]"


def test_trace_chart_thins_long_runs_under_the_row_limit():
    long = az.from_dict({"posterior": {"mu": np.random.default_rng(0).normal(size=(4, 3000))}})
    spec = hbm.plot_trace(long, var_name="mu").to_dict()
    data = rows(spec)
    assert len(data) <= 4000 < 5000
    assert "(1 draw in 3 shown)" in spec["title"]
    assert [r["draw"] for r in data[:3]] == [0, 3, 6]


def test_rank_chart_counts_every_draw_once(fit):
    spec = hbm.plot_rank(fit, var_name="tau", bins=10).to_dict()
    assert spec["mark"]["type"] == "bar"
    assert spec["encoding"]["row"]["field"] == "chain"
    assert spec["encoding"]["y"]["field"] == "count"
    data = rows(spec)
    assert len(data) == 4 * 10
    assert sum(r["count"] for r in data) == 4 * 250
    assert {r["expected"] for r in data} == {25.0}


def test_energy_chart_shows_both_distributions_and_bfmi(fit):
    spec = hbm.plot_energy(fit, bins=15).to_dict()
    data = rows(spec)
    assert {r["distribution"] for r in data} == {"marginal energy", "energy transition"}
    assert len(data) == 30
    # ArviZ 1 returns BFMI per chain as the energy variable of a tree.
    assert f"{float(az.bfmi(fit)['energy'].min()):.2f}" in spec["title"]


def test_divergence_chart_marks_the_divergent_draws(fit):
    spec = hbm.plot_divergences(fit, x="theta[Choate]", y="tau", log_y=True).to_dict()
    assert spec["encoding"]["y"]["scale"]["type"] == "log"
    assert spec["encoding"]["x"]["title"] == "theta[Choate]"
    divergent = [r for r in rows(spec) if r["divergent"]]
    assert len(divergent) == 3
    assert rows(spec)[-1]["divergent"]  # drawn last, on top
    first = next(r for r in divergent if r["chain"] == 0 and r["draw"] == 3)
    assert first["y"] == fit.posterior["tau"].values[0, 3]
    assert "3 divergent draws" in spec["title"]


def test_charts_refuse_a_vector_without_an_element(fit):
    with pytest.raises(hbm.WorkbookInputError, match="'theta' has 3 elements"):
        hbm.plot_trace(fit, var_name="theta")


def dashboard_trace_values(dashboard) -> dict[int, list[float]]:
    spec = dashboard.chart.to_dict()
    return values_by_chain(rows(spec, spec["hconcat"][0]))


def test_dashboard_shows_the_chosen_quantity(fit, no_display):
    dashboard = hbm.diagnostics_dashboard(fit)
    assert dashboard.var_name == "tau"
    assert dashboard.controls["element"].disabled
    tau = fit.posterior["tau"].values
    np.testing.assert_array_equal(dashboard_trace_values(dashboard)[1], tau[1])
    # ArviZ's own figures for the variable, at its defaults (those of az.summary).
    labelled = fit.posterior["tau"]
    assert dashboard.diagnostics["rhat"] == pytest.approx(float(az.rhat(labelled)))
    assert dashboard.diagnostics["ess_bulk"] == pytest.approx(float(az.ess(labelled)))
    assert dashboard.diagnostics["ess_tail"] == pytest.approx(
        float(az.ess(labelled, method="tail"))
    )
    assert dashboard.diagnostics["divergences"] == 3
    assert f"R-hat <b>{dashboard.diagnostics['rhat']:.3f}</b>" in dashboard.summary.value
    assert "divergences in the fit <b>3</b>" in dashboard.summary.value
    spec = dashboard.chart.to_dict()
    rank_rows = rows(spec, spec["hconcat"][1])
    assert sum(r["count"] for r in rank_rows) == tau.size
    assert no_display.call_count == 1


def test_changing_the_menus_changes_the_draws(fit, no_display):
    dashboard = hbm.diagnostics_dashboard(fit)
    before = dashboard_trace_values(dashboard)
    dashboard.controls["variable"].value = "theta"
    assert list(dashboard.controls["element"].options) == ["Choate", "Deerfield", "Hotchkiss"]
    assert not dashboard.controls["element"].disabled
    assert dashboard.var_name == "theta[Choate]"
    after = dashboard_trace_values(dashboard)
    assert after != before
    theta = fit.posterior["theta"].values
    np.testing.assert_array_equal(after[2], theta[2, :, 0])
    assert no_display.call_count == 2  # one redraw per change of variable, not two
    dashboard.controls["element"].value = "Hotchkiss"
    assert dashboard.var_name == "theta[Hotchkiss]"
    np.testing.assert_array_equal(dashboard_trace_values(dashboard)[0], theta[0, :, 2])
    assert min(dashboard_trace_values(dashboard)[0]) > 0  # centred near +10, not -10
    dashboard.controls["variable"].value = "tau"
    assert dashboard.controls["element"].disabled and dashboard.var_name == "tau"


def test_dashboard_keeps_the_last_good_state_on_bad_bins(fit, no_display):
    dashboard = hbm.diagnostics_dashboard(fit, var_name="theta[Deerfield]", bins=10)
    good_chart, good_numbers = dashboard.chart, dashboard.diagnostics
    dashboard.controls["bins"].value = 1
    assert dashboard.error == "bins must be a whole number >= 2, got 1"
    assert "bins must be a whole number &gt;= 2, got 1" in dashboard.message.value
    assert dashboard.chart is good_chart and dashboard.diagnostics is good_numbers
    assert no_display.call_count == 1
    dashboard.controls["bins"].value = 5
    assert dashboard.error is None and dashboard.message.value == ""
    spec = dashboard.chart.to_dict()
    assert len(rows(spec, spec["hconcat"][1])) == 4 * 5


def test_dashboard_works_on_a_metropolis_fit_and_refuses_unknown_names(no_display):
    log_target = hbm.normal_mean_log_posterior(0, 10, 15, 20, 8.0)
    mh = hbm.metropolis_chains(
        log_target, [-20.0, 20.0], proposal_sd=7.0, steps=300, rng=np.random.default_rng(1)
    )
    dashboard = hbm.diagnostics_dashboard(mh)
    assert dashboard.var_name == "mu" and dashboard.diagnostics["divergences"] is None
    assert "not a NUTS fit" in dashboard.summary.value
    with pytest.raises(hbm.WorkbookInputError, match="no numeric variable 'sigma'"):
        hbm.diagnostics_dashboard(mh, var_name="sigma")
