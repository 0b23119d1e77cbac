"""The GCSE core, charts and widget: counts, the ML fit, the joint model's density, ranks.

Nothing here samples: posteriors are synthetic draws wrapped in DataTrees, so every
number can be checked against a direct computation on the same draws.
"""

from __future__ import annotations

import math
from unittest import mock

import arviz as az
import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
import xarray as xr
from scipy import stats

import hbm_widgets as hbm
from hbm_widgets.lessons import gcse


@pytest.fixture(autouse=True)
def no_display():
    with mock.patch("hbm_widgets.widgets.base.display") as display:
        yield display


@pytest.fixture(scope="module")
def gcse_frame() -> pd.DataFrame:
    return hbm.load_gcse()


@pytest.fixture(scope="module")
def course_data(gcse_frame) -> hbm.GroupedData:
    return hbm.GroupedData.from_frame(
        gcse_frame, group="school", outcome="course", predictor="female", missing="drop"
    )


@pytest.fixture(scope="module")
def ml_fit(course_data) -> hbm.MixedLMFit:
    spec = hbm.ModelSpec(pooling="partial", varying="both")
    return hbm.fit_mixedlm(course_data, spec, reml=False)


SCHOOLS = ["s1", "s2", "s3", "s4", "s5"]
TRUE_ALPHA = np.array([60.0, 70.0, 65.0, 62.0, 75.0])
TRUE_BETA = np.array([8.0, 2.0, 5.0, 9.0, -1.0])


@pytest.fixture(scope="module")
def synthetic_idata() -> xr.DataTree:
    """Two chains of 300 draws of alpha and beta for five schools, plus the scalars."""
    rng = np.random.default_rng(3)
    shape = (2, 300)
    alpha = TRUE_ALPHA + rng.normal(0, 3, size=(*shape, 5))
    beta = TRUE_BETA + rng.normal(0, 2, size=(*shape, 5))
    scalars = {
        "mu_alpha": rng.normal(69.4, 1.3, size=shape),
        "mu_beta": rng.normal(7.1, 1.2, size=shape),
        "sigma_alpha": rng.gamma(90, 0.11, size=shape),
        "sigma_beta": rng.gamma(40, 0.17, size=shape),
        "rho": np.tanh(rng.normal(-0.5, 0.15, size=shape)),
        "sigma": rng.normal(13.0, 0.2, size=shape),
    }
    return az.from_dict(
        {"posterior": {"alpha": alpha, "beta": beta, **scalars}},
        coords={"school": SCHOOLS},
        dims={"alpha": ["school"], "beta": ["school"]},
    )


@pytest.fixture(scope="module")
def synthetic_data() -> hbm.GroupedData:
    rng = np.random.default_rng(4)
    rows = []
    for j, school in enumerate(SCHOOLS):
        for female in (0, 1, 0, 1, 1):
            score = TRUE_ALPHA[j] + TRUE_BETA[j] * female + rng.normal(0, 5)
            rows.append({"school": school, "female": female, "course": score})
    return hbm.GroupedData.from_frame(
        pd.DataFrame(rows), group="school", outcome="course", predictor="female"
    )


# ------------------------------------------------------------------------------------------
# The data
# ------------------------------------------------------------------------------------------


def test_missing_data_patterns_count_every_student(gcse_frame):
    patterns = gcse.missing_data_patterns(gcse_frame).set_index("pattern")
    assert patterns["students"].to_dict() == {"both": 1523, "only course": 202, "only written": 180}
    assert patterns["students"].sum() == len(gcse_frame) == 1905
    assert patterns["share"].sum() == pytest.approx(1.0)
    only_written = gcse_frame[gcse_frame["course"].isna()]
    assert patterns.loc["only written", "mean written"] == pytest.approx(
        only_written["written"].mean()
    )
    assert math.isnan(patterns.loc["only written", "mean course"])
    assert patterns.loc["only course", "mean female"] == pytest.approx(
        gcse_frame.loc[gcse_frame["written"].isna(), "female"].mean()
    )


