"""The ``hbm-report`` command: a chapter, or a grouped CSV file, as a standalone HTML report.

``command`` reads the arguments and jobs and runs them; ``kernel`` starts the kernels that
execute the notebooks. ``import hbm_widgets`` never imports this package.
"""

from hbm_widgets.report.command import main

__all__ = ["main"]
