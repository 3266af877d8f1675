"""autograd.trace: replayed programs give the eager engine's losses and gradients exactly."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import math
import weakref
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import (
    AnomalyError,
    TraceError,
    TraceMismatchError,
    Value,
    branch,
    detect_anomaly,
    linear,
    topological_order,
    trace,
)
from nn import MLP
from nn.losses import batch_loss, mse
from nn.optim import SGD, Adam, Optimizer
from nn.program_notes import backprop_notes
from nn.train import _batch_seeds, _batch_total, _total_shape, fit
from tests.nn_strategies import SCENARIOS, NetCase, net_cases
from tests.strategies import reals

# every pairing: cross-entropy's and softmax's shift max(z.data) is autograd.max_data, which the
# program recomputes for each example
TRACEABLE = tuple(SCENARIOS)


def eager_step(case: NetCase, model: MLP) -> float:
    """One batch loss and backward() on the eager engine; the loss."""
    preds = [case.prediction(model, model(x)) for x in case.xs]
    c = batch_loss(case.loss_fn, preds, case.ys)
    c.backward()
    return c.data


def traced_step(case: NetCase, model: MLP, step: Any) -> float:
    """The same batch through the traced program; the batch loss from the examples' losses."""
    seeds = _batch_seeds(len(case.xs))
    losses = step.batch(list(zip(case.xs, case.ys, strict=True)), seeds)
    return batch_loss(lambda c, _: c, [Value(c) for c in losses], [None] * len(losses)).data


def test_the_batch_loss_program_is_batch_loss() -> None:
    # fit's C comes from a traced batch_loss: the same floats as the eager batch loss
    losses = [0.1 * i + 0.37 for i in range(7)]
    eager = batch_loss(lambda c, _: c, [Value(c) for c in losses], [None] * 7).data
    assert _batch_total(7).replay(_total_shape(7), [(0.0, *losses)]) == [eager]


def optimizers(kind: str, model: MLP) -> Optimizer:
    """SGD or Adam over the model's parameters."""
    params = model.parameters()
    return SGD(params, lr=0.1) if kind == "sgd" else Adam(params, lr=0.05)


@pytest.mark.parametrize("expand", [False, True], ids=["linear", "expand"])
@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("scenario", TRACEABLE, ids=[f"{c}-{o}" for c, o in TRACEABLE])
@settings(max_examples=15)
@given(data=st.data())
def test_random_mlps_traced_equal_eager_over_steps(
    scenario: tuple[str, str], kind: str, expand: bool, data: st.DataObject
) -> None:
    case = data.draw(net_cases(max_batch=4, scenarios=(scenario,), expand=expand))
    eager, traced = case.model(), case.model()
    opt_e, opt_t = optimizers(kind, eager), optimizers(kind, traced)
    step = trace(
        lambda x, y: case.loss_fn(case.prediction(traced, traced(x)), y), traced.parameters()
    )
    for _ in range(3):
        opt_e.zero_grad()
        opt_t.zero_grad()
        try:
            c_e = eager_step(case, eager)
        except ValueError as e:  # a loss refuses an output (a saturated sigmoid): so must trace
            with pytest.raises(ValueError) as refused:
                traced_step(case, traced, step)
            assert str(refused.value) == str(e)
            return
        c_t = traced_step(case, traced, step)
        assert c_e == c_t or (math.isnan(c_e) and math.isnan(c_t))
        for p, q in zip(eager.parameters(), traced.parameters(), strict=True):
            assert p.grad == q.grad
        opt_e.step()
        opt_t.step()
        for p, q in zip(eager.parameters(), traced.parameters(), strict=True):
            assert p.data == q.data


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s[0] == "cross_entropy"])
@settings(max_examples=15)
@given(data=st.data())
def test_the_max_shift_is_each_examples_own_and_check_agrees(
    scenario: tuple[str, str], data: st.DataObject
) -> None:
    # cross-entropy subtracts m = max(z.data) (autograd.max_data): the program computes each
    # example's own m, so a trace is exact for examples whose largest logit differs from the
    # traced one's, and check=True finds nothing to refuse
    case = data.draw(net_cases(max_batch=3, scenarios=(scenario,)))
    eager, traced = case.model(), case.model()

    def fn(x: Any, y: Any) -> Value:
        return case.loss_fn(case.prediction(traced, traced(x)), y)

    step = trace(fn, traced.parameters(), check=True)
    c_e = eager_step(case, eager)
    c_t = traced_step(case, traced, step)
    assert c_e == c_t
    for p, q in zip(eager.parameters(), traced.parameters(), strict=True):
        assert p.grad == q.grad
    assert "_max(" in step.source and "max_data" in step.source


