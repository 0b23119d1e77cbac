"""The core against hostile data and arguments: each case is refused in one line naming the
column or argument and what was expected, or gives the right result."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import arviz as az
import numpy as np
import pandas as pd
import pytest

import hbm_widgets as hbm
from hbm_widgets import DataValidationError, GroupedData, WorkbookInputError
from hbm_widgets.core import sampling
from hbm_widgets.core.columns import INTERNAL_NAMES
from hbm_widgets.core.errors import check_number, check_whole_number
from hbm_widgets.report.command import main

HBM_REPORT = Path(sys.executable).parent / "hbm-report"


def grouped_frame(seed: int = 3, n_groups: int = 8, per_group: int = 12) -> pd.DataFrame:
    """Varying intercepts, a shared slope on ``x`` and normal noise; columns g, y, x."""
    rng = np.random.default_rng(seed)
    groups = np.repeat([f"s{i}" for i in range(n_groups)], per_group)
    x = rng.normal(size=groups.size)
    y = np.repeat(rng.normal(size=n_groups), per_group) + 0.5 * x
    y = y + rng.normal(scale=0.7, size=groups.size)
    return pd.DataFrame({"g": groups, "y": y, "x": x})


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------
# Non-finite values


@pytest.mark.parametrize("value", ["inf", "-inf"])
@pytest.mark.parametrize(
    ("role", "keywords"),
    [
        ("outcome", {"outcome": "y"}),
        ("predictor", {"outcome": "y", "predictor": "x"}),
    ],
)
def test_an_infinite_value_is_refused_naming_column_count_and_line(tmp_path, value, role, keywords):
    column = keywords.get("predictor", "y")
    frame = grouped_frame().astype({column: object})
    frame.loc[[3, 7], column] = value  # lines 5 and 9 of the file (the header is line 1)
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    message = (
        f"{role} column '{column}' holds 2 infinite value(s) (inf or -inf), the first at "
        "line 5; expected finite numbers"
    )
    with pytest.raises(DataValidationError) as refused:
        hbm.load_grouped_csv(path, group="g", **keywords)
    assert str(refused.value) == message


def test_a_frame_names_the_row_label_of_an_infinite_value():
    frame = grouped_frame().set_index(pd.RangeIndex(100, 196))
    frame.loc[104, "y"] = -np.inf
    with pytest.raises(DataValidationError, match=r"holds 1 infinite value\(s\) .* at row 104;"):
        GroupedData.from_frame(frame, group="g", outcome="y")


def test_an_infinite_group_level_predictor_is_refused(tmp_path):
    frame = grouped_frame()
    frame["u"] = frame["g"].str[1:].astype(float)
    frame.loc[frame["g"] == "s2", "u"] = np.inf
    with pytest.raises(
        DataValidationError, match=r"group_predictor column 'u' holds 12 infinite value"
    ):
        GroupedData.from_frame(frame, group="g", outcome="y", group_predictor="u")


def test_an_outcome_whose_spread_overflows_is_refused():
    frame = grouped_frame()
    frame["y"] = frame["y"] * 1e300
    with pytest.raises(
        DataValidationError, match=r"^outcome column 'y' spans too wide a range .* rescale it"
    ):
        GroupedData.from_frame(frame, group="g", outcome="y")


# --------------------------------------------------------------------------------------------
# Files that hold no data, or are not CSV


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "{path} is empty (0 bytes); expected a CSV file whose first line names the columns"),
        (b"g,y\n", "{path} has no rows of data: only its header line (g, y)"),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\xff",
            "{path} is not a CSV file: it is not UTF-8 text (byte 0x89 at position 0)",
        ),
        (
            b"g,y\na,1\nb,2,3,4\n",
            "{path} is not a valid CSV file: Error tokenizing data. C error: Expected 2 fields "
            "in line 3, saw 4",
        ),
        (
            b"Dear reader\nthis is a letter, not a table\n",
            "group column 'g' is not in the data; available columns: Dear reader",
        ),
    ],
    ids=["empty", "header-only", "binary", "ragged", "prose"],
)
def test_a_file_without_data_is_refused_in_one_line(tmp_path, content, message):
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    with pytest.raises(DataValidationError) as refused:
        hbm.load_grouped_csv(path, group="g", outcome="y")
    assert str(refused.value) == message.format(path=path)


def test_a_frame_without_rows_is_refused():
    with pytest.raises(DataValidationError, match=r"^the data have no rows \(only column names\)"):
        GroupedData.from_frame(pd.DataFrame({"g": [], "y": []}), group="g", outcome="y")


# --------------------------------------------------------------------------------------------
# Repeated column names


def test_repeated_column_names_in_a_file_are_refused(tmp_path):
    path = write_csv(tmp_path / "data.csv", "g,y,y,x,x\na,1,2,0,1\nb,3,4,1,0\na,2,2,1,1\n")
    with pytest.raises(DataValidationError) as refused:
        hbm.load_grouped_csv(path, group="g", outcome="y")
    assert str(refused.value) == (
        f"{path} repeats the column name(s) 'y', 'x' in its header; each column needs its own name"
    )


def test_repeated_column_names_in_a_frame_are_refused():
    frame = pd.DataFrame([["a", 1.0, 2.0], ["b", 3.0, 4.0]], columns=["g", "y", "y"])
    with pytest.raises(DataValidationError, match=r"repeat the column name\(s\) 'y';"):
        GroupedData.from_frame(frame, group="g", outcome="y")


# --------------------------------------------------------------------------------------------
# Outcomes a normal model does not suit


def test_a_zero_one_outcome_is_refused_unless_family_is_gaussian(tmp_path):
    frame = grouped_frame()
    frame["y"] = (frame["y"] > 0).astype(int)
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DataValidationError) as refused:
        hbm.load_grouped_csv(path, group="g", outcome="y")
    assert str(refused.value) == (
        "outcome 'y' holds only 0 and 1: a normal model would predict values outside them; "
        "it needs a Bernoulli (logistic) model, which the workbook's grouped models do not "
        "fit; set family to 'gaussian' to fit a normal model anyway"
    )
    data = hbm.load_grouped_csv(path, group="g", outcome="y", family="gaussian")
    np.testing.assert_array_equal(data.outcome, frame["y"].to_numpy(dtype=float))


@pytest.mark.parametrize(
    "counts",
    [
        np.tile([0, 0, 1, 2, 0, 3, 1, 0, 5, 1, 0, 12], 8),  # many zeros, up to 12
        np.tile([0, 1, 2, 3, 4, 1, 2, 3, 2, 1, 2, 3], 8),  # few distinct values, one zero
    ],
    ids=["many-zeros", "few-values"],
)
def test_a_count_outcome_is_refused_unless_family_is_gaussian(counts):
    frame = grouped_frame().assign(y=counts)
    with pytest.raises(
        DataValidationError,
        match=r"^outcome 'y' looks like counts \(whole numbers from 0 to \d+, \d+% zeros, \d+ "
        r"distinct values\): it needs a Poisson or negative binomial model.*set family to "
        r"'gaussian'",
    ):
        GroupedData.from_frame(frame, group="g", outcome="y")
    data = GroupedData.from_frame(frame, group="g", outcome="y", family="gaussian")
    assert data.outcome.sum() == counts.sum()


@pytest.mark.parametrize(
    "scores",
    [
        # Exam marks 0-100 with one zero (an absent pupil) and many distinct values.
        np.concatenate([[0], np.random.default_rng(1).integers(20, 101, size=95)]),
        # Ratings from 1 to 5: whole numbers, few values, but no zeros.
        np.tile([1, 2, 3, 4, 5, 3], 16),
        # Whole numbers with no zero at all (counts well away from zero).
        np.random.default_rng(2).integers(40, 60, size=96),
    ],
    ids=["exam-marks", "ratings", "large-whole-numbers"],
)
def test_whole_number_scores_are_accepted(scores):
    data = GroupedData.from_frame(grouped_frame().assign(y=scores), group="g", outcome="y")
    np.testing.assert_array_equal(data.outcome, scores.astype(float))


def test_the_shipped_data_sets_pass_the_outcome_check():
    radon = hbm.GroupedData.from_frame(hbm.load_radon(), group="county", outcome="log_radon")
    assert radon.n_obs == 919
    for outcome in ("written", "course"):
        gcse = GroupedData.from_frame(
            hbm.load_gcse(), group="school", outcome=outcome, missing="drop"
        )
        assert gcse.n_groups == 73
    baseball = hbm.load_baseball()
    for outcome in ("at_bats", "hits", "career_at_bats", "career_hits"):
        assert GroupedData.from_frame(baseball, group="team", outcome=outcome).n_obs == 322


@pytest.mark.parametrize("family", ["normal", "poisson", "Gaussian", 1])
def test_an_unknown_family_is_refused_naming_the_allowed_ones(tmp_path, family):
    path = tmp_path / "data.csv"
    grouped_frame().to_csv(path, index=False)
    with pytest.raises(DataValidationError) as refused:
        hbm.load_grouped_csv(path, group="g", outcome="y", family=family)
    assert str(refused.value) == f"family={family!r} is not one of None, 'gaussian'"


# --------------------------------------------------------------------------------------------
# Arguments of hbm.sample and the shrinkage formulas


@pytest.fixture(scope="module")
def small_data() -> GroupedData:
    return GroupedData.from_frame(grouped_frame(), group="g", outcome="y", predictor="x")


@pytest.fixture(scope="module")
def small_model(small_data):
    return hbm.build_model(hbm.ModelSpec(pooling="partial"), small_data)


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"random_seed": "1"}, "random_seed must be a whole number >= 0, got '1'"),
        ({"random_seed": -1}, "random_seed must be a whole number >= 0, got -1"),
        ({"random_seed": 1.5}, "random_seed must be a whole number >= 0, got 1.5"),
        ({"draws": 0}, "draws must be a whole number >= 1, got 0"),
        ({"draws": 100.0}, "draws must be a whole number >= 1, got 100.0"),
        ({"tune": -1}, "tune must be a whole number >= 0, got -1"),
        ({"chains": "4"}, "chains must be a whole number >= 1, got '4'"),
        ({"chains": True}, "chains must be a whole number >= 1, got True"),
        ({"target_accept": "high"}, "target_accept must be a number between 0 and 1, got 'high'"),
        ({"target_accept": 1}, "target_accept must be between 0 and 1, got 1"),
        ({"target_accept": math.nan}, "target_accept must be a number between 0 and 1, got nan"),
        (
            {"sampler": "stan"},
            "unknown sampler 'stan'; expected one of ('numpyro', 'nutpie', 'pymc')",
        ),
        (
            {"sampler": ["pymc"]},
            "unknown sampler ['pymc']; expected one of ('numpyro', 'nutpie', 'pymc')",
        ),
        ({"cores": 0}, "cores must be a whole number >= 1, got 0"),
        ({"cores": "2"}, "cores must be a whole number >= 1, got '2'"),
        ({"log_likelihood": "yes"}, "log_likelihood must be True or False, got 'yes'"),
        ({"progressbar": 1}, "progressbar must be True or False, got 1"),
    ],
)
def test_sample_checks_its_arguments_up_front(small_model, keywords, message):
    arguments = {"random_seed": 1} | keywords
    with pytest.raises(WorkbookInputError) as refused:
        hbm.sample(small_model, **arguments)
    assert str(refused.value) == message


@pytest.mark.parametrize("model", ["not a model", None, 3])
def test_sample_refuses_what_is_not_a_model(model):
    with pytest.raises(WorkbookInputError) as refused:
        hbm.sample(model, random_seed=1)
    assert str(refused.value) == (
        "model must be a PyMC model (pymc.Model, e.g. from hbm.build_model), "
        f"got {type(model).__name__}"
    )


def test_the_shared_checks_accept_numpy_numbers():
    assert check_whole_number("draws", np.int64(5), low=1) == 5
    assert check_number("target_accept", np.float32(0.5), above=0, below=1) == 0.5
    with pytest.raises(WorkbookInputError, match=r"^n must be a whole number >= 0, got 2.5$"):
        check_whole_number("n", 2.5)


@pytest.mark.parametrize(
    ("function", "keywords", "message"),
    [
        (
            hbm.shrinkage_factor,
            {"sigma": "abc", "tau": 1, "n": 4},
            "sigma must be a number or an array of numbers, got 'abc'",
        ),
        (
            hbm.shrinkage_factor,
            {"sigma": 1, "tau": [1, "x"], "n": 4},
            "tau must be a number or an array of numbers, got [1, 'x']",
        ),
        (
            hbm.shrinkage_factor,
            {"sigma": 1, "tau": 1, "n": None},
            "n must be a number, got None",
        ),
        (
            hbm.shrinkage_factor,
            {"sigma": True, "tau": 1, "n": 4},
            "sigma must be a number or an array of numbers, got True",
        ),
        (
            hbm.partial_pooling_estimate,
            {"group_mean": "2", "mu": 0, "sigma": 1, "tau": 1, "n": 4},
            "group_mean must be a number or an array of numbers, got '2'",
        ),
        (
            hbm.partial_pooling_estimate,
            {"group_mean": 2, "mu": "zero", "sigma": 1, "tau": 1, "n": 4},
            "mu must be a finite number, got 'zero'",
        ),
        (
            hbm.partial_pooling_estimate,
            {"group_mean": [2, np.inf], "mu": 0, "sigma": 1, "tau": 1, "n": 4},
            "group_mean must be finite, got [2, inf]",
        ),
    ],
)
def test_the_shrinkage_formulas_check_their_arguments(function, keywords, message):
    with pytest.raises(WorkbookInputError) as refused:
        function(**keywords)
    assert str(refused.value) == message


# --------------------------------------------------------------------------------------------
# Column names the model uses itself


def test_ordinary_column_names_name_the_model(radon_data):
    names = radon_data.model_names
    assert (names.group_dim, names.group_index) == ("county", "county_idx")
    assert (names.outcome, names.outcome_observed) == ("log_radon", "log_radon_observed")
    assert (names.predictor, names.group_predictor) == ("floor", "log_uranium")


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        ({"group": "sigma"}, {"group_dim": "sigma_group", "group_index": "sigma_group_idx"}),
        ({"group": "obs_id"}, {"group_dim": "obs_id_group", "group_index": "obs_id_group_idx"}),
        ({"predictor": "sigma"}, {"predictor": "sigma_predictor"}),
        ({"outcome": "alpha"}, {"outcome": "alpha_outcome"}),
        ({"predictor": "g_idx"}, {"group_index": "g_idx", "predictor": "g_idx_predictor"}),
        ({"outcome": "x_observed"}, {"outcome": "x_observed", "predictor": "x"}),
        ({"predictor": "prior_sigma_lam"}, {"predictor": "prior_sigma_lam_predictor"}),
        ({"group": "sigma_log__"}, {"group_dim": "sigma_log___group"}),
        ({"group": "sigma_group", "predictor": "sigma"}, {"predictor": "sigma_predictor"}),
    ],
)
def test_a_clashing_column_gets_its_role_appended(columns, expected):
    roles = {"group": "g", "outcome": "y", "predictor": "x"} | columns
    frame = grouped_frame().rename(columns={"g": roles["group"], "y": roles["outcome"]})
    frame = frame.rename(columns={"x": roles["predictor"]})
    data = GroupedData.from_frame(frame, **roles)
    names = data.model_names
    for field, name in expected.items():
        assert getattr(names, field) == name
    given = [names.group_dim, names.group_index, names.outcome, names.outcome_observed]
    given.append(names.predictor)
    assert len(set(given)) == len(given)
    assert not set(given) & INTERNAL_NAMES


def _specs():
    for pooling in ("complete", "none", "partial"):
        for varying in ("intercept", "slope", "both"):
            for parameterization in ("centered", "non_centered"):
                yield hbm.ModelSpec(
                    pooling=pooling,
                    varying=varying,
                    parameterization=parameterization,
                    likelihood="student_t",
                    group_predictor=pooling == "partial",
                )


def test_every_name_build_model_gives_is_internal_or_a_columns(radon_data):
    """Every variable, dim and container is in INTERNAL_NAMES, a prior's container or a
    column's model name, so the rule that keeps columns apart covers all of them."""
    names = radon_data.model_names
    from_columns = {
        names.group_dim,
        names.group_index,
        names.outcome,
        names.outcome_observed,
        names.predictor,
        names.group_predictor,
    }
    for spec in _specs():
        model = hbm.build_model(spec, radon_data, outcome_as_data=True, priors_as_data=True)
        given = set(model.named_vars) | set(model.coords)
        given -= {var.name for var in model.value_vars if var.name.endswith("__")}
        unexplained = {
            n
            for n in given
            if n not in INTERNAL_NAMES | from_columns and not n.startswith("prior_")
        }
        assert not unexplained, f"{spec.label}: {unexplained}"


