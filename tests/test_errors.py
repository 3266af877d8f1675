"""Bad input gets a clear error naming the op, the value and the node's label."""

import math

import pytest

from autograd import AnomalyError, Value, detect_anomaly, grad, linear


def test_log_of_non_positive() -> None:
    for bad in (0.0, -2.0):
        with pytest.raises(ValueError, match=rf"op 'log'.*positive.*{bad}.*node 'x'"):
            Value(bad, "x").log()


def test_zero_to_a_negative_power() -> None:
    with pytest.raises(ZeroDivisionError, match=r"op '\*\*-1'.*0\.0 at node 'x'"):
        Value(0, "x") ** -1
    with pytest.raises(ZeroDivisionError, match=r"op '\*\*'.*node 'x'"):
        Value(0, "x") ** Value(-1.0, "n")


def test_negative_base_with_fractional_exponent_is_not_complex() -> None:
    with pytest.raises(ValueError, match=r"op '\*\*0\.5'.*no real value.*-8\.0 at node 'x'"):
        Value(-8, "x") ** 0.5
    with pytest.raises(ValueError, match=r"op '\*\*'.*-8\.0"):
        Value(-8, "x") ** Value(1 / 3)
    with pytest.raises(ValueError, match=r"op '-2\*\*'"):
        (-2) ** Value(0.5)
    assert (Value(-8.0) ** 3).data == -512.0  # integer exponents are fine


def test_division_by_zero_names_the_divisor() -> None:
    with pytest.raises(ZeroDivisionError, match=r"op '/'.*division by zero.*node 'd'"):
        Value(1.0, "n") / Value(0.0, "d")
    with pytest.raises(ZeroDivisionError, match=r"op '/'.*unlabelled"):
        1 / Value(0.0)


def test_overflow_is_inf_as_in_ieee_floats() -> None:
    assert Value(1000.0, "z").exp().data == math.inf
    assert (Value(1e308) ** 2).data == math.inf and (Value(-1e308) ** 3).data == -math.inf
    assert (Value(-1e308) ** Value(2.0)).data == math.inf
    assert (10.0 ** Value(400.0)).data == math.inf


def test_negative_base_gradient_wrt_exponent_is_nan_and_anomaly_catches_it() -> None:
    # d(x**n)/dn = x**n log x does not exist for x < 0; d/dx does, and must not be lost
    x, n = Value(-2.0, "x"), Value(2.0, "n")
    y = x**n
    assert y.data == 4.0
    y.backward()
    assert x.grad == -4.0 and math.isnan(n.grad)
    with detect_anomaly():
        y = x**n
    with pytest.raises(AnomalyError, match=r"'\*\*'.*input 1"), detect_anomaly():
        y.backward()


def test_zero_exponent_has_zero_slope_even_at_zero() -> None:
    x = Value(0.0)
    (x**0).backward()
    assert x.grad == 0.0
    a, b = Value(0.0), Value(0.0)
    (a**b).backward()
    assert a.grad == 0.0 and b.grad == 0.0


def test_backward_error_names_the_line_that_made_the_node() -> None:
    with detect_anomaly():
        a = Value(0.0, "a")
        r = a**0.5  # the slope of sqrt at 0 is infinite
    with pytest.raises(ZeroDivisionError) as info:
        (r * 2.0).backward()
    text = str(info.value)
    assert "'**0.5'" in text and "infinite or undefined" in text
    assert "test_errors.py" in text and "r = a**0.5" in text


def test_sigmoid_and_tanh_stay_finite_at_large_inputs() -> None:
    for x, expected in ((1000.0, 1.0), (-1000.0, 0.0)):
        v = Value(x)
        s = v.sigmoid()
        assert s.data == expected
        s.backward()
        assert v.grad == 0.0
        t = Value(x)
        th = t.tanh()
        th.backward()
        assert th.data == math.copysign(1.0, x) and t.grad == 0.0


def test_relu_derivative_at_zero_is_zero() -> None:
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0
    assert grad(Value(1e-12).relu(), [Value(0.0)]) == [0.0]


def test_linear_length_mismatch_and_bad_entries() -> None:
    with pytest.raises(ValueError, match="2 weights and 3 inputs"):
        linear([Value(1.0), Value(2.0)], [1.0, 2.0, 3.0], 0.0)
    with pytest.raises(TypeError, match="linear: expected a Value or a number, got str"):
        linear([Value(1.0)], ["x"], 0.0)  # type: ignore[list-item]


def test_linear_accepts_numbers_and_has_the_documented_parents() -> None:
    w = [Value(2.0), Value(-1.0)]
    b = Value(0.5)
    z = linear(w, [3.0, 4.0], b)
    assert z.data == 2.5 and z.op == "linear"
    assert z.parents[:2] == tuple(w) and z.parents[-1] is b
    assert [p.data for p in z.parents[2:4]] == [3.0, 4.0]
