"""``hbm-report``: a chapter, or your own grouped CSV file, as a standalone offline HTML report.

Three forms::

    hbm-report CHAPTER [-p NAME VALUE ...] [-f params.yaml] -o OUT.html [--show-code] [--force]
    hbm-report data FILE.csv --group COL --outcome COL [options] -o OUT.html
    hbm-report batch JOBS.yaml [-j N]

A chapter is run with papermill at the parameters given (checked against the chapter's
``parameters`` cell first); a data file is checked with :func:`hbm_widgets.load_grouped_csv`
and then run through the template ``templates/grouped-data-report.ipynb``, which compares
complete, no and partial pooling on it. The executed notebook is kept beside the report
(``OUT.ipynb``). Charts are rendered to SVG in the kernel and the HTML runs no JavaScript,
so the report opens offline. Both files are written under temporary names in the output
folder and renamed at the end: a failed run leaves nothing under the requested names.

Bad input (an unknown chapter or parameter, a value of the wrong type, a missing file or
column, an output that exists) ends the command with exit status 2 and one line on stderr;
a notebook that fails while running ends it with status 1.

This module is the report's face: it imports the core and nothing from
``hbm_widgets.widgets``.
"""

from __future__ import annotations

import argparse
import ast
import copy
import datetime
import html
import json
import logging
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hbm_widgets.charts.rendering import RENDERER_ENV
from hbm_widgets.core.errors import WorkbookInputError
from hbm_widgets.core.summaries import warning_box_html

__all__ = [
    "ReportInputError",
    "ReportJob",
    "ReportResult",
    "ReportRunError",
    "batch_jobs",
    "chapter_job",
    "data_job",
    "main",
    "notebook_to_html",
    "run_batch",
    "run_report",
]

_log = logging.getLogger(__name__)

PROG = "hbm-report"
REPORT_DIR = Path(__file__).resolve().parent
TEMPLATE = REPORT_DIR / "templates" / "grouped-data-report.ipynb"
NOTEBOOKS_ENV = "HBM_NOTEBOOKS_DIR"
RESULTS_PARAMETER = "results_path"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# Errors a notebook raises for a bad setting: they end the command as bad input (status 2).
_INPUT_ERRORS = {"WorkbookInputError", "DataValidationError", "SpecificationError"}


class ReportInputError(WorkbookInputError):
    """A report cannot be made from the input given (exit status 2)."""


class ReportRunError(RuntimeError):
    """The notebook failed while running; nothing was written."""

    def __init__(self, message: str, *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class ReportJob:
    """One report to make: which notebook, with which parameters, to which file.

    Make it with :func:`chapter_job`, :func:`data_job` or :func:`batch_jobs`, which check
    everything that can be checked before a kernel starts; run it with :func:`run_report`.
    """

    kind: str  # "chapter" or "data"
    label: str  # how the job is named in messages
    notebook: Path  # the notebook to execute
    parameters: dict[str, Any]  # papermill parameters, results_path excepted
    output: Path  # the HTML report
    cwd: Path  # the kernel's working folder
    show_code: bool = False
    force: bool = False
    results_json: Path | None = None  # where to keep the recorded figures, if anywhere

    @property
    def notebook_output(self) -> Path:
        """Where the executed notebook is kept: the report's path with ``.ipynb``."""
        return self.output.with_suffix(".ipynb")


@dataclass(frozen=True)
class ReportResult:
    """What a finished report run wrote, how long it took, and what its fits recorded."""

    job: ReportJob
    seconds: float
    max_rhat: float | None
    divergences: int | None
    problems: tuple[str, ...] = field(default=())
    results: dict = field(default_factory=dict)  # what the notebook recorded

    def summary_line(self) -> str:
        rhat = "n/a" if self.max_rhat is None else f"{self.max_rhat:.3f}"
        divergences = "n/a" if self.divergences is None else str(self.divergences)
        return (
            f"{self.job.output} (notebook {self.job.notebook_output.name}): "
            f"{self.seconds:.1f} s wall time; max R-hat {rhat}; divergences {divergences}"
        )


# --------------------------------------------------------------------------------------------
# Checking the input


def _one_line(text: str) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(text))
    return " ".join(text.split())


def notebooks_dir() -> Path:
    """The chapters' folder (``HBM_NOTEBOOKS_DIR`` overrides it)."""
    override = os.environ.get(NOTEBOOKS_ENV)
    if override:
        return Path(override)
    return REPORT_DIR.parent.parent / "notebooks"


