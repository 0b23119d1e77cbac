"""A report page opened in chromium, offline: its equations are drawn as MathML, its charts
as SVG written into the page, and nothing is fetched or run.

The page is built from a small notebook (no sampling): the radon model's equations as
``ModelSpec.describe`` writes them, a forest chart and a table, as the grouped-data report
shows them. A screenshot of its first screen is kept with the test's artefacts.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import vl_convert

import hbm_widgets as hbm
from hbm_widgets.report.page import notebook_to_html

pytestmark = pytest.mark.browser


def report_notebook():
    radon = hbm.load_grouped_csv(
        hbm.data_dir() / "radon.csv", group="county", outcome="log_radon", predictor="floor"
    )
    description = hbm.ModelSpec(pooling="partial", varying="both").describe(radon)
    estimates = pd.DataFrame(
        {
            "group": ["a", "b", "c"],
            "n": [3, 40, 7],
            "mean": [0.2, 1.5, -0.4],
            "hdi_low": [0.0, 1.2, -0.9],
            "hdi_high": [0.5, 1.9, 0.1],
        }
    )
    chart = hbm.plot_forest(estimates, population_mean=0.4, title="intercept by group")
    cells = [
        nbformat.v4.new_markdown_cell("# Report\n\nThe model, with $\\sigma_\\alpha$ inline:"),
        nbformat.v4.new_code_cell(""),
        nbformat.v4.new_code_cell(""),
        nbformat.v4.new_code_cell(""),
    ]
    cells[1].outputs = [
        nbformat.v4.new_output(
            "display_data", data={"text/markdown": description._repr_markdown_()}
        )
    ]
    cells[2].outputs = [
        nbformat.v4.new_output(
            "display_data", data={"image/svg+xml": vl_convert.vegalite_to_svg(chart.to_json())}
        )
    ]
    cells[3].outputs = [
        nbformat.v4.new_output(
            "display_data", data={"text/html": hbm.significant_figures(estimates).to_html()}
        )
    ]
    return nbformat.v4.new_notebook(cells=cells)


def test_report_page_draws_mathml_and_svg_offline(page, tmp_path):
    report = tmp_path / "report.html"
    report.write_text(notebook_to_html(report_notebook(), title="report"), encoding="utf-8")
    fetched = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(report.as_uri())
    assert [url for url in fetched if not url.startswith("file:")] == []
    assert page.evaluate("document.scripts.length") == 0

    # MathML drawn by the browser: the display formula is a table of rows, many lines tall
    # (as plain text it would be one line); the inline one sits in its sentence.
    block = page.locator('math[display="block"]').first
    box = block.bounding_box()
    rows = page.locator('math[display="block"] mtr').count()
    assert rows >= 8 and box["height"] > 8 * 14
    assert page.locator('math[display="inline"]').first.bounding_box()["height"] < 40

    # The chart is SVG in the page, its labels text one can find.
    chart = page.locator("svg").filter(has_text="intercept by group").first
    assert chart.bounding_box()["width"] > 300
    assert page.get_by_text("b (n = 40)").first.is_visible()
    assert page.locator("table th.row_heading").count() == 0  # no row numbers

    artefacts = Path(os.environ.get("HBM_BROWSER_ARTIFACTS", tmp_path))
    artefacts.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(artefacts / "report-page-first-screen.png"))
