"""``hbm-report``: a chapter, or your own grouped CSV file, as a standalone offline HTML report.

Three forms::

    hbm-report CHAPTER [-p NAME VALUE ...] [-f params.yaml] -o OUT.html [--show-code] [--force]
    hbm-report data FILE.csv --group COL --outcome COL [options] -o OUT.html
    hbm-report data FILE.csv --formula "y ~ x + (1 | g)" [--family F] [options] -o OUT.html
    hbm-report batch JOBS.yaml [-j N]

A chapter is run with papermill at the parameters given (checked against the chapter's
``parameters`` cell first); a data file is checked with :func:`hbm_widgets.load_grouped_csv`
and then run through the template ``templates/grouped-data-report.ipynb``, which compares
complete, no and partial pooling on it. With ``--formula`` (or a ``--family`` other than
gaussian) the data go through ``templates/formula-report.ipynb`` instead, which fits the
lme4-style formula with Bambi and compares it with its complete-pooling counterpart. The
executed notebook is kept beside the report
(``OUT.ipynb``). Charts are rendered to SVG in the kernel and the HTML runs no JavaScript,
so the report opens offline. Both files are written under temporary names in the output
folder and renamed at the end: a failed run leaves nothing under the requested names.

Bad input (an unknown chapter or parameter, a value of the wrong type or out of its declared
range, a missing file or column, an output that exists or that is a notebook the command
reads) ends the command with exit status 2 and one line on stderr; a notebook that fails
while running ends it with status 1. Ctrl-C (status 130) or SIGTERM (143) kills the kernel,
or a batch's workers and their kernels, and removes every file the run had begun.

This module reads the command line; :mod:`~hbm_widgets.report.checks` and
:mod:`~hbm_widgets.report.jobs` check the input and make the jobs,
:mod:`~hbm_widgets.report.running` executes them and :mod:`~hbm_widgets.report.page` turns
an executed notebook into HTML. The job-making and running names are re-exported here. The
report imports the core and nothing from ``hbm_widgets.widgets``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from hbm_widgets.core.errors import WorkbookInputError
from hbm_widgets.report.batch import run_batch
from hbm_widgets.report.checks import (
    PROG,
    ReportInputError,
    _chapters,
    _one_line,
    chapter_path,
    resolve_value,
)
from hbm_widgets.report.jobs import FAMILIES, ReportJob, batch_jobs, chapter_job, data_job
from hbm_widgets.report.page import notebook_to_html
from hbm_widgets.report.running import (
    ReportInterrupted,
    ReportResult,
    ReportRunError,
    run_report,
    terminate_interrupts,
)

__all__ = [
    "ReportInputError",
    "ReportInterrupted",
    "ReportJob",
    "ReportResult",
    "ReportRunError",
    "batch_jobs",
    "chapter_job",
    "chapter_path",
    "data_job",
    "main",
    "notebook_to_html",
    "resolve_value",
    "run_batch",
    "run_report",
]


class _Parser(argparse.ArgumentParser):
    """Reports a usage mistake as one line (raised, so ``main`` decides the exit)."""

    def error(self, message):
        raise ReportInputError(message)


_USAGE = f"""\
{PROG} CHAPTER [-p NAME VALUE ...] [-f params.yaml] -o OUT.html [--show-code] [--force]
       {PROG} data FILE.csv --group COL --outcome COL [options] -o OUT.html
       {PROG} data FILE.csv --formula "y ~ x + (1 | g)" [--family F] [options] -o OUT.html
       {PROG} batch JOBS.yaml [-j N]"""

_DESCRIPTION = """\
Turn a chapter of the workbook, or your own grouped CSV file, into a standalone HTML report
that opens offline (charts are embedded as SVG). The executed notebook is kept beside the
report, with the same name and .ipynb. Code is hidden unless --show-code is given.

  CHAPTER         run notebooks/CHAPTER.ipynb ("01-bayes-rule" or "01") with papermill
  data FILE.csv   compare complete, no and partial pooling on your data, or fit
                  an lme4-style --formula (see `hbm-report data --help`)
  batch JOBS.yaml run several reports in parallel (see `hbm-report batch --help`)

