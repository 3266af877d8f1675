"""The op table: every primitive op's forward and local derivatives, side by side."""

from __future__ import annotations

import math
import operator
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, reduce
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
    """A primitive op: its name, forward function on floats and local-derivative rule.

    A member of a family of ops (x**c, c**x, leaky_relu, elu) names its family and carries
    the family's constant (the exponent, base, slope or alpha) as data.
    """

    name: str
    forward: Callable[..., float]
    derivative: Derivative
    family: str | None = None  # "x**c", "c**x", "leaky_relu" or "elu"
    constant: float | None = None


# ------------------------------------------------------------------------- rule helpers
# A derivative rule uses only arithmetic operators on its arguments and the helpers below.
# A helper computes with math on a float; on anything else it calls the method of the same
# name (a Value, or an expression object of a tool that reads the rules symbolically). A branch
# on data goes through a helper too: on floats it takes the float branch; otherwise it builds
# the branch from comparisons such as (x > 0.0), which on a Value are 0/1 masks whose
# derivative is 0, so the same rule serves the float pass, create_graph and other readers.


def _log(x: Any) -> Any:
    return math.log(x) if type(x) is float else x.log()


def _sin(x: Any) -> Any:
    return math.sin(x) if type(x) is float else x.sin()


def _cos(x: Any) -> Any:
    return math.cos(x) if type(x) is float else x.cos()


def _tanh(x: Any) -> Any:
    return math.tanh(x) if type(x) is float else x.tanh()


def _sqrt(x: Any) -> Any:
    return math.sqrt(x) if type(x) is float else x.sqrt()


def _sigmoid(x: Any) -> Any:
    return _sigmoid_forward(x) if type(x) is float else x.sigmoid()


def _step(x: Any) -> Any:
    """1 where x > 0, else 0 (also at x = 0): the derivative of relu."""
    if type(x) is float:
        return 1.0 if x > 0.0 else 0.0
    return x > 0.0


def _sign(x: Any) -> Any:
    """1, -1 or 0 (at x = 0): the derivative of abs."""
    if type(x) is float:
        return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)
    return (x > 0.0) - (x < 0.0)


def _where_positive(x: Any, positive: Any, otherwise: Any) -> Any:
    """positive where x > 0, else otherwise (also at x = 0)."""
    if type(x) is float:
        return positive if x > 0.0 else otherwise
    m = x > 0.0
    return m * positive + (1.0 - m) * otherwise


def _sigmoid_forward(x: float) -> float:
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
    except OverflowError:
        return _overflowed_power(x, y)


def _overflowed_power(x: float, y: float) -> float:
    # IEEE: ±inf, negative only for a negative base and an odd exponent
    odd = y.is_integer() and math.fmod(y, 2.0) != 0.0
    return -math.inf if x < 0.0 and odd else math.inf


def _power(x: Any, y: Any) -> Any:
    """x ** y in a derivative rule: on floats, an overflow is ±inf (not OverflowError)."""
    if type(x) is float:
        try:
            return x**y
        except OverflowError:
            return _overflowed_power(x, y)
    return x**y


def _is_zero(x: Any) -> Any:
    """1 where x == 0, else 0 (as comparisons: == on a Value is identity, not a comparison)."""
    return (x >= 0.0) * (x <= 0.0)


def _pow_d_base(x: Any, y: Any) -> Any:
    # d x^y / dx = y x^(y-1); at x = y = 0 that is 0 * inf, but x^0 = 1 has slope 0 there
    if type(x) is float and type(y) is float:
        if y == 0.0 and x == 0.0:
            return 0.0
        return y * _power(x, y - 1.0)
    # the same branch from masks: at x = y = 0 the base becomes 1, so y x^(y-1) = 0 * 1 = 0
    return y * (x + _is_zero(x) * _is_zero(y)) ** (y - 1.0)


def _pow_d_exponent(x: Any, out: Any) -> Any:
    # d x^y / dy = x^y ln x; at x = 0 (with y > 0) the limit is 0; for x < 0 it does not exist
    # (like PyTorch: NaN, which detect_anomaly() reports if it reaches a gradient that is used)
    if type(x) is float:
        if x > 0.0:
            return out * _log(x)
        if x == 0.0:
            return 0.0
        return math.nan
    # the same branch from masks, for x > 0 and x = 0 (the log's input becomes 1 where x <= 0).
    # Arithmetic cannot make a NaN for x < 0 alone, so there the derivative graph gives 0.
    m = x > 0.0
    return m * out * _log(m * x + (1.0 - m))


def _sqrt_forward(x: float) -> float:
    if x < 0.0:
        raise DomainError(
            "sqrt is defined only for inputs >= 0", hint="clamp the input, or use abs() first"
        )
    return math.sqrt(x)


def _periodic(fn: Callable[[float], float]) -> Callable[[float], float]:
    # IEEE: sin, cos and tan of ±inf are NaN (math raises "math domain error" instead)
    def forward(x: float) -> float:
        return fn(x) if x - x == 0.0 else math.nan

    forward.__name__ = fn.__name__
    return forward


