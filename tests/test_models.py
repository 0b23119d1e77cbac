"""``build_model``: every combination of the spec builds the graph it says, without sampling."""

from __future__ import annotations

import itertools

import numpy as np
import pymc as pm
import pytest

from hbm_widgets import (
    GroupedData,
    ModelSpec,
    Prior,
    SpecificationError,
    build_model,
    default_priors,
    resolve_priors,
)


def all_specs():
    for pooling, varying, parameterization, likelihood, group_predictor in itertools.product(
        ["complete", "none", "partial"],
        ["intercept", "slope", "both"],
        ["non_centered", "centered"],
        ["normal", "student_t"],
        [False, True],
    ):
        if group_predictor and pooling != "partial":
            continue
        if pooling == "complete" and (varying != "intercept" or parameterization != "non_centered"):
            continue  # varying part and parameterisation do not apply: one model
        if pooling == "none" and parameterization != "non_centered":
            continue  # no hyperprior, nothing to parameterise
        yield ModelSpec(
            pooling=pooling,
            varying=varying,
            parameterization=parameterization,
            likelihood=likelihood,
            group_predictor=group_predictor,
        )


SPECS = list(all_specs())


def expected_free_variables(spec: ModelSpec) -> dict[str, tuple]:
    """Free variables and their dims, written out independently of the builder."""
    g = ("classroom",)
    free: dict[str, tuple] = {"sigma": ()}
    if spec.likelihood == "student_t":
        free["nu"] = ()
    if spec.pooling == "complete":
        free |= {"alpha": (), "beta": ()}
    elif spec.pooling == "none":
        free |= {
            "alpha": g if spec.varying in ("intercept", "both") else (),
            "beta": g if spec.varying in ("slope", "both") else (),
        }
    else:
        centred = spec.parameterization == "centered"
        for name, varies in (
            ("alpha", spec.varying in ("intercept", "both")),
            ("beta", spec.varying in ("slope", "both")),
        ):
            if not varies:
                free[name] = ()
                continue
            free[f"mu_{name}"] = ()
            free[f"sigma_{name}"] = ()
            if spec.group_predictor:
                free[f"gamma_{name}"] = ()
            if spec.varying != "both":
                free[name if centred else f"z_{name}"] = g
        if spec.varying == "both":
            # The Cholesky factor of the 2 x 2 correlation matrix (one free entry).
            free["corr"] = (None, None)
            if centred:
                free |= {"alpha": g, "beta": g}
            else:
                free |= {"z_alpha": g, "z_beta": g}
    return free


@pytest.mark.parametrize(
    "spec", SPECS, ids=lambda s: f"{s.label}-{s.parameterization}-{s.likelihood}"
)
def test_graph_matches_spec(spec, small_data):
    model = build_model(spec, small_data)
    expected = expected_free_variables(spec)
    free = {
        rv.name: tuple(model.named_vars_to_dims.get(rv.name, (None,) * rv.ndim))
        for rv in model.free_RVs
    }
    assert free == expected

    # The log density is finite at the initial point.
    logp = model.compile_logp()(model.initial_point())
    assert np.isfinite(logp)

    # Group coefficients have one value per group, named after the group column.
    n_groups = small_data.n_groups
    for name in ("alpha", "beta"):
        varies = spec.pooling != "complete" and (
            spec.varying == "both" or spec.varying == ("intercept" if name == "alpha" else "slope")
        )
        value = model[name].eval() if name not in expected or expected[name] else None
        if varies:
            assert model.named_vars_to_dims[name] == ("classroom",)
            assert model[name].eval().shape == (n_groups,)
        elif value is not None:
            assert np.shape(value) == ()

    # The observed outcome is named after its column and has one entry per observation.
    assert model.observed_RVs[0].name == "score"
    assert model["score"].eval().shape == (small_data.n_obs,)
    assert model.coords["classroom"] == tuple(small_data.group_names)


