"""viz.explain: the chain rule with numbers, from backward_steps() records, grads untouched."""

import math
import re
from collections.abc import Iterator

import pytest
from hypothesis import given

from autograd import Step, Value, linear, topological_order
from nn.notation import Name
from tests.shown import NUMBER, read
from tests.strategies import away_from_zero, positives, reals
from viz import explain


def result(text: str) -> float:
    """The number after the last '=' of an explanation."""
    tail = text.split("\n  where")[0].rsplit("=", 1)[1]
    return read(tail.split()[0])


def small_net() -> tuple[Value, dict[str, Value]]:
    """2 inputs -> 2 sigmoid neurons -> 1 linear output, squared error; named as nn names."""
    a1 = [Value(0.42, Name("input", 1, 0)), Value(-0.7, Name("input", 1, 1))]
    w2 = [[0.3, -0.8], [0.5, 0.2]]
    a2 = []
    for j in range(2):
        w = [Value(w2[j][k], Name("weight", 2, j, k)) for k in range(2)]
        z = linear(w, a1, Value(0.1 * j, Name("bias", 2, j)))
        z.label_record = Name("preactivation", 2, j)
        a = z.sigmoid()
        a.label_record = Name("activation", 2, j)
        a2.append(a)
    w3 = [Value(1.2, Name("weight", 3, 0, 0)), Value(-0.9, Name("weight", 3, 0, 1))]
    z3 = linear(w3, a2, Value(0.05, Name("bias", 3, 0)))
    z3.label_record = Name("preactivation", 3, 0)
    c = (z3 - 0.5) ** 2
    c.label_record = Name("cost")
    # keyed by the ASCII labels (Value.label); explain writes them with Unicode sub/superscripts
    return c, {n.label: n for n in topological_order(c) if n.label}


def grads(root: Value) -> list[object]:
    return [n.grad for n in topological_order(root)]


def test_every_labelled_node_explains_its_own_gradient() -> None:
    c, nodes = small_net()
    c.backward()
    for label, node in nodes.items():
        exact = explain(node, c, digits=17)
        assert result(exact) == pytest.approx(node.grad, rel=1e-12, abs=1e-15), label
        assert result(explain(node, c)) == pytest.approx(node.grad, rel=1e-3), label


def test_a_weight_is_input_activation_times_delta() -> None:
    c, nodes = small_net()
    c.backward()
    text = explain(nodes["w^2_{1,0}"], c)
    # BP4: ∂C/∂w^2_{1,0} = a^1_0 · δ^2_1, written upstream · local
    assert text.startswith("∂C/∂w²₁,₀ = ∂C/∂z²₁ · ∂z²₁/∂w²₁,₀ = δ²₁ · a¹₀ = ")
    delta = nodes["z^2_1"].grad
    numbers = re.findall(NUMBER, text.split("δ²₁ · a¹₀ = ")[1])
    assert read(numbers[0]) == pytest.approx(delta, rel=1e-3)
    assert read(numbers[1]) == pytest.approx(0.42)
    bias = explain(nodes["b^2_1"], c)
    assert "δ²₁ · 1 = " in bias  # BP3


def test_a_delta_through_an_activation() -> None:
    c, nodes = small_net()
    c.backward()
    text = explain(nodes["z^2_0"], c)
    # the local derivative is the sigmoid row's own rule, σ' = σ(1 − σ), on the graph's names
    assert text.startswith("δ²₀ = ∂C/∂z²₀ = ∂C/∂a²₀ · ∂a²₀/∂z²₀ = ∂C/∂a²₀ · (a²₀·(1 − a²₀)) = ")
    assert "σ = sigmoid, σ'(z) = σ(z)·(1 − σ(z))" in text
    # the output δ: C = (z − 0.5)², so δ^3_0 = 2 (z − 0.5)
    z3 = nodes["z^3_0"]
    out = explain(z3, c, digits=12)
    assert "δ³₀ = ∂C/∂z³₀" in out
    assert result(out) == pytest.approx(2 * (z3.data - 0.5), rel=1e-9)