_CLASHING = [
    "obs_id",
    "sigma",
    "corr",
    "alpha",
    "beta",
    "mu_alpha",
    "sigma_alpha",
    "z_alpha",
    "g_idx",
    "chain",
    "draw",
    "sample",
]


def _report_calls(frame, *, group, outcome, predictor, varying):
    """What the report template computes from a file: three fits and the chosen model's
    tables (tiny settings, one seed)."""
    data = GroupedData.from_frame(frame, group=group, outcome=outcome, predictor=predictor)
    specs = hbm.pooling_strategy_specs(varying=varying, group_predictor=False)
    fits = {
        name: hbm.sample(hbm.build_model(spec, data), random_seed=5, draws=60, tune=60, chains=2)
        for name, spec in specs.items()
    }
    means = {
        (name, variable): fit.posterior[variable].mean(("chain", "draw")).to_numpy()
        for name, fit in fits.items()
        for variable in fit.posterior.data_vars
    }
    tables = {
        "estimates": hbm.group_coefficient_estimates(fits["partial"], data),
        "new group": hbm.predict_new_group(fits["partial"], data, specs["partial"], random_seed=5),
        "shrinkage": hbm.posterior_shrinkage_table(fits["none"], fits["partial"], data),
        "parameters": hbm.posterior_parameter_table(fits),
    }
    return means, tables


