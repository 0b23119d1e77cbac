"""Metropolis-Hastings and the Monte Carlo helpers, checked against known answers."""

from __future__ import annotations

import math

import arviz as az
import numpy as np
import pytest
from scipy import stats

import hbm_widgets as hbm


def standard_normal(x: float) -> float:
    return -0.5 * x * x


@pytest.fixture(scope="module")
def long_chain():
    return hbm.metropolis_hastings(
        standard_normal, 3.0, proposal_sd=2.4, steps=40_000, rng=np.random.default_rng(2024)
    )


def test_result_shapes_and_bookkeeping(long_chain):
    result = long_chain
    assert isinstance(result, hbm.MetropolisResult)
    assert result.draws.shape == (40_000,) and result.draws.dtype == float
    assert result.accepted.shape == (40_000,) and result.accepted.dtype == bool
    assert result.acceptance_rate == pytest.approx(result.accepted.mean())
    # The chain moves exactly on the accepted steps (a continuous proposal never repeats).
    moved = np.concatenate([[result.draws[0] != 3.0], np.diff(result.draws) != 0])
    np.testing.assert_array_equal(moved, result.accepted)
    with pytest.raises(AttributeError):
        result.acceptance_rate = 0.5  # frozen


def test_long_chain_has_the_target_mean_and_variance(long_chain):
    draws = long_chain.draws[1000:]
    idata = hbm.chains_to_idata(long_chain, warmup=1000)
    mcse_mean = float(az.mcse(idata)["mu"])
    mcse_sd = float(az.mcse(idata, method="sd")["mu"])
    assert abs(draws.mean()) < 4 * mcse_mean
    assert abs(draws.std() - 1.0) < 4 * mcse_sd
    # The MCSE is that of a correlated chain: larger than an independent sample's.
    assert mcse_mean > draws.std() / math.sqrt(draws.size)
    # Tails too: about 5 % of a standard normal lies beyond +-1.96.
    assert np.mean(np.abs(draws) > 1.96) == pytest.approx(0.05, abs=0.01)


def test_same_seed_same_chain_and_another_seed_another():
    def run(seed):
        return hbm.metropolis_hastings(
            standard_normal, 0.0, proposal_sd=1.0, steps=200, rng=np.random.default_rng(seed)
        ).draws

    np.testing.assert_array_equal(run(1), run(1))
    assert not np.array_equal(run(1), run(2))


def test_acceptance_rate_falls_as_the_proposal_widens():
    rates = [
        hbm.metropolis_hastings(
            standard_normal, 0.0, proposal_sd=sd, steps=4000, rng=np.random.default_rng(5)
        ).acceptance_rate
        for sd in (0.1, 1.0, 5.0, 25.0)
    ]
    assert rates == sorted(rates, reverse=True) and len(set(rates)) == 4
    assert rates[0] > 0.9 and rates[-1] < 0.1


def test_zero_density_is_never_entered():
    def half_normal(x):
        return -0.5 * x * x if x >= 0 else -math.inf

    result = hbm.metropolis_hastings(
        half_normal, 1.0, proposal_sd=1.0, steps=5000, rng=np.random.default_rng(3)
    )
    assert result.draws.min() >= 0
    assert result.draws.mean() == pytest.approx(math.sqrt(2 / math.pi), abs=0.1)


def test_only_ratios_of_the_target_matter():
    """Adding a constant to the log target (a normalising constant) changes nothing."""

    def run(constant):
        return hbm.metropolis_hastings(
            lambda x: standard_normal(x) + constant,
            0.5,
            proposal_sd=1.0,
            steps=300,
            rng=np.random.default_rng(9),
        ).draws

    np.testing.assert_allclose(run(0.0), run(123.4))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"proposal_sd": 0}, "proposal_sd must be positive, got 0"),
        ({"proposal_sd": -1.5}, "proposal_sd must be positive, got -1.5"),
        ({"proposal_sd": float("nan")}, "proposal_sd must be a finite number, got nan"),
        ({"proposal_sd": "wide"}, "proposal_sd must be a number, got 'wide'"),
        ({"steps": 0}, r"steps must be a whole number >= 1, got 0"),
        ({"steps": 2.5}, r"steps must be a whole number >= 1, got 2.5"),
        ({"steps": True}, r"steps must be a whole number >= 1, got True"),
        ({"start": float("inf")}, "start must be a finite number, got inf"),
        ({"start": float("nan")}, "start must be a finite number, got nan"),
        ({"start": None}, "start must be a number, got None"),
        ({"rng": np.random.RandomState(1)}, "rng must be a numpy.random.Generator"),
        ({"log_target": 3.0}, "log_target must be a function, got 3.0"),
        (
            {"log_target": lambda x: -math.inf},
            r"the target has no positive density at start=0",
        ),
    ],
)
def test_bad_inputs_are_named(kwargs, message):
    arguments = {
        "log_target": standard_normal,
        "start": 0.0,
        "proposal_sd": 1.0,
        "steps": 10,
        "rng": np.random.default_rng(0),
        **kwargs,
    }
    log_target, start = arguments.pop("log_target"), arguments.pop("start")
    with pytest.raises(hbm.WorkbookInputError, match=message):
        hbm.metropolis_hastings(log_target, start, **arguments)


