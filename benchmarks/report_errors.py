"""How long ``hbm-report`` takes to answer a mistake: the median of five wall times each.

    python benchmarks/report_errors.py [--repeats 5]

Each case runs the installed command (``hbm-report`` beside this interpreter) in a fresh
process, in a temporary folder, and must end with the status it is expected to (0 for
``--help``, 2 for the mistakes). None of them should load PyMC, papermill or nbformat, so
each should answer in a fraction of a second. The figures go to
``benchmarks/results/report-errors.txt``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
COMMAND = Path(sys.executable).parent / "hbm-report"

MISSING_DATA = ["data", "missing.csv", "--group", "g", "--outcome", "y", "-o", "r.html"]
# Files for the formula cases, written into the temporary folder before they run.
FILES = {
    "counts.csv": "visits,age,practice\n0,30,a\n2,41,a\n1,52,b\n-4,63,b\n3,35,c\n0,47,c\n",
    "trials.csv": "hits,tries,team\n3,5,a\n6,5,a\n1,4,b\n",
    "words.csv": "score,hours,school\nhigh,1,a\nlow,2,b\n",
    "scores.csv": "score,school\n1.5,a\n2.5,b\n",
    "empty.csv": "",
    "exists.html": "",
    "header.csv": "g,y\n",
    "infinite.csv": "g,y\na,1.5\na,inf\nb,2.5\n",
}


def _formula(csv: str, formula: str, family: str, output: str = "r.html") -> list[str]:
    return ["data", csv, "--formula", formula, "--family", family, "-o", output]


# (what is timed, arguments, the exit status it must end with)
CASES = [
    ("--help", ["--help"], 0),
    ("a bad option", ["01", "--colour", "red", "-o", "r.html"], 2),
    ("data missing.csv", MISSING_DATA, 2),
    ("data: a header and no rows", ["data", "header.csv", *MISSING_DATA[2:]], 2),
    ("data: an infinite outcome", ["data", "infinite.csv", *MISSING_DATA[2:]], 2),
    ("an unknown chapter parameter", ["01", "-p", "drawz", "5", "-o", "r.html"], 2),
    ("01 -p sigma -3", ["01", "-p", "sigma", "-3", "-o", "r.html"], 2),
    ("formula: unknown column", _formula("counts.csv", "visits ~ agee + (1|practice)", "t"), 2),
    ("formula: does not parse", _formula("counts.csv", "visits ~ (1|practice", "t"), 2),
    ("formula: outcome not numeric", _formula("words.csv", "score ~ (1|school)", "t"), 2),
    ("formula: negative count", _formula("counts.csv", "visits ~ (1|practice)", "poisson"), 2),
    (
        "formula: successes > trials",
        _formula("trials.csv", "hits | trials(tries) ~ (1|team)", "binomial"),
        2,
    ),
    ("formula: empty file", _formula("empty.csv", "y ~ (1|g)", "gaussian"), 2),
    ("formula: output exists", _formula("scores.csv", "score ~ (1|school)", "t", "exists.html"), 2),
    (
        "formula with --group",
        [*_formula("scores.csv", "score ~ (1|school)", "t"), "--group", "school"],
        2,
    ),
]


def wall_times(arguments: list[str], status: int, repeats: int, folder: str) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run([str(COMMAND), *arguments], cwd=folder, capture_output=True)
        times.append(time.perf_counter() - start)
        if done.returncode != status:
            raise SystemExit(
                f"{arguments} ended with {done.returncode}, not {status}: {done.stderr.decode()}"
            )
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    packages = ["hbm-widgets", "papermill", "nbformat", "pymc", "pyyaml"]
    lines = [
        f"machine: {platform.platform()}, {platform.processor() or platform.machine()}",
        f"cores: {os.cpu_count()}",
        f"python: {platform.python_version()}",
        "packages: " + ", ".join(f"{name} {version(name)}" for name in packages),
        f"median of {args.repeats} wall times of `hbm-report ...` in a new process each:",
    ]
    with tempfile.TemporaryDirectory() as folder:
        for name, text in FILES.items():
            (Path(folder) / name).write_text(text)
        for label, arguments, status in CASES:
            times = wall_times(arguments, status, args.repeats, folder)
            spread = f"(min {min(times):.3f}, max {max(times):.3f})"
            lines.append(f"  {label:<32} {statistics.median(times):.3f} s  {spread}")
    text = "\n".join(lines)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "report-errors.txt").write_text(text + "\n")


if __name__ == "__main__":
    main()
