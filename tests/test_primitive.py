"""A user-defined primitive works with every tool, exactly like a row of the op table."""

import math

import pytest

import autograd
import viz
from autograd import (
    AnomalyError,
    GradcheckError,
    Value,
    detect_anomaly,
    grad,
    gradcheck,
    jvp,
    primitive,
)

# softplus as a learner writes it: forward on floats, derivative with autograd's functions
softplus = primitive(
    "my_softplus",
    forward=lambda x: math.log1p(math.exp(-abs(x))) + max(x, 0.0),
    derivative=lambda x, out: (autograd.sigmoid(x),),
)
# a two-input op: f(x, y) = x sin y, with both partial derivatives
xsin = primitive(
    "xsin",
    forward=lambda x, y: x * math.sin(y),
    derivative=lambda x, y, out: (autograd.sin(y), x * autograd.cos(y)),
)


def test_called_on_values_it_makes_a_node_and_on_numbers_a_float() -> None:
    x = Value(0.5, "x")
    y = softplus(x)
    assert isinstance(y, Value) and y.op == "my_softplus" and y.parents == (x,)
    assert y.data == pytest.approx(math.log1p(math.exp(0.5)))
    assert softplus(0.5) == y.data and type(softplus(0.5)) is float
    z = xsin(x, 2.0)
    assert z.parents[0] is x and z.parents[1].data == 2.0
    assert repr(softplus) == "primitive('my_softplus')"


def test_backward_and_grad() -> None:
    x, y = Value(0.5), Value(-1.2)
    out = xsin(x, y) + softplus(x)
    out.backward()
    s = 1.0 / (1.0 + math.exp(-0.5))
    assert x.grad == pytest.approx(math.sin(-1.2) + s)
    assert y.grad == pytest.approx(0.5 * math.cos(-1.2))
    assert grad(out, [x, y]) == [x.grad, y.grad]


def test_create_graph_gives_second_derivatives() -> None:
    x = Value(0.3)
    (d1,) = grad(softplus(x), [x], create_graph=True)
    (d2,) = grad(d1, [x])
    s = 1.0 / (1.0 + math.exp(-0.3))
    assert d2 == pytest.approx(s * (1.0 - s))
    a, b = Value(0.7), Value(0.4)
    _, db = grad(xsin(a, b), [a, b], create_graph=True)
    assert grad(db, [a, b]) == pytest.approx([math.cos(0.4), -0.7 * math.sin(0.4)])
    x.grad = 0.0
    softplus(x).backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == pytest.approx(s)


def test_gradcheck_passes_and_catches_a_wrong_derivative() -> None:
    assert gradcheck(lambda x: softplus(x), [0.3])
    assert gradcheck(lambda x, y: xsin(x, y), [0.3, -2.0])
    wrong = primitive(
        "wrong_softplus",
        forward=lambda x: math.log1p(math.exp(x)),
        derivative=lambda x, out: (autograd.tanh(x),),  # should be sigmoid
    )
    with pytest.raises(GradcheckError, match="MISMATCH"):
        gradcheck(lambda x: wrong(x), [0.3])


def test_backward_steps_and_hooks() -> None:
    x = Value(0.5, "x")
    y = softplus(x)
    seen: list[float] = []
    y.register_hook(seen.append)
    x.register_hook(seen.append)
    steps = list(y.backward_steps())
    assert [s.node for s in steps] == [y, x]
    s = 1.0 / (1.0 + math.exp(-0.5))
    assert steps[0].local == (pytest.approx(s),) and steps[0].contributions == steps[0].local
    assert seen == [1.0, pytest.approx(s)]


def test_anomaly_mode_names_the_op_and_the_line() -> None:
    bad = primitive("bad_slope", forward=lambda x: x, derivative=lambda x, out: (math.nan,))
    with detect_anomaly():
        x = Value(1.0, "x")
        y = bad(x)  # the line the error points at
        with pytest.raises(AnomalyError, match=r"'bad_slope'.*test_primitive.py:\d+: y = bad\(x\)"):
            y.backward()


def test_forward_domain_errors_name_the_op_and_node() -> None:
    root = primitive("root", forward=math.sqrt, derivative=lambda x, out: (0.5 / out,))
    with pytest.raises(ValueError, match=r"op 'root': its forward raised ValueError.*at node 'v'"):
        root(Value(-1.0, "v"))
    with pytest.raises(ValueError, match=r"op 'root': its forward raised ValueError.*got -1.0"):
        root(-1.0)
    with pytest.raises(ZeroDivisionError, match=r"backward through .*'root'"):
        root(Value(0.0)).backward()


