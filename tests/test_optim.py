"""nn.optim: SGD and Adam against their update formulas, plain-float references and errors."""

import math
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, grad
from nn.optim import SGD, Adam
from tests.strategies import away_from_zero, reals


def params(*xs: float) -> list[Value]:
    return [Value(x, f"w{i}") for i, x in enumerate(xs)]


def set_grads(ps: list[Value], gs: list[float]) -> None:
    for p, g in zip(ps, gs, strict=True):
        p.grad = g


# ------------------------------------------------------------------------------ SGD
@given(st.lists(reals(), min_size=1, max_size=4), st.data(), reals(1e-3, 1.0))
def test_sgd_step_is_w_minus_lr_g(w: list[float], data: st.DataObject, lr: float) -> None:
    g = data.draw(st.lists(reals(), min_size=len(w), max_size=len(w)))
    ps = params(*w)
    set_grads(ps, g)
    SGD(ps, lr=lr).step()
    assert [p.data for p in ps] == pytest.approx(
        [w_k - lr * g_k for w_k, g_k in zip(w, g, strict=True)], rel=1e-12, abs=1e-15
    )


def test_sgd_momentum_over_three_steps_matches_a_hand_loop() -> None:
    lr, mu = 0.1, 0.9
    ps = params(1.0, -2.0)
    opt = SGD(ps, lr=lr, momentum=mu)
    grads = [[0.5, -1.0], [0.25, 2.0], [-1.0, 0.5]]
    w, v = [1.0, -2.0], [0.0, 0.0]
    for g in grads:
        set_grads(ps, g)
        opt.step()
        for k in range(2):
            v[k] = mu * v[k] + g[k]
            w[k] -= lr * v[k]
        assert [p.data for p in ps] == pytest.approx(w, rel=1e-12)
    # by hand for w0: v = 0.5, 0.7, -0.37; w = 0.95, 0.88, 0.917
    assert ps[0].data == pytest.approx(0.917, rel=1e-12)


def test_sgd_weight_decay_adds_lambda_w_to_the_gradient() -> None:
    ps = params(2.0, -4.0)
    set_grads(ps, [0.5, 0.0])
    opt = SGD(ps, lr=0.1, weight_decay=0.25, momentum=0.5)
    opt.step()
    # v = g + λ w = [0.5 + 0.5, 0 − 1]; w ← w − lr v
    assert [p.data for p in ps] == pytest.approx([1.9, -3.9], rel=1e-12)
    set_grads(ps, [0.0, 0.0])
    opt.step()
    # v = μ v + λ w = [0.5 + 0.475, −0.5 − 0.975]
    assert [p.data for p in ps] == pytest.approx([1.9 - 0.0975, -3.9 + 0.1475], rel=1e-12)


def test_sgd_reads_a_gradient_that_is_a_value() -> None:
    x = Value(3.0, "x")
    (dx,) = grad(x * x, [x], create_graph=True)  # d(x²)/dx = 2x, as a Value
    assert isinstance(dx, Value)
    x.grad = dx
    SGD([x], lr=0.5).step()
    assert x.data == pytest.approx(3.0 - 0.5 * 6.0)


# ------------------------------------------------------------------------------ Adam
@given(st.lists(away_from_zero(1e-3, 10.0), min_size=1, max_size=4), reals(1e-4, 0.1))
def test_adam_first_step_moves_each_parameter_by_lr_sign_g(g: list[float], lr: float) -> None:
    ps = params(*([1.0] * len(g)))
    set_grads(ps, g)
    Adam(ps, lr=lr).step()
    # m̂ = g, v̂ = g², so the step is lr g / (|g| + ε) ≈ lr sign(g)
    for p, g_k in zip(ps, g, strict=True):
        assert p.data == pytest.approx(1.0 - lr * g_k / (abs(g_k) + 1e-8), rel=1e-12)
        assert p.data == pytest.approx(1.0 - lr * math.copysign(1.0, g_k), rel=1e-4)


def adam_reference(
    w: list[float], grads: list[list[float]], lr: float, b1: float, b2: float, eps: float
) -> list[float]:
    """Kingma & Ba's Algorithm 1 on plain floats."""
    w = list(w)
    m = [0.0] * len(w)
    v = [0.0] * len(w)
    for t, g in enumerate(grads, start=1):
        for k in range(len(w)):
            m[k] = b1 * m[k] + (1 - b1) * g[k]
            v[k] = b2 * v[k] + (1 - b2) * g[k] ** 2
            m_hat = m[k] / (1 - b1**t)
            v_hat = v[k] / (1 - b2**t)
            w[k] -= lr * m_hat / (math.sqrt(v_hat) + eps)
    return w


@given(
    st.lists(st.lists(reals(), min_size=3, max_size=3), min_size=1, max_size=6),
    st.sampled_from([(0.9, 0.999), (0.5, 0.9), (0.0, 0.0)]),
)
def test_adam_matches_a_plain_float_reference(
    grads: list[list[float]], betas: tuple[float, float]
) -> None:
    w0 = [0.5, -1.0, 2.0]
    ps = params(*w0)
    opt = Adam(ps, lr=0.01, betas=betas, eps=1e-6)
    for g in grads:
        set_grads(ps, g)
        opt.step()
    expected = adam_reference(w0, grads, 0.01, *betas, 1e-6)
    assert [p.data for p in ps] == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert opt.t == len(grads)


