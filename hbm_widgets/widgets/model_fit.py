"""``model_fit_explorer()``: a pooling selector and a prior picker driving one real fit.

The explorer observes the ``spec`` of a :func:`~hbm_widgets.pooling_selector` (pooling,
varying part, parameterisation, likelihood, group-level predictor) and of a
:func:`~hbm_widgets.prior_picker` (priors). Each change builds the model the combined spec
describes, samples it through :func:`hbm_widgets.sample` with a fixed seed, and redraws every
group's estimate (arrows from the least-squares no-pooling intercepts) and the table of the
fit's scalar parameters. Fits are cached by spec, so going back to a model already fitted is
instant.
"""

from __future__ import annotations

import functools
import html
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import ipywidgets as widgets
import pandas as pd
import xarray as xr

from hbm_widgets.charts.county_estimates import plot_county_estimates
from hbm_widgets.core.data import GroupedData
from hbm_widgets.core.diagnostics import ConvergenceReport, convergence_report
from hbm_widgets.core.errors import WorkbookInputError
from hbm_widgets.core.groups import (
    group_estimates,
    least_squares_intercepts,
    population_summary,
)
from hbm_widgets.core.refit import Refitter
from hbm_widgets.core.sampling import DEFAULT_TARGET_ACCEPT
from hbm_widgets.core.spec import ModelSpec, check_compatible
from hbm_widgets.widgets.base import Explorer
from hbm_widgets.widgets.pooling import PoolingSelector, pooling_selector
from hbm_widgets.widgets.priors import PriorPicker, prior_picker

__all__ = ["FitRecord", "ModelFitExplorer", "model_fit_explorer"]

REFERENCE_LABEL = "least squares (no pooling)"


@dataclass(frozen=True)
class FitRecord:
    """One fit the explorer made (or was given): its spec, posterior, time and diagnostics.

    ``report`` (R-hat, ESS and divergences; None when not asked for or not a sampler's fit)
    is computed when first read: fits handed to the explorer are diagnosed only if shown.
    """

    spec: ModelSpec
    idata: xr.DataTree
    seconds: float
    diagnostics: bool = True

    @functools.cached_property
    def report(self) -> ConvergenceReport | None:
        if not self.diagnostics or "sample_stats" not in self.idata.children:
            return None
        return convergence_report(self.idata)


