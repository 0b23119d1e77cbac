"""Recording a chapter's key figures so that tests and reports can read them back."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

__all__ = ["fits_in", "record_fits", "record_results"]


def _plain(value):
    """NumPy and pandas scalars and arrays as JSON-ready Python values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return _plain(value.item())
    if hasattr(value, "to_dict") and callable(value.to_dict):
        return _plain(value.to_dict())
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def record_results(results_path: str | os.PathLike | None, **values) -> dict:
    """Merge ``values`` into the JSON file at ``results_path`` (nothing when it is None).

    A chapter calls this with the figures it reports; the notebook tests run the chapter
    with ``results_path`` set and assert on what it wrote. Returns what was recorded.
    """
    plain = _plain(values)
    if results_path is None:
        return plain
    path = Path(results_path)
    existing = json.loads(path.read_text()) if path.exists() else {}
    existing.update(plain)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(existing, indent=2, sort_keys=True))
    tmp.replace(path)
    return plain


def fits_in(namespace: Mapping[str, object]) -> dict[str, object]:
    """Every fitted result (a DataTree with a posterior) among ``namespace``'s values.

    Fits kept in a dict (``fits = {"complete": ..., "partial": ...}``) are found too, named
    ``fits[complete]``. Names starting with an underscore are skipped.
    """
    import xarray as xr

    def fitted(value) -> bool:
        return isinstance(value, xr.DataTree) and "posterior" in value.children

    found = {}
    for name, value in namespace.items():
        if name.startswith("_"):
            continue
        if fitted(value):
            found[name] = value
        elif isinstance(value, dict):
            for key, item in value.items():
                if fitted(item):
                    found[f"{name}[{key}]"] = item
    return found


def record_fits(results_path: str | os.PathLike | None, namespace: Mapping[str, object]) -> dict:
    """Record the max R-hat and divergences of every fit in ``namespace`` under ``convergence``.

    ``hbm-report`` runs this after a chapter, so the report's summary covers every fit the
    chapter made without the chapter recording anything itself.
    """
    from hbm_widgets.core.diagnostics import convergence_report

    convergence = {}
    for name, fit in fits_in(namespace).items():
        report = convergence_report(fit)
        convergence[name] = {"max_rhat": report.max_rhat, "divergences": report.divergences}
    return record_results(results_path, convergence=convergence)
