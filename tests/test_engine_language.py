"""The engine's wider language: functions by name, comparisons, seeded backward, sum and mean."""

import math

import pytest
from hypothesis import given

import autograd
from autograd import Mask, Value, grad, no_grad, topological_order
from autograd import ops as table
from tests.strategies import away_from_zero, positives, reals


# ------------------------------------------------------------------ functions by name
@pytest.mark.parametrize(
    ("name", "x", "expected"),
    [
        ("sin", 0.7, math.sin(0.7)),
        ("cos", 0.7, math.cos(0.7)),
        ("tan", 0.7, math.tan(0.7)),
        ("arcsin", 0.3, math.asin(0.3)),
        ("arccos", 0.3, math.acos(0.3)),
        ("arctan", 2.0, math.atan(2.0)),
        ("abs", -2.5, 2.5),
        ("sqrt", 2.0, math.sqrt(2.0)),
        ("exp", 1.5, math.exp(1.5)),
        ("log", 1.5, math.log(1.5)),
        ("tanh", 0.4, math.tanh(0.4)),
        ("sigmoid", 0.4, 1.0 / (1.0 + math.exp(-0.4))),
        ("relu", -0.4, 0.0),
        ("softplus", 0.4, math.log1p(math.exp(0.4))),
        ("gelu", 0.4, table._gelu_forward(0.4)),
        ("leaky_relu", -2.0, -0.02),
        ("elu", -1.0, math.expm1(-1.0)),
    ],
)
def test_functions_give_a_node_for_a_value_and_a_float_for_a_number(
    name: str, x: float, expected: float
) -> None:
    fn = getattr(autograd, name)
    on_number = fn(x)
    assert type(on_number) is float and on_number == pytest.approx(expected, rel=1e-15)
    v = Value(x)
    node = fn(v)
    assert isinstance(node, Value) and node.parents == (v,)
    assert node.data == on_number
    assert node.op == getattr(v, name)().op


def test_functions_name_the_op_on_bad_input() -> None:
    with pytest.raises(TypeError, match=r"sin\(\) needs a Value or a number, got str"):
        autograd.sin("x")
    with pytest.raises(ValueError, match=r"op 'sqrt': sqrt is defined only for inputs >= 0"):
        autograd.sqrt(-1.0)
    with pytest.raises(ValueError, match=r"op 'arcsin'.*\[-1, 1\].*got 2.0 at node 'u'"):
        Value(2.0, "u").arcsin()
    with pytest.raises(ValueError, match=r"op 'arccos'.*got -1.5"):
        autograd.arccos(-1.5)
    with pytest.raises(ValueError, match=r"op 'sqrt'.*got -4.0 at node 'v'"):
        Value(-4.0, "v").sqrt()
    with pytest.raises(TypeError, match="leaky_relu: slope must be a number, got str"):
        Value(1.0).leaky_relu("steep")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="elu: alpha must be a finite number"):
        Value(1.0).elu(math.inf)


def test_infinite_derivatives_raise_in_backward_naming_the_op() -> None:
    for make, op in [
        (lambda x: x.sqrt(), "sqrt"),
        (lambda x: (x - 1.0).arcsin(), "arcsin"),
        (lambda x: (x - 1.0).arccos(), "arccos"),
    ]:
        x = Value(0.0 if op == "sqrt" else 2.0, "x")
        y = make(x)
        with pytest.raises(ZeroDivisionError, match=f"backward through .*'{op}'"):
            y.backward()


def test_sqrt_at_zero_is_fine_forward() -> None:
    assert Value(0.0).sqrt().data == 0.0


@given(x=reals(-1000.0, 1000.0))
def test_softplus_is_stable_and_its_derivative_is_sigmoid(x: float) -> None:
    v = Value(x)
    y = v.softplus()
    y.backward()
    assert math.isfinite(y.data) and y.data >= max(x, 0.0)
    assert y.data == pytest.approx(max(x, 0.0) + math.log1p(math.exp(-abs(x))), rel=1e-15)
    assert v.grad == table._sigmoid_forward(x)


def test_softplus_at_plus_and_minus_1000() -> None:
    assert Value(1000.0).softplus().data == 1000.0
    assert Value(-1000.0).softplus().data == 0.0  # e^-1000 underflows: the true value is ~1e-435


