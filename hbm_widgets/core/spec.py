"""``ModelSpec``: which two-level model to build, as a frozen value.

A spec says how groups are pooled, which coefficients vary, how the group effects are
parameterised, the likelihood, whether a group-level predictor enters, and any priors that
override the defaults. It holds no data; :func:`hbm_widgets.build_model` combines a spec with
a :class:`~hbm_widgets.GroupedData` to make the PyMC model, and widgets only ever produce specs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal, get_args

from hbm_widgets.core.describe import ModelDescription, describe_spec
from hbm_widgets.core.errors import SpecificationError
from hbm_widgets.core.priors import Prior

if TYPE_CHECKING:
    from hbm_widgets.core.data import GroupedData

__all__ = [
    "POOLING_STRATEGIES",
    "PRIOR_ROLES",
    "ModelDescription",
    "ModelSpec",
    "check_compatible",
    "pooling_strategy_specs",
]

POOLING_STRATEGIES = ("complete", "none", "partial")

Pooling = Literal["complete", "none", "partial"]
Varying = Literal["intercept", "slope", "both"]
Parameterization = Literal["non_centered", "centered"]
Likelihood = Literal["normal", "student_t"]

# Every parameter a prior can be given for, with the support its prior must have.
PRIOR_ROLES: Mapping[str, str] = {
    "alpha": "real",  # the intercept (shared, or each group's under no pooling)
    "beta": "real",  # the slope on the predictor (shared, or each group's under no pooling)
    "mu_alpha": "real",  # mean of the group intercepts
    "mu_beta": "real",  # mean of the group slopes
    "gamma_alpha": "real",  # effect of the group-level predictor on the intercepts
    "gamma_beta": "real",  # effect of the group-level predictor on the slopes
    "sigma_alpha": "positive",  # spread of the group intercepts
    "sigma_beta": "positive",  # spread of the group slopes
    "rho": "correlation",  # correlation of group intercepts and slopes (LKJ)
    "sigma": "positive",  # residual scale
    "nu": "positive",  # Student-t degrees of freedom
}


@dataclass(frozen=True)
class ModelSpec:
    """What model to build.

    Parameters
    ----------
    pooling : {"partial", "complete", "none"}
        ``complete`` ignores the groups; ``none`` fits each group on its own (no
        hyperprior); ``partial`` draws group coefficients from a common distribution.
    varying : {"intercept", "slope", "both"}
        Which coefficients differ between groups (ignored under complete pooling). ``both``
        under partial pooling draws intercept and slope together with an LKJ correlation.
    parameterization : {"non_centered", "centered"}
        How partially pooled group effects are written. Non-centred (the default) samples
        standardised offsets and scales them, which avoids the funnel when groups are small.
    likelihood : {"normal", "student_t"}
        Student-t estimates its degrees of freedom ``nu`` and resists outliers.
    group_predictor : bool
        Whether the data's group-level predictor shifts the mean of the varying
        coefficients (``alpha_j = mu_alpha + gamma_alpha * u_j + ...``); needs partial pooling.
    priors : mapping of str to Prior
        Priors replacing the defaults, keyed by parameter (see ``PRIOR_ROLES``). Defaults
        are weakly informative and scaled to the data when the model is built.

    Examples
    --------
    >>> spec = ModelSpec(pooling="partial", varying="both")
    >>> spec.with_prior("sigma", Prior("HalfNormal", sigma=1)).prior_overrides["sigma"]
    Prior('HalfNormal', sigma=1)
    """

    pooling: Pooling = "partial"
    varying: Varying = "intercept"
    parameterization: Parameterization = "non_centered"
    likelihood: Likelihood = "normal"
    group_predictor: bool = False
    priors: tuple[tuple[str, Prior], ...] = field(default=())

    def __post_init__(self) -> None:
        for name, kind in (
            ("pooling", Pooling),
            ("varying", Varying),
            ("parameterization", Parameterization),
            ("likelihood", Likelihood),
        ):
            value = getattr(self, name)
            allowed = get_args(kind)
            if value not in allowed:
                raise SpecificationError(
                    f"unknown {name} {value!r}; expected one of: {', '.join(allowed)}"
                )
        if not isinstance(self.group_predictor, bool):
            raise SpecificationError(
                f"group_predictor must be True or False, got {self.group_predictor!r}"
            )
        if self.group_predictor and self.pooling != "partial":
            raise SpecificationError(
                f"a group-level predictor needs pooling='partial', got pooling={self.pooling!r}"
            )
        priors = self.priors
        if isinstance(priors, Mapping):
            priors = tuple(priors.items())
        checked = {}
        for name, prior in priors:
            _check_prior(name, prior)
            checked[name] = prior
        object.__setattr__(self, "priors", tuple(sorted(checked.items())))

    @property
    def prior_overrides(self) -> dict[str, Prior]:
        """The priors this spec sets explicitly (the rest come from the data)."""
        return dict(self.priors)

    def with_prior(self, name: str, prior: Prior) -> ModelSpec:
        """A copy of this spec with one prior set (or replaced)."""
        return replace(self, priors={**self.prior_overrides, name: prior})

    def replace(self, **changes) -> ModelSpec:
        """A copy with some fields changed, checked like a new spec."""
        return replace(self, **changes)

    @property
    def varies_intercept(self) -> bool:
        return self.pooling != "complete" and self.varying in ("intercept", "both")

    @property
    def varies_slope(self) -> bool:
        return self.pooling != "complete" and self.varying in ("slope", "both")

    @property
    def correlated(self) -> bool:
        """Whether intercepts and slopes are drawn jointly with an LKJ correlation."""
        return self.pooling == "partial" and self.varying == "both"

    @property
    def label(self) -> str:
        """A short name such as ``partial pooling, varying intercept``."""
        if self.pooling == "complete":
            return "complete pooling"
        what = {"intercept": "intercept", "slope": "slope", "both": "intercept and slope"}
        label = (
            f"{'no' if self.pooling == 'none' else 'partial'} pooling, varying {what[self.varying]}"
        )
        if self.group_predictor:
            label += ", group predictor"
        return label

    def prior_roles(self, *, has_predictor: bool = True) -> list[str]:
        """The parameters that take a prior in this model, in reading order."""
        roles: list[str] = []
        partial = self.pooling == "partial"
        if self.varies_intercept and partial:
            roles += ["mu_alpha", "sigma_alpha"] + (["gamma_alpha"] if self.group_predictor else [])
        else:
            roles.append("alpha")
        if has_predictor or self.varies_slope:
            if self.varies_slope and partial:
                roles += ["mu_beta", "sigma_beta"] + (
                    ["gamma_beta"] if self.group_predictor else []
                )
            else:
                roles.append("beta")
        if self.correlated:
            roles.append("rho")
        roles.append("sigma")
        if self.likelihood == "student_t":
            roles.append("nu")
        return roles

    def describe(self, data=None) -> ModelDescription:
        """The model in plain words and LaTeX.

        With ``data`` (a ``GroupedData``), priors are shown with the values the model will
        use and the variables are named after the data's columns.
        """
        return describe_spec(self, data)


def _check_prior(name: str, prior: Prior) -> None:
    if name not in PRIOR_ROLES:
        raise SpecificationError(
            f"no parameter called {name!r} takes a prior; expected one of: {', '.join(PRIOR_ROLES)}"
        )
    if not isinstance(prior, Prior):
        raise SpecificationError(
            f"the prior for {name!r} must be a Prior, e.g. Prior('Normal', mu=0, sigma=1); "
            f"got {prior!r}"
        )
    needed = PRIOR_ROLES[name]
    if needed == "correlation" and prior.support != "correlation":
        raise SpecificationError(f"{name!r} needs an LKJCorr prior, got {prior}")
    if needed == "positive" and prior.support != "positive":
        raise SpecificationError(
            f"{name!r} is a scale and needs a prior on positive values "
            f"(HalfNormal, Exponential, HalfCauchy...), got {prior}"
        )
    if needed == "real" and prior.support == "correlation":
        raise SpecificationError(f"{name!r} cannot take an LKJCorr prior")


def pooling_strategy_specs(
    *, varying: str = "intercept", group_predictor: bool = False
) -> dict[str, ModelSpec]:
    """Complete, no and partial pooling with the same varying part, keyed by strategy.

    Parameters
    ----------
    varying : {"intercept", "slope", "both"}
        What differs between groups under no and partial pooling.
    group_predictor : bool
        Whether the partial-pooling model uses the data's group-level predictor (the other
        two strategies cannot: they have no population distribution for it to shift).

    Examples
    --------
    >>> specs = pooling_strategy_specs(varying="intercept")
    >>> [spec.label for spec in specs.values()]
    ['complete pooling', 'no pooling, varying intercept', 'partial pooling, varying intercept']
    """
    return {
        "complete": ModelSpec(pooling="complete", varying=varying),
        "none": ModelSpec(pooling="none", varying=varying),
        "partial": ModelSpec(pooling="partial", varying=varying, group_predictor=group_predictor),
    }


def check_compatible(spec: ModelSpec, data: GroupedData) -> None:
    """Raise a SpecificationError when the data cannot support the spec (e.g. no predictor)."""
    # Imported here: a spec is made and read without pandas, which the data need.
    from hbm_widgets.core.data import GroupedData

    if not isinstance(spec, ModelSpec):
        raise SpecificationError(f"expected a ModelSpec, got {type(spec).__name__}")
    if not isinstance(data, GroupedData):
        raise SpecificationError(
            f"expected GroupedData (see GroupedData.from_frame), got {type(data).__name__}"
        )
    if spec.varies_slope and data.predictor is None:
        raise SpecificationError(
            f"varying={spec.varying!r} needs a predictor whose slope can vary, "
            "but the data have none; pass predictor=... when loading them"
        )
    if spec.group_predictor and data.group_predictor is None:
        raise SpecificationError(
            "the spec uses a group-level predictor but the data have none; "
            "pass group_predictor=... when loading them"
        )
