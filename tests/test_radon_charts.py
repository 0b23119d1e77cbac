"""The radon chapters' charts carry the frames they were given, with the right encodings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import vl_convert as vlc

import hbm_widgets as hbm


def rows(spec: dict) -> list[dict]:
    """The rows of a chart's only (or first) dataset."""
    return next(iter(spec["datasets"].values()))


def datasets(spec: dict) -> list[list[dict]]:
    return list(spec["datasets"].values())


@pytest.fixture
def estimates():
    return pd.DataFrame(
        {
            "county": ["A", "B", "C"] * 2,
            "n": [1, 5, 40] * 2,
            "model": ["no pooling"] * 3 + ["partial pooling"] * 3,
            "mean": [3.0, 1.0, 1.5, 2.0, 1.2, 1.5],
            "sd": 0.1,
            "low": [2.5, 0.7, 1.4, 1.7, 1.0, 1.45],
            "high": [3.5, 1.3, 1.6, 2.3, 1.4, 1.55],
            "size_rank": [0, 1, 2] * 2,
        }
    )


def test_county_estimates_draws_arrows_between_the_two_fits(estimates):
    chart = hbm.plot_county_estimates(
        estimates, arrow_from="no pooling", arrow_to="partial pooling", reference=1.4
    )
    spec = chart.to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["circle", "rule", "point", "rule"]
    points = spec["layer"][0]["encoding"]
    assert points["x"]["field"] == "county" and points["y"]["field"] == "mean"
    assert points["x"]["sort"] == {"field": "size_rank", "op": "min", "order": "ascending"}
    assert points["color"]["scale"]["domain"] == ["no pooling", "partial pooling"]
    assert rows(spec) == estimates.to_dict(orient="records")
    arrow = spec["layer"][1]
    pivot = next(t for t in arrow["transform"] if "pivot" in t)
    assert pivot["pivot"] == "model" and pivot["value"] == "mean"
    calc = {t["as"]: t["calculate"] for t in arrow["transform"] if "calculate" in t}
    assert calc["start"] == 'datum["no pooling"]' and calc["end"] == 'datum["partial pooling"]'
    assert arrow["encoding"]["y"]["field"] == "start" and arrow["encoding"]["y2"]["field"] == "end"
    assert spec["layer"][2]["mark"]["shape"] == "triangle"
    reference_rows = [r for d in datasets(spec) for r in d if "value" in r]
    assert reference_rows == [{"value": 1.4, "label": "complete pooling"}]
    svg = vlc.vegalite_to_svg(spec)
    assert svg.startswith("<svg")


def test_county_estimates_intervals_and_bad_labels(estimates):
    spec = hbm.plot_county_estimates(estimates, intervals=True).to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["circle", "rule"]
    assert spec["layer"][1]["encoding"]["y"]["field"] == "low"
    assert spec["layer"][1]["encoding"]["y2"]["field"] == "high"
    with pytest.raises(hbm.WorkbookInputError, match="no model 'full' in the estimates"):
        hbm.plot_county_estimates(estimates, arrow_from="full", arrow_to="partial pooling")
    with pytest.raises(hbm.WorkbookInputError, match="give both arrow_from and arrow_to"):
        hbm.plot_county_estimates(estimates, arrow_from="no pooling")
    with pytest.raises(hbm.WorkbookInputError, match=r"lack column\(s\) \['size_rank'\]"):
        hbm.plot_county_estimates(estimates.drop(columns="size_rank"))


def test_group_means_vs_size_uses_a_log_axis():
    summary = pd.DataFrame(
        {"county": ["A", "B", "C"], "n": [1, 10, 100], "mean_log_radon": [2.5, 1.0, 1.3]}
    )
    spec = hbm.plot_group_means_vs_size(summary, overall=1.26).to_dict()
    points = spec["layer"][0]
    assert points["encoding"]["x"] == {
        "field": "n",
        "scale": {"type": "log", "nice": False, "padding": 8},
        "title": "observations in the county (log scale)",
        "type": "quantitative",
    }
    assert points["encoding"]["y"]["field"] == "mean_log_radon"
    assert rows(spec) == summary.to_dict(orient="records")
    assert spec["layer"][1]["encoding"]["y"]["field"] == "overall"


