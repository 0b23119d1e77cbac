"""Models written as lme4-style formulas, ``y ~ x + (1 + x | g)``, built by Bambi.

Bambi (with formulae beneath it) turns a formula, a data frame and a likelihood family into
a PyMC model: common effects (``x``), varying effects by group (``(1 + x | g)``, crossed
``(1 | a) + (1 | b)``, nested ``(1 | a/b)``), and its own weakly informative priors scaled to
the data. Varying intercepts and slopes of one group are independent (Bambi has no
correlation between them), each written non-centred: ``1|g = 1|g_offset * 1|g_sigma``.

:class:`FormulaModel` checks the formula and the data first (see
:mod:`~hbm_widgets.models.formula_checks`), holds the model and its complete-pooling
counterpart (the formula without its group terms) and, with one grouping factor, its
no-pooling one (each group's effects as fixed effects), and fits through the workbook's one
sampling entry point, :func:`hbm_widgets.core.sampling.sample`, always with the pointwise
log-likelihood so that LOO can compare them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr

from hbm_widgets.core.diagnostics import ConvergenceReport, convergence_report
from hbm_widgets.core.errors import SpecificationError, WorkbookInputError, check_number
from hbm_widgets.core.fitted import check_fit, hdi_bounds
from hbm_widgets.core.sampling import DEFAULT_TARGET_ACCEPT, sample
from hbm_widgets.models.formula_backend import full_length_deterministics
from hbm_widgets.models.formula_checks import (
    FORMULA_FAMILIES,
    GroupTerm,
    bambi_formula,
    check_columns,
    check_family,
    check_frame,
    check_group_terms,
    check_outcome,
    describe,
    drop_missing,
    group_terms,
)
from hbm_widgets.models.formula_counterparts import (
    pooled_formula,
    unpooled_formula,
    unpooled_reason,
)

__all__ = [
    "FORMULA_FAMILIES",
    "FormulaFit",
    "FormulaModel",
    "compare_with_pooled",
    "formula_from_roles",
]

Family = Literal["gaussian", "t", "bernoulli", "binomial", "poisson", "negativebinomial"]
Varying = Literal["intercept", "slope", "both"]


def _bambi():
    """Bambi, imported on first use, with its informational log lines (which variable a
    Bernoulli model predicts the probability of) kept out of a report's output."""
    import bambi

    logging.getLogger("bambi").setLevel(logging.WARNING)
    return bambi


