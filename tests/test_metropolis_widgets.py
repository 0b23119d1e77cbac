"""Chapter 02's charts and the Metropolis explorer: controls in, chain figures out."""

from __future__ import annotations

import html
from unittest import mock

import numpy as np
import pytest

import hbm_widgets as hbm


@pytest.fixture(autouse=True)
def no_display():
    # Widgets display their chart in an Output; outside a kernel, capture the calls instead.
    with mock.patch("hbm_widgets.widgets.base.display") as display:
        yield display


def rows(spec: dict, layer: dict) -> list[dict]:
    """The data rows of a layer (or layered chart); ``spec`` is the dict holding the datasets."""
    return spec["datasets"][layer["data"]["name"]]


def test_monte_carlo_error_chart_carries_the_table():
    table = hbm.monte_carlo_errors(
        hbm.NormalPosterior(1.0, 2.0, 0.5),
        sample_sizes=[10, 100, 1000],
        repeats=10,
        rng=np.random.default_rng(0),
    )
    spec = hbm.plot_monte_carlo_error(table, title="t").to_dict()
    observed, predicted = spec["layer"]
    assert observed["encoding"]["y"]["field"] == "rmse"
    assert predicted["encoding"]["y"]["field"] == "predicted"
    assert predicted["mark"]["strokeDash"] == [6, 4]
    for layer in (observed, predicted):
        assert layer["encoding"]["y"]["scale"]["type"] == "log"
        assert layer["encoding"]["x"]["scale"]["type"] == "log"
    data = next(iter(spec["datasets"].values()))
    assert len(data) == 6 and {r["n"] for r in data} == {10, 100, 1000}
    assert [r["rmse"] for r in data] == table["rmse"].tolist()


def test_trace_and_histogram_charts():
    chain = hbm.metropolis_hastings(
        lambda x: -0.5 * x * x, 5.0, proposal_sd=1.0, steps=300, rng=np.random.default_rng(1)
    )
    spec = hbm.plot_metropolis_trace(hbm.trace_frame(chain), reference=0.5, warmup=30).to_dict()
    lines, reference, warmup = spec["layer"]
    assert lines["encoding"]["x"]["field"] == "step" and lines["encoding"]["y"]["field"] == "value"
    assert rows(spec, reference) == [{"value": 0.5}] and rows(spec, warmup) == [{"step": 30}]
    assert [r["value"] for r in rows(spec, lines)] == chain.draws.tolist()
    bare = hbm.plot_metropolis_trace(hbm.trace_frame(chain)).to_dict()
    assert len(bare["layer"]) == 1

    histogram = hbm.histogram_frame(chain.draws, bins=12)
    density = hbm.normal_density_frame(0.0, 1.0, points=50)
    spec = hbm.plot_chain_histogram(histogram, density=density, x_title="θ").to_dict()
    bars, curve = spec["layer"]
    assert bars["encoding"]["x"]["field"] == "bin_start"
    assert bars["encoding"]["x2"]["field"] == "bin_end"
    assert bars["encoding"]["x"]["title"] == "θ"
    assert len(rows(spec, bars)) == 12 and len(rows(spec, curve)) == 50


def test_explorer_reports_the_chain_it_draws(no_display):
    explorer = hbm.metropolis_explorer(proposal_sd=4.0, steps=3000, start=-20.0, warmup=300)
    exact = hbm.conjugate_normal_posterior(0.0, 10.0, 15.0, 20, 8.27)
    assert explorer.exact == exact
    # The same chain, drawn directly from the core with the explorer's seed.
    direct = hbm.metropolis_hastings(
        hbm.normal_mean_log_posterior(0.0, 10.0, 15.0, 20, 8.27),
        -20.0,
        proposal_sd=4.0,
        steps=3000,
        rng=np.random.default_rng(8927),
    )
    np.testing.assert_array_equal(explorer.result.draws, direct.draws)
    assert explorer.chain_mean == pytest.approx(direct.draws[300:].mean())
    assert explorer.gap == pytest.approx(explorer.chain_mean - exact.mean)
    assert abs(explorer.gap) < 4 * explorer.mcse
    assert f"{direct.acceptance_rate:.1%}" in explorer.summary.value
    assert f"{explorer.gap:+.3f}" in explorer.summary.value

    spec = explorer.chart.to_dict()
    trace, histogram = spec["vconcat"]
    trace_rows = rows(spec, trace["layer"][0])
    assert trace_rows[0]["step"] == 1 and trace_rows[-1]["step"] == 3000
    assert rows(spec, trace["layer"][1]) == [{"value": exact.mean}]
    bars = rows(spec, histogram["layer"][0])
    widths = np.array([r["bin_end"] - r["bin_start"] for r in bars])
    assert float((np.array([r["density"] for r in bars]) * widths).sum()) == pytest.approx(1.0)
    assert no_display.call_count == 1


