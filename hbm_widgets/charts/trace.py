"""Trace plot: each chain's draws of one quantity, draw by draw."""

from __future__ import annotations

import altair as alt

from hbm_widgets.lessons.diagnostic_tables import draws_table

__all__ = ["plot_trace"]


def plot_trace(
    idata,
    *,
    var_name: str,
    max_rows: int = 4000,
    title: str | None = None,
    width: int = 480,
    height: int = 200,
) -> alt.Chart:
    """Draw every chain's path for one quantity, one colour per chain.

    Chains that explore the same distribution look like overlapping, fuzzy horizontal bands
    ("hairy caterpillars"); a chain that trends, sticks or sits apart stands out.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit with a posterior group.
    var_name : str
        A scalar variable (``"sigma"``) or one element of a vector, ``"beta[AITKIN]"``
        (see :func:`hbm_widgets.variable_elements`).
    max_rows : int
        At most this many points are drawn: longer runs keep every k-th draw of each chain
        (the title says so), which keeps the chart under Altair's 5000-row limit.
    title : str, optional
        Defaults to the variable's name.
    width, height : int
        Chart size in pixels.

    Examples
    --------
    >>> import arviz as az, numpy as np
    >>> rng = np.random.default_rng(0)
    >>> idata = az.from_dict({"posterior": {"mu": rng.normal(size=(2, 50))}})
    >>> spec = plot_trace(idata, var_name="mu").to_dict()
    >>> spec["mark"]["type"], spec["encoding"]["y"]["field"]
    ('line', 'value')
    """
    frame = draws_table(idata, var_name, max_rows=max_rows)
    thin = frame.attrs["thin"]
    label = title or var_name
    if thin > 1:
        label = f"{label} (1 draw in {thin} shown)"
    frame = frame.assign(chain=frame["chain"].astype(str))
    return (
        alt.Chart(frame, title=label)
        .mark_line(strokeWidth=0.8, opacity=0.75)
        .encode(
            x=alt.X("draw:Q", title="draw"),
            y=alt.Y("value:Q", title=var_name, scale=alt.Scale(zero=False)),
            color=alt.Color("chain:N", title="chain"),
            detail="chain:N",
        )
        .properties(width=width, height=height)
    )
