"""``hbm-report``: chapters and CSV files become offline HTML reports; bad input is refused.

The end-to-end runs are small (200 draws, 2 chains); the notebook that stands in for a
chapter where only the report machinery is under test is built here and samples nothing.
"""

from __future__ import annotations

import json
import logging
import os
import re
import runpy
import stat
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import hbm_widgets as hbm
from hbm_widgets.report import command as report
from hbm_widgets.report import running
from hbm_widgets.report.command import main

FAST = ["--draws", "200", "--tune", "200", "--chains", "2"]
SVG_OUTPUT = 'data-mime-type="image/svg+xml"'
# Anything the browser would fetch: a script or a stylesheet from another host.
EXTERNAL = re.compile(r"<(?:script|link)\b[^>]*(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", re.I)


def simulate_scores(seed: int = 20261123) -> pd.DataFrame:
    """6 schools x 10 students: varying intercepts around 2 (SD 0.8), slope -0.5, noise 0.6."""
    rng = np.random.default_rng(seed)
    school = np.repeat(np.arange(6), 10)
    intercepts = rng.normal(2.0, 0.8, size=6)
    hours = rng.normal(size=school.size)
    score = intercepts[school] - 0.5 * hours + rng.normal(0, 0.6, size=school.size)
    return pd.DataFrame({"school": [f"s{k}" for k in school], "score": score, "hours": hours})


def write_notebook(notebook, path: Path) -> Path:
    """Write a test notebook that runs in the usual Python kernel."""
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "language": "python",
        "display_name": "Python 3",
    }
    nbformat.write(notebook, path)
    return path


def stand_in_notebook(path: Path) -> Path:
    """A notebook that records the convergence figures it is given, and can fail on request."""
    parameters = nbformat.v4.new_code_cell(
        'RANDOM_SEED = 1\nlabel = "first"\nmax_rhat = 1.002\ndivergences = 0\nfail = False\n'
        "results_path = None"
    )
    parameters.metadata["tags"] = ["parameters"]
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# A recorded fit"),
            parameters,
            nbformat.v4.new_code_cell('import json\n\nprint(f"label: {label}")'),
            nbformat.v4.new_code_cell('if fail:\n    raise RuntimeError("told to fail")'),
            nbformat.v4.new_code_cell(
                "if results_path is not None:\n"
                '    with open(results_path, "w") as handle:\n'
                '        figures = {"max_rhat": max_rhat, "divergences": divergences}\n'
                '        json.dump({"label": label, "convergence": figures}, handle)'
            ),
        ]
    )
    return write_notebook(notebook, path)


def executed_errors(path: Path) -> list:
    notebook = nbformat.read(path, as_version=4)
    return [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.output_type == "error"
    ]


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got: {err!r}"
    assert lines[0].startswith("hbm-report: error: ")
    assert "Traceback" not in err
    return lines[0]


# --------------------------------------------------------------------------------------------
# End to end


@pytest.fixture(scope="module")
def data_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data-report")
    frame = simulate_scores()
    frame.to_csv(folder / "scores.csv", index=False)
    out = folder / "scores.html"
    argv = [
        "data",
        str(folder / "scores.csv"),
        "--group",
        "school",
        "--outcome",
        "score",
        "--predictor",
        "hours",
        *FAST,
        "--seed",
        "11",
        "--no-progress",
        "--results-json",
        str(folder / "scores.json"),
        "-o",
        str(out),
    ]
    code = main(argv)
    return {"code": code, "folder": folder, "out": out, "frame": frame}


