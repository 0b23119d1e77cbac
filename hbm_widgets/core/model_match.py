"""Whether two PyMC models are the same model: variables, dims, shapes and log density.

A chapter writes its model by hand and then shows that ``build_model`` builds the same one;
the tests hold the two together with this comparison, and the modelling exercises use it to
tell a learner how their model differs from the one asked for.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pymc as pm
import pytensor

__all__ = ["ModelMatch", "match_models"]


@dataclass(frozen=True)
class ModelMatch:
    """How a model compares with a reference model.

    Attributes
    ----------
    variables : pandas.DataFrame
        One row per free or observed variable of either model: its kind and shape in each
        (``None`` where a model lacks it).
    missing, extra : tuple of str
        Variables only the reference has, and only the model has.
    mismatched : tuple of str
        Variables both have, with different shapes or kinds.
    logp, reference_logp : float
        The log density of each model at the same point (NaN when the models' value
        variables differ, so no common point exists).
    """

    variables: pd.DataFrame
    missing: tuple[str, ...]
    extra: tuple[str, ...]
    mismatched: tuple[str, ...]
    logp: float
    reference_logp: float

    @property
    def same_structure(self) -> bool:
        """The same free and observed variables, of the same shapes."""
        return not (self.missing or self.extra or self.mismatched)

    @property
    def same_logp(self) -> bool:
        return math.isclose(self.logp, self.reference_logp, rel_tol=1e-9, abs_tol=1e-8)

    @property
    def same(self) -> bool:
        """The same variables and shapes, and the same log density at a common point."""
        return self.same_structure and self.same_logp

    def differences(self) -> list[str]:
        """What differs, one sentence each (empty when the models are the same)."""
        found = []
        if self.missing:
            found.append(f"variables missing: {', '.join(self.missing)}")
        if self.extra:
            found.append(f"variables the reference does not have: {', '.join(self.extra)}")
        for name in self.mismatched:
            row = self.variables.loc[name]
            found.append(
                f"{name} is a {row['kind']} of shape {row['shape']}, "
                f"but a {row['reference kind']} of shape {row['reference shape']} in the reference"
            )
        if self.same_structure and not self.same_logp:
            found.append(
                f"log density {self.logp:.6f} against {self.reference_logp:.6f} at the same "
                "point: a prior, likelihood or transform differs"
            )
        return found

    def __str__(self) -> str:
        if self.same:
            return (
                f"The same model: {len(self.variables)} variables of the same shapes, and log "
                f"density {self.logp:.4f} in both at the same point."
            )
        return "The models differ: " + "; ".join(self.differences()) + "."

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(str(self))}</p>" + self.variables.to_html(na_rep="—")


# One evaluation of each graph, so the Python implementations of its operations: compiling
# them to C first would take most of a second a model, for nothing.
_ONE_EVALUATION = "FAST_COMPILE"


def _variables(model: pm.Model) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Free and observed variables: name -> (kind, shape)."""
    kinds = [("free", rv) for rv in model.free_RVs]
    kinds += [("observed", rv) for rv in model.observed_RVs]
    shapes = pytensor.function([], [rv.shape for _, rv in kinds], mode=_ONE_EVALUATION)()
    return {
        rv.name: (kind, tuple(int(s) for s in shape))
        for (kind, rv), shape in zip(kinds, shapes, strict=True)
    }


def _logp_at(model: pm.Model, point: dict) -> float:
    try:
        return float(model.compile_logp(mode=_ONE_EVALUATION)(point))
    except NotImplementedError:
        # An operation with no Python implementation (an elementwise sum of more than 32
        # terms, as the crossed model's): compiled to C after all.
        return float(model.compile_logp()(point))


def _common_point(model: pm.Model, reference: pm.Model, seed: int) -> dict | None:
    """A point on the unconstrained scale, drawn at random but the same for both models."""
    start = reference.initial_point()
    if set(start) != set(model.initial_point()):
        return None
    rng = np.random.default_rng(seed)
    # Away from the initial point (zeros on the unconstrained scale), so that two models
    # that differ only where a parameter is 0 or 1 are still told apart.
    return {name: value + rng.normal(0, 0.5, size=np.shape(value)) for name, value in start.items()}


def match_models(model: pm.Model, reference: pm.Model, *, seed: int = 0) -> ModelMatch:
    """Compare ``model`` with ``reference``: variables, shapes and log density at one point.

    Parameters
    ----------
    model, reference : pymc.Model
        For example a model written by hand and the one ``build_model`` gives for its spec.
    seed : int
        Seed of the random point (on the unconstrained scale) where both log densities are
        evaluated.

    Returns
    -------
    ModelMatch
        ``.same`` is true when both have the same free and observed variables, of the same
        shapes, and the same log density at the point; ``.differences()`` says what differs.

    Examples
    --------
    >>> import pymc as pm
    >>> with pm.Model() as a:
    ...     mu = pm.Normal("mu", 0, 1)
    ...     y = pm.Normal("y", mu, 1, observed=[0.1, -0.3])
    >>> with pm.Model() as b:
    ...     mu = pm.Normal("mu", 0, 2)
    ...     y = pm.Normal("y", mu, 1, observed=[0.1, -0.3])
    >>> match_models(a, a).same, match_models(a, b).same_structure, match_models(a, b).same
    (True, True, False)
    """
    ours, theirs = _variables(model), _variables(reference)
    names = list(theirs) + [name for name in ours if name not in theirs]
    rows = []
    for name in names:
        kind, shape = ours.get(name, (None, None))
        ref_kind, ref_shape = theirs.get(name, (None, None))
        rows.append(
            {
                "variable": name,
                "kind": kind,
                "shape": shape,
                "reference kind": ref_kind,
                "reference shape": ref_shape,
            }
        )
    variables = pd.DataFrame(rows).set_index("variable")
    missing = tuple(name for name in theirs if name not in ours)
    extra = tuple(name for name in ours if name not in theirs)
    mismatched = tuple(name for name in theirs if name in ours and ours[name] != theirs[name])
    logp = reference_logp = math.nan
    point = _common_point(model, reference, seed) if not mismatched else None
    if point is not None:
        logp, reference_logp = _logp_at(model, point), _logp_at(reference, point)
    return ModelMatch(variables, missing, extra, mismatched, logp, reference_logp)
