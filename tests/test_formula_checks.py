"""Bad formulas and data given to FormulaModel: each is refused with one line saying exactly
what is wrong, as a WorkbookInputError, before Bambi or PyMC sees it."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import hbm_widgets as hbm
from hbm_widgets.core.errors import DataValidationError, SpecificationError, WorkbookInputError


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    """Four groups of five rows: a normal outcome, 0/1, counts, successes of ten trials."""
    rng = np.random.default_rng(3)
    n = 20
    return pd.DataFrame(
        {
            "score": rng.normal(50, 10, n),
            "passed": rng.integers(0, 2, n),
            "visits": rng.poisson(1.5, n),
            "hits": rng.integers(0, 11, n),
            "tries": np.full(n, 10),
            "hours": rng.normal(5, 1, n),
            "school": np.repeat(["north", "south", "east", "west"], 5),
            "label": [f"pupil {i}" for i in range(n)],
        }
    )


def refused(error_type, match: str | None, formula: str, frame: pd.DataFrame, **options) -> str:
    with pytest.raises(error_type, match=match) as caught:
        hbm.FormulaModel.from_formula(formula, frame, **options)
    message = str(caught.value)
    assert isinstance(caught.value, WorkbookInputError)
    assert "\n" not in message
    return message


def test_an_unknown_column_is_named_with_its_close_matches(frame):
    message = refused(DataValidationError, None, "score ~ hour + (1 | school)", frame)
    assert message == (
        "formula 'score ~ hour + (1 | school)' names column 'hour', which is not in the "
        "data; did you mean 'hours'?"
    )


def test_an_unknown_column_with_no_close_match_lists_the_columns(frame):
    message = refused(DataValidationError, None, "score ~ zzz", frame)
    assert message.endswith(
        "names column 'zzz', which is not in the data; available columns: score, passed, "
        "visits, hits, tries, hours, school, label"
    )


@pytest.mark.parametrize(
    ("formula", "problem"),
    [
        ("score ~ hours +", r"does not parse \(Don't know how to parse ''\)"),
        ("score ~ hours + (1 | school", "does not parse: its parentheses are not balanced"),
        ("score ~ (hours | )", r"does not parse \(Don't know how to parse '\)'\)"),
        ("score hours", "needs exactly one '~'"),
        ("score ~ hours ~ school", "needs exactly one '~'"),
        ("~ hours", r"has no outcome \(left of '~'\)"),
        ("score ~ ", r"has no predictors \(right of '~'\)"),
        ("score | hours ~ 1", "not 'successes | trials\\(n\\)'"),
    ],
)
def test_a_formula_that_does_not_parse_says_why(frame, formula, problem):
    message = refused(SpecificationError, problem, formula, frame)
    assert message.startswith(f"formula {formula!r}")


def test_a_formula_must_be_a_string(frame):
    refused(SpecificationError, "formula must be a non-empty string .* got 3", 3, frame)


def test_an_unknown_family_lists_the_six(frame):
    message = refused(SpecificationError, None, "score ~ hours", frame, family="normal")
    assert message == (
        "unknown family 'normal'; expected one of: gaussian, t, bernoulli, binomial, "
        "poisson, negativebinomial"
    )


def test_a_non_numeric_outcome_is_refused_for_a_numeric_family(frame):
    message = refused(DataValidationError, None, "label ~ hours", frame, family="gaussian")
    assert message == (
        "outcome column 'label' must be numeric, but it holds 'pupil 0' (row 0) and 19 other "
        "non-numeric value(s); family 'gaussian' needs numbers"
    )


def test_a_zero_one_outcome_without_a_family_suggests_bernoulli(frame):
    message = refused(DataValidationError, None, "passed ~ hours + (1 | school)", frame)
    assert message == (
        "outcome 'passed' holds only 0 and 1: fit it with family='bernoulli' (or "
        "family='gaussian' to fit a normal model anyway)"
    )
    # Said explicitly, the normal model is built.
    model = hbm.FormulaModel.from_formula("passed ~ hours", frame, family="gaussian")
    assert model.family == "gaussian"


def test_counts_without_a_family_suggest_poisson(frame):
    message = refused(DataValidationError, None, "visits ~ hours", frame)
    assert re.fullmatch(
        r"outcome 'visits' looks like counts \(whole numbers from 0 to \d+, \d+% zeros\): "
        r"fit it with family='poisson' or 'negativebinomial' \(or family='gaussian' to fit "
        r"a normal model anyway\)",
        message,
    )


def test_a_bernoulli_outcome_must_be_zero_or_one(frame):
    message = refused(DataValidationError, None, "visits ~ hours", frame, family="bernoulli")
    first = int(np.flatnonzero(frame["visits"] > 1)[0])
    count = int((frame["visits"] > 1).sum())
    assert message == (
        "outcome 'visits' must hold only 0 and 1 for family 'bernoulli', but it holds "
        f"{count} such value(s), the first {frame['visits'][first]} at row {first}"
    )


@pytest.mark.parametrize("family", ["poisson", "negativebinomial"])
@pytest.mark.parametrize(("value", "shown"), [(-2, "-2"), (1.5, "1.5")])
def test_counts_must_be_whole_and_not_negative(frame, family, value, shown):
    bad = frame.assign(visits=frame["visits"].astype(float))
    bad.loc[7, "visits"] = value
    message = refused(DataValidationError, None, "visits ~ hours", bad, family=family)
    assert message == (
        f"outcome 'visits' must hold counts (whole numbers >= 0) for family {family!r}, but "
        f"it holds 1 such value(s), the first {shown} at row 7"
    )


def test_successes_above_trials_are_refused(frame):
    bad = frame.copy()
    bad.loc[4, "hits"] = 12
    message = refused(DataValidationError, None, "p(hits, tries) ~ hours", bad, family="binomial")
    assert message == (
        "successes column 'hits' exceeds trials column 'tries' in 1 row(s), the first at "
        "row 4 (12 of 10)"
    )
    # brms's spelling of the same outcome is refused alike.
    refused(
        DataValidationError,
        "exceeds trials",
        "hits | trials(tries) ~ hours",
        bad,
        family="binomial",
    )


def test_trials_below_one_are_refused(frame):
    bad = frame.copy()
    bad.loc[2, ["hits", "tries"]] = 0
    message = refused(DataValidationError, None, "p(hits, tries) ~ hours", bad, family="binomial")
    assert message == (
        "trials column 'tries' must hold whole numbers >= 1, but it holds 1 such value(s), "
        "the first 0 at row 2"
    )


def test_a_binomial_outcome_needs_the_binomial_family(frame):
    message = refused(SpecificationError, None, "p(hits, tries) ~ hours", frame, family="poisson")
    assert message == (
        "outcome 'p(hits, tries)' counts successes in trials: it needs family='binomial', "
        "got 'poisson'"
    )


def test_a_group_of_one_row_keeps_its_varying_slope(frame):
    bad = frame.copy()
    bad.loc[19, "school"] = "island"
    # The population gives the one-row group its slope: the model is built, with a level
    # for it in both varying effects.
    model = hbm.FormulaModel.from_formula("score ~ hours + (1 + hours | school)", bad)
    assert [t.name for t in model.group_terms] == ["1|school", "hours|school"]
    assert "island" in model.model.coords["school__factor_dim"]


def test_a_grouping_with_one_level_is_refused(frame):
    bad = frame.assign(school="north")
    message = refused(DataValidationError, None, "score ~ hours + (1 | school)", bad)
    assert message == (
        "group term (1|school) has 1 level(s) of 'school'; a varying effect needs at least "
        "two groups"
    )


def test_an_empty_frame_is_refused(frame):
    message = refused(DataValidationError, None, "score ~ hours", frame.iloc[:0])
    assert message == "the data have no rows (8 column(s)); a model needs observations"


def test_a_frame_is_required(frame):
    refused(
        DataValidationError,
        "expected a pandas DataFrame, got dict",
        "score ~ hours",
        frame.to_dict(),
    )


def test_missing_values_are_counted_by_column_or_dropped(frame):
    gappy = frame.astype({"score": float, "hours": float})
    gappy.loc[[1, 5], "score"] = np.nan
    gappy.loc[[5, 9, 12], "hours"] = np.nan
    gappy.loc[0, "label"] = np.nan  # not in the formula: not counted
    message = refused(DataValidationError, None, "score ~ hours + (1 | school)", gappy)
    assert message == (
        "4 of 20 rows have missing values ('score': 2, 'hours': 3); pass missing='drop' to "
        "leave those rows out, or fill them in first"
    )
    model = hbm.FormulaModel.from_formula("score ~ hours + (1 | school)", gappy, missing="drop")
    assert model.dropped_rows == 4
    assert len(model.frame) == 16
    assert model.model["score"].eval().shape == (16,)
    refused(
        DataValidationError,
        "missing='keep' is not one of 'error', 'drop'",
        "score ~ hours",
        frame,
        missing="keep",
    )


def test_every_row_missing_leaves_nothing(frame):
    empty = frame.assign(hours=np.nan)
    refused(
        DataValidationError,
        "no rows are left once rows with missing values are dropped",
        "score ~ hours",
        empty,
        missing="drop",
    )


def test_roles_become_a_formula_only_when_they_name_usable_columns():
    with pytest.raises(SpecificationError, match="varying='slope' needs a predictor"):
        hbm.formula_from_roles(outcome="log_radon", group="county", varying="slope")
    with pytest.raises(SpecificationError, match="varying='random' is not one of"):
        hbm.formula_from_roles(
            outcome="log_radon", group="county", predictor="floor", varying="random"
        )
    with pytest.raises(SpecificationError, match="group must be a column name usable"):
        hbm.formula_from_roles(outcome="log_radon", group="my county")
    with pytest.raises(SpecificationError, match="three different columns"):
        hbm.formula_from_roles(outcome="floor", group="county", predictor="floor")
