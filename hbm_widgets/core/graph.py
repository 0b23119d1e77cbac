"""A model's graph: Graphviz where it is installed, else PyMC's Mermaid text."""

from __future__ import annotations

import shutil

import pymc as pm

__all__ = ["model_graph"]


def model_graph(model: pm.Model):
    """The graph of ``model`` as ``pm.model_to_graphviz`` draws it, or as Mermaid.

    ``pm.model_to_graphviz`` needs Graphviz's ``dot`` program (``apt install graphviz``,
    ``brew install graphviz`` or ``conda install graphviz``). Where it is missing, the same
    graph comes as Mermaid (``pm.model_to_mermaid``), which JupyterLab draws from Markdown,
    so a chapter runs either way.

    Parameters
    ----------
    model : pymc.Model

    Returns
    -------
    graphviz.Digraph or IPython.display.Markdown
        Either shows itself as the last line of a cell.

    Examples
    --------
    >>> import pymc as pm
    >>> with pm.Model(coords={"school": ["a", "b"]}) as model:
    ...     mu = pm.Normal("mu")
    ...     y = pm.Normal("y", mu, 1, observed=[0.5, 1.5], dims="school")
    >>> graph = model_graph(model)
    """
    if shutil.which("dot") is not None:
        return pm.model_to_graphviz(model)
    from IPython.display import Markdown

    return Markdown(f"```mermaid\n{pm.model_to_mermaid(model)}\n```")
