"""``Explorer``: controls, an inline message, a summary line and one ``Output``."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
from IPython.display import clear_output, display

from hbm_widgets.core.errors import WorkbookInputError

__all__: list[str] = []  # a base class, not part of the public API


class Explorer(widgets.VBox):
    """Base class for the workbook's explorers.

    Subclasses pass their controls (a name -> widget mapping) and implement
    :meth:`_render`, which turns the current values into ``(chart, summary_html)`` by calling
    the core. A ``WorkbookInputError`` raised there is shown in ``message``; ``chart`` and the
    output keep the last good state.

    Attributes
    ----------
    controls : dict of str to ipywidgets.Widget
    chart : the last chart drawn (``None`` until one is)
    error : str or None
        The message for the current values, or ``None`` when they are valid.
    """

    def __init__(self, controls: dict[str, widgets.Widget], *, layout_rows=None) -> None:
        self.controls = controls
        self.message = widgets.HTML(value="")
        self.summary = widgets.HTML(value="")
        self.output = widgets.Output()
        self.chart: Any = None
        self.error: str | None = None
        rows = layout_rows or [widgets.HBox(list(controls.values()))]
        super().__init__([*rows, self.message, self.summary, self.output])
        self._setup_observers()
        self.refresh()

    def _setup_observers(self) -> None:
        for control in self.controls.values():
            control.observe(self._on_change, names="value")

    def _on_change(self, _change) -> None:
        self.refresh()

    @property
    def values(self) -> dict[str, Any]:
        return {name: control.value for name, control in self.controls.items()}

    def _render(self, values: dict[str, Any]):  # pragma: no cover - abstract
        raise NotImplementedError

    def refresh(self) -> None:
        """Recompute from the current values; on bad input show why and keep the chart."""
        try:
            chart, summary = self._render(self.values)
        except WorkbookInputError as exc:
            self.error = str(exc)
            self.message.value = (
                f'<div style="color:#b00020;font-weight:bold">⚠ {html.escape(self.error)}</div>'
            )
            return
        self.error = None
        self.message.value = ""
        self.summary.value = summary
        self.chart = chart
        with self.output:
            clear_output(wait=True)
            display(chart)
