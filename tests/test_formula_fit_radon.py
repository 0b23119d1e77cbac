"""The radon survey's varying-intercept model written as a formula and fitted at the
workbook's default settings, against statsmodels' MixedLM: what a report would show."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.formula.api as smf

import hbm_widgets as hbm

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def radon():
    return hbm.load_radon()


@pytest.fixture(scope="module")
def fit(radon) -> hbm.FormulaFit:
    formula = hbm.formula_from_roles(outcome="log_radon", group="county", predictor="floor")
    return hbm.FormulaModel.from_formula(formula, radon).fit(random_seed=1)


def test_default_settings_give_a_clean_fit(fit):
    report = fit.convergence()
    assert report.ok, report.warnings()
    assert (report.chains, report.draws) == (4, 1000)


def test_estimates_match_mixedlm(fit, radon):
    mixedlm = smf.mixedlm("log_radon ~ floor", radon, groups=radon["county"]).fit(reml=True)
    summary = fit.summary().set_index("parameter")
    # 919 houses: the weak default priors barely move the posterior, and at 1500 effective
    # draws or more Monte Carlo error is about 0.03 of a posterior SD, so each posterior
    # mean lies within a fifth of a standard error of REML's estimate; the county SD's
    # posterior, from 85 counties, is a little skewed (its mean above REML's mode): a
    # quarter of its posterior SD.
    for name in ("Intercept", "floor"):
        estimate, error = mixedlm.fe_params[name], mixedlm.bse_fe[name]
        assert abs(summary.loc[name, "mean"] - estimate) < 0.2 * error, name
    for name, estimate in (
        ("1|county_sigma", float(np.sqrt(mixedlm.cov_re.iloc[0, 0]))),
        ("sigma", float(np.sqrt(mixedlm.scale))),
    ):
        assert abs(summary.loc[name, "mean"] - estimate) < 0.25 * summary.loc[name, "sd"], name
