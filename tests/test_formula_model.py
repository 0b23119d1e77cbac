"""FormulaModel's graphs, without sampling: the variables and dims Bambi gives each family
and group structure, the log density against the same model written by hand in PyMC, the
complete-pooling and no-pooling counterparts, and the formula the
--group/--outcome/--predictor options mean."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
import pytest

import hbm_widgets as hbm
from hbm_widgets.models.formula_counterparts import MAX_UNPOOLED_CELLS


def free_dims(model: hbm.FormulaModel) -> dict[str, tuple]:
    """Each free variable's dims (``()`` for a scalar), by name."""
    return {
        v.name: tuple(model.model.named_vars_to_dims.get(v.name) or ())
        for v in model.model.free_RVs
    }


@pytest.fixture(scope="module")
def radon() -> pd.DataFrame:
    return hbm.load_radon()


@pytest.fixture(scope="module")
def pupils() -> pd.DataFrame:
    """120 pupils in 6 schools crossed with 4 neighbourhoods, each school in one of 2 towns;
    outcomes of every kind."""
    rng = np.random.default_rng(11)
    n = 120
    school = rng.integers(0, 6, n)
    return pd.DataFrame(
        {
            "score": rng.normal(0, 1, n),
            "passed": rng.integers(0, 2, n),
            "absences": rng.poisson(2, n),
            "correct": rng.integers(0, 21, n),
            "questions": np.full(n, 20),
            "hours": rng.normal(3, 1, n),
            "track": rng.choice(["academic", "general", "vocational"], n),
            "school": school,  # numbers naming schools: levels, not a quantity
            "neighbourhood": rng.choice(["N1", "N2", "N3", "N4"], n),
            "town": np.where(school < 3, "Ayr", "Troon"),
        }
    )


def test_radon_intercept_model_has_bambis_variables_and_dims(radon):
    model = hbm.FormulaModel.from_formula("log_radon ~ floor + (1 | county)", radon)
    assert model.family == "gaussian"
    assert model.response == "log_radon"
    assert model.common_terms == ("Intercept", "floor")
    assert model.group_terms == (
        hbm.models.formula_checks.GroupTerm(
            name="1|county", effect="1", factor="county", columns=("county",)
        ),
    )
    assert free_dims(model) == {
        "sigma": (),
        "Intercept": (),
        "floor": (),
        "1|county_sigma": (),
        "1|county_offset": ("county__factor_dim",),
    }
    assert len(model.model.coords["county__factor_dim"]) == 85
    assert model.model["log_radon"].eval().shape == (919,)
    assert model.parameter_names == {
        "common": ["Intercept", "floor"],
        "group sd": ["1|county_sigma"],
        "auxiliary": ["sigma"],
    }


def by_hand(model: hbm.FormulaModel, radon: pd.DataFrame) -> pm.Model:
    """``log_radon ~ floor + (1 | county)`` written in PyMC, with the priors Bambi chose
    (read from its terms, so that the test checks the structure, not Bambi's defaults)."""
    mu_terms = model.bambi_model.parameters["mu"]
    intercept = mu_terms.intercept_term.prior.args
    slope = mu_terms.common_terms["floor"].prior.args
    county_sd = mu_terms.group_specific_terms["1|county"].prior.args["sigma"].args
    sigma_prior = model.bambi_model.marginal_parameters["sigma"].prior
    assert sigma_prior.name == "HalfStudentT"
    county_codes, counties = pd.factorize(radon["county"], sort=True)
    with pm.Model(coords={"county": counties}) as hand:
        sigma = pm.HalfStudentT("sigma", **sigma_prior.args)
        alpha = pm.Normal("Intercept", mu=intercept["mu"], sigma=intercept["sigma"])
        beta = pm.Normal("floor", mu=slope["mu"], sigma=slope["sigma"])
        sigma_county = pm.HalfNormal("1|county_sigma", sigma=county_sd["sigma"])
        county_offset = pm.Normal("1|county_offset", 0, 1, dims="county")
        # Bambi centres a common predictor on its mean when there is an intercept.
        floor = radon["floor"].to_numpy()
        mu = alpha + beta * (floor - floor.mean()) + (county_offset * sigma_county)[county_codes]
        pm.Normal("log_radon", mu=mu, sigma=sigma, observed=radon["log_radon"].to_numpy())
    return hand


def test_radon_log_density_equals_the_model_written_by_hand(radon):
    model = hbm.FormulaModel.from_formula("log_radon ~ floor + (1 | county)", radon)
    hand = by_hand(model, radon)
    start = model.model.initial_point()
    built_logp = model.model.compile_logp()(start)
    assert np.isfinite(built_logp)
    assert hand.compile_logp()(start) == pytest.approx(built_logp, rel=1e-10)
    # And away from the start, where every offset and the slope matter.
    rng = np.random.default_rng(5)
    point = {name: value + rng.normal(0, 0.5, np.shape(value)) for name, value in start.items()}
    assert hand.compile_logp()(point) == pytest.approx(model.model.compile_logp()(point), rel=1e-10)


