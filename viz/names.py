"""What each node of a graph is (nn's Name records, else the graph's shape) and its name typeset.

Views never parse label text. A node nn made carries an ``nn.notation.Name`` record; a plain
expression without records is read from its shape: a ``linear`` node, or a ``+`` node that
feeds one of nn's elementwise activations, is a pre-activation z of neuron j of layer l (l
counts the pre-activations below it, the inputs being layer 1; j counts the layer's neurons in
the order they are drawn), the activation op over it is that neuron's a, and the leaves in a
``linear`` node's weight and bias slots are its w and b.

:class:`Typeset` writes names in one notation for one medium (Unicode text, LaTeX, HTML) and
remembers each Unicode fragment it wrote, so :func:`svg_tspans` can set those fragments in an
SVG as real superscripts and subscripts (``<tspan>``) whatever renderer made the SVG.
"""

from __future__ import annotations

import html
import re
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

    A graph with any Name record is read from its records alone; a graph with none, from its
    shape (see the module docstring).
    """
    forward = list(forward)
    names = {n: r for n in forward if (r := record_of(n)) is not None}
    return names if names else _from_shape(forward)


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
        # each Unicode text written -> its (symbol, superscript, subscript), for svg_tspans
        self.fragments: dict[str, tuple[str, str, str]] = {}

    def compose(self, symbol: str, sup: str = "", sub: str = "") -> str:
        """symbol^sup_sub in this style."""
        text = nt.compose(symbol, sup, sub, self.style)
        if sup or sub or "_" in symbol:
            self.fragments[text] = (symbol, sup, sub)
        return text

    def tokens(self, tokens: nt.Tokens) -> str:
        """Tokens from nn.notation.term in this style (each symbol remembered for svg_tspans)."""
        stack = list(tokens)
        while stack:
            t = stack.pop()
            if isinstance(t, nt.Frac):
                stack += [*t.num, *t.den]
            elif isinstance(t, nt.Sym) and (t.sup or t.sub or "_" in t.base):
                self.fragments[nt.write(t, self.style)] = (t.base, t.sup, t.sub)
        return nt.write(tokens, self.style)

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
        return self.tokens(
            nt.term(quantity, layer, j, k, wrt=wrt, batch=batch, notation=self.notation)
        )

    def name(self, name: Name) -> str:
        """A Name in this notation and style."""
        return self.compose(*nt.parts(name, self.notation))

    def delta(self, name: Name) -> str:
        """δ of a pre-activation's Name (Ng's dz, Goodfellow's g)."""
        return self.term("delta", name.layer, name.j)

    def symbol(self, which: str) -> str:
        """One of the notation's bare symbols: 'delta', 'cost', 'sigma', 'preactivation', …"""
        return self.term(which)

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


_TEXT = re.compile(r"(<text\b[^>]*>)(.*?)(</text>)", re.S)
_SIZE = re.compile(r'font-size="([0-9.]+)"')


def svg_tspans(svg: str, fragments: dict[str, tuple[str, str, str]]) -> str:
    """svg with every typeset fragment in its <text> elements set as tspan sub/superscripts."""
    if not fragments:
        return svg
    pattern = re.compile("|".join(re.escape(f) for f in sorted(fragments, key=len, reverse=True)))

    def one(m: re.Match[str]) -> str:
        start, body, end = m.groups()
        text = html.unescape(body)
        if pattern.search(text) is None:
            return m.group(0)
        size_match = _SIZE.search(start)
        size = float(size_match.group(1)) if size_match else 11.0
        out: list[str] = []
        shift = 0.0  # the baseline offset the text is at now (SVG y grows downwards)

        def at(offset: float, piece: str, small: bool) -> None:
            nonlocal shift
            attrs = f' dy="{offset - shift:.2f}"' if offset != shift else ""
            if small:
                attrs += ' font-size="75%"'
            shift = offset
            escaped = html.escape(piece, quote=False)
            out.append(f"<tspan{attrs}>{escaped}</tspan>" if attrs else escaped)

        last = 0
        for f in pattern.finditer(text):
            if f.start() > last:
                at(0.0, text[last : f.start()], False)
            symbol, sup, sub = fragments[f.group(0)]
            base, _, own_sub = symbol.partition("_")
            at(0.0, base, False)
            if own_sub:
                at(0.25 * size, own_sub, True)
            if sup:
                at(-0.38 * size, sup, True)
            if sub:
                at(0.25 * size, sub, True)
            last = f.end()
        if last < len(text):
            at(0.0, text[last:], False)
        return start + "".join(out) + end

    return _TEXT.sub(one, svg)
