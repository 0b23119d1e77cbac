"""Wall time and kernel peak memory of every chapter, at fast and at default parameters.

    python benchmarks/chapters.py [--modes fast default] [--chapters 01 03 ...] [--empty-caches]

Each chapter is executed with papermill in a temporary folder, exactly as the tests do
(``fast``: the parameters its test uses; ``default``: the parameters cell as shipped), while a
thread samples the resident memory of the kernel process. Every NUTS fit the chapter makes
through ``hbm.sample`` is audited too (``HBM_FIT_LOG``): the largest R-hat and smallest bulk
ESS over every posterior variable, and the divergences; the audit's own time (seconds a fit
on a large posterior) is left out of the chapter's. Results go to
``benchmarks/results/chapters-<modes>.{txt,json}``.

Compiled code is kept between runs (PyTensor's C code, JAX's samplers), so by default the
figures are a rerun's, with the caches an earlier run filled. ``--empty-caches`` gives a new
machine's first run instead: both point at new, empty folders, which the chapters then fill
in order (results named ``chapters-<modes>-empty-caches``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.chapters.harness import NOTEBOOKS, run_notebook  # noqa: E402

RESULTS = Path(__file__).parent / "results"
# The workbook's standard for a fit it reports: R-hat below 1.01, bulk ESS of at least 400.
RHAT_LIMIT, ESS_LIMIT = 1.01, 400


SHOWN = 5  # short fits listed per chapter


def healthy(fit: dict) -> bool:
    return fit["max_rhat"] < RHAT_LIMIT and fit["min_ess_bulk"] >= ESS_LIMIT


def _fast_parameters(slug: str) -> dict:
    module = importlib.import_module(f"tests.chapters.test_{slug.replace('-', '_')}")
    return dict(module.FAST)


class PeakMemory:
    """The largest resident set of any process started by this one, sampled every 0.2 s."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            for child in me.children(recursive=True):
                try:
                    self.peak = max(self.peak, child.memory_info().rss)
                except psutil.Error:
                    pass
            self._stop.wait(0.2)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def run(slug: str, mode: str) -> dict:
    parameters = _fast_parameters(slug) if mode == "fast" else {}
    with tempfile.TemporaryDirectory() as folder:
        if slug.startswith("08"):
            parameters["study_path"] = str(Path(folder) / "study")  # a new study every time
        fit_log = Path(folder) / "fits.jsonl"
        os.environ["HBM_FIT_LOG"] = str(fit_log)
        started = time.perf_counter()
        error = None
        with PeakMemory() as memory:
            try:
                # The chapters record nothing themselves: the harness's read-back cell adds
                # only the convergence of the fits left in the namespace.
                run_notebook(
                    NOTEBOOKS / f"{slug}.ipynb", Path(folder), read_back="pass", **parameters
                )
            except Exception as exc:  # a failed chapter is reported, not fatal to the rest
                error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1][:160]}"
            finally:
                del os.environ["HBM_FIT_LOG"]
        seconds = time.perf_counter() - started
        fits = (
            [json.loads(line) for line in fit_log.read_text().splitlines()]
            if (fit_log.exists())
            else []
        )
    # The fit audit is the benchmark's, not the chapter's: its time is left out.
    audit = sum(fit.get("audit_seconds", 0.0) for fit in fits)
    return {
        "chapter": slug,
        "mode": mode,
        "seconds": round(seconds - audit, 1),
        "audit_seconds": round(audit, 1),
        "peak_kernel_mb": round(memory.peak / 2**20),
        "error": error,
        "fits": fits,
    }


def _fit_seconds(row: dict) -> float:
    """The seconds a chapter spent in hbm.sample, summed over its fits."""
    return sum(fit["seconds"] for fit in row["fits"])


def _short_fits(fits: list[dict]) -> list[dict]:
    """The fits short of the standard, largest R-hat first."""
    return sorted((f for f in fits if not healthy(f)), key=lambda f: f["max_rhat"], reverse=True)


def _audit(fits: list[dict]) -> dict:
    """What the results file keeps of a chapter's fits: counts and the worst short ones."""
    short = _short_fits(fits)
    return {
        "total": len(fits),
        "short": len(short),
        "with_divergences": sum(f["divergences"] > 0 for f in fits),
        "worst_short": short[:SHOWN],
    }