def test_a_program_keeps_no_recorded_max() -> None:
    # the same logits shifted by 1000: the recorded m would overflow nothing but give other bits;
    # each example's own m gives the eager numbers exactly
    from autograd import max_data

    w = Value(1.0, "w")

    def lse(z0: float, z1: float) -> Value:
        zs = [w * z0, w * z1]
        m = max_data(zs)
        return m + sum(((z - m).exp() for z in zs), Value(0.0)).log()

    step = trace(lse, [w])
    for z0, z1 in ((0.5, -0.25), (1000.5, 999.75), (-3.0, 7.0)):
        w.grad = 0.0
        got = step(z0, z1)
        w.grad, traced_grad = 0.0, w.grad
        c = lse(z0, z1)
        c.backward()
        assert got == c.data and traced_grad == w.grad, (z0, z1)


# ------------------------------------------------------------------ random expression graphs
Build = Callable[[list[Value]], Value]


def apply(kind: str, a: Value, b: Value, c: float) -> Value:
    """One op of the table on pool values, kept inside its domain."""
    if kind == "+":
        return a + b
    if kind == "-":
        return a - b
    if kind == "*":
        return a * b
    if kind == "c+":
        return c + a
    if kind == "c-":
        return c - a
    if kind == "c*":
        return a * c
    if kind == "/":
        return a / (b * b + 0.5)
    if kind == "c/":
        return c / (b * b + 0.5)
    if kind == "**":
        return (a * a + 0.5) ** b.tanh()  # Value ** Value
    if kind == "**c":
        return a ** abs(round(c))  # **0, **1, **2, **3
    if kind == "**-1":
        return (a * a + 0.5) ** -1.0
    if kind == "**0.5":
        return (a * a + 0.1) ** 0.5
    if kind == "c**":
        return 2.0 ** b.tanh()
    if kind == "neg":
        return -a
    if kind == "exp":
        return a.tanh().exp()
    if kind == "log":
        return (a * a + 0.5).log()
    if kind == "tanh":
        return a.tanh()
    if kind == "sigmoid":
        return a.sigmoid()
    if kind == "relu":
        return (a - c).relu()  # both sides of 0, and exactly 0 when a == c
    if kind == "linear":
        return linear([a, b], [b, c], a)
    if kind in ("sin", "cos", "arctan", "softplus", "gelu"):
        return getattr(a, kind)()
    if kind == "tan":
        return a.tanh().tan()  # |argument| < 1 < π/2
    if kind in ("arcsin", "arccos"):
        return getattr(a.tanh() * 0.9, kind)()
    if kind == "sqrt":
        return (a * a + 0.1).sqrt()
    if kind in ("abs", "leaky_relu", "elu"):
        return getattr(a - c, kind)()  # both sides of the kink, and the kink itself
    if kind in ("<", "<=", ">", ">="):
        mask = {"<": a < b, "<=": a <= c, ">": c < a, ">=": a >= b}[kind]  # c < a is a > c
        return a * mask  # a 0/1 mask with slope 0, a number on either side
    if kind == "sum":
        return autograd.sum([a, b, a])
    if kind == "mean":
        return autograd.mean([a, b])
    raise AssertionError(kind)


KINDS = [
    "+", "-", "*", "c+", "c-", "c*", "/", "c/", "**", "**c", "**-1", "**0.5", "c**",
    "neg", "exp", "log", "tanh", "sigmoid", "relu", "linear", "sin", "cos", "tan", "arcsin",
    "arccos", "arctan", "abs", "sqrt", "leaky_relu", "softplus", "elu", "gelu",
    "<", "<=", ">", ">=", "sum", "mean",
]  # fmt: skip


def test_the_random_graphs_use_every_op_of_the_table() -> None:
    from autograd import OPS

    made = set()
    for kind in KINDS:
        out = apply(kind, Value(0.7), Value(-0.4), 2.0)
        made |= {n.op for n in topological_order(out)}
    assert set(OPS) <= made | {""}


@st.composite
def programs(draw: st.DrawFn) -> tuple[list[float], list[float], list[tuple[str, int, int, float]]]:
    """Parameter values, input values and instructions (op, operand, operand, constant)."""
    params = draw(st.lists(st.one_of(reals(-2.0, 2.0), st.just(0.0)), min_size=1, max_size=3))
    inputs = draw(st.lists(reals(-2.0, 2.0), min_size=1, max_size=3))
    n = len(params) + len(inputs)
    steps = []
    for i in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(KINDS))
        steps.append(
            (
                kind,
                draw(st.integers(0, n + i - 1)),
                draw(st.integers(0, n + i - 1)),
                draw(st.sampled_from([0.0, 1.0, -1.5, 2.0, 3.0])),
            )
        )
    return params, inputs, steps


def run(steps: list[tuple[str, int, int, float]], pool: list[Value]) -> Value:
    """The graph of the instructions; the loss is the sum of the last three results."""
    pool = list(pool)
    for kind, i, j, c in steps:
        pool.append(apply(kind, pool[i], pool[j], c))
    total = pool[-1]
    for v in pool[-3:-1]:
        total = total + v
    return total


