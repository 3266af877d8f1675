"""Check a learner's own backprop against the graph: the first wrong number, and which mistake fits.

``check_backprop(fn, sizes, activation, output_activation, cost)`` builds random networks of the
given sizes, runs the learner's ``fn`` and deltagrad's graph (``loss.backward()``, δ read at the
z nodes) on each, and returns a ``BackpropReport``.

What ``fn`` receives and returns, in Nielsen's indexing (as in ``nn.closed_form``): the input is
layer 1, the output layer L, and the lists start at layer 2, the first layer with weights:

    weights[i][j][k] = w^{i+2}_jk   the weight from neuron k of layer i+1 to neuron j of layer i+2
    biases[i][j]     = b^{i+2}_j
    deltas[i][j]     = δ^{i+2}_j = ∂C/∂z^{i+2}_j
    grad_w[i][j][k]  = ∂C/∂w^{i+2}_jk   (a matrix shaped like weights[i]: rows j, columns k)
    grad_b[i][j]     = ∂C/∂b^{i+2}_j

One example (``batch=None``, the default): ``fn(weights, biases, x, y)`` gets one input x (a list
of floats, one per input neuron) and its target y (a list of floats, one per output neuron, or
the int class index c for ``cross_entropy``), and returns ``(deltas, grad_w, grad_b)`` for the
cost C of that example.

A batch (``batch=m``): x is a list of m inputs and y a list of m targets (rows are examples),
``deltas[i]`` has one row per example (``deltas[i][x][j]`` = δ^{x,i+2}_j, each example's own
δ = ∂C_x/∂z^{x,l}), and ``grad_w``, ``grad_b`` are the gradients of the batch cost
C = (1/m) Σ_x C_x, the mean. Only a batch can show a missing 1/m, so use one for that.

Returned values may be plain lists (or tuples) of floats or numpy arrays; a vector may also be a
column (n × 1, as in Nielsen's network.py). numpy is never imported here. Each of the three
may also be indexed by layer number, as the notation numbers layers: a dict ({2: δ^2, 3: δ^3} in
Nielsen's numbering, {1: …, 2: …} in Ng's) or a list with None for the layers without weights
([None, None, δ^2, δ^3]).

``notation=`` (a key of ``nn.notation.NOTATIONS``, a ``Notation``, or None for the active one)
only changes how the report names things: symbols, layer numbers and the first index, as that
course writes them. The lists keep the layout above, and the report says where each number sits
in them (``deltas[1][0]``).
"""

from __future__ import annotations

import html
import itertools
import math
import numbers
import os
import random
import re
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, NamedTuple

from autograd import Expr, Value
from autograd.numbers import factor, number

from . import closed_form, costs, formula_search, losses
from . import notation as notations
from .activations import ACTIVATIONS, activate, check_activation, sigma_prime_text, softmax
from .activations import TABLE as ACTIVATION_TABLE
from .compare import example_loss
from .module import MLP
from .notation import Notation

__all__ = [
    "MAX_WEIGHTS",
    "MISTAKES",
    "REDUCTIONS",
    "BackpropReport",
    "Diagnosis",
    "Mismatch",
    "Opaque",
    "Outcome",
    "Plan",
    "Row",
    "call_learner",
    "check_backprop",
    "check_settings",
    "learner_frame",
    "mistake_title",
    "plan_check",
    "raised_sentence",
    "where_text",
]

# The mistakes the checker knows, by the key a Diagnosis carries, with a short title; the
# symbols in braces are written by the notation (mistake_title).
_TITLES: dict[str, str] = {
    "sigma_for_sigma_prime": "{s}({z}) used where {s}'({z}) belongs",
    "missing_sigma_prime": "{s}'({z}) left out",
    "extra_sigma_prime": "{s}'({z}) applied where the output/cost pair cancels it",
    "not_transposed": "{w_up} not transposed in BP2",
    "wrong_activation": "the wrong layer's activations in BP4",
    "z_for_a": "{z} used where {a} belongs in BP4",
    "outer_product_swapped": "the outer product's order swapped in BP4",
    "wrong_layer_delta": "{d} of the wrong layer",
    "missing_batch_mean": "the batch mean's {mean} missing",
    "extra_batch_mean": "an extra {mean}",
    "missing_output_mean": "the 1/n of the mean over outputs missing",
    "factor_two": "a factor 2 from the quadratic cost's ½",
    "sign_flip": "the sign flipped",
    "constant_factor": "off by a constant factor",
    "last_example_only": "only the last example of the batch used",
    "class_index_as_number": "the class index used as a number",
    "not_filled_in": "still the template's placeholder",
    "shape": "a shape that does not match",
    "not_numbers": "a returned value that is not numbers",
    "zero": "0 on every trial, up to rounding",
    "exception": "the function raised an exception",
    "nothing_fits": "no known mistake fits",
    "learner_formula": "your formula, found by search",
}


def mistake_title(key: str, notation: str | Notation | None = None, style: str = "ascii") -> str:
    """A mistake's short title (a key of MISTAKES) with its symbols written in a notation, in a
    style of nn.notation.write (ascii, the report's text; html: typeset, the words escaped)."""
    n = notations.get(notation)

    def sym(quantity: str, layer: str | None = None) -> str:
        return notations.write(_tokens(quantity, layer, notation=n), style)

    template = html.escape(_TITLES[key], quote=False) if style == "html" else _TITLES[key]
    return template.format(
        s=sym("sigma"),
        z=sym("z"),
        a=sym("a"),
        d=sym("delta"),
        w_up=sym("w", "l+1"),
        mean=sym("mean"),
    )


# (output activation, cost) pairs for which σ' cancels in BP1 and δ^L = a − y: the cost table's
MATCHING = {(row.pair, row.name) for row in costs.COSTS.values() if row.pair is not None}

REL_TOL = 1e-6
ABS_TOL = 1e-9


# ---------------------------------------------------------------------------------------------
# Names: every symbol and layer number the report prints goes through _sym and _layer_name, which
# read the notation's record (nn.notation): its symbols, layer numbering and index base.
# ---------------------------------------------------------------------------------------------

NotationLike = str | Notation | None

# the checker's quantities -> nn.notation.term's (grad_*: the cost's derivative wrt that one)
_QUANTITY = {"z": "preactivation", "a": "activation", "w": "weight", "b": "bias", "y": "target"}
_WRT = {"grad_w": "weight", "grad_b": "bias", "grad_a": "activation"}
_REPORTED = ("delta", "grad_b", "grad_w")  # what a learner's backprop returns


def _layer_name(layer: int, notation: NotationLike) -> str:
    """Layer l (Nielsen's numbering: the input is 1) as the notation numbers it."""
    return str(notations.layer_number(layer, notation))


def _sym(
    quantity: str,
    layer: int | str | None = None,
    index: Sequence[int | str] = (),
    notation: NotationLike = None,
    batch: bool = False,
    style: str = "ascii",
) -> str:
    """The textbook symbol of one quantity from nn.notation.term: δ^3_0, ∂C/∂b^2_1, a^1_0, C …

    quantity: 'z', 'a', 'w', 'b', 'y', 'delta', 'cost', 'batch_cost', 'sigma', 'sigma_prime',
    'mean' or 'grad_w', 'grad_b', 'grad_a' (the cost's derivative; for w and b with batch=True,
    the batch cost's).
    """
    return notations.write(_tokens(quantity, layer, index, notation, batch), style)


def _tokens(
    quantity: str,
    layer: int | str | None = None,
    index: Sequence[int | str] = (),
    notation: NotationLike = None,
    batch: bool = False,
) -> notations.Tokens:
    """_sym's symbol as typed tokens (nn.notation.term), to write in any style."""
    wrt = _WRT.get(quantity)
    batch = (batch and wrt in ("weight", "bias")) or quantity == "batch_cost"
    q = "cost" if wrt or quantity == "batch_cost" else _QUANTITY.get(quantity, quantity)
    j = index[0] if index else None
    k = index[1] if len(index) > 1 else None
    if q in ("cost", "sigma", "sigma_prime", "mean", "target") and wrt is None:
        layer = None  # no layer: the bare symbol (σ, C), or σ applied in the message's own words
    return notations.term(q, layer, j, k, wrt=wrt, batch=batch, notation=notation)


def _batch_mean(notation: NotationLike, style: str = "ascii") -> str:
    """The batch cost's definition in the notation: C = (1/m) Σ_x C_x, J = (1/m) Σ_i L_i."""
    return notations.write(notations.batch_mean(notation), style)


def _batch_sum(notation: NotationLike, style: str = "ascii") -> str:
    """The batch cost as a sum, in the notation: C = Σ_x C_x, J = Σ_i L_i."""
    n = notations.get(notation)
    tokens = notations.tokens_of(
        notations.term("cost", batch=True, notation=n),
        " = ",
        notations.Sym("Σ", "", n.example),
        " ",
        notations.Sym(n.cost, "", n.example),
    )
    return notations.write(tokens, style)


def _batch_cost(notation: NotationLike, reduction: str, style: str = "ascii") -> str:
    """The batch cost's definition for a reduction: the mean (the default) or the sum."""
    if reduction == "sum":
        return _batch_sum(notation, style)
    return _batch_mean(notation, style)


REDUCTIONS = ("mean", "sum")  # the batch cost: the mean of the examples' costs, or their sum


# every mistake's title in Nielsen's notation (the default), by key
MISTAKES: dict[str, str] = {key: mistake_title(key, "nielsen") for key in _TITLES}


def _index(i: int, notation: NotationLike) -> str:
    """A neuron index as the notation writes it (some courses count from 1)."""
    return str(notations.index_number(i, notation))


def _num(x: float) -> str:
    return number(x)  # the one formatter: −0.5171, 1.5×10⁻⁵


def _factor(x: float) -> str:
    return factor(x)  # bracketed when negative: (−0.5171)


def _formula(expr: Expr, sigma: str = "σ", **names: str) -> str:
    """A row expression (∂C/∂a of the cost table) with its variables written as given, and the
    logistic function as the notation writes it (σ; LFD's θ)."""
    return expr.unicode({**names, "sigmoid()": sigma})


def _factor_of(expr: Expr, text: str) -> str:
    """text in parentheses if expr is a sum or difference, so it reads as one factor."""
    return f"({text})" if expr.precedence() < 3 else text


# ---------------------------------------------------------------------------------------------
# The report.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mismatch:
    """The first wrong number in backprop order (δ^L … δ^2, then ∂C/∂b, then ∂C/∂w)."""

    quantity: str  # "delta", "grad_b" or "grad_w"
    layer: int  # l in Nielsen's numbering (the first weight layer is 2)
    index: tuple[int, ...]  # (j,) or (j, k)
    trial: int  # which random network, 0-based
    example: int | None  # the example of the batch, for δ in batch mode
    expected: float  # the graph's number
    received: float  # the learner's number
    equation: str  # the equation it should satisfy, written out with this case's numbers
    # the same equation with its symbols in unicode (δ³₀, not δ^3_0), as the HTML report shows it
    equation_unicode: str = ""


@dataclass(frozen=True)
class Diagnosis:
    """Which known mistake fits the wrong numbers on every trial, in a sentence."""

    mistake: str  # a key of MISTAKES
    message: str
    # the same sentence with its symbols in unicode (δ³, not δ^3), as the HTML report shows it
    unicode: str = ""
    # for a mistake found by the formula search, its gist in one line ("σ′ must be taken at
    # z^2, not at a^2"): a class run's line and summary tell such mistakes apart by it
    detail: str = ""


class Row(NamedTuple):
    """One row of the table of expected and received numbers."""

    symbol: str  # the entry's symbol, δ^3_0 or ∂C/∂w^2_{1,0}
    expected: float
    received: float
    example: int | None = None  # the example of the batch, for δ in batch mode


# The report as blocks, each rendered per medium: a paragraph of pieces ((text, is code), a
# symbol's tokens, a mistake's title), the equation's lines, or the table.


@dataclass(frozen=True)
class _Maths:
    tokens: notations.Tokens  # a symbol, typeset where the medium can (HTML)
    code: bool = False  # in backticks in Markdown, as the report writes symbols there


@dataclass(frozen=True)
class _Title:
    key: str  # a mistake's title (a key of MISTAKES), its symbols typeset where the medium can
    notation: NotationLike


@dataclass(frozen=True)
class _Said:
    ascii: str  # a sentence as the text report writes it (δ^3)
    unicode: str  # the same with its symbols in unicode (δ³), for HTML; "" where it has none


_Piece = tuple[str, bool] | _Maths | _Title | _Said


@dataclass(frozen=True)
class _Para:
    pieces: tuple[_Piece, ...]
    bold: bool = False  # the first piece is the verdict, in bold where the medium has it


@dataclass(frozen=True)
class _Lines:
    lines: tuple[str, ...]  # an equation written out: indented as text, fenced in Markdown
    unicode: tuple[str, ...] = ()  # the same with its symbols in unicode, for HTML


@dataclass(frozen=True)
class _Table:
    rows: tuple[Row, ...]
    examples: bool  # a column for the example of the batch


_Block = _Para | _Lines | _Table


def _para(*pieces: str | _Piece, bold: bool = False) -> _Para:
    return _Para(tuple((p, False) if isinstance(p, str) else p for p in pieces), bold)


