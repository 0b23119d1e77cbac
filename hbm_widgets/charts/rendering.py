"""How Altair charts are shown: the one place the choice is made.

In JupyterLab charts use Altair's ``jupyter`` renderer in offline mode (the JavaScript comes
from the installed packages, never the network). Where nobody is looking at a live page,
under papermill, nbval and in HTML reports, they are rendered to SVG by vl-convert, which is
deterministic and also needs no network. ``HBM_CHART_RENDERER`` (``svg`` or ``jupyter``)
selects the mode; tests and the report command set it to ``svg``.
"""

from __future__ import annotations

import os
from typing import Literal

__all__ = ["RENDERER_ENV", "use_chart_renderer"]

RENDERER_ENV = "HBM_CHART_RENDERER"
Mode = Literal["jupyter", "svg"]


def use_chart_renderer(mode: Mode | None = None) -> Mode:
    """Enable the offline renderer for this kernel and return the mode used."""
    mode = mode or os.environ.get(RENDERER_ENV, "jupyter")
    if mode not in ("jupyter", "svg"):
        raise ValueError(f"{RENDERER_ENV}={mode!r} is not one of 'jupyter', 'svg'")
    # Altair is imported here, not at the top, so that the report command can read
    # RENDERER_ENV without loading Altair.
    import altair as alt

    if mode == "svg":
        alt.renderers.enable("svg")
    else:
        alt.renderers.enable("jupyter", offline=True)
    return mode
