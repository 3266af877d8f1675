"""explain(): one gradient derived by the chain rule, in the graph's own labels, with numbers.

The result is an :class:`Explanation`: a str (the text, names typeset with Unicode super- and
subscripts) that a notebook shows as LaTeX. Names are written in a notation (``notation=``,
else nn.notation's active one); δ^l_j stands for ∂C/∂z^l_j where z^l_j carries nn's record.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Any, overload

from autograd import Expr, Step, Value, fresh_grads, symbolic_row
from autograd.symbolic import SymbolicRow, const, simplify, var
from nn.module import MLP, Layer
from nn.notation import Name, Notation

from . import numbers
from .draw import check_value, processing_order, visible
from .layer_view import LayerView, explain_layers
from .names import Typeset, identify, shown_record
from .numbers import factor, number, number_latex

_POWER = (var("x") ** var("y")).precedence()  # how tightly x^y binds
_ATOM = var("x").precedence()  # a name's
_WIDEST_NAMED = 5  # parents an unlabelled node may have and be named by its forward (z = b + w·x)
# Markers in the text being built: a name (its index in Namer.names) and words (not maths).
_NAME = ("\ue000", "\ue001")
_WORDS = ("\ue002", "\ue003")
_MARKED = re.compile("\ue000(\\d+)\ue001|\ue002(.*?)\ue003", re.S)


def _words(text: str) -> str:
    return f"{_WORDS[0]}{text}{_WORDS[1]}"


class Namer:
    """Readable names for the nodes of one graph: labels, else a small expression, else 'node #k'.

    k is the node's step in the backward pass (the same k as the drawing's node id v{k}).
    An unlabelled node whose parents have names of their own is named by its op's forward on
    those names, from the op-table row (tanh(z²₁)). A name is returned as a marker;
    Explanation writes it as Unicode text or as LaTeX, as_html as HTML.
    """

    def __init__(self, order: list[Value], notation: str | Notation | None = None) -> None:
        self.position = {n: k for k, n in enumerate(order)}
        self.text = Typeset(notation, "unicode")
        self.latex = Typeset(notation, "latex")
        self.html = Typeset(notation, "html")
        self.names: list[tuple[str, str, str]] = []  # (Unicode, LaTeX, HTML)
        self._cache: dict[Value, str] = {}
        self._exprs: dict[Value, Expr] = {}
        self._rows: dict[Value, SymbolicRow] = {}

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

    def as_latex(self, marked: str) -> str:
        """marked text as LaTeX maths: names in LaTeX, words in \\text{…}."""
        pieces: list[str] = []
        last = 0
        for m in _MARKED.finditer(marked):
            pieces.append(_latex_math(marked[last : m.start()]))
            pieces.append(self.names[int(m[1])][1] if m[1] else _latex_text(m[2]))
            last = m.end()
        pieces.append(_latex_math(marked[last:]))
        return "".join(pieces)

    def as_html(self, marked: str) -> str:
        """marked text as HTML: names with <sup>/<sub>, everything else escaped."""
        out, last = [], 0
        for m in _MARKED.finditer(marked):
            out.append(html.escape(marked[last : m.start()]))
            out.append(self.names[int(m[1])][2] if m[1] else html.escape(m[2]))
            last = m.end()
        out.append(html.escape(marked[last:]))
        return "".join(out)

    def formula(self, e: Expr) -> str:
        """A marker for an expression whose variables are markers (from expr()), typeset.

        A name with its own super- or subscripts is put in parentheses under an exponent
        ((a²₁)², not a²₁²); a 0/1 mask reads as an Iverson bracket [z > 0].
        """
        e = self._bracketed(simplify(e))
        text, latex = e.unicode(), e.latex()  # a mask comes bracketed: [z > 0]
        # the LaTeX renderer wrote the maths; only the markers inside it need writing out
        latex = _MARKED.sub(
            lambda m: self.names[int(m[1])][1] if m[1] else _latex_text(m[2]), latex
        )
        return self.mark(self.unicode(text), latex, self.as_html(text))

    def _bracketed(self, e: Expr) -> Expr:
        args = tuple(self._bracketed(a) for a in e.args)
        if e.kind == "**" and args[0].kind == "var" and self._scripted(args[0].value):
            text, latex, html_text = self.names[int(_MARKED.fullmatch(args[0].value)[1])]  # type: ignore[index]
            base = var(self.mark(f"({text})", rf"\left({latex}\right)", f"({html_text})"))
            args = (base, *args[1:])
        return Expr(e.kind, args, e.value, e.fn) if e.args else e

    def _scripted(self, marked: str) -> bool:
        """True if the marked name has super- or subscripts of its own (a²₁, w²₁,₀)."""
        m = _MARKED.fullmatch(marked)
        if m is None or m[1] is None:
            return False
        return any(
            "SUPERSCRIPT" in n or "SUBSCRIPT" in n
            for n in map(lambda ch: unicodedata.name(ch, ""), self.names[int(m[1])][0])
        )

    def __call__(self, node: Value) -> str:
        """The name of node inside formulas (an unlabelled leaf is written as its number)."""
        name = self._cache.get(node)
        if name is None:
            e = self.expr(node)
            if e.kind == "var":
                name = e.value
            else:  # a formula standing as a name (∂C/∂(x·y)) is one unit
                name = self.formula(e)
                if e.precedence() < _ATOM:
                    name = self.named(f"({name})").value
            self._cache[node] = name
        return name

    def expr(self, node: Value) -> Expr:
        """node as an expression: a variable named by a marker, a number, or its row's forward."""
        e = self._exprs.get(node)
        if e is None:
            e = self._short(node)
            if e is None:
                e = self._forward(node)
            self._exprs[node] = e
        return e

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

    def named(self, marked: str) -> Expr:
        """A variable of expressions that stands for marked text (names and words)."""
        if _MARKED.fullmatch(marked):
            return var(marked)
        return var(self.mark(self.unicode(marked), self.as_latex(marked), self.as_html(marked)))

    def local_expr(self, child: Value, i: int) -> Expr | None:
        """∂child/∂(parent i): the child's row's rule on the expressions of its parents and itself.

        None when the rule has no symbolic form. The variables are the markers of expr().
        """
        row = self._rows.get(child)
        if row is None:  # once per node: a wide node asks for each of its parents
            row = symbolic_row(child.row, [self.expr(p) for p in child.parents], self.expr(child))
            self._rows[child] = row
        return None if row.derivatives is None else row.derivatives[i]

    def local(self, child: Value, i: int) -> tuple[str, str | None]:
        """∂child/∂(parent i) as a marker, from the child's row evaluated on the graph's names.

        The second item is None, or the reason the row's rule has no symbolic form (the marker
        is then ∂child/∂parent, to stand beside the number).
        """
        e = self.local_expr(child, i)
        if e is None:
            # the reason in the row's own variable names (x, y), not the graph's
            reason = symbolic_row(child.row, len(child.parents)).reason
            return f"∂{self(child)}/∂{self.subject(child.parents[i])}", reason
        return self.formula(e), None

    def _short(self, node: Value) -> Expr | None:
        record = shown_record(node)
        if record is not None:
            return var(self._record(record))
        if node.label:
            shown = visible(node.label)
            return var(self.mark(shown, _latex_text(shown), html.escape(shown)))
        if node.is_leaf:
            return const(numbers.data(node))
        return None

    def _forward(self, node: Value) -> Expr:
        words = var(_words(f"node #{self.position[node]}"))
        if len(node.parents) > _WIDEST_NAMED:
            return words  # a sum of many terms is no name
        if any(not (shown_record(p) or p.label or p.is_leaf) for p in node.parents):
            return words  # one level only: a parent without a name of its own makes it 'node #k'
        e = symbolic_row(node.row, [self.expr(p) for p in node.parents]).forward
        return words if e.kind == "const" else e  # constants only: the number says nothing