def test_wider_proposals_accept_less(no_display):
    explorer = hbm.metropolis_explorer(proposal_sd=1.0)
    narrow = explorer.result.acceptance_rate
    explorer.controls["proposal_sd"].value = 40.0
    assert explorer.result.acceptance_rate < narrow / 3
    assert no_display.call_count == 2


@pytest.mark.parametrize(
    ("control", "value", "message"),
    [
        ("proposal_sd", 0.0, "proposal_sd must be positive, got 0"),
        ("proposal_sd", -2.0, "proposal_sd must be positive, got -2"),
        ("steps", 0, "steps must be a whole number >= 1, got 0"),
        ("steps", 10**6, "steps must be at most 50000"),
        ("warmup", 5000, "warmup must be fewer than the 2000 steps of the chain, got 5000"),
        ("warmup", -1, "warmup must be a whole number >= 0, got -1"),
    ],
)
def test_bad_values_show_inline_and_keep_the_last_chain(no_display, control, value, message):
    explorer = hbm.metropolis_explorer()
    chart, result, summary = explorer.chart, explorer.result, explorer.summary.value
    explorer.controls[control].value = value
    assert message in explorer.error and html.escape(message) in explorer.message.value
    assert explorer.chart is chart and explorer.result is result
    assert explorer.summary.value == summary
    assert no_display.call_count == 1
    # A good value again: the message goes and a new chain is drawn.
    explorer.controls[control].value = {"proposal_sd": 3.0, "steps": 1500, "warmup": 100}[control]
    assert explorer.error is None and explorer.message.value == ""
    assert explorer.result is not result and explorer.chart is not chart
    assert no_display.call_count == 2


def test_a_start_far_out_is_forgotten_after_warmup(no_display):
    explorer = hbm.metropolis_explorer(proposal_sd=5.0, steps=4000, start=500.0, warmup=0)
    with_start = explorer.chain_mean
    explorer.controls["warmup"].value = 1000
    assert abs(explorer.gap) < abs(with_start - explorer.exact.mean)
    assert abs(explorer.gap) < 4 * explorer.mcse


def test_exercise_checks_of_chapter_02_never_reveal_the_answer():
    assert hbm.check_exercise("02-monte-carlo-and-mcmc", 1, 4045).verdict == "right"
    assert hbm.check_exercise("02", 1, 3900).verdict == "close"
    wrong = hbm.check_exercise("02", 1, 100)
    assert wrong.verdict == "wrong" and "4045" not in wrong.message
    assert hbm.check_exercise("02", 2, 0.477).verdict == "right"
    assert hbm.check_exercise("02", 2, 0.46).verdict == "close"
    wrong = hbm.check_exercise("02", 2, 0.2)
    assert wrong.verdict == "wrong" and "0.47" not in wrong.message and "0.48" not in wrong.message
    assert "between 0 and 1" in hbm.check_exercise("02", 2, 1.4).message
    assert hbm.check_exercise("02", 3, 0.1006).verdict == "right"
    naive = hbm.check_exercise("02", 3, 3.18 / 4000**0.5)
    assert naive.verdict == "wrong" and "effective sample size" in naive.message
    assert hbm.check_exercise("02", 3, "small").verdict == "wrong"
