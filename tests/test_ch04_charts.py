"""The eight-county panel of chapter 04: observations and one line per pooling strategy."""

from __future__ import annotations

import pandas as pd
import pytest

import hbm_widgets as hbm
from hbm_widgets.core.errors import WorkbookInputError


@pytest.fixture
def frames():
    observations = pd.DataFrame(
        {
            "county": ["B", "B", "A", "A", "A"],
            "floor": [0, 1, 0, 0, 1],
            "log_radon": [1.0, 0.2, 2.0, 1.5, 0.9],
        }
    )
    lines = pd.DataFrame(
        {
            "county": ["A", "B", "A", "B"],
            "model": ["no pooling", "no pooling", "partial pooling", "partial pooling"],
            "intercept": [1.8, 1.0, 1.6, 1.3],
            "slope": [-0.7, -0.7, -0.7, -0.7],
        }
    )
    return observations, lines


def test_panel_draws_points_and_one_segment_per_county_and_model(frames):
    observations, lines = frames
    spec = hbm.plot_pooling_lines(observations, lines, title="T").to_dict()
    assert spec["title"] == "T"
    assert spec["columns"] == 4
    # Panels in the order the counties first appear in the observations.
    assert spec["facet"]["field"] == "county" and spec["facet"]["sort"] == ["B", "A"]
    dots, rules = spec["spec"]["layer"]
    assert dots["mark"]["type"] == "circle" and rules["mark"]["type"] == "rule"
    assert rules["encoding"]["color"]["scale"]["domain"] == ["no pooling", "partial pooling"]
    rows = next(iter(spec["datasets"].values()))
    segments = [r for r in rows if r["layer"] == "line"]
    assert len(segments) == 4
    first = next(r for r in segments if r["county"] == "A" and r["model"] == "no pooling")
    assert (first["x"], first["x2"]) == (0.0, 1.0)
    assert first["y"] == pytest.approx(1.8) and first["y2"] == pytest.approx(1.1)
    assert len([r for r in rows if r["layer"] == "observed"]) == 5


def test_panel_refuses_frames_without_their_columns(frames):
    observations, lines = frames
    with pytest.raises(WorkbookInputError, match="log_radon"):
        hbm.plot_pooling_lines(observations.drop(columns="log_radon"), lines)
    with pytest.raises(WorkbookInputError, match="slope"):
        hbm.plot_pooling_lines(observations, lines.drop(columns="slope"))
    with pytest.raises(WorkbookInputError, match="C"):
        hbm.plot_pooling_lines(observations, pd.concat([lines, lines.assign(county="C")]))