def test_drawing_and_the_stepper_show_the_op() -> None:
    x = Value(0.5, "x")
    y = softplus(x)
    y.label = "y"
    svg = viz.svg(y)
    assert "my_softplus" in svg
    page = viz.stepper_html(y)
    assert "my_softplus" in page


def test_jvp_uses_the_same_rule() -> None:
    out, tangent = jvp(lambda a, b: xsin(a, b), [0.7, 0.4], [1.0, 2.0])
    assert out == pytest.approx(0.7 * math.sin(0.4))
    assert tangent == pytest.approx(math.sin(0.4) + 2.0 * 0.7 * math.cos(0.4))


def test_bad_definitions_and_calls_say_what_to_do() -> None:
    with pytest.raises(TypeError, match="name must be a non-empty str"):
        primitive("", forward=math.sin, derivative=lambda x, out: (0.0,))
    with pytest.raises(TypeError, match="primitive 'f': forward must be a function"):
        primitive("f", forward=1.0, derivative=lambda x, out: (0.0,))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="primitive 'f': derivative must be a function"):
        primitive("f", forward=math.sin, derivative=None)  # type: ignore[arg-type]
    f = primitive("f", forward=math.sin, derivative=lambda x, out: (1.0, 2.0))
    with pytest.raises(TypeError, match=r"primitive 'f': derivative returned 2 .* for 1 input"):
        f(Value(1.0)).backward()
    g = primitive("g", forward=lambda x: "a", derivative=lambda x, out: (1.0,))  # type: ignore
    with pytest.raises(TypeError, match="primitive 'g': forward must return a float, got str"):
        g(Value(1.0))
    h = primitive("h", forward=math.sin, derivative=lambda x, out: (None,))
    with pytest.raises(TypeError, match="primitive 'h': derivative 0 must be a number"):
        h(Value(1.0)).backward()
    with pytest.raises(TypeError, match="primitive 'xsin': input 1 must be a Value or a number"):
        xsin(Value(1.0), "y")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"primitive 'xsin': forward failed on 1 input"):
        xsin(Value(1.0))
    with pytest.raises(TypeError, match="primitive 'xsin': needs at least one input"):
        xsin()


def test_a_bare_local_derivative_is_accepted_for_one_input() -> None:
    cube = primitive("cube", forward=lambda x: x**3, derivative=lambda x, out: 3.0 * x * x)
    x = Value(2.0)
    assert grad(cube(x), [x]) == [12.0]
    (d1,) = grad(cube(x), [x], create_graph=True)
    assert grad(d1, [x]) == [12.0]


def test_a_derivative_of_the_wrong_arity_is_refused_naming_the_op() -> None:
    # forward's parameters fix the number of inputs: the rule must take them and the output
    with pytest.raises(TypeError, match=r"primitive 'mul2': derivative takes 2 argument\(s\)"):
        primitive("mul2", forward=lambda x, y: x * y, derivative=lambda x, out: (1.0,))
    with pytest.raises(TypeError, match=r"primitive 'sq': .*derivative\(x1, out\)") as info:
        primitive("sq", forward=lambda x: x * x, derivative=lambda x: (2.0 * x,))
    assert "the output last" in str(info.value)
    with pytest.raises(TypeError, match="primitive 'sine'"):
        primitive("sine", forward=math.sin, derivative=lambda x, y, out: (1.0,))
    # a forward of any number of inputs: checked when backward calls the rule
    total = primitive("total", forward=lambda *xs: sum(xs), derivative=lambda x, y, out: (1.0, 1.0))
    z = total(Value(1.0), Value(2.0), Value(3.0))
    with pytest.raises(TypeError, match=r"primitive 'total': derivative cannot be called") as e:
        z.backward()
    assert "3 input(s) and the output" in str(e.value) and "<lambda>()" in str(e.value)
    # rules that take what they are given are accepted
    ok = primitive("ok", forward=lambda *xs: sum(xs), derivative=lambda *a: (1.0,) * (len(a) - 1))
    x = Value(1.0)
    assert grad(ok(x, x, 2.0), [x]) == [2.0]
    primitive("kw", forward=lambda x: x, derivative=lambda x, out, scale=1.0: (scale,))