@pytest.fixture(scope="module")
def ordinary_fits():
    return {
        varying: _report_calls(
            grouped_frame(), group="g", outcome="y", predictor="x", varying=varying
        )
        for varying in ("intercept", "both")
    }


# Each name once as the group column and once as the predictor: case i names the group after
# name i and the predictor after name i + 1, so that the three fits of a case test two names.
# g_idx clashes only with the index of a group column named g, so it keeps its two cases.
_PAIRED = [name for name in _CLASHING if name != "g_idx"]
_CLASHING_PAIRS = [
    *zip(_PAIRED, _PAIRED[1:] + _PAIRED[:1], strict=True),
    ("g", "g_idx"),
    ("g_idx", "g_idx_idx"),
]


@pytest.mark.parametrize(("group", "predictor"), _CLASHING_PAIRS)
def test_columns_named_like_the_models_own_names_give_the_same_fit(ordinary_fits, group, predictor):
    varying = "both" if "corr" in (group, predictor) else "intercept"
    roles = {"group": group, "outcome": "y", "predictor": predictor}
    frame = grouped_frame().rename(columns={"g": group, "y": "y", "x": predictor})
    means, tables = _report_calls(frame, **roles, varying=varying)
    expected_means, expected_tables = ordinary_fits[varying]
    assert means.keys() == expected_means.keys()
    for key, value in expected_means.items():
        np.testing.assert_array_equal(means[key], value, err_msg=str(key))
    for label, table in expected_tables.items():
        # The tables name the columns as the file does; renamed back, they are the same.
        back = {group: "g", predictor: "x"}
        pd.testing.assert_frame_equal(tables[label].rename(columns=back), table, obj=label)
    assert predictor in tables["new group"].columns