@pytest.mark.slow
@pytest.mark.notebook
def test_data_report_writes_html_notebook_and_results(data_report, capsys):
    assert data_report["code"] == 0
    folder = data_report["folder"]
    assert sorted(p.name for p in folder.iterdir()) == [
        "scores.csv",
        "scores.html",
        "scores.ipynb",
        "scores.json",
    ], "temporary files were left behind"
    assert not executed_errors(folder / "scores.ipynb")
    umask = os.umask(0)
    os.umask(umask)
    for name in ("scores.html", "scores.ipynb", "scores.json"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o666 & ~umask
    parameters = nbformat.read(folder / "scores.ipynb", as_version=4).metadata.papermill.parameters
    assert parameters["group"] == "school" and parameters["outcome"] == "score"
    assert parameters["predictor"] == "hours" and parameters["RANDOM_SEED"] == 11
    assert (parameters["draws"], parameters["tune"], parameters["chains"]) == (200, 200, 2)
    assert parameters["csv_path"] == str(folder / "scores.csv")


@pytest.mark.slow
@pytest.mark.notebook
def test_data_report_html_is_offline_with_tables_and_charts(data_report):
    page = data_report["out"].read_text()
    assert page.count(SVG_OUTPUT) >= 2, "the estimates and shrinkage charts are missing"
    assert "<table" in page and "94% HDI low" in page and "elpd (LOO)" in page
    for school in [f"s{k}" for k in range(6)]:
        assert f"<td>{school}</td>" in page or f">{school}<" in page
    assert "<script" not in page.lower()
    assert not EXTERNAL.search(page)
    assert "hbm.sample(" not in page, "code is hidden unless --show-code"
    results = json.loads((data_report["folder"] / "scores.json").read_text())
    shown = bool(results["fit_problems"])
    assert ("hbm-warning" in page) == shown


@pytest.mark.slow
@pytest.mark.notebook
def test_data_report_numbers(data_report):
    results = json.loads((data_report["folder"] / "scores.json").read_text())
    frame = data_report["frame"]
    assert (results["n_obs"], results["n_groups"], results["dropped_rows"]) == (60, 6, 0)
    labels = [spec.label for spec in hbm.pooling_strategy_specs().values()]
    assert sorted(results["convergence"]) == sorted(labels)
    for figures in results["convergence"].values():
        # 200 draws asked for; 400 when the fit's largest R-hat was at 1.01-1.05 at 200.
        assert figures["max_rhat"] < 1.1 and figures["chains"] == 2
        assert figures["draws"] == 200 or (figures["draws"] == 400 and figures["max_rhat"] < 1.05)
    assert set(results["elpd_loo"]) == {"complete", "none", "partial"}
    # Complete pooling ignores real differences between schools: it predicts worst.
    assert results["loo_rank"]["complete"] == 2

    # No pooling with weak priors is least squares with a dummy per school and a shared slope.
    ols = smf.ols("score ~ 0 + C(school) + hours", data=frame).fit()
    shrinkage = pd.DataFrame(results["shrinkage"]).set_index("group")
    for school in shrinkage.index:
        assert shrinkage.loc[school, "no_pooling"] == pytest.approx(
            ols.params[f"C(school)[{school}]"], abs=0.1
        )
    # Partial pooling pulls every school towards the population mean, never past it.
    # (Up to Monte Carlo error, about 0.01 here, for schools already near the centre.)
    gap_none = shrinkage["no_pooling"] - shrinkage["mu"]
    gap_partial = shrinkage["partial_pooling"] - shrinkage["mu"]
    assert (gap_partial.abs() <= gap_none.abs() + 0.02).all()
    far = gap_none.abs() > 0.1
    assert far.sum() >= 3 and (np.sign(gap_partial[far]) == np.sign(gap_none[far])).all()

    estimates = pd.DataFrame(results["group_estimates"])
    assert set(estimates["coefficient"]) == {"alpha"} and len(estimates) == 6
    assert (estimates["hdi_low"] < estimates["mean"]).all()
    assert (estimates["mean"] < estimates["hdi_high"]).all()

    # A new school: centred on mu_alpha + beta * hours, and spread by the posterior
    # uncertainty of mu_alpha and beta, the spread of schools and the spread of students.
    table = pd.DataFrame(results["parameters"]).set_index(["model", "parameter"])
    mean, sd = table["mean"]["partial"], table["sd"]["partial"]
    prediction = pd.DataFrame(results["new_group_prediction"])
    assert len(prediction) == 3  # the quartiles of hours
    hours = prediction["hours"]
    second_moment = {name: mean[name] ** 2 + sd[name] ** 2 for name in ("sigma", "sigma_alpha")}
    n_draws = 2 * 200
    monte_carlo = np.sqrt(second_moment["sigma_alpha"] / n_draws)
    assert np.allclose(
        prediction["group_mean"], mean["mu_alpha"] + mean["beta"] * hours, atol=4 * monte_carlo
    )
    variance = (
        sd["mu_alpha"] ** 2
        + second_moment["sigma_alpha"]
        + hours**2 * sd["beta"] ** 2
        + second_moment["sigma"]
    )
    assert np.allclose(prediction["outcome_sd"], np.sqrt(variance), rtol=0.2)
    assert (prediction["outcome_sd"] > mean["sigma"]).all()


@pytest.mark.slow
@pytest.mark.notebook
def test_chapter_report_runs_with_parameters(tmp_path, capsys):
    out = tmp_path / "bayes.html"
    argv = ["01", "-p", "draws", "200", "-p", "chains", "2", "-o", str(out), "--no-progress"]
    assert main(argv) == 0
    summary = capsys.readouterr().out.strip().splitlines()[-1]
    assert str(out) in summary and "wall time" in summary
    assert re.search(r"max R-hat \d\.\d{3}; divergences 0", summary)
    executed = tmp_path / "bayes.ipynb"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bayes.html", "bayes.ipynb"]
    parameters = nbformat.read(executed, as_version=4).metadata.papermill.parameters
    assert parameters["draws"] == 200 and parameters["chains"] == 2
    assert not executed_errors(executed)
    page = out.read_text()
    assert page.count(SVG_OUTPUT) >= 2  # the update chart and the explorer's snapshot
    assert "hbm-widget-note" in page and "weight on the data" in page
    assert "<script" not in page.lower() and not EXTERNAL.search(page)
    assert "draws = 200, chains = 2" in page


@pytest.mark.notebook
def test_failed_fit_still_renders_with_a_warning_box(tmp_path, capsys):
    notebook = stand_in_notebook(tmp_path / "stand-in.ipynb")
    out = tmp_path / "report.html"
    out.write_text("an older report")
    argv = [str(notebook), "-p", "max_rhat", "1.2", "-p", "divergences", "3", "-o", str(out)]
    assert main([*argv, "--no-progress"]) == 2, "an existing report is refused"
    assert out.read_text() == "an older report"
    one_error_line(capsys)
    assert main([*argv, "--no-progress", "--force", "--show-code"]) == 0
    summary = capsys.readouterr().out
    assert "max R-hat 1.200; divergences 3" in summary
    page = out.read_text()
    box = page.index("hbm-warning")
    assert box < page.index("A recorded fit"), "the warning box is at the top"
    assert "max R-hat is 1.200" in page and "3 divergent transitions" in page
    assert "told to fail" in page, "--show-code keeps the code"


def lesson_notebook(path: Path) -> Path:
    """A notebook like a chapter: it makes two fits and records nothing itself."""
    parameters = nbformat.v4.new_code_cell("offset = 0.0")
    parameters.metadata["tags"] = ["parameters"]
    fits = nbformat.v4.new_code_cell(
        "import arviz as az\nimport numpy as np\n\n"
        "rng = np.random.default_rng(1)\n"
        "def fake_fit(shift, diverging):\n"
        "    draws = rng.normal(size=(4, 1000)) + shift * np.arange(4)[:, None]\n"
        "    stats = {'diverging': np.arange(4000).reshape(4, 1000) < diverging}\n"
        "    return az.from_dict({'posterior': {'mu': draws}, 'sample_stats': stats})\n"
        "good_idata = fake_fit(0.0, 0)\n"
        "fits = {'stuck': fake_fit(offset, 2)}"
    )
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# Two fits"), parameters, fits]
    )
    return write_notebook(notebook, path)


