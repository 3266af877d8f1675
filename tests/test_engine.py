"""The engine's semantics: accumulation, grad(), steps, hooks, no_grad, anomaly, memory."""

import gc
import math
import weakref

import pytest

from autograd import (
    AnomalyError,
    GradcheckError,
    Value,
    detect_anomaly,
    fresh_grads,
    grad,
    gradcheck,
    is_anomaly_enabled,
    is_grad_enabled,
    linear,
    no_grad,
    topological_order,
)


def cube(x: Value) -> Value:
    return (x * x) * x


# ------------------------------------------------------------------ Value basics
def test_value_fields() -> None:
    x = Value(3, label="x")
    assert x.data == 3.0 and type(x.data) is float
    assert x.grad == 0.0 and type(x.grad) is float
    assert x.label == "x" and x.op == "" and x.parents == () and x.is_leaf


def test_parents_are_ordered_and_op_recorded() -> None:
    a, b = Value(2.0, "a"), Value(5.0, "b")
    d = b - a
    assert d.parents == (b, a) and d.op == "-" and d.data == 3.0
    assert (a * a).parents == (a, a)


def test_repr_shows_label_op_data_grad() -> None:
    x = Value(2.0, "x")
    y = x * 3
    y.label = "y"
    y.backward()
    assert repr(y) == "Value(label='y', op='*', data=6.0, grad=1.0)"
    assert repr(x) == "Value(label='x', data=2.0, grad=3.0)"


def test_values_compare_by_identity() -> None:
    a, b = Value(1.0), Value(1.0)
    assert a != b and a == a
    assert len({a, b}) == 2


@pytest.mark.parametrize(("bad", "name"), [("abc", "str"), (None, "NoneType"), ([1], "list")])
def test_bad_data_raises_type_error_naming_the_type(bad: object, name: str) -> None:
    with pytest.raises(TypeError, match=name):
        Value(bad)  # type: ignore[arg-type]


def test_bool_and_value_data_are_rejected() -> None:
    with pytest.raises(TypeError, match="bool"):
        Value(True)
    with pytest.raises(TypeError, match="got a Value"):
        Value(Value(1.0))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)  # type: ignore[arg-type]


def test_numbers_on_either_side() -> None:
    x = Value(2.0)
    results = [x + 1, 1 + x, x - 1, 1 - x, x * 3, 3 * x, x / 4, 4 / x, x**3, 3**x, x**x, -x]
    assert [r.data for r in results] == [
        3.0,
        3.0,
        1.0,
        -1.0,
        6.0,
        6.0,
        0.5,
        2.0,
        8.0,
        9.0,
        4.0,
        -2.0,
    ]
    with pytest.raises(TypeError):
        x + "a"  # type: ignore[operator]
    with pytest.raises(TypeError):
        x * None  # type: ignore[operator]


# ------------------------------------------------------------------ backward semantics
def test_backward_twice_accumulates_on_leaves_only() -> None:
    x = Value(3.0, "x")
    z = cube(x)
    z.backward()
    assert x.grad == 27.0
    z.backward()
    assert x.grad == 54.0  # micrograd gives 72: its interior nodes accumulate too
    inner = z.parents[0]
    assert inner.grad == 3.0  # interior: the latest pass only (dz/d(x*x) = x)


def test_backward_on_a_leaf_accumulates_the_seed() -> None:
    x = Value(1.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_interior_gradients_are_readable() -> None:
    x, w, b = Value(0.5, "x"), Value(-1.5, "w"), Value(0.25, "b")
    z = linear([w], [x], b)
    a = z.tanh()
    loss = (a - 1.0) ** 2
    loss.backward()
    delta = 2 * (a.data - 1.0) * (1 - a.data**2)
    assert z.grad == pytest.approx(delta)
    assert w.grad == pytest.approx(x.data * delta)
    assert b.grad == pytest.approx(delta)


def test_depth_one_million_backward_works() -> None:
    x = Value(1.0, "x")
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    y.backward()
    assert x.grad == 1.0
    assert y.data == 1_000_001.0


def test_shared_subexpressions_are_visited_once() -> None:
    x = Value(2.0)
    y = x * x
    z = y + y  # dz/dx = 4x
    z.backward()
    assert x.grad == 8.0
    assert len(topological_order(z)) == 3


def test_topological_order_puts_parents_first() -> None:
    x, y = Value(1.0), Value(2.0)
    a = x * y
    b = a + x
    c = b * a
    order = topological_order(c)
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for p in node.parents:
            assert position[id(p)] < position[id(node)]
    assert order[-1] is c


# ------------------------------------------------------------------ grad()
def test_grad_leaves_dot_grad_untouched() -> None:
    x = Value(3.0)
    x.grad = 7.0
    z = cube(x)
    (g,) = grad(z, [x])
    assert g == 27.0
    assert x.grad == 7.0 and z.grad == 0.0


def test_grad_of_grad_is_the_second_derivative() -> None:
    x = Value(3.0)
    (g,) = grad(cube(x), [x], create_graph=True)
    assert isinstance(g, Value) and g.data == 27.0
    (h,) = grad(g, [x])
    assert h == pytest.approx(18.0)  # d^2 x^3/dx^2 = 6x


def test_grad_of_unrelated_input_is_zero() -> None:
    x, y = Value(1.0), Value(2.0)
    assert grad(x * 2, [x, y]) == [2.0, 0.0]
    gx, gy = grad(x * 2, [x, y], create_graph=True)
    assert isinstance(gx, Value) and gx.data == 2.0
    assert isinstance(gy, Value) and gy.data == 0.0


def test_grad_rejects_non_values() -> None:
    with pytest.raises(TypeError, match="output"):
        grad(1.0, [])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"inputs\[1\]"):
        grad(Value(1.0), [Value(1.0), 2.0])  # type: ignore[list-item]


