"""Forecasts of one series by several models: bands, mean lines, data and what happened."""

from __future__ import annotations

import altair as alt
import pandas as pd

from hbm_widgets.core.errors import WorkbookInputError

__all__ = ["plot_forecasts"]

_FORECAST_COLUMNS = {"model", "time", "mean", "lower_90", "upper_90", "lower_50", "upper_50"}


def plot_forecasts(
    forecasts: pd.DataFrame,
    *,
    observed: pd.DataFrame | None = None,
    time_title: str = "month",
    value_title: str = "log sales",
    title: str | None = None,
    width: int = 300,
    height: int = 220,
) -> alt.FacetChart:
    """One panel per model: its 90% and 50% bands and mean, over the series' data.

    Parameters
    ----------
    forecasts : DataFrame
        Columns ``model``, ``time``, ``mean``, ``lower_90``, ``upper_90``, ``lower_50``,
        ``upper_50`` (from :func:`hbm_widgets.forecast_series`, with a ``model`` label and
        the time column renamed ``time``).
    observed : DataFrame, optional
        Columns ``time``, ``value`` and ``kind`` (``"observed"``, ``"held out"``...):
        drawn in every panel, coloured by kind.
    time_title, value_title : str
    title : str, optional
    width, height : int
        Size of one panel.

    Examples
    --------
    >>> f = pd.DataFrame({"model": ["a", "a"], "time": [1, 2], "mean": [0.0, 1.0],
    ...                   "lower_90": [-1, 0], "upper_90": [1, 2], "lower_50": [-.5, .5],
    ...                   "upper_50": [.5, 1.5]})
    >>> spec = plot_forecasts(f).to_dict()
    >>> spec["facet"]["field"], [layer["mark"]["type"] for layer in spec["spec"]["layer"]]
    ('model', ['area', 'area', 'line'])
    """
    missing = sorted(_FORECAST_COLUMNS - set(forecasts.columns))
    if missing:
        raise WorkbookInputError(f"forecasts lack column(s) {missing}")
    models = list(dict.fromkeys(forecasts["model"]))
    frame = forecasts[sorted(_FORECAST_COLUMNS)].assign(layer="forecast")
    if observed is not None:
        absent = sorted({"time", "value", "kind"} - set(observed.columns))
        if absent:
            raise WorkbookInputError(f"observed lacks column(s) {absent}")
        # The data appear in every model's panel.
        copies = [observed[["time", "value", "kind"]].assign(model=m) for m in models]
        frame = pd.concat([frame, *[c.assign(layer="data") for c in copies]], ignore_index=True)
    x = alt.X("time:Q", title=time_title)
    base = alt.Chart().encode(x=x)
    forecast = base.transform_filter(alt.datum.layer == "forecast")
    layers = [
        forecast.mark_area(opacity=0.2, color="#1f77b4").encode(
            y=alt.Y("lower_90:Q", title=value_title, scale=alt.Scale(zero=False)), y2="upper_90:Q"
        ),
        forecast.mark_area(opacity=0.35, color="#1f77b4").encode(y="lower_50:Q", y2="upper_50:Q"),
        forecast.mark_line(color="#08306b", strokeWidth=2).encode(y="mean:Q"),
    ]
    if observed is not None:
        kinds = list(dict.fromkeys(observed["kind"]))
        layers.append(
            base.transform_filter(alt.datum.layer == "data")
            .mark_point(filled=True, size=30)
            .encode(
                y="value:Q",
                color=alt.Color(
                    "kind:N",
                    title=None,
                    scale=alt.Scale(
                        domain=kinds, range=["#000000", "#d62728", "#2ca02c"][: len(kinds)]
                    ),
                ),
                shape=alt.Shape("kind:N", title=None, scale=alt.Scale(domain=kinds)),
            )
        )
    chart = (
        alt.layer(*layers, data=frame)
        .properties(width=width, height=height)
        .facet(facet=alt.Facet("model:N", sort=models, title=None), columns=len(models))
    )
    if title:
        chart = chart.properties(title=title)
    return chart
