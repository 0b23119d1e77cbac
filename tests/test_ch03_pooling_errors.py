"""``plot_pooling_errors``: the simulation's errors by group size, one line per estimator."""

from __future__ import annotations

import pandas as pd

import hbm_widgets as hbm


def errors() -> pd.DataFrame:
    sizes = ["1-5", "6-10", "41-94"]
    return pd.DataFrame(
        {
            "size_group": [size for size in sizes for _ in range(3)],
            "estimator": ["complete pooling", "no pooling", "partial pooling"] * 3,
            "mean_squared_error": [81.0, 57.0, 32.0, 86.0, 27.0, 21.0, 76.0, 3.8, 3.6],
        }
    )


def test_one_line_and_its_points_per_estimator_on_a_log_scale():
    spec = hbm.plot_pooling_errors(errors(), title="Errors").to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["line", "point"]
    encoding = spec["layer"][0]["encoding"]
    assert encoding["y"]["field"] == "mean_squared_error"
    assert encoding["y"]["scale"]["type"] == "log"
    assert encoding["color"]["field"] == "estimator"
    assert encoding["color"]["scale"]["domain"] == [
        "complete pooling",
        "no pooling",
        "partial pooling",
    ]
    assert spec["title"] == "Errors"


def test_size_groups_are_drawn_in_the_frames_order_not_alphabetically():
    spec = hbm.plot_pooling_errors(errors()).to_dict()
    assert spec["layer"][0]["encoding"]["x"]["sort"] == ["1-5", "6-10", "41-94"]
    rows = next(iter(spec["datasets"].values()))
    assert len(rows) == 9