@given(x=reals(-4.0, 4.0))
def test_gelu_is_the_tanh_approximation_of_x_phi_x(x: float) -> None:
    exact = 0.5 * x * (1.0 + math.erf(x / math.sqrt(2.0)))
    assert Value(x).gelu().data == pytest.approx(exact, abs=1e-3)


def test_kinks_take_the_documented_derivative_at_zero() -> None:
    for f, expected in [
        (lambda x: abs(x), 0.0),
        (lambda x: x.relu(), 0.0),
        (lambda x: x.leaky_relu(), 0.01),
        (lambda x: x.leaky_relu(0.2), 0.2),
        (lambda x: x.elu(), 1.0),
        (lambda x: x.elu(0.5), 0.5),
    ]:
        x = Value(0.0)
        (g,) = grad(f(x), [x])
        assert g == expected
        (g2,) = grad(f(x), [x], create_graph=True)
        assert g2.data == expected


def test_op_parameters_name_the_op() -> None:
    assert Value(1.0).leaky_relu(0.2).op == "leaky_relu(0.2)"
    assert Value(1.0).leaky_relu().op == "leaky_relu"
    assert Value(1.0).elu(0.5).op == "elu(0.5)"
    assert Value(-1.0).elu(0.5).data == 0.5 * math.expm1(-1.0)


@given(x=away_from_zero(0.2, 2.0))
def test_second_derivatives_of_the_kinked_ops_through_masks(x: float) -> None:
    # elu'' = e^x for x < 0, 0 for x > 0; abs, relu and leaky_relu are piecewise linear
    for f, second in [
        (lambda v: v.elu(), math.exp(x) if x < 0 else 0.0),
        (lambda v: abs(v) * v, 2.0 if x > 0 else -2.0),
        (lambda v: v.leaky_relu() * v, 2.0 if x > 0 else 0.02),
        (lambda v: v.relu() * v, 2.0 if x > 0 else 0.0),
    ]:
        v = Value(x)
        (d1,) = grad(f(v), [v], create_graph=True)
        (d2,) = grad(d1, [v])
        assert d2 == pytest.approx(second, rel=1e-12)


@pytest.mark.parametrize(
    ("f", "second"),
    [
        (lambda x: x.sin(), lambda x: -math.sin(x)),
        (lambda x: x.cos(), lambda x: -math.cos(x)),
        (lambda x: x.tan(), lambda x: 2 * math.tan(x) * (1 + math.tan(x) ** 2)),
        (lambda x: x.arcsin(), lambda x: x / (1 - x * x) ** 1.5),
        (lambda x: x.arccos(), lambda x: -x / (1 - x * x) ** 1.5),
        (lambda x: x.arctan(), lambda x: -2 * x / (1 + x * x) ** 2),
        (lambda x: x.sqrt(), lambda x: -0.25 * x**-1.5),
        (lambda x: x.softplus(), lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s)),
    ],
    ids=["sin", "cos", "tan", "arcsin", "arccos", "arctan", "sqrt", "softplus"],
)
@given(x=positives(0.1, 0.9))
def test_second_derivative_closed_forms_of_the_new_ops(f, second, x: float) -> None:  # type: ignore[no-untyped-def]
    v = Value(x)
    (d1,) = grad(f(v), [v], create_graph=True)
    (d2,) = grad(d1, [v])
    assert d2 == pytest.approx(second(x), rel=1e-9, abs=1e-12)


# ------------------------------------------------------------------ ** on Values and floats
def _old_pow_d_base(x: float, y: float) -> float:
    if float(y) == 0.0 and float(x) == 0.0:
        return 0.0
    return y * x ** (y - 1.0)


def _old_pow_d_exponent(x: float, out: float) -> float:
    if x > 0.0:
        return out * math.log(x)
    if x == 0.0:
        return 0.0
    return math.nan


@pytest.mark.parametrize("x", [0.0, -0.0, 2.0, 0.5, -2.0, -3.0, 1e-300])
@pytest.mark.parametrize("y", [0.0, 1.0, 2.0, 3.0, 0.5, -1.0, 2.5])
def test_pow_rules_on_floats_are_bitwise_what_they_were(x: float, y: float) -> None:
    try:
        out = table._pow_forward(x, y)
    except table.DomainError:
        return
    try:
        old = _old_pow_d_base(x, y)
    except OverflowError:  # 1e-300 ** -2 raised; an overflow is now -inf or inf (IEEE)
        assert abs(table._pow_d_base(x, y)) == math.inf
    except ArithmeticError as e:  # 0 ** -2 raises, as it did: the slope is undefined
        with pytest.raises(type(e)):
            table._pow_d_base(x, y)
    else:
        new = table._pow_d_base(x, y)
        assert new == old or (math.isnan(new) and math.isnan(old))
        assert math.copysign(1.0, new) == math.copysign(1.0, old)
    new_e, old_e = table._pow_d_exponent(x, out), _old_pow_d_exponent(x, out)
    assert new_e == old_e or (math.isnan(new_e) and math.isnan(old_e))