def test_school_overview_adds_up(gcse_frame):
    overview = gcse.school_overview(gcse_frame)
    assert len(overview) == 73
    assert overview["students"].sum() == 1905
    assert overview["with course"].sum() == 1725
    assert overview["with written"].sum() == 1905 - 202
    share = gcse_frame.groupby("school")["female"].mean()
    assert overview.set_index("school")["female share"].to_numpy() == pytest.approx(
        share.to_numpy()
    )
    with pytest.raises(hbm.DataValidationError, match="column 'gender' is not in the data"):
        gcse.school_overview(gcse_frame, covariate="gender")


# ------------------------------------------------------------------------------------------
# Maximum likelihood
# ------------------------------------------------------------------------------------------


def test_ml_fit_reproduces_the_reference_ml_column(ml_fit):
    """statsmodels by ML on the complete cases gives lmer's numbers to the third decimal."""
    estimates = ml_fit.estimates()
    reference = gcse.GCSE_REFERENCE["ML (lmer)"]
    assert ml_fit.converged and not ml_fit.reml and int(ml_fit.result.nobs) == 1725
    for term, name in (("intercept", "mu_alpha"), ("female", "mu_beta")):
        value, se = reference[term]
        assert estimates.loc[name, "estimate"] == pytest.approx(value, abs=0.005)
        assert estimates.loc[name, "se"] == pytest.approx(se, abs=0.005)
    for term, name in (("sd_intercept", "sigma_alpha"), ("sd_female", "sigma_beta")):
        assert estimates.loc[name, "estimate"] == pytest.approx(reference[term][0], abs=0.005)
    frame = hbm.load_gcse().dropna(subset=["course"])
    direct = smf.mixedlm(
        "course ~ female", frame, groups=frame["school"], re_formula="~female"
    ).fit(reml=False, method="lbfgs")
    assert direct.converged
    assert estimates.loc[["mu_alpha", "mu_beta"], "estimate"].to_numpy() == pytest.approx(
        direct.fe_params.to_numpy(), abs=1e-3
    )


# ------------------------------------------------------------------------------------------
# The comparison table
# ------------------------------------------------------------------------------------------


def test_ml_vs_bayes_table_holds_each_source(ml_fit, synthetic_idata, course_data):
    table = gcse.ml_vs_bayes_table(ml_fit, synthetic_idata, course_data)
    estimates = ml_fit.estimates()
    assert list(table.columns.get_level_values(0).unique()) == [
        "ML (statsmodels)",
        "Bayes (PyMC)",
        "reference: ML (lmer)",
        "reference: Bayes (Stan)",
    ]
    post = synthetic_idata.posterior
    row = ("B. fixed effects", "intercept")
    assert table.loc[row, ("Bayes (PyMC)", "value")] == pytest.approx(
        float(post["mu_alpha"].mean())
    )
    assert table.loc[row, ("Bayes (PyMC)", "uncertainty")] == pytest.approx(
        float(post["mu_alpha"].std(ddof=1))
    )
    assert table.loc[row, ("ML (statsmodels)", "uncertainty")] == estimates.loc["mu_alpha", "se"]
    sd_row = ("A. school effects (SD)", "female")
    assert table.loc[sd_row, ("reference: Bayes (Stan)", "value")] == 7.099
    assert table.loc[sd_row, ("Bayes (PyMC)", "value")] == pytest.approx(
        float(post["sigma_beta"].mean())
    )
    assert table.loc[("N", "students"), ("ML (statsmodels)", "value")] == 1725
    assert table.loc[("N", "schools"), ("Bayes (PyMC)", "value")] == course_data.n_groups
    correlation = ("A. school effects (SD)", "correlation")
    assert math.isnan(table.loc[correlation, ("reference: ML (lmer)", "value")])

    text = gcse.format_comparison_table(table)
    assert text.loc[row, "reference: ML (lmer)"] == "69.425 (1.352)"
    assert text.loc[correlation, "reference: Bayes (Stan)"] == "–"
    assert text.loc[("N", "schools"), "reference: ML (lmer)"] == "73"
    # No standard error is shown for the ML school SDs (the reference gives none either).
    assert text.loc[sd_row, "ML (statsmodels)"] == f"{estimates.loc['sigma_beta', 'estimate']:.3f}"
    reml = hbm.fit_mixedlm(course_data, ml_fit.spec, reml=True)
    assert "REML (statsmodels)" in gcse.ml_vs_bayes_table(reml, synthetic_idata, course_data)
    intercept_only = hbm.fit_mixedlm(course_data, hbm.ModelSpec(), reml=False)
    with pytest.raises(hbm.WorkbookInputError, match="must vary intercept and slope together"):
        gcse.ml_vs_bayes_table(intercept_only, synthetic_idata, course_data)


