"""The explorers page (``make app``): served by Voila, loaded in chromium, used without code."""

from __future__ import annotations

import os
import re
import secrets
import sys
from pathlib import Path

import pytest

from tests.browser.conftest import ROOT, _free_port, running_server
from tests.browser.lab import chart_image, redrawn

pytestmark = pytest.mark.browser

APP = ROOT / "app" / "explorers.ipynb"
ERROR_TEXT = ("Traceback", "Error", "error when executing", "⚠")


@pytest.fixture(scope="module")
def app_server(chromium_path, tmp_path_factory):
    """Voila on a free localhost port with a token, as `make app` starts it."""
    folder = tmp_path_factory.mktemp("app")
    port, token = _free_port(), secrets.token_hex(16)
    voila = Path(sys.executable).with_name("voila")
    command = [
        str(voila),
        str(APP),
        "--Voila.ip=127.0.0.1",
        f"--port={port}",
        "--no-browser",
        f"--Voila.token={token}",
        # As `make app`: kernel clients that poll, so a missed wake-up cannot hang the page.
        "--MappingKernelManager.kernel_manager_class="
        "hbm_widgets.report.kernel.PollingServerKernelManager",
    ]
    env = {
        **os.environ,
        "HBM_CHART_RENDERER": "jupyter",
        "JUPYTER_CONFIG_DIR": str(folder / ".jupyter"),
    }
    with running_server(command, env, folder, "/login", "Voila") as base:
        yield {"base": base, "token": token, "log": folder / "voila.log"}


def _no_error_shown(page) -> None:
    text = page.locator("body").inner_text()
    shown = [word for word in ERROR_TEXT if word in text]
    assert not shown, f"the page shows {shown}"
    assert (
        page.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']").count()
        == 0
    )


def _section(page, label: str):
    """The outermost widget box holding a control or button with this text."""
    return page.locator(".widget-vbox", has=page.get_by_text(label, exact=True)).first


def test_app_page_without_code(page, app_server):
    # Voila runs the whole notebook before the page's load event, which on a busy machine
    # takes longer than a navigation's usual wait: wait for the first bytes, then for content.
    page.goto(f"{app_server['base']}/?token={app_server['token']}", wait_until="commit")
    # Every explorer has drawn once the prior picker's predictive line is there (it is last
    # to compute); nothing has been fitted yet.
    page.get_by_text("prior predictive draws of log_radon").first.wait_for(timeout=180_000)
    text = page.locator("body").inner_text()
    assert "Hierarchical models: the explorers" in text
    # Voila strips the code: no editor, and none of the cells' source on the page.
    assert page.locator(".jp-InputArea-editor, .cm-editor").count() == 0
    assert "import hbm_widgets" not in text and "hbm.shrinkage_explorer" not in text
    for button in (
        "Fit this model to the radon data",
        "Fit the GCSE model and compare schools",
        "Fit the centred radon model and diagnose it",
    ):
        assert page.get_by_role("button", name=button).is_visible()
    # The first two explorers drew on load: chapter 01's exact posterior (8.27 points from
    # 20 students with SD 15, prior N(0, 10): mean 8.27 x 100 / (100 + 225 / 20)) and a
    # hand-made Metropolis-Hastings chain.
    assert f"posterior mean {8.27 * 100 / (100 + 225 / 20):.3f}" in text
    assert "acceptance rate" in text
    _no_error_shown(page)

    # The shrinkage explorer: the tau slider to 0 with the keyboard redraws the chart.
    shrinkage = _section(page, "τ (spread of means)")
    shrinkage.scroll_into_view_if_needed()
    before = chart_image(shrinkage.locator(".vega-embed").first)
    shrinkage.locator(".widget-slider .noUi-handle").focus()
    page.keyboard.press("Home")
    shrinkage.get_by_text("shrinkage factor B from 1.000").first.wait_for(timeout=20_000)
    assert redrawn(lambda: chart_image(shrinkage.locator(".vega-embed").first), before) != before

    # The pooling selector writes out the model chosen, without fitting it.
    selector = _section(page, "group-level predictor")
    selector.locator(".widget-toggle-button", has_text="none").click()
    selector.get_by_text("no pooling, varying intercept").first.wait_for(timeout=20_000)

    # The school comparison fits only when asked, then follows the school chosen.
    page.get_by_role("button", name="Fit the GCSE model and compare schools").click()
    comparison = (
        page.locator(".widget-vbox", has=page.locator(".widget-dropdown"))
        .filter(has_text="school A")
        .first
    )
    summary = comparison.locator(".widget-html", has_text="for girls =")
    summary.wait_for(timeout=180_000)
    first = summary.inner_text()
    chart = chart_image(comparison.locator(".vega-embed").first)
    school_b = comparison.locator(".widget-dropdown", has_text="school B").locator("select")
    options = school_b.locator("option").all_inner_texts()
    current = school_b.input_value()
    school_b.select_option(next(o for o in options[::-1] if o != current))
    page.wait_for_function(
        "([el, old]) => el.innerText !== old",
        arg=[summary.element_handle(), first],
        timeout=20_000,
    )
    assert redrawn(lambda: chart_image(comparison.locator(".vega-embed").first), chart) != chart
    assert page.get_by_text("ready in").count() == 1
    _no_error_shown(page)

    # The diagnostics dashboard fits the centred radon model when asked and shows it failing.
    page.get_by_role("button", name="Fit the centred radon model and diagnose it").click()
    verdict = page.locator(".widget-html", has_text="divergences in the fit").first
    verdict.wait_for(timeout=180_000)
    shown = verdict.inner_text()
    assert "sigma_beta: 4 chains × 500 draws" in shown
    assert int(re.search(r"divergences in the fit (\d+)", shown)[1]) > 0
    _no_error_shown(page)