def _piece(piece: _Piece, style: str) -> tuple[str, bool]:
    """A piece written in a style of nn.notation.write, and whether it is code."""
    if isinstance(piece, _Maths):
        return notations.write(piece.tokens, style), piece.code
    if isinstance(piece, _Title):
        return mistake_title(piece.key, piece.notation, style), False
    if isinstance(piece, _Said):
        if style == "html":
            return html.escape(piece.unicode or piece.ascii, quote=False), False
        return piece.ascii, False
    text, code = piece
    return (html.escape(text, quote=False) if style == "html" else text), code


def _text_of(block: _Block) -> list[str]:
    if isinstance(block, _Para):
        return ["".join(_piece(p, "ascii")[0] for p in block.pieces)]
    if isinstance(block, _Lines):
        return ["    " + line for line in block.lines]
    width = max(len(r.symbol) for r in block.rows)
    head = f"    {'':<{width}}" + ("  example" if block.examples else "")
    out = [f"{head}  {'expected':>12}  {'received':>12}"]
    for r in block.rows:
        ex = f"  {r.example:>7}" if block.examples else ""
        out.append(f"    {r.symbol:<{width}}{ex}  {_num(r.expected):>12}  {_num(r.received):>12}")
    return out


def _markdown_of(block: _Block) -> str:
    if isinstance(block, _Para):
        shown = [f"`{t}`" if code else t for t, code in (_piece(p, "ascii") for p in block.pieces)]
        if block.bold:
            shown[0] = f"**{shown[0]}**"
        return "".join(shown)
    if isinstance(block, _Lines):
        return "\n".join(["```", *block.lines, "```"])
    ex_head, ex_rule = ("example | ", "---:|") if block.examples else ("", "")
    rows = [f"| | {ex_head}expected | received |", f"|---|{ex_rule}---:|---:|"]
    for r in block.rows:
        ex = f"{r.example} | " if block.examples else ""
        rows.append(f"| `{r.symbol}` | {ex}{_num(r.expected)} | {_num(r.received)} |")
    return "\n".join(rows)


def _html_of(block: _Block) -> str:
    if isinstance(block, _Para):
        shown = []
        for piece in block.pieces:
            text, code = _piece(piece, "html")
            if isinstance(piece, _Maths):
                text = f'<span class="maths">{text}</span>'
            elif isinstance(piece, _Title):
                text = f'<strong class="mistake">{text}</strong>'
            shown.append(f"<code>{text}</code>" if code and not isinstance(piece, _Maths) else text)
        if block.bold:
            shown[0] = f'<strong class="verdict">{shown[0]}</strong>'
        return f"<p>{''.join(shown)}</p>"
    if isinstance(block, _Lines):
        lines = block.unicode or block.lines
        return f'<pre class="equation">{html.escape(chr(10).join(lines))}</pre>'
    ex_head = "<th>example</th>" if block.examples else ""
    rows = [f"<tr><th></th>{ex_head}<th>expected</th><th>received</th></tr>"]
    for r in block.rows:
        ex = f'<td class="num">{r.example}</td>' if block.examples else ""
        rows.append(
            f"<tr><td><code>{html.escape(r.symbol)}</code></td>{ex}"
            f'<td class="num">{_num(r.expected)}</td><td class="num">{_num(r.received)}</td></tr>'
        )
    return f'<table class="numbers">{"".join(rows)}</table>'


@dataclass
class BackpropReport:
    """The verdict on a learner's backprop: .ok, the first wrong number, and the diagnosis."""

    ok: bool
    sizes: list[int]
    activation: str
    output_activation: str
    cost: str
    trials: int
    batch: int | None
    notation: NotationLike = None
    mismatch: Mismatch | None = None
    diagnosis: Diagnosis | None = None
    wrong: list[str] = field(default_factory=list)  # every wrong quantity, in backprop order
    table: list[Row] = field(default_factory=list)  # symbol, expected, received, example
    reduction: str = "mean"  # the batch cost: the mean of the examples' costs, or their sum
    # the wrong quantities after the first that are the right equation of the learner's own
    # wrong inputs (wrong only because what they are computed from is)
    computed_from: list[str] = field(default_factory=list)
    # each wrong quantity's symbol as typed tokens, to typeset it where the medium can
    symbols: dict[str, notations.Tokens] = field(default_factory=dict, repr=False, compare=False)

    @property
    def mistake(self) -> str | None:
        """The diagnosed mistake's key (see MISTAKES), or None when everything is right."""
        return self.diagnosis.mistake if self.diagnosis else None

    def _setting(self) -> str:
        net = "-".join(str(n) for n in self.sizes)
        batch = f", batches of {self.batch}" if self.batch else ", one example at a time"
        if self.batch and self.reduction == "sum":
            batch += f" (batch cost the sum {_batch_sum(self.notation)})"
        return (
            f"network {net}, {self.activation} hidden, {self.output_activation} output, "
            f"cost {self.cost}, {self.trials} random trial(s){batch}"
        )

    def first_wrong(self) -> tuple[str, str] | None:
        """The first wrong number's symbol in the report's notation (δ^3_0) and where it sits in
        the learner's lists (deltas[1][0]), or None when there is none."""
        m = self.mismatch
        if m is None:
            return None
        name = _sym(m.quantity, m.layer, m.index, self.notation, batch=bool(self.batch))
        return name, self._where(m)

    def _where(self, m: Mismatch) -> str:
        """Where the number sits in the learner's lists: [layer − 2], then the example, j, k."""
        ex = [m.example] if m.example is not None else []
        name = "deltas" if m.quantity == "delta" else m.quantity
        return f"{name}[{m.layer - 2}]" + "".join(f"[{v}]" for v in ex + list(m.index))

    def _blocks(self) -> list[_Block]:
        """The report as blocks, built from its records (rendered by __str__, Markdown)."""
        if self.ok:
            batch = bool(self.batch)
            d, b, w = (_Maths(_tokens(q, notation=self.notation, batch=batch)) for q in _REPORTED)
            every = (": every ", d, ", ", b, " and ", w, f" matches the graph ({self._setting()}).")
            return [_para("backprop OK", *every, bold=True)]
        blocks: list[_Block] = [_para("backprop WRONG", f" ({self._setting()}).", bold=True)]
        m = self.mismatch
        if m is not None:
            where = f"trial {m.trial}" + (f", example {m.example}" if m.example is not None else "")
            name = _tokens(m.quantity, m.layer, m.index, self.notation, batch=bool(self.batch))
            blocks.append(
                _para(
                    "First wrong number: ",
                    _Maths(name, code=True),
                    " = ",
                    (self._where(m), True),
                    f" ({where}): expected {_num(m.expected)}, received {_num(m.received)}.",
                )
            )
            blocks.append(_para("It should satisfy:"))
            unicode = tuple(m.equation_unicode.split("\n")) if m.equation_unicode else ()
            blocks.append(_Lines(tuple(m.equation.split("\n")), unicode))
        if self.diagnosis is not None:
            title = _Title(self.diagnosis.mistake, self.notation)
            said = _Said(self.diagnosis.message, self.diagnosis.unicode)
            blocks.append(_para("Diagnosis (", title, "): ", said))
        if self.table:
            blocks.append(_para("Expected vs received:"))
            examples = any(r.example is not None for r in self.table)
            blocks.append(_Table(tuple(self.table), examples))
        if len(self.wrong) > 1:
            blocks.append(self._all_wrong())
        return blocks

    def _names(self, names: Sequence[str]) -> list[_Piece]:
        """The quantities' symbols, comma-separated (typed where the report has their tokens)."""
        pieces: list[_Piece] = []
        for n, name in enumerate(names):
            if n:
                pieces.append((", ", False))
            tokens = self.symbols.get(name)
            pieces.append(_Maths(tokens) if tokens is not None else (name, False))
        return pieces

    def _all_wrong(self) -> _Para:
        later = self.wrong[1:]
        line = ["All the wrong quantities: ", *self._names(self.wrong)]
        alone = [q for q in later if q not in self.computed_from]
        if not alone:
            return _para(*line, " (fix the first one first: the later ones are computed from it).")
        if len(alone) == len(later):
            return _para(
                *line, " (each is wrong on its own: none is computed from an earlier wrong one)."
            )
        follow = self._names([q for q in later if q in self.computed_from])
        own = "wrong on its own" if len(alone) == 1 else "each wrong on its own"
        return _para(
            *line,
            " (",
            *follow,
            ": computed from the wrong ones before them; ",
            *self._names(alone),
            f": {own}, to fix as well).",
        )

    def __str__(self) -> str:
        return "\n".join(line for block in self._blocks() for line in _text_of(block))

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        # IPython's text/plain (a terminal, or a notebook without Markdown): the report itself
        p.text(str(self))

    def _repr_markdown_(self) -> str:
        return "\n\n".join(_markdown_of(block) for block in self._blocks())

    def html(self) -> str:
        """The report as an HTML fragment: symbols and the mistake's title typeset (sub- and
        superscripts), the equation preformatted, numbers by the one formatter."""
        return '<div class="backprop-report">' + "".join(map(_html_of, self._blocks())) + "</div>"

    def as_dict(self) -> dict[str, Any]:
        """The report as plain data (JSON): the verdict, the setting and every record."""
        n = notations.get(self.notation)
        return {
            "ok": self.ok,
            "sizes": list(self.sizes),
            "activation": self.activation,
            "output_activation": self.output_activation,
            "cost": self.cost,
            "trials": self.trials,
            "batch": self.batch,
            "reduction": self.reduction,
            "notation": n.key,
            "mistake": self.mistake,
            "title": mistake_title(self.mistake, n) if self.mistake else None,
            "diagnosis": asdict(self.diagnosis) if self.diagnosis else None,
            "mismatch": asdict(self.mismatch) if self.mismatch else None,
            "wrong": list(self.wrong),
            "computed_from": list(self.computed_from),
            "table": [r._asdict() for r in self.table],
        }


# ---------------------------------------------------------------------------------------------
# The truth: the graph's numbers for one random network.
# ---------------------------------------------------------------------------------------------


@dataclass
class _Trial:
    weights: list[list[list[float]]]
    biases: list[list[float]]
    xs: list[list[float]]
    ys: list[Any]
    acts: list[list[list[float]]]  # acts[x][i] = a^{i+1}; acts[x][0] is the input
    zs: list[list[list[float]]]  # zs[x][i] = z^{i+2}
    slopes: list[list[list[float]]]  # slopes[x][i][j] = σ'(z^{i+2}_j) (softmax: a_j (1 − a_j))
    grad_a: list[list[float]]  # grad_a[x] = ∇_a C_x at the output (with logits: ∇_z C_x)
    deltas: list[list[list[float]]]  # deltas[x][i] = δ^{x,i+2}, each example's own cost
    grad_w: list[list[list[float]]]  # ∂C/∂w^{i+2} of the batch mean cost
    grad_b: list[list[float]]
    got_deltas: list[list[list[float]]] = field(default_factory=list)  # [i][x][j]
    got_w: list[list[list[float]]] = field(default_factory=list)
    got_b: list[list[float]] = field(default_factory=list)


def _slope(name: str, z: Sequence[float], j: int) -> float:
    # σ'(z_j) from the engine's own op table: ∂a_j/∂z_j of one fresh node (softmax: the diagonal
    # of its Jacobian, a_j (1 − a_j)).
    nodes = [Value(v) for v in z]
    out = softmax(nodes) if name == "softmax" else activate(name, [nodes[j]])
    a = out[j] if name == "softmax" else out[0]
    if a is nodes[j]:
        return 1.0
    a.backward()
    return float(nodes[j].grad)


def _target(rng: random.Random, cost: str, output: str, n_out: int) -> Any:
    # drawn from the cost's target domain, inside the output activation's range
    return costs.COSTS[cost].targets.sample(rng, n_out, ACTIVATION_TABLE[output].range)


def _make_trial(
    rng: random.Random,
    sizes: list[int],
    hidden: str,
    output: str,
    cost: str,
    m: int,
    reduction: str = "mean",
) -> _Trial:
    n_layers = len(sizes) - 1
    weights = [
        [[rng.uniform(-1.0, 1.0) for _ in range(sizes[i])] for _ in range(sizes[i + 1])]
        for i in range(n_layers)
    ]
    biases = [[rng.uniform(-0.5, 0.5) for _ in range(sizes[i + 1])] for i in range(n_layers)]
    xs = [[rng.uniform(-1.0, 1.0) for _ in range(sizes[0])] for _ in range(m)]
    ys = [_target(rng, cost, output, sizes[-1]) for _ in range(m)]
    model = MLP(sizes[0], sizes[1:], hidden, output, seed=0)
    state: dict[str, Any] = {}
    for i in range(n_layers):
        state[f"layers.{i}.w"] = weights[i]
        state[f"layers.{i}.b"] = biases[i]
    model.load_state_dict(state)
    names = [hidden] * (n_layers - 1) + [output]
    acts, zs, slopes, grad_a, deltas = [], [], [], [], []
    for x, y in zip(xs, ys, strict=True):
        model.zero_grad()
        example_loss(model, x, y, cost).backward()
        zs.append([[z.data for z in layer.z] for layer in model.layers])
        acts.append([list(x)] + [[a.data for a in layer.a] for layer in model.layers])
        # δ^l_j is read where the graph holds it: the gradient at the node z^l_j
        deltas.append([[z.grad for z in layer.z] for layer in model.layers])
        slopes.append(
            [
                [_slope(name, z_i, j) for j in range(len(z_i))]
                for name, z_i in zip(names, zs[-1], strict=True)
            ]
        )
        # ∂C/∂(what the cost reads): a cost on the logit of a linear output reads z^L = a^L
        grad_a.append(closed_form.cost_gradient(cost, acts[-1][-1], y))
    model.zero_grad()
    total = losses.batch_loss(lambda x, y: example_loss(model, x, y, cost), xs, ys)
    if reduction == "sum":
        total = total * m  # C = Σ_x C_x, m times the mean: the graph scales every gradient
    total.backward()
    grad_w = [[[w.grad for w in n.w] for n in layer.neurons] for layer in model.layers]
    grad_b = [[n.b.grad for n in layer.neurons] for layer in model.layers]
    return _Trial(weights, biases, xs, ys, acts, zs, slopes, grad_a, deltas, grad_w, grad_b)


