"""A grouped-data report reads like a report: a summary first, tables without row numbers,
equations as MathML, a forest chart, a posterior predictive check, new-group predictions at
the predictor's quartiles, and settings that speak of the file it was made from.

One report is made (200 draws, 2 chains) on a simulated sleep-deprivation study shaped like
lme4's ``sleepstudy`` (18 subjects x 10 days, correlated varying intercepts and slopes); the
tests read its page, executed notebook and recorded figures.
"""

from __future__ import annotations

import html
import json
import re
import shutil

import nbformat
import numpy as np
import pandas as pd
import pytest

import hbm_widgets as hbm
from hbm_widgets.report.command import main
from hbm_widgets.report.page import _math_to_mathml, notebook_to_html


def simulate_sleep_study(seed: int = 20261207) -> pd.DataFrame:
    """Reaction times of 18 subjects over days 0-9, at lme4's published estimates."""
    rng = np.random.default_rng(seed)
    subjects = np.arange(308, 308 + 3 * 18, 3)
    sd_intercept, sd_slope, correlation = 24.7, 5.9, 0.07
    covariance = [
        [sd_intercept**2, correlation * sd_intercept * sd_slope],
        [correlation * sd_intercept * sd_slope, sd_slope**2],
    ]
    effects = rng.multivariate_normal([251.4, 10.47], covariance, size=subjects.size)
    days = np.tile(np.arange(10), subjects.size)
    subject = np.repeat(subjects, 10)
    index = np.repeat(np.arange(subjects.size), 10)
    reaction = effects[index, 0] + effects[index, 1] * days + rng.normal(0, 25.6, days.size)
    return pd.DataFrame({"Reaction": reaction.round(3), "Days": days, "Subject": subject})


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sleep-report")
    frame = simulate_sleep_study()
    frame.to_csv(folder / "sleep.csv", index=False)
    argv = ["data", str(folder / "sleep.csv"), "--group", "Subject", "--outcome", "Reaction"]
    argv += ["--predictor", "Days", "--varying", "both"]
    argv += ["--draws", "200", "--tune", "200", "--chains", "2", "--seed", "5"]
    argv += ["--no-progress", "--results-json", str(folder / "sleep.json")]
    code = main([*argv, "-o", str(folder / "sleep.html")])
    page = (folder / "sleep.html").read_text()
    return {
        "code": code,
        "frame": frame,
        "page": page,
        "summary": page[page.index('id="Summary"') : page.index('id="How-this-report-works"')],
        "notebook": nbformat.read(folder / "sleep.ipynb", as_version=4),
        "results": json.loads((folder / "sleep.json").read_text()),
    }


def section(page: str, heading_id: str) -> str:
    """The page from one heading to the next."""
    start = page.index(f'id="{heading_id}"')
    following = re.search(r"<h2\b", page[start + 10 :])
    return page[start : start + 10 + following.start()] if following else page[start:]


def text_of(fragment: str) -> str:
    """The words of an HTML fragment: blocks and cells apart, inline tags dropped."""
    spaced = re.sub(r"<(?:br|/p|/li|/div|/h\d|/td|/th)\b[^>]*>", " ", fragment)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", spaced)))


def svg_images(fragment: str) -> list[str]:
    """The SVG drawings written into the fragment (none is left as a linked image)."""
    assert "data:image/svg+xml" not in fragment
    return re.findall(r"<svg\b.*?</svg>", fragment, flags=re.S)