@pytest.mark.parametrize(("x", "y"), [(0.0, 0.0), (0.0, 2.0), (2.0, 0.0), (1.5, 2.5), (-2.0, 3.0)])
def test_pow_rules_on_values_agree_with_floats(x: float, y: float) -> None:
    bx, by = Value(x), Value(y)
    out = bx**by
    d_base = table._pow_d_base(bx, by)
    assert float(d_base) == table._pow_d_base(x, y)
    d_exp = table._pow_d_exponent(bx, out)
    expected = table._pow_d_exponent(x, out.data)
    # x < 0: the float rule says NaN (no real derivative); the Value rule can only say 0 there
    assert float(d_exp) == (0.0 if math.isnan(expected) else expected)


def test_second_derivative_of_x_to_the_y_at_zero_zero_uses_the_masked_branch() -> None:
    x, y = Value(0.0), Value(0.0)
    dx, dy = grad(x**y, [x, y], create_graph=True)
    assert dx.data == 0.0 and dy.data == 0.0


# ------------------------------------------------------------------ comparisons
def test_comparisons_with_values_and_numbers_on_either_side() -> None:
    a, b = Value(1.0), Value(2.0)
    for result, expected in [
        (a < b, True),
        (a <= b, True),
        (a > b, False),
        (a >= b, False),
        (a < 1.5, True),
        (a > 0, True),
        (a > 1.5, False),
        (a >= 0, True),
        (a < 2, True),
        (a <= 1.0, True),
        (a <= 1.0, True),
        (a < 1.0, False),
    ]:
        assert isinstance(result, Mask)
        assert bool(result) is expected
        assert result.data == (1.0 if expected else 0.0)


def test_a_comparison_is_a_node_of_the_op_table_with_zero_derivative() -> None:
    x = Value(3.0, "x")
    m = x > 0
    assert m.op == ">" and m.parents[0] is x and m.parents[1].data == 0.0
    masked = x * (x > 0)
    masked.backward()
    assert x.grad == 1.0  # the mask is a constant factor: d(x * 1[x > 0])/dx = 1[x > 0]
    x.grad = 0.0
    y = (x > 0) * 5.0
    y.backward()
    assert x.grad == 0.0
    (d,) = grad(x * (x > 0), [x], create_graph=True)
    (d2,) = grad(d, [x])
    assert d.data == 1.0 and d2 == 0.0


def test_if_max_and_sorted_work_on_values() -> None:
    values = [Value(v) for v in (3.0, -1.0, 2.5, 0.0)]
    assert max(values) is values[0]
    assert min(values) is values[1]
    assert [v.data for v in sorted(values)] == [-1.0, 0.0, 2.5, 3.0]
    x = values[1]
    y = x if x > 0 else 0.0
    assert y == 0.0
    # a learner's own relu from a comparison
    z = Value(2.0)
    r = z if z > 0 else z * 0.0
    assert r is z


def test_equality_stays_identity() -> None:
    a, b = Value(1.0), Value(1.0)
    assert a == a and a != b and (a == b) is False
    assert len({a, b}) == 2 and {a: 1}[a] == 1


def test_comparisons_under_no_grad_are_constant_masks() -> None:
    with no_grad():
        m = Value(1.0) > 0.5
    assert isinstance(m, Mask) and m.is_leaf and bool(m)


def test_comparison_with_a_non_number_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="'<' not supported"):
        _ = Value(1.0) < "a"  # type: ignore[operator]


# ------------------------------------------------------------------ seeded backward
def _graph() -> tuple[Value, list[Value]]:
    x, y = Value(0.7, "x"), Value(-1.3, "y")
    return (x * y.sin() + x.exp() * y).tanh() + y.softplus(), [x, y]


