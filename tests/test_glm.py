"""The hierarchical rate model, its helpers and the beta-binomial check, without sampling."""

from __future__ import annotations

import arviz as az
import numpy as np
import pandas as pd
import pytest
from scipy import optimize, special, stats

import hbm_widgets as hbm
from hbm_widgets.core.errors import DataValidationError, SpecificationError, WorkbookInputError


@pytest.fixture(scope="module")
def baseball():
    return hbm.load_baseball()


@pytest.fixture
def small():
    return pd.DataFrame({"team": ["a", "b", "c"], "wins": [3, 10, 0], "games": [10, 20, 5]})


@pytest.mark.parametrize(
    ("pooling", "parameterization", "free"),
    [
        ("partial", "non_centered", ["mu_alpha", "sigma_alpha", "z_alpha"]),
        ("partial", "centered", ["alpha", "mu_alpha", "sigma_alpha"]),
        ("none", "non_centered", ["alpha"]),
        ("complete", "non_centered", ["alpha"]),
    ],
)
def test_rate_model_variables(baseball, pooling, parameterization, free):
    model = hbm.build_rate_model(
        baseball,
        group="player",
        count="hits",
        size="at_bats",
        pooling=pooling,
        parameterization=parameterization,
    )
    assert sorted(v.name for v in model.free_RVs) == free
    assert model.named_vars_to_dims["hits"] == ("obs_id",)
    assert model["at_bats"].get_value().shape == (322,)
    if pooling == "complete":
        assert model["rate"].eval().shape == ()
    else:
        assert model.named_vars_to_dims["rate"] == ("player",)
        assert model["rate"].eval().shape == (322,)
    assert np.isfinite(model.compile_logp()(model.initial_point()))


def test_complete_pooling_log_density_is_the_binomial(small):
    model = hbm.build_rate_model(
        small, group="team", count="wins", size="games", pooling="complete"
    )
    point = {"alpha": -0.4}
    prior = hbm.rate_priors(small, count="wins", size="games")["alpha"].kwargs
    expected = (
        stats.norm(prior["mu"], prior["sigma"]).logpdf(-0.4)
        + stats.binom.logpmf(small["wins"], small["games"], special.expit(-0.4)).sum()
    )
    assert model.compile_logp()(point) == pytest.approx(expected)


def test_partial_pooling_log_likelihood_is_the_binomial(small):
    model = hbm.build_rate_model(small, group="team", count="wins", size="games")
    point = model.initial_point()
    point.update({"mu_alpha": -1.0, "sigma_alpha_log__": np.log(0.5), "z_alpha": [1.0, 0.0, -2.0]})
    likelihood = model.compile_logp(vars=model.observed_RVs)(point)
    p = special.expit(-1.0 + 0.5 * np.array([1.0, 0.0, -2.0]))
    assert likelihood == pytest.approx(stats.binom.logpmf(small["wins"], small["games"], p).sum())


def test_poisson_rates_use_the_exposure():
    frame = pd.DataFrame({"hospital": ["x", "y"], "deaths": [2, 9], "operations": [40.0, 300.0]})
    model = hbm.build_rate_model(
        frame, group="hospital", count="deaths", size="operations", family="poisson"
    )
    point = model.initial_point()
    point.update({"mu_alpha": -3.0, "sigma_alpha_log__": np.log(0.2), "z_alpha": [0.5, -0.5]})
    rates = np.exp(-3.0 + 0.2 * np.array([0.5, -0.5]))
    expected = stats.poisson.logpmf(frame["deaths"], frame["operations"] * rates).sum()
    assert model.compile_logp(vars=model.observed_RVs)(point) == pytest.approx(expected)
    prior = hbm.rate_priors(frame, count="deaths", size="operations", family="poisson")
    assert prior["mu_alpha"].kwargs == {"mu": float(f"{np.log(11 / 340):.2g}"), "sigma": 2.0}


def test_default_priors_centre_on_the_pooled_rate(baseball):
    priors = hbm.rate_priors(baseball, count="hits", size="at_bats")
    pooled = baseball["hits"].sum() / baseball["at_bats"].sum()
    # The log-odds of the pooled rate, to two significant figures: logit(0.265) = -1.02.
    assert priors["mu_alpha"].kwargs["mu"] == float(f"{special.logit(pooled):.2g}") == -1.0
    assert priors["mu_alpha"].kwargs["sigma"] == 1.5
    assert str(priors["sigma_alpha"]) == "HalfNormal(sigma=1)"


def test_prior_overrides(small):
    model = hbm.build_rate_model(
        small,
        group="team",
        count="wins",
        size="games",
        priors={"sigma_alpha": hbm.Prior("Exponential", lam=5)},
    )
    assert model["sigma_alpha"].owner.op.name == "exponential"


@pytest.mark.parametrize(
    ("change", "kwargs", "error", "message"),
    [
        (lambda f: f.assign(wins=[3, 30, 0]), {}, DataValidationError, r"row 1 has 30 successes"),
        (lambda f: f.assign(wins=[3, -1, 0]), {}, DataValidationError, r"whole numbers >= 0"),
        (lambda f: f.assign(wins=[3, 1.5, 0]), {}, DataValidationError, r"got 1.5 \(row 1\)"),
        (
            lambda f: f.assign(games=[10, 0, 5]),
            {},
            DataValidationError,
            r"'games' must be positive",
        ),
        (lambda f: f.assign(team="a"), {}, DataValidationError, r"at least two groups"),
        (lambda f: f.drop(columns="games"), {}, DataValidationError, r"size column 'games'"),
        (lambda f: f, {"family": "normal"}, SpecificationError, r"unknown family 'normal'"),
        (lambda f: f, {"pooling": "some"}, SpecificationError, r"unknown pooling 'some'"),
        (
            lambda f: f,
            {"priors": {"alpha": hbm.Prior("Normal", mu=0, sigma=1)}},
            SpecificationError,
            r"no parameter called 'alpha' takes a prior under pooling='partial'",
        ),
        (
            lambda f: f,
            {"priors": {"sigma_alpha": hbm.Prior("Normal", mu=0, sigma=1)}},
            SpecificationError,
            r"'sigma_alpha' needs a prior on positive values",
        ),
    ],
)
def test_rate_model_names_the_problem(small, change, kwargs, error, message):
    with pytest.raises(error, match=message):
        hbm.build_rate_model(change(small), group="team", count="wins", size="games", **kwargs)


