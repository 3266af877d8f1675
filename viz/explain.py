"""explain(): one gradient derived by the chain rule, in the graph's own labels, with numbers.

The result is an :class:`Explanation`: a str (the text, names typeset with Unicode super- and
subscripts) that a notebook shows as LaTeX. Names are written in a notation (``notation=``,
else nn.notation's active one); δ^l_j stands for ∂C/∂z^l_j where z^l_j carries nn's record.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, overload

from autograd import Step, Value, fresh_grads
from nn.module import MLP, Layer
from nn.notation import Name, Notation

from .draw import check_value, processing_order, visible
from .names import Typeset, shown_record

if TYPE_CHECKING:
    from .layer_view import LayerView

# How an unlabelled node made by an op is written in terms of its parents' names.
_BINARY = {"+": "({} + {})", "-": "({} − {})", "*": "({}·{})", "/": "({} / {})", "**": "({}**{})"}
_FUNCTIONS = ("exp", "log", "tanh", "sigmoid", "relu")

# σ'(z) for the activation ops, said once under the derivation (σ: the notation's symbol)
_ACTIVATIONS = {
    "tanh": "{s} = tanh, {s}'({z}) = 1 − tanh²({z})",
    "sigmoid": "{s} = sigmoid, {s}'({z}) = {s}({z})·(1 − {s}({z}))",
    "relu": "{s} = relu, {s}'({z}) = 1 if {z} > 0 else 0",
}

# Markers in the text being built: a name (its index in Namer.names) and words (not maths).
_NAME = ("\ue000", "\ue001")
_WORDS = ("\ue002", "\ue003")
_MARKED = re.compile("\ue000(\\d+)\ue001|\ue002(.*?)\ue003", re.S)


def _words(text: str) -> str:
    return f"{_WORDS[0]}{text}{_WORDS[1]}"


class Namer:
    """Readable names for the nodes of one graph: labels, else a small expression, else 'node #k'.

    k is the node's step in the backward pass (the same k as the drawing's node id v{k}).
    A name is returned as a marker; Explanation writes it as Unicode text or as LaTeX.
    """

    def __init__(self, order: list[Value], notation: str | Notation | None = None) -> None:
        self.position = {n: k for k, n in enumerate(order)}
        self.text = Typeset(notation, "unicode")
        self.latex = Typeset(notation, "latex")
        self.html = Typeset(notation, "html")
        self.names: list[tuple[str, str, str]] = []  # (Unicode, LaTeX, HTML)
        self._cache: dict[Value, str] = {}

    def mark(self, text: str, latex: str, html_text: str) -> str:
        """A marker for a name written text in Unicode, latex in LaTeX and html_text in HTML."""
        self.names.append((text, latex, html_text))
        return f"{_NAME[0]}{len(self.names) - 1}{_NAME[1]}"

    def _record(self, record: Name, delta: bool = False) -> str:
        if delta:
            return self.mark(
                self.text.delta(record), self.latex.delta(record), self.html.delta(record)
            )
        return self.mark(self.text.name(record), self.latex.name(record), self.html.name(record))

    def unicode(self, marked: str) -> str:
        """marked text with its names in Unicode."""
        return _MARKED.sub(lambda m: self.names[int(m[1])][0] if m[1] else m[2], marked)

    def as_html(self, marked: str) -> str:
        """marked text as HTML: names with <sup>/<sub>, everything else escaped."""
        out, last = [], 0
        for m in _MARKED.finditer(marked):
            out.append(html.escape(marked[last : m.start()]))
            out.append(self.names[int(m[1])][2] if m[1] else html.escape(m[2]))
            last = m.end()
        out.append(html.escape(marked[last:]))
        return "".join(out)

    def __call__(self, node: Value) -> str:
        """The name of node inside formulas (an unlabelled leaf is written as its number)."""
        name = self._cache.get(node)
        if name is None:
            name = self._name(node)
            self._cache[node] = name
        return name

    def subject(self, node: Value) -> str:
        """The name of node as the subject of a sentence (an unlabelled leaf is 'node #k')."""
        if not node.label and node.is_leaf:
            return _words(f"node #{self.position[node]}")
        return self(node)

    def delta(self, node: Value) -> str | None:
        """δ^l_j for a pre-activation that carries nn's record, else None."""
        record = shown_record(node)
        if record is None or record.quantity != "preactivation":
            return None
        return self._record(record, delta=True)

    def symbol(self, which: str) -> str:
        """A marker for one of the notation's bare symbols ('cost', 'sigma', ...)."""
        return self.mark(self.text.symbol(which), self.latex.symbol(which), self.html.symbol(which))

    def _short(self, node: Value) -> str | None:
        record = shown_record(node)
        if record is not None:
            return self._record(record)
        if node.label:
            shown = visible(node.label)
            return self.mark(shown, _latex_text(shown), html.escape(shown))
        if node.is_leaf:
            return f"{node.data:g}"
        return None

    def _name(self, node: Value) -> str:
        own = self._short(node)
        if own is not None:
            return own
        parts = [self._short(p) for p in node.parents]
        op = node.op
        if all(p is not None for p in parts):
            names = [p for p in parts if p is not None]
            if len(names) == 2 and op in _BINARY:
                return _BINARY[op].format(*names)
            if len(names) == 1:
                if op == "neg":
                    return f"(−{names[0]})"
                if op in _FUNCTIONS:
                    return f"{op}({names[0]})"
                if op.startswith("**"):  # x ** c, the exponent is part of the op
                    return f"({names[0]}{op})"
                if op.endswith("**"):  # c ** x
                    return f"({op}{names[0]})"
        return _words(f"node #{self.position[node]}")


