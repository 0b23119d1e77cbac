"""Refit quickly: one compiled model per model structure, new data and prior values set in.

A widget refits whenever a control changes. Most changes leave the model's *structure* alone
(the pooling, the varying part, the parameterisation, the likelihood and each prior's family)
and alter only numbers: a prior's parameters, or the data. :class:`Refitter` builds each
structure once with its data and prior parameters in data containers (``build_model`` with
``outcome_as_data=True, priors_as_data=True``), and for a later spec of the same structure
only sets the new values, so that nutpie's compiled sampler is reused (see :func:`sample`): a
refit then takes about as long as the sampling itself.
"""

from __future__ import annotations

import pymc as pm
import xarray as xr

from hbm_widgets.core.build import build_model, prior_data_name
from hbm_widgets.core.data import GroupedData
from hbm_widgets.core.errors import check_whole_number
from hbm_widgets.core.priors import resolve_priors
from hbm_widgets.core.sampling import DEFAULT_TARGET_ACCEPT, sample
from hbm_widgets.core.spec import ModelSpec, check_compatible

__all__ = ["Refitter"]


def _structure(spec: ModelSpec, data: GroupedData) -> tuple:
    """What decides the compiled model: everything but prior parameters and data values."""
    families = tuple(sorted((r, p.distribution) for r, p in resolve_priors(spec, data).items()))
    shape = (
        data.outcome_name,
        data.group_name,
        data.predictor_name,
        data.group_predictor_name,
        data.n_obs,
        tuple(data.group_names),
    )
    return (
        spec.pooling,
        spec.varying,
        spec.parameterization,
        spec.likelihood,
        spec.group_predictor,
        families,
        shape,
    )


class Refitter:
    """Fit specs on data, compiling each model structure once (a widget's fitting function).

    Parameters
    ----------
    draws, tune, chains, target_accept, random_seed :
        Passed to :func:`hbm_widgets.sample` for every fit; the seed is the same for every
        fit, so the same spec on the same data gives the same posterior.
    sampler : {"nutpie", "pymc"}
        nutpie reuses its compilation; PyMC's sampler compiles on every call, so with it a
        Refitter only saves building the model.
    max_models : int
        Structures kept at once (the oldest is dropped first).

    Examples
    --------
    >>> import hbm_widgets as hbm
    >>> data = hbm.GroupedData.from_frame(hbm.load_radon(), group="county",
    ...                                   outcome="log_radon", predictor="floor")
    >>> refit = hbm.Refitter(draws=500, chains=2, random_seed=1)
    >>> spec = hbm.ModelSpec(pooling="partial")
    >>> first = refit(spec, data)  # doctest: +SKIP
    >>> tighter = spec.with_prior("sigma_alpha", hbm.Prior("HalfNormal", sigma=0.2))
    >>> second = refit(tighter, data)  # same structure: no compilation  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        draws: int = 500,
        tune: int = 500,
        chains: int = 2,
        target_accept: float = DEFAULT_TARGET_ACCEPT,
        random_seed: int = 8927,
        sampler: str = "nutpie",
        max_models: int = 8,
    ) -> None:
        max_models = check_whole_number("max_models", max_models, low=1)
        self.settings = {
            "draws": draws,
            "tune": tune,
            "chains": chains,
            "target_accept": target_accept,
            "random_seed": random_seed,
            "sampler": sampler,
        }
        self.max_models = max_models
        self.models: dict[tuple, pm.Model] = {}
        self.builds = 0  # models built (each one compiled once by nutpie)

    def model_for(self, spec: ModelSpec, data: GroupedData) -> pm.Model:
        """The model of this spec's structure, holding this spec's prior values and data."""
        check_compatible(spec, data)
        key = _structure(spec, data)
        model = self.models.get(key)
        if model is None:
            model = build_model(spec, data, outcome_as_data=True, priors_as_data=True)
            self.builds += 1
            if len(self.models) >= self.max_models:
                self.models.pop(next(iter(self.models)))
            self.models[key] = model
            return model
        names = data.model_names
        values = {names.group_index: data.group_idx, names.outcome_observed: data.outcome}
        if data.predictor is not None:
            values[names.predictor] = data.predictor
        if spec.group_predictor:
            values[names.group_predictor] = data.group_predictor
        for role, prior in resolve_priors(spec, data).items():
            for parameter, value in prior.kwargs.items():
                values[prior_data_name(role, parameter)] = value
        with model:
            pm.set_data(values)
        return model

    def __call__(self, spec: ModelSpec, data: GroupedData) -> xr.DataTree:
        return sample(self.model_for(spec, data), **self.settings)
