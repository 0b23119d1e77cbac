"""``Prior`` and ``ModelSpec``: values that check themselves when made."""

from __future__ import annotations

import dataclasses

import pytest

from hbm_widgets import ModelSpec, Prior, SpecificationError


def test_prior_is_a_value():
    a = Prior("Normal", mu=0, sigma=10)
    assert a == Prior("Normal", sigma=10.0, mu=0.0)
    assert a != Prior("Normal", mu=0, sigma=5)
    assert hash(a) == hash(Prior("Normal", sigma=10, mu=0))
    assert str(a) == "Normal(mu=0, sigma=10)"
    assert repr(a) == "Prior('Normal', mu=0, sigma=10)"
    assert a.kwargs == {"mu": 0.0, "sigma": 10.0}
    assert Prior("Flat").kwargs == {}
    assert Prior("HalfCauchy", beta=2.5).to_latex() == r"\mathrm{HalfCauchy}(2.5)"


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (
            ("Normall",),
            {"mu": 0, "sigma": 1},
            r"unknown distribution 'Normall'; expected one of: Normal,",
        ),
        (("Normal",), {"mu": 0, "sd": 1}, r"Normal has no parameter 'sd'; it takes mu, sigma"),
        (("Normal",), {"mu": 0}, r"Normal needs a value for 'sigma'"),
        (("HalfNormal",), {"sigma": 0}, r"HalfNormal's sigma must be positive, got 0"),
        (("Exponential",), {"lam": -2}, r"Exponential's lam must be positive, got -2"),
        (("Normal",), {"mu": "zero", "sigma": 1}, r"Normal's mu must be a number, got 'zero'"),
        (("Normal",), {"mu": float("nan"), "sigma": 1}, r"Normal's mu must be finite"),
        (
            ("Uniform",),
            {"lower": 2, "upper": 1},
            r"Uniform needs lower < upper, got lower=2, upper=1",
        ),
    ],
)
def test_bad_priors_are_refused_with_the_value(args, kwargs, message):
    with pytest.raises(SpecificationError, match=message):
        Prior(*args, **kwargs)


def test_spec_defaults_and_immutability():
    spec = ModelSpec()
    assert (spec.pooling, spec.varying, spec.parameterization, spec.likelihood) == (
        "partial",
        "intercept",
        "non_centered",
        "normal",
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.pooling = "none"
    assert ModelSpec() == ModelSpec() and hash(ModelSpec()) == hash(ModelSpec())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"pooling": "partial_pooling"},
            r"unknown pooling 'partial_pooling'; expected one of: complete, none, partial",
        ),
        (
            {"varying": "intercepts"},
            r"unknown varying 'intercepts'; expected one of: intercept, slope, both",
        ),
        ({"parameterization": "noncentered"}, r"unknown parameterization 'noncentered'"),
        ({"likelihood": "t"}, r"unknown likelihood 't'; expected one of: normal, student_t"),
        (
            {"pooling": "none", "group_predictor": True},
            r"group-level predictor needs pooling='partial', got pooling='none'",
        ),
        ({"group_predictor": "yes"}, r"group_predictor must be True or False, got 'yes'"),
        (
            {"priors": {"sigma_county": Prior("HalfNormal", sigma=1)}},
            r"no parameter called 'sigma_county' takes a prior",
        ),
        (
            {"priors": {"sigma": Prior("Normal", mu=0, sigma=1)}},
            r"'sigma' is a scale and needs a prior on positive values",
        ),
        ({"priors": {"rho": Prior("Normal", mu=0, sigma=1)}}, r"'rho' needs an LKJCorr prior"),
        ({"priors": {"alpha": 3}}, r"the prior for 'alpha' must be a Prior"),
    ],
)
def test_bad_specs_are_refused(kwargs, message):
    with pytest.raises(SpecificationError, match=message):
        ModelSpec(**kwargs)


def test_priors_are_stored_as_a_hashable_mapping():
    spec = ModelSpec(priors={"sigma": Prior("HalfNormal", sigma=1)})
    assert spec.prior_overrides == {"sigma": Prior("HalfNormal", sigma=1)}
    changed = spec.with_prior("mu_alpha", Prior("Normal", mu=1, sigma=2))
    assert set(changed.prior_overrides) == {"sigma", "mu_alpha"}
    assert spec != changed
    assert hash(changed) == hash(
        ModelSpec(
            priors={
                "mu_alpha": Prior("Normal", mu=1, sigma=2),
                "sigma": Prior("HalfNormal", sigma=1),
            }
        )
    )


def test_spec_replace_is_validated():
    with pytest.raises(SpecificationError, match="unknown pooling 'some'"):
        ModelSpec().replace(pooling="some")
    assert ModelSpec().replace(pooling="none").pooling == "none"


@pytest.mark.parametrize(
    ("spec", "roles"),
    [
        (ModelSpec(pooling="complete"), ["alpha", "beta", "sigma"]),
        (ModelSpec(pooling="none", varying="both"), ["alpha", "beta", "sigma"]),
        (ModelSpec(varying="intercept"), ["mu_alpha", "sigma_alpha", "beta", "sigma"]),
        (
            ModelSpec(varying="slope", group_predictor=True),
            ["alpha", "mu_beta", "sigma_beta", "gamma_beta", "sigma"],
        ),
        (
            ModelSpec(varying="both", likelihood="student_t"),
            ["mu_alpha", "sigma_alpha", "mu_beta", "sigma_beta", "rho", "sigma", "nu"],
        ),
    ],
)
def test_prior_roles_follow_the_spec(spec, roles):
    assert spec.prior_roles() == roles


def test_describe_in_words_and_latex(radon_data):
    spec = ModelSpec(varying="intercept", priors={"sigma": Prior("HalfNormal", sigma=1)})
    described = spec.describe(radon_data)
    assert "Partial pooling" in described.text and "county" in described.text
    assert "slope on floor is shared" in described.text
    assert "sigma ~ HalfNormal(sigma=1)" in described.text
    assert r"\alpha_j &= \mu_\alpha + \sigma_\alpha z_j" in described.latex
    assert r"\sigma &\sim \mathrm{HalfNormal}(1)" in described.latex
    assert "$$" in described._repr_markdown_()
    centred = ModelSpec(varying="intercept", parameterization="centered").describe()
    assert r"\alpha_j &\sim \mathcal{N}(\mu_\alpha, \sigma_\alpha)" in centred.latex
    assert "scaled to the data" in centred.text
    assert "Complete pooling" in ModelSpec(pooling="complete").describe().text
    assert "Student-t" in ModelSpec(likelihood="student_t").describe().text
    assert "LKJ" in ModelSpec(varying="both").describe().text
    # Read as sentences, whatever the group is called (a column named "group" included).
    assert "so a county with little data borrows strength" in described.text
    assert "group groups" not in centred.text and "so a group with little" in centred.text
    assert "each group's intercept and slope are drawn" in ModelSpec(varying="both").describe().text
