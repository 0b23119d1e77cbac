"""PSIS-LOO for a normal model without ever holding every observation's log-likelihood.

Storing the pointwise log-likelihood of a fit takes ``draws x observations`` numbers (9.6 GB
for 4,000 draws of 300,000 observations). :func:`loo_in_chunks` instead computes it from the
posterior draws a block of observations at a time, runs ArviZ's Pareto-smoothed importance
sampling on each block (``DataArray.azstats.loo``), keeps the per-observation results
(elpd, p_loo, Pareto k) and drops the block, and sums the results with ArviZ's own
``loo_summary``: the same numbers as ``az.loo`` on the full array, in bounded memory.

ArviZ's PSIS works one observation at a time (about a millisecond each at 4,000 draws), so
on a large file the exact estimate takes minutes per model. Above ``subsample`` observations
the estimate is the one of ``arviz_stats.loo_subsample(method="plpd")`` (Magnusson et al.,
2019): PSIS on a simple random sample of observations, every observation's log density at the
posterior means as the approximation (one evaluation per observation, where the log
predictive density would need one per draw), and ArviZ's difference estimator for the total
and its standard errors.
The same seed gives every model the same sample, so ``az.compare`` estimates the differences
between models on shared observations.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from arviz_stats.utils import ELPDDataLOO, ELPDDataLOOSubsample
from scipy import stats

from hbm_widgets.core.data import GroupedData
from hbm_widgets.core.errors import WorkbookInputError
from hbm_widgets.core.fitted import check_fit

__all__ = ["DEFAULT_LOO_SUBSAMPLE", "loo_in_chunks", "pointwise_log_likelihood"]

# Exact PSIS on every observation up to this many; a random sample of this many above.
DEFAULT_LOO_SUBSAMPLE = 10_000
# Log-likelihood values held at once (32 MB of float64), whatever the number of draws.
_CHUNK_VALUES = 4 * 2**20
_SAMPLE_DIMS = ("chain", "draw")


def _group_draws(posterior: xr.Dataset, name: str, data: GroupedData) -> np.ndarray | None:
    """A coefficient's draws as (chain, draw, groups) or (chain, draw, 1) when shared."""
    if name not in posterior:
        return None
    values = posterior[name]
    group_dim = data.model_names.group_dim
    if group_dim in values.dims:
        return values.transpose(*_SAMPLE_DIMS, group_dim).to_numpy()
    return values.transpose(*_SAMPLE_DIMS).to_numpy()[..., None]


def pointwise_log_likelihood(idata, data: GroupedData, rows) -> np.ndarray:
    """The normal log-likelihood of the given observations under every posterior draw.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit of a normal model built by :func:`hbm_widgets.build_model` on ``data``
        (posterior ``alpha``, ``sigma`` and, with a predictor, ``beta``).
    data : GroupedData
    rows : slice or array of int
        The observations, by position.

    Returns
    -------
    ndarray
        Shape (chain, draw, observations).
    """
    posterior = check_fit(idata).posterior
    if "alpha" not in posterior or "sigma" not in posterior:
        raise WorkbookInputError(
            "the fit has no 'alpha' and 'sigma': is it a fit of hbm.build_model's normal model?"
        )
    group_idx = data.group_idx[rows]
    intercepts = _group_draws(posterior, "alpha", data)
    mean = intercepts[..., group_idx if intercepts.shape[-1] > 1 else np.zeros_like(group_idx)]
    slopes = _group_draws(posterior, "beta", data)
    if slopes is not None and data.predictor is not None:
        slope_idx = group_idx if slopes.shape[-1] > 1 else np.zeros_like(group_idx)
        mean = mean + slopes[..., slope_idx] * data.predictor[rows]
    sigma = posterior["sigma"].transpose(*_SAMPLE_DIMS).to_numpy()[..., None]
    return stats.norm.logpdf(data.outcome[rows], loc=mean, scale=sigma)


def _relative_efficiency(posterior: xr.Dataset) -> float:
    """``ess / n`` averaged over every posterior value, as ``arviz_stats.loo`` computes it."""
    n_samples = posterior.sizes["chain"] * posterior.sizes["draw"]
    if posterior.sizes["chain"] == 1:
        return 1.0
    ess = posterior.azstats.ess(method="mean")
    return float(np.hstack([ess[v].to_numpy().ravel() for v in ess.data_vars]).mean() / n_samples)


