"""The formula report's equations: LaTeX written from a FormulaModel's terms, readable by
the page's MathML converter."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hbm_widgets as hbm
from hbm_widgets.models.formula_latex import formula_latex
from hbm_widgets.report.page import _mathml


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(5)
    return pd.DataFrame(
        {
            "reaction": rng.normal(250, 30, 40),
            "days": np.tile(np.arange(10), 4),
            "subject": np.repeat(["s1", "s2", "s3", "s4"], 10),
            "passed": rng.integers(0, 2, 40),
            "hits": rng.integers(0, 6, 40),
            "shots": 6,
        }
    )


def lines_of(latex: str) -> list[str]:
    assert latex.startswith(r"\begin{aligned}") and latex.endswith(r"\end{aligned}")
    body = latex.removeprefix(r"\begin{aligned}").removesuffix(r"\end{aligned}")
    return body.split(r" \\ ")


def test_a_normal_model_with_varying_intercept_and_slope(frame):
    model = hbm.FormulaModel.from_formula("reaction ~ days + (1 + days | subject)", frame)
    latex = formula_latex(model)
    lines = lines_of(latex)
    assert lines[:4] == [
        r"\text{reaction}_i &\sim \mathcal{N}(\mu_i, \sigma)",
        r"\mu_i &= \beta_0 + \beta_{\text{days}}\,\text{days}_i"
        r" + b_{0, \text{subject}}[\text{subject}_i]"
        r" + b_{\text{days}, \text{subject}}[\text{subject}_i]\,\text{days}_i",
        r"b_{0, \text{subject}}[j] &\sim \mathcal{N}(0, \sigma_{0, \text{subject}})"
        r" \quad \text{for each subject } j",
        r"b_{\text{days}, \text{subject}}[j] &\sim"
        r" \mathcal{N}(0, \sigma_{\text{days}, \text{subject}}) \quad \text{for each subject } j",
    ]
    # The priors Bambi chose, one per sampled parameter, the residual sd's last.
    symbols = [line.split(" &")[0] for line in lines[4:]]
    assert symbols == [
        r"\beta_0",
        r"\beta_{\text{days}}",
        r"\sigma_{0, \text{subject}}",
        r"\sigma_{\text{days}, \text{subject}}",
        r"\sigma",
    ]
    slope_sd = model.bambi_model.parameters["mu"].terms["days|subject"].prior.args["sigma"]
    expected = f"{float(slope_sd.args['sigma']):.3g}"
    assert (
        lines[7]
        == rf"\sigma_{{\text{{days}}, \text{{subject}}}} &\sim \mathrm{{HalfNormal}}({expected})"
    )
    mathml = _mathml(latex, display=True)
    assert mathml is not None and mathml.startswith("<math") and "<mtable" in mathml


def test_a_bernoulli_model_has_a_logit_link_and_no_residual_sd(frame):
    model = hbm.FormulaModel.from_formula(
        "passed ~ days + (1 | subject)", frame, family="bernoulli"
    )
    lines = lines_of(formula_latex(model))
    assert lines[0] == r"\text{passed}_i &\sim \mathrm{Bernoulli}(p_i)"
    assert lines[1] == (
        r"\operatorname{logit}(p_i) &= \beta_0 + \beta_{\text{days}}\,\text{days}_i"
        r" + b_{0, \text{subject}}[\text{subject}_i]"
    )
    assert not any(line.startswith(r"\sigma &") for line in lines)
    assert _mathml(formula_latex(model), display=True) is not None


def test_a_binomial_model_names_its_successes_and_trials(frame):
    model = hbm.FormulaModel.from_formula(
        "hits | trials(shots) ~ days + (1 | subject)", frame, family="binomial"
    )
    lines = lines_of(formula_latex(model))
    assert lines[0] == r"\text{hits}_i &\sim \mathrm{Binomial}(\text{shots}_i, p_i)"
    assert lines[1].startswith(r"\operatorname{logit}(p_i) &= \beta_0 + ")
    assert _mathml(formula_latex(model), display=True) is not None


def test_something_other_than_a_formula_model_is_refused():
    with pytest.raises(hbm.WorkbookInputError, match="model must be a FormulaModel, got str"):
        formula_latex("y ~ x")
