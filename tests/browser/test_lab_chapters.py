"""Explorers in a real JupyterLab: run the chapter, move a control, see the chart change."""

from __future__ import annotations

import pytest

from tests.browser.lab import (
    chart_image,
    error_outputs,
    open_notebook,
    redrawn,
    run_all_cells,
    save_and_read,
    set_text_value,
)
from tests.chapters.harness import chapter_path
from tests.chapters.test_01_bayes_rule import FAST as BAYES_RULE_FAST
from tests.chapters.test_03_shrinkage_and_pooling import FAST as SHRINKAGE_FAST
from tests.chapters.test_04_radon_pooling import FAST as RADON_POOLING_FAST

pytestmark = pytest.mark.browser


def _explorer(page, label: str):
    """The explorer (widget box) holding a control with this description, in the notebook
    shown (earlier tests' notebooks stay open in hidden tabs)."""
    boxes = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .widget-vbox")
    return boxes.filter(has=page.locator(".widget-label", has_text=label)).last


def _chart_image(explorer) -> str:
    return chart_image(explorer.locator(".vega-embed").first)


def test_conjugate_explorer_in_lab(page, lab_server):
    name = _fast_chapter(lab_server["root"], "01-bayes-rule", BAYES_RULE_FAST)
    open_notebook(page, lab_server, name)
    run_all_cells(page)
    notebook = save_and_read(page, lab_server["root"], name)
    assert error_outputs(notebook) == []

    explorer = _explorer(page, "prior SD")
    explorer.scroll_into_view_if_needed()
    before = _chart_image(explorer)
    prior_sd = explorer.locator(".widget-text", has_text="prior SD").locator("input")
    set_text_value(prior_sd, 1)
    after = redrawn(lambda: _chart_image(explorer), before)
    assert before != after, "the chart did not change when the prior SD changed"
    summary = explorer.locator(".widget-html", has_text="posterior mean").first
    assert "posterior mean" in summary.inner_text()

    set_text_value(prior_sd, -2)
    message = explorer.locator(".widget-html", has_text="must be positive")
    message.wait_for(state="visible", timeout=10_000)
    assert "prior_sd must be positive, got -2" in message.inner_text()
    assert _chart_image(explorer) == after, "the last good chart should stay"


def test_shrinkage_explorer_in_lab(page, lab_server):
    name = _fast_chapter(lab_server["root"], "03-shrinkage-and-pooling", SHRINKAGE_FAST)
    open_notebook(page, lab_server, name)
    run_all_cells(page)
    notebook = save_and_read(page, lab_server["root"], name)
    assert error_outputs(notebook) == []

    explorer = _explorer(page, "τ (spread of means)")
    explorer.scroll_into_view_if_needed()
    slider = explorer.locator(".widget-slider", has_text="τ (spread of means)")
    readout = slider.locator(".widget-readout")
    assert float(readout.inner_text()) > 0  # the fitted tau the chapter starts from
    before = _chart_image(explorer)
    # Move the slider with the keyboard, as a learner can: Home takes tau to 0, complete
    # pooling, where every arrow runs to the centre.
    slider.locator(".noUi-handle").focus()
    page.keyboard.press("Home")
    page.wait_for_function(
        "el => el.innerText.trim() === '0.00'", arg=readout.element_handle(), timeout=10_000
    )
    at_zero = redrawn(lambda: _chart_image(explorer), before)
    assert before != at_zero, "the chart did not change when the tau slider moved to 0"
    assert "shrinkage factor B from 1.000" in explorer.inner_text()
    # Then End, the right end of the slider: practically no pooling (one key, one redraw).
    page.keyboard.press("End")
    page.wait_for_function(
        "el => el.innerText.trim() !== '0.00'", arg=readout.element_handle(), timeout=10_000
    )
    after = redrawn(lambda: _chart_image(explorer), at_zero)
    assert after != at_zero, "the chart did not change when tau moved to its right end"
    assert "shrinkage factor B from 0.000" in explorer.inner_text()

    sigma = explorer.locator(".widget-text", has_text="σ (within groups)").locator("input")
    set_text_value(sigma, -1)
    message = explorer.locator(".widget-html", has_text="must be positive")
    message.wait_for(state="visible", timeout=10_000)
    assert "sigma" in message.inner_text()
    assert _chart_image(explorer) == after, "the last good chart should stay"


def _fast_chapter(root, slug: str, parameters: dict) -> str:
    """The chapter with its chapter test's fast settings injected (papermill's parameters
    cell), not executed: the explorers under test work the same at any draws and chains."""
    import papermill

    name = f"{slug}-fast.ipynb"
    papermill.execute_notebook(
        str(chapter_path(slug)),
        str(root / name),
        parameters=parameters,
        prepare_only=True,
        kernel_name="python3",
        language="python",
        progress_bar=False,
    )
    return name


def test_radon_pooling_selector_in_lab(page, lab_server):
    name = _fast_chapter(lab_server["root"], "04-radon-pooling", RADON_POOLING_FAST)
    open_notebook(page, lab_server, name)
    run_all_cells(page)
    notebook = save_and_read(page, lab_server["root"], name)
    assert error_outputs(notebook) == []
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in notebook.cells)

    # The fit explorer: the outermost box holding the selector's buttons and a chart.
    # Earlier tests' notebooks stay open in hidden tabs: look in this one only.
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    explorer = (
        panel.locator(
            ".widget-vbox",
            has=page.locator(".widget-checkbox", has_text="group-level predictor"),
        )
        .filter(has=page.locator(".vega-embed"))
        .first
    )
    explorer.scroll_into_view_if_needed()
    selector = explorer.locator(".widget-vbox", has_text="group-level predictor").first

    def fit_chart() -> str:  # the explorer's own chart comes after the prior picker's
        return chart_image(explorer.locator(".vega-embed").last)

    assert "partial pooling, varying intercept" in explorer.inner_text()
    before = fit_chart()

    # Complete pooling: the chapter fitted it already, so the explorer redraws from its cache.
    selector.locator(".widget-toggle-button", has_text="complete").click()
    summary = explorer.locator(".widget-html", has_text="complete pooling: from the cache")
    summary.wait_for(state="visible", timeout=60_000)
    complete = redrawn(fit_chart, before)
    assert complete != before, "the chart did not change with the pooling strategy"

    # A county-level predictor needs partial pooling: refused inline, the last fit stays.
    selector.locator(".widget-checkbox", has_text="group-level predictor").locator("input").check()
    message = selector.locator(".widget-html", has_text="needs pooling='partial'")
    message.wait_for(state="visible", timeout=10_000)
    assert "a group-level predictor needs pooling='partial'" in message.inner_text()
    page.wait_for_timeout(1500)
    assert fit_chart() == complete, "the last good chart should stay"
    assert summary.is_visible(), "the last good fit's summary should stay"

    # Partial pooling makes the combination valid again: the uranium model, also cached.
    selector.locator(".widget-toggle-button", has_text="partial").click()
    explorer.locator(
        ".widget-html", has_text="intercept, group predictor: from the cache"
    ).wait_for(state="visible", timeout=60_000)
    message.wait_for(state="hidden", timeout=10_000)
    assert redrawn(fit_chart, before, complete) not in (before, complete)
