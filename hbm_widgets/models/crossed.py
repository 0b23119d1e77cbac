"""Crossed and nested group effects: countries in regions, crossed with verticals in industries.

An advertiser's campaigns each belong to a country (nested in a region) and to a vertical
(nested in an industry); every campaign has a spend and an outcome. The intercept and the
slope on log spend of campaign ``i`` are each a sum of four group parts,

    y_i ~ StudentT(nu, alpha_i + beta_i * x_i, sigma),          x_i = log_spend_i - centre
    alpha_i = mu_alpha + alpha_country[j] + alpha_region[l] + alpha_vertical[k] + alpha_industry[m]
    beta_i  = mu_beta  + beta_country[j]  + beta_region[l]  + beta_vertical[k]  + beta_industry[m]
    alpha_level[g] ~ Normal(0, sigma_alpha_level),   beta_level[g] ~ Normal(0, sigma_beta_level),

so a campaign's coefficients are a country part (country + region, ``gamma_*_country``)
plus a vertical part (vertical + industry, ``gamma_*_vertical``). A constant added to every
effect of a level and taken from ``mu`` changes no prediction, so each level's effects are
made to sum to zero (``ZeroSumNormal``): ``mu`` carries the average. :func:`simulate_crossed`
draws data from exactly this process with stated true values (each level's effects drawn,
then centred); :func:`build_crossed_model` writes it in PyMC, non-centred;
:func:`crossed_response_curves` predicts the expected outcome over a range of spend for any
country (observed or new) and vertical; :func:`crossed_recovery` sets the posterior beside
the simulated truth.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pymc as pm

from hbm_widgets.core.data import _as_numeric
from hbm_widgets.core.errors import DataValidationError, SpecificationError, WorkbookInputError
from hbm_widgets.core.priors import Prior

__all__ = [
    "CROSSED_PRIORS",
    "CROSSED_TRUTH",
    "CrossedData",
    "CrossedSimulation",
    "build_crossed_model",
    "crossed_recovery",
    "crossed_response_curves",
    "simulate_crossed",
]

# The simulated world: regions and their countries, industries and their verticals.
REGIONS: Mapping[str, tuple[str, ...]] = {
    "Africa": ("Kenya", "Nigeria", "South Africa"),
    "Americas": ("Brazil", "Canada", "Mexico"),
    "Asia-Pacific": ("Australia", "India", "Japan"),
    "Europe": ("France", "Germany", "Portugal", "Spain"),
}
INDUSTRIES: Mapping[str, tuple[str, ...]] = {
    "finance": ("banking", "insurance"),
    "media": ("news", "streaming"),
    "retail": ("electronics", "fashion"),
    "travel": ("airlines", "hotels"),
}
LEVELS = ("country", "region", "vertical", "industry")

# The true values the simulation draws from (log conversions against log spend).
CROSSED_TRUTH: Mapping[str, float] = {
    "mu_alpha": 4.0,  # log conversions of a typical campaign at the centre spend
    "mu_beta": 0.7,  # a typical elasticity: +1 in log spend adds 0.7 to log conversions
    "sigma_alpha_country": 0.3,
    "sigma_alpha_region": 0.4,
    "sigma_alpha_vertical": 0.3,
    "sigma_alpha_industry": 0.4,
    "sigma_beta_country": 0.1,
    "sigma_beta_region": 0.15,
    "sigma_beta_vertical": 0.1,
    "sigma_beta_industry": 0.15,
    "sigma": 0.3,  # scale of the Student-t noise
    "nu": 4.0,  # its degrees of freedom: heavier tails than a normal
}
LOG_SPEND_CENTRE = 2.5  # log of 12 000 dollars (spend in thousands), where alpha is read

# Two sets of priors. "half_cauchy" follows the classic recipe for this model: vague normal
# centres, half-Cauchy scales with scale 2.5 and Gamma(2, 0.1) degrees of freedom.
# "weakly_informative" keeps nu's prior, centres a typical campaign (12 000 dollars) on
# e^3 = 20 conversions give or take a factor of e^2 each way and its elasticity on 0.5 +- 0.5,
# and gives the scales thinner tails, sized for effects on the log scale.
CROSSED_PRIORS: Mapping[str, Mapping[str, Prior]] = {
    "half_cauchy": {
        "mu_alpha": Prior("Normal", mu=0, sigma=10),
        "mu_beta": Prior("Normal", mu=0, sigma=10),
        "sigma_alpha": Prior("HalfCauchy", beta=2.5),
        "sigma_beta": Prior("HalfCauchy", beta=2.5),
        "sigma": Prior("HalfCauchy", beta=2.5),
        "nu": Prior("Gamma", alpha=2, beta=0.1),
    },
    "weakly_informative": {
        "mu_alpha": Prior("Normal", mu=3, sigma=2),
        "mu_beta": Prior("Normal", mu=0.5, sigma=0.5),
        "sigma_alpha": Prior("HalfNormal", sigma=0.5),
        "sigma_beta": Prior("HalfNormal", sigma=0.25),
        "sigma": Prior("Exponential", lam=1),
        "nu": Prior("Gamma", alpha=2, beta=0.1),
    },
}
_POSITIVE_ROLES = ("sigma_alpha", "sigma_beta", "sigma", "nu")


@dataclass(frozen=True, eq=False)
class CrossedData:
    """Validated arrays for the crossed-and-nested model.

    Build it with :meth:`from_frame`. Countries must each sit in one region and verticals
    in one industry; the dims of the model are named after the four label columns.

    Attributes
    ----------
    outcome : ndarray of float, shape (n_obs,)
    predictor : ndarray of float, shape (n_obs,)
        The spend covariate minus ``centre``, so that intercepts are read at ``centre``.
    centre : float
    country_idx, vertical_idx : ndarray of int, shape (n_obs,)
    country_region_idx : ndarray of int, shape (n_countries,)
        The region of each country, as a position in ``names["region"]``.
    vertical_industry_idx : ndarray of int, shape (n_verticals,)
    names : dict of str to ndarray of str
        Sorted labels of each level (``"country"``, ``"region"``, ``"vertical"``,
        ``"industry"``).
    columns : dict of str to str
        The data column behind each level (the model's dims are named after these).
    outcome_name, predictor_name : str
    frame : DataFrame
        The rows used, with the original columns.
    """

    outcome: np.ndarray
    predictor: np.ndarray
    centre: float
    country_idx: np.ndarray
    vertical_idx: np.ndarray
    country_region_idx: np.ndarray
    vertical_industry_idx: np.ndarray
    names: dict[str, np.ndarray]
    columns: dict[str, str]
    outcome_name: str
    predictor_name: str
    frame: pd.DataFrame | None = field(default=None, repr=False)

    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        *,
        outcome: str,
        predictor: str,
        country: str = "country",
        region: str = "region",
        vertical: str = "vertical",
        industry: str = "industry",
        centre: float | None = None,
    ) -> CrossedData:
        """Check a data frame and turn it into index arrays.

        Parameters
        ----------
        df : DataFrame
            One row per observation.
        outcome, predictor : str
            Numeric columns: the outcome and the covariate whose slope varies (log spend).
        country, region, vertical, industry : str
            Label columns. Each country must belong to exactly one region, each vertical to
            exactly one industry.
        centre : float, optional
            Subtracted from the predictor (default: its mean), so that the intercepts are
            the outcome at that value.

        Raises
        ------
        DataValidationError
            A column is missing or not numeric, a value is missing, the predictor has no
            variance, a country sits in two regions (or a vertical in two industries), or a
            level has fewer than two groups.
        """
        if not isinstance(df, pd.DataFrame):
            raise DataValidationError(f"expected a pandas DataFrame, got {type(df).__name__}")
        label_columns = {
            "country": country,
            "region": region,
            "vertical": vertical,
            "industry": industry,
        }
        roles = {"outcome": outcome, "predictor": predictor, **label_columns}
        for role, column in roles.items():
            if column not in df.columns:
                available = ", ".join(map(str, df.columns))
                raise DataValidationError(
                    f"{role} column {column!r} is not in the data; available columns: {available}"
                )
        if len(set(roles.values())) < len(roles):
            raise DataValidationError(f"each role needs its own column, got {roles}")
        used = df[list(roles.values())].copy()
        for role in ("outcome", "predictor"):
            used[roles[role]] = _as_numeric(used[roles[role]], role, roles[role])
        missing = used.isna().sum()
        if missing.any():
            counts = ", ".join(f"{c!r}: {int(n)}" for c, n in missing.items() if n)
            raise DataValidationError(
                f"{int(used.isna().any(axis=1).sum())} of {len(used)} rows have missing "
                f"values ({counts}); fill them in or drop those rows first"
            )
        for label in label_columns.values():
            used[label] = used[label].astype(str)

        for child, parent in (("country", "region"), ("vertical", "industry")):
            parents = used.groupby(label_columns[child])[label_columns[parent]].unique()
            doubled = parents[parents.map(len) > 1]
            if len(doubled):
                name, found = doubled.index[0], sorted(doubled.iloc[0])
                raise DataValidationError(
                    f"{child} {name!r} appears in {len(found)} {parent}s "
                    f"({', '.join(map(repr, found))}); each {child} must sit in one {parent}"
                )

        names = {
            level: np.asarray(sorted(used[col].unique())) for level, col in label_columns.items()
        }
        for level, values in names.items():
            if len(values) < 2:
                raise DataValidationError(
                    f"{level} column {label_columns[level]!r} has {len(values)} distinct value(s); "
                    f"a {level} effect needs at least two {level} groups"
                )
        x = used[predictor].to_numpy(dtype=float)
        if np.ptp(x) == 0:
            raise DataValidationError(
                f"predictor column {predictor!r} has no variance (every value is {x[0]:g})"
            )
        if centre is None:
            centre = float(x.mean())
        elif not np.isfinite(centre):
            raise DataValidationError(f"centre must be a finite number, got {centre!r}")

        def positions(level: str, values) -> np.ndarray:
            lookup = {name: i for i, name in enumerate(names[level])}
            return np.asarray([lookup[v] for v in values], dtype=np.int64)

        country_parent = used.groupby(label_columns["country"])[label_columns["region"]].first()
        vertical_parent = used.groupby(label_columns["vertical"])[label_columns["industry"]].first()
        return cls(
            outcome=used[outcome].to_numpy(dtype=float),
            predictor=x - float(centre),
            centre=float(centre),
            country_idx=positions("country", used[country]),
            vertical_idx=positions("vertical", used[vertical]),
            country_region_idx=positions("region", country_parent.loc[names["country"]]),
            vertical_industry_idx=positions("industry", vertical_parent.loc[names["vertical"]]),
            names=names,
            columns=label_columns,
            outcome_name=outcome,
            predictor_name=predictor,
            frame=used.reset_index(drop=True),
        )

    @property
    def n_obs(self) -> int:
        return int(self.outcome.shape[0])

    @property
    def coords(self) -> dict[str, list]:
        """PyMC coordinates: one dim per level, named after its column, and ``obs_id``."""
        coords = {self.columns[level]: self.names[level].tolist() for level in LEVELS}
        coords["obs_id"] = list(range(self.n_obs))
        return coords

    def region_of(self, country: str) -> str:
        """The region a country of the data sits in."""
        position = self._position("country", country)
        return str(self.names["region"][self.country_region_idx[position]])

    def industry_of(self, vertical: str) -> str:
        """The industry a vertical of the data sits in."""
        position = self._position("vertical", vertical)
        return str(self.names["industry"][self.vertical_industry_idx[position]])

    def counts(self, level: str = "country") -> pd.Series:
        """Observations per group of ``level`` (every group of the data, sorted)."""
        column = self.columns[_check_level(level)]
        return self.frame[column].value_counts().reindex(self.names[level]).rename("n")

    def _position(self, level: str, name: str) -> int:
        found = np.flatnonzero(self.names[level] == str(name))
        if not len(found):
            known = ", ".join(self.names[level])
            raise WorkbookInputError(f"{level} {name!r} is not in the data; known: {known}")
        return int(found[0])

    def __repr__(self) -> str:
        sizes = ", ".join(f"{len(self.names[level])} {level}" for level in LEVELS)
        return f"CrossedData(outcome={self.outcome_name!r}, n_obs={self.n_obs}, {sizes})"


def _check_level(level: str) -> str:
    if level not in LEVELS:
        raise WorkbookInputError(f"unknown level {level!r}; expected one of: {', '.join(LEVELS)}")
    return level


@dataclass(frozen=True)
class CrossedSimulation:
    """A simulated data set and the true values behind it.

    Attributes
    ----------
    frame : DataFrame
        One row per campaign: ``country``, ``region``, ``vertical``, ``industry``,
        ``log_spend``, ``log_conversions`` and ``outlier`` (True for the planted outliers).
    truth : DataFrame
        Columns ``parameter`` (the model variable's name), ``group`` (its coordinate, empty
        for scalars) and ``true``: every hyperparameter and every group effect drawn,
        including those of ``new_country`` (which has no rows in ``frame``).
    sparse_country, outlier_country, new_country : str
    new_country_region : str
    """

    frame: pd.DataFrame
    truth: pd.DataFrame
    sparse_country: str
    outlier_country: str
    new_country: str
    new_country_region: str

    def true_coefficients(self, country: str, vertical: str) -> tuple[float, float]:
        """The true intercept (at the centre spend) and slope of one country and vertical."""
        truth = self.truth.set_index(["parameter", "group"])["true"]
        region = _parent(REGIONS, country)
        industry = _parent(INDUSTRIES, vertical)
        parts = {"country": country, "region": region, "vertical": vertical, "industry": industry}
        intercept = truth[("mu_alpha", "")] + sum(
            truth[(f"alpha_{lvl}", g)] for lvl, g in parts.items()
        )
        slope = truth[("mu_beta", "")] + sum(truth[(f"beta_{lvl}", g)] for lvl, g in parts.items())
        return float(intercept), float(slope)


def _parent(tree: Mapping[str, Sequence[str]], child: str) -> str:
    for parent, children in tree.items():
        if child in children:
            return parent
    raise WorkbookInputError(f"{child!r} is not in the simulated world")


def simulate_crossed(
    rng: np.random.Generator,
    *,
    obs_per_cell: int = 5,
    sparse_obs: int = 4,
    n_outliers: int = 5,
    outlier_shift: float = 3.0,
    sparse_country: str = "Portugal",
    outlier_country: str = "Germany",
    new_country: str = "Spain",
    truth: Mapping[str, float] | None = None,
) -> CrossedSimulation:
    """Simulate campaigns from the crossed-and-nested model with known true values.

    The data-generating process, in order:

    1. every group effect is drawn once: ``alpha_country[j] ~ N(0, sigma_alpha_country)``
       and likewise for the slope and for regions, verticals and industries, with the
       scales in ``CROSSED_TRUTH`` (or ``truth``); each level's effects are then centred
       to sum to zero (the new country's, drawn apart, is not);
    2. each country except the sparse and the new one gets ``obs_per_cell`` campaigns in
       every vertical; the sparse country gets ``sparse_obs`` campaigns in verticals drawn
       at random; the new country gets none (it is kept back for prediction);
    3. log spend (thousands of dollars) is uniform on [0.5, 4.5], about 1 600 to 90 000
       dollars;
    4. ``log_conversions = alpha + beta * (log_spend - 2.5) + sigma * t_nu`` noise;
    5. ``n_outliers`` campaigns of the outlier country, picked at random, have
       ``outlier_shift`` added (a tracking fault that counted each conversion about
       ``exp(outlier_shift)`` times).

    Parameters
    ----------
    rng : numpy.random.Generator
        The chapter's seeded generator.
    obs_per_cell : int
        Campaigns per (country, vertical) cell for the well-measured countries.
    sparse_obs : int
        Campaigns of the sparse country.
    n_outliers : int
        Planted outliers (0 for clean data).
    outlier_shift : float
        Added to the outcome of each outlier.
    sparse_country, outlier_country, new_country : str
        Countries of the simulated world (see ``REGIONS``) given those roles; all three differ.
    truth : mapping, optional
        Replaces some of ``CROSSED_TRUTH``'s values.

    Examples
    --------
    >>> sim = simulate_crossed(np.random.default_rng(1), obs_per_cell=2)
    >>> int(sim.frame["outlier"].sum()), sim.new_country in set(sim.frame["country"])
    (5, False)
    """
    for name, value, low in (
        ("obs_per_cell", obs_per_cell, 1),
        ("sparse_obs", sparse_obs, 1),
        ("n_outliers", n_outliers, 0),
    ):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise WorkbookInputError(f"{name} must be a whole number >= {low}, got {value!r}")
    countries = [c for members in REGIONS.values() for c in members]
    roles = {
        "sparse_country": sparse_country,
        "outlier_country": outlier_country,
        "new_country": new_country,
    }
    for role, country in roles.items():
        if country not in countries:
            raise WorkbookInputError(
                f"{role}={country!r} is not a simulated country; choose from {', '.join(countries)}"
            )
    if len(set(roles.values())) < 3:
        raise WorkbookInputError(f"the three country roles need three different countries: {roles}")
    if n_outliers > 8 * obs_per_cell:
        raise WorkbookInputError(
            f"n_outliers={n_outliers} is more than the {8 * obs_per_cell} campaigns of "
            f"{outlier_country}"
        )
    values = dict(CROSSED_TRUTH)
    for key, value in (truth or {}).items():
        if key not in values:
            raise WorkbookInputError(
                f"unknown true value {key!r}; expected one of: {', '.join(values)}"
            )
        values[key] = float(value)

    groups = {
        "country": countries,
        "region": list(REGIONS),
        "vertical": [v for members in INDUSTRIES.values() for v in members],
        "industry": list(INDUSTRIES),
    }
    effects: dict[tuple[str, str], dict[str, float]] = {}
    rows = [
        {"parameter": name, "group": "", "true": values[name]}
        for name in ("mu_alpha", "mu_beta", "sigma", "nu")
    ]
    for coefficient in ("alpha", "beta"):
        for level, members in groups.items():
            scale = values[f"sigma_{coefficient}_{level}"]
            rows.append({"parameter": f"sigma_{coefficient}_{level}", "group": "", "true": scale})
            draws = rng.normal(0.0, scale, size=len(members))
            # Centred, so that each level's effects sum to zero and mu carries the average.
            # The new country is drawn on its own: it is not one of the observed countries.
            observed = np.asarray([m != new_country for m in members])
            draws[observed] -= draws[observed].mean()
            effects[(coefficient, level)] = dict(zip(members, draws, strict=True))
            rows += [
                {"parameter": f"{coefficient}_{level}", "group": g, "true": float(d)}
                for g, d in zip(members, draws, strict=True)
            ]
        # The country part (country + region) and the vertical part (vertical + industry).
        for child, parent, tree in (
            ("country", "region", REGIONS),
            ("vertical", "industry", INDUSTRIES),
        ):
            for member in groups[child]:
                part = (
                    effects[(coefficient, child)][member]
                    + effects[(coefficient, parent)][_parent(tree, member)]
                )
                rows.append(
                    {
                        "parameter": f"gamma_{coefficient}_{child}",
                        "group": member,
                        "true": float(part),
                    }
                )
    truth_frame = pd.DataFrame(rows)

    cells = []
    for country in countries:
        if country in (sparse_country, new_country):
            continue
        for vertical in groups["vertical"]:
            cells += [(country, vertical)] * obs_per_cell
    sparse_verticals = rng.choice(groups["vertical"], size=sparse_obs, replace=True)
    cells += [(sparse_country, str(v)) for v in sparse_verticals]
    frame = pd.DataFrame(cells, columns=["country", "vertical"])
    frame["region"] = [_parent(REGIONS, c) for c in frame["country"]]
    frame["industry"] = [_parent(INDUSTRIES, v) for v in frame["vertical"]]
    frame["log_spend"] = rng.uniform(0.5, 4.5, size=len(frame))

    def total(coefficient: str) -> np.ndarray:
        parts = [effects[(coefficient, level)] for level in LEVELS]
        return values[f"mu_{coefficient}"] + sum(
            frame[level].map(part).to_numpy() for level, part in zip(LEVELS, parts, strict=True)
        )

    noise = values["sigma"] * rng.standard_t(values["nu"], size=len(frame))
    frame["log_conversions"] = (
        total("alpha") + total("beta") * (frame["log_spend"].to_numpy() - LOG_SPEND_CENTRE) + noise
    )
    frame["outlier"] = False
    if n_outliers:
        candidates = frame.index[frame["country"] == outlier_country]
        chosen = rng.choice(candidates, size=n_outliers, replace=False)
        frame.loc[chosen, "log_conversions"] += outlier_shift
        frame.loc[chosen, "outlier"] = True
    columns = [
        "country",
        "region",
        "vertical",
        "industry",
        "log_spend",
        "log_conversions",
        "outlier",
    ]
    return CrossedSimulation(
        frame=frame[columns],
        truth=truth_frame,
        sparse_country=sparse_country,
        outlier_country=outlier_country,
        new_country=new_country,
        new_country_region=_parent(REGIONS, new_country),
    )


def _resolve_crossed_priors(priors) -> dict[str, Prior]:
    if isinstance(priors, str):
        if priors not in CROSSED_PRIORS:
            raise SpecificationError(
                f"unknown prior set {priors!r}; expected one of: {', '.join(CROSSED_PRIORS)}"
            )
        return dict(CROSSED_PRIORS[priors])
    if not isinstance(priors, Mapping):
        raise SpecificationError(
            f"priors must be the name of a prior set or a mapping of role to Prior, got {priors!r}"
        )
    resolved = dict(CROSSED_PRIORS["weakly_informative"])
    allowed = {
        "mu_alpha",
        "mu_beta",
        *_POSITIVE_ROLES,
        *(f"sigma_{c}_{lvl}" for c in ("alpha", "beta") for lvl in LEVELS),
    }
    for role, prior in priors.items():
        if role not in allowed:
            raise SpecificationError(
                f"no parameter called {role!r} takes a prior; expected one of: "
                f"{', '.join(sorted(allowed))}"
            )
        if not isinstance(prior, Prior):
            raise SpecificationError(f"the prior for {role!r} must be a Prior, got {prior!r}")
        if role.startswith("sigma") or role == "nu":
            if prior.support != "positive":
                raise SpecificationError(
                    f"{role!r} is positive and needs a prior on positive values, got {prior}"
                )
        elif prior.support != "real":
            raise SpecificationError(f"{role!r} needs a prior on the real line, got {prior}")
        resolved[role] = prior
    return resolved


def build_crossed_model(
    data: CrossedData,
    *,
    priors: str | Mapping[str, Prior] = "weakly_informative",
    likelihood: str = "student_t",
) -> pm.Model:
    """The crossed-and-nested varying intercept and slope model, non-centred.

    Parameters
    ----------
    data : CrossedData
    priors : {"weakly_informative", "half_cauchy"} or mapping of str to Prior
        A named set from ``CROSSED_PRIORS`` or a mapping that overrides roles of the
        weakly informative set: ``mu_alpha``, ``mu_beta``, ``sigma_alpha`` and
        ``sigma_beta`` (every level's scale), ``sigma_alpha_<level>`` /
        ``sigma_beta_<level>`` (one level's), ``sigma`` and ``nu``.
    likelihood : {"student_t", "normal"}

    Returns
    -------
    pymc.Model
        Free variables ``mu_alpha``, ``mu_beta``, for each level ``sigma_alpha_<level>``,
        ``sigma_beta_<level>``, ``z_alpha_<level>`` and ``z_beta_<level>`` (dims ``<level>``),
        ``sigma`` and, for Student-t, ``nu``; deterministic ``alpha_<level>`` and
        ``beta_<level>`` (the group parts); data containers for the indices and the
        centred predictor; the observed outcome named after its column.

    Examples
    --------
    >>> sim = simulate_crossed(np.random.default_rng(1), obs_per_cell=1)
    >>> data = CrossedData.from_frame(sim.frame, outcome="log_conversions", predictor="log_spend")
    >>> model = build_crossed_model(data)
    >>> model.named_vars_to_dims["alpha_region"]
    ('region',)
    """
    if not isinstance(data, CrossedData):
        raise SpecificationError(
            f"expected CrossedData (see CrossedData.from_frame), got {type(data).__name__}"
        )
    if likelihood not in ("student_t", "normal"):
        raise SpecificationError(
            f"unknown likelihood {likelihood!r}; expected one of: student_t, normal"
        )
    chosen = _resolve_crossed_priors(priors)
    dims = data.columns
    with pm.Model(coords=data.coords) as model:
        country_idx = pm.Data(f"{dims['country']}_idx", data.country_idx, dims="obs_id")
        vertical_idx = pm.Data(f"{dims['vertical']}_idx", data.vertical_idx, dims="obs_id")
        region_of_country = pm.Data(
            f"{dims['region']}_of_{dims['country']}", data.country_region_idx, dims=dims["country"]
        )
        industry_of_vertical = pm.Data(
            f"{dims['industry']}_of_{dims['vertical']}",
            data.vertical_industry_idx,
            dims=dims["vertical"],
        )
        x = pm.Data(f"{data.predictor_name}_centred", data.predictor, dims="obs_id")

        coefficient = {}
        for name in ("alpha", "beta"):
            effects = {}
            for level in LEVELS:
                dim = dims[level]
                scale_prior = chosen.get(f"sigma_{name}_{level}", chosen[f"sigma_{name}"])
                scale = scale_prior.create(f"sigma_{name}_{dim}")
                # Non-centred: standard-normal offsets times the level's scale. The offsets
                # of a level sum to zero, so that mu_name alone carries the average.
                offset = pm.ZeroSumNormal(f"z_{name}_{dim}", sigma=1, dims=dim)
                effects[level] = pm.Deterministic(f"{name}_{dim}", scale * offset, dims=dim)
            # The country part (country + its region) and the vertical part (vertical + its
            # industry): what the data pin down, however they split between the two levels.
            country_part = pm.Deterministic(
                f"gamma_{name}_{dims['country']}",
                effects["country"] + effects["region"][region_of_country],
                dims=dims["country"],
            )
            vertical_part = pm.Deterministic(
                f"gamma_{name}_{dims['vertical']}",
                effects["vertical"] + effects["industry"][industry_of_vertical],
                dims=dims["vertical"],
            )
            coefficient[name] = (
                chosen[f"mu_{name}"].create(f"mu_{name}")
                + country_part[country_idx]
                + vertical_part[vertical_idx]
            )

        mu = coefficient["alpha"] + coefficient["beta"] * x
        sigma = chosen["sigma"].create("sigma")
        if likelihood == "student_t":
            nu = chosen["nu"].create("nu")
            pm.StudentT(
                data.outcome_name, nu=nu, mu=mu, sigma=sigma, observed=data.outcome, dims="obs_id"
            )
        else:
            pm.Normal(data.outcome_name, mu=mu, sigma=sigma, observed=data.outcome, dims="obs_id")
    return model


def _posterior_draws(idata, name: str) -> np.ndarray:
    """A posterior variable as an array with the draws (chains stacked) first."""
    posterior = idata["posterior"]
    if name not in posterior.data_vars:
        raise WorkbookInputError(f"the posterior has no variable {name!r}")
    variable = posterior[name]
    extra = [d for d in variable.dims if d not in ("chain", "draw")]
    values = variable.transpose("chain", "draw", *extra).values
    return values.reshape((-1, *values.shape[2:]))


def crossed_response_curves(
    idata,
    data: CrossedData,
    groups: Sequence[tuple[str, str]],
    *,
    new_countries: Mapping[str, str] | None = None,
    log_spend: Sequence[float] | None = None,
    rng: np.random.Generator | None = None,
    predictive: bool = False,
) -> pd.DataFrame:
    """Expected outcome over a range of spend for (country, vertical) pairs, with bands.

    For a country of the data the draws of its four group parts are added up. A country
    listed in ``new_countries`` (name -> region) has no data: each posterior draw gets a
    fresh country part drawn from the population, ``N(0, sigma_alpha_country)`` and
    ``N(0, sigma_beta_country)``, on top of its region's part, so its band carries the
    between-country spread as well as the uncertainty about the region.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit of :func:`build_crossed_model` on ``data``.
    data : CrossedData
    groups : sequence of (country, vertical)
    new_countries : mapping of str to str, optional
        New countries and the (known) region each belongs to.
    log_spend : sequence of float, optional
        Where to predict (default: 25 points across the data's range).
    rng : numpy.random.Generator, optional
        Draws the new countries' parts and the noise; needed when there are new countries
        or ``predictive`` is true.
    predictive : bool
        False (default): bands of the expected outcome. True: bands of the outcome of one
        new campaign, each draw's curve plus a draw of the noise (Student-t with the draw's
        ``nu`` and ``sigma``, or normal where the fit has no ``nu``).

    Returns
    -------
    DataFrame
        One row per group and spend value: ``group`` ("country · vertical"), ``country``,
        ``vertical``, ``new_country`` (bool), ``n_obs`` (the country's observations),
        ``log_spend``, ``mean``, ``lower_90``, ``upper_90``, ``lower_50``, ``upper_50``.
    """
    new_countries = dict(new_countries or {})
    if new_countries and rng is None:
        raise WorkbookInputError("predicting a new country needs rng= to draw its effect")
    if predictive and rng is None:
        raise WorkbookInputError("predicting a new campaign needs rng= to draw its noise")
    if not groups:
        raise WorkbookInputError("groups is empty; pass (country, vertical) pairs to predict")
    dims = data.columns
    for name, region in new_countries.items():
        if name in data.names["country"]:
            raise WorkbookInputError(f"{name!r} is a country of the data, not a new one")
        if region not in data.names["region"]:
            known = ", ".join(data.names["region"])
            raise WorkbookInputError(
                f"region {region!r} of {name!r} is not in the data; known: {known}"
            )
    if log_spend is None:
        observed = data.predictor + data.centre
        grid = np.linspace(observed.min(), observed.max(), 25)
    else:
        grid = np.asarray(log_spend, dtype=float)
        if grid.ndim != 1 or not len(grid) or not np.isfinite(grid).all():
            raise WorkbookInputError(
                f"log_spend must be a list of finite numbers, got {log_spend!r}"
            )
    x = grid - data.centre

    draws = {
        (name, level): _posterior_draws(idata, f"{name}_{dims[level]}")
        for name in ("alpha", "beta")
        for level in LEVELS
    }
    mu = {name: _posterior_draws(idata, f"mu_{name}") for name in ("alpha", "beta")}
    n_draws = mu["alpha"].shape[0]
    new_parts = {}
    for name in new_countries:
        new_parts[name] = {
            coef: _posterior_draws(idata, f"sigma_{coef}_{dims['country']}")
            * rng.standard_normal(n_draws)
            for coef in ("alpha", "beta")
        }
    counts = data.counts("country")
    frames = []
    for country, vertical in groups:
        is_new = country in new_countries
        region = new_countries[country] if is_new else data.region_of(country)
        industry = data.industry_of(vertical)
        positions = {
            "region": data._position("region", region),
            "vertical": data._position("vertical", vertical),
            "industry": data._position("industry", industry),
        }
        if not is_new:
            positions["country"] = data._position("country", country)
        coefficient = {}
        for name in ("alpha", "beta"):
            total = mu[name].copy()
            for level, position in positions.items():
                total = total + draws[(name, level)][:, position]
            if is_new:
                total = total + new_parts[country][name]
            coefficient[name] = total
        curves = coefficient["alpha"][:, None] + coefficient["beta"][:, None] * x[None, :]
        if predictive:
            curves = curves + _noise_draws(idata, curves.shape, rng)
        quantiles = np.quantile(curves, [0.05, 0.25, 0.75, 0.95], axis=0)
        frames.append(
            pd.DataFrame(
                {
                    "group": f"{country} · {vertical}",
                    "country": country,
                    "vertical": vertical,
                    "new_country": is_new,
                    "n_obs": 0 if is_new else int(counts[country]),
                    "log_spend": grid,
                    "mean": curves.mean(axis=0),
                    "lower_90": quantiles[0],
                    "lower_50": quantiles[1],
                    "upper_50": quantiles[2],
                    "upper_90": quantiles[3],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _noise_draws(idata, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """One noise draw per posterior draw (rows) and spend value (columns)."""
    sigma = _posterior_draws(idata, "sigma")[:, None]
    if "nu" in idata["posterior"].data_vars:
        nu = _posterior_draws(idata, "nu")[:, None]
        return sigma * rng.standard_t(np.broadcast_to(nu, shape))
    return sigma * rng.standard_normal(shape)


def crossed_recovery(idata, truth: pd.DataFrame, *, prob: float = 0.9) -> pd.DataFrame:
    """Each simulated true value beside its posterior mean and central interval.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit with a ``posterior`` group.
    truth : DataFrame
        Columns ``parameter``, ``group`` (empty for scalars) and ``true``, as in
        :attr:`CrossedSimulation.truth`. Rows whose parameter or group the posterior does
        not have (a country kept out of the data) are left out.
    prob : float
        Mass of the central (equal-tailed) interval.

    Returns
    -------
    DataFrame
        ``parameter``, ``group``, ``true_value``, ``posterior_mean``, ``lower``, ``upper``
        and ``covered`` (the true value lies inside the interval).
    """
    if not 0 < prob < 1:
        raise WorkbookInputError(f"prob must be between 0 and 1, got {prob!r}")
    missing = {"parameter", "group", "true"} - set(truth.columns)
    if missing:
        raise WorkbookInputError(
            f"truth needs the columns parameter, group and true; missing {sorted(missing)}"
        )
    posterior = idata["posterior"]
    tail = (1 - prob) / 2
    rows = []
    for row in truth.itertuples(index=False):
        if row.parameter not in posterior.data_vars:
            continue
        variable = posterior[row.parameter]
        if row.group:
            (dim,) = [d for d in variable.dims if d not in ("chain", "draw")]
            if row.group not in variable[dim].values:
                continue
            variable = variable.sel({dim: row.group})
        values = variable.values.ravel()
        lower, upper = np.quantile(values, [tail, 1 - tail])
        rows.append(
            {
                "parameter": row.parameter,
                "group": row.group,
                "true_value": float(row.true),
                "posterior_mean": float(values.mean()),
                "lower": float(lower),
                "upper": float(upper),
                "covered": bool(lower <= row.true <= upper),
            }
        )
    return pd.DataFrame(rows)
