"""Per-group estimates and predictions, checked against closed forms, statsmodels and PyMC."""

from __future__ import annotations

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
import pytest
import statsmodels.formula.api as smf

import hbm_widgets as hbm
from hbm_widgets import ModelSpec
from hbm_widgets.core.predictions import _prior_mean

CHAINS, DRAWS = 4, 2500


def constant_posterior(data, rng=None, **values):
    """A fit whose draws are the given values (scalars or per-group arrays), plus noise
    when ``rng`` is given."""
    posterior, dims = {}, {}
    for name, value in values.items():
        value = np.asarray(value, dtype=float)
        draws = np.broadcast_to(value, (CHAINS, DRAWS, *value.shape)).copy()
        if rng is not None:
            draws += rng.normal(0, 0.01, draws.shape)
        posterior[name] = draws
        if value.ndim == 1:
            dims[name] = [data.group_name]
    return az.from_dict(
        {"posterior": posterior}, dims=dims, coords={data.group_name: data.group_names.tolist()}
    )


def test_group_size_table_counts_every_county(radon_data):
    table = hbm.group_size_table(radon_data)
    assert int(table["groups"].sum()) == 85
    assert int((table["n"] * table["groups"]).sum()) == 919
    assert table["n"].min() == 1 and table["n"].max() == 116
    assert table["share_of_groups"].sum() == pytest.approx(1.0)


def test_least_squares_intercepts_match_statsmodels(radon_data, radon_frame):
    ours = hbm.least_squares_intercepts(radon_data)
    ols = smf.ols("log_radon ~ 0 + C(county) + floor", radon_frame).fit()
    assert ours.attrs["slope"] == pytest.approx(ols.params["floor"], rel=1e-10)
    theirs = ols.params[[f"C(county)[{c}]" for c in radon_data.group_names]].to_numpy()
    np.testing.assert_allclose(ours["mean"], theirs, rtol=1e-9)
    se = ols.bse[[f"C(county)[{c}]" for c in radon_data.group_names]].to_numpy()
    np.testing.assert_allclose(ours["sd"], se, rtol=1e-9)
    assert set(ours["model"]) == {"least squares"} and ours["low"].isna().all()


def test_group_estimates_read_vectors_and_repeat_scalars(radon_data):
    means = radon_data.group_means
    varying = constant_posterior(radon_data, alpha=means)
    shared = constant_posterior(radon_data, alpha=1.25)
    table = hbm.group_estimates({"none": varying, "complete": shared}, radon_data)
    assert len(table) == 2 * 85 and list(dict.fromkeys(table["model"])) == ["none", "complete"]
    none = table[table["model"] == "none"]
    np.testing.assert_allclose(none["mean"], means)
    np.testing.assert_allclose(none["sd"], 0, atol=1e-12)
    assert (table.loc[table["model"] == "complete", "mean"] == 1.25).all()
    # Ranks order the counties by size, ties broken by name.
    ranked = none.sort_values("size_rank")
    assert ranked["n"].is_monotonic_increasing
    assert ranked["size_rank"].tolist() == list(range(85))
    assert "log_uranium" in table.columns


def test_group_estimates_interval_covers_the_draws(radon_data):
    rng = np.random.default_rng(1)
    idata = constant_posterior(radon_data, rng=rng, alpha=radon_data.group_means)
    table = hbm.group_estimates(idata, radon_data, hdi_prob=0.9)
    assert (table["low"] < table["mean"]).all() and (table["mean"] < table["high"]).all()
    # Noise of SD 0.01: a 90% interval about 2 * 1.645 * 0.01 wide.
    assert table["high"].sub(table["low"]).mean() == pytest.approx(0.0329, rel=0.1)


def test_group_estimates_refuse_what_they_cannot_read(radon_data):
    idata = constant_posterior(radon_data, alpha=1.0)
    with pytest.raises(hbm.WorkbookInputError, match="no variable 'gamma'; its variables are"):
        hbm.group_estimates(idata, radon_data, coefficient="gamma")
    with pytest.raises(hbm.WorkbookInputError, match=r"hdi_prob must be between 0 and 1, got 1\.5"):
        hbm.group_estimates(idata, radon_data, hdi_prob=1.5)
    with pytest.raises(hbm.WorkbookInputError, match="non-empty mapping"):
        hbm.group_estimates({}, radon_data)


