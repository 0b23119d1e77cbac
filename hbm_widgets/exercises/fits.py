"""Checking a model the learner wrote: its structure, and its posterior against a reference.

A modelling exercise asks the learner to write or change a PyMC model and sample it. Its
check takes what they made (the fitted result, or the model itself) and compares it with a
reference fit of the model asked for: the same variables with the same shapes, and posterior
means that agree within what Monte Carlo error allows. It never shows the reference's
numbers, only which variable is off and which way. The reference fits are made once, by
``scripts/store_reference_fits.py``, and only their summaries are kept (``reference_fits/``),
so a check answers at once.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pymc as pm
import xarray as xr
from scipy import stats

from hbm_widgets.core.diagnostics import ConvergenceReport, convergence_report
from hbm_widgets.exercises import Feedback

__all__ = ["PosteriorSummary", "ReferenceFit", "StaleReferenceWarning", "fit_feedback"]

_SAMPLE_DIMS = ("chain", "draw")
# The chance, over all compared numbers together, that a fit of the right model is told it
# is off: the bound on each number is set so that the family stays below this.
_FALSE_ALARM = 0.001


# The stored summaries of the reference fits, one JSON file an exercise ("10-4.json").
STORED = Path(__file__).parent / "reference_fits"


class StaleReferenceWarning(UserWarning):
    """A reference fit had to be sampled: its stored summary is missing or out of date."""


@dataclass(frozen=True)
class PosteriorSummary:
    """What a check needs of a long fit: each posterior variable's shape, and the mean, SD
    and Monte Carlo standard error of every element, with the fit's convergence figures."""

    shapes: dict[str, tuple[int, ...]]
    mean: dict[str, np.ndarray]
    sd: dict[str, np.ndarray]
    mcse: dict[str, np.ndarray]
    convergence: ConvergenceReport

    @classmethod
    def from_fit(cls, fit: xr.DataTree) -> PosteriorSummary:
        import arviz as az

        posterior = fit.posterior.to_dataset()
        names = list(posterior.data_vars)
        mcse = az.mcse(fit, var_names=names).to_dataset()
        return cls(
            shapes={name: _shape(posterior, name) for name in names},
            mean={name: posterior[name].mean(_SAMPLE_DIMS).to_numpy() for name in names},
            sd={name: posterior[name].std(_SAMPLE_DIMS).to_numpy() for name in names},
            mcse={name: mcse[name].to_numpy() for name in names},
            convergence=convergence_report(fit),
        )

    def to_dict(self) -> dict:
        return {
            "shapes": {name: list(shape) for name, shape in self.shapes.items()},
            **{
                field: {name: values.tolist() for name, values in getattr(self, field).items()}
                for field in ("mean", "sd", "mcse")
            },
            "convergence": self.convergence.to_dict(),
        }

    @classmethod
    def from_dict(cls, stored: dict) -> PosteriorSummary:
        def arrays(field):
            return {name: np.asarray(values, dtype=float) for name, values in stored[field].items()}

        return cls(
            shapes={name: tuple(shape) for name, shape in stored["shapes"].items()},
            mean=arrays("mean"),
            sd=arrays("sd"),
            mcse=arrays("mcse"),
            convergence=ConvergenceReport(**stored["convergence"]),
        )


