"""What a report says about a :class:`~hbm_widgets.models.formula.FormulaModel` and its fit.

The model's terms in words with the priors Bambi gave them; each group's coefficients (only
the levels the data hold: formulae makes a level for every pair of a nested ``(1 | a/b)``,
observed or not), the predictor values at which a new group is predicted (quartiles of a
numeric predictor, the levels of a categorical one, 0 and 1 of a binary one), and Bambi's
predictions there on the response scale. Nothing here is re-exported by the package.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from hbm_widgets.core.errors import WorkbookInputError
from hbm_widgets.core.fitted import hdi_bounds
from hbm_widgets.core.shrinkage_moves import shrinkage_shares
from hbm_widgets.models.formula_checks import GroupTerm, describe

# Used by the formula report, which imports them from here; nothing is re-exported.
__all__: list[str] = []

NEW_GROUP = "a new group"


def _written_number(value: float) -> str:
    """A prior's argument to four significant figures, without trailing zeros (``4``,
    ``283.6``, ``0.0001235``)."""
    value = float(value)
    if value != 0 and abs(value) < 1e-4:
        return f"{value:.4g}"
    return np.format_float_positional(value, precision=4, fractional=False, trim="-")


def _written_prior(prior) -> str:
    """A Bambi prior as ``Normal(mu=0, sigma=2.5)``; a prior on an argument (a group
    effect's standard deviation) nested inside, a vector of equal values as one number."""
    if not hasattr(prior, "args"):
        values = np.unique(np.ravel(np.asarray(prior, dtype=float)))
        if values.size == 1:
            return _written_number(values[0])
        return "[" + ", ".join(_written_number(v) for v in np.ravel(prior)) + "]"
    arguments = ", ".join(f"{key}={_written_prior(value)}" for key, value in prior.args.items())
    return f"{prior.name}({arguments})"


def _common_words(model, name: str, term) -> str:
    if name == "Intercept":
        if len(model.common_terms) > 1 and model.bambi_model.center_predictors:
            # Bambi samples the intercept of the centred predictors, so its prior is there.
            return "intercept (prior at the predictors' means)"
        return "intercept"
    if term.kind == "interaction":
        return "interaction of " + " and ".join(c.name for c in term.term.components)
    if term.categorical:
        levels = [str(level) for level in term.levels]
        named = ", ".join(levels)
        column = model.frame.get(name)
        if column is not None and isinstance(column.dtype, pd.CategoricalDtype):
            reference = [str(c) for c in column.cat.categories if str(c) not in levels]
            if len(reference) == 1:
                return f"difference of each level of {name} ({named}) from {reference[0]}"
        return f"effect of each level of {name} ({named})"
    return f"slope of {name}"


_AUXILIARY_WORDS = {
    ("gaussian", "sigma"): "residual SD",
    ("t", "sigma"): "residual scale of the Student-t",
    ("t", "nu"): "degrees of freedom of the Student-t",
    ("negativebinomial", "alpha"): "dispersion of the negative binomial",
}


def prior_table(model) -> pd.DataFrame:
    """The terms of ``model`` (a ``FormulaModel``) in words, with the prior Bambi gave each.

    One row per common term (intercept first), per group term (its prior a normal around zero
    whose standard deviation has its own prior, written inside it) and per auxiliary
    parameter of the family (sigma, nu, alpha). Columns ``term`` (Bambi's name, as in the
    posterior summary), ``what it is`` and ``prior`` (``HalfNormal(sigma=2.5)``; numbers to
    four significant figures, a vector of equal values as one).

    Examples
    --------
    >>> import hbm_widgets as hbm
    >>> model = hbm.FormulaModel.from_formula("log_radon ~ floor + (1 | county)",
    ...                                       hbm.load_radon())
    >>> prior_table(model)["what it is"].tolist()[1:]
    ['slope of floor', 'varying intercept by county', 'residual SD']
    >>> prior_table(model)["prior"].tolist()[1]
    'Normal(mu=0, sigma=5.724)'
    """
    bambi_model = getattr(model, "bambi_model", None)
    if bambi_model is None:
        raise WorkbookInputError(f"model must be a FormulaModel, got {type(model).__name__}")
    parent = bambi_model.family.likelihood.parent
    terms = bambi_model.parameters[parent].terms
    rows = [
        {
            "term": name,
            "what it is": _common_words(model, name, terms[name]),
            "prior": _written_prior(terms[name].prior),
        }
        for name in model.common_terms
    ]
    for group in model.group_terms:
        term = terms[group.name]
        if group.is_intercept:
            what = f"varying intercept by {group.factor}"
        elif term.categorical:
            what = f"varying effect of {group.effect} by {group.factor}"
        else:
            what = f"varying slope of {group.effect} by {group.factor}"
        rows.append({"term": group.name, "what it is": what, "prior": _written_prior(term.prior)})
    for name in model.parameter_names["auxiliary"]:
        words = _AUXILIARY_WORDS.get((model.family, name), name)
        prior = bambi_model.parameters[name].prior
        rows.append({"term": name, "what it is": words, "prior": _written_prior(prior)})
    return pd.DataFrame(rows, columns=["term", "what it is", "prior"])


def _level_labels(frame: pd.DataFrame, term: GroupTerm) -> pd.Series:
    """Each row's level of ``term`` as formulae names it (``"Ayr:0"`` for ``town:school``)."""
    parts = term.factor.split(":")
    labels = frame[parts[0]].astype(str)
    for part in parts[1:]:
        labels = labels + ":" + frame[part].astype(str)
    return labels


def group_level_estimates(fit, term: GroupTerm, *, hdi_prob: float = 0.94) -> pd.DataFrame:
    """Every observed level's coefficient under ``term``, on the link scale.

    The coefficient is the group's deviation plus the common effect it varies around
    (``Intercept`` for ``1|g``, ``x`` for ``x|g``) when the formula has one. Columns
    ``group``, ``n`` (rows), ``mean``, ``hdi_low``, ``hdi_high`` and ``deviation`` (the
    mean of the group's departure from the population); levels without rows are left out.
    """
    if term not in fit.model.group_terms:
        raise WorkbookInputError(f"{term.name!r} is not a group term of {fit.model.formula!r}")
    posterior = fit.idata["posterior"].to_dataset()
    effect = posterior[term.name]
    level_dim = f"{term.factor}__factor_dim"
    extra = [d for d in effect.dims if d not in ("chain", "draw", level_dim)]
    if extra:
        raise WorkbookInputError(
            f"{term.name!r} varies a categorical predictor; its levels are not summarised here"
        )
    deviation = effect.stack(sample=("chain", "draw")).transpose("sample", level_dim)
    values = deviation.to_numpy()
    common_name = "Intercept" if term.is_intercept else term.effect
    total = values
    if common_name in posterior and posterior[common_name].ndim == 2:
        common = posterior[common_name].stack(sample=("chain", "draw")).to_numpy()
        total = values + common[:, None]
    sizes = _level_labels(fit.model.frame, term).value_counts()
    levels = [str(level) for level in deviation[level_dim].to_numpy()]
    observed = [k for k, level in enumerate(levels) if level in sizes.index]
    bounds = hdi_bounds(total[:, observed], hdi_prob).reshape(-1, 2)
    return pd.DataFrame(
        {
            "group": [levels[k] for k in observed],
            "n": [int(sizes[levels[k]]) for k in observed],
            "mean": total[:, observed].mean(axis=0),
            "hdi_low": bounds[:, 0],
            "hdi_high": bounds[:, 1],
            "deviation": values[:, observed].mean(axis=0),
        }
    )


def _predictor_columns(model) -> list[str]:
    grouping = {c for term in model.group_terms for c in term.columns}
    response = set(describe(model.formula).response.var_names)
    return [c for c in model.frame.columns if c not in grouping and c not in response]


def new_group_grid(model) -> pd.DataFrame:
    """The predictor values a new group is predicted at, one predictor varied at a time.

    A binary numeric predictor takes 0 and 1, another numeric one its quartiles, a
    categorical one each level; the others stay at their median (numeric) or first level.
    Column ``varied`` names the predictor each row varies (``-`` with none).
    """
    frame = model.frame
    columns = _predictor_columns(model)
    typical, settings = {}, {}
    for column in columns:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values):
            distinct = set(np.unique(values.to_numpy(dtype=float)).tolist())
            typical[column] = float(values.median())
            if distinct <= {0.0, 1.0}:
                settings[column] = [0.0, 1.0]
                typical[column] = 0.0
            else:
                settings[column] = [float(q) for q in values.quantile([0.25, 0.5, 0.75])]
        else:
            levels = list(values.cat.categories)
            typical[column] = levels[0]
            settings[column] = levels
    rows = []
    for column, chosen in settings.items():
        for value in chosen:
            rows.append({**typical, column: value, "varied": column})
    if not rows:
        rows.append({"varied": "-"})
    grid = pd.DataFrame(rows)
    for column in columns:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            grid[column] = pd.Categorical(grid[column], categories=frame[column].cat.categories)
    return grid