@dataclass(frozen=True, eq=False)
class FormulaModel:
    """A checked formula, its data and family, and the PyMC model Bambi builds from them.

    Build it with :meth:`from_formula`, which checks the input.

    Attributes
    ----------
    formula : str
        The formula as Bambi reads it (brms's ``s | trials(n)`` becomes ``p(s, n)``).
    family : str
        One of :data:`FORMULA_FAMILIES`.
    response : str
        The outcome as Bambi names it (its column, or ``p(s, n)`` for a binomial one).
    common_terms : tuple of str
        The common (population-level) effects, ``Intercept`` first when there is one.
    group_terms : tuple of GroupTerm
        The varying effects, in the formula's order (none for a complete-pooling model).
    frame : DataFrame
        The rows and columns the model is fitted to (rows with missing values dropped).
    dropped_rows : int
        Rows left out because of missing values (only with ``missing="drop"``).
    bambi_model : bambi.Model
    """

    formula: str
    family: str
    response: str
    common_terms: tuple[str, ...]
    group_terms: tuple[GroupTerm, ...]
    frame: pd.DataFrame = field(repr=False)
    dropped_rows: int
    bambi_model: object = field(repr=False)

    @classmethod
    def from_formula(
        cls,
        formula: str,
        frame: pd.DataFrame,
        *,
        family: Family | None = None,
        missing: Literal["error", "drop"] = "error",
        noncentered: bool = True,
    ) -> FormulaModel:
        """Check a formula and its data and build the model.

        Parameters
        ----------
        formula : str
            lme4 syntax: ``"y ~ x1 + x2 + (1 + x1 | g)"``; a binomial outcome as
            ``"p(successes, trials) ~ ..."`` or ``"successes | trials(trials) ~ ..."``.
        frame : DataFrame
            One row per observation, holding every column the formula names.
        family : {None, "gaussian", "t", "bernoulli", "binomial", "poisson", "negativebinomial"}
            The outcome's distribution. ``None`` fits a normal model to an outcome it suits
            and refuses one holding only 0 and 1 or looking like counts, naming the family
            it needs.
        missing : {"error", "drop"}
            Rows with a missing value in a column the formula uses: refused with the count
            per column (default) or dropped.
        noncentered : bool
            Each group's effects written as ``offset * sigma`` (the default, which samples well
            when groups are small or alike) or drawn directly around zero (``False``, better
            when each group has many rows that pin its effect down).

        Raises
        ------
        WorkbookInputError
            ``SpecificationError`` for a formula that does not parse or an unknown family,
            ``DataValidationError`` for data that do not fit it (see the checks module).

        Examples
        --------
        >>> import hbm_widgets as hbm
        >>> model = hbm.FormulaModel.from_formula(
        ...     "log_radon ~ floor + (1 | county)", hbm.load_radon()
        ... )
        >>> model.family, model.common_terms, [t.name for t in model.group_terms]
        ('gaussian', ('Intercept', 'floor'), ['1|county'])
        """
        family = check_family(family)
        if not isinstance(noncentered, bool):
            raise SpecificationError(f"noncentered must be True or False, got {noncentered!r}")
        written = bambi_formula(formula)
        description = describe(written)
        check_frame(frame)
        columns = check_columns(written, description, frame)
        used, dropped = drop_missing(frame, columns, missing=missing)
        terms = group_terms(description)
        grouping = {c for term in terms for c in term.columns}
        for column in used.columns:
            # A grouping column of numbers names groups, and formulae needs it categorical;
            # text columns become categories too (Bambi would convert them itself, warning
            # under pandas 3 that it selects them as "object").
            if column in grouping:
                used[column] = used[column].astype(str).astype("category")
            elif not pd.api.types.is_numeric_dtype(used[column]):
                used[column] = used[column].astype("category")
        family = check_outcome(used, description, family)
        check_group_terms(used, terms)
        used = used.reset_index(drop=True)
        bmb = _bambi()
        try:
            bambi_model = bmb.Model(
                written, used, family=family, dropna=False, noncentered=noncentered
            )
            bambi_model.build()
        except WorkbookInputError:
            raise
        except Exception as error:  # Bambi's and formulae's own errors, as one line
            message = " ".join(str(error).split())
            raise SpecificationError(
                f"formula {written!r} cannot be built with family {family!r}: {message}"
            ) from None
        bambi_model.backend.model = full_length_deterministics(bambi_model.backend.model)
        parameter = bambi_model.parameters[bambi_model.family.likelihood.parent]
        common = tuple(parameter.common_terms)
        if parameter.intercept_term is not None:
            common = ("Intercept", *common)
        return cls(
            formula=written,
            family=family,
            response=bambi_model.response_term.name,
            common_terms=common,
            group_terms=terms,
            frame=used,
            dropped_rows=dropped,
            bambi_model=bambi_model,
        )

    @property
    def model(self) -> pm.Model:
        """The PyMC model Bambi built."""
        return self.bambi_model.backend.model

    @property
    def pooled_formula(self) -> str:
        """The formula without its group terms (complete pooling): ``y ~ x`` for
        ``y ~ x + (x | g)``, ``y ~ 1`` when only group terms were on the right."""
        return pooled_formula(self.formula)

    def pooled(self) -> FormulaModel:
        """The complete-pooling counterpart: the same data, family and common effects."""
        return FormulaModel.from_formula(self.pooled_formula, self.frame, family=self.family)

    @property
    def unpooled_reason(self) -> str | None:
        """Why the model has no no-pooling counterpart, None when it has one: a sentence
        starting in lower case, to follow a colon (``"No pooling is left out: " + reason``).
        Only a model with one grouping factor, named by one column, has one (see
        :func:`~hbm_widgets.models.formula_counterparts.unpooled_reason`)."""
        return unpooled_reason(self.group_terms, self.frame)

    @property
    def unpooled_formula(self) -> str | None:
        """The formula with each group's effects as fixed effects of its factor (no pooling):
        ``y ~ 0 + g + z + x:g`` for ``y ~ x + z + (1 + x | g)``, a mean and a slope for each
        group (see :func:`~hbm_widgets.models.formula_counterparts.unpooled_formula`). None
        when :attr:`unpooled_reason` says why there is none."""
        if self.unpooled_reason is not None:
            return None
        return unpooled_formula(self.formula, self.group_terms)

    def unpooled(self) -> FormulaModel | None:
        """The no-pooling counterpart (:attr:`unpooled_formula`): the same data, family and
        common effects, each group's effects a fixed effect with Bambi's default weakly
        informative prior. None when :attr:`unpooled_reason` says why there is none."""
        formula = self.unpooled_formula
        if formula is None:
            return None
        return FormulaModel.from_formula(formula, self.frame, family=self.family)

    def fit(
        self,
        *,
        random_seed: int,
        draws: int = 1000,
        tune: int = 1000,
        chains: int = 4,
        target_accept: float = DEFAULT_TARGET_ACCEPT,
        sampler: str | None = None,
        progressbar: bool = False,
    ) -> FormulaFit:
        """Sample the model with :func:`hbm_widgets.sample`, pointwise log-likelihood kept.

        The draws then go through :meth:`as_fit`.
        """
        idata = sample(
            self.model,
            random_seed=random_seed,
            draws=draws,
            tune=tune,
            chains=chains,
            target_accept=target_accept,
            sampler=sampler,
            progressbar=progressbar,
            log_likelihood=True,
        )
        return self.as_fit(idata)

    def as_fit(self, idata: xr.DataTree) -> FormulaFit:
        """Draws of :attr:`model` (from :func:`hbm_widgets.sample`, or a core function that
        calls it) as a :class:`FormulaFit`, the intercept restored to the data's scale.

        Bambi centres each common predictor on its mean when the formula has an intercept
        (the sampler then meets a posterior with little correlation between the intercept
        and the slopes), so the sampled ``Intercept`` is the outcome at the predictors'
        means. Bambi's own clean-up, as its ``Model.fit`` applies it, turns it into the
        intercept of the data as written (at predictors 0, as lme4 reports it) and orders
        the dims: the posterior becomes what ``bambi.Model.fit`` returns, which Bambi's
        ``predict`` reads. ``idata`` is changed in place, so it is refused a second time;
        its ``log_likelihood`` (needed for LOO) must have been computed from the draws as
        sampled, i.e. by ``sample(..., log_likelihood=True)``.
        """
        idata = check_fit(idata)
        if "log_likelihood" not in idata.children:
            raise WorkbookInputError(
                "the draws have no log_likelihood group; sample with log_likelihood=True"
            )
        sampled = {v.name for v in self.model.free_RVs}
        missing = sorted(sampled - set(idata["posterior"].data_vars))
        if missing:
            raise WorkbookInputError(
                f"the draws are not of this model: they lack {', '.join(missing)}"
            )
        if idata["posterior"].attrs.get("modeling_interface") == "bambi":
            raise WorkbookInputError(
                "these draws are already a FormulaFit's (their intercept was restored once)"
            )
        idata = self.bambi_model.backend._clean_results(
            idata, omit_offsets=False, include_response_params=False
        )
        return FormulaFit(model=self, idata=idata)

    @property
    def parameter_names(self) -> dict[str, list[str]]:
        """The posterior variables a summary reports, by kind: ``common`` effects,
        ``group sd`` (each varying effect's standard deviation) and ``auxiliary``
        (sigma, nu, alpha: the family's other parameters)."""
        free = {var.name for var in self.model.free_RVs}
        auxiliary = [
            name
            for name in self.bambi_model.family.likelihood.params
            if name != self.bambi_model.family.likelihood.parent and name in free
        ]
        return {
            "common": list(self.common_terms),
            "group sd": [f"{term.name}_sigma" for term in self.group_terms],
            "auxiliary": auxiliary,
        }

    def __repr__(self) -> str:
        return (
            f"FormulaModel({self.formula!r}, family={self.family!r}, "
            f"n_obs={len(self.frame)}, group_terms={[t.name for t in self.group_terms]})"
        )


