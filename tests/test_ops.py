"""Every op in the table against central differences, first and second order."""

import math
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import OPS, Value, grad, gradcheck, linear
from tests.strategies import away_from_zero, positives, reals

# op name -> (strategy for the inputs, function of Values that applies the op)
CASES: dict[str, tuple[st.SearchStrategy[tuple[float, ...]], Callable[..., Value]]] = {
    "+": (st.tuples(reals(), reals()), lambda x, y: x + y),
    "-": (st.tuples(reals(), reals()), lambda x, y: x - y),
    "*": (st.tuples(reals(), reals()), lambda x, y: x * y),
    "/": (st.tuples(reals(), away_from_zero()), lambda x, y: x / y),
    "**": (st.tuples(positives(), reals(-2.0, 2.0)), lambda x, y: x**y),
    "neg": (st.tuples(reals()), lambda x: -x),
    "exp": (st.tuples(reals()), lambda x: x.exp()),
    "log": (st.tuples(positives()), lambda x: x.log()),
    "tanh": (st.tuples(reals()), lambda x: x.tanh()),
    "sigmoid": (st.tuples(reals(-6.0, 6.0)), lambda x: x.sigmoid()),
    "relu": (st.tuples(away_from_zero()), lambda x: x.relu()),
    "sin": (st.tuples(reals()), lambda x: x.sin()),
    "cos": (st.tuples(reals()), lambda x: x.cos()),
    "tan": (st.tuples(reals(-1.3, 1.3)), lambda x: x.tan()),
    "arcsin": (st.tuples(reals(-0.9, 0.9)), lambda x: x.arcsin()),
    "arccos": (st.tuples(reals(-0.9, 0.9)), lambda x: x.arccos()),
    "arctan": (st.tuples(reals()), lambda x: x.arctan()),
    "abs": (st.tuples(away_from_zero()), lambda x: abs(x)),
    "sqrt": (st.tuples(positives()), lambda x: x.sqrt()),
    "leaky_relu": (st.tuples(away_from_zero()), lambda x: x.leaky_relu()),
    "softplus": (st.tuples(reals(-10.0, 10.0)), lambda x: x.softplus()),
    "elu": (st.tuples(away_from_zero()), lambda x: x.elu()),
    "gelu": (st.tuples(reals()), lambda x: x.gelu()),
    "sum": (
        st.lists(reals(), min_size=4, max_size=4).map(tuple),
        lambda a, b, c, d: autograd.sum([a, b, c, d]),
    ),
    "mean": (
        st.lists(reals(), min_size=3, max_size=3).map(tuple),
        lambda a, b, c: autograd.mean([a, b, c]),
    ),
    # comparisons, away from ties: 0/1 masks, so a mask times its input has the step's slope
    "<": (
        st.tuples(reals(), reals()).filter(lambda t: abs(t[0] - t[1]) > 0.1),
        lambda x, y: (x < y) * x,
    ),
    "<=": (
        st.tuples(reals(), reals()).filter(lambda t: abs(t[0] - t[1]) > 0.1),
        lambda x, y: (x <= y) * y,
    ),
    ">": (
        st.tuples(reals(), reals()).filter(lambda t: abs(t[0] - t[1]) > 0.1),
        lambda x, y: (x > y) * x * y,
    ),
    ">=": (
        st.tuples(reals(), reals()).filter(lambda t: abs(t[0] - t[1]) > 0.1),
        lambda x, y: (x >= y) + x,
    ),
    "linear": (
        st.lists(reals(), min_size=7, max_size=7).map(tuple),
        lambda w0, w1, w2, x0, x1, x2, b: linear([w0, w1, w2], [x0, x1, x2], b),
    ),
}


def test_every_op_in_the_table_has_a_case() -> None:
    assert set(CASES) == set(OPS)


def _ops_in(root: Value) -> set[str]:
    return {n.op for n in autograd.topological_order(root)}