At the end a summary line gives the report's path, the wall time, the largest R-hat and the
number of divergent transitions the notebook recorded (n/a when it recorded none). A fit with
R-hat of 1.01 or more, or any divergence, puts a warning box at the top of the report.
Bad input ends with status 2 and one line saying what is wrong; nothing is written then."""

_EXAMPLES = f"""\
examples:
  {PROG} 01 -p draws 500 -p chains 2 -o bayes-rule.html
  {PROG} 01-bayes-rule -f my-settings.yaml -o bayes-rule.html --show-code
  {PROG} data scores.csv --group school --outcome score --predictor hours -o scores.html
  {PROG} data sleep.csv --formula "Reaction ~ Days + (1 + Days | Subject)" -o sleep.html
  {PROG} data trials.csv --formula "passed ~ dose + (1 | clinic)" --family bernoulli -o t.html
  {PROG} batch jobs.yaml -j 2"""

_BATCH_EPILOG = """\
The YAML file lists jobs; relative paths are taken from its folder:

  jobs:
    - chapter: "01"
      parameters: {draws: 500, chains: 2}
      output: reports/bayes-rule.html
    - data: scores.csv
      group: school
      outcome: score
      predictor: hours
      varying: both
      draws: 500
      output: reports/scores.html
    - data: visits.csv
      formula: "visits ~ age + (1 | practice)"
      family: poisson
      output: reports/visits.html

