"""A Poisson formula model fitted through hbm.sample: its pooled counterpart against
statsmodels' Poisson GLM, the varying-intercept model against the simulation's truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

import hbm_widgets as hbm

pytestmark = pytest.mark.slow

TRUTH = {"Intercept": 0.3, "temperature": 0.15, "1|site_sigma": 0.5}


@pytest.fixture(scope="module")
def visits() -> pd.DataFrame:
    """25 sites each counted on 12 days: birds seen, against the day's temperature."""
    rng = np.random.default_rng(29)
    sites, days = 25, 12
    site = np.repeat(np.arange(sites), days)
    temperature = rng.normal(8, 3, sites * days)  # far from 0: the intercept is extrapolated
    site_effect = rng.normal(0, TRUTH["1|site_sigma"], sites)
    log_rate = TRUTH["Intercept"] + TRUTH["temperature"] * temperature + site_effect[site]
    frame = pd.DataFrame(
        {
            "birds": rng.poisson(np.exp(log_rate)),
            "temperature": temperature,
            "site": [f"site {i:02d}" for i in site],
        }
    )
    # What the data can reveal of sigma is the spread of the 25 effects actually drawn.
    frame.attrs["site_effects_sd"] = float(np.std(site_effect, ddof=1))
    return frame


@pytest.fixture(scope="module")
def varying_fit(visits) -> hbm.FormulaFit:
    model = hbm.FormulaModel.from_formula(
        "birds ~ temperature + (1 | site)", visits, family="poisson"
    )
    return model.fit(random_seed=5, draws=1000, chains=4)


@pytest.fixture(scope="module")
def pooled_fit(varying_fit) -> hbm.FormulaFit:
    return varying_fit.model.pooled().fit(random_seed=5, draws=500, chains=2)


def test_pooled_poisson_matches_the_glm(pooled_fit, visits):
    assert pooled_fit.model.formula == "birds ~ temperature"
    glm = smf.glm("birds ~ temperature", visits, family=sm.families.Poisson()).fit()
    summary = pooled_fit.summary().set_index("parameter")
    # 300 counts averaging about 5: the likelihood dominates the weak default priors, so
    # the posterior mean lies within Monte Carlo error (about 0.05 of a standard error at
    # several hundred effective draws) of the maximum-likelihood estimate, and the
    # posterior SD within a tenth of its standard error.
    for name in ("Intercept", "temperature"):
        estimate, error = glm.params[name], glm.bse[name]
        assert abs(summary.loc[name, "mean"] - estimate) < 0.25 * error, name
        assert summary.loc[name, "sd"] == pytest.approx(error, rel=0.1), name
    report = pooled_fit.convergence()
    assert report.max_rhat < 1.01 and report.divergences == 0


def test_varying_intercepts_recover_the_truth(varying_fit, visits):
    report = varying_fit.convergence()
    assert report.ok, report.warnings()
    summary = varying_fit.summary().set_index("parameter")
    assert list(summary.index) == ["Intercept", "temperature", "1|site_sigma"]
    # Each true value inside its 94% interval (the seed is fixed, so the draws are too); for
    # the group SD the spread of the site effects drawn (0.40 where sigma is 0.5).
    truth = {**TRUTH, "1|site_sigma": visits.attrs["site_effects_sd"]}
    for name, true_value in truth.items():
        assert summary.loc[name, "hdi_low"] < true_value < summary.loc[name, "hdi_high"], name


def test_loo_prefers_varying_intercepts_for_sites_that_differ(varying_fit, pooled_fit):
    table = hbm.compare_with_pooled(varying_fit, pooled_fit)
    assert list(table.index) == ["birds ~ temperature + (1 | site)", "birds ~ temperature"]
    # Sites differ by a factor of exp(0.5) in rate: ignoring that costs many times the
    # standard error of the difference.
    assert -table.iloc[1]["elpd_diff"] > 4 * table.iloc[1]["dse"]