def _chapters() -> list[Path]:
    return sorted(notebooks_dir().glob("[0-9][0-9]-*.ipynb"))


def chapter_path(chapter: str | os.PathLike) -> Path:
    """The notebook of a chapter named ``"01-bayes-rule"``, ``"01"`` or given by its path."""
    text = str(chapter)
    if text.endswith(".ipynb") and Path(text).is_file():
        return Path(text).resolve()
    key = text.removesuffix(".ipynb")
    chapters = _chapters()
    if re.fullmatch(r"\d{1,2}", key):
        matches = [p for p in chapters if p.stem[:2] == key.zfill(2)]
    else:
        matches = [p for p in chapters if p.stem == key]
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(p.stem for p in chapters) or f"none in {notebooks_dir()}"
    raise ReportInputError(f"unknown chapter {text!r}; the chapters are: {names}")


_NO_LITERAL = object()


def _declared_parameters(notebook: Path) -> dict[str, Any]:
    """Name -> default value of a notebook's ``parameters`` cell (``_NO_LITERAL`` if computed)."""
    import papermill

    inspected = papermill.inspect_notebook(str(notebook))
    declared = {}
    for name, info in inspected.items():
        try:
            declared[name] = ast.literal_eval(info["default"])
        except (ValueError, SyntaxError, TypeError):
            declared[name] = _NO_LITERAL
    return declared


def resolve_value(text: str):
    """A ``-p`` value read the way papermill reads it: bool, None, int, float, else string."""
    if text == "True":
        return True
    if text == "False":
        return False
    if text == "None":
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


_KIND_WORDS = {
    bool: "True or False",
    int: "a whole number",
    float: "a number",
    str: "a string",
    list: "a list",
    tuple: "a list",
    dict: "a mapping",
}


def _checked_value(name: str, value, default):
    """``value`` if it has the type of ``default`` (an int is a float too); else an error."""
    if default is _NO_LITERAL or default is None:
        return value
    kind = type(default)
    if kind is bool:
        ok = isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok:
            value = float(value)
    elif kind in (list, tuple):
        ok = isinstance(value, list | tuple)
    else:
        ok = isinstance(value, kind)
    if not ok:
        wanted = _KIND_WORDS.get(kind, kind.__name__)
        raise ReportInputError(
            f"parameter {name!r} must be {wanted} like its default {default!r}, "
            f"got {value!r} ({type(value).__name__})"
        )
    return value


def _check_parameters(
    parameters: Mapping[str, Any], notebook: Path, where: str, *, check_types: bool = True
) -> dict:
    declared = _declared_parameters(notebook)
    if not declared:
        raise ReportInputError(f"{where} has no cell tagged 'parameters'")
    checked = {}
    for name, value in parameters.items():
        if name == RESULTS_PARAMETER:
            raise ReportInputError(
                f"{RESULTS_PARAMETER!r} is set by {PROG} itself (it reads the recorded figures "
                "back for the summary); leave it out"
            )
        if name not in declared:
            valid = ", ".join(n for n in declared if n != RESULTS_PARAMETER)
            raise ReportInputError(
                f"{where} has no parameter {name!r}; its parameters are: {valid}"
            )
        checked[name] = _checked_value(name, value, declared[name]) if check_types else value
    return checked


def _read_parameter_file(path: str | os.PathLike) -> dict:
    from papermill.iorw import NoDatesSafeLoader

    path = Path(path)
    if not path.is_file():
        raise ReportInputError(f"parameters file {path} does not exist")
    try:
        loaded = yaml.load(path.read_text(encoding="utf-8"), Loader=NoDatesSafeLoader)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ReportInputError(f"parameters file {path} is not valid YAML: {exc}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ReportInputError(
            f"parameters file {path} must hold a mapping of parameter names to values, "
            f"not a {type(loaded).__name__}"
        )
    return {str(k): v for k, v in loaded.items()}