# tan is finite for every finite float: no float is exactly an odd multiple of pi/2
_tan_forward = _periodic(math.tan)


def _unit_interval(name: str) -> Callable[[float], float]:
    fn = getattr(math, {"arcsin": "asin", "arccos": "acos"}[name])

    def forward(x: float) -> float:
        if x < -1.0 or x > 1.0:  # NaN passes through, as in every op
            raise DomainError(
                f"{name} is defined only for inputs in [-1, 1]",
                hint="clamp the input to [-1, 1] first",
            )
        return float(fn(x))

    return forward


def _softplus_forward(x: float) -> float:
    # ln(1 + e^x) = max(x, 0) + ln(1 + e^-|x|): the exponent is <= 0, so no overflow at any x
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


# gelu, the tanh approximation (as in GPT-2 and BERT, PyTorch's approximate='tanh'):
#   gelu(x) = x/2 (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3)
_GELU_C = math.sqrt(2.0 / math.pi)
_GELU_A = 0.044715


def _gelu_forward(x: float) -> float:
    return 0.5 * x * (1.0 + math.tanh(_GELU_C * (x + _GELU_A * x * x * x)))


def _gelu_derivative(x: Any, out: Any) -> tuple[Any]:
    # d gelu/dx = (1 + t)/2 + x/2 (1 - t^2) du/dx, t = tanh(u), du/dx = sqrt(2/pi) (1 + 3a x^2)
    # Written as s + 3a s x^2 with s = x (1 - t^2), multiplied in that order: for |x| so large
    # that x^2 overflows, t^2 is exactly 1, so s = 0 and 0 * x * x stays 0 (not 0 * inf = NaN):
    # the slope is 1 for large positive x and 0 for large negative x, as it should be.
    t = _tanh(_GELU_C * (x + _GELU_A * x * x * x))
    s = x * (1.0 - t * t)
    return (0.5 * (1.0 + t) + 0.5 * _GELU_C * (s + 3.0 * _GELU_A * s * x * x),)


def _compare(name: str, test: Callable[[float, float], bool]) -> Op:
    # a comparison's value is 1.0 or 0.0, piecewise constant: both local derivatives are 0
    return Op(name, lambda x, y: 1.0 if test(x, y) else 0.0, lambda x, y, out: (0.0, 0.0))


def _linear_forward_sum(*args: float) -> float:
    # inputs are (w_1..w_n, x_1..x_n, b): b + w_1 x_1 + ... + w_n x_n, summed left to right
    n = (len(args) - 1) // 2
    return sum(map(operator.mul, args[:n], args[n : 2 * n]), args[-1])


def _linear_forward_reduce(*args: float) -> float:
    # the same additions in the same order, one rounding each
    n = (len(args) - 1) // 2
    return reduce(operator.add, map(operator.mul, args[:n], args[n : 2 * n]), args[-1])


# Python 3.12 made sum() of floats compensated; the trace's written-out additions must give the
# same bits as eager on every Python. Before 3.12 sum() adds left to right, in C and about 1.5x
# faster than the reduce (measured on 16 inputs), which gives those bits from 3.12 on.
_linear_forward = _linear_forward_sum if sys.version_info < (3, 12) else _linear_forward_reduce


def _sum_forward(*args: float) -> float:
    return reduce(operator.add, args, 0.0)


