"""The stored summaries of the exercises' reference fits: one for every modelling exercise,
made from its model as it is now, with its settings, from a fit that passed the checklist."""

from __future__ import annotations

import importlib
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pymc as pm
import pytest

from hbm_widgets import exercises
from hbm_widgets.exercises import fits
from hbm_widgets.exercises.fits import (
    STORED,
    PosteriorSummary,
    ReferenceFit,
    StaleReferenceWarning,
    model_fingerprint,
)
from tests.test_fit_feedback import draws

CHAPTERS = sorted(Path(exercises.__file__).parent.glob("ch[0-9][0-9].py"))


@pytest.fixture(scope="module")
def references() -> dict[str, ReferenceFit]:
    for path in CHAPTERS:
        importlib.import_module(f"hbm_widgets.exercises.{path.stem}")
    with warnings.catch_warnings():
        # A summary that is missing or made with other settings fails here, not by sampling.
        warnings.simplefilter("error", StaleReferenceWarning)
        return {reference.key: reference for reference in (f() for f in exercises.REFERENCE_FITS)}


KEYS = ["01-3", "02-4", "03-4", "04-4", "05-3", "06-3", "07-4", "08-4", "09-4", "10-4", "11-4"]


def test_every_modelling_exercise_has_a_stored_reference(references):
    assert sorted(references) == KEYS
    assert sorted(path.stem for path in STORED.glob("*.json")) == sorted(references)


@pytest.mark.parametrize("key", KEYS)
def test_a_stored_summary_is_of_its_model_as_it_is_now(references, key):
    stored = json.loads((STORED / f"{key}.json").read_text())["model"]
    now = model_fingerprint(references[key].model)
    assert stored["free_variables"] == now["free_variables"]
    assert math.isclose(stored["log_density"], now["log_density"], rel_tol=1e-9)


def test_every_stored_fit_passed_the_checklist(references):
    for key, reference in references.items():
        report = reference.summary.convergence
        assert report.ok, (key, report.warnings())
        assert (report.chains, report.draws) == (4, 1000), key


def test_a_changed_prior_changes_the_fingerprint():
    def model(scale):
        with pm.Model() as m:
            pm.HalfNormal("sigma", sigma=scale)
        return m

    assert model_fingerprint(model(1.0)) != model_fingerprint(model(2.0))
    assert model_fingerprint(model(1.0)) == model_fingerprint(model(1.0))


def test_a_summary_reads_back_as_it_was_written():
    fit = draws(0)
    summary = PosteriorSummary.from_fit(fit)
    again = PosteriorSummary.from_dict(json.loads(json.dumps(summary.to_dict())))
    assert again.shapes == {"mu_alpha": (), "sigma_alpha": (), "alpha": (3,)}
    for field in ("mean", "sd", "mcse"):
        for name in summary.shapes:
            np.testing.assert_array_equal(
                getattr(again, field)[name], getattr(summary, field)[name]
            )
    np.testing.assert_allclose(again.mean["alpha"], fit.posterior["alpha"].mean(("chain", "draw")))
    assert again.convergence == summary.convergence


def test_a_missing_summary_is_sampled_with_a_warning(tmp_path, monkeypatch):
    monkeypatch.setattr(fits, "STORED", tmp_path)
    with pm.Model() as model:
        pm.Normal("mu", 0, 1)
    with pytest.warns(StaleReferenceWarning, match="exercise 99-1 is missing or out of date"):
        reference = ReferenceFit.stored("99-1", model, random_seed=1, draws=200, tune=200)
    assert reference.summary.shapes == {"mu": ()}
    assert reference.settings == {"random_seed": 1, "draws": 200, "tune": 200}
    assert abs(float(reference.summary.mean["mu"])) < 0.2
    # Stored, it is read back, not sampled again.
    (tmp_path / "99-1.json").write_text(json.dumps(reference.stored_form()))
    with warnings.catch_warnings():
        warnings.simplefilter("error", StaleReferenceWarning)
        again = ReferenceFit.stored("99-1", model, random_seed=1, draws=200, tune=200)
    np.testing.assert_array_equal(again.summary.mean["mu"], reference.summary.mean["mu"])
    # Other settings are out of date.
    with pytest.warns(StaleReferenceWarning):
        ReferenceFit.stored("99-1", model, random_seed=2, draws=200, tune=200)
