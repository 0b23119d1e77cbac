"""A posterior predictive check for a 0/1 or count outcome: each value's share, observed and
predicted."""

from __future__ import annotations

import altair as alt
import pandas as pd

from hbm_widgets.core.errors import WorkbookInputError

__all__ = ["plot_outcome_frequencies"]

_NEEDED = ("value", "observed", "predicted", "predicted_low", "predicted_high")


def plot_outcome_frequencies(
    frequencies: pd.DataFrame,
    *,
    x_title: str = "outcome",
    title: str | None = None,
    width: int = 480,
    height: int = 240,
) -> alt.LayerChart:
    """Bars for the observed share of each outcome value; the replicated data sets' mean
    share as a dot with its interval as a rule.

    Parameters
    ----------
    frequencies : DataFrame
        Columns ``value``, ``observed``, ``predicted``, ``predicted_low`` and
        ``predicted_high`` (shares between 0 and 1).
    x_title, title : str
    width, height : int

    Examples
    --------
    >>> table = pd.DataFrame({"value": [0, 1], "observed": [0.4, 0.6], "predicted": [0.42, 0.58],
    ...                       "predicted_low": [0.35, 0.5], "predicted_high": [0.5, 0.65]})
    >>> [layer["mark"]["type"] for layer in plot_outcome_frequencies(table).to_dict()["layer"]]
    ['bar', 'rule', 'point']
    """
    missing = [c for c in _NEEDED if c not in frequencies.columns]
    if missing:
        raise WorkbookInputError(
            f"the frequencies need columns {', '.join(_NEEDED)}; {missing[0]!r} is missing"
        )
    frame = frequencies[list(_NEEDED)].reset_index(drop=True)
    base = alt.Chart(frame).encode(x=alt.X("value:O", title=x_title))
    tooltip = [
        alt.Tooltip("value:O", title=x_title),
        alt.Tooltip("observed:Q", format=".3f"),
        alt.Tooltip("predicted:Q", format=".3f"),
    ]
    bars = base.mark_bar(color="#c7c7c7").encode(
        y=alt.Y("observed:Q", title="share of rows"), tooltip=tooltip
    )
    intervals = base.mark_rule(strokeWidth=2, color="#1f77b4").encode(
        y="predicted_low:Q", y2="predicted_high:Q"
    )
    means = base.mark_point(filled=True, size=50, color="#1f77b4", opacity=1).encode(
        y="predicted:Q", tooltip=tooltip
    )
    chart = alt.layer(bars, intervals, means).properties(width=width, height=height)
    if title:
        chart = chart.properties(title=title)
    return chart
