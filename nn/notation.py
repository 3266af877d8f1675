"""Textbook notations: what a node IS (a Name record) and how each course writes it.

Every node nn makes carries a :class:`Name` as its ``Value.label_record``: the quantity
(``"weight"``, ``"bias"``, ``"input"``, ``"preactivation"``, ``"activation"``, ``"cost"``, and
``"target"`` for the y_j a cost compares the output with), the
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

Symbols: :func:`term` is the one function from (quantity, layer, indices, wrt=...) to typed
tokens (:class:`Sym`, :class:`Op`, :class:`Num`, :class:`Words`, :class:`Frac`); every view
and message takes its symbols (δ, z, a, w, b, y, C, ∇_a C, σ, σ′, 1/m, the batch cost) from
it, and the layer numbering and index base are applied there alone. :func:`write` writes
tokens in a style: ``"ascii"`` (repr and terminal, the text ``Value.label`` shows:
``w^2_{1,0}``), ``"unicode"`` (``w²₁,₀``, for drawings and explain), ``"latex"``
(``w^{2}_{1,0}``, for notebooks) or ``"html"`` (``w<sup>2</sup><sub>1,0</sub>``); viz.tokens
sets them as SVG tspans. :func:`render` writes a Name (a label) the same way.
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
    "TERMS",
    "Frac",
    "Name",
    "Notation",
    "Num",
    "Op",
    "Sym",
    "Token",
    "Tokens",
    "Words",
    "active",
    "batch_mean",
    "bp_equations",
    "compose",
    "get",
    "index_number",
    "layer_number",
    "nielsen_layer",
    "parts",
    "register",
    "render",
    "symbols",
    "term",
    "text",
    "tokens_of",
    "use",
    "using",
    "write",
]

QUANTITIES = ("weight", "bias", "input", "preactivation", "activation", "cost", "target")
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
    gradient_prefix: str = ""  # "d": ∂J/∂W is written dW (Ng); "": ∂C/∂w
    batch_size: str = "m"  # the number of examples in a batch (LFD's N)
    example: str = "x"  # the index of an example in a batch (LFD's n, Ng's i)
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
        for name in ("w", "b", "z", "a", "delta", "cost", "cost_batch", "sigma", "batch_size"):
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
    batch_size="N",
    example="n",
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
    gradient_prefix="d",
    example="i",
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
    example="i",
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


# ------------------------------------------------------------------------------- tokens
# A symbol, formula or message is built as typed tokens and written per medium by write();
# nothing reads written text back to find its structure.


@dataclass(frozen=True, slots=True)
class Sym:
    """A symbol with its superscript and subscript as written: Sym('w', '2', '1,0')."""

    base: str
    sup: str = ""
    sub: str = ""


@dataclass(frozen=True, slots=True)
class Op:
    """An operator or bracket as Unicode text ('=', '⊙', '·', '−', '(', 'ᵀ', '′', '∂', 'Σ')."""

    text: str


@dataclass(frozen=True, slots=True)
class Num:
    """A number as its formatter wrote it (with a true minus sign), and in LaTeX if it differs."""

    text: str
    latex: str = ""  # e.g. 1.481\times10^{-5}; empty: the text with an ASCII minus


@dataclass(frozen=True, slots=True)
class Words:
    """Prose inside maths: set upright, never read as symbols."""

    text: str


@dataclass(frozen=True, slots=True)
class Frac:
    """num/den: ∂C/∂w, 1/m (a fraction in LaTeX, a slash elsewhere)."""

    num: tuple[Token, ...]
    den: tuple[Token, ...]


Token = Sym | Op | Num | Words | Frac
Tokens = tuple[Token, ...]

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
# operators in LaTeX (an operator not listed is written as it is)
_LATEX_OPS = {
    "⊙": r"\odot",
    "·": r"\cdot",
    "−": "-",
    "ᵀ": r"^{\top}",
    "′": "'",
    "∂": r"\partial ",
    "Σ": r"\sum",
    "∇": r"\nabla",
    "…": r"\ldots",
    "(": r"\left(",
    ")": r"\right)",
    "[": r"\left[",
    "]": r"\right]",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
}
_HTML_OPS = {"ᵀ": "<sup>T</sup>"}
_LATEX_TEXT = {ch: "\\" + ch for ch in "#$%&_{}"}
_LATEX_TEXT.update({"\\": r"\textbackslash{}", "~": r"\textasciitilde{}", "^": r"\^{}"})


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
            plain = sup.isdigit() or sup[0] in "([{" or len(sup) == 1  # no braces needed
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


def latex_words(text: str) -> str:
    """Prose as LaTeX: \\text{…} with TeX's special characters escaped."""
    return r"\text{" + "".join(_LATEX_TEXT.get(ch, ch) for ch in text) + "}"


