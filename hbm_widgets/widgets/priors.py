"""``prior_picker()``: set the prior of any parameter of a ``ModelSpec``, see what it implies."""

from __future__ import annotations

import html

import ipywidgets as widgets
import pandas as pd
import traitlets

from hbm_widgets.charts.prior_density import plot_prior_density
from hbm_widgets.core.errors import WorkbookInputError
from hbm_widgets.core.prior_checks import prior_density, prior_predictive_summary
from hbm_widgets.core.priors import DISTRIBUTIONS, Prior, default_priors, resolve_priors
from hbm_widgets.core.spec import PRIOR_ROLES, ModelSpec
from hbm_widgets.widgets.base import Explorer

__all__ = ["PriorPicker", "prior_picker"]

_MAX_PARAMETERS = 3


def _families(support: str) -> list[str]:
    """Families a parameter of this support may take (flat ones are not offered here)."""
    if support == "correlation":
        return ["LKJCorr"]
    wanted = ("positive",) if support == "positive" else ("real",)
    return [
        name
        for name, (_, _, family_support) in DISTRIBUTIONS.items()
        if family_support in wanted and name not in ("Flat", "HalfFlat")
    ]


class PriorPicker(Explorer):
    """Pick a parameter, its family and values; ``spec`` follows with that prior set.

    The chart shows the chosen prior's density. With ``data`` (a ``GroupedData``) the
    default priors are the data-scaled ones the model would use, and with
    ``predictive=True`` each valid change also simulates outcomes from all the priors and
    reports the share outside a plausible range (a prior predictive check).
    """

    spec = traitlets.Instance(ModelSpec)

    def __init__(
        self,
        spec: ModelSpec | None = None,
        *,
        data=None,
        predictive: bool = False,
        random_seed: int = 8927,
    ) -> None:
        self.spec = spec or ModelSpec()
        self.data = data
        self.predictive = predictive and data is not None
        self.random_seed = random_seed
        self.predictive_summary = None
        self._loading = False
        roles = self._roles()
        first = self._current_prior(roles[0])
        controls = {
            "parameter": widgets.Dropdown(options=roles, value=roles[0], description="parameter"),
            "family": widgets.Dropdown(
                options=_families(PRIOR_ROLES[roles[0]]),
                value=first.distribution,
                description="prior",
            ),
        }
        for i in range(_MAX_PARAMETERS):
            controls[f"value_{i}"] = widgets.FloatText(
                description="", layout=widgets.Layout(width="170px")
            )
        self.controls = controls
        self._show_parameters(first)
        rows = [
            widgets.HBox([controls["parameter"], controls["family"]]),
            widgets.HBox([controls[f"value_{i}"] for i in range(_MAX_PARAMETERS)]),
        ]
        self.table = widgets.HTML()
        super().__init__(controls, layout_rows=rows)
        self.children = (*self.children, self.table)
        self._update_table()

    # -- which prior is being edited -------------------------------------------------------
    def _roles(self) -> list[str]:
        has_predictor = self.data is None or self.data.predictor is not None
        return self.spec.prior_roles(has_predictor=has_predictor)

    def _current_prior(self, role: str) -> Prior:
        if role in self.spec.prior_overrides:
            return self.spec.prior_overrides[role]
        if self.data is not None:
            return default_priors(self.data)[role]
        return {
            "positive": Prior("HalfNormal", sigma=1),
            "correlation": Prior("LKJCorr", eta=2),
        }.get(PRIOR_ROLES[role], Prior("Normal", mu=0, sigma=1))

    def _show_parameters(self, prior: Prior) -> None:
        """Label and fill the value boxes for this prior's family, hide the unused ones."""
        names = DISTRIBUTIONS[prior.distribution][0]
        for i in range(_MAX_PARAMETERS):
            box = self.controls[f"value_{i}"]
            if i < len(names):
                box.description = names[i]
                box.value = prior.kwargs[names[i]]
                box.layout.display = None
            else:
                box.description = ""
                box.layout.display = "none"

    def _on_change(self, change) -> None:
        if self._loading:
            return
        self._loading = True
        try:
            if change["owner"] is self.controls["parameter"]:
                prior = self._current_prior(change["new"])
                self.controls["family"].options = _families(PRIOR_ROLES[change["new"]])
                self.controls["family"].value = prior.distribution
                self._show_parameters(prior)
            elif change["owner"] is self.controls["family"]:
                # A new family starts from its own sensible values, not the old family's.
                self._show_parameters(_starting_prior(change["new"]))
        finally:
            self._loading = False
        self.refresh()

    # -- turning values into a spec ----------------------------------------------------------
    def _prior_from_controls(self, values) -> Prior:
        family = values["family"]
        names = DISTRIBUTIONS[family][0]
        return Prior(family, **{n: values[f"value_{i}"] for i, n in enumerate(names)})

    def _render(self, values):
        role = values["parameter"]
        prior = self._prior_from_controls(values)
        density = prior_density(prior)
        # Showing a parameter's current prior is not a choice: only a change is recorded.
        unchanged = prior == self._current_prior(role)
        spec = self.spec if unchanged else self.spec.with_prior(role, prior)
        summary = f"<code>{html.escape(role)} ~ {html.escape(str(prior))}</code>"
        if self.predictive:
            result = prior_predictive_summary(spec, self.data, random_seed=self.random_seed)
            self.predictive_summary = result
            summary += f"<br>{html.escape(result.sentence(self.data.outcome_name))}"
        self.spec = spec
        self._update_table()
        return plot_prior_density(density, x_title=role), summary

    def _update_table(self) -> None:
        if not hasattr(self, "table"):
            return
        if self.data is not None:
            priors = resolve_priors(self.spec, self.data)
        else:
            priors = {r: self._current_prior(r) for r in self._roles()}
        rows = pd.DataFrame(
            {
                "parameter": list(priors),
                "prior": [str(p) for p in priors.values()],
                "set here": [r in self.spec.prior_overrides for r in priors],
            }
        )
        self.table.value = rows.to_html(index=False, border=0)


def _starting_prior(family: str) -> Prior:
    start = {
        "Normal": {"mu": 0, "sigma": 1},
        "StudentT": {"nu": 3, "mu": 0, "sigma": 1},
        "Cauchy": {"alpha": 0, "beta": 1},
        "Uniform": {"lower": -1, "upper": 1},
        "HalfNormal": {"sigma": 1},
        "HalfCauchy": {"beta": 1},
        "HalfStudentT": {"nu": 3, "sigma": 1},
        "Exponential": {"lam": 1},
        "Gamma": {"alpha": 2, "beta": 1},
        "LKJCorr": {"eta": 2},
    }
    if family not in start:
        raise WorkbookInputError(f"no starting values for a {family} prior")
    return Prior(family, **start[family])


def prior_picker(
    spec: ModelSpec | None = None, *, data=None, predictive: bool = False, random_seed: int = 8927
) -> PriorPicker:
    """A widget to set priors; its ``.spec`` is the given spec with the priors chosen.

    Examples
    --------
    >>> picker = prior_picker()
    >>> picker.controls["parameter"].value = "sigma"
    >>> picker.controls["family"].value = "Exponential"
    >>> picker.controls["value_0"].value = 2.0
    >>> picker.spec.prior_overrides["sigma"]
    Prior('Exponential', lam=2)
    """
    return PriorPicker(spec, data=data, predictive=predictive, random_seed=random_seed)
