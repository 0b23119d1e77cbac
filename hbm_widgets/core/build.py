"""``build_model(spec, data)``: every model of the pooling table, from one function.

Variables are named as in PyMC's style guide, with Greek spelled out (``mu_alpha``,
``sigma_alpha``), and the group dimension is named after the data's group column, so the
radon model has ``alpha`` with dims ``county`` and a data container ``county_idx``.

What is named after a column (the group dim, its index ``<group>_idx``, the predictor's and
group-level predictor's data containers, the observed outcome and ``<outcome>_observed``)
never takes a name the model uses itself: a column named like one of the model's variables
(``alpha``, ``sigma``, ``mu_alpha``, ``z_alpha``, ``corr``...), a dim (``obs_id``, or a fit's
``chain``, ``draw`` and ``sample``), a prior's data container (``prior_<role>_<parameter>``)
or a PyMC transformed variable (``..._log__``), or a name given before it (in the order group
dim, group index, outcome, ``<outcome>_observed``, predictor, group-level predictor), has
``_`` and its role appended until it is free: a group column ``sigma`` gives the dim
``sigma_group`` and the index ``sigma_group_idx``, a predictor ``sigma`` the container
``sigma_predictor``, an outcome ``alpha`` the observed variable ``alpha_outcome``.
``GroupedData.model_names`` holds the names; tables and charts keep the columns' own.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from hbm_widgets.core.data import GroupedData
from hbm_widgets.core.errors import SpecificationError
from hbm_widgets.core.priors import Prior, resolve_priors
from hbm_widgets.core.spec import ModelSpec, check_compatible

__all__ = [
    "build_model",
    "prior_data_name",
]


def build_model(
    spec: ModelSpec,
    data: GroupedData,
    *,
    outcome_as_data: bool = False,
    priors_as_data: bool = False,
    sufficient_statistics: bool = False,
) -> pm.Model:
    """Build the PyMC model a spec describes, on grouped data.

    Parameters
    ----------
    spec : ModelSpec
        Pooling, varying part, parameterisation, likelihood and priors.
    data : GroupedData
        The validated data; its column names name the data containers and dims (made
        distinct from the model's own names, see the module's docstring).
    outcome_as_data : bool
        Hold the outcome in a data container too (``<outcome>_observed``), so that another
        outcome of the same shape (the next simulated data set) can be set and fitted
        without compiling again. Off by default: with the outcome as a constant, PyMC can
        simplify the log density at compile time.
    priors_as_data : bool
        Hold every prior's parameters in data containers (``prior_<role>_<parameter>``, e.g.
        ``prior_sigma_alpha_sigma``) instead of constants, so that a refit with other prior
        values of the same families only sets data (see :class:`hbm_widgets.Refitter`).
    sufficient_statistics : bool
        For a normal likelihood: evaluate it from each group's sufficient statistics (see
        :mod:`hbm_widgets.core.sufficient`), a ``pm.Potential`` named after the outcome, so
        that a gradient costs a few operations per group rather than per observation. The
        free variables and the log density are the same; there is no observed variable, no
        ``obs_id`` dim and no per-observation data container.

    Returns
    -------
    pymc.Model
        With coords ``{group dim: group names, "obs_id": ...}``, data containers for the
        group index, the predictor and the group-level predictor (so new data can be set for
        predictions), and the observed outcome named after its column
        (``data.model_names`` gives each name).

    Examples
    --------
    >>> from hbm_widgets import GroupedData, ModelSpec, load_radon
    >>> data = GroupedData.from_frame(load_radon(), group="county", outcome="log_radon",
    ...                               predictor="floor")
    >>> model = build_model(ModelSpec(pooling="partial", varying="intercept"), data)
    >>> sorted(v.name for v in model.free_RVs)
    ['beta', 'mu_alpha', 'sigma', 'sigma_alpha', 'z_alpha']
    """
    check_compatible(spec, data)
    priors = resolve_priors(spec, data)
    if priors_as_data:
        priors = {role: _PriorAsData(role, prior) for role, prior in priors.items()}
    names = data.model_names
    group = names.group_dim
    if sufficient_statistics:
        return _group_statistics_model(spec, data, priors, outcome_as_data=outcome_as_data)
    coords = {group: data.group_names.tolist(), "obs_id": np.arange(data.n_obs)}

    with pm.Model(coords=coords) as model:
        group_idx = pm.Data(names.group_index, data.group_idx, dims="obs_id")
        x = None
        if data.predictor is not None:
            x = pm.Data(names.predictor, data.predictor, dims="obs_id")
        u = None
        if spec.group_predictor:
            u = pm.Data(names.group_predictor, data.group_predictor, dims=group)

        intercept, slope = _coefficients(spec, priors, group, u)
        mu = intercept[group_idx] if spec.varies_intercept else intercept
        if x is not None:
            mu = mu + (slope[group_idx] if spec.varies_slope else slope) * x

        observed = (
            pm.Data(names.outcome_observed, data.outcome, dims="obs_id")
            if outcome_as_data
            else data.outcome
        )
        sigma = priors["sigma"].create("sigma")
        if spec.likelihood == "student_t":
            nu = priors["nu"].create("nu")
            pm.StudentT(names.outcome, nu=nu, mu=mu, sigma=sigma, observed=observed, dims="obs_id")
        else:
            pm.Normal(names.outcome, mu=mu, sigma=sigma, observed=observed, dims="obs_id")
    return model


def _group_statistics_model(spec, data, priors, *, outcome_as_data: bool) -> pm.Model:
    from hbm_widgets.core.sufficient import add_group_statistics_likelihood

    if spec.likelihood != "normal" or outcome_as_data:
        raise SpecificationError(
            "sufficient_statistics=True needs a normal likelihood and the outcome as a "
            f"constant, got likelihood={spec.likelihood!r}, outcome_as_data={outcome_as_data}"
        )
    names = data.model_names
    group = names.group_dim
    with pm.Model(coords={group: data.group_names.tolist()}) as model:
        u = None
        if spec.group_predictor:
            u = pm.Data(names.group_predictor, data.group_predictor, dims=group)
        intercept, slope = _coefficients(spec, priors, group, u)
        sigma = priors["sigma"].create("sigma")
        slope = slope if data.predictor is not None else None
        add_group_statistics_likelihood(data, intercept=intercept, slope=slope, sigma=sigma)
    return model


class _PriorAsData:
    """A prior whose parameters become data containers when it is added to the model."""

    def __init__(self, role: str, prior: Prior) -> None:
        self.role, self.prior = role, prior
        self._kwargs = None

    @property
    def kwargs(self) -> dict:
        if self._kwargs is None:
            self._kwargs = {
                name: pm.Data(prior_data_name(self.role, name), value)
                for name, value in self.prior.kwargs.items()
            }
        return self._kwargs

    def create(self, name: str, **kwargs):
        return getattr(pm, self.prior.distribution)(name, **self.kwargs, **kwargs)


def prior_data_name(role: str, parameter: str) -> str:
    """The data container holding one prior parameter under ``priors_as_data=True``."""
    return f"prior_{role}_{parameter}"


def _coefficients(spec: ModelSpec, priors: dict[str, Prior], group: str, u):
    """Intercept and slope: scalars, or vectors over groups, as the spec says."""
    if spec.pooling == "complete":
        return priors["alpha"].create("alpha"), _shared_slope(priors)
    if spec.pooling == "none":
        alpha = (
            priors["alpha"].create("alpha", dims=group)
            if spec.varies_intercept
            else priors["alpha"].create("alpha")
        )
        beta = (
            priors["beta"].create("beta", dims=group)
            if spec.varies_slope
            else _shared_slope(priors)
        )
        return alpha, beta
    if spec.correlated:
        return _correlated_effects(spec, priors, group, u)
    if spec.varying == "intercept":
        alpha = _partially_pooled("alpha", spec, priors, group, u)
        return alpha, _shared_slope(priors)
    alpha = priors["alpha"].create("alpha")
    return alpha, _partially_pooled("beta", spec, priors, group, u)


def _shared_slope(priors: dict[str, Prior]):
    return priors["beta"].create("beta") if "beta" in priors else None


def _group_mean(name: str, priors: dict[str, Prior], u):
    """mu_name (+ gamma_name * u_j): the centre the group coefficients are drawn around."""
    mean = priors[f"mu_{name}"].create(f"mu_{name}")
    if u is not None:
        mean = mean + priors[f"gamma_{name}"].create(f"gamma_{name}") * u
    return mean


def _partially_pooled(name: str, spec: ModelSpec, priors: dict[str, Prior], group: str, u):
    mean = _group_mean(name, priors, u)
    scale = priors[f"sigma_{name}"].create(f"sigma_{name}")
    if spec.parameterization == "centered":
        return pm.Normal(name, mu=mean, sigma=scale, dims=group)
    # Non-centred: sample standard-normal offsets and scale them, so the sampler does not
    # have to explore the funnel between the group effects and their spread.
    offset = pm.Normal(f"z_{name}", mu=0, sigma=1, dims=group)
    return pm.Deterministic(name, mean + scale * offset, dims=group)


def _correlated_effects(spec: ModelSpec, priors: dict[str, Prior], group: str, u):
    """Intercepts and slopes drawn jointly: covariance = diag(sigma) R diag(sigma), R ~ LKJ."""
    mean_alpha = _group_mean("alpha", priors, u)
    mean_beta = _group_mean("beta", priors, u)
    sigma_alpha = priors["sigma_alpha"].create("sigma_alpha")
    sigma_beta = priors["sigma_beta"].create("sigma_beta")
    # With two varying coefficients the LKJ correlation matrix has one free entry. LKJCorr
    # gives the lower Cholesky factor L of R = L L^T; as L[0, 0] = 1, R[1, 0] = L[1, 0].
    corr = pm.LKJCorr("corr", n=2, eta=priors["rho"].kwargs["eta"])
    rho = pm.Deterministic("rho", corr[1, 0])
    if spec.parameterization == "centered":
        # The bivariate normal written as a marginal and a conditional: the same density as
        # an MvNormal with covariance S R S, but elementwise, so it is cheap to evaluate.
        alpha = pm.Normal("alpha", mu=mean_alpha, sigma=sigma_alpha, dims=group)
        beta = pm.Normal(
            "beta",
            mu=mean_beta + rho * sigma_beta / sigma_alpha * (alpha - mean_alpha),
            sigma=sigma_beta * pt.sqrt(1 - rho**2),
            dims=group,
        )
        return alpha, beta
    z_alpha = pm.Normal("z_alpha", mu=0, sigma=1, dims=group)
    z_beta = pm.Normal("z_beta", mu=0, sigma=1, dims=group)
    alpha = pm.Deterministic("alpha", mean_alpha + sigma_alpha * z_alpha, dims=group)
    beta = pm.Deterministic(
        "beta", mean_beta + sigma_beta * (rho * z_alpha + pt.sqrt(1 - rho**2) * z_beta), dims=group
    )
    return alpha, beta
