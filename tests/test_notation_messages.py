"""No message mixes notations: every grading report, layer view and explanation in each notation.

The symbols a notation must not write are read from the Notation records themselves (every
other notation's w, b, z, a, δ, C, σ, input, batch cost and batch size that this one does not
write), never from nn.notation.term, the function under test. A learner's own notation with
symbols no textbook uses shows any symbol that is still written by hand.
"""

from __future__ import annotations

import re

import pytest

import viz
from nn import MLP
from nn.grading import check_backprop
from nn.losses import batch_loss, binary_cross_entropy, quadratic
from nn.notation import NOTATIONS, Notation
from tests.learner_backprop import make_backprop
from tests.test_grading import MUTANTS

MINE = Notation(
    "mine",
    "my notes",
    w="ω",
    b="β",
    z="u",
    a="v",
    delta="ε",
    cost="K",
    cost_batch="Q",
    input="ξ",
    sigma="φ",
    layer_offset=-1,
    layer_brackets=("⟨", "⟩"),
    index_base=1,
    batch_size="M",
    example="t",
)
ALL = [*NOTATIONS.values(), MINE]
KEYS = [n.key for n in ALL]

SCRIPT = "^_′'("
# Unicode super- and subscripts as the ASCII scripts they stand for
UNSCRIPT = {
    **{u: "^" + a for u, a in zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾ⁿ", "0123456789()n", strict=True)},
    **{
        u: "_" + a
        for u, a in zip(
            "₀₁₂₃₄₅₆₇₈₉₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ", "0123456789()aehijklmnoprstuvx", strict=True
        )
    },
}


def written(n: Notation) -> set[str]:
    """The symbols a notation writes, from its record's fields (not from the symbol function)."""
    out = {n.w, n.z, n.a, n.delta, n.cost, n.cost_batch, n.sigma, n.input or n.a, n.batch_size}
    if not n.bias_as_weight:
        out.add(n.b)
    return {s for s in out if s}


def foreign(n: Notation) -> set[str]:
    """Every other notation's symbols that n does not write."""
    mine = written(n)
    return {s for other in ALL if other.key != n.key for s in written(other)} - mine


def pattern(symbol: str) -> re.Pattern[str]:
    """Where a symbol stands as maths: with a script, after ∂, ∇_ or /, or before (."""
    base = symbol.split("_")[0] if "_" in symbol else symbol
    if not base.isascii():
        return re.compile(re.escape(base))  # a Greek letter is never a word
    head = r"(?<![A-Za-z])"
    tail = f"(?![A-Za-z])(?=[{re.escape(SCRIPT)}])"
    after = rf"(?:(?<=∂)|(?<=∇_)|(?<=∇)|(?<=/)){re.escape(base)}(?![A-Za-z])"
    return re.compile(f"{head}{re.escape(base)}{tail}|{after}")


def mixed(text: str, n: Notation) -> list[str]:
    """The foreign symbols found in text, each with a little context.

    A span in backticks quotes the learner's own code, which is theirs to name.
    """
    text = re.sub(r"`[^`\n]*`", "`…`", text)
    text = "".join(UNSCRIPT.get(ch, ch) for ch in text)  # x₁ reads as x_1, a² as a^2
    hits = []
    for symbol in sorted(foreign(n)):
        for m in pattern(symbol).finditer(text):
            hits.append(f"{symbol!r} in …{text[max(0, m.start() - 30) : m.end() + 30]}…")
    return hits


def test_the_check_finds_a_symbol_written_by_hand() -> None:
    """The checker itself: Nielsen's C and ∇_a beside LFD's θ and s is found, LFD's own is not."""
    lfd = NOTATIONS["lfd"]
    assert mixed("δ^(2) = ∇_a C ⊙ θ'(s^(2))", lfd)
    assert not mixed("δ^(2) = ∇_x e ⊙ θ'(s^(2)), the cost e", lfd)
    assert mixed("the batch cost C = (1/m) Σ_x C_x", NOTATIONS["ng"])
    assert not mixed("the batch cost J = (1/m) Σ_i L_i, db^[1]", NOTATIONS["ng"])


def grading_texts(n: Notation) -> list[str]:
    out = []
    seen = set()
    for mistake, setting, all_sizes, batch, _ in MUTANTS:
        if (mistake, batch) in seen:
            continue
        seen.add((mistake, batch))
        hidden, output, cost = setting
        fn = make_backprop(hidden, output, cost, mistake, batch=batch is not None)
        report = check_backprop(
            fn, all_sizes[0], hidden, output, cost, trials=2, notation=n, batch=batch
        )
        out.append(str(report))
    right = make_backprop("sigmoid", "sigmoid", "quadratic", None, batch=True)
    out.append(str(check_backprop(right, [2, 3, 1], trials=2, notation=n, batch=2)))
    wrong = make_backprop("sigmoid", "sigmoid", "quadratic", "reversed_lists")
    out.append(str(check_backprop(wrong, [2, 3, 2], trials=2, notation=n, batch=2)))
    return out


@pytest.mark.parametrize("n", ALL, ids=KEYS)
def test_every_grading_message_speaks_one_notation(n: Notation) -> None:
    texts = grading_texts(n)
    hits = [h for t in texts for h in mixed(t, n)]
    assert not hits, "\n".join(hits[:20])


def views(n: Notation) -> list[str]:
    out = []
    model = MLP(2, [3, 2], activation="tanh", output_activation="sigmoid", seed=1)
    c = binary_cross_entropy(model([0.3, -0.4]), [1.0, 0.0])
    c.backward()
    out.append(str(viz.explain(model, c, notation=n, cost="binary_cross_entropy", y=[1.0, 0.0])))
    for p in (model.layers[0].neurons[1].w[0], model.layers[1].neurons[0].b):
        out.append(str(viz.explain(p, c, notation=n)))
    out.append(str(viz.explain(model.layers[0].z[0], c, notation=n)))
    model.zero_grad()
    xs, ys = [[0.1, 0.2], [0.5, -0.3], [-0.2, 0.4]], [[0.2, 0.1], [0.7, 0.3], [0.4, 0.4]]
    batch = batch_loss(quadratic, [model(x) for x in xs], ys)
    batch.backward()
    out.append(str(viz.explain(model, batch, notation=n, cost="quadratic", y=ys)))
    return out


@pytest.mark.parametrize("n", ALL, ids=KEYS)
def test_every_layer_view_and_explanation_speaks_one_notation(n: Notation) -> None:
    hits = [h for t in views(n) for h in mixed(t, n)]
    assert not hits, "\n".join(hits[:20])