def test_an_outcome_named_sigma_is_fitted(small_data):
    frame = grouped_frame().rename(columns={"y": "sigma"})
    data = GroupedData.from_frame(frame, group="g", outcome="sigma")
    model = hbm.build_model(hbm.ModelSpec(pooling="partial"), data)
    assert {v.name for v in model.observed_RVs} == {"sigma_outcome"}
    assert "sigma" in {v.name for v in model.free_RVs}


# --------------------------------------------------------------------------------------------
# Outcomes and predictors far from unit scale


def test_models_on_the_shipped_data_are_sampled_as_written(radon_data):
    """The rescaling is for extreme scales only: the chapters' fits keep their draws."""
    for spec in _specs():
        model = hbm.build_model(spec, radon_data)
        assert sampling._well_scaled(model) is model, spec.label
    gcse = GroupedData.from_frame(
        hbm.load_gcse(), group="school", outcome="course", predictor="female", missing="drop"
    )
    for spec in hbm.pooling_strategy_specs(varying="both", group_predictor=False).values():
        model = hbm.build_model(spec, gcse)
        assert sampling._well_scaled(model) is model, spec.label


def _fit(frame, spec_name="partial", varying="intercept"):
    data = GroupedData.from_frame(frame, group="g", outcome="y", predictor="x")
    spec = hbm.pooling_strategy_specs(varying=varying, group_predictor=False)[spec_name]
    return hbm.sample(hbm.build_model(spec, data), random_seed=11, draws=500, tune=500, chains=2)


