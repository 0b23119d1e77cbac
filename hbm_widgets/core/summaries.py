"""The figures behind a grouped-data report, computed from fits the report makes.

The report template (``hbm_widgets/report/templates/grouped-data-report.ipynb``) fits the three
pooling strategies to a user's data with :func:`hbm_widgets.build_model` and
:func:`hbm_widgets.sample`, then calls the functions here to turn the fits into tables:
what the data hold, each model's population-level estimates, every group's estimate with an
interval, how far partial pooling moves each group from its own estimate, and what the
model predicts for a group it has not seen. Nothing here samples a model or draws a chart.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from hbm_widgets.core.data import GroupedData
from hbm_widgets.core.diagnostics import ConvergenceReport
from hbm_widgets.core.errors import WorkbookInputError
from hbm_widgets.core.fitted import hdi_bounds, posterior_dataset
from hbm_widgets.core.shrinkage_moves import shrinkage_shares
from hbm_widgets.core.spec import ModelSpec

__all__ = [
    "convergence_table",
    "fit_problems",
    "group_coefficient_estimates",
    "grouped_data_overview",
    "posterior_parameter_table",
    "posterior_shrinkage_table",
    "predict_new_group",
    "warning_box_html",
]

# The coefficients that can differ between groups, and the population parameters behind them.
_COEFFICIENTS = ("alpha", "beta")


def _check_data(data) -> GroupedData:
    if not isinstance(data, GroupedData):
        raise WorkbookInputError(
            f"expected GroupedData (see GroupedData.from_frame), got {type(data).__name__}"
        )
    return data


def grouped_data_overview(data: GroupedData) -> pd.DataFrame:
    """What the data hold: observations, groups, group sizes and missing values.

    Parameters
    ----------
    data : GroupedData
        The validated data the models are fitted to; the missing values of each column they
        use are those it counted before leaving any row out.

    Returns
    -------
    DataFrame
        Columns ``item`` and ``value``, one row per figure.

    Examples
    --------
    >>> frame = pd.DataFrame({"g": ["a", "a", "b", "b", "b"], "y": [1.0, 2, 3, None, 5]})
    >>> data = GroupedData.from_frame(frame, group="g", outcome="y", missing="drop")
    >>> overview = grouped_data_overview(data).set_index("item")["value"]
    >>> overview["groups"], overview["rows dropped (missing values)"], overview["missing in y"]
    (2, 1, 1)
    """
    data = _check_data(data)
    sizes = data.group_sizes
    rows = [
        ("observations used", data.n_obs),
        ("groups", data.n_groups),
        ("smallest group", int(sizes.min())),
        ("median group size", float(np.median(sizes))),
        ("largest group", int(sizes.max())),
        ("groups with one observation", int((sizes == 1).sum())),
        ("rows dropped (missing values)", data.dropped_rows),
        (f"mean {data.outcome_name}", float(data.outcome.mean())),
        (f"SD {data.outcome_name}", float(data.outcome.std(ddof=1)) if data.n_obs > 1 else 0.0),
    ]
    rows += [(f"missing in {column}", n) for column, n in data.missing_values.items()]
    # Counts stay whole numbers: the value column holds Python objects, not one float dtype.
    return pd.DataFrame(
        {"item": [r[0] for r in rows], "value": pd.Series([r[1] for r in rows], dtype=object)}
    )


def _stacked(idata: xr.DataTree) -> xr.Dataset:
    return posterior_dataset(idata).stack(sample=("chain", "draw"))


def _interval(values: np.ndarray, hdi_prob: float) -> tuple[float, float]:
    low, high = hdi_bounds(values, hdi_prob)
    return float(low), float(high)


def _check_hdi_prob(hdi_prob) -> float:
    try:
        value = float(hdi_prob)
    except (TypeError, ValueError):
        raise WorkbookInputError(f"hdi_prob must be a number, got {hdi_prob!r}") from None
    if not 0 < value < 1:
        raise WorkbookInputError(f"hdi_prob must be between 0 and 1, got {hdi_prob!r}")
    return value


def posterior_parameter_table(
    idatas: Mapping[str, xr.DataTree], *, hdi_prob: float = 0.94
) -> pd.DataFrame:
    """Posterior mean, SD and HDI of every scalar parameter of every model.

    Group-level vectors (``alpha`` by group, the offsets ``z_*``) are left out; they are
    what :func:`group_coefficient_estimates` tabulates.

    Returns
    -------
    DataFrame
        Long format: ``model``, ``parameter``, ``mean``, ``sd``, ``hdi_low``, ``hdi_high``.
    """
    hdi_prob = _check_hdi_prob(hdi_prob)
    rows = []
    for model_name, idata in idatas.items():
        posterior = _stacked(idata)
        for name, values in posterior.data_vars.items():
            if values.dims != ("sample",):
                continue
            draws = values.to_numpy()
            low, high = _interval(draws, hdi_prob)
            rows.append(
                {
                    "model": model_name,
                    "parameter": str(name),
                    "mean": float(draws.mean()),
                    "sd": float(draws.std(ddof=1)),
                    "hdi_low": low,
                    "hdi_high": high,
                }
            )
    return pd.DataFrame(rows, columns=["model", "parameter", "mean", "sd", "hdi_low", "hdi_high"])


def _group_varying(posterior, data: GroupedData) -> list[str]:
    group_dim = data.model_names.group_dim
    return [c for c in _COEFFICIENTS if c in posterior and group_dim in posterior[c].dims]


def group_coefficient_estimates(
    idata: xr.DataTree, data: GroupedData, *, hdi_prob: float = 0.94
) -> pd.DataFrame:
    """Each group's coefficients under one fitted model, with HDIs.

    The coefficients reported are those that vary by group (``alpha``, the intercept, and
    ``beta``, the slope on the predictor). Under complete pooling none varies, and every
    group gets the one shared intercept. With a predictor the intercept is the group's
    expected outcome where the predictor is zero.

    Returns
    -------
    DataFrame
        One row per group and coefficient, in the data's group order: ``group``,
        ``coefficient``, ``n``, ``observed_mean`` (the group's mean outcome), ``mean``,
        ``sd``, ``hdi_low``, ``hdi_high``.
    """
    data = _check_data(data)
    hdi_prob = _check_hdi_prob(hdi_prob)
    posterior = _stacked(idata)
    coefficients = _group_varying(posterior, data)
    if not coefficients:
        if "alpha" not in posterior:
            raise WorkbookInputError("the posterior has no intercept 'alpha' to report")
        coefficients = ["alpha"]
    rows = []
    # The fit's group dim: the group column's name unless the model uses that name itself.
    group_dim = data.model_names.group_dim
    for coefficient in coefficients:
        values = posterior[coefficient]
        for j, name in enumerate(data.group_names):
            if group_dim in values.dims:
                draws = values.sel({group_dim: name}).to_numpy()
            else:
                draws = values.to_numpy()
            low, high = _interval(draws, hdi_prob)
            rows.append(
                {
                    "group": str(name),
                    "coefficient": coefficient,
                    "n": int(data.group_sizes[j]),
                    "observed_mean": float(data.group_means[j]),
                    "mean": float(draws.mean()),
                    "sd": float(draws.std(ddof=1)),
                    "hdi_low": low,
                    "hdi_high": high,
                }
            )
    return pd.DataFrame(rows)


def _population_centre(posterior, coefficient: str, data: GroupedData) -> np.ndarray:
    """Posterior mean of ``mu_c (+ gamma_c * u_j)`` for every group."""
    centre = np.full(data.n_groups, float(posterior[f"mu_{coefficient}"].mean()))
    gamma = f"gamma_{coefficient}"
    if gamma in posterior and data.group_predictor is not None:
        centre = centre + float(posterior[gamma].mean()) * data.group_predictor
    return centre


def posterior_shrinkage_table(
    no_pooling_idata: xr.DataTree,
    partial_pooling_idata: xr.DataTree,
    data: GroupedData,
) -> pd.DataFrame:
    """How far partial pooling moves each group's estimate from its no-pooling one.

    For every coefficient that varies by group in both fits: the no-pooling and
    partial-pooling posterior means, and the centre of the population distribution the
    partial-pooling estimate is pulled towards (``mu``, plus ``gamma * u_j`` with a
    group-level predictor).

    Returns
    -------
    DataFrame
        ``group``, ``coefficient``, ``n``, ``no_pooling``, ``partial_pooling``, ``mu`` (the
        centre for that group), ``shift`` (partial minus no pooling) and ``shrinkage``, the
        fraction of the way from the no-pooling estimate to ``mu`` that partial pooling
        moved it (the posterior counterpart of the shrinkage factor ``B_k``; NaN when the
        two coincide): 0 is no move, 1 all the way to ``mu``, above 1 past it and below 0
        away from it. Past or away happens when the coefficient is estimated jointly with
        another that the two models estimate differently (a shared slope, or a correlated
        varying one). The columns are those :func:`hbm_widgets.plot_shrinkage_arrows` draws.
    """
    data = _check_data(data)
    none_posterior = _stacked(no_pooling_idata)
    partial_posterior = _stacked(partial_pooling_idata)
    coefficients = [
        c
        for c in _group_varying(partial_posterior, data)
        if c in _group_varying(none_posterior, data) and f"mu_{c}" in partial_posterior
    ]
    if not coefficients:
        raise WorkbookInputError(
            "the two fits share no coefficient that varies by group; pass a no-pooling and a "
            "partial-pooling fit with the same varying part"
        )
    frames = []
    groups = {data.model_names.group_dim: data.group_names}
    for coefficient in coefficients:
        none_means = none_posterior[coefficient].mean("sample").sel(groups)
        partial_means = partial_posterior[coefficient].mean("sample").sel(groups)
        frame = pd.DataFrame(
            {
                "group": data.group_names.astype(str),
                "coefficient": coefficient,
                "n": data.group_sizes,
                "no_pooling": none_means.to_numpy(),
                "partial_pooling": partial_means.to_numpy(),
                "mu": _population_centre(partial_posterior, coefficient, data),
            }
        )
        frames.append(shrinkage_shares(frame))
    return pd.concat(frames, ignore_index=True)


def _default_predictor_values(data: GroupedData) -> np.ndarray:
    distinct = np.unique(data.predictor)
    if distinct.size <= 5:
        return distinct
    return np.quantile(data.predictor, [0.25, 0.5, 0.75])


def predict_new_group(
    idata: xr.DataTree,
    data: GroupedData,
    spec: ModelSpec,
    *,
    random_seed: int,
    predictor_values: Sequence[float] | None = None,
    group_predictor_value: float | None = None,
    hdi_prob: float = 0.94,
) -> pd.DataFrame:
    """Posterior predictions for a group that is not in the data.

    For every posterior draw a new group's coefficients are drawn from the population
    distribution the model estimated (``alpha_new ~ N(mu_alpha + gamma_alpha u, sigma_alpha)``,
    jointly with the slope and its correlation ``rho`` when both vary), then one new
    observation from the likelihood. The group-mean interval shows what is unknown about
    the new group; the outcome interval adds the spread of single observations.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit of ``spec`` to ``data``.
    data : GroupedData
    spec : ModelSpec
        Partial pooling (or complete pooling, where every group is the same); a no-pooling
        model has no population distribution and cannot predict a new group.
    random_seed : int
        Seeds the new group effects and observations.
    predictor_values : sequence of float, optional
        Where to predict along the predictor. By default its distinct values when it has at
        most five (the levels of a 0/1 or coded predictor), else its quartiles. Ignored
        without a predictor.
    group_predictor_value : float, optional
        The new group's group-level predictor (by default the mean over groups).
    hdi_prob : float

    Returns
    -------
    DataFrame
        One row per predictor value: the predictor (named after its column, when there is
        one), ``group_mean`` with ``group_mean_low``/``group_mean_high``, and
        ``outcome_mean``, ``outcome_sd``, ``outcome_low``, ``outcome_high``.
    """
    data = _check_data(data)
    hdi_prob = _check_hdi_prob(hdi_prob)
    if not isinstance(spec, ModelSpec):
        raise WorkbookInputError(f"expected a ModelSpec, got {type(spec).__name__}")
    if spec.pooling == "none":
        raise WorkbookInputError(
            "a no-pooling model has no population distribution to draw a new group from; "
            "use the partial-pooling fit"
        )
    posterior = _stacked(idata)
    rng = np.random.default_rng(random_seed)
    n_draws = posterior.sizes["sample"]

    def draws(name: str) -> np.ndarray:
        if name not in posterior:
            raise WorkbookInputError(
                f"the posterior has no {name!r}; is it a fit of the model {spec.label!r}?"
            )
        return posterior[name].to_numpy()

    u = 0.0
    if spec.group_predictor:
        u = (
            float(np.mean(data.group_predictor))
            if group_predictor_value is None
            else float(group_predictor_value)
        )
    z_alpha = rng.standard_normal(n_draws)
    z_beta = rng.standard_normal(n_draws)
    if spec.pooling == "partial" and spec.varies_intercept:
        alpha = draws("mu_alpha") + draws("sigma_alpha") * z_alpha
        if spec.group_predictor:
            alpha = alpha + draws("gamma_alpha") * u
    else:
        alpha = draws("alpha")
    beta = np.zeros(n_draws)
    if spec.pooling == "partial" and spec.varies_slope:
        offset = z_beta
        if spec.correlated:
            rho = draws("rho")
            offset = rho * z_alpha + np.sqrt(1 - rho**2) * z_beta
        beta = draws("mu_beta") + draws("sigma_beta") * offset
        if spec.group_predictor:
            beta = beta + draws("gamma_beta") * u
    elif data.predictor is not None:
        beta = draws("beta")

    if data.predictor is None:
        xs = np.array([0.0])
    elif predictor_values is None:
        xs = _default_predictor_values(data)
    else:
        xs = np.atleast_1d(np.asarray(predictor_values, dtype=float))
    sigma = draws("sigma")
    rows = []
    for x in xs:
        group_mean = alpha + beta * x
        if "nu" in posterior:
            noise = rng.standard_t(draws("nu"))
        else:
            noise = rng.standard_normal(n_draws)
        outcome = group_mean + sigma * noise
        row = {} if data.predictor is None else {data.predictor_name: float(x)}
        low, high = _interval(group_mean, hdi_prob)
        row.update(group_mean=float(group_mean.mean()), group_mean_low=low, group_mean_high=high)
        low, high = _interval(outcome, hdi_prob)
        row.update(
            outcome_mean=float(outcome.mean()),
            outcome_sd=float(outcome.std(ddof=1)),
            outcome_low=low,
            outcome_high=high,
        )
        rows.append(row)
    return pd.DataFrame(rows)


def convergence_table(reports: Mapping[str, ConvergenceReport]) -> pd.DataFrame:
    """One row per fit: R-hat, ESS, divergences and what, if anything, is wrong."""
    rows = []
    for name, report in reports.items():
        if not isinstance(report, ConvergenceReport):
            raise WorkbookInputError(
                f"expected ConvergenceReport values (from hbm.convergence_report), got "
                f"{type(report).__name__} for {name!r}"
            )
        problems = report.warnings()
        rows.append(
            {
                "model": name,
                "max_rhat": report.max_rhat,
                "min_ess_bulk": report.min_ess_bulk,
                "min_ess_tail": report.min_ess_tail,
                "divergences": report.divergences,
                "status": "; ".join(problems) if problems else "ok",
            }
        )
    return pd.DataFrame(rows)


def fit_problems(reports: Mapping[str, ConvergenceReport]) -> list[str]:
    """Why a fit's numbers cannot be trusted yet, one line per problem and fit.

    R-hat of 1.01 or more (chains that disagree), a bulk or tail effective sample size
    below 400 (too few independent draws for the means or the intervals) and any divergent
    transition, each as :meth:`ConvergenceReport.warnings` words it.
    """
    return [
        f"{name}: {problem}" for name, report in reports.items() for problem in report.warnings()
    ]


def warning_box_html(messages: Sequence[str], *, title: str = "Check these fits") -> str:
    """A highlighted box listing ``messages`` (an empty string when there are none)."""
    if not messages:
        return ""
    items = "".join(f"<li>{html.escape(str(m))}</li>" for m in messages)
    return (
        '<div class="hbm-warning" style="border:2px solid #b00020;background:#fdecea;'
        'color:#5f0010;padding:0.6em 1em;margin:1em 0;border-radius:4px">'
        f"<strong>⚠ {html.escape(title)}</strong><ul style='margin:0.3em 0 0 0'>{items}</ul>"
        "</div>"
    )
