"""Rank histograms of a simulation-based calibration: flat when the computation is right."""

from __future__ import annotations

from typing import Literal

import altair as alt
import pandas as pd
from scipy import stats

from hbm_widgets.core.errors import WorkbookInputError
from hbm_widgets.lessons.calibration import rank_histogram

__all__ = ["plot_calibration_ranks"]


def plot_calibration_ranks(
    table: pd.DataFrame,
    *,
    rank: Literal["rank", "rank_too_narrow"] = "rank",
    bins: int = 10,
    band: float = 0.99,
    title: str | None = None,
    width: int = 150,
    height: int = 110,
) -> alt.FacetChart:
    """One histogram of the true values' ranks per parameter, with the band uniform ranks fill.

    Each bar counts the simulations whose true value ranked in that bin. The grey band is
    where a bar falls with probability ``band`` when the ranks are uniform (a binomial count
    of the simulations, with probability ``1 / bins``): bars inside it everywhere are what a
    correct computation gives. A ∪ shape says the posteriors are too narrow, a ∩ shape too
    wide, a slope that they are shifted.

    Parameters
    ----------
    table : DataFrame
        The result of :func:`hbm_widgets.run_calibration`: ``parameter``, ``ranked_draws``
        and the rank columns.
    rank : {"rank", "rank_too_narrow"}
        Keyword-only. The fits' own ranks, or those of the same draws pulled halfway to their
        mean (an overconfident computation, for comparison).
    bins : int
        Rank bins (at least 2); they split the ranks 0 to ``ranked_draws`` evenly.
    band : float
        Probability of the grey band (between 0 and 1).
    title : str, optional
        Chart title.
    width, height : int
        Size of each panel in pixels.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"simulation": [0, 1, 0, 1], "parameter": ["a", "a", "b", "b"],
    ...                       "rank": [3, 97, 50, 12], "ranked_draws": 99})
    >>> spec = plot_calibration_ranks(table, bins=5).to_dict()
    >>> spec["facet"]["field"]
    'parameter'
    """
    frame = rank_histogram(table, rank=rank, bins=bins)
    if not 0 < band < 1:
        raise WorkbookInputError(f"band must be between 0 and 1, got {band!r}")
    parameters = list(dict.fromkeys(frame["parameter"]))
    n = round(frame["expected"].iloc[0] * bins)  # simulations
    lower, upper = stats.binom.ppf([(1 - band) / 2, (1 + band) / 2], n, 1 / bins)
    frame = frame.assign(band_lower=lower, band_upper=upper)
    x = alt.X("start:Q", bin="binned", title="rank of the true value", scale=alt.Scale(nice=False))
    band_area = (
        alt.Chart()
        .mark_rect(color="#bbbbbb", opacity=0.45)
        .encode(
            x=alt.X("min(start):Q"), x2="max(end):Q", y="min(band_lower):Q", y2="min(band_upper):Q"
        )
    )
    bars = (
        alt.Chart()
        .mark_bar(color="#4c78a8", stroke="white", strokeWidth=0.5)
        .encode(
            x=x,
            x2="end:Q",
            y=alt.Y("simulations:Q", title="simulations", scale=alt.Scale(zero=True)),
            tooltip=["parameter:N", "start:Q", "end:Q", "simulations:Q"],
        )
    )
    chart = alt.layer(band_area, bars, data=frame).properties(width=width, height=height)
    return chart.facet(
        facet=alt.Facet("parameter:N", sort=parameters, title=None),
        columns=len(parameters),
        title=title or alt.Undefined,
    )