@pytest.fixture(scope="module")
def unit_scale_fit():
    return _fit(grouped_frame())


@pytest.mark.parametrize(
    ("outcome_scale", "predictor_scale"),
    [(1e-9, 1.0), (1e9, 1.0), (1.0, 1e-9), (1.0, 1e9), (1e-9, 1e9)],
)
def test_a_fit_at_any_scale_is_the_unit_fit_rescaled(
    unit_scale_fit, outcome_scale, predictor_scale
):
    frame = grouped_frame()
    frame["y"] *= outcome_scale
    frame["x"] *= predictor_scale
    fit = _fit(frame)
    scale = {
        "mu_alpha": outcome_scale,
        "sigma_alpha": outcome_scale,
        "sigma": outcome_scale,
        "alpha": outcome_scale,
        "beta": outcome_scale / predictor_scale,
    }
    rhat = az.rhat(fit.posterior)
    # Two chains of 500 draws: the unit-scale fit's R-hat is 1.01-1.03 too; before the fix these
    # fits ended between 3.0 and 4.0.
    assert max(float(rhat[v].max()) for v in scale) < 1.05
    assert int(fit.sample_stats["diverging"].sum()) == 0
    mcse = az.mcse(fit.posterior)
    unit_mcse = az.mcse(unit_scale_fit.posterior)
    for name, factor in scale.items():
        rescaled = fit.posterior[name].mean(("chain", "draw")).to_numpy() / factor
        unit = unit_scale_fit.posterior[name].mean(("chain", "draw")).to_numpy()
        error = np.hypot(mcse[name].to_numpy() / factor, unit_mcse[name].to_numpy())
        assert np.all(np.abs(rescaled - unit) < 4 * error), name