def simple(tokens: Tokens) -> bool:
    """True if tokens stand without brackets before or after a slash (1, m, ∂C, ∂w²₁)."""
    rest = tokens[1:] if tokens and tokens[0] == Op("∂") else tokens
    return len(rest) == 1 and isinstance(rest[0], Sym | Num)


def write(tokens: Tokens | Token, style: str = "unicode") -> str:
    """Tokens as text in a style: 'ascii', 'unicode', 'latex' or 'html'."""
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)}, got {style!r}")
    if not isinstance(tokens, tuple):
        tokens = (tokens,)
    out: list[str] = []
    for t in tokens:
        if isinstance(t, Sym):
            out.append(compose(t.base, t.sup, t.sub, style))
        elif isinstance(t, Op):
            if style == "latex":
                out.append(_LATEX_OPS.get(t.text.strip(), t.text.strip()) or " ")
            elif style == "html":
                out.append(_HTML_OPS.get(t.text) or html.escape(t.text, quote=False))
            else:
                out.append(t.text)
        elif isinstance(t, Num):
            if style == "latex":
                out.append(t.latex or t.text.replace("−", "-"))
            else:
                out.append(html.escape(t.text) if style == "html" else t.text)
        elif isinstance(t, Words):
            if style == "latex":
                out.append(latex_words(t.text))
            elif style == "html":
                out.append(html.escape(t.text, quote=False))
            else:
                out.append(t.text)
        else:
            num, den = write(t.num, style), write(t.den, style)
            if style == "latex":
                out.append(rf"\frac{{{num}}}{{{den}}}")
            else:
                num = num if simple(t.num) else f"({num})"
                den = den if simple(t.den) else f"({den})"
                out.append(f"{num}/{den}")
    return "".join(out)


def tokens_of(*parts: Tokens | Token | str) -> Tokens:
    """Tokens, single tokens and operator text (a str is an Op) joined into one token tuple."""
    out: list[Token] = []
    for p in parts:
        if isinstance(p, str):
            out.append(Op(p))
        elif isinstance(p, tuple):
            out.extend(p)
        else:
            out.append(p)
    return tuple(out)


# ------------------------------------------------------------------------------- symbols
Index = int | str | None  # an index: 0-based int, a letter ('j', 'l+1'), or None (a vector)


def layer_number(layer: int, notation: str | Notation | None = None) -> int:
    """Layer l (Nielsen's numbering: the input is 1) as the notation numbers it."""
    return layer + get(notation).layer_offset


def nielsen_layer(written: int, notation: str | Notation | None = None) -> int:
    """A layer as the notation writes it, in Nielsen's numbering (layer_number's inverse)."""
    return written - get(notation).layer_offset


def index_number(i: int, notation: str | Notation | None = None) -> int:
    """A neuron's (or an example's) 0-based index as the notation counts it."""
    return i + get(notation).index_base


def _sup(n: Notation, layer: Index) -> str:
    if layer is None:
        return ""
    left, right = n.layer_brackets
    shown = layer + n.layer_offset if isinstance(layer, int) else layer
    return f"{left}{shown}{right}"


