"""Thin ipywidgets on the core: each turns its values into a spec or a core call.

Every public function returns the widget; notebooks display it. A stateful widget is a
small class (see :class:`hbm_widgets.widgets.base.Explorer`) with one ``Output``, observers
set up in ``_setup_observers()``, and an inline message for bad values that leaves the last
good chart in place. ``hbm_widgets`` re-exports every name a module here lists in its
``__all__``.
"""

from hbm_widgets._lazy import lazy_exports

# Each public name and the module that defines it; a module loads on first use.
_EXPORTS = {
    "ConjugateExplorer": "conjugate",
    "conjugate_explorer": "conjugate",
    "DiagnosticsDashboard": "diagnostics",
    "diagnostics_dashboard": "diagnostics",
    "MetropolisExplorer": "metropolis",
    "metropolis_explorer": "metropolis",
    "FitRecord": "model_fit",
    "ModelFitExplorer": "model_fit",
    "model_fit_explorer": "model_fit",
    "OnDemand": "deferred",
    "on_demand": "deferred",
    "PoolingSelector": "pooling",
    "pooling_selector": "pooling",
    "PriorPicker": "priors",
    "prior_picker": "priors",
    "SchoolComparisonExplorer": "schools",
    "school_comparison": "schools",
    "ShrinkageExplorer": "shrinkage",
    "shrinkage_explorer": "shrinkage",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
