"""The settings of the Monte Carlo prior study: designs, prior choices, the truth, one spec.

A :class:`StudySpec` holds every setting of a study (:mod:`hbm_widgets.lessons.study` runs
it, :mod:`hbm_widgets.lessons.study_summary` summarises its table). The data come from a
varying-slope model with a group-level predictor,

    y_i    = alpha + beta_j[i] * x_i + e_i,          e_i   ~ N(0, sigma^2)
    beta_j = gamma0 + gamma1 * u_j + eta_j,          eta_j ~ N(0, sigma_beta^2),

and :data:`STUDY_PARAMETERS` names the model variable that estimates each of them.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from hbm_widgets.core.errors import WorkbookInputError, check_whole_number
from hbm_widgets.core.priors import Prior
from hbm_widgets.core.sampling import SAMPLERS
from hbm_widgets.core.spec import ModelSpec

__all__ = [
    "DEFAULT_DESIGNS",
    "DEFAULT_PRIOR_CHOICES",
    "STUDY_PARAMETERS",
    "Design",
    "PriorChoice",
    "StudySpec",
    "StudyTruth",
]

# The parameters a study reports, and the model variable each one is.
STUDY_PARAMETERS: Mapping[str, str] = {
    "alpha": "alpha",
    "gamma0": "mu_beta",
    "gamma1": "gamma_beta",
    "sigma_beta": "sigma_beta",
    "sigma": "sigma",
}
INTERVAL = 0.9  # the central posterior interval whose coverage is counted

TABLE_COLUMNS = [
    "design",
    "n_obs",
    "n_groups",
    "prior",
    "simulation",
    "parameter",
    "true_value",
    "posterior_mean",
    "posterior_sd",
    "lower_90",
    "upper_90",
    "covered",
    "max_rhat",
    "min_ess_bulk",
    "divergences",
    "fit_seed",
]


@dataclass(frozen=True)
class Design:
    """How much data one simulated study has: ``n_obs`` observations in ``n_groups`` groups.

    Observations are spread over the groups as evenly as possible.
    """

    n_obs: int
    n_groups: int
    name: str = ""

    def __post_init__(self) -> None:
        n_groups = check_whole_number("n_groups", self.n_groups, low=2)
        n_obs = check_whole_number("n_obs", self.n_obs, low=2)
        if n_obs < 2 * n_groups:
            raise WorkbookInputError(
                f"n_obs must be at least twice n_groups (two observations a group), "
                f"got n_obs={n_obs}, n_groups={n_groups}"
            )
        object.__setattr__(self, "n_obs", n_obs)
        object.__setattr__(self, "n_groups", n_groups)
        if not self.name:
            object.__setattr__(self, "name", f"N={n_obs}, J={n_groups}")


@dataclass(frozen=True)
class PriorChoice:
    """A named pair of priors for ``gamma0`` (``mu_beta``) and ``gamma1`` (``gamma_beta``)."""

    name: str
    gamma0: Prior
    gamma1: Prior

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise WorkbookInputError(f"a prior choice needs a name, got {self.name!r}")
        for role in ("gamma0", "gamma1"):
            prior = getattr(self, role)
            if not isinstance(prior, Prior) or prior.support != "real":
                raise WorkbookInputError(
                    f"{role} needs a prior on the real line (Normal, Flat, StudentT...), "
                    f"got {prior!r}"
                )


# The four priors of the study: centred on the truth, off by one prior SD, off but wide, flat.
DEFAULT_PRIOR_CHOICES: Mapping[str, PriorChoice] = {
    choice.name: choice
    for choice in (
        PriorChoice("good", Prior("Normal", mu=1, sigma=1), Prior("Normal", mu=1, sigma=1)),
        PriorChoice("bad", Prior("Normal", mu=2, sigma=1), Prior("Normal", mu=2, sigma=1)),
        PriorChoice("weak_bad", Prior("Normal", mu=2, sigma=3), Prior("Normal", mu=2, sigma=3)),
        PriorChoice("flat", Prior("Flat"), Prior("Flat")),
    )
}

# The main design, a smaller one and a large one in which a wrong prior washes out.
DEFAULT_DESIGNS: tuple[Design, ...] = (Design(200, 10), Design(50, 5), Design(500, 50))


@dataclass(frozen=True)
class StudyTruth:
    """The values the data are simulated from."""

    alpha: float = 0.5
    gamma0: float = 1.0
    gamma1: float = 1.0
    sigma: float = 1.0
    sigma_beta: float = 1.0

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
                raise WorkbookInputError(f"truth {name} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise WorkbookInputError(f"truth {name} must be finite, got {value}")
            object.__setattr__(self, name, float(value))
        for name in ("sigma", "sigma_beta"):
            if getattr(self, name) <= 0:
                raise WorkbookInputError(
                    f"truth {name} is a standard deviation and must be positive, "
                    f"got {getattr(self, name):g}"
                )


def _as_designs(designs) -> tuple[Design, ...]:
    if isinstance(designs, Design):
        designs = [designs]
    if isinstance(designs, Mapping):
        items = [(name, value) for name, value in designs.items()]
    else:
        items = [(None, value) for value in designs]
    out = []
    for name, value in items:
        if isinstance(value, Design):
            out.append(replace(value, name=name) if name else value)
            continue
        try:
            n_obs, n_groups = value
        except (TypeError, ValueError):
            raise WorkbookInputError(
                f"a design is a Design or a pair (n_obs, n_groups), got {value!r}"
            ) from None
        out.append(Design(n_obs, n_groups, name or ""))
    return tuple(out)


def _as_prior_choices(priors) -> tuple[PriorChoice, ...]:
    if isinstance(priors, str | PriorChoice):
        priors = [priors]
    out = []
    for prior in priors:
        if isinstance(prior, PriorChoice):
            out.append(prior)
        elif prior in DEFAULT_PRIOR_CHOICES:
            out.append(DEFAULT_PRIOR_CHOICES[prior])
        else:
            known = ", ".join(DEFAULT_PRIOR_CHOICES)
            raise WorkbookInputError(
                f"unknown prior choice {prior!r}; expected a PriorChoice or one of: {known}"
            )
    return tuple(out)


@dataclass(frozen=True)
class StudySpec:
    """Every setting of a prior study, as a frozen value.

    Parameters
    ----------
    designs : sequence of Design or of (n_obs, n_groups) pairs, or a mapping name -> pair
        Defaults to N = 200, J = 10; N = 50, J = 5; and N = 500, J = 50.
    priors : sequence of PriorChoice or of names in ``DEFAULT_PRIOR_CHOICES``
        Defaults to the good, bad, weak-bad and flat priors on gamma0 and gamma1.
    n_simulations : int
        Simulated data sets per design (each fitted under every prior).
    draws, tune, chains : int
        Passed to :func:`hbm_widgets.sample` for every fit.
    seed : int
        The root of every simulation's and every fit's seed.
    target_accept : float
        NUTS's target acceptance, above PyMC's 0.8 because the smallest designs, five
        groups under a half-Cauchy prior on their spread, otherwise diverge.
    truth : StudyTruth
        The values the data are simulated from.
    scale_prior : Prior
        The prior on both ``sigma`` and ``sigma_beta`` (half-Cauchy with scale 5).
    alpha_prior : Prior
        The prior on the shared intercept, the same under every prior choice.
    parameterization : {"centered", "non_centered"}
        Centred by default: with ten or more observations a group, each group's slope is
        well determined by its own data, the case where the centred form samples better.
    sampler : {"nutpie", "pymc"}
        The NUTS implementation (see :func:`hbm_widgets.sample`). nutpie by default: a
        study fits one model structure per design and prior thousands of times, and nutpie
        compiles it once per worker and then only swaps the data.

    Examples
    --------
    >>> spec = StudySpec(designs=[(50, 5)], priors=["good", "flat"], n_simulations=3)
    >>> [d.name for d in spec.designs], [p.name for p in spec.priors]
    (['N=50, J=5'], ['good', 'flat'])
    >>> spec.n_fits
    6
    """

    designs: tuple[Design, ...] = DEFAULT_DESIGNS
    priors: tuple[PriorChoice, ...] = field(
        default_factory=lambda: tuple(DEFAULT_PRIOR_CHOICES.values())
    )
    n_simulations: int = 300
    draws: int = 500
    tune: int = 500
    chains: int = 2
    seed: int = 20240
    target_accept: float = 0.95
    truth: StudyTruth = field(default_factory=StudyTruth)
    scale_prior: Prior = field(default_factory=lambda: Prior("HalfCauchy", beta=5))
    alpha_prior: Prior = field(default_factory=lambda: Prior("Normal", mu=0, sigma=10))
    parameterization: str = "centered"
    sampler: str = "nutpie"

    def __post_init__(self) -> None:
        designs = _as_designs(self.designs)
        priors = _as_prior_choices(self.priors)
        for kind, items in (("design", designs), ("prior choice", priors)):
            if not items:
                raise WorkbookInputError(f"a study needs at least one {kind}")
            names = [item.name for item in items]
            duplicated = sorted({n for n in names if names.count(n) > 1})
            if duplicated:
                raise WorkbookInputError(f"{kind} names must differ; {duplicated[0]!r} repeats")
            slugs = [_slug(n) for n in names]
            if len(set(slugs)) < len(slugs):
                raise WorkbookInputError(
                    f"{kind} names {names} differ only in punctuation; give them distinct names"
                )
        object.__setattr__(self, "designs", designs)
        object.__setattr__(self, "priors", priors)
        for name, low in (
            ("n_simulations", 1),
            ("draws", 1),
            ("tune", 0),
            ("chains", 1),
            ("seed", 0),
        ):
            object.__setattr__(self, name, check_whole_number(name, getattr(self, name), low=low))
        if not 0 < self.target_accept < 1:
            raise WorkbookInputError(
                f"target_accept must be between 0 and 1, got {self.target_accept!r}"
            )
        if not isinstance(self.truth, StudyTruth):
            raise WorkbookInputError(f"truth must be a StudyTruth, got {self.truth!r}")
        if not isinstance(self.scale_prior, Prior) or self.scale_prior.support != "positive":
            raise WorkbookInputError(
                f"scale_prior must be a Prior on positive values, got {self.scale_prior!r}"
            )
        if not isinstance(self.alpha_prior, Prior) or self.alpha_prior.support != "real":
            raise WorkbookInputError(
                f"alpha_prior must be a Prior on the real line, got {self.alpha_prior!r}"
            )
        ModelSpec(parameterization=self.parameterization)  # checks the name
        if self.sampler not in SAMPLERS:
            raise WorkbookInputError(f"sampler must be one of {SAMPLERS}, got {self.sampler!r}")

    @property
    def n_fits(self) -> int:
        return len(self.designs) * len(self.priors) * self.n_simulations

    def replace(self, **changes) -> StudySpec:
        """A copy with some settings changed, checked like a new spec."""
        return replace(self, **changes)

    def design(self, name: str | Design) -> Design:
        """The design called ``name``."""
        if isinstance(name, Design):
            return name
        for design in self.designs:
            if design.name == name:
                return design
        known = ", ".join(repr(d.name) for d in self.designs)
        raise WorkbookInputError(f"no design called {name!r}; this study has {known}")

    def prior(self, name: str | PriorChoice) -> PriorChoice:
        """The prior choice called ``name``."""
        if isinstance(name, PriorChoice):
            return name
        for prior in self.priors:
            if prior.name == name:
                return prior
        known = ", ".join(repr(p.name) for p in self.priors)
        raise WorkbookInputError(f"no prior choice called {name!r}; this study has {known}")

    def fingerprint(self, design: Design, prior: PriorChoice) -> str:
        """A short hash of everything that decides the fits of one (design, prior) cell."""
        settings = {
            "design": [design.n_obs, design.n_groups],
            "prior": [repr(prior.gamma0), repr(prior.gamma1)],
            "truth": asdict(self.truth),
            "scale_prior": repr(self.scale_prior),
            "alpha_prior": repr(self.alpha_prior),
            "sampler": [self.draws, self.tune, self.chains, self.target_accept, self.sampler],
            "seed": self.seed,
            "parameterization": self.parameterization,
        }
        text = json.dumps(settings, sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()[:10]

    def to_dict(self) -> dict:
        """The settings as plain values (saved next to a study's results)."""
        return {
            "designs": [[d.name, d.n_obs, d.n_groups] for d in self.designs],
            "priors": {p.name: [str(p.gamma0), str(p.gamma1)] for p in self.priors},
            "n_simulations": self.n_simulations,
            "draws": self.draws,
            "tune": self.tune,
            "chains": self.chains,
            "seed": self.seed,
            "target_accept": self.target_accept,
            "truth": asdict(self.truth),
            "scale_prior": str(self.scale_prior),
            "alpha_prior": str(self.alpha_prior),
            "parameterization": self.parameterization,
            "sampler": self.sampler,
        }


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") or "x"
