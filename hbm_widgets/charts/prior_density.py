"""The density of one prior, or of several side by side."""

from __future__ import annotations

import altair as alt
import pandas as pd

__all__ = ["plot_prior_density"]


def plot_prior_density(
    density: pd.DataFrame,
    *,
    label: str = "prior",
    x_title: str = "value",
    width: int = 420,
    height: int = 200,
) -> alt.Chart:
    """Draw densities made by :func:`hbm_widgets.prior_density`.

    Parameters
    ----------
    density : DataFrame
        Columns ``value`` and ``density``; an optional column named by ``label`` draws one
        coloured curve per prior.
    label : str
        Column that tells curves apart, when present.
    x_title : str
        Axis title, e.g. the parameter's name.

    Examples
    --------
    >>> from hbm_widgets import Prior, prior_density
    >>> plot_prior_density(prior_density(Prior("HalfNormal", sigma=1))).to_dict()["mark"]["type"]
    'area'
    """
    encoding = {
        "x": alt.X("value:Q", title=x_title),
        "y": alt.Y("density:Q", title="density"),
    }
    if label in density.columns:
        encoding["color"] = alt.Color(f"{label}:N", title=None)
        mark = alt.Chart(density).mark_line(strokeWidth=2.5)
    else:
        mark = alt.Chart(density).mark_area(opacity=0.5, line=True)
    return mark.encode(**encoding).properties(width=width, height=height)
