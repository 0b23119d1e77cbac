"""How posterior means spread across a study's simulations, per prior and design."""

from __future__ import annotations

import altair as alt
import pandas as pd

__all__ = ["plot_study_posterior_means"]


def plot_study_posterior_means(
    estimates: pd.DataFrame,
    *,
    parameter_title: str = "posterior mean",
    maxbins: int = 20,
    width: int = 170,
    height: int = 110,
) -> alt.FacetChart:
    """Histograms of one parameter's posterior means: a row per prior, a column per design.

    Parameters
    ----------
    estimates : DataFrame
        One row per simulation for a single parameter, with columns ``design``, ``prior``,
        ``posterior_mean`` and ``true_value`` (a study table filtered to one parameter,
        e.g. ``table[table["parameter"] == "gamma1"]``).
    parameter_title : str
        Axis title, e.g. "posterior mean of γ1".
    maxbins : int
        Most bins per histogram (Altair chooses round bin edges).
    width, height : int
        Size of each panel in pixels.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"design": ["N=50, J=5"] * 2, "prior": ["good", "bad"],
    ...                       "posterior_mean": [0.9, 1.3], "true_value": [1.0, 1.0]})
    >>> spec = plot_study_posterior_means(frame).to_dict()
    >>> spec["facet"]["row"]["field"], spec["facet"]["column"]["field"]
    ('prior', 'design')
    """
    if estimates["parameter"].nunique() > 1 if "parameter" in estimates else False:
        raise ValueError("pass the estimates of one parameter only")
    data = estimates[["design", "prior", "posterior_mean", "true_value"]]
    designs = list(dict.fromkeys(data["design"]))
    priors = list(dict.fromkeys(data["prior"]))
    bars = (
        alt.Chart()
        .mark_bar(color="#4c78a8", opacity=0.8)
        .encode(
            x=alt.X("posterior_mean:Q", bin=alt.Bin(maxbins=maxbins), title=parameter_title),
            y=alt.Y("count():Q", title="simulations"),
        )
    )
    truth = (
        alt.Chart()
        .mark_rule(color="#d62728", strokeWidth=2, strokeDash=[4, 3])
        .encode(x="mean(true_value):Q")
    )
    return (
        alt.layer(bars, truth, data=data)
        .properties(width=width, height=height)
        .facet(
            row=alt.Row("prior:N", sort=priors, title=None),
            column=alt.Column("design:N", sort=designs, title=None),
        )
    )