def test_numpy_numbers_are_accepted():
    result = hbm.metropolis_hastings(
        standard_normal,
        np.float64(0.0),
        proposal_sd=np.float32(1.0),
        steps=np.int64(5),
        rng=np.random.default_rng(0),
    )
    assert result.draws.shape == (5,)


def test_log_posterior_differs_from_the_exact_one_by_a_constant():
    args = (1.0, 4.0, 15.0, 20, 8.0)
    exact = hbm.conjugate_normal_posterior(*args)
    log_post = hbm.normal_mean_log_posterior(*args)
    grid = np.linspace(exact.mean - 3 * exact.sd, exact.mean + 3 * exact.sd, 7)
    offset = np.array([log_post(m) for m in grid]) - stats.norm(exact.mean, exact.sd).logpdf(grid)
    np.testing.assert_allclose(offset, offset[0], atol=1e-10)
    # A flat prior leaves the likelihood alone; no data leaves the prior alone.
    flat = hbm.normal_mean_log_posterior(0.0, np.inf, 15.0, 20, 8.0)
    assert flat(8.0) - flat(8.0 + 15 / math.sqrt(20)) == pytest.approx(0.5)
    prior_only = hbm.normal_mean_log_posterior(1.0, 4.0, 15.0, 0, None)
    assert prior_only(1.0) - prior_only(5.0) == pytest.approx(0.5)
    with pytest.raises(hbm.WorkbookInputError, match="sigma must be positive"):
        hbm.normal_mean_log_posterior(0, 1, -1, 5, 0.0)


def test_metropolis_reproduces_the_conjugate_posterior():
    args = (0.0, 10.0, 15.0, 20, 8.27)
    exact = hbm.conjugate_normal_posterior(*args)
    chains = [
        hbm.metropolis_hastings(
            hbm.normal_mean_log_posterior(*args),
            start,
            proposal_sd=6.0,
            steps=6000,
            rng=np.random.default_rng(seed),
        )
        for seed, start in enumerate((-30.0, 0.0, 30.0, 50.0))
    ]
    idata = hbm.chains_to_idata(chains, warmup=500)
    summary = az.summary(idata, round_to="none")
    assert summary.loc["mu", "r_hat"] < 1.01
    assert abs(summary.loc["mu", "mean"] - exact.mean) < 4 * summary.loc["mu", "mcse_mean"]
    assert summary.loc["mu", "sd"] == pytest.approx(exact.sd, rel=0.05)


def test_monte_carlo_error_falls_like_one_over_root_n():
    posterior = hbm.NormalPosterior(mean=7.4, sd=3.2, data_weight=0.9)
    errors = hbm.monte_carlo_errors(
        posterior,
        sample_sizes=[10, 100, 1000, 10_000],
        repeats=100,
        rng=np.random.default_rng(1),
        threshold=5.0,
    )
    assert list(errors.columns) == ["quantity", "n", "exact", "mean_estimate", "rmse", "predicted"]
    assert set(errors["quantity"]) == {"posterior mean", "P(μ > 5)"}
    by_quantity = dict(tuple(errors.groupby("quantity")))
    mean_rows = by_quantity["posterior mean"]
    np.testing.assert_allclose(mean_rows["predicted"], 3.2 / np.sqrt(mean_rows["n"]))
    assert (mean_rows["exact"] == 7.4).all()
    p = stats.norm(7.4, 3.2).sf(5.0)
    np.testing.assert_allclose(by_quantity["P(μ > 5)"]["exact"], p)
    for rows in by_quantity.values():
        assert hbm.log_log_slope(rows["n"], rows["rmse"]) == pytest.approx(-0.5, abs=0.06)
        # With 100 repeats the RMS error is within about 15 % of the standard error.
        np.testing.assert_allclose(rows["rmse"], rows["predicted"], rtol=0.25)


