"""Explorers in a real JupyterLab: run the chapter, move a control, see the chart change."""

from __future__ import annotations

import time

import pytest

from tests.browser.lab import (
    error_outputs,
    open_notebook,
    run_all_cells,
    save_and_read,
    set_text_value,
)

pytestmark = pytest.mark.browser


def _explorer(page, label: str):
    """The explorer (widget box) holding a control with this description."""
    return page.locator(".widget-vbox", has=page.locator(".widget-label", has_text=label)).last


def _chart_image(explorer) -> str:
    """What vega drew: the canvas pixels (or the SVG markup), independent of mouse hover."""
    chart = explorer.locator(".vega-embed").first
    chart.wait_for(state="visible")
    time.sleep(0.5)  # let vega finish drawing
    return chart.evaluate(
        "el => { const c = el.querySelector('canvas');"
        " return c ? c.toDataURL() : el.querySelector('svg').outerHTML; }"
    )


def test_conjugate_explorer_in_lab(page, lab_server):
    name = "01-bayes-rule.ipynb"
    open_notebook(page, lab_server, name)
    run_all_cells(page)
    notebook = save_and_read(page, lab_server["root"], name)
    assert error_outputs(notebook) == []

    explorer = _explorer(page, "prior SD")
    explorer.scroll_into_view_if_needed()
    before = _chart_image(explorer)
    prior_sd = explorer.locator(".widget-text", has_text="prior SD").locator("input")
    set_text_value(prior_sd, 1)
    page.wait_for_timeout(1500)
    after = _chart_image(explorer)
    assert before != after, "the chart did not change when the prior SD changed"
    summary = explorer.locator(".widget-html", has_text="posterior mean").first
    assert "posterior mean" in summary.inner_text()

    set_text_value(prior_sd, -2)
    message = explorer.locator(".widget-html", has_text="must be positive")
    message.wait_for(state="visible", timeout=10_000)
    assert "prior_sd must be positive, got -2" in message.inner_text()
    assert _chart_image(explorer) == after, "the last good chart should stay"


def test_shrinkage_explorer_in_lab(page, lab_server):
    name = "03-shrinkage-and-pooling.ipynb"
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
    page.wait_for_timeout(1500)
    at_zero = _chart_image(explorer)
    assert before != at_zero, "the chart did not change when the tau slider moved to 0"
    assert "shrinkage factor B from 1.000" in explorer.inner_text()
    # Then a few page-steps to the right: tau leaves 0 and the chart follows.
    for _ in range(3):
        page.keyboard.press("PageUp")
    page.wait_for_function(
        "el => el.innerText.trim() !== '0.00'", arg=readout.element_handle(), timeout=10_000
    )
    page.wait_for_timeout(1500)
    after = _chart_image(explorer)
    assert after != at_zero, "the chart did not change when tau moved off 0"
    assert "shrinkage factor B from 1.000" not in explorer.inner_text()

    sigma = explorer.locator(".widget-text", has_text="σ (within groups)").locator("input")
    set_text_value(sigma, -1)
    message = explorer.locator(".widget-html", has_text="must be positive")
    message.wait_for(state="visible", timeout=10_000)
    assert "sigma" in message.inner_text()
    assert _chart_image(explorer) == after, "the last good chart should stay"