@pytest.mark.slow
@pytest.mark.notebook
def test_the_summary_opens_the_report_with_the_model_and_its_estimates(report):
    assert report["code"] == 0
    page, summary = report["page"], report["summary"]
    assert page.index('id="Summary"') < page.index('id="The-data"')
    words = text_of(summary)
    assert "Formula: Reaction ~ 1 + Days + (1 + Days | Subject)" in words
    assert "180 observations of Reaction in 18 groups (Subject), 10 each." in words
    parameters = pd.DataFrame(report["results"]["parameters"])
    partial = parameters[parameters["model"] == "partial"].set_index("parameter")
    quoted = {
        "mu_alpha": r"The average Subject's intercept \(its expected Reaction where Days = 0\) is",
        "mu_beta": r"The average Subject's slope on Days is",
        "sigma_alpha": r"Intercepts vary from one Subject to another with a standard deviation of",
        "sigma_beta": r"Slopes vary from one Subject to another with a standard deviation of",
        "rho": r"Intercepts and slopes are correlated at",
        "sigma": r"residual standard deviation of",
    }
    for name, sentence in quoted.items():
        found = re.search(sentence + r" (-?[\d,.]+)( Reaction)?.*? \(94% HDI (-?[\d,.]+) to", words)
        assert found, f"no sentence for {name}"
        mean, low = (float(found.group(k).replace(",", "")) for k in (1, 3))
        # Three significant figures of the recorded posterior mean and interval.
        assert mean == pytest.approx(partial.loc[name, "mean"], rel=0.006, abs=0.006)
        assert low == pytest.approx(partial.loc[name, "hdi_low"], rel=0.006, abs=0.006)
    assert "Reaction per unit of Days" in words  # the slope's units
    elpd = report["results"]["elpd_loo"]
    best = max(elpd, key=elpd.get)
    label = {"complete": "complete pooling", "none": "no pooling", "partial": "partial pooling"}
    assert f"By leave-one-out cross-validation {label[best]}" in words


@pytest.mark.slow
@pytest.mark.notebook
def test_the_convergence_verdict_counts_effective_sample_sizes(report):
    convergence = report["results"]["convergence"]
    low_ess = [
        label
        for label, fit in convergence.items()
        if min(fit["min_ess_bulk"], fit["min_ess_tail"]) < 400
    ]
    failing = [
        label
        for label, fit in convergence.items()
        if fit["max_rhat"] >= 1.01 or fit["divergences"] > 0 or label in low_ess
    ]
    summary = report["summary"]
    assert ('class="hbm-warning"' in summary) == bool(failing)
    assert ("Convergence:</strong> all 3 fits passed" in summary) == (not failing)
    for line in report["results"]["fit_problems"]:
        assert html.escape(line) in summary
    for label in low_ess:
        low = rf"{label}: min (bulk|tail) ESS is \d+ \(should be at least 400\)"
        assert re.search(low, summary)
    # The page's own box at the top is not repeated above a summary that shows one.
    assert report["page"].count('class="hbm-warning"') == 2 * bool(failing)  # summary, diagnostics


@pytest.mark.slow
@pytest.mark.notebook
def test_tables_have_no_row_numbers_and_say_what_their_columns_hold(report):
    page = report["page"]
    tables = re.findall(r"<table\b.*?</table>", page, flags=re.S)
    assert len(tables) >= 8
    for table in tables:
        assert "row_heading" not in table, "a table shows pandas row numbers"
    headers = {text_of(h).strip() for h in re.findall(r"<th\b[^>]*>.*?</th>", page, re.S)}
    assert {"posterior mean", "94% HDI low", "94% HDI high", "observations", "unit"} <= headers
    assert not headers & {"hdi_low", "hdi_high", "hdi_3%", "mean_Reaction", "max_rhat"}
    assert "Reaction per unit of Days" in text_of(section(page, "Which-strategy-predicts-best?"))


@pytest.mark.slow
@pytest.mark.notebook
def test_equations_are_mathml_and_the_graph_is_drawn_without_scripts(report):
    page = report["page"]
    models = section(page, "Three-models")
    assert len(re.findall(r'<math\b[^>]*display="block"', models)) == 3
    assert r"\begin{aligned}" not in page and "$$" not in page
    assert "<mtable" in models and "<mi>σ</mi>" in models  # rows of equations; a sigma
    assert "<script" not in page.lower()
    # Each drawing's ids are its own: two charts' clip paths do not clash.
    ids = re.findall(r'\bid="(hbm-svg[^"]+)"', page)
    assert ids and len(ids) == len(set(ids))
    graph = [
        output
        for cell in report["notebook"].cells
        if cell.cell_type == "code" and "model_graph" in cell.source
        for output in cell.outputs
    ]
    if shutil.which("dot"):
        assert "image/svg+xml" in graph[0]["data"]
        drawn = re.search(r"as a graph.*?(<svg\b.*?</svg>)", page, re.S).group(1)
        # The variables of the correlated model, as text a reader can find in the page.
        for name in ("Reaction", "Days", "sigma", "mu_alpha", "mu_beta", "Subject (18)"):
            assert f">{name}</text>" in drawn
    else:
        assert "is not installed here" in graph[0]["data"]["text/markdown"]