def _check_output(output: str | os.PathLike, *, force: bool) -> Path:
    """The absolute report path, once its folder is writable and nothing would be replaced."""
    path = Path(output).expanduser()
    if path.suffix.lower() != ".html":
        raise ReportInputError(f"the report {str(output)!r} must be an .html file")
    path = path.absolute()
    folder = path.parent
    if not folder.exists():
        raise ReportInputError(f"cannot write {path}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise ReportInputError(f"cannot write {path}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ReportInputError(f"cannot write {path}: the folder {folder} is not writable")
    try:
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".hbm-report-probe-")
    except OSError as exc:
        raise ReportInputError(
            f"cannot write {path}: the folder {folder} is not writable ({exc.strerror})"
        ) from None
    os.close(handle)
    os.unlink(probe)
    for target in (path, path.with_suffix(".ipynb")):
        if target.is_dir():
            raise ReportInputError(f"cannot write {target}: it is a folder")
        if target.exists() and not force:
            raise ReportInputError(f"{target} already exists; pass --force to replace it")
    return path


def _check_results_json(path, *, force: bool) -> Path | None:
    if path is None:
        return None
    path = Path(path).expanduser().absolute()
    if path.suffix.lower() != ".json":
        raise ReportInputError(f"the results file {str(path)!r} must be a .json file")
    if not path.parent.is_dir():
        raise ReportInputError(f"cannot write {path}: the folder {path.parent} does not exist")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise ReportInputError(f"cannot write {path}: the folder {path.parent} is not writable")
    if path.is_dir():
        raise ReportInputError(f"cannot write {path}: it is a folder")
    if path.exists() and not force:
        raise ReportInputError(f"{path} already exists; pass --force to replace it")
    return path


def chapter_job(
    chapter: str | os.PathLike,
    parameters: Mapping[str, Any] | None = None,
    *,
    output: str | os.PathLike,
    parameter_files: Sequence[str | os.PathLike] = (),
    show_code: bool = False,
    force: bool = False,
    results_json: str | os.PathLike | None = None,
) -> ReportJob:
    """Check a chapter report: the chapter exists, the parameters are its own and well typed.

    Parameters
    ----------
    chapter : str or path
        ``"01-bayes-rule"``, ``"01"`` or the path of a notebook.
    parameters : mapping, optional
        Values for the chapter's parameters cell; they override those from the files.
    output : path
        The HTML report; the executed notebook goes beside it with ``.ipynb``.
    parameter_files : sequence of paths
        YAML files of parameters, read in order (as papermill's ``-f``).
    show_code, force : bool
        Include the code in the report; replace existing output files.
    results_json : path, optional
        Also keep the figures the chapter recorded (``hbm.record_results``) as JSON here.

    Raises
    ------
    ReportInputError
    """
    notebook = chapter_path(chapter)
    merged: dict[str, Any] = {}
    for path in parameter_files:
        merged.update(_read_parameter_file(path))
    merged.update(parameters or {})
    checked = _check_parameters(merged, notebook, f"chapter {notebook.stem}")
    return ReportJob(
        kind="chapter",
        label=f"chapter {notebook.stem}",
        notebook=notebook,
        parameters=checked,
        output=_check_output(output, force=force),
        cwd=notebook.parent,
        show_code=show_code,
        force=force,
        results_json=_check_results_json(results_json, force=force),
    )