@given(programs())
def test_random_graphs_over_every_op(
    program: tuple[list[float], list[float], list[tuple[str, int, int, float]]],
) -> None:
    values, data, steps = program
    eager_params = [Value(v) for v in values]
    loss = run(steps, [*eager_params, *(Value(x) for x in data)])
    loss.backward()
    params = [Value(v) for v in values]
    step = trace(lambda *xs: run(steps, [*params, *xs]), params)
    got = step(*data)
    assert got == loss.data or (math.isnan(got) and math.isnan(loss.data))
    for p, q in zip(eager_params, params, strict=True):
        assert p.grad == q.grad or (math.isnan(p.grad) and math.isnan(q.grad))


@given(x=reals(), y=reals())
def test_replay_at_new_inputs_equals_eager(x: float, y: float) -> None:
    # traced at one point, replayed at another: the inputs are arguments, not constants
    w = Value(0.7, "w")
    step = trace(lambda a, b: ((w * a).tanh() - b) ** 2, [w])
    step(0.1, 0.2)
    w.grad = 0.0
    got = step(x, y)
    v = Value(0.7)
    c = ((v * x).tanh() - y) ** 2
    c.backward()
    assert got == c.data and w.grad == v.grad


# ------------------------------------------------------------------ the rest of the contract
def small_model() -> MLP:
    """A 2-2-1 tanh network."""
    return MLP(2, [2, 1], seed=0)


def test_accumulates_into_grad_like_backward() -> None:
    model = small_model()
    step = trace(lambda x, y: mse(model(x), y), model.parameters())
    step([0.5, -1.0], [1.0])
    first = [p.grad for p in model.parameters()]
    step([0.5, -1.0], [1.0])
    assert [p.grad for p in model.parameters()] == [g + g for g in first]


def test_source_is_readable_and_one_example_long() -> None:
    model = MLP(2, [16, 16, 1], seed=0)
    notes = backprop_notes(model)
    step = trace(lambda x, y: mse(model(x), y), model.parameters(), describe=notes)
    step([0.5, -1.0], [1.0])
    one = step.source
    step.batch([([0.1 * i, 0.2], [1.0]) for i in range(64)], [1.0 / 64] * 64)
    assert step.source == one  # a batch loops over the one example's program
    assert len(one.splitlines()) <= 2000
    assert "z_2_0 = b_2_0 + w_2_0_0 * x_0 + w_2_0_1 * x_1" in one  # names from the labels
    assert "a_2_0 = _tanh(z_2_0)" in one
    assert "delta_z_2_0 = g_a_2_0 * (1.0 - a_2_0 * a_2_0)" in one  # tanh row: 1 − out²
    assert "g_w_2_0_0 += delta_z_2_0 * x_0" in one  # linear row: dz/dw = x (BP4)
    assert "(BP1)" in one and "(BP2)" in one  # block comments from nn's describe hook
    # BP1 heads the output layer (4), BP2 each layer below it, once per layer, in that order
    headings = [line.strip() for line in one.splitlines() if "(BP" in line]
    assert [h.split(":")[0] for h in headings] == ["# layer 4", "# layer 3", "# layer 2"]
    assert "(BP1)" in headings[0] and all("(BP2)" in h for h in headings[1:])
    assert "δ³ = ((w⁴)ᵀ δ⁴) ⊙ σ′(z³) (BP2)" in headings[1] and "δ³ (a²)ᵀ (BP4)" in headings[1]


def test_a_new_shape_traces_again_and_the_cache_is_small() -> None:
    w = Value(2.0, "w")
    step = trace(lambda xs: sum((w * x for x in xs), Value(0.0)), [w])
    from autograd.tracing import CACHE_SIZE

    for n in range(1, CACHE_SIZE + 4):
        assert step([1.0] * n) == 2.0 * n
    assert len(step._programs) == CACHE_SIZE  # the least recently used ones were dropped
    assert (("n",),) not in step._programs  # the first, a list of one number, is gone
    assert (("n",) * (CACHE_SIZE + 3),) in step._programs


def traced_model() -> tuple[weakref.ref[MLP], Any]:
    """A weak reference to a model, and a trace of it that has run once."""
    model = small_model()
    step = trace(lambda x, y: mse(model(x), y), model.parameters())
    step([0.5, -1.0], [1.0])
    return weakref.ref(model), step


def test_programs_are_freed_with_the_model() -> None:
    ref, step = traced_model()
    assert ref() is not None
    del step  # the trace holds the model (through fn); nothing else does
    gc.collect()
    assert ref() is None


def test_check_mode_names_the_first_op_that_differs() -> None:
    w = Value(1.0, "w")

    def branchy(x: float | Value) -> Value:
        z = w * x
        z.label = "z"
        return z.tanh() if z.data > 0 else z * z  # a branch on a value

    checked = trace(branchy, [w], check=True)
    checked(1.0)
    checked(2.0)  # the same path: fine
    with pytest.raises(TraceMismatchError, match=r"op '\*\*2'|op '\*'|op 'tanh'"):
        checked(-1.0)
    unchecked = trace(branchy, [w])
    unchecked(1.0)
    assert unchecked(-1.0) == math.tanh(-1.0)  # silently the recorded path: hence check=True


