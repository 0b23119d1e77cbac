"""Where divergent transitions fall: two quantities drawn against each other."""

from __future__ import annotations

import altair as alt

from hbm_widgets.lessons.diagnostic_tables import divergence_table

__all__ = ["plot_divergences"]


def plot_divergences(
    idata,
    *,
    x: str,
    y: str,
    log_y: bool = False,
    max_rows: int = 4000,
    title: str | None = None,
    width: int = 380,
    height: int = 280,
) -> alt.Chart:
    """Scatter the draws of ``x`` against ``y``, divergent draws in red on top.

    Divergences that cluster in one corner (typically where a group-level scale is small,
    the neck of a funnel) point at the geometry the sampler cannot follow; divergences
    scattered evenly are more often false alarms.

    Parameters
    ----------
    idata : xarray.DataTree
    x, y : str
        Variables (or elements, ``"name[label]"``) for the two axes.
    log_y : bool
        A log scale on the vertical axis (for a scale parameter such as ``sigma_beta``).
    max_rows : int
        Non-divergent draws are thinned evenly to keep at most this many points; every
        divergent draw is kept.
    title : str, optional
    width, height : int
        Chart size in pixels.
    """
    frame = divergence_table(idata, x, y, max_rows=max_rows)
    frame = frame.sort_values("divergent", kind="stable").reset_index(drop=True)
    n_divergent = int(frame["divergent"].sum())
    return (
        alt.Chart(frame, title=title or f"{n_divergent} divergent draws (red)")
        .mark_circle(aria=False)
        .encode(
            x=alt.X("x:Q", title=x, scale=alt.Scale(zero=False)),
            y=alt.Y(
                "y:Q", title=y, scale=alt.Scale(type="log") if log_y else alt.Scale(zero=False)
            ),
            color=alt.Color(
                "divergent:N",
                title="divergent",
                scale=alt.Scale(domain=[False, True], range=["#9e9e9e", "#d62728"]),
            ),
            size=alt.condition("datum.divergent", alt.value(36), alt.value(10)),
            opacity=alt.condition("datum.divergent", alt.value(0.95), alt.value(0.35)),
        )
        .properties(width=width, height=height)
    )
