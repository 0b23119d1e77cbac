"""Three formula reports on data the workbook did not make, one per family kind (normal,
binary, count), each against statsmodels' fit of the same data and compared by LOO with its
complete-pooling and no-pooling counterparts; and one with crossed groups, which has no
no-pooling counterpart."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from statsmodels.genmod.bayes_mixed_glm import BinomialBayesMixedGLM, PoissonBayesMixedGLM

from hbm_widgets.models.formula_loo import MAX_GROUPS, MAX_REFITS
from hbm_widgets.report.command import main

SMALL = ["--draws", "500", "--tune", "500", "--chains", "2"]


def sleep_study() -> pd.DataFrame:
    """A simulated sleep-deprivation study: 18 subjects' reaction times over 10 days."""
    rng = np.random.default_rng(20261207)
    subject = np.repeat(np.arange(18), 10)
    days = np.tile(np.arange(10), 18)
    intercepts = rng.normal(0, 25, 18)
    slopes = rng.normal(0, 6, 18)
    reaction = 250 + intercepts[subject] + (10 + slopes[subject]) * days
    reaction += rng.normal(0, 25, subject.size)
    subjects = [f"S{s:02d}" for s in subject]
    return pd.DataFrame({"Reaction": reaction.round(2), "Days": days, "Subject": subjects})


def clinics(kind: str) -> pd.DataFrame:
    """20 clinics of 15 patients: a dose, and a 0/1 or count outcome on the log-odds or log
    scale with a clinic intercept of SD 0.5."""
    rng = np.random.default_rng(7 if kind == "binary" else 11)
    clinic = np.repeat(np.arange(20), 15)
    dose = rng.uniform(0, 2, clinic.size).round(2)
    eta = (-0.5 if kind == "binary" else 0.3) + 0.8 * dose + rng.normal(0, 0.5, 20)[clinic]
    if kind == "binary":
        outcome = rng.binomial(1, 1 / (1 + np.exp(-eta)))
    else:
        outcome = rng.poisson(np.exp(eta))
    return pd.DataFrame({"y": outcome, "dose": dose, "clinic": [f"c{c}" for c in clinic]})


def crossed_groups() -> pd.DataFrame:
    """96 pupils' scores in 32 classes of three crossed with 3 tutors (each pupil one of each)."""
    rng = np.random.default_rng(31)
    pupil = np.arange(96)
    form, tutor = pupil // 3, pupil % 3
    hours = rng.uniform(0, 4, pupil.size).round(2)
    score = 50 + 3 * hours + rng.normal(0, 4, 32)[form] + rng.normal(0, 2, 3)[tutor]
    score += rng.normal(0, 5, pupil.size)
    return pd.DataFrame(
        {
            "score": score.round(1),
            "hours": hours,
            "form": [f"f{f:02d}" for f in form],
            "tutor": [f"t{t}" for t in tutor],
        }
    )


def loo_table(html: str) -> list[tuple[str, str]]:
    """The (model, formula) of each row of the page's LOO table, best first."""
    section = html.split('id="Does-the-grouping-help-predict?"', 1)[1]
    section = section.split('id="Predicting-a-new-group"', 1)[0]
    table = section[section.index("<table") : section.index("</table>")]
    rows = [
        re.findall(r"<td[^>]*>(.*?)</td>", row)
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]
    return [(cells[0], cells[1]) for cells in rows if cells]


def run(folder: Path, data: pd.DataFrame, formula: str, family: str) -> dict:
    csv = folder / "data.csv"
    data.to_csv(csv, index=False)
    output = folder / "report.html"
    argv = ["data", str(csv), "--formula", formula, "--family", family, *SMALL]
    argv += ["--no-progress", "--results-json", str(folder / "results.json"), "-o", str(output)]
    assert main(argv) == 0
    results = json.loads((folder / "results.json").read_text())
    estimates = {row["parameter"]: row for row in results["summary"]}
    return {"html": output.read_text(), "results": results, "estimates": estimates}


@pytest.fixture(scope="module")
def normal(tmp_path_factory):
    folder = tmp_path_factory.mktemp("normal")
    data = sleep_study()
    report = run(folder, data, "Reaction ~ Days + (1 + Days | Subject)", "gaussian")
    reference = smf.mixedlm("Reaction ~ Days", data, groups="Subject", re_formula="~Days").fit()
    return report, reference.fe_params


@pytest.fixture(scope="module")
def binary(tmp_path_factory):
    folder = tmp_path_factory.mktemp("binary")
    data = clinics("binary")
    report = run(folder, data, "y ~ dose + (1 | clinic)", "bernoulli")
    reference = BinomialBayesMixedGLM.from_formula(
        "y ~ dose", {"clinic": "0 + C(clinic)"}, data
    ).fit_vb()
    return report, pd.Series(reference.fe_mean, index=["Intercept", "dose"])


