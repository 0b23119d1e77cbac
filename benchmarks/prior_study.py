"""Run chapter 08's prior study at full size and print its table and wall time.

    python benchmarks/prior_study.py [--simulations 300] [--jobs N] [--folder PATH]

Every prior of ``hbm.StudySpec()`` at the given number of simulations, on chapter 08's three
designs and a fourth that holds the main design's ten groups and gives them 500 observations
(``N=500, J=10``), so that groups and observations can be told apart. Results go to
``--folder`` (default: a folder in the temporary directory), so a second run with the same
settings reads them back instead of fitting again; use a new folder to time a run from
scratch. The summary (bias, RMSE, coverage per prior and design, with Monte Carlo standard
errors) is computed, as in the chapter, from the fits whose worst R-hat is at most 1.05, and
again from every fit; it goes with the number of fits left out, the fits' health and the
timing to ``benchmarks/results/prior_study.{txt,json}``.
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
# Chapter 08's designs, and the main design's ten groups with 500 observations.
DESIGNS = {"N=200, J=10": (200, 10), "N=50, J=5": (50, 5), "N=500, J=50": (500, 50)}
DESIGNS["N=500, J=10"] = (500, 10)
# As in the chapter: a fit whose worst R-hat is above this has not converged.
CONVERGED_RHAT = 1.05


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulations", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=None, help="fits at once (default: cores)")
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--sampler", choices=hbm.SAMPLERS, default="nutpie")
    args = parser.parse_args()

    spec = hbm.StudySpec(designs=DESIGNS, n_simulations=args.simulations, sampler=args.sampler)
    folder = args.folder or Path(tempfile.gettempdir()) / f"hbm-prior-study-{args.simulations}"
    cores = os.cpu_count()
    jobs = args.jobs or cores
    print(f"{spec.n_fits} fits ({args.simulations} a design) on {jobs} of {cores} cores")
    start = time.perf_counter()
    table = hbm.run_study(spec, folder, n_jobs=jobs)
    seconds = time.perf_counter() - start

    fits = table.drop_duplicates(["design", "prior", "simulation"])
    converged = fits.loc[fits["max_rhat"] <= CONVERGED_RHAT, ["design", "prior", "simulation"]]
    left_out = (
        fits.assign(left_out=fits["max_rhat"] > CONVERGED_RHAT)
        .groupby(["design", "prior"], sort=False)["left_out"]
        .sum()
    )
    summary = hbm.summarise_study(
        table.merge(converged, on=["design", "prior", "simulation"]),
        parameters=["gamma0", "gamma1"],
    )
    every_fit = hbm.summarise_study(table, parameters=["gamma0", "gamma1"])
    columns = [
        "parameter",
        "design",
        "prior",
        "n_simulations",
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
            f"Converged fits only (worst R-hat <= {CONVERGED_RHAT}); fits left out:",
            left_out.to_string(),
            summary[columns].round(3).to_string(index=False),
            "Every fit, converged or not:",
            every_fit[columns].round(3).to_string(index=False),
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
        "converged_rhat": CONVERGED_RHAT,
        "left_out": left_out.reset_index().to_dict(orient="records"),
        "summary": summary[columns].to_dict(orient="records"),
        "summary_every_fit": every_fit[columns].to_dict(orient="records"),
        "fit_health": health.reset_index().to_dict(orient="records"),
    }
    (RESULTS / "prior_study.json").write_text(json.dumps(record, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
