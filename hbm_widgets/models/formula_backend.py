"""A repair to the PyMC model Bambi builds from a formula, made where Bambi returns it."""

from __future__ import annotations

import pymc as pm

# Used by formula.py; nothing is re-exported.
__all__: list[str] = []


def full_length_deterministics(model: pm.Model) -> pm.Model:
    """``model`` with every deterministic as long as its dims say.

    Bambi 0.21 gives the mean of an intercept-only formula (``y ~ 1``, a model's
    complete-pooling counterpart) the shape (1,) under the dims ``("__obs__",)``, and PyMC
    then cannot store its draws (the dim has a coordinate per row). Such a deterministic is
    broadcast to its dims' lengths, which changes no value; other models come back as they
    were.
    """
    coords = {name: len(values) for name, values in model.coords.items() if values is not None}

    def short(name, shape) -> bool:
        dims = model.named_vars_to_dims.get(name, ())
        return any(s == 1 and coords.get(d, 1) > 1 for s, d in zip(shape, dims, strict=False))

    if not any(short(v.name, v.type.shape) for v in model.deterministics):
        return model
    import pytensor.tensor as pt
    from pymc.model.fgraph import (
        ModelDeterministic,
        fgraph_from_model,
        model_deterministic,
        model_from_fgraph,
    )
    from pytensor.graph.fg import FunctionGraph

    fgraph, _ = fgraph_from_model(model, inlined_views=True)
    stored = {}
    for node in fgraph.toposort():
        if isinstance(node.op, ModelDeterministic) and short(
            node.op.name, node.inputs[0].type.shape
        ):
            value = node.inputs[0]
            # The likelihood keeps the short value (its input type is fixed); only what is
            # stored under the name is broadcast.
            fgraph.replace(node.outputs[0], value, import_missing=True)
            shape = [coords[d] for d in node.op.dims]
            stored[value] = model_deterministic(
                pt.broadcast_to(value, shape), node.op.name, *node.op.dims
            )
    outputs = [stored.get(output, output) for output in fgraph.outputs]
    broadcast = FunctionGraph(outputs=outputs, clone=False)
    broadcast._coords, broadcast._dim_lengths = fgraph._coords, fgraph._dim_lengths
    return model_from_fgraph(broadcast, mutate_fgraph=True)