def test_population_summary_lists_the_specs_scalars(radon_data):
    rng = np.random.default_rng(2)
    idata = constant_posterior(
        radon_data,
        rng=rng,
        mu_alpha=1.5,
        sigma_alpha=0.3,
        beta=-0.7,
        sigma=0.75,
        alpha=radon_data.group_means,
    )
    table = hbm.population_summary(idata, ModelSpec())
    assert table.index.tolist() == ["mu_alpha", "sigma_alpha", "beta", "sigma"]
    assert table.loc["beta", "mean"] == pytest.approx(-0.7, abs=0.001)
    assert {"mean", "sd", "low", "high", "r_hat", "ess_bulk"} <= set(table.columns)


def test_group_predictor_line_is_mu_plus_gamma_u(radon_data):
    idata = constant_posterior(radon_data, mu_alpha=1.5, gamma_alpha=0.7)
    line = hbm.group_predictor_line(idata, radon_data, points=5)
    u = line["log_uranium"]
    assert u.iloc[0] == pytest.approx(radon_data.group_predictor.min())
    np.testing.assert_allclose(line["mean"], 1.5 + 0.7 * u)
    with pytest.raises(hbm.WorkbookInputError, match="fit a spec with group_predictor=True"):
        hbm.group_predictor_line(constant_posterior(radon_data, mu_alpha=1.0), radon_data)


# -- predictions ---------------------------------------------------------------------------


def test_existing_county_prediction_is_its_intercept_plus_noise(radon_data):
    alpha = np.linspace(0.5, 2.0, 85)
    idata = constant_posterior(radon_data, alpha=alpha, beta=-0.7, sigma=0.4)
    county = radon_data.group_names[10]
    draws = hbm.posterior_predictive_draws(
        idata, ModelSpec(pooling="none"), radon_data, group=county, predictor=1, random_seed=3
    )
    assert draws.shape == (CHAINS * DRAWS,)
    assert draws.mean() == pytest.approx(alpha[10] - 0.7, abs=0.02)
    assert draws.std() == pytest.approx(0.4, rel=0.03)


def test_new_county_draws_its_intercept_from_the_population(radon_data):
    spec = ModelSpec()
    idata = constant_posterior(
        radon_data,
        alpha=radon_data.group_means,
        mu_alpha=1.5,
        sigma_alpha=0.5,
        beta=-0.7,
        sigma=0.3,
    )
    intervals = hbm.predictive_intervals(
        idata,
        spec,
        radon_data,
        [{"group": "ST LOUIS", "label": "big"}, {"group": "NEW COUNTY", "label": "new"}],
        prob=0.9,
        random_seed=4,
    )
    big, new = intervals.set_index("label").loc["big"], intervals.set_index("label").loc["new"]
    assert not big["new_group"] and new["new_group"] and new["n"] == 0 and big["n"] == 116
    assert new["mean"] == pytest.approx(1.5, abs=0.02)
    # The new county's spread adds the county SD to the residual SD.
    assert new["sd"] == pytest.approx(np.hypot(0.5, 0.3), rel=0.03)
    assert big["sd"] == pytest.approx(0.3, rel=0.03)
    assert new["width"] > big["width"]


def test_new_county_with_uranium_and_correlated_slopes(radon_data):
    spec = ModelSpec(varying="both", group_predictor=True)
    idata = constant_posterior(
        radon_data,
        alpha=radon_data.group_means,
        beta=np.full(85, -0.6),
        mu_alpha=1.5,
        gamma_alpha=0.7,
        mu_beta=-0.6,
        gamma_beta=-0.2,
        sigma_alpha=0.4,
        sigma_beta=0.3,
        rho=-0.5,
        sigma=0.5,
    )
    intercept, slope = hbm.coefficient_draws(
        idata, spec, radon_data, group="NEW", group_predictor=1.0, random_seed=5
    )
    assert intercept.mean() == pytest.approx(2.2, abs=0.02)
    assert slope.mean() == pytest.approx(-0.8, abs=0.02)
    assert slope.std() == pytest.approx(0.3, rel=0.04)
    assert np.corrcoef(intercept, slope)[0, 1] == pytest.approx(-0.5, abs=0.03)
    with pytest.raises(hbm.WorkbookInputError, match="give its log_uranium with group_predictor"):
        hbm.coefficient_draws(idata, spec, radon_data, group="NEW", random_seed=5)
    with pytest.raises(hbm.WorkbookInputError, match="has log_uranium = "):
        hbm.coefficient_draws(
            idata, spec, radon_data, group="AITKIN", group_predictor=9.0, random_seed=5
        )