@pytest.mark.notebook
def test_a_chapter_that_records_nothing_is_summarised_from_its_fits(tmp_path, capsys):
    (tmp_path / "in").mkdir()
    notebook = lesson_notebook(tmp_path / "in" / "lesson.ipynb")
    out = tmp_path / "lesson.html"
    assert main([str(notebook), "-p", "offset", "3", "-o", str(out), "--no-progress"]) == 0
    summary = capsys.readouterr().out
    assert re.search(r"max R-hat (\d\.\d{3}); divergences 2", summary)
    assert float(re.search(r"max R-hat (\d\.\d{3})", summary).group(1)) > 1.5
    page = out.read_text()
    assert "fits[stuck]: 2 divergent transitions" in page
    assert "good_idata" not in page, "the well-behaved fit raises no warning"
    executed = nbformat.read(tmp_path / "lesson.ipynb", as_version=4)
    sources = [cell.source for cell in executed.cells]
    assert not any("record_fits" in source for source in sources), "the recording cell is gone"
    assert sources[-1].endswith("fits = {'stuck': fake_fit(offset, 2)}")
    assert "record_fits" not in page


@pytest.mark.notebook
def test_a_failing_notebook_leaves_nothing_behind(tmp_path, capsys):
    notebook = stand_in_notebook(tmp_path / "stand-in.ipynb")
    out = tmp_path / "out" / "report.html"
    out.parent.mkdir()
    code = main([str(notebook), "-p", "fail", "True", "-o", str(out), "--no-progress"])
    assert code == 1
    line = one_error_line(capsys)
    assert "RuntimeError: told to fail" in line and "no report was written" in line
    assert list(out.parent.iterdir()) == []