def test_posterior_scalars_name_what_is_missing(synthetic_idata):
    with pytest.raises(hbm.WorkbookInputError, match="no variable 'nu'"):
        gcse.posterior_scalars(synthetic_idata, ["nu"])


def test_sampling_cost_counts_gradient_evaluations():
    rng = np.random.default_rng(5)
    steps = rng.integers(3, 32, size=(2, 200))
    idata = az.from_dict(
        {
            "posterior": {"mu": rng.normal(size=(2, 200)), "tau": rng.normal(size=(2, 200))},
            "sample_stats": {
                "n_steps": steps,
                "tree_depth": np.ceil(np.log2(steps + 1)),
                "diverging": np.arange(400).reshape(2, 200) < 3,
            },
        }
    )
    cost = gcse.sampling_cost(idata, ["mu", "tau"])
    ess = min(float(az.ess(idata, var_names=[v])[v]) for v in ("mu", "tau"))
    assert cost["gradient_evaluations"] == steps.sum()
    assert cost["min_ess_bulk"] == pytest.approx(ess)
    assert cost["ess_per_1000_gradients"] == pytest.approx(1000 * ess / steps.sum())
    assert cost["divergences"] == 3
    no_stats = az.from_dict({"posterior": {"mu": rng.normal(size=(2, 10))}})
    with pytest.raises(hbm.WorkbookInputError, match="no NUTS sample statistics"):
        gcse.sampling_cost(no_stats)


# ------------------------------------------------------------------------------------------
# The joint model of course and written scores
# ------------------------------------------------------------------------------------------


def _evaluate(model, names, point):
    """Model variables as functions of the free variables' (transformed) values at a point."""
    outputs = model.replace_rvs_by_values([model[n] for n in names])
    function = model.compile_fn(
        outputs, inputs=model.value_vars, on_unused_input="ignore", point_fn=True
    )
    return function(point)


def test_joint_model_uses_every_student_once(gcse_frame):
    model = hbm.build_joint_model(gcse_frame)
    observed = {rv.name: int(model.rvs_to_values[rv].eval().size) for rv in model.observed_RVs}
    assert observed == {"written": 1703, "course_given_written": 1523, "course_only": 202}
    (expected_missing,) = _evaluate(model, ["course_expected_missing"], model.initial_point())
    assert expected_missing.shape == (180,)
    assert set(model.coords["school"]) == {str(s) for s in gcse_frame["school"].unique()}