def test_domain_errors_name_the_op_and_label_as_eager_does() -> None:
    w = Value(1.0, "w")

    def fn(x: float | Value) -> Value:
        z = w * x
        z.label = "z"
        return z.log()

    step = trace(fn, [w])
    step(2.0)
    with pytest.raises(ValueError) as traced:
        step(-2.0)
    with pytest.raises(ValueError) as eager:
        fn(Value(-2.0))
    assert str(traced.value) == str(eager.value)
    assert "op 'log'" in str(traced.value) and "'z'" in str(traced.value)
    assert w.grad == 1.0  # d log(w x)/dw = 1/w from the first call; the failed one added nothing


def test_nan_under_detect_anomaly_is_caught() -> None:
    x = Value(2.0, "x")
    step = trace(lambda y: x**y, [x])  # d(x^y)/dy at x < 0 is NaN
    y = Value(2.0, "y")
    step2 = trace(lambda b: b**y, [y])
    step2(2.0)
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"'\*\*'"):
        step2(-2.0)
    assert step(3.0) == 8.0


def test_bad_functions_and_inputs() -> None:
    w = Value(1.0)
    with pytest.raises(TraceError, match="must return a Value"):
        trace(lambda x: 3.0, [w])(1.0)
    with pytest.raises(TraceError, match="inputs must be numbers"):
        trace(lambda x: w * x, [w])("a")
    with pytest.raises(TypeError, match=r"params\[0\] must be a Value"):
        trace(lambda x: w * x, [1.0])  # type: ignore[list-item]


def test_losses_refuse_value_targets_outside_a_trace() -> None:
    with pytest.raises(ValueError, match="targets are constants"):
        mse([Value(1.0)], [Value(2.0)])


FIT_LOSSES = [
    ("mse", "linear"),
    ("quadratic", "linear"),
    ("squared_error", "linear"),
    ("hinge", "linear"),
    ("binary_cross_entropy", "sigmoid"),
    ("binary_cross_entropy_with_logits", "linear"),
]


@pytest.mark.parametrize(("loss_name", "output"), FIT_LOSSES)
@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
def test_fit_traced_equals_fit_eager(loss_name: str, output: str, activation: str) -> None:
    from nn.costs import COSTS
    from nn.data import moons

    xs, labels = moons(40, noise=0.1, seed=1)
    ys = [float(y) if "binary" in loss_name else 2.0 * y - 1.0 for y in labels]
    runs = []
    for traced in (False, True):
        model = MLP(2, [5, 1], activation=activation, output_activation=output, seed=3)
        opt = Adam(model.parameters(), lr=0.05)
        loss = COSTS[loss_name].loss
        history = fit(model, xs, ys, loss, opt, 3, 16, progress=False, trace=traced)
        runs.append((history, [p.data for p in model.parameters()]))
    assert runs[0] == runs[1]
    assert len(runs[0][0]) == 9


def test_fit_checks_every_target_before_a_traced_run() -> None:
    from nn.losses import hinge

    model = small_model()
    with pytest.raises(ValueError, match="not −1 or \\+1"):
        fit(model, [[0.0, 1.0], [1.0, 0.0]], [1.0, 0.0], hinge, SGD(model.parameters(), lr=0.1), 1)


def test_branch_gives_each_side_its_own_path() -> None:
    w = Value(0.5, "w")

    def fn(x: float | Value) -> Value:
        z = w * x
        return z.tanh() if branch(z, ">", 0.0) else z * z  # a branch a trace can follow

    step = trace(fn, [w], check=True)
    for x in (1.0, -2.0, 3.0, -0.5, 0.0):
        v = Value(0.5)
        eager = (v * x).tanh() if v.data * x > 0.0 else (v * x) * (v * x)
        eager.backward()
        w.grad = 0.0
        assert step(x) == eager.data and w.grad == v.grad
    assert step.source.count("raise _Miss") == 2  # two recorded paths, one guard each
    assert "if not (v2 > 0.0): raise _Miss" in step.source  # path 1: z > 0
    assert "if v2 > 0.0: raise _Miss" in step.source  # path 2: the other side


def test_bce_with_logits_follows_the_sign_of_each_logit() -> None:
    from nn.losses import binary_cross_entropy_with_logits as bce

    model = small_model()
    step = trace(lambda x, y: bce(model(x), y), model.parameters())
    xs = [[0.5, -1.0], [-2.0, 3.0], [2.0, -3.0], [0.1, 0.1]]
    ys = [[1.0], [0.0], [1.0], [0.0]]
    eager = small_model()
    for x, y in zip(xs, ys, strict=True):
        c = bce(eager(x), y)
        c.backward()
        assert step(x, y) == c.data
    assert [p.grad for p in model.parameters()] == [p.grad for p in eager.parameters()]
    signs = {model(x)[0].data >= 0.0 for x in xs}
    assert signs == {True, False}  # both sides were met


