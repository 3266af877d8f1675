"""nn.losses against plain-float formulas, central differences and the closed-form oracle."""

import math
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import nn.activations
from autograd import Value, grad, gradcheck, topological_order
from nn import closed_form
from nn.losses import (
    batch_loss,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    half_mse,
    hinge,
    mse,
    quadratic,
    softmax,
    squared_error,
)
from tests.strategies import reals

VectorLoss = Callable[[Any, Any], Value]

VECTOR_LOSSES: dict[str, VectorLoss] = {
    "mse": mse,
    "quadratic": quadratic,
    "squared_error": squared_error,
    "binary_cross_entropy": binary_cross_entropy,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
    "hinge": hinge,
}
KINK_MARGIN = 1e-3  # hinge points at least this far from the kink y a = 1


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


# ------------------------------------------------------------------------------ strategies
@st.composite
def examples(draw: st.DrawFn, name: str) -> tuple[list[float], Any]:
    """Outputs and a valid target for the named loss, away from kinks and log's edges."""
    n = draw(st.integers(1, 4))
    if name == "cross_entropy":
        return draw(st.lists(reals(-5.0, 5.0), min_size=n, max_size=n)), draw(st.integers(0, n - 1))
    if name == "binary_cross_entropy":
        a = draw(st.lists(reals(0.02, 0.98), min_size=n, max_size=n))
    else:
        a = draw(st.lists(reals(-4.0, 4.0), min_size=n, max_size=n))
    if name.startswith("binary_cross_entropy"):
        # 0 and 1 exactly (the labels, where BCE skips a term) as well as soft targets
        y_j = st.one_of(st.sampled_from([0.0, 1.0]), reals(0.0, 1.0))
    elif name == "hinge":
        y_j = st.sampled_from([-1.0, 1.0])
    else:
        y_j = reals(-4.0, 4.0)
    y = draw(st.lists(y_j, min_size=n, max_size=n))
    if name == "hinge":
        assume(all(abs(1.0 - y_k * a_k) > KINK_MARGIN for a_k, y_k in zip(a, y, strict=True)))
    return a, y


ALL_NAMES = [*VECTOR_LOSSES, "cross_entropy"]


def loss_of(name: str) -> VectorLoss:
    return cross_entropy if name == "cross_entropy" else VECTOR_LOSSES[name]


# Plain-float formulas, written independently of nn.losses and of the oracle.
def float_loss(name: str, a: Sequence[float], y: Any) -> Any:
    pairs = list(zip(a, y, strict=True)) if name != "cross_entropy" else []
    if name == "mse":
        return sum((p - t) ** 2 for p, t in pairs) / len(a)
    if name == "quadratic":
        return 0.5 * sum((p - t) ** 2 for p, t in pairs)
    if name == "squared_error":
        return sum((p - t) ** 2 for p, t in pairs)
    if name == "binary_cross_entropy":
        return -sum(t * math.log(p) + (1 - t) * math.log(1 - p) for p, t in pairs)
    if name == "binary_cross_entropy_with_logits":
        # −[y ln σ(z) + (1 − y) ln(1 − σ(z))], fine for the moderate logits drawn here
        return -sum(t * math.log(sigmoid(z)) + (1 - t) * math.log(1 - sigmoid(z)) for z, t in pairs)
    if name == "hinge":
        return sum(max(0.0, 1 - t * p) for p, t in pairs)
    assert name == "cross_entropy"
    return -math.log(math.exp(a[y]) / sum(math.exp(z) for z in a))


def evaluate(name: str, a: Sequence[float], y: Any) -> tuple[Value, list[Value], list[float]]:
    """The loss node, its input leaves and ∂C/∂a read off by autograd.grad."""
    leaves = [Value(v, f"a_{j}") for j, v in enumerate(a)]
    c = loss_of(name)(leaves, y)
    return c, leaves, [float(g) for g in grad(c, leaves)]