def test_joint_likelihood_is_the_bivariate_normal(gcse_frame):
    """p(written) p(course | written) for complete students, marginals for the others."""
    model = hbm.build_joint_model(gcse_frame)
    rng = np.random.default_rng(0)
    point = model.initial_point()
    for name, value in point.items():
        point[name] = value + rng.normal(0, 0.3, size=np.shape(value))
    # The LKJ Cholesky transform maps y to the correlation y / sqrt(1 + y^2): about 0.5 here.
    point["residual_chol_cholesky_corr__"] = np.array([0.578])
    observed = [model["written"], model["course_given_written"], model["course_only"]]
    likelihood = model.compile_logp(vars=observed, jacobian=False)(point)

    names = ["alpha", "beta", "alpha_written", "beta_written", "sigma", "sigma_written"]
    values = dict(zip(names, _evaluate(model, names, point), strict=True))
    rho = float(_evaluate(model, ["rho_residual"], point)[0])
    assert 0.3 < rho < 0.7
    codes = pd.factorize(gcse_frame["school"], sort=True)[0]
    x = gcse_frame["female"].to_numpy(float)
    mean_c = values["alpha"][codes] + values["beta"][codes] * x
    mean_w = values["alpha_written"][codes] + values["beta_written"] * x
    s_c, s_w = float(values["sigma"]), float(values["sigma_written"])
    y, w = gcse_frame["course"].to_numpy(), gcse_frame["written"].to_numpy()
    both = ~np.isnan(y) & ~np.isnan(w)
    cov = np.array([[s_c**2, rho * s_c * s_w], [rho * s_c * s_w, s_w**2]])
    expected = sum(
        stats.multivariate_normal([mean_c[i], mean_w[i]], cov).logpdf([y[i], w[i]])
        for i in np.flatnonzero(both)
    )
    only_w, only_c = np.isnan(y), np.isnan(w)
    expected += stats.norm(mean_w[only_w], s_w).logpdf(w[only_w]).sum()
    expected += stats.norm(mean_c[only_c], s_c).logpdf(y[only_c]).sum()
    assert likelihood == pytest.approx(expected, rel=1e-9)


def test_score_priors_come_from_the_scale_alone(course_data):
    priors = hbm.score_priors((0, 100))
    assert priors["mu_alpha"] == hbm.Prior("Normal", mu=50, sigma=20)
    assert priors["sigma_beta"] == hbm.Prior("HalfNormal", sigma=10)
    assert hbm.score_priors((20, 30))["mu_beta"] == hbm.Prior("Normal", mu=0, sigma=1)
    spec = hbm.ModelSpec(pooling="partial", varying="both", priors=priors)
    assert hbm.resolve_priors(spec, course_data)["sigma"] == hbm.Prior("HalfNormal", sigma=20)
    with pytest.raises(hbm.WorkbookInputError, match=r"needs finite low < high, got \(100, 0\)"):
        hbm.score_priors((100, 0))
    with pytest.raises(hbm.WorkbookInputError, match="must be two numbers"):
        hbm.score_priors("0-100")


def test_joint_model_priors_are_the_score_priors(gcse_frame):
    model = hbm.build_joint_model(gcse_frame, score_range=(0, 50))
    point = model.initial_point()
    # mu's prior: Normal([25, 0, 25], [10, 5, 10]); check its log density at the initial point.
    mu_logp = model.compile_logp(vars=[model["mu"]])(point)
    expected = stats.norm([25, 0, 25], [10, 5, 10]).logpdf(point["mu"]).sum()
    assert mu_logp == pytest.approx(expected)
    sigma_logp = model.compile_logp(vars=[model["sigma_written"]], jacobian=False)(point)
    value = np.exp(point["sigma_written_log__"])
    assert sigma_logp == pytest.approx(stats.halfnorm(scale=10).logpdf(value))


def test_joint_model_refuses_students_without_scores(gcse_frame):
    broken = gcse_frame.copy()
    broken.loc[[0, 5], ["course", "written"]] = np.nan
    with pytest.raises(hbm.DataValidationError, match="2 student\\(s\\) have neither"):
        hbm.build_joint_model(broken)
    with pytest.raises(hbm.DataValidationError, match="column 'sex' is not in the data"):
        hbm.build_joint_model(gcse_frame, predictor="sex")
    no_school = gcse_frame.copy()
    no_school.loc[3, "school"] = np.nan
    with pytest.raises(hbm.DataValidationError, match="'school' has 1 missing value"):
        hbm.build_joint_model(no_school)