def new_group_predictions(fit, *, hdi_prob: float = 0.94, random_seed: int) -> pd.DataFrame:
    """The expected outcome of a group not in the data at :func:`new_group_grid`'s values.

    Bambi gives the new group, at each posterior draw, the effects a randomly chosen group of
    the data has at that draw (brms's ``sample_new_levels = "uncertainty"``), so its spread is
    the spread between the groups seen rather than a draw from the fitted normal; the
    result is on the response scale (a probability for 0/1 outcomes, a rate for counts).
    Columns: the predictors, ``varied``, ``mean``,
    ``hdi_low``, ``hdi_high``.
    """
    model = fit.model
    grid = new_group_grid(model)
    new_data = grid.drop(columns="varied").copy()
    for term in model.group_terms:
        for column in term.columns:
            new_data[column] = NEW_GROUP
    response = sorted(describe(model.formula).response.var_names)
    for column in response:  # Bambi's binomial needs the trials at prediction
        new_data[column] = 1
    if not len(new_data.columns):
        new_data = pd.DataFrame(index=range(len(grid)))
    with warnings.catch_warnings():
        # Bambi 0.21 warns that the option will go once new groups are handled unasked;
        # until then, a new level without it is refused.
        warnings.filterwarnings("ignore", "'sample_new_groups' is deprecated", FutureWarning)
        # formulae codes the new group's level, absent from the fitted levels, by building a
        # pandas Categorical of it (code -1, on purpose) and zeroing its indicators; Bambi then
        # adds the effects of a group chosen at random for each draw. pandas 3 warns that such a
        # Categorical will raise in pandas 4 (Pandas4Warning, a DeprecationWarning); the
        # workbook requires pandas < 4, where the codes are as formulae expects.
        warnings.filterwarnings(
            "ignore",
            "Constructing a Categorical with a dtype and values containing non-null entries "
            "not in that dtype's categories is deprecated",
            DeprecationWarning,
            r"formulae\.terms\.variable",
        )
        predicted = model.bambi_model.predict(
            fit.idata,
            kind="response_params",
            data=new_data,
            inplace=False,
            sample_new_groups=True,
            random_seed=random_seed,
        )
    parent = model.bambi_model.family.likelihood.parent
    draws = predicted["posterior"][parent].stack(sample=("chain", "draw"))
    values = draws.transpose("sample", ...).to_numpy().reshape(draws.sizes["sample"], -1)
    bounds = hdi_bounds(values, hdi_prob).reshape(-1, 2)
    table = grid.copy()
    table["mean"] = values.mean(axis=0)
    table["hdi_low"] = bounds[:, 0]
    table["hdi_high"] = bounds[:, 1]
    return table


