"""Leave-one-group-out: PSIS-LOO over each group's summed log-likelihood, the few groups with
a high Pareto k refitted exactly."""

from __future__ import annotations

from types import SimpleNamespace

import arviz as az
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy.special import logsumexp

import hbm_widgets as hbm
from hbm_widgets.models.formula_loo import (
    K_THRESHOLD,
    MAX_GROUPS,
    MAX_REFITS,
    compare_leaving_groups_out,
    grouped_log_likelihood,
    refitted_group_log_likelihood,
)


def schools(n_groups: int, rows: int, *, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = np.repeat(np.arange(n_groups), rows)
    hours = rng.uniform(0, 4, group.size).round(2)
    score = 10 + 1.5 * hours + rng.normal(0, 2, n_groups)[group] + rng.normal(0, 1, group.size)
    return pd.DataFrame({"score": score, "hours": hours, "school": [f"s{g}" for g in group]})


@pytest.fixture(scope="module")
def fits():
    frame = schools(6, 8, seed=4)
    model = hbm.FormulaModel.from_formula("score ~ hours + (1 | school)", frame)
    fit = model.fit(random_seed=2, draws=500, tune=500, chains=2)
    pooled_fit = model.pooled().fit(random_seed=2, draws=500, tune=500, chains=2)
    return fit, pooled_fit


def test_the_group_sums_match_a_hand_sum_and_arviz_loo_over_them(fits):
    fit, pooled_fit = fits
    results, comparison = compare_leaving_groups_out(fit, pooled_fit)
    pointwise = fit.idata["log_likelihood"]["score"].to_numpy()  # chain, draw, row
    schools_of_rows = fit.model.frame["school"].astype(str).to_numpy()
    names = sorted(set(schools_of_rows))
    by_hand = np.stack(
        [pointwise[:, :, schools_of_rows == name].sum(axis=2) for name in names], axis=2
    )
    summed = grouped_log_likelihood(fit, fit.model.frame["school"].astype(str))
    assert summed["log_likelihood"]["group"].to_numpy().tolist() == names
    np.testing.assert_allclose(summed["log_likelihood"]["score"].to_numpy(), by_hand)
    hand_tree = xr.DataTree.from_dict(
        {
            "posterior": fit.idata["posterior"].to_dataset(),
            "log_likelihood": xr.Dataset(
                {"score": (("chain", "draw", "school"), by_hand)},
                coords={"school": names},
            ),
        }
    )
    reference = az.loo(hand_tree, pointwise=True)
    model_result = results[0]
    assert model_result.factor == "school"
    assert model_result.elpd == pytest.approx(float(reference.elpd), rel=1e-12)
    assert model_result.se == pytest.approx(float(reference.se), rel=1e-12)
    np.testing.assert_allclose(model_result.loo.pareto_k.to_numpy(), reference.pareto_k.to_numpy())
    # PSIS smooths the importance ratios of plain importance sampling (the left-out group's
    # predictive density as the harmonic mean of its likelihood over the draws); with
    # well-behaved weights both give nearly the same elpd per group.
    draws = by_hand.reshape(-1, len(names))
    plain = -(logsumexp(-draws, axis=0) - np.log(draws.shape[0]))
    good = model_result.loo.pareto_k.to_numpy() <= K_THRESHOLD
    np.testing.assert_allclose(model_result.loo.elpd_i.to_numpy()[good], plain[good], atol=0.3)
    # Leaving a whole group out costs more than leaving one row out, group by group.
    assert model_result.elpd < float(fit.loo().elpd)
    assert set(comparison.index) == {fit.model.formula, pooled_fit.model.formula}
    assert comparison["elpd"].max() == pytest.approx(max(r.elpd for r in results))


def test_groups_with_a_high_pareto_k_are_named(fits):
    fit, pooled_fit = fits
    results, _ = compare_leaving_groups_out(fit, pooled_fit)
    for result in results:
        k = result.loo.pareto_k
        expected = [
            str(g)
            for g, value in zip(k["group"].to_numpy(), k.to_numpy(), strict=True)
            if value > 0.7
        ]
        assert list(result.unreliable_groups) == expected


def test_a_few_groups_with_a_high_k_are_refitted_and_many_are_named(fits):
    fit, pooled_fit = fits
    psis, _ = compare_leaving_groups_out(fit, pooled_fit)
    results, comparison = compare_leaving_groups_out(fit, pooled_fit, random_seed=3, tune=500)
    # Complete pooling misses one school by far (k above 1 for it alone): refitted. The model
    # with groups has a high k for more schools than are refitted: named, as without a seed.
    with_groups, pooled = results
    assert 0 < len(psis[1].unreliable_groups) <= MAX_REFITS
    assert pooled.refitted_groups == psis[1].unreliable_groups
    assert pooled.unreliable_groups == ()
    assert len(psis[0].unreliable_groups) > MAX_REFITS
    assert with_groups.refitted_groups == ()
    assert with_groups.unreliable_groups == psis[0].unreliable_groups
    np.testing.assert_array_equal(with_groups.loo.elpd_i.to_numpy(), psis[0].loo.elpd_i.to_numpy())
    # The refitted school's elpd is the refit's (the same seed draws the same refit); the
    # others keep PSIS's values, and the totals follow.
    school = pooled.refitted_groups[0]
    left_out = (fit.model.frame["school"].astype(str) == school).to_numpy()
    log_likelihood = refitted_group_log_likelihood(
        pooled_fit, left_out, random_seed=3, tune=500
    ).to_numpy()
    exact = float(logsumexp(log_likelihood) - np.log(log_likelihood.size))
    elpd_i = pooled.loo.elpd_i.to_series()
    assert elpd_i[school] == pytest.approx(exact, rel=1e-9)
    assert float(pooled.loo.pareto_k.sel(group=school)) == 0.0
    others = elpd_i.index != school
    np.testing.assert_allclose(
        elpd_i[others].to_numpy(), psis[1].loo.elpd_i.to_series()[others].to_numpy()
    )
    assert pooled.elpd == pytest.approx(elpd_i.sum())
    # PSIS was optimistic about the school it could not handle.
    assert exact < float(psis[1].loo.elpd_i.sel(group=school))
    assert comparison.loc[pooled.formula, "elpd"] == pytest.approx(pooled.elpd)
    # With no refits allowed, the seed changes nothing.
    none_allowed, _ = compare_leaving_groups_out(
        fit, pooled_fit, random_seed=3, tune=500, max_refits=0
    )
    assert [r.unreliable_groups for r in none_allowed] == [r.unreliable_groups for r in psis]
    assert [r.refitted_groups for r in none_allowed] == [(), ()]


def test_more_than_thirty_groups_are_not_left_out_one_by_one():
    frame = schools(MAX_GROUPS + 1, 2, seed=5)
    model = hbm.FormulaModel.from_formula("score ~ hours + (1 | school)", frame)
    # The count of groups is checked before any draw is read: models without draws will do.
    unfitted = SimpleNamespace(model=model)
    pooled = SimpleNamespace(model=model.pooled())
    assert compare_leaving_groups_out(unfitted, pooled) is None


def test_a_model_without_groups_is_refused(fits):
    _, pooled_fit = fits
    with pytest.raises(hbm.WorkbookInputError, match="has no grouping factor"):
        compare_leaving_groups_out(pooled_fit, pooled_fit)