# --------------------------------------------------------------------------------------------
# The command, end to end: one refusal through the console script (the exit status and the one
# line on stderr of a real process); the other refusals and the reports through its main in
# this process, which spares each a Python start and the imports (PyMC, ArviZ) the test
# process has made already: about 10 CPU seconds a run.


def report_argv(tmp_path, csv: Path, *options: str) -> tuple[list[str], Path]:
    output = tmp_path / "report.html"
    argv = ["data", str(csv), "-o", str(output), *options]
    argv += ["--draws", "200", "--tune", "200", "--chains", "2", "--no-progress"]
    return argv, output


def run_report(tmp_path, csv: Path, *options: str):
    argv, output = report_argv(tmp_path, csv, *options)
    command = [str(HBM_REPORT), *argv]
    return subprocess.run(command, capture_output=True, text=True, timeout=600), output


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda frame: frame.astype({"y": object}).assign(
                y=lambda f: f["y"].where(f.index != 6, "inf")
            ),
            "outcome column 'y' holds 1 infinite value(s) (inf or -inf), the first at line 8; "
            "expected finite numbers",
        ),
        (
            lambda frame: frame.assign(y=(frame["y"] > 0).astype(int)),
            "outcome 'y' holds only 0 and 1: a normal model would predict values outside them; "
            "it needs a Bernoulli (logistic) model, which the workbook's grouped models do not "
            "fit; set family to 'gaussian' to fit a normal model anyway",
        ),
        (lambda frame: frame.iloc[:0], "{csv} has no rows of data: only its header line (g, y, x)"),
    ],
    ids=["inf", "zero-one", "header-only"],
)
def test_the_command_refuses_hostile_data_in_one_line(tmp_path, capsys, change, message):
    csv = tmp_path / "data.csv"
    change(grouped_frame()).to_csv(csv, index=False)
    argv, _ = report_argv(tmp_path, csv, "--group", "g", "--outcome", "y")
    status = main(argv)
    error = capsys.readouterr().err
    assert status == 2, error
    assert error.splitlines() == [f"hbm-report: error: {message.format(csv=csv)}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]


def test_the_command_refuses_repeated_column_names(tmp_path):
    csv = write_csv(tmp_path / "data.csv", "g,y,y\na,1,2\nb,3,4\na,2,2\nb,5,1\n")
    done, output = run_report(tmp_path, csv, "--group", "g", "--outcome", "y")
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        f"hbm-report: error: {csv} repeats the column name(s) 'y' in its header; "
        "each column needs its own name"
    ]
    assert not output.exists()