def test_no_pooling_knows_a_new_county_only_through_its_prior(radon_data):
    spec = ModelSpec(pooling="none")
    idata = constant_posterior(radon_data, alpha=radon_data.group_means, beta=-0.7, sigma=0.7)
    intercept, _ = hbm.coefficient_draws(idata, spec, radon_data, group="NEW", random_seed=6)
    prior = hbm.resolve_priors(spec, radon_data)["alpha"]
    assert intercept.mean() == pytest.approx(prior.kwargs["mu"], abs=0.1)
    assert intercept.std() == pytest.approx(prior.kwargs["sigma"], rel=0.05)


def test_core_prediction_agrees_with_pymc_set_data(radon_data):
    """The core's draws for a county in the data match pm.sample_posterior_predictive."""
    data = hbm.GroupedData.from_frame(
        radon_data.frame, group="county", outcome="log_radon", predictor="floor"
    )
    spec = ModelSpec()
    rng = np.random.default_rng(7)
    shape = (2, 1000)
    mu_alpha = rng.normal(1.5, 0.05, shape)
    sigma_alpha = rng.uniform(0.3, 0.35, shape)
    z_alpha = rng.normal(0, 1, (*shape, 85))
    posterior = {
        "mu_alpha": mu_alpha,
        "sigma_alpha": sigma_alpha,
        "z_alpha": z_alpha,
        "alpha": mu_alpha[..., None] + sigma_alpha[..., None] * z_alpha,
        "beta": rng.normal(-0.7, 0.05, shape),
        "sigma": rng.uniform(0.7, 0.75, shape),
    }
    idata = az.from_dict(
        {"posterior": posterior},
        dims={"z_alpha": ["county"], "alpha": ["county"]},
        coords={"county": data.group_names.tolist()},
    )
    county = "LAC QUI PARLE"
    j = int(np.flatnonzero(data.group_names == county)[0])
    model = hbm.build_model(spec, data)
    with model:
        pm.set_data({"county_idx": [j], "floor": [1.0]}, coords={"obs_id": [0]})
        pymc_draws = (
            pm.sample_posterior_predictive(
                idata, var_names=["log_radon"], predictions=True, random_seed=8, progressbar=False
            )
            .predictions["log_radon"]
            .values.ravel()
        )
    ours = hbm.posterior_predictive_draws(
        idata, spec, data, group=county, predictor=1.0, random_seed=9
    )
    quantiles = [0.05, 0.25, 0.5, 0.75, 0.95]
    np.testing.assert_allclose(
        np.quantile(ours, quantiles), np.quantile(pymc_draws, quantiles), atol=0.08
    )


def test_expected_outcome_for_seen_and_unseen_counties(radon_data):
    spec = ModelSpec(group_predictor=True)
    alpha = np.linspace(0.5, 2.0, 85)
    idata = constant_posterior(
        radon_data,
        alpha=alpha,
        mu_alpha=1.5,
        gamma_alpha=0.7,
        sigma_alpha=0.2,
        beta=-0.7,
        sigma=0.7,
    )
    predicted = hbm.expected_outcome(
        idata,
        spec,
        radon_data,
        groups=[radon_data.group_names[3], "ELSEWHERE"],
        predictor=[1.0, 0.0],
        group_predictor=[radon_data.group_predictor[3], 0.5],
    )
    np.testing.assert_allclose(predicted, [alpha[3] - 0.7, 1.5 + 0.7 * 0.5])
    with pytest.raises(hbm.WorkbookInputError, match=r"pass predictor=\.\.\. for each row"):
        hbm.expected_outcome(idata, spec, radon_data, groups=["AITKIN"])


