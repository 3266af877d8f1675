"""The op table: every primitive op's forward and local derivatives, side by side."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# A derivative rule receives the op's inputs and its output, either as floats (an ordinary
# backward pass) or as Values (create_graph=True), and returns one local derivative per input.
# Rules are written with arithmetic operators and the helpers below only, so the same formula
# serves both passes: that is what makes gradients of gradients work.
Derivative = Callable[..., tuple[Any, ...]]


class DomainError(Exception):
    """Raised by a forward function when its input lies outside the op's domain."""

    def __init__(
        self, reason: str, kind: type[Exception] = ValueError, arg: int = 0, hint: str = ""
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind
        self.arg = arg  # which input is at fault
        self.hint = hint  # what to do about it


@dataclass(frozen=True, slots=True)
class Op:
    """A primitive op: its name, forward function on floats and local-derivative rule."""

    name: str
    forward: Callable[..., float]
    derivative: Derivative


def _log(x: Any) -> Any:
    return math.log(x) if isinstance(x, float) else x.log()


def _sigmoid(x: float) -> float:
    # stable: never exponentiates a positive number, so no overflow at |x| = 1000
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _exp_forward(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:  # IEEE: a result beyond the largest float is +inf (x > 709.78)
        return math.inf


def _log_forward(x: float) -> float:
    if x <= 0.0:
        raise DomainError(
            "log is defined only for positive inputs",
            hint="clamp the input or add a small epsilon before taking the log",
        )
    return math.log(x)


def _div_forward(x: float, y: float) -> float:
    if y == 0.0:
        raise DomainError("division by zero", ZeroDivisionError, arg=1)
    return x / y


def _pow_forward(x: float, y: float) -> float:
    # math.pow never returns a complex number, unlike the ** operator on floats
    if x == 0.0 and y < 0.0:
        raise DomainError("0 raised to a negative power is a division by zero", ZeroDivisionError)
    if x < 0.0 and not y.is_integer():
        raise DomainError("a negative base with a non-integer exponent has no real value")
    try:
        return math.pow(x, y)
    except OverflowError:  # IEEE: ±inf, negative only for a negative base and an odd exponent
        odd = y.is_integer() and math.fmod(y, 2.0) != 0.0
        return -math.inf if x < 0.0 and odd else math.inf


def _pow_d_base(x: Any, y: Any) -> Any:
    # d x^y / dx = y x^(y-1); at x = y = 0 that is 0 * inf, but x^0 = 1 has slope 0 there
    if float(y) == 0.0 and float(x) == 0.0:
        return 0.0
    return y * x ** (y - 1.0)


def _pow_d_exponent(x: Any, out: Any) -> Any:
    # d x^y / dy = x^y ln x; at x = 0 (with y > 0) the limit is 0; for x < 0 it does not exist
    # (like PyTorch: NaN, which detect_anomaly() reports if it reaches a gradient that is used)
    base = float(x)
    if base > 0.0:
        return out * _log(x)
    if base == 0.0:
        return 0.0
    return math.nan


def _linear_forward(*args: float) -> float:
    # inputs are (w_1..w_n, x_1..x_n, b): b + w_1 x_1 + ... + w_n x_n, summed left to right
    n = (len(args) - 1) // 2
    return sum(map(operator.mul, args[:n], args[n : 2 * n]), args[-1])


def _linear_derivative(*args: Any) -> tuple[Any, ...]:
    # inputs are (w_1..w_n, x_1..x_n, b) and then the output:
    # dz/dw_k = x_k, dz/dx_k = w_k, dz/db = 1
    n = (len(args) - 2) // 2
    return (*args[n : 2 * n], *args[:n], 1.0)


# fmt: off
# name          forward                           local derivatives (inputs..., out) -> (d/dx, d/dy)
ADD = Op("+",    lambda x, y: x + y,              lambda x, y, out: (1.0, 1.0))
SUB = Op("-",    lambda x, y: x - y,              lambda x, y, out: (1.0, -1.0))
MUL = Op("*",    lambda x, y: x * y,              lambda x, y, out: (y, x))
# primitive, not x * y**-1: one node, and the error names division. d(x/y)/dy = -x/y^2 = -out/y
DIV = Op("/",    _div_forward,                    lambda x, y, out: (1.0 / y, -out / y))
# d x^y/dx = y x^(y-1); d x^y/dy = x^y ln x (helpers above handle y = 0 and x <= 0)
POW = Op("**",   _pow_forward,                    lambda x, y, out: (_pow_d_base(x, y), _pow_d_exponent(x, out)))  # noqa: E501
NEG = Op("neg",  lambda x: -x,                    lambda x, out: (-1.0,))
# d e^x/dx = e^x, reuses the output
EXP = Op("exp",  _exp_forward,                    lambda x, out: (out,))
# d ln x/dx = 1/x
LOG = Op("log",  _log_forward,                    lambda x, out: (1.0 / x,))
# d tanh(x)/dx = 1 - tanh(x)^2, reuses the output
TANH = Op("tanh", math.tanh,                      lambda x, out: (1.0 - out * out,))
# primitive with a stable formula; d sigmoid(x)/dx = sigmoid(x) (1 - sigmoid(x)), reuses the output
SIGMOID = Op("sigmoid", _sigmoid,                 lambda x, out: (out * (1.0 - out),))
# d relu(x)/dx = 1 for x > 0, else 0 (0 at exactly x = 0, by convention); piecewise constant,
# so its own derivative is 0 and the rule returns a plain float in both passes
RELU = Op("relu", lambda x: x if x > 0.0 else 0.0, lambda x, out: (1.0 if float(x) > 0.0 else 0.0,))
# z = sum_k w_k x_k + b as ONE node: dz/dw_k = x_k, dz/dx_k = w_k, dz/db = 1
LINEAR = Op("linear", _linear_forward,            _linear_derivative)
# fmt: on


@lru_cache(maxsize=256)
def pow_const(c: float) -> Op:
    """The op x -> x**c for a constant exponent c (the exponent is part of the op, not a node)."""

    def forward(x: float) -> float:
        return _pow_forward(x, c)

    if c == 0.0:  # x^0 = 1 everywhere: slope 0 (also at x = 0, where c x^(c-1) is 0 * inf)
        return Op("**0", forward, lambda x, out: (0.0,))
    # d x^c/dx = c x^(c-1)
    return Op(f"**{c:g}", forward, lambda x, out: (c * x ** (c - 1.0),))


@lru_cache(maxsize=256)
def rpow_const(c: float) -> Op:
    """The op x -> c**x for a constant base c > 0 (or c = 0 with x > 0)."""

    def forward(x: float) -> float:
        if c < 0.0:
            raise DomainError(f"{c:g}**x with a negative base has no real value for most x")
        return _pow_forward(c, x)

    # d c^x/dx = c^x ln c; for c = 0 the output is 0 wherever it is defined, and so is its slope
    log_c = math.log(c) if c > 0.0 else 0.0
    return Op(f"{c:g}**", forward, lambda x, out: (out * log_c,))


# Every primitive, for tests and docs to iterate over. pow_const/rpow_const are families of ops.
OPS: dict[str, Op] = {
    op.name: op for op in (ADD, SUB, MUL, DIV, POW, NEG, EXP, LOG, TANH, SIGMOID, RELU, LINEAR)
}
