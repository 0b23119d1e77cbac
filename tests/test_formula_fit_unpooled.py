"""The no-pooling counterpart of a formula model, fitted: each group's mean against its sample
mean (the closed form under a flat prior), and the model, its complete-pooling and no-pooling
counterparts compared by LOO."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hbm_widgets as hbm
from hbm_widgets.models.formula_summaries import group_level_estimates

pytestmark = pytest.mark.slow

FORMULA = "y ~ x + (1 | g)"
SIZES = {"g1": 2, "g2": 4, "g3": 8, "g4": 12, "g5": 20, "g6": 30}
TRUE_MEANS = {"g1": -4.0, "g2": -2.0, "g3": 0.0, "g4": 1.0, "g5": 3.0, "g6": 6.0}


@pytest.fixture(scope="module")
def groups() -> pd.DataFrame:
    """Six groups of 2 to 30 rows around known means, residual SD 1, and a predictor x that
    has no effect."""
    rng = np.random.default_rng(20260502)
    labels = np.repeat(list(SIZES), list(SIZES.values()))
    means = np.array([TRUE_MEANS[label] for label in labels])
    return pd.DataFrame(
        {
            "y": means + rng.normal(0, 1, labels.size),
            "x": rng.normal(0, 1, labels.size),
            "g": labels,
        }
    )


@pytest.fixture(scope="module")
def means_fit(groups) -> hbm.FormulaFit:
    """No pooling without a predictor: each group's mean."""
    model = hbm.FormulaModel.from_formula("y ~ 1 + (1 | g)", groups)
    return model.unpooled().fit(random_seed=5, draws=500, chains=2)


@pytest.fixture(scope="module")
def fits(groups) -> dict[str, hbm.FormulaFit]:
    model = hbm.FormulaModel.from_formula(FORMULA, groups)
    return {
        name: counterpart.fit(random_seed=5, draws=500, chains=2)
        for name, counterpart in (
            ("model", model),
            ("pooled", model.pooled()),
            ("unpooled", model.unpooled()),
        )
    }


def test_each_group_mean_is_its_sample_mean(groups, means_fit):
    fit = means_fit
    assert fit.model.formula == "y ~ 0 + g"
    assert fit.convergence().ok, fit.convergence().warnings()
    # The counterpart is written `0 + g`, one coefficient per group that is the group's mean
    # (Bambi's `1 + g` would give the first group's mean and each other's difference from it,
    # to be added up draw by draw). Under a flat prior the posterior of a group's mean is a t
    # centred on its sample mean with scale s / sqrt(n), s the residual SD within groups;
    # Bambi's default prior here, a normal around 0 whose SD is 2.5 SDs of y over the SD of
    # the group's 0/1 column (16 to 48), moves it by a few thousandths of a posterior SD. What is
    # left is Monte Carlo error, about 0.03 posterior SD at 1,000 draws: 0.15 of one allows
    # for it, and still catches a mean shrunk towards the others as the model shrinks its
    # smallest group (by a fifth of an SD, see below).
    draws = fit.idata["posterior"]["g"].stack(sample=("chain", "draw"))
    sample_means = groups.groupby("g")["y"].mean()
    within = groups["y"] - groups.groupby("g")["y"].transform("mean")
    residual_sd = np.sqrt((within**2).sum() / (len(groups) - len(SIZES)))
    for label, n in SIZES.items():
        posterior = draws.sel(g_dim=label).to_numpy()
        mean, sd = posterior.mean(), posterior.std(ddof=1)
        assert abs(mean - sample_means[label]) < 0.15 * sd, (label, mean, sample_means[label])
        assert sd == pytest.approx(residual_sd / np.sqrt(n), rel=0.15), label
        # The sample mean is itself within sampling error of the truth.
        assert abs(mean - TRUE_MEANS[label]) < 3 * sd, (label, mean)


def test_the_model_pulls_the_smallest_group_towards_the_others_and_no_pooling_does_not(fits):
    partial = group_level_estimates(fits["model"], fits["model"].model.group_terms[0])
    partial = partial.set_index("group")["mean"]
    assert fits["unpooled"].model.formula == "y ~ 0 + g + x"
    unpooled = fits["unpooled"].idata["posterior"]["g"].mean(("chain", "draw"))
    centre = partial.mean()
    # g1's two rows at about -4, five units below the groups' centre, are pulled towards it
    # by the partial-pooling model and left where they are by no pooling (both at x = 0).
    own, pooled_estimate = float(unpooled.sel(g_dim="g1")), float(partial["g1"])
    assert own < pooled_estimate < centre