# ---------------------------------------------------------------------------------------------
# Reading what the learner returned: plain lists or numpy arrays, checked against the shapes.
# ---------------------------------------------------------------------------------------------


class _Problem(Exception):
    """The learner's result cannot be compared; the message says why (and the diagnosis key)."""

    def __init__(self, message: str, mistake: str = "shape") -> None:
        super().__init__(message)
        self.mistake = mistake


@dataclass(frozen=True)
class Opaque:
    """A returned value that is not numbers, as a child process describes it ("str", "int too
    large for a float"): the report says what it was, as it does for the value itself."""

    kind: str

    def __repr__(self) -> str:
        return f"<{self.kind}>"


MAX_DEPTH = 12  # a returned value is at most 5 lists deep: (deltas, …), layer, row, column, 1


def _kind(obj: Any) -> str:
    """What obj is, for a message: its type's name, or what a child process said it was."""
    return obj.kind if isinstance(obj, Opaque) else type(obj).__name__


def _a(kind: str) -> str:
    return ("an " if kind[:1].lower() in "aeiou" else "a ") + kind


def _plain(obj: Any, where: str, depth: int = 0) -> Any:
    """Nested lists of floats from lists, tuples or arrays (anything with .tolist())."""
    if depth > MAX_DEPTH:
        raise _Problem(
            f"{where} is nested more than {MAX_DEPTH} deep (a list inside itself?)", "not_numbers"
        )
    tolist = getattr(obj, "tolist", None)
    if callable(tolist) and not isinstance(obj, list | tuple):
        try:
            obj = tolist()
        except Exception as e:
            raise _Problem(
                f"{where} is {_a(type(obj).__name__)} whose tolist() raised {type(e).__name__}",
                "not_numbers",
            ) from None
    if isinstance(obj, bool):
        raise _Problem(f"{where} is the bool {obj!r}; expected numbers", "not_numbers")
    if isinstance(obj, numbers.Real):
        try:
            return float(obj)
        except OverflowError:
            raise _Problem(
                f"{where} is an int too large for a float; expected numbers", "not_numbers"
            ) from None
    if isinstance(obj, list | tuple):
        return [_plain(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(obj)]
    if obj is None:
        raise _Problem(
            f"{where} is None; did the function forget to fill it in or return it?", "not_numbers"
        )
    raise _Problem(f"{where} is {_a(_kind(obj))}; expected numbers, lists or arrays", "not_numbers")


def _shape(obj: Any) -> tuple[int, ...] | None:
    """The shape of nested lists, or None when they are ragged."""
    if not isinstance(obj, list):
        return ()
    shapes = {_shape(item) for item in obj}
    if not obj:
        return (0,)
    if len(shapes) != 1 or None in shapes:
        return None
    (inner,) = shapes
    assert inner is not None
    return (len(obj), *inner)


def _show(shape: tuple[int, ...] | None) -> str:
    if shape is None:
        return "ragged (rows of different lengths)"
    if shape == ():
        return "a single number"
    if len(shape) == 1:
        return f"{shape[0]} entries"
    return "×".join(str(n) for n in shape)


def _flat(obj: Any) -> list[float]:
    if isinstance(obj, list):
        return [v for item in obj for v in _flat(item)]
    return [obj]


def _as_vector(obj: Any, n: int) -> list[float] | None:
    shape = _shape(obj)
    if shape in ((n,), (n, 1), (1, n)):
        return _flat(obj)
    return None


def _as_matrix(obj: Any, rows: int, cols: int) -> list[list[float]] | None:
    shape = _shape(obj)
    if shape == (rows, cols):
        return [list(r) for r in obj]
    if shape == (rows, cols, 1):
        return [[v[0] for v in r] for r in obj]
    return None


class _Reader:
    """Normalises one result of fn to [i][x][j] deltas, [i][j][k] grad_w, [i][j] grad_b."""

    def __init__(
        self, sizes: list[int], batch: int | None, notation: NotationLike, style: str = "ascii"
    ) -> None:
        self.sizes = sizes
        self.batch = batch
        self.notation = notation
        self.style = style  # how its messages write symbols (see _Check.style)

    def s(self, quantity: str, layer: int | str | None, index: Sequence[int | str] = ()) -> str:
        """The symbol of a quantity of layer l in this check's notation (batch: the batch's)."""
        return _sym(quantity, layer, index, self.notation, bool(self.batch), self.style)

    def ln(self, layer: int) -> str:
        """Layer l (Nielsen's numbering) as this check's notation numbers it."""
        return _layer_name(layer, self.notation)

    def _by_layer(self, obj: Any, what: str) -> Any:
        """Layer 2 first from a dict keyed by layer number or a list indexed by layer number."""
        n_layers = len(self.sizes) - 1
        first = notations.layer_number(2, self.notation)  # layer 2 as the notation writes it
        wanted = list(range(first, first + n_layers))
        if isinstance(obj, dict):
            by_number: dict[int, Any] = {}
            for key, value in obj.items():
                try:
                    number = int(key)
                except (TypeError, ValueError):
                    number = -1
                if isinstance(key, bool) or number not in wanted:
                    raise _Problem(
                        f"{what} is a dict, so its keys must be the layer numbers "
                        f"{', '.join(map(str, wanted))} (the layers with weights, numbered as "
                        f"{notations.get(self.notation).title} numbers them), got the key {key!r}"
                    )
                by_number[number] = value
            missing = [n for n in wanted if n not in by_number]
            if missing:
                raise _Problem(
                    f"{what} has no entry for layer {missing[0]}: give one per layer "
                    f"{', '.join(map(str, wanted))}"
                )
            return [by_number[n] for n in wanted]
        if (
            isinstance(obj, list | tuple)
            and first > 0
            and len(obj) == first + n_layers
            and all(item is None for item in obj[:first])
        ):
            return list(obj[first:])  # indexed by layer number, None where there are no weights
        return obj

    def _layer_list(self, obj: Any, what: str, shapes: Sequence[tuple[int, ...]]) -> list[Any]:
        N = self.ln
        n_layers = len(self.sizes) - 1
        if not isinstance(obj, list):
            raise _Problem(
                f"{what} must be a list with one entry per layer {N(2)}..{N(n_layers + 1)} "
                f"({n_layers} entries), got a single number"
            )
        if len(obj) != n_layers:
            extra = ""
            if len(obj) == n_layers + 1:
                extra = (
                    f"; it has one entry too many: the input layer {N(1)} has no "
                    f"{self.s('delta', None)}, weights or "
                    f"biases, so leave it out and start at layer {N(2)}"
                )
            raise _Problem(
                f"{what} has {len(obj)} entries but the network has {n_layers} layers with weights "
                f"(layers {N(2)}..{N(n_layers + 1)}); return one entry per layer, layer {N(2)} "
                f"first{extra}"
            )
        got = [_shape(item) for item in obj]
        ok = [self._fits(g, s) for g, s in zip(got, shapes, strict=True)]
        if not all(ok) and n_layers > 1:
            rev = shapes[::-1]
            if all(self._fits(g, s) for g, s in zip(got, rev, strict=True)):
                raise _Problem(
                    f"{what} is in reverse order: its entries have the shapes of layers "
                    f"{N(n_layers + 1)} down to {N(2)}. Backprop computes the output layer first, "
                    f"but {what}[0] must be layer {N(2)} (the first weight layer) and {what}[-1] "
                    "the output layer: reverse the list before returning it"
                )
        return obj

    @staticmethod
    def _fits(got: tuple[int, ...] | None, want: tuple[int, ...]) -> bool:
        if got == want:
            return True
        if got is None:
            return False
        if len(want) == 1:
            return got in ((want[0], 1), (1, want[0]))
        return got == (*want, 1)

    def read(self, result: Any) -> tuple[Any, Any, Any]:
        """(deltas, grad_w, grad_b) in the internal layout, or raise _Problem."""
        sizes = self.sizes
        n_layers = len(sizes) - 1
        if isinstance(result, dict) or not isinstance(result, list | tuple) or len(result) != 3:
            kind = _kind(result)
            raise _Problem(
                f"the function must return the tuple (deltas, grad_w, grad_b), got {kind}"
                + (f" with {len(result)} entries" if isinstance(result, list | tuple) else "")
            )
        d_raw, w_raw, b_raw = (
            _plain(self._by_layer(part, name), name)
            for part, name in zip(result, ("deltas", "grad_w", "grad_b"), strict=True)
        )
        m = self.batch
        d_shapes = [(m, sizes[i + 1]) if m else (sizes[i + 1],) for i in range(n_layers)]
        w_shapes = [(sizes[i + 1], sizes[i]) for i in range(n_layers)]
        b_shapes = [(sizes[i + 1],) for i in range(n_layers)]
        d_raw = self._layer_list(d_raw, "deltas", d_shapes)
        w_raw = self._layer_list(w_raw, "grad_w", w_shapes)
        b_raw = self._layer_list(b_raw, "grad_b", b_shapes)
        deltas: list[list[list[float]]] = []
        for i in range(n_layers - 1, -1, -1):
            deltas.append(self._delta(d_raw[i], i))
        deltas.reverse()
        grad_b = [self._grad_b(b_raw[i], i) for i in range(n_layers)]
        grad_w = [self._grad_w(w_raw[i], i) for i in range(n_layers)]
        return deltas, grad_w, grad_b

    def _delta(self, obj: Any, i: int) -> list[list[float]]:
        N = self.ln
        S = self.s
        layer, n = i + 2, self.sizes[i + 1]
        sym = S("delta", layer)
        m = self.batch
        shape = _shape(obj)
        if m is None:
            vec = _as_vector(obj, n)
            if vec is None:
                raise _Problem(
                    f"deltas[{i}] ({sym}) has shape {_show(shape)}, but layer {N(layer)} has {n} "
                    f"neuron(s): {S('delta', layer)} needs {n} entries, one per neuron j"
                    + self._delta_hint(shape, i)
                )
            return [vec]
        mat = _as_matrix(obj, m, n)
        if mat is None:
            hint = ""
            if shape in ((n, m), (n, m, 1)) and n != m:
                hint = (
                    f"; it looks transposed ({n}×{m}: one column per example): return one row "
                    "per example, e.g. delta.T"
                )
            raise _Problem(
                f"deltas[{i}] ({sym}) has shape {_show(shape)}, but with a batch of {m} it must "
                f"be {m}×{n}: one row per example, one column per neuron of layer {N(layer)}" + hint
            )
        return mat

    def _delta_hint(self, shape: tuple[int, ...] | None, i: int) -> str:
        N = self.ln
        S = self.s
        sizes = self.sizes
        if shape and shape[0] == sizes[i] and i > 0:
            return (
                f"; it has one entry per neuron of layer {N(i + 1)}: is it the {S('delta', None)} "
                "of the layer "
                "below, or was w not transposed?"
            )
        if shape and i + 2 < len(sizes) and shape[0] == sizes[i + 2]:
            return (
                f"; it has one entry per neuron of layer {N(i + 3)}: BP2 gives {S('delta', i + 2)} "
                f"= (({S('w', i + 3)})ᵀ {S('delta', i + 3)}) ⊙ {S('sigma', 0)}'({S('z', i + 2)}), "
                f"whose transpose turns {sizes[i + 2]} entries into {sizes[i + 1]}"
            )
        return ""

    def _grad_b(self, obj: Any, i: int) -> list[float]:
        N = self.ln
        S = self.s
        layer, n = i + 2, self.sizes[i + 1]
        vec = _as_vector(obj, n)
        if vec is not None:
            return vec
        shape = _shape(obj)
        hint = ""
        m = self.batch
        if m and shape in ((m, n), (m, n, 1)):
            hint = (
                f"; it has one row per example: {S('grad_b', layer)} of the batch cost "
                f"{_batch_mean(self.notation, self.style)} is the mean of the examples' "
                f"{S('delta', layer)}, "
                "one number per neuron (average over the rows)"
            )
        raise _Problem(
            f"grad_b[{i}] ({S('grad_b', layer)}) has shape "
            f"{_show(shape)}, "
            f"but {S('b', layer)} has {n} entries, one per neuron of layer {N(layer)}" + hint
        )

    def _grad_w(self, obj: Any, i: int) -> list[list[float]]:
        N = self.ln
        S = self.s
        sizes = self.sizes
        layer, rows, cols = i + 2, sizes[i + 1], sizes[i]
        mat = _as_matrix(obj, rows, cols)
        if mat is not None:
            return mat
        shape = _shape(obj)
        hints = []
        if shape == (cols, rows):
            hints.append(
                f"it is transposed ({cols}×{rows}): {S('grad_w', layer, ('j', 'k'))} = "
                f"{S('a', layer - 1, ('k',))} {S('delta', layer, ('j',))} has rows j (neurons of "
                "layer "
                f"{N(layer)}) and columns k (neurons of layer {N(layer - 1)}), so it is "
                f"{S('delta', layer)} ({S('a', layer - 1)})ᵀ, not {S('a', layer - 1)} "
                f"({S('delta', layer)})ᵀ: the outer product's order is swapped"
            )
        if shape == (rows, rows) and rows != cols:
            hints.append(
                f"its {rows} columns match layer {N(layer)}, not layer {N(layer - 1)}: BP4 uses "
                f"{S('a', layer - 1)}, the activations coming INTO layer {N(layer)}, not "
                f"{S('a', layer)}"
            )
        if i + 2 < len(sizes) and shape == (rows, sizes[i + 2]) and sizes[i + 2] != cols:
            hints.append(
                f"its {sizes[i + 2]} columns match layer {N(layer + 1)}: BP4 uses "
                f"{S('a', layer - 1)}, not {S('a', layer + 1)}"
            )
        if self.batch and shape is not None and len(shape) == 3 and shape[0] == self.batch:
            hints.append(
                f"it has one matrix per example: {S('grad_w', layer)} of the batch cost "
                f"{_batch_mean(self.notation, self.style)} is their mean"
            )
        raise _Problem(
            f"grad_w[{i}] ({S('grad_w', layer)}) has shape {_show(shape)}, but {S('w', layer)} is "
            f"{rows}×{cols} (rows j: the {rows} neuron(s) of layer {N(layer)}; columns k: the "
            f"{cols} neuron(s) of layer {N(layer - 1)})"
            + ("; " + "; ".join(hints) if hints else ""),
            "outer_product_swapped"
            if shape == (cols, rows)
            else ("wrong_activation" if hints and "BP4 uses" in hints[0] else "shape"),
        )


def learner_frame(error: BaseException, filename: str | None) -> traceback.FrameSummary | None:
    """The deepest frame of error's traceback in the learner's file, or None if none is there.

    filename None: the deepest frame outside this module, wherever the learner's code is.
    """
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename != __file__]
    if filename is not None:
        mine = os.path.abspath(filename)
        frames = [f for f in frames if os.path.abspath(f.filename) == mine]
    return frames[-1] if frames else None