def test_monte_carlo_errors_refuses_bad_settings():
    posterior = hbm.NormalPosterior(0.0, 1.0, 1.0)
    rng = np.random.default_rng(0)
    with pytest.raises(hbm.WorkbookInputError, match="each sample size must be a whole number"):
        hbm.monte_carlo_errors(posterior, sample_sizes=[10, 0], repeats=5, rng=rng)
    with pytest.raises(hbm.WorkbookInputError, match="repeats must be a whole number >= 2"):
        hbm.monte_carlo_errors(posterior, sample_sizes=[10], repeats=1, rng=rng)
    with pytest.raises(hbm.WorkbookInputError, match="at least one size"):
        hbm.monte_carlo_errors(posterior, sample_sizes=[], repeats=5, rng=rng)


def test_log_log_slope():
    n = np.array([10, 100, 1000, 10_000])
    assert hbm.log_log_slope(n, 3.0 * n**-0.5) == pytest.approx(-0.5)
    assert hbm.log_log_slope(n, 2.0 * n**1.5) == pytest.approx(1.5)
    with pytest.raises(hbm.WorkbookInputError, match="positive"):
        hbm.log_log_slope([1, 10], [0.0, 1.0])
    with pytest.raises(hbm.WorkbookInputError, match="two or more"):
        hbm.log_log_slope([10], [1.0])


def test_chains_to_idata_drops_warmup_and_checks_lengths():
    chains = [
        hbm.metropolis_hastings(
            standard_normal, 0.0, proposal_sd=1.0, steps=50, rng=np.random.default_rng(s)
        )
        for s in range(3)
    ]
    idata = hbm.chains_to_idata(chains, warmup=10, var_name="theta")
    assert idata.posterior["theta"].shape == (3, 40)
    np.testing.assert_array_equal(idata.posterior["theta"].values[1], chains[1].draws[10:])
    np.testing.assert_array_equal(idata.sample_stats["accepted"].values[2], chains[2].accepted[10:])
    with pytest.raises(hbm.WorkbookInputError, match="warmup must be fewer than the 50 steps"):
        hbm.chains_to_idata(chains, warmup=50)
    short = hbm.metropolis_hastings(
        standard_normal, 0.0, proposal_sd=1.0, steps=20, rng=np.random.default_rng(0)
    )
    with pytest.raises(hbm.WorkbookInputError, match=r"equal lengths, got \[20, 50\]"):
        hbm.chains_to_idata([*chains, short])
    with pytest.raises(hbm.WorkbookInputError, match="MetropolisResult"):
        hbm.chains_to_idata([np.zeros(5)])


def test_trace_frame_thins_long_chains_and_keeps_the_ends():
    chains = [
        hbm.metropolis_hastings(
            standard_normal, 0.0, proposal_sd=1.0, steps=10_000, rng=np.random.default_rng(s)
        )
        for s in range(2)
    ]
    trace = hbm.trace_frame(chains, max_points=1000)
    assert len(trace) <= 1000 and set(trace["chain"]) == {0, 1}
    first = trace[trace["chain"] == 1]
    assert first["step"].iloc[0] == 1 and first["step"].iloc[-1] == 10_000
    assert first["value"].iloc[-1] == chains[1].draws[-1]
    short = hbm.trace_frame(chains[0].__class__(np.arange(5.0), np.ones(5, bool), 1.0))
    assert short["step"].tolist() == [1, 2, 3, 4, 5]


def test_histogram_and_density_frames_integrate_to_one():
    draws = np.random.default_rng(0).normal(2.0, 0.5, size=5000)
    histogram = hbm.histogram_frame(draws, bins=30)
    widths = histogram["bin_end"] - histogram["bin_start"]
    assert float((histogram["density"] * widths).sum()) == pytest.approx(1.0)
    density = hbm.normal_density_frame(2.0, 0.5, points=2001)
    assert np.trapezoid(density["density"], density["value"]) == pytest.approx(1.0, abs=1e-3)
    assert density["value"].iloc[0] == pytest.approx(0.0)
    with pytest.raises(hbm.WorkbookInputError, match="sd must be positive, got 0"):
        hbm.normal_density_frame(0.0, 0.0)
    with pytest.raises(hbm.WorkbookInputError, match="at least one draw"):
        hbm.histogram_frame([])