def _whole(name: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ReportInputError(f"{name} must be a whole number >= {low}, got {value!r}")
    return value


def data_job(
    csv: str | os.PathLike,
    *,
    group: str,
    outcome: str,
    output: str | os.PathLike,
    predictor: str | None = None,
    group_predictor: str | None = None,
    pooling: str = "partial",
    varying: str = "intercept",
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    seed: int = 8927,
    target_accept: float = 0.9,
    missing: str = "error",
    show_code: bool = False,
    force: bool = False,
    results_json: str | os.PathLike | None = None,
) -> ReportJob:
    """Check a data report: the file, its columns and the models, before any kernel starts.

    The CSV is loaded with :func:`hbm_widgets.load_grouped_csv` and the three models the
    report fits are built once (not sampled), so that a bad file or an impossible model
    fails here with one clear message.

    Raises
    ------
    ReportInputError, DataValidationError, SpecificationError
    """
    from hbm_widgets.core.build import build_model
    from hbm_widgets.core.data import load_grouped_csv
    from hbm_widgets.core.summaries import POOLING_STRATEGIES, pooling_strategy_specs

    if pooling not in POOLING_STRATEGIES:
        raise ReportInputError(
            f"unknown pooling {pooling!r}; expected one of: {', '.join(POOLING_STRATEGIES)}"
        )
    draws = _whole("draws", draws, 1)
    tune = _whole("tune", tune, 0)
    chains = _whole("chains", chains, 1)
    seed = _whole("seed", seed, 0)
    if isinstance(target_accept, bool) or not isinstance(target_accept, int | float):
        raise ReportInputError(f"target_accept must be a number, got {target_accept!r}")
    if not 0 < target_accept < 1:
        raise ReportInputError(f"target_accept must be between 0 and 1, got {target_accept!r}")
    if varying in ("slope", "both") and predictor is None:
        raise ReportInputError(
            f"varying={varying!r} needs a predictor whose slope can vary; name one with --predictor"
        )
    csv_path = Path(csv).expanduser()
    data = load_grouped_csv(
        csv_path,
        group=group,
        outcome=outcome,
        predictor=predictor,
        group_predictor=group_predictor,
        missing=missing,
    )
    specs = pooling_strategy_specs(varying=varying, group_predictor=group_predictor is not None)
    for spec in specs.values():
        build_model(spec, data)
    parameters = {
        "RANDOM_SEED": seed,
        "csv_path": str(csv_path.resolve()),
        "group": group,
        "outcome": outcome,
        "predictor": predictor,
        "group_predictor": group_predictor,
        "missing": missing,
        "pooling": pooling,
        "varying": varying,
        "draws": draws,
        "tune": tune,
        "chains": chains,
        "target_accept": float(target_accept),
    }
    # The values were checked above; the template's names are checked here, so that the
    # two cannot drift apart unnoticed.
    checked = _check_parameters(parameters, TEMPLATE, "the report template", check_types=False)
    output_path = _check_output(output, force=force)
    return ReportJob(
        kind="data",
        label=f"data {csv_path.name}",
        notebook=TEMPLATE,
        parameters=checked,
        output=output_path,
        cwd=output_path.parent,
        show_code=show_code,
        force=force,
        results_json=_check_results_json(results_json, force=force),
    )


_CHAPTER_KEYS = {
    "chapter",
    "parameters",
    "parameter_files",
    "output",
    "results_json",
    "show_code",
    "force",
}
_DATA_KEYS = {
    "data",
    "group",
    "outcome",
    "predictor",
    "group_predictor",
    "pooling",
    "varying",
    "draws",
    "tune",
    "chains",
    "seed",
    "target_accept",
    "missing",
    "output",
    "results_json",
    "show_code",
    "force",
}


def batch_jobs(path: str | os.PathLike, *, force: bool = False) -> list[ReportJob]:
    """Read and check every job of a batch file before any runs.

    The YAML file holds ``jobs:``, a list (or is itself the list). Each job is either a
    chapter (``chapter``, ``parameters``, ``output``) or a data report (``data`` for the
    CSV file and the options of ``hbm-report data`` with underscores: ``group``,
    ``outcome``, ``predictor``, ``group_predictor``, ``pooling``, ``varying``, ``draws``,
    ``tune``, ``chains``, ``seed``, ``target_accept``, ``missing``, ``output``); either may
    set ``show_code``, ``force`` and ``results_json``. Relative paths are taken from the YAML
    file's folder.

    Raises
    ------
    ReportInputError
        Naming the job (``job 2``) and what is wrong with it.
    """
    path = Path(path)
    if not path.is_file():
        raise ReportInputError(f"batch file {path} does not exist")
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ReportInputError(f"batch file {path} is not valid YAML: {exc}") from None
    if isinstance(loaded, dict) and set(loaded) == {"jobs"}:
        loaded = loaded["jobs"]
    if not isinstance(loaded, list) or not loaded:
        raise ReportInputError(f"batch file {path} must hold a non-empty list 'jobs:' of reports")
    base = path.resolve().parent

    def local(value) -> Path:
        candidate = Path(str(value)).expanduser()
        return candidate if candidate.is_absolute() else base / candidate

    jobs: list[ReportJob] = []
    for number, entry in enumerate(loaded, start=1):
        where = f"job {number} of {path.name}"
        try:
            if not isinstance(entry, dict):
                raise ReportInputError(f"must be a mapping, got {entry!r}")
            if "output" not in entry:
                raise ReportInputError("has no 'output'")
            if ("chapter" in entry) == ("data" in entry):
                raise ReportInputError("must name either a 'chapter' or a 'data' file")
            allowed = _CHAPTER_KEYS if "chapter" in entry else _DATA_KEYS
            unknown = sorted(set(entry) - allowed)
            if unknown:
                expected = ", ".join(sorted(allowed))
                raise ReportInputError(
                    f"has unknown key {unknown[0]!r}; expected some of: {expected}"
                )
            options = {
                "output": local(entry["output"]),
                "results_json": local(entry["results_json"]) if "results_json" in entry else None,
                "show_code": bool(entry.get("show_code", False)),
                "force": bool(entry.get("force", False)) or force,
            }
            if "chapter" in entry:
                parameters = entry.get("parameters") or {}
                if not isinstance(parameters, dict):
                    raise ReportInputError("'parameters' must be a mapping of names to values")
                files = entry.get("parameter_files") or []
                if isinstance(files, str):
                    files = [files]
                chapter = str(entry["chapter"])
                if chapter.endswith(".ipynb"):
                    chapter = str(local(chapter))
                job = chapter_job(
                    chapter,
                    {str(k): v for k, v in parameters.items()},
                    parameter_files=[local(f) for f in files],
                    **options,
                )
            else:
                settings = {k: v for k, v in entry.items() if k in _DATA_KEYS - {"data"}}
                settings.update(options)
                job = data_job(local(entry["data"]), **settings)
        except WorkbookInputError as exc:
            raise ReportInputError(f"{where}: {_one_line(exc)}") from None
        jobs.append(job)
    outputs = [job.output for job in jobs]
    for i, out in enumerate(outputs):
        if out in outputs[:i]:
            raise ReportInputError(
                f"jobs {outputs.index(out) + 1} and {i + 1} of {path.name} both write {out}"
            )
    return jobs


# --------------------------------------------------------------------------------------------
# Running


def _temp_path(folder: Path, stem: str, suffix: str) -> Path:
    """A new empty file beside the final one, readable as any file the user makes would be."""
    handle, name = tempfile.mkstemp(dir=folder, prefix=f".{stem}.", suffix=f".partial{suffix}")
    os.close(handle)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(name, 0o666 & ~umask)  # mkstemp makes it private (0600)
    return Path(name)


def _recorded_fits(results, path: tuple[str, ...] = ()) -> list[tuple[str, Any, Any]]:
    """Every ``{max_rhat, divergences}`` record in a results file, with where it was found."""
    found = []
    if isinstance(results, dict):
        if "max_rhat" in results and "divergences" in results:
            found.append((".".join(path) or "fit", results["max_rhat"], results["divergences"]))
        else:
            for key, value in results.items():
                found += _recorded_fits(value, (*path, str(key)))
    elif isinstance(results, list):
        for index, value in enumerate(results):
            found += _recorded_fits(value, (*path, str(index)))
    return found


def _convergence_summary(results: dict) -> tuple[float | None, int | None, tuple[str, ...]]:
    fits = _recorded_fits(results)
    if not fits:
        return None, None, ()
    rhats = [float(r) for _, r, _ in fits if isinstance(r, int | float)]
    divergences = [int(d) for _, _, d in fits if isinstance(d, int | float)]
    problems = []
    for where, rhat, diverging in fits:
        # "convergence.partial pooling" reads better as "partial pooling".
        where = where.removeprefix("convergence.")
        if isinstance(rhat, int | float) and rhat >= 1.01:
            problems.append(f"{where}: max R-hat is {rhat:.3f} (should be below 1.01)")
        if isinstance(diverging, int | float) and diverging > 0:
            problems.append(f"{where}: {int(diverging)} divergent transitions (should be 0)")
    return (
        max(rhats) if rhats else None,
        sum(divergences) if divergences else None,
        tuple(problems),
    )


def _header_html(job: ReportJob) -> str:
    shown = {k: v for k, v in job.parameters.items() if k != "csv_path"}
    if job.kind == "data":
        source = f"data file <code>{html.escape(Path(job.parameters['csv_path']).name)}</code>"
        settings = ", ".join(
            f"{k} = {html.escape(repr(v))}" for k, v in shown.items() if v is not None
        )
    else:
        source = f"chapter <code>{html.escape(job.notebook.stem)}</code>"
        settings = (
            ", ".join(f"{k} = {html.escape(repr(v))}" for k, v in shown.items())
            + " (every other setting at its default)"
            if shown
            else "its default settings"
        )
    today = datetime.date.today().isoformat()
    return (
        '<div class="hbm-report-header" style="color:#444;font-size:90%;border-bottom:1px solid '
        '#ccc;padding:0.4em 0;margin-bottom:1em">'
        f"Report made by <code>{PROG}</code> on {today} from the {source}, with {settings}. "
        f"The executed notebook is <code>{html.escape(job.notebook_output.name)}</code>."
        "</div>"
    )


# A kernel that dies while it starts ran none of the notebook. The usual cause is a port
# race: jupyter_client picks free ports and the kernel binds them a moment later, so two
# kernels started at once (a batch with -j 2) can pick the same one.
_KERNEL_START_FAILED = "Kernel died before replying to kernel_info"


def _execute_retrying_start(execute, *args, **kwargs):
    """``execute(*args, **kwargs)``, tried once more if its kernel died while starting."""
    try:
        return execute(*args, **kwargs)
    except RuntimeError as exc:
        if _KERNEL_START_FAILED not in str(exc):
            raise
        _log.info("the kernel died while starting (%s): starting another", exc)
        return execute(*args, **kwargs)


def run_report(job: ReportJob, *, progress_bar: bool = True) -> ReportResult:
    """Execute a checked job and write its report and executed notebook.

    The notebook runs in a fresh kernel with ``HBM_CHART_RENDERER=svg`` and a temporary
    ``results_path``, whose recorded ``max_rhat``/``divergences`` give the summary and, when
    a fit has R-hat of 1.01 or more or any divergence, a warning box at the top of the
    report. Both files are written under temporary names and renamed at the end.

    Raises
    ------
    ReportInputError
        The output appeared meanwhile, or the notebook refused a setting.
    ReportRunError
        The notebook failed.
    """
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from hbm_widgets.report.kernel import PollingKernelManager

    start = time.perf_counter()
    output = _check_output(job.output, force=job.force)
    folder = output.parent
    temporary: list[Path] = []
    results_dir = Path(tempfile.mkdtemp(prefix="hbm-report-"))
    results_file = results_dir / "results.json"
    renderer_before = os.environ.get(RENDERER_ENV)
    papermill_logger = logging.getLogger("papermill")
    level_before = papermill_logger.level
    try:
        executed = _temp_path(folder, output.stem, ".ipynb")
        temporary.append(executed)
        report = _temp_path(folder, output.stem, ".html")
        temporary.append(report)
        os.environ[RENDERER_ENV] = "svg"
        papermill_logger.setLevel(logging.ERROR)
        try:
            _execute_retrying_start(
                papermill.execute_notebook,
                str(job.notebook),
                str(executed),
                parameters={**job.parameters, RESULTS_PARAMETER: str(results_file)},
                kernel_name="python3",
                # The kernel runs this interpreter, whatever jupyter finds first on PATH.
                language="python",
                cwd=str(job.cwd),
                progress_bar=progress_bar,
                # Keep the kernel's own start-up notices off the terminal.
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
                # jupyter_client's manager, but never waiting on a missed wake-up for ever.
                kernel_manager_class=PollingKernelManager,
            )
        except PapermillExecutionError as exc:
            code = 2 if exc.ename in _INPUT_ERRORS else 1
            raise ReportRunError(
                f"{job.label}: the notebook stopped in cell {exc.exec_count} with "
                f"{exc.ename}: {_one_line(exc.evalue)}; no report was written",
                exit_code=code,
            ) from None
        except (OSError, RuntimeError, ValueError) as exc:
            raise ReportRunError(
                f"{job.label}: the notebook could not be run ({type(exc).__name__}: "
                f"{_one_line(exc)}); no report was written"
            ) from None
        results = json.loads(results_file.read_text()) if results_file.exists() else {}
        max_rhat, divergences, problems = _convergence_summary(results)
        try:
            page = notebook_to_html(
                nbformat.read(executed, as_version=4),
                show_code=job.show_code,
                warnings=problems,
                header=_header_html(job),
                title=f"{job.label} · report",
            )
        except Exception as exc:  # nbconvert's errors have no common base class
            raise ReportRunError(
                f"{job.label}: the executed notebook could not be turned into HTML "
                f"({type(exc).__name__}: {_one_line(exc)}); no report was written"
            ) from None
        report.write_text(page, encoding="utf-8")
        if job.results_json is not None:
            kept = _temp_path(job.results_json.parent, job.results_json.stem, ".json")
            temporary.append(kept)
            kept.write_text(json.dumps(results, indent=2, sort_keys=True), encoding="utf-8")
        for target in (output, job.notebook_output):
            if target.exists() and not job.force:
                raise ReportInputError(
                    f"{target} appeared while the report ran; pass --force to replace it"
                )
        os.replace(executed, job.notebook_output)
        os.replace(report, output)
        if job.results_json is not None:
            os.replace(kept, job.results_json)
    finally:
        if renderer_before is None:
            os.environ.pop(RENDERER_ENV, None)
        else:
            os.environ[RENDERER_ENV] = renderer_before
        papermill_logger.setLevel(level_before)
        for path in temporary:
            path.unlink(missing_ok=True)
        shutil.rmtree(results_dir, ignore_errors=True)
    return ReportResult(
        job=job,
        seconds=time.perf_counter() - start,
        max_rhat=max_rhat,
        divergences=divergences,
        problems=problems,
        results=results,
    )


def _batch_worker(job: ReportJob) -> tuple[ReportResult | None, str, int]:
    try:
        return run_report(job, progress_bar=False), "", 0
    except WorkbookInputError as exc:
        return None, _one_line(exc), 2
    except ReportRunError as exc:
        return None, _one_line(exc), exc.exit_code


def run_batch(jobs: Sequence[ReportJob], *, workers: int = 2, stream=None) -> int:
    """Run checked jobs in parallel processes, printing one summary line per job.

    Returns the exit status: 0 when every report was written, else the worst job's status.
    """
    stream = sys.stdout if stream is None else stream
    workers = _whole("workers", workers, 1)
    status = 0
    total = len(jobs)
    # Workers are forked from a fresh server process that imported this module once (not
    # from this process, whose threads and state a fork would copy; nor spawned, which would
    # import the package again in every worker).
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["hbm_widgets.report.command"])
    with ProcessPoolExecutor(max_workers=min(workers, total), mp_context=context) as pool:
        futures = {pool.submit(_batch_worker, job): (i, job) for i, job in enumerate(jobs, 1)}
        for future in as_completed(futures):
            number, job = futures[future]
            try:
                result, message, code = future.result()
            except Exception as exc:  # a worker that died (BrokenProcessPool and the like)
                result, message, code = None, f"the worker failed: {_one_line(exc)}", 1
            if result is not None:
                print(f"[job {number}/{total}] {result.summary_line()}", file=stream, flush=True)
            else:
                print(f"[job {number}/{total}] FAILED {job.output}: {message}", file=stream)
                status = max(status, code)
    return status