def test_funnel_has_one_panel_per_fit_and_marks_divergences():
    draws = pd.DataFrame(
        {
            "model": ["centred"] * 3 + ["non-centred"] * 3,
            "log_scale": [-3.0, -1.0, 0.0, -2.0, -1.0, 0.0],
            "value": [0.01, 0.5, 1.0, 0.2, -0.4, 1.1],
            "variable": ["beta[A]"] * 3 + ["z_beta[A]"] * 3,
            "divergent": [True, False, False, False, False, False],
        }
    )
    spec = hbm.plot_funnel(draws).to_dict()
    assert spec["facet"]["column"]["field"] == "model"
    assert spec["facet"]["column"]["sort"] == ["centred", "non-centred"]
    inner = spec["spec"]["encoding"]
    assert inner["x"]["field"] == "value" and inner["y"]["field"] == "log_scale"
    assert inner["color"]["field"] == "divergent"
    assert inner["color"]["scale"] == {"domain": [False, True], "range": ["#9e9e9e", "#ff7f0e"]}
    assert spec["resolve"]["scale"]["x"] == "independent"
    assert sum(r["divergent"] for r in rows(spec)) == 1


def test_predictive_intervals_keep_the_order_of_cases():
    frame = pd.DataFrame(
        {
            "label": ["many houses", "two houses", "new county"],
            "n": [116, 2, 0],
            "mean": [1.3, 1.6, 1.4],
            "low": [0.1, 0.3, -0.1],
            "high": [2.5, 2.9, 2.9],
            "width": [2.4, 2.6, 3.0],
        }
    )
    spec = hbm.plot_predictive_intervals(frame).to_dict()
    bars = spec["layer"][0]
    assert bars["encoding"]["x"]["field"] == "low" and bars["encoding"]["x2"]["field"] == "high"
    assert bars["encoding"]["y"]["sort"] == ["many houses", "two houses", "new county"]
    assert spec["height"] == 120
    assert [r["width"] for r in rows(spec)] == [2.4, 2.6, 3.0]


def test_ppc_chart_separates_observed_from_replicated():
    rng = np.random.default_rng(0)
    frame = hbm.ppc_densities(
        rng.normal(size=50), rng.normal(size=(30, 50)), replicates=5, bins=10, random_seed=1
    )
    spec = hbm.plot_ppc(frame).to_dict()
    replicated, observed = spec["layer"]
    assert replicated["transform"] == [{"filter": "(datum.kind === 'replicated')"}]
    assert observed["transform"] == [{"filter": "(datum.kind === 'observed')"}]
    assert replicated["encoding"]["detail"]["field"] == "series"
    assert len(rows(spec)) == 6 * 10


def test_cv_scores_join_each_fold_across_models():
    frame = pd.DataFrame(
        {
            "model": ["complete", "none", "partial"] * 2,
            "fold": [0, 0, 0, 1, 1, 1],
            "rmse": [0.82, 0.80, 0.76, 0.85, 0.79, 0.77],
        }
    )
    spec = hbm.plot_cv_scores(frame).to_dict()
    lines = spec["layer"][0]
    assert lines["encoding"]["detail"]["field"] == "fold"
    assert lines["encoding"]["x"]["sort"] == ["complete", "none", "partial"]
    assert rows(spec) == frame.to_dict(orient="records")


def test_group_predictor_chart_draws_points_and_the_line():
    est = pd.DataFrame(
        {
            "county": ["A", "B"],
            "log_uranium": [-0.5, 0.4],
            "n": [3, 30],
            "mean": [1.0, 1.9],
            "low": [0.6, 1.7],
            "high": [1.4, 2.1],
        }
    )
    line = pd.DataFrame(
        {
            "log_uranium": [-1.0, 0.0, 1.0],
            "mean": [0.8, 1.5, 2.2],
            "low": [0.6, 1.4, 2.0],
            "high": [1.0, 1.6, 2.4],
        }
    )
    spec = hbm.plot_group_predictor(est, line).to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["area", "line", "rule", "circle"]
    all_rows = datasets(spec)
    assert line.to_dict(orient="records") in all_rows
    assert est.to_dict(orient="records") in all_rows
    assert spec["layer"][3]["encoding"]["size"]["field"] == "n"
    with pytest.raises(hbm.WorkbookInputError, match="line lacks column"):
        hbm.plot_group_predictor(est, line.drop(columns="low"))
