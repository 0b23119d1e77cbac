"""The solutions notebooks: one per chapter, each answer worked out and checked "right".

Each ``solutions/NN-slug-solutions.ipynb`` is run with papermill in a temporary folder, the
same way the chapters are (tests/chapters/harness.py), and records every check's verdict.
They share the chapters' kernel (``shared_kernel``), cleared between notebooks, so the
workbook is imported once.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import nbformat
import pytest

from hbm_widgets.exercises import _REGISTRY
from tests.chapters.harness import run_notebook

pytestmark = pytest.mark.notebook

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def checked_exercises(slug: str) -> list[int]:
    """The numbers of the chapter's exercises that have a check."""
    importlib.import_module(f"hbm_widgets.exercises.ch{slug[:2]}")
    return sorted(number for chapter, number in _REGISTRY if chapter == slug[:2])


def test_every_chapter_has_a_solutions_notebook():
    assert [p.name for p in SOLUTIONS] == [f"{c.stem}-solutions.ipynb" for c in CHAPTERS]


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem[:2])
def test_every_check_says_right(path, tmp_path, shared_kernel):
    slug = path.stem.removesuffix("-solutions")
    recorded = run_notebook(path, tmp_path, km=shared_kernel)
    numbers = checked_exercises(slug)
    assert numbers, f"chapter {slug} has no checked exercises"
    assert recorded["chapter"] == slug
    assert recorded["verdicts"] == {str(n): "right" for n in numbers}
    assert set(recorded["answers"]) == {str(n) for n in numbers}
    executed = nbformat.read(recorded["_executed_notebook"], as_version=4)
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem[:2])
def test_stored_solutions_show_their_checks(path):
    """As stored, each notebook shows every check's verdict, so it reads without running."""
    notebook = nbformat.read(path, as_version=4)
    parameters = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(parameters) == 1 and "results_path = None" in parameters[0].source
    shown = "\n".join(
        o.get("data", {}).get("text/html", "")
        for c in notebook.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "execute_result"
    )
    numbers = checked_exercises(path.stem.removesuffix("-solutions"))
    assert shown.count("<b>Right.</b>") == len(numbers)
    assert "Wrong." not in shown and "Close." not in shown


def test_readme_links_the_solutions():
    readme = (ROOT / "README.md").read_text()
    assert "(solutions/)" in readme or "solutions/README" in readme
