"""Chapter 03's charts and the shrinkage explorer: tau and sigma in, estimates out."""

from __future__ import annotations

import re
from unittest import mock

import ipywidgets as widgets
import numpy as np
import pandas as pd
import pytest

import hbm_widgets as hbm


@pytest.fixture(autouse=True)
def no_display():
    # Widgets display their chart in an Output; outside a kernel, capture the calls instead.
    with mock.patch("hbm_widgets.widgets.base.display") as display:
        yield display


@pytest.fixture(scope="module")
def gcse_schools():
    return hbm.GroupedData.from_frame(
        hbm.load_gcse(), group="school", outcome="course", missing="drop"
    )


def rows(spec: dict, layer: dict) -> list[dict]:
    """The data rows of a layer (or layered chart); ``spec`` is the dict holding the datasets."""
    return spec["datasets"][layer["data"]["name"]]


def test_arrow_chart_draws_one_rule_per_group(gcse_schools):
    table = hbm.pooling_estimates(gcse_schools, sigma=13.8, tau=8.9, mu=73.7)
    spec = hbm.plot_shrinkage_arrows(table, group_title="school").to_dict()
    arrows, starts, heads, centre = spec["layer"]
    assert arrows["mark"]["type"] == "rule"
    assert arrows["encoding"]["x"]["field"] == "no_pooling"
    assert arrows["encoding"]["x2"]["field"] == "partial_pooling"
    assert arrows["encoding"]["stroke"]["field"] == "n"
    assert heads["encoding"]["fill"]["field"] == "n"
    assert heads["encoding"]["x"]["field"] == "partial_pooling"
    assert starts["encoding"]["x"]["field"] == "no_pooling"
    assert rows(spec, centre) == [{"mu": 73.7}]
    data = rows(spec, arrows)
    assert len(data) == 73
    # Highest own mean at the top.
    for layer in (arrows, starts, heads):
        assert layer["encoding"]["y"]["field"] == "group"
    order = arrows["encoding"]["y"]["sort"]
    means = dict(zip(table["group"], table["no_pooling"], strict=True))
    assert [means[g] for g in order] == sorted(means.values(), reverse=True)
    assert arrows["encoding"]["y"]["title"] == "school"


def test_shrinkage_factor_chart(gcse_schools):
    table = hbm.pooling_estimates(gcse_schools, sigma=13.8, tau=8.9)
    spec = hbm.plot_shrinkage_factor(table).to_dict()
    curve, points = spec["layer"]
    for layer in (curve, points):
        assert layer["encoding"]["x"]["field"] == "n"
        assert layer["encoding"]["x"]["scale"]["type"] == "log"
        assert layer["encoding"]["y"]["field"] == "shrinkage"
        assert layer["encoding"]["y"]["scale"]["domain"] == [0, 1]
    assert points["encoding"]["fill"]["field"] == "n"
    data = next(iter(spec["datasets"].values()))
    assert [r["shrinkage"] for r in data] == table["shrinkage"].tolist()


def test_explorer_defaults_to_gcse_schools_and_moment_estimates(gcse_schools):
    explorer = hbm.shrinkage_explorer()
    rough = hbm.moment_estimates(gcse_schools)
    assert explorer.values == {"tau": rough["tau"], "sigma": rough["sigma"], "mu": rough["mu"]}
    assert len(explorer.estimates) == 73 and explorer.data.n_obs == 1725


def test_explorer_follows_tau_and_sigma(gcse_schools, no_display):
    explorer = hbm.shrinkage_explorer(sigma=13.8, tau=8.9, mu=73.7)
    expected = hbm.pooling_estimates(gcse_schools, sigma=13.8, tau=8.9, mu=73.7)
    pd.testing.assert_frame_equal(explorer.estimates, expected)
    spec = explorer.chart.to_dict()
    arrows, factor = spec["hconcat"]
    assert factor["layer"][1]["encoding"]["y"]["field"] == "shrinkage"
    arrow_rows = rows(spec, arrows["layer"][0])
    np.testing.assert_allclose(
        [r["partial_pooling"] for r in arrow_rows], expected["partial_pooling"]
    )
    assert f"{expected['shrinkage'].max():.3f}" in explorer.summary.value

    explorer.controls["sigma"].value = 20.0
    b = (20.0**2 / gcse_schools.group_sizes) / (8.9**2 + 20.0**2 / gcse_schools.group_sizes)
    np.testing.assert_allclose(explorer.estimates["shrinkage"], b)
    spec = explorer.chart.to_dict()
    factor_rows = rows(spec, spec["hconcat"][1])  # both layers share the chart's data
    np.testing.assert_allclose([r["shrinkage"] for r in factor_rows], b)
    assert no_display.call_count == 2


def test_tau_is_a_slider_released_to_redraw(no_display):
    explorer = hbm.shrinkage_explorer(sigma=13.8, tau=8.9, mu=73.7)
    tau = explorer.controls["tau"]
    assert isinstance(tau, widgets.FloatSlider) and not tau.continuous_update
    # From complete pooling to ten times sigma (138, rounded up to 200) in steps of 0.1.
    assert (tau.min, tau.max, tau.step, tau.value) == (0.0, 200.0, 0.1, 8.9)
    assert isinstance(explorer.controls["sigma"], widgets.FloatText)
    assert hbm.shrinkage_explorer(sigma=0.5, tau=0.2, mu=0.0).controls["tau"].max == 5.0
    assert hbm.shrinkage_explorer(sigma=2.0, tau=1.0, tau_max=3.0).controls["tau"].max == 3.0


