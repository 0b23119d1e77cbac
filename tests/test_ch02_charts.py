"""Chapter 02's two-dimensional target: the random walk in several dimensions, the target's
ellipse, and the chart of the samplers' paths."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest
from scipy import stats

import hbm_widgets as hbm

COV = np.array([[1.0, 0.9], [0.9, 1.0]])
PRECISION = np.linalg.inv(COV)


def log_target(theta):
    return -0.5 * theta @ PRECISION @ theta


def test_one_dimensional_chains_are_unchanged_by_the_vector_form():
    # A float start draws one standard normal per step, exactly as before.
    def reference(seed, steps=200):
        rng, current, draws = np.random.default_rng(seed), 0.5, []
        for _ in range(steps):
            candidate = current + 1.3 * rng.standard_normal()
            if np.log(rng.uniform()) < -0.5 * candidate**2 + 0.5 * current**2:
                current = candidate
            draws.append(current)
        return np.array(draws)

    chain = hbm.metropolis_hastings(
        lambda x: -0.5 * x * x, 0.5, proposal_sd=1.3, steps=200, rng=np.random.default_rng(4)
    )
    assert chain.draws.shape == (200,)
    np.testing.assert_allclose(chain.draws, reference(4))


def test_a_chain_in_two_dimensions_has_the_targets_moments():
    chains = [
        hbm.metropolis_hastings(log_target, start, proposal_sd=0.5, steps=6000, rng=rng)
        for start, rng in zip(
            ([-1.0, -1.0], [1.0, 1.0]), np.random.default_rng(7).spawn(2), strict=True
        )
    ]
    assert chains[0].draws.shape == (6000, 2)
    # The chain moves on accepted steps only, in both coordinates at once.
    moved = np.any(np.diff(chains[0].draws, axis=0) != 0, axis=1)
    np.testing.assert_array_equal(moved, chains[0].accepted[1:])
    idata = hbm.chains_to_idata(
        chains, warmup=500, var_name="theta", dim="coordinate", labels=["1", "2"]
    )
    theta = idata.posterior["theta"]
    assert theta.dims == ("chain", "draw", "coordinate")
    assert theta["coordinate"].values.tolist() == ["1", "2"]
    draws = theta.values.reshape(-1, 2)
    mcse = az.mcse(idata)["theta"].values
    assert np.all(np.abs(draws.mean(axis=0)) < 4 * mcse)
    assert np.corrcoef(draws.T)[0, 1] == pytest.approx(0.9, abs=0.05)


def test_vector_starts_are_checked():
    rng = np.random.default_rng(0)
    with pytest.raises(hbm.WorkbookInputError, match="flat list of numbers"):
        hbm.metropolis_hastings(log_target, [[0.0, 0.0]], proposal_sd=1.0, steps=5, rng=rng)
    with pytest.raises(hbm.WorkbookInputError, match="finite numbers"):
        hbm.metropolis_hastings(log_target, [0.0, np.nan], proposal_sd=1.0, steps=5, rng=rng)
    with pytest.raises(hbm.WorkbookInputError, match=r"start=\[0.0, 0.0\]"):
        hbm.metropolis_hastings(
            lambda theta: -np.inf, [0.0, 0.0], proposal_sd=1.0, steps=5, rng=rng
        )


def test_ellipse_holds_the_asked_for_probability():
    frame = hbm.normal_ellipse_frame([1.0, -1.0], COV, mass=0.95, points=60)
    assert list(frame.columns) == ["order", "x", "y"] and len(frame) == 61
    offsets = frame[["x", "y"]].to_numpy() - [1.0, -1.0]
    distance = np.einsum("ij,jk,ik->i", offsets, PRECISION, offsets)
    np.testing.assert_allclose(distance, stats.chi2(2).ppf(0.95))
    np.testing.assert_allclose(frame.iloc[0][["x", "y"]], frame.iloc[-1][["x", "y"]])
    with pytest.raises(hbm.WorkbookInputError, match="positive definite"):
        hbm.normal_ellipse_frame([0, 0], [[1, 2], [2, 1]])
    with pytest.raises(hbm.WorkbookInputError, match="mass"):
        hbm.normal_ellipse_frame([0, 0], COV, mass=1.0)


def fit(seed, chains=2, draws=80):
    rng = np.random.default_rng(seed)
    values = rng.multivariate_normal([0, 0], COV, size=(chains, draws))
    return az.from_dict({"posterior": {"theta": values}}, dims={"theta": ["coordinate"]})


def test_sampler_paths_chart_draws_a_panel_per_fit():
    ellipse = hbm.normal_ellipse_frame([0, 0], COV)
    chart = hbm.plot_sampler_paths(
        {"walk": fit(1), "NUTS": fit(2)}, var_name="theta", steps=30, ellipse=ellipse, title="T"
    )
    spec = chart.to_dict()
    assert spec["title"] == "T"
    panels = spec["hconcat"]
    assert [p["title"] for p in panels] == ["walk: first 30 draws", "NUTS: first 30 draws"]
    assert [layer["mark"]["type"] for layer in panels[0]["layer"]] == ["line", "line", "circle"]
    # The path is drawn in the order of the draws; the chain's first 30 draws, from chain 0.
    path = panels[0]["layer"][1]
    assert path["encoding"]["order"]["field"] == "step"
    rows = spec["datasets"][path["data"]["name"]]
    np.testing.assert_allclose(
        [row["x"] for row in rows], fit(1).posterior["theta"].values[0, :30, 0]
    )
    # Both panels share one scale, so the two paths can be compared by eye.
    assert (
        panels[0]["layer"][1]["encoding"]["x"]["scale"]
        == (panels[1]["layer"][1]["encoding"]["x"]["scale"])
    )


def test_sampler_paths_chart_refuses_what_it_cannot_draw():
    scalar = az.from_dict({"posterior": {"mu": np.zeros((2, 10))}})
    with pytest.raises(hbm.WorkbookInputError, match="two numbers per draw"):
        hbm.plot_sampler_paths({"a": scalar}, var_name="mu")
    with pytest.raises(hbm.WorkbookInputError, match="no variable"):
        hbm.plot_sampler_paths({"a": fit(1)}, var_name="beta")
    with pytest.raises(hbm.WorkbookInputError, match="chain must be"):
        hbm.plot_sampler_paths({"a": fit(1)}, var_name="theta", chain=5)
    with pytest.raises(hbm.WorkbookInputError, match="at least one fit"):
        hbm.plot_sampler_paths({}, var_name="theta")