def test_empirical_bayes_maximises_the_beta_binomial_likelihood(baseball):
    y, n = baseball["hits"].to_numpy(), baseball["at_bats"].to_numpy()
    fit = hbm.beta_binomial_empirical_bayes(y, n)

    def log_marginal(a, b):
        return stats.betabinom.logpmf(y, n, a, b).sum()

    best = log_marginal(fit.a, fit.b)
    for factor_a, factor_b in [(1.05, 1.0), (0.95, 1.0), (1.0, 1.05), (1.0, 0.95), (1.05, 1.05)]:
        assert best >= log_marginal(fit.a * factor_a, fit.b * factor_b)
    # The same optimum found independently, on the (mean, size) scale.
    result = optimize.minimize_scalar(
        lambda s: -log_marginal(fit.prior_mean * s, (1 - fit.prior_mean) * s),
        bounds=(10, 5000),
        method="bounded",
    )
    assert fit.prior_size == pytest.approx(result.x, rel=0.01)
    np.testing.assert_allclose(fit.posterior_mean, (fit.a + y) / (fit.a + fit.b + n))
    assert fit.prior_mean == pytest.approx(fit.a / (fit.a + fit.b))


def test_empirical_bayes_refuses_impossible_counts():
    with pytest.raises(WorkbookInputError, match="same length"):
        hbm.beta_binomial_empirical_bayes([1, 2], [3])
    with pytest.raises(WorkbookInputError, match="0 <= successes <= trials"):
        hbm.beta_binomial_empirical_bayes([1, 5], [3, 4])


def _fake_rate_fit(rates, mu_alpha):
    draws = (
        np.asarray(rates, dtype=float)[None, None, :] + np.linspace(-0.05, 0.05, 101)[None, :, None]
    )
    return az.from_dict(
        {"posterior": {"rate": draws, "mu_alpha": np.full((1, 101), mu_alpha)}},
        coords={"team": ["a", "b", "c"]},
        dims={"rate": ["team"]},
    )


def test_pooled_rates_table(small):
    idata = _fake_rate_fit([0.35, 0.45, 0.2], mu_alpha=special.logit(0.4))
    table = hbm.pooled_rates(idata, small, group="team", count="wins", size="games", prob=0.9)
    np.testing.assert_allclose(table["raw_rate"], [0.3, 0.5, 0.0])
    np.testing.assert_allclose(table["pooled_rate"], [0.35, 0.45, 0.2])
    np.testing.assert_allclose(table["upper"] - table["lower"], 0.09, atol=1e-9)
    # Shrinkage: the share of the way from the raw rate to the population rate (0.4).
    np.testing.assert_allclose(table["shrinkage"], [0.5, 0.5, 0.5])
    assert hbm.population_rate(idata) == pytest.approx(0.4)
    assert hbm.population_rate(idata, "poisson") == pytest.approx(np.exp(special.logit(0.4)))
    with pytest.raises(WorkbookInputError, match="prob must be between 0 and 1"):
        hbm.pooled_rates(idata, small, group="team", count="wins", size="games", prob=0)


def test_raw_vs_pooled_chart(small):
    table = hbm.pooled_rates(
        _fake_rate_fit([0.35, 0.45, 0.2], mu_alpha=-0.4),
        small,
        group="team",
        count="wins",
        size="games",
    )
    spec = hbm.plot_raw_vs_pooled_rates(table, group="team", population_rate=0.4).to_dict()
    links, points, centre = spec["layer"]
    assert links["encoding"]["x"]["scale"]["type"] == "log"
    assert links["encoding"]["y"]["field"] == "raw_rate"
    assert links["encoding"]["y2"]["field"] == "pooled_rate"
    assert points["encoding"]["color"]["scale"]["domain"] == ["raw rate", "partially pooled"]
    assert points["transform"][0]["fold"] == ["raw_rate", "pooled_rate"]
    rows = spec["datasets"][spec["data"]["name"]] if "data" in spec else None
    rows = rows or spec["datasets"][links["data"]["name"]]
    assert [r["n"] for r in rows] == [10, 20, 5]
    assert spec["datasets"][centre["data"]["name"]] == [{"population_rate": 0.4}]
    with pytest.raises(WorkbookInputError, match=r"lack column\(s\) \['pooled_rate'\]"):
        hbm.plot_raw_vs_pooled_rates(table.drop(columns="pooled_rate"), group="team")


def test_pumps_are_counts_with_an_exposure():
    pumps = hbm.load_pumps()
    assert list(pumps.columns) == ["pump", "failures", "thousand_hours"]
    assert pumps["failures"].tolist() == [5, 1, 5, 14, 3, 19, 1, 1, 4, 22]
    assert pumps["thousand_hours"].sum() == pytest.approx(350.24)
    model = hbm.build_rate_model(
        pumps, group="pump", count="failures", size="thousand_hours", family="poisson"
    )
    assert model.named_vars_to_dims["rate"] == ("pump",)
