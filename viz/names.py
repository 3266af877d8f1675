"""What each node of a graph is (nn's Name records, else the graph's shape) and its name typeset.

Views never parse label text. A node nn made carries an ``nn.notation.Name`` record; a plain
expression without records is read from its shape: a ``linear`` node, or a ``+`` node that
feeds one of nn's elementwise activations, is a pre-activation z of neuron j of layer l (l
counts the pre-activations below it, the inputs being layer 1; j counts the layer's neurons in
the order they are drawn), the activation op over it is that neuron's a, and the leaves in a
``linear`` node's weight and bias slots are its w and b.

:class:`Typeset` writes names in one notation for one medium (Unicode text, LaTeX, HTML), as
text or as nn.notation's typed tokens; :func:`svg_text` writes tokens as the content of an SVG
``<text>``, superscripts and subscripts as ``<tspan>`` elements, from the tokens themselves.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from autograd import Value
from autograd.ops import ADD, LINEAR
from nn import notation as nt
from nn.activations import ELEMENTWISE
from nn.notation import Name, Notation

# the ops of nn's elementwise activations σ (each named as its activation; linear makes no node)
ACTIVATION_OPS = frozenset(name for name, sigma in ELEMENTWISE.items() if sigma is not None)
NEURON_QUANTITIES = frozenset({"weight", "bias", "input", "preactivation", "activation"})


def record_of(node: Value) -> Name | None:
    """node's Name record, or None (no record, or some other kind of Label)."""
    r = node.label_record
    return r if isinstance(r, Name) else None


def shown_record(node: Value) -> Name | None:
    """node's Name record when its label is the record's own text (not a user's rename)."""
    record = record_of(node)
    # a rename keeps the record under the user's text (autograd's Renamed): the text then differs
    return record if record is not None and node.label == str(record) else None


def identify(forward: Iterable[Value]) -> dict[Value, Name]:
    """The Name of each node that has one, for nodes in forward order (parents first).

    A graph with a Name record of a neuron's quantity is read from its records alone; a graph
    with none, from its shape (see the module docstring), plus the records it has (a cost's).
    """
    forward = list(forward)
    names = {n: r for n in forward if (r := record_of(n)) is not None}
    if any(r.quantity in NEURON_QUANTITIES for r in names.values()):
        return names
    # only a cost's records (its targets y_j, C): the neurons are read from the shape
    return _from_shape(forward) | names


def _from_shape(forward: list[Value]) -> dict[Value, Name]:
    feeds_activation: set[Value] = set()
    for node in forward:
        if node.op in ACTIVATION_OPS:
            feeds_activation.add(node.parents[0])
    names: dict[Value, Name] = {}
    depth: dict[Value, int] = {}  # the layer of the deepest pre-activation at or below a node
    count: dict[int, int] = {}
    for node in forward:
        below = max((depth[p] for p in node.parents), default=1)
        if node.row is LINEAR or (node.row is ADD and node in feeds_activation):
            layer = below + 1
            j = count.get(layer, 0)
            count[layer] = j + 1
            names[node] = Name("preactivation", layer, j)
            depth[node] = layer
            if node.row is LINEAR:
                ps = node.parents
                n = (len(ps) - 1) // 2
                for k in range(n):
                    if ps[k].is_leaf:
                        names.setdefault(ps[k], Name("weight", layer, j, k))
                    if ps[n + k].is_leaf and layer == 2:
                        names.setdefault(ps[n + k], Name("input", 1, k))
                if ps[-1].is_leaf:
                    names.setdefault(ps[-1], Name("bias", layer, j))
            continue
        parent = node.parents[0] if node.parents else None
        z = names.get(parent) if parent is not None else None
        if node.op in ACTIVATION_OPS and z is not None and z.quantity == "preactivation":
            names[node] = Name("activation", z.layer, z.j)
            depth[node] = z.layer
            continue
        depth[node] = below
    return names


def role(node: Value, root: Value, parameters: set[Value], names: dict[Value, Name]) -> str:
    """'loss', 'parameter', 'input', 'preactivation', 'activation' or 'other'."""
    if node is root:
        return "loss"
    name = names.get(node)
    quantity = name.quantity if name is not None else ""
    if node in parameters or quantity in ("weight", "bias"):
        return "parameter"
    if node.is_leaf:
        return "input"
    if quantity in ("preactivation", "activation"):
        return quantity
    return "other"


def neuron(name: Name | None) -> tuple[int, int] | None:
    """(l, j) of the neuron a Name belongs to (its z, a, b, w, or input j of layer l)."""
    if name is None or name.quantity not in NEURON_QUANTITIES:
        return None
    return name.layer, name.j


