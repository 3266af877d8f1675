"""The layer view: every number it prints for δ, ∂C/∂w, ∂C/∂b, a^{l−1}, σ'(z) is the graph's
and nn.closed_form's (read back from the printed text), and its check lines are ~1e-16."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import viz
from autograd import Value
from nn import MLP, closed_form
from nn.compare import example_loss
from nn.losses import batch_loss, mse, quadratic
from nn.notation import Notation
from tests.nn_strategies import SCENARIOS, NetCase, net_cases
from tests.shown import read

MINE = Notation("mine", "my notes", w="θ", z="u", delta="g", layer_offset=-1, index_base=1)
NOTATIONS: list[Any] = ["nielsen", "lfd", "ng", "goodfellow", MINE]
DIGITS = 4

# ------------------------------------------------------------------------ reading the text
MATRIX_ROW = re.compile(r"[⎡⎢⎣\[] +(?=[−\-\d…])")
CHECK = re.compile(r"check: max \|.*\| = (\S+)$")

Block = tuple[str, list[list[float]]]  # (caption, rows)


def num(text: str) -> float:
    return read(text)


def sections(text: str) -> list[list[str]]:
    """The text of each equation, in order: from a 'BPn  ...' line to the next."""
    out: list[list[str]] = []
    for line in text.splitlines():
        if re.match(r"^BP[1-4]  ", line):
            out.append([line])
        elif out:
            out[-1].append(line)
    return out


def pictures(lines: list[str]) -> list[tuple[str, list[Block]]]:
    """Each picture of a section as (title, blocks left to right), read from the columns."""
    found: list[tuple[str, list[Block]]] = []
    title = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        if re.match(r"^  \S.*:$", line):
            title = line.strip()
        if not MATRIX_ROW.search(line):
            i += 1
            continue
        caption_line = lines[i - 1]
        columns: dict[int, list[list[float]]] = {}
        while i < len(lines) and MATRIX_ROW.search(lines[i]):
            row_line = lines[i]
            for m in MATRIX_ROW.finditer(row_line):
                start = m.start()
                end = min(row_line.index(c, start) for c in "⎤⎥⎦]" if c in row_line[start:])
                cells = row_line[start + 1 : end].split()
                columns.setdefault(start, []).append([num(c) for c in cells if c != "…"])
            i += 1
        blocks = []
        for start in sorted(columns):
            caption = re.split(r"\s{2,}", caption_line[start:].strip())[0]
            blocks.append((caption, columns[start]))
        found.append((title, blocks))
        title = ""
    return found


def checks(text: str) -> list[float]:
    return [num(m.group(1)) for line in text.splitlines() if (m := CHECK.search(line.strip()))]


def close(printed: float, value: float) -> bool:
    """printed is value written with DIGITS significant digits (ties either way)."""
    if value == 0.0 or abs(value) < 1e-300:
        return abs(printed) <= 1e-12
    unit = 10.0 ** (math.floor(math.log10(abs(value))) - DIGITS + 1)
    return abs(printed - value) <= 0.5 * unit * (1 + 1e-9) + 1e-12


def same(printed: list[list[float]], values: list[list[float]], what: str) -> None:
    assert len(printed) == len(values), (what, printed, values)
    for r, (p_row, v_row) in enumerate(zip(printed, values, strict=True)):
        assert len(p_row) == len(v_row), (what, r, p_row, v_row)
        for p, v in zip(p_row, v_row, strict=True):
            assert close(p, v), (what, r, p, v)


def col(v: list[float]) -> list[list[float]]:
    return [[x] for x in v]


def t(m: list[list[float]]) -> list[list[float]]:
    return [list(r) for r in zip(*m, strict=True)]


# ------------------------------------------------------------------------ the graph and BP1–4
def build(case: NetCase) -> tuple[MLP, Value, list[list[list[Value]]], list[list[list[Value]]]]:
    """The model, its cost C (one example, or the batch mean) after backward, and per example
    the z and a nodes of every layer."""
    model = case.model()
    zs: list[list[list[Value]]] = []
    acts: list[list[list[Value]]] = []
    preds = []
    for x in case.xs:
        out = model(x)
        preds.append(case.prediction(model, out))
        zs.append([list(layer.z) for layer in model.layers])
        acts.append([list(layer.a) for layer in model.layers])
    if len(case.xs) == 1:
        c = case.loss_fn(preds[0], case.ys[0])
    else:
        c = batch_loss(case.loss_fn, preds, case.ys)
    c.backward()
    return model, c, zs, acts


def expected_sigma_prime(act: str, z: list[float], a: list[float]) -> list[float]:
    d = closed_form._ELEMENTWISE[act][1]
    return [d(zj, aj) for zj, aj in zip(z, a, strict=True)]


def verify(case: NetCase, notation: Any) -> None:
    model, c, zs, acts = build(case)
    m = len(case.xs)
    batch = m > 1
    y = case.ys if batch else case.ys[0]
    view = viz.explain(
        model, c, notation=notation, cost=case.cost, y=y, columns=None, width=None, examples=m
    )
    text = str(view)
    kj = (notation.index_order if isinstance(notation, Notation) else "") == "kj" or (
        notation == "lfd"
    )
    weights, biases, activations = case.weights, case.biases, case.activations
    refs = [
        closed_form.backprop(weights, biases, activations, x, yy, case.cost)
        for x, yy in zip(case.xs, case.ys, strict=True)
    ]
    ref_batch = closed_form.backprop_batch(
        weights, biases, activations, case.xs, case.ys, case.cost
    )
    n_layers = len(model.layers)
    secs = sections(text)
    assert len(secs) == 3 * n_layers
    for i in range(n_layers):
        li = n_layers - 1 - i  # layer index in model.layers; Nielsen's l = li + 2
        layer = model.layers[li]
        act = layer.activation

        def delta(x: int, li: int = li) -> list[float]:
            # the closed form's δ, and the graph's: z.grad = ∂C/∂z = δ_x / m for a batch mean
            graph = [z.grad * m for z in zs[x][li]]
            ref = refs[x].layers[li].delta
            for g_j, r_j in zip(graph, ref, strict=True):
                assert math.isclose(g_j, r_j, rel_tol=1e-9, abs_tol=1e-12)
            return ref

        def a_prev(x: int, li: int = li) -> list[float]:
            if li == 0:
                return [float(v) for v in case.xs[x]]
            graph = [a.data for a in acts[x][li - 1]]
            assert graph == pytest.approx(refs[x].layers[li - 1].a, rel=1e-12, abs=1e-12)
            return graph

        head, bp3, bp4 = secs[3 * i : 3 * i + 3]
        pics = pictures(head)
        if li == n_layers - 1:  # BP1
            assert head[0].startswith("BP1")
            for x in range(m):
                blocks = [b for _, b in pics[x][1]]
                ref_l = refs[x].layers[li]
                if act == "softmax":
                    jac = [
                        [ai * ((1.0 if p == q else 0.0) - aj) for q, aj in enumerate(ref_l.a)]
                        for p, ai in enumerate(ref_l.a)
                    ]
                    same(blocks[0], t(jac), "Jᵀ")
                    grad_a = closed_form.cost_gradient(case.cost, ref_l.a, case.ys[x])
                    same(blocks[1], col(grad_a), "∇_a C (softmax)")
                else:
                    out = ref_l.z if case.cost == "binary_cross_entropy_with_logits" else ref_l.a
                    grad_a = closed_form.cost_gradient(case.cost, out, case.ys[x])
                    same(blocks[0], col(grad_a), "∇_a C")
                    same(blocks[1], col(expected_sigma_prime(act, ref_l.z, ref_l.a)), "σ′(z^L)")
                same(blocks[-1], col(delta(x)), "δ^L")
            pairs = {(out, cost): p for cost, out, said, p in HAND_PAIRS if said is not None}
            if (act, case.cost) in pairs:
                p = pairs[act, case.cost]
                for x in range(m):
                    p_, _y, diff = [b for _, b in pics[m + x][1]]
                    # δ^L = p − y: p = a^L, or σ(z^L) for the cost on the logit (a^L = z^L)
                    same(p_, col([p(v) for v in refs[x].layers[li].a]), "p")
                    same(diff, col(delta(x)), "p − y")
        else:  # BP2
            assert head[0].startswith("BP2")
            w_next = weights[li + 1]
            for x in range(m):
                wt, d_up, back, sig, d = [b for _, b in pics[x][1]]
                same(wt, t(w_next), "(w^{l+1})ᵀ")
                up = refs[x].layers[li + 1].delta
                same(d_up, col(up), "δ^{l+1}")
                prod = [sum(w_next[j][k] * up[j] for j in range(len(up))) for k in range(len(d))]
                same(back, col(prod), "(w^{l+1})ᵀ δ^{l+1}")
                ref_l = refs[x].layers[li]
                same(sig, col(expected_sigma_prime(act, ref_l.z, ref_l.a)), "σ′(z^l)")
                same(d, col(delta(x)), "δ^l")
        # BP3
        blocks3 = [b for _, b in pictures(bp3)[0][1]]
        graph_b = [n.b.grad for n in layer.neurons]
        assert graph_b == pytest.approx(ref_batch.layers[li].grad_b, rel=1e-9, abs=1e-12)
        same(blocks3[0], col(ref_batch.layers[li].grad_b), "∂C/∂b")
        for x in range(m):
            same(blocks3[1 + x], col(delta(x)), "δ in BP3")
        # BP4
        pics4 = pictures(bp4)
        graph_w = [[w.grad for w in n.w] for n in layer.neurons]
        ref_w = ref_batch.layers[li].grad_w
        for row, ref_row in zip(graph_w, ref_w, strict=True):
            assert row == pytest.approx(ref_row, rel=1e-9, abs=1e-12)
        for x in range(m):
            left, right, result = [b for _, b in pics4[x][1]]
            if kj:
                same(left, col(a_prev(x)), "a^{l−1}")
                same(right, [delta(x)], "(δ^l)ᵀ")
            else:
                same(left, col(delta(x)), "δ^l")
                same(right, [a_prev(x)], "(a^{l−1})ᵀ")
            if not batch:
                same(result, t(ref_w) if kj else ref_w, "∂C/∂w")
            else:
                outer = [[dj * ak for ak in a_prev(x)] for dj in delta(x)]
                same(result, t(outer) if kj else outer, "δ (a)ᵀ of one example")
        if batch:
            total = [b for _, b in pics4[m][1]]
            same(total[0], t(ref_w) if kj else ref_w, "∂C/∂w of the batch")
    found = checks(text)
    assert len(found) >= 3 * n_layers
    # each check is a difference of two computations of one quantity: rounding, relative to
    # the largest number involved. Near saturation ∇_a C of cross-entropy, (a − y)/(a (1 − a)),
    # reaches 10^4 and more, so the bound scales with it (never below the absolute 1e-12).
    uses_z = case.cost == "binary_cross_entropy_with_logits"
    scale = max(
        [1.0]
        + [
            abs(g)
            for x, ref in enumerate(refs)
            for g in closed_form.cost_gradient(
                case.cost, ref.layers[-1].z if uses_z else ref.layers[-1].a, case.ys[x]
            )
        ]
    )
    assert max(found) < 1e-12 * scale


# every cost pairing (incl. softmax + cross-entropy) in every notation; each hidden activation,
# depths 1–4, widths 1–5 drawn; single examples and batches of 2–3
@pytest.mark.parametrize("scenario", SCENARIOS, ids=["+".join(s) for s in SCENARIOS])
@settings(max_examples=10)
@given(data=st.data())
def test_every_printed_number_is_the_graphs_and_the_closed_forms(
    scenario: tuple[str, str], data: st.DataObject
) -> None:
    case = data.draw(net_cases(max_layers=4, max_width=5, max_batch=1, scenarios=(scenario,)))
    verify(case, data.draw(st.sampled_from(NOTATIONS)))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=["+".join(s) for s in SCENARIOS])
@settings(max_examples=6)
@given(data=st.data())
def test_batches_print_per_example_quantities_and_the_mean(
    scenario: tuple[str, str], data: st.DataObject
) -> None:
    case = data.draw(net_cases(max_layers=4, max_width=5, max_batch=3, scenarios=(scenario,)))
    verify(case, data.draw(st.sampled_from(NOTATIONS)))


# ------------------------------------------------------------------------ the parts
def small(cost: str = "quadratic", output: str = "linear") -> tuple[MLP, Value]:
    model = MLP(2, [3, 2], activation="tanh", output_activation=output, seed=0)
    y: Any = 1 if cost == "cross_entropy" else [1.0, 0.0]
    c = example_loss(model, [0.5, -0.3], y, cost)
    c.backward()
    return model, c


# The matching pairs, derived by hand: the sentence the view must print, and δ^L = p − y with
# p the output itself, or σ(z) for the cost on the logit.
HAND_PAIRS: list[tuple[str, str, str | None, Callable[[float], float]]] = [
    (
        "quadratic",
        "linear",
        "Here δ³ = a³ − y: a linear output has σ′(z) = 1 and the quadratic cost C = ½ Σ (a − y)² "
        "has ∇_a C = a − y.",
        lambda a: a,
    ),
    (
        "binary_cross_entropy",
        "sigmoid",
        "Here δ³ = a³ − y: binary cross-entropy has ∂C/∂a = (a − y)/(a·(1 − a)) and the sigmoid "
        "has σ′(z) = a·(1 − a): the product cancels to a − y.",
        lambda a: a,
    ),
    (
        "cross_entropy",
        "softmax",
        "Here δ³ = a³ − y: C = −ln a_c with the softmax Jacobian ∂a_i/∂z_j = a_i (1[i=j] − a_j) "
        "gives δ_j = Σ_i (−1[i=c]/a_c) a_i (1[i=j] − a_j) = a_j − 1[j=c]: a − y for the one-hot y.",
        lambda a: a,
    ),
    (
        "binary_cross_entropy_with_logits",
        "linear",
        "Here δ³ = σ(z³) − y: the cost reads the logit z and applies the sigmoid itself: ∂C/∂z = "
        "σ(z) − y, the probability minus the target, and a linear output has σ′(z) = 1.",
        lambda z: 1.0 / (1.0 + math.exp(-z)),
    ),
    ("mse", "linear", None, lambda a: a),
]


@pytest.mark.parametrize(("cost", "output", "statement", "p"), HAND_PAIRS)
def test_matching_pairs_say_delta_is_a_minus_y(
    cost: str, output: str, statement: str | None, p: Callable[[float], float]
) -> None:
    model, c = small(cost, output)
    y: Any = 1 if cost == "cross_entropy" else [1.0, 0.0]
    text = str(viz.explain(model.layers[-1], c, cost=cost, y=y))
    words = " ".join(text.split())
    if statement is None:
        assert "Here δ³" not in words
        return
    assert statement in words
    # the picture p − y = (numbers): p from the graph's nodes by hand, y one-hot for a class
    layer = model.layers[-1]
    ys = [float(j == y) for j in range(2)] if isinstance(y, int) else y
    outs = [v.data for v in (layer.z if cost.endswith("logits") else layer.a)]
    hand = [p(o) - t for o, t in zip(outs, ys, strict=True)]
    blocks = [b for _, b in pictures(sections(text)[0])[1][1]]
    same(blocks[0], col([p(o) for o in outs]), "p")
    same(blocks[1], col(ys), "y")
    same(blocks[2], col(hand), "p − y")
    same(blocks[2], col([z.grad for z in layer.z]), "δ^L, the graph's")
    assert max(checks(text)) < 1e-12


def test_softmax_shows_the_jacobian_form() -> None:
    model, c = small("cross_entropy", "softmax")
    text = str(viz.explain(model, c, cost="cross_entropy", y=1))
    assert "δ³ = Jᵀ ∇ₐ C" in text and "no a or ∇ₐ C nodes" in " ".join(text.split())
    a = model.layers[-1].a  # the softmax nodes of this forward pass (the cost read the logits)
    jac = pictures(sections(text)[0])[0][1][0][1]
    expected = [
        [p.data * ((1.0 if i == j else 0.0) - q.data) for j, q in enumerate(a)]
        for i, p in enumerate(a)
    ]
    same(jac, t(expected), "J")


def test_a_gradient_that_is_not_the_graphs_single_pass_shows_in_the_check() -> None:
    model = MLP(2, [3, 1], activation="sigmoid", seed=1)
    c = quadratic(model([0.4, 0.9]), [0.2])
    c.backward()
    c.backward()  # leaves accumulate: w.grad and b.grad now hold twice ∂C/∂w
    text = str(viz.explain(model, c))
    lines = [line for line in text.splitlines() if "check:" in line]
    parameters = [num(line.rsplit("= ", 1)[1]) for line in lines if "∂C/∂" in line]
    deltas = [num(line.rsplit("= ", 1)[1]) for line in lines if "⊙" in line]
    assert len(parameters) == 4 and min(parameters) > 1e-3  # BP3 and BP4, both layers
    assert len(deltas) == 2 and max(deltas) < 1e-12  # BP1 and BP2 use no leaf grads
    assert "call model.zero_grad() before C.backward()" in " ".join(text.split())


def test_bp2_checks_the_printed_product_against_the_a_nodes_grads() -> None:
    """BP2's picture says (w³)ᵀ δ³ = ∂C/∂a²; its check must compare those two, not only δ².

    Hidden neuron 0 is a dead relu (z < 0, σ′ = 0) and C also reads its a directly, through
    (a²₀ − 1)². Then ∂C/∂a²₀ = ((w³)ᵀ δ³)₀ + 2(a²₀ − 1) = ((w³)ᵀ δ³)₀ − 2, while δ²₀ = 0 either
    way: only the product check sees the 2.
    """
    model = MLP(2, [2, 1], activation="relu", output_activation="linear", seed=0)
    hidden = model.layers[0].neurons[0]
    for w in hidden.w:
        w.data = 1.0
    hidden.b.data = -5.0  # z²₀ = x₀ + x₁ − 5 < 0 for these inputs: a²₀ = 0
    out = model([0.3, 0.4])
    a0 = model.layers[0].a[0]
    assert a0.data == 0.0
    c = (out[0] - 0.5) ** 2 + (a0 - 1.0) ** 2  # one cost, no example costs inside
    c.backward()
    bp2 = viz.explain(model, c).equation("BP2")
    (check,) = [line for line in bp2.splitlines() if "check:" in line]
    assert math.isclose(num(check.rsplit("= ", 1)[1]), 2.0, rel_tol=1e-3)


def test_the_layer_headers_number_layers_as_each_notation_does() -> None:
    """The header and each equation's layer follow LFD's and Ng's numbering (the input is 0)."""
    model = MLP(2, [3, 2, 1], activation="tanh", seed=4)
    c = quadratic(model([0.1, -0.2]), [0.3])
    c.backward()
    for key, hidden, output in (("nielsen", (2, 3), 4), ("lfd", (1, 2), 3), ("ng", (1, 2), 3)):
        view = viz.explain(model, c, notation=key)
        head = view.splitlines()
        assert f"  layer {output}: output layer, 1 linear neuron fed by 2" in head, key
        assert f"  layer {hidden[1]}: hidden layer, 2 tanh neurons fed by 3" in head, key
        assert f"  layer {hidden[0]}: hidden layer, 3 tanh neurons fed by 2" in head, key
        shown = [s[0] for s in sections(str(view))]
        assert [re.search(r"\(layer (\d+)\)", line)[1] for line in shown] == [  # type: ignore[index]
            str(n) for n in (output,) * 3 + (hidden[1],) * 3 + (hidden[0],) * 3
        ], key
        assert view.equation("BP1", output) and view.equation("BP2", hidden[0])