def test_a_bad_target_is_refused_at_replay_as_eager_refuses_it() -> None:
    from nn.losses import hinge

    model = small_model()
    step = trace(lambda x, y: hinge(model(x), y), model.parameters())
    step([0.5, 1.0], [1.0])
    with pytest.raises(ValueError, match="not −1 or \\+1") as traced:
        step([0.5, 1.0], [0.0])
    with pytest.raises(ValueError) as eager:
        hinge(model([0.5, 1.0]), [0.0])
    assert str(traced.value) == str(eager.value)


def test_docs_page_examples_print_what_the_page_shows() -> None:
    import doctest
    import re
    from pathlib import Path

    page = Path(__file__).parent.parent / "docs" / "trace.md"
    text = page.read_text(encoding="utf-8")
    # the page's numpy section runs where numpy is installed; the rest runs everywhere
    cut = text.index("## The numpy backend")
    parts = [text[:cut]]
    try:
        import numpy  # noqa: F401

        parts.append(text[cut:])
    except ImportError:
        pass
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    globs: dict[str, object] = {}
    for k, part in enumerate(parts):
        code = "\n".join(re.findall(r"```python\n(.*?)```", part, re.S))
        test = doctest.DocTestParser().get_doctest(code, globs, f"trace{k}", str(page), 0)
        runner.run(test, clear_globs=False)
        globs = test.globs
    result = runner.summarize(verbose=False)
    assert result.attempted > 10
    assert result.failed == 0


def test_readme_shows_the_program_the_trace_generates() -> None:
    import contextlib
    import io
    import re
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Tracing") :]
    code = re.findall(r"```python\n(.*?)```", section, re.S)[0]
    shown = re.findall(r"```text\n(.*?)```", section, re.S)[0]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    assert out.getvalue() == shown + "\n"


def test_user_defined_primitives_trace_like_built_in_rows() -> None:
    # written with arithmetic and autograd's functions: its derivative is generated inline
    softplus = autograd.primitive(
        "my_softplus",
        lambda x: math.log1p(math.exp(x)),
        lambda x, out: 1.0 - 1.0 / (1.0 + autograd.exp(x)),
    )
    # a rule that calls math on floats: it still traces, as a call of the rule on floats
    wobble = autograd.primitive("wobble", math.sin, lambda x, out: math.cos(x))
    w = Value(0.3, "w")

    def fn(x: float | Value) -> Value:
        return wobble(softplus(w * x)) * w  # type: ignore[no-any-return]

    step = trace(fn, [w])
    for x in (0.5, -1.5, 2.0):
        v = Value(0.3)
        c = wobble(softplus(v * x)) * v
        c.backward()
        w.grad = 0.0
        assert step(x) == c.data and w.grad == v.grad
    assert "1.0 - 1.0 / (1.0 + _exp(" in step.source  # my_softplus' rule, inline
    assert "_d_wobble(" in step.source  # wobble's rule, called
    row = autograd.symbolic_row(softplus.op, ["z"], "a")
    assert row.derivatives is not None and row.derivatives[0].unicode() == "1 − 1/(1 + exp(z))"


def test_fit_traces_int_features_and_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    from autograd import Trace

    xs = [[0, 0], [0, 1], [1, 0], [1, 1]] * 3  # XOR with int features and ±1 int labels
    ys = [-1, 1, 1, -1] * 3
    replayed: list[int] = []
    original = Trace.replay

    def counting(self: Trace, shape: Any, rows: list[tuple[Any, ...]]) -> list[float]:
        replayed.append(len(rows))
        return original(self, shape, rows)

    monkeypatch.setattr(Trace, "replay", counting)
    runs = []
    for traced in (False, True):
        model = MLP(2, [4, 1], seed=5)
        history = fit(model, xs, ys, mse, SGD(model.parameters(), lr=0.2), 4, 6, trace=traced)
        runs.append((history, [p.data for p in model.parameters()]))
    assert runs[0] == runs[1]
    assert 6 in replayed  # the traced run replayed its batches of 6 (one program for all)