# ------------------------------------------------------------------------------------------
# Expected scores, ranks, comparisons
# ------------------------------------------------------------------------------------------


def test_expected_scores_are_intercept_plus_slope(synthetic_idata):
    scores = hbm.expected_scores(synthetic_idata)
    assert scores.dims == ("sample", "school", "sex")
    assert scores.sizes["sample"] == 600
    alpha = synthetic_idata.posterior["alpha"].to_numpy().reshape(600, 5)
    beta = synthetic_idata.posterior["beta"].to_numpy().reshape(600, 5)
    assert scores.sel(sex="boys").to_numpy() == pytest.approx(alpha)
    assert scores.sel(sex="girls").to_numpy() == pytest.approx(alpha + beta)
    no_slope = az.from_dict({"posterior": {"alpha": alpha[None]}}, dims={"alpha": ["school"]})
    with pytest.raises(hbm.WorkbookInputError, match="needs 'beta' over the 'school' dimension"):
        hbm.expected_scores(no_slope)


def test_ranks_are_a_permutation_in_every_draw(synthetic_idata):
    scores = hbm.expected_scores(synthetic_idata).sel(sex="girls")
    ranks = hbm.school_ranks(scores).to_numpy()
    assert (np.sort(ranks, axis=1) == np.arange(1, 6)).all()
    best = scores.to_numpy().argmax(axis=1)
    assert (ranks[np.arange(len(ranks)), best] == 1).all()
    summary = hbm.rank_summary(hbm.school_ranks(scores), top=2)
    assert summary["mean_rank"].is_monotonic_increasing
    assert summary["mean_rank"].sum() == pytest.approx(15.0)  # 1 + 2 + ... + 5
    assert summary["p_top_2"].sum() == pytest.approx(2.0)
    assert summary.loc[0, "school"] == "s5"  # girls: 75 - 1 = 74 is the highest mean


def test_score_summary_matches_the_draws(synthetic_idata):
    scores = hbm.expected_scores(synthetic_idata)
    summary = hbm.score_summary(scores, prob=0.8).set_index(["school", "sex"])
    boys_s2 = scores.sel(sex="boys", school="s2").to_numpy()
    assert summary.loc[("s2", "boys"), "mean"] == pytest.approx(boys_s2.mean())
    assert summary.loc[("s2", "boys"), "lower"] == pytest.approx(np.quantile(boys_s2, 0.1))
    assert summary.loc[("s2", "boys"), "upper"] == pytest.approx(np.quantile(boys_s2, 0.9))
    with pytest.raises(hbm.WorkbookInputError, match=r"prob must be between 0 and 1, got 1\.5"):
        hbm.score_summary(scores, prob=1.5)


def test_compare_schools_probability_and_histogram(synthetic_idata):
    scores = hbm.expected_scores(synthetic_idata).sel(sex="girls")
    ab = hbm.compare_schools(scores, "s1", "s3")
    ba = hbm.compare_schools(scores, "s3", "s1")
    assert ab.probability + ba.probability == pytest.approx(1.0, abs=1e-12)
    direct = np.mean(scores.sel(school="s1").to_numpy() > scores.sel(school="s3").to_numpy())
    assert ab.probability == pytest.approx(direct)
    assert ab.mean == pytest.approx(-ba.mean)
    hist = ab.histogram
    assert (hist["bin_end"] - hist["bin_start"]) @ hist["density"] == pytest.approx(1.0)
    assert np.isclose(np.r_[hist["bin_start"], hist["bin_end"].iloc[-1]], 0).any()
    assert ((hist["side"] == "A higher") == (hist["bin_start"] >= 0)).all()
    blue = hist[hist["side"] == "A higher"]
    assert (blue["bin_end"] - blue["bin_start"]) @ blue["density"] == pytest.approx(
        ab.probability, abs=1e-9
    )
    # Integers name schools too.
    with pytest.raises(hbm.WorkbookInputError, match="both 's2'; pick two different schools"):
        hbm.compare_schools(scores, "s2", "s2")
    with pytest.raises(hbm.WorkbookInputError, match="school 99 is not in the data"):
        hbm.compare_schools(scores, "s2", 99)