def formula_shrinkage(fit, unpooled_fit, term: GroupTerm) -> pd.DataFrame:
    """How far partial pooling moves each group's coefficient under ``term`` from its own.

    ``unpooled_fit`` is the fit of the model's no-pooling counterpart
    (:meth:`FormulaModel.unpooled`), where the group's intercept is the coefficient of its
    level of the factor (``0 + g``) and its slope that of ``x:g``. The population mean the
    partial-pooling estimate is pulled towards is the common effect (``Intercept`` or ``x``;
    0 without one). The columns are those of :func:`hbm_widgets.posterior_shrinkage_table`,
    which :func:`hbm_widgets.plot_shrinkage_arrows` draws: ``group``, ``coefficient``,
    ``n``, ``no_pooling``, ``partial_pooling``, ``mu``, ``shift`` and ``shrinkage`` (the
    share of the way to ``mu``: above 1 past it, below 0 away from it).
    """
    unpooled_name = term.factor if term.is_intercept else f"{term.effect}:{term.factor}"
    unpooled = unpooled_fit.idata["posterior"].to_dataset()
    if unpooled_name not in unpooled:
        raise WorkbookInputError(
            f"{unpooled_fit.model.formula!r} has no {unpooled_name!r}: pass the fit of "
            f"{fit.model.formula!r}'s no-pooling counterpart"
        )
    partial = group_level_estimates(fit, term).set_index("group")
    own = unpooled[unpooled_name].mean(("chain", "draw"))
    level_dim = next(d for d in own.dims)
    own = pd.Series(own.to_numpy(), index=[str(v) for v in own[level_dim].to_numpy()])
    posterior = fit.idata["posterior"]
    common_name = "Intercept" if term.is_intercept else term.effect
    centre = float(posterior[common_name].mean()) if common_name in posterior else 0.0
    frame = pd.DataFrame(
        {
            "group": partial.index,
            "coefficient": "intercept" if term.is_intercept else term.effect,
            "n": partial["n"].to_numpy(),
            "no_pooling": own.reindex(partial.index).to_numpy(),
            "partial_pooling": partial["mean"].to_numpy(),
            "mu": centre,
        }
    )
    return shrinkage_shares(frame)
