"""One policy for non-finite numbers, over every op of the table: IEEE results, domain errors.

Overflow gives ±inf and NaN/±inf inputs give what IEEE floats give (as in PyTorch); an input
outside an op's mathematical domain raises an error that names the op; inside
detect_anomaly() the first non-finite value made in the forward pass raises AnomalyError
naming the op, its inputs and the line.
"""

import inspect
import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import OPS, AnomalyError, Op, Value, detect_anomaly
from autograd.value import apply

BIG = 1.7976931348623157e308
SPECIAL = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -2.5,
    709.78,
    710.0,
    -745.2,
    1e154,
    -1e154,
    1e300,
    1e308,
    -1e308,
    BIG,
    -BIG,
    5e-324,
    math.inf,
    -math.inf,
    math.nan,
]
numbers = st.one_of(
    st.sampled_from(SPECIAL),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-10.0, max_value=10.0),
)


def arity(op: Op) -> int:
    """How many inputs the op takes; a variadic op (linear) gets one weight and one input."""
    params = inspect.signature(op.forward).parameters.values()
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return 3
    return len(params)


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


DOMAIN_ERRORS = (ValueError, ZeroDivisionError)


@pytest.mark.parametrize("name", sorted(OPS))
@given(data=st.data())
def test_every_op_gives_an_ieee_result_or_a_domain_error_naming_it(
    name: str, data: st.DataObject
) -> None:
    op = OPS[name]
    xs = [data.draw(numbers) for _ in range(arity(op))]
    try:
        expected = op.forward(*xs)
    except Exception as e:  # the row refuses: only as a domain error, named by the engine
        with pytest.raises(DOMAIN_ERRORS, match=rf"^op '{re.escape(op.name)}': "):
            apply(op, *[Value(x) for x in xs])
        assert not isinstance(e, OverflowError), (op.name, xs, e)  # overflow is inf, not raised
        return
    node = apply(op, *[Value(x) for x in xs])
    assert type(node.data) is float and same(node.data, expected)
    # under detect_anomaly(), a non-finite result is reported at once, with the op named
    inputs = [Value(x, f"in{i}") for i, x in enumerate(xs)]
    if math.isfinite(expected):
        with detect_anomaly():
            assert same(apply(op, *inputs).data, expected)
    else:
        with pytest.raises(AnomalyError) as info, detect_anomaly():
            apply(op, *inputs)
        text = str(info.value)
        assert text.startswith(f"forward produced {expected!r} at op '{op.name}'")
        assert "node 'in0'" in text and "test_nonfinite.py:" in text


def test_overflow_is_inf_in_every_operator() -> None:
    big = Value(1e308)
    assert (big * 10).data == math.inf
    assert (big + 1e308).data == math.inf
    assert (big / 1e-10).data == math.inf
    assert (-big - 1e308).data == -math.inf
    assert Value(709.8).exp().data == math.inf
    assert (big**2).data == math.inf and ((-big) ** 3).data == -math.inf
    assert (Value(1e-200) ** -2).data == math.inf
    assert (10 ** Value(400.0)).data == math.inf
    assert (Value(10.0) ** Value(400.0)).data == math.inf


