"""``school_comparison()``: pick two schools, see how sure we are which one does better."""

from __future__ import annotations

import altair as alt
import ipywidgets as widgets
import xarray as xr

from hbm_widgets.charts.pairwise_probabilities import plot_pairwise_probabilities
from hbm_widgets.charts.score_difference import plot_score_difference
from hbm_widgets.core.data import GroupedData
from hbm_widgets.core.errors import WorkbookInputError, check_whole_number
from hbm_widgets.lessons.gcse_schools import (
    compare_schools,
    expected_scores,
    pairwise_probabilities,
)
from hbm_widgets.widgets.base import Explorer

__all__ = ["SchoolComparisonExplorer", "school_comparison"]

_STYLE = {"description_width": "initial"}


class SchoolComparisonExplorer(Explorer):
    """Two school dropdowns and a level toggle -> the posterior of the difference.

    The chart shows the posterior of ``A - B`` next to the matrix of P(row > column) for the
    ``top`` schools by mean rank (plus A and B), with the chosen pair outlined.

    Attributes
    ----------
    scores : xarray.DataArray
        The expected-score draws, computed once from the posterior.
    comparison : SchoolComparison or None
        The last valid comparison (its ``probability`` is P(A > B)).
    matrix : DataFrame or None
        The last pairwise-probability table drawn.
    """

    def __init__(self, idata, data: GroupedData, *, school_a, school_b, level, top) -> None:
        if not isinstance(idata, xr.DataTree) or "posterior" not in idata.children:
            raise WorkbookInputError(
                f"expected an ArviZ DataTree with a posterior group, got {type(idata).__name__}"
            )
        if not isinstance(data, GroupedData):
            raise WorkbookInputError(f"expected GroupedData, got {type(data).__name__}")
        top = check_whole_number("top", top, low=2)
        self.group = data.group_name
        self.scores = expected_scores(idata, group=self.group)
        self.top = top
        self.comparison = None
        self.matrix = None
        levels = [str(v) for v in self.scores["sex"].values]
        if level not in levels:
            raise WorkbookInputError(f"level {level!r} is not one of {levels}")
        schools = [str(s) for s in self.scores[self.group].values]
        # Default pair: the schools ranked first and second for the chosen level.
        ranked = pairwise_probabilities(self.scores.sel(sex=level), top=2)["school_a"].unique()
        school_a = ranked[0] if school_a is None else str(school_a)
        school_b = ranked[1] if school_b is None else str(school_b)
        for name, value in (("school_a", school_a), ("school_b", school_b)):
            if value not in schools:
                raise WorkbookInputError(
                    f"{name}={value!r} is not a {self.group} in the data; "
                    f"expected one of {', '.join(schools[:5])}, ... ({len(schools)} in all)"
                )
        controls = {
            "school_a": widgets.Dropdown(
                options=schools, value=school_a, description=f"{self.group} A", style=_STYLE
            ),
            "school_b": widgets.Dropdown(
                options=schools, value=school_b, description=f"{self.group} B", style=_STYLE
            ),
            "level": widgets.ToggleButtons(options=levels, value=level, style=_STYLE),
        }
        super().__init__(controls)

    def _render(self, values):
        level, a, b = values["level"], values["school_a"], values["school_b"]
        draws = self.scores.sel(sex=level)
        comparison = compare_schools(draws, a, b)
        top = pairwise_probabilities(draws, top=self.top)
        chosen = list(dict.fromkeys([*top["school_a"], comparison.school_a, comparison.school_b]))
        matrix = pairwise_probabilities(draws, schools=chosen)
        chart = alt.hconcat(
            plot_score_difference(
                comparison.histogram,
                school_a=comparison.school_a,
                school_b=comparison.school_b,
                title=f"{level}: {self.group} {comparison.school_a} − {comparison.school_b}",
            ),
            plot_pairwise_probabilities(
                matrix,
                highlight=(comparison.school_a, comparison.school_b),
                title=f"P(row > column), {level}, top {self.top} and the chosen pair",
                cell_size=26,
            ),
        )
        self.comparison, self.matrix = comparison, matrix
        percent = round(100 * comparison.prob)
        summary = (
            f"P({self.group} {comparison.school_a} &gt; {self.group} {comparison.school_b}) "
            f"for {level} = <b>{comparison.probability:.3f}</b>; difference "
            f"{comparison.mean:+.1f} points, {percent}% interval "
            f"[{comparison.lower:.1f}, {comparison.upper:.1f}]"
        )
        return chart, summary


def school_comparison(
    idata,
    data: GroupedData,
    *,
    school_a=None,
    school_b=None,
    level: str = "girls",
    top: int = 8,
) -> SchoolComparisonExplorer:
    """Compare two schools' expected scores under a fitted varying intercept and slope model.

    Parameters
    ----------
    idata : xarray.DataTree
        A posterior with ``alpha`` and ``beta`` over the school dimension (intercept = boys'
        expected score, intercept + slope = girls').
    data : GroupedData
        The data the model was fitted to (for the group's name).
    school_a, school_b : str or int, optional
        The schools first shown (default: the two with the best mean rank).
    level : {"girls", "boys"}
        Whose expected score is compared.
    top : int
        How many of the best-ranked schools the probability matrix shows.

    Examples
    --------
    >>> explorer = school_comparison(idata, data)  # doctest: +SKIP
    >>> explorer.controls["school_b"].value = "68137"  # doctest: +SKIP
    >>> explorer.comparison.probability  # P(A > B)  # doctest: +SKIP
    """
    return SchoolComparisonExplorer(
        idata, data, school_a=school_a, school_b=school_b, level=level, top=top
    )
