"""A normal formula model fitted through hbm.sample, against statsmodels' MixedLM on the same
simulated data, and compared with its complete-pooling counterpart by LOO."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import hbm_widgets as hbm

pytestmark = pytest.mark.slow

FORMULA = "reaction ~ days + (1 + days | subject)"


@pytest.fixture(scope="module")
def sleep() -> pd.DataFrame:
    """A sleep-deprivation study's shape: 18 subjects' reaction times over days 0-9, each
    subject with its own intercept and slope (drawn independently, as Bambi models them)."""
    rng = np.random.default_rng(20261207)
    subjects, days = 18, 10
    subject = np.repeat(np.arange(subjects), days)
    day = np.tile(np.arange(days), subjects).astype(float)
    intercepts = rng.normal(0, 25, subjects)
    slopes = rng.normal(0, 6, subjects)
    reaction = 250 + intercepts[subject] + (10 + slopes[subject]) * day
    return pd.DataFrame(
        {
            "reaction": reaction + rng.normal(0, 25, subjects * days),
            "days": day,
            "subject": [f"s{i:02d}" for i in subject],
        }
    )


@pytest.fixture(scope="module")
def mixedlm(sleep):
    """REML with independent intercept and slope variances (Bambi has no correlation)."""
    return smf.mixedlm(
        "reaction ~ days",
        sleep,
        groups=sleep["subject"],
        re_formula="1",
        vc_formula={"days": "0 + days"},
    ).fit(reml=True)


@pytest.fixture(scope="module")
def model(sleep) -> hbm.FormulaModel:
    # Ten days a subject pin each effect down: the centred form samples faster here.
    return hbm.FormulaModel.from_formula(FORMULA, sleep, noncentered=False)


@pytest.fixture(scope="module")
def fit(model) -> hbm.FormulaFit:
    return model.fit(random_seed=7, draws=500, chains=4)


@pytest.fixture(scope="module")
def pooled_fit(model) -> hbm.FormulaFit:
    return model.pooled().fit(random_seed=7, draws=500, chains=2)


def test_the_fit_converges(fit):
    # The common slope and the mean of the subjects' slopes trade off (nothing ties the
    # varying slopes to sum to zero), so days mixes slowest: four chains of 500 draws give
    # it R-hat below 1.01 and ESS above 400, the workbook's thresholds for a reported fit.
    report = fit.convergence()
    assert report.ok, report.warnings()
    assert report.chains == 4 and report.draws == 500
    assert "log_likelihood" in fit.idata.children


def test_common_effects_match_mixedlm(fit, mixedlm):
    summary = fit.summary().set_index("parameter")
    assert list(summary.index) == [
        "Intercept",
        "days",
        "1|subject_sigma",
        "days|subject_sigma",
        "sigma",
    ]
    assert list(summary["kind"]) == ["common", "common", "group sd", "group sd", "auxiliary"]
    # With 180 rows the weak default priors barely move the posterior, whose mean then
    # lies within Monte Carlo error (about 0.05 posterior SD at 500 effective draws or more) of
    # the REML estimate; a quarter of its standard error leaves room for both. The
    # intercept being met checks too that Bambi's centring of days is undone (the sampled
    # intercept, at the mean day 4.5, is about 35 higher).
    for name in ("Intercept", "days"):
        estimate, error = mixedlm.fe_params[name], mixedlm.bse_fe[name]
        assert abs(summary.loc[name, "mean"] - estimate) < 0.25 * error, name
        assert summary.loc[name, "hdi_low"] < estimate < summary.loc[name, "hdi_high"]


def test_group_and_residual_sds_match_mixedlm(fit, mixedlm):
    summary = fit.summary().set_index("parameter")
    reml = {
        "1|subject_sigma": float(np.sqrt(mixedlm.cov_re.iloc[0, 0])),
        "days|subject_sigma": float(np.sqrt(mixedlm.vcomp[0])),
        "sigma": float(np.sqrt(mixedlm.scale)),
    }
    # An SD's posterior is skewed right of REML's point estimate with 18 groups (its mean
    # exceeds its mode): half a posterior SD allows for that; the residual SD, set by 180
    # rows, is tighter.
    for name, estimate in reml.items():
        tolerance = 0.25 if name == "sigma" else 0.5
        assert abs(summary.loc[name, "mean"] - estimate) < tolerance * summary.loc[name, "sd"]


def test_the_summary_intervals_narrow_with_the_probability(fit):
    wide = fit.summary(hdi_prob=0.94).set_index("parameter")
    narrow = fit.summary(hdi_prob=0.5).set_index("parameter")
    assert (narrow["hdi_high"] - narrow["hdi_low"] < wide["hdi_high"] - wide["hdi_low"]).all()
    with pytest.raises(hbm.WorkbookInputError, match="hdi_prob must be between 0 and 1"):
        fit.summary(hdi_prob=1.5)


def test_loo_prefers_the_varying_slopes_to_complete_pooling(fit, pooled_fit):
    table = hbm.compare_with_pooled(fit, pooled_fit)
    assert list(table.index) == [FORMULA, "reaction ~ days"]
    # Subjects differ by 25 ms in intercept and 6 ms a day in slope against a 25 ms
    # residual: ignoring it costs far more than the comparison's standard error.
    best, pooled = table.iloc[0], table.iloc[1]
    assert pooled["elpd_diff"] < 0
    assert -pooled["elpd_diff"] > 4 * pooled["dse"]
    assert best["elpd"] == pytest.approx(float(fit.loo().elpd), abs=1)


def test_compare_with_pooled_refuses_what_is_not_a_pooled_counterpart(fit, pooled_fit):
    with pytest.raises(hbm.WorkbookInputError, match="pooled_fit must have no group terms"):
        hbm.compare_with_pooled(pooled_fit, fit)
    with pytest.raises(hbm.WorkbookInputError, match="fit must be a FormulaFit"):
        hbm.compare_with_pooled(fit.idata, pooled_fit)
