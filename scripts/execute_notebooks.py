"""Re-execute chapters in place at their default parameters (``make notebooks``).

Charts are stored as SVG so they show on pages that run no JavaScript. The kernel is run
the way the tests and the report command run it (see tests/chapters/harness.py): polling
for replies, and without echoing Output-widget state back to the kernel, either of which
can otherwise hang a run on a busy machine (jupyter/nbclient#312).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbclient.output_widget
import nbformat
from nbclient import NotebookClient

from hbm_widgets.report.kernel import PollingKernelManager


def main(paths: list[str]) -> int:
    os.environ["HBM_CHART_RENDERER"] = "svg"
    nbclient.output_widget.OutputWidget.sync_state = lambda self: None
    for name in paths:
        path = Path(name)
        notebook = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        NotebookClient(
            notebook,
            timeout=1800,
            kernel_name="python3",
            kernel_manager_class=PollingKernelManager,
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
        nbformat.write(notebook, path)
        print(f"{path}: executed in {time.perf_counter() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