def test_wide_matrices_are_elided_unless_asked() -> None:
    model = MLP(12, [3, 1], activation="tanh", seed=2)
    c = quadratic(model([0.1 * k for k in range(12)]), [0.0])
    c.backward()
    short = str(viz.explain(model.layers[0], c))
    full = str(viz.explain(model.layers[0], c, columns=None))
    bp4 = pictures(sections(short)[2])[0][1]
    assert "…" in short and "…" not in full
    assert [len(r) for r in bp4[1][1]] == [6]  # 3 first and 2 last columns, and the …
    assert [len(r) for r in pictures(sections(full)[2])[0][1][1][1]] == [12]
    assert max(len(line) for line in short.splitlines()) < max(
        len(line) for line in full.splitlines()
    )


def test_wide_pictures_continue_on_a_second_line() -> None:
    model = MLP(9, [9, 1], activation="tanh", seed=3)
    c = quadratic(model([0.1 * k for k in range(9)]), [0.0])
    c.backward()
    wrapped = str(viz.explain(model.layers[0], c, columns=None))
    one_line = str(viz.explain(model.layers[0], c, columns=None, width=None))
    assert max(map(len, wrapped.splitlines())) <= 110 < max(map(len, one_line.splitlines()))
    bp4_wrapped = pictures(sections(wrapped)[2])
    bp4_line = pictures(sections(one_line)[2])
    assert len(bp4_wrapped) == 2 and len(bp4_line) == 1  # δ (a)ᵀ, then = ∂C/∂w below
    assert [b for _, p in bp4_wrapped for b in p] == bp4_line[0][1]