def test_wide_nodes_and_long_sums_compile() -> None:
    # a mean of 3,000 losses, and a weight whose gradient sums 2,500 contributions
    w = Value(0.3, "w")
    step = trace(lambda xs: autograd.sum([w * x for x in xs]), [w])
    xs = [0.001 * i for i in range(2500)]
    got = step(xs)
    v = Value(0.3)
    c = autograd.sum([v * x for x in xs])
    c.backward()
    assert got == c.data and w.grad == v.grad
    # an interior node with 2,500 children: its gradient is one long left-to-right sum
    u = Value(0.3, "u")

    def shared(p: Value, xs: Any) -> Value:
        a = p.tanh()  # one node, 2,500 children
        return autograd.sum([a * x for x in xs])  # type: ignore[no-any-return]

    step = trace(lambda xs: shared(u, xs), [u])
    got = step(xs)
    assert step.source.count(" = g_") > 20  # the sum written in pieces
    v = Value(0.3)
    c = shared(v, xs)
    c.backward()
    assert got == c.data and u.grad == v.grad
    mean = trace(lambda cs: autograd.mean(cs), [])
    assert mean([0.1 * i for i in range(3000)]) == autograd.mean([0.1 * i for i in range(3000)])
    wide = autograd.symbolic_row(autograd.OPS["mean"], 5000)
    assert wide.forward.evaluate({f"x{i + 1}": 2.0 for i in range(5000)}) == 2.0
    assert len(wide.forward.unicode()) > 5000  # rendered without recursion


# ------------------------------------------------------------------ the eager fallback's seeds
SEEDS = [0.25, -1.5, 3.0, 0.125]  # distinct and not 1: a dropped or misplaced seed shows


def eager_seeded(model: MLP, examples: list[tuple[list[float], list[float]]]) -> list[float]:
    """Each example's loss on the eager engine, backward(gradient=seed) into model's .grad."""
    losses = []
    for (x, y), seed in zip(examples, SEEDS, strict=True):
        c = mse(model(x), y)
        c.backward(gradient=seed)
        losses.append(c.data)
    return losses