@pytest.fixture(scope="module")
def count(tmp_path_factory):
    folder = tmp_path_factory.mktemp("count")
    data = clinics("count")
    report = run(folder, data, "y ~ dose + (1 | clinic)", "poisson")
    reference = PoissonBayesMixedGLM.from_formula(
        "y ~ dose", {"clinic": "0 + C(clinic)"}, data
    ).fit_vb()
    return report, pd.Series(reference.fe_mean, index=["Intercept", "dose"])


@pytest.fixture(scope="module")
def crossed(tmp_path_factory):
    # More classes than MAX_GROUPS, so that the report leaves no class out at a time: two
    # fits, the model and complete pooling.
    return run(
        tmp_path_factory.mktemp("crossed"),
        crossed_groups(),
        "score ~ hours + (1 | form) + (1 | tutor)",
        "gaussian",
    )


# The posterior mean and statsmodels' estimate differ by the prior's pull (weak here), the
# Monte Carlo error of 1000 draws (a tenth of a posterior SD at an ESS of ~100) and, for the
# normal model, MixedLM's correlated intercept and slope where Bambi's are independent; for
# 0/1 and counts statsmodels' variational Bayes mean differs from the exact posterior's by a
# fraction of its SD. Half a posterior SD covers all of these with room to spare while still
# catching a coefficient on the wrong scale or a sign flip.
@pytest.mark.parametrize("fixture", ["normal", "binary", "count"])
def test_headline_numbers_match_statsmodels(request, fixture):
    report, reference = request.getfixturevalue(fixture)
    for name in ("Intercept", reference.index[1]):
        estimate = report["estimates"][name]
        assert abs(estimate["mean"] - reference[name]) < 0.5 * estimate["sd"], (
            name,
            estimate,
            reference[name],
        )


@pytest.mark.parametrize("fixture", ["normal", "binary", "count"])
def test_the_page_runs_no_script_and_opens_with_its_summary(request, fixture):
    report, _ = request.getfixturevalue(fixture)
    html = report["html"]
    assert "<script" not in html.lower()
    headings = re.findall(r"<h2[^>]*>(.*?)<", html)
    assert headings[0] == "Summary"
    assert headings[1] == "The data"
    assert "As a formula" in html
    # The model's terms and priors are the report's own table, not Bambi's console text.
    for bambi_header in ("Formula:", "Family:", "Priors:", "Common-level effects"):
        assert bambi_header not in html
    assert "varying intercept by" in html
    assert "Normal(mu=0, sigma=HalfNormal(sigma=" in html
    # The forest and predictive-check charts, as SVG images or inlined SVG.
    assert "data:image/svg+xml" in html or "<svg" in html


@pytest.mark.parametrize("fixture", ["normal", "binary", "count"])
def test_leaving_groups_out_names_the_groups_it_refitted(request, fixture):
    report, _ = request.getfixturevalue(fixture)
    results, html = report["results"], report["html"]
    refitted, unreliable = results["groups_refitted"], results["groups_unreliable"]
    assert set(refitted) == set(unreliable) == set(results["elpd_leave_one_group_out"])
    for formula, groups in refitted.items():
        assert len(groups) <= MAX_REFITS
        assert not set(groups) & set(unreliable[formula])
        if groups:
            assert f"{', '.join(groups)}; the model was sampled again without" in html


def test_some_report_refits_a_group(normal, binary, count):
    # With the report's seed, complete pooling misses one subject of the sleep study and one
    # clinic of the counts, and the binary model with clinics three clinics, by a Pareto k
    # above 0.7: at least one of these is refitted whatever the platform's last digits.
    refitted = [
        group
        for report, _ in (normal, binary, count)
        for groups in report["results"]["groups_refitted"].values()
        for group in groups
    ]
    assert refitted


def test_the_normal_report_says_its_effects_are_independent_and_lists_each_subject(normal):
    report, _ = normal
    assert "modelled as independent of each other" in report["html"]
    assert "varying slope of Days by Subject" in report["html"]
    assert "residual SD" in report["html"]
    intercepts = report["results"]["group_estimates"]["1|Subject"]
    assert sorted(row["group"] for row in intercepts) == [f"S{s:02d}" for s in range(18)]
    assert {row["n"] for row in intercepts} == {10}
    # A new subject at the quartiles of Days (pandas' linear quantiles of 18 of each day).
    days = [row["Days"] for row in report["results"]["new_group_prediction"]]
    assert days == [2.0, 4.5, 7.0]


def test_the_binary_report_predicts_probabilities(binary):
    report, _ = binary
    predicted = report["results"]["new_group_prediction"]
    assert all(0 < row["hdi_low"] < row["mean"] < row["hdi_high"] < 1 for row in predicted)