@dataclass(frozen=True, eq=False)
class FormulaFit:
    """A :class:`FormulaModel` and its posterior (with ``log_likelihood``)."""

    model: FormulaModel
    idata: xr.DataTree = field(repr=False)

    def summary(self, *, hdi_prob: float = 0.94) -> pd.DataFrame:
        """The common effects, group-level standard deviations and the family's other
        parameters: posterior mean, sd, highest-density interval, R-hat and bulk ESS.

        One row per parameter (per level for a categorical common effect, named
        ``term[level]``); columns ``parameter``, ``kind``, ``mean``, ``sd``, ``hdi_low``,
        ``hdi_high``, ``r_hat``, ``ess_bulk``.
        """
        hdi_prob = check_number("hdi_prob", hdi_prob, above=0, below=1)
        posterior = check_fit(self.idata)["posterior"].to_dataset()
        with np.errstate(invalid="ignore", divide="ignore"):
            rhat = az.rhat(self.idata)
            ess = az.ess(self.idata, method="bulk")
        rows = []
        for kind, names in self.model.parameter_names.items():
            for name in names:
                draws = posterior[name].stack(sample=("chain", "draw")).transpose("sample", ...)
                extra = [d for d in draws.dims if d != "sample"]
                values = draws.to_numpy().reshape(draws.sizes["sample"], -1)
                labels = [name]
                if extra:
                    index = pd.MultiIndex.from_product([draws[d].to_numpy() for d in extra])
                    labels = [f"{name}[{', '.join(map(str, key))}]" for key in index]
                bounds = hdi_bounds(values, hdi_prob).reshape(-1, 2)
                r_values = np.ravel(rhat[name].to_numpy())
                e_values = np.ravel(ess[name].to_numpy())
                for k, label in enumerate(labels):
                    rows.append(
                        {
                            "parameter": label,
                            "kind": kind,
                            "mean": float(values[:, k].mean()),
                            "sd": float(values[:, k].std(ddof=1)),
                            "hdi_low": float(bounds[k, 0]),
                            "hdi_high": float(bounds[k, 1]),
                            "r_hat": float(r_values[k]),
                            "ess_bulk": float(e_values[k]),
                        }
                    )
        return pd.DataFrame(rows)

    def convergence(self) -> ConvergenceReport:
        """R-hat, ESS and divergences over every parameter the model samples."""
        names = [v.name for v in self.model.model.free_RVs]
        return convergence_report(self.idata, var_names=names)

    def loo(self):
        """PSIS-LOO of the fit (ArviZ's ``loo``)."""
        return az.loo(self.idata)


