"""Running checked report jobs: papermill in a fresh kernel, then the HTML, then the files.

Both files are written under temporary names in the output folder and renamed at the end,
so a failed run leaves nothing under the requested names. A batch runs them in worker
processes (``batch.py``).
"""

from __future__ import annotations

import datetime
import html
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hbm_widgets.charts.rendering import RENDERER_ENV
from hbm_widgets.report.checks import (
    PROG,
    RESULTS_PARAMETER,
    ReportInputError,
    _check_output,
    _declared_parameters,
    _one_line,
)
from hbm_widgets.report.jobs import ReportJob
from hbm_widgets.report.page import notebook_to_html

__all__ = [
    "ReportInterrupted",
    "ReportResult",
    "ReportRunError",
    "run_report",
    "terminate_interrupts",
]

_log = logging.getLogger(__name__)

# Set for the kernel while progress is shown: the notebook's own long steps (the data
# report's fits and LOO) then print a line each to the terminal, in place of papermill's bar
# of cells, whose line they would break.
PROGRESS_ENV = "HBM_REPORT_PROGRESS"

# Errors a notebook raises for a bad setting: they end the command as bad input (status 2).
_INPUT_ERRORS = {"WorkbookInputError", "DataValidationError", "SpecificationError"}


class ReportRunError(RuntimeError):
    """The notebook failed while running; nothing was written."""

    def __init__(self, message: str, *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class ReportInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped a run; its kernel was killed and its files removed.

    ``finished`` counts the reports of a batch written before it stopped.
    """

    def __init__(self, signum: int = signal.SIGINT, *, finished: int = 0) -> None:
        super().__init__(signum)
        self.signum = signum
        self.finished = finished

    @property
    def exit_code(self) -> int:
        """The shell's convention: 128 + the signal's number (130 for Ctrl-C, 143 SIGTERM)."""
        return 128 + self.signum


def _raise_interrupted(signum, frame):
    # Once: a second SIGTERM (a batch's pool sends its own when a worker ends) must not cut
    # the clean-up the first one started short.
    signal.signal(signum, signal.SIG_IGN)
    raise ReportInterrupted(signum)


@contextmanager
def terminate_interrupts() -> Iterator[None]:
    """SIGTERM stops the process the way Ctrl-C does, through every ``finally`` on the way.

    Only the main thread can handle signals; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM back while the finished files are renamed into place.

    A signal that came meanwhile is dropped: the report was written, so the run ends as a
    success rather than leaving one file of the two.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        for signum in signal.sigpending() & _STOP_SIGNALS:
            handler = signal.signal(signum, signal.SIG_IGN)  # discards the pending one
            signal.signal(signum, handler)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


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
    from hbm_widgets.core.diagnostics import RHAT_BELOW  # after the run: it loads ArviZ

    fits = _recorded_fits(results)
    if not fits:
        return None, None, ()
    rhats = [float(r) for _, r, _ in fits if isinstance(r, int | float)]
    divergences = [int(d) for _, _, d in fits if isinstance(d, int | float)]
    problems = []
    for where, rhat, diverging in fits:
        # "convergence.partial pooling" reads better as "partial pooling".
        where = where.removeprefix("convergence.")
        if isinstance(rhat, int | float) and rhat >= RHAT_BELOW:
            problems.append(f"{where}: max R-hat is {rhat:.3f} (should be below {RHAT_BELOW})")
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


# The cell added at the end of a notebook that records nothing itself (the chapters): it
# records every fit's convergence for the summary, and is taken out again afterwards.
READ_BACK_TAG = "hbm-read-back"


def _notebook_to_run(job: ReportJob, results_file: Path) -> tuple[Path, dict]:
    """The notebook to execute and its parameters.

    A notebook with a ``results_path`` parameter (the grouped-data report) records its own
    figures there. Any other gets a copy, next to ``results_file``, with a last cell that
    records the convergence of every fit it made.
    """
    import nbformat

    if RESULTS_PARAMETER in _declared_parameters(job.notebook):
        return job.notebook, {**job.parameters, RESULTS_PARAMETER: str(results_file)}
    notebook = nbformat.read(job.notebook, as_version=4)
    source = (
        "from hbm_widgets.core.results import record_fits\n"
        f"record_fits({str(results_file)!r}, globals())"
    )
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": [READ_BACK_TAG]})
    notebook.cells.append(cell)
    copy = results_file.parent / Path(job.notebook).name
    nbformat.write(notebook, copy)
    return copy, dict(job.parameters)


def _without_read_back(path: Path) -> None:
    """Take the recording cell out of an executed notebook, so the report never shows it."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    kept = [c for c in notebook.cells if READ_BACK_TAG not in c.metadata.get("tags", [])]
    if len(kept) != len(notebook.cells):
        notebook.cells = kept
        nbformat.write(notebook, path)


def _execute_retrying_start(execute, *args, **kwargs):
    """``execute(*args, **kwargs)``, tried once more if its kernel died while starting.

    The kernels' Unix sockets (see kernel.py) leave no port to lose to another process;
    where TCP is used (a very long TMPDIR, or not a POSIX system), the race remains.
    """
    try:
        return execute(*args, **kwargs)
    except RuntimeError as exc:
        if _KERNEL_START_FAILED not in str(exc):
            raise
        _log.info("the kernel died while starting (%s): starting another", exc)
        return execute(*args, **kwargs)


def run_report(job: ReportJob, *, progress_bar: bool = True) -> ReportResult:
    """Execute a checked job and write its report and executed notebook.

    The notebook runs in a fresh kernel with ``HBM_CHART_RENDERER=svg``. The recorded
    ``max_rhat``/``divergences`` of its fits (written to a temporary ``results_path`` by a
    notebook that takes one, or by a last cell added for the run) give the summary and, when
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

    from hbm_widgets.report.kernel import ReportKernelManager, execute_stoppably

    start = time.perf_counter()
    output = _check_output(job.output, force=job.force, notebook=job.notebook)
    folder = output.parent
    temporary: list[Path] = []
    results_dir = Path(tempfile.mkdtemp(prefix="hbm-report-"))
    results_file = results_dir / "results.json"
    environment_before = {name: os.environ.get(name) for name in (RENDERER_ENV, PROGRESS_ENV)}
    papermill_logger = logging.getLogger("papermill")
    level_before = papermill_logger.level
    try:
        executed = _temp_path(folder, output.stem, ".ipynb")
        temporary.append(executed)
        report = _temp_path(folder, output.stem, ".html")
        temporary.append(report)
        os.environ[RENDERER_ENV] = "svg"
        # A data report prints a line per fit; a chapter shows papermill's bar of cells.
        cell_bar = progress_bar and job.kind != "data"
        if progress_bar:
            os.environ[PROGRESS_ENV] = "1"
        else:
            os.environ.pop(PROGRESS_ENV, None)
        # Every failure becomes one line of this command's; papermill's would repeat it.
        papermill_logger.setLevel(logging.CRITICAL + 1)
        to_run, parameters = _notebook_to_run(job, results_file)
        try:
            execute_stoppably(
                _execute_retrying_start,
                papermill.execute_notebook,
                str(to_run),
                str(executed),
                parameters=parameters,
                kernel_name="python3",
                # The kernel runs this interpreter, whatever jupyter finds first on PATH.
                language="python",
                cwd=str(job.cwd),
                progress_bar=cell_bar,
                # Not even ERROR: a kernel interrupted at shutdown logs "KeyboardInterrupt
                # caught in kernel" to the terminal, which it shares for progress lines.
                extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
                # jupyter_client's manager, but never waiting on a missed wake-up for ever.
                kernel_manager_class=ReportKernelManager,
            )
        except KeyboardInterrupt:
            if cell_bar:
                print(file=sys.stderr, flush=True)  # end the progress bar's line
            raise
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
        _without_read_back(executed)
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
        with _signals_deferred():
            os.replace(executed, job.notebook_output)
            os.replace(report, output)
            if job.results_json is not None:
                os.replace(kept, job.results_json)
    finally:
        for name, value in environment_before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
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
