"""``conjugate_explorer()``: move the prior and the data, watch the posterior follow."""

from __future__ import annotations

import ipywidgets as widgets

from hbm_widgets.charts.conjugate import plot_conjugate_update
from hbm_widgets.core.conjugate import conjugate_curves, conjugate_normal_posterior
from hbm_widgets.widgets.base import Explorer

__all__ = ["ConjugateExplorer", "conjugate_explorer"]

_STYLE = {"description_width": "initial"}


class ConjugateExplorer(Explorer):
    """Prior mean and SD, data SD, sample size and observed mean -> the three curves.

    ``posterior`` holds the last valid :class:`~hbm_widgets.NormalPosterior`.
    """

    def __init__(
        self,
        *,
        prior_mean: float = 0.0,
        prior_sd: float = 10.0,
        sigma: float = 15.0,
        n: int = 20,
        sample_mean: float = 5.0,
    ) -> None:
        self.posterior = None
        controls = {
            "prior_mean": widgets.FloatText(
                value=prior_mean, description="prior mean", style=_STYLE
            ),
            "prior_sd": widgets.FloatText(value=prior_sd, description="prior SD", style=_STYLE),
            "sigma": widgets.FloatText(value=sigma, description="data SD σ", style=_STYLE),
            "n": widgets.IntSlider(value=n, min=0, max=200, description="n", style=_STYLE),
            "sample_mean": widgets.FloatText(
                value=sample_mean, description="observed mean ȳ", style=_STYLE
            ),
        }
        rows = [
            widgets.HBox([controls["prior_mean"], controls["prior_sd"]]),
            widgets.HBox([controls["sigma"], controls["n"], controls["sample_mean"]]),
        ]
        for control in controls.values():
            control.layout.width = "220px"
        super().__init__(controls, layout_rows=rows)

    def _render(self, values):
        posterior = conjugate_normal_posterior(**values)
        chart = plot_conjugate_update(conjugate_curves(**values))
        self.posterior = posterior
        summary = (
            f"posterior mean <b>{posterior.mean:.3f}</b>, posterior SD <b>{posterior.sd:.3f}</b>; "
            f"weight on the data α = <b>{posterior.data_weight:.3f}</b>, "
            f"on the prior mean 1 − α = {1 - posterior.data_weight:.3f}"
        )
        return chart, summary


def conjugate_explorer(
    *,
    prior_mean: float = 0.0,
    prior_sd: float = 10.0,
    sigma: float = 15.0,
    n: int = 20,
    sample_mean: float = 5.0,
) -> ConjugateExplorer:
    """An explorer of the conjugate normal update (chapter 01).

    Examples
    --------
    >>> explorer = conjugate_explorer(prior_sd=5)
    >>> explorer.controls["n"].value = 0     # no data: the posterior is the prior
    >>> explorer.posterior.mean, explorer.posterior.sd
    (0.0, 5.0)
    """
    return ConjugateExplorer(
        prior_mean=prior_mean, prior_sd=prior_sd, sigma=sigma, n=n, sample_mean=sample_mean
    )