# ------------------------------------------------------------------------------ both
@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.1), lambda ps: Adam(ps, lr=0.1)])
def test_zero_grad_resets_every_gradient(make: Any) -> None:
    ps = params(1.0, 2.0)
    set_grads(ps, [3.0, -4.0])
    make(ps).zero_grad()
    assert [p.grad for p in ps] == [0.0, 0.0]


@pytest.mark.parametrize(
    ("make", "steps"),
    [
        (lambda ps: SGD(ps, lr=0.1), 100),
        (lambda ps: SGD(ps, lr=0.05, momentum=0.9), 200),
        (lambda ps: Adam(ps, lr=0.1), 300),
    ],
)
def test_optimizers_minimise_a_quadratic(make: Any, steps: int) -> None:
    # C = (x − 3)² + 2 (y + 1)², minimum 0 at (3, −1)
    x, y = Value(0.0, "x"), Value(0.0, "y")
    opt = make([x, y])
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        c = (x - 3.0) ** 2 + 2.0 * (y + 1.0) ** 2
        c.backward()
        opt.step()
        losses.append(c.data)
    assert losses[0] == pytest.approx(11.0)
    assert losses[-1] < 1e-4
    assert (x.data, y.data) == pytest.approx((3.0, -1.0), abs=1e-2)


def test_params_may_be_a_generator() -> None:
    ps = params(1.0, 2.0)
    opt = SGD((p for p in ps), lr=0.1)
    assert opt.params == ps


# ------------------------------------------------------------------------------ errors
@pytest.mark.parametrize("cls", [SGD, Adam])
def test_parameter_list_errors(cls: Any) -> None:
    name = cls.__name__
    with pytest.raises(ValueError, match=rf"^{name}: got an empty list of parameters"):
        cls([], lr=0.1)
    with pytest.raises(TypeError, match=rf"^{name}: params\[1\] must be a Value, got float"):
        cls([Value(1.0), 2.0], lr=0.1)
    with pytest.raises(TypeError, match=rf"^{name}: params must be an iterable of Values"):
        cls(Value(1.0), lr=0.1)
    w = Value(1.0, "w")
    with pytest.raises(
        ValueError, match=rf"^{name}: parameter 2 \('w'\) is the same Value as parameter 1;"
    ):
        cls([Value(0.0), w, w], lr=0.1)
    with pytest.raises(ValueError, match=rf"^{name}: parameter 0 \(unlabelled\) is the output of"):
        cls([w * 2.0], lr=0.1)


@pytest.mark.parametrize("cls", [SGD, Adam])
@pytest.mark.parametrize("lr", [0.0, -0.1, math.inf, math.nan])
def test_learning_rate_must_be_positive(cls: Any, lr: float) -> None:
    with pytest.raises(
        ValueError, match=rf"^{cls.__name__}: the learning rate lr must be a finite"
    ):
        cls(params(1.0), lr=lr)


def test_sgd_hyperparameter_errors() -> None:
    for mu in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError, match=rf"^SGD: momentum must lie in \[0, 1\), got {mu}"):
            SGD(params(1.0), lr=0.1, momentum=mu)
    with pytest.raises(ValueError, match=r"^SGD: weight_decay must be a finite number >= 0"):
        SGD(params(1.0), lr=0.1, weight_decay=-1.0)
    with pytest.raises(TypeError, match=r"^SGD: lr must be a number, got str '0.1'"):
        SGD(params(1.0), lr="0.1")  # type: ignore[arg-type]


def test_adam_hyperparameter_errors() -> None:
    for betas, which, bad in [((1.0, 0.999), "β1", 1.0), ((0.9, -0.5), "β2", -0.5)]:
        with pytest.raises(ValueError, match=rf"^Adam: {which} must lie in \[0, 1\), got {bad}"):
            Adam(params(1.0), betas=betas)
    with pytest.raises(ValueError, match=r"^Adam: betas must be a pair \(β1, β2\), got 3 numbers"):
        Adam(params(1.0), betas=(0.9, 0.99, 0.999))  # type: ignore[arg-type]
    for eps in (0.0, -1e-8):
        with pytest.raises(ValueError, match=r"^Adam: eps must be a finite number > 0"):
            Adam(params(1.0), eps=eps)
    with pytest.raises(ValueError, match=r"^Adam: weight_decay must be a finite number >= 0"):
        Adam(params(1.0), weight_decay=-0.1)


def test_adam_weight_decay_adds_lambda_w_to_the_gradient() -> None:
    # with λ: Adam sees g + λ w, so a zero gradient still shrinks a weight towards 0
    ps = params(2.0, -4.0)
    set_grads(ps, [0.0, 1.0])
    Adam(ps, lr=0.1, weight_decay=0.5).step()
    expected = adam_reference(
        [2.0, -4.0], [[0.0 + 0.5 * 2.0, 1.0 + 0.5 * -4.0]], 0.1, 0.9, 0.999, 1e-8
    )
    assert [p.data for p in ps] == pytest.approx(expected, rel=1e-12)
    assert ps[0].data < 2.0 and ps[1].data > -4.0


@pytest.mark.parametrize("cls", [SGD, Adam])
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_step_refuses_a_non_finite_gradient_and_changes_nothing(cls: Any, bad: float) -> None:
    ps = params(1.0, 2.0)
    ps[1].label = "w^2_{0,1}"
    set_grads(ps, [0.5, bad])
    opt = cls(ps, lr=0.1)
    with pytest.raises(
        ValueError,
        match=rf"^{cls.__name__}\.step: parameter 1 \({re.escape(repr(ps[1].label))}\) has "
        rf"gradient {bad}; "
        r"no parameter was updated",
    ):
        opt.step()
    assert [p.data for p in ps] == [1.0, 2.0]
