"""``diagnostics_dashboard(idata)``: pick a quantity, see its trace, ranks and numbers."""

from __future__ import annotations

import html
import warnings

import altair as alt
import arviz as az
import ipywidgets as widgets
import numpy as np
import xarray as xr

from hbm_widgets.charts.rank import plot_rank
from hbm_widgets.charts.trace import plot_trace
from hbm_widgets.core.errors import WorkbookInputError
from hbm_widgets.lessons.diagnostic_tables import (
    CHECKLIST_THRESHOLDS,
    chain_draws,
    variable_elements,
    variable_names,
)
from hbm_widgets.widgets.base import Explorer

__all__ = ["DiagnosticsDashboard", "diagnostics_dashboard"]

_STYLE = {"description_width": "initial"}


def _divergences(idata) -> int | None:
    if "sample_stats" in idata.children and "diverging" in idata["sample_stats"].data_vars:
        return int(idata.sample_stats["diverging"].sum())
    return None


class DiagnosticsDashboard(Explorer):
    """A variable (and, for a vector, an element) and rank bins -> trace, ranks and numbers.

    Works on any fit: the variable menu lists the posterior's numeric variables, and the
    element menu the labels of the chosen variable's elements (it is disabled for a
    scalar).

    Attributes
    ----------
    idata : xarray.DataTree
    var_name : str or None
        The quantity last drawn, ``"sigma"`` or ``"beta[AITKIN]"``.
    diagnostics : dict or None
        Its rank-normalised R-hat, bulk and tail ESS and MCSE of the mean (from ArviZ),
        and the fit's number of divergent transitions (None if it records none).
    """

    def __init__(self, idata, *, var_name: str | None = None, bins: int = 20) -> None:
        names = variable_names(idata)
        if not names:
            raise WorkbookInputError("the posterior holds no numeric variable to diagnose")
        variable, element = names[0], None
        if var_name is not None:
            variable, _, rest = var_name.partition("[")
            element = rest[:-1] if rest.endswith("]") else None
            if variable not in names:
                raise WorkbookInputError(
                    f"no numeric variable {variable!r} in the posterior; "
                    f"expected one of: {', '.join(names)}"
                )
        labels = variable_elements(idata, variable)
        if element is None and labels:
            element = labels[0]
        if labels and element not in labels:
            raise WorkbookInputError(f"{variable!r} has no element {element!r}")
        self.idata = idata
        self.var_name: str | None = None
        self.diagnostics: dict | None = None
        self._updating = False
        controls = {
            "variable": widgets.Dropdown(
                options=names, value=variable, description="variable", style=_STYLE
            ),
            "element": widgets.Dropdown(
                options=labels,
                value=element if labels else None,
                description="element",
                disabled=not labels,
                style=_STYLE,
            ),
            "bins": widgets.IntText(value=bins, description="rank bins", style=_STYLE),
        }
        controls["variable"].layout.width = "260px"
        controls["element"].layout.width = "260px"
        controls["bins"].layout.width = "150px"
        super().__init__(controls)

    def _setup_observers(self) -> None:
        self.controls["variable"].observe(self._on_variable, names="value")
        self.controls["element"].observe(self._on_change, names="value")
        self.controls["bins"].observe(self._on_change, names="value")

    def _on_variable(self, change) -> None:
        # New variable: offer its elements first, then redraw once.
        labels = variable_elements(self.idata, change["new"])
        element = self.controls["element"]
        self._updating = True
        try:
            element.options = labels
            element.value = labels[0] if labels else None
            element.disabled = not labels
        finally:
            self._updating = False
        self.refresh()

    def _on_change(self, change) -> None:
        if not self._updating:
            self.refresh()

    def _render(self, values):
        variable, element = values["variable"], values["element"]
        var_name = variable if element is None else f"{variable}[{element}]"
        draws = chain_draws(self.idata, var_name)
        rank = plot_rank(self.idata, var_name=var_name, bins=values["bins"], width=260)
        trace = plot_trace(self.idata, var_name=var_name, width=420, height=220)
        # As a labelled array, so that ArviZ applies the defaults its summary uses (the tail
        # ESS at the quantiles of rcParams["stats.ci_prob"]): the dashboard's numbers match
        # the convergence report's. A bare array would need the tail quantiles spelled out.
        labelled = xr.DataArray(draws, dims=("chain", "draw"))
        with warnings.catch_warnings():
            # Very short runs make ArviZ warn about its own estimates; the numbers show it.
            warnings.simplefilter("ignore")
            diagnostics = {
                "rhat": float(az.rhat(labelled)),
                "ess_bulk": float(az.ess(labelled, method="bulk")),
                "ess_tail": float(az.ess(labelled, method="tail")),
                "mcse_mean": float(az.mcse(labelled, method="mean")),
                "divergences": _divergences(self.idata),
            }
        self.var_name = var_name
        self.diagnostics = diagnostics
        return alt.hconcat(trace, rank), self._summary(var_name, draws, diagnostics)

    @staticmethod
    def _summary(var_name: str, draws: np.ndarray, d: dict) -> str:
        t = CHECKLIST_THRESHOLDS

        def mark(ok: bool) -> str:
            return "✓" if ok else '<span style="color:#b00020">✗</span>'

        parts = [
            f"<b>{html.escape(var_name)}</b>: {draws.shape[0]} chains × {draws.shape[1]} draws",
            f"R-hat <b>{d['rhat']:.3f}</b> {mark(d['rhat'] < t['rhat'])}",
            f"bulk ESS <b>{d['ess_bulk']:.0f}</b> {mark(d['ess_bulk'] >= t['ess'])}",
            f"tail ESS <b>{d['ess_tail']:.0f}</b> {mark(d['ess_tail'] >= t['ess'])}",
            f"MCSE of the mean {d['mcse_mean']:.3g}",
        ]
        if d["divergences"] is None:
            parts.append("no divergence record (not a NUTS fit)")
        else:
            parts.append(
                f"divergences in the fit <b>{d['divergences']}</b> {mark(d['divergences'] == 0)}"
            )
        return "; ".join(parts)


def diagnostics_dashboard(
    idata, *, var_name: str | None = None, bins: int = 20
) -> DiagnosticsDashboard:
    """A dashboard of one fit's convergence diagnostics, a quantity at a time (chapter 09).

    Parameters
    ----------
    idata : xarray.DataTree
        Any fit with a posterior group (NUTS, Metropolis-Hastings, ...).
    var_name : str, optional
        The quantity to show first: ``"sigma"``, or ``"beta[AITKIN]"`` for one element
        of a vector (default: the first variable, and its first element).
    bins : int
        Number of bins of the rank plot.

    Examples
    --------
    >>> import arviz as az, numpy as np
    >>> rng = np.random.default_rng(0)
    >>> idata = az.from_dict({"posterior": {"mu": rng.normal(size=(4, 200)),
    ...                                     "theta": rng.normal(size=(4, 200, 3))}})
    >>> dashboard = diagnostics_dashboard(idata)  # doctest: +SKIP
    >>> dashboard.var_name  # doctest: +SKIP
    'mu'
    >>> dashboard.controls["variable"].value = "theta"  # doctest: +SKIP
    >>> dashboard.var_name  # doctest: +SKIP
    'theta[0]'
    """
    return DiagnosticsDashboard(idata, var_name=var_name, bins=bins)
