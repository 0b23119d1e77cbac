"""The path samplers take through a two-dimensional target, side by side."""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import numpy as np
import pandas as pd

from hbm_widgets.core.errors import WorkbookInputError, check_whole_number

__all__ = ["plot_sampler_paths"]


def _path(fit, var_name: str, chain: int, steps: int) -> pd.DataFrame:
    posterior = fit["posterior"]
    if var_name not in posterior.data_vars:
        raise WorkbookInputError(f"no variable {var_name!r} in the posterior")
    values = posterior[var_name]
    extra = [dim for dim in values.dims if dim not in ("chain", "draw")]
    if len(extra) != 1 or values.sizes[extra[0]] != 2:
        raise WorkbookInputError(f"{var_name!r} must hold two numbers per draw")
    if not 0 <= chain < values.sizes["chain"]:
        raise WorkbookInputError(f"chain must be one of 0..{values.sizes['chain'] - 1}")
    draws = np.asarray(values.isel(chain=chain).transpose("draw", extra[0]))[:steps]
    return pd.DataFrame({"step": np.arange(1, len(draws) + 1), "x": draws[:, 0], "y": draws[:, 1]})


def plot_sampler_paths(
    fits: Mapping[str, object],
    *,
    var_name: str,
    steps: int = 200,
    chain: int = 0,
    ellipse: pd.DataFrame | None = None,
    axis_titles: tuple[str, str] = ("θ₁", "θ₂"),
    title: str | None = None,
    width: int = 260,
    height: int = 260,
) -> alt.HConcatChart:
    """Draw each sampler's first ``steps`` draws of one chain as a path in the plane.

    A sampler that explores well covers the target's region within a few draws; a random
    walk confined by a narrow ridge covers a short stretch of it.

    Parameters
    ----------
    fits : mapping of str to xarray.DataTree
        A panel per fit, titled by its key; each posterior holds ``var_name`` with one dim
        of length two besides ``chain`` and ``draw``.
    var_name : str
    steps : int
        How many draws of the chain to draw, from the first.
    chain : int
        Which chain.
    ellipse : DataFrame, optional
        Columns ``order``, ``x`` and ``y`` (:func:`hbm_widgets.normal_ellipse_frame`): the
        region the draws should cover, drawn in grey in every panel.
    axis_titles : (str, str)
    title : str, optional
    width, height : int
        Size of each panel in pixels.

    Examples
    --------
    >>> import arviz as az, numpy as np
    >>> rng = np.random.default_rng(0)
    >>> fit = az.from_dict({"posterior": {"theta": rng.normal(size=(2, 50, 2))}},
    ...                    dims={"theta": ["coordinate"]})
    >>> spec = plot_sampler_paths({"A": fit, "B": fit}, var_name="theta", steps=20).to_dict()
    >>> len(spec["hconcat"]), [layer["mark"]["type"] for layer in spec["hconcat"][0]["layer"]]
    (2, ['line', 'circle'])
    """
    if not fits:
        raise WorkbookInputError("give at least one fit to draw")
    steps = check_whole_number("steps", steps, low=2)
    paths = {label: _path(fit, var_name, chain, steps) for label, fit in fits.items()}
    values = [ellipse] if ellipse is not None else []
    values += list(paths.values())
    x_all = pd.concat([frame["x"] for frame in values])
    y_all = pd.concat([frame["y"] for frame in values])
    x_scale = alt.Scale(domain=[float(x_all.min()), float(x_all.max())], nice=True)
    y_scale = alt.Scale(domain=[float(y_all.min()), float(y_all.max())], nice=True)
    x = alt.X("x:Q", title=axis_titles[0], scale=x_scale)
    y = alt.Y("y:Q", title=axis_titles[1], scale=y_scale)

    panels = []
    for label, frame in paths.items():
        layers = []
        if ellipse is not None:
            layers.append(
                alt.Chart(ellipse)
                .mark_line(color="#7f7f7f", strokeDash=[4, 3])
                .encode(x=x, y=y, order="order:Q")
            )
        layers.append(
            alt.Chart(frame)
            .mark_line(color="#1f77b4", strokeWidth=0.8, opacity=0.6)
            .encode(x=x, y=y, order="step:Q")
        )
        layers.append(
            alt.Chart(frame)
            .mark_circle(color="#1f77b4", size=14)
            .encode(x=x, y=y, tooltip=["step:Q", "x:Q", "y:Q"])
        )
        panels.append(
            alt.layer(*layers).properties(
                width=width, height=height, title=f"{label}: first {len(frame)} draws"
            )
        )
    chart = alt.hconcat(*panels)
    if title:
        chart = chart.properties(title=title)
    return chart