def test_a_node_used_twice_is_a_sum_over_its_uses() -> None:
    c, nodes = small_net()
    c.backward()
    text = explain(nodes["a^1_0"], c)
    assert "Σ over the 2 uses of a¹₀" in text
    assert "δ²₀ · w²₀,₀" in text and "δ²₁ · w²₁,₀" in text
    terms = [read(line.rsplit("=", 1)[1].split()[0]) for line in text.splitlines()[1:3]]
    assert math.fsum(terms) == pytest.approx(nodes["a^1_0"].grad, rel=1e-3)


def test_the_root_and_unlabelled_nodes() -> None:
    c, _ = small_net()
    assert explain(c, c).startswith("∂C/∂C = 1")
    x, y = Value(3.0, "x"), Value(-2.0, "y")
    out = x * y + x
    text = explain(x, out)
    assert "(x·y)" in text and "C stands for the root" in text
    assert result(text) == pytest.approx(y.data + 1.0)
    # a chain of unlabelled nodes is named by its step in the backward pass
    deep = ((x * y).tanh() * x).exp()
    assert re.search(r"node #\d+", explain(x, deep))


def test_grads_are_left_exactly_as_they_were() -> None:
    c, nodes = small_net()
    before = grads(c)
    explain(nodes["w^2_{0,1}"], c)
    assert grads(c) == before  # all zero: no backward pass happened as far as .grad can tell
    c.backward()
    c.backward()  # leaves accumulate: w.grad is now twice the gradient
    before = grads(c)
    for node in nodes.values():
        text = explain(node, c, digits=17)
        if node.is_leaf:
            assert result(text) == pytest.approx(node.grad / 2.0, rel=1e-12, abs=1e-15)
    assert grads(c) == before


def test_the_numbers_come_from_backward_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    c, nodes = small_net()
    real = Value.backward_steps

    def doubled(self: Value, create_graph: bool = False, *, hooks: bool = True) -> Iterator[Step]:
        for s in real(self, create_graph, hooks=hooks):
            yield Step(s.index, s.node, 2.0 * s.upstream, s.local, s.contributions)

    c.backward()
    delta = nodes["z^2_1"].grad
    monkeypatch.setattr(Value, "backward_steps", doubled)
    text = explain(nodes["w^2_{1,0}"], c, digits=12)
    assert f"{2.0 * delta:.12g}" in text.replace("−", "-")


def test_errors() -> None:
    c, nodes = small_net()
    stranger = Value(1.0, "s")
    with pytest.raises(ValueError, match="node 's' is not in the graph of C"):
        explain(stranger, c)
    with pytest.raises(TypeError, match="needs a Value"):
        explain(1.0, c)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="needs a Value"):
        explain(nodes["z^2_0"], [c])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="digits"):
        explain(c, c, digits=0)


@given(x=reals(-2.0, 2.0), y=away_from_zero(0.3, 2.0), p=positives(0.3, 2.0))
def test_every_op_explains_the_engine_gradient(x: float, y: float, p: float) -> None:
    a, b, q = Value(x, "a"), Value(y, "b"), Value(p, "q")
    parts = [
        a * b,
        a / b,
        a - b,
        -a,
        a.exp(),
        q.log(),
        a.tanh(),
        b.sigmoid(),
        b.relu(),
        a**2,
        q**b,
        2.0**a,
    ]
    out = parts[0]
    for part in parts[1:]:
        out = out + part
    out.backward()
    for leaf in (a, b, q):
        text = explain(leaf, out, digits=17)
        assert result(text) == pytest.approx(leaf.grad, rel=1e-12, abs=1e-12)
        assert f"∂C/∂{leaf.label}" in text


def test_explain_and_stepper_do_not_fire_user_hooks() -> None:
    from autograd import Value
    from viz import explain, stepper_html

    x = Value(0.5, "x")
    w = Value(-1.0, "w")
    y = (w * x).tanh()
    fired: list[float] = []
    w.register_hook(fired.append)
    explain(w, y)
    stepper_html(y)
    assert fired == []
    y.backward()
    assert fired == [w.grad]
