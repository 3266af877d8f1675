"""What nn's nodes are in a traced program: each layer's comments, BP1–BP4, and δ's names.

``autograd.trace(fn, params, describe=backprop_notes(model))`` heads each layer's lines of the
generated program with what backprop computes there and names ∂C/∂z^l_j ``delta_z_l_j``; the
engine itself knows nothing of layers. ``nn.train.fit`` passes it.
"""

from __future__ import annotations

from collections.abc import Callable

from autograd import Note, Value

from .notation import Name

__all__ = ["backprop_notes"]

_COST = Note(
    forward="the cost C of this example",
    backward="the cost: ∂C/∂a for the output layer",
)


def _layer_note(layer: int, output: bool, quantity: str) -> Note:
    """The comments of layer `layer` (Nielsen's numbering); BP1 if it is the output layer.

    quantity is the node's: "preactivation" (its gradient is δ) or "activation". The numpy
    program names the layer's arrays z_l, a_l, w_l and b_l, and δ^l delta_l.
    """
    bp = "δ = ∂C/∂a ⊙ σ'(z) (BP1)" if output else f"δ = (wᵀ δ^{layer + 1}) ⊙ σ'(z) (BP2)"
    z = quantity == "preactivation"
    return Note(
        forward=f"layer {layer}: z = w a + b for each neuron, then a = σ(z)",
        backward=f"layer {layer}: {bp}; ∂C/∂b = δ (BP3); ∂C/∂w = a^{layer - 1} δ (BP4)",
        gradient="delta" if z else "g",
        vector=f"z_{layer}" if z else f"a_{layer}",
        vector_gradient=f"delta_{layer}" if z else f"g_a_{layer}",
        weights=f"w_{layer}",
        bias=f"b_{layer}",
        comments={
            "gradient": "BP1" if output else "BP2",
            "bias": "BP3",
            "weights": "BP4",
            "inputs": f"(w^{layer})ᵀ δ^{layer}, one row per example",
        }
        if z
        else {},
    )


def backprop_notes(model: object) -> Callable[[Value], Note | None]:
    """describe(node) for autograd.trace: a network's layer and cost comments (BP1–BP4).

    model is the network whose parameters the trace updates (an nn MLP, Layer or Neuron): its
    last layer is the output layer, where δ is BP1's; below it BP2's.
    """
    parameters = getattr(model, "parameters", None)
    layers = [
        p.label_record.layer
        for p in (parameters() if callable(parameters) else [])
        if isinstance(p, Value) and isinstance(p.label_record, Name)
    ]
    output = max(layers, default=None)

    def describe(node: Value) -> Note | None:
        record = node.label_record
        if not isinstance(record, Name):
            return None
        if record.quantity == "cost":
            return _COST
        if record.quantity not in ("preactivation", "activation"):
            return None
        return _layer_note(record.layer, record.layer == output, record.quantity)

    return describe