def _learner_line(error: BaseException, fn: Callable[..., Any]) -> traceback.FrameSummary | None:
    """The deepest frame of error in the learner's own file (or outside this module)."""
    own = getattr(getattr(fn, "__code__", None), "co_filename", None)
    return (own and learner_frame(error, own)) or learner_frame(error, None)


def where_text(file: str | None, lineno: int | None, line: str | None) -> str:
    """' at file, line n: `code`' for the learner's frame; the call itself when there is none."""
    if file is None:  # it failed on the call itself
        return " when called as fn(weights, biases, x, y)"
    code = f" `{line.strip()}`" if line else ""
    return f" at {os.path.basename(file)}, line {lineno}:{code}"


def _where_it_failed(error: BaseException, fn: Callable[..., Any]) -> str:
    """' at file:line: `code`' for the deepest frame in the learner's own file."""
    f = _learner_line(error, fn)
    return where_text(None, None, None) if f is None else where_text(f.filename, f.lineno, f.line)


def raised_sentence(error: str, message: str, exit_code: str | None, where: str) -> str:
    """What the learner's function did instead of returning: raised error, or called sys.exit."""
    if exit_code is not None:
        return (
            f"the function called sys.exit({exit_code}){where}, which would end the program; "
            "return (deltas, grad_w, grad_b) instead"
        )
    return f"the function raised {error}" + (f": {message}" if message else "") + where


# ---------------------------------------------------------------------------------------------
# Comparing, and the equations written out with the numbers of one case.
# ---------------------------------------------------------------------------------------------


def _close(got: float, want: float) -> bool:
    return math.isclose(got, want, rel_tol=REL_TOL, abs_tol=ABS_TOL)


@dataclass
class _Check:
    """Everything one check needs: the setting and the trials with the learner's numbers."""

    sizes: list[int]
    hidden: str
    output: str
    cost: str
    batch: int | None
    notation: NotationLike
    trials: list[_Trial]
    reduction: str = "mean"  # the batch cost: the mean of the examples' costs, or their sum
    # how the sentences write symbols: "ascii" (δ^3, the text report) or "unicode" (δ³, the
    # HTML report); a copy of the check in the other style writes the same sentences there
    style: str = "ascii"
    # the learner's formula per (kind, layer index), searched once and shared by the copies
    found: dict[tuple[str, int], Any] = field(default_factory=dict, repr=False)

    def s(self, quantity: str, layer: int | str | None, index: Sequence[int | str] = ()) -> str:
        """The symbol of a quantity of layer l in this check's notation (batch: the batch's)."""
        return _sym(quantity, layer, index, self.notation, bool(self.batch), self.style)

    def sym(self, quantity: str, layer: int | str | None, index: Sequence[int | str] = ()) -> str:
        """The symbol of a quantity of one example (δ^l_j, a^l_k) in this check's notation."""
        return _sym(quantity, layer, index, self.notation, style=self.style)

    def ln(self, layer: int) -> str:
        """Layer l (Nielsen's numbering) as this check's notation numbers it."""
        return _layer_name(layer, self.notation)

    @property
    def n_layers(self) -> int:
        return len(self.sizes) - 1

    @property
    def example(self) -> str:
        """The letter for an example of the batch: x (LFD's n, Ng's i)."""
        return notations.get(self.notation).example

    @property
    def sum_x(self) -> str:
        """Σ over the examples of a batch, with the notation's index (Σ_x, LFD's Σ_n)."""
        return notations.compose("Σ", "", self.example, self.style)

    def sum_over(self, index: str) -> str:
        """Σ over an index, as this check writes it: Σ_j (unicode: Σⱼ)."""
        return notations.compose("Σ", "", index, self.style)

    @property
    def size(self) -> str:
        """The letter for the batch size: m (LFD's N)."""
        return notations.get(self.notation).batch_size

    def batch_cost(self) -> str:
        """The batch cost's definition in the notation, as this check's reduction makes it."""
        return _batch_cost(self.notation, self.reduction, self.style)

    def act_name(self, i: int) -> str:
        return self.output if i == self.n_layers - 1 else self.hidden

    # The quantities in backprop order: (kind, layer index i) pairs.
    def order(self) -> list[tuple[str, int]]:
        top = range(self.n_layers - 1, -1, -1)
        return (
            [("delta", i) for i in top]
            + [("grad_b", i) for i in top]
            + [("grad_w", i) for i in top]
        )

    @staticmethod
    def truth(t: _Trial, kind: str, i: int) -> Any:
        if kind == "delta":
            return [d[i] for d in t.deltas]
        return t.grad_b[i] if kind == "grad_b" else t.grad_w[i]

    @staticmethod
    def got(t: _Trial, kind: str, i: int) -> Any:
        if kind == "delta":
            return t.got_deltas[i]
        return t.got_b[i] if kind == "grad_b" else t.got_w[i]

    def indices(self, kind: str, i: int) -> list[tuple[int, ...]]:
        """(x, j) for δ, (j,) for ∂C/∂b, (j, k) for ∂C/∂w: the order entries are compared in."""
        n, n_prev = self.sizes[i + 1], self.sizes[i]
        m = self.batch or 1
        if kind == "delta":
            return [(x, j) for x in range(m) for j in range(n)]
        if kind == "grad_b":
            return [(j,) for j in range(n)]
        return [(j, k) for j in range(n) for k in range(n_prev)]

    def symbol(self, kind: str, i: int, index: tuple[int, ...]) -> str:
        if kind == "delta":
            return _sym("delta", i + 2, index[1:], self.notation)
        return _sym(kind, i + 2, index, self.notation)

    def equation(self, t: _Trial, kind: str, i: int, index: tuple[int, ...]) -> str:
        if kind == "delta":
            x, j = index
            if i == self.n_layers - 1:
                return self._bp1(t, x, j)
            return self._bp2(t, i, x, j)
        if kind == "grad_b":
            return self._bp3(t, i, index[0])
        return self._bp4(t, i, *index)

    def _bp1(self, t: _Trial, x: int, j: int) -> str:
        S = self.s
        L = self.n_layers + 1
        nt = self.notation
        d, z, a = self.sym("delta", L, (j,)), self.sym("z", L, (j,)), self.sym("a", L, (j,))
        a_i = self.sym("a", L, ("i",))
        zv, av = t.zs[x][-1][j], t.acts[x][-1][j]
        jj = _index(j, nt)  # j as the notation writes it
        y = t.ys[x]
        want = t.deltas[x][-1][j]
        cost, out = self.cost, self.output
        row = costs.COSTS[cost]
        if row.wrt == "z":  # a cost on the logit z of a linear output: ∂C/∂z is δ itself
            expr = row.gradient_expr()
            return (
                f"BP1 (the cost takes the logits): {d} = ∂{S('cost', 0)}/∂{z} = "
                f"{_formula(expr, S('sigma', 0), z=z, y=S('y', None, (j,)))}\n     = "
                f"{_formula(expr, S('sigma', 0), z=_num(zv), y=_factor(y[j]))} = {_num(want)}"
            )
        if out == "softmax":
            n = self.sizes[-1]
            if cost == "cross_entropy":
                hit = 1.0 if j == y else 0.0
                return (
                    f"BP1 (softmax + cross-entropy): {d} = {self.sum_over('i')} "
                    f"∂{S('cost', 0)}/∂{a_i} · "
                    f"∂{a_i}/∂{z} = {a} − 1[{jj} = c]\n     = {_num(av)} − {_num(hit)} = "
                    f"{_num(want)}   (c = {_index(y, nt)}, the target class)"
                )
            grads = t.grad_a[x]
            acts = t.acts[x][-1]
            terms = " + ".join(
                f"{_factor(grads[i])}·{_factor(acts[i])}·({int(i == j)} − {_num(av)})"
                for i in range(n)
            )
            return (
                f"BP1 (softmax output): {d} = {self.sum_over('i')} ∂{S('cost', 0)}/∂{a_i} · "
                f"{a_i} (1[i = {jj}] − "
                f"{a})\n     = {terms} = {_num(want)}"
            )
        # ∂C/∂a_j from the cost table's row, written in symbols and then in numbers
        expr = row.gradient_expr()
        yj = y[j]
        n = self.sizes[-1]
        grad = _factor_of(expr, _formula(expr, a=a, y=S("y", None, (j,)), n="n"))
        nums = _factor_of(expr, _formula(expr, a=_num(av), y=_factor(yj), n=str(n)))
        slope, written = sigma_prime_text(out, z, S("sigma", 0))
        # without a formula for σ', say which activation its number is the slope of
        which = "" if written else f", {S('sigma', 0)} = {out}"
        g = t.grad_a[x][j]
        sp = t.slopes[x][-1][j]
        return (
            f"BP1: {d} = ∂{S('cost', 0)}/∂{a} · {S('sigma', 0)}'({z}) = {grad} · {slope}\n     = "
            f"{nums} · {_factor(sp)} = {_factor(g)} · {_factor(sp)} = {_num(want)}   ({z} = "
            f"{_num(zv)}, {a} = {_num(av)}, {S('y', None, (j,))} = {_num(yj)}{which})"
        )

    def _bp2(self, t: _Trial, i: int, x: int, k: int) -> str:
        S = self.s
        layer, nt = i + 2, self.notation
        up = self.sizes[i + 2]
        w = t.weights[i + 1]
        d_up = t.deltas[x][i + 1]
        d = self.sym("delta", layer, (k,))
        z = self.sym("z", layer, (k,))
        sym_sum = " + ".join(
            f"{self.sym('w', layer + 1, (j, k))}·{self.sym('delta', layer + 1, (j,))}"
            for j in range(up)
        )
        num_sum = " + ".join(f"{_factor(w[j][k])}·{_factor(d_up[j])}" for j in range(up))
        back = _back(self, t, x, i)[k]  # ((w^{l+1})ᵀ δ^{l+1})_k, the walk's own step
        sp = t.slopes[x][i][k]
        sub_k = notations.compose("", "", _index(k, nt), self.style)  # (…)_k
        return (
            f"BP2: {d} = (({self.sym('w', layer + 1, ())})ᵀ "
            f"{self.sym('delta', layer + 1, ())}){sub_k} · {S('sigma', 0)}'({z}) = "
            f"({sym_sum}) · {S('sigma', 0)}'({z})\n     = ({num_sum}) · {_factor(sp)} = "
            f"{_factor(back)} · {_factor(sp)} = {_num(t.deltas[x][i][k])}   ({z} = "
            f"{_num(t.zs[x][i][k])}, {S('sigma', 0)} = {self.act_name(i)})"
        )

    def _bp3(self, t: _Trial, i: int, j: int) -> str:
        layer, nt = i + 2, self.notation
        b, d = self.s("grad_b", layer, (j,)), self.sym("delta", layer, (j,))
        xx = notations.get(nt).example  # an example of the batch: x (LFD n, Ng i)
        sx = self.sum_x
        want = t.grad_b[i][j]
        if not self.batch:
            return f"BP3: {b} = {d} = {_num(want)}"
        vals = " + ".join(_factor(t.deltas[x][i][j]) for x in range(self.batch))
        if self.reduction == "sum":
            return (
                f"BP3 (batch sum {self.batch_cost()}): {b} = {sx} {d}({xx})\n"
                f"     = {vals} = {_num(want)}"
            )
        return (
            f"BP3 (batch mean {_batch_mean(nt, self.style)}): {b} = ({self.s('mean', None)}) "
            f"{sx} {d}({xx})\n"
            f"     = (1/{self.batch})({vals}) = {_num(want)}"
        )

    def _bp4(self, t: _Trial, i: int, j: int, k: int) -> str:
        S = self.s
        layer, nt = i + 2, self.notation
        g = self.s("grad_w", layer, (j, k))
        xx = notations.get(nt).example  # an example of the batch: x (LFD n, Ng i)
        sx = self.sum_x
        a = self.sym("a", layer - 1, (k,))
        d = self.sym("delta", layer, (j,))
        want = t.grad_w[i][j][k]
        source = f"   ({S('a', 1)} = x, the input)" if layer == 2 else ""
        if not self.batch:
            av, dv = t.acts[0][i][k], t.deltas[0][i][j]
            return f"BP4: {g} = {a} · {d} = {_factor(av)} · {_factor(dv)} = {_num(want)}{source}"
        prods = " + ".join(
            f"{_factor(t.acts[x][i][k])}·{_factor(t.deltas[x][i][j])}" for x in range(self.batch)
        )
        if self.reduction == "sum":
            return (
                f"BP4 (batch sum {self.batch_cost()}): {g} = {sx} {a}({xx}) · {d}({xx})\n"
                f"     = {prods} = {_num(want)}{source}"
            )
        return (
            f"BP4 (batch mean {_batch_mean(nt, self.style)}): {g} = ({self.s('mean', None)}) "
            f"{sx} {a}({xx}) · "
            f"{d}({xx})\n"
            f"     = (1/{self.batch})({prods}) = {_num(want)}{source}"
        )