def _mean_forward(*args: float) -> float:
    return _sum_forward(*args) / len(args)


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
SIGMOID = Op("sigmoid", _sigmoid_forward,         lambda x, out: (out * (1.0 - out),))
# d relu(x)/dx = 1 for x > 0, else 0 (0 at exactly x = 0, by convention); piecewise constant,
# so its own derivative is 0 (on Values the step is a comparison mask, whose derivative is 0)
RELU = Op("relu", lambda x: x if x > 0.0 else 0.0, lambda x, out: (_step(x),))
# d sin x/dx = cos x;  d cos x/dx = -sin x
SIN = Op("sin",  _periodic(math.sin),             lambda x, out: (_cos(x),))
COS = Op("cos",  _periodic(math.cos),             lambda x, out: (-_sin(x),))
# d tan x/dx = 1 + tan^2 x, reuses the output
TAN = Op("tan",  _tan_forward,                    lambda x, out: (1.0 + out * out,))
# d arcsin x/dx = 1/sqrt(1 - x^2);  d arccos x/dx = -1/sqrt(1 - x^2) (infinite at x = +-1:
# backward raises ZeroDivisionError there, naming the op)
ARCSIN = Op("arcsin", _unit_interval("arcsin"),   lambda x, out: (1.0 / _sqrt(1.0 - x * x),))
ARCCOS = Op("arccos", _unit_interval("arccos"),   lambda x, out: (-1.0 / _sqrt(1.0 - x * x),))
# d arctan x/dx = 1/(1 + x^2)
ARCTAN = Op("arctan", math.atan,                  lambda x, out: (1.0 / (1.0 + x * x),))
# d |x|/dx = sign x, 0 at exactly x = 0 (by convention, as for relu)
ABS = Op("abs",  abs,                             lambda x, out: (_sign(x),))
# d sqrt(x)/dx = 1/(2 sqrt x), reuses the output; infinite at x = 0: backward raises
# ZeroDivisionError there, naming the op (the forward is fine at 0)
SQRT = Op("sqrt", _sqrt_forward,                  lambda x, out: (0.5 / out,))
# primitive with a stable formula, ln(1 + e^x); d softplus(x)/dx = sigmoid(x)
SOFTPLUS = Op("softplus", _softplus_forward,      lambda x, out: (_sigmoid(x),))
# gelu (tanh approximation); its derivative is written out in _gelu_derivative above
GELU = Op("gelu", _gelu_forward,                  _gelu_derivative)
# z = sum_k w_k x_k + b as ONE node: dz/dw_k = x_k, dz/dx_k = w_k, dz/db = 1
LINEAR = Op("linear", _linear_forward,            _linear_derivative)
# s = x_1 + ... + x_n as ONE node (summed left to right): ds/dx_i = 1
SUM = Op("sum",  _sum_forward,                    lambda *args: (1.0,) * (len(args) - 1))
# m = (x_1 + ... + x_n)/n as ONE node: dm/dx_i = 1/n
MEAN = Op("mean", _mean_forward,                  lambda *args: (1.0 / (len(args) - 1),) * (len(args) - 1))  # noqa: E501
# Comparisons: 1.0 if true, else 0.0. Piecewise constant, so both local derivatives are 0: a
# comparison is a mask, and x * (x > 0) has the derivative of relu. The Value made by one also
# has a truth value (Value.__bool__ is not defined otherwise), so `if v > 0:`, max() and
# sorted() work. `==` and `!=` are NOT comparisons of data: Values compare by identity, because
# nodes live in sets and dicts (the graph walk, grad); compare v.data for equal numbers.
LT = _compare("<",  operator.lt)
LE = _compare("<=", operator.le)
GT = _compare(">",  operator.gt)
GE = _compare(">=", operator.ge)
# fmt: on


@lru_cache(maxsize=256)
def leaky_relu_op(slope: float) -> Op:
    """The op x -> x if x > 0 else slope * x (the slope is part of the op, not a node)."""
    # d/dx = 1 for x > 0, else slope (slope at exactly x = 0, the x <= 0 side, as for relu)
    name = "leaky_relu" if slope == 0.01 else f"leaky_relu({slope:g})"
    return Op(
        name,
        lambda x: x if x > 0.0 else slope * x,
        lambda x, out: (_where_positive(x, 1.0, slope),),
        "leaky_relu",
        slope,
    )


@lru_cache(maxsize=256)
def elu_op(alpha: float) -> Op:
    """The op x -> x if x > 0 else alpha (e^x - 1) (alpha is part of the op, not a node)."""
    # d/dx = 1 for x > 0, else alpha e^x = out + alpha (reuses the output); at x = 0 the x <= 0
    # side, alpha (1 for the default alpha = 1, where elu is smooth to first order)
    name = "elu" if alpha == 1.0 else f"elu({alpha:g})"
    return Op(
        name,
        lambda x: x if x > 0.0 else alpha * math.expm1(x),
        lambda x, out: (_where_positive(x, 1.0, out + alpha),),
        "elu",
        alpha,
    )


LEAKY_RELU = leaky_relu_op(0.01)
ELU = elu_op(1.0)


@lru_cache(maxsize=256)
def pow_const(c: float) -> Op:
    """The op x -> x**c for a constant exponent c (the exponent is part of the op, not a node)."""

    def forward(x: float) -> float:
        return _pow_forward(x, c)

    if c == 0.0:  # x^0 = 1 everywhere: slope 0 (also at x = 0, where c x^(c-1) is 0 * inf)
        return Op("**0", forward, lambda x, out: (0.0,), "x**c", c)
    # d x^c/dx = c x^(c-1)
    return Op(f"**{c:g}", forward, lambda x, out: (c * _power(x, c - 1.0),), "x**c", c)


@lru_cache(maxsize=256)
def rpow_const(c: float) -> Op:
    """The op x -> c**x for a constant base c > 0 (or c = 0 with x > 0)."""

    def forward(x: float) -> float:
        if c < 0.0:
            raise DomainError(f"{c:g}**x with a negative base has no real value for most x")
        return _pow_forward(c, x)

    # d c^x/dx = c^x ln c; for c = 0 the output is 0 wherever it is defined, and so is its slope
    log_c = math.log(c) if c > 0.0 else 0.0
    return Op(f"{c:g}**", forward, lambda x, out: (out * log_c,), "c**x", c)


# Every primitive, for tests and docs to iterate over. pow_const/rpow_const, leaky_relu_op and
# elu_op are families of ops (their default members are listed here).
OPS: dict[str, Op] = {
    op.name: op
    for op in (
        ADD, SUB, MUL, DIV, POW, NEG, EXP, LOG, TANH, SIGMOID, RELU,
        SIN, COS, TAN, ARCSIN, ARCCOS, ARCTAN, ABS, SQRT, LEAKY_RELU, SOFTPLUS, ELU, GELU,
        LINEAR, SUM, MEAN, LT, LE, GT, GE,
    )
}  # fmt: skip