class ModelFitExplorer(Explorer):
    """Refits the model whenever the selector's or the picker's ``spec`` changes.

    Attributes
    ----------
    selector : PoolingSelector
    picker : PriorPicker
    spec : ModelSpec
        The spec of the fit shown.
    fits : dict of ModelSpec to FitRecord
        The cache.
    fitted_specs : list of ModelSpec
        Every spec passed to the fitting function, in order (a cached spec is not refitted).
    current : FitRecord
        The fit shown.
    last_seconds : float
        Time the last change took to show (fitting or the cache).
    estimates : DataFrame
        The per-group table drawn.
    """

    def __init__(
        self,
        data: GroupedData,
        *,
        selector: PoolingSelector | None = None,
        picker: PriorPicker | None = None,
        fit: Callable[[ModelSpec, GroupedData], xr.DataTree] | None = None,
        fits: Mapping[ModelSpec, xr.DataTree] | None = None,
        draws: int = 500,
        tune: int = 500,
        chains: int = 2,
        target_accept: float = DEFAULT_TARGET_ACCEPT,
        random_seed: int = 8927,
        coefficient: str = "alpha",
        diagnostics: bool = True,
    ) -> None:
        if not isinstance(data, GroupedData):
            raise WorkbookInputError(
                f"expected GroupedData (see GroupedData.from_frame), got {type(data).__name__}"
            )
        self.data = data
        self.selector = selector or pooling_selector(data=data)
        self.picker = picker or prior_picker(self.selector.spec, data=data)
        # A change of prior values only sets data in an already compiled model (Refitter);
        # a change of pooling or of a prior's family builds and compiles a new one.
        self._fit = fit or Refitter(
            draws=draws,
            tune=tune,
            chains=chains,
            target_accept=target_accept,
            random_seed=random_seed,
        )
        self.diagnostics = diagnostics
        self.fits: dict[ModelSpec, FitRecord] = {}
        self.fitted_specs: list[ModelSpec] = []
        self.current: FitRecord | None = None
        self.spec: ModelSpec | None = None
        self.last_seconds: float | None = None
        self.estimates = None
        self._syncing = False
        self._reference = None
        if data.predictor is not None:
            try:
                self._reference = least_squares_intercepts(data, label=REFERENCE_LABEL)
            except WorkbookInputError:
                self._reference = None
        for spec, idata in (fits or {}).items():
            key = self._normalised(spec)
            self.fits[key] = FitRecord(key, idata, 0.0, diagnostics)
        controls = {
            "coefficient": widgets.ToggleButtons(
                options=[
                    (f"{data.group_name} intercepts", "alpha"),
                    (f"{data.group_name} slopes", "beta"),
                ],
                value=coefficient,
                description="show",
            )
        }
        controls["coefficient"].style.button_width = "130px"
        self._sync_picker(self.selector.spec)
        rows = [self.selector, self.picker, widgets.HBox([controls["coefficient"]])]
        super().__init__(controls, layout_rows=rows)
        self.selector.observe(self._on_structure, names="spec")
        self.picker.observe(self._on_priors, names="spec")

    # -- the spec --------------------------------------------------------------------------
    def _roles(self, spec: ModelSpec) -> list[str]:
        return spec.prior_roles(has_predictor=self.data.predictor is not None)

    def _normalised(self, spec: ModelSpec) -> ModelSpec:
        """The spec with the choices its model ignores reset (the varying part under complete
        pooling, the parameterisation without partial pooling, priors of parameters it does
        not have), so that specs of one model share a cache entry."""
        if spec.pooling == "complete":
            spec = spec.replace(varying="intercept")
        if spec.pooling != "partial":
            spec = spec.replace(parameterization="non_centered")
        roles = set(self._roles(spec))
        return spec.replace(priors={r: p for r, p in spec.prior_overrides.items() if r in roles})

    def combined_spec(self) -> ModelSpec:
        """The selector's model with the picker's priors (the picker wins on a clash)."""
        structure = self.selector.spec
        priors = {**structure.prior_overrides, **self.picker.spec.prior_overrides}
        return self._normalised(structure.replace(priors=priors))

    def _sync_picker(self, structure: ModelSpec) -> None:
        """Give the picker the selector's model, so it offers that model's parameters."""
        self._syncing = True
        try:
            picker = self.picker
            keep = picker.controls["parameter"].value
            picker.spec = structure.replace(priors=picker.spec.prior_overrides)
            roles = self._roles(structure)
            if list(picker.controls["parameter"].options) != roles:
                picker.controls["parameter"].options = roles
                picker.controls["parameter"].value = keep if keep in roles else roles[0]
        finally:
            self._syncing = False

    def _on_structure(self, change) -> None:
        self._sync_picker(change["new"])
        self.refresh()

    def _on_priors(self, _change) -> None:
        if not self._syncing:
            self.refresh()

    # -- fitting ---------------------------------------------------------------------------
    def fit_spec(self, spec: ModelSpec) -> FitRecord:
        """The fit of ``spec``: from the cache, or made now with the fitting function."""
        spec = self._normalised(spec)
        if spec in self.fits:
            return self.fits[spec]
        check_compatible(spec, self.data)
        start = time.perf_counter()
        idata = self._fit(spec, self.data)
        seconds = time.perf_counter() - start
        self.fitted_specs.append(spec)
        record = FitRecord(spec, idata, seconds, self.diagnostics)
        self.fits[spec] = record
        return record

    def _render(self, values):
        spec = self.combined_spec()
        start = time.perf_counter()
        cached = spec in self.fits
        record = self.fit_spec(spec)
        coefficient = values["coefficient"]
        label = spec.label
        estimates = group_estimates({label: record.idata}, self.data, coefficient=coefficient)
        arrows = {}
        if coefficient == "alpha" and self._reference is not None:
            estimates = pd.concat([self._reference, estimates], ignore_index=True)
            arrows = {"arrow_from": REFERENCE_LABEL, "arrow_to": label}
        group = self.data.group_name
        y_title = f"{group} intercept" if coefficient == "alpha" else f"{group} slope"
        chart = plot_county_estimates(
            estimates,
            group=group,
            intervals=True,
            y_title=y_title,
            width=760,
            height=260,
            **arrows,
        )
        self.last_seconds = time.perf_counter() - start
        self.current, self.spec, self.estimates = record, spec, estimates
        return chart, self._summary(record, cached)

    def _summary(self, record: FitRecord, cached: bool) -> str:
        how = (
            "from the cache (fitted before)"
            if cached or record.seconds == 0
            else f"fitted in {record.seconds:.1f} s"
        )
        lines = [f"<b>{html.escape(record.spec.label)}</b>: {how}"]
        if record.report is not None:
            r = record.report
            status = "✓" if r.max_rhat < 1.01 and r.divergences == 0 else "⚠"
            lines.append(
                f"{status} max R-hat {r.max_rhat:.3f}, min bulk ESS {r.min_ess_bulk:.0f}, "
                f"{r.divergences} divergences ({r.chains} chains × {r.draws} draws)"
            )
        table = population_summary(record.idata, record.spec).round(3)
        lines.append(table.to_html(border=0))
        return "<br>".join(lines)


def model_fit_explorer(
    data: GroupedData,
    *,
    selector: PoolingSelector | None = None,
    picker: PriorPicker | None = None,
    fit: Callable[[ModelSpec, GroupedData], xr.DataTree] | None = None,
    fits: Mapping[ModelSpec, xr.DataTree] | None = None,
    draws: int = 500,
    tune: int = 500,
    chains: int = 2,
    target_accept: float = DEFAULT_TARGET_ACCEPT,
    random_seed: int = 8927,
    coefficient: str = "alpha",
) -> ModelFitExplorer:
    """A fit explorer: the selector's and the picker's choices refit the model in place.

    Parameters
    ----------
    data : GroupedData
        The data every model is fitted on.
    selector : PoolingSelector, optional
        Made with ``pooling_selector(data=data)`` when not given.
    picker : PriorPicker, optional
        Made with ``prior_picker(selector.spec, data=data)`` when not given.
    fit : callable, optional
        ``fit(spec, data) -> DataTree``. By default ``build_model`` and then
        :func:`hbm_widgets.sample` with ``draws``, ``tune``, ``chains``, ``target_accept``
        and ``random_seed``.
    fits : mapping of ModelSpec to DataTree, optional
        Fits already made, to start the cache with (e.g. the chapter's own).
    draws, tune, chains, target_accept, random_seed
        Sampler settings of the default ``fit``; small, so that a refit takes seconds.
    coefficient : {"alpha", "beta"}
        Which group coefficient to draw first.

    Returns
    -------
    ModelFitExplorer

    Examples
    --------
    >>> # explorer = model_fit_explorer(data, fits={ModelSpec(): partial_pooling_idata})
    >>> # explorer.selector.controls["pooling"].value = "none"   # refits, then draws
    """
    return ModelFitExplorer(
        data,
        selector=selector,
        picker=picker,
        fit=fit,
        fits=fits,
        draws=draws,
        tune=tune,
        chains=chains,
        target_accept=target_accept,
        random_seed=random_seed,
        coefficient=coefficient,
    )
