"""Fake data with known answers: the cafe simulation, and how well a fit recovers the truth.

Simulating data from known parameter values and fitting the model to them is the check that
comes before any real data: if the posterior does not cover the values the data were made
from, the model, its priors or the sampler are wrong, and no real data set will say so.

The cafes follow McElreath's example: each cafe has its own morning waiting time ``a_j``
and afternoon difference ``b_j``, drawn together from a bivariate normal with means
``(a, b)``, standard deviations ``(sigma_a, sigma_b)`` and correlation ``rho`` (busy cafes,
with long mornings, gain most in the afternoon, hence a negative ``rho``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import xarray as xr

from hbm_widgets.core.data import GroupedData
from hbm_widgets.core.errors import WorkbookInputError, check_whole_number

__all__ = [
    "CAFE_PARAMETERS",
    "CafeSimulation",
    "CafeTruth",
    "recovery_table",
    "simulate_cafes",
]

# Each population value of the simulation, and the variable of the varying intercept and
# slope model (``ModelSpec(pooling="partial", varying="both")``) that estimates it.
CAFE_PARAMETERS: Mapping[str, str] = {
    "a": "mu_alpha",
    "b": "mu_beta",
    "sigma_a": "sigma_alpha",
    "sigma_b": "sigma_beta",
    "rho": "rho",
    "sigma": "sigma",
}


@dataclass(frozen=True)
class CafeTruth:
    """Population values of the cafe simulation (waiting times in minutes).

    Parameters
    ----------
    a, b : float
        Average morning wait, and average change from morning to afternoon.
    sigma_a, sigma_b : float
        How much cafes differ in their morning waits and in their afternoon changes.
    rho : float
        Correlation between a cafe's morning wait and its afternoon change.
    sigma : float
        Spread of single visits around the cafe's expected wait.
    """

    a: float = 3.5
    b: float = -1.0
    sigma_a: float = 1.0
    sigma_b: float = 0.5
    rho: float = -0.7
    sigma: float = 0.5

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if isinstance(value, bool) or not isinstance(value, int | float | np.number):
                raise WorkbookInputError(f"{name} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise WorkbookInputError(f"{name} must be finite, got {value}")
            object.__setattr__(self, name, float(value))
        for name in ("sigma_a", "sigma_b", "sigma"):
            if getattr(self, name) <= 0:
                raise WorkbookInputError(
                    f"{name} is a standard deviation and must be positive, "
                    f"got {getattr(self, name):g}"
                )
        if not -1 < self.rho < 1:
            raise WorkbookInputError(f"rho must lie strictly between -1 and 1, got {self.rho:g}")

    @property
    def covariance(self) -> np.ndarray:
        """The 2 x 2 covariance of ``(a_j, b_j)``: diag(sigma) R diag(sigma)."""
        scales = np.diag([self.sigma_a, self.sigma_b])
        correlation = np.array([[1.0, self.rho], [self.rho, 1.0]])
        return scales @ correlation @ scales


@dataclass(frozen=True, eq=False)
class CafeSimulation:
    """One simulated data set and the values it was made from.

    Attributes
    ----------
    visits : DataFrame
        One row per visit: ``cafe``, ``afternoon`` (0 = morning, 1 = afternoon) and ``wait``.
    cafes : DataFrame
        One row per cafe: ``cafe``, its morning wait ``a`` and afternoon change ``b``.
    truth : CafeTruth
    """

    visits: pd.DataFrame
    cafes: pd.DataFrame
    truth: CafeTruth

    def grouped(self) -> GroupedData:
        """The visits as grouped data: outcome ``wait``, predictor ``afternoon``, by ``cafe``."""
        return GroupedData.from_frame(
            self.visits, group="cafe", outcome="wait", predictor="afternoon"
        )

    def true_values(self) -> dict[str, float | np.ndarray]:
        """The truth under the model's variable names, cafe by cafe for ``alpha`` and ``beta``."""
        values: dict[str, float | np.ndarray] = {
            variable: getattr(self.truth, name) for name, variable in CAFE_PARAMETERS.items()
        }
        values["alpha"] = self.cafes["a"].to_numpy()
        values["beta"] = self.cafes["b"].to_numpy()
        return values


