"""What a prior says before any data: its density, and the data it predicts.

``prior_density`` evaluates a :class:`~hbm_widgets.Prior` on a grid covering almost all of its
mass (with PyMC's own log density, so the curve is exactly what the model uses).
``prior_predictive_summary`` simulates outcomes from a whole model's priors and reports how
many land outside a plausible range, the usual first check of a prior.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pymc as pm
from scipy import stats

from hbm_widgets.core.build import build_model
from hbm_widgets.core.data import GroupedData
from hbm_widgets.core.errors import WorkbookInputError
from hbm_widgets.core.priors import Prior
from hbm_widgets.core.spec import ModelSpec

__all__ = ["PriorPredictiveSummary", "prior_density", "prior_predictive_summary"]


def prior_density(prior: Prior, *, points: int = 400, mass: float = 0.99) -> pd.DataFrame:
    """The prior's density on a grid spanning its central ``mass``.

    Returns columns ``value`` and ``density``. For an ``LKJCorr`` prior the value is the
    correlation of a 2 x 2 matrix, whose LKJ(eta) density is that of a Beta(eta, eta) moved
    to (-1, 1). Flat priors have no density to draw and raise ``WorkbookInputError``.

    Examples
    --------
    >>> frame = prior_density(Prior("Normal", mu=0, sigma=1))
    >>> round(float(frame["value"].min()), 2), round(float(frame["value"].max()), 2)
    (-2.6, 2.58)
    """
    if prior.distribution in ("Flat", "HalfFlat"):
        raise WorkbookInputError(f"a {prior.distribution} prior has no proper density to draw")
    tail = (1 - mass) / 2
    if prior.distribution == "LKJCorr":
        eta = prior.kwargs["eta"]
        grid = np.linspace(-0.999, 0.999, points)
        density = 0.5 * stats.beta(eta, eta).pdf((grid + 1) / 2)
        return pd.DataFrame({"value": grid, "density": density})
    draws = pm.draw(prior.dist(), draws=20_000, random_seed=0)
    low, high = np.quantile(draws, [tail, 1 - tail])
    if prior.support == "positive":
        # Heavy tails (half-Cauchy) would squeeze the bulk into a sliver: cut the axis off.
        low, high = 0.0, min(high, 20 * float(np.median(draws)))
    grid = np.linspace(low, high, points)
    if prior.support == "positive":
        grid = grid[1:]
    density = np.exp(pm.logp(prior.dist(), grid).eval())
    return pd.DataFrame({"value": grid, "density": density})


@dataclass(frozen=True)
class PriorPredictiveSummary:
    """Outcomes simulated from the priors alone, against a plausible range."""

    low: float
    high: float
    share_outside: float
    quantiles: dict[str, float]
    draws: np.ndarray

    def sentence(self, outcome: str = "the outcome") -> str:
        q = self.quantiles
        return (
            f"{self.share_outside:.0%} of prior predictive draws of {outcome} fall outside the "
            f"plausible range [{self.low:.3g}, {self.high:.3g}]; the middle 90% span "
            f"[{q['5%']:.3g}, {q['95%']:.3g}]."
        )


def prior_predictive_summary(
    spec: ModelSpec,
    data: GroupedData,
    *,
    random_seed: int,
    draws: int = 500,
    plausible_range: tuple[float, float] | None = None,
) -> PriorPredictiveSummary:
    """Simulate the outcome from the priors and count draws outside ``plausible_range``.

    The default range is the observed outcomes' range widened by its own width on each side:
    values a priori far outside anything seen.
    """
    if plausible_range is None:
        y_low, y_high = float(data.outcome.min()), float(data.outcome.max())
        width = y_high - y_low
        plausible_range = (y_low - width, y_high + width)
    low, high = map(float, plausible_range)
    if not low < high:
        raise WorkbookInputError(f"plausible_range needs low < high, got {plausible_range}")
    model = build_model(spec, data)
    with model:
        simulated = pm.sample_prior_predictive(draws=draws, random_seed=random_seed)
    values = simulated.prior_predictive[data.model_names.outcome].values.ravel()
    outside = float(np.mean((values < low) | (values > high)))
    quantiles = dict(
        zip(["5%", "50%", "95%"], np.quantile(values, [0.05, 0.5, 0.95]).tolist(), strict=True)
    )
    return PriorPredictiveSummary(low, high, outside, quantiles, values)