@pytest.mark.parametrize(
    ("formula", "family", "auxiliary", "observed"),
    [
        ("score ~ hours + (1 | school)", "gaussian", ["sigma"], "score"),
        ("score ~ hours + (1 | school)", "t", ["sigma", "nu"], "score"),
        ("passed ~ hours + (1 | school)", "bernoulli", [], "passed"),
        ("p(correct, questions) ~ hours + (1 | school)", "binomial", [], "p(correct, questions)"),
        (
            "correct | trials(questions) ~ hours + (1 | school)",
            "binomial",
            [],
            "p(correct, questions)",
        ),
        ("absences ~ hours + (1 | school)", "poisson", [], "absences"),
        ("absences ~ hours + (1 | school)", "negativebinomial", ["alpha"], "absences"),
    ],
)
def test_each_family_builds_with_its_own_parameters(pupils, formula, family, auxiliary, observed):
    model = hbm.FormulaModel.from_formula(formula, pupils, family=family)
    assert model.family == family
    assert model.response == observed
    assert [v.name for v in model.model.observed_RVs] == [observed]
    assert model.parameter_names["auxiliary"] == auxiliary
    assert set(free_dims(model)) == {
        "Intercept",
        "hours",
        "1|school_sigma",
        "1|school_offset",
        *auxiliary,
    }
    assert free_dims(model)["1|school_offset"] == ("school__factor_dim",)
    # Numbers naming schools are levels, sorted as text.
    assert model.model.coords["school__factor_dim"] == tuple(str(s) for s in range(6))
    logp = model.model.compile_logp()(model.model.initial_point())
    assert np.isfinite(logp)


def test_a_t_family_model_has_student_t_observations(pupils):
    model = hbm.FormulaModel.from_formula("score ~ hours", pupils, family="t")
    assert type(model.model["score"].owner.op).__name__ == "StudentTRV"


def test_crossed_groups_each_get_a_term(pupils):
    model = hbm.FormulaModel.from_formula(
        "score ~ hours + (1 | school) + (1 | neighbourhood)", pupils
    )
    assert [t.name for t in model.group_terms] == ["1|school", "1|neighbourhood"]
    dims = free_dims(model)
    assert dims["1|school_offset"] == ("school__factor_dim",)
    assert dims["1|neighbourhood_offset"] == ("neighbourhood__factor_dim",)
    assert model.model.coords["neighbourhood__factor_dim"] == ("N1", "N2", "N3", "N4")
    assert model.pooled_formula == "score ~ hours"


def test_nested_groups_get_the_outer_level_and_the_pairs(pupils):
    model = hbm.FormulaModel.from_formula("score ~ hours + (1 | town/school)", pupils)
    assert [(t.name, t.columns) for t in model.group_terms] == [
        ("1|town", ("town",)),
        ("1|town:school", ("school", "town")),
    ]
    # formulae makes a level for every pair of town and school, the six that occur and the
    # six that do not (whose effects the data leave at their prior).
    pairs = model.model.coords["town:school__factor_dim"]
    assert pairs == tuple(f"{town}:{school}" for town in ("Ayr", "Troon") for school in range(6))
    observed = {f"{t}:{s}" for t, s in zip(pupils["town"], pupils["school"], strict=True)}
    assert observed == {"Ayr:0", "Ayr:1", "Ayr:2", "Troon:3", "Troon:4", "Troon:5"}
    assert model.parameter_names["group sd"] == ["1|town_sigma", "1|town:school_sigma"]


def test_varying_slopes_and_categorical_predictors(pupils):
    model = hbm.FormulaModel.from_formula("score ~ hours + track + (1 + hours | school)", pupils)
    assert model.common_terms == ("Intercept", "hours", "track")
    assert [t.name for t in model.group_terms] == ["1|school", "hours|school"]
    # Treatment coding: the first level (academic) is the reference.
    assert free_dims(model)["track"] == ("track_dim",)
    assert model.model.coords["track_dim"] == ("general", "vocational")
    assert model.pooled_formula == "score ~ hours + track"


@pytest.mark.parametrize(
    ("formula", "pooled"),
    [
        ("score ~ (1 | school)", "score ~ 1"),
        ("score ~ (1 | school) + hours", "score ~ hours"),
        ("score ~ 0 + hours + (0 + hours | school)", "score ~ 0 + hours"),
        ("score ~ np.log(hours) + (1 | school) + (1 | neighbourhood)", "score ~ np.log(hours)"),
        ("correct | trials(questions) ~ hours + (1|school)", "p(correct, questions) ~ hours"),
    ],
)
def test_the_pooled_counterpart_drops_only_the_group_terms(pupils, formula, pooled):
    family = "binomial" if "trials" in formula else None
    model = hbm.FormulaModel.from_formula(formula, pupils, family=family)
    assert model.pooled_formula == pooled
    counterpart = model.pooled()
    assert counterpart.formula == pooled
    assert counterpart.group_terms == ()
    assert counterpart.family == model.family
    assert counterpart.response == model.response
    assert not any("|" in v.name for v in counterpart.model.free_RVs)