def test_backward_create_graph_stores_values() -> None:
    x = Value(2.0)
    y = cube(x)
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 12.0
    (h,) = grad(x.grad, [x])
    assert h == pytest.approx(12.0)


# ------------------------------------------------------------------ backward_steps
def build_example() -> tuple[Value, list[Value]]:
    x, w, b = Value(0.5, "x"), Value(-1.5, "w"), Value(0.25, "b")
    z = x * w + b
    a = z.tanh()
    loss = (a - 0.3) ** 2
    return loss, [x, w, b]


def test_steps_leave_exactly_the_gradients_of_backward() -> None:
    loss1, leaves1 = build_example()
    loss1.backward()
    loss2, leaves2 = build_example()
    steps = list(loss2.backward_steps())
    assert [n.grad for n in topological_order(loss1)] == [n.grad for n in topological_order(loss2)]
    assert [v.grad for v in leaves1] == [v.grad for v in leaves2]
    assert len(steps) == len(topological_order(loss2))
    assert [s.index for s in steps] == list(range(len(steps)))


def test_step_records_the_chain_rule() -> None:
    loss, _ = build_example()
    steps = list(loss.backward_steps())
    first = steps[0]
    assert first.node is loss and first.upstream == 1.0
    for s in steps:
        assert len(s.local) == len(s.contributions) == len(s.parents)
        for d, c in zip(s.local, s.contributions, strict=True):
            assert c == pytest.approx(s.upstream * d)
        assert s.upstream == s.node.grad
    # every node appears after all of its children
    seen: set[int] = set()
    for s in steps:
        for p in s.parents:
            assert id(p) not in seen
        seen.add(id(s.node))


# ------------------------------------------------------------------ hooks
def test_hook_sees_the_final_gradient_once_per_pass() -> None:
    x = Value(3.0)
    y = x * x
    z = y * x + y
    received: list[float] = []
    handle = y.register_hook(received.append)
    z.backward()
    assert received == [y.grad] == [x.data + 1.0]
    z.backward()
    assert len(received) == 2
    handle.remove()
    z.backward()
    assert len(received) == 2
    handle.remove()  # twice is harmless


def test_hook_on_a_leaf_and_bad_hook() -> None:
    x = Value(2.0)
    seen: list[float] = []
    x.register_hook(seen.append)
    cube(x).backward()
    assert seen == [12.0]
    with pytest.raises(TypeError, match="callable"):
        x.register_hook(3)  # type: ignore[arg-type]


# ------------------------------------------------------------------ no_grad
def test_no_grad_records_no_parents() -> None:
    x = Value(2.0)
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        y = x * x + 1
        with no_grad():
            pass
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert y.data == 5.0 and y.parents == () and y.is_leaf
    assert (x * x).parents == (x, x)


def test_no_grad_as_decorator_and_restores_on_error() -> None:
    @no_grad()
    def f(v: Value) -> Value:
        return v * 2

    assert f(Value(1.0)).parents == ()
    with pytest.raises(ZeroDivisionError), no_grad():
        Value(1.0) / 0
    assert is_grad_enabled()


# ------------------------------------------------------------------ anomaly mode
def test_anomaly_names_node_op_and_line() -> None:
    with detect_anomaly():
        assert is_anomaly_enabled()
        x = Value(0.0, "x")
        s = x**0.5  # forward is fine (0.0); its derivative at 0 is infinite
        s.label = "s"
        y = s * 0.0 + x
    assert not is_anomaly_enabled()
    assert s.where is not None and "test_engine.py:" in s.where
    with pytest.raises(ZeroDivisionError) as info, detect_anomaly():
        y.backward()
    assert "'**0.5'" in str(info.value) and "node 's'" in str(info.value)