NO_POOLING = {
    "normal": "Reaction ~ 0 + Subject + Days:Subject",
    "binary": "y ~ 0 + clinic + dose",
    "count": "y ~ 0 + clinic + dose",
}


@pytest.mark.parametrize("fixture", ["normal", "binary", "count"])
def test_loo_compares_the_model_with_complete_and_no_pooling(request, fixture):
    report, _ = request.getfixturevalue(fixture)
    results, html = report["results"], report["html"]
    formula = results["formula"]
    pooled = formula.split(" + (")[0]
    no_pooling = NO_POOLING[fixture]
    rows = loo_table(html)
    assert sorted(rows) == sorted(
        [("the model", formula), ("complete pooling", pooled), ("no pooling", no_pooling)]
    )
    assert results["no_pooling_formula"] == no_pooling
    assert results["no_pooling_left_out"] is None
    assert set(results["elpd_loo"]) == {formula, pooled, no_pooling}
    assert results["elpd_loo_no_pooling"] == results["elpd_loo"][no_pooling]
    # The table is best first, and the verdict in the summary and in the section names the
    # first two rows.
    elpd = [results["elpd_loo"][name] for _, name in rows]
    assert elpd == sorted(elpd, reverse=True)
    words = {
        "the model": "the model (partial pooling)",
        "complete pooling": "complete pooling",
        "no pooling": "no pooling (each group on its own)",
    }
    verdict = (
        f"By LOO, {words[rows[0][0]]} predicts held-out rows best, ahead of {words[rows[1][0]]} by"
    )
    summary = html.split('id="The-data"', 1)[0]
    assert verdict in summary
    assert html.count(verdict) == 2
    # Every fit is in the convergence table and the results, no pooling among them.
    assert set(results["convergence"]) == {"the model", "complete pooling", "no pooling"}
    if results["fit_problems"]:
        assert "Do not trust these estimates yet" in summary
    else:
        assert "no divergent transitions in any of the 3 fits" in summary
    assert "No pooling has no part here: a model of each group on its own" in html
    assert "No pooling (each group fitted on its own) is left out" not in html


def test_the_sleep_study_predicts_worst_without_its_subjects(normal):
    # Subjects differ by 25 ms in intercept and 6 ms a day in slope against a 25 ms residual:
    # both models that know each subject predict a held-out day far better than one line.
    report, _ = normal
    assert loo_table(report["html"])[-1][0] == "complete pooling"
    # Each subject's own intercept and slope rest on its ten days alone, so leaving out an
    # extreme day moves them a lot: the page says for which models PSIS is unreliable, with
    # ArviZ's threshold for 1,000 draws.
    unreliable = re.search(
        r"PSIS is unreliable for the rows whose Pareto k is above 0\.67 \(([^)]*)\)",
        report["html"],
    )
    assert unreliable is not None
    counts = dict(part.split(": ") for part in unreliable.group(1).split("; "))
    assert set(counts) <= {"the model", "complete pooling", "no pooling"}
    assert re.fullmatch(r"[1-9]\d* rows?", counts["no pooling"])


def test_crossed_groups_have_no_no_pooling_counterpart(crossed):
    results, html = crossed["results"], crossed["html"]
    reason = (
        "the formula's grouping factors form and tutor are crossed (each row is in a group of "
        "each), so there is no one set of groups to fit each on its own."
    )
    assert f"No pooling (each group fitted on its own) is left out: {reason}" in html
    assert results["no_pooling_left_out"] == reason
    assert results["no_pooling_formula"] is None
    assert results["elpd_loo_no_pooling"] is None
    rows = loo_table(html)
    assert sorted(rows) == [
        ("complete pooling", "score ~ hours"),
        ("the model", "score ~ hours + (1 | form) + (1 | tutor)"),
    ]
    assert set(results["elpd_loo"]) == {formula for _, formula in rows}
    assert set(results["convergence"]) == {"the model", "complete pooling"}
    assert "By LOO, " in html.split('id="The-data"', 1)[0]
    assert results["groups"] == {"form": 32, "tutor": 3}
    assert results["groups"]["form"] > MAX_GROUPS  # no leaving-groups-out refits


def test_the_sleep_study_shows_each_subjects_shrinkage(normal):
    html = normal[0]["html"]
    section = html.split('id="Shrinkage:-from-each-group', 1)[1].split('id="Does-the-model', 1)[0]
    # One chart a varying coefficient (intercept and slope of Days), inline SVG, and the table.
    assert section.count("<svg") >= 2
    assert "intercept by Subject: no pooling → partial pooling" in section
    assert "slope of Days by Subject: no pooling → partial pooling" in section
    assert "share of the way to the population mean" in section


def test_crossed_groups_show_no_shrinkage(crossed):
    assert "Shrinkage needs the no-pooling fit, which is left out" in crossed["html"]
