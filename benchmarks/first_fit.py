"""How long a learner waits for a first fitted radon model in a new kernel.

    python benchmarks/first_fit.py [--repeats 3]

A Jupyter kernel is started as JupyterLab starts one, and then runs, as one cell, what a
chapter's first fit needs: ``import hbm_widgets``, the radon data, the partial-pooling model
with the floor as predictor, and ``hbm.sample`` at its defaults (NumPyro, 4 chains of 1000
draws). The cell reports when each step ended. With ``empty`` caches PyTensor's and JAX's
compile caches point at new folders (a new machine); ``filled`` runs come after a run that
filled them (a second session). The figures go to ``benchmarks/results/first-fit.{txt,json}``
with the machine, cores and versions.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

from jupyter_client.utils import run_sync

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hbm_widgets.report.kernel import PollingKernelManager  # noqa: E402

RESULTS = Path(__file__).parent / "results"
TARGETS = {"filled": 5.0, "empty": 10.0}  # seconds from the import to the fitted model

CELL = """
import json as _json, time as _time
_marks = {"start": _time.perf_counter()}
import hbm_widgets as hbm
_marks["import"] = _time.perf_counter()
radon_data = hbm.GroupedData.from_frame(
    hbm.load_radon(), group="county", outcome="log_radon", predictor="floor"
)
model = hbm.build_model(hbm.ModelSpec(pooling="partial", varying="intercept"), radon_data)
_marks["model"] = _time.perf_counter()
idata = hbm.sample(model, random_seed=8927)
_marks["fit"] = _time.perf_counter()
_report = hbm.convergence_report(idata)
print(_json.dumps({
    "import_s": _marks["import"] - _marks["start"],
    "model_s": _marks["model"] - _marks["import"],
    "fit_s": _marks["fit"] - _marks["model"],
    "first_fit_s": _marks["fit"] - _marks["import"],
    "max_rhat": _report.max_rhat,
    "min_ess_bulk": _report.min_ess_bulk,
    "divergences": _report.divergences,
}))
"""


def one_run(cache_root: str) -> dict:
    """A new kernel, timed from its start; the cell's own marks from its import on."""
    env = {
        **os.environ,
        "PYTENSOR_FLAGS": f"compiledir={os.path.join(cache_root, 'pytensor')}",
        "HBM_COMPILE_CACHE": os.path.join(cache_root, "jax"),
    }
    km = PollingKernelManager(kernel_name="python3")
    started = time.perf_counter()
    run_sync(km.start_kernel)(env=env, cwd=str(ROOT))
    client = km.client()
    client.start_channels()
    try:
        run_sync(client.wait_for_ready)(timeout=120)
        ready = time.perf_counter() - started
        printed = []

        def keep(message):
            if message["msg_type"] == "stream":
                printed.append(message["content"]["text"])
            elif message["msg_type"] == "error":
                printed.append("ERROR " + message["content"]["evalue"])

        run_sync(client.execute_interactive)(CELL, output_hook=keep, timeout=900)
    finally:
        client.stop_channels()
        run_sync(km.shutdown_kernel)(now=True)
    lines = [line for line in "".join(printed).splitlines() if line.startswith("{")]
    if not lines:
        return {"error": "".join(printed)[-300:]}
    return {"kernel_ready_s": ready, **json.loads(lines[-1])}


def _versions() -> dict:
    return {
        name: metadata.version(name)
        for name in ("pymc", "pytensor", "arviz", "numpyro", "jax", "ipykernel")
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of each cache state")
    args = parser.parse_args()
    runs: dict[str, list[dict]] = {"empty": [], "filled": []}
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as cache_root:
            runs["empty"].append(one_run(cache_root))  # fills the new caches...
            runs["filled"].append(one_run(cache_root))  # ...which the next kernel finds
    lines = [
        f"{platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "versions: " + ", ".join(f"{k} {v}" for k, v in _versions().items()),
        f"load average before: {os.getloadavg()[0]:.2f}",
        "",
        "caches   kernel ready  import  data+model  fit    import->fitted  target  R-hat  bulk ESS",
    ]
    summary = {}
    for state, results in runs.items():
        good = [r for r in results if "error" not in r]
        for r in results:
            if "error" in r:
                lines.append(f"{state:<8} error: {r['error']}")
        if not good:
            continue
        median = {
            key: statistics.median(r[key] for r in good)
            for key in ("kernel_ready_s", "import_s", "model_s", "fit_s", "first_fit_s")
        }
        worst_rhat = max(r["max_rhat"] for r in good)
        least_ess = min(r["min_ess_bulk"] for r in good)
        summary[state] = {**median, "max_rhat": worst_rhat, "min_ess_bulk": least_ess}
        lines.append(
            f"{state:<8} {median['kernel_ready_s']:12.1f}  {median['import_s']:6.1f}  "
            f"{median['model_s']:10.1f}  {median['fit_s']:5.1f}  "
            f"{median['first_fit_s']:14.1f}  {TARGETS[state]:6.0f}  "
            f"{worst_rhat:5.3f}  {least_ess:8.0f}"
        )
    lines.append(
        f"(medians of {args.repeats} runs a state, seconds; the fit is hbm.sample's default, "
        "NumPyro, 4 x 1000 draws; import hbm_widgets loads its layers on first use, so PyMC, "
        "JAX and NumPyro load in the data+model and fit steps)"
    )
    text = "\n".join(lines)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "first-fit.txt").write_text(text + "\n")
    record = {"runs": runs, "summary": summary, "versions": _versions(), "targets": TARGETS}
    (RESULTS / "first-fit.json").write_text(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