def test_anomaly_reports_inf_in_backward_with_creation_line() -> None:
    with detect_anomaly():
        a = Value(1e300, "a")
        b = Value(1e-300, "b")
        p = a * b  # made on this line; forward is finite (1.0)
        p.label = "p"
        q = p * 1e300  # dq/db = 1e300 · a = inf in backward only
    with pytest.raises(AnomalyError) as info, detect_anomaly():
        q.backward()
    text = str(info.value)
    assert "the '*' node 'p'" in text and "node 'b'" in text
    assert "test_engine.py" in text and "p = a * b" in text


def test_anomaly_reports_the_first_non_finite_forward_value() -> None:
    a, b = Value(math.inf, "a"), Value(0.0, "b")  # made outside the mode: not checked
    with pytest.raises(AnomalyError) as info, detect_anomaly():
        c = b + 1.0
        p = a * b  # the first NaN is made here
        p * c
    text = str(info.value)
    assert text.startswith("forward produced nan at op '*'")
    assert "inf (node 'a'), 0.0 (node 'b')" in text
    assert "test_engine.py:" in text and "p = a * b  # the first NaN" in text


def test_anomaly_reports_a_non_finite_leaf_made_inside_it() -> None:
    with (
        pytest.raises(AnomalyError, match=r"forward produced inf at a leaf.*Value\(math.inf"),
        detect_anomaly(),
    ):
        Value(math.inf)


def test_without_anomaly_mode_nan_passes_silently_as_in_floats() -> None:
    a, b = Value(math.inf), Value(0.0)
    p = a * b
    p.backward()
    assert b.grad == math.inf and a.grad == 0.0


# ------------------------------------------------------------------ gradcheck
def test_gradcheck_passes_and_fails_with_a_table() -> None:
    assert gradcheck(lambda a, b: (a * b).tanh() + a / b, [0.3, 1.7])

    def broken(x: Value) -> Value:
        with no_grad():
            frozen = x * 1.0  # the engine cannot see this factor's dependence on x
        return x * frozen

    with pytest.raises(GradcheckError) as info:
        gradcheck(broken, [1.5])
    text = str(info.value)
    assert "analytic" in text and "numeric" in text and "MISMATCH" in text
    assert "1.5" in text and "3" in text


def test_gradcheck_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="eps"):
        gradcheck(lambda x: x, [1.0], eps=0.0)
    with pytest.raises(TypeError, match="must return a Value"):
        gradcheck(lambda x: 1.0, [1.0])  # type: ignore[arg-type, return-value]


# ------------------------------------------------------------------ memory
def test_graph_is_freed_by_reference_counting_alone() -> None:
    gc.collect()
    gc.disable()
    try:
        x = Value(1.0)
        h = x * 2.0
        probe = weakref.ref(h)
        y = (h + 1.0).tanh() * h
        y.backward()
        del h
        assert probe() is not None  # still referenced by y
        del y
        assert probe() is None
    finally:
        gc.enable()


def test_hooks_and_anomaly_metadata_do_not_create_cycles() -> None:
    gc.collect()
    gc.disable()
    try:
        with detect_anomaly():
            x = Value(1.0)
            h = x * 2.0
        h.register_hook(lambda g: None)
        probe = weakref.ref(h)
        y = h * h
        y.backward()
        del h, y
        assert probe() is None
    finally:
        gc.enable()


def test_fresh_grads_zeroes_then_restores() -> None:
    x = Value(2.0)
    y = x * x
    x.grad, y.grad = 5.0, 7.0
    with fresh_grads(y) as order:
        assert set(order) == {x, y}
        assert x.grad == 0.0 and y.grad == 0.0
        y.backward()
        assert x.grad == 4.0
    assert (x.grad, y.grad) == (5.0, 7.0)


def test_backward_steps_can_skip_hooks() -> None:
    x = Value(2.0)
    seen: list[float] = []
    x.register_hook(seen.append)
    y = x * 3
    steps = list(y.backward_steps(hooks=False))
    assert seen == [] and len(steps) == 3 and x.grad == 3.0
    list(y.backward_steps())
    assert seen == [3.0]  # the gradient of this pass; x.grad holds the running total
    assert x.grad == 6.0


def test_leaf_hook_and_step_get_this_pass_gradient_not_the_total() -> None:
    x = Value(3.0)
    seen: list[float] = []
    x.register_hook(seen.append)
    y = x * 2
    y.backward()
    y.backward()
    assert seen == [2.0, 2.0] and x.grad == 4.0
    (leaf_step,) = [s for s in y.backward_steps() if s.node is x]
    assert leaf_step.upstream == 2.0 and x.grad == 6.0
    assert grad(y, [x]) == [2.0] and seen[-1] == 2.0


def test_detect_anomaly_as_decorator_restores_the_mode() -> None:
    @detect_anomaly()
    def make(v: Value) -> Value:
        assert is_anomaly_enabled()
        return v * 2

    out = make(Value(1.0))
    assert out.where is not None and not is_anomaly_enabled()
    with pytest.raises(TypeError, match="decorates a function"):
        no_grad()(3)  # type: ignore[arg-type]
