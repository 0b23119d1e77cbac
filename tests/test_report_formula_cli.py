"""``hbm-report data --formula``: every bad input told in one line, status 2, nothing written,
before any kernel starts (the checks read the file with the standard library only)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hbm_widgets.report.command import main
from hbm_widgets.report.jobs import FORMULA_TEMPLATE, batch_jobs, data_job

COUNTS = "visits,age,practice\n0,30,a\n2,41,a\n1,52,b\n4,63,b\n3,35,c\n0,47,c\n"


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def refused(tmp_path, capsys, argv: list[str]) -> str:
    before = sorted(tmp_path.iterdir())
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert sorted(tmp_path.iterdir()) == before  # nothing written
    return lines[0].removeprefix("hbm-report: error: ")


def formula_argv(tmp_path, csv: Path, formula: str, *extra: str) -> list[str]:
    return ["data", str(csv), "--formula", formula, *extra, "-o", str(tmp_path / "r.html")]


@pytest.mark.parametrize(
    ("name", "text", "formula", "family", "message"),
    [
        (
            "counts.csv",
            COUNTS,
            "visits ~ agee + (1 | practice)",
            "poisson",
            "formula 'visits ~ agee + (1 | practice)' names column 'agee', which is not in "
            "counts.csv; did you mean 'age'?",
        ),
        (
            "counts.csv",
            COUNTS,
            "visits ~ age + (1 | practice",
            "poisson",
            "formula 'visits ~ age + (1 | practice' does not parse: its parentheses are not "
            "balanced",
        ),
        (
            "counts.csv",
            COUNTS,
            "visits age + (1 | practice)",
            "poisson",
            "formula 'visits age + (1 | practice)' needs exactly one '~' between the outcome "
            "and the predictors, e.g. 'y ~ x + (1 + x | g)'",
        ),
        (
            "words.csv",
            "score,hours,school\nhigh,1,a\nlow,2,b\n",
            "score ~ hours + (1 | school)",
            "gaussian",
            "outcome column 'score' of words.csv holds 'high' at line 2; family 'gaussian' "
            "needs numbers",
        ),
        (
            "negative.csv",
            COUNTS.replace("4,63,b", "-4,63,b"),
            "visits ~ age + (1 | practice)",
            "poisson",
            "outcome 'visits' must hold counts (whole numbers >= 0) for family 'poisson', "
            "but it holds -4 at line 5",
        ),
        (
            "trials.csv",
            "hits,tries,team\n3,5,a\n6,5,a\n1,4,b\n",
            "hits | trials(tries) ~ 1 + (1 | team)",
            "binomial",
            "successes column 'hits' exceeds trials column 'tries' at line 3 (6 of 5)",
        ),
        (
            "empty.csv",
            "",
            "y ~ x + (1 | g)",
            "gaussian",
            "{folder}/empty.csv is empty; expected a CSV file with a header row",
        ),
        (
            "picture.csv",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "y ~ x + (1 | g)",
            "gaussian",
            "{folder}/picture.csv is not a CSV file (it holds binary data)",
        ),
        (
            "header.csv",
            "y,x,g\n",
            "y ~ x + (1 | g)",
            "gaussian",
            "{folder}/header.csv has a header but no rows; a model needs observations",
        ),
    ],
)
def test_a_bad_input_is_one_line_and_status_2(
    tmp_path, capsys, name, text, formula, family, message
):
    csv = write(tmp_path, name, text)
    argv = formula_argv(tmp_path, csv, formula, "--family", family)
    assert refused(tmp_path, capsys, argv) == message.format(folder=tmp_path)


def test_an_existing_output_is_kept_without_force(tmp_path, capsys):
    csv = write(tmp_path, "counts.csv", COUNTS)
    write(tmp_path, "r.html", "mine")
    argv = formula_argv(tmp_path, csv, "visits ~ age + (1 | practice)", "--family", "poisson")
    assert refused(tmp_path, capsys, argv) == (
        f"{tmp_path}/r.html already exists; pass --force to replace it"
    )
    assert (tmp_path / "r.html").read_text() == "mine"


def test_formula_with_group_is_refused(tmp_path, capsys):
    csv = write(tmp_path, "counts.csv", COUNTS)
    argv = formula_argv(tmp_path, csv, "visits ~ age + (1 | practice)", "--group", "practice")
    assert refused(tmp_path, capsys, argv) == (
        "--formula already names every column; leave out --group"
    )


def test_an_unknown_family_is_refused_by_the_parser(tmp_path, capsys):
    csv = write(tmp_path, "counts.csv", COUNTS)
    argv = formula_argv(tmp_path, csv, "visits ~ age + (1 | practice)", "--family", "gamma")
    line = refused(tmp_path, capsys, argv)
    assert line.startswith("argument --family: invalid choice: 'gamma'")
    assert "negativebinomial" in line


def test_a_family_other_than_gaussian_makes_the_roles_a_formula_report(tmp_path):
    csv = write(tmp_path, "counts.csv", COUNTS)
    job = data_job(
        csv,
        group="practice",
        outcome="visits",
        predictor="age",
        family="poisson",
        output=tmp_path / "r.html",
    )
    assert job.notebook == FORMULA_TEMPLATE
    assert job.parameters["formula"] is None
    assert (job.parameters["outcome"], job.parameters["group"]) == ("visits", "practice")
    assert job.parameters["family"] == "poisson"
    formula_job = data_job(
        csv, formula="visits ~ age + (1 | practice)", family="poisson", output=tmp_path / "r.html"
    )
    assert formula_job.parameters["formula"] == "visits ~ age + (1 | practice)"


def test_the_checks_load_neither_pandas_nor_pymc(tmp_path):
    csv = write(tmp_path, "counts.csv", COUNTS.replace("4,63,b", "-4,63,b"))
    code = (
        "import sys\n"
        "from hbm_widgets.report.command import main\n"
        f"status = main(['data', {str(csv)!r}, '--formula', 'visits ~ age + (1 | practice)', "
        f"'--family', 'poisson', '-o', {str(tmp_path / 'r.html')!r}])\n"
        "print(status, 'pandas' in sys.modules, 'pymc' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split() == ["2", "False", "False"]


def test_a_batch_job_takes_formula_and_family(tmp_path):
    write(tmp_path, "counts.csv", COUNTS.replace("-4", "4"))
    jobs_file = write(
        tmp_path,
        "jobs.yaml",
        "jobs:\n"
        "  - data: counts.csv\n"
        '    formula: "visits ~ age + (1 | practice)"\n'
        "    family: negativebinomial\n"
        "    draws: 300\n"
        "    output: visits.html\n",
    )
    (job,) = batch_jobs(jobs_file)
    assert job.notebook == FORMULA_TEMPLATE
    assert job.parameters["family"] == "negativebinomial"
    assert job.parameters["draws"] == 300
    assert job.output == tmp_path / "visits.html"


def test_a_0_1_outcome_without_a_family_is_refused_by_the_kernel_naming_bernoulli(tmp_path, capsys):
    # The full checks run in the kernel: its DataValidationError ends the command with 2.
    rows = "".join(f"{k % 2},{k},{'ab'[k % 3 == 0]}\n" for k in range(12))
    csv = write(tmp_path, "passed.csv", "passed,hours,school\n" + rows)
    argv = formula_argv(tmp_path, csv, "passed ~ hours + (1 | school)", "--no-progress")
    line = refused(tmp_path, capsys, argv)
    assert line.startswith("data passed.csv: the notebook stopped in cell ")
    assert line.endswith(
        "with DataValidationError: outcome 'passed' holds only 0 and 1: fit it with "
        "family='bernoulli' (or family='gaussian' to fit a normal model anyway); no report "
        "was written"
    )
