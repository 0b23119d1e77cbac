"""Thin ipywidgets on the core: each turns its values into a spec or a core call.

Every public function returns the widget; notebooks display it. A stateful widget is a
small class (see :class:`hbm_widgets.widgets.base.Explorer`) with one ``Output``, observers
set up in ``_setup_observers()``, and an inline message for bad values that leaves the last
good chart in place. ``hbm_widgets`` re-exports every name a module here lists in its
``__all__``.
"""
