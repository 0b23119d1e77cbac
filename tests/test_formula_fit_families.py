"""The binomial (in brms's spelling) and negative binomial families fitted through hbm.sample,
against statsmodels' maximum-likelihood fits of the same models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

import hbm_widgets as hbm

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shops() -> pd.DataFrame:
    """300 shop-days: of 20 visitors how many bought, and how many complaints came in
    (overdispersed counts), against the number of staff on duty."""
    rng = np.random.default_rng(17)
    n = 300
    staff = rng.integers(1, 7, n).astype(float)
    bought = rng.binomial(20, 1 / (1 + np.exp(-(-1.0 + 0.3 * staff))))
    mean_complaints = np.exp(1.5 - 0.2 * staff)
    # Negative binomial with PyMC's alpha = 2 (variance mu + mu^2 / alpha).
    complaints = rng.poisson(rng.gamma(2.0, mean_complaints / 2.0))
    return pd.DataFrame(
        {"bought": bought, "visitors": 20, "complaints": complaints, "staff": staff}
    )


@pytest.fixture(scope="module")
def binomial_fit(shops) -> hbm.FormulaFit:
    model = hbm.FormulaModel.from_formula(
        "bought | trials(visitors) ~ staff", shops, family="binomial"
    )
    return model.fit(random_seed=11, draws=500, chains=2)


@pytest.fixture(scope="module")
def negative_binomial_fit(shops) -> hbm.FormulaFit:
    model = hbm.FormulaModel.from_formula("complaints ~ staff", shops, family="negativebinomial")
    return model.fit(random_seed=11, draws=500, chains=2)


def assert_close_to_mle(summary: pd.DataFrame, estimates: dict, errors: dict) -> None:
    """Posterior mean within a quarter of a standard error of the maximum-likelihood estimate
    and posterior SD within 15% of the standard error: with 300 rows the weak default
    priors move the posterior by a few hundredths of a standard error, Monte Carlo error
    at several hundred effective draws is about 0.05 of one, and a posterior's mean and
    sd differ from the likelihood's mode and curvature by terms of order 1/sqrt(n)."""
    for name, estimate in estimates.items():
        assert abs(summary.loc[name, "mean"] - estimate) < 0.25 * errors[name], name
        assert summary.loc[name, "sd"] == pytest.approx(errors[name], rel=0.15), name


def test_binomial_in_brms_spelling_matches_the_glm_of_successes_and_failures(binomial_fit, shops):
    assert binomial_fit.model.formula == "p(bought, visitors) ~ staff"
    outcome = np.column_stack([shops["bought"], shops["visitors"] - shops["bought"]])
    glm = sm.GLM(outcome, sm.add_constant(shops["staff"]), family=sm.families.Binomial()).fit()
    summary = binomial_fit.summary().set_index("parameter")
    assert summary["kind"].tolist() == ["common", "common"]
    assert_close_to_mle(
        summary,
        {"Intercept": glm.params["const"], "staff": glm.params["staff"]},
        {"Intercept": glm.bse["const"], "staff": glm.bse["staff"]},
    )
    report = binomial_fit.convergence()
    assert report.max_rhat < 1.01 and report.divergences == 0


def test_negative_binomial_matches_statsmodels(negative_binomial_fit, shops):
    mle = smf.negativebinomial("complaints ~ staff", shops).fit(disp=0)
    summary = negative_binomial_fit.summary().set_index("parameter")
    assert summary["kind"].tolist() == ["common", "common", "auxiliary"]
    assert_close_to_mle(
        summary,
        {"Intercept": mle.params["Intercept"], "staff": mle.params["staff"]},
        {"Intercept": mle.bse["Intercept"], "staff": mle.bse["staff"]},
    )
    # statsmodels' alpha is the variance's coefficient on mu^2, PyMC's its reciprocal; the
    # posterior of a dispersion is skewed, so its median is set against the estimate, to
    # within the delta-method standard error of 1 / alpha.
    alpha = negative_binomial_fit.idata.posterior["alpha"].to_numpy()
    inverse_error = mle.bse["alpha"] / mle.params["alpha"] ** 2
    assert abs(np.median(alpha) - 1 / mle.params["alpha"]) < 0.5 * inverse_error
    report = negative_binomial_fit.convergence()
    assert report.max_rhat < 1.01 and report.divergences == 0


def test_draws_become_a_fit_once(shops, binomial_fit):
    model = hbm.FormulaModel.from_formula("complaints ~ staff", shops, family="negativebinomial")
    with pytest.raises(hbm.WorkbookInputError, match="already a FormulaFit's"):
        binomial_fit.model.as_fit(binomial_fit.idata)
    with pytest.raises(hbm.WorkbookInputError, match="not of this model: they lack alpha"):
        model.as_fit(binomial_fit.idata)
    with pytest.raises(hbm.WorkbookInputError, match="no log_likelihood group"):
        model.as_fit(binomial_fit.idata.drop_nodes("log_likelihood"))
