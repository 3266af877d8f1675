"""explain(): one gradient derived by the chain rule, in the graph's own labels, with numbers.

The result is an :class:`Explanation`: a str (the text, names typeset with Unicode super- and
subscripts) that a notebook shows as LaTeX. Names are written in a notation (``notation=``,
else nn.notation's active one); δ^l_j stands for ∂C/∂z^l_j where z^l_j carries nn's record.

The text is built as typed pieces (nn.notation's Op, Words and Num, and a Ref to one of the
graph's names) and written per medium (Unicode, LaTeX, HTML) from them; nothing is read back
out of written text.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, overload

from autograd import Expr, Step, Value, fresh_grads, symbolic_row
from autograd.symbolic import SymbolicRow, const, simplify, var
from nn import notation as nt
from nn.module import MLP, Layer
from nn.notation import Name, Notation, Num, Op, Words

from . import numbers
from .draw import check_value, processing_order, visible
from .layer_view import LayerView, explain_layers
from .names import Typeset, identify, shown_record
from .numbers import factor, number, number_latex

_POWER = (var("x") ** var("y")).precedence()  # how tightly x^y binds
_ATOM = var("x").precedence()  # a name's
_WIDEST_NAMED = 5  # parents an unlabelled node may have and be named by its forward (z = b + w·x)


@dataclass(frozen=True, slots=True)
class Ref:
    """One of the graph's names, by its index in Namer.names."""

    index: int


Piece = Op | Words | Num | Ref
Pieces = tuple[Piece, ...]  # a text being built: written per medium by Namer


@dataclass(frozen=True, slots=True)
class Named:
    """A name as each medium writes it, and whether it carries super- or subscripts."""

    unicode: str
    latex: str
    html: str
    scripted: bool = False


def pieces(*parts: Pieces | Piece | str) -> Pieces:
    """Pieces joined; a str is maths (an operator, brackets, spacing)."""
    out: list[Piece] = []
    for p in parts:
        if isinstance(p, str):
            if p:
                out.append(Op(p))
        elif isinstance(p, tuple):
            out.extend(p)
        else:
            out.append(p)
    return tuple(out)


