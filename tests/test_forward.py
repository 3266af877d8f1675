"""Forward mode: jvp equals grad · tangent on random graphs over every op in the table."""

import math
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import OPS, Value, grad, jvp, linear, topological_order
from autograd.forward import tangent_of
from tests.strategies import reals

Build = Callable[[Value, Value], Value]

# op name -> a way to apply it to two Values from the pool, staying inside its domain and off
# its kinks, ties and saturation (so the derivative exists and central differences agree).
BUILDERS: dict[str, Build] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / (b * b + 0.5),
    "**": lambda a, b: (a * a + 0.5) ** b.tanh(),
    "neg": lambda a, b: -a,
    "exp": lambda a, b: a.tanh().exp(),
    "log": lambda a, b: (a * a + 0.5).log(),
    "tanh": lambda a, b: a.tanh(),
    "sigmoid": lambda a, b: a.sigmoid(),
    "relu": lambda a, b: (a * a + 0.1).relu() - b.tanh().relu(),
    "sin": lambda a, b: a.sin(),
    "cos": lambda a, b: a.cos(),
    "tan": lambda a, b: a.tanh().tan(),
    "arcsin": lambda a, b: (0.9 * a.tanh()).arcsin(),
    "arccos": lambda a, b: (0.9 * a.tanh()).arccos(),
    "arctan": lambda a, b: a.arctan(),
    "abs": lambda a, b: abs(a * a + 0.1) + abs(-1.0 - b * b),
    "sqrt": lambda a, b: (a * a + 0.1).sqrt(),
    "leaky_relu": lambda a, b: a.leaky_relu() if abs(a.data) > 0.05 else a,
    "softplus": lambda a, b: a.softplus(),
    "elu": lambda a, b: a.elu(),
    "gelu": lambda a, b: a.tanh().gelu(),
    "linear": lambda a, b: linear([a, b], [b, 0.5], a),
    "sum": lambda a, b: autograd.sum([a, b, a]),
    "mean": lambda a, b: autograd.mean([a, b, b]),
    "<": lambda a, b: (a < b) * a + b,
    "<=": lambda a, b: (a <= b) * b + a,
    ">": lambda a, b: (a > b) * (a * b) + a,
    ">=": lambda a, b: (a >= b) + a * b,
}


def test_every_op_has_a_builder() -> None:
    assert set(BUILDERS) == set(OPS)


@st.composite
def programs(draw: st.DrawFn, must: str) -> tuple[list[tuple[str, int, int]], int]:
    """A random program: steps (op, i, j) applied to the pool of values; `must` comes first."""
    n_inputs = draw(st.integers(1, 4))
    names = sorted(OPS)
    steps = [(must, draw(st.integers(0, n_inputs - 1)), draw(st.integers(0, n_inputs - 1)))]
    for k in range(draw(st.integers(0, 6))):
        size = n_inputs + 1 + k
        steps.append(
            (
                draw(st.sampled_from(names)),
                draw(st.integers(0, size - 1)),
                draw(st.integers(0, size - 1)),
            )
        )
    return steps, n_inputs


def run(steps: list[tuple[str, int, int]], xs: list[Value]) -> Value:
    pool = list(xs)
    for name, i, j in steps:
        pool.append(BUILDERS[name](pool[i], pool[j]))
    # every value takes part in the output: a sum of bounded functions of them
    return autograd.sum([v.tanh() for v in pool[len(xs) :]] + [pool[-1]])


def ties_or_kinks(root: Value) -> bool:
    for n in topological_order(root):
        if n.op in ("<", "<=", ">", ">=") and abs(n.parents[0].data - n.parents[1].data) < 1e-3:
            return True
        if n.op in ("elu",) and abs(n.parents[0].data) < 1e-3:
            return True
    return False


@pytest.mark.parametrize("must", sorted(OPS))
@settings(max_examples=25)
@given(data=st.data())
def test_jvp_equals_the_gradient_dotted_with_the_tangent(must: str, data: st.DataObject) -> None:
    steps, n = data.draw(programs(must))
    point = data.draw(st.lists(reals(-2.0, 2.0), min_size=n, max_size=n))
    tangent = data.draw(st.lists(reals(-2.0, 2.0), min_size=n, max_size=n))
    xs = [Value(x) for x in point]
    out = run(steps, xs)
    if ties_or_kinks(out):
        return
    gs = grad(out, xs)
    expected = math.fsum(g * t for g, t in zip(gs, tangent, strict=True))
    value, dot = jvp(lambda *vs: run(steps, list(vs)), point, tangent)
    assert value == out.data
    scale = 1.0 + math.fsum(abs(g * t) for g, t in zip(gs, tangent, strict=True))
    assert dot == pytest.approx(expected, rel=1e-9, abs=1e-12 * scale)


def test_unit_tangents_give_the_partials() -> None:
    def f(x: Value, y: Value, z: Value) -> Value:
        return x * y.sin() + (z * x).exp()

    point = [0.3, -1.1, 0.8]
    xs = [Value(p) for p in point]
    gs = grad(f(*xs), xs)
    for i in range(3):
        unit = [1.0 if j == i else 0.0 for j in range(3)]
        assert jvp(f, point, unit)[1] == pytest.approx(gs[i], rel=1e-15)


def test_tangent_of_a_recorded_graph() -> None:
    x, y = Value(2.0), Value(3.0)
    out = x * y + x.sin()
    assert tangent_of(out, {x: 1.0}) == pytest.approx(3.0 + math.cos(2.0))
    assert tangent_of(out, {}) == 0.0


def test_jvp_errors_name_jvp() -> None:
    with pytest.raises(ValueError, match="jvp: got 2 primals but 1 tangents"):
        jvp(lambda a, b: a * b, [1.0, 2.0], [1.0])
    with pytest.raises(TypeError, match=r"jvp: tangents\[0\] must be a number, got str"):
        jvp(lambda a: a, [1.0], ["t"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="jvp: f must return a Value, got float"):
        jvp(lambda a: 1.0, [1.0], [1.0])  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match="jvp: primals must be a list of numbers"):
        jvp(lambda a: a, 1.0, [1.0])  # type: ignore[arg-type]
    with pytest.raises(ZeroDivisionError, match=r"backward through .*'sqrt'"):
        jvp(lambda a: a.sqrt(), [0.0], [1.0])
