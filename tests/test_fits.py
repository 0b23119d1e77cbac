"""The few tests that sample: recovery on simulated data, and radon against statsmodels."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest
import statsmodels.formula.api as smf

import hbm_widgets as hbm
from tests.conftest import SIMULATION_TRUTH

pytestmark = pytest.mark.slow


def test_simulated_parameters_are_recovered(simulated_fit):
    _, idata = simulated_fit
    report = hbm.convergence_report(idata, var_names=list(SIMULATION_TRUTH))
    assert report.max_rhat < 1.01 and report.divergences == 0
    interval = az.hdi(idata, var_names=list(SIMULATION_TRUTH), prob=0.9)
    for name, truth in SIMULATION_TRUTH.items():
        low, high = interval[name].values
        assert low < truth < high, f"{name}: {truth} not in 90% interval ({low:.3f}, {high:.3f})"


def test_radon_floor_effect_agrees_with_mixedlm(radon_frame, radon_partial_pooling_idata):
    mixed = smf.mixedlm("log_radon ~ floor", radon_frame, groups=radon_frame["county"]).fit()
    assert mixed.converged
    beta = radon_partial_pooling_idata.posterior["beta"]
    assert float(beta.mean()) < 0
    assert abs(float(beta.mean()) - mixed.fe_params["floor"]) < 2 * float(beta.std())
    county_sd = radon_partial_pooling_idata.posterior["sigma_alpha"]
    assert abs(float(county_sd.mean()) - np.sqrt(mixed.cov_re.iloc[0, 0])) < 2 * float(
        county_sd.std()
    )


def test_convergence_report_flags_problems(radon_partial_pooling_idata):
    report = hbm.convergence_report(radon_partial_pooling_idata, var_names=["beta", "sigma_alpha"])
    assert report.ok and report.warnings() == []
    assert report.chains == 4 and report.draws == 1000
    bad = hbm.ConvergenceReport(
        max_rhat=1.05, min_ess_bulk=100, min_ess_tail=500, divergences=3, draws=10, chains=2
    )
    assert not bad.ok
    assert bad.warnings() == [
        "max R-hat is 1.050 (should be below 1.01)",
        "min bulk ESS is 100 (should be at least 400)",
        "3 divergent transitions (should be 0)",
    ]


def test_sample_refuses_bad_settings(radon_data):
    model = hbm.build_model(hbm.ModelSpec(pooling="complete"), radon_data)
    with pytest.raises(hbm.WorkbookInputError, match="draws must be a whole number >= 1, got 0"):
        hbm.sample(model, draws=0, random_seed=1)
    with pytest.raises(
        hbm.WorkbookInputError, match=r"target_accept must be between 0 and 1, got 1\.5"
    ):
        hbm.sample(model, target_accept=1.5, random_seed=1)
