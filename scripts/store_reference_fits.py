"""Sample every modelling exercise's reference model and store the summary its check reads.

    python scripts/store_reference_fits.py [KEY ...]

Each exercise whose summary is missing, or was made with other settings or from a model that
has changed since, is sampled and stored; the exercises named (e.g. 10-4) are sampled again
in any case.

A modelling exercise's check compares the learner's fit with a long fit of the model asked
for (4 chains of 1000 draws, a fixed seed). Only the summary of that fit is needed (each
posterior variable's shape, and the mean, SD and Monte Carlo error of each element), so it is
made here once and stored in ``hbm_widgets/exercises/reference_fits/KEY.json`` with the model's
fingerprint: a learner's check then answers at once instead of sampling the reference first.
Run it after changing a reference model, its data or its settings;
``tests/test_reference_fits.py`` fails until then. A fit that does not pass the convergence
checklist is not stored.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hbm_widgets import exercises  # noqa: E402
from hbm_widgets.exercises.fits import (  # noqa: E402
    STORED,
    ReferenceFit,
    StaleReferenceWarning,
    model_fingerprint,
)


def references() -> list[tuple[ReferenceFit, bool]]:
    """Every exercise's reference, and whether it was sampled just now (its summary was
    missing, or made with other settings)."""
    for path in sorted(Path(exercises.__file__).parent.glob("ch[0-9][0-9].py")):
        importlib.import_module(f"hbm_widgets.exercises.{path.stem}")
    found = []
    for function in exercises.REFERENCE_FITS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", StaleReferenceWarning)
            reference = function()
        found.append((reference, any(w.category is StaleReferenceWarning for w in caught)))
    return sorted(found, key=lambda pair: pair[0].key)


def out_of_date(reference: ReferenceFit) -> bool:
    """Whether the model has changed since its summary was stored."""
    stored = json.loads((STORED / f"{reference.key}.json").read_text())
    now = model_fingerprint(reference.model)
    return stored["model"]["free_variables"] != now["free_variables"] or not math.isclose(
        stored["model"]["log_density"], now["log_density"], rel_tol=1e-9, abs_tol=1e-9
    )


def store(reference: ReferenceFit) -> None:
    convergence = reference.summary.convergence
    if not convergence.ok:
        raise SystemExit(
            f"exercise {reference.key}: the reference fit did not converge "
            f"({'; '.join(convergence.warnings())}); nothing stored"
        )
    path = STORED / f"{reference.key}.json"
    path.write_text(json.dumps(reference.stored_form(), indent=1) + "\n")
    print(
        f"{reference.key}: max R-hat {convergence.max_rhat:.3f}, "
        f"min bulk ESS {convergence.min_ess_bulk:.0f} -> {path.relative_to(ROOT)}"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "keys", nargs="*", help="exercises to sample again (e.g. 10-4) even if up to date"
    )
    args = parser.parse_args(argv)
    STORED.mkdir(exist_ok=True)
    found = references()
    unknown = sorted(set(args.keys) - {reference.key for reference, _ in found})
    if unknown:
        raise SystemExit(f"no reference fit for {unknown}; there are {[r.key for r, _ in found]}")
    for reference, sampled_now in found:
        if sampled_now:
            store(reference)
        elif reference.key in args.keys or out_of_date(reference):
            fresh = ReferenceFit.sampled(reference.model, **reference.settings)
            store(ReferenceFit(reference.model, fresh.summary, reference.key, reference.settings))
        else:
            print(f"{reference.key}: up to date")


if __name__ == "__main__":
    main()