def test_each_case_makes_the_op_it_names() -> None:
    for name, (_, f) in CASES.items():
        n = f.__code__.co_argcount
        out = f(*[Value(0.5 + 0.1 * i) for i in range(n)])
        assert out.op == name or name in _ops_in(out)


@pytest.mark.parametrize("name", sorted(CASES))
@given(data=st.data())
def test_first_derivative_matches_central_differences(name: str, data: st.DataObject) -> None:
    inputs, f = CASES[name]
    assert gradcheck(f, data.draw(inputs))


@pytest.mark.parametrize("name", sorted(CASES))
@given(data=st.data())
def test_forward_matches_plain_math(name: str, data: st.DataObject) -> None:
    inputs, f = CASES[name]
    point = data.draw(inputs)
    plain: dict[str, Callable[..., float]] = {
        "+": lambda x, y: x + y,
        "-": lambda x, y: x - y,
        "*": lambda x, y: x * y,
        "/": lambda x, y: x / y,
        "**": lambda x, y: x**y,
        "neg": lambda x: -x,
        "exp": math.exp,
        "log": math.log,
        "tanh": math.tanh,
        "sigmoid": lambda x: 1.0 / (1.0 + math.exp(-x)),
        "relu": lambda x: max(0.0, x),
        "sin": math.sin,
        "cos": math.cos,
        "tan": math.tan,
        "arcsin": math.asin,
        "arccos": math.acos,
        "arctan": math.atan,
        "abs": lambda x: abs(x),
        "sqrt": math.sqrt,
        "leaky_relu": lambda x: x if x > 0 else 0.01 * x,
        "softplus": lambda x: math.log(1.0 + math.exp(x)),
        "elu": lambda x: x if x > 0 else math.exp(x) - 1.0,
        "gelu": lambda x: (
            0.5 * x * (1.0 + math.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))
        ),
        "sum": lambda a, b, c, d: a + b + c + d,
        "mean": lambda a, b, c: (a + b + c) / 3.0,
        "<": lambda x, y: x if x < y else 0.0,
        "<=": lambda x, y: y if x <= y else 0.0,
        ">": lambda x, y: x * y if x > y else 0.0,
        ">=": lambda x, y: (1.0 if x >= y else 0.0) + x,
        "linear": lambda w0, w1, w2, x0, x1, x2, b: w0 * x0 + w1 * x1 + w2 * x2 + b,
    }
    assert f(*[Value(x) for x in point]).data == pytest.approx(plain[name](*point), rel=1e-12)


# Second derivatives: grad of grad (create_graph=True) against central differences of the
# engine's first derivative. relu and linear are piecewise linear / linear: their
# second derivatives are 0, which the same check covers.
@pytest.mark.parametrize("name", sorted(CASES))
@given(data=st.data())
def test_second_derivative_matches_differences_of_the_first(name: str, data: st.DataObject) -> None:
    inputs, f = CASES[name]
    point = list(data.draw(inputs))
    xs = [Value(x) for x in point]
    first = grad(f(*xs), xs, create_graph=True)
    for i in range(len(xs)):
        hessian_row = [float(h) for h in grad(first[i], xs)]

        def d_i(p: list[float], i: int = i) -> float:
            # the engine's first derivative as a plain function of the point
            ws = [Value(x) for x in p]
            return float(grad(f(*ws), ws)[i])

        eps = 1e-5
        expected = []
        for j in range(len(point)):
            up = [x + eps if k == j else x for k, x in enumerate(point)]
            down = [x - eps if k == j else x for k, x in enumerate(point)]
            expected.append((d_i(up) - d_i(down)) / (2 * eps))
        for h, e in zip(hessian_row, expected, strict=True):
            assert h == pytest.approx(e, abs=1e-4, rel=1e-3)