@dataclass(frozen=True)
class ReferenceFit:
    """The model an exercise asks for, and the summary of a long, converged fit of it."""

    model: pm.Model
    summary: PosteriorSummary
    # The exercise ("10-4") whose reference this is, and the settings of ``sampled`` that
    # make its fit, when it came from ``stored``.
    key: str | None = None
    settings: dict | None = None

    @classmethod
    def from_fit(
        cls, model: pm.Model, fit: xr.DataTree, *, keep: Sequence[str] | None = None, drop=()
    ) -> ReferenceFit:
        """``model`` and a summary of ``fit``, limited by ``keep`` (or ``drop``) to the
        variables a learner's fit must have: those a learner names as they like (a Cholesky
        factor, the offsets of a non-centred form) are left out, so their absence is not a
        difference."""
        posterior = fit["posterior"].to_dataset()
        names = list(posterior.data_vars) if keep is None else list(keep)
        kept = fit.copy()
        kept["posterior"] = posterior[[name for name in names if name not in drop]]
        return cls(model, PosteriorSummary.from_fit(kept))

    @classmethod
    def sampled(
        cls,
        model: pm.Model,
        *,
        random_seed: int,
        keep: Sequence[str] | None = None,
        drop: Sequence[str] = (),
        **sample_settings,
    ) -> ReferenceFit:
        """Fit ``model`` through the workbook's sampler (4 chains of 1000 draws unless told)
        and keep the summary of the variables ``keep`` and ``drop`` leave."""
        from hbm_widgets.core.sampling import sample

        fit = sample(model, random_seed=random_seed, **sample_settings)
        return cls.from_fit(model, fit, keep=keep, drop=drop)

    @classmethod
    def stored(cls, key: str, model: pm.Model, **settings) -> ReferenceFit:
        """The reference of exercise ``key`` ("10-4"), from its stored summary.

        ``settings`` are those of :meth:`sampled`. The summary was made by
        ``scripts/store_reference_fits.py`` with these settings on this model; where it is
        missing or was made with other settings, the model is sampled now (a minute or so)
        with a :class:`StaleReferenceWarning`.
        """
        path = STORED / f"{key}.json"
        stored = json.loads(path.read_text()) if path.is_file() else None
        if stored is None or stored["settings"] != _jsonable(settings):
            warnings.warn(
                f"the stored reference fit of exercise {key} is missing or out of date: "
                "sampling it now",
                StaleReferenceWarning,
                stacklevel=2,
            )
            fresh = cls.sampled(model, **settings)
            return cls(model, fresh.summary, key, _jsonable(settings))
        return cls(model, PosteriorSummary.from_dict(stored["summary"]), key, stored["settings"])

    def stored_form(self) -> dict:
        """What :meth:`stored` reads: the settings, the model's free variables and log
        density at its initial point (which say whether the model has changed since), and
        the summary."""
        return {
            "settings": self.settings,
            "model": model_fingerprint(self.model),
            "summary": self.summary.to_dict(),
        }


def model_fingerprint(model: pm.Model) -> dict:
    """The free variables' shapes and the log density at the initial point: a change to a
    prior, the likelihood or the data changes one of them."""
    point = model.initial_point()
    return {
        "free_variables": {name: list(np.shape(value)) for name, value in point.items()},
        "log_density": float(model.compile_logp()(point)),
    }


def _jsonable(settings: dict) -> dict:
    return json.loads(json.dumps(settings, default=list))


def _model_feedback(answer: pm.Model, reference: ReferenceFit, hints: Mapping[str, str], hint):
    from hbm_widgets.core.model_match import match_models

    match = match_models(answer, reference.model)
    if match.same:
        return Feedback("right", "this is the model asked for; sample it and check the fit too.")
    if match.same_structure:
        return Feedback(
            "close",
            "the right variables with the right shapes, but the log density differs at the "
            f"same point, so a prior or the likelihood is not the one asked for. {hint}",
        )
    return Feedback("wrong", _structure_message(match.missing, match.extra, hints, hint))


def _structure_message(missing, extra, hints: Mapping[str, str], hint: str) -> str:
    parts = []
    if missing:
        parts.append(f"the model needs {', '.join(missing)}")
        parts.extend(hints[name] for name in missing if name in hints)
    if extra:
        parts.append(f"{', '.join(extra)} should not be in it")
        parts.extend(hints[name] for name in extra if name in hints)
    return "; ".join(parts) + f". {hint}"


def _shape(dataset: xr.Dataset, name: str) -> tuple[int, ...]:
    return tuple(n for dim, n in dataset[name].sizes.items() if dim not in _SAMPLE_DIMS)


def _not_converged(fit: xr.DataTree, names: Sequence[str]) -> str | None:
    from hbm_widgets.core.diagnostics import RHAT_BELOW, convergence_report

    report = convergence_report(fit, var_names=list(names))
    if report.max_rhat >= RHAT_BELOW or not math.isfinite(report.max_rhat) or report.divergences:
        return "; ".join(
            message for message in report.warnings() if "R-hat" in message or "diverg" in message
        )
    return None