def _latex_piece(p: Op | Words | Num) -> str:
    if not isinstance(p, Op):
        return nt.write(p, "latex")
    out: list[str] = []
    spaces = 0
    for ch in p.text + "\0":  # one operator at a time; \0 ends the last run of spaces
        if ch == " ":
            spaces += 1
            continue
        if spaces:
            # a run of spaces (an indent, the gap before a remark) as quads: TeX drops spaces
            out.append(r"\quad " * (spaces // 2) if spaces > 1 else " ")
            spaces = 0
        if ch in "()[]":
            out.append(ch)  # explain's brackets may stand in different pieces: no \left
        elif ch == "·":
            out.append(r"\cdot ")
        elif ch != "\0":
            out.append(nt.write(Op(ch), "latex"))
    return "".join(out)


def write_pieces(parts: Pieces, names: list[Named], style: str) -> str:
    """Pieces as 'unicode', 'latex' or 'html' text, each name as that medium writes it."""
    out = []
    for p in parts:
        if isinstance(p, Ref):
            n = names[p.index]
            out.append(n.unicode if style == "unicode" else n.latex if style == "latex" else n.html)
        elif style == "latex":
            out.append(_latex_piece(p))
        else:
            out.append(nt.write(p, style))
    return "".join(out)


class Namer:
    """Readable names for the nodes of one graph: labels, else a small expression, else 'node #k'.

    k is the node's step in the backward pass (the same k as the drawing's node id v{k}).
    An unlabelled node whose parents have names of their own is named by its op's forward on
    those names, from the op-table row (tanh(z²₁)). A name is returned as pieces (a Ref);
    unicode(), latex() and as_html() write pieces in each medium.
    """

    def __init__(
        self,
        order: list[Value],
        notation: str | Notation | None = None,
        titles: dict[Value, nt.Tokens] | None = None,
    ) -> None:
        self.position = {n: k for k, n in enumerate(order)}
        # a drawing's titles (viz.draw.node_titles) for the nodes that would be 'node #k': the
        # stepper names every node in its panel as its drawing does
        self.titles = titles or {}
        self.notation = nt.get(notation)
        self.text = Typeset(notation, "unicode")
        self.names: list[Named] = []
        # each name's variable key in expressions -> its text, per medium
        self._by_style: dict[str, dict[str, str]] = {"unicode": {}, "latex": {}}
        self._cache: dict[Value, Pieces] = {}
        self._exprs: dict[Value, Expr] = {}
        self._rows: dict[Value, SymbolicRow] = {}

    def add(self, named: Named) -> Pieces:
        """A new name: its pieces (one Ref)."""
        self.names.append(named)
        i = len(self.names) - 1
        self._by_style["unicode"][f"n{i}"] = named.unicode
        self._by_style["latex"][f"n{i}"] = named.latex
        return (Ref(i),)

    def _tokens(self, tokens: nt.Tokens) -> Pieces:
        scripted = any(isinstance(t, nt.Sym) and (t.sup or t.sub) for t in tokens)
        return self.add(
            Named(
                self.text.tokens(tokens),
                nt.write(tokens, "latex"),
                nt.write(tokens, "html"),
                scripted,
            )
        )

    def _record(self, record: Name, delta: bool = False) -> Pieces:
        if delta:
            tokens = nt.term("delta", record.layer, record.j, notation=self.notation)
        else:
            tokens = (nt.Sym(*nt.parts(record, self.notation)),)
        return self._tokens(tokens)

    def unicode(self, parts: Pieces) -> str:
        """Pieces as Unicode text."""
        return write_pieces(parts, self.names, "unicode")

    def latex(self, parts: Pieces) -> str:
        """Pieces as LaTeX maths: names in LaTeX, words in \\text{…}."""
        return write_pieces(parts, self.names, "latex")

    def as_html(self, parts: Pieces) -> str:
        """Pieces as HTML: names with <sup>/<sub>, everything else escaped."""
        return write_pieces(parts, self.names, "html")

    def _key(self, parts: Pieces) -> str:
        """The expression variable that stands for a one-name pieces."""
        (ref,) = parts
        assert isinstance(ref, Ref)
        return f"n{ref.index}"

    def formula(self, e: Expr) -> Pieces:
        """A name for an expression whose variables are names (from expr()), typeset.

        A name with its own super- or subscripts is put in parentheses under an exponent
        ((a²₁)², not a²₁²); a 0/1 mask reads as an Iverson bracket [z > 0].
        """
        e = self._bracketed(simplify(e))
        text = e.unicode(self._by_style["unicode"])  # a mask comes bracketed: [z > 0]
        latex = e.latex(self._by_style["latex"])
        # HTML: the Unicode formula escaped (its names keep their Unicode scripts)
        return self.add(Named(text, latex, html.escape(text, quote=False)))

    def _bracketed(self, e: Expr) -> Expr:
        args = tuple(self._bracketed(a) for a in e.args)
        if e.kind == "**" and args[0].kind == "var" and self._scripted(args[0].value):
            n = self.names[int(args[0].value[1:])]
            (ref,) = self.add(Named(f"({n.unicode})", rf"\left({n.latex}\right)", f"({n.html})"))
            assert isinstance(ref, Ref)
            args = (var(f"n{ref.index}"), *args[1:])
        return Expr(e.kind, args, e.value, e.fn) if e.args else e

    def _scripted(self, key: str) -> bool:
        """True if the name behind an expression variable has super- or subscripts (a²₁)."""
        return key.startswith("n") and key[1:].isdigit() and self.names[int(key[1:])].scripted

    def __call__(self, node: Value) -> Pieces:
        """The name of node inside formulas (an unlabelled leaf is written as its number)."""
        name = self._cache.get(node)
        if name is None:
            e = self.expr(node)
            if e.kind == "var":
                name = (Ref(int(e.value[1:])),)
            else:  # a formula standing as a name (∂C/∂(x·y)) is one unit
                name = self.formula(e)
                if e.precedence() < _ATOM:
                    name = self.named("(", name, ")")
            self._cache[node] = name
        return name

    def expr(self, node: Value) -> Expr:
        """node as an expression: a variable for a name, a number, or its row's forward."""
        e = self._exprs.get(node)
        if e is None:
            e = self._short(node)
            if e is None:
                e = self._forward(node)
            self._exprs[node] = e
        return e

    def subject(self, node: Value) -> Pieces:
        """The name of node as the subject of a sentence (an unlabelled leaf is 'node #k')."""
        if not node.label and node.is_leaf:
            title = self.titles.get(node)
            if title is not None:
                return self._tokens(title)
            return (Words(f"node #{self.position[node]}"),)
        return self(node)

    def delta(self, node: Value) -> Pieces | None:
        """δ^l_j for a pre-activation that carries nn's record, else None."""
        record = shown_record(node)
        if record is None or record.quantity != "preactivation":
            return None
        return self._record(record, delta=True)

    def symbol(self, which: str) -> Pieces:
        """A name for one of the notation's symbols (nn.notation.term: 'cost', 'sigma', …)."""
        return self._tokens(nt.term(which, notation=self.notation))

    def named(self, *parts: Pieces | Piece | str) -> Pieces:
        """One name standing for pieces (names, words and maths) as a unit."""
        joined = pieces(*parts)
        return self.add(
            Named(
                self.unicode(joined),
                self.latex(joined),
                self.as_html(joined),
            )
        )

    def variable(self, parts: Pieces) -> Expr:
        """The expression variable for a one-name pieces."""
        return var(self._key(parts))

    def local_expr(self, child: Value, i: int) -> Expr | None:
        """∂child/∂(parent i): the child's row's rule on the expressions of its parents and itself.

        None when the rule has no symbolic form. The variables are the names of expr().
        """
        row = self._rows.get(child)
        if row is None:  # once per node: a wide node asks for each of its parents
            row = symbolic_row(child.row, [self.expr(p) for p in child.parents], self.expr(child))
            self._rows[child] = row
        return None if row.derivatives is None else row.derivatives[i]

    def local(self, child: Value, i: int) -> tuple[Pieces, str | None]:
        """∂child/∂(parent i) as pieces, from the child's row evaluated on the graph's names.

        The second item is None, or the reason the row's rule has no symbolic form (the pieces
        are then ∂child/∂parent, to stand beside the number).
        """
        e = self.local_expr(child, i)
        if e is None:
            # the reason in the row's own variable names (x, y), not the graph's
            reason = symbolic_row(child.row, len(child.parents)).reason
            return pieces("∂", self(child), "/∂", self.subject(child.parents[i])), reason
        return self.formula(e), None

    def _short(self, node: Value) -> Expr | None:
        record = shown_record(node)
        if record is not None:
            return self.variable(self._record(record))
        if node.label:
            shown = visible(node.label)
            return self.variable(self.add(Named(shown, nt.latex_words(shown), html.escape(shown))))
        if node.is_leaf:
            return const(numbers.data(node))
        return None

    def _forward(self, node: Value) -> Expr:
        title = self.titles.get(node)
        if title is not None:
            words = self.variable(self._tokens(title))
        else:
            words = self.variable(self.named(Words(f"node #{self.position[node]}")))
        if len(node.parents) > _WIDEST_NAMED:
            return words  # a sum of many terms is no name
        if any(not (shown_record(p) or p.label or p.is_leaf) for p in node.parents):
            return words  # one level only: a parent without a name of its own makes it 'node #k'
        e = symbolic_row(node.row, [self.expr(p) for p in node.parents]).forward
        return words if e.kind == "const" else e  # constants only: the number says nothing


class Explanation(str):
    """explain()'s result: the text (str), shown in a notebook as LaTeX ($…$ per line)."""

    _lines: list[Pieces]
    _names: list[Named]

    def __new__(cls, lines: list[Pieces], names: list[Named]) -> Explanation:
        """The text of the lines, each name written in Unicode."""
        text = "\n".join(write_pieces(line, names, "unicode") for line in lines)
        self = super().__new__(cls, text)
        self._lines = lines
        self._names = names
        return self

    def latex_lines(self) -> list[str]:
        """Each line of the explanation as LaTeX maths (words in \\text{…})."""
        return [write_pieces(line, self._names, "latex").strip() for line in self._lines]

    def html_lines(self) -> list[str]:
        """Each line of the explanation as HTML: names with <sub>/<sup>, the rest escaped."""
        return [write_pieces(line, self._names, "html") for line in self._lines]

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        # IPython's text/plain (a terminal): the derivation itself, not a quoted str
        p.text(str(self))

    def _repr_latex_(self) -> str:
        return "$\\begin{array}{l}" + " \\\\ ".join(self.latex_lines()) + "\\end{array}$"

    def _repr_markdown_(self) -> str:
        return "  \n".join(f"${line}$" for line in self.latex_lines())


def _num(x: float, digits: int, in_product: bool = False) -> Num:
    """x as viz.numbers writes it, in Unicode and in LaTeX (in_product: bracketed if negative)."""
    text = factor(x, digits) if in_product else number(x, digits)
    latex = number_latex(x, digits)
    return Num(text, rf"\left({latex}\right)" if text.startswith("(") else latex)


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
        raise ValueError(
            f"{what} is not in the graph of {name.unicode(name(root))}: it does not feed root; "
            "pass the output it feeds (e.g. the loss) as root"
        )
    own, terms = _records(root, node)
    c = name(root) if root.label else name.symbol("cost")
    subject = name.subject(node)
    delta = name.delta(node)
    head = pieces(delta, " = ∂", c, "/∂", subject) if delta else pieces("∂", c, "/∂", subject)
    lines: list[Pieces] = []
    not_symbolic: dict[str, str] = {}  # op -> why its rule has no symbolic form
    if node is root:
        lines.append(
            pieces(head, " = 1   ", Words("(the seed: the backward pass starts from the root)"))
        )
    elif len(terms) == 1:
        step, i = terms[0]
        child = name(step.node)
        up = name.delta(step.node) or pieces("∂", c, "/∂", child)
        local = _local_term(name, step.node, i, not_symbolic)
        chain = pieces("∂", c, "/∂", child, " · ∂", child, "/∂", subject)
        lines.append(
            pieces(
                head,
                " = ",
                chain,
                " = ",
                up,
                " · ",
                local,
                " = ",
                _num(numbers.upstream(step), digits, True),
                " · ",
                _num(numbers.local(step, i), digits, True),
                " = ",
                _num(numbers.upstream(own), digits),
            )
        )
    else:
        child_word = Words("child")
        lines.append(
            pieces(
                head,
                " = Σ",
                Words(f" over the {len(terms)} uses of "),
                subject,
                Words(", each "),
                "∂",
                c,
                "/∂",
                child_word,
                " · ∂",
                child_word,
                "/∂",
                subject,
                ":",
            )
        )
        for t, (step, i) in enumerate(terms):
            child = name(step.node)
            up = name.delta(step.node) or pieces("∂", c, "/∂", child)
            local = _local_term(name, step.node, i, not_symbolic)
            lines.append(
                pieces(
                    "    " if t == 0 else "  + ",
                    up,
                    " · ",
                    local,
                    " = ",
                    _num(numbers.upstream(step), digits, True),
                    " · ",
                    _num(numbers.local(step, i), digits, True),
                    " = ",
                    _num(numbers.contribution(step, i), digits),
                    "   ",
                    Words("(via "),
                    child,
                    Words(f", op {step.node.op})"),
                )
            )
        lines.append(pieces("  = ", _num(numbers.upstream(own), digits)))
    lines.extend(_sigma_notes(name, root, [s.node for s, _ in terms]))
    for reason in not_symbolic.values():
        lines.append(pieces("  ", Words(f"({reason}: its local derivative is shown as a number)")))
    if not root.label:
        lines.append(
            pieces("  ", Words("("), c, Words(" stands for the root, which has no label)"))
        )
    return Explanation(lines, name.names)


def _local_term(name: Namer, child: Value, i: int, not_symbolic: dict[str, str]) -> Pieces:
    """∂child/∂(parent i) from the child's row, in parentheses where it stands in a product."""
    local, reason = name.local(child, i)
    if reason is not None:
        not_symbolic.setdefault(child.op, reason)
        return local
    shape = name.local_expr(child, i)
    assert shape is not None  # name.local gave no reason
    return pieces("(", local, ")") if _loose(shape) else local


def _loose(e: Expr) -> bool:
    """True if e, standing as the factor after ·, needs parentheses: a sum, a product, a sign.

    A 0/1 mask has its brackets already ([z > 0]); a name or a power needs none.
    """
    return not e.is_comparison() and e.precedence() < _POWER


def _sigma_notes(name: Namer, root: Value, children: list[Value]) -> list[Pieces]:
    """'where σ = tanh, σ'(z) = 1 − σ(z)²' for each activation op among children, from its row."""
    found: dict[str, Value] = {}
    names = identify(processing_order(root)[::-1])
    for child in children:
        record = names.get(child)
        if record is not None and record.quantity == "activation" and len(child.parents) == 1:
            found.setdefault(child.op, child)
    lines = []
    for op in sorted(found):
        sigma, z = name.symbol("sigma"), name.symbol("preactivation")
        sigma_z = name.named(sigma, "(", z, ")")
        row = symbolic_row(found[op].row, [name.variable(z)], name.variable(sigma_z))
        if row.derivatives is None:
            continue  # said by the note on rules without a symbolic form
        derivative = name.formula(row.derivatives[0])
        lines.append(
            pieces("  ", Words("where "), sigma, " = ", Words(op), ", ", sigma, "'(", z, ") = ")
            + derivative
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
