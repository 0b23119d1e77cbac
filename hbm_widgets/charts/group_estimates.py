"""Every group's estimate with its interval, next to the group's own mean."""

from __future__ import annotations

import altair as alt
import pandas as pd

from hbm_widgets.core.errors import WorkbookInputError

__all__ = ["plot_group_estimates"]

_NEEDED = ("group", "mean", "hdi_low", "hdi_high")


def plot_group_estimates(
    estimates: pd.DataFrame,
    *,
    coefficient: str | None = None,
    group_title: str = "group",
    value_title: str = "estimate",
    title: str | None = None,
    width: int = 480,
    row_height: int = 12,
) -> alt.LayerChart:
    """One row per group: the posterior mean as a dot and its interval as a bar.

    Groups are sorted by their estimate, highest at the top. When the frame has an
    ``observed_mean`` column (the group's raw mean outcome), it is drawn as an open
    circle, so that one sees where the model pulled each group.

    Parameters
    ----------
    estimates : DataFrame
        Columns ``group``, ``mean``, ``hdi_low`` and ``hdi_high``, optionally ``n``,
        ``observed_mean`` and ``coefficient`` (as made by
        :func:`hbm_widgets.group_coefficient_estimates`).
    coefficient : str, optional
        Which coefficient to draw when the frame holds several (``"alpha"``, ``"beta"``).
    group_title, value_title : str
        Axis titles.
    title : str, optional
    width : int
        Chart width in pixels.
    row_height : int
        Pixels per group.

    Raises
    ------
    WorkbookInputError
        A needed column is missing, ``coefficient`` is not in the frame, or the frame holds
        several coefficients and none was chosen.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"group": ["a", "b"], "mean": [1.0, 2.0],
    ...                       "hdi_low": [0.5, 1.2], "hdi_high": [1.5, 2.9]})
    >>> [layer["mark"]["type"] for layer in plot_group_estimates(table).to_dict()["layer"]]
    ['rule', 'point']
    """
    missing = [c for c in _NEEDED if c not in estimates.columns]
    if missing:
        raise WorkbookInputError(
            f"the estimates need columns {', '.join(_NEEDED)}; {missing[0]!r} is missing"
        )
    frame = estimates
    if "coefficient" in frame.columns:
        available = list(dict.fromkeys(frame["coefficient"].astype(str)))
        if coefficient is None and len(available) > 1:
            raise WorkbookInputError(
                f"the estimates hold several coefficients ({', '.join(available)}); "
                "choose one with coefficient=..."
            )
        if coefficient is not None and coefficient not in available:
            raise WorkbookInputError(
                f"coefficient {coefficient!r} is not in the estimates; "
                f"they hold {', '.join(available)}"
            )
        if coefficient is not None:
            frame = frame[frame["coefficient"] == coefficient]
    elif coefficient is not None:
        raise WorkbookInputError(
            f"coefficient={coefficient!r} was given but the estimates have no 'coefficient' column"
        )
    columns = [
        c for c in ("group", "n", "observed_mean", "mean", "hdi_low", "hdi_high") if c in frame
    ]
    frame = frame[columns].assign(group=frame["group"].astype(str)).reset_index(drop=True)
    order = frame.sort_values("mean", ascending=False)["group"].tolist()

    tooltip = [alt.Tooltip("group:N", title=group_title)]
    if "n" in frame:
        tooltip.append(alt.Tooltip("n:Q"))
    tooltip += [
        alt.Tooltip("mean:Q", format=".3f"),
        alt.Tooltip("hdi_low:Q", format=".3f", title="interval from"),
        alt.Tooltip("hdi_high:Q", format=".3f", title="interval to"),
    ]
    base = alt.Chart(frame).encode(
        y=alt.Y("group:N", sort=order, title=group_title), tooltip=tooltip
    )
    intervals = base.mark_rule(strokeWidth=2, color="#1f77b4", opacity=0.6).encode(
        x=alt.X("hdi_low:Q", title=value_title, scale=alt.Scale(zero=False)),
        x2="hdi_high:Q",
    )
    means = base.mark_point(filled=True, size=40, color="#1f77b4", opacity=1).encode(x="mean:Q")
    layers = [intervals, means]
    if "observed_mean" in frame:
        layers.append(
            base.mark_point(filled=False, size=40, color="#7f7f7f").encode(x="observed_mean:Q")
        )
    chart = alt.layer(*layers).properties(width=width, height=max(80, row_height * len(frame)))
    if title:
        chart = chart.properties(title=title)
    return chart