def test_expected_outcome_under_no_pooling_uses_the_prior_mean(radon_data):
    spec = ModelSpec(pooling="none")
    idata = constant_posterior(radon_data, alpha=radon_data.group_means, beta=-0.7, sigma=0.7)
    prior = hbm.resolve_priors(spec, radon_data)["alpha"]
    predicted = hbm.expected_outcome(idata, spec, radon_data, groups=["NOWHERE"], predictor=[0])
    assert predicted[0] == pytest.approx(_prior_mean(prior))


def test_predictive_intervals_refuse_bad_cases(radon_data):
    idata = constant_posterior(radon_data, alpha=1.0, beta=-0.7, sigma=0.7)
    spec = ModelSpec(pooling="complete")
    with pytest.raises(hbm.WorkbookInputError, match="each case needs a 'group'"):
        hbm.predictive_intervals(idata, spec, radon_data, [{"floor": 0}], random_seed=1)
    with pytest.raises(hbm.WorkbookInputError, match="unknown case key 'floor'"):
        hbm.predictive_intervals(
            idata, spec, radon_data, [{"group": "AITKIN", "floor": 0}], random_seed=1
        )
    with pytest.raises(hbm.WorkbookInputError, match="prob must be between 0 and 1, got 2"):
        hbm.predictive_intervals(idata, spec, radon_data, [{"group": "A"}], prob=2, random_seed=1)


# -- posterior predictive checks -------------------------------------------------------------


def test_ppc_densities_are_densities_on_shared_bins():
    rng = np.random.default_rng(10)
    observed = rng.normal(size=300)
    replicated = rng.normal(size=(200, 300))
    frame = hbm.ppc_densities(observed, replicated, replicates=25, bins=20, random_seed=1)
    assert frame["series"].nunique() == 26 and set(frame["kind"]) == {"observed", "replicated"}
    step = np.diff(np.sort(frame["value"].unique()))[0]
    for _, series in frame.groupby("series"):
        assert series["density"].sum() * step == pytest.approx(1.0)
    with pytest.raises(hbm.WorkbookInputError, match="replicated data sets have 299 values"):
        hbm.ppc_densities(observed, replicated[:, :299], random_seed=1)


def test_ppc_pvalues_flag_a_misfit():
    rng = np.random.default_rng(11)
    observed = rng.normal(0, 2, size=400)  # twice as spread as the model says
    replicated = rng.normal(0, 1, size=(300, 400))
    table = hbm.ppc_pvalues(observed, replicated)
    assert table.loc["sd", "p_value"] == 0.0
    assert 0.02 < table.loc["mean", "p_value"] < 0.98
    assert table.loc["sd", "observed"] == pytest.approx(np.std(observed, ddof=1))
    with pytest.raises(hbm.WorkbookInputError, match="unknown statistic 'median'"):
        hbm.ppc_pvalues(observed, replicated, statistics=["median"])


def test_frames_are_plain_pandas(radon_data):
    table = hbm.group_estimates(constant_posterior(radon_data, alpha=1.0), radon_data)
    assert isinstance(table, pd.DataFrame)


def test_replicates_reuse_each_posterior_draw(radon_data):
    spec = ModelSpec()
    idata = constant_posterior(
        radon_data,
        alpha=radon_data.group_means,
        mu_alpha=1.5,
        sigma_alpha=0.5,
        beta=-0.7,
        sigma=0.3,
    )
    draws = hbm.posterior_predictive_draws(
        idata, spec, radon_data, group="NEW", random_seed=12, replicates=4
    )
    assert draws.shape == (4 * CHAINS * DRAWS,)
    assert draws.std() == pytest.approx(np.hypot(0.5, 0.3), rel=0.02)
    with pytest.raises(hbm.WorkbookInputError, match="replicates must be a whole number >= 1"):
        hbm.posterior_predictive_draws(
            idata, spec, radon_data, group="NEW", random_seed=12, replicates=0
        )