def _sub(n: Notation, *indices: Index) -> str:
    shown = [str(i + n.index_base) if isinstance(i, int) else i for i in indices if i is not None]
    if all(isinstance(i, str) and len(i) == 1 for i in indices if i is not None):
        return "".join(shown)  # single letters: w_jk
    return ",".join(shown)  # numbers (w_{1,0}), longer letters or a mix are separated


def _pair(n: Notation, j: Index, k: Index) -> tuple[Index, Index]:
    return (j, k) if n.index_order == "jk" else (k, j)


def _one(quantity: str, layer: Index, j: Index, k: Index, n: Notation, batch: bool) -> Sym:
    if quantity == "activation" and (layer == 1 or layer == "1"):
        quantity = "input"
    if quantity == "cost":
        return Sym(n.cost_batch) if batch else Sym(n.cost, "", _sub(n, j))
    if quantity == "target":
        return Sym("y", "", _sub(n, j))
    sup = _sup(n, layer)
    if quantity == "weight":
        if j is None and k is None:
            return Sym(n.w, sup)
        return Sym(n.w, sup, _sub(n, *_pair(n, j, k)))
    if quantity == "bias":
        if not n.bias_as_weight:
            return Sym(n.b, sup, _sub(n, j))
        # the weight from the constant unit before the first one (LFD's w^(l)_0j)
        zero = str(n.index_base - 1)
        letters = j is None or isinstance(j, str)
        target = "j" if j is None else (j if isinstance(j, str) else str(j + n.index_base))
        a, b = _pair(n, target, zero)
        return Sym(n.w, sup, f"{a}{b}" if letters else f"{a},{b}")
    if quantity == "input":
        return Sym(n.input or n.a, _sup(n, 1 if layer is None else layer), _sub(n, j))
    if quantity in ("preactivation", "activation", "delta"):
        symbol = {"preactivation": n.z, "activation": n.a, "delta": n.delta}[quantity]
        return Sym(symbol, sup, _sub(n, j))
    if quantity in ("sigma", "sigma_prime"):
        return Sym(n.sigma)
    raise ValueError(f"no symbol for {quantity!r}; nn.notation.term knows {', '.join(TERMS)}")


TERMS = (
    "weight",
    "bias",
    "input",
    "preactivation",
    "activation",
    "delta",
    "cost",
    "target",
    "sigma",
    "sigma_prime",
    "mean",
)


def term(
    quantity: str,
    layer: Index = None,
    j: Index = None,
    k: Index = None,
    *,
    wrt: str | None = None,
    batch: bool = False,
    size: int | None = None,
    notation: str | Notation | None = None,
) -> Tokens:
    """The one symbol function: a quantity of a layer with indices, as typed tokens.

    quantity is one of TERMS; layer is Nielsen's (the input is 1; a str such as 'l+1' is
    written as it is), j and k 0-based neuron indices (a str is a letter; None: the whole
    vector or matrix). wrt= writes the cost's derivative with respect to that quantity
    (∂C/∂w^l_jk; Ng's dW; ∇_a C for the output vector); batch=True uses the batch cost's name.
    'sigma' and 'sigma_prime' with a layer are σ(z^l_j) and σ′(z^l_j); 'mean' is 1/m (size=
    a number instead of the letter). The layer numbering and the index base are applied here.
    """
    n = get(notation)
    if quantity == "mean":
        return (Frac((Num("1"),), (Num(str(size)) if size is not None else Sym(n.batch_size),)),)
    if wrt is not None:
        if quantity != "cost":
            raise ValueError(f"term(wrt=...) writes a derivative of the cost, not of {quantity!r}")
        of = _one(wrt, layer, j, k, n, False)
        cost = _one("cost", None, None, None, n, batch)
        if n.gradient_prefix:  # Ng: dW^[l], db^[l], da^[l] for ∂J/∂W …
            return (Sym(n.gradient_prefix + of.base, of.sup, of.sub),)
        if wrt == "activation" and j is None:  # Nielsen's ∇_a C, the vector BP1 reads
            return (Sym("∇", "", n.a), Op(" "), cost)
        return (Frac((Op("∂"), cost), (Op("∂"), of)),)
    symbol = _one(quantity, layer, j, k, n, batch)
    if quantity in ("sigma", "sigma_prime") and layer is not None:
        z = _one("preactivation", layer, j, k, n, batch)
        prime = (Op("′"),) if quantity == "sigma_prime" else ()
        return (symbol, *prime, Op("("), z, Op(")"))
    if quantity == "sigma_prime":
        return (symbol, Op("′"))
    return (symbol,)


