"""The shipped CSV files and the grouped-data loader."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pandas as pd
import pytest

import hbm_widgets as hbm
from hbm_widgets import DataValidationError, GroupedData


def test_radon_counts_and_columns(radon_frame):
    assert list(radon_frame.columns) == ["county", "log_radon", "floor", "log_uranium"]
    assert len(radon_frame) == 919
    assert radon_frame["county"].nunique() == 85
    assert not radon_frame.isna().any().any()
    sizes = radon_frame.groupby("county").size()
    assert sizes.min() == 1 and sizes.max() > 100


def test_radon_floor_is_coded_zero_for_basement(radon_frame):
    # 83% of houses were measured in the basement, and basement readings are higher.
    basement_share = (radon_frame["floor"] == 0).mean()
    assert basement_share == pytest.approx(0.83, abs=0.01)
    means = radon_frame.groupby("floor")["log_radon"].mean()
    assert means[0] > means[1]


def test_radon_uranium_is_constant_within_county(radon_frame):
    assert (radon_frame.groupby("county")["log_uranium"].nunique() == 1).all()


def test_gcse_counts_and_missing_values():
    gcse = hbm.load_gcse()
    assert list(gcse.columns) == ["school", "student", "female", "written", "course"]
    assert len(gcse) == 1905
    assert gcse["school"].nunique() == 73
    assert int(gcse["course"].isna().sum()) == 180
    assert int(gcse["written"].isna().sum()) == 202
    assert int(gcse["course"].notna().sum()) == 1725
    assert set(gcse["female"].unique()) == {0, 1}


def test_baseball_counts_and_columns():
    from hbm_widgets.models.rates import load_baseball

    baseball = load_baseball()
    assert list(baseball.columns) == [
        "player",
        "team",
        "league",
        "position",
        "at_bats",
        "hits",
        "career_at_bats",
        "career_hits",
    ]
    assert len(baseball) == 322 and baseball["player"].is_unique
    assert not baseball.isna().any().any()
    assert baseball["at_bats"].min() == 16 and baseball["at_bats"].max() == 687
    assert (baseball["hits"] <= baseball["at_bats"]).all()
    assert (baseball["career_hits"] <= baseball["career_at_bats"]).all()
    assert int((baseball["career_at_bats"] == 0).sum()) == 22
    assert baseball["hits"].sum() / baseball["at_bats"].sum() == pytest.approx(0.2652, abs=1e-4)
    assert set(baseball["league"]) == {"A", "N"} and baseball["team"].nunique() == 24


def test_readme_checksums_match_the_files():
    readme = (hbm.data_dir() / "README.md").read_text()
    listed = dict(re.findall(r"\| `([\w.]+\.csv)` \| `([0-9a-f]{64})` \|", readme))
    assert set(listed) == {"radon.csv", "gcse.csv", "baseball.csv"}
    for name, digest in listed.items():
        assert hashlib.sha256((hbm.data_dir() / name).read_bytes()).hexdigest() == digest


def test_from_frame_builds_arrays(radon_data, radon_frame):
    assert radon_data.n_obs == 919 and radon_data.n_groups == 85
    assert radon_data.group_sizes.sum() == 919
    assert radon_data.group_predictor.shape == (85,)
    # group_idx points at the right names
    first = radon_frame.iloc[0]
    assert radon_data.group_names[radon_data.group_idx[0]] == first["county"]
    aitkin = radon_data.group_names.tolist().index("AITKIN")
    expected = radon_frame.loc[radon_frame.county == "AITKIN", "log_radon"].mean()
    assert radon_data.group_means[aitkin] == pytest.approx(expected)
    assert radon_data.coords["county"] == radon_data.group_names.tolist()


def test_load_grouped_csv_reads_a_users_file(tmp_path):
    path = tmp_path / "scores.csv"
    pd.DataFrame({"school": ["a", "a", "b", "b"], "score": [1, 2, 3, 5]}).to_csv(path, index=False)
    data = hbm.load_grouped_csv(path, group="school", outcome="score")
    assert data.n_groups == 2
    np.testing.assert_allclose(data.group_means, [1.5, 4.0])


def test_missing_values_dropped_only_when_asked():
    gcse = hbm.load_gcse()
    with pytest.raises(
        DataValidationError, match=r"180 of 1905 rows have missing values.*'course': 180"
    ):
        GroupedData.from_frame(gcse, group="school", outcome="course", predictor="female")
    data = GroupedData.from_frame(
        gcse, group="school", outcome="course", predictor="female", missing="drop"
    )
    assert data.n_obs == 1725 and data.dropped_rows == 180 and data.n_groups == 73


@pytest.fixture
def frame():
    return pd.DataFrame(
        {
            "g": ["a", "a", "b", "b", "c"],
            "y": [1.0, 2.0, 3.0, 4.0, 5.0],
            "x": [0.0, 1.0, 0.0, 1.0, 1.0],
            "u": [1.0, 1.0, 2.0, 2.0, 3.0],
            "word": ["p", "q", "r", "s", "t"],
        }
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"group": "g", "outcome": "score"},
            r"outcome column 'score' is not in the data; available columns: g, y",
        ),
        ({"group": "team", "outcome": "y"}, r"group column 'team' is not in the data"),
        (
            {"group": "g", "outcome": "y", "predictor": "z"},
            r"predictor column 'z' is not in the data",
        ),
        (
            {"group": "g", "outcome": "word"},
            r"outcome column 'word' must be numeric, but it holds 'p'",
        ),
        ({"group": "g", "outcome": "y", "missing": "impute"}, r"missing='impute' is not one of"),
        ({"group": "g", "outcome": "y", "predictor": "y"}, r"each role needs its own column"),
    ],
)
def test_bad_columns_are_named(frame, kwargs, message):
    with pytest.raises(DataValidationError, match=message):
        GroupedData.from_frame(frame, **kwargs)


def test_nan_in_outcome_without_a_policy(frame):
    frame.loc[2, "y"] = np.nan
    with pytest.raises(
        DataValidationError,
        match=r"1 of 5 rows have missing values \('y': 1\); pass missing='drop'",
    ):
        GroupedData.from_frame(frame, group="g", outcome="y")


def test_a_single_group_is_refused(frame):
    frame["g"] = "only"
    with pytest.raises(
        DataValidationError,
        match=r"group column 'g' has 1 distinct value\(s\) \(only\); .* at least two groups",
    ):
        GroupedData.from_frame(frame, group="g", outcome="y")


def test_a_constant_predictor_is_refused(frame):
    frame["x"] = 1.0
    with pytest.raises(
        DataValidationError, match=r"predictor column 'x' has no variance \(every value is 1\)"
    ):
        GroupedData.from_frame(frame, group="g", outcome="y", predictor="x")


def test_a_group_predictor_must_be_constant_within_groups(frame):
    frame.loc[1, "u"] = 9.0
    with pytest.raises(DataValidationError, match=r"'u' varies within group 'a'"):
        GroupedData.from_frame(frame, group="g", outcome="y", group_predictor="u")


def test_missing_csv_file(tmp_path):
    with pytest.raises(DataValidationError, match=r"no such file: .*nothere.csv"):
        hbm.load_grouped_csv(tmp_path / "nothere.csv", group="g", outcome="y")


def test_not_a_frame():
    with pytest.raises(DataValidationError, match="expected a pandas DataFrame, got dict"):
        GroupedData.from_frame({"y": [1]}, group="g", outcome="y")


def test_numeric_strings_are_accepted(frame):
    frame["y"] = frame["y"].astype(str)
    data = GroupedData.from_frame(frame, group="g", outcome="y")
    assert data.outcome.dtype == float
