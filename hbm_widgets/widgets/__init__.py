"""Thin ipywidgets on the core: each turns its values into a spec or a core call.

Every public function returns the widget; notebooks display it. A stateful widget is a
small class with one ``Output``, observers set up in ``_setup_observers()``, and an inline
message for bad values that leaves the last good chart in place.
"""

from hbm_widgets.widgets.base import Explorer
from hbm_widgets.widgets.conjugate import ConjugateExplorer, conjugate_explorer

__all__ = ["ConjugateExplorer", "Explorer", "conjugate_explorer"]