# ------------------------------------------------------------------------------- typesetting
class Typeset:
    """Names in one notation for one style ('unicode', 'latex', 'html' or 'ascii')."""

    def __init__(self, notation: str | Notation | None = None, style: str = "unicode") -> None:
        self.notation = nt.get(notation)
        self.style = style

    def compose(self, symbol: str, sup: str = "", sub: str = "") -> str:
        """symbol^sup_sub in this style."""
        return nt.compose(symbol, sup, sub, self.style)

    def tokens(self, tokens: nt.Tokens) -> str:
        """Tokens from nn.notation.term in this style."""
        return nt.write(tokens, self.style)

    def term_tokens(
        self,
        quantity: str,
        layer: nt.Index = None,
        j: nt.Index = None,
        k: nt.Index = None,
        *,
        wrt: str | None = None,
        batch: bool = False,
    ) -> nt.Tokens:
        """nn.notation.term in this notation, as tokens: z^l_j, δ^l, ∂C/∂w^l, σ′(z^l) …"""
        return nt.term(quantity, layer, j, k, wrt=wrt, batch=batch, notation=self.notation)

    def term(
        self,
        quantity: str,
        layer: nt.Index = None,
        j: nt.Index = None,
        k: nt.Index = None,
        *,
        wrt: str | None = None,
        batch: bool = False,
    ) -> str:
        """nn.notation.term in this notation and style: z^l_j, δ^l, ∂C/∂w^l, σ′(z^l) …"""
        return self.tokens(self.term_tokens(quantity, layer, j, k, wrt=wrt, batch=batch))

    def name_tokens(self, name: Name) -> nt.Tokens:
        """A Name in this notation, as one symbol token."""
        return (nt.Sym(*nt.parts(name, self.notation)),)

    def name(self, name: Name) -> str:
        """A Name in this notation and style."""
        return self.tokens(self.name_tokens(name))

    def delta_tokens(self, name: Name) -> nt.Tokens:
        """δ of a pre-activation's Name (Ng's dz, Goodfellow's g), as tokens."""
        return self.term_tokens("delta", name.layer, name.j)

    def delta(self, name: Name) -> str:
        """δ of a pre-activation's Name (Ng's dz, Goodfellow's g)."""
        return self.tokens(self.delta_tokens(name))

    def symbol(self, which: str) -> str:
        """One of the notation's bare symbols: 'delta', 'cost', 'sigma', 'preactivation', …"""
        return self.term(which)

    def label_tokens(self, node: Value, shown: str | None = None) -> nt.Tokens | None:
        """node's label as tokens: a Name written here, a user's own text as words, else None.

        A user's text is words whatever it holds ("x_1^2" stays x_1^2), shown as `shown` when
        given (the text shortened for a drawing).
        """
        record = shown_record(node)
        if record is not None:
            return self.name_tokens(record)
        if node.label:
            return (nt.Words(node.label if shown is None else shown),)
        return None

    def label(self, node: Value) -> str | None:
        """node's label as shown: a user's own text as it is, a Name written here."""
        record = shown_record(node)
        return self.name(record) if record is not None else node.label

    def neuron_words(self, layer: int, j: int) -> str:
        """'neuron j of layer l' with j and l as this notation counts them."""
        n = self.notation
        return f"neuron {nt.index_number(j, n)} of layer {nt.layer_number(layer, n)}"

    def layer_words(self, layer: int) -> str:
        """'layer l' as this notation counts it."""
        return f"layer {nt.layer_number(layer, self.notation)}"


# the baseline offsets of scripts, in ems of the text's size (SVG's y grows downwards)
SUPERSCRIPT_SHIFT = -0.38
SUBSCRIPT_SHIFT = 0.25


def _svg_runs(tokens: nt.Tokens, out: list[tuple[float, str]]) -> None:
    """tokens as runs of (baseline offset in ems, text); a script run is set small."""
    for t in tokens:
        if isinstance(t, nt.Sym):
            base, _, own_sub = t.base.partition("_")  # a symbol's own subscript (LFD's E_in)
            out.append((0.0, base))
            if own_sub:
                out.append((SUBSCRIPT_SHIFT, own_sub))
            if t.sup:
                out.append((SUPERSCRIPT_SHIFT, t.sup))
            if t.sub:
                out.append((SUBSCRIPT_SHIFT, t.sub))
        elif isinstance(t, nt.Frac):
            for part, after in ((t.num, "/"), (t.den, "")):
                bracket = not nt.simple(part)
                if bracket:
                    out.append((0.0, "("))
                _svg_runs(part, out)
                out.append((0.0, (")" if bracket else "") + after))
        else:  # Op, Num, Words: text on the baseline
            out.append((0.0, t.text))


def svg_text(tokens: nt.Tokens, size: float) -> str:
    """tokens as the content of an SVG <text> of font size `size`: scripts as raised or lowered
    ``<tspan>`` elements (75% size), everything else as escaped text on the baseline."""
    runs: list[tuple[float, str]] = []
    _svg_runs(tokens, runs)
    out: list[str] = []
    shift = 0.0  # the baseline offset the text is at now, in points
    for offset_ems, text in runs:
        if not text:
            continue
        offset = offset_ems * size
        attrs = f' dy="{offset - shift:.2f}"' if offset != shift else ""
        if offset != 0.0:
            attrs += ' font-size="75%"'
        shift = offset
        escaped = html.escape(text, quote=False)
        out.append(f"<tspan{attrs}>{escaped}</tspan>" if attrs else escaped)
    return "".join(out)
