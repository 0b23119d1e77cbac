"""Wall time of the test suite, file by file, each file alone in its own pytest process.

Runs ``pytest FILE -q -p no:cacheprovider --junitxml=...`` for every test file under
``tests/`` (chapters and browser tests included) and the nbval re-check of the chapters
``make test`` names, one after another on one core, and prints a table: the file's wall time
(the process, imports and kernel starts included), its number of tests, the seconds of its
slowest item (setup and call of one test, from the junit xml) and the outcome. It also writes
the figures as JSON, so that a later run can be printed beside them (``--compare``).

    python benchmarks/test_suite.py                      # every file, about 25 minutes
    python benchmarks/test_suite.py tests/test_report.py --compare before.json

Each file alone pays its own process start and, for chapters, its own kernel start; under
``make test`` (pytest-xdist, ``--dist loadfile``) a worker pays those once for all its files,
so the sum here is an upper bound on the work of one ``make test``, and the estimate printed
for N workers (a greedy hand-out of files in collection order to the first free worker) is
a rough guide, not a measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBVAL = ["notebooks/01-bayes-rule.ipynb", "--nbval-lax", "--nbval-sanitize-with",
         "tests/nbval_sanitize.cfg"]  # fmt: skip
PACKAGES = ["pytest", "pytest-xdist", "pymc", "pytensor", "arviz", "jax", "nutpie", "papermill"]


def test_files() -> list[str]:
    """Every test file, in the order pytest collects them (``tests/`` sorted, as ``make test``)."""
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob("test_*.py"))


def run_one(target: str, junit: Path) -> dict:
    """Run one file's tests in a fresh pytest process and time it."""
    arguments = NBVAL if target == NBVAL[0] else [target]
    command = [sys.executable, "-m", "pytest", *arguments, "-q", "-p", "no:cacheprovider",
               f"--junitxml={junit}"]  # fmt: skip
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        # Ctrl-C as a terminal gives it, even when this script runs in the background (where
        # the shell ignores SIGINT, and every child would inherit that): the tests send it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU seconds of pytest and of every process it waited for (kernels, servers, the
    # commands it ran): steadier than wall time on a machine others are using too.
    cpu = (after.ru_utime - used.ru_utime) + (after.ru_stime - used.ru_stime)
    tests, slowest, slowest_name, failures = 0, 0.0, "", 0
    if junit.exists():
        for case in ET.parse(junit).getroot().iter("testcase"):
            tests += 1
            seconds = float(case.get("time", 0))
            failures += any(c.tag in ("failure", "error") for c in case)
            if seconds > slowest:
                slowest, slowest_name = seconds, case.get("name", "")
    outcome = "passed" if done.returncode == 0 else f"exit {done.returncode}, {failures} failed"
    return {
        "file": target,
        "wall": round(wall, 1),
        "cpu": round(cpu, 1),
        "tests": tests,
        "slowest": round(slowest, 1),
        "slowest_test": slowest_name,
        "outcome": outcome,
    }


def estimate(rows: list[dict], workers: int) -> float:
    """Wall time if the files went, in this order, each to the first free worker."""
    free_at = [0.0] * workers
    for row in rows:
        first = free_at.index(min(free_at))
        free_at[first] += row["wall"]
    return max(free_at)


def machine() -> str:
    versions = ", ".join(f"{name} {version(name)}" for name in PACKAGES)
    cpu = platform.processor() or platform.machine()
    return (f"{platform.node()} {cpu}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, {platform.platform()}\n{versions}")  # fmt: skip


def table(rows: list[dict], earlier: dict[str, dict]) -> str:
    """Files by wall time, longest first; with ``earlier``, its figures beside each row."""

    def figures(row: dict | None) -> str:
        if row is None:
            return f"{'-':>7} {'-':>7}"
        cpu = row.get("cpu")  # runs stored before CPU time was measured have none
        return f"{row['wall']:>7.1f} " + (f"{cpu:>7.1f}" if cpu is not None else f"{'-':>7}")

    head = f"{'file':<52} {'tests':>5} {'wall s':>7} {'cpu s':>7}"
    head += f" {'wall was':>7} {'cpu was':>7}" if earlier else ""
    lines = [head + f" {'slowest':>7}  slowest item / outcome"]
    for row in sorted(rows, key=lambda r: -r["wall"]):
        line = f"{row['file']:<52} {row['tests']:>5} {figures(row)}"
        line += f" {figures(earlier.get(row['file']))}" if earlier else ""
        outcome = "" if row["outcome"] == "passed" else f" [{row['outcome']}]"
        lines.append(line + f" {row['slowest']:>7.1f}  {row['slowest_test'][:50]}{outcome}")
    total = {
        "wall": sum(r["wall"] for r in rows),
        "cpu": sum(r["cpu"] for r in rows) if all(r.get("cpu") is not None for r in rows) else None,
    }
    tests = sum(r["tests"] for r in rows)
    line = f"{'total (one file at a time)':<52} {tests:>5} {figures(total)}"
    if earlier:
        before = [earlier[r["file"]] for r in rows if r["file"] in earlier]
        was = {
            "wall": sum(r["wall"] for r in before),
            "cpu": sum(r["cpu"] for r in before)
            if all(r.get("cpu") is not None for r in before)
            else None,
        }
        line += f" {figures(was)}"
    lines.append(line)
    lines.append(f"estimate on 2 workers, files in collection order: {estimate(rows, 2):.0f} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", help="test files (default: all, and the nbval run)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--compare", type=Path, help="figures of an earlier run to print beside")
    parser.add_argument("--from-json", type=Path, help="print a stored run instead of running")
    parser.add_argument("--junit-dir", type=Path, help="keep each file's junit xml here")
    options = parser.parse_args(argv)
    earlier = {}
    if options.compare:
        earlier = {r["file"]: r for r in json.loads(options.compare.read_text())["rows"]}
    if options.from_json:
        stored = json.loads(options.from_json.read_text())
        print(stored["machine"])
        print(table(stored["rows"], earlier))
        return
    targets = options.files or [*test_files(), NBVAL[0]]
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = options.junit_dir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        for target in targets:
            row = run_one(target, folder / (target.replace("/", "-") + ".xml"))
            print(f"{row['wall']:7.1f} s  {target}  {row['outcome']}", file=sys.stderr, flush=True)
            rows.append(row)
    print(machine())
    print(table(rows, earlier))
    if options.json:
        options.json.write_text(json.dumps({"machine": machine(), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
