"""Each group's mean outcome against its size: the small groups scatter most."""

from __future__ import annotations

import altair as alt
import pandas as pd

from hbm_widgets.core.errors import WorkbookInputError

__all__ = ["plot_group_means_vs_size"]


def plot_group_means_vs_size(
    summary: pd.DataFrame,
    *,
    group: str = "county",
    mean: str = "mean_log_radon",
    overall: float | None = None,
    title: str | None = None,
    width: int = 520,
    height: int = 300,
) -> alt.LayerChart:
    """Draw a ``GroupedData.summary()`` table: group mean (y) against group size (x, log).

    Parameters
    ----------
    summary : DataFrame
        Columns ``group``'s, ``n`` and ``mean``'s.
    group, mean : str
        The group column and the column of group means.
    overall : float, optional
        A horizontal line at the mean of all observations.
    title : str, optional
    width, height : int

    Examples
    --------
    >>> table = pd.DataFrame({"county": ["A", "B"], "n": [1, 50], "mean_log_radon": [0.1, 1.3]})
    >>> plot_group_means_vs_size(table).to_dict()["layer"][0]["encoding"]["x"]["scale"]["type"]
    'log'
    """
    missing = sorted({group, "n", mean} - set(summary.columns))
    if missing:
        raise WorkbookInputError(f"summary lacks column(s) {missing}; see GroupedData.summary()")
    points = (
        alt.Chart(summary)
        .mark_circle(size=45, opacity=0.75, color="#1f77b4")
        .encode(
            x=alt.X(
                "n:Q",
                scale=alt.Scale(type="log", nice=False, padding=8),
                title=f"observations in the {group} (log scale)",
            ),
            y=alt.Y(f"{mean}:Q", title=f"{group} mean", scale=alt.Scale(zero=False)),
            tooltip=[f"{group}:N", "n:Q", alt.Tooltip(f"{mean}:Q", format=".2f")],
        )
    )
    layers = [points]
    if overall is not None:
        layers.append(
            alt.Chart(pd.DataFrame({"overall": [float(overall)]}))
            .mark_rule(strokeDash=[6, 4], color="black")
            .encode(y="overall:Q")
        )
    chart = alt.layer(*layers).properties(width=width, height=height)
    if title:
        chart = chart.properties(title=title)
    return chart
