"""Widgets turn values into core calls; charts carry the data they were given."""

from __future__ import annotations

from unittest import mock

import altair as alt
import pytest

import hbm_widgets as hbm
from hbm_widgets.charts.rendering import use_chart_renderer


@pytest.fixture(autouse=True)
def no_display():
    # Widgets display their chart in an Output; outside a kernel, capture the calls instead.
    with mock.patch("hbm_widgets.widgets.base.display") as display:
        yield display


def test_conjugate_chart_holds_the_three_curves():
    curves = hbm.conjugate_curves(0, 10, 15, 20, 5.0)
    spec = hbm.plot_conjugate_update(curves, title="t").to_dict()
    assert spec["mark"]["type"] == "line"
    assert spec["encoding"]["x"]["field"] == "mean"
    assert spec["encoding"]["y"]["field"] == "density"
    assert spec["encoding"]["color"]["scale"]["domain"] == ["prior", "likelihood", "posterior"]
    rows = next(iter(spec["datasets"].values()))
    assert {r["curve"] for r in rows} == {"prior", "likelihood", "posterior"}
    assert len(rows) == len(curves)


def test_conjugate_curves_peak_at_the_right_places():
    curves = hbm.conjugate_curves(0, 10, 15, 20, 5.0, points=4001)
    peaks = curves.loc[curves.groupby("curve")["density"].idxmax()].set_index("curve")["mean"]
    posterior = hbm.conjugate_normal_posterior(0, 10, 15, 20, 5.0)
    step = curves["mean"].diff().abs().max()
    assert peaks["prior"] == pytest.approx(0, abs=step)
    assert peaks["likelihood"] == pytest.approx(5.0, abs=step)
    assert peaks["posterior"] == pytest.approx(posterior.mean, abs=step)
    # No data: no likelihood curve.
    assert set(hbm.conjugate_curves(0, 10, 15, 0, 5.0)["curve"]) == {"prior", "posterior"}


def test_conjugate_explorer_follows_its_controls(no_display):
    explorer = hbm.conjugate_explorer(prior_mean=1.0, prior_sd=2.0, sigma=3.0, n=4, sample_mean=5.0)
    expected = hbm.conjugate_normal_posterior(1.0, 2.0, 3.0, 4, 5.0)
    assert explorer.posterior == expected
    assert f"{expected.mean:.3f}" in explorer.summary.value
    explorer.controls["n"].value = 100
    assert explorer.posterior == hbm.conjugate_normal_posterior(1.0, 2.0, 3.0, 100, 5.0)
    rows = next(iter(explorer.chart.to_dict()["datasets"].values()))
    posterior_rows = [r for r in rows if r["curve"] == "posterior"]
    peak = max(posterior_rows, key=lambda r: r["density"])["mean"]
    assert peak == pytest.approx(explorer.posterior.mean, abs=0.1)
    assert no_display.call_count == 2


def test_conjugate_explorer_keeps_last_good_state_on_bad_input(no_display):
    explorer = hbm.conjugate_explorer()
    good_chart, good_posterior = explorer.chart, explorer.posterior
    explorer.controls["prior_sd"].value = -3
    assert explorer.error == "prior_sd must be positive, got -3"
    assert "prior_sd must be positive, got -3" in explorer.message.value
    assert explorer.chart is good_chart and explorer.posterior is good_posterior
    assert no_display.call_count == 1
    explorer.controls["prior_sd"].value = 4
    assert explorer.error is None and explorer.message.value == ""
    assert explorer.posterior.sd < 4


def test_exercise_checks_never_reveal_the_answer():
    right = hbm.check_exercise("01-bayes-rule", 1, 0.899)
    assert right.verdict == "right"
    close = hbm.check_exercise("01-bayes-rule", 1, 0.87)
    assert close.verdict == "close"
    wrong = hbm.check_exercise("01-bayes-rule", 1, 0.5)
    assert wrong.verdict == "wrong" and "0.89" not in wrong.message
    assert hbm.check_exercise("01", 2, 43).verdict == "right"
    assert hbm.check_exercise("01", 2, 41).verdict == "close"
    assert hbm.check_exercise("01", 2, 100).verdict == "wrong"
    assert hbm.check_exercise("01", 2, "lots").verdict == "wrong"
    assert "Right." in right._repr_html_()


def test_unknown_exercises_are_named():
    with pytest.raises(hbm.WorkbookInputError, match="chapter '99-nothing' has no exercises"):
        hbm.check_exercise("99-nothing", 1, 0)
    with pytest.raises(
        hbm.WorkbookInputError, match=r"has no exercise 7; its exercises are \[1, 2, 3\]"
    ):
        hbm.check_exercise("01", 7, 0)


def test_renderer_choice_is_made_in_one_place(monkeypatch):
    monkeypatch.setenv("HBM_CHART_RENDERER", "svg")
    assert use_chart_renderer() == "svg" and alt.renderers.active == "svg"
    assert use_chart_renderer("jupyter") == "jupyter" and alt.renderers.active == "jupyter"
    monkeypatch.setenv("HBM_CHART_RENDERER", "png")
    with pytest.raises(ValueError, match="HBM_CHART_RENDERER='png' is not one of"):
        use_chart_renderer()
    use_chart_renderer("svg")


def test_svg_rendering_needs_no_network():
    import vl_convert as vlc

    svg = vlc.vegalite_to_svg(
        hbm.plot_conjugate_update(hbm.conjugate_curves(0, 1, 1, 5, 0.5)).to_dict()
    )
    assert svg.startswith("<svg") and "http://" not in svg.split(">", 1)[1].replace(
        "http://www.w3.org", ""
    )


def test_record_results_merges_json(tmp_path):
    import json

    import numpy as np

    path = tmp_path / "r.json"
    hbm.record_results(path, a=np.float64(1.5), b=np.arange(3))
    hbm.record_results(path, c={"d": np.int64(2)}, e=float("nan"))
    assert json.loads(path.read_text()) == {"a": 1.5, "b": [0, 1, 2], "c": {"d": 2}, "e": None}
    assert hbm.record_results(None, a=1) == {"a": 1}
