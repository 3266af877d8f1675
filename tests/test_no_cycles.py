"""deltagrad makes no reference cycles: reference counting frees every graph, model and view.

That is what makes autograd.gc_paused() safe, and fit, trace recording and backward use it: the
cyclic collector has nothing of ours to find. Each case builds, runs and drops something, and
the collector (saving what it finds) must find no object of autograd, nn or viz.
"""

import gc
import math
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import viz
from autograd import OPS, Value, gc_paused, grad, gradcheck, jvp, trace
from nn import MLP, check_backprop
from nn.data import moons
from nn.losses import binary_cross_entropy_with_logits, cross_entropy, quadratic
from nn.optim import SGD, Adam
from nn.record import Recorder
from nn.train import fit
from tests.learner_backprop import make_backprop
from tests.test_nonfinite import apply, arity

OURS = ("autograd", "nn", "viz")
ROOT = Path(__file__).resolve().parent.parent


def _ours(obj: Any) -> bool:
    """Is obj one of this project's objects: an instance, a function or a frame of our code?"""
    if type(obj).__name__ == "frame":
        return str(ROOT) in obj.f_code.co_filename and "/tests/" not in obj.f_code.co_filename
    module = obj.__module__ if callable(obj) and hasattr(obj, "__code__") else None
    module = module or getattr(type(obj), "__module__", "") or ""
    return module.split(".")[0] in OURS


def cycles_of(run: Callable[[], object]) -> list[str]:
    """What of ours the cyclic collector finds after run() has built, used and dropped it."""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        run()
        gc.collect()
        found = [repr(type(o)) for o in gc.garbage if _ours(o)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    return found


@pytest.mark.parametrize("name", sorted(OPS))
def test_no_op_makes_a_cycle(name: str) -> None:
    def run() -> None:
        xs = [Value(0.25 + 0.125 * i) for i in range(arity(OPS[name]))]
        out = apply(OPS[name], *xs)
        out.backward()
        grad(out, xs)

    assert cycles_of(run) == []


def test_a_cycle_is_found_when_there_is_one() -> None:
    """The check itself: a node stored on a node that depends on it is a cycle, and is found."""

    def run() -> None:
        a = Value(1.0)
        b = a * 2.0
        a._meta = b  # type: ignore[attr-defined]  # a link from parent to child: a cycle

    assert cycles_of(run) != []


def networks() -> Iterator[tuple[MLP, Any, Any]]:
    yield MLP(2, [3, 1], activation="tanh", seed=0), binary_cross_entropy_with_logits, 1.0
    yield (
        MLP(2, [3, 3], activation="relu", output_activation="softmax", seed=0),
        cross_entropy,
        2,
    )
    yield (
        MLP(2, [3, 2], activation="sigmoid", output_activation="sigmoid", seed=0),
        quadratic,
        [0.0, 1.0],
    )


def test_no_network_backward_or_view_makes_a_cycle(tmp_path: Path) -> None:
    def run() -> None:
        for model, loss, y in networks():
            out = model([0.5, -1.0])
            if loss is cross_entropy:  # it reads the logits z^L of the softmax layer
                out = model.layers[-1].z
            cost = loss(out, [y] if isinstance(y, float) else y)
            cost.backward()
            viz.explain(cost, cost)
            viz.explain(model, cost)
            viz.draw(cost)
            viz.stepper_page(cost)._repr_html_()
            viz.write_stepper(cost, tmp_path / "s.html", layers=model)
            gradcheck(lambda a, b: a * b + a.tanh(), [0.3, -0.2])
            jvp(lambda a: a.exp(), [0.1], [1.0])

    assert cycles_of(run) == []


def test_no_training_trace_or_recording_makes_a_cycle() -> None:
    def run() -> None:
        xs, ys = moons(n=12, seed=0)
        for traced in (True, False):
            model = MLP(2, [4, 1], activation="tanh", seed=1)
            recorder = Recorder.within(10**6, 6, len(xs), 5)
            fit(model, xs, ys, binary_cross_entropy_with_logits, Adam(model.parameters(), 0.05),
                6, record=recorder, trace=traced, progress=False)  # fmt: skip
            viz.playground_page(recorder, model, xs, ys)._repr_html_()
        model = MLP(2, [3, 1], seed=2)
        step = trace(lambda x, y: quadratic(model(x), y), model.parameters())
        step([0.5, 0.25], [1.0])
        SGD(model.parameters(), lr=0.1).step()

    assert cycles_of(run) == []


def everything_collected(run: Callable[[], object]) -> list[str]:
    """What the cyclic collector finds after run(), of ANY kind (a generated program's function
    and its globals are of no module of ours); run() once before, so what a first call caches
    (numpy's, hypothesis') is not counted."""
    run()
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        run()
        gc.collect()
        return sorted({type(o).__name__ for o in gc.garbage})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


@pytest.mark.parametrize("backend", ["python", "numpy"])
def test_a_traced_program_is_freed_without_the_collector(backend: str) -> None:
    # a function made by exec keeps its namespace as its globals, which holds the function
    if backend == "numpy":
        pytest.importorskip("numpy")
    xs, ys = moons(n=8, seed=0)

    def run() -> None:
        for output, cost in (("linear", cross_entropy), ("sigmoid", quadratic)):
            model = MLP(2, [3, 2], activation="sigmoid", output_activation=output, seed=0)
            targets: list[Any] = list(ys) if cost is cross_entropy else [[y, 1 - y] for y in ys]
            step = trace(
                lambda x, y, m=model, c=cost: c(m(x), y), model.parameters(), backend=backend
            )
            step.batch(list(zip(xs, targets, strict=True)))
            assert "def _program" in step.source
            assert backend == "python" or "_grad[" in step.vector_source
        model = MLP(2, [3, 1], activation="tanh", seed=1)
        fit(model, xs, ys, binary_cross_entropy_with_logits, SGD(model.parameters(), 0.1), 2,
            backend=backend, progress=False)  # fmt: skip

    assert everything_collected(run) == []


def test_grading_makes_no_cycle() -> None:
    def run() -> None:
        check_backprop(make_backprop("sigmoid", "sigmoid", "quadratic"), [2, 3, 1], trials=2)
        wrong = make_backprop("sigmoid", "sigmoid", "quadratic", mistake="not_transposed")
        str(check_backprop(wrong, [2, 3, 2], trials=2))

    assert cycles_of(run) == []


def test_gc_paused_restores_the_callers_setting_on_every_exit() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():  # nested: still paused after the inner block
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(KeyError), gc_paused():
        raise KeyError("x")
    assert gc.isenabled()
    gc.disable()  # a caller who paused it himself keeps it paused
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_gc_paused_in_two_threads_restores_once_the_last_one_leaves() -> None:
    inside, leave_first = threading.Barrier(2), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with gc_paused():
            inside.wait()
        leave_first.set()

    def second() -> None:
        with gc_paused():
            inside.wait()
            leave_first.wait()
            seen.append(gc.isenabled())  # the first has left: still paused for this one

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [False] and gc.isenabled()


def test_fit_and_backward_leave_the_collector_as_they_found_it() -> None:
    xs, ys = moons(n=8, seed=0)
    model = MLP(2, [3, 1], seed=0)
    fit(model, xs, ys, binary_cross_entropy_with_logits, SGD(model.parameters(), 0.1), 2,
        progress=False)  # fmt: skip
    assert gc.isenabled()
    x = Value(0.5)
    (x * x).backward()
    assert gc.isenabled() and math.isclose(x.grad, 1.0)
