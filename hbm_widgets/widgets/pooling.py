"""``pooling_selector()``: choose a pooling strategy and get the ``ModelSpec`` it stands for."""

from __future__ import annotations

import ipywidgets as widgets
import traitlets

from hbm_widgets.core.spec import ModelSpec, check_compatible
from hbm_widgets.widgets.base import Explorer

__all__ = ["PoolingSelector", "pooling_selector"]


class PoolingSelector(Explorer):
    """Buttons for pooling, varying part, parameterisation and likelihood.

    ``spec`` (a traitlet, so other widgets can observe it) always holds the last valid
    :class:`~hbm_widgets.ModelSpec`; its description in words and LaTeX is shown below the
    controls. Combinations that cannot be built (a group-level predictor without partial
    pooling, a varying slope without a predictor in ``data``) show a message and leave the
    spec as it was.
    """

    spec = traitlets.Instance(ModelSpec)

    def __init__(self, spec: ModelSpec | None = None, *, data=None) -> None:
        spec = spec or ModelSpec()
        self.data = data
        controls = {
            "pooling": widgets.ToggleButtons(
                options=[("complete", "complete"), ("none", "none"), ("partial", "partial")],
                value=spec.pooling,
                description="pooling",
            ),
            "varying": widgets.ToggleButtons(
                options=[("intercept", "intercept"), ("slope", "slope"), ("both", "both")],
                value=spec.varying,
                description="varying",
            ),
            "parameterization": widgets.Dropdown(
                options=[("non-centred", "non_centered"), ("centred", "centered")],
                value=spec.parameterization,
                description="written",
            ),
            "likelihood": widgets.Dropdown(
                options=[("normal", "normal"), ("Student-t", "student_t")],
                value=spec.likelihood,
                description="likelihood",
            ),
            "group_predictor": widgets.Checkbox(
                value=spec.group_predictor,
                description="group-level predictor",
                disabled=data is not None and data.group_predictor is None,
            ),
        }
        for toggle in ("pooling", "varying"):
            controls[toggle].style.button_width = "90px"
        self._base_spec = spec
        rows = [
            widgets.HBox([controls["pooling"], controls["varying"]]),
            widgets.HBox(
                [controls["parameterization"], controls["likelihood"], controls["group_predictor"]]
            ),
        ]
        super().__init__(controls, layout_rows=rows)

    def _render(self, values):
        spec = self._base_spec.replace(**values)
        if self.data is not None:
            check_compatible(spec, self.data)
        self.spec = spec
        return spec.describe(self.data), f"<b>{spec.label}</b>"

    @property
    def description(self):
        """The current spec's :class:`~hbm_widgets.ModelDescription`."""
        return self.chart


def pooling_selector(spec: ModelSpec | None = None, *, data=None) -> PoolingSelector:
    """A widget whose ``.spec`` is the model chosen with its buttons.

    Parameters
    ----------
    spec : ModelSpec, optional
        Where to start (its priors are kept as the buttons change).
    data : GroupedData, optional
        When given, specs the data cannot support are refused inline, and the description
        uses the data's column names and the priors the model will have.

    Examples
    --------
    >>> selector = pooling_selector()
    >>> selector.controls["pooling"].value = "complete"
    >>> selector.spec.pooling
    'complete'
    """
    return PoolingSelector(spec, data=data)
