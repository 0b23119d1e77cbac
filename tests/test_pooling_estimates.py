"""Complete, no and partial pooling side by side: the table follows the closed forms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hbm_widgets as hbm


@pytest.fixture(scope="module")
def gcse_schools():
    return hbm.GroupedData.from_frame(
        hbm.load_gcse(), group="school", outcome="course", missing="drop"
    )


def test_gcse_schools_are_the_complete_cases(gcse_schools):
    assert (gcse_schools.n_obs, gcse_schools.n_groups) == (1725, 73)
    assert gcse_schools.group_sizes.min() == 1 and gcse_schools.group_sizes.max() == 94


def test_table_follows_the_closed_form(gcse_schools):
    sigma, tau, mu = 13.8, 8.9, 73.7
    table = hbm.pooling_estimates(gcse_schools, sigma=sigma, tau=tau, mu=mu)
    assert list(table.columns) == [
        "group",
        "n",
        "no_pooling",
        "complete_pooling",
        "shrinkage",
        "partial_pooling",
        "mu",
    ]
    n = gcse_schools.group_sizes
    ybar = gcse_schools.group_means
    expected_b = (sigma**2 / n) / (tau**2 + sigma**2 / n)
    np.testing.assert_allclose(table["shrinkage"], expected_b, rtol=1e-12)
    np.testing.assert_allclose(
        table["partial_pooling"], (1 - expected_b) * ybar + expected_b * mu, rtol=1e-12
    )
    np.testing.assert_array_equal(table["group"], gcse_schools.group_names)
    np.testing.assert_allclose(table["complete_pooling"], gcse_schools.outcome.mean())
    # Every partially pooled mean lies between the group's own mean and mu.
    low = np.minimum(ybar, mu) - 1e-9
    high = np.maximum(ybar, mu) + 1e-9
    assert ((table["partial_pooling"] >= low) & (table["partial_pooling"] <= high)).all()


def test_smaller_groups_shrink_more(gcse_schools):
    table = hbm.pooling_estimates(gcse_schools, sigma=13.8, tau=8.9)
    by_size = table.sort_values("n")
    assert by_size["shrinkage"].is_monotonic_decreasing
    assert table.loc[table["n"] == 1, "shrinkage"].iloc[0] > 0.5 > table["shrinkage"].min()


def test_limits_are_complete_and_no_pooling(gcse_schools):
    complete = hbm.pooling_estimates(gcse_schools, sigma=13.8, tau=0.0, mu=70.0)
    assert (complete["shrinkage"] == 1).all() and (complete["partial_pooling"] == 70.0).all()
    none = hbm.pooling_estimates(gcse_schools, sigma=13.8, tau=np.inf, mu=70.0)
    assert (none["shrinkage"] == 0).all()
    np.testing.assert_allclose(none["partial_pooling"], none["no_pooling"])
    default_mu = hbm.pooling_estimates(gcse_schools, sigma=13.8, tau=5.0)
    assert (default_mu["mu"] == default_mu["complete_pooling"]).all()


def test_bad_values_are_named(gcse_schools):
    with pytest.raises(hbm.WorkbookInputError, match="tau must be zero or positive, got -1"):
        hbm.pooling_estimates(gcse_schools, sigma=13.8, tau=-1.0)
    with pytest.raises(hbm.WorkbookInputError, match="sigma must be positive, got 0"):
        hbm.pooling_estimates(gcse_schools, sigma=0.0, tau=1.0)
    with pytest.raises(hbm.WorkbookInputError, match="mu must be a finite number, got nan"):
        hbm.pooling_estimates(gcse_schools, sigma=1.0, tau=1.0, mu=float("nan"))
    with pytest.raises(hbm.WorkbookInputError, match="mu must be a number, got 'centre'"):
        hbm.pooling_estimates(gcse_schools, sigma=1.0, tau=1.0, mu="centre")
    with pytest.raises(hbm.WorkbookInputError, match="expected GroupedData"):
        hbm.pooling_estimates(pd.DataFrame({"a": [1]}), sigma=1.0, tau=1.0)


def test_data_with_a_predictor_are_refused(radon_frame):
    data = hbm.GroupedData.from_frame(
        radon_frame, group="county", outcome="log_radon", predictor="floor"
    )
    with pytest.raises(hbm.WorkbookInputError, match="predictor 'floor'"):
        hbm.pooling_estimates(data, sigma=1.0, tau=1.0)


def test_moment_estimates_recover_known_scales():
    rng = np.random.default_rng(12)
    sizes = rng.integers(5, 60, size=200)
    group_means = rng.normal(50.0, 4.0, size=sizes.size)
    group = np.repeat(np.arange(sizes.size), sizes)
    y = group_means[group] + rng.normal(0, 10.0, size=group.size)
    data = hbm.GroupedData.from_frame(
        pd.DataFrame({"classroom": group, "score": y}), group="classroom", outcome="score"
    )
    rough = hbm.moment_estimates(data)
    assert rough["sigma"] == pytest.approx(10.0, rel=0.03)
    assert rough["tau"] == pytest.approx(4.0, rel=0.15)
    assert rough["mu"] == pytest.approx(y.mean())


def test_moment_estimates_floor_tau_at_zero():
    # Two groups whose means differ less than sampling noise alone would make them.
    frame = pd.DataFrame({"g": ["a"] * 3 + ["b"] * 3, "y": [0.0, 10.0, -10.0, 1.0, 11.0, -9.0]})
    rough = hbm.moment_estimates(hbm.GroupedData.from_frame(frame, group="g", outcome="y"))
    assert rough["tau"] == 0.0 and rough["sigma"] == pytest.approx(10.0)
    single = pd.DataFrame({"g": ["a", "b"], "y": [1.0, 2.0]})
    with pytest.raises(hbm.WorkbookInputError, match="single observation"):
        hbm.moment_estimates(hbm.GroupedData.from_frame(single, group="g", outcome="y"))
