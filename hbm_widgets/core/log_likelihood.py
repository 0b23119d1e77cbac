"""The pointwise log-likelihood of a fit, for LOO and WAIC: PyMC's, with one repair.

``pm.compute_log_likelihood`` evaluates each observation's log density at every draw. In
PyMC 6.4 it fails for a model with an ``LKJCorr`` prior: after removing the value
transforms, the correlation's value variable keeps the name ``<name>_cholesky`` while the
posterior stores it as ``<name>``, and the cast of the draws to the value variables' types
looks them up by the value name ("exact match required for all data variable names"). For
such a model the same computation runs here with the draws renamed to the value variables;
every other model goes to PyMC unchanged.
"""

from __future__ import annotations

import pymc as pm
import xarray as xr
from pymc.backends.arviz import apply_function_over_dataset, coords_and_dims_for_inferencedata
from pymc.model.transform.conditioning import remove_value_transforms

__all__ = ["add_log_likelihood"]


def add_log_likelihood(idata: xr.DataTree, model: pm.Model) -> xr.DataTree:
    """Add a ``log_likelihood`` group to ``idata``: one value per observation and draw.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit of ``model`` (its ``posterior`` holds every free variable).
    model : pymc.Model
        The model that was sampled.

    Returns
    -------
    xarray.DataTree
        ``idata`` itself, extended.

    Examples
    --------
    >>> hbm.add_log_likelihood(idata, model).log_likelihood  # doctest: +SKIP
    """
    unconstrained = remove_value_transforms(model)
    values = {rv.name: unconstrained.rvs_to_values[unconstrained[rv.name]] for rv in model.free_RVs}
    value_names = {name: value.name for name, value in values.items()}
    if all(name == value for name, value in value_names.items()):
        pm.compute_log_likelihood(idata, model=model, progressbar=False)
        return idata
    observed = list(unconstrained.observed_RVs)
    pointwise = unconstrained.compile_fn(
        inputs=unconstrained.value_vars,
        outs=unconstrained.logp(vars=observed, sum=False),
        on_unused_input="ignore",
    )
    draws = idata.posterior.to_dataset()[list(value_names)].rename(value_names)
    draws = draws.astype({value.name: value.type.dtype for value in values.values()}, copy=False)
    coords, dims = coords_and_dims_for_inferencedata(unconstrained)
    idata["log_likelihood"] = apply_function_over_dataset(
        pointwise,
        draws,
        output_var_names=[rv.name for rv in observed],
        coords=coords,
        dims=dims,
        progressbar=False,
    )
    return idata