def test_nan_and_inf_inputs_are_accepted_and_propagate_as_floats_do() -> None:
    nan, inf = Value(math.nan), Value(math.inf)
    assert math.isnan((nan + 1.0).data) and math.isnan((inf - inf).data)
    assert math.isnan((inf * 0.0).data) and (inf * 2.0).data == math.inf
    assert inf.tanh().data == 1.0 and (-inf).sigmoid().data == 0.0
    assert inf.log().data == math.inf and (-inf).exp().data == 0.0
    assert math.isnan(nan.exp().data) and math.isnan(nan.log().data)
    assert (1.0 / inf).data == 0.0


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: Value(-math.inf).log(), ValueError, r"^op 'log': log is defined only for pos"),
        (lambda: Value(0.0).log(), ValueError, r"^op 'log'"),
        (lambda: Value(math.nan) / 0.0, ZeroDivisionError, r"^op '/': division by zero"),
        (lambda: Value(-2.0) ** 0.5, ValueError, r"^op '\*\*0\.5': a negative base"),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, r"^op '\*\*-1'"),
    ],
)
def test_inputs_outside_the_domain_still_raise_with_the_op_named(
    make: object, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        make()  # type: ignore[operator]


def test_a_huge_int_names_value_and_the_range() -> None:
    with pytest.raises(OverflowError, match=r"^Value\(\): the number 10000000…00000000 \(401 dig"):
        Value(10**400)
    with pytest.raises(OverflowError, match=r"out of a float's range"):
        Value(1.0) * 10**400
    with pytest.raises(OverflowError, match=r"^exponent: .* out of a float's range"):
        Value(1.0) ** 10**400


# The same policy in backward: a local derivative that overflows is ±inf, never OverflowError.
# pow_const is a family outside OPS: its members x**3 and x**-1 are added by hand.
BACKWARD_OPS = [*sorted(OPS), "**3", "**-1"]


def _op(name: str) -> Op:
    from autograd.ops import pow_const

    return {"**3": pow_const(3.0), "**-1": pow_const(-1.0)}.get(name) or OPS[name]


@pytest.mark.parametrize("name", BACKWARD_OPS)
@given(data=st.data())
def test_backward_overflow_is_inf_not_an_error(name: str, data: st.DataObject) -> None:
    op = _op(name)
    xs = [data.draw(numbers) for _ in range(arity(op))]
    try:
        op.forward(*xs)
    except Exception:
        return  # the forward refuses: nothing to differentiate
    inputs = [Value(x) for x in xs]
    try:
        apply(op, *inputs).backward()
    except DOMAIN_ERRORS as e:  # an infinite slope at a point (sqrt at 0) is a domain error
        assert not isinstance(e, OverflowError), (op.name, xs, e)
        assert "its local derivative is infinite or undefined" in str(e)


def test_backward_overflow_examples_are_signed_infinities() -> None:
    # d x^3/dx = 3x^2 = 3e400 -> inf;  d x^-1/dx = -x^-2 = -1e400 -> -inf (by hand)
    x = Value(1e200)
    (x**3).backward()
    assert x.grad == math.inf
    x = Value(1e-200)
    (x**-1).backward()
    assert x.grad == -math.inf
    x, y = Value(-1e200), Value(3.0)
    (x**y).backward()
    assert x.grad == math.inf and math.isnan(y.grad)  # d/dy of (-b)^y has no real value


@pytest.mark.parametrize("x", [1e10, 1e103, 1e155, 1e200, BIG])
def test_gelu_slope_far_from_zero_is_one_or_zero(x: float) -> None:
    # gelu(x) = x/2 (1 + tanh(u)) tends to x for x -> +inf (slope 1) and to 0 for x -> -inf
    for v, slope in ((x, 1.0), (-x, 0.0)):
        node = Value(v)
        node.gelu().backward()
        assert node.grad == slope, (v, node.grad)


# NaN goes through every op as a float NaN does: the result is NaN, never an error. The two
# documented exceptions are IEEE rules too: relu(NaN) = 0 (maxNum) and a comparison with NaN
# is false (0.0).
NOT_NAN = {"relu": 0.0, "<": 0.0, "<=": 0.0, ">": 0.0, ">=": 0.0}


@pytest.mark.parametrize("name", sorted(OPS))
def test_nan_in_any_input_of_every_op_gives_nan(name: str) -> None:
    op = OPS[name]
    n = arity(op)
    for i in range(n):
        xs = [math.nan if j == i else 0.5 for j in range(n)]
        out = apply(op, *[Value(x) for x in xs]).data
        if name in NOT_NAN:
            assert out == NOT_NAN[name], (name, xs, out)
        else:
            assert math.isnan(out), (name, xs, out)