def _chunks(rows: np.ndarray, n_samples: int):
    size = max(1, _CHUNK_VALUES // n_samples)
    for start in range(0, rows.size, size):
        yield rows[start : start + size]


def _psis(idata, data: GroupedData, rows: np.ndarray, reff: float):
    """elpd_i, p_loo_i and Pareto k of the given observations, from ArviZ's PSIS by blocks."""
    elpd, p_loo, pareto_k = [], [], []
    n_samples = idata.posterior.sizes["chain"] * idata.posterior.sizes["draw"]
    for chunk in _chunks(rows, n_samples):
        log_lik = xr.DataArray(
            pointwise_log_likelihood(idata, data, chunk), dims=(*_SAMPLE_DIMS, "obs_id")
        )
        elpd_i, k_i, p_i = log_lik.azstats.loo(sample_dims=list(_SAMPLE_DIMS), r_eff=reff)
        elpd.append(elpd_i.to_numpy())
        pareto_k.append(k_i.to_numpy())
        p_loo.append(p_i.to_numpy())
    return np.concatenate(elpd), np.concatenate(p_loo), np.concatenate(pareto_k)


def _point_log_predictive_density(idata, data: GroupedData) -> np.ndarray:
    """log p(y_i | posterior means) for every observation: ArviZ's "plpd" approximation,
    one evaluation per observation, so its cost is that of reading the file."""
    posterior = check_fit(idata).posterior.to_dataset()
    means = posterior.mean(_SAMPLE_DIMS).expand_dims(chain=1, draw=1)
    point = xr.DataTree.from_dict({"posterior": means})
    return pointwise_log_likelihood(point, data, slice(None))[0, 0]


def _good_k(n_samples: int) -> float:
    """ArviZ's threshold on Pareto k for a sample size (``min(1 - 1/log10(S), 0.7)``)."""
    return min(1 - 1 / np.log10(n_samples), 0.7)


def loo_in_chunks(
    idata,
    data: GroupedData,
    *,
    subsample: int | None = DEFAULT_LOO_SUBSAMPLE,
    seed: int = 0,
) -> ELPDDataLOO:
    """PSIS-LOO of a normal model's fit, computed a block of observations at a time.

    Parameters
    ----------
    idata : xarray.DataTree
        The fit (no ``log_likelihood`` group needed).
    data : GroupedData
        The data the model was fitted on.
    subsample : int or None
        With more observations than this, estimate from a simple random sample of this many
        (an ``ELPDDataLOOSubsample``); None: always every observation.
    seed : int
        Chooses the sample; give every model of a comparison the same one.

    Returns
    -------
    arviz_stats.utils.ELPDDataLOO
        Pointwise (``elpd_i``, ``pareto_k`` over ``obs_id``), as ``az.compare`` takes it.
    """
    posterior = check_fit(idata).posterior
    n_samples = posterior.sizes["chain"] * posterior.sizes["draw"]
    reff = _relative_efficiency(posterior)
    good_k = _good_k(n_samples)
    coords = {"obs_id": np.arange(data.n_obs)}
    if subsample is not None and (isinstance(subsample, bool) or subsample < 2):
        raise WorkbookInputError(
            f"subsample must be None or a whole number >= 2, got {subsample!r}"
        )
    if subsample is None or data.n_obs <= subsample:
        elpd_i, p_loo_i, pareto_k = _psis(idata, data, np.arange(data.n_obs), reff)
        elpd_da = xr.DataArray(elpd_i, dims="obs_id", coords=coords, name="elpd_i")
        elpd, se, p_loo, _ = elpd_da.azstats.loo_summary(xr.DataArray(p_loo_i, dims="obs_id"))
        return ELPDDataLOO(
            elpd=elpd,
            se=se,
            p=p_loo,
            n_samples=n_samples,
            n_data_points=data.n_obs,
            scale="log",
            warning=bool(np.any(pareto_k > good_k)),
            good_k=good_k,
            elpd_i=elpd_da,
            pareto_k=xr.DataArray(pareto_k, dims="obs_id", coords=coords, name="pareto_k"),
            approx_posterior=False,
        )

    rows = np.sort(np.random.default_rng(seed).choice(data.n_obs, size=subsample, replace=False))
    lpd_all = xr.DataArray(_point_log_predictive_density(idata, data), dims="obs_id", coords=coords)
    elpd_sample, p_loo_sample, k_sample = _psis(idata, data, rows, reff)
    on_rows = {"obs_id": rows}
    elpd_sample_da = xr.DataArray(elpd_sample, dims="obs_id", coords=on_rows)
    elpd, subsampling_se, se = elpd_sample_da.azstats.diff_srs_estimator(
        lpd_approx_sample=lpd_all.isel(obs_id=rows),
        lpd_approx_all=lpd_all,
        n_data_points=data.n_obs,
    )
    p_loo, _, _ = xr.DataArray(p_loo_sample, dims="obs_id").azstats.srs_estimator(
        n_data_points=data.n_obs
    )
    elpd_full = xr.full_like(lpd_all, np.nan).rename("elpd_i")
    elpd_full[rows] = elpd_sample
    k_full = xr.full_like(lpd_all, np.nan).rename("pareto_k")
    k_full[rows] = k_sample
    return ELPDDataLOOSubsample(
        elpd=elpd,
        se=se,
        p=p_loo,
        n_samples=n_samples,
        n_data_points=data.n_obs,
        scale="log",
        warning=bool(np.any(k_sample > good_k)),
        good_k=good_k,
        elpd_i=elpd_full,
        pareto_k=k_full,
        approx_posterior=False,
        subsampling_se=subsampling_se,
        subsample_size=subsample,
        loo_subsample_observations=rows,
        elpd_loo_approx=lpd_all,
    )