def compare_with_pooled(
    fit: FormulaFit, pooled_fit: FormulaFit, unpooled_fit: FormulaFit | None = None
) -> pd.DataFrame:
    """The fit and its complete-pooling counterpart, and its no-pooling one when given,
    compared by PSIS-LOO (``az.compare``).

    Rows are named by each model's formula, best first; ``elpd_diff`` and ``dse`` say by how
    much, and with what standard error, each predicts held-out rows worse than the best.
    """
    fits = {"fit": fit, "pooled_fit": pooled_fit}
    if unpooled_fit is not None:
        fits["unpooled_fit"] = unpooled_fit
    for name, value in fits.items():
        if not isinstance(value, FormulaFit):
            raise WorkbookInputError(
                f"{name} must be a FormulaFit (FormulaModel.fit), got {type(value).__name__}"
            )
    for name in ("pooled_fit", "unpooled_fit"):
        if name in fits and fits[name].model.group_terms:
            raise WorkbookInputError(
                f"{name} must have no group terms, got {fits[name].model.formula!r}"
            )
    formulas = [value.model.formula for value in fits.values()]
    if len(set(formulas)) < len(formulas):
        raise WorkbookInputError(
            f"{' and '.join(fits)} must be fits of different formulas, got {formulas}"
        )
    for name, value in fits.items():
        same_rows = value.model.frame.shape[0] == fit.model.frame.shape[0]
        if not same_rows or value.model.response != fit.model.response:
            raise WorkbookInputError(
                f"fit and {name} must model the same outcome on the same rows, got "
                f"{fit.model.response!r} on {len(fit.model.frame)} rows and "
                f"{value.model.response!r} on {len(value.model.frame)}"
            )
    # Unrounded: ArviZ's "auto" rounds elpd to two significant figures (-840 for -843.6).
    return az.compare(
        {value.model.formula: value.idata for value in fits.values()}, round_to="none"
    )


def formula_from_roles(
    *, outcome: str, group: str, predictor: str | None = None, varying: Varying = "intercept"
) -> str:
    """The formula fitting what ``--group/--outcome/--predictor/--varying`` describe.

    ``varying="intercept"`` gives ``outcome ~ predictor + (1 | group)``, ``"slope"``
    ``outcome ~ predictor + (0 + predictor | group)`` and ``"both"``
    ``outcome ~ predictor + (1 + predictor | group)`` (Bambi's varying intercept and slope
    are independent, where the workbook's own ``varying="both"`` model correlates them).

    Examples
    --------
    >>> formula_from_roles(outcome="log_radon", group="county", predictor="floor",
    ...                    varying="both")
    'log_radon ~ floor + (1 + floor | county)'
    """
    for name, value in (("outcome", outcome), ("group", group), ("predictor", predictor)):
        if value is None and name == "predictor":
            continue
        if not isinstance(value, str) or not value.isidentifier():
            raise SpecificationError(
                f"{name} must be a column name usable in a formula (letters, digits and _, "
                f"not starting with a digit), got {value!r}"
            )
    if varying not in ("intercept", "slope", "both"):
        raise SpecificationError(f"varying={varying!r} is not one of 'intercept', 'slope', 'both'")
    if predictor is None:
        if varying != "intercept":
            raise SpecificationError(f"varying={varying!r} needs a predictor whose slope varies")
        return f"{outcome} ~ 1 + (1 | {group})"
    if len({outcome, group, predictor}) < 3:
        raise SpecificationError(
            f"outcome, group and predictor need three different columns, got {outcome!r}, "
            f"{group!r}, {predictor!r}"
        )
    effect = {"intercept": "1", "slope": f"0 + {predictor}", "both": f"1 + {predictor}"}
    return f"{outcome} ~ {predictor} + ({effect[varying]} | {group})"