def batch_mean(notation: str | Notation | None = None) -> Tokens:
    """The batch cost's definition as tokens: C = (1/m) Σ_x C_x (Ng: J = (1/m) Σ_i L_i)."""
    n = get(notation)
    return tokens_of(
        term("cost", batch=True, notation=n),
        " = (",
        term("mean", notation=n),
        ") ",
        Sym("Σ", "", n.example),
        " ",
        Sym(n.cost, "", n.example),
    )


def text(
    quantity: str,
    layer: Index = None,
    j: Index = None,
    k: Index = None,
    *,
    wrt: str | None = None,
    batch: bool = False,
    notation: str | Notation | None = None,
    style: str = "unicode",
) -> str:
    """term(...) written in a style: the symbol as text for a message."""
    return write(term(quantity, layer, j, k, wrt=wrt, batch=batch, notation=notation), style)


def parts(name: Name, notation: str | Notation | None = None) -> tuple[str, str, str]:
    """(symbol, superscript, subscript) of a Name in a notation, e.g. ('w', '2', '1,0')."""
    n = get(notation)
    if name.quantity == "cost":
        s = _one("cost", None, name.example, None, n, name.batch)
    else:
        k = name.k if name.quantity == "weight" else None
        s = _one(name.quantity, name.layer, name.j, k, n, False)
    return s.base, s.sup, s.sub


def render(name: Name, notation: str | Notation | None = None, style: str = "ascii") -> str:
    """A Name as text in a notation (None: the active one) and a style (see STYLES)."""
    return compose(*parts(name, notation), style)


def bp_equations(notation: str | Notation | None = None) -> dict[str, str]:
    """BP1–BP4 written in a notation's symbols (Unicode text), for the glossary."""
    n = get(notation)

    def t(quantity: str, layer: Index = None, j: Index = None, k: Index = None) -> Tokens:
        return term(quantity, layer, j, k, notation=n)

    j, k = ("j", "i") if n.index_order == "kj" else ("j", "k")
    w_up = t("weight", "l+1")
    back = tokens_of("(", w_up, ")ᵀ") if n.index_order == "jk" else w_up
    eqs = {
        "BP1": tokens_of(
            t("delta", "L"),
            " = ",
            term("cost", "L", wrt="activation", notation=n),
            " ⊙ ",
            t("sigma_prime", "L"),
        ),
        "BP2": tokens_of(
            t("delta", "l"), " = (", back, " ", t("delta", "l+1"), ") ⊙ ", t("sigma_prime", "l")
        ),
        "BP3": tokens_of(term("cost", "l", j, wrt="bias", notation=n), " = ", t("delta", "l", j)),
        "BP4": tokens_of(
            term("cost", "l", j, k, wrt="weight", notation=n),
            " = ",
            t("activation", "l−1", k),
            " ",
            t("delta", "l", j),
        ),
    }
    # scripts written with ^ and _: letters have no Unicode subscript form that reads well
    return {key: write(eq, "ascii") for key, eq in eqs.items()}


# ------------------------------------------------------------------------------- glossary
def symbols(notation: str | Notation | None = None) -> frozenset[str]:
    """Every bare symbol a notation writes (w, b, z, a, δ, C, σ, …), for checking messages."""
    n = get(notation)
    out = {n.w, n.z, n.a, n.delta, n.cost, n.cost_batch, n.sigma, n.input or n.a, n.batch_size}
    if not n.bias_as_weight:
        out.add(n.b)
    return frozenset(out)