@pytest.mark.parametrize(
    ("f", "second"),
    [
        (lambda x: x.tanh(), lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2)),
        (
            lambda x: x.sigmoid(),
            lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s) * (1 - 2 * s),
        ),
        (lambda x: x.exp(), math.exp),
        (lambda x: x.log(), lambda x: -1 / x**2),
        (lambda x: x**3.5, lambda x: 3.5 * 2.5 * x**1.5),
        (lambda x: 2.0**x, lambda x: 2.0**x * math.log(2.0) ** 2),
        (lambda x: x**x, lambda x: x**x * ((math.log(x) + 1) ** 2 + 1 / x)),
    ],
    ids=["tanh", "sigmoid", "exp", "log", "pow", "rpow", "x**x"],
)
@given(x=positives(0.3, 2.0))
def test_second_derivative_closed_forms(
    f: Callable[[Value], Value], second: Callable[[float], float], x: float
) -> None:
    v = Value(x)
    (d1,) = grad(f(v), [v], create_graph=True)
    (d2,) = grad(d1, [v])
    assert d2 == pytest.approx(second(x), rel=1e-9, abs=1e-12)


def test_third_derivative_of_exp_is_exp() -> None:
    x = Value(0.7)
    g = x.exp()
    for _ in range(3):
        (g,) = grad(g, [x], create_graph=True)
    assert g.data == pytest.approx(math.exp(0.7))


def test_mlp_hessian_vector_product_matches_finite_differences() -> None:
    # f(p) = (tanh(w1 x + b1) w2 + b2 - y)^2 summed over two hidden units; Hv = d/dp (g . v)
    point = [0.3, -0.8, 0.5, 0.1, 1.2, -0.4, 0.2]
    direction = [1.0, -0.5, 0.25, 2.0, -1.0, 0.5, 0.3]

    def loss(
        w1a: Value, w1b: Value, b1a: Value, b1b: Value, w2a: Value, w2b: Value, b2: Value
    ) -> Value:
        x, y = 0.7, 0.25
        ha = linear([w1a], [x], b1a).tanh()
        hb = linear([w1b], [x], b1b).tanh()
        out = linear([w2a, w2b], [ha, hb], b2)
        return (out - y) ** 2

    ps = [Value(p) for p in point]
    gs = grad(loss(*ps), ps, create_graph=True)
    gv = gs[0] * direction[0]
    for g, v in zip(gs[1:], direction[1:], strict=True):
        gv = gv + g * v
    hvp = [float(h) for h in grad(gv, ps)]

    def grad_at(p: list[float]) -> list[float]:
        vs = [Value(x) for x in p]
        return [float(g) for g in grad(loss(*vs), vs)]

    eps = 1e-6
    up = grad_at([p + eps * d for p, d in zip(point, direction, strict=True)])
    down = grad_at([p - eps * d for p, d in zip(point, direction, strict=True)])
    expected = [(u - d) / (2 * eps) for u, d in zip(up, down, strict=True)]
    assert hvp == pytest.approx(expected, rel=1e-5, abs=1e-7)


def _left_to_right(first: float, terms: list[float]) -> float:
    total = first
    for t in terms:
        total += t  # one rounding per addition, in order
    return total


@given(
    st.lists(st.tuples(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3)), min_size=1, max_size=40),
    st.floats(-1e3, 1e3),
)
def test_linear_and_the_closed_form_add_left_to_right_on_every_python(
    pairs: list[tuple[float, float]], b: float
) -> None:
    # sum() of floats is compensated since Python 3.12; the trace writes b + w_1 x_1 + ... out,
    # so eager linear (and the oracle's sums) must be these additions, bit for bit, everywhere
    from autograd.ops import LINEAR
    from nn import closed_form

    ws, xs = [w for w, _ in pairs], [x for _, x in pairs]
    products = [w * x for w, x in pairs]
    assert LINEAR.forward(*ws, *xs, b) == _left_to_right(b, products)
    assert closed_form._sum(iter(products)) == _left_to_right(0.0, products)