# ---------------------------------------------------------------------------------------------
# The walk: a quantity computed from the closed-form steps of BP1–BP4 (nn.closed_form), where a
# mistake replaces one step. The right steps read the graph's numbers of the trial.
# ---------------------------------------------------------------------------------------------

# one step of one example: (check, trial, example x, layer index i) -> a vector
_Step = Callable[["_Check", _Trial, int, int], list[float]]


def _matvec_t(w: list[list[float]], d: list[float]) -> list[float]:
    # (wᵀ d)_k = Σ_j w_jk d_j
    return [sum(w[j][k] * d[j] for j in range(len(w))) for k in range(len(w[0]))]


def _grad_a(c: _Check, t: _Trial, x: int, i: int) -> list[float]:
    return list(t.grad_a[x])  # ∇_a C at the output (a cost on the logits: ∇_z C)


def _sigma_prime(c: _Check, t: _Trial, x: int, i: int) -> list[float]:
    return list(t.slopes[x][i])  # σ'(z^l)


def _back(c: _Check, t: _Trial, x: int, i: int) -> list[float]:
    return _matvec_t(t.weights[i + 1], t.deltas[x][i + 1])  # (w^{l+1})ᵀ δ^{l+1}


def _delta(c: _Check, t: _Trial, x: int, i: int) -> list[float]:
    return list(t.deltas[x][i])  # δ^l of example x


def _a_in(c: _Check, t: _Trial, x: int, i: int) -> list[float]:
    return list(t.acts[x][i])  # a^{l−1}, the activations coming into layer l


@dataclass(frozen=True)
class _Steps:
    """BP1–BP4 of one layer as steps; a registered mistake is these with one step replaced."""

    grad: _Step = _grad_a  # BP1: ∇_a C
    slope: _Step = _sigma_prime  # BP1, BP2: σ'(z^l)
    output: _Step | None = None  # BP1 replaced as a whole (the learner's own δ^L formula)
    extra: _Step | None = None  # one more elementwise factor on δ (an extra σ')
    back: _Step = _back  # BP2: (w^{l+1})ᵀ δ^{l+1}
    delta: _Step = _delta  # BP3, BP4: δ^l of each example
    a_in: _Step = _a_in  # BP4: a^{l−1}
    swapped: bool = False  # BP4: a^{l−1} (δ^l)ᵀ instead of δ^l (a^{l−1})ᵀ
    last_only: bool = False  # BP3, BP4: only the batch's last example
    total: str | None = None  # BP3, BP4 over the batch: "mean", "sum"; None: the check's own
    scale: float = 1.0  # a constant factor on the result


def _delta_row(c: _Check, t: _Trial, x: int, i: int, s: _Steps) -> list[float]:
    if s.output is not None:  # the whole equation replaced
        row = s.output(c, t, x, i)
    elif i < c.n_layers - 1:  # BP2: δ^l = ((w^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l)
        row = [b * p for b, p in zip(s.back(c, t, x, i), s.slope(c, t, x, i), strict=True)]
    elif c.output == "softmax":  # BP1, Jacobian form: δ_j = Σ_k ∂C/∂a_k · a_k (1[k=j] − a_j)
        g, a = s.grad(c, t, x, i), t.acts[x][-1]
        row = [
            sum(g[k] * a[k] * (float(k == j) - a[j]) for k in range(len(a))) for j in range(len(a))
        ]
    else:  # BP1: δ^L = ∇_a C ⊙ σ'(z^L)
        row = [g * p for g, p in zip(s.grad(c, t, x, i), s.slope(c, t, x, i), strict=True)]
    if s.extra is not None:
        row = [r * e for r, e in zip(row, s.extra(c, t, x, i), strict=True)]
    return row


def _walk(c: _Check, kind: str, i: int, s: _Steps = _Steps()) -> list[Any]:
    """The quantity (kind, layer index i) on every trial, in the internal layout, from steps s."""
    out: list[Any] = []
    for t in c.trials:
        m = len(t.xs)
        if kind == "delta":
            out.append([[s.scale * v for v in _delta_row(c, t, x, i, s)] for x in range(m)])
            continue
        examples = [m - 1] if s.last_only else list(range(m))
        total = s.total or c.reduction
        # the mean divides by m; one example alone (last_only) is not divided
        k = s.scale / (m if total == "mean" and not s.last_only else 1)
        if kind == "grad_b":  # BP3: ∂C/∂b^l_j = δ^l_j, over the batch
            rows = [s.delta(c, t, x, i) for x in examples]
            out.append([k * sum(r[j] for r in rows) for j in range(len(rows[0]))])
            continue
        # BP4: ∂C/∂w^l_jk = a^{l−1}_k δ^l_j, over the batch
        pairs = [(s.delta(c, t, x, i), s.a_in(c, t, x, i)) for x in examples]
        if s.swapped:
            pairs = [(a, d) for d, a in pairs]
        rows_n, cols_n = len(pairs[0][0]), len(pairs[0][1])
        out.append(
            [
                [k * sum(d[j] * a[kk] for d, a in pairs) for kk in range(cols_n)]
                for j in range(rows_n)
            ]
        )
    return out


def _learner_back(c: _Check, t: _Trial, x: int, i: int) -> list[float]:
    return _matvec_t(t.weights[i + 1], t.got_deltas[i + 1][x])  # with the learner's δ^{l+1}


def _learner_delta(c: _Check, t: _Trial, x: int, i: int) -> list[float]:
    return list(t.got_deltas[i][x])


# The right equation applied to the learner's own numbers of the step before
_FROM_LEARNER = _Steps(back=_learner_back, delta=_learner_delta)


def _computed_from_learner(c: _Check, kind: str, i: int) -> bool:
    """Whether the learner's quantity is the right equation of their own wrong inputs."""
    if kind == "delta" and i == c.n_layers - 1:
        return False  # δ^L is computed from the cost alone
    return _fits(c, kind, i, _walk(c, kind, i, _FROM_LEARNER))


# ---------------------------------------------------------------------------------------------
# The registry of known mistakes: each the walk with one step replaced, and its sentence.
# ---------------------------------------------------------------------------------------------

# (steps, message) of one form of a mistake, where it can happen
_Form = tuple[_Steps, str]


@dataclass(frozen=True)
class _Mistake:
    """A registered mistake at one equation: its forms (the walk with one step replaced, and
    the sentence naming it, written through the notation) wherever the setting allows them."""

    key: str  # a key of MISTAKES
    at: str  # the equation whose quantity it changes: BP1, BP2, BP3 or BP4
    forms: Callable[[_Check, int], Iterator[_Form]]
    signed: bool = False  # also tried with every sign flipped (y − a for a − y as well)


def _equation_name(c: _Check, kind: str, i: int) -> str:
    if kind == "delta":
        return "BP1" if i == c.n_layers - 1 else "BP2"
    return "BP3" if kind == "grad_b" else "BP4"


def _const(values: list[float]) -> _Step:
    return lambda c, t, x, i: list(values)


def _sigma(c: _Check, t: _Trial, x: int, i: int) -> list[float]:
    return list(t.acts[x][i + 1])  # σ(z^l) = a^l


def _ones(c: _Check, t: _Trial, x: int, i: int) -> list[float]:
    return [1.0] * len(t.zs[x][i])


def _targets(t: _Trial, x: int, n: int) -> list[float]:
    y = t.ys[x]
    return [float(j == y) for j in range(n)] if isinstance(y, int) else list(y)


def _residual(c: _Check, t: _Trial, x: int, i: int) -> list[float]:
    a = t.acts[x][-1]  # a − y (with a class index: a − its one-hot vector)
    return [a_j - y_j for a_j, y_j in zip(a, _targets(t, x, len(a)), strict=True)]


def _a_minus_index(c: _Check, t: _Trial, x: int, i: int) -> list[float]:
    y = t.ys[x]
    assert isinstance(y, int)
    return [a - y for a in t.acts[x][-1]]


def _logit_slope(c: _Check, t: _Trial, x: int, i: int) -> list[float]:
    z = t.zs[x][-1]  # a cost on the logits applies the sigmoid to z itself
    return [_slope("sigmoid", z, j) for j in range(len(z))]


def _a_minus_y_pairs() -> str:
    """The cost table's matching pairs whose δ^L is a − y itself: 'sigmoid + …, … and …'."""
    pairs = [f"{r.pair} + {r.name}" for r in costs.COSTS.values() if r.pair and r.wrt == "a"]
    return " and ".join(", ".join(pairs).rsplit(", ", 1))


def _non_square(sizes: list[int], i: int) -> str:
    changed = list(sizes)
    changed[i + 1] = sizes[i + 1] + 1
    return ",".join(str(n) for n in changed)


def _sigma_for_sigma_prime(c: _Check, i: int) -> Iterator[_Form]:
    S, layer = c.s, i + 2
    if i == c.n_layers - 1:
        if c.output == "softmax":
            return
        yield (
            _Steps(slope=_sigma),
            f"BP1 multiplies ∂{S('cost', 0)}/∂{S('a', layer)} by {S('sigma', 0)}({S('z', layer)}), "
            f"the activation itself, where {S('sigma', 0)}'({S('z', layer)}), its derivative, "
            "belongs"
            + (
                f" (for a sigmoid {S('sigma', 0)}' = {S('sigma', 0)}(1 − {S('sigma', 0)}), so "
                f"{S('sigma', 0)} alone is missing the factor 1 − {S('sigma', 0)})"
                if c.output == "sigmoid"
                else ""
            ),
        )
        return
    yield (
        _Steps(slope=_sigma),
        f"BP2 multiplies ({S('w', layer + 1)})ᵀ {S('delta', layer + 1)} by "
        f"{S('sigma', 0)}({S('z', layer)}), the activation, where "
        f"{S('sigma', 0)}'({S('z', layer)}), its derivative, belongs",
    )