def test_notebook_forms_are_latex_matrices_with_the_same_numbers() -> None:
    model, c = small()
    view = viz.explain(model, c, notation="ng")
    md = view._repr_markdown_()
    tex = view._repr_latex_()
    matrices = sum(len(p.matrices()) for e in view.equations for p in e.pictures)
    assert md.count(r"\begin{bmatrix}") == md.count(r"\end{bmatrix}") == matrices
    assert tex.startswith("$$\\begin{aligned}") and tex.count(r"\begin{bmatrix}") == matrices
    b = model.layers[0].neurons[0].b.grad
    # each entry set as its whole part and its point and fraction, to align on the point
    whole, point, fraction = f"{b:.4g}".partition(".")
    cell = rf"\llap{{{whole}}}\rlap{{{point}{fraction}}}"
    assert cell in md and cell in tex
    assert "dz^{[1]}" in md  # Ng's δ, typeset


def test_every_notation_names_the_layer_its_own_way() -> None:
    model, c = small()
    assert "BP2  δ² = ((w³)ᵀ δ³) ⊙ σ′(z²)" in str(viz.explain(model, c))
    assert "BP2  δ⁽¹⁾ = (w⁽²⁾ δ⁽²⁾) ⊙ θ′(s⁽¹⁾)" in str(viz.explain(model, c, notation="lfd"))
    assert "dz^[1] = ((w^[2])ᵀ dz^[2]) ⊙ g′(z^[1])" in str(viz.explain(model, c, notation="ng"))
    assert "g⁽¹⁾ = ((w⁽²⁾)ᵀ g⁽²⁾) ⊙ f′(a⁽¹⁾)" in str(viz.explain(model, c, notation="goodfellow"))


