"""Every chapter follows the workbook's conventions and has a test module of its own."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_chapters():
    assert CHAPTERS, "notebooks/ holds no chapter"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_conventions(path):
    assert re.fullmatch(r"\d\d-[a-z0-9-]+", path.stem), f"{path.name} is not named NN-slug.ipynb"
    notebook = nbformat.read(path, as_version=4)
    parameters = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(parameters) == 1, "exactly one cell must be tagged 'parameters'"
    source = parameters[0].source
    assert re.search(r"^RANDOM_SEED = \d+", source, re.M), "the parameters cell sets RANDOM_SEED"
    text = "\n".join(c.source for c in notebook.cells)
    assert "NBVAL_" not in text, "nbval markers are cell tags (nbval-check-output), not comments"
    records = "hbm.record_results(" in text
    assert records == bool(re.search(r"^results_path = None", source, re.M)), (
        "a chapter that records its figures takes results_path, and only such a chapter"
    )
    if not records:
        # The test reads the chapter's figures back itself; the chapter is a lesson, and
        # its model is written out in PyMC, with its graph.
        assert "pm.Model(" in text and "hbm.model_graph(" in text, (
            "the chapter's model is written with pm.Model and its graph shown"
        )
    assert "%watermark" in text, "a watermark cell records the versions used"
    assert "## Exercises" in text and "## Summary" in text
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            assert output.output_type != "error", (
                f"a stored output is an error: {output.get('ename')}"
            )
    number = path.stem[:2]
    assert list((ROOT / "tests" / "chapters").glob(f"test_{number}_*.py")), (
        f"chapter {path.stem} has no test module tests/chapters/test_{number}_*.py"
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_no_random_state_without_the_seed(path):
    text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    assert "np.random.seed(" not in text and "np.random.normal(" not in text
    for call in re.findall(r"(?:hbm\.sample|pm\.sample)\([^)]*\)", text, re.S):
        assert "random_seed" in call, f"unseeded sampling call: {call}"