def test_loo_compares_the_three_models_best_first(fits):
    table = hbm.compare_with_pooled(fits["model"], fits["pooled"], fits["unpooled"])
    assert set(table.index) == {FORMULA, "y ~ x", "y ~ 0 + g + x"}
    assert list(table["rank"]) == [0, 1, 2]
    assert table["elpd"].is_monotonic_decreasing
    # Groups five residual SDs apart: ignoring them costs far more than the standard error.
    worst = table.iloc[2]
    assert table.index[2] == "y ~ x"
    assert -worst["elpd_diff"] > 4 * worst["dse"]
    for fit in fits.values():
        assert table.loc[fit.model.formula, "elpd"] == pytest.approx(float(fit.loo().elpd))


def test_compare_with_pooled_refuses_what_is_not_a_no_pooling_counterpart(fits):
    with pytest.raises(hbm.WorkbookInputError, match="unpooled_fit must have no group terms"):
        hbm.compare_with_pooled(fits["model"], fits["pooled"], fits["model"])
    with pytest.raises(hbm.WorkbookInputError, match="must be fits of different formulas"):
        hbm.compare_with_pooled(fits["model"], fits["pooled"], fits["pooled"])
    with pytest.raises(hbm.WorkbookInputError, match="unpooled_fit must be a FormulaFit"):
        hbm.compare_with_pooled(fits["model"], fits["pooled"], fits["unpooled"].idata)


def test_an_intercept_only_model_is_compared_with_its_complete_pooling(groups, means_fit):
    # y ~ 1, the counterpart of y ~ 1 + (1 | g): Bambi makes its mean one number under a dim
    # of one per row, which the model layer broadcasts so that its draws can be stored.
    model = hbm.FormulaModel.from_formula("y ~ 1 + (1 | g)", groups)
    pooled_fit = model.pooled().fit(random_seed=5, draws=300, chains=2)
    mu = pooled_fit.idata["posterior"]["mu"]
    assert mu.shape[-1] == len(groups)
    intercept = float(pooled_fit.idata["posterior"]["Intercept"].mean())
    assert abs(intercept - groups["y"].mean()) < 4 * groups["y"].std() / np.sqrt(len(groups))
    np.testing.assert_allclose(mu.isel(__obs__=0), mu.isel(__obs__=-1))
    fit = model.fit(random_seed=5, draws=300, chains=2)
    comparison = hbm.compare_with_pooled(fit, pooled_fit, means_fit)
    assert comparison.index[-1] == "y ~ 1"  # one mean for six groups around -4 to 6 is worst


def test_shrinkage_is_the_share_of_the_way_to_the_mean_the_closed_form_predicts(fits):
    from hbm_widgets.models.formula_summaries import formula_shrinkage

    model = fits["model"].model
    (term,) = model.group_terms
    shrinkage = formula_shrinkage(fits["model"], fits["unpooled"], term).set_index("group")
    unpooled = fits["unpooled"].idata["posterior"]["g"].mean(("chain", "draw"))
    np.testing.assert_allclose(
        shrinkage.loc[list(SIZES), "no_pooling"], unpooled.sel(g_dim=list(SIZES)).to_numpy()
    )
    posterior = fits["model"].idata["posterior"]
    assert shrinkage["mu"].iloc[0] == pytest.approx(float(posterior["Intercept"].mean()))
    # The normal model's shrinkage factor B = sigma^2 / (sigma^2 + n tau^2), at the posterior
    # means, times the group's distance from the mean: how far it moves (the two-row group
    # about 3% of its 4.3 to the mean, the 30-row one 0.2%). Compared as a distance, not a
    # share, since a group near the mean has a share that is mostly Monte Carlo noise.
    sigma, tau = float(posterior["sigma"].mean()), float(posterior["1|g_sigma"].mean())
    for group, n in SIZES.items():
        row = shrinkage.loc[group]
        expected = sigma**2 / (sigma**2 + n * tau**2) * (row["mu"] - row["no_pooling"])
        assert abs(row["shift"] - expected) < 0.1, group
    assert shrinkage["shift"].abs().idxmax() == "g1"
    with pytest.raises(hbm.WorkbookInputError, match="pass the fit of"):
        formula_shrinkage(fits["model"], fits["pooled"], term)