@pytest.mark.slow
@pytest.mark.notebook
def test_groups_are_a_forest_sorted_by_estimate_with_their_sizes(report):
    estimates = pd.DataFrame(report["results"]["group_estimates"])
    charts = svg_images(section(report["page"], "Each-group-under-the-chosen-model"))
    assert len(charts) == 2  # intercept and slope
    for coefficient, chart in zip(("alpha", "beta"), charts, strict=True):
        labels = re.findall(r">(\d+) \(n = (\d+)\)</text>", chart)
        assert [n for _, n in labels] == ["10"] * 18
        expected = (
            estimates[estimates["coefficient"] == coefficient]
            .sort_values("mean", ascending=False)["group"]
            .tolist()
        )
        assert [name for name, _ in labels] == expected


@pytest.mark.slow
@pytest.mark.notebook
def test_shrinkage_is_a_share_of_the_way_and_moves_past_the_mean_are_explained(report):
    shrinkage = pd.DataFrame(report["results"]["shrinkage"])
    words = text_of(section(report["page"], "Shrinkage:-from-no-pooling-to-partial-pooling"))
    assert "share of the way to the population mean" in words
    assert "above 1 means it moved past the population mean" in words
    parameters = pd.DataFrame(report["results"]["parameters"])
    spread = parameters[parameters["model"] == "partial"].set_index("parameter")["mean"]
    gap = (shrinkage["no_pooling"] - shrinkage["mu"]).abs()
    unusual = ((shrinkage["shrinkage"] > 1) | (shrinkage["shrinkage"] < 0)) & (
        gap >= 0.1 * shrinkage["coefficient"].map(lambda c: spread[f"sigma_{c}"])
    )
    explained = "estimated jointly with a correlation, so a group's intercept and slope" in words
    assert explained == bool(unusual.any())
    if unusual.any():
        assert f"{int(unusual.sum())} of {len(shrinkage)} estimates moved past" in words


@pytest.mark.slow
@pytest.mark.notebook
def test_a_posterior_predictive_check_is_drawn(report):
    check = section(report["page"], "Does-the-model-reproduce-the-data?")
    (chart,) = svg_images(check)
    assert "Reaction" in chart and "simulated data sets" in chart
    shares = report["results"]["ppc_pvalues"]
    assert set(shares) == {"mean", "sd", "min", "max"}
    assert all(0 <= share <= 1 for share in shares.values())
    # The simulated mean of a model with an intercept per subject matches the data's.
    assert 0.05 < shares["mean"] < 0.95


@pytest.mark.slow
@pytest.mark.notebook
def test_a_new_group_is_predicted_at_the_predictors_quartiles(report):
    prediction = pd.DataFrame(report["results"]["new_group_prediction"])
    days = report["frame"]["Days"]
    assert prediction["Days"].tolist() == pytest.approx(np.quantile(days, [0.25, 0.5, 0.75]))
    words = text_of(section(report["page"], "A-group-not-in-the-data"))
    # Days 0-9, ten times each: quartiles 2, 4.5 and 7.
    for where in ("lower quartile, Days = 2", "median, Days = 4.5", "upper quartile, Days = 7"):
        assert f" {where} " in words


