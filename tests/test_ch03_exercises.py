"""Chapter 03's exercises: the scales they use are the chapter's own, and exercise 4 (the
partial-pooling model of the written scores) tells a right model from plausible wrong ones."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pymc as pm
import pytest

import hbm_widgets as hbm
from hbm_widgets.exercises import ch03

CHAPTER = Path(__file__).resolve().parent.parent / "notebooks" / "03-shrinkage-and-pooling.ipynb"


def stored_text() -> str:
    notebook = nbformat.read(CHAPTER, as_version=4)
    return "\n".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )


def test_the_exercise_scales_are_the_chapters_shown_estimates_rounded():
    # The chapter prints its posterior means to two decimals; the checks use them to one.
    text = stored_text()
    for label, constant in (("sigma", ch03.SIGMA), ("tau", ch03.TAU), ("mu", ch03.MU)):
        shown = float(re.search(rf"^{label} \([a-z ]+\)\s+([0-9.]+)$", text, re.M).group(1))
        assert round(shown, 1) == constant, label
    exercises = next(
        cell.source
        for cell in nbformat.read(CHAPTER, as_version=4).cells
        if cell.cell_type == "markdown" and cell.source.startswith("## Exercises")
    )
    assert f"\\sigma = {ch03.SIGMA}$, $\\tau = {ch03.TAU}$ and $\\mu = {ch03.MU}$" in exercises


def check(answer):
    return hbm.check_exercise("03-shrinkage-and-pooling", 4, answer)


def model_of_written_scores(*, pooling: str) -> pm.Model:
    """The written scores by school, with no pooling or partial pooling, written by hand."""
    data = ch03.written_scores()
    priors = hbm.resolve_priors(hbm.ModelSpec(pooling="partial"), data)
    coords = {"school": data.group_names, "obs_id": np.arange(data.n_obs)}
    with pm.Model(coords=coords) as model:
        school_idx = pm.Data("school_idx", data.group_idx, dims="obs_id")
        if pooling == "none":
            alpha = pm.Normal("alpha", **priors["mu_alpha"].kwargs, dims="school")
        else:
            mu_alpha = pm.Normal("mu_alpha", **priors["mu_alpha"].kwargs)
            sigma_alpha = pm.Exponential("sigma_alpha", **priors["sigma_alpha"].kwargs)
            alpha = pm.Normal("alpha", mu_alpha, sigma_alpha, dims="school")
        sigma = pm.Exponential("sigma", **priors["sigma"].kwargs)
        pm.Normal("written", alpha[school_idx], sigma, observed=data.outcome, dims="obs_id")
    return model


def test_the_partial_pooling_model_written_by_hand_is_right():
    assert check(model_of_written_scores(pooling="partial")).verdict == "right"


def test_no_pooling_is_wrong_and_told_what_partial_pooling_needs():
    feedback = check(model_of_written_scores(pooling="none"))
    assert feedback.verdict == "wrong"
    assert "mu_alpha" in feedback.message and "sigma_alpha" in feedback.message
    assert ch03.WRITTEN_HINTS["sigma_alpha"] in feedback.message


@pytest.fixture(scope="module")
def coursework_fit():
    """A short fit of the chapter's own model, of the coursework scores: the wrong data."""
    coursework = hbm.GroupedData.from_frame(
        hbm.load_gcse(), group="school", outcome="course", missing="drop"
    )
    spec = hbm.ModelSpec(pooling="partial", parameterization="centered")
    model = hbm.build_model(spec, coursework)
    return hbm.sample(model, draws=300, tune=300, chains=2, random_seed=3)


def test_the_coursework_fit_is_wrong_and_never_shows_the_answer(coursework_fit):
    feedback = check(coursework_fit)
    assert feedback.verdict == "wrong"
    assert "larger than it should be" in feedback.message
    reference = ch03.written_reference().summary
    for name in ("mu_alpha", "sigma_alpha", "sigma"):
        assert f"{float(reference.mean[name]):.1f}" not in feedback.message