def test_errors_say_what_to_do() -> None:
    model, c = small()
    other = MLP(2, [3, 2], seed=5)
    with pytest.raises(ValueError, match="not in the graph of the cost"):
        viz.explain(other, c)
    fresh = example_loss(model, [0.1, 0.2], [0.0, 0.0], "quadratic")
    with pytest.raises(ValueError, match=r"call C.backward\(\) first"):
        viz.explain(model, fresh)
    with pytest.raises(TypeError, match="takes no options"):
        viz.explain(c, c, cost="quadratic")


# ------------------------------------------------------------------------ the command
def test_the_command_prints_the_layer_view(capsys: pytest.CaptureFixture[str]) -> None:
    from viz.cli import main

    argv = ["explain", "--net", "2,3,1", "--activation", "sigmoid", "--cost", "cross_entropy"]
    assert main([*argv, "--layer", "all", "--input", "0.5,-0.3", "--target", "1"]) == 0
    text = capsys.readouterr().out
    assert [s[0][:3] for s in sections(text)] == ["BP1", "BP3", "BP4", "BP2", "BP3", "BP4"]
    assert "Here δ³ = a³ − y" in text and max(checks(text)) < 1e-12
    # the same network, built here: the printed ∂C/∂w² is its gradient
    model = MLP(2, [3, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    c = example_loss(model, [0.5, -0.3], [1.0], "binary_cross_entropy")
    c.backward()
    printed = pictures(sections(text)[5])[0][1][-1][1]
    same(printed, [[w.grad for w in n.w] for n in model.layers[0].neurons], "CLI ∂C/∂w²")

    assert main([*argv, "--layer", "1", "--notation", "ng", "--batch", "3"]) == 0
    text = capsys.readouterr().out
    assert [s[0][:3] for s in sections(text)] == ["BP2", "BP3", "BP4"]
    assert "a batch of m = 3 examples" in text and "(1/3) Σᵢ" in text  # Ng's examples: i
    assert max(checks(text)) < 1e-12


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--layer", "9"], "--layer must be 'all' or a layer with weights, 2, 3"),
        (["--layer", "0", "--notation", "ng"], "1, 2 in Ng"),
        (["--layer", "all", "--notation", "klingon"], "invalid choice: 'klingon'"),
        (["--layer", "all", "--param", "w:2:0:0"], "give one of them"),
        (["--batch", "3"], "add --layer N or all"),
    ],
)
def test_the_command_says_which_layers_there_are(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    from viz.cli import main

    assert main(["explain", *argv]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(("weights", "how"), [((1.0, 1.0), "the sum"), ((0.25, 0.75), "weighted")])
def test_a_sum_or_weighted_sum_of_example_costs_is_read_from_the_graph(
    weights: tuple[float, float], how: str
) -> None:
    model = MLP(2, [2, 1], activation="tanh", seed=0)
    xs = [[0.1, 0.2], [0.3, -0.2]]
    c = weights[0] * mse(model(xs[0]), [1.0]) + weights[1] * mse(model(xs[1]), [0.0])
    c.backward()
    text = str(viz.explain(model.layers[0], c, width=None))
    assert how in " ".join(text.split()) and max(checks(text)) < 1e-12
    bp4 = pictures(sections(text)[2])
    assert [p[1][1][1] for p in bp4[:2]] == [[x] for x in xs]  # (a¹)ᵀ of each example, in order
    if how == "weighted":
        assert "= 0.25 ·" in text and "+ 0.75 ·" in text


def test_the_demos_stepper_has_the_by_layer_mode(
    capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    from tests.test_stepper_browser import page_data
    from viz.cli import main

    assert main(["demo", "--steps", "2", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    data = page_data((tmp_path / "stepper.html").read_text(encoding="utf-8"))
    assert [s["key"] for s in data["layers"]] == ["BP1", "BP3", "BP4", "BP2", "BP3", "BP4"]


def test_each_equation_shows_the_line_of_the_numpy_program_that_computes_it() -> None:
    pytest.importorskip("numpy", reason="the numpy program needs numpy")
    from autograd import trace
    from nn.program_notes import backprop_notes

    def noted(model: MLP) -> Any:
        """A numpy trace of model's MSE step with nn's notes, called once."""
        step = trace(
            lambda x, y: mse(model(x), y),
            model.parameters(),
            describe=backprop_notes(model),
            backend="numpy",
        )
        step.batch([([0.1, 0.2], [0.3]), ([0.5, -0.4], [-0.1])])
        return step

    model = MLP(2, [4, 3, 1], activation="tanh", output_activation="linear", seed=0)
    step = noted(model)
    program = [line.strip() for line in step.vector_source.splitlines()]
    c = mse(model([0.1, 0.2]), [0.3])
    c.backward()
    view = viz.explain(model, c, program=step)
    said = "over a batch, in the numpy program: "
    for eq in view.equations:
        lines = [n[len(said) :] for n in eq.notes if n.startswith(said)]
        assert lines and all(line in program for line in lines), (eq.key, eq.layer, lines)
        assert lines[-1].endswith(f"# {eq.key}")  # the program's own BP comment, the same one
        n = eq.layer
        if eq.key == "BP4":
            assert lines == [f"g_w_{n} += delta_{n}.T @ a_{n - 1}  # BP4"]
        if eq.key == "BP2":  # (w^{l+1})ᵀ δ^{l+1} from the layer above, then δ^l
            assert lines[0].startswith(f"g_a_{n} = delta_{n + 1} @ w_{n + 1}")
            assert lines[1].startswith(f"delta_{n} = g_a_{n} * ")
    assert "<code>g_w_3 += delta_3.T @ a_2  # BP4</code>" in view._repr_markdown_()
    # without the program's notes, or with another object, the view says what it needs
    plain = trace(lambda x, y: mse(model(x), y), model.parameters(), backend="numpy")
    plain.batch([([0.1, 0.2], [0.3])])
    with pytest.raises(ValueError, match="backprop_notes"):
        viz.explain(model, c, program=plain)
    with pytest.raises(TypeError, match="backend='numpy'"):
        viz.explain(model, c, program=step.vector_source)
    python = trace(lambda x, y: mse(model(x), y), model.parameters())
    python.batch([([0.1, 0.2], [0.3])])
    with pytest.raises(ValueError, match="backend='python'"):
        viz.explain(model, c, program=python)
    # a trace of another network's step: its lines are not this network's equations
    other = MLP(2, [4, 3, 1], activation="sigmoid", output_activation="linear", seed=1)
    with pytest.raises(ValueError, match="another model"):
        viz.explain(model, c, program=noted(other))
