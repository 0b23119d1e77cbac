"""A :class:`~hbm_widgets.models.formula.FormulaModel` written as equations, in LaTeX.

The lines follow the model Bambi built: the outcome's distribution (the family), the link
applied to its mean as a sum of the common effects and each row's group effects, each group
effect drawn from a normal distribution around zero with its own standard deviation, and the
priors Bambi chose (weakly informative, scaled to the data). A report shows the result as a
``$$...$$`` display formula, which the page turns into MathML. Nothing here is re-exported
by the package.
"""

from __future__ import annotations

import re

import numpy as np

from hbm_widgets.core.errors import WorkbookInputError

# Used by the formula report, which imports them from here; nothing is re-exported.
__all__: list[str] = []

# Each family's outcome distribution, given the symbol of its mean (mu_i or p_i).
_LIKELIHOOD = {
    "gaussian": r"\mathcal{{N}}({mean}, \sigma)",
    "t": r"\mathrm{{StudentT}}(\nu, {mean}, \sigma)",
    "bernoulli": r"\mathrm{{Bernoulli}}({mean})",
    "binomial": r"\mathrm{{Binomial}}({trials}, {mean})",
    "poisson": r"\mathrm{{Poisson}}({mean})",
    "negativebinomial": r"\mathrm{{NegBinomial}}({mean}, \alpha)",
}
_AUXILIARY_SYMBOL = {"sigma": r"\sigma", "nu": r"\nu", "alpha": r"\alpha"}
_BINOMIAL_RESPONSE = re.compile(r"^p\(\s*(?P<successes>[^,]+?)\s*,\s*(?P<trials>[^)]+?)\s*\)$")


def _name(column: str) -> str:
    """A column or term name as upright text (underscores kept as written)."""
    return rf"\text{{{column}}}"


def _number(value) -> str | None:
    """A prior's argument to three significant figures, or None if it is not one number."""
    values = np.unique(np.ravel(np.asarray(value, dtype=float)))
    if values.size != 1:
        return None
    return f"{float(values[0]):.3g}"


def _prior(prior, *, inner: dict[str, str] | None = None) -> str | None:
    """A Bambi prior as ``\\mathcal{N}(0, 2.5)`` or ``\\mathrm{HalfNormal}(1)``, or None
    when an argument is neither one number nor named in ``inner``."""
    inner = inner or {}
    arguments = []
    for key, value in prior.args.items():
        written = inner.get(key) if key in inner else _number(value)
        if written is None:
            return None
        arguments.append(written)
    head = r"\mathcal{N}" if prior.name == "Normal" else rf"\mathrm{{{prior.name}}}"
    return f"{head}({', '.join(arguments)})"


def _common_symbol(term: str) -> str:
    return r"\beta_0" if term == "Intercept" else rf"\beta_{{{_name(term)}}}"


def _group_symbol(effect: str, factor: str) -> str:
    effect_symbol = "0" if effect == "1" else _name(effect)
    return rf"b_{{{effect_symbol}, {_name(factor)}}}"


def formula_latex(model) -> str:
    """The equations of ``model`` (a ``FormulaModel``) as one LaTeX ``aligned`` block.

    Lines: the outcome's distribution; its link function of the mean equal to the linear
    predictor (``\\beta_0`` the intercept, ``\\beta_{x}`` the coefficient of ``x``, a
    categorical term's coefficient indexed by the row's level, ``b_{x, g}[g_i]`` the
    group ``g_i``'s departure in the effect of ``x``); each group effect's normal
    distribution around zero with standard deviation ``\\sigma_{x, g}``; then the priors.

    Examples
    --------
    >>> import hbm_widgets as hbm
    >>> model = hbm.FormulaModel.from_formula("log_radon ~ floor + (1 | county)",
    ...                                       hbm.load_radon())
    >>> print(formula_latex(model).split(r" \\\\ ")[0].removeprefix(r"\\begin{aligned}"))
    \\text{log_radon}_i &\\sim \\mathcal{N}(\\mu_i, \\sigma)
    """
    bambi_model = getattr(model, "bambi_model", None)
    if bambi_model is None:
        raise WorkbookInputError(f"model must be a FormulaModel, got {type(model).__name__}")
    parent = bambi_model.family.likelihood.parent
    link = bambi_model.family.link[parent].name
    mean = r"p_i" if model.family in ("bernoulli", "binomial") else r"\mu_i"
    trials = None
    outcome = _name(model.response)
    if model.family == "binomial":
        match = _BINOMIAL_RESPONSE.match(model.response)
        if match is not None:
            outcome, trials = _name(match["successes"]), _name(match["trials"]) + "_i"
        else:
            trials = "n_i"
    linked = {
        "identity": mean,
        "logit": rf"\operatorname{{logit}}({mean})",
        "log": rf"\log({mean})",
    }.get(link, rf"\operatorname{{{link}}}({mean})")

    component = bambi_model.parameters[parent]
    predictor = []
    for term in model.common_terms:
        symbol = _common_symbol(term)
        if term == "Intercept":
            predictor.append(symbol)
        elif component.terms[term].categorical:
            predictor.append(rf"{symbol}[{_name(term)}_i]")
        else:
            predictor.append(rf"{symbol}\,{_name(term)}_i")
    for group in model.group_terms:
        symbol = rf"{_group_symbol(group.effect, group.factor)}[{_name(group.factor)}_i]"
        predictor.append(symbol if group.is_intercept else rf"{symbol}\,{_name(group.effect)}_i")

    lines = [
        rf"{outcome}_i &\sim "
        + _LIKELIHOOD[model.family].format(mean=mean, trials=trials or "n_i"),
        rf"{linked} &= {' + '.join(predictor) if predictor else '0'}",
    ]
    for group in model.group_terms:
        symbol = _group_symbol(group.effect, group.factor)
        sd = symbol.replace("b_", r"\sigma_", 1)
        lines.append(
            rf"{symbol}[j] &\sim \mathcal{{N}}(0, {sd})"
            rf" \quad \text{{for each {group.factor} }} j"
        )
    for term in model.common_terms:
        written = _prior(component.terms[term].prior)
        if written is not None:
            lines.append(rf"{_common_symbol(term)} &\sim {written}")
    for group in model.group_terms:
        sd_prior = component.terms[group.name].prior.args.get("sigma")
        written = _prior(sd_prior) if hasattr(sd_prior, "args") else None
        if written is not None:
            sd = _group_symbol(group.effect, group.factor).replace("b_", r"\sigma_", 1)
            lines.append(rf"{sd} &\sim {written}")
    for name, symbol in _AUXILIARY_SYMBOL.items():
        constant = bambi_model.parameters.get(name)
        prior = getattr(constant, "prior", None)
        if name == parent or not hasattr(prior, "args"):
            continue
        written = _prior(prior)
        if written is not None:
            lines.append(rf"{symbol} &\sim {written}")
    return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"
