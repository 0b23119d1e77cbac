"""``Prior``: a distribution family and its parameters, checked when it is made.

A ``Prior`` is a value: two priors with the same family and parameters are equal, it can be
hashed (so a frozen ``ModelSpec`` can hold it) and it prints the way one writes it down.
It only becomes a PyMC random variable when :meth:`Prior.create` is called inside a model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np

from hbm_widgets.core.errors import SpecificationError

if TYPE_CHECKING:
    from hbm_widgets.core.data import GroupedData
    from hbm_widgets.core.spec import ModelSpec

__all__ = ["DISTRIBUTIONS", "Prior", "default_priors", "resolve_priors"]

# family -> (parameters it takes, those that must be strictly positive, its support)
DISTRIBUTIONS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...], str]] = MappingProxyType(
    {
        "Normal": (("mu", "sigma"), ("sigma",), "real"),
        "StudentT": (("nu", "mu", "sigma"), ("nu", "sigma"), "real"),
        "Cauchy": (("alpha", "beta"), ("beta",), "real"),
        "Uniform": (("lower", "upper"), (), "real"),
        "Flat": ((), (), "real"),
        "HalfNormal": (("sigma",), ("sigma",), "positive"),
        "HalfCauchy": (("beta",), ("beta",), "positive"),
        "HalfStudentT": (("nu", "sigma"), ("nu", "sigma"), "positive"),
        "Exponential": (("lam",), ("lam",), "positive"),
        "Gamma": (("alpha", "beta"), ("alpha", "beta"), "positive"),
        "HalfFlat": ((), (), "positive"),
        "LKJCorr": (("eta",), ("eta",), "correlation"),
    }
)

# How each family is written in LaTeX for `ModelSpec.describe()`.
_LATEX_NAMES = {
    "Normal": r"\mathcal{N}",
    "StudentT": r"\mathrm{StudentT}",
    "Cauchy": r"\mathrm{Cauchy}",
    "Uniform": r"\mathcal{U}",
    "Flat": r"\mathrm{Flat}",
    "HalfNormal": r"\mathrm{HalfNormal}",
    "HalfCauchy": r"\mathrm{HalfCauchy}",
    "HalfStudentT": r"\mathrm{HalfStudentT}",
    "Exponential": r"\mathrm{Exponential}",
    "Gamma": r"\mathrm{Gamma}",
    "HalfFlat": r"\mathrm{HalfFlat}",
    "LKJCorr": r"\mathrm{LKJ}",
}


@dataclass(frozen=True, init=False)
class Prior:
    """A prior distribution: a PyMC family name and its parameters.

    Parameters
    ----------
    distribution : str
        A family listed in ``DISTRIBUTIONS`` (``"Normal"``, ``"HalfNormal"``, ``"Exponential"``...).
    **parameters : float
        The family's parameters, with PyMC's names (``mu``, ``sigma``, ``lam``, ``beta``...).

    Raises
    ------
    SpecificationError
        An unknown family, an unknown or missing parameter, a value that is not a finite
        number, or a scale that is not positive.

    Examples
    --------
    >>> p = Prior("Normal", mu=0, sigma=10)
    >>> print(p)
    Normal(mu=0, sigma=10)
    >>> p == Prior("Normal", sigma=10, mu=0)
    True
    >>> Prior("HalfNormal", sigma=-1)
    Traceback (most recent call last):
    ...
    hbm_widgets.core.errors.SpecificationError: HalfNormal's sigma must be positive, got -1
    """

    distribution: str
    parameters: tuple[tuple[str, float], ...]

    def __init__(self, distribution: str, **parameters: float) -> None:
        if distribution not in DISTRIBUTIONS:
            known = ", ".join(DISTRIBUTIONS)
            raise SpecificationError(
                f"unknown distribution {distribution!r}; expected one of: {known}"
            )
        names, positive, _ = DISTRIBUTIONS[distribution]
        unknown = sorted(set(parameters) - set(names))
        if unknown:
            expected = ", ".join(names) or "no parameters"
            raise SpecificationError(
                f"{distribution} has no parameter {unknown[0]!r}; it takes {expected}"
            )
        absent = [n for n in names if n not in parameters]
        if absent:
            raise SpecificationError(
                f"{distribution} needs a value for {absent[0]!r} (it takes {', '.join(names)})"
            )
        checked = {}
        for name in names:
            value = parameters[name]
            if isinstance(value, bool) or not isinstance(value, int | float):
                try:
                    value = float(value)
                except (TypeError, ValueError):
                    raise SpecificationError(
                        f"{distribution}'s {name} must be a number, got {value!r}"
                    ) from None
            if not math.isfinite(value):
                raise SpecificationError(f"{distribution}'s {name} must be finite, got {value}")
            if name in positive and value <= 0:
                raise SpecificationError(
                    f"{distribution}'s {name} must be positive, got {_fmt(value)}"
                )
            checked[name] = value
        if distribution == "Uniform" and checked["lower"] >= checked["upper"]:
            raise SpecificationError(
                f"Uniform needs lower < upper, got lower={_fmt(checked['lower'])}, "
                f"upper={_fmt(checked['upper'])}"
            )
        object.__setattr__(self, "distribution", distribution)
        object.__setattr__(self, "parameters", tuple(checked.items()))

    @property
    def kwargs(self) -> dict[str, float]:
        """The parameters as a dict, ready for the PyMC distribution."""
        return dict(self.parameters)

    @property
    def support(self) -> str:
        """``"real"``, ``"positive"`` or ``"correlation"``."""
        return DISTRIBUTIONS[self.distribution][2]

    def create(self, name: str, **kwargs):
        """Add this prior to the model in context as a random variable called ``name``."""
        if self.distribution == "LKJCorr":
            raise SpecificationError("an LKJCorr prior is built by the model, not on its own")
        import pymc as pm  # here: a Prior is made, compared and printed without PyMC

        return getattr(pm, self.distribution)(name, **self.kwargs, **kwargs)

    def dist(self, **kwargs):
        """The prior as an unnamed PyMC distribution (``pm.Normal.dist(...)``)."""
        import pymc as pm

        return getattr(pm, self.distribution).dist(**self.kwargs, **kwargs)

    def to_latex(self) -> str:
        args = ", ".join(_fmt(v) for _, v in self.parameters)
        return f"{_LATEX_NAMES[self.distribution]}({args})"

    def __str__(self) -> str:
        args = ", ".join(f"{k}={_fmt(v)}" for k, v in self.parameters)
        return f"{self.distribution}({args})"

    def __repr__(self) -> str:
        args = "".join(f", {k}={_fmt(v)}" for k, v in self.parameters)
        return f"Prior({self.distribution!r}{args})"


def _fmt(value: float) -> str:
    """Numbers as a person writes them: 10 not 10.0, 0.25 not 0.25000000001."""
    return f"{value:.4g}"


def _round2(value: float) -> float:
    """Two significant figures, so default priors read like numbers a person chose."""
    if value == 0 or not np.isfinite(value):
        return float(value)
    return float(f"{value:.2g}")


def default_priors(data: GroupedData) -> dict[str, Prior]:
    """Weakly informative priors scaled to the data, for every parameter role.

    Location parameters get normal priors 2.5 outcome standard deviations wide (per unit of
    the predictor for slopes), scales get exponential priors whose mean is the outcome's
    standard deviation, the correlation an LKJ(2) prior that doubts values near +-1, and
    Student-t's degrees of freedom Gamma(2, 0.1).
    """
    y = data.outcome
    sd_y = float(np.std(y)) or 1.0
    sd_x = float(np.std(data.predictor)) if data.predictor is not None else 1.0
    sd_u = float(np.std(data.group_predictor)) if data.group_predictor is not None else 1.0
    location = Prior("Normal", mu=_round2(float(np.mean(y))), sigma=_round2(2.5 * sd_y))
    return {
        "alpha": location,
        "mu_alpha": location,
        "beta": Prior("Normal", mu=0, sigma=_round2(2.5 * sd_y / sd_x)),
        "mu_beta": Prior("Normal", mu=0, sigma=_round2(2.5 * sd_y / sd_x)),
        "gamma_alpha": Prior("Normal", mu=0, sigma=_round2(2.5 * sd_y / sd_u)),
        "gamma_beta": Prior("Normal", mu=0, sigma=_round2(2.5 * sd_y / (sd_x * sd_u))),
        "sigma_alpha": Prior("Exponential", lam=_round2(1 / sd_y)),
        "sigma_beta": Prior("Exponential", lam=_round2(sd_x / sd_y)),
        "rho": Prior("LKJCorr", eta=2),
        "sigma": Prior("Exponential", lam=_round2(1 / sd_y)),
        "nu": Prior("Gamma", alpha=2, beta=0.1),
    }


def resolve_priors(spec: ModelSpec, data: GroupedData) -> dict[str, Prior]:
    """The prior of every parameter the model has: the spec's, else the data-scaled default."""
    defaults = default_priors(data)
    overrides = spec.prior_overrides
    roles = spec.prior_roles(has_predictor=data.predictor is not None)
    return {role: overrides.get(role, defaults[role]) for role in roles}
