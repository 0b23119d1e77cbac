"""Pointwise log-likelihood for LOO, including a model with an LKJ correlation prior."""

import numpy as np
import pytest
from scipy import stats

import hbm_widgets as hbm


@pytest.fixture(scope="module")
def radon():
    return hbm.GroupedData.from_frame(
        hbm.load_radon(), group="county", outcome="log_radon", predictor="floor"
    )


def _by_hand(idata, data):
    """Each observation's normal log density at each draw, from the fit's group lines."""
    posterior = idata.posterior
    alpha = posterior["alpha"].values[:, :, data.group_idx]
    beta = posterior["beta"].values
    beta = beta[:, :, data.group_idx] if beta.ndim == 3 else beta[:, :, None]
    mean = alpha + beta * data.predictor
    return stats.norm.logpdf(data.outcome, mean, posterior["sigma"].values[:, :, None])


@pytest.mark.slow
@pytest.mark.parametrize("varying", ["intercept", "both"])
def test_the_log_likelihood_is_each_observations_normal_density(radon, varying):
    # "both" has an LKJ correlation prior, whose log-likelihood PyMC 6.4 alone cannot compute.
    model = hbm.build_model(hbm.ModelSpec(pooling="partial", varying=varying), radon)
    idata = hbm.sample(model, random_seed=3, draws=50, tune=100, chains=2, log_likelihood=True)
    (name,) = idata.log_likelihood.data_vars
    pointwise = idata.log_likelihood[name]
    assert pointwise.sizes["chain"] == 2 and pointwise.sizes["draw"] == 50
    np.testing.assert_allclose(pointwise.values, _by_hand(idata, radon), rtol=1e-9)
    assert np.isfinite(hbm.loo_in_chunks(idata, radon, seed=1).elpd)