def test_pairwise_probabilities_are_complementary(synthetic_idata):
    scores = hbm.expected_scores(synthetic_idata).sel(sex="boys")
    matrix = hbm.pairwise_probabilities(scores, top=4)
    assert len(matrix) == 16
    wide = matrix.pivot(index="school_a", columns="school_b", values="probability")
    assert np.isnan(np.diag(wide.to_numpy())).all()
    off = ~np.eye(4, dtype=bool)
    assert (wide.to_numpy() + wide.to_numpy().T)[off] == pytest.approx(np.ones(12))
    # Boys: s5 (75), s2 (70), s3 (65), s4 (62) are the top four, in that order.
    order = matrix.sort_values("order_a").drop_duplicates("school_a")["school_a"].tolist()
    assert order == ["s5", "s2", "s3", "s4"]
    chosen = hbm.pairwise_probabilities(scores, schools=["s1", "s4"])
    assert chosen.drop_duplicates("school_a")["school_a"].tolist() == ["s4", "s1"]
    with pytest.raises(hbm.WorkbookInputError, match="need at least two different schools"):
        hbm.pairwise_probabilities(scores, schools=["s1", "s1"])


def test_school_lines_no_pooling_is_each_schools_means(synthetic_idata, synthetic_data):
    estimates = hbm.school_line_estimates(synthetic_idata, synthetic_data).set_index("school")
    frame = synthetic_data.frame
    means = frame.groupby(["school", "female"])["course"].mean().unstack()
    assert estimates["no_pooling_intercept"].to_numpy() == pytest.approx(means[0.0].to_numpy())
    assert estimates["no_pooling_slope"].to_numpy() == pytest.approx(
        (means[1.0] - means[0.0]).to_numpy()
    )
    posterior_beta = synthetic_idata.posterior["beta"].mean(("chain", "draw")).to_numpy()
    assert estimates["partial_pooling_slope"].to_numpy() == pytest.approx(posterior_beta)
    lines = hbm.school_lines(estimates.reset_index())
    assert len(lines) == 2 * 2 * 5
    girls = lines[(lines["fit"] == "no pooling") & (lines["x"] == 1.0)].set_index("school")
    assert girls["score"].to_numpy() == pytest.approx(means[1.0].to_numpy())


def test_score_histograms_are_densities():
    rng = np.random.default_rng(1)
    frame = hbm.score_histograms(
        {"observed": rng.normal(70, 10, 500), "prior predictive": rng.normal(70, 40, 2000)},
        bins=30,
    )
    for _, part in frame.groupby("source"):
        assert (part["bin_end"] - part["bin_start"]) @ part["density"] == pytest.approx(1.0)
    with pytest.raises(hbm.WorkbookInputError, match="'observed' needs at least one value"):
        hbm.score_histograms({"observed": [np.nan]})


# ------------------------------------------------------------------------------------------
# Charts
# ------------------------------------------------------------------------------------------


def _rows(spec: dict) -> list[dict]:
    return [row for rows in spec["datasets"].values() for row in rows]


def test_caterpillar_orders_schools_by_rank(synthetic_idata):
    summary = hbm.score_summary(hbm.expected_scores(synthetic_idata))
    spec = hbm.plot_caterpillar(summary, order_by="girls").to_dict()
    girls = summary[summary["sex"] == "girls"].sort_values("mean_rank")
    assert spec["layer"][0]["encoding"]["y"]["sort"] == girls["school"].tolist()
    assert spec["layer"][0]["encoding"]["x"]["field"] == "lower"
    assert spec["layer"][0]["encoding"]["x2"]["field"] == "upper"
    assert spec["layer"][1]["encoding"]["yOffset"]["field"] == "sex"
    assert len(_rows(spec)) == 10
    with pytest.raises(hbm.WorkbookInputError, match="order_by='teachers' is not a level"):
        hbm.plot_caterpillar(summary, order_by="teachers")


