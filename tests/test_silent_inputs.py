"""Inputs that used to be accepted silently or refused with a message naming nothing.

Each case is what a learner typed; each error names the argument, the value and what to do.
"""

import math

import pytest

from autograd import Value, grad, gradcheck, no_grad
from nn.optim import SGD, Adam

HUGE = 10**400  # an int no float can hold


def test_backward_from_a_result_made_inside_no_grad_raises() -> None:
    x = Value(2.0, "x")
    with no_grad():
        y = x * x
    with pytest.raises(RuntimeError, match=r"^backward: .*inside no_grad\(\).*outside no_grad"):
        y.backward()
    with pytest.raises(RuntimeError, match=r"^grad: .*inside no_grad\(\)"):
        grad(y, [x])
    assert x.grad == 0.0


def test_a_leaf_made_inside_no_grad_still_starts_a_pass() -> None:
    # Value(...) is a leaf wherever it is made: backward() from it sets its own grad, as before
    with no_grad():
        w = Value(3.0)
    w.backward()
    assert w.grad == 1.0
    # and a result made inside no_grad() is a constant in a graph built outside it
    x = Value(2.0)
    with no_grad():
        c = x * 5.0
    (x * c).backward()
    assert x.grad == 10.0  # d(x c)/dx = c, with c = 10 held constant


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: Value(1.0).backward(gradient=HUGE), r"^backward: gradient: the number 1000"),
        (lambda: grad(Value(1.0) * 2, [], grad_outputs=HUGE), r"^grad\(grad_outputs=\.\.\.\)"),
        (lambda: Value(1.0).leaky_relu(slope=HUGE), r"^leaky_relu: slope: the number .*finite"),
        (lambda: Value(1.0).elu(alpha=HUGE), r"^elu: alpha: the number"),
        (lambda: gradcheck(lambda v: v * v, [HUGE]), r"^gradcheck: inputs\[0\]: the number"),
        (lambda: SGD([Value(1.0)], lr=HUGE), r"^SGD: lr is a number with 401 digits"),
        (lambda: Adam([Value(1.0)], lr=1e-3, eps=HUGE), r"^Adam: eps is a number with 401"),
    ],
)
def test_huge_ints_are_refused_naming_the_argument(call: object, match: str) -> None:
    with pytest.raises(OverflowError, match=match) as info:
        call()  # type: ignore[operator]
    assert "int too large to convert" not in str(info.value)


def test_bool_parameters_are_refused_alike() -> None:
    with pytest.raises(TypeError, match=r"^elu: alpha must be a number, got bool"):
        Value(1.0).elu(alpha=True)
    with pytest.raises(TypeError, match=r"^leaky_relu: slope must be a number, got bool"):
        Value(1.0).leaky_relu(slope=True)


def test_gradcheck_names_an_input_that_is_not_a_number() -> None:
    with pytest.raises(
        TypeError, match=r"^gradcheck: inputs\[1\] must be a Value or a number, got str 'a'"
    ):
        gradcheck(lambda u, v: u * v, [1.0, "a"])


def test_a_grad_that_is_not_a_number_is_named_by_step() -> None:
    p = Value(1.0, "w")
    opt = SGD([p], lr=0.1)
    p.grad = "x"  # type: ignore[assignment]
    with pytest.raises(
        TypeError, match=r"^SGD\.step: parameter 0 \('w'\) has \.grad = 'x' \(str\)"
    ):
        opt.step()
    assert p.data == 1.0  # nothing was updated


@pytest.mark.parametrize("bad", [math.nan, math.inf, 0.0, -0.1])
def test_setting_a_bad_learning_rate_later_is_refused(bad: float) -> None:
    for make in (lambda q: SGD([q], lr=0.1), lambda q: Adam([q], lr=0.1)):
        p = Value(1.0)
        opt = make(p)
        with pytest.raises(ValueError, match=r"the learning rate lr must be a finite number > 0"):
            opt.lr = bad
        p.grad = 0.5
        opt.step()
        assert math.isfinite(p.data) and p.data < 1.0  # the old rate still applies
