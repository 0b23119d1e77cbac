"""``on_demand``: nothing is built until the button is pressed, then the widget takes its place."""

from __future__ import annotations

import ipywidgets as widgets
import pytest

import hbm_widgets as hbm


def test_nothing_is_built_until_the_button_is_pressed():
    calls = []
    selector = widgets.ToggleButtons(options=["a", "b"])

    def build():
        calls.append(selector.value)
        return widgets.VBox([selector, widgets.Label("fitted")])

    box = hbm.on_demand(build, label="Fit", note="about 10 s", preview=[selector])
    assert calls == [] and box.widget is None
    assert box.children[0] is selector and box.button.description == "Fit"
    assert box.status.value == "about 10 s"

    box.button.click()
    assert calls == ["a"] and box.error is None and box.seconds >= 0
    assert box.children[0] is box.widget and selector in box.widget.children
    assert "ready in" in box.children[1].value
    box.press()  # a second press builds nothing more
    assert calls == ["a"]


def test_a_failure_is_shown_and_the_button_can_be_pressed_again():
    attempts = []

    def build():
        attempts.append(1)
        if len(attempts) == 1:
            raise hbm.WorkbookInputError("sigma must be positive, got -1 <b>")
        return widgets.Label("fitted")

    box = hbm.on_demand(build, label="Fit")
    box.press()
    assert box.widget is None and not box.button.disabled
    assert box.error == "WorkbookInputError: sigma must be positive, got -1 <b>"
    assert "⚠ WorkbookInputError: sigma must be positive, got -1 &lt;b&gt;" in box.status.value
    box.press()
    assert box.widget.value == "fitted" and box.error is None


def test_build_must_be_a_function():
    with pytest.raises(TypeError, match="build must be a function"):
        hbm.on_demand(widgets.Label("not a function"), label="Fit")
