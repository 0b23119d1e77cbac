"""A formula report, made by ``hbm-report data --formula`` on a small simulated file, opened
in chromium offline: its equations are MathML, its model graph and charts SVG written into
the page, nothing is fetched or run. A screenshot of its first screen is kept with the
test's artefacts."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hbm_widgets.report.command import main

pytestmark = pytest.mark.browser

FORMULA = "score ~ hours + (1 + hours | school)"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """One report on 8 simulated schools of 12 pupils (short chains: the page is tested
    here, not the numbers)."""
    folder = tmp_path_factory.mktemp("formula-page")
    rng = np.random.default_rng(12)
    school = np.repeat(np.arange(8), 12)
    hours = rng.uniform(0, 5, school.size).round(1)
    score = 40 + rng.normal(0, 4, 8)[school] + (3 + rng.normal(0, 1, 8)[school]) * hours
    score += rng.normal(0, 3, school.size)
    csv = folder / "pupils.csv"
    pd.DataFrame({"score": score.round(2), "hours": hours, "school": school}).to_csv(
        csv, index=False
    )
    output = folder / "report.html"
    argv = ["data", str(csv), "--formula", FORMULA, "--family", "gaussian"]
    argv += ["--draws", "300", "--tune", "300", "--chains", "2", "--no-progress"]
    assert main([*argv, "-o", str(output)]) == 0
    return output


def test_the_formula_report_shows_mathml_and_svg_offline(page, report, tmp_path):
    fetched = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(report.as_uri())
    assert [url for url in fetched if not url.startswith("file:")] == []
    assert page.evaluate("document.scripts.length") == 0
    assert "<script" not in report.read_text(encoding="utf-8")

    # The model's equations: one display formula drawn as a table of rows (likelihood, link,
    # two group effects, five priors), many lines tall, the outcome's name in its first row.
    block = page.locator('math[display="block"]')
    assert block.count() == 1
    assert page.locator('math[display="block"] mtr').count() == 9
    assert block.first.bounding_box()["height"] > 9 * 14
    assert "score" in block.first.locator("mtr").first.text_content()
    assert page.get_by_text("$$").count() == 0  # no LaTeX source left on the page

    # The model graph is an SVG of Graphviz's nodes, one per variable.
    graph = page.locator("svg").filter(has=page.locator("g.node")).first
    assert graph.bounding_box()["width"] > 200
    assert graph.locator("g.node").filter(has_text="hours|school_sigma").count() == 1

    # Charts are SVG too: the group estimates, sorted by estimate.
    chart = page.locator("svg").filter(has_text="intercept by school, sorted by estimate")
    assert chart.first.bounding_box()["width"] > 300

    # Leaving one school out at a time: the sentence and its table.
    assert page.get_by_text("Leaving out one school at a time (8 groups)").count() == 1
    assert page.locator("table th.row_heading").count() == 0  # no row numbers

    artefacts = Path(os.environ.get("HBM_BROWSER_ARTIFACTS", tmp_path))
    artefacts.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(artefacts / "formula-report-first-screen.png"))