@pytest.mark.parametrize(
    ("varying", "formula"),
    [
        ("intercept", "log_radon ~ floor + (1 | county)"),
        ("slope", "log_radon ~ floor + (0 + floor | county)"),
        ("both", "log_radon ~ floor + (1 + floor | county)"),
    ],
)
def test_the_role_options_are_a_formula(radon, varying, formula):
    written = hbm.formula_from_roles(
        outcome="log_radon", group="county", predictor="floor", varying=varying
    )
    assert written == formula
    # Three counties have one house: their slopes come from the population.
    assert (radon.groupby("county").size() == 1).sum() == 3
    model = hbm.FormulaModel.from_formula(written, radon)
    slopes = {"intercept": [], "slope": ["floor"], "both": ["floor"]}[varying]
    assert [t.effect for t in model.group_terms if not t.is_intercept] == slopes
    assert len(model.model.coords["county__factor_dim"]) == radon["county"].nunique()
    assert model.pooled_formula == "log_radon ~ floor"


def test_the_roles_without_a_predictor_give_a_varying_intercept_only():
    assert hbm.formula_from_roles(outcome="log_radon", group="county") == (
        "log_radon ~ 1 + (1 | county)"
    )


@pytest.mark.parametrize(
    ("formula", "unpooled"),
    [
        # A mean for each school in place of the common intercept.
        ("score ~ (1 | school)", "score ~ 0 + school"),
        ("score ~ 1 + (1 | school)", "score ~ 0 + school"),
        # An intercept and a slope for each school; the common slope is each school's own.
        ("score ~ hours + (1 + hours | school)", "score ~ 0 + school + hours:school"),
        ("score ~ hours + (hours | school)", "score ~ 0 + school + hours:school"),
        # A slope for each school around one common intercept.
        ("score ~ hours + (0 + hours | school)", "score ~ hours:school"),
        # A categorical predictor alongside stays common, coded against its first level.
        ("score ~ hours + track + (1 | school)", "score ~ 0 + school + hours + track"),
        (
            "correct | trials(questions) ~ hours + (1|school)",
            "p(correct, questions) ~ 0 + school + hours",
        ),
    ],
)
def test_the_unpooled_counterpart_makes_each_group_term_a_fixed_effect(pupils, formula, unpooled):
    family = "binomial" if "trials" in formula else None
    model = hbm.FormulaModel.from_formula(formula, pupils, family=family)
    assert model.unpooled_reason is None
    assert model.unpooled_formula == unpooled
    counterpart = model.unpooled()
    assert counterpart.formula == unpooled
    assert counterpart.group_terms == ()
    assert counterpart.family == model.family
    assert counterpart.response == model.response
    dims = free_dims(counterpart)
    # Every one of the six schools gets its own coefficient for each effect that varied.
    for term in model.group_terms:
        name = "school" if term.is_intercept else f"{term.effect}:school"
        assert len(counterpart.model.coords[dims[name][0]]) == 6, name
    # A group's intercept takes the common one's place; a varying slope alone leaves it.
    assert ("Intercept" in dims) == (not any(t.is_intercept for t in model.group_terms))
    if "track" in formula:
        assert counterpart.model.coords[dims["track"][0]] == ("general", "vocational")


@pytest.mark.parametrize(
    ("formula", "reason"),
    [
        (
            "score ~ hours + (1 | school) + (1 | neighbourhood)",
            "the formula's grouping factors school and neighbourhood are crossed",
        ),
        (
            "score ~ hours + (1 | town/school)",
            "the formula's grouping factors are nested (school within town)",
        ),
        ("score ~ (1 | town:school)", "the formula's groups (town:school) are combinations"),
        ("score ~ hours", "the formula has no group terms"),
    ],
)
def test_there_is_no_unpooled_counterpart_without_one_grouping_factor(pupils, formula, reason):
    model = hbm.FormulaModel.from_formula(formula, pupils)
    assert model.unpooled_reason.startswith(reason)
    assert model.unpooled_reason.endswith(".")
    assert model.unpooled_formula is None
    assert model.unpooled() is None


def test_no_pooling_is_left_out_when_its_design_matrix_would_be_too_large():
    limit, groups = MAX_UNPOOLED_CELLS, 100
    rows = limit // groups + groups  # one group's worth of rows over the limit
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"y": rng.normal(size=rows), "g": np.arange(rows) % groups})
    model = hbm.FormulaModel.from_formula("y ~ (1 | g)", frame)
    assert model.unpooled_reason == (
        f"{rows:,} rows in 100 groups of g would need a dense design matrix of "
        f"{rows * groups:,} numbers (more than {limit:,}), and a fit far slower than the "
        "model's."
    )
    assert model.unpooled() is None
    smaller = hbm.FormulaModel.from_formula("y ~ (1 | g)", frame.iloc[: limit // groups])
    assert smaller.unpooled_formula == "y ~ 0 + g"