@pytest.mark.notebook
def test_batch_runs_two_parameter_sets(tmp_path, capsys):
    stand_in_notebook(tmp_path / "stand-in.ipynb")
    (tmp_path / "reports").mkdir()
    jobs = {
        "jobs": [
            {
                "chapter": "stand-in.ipynb",
                "parameters": {"label": "north"},
                "output": "reports/north.html",
            },
            {
                "chapter": "stand-in.ipynb",
                "parameters": {"label": "south", "max_rhat": 1.05},
                "output": "reports/south.html",
            },
        ]
    }
    (tmp_path / "jobs.yaml").write_text(json.dumps(jobs))  # JSON is YAML
    assert main(["batch", str(tmp_path / "jobs.yaml"), "-j", "2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and all("wall time" in line for line in lines)
    assert any("north.html" in line and "max R-hat 1.002" in line for line in lines)
    assert any("south.html" in line and "max R-hat 1.050" in line for line in lines)
    for label in ("north", "south"):
        page = (tmp_path / "reports" / f"{label}.html").read_text()
        assert f"label: {label}" in page
        executed = tmp_path / "reports" / f"{label}.ipynb"
        assert nbformat.read(executed, as_version=4).metadata.papermill.parameters["label"] == label
    assert "hbm-warning" in (tmp_path / "reports" / "south.html").read_text()
    assert "hbm-warning" not in (tmp_path / "reports" / "north.html").read_text()


def test_console_script_and_module_refuse_bad_input(tmp_path, monkeypatch, capsys):
    missing = tmp_path / "missing.csv"
    argv = ["data", str(missing), "--group", "g", "--outcome", "y", "-o", str(tmp_path / "r.html")]
    script = Path(sys.executable).parent / "hbm-report"
    done = subprocess.run([str(script), *argv], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == f"hbm-report: error: no such file: {missing}"
    # `python -m hbm_widgets.report` runs the same main (in this process, to save a start-up).
    monkeypatch.setattr(sys, "argv", ["python -m hbm_widgets.report", *argv])
    with pytest.raises(SystemExit) as stop:
        runpy.run_module("hbm_widgets.report", run_name="__main__", alter_sys=True)
    assert stop.value.code == 2
    assert capsys.readouterr().err.strip() == f"hbm-report: error: no such file: {missing}"
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------------
# Bad input: exit status 2, one line, nothing written


@pytest.fixture
def csv_folder(tmp_path):
    frame = simulate_scores()
    frame.to_csv(tmp_path / "scores.csv", index=False)
    bad = frame.astype({"score": object})
    bad.loc[3, "score"] = "absent"
    bad.to_csv(tmp_path / "text.csv", index=False)
    frame.assign(school="only").to_csv(tmp_path / "one.csv", index=False)
    (tmp_path / "old.html").write_text("keep me")
    (tmp_path / "a-file").write_text("not a folder")
    return tmp_path


def _data(folder, csv="scores.csv", *extra, out="new.html"):
    csv_path, out_path = str(folder / csv), str(folder / out)
    return ["data", csv_path, "--group", "school", "--outcome", "score", *extra, "-o", out_path]


BAD_INPUT = [
    (
        lambda f: ["99", "-o", str(f / "x.html")],
        r"unknown chapter '99'; the chapters are: .*01-bayes",
    ),
    (
        lambda f: ["01", "-p", "drawz", "5", "-o", str(f / "x.html")],
        r"chapter 01-bayes-rule has no parameter 'drawz'; its parameters are: RANDOM_SEED, .*draws",
    ),
    (
        lambda f: ["01", "-p", "draws", "many", "-o", str(f / "x.html")],
        r"parameter 'draws' must be a whole number like its default 2000, got 'many' \(str\)",
    ),
    (
        lambda f: ["01", "-p", "draws", "2.5", "-o", str(f / "x.html")],
        r"parameter 'draws' must be a whole number .* got 2\.5 \(float\)",
    ),
    (
        lambda f: ["01", "-p", "prior_sd", "wide", "-o", str(f / "x.html")],
        r"parameter 'prior_sd' must be a number like its default 10\.0",
    ),
    (
        lambda f: ["01", "-p", "results_path", "r.json", "-o", str(f / "x.html")],
        r"'results_path' is set by hbm-report itself",
    ),
    (
        lambda f: ["01", "-f", str(f / "none.yaml"), "-o", str(f / "x.html")],
        r"parameters file .*none\.yaml does not exist",
    ),
    (lambda f: _data(f, "missing.csv"), r"no such file: .*missing\.csv"),
    (
        lambda f: _data(f, "scores.csv", "--predictor", "hourz"),
        r"predictor column 'hourz' is not in the data; available columns: school, score, hours",
    ),
    (lambda f: _data(f, "text.csv"), r"outcome column 'score' must be numeric.*'absent'"),
    (lambda f: _data(f, "one.csv"), r"has 1 distinct value\(s\) \(only\);.*at least two groups"),
    (
        lambda f: _data(f, "scores.csv", "--varying", "slope"),
        r"varying='slope' needs a predictor",
    ),
    (lambda f: _data(f, "scores.csv", "--draws", "0"), r"argument --draws: expected a whole"),
    (lambda f: _data(f, "scores.csv", out="old.html"), r"old\.html already exists; pass --force"),
    (
        lambda f: _data(f, "scores.csv", out="no/such/r.html"),
        r"the folder .*no/such does not exist",
    ),
    (lambda f: _data(f, "scores.csv", out="a-file/r.html"), r"a-file is not a folder"),
    (lambda f: _data(f, "scores.csv", out="report.pdf"), r"must be an \.html file"),
    (lambda f: _data(f)[:-2], r"the following arguments are required: -o/--output"),
    (lambda f: [], r"name a chapter, `data FILE\.csv` or `batch JOBS\.yaml`"),
    (lambda f: ["batch", str(f / "jobs.yaml")], r"batch file .*jobs\.yaml does not exist"),
]
BAD_INPUT_IDS = [
    "unknown-chapter",
    "unknown-parameter",
    "text-for-int",
    "float-for-int",
    "text-for-float",
    "results-path",
    "missing-parameters-file",
    "missing-csv",
    "missing-column",
    "non-numeric-outcome",
    "one-group",
    "slope-without-predictor",
    "zero-draws",
    "output-exists",
    "no-output-folder",
    "output-folder-is-a-file",
    "not-html",
    "no-output",
    "no-command",
    "missing-batch-file",
]


@pytest.mark.parametrize(("argv", "message"), BAD_INPUT, ids=BAD_INPUT_IDS)
def test_bad_input_is_refused_in_one_line(csv_folder, capsys, argv, message):
    before = {p: p.read_bytes() for p in csv_folder.iterdir() if p.is_file()}
    assert main(argv(csv_folder)) == 2
    line = one_error_line(capsys)
    assert re.search(message, line), line
    after = {p: p.read_bytes() for p in csv_folder.iterdir() if p.is_file()}
    assert after == before, "a refused run created or changed a file"


def test_unwritable_folder_is_refused(csv_folder, capsys, monkeypatch):
    # Root may write anywhere, so the permission check is simulated.
    real_access = os.access
    monkeypatch.setattr(
        os,
        "access",
        lambda p, mode: False if Path(p) == csv_folder else real_access(p, mode),
    )
    assert main(_data(csv_folder)) == 2
    assert re.search(r"the folder .* is not writable", one_error_line(capsys))
    assert not (csv_folder / "new.html").exists()


def test_batch_jobs_are_all_checked_before_any_runs(csv_folder, capsys):
    jobs = [
        {"chapter": "01", "parameters": {"draws": 100}, "output": "a.html"},
        {"data": "scores.csv", "group": "school", "outcome": "scor", "output": "b.html"},
    ]
    (csv_folder / "jobs.yaml").write_text(json.dumps({"jobs": jobs}))
    assert main(["batch", str(csv_folder / "jobs.yaml")]) == 2
    assert re.search(
        r"job 2 of jobs\.yaml: outcome column 'scor' is not in", one_error_line(capsys)
    )
    jobs[1]["outcome"] = "score"
    jobs[1]["output"] = "a.html"
    (csv_folder / "jobs.yaml").write_text(json.dumps({"jobs": jobs}))
    assert main(["batch", str(csv_folder / "jobs.yaml")]) == 2
    assert "jobs 1 and 2 of jobs.yaml both write" in one_error_line(capsys)
    jobs[1] = {"chapter": "01", "output": "c.html", "colour": "red"}
    (csv_folder / "jobs.yaml").write_text(json.dumps(jobs))
    assert main(["batch", str(csv_folder / "jobs.yaml")]) == 2
    assert "job 2 of jobs.yaml: has unknown key 'colour'" in one_error_line(capsys)
    assert not list(csv_folder.glob("[abc].*"))


# --------------------------------------------------------------------------------------------
# Parameters: read as papermill reads them, typed as the defaults


def test_values_are_read_as_papermill_reads_them():
    from papermill.cli import _resolve_type

    for text in ["True", "False", "None", "12", "-3", "2.5", "1e3", "nan", "abc", "0x1", ""]:
        mine, theirs = report.resolve_value(text), _resolve_type(text)
        assert type(mine) is type(theirs) and (mine == theirs or mine != mine), text


def test_chapter_parameters_are_checked_against_the_defaults(tmp_path):
    (tmp_path / "p.yaml").write_text("n: 12\nprior_sd: 5\ndraws: 100\n")
    job = report.chapter_job(
        "01-bayes-rule",
        {"draws": 300, "true_mean": 2},
        parameter_files=[tmp_path / "p.yaml"],
        output=tmp_path / "r.html",
    )
    # -p overrides the file; an int given for a float default becomes a float.
    assert job.parameters == {"n": 12, "prior_sd": 5.0, "draws": 300, "true_mean": 2.0}
    assert isinstance(job.parameters["prior_sd"], float)
    assert job.notebook == report.chapter_path("01") and job.notebook_output.suffix == ".ipynb"
    with pytest.raises(report.ReportInputError, match="must be a whole number"):
        report.chapter_job("01", {"chains": True}, output=tmp_path / "r.html")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(report.ReportInputError, match="must hold a mapping"):
        report.chapter_job(
            "01", parameter_files=[tmp_path / "list.yaml"], output=tmp_path / "r.html"
        )


def test_recorded_fits_are_found_wherever_a_chapter_put_them():
    results = {
        "convergence": {"max_rhat": 1.004, "divergences": 0, "draws": 1000},
        "fits": {"centred": {"max_rhat": 1.08, "divergences": 12}, "other": [1, 2]},
        "mean": 3.2,
    }
    max_rhat, divergences, problems = running._convergence_summary(results)
    assert (max_rhat, divergences) == (1.08, 12)
    assert problems == (
        "fits.centred: max R-hat is 1.080 (should be below 1.01)",
        "fits.centred: 12 divergent transitions (should be 0)",
    )
    assert running._convergence_summary({"mean": 1.0}) == (None, None, ())
    job = report.ReportJob("chapter", "x", Path("a.ipynb"), {}, Path("/r/x.html"), Path("/r"))
    line = report.ReportResult(job, 1.23, None, None).summary_line()
    assert line == "/r/x.html (notebook x.ipynb): 1.2 s wall time; max R-hat n/a; divergences n/a"


# --------------------------------------------------------------------------------------------
# HTML


def _notebook_with_outputs():
    cell = nbformat.v4.new_code_cell("shown_only_with_code = 1")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"text/html": '<b>kept</b><script src="https://cdn.example/x.js"></script>'},
        ),
        nbformat.v4.new_output("stream", name="stderr", text="Sampling 2 chains\n"),
        nbformat.v4.new_output(
            "display_data",
            data={
                "application/vnd.jupyter.widget-view+json": {"model_id": "box"},
                "text/plain": "Explorer(...)",
            },
        ),
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title"), cell])
    notebook.metadata["widgets"] = {
        "application/vnd.jupyter.widget-state+json": {
            "state": {
                "box": {
                    "model_name": "VBoxModel",
                    "state": {"children": ["IPY_MODEL_h", "IPY_MODEL_o"]},
                },
                "h": {"model_name": "HTMLModel", "state": {"value": "posterior mean <b>7.4</b>"}},
                "o": {
                    "model_name": "OutputModel",
                    "state": {
                        "outputs": [
                            {"output_type": "display_data", "data": {"image/svg+xml": "<svg/>"}}
                        ]
                    },
                },
            }
        }
    }
    return notebook


def test_html_hides_code_and_fetches_nothing():
    page = report.notebook_to_html(_notebook_with_outputs(), header="<p>made here</p>")
    assert "<b>kept</b>" in page and "shown_only_with_code" not in page
    assert "<script" not in page.lower() and not EXTERNAL.search(page)
    assert "Sampling 2 chains" not in page
    # The explorer became a static snapshot of what it showed.
    assert "hbm-widget-note" in page and "posterior mean <b>7.4</b>" in page
    assert page.count(SVG_OUTPUT) == 1
    assert page.index("made here") < page.index('id="Title"') and "hbm-warning" not in page


def test_html_with_code_and_warnings():
    page = report.notebook_to_html(
        _notebook_with_outputs(), show_code=True, warnings=["partial: 4 divergent <transitions>"]
    )
    assert "shown_only_with_code" in page and "Sampling 2 chains" in page
    assert "&lt;transitions&gt;" in page
    assert page.index("hbm-warning") < page.index('id="Title"')
    assert "<script" not in page.lower()


def test_help_describes_the_three_forms(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    for form in ("hbm-report CHAPTER", "hbm-report data FILE.csv", "hbm-report batch JOBS.yaml"):
        assert form in text
    with pytest.raises(SystemExit):
        main(["data", "--help"])
    text = capsys.readouterr().out
    assert "--group-predictor" in text and "--missing {error,drop}" in text


def _posterior(coords=None, dims=None, **draws):
    import arviz as az

    return az.from_dict({"posterior": draws}, coords=coords, dims=dims)


@pytest.fixture
def three_schools():
    frame = pd.DataFrame(
        {
            "school": ["a"] * 2 + ["b"] * 3 + ["c"] * 5,
            "score": [1.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0],
            "hours": np.linspace(-1, 1, 10),
            "u": [0.0] * 2 + [1.0] * 3 + [2.0] * 5,
        }
    )
    # Whole-number scores with a zero look like counts; they stand for a normal outcome here.
    return hbm.GroupedData.from_frame(
        frame,
        group="school",
        outcome="score",
        predictor="hours",
        group_predictor="u",
        family="gaussian",
    )


def test_group_estimates_summarise_each_groups_draws(three_schools):
    rng = np.random.default_rng(1)
    alpha = rng.normal([1.0, 2.0, 3.0], [0.1, 0.2, 0.3], size=(2, 2000, 3))
    idata = _posterior(
        coords={"school": ["a", "b", "c"]},
        dims={"alpha": ["school"]},
        alpha=alpha,
        beta=rng.normal(size=(2, 2000)),
    )
    table = hbm.group_coefficient_estimates(idata, three_schools, hdi_prob=0.9)
    assert table["group"].tolist() == ["a", "b", "c"] and set(table["coefficient"]) == {"alpha"}
    assert table["n"].tolist() == [2, 3, 5]
    assert table["observed_mean"].tolist() == pytest.approx([2.0, 5.0, 2.0])
    assert table["mean"].to_numpy() == pytest.approx(alpha.mean(axis=(0, 1)))
    assert table["sd"].to_numpy() == pytest.approx([0.1, 0.2, 0.3], rel=0.05)
    # A 90 % interval of a normal spans about +-1.645 SD.
    width = (table["hdi_high"] - table["hdi_low"]).to_numpy()
    assert width == pytest.approx(2 * 1.645 * np.array([0.1, 0.2, 0.3]), rel=0.08)
    # Complete pooling: the one intercept, repeated for every group.
    pooled = _posterior(alpha=rng.normal(5, 1, size=(2, 500)), beta=rng.normal(size=(2, 500)))
    repeated = hbm.group_coefficient_estimates(pooled, three_schools)
    assert repeated["mean"].nunique() == 1 and len(repeated) == 3
    with pytest.raises(hbm.WorkbookInputError, match="hdi_prob must be between 0 and 1"):
        hbm.group_coefficient_estimates(idata, three_schools, hdi_prob=94)


def test_shrinkage_table_measures_the_pull_towards_the_centre(three_schools):
    coords, dims = {"school": ["a", "b", "c"]}, {"alpha": ["school"]}
    ones = np.ones((1, 4, 1))
    none = _posterior(coords, dims, alpha=ones * [2.0, 5.0, 2.0])
    partial = _posterior(
        coords,
        dims,
        alpha=ones * [2.5, 4.0, 2.0],
        mu_alpha=np.full((1, 4), 3.0),
        gamma_alpha=np.zeros((1, 4)),
    )
    table = hbm.posterior_shrinkage_table(none, partial, three_schools).set_index("group")
    assert table["mu"].tolist() == [3.0, 3.0, 3.0]
    assert table["shift"].tolist() == pytest.approx([0.5, -1.0, 0.0])
    # a moved half way from 2 to 3, b half way from 5 to 3, c not at all.
    assert table["shrinkage"].tolist() == pytest.approx([0.5, 0.5, 0.0])
    # With a group-level predictor the centre moves with u: mu + gamma * u.
    partial.posterior["gamma_alpha"] = partial.posterior["gamma_alpha"] + 1.0
    centres = hbm.posterior_shrinkage_table(none, partial, three_schools)["mu"]
    assert centres.tolist() == pytest.approx([3.0, 4.0, 5.0])
    chart = hbm.plot_shrinkage_arrows(table.reset_index()).to_dict()
    assert len(next(iter(chart["datasets"].values()))) == 3
    with pytest.raises(hbm.WorkbookInputError, match="share no coefficient"):
        hbm.posterior_shrinkage_table(none, none, three_schools)


def test_new_group_prediction_draws_from_the_population(three_schools):
    n = 20_000
    partial = _posterior(
        mu_alpha=np.full((1, n), 2.0),
        sigma_alpha=np.full((1, n), 0.5),
        gamma_alpha=np.full((1, n), 1.0),
        beta=np.full((1, n), -1.0),
        sigma=np.full((1, n), 1.0),
    )
    spec = hbm.ModelSpec(pooling="partial", varying="intercept", group_predictor=True)
    table = hbm.predict_new_group(
        partial, three_schools, spec, random_seed=3, predictor_values=[0.0, 2.0]
    )
    # The new school's u defaults to the mean over schools, (0 + 1 + 2) / 3 = 1.
    assert table["hours"].tolist() == [0.0, 2.0]
    assert table["group_mean"].to_numpy() == pytest.approx([3.0, 1.0], abs=0.02)
    assert table["outcome_mean"].to_numpy() == pytest.approx([3.0, 1.0], abs=0.03)
    assert table["outcome_sd"].to_numpy() == pytest.approx(np.hypot(0.5, 1.0), rel=0.02)
    low, high = table.loc[0, ["group_mean_low", "group_mean_high"]]
    assert high - low == pytest.approx(2 * 1.881 * 0.5, rel=0.05)  # a 94 % normal interval
    again = hbm.predict_new_group(
        partial, three_schools, spec, random_seed=3, predictor_values=[0.0, 2.0]
    )
    pd.testing.assert_frame_equal(table, again)
    # Intercept and slope drawn together: rho = 1 makes a new slope follow its intercept.
    both = _posterior(
        mu_alpha=np.zeros((1, n)),
        sigma_alpha=np.ones((1, n)),
        mu_beta=np.zeros((1, n)),
        sigma_beta=np.ones((1, n)),
        rho=np.ones((1, n)),
        sigma=np.full((1, n), 1e-9),
    )
    spec_both = hbm.ModelSpec(pooling="partial", varying="both")
    at_one = hbm.predict_new_group(
        both, three_schools, spec_both, random_seed=1, predictor_values=[1.0]
    )
    assert at_one.loc[0, "outcome_sd"] == pytest.approx(2.0, rel=0.02)  # alpha + beta = 2 z
    with pytest.raises(hbm.WorkbookInputError, match="no population distribution"):
        hbm.predict_new_group(partial, three_schools, hbm.ModelSpec(pooling="none"), random_seed=1)


def test_parameter_and_convergence_tables():
    rng = np.random.default_rng(2)
    fits = {
        "m": _posterior(
            coords={"g": ["x", "y"]},
            dims={"alpha": ["g"]},
            alpha=rng.normal(size=(2, 100, 2)),
            sigma=rng.gamma(2.0, size=(2, 100)),
        )
    }
    table = hbm.posterior_parameter_table(fits)
    assert table["parameter"].tolist() == ["sigma"] and table["model"].tolist() == ["m"]
    good = hbm.ConvergenceReport(1.002, 900.0, 800.0, 0, 1000, 4)
    bad = hbm.ConvergenceReport(1.05, 120.0, 90.0, 7, 1000, 4)
    reports = {"good": good, "bad": bad}
    status = hbm.convergence_table(reports).set_index("model")["status"]
    assert status["good"] == "ok" and "7 divergent transitions" in status["bad"]
    assert hbm.fit_problems(reports) == [
        "bad: max R-hat is 1.050 (should be below 1.01)",
        "bad: min bulk ESS is 120 (should be at least 400)",
        "bad: min tail ESS is 90 (should be at least 400)",
        "bad: 7 divergent transitions (should be 0)",
    ]
    assert hbm.warning_box_html([]) == ""
    assert "&lt;b&gt;" in hbm.warning_box_html(["<b>"])


def test_data_overview_counts_missing_values():
    frame = pd.DataFrame(
        {"g": ["a", "a", "b", None, "b"], "y": [1.0, None, 3.0, 4.0, 5.0], "other": [None] * 5}
    )
    data = hbm.GroupedData.from_frame(frame, group="g", outcome="y", missing="drop")
    overview = hbm.grouped_data_overview(data).set_index("item")["value"]
    assert overview["observations used"] == 3 and overview["groups"] == 2
    assert overview["rows dropped (missing values)"] == 2
    assert (overview["missing in g"], overview["missing in y"]) == (1, 1)
    assert "missing in other" not in overview
    assert (overview["smallest group"], overview["largest group"]) == (1, 2)


def test_group_estimates_chart_draws_one_coefficient():
    table = pd.DataFrame(
        {
            "group": ["a", "b", "a", "b"],
            "coefficient": ["alpha", "alpha", "beta", "beta"],
            "n": [3, 5, 3, 5],
            "observed_mean": [1.0, 2.0, 1.0, 2.0],
            "mean": [1.1, 1.9, -0.5, 0.4],
            "hdi_low": [0.5, 1.5, -0.9, 0.1],
            "hdi_high": [1.6, 2.3, -0.1, 0.8],
        }
    )
    spec = hbm.plot_group_estimates(table, coefficient="beta", title="slopes").to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["rule", "point", "point"]
    rows = next(iter(spec["datasets"].values()))
    assert [(r["group"], r["mean"]) for r in rows] == [("a", -0.5), ("b", 0.4)]
    rule = spec["layer"][0]["encoding"]
    assert (rule["x"]["field"], rule["x2"]["field"]) == ("hdi_low", "hdi_high")
    assert rule["y"]["sort"] == ["b", "a"], "highest estimate at the top"
    assert spec["layer"][2]["encoding"]["x"]["field"] == "observed_mean"
    with pytest.raises(hbm.WorkbookInputError, match="several coefficients"):
        hbm.plot_group_estimates(table)
    with pytest.raises(hbm.WorkbookInputError, match="'gamma' is not in the estimates"):
        hbm.plot_group_estimates(table, coefficient="gamma")
    with pytest.raises(hbm.WorkbookInputError, match="'hdi_low' is missing"):
        hbm.plot_group_estimates(table.drop(columns="hdi_low"))


def test_kernel_replies_are_awaited_in_slices():
    import asyncio
    from concurrent.futures import ThreadPoolExecutor
    from queue import Empty

    def run(coroutine):
        # In a thread of its own: earlier tests may leave an event loop running in this one.
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, coroutine).result()

    from hbm_widgets.report.kernel import PollingChannel, PollingKernelClient, PollingKernelManager

    class Socket:
        def __init__(self, ready_at):
            self.calls, self.ready_at = [], ready_at

        async def poll(self, timeout_ms):
            self.calls.append(timeout_ms)
            return len(self.calls) >= self.ready_at

    async def receive(**_):
        return {"msg_type": "execute_reply"}

    channel = PollingChannel.__new__(PollingChannel)  # no real socket needed
    channel._recv = receive
    channel.socket = Socket(ready_at=3)
    # An endless wait is three one-second waits here, the third finding the reply.
    assert run(channel.get_msg()) == {"msg_type": "execute_reply"}
    assert channel.socket.calls == [1000, 1000, 1000]
    # A wait with a deadline is left as it was: one wait, then Empty.
    channel.socket = Socket(ready_at=2)
    with pytest.raises(Empty):
        run(channel.get_msg(timeout=0.5))
    assert channel.socket.calls == [500]
    from hbm_widgets.report.kernel import PollingServerKernelManager

    # The report command's kernels, and the explorers page's under Voila (`make app`).
    for manager in (PollingKernelManager, PollingServerKernelManager):
        client = manager(kernel_name="python3").client()
        assert isinstance(client, PollingKernelClient)
        assert client.shell_channel_class is PollingChannel
        assert client.iopub_channel_class is PollingChannel


def test_kernels_listen_on_sockets_in_a_private_folder_removed_at_shutdown(tmp_path, monkeypatch):
    # No TCP port for another process to take between jupyter_client's pick and the bind.
    import asyncio
    import stat
    import tempfile
    from concurrent.futures import ThreadPoolExecutor

    from hbm_widgets.report.kernel import PollingKernelManager

    async def start_run_and_stop():
        manager = PollingKernelManager(kernel_name="python3")
        await manager.start_kernel()
        folder = Path(manager.socket_folder)
        client = manager.client()
        client.start_channels()
        await client.wait_for_ready(timeout=60)
        reply = await client.execute("6 * 7", reply=True, timeout=60)
        client.stop_channels()
        seen = {
            "transport": manager.transport,
            "in_tmp": folder.parent == tmp_path,
            "private": stat.S_IMODE(folder.stat().st_mode) & 0o077 == 0,
            "files": sorted(p.name for p in folder.iterdir()),
            "status": reply["content"]["status"],
        }
        await manager.shutdown_kernel()
        seen["left"] = folder.exists()
        return seen

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with ThreadPoolExecutor(max_workers=1) as pool:
        seen = pool.submit(asyncio.run, start_run_and_stop()).result()
    assert seen == {
        "transport": "ipc",
        "in_tmp": True,
        "private": True,
        "files": ["k-1", "k-2", "k-3", "k-4", "k-5", "kernel.json"],
        "status": "ok",
        "left": False,
    }
    # A temporary folder too deep for a socket's path: TCP, as jupyter_client's default.
    deep = tmp_path / ("d" * 90)
    deep.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    manager = PollingKernelManager(kernel_name="python3")
    manager._use_private_sockets()
    assert (manager.transport, manager.socket_folder, list(deep.iterdir())) == ("tcp", None, [])


def test_a_kernel_that_dies_while_starting_is_started_again(caplog):
    # Two kernels started at once can be handed the same port; the one that loses dies
    # before it has run anything, so the run is tried again (once).
    from hbm_widgets.report.running import _execute_retrying_start

    calls = []

    def execute(name):
        calls.append(name)
        if len(calls) == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return f"ran {name}"

    with caplog.at_level(logging.INFO, logger="hbm_widgets.report.running"):
        assert _execute_retrying_start(execute, "stand-in") == "ran stand-in"
    assert calls == ["stand-in", "stand-in"]
    assert "the kernel died while starting" in caplog.text

    def always_broken(name):
        raise RuntimeError("Kernel died before replying to kernel_info")

    with pytest.raises(RuntimeError, match="kernel_info"):
        _execute_retrying_start(always_broken, "stand-in")

    def other_error(name):
        calls.append(name)
        raise RuntimeError("something else")

    calls.clear()
    with pytest.raises(RuntimeError, match="something else"):
        _execute_retrying_start(other_error, "stand-in")
    assert calls == ["stand-in"]  # not retried
