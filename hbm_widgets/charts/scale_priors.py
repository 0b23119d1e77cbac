"""Candidate priors for a standard deviation, side by side, with the far tail marked."""

from __future__ import annotations

import altair as alt
import pandas as pd

__all__ = ["plot_scale_priors"]


def plot_scale_priors(
    densities: pd.DataFrame,
    *,
    threshold: float | None = None,
    log_density: bool = False,
    x_title: str = "σ",
    width: int = 460,
    height: int = 220,
) -> alt.Chart:
    """Draw the densities made by :func:`hbm_widgets.scale_prior_densities`.

    Parameters
    ----------
    densities : DataFrame
        Columns ``prior`` (a label), ``value`` and ``density``.
    threshold : float, optional
        Draws a dashed vertical line here (e.g. the value whose tail mass is compared).
    log_density : bool
        Put the density on a log axis, where the tails' different speeds show.
    x_title : str
        Axis title for the scale parameter.
    width, height : int
        Chart size in pixels.

    Examples
    --------
    >>> from hbm_widgets import Prior, scale_prior_densities
    >>> frame = scale_prior_densities({"Exponential(1)": Prior("Exponential", lam=1)})
    >>> plot_scale_priors(frame, threshold=5).to_dict()["layer"][0]["mark"]["type"]
    'line'
    """
    data = densities
    y_scale = alt.Scale(type="linear")
    if log_density:
        data = densities[densities["density"] > 0]
        y_scale = alt.Scale(type="log")
    lines = (
        alt.Chart(data)
        .mark_line(strokeWidth=2.5)
        .encode(
            x=alt.X("value:Q", title=x_title),
            y=alt.Y("density:Q", title="prior density", scale=y_scale),
            color=alt.Color("prior:N", title=None, sort=list(dict.fromkeys(data["prior"]))),
        )
    )
    layers = [lines]
    if threshold is not None:
        rule = (
            alt.Chart(pd.DataFrame({"threshold": [float(threshold)]}))
            .mark_rule(strokeDash=[5, 4], color="#555555")
            .encode(x="threshold:Q")
        )
        layers.append(rule)
    return alt.layer(*layers).properties(width=width, height=height)