_LATEX_TEXT = {ch: "\\" + ch for ch in "#$%&_{}"}
_LATEX_TEXT.update({"\\": r"\textbackslash{}", "~": r"\textasciitilde{}", "^": r"\^{}"})


def _latex_text(text: str) -> str:
    return r"\text{" + "".join(_LATEX_TEXT.get(ch, ch) for ch in text) + "}"


# the maths between names, in LaTeX
_LATEX_MATH = [
    ("**", "^"),
    ("∂", r"\partial "),
    ("·", r"\cdot "),
    ("−", "-"),
    ("Σ", r"\sum "),
    ("σ", r"\sigma "),
    ("δ", r"\delta "),
    ("θ", r"\theta "),
    ("²", "^2"),
    ("tanh", r"\tanh "),
    ("exp", r"\exp "),
    ("log", r"\log "),
    ("ln ", r"\ln "),
    ("sigmoid", r"\operatorname{sigmoid}"),
    ("relu", r"\operatorname{relu}"),
]


def _latex_math(text: str) -> str:
    for a, b in _LATEX_MATH:
        text = text.replace(a, b)
    return text


class Explanation(str):
    """explain()'s result: the text (str), shown in a notebook as LaTeX ($…$ per line)."""

    _marked: str
    _names: list[tuple[str, str, str]]

    def __new__(cls, marked: str, names: list[tuple[str, str, str]]) -> Explanation:
        """The text of marked with each name marker written as its Unicode name."""
        text = _MARKED.sub(lambda m: names[int(m[1])][0] if m[1] else m[2], marked)
        self = super().__new__(cls, text)
        self._marked = marked
        self._names = names
        return self

    def latex_lines(self) -> list[str]:
        """Each line of the explanation as LaTeX maths (words in \\text{…})."""

        def maths(text: str) -> str:
            # a run of spaces (an indent, the gap before a remark) as quads: TeX drops spaces
            parts = re.split("( {2,})", text)
            return "".join(
                r"\quad " * (len(p) // 2) if i % 2 else _latex_math(p) for i, p in enumerate(parts)
            )

        out = []
        for line in self._marked.split("\n"):
            pieces: list[str] = []
            last = 0
            for m in _MARKED.finditer(line):
                pieces.append(maths(line[last : m.start()]))
                if m[1]:
                    pieces.append(self._names[int(m[1])][1])
                else:
                    pieces.append(_latex_text(m[2]))
                last = m.end()
            pieces.append(maths(line[last:]))
            out.append("".join(pieces).strip())
        return out

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        # IPython's text/plain (a terminal): the derivation itself, not a quoted str
        p.text(str(self))

    def _repr_latex_(self) -> str:
        return "$\\begin{array}{l}" + " \\\\ ".join(self.latex_lines()) + "\\end{array}$"

    def _repr_markdown_(self) -> str:
        return "  \n".join(f"${line}$" for line in self.latex_lines())


def number(x: float, digits: int) -> str:
    """x with `digits` significant digits and a real minus sign."""
    return f"{x:.{digits}g}".replace("-", "−")


def factor(x: float, digits: int) -> str:
    """number(x), in parentheses when negative (it stands in a product)."""
    text = number(x, digits)
    return f"({text})" if text.startswith("−") else text


def _local_symbol(
    child: Value, i: int, name: Callable[[Value], str], node_name: str, sigma: str
) -> str:
    """∂child/∂(parent i) written with the graph's names, from the op's derivative rule."""
    op, ps = child.op, child.parents
    if op == "linear":  # z = Σ_k w_k x_k + b: ∂z/∂w_k = x_k, ∂z/∂x_k = w_k, ∂z/∂b = 1
        n = (len(ps) - 1) // 2
        if i < n:
            return name(ps[n + i])
        if i < 2 * n:
            return name(ps[i - n])
        return "1"
    if op == "+":
        return "1"
    if op == "-":
        return "1" if i == 0 else "−1"
    if op == "*":  # ∂(xy)/∂x = y
        return name(ps[1 - i])
    if op == "/":  # ∂(x/y)/∂x = 1/y, ∂(x/y)/∂y = −(x/y)/y
        return f"1/{name(ps[1])}" if i == 0 else f"−{name(child)}/{name(ps[1])}"
    if op == "neg":
        return "−1"
    if op == "exp":  # d e^x/dx = e^x
        return f"exp({name(ps[0])})"
    if op == "log":
        return f"1/{name(ps[0])}"
    if op in _ACTIVATIONS:
        return f"{sigma}'({name(ps[0])})"
    if op == "**":  # ∂x^y/∂x = y x^(y−1), ∂x^y/∂y = x^y ln x
        x, y = name(ps[0]), name(ps[1])
        return f"{y}·{x}**({y} − 1)" if i == 0 else f"{x}**{y}·ln {x}"
    if op.startswith("**"):  # d x^c/dx = c x^(c−1)
        c = float(op[2:])
        return f"{c:g}·{name(ps[0])}" if c == 2.0 else f"{c:g}·{name(ps[0])}**{c - 1.0:g}"
    if op.endswith("**"):  # d c^x/dx = c^x ln c
        return f"{op}{name(ps[0])}·ln {op[:-2]}"
    return f"∂{name(child)}/∂{node_name}"


@overload
def explain(
    node: Value, root: Value, digits: int = 4, *, notation: str | Notation | None = None
) -> Explanation: ...


@overload
def explain(
    node: Layer | MLP,
    root: Value,
    digits: int = 4,
    *,
    notation: str | Notation | None = None,
    **layer_view: Any,
) -> LayerView: ...


def explain(
    node: Value | Layer | MLP,
    root: Value,
    digits: int = 4,
    *,
    notation: str | Notation | None = None,
    **layer_view: Any,
) -> Explanation | LayerView:
    """∂root/∂node derived by the chain rule, term by term, from root.backward_steps() records.

    Every node's .grad is left exactly as it was. The number is the gradient of one backward
    pass started from zero grads (what node.grad holds after a single root.backward()). Hooks
    registered on nodes run, as in any backward pass. Names are written in `notation`; the
    result is a str, shown as LaTeX in a notebook.

    For a Layer or an MLP, the layer view instead (viz.layer_view.explain_layers: BP1–BP4 as
    vectors and matrices with the graph's numbers; options cost, y, columns, width, examples).
    """
    if isinstance(node, Layer | MLP):
        from .layer_view import explain_layers

        return explain_layers(node, root, digits=digits, notation=notation, **layer_view)
    if layer_view:
        raise TypeError(f"explain() of a node takes no options {', '.join(layer_view)}")
    node = check_value(node, "explain()")
    root = check_value(root, "explain(root=...)")
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise ValueError(f"digits must be an int from 1 to 17, got {digits!r}")
    order = processing_order(root)
    name = Namer(order, notation)
    if node not in name.position:
        what = f"node '{visible(node.label)}'" if node.label else "the node"
        root_text = Explanation(name(root), name.names)
        raise ValueError(
            f"{what} is not in the graph of "
            f"{root_text}: it does not feed root; pass the output it feeds (e.g. the loss) as root"
        )
    own, terms = _records(root, node)
    c = name(root) if root.label else name.symbol("cost")
    sigma = name.symbol("sigma")
    subject = name.subject(node)
    delta = name.delta(node)
    head = f"{delta} = ∂{c}/∂{subject}" if delta else f"∂{c}/∂{subject}"
    lines: list[str] = []
    if node is root:
        lines.append(
            f"{head} = 1   " + _words("(the seed: the backward pass starts from the root)")
        )
    elif len(terms) == 1:
        step, i = terms[0]
        child = name(step.node)
        up = name.delta(step.node) or f"∂{c}/∂{child}"
        local = _local_symbol(step.node, i, name, subject, sigma)
        chain = f"∂{c}/∂{child} · ∂{child}/∂{subject}"
        lines.append(
            f"{head} = {chain} = {up} · {local} = {factor(float(step.upstream), digits)} · "
            f"{factor(float(step.local[i]), digits)} = {number(float(own.upstream), digits)}"
        )
    else:
        lines.append(
            f"{head} = Σ"
            + _words(f" over the {len(terms)} uses of ")
            + subject
            + _words(", each ")
            + f"∂{c}/∂"
            + _words("child")
            + " · ∂"
            + _words("child")
            + f"/∂{subject}:"
        )
        for t, (step, i) in enumerate(terms):
            child = name(step.node)
            up = name.delta(step.node) or f"∂{c}/∂{child}"
            local = _local_symbol(step.node, i, name, subject, sigma)
            lead = "    " if t == 0 else "  + "
            lines.append(
                f"{lead}{up} · {local} = {factor(float(step.upstream), digits)} · "
                f"{factor(float(step.local[i]), digits)} = "
                f"{number(float(step.contributions[i]), digits)}   "
                + _words("(via ")
                + child
                + _words(f", op {step.node.op})")
            )
        lines.append(f"  = {number(float(own.upstream), digits)}")
    notes = sorted({s.node.op for s, _ in terms if s.node.op in _ACTIVATIONS})
    z = name.symbol("z")
    lines.extend("  " + _words("where ") + _ACTIVATIONS[op].format(s=sigma, z=z) for op in notes)
    if not root.label:
        lines.append("  " + _words("(") + c + _words(" stands for the root, which has no label)"))
    return Explanation("\n".join(lines), name.names)


def _records(root: Value, node: Value) -> tuple[Step, list[tuple[Step, int]]]:
    """node's own Step and (Step, parent position) for each use of node, from one fresh pass."""
    own: Step | None = None
    terms: list[tuple[Step, int]] = []
    # leaves accumulate: start from zero so the pass is a single one; the user's grads come back
    with fresh_grads(root):
        for step in root.backward_steps(hooks=False):
            if step.node is node:
                own = step
            for i, p in enumerate(step.node.parents):
                if p is node:  # this step added upstream · local_i to node.grad
                    terms.append((step, i))
    assert own is not None, "every node of the graph gets a step"
    return own, terms
