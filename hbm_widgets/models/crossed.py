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
made to sum to zero (``ZeroSumNormal``): ``mu`` carries the average.  This module holds
the simulated world, the true values, the priors and the data (:class:`CrossedData`);
:mod:`~hbm_widgets.models.crossed_simulation` draws data from exactly this process with
stated true values, and :mod:`~hbm_widgets.models.crossed_model` writes the model in PyMC,
predicts with it and sets its posterior beside the truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hbm_widgets.core.data import _as_numeric, _check_role_columns
from hbm_widgets.core.errors import DataValidationError, WorkbookInputError
from hbm_widgets.core.priors import Prior

__all__ = [
    "CROSSED_PRIORS",
    "CROSSED_TRUTH",
    "CrossedData",
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
        _check_role_columns(df, roles)
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