@given(g=reals(-5.0, 5.0))
def test_seeded_backward_equals_a_scaled_backward(g: float) -> None:
    out, leaves = _graph()
    out.backward()
    plain = [v.grad for v in leaves]
    interior = {n: n.grad for n in topological_order(out)}
    out2, leaves2 = _graph()
    out2.backward(gradient=g)
    for v, p in zip(leaves2, plain, strict=True):
        assert v.grad == pytest.approx(g * p, rel=1e-12, abs=1e-300)
    for n, m in zip(topological_order(out2), interior.values(), strict=True):
        assert n.grad == pytest.approx(g * m, rel=1e-12, abs=1e-300)
    assert grad(out2, leaves2, grad_outputs=g) == pytest.approx([g * p for p in plain], rel=1e-12)
    steps = list(out2.backward_steps(gradient=g))
    assert steps[0].upstream == g


def test_seed_as_a_value_and_with_create_graph() -> None:
    x = Value(2.0)
    y = x * x * x
    (d,) = grad(y, [x], create_graph=True, grad_outputs=Value(0.5))
    assert d.data == 6.0
    (d2,) = grad(d, [x])
    assert d2 == 6.0  # 0.5 * 6x
    y.backward(gradient=Value(2.0))
    assert x.grad == 24.0
    seed = Value(3.0, "s")
    (dx,) = grad(x * x, [x], create_graph=True, grad_outputs=seed)
    (ds,) = grad(dx, [seed])
    assert ds == 4.0  # d(s * 2x)/ds = 2x: the seed is part of the new graph


def test_bad_seeds_say_what_a_gradient_is() -> None:
    x = Value(1.0)
    with pytest.raises(TypeError, match="backward: gradient must be a number or a Value"):
        (x * 2).backward(gradient="1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="pass create_graph=True by name"):
        (x * 2).backward(True)
    with pytest.raises(TypeError, match=r"grad\(grad_outputs=...\): gradient must be a number"):
        grad(x * 2, [x], grad_outputs=None)  # type: ignore[arg-type]


# ------------------------------------------------------------------ sum and mean
def test_sum_and_mean_are_one_node_each() -> None:
    xs = [Value(float(i), f"x{i}") for i in range(5)]
    s = autograd.sum(xs)
    m = autograd.mean(xs)
    assert s.op == "sum" and s.parents == tuple(xs) and s.data == 10.0
    assert m.op == "mean" and m.parents == tuple(xs) and m.data == 2.0
    assert grad(s, xs) == [1.0] * 5
    assert grad(m, xs) == [0.2] * 5
    assert len(topological_order(s)) == 6


def test_sum_start_and_numbers() -> None:
    x = Value(2.0)
    s = autograd.sum([x, 3, 4.5], start=10.0)
    assert s.data == 19.5 and len(s.parents) == 4 and s.parents[1] is x
    assert grad(s, [x]) == [1.0]
    t = Value(1.0)
    s2 = autograd.sum([x], start=t)
    assert s2.parents == (t, x)
    assert autograd.sum([1.0, 2.0]) == 3.0 and type(autograd.sum([1, 2])) is float
    assert autograd.sum([]) == 0.0
    assert autograd.sum([x]) is x
    assert autograd.mean([1.0, 2.0]) == 1.5


def test_sum_is_left_to_right_like_a_chain_of_plus() -> None:
    values = [0.1, 0.2, 0.3, 1e16, -1e16, 0.7]
    chain = 0.0
    for v in values:
        chain = chain + v
    assert autograd.sum([Value(v) for v in values]).data == chain


def test_sum_and_mean_errors_name_the_function() -> None:
    with pytest.raises(TypeError, match="sum: item 1 must be a Value or a number, got str"):
        autograd.sum([Value(1.0), "a"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="mean: needs an iterable"):
        autograd.mean(Value(1.0))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="mean: got no values"):
        autograd.mean([])
    with pytest.raises(TypeError, match="sum: start must be a Value or a number"):
        autograd.sum([Value(1.0)], start="0")  # type: ignore[arg-type]


def test_losses_use_one_sum_or_mean_node() -> None:
    from nn import losses

    a = [Value(0.2), Value(0.9), Value(-0.3)]
    c = losses.mse(a, [0.0, 1.0, 0.0])
    assert c.op == "mean" and len(c.parents) == 3
    assert losses.half_mse(a, [0.0, 1.0, 0.0]).parents[1].op == "sum"
    batch = losses.batch_loss(losses.mse, [[v] for v in a], [[0.0]] * 3)
    assert batch.op == "mean" and [p.label for p in batch.parents] == ["C_0", "C_1", "C_2"]