# ------------------------------------------------------------------------------ values
@pytest.mark.parametrize("name", ALL_NAMES)
@given(data=st.data())
def test_loss_matches_its_float_formula(name: str, data: st.DataObject) -> None:
    a, y = data.draw(examples(name))
    c, _, _ = evaluate(name, a, y)
    assert c.data == pytest.approx(float_loss(name, a, y), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("name", ALL_NAMES)
@given(data=st.data())
def test_loss_gradient_passes_gradcheck(name: str, data: st.DataObject) -> None:
    a, y = data.draw(examples(name))
    f = loss_of(name)
    assert gradcheck(lambda *outputs: f(list(outputs), y), a)


@pytest.mark.parametrize("name", list(VECTOR_LOSSES))
@given(data=st.data())
def test_loss_and_gradient_match_the_closed_form_oracle(name: str, data: st.DataObject) -> None:
    a, y = data.draw(examples(name))
    c, _, g = evaluate(name, a, y)
    assert c.data == pytest.approx(closed_form.cost(name, a, y), rel=1e-9, abs=1e-12)
    assert g == pytest.approx(closed_form.cost_gradient(name, a, y), rel=1e-9, abs=1e-12)


@given(data=st.data())
def test_cross_entropy_matches_the_closed_form_oracle_on_softmax(data: st.DataObject) -> None:
    # The oracle's cross_entropy takes the softmax activations a and gives ∇_a C; the chain
    # rule through softmax (BP1's Jacobian form) turns that into ∂C/∂z, which autograd gives.
    z, c_index = data.draw(examples("cross_entropy"))
    c, _, dz = evaluate("cross_entropy", z, c_index)
    a = [v.data for v in softmax([Value(z_i) for z_i in z])]
    assert c.data == pytest.approx(closed_form.cost("cross_entropy", a, c_index), rel=1e-9)
    grad_a = closed_form.cost_gradient("cross_entropy", a, c_index)
    expected = [
        sum(
            g_i * a_i * ((1.0 if i == j else 0.0) - a_j)
            for i, (g_i, a_i) in enumerate(zip(grad_a, a, strict=True))
        )
        for j, a_j in enumerate(a)
    ]
    assert dz == pytest.approx(expected, rel=1e-7, abs=1e-9)


def test_losses_on_a_worked_example() -> None:
    a, y = [0.5, -1.0], [1.0, 1.0]
    assert mse([Value(v) for v in a], y).data == pytest.approx((0.25 + 4.0) / 2)
    assert quadratic([Value(v) for v in a], y).data == pytest.approx(0.5 * (0.25 + 4.0))
    assert squared_error([Value(v) for v in a], y).data == pytest.approx(0.25 + 4.0)
    assert half_mse is quadratic  # the documented old name
    assert hinge([Value(v) for v in a], y).data == pytest.approx(0.5 + 2.0)
    assert binary_cross_entropy([Value(0.8)], [1.0]).data == pytest.approx(-math.log(0.8))
    assert binary_cross_entropy_with_logits([Value(0.0)], [1.0]).data == pytest.approx(
        math.log(2.0)
    )
    assert cross_entropy([Value(0.0), Value(0.0)], 1).data == pytest.approx(math.log(2.0))


# ------------------------------------------------------------------------------ gradients
@given(st.lists(reals(-5.0, 5.0), min_size=1, max_size=5), st.data())
def test_cross_entropy_gradient_is_softmax_minus_onehot(
    z: list[float], data: st.DataObject
) -> None:
    c_index = data.draw(st.integers(0, len(z) - 1))
    _, _, dz = evaluate("cross_entropy", z, c_index)
    exps = [math.exp(v - max(z)) for v in z]
    expected = [e / sum(exps) - (1.0 if i == c_index else 0.0) for i, e in enumerate(exps)]
    assert dz == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_cross_entropy_is_stable_at_logits_of_1000() -> None:
    c, _, dz = evaluate("cross_entropy", [1000.0, -1000.0, 999.0], 2)
    # C = log(e^1000 + e^-1000 + e^999) − 999 = 1 + log(1 + e^-1) − 0 ... computed by hand:
    expected = 1000.0 + math.log(1.0 + math.exp(-2000.0) + math.exp(-1.0)) - 999.0
    assert c.data == pytest.approx(expected, rel=1e-12)
    s = 1.0 + math.exp(-1.0)
    assert dz == pytest.approx([1.0 / s, 0.0, math.exp(-1.0) / s - 1.0], rel=1e-12, abs=1e-300)
    assert all(math.isfinite(g) for g in dz)


@given(st.lists(reals(-5.0, 5.0), min_size=1, max_size=4), st.data())
def test_bce_with_logits_gradient_is_sigmoid_minus_y(z: list[float], data: st.DataObject) -> None:
    y = data.draw(st.lists(reals(0.0, 1.0), min_size=len(z), max_size=len(z)))
    _, _, dz = evaluate("binary_cross_entropy_with_logits", z, y)
    assert dz == pytest.approx(
        [sigmoid(z_j) - y_j for z_j, y_j in zip(z, y, strict=True)], rel=1e-9, abs=1e-12
    )


@pytest.mark.parametrize("z", [1000.0, -1000.0, 700.0, -745.5, 40.0, -40.0, 1e-12, -1e-12, 0.0])
@pytest.mark.parametrize("y", [0.0, 0.3, 1.0])
def test_bce_with_logits_is_finite_with_gradient_sigmoid_minus_y(z: float, y: float) -> None:
    c, _, (dz,) = evaluate("binary_cross_entropy_with_logits", [z], [y])
    assert math.isfinite(c.data)
    # C = max(z, 0) − z y + ln(1 + e^{−|z|}) in floats; log1p keeps the tiny tail for |z| = 40
    expected = max(z, 0.0) - z * y + math.log1p(math.exp(-abs(z)))
    assert c.data == pytest.approx(expected, rel=1e-12, abs=1e-15)
    # including exactly at z = 0, where ∂C/∂z = ½ − y (a relu-built |z| would give −y there)
    assert dz == pytest.approx(sigmoid(z) - y, rel=1e-12, abs=1e-15)


@given(reals(-1.0, 1.0), st.sampled_from([0.0, 0.5, 1.0]))
def test_bce_with_logits_passes_gradcheck_near_zero(z: float, y: float) -> None:
    assert gradcheck(lambda v: binary_cross_entropy_with_logits([v], [y]), [z * 1e-3])


@given(st.lists(reals(0.02, 0.98), min_size=1, max_size=4), st.data())
def test_bce_gradient_with_respect_to_p(p: list[float], data: st.DataObject) -> None:
    y = data.draw(
        st.lists(
            st.one_of(st.sampled_from([0.0, 1.0]), reals(0.0, 1.0)),
            min_size=len(p),
            max_size=len(p),
        )
    )
    _, _, dp = evaluate("binary_cross_entropy", p, y)
    # ∂C/∂p_j = −y_j/p_j + (1 − y_j)/(1 − p_j)
    expected = [-y_j / p_j + (1 - y_j) / (1 - p_j) for p_j, y_j in zip(p, y, strict=True)]
    assert dp == pytest.approx(expected, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(("y", "logs"), [(1.0, 1), (0.0, 1), (0.25, 2)])
def test_bce_leaves_out_the_log_whose_weight_is_zero(y: float, logs: int) -> None:
    c = binary_cross_entropy([Value(0.3)], [y])
    assert sum(1 for node in topological_order(c) if node.op == "log") == logs


def test_bce_near_the_edges_stays_finite() -> None:
    # p a rounding step from 1, tiny, or exactly 0 or 1 (a saturated sigmoid): each log is
    # clamped at −100 as in PyTorch's BCELoss, and a clamped log has slope 0
    def clamped(v: float) -> tuple[float, float]:  # max(ln v, −100) and its slope, by hand
        return (math.log(v), 1.0 / v) if v > 0.0 and math.log(v) >= -100.0 else (-100.0, 0.0)

    for p, y in [(1e-300, 1.0), (1.0 - 2**-53, 0.0), (1e-300, 0.5), (5e-324, 0.0), (0.0, 1.0),
                 (1.0, 0.0), (0.0, 0.0), (1.0, 1.0), (1e-40, 1.0), (0.0, 0.3)]:  # fmt: skip
        c, _, (dp,) = evaluate("binary_cross_entropy", [p], [y])
        (lp, dlp), (lq, dlq) = clamped(p), clamped(1.0 - p)
        # a term with weight 0 is left out
        want = -((y * lp if y > 0.0 else 0.0) + ((1 - y) * lq if y < 1.0 else 0.0))
        slope = -(y * dlp if y > 0.0 else 0.0) + ((1 - y) * dlq if y < 1.0 else 0.0)
        assert c.data == pytest.approx(want, rel=1e-12)
        assert dp == pytest.approx(slope, rel=1e-12)
        assert math.isfinite(c.data) and math.isfinite(dp)


def test_hinge_gradient_is_minus_y_inside_the_margin_and_zero_outside() -> None:
    _, _, g = evaluate("hinge", [0.5, 2.0, -0.5, -3.0, 1.0], [1.0, 1.0, -1.0, -1.0, 1.0])
    # the last point sits exactly on the kink y a = 1, where the derivative is taken as 0
    assert g == [-1.0, 0.0, 1.0, 0.0, 0.0]


# ------------------------------------------------------------------------------ softmax
def test_softmax_is_the_one_from_nn_activations() -> None:
    assert softmax is nn.activations.softmax


@given(st.lists(reals(-20.0, 20.0), min_size=1, max_size=6))
def test_softmax_sums_to_one(z: list[float]) -> None:
    a = softmax([Value(v) for v in z])
    assert sum(a_j.data for a_j in a) == pytest.approx(1.0, rel=1e-12)
    assert all(a_j.data >= 0.0 for a_j in a)


def test_softmax_is_stable_at_logits_of_1000() -> None:
    a = [a_j.data for a_j in softmax([Value(1000.0), Value(-1000.0), Value(1000.0)])]
    assert a == pytest.approx([0.5, 0.0, 0.5], abs=1e-300)
    assert all(math.isfinite(a_j) for a_j in a)


# ------------------------------------------------------------------------------ conveniences
def test_loss_node_is_labelled_C() -> None:
    for name in ALL_NAMES:
        y: Any = {"cross_entropy": 0, "hinge": [-1.0, 1.0]}.get(name, [0.0, 1.0])
        c, _, _ = evaluate(name, [0.25, 0.5], y)
        assert c.label == "C", name


@pytest.mark.parametrize("name", list(VECTOR_LOSSES))
def test_a_bare_value_and_a_bare_number_target_mean_one_output(name: str) -> None:
    f = VECTOR_LOSSES[name]
    y = -1.0 if name == "hinge" else 1.0
    assert f(Value(0.25), y).data == pytest.approx(f([Value(0.25)], [y]).data, rel=1e-15)
    assert f(Value(0.25), [y]).data == pytest.approx(f([Value(0.25)], [y]).data, rel=1e-15)


def test_numbers_in_the_prediction_are_constants() -> None:
    a = Value(0.5)
    c = mse([a, 2.0], [0.0, 1.0])
    assert c.data == pytest.approx((0.25 + 1.0) / 2)
    assert grad(c, [a]) == pytest.approx([0.5])


def test_batch_loss_is_the_mean_of_the_example_losses() -> None:
    a = [Value(0.5), Value(-1.0), Value(2.0)]
    c = batch_loss(half_mse, [[a[0]], [a[1]], [a[2]]], [[0.0], [1.0], 1.0])
    assert c.data == pytest.approx((0.125 + 2.0 + 0.5) / 3)
    assert c.label == "C"
    # ∂C/∂a_x = (a_x − y_x) / m
    assert grad(c, a) == pytest.approx([0.5 / 3, -2.0 / 3, 1.0 / 3])
    labels = {node.label for node in topological_order(c)}
    assert {"C_0", "C_1", "C_2"} <= labels


def test_batch_loss_with_cross_entropy_class_targets() -> None:
    preds = [[Value(1.0), Value(0.0)], [Value(0.0), Value(2.0)]]
    c = batch_loss(cross_entropy, preds, [0, 1])
    expected = (math.log(1 + math.exp(-1.0)) + math.log(1 + math.exp(-2.0))) / 2
    assert c.data == pytest.approx(expected, rel=1e-12)


# ------------------------------------------------------------------------------ errors
@pytest.mark.parametrize("name", list(VECTOR_LOSSES))
def test_vector_losses_reject_mismatched_lengths_and_empty_outputs(name: str) -> None:
    f = VECTOR_LOSSES[name]
    y = [1.0, 1.0, 1.0]
    a = [Value(0.5), Value(0.5)]
    with pytest.raises(ValueError, match=rf"^{name}: got 2 outputs but 3 targets; pass one target"):
        f(a, y)
    with pytest.raises(ValueError, match=rf"^{name}: got an empty list of outputs"):
        f([], [])
    with pytest.raises(ValueError, match=rf"^{name}: got the single target 1 for 2 outputs"):
        f(a, 1)
    with pytest.raises(ValueError, match=rf"^{name}: target\[1\] = 'x' is not a finite number"):
        f(a, [1.0, "x"])
    with pytest.raises(ValueError, match=rf"^{name}: target\[0\] = nan is not a finite number"):
        f(a, [math.nan, 1.0])
    with pytest.raises(ValueError, match=rf"^{name}: the target must be a list of numbers.*'ab'"):
        f(a, "ab")
    with pytest.raises(ValueError, match=rf"^{name}: target\[0\] is a Value.*y.data = 1.0"):
        f(a, [Value(1.0), 1.0])


@pytest.mark.parametrize("name", ALL_NAMES)
def test_losses_reject_non_finite_and_non_value_outputs(name: str) -> None:
    f = loss_of(name)
    y: Any = 0 if name == "cross_entropy" else [1.0]
    with pytest.raises(ValueError, match=rf"^{name}: output 0 \('z'\) is nan, not a finite"):
        f([Value(math.nan, "z")], y)
    with pytest.raises(TypeError, match=rf"^{name}: output 0 must be a Value or a number"):
        f(["0.5"], y)
    with pytest.raises(TypeError, match=rf"^{name}: the prediction must be a Value or a list"):
        f(0.5, y)


@pytest.mark.parametrize("name", ["binary_cross_entropy", "binary_cross_entropy_with_logits"])
@pytest.mark.parametrize("bad", [2.0, -0.5])
def test_bce_rejects_targets_outside_0_1(name: str, bad: float) -> None:
    with pytest.raises(ValueError, match=rf"^{name}: target\[1\] = {bad} is outside \[0, 1\]"):
        VECTOR_LOSSES[name]([Value(0.5), Value(0.5)], [1.0, bad])


@pytest.mark.parametrize("p", [1.5, -0.1, 1.0 + 2**-52])
def test_bce_rejects_outputs_that_are_not_probabilities(p: float) -> None:
    with pytest.raises(
        ValueError,
        match=rf"^binary_cross_entropy: output 0 is {p}, but ln p and ln\(1 − p\) need a "
        r"probability 0 ≤ p ≤ 1; .*binary_cross_entropy_with_logits",
    ):
        binary_cross_entropy([Value(p)], [1.0])


@pytest.mark.parametrize("bad", [3, -1, 10])
def test_cross_entropy_rejects_a_class_index_out_of_range(bad: int) -> None:
    with pytest.raises(
        ValueError,
        match=rf"^cross_entropy: class index {bad} is out of range for 3 logits; use 0..2",
    ):
        cross_entropy([Value(0.0), Value(1.0), Value(2.0)], bad)


@pytest.mark.parametrize(
    ("bad", "shown"),
    [(1.0, "float 1.0"), (True, "bool True"), ([0, 1, 0], r"list \[0, 1, 0\]"), ("1", "str '1'")],
)
def test_cross_entropy_rejects_a_class_index_that_is_not_an_int(bad: Any, shown: str) -> None:
    with pytest.raises(
        ValueError,
        match=rf"^cross_entropy: the target must be an int class index in 0..2, got {shown}; "
        r"for a one-hot list pass y.index\(1\)",
    ):
        cross_entropy([Value(0.0), Value(1.0), Value(2.0)], bad)


@pytest.mark.parametrize("bad", [0.0, 2.0, 0.5])
def test_hinge_rejects_targets_other_than_plus_minus_one(bad: float) -> None:
    with pytest.raises(
        ValueError, match=rf"^hinge: target\[0\] = {bad} is not −1 or \+1; map 0/1 labels to 2y − 1"
    ):
        hinge([Value(0.5)], [bad])


def test_batch_loss_errors() -> None:
    with pytest.raises(ValueError, match=r"^batch_loss: got 2 predictions but 1 target;"):
        batch_loss(mse, [[Value(0.0)], [Value(1.0)]], [[0.0]])
    with pytest.raises(ValueError, match=r"^batch_loss: the batch is empty"):
        batch_loss(mse, [], [])
    with pytest.raises(TypeError, match=r"^batch_loss: loss_fn must return a Value, got float"):
        batch_loss(lambda a, y: 0.0, [[Value(0.0)]], [[0.0]])  # type: ignore[arg-type, return-value]


def test_a_nan_input_is_named_not_blamed_on_the_learning_rate() -> None:
    from nn import MLP

    model = MLP(2, [2, 1], seed=0)
    with pytest.raises(ValueError, match=r"because the input 'a\^1_1' is nan: the inputs") as e:
        mse(model([0.5, math.nan]), [1.0])
    assert "learning rate or" not in str(e.value)
    # a NaN made inside the network (not in an input) keeps the advice about the learning rate
    model.layers[0].neurons[0].w[0].data = math.nan
    with pytest.raises(ValueError, match="lower the learning rate"):
        mse(model([0.5, 1.0]), [1.0])


@pytest.mark.parametrize("trace", [True, False])
def test_fit_names_the_example_and_input_that_is_not_finite(trace: bool) -> None:
    from nn import MLP
    from nn.optim import SGD
    from nn.train import fit

    model = MLP(2, [2, 1], seed=0)
    xs = [[0.0, 1.0], [1.0, 0.0], [2.0, Value(math.inf)], [1.0, 1.0]]
    with pytest.raises(ValueError, match=r"^fit: example 2, input 1 is inf, not a finite number"):
        fit(model, xs, [0, 1, 1, 0], mse, SGD(model.parameters(), lr=0.1), 3, trace=trace)
