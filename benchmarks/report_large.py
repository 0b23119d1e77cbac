"""A grouped-data report on a large file: wall time, peak memory and the headline numbers.

    python benchmarks/report_large.py [--rows 300000] [--groups 2000] [--keep FOLDER]

Writes a seeded file (uneven group sizes, one numeric predictor ``x``, a varying intercept
and slope, normal noise; seven more columns the report does not use, floats at full
precision), runs the real ``hbm-report data`` command on it at its defaults (1000 draws,
1000 tuning steps, 4 chains; varying intercept; progress on: a line per fit), and prints
the wall time, the peak resident memory of the command's process tree (the command and the
kernel it starts, sampled from /proc every 0.2 s and summed over the tree), the population
intercept, slope, sigma and group SD under partial pooling beside statsmodels' MixedLM
(REML, random intercept) on the same data, and the fits' diagnostics. Output goes to
``benchmarks/results/report-large.txt`` too.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results"
SEED = 20261207


def write_large_csv(path: Path, *, rows: int, groups: int, seed: int = SEED) -> pd.DataFrame:
    """A seeded grouped file: log-normal group sizes (at least 1 each), y = a_j + b_j x + e."""
    rng = np.random.default_rng(seed)
    weights = rng.lognormal(0.0, 1.0, size=groups)
    sizes = 1 + rng.multinomial(rows - groups, weights / weights.sum())
    group_idx = np.repeat(np.arange(groups), sizes)
    intercepts = rng.normal(1.5, 0.8, size=groups)
    slopes = rng.normal(-0.5, 0.3, size=groups)
    x = rng.normal(0.0, 1.0, size=rows) + rng.normal(0.0, 0.5, size=groups)[group_idx]
    y = intercepts[group_idx] + slopes[group_idx] * x + rng.normal(0.0, 1.0, size=rows)
    # Besides the three columns the report reads, what a real export carries (a row id, a
    # time stamp, who and which device recorded it, a note, two other readings) and every
    # digit a float has: about 150 bytes a row, 45 MB for 300,000 rows.
    start = np.datetime64("2024-01-01T00:00:00")
    frame = pd.DataFrame(
        {
            "row_id": np.arange(1, rows + 1),
            "recorded": (start + rng.integers(0, 3 * 365 * 86_400, size=rows)).astype(str),
            "site": [f"s{j:04d}" for j in group_idx],
            "operator": rng.choice(["A. Okafor", "B. Lindqvist", "C. Moreau"], size=rows),
            "device": [f"RX-{d:04d}-{e:04d}" for d, e in rng.integers(0, 10_000, (rows, 2))],
            "note": rng.choice(["routine visit", "sensor recalibrated beforehand", ""], size=rows),
            "temperature": rng.normal(18.0, 4.0, size=rows),
            "humidity": rng.uniform(0.2, 0.9, size=rows),
            "x": x,
            "y": y,
        }
    )
    frame.to_csv(path, index=False, float_format="%.17g")
    return frame


def _tree_rss(root: int) -> int:
    """Resident bytes of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            status = (entry / "status").read_text()
        except OSError:
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[pid] = int(line.split()[1]) * 1024
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


class PeakTreeMemory(threading.Thread):
    """The largest summed resident set of a process tree, sampled every 0.2 s."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, _tree_rss(self.pid))
            time.sleep(0.2)


def mixedlm(frame: pd.DataFrame) -> dict[str, float]:
    import statsmodels.formula.api as smf

    fit = smf.mixedlm("y ~ x", frame, groups=frame["site"]).fit(reml=True)
    return {
        "mu_alpha": float(fit.fe_params["Intercept"]),
        "beta": float(fit.fe_params["x"]),
        "sigma": float(np.sqrt(fit.scale)),
        "sigma_alpha": float(np.sqrt(fit.cov_re.iloc[0, 0])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--groups", type=int, default=2_000)
    parser.add_argument("--keep", type=Path, help="keep the file and report in this folder")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="report-large-"))
    folder.mkdir(parents=True, exist_ok=True)
    csv = folder / "large.csv"
    frame = write_large_csv(csv, rows=args.rows, groups=args.groups)
    out, results = folder / "large.html", folder / "large.json"
    command = [
        str(ROOT / ".venv/bin/hbm-report"),
        *("data", str(csv), "--group", "site", "--outcome", "y", "--predictor", "x"),
        *("-o", str(out), "--results-json", str(results), "--force"),
    ]
    lines = [
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; load average before: {os.getloadavg()}",
        f"file: {args.rows:,} rows in {args.groups:,} groups, "
        f"{csv.stat().st_size / 1e6:.0f} MB; command: hbm-report data ... (defaults)",
    ]
    started = time.perf_counter()
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    monitor = PeakTreeMemory(process.pid)
    monitor.start()
    _, stderr = process.communicate()
    wall = time.perf_counter() - started
    monitor.running = False
    monitor.join()
    lines += [
        f"exit status {process.returncode}; wall time {wall:.0f} s; "
        f"peak memory (command + kernel, summed RSS) {monitor.peak / 2**30:.2f} GiB",
        f"load average after: {os.getloadavg()}",
        "stderr of the command:",
        *("    " + line for line in stderr.splitlines()),
    ]
    if process.returncode == 0:
        figures = json.loads(results.read_text())
        lines += _headline(figures, mixedlm(frame))
    text = "\n".join(lines)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "report-large.txt").write_text(text + "\n")


def _headline(figures: dict, reference: dict[str, float]) -> list[str]:
    rows = {row["parameter"]: row for row in figures["parameters"] if row["model"] == "partial"}
    lines = ["partial pooling (posterior mean, sd) vs MixedLM (REML):"]
    for name, value in reference.items():
        row = rows[name]
        gap = (row["mean"] - value) / row["sd"]
        lines.append(
            f"    {name:<12} {row['mean']:.4f} (sd {row['sd']:.4f})  MixedLM {value:.4f}  "
            f"gap {gap:+.1f} sd"
        )
    lines.append("diagnostics (max R-hat, min bulk ESS, min tail ESS, divergences):")
    for label, report in figures["convergence"].items():
        lines.append(
            f"    {label:<36} {report['max_rhat']:.4f} {report['min_ess_bulk']:.0f} "
            f"{report['min_ess_tail']:.0f} {report['divergences']}"
        )
    lines.append(f"elpd_loo: {figures['elpd_loo']}")
    return lines


if __name__ == "__main__":
    main()
