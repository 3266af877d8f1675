"""The layer view: BP1–BP4 for a layer as vectors and matrices, with the graph's own numbers.

``explain(layer, C)`` (or ``explain(model, C)``) after ``C.backward()`` writes, for each layer
l, the equations a textbook writes per layer:

    BP1  δ^L = ∇_a C ⊙ σ'(z^L)                 (softmax: δ^L = J_softmaxᵀ ∇_a C)
    BP2  δ^l = ((w^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l)
    BP3  ∇_b C = δ^l
    BP4  ∇_w C = δ^l (a^{l−1})ᵀ

with every vector and matrix filled in from the graph: δ from the z nodes' grads, ∇_a C from
the a nodes' grads, σ'(z) from the activation op's derivative rule (the op table), a^{l−1}
from the nodes that feed z, the weights from w's data, ∂C/∂w and ∂C/∂b from the parameters'
grads. Under each picture a check line gives the largest difference between the right-hand
side computed from the printed factors (at full precision) and the graph's own numbers.

The graph is read through the nodes' Name records (nn.notation): a node's layer and index are
data, never parsed from label text; every symbol is written by the chosen notation.
"""

from __future__ import annotations

import functools
import html
import math
import operator
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd import Value, grad, symbolic_row, topological_order
from autograd.symbolic import simplify, var
from nn import costs
from nn import notation as nt
from nn.activations import sigma_prime_text
from nn.module import MLP, Layer
from nn.notation import Name, Notation

from . import numbers
from .draw import forward_order
from .names import record_of
from .numbers import latex_halves, number, number_latex

__all__ = ["Equation", "LayerView", "Matrix", "Picture", "explain_layers"]

STYLES = ("unicode", "latex")

# ------------------------------------------------------------------------------ names
Tex = tuple[str, str, str]  # the same text in the unicode, latex and html styles


def tex(tokens: nt.Tokens) -> Tex:
    """Tokens (nn.notation) written in the unicode, latex and html styles."""
    return nt.write(tokens, "unicode"), nt.write(tokens, "latex"), nt.write(tokens, "html")


def cat(*parts: Tex | str) -> Tex:
    """Names and literals joined in each style (a str literal is the same in all three)."""
    out = ["", "", ""]
    for p in parts:
        for i in range(3):
            out[i] += p if isinstance(p, str) else p[i]
    return out[0], out[1], out[2]


def op(*parts: nt.Tokens | nt.Token | str) -> Tex:
    """Operators (a str is one), numbers and words between a picture's matrices, in each style."""
    return tex(nt.tokens_of(*parts))


TRANSPOSE: Tex = op("ᵀ")
ODOT: Tex = op(" ⊙ ")
MINUS: Tex = op(" − ")
# the operators that stand between matrices in a picture
EQ, DOT, HADAMARD, SUBTRACT, PLUS = op("="), op("·"), op("⊙"), op("−"), op("+")


def _row_gradient(row: costs.Cost, a: list[float], y: Any) -> list[float] | None:
    """∂C/∂a_i from the cost table's row at the numbers a and the target y (a class: one-hot).

    None where the formula divides by 0 (binary cross-entropy at a saturated a = 0 or 1, where
    the loss clamps its log and the graph's slope is 0).
    """
    ys = [1.0 if i == y else 0.0 for i in range(len(a))] if isinstance(y, int) else list(y)
    try:  # + 0.0 writes −0.0 (−y/a at y = 0) as 0
        return [float(row.gradient(p, t, float(len(a)))) + 0.0 for p, t in zip(a, ys, strict=True)]
    except ZeroDivisionError:
        return None


def _expr_tex(expr: Any, names: dict[str, Tex]) -> Tex:
    """A row expression (a cost's or an activation's) with its variables as the given names."""
    return (
        expr.unicode({k: v[0] for k, v in names.items()}),
        expr.latex({k: v[1] for k, v in names.items()}),
        # HTML: the names' HTML; a mask's comparison [y·a < 1] is the one HTML-special operator
        expr.unicode({k: v[2] for k, v in names.items()})
        .replace(" < ", " &lt; ")
        .replace(" > ", " &gt; "),
    )


class Names:
    """The symbols of the layer view in one notation, as (unicode, latex, html) triples.

    Every symbol comes from nn.notation.term (the layer numbering and index base are applied
    there); this class only writes its tokens in the three styles.
    """

    def __init__(self, notation: str | Notation | None) -> None:
        self.n = nt.get(notation)

    def term(
        self,
        quantity: str,
        layer: nt.Index = None,
        j: nt.Index = None,
        *,
        wrt: str | None = None,
        batch: bool = False,
    ) -> Tex:
        """nn.notation.term in this notation, in each style."""
        return tex(nt.term(quantity, layer, j, wrt=wrt, batch=batch, notation=self.n))

    def vector(self, quantity: str, layer: int) -> Tex:
        """z^l, a^l (the input when l = 1) as a whole vector: no index."""
        return self.term(quantity, layer)

    def delta(self, layer: int) -> Tex:
        """δ^l as a vector."""
        return self.term("delta", layer)

    def weights(self, layer: int) -> Tex:
        """w^l as a matrix."""
        return self.term("weight", layer)

    def cost(self, batch: bool = False) -> Tex:
        """C (or the batch cost's symbol)."""
        return self.term("cost", batch=batch)

    def example_cost(self, example: int | str) -> Tex:
        """C_x for example x (an int as the notation counts it, or a letter)."""
        return self.term("cost", None, example)

    def weights_t(self, layer: int) -> Tex:
        """The matrix BP2 multiplies δ^{l+1} by: (w^{l+1})ᵀ, or LFD's W^(l+1) as it stands."""
        w = self.weights(layer)
        if self.n.index_order == "kj":  # rows are already the source neurons
            return w
        return self.transpose(w)

    def transpose(self, t: Tex) -> Tex:
        """(t)ᵀ."""
        return cat("(", t, ")", TRANSPOSE)

    def sigma_prime(self, layer: int) -> Tex:
        """σ′(z^l)."""
        return self.term("sigma_prime", layer)

    def grad_a(self, layer: int, batch: bool = False) -> Tex:
        """∇_a C (Ng: da^[l])."""
        return self.term("cost", layer, wrt="activation", batch=batch)

    def grad_b(self, layer: int, batch: bool = False) -> Tex:
        """∂C/∂b^l (LFD: the weights from the constant unit, w^(l)_0j; Ng: db^[l])."""
        return self.term("cost", layer, wrt="bias", batch=batch)

    def grad_w(self, layer: int, batch: bool = False) -> Tex:
        """∂C/∂w^l (Ng: dw^[l])."""
        return self.term("cost", layer, wrt="weight", batch=batch)

    def mean(self, size: int | None = None) -> Tex:
        """1/m (or 1/size)."""
        return self.term("mean") if size is None else tex(nt.term("mean", size=size))

    def layer_number(self, layer: int) -> str:
        """The layer as the notation counts it."""
        return str(nt.layer_number(layer, self.n))

    def index(self, i: int) -> str:
        """A neuron's or an example's index as the notation counts it."""
        return str(nt.index_number(i, self.n))

    def prose(self, text: str) -> str:
        """text with {a}, {z}, {d}, {s}, {c}, {cb} (the batch cost), {ga} (∇_a C), {cx} (C_x),
        {sx} (Σ_x) and {mean} (1/m) replaced by the notation's symbols (from nn.notation.term)."""
        n = self.n

        def u(quantity: str, batch: bool = False) -> str:
            return nt.write(nt.term(quantity, batch=batch, notation=n), "unicode")

        return text.format(
            a=u("activation"),
            z=u("preactivation"),
            d=u("delta"),
            s=u("sigma"),
            c=u("cost"),
            cb=u("cost", batch=True),
            ga=nt.write(nt.term("cost", wrt="activation", notation=n), "unicode"),
            cx=nt.write(nt.term("cost", None, n.example, notation=n), "unicode"),
            sx=nt.write(nt.Sym("Σ", "", n.example), "unicode"),
            mean=nt.write(nt.term("mean", notation=n), "unicode"),
        )


