"""The engine's modes, no_grad (record nothing) and detect_anomaly (find NaNs): per thread and task.

Both modes live in one ContextVar, MODE (a bit each: NO_GRAD, ANOMALY), so they hold only for
the thread (and the asyncio task) that entered them, as PyTorch's grad mode does. Reading a
ContextVar on every op would slow down graph building, so ops first read one process-wide
boolean, FLAGS.special: it is True while any mode is active in any thread or task (a counter
of entered modes), and only then does an op look up its own context's modes, with one get().
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar, Token
from types import TracebackType
from typing import ParamSpec, Self, TypeVar, overload

P = ParamSpec("P")
R = TypeVar("R")

NO_GRAD = 1  # the MODE bit of no_grad(): ops record no parents
ANOMALY = 2  # the MODE bit of detect_anomaly(): nodes remember where they were made
MODE: ContextVar[int] = ContextVar("deltagrad_mode", default=0)


class _Flags:
    """`special` is True while any thread or task is inside a mode (then ops consult the modes)."""

    __slots__ = ("active", "lock", "special")

    def __init__(self) -> None:
        self.active = 0  # modes entered and not yet left, over every thread and task
        self.special = False
        self.lock = threading.Lock()

    def enter(self) -> None:
        with self.lock:
            self.active += 1
            self.special = True

    def leave(self) -> None:
        with self.lock:
            self.active -= 1
            self.special = self.active > 0


FLAGS = _Flags()

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def caller_location() -> str:
    """file:line of the nearest frame outside the autograd package (where a node was made)."""
    frame = sys._getframe(1)
    while frame is not None and os.path.dirname(frame.f_code.co_filename) == _PACKAGE_DIR:
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:  # pragma: no cover - only the engine itself on the stack
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


class _Mode:
    """A context manager (or decorator): sets one mode in the current context, then restores it."""

    _bit: int

    def __init__(self) -> None:
        self._tokens: list[Token[int]] = []

    def __enter__(self) -> Self:
        self._tokens.append(MODE.set(MODE.get() | self._bit))
        FLAGS.enter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        MODE.reset(self._tokens.pop())
        FLAGS.leave()

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        """Use as a decorator: run fn inside the mode."""
        return _decorate(type(self), fn)


def _decorate(mode: type[_Mode], fn: Callable[P, R]) -> Callable[P, R]:
    if not callable(fn):
        raise TypeError(f"{mode.__name__}() decorates a function, got {type(fn).__name__}")

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with mode():
            return fn(*args, **kwargs)

    return wrapper


class _NoGrad(_Mode):
    """Ops record no parents: cheap inference."""

    _bit = NO_GRAD


class _DetectAnomaly(_Mode):
    """Nodes remember where they were made; a NaN or infinity in forward or backward raises."""

    _bit = ANOMALY


@overload
def no_grad() -> _NoGrad: ...
@overload
def no_grad(fn: Callable[P, R]) -> Callable[P, R]: ...
def no_grad(fn: Callable[P, R] | None = None) -> _NoGrad | Callable[P, R]:
    """Context manager or decorator (@no_grad or @no_grad()) under which ops record no parents."""
    return _NoGrad() if fn is None else _decorate(_NoGrad, fn)


@overload
def detect_anomaly() -> _DetectAnomaly: ...
@overload
def detect_anomaly(fn: Callable[P, R]) -> Callable[P, R]: ...
def detect_anomaly(fn: Callable[P, R] | None = None) -> _DetectAnomaly | Callable[P, R]:
    """Context manager or decorator: nodes remember their file:line; NaN/inf in forward or
    backward raises AnomalyError."""
    return _DetectAnomaly() if fn is None else _decorate(_DetectAnomaly, fn)


def is_grad_enabled() -> bool:
    """True unless this thread or task is inside no_grad()."""
    return not MODE.get() & NO_GRAD


def is_anomaly_enabled() -> bool:
    """True inside detect_anomaly() (in this thread or task)."""
    return bool(MODE.get() & ANOMALY)


class _CollectorPause:
    """Python's cyclic garbage collector paused while any thread is inside gc_paused()."""

    __slots__ = ("depth", "lock", "was_enabled")

    def __init__(self) -> None:
        self.depth = 0  # blocks entered and not yet left, over every thread
        self.was_enabled = False  # the setting found by the first block, restored by the last
        self.lock = threading.Lock()

    def enter(self) -> None:
        with self.lock:
            if self.depth == 0:
                self.was_enabled = gc.isenabled()
                gc.disable()
            self.depth += 1

    def leave(self) -> None:
        with self.lock:
            self.depth -= 1
            if self.depth == 0 and self.was_enabled:
                gc.enable()


_COLLECTOR = _CollectorPause()


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block; the caller's setting comes back.

    Why it is safe here: deltagrad's graphs hold no reference cycles (a node refers to its
    parents only, never to its children), so reference counting frees every node as soon as it
    is dropped, and the cyclic collector only rescans the live graph, more of it the larger it
    grows (building a chain of 10^6 nodes costs about 2.5 times as much per node as one of 10^4
    with it running). fit, trace recording and backward pause it themselves. When it is not
    safe: a graph you link into a cycle yourself (a node stored in an attribute of something it
    depends on, or backward(create_graph=True), whose gradients refer back to their nodes)
    stays in memory until the collector runs again after the block. The pause is
    process-wide: blocks in several threads nest, and the last one to leave restores the
    setting the first one found.
    """
    _COLLECTOR.enter()
    try:
        yield
    finally:
        _COLLECTOR.leave()
