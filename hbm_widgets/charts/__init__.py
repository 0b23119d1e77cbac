"""Altair charts, one public function per module (``plot_*``), each returning an ``alt.Chart``.

Charts take data frames (or ``InferenceData``) made by the core and draw them; they compute
nothing a test could not check on the frame itself. How they are displayed is decided once,
in :mod:`hbm_widgets.rendering`. ``hbm_widgets`` re-exports every name a module here lists
in its ``__all__``.
"""
