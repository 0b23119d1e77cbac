"""``on_demand()``: a button that builds a widget only when pressed, such as one that fits.

A page of explorers (the app, ``make app``) should open in seconds, so nothing on it samples a
model until someone asks: the button runs the slow part and puts the widget it returns in
its place.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Sequence

import ipywidgets as widgets

__all__ = ["OnDemand", "on_demand"]


class OnDemand(widgets.VBox):
    """A button and a note; pressing the button calls ``build()`` and shows its widget.

    While ``build`` runs the button is disabled and the note says so. When it returns, the
    button, the note and any ``preview`` widgets make way for the built widget, with a line
    saying how long it took. If ``build`` raises, the message is shown in red in place of the
    note and the button can be pressed again.

    Attributes
    ----------
    button : ipywidgets.Button
    status : ipywidgets.HTML
        The note, then what happened.
    widget : ipywidgets.Widget or None
        What ``build`` returned, once it has.
    error : str or None
        The message of the last failed attempt, or ``None``.
    seconds : float or None
        How long ``build`` took.
    """

    def __init__(
        self,
        build: Callable[[], widgets.Widget],
        *,
        label: str,
        note: str = "",
        preview: Sequence[widgets.Widget] = (),
    ) -> None:
        if not callable(build):
            raise TypeError(f"build must be a function returning a widget, got {build!r}")
        self._build = build
        self.widget: widgets.Widget | None = None
        self.error: str | None = None
        self.seconds: float | None = None
        self.button = widgets.Button(
            description=label, button_style="primary", layout=widgets.Layout(width="auto")
        )
        self.status = widgets.HTML(value=html.escape(note))
        self.button.on_click(self.press)
        super().__init__([*preview, widgets.HBox([self.button, self.status])])

    def press(self, _button=None) -> None:
        """Do what a click does: build the widget (once) and show it."""
        if self.widget is not None or self.button.disabled:
            return
        self.button.disabled = True
        self.status.value = "<i>working… this takes a few seconds</i>"
        start = time.perf_counter()
        try:
            widget = self._build()
        except Exception as exc:  # shown on the page, where a traceback would be lost
            self.error = f"{type(exc).__name__}: {exc}"
            self.status.value = (
                f'<span style="color:#b00020;font-weight:bold">⚠ {html.escape(self.error)}</span>'
            )
            self.button.disabled = False
            return
        self.seconds = time.perf_counter() - start
        self.widget, self.error = widget, None
        done = widgets.HTML(value=f"<i>ready in {self.seconds:.0f} s</i>")
        self.children = [widget, done]


def on_demand(
    build: Callable[[], widgets.Widget],
    *,
    label: str,
    note: str = "",
    preview: Sequence[widgets.Widget] = (),
) -> OnDemand:
    """A button that calls ``build()`` when pressed and shows the widget it returns.

    Parameters
    ----------
    build : callable
        Takes no arguments and returns a widget, for instance an explorer built on a fit.
    label : str
        The button's text.
    note : str
        Shown beside the button until it is pressed, e.g. how long it will take.
    preview : sequence of widgets
        Shown above the button until the widget is built (typically controls the built
        widget takes in, such as a pooling selector handed to a fit explorer).

    Examples
    --------
    >>> import ipywidgets as widgets
    >>> button = on_demand(lambda: widgets.Label("fitted"), label="Fit")
    >>> button.widget is None
    True
    >>> button.press()
    >>> button.widget.value
    'fitted'
    """
    return OnDemand(build, label=label, note=note, preview=preview)