def test_rank_chart_and_school_lines_carry_their_frames(synthetic_idata, synthetic_data):
    scores = hbm.expected_scores(synthetic_idata).sel(sex="girls")
    ranks = hbm.rank_summary(hbm.school_ranks(scores))
    spec = hbm.plot_rank_distribution(ranks).to_dict()
    assert spec["layer"][0]["encoding"]["y"]["sort"] == ranks["school"].tolist()
    assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"] == [1, 5]
    assert {r["school"]: r["mean_rank"] for r in _rows(spec)} == pytest.approx(
        dict(zip(ranks["school"], ranks["mean_rank"], strict=True))
    )
    lines = hbm.school_lines(hbm.school_line_estimates(synthetic_idata, synthetic_data))
    spec = hbm.plot_school_lines(lines).to_dict()
    assert spec["facet"]["column"]["field"] == "fit"
    assert spec["spec"]["encoding"]["detail"]["field"] == "school"
    assert len(_rows(spec)) == len(lines)
    with pytest.raises(hbm.WorkbookInputError, match=r"lack column\(s\) \['fit'\]"):
        hbm.plot_school_lines(lines.drop(columns="fit"))


def test_pairwise_chart_outlines_the_chosen_pair(synthetic_idata):
    scores = hbm.expected_scores(synthetic_idata).sel(sex="girls")
    matrix = hbm.pairwise_probabilities(scores, top=3)
    spec = hbm.plot_pairwise_probabilities(matrix, highlight=("s5", "s1")).to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["rect", "text", "rect"]
    assert spec["layer"][0]["encoding"]["color"]["scale"]["domain"] == [0, 1]
    assert "s5" in spec["layer"][2]["transform"][0]["filter"]
    rows = [r for r in _rows(spec) if "school_a" in r]
    assert len(rows) == 9
    labels = {(r["school_a"], r["school_b"]): r["label"] for r in rows}
    a, b = matrix.iloc[1][["school_a", "school_b"]]
    assert labels[(a, b)] == f"{matrix.iloc[1]['probability']:.2f}"
    assert labels[(a, a)] == ""


def test_difference_and_prior_predictive_charts():
    hist = pd.DataFrame(
        {
            "bin_start": [-2.0, 0.0],
            "bin_end": [0.0, 2.0],
            "density": [0.1, 0.4],
            "side": ["B higher", "A higher"],
        }
    )
    spec = hbm.plot_score_difference(hist, school_a="x", school_b="y").to_dict()
    assert spec["layer"][0]["encoding"]["x"]["title"].endswith("x − y")
    assert spec["layer"][0]["encoding"]["color"]["scale"]["domain"] == ["A higher", "B higher"]
    histograms = hbm.score_histograms({"observed": [50.0, 60, 70], "prior predictive": [0.0, 100]})
    spec = hbm.plot_score_prior_predictive(histograms).to_dict()
    assert spec["layer"][0]["mark"]["type"] == "rect"
    assert spec["layer"][1]["encoding"]["color"]["sort"] == ["observed", "prior predictive"]
    assert "rect" not in str(
        hbm.plot_score_prior_predictive(histograms, possible_range=None).to_dict()["layer"]
    )


# ------------------------------------------------------------------------------------------
# The widget
# ------------------------------------------------------------------------------------------