@pytest.mark.parametrize("anomaly", [False, True], ids=["program", "detect_anomaly"])
def test_batch_seeds_scale_each_example_as_backward_gradient_does(
    anomaly: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # under detect_anomaly() the step runs on the eager engine: each example keeps its seed
    examples = [
        ([0.5, -1.0], [1.0]),
        ([0.1, 0.2], [-1.0]),
        ([-0.3, 0.8], [0.5]),
        ([2.0, 1.0], [0.0]),
    ]
    eager, traced = small_model(), small_model()
    expected = eager_seeded(eager, examples)
    ran_eagerly = count_eager_runs(monkeypatch)
    step = trace(lambda x, y: mse(traced(x), y), traced.parameters())
    with detect_anomaly() if anomaly else contextlib.nullcontext():
        got = step.batch(examples, SEEDS)
    assert ran_eagerly == ([len(examples)] if anomaly else [])
    assert got == expected
    assert [p.grad for p in traced.parameters()] == [p.grad for p in eager.parameters()]


def count_eager_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that gets the number of rows of each call of the trace's eager fallback."""
    runs: list[int] = []
    original = autograd.Trace._eager

    def counting(self: autograd.Trace, shape: Any, rows: Any) -> list[float]:
        runs.append(len(rows))
        return original(self, shape, rows)

    monkeypatch.setattr(autograd.Trace, "_eager", counting)
    return runs


def test_a_non_finite_loss_runs_the_batch_eagerly_with_its_seeds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # loss = 2w + x: an infinite x gives an infinite loss, but ∂loss/∂w = 2 all the same
    w = Value(0.5, "w")
    step = trace(lambda x: w * 2.0 + x, [w])
    step(1.0)
    w.grad = 0.0
    ran_eagerly = count_eager_runs(monkeypatch)
    losses = step.batch([(1.0,), (math.inf,), (-2.0,)], SEEDS[:3])
    assert ran_eagerly == [3]  # the program refused the batch: all of it ran eagerly
    assert losses == [2.0, math.inf, -1.0]
    assert w.grad == 2.0 * (0.25 - 1.5 + 3.0)  # Σ seed_i · 2, by hand


def test_examples_past_the_path_limit_run_eagerly_with_their_seeds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # each x in (i, i + 1) takes its own path (i + 1 thresholds passed): 10 paths, 8 kept
    w = Value(1.5, "w")

    def stepped(x: Value) -> Value:
        passed = sum(branch(x, ">", float(t)) for t in range(10))
        return w * x * float(passed + 1)

    step = trace(stepped, [w])
    xs = [i + 0.5 for i in range(10)]
    seeds = [0.1 * (i + 1) * (-1) ** i for i in range(10)]
    ran_eagerly = count_eager_runs(monkeypatch)
    losses = step.batch([(x,) for x in xs], seeds)
    assert ran_eagerly == [1, 1]  # paths 9 and 10: one example each, eagerly
    assert losses == [1.5 * x * (i + 2) for i, x in enumerate(xs)]
    # ∂loss_i/∂w = x_i (i + 2), by hand; the seeds make every term distinct
    expected = sum(s * x * (i + 2) for i, (x, s) in enumerate(zip(xs, seeds, strict=True)))
    assert w.grad == pytest.approx(expected, rel=1e-12)


def test_a_domain_error_in_a_batch_adds_nothing_as_the_eager_batch_adds_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the program stops at the bad example; the eager engine raises its error in the forward
    # pass, before any backward: no example of the batch adds to .grad
    w = Value(0.5, "w")
    step = trace(lambda x: (w * x).log(), [w])
    step(2.0)
    before = w.grad
    ran_eagerly = count_eager_runs(monkeypatch)
    with pytest.raises(ValueError, match="op 'log'"):
        step.batch([(2.0,), (-1.0,), (3.0,)], SEEDS[:3])
    assert ran_eagerly == [3]
    assert w.grad == before


# ------------------------------------------------------------------ the layers of the writer
def test_the_describe_hook_changes_comments_and_names_only() -> None:
    # nn's hook adds the layer comments and δ's names; the program's code is the same without
    model = MLP(2, [3, 2, 1], seed=0)
    plain = trace(lambda x, y: mse(model(x), y), model.parameters())
    noted = trace(lambda x, y: mse(model(x), y), model.parameters(), describe=backprop_notes(model))
    plain([0.5, -1.0], [1.0])
    noted([0.5, -1.0], [1.0])
    assert "(BP" not in plain.source and "layer" not in plain.source
    assert "delta_" not in plain.source and "g_z_2_0 = " in plain.source

    def code(source: str) -> list[str]:
        lines = [line for line in source.splitlines() if not line.lstrip().startswith("#")]
        return [line.split("  #")[0].replace("delta_z_", "g_z_") for line in lines]

    assert code(noted.source) == code(plain.source)
    comments = [line.strip() for line in noted.source.splitlines() if line.strip()[:1] == "#"]
    assert comments.count("# layer 2: z² = w² a¹ + b², then a² = σ(z²)") == 1
    assert comments.count("# the cost C of this example") == 1


def test_lowering_gives_equations_that_the_emitter_writes() -> None:
    from autograd.tracing.lower import Note, Var, lower
    from autograd.tracing.python import emit
    from autograd.tracing.record import record

    w = Value(0.5, "w")

    def fn(x: Value) -> Value:
        z = w * x
        z.label = "z"
        return z.tanh()

    rec = record(fn, {id(w): 0}, ("n",), [2.0], ["x"])
    x = Var("x", "x")
    path = lower(rec, [x], {id(w): 0}, {}, lambda n: Note("fwd") if n.label == "z" else None)
    assert [eq.primitive for eq in path.forward] == ["apply", "apply", "loss"]
    assert [eq.primitive for eq in path.backward] == ["gradient", "gradient", "accumulate"]
    mul = path.forward[0]
    assert mul.params["op"] is autograd.OPS["*"] and mul.inputs == (path.params[0][1], x)
    assert mul.note == "fwd" and path.forward[1].note is None
    # the emitter reads the equations alone: a note changed in them is the comment it writes
    path.forward[1] = dataclasses.replace(path.forward[1], note="then tanh")
    program = emit([path], [x], ["x"])
    assert "# fwd\n" in program.source and "# then tanh\n" in program.source
    assert program.function([(1.0, 2.0)], [w]) == [math.tanh(1.0)]
    assert w.grad == 2.0 * (1.0 - math.tanh(1.0) ** 2)  # d tanh(w x)/dw, by hand


def test_op_families_render_from_their_constant_not_their_name() -> None:
    from autograd import Op, symbolic_row
    from autograd.ops import pow_const, rpow_const

    assert (pow_const(3.0).family, pow_const(3.0).constant) == ("x**c", 3.0)
    assert (rpow_const(2.0).family, rpow_const(2.0).constant) == ("c**x", 2.0)
    assert symbolic_row(pow_const(3.0), ["z"]).forward.unicode() == "z³"  # as ** writes it
    assert symbolic_row(pow_const(0.5), ["z"]).forward.unicode() == "z^0.5"  # no digits to raise
    assert symbolic_row(rpow_const(2.0), ["z"]).forward.unicode() == "2^z"
    # a row named like a member of the family, but not one, is a plain call
    lookalike = Op("**3", lambda x: math.pow(x, 3.0), lambda x, out: (3.0 * x * x,))
    assert symbolic_row(lookalike, ["z"]).forward.unicode() == "**3(z)"


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_fit_traces_softmax_and_cross_entropy_exactly(activation: str) -> None:
    # three classes: each example's class is a number of the program (picked by 0/1 masks) and
    # its largest logit its own (max_data); the run equals the eager one to the bit
    from nn.data import spirals
    from nn.losses import cross_entropy

    xs, labels = spirals(45, seed=2)
    ys = [(y + (i % 2)) % 3 for i, y in enumerate(labels)]  # classes 0, 1 and 2
    runs = []
    steps = []
    for traced in (False, True):
        model = MLP(2, [6, 3], activation=activation, output_activation="softmax", seed=1)
        opt = Adam(model.parameters(), lr=0.05)
        history = fit(model, xs, ys, cross_entropy, opt, 3, 15, progress=False, trace=traced)
        runs.append((history, [p.data for p in model.parameters()]))
        steps.append(len(history))
    assert runs[0] == runs[1]
    assert steps == [9, 9]
    # a class outside the logits is refused in a traced run as in an eager one
    model = MLP(2, [3, 3], output_activation="softmax", seed=0)
    for traced in (False, True):
        with pytest.raises(ValueError, match=r"class index 3(\.0)? is out of range"):
            fit(
                model,
                xs[:2],
                [0, 3],
                cross_entropy,
                SGD(model.parameters(), lr=0.1),
                1,
                progress=False,
                trace=traced,
            )


@pytest.mark.parametrize("backend", ["python", "numpy"])
def test_int_class_labels_of_forty_classes_are_traced_once(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an int class index is part of the input's shape: forty classes are forty programs, kept
    # together (more than CACHE_SIZE: a batch's shapes all stay), and a batch that mixes them
    # runs each class's examples on its own program
    from autograd.tracing import Trace
    from nn.losses import cross_entropy

    if backend == "numpy":
        pytest.importorskip("numpy", reason="the numpy backend needs numpy")

    model = MLP(3, [40], activation="linear", seed=0)
    params = model.parameters()
    examples = [([0.1 * k, -0.2, 0.05 * (k % 3)], k % 40) for k in range(90)]
    step = trace(lambda x, c: cross_entropy(model(x), c), params, backend=backend)
    step.batch(examples)
    records = 0
    record = Trace._record

    def counted(self: Trace, *args: Any) -> Any:
        nonlocal records
        records += 1
        return record(self, *args)

    monkeypatch.setattr(Trace, "_record", counted)
    for _ in range(3):
        model.zero_grad()
        losses = step.batch(examples)
    assert records == 0  # every class's program stayed
    traced = [p.grad for p in params]
    model.zero_grad()
    eager = [cross_entropy(model(x), c) for x, c in examples]
    for c in eager:
        c.backward()
    if backend == "python":  # exact: the gradients add up in the eager engine's order
        assert traced == [p.grad for p in params]
        assert losses == [c.data for c in eager]
    else:  # to rounding: a matrix product adds in another order
        for got, want in [(traced, [p.grad for p in params]), (losses, [c.data for c in eager])]:
            scale = max(abs(x) for x in want)
            assert all(abs(g - w) <= 1e-10 * scale for g, w in zip(got, want, strict=True))


@pytest.mark.parametrize("backend", ["python", "numpy"])
def test_a_batch_that_fails_leaves_the_gradients_as_they_were(backend: str) -> None:
    # as a batch's backward() does: an example with a NaN input raises, and the examples
    # before it add nothing; the error names the input, as the eager engine's does
    if backend == "numpy":
        pytest.importorskip("numpy", reason="the numpy backend needs numpy")
    from nn.losses import binary_cross_entropy

    model = MLP(2, [4, 1], activation="tanh", output_activation="sigmoid", seed=0)
    params = model.parameters()
    step = trace(lambda x, y: binary_cross_entropy(model(x), y), params, backend=backend)
    good = [([0.3, 0.2], [1.0]), ([0.1, -0.4], [0.0]), ([0.5, 0.5], [1.0])]
    step.batch(good, [0.5, 0.5, 0.5])
    for p in params:
        p.grad = 0.25
    bad = [good[0], good[1], ([math.nan, -0.4], [0.0])]
    with pytest.raises(ValueError, match=r"because the input 'x_0' is nan"):
        step.batch(bad, [0.5, 0.5, 0.5])
    assert all(p.grad == 0.25 for p in params)
    with pytest.raises(ValueError, match="seeds must be one per example: got 2 for 3"):
        step.batch(bad, [0.5, 0.5])


@pytest.mark.parametrize("backend", ["python", "numpy"])
def test_a_failing_batch_of_mixed_shapes_or_of_one_row_adds_nothing(backend: str) -> None:
    if backend == "numpy":
        pytest.importorskip("numpy", reason="the numpy backend needs numpy")
    p, q = Value(0.5, "p"), Value(2.0, "q")

    def pick(x: list[Value], c: int) -> Value:  # an int picks a node: one shape per class
        zs = [x[0] * p, x[1] * q]
        return (zs[c] * zs[c]).log()

    step = trace(pick, [p, q], backend=backend)
    # the second class's example takes the log of 0: the first class's adds nothing either
    with pytest.raises(ValueError, match="log"):
        step.batch([([1.0, 2.0], 1), ([0.0, 5.0], 0)])
    assert (p.grad, q.grad) == (0.0, 0.0)
    # one row whose backward raises midway (sqrt's slope at 0): nothing added, as for two rows
    r, s = Value(0.0, "r"), Value(1.0, "s")
    one = trace(lambda x: s * x + r.sqrt() * x, [r, s], backend=backend)
    with pytest.raises(ZeroDivisionError):
        one.batch([(1.0,)])
    assert (r.grad, s.grad) == (0.0, 0.0)