_LATEX_TEXT = {ch: "\\" + ch for ch in "#$%&_{}"}
_LATEX_TEXT.update({"\\": r"\textbackslash{}", "~": r"\textasciitilde{}", "^": r"\^{}"})


def _latex_text(text: str) -> str:
    return r"\text{" + "".join(_LATEX_TEXT.get(ch, ch) for ch in text) + "}"


# the maths between names, in LaTeX (formulas from the op table are written by autograd.symbolic)
_LATEX_MATH = [
    ("∂", r"\partial "),
    ("·", r"\cdot "),
    ("−", "-"),
    ("Σ", r"\sum "),
    ("σ", r"\sigma "),
    ("δ", r"\delta "),
    ("θ", r"\theta "),
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


def _number(name: Namer, x: float, digits: int, in_product: bool = False) -> str:
    """A marker for x as viz.numbers writes it in Unicode, LaTeX and HTML (factor: in a product)."""
    text = factor(x, digits) if in_product else number(x, digits)
    latex = number_latex(x, digits)
    latex = rf"\left({latex}\right)" if text.startswith("(") else latex
    return name.mark(text, latex, html.escape(text))


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
    subject = name.subject(node)
    delta = name.delta(node)
    head = f"{delta} = ∂{c}/∂{subject}" if delta else f"∂{c}/∂{subject}"
    lines: list[str] = []
    not_symbolic: dict[str, str] = {}  # op -> why its rule has no symbolic form
    if node is root:
        lines.append(
            f"{head} = 1   " + _words("(the seed: the backward pass starts from the root)")
        )
    elif len(terms) == 1:
        step, i = terms[0]
        child = name(step.node)
        up = name.delta(step.node) or f"∂{c}/∂{child}"
        local = _local_term(name, step.node, i, not_symbolic)
        chain = f"∂{c}/∂{child} · ∂{child}/∂{subject}"
        lines.append(
            f"{head} = {chain} = {up} · {local} = "
            f"{_number(name, numbers.upstream(step), digits, True)} · "
            f"{_number(name, numbers.local(step, i), digits, True)} = "
            f"{_number(name, numbers.upstream(own), digits)}"
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
            local = _local_term(name, step.node, i, not_symbolic)
            lead = "    " if t == 0 else "  + "
            lines.append(
                f"{lead}{up} · {local} = {_number(name, numbers.upstream(step), digits, True)} · "
                f"{_number(name, numbers.local(step, i), digits, True)} = "
                f"{_number(name, numbers.contribution(step, i), digits)}   "
                + _words("(via ")
                + child
                + _words(f", op {step.node.op})")
            )
        lines.append(f"  = {_number(name, numbers.upstream(own), digits)}")
    lines.extend(_sigma_notes(name, root, [s.node for s, _ in terms]))
    for reason in not_symbolic.values():
        lines.append("  " + _words(f"({reason}: its local derivative is shown as a number)"))
    if not root.label:
        lines.append("  " + _words("(") + c + _words(" stands for the root, which has no label)"))
    return Explanation("\n".join(lines), name.names)


def _local_term(name: Namer, child: Value, i: int, not_symbolic: dict[str, str]) -> str:
    """∂child/∂(parent i) from the child's row, in parentheses where it stands in a product."""
    local, reason = name.local(child, i)
    if reason is not None:
        not_symbolic.setdefault(child.op, reason)
        return local
    shape = name.local_expr(child, i)
    assert shape is not None  # name.local gave no reason
    return f"({local})" if _loose(shape) else local


def _loose(e: Expr) -> bool:
    """True if e, standing as the factor after ·, needs parentheses: a sum, a product, a sign.

    A 0/1 mask has its brackets already ([z > 0]); a name or a power needs none.
    """
    return not e.is_comparison() and e.precedence() < _POWER


def _sigma_notes(name: Namer, root: Value, children: list[Value]) -> list[str]:
    """'where σ = tanh, σ'(z) = 1 − σ(z)²' for each activation op among children, from its row."""
    found: dict[str, Value] = {}
    names = identify(processing_order(root)[::-1])
    for child in children:
        record = names.get(child)
        if record is not None and record.quantity == "activation" and len(child.parents) == 1:
            found.setdefault(child.op, child)
    lines = []
    for op in sorted(found):
        sigma, z = name.symbol("sigma"), name.symbol("z")
        sigma_z = name.named(f"{sigma}({z})")
        row = symbolic_row(found[op].row, [var(z)], sigma_z)
        if row.derivatives is None:
            continue  # said by the note on rules without a symbolic form
        derivative = name.formula(row.derivatives[0])
        lines.append(
            "  " + _words("where ") + f"{sigma} = " + _words(op) + f", {sigma}'({z}) = {derivative}"
        )
    return lines


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