def test_tau_slider_ends_are_the_two_extremes(no_display):
    explorer = hbm.shrinkage_explorer(sigma=13.8, tau=8.9, mu=73.7)
    explorer.controls["tau"].value = 0.0
    table = explorer.estimates
    assert (table["shrinkage"] == 1).all() and (table["partial_pooling"] == 73.7).all()
    explorer.controls["tau"].value = 1e-3
    assert explorer.estimates["shrinkage"].min() > 0.999
    np.testing.assert_allclose(explorer.estimates["partial_pooling"], 73.7, atol=1e-3)
    explorer.controls["tau"].value = explorer.controls["tau"].max
    # At the right end even the school of one pupil keeps over 99% of its own deviation.
    assert explorer.estimates["shrinkage"].max() < 0.005
    moved = explorer.estimates["partial_pooling"] - explorer.estimates["no_pooling"]
    deviation = explorer.estimates["no_pooling"] - 73.7
    assert (np.abs(moved) <= 0.005 * np.abs(deviation) + 1e-12).all()
    spec = explorer.chart.to_dict()
    for row in rows(spec, spec["hconcat"][0]["layer"][0]):
        assert row["partial_pooling"] == pytest.approx(row["no_pooling"], abs=0.1)


def test_tau_slider_cannot_leave_its_range(no_display):
    explorer = hbm.shrinkage_explorer(sigma=13.8, tau=8.9, mu=73.7)
    explorer.controls["tau"].value = -1.0  # a slider clamps: complete pooling, no error
    assert explorer.controls["tau"].value == 0.0 and explorer.error is None
    assert (explorer.estimates["shrinkage"] == 1).all()
    explorer.controls["tau"].value = 1e4
    assert explorer.controls["tau"].value == 200.0 and explorer.error is None


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"tau": -1.0}, "tau must be zero or positive, got -1"),
        ({"tau": 30.0, "tau_max": 20.0}, "tau (30) must not exceed tau_max (20)"),
        ({"tau_max": 0.0}, "tau_max must be positive, got 0.0"),
        ({"sigma": float("nan")}, "sigma must be a finite number, got nan"),
    ],
)
def test_starting_values_the_slider_cannot_show_are_refused(arguments, message):
    with pytest.raises(hbm.WorkbookInputError, match=re.escape(message)):
        hbm.shrinkage_explorer(**{"sigma": 13.8, "tau": 8.9, "mu": 73.7, **arguments})


@pytest.mark.parametrize(
    ("control", "value", "message"),
    [
        ("sigma", 0.0, "sigma must be positive, got 0"),
        ("sigma", -5.0, "sigma must be positive, got -5"),
        ("mu", float("inf"), "mu must be a finite number, got inf"),
    ],
)
def test_bad_values_show_inline_and_keep_the_last_chart(no_display, control, value, message):
    explorer = hbm.shrinkage_explorer(sigma=13.8, tau=8.9, mu=73.7)
    chart, estimates = explorer.chart, explorer.estimates
    explorer.controls[control].value = value
    assert explorer.error == message and message in explorer.message.value  # nothing to escape
    assert explorer.chart is chart and explorer.estimates is estimates
    assert no_display.call_count == 1
    explorer.controls[control].value = 5.0
    assert explorer.error is None and explorer.message.value == ""
    assert explorer.estimates is not estimates and no_display.call_count == 2


def test_explorer_accepts_any_grouped_data(no_display):
    frame = pd.DataFrame({"class": ["a"] * 4 + ["b"] * 2, "mark": [1.0, 2, 3, 2, 7, 9]})
    data = hbm.GroupedData.from_frame(frame, group="class", outcome="mark")
    explorer = hbm.shrinkage_explorer(data, sigma=2.0, tau=1.0, mu=3.0)
    np.testing.assert_allclose(explorer.estimates["shrinkage"], [0.5, 2 / 3])
    np.testing.assert_allclose(explorer.estimates["partial_pooling"], [2.5, 3 + (8 - 3) / 3])
    arrows = explorer.chart.to_dict()["hconcat"][0]
    assert arrows["layer"][0]["encoding"]["y"]["title"] == "class (sorted by its own mean)"


def test_exercise_checks_of_chapter_03_never_reveal_the_answer():
    b = float(hbm.shrinkage_factor(13.8, 8.9, 5))
    assert hbm.check_exercise("03-shrinkage-and-pooling", 1, round(b, 3)).verdict == "right"
    assert hbm.check_exercise("03", 1, b + 0.02).verdict == "close"
    wrong = hbm.check_exercise("03", 1, 0.9)
    assert wrong.verdict == "wrong" and f"{b:.2f}" not in wrong.message
    assert "between 0 and 1" in hbm.check_exercise("03", 1, 2.0).message
    estimate = (1 - b) * 80.7 + b * 73.7
    assert hbm.check_exercise("03", 2, round(estimate, 2)).verdict == "right"
    assert hbm.check_exercise("03", 2, estimate - 0.3).verdict == "close"
    assert "between the school's own mean and μ" in hbm.check_exercise("03", 2, 85.0).message
    smallest = next(n for n in range(1, 100) if hbm.shrinkage_factor(13.8, 8.9, n) < 0.1)
    assert hbm.check_exercise("03", 3, smallest).verdict == "right"
    assert hbm.check_exercise("03", 3, smallest - 1).verdict == "close"
    assert hbm.check_exercise("03", 3, smallest + 10).verdict == "wrong"
    assert hbm.check_exercise("03", 3, 21.5).verdict == "wrong"
