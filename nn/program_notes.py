"""What nn's nodes are in a traced program: each layer's comments, BP1–BP4, and δ's names.

``autograd.trace(fn, params, describe=backprop_notes(model))`` heads each layer's lines of the
generated program with what backprop computes there and names ∂C/∂z^l_j ``delta_z_l_j``; the
engine itself knows nothing of layers. ``nn.train.fit`` passes it.

Comments and names are written in a notation (nn.notation; by default the one active when the
program is traced, which the nodes' own names follow too): the symbols come from its one symbol
function, ``nn.notation.term``, and the layer numbers as the notation counts them, so Ng's
program reads ``dz_2 = … # BP2`` under ``dz^[2] = (…) ⊙ g′(z^[2])`` and Goodfellow's names the
pre-activation ``a_1`` and the activation ``h_1``.
"""

from __future__ import annotations

from collections.abc import Callable

from autograd import Note, Value

from . import notation as nt
from .notation import Name, Notation

__all__ = ["backprop_notes"]

# symbols that are not ASCII, spelt for a Python name (δ is a valid identifier, but not one a
# learner types)
_SPELT = {"δ": "delta", "θ": "theta", "σ": "sigma", "∂": "d", "∇": "grad"}


def _identifier(symbol: str) -> str:
    """A notation's symbol as a plain Python name part: δ → delta, E_in → E_in."""
    plain = (c if c.isascii() and (c.isalnum() or c == "_") else "_" for c in symbol)
    out = "".join(_SPELT.get(c, p) for c, p in zip(symbol, plain, strict=True))
    return out.strip("_") or "v"


def _u(tokens: nt.Tokens) -> str:
    return nt.write(tokens, "unicode")


def _cost_note(n: Notation) -> Note:
    cost = _u(nt.term("cost", notation=n))
    grad_a = _u(nt.term("cost", "L", wrt="activation", notation=n))
    return Note(
        forward=f"the cost {cost} of this example",
        backward=f"the cost: {grad_a} for the output layer",
    )


def _layer_note(layer: int, output: bool, quantity: str, n: Notation) -> Note:
    """The comments of layer `layer` (Nielsen's numbering) in notation n; BP1 at the output.

    quantity is the node's: "preactivation" (its gradient is δ) or "activation". The numpy
    program names the layer's arrays after the notation's symbols (Nielsen's z_l, a_l, w_l, b_l
    and delta_l for δ^l), with the layer numbered as the notation numbers it.
    """

    def t(q: str, at: int | None = layer) -> str:
        return _u(nt.term(q, at, notation=n))

    written = nt.layer_number(layer, n)
    z, a, w, b, d = t("preactivation"), t("activation"), t("weight"), t("bias"), t("delta")
    a_below = t("activation", layer - 1)
    w_above, d_above = t("weight", layer + 1), t("delta", layer + 1)
    sigma, sigma_prime = _u(nt.term("sigma", notation=n)), t("sigma_prime")
    jk = n.index_order == "jk"  # w^l_jk: row j, so z = w a; LFD's kj: s = wᵀ x

    def transposed(matrix: str) -> str:
        return f"({matrix})ᵀ"

    weighted = f"{w} {a_below}" if jk else f"{transposed(w)} {a_below}"
    back = f"{transposed(w_above)} {d_above}" if jk else f"{w_above} {d_above}"
    grad_w = _u(nt.term("cost", layer, wrt="weight", notation=n))
    grad_b = _u(nt.term("cost", layer, wrt="bias", notation=n))
    outer = f"{d} {transposed(a_below)}" if jk else f"{a_below} {transposed(d)}"
    if output:
        grad_a = _u(nt.term("cost", layer, wrt="activation", notation=n))
        bp = f"{d} = {grad_a} ⊙ {sigma_prime} (BP1)"
    else:
        bp = f"{d} = ({back}) ⊙ {sigma_prime} (BP2)"
    pre = quantity == "preactivation"
    name = f"_{written}"
    gradient_word = _identifier(n.delta)
    a_word = _identifier(n.a)
    return Note(
        forward=f"layer {written}: {z} = {weighted} + {b}, then {a} = {sigma}({z})",
        backward=f"layer {written}: {bp}; {grad_b} = {d} (BP3); {grad_w} = {outer} (BP4)",
        gradient=gradient_word if pre else "g",
        vector=_identifier(n.z) + name if pre else a_word + name,
        vector_gradient=gradient_word + name
        if pre
        else (f"{n.gradient_prefix}{a_word}" if n.gradient_prefix else f"g_{a_word}") + name,
        weights=_identifier(n.w) + name,
        bias=_identifier(n.b) + name,
        vector_input=_identifier(n.input or n.a) + f"_{nt.layer_number(layer - 1, n)}",
        comments={
            "gradient": "BP1" if output else "BP2",
            "bias": "BP3",
            "weights": "BP4",
            "inputs": f"{transposed(w) if jk else w} {d}, one row per example",
        }
        if pre
        else {},
        key=layer if pre else None,  # VectorProgram.lines(l): layer l's lines (the layer view)
    )


def backprop_notes(
    model: object, notation: str | Notation | None = None
) -> Callable[[Value], Note | None]:
    """describe(node) for autograd.trace: a network's layer and cost comments (BP1–BP4).

    model is the network whose parameters the trace updates (an nn MLP, Layer or Neuron): its
    last layer is the output layer, where δ is BP1's; below it BP2's. notation: the notation the
    comments and the array names are written in; None (the default) is the one active when the
    program is traced, the one the nodes' own names are written in.
    """
    parameters = getattr(model, "parameters", None)
    layers = [
        p.label_record.layer
        for p in (parameters() if callable(parameters) else [])
        if isinstance(p, Value) and isinstance(p.label_record, Name)
    ]
    output = max(layers, default=None)
    if notation is not None:
        nt.get(notation)  # an unknown notation fails here, not in the middle of a trace

    def describe(node: Value) -> Note | None:
        record = node.label_record
        if not isinstance(record, Name):
            return None
        n = nt.get(notation)
        if record.quantity == "cost":
            return _cost_note(n)
        if record.quantity not in ("preactivation", "activation"):
            return None
        return _layer_note(record.layer, record.layer == output, record.quantity, n)

    return describe
