"""What the formula report lists: the model's terms and their priors, only observed levels
of a nested grouping, and the predictor values a new group is predicted at."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import hbm_widgets as hbm
from hbm_widgets.models.formula_summaries import (
    group_level_estimates,
    new_group_grid,
    new_group_predictions,
    prior_table,
)


@pytest.fixture(scope="module")
def nested_fit():
    rng = np.random.default_rng(3)
    town = np.repeat(["Ayr", "Troon"], 30)
    school = np.repeat(np.arange(6), 10)  # schools 0-2 in Ayr, 3-5 in Troon
    hours = rng.uniform(0, 10, 60).round(1)
    track = np.tile(["academic", "general", "vocational"], 20)
    score = 50 + 2 * hours + rng.normal(0, 3, 6)[school] + rng.normal(0, 5, 60)
    frame = pd.DataFrame(
        {"score": score, "hours": hours, "track": track, "town": town, "school": school}
    )
    model = hbm.FormulaModel.from_formula("score ~ hours + track + (1 | town/school)", frame)
    # A short fit: these tests read labels and shapes, not converged numbers.
    return model.fit(random_seed=1, draws=100, tune=100, chains=1)


def test_a_nested_grouping_lists_only_the_observed_pairs(nested_fit):
    pairs_term = nested_fit.model.group_terms[1]
    assert pairs_term.name == "1|town:school"
    # formulae made twelve pairs; six occur.
    assert len(nested_fit.model.model.coords["town:school__factor_dim"]) == 12
    estimates = group_level_estimates(nested_fit, pairs_term)
    assert estimates["group"].tolist() == [
        "Ayr:0",
        "Ayr:1",
        "Ayr:2",
        "Troon:3",
        "Troon:4",
        "Troon:5",
    ]
    assert estimates["n"].tolist() == [10] * 6
    assert (estimates["hdi_low"] < estimates["mean"]).all()
    assert (estimates["mean"] < estimates["hdi_high"]).all()


def test_a_new_group_is_predicted_at_quartiles_and_levels(nested_fit):
    frame = nested_fit.model.frame
    grid = new_group_grid(nested_fit.model)
    quartiles = frame["hours"].quantile([0.25, 0.5, 0.75]).tolist()
    assert grid.loc[grid["varied"] == "hours", "hours"].tolist() == quartiles
    assert grid.loc[grid["varied"] == "track", "track"].tolist() == [
        "academic",
        "general",
        "vocational",
    ]
    assert (grid.loc[grid["varied"] == "track", "hours"] == frame["hours"].median()).all()
    predicted = new_group_predictions(nested_fit, random_seed=1)
    assert len(predicted) == 6
    # The expected score rises with hours, as the data were made (slope 2 per hour).
    by_hours = predicted[predicted["varied"] == "hours"]["mean"].to_numpy()
    assert np.all(np.diff(by_hours) > 0)


def test_a_new_group_is_predicted_without_pandas_4_deprecations(nested_fit):
    # formulae codes the unseen level through a pandas Categorical that pandas 3 says will
    # raise in pandas 4; the model layer silences exactly that warning at that call.
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.Pandas4Warning)
        predicted = new_group_predictions(nested_fit, random_seed=2)
    assert predicted[["mean", "hdi_low", "hdi_high"]].notna().all().all()


def test_the_prior_table_names_each_term_and_reads_bambis_priors():
    import bambi as bmb

    rng = np.random.default_rng(5)
    subject = np.repeat([f"S{s}" for s in range(5)], 6)
    days = np.tile(np.arange(6), 5)
    track = np.tile(["a", "b", "c"], 10)
    reaction = 250 + 10 * days + rng.normal(0, 20, 30)
    frame = pd.DataFrame({"Reaction": reaction, "Days": days, "Subject": subject, "track": track})
    formula = "Reaction ~ Days + track + (1 + Days | Subject)"
    table = prior_table(hbm.FormulaModel.from_formula(formula, frame, family="t"))
    assert table.columns.tolist() == ["term", "what it is", "prior"]
    assert table["term"].tolist() == [
        "Intercept",
        "Days",
        "track",
        "1|Subject",
        "Days|Subject",
        "sigma",
        "nu",
    ]
    assert table["what it is"].tolist() == [
        "intercept (prior at the predictors' means)",
        "slope of Days",
        "difference of each level of track (b, c) from a",
        "varying intercept by Subject",
        "varying slope of Days by Subject",
        "residual scale of the Student-t",
        "degrees of freedom of the Student-t",
    ]
    # Bambi's own model of the same data chooses the same priors, written to four figures.
    categorical = frame.astype({"Subject": "category", "track": "category"})
    bambi_model = bmb.Model(formula, categorical, family="t")
    bambi_model.build()
    prior = table.set_index("term")["prior"]
    days_sigma = float(bambi_model.parameters["mu"].terms["Days"].prior.args["sigma"])
    assert prior["Days"] == f"Normal(mu=0, sigma={days_sigma:.4g})"
    sd_prior = bambi_model.parameters["mu"].terms["1|Subject"].prior.args["sigma"]
    assert sd_prior.name == "HalfNormal"
    assert prior["1|Subject"] == (
        f"Normal(mu=0, sigma=HalfNormal(sigma={float(sd_prior.args['sigma']):.4g}))"
    )
    assert prior["nu"] == "Gamma(alpha=2, beta=0.1)"
    assert prior["sigma"].startswith("HalfStudentT(nu=4, sigma=")