def _audit_lines(rows: list[dict]) -> list[str]:
    """Every fit short of the standard, by chapter (the chapters say which do so on purpose)."""
    lines = [
        "",
        f"fit audit (R-hat < {RHAT_LIMIT}, bulk ESS >= {ESS_LIMIT}, every posterior variable):",
    ]
    for r in rows:
        audit = _audit(r["fits"])
        lines.append(
            f"{r['chapter']:32} {r['mode']:8} {audit['total']:3d} fits, {audit['short']} short, "
            f"{audit['with_divergences']} with divergences"
        )
        if audit["short"] > SHOWN:
            lines.append(f"    the {SHOWN} with the largest R-hat of {audit['short']}:")
        for f in audit["worst_short"]:
            lines.append(
                f"    {f['sampler']} {f['chains']}x{f['draws']} (tune {f['tune']}): R-hat "
                f"{f['max_rhat']:.3f} ({f['max_rhat_variable']}), ESS {f['min_ess_bulk']:.0f} "
                f"({f['min_ess_variable']}), {f['divergences']} divergences; "
                f"variables {', '.join(f['variables'][:6])}"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", nargs="+", choices=["fast", "default"], default=["fast"])
    parser.add_argument("--chapters", nargs="+", default=None, help="numbers such as 01 05")
    parser.add_argument(
        "--empty-caches", action="store_true", help="start from empty compile caches"
    )
    args = parser.parse_args()
    if args.empty_caches:
        # The kernels inherit these; the folder outlives the run only until it ends.
        caches = tempfile.mkdtemp(prefix="hbm-caches-")
        os.environ["PYTENSOR_FLAGS"] = f"compiledir={caches}/pytensor"
        os.environ["HBM_COMPILE_CACHE"] = f"{caches}/jax"
    slugs = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
    if args.chapters:
        slugs = [s for s in slugs if s[:2] in args.chapters]
    rows = []
    for mode in args.modes:
        for slug in slugs:
            row = run(slug, mode)
            rows.append(row)
            print(json.dumps(row), flush=True)
    write_results(rows, args.modes, args.chapters, empty_caches=args.empty_caches)
    if args.empty_caches:
        shutil.rmtree(caches, ignore_errors=True)


def write_results(
    rows: list[dict], modes: list[str], chapters: list[str] | None, *, empty_caches: bool = False
) -> None:
    """Print the table and audit, and keep them in results/ (the JSON with each chapter's fit
    counts and its worst short fits)."""
    caches = "empty compile caches at the start" if empty_caches else "compile caches filled"
    lines = [
        f"{platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        f"{caches} (PyTensor's C code, JAX's samplers)",
        # "in fits": the seconds hbm.sample took, summed over the chapter's fits (compilation
        # and sampling; chapter 08's study fits two at a time, so its sum exceeds its wall).
        f"{'chapter':32} {'mode':8} {'seconds':>8} {'in fits':>8} {'peak MB':>8}  error",
    ]
    for r in rows:
        lines.append(
            f"{r['chapter']:32} {r['mode']:8} {r['seconds']:8.1f} {_fit_seconds(r):8.1f} "
            f"{r['peak_kernel_mb']:8d}  {r['error'] or ''}"
        )
    for mode in modes:
        total = sum(r["seconds"] for r in rows if r["mode"] == mode)
        lines.append(f"total at {mode} parameters: {total:.0f} s")
    lines += _audit_lines(rows)
    text = "\n".join(lines)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    # One file per selection, so a run at other modes or chapters keeps the others' results.
    suffix = "-" + "-".join(modes) + ("" if chapters is None else "-" + "-".join(chapters))
    suffix += "-empty-caches" if empty_caches else ""
    (RESULTS / f"chapters{suffix}.txt").write_text(text + "\n")
    (RESULTS / f"chapters{suffix}.json").write_text(
        json.dumps(
            {
                "machine": platform.platform(),
                "cores": os.cpu_count(),
                "empty_caches": empty_caches,
                "rows": [
                    {
                        **r,
                        "fit_seconds": round(_fit_seconds(r), 1),
                        "fits": _audit(r["fits"]),
                    }
                    for r in rows
                ],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