def _missing_sigma_prime(c: _Check, i: int) -> Iterator[_Form]:
    S, layer = c.s, i + 2
    out, cost = c.output, c.cost
    if i < c.n_layers - 1:
        if c.hidden != "linear":
            yield (
                _Steps(slope=_ones),
                f"BP2 is missing the factor {S('sigma', 0)}'({S('z', layer)}): "
                f"{S('delta', layer)} = (({S('w', layer + 1)})ᵀ {S('delta', layer + 1)}) ⊙ "
                f"{S('sigma', 0)}'({S('z', layer)}), and with {c.hidden} hidden units "
                f"{S('sigma', 0)}' ≠ 1",
            )
        return
    if (out, cost) in MATCHING or out == "linear":
        return
    pair = f"{out} output with the {cost} cost"
    yield (
        _Steps(output=_residual),
        f'{S("delta", layer)} was taken as {S("a", layer)} − y, the "error signal" of the matching '
        f"pairs, but for a {pair}, {S('sigma', 0)}' does not cancel: BP1 is "
        f"{S('delta', layer)} = {S('grad_a', layer)} ⊙ {S('sigma', 0)}'({S('z', layer)}), so "
        f"multiply by {S('sigma', 0)}'({S('z', layer)}). ({S('a', layer)} − {S('y', None)} alone "
        f"is {S('delta', layer)} only for {_a_minus_y_pairs()}.)",
    )
    yield (
        _Steps(output=_grad_a),
        f"{S('delta', layer)} is ∂{S('cost', 0)}/∂{S('a', layer)} without the factor "
        f"{S('sigma', 0)}'({S('z', layer)}): BP1 is {S('delta', layer)} = {S('grad_a', layer)} ⊙ "
        f"{S('sigma', 0)}'({S('z', layer)}), and for a {pair}, {S('sigma', 0)}' does not cancel",
    )


def _extra_sigma_prime(c: _Check, i: int) -> Iterator[_Form]:
    S, L = c.s, i + 2
    out, cost = c.output, c.cost
    on_logit = costs.COSTS[cost].wrt == "z"  # the cost applies the sigmoid to z itself
    if not (((out, cost) in MATCHING and out != "linear") or on_logit):
        return
    # δ^L = a − y already contains σ'; multiplying by it again
    yield (
        _Steps(extra=_logit_slope if on_logit else _sigma_prime),
        f"{S('delta', L)} was multiplied by {S('sigma', 0)}'({S('z', L)}) although for "
        f"{out} + {cost} that factor cancels: ∂{S('cost', 0)}/∂{S('a', L)} has "
        f"{S('sigma', 0)}'({S('z', L)}) in its denominator, so BP1 gives exactly "
        f"{S('delta', L)} = {S('a', L)} − y; drop the extra {S('sigma', 0)}'",
    )


def _class_index_as_number(c: _Check, i: int) -> Iterator[_Form]:
    S, L = c.s, i + 2
    if costs.COSTS[c.cost].targets.kind != "class":
        return
    yield (
        _Steps(output=_a_minus_index),
        f"{S('delta', L)} looks like {S('a', L)} − c with the class index c as a number: y "
        f"is the index of the target class, so {S('delta', L, ('j',))} = "
        f"{S('a', L, ('j',))} − 1[j = c] (subtract 1 only "
        "at j = c, i.e. use the one-hot vector of class c)",
    )


def _not_transposed(c: _Check, i: int) -> Iterator[_Form]:
    S, N, layer = c.s, c.ln, i + 2
    n, up = c.sizes[i + 1], c.sizes[i + 2]
    if n > up:
        return  # row k of w^{l+1} has too few entries for δ^{l+1}: the code fails instead

    def rows(c: _Check, t: _Trial, x: int, i: int) -> list[float]:
        # Σ_j w^{l+1}_kj δ^{l+1}_j over the first n entries: row k where column k belongs
        w, d = t.weights[i + 1], t.deltas[x][i + 1]
        return [sum(w[k][j] * d[j] for j in range(n)) for k in range(n)]

    if n == up:
        why = (
            f"BP2 used {S('w', layer + 1)} {S('delta', layer + 1)} instead of "
            f"({S('w', layer + 1)})ᵀ {S('delta', layer + 1)}: {S('delta', layer, ('k',))} = "
            f"{c.sum_over('j')} "
            f"{S('w', layer + 1, ('j', 'k'))} {S('delta', layer + 1, ('j',))} sums down column k "
            f"of {S('w', layer + 1)}, not along row k. Here {S('w', layer + 1)} is square "
            f"({up}×{n}), so the shapes hid the mistake; with a different number of neurons in "
            f"layers {N(layer)} and {N(layer + 1)} (e.g. --net {_non_square(c.sizes, i)}) the "
            "product would not even fit"
        )
    else:
        why = (
            f"BP2 used row k of {S('w', layer + 1)} instead of column k: "
            f"{S('delta', layer, ('k',))} = {c.sum_over('j')} {S('w', layer + 1, ('j', 'k'))} "
            f"{S('delta', layer + 1, ('j',))} needs ({S('w', layer + 1)})ᵀ. Row k has only {n} "
            f"entries against the {up} of {S('delta', layer + 1)}, so the sum (a zip?) silently "
            "stopped early instead of failing"
        )
    yield _Steps(back=rows), why


def _next_layer_slope(c: _Check, t: _Trial, x: int, i: int) -> list[float]:
    return list(t.slopes[x][i + 1])  # σ'(z^{l+1})


def _other_layers(c: _Check, i: int, kind: str) -> Iterator[int]:
    """The neighbouring layers (index) whose quantity of this kind has the same shape."""
    for other in (i + 1, i - 1):
        if not 0 <= other < c.n_layers or c.sizes[other + 1] != c.sizes[i + 1]:
            continue
        if kind == "grad_w" and c.sizes[other] != c.sizes[i]:
            continue
        yield other


def _shifted(other: int) -> _Step:
    return lambda c, t, x, i: list(t.deltas[x][other])


def _wrong_layer_delta(c: _Check, i: int) -> Iterator[_Form]:
    S, N, layer = c.s, c.ln, i + 2
    if 0 < i + 1 < c.n_layers and c.sizes[i + 1] == c.sizes[i + 2]:  # BP2, σ' of layer l+1
        yield (
            _Steps(slope=_next_layer_slope),
            f"BP2 used {S('sigma', 0)}'({S('z', layer + 1)}), the derivative at layer "
            f"{N(layer + 1)}, where {S('sigma', 0)}'({S('z', layer)}) belongs: "
            f"{S('delta', layer)} = (({S('w', layer + 1)})ᵀ {S('delta', layer + 1)}) ⊙ "
            f"{S('sigma', 0)}'({S('z', layer)})",
        )
    for other in _other_layers(c, i, "delta"):
        yield _Steps(output=_shifted(other)), _off_by_one(c, "delta", i, other)


def _off_by_one(c: _Check, kind: str, i: int, other: int) -> str:
    return (
        f"the numbers returned for {c.s(kind, i + 2)} are those of {c.s(kind, other + 2)}: "
        f"an off-by-one in the layer index (index i of the lists is layer {c.ln(2)} + i)"
    )


def _bp3_wrong_layer(c: _Check, i: int) -> Iterator[_Form]:
    S, layer = c.s, i + 2
    for other in _other_layers(c, i, "grad_b"):
        yield (
            _Steps(delta=_shifted(other)),
            f"{S('grad_b', layer)} was set to {S('delta', other + 2)}, the {S('delta', None)} "
            f"of the wrong layer: BP3 is {S('grad_b', layer, ('j',))} = "
            f"{S('delta', layer, ('j',))} (the same layer)",
        )


def _bp4_wrong_layer(c: _Check, i: int) -> Iterator[_Form]:
    S, layer = c.s, i + 2
    for other in _other_layers(c, i, "grad_b"):
        yield (
            _Steps(delta=_shifted(other)),
            f"BP4 used {S('delta', other + 2)}, the {S('delta', None)} of the wrong layer: "
            f"{S('grad_w', layer, ('j', 'k'))} = {S('a', layer - 1, ('k',))} "
            f"{S('delta', layer, ('j',))} ({S('delta', None)} of the same layer as "
            f"{S('w', layer)})",
        )


def _last_example_only(c: _Check, i: int, kind: str) -> Iterator[_Form]:
    S, layer = c.s, i + 2
    if not c.batch or c.batch < 2:
        return
    mean = f"({S('mean', None)}) " if c.reduction == "mean" else ""
    what = "mean" if c.reduction == "mean" else "sum"
    if kind == "grad_b":
        formula = f"{c.sum_x} {S('delta', layer, ('j',))}({c.example})"
        head = f"{S('grad_b', layer)} is the {S('delta', layer)} of the last example only"
    else:
        formula = (
            f"{c.sum_x} {S('a', layer - 1, ('k',))}({c.example}) "
            f"{S('delta', layer, ('j',))}({c.example})"
        )
        head = f"{S('grad_w', layer)} comes from the last example only"
    yield (
        _Steps(last_only=True),
        f"{head}: the batch cost {c.batch_cost()} gives "
        f"{S(kind, layer, ('j',) if kind == 'grad_b' else ('j', 'k'))} = {mean}{formula}, the "
        f"{what} over all the examples",
    )


def _a_of(offset: int) -> _Step:
    return lambda c, t, x, i: list(t.acts[x][i + offset])


def _z_below(c: _Check, t: _Trial, x: int, i: int) -> list[float]:
    return list(t.zs[x][i - 1])  # z^{l−1} where a^{l−1} = σ(z^{l−1}) belongs


def _wrong_activation(c: _Check, i: int) -> Iterator[_Form]:
    S, N, layer = c.s, c.ln, i + 2
    rows, cols = c.sizes[i + 1], c.sizes[i]
    if rows == cols:
        yield (
            _Steps(a_in=_a_of(1)),
            f"BP4 used {S('a', layer)} where {S('a', layer - 1)} belongs: "
            f"{S('grad_w', layer, ('j', 'k'))} = {S('a', layer - 1, ('k',))} "
            f"{S('delta', layer, ('j',))}, with the activations coming INTO layer {N(layer)} "
            f"({S('w', layer)} multiplies {S('a', layer - 1)} in {S('z', layer)} = "
            f"{S('w', layer)} {S('a', layer - 1)} + {S('b', layer)}). Layers {layer - 1} and "
            f"{layer} have the same width here, so the shapes hid it",
        )


def _wrong_activation_above(c: _Check, i: int) -> Iterator[_Form]:
    S, N, layer = c.s, c.ln, i + 2
    if i + 2 < len(c.sizes) and c.sizes[i + 2] == c.sizes[i]:
        yield (
            _Steps(a_in=_a_of(2)),
            f"BP4 used {S('a', layer + 1)} where {S('a', layer - 1)} belongs: "
            f"{S('grad_w', layer, ('j', 'k'))} = {S('a', layer - 1, ('k',))} "
            f"{S('delta', layer, ('j',))} (the activations coming into layer {N(layer)})",
        )


def _outer_product_swapped(c: _Check, i: int) -> Iterator[_Form]:
    S, layer = c.s, i + 2
    if c.sizes[i + 1] == c.sizes[i]:
        yield (
            _Steps(swapped=True),
            f"BP4's outer product is the wrong way round: {S('grad_w', layer, ('j', 'k'))} "
            f"= {S('a', layer - 1, ('k',))} {S('delta', layer, ('j',))}, i.e. {S('delta', layer)} "
            f"({S('a', layer - 1)})ᵀ with rows j and columns k; you computed "
            f"{S('a', layer - 1)} ({S('delta', layer)})ᵀ, its transpose ({S('w', layer)} is "
            "square here, so the shapes hid it)",
        )


def _z_for_a(c: _Check, i: int) -> Iterator[_Form]:
    S, layer = c.s, i + 2
    if i >= 1:
        yield (
            _Steps(a_in=_z_below),
            f"BP4 used {S('z', layer - 1)} where {S('a', layer - 1)} = "
            f"{S('sigma', 0)}({S('z', layer - 1)}) belongs: "
            f"{S('grad_w', layer, ('j', 'k'))} = {S('a', layer - 1, ('k',))} "
            f"{S('delta', layer, ('j',))}",
        )


# How a learner writes ∂C/∂a_j for a cost C = k Σ_j (a_j − y_j)²: (text, multiple of a − y,
# has the 2 of the square, has a 1/n). The cost table's row gives k (½, 1/n or 1), so the right
# form is 2k (a − y); every other form is a named constant-factor mistake.
_SQUARE_FORMS: tuple[tuple[str, Callable[[int], float], bool, bool], ...] = (
    ("{a} − {y}", lambda n: 1.0, False, False),
    ("2({a} − {y})", lambda n: 2.0, True, False),
    ("2({a} − {y})/n", lambda n: 2.0 / n, True, True),
    ("({a} − {y})/n", lambda n: 1.0 / n, False, True),
)


