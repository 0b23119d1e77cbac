"""``match_models`` and ``model_graph``: two models told the same or different, and why."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest
from scipy import stats

import hbm_widgets as hbm
from hbm_widgets.core import graph

Y = np.array([0.3, -1.2, 0.8, 2.1, 0.4, -0.5])
GROUP = np.array([0, 0, 1, 1, 2, 2])


def partial_pooling(*, sigma_alpha_scale=1.0, centered=True, drop=None):
    with pm.Model(coords={"group": ["a", "b", "c"], "obs_id": range(6)}) as model:
        group_idx = pm.Data("group_idx", GROUP, dims="obs_id")
        mu_alpha = pm.Normal("mu_alpha", 0, 2)
        sigma_alpha = pm.HalfNormal("sigma_alpha", sigma_alpha_scale)
        if centered:
            alpha = pm.Normal("alpha", mu_alpha, sigma_alpha, dims="group")
        else:
            z_alpha = pm.Normal("z_alpha", 0, 1, dims="group")
            alpha = pm.Deterministic("alpha", mu_alpha + sigma_alpha * z_alpha, dims="group")
        sigma = pm.Exponential("sigma", 1)
        if drop != "y":
            pm.Normal("y", alpha[group_idx], sigma, observed=Y, dims="obs_id")
    return model


def test_a_model_matches_an_identical_one_built_separately():
    match = hbm.match_models(partial_pooling(), partial_pooling())
    assert match.same and match.differences() == []
    assert np.isfinite(match.logp) and match.logp == pytest.approx(match.reference_logp)
    assert str(match).startswith("The same model: 5 variables")


def test_a_sum_of_many_terms_is_compared_too():
    # PyTensor's Python mode cannot evaluate an elementwise sum of more than 32 terms; the
    # comparison then compiles the log density, and gets the closed form all the same.
    y = np.linspace(-1.0, 1.0, 5)

    def many_terms():
        with pm.Model() as model:
            terms = [pm.Normal(f"t{k}", 0, 1) for k in range(40)]
            pm.Normal("y", sum(terms), 1, observed=y)
        return model

    model = many_terms()
    point = {f"t{k}": 0.01 * k for k in range(40)}
    with pytest.raises(NotImplementedError, match="32 operands"):
        model.compile_logp(mode="FAST_COMPILE")(point)
    match = hbm.match_models(model, many_terms())
    assert match.same
    # The point compared at is the initial point (zeros) moved at random by the seed.
    shift = np.random.default_rng(0).normal(0, 0.5, size=40)
    closed_form = stats.norm.logpdf(shift).sum() + stats.norm.logpdf(y, shift.sum(), 1).sum()
    assert match.logp == pytest.approx(closed_form)


def test_a_different_prior_is_the_same_structure_but_another_model():
    match = hbm.match_models(partial_pooling(sigma_alpha_scale=2.0), partial_pooling())
    assert match.same_structure and not match.same
    assert match.logp != pytest.approx(match.reference_logp)
    assert "a prior, likelihood or transform differs" in match.differences()[0]


def test_the_non_centred_form_has_other_free_variables():
    match = hbm.match_models(partial_pooling(centered=False), partial_pooling())
    assert not match.same_structure
    assert match.missing == ("alpha",) and match.extra == ("z_alpha",)
    assert np.isnan(match.logp)


def test_a_model_without_its_likelihood_is_told_what_is_missing():
    match = hbm.match_models(partial_pooling(drop="y"), partial_pooling())
    assert match.missing == ("y",)
    assert "variables missing: y" in str(match)


def test_a_shape_mismatch_names_the_variable():
    with pm.Model(coords={"group": ["a", "b"]}) as two_groups:
        pm.Normal("mu_alpha", 0, 2)
        pm.HalfNormal("sigma_alpha", 1)
        pm.Normal("alpha", 0, 1, dims="group")
        pm.Exponential("sigma", 1)
        pm.Normal("y", 0, 1, observed=Y)
    match = hbm.match_models(two_groups, partial_pooling())
    assert match.mismatched == ("alpha",)
    assert "alpha is a free of shape (2,)" in match.differences()[0]


def test_build_model_matches_the_radon_model_written_by_hand():
    data = hbm.GroupedData.from_frame(
        hbm.load_radon(), group="county", outcome="log_radon", predictor="floor"
    )
    spec = hbm.ModelSpec(pooling="none", varying="intercept")
    priors = hbm.resolve_priors(spec, data)
    with pm.Model(coords={"county": data.group_names, "obs_id": range(data.n_obs)}) as by_hand:
        county_idx = pm.Data("county_idx", data.group_idx, dims="obs_id")
        floor = pm.Data("floor", data.predictor, dims="obs_id")
        alpha = pm.Normal("alpha", **priors["alpha"].kwargs, dims="county")
        beta = pm.Normal("beta", **priors["beta"].kwargs)
        sigma = pm.Exponential("sigma", **priors["sigma"].kwargs)
        mu = alpha[county_idx] + beta * floor
        pm.Normal("log_radon", mu, sigma, observed=data.outcome, dims="obs_id")
    assert hbm.match_models(by_hand, hbm.build_model(spec, data)).same


def test_the_graph_is_graphviz_where_dot_exists_and_mermaid_where_not(monkeypatch):
    model = partial_pooling()
    monkeypatch.setattr(graph.shutil, "which", lambda name: None)
    fallback = hbm.model_graph(model)
    assert fallback.data.startswith("```mermaid\ngraph TD")
    assert "alpha" in fallback.data and 'subgraph "group (3)"' in fallback.data
    monkeypatch.setattr(graph.shutil, "which", lambda name: f"/usr/bin/{name}")
    drawn = hbm.model_graph(model)
    assert type(drawn).__name__ == "Digraph" and "sigma_alpha" in drawn.source
