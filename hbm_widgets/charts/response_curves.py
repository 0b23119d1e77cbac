"""Response curves over spend with 50% and 90% bands, one panel per group."""

from __future__ import annotations

import altair as alt
import pandas as pd

from hbm_widgets.core.errors import WorkbookInputError

__all__ = ["plot_response_curves"]

_CURVE_COLUMNS = {"group", "log_spend", "mean", "lower_90", "upper_90", "lower_50", "upper_50"}


def plot_response_curves(
    curves: pd.DataFrame,
    *,
    observed: pd.DataFrame | None = None,
    outcome_title: str = "log conversions",
    spend_title: str = "log spend (thousands of dollars)",
    columns: int = 2,
    title: str | None = None,
    width: int = 260,
    height: int = 180,
) -> alt.FacetChart:
    """Draw :func:`hbm_widgets.crossed_response_curves`: bands, mean line, optional data.

    Each group gets a panel: the 90% band light, the 50% band darker, the posterior mean
    as a line and, when ``observed`` is given, that group's data as dots.

    Parameters
    ----------
    curves : DataFrame
        Columns ``group``, ``log_spend``, ``mean``, ``lower_90``, ``upper_90``,
        ``lower_50`` and ``upper_50``.
    observed : DataFrame, optional
        Columns ``group``, ``log_spend`` and ``outcome``: points drawn in the panel of
        their group (groups without curves are left out).
    outcome_title, spend_title : str
        Axis titles.
    columns : int
        Panels per row.
    title : str, optional
    width, height : int
        Size of one panel in pixels.

    Examples
    --------
    >>> curves = pd.DataFrame({"group": ["a", "a"], "log_spend": [1.0, 2.0], "mean": [0, 1],
    ...                        "lower_90": [-1, 0], "upper_90": [1, 2], "lower_50": [-.5, .5],
    ...                        "upper_50": [.5, 1.5]})
    >>> spec = plot_response_curves(curves).to_dict()
    >>> spec["facet"]["field"], [layer["mark"]["type"] for layer in spec["spec"]["layer"]]
    ('group', ['area', 'area', 'line'])
    """
    missing = sorted(_CURVE_COLUMNS - set(curves.columns))
    if missing:
        raise WorkbookInputError(f"curves lack column(s) {missing}; see crossed_response_curves()")
    order = list(dict.fromkeys(curves["group"]))
    frame = curves[sorted(_CURVE_COLUMNS)].assign(layer="curve")
    if observed is not None:
        absent = sorted({"group", "log_spend", "outcome"} - set(observed.columns))
        if absent:
            raise WorkbookInputError(f"observed lacks column(s) {absent}")
        points = observed.loc[observed["group"].isin(order), ["group", "log_spend", "outcome"]]
        frame = pd.concat([frame, points.assign(layer="data")], ignore_index=True)

    x = alt.X("log_spend:Q", title=spend_title)
    base = alt.Chart().encode(x=x)
    curve = base.transform_filter(alt.datum.layer == "curve")
    band_90 = curve.mark_area(opacity=0.2, color="#1f77b4").encode(
        y=alt.Y("lower_90:Q", title=outcome_title), y2="upper_90:Q"
    )
    band_50 = curve.mark_area(opacity=0.35, color="#1f77b4").encode(y="lower_50:Q", y2="upper_50:Q")
    line = curve.mark_line(color="#08306b", strokeWidth=2).encode(y="mean:Q")
    layers = [band_90, band_50, line]
    if observed is not None:
        layers.append(
            base.transform_filter(alt.datum.layer == "data")
            .mark_circle(color="#d62728", size=30, opacity=0.8)
            .encode(y="outcome:Q")
        )
    chart = (
        alt.layer(*layers, data=frame)
        .properties(width=width, height=height)
        .facet(facet=alt.Facet("group:N", sort=order, title=None), columns=columns)
    )
    if title:
        chart = chart.properties(title=title)
    return chart
