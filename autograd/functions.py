"""Functions on Values and numbers: the primitives by name, sum and mean, and primitive()."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

from . import ops
from .ops import MEAN, SUM, DomainError, Op
from .value import LEAF, Number, Value, apply1, forward_error, is_real, make_node, op_parameter

__all__ = [
    "Primitive",
    "abs",
    "arccos",
    "arcsin",
    "arctan",
    "cos",
    "elu",
    "exp",
    "gelu",
    "leaky_relu",
    "log",
    "mean",
    "primitive",
    "relu",
    "sigmoid",
    "sin",
    "softplus",
    "sqrt",
    "sum",
    "tan",
    "tanh",
]


def _number_error(op: Op, x: float, e: DomainError) -> Exception:
    text = f"op '{op.name}': {e.reason}; got {x!r}"
    return e.kind(f"{text}; {e.hint}" if e.hint else text)


def _unary(op: Op, x: Any) -> Any:
    # A Value gives a node; a number gives a float (so these also serve inside derivative
    # rules, which run on floats and on Values); any other object its method of that name.
    if isinstance(x, Value):
        return apply1(op, x)
    if is_real(x):
        try:
            return op.forward(float(x))
        except DomainError as e:
            raise _number_error(op, float(x), e) from None
    method = getattr(type(x), op.name, None)
    if method is None:
        raise TypeError(f"{op.name}() needs a Value or a number, got {type(x).__name__}")
    return method(x)


def sin(x: Any) -> Any:
    """sin x: a Value for a Value, a float for a number."""
    return _unary(ops.SIN, x)


def cos(x: Any) -> Any:
    """cos x: a Value for a Value, a float for a number."""
    return _unary(ops.COS, x)


def tan(x: Any) -> Any:
    """tan x: a Value for a Value, a float for a number."""
    return _unary(ops.TAN, x)


def arcsin(x: Any) -> Any:
    """arcsin x for x in [-1, 1]: a Value for a Value, a float for a number."""
    return _unary(ops.ARCSIN, x)


def arccos(x: Any) -> Any:
    """arccos x for x in [-1, 1]: a Value for a Value, a float for a number."""
    return _unary(ops.ARCCOS, x)


def arctan(x: Any) -> Any:
    """arctan x: a Value for a Value, a float for a number."""
    return _unary(ops.ARCTAN, x)


def abs(x: Any) -> Any:
    """|x|: a Value for a Value, a float for a number."""
    return _unary(ops.ABS, x)


def sqrt(x: Any) -> Any:
    """sqrt x for x >= 0: a Value for a Value, a float for a number."""
    return _unary(ops.SQRT, x)


def exp(x: Any) -> Any:
    """e^x: a Value for a Value, a float for a number."""
    return _unary(ops.EXP, x)


def log(x: Any) -> Any:
    """ln x for x > 0: a Value for a Value, a float for a number."""
    return _unary(ops.LOG, x)


def tanh(x: Any) -> Any:
    """tanh x: a Value for a Value, a float for a number."""
    return _unary(ops.TANH, x)


def sigmoid(x: Any) -> Any:
    """1 / (1 + e^-x), stable for any x: a Value for a Value, a float for a number."""
    return _unary(ops.SIGMOID, x)


def relu(x: Any) -> Any:
    """max(0, x): a Value for a Value, a float for a number."""
    return _unary(ops.RELU, x)


def softplus(x: Any) -> Any:
    """ln(1 + e^x), stable for any x: a Value for a Value, a float for a number."""
    return _unary(ops.SOFTPLUS, x)


def gelu(x: Any) -> Any:
    """GELU (tanh approximation): a Value for a Value, a float for a number."""
    return _unary(ops.GELU, x)


def leaky_relu(x: Any, slope: Number = 0.01) -> Any:
    """x if x > 0 else slope * x: a Value for a Value, a float for a number."""
    if isinstance(x, Value):
        return x.leaky_relu(slope)
    return _unary(ops.leaky_relu_op(op_parameter("leaky_relu", "slope", slope)), x)


def elu(x: Any, alpha: Number = 1.0) -> Any:
    """x if x > 0 else alpha (e^x - 1): a Value for a Value, a float for a number."""
    if isinstance(x, Value):
        return x.elu(alpha)
    return _unary(ops.elu_op(op_parameter("elu", "alpha", alpha)), x)


# --------------------------------------------------------------------- n-ary sum and mean
def _terms(where: str, values: Iterable[Value | Number]) -> tuple[list[Value], bool]:
    if isinstance(values, Value) or not isinstance(values, Iterable):
        raise TypeError(
            f"{where}: needs an iterable of Values or numbers, got {type(values).__name__}"
        )
    items = list(values)
    nodes: list[Value] = []
    any_value = False
    for i, v in enumerate(items):
        if type(v) is Value or isinstance(v, Value):
            any_value = True
            nodes.append(v)
        elif is_real(v):
            nodes.append(make_node(float(v), LEAF, ()))
        else:
            raise TypeError(
                f"{where}: item {i} must be a Value or a number, got {type(v).__name__}"
            )
    return nodes, any_value


def sum(values: Iterable[Value | Number], start: Value | Number = 0.0) -> Any:
    """start + x_1 + ... + x_n as ONE node (ds/dx_i = 1); a float if nothing is a Value.

    A start of 0 is left out of the node; a single Value with start 0 is returned as it is.
    """
    nodes, any_value = _terms("sum", values)
    if isinstance(start, Value):
        nodes.insert(0, start)
        any_value = True
    elif not is_real(start):
        raise TypeError(f"sum: start must be a Value or a number, got {type(start).__name__}")
    elif start != 0.0 or not nodes:
        nodes.insert(0, make_node(float(start), LEAF, ()))
    if not any_value:
        return SUM.forward(*[n.data for n in nodes])
    if len(nodes) == 1:
        return nodes[0]
    return make_node(SUM.forward(*[n.data for n in nodes]), SUM, tuple(nodes))


def mean(values: Iterable[Value | Number]) -> Any:
    """(x_1 + ... + x_n) / n as ONE node (dm/dx_i = 1/n); a float if nothing is a Value."""
    nodes, any_value = _terms("mean", values)
    if not nodes:
        raise ValueError("mean: got no values; the mean of an empty list is undefined")
    if not any_value:
        return MEAN.forward(*[n.data for n in nodes])
    return make_node(MEAN.forward(*[n.data for n in nodes]), MEAN, tuple(nodes))


# --------------------------------------------------------------------- your own primitive
class Primitive:
    """A user-defined primitive op: call it on Values (a node) or on numbers (a float)."""

    def __init__(
        self,
        name: str,
        forward: Callable[..., float],
        derivative: Callable[..., Any],
        doc: str | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"primitive: name must be a non-empty str, got {name!r}")
        if not callable(forward):
            raise TypeError(
                f"primitive '{name}': forward must be a function of floats returning a float, "
                f"got {type(forward).__name__}"
            )
        if not callable(derivative):
            raise TypeError(
                f"primitive '{name}': derivative must be a function (inputs..., out) -> "
                f"local derivatives, got {type(derivative).__name__}"
            )
        n = _fixed_arity(forward)
        if n is not None and not _accepts(derivative, n + 1):
            inputs = ", ".join(f"x{i + 1}" for i in range(n))
            raise TypeError(
                f"primitive '{name}': derivative takes {_describe_parameters(derivative)}, but "
                f"forward takes {n} input(s), so backward calls derivative({inputs}, out) "
                f"with {n + 1}: the inputs, then the output last; return one local derivative "
                "per input"
            )
        self.name = name
        self._rule = derivative
        self.op = Op(name, _checked_forward(name, forward), _checked_rule(name, derivative))
        self.__doc__ = doc or f"The user-defined primitive '{name}'."

    def __repr__(self) -> str:
        return f"primitive({self.name!r})"

    def __call__(self, *args: Value | Number) -> Any:
        """Apply the op: a Value when any argument is a Value, else a float."""
        if not args:
            raise TypeError(f"primitive '{self.name}': needs at least one input")
        nodes: list[Value] = []
        any_value = False
        for i, a in enumerate(args):
            if isinstance(a, Value):
                any_value = True
                nodes.append(a)
            elif is_real(a):
                nodes.append(make_node(float(a), LEAF, ()))
            else:
                raise TypeError(
                    f"primitive '{self.name}': input {i} must be a Value or a number, got "
                    f"{type(a).__name__}"
                )
        data = [n.data for n in nodes]
        try:
            out = self.op.forward(*data)
        except DomainError as e:
            if any_value:
                raise forward_error(self.op, nodes, e) from None
            raise _number_error(self.op, data[min(e.arg, len(data) - 1)], e) from None
        if not any_value:
            return out
        return make_node(out, self.op, tuple(nodes))


def _checked_forward(name: str, forward: Callable[..., float]) -> Callable[..., float]:
    def run(*xs: float) -> float:
        try:
            out = forward(*xs)
        except DomainError:
            raise
        except (ArithmeticError, ValueError) as e:
            # a math domain error or an overflow in the user's forward: name the op
            raise DomainError(f"its forward raised {type(e).__name__}: {e}", type(e)) from None
        except TypeError as e:
            raise TypeError(
                f"primitive '{name}': forward failed on {len(xs)} input(s) {list(xs)}: {e}"
            ) from None
        if isinstance(out, Value) or not is_real(out):
            raise TypeError(
                f"primitive '{name}': forward must return a float, got {type(out).__name__} "
                "(forward works on plain floats; the engine makes the node)"
            )
        return float(out)

    return run


def _positional(fn: Callable[..., Any]) -> list[inspect.Parameter] | None:
    """fn's positional parameters, or None when it has no signature or takes *args."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):  # a builtin without a signature: nothing to check
        return None
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return None
    return [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _fixed_arity(forward: Callable[..., Any]) -> int | None:
    """The number of inputs forward takes, when its signature fixes it (no *args, no defaults)."""
    params = _positional(forward)
    if not params or any(p.default is not p.empty for p in params):
        return None
    return len(params)


def _accepts(fn: Callable[..., Any], n: int) -> bool:
    """False only when fn's signature certainly refuses n positional arguments."""
    try:
        inspect.signature(fn).bind(*([0.0] * n))
    except TypeError:
        return False
    except ValueError:  # no signature to read
        return True
    return True


def _describe_parameters(fn: Callable[..., Any]) -> str:
    params = _positional(fn) or []
    names = ", ".join(p.name for p in params)
    return f"{len(params)} argument(s) ({names})"


def _checked_rule(name: str, derivative: Callable[..., Any]) -> Callable[..., tuple[Any, ...]]:
    def rule(*args: Any) -> tuple[Any, ...]:
        n = len(args) - 1
        try:
            local: tuple[Any, ...] | Any = derivative(*args)
        except TypeError as e:
            if _accepts(derivative, len(args)):
                raise  # a TypeError inside the rule's body: the rule's own error
            raise TypeError(
                f"primitive '{name}': derivative cannot be called with {n} input(s) and the "
                f"output ({len(args)} arguments, the output last): {e}; write it as "
                "(inputs..., out) -> one local derivative per input"
            ) from None
        if not isinstance(local, tuple):
            local = (local,)
        if len(local) != n:
            raise TypeError(
                f"primitive '{name}': derivative returned {len(local)} local derivative(s) for "
                f"{n} input(s); return a tuple with one d(out)/d(input) per input"
            )
        if type(args[0]) is float:  # the float pass: every local derivative is a number
            for i, d in enumerate(local):
                if isinstance(d, Value) or not is_real(d):
                    raise TypeError(
                        f"primitive '{name}': derivative {i} must be a number on float inputs, "
                        f"got {type(d).__name__}; write it with arithmetic and autograd's "
                        "functions (autograd.cos, ...), which return floats on floats"
                    )
        return tuple(local)

    return rule


def primitive(
    name: str,
    forward: Callable[..., float],
    derivative: Callable[..., Any],
    doc: str | None = None,
) -> Primitive:
    """A new primitive op from forward(*floats) -> float and derivative(*inputs, out) -> locals.

    derivative returns one local derivative d(out)/d(input_i) per input (a tuple; a bare value
    for one input). Like the rows of autograd/ops.py, write it with arithmetic operators and
    autograd's functions (autograd.cos, autograd.sigmoid, ...): it then runs on floats in an
    ordinary backward pass and on Values with create_graph=True, so second derivatives work.
    """
    return Primitive(name, forward, derivative, doc)
