"""Driving JupyterLab (and the Voila app) the way a learner clicks it."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat


def open_notebook(page, server, name: str) -> None:
    page.goto(f"{server['base']}/lab/tree/{name}?token={server['token']}")
    # Lab reopens the tabs of earlier tests, hidden behind this one: look at this one only.
    page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell", state="visible")
    # A fresh Lab may ask which kernel to start: take the notebook's own (Python 3).
    dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
    try:
        dialog.wait_for(state="visible", timeout=5000)
        dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
    except Exception:  # no dialog: the kernel started on its own
        pass
    wait_for_kernel_idle(page)


def wait_for_kernel_idle(page, timeout: float = 120) -> None:
    page.wait_for_selector(
        ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator[data-status='idle']",
        timeout=timeout * 1000,
    )


def _click_run_all(page) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()


def run_all_cells(page, timeout: float = 600) -> None:
    """Run > Run All Cells, then wait until no cell is queued or running.

    The kernel must be idle first: a Run All given while it is still starting can leave
    every cell unrun. If no cell has started 30 s after the click, it is given once more.
    """
    wait_for_kernel_idle(page)
    _click_run_all(page)
    deadline = time.time() + timeout
    retry_at = time.time() + 30
    time.sleep(1)
    while time.time() < deadline:
        prompts = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt")
        texts = prompts.all_inner_texts()
        if retry_at and time.time() > retry_at:
            retry_at = 0
            if texts and all(t.strip() == "[ ]:" for t in texts):
                _click_run_all(page)
        if (
            texts
            and not any("*" in t for t in texts)
            and all(any(ch.isdigit() for ch in t) for t in texts)
        ):
            break
        time.sleep(1)
    else:
        raise TimeoutError(f"the notebook's cells did not all finish running: prompts {texts}")
    wait_for_kernel_idle(page)


def save_and_read(page, root: Path, name: str, timeout: float = 30):
    """Save the notebook in the browser and read back what the kernel produced, as soon as
    the server has written the file (it writes a whole new file, then renames it)."""
    path = root / name
    before = path.stat().st_mtime_ns if path.exists() else None
    page.keyboard.press("Control+s")
    deadline = time.time() + timeout
    while not path.exists() or path.stat().st_mtime_ns == before:
        if time.time() > deadline:
            raise TimeoutError(f"{name} was not saved within {timeout} s")
        time.sleep(0.2)
    return nbformat.read(path, as_version=4)


def error_outputs(notebook) -> list[str]:
    return [
        f"{o.get('ename')}: {o.get('evalue')}"
        for c in notebook.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]


def set_text_value(locator, value) -> None:
    """Type into an ipywidgets text box and commit the value as a person does (Enter)."""
    locator.click()
    locator.fill(str(value))
    locator.press("Enter")


def chart_image(chart) -> str:
    """What vega drew in a ``.vega-embed`` element: the canvas pixels (or the SVG markup),
    independent of mouse hover."""
    chart.wait_for(state="visible")
    time.sleep(0.5)  # let vega finish drawing
    return chart.evaluate(
        "el => { const c = el.querySelector('canvas');"
        " return c ? c.toDataURL() : el.querySelector('svg').outerHTML; }"
    )


def redrawn(read, *previous: str, timeout: float = 30.0) -> str:
    """Read a chart with ``read()`` until it differs from every one of ``previous`` and has
    settled (two reads in a row agree).

    Widgets update their summary before vega has redrawn the chart, and on a busy machine the
    redraw can take seconds; vega may also lay a new chart out twice (its size follows its
    content). Returns the settled new image, or the last one read at the timeout.
    """
    deadline = time.time() + timeout
    current = read()
    while current in previous and time.time() < deadline:
        time.sleep(0.5)
        current = read()
    while time.time() < deadline:
        again = read()
        if again == current:
            break
        current = again
    return current
