"""A matrix of P(row school > column school) for a handful of schools."""

from __future__ import annotations

import altair as alt
import pandas as pd

from hbm_widgets.core.errors import WorkbookInputError

__all__ = ["plot_pairwise_probabilities"]


def plot_pairwise_probabilities(
    probabilities: pd.DataFrame,
    *,
    highlight: tuple[str, str] | None = None,
    title: str | None = None,
    cell_size: int = 34,
) -> alt.LayerChart:
    """Draw :func:`hbm_widgets.pairwise_probabilities` as a heat map with the values.

    Parameters
    ----------
    probabilities : DataFrame
        Columns ``school_a``, ``school_b``, ``probability``, ``order_a`` and ``order_b``.
    highlight : (str, str), optional
        A (row, column) pair to outline, e.g. the two schools being compared.
    title : str, optional
    cell_size : int
        Pixels per cell.

    Examples
    --------
    >>> frame = pd.DataFrame({"school_a": ["a", "a", "b", "b"], "school_b": ["a", "b", "a", "b"],
    ...                       "probability": [None, 0.8, 0.2, None],
    ...                       "order_a": [0, 0, 1, 1], "order_b": [0, 1, 0, 1]})
    >>> plot_pairwise_probabilities(frame).to_dict()["layer"][0]["mark"]["type"]
    'rect'
    """
    needed = {"school_a", "school_b", "probability", "order_a", "order_b"}
    missing = sorted(needed - set(probabilities.columns))
    if missing:
        raise WorkbookInputError(
            f"probabilities lack column(s) {missing}; see pairwise_probabilities()"
        )
    data = probabilities.assign(
        school_a=probabilities["school_a"].astype(str),
        school_b=probabilities["school_b"].astype(str),
        label=probabilities["probability"].map(lambda p: "" if pd.isna(p) else f"{p:.2f}"),
    )
    order = data.sort_values("order_a", kind="stable")["school_a"].drop_duplicates().tolist()
    base = alt.Chart(data).encode(
        x=alt.X("school_b:N", sort=order, title="school B", axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("school_a:N", sort=order, title="school A"),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            "probability:Q",
            title="P(A > B)",
            # Blue where the row school is ahead, as in plot_score_difference.
            scale=alt.Scale(domain=[0, 1], scheme="redblue"),
        ),
        tooltip=["school_a", "school_b", alt.Tooltip("probability:Q", format=".3f")],
    )
    text = base.mark_text(fontSize=9).encode(
        text="label:N",
        color=alt.condition(
            "datum.probability > 0.85 || datum.probability < 0.15",
            alt.value("white"),
            alt.value("black"),
        ),
    )
    layers = [cells, text]
    if highlight is not None:
        a, b = map(str, highlight)
        outline = base.transform_filter(
            (alt.datum.school_a == a) & (alt.datum.school_b == b)
        ).mark_rect(fill=None, stroke="black", strokeWidth=2.5)
        layers.append(outline)
    size = cell_size * len(order)
    chart = alt.layer(*layers).properties(width=size, height=size)
    if title:
        chart = chart.properties(title=title)
    return chart
