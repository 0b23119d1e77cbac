"""Helpers for the hierarchical-models workbook, in layers that each build on those below.

- ``core``: data, priors, specs, ``build_model``, sampling, diagnostics, summaries,
  predictions and closed forms (numpy, pandas, scipy, PyMC and ArviZ only);
- ``models``: models a ``ModelSpec`` cannot express (crossed effects, rates, series);
- ``lessons``: code that exists for one chapter's teaching;
- ``charts`` (Altair), ``widgets`` (ipywidgets) and ``exercises`` (the checks);
- ``report``: the ``hbm-report`` command, which this package never imports.

Chapters import this package as ``hbm`` and call its names, each re-exported from its layer.
Nothing is imported until a name is used, so ``import hbm_widgets`` is quick and a name
from the core never loads Altair, ipywidgets, statsmodels or JAX.
"""

import importlib
import sys
import warnings

# PyTensor from PyPI finds no system BLAS; the workbook's models are small and mostly
# elementwise, so the warning it prints on every compilation tells a learner nothing.
warnings.filterwarnings("ignore", message="PyTensor could not link to a BLAS")

# jsonschema, which Altair imports, builds a parser of RFC 3987 IRIs at import time (1.5 s)
# when rfc3987-syntax is installed, as JupyterLab's dependencies install it. It is used only
# to check the "iri" string format, which nothing in a workbook process validates; marked as
# missing here, jsonschema skips that one check and a kernel starts 1.5 s sooner.
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)

__version__ = "0.1.0"

# The layers whose public names this package re-exports, lowest first.
LAYERS = ("core", "models", "lessons", "charts", "widgets", "exercises")


def _layer_of(name: str) -> str | None:
    for layer in LAYERS:
        if name in importlib.import_module(f"hbm_widgets.{layer}").__all__:
            return layer
    return None


def __getattr__(name: str):
    if name in LAYERS:
        return importlib.import_module(f"hbm_widgets.{name}")
    if name == "__all__":
        return sorted(n for layer in LAYERS for n in __getattr__(layer).__all__)
    layer = _layer_of(name) if not name.startswith("_") else None
    if layer is None:
        raise AttributeError(f"module 'hbm_widgets' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"hbm_widgets.{layer}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__getattr__("__all__")})