def fit_feedback(
    answer,
    reference: ReferenceFit,
    *,
    compare: Sequence[str],
    hint: str,
    hints: Mapping[str, str] | None = None,
) -> Feedback:
    """Right, close or wrong for a learner's model or fit, against ``reference``.

    Parameters
    ----------
    answer : xarray.DataTree or pymc.Model
        The learner's fitted result (what ``pm.sample`` or ``hbm.sample`` returned), or the
        model before sampling.
    reference : ReferenceFit
        The model asked for and the summary of a long fit of it.
    compare : sequence of str
        The posterior variables whose means must agree (every element of each).
    hint : str
        Said whenever the answer is not right: where to look, never the numbers.
    hints : mapping, optional
        A sentence for a variable that is missing or should not be there, e.g. why a
        partially pooled model needs ``sigma_alpha``.

    Returns
    -------
    Feedback
        *right* when the structure matches and every compared posterior mean is within the
        Monte Carlo error of the two fits (a bound that a fit of the right model passes
        999 times in 1000); *close* when the structure matches but some mean is off by less
        than a posterior SD, or the fit has not converged; *wrong* otherwise.
    """
    hints = dict(hints or {})
    if isinstance(answer, pm.Model):
        return _model_feedback(answer, reference, hints, hint)
    posterior = getattr(answer, "posterior", None) if isinstance(answer, xr.DataTree) else None
    if posterior is None:
        return Feedback(
            "wrong",
            "expected the fitted result that sampling returned (with a posterior group) or "
            f"the PyMC model, got {type(answer).__name__}. {hint}",
        )
    ours = posterior.to_dataset()
    theirs = reference.summary
    missing = [name for name in theirs.shapes if name not in ours.data_vars]
    extra = [name for name in ours.data_vars if name not in theirs.shapes]
    structural_extra = [name for name in extra if name in hints]
    if missing or structural_extra:
        return Feedback("wrong", _structure_message(missing, structural_extra, hints, hint))
    for name in compare:
        if _shape(ours, name) != theirs.shapes[name]:
            return Feedback(
                "wrong",
                f"{name} has shape {_shape(ours, name)} where {theirs.shapes[name]} is "
                f"expected: check its dims. {hints.get(name, hint)}",
            )
    return _compare_means(answer, theirs, compare, hint)


def _compare_means(fit: xr.DataTree, reference: PosteriorSummary, compare, hint: str) -> Feedback:
    import arviz as az

    ours_mean = fit.posterior.to_dataset()[list(compare)].mean(_SAMPLE_DIMS)
    theirs_mean, theirs_sd = reference.mean, reference.sd
    # The Monte Carlo standard error of each posterior mean, from each fit's own ESS.
    ours_mcse = az.mcse(fit, var_names=list(compare)).to_dataset()
    theirs_mcse = reference.mcse
    count = sum(int(np.size(theirs_mean[name])) for name in compare)
    bound = float(stats.norm.ppf(1 - _FALSE_ALARM / (2 * count)))
    worst_name, worst_sds, worst_sign, beyond_error = None, 0.0, 0.0, False
    for name in compare:
        gap = (np.asarray(ours_mean[name], dtype=float) - theirs_mean[name]).ravel()
        error = np.hypot(
            np.asarray(ours_mcse[name], dtype=float), np.asarray(theirs_mcse[name], dtype=float)
        ).ravel()
        sd = np.asarray(theirs_sd[name], dtype=float).ravel()
        if np.any(np.abs(gap) > bound * error):
            beyond_error = True
        in_sds = np.abs(gap) / np.where(sd > 0, sd, np.inf)
        index = int(np.argmax(in_sds))
        if in_sds[index] > worst_sds:
            worst_name, worst_sds, worst_sign = name, float(in_sds[index]), float(gap[index])
    unconverged = _not_converged(fit, compare)
    if not beyond_error:
        if unconverged:
            return Feedback(
                "close",
                f"the estimates agree, but the fit has not converged ({unconverged}): "
                "sample longer or reparameterise before trusting it.",
            )
        return Feedback("right", "well done: the same model, and the same posterior.")
    direction = "larger" if worst_sign > 0 else "smaller"
    where = f"{worst_name} is {direction} than it should be"
    if unconverged:
        return Feedback(
            "close" if worst_sds <= 1 else "wrong",
            f"{where}, and the fit has not converged ({unconverged}): fix the sampling "
            f"first. {hint}",
        )
    if worst_sds <= 1:
        return Feedback(
            "close",
            f"the right variables, but {where}, by more than Monte Carlo error allows "
            f"(less than a posterior SD). {hint}",
        )
    return Feedback("wrong", f"{where}, by more than a posterior SD. {hint}")