def test_school_comparison_follows_the_dropdowns(synthetic_idata, synthetic_data, no_display):
    explorer = hbm.school_comparison(synthetic_idata, synthetic_data, top=3)
    # By default the two best girls' schools: s5 (75 - 1 = 74) and s2 (70 + 2 = 72).
    assert (explorer.controls["school_a"].value, explorer.controls["school_b"].value) == (
        "s5",
        "s2",
    )
    explorer.controls["school_a"].value = "s1"
    explorer.controls["school_b"].value = "s3"
    scores = hbm.expected_scores(synthetic_idata)
    girls_1 = scores.sel(sex="girls", school="s1").to_numpy()
    girls_3 = scores.sel(sex="girls", school="s3").to_numpy()
    expected = float(np.mean(girls_1 > girls_3))
    assert explorer.comparison.probability == pytest.approx(expected)
    assert f"= <b>{expected:.3f}</b>" in explorer.summary.value
    spec = explorer.chart.to_dict()
    difference, matrix = spec["hconcat"]
    assert difference["layer"][0]["encoding"]["x"]["title"].endswith("s1 − s3")
    histogram_rows = spec["datasets"][difference["layer"][0]["data"]["name"]]
    assert [layer["mark"]["type"] for layer in matrix["layer"]][-1] == "rect"
    assert "s1" in matrix["layer"][-1]["transform"][0]["filter"]
    assert len(histogram_rows) == len(explorer.comparison.histogram)
    # The matrix shows the top three (s5, s2, s4) and the chosen pair, s1 and s3.
    assert set(explorer.matrix["school_a"]) == {"s5", "s4", "s2", "s1", "s3"}
    explorer.controls["level"].value = "boys"
    boys = scores.sel(sex="boys")
    assert explorer.comparison.probability == pytest.approx(
        float(np.mean(boys.sel(school="s1").to_numpy() > boys.sel(school="s3").to_numpy()))
    )
    assert no_display.call_count == 4


def test_school_comparison_keeps_the_last_good_pair(synthetic_idata, synthetic_data, no_display):
    explorer = hbm.school_comparison(synthetic_idata, synthetic_data, school_a="s1", school_b="s2")
    good_chart, good_comparison = explorer.chart, explorer.comparison
    explorer.controls["school_b"].value = "s1"
    assert explorer.error == "school A and school B are both 's1'; pick two different schools"
    assert "pick two different schools" in explorer.message.value
    assert explorer.chart is good_chart and explorer.comparison is good_comparison
    explorer.controls["school_b"].value = "s4"
    assert explorer.error is None and explorer.comparison.school_b == "s4"
    with pytest.raises(hbm.WorkbookInputError, match="school_a='zz' is not a school"):
        hbm.school_comparison(synthetic_idata, synthetic_data, school_a="zz")


# ------------------------------------------------------------------------------------------
# Exercises
# ------------------------------------------------------------------------------------------


def test_chapter_06_exercises_check_without_revealing(ml_fit):
    ml = ml_fit.estimates()["estimate"]
    girls = ml["mu_alpha"] + ml["mu_beta"]
    assert hbm.check_exercise("06-gcse-ml-vs-bayes", 1, round(girls, 2)).verdict == "right"
    assert hbm.check_exercise("06", 1, girls + 0.6).verdict == "close"
    wrong = hbm.check_exercise("06", 1, ml["mu_alpha"])
    assert wrong.verdict == "wrong" and f"{girls:.1f}" not in wrong.message
    sd_a, sd_b, rho = ml["sigma_alpha"], ml["sigma_beta"], ml["rho"]
    spread = math.sqrt(sd_a**2 + sd_b**2 + 2 * rho * sd_a * sd_b)
    assert hbm.check_exercise("06", 2, round(spread, 2)).verdict == "right"
    assert hbm.check_exercise("06", 2, spread - 0.3).verdict == "close"
    forgot = hbm.check_exercise("06", 2, math.hypot(sd_a, sd_b))
    assert forgot.verdict == "wrong" and "negatively correlated" in forgot.message
    assert hbm.check_exercise("06", 2, "eight").verdict == "wrong"
