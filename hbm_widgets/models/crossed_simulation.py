"""Campaign data simulated from the crossed-and-nested model with stated true values.

:func:`simulate_crossed` draws each level's effects (then centres them, as the model's
zero-sum effects are), campaigns' countries, verticals and spends, and their outcomes from
the Student-t noise of :mod:`hbm_widgets.models.crossed`'s model, and returns the data with
the truth beside them (:class:`CrossedSimulation`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hbm_widgets.core.errors import WorkbookInputError, check_whole_number
from hbm_widgets.models.crossed import (
    CROSSED_TRUTH,
    INDUSTRIES,
    LEVELS,
    LOG_SPEND_CENTRE,
    REGIONS,
)

__all__ = ["CrossedSimulation", "simulate_crossed"]


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
    obs_per_cell = check_whole_number("obs_per_cell", obs_per_cell, low=1)
    sparse_obs = check_whole_number("sparse_obs", sparse_obs, low=1)
    n_outliers = check_whole_number("n_outliers", n_outliers, low=0)
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
