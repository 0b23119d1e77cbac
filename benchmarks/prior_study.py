"""Run chapter 08's prior study at full size and print its table and wall time.

    python benchmarks/prior_study.py [--simulations 300] [--jobs N] [--folder PATH]

Every design and prior of ``hbm.StudySpec()`` at the given number of simulations. Results
go to ``--folder`` (default: a folder in the temporary directory), so a second run with the
same settings reads them back instead of fitting again; use a new folder to time a run from
scratch. The summary (bias, RMSE, coverage per prior and design, with Monte Carlo standard
errors) and the timing are written to ``benchmarks/results/prior_study.{txt,json}``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import hbm_widgets as hbm

RESULTS = Path(__file__).parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulations", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=None, help="fits at once (default: cores)")
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--sampler", choices=hbm.SAMPLERS, default="nutpie")
    args = parser.parse_args()

    spec = hbm.StudySpec(n_simulations=args.simulations, sampler=args.sampler)
    folder = args.folder or Path(tempfile.gettempdir()) / f"hbm-prior-study-{args.simulations}"
    cores = os.cpu_count()
    jobs = args.jobs or cores
    print(f"{spec.n_fits} fits ({args.simulations} a design) on {jobs} of {cores} cores")
    start = time.perf_counter()
    table = hbm.run_study(spec, folder, n_jobs=jobs)
    seconds = time.perf_counter() - start

    summary = hbm.summarise_study(table, parameters=["gamma0", "gamma1"])
    columns = [
        "parameter",
        "design",
        "prior",
        "bias",
        "bias_mcse",
        "rmse",
        "coverage",
        "coverage_mcse",
        "mean_posterior_sd",
    ]
    health = (
        table.drop_duplicates(["design", "prior", "simulation"])
        .groupby(["design", "prior"], sort=False)
        .agg(
            share_divergent=("divergences", lambda d: float((d > 0).mean())),
            share_rhat_above_1_01=("max_rhat", lambda r: float((r >= 1.01).mean())),
        )
    )
    text = "\n\n".join(
        [
            f"{spec.n_fits} fits, {args.simulations} simulations a design, sampler "
            f"{spec.sampler}, {spec.chains} chains x {spec.draws} draws; {jobs} jobs on "
            f"{cores} cores: {seconds:.0f} s wall ({folder})",
            summary[columns].round(3).to_string(index=False),
            health.round(3).to_string(),
        ]
    )
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "prior_study.txt").write_text(text + "\n")
    record = {
        "seconds": seconds,
        "jobs": jobs,
        "cores": cores,
        "machine": platform.platform(),
        "python": platform.python_version(),
        "spec": spec.to_dict(),
        "summary": summary[columns].to_dict(orient="records"),
        "fit_health": health.reset_index().to_dict(orient="records"),
    }
    (RESULTS / "prior_study.json").write_text(json.dumps(record, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
