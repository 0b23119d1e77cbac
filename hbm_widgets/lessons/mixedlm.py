"""The frequentist reference: the same two-level model fitted by statsmodels' ``MixedLM``.

``fit_mixedlm(data, spec)`` writes a partially pooled ``ModelSpec`` as a mixed model
(fixed effects for the population means, random effects for the groups), fits it by REML or
maximum likelihood, and names the estimates as the Bayesian model does (``mu_alpha``,
``beta``, ``gamma_alpha``, ``sigma_alpha``, ``sigma``...), so that
``compare_with_mixedlm`` can put the two side by side.

MixedLM's optimiser does not always converge, and ``converged`` alone is not enough: on the
radon data with a county-level predictor the default (BFGS) stops short, and L-BFGS on its
own reports convergence at a degenerate point (a zero county variance and an infinite
likelihood). ``fit_mixedlm`` therefore tries several optimisers, keeps only fits that
converged to a finite likelihood with finite standard errors and positive variances, and
returns the best of those, with every attempt listed.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hbm_widgets.core.data import GroupedData
from hbm_widgets.core.errors import SpecificationError, WorkbookInputError
from hbm_widgets.core.spec import ModelSpec, check_compatible

__all__ = ["MixedLMFit", "compare_with_mixedlm", "fit_mixedlm", "mixedlm_formula"]

DEFAULT_METHODS = ("bfgs", "lbfgs", "powell", "nm")


def mixedlm_formula(spec: ModelSpec, data: GroupedData) -> tuple[str, str]:
    """The fixed-effects formula and random-effects formula that match ``spec``.

    Examples
    --------
    >>> from hbm_widgets import load_radon
    >>> data = GroupedData.from_frame(load_radon(), group="county", outcome="log_radon",
    ...                               predictor="floor", group_predictor="log_uranium")
    >>> mixedlm_formula(ModelSpec(group_predictor=True), data)
    ('log_radon ~ floor + log_uranium', '~1')
    """
    check_compatible(spec, data)
    if spec.pooling != "partial":
        raise SpecificationError(
            f"MixedLM fits partially pooled models; got pooling={spec.pooling!r}"
        )
    if spec.likelihood != "normal":
        raise SpecificationError(
            f"MixedLM assumes a normal likelihood; got likelihood={spec.likelihood!r}"
        )
    y, x, u = data.outcome_name, data.predictor_name, data.group_predictor_name
    terms = []
    if x is not None:
        terms.append(x)
    if spec.group_predictor:
        if spec.varies_intercept:
            terms.append(u)
        if spec.varies_slope:
            terms.append(f"{x}:{u}")
    fixed = f"{y} ~ {' + '.join(terms) if terms else '1'}"
    random = {"intercept": "~1", "slope": f"~0 + {x}", "both": f"~{x}"}[spec.varying]
    return fixed, random


@dataclass(frozen=True)
class MixedLMFit:
    """A MixedLM fit, the optimiser that produced it, and every attempt made.

    Attributes
    ----------
    result : statsmodels MixedLMResults
    method : str
        The optimiser of the fit kept.
    attempts : DataFrame
        One row per optimiser tried: ``method``, ``converged``, ``llf``, ``usable`` and
        ``note``.
    spec : ModelSpec
    reml : bool
    """

    result: object
    method: str
    attempts: pd.DataFrame
    spec: ModelSpec
    reml: bool
    group_name: str
    predictor_name: str | None
    group_predictor_name: str | None

    @property
    def converged(self) -> bool:
        return bool(self.result.converged)

    def estimates(self) -> pd.DataFrame:
        """Estimates and standard errors under the Bayesian model's parameter names.

        Standard deviations (``sigma_alpha``, ``sigma_beta``) get delta-method standard
        errors from those of the variances; ``sigma`` (the residual SD) and ``rho`` are
        reported without one.
        """
        r = self.result
        x, u = self.predictor_name, self.group_predictor_name
        fe, bse = r.fe_params, r.bse
        rows = {}
        if "Intercept" in fe:
            name = "mu_alpha" if self.spec.varies_intercept else "alpha"
            rows[name] = (fe["Intercept"], bse["Intercept"])
        if x is not None and x in fe:
            name = "mu_beta" if self.spec.varies_slope else "beta"
            rows[name] = (fe[x], bse[x])
        if u is not None and u in fe:
            rows["gamma_alpha"] = (fe[u], bse[u])
        if x is not None and u is not None and f"{x}:{u}" in fe:
            rows["gamma_beta"] = (fe[f"{x}:{u}"], bse[f"{x}:{u}"])
        cov = np.asarray(r.cov_re)
        names = list(r.cov_re.index)
        # Standard errors of the variances as MixedLM's summary reports them.
        bse_re = r.bse_re
        se_var = np.full(len(names), np.nan)
        for i, name in enumerate(names):
            key = "Group Var" if i == 0 and name == "Group" else f"{name} Var"
            if key in bse_re.index:
                se_var[i] = bse_re[key]
        for i, name in enumerate(names):
            role = "sigma_alpha" if name in ("Group", "Intercept") else "sigma_beta"
            sd = float(np.sqrt(cov[i, i]))
            rows[role] = (sd, se_var[i] / (2 * sd) if sd > 0 else np.nan)
        if len(names) == 2:
            rows["rho"] = (cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1]), np.nan)
        rows["sigma"] = (float(np.sqrt(r.scale)), np.nan)
        table = pd.DataFrame.from_dict(rows, orient="index", columns=["estimate", "se"])
        table.index.name = "parameter"
        return table.astype(float)


def _attempt(fixed, random, frame, groups, reml, method):
    """One MixedLM fit; returns (result or None, note)."""
    import statsmodels.formula.api as smf  # imported here: only this module needs it

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = smf.mixedlm(fixed, frame, groups=groups, re_formula=random)
            result = model.fit(reml=reml, method=[method])
        except (np.linalg.LinAlgError, ValueError) as exc:
            return None, f"failed: {exc}"
    messages = sorted({str(w.message).split("\n")[0] for w in caught})
    return result, "; ".join(messages)


def _usable(result) -> bool:
    if result is None or not result.converged or not np.isfinite(result.llf):
        return False
    if not np.all(np.isfinite(np.asarray(result.bse, dtype=float))):
        return False
    return bool(np.all(np.diag(np.asarray(result.cov_re)) > 1e-8))


def fit_mixedlm(
    data: GroupedData,
    spec: ModelSpec | None = None,
    *,
    reml: bool = True,
    methods=DEFAULT_METHODS,
) -> MixedLMFit:
    """Fit the mixed model matching ``spec`` (default: varying intercept) with MixedLM.

    Parameters
    ----------
    data : GroupedData
        Data built with ``GroupedData.from_frame`` (its frame is used).
    spec : ModelSpec, optional
        A partially pooled spec with a normal likelihood.
    reml : bool
        Restricted maximum likelihood (default, less biased variances) or plain ML.
    methods : sequence of str
        Optimisers to try (names accepted by ``MixedLM.fit(method=...)``).

    Returns
    -------
    MixedLMFit
        The usable fit with the highest (restricted) log-likelihood.

    Raises
    ------
    WorkbookInputError
        No optimiser gave a usable fit (the attempts are named in the message).
    """
    spec = spec or ModelSpec()
    if not isinstance(data, GroupedData) or data.frame is None:
        raise WorkbookInputError("fit_mixedlm needs GroupedData built with GroupedData.from_frame")
    fixed, random = mixedlm_formula(spec, data)
    frame = data.frame
    groups = frame[data.group_name]
    rows, results = [], {}
    for method in methods:
        result, note = _attempt(fixed, random, frame, groups, reml, method)
        usable = _usable(result)
        results[method] = result if usable else None
        rows.append(
            {
                "method": method,
                "converged": bool(result is not None and result.converged),
                "llf": float(result.llf) if result is not None else np.nan,
                "usable": usable,
                "note": note,
            }
        )
    attempts = pd.DataFrame(rows)
    good = attempts[attempts["usable"]]
    if good.empty:
        summary = ", ".join(
            f"{r.method}: {r.note or 'not converged'}" for r in attempts.itertuples()
        )
        raise WorkbookInputError(f"no MixedLM optimiser gave a usable fit ({summary})")
    best = str(good.loc[good["llf"].idxmax(), "method"])
    return MixedLMFit(
        result=results[best],
        method=best,
        attempts=attempts,
        spec=spec,
        reml=reml,
        group_name=data.group_name,
        predictor_name=data.predictor_name,
        group_predictor_name=data.group_predictor_name if spec.group_predictor else None,
    )


def compare_with_mixedlm(idata, mixed: MixedLMFit, *, var_names=None) -> pd.DataFrame:
    """Posterior mean and SD next to the MixedLM estimate and standard error.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit of the same spec with :func:`hbm_widgets.build_model`.
    mixed : MixedLMFit
    var_names : list of str, optional
        Parameters to compare (default: every one both fits have).

    Returns
    -------
    DataFrame
        Indexed by parameter: ``posterior_mean``, ``posterior_sd``, ``mixedlm``,
        ``mixedlm_se`` and ``gap_in_sd`` (the difference in posterior SDs).
    """
    estimates = mixed.estimates()
    posterior = idata["posterior"].to_dataset()
    names = var_names or [n for n in estimates.index if n in posterior.data_vars]
    rows = {}
    for name in names:
        if name not in posterior.data_vars:
            raise WorkbookInputError(f"the posterior has no variable {name!r}")
        if name not in estimates.index:
            raise WorkbookInputError(
                f"MixedLM has no estimate for {name!r}; it has: {', '.join(estimates.index)}"
            )
        draws = posterior[name].values.ravel()
        mean, sd = float(draws.mean()), float(draws.std(ddof=1))
        reference = float(estimates.loc[name, "estimate"])
        rows[name] = {
            "posterior_mean": mean,
            "posterior_sd": sd,
            "mixedlm": reference,
            "mixedlm_se": float(estimates.loc[name, "se"]),
            "gap_in_sd": (mean - reference) / sd,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "parameter"
    return table