Every job is checked before any runs. Data jobs take the options of `hbm-report data`
with underscores (group_predictor, target_accept); any job may set show_code and force."""


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT.html",
        help="the report to write; the executed notebook goes beside it as OUT.ipynb",
    )
    parser.add_argument(
        "--show-code", action="store_true", help="include the notebook's code in the report"
    )
    parser.add_argument(
        "--force", action="store_true", help="replace OUT.html and OUT.ipynb if they exist"
    )
    parser.add_argument(
        "--no-progress", action="store_true", help="do not draw papermill's progress bar"
    )
    parser.add_argument(
        "--results-json",
        metavar="FILE.json",
        help="also keep the figures the notebook recorded (R-hat, estimates...) as JSON",
    )


def _positive(low: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {low}, got {value}")
        return value

    return parse


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {value:g}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command's argument parser (the three forms are sub-commands)."""
    parser = _Parser(
        prog=PROG,
        usage=_USAGE,
        description=_DESCRIPTION,
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="{CHAPTER,data,batch}")

    chapter = commands.add_parser(
        "chapter",
        usage=f"{PROG} CHAPTER [-p NAME VALUE ...] [-f params.yaml] -o OUT.html "
        "[--show-code] [--force]",
        help="run a chapter (the word 'chapter' may be left out)",
        description="Run a chapter with papermill and write it as an HTML report. Parameter "
        "names must be those of the chapter's parameters cell, and values must have the type "
        "of its defaults (a whole number where the default is one; any number for a float) "
        "and lie in the range its comment ends with, such as (> 0) or (0 < target_accept < 1). "
        f"Chapters: {', '.join(p.stem for p in _chapters()) or 'none found'}.",
    )
    chapter.add_argument("chapter", metavar="CHAPTER", help='"01-bayes-rule", "01" or a path')
    chapter.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="set a parameter; VALUE is read as papermill does (True, False, None, "
        "a whole number, a number, else a string), or as a list or mapping when it starts "
        "with [ or { (Python or YAML, quoted for the shell). Repeat for several.",
    )
    chapter.add_argument(
        "-f",
        "--parameters-file",
        action="append",
        default=[],
        metavar="params.yaml",
        help="a YAML mapping of parameters (read before any -p, which override it)",
    )
    _add_output_options(chapter)

    data = commands.add_parser(
        "data",
        usage=f"{PROG} data FILE.csv (--group COL --outcome COL | --formula FORMULA) "
        "[options] -o OUT.html",
        help="report on your own grouped CSV file",
        description="Fit complete, no and partial pooling to a CSV file with one row per "
        "observation, and report the data, the models compared by LOO, diagnostics, each "
        "group's estimates, the shrinkage from no to partial pooling, and predictions for a "
        "new group. With --formula (lme4 syntax, fitted by Bambi), or a --family other than "
        "gaussian, the report fits that model instead and compares it with its "
        "complete-pooling counterpart. The file is checked before anything runs.",
    )
    data.add_argument("csv", metavar="FILE.csv", help="one row per observation")
    data.add_argument(
        "--formula",
        metavar="FORMULA",
        help='an lme4-style model, e.g. "y ~ x1 + x2 + (1 + x1 | g)", crossed "(1|a) + (1|b)" '
        'or nested "(1|a/b)"; binomial as "successes | trials(n) ~ ..." (replaces --group, '
        "--outcome and --predictor)",
    )
    data.add_argument("--group", metavar="COL", help="the group column")
    data.add_argument("--outcome", metavar="COL", help="the numeric outcome")
    data.add_argument("--predictor", metavar="COL", help="a numeric individual-level predictor")
    data.add_argument(
        "--group-predictor",
        metavar="COL",
        help="a numeric group-level predictor, constant within each group (partial pooling only)",
    )
    data.add_argument(
        "--pooling",
        choices=["complete", "none", "partial"],
        default="partial",
        help="the model whose group estimates are reported (default: partial)",
    )
    data.add_argument(
        "--varying",
        choices=["intercept", "slope", "both"],
        default="intercept",
        help="what differs between groups (default: intercept; slope and both need --predictor)",
    )
    data.add_argument("--draws", type=_positive(1), default=1000, help="draws per chain (1000)")
    data.add_argument("--tune", type=_positive(0), default=1000, help="tuning steps (1000)")
    data.add_argument("--chains", type=_positive(1), default=4, help="chains (4)")
    data.add_argument("--seed", type=_positive(0), default=8927, help="random seed (8927)")
    data.add_argument(
        "--target-accept", type=_probability, default=0.9, help="NUTS target acceptance (0.9)"
    )
    data.add_argument(
        "--missing",
        choices=["error", "drop"],
        default="error",
        help="rows with a missing value in a used column: refuse the file (default) or drop them",
    )
    data.add_argument(
        "--family",
        choices=list(FAMILIES),
        default=None,
        help="the outcome's distribution; by default an outcome of 0/1 values or counts is "
        "refused, and gaussian fits a normal model to it anyway; any other family fits a "
        "formula (from --formula, or from --group/--outcome/--predictor/--varying)",
    )
    _add_output_options(data)

    batch = commands.add_parser(
        "batch",
        usage=f"{PROG} batch JOBS.yaml [-j N] [--force]",
        help="run the reports a YAML file lists, in parallel",
        description="Run several reports, each to its own file, in parallel processes.",
        epilog=_BATCH_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    batch.add_argument("jobs_file", metavar="JOBS.yaml", help="the list of reports")
    batch.add_argument(
        "-j",
        "--jobs",
        dest="workers",
        type=_positive(1),
        default=2,
        metavar="N",
        help="how many reports run at once, each in its own process (default: 2)",
    )
    batch.add_argument("--force", action="store_true", help="replace existing outputs")
    return parser


def _fail(message) -> None:
    print(f"{PROG}: error: {_one_line(message)}", file=sys.stderr, flush=True)


def _job_from_args(args) -> ReportJob:
    if args.command == "chapter":
        parameters = {}
        for name, value in args.parameter:
            parameters[name] = resolve_value(value, name=name)
        return chapter_job(
            args.chapter,
            parameters,
            parameter_files=args.parameters_file,
            output=args.output,
            show_code=args.show_code,
            force=args.force,
            results_json=args.results_json,
        )
    return data_job(
        args.csv,
        formula=args.formula,
        group=args.group,
        outcome=args.outcome,
        predictor=args.predictor,
        group_predictor=args.group_predictor,
        pooling=args.pooling,
        varying=args.varying,
        draws=args.draws,
        tune=args.tune,
        chains=args.chains,
        seed=args.seed,
        target_accept=args.target_accept,
        missing=args.missing,
        family=args.family,
        output=args.output,
        show_code=args.show_code,
        force=args.force,
        results_json=args.results_json,
    )


def _interrupted(exc: KeyboardInterrupt) -> int:
    finished = getattr(exc, "finished", 0)
    if finished:
        _fail(f"interrupted; no other report was written ({finished} finished, listed above)")
    else:
        _fail("interrupted; no report was written")
    return getattr(exc, "exit_code", 130)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns its exit status (0 done, 1 a notebook failed, 2 bad input,
    130 Ctrl-C, 143 SIGTERM)."""
    try:
        with terminate_interrupts():
            return _main(argv)
    except KeyboardInterrupt as exc:  # during the checks, or between two steps of a run
        return _interrupted(exc)


def _main(argv: Sequence[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in ("chapter", "data", "batch") and not argv[0].startswith("-"):
        argv.insert(0, "chapter")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            raise ReportInputError(
                f"name a chapter, `data FILE.csv` or `batch JOBS.yaml` (see {PROG} --help)"
            )
        if args.command == "batch":
            jobs = batch_jobs(args.jobs_file, force=args.force)
        else:
            job = _job_from_args(args)
    except WorkbookInputError as exc:
        _fail(exc)
        return 2
    try:
        if args.command == "batch":
            return run_batch(jobs, workers=args.workers)
        result = run_report(job, progress_bar=not args.no_progress)
    except WorkbookInputError as exc:
        _fail(exc)
        return 2
    except ReportRunError as exc:
        _fail(exc)
        return exc.exit_code
    except OSError as exc:
        _fail(f"could not write the report: {exc}")
        return 1
    except KeyboardInterrupt as exc:
        return _interrupted(exc)
    print(result.summary_line(), flush=True)
    return 0
