"""The posterior of one school's expected score minus another's."""

from __future__ import annotations

import altair as alt
import pandas as pd

from hbm_widgets.core.errors import WorkbookInputError

__all__ = ["plot_score_difference"]

SIDE_COLOURS = {"A higher": "#2166ac", "B higher": "#b2182b"}


def plot_score_difference(
    histogram: pd.DataFrame,
    *,
    school_a: str = "A",
    school_b: str = "B",
    title: str | None = None,
    width: int = 360,
    height: int = 220,
) -> alt.LayerChart:
    """Draw the histogram of :class:`hbm_widgets.SchoolComparison`, coloured by sign.

    Bars right of zero are draws where school A is ahead, left of zero where B is; the blue
    area is P(A > B).

    Parameters
    ----------
    histogram : DataFrame
        Columns ``bin_start``, ``bin_end``, ``density`` and ``side``.
    school_a, school_b : str
        Names for the axis title.
    title : str, optional
    width, height : int

    Examples
    --------
    >>> frame = pd.DataFrame({"bin_start": [-1.0, 0.0], "bin_end": [0.0, 1.0],
    ...                       "density": [0.3, 0.7], "side": ["B higher", "A higher"]})
    >>> plot_score_difference(frame).to_dict()["layer"][0]["encoding"]["x"]["field"]
    'bin_start'
    """
    missing = sorted({"bin_start", "bin_end", "density", "side"} - set(histogram.columns))
    if missing:
        raise WorkbookInputError(f"histogram lacks column(s) {missing}; see compare_schools()")
    bars = (
        alt.Chart(histogram)
        .mark_bar(opacity=0.85, binSpacing=0)
        .encode(
            x=alt.X("bin_start:Q", title=f"difference in expected score, {school_a} − {school_b}"),
            x2="bin_end:Q",
            y=alt.Y("density:Q", title="posterior density"),
            color=alt.Color(
                "side:N",
                title=None,
                scale=alt.Scale(domain=list(SIDE_COLOURS), range=list(SIDE_COLOURS.values())),
            ),
        )
    )
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="black").encode(x="x:Q")
    chart = alt.layer(bars, zero).properties(width=width, height=height)
    if title:
        chart = chart.properties(title=title)
    return chart
