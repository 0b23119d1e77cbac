"""Cross-validation folds and bookkeeping, the MixedLM reference, and funnel draws."""

from __future__ import annotations

import arviz as az
import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import hbm_widgets as hbm
from hbm_widgets import ModelSpec


@pytest.fixture(scope="module")
def radon():
    return hbm.GroupedData.from_frame(
        hbm.load_radon(),
        group="county",
        outcome="log_radon",
        predictor="floor",
        group_predictor="log_uranium",
    )


# -- folds ---------------------------------------------------------------------------------


def test_stratified_folds_spread_every_county_over_the_folds(radon):
    folds = hbm.stratified_folds(radon, 5, random_seed=3)
    assert folds.shape == (919,) and set(folds.tolist()) == {0, 1, 2, 3, 4}
    sizes = np.bincount(folds)
    assert sizes.max() - sizes.min() <= 1
    for group, n in enumerate(radon.group_sizes):
        used = np.unique(folds[radon.group_idx == group])
        assert used.size == min(n, 5)  # no two of a small county's houses share a fold
    # With at least two houses, a county keeps some in every training set.
    for fold in range(5):
        train = radon.group_idx[folds != fold]
        assert set(np.flatnonzero(radon.group_sizes >= 2)) <= set(train.tolist())
    np.testing.assert_array_equal(folds, hbm.stratified_folds(radon, 5, random_seed=3))
    assert not np.array_equal(folds, hbm.stratified_folds(radon, 5, random_seed=4))


def test_stratified_folds_refuse_bad_k(radon):
    with pytest.raises(hbm.WorkbookInputError, match="k must be a whole number of folds >= 2"):
        hbm.stratified_folds(radon, 1, random_seed=1)
    with pytest.raises(hbm.WorkbookInputError, match="k=1000 folds is more than the 919"):
        hbm.stratified_folds(radon, 1000, random_seed=1)


def _mean_fit(spec, train, random_seed):
    """A stand-in for sampling: every draw is the training data's (group) mean."""
    coords = {train.group_name: train.group_names.tolist()}
    if spec.pooling == "complete":
        posterior = {"alpha": np.full((1, 2), train.outcome.mean()), "beta": np.zeros((1, 2))}
        return az.from_dict({"posterior": posterior})
    posterior = {
        "alpha": np.broadcast_to(train.group_means, (1, 2, train.n_groups)).copy(),
        "beta": np.zeros((1, 2)),
        "mu_alpha": np.full((1, 2), 7.0),
    }
    return az.from_dict({"posterior": posterior}, dims={"alpha": [train.group_name]}, coords=coords)


def test_cross_validate_scores_held_out_predictions(radon):
    specs = {"complete": ModelSpec(pooling="complete"), "partial": ModelSpec()}
    cv = hbm.cross_validate(specs, radon, k=3, random_seed=5, fit=_mean_fit)
    p = cv.predictions
    assert len(p) == 2 * 919 and cv.k == 3
    folds = hbm.stratified_folds(radon, 3, random_seed=5)
    complete = p[p["model"] == "complete"].set_index("obs_id").sort_index()
    np.testing.assert_array_equal(complete["fold"], folds)
    # Complete pooling predicts each fold with the mean of the other folds.
    for fold in range(3):
        expected = radon.outcome[folds != fold].mean()
        np.testing.assert_allclose(complete.loc[complete["fold"] == fold, "predicted"], expected)
    partial = p[p["model"] == "partial"]
    unseen = partial[~partial["seen_group"]]
    assert len(unseen) == int((radon.group_sizes == 1).sum())
    np.testing.assert_allclose(unseen["predicted"], 7.0)  # the population mean stands in
    summary = cv.summary().set_index("model")
    for model in specs:
        errors = p.loc[p["model"] == model, "squared_error"]
        assert summary.loc[model, "rmse"] == pytest.approx(np.sqrt(errors.mean()))
    assert summary["mse_minus_best"].min() == 0.0
    by_fold = cv.by_fold()
    assert by_fold["n"].sum() == 2 * 919 and set(by_fold["fold"]) == {0, 1, 2}


def test_training_data_keeps_the_columns(radon):
    keep = np.arange(919) % 2 == 0
    train = hbm.training_data(radon, keep)
    assert train.n_obs == int(keep.sum()) and train.predictor_name == "floor"
    assert train.group_predictor_name == "log_uranium"


# -- MixedLM -------------------------------------------------------------------------------


def test_formulas_follow_the_spec(radon):
    assert hbm.mixedlm_formula(ModelSpec(), radon) == ("log_radon ~ floor", "~1")
    assert hbm.mixedlm_formula(ModelSpec(varying="both"), radon) == ("log_radon ~ floor", "~floor")
    assert hbm.mixedlm_formula(ModelSpec(varying="slope", group_predictor=True), radon) == (
        "log_radon ~ floor + floor:log_uranium",
        "~0 + floor",
    )
    with pytest.raises(hbm.SpecificationError, match="MixedLM fits partially pooled models"):
        hbm.mixedlm_formula(ModelSpec(pooling="none"), radon)
    with pytest.raises(hbm.SpecificationError, match="assumes a normal likelihood"):
        hbm.mixedlm_formula(ModelSpec(likelihood="student_t"), radon)


