"""Plain-words and LaTeX descriptions of a ``ModelSpec`` (used by ``ModelSpec.describe``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hbm_widgets.core.priors import resolve_priors

if TYPE_CHECKING:
    from hbm_widgets.core.spec import ModelSpec

__all__ = ["ModelDescription", "describe_spec"]


@dataclass(frozen=True)
class ModelDescription:
    """A model in plain words and in LaTeX; shows both in a notebook."""

    text: str
    latex: str

    def _repr_markdown_(self) -> str:
        return f"{self.text}\n\n$$\n{self.latex}\n$$"

    def __str__(self) -> str:
        return self.text


_LATEX_SYMBOL = {
    "alpha": r"\alpha",
    "beta": r"\beta",
    "mu_alpha": r"\mu_\alpha",
    "mu_beta": r"\mu_\beta",
    "gamma_alpha": r"\gamma_\alpha",
    "gamma_beta": r"\gamma_\beta",
    "sigma_alpha": r"\sigma_\alpha",
    "sigma_beta": r"\sigma_\beta",
    "rho": r"R",
    "sigma": r"\sigma",
    "nu": r"\nu",
}


def describe_spec(spec: ModelSpec, data=None) -> ModelDescription:
    has_x = data is None or data.predictor is not None
    group = data.group_name if data is not None else "group"
    x_name = (data.predictor_name if data is not None else None) or "the predictor"
    u_name = (
        data.group_predictor_name if data is not None else None
    ) or "the group-level predictor"
    y_name = data.outcome_name if data is not None else "the outcome"

    # Plain words.
    words = []
    if spec.pooling == "complete":
        words.append(
            f"Complete pooling: one intercept{' and one slope on ' + x_name if has_x else ''} "
            f"for every {group}; which {group} an observation comes from is ignored."
        )
    elif spec.pooling == "none":
        what = {
            "intercept": "its own intercept",
            "slope": "its own slope",
            "both": "its own intercept and slope",
        }[spec.varying]
        words.append(
            f"No pooling: each {group} gets {what}, estimated from that {group}'s data alone "
            "(no common distribution links them)."
        )
    else:
        what = {"intercept": "intercept", "slope": "slope", "both": "intercept and slope"}[
            spec.varying
        ]
        verb = "are" if spec.varying == "both" else "is"
        words.append(
            f"Partial pooling: each {group}'s {what} {verb} drawn from a common normal "
            f"distribution whose centre and spread are estimated, so a {group} with little data "
            "borrows strength from the rest."
        )
        if spec.correlated:
            words.append(
                "Intercepts and slopes are drawn jointly, with an LKJ prior on their correlation."
            )
        if spec.group_predictor:
            words.append(f"The centre of that distribution moves with {u_name}.")
        words.append(
            "Group effects are written "
            + (
                "non-centred (standardised offsets times the spread)."
                if spec.parameterization == "non_centered"
                else "centred (drawn directly around their mean)."
            )
        )
    if has_x and spec.pooling != "complete" and not spec.varies_slope:
        words.append(f"The slope on {x_name} is shared by every {group}.")
    words.append(
        f"{y_name.capitalize() if data is None else y_name} is modelled with a "
        + (
            "Student-t likelihood (degrees of freedom estimated), which tolerates outliers."
            if spec.likelihood == "student_t"
            else "normal likelihood."
        )
    )

    # LaTeX.
    a = r"\alpha_{j[i]}" if spec.varies_intercept else r"\alpha"
    b = r"\beta_{j[i]}" if spec.varies_slope else r"\beta"
    mean = a + (f" + {b} x_i" if has_x else "")
    lines = [
        (
            r"y_i &\sim \mathrm{StudentT}(\nu, \mu_i, \sigma)"
            if spec.likelihood == "student_t"
            else r"y_i &\sim \mathcal{N}(\mu_i, \sigma)"
        ),
        rf"\mu_i &= {mean}",
    ]
    if spec.pooling == "partial":
        nc = spec.parameterization == "non_centered"
        u_a = r" + \gamma_\alpha u_j" if spec.group_predictor else ""
        u_b = r" + \gamma_\beta u_j" if spec.group_predictor else ""
        if spec.correlated:
            lines.append(
                r"\begin{pmatrix}\alpha_j\\ \beta_j\end{pmatrix} &\sim \mathcal{N}\left("
                rf"\begin{{pmatrix}}\mu_\alpha{u_a}\\ \mu_\beta{u_b}\end{{pmatrix}}, S R S\right),"
                r"\quad S = \mathrm{diag}(\sigma_\alpha, \sigma_\beta)"
            )
            if nc:
                lines.append(
                    r"&\text{(written non-centred: } z_{\alpha j}, z_{\beta j}"
                    r" \sim \mathcal{N}(0, 1)\text{)}"
                )
        else:
            sym, u_term = (r"\alpha", u_a) if spec.varying == "intercept" else (r"\beta", u_b)
            if nc:
                lines.append(
                    rf"{sym}_j &= \mu_{sym}{u_term} + \sigma_{sym} z_j,"
                    r" \quad z_j \sim \mathcal{N}(0, 1)"
                )
            else:
                lines.append(rf"{sym}_j &\sim \mathcal{{N}}(\mu_{sym}{u_term}, \sigma_{sym})")
    priors = None
    if data is not None:
        priors = resolve_priors(spec, data)
    roles = spec.prior_roles(has_predictor=has_x)
    for role in roles:
        symbol = _LATEX_SYMBOL[role]
        if (
            spec.pooling == "none"
            and role in ("alpha", "beta")
            and (
                (role == "alpha" and spec.varies_intercept)
                or (role == "beta" and spec.varies_slope)
            )
        ):
            symbol += "_j"
        prior = priors[role] if priors else spec.prior_overrides.get(role)
        rhs = prior.to_latex() if prior else r"\text{default, scaled to the data}"
        lines.append(rf"{symbol} &\sim {rhs}")
    latex = r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"

    if priors:
        words.append("Priors: " + "; ".join(f"{k} ~ {v}" for k, v in priors.items()) + ".")
    else:
        set_here = spec.prior_overrides
        if set_here:
            words.append(
                "Priors set: "
                + "; ".join(f"{k} ~ {v}" for k, v in set_here.items())
                + "; the rest are scaled to the data."
            )
        else:
            words.append("Priors: weakly informative defaults scaled to the data.")
    return ModelDescription(text=" ".join(words), latex=latex)
