"""``python -m hbm_widgets.report``: the same as the ``hbm-report`` command."""

import sys

from hbm_widgets.report.command import main

sys.exit(main())
