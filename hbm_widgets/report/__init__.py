"""The ``hbm-report`` command: a chapter, or a grouped CSV file, as a standalone HTML report.

``command`` reads the arguments; ``checks`` and ``jobs`` check the input and make the jobs;
``running`` executes them with papermill in kernels that ``kernel`` starts; ``page`` turns an
executed notebook into offline HTML. ``import hbm_widgets`` never imports this package.
"""

from hbm_widgets.report.command import main

__all__ = ["main"]
