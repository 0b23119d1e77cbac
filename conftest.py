"""Settings shared by the unit tests and the nbval run of the chapters."""

import os

# Charts render to SVG through vl-convert when nobody is looking at a live page.
os.environ.setdefault("HBM_CHART_RENDERER", "svg")
os.environ.setdefault("MPLBACKEND", "Agg")