def test_data_containers_are_named_after_columns(radon_data):
    model = build_model(ModelSpec(group_predictor=True), radon_data)
    assert {"county_idx", "floor", "log_uranium"} <= set(model.named_vars)
    assert model["county_idx"].get_value().shape == (919,)
    assert model.named_vars_to_dims["log_uranium"] == ("county",)
    assert "gamma_alpha" in model.named_vars
    # Predictions use new data: set it and the observed shape follows.
    with model:
        pm.set_data(
            {"county_idx": np.array([0, 1]), "floor": np.array([0.0, 1.0])},
            coords={"obs_id": [0, 1]},
        )
    assert model["log_radon"].eval().shape == (2,)


def test_non_centred_offsets_reproduce_group_effects(small_data):
    model = build_model(ModelSpec(varying="intercept"), small_data)
    z = np.linspace(-1, 1, small_data.n_groups)
    alpha = model["alpha"].eval(
        {model["z_alpha"]: z, model["mu_alpha"]: 2.0, model["sigma_alpha"]: 0.5}
    )
    np.testing.assert_allclose(alpha, 2.0 + 0.5 * z)


def test_non_centred_correlated_effects_have_the_lkj_correlation(small_data):
    """With many draws of the offsets, the implied intercept-slope correlation is rho."""
    model = build_model(ModelSpec(varying="both"), small_data)
    draws = pm.draw([model["alpha"], model["beta"], model["rho"]], draws=4000, random_seed=3)
    alpha, beta, rho = draws
    # Standardise within each draw's population to remove the random means and scales.
    centred_a = (alpha - alpha.mean(1, keepdims=True)) / alpha.std(1, keepdims=True)
    centred_b = (beta - beta.mean(1, keepdims=True)) / beta.std(1, keepdims=True)
    sample_corr = (centred_a * centred_b).mean(1)
    # Correlation of each draw's sample correlation with its rho is strongly positive.
    assert np.corrcoef(sample_corr, rho)[0, 1] > 0.5


def test_priors_from_the_spec_replace_the_defaults(small_data):
    spec = ModelSpec(priors={"sigma": Prior("HalfNormal", sigma=3)})
    priors = resolve_priors(spec, small_data)
    assert priors["sigma"] == Prior("HalfNormal", sigma=3)
    assert priors["mu_alpha"] == default_priors(small_data)["mu_alpha"]
    model = build_model(spec, small_data)
    sigma_rv = model["sigma"]
    assert type(sigma_rv.owner.op).__name__.startswith("HalfNormal")
    draws = pm.draw(sigma_rv, draws=20000, random_seed=1)
    assert draws.mean() == pytest.approx(3 * np.sqrt(2 / np.pi), rel=0.03)


def test_default_priors_scale_with_the_data(small_data):
    priors = default_priors(small_data)
    sd_y = np.std(small_data.outcome)
    assert priors["mu_alpha"].kwargs["sigma"] == pytest.approx(2.5 * sd_y, rel=0.05)
    assert priors["sigma"].kwargs["lam"] == pytest.approx(1 / sd_y, rel=0.05)
    assert priors["rho"] == Prior("LKJCorr", eta=2)


def test_varying_slope_needs_a_predictor(small_data):
    no_x = GroupedData.from_frame(small_data.frame, group="classroom", outcome="score")
    with pytest.raises(SpecificationError, match=r"varying='slope' needs a predictor"):
        build_model(ModelSpec(varying="slope"), no_x)
    # Without a predictor the intercept-only model still builds.
    model = build_model(ModelSpec(varying="intercept"), no_x)
    assert "beta" not in model.named_vars


def test_group_predictor_needs_one_in_the_data(small_data):
    no_u = GroupedData.from_frame(
        small_data.frame, group="classroom", outcome="score", predictor="x"
    )
    with pytest.raises(
        SpecificationError, match=r"uses a group-level predictor but the data have none"
    ):
        build_model(ModelSpec(group_predictor=True), no_u)


def test_wrong_argument_types(small_data):
    with pytest.raises(SpecificationError, match="expected a ModelSpec, got str"):
        build_model("partial", small_data)
    with pytest.raises(SpecificationError, match="expected GroupedData"):
        build_model(ModelSpec(), small_data.frame)