@pytest.mark.parametrize(
    ("columns", "scale"),
    [({"g": "obs_id", "x": "sigma"}, 1.0), ({}, 1e-9)],
    ids=["internal-names", "outcome-at-1e-9"],
)
def test_the_command_reports_on_hostile_names_and_scales(tmp_path, capsys, columns, scale):
    frame = grouped_frame().assign(y=lambda f: f["y"] * scale).rename(columns=columns)
    csv = tmp_path / "data.csv"
    frame.to_csv(csv, index=False)
    results = tmp_path / "results.json"
    group, predictor = columns.get("g", "g"), columns.get("x", "x")
    argv, output = report_argv(
        tmp_path,
        csv,
        "--group",
        group,
        "--outcome",
        "y",
        "--predictor",
        predictor,
        "--results-json",
        str(results),
    )
    status = main(argv)
    assert status == 0, capsys.readouterr().err
    assert output.is_file() and output.with_suffix(".ipynb").is_file()
    recorded = json.loads(results.read_text())
    assert recorded["group"] == group and recorded["n_groups"] == 8
    assert {row["group"] for row in recorded["group_estimates"]} == {f"s{i}" for i in range(8)}
    for fit in recorded["convergence"].values():
        assert fit["divergences"] == 0
        assert fit["max_rhat"] < 1.1  # 2 chains of 200 draws; the unit-scale file gives 1.03
    sigma = {
        row["model"]: row["mean"] for row in recorded["parameters"] if row["parameter"] == "sigma"
    }
    assert 0.5 * scale < sigma["partial"] < 1.0 * scale