def test_varying_intercept_matches_statsmodels_directly(radon):
    mixed = hbm.fit_mixedlm(radon, ModelSpec())
    frame = hbm.load_radon()
    direct = smf.mixedlm("log_radon ~ floor", frame, groups=frame["county"]).fit()
    estimates = mixed.estimates()
    assert mixed.converged and mixed.reml
    assert estimates.loc["beta", "estimate"] == pytest.approx(direct.fe_params["floor"], rel=1e-4)
    assert estimates.loc["mu_alpha", "estimate"] == pytest.approx(
        direct.fe_params["Intercept"], rel=1e-4
    )
    assert estimates.loc["sigma_alpha", "estimate"] == pytest.approx(
        np.sqrt(direct.cov_re.iloc[0, 0]), rel=1e-3
    )
    assert estimates.loc["sigma", "estimate"] == pytest.approx(np.sqrt(direct.scale), rel=1e-4)
    # Delta method: se(sd) = se(var) / (2 sd), with the variance's SE from the summary.
    assert estimates.loc["sigma_alpha", "se"] == pytest.approx(
        direct.bse_re["Group Var"] / (2 * np.sqrt(direct.cov_re.iloc[0, 0])), rel=1e-3
    )


def test_uranium_model_needs_another_optimiser(radon):
    mixed = hbm.fit_mixedlm(radon, ModelSpec(group_predictor=True))
    attempts = mixed.attempts.set_index("method")
    assert not attempts.loc["bfgs", "converged"]  # the default stops short here
    assert attempts.loc["lbfgs", "converged"] and not attempts.loc["lbfgs", "usable"]
    assert mixed.method in ("powell", "nm") and mixed.converged
    estimates = mixed.estimates()
    assert estimates.loc["gamma_alpha", "estimate"] == pytest.approx(0.72, abs=0.01)
    assert estimates.loc["sigma_alpha", "estimate"] == pytest.approx(0.156, abs=0.005)
    ml = hbm.fit_mixedlm(radon, ModelSpec(group_predictor=True), reml=False)
    assert not ml.reml and ml.estimates().loc["sigma_alpha", "estimate"] < 0.156


def test_no_usable_optimiser_is_an_error(radon):
    with pytest.raises(hbm.WorkbookInputError, match="no MixedLM optimiser gave a usable fit"):
        hbm.fit_mixedlm(radon, ModelSpec(group_predictor=True), methods=["lbfgs"])


def test_compare_with_mixedlm_measures_the_gap_in_posterior_sds(radon):
    mixed = hbm.fit_mixedlm(radon, ModelSpec())
    estimates = mixed.estimates()
    rng = np.random.default_rng(0)
    posterior = {
        name: rng.normal(estimates.loc[name, "estimate"] + 0.1, 0.05, size=(2, 500))
        for name in ("mu_alpha", "beta", "sigma_alpha", "sigma")
    }
    table = hbm.compare_with_mixedlm(az.from_dict({"posterior": posterior}), mixed)
    assert table.index.tolist() == ["mu_alpha", "beta", "sigma_alpha", "sigma"]
    np.testing.assert_allclose(table["gap_in_sd"], 2.0, atol=0.2)
    with pytest.raises(hbm.WorkbookInputError, match="MixedLM has no estimate for 'rho'"):
        hbm.compare_with_mixedlm(
            az.from_dict({"posterior": {"rho": np.zeros((1, 3))}}), mixed, var_names=["rho"]
        )


# -- funnel ----------------------------------------------------------------------------------


def _funnel_idata(offset: bool, divergent_draws):
    rng = np.random.default_rng(1)
    shape = (2, 100)
    log_sigma = rng.normal(-1, 1, shape)
    posterior = {"sigma_beta": np.exp(log_sigma)}
    value = rng.normal(0, 1, (*shape, 2))
    posterior["z_beta" if offset else "beta"] = value
    diverging = np.zeros(shape, dtype=bool)
    diverging.flat[list(divergent_draws)] = True
    return az.from_dict(
        {"posterior": posterior, "sample_stats": {"diverging": diverging}},
        dims={"z_beta": ["county"], "beta": ["county"]},
        coords={"county": ["A", "B"]},
    )


def test_funnel_draws_show_what_the_sampler_moves():
    fits = {"centred": _funnel_idata(False, [3, 150]), "non-centred": _funnel_idata(True, [])}
    draws = hbm.funnel_draws(fits, group_dim="county", group="B", max_points=50, random_seed=2)
    centred = draws[draws["model"] == "centred"]
    assert set(centred["variable"]) == {"beta[B]"}
    assert set(draws.loc[draws["model"] == "non-centred", "variable"]) == {"z_beta[B]"}
    assert int(centred["divergent"].sum()) == 2 and len(centred) == 52  # divergences all kept
    posterior = fits["centred"].posterior
    kept = np.log(posterior["sigma_beta"].values.ravel())
    assert set(np.round(centred["log_scale"], 12)) <= set(np.round(kept, 12))
    with pytest.raises(hbm.WorkbookInputError, match="'Z' is not a county of the fit"):
        hbm.funnel_draws(fits, group_dim="county", group="Z")


def test_parameterization_table_counts_divergences():
    rng = np.random.default_rng(3)
    idata = az.from_dict(
        {
            "posterior": {"sigma_beta": rng.exponential(size=(4, 200))},
            "sample_stats": {"diverging": np.eye(4, 200, dtype=bool)},
        }
    )
    table = hbm.parameterization_table({"centred": idata}, var_names=["sigma_beta"])
    assert table.loc["centred", "divergences"] == 4
    assert table.loc["centred", "ess_bulk_per_draw"] == pytest.approx(
        table.loc["centred", "min_ess_bulk"] / 800
    )
    assert isinstance(table, pd.DataFrame)