def simulate_cafes(
    rng: np.random.Generator,
    *,
    n_cafes: int = 20,
    visits: int = 10,
    truth: CafeTruth | None = None,
) -> CafeSimulation:
    """Simulate waiting times at cafes whose intercepts and slopes are correlated.

    Each cafe is visited ``visits`` times, alternately in the morning and the afternoon.

    Parameters
    ----------
    rng : numpy.random.Generator
        The chapter's seeded generator.
    n_cafes : int
        Number of cafes (at least 2).
    visits : int
        Visits to each cafe (at least 2, so that each has a morning and an afternoon).
    truth : CafeTruth, optional
        Population values; the defaults are a = 3.5, b = -1, sigma_a = 1, sigma_b = 0.5,
        rho = -0.7 and sigma = 0.5.

    Examples
    --------
    >>> sim = simulate_cafes(np.random.default_rng(1), n_cafes=3, visits=4)
    >>> sim.visits.shape, sorted(sim.visits["afternoon"].unique().tolist())
    ((12, 3), [0, 1])
    """
    if not isinstance(rng, np.random.Generator):
        raise WorkbookInputError(
            f"rng must be a numpy Generator (np.random.default_rng(seed)), got {rng!r}"
        )
    n_cafes = check_whole_number("n_cafes", n_cafes, low=2)
    visits = check_whole_number("visits", visits, low=2)
    truth = truth or CafeTruth()
    if not isinstance(truth, CafeTruth):
        raise WorkbookInputError(f"truth must be a CafeTruth, got {truth!r}")
    effects = rng.multivariate_normal([truth.a, truth.b], truth.covariance, size=n_cafes)
    width = len(str(n_cafes - 1))
    names = np.array([f"cafe {j:0{width}d}" for j in range(n_cafes)])
    cafe = np.repeat(np.arange(n_cafes), visits)
    afternoon = np.tile(np.arange(visits) % 2, n_cafes)
    expected = effects[cafe, 0] + effects[cafe, 1] * afternoon
    wait = rng.normal(expected, truth.sigma)
    return CafeSimulation(
        visits=pd.DataFrame({"cafe": names[cafe], "afternoon": afternoon, "wait": wait}),
        cafes=pd.DataFrame({"cafe": names, "a": effects[:, 0], "b": effects[:, 1]}),
        truth=truth,
    )


def recovery_table(
    idata: xr.DataTree, truth: Mapping[str, float | np.ndarray], *, prob: float = 0.9
) -> pd.DataFrame:
    """Each true value beside its posterior mean and central ``prob`` interval.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit with a ``posterior`` group (as ``hbm.sample`` returns).
    truth : mapping of str to float or array
        True values keyed by posterior variable name; a scalar for a scalar variable, an
        array (in the order of the variable's dims, row by row) for a vector or matrix one, such as
        :meth:`CafeSimulation.true_values`.
    prob : float
        Mass of the central interval (0.9: from the 5% to the 95% quantile).

    Returns
    -------
    DataFrame
        Columns ``level`` (``population`` for scalars, ``group`` for vector entries),
        ``parameter`` (``alpha[cafe 03]`` for vector entries), ``true_value``,
        ``posterior_mean``, ``lower``, ``upper`` and ``covered``.
    """
    if not 0 < prob < 1:
        raise WorkbookInputError(f"prob must be between 0 and 1, got {prob!r}")
    posterior = idata["posterior"].to_dataset()
    tail = (1 - prob) / 2
    rows = []
    for name, value in truth.items():
        if name not in posterior.data_vars:
            raise WorkbookInputError(
                f"the posterior has no variable {name!r}; it has {', '.join(posterior.data_vars)}"
            )
        draws = posterior[name].stack(sample=("chain", "draw"))
        true = np.atleast_1d(np.asarray(value, dtype=float)).ravel()
        other_dims = [d for d in draws.dims if d != "sample"]
        if not other_dims:
            labels, matrix, level = [name], draws.values[None, :], "population"
        else:
            # One row per entry, in the order of the variable's dims (cafe, then effect).
            entries = draws.stack(entry=other_dims).transpose("entry", "sample")
            labels = [
                f"{name}[{', '.join(str(c) for c in np.atleast_1d(key))}]"
                for key in entries["entry"].values
            ]
            matrix = entries.values
            level = "group"
        if true.shape[0] != matrix.shape[0]:
            raise WorkbookInputError(
                f"{name!r} has {matrix.shape[0]} value(s) in the posterior but "
                f"{true.shape[0]} true value(s) were given"
            )
        lower, upper = np.quantile(matrix, [tail, 1 - tail], axis=1)
        for label, t, row, lo, hi in zip(labels, true, matrix, lower, upper, strict=True):
            rows.append(
                {
                    "level": level,
                    "parameter": label,
                    "true_value": float(t),
                    "posterior_mean": float(row.mean()),
                    "lower": float(lo),
                    "upper": float(hi),
                    "covered": bool(lo <= t <= hi),
                }
            )
    return pd.DataFrame(rows)
