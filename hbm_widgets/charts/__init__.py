"""Altair charts, one public function per module, each returning an ``alt.Chart``.

Charts take data frames (or ``InferenceData``) made by the core and draw them; they compute
nothing a test could not check on the frame itself. How they are displayed is decided once,
in :mod:`hbm_widgets.rendering`.
"""

from hbm_widgets.charts.conjugate import plot_conjugate_update

__all__ = ["plot_conjugate_update"]
