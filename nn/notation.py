"""Textbook notations: what a node IS (a Name record) and how each course writes it.

Every node nn makes carries a :class:`Name` as its ``Value.label_record``: the quantity
(``"weight"``, ``"bias"``, ``"input"``, ``"preactivation"``, ``"activation"``, ``"cost"``), the
layer in Nielsen's numbering (the input is layer 1), and the indices j (the neuron) and k (the
neuron of layer l−1 a weight comes from), all 0-based. ``Value.label`` is the Name's text in
the active notation, so views never parse label text to learn what a node is.

A :class:`Notation` says how one course writes those quantities: its symbols for w, b, z, a,
δ and the cost, how it writes the layer (``w^2``, ``w^(1)``, ``W^[1]``), where it counts layers
from (``layer_offset``), whether the weight's indices read target-then-source (``"jk"``,
Nielsen's w^l_jk) or source-then-target (``"kj"``, LFD's w^(l)_ij), and where neuron indices
start (``index_base``). Built in (see ``NOTATIONS`` and docs/notation.md):

    nielsen     Nielsen, Neural Networks and Deep Learning (the default): w^l_jk, z, a, δ, C
    lfd         Abu-Mostafa et al., Learning From Data (e-Chapter 7): s, x, θ, w^(l)_ij, e
    ng          Ng, Deep Learning Specialization: W^[l], Z^[l], A^[l], dZ^[l], J
    goodfellow  Goodfellow et al., Deep Learning (ch. 6.5): a^(k) pre-activation, h^(k)

Choosing one::

    nn.notation.use("lfd")                 # globally, for every label and view
    with nn.notation.using("ng"): ...      # for a block, then back
    viz.svg(loss, notation="goodfellow")   # for one call (draw, svg, explain, stepper, compare)

A learner's own: ``Notation("mine", "my notes", w="θ", z="u", layer_offset=-1)``, then pass
it (or register it with :func:`register` and pass its key) wherever a notation is taken.

Rendering: :func:`render` writes a Name in a style: ``"ascii"`` (repr and terminal, the text
``Value.label`` shows: ``w^2_{1,0}``), ``"unicode"`` (``w²₁,₀``, for drawings and explain),
``"latex"`` (``w^{2}_{1,0}``, for notebooks) or ``"html"`` (``w<sup>2</sup><sub>1,0</sub>``);
:func:`parts` gives the (symbol, superscript, subscript) triple for other media (SVG tspans).
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from autograd import Label

__all__ = [
    "NOTATIONS",
    "QUANTITIES",
    "STYLES",
    "Name",
    "Notation",
    "active",
    "bp_equations",
    "compose",
    "delta",
    "delta_parts",
    "generic",
    "get",
    "parts",
    "register",
    "render",
    "symbol",
    "use",
    "using",
]

QUANTITIES = ("weight", "bias", "input", "preactivation", "activation", "cost")
STYLES = ("ascii", "unicode", "latex", "html")


@dataclass(frozen=True, slots=True)
class Name(Label):
    """What a node is: quantity, layer (Nielsen's numbering, input = 1), j, k (0-based).

    For a cost, ``example`` is the example's index in a batch (None for a single example)
    and ``batch`` marks the batch mean (1/m) Σ_x C_x.
    """

    quantity: str
    layer: int = 0
    j: int = 0
    k: int = 0
    example: int | None = None
    batch: bool = False

    def __post_init__(self) -> None:
        if self.quantity not in QUANTITIES:
            raise ValueError(
                f"Name quantity must be one of {', '.join(QUANTITIES)}, got {self.quantity!r}"
            )

    def __str__(self) -> str:
        return render(self)


@dataclass(frozen=True)
class Notation:
    """How one course writes the quantities of a network (see the module docstring)."""

    key: str
    title: str
    source: str = ""
    w: str = "w"
    b: str = "b"
    z: str = "z"
    a: str = "a"
    delta: str = "δ"
    cost: str = "C"  # one example's cost
    cost_batch: str = "C"  # the mean over a batch
    input: str = ""  # the input activations ("" means the activation symbol a)
    sigma: str = "σ"  # the activation function
    layer_offset: int = 0  # the layer as written = Nielsen's layer + layer_offset
    layer_brackets: tuple[str, str] = ("", "")  # ("(", ")") writes w^(l), ("[", "]") W^[l]
    index_order: str = "jk"  # "jk": w_{target,source} (Nielsen); "kj": w_{source,target} (LFD)
    index_base: int = 0  # the first neuron's index as written (0 as deltagrad counts, or 1)
    bias_as_weight: bool = False  # the bias is the weight from a constant unit (LFD's w_0j)
    notes: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not self.key or not isinstance(self.key, str):
            raise ValueError("a Notation needs a non-empty key, e.g. Notation('mine', 'my notes')")
        if self.index_order not in ("jk", "kj"):
            raise ValueError(
                f"notation {self.key!r}: index_order must be 'jk' (w_{{target,source}}, as "
                f"Nielsen) or 'kj' (w_{{source,target}}, as LFD), got {self.index_order!r}"
            )
        if len(self.layer_brackets) != 2:
            raise ValueError(
                f"notation {self.key!r}: layer_brackets must be a pair such as ('(', ')')"
            )
        for name in ("w", "b", "z", "a", "delta", "cost", "cost_batch", "sigma"):
            if not getattr(self, name):
                raise ValueError(f"notation {self.key!r}: the symbol for {name} is empty")


NIELSEN = Notation(
    "nielsen",
    "Nielsen",
    "Michael Nielsen, Neural Networks and Deep Learning (2015), chapter 2",
    notes={
        "layers": "the input is layer 1; the output layer is L",
        "index order": "w^l_jk: from neuron k of layer l−1 to neuron j of layer l",
        "cost": "C = (1/n) Σ_x C_x; quadratic C_x = ½ Σ_j (a^L_j − y_j)²",
    },
)
LFD = Notation(
    "lfd",
    "Learning From Data",
    "Abu-Mostafa, Magdon-Ismail and Lin, Learning From Data (2012), e-Chapter 7",
    z="s",
    a="x",
    cost="e",
    cost_batch="E_in",
    input="x",
    sigma="θ",
    layer_offset=-1,
    layer_brackets=("(", ")"),
    index_order="kj",
    index_base=1,
    bias_as_weight=True,
    notes={
        "layers": "the input is layer 0 (x^(0)); the output layer is L",
        "index order": "w^(l)_ij: from node i of layer l−1 to node j of layer l; nodes from 1",
        "b": "no bias symbol: LFD adds a constant node x^(l−1)_0 = 1, so the bias of node j is "
        "the weight w^(l)_0j",
        "cost": "e(w) = (x^(L)_1 − y)² for one example; E_in = (1/N) Σ_n e_n",
    },
)
NG = Notation(
    "ng",
    "Ng (Deep Learning Specialization)",
    "Andrew Ng, Deep Learning Specialization (Coursera, 2017), courses 1–2",
    delta="dz",
    cost="L",
    cost_batch="J",
    sigma="g",
    layer_offset=-1,
    layer_brackets=("[", "]"),
    index_base=1,
    notes={
        "layers": "the input is layer 0 (A^[0] = X); the output layer is L",
        "index order": "W^[l]_jk: row j (unit j of layer l), column k (unit k of layer l−1); "
        "units from 1; matrices W, Z, A, scalars w, z, a",
        "δ": "dz^[l]_j, short for ∂J/∂z^[l]_j (Ng's dZ^[l] for a layer)",
        "cost": "L(a, y) for one example; J = (1/m) Σ_i L(a^(i), y^(i))",
    },
)
GOODFELLOW = Notation(
    "goodfellow",
    "Goodfellow et al.",
    "Goodfellow, Bengio and Courville, Deep Learning (2016), section 6.5, algorithm 6.4",
    z="a",
    a="h",
    delta="g",
    cost="L",
    cost_batch="J",
    input="h",
    sigma="f",
    layer_offset=-1,
    layer_brackets=("(", ")"),
    index_base=1,
    notes={
        "layers": "the input is h^(0) = x; layers are counted with k, the last is l",
        "index order": "W^(k)_ij: row i (unit i of layer k), column j (unit j of layer k−1); "
        "written w^(l)_jk here, units from 1",
        "z": "a^(k) = b^(k) + W^(k) h^(k−1): Goodfellow's a is Nielsen's z",
        "δ": "g = ∇_{a^(k)} J, the gradient on the pre-activation (no δ symbol)",
        "cost": "L(ŷ, y) for one example; J adds the regularizer Ω and averages over examples",
    },
)

NOTATIONS: dict[str, Notation] = {n.key: n for n in (NIELSEN, LFD, NG, GOODFELLOW)}
_active: list[Notation] = [NIELSEN]


def register(notation: Notation) -> Notation:
    """Make a learner's notation available by its key (for --notation and notation='key')."""
    if not isinstance(notation, Notation):
        raise TypeError(f"register() needs a Notation, got {type(notation).__name__}")
    NOTATIONS[notation.key] = notation
    return notation


def get(notation: str | Notation | None = None) -> Notation:
    """The Notation for a key or a Notation; None means the active one."""
    if notation is None:
        return _active[-1]
    if isinstance(notation, Notation):
        return notation
    if isinstance(notation, str):
        found = NOTATIONS.get(notation.lower())
        if found is not None:
            return found
    raise ValueError(
        f"unknown notation {notation!r}; choose one of {', '.join(NOTATIONS)}, or pass a "
        "Notation record (nn.notation.Notation)"
    )


def active() -> Notation:
    """The notation labels are written in now (nielsen unless use() or using() changed it)."""
    return _active[-1]


def use(notation: str | Notation) -> Notation:
    """Write every label in this notation from now on (returns the Notation)."""
    n = get(notation)
    _active[0] = n
    del _active[1:]
    return n


@contextmanager
def using(notation: str | Notation | None) -> Iterator[Notation]:
    """Write labels in this notation inside the with block (None: leave it as it is)."""
    n = get(notation)
    _active.append(n)
    try:
        yield n
    finally:
        if len(_active) > 1:  # use() inside the block already reset the stack
            _active.pop()


# ------------------------------------------------------------------------------- rendering
def _layer(n: Notation, layer: int) -> str:
    left, right = n.layer_brackets
    return f"{left}{layer + n.layer_offset}{right}"


def _index(n: Notation, i: int) -> str:
    return str(i + n.index_base)


def parts(name: Name, notation: str | Notation | None = None) -> tuple[str, str, str]:
    """(symbol, superscript, subscript) of a Name in a notation, e.g. ('w', '2', '1,0')."""
    n = get(notation)
    q = name.quantity
    if q == "cost":
        if name.batch:
            return n.cost_batch, "", ""
        if name.example is None:
            return n.cost, "", ""
        return n.cost, "", _index(n, name.example)
    sup = _layer(n, name.layer)
    j = _index(n, name.j)
    if q == "weight":
        k = _index(n, name.k)
        return n.w, sup, f"{j},{k}" if n.index_order == "jk" else f"{k},{j}"
    if q == "bias":
        if n.bias_as_weight:
            k = str(n.index_base - 1)  # the constant unit before the first one
            return n.w, sup, f"{j},{k}" if n.index_order == "jk" else f"{k},{j}"
        return n.b, sup, j
    if q == "input":
        return n.input or n.a, sup, j
    if q == "preactivation":
        return n.z, sup, j
    return n.a, sup, j


def delta_parts(name: Name, notation: str | Notation | None = None) -> tuple[str, str, str]:
    """(symbol, superscript, subscript) of δ for a pre-activation's Name (δ^l_j = ∂C/∂z^l_j)."""
    n = get(notation)
    _, sup, sub = parts(name, n)
    return n.delta, sup, sub


_SUP = dict(zip("0123456789+-−=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁿ", strict=True))
_SUB = dict(
    zip("0123456789+-−=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ", strict=True)
)
_LATEX = {
    "δ": r"\delta",
    "θ": r"\theta",
    "σ": r"\sigma",
    "∇": r"\nabla",
    "ŷ": r"\hat{y}",
    "Σ": r"\sum",
    "⊙": r"\odot",
}


def _unicode_script(text: str, table: dict[str, str], mark: str) -> str:
    if all(ch in table or (ch == "," and mark == "_") for ch in text):
        return "".join(table.get(ch, ch) for ch in text)
    # no Unicode form for some character (Ng's [l]): the ASCII form, braced when needed
    return mark + (text if len(text) == 1 or text[0] in "([{" else "{" + text + "}")


def _latex(text: str) -> str:
    return "".join("{" + _LATEX[ch] + "}" if ch in _LATEX else ch for ch in text)


def _symbol(text: str, style: str) -> str:
    # a symbol may carry its own subscript, written with _ (LFD's E_in)
    base, _, sub = text.partition("_")
    if style == "ascii":
        return text
    if style == "unicode":
        return base + (_unicode_script(sub, _SUB, "_") if sub else "")
    if style == "latex":
        return _latex(base) + (r"_{\mathrm{" + sub + "}}" if sub else "")
    return html.escape(base) + (f"<sub>{html.escape(sub)}</sub>" if sub else "")


def compose(symbol_text: str, sup: str, sub: str, style: str = "ascii") -> str:
    """A symbol with its superscript and subscript in a style (ascii, unicode, latex, html)."""
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)}, got {style!r}")
    out = _symbol(symbol_text, style)
    if style == "ascii":
        # Nielsen's labels as deltagrad has always written them: z^2_0, w^2_{1,0}
        if sup:
            plain = sup.isdigit() or sup[0] in "([{"  # bracketed: no braces needed
            out += "^" + (sup if plain else "{" + sup + "}")
        if sub:
            out += "_" + (sub if "," not in sub else "{" + sub + "}")
        return out
    if style == "unicode":
        if sup:
            out += _unicode_script(sup, _SUP, "^")
        if sub:
            out += _unicode_script(sub, _SUB, "_")
        return out
    if style == "latex":
        sup, sub = (t.replace("{", r"\{").replace("}", r"\}") for t in (sup, sub))
        return out + (f"^{{{sup}}}" if sup else "") + (f"_{{{sub}}}" if sub else "")
    return (
        out
        + (f"<sup>{html.escape(sup)}</sup>" if sup else "")
        + (f"<sub>{html.escape(sub)}</sub>" if sub else "")
    )