def _square_forms(c: _Check, i: int, key: str) -> Iterator[_Form]:
    """∂C/∂a of a squared cost written with a wrong constant: BP1's first step scaled."""
    row = costs.COSTS[c.cost]
    if row.factor is None or i != c.n_layers - 1:
        return
    S, L, n = c.s, c.n_layers + 1, c.sizes[-1]
    d, cost = S("delta", None), S("cost", None)
    a_j, y_j = S("a", L, ("j",)), S("y", None, ("j",))
    k_text, k = row.factor
    right = 2.0 * k(n)  # d/da of k (a − y)² = 2k (a − y)
    has_two, has_mean = k_text != "½", k_text == "1/n"  # a ½ cancels the 2 of the square
    grad = _formula(row.gradient_expr(), a=a_j, y=y_j, n="n")
    # C from the row's factor, in the notation's symbols: k Σ_j (a_j − y_j)²
    k_shown = {"1": "", "½": "½ "}.get(k_text, f"({k_text}) ")  # ½ Σ, (1/n) Σ, or Σ alone
    formula = f"{k_shown}{c.sum_over('j')} ({a_j} − {y_j})²"
    seen: list[float] = []
    # forms with the row's own 1/n (or its absence) first: with n = 1, (a − y)/n is a − y, and
    # the mistake is then the factor 2, not the mean
    for text, value, two, mean in sorted(_SQUARE_FORMS, key=lambda f: f[3] != has_mean):
        ratio = value(n) / right
        if _close(ratio, 1.0) or any(_close(ratio, r) for r in seen):
            continue
        seen.append(ratio)
        why = []
        if two and not has_two:
            why.append("the ½ cancels the 2 from the square")
        if has_two and not two:
            why.append("the factor 2 from the square is missing")
        if mean and not has_mean:
            why.append(f"there is no 1/n: {row.name} is a sum over the outputs (the mean is mse)")
        if has_mean and not mean:
            why.append(f"the 1/n of the mean over the n = {n} outputs is missing")
        if ("missing_output_mean" if mean != has_mean else "factor_two") != key:
            continue
        yield (
            _Steps(scale=ratio),
            f"{d} is {_num(ratio)} times the right one: ∂{cost}/∂{a_j} was taken as "
            f"{text.format(a=a_j, y=y_j)}, but {row.name} is {cost} = {formula}, so "
            f"∂{cost}/∂{a_j} = {grad}: {' and '.join(why)}",
        )


def _missing_batch_mean(kind: str) -> Callable[[_Check, int], Iterator[_Form]]:
    return lambda c, i: _batch_sum_for_mean(c, i, kind)


def _batch_sum_for_mean(c: _Check, i: int, kind: str) -> Iterator[_Form]:
    m = c.batch or 1
    if m >= 2 and c.reduction == "mean":
        yield (
            _Steps(total="sum"),
            f"{c.s(kind, i + 2)} is {m} times too large: it is the SUM over the batch, but the "
            f"batch cost is the mean {_batch_mean(c.notation, c.style)}, so divide by "
            f"{c.size} = {m}. (If your course defines the batch cost as the sum "
            f'{_batch_sum(c.notation, c.style)}, grade with reduction="sum", or --reduction sum '
            "on the "
            "command line.)",
        )


def _extra_batch_mean(c: _Check, i: int) -> Iterator[_Form]:
    m = c.batch or 1
    if m < 2:
        return
    d, mean, x = c.s("delta", None), c.s("mean", None), c.example
    own = _sym("cost", None, (x,), c.notation, style=c.style)
    yield (
        _Steps(scale=1.0 / m),
        f"{d} is divided by {c.size} = {m}: deltas are per example, {d}({x}) = "
        f"∂{own}/∂{c.s('z', None)}({x}) for that example's own cost; the {mean} of the "
        f"batch mean belongs only in {c.s('grad_w', None)} and {c.s('grad_b', None)}",
    )


def _extra_batch_mean_grads(kind: str) -> Callable[[_Check, int], Iterator[_Form]]:
    return lambda c, i: _divided_too_often(c, i, kind)


def _divided_too_often(c: _Check, i: int, kind: str) -> Iterator[_Form]:
    m = c.batch or 1
    if m < 2:
        return
    d, mean = c.s("delta", None), c.s("mean", None)
    name = c.s(kind, i + 2)
    if c.reduction == "sum":
        yield (
            _Steps(total="mean"),
            f"{name} is divided by {c.size} = {m}: this check's batch cost is the sum "
            f'{_batch_sum(c.notation, c.style)} (reduction="sum"), so the gradients are sums over '
            f"the batch, with no {mean}",
        )
    else:
        yield (
            _Steps(scale=1.0 / m),
            f"{name} is divided by {c.size} = {m} once too often: the mean over the batch "
            f"needs one {mean}, applied once (if {d} was already divided, do not divide "
            "again)",
        )


def _sign_flip(c: _Check, i: int) -> Iterator[_Form]:
    a_L, d = c.s("a", c.n_layers + 1), c.s("delta", None)
    yield (
        _Steps(scale=-1.0),
        f"every number has the wrong sign: the cost's derivative is written {a_L} − y (output "
        f"minus target); y − {a_L} flips every {d} and gradient",
    )


def _squares(key: str) -> Callable[[_Check, int], Iterator[_Form]]:
    return lambda c, i: _square_forms(c, i, key)


def _last(kind: str) -> Callable[[_Check, int], Iterator[_Form]]:
    return lambda c, i: _last_example_only(c, i, kind)


# Every registered mistake, in the order the diagnosis tries them at each equation: the forms
# that change one step of the structure first, then the constant factors that have a name.
REGISTRY: tuple[_Mistake, ...] = (
    # BP1: δ^L = ∇_a C ⊙ σ'(z^L)
    _Mistake("sigma_for_sigma_prime", "BP1", _sigma_for_sigma_prime),
    _Mistake("missing_sigma_prime", "BP1", _missing_sigma_prime),
    _Mistake("extra_sigma_prime", "BP1", _extra_sigma_prime),
    _Mistake("class_index_as_number", "BP1", _class_index_as_number),
    _Mistake("wrong_layer_delta", "BP1", _wrong_layer_delta),
    _Mistake("missing_output_mean", "BP1", _squares("missing_output_mean"), signed=True),
    _Mistake("factor_two", "BP1", _squares("factor_two"), signed=True),
    _Mistake("extra_batch_mean", "BP1", _extra_batch_mean, signed=True),
    _Mistake("sign_flip", "BP1", _sign_flip),
    # BP2: δ^l = ((w^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l)
    _Mistake("sigma_for_sigma_prime", "BP2", _sigma_for_sigma_prime),
    _Mistake("missing_sigma_prime", "BP2", _missing_sigma_prime),
    _Mistake("not_transposed", "BP2", _not_transposed),
    _Mistake("wrong_layer_delta", "BP2", _wrong_layer_delta),
    _Mistake("extra_batch_mean", "BP2", _extra_batch_mean, signed=True),
    _Mistake("sign_flip", "BP2", _sign_flip),
    # BP3: ∂C/∂b^l_j = δ^l_j (over a batch: its mean, or its sum with reduction="sum")
    _Mistake("wrong_layer_delta", "BP3", _bp3_wrong_layer),
    _Mistake("last_example_only", "BP3", _last("grad_b")),
    _Mistake("missing_batch_mean", "BP3", _missing_batch_mean("grad_b"), signed=True),
    _Mistake("extra_batch_mean", "BP3", _extra_batch_mean_grads("grad_b"), signed=True),
    _Mistake("sign_flip", "BP3", _sign_flip),
    # BP4: ∂C/∂w^l_jk = a^{l−1}_k δ^l_j (over a batch likewise)
    _Mistake("wrong_activation", "BP4", _wrong_activation),
    _Mistake("outer_product_swapped", "BP4", _outer_product_swapped),
    _Mistake("wrong_activation", "BP4", _wrong_activation_above),
    _Mistake("z_for_a", "BP4", _z_for_a),
    _Mistake("wrong_layer_delta", "BP4", _bp4_wrong_layer),
    _Mistake("last_example_only", "BP4", _last("grad_w")),
    _Mistake("missing_batch_mean", "BP4", _missing_batch_mean("grad_w"), signed=True),
    _Mistake("extra_batch_mean", "BP4", _extra_batch_mean_grads("grad_w"), signed=True),
    _Mistake("sign_flip", "BP4", _sign_flip),
)


# ---------------------------------------------------------------------------------------------
# The diagnosis: zero first, then the registry in order, then what no registered mistake names.
# ---------------------------------------------------------------------------------------------


def _sentence(text: str) -> str:
    return text if text.endswith((".", ".)")) else text + "."


def _fits(c: _Check, kind: str, i: int, values: list[Any]) -> bool:
    for t, v in zip(c.trials, values, strict=True):
        got, want = _flat(c.got(t, kind, i)), _flat(v)
        if len(got) != len(want) or not all(_close(g, w) for g, w in zip(got, want, strict=True)):
            return False
    return True


def _ratio(c: _Check, kind: str, i: int) -> float | None:
    """The constant received/expected over every entry of every trial, if there is one."""
    ratio: float | None = None
    for t in c.trials:
        for want, got in zip(_flat(c.truth(t, kind, i)), _flat(c.got(t, kind, i)), strict=True):
            if abs(want) < 1e-7:
                if abs(got) > 1e-7:
                    return None
                continue
            r = got / want
            if ratio is None:
                ratio = r
            elif not _close(r, ratio):
                return None
    return ratio


# A learner's number this small against right numbers of size 1 is 0 computed with rounding
ZERO_TOL = 1e-12


def _zero(c: _Check, kind: str, i: int) -> Diagnosis | None:
    """'is 0 on every trial' when the learner's quantity is 0, exactly or up to rounding."""
    got = [_flat(c.got(t, kind, i)) for t in c.trials]
    name = c.s(kind, i + 2)
    if all(v == 0.0 for g in got for v in g):
        return Diagnosis(
            "not_filled_in",
            f"every entry of {name} is 0 on every trial: this step is not computed yet (still a "
            f"placeholder? fill in the line for {_equation_name(c, kind, i)}).",
        )
    for t, g in zip(c.trials, got, strict=True):
        size = max([1.0, *(abs(v) for v in _flat(c.truth(t, kind, i)))])
        if not all(math.isfinite(v) and abs(v) <= ZERO_TOL * size for v in g):
            return None
    largest = max(abs(v) for g in got for v in g)
    # the likely cause, where a formula of the grammar is 0 on every trial too (for softmax +
    # cross-entropy: a sum over the classes as well as the examples)
    found = _learner_formula(c, kind, i)
    cause = f". {_said(c, found)}".rstrip(".") if found is not None and found.zero else ""
    return Diagnosis(
        "zero",
        _sentence(
            f"every entry of {name} is 0 on every trial, up to rounding (the largest is "
            f"{_num(largest)}), where the right numbers are not{cause}"
        ),
    )


def _constant_factor(c: _Check, kind: str, i: int) -> Diagnosis | None:
    """A constant factor with no name; per layer when the wrong layers differ."""
    ratio = _ratio(c, kind, i)
    if ratio is None or _close(ratio, 1.0):
        return None
    factors = []  # every wrong quantity that is a constant multiple of the right one
    for k, j in c.order():
        r = _ratio(c, k, j)
        if r is not None and not _close(r, 1.0):
            factors.append((c.s(k, j + 2), r))
    check = f"check the constants in the cost's derivative and any {c.s('mean', None)} or 1/n"
    if all(_close(r, ratio) for _, r in factors):
        return Diagnosis(
            "constant_factor",
            f"every number is {_num(ratio)} times the right one, on every trial: a constant "
            f"factor is wrong ({check}).",
        )
    each = ", ".join(f"{name} is {_num(r)} times" for name, r in factors)
    return Diagnosis(
        "constant_factor",
        f"each wrong layer is off by its own constant factor, on every trial: {each} the right "
        f"one ({check}; a factor that grows layer by layer comes from a step that is repeated "
        "in BP2).",
    )


def _learner_formula(c: _Check, kind: str, i: int) -> formula_search.Found | None:
    """The formula the learner's quantity equals on every trial (nn.formula_search), or None;
    searched once per quantity, whichever style the check writes in."""
    if (kind, i) not in c.found:
        c.found[kind, i] = formula_search.explain_quantity(
            c.trials, kind, i, c.sizes, c.hidden, c.output, c.cost, c.batch, c.notation, c.reduction
        )
    found: formula_search.Found | None = c.found[kind, i]
    return found


def _said(c: _Check, found: formula_search.Found) -> str:
    """The learner-formula sentence in the check's style."""
    return found.sentence_unicode if c.style == "unicode" else found.sentence


def _beyond_catalogue(c: _Check, kind: str, i: int) -> Diagnosis | None:
    """The diagnosis when no registered mistake fits the first wrong quantity: the learner's
    own formula, found by a bounded search of what that step has at hand (or a stale-weights
    hint); None falls back to a constant factor, or to 'nothing_fits' with the table."""
    found = _learner_formula(c, kind, i)
    if found is None or found.zero:
        return None
    return Diagnosis("learner_formula", _said(c, found), detail=found.gist)


def _diagnose(c: _Check, kind: str, i: int) -> Diagnosis | None:
    """Which mistake fits the first wrong quantity (kind, layer index i) on every trial."""
    zero = _zero(c, kind, i)
    if zero is not None:
        return zero
    at = _equation_name(c, kind, i)
    signed: list[tuple[str, _Steps, str]] = []
    for mistake in REGISTRY:
        if mistake.at != at:
            continue
        for steps, message in mistake.forms(c, i):
            if _fits(c, kind, i, _walk(c, kind, i, steps)):
                return Diagnosis(mistake.key, _sentence(message))
            if mistake.signed:
                signed.append((mistake.key, steps, message))
    a_L = c.s("a", c.n_layers + 1)
    for key, steps, message in signed:  # the same, with y − a for a − y as well
        flipped = replace(steps, scale=-steps.scale)
        if _fits(c, kind, i, _walk(c, kind, i, flipped)):
            return Diagnosis(
                key, message + f"; and the sign is flipped too ({a_L} − y, not y − {a_L})."
            )
    return _beyond_catalogue(c, kind, i) or _constant_factor(c, kind, i)


