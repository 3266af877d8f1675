"""Global modes of the engine: no_grad (record nothing) and detect_anomaly (find NaNs)."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from types import TracebackType
from typing import ParamSpec, Self, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class _Flags:
    """Process-wide switches read on every op; `special` is True when either mode is active."""

    __slots__ = ("anomaly", "recording", "special")

    def __init__(self) -> None:
        self.recording = True
        self.anomaly = False
        self.special = False

    def update(self) -> None:
        self.special = (not self.recording) or self.anomaly


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
    """A context manager (or decorator) that sets one of the FLAGS switches, then restores it."""

    _switch: str
    _value: bool

    def __enter__(self) -> Self:
        self._previous = getattr(FLAGS, self._switch)
        setattr(FLAGS, self._switch, self._value)
        FLAGS.update()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        setattr(FLAGS, self._switch, self._previous)
        FLAGS.update()

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        """Use as a decorator: run fn inside the mode."""
        if not callable(fn):
            raise TypeError(
                f"{type(self).__name__}() decorates a function, got {type(fn).__name__}"
            )
        mode = type(self)

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with mode():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_Mode):
    """Context manager (or decorator) under which ops record no parents: cheap inference."""

    _switch, _value = "recording", False


def is_grad_enabled() -> bool:
    """True unless inside no_grad()."""
    return FLAGS.recording


class detect_anomaly(_Mode):
    """Context manager: nodes remember the file:line that made them; NaN/inf in backward raises."""

    _switch, _value = "anomaly", True


def is_anomaly_enabled() -> bool:
    """True inside detect_anomaly()."""
    return FLAGS.anomaly