def render(name: Name, notation: str | Notation | None = None, style: str = "ascii") -> str:
    """A Name as text in a notation (None: the active one) and a style (see STYLES)."""
    return compose(*parts(name, notation), style)


def delta(name: Name, notation: str | Notation | None = None, style: str = "ascii") -> str:
    """δ of a pre-activation's Name in a notation and style, e.g. 'δ^2_0' or 'dz^[1]_1'."""
    return compose(*delta_parts(name, notation), style)


def symbol(text: str, style: str = "ascii") -> str:
    """A notation's bare symbol (σ, E_in, dz) in a style."""
    return compose(text, "", "", style)


def bp_equations(notation: str | Notation | None = None) -> dict[str, str]:
    """BP1–BP4 written in a notation's symbols (Unicode text), for the glossary."""
    n = get(notation)
    out_layer = "L"
    left, right = n.layer_brackets

    def sup(layer: str) -> str:
        if left:
            return f"^{left}{layer}{right}"
        return f"^{layer}" if len(layer) == 1 else f"^{{{layer}}}"

    def lo(layer: str) -> str:
        # the layer below: l−1, written in the notation's brackets
        return sup(layer + "−1")

    d, z, a, c, s = n.delta, n.z, n.a, n.cost, n.sigma
    # the index names each course uses: Nielsen w_jk, LFD w_ij (from i to j)
    j, k = ("j", "i") if n.index_order == "kj" else ("j", "k")
    wjk = f"{j}{k}" if n.index_order == "jk" else f"{k}{j}"
    wt = f"({n.w}{sup('l+1')})ᵀ" if n.index_order == "jk" else f"{n.w}{sup('l+1')}"
    bias = f"∂{c}/∂{n.w}{sup('l')}_0{j}" if n.bias_as_weight else f"∂{c}/∂{n.b}{sup('l')}_{j}"
    return {
        "BP1": f"{d}{sup(out_layer)} = ∇_{a} {c} ⊙ {s}′({z}{sup(out_layer)})",
        "BP2": f"{d}{sup('l')} = ({wt} {d}{sup('l+1')}) ⊙ {s}′({z}{sup('l')})",
        "BP3": f"{bias} = {d}{sup('l')}_{j}",
        "BP4": f"∂{c}/∂{n.w}{sup('l')}_{wjk} = {a}{lo('l')}_{k} {d}{sup('l')}_{j}",
    }


# ------------------------------------------------------------------------------- glossary
def generic(quantity: str, notation: str | Notation | None = None) -> tuple[str, str, str]:
    """(symbol, superscript, subscript) of a quantity with letters for its layer and indices."""
    n = get(notation)
    left, right = n.layer_brackets
    sup = f"{left}l{right}"
    j, k = ("j", "i") if n.index_order == "kj" else ("j", "k")
    pair = f"{j}{k}" if n.index_order == "jk" else f"{k}{j}"
    if quantity == "weight":
        return n.w, sup, pair
    if quantity == "bias":
        return (n.w, sup, "0j") if n.bias_as_weight else (n.b, sup, "j")
    if quantity == "input":
        return n.input or n.a, f"{left}{1 + n.layer_offset}{right}", k
    if quantity == "preactivation":
        return n.z, sup, "j"
    if quantity == "activation":
        return n.a, sup, "j"
    if quantity == "delta":
        return n.delta, sup, "j"
    raise ValueError(f"no generic form for {quantity!r}")