# --------------------------------------------------------------------------------------------
# HTML


def _widget_snapshot(state: Mapping, model_id: str, seen: set[str]) -> list:
    """The outputs and HTML an ipywidget showed, gathered from the stored widget state."""
    import nbformat

    model_id = model_id.removeprefix("IPY_MODEL_")
    if model_id in seen or model_id not in state:
        return []
    seen.add(model_id)
    model = state[model_id]
    values = model.get("state", {})
    name = model.get("model_name", "")
    if name == "OutputModel":
        outputs = []
        for output in values.get("outputs", []):
            output = dict(output)
            if output.get("output_type") in ("display_data", "execute_result"):
                output = {
                    "output_type": "display_data",
                    "data": output.get("data", {}),
                    "metadata": output.get("metadata", {}),
                }
            outputs.append(nbformat.from_dict(output))
        return outputs
    if name in ("HTMLModel", "HTMLMathModel") and values.get("value"):
        return [
            nbformat.v4.new_output(
                "display_data", data={"text/html": f"<div>{values['value']}</div>"}
            )
        ]
    found = []
    for child in values.get("children", []):
        found += _widget_snapshot(state, str(child), seen)
    return found


_WIDGET_NOTE = (
    '<p class="hbm-widget-note" style="color:#555"><em>An interactive explorer stands here '
    "in the notebook. This is how it looked when the report was made; open the executed "
    "notebook in JupyterLab to move its controls.</em></p>"
)


