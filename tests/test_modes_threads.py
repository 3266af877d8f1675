"""no_grad() and detect_anomaly() hold per thread and per asyncio task, and decorate bare."""

import asyncio
import math
import threading
from collections.abc import Callable
from typing import Any

from autograd import (
    AnomalyError,
    Value,
    detect_anomaly,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
)


def build_and_backward() -> dict[str, Any]:
    """What a fresh graph records and computes in the current thread or task."""
    a, b = Value(2.0, "a"), Value(3.0, "b")
    p = a * b
    try:
        p.backward()
        refused = False
    except RuntimeError:  # p was made inside no_grad(): no graph to go back through
        refused = True
    try:
        Value(1e308) * 10.0  # an inf: reported only inside detect_anomaly()
        reported = False
    except AnomalyError:
        reported = True
    return {
        "parents": len(p.parents),
        "grad": a.grad,
        "where": p.where,
        "grad_enabled": is_grad_enabled(),
        "anomaly": is_anomaly_enabled(),
        "reported": reported,
        "refused": refused,
    }


FREE = {
    "parents": 2,
    "grad": 3.0,
    "where": None,
    "grad_enabled": True,
    "anomaly": False,
    "refused": False,
}


def in_thread(fn: Callable[[], dict[str, Any]], inside: threading.Event) -> dict[str, Any]:
    result: dict[str, Any] = {}

    def work() -> None:
        inside.wait(timeout=10)
        result.update(fn())

    t = threading.Thread(target=work)
    t.start()
    return {"thread": t, "result": result}


def test_a_worker_thread_does_not_see_the_main_threads_modes() -> None:
    inside = threading.Event()
    job = in_thread(build_and_backward, inside)
    with no_grad(), detect_anomaly():
        inside.set()
        job["thread"].join(timeout=10)
        x = Value(2.0) * Value(3.0)
        assert x.parents == () and not is_grad_enabled() and is_anomaly_enabled()
    result = job["result"]
    assert {k: result[k] for k in FREE} == FREE
    assert result["reported"] is False


def test_the_main_thread_does_not_see_a_worker_threads_modes() -> None:
    entered, done = threading.Event(), threading.Event()
    seen: dict[str, Any] = {}

    def worker() -> None:
        with no_grad(), detect_anomaly():
            entered.set()
            done.wait(timeout=10)
            seen.update(build_and_backward())

    t = threading.Thread(target=worker)
    t.start()
    entered.wait(timeout=10)
    mine = build_and_backward()  # while the worker is inside both modes
    done.set()
    t.join(timeout=10)
    assert {k: mine[k] for k in FREE} == FREE and mine["reported"] is False
    # the worker saw its own modes: no parents recorded, anomaly on and reporting
    assert seen["parents"] == 0 and not seen["grad_enabled"] and seen["anomaly"]
    assert seen["refused"] is True
    assert seen["reported"] is True and seen["where"] is not None
    assert is_grad_enabled() and not is_anomaly_enabled()


def test_two_asyncio_tasks_each_see_only_their_own_mode() -> None:
    async def main() -> tuple[dict[str, Any], dict[str, Any]]:
        entered, done = asyncio.Event(), asyncio.Event()

        async def quiet() -> dict[str, Any]:
            with no_grad(), detect_anomaly():
                entered.set()
                await done.wait()  # the other task runs while this one is inside the modes
                return build_and_backward()

        async def busy() -> dict[str, Any]:
            await entered.wait()
            result = build_and_backward()
            done.set()
            return result

        return await asyncio.gather(quiet(), busy())

    inside, outside = asyncio.run(main())
    assert {k: outside[k] for k in FREE} == FREE and outside["reported"] is False
    assert inside["parents"] == 0 and inside["anomaly"] and inside["reported"]
    assert inside["refused"] is True


def test_modes_nest_and_restore_per_context() -> None:
    with no_grad():
        with no_grad():
            assert not is_grad_enabled()
        assert not is_grad_enabled()
        with detect_anomaly():
            assert is_anomaly_enabled() and not is_grad_enabled()
        assert not is_anomaly_enabled()
    assert is_grad_enabled()
    assert len((Value(1.0) + Value(2.0)).parents) == 2  # the fast path is back on


def test_no_grad_and_detect_anomaly_decorate_without_parentheses() -> None:
    @no_grad
    def frozen(x: Value) -> Value:
        return x * 2.0

    @detect_anomaly
    def watched(x: Value) -> Value:
        return x.exp()

    assert frozen(Value(1.0)).parents == () and frozen.__name__ == "frozen"
    assert is_grad_enabled()
    assert watched(Value(1.0)).where is not None
    try:
        watched(Value(1000.0))
    except AnomalyError as e:
        assert "op 'exp'" in str(e)
    else:
        raise AssertionError("detect_anomaly did not report exp(1000) = inf")
    assert not is_anomaly_enabled()
    assert math.isinf(Value(1000.0).exp().data)  # outside the mode: IEEE inf, no error