class Text(str):
    """A note or check text (unicode) that also carries its HTML form, in .html."""

    html: str

    def __new__(cls, text: str, html_text: str) -> Text:
        made = super().__new__(cls, text)
        made.html = html_text
        return made


def text(*parts: Tex | str) -> Text:
    """Names (unicode, latex, html) and literals joined: the unicode text, with .html."""
    return Text(
        "".join(p if isinstance(p, str) else p[0] for p in parts),
        "".join(html.escape(p, quote=False) if isinstance(p, str) else p[2] for p in parts),
    )


def as_html(note: str) -> str:
    """A note or check as HTML: its typeset form if it carries one (a Text), else escaped."""
    return note.html if isinstance(note, Text) else html.escape(note)


# --------------------------------------------------------------------------- pictures
@dataclass
class Matrix:
    """A named vector (one column) or matrix of numbers in a picture, and where they come from."""

    caption: Tex
    rows: list[list[float]]
    source: str = ""  # "graph" for the graph's own numbers; else how they were computed

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return len(self.rows), len(self.rows[0]) if self.rows else 0

    def shown(self, columns: int | None) -> list[list[float | None]]:
        """The entries shown; past `columns` columns, the first and last ones around a gap
        (None)."""
        rows: list[list[float | None]] = [list(r) for r in self.rows]
        n = self.shape[1]
        if columns is not None and n > columns:
            head = max(1, (columns + 1) // 2)
            tail = max(1, columns - head)
            rows = [[*r[:head], None, *r[n - tail :]] for r in rows]
        return rows

    def cells(
        self, digits: int, columns: int | None, write: Callable[[float, int], str] = number
    ) -> list[list[str]]:
        """The entries as text; past `columns` columns, the first and last ones around a …."""
        return [["…" if v is None else write(v, digits) for v in r] for r in self.shown(columns)]


@dataclass
class Picture:
    """Matrices and the operators between them, side by side: one line of an equation."""

    items: list[Matrix | Tex]  # a Tex: an operator (or number) between the matrices
    title: str = ""  # e.g. "example x = 0"

    def matrices(self) -> list[Matrix]:
        """The matrices, left to right."""
        return [m for m in self.items if isinstance(m, Matrix)]


@dataclass
class Equation:
    """One equation applied to one layer: its formula, pictures, notes, check and nodes."""

    key: str  # "BP1", "BP2", "BP3", "BP4"
    layer: int  # Nielsen's numbering
    formula: Tex
    pictures: list[Picture]
    notes: list[str] = field(default_factory=list)
    checks: list[tuple[str, float]] = field(default_factory=list)  # (what, largest difference)
    # a note or a check's text built from names is a Text: str, and its HTML form in .html
    nodes: list[Value] = field(default_factory=list, repr=False)  # every node it covers


# ------------------------------------------------------------------------- the graph
def _is_cost(node: Value) -> bool:
    r = record_of(node)
    return r is not None and r.quantity == "cost" and not r.batch


@dataclass
class _Example:
    """One example's nodes per layer l, and its gradients ∂C_x/∂(node)."""

    cost: Value
    factor: float  # ∂C/∂C_x, the graph's own: 1/m for a batch mean, 1 for a sum
    z: dict[int, list[Value]] = field(default_factory=dict)
    a: dict[int, list[Value] | None] = field(default_factory=dict)  # None: a is not in the graph
    inputs: dict[int, list[Value]] = field(default_factory=dict)
    grads: dict[Value, float] = field(default_factory=dict)


def _inputs_of(z: Value, weights: list[Value]) -> list[Value]:
    """The nodes a^{l−1}_k that z multiplies by w_k (one linear node, or * and + nodes).

    Read from the rows: where ∂node/∂w_k is another input of the node, that input is a_k;
    the walk goes on through the inputs a node passes on unchanged (∂node/∂input = 1, a sum).
    """
    n = len(weights)
    position = {w: k for k, w in enumerate(weights)}
    found: dict[int, Value] = {}
    stack = [z]
    while stack:
        node = stack.pop()
        slots = [var(f"_{i}") for i in range(len(node.parents))]
        local = symbolic_row(node.row, slots).derivatives or ()
        for p, d in zip(node.parents, local, strict=False):
            d = simplify(d)
            if p in position and d.kind == "var":
                found[position[p]] = node.parents[int(d.value[1:])]
            elif not p.is_leaf and d.kind == "const" and d.value == 1.0:
                stack.append(p)
    if len(found) != n:
        raise ValueError(
            f"cannot find the inputs of '{z.label}' in the graph: a z node should be "
            "linear(w, a, b) or a sum of w_k · a_k and b, as nn's neurons make it"
        )
    return [found[k] for k in range(n)]


class _Graph:
    """C's graph, read through Name records: the layers' nodes per example."""

    def __init__(self, root: Value, layers: Sequence[Layer]) -> None:
        self.root = root
        order = topological_order(root)
        members = set(order)
        for layer in layers:
            missing = [p for p in layer.parameters() if p not in members]
            if missing:
                raise ValueError(
                    f"layer {layer.layer_index}'s parameters (e.g. '{missing[0].label}') are not "
                    "in the graph of the cost you passed: pass the cost computed from this "
                    "model's forward pass"
                )
        # the parameters of every layer in the graph, by record (the next layer's w for BP2)
        self.weights: dict[tuple[int, int, int], Value] = {}
        self.biases: dict[tuple[int, int], Value] = {}
        for node in order:
            r = record_of(node)
            if node.is_leaf and r is not None:
                if r.quantity == "weight":
                    self.weights.setdefault((r.layer, r.j, r.k), node)
                elif r.quantity == "bias":
                    self.biases.setdefault((r.layer, r.j), node)
        self.widths: dict[int, int] = {}
        for layer_index, j in self.biases:
            self.widths[layer_index] = max(self.widths.get(layer_index, 0), j + 1)
        self.output = max(self.widths)
        # the example costs in the order the sum reads them (first parents first), then by index
        costs = [n for n in forward_order(root) if n is not root and _is_cost(n)]
        costs.sort(key=lambda n: _example_index(n))
        self.batch = bool(costs)
        if not costs:
            costs = [root]
        if numbers.grad(root) != 1.0:
            raise ValueError(
                "the cost's grad is not 1: call C.backward() first (after model.zero_grad()), "
                "then explain the layer"
            )
        self.examples = [self._example(c) for c in costs]

    def neuron_weights(self, layer: int, j: int) -> list[Value]:
        """w^l_j0, w^l_j1, … from the graph's records."""
        out = []
        k = 0
        while (layer, j, k) in self.weights:
            out.append(self.weights[(layer, j, k)])
            k += 1
        return out

    def _example(self, cost: Value) -> _Example:
        ex = _Example(cost, numbers.grad(cost) if cost is not self.root else 1.0)
        by_record: dict[Name, list[Value]] = {}
        for node in topological_order(cost):
            r = record_of(node)
            if r is not None and r.quantity in ("preactivation", "activation"):
                by_record.setdefault(r, []).append(node)
        for layer in sorted(self.widths):
            zs: list[Value] = []
            for j in range(self.widths[layer]):
                b = self.biases[(layer, j)]
                cands = [
                    z for z in by_record.get(Name("preactivation", layer, j), []) if b in z.parents
                ]
                if len(cands) != 1:
                    raise ValueError(
                        f"example cost '{cost.label}' has {len(cands)} z nodes for neuron {j} of "
                        f"layer {layer}; explain one forward pass per example cost"
                    )
                zs.append(cands[0])
            ex.z[layer] = zs
            acts = [by_record.get(Name("activation", layer, j), []) for j in range(len(zs))]
            ex.a[layer] = [c[0] for c in acts] if all(len(c) == 1 for c in acts) else None
            # every neuron of a layer reads the same a^{l−1}: neuron 0's inputs are the layer's
            ex.inputs[layer] = _inputs_of(zs[0], self.neuron_weights(layer, 0))
        nodes = [n for zs in ex.z.values() for n in zs]
        nodes += [n for a_l in ex.a.values() if a_l for n in a_l]
        if cost is self.root:  # one example: the grads of the user's C.backward()
            ex.grads = {n: numbers.grad(n) for n in nodes}
        else:  # ∂C_x/∂node from the engine's backward pass of C_x alone
            values = grad(cost, nodes)
            ex.grads = {n: float(g) for n, g in zip(nodes, values, strict=True)}
        return ex


def _example_index(node: Value) -> int:
    r = record_of(node)
    return r.example if r is not None and r.example is not None else 0


# ------------------------------------------------------------ one accessor per quantity
def delta_of(ex: _Example, layer: int) -> list[float]:
    """δ^l = ∂C_x/∂z^l: the z nodes' grads."""
    return [ex.grads[z] for z in ex.z[layer]]


def grad_a_of(ex: _Example, layer: int, activation: str) -> list[float] | None:
    """∇_a C = ∂C_x/∂a^l: the a nodes' grads (None when the cost does not read a^l)."""
    a = ex.a[layer]
    if a is not None:
        return [ex.grads[n] for n in a]
    if activation == "linear":
        return delta_of(ex, layer)  # a linear layer's a^l is its z node
    return None


def activation_of(ex: _Example, layer: int, activation: str) -> list[float] | None:
    """a^l: the a nodes' data (the z nodes' for a linear layer; None if not in the graph)."""
    a = ex.a[layer]
    if a is not None:
        return [numbers.data(n) for n in a]
    if activation == "linear":
        return [numbers.data(z) for z in ex.z[layer]]
    return None


def sigma_prime_of(ex: _Example, layer: int, activation: str) -> list[float]:
    """σ′(z^l) from the activation op's derivative rule, at the graph's z and a."""
    a = ex.a[layer]
    if activation == "linear":
        return [1.0] * len(ex.z[layer])  # σ(z) = z: no node of its own, σ′ = 1
    if a is None or activation == "softmax":
        raise ValueError(f"layer {layer}'s {activation} has no elementwise σ′ in this graph")
    out = []
    for z, a_j in zip(ex.z[layer], a, strict=True):
        if a_j.parents != (z,):
            raise ValueError(f"'{a_j.label}' is not an elementwise σ of '{z.label}'")
        out.append(float(a_j.row.derivative(numbers.data(z), numbers.data(a_j))[0]))
    return out


def inputs_of(ex: _Example, layer: int) -> list[float]:
    """a^{l−1}: the data of the nodes that feed z^l."""
    return [numbers.data(n) for n in ex.inputs[layer]]


def weights_of(g: _Graph, layer: int) -> list[list[float]]:
    """w^l[j][k]: the weights' data."""
    return [[numbers.data(w) for w in g.neuron_weights(layer, j)] for j in range(g.widths[layer])]


def grad_w_of(g: _Graph, layer: int) -> list[list[float]]:
    """∂C/∂w^l[j][k]: the weights' grads."""
    return [[numbers.grad(w) for w in g.neuron_weights(layer, j)] for j in range(g.widths[layer])]


def grad_b_of(g: _Graph, layer: int) -> list[float]:
    """∂C/∂b^l: the biases' grads."""
    return [numbers.grad(g.biases[(layer, j)]) for j in range(g.widths[layer])]


# ------------------------------------------------------------------------- arithmetic
def _col(v: Sequence[float]) -> list[list[float]]:
    return [[x] for x in v]


def _t(m: list[list[float]]) -> list[list[float]]:
    return [list(r) for r in zip(*m, strict=True)]


def _diff(x: Sequence[float], y: Sequence[float]) -> float:
    return max((abs(a - b) for a, b in zip(x, y, strict=True)), default=0.0)


def _mdiff(x: list[list[float]], y: list[list[float]]) -> float:
    return max((_diff(a, b) for a, b in zip(x, y, strict=True)), default=0.0)


def _softmax_jacobian(a: Sequence[float]) -> list[list[float]]:
    # ∂a_i/∂z_j = a_i (1[i=j] − a_j)
    return [
        [a_i * ((1.0 if i == j else 0.0) - a_j) for j, a_j in enumerate(a)]
        for i, a_i in enumerate(a)
    ]


def _left_sum(xs: Iterable[float]) -> float:
    """The sum added left to right: the same floats on every Python (sum() of floats is
    compensated from 3.12 on), so a check line prints the same residual everywhere."""
    return functools.reduce(operator.add, xs, 0.0)


def _softmax(z: Sequence[float]) -> list[float]:
    m = max(z)
    e = [math.exp(v - m) for v in z]
    s = _left_sum(e)
    return [v / s for v in e]


# ------------------------------------------------------------------------ the builder
class _Builder:
    def __init__(
        self, g: _Graph, names: Names, cost: str | None, targets: list[Any] | None, shown: int
    ) -> None:
        self.g = g
        self.N = names
        self.cost = cost
        self.targets = targets
        self.shown = shown  # examples written out per equation

    def examples(self) -> list[tuple[int, _Example]]:
        return list(enumerate(self.g.examples))[: self.shown]

    def _title(self, x: int) -> str:
        if not self.g.batch:
            return ""
        record = record_of(self.g.examples[x].cost)
        if record is None or record.example is None:
            return f"example x = {self.N.index(x)}"
        c = self.N.example_cost(record.example)
        return f"example x = {self.N.index(x)} (cost {c[0]})"

    # BP1 -----------------------------------------------------------------------------
    def bp1(self, layer: Layer) -> Equation:
        L, N = layer.layer_index, self.N
        row = costs.get(self.cost) if self.cost else None
        d, sp, ga = N.delta(L), N.sigma_prime(L), N.grad_a(L)
        soft = layer.activation == "softmax"
        if soft:
            a_l, z_l = N.vector("activation", L), N.vector("preactivation", L)
            formula = cat(
                d,
                " = J",
                TRANSPOSE,
                " ",
                ga,
                (",  J = ∂", ",\\quad J = \\partial ", ",&nbsp; J = ∂"),
                a_l,
                ("/∂", "/\\partial ", "/∂"),
                z_l,
            )
        else:
            formula = cat(d, " = ", ga, ODOT, sp)
        eq = Equation("BP1", L, formula, [])
        worst = 0.0
        checked = False
        unseen = False  # a softmax BP1 with no ∇_a C: neither in the graph nor from cost= and y=
        for x, ex in self.examples():
            delta = delta_of(ex, L)
            if soft:
                a_nodes = activation_of(ex, L, layer.activation)
                if a_nodes is None:
                    a = _softmax([z.data for z in ex.z[L]])
                    a_src = "computed"
                else:
                    a = a_nodes
                    a_src = "graph"
                jac = _softmax_jacobian(a)
                grad_a = grad_a_of(ex, L, layer.activation)
                ga_src = "graph"
                if grad_a is None and row is not None and self.targets is not None:
                    # the cost read the logits: ∇_a C from the cost table's row at a, y
                    grad_a = _row_gradient(row, a, self.targets[x])
                    ga_src = "computed"
                if grad_a is None:
                    unseen = True
                else:
                    items: list[Matrix | Tex] = [Matrix(cat("J", TRANSPOSE), _t(jac), a_src)]
                    items += [DOT, Matrix(ga, _col(grad_a), ga_src), EQ]
                    items += [Matrix(d, _col(delta), "graph")]
                    eq.pictures.append(Picture(items, self._title(x)))
                    rhs = [
                        _left_sum(jac[i][j] * grad_a[i] for i in range(len(a)))
                        for j in range(len(a))
                    ]
                    worst = max(worst, _diff(rhs, delta))
                    checked = True
                if x == 0:
                    eq.notes.append(
                        N.prose(
                            "J_ij = ∂{a}_i/∂{z}_j = {a}_i (1[i=j] − {a}_j) from {a} = softmax({z})"
                        )
                        + (" (the a nodes' data)" if a_src == "graph" else "")
                        + "; the Jacobian is symmetric, so Jᵀ = J."
                    )
                    if a_src == "computed":
                        eq.notes.append(
                            N.prose(
                                "The cost reads the logits {z} straight ({c} = ln Σ_i e^({z}_i) − "
                                "{z}_c), so the graph has no {a} or {ga} nodes: {a} = "
                                "softmax({z}) is computed from the {z} nodes' data"
                            )
                            + (self._grad_note(row) if ga_src == "computed" else ".")
                        )
            else:
                grad_a = grad_a_of(ex, L, layer.activation)
                sig = sigma_prime_of(ex, L, layer.activation)
                assert grad_a is not None
                eq.pictures.append(
                    Picture(
                        [
                            Matrix(ga, _col(grad_a), "graph"),
                            HADAMARD,
                            Matrix(sp, _col(sig), "graph"),
                            EQ,
                            Matrix(d, _col(delta), "graph"),
                        ],
                        self._title(x),
                    )
                )
                worst = max(worst, _diff([p * q for p, q in zip(grad_a, sig, strict=True)], delta))
                checked = True
        if unseen:
            eq.notes.append(
                N.prose("No picture of Jᵀ {ga} = {d}: the graph has no {ga}. ")
                + "Pass cost='cross_entropy' and y= (the class of each example) to compute it, "
                + N.prose("{ga} = −1/{a}_c at the class c, and check it.")
            )
        if not soft:
            a_name = N.vector("activation", L)
            z_name = N.vector("preactivation", L)
            linear = layer.activation == "linear"
            eq.notes.append(
                text(
                    ga,
                    ": the ",
                    a_name,
                    " nodes' grads",
                    *((" (", a_name, " is the node ", z_name, " itself: a linear layer)") * linear),
                    *(
                        ("; ", sp, " = 1 " + N.prose("({s}({z}) = {z})"))
                        if linear
                        else (
                            "; ",
                            sp,
                            f": the {layer.activation} op's derivative rule at ",
                            z_name,
                        )
                    ),
                    "; ",
                    d,
                    ": the ",
                    z_name,
                    " nodes' grads.",
                )
            )
        if checked:
            what = text("Jᵀ ", ga, " − ", d) if soft else text(ga, " ⊙ ", sp, " − ", d)
            eq.checks.append((what, worst))
        if not soft and row is not None:
            self._row_gradient_check(eq, layer, row)
        eq.nodes = self._nodes(L, ("z", "a"))
        self._pair(eq, layer)
        return eq

    def _pair(self, eq: Equation, layer: Layer) -> None:
        """The δ^L = a − y line of a matching output + cost pair, from the cost table's row."""
        row = costs.get(self.cost) if self.cost else None
        if row is None or row.pair != layer.activation or row.prediction is None:
            return
        L, N = layer.layer_index, self.N
        d, a = N.delta(L), N.vector("activation" if row.wrt == "a" else "preactivation", L)
        prediction = row.prediction(var(row.wrt))  # a itself, or σ(z) for a cost on the logit
        p = _expr_tex(prediction, {row.wrt: a})
        eq.notes.append(text("Here ", d, " = ", p, f" − y: {N.prose(self._why(row, layer))}."))
        if self.targets is None:
            return
        worst = 0.0
        for x, ex in enumerate(self.g.examples):
            a_vals = activation_of(ex, L, layer.activation)
            if a_vals is None:  # softmax read by a cost on the logits: a = softmax(z), computed
                a_vals = _softmax([z.data for z in ex.z[L]])
            y = self.targets[x]
            ys = [1.0 if i == y else 0.0 for i in range(len(a_vals))] if isinstance(y, int) else y
            p_vals = [float(row.prediction(v)) for v in a_vals]
            diff = [q - t for q, t in zip(p_vals, ys, strict=True)]
            if x < self.shown:
                eq.pictures.append(
                    Picture(
                        [
                            Matrix(p, _col(p_vals), "graph" if row.wrt == "a" else "computed"),
                            SUBTRACT,
                            Matrix(cat("y"), _col([float(v) for v in ys]), "target"),
                            EQ,
                            Matrix(cat(p, MINUS, "y"), _col(diff), "computed"),
                        ],
                        self._title(x),
                    )
                )
            worst = max(worst, _diff(diff, delta_of(ex, L)))
        eq.checks.append((text(p, " − y − ", d), worst))

    def _row_gradient_check(self, eq: Equation, layer: Layer, row: costs.Cost) -> None:
        """∇_a C as the cost table's row writes it, checked against the a nodes' grads."""
        L, N = layer.layer_index, self.N
        ga = N.grad_a(L)
        out = N.vector("activation" if row.wrt == "a" else "preactivation", L)
        formula = _expr_tex(row.gradient_expr(), {row.wrt: out, "y": cat("y"), "n": cat("n")})
        n = layer.nout
        eq.notes.append(
            text(
                ga,
                " = ",
                formula,
                N.prose(f" elementwise (n = {n}), the {row.name} cost's ∂{{c}}/∂{{a}}."),
            )
        )
        if self.targets is None:
            return
        worst, undefined = 0.0, False
        for x, ex in enumerate(self.g.examples):
            values = activation_of(ex, L, layer.activation)
            graph = grad_a_of(ex, L, layer.activation)
            if values is None or graph is None:
                continue
            from_row = _row_gradient(row, values, self.targets[x])
            if from_row is None:
                undefined = True
                continue
            worst = max(worst, _diff(from_row, graph))
        if undefined:
            eq.notes.append(
                "The formula divides by 0 at a saturated output (exactly 0 or 1), where the "
                "cost clamps its log at −100 and the graph's slope is 0; those examples are "
                "left out of the check."
            )
        eq.checks.append((text(ga, " − (", formula, ")"), worst))

    def _grad_note(self, row: costs.Cost | None) -> str:
        """How ∇_a C was computed for a cost that reads the logits: the row's ∂C/∂a."""
        assert row is not None
        n = self.N.n
        grad = row.gradient_expr().unicode({"a": f"{n.a}_i", "y": "y_i", "n": "n"})
        one_hot = " (y the one-hot vector of the class)" if row.targets.kind == "class" else ""
        return self.N.prose(f", and ∂{{c}}/∂{{a}}_i = {grad}{one_hot}, from {{c}} = ") + (
            f"{row.formula}."
        )

    def _why(self, row: costs.Cost, layer: Layer) -> str:
        """Why the pair cancels σ′, with ∂C/∂a, σ′ and δ written from the rows (prose symbols)."""
        n = self.N.n
        plain = {"a": n.a, "z": n.z, "y": "y", "n": "n"}
        sp, _ = sigma_prime_text(layer.activation, n.z, n.sigma, out=n.a)
        delta = row.delta_expr()
        assert delta is not None
        return (
            row.why.replace("{grad}", row.gradient_expr().unicode(plain))
            .replace("{sp}", sp)
            .replace("{delta}", delta.unicode(plain))
        )

    # BP2 -----------------------------------------------------------------------------
    def bp2(self, layer: Layer) -> Equation:
        lyr, N = layer.layer_index, self.N
        d, d_up, sp, wt = N.delta(lyr), N.delta(lyr + 1), N.sigma_prime(lyr), N.weights_t(lyr + 1)
        formula = cat(d, " = (", wt, " ", d_up, ")", ODOT, sp)
        eq = Equation("BP2", lyr, formula, [])
        w_next = weights_of(self.g, lyr + 1)  # [j][k]
        back = cat(wt, " ", d_up)
        worst = 0.0
        for x, ex in self.examples():
            up = delta_of(ex, lyr + 1)
            sig = sigma_prime_of(ex, lyr, layer.activation)
            delta = delta_of(ex, lyr)
            ga = grad_a_of(
                ex, lyr, layer.activation
            )  # ∂C/∂a^l = (w^{l+1})ᵀ δ^{l+1}, the a nodes' grads
            assert ga is not None
            eq.pictures.append(
                Picture(
                    [
                        Matrix(wt, _t(w_next), "graph"),
                        DOT,
                        Matrix(d_up, _col(up), "graph"),
                        EQ,
                        Matrix(back, _col(ga), "graph"),
                        HADAMARD,
                        Matrix(sp, _col(sig), "graph"),
                        EQ,
                        Matrix(d, _col(delta), "graph"),
                    ],
                    self._title(x),
                )
            )
            product = [
                _left_sum(w_next[j][k] * up[j] for j in range(len(up))) for k in range(len(sig))
            ]
            rhs = [p * s for p, s in zip(product, sig, strict=True)]
            worst = max(worst, _diff(rhs, delta), _diff(product, ga))
        a_name = N.vector("activation", lyr)
        z_name = N.vector("preactivation", lyr)
        linear = layer.activation == "linear"
        eq.notes.append(
            text(
                wt,
                ": the weights' data; ",
                d_up,
                ", ",
                d,
                ": the ",
                N.vector("preactivation", lyr + 1),
                " and ",
                z_name,
                " nodes' grads; ",
                back,
                " = ∂",
                N.cost(),
                "/∂",
                a_name,
                ": the ",
                a_name,
                " nodes' grads",
                *((" (", a_name, " is the node ", z_name, ": a linear layer)") * linear),
                *(
                    ("; ", sp, " = 1 " + N.prose("({s}({z}) = {z})."))
                    if linear
                    else ("; ", sp, f": the {layer.activation} op's derivative rule.")
                ),
            )
        )
        eq.checks.append((text("(", wt, " ", d_up, ") ⊙ ", sp, " − ", d), worst))
        eq.nodes = self._nodes(lyr + 1, ("w", "z")) + self._nodes(lyr, ("a", "z"))
        return eq

    # BP3 -----------------------------------------------------------------------------
    def bp3(self, layer: Layer) -> Equation:
        lyr, N = layer.layer_index, self.N
        d = N.delta(lyr)
        gb = N.grad_b(lyr, self.g.batch)
        actual = grad_b_of(self.g, lyr)
        eq = Equation("BP3", lyr, cat(gb, " = ", d), [])
        if not self.g.batch:
            delta = delta_of(self.g.examples[0], lyr)
            eq.pictures.append(
                Picture([Matrix(gb, _col(actual), "graph"), EQ, Matrix(d, _col(delta), "graph")])
            )
            eq.checks.append((text(d, " − ", gb), _diff(delta, actual)))
            z_name = N.vector("preactivation", lyr)
            eq.notes.append(
                text(gb, ": the biases' grads; ", d, ": the ", z_name, " nodes' grads.")
            )
        else:
            total = [0.0] * len(actual)
            for ex in self.g.examples:
                for j, v in enumerate(delta_of(ex, lyr)):
                    total[j] += ex.factor * v
            eq.formula = self._batch_formula(gb, d)
            items: list[Matrix | Tex] = [Matrix(gb, _col(actual), "graph"), EQ]
            items += self._sum_items(
                [_col(delta_of(ex, lyr)) for _, ex in self.examples()], d, "graph"
            )
            eq.pictures.append(Picture(items))
            eq.checks.append((text(self._sum_text(), d, " − ", gb), _diff(total, actual)))
            eq.notes.append(self._batch_note(gb, cat(d, " (per example)")))
        self._leaf_hint(eq, gb)
        eq.nodes = self._nodes(lyr, ("b", "z"))
        return eq

    # BP4 -----------------------------------------------------------------------------
    def bp4(self, layer: Layer) -> Equation:
        lyr, N = layer.layer_index, self.N
        d, a_prev = N.delta(lyr), N.vector("activation", lyr - 1)
        gw = N.grad_w(lyr, self.g.batch)
        kj = N.n.index_order == "kj"
        # Nielsen: ∇_w C = δ (a^{l−1})ᵀ, rows j; LFD: ∂e/∂W = x^{(l−1)} (δ)ᵀ, rows i (the source)
        left, right = (a_prev, N.transpose(d)) if kj else (d, N.transpose(a_prev))
        outer = cat(left, ("", " ", ""), right)
        actual = grad_w_of(self.g, lyr)  # [j][k]
        z_name = N.vector("preactivation", lyr)
        shown_actual = _t(actual) if kj else actual
        eq = Equation("BP4", lyr, cat(gw, " = ", outer), [])
        total = [[0.0] * len(actual[0]) for _ in actual]
        outers = []
        for x, ex in enumerate(self.g.examples):
            delta, inputs = delta_of(ex, lyr), inputs_of(ex, lyr)
            prod = [[dj * ak for ak in inputs] for dj in delta]
            for j, row in enumerate(prod):
                for k, v in enumerate(row):
                    total[j][k] += ex.factor * v
            if x < self.shown:
                lv, rv = (_col(inputs), [delta]) if kj else (_col(delta), [inputs])
                outers.append((x, lv, rv, _t(prod) if kj else prod))
        if not self.g.batch:
            _, lv, rv, _p = outers[0]
            eq.pictures.append(
                Picture(
                    [
                        Matrix(left, lv, "graph"),
                        Matrix(right, rv, "graph"),
                        EQ,
                        Matrix(gw, shown_actual, "graph"),
                    ]
                )
            )
            eq.notes.append(
                text(
                    d,
                    ": the ",
                    z_name,
                    " nodes' grads; ",
                    a_prev,
                    ": the nodes that feed ",
                    z_name,
                    "; ",
                    gw,
                    ": the weights' grads.",
                )
            )
            eq.checks.append((text(outer, " − ", gw), _mdiff(total, actual)))
        else:
            eq.formula = self._batch_formula(gw, outer)
            for x, lv, rv, prod in outers:
                eq.pictures.append(
                    Picture(
                        [
                            Matrix(left, lv, "graph"),
                            Matrix(right, rv, "graph"),
                            EQ,
                            Matrix(outer, prod, "computed"),
                        ],
                        self._title(x),
                    )
                )
            items: list[Matrix | Tex] = [Matrix(gw, shown_actual, "graph"), EQ]
            items += self._sum_items([p for _, _, _, p in outers], outer, "computed")
            eq.pictures.append(Picture(items, "the batch"))
            eq.notes.append(self._batch_note(gw, cat(outer, " (per example)")))
            eq.checks.append((text(self._sum_text(), outer, " − ", gw), _mdiff(total, actual)))
        self._leaf_hint(eq, gw)
        if lyr != self.g.output:
            eq.notes.append(
                text(
                    f"Nothing of layer {N.layer_number(lyr + 1)} appears: its weights ",
                    N.weights(lyr + 1),
                    " enter only through ",
                    d,
                    " (BP2).",
                )
            )
        eq.nodes = self._nodes(lyr, ("w", "z")) + self._nodes(lyr - 1, ("a",), inputs_of_layer=lyr)
        return eq

    def _leaf_hint(self, eq: Equation, what: Tex) -> None:
        """Say why a parameter check fails: the grads are not those of this one pass."""
        if eq.checks and eq.checks[-1][1] > 1e-9:
            eq.notes.append(
                text(
                    "The check fails: ",
                    what,
                    " (the parameters' grads) is not this pass's gradient. Leaves accumulate: "
                    "call model.zero_grad() before C.backward(), and backward once; or C uses "
                    "these parameters elsewhere too (a regularizer), which adds to their grads.",
                )
            )

    # batches -------------------------------------------------------------------------
    def _factor(self) -> str:
        """How C combines the examples: 'mean' (1/m each), 'sum' (1 each) or 'weighted'."""
        fs = [ex.factor for ex in self.g.examples]
        m = len(fs)
        if all(math.isclose(f, 1.0 / m, rel_tol=1e-12) for f in fs):
            return "mean"
        if all(f == 1.0 for f in fs):
            return "sum"
        return "weighted"

    def _weight(self) -> str:
        return self.N.prose("∂{cb}/∂{cx}")

    def _sum(self) -> nt.Tokens:
        """(1/m) Σ_x, Σ_x, or Σ_x (∂C/∂C_x): how the batch adds up its examples, as tokens."""
        n = self.N.n
        sigma = nt.Sym("Σ", "", n.example)
        kind = self._factor()
        if kind == "mean":
            m = len(self.g.examples)
            return nt.tokens_of("(", nt.term("mean", size=m, notation=n), ") ", sigma, " ")
        if kind == "sum":
            return nt.tokens_of(sigma, " ")
        weight = nt.term("cost", None, n.example, notation=n)
        frac = nt.Frac(
            nt.tokens_of("∂", nt.term("cost", batch=True, notation=n)), nt.tokens_of("∂", weight)
        )
        return nt.tokens_of(sigma, " (", frac, ") ")

    def _sum_text(self) -> str:
        return nt.write(self._sum(), "unicode")

    def _batch_formula(self, lhs: Tex, term: Tex) -> Tex:
        x = nt.Sym("", "", self.N.n.example)
        return cat(lhs, " = ", op(self._sum(), "("), term, op(")", x))

    def _sum_items(
        self, terms: list[list[list[float]]], caption: Tex, source: str
    ) -> list[Matrix | Tex]:
        kind = self._factor()
        m = len(self.g.examples)
        x = self.N.n.example
        items: list[Matrix | Tex] = []
        if kind == "mean":
            items.append(op("(", nt.term("mean", size=m, notation=self.N.n), ") ("))
        for i, rows in enumerate(terms):
            if i:
                items.append(PLUS)
            factor = self.g.examples[i].factor
            cap = cat(caption, op(", ", nt.Words(f"{x}={self.N.index(i)}")))
            if kind == "weighted":
                items.append(op(nt.Num(number(factor, 4)), " ·"))
            items.append(Matrix(cap, rows, source))
        if m > len(terms):
            items.append(op("+ ", nt.Words(f"… ({m - len(terms)} more)")))
        if kind == "mean":
            items.append(op(")"))
        return items

    def _batch_note(self, lhs: Tex, term: Tex) -> Text:
        kind = self._factor()
        m = len(self.g.examples)
        w = self._weight()
        how = {
            "mean": f"the mean over the m = {m} examples, since {w} = 1/{m} "
            + self.N.prose("({cb} = ({mean}) {sx} {cx})"),
            "sum": f"the sum over the m = {m} examples, since {w} = 1 "
            + self.N.prose("({cb} = {sx} {cx})"),
            "weighted": f"a weighted sum over the m = {m} examples, with weights {w}",
        }[kind]
        return text(
            "A batch: ",
            term,
            " is a quantity of one example x (from the backward pass of its own "
            + self.N.prose("cost {cx}); "),
            lhs,
            f", the graph's grads, is {how}, with {w} read from the graph "
            "(the example costs' grads).",
        )

    # nodes -------------------------------------------------------------------------
    def _nodes(self, layer: int, kinds: tuple[str, ...], inputs_of_layer: int = 0) -> list[Value]:
        out: list[Value] = []
        g = self.g
        if layer not in g.widths and "a" not in kinds:
            return out
        for ex in g.examples:
            if "z" in kinds:
                out += ex.z[layer]
            if "a" in kinds:
                if inputs_of_layer:
                    out += ex.inputs[inputs_of_layer]
                elif ex.a.get(layer):
                    out += ex.a[layer] or []
        if "w" in kinds:
            for j in range(g.widths[layer]):
                out += g.neuron_weights(layer, j)
        if "b" in kinds:
            out += [g.biases[(layer, j)] for j in range(g.widths[layer])]
        return list(dict.fromkeys(out))


def difference(x: float) -> str:
    """A check's largest difference as the views write it: two digits, its size is what matters."""
    return number(x, 2)


# ----------------------------------------------------------------------------- layout
def _block(m: Matrix, digits: int, columns: int | None) -> list[str]:
    rows = m.cells(digits, columns)
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    h = len(lines)
    out = []
    for i, line in enumerate(lines):
        if h == 1:
            left, right = "[", "]"
        elif i == 0:
            left, right = "⎡", "⎤"
        elif i == h - 1:
            left, right = "⎣", "⎦"
        else:
            left, right = "⎢", "⎥"
        out.append(f"{left} {line} {right}")
    return out


def _side_by_side(pieces: list[tuple[str, list[str]]], indent: str) -> list[str]:
    """Captions on one line, then the blocks side by side, centred on each other."""
    height = max(len(b) for _, b in pieces)
    caption = ""
    body = [""] * height
    for i, (cap, lines) in enumerate(pieces):
        sep = " " if i else ""
        width = max(len(cap), max(len(x) for x in lines))
        top = (height - len(lines)) // 2 if cap else (height - 1) // 2
        caption += sep + cap.ljust(width)
        for r in range(height):
            text = lines[r - top] if 0 <= r - top < len(lines) else ""
            body[r] += sep + text.center(width) if not cap else sep + text.ljust(width)
    return [(indent + caption).rstrip()] + [(indent + line).rstrip() for line in body]


def _piece_width(piece: tuple[str, list[str]]) -> int:
    return max(len(piece[0]), max(len(x) for x in piece[1])) + 1


def picture_text(
    p: Picture, digits: int, columns: int | None, width: int | None = None, indent: str = "    "
) -> list[str]:
    """The picture as text: a caption line, then the matrices side by side, centred.

    A picture wider than width characters continues on more lines, broken before an "=".
    """
    pieces: list[tuple[str, list[str]]] = []
    for item in p.items:
        if isinstance(item, Matrix):
            pieces.append((item.caption[0], _block(item, digits, columns)))
        else:
            pieces.append(("", [item[0]]))
    chunks: list[list[tuple[str, list[str]]]] = [[]]
    for piece in pieces:
        if piece == ("", [EQ[0]]) and chunks[-1]:
            chunks.append([])
        chunks[-1].append(piece)
    rows: list[list[tuple[str, list[str]]]] = [[]]
    for chunk in chunks:
        used = sum(_piece_width(x) for x in rows[-1])
        if rows[-1] and width is not None and used + sum(map(_piece_width, chunk)) > width:
            rows.append([])
        rows[-1].extend(chunk)
    out = [f"  {p.title}:"] if p.title else []
    for i, row in enumerate(rows):
        if i:
            out.append("")
        out += _side_by_side(row, indent)
    return out


def _widest(texts: Sequence[str]) -> str:
    """An invisible box as wide as the widest of these LaTeX texts (each typeset, not guessed)."""
    distinct = list(dict.fromkeys(texts))
    if len(distinct) <= 1:
        return rf"\hphantom{{{distinct[0] if distinct else ''}}}"
    return r"\hphantom{\begin{matrix}" + r" \\ ".join(distinct) + r"\end{matrix}}"


def _latex_matrix(m: Matrix, digits: int, columns: int | None) -> str:
    """The matrix in LaTeX: each column aligned on its decimal points, the caption at full size.

    A cell is its whole part set right in a box as wide as the column's widest whole part, then
    its decimal point and fraction set left in a box as wide as the widest fraction, so every
    cell of a column is as wide as the others and their points stand one above the other.
    """
    split = [[None if v is None else latex_halves(v, digits) for v in r] for r in m.shown(columns)]
    columns_of = [[h for h in col if h is not None] for col in zip(*split, strict=True)]
    left = [_widest([whole for whole, _ in col]) for col in columns_of]
    right = [_widest([rest for _, rest in col]) for col in columns_of]

    def cell(c: int, half: tuple[str, str] | None) -> str:
        if half is None:
            return r"\cdots"
        whole, rest = half
        return rf"{left[c]}\llap{{{whole}}}\rlap{{{rest}}}{right[c]}"

    body = r" \\ ".join(" & ".join(cell(c, h) for c, h in enumerate(r)) for r in split)
    caption = rf"\displaystyle {m.caption[1]}"  # not the script size an \overset sets
    return rf"\overset{{{caption}}}{{\begin{{bmatrix}} {body} \end{{bmatrix}}}}"


def picture_latex(p: Picture, digits: int, columns: int | None) -> str:
    """The picture as one LaTeX formula."""
    return " ".join(
        _latex_matrix(item, digits, columns) if isinstance(item, Matrix) else item[1]
        for item in p.items
    )


# ---------------------------------------------------------------------------- the view
def equation_text(
    eq: Equation, names: Names, digits: int, columns: int | None, width: int | None = None
) -> str:
    """One equation as text (what the stepper's side panel shows for its step)."""
    lines = [f"{eq.key}  {eq.formula[0]}   (layer {names.layer_number(eq.layer)})", ""]
    for p in eq.pictures:
        lines += picture_text(p, digits, columns, width)
        lines.append("")
    for note in eq.notes:
        lines += textwrap.wrap(note, 98, initial_indent="  ", subsequent_indent="    ")
    lines += [f"  check: max |{what}| = {difference(worst)}" for what, worst in eq.checks]
    return "\n".join(lines)


class LayerView(str):
    """The layer view as text (it is a str); in a notebook it renders as LaTeX matrices."""

    header: list[str]
    equations: list[Equation]
    names: Names
    digits: int
    columns: int | None
    width: int | None

    def __new__(
        cls,
        header: list[str],
        equations: list[Equation],
        names: Names,
        digits: int,
        columns: int | None,
        width: int | None = None,
    ) -> LayerView:
        """The view of these equations, written out once as its text."""
        blocks = ["\n".join(header)]
        blocks += [equation_text(eq, names, digits, columns, width) for eq in equations]
        self = super().__new__(cls, "\n\n".join(blocks))
        self.header = header
        self.equations = equations
        self.names = names
        self.digits = digits
        self.columns = columns
        self.width = width
        return self

    def __repr__(self) -> str:
        return str(self)

    def __str__(self) -> str:
        return str.__str__(self)

    def equation(self, key: str, layer: int | None = None) -> str:
        """The text of one equation ('BP4'), at a layer numbered as the notation numbers them."""
        for eq in self.equations:
            if eq.key == key and (layer is None or self.names.layer_number(eq.layer) == str(layer)):
                return equation_text(eq, self.names, self.digits, self.columns, self.width)
        shown = ", ".join(f"{e.key} at {self.names.layer_number(e.layer)}" for e in self.equations)
        raise KeyError(f"no {key} at layer {layer} in this view; it has {shown}")

    def worst_check(self) -> float:
        """The largest difference any check line reports."""
        return max((w for eq in self.equations for _, w in eq.checks), default=0.0)

    def _repr_markdown_(self) -> str:
        out = ["\n\n".join(self.header)]
        for eq in self.equations:
            out.append(
                f"**{eq.key}** (layer {self.names.layer_number(eq.layer)}): ${eq.formula[1]}$"
            )
            for p in eq.pictures:
                title = f"*{p.title}*\n\n" if p.title else ""
                out.append(f"{title}$$ {picture_latex(p, self.digits, self.columns)} $$")
            out += [as_html(n) for n in eq.notes]  # Markdown takes the typeset HTML form
            out += [
                f"check: max \\|{as_html(what)}\\| = {difference(worst)}"
                for what, worst in eq.checks
            ]
        return "\n\n".join(out)

    def _repr_latex_(self) -> str:
        rows = []
        for eq in self.equations:
            rows.append(rf"&\text{{{eq.key}}}\quad {eq.formula[1]}")
            for p in eq.pictures:
                rows.append("&" + picture_latex(p, self.digits, self.columns))
            rows += [
                rf"&\text{{check: largest difference }}{number_latex(w, 2)}" for _, w in eq.checks
            ]
        return "$$\\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}$$"


# which line of a layer's array program computes each equation (autograd.tracing.vector)
_PROGRAM_LINES = {"BP1": ("gradient",), "BP2": ("gradient",), "BP3": ("bias",), "BP4": ("weights",)}


def _program_lines(program: Any, layers: Sequence[Layer], equations: list[Equation]) -> None:
    """Add to each equation the line of the numpy program that computes it over a batch."""
    from autograd.tracing import Trace, TraceError

    if not isinstance(program, Trace):
        raise TypeError(
            "explain(..., program=) takes the trace of the model's step, "
            f"trace(..., backend='numpy'), got {type(program).__name__}"
        )
    traced = {id(p) for p in program.params}
    if not all(id(p) in traced for layer in layers for p in layer.parameters()):
        raise ValueError(
            "explain(..., program=): that trace is of another model's step (these layers' "
            "weights and biases are not among its params); trace this model's step"
        )
    try:
        vector = program.vector_program
    except TraceError as e:
        raise ValueError(f"explain(..., program=): {e}") from None
    for eq in equations:
        found = vector.lines(eq.layer)
        lines = [found[w] for w in _PROGRAM_LINES[eq.key] if w in found]
        if eq.key == "BP2":  # (w^{l+1})ᵀ δ^{l+1}, passed down from the layer above, first
            above = vector.lines(eq.layer + 1).get("inputs")
            lines = ([above] if above else []) + lines
        if not lines and eq.key in ("BP1", "BP2"):
            raise ValueError(
                "explain(..., program=): the program has no lines for this layer; trace the "
                "step with describe=nn.program_notes.backprop_notes(model)"
            )
        for line in lines:
            said = "over a batch, in the numpy program: "
            eq.notes.append(
                Text(said + line, html.escape(said) + f"<code>{html.escape(line)}</code>")
            )


def explain_layers(
    target: Layer | MLP,
    root: Value,
    *,
    notation: str | Notation | None = None,
    cost: str | None = None,
    y: Any = None,
    digits: int = 4,
    columns: int | None = 6,
    width: int | None = 100,
    examples: int = 3,
    program: Any = None,
) -> LayerView:
    """The layer view of a Layer (or every layer of an MLP) after root.backward().

    notation: any of nn.notation's (or a Notation); cost, y: the cost's name (one of
    nn.closed_form.COSTS, or an alias such as half_mse) and the target(s), for the δ^L = a − y
    line of a matching pair (the graph's cost node records that it is a cost, not which one, so
    the name is only known from cost=); digits:
    significant digits; columns: matrices wider than this show their first and last columns
    (None: all); width: pictures wider than this many characters continue on a second line
    (None: never); examples: how many examples of a batch are written out; program: a trace of
    the model's step with backend='numpy' and describe=nn.program_notes.backprop_notes(model),
    called once: each equation then shows the line of that array program that computes it over
    a batch (docs/trace.md sets those lines beside the scalar trace's).
    """
    if not isinstance(root, Value):
        raise TypeError(f"explain(layer, C) needs the cost C as a Value, got {type(root).__name__}")
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise ValueError(f"digits must be an int from 1 to 17, got {digits!r}")
    if columns is not None and (not isinstance(columns, int) or columns < 2):
        raise ValueError(f"columns must be None (show all) or an int ≥ 2, got {columns!r}")
    if width is not None and (not isinstance(width, int) or width < 20):
        raise ValueError(f"width must be None (one line) or an int ≥ 20, got {width!r}")
    if cost is not None:
        try:
            cost = costs.get(cost).name  # half_mse: the old name of quadratic
        except ValueError as e:
            raise ValueError(f"{e}; or leave cost=None") from None
    layers = list(target.layers) if isinstance(target, MLP) else [target]
    g = _Graph(root, layers)
    names = Names(notation)
    targets = None
    if y is not None:
        targets = list(y) if g.batch else [y]
        if len(targets) != len(g.examples):
            raise ValueError(
                f"y has {len(targets)} targets but the cost has {len(g.examples)} examples; "
                "pass one target per example"
            )
        if cost is not None:  # each target as the cost's row takes it (a class, or one per output)
            n_out = g.widths[g.output]
            for i, t in enumerate(targets):
                problem = costs.get(cost).targets.problem(t, n_out)
                if problem is not None:
                    which = f"example {i}'s target" if g.batch else "y"
                    raise ValueError(f"explain(..., cost={cost!r}): {which}: {problem}")
    b = _Builder(g, names, cost, targets, max(1, examples))
    equations: list[Equation] = []
    for layer in sorted(layers, key=lambda la: -la.layer_index):
        lyr = layer.layer_index
        if lyr == g.output:
            equations.append(b.bp1(layer))
        else:
            equations.append(b.bp2(layer))
        equations.append(b.bp3(layer))
        equations.append(b.bp4(layer))
    if program is not None:
        _program_lines(program, layers, equations)
    m = len(g.examples)
    c = names.cost(g.batch)[0]
    header = [
        f"Layer view of {c} in {names.n.title}'s notation"
        + (f", a batch of m = {m} examples" if g.batch else ", one example")
        + (f", cost {cost}" if cost else "")
    ]
    for layer in sorted(layers, key=lambda la: -la.layer_index):
        lyr = layer.layer_index
        role = "output layer" if lyr == g.output else "hidden layer"
        header.append(
            f"  layer {names.layer_number(lyr)}: {role}, {layer.nout} {layer.activation} "
            f"neuron{'s' if layer.nout != 1 else ''} fed by {layer.nin}"
        )
    if g.batch and m > b.shown:
        header.append(f"  ({b.shown} of the {m} examples are written out; checks use all {m})")
    return LayerView(header, equations, names, digits, columns, width)