def _static_outputs(notebook, *, show_code: bool) -> None:
    import nbformat

    state = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                outputs.append(
                    nbformat.v4.new_output("display_data", data={"text/html": _WIDGET_NOTE})
                )
                outputs += _widget_snapshot(
                    state, str(data[WIDGET_VIEW].get("model_id", "")), set()
                )
            elif output.get("output_type") == "stream" and output.get("name") == "stderr":
                if show_code:
                    outputs.append(output)
            else:
                outputs.append(output)
        cell.outputs = outputs
    notebook.metadata.pop("widgets", None)


_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script\s*>", re.S | re.I)
_LINK = re.compile(r"<link\b[^>]*>", re.I)
_EXTERNAL = re.compile(r"""(?:href|src)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


def _strip_external(page: str) -> str:
    """Remove every script (the report runs no JavaScript) and every external stylesheet."""
    page = _SCRIPT.sub("", page)
    return _LINK.sub(lambda m: "" if _EXTERNAL.search(m.group(0)) else m.group(0), page)


def notebook_to_html(
    notebook,
    *,
    show_code: bool = False,
    warnings: Iterable[str] = (),
    header: str = "",
    title: str = "Report",
) -> str:
    """An executed notebook as one self-contained HTML page that needs no network.

    Code cells are hidden unless ``show_code``, and so are the sampler's messages on
    stderr; explorers (ipywidgets) become a static snapshot of what they showed; every
    ``<script>`` and external ``<link>`` is removed (nbconvert's template would fetch
    require.js and MathJax from a CDN), so LaTeX stays as written. ``warnings`` go into a
    box at the top, under ``header``.
    """
    from nbconvert import HTMLExporter

    notebook = copy.deepcopy(notebook)
    _static_outputs(notebook, show_code=show_code)
    quiet = logging.getLogger("hbm_widgets.report.command.html")
    quiet.setLevel(logging.ERROR)  # nbconvert's notes (missing alt text) are not the reader's
    exporter = HTMLExporter(
        log=quiet,
        template_name="lab",
        exclude_input=not show_code,
        exclude_input_prompt=not show_code,
        exclude_output_prompt=True,
    )
    page, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": title}})
    page = _strip_external(page)
    top = header + warning_box_html(
        list(warnings), title="Some fits did not converge: read their numbers with care"
    )
    if top:
        match = re.search(r"<main\b[^>]*>", page) or re.search(r"<body\b[^>]*>", page)
        if match:
            page = page[: match.end()] + top + page[match.end() :]
        else:
            page = top + page
    return page


# --------------------------------------------------------------------------------------------
# Command line


class _Parser(argparse.ArgumentParser):
    """Reports a usage mistake as one line (raised, so ``main`` decides the exit)."""

    def error(self, message):
        raise ReportInputError(message)


_USAGE = f"""\
{PROG} CHAPTER [-p NAME VALUE ...] [-f params.yaml] -o OUT.html [--show-code] [--force]
       {PROG} data FILE.csv --group COL --outcome COL [options] -o OUT.html
       {PROG} batch JOBS.yaml [-j N]"""

_DESCRIPTION = """\
Turn a chapter of the workbook, or your own grouped CSV file, into a standalone HTML report
that opens offline (charts are embedded as SVG). The executed notebook is kept beside the
report, with the same name and .ipynb. Code is hidden unless --show-code is given.

  CHAPTER         run notebooks/CHAPTER.ipynb ("01-bayes-rule" or "01") with papermill
  data FILE.csv   compare complete, no and partial pooling on your data
                  (see `hbm-report data --help`)
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
        "of its defaults (a whole number where the default is one; any number for a float). "
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
        "a whole number, a number, else a string). Repeat for several.",
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
        usage=f"{PROG} data FILE.csv --group COL --outcome COL [options] -o OUT.html",
        help="report on your own grouped CSV file",
        description="Fit complete, no and partial pooling to a CSV file with one row per "
        "observation, and report the data, the models compared by LOO, diagnostics, each "
        "group's estimates, the shrinkage from no to partial pooling, and predictions for a "
        "new group. The file is checked before anything runs.",
    )
    data.add_argument("csv", metavar="FILE.csv", help="one row per observation")
    data.add_argument("--group", required=True, metavar="COL", help="the group column")
    data.add_argument("--outcome", required=True, metavar="COL", help="the numeric outcome")
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
            parameters[name] = resolve_value(value)
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
        output=args.output,
        show_code=args.show_code,
        force=args.force,
        results_json=args.results_json,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns its exit status (0 done, 1 a notebook failed, 2 bad input)."""
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
    except KeyboardInterrupt:
        _fail("interrupted; no report was written")
        return 130
    print(result.summary_line(), flush=True)
    return 0
