"""Run a chapter with papermill in a temporary folder and read back its figures.

A chapter's test module runs it once (module-scoped fixture) with small, fast parameters and
asserts on its figures. It says which figures with ``read_back``: code run in the chapter's
namespace after its last cell, calling ``record(name=value, ...)``; the chapter itself
records nothing. The cell is added to a copy in the temporary folder, together with a
``record_fits`` call that records every fit's R-hat and divergences under ``convergence``.
The repository's notebooks are never written to. (A chapter not yet moved to ``read_back``
still takes a ``results_path`` parameter and records its figures there itself.)

Chapters run one after another in one kernel per test process (``shared_kernel``), its
namespace cleared before each: starting a kernel and importing PyMC, ArviZ and Altair takes
longer than many a chapter at its fast settings.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from contextlib import contextmanager
from pathlib import Path

import nbclient.output_widget
import nbformat
import papermill as pm
import pytest
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from hbm_widgets.report.kernel import PollingKernelManager

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"


def chapter_path(slug: str) -> Path:
    path = NOTEBOOKS / f"{slug}.ipynb"
    if not path.is_file():
        raise FileNotFoundError(f"no chapter {slug!r} in {NOTEBOOKS}")
    return path


def run_chapter(slug: str, workdir: Path, *, km=None, read_back=None, **parameters) -> dict:
    """Execute chapter ``slug`` in ``workdir`` with ``parameters``; return its results."""
    return run_notebook(chapter_path(slug), workdir, km=km, read_back=read_back, **parameters)


READ_BACK_TAG = "read-back"


def with_read_back(path: Path, workdir: Path, read_back: str, results: Path) -> Path:
    """A copy of the notebook in ``workdir`` with a last cell that records its figures."""
    notebook = nbformat.read(path, as_version=4)
    source = (
        "from functools import partial\n"
        "from hbm_widgets.core.results import record_fits, record_results\n"
        f"record = partial(record_results, {str(results)!r})\n"
        f"record_fits({str(results)!r}, globals())\n" + textwrap.dedent(read_back).strip()
    )
    notebook.cells.append(new_code_cell(source, metadata={"tags": [READ_BACK_TAG]}))
    copy = workdir / f"to-run-{Path(path).name}"
    nbformat.write(notebook, copy)
    return copy


# Charts as SVG, and matplotlib (ArviZ's plots) drawing inline as in JupyterLab: the test
# process itself draws with Agg (conftest.py), which a kernel would otherwise inherit.
KERNEL_ENV = {
    "HBM_CHART_RENDERER": "svg",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
}


@contextmanager
def started_kernel(workdir: Path):
    """A Python kernel for several notebooks in turn, charts rendering to SVG."""
    km = PollingKernelManager(kernel_name="python3")
    run_sync(km.start_kernel)(cwd=str(workdir), env={**os.environ, **KERNEL_ENV})
    try:
        yield km
    finally:
        run_sync(km.shutdown_kernel)(now=True)


def clear(km) -> None:
    """Forget every name the last notebook defined, so none can lean on another's; a kernel
    that died (a crash in an earlier notebook) is started again."""
    if not run_sync(km.is_alive)():
        run_sync(km.restart_kernel)(now=True)
    NotebookClient(new_notebook(cells=[new_code_cell("%reset -f")]), km=km).execute()


def run_notebook(path: Path, workdir: Path, *, km=None, read_back=None, **parameters) -> dict:
    """Execute the notebook at ``path`` (a chapter or a solutions notebook) in ``workdir``.

    ``read_back`` is code that records the figures to return with ``record(...)`` (see the
    module's docstring); without it the notebook must take a ``results_path`` parameter and
    record them there itself. ``km``, a started :class:`PollingKernelManager`, runs it in
    that kernel (cleared first) instead of a new one.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    if km is not None:
        clear(km)
    results = workdir / "results.json"
    output = workdir / Path(path).name
    if read_back is None:
        parameters = {**parameters, "results_path": str(results)}
    else:
        path = with_read_back(path, workdir, read_back, results)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in KERNEL_ENV.items():
            patch.setenv(name, value)
        # nbclient echoes Output-widget state back to the kernel on the channel it is
        # waiting on for the cell's reply, and under load that reply can be lost
        # (jupyter/nbclient#312). The tests read no widget state, so the echo is dropped.
        patch.setattr(nbclient.output_widget.OutputWidget, "sync_state", lambda self: None)
        pm.execute_notebook(
            str(path),
            str(output),
            parameters=parameters,
            cwd=str(workdir),
            kernel_name="python3",
            progress_bar=False,
            # A cell that hangs fails its test instead of blocking the suite.
            execution_timeout=900,
            # The kernel must be this interpreter's, whatever jupyter finds first on PATH.
            language="python",
            # The report command's kernel manager waits in one-second slices, so a reply
            # whose wake-up was missed is still picked up.
            kernel_manager_class=PollingKernelManager,
            km=km,
        )
    recorded = json.loads(results.read_text())
    recorded["_executed_notebook"] = str(output)
    recorded["_python"] = sys.executable
    return recorded