# ---------------------------------------------------------------------------------------------
# The public function.
# ---------------------------------------------------------------------------------------------


def _cost_name(cost: str) -> str:
    if not isinstance(cost, str):
        raise TypeError(f"cost must be the name of a cost, got {type(cost).__name__}")
    return costs.get(cost).name  # a documented alias (half_mse) gives its row's name


MAX_WEIGHTS = 10_000  # the largest network a check builds, in weights: enough for any exercise


def weight_count(sizes: Sequence[int]) -> int:
    """The number of weights of a network with these layer widths."""
    return sum(a * b for a, b in itertools.pairwise(sizes))


def _check_sizes(sizes: object) -> list[int]:
    if isinstance(sizes, str) or not isinstance(sizes, Sequence):
        raise TypeError(
            f"sizes must list every layer's width, input first, such as [2, 3, 1], got {sizes!r}"
        )
    widths = list(sizes)
    if len(widths) < 2 or not all(
        isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in widths
    ):
        raise ValueError(
            f"sizes must list at least two positive layer widths, input first, such as "
            f"[2, 3, 1], got {sizes!r}"
        )
    if weight_count(widths) > MAX_WEIGHTS:
        raise ValueError(
            f"a {'-'.join(map(str, widths))} network has {weight_count(widths):,} weights, more "
            f"than the {MAX_WEIGHTS:,} a check builds; a small network finds the same mistakes"
        )
    return widths


@dataclass(frozen=True)
class Outcome:
    """What the learner's function did on one trial, as plain data: returned or raised.

    ``returned`` is what it returned (any value; read and checked by the grader), ``raised`` the
    sentence saying what it raised or called instead (None when it returned). A child process
    that runs a submission sends these back; the verdict is made from them in the parent.
    """

    returned: Any = None
    raised: str | None = None
    error: str | None = None  # the exception's class name (SystemExit for sys.exit)
    line: str | None = None  # the learner's line of code it was raised at, when known


def call_learner(fn: Callable[..., Any], args: Sequence[Any]) -> Outcome:
    """Run fn(*args) once: what it returned, or the sentence saying what it raised or exited."""
    try:
        return Outcome(returned=fn(*args))
    except (Exception, SystemExit) as e:  # not KeyboardInterrupt: Ctrl-C stops the check
        code = repr(e.code) if isinstance(e, SystemExit) else None
        what = raised_sentence(type(e).__name__, str(e), code, _where_it_failed(e, fn))
        frame = _learner_line(e, fn)
        line = frame.line.strip() if frame is not None and frame.line else None
        return Outcome(raised=what, error=type(e).__name__, line=line)


@dataclass
class Plan:
    """The random networks of one check, with the graph's numbers: ``inputs()`` to run the
    learner's function on, ``grade(outcomes)`` to compare what it did with the graph."""

    sizes: list[int]
    activation: str
    output_activation: str
    cost: str
    trials: int
    batch: int | None
    notation: Notation
    runs: list[_Trial]
    reduction: str = "mean"  # the batch cost: the mean of the examples' costs, or their sum

    def inputs(self) -> list[tuple[Any, Any, Any, Any]]:
        """(weights, biases, x, y) for each trial, fresh plain lists the function may change."""
        out: list[tuple[Any, Any, Any, Any]] = []
        for t in self.runs:
            weights = [[list(r) for r in w] for w in t.weights]
            biases = [list(b) for b in t.biases]
            x: Any = [list(v) for v in t.xs] if self.batch else list(t.xs[0])
            y: Any
            if self.batch:
                y = [v if isinstance(v, int) else list(v) for v in t.ys]
            else:
                y = t.ys[0] if isinstance(t.ys[0], int) else list(t.ys[0])
            out.append((weights, biases, x, y))
        return out

    def grade(self, outcomes: Sequence[Outcome]) -> BackpropReport:
        """The report on what the function did, one outcome per trial (stops at the first
        that raised)."""
        return _grade(self, outcomes)


def plan_check(
    sizes: Sequence[int],
    activation: str = "sigmoid",
    output_activation: str = "sigmoid",
    cost: str = "quadratic",
    trials: int = 20,
    seed: int = 0,
    notation: NotationLike = None,
    batch: int | None = None,
    reduction: str = "mean",
) -> Plan:
    """The networks and the graph's numbers for a check (arguments as for check_backprop)."""
    widths, hidden, output, cost = check_settings(
        sizes, activation, output_activation, cost, batch, reduction
    )
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise ValueError(f"trials must be a positive int, got {trials!r}")
    # resolved now: the report keeps the names it was made with, whatever use() does later
    resolved = notations.get(notation)
    rng = random.Random(seed)
    m = batch or 1
    runs = [_make_trial(rng, widths, hidden, output, cost, m, reduction) for _ in range(trials)]
    return Plan(widths, hidden, output, cost, trials, batch, resolved, runs, reduction)


def check_settings(
    sizes: Sequence[int],
    activation: str = "sigmoid",
    output_activation: str = "sigmoid",
    cost: str = "quadratic",
    batch: int | None = None,
    reduction: str = "mean",
) -> tuple[list[int], str, str, str]:
    """The settings of a check, checked without building anything: (the widths, the hidden
    and output activations, the cost); ValueError or TypeError says what cannot be graded."""
    widths = _check_sizes(sizes)
    hidden = check_activation(activation, output=False)
    output = check_activation(output_activation, output=True)
    cost = _cost_name(cost)
    costs.check_pair(cost, output)  # a pair that does not fit, refused with what fits
    if output == "softmax" and widths[-1] < 2:
        raise ValueError(
            "a softmax over one output is always 1, so every gradient would be 0 and any "
            "answer would pass; give the output layer at least 2 neurons"
        )
    if batch is not None and (isinstance(batch, bool) or not isinstance(batch, int) or batch < 1):
        raise ValueError(f"batch must be None (one example) or a positive int, got {batch!r}")
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"reduction must be 'mean' (the batch cost is the mean of the examples' costs, the "
            f"default) or 'sum' (their sum, as some courses define it), got {reduction!r}"
        )
    assert output in ACTIVATIONS
    return widths, hidden, output, cost


def check_backprop(
    fn: Callable[..., Any],
    sizes: Sequence[int],
    activation: str = "sigmoid",
    output_activation: str = "sigmoid",
    cost: str = "quadratic",
    trials: int = 20,
    seed: int = 0,
    notation: NotationLike = None,
    batch: int | None = None,
    reduction: str = "mean",
) -> BackpropReport:
    """Run fn(weights, biases, x, y) -> (deltas, grad_w, grad_b) against the graph; report.

    The function runs in this process; ``deltagrad grade`` runs a file's function in a child
    process instead (plan_check, then Plan.grade on what the child sends back). With a batch,
    reduction="mean" (the default) grades the gradients of C = (1/m) Σ_x C_x, and
    reduction="sum" those of C = Σ_x C_x, for courses that define the batch cost as a sum.
    """
    if not callable(fn):
        raise TypeError(f"fn must be the learner's backprop function, got {type(fn).__name__}")
    plan = plan_check(
        sizes, activation, output_activation, cost, trials, seed, notation, batch, reduction
    )
    outcomes: list[Outcome] = []
    for args in plan.inputs():
        outcomes.append(call_learner(fn, args))
        if outcomes[-1].raised is not None:
            break
    return plan.grade(outcomes)


def _grade(plan: Plan, outcomes: Sequence[Outcome]) -> BackpropReport:
    widths, batch, notation, runs = plan.sizes, plan.batch, plan.notation, plan.runs
    check = _Check(
        widths,
        plan.activation,
        plan.output_activation,
        plan.cost,
        batch,
        notation,
        runs,
        plan.reduction,
    )
    in_unicode = replace(check, style="unicode")  # the check writing its sentences in unicode
    report = BackpropReport(
        ok=False,
        sizes=widths,
        activation=plan.activation,
        output_activation=plan.output_activation,
        cost=plan.cost,
        trials=plan.trials,
        batch=batch,
        notation=notation,
        reduction=plan.reduction,
    )
    reader = _Reader(widths, batch, notation)
    if len(outcomes) < len(runs) and (not outcomes or outcomes[-1].raised is None):
        raise ValueError(f"{len(runs)} trials but {len(outcomes)} outcomes")
    for t, outcome in zip(runs, outcomes, strict=False):
        if outcome.raised is not None:
            report.diagnosis = Diagnosis(
                "exception",
                _sentence(outcome.raised) + _shapes_hint(outcome, widths, batch, notation),
            )
            return report
        try:
            t.got_deltas, t.got_w, t.got_b = reader.read(outcome.returned)
        except _Problem as p:
            said = str(p)
            try:  # the same problem, its symbols in unicode
                _Reader(widths, batch, notation, "unicode").read(outcome.returned)
            except _Problem as problem:
                said = str(problem)
            report.diagnosis = Diagnosis(p.mistake, _sentence(str(p)), _sentence(said))
            return report
    for kind, i in check.order():
        bad = _first_bad(check, kind, i)
        if bad is None:
            continue
        trial, index, want, got = bad
        if report.mismatch is None:
            t = runs[trial]
            report.mismatch = Mismatch(
                quantity=kind,
                layer=i + 2,
                index=index[1:] if kind == "delta" else index,
                trial=trial,
                example=index[0] if kind == "delta" and batch else None,
                expected=want,
                received=got,
                equation=check.equation(t, kind, i, index),
                equation_unicode=in_unicode.equation(t, kind, i, index),
            )
            report.diagnosis = _diagnose(check, kind, i)
            if report.diagnosis is not None:  # the same diagnosis, its symbols in unicode
                same = _diagnose(in_unicode, kind, i)
                if same is not None and same.mistake == report.diagnosis.mistake:
                    report.diagnosis = replace(report.diagnosis, unicode=same.message)
            if report.diagnosis is None:
                report.diagnosis = Diagnosis(
                    "nothing_fits",
                    "none of the known mistakes fits these numbers on every trial; compare your "
                    "numbers with the expected ones below, entry by entry, and write out the "
                    "equation above for one of them.",
                )
                example = kind == "delta" and bool(batch)
                report.table = [
                    Row(check.symbol(kind, i, ix), w, g, ix[0] if example else None)
                    for ix, w, g in zip(
                        check.indices(kind, i),
                        _flat(check.truth(t, kind, i)),
                        _flat(check.got(t, kind, i)),
                        strict=True,
                    )
                ]
        name = _sym(kind, i + 2, (), notation, batch=bool(batch))
        report.symbols[name] = _tokens(kind, i + 2, (), notation, batch=bool(batch))
        if report.wrong and _computed_from_learner(check, kind, i):
            report.computed_from.append(name)
        report.wrong.append(name)
    report.ok = report.mismatch is None
    return report


def _first_bad(c: _Check, kind: str, i: int) -> tuple[int, tuple[int, ...], float, float] | None:
    for n, t in enumerate(c.trials):
        for index, want, got in zip(
            c.indices(kind, i), _flat(c.truth(t, kind, i)), _flat(c.got(t, kind, i)), strict=True
        ):
            if not _close(got, want):
                return n, index, want, got
    return None


# what a shape error says (numpy's and Python's own words) and the names a line of BP2 uses
_SHAPE_WORDS = ("shape", "broadcast", "align", "matmul", "dimension", "size")
_NAME = re.compile(r"[^\W\d]\w*")


def _bp2_line(line: str | None) -> bool:
    """Whether a line of code reads weights and deltas together, as BP2 does."""
    names = [n.lower() for n in _NAME.findall(line or "")]
    weights = any(n.startswith("w") for n in names)
    deltas = any(n.startswith(("d", "δ")) and n not in ("def", "dot", "dtype") for n in names)
    return weights and deltas


def _shapes_hint(
    outcome: Outcome, sizes: list[int], batch: int | None, notation: NotationLike
) -> str:
    """After a shape error, the shapes of the network; in BP2, the transpose it often needs."""
    said = (outcome.raised or "").lower()
    shape_error = outcome.error == "IndexError" or (
        outcome.error in ("ValueError", "TypeError") and any(w in said for w in _SHAPE_WORDS)
    )
    if not shape_error:
        return ""

    def S(quantity: str, layer: int | str) -> str:
        return _sym(quantity, layer, (), notation)

    parts = []
    for i in range(len(sizes) - 1):
        layer = i + 2
        d = f"{batch}×{sizes[i + 1]}" if batch else f"{sizes[i + 1]}"
        parts.append(f"{S('w', layer)} {sizes[i + 1]}×{sizes[i]}, {S('delta', layer)} {d}")
    text = " The shapes in this network: " + "; ".join(parts) + "."
    if not _bp2_line(outcome.line):
        return text
    w_up, d_up = S("w", "l+1"), S("delta", "l+1")
    return text + (
        f" In BP2, check both factors of ({w_up})ᵀ {d_up}: it has one entry per neuron of layer "
        f"l"
        + (f" (with one row per example it is {d_up} @ {w_up})" if batch else "")
        + f", so {w_up} must be transposed and {d_up} must have the shape above (not one "
        "number, not transposed)."
    )