@pytest.mark.slow
@pytest.mark.notebook
def test_settings_speak_of_this_file_only(report):
    page = report["page"]
    settings = text_of(section(page, "Settings-and-versions"))
    assert (
        "hbm-report data sleep.csv --group Subject --outcome Reaction --predictor Days "
        "--pooling partial --varying both --missing error --draws 200 --tune 200 --chains 2 "
        "--target-accept 0.9 --seed 5"
    ) in settings
    assert "rows used 180" in settings and "groups 18" in settings
    assert not re.search(r"radon|minnesota|county", page, re.I)


# --------------------------------------------------------------------------------------------
# The pieces, without a report


def test_tables_hide_row_numbers_but_keep_labels():
    frame = pd.DataFrame({"floor": [0.0, 1.0, 1.0], "mean": [1.5, 2.25, 3.0]}, index=[2, 0, 1])
    shown = hbm.significant_figures(frame).to_html()
    assert "row_heading" not in shown
    assert re.findall(r'class="data row\d col0" >([^<]*)<', shown) == ["0", "1", "1"]
    assert re.findall(r'class="data row\d col1" >([^<]*)<', shown) == ["1.500", "2.250", "3.000"]
    labelled = hbm.significant_figures(frame.set_axis(["a", "b", "c"])).to_html()
    assert re.findall(r'class="row_heading level0 row\d" >([^<]*)<', labelled) == ["a", "b", "c"]
    mixed = pd.DataFrame({"value": pd.Series([919, 5.0, 1.2246231], dtype=object)})
    assert re.findall(r'data row\d col0" >([^<]*)<', hbm.significant_figures(mixed).to_html()) == [
        "919",
        "5",
        "1.225",
    ]


def test_fit_problems_include_low_effective_sample_sizes():
    reports = {
        "thin": hbm.ConvergenceReport(1.004, 350.0, 420.0, 0, 1000, 4),
        "fine": hbm.ConvergenceReport(1.002, 900.0, 800.0, 0, 1000, 4),
    }
    assert hbm.fit_problems(reports) == ["thin: min bulk ESS is 350 (should be at least 400)"]


def test_formulas_become_mathml_and_the_rest_is_left_alone():
    converted = _math_to_mathml(
        "Costs $5 and $10; `$x$` stays; $\\sigma_j$ and\n\n$$\n\\begin{aligned}y &= 1 \\\\ z &= 2"
        "\\end{aligned}\n$$\n"
    )
    assert converted.startswith("Costs $5 and $10; `$x$` stays; <math")
    assert 'display="inline"' in converted and "&#x003C3;" in converted
    assert '<div class="hbm-math"><math' in converted and converted.count("<mtr>") == 2
    assert "$" not in converted.split("stays;")[1]
    unreadable = "$\\frac{1}{$"
    assert _math_to_mathml(unreadable) == unreadable


def test_a_notebook_that_shows_its_own_warning_box_gets_no_second_one():
    box = hbm.warning_box_html(["partial: min bulk ESS is 350 (should be at least 400)"])
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": box})]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T"), cell])
    page = notebook_to_html(notebook, warnings=["partial: max R-hat is 1.020"])
    assert page.count('class="hbm-warning"') == 1 and "max R-hat is 1.020" not in page
    plain = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T")])
    page = notebook_to_html(plain, warnings=["partial: max R-hat is 1.020"])
    assert page.count('class="hbm-warning"') == 1 and "max R-hat is 1.020" in page


def test_forest_chart_sorts_groups_and_labels_their_sizes():
    estimates = pd.DataFrame(
        {
            "group": ["a", "b", "c"],
            "n": [3, 1200, 7],
            "mean": [0.2, 1.5, -0.4],
            "hdi_low": [0.0, 1.2, -0.9],
            "hdi_high": [0.5, 1.9, 0.1],
        }
    )
    spec = hbm.plot_forest(estimates, population_mean=0.3).to_dict()
    assert spec["layer"][0]["encoding"]["y"]["sort"] == ["b (n = 1,200)", "a (n = 3)", "c (n = 7)"]
    assert spec["layer"][-1]["mark"]["strokeDash"] == [4, 3]
    with pytest.raises(hbm.WorkbookInputError, match="'n' is missing"):
        hbm.plot_forest(estimates.drop(columns="n"))
