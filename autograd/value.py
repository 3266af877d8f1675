"""Value, the scalar graph node, and the backward pass that applies the chain rule over it."""

from __future__ import annotations

import linecache
import math
import numbers
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import filterfalse
from typing import Any, TypeGuard

from .label import Label, Renamed
from .modes import ANOMALY, FLAGS, MODE, NO_GRAD, caller_location, gc_paused
from .ops import (
    ABS,
    ADD,
    ARCCOS,
    ARCSIN,
    ARCTAN,
    COS,
    DIV,
    ELU,
    EXP,
    GE,
    GELU,
    GT,
    LE,
    LEAKY_RELU,
    LINEAR,
    LOG,
    LT,
    MUL,
    NEG,
    POW,
    RELU,
    SIGMOID,
    SIN,
    SOFTPLUS,
    SQRT,
    SUB,
    TAN,
    TANH,
    DomainError,
    Op,
    elu_op,
    leaky_relu_op,
    pow_const,
    rpow_const,
)

Number = int | float
Hook = Callable[[Any], object]


def _no_forward() -> float:  # pragma: no cover - a leaf is never recomputed
    raise TypeError("a leaf has no forward function")


# The "op" of a leaf: no inputs, so no local derivatives.
LEAF = Op("", _no_forward, lambda out: ())
# The same for a result computed inside no_grad(): a leaf too, but one that backward() refuses
# to start from, since the graph it came from was not recorded.
DETACHED = Op("", _no_forward, lambda out: ())


class AnomalyError(FloatingPointError):
    """A NaN or infinity appeared in the forward or backward pass under detect_anomaly()."""


class _Meta:
    """Rarely used per-node extras, kept out of the node itself to keep nodes small."""

    __slots__ = ("hooks", "next_key", "where")

    def __init__(self) -> None:
        self.hooks: dict[int, Hook] = {}
        self.next_key = 0
        self.where: str | None = None


class RemovableHandle:
    """Returned by Value.register_hook; call .remove() to unregister the hook."""

    __slots__ = ("_key", "_meta")

    def __init__(self, meta: _Meta, key: int) -> None:
        self._meta = meta
        self._key = key

    def remove(self) -> None:
        """Unregister the hook (removing twice is harmless)."""
        self._meta.hooks.pop(self._key, None)


def is_real(x: object) -> TypeGuard[numbers.Real]:
    """A real number that is not a bool (int and float are checked first: the ABC check is slow)."""
    if type(x) is float or type(x) is int:
        return True
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _as_float(data: object) -> float:
    if isinstance(data, Value):
        raise TypeError(
            "Value() needs a number, got a Value; use the Value itself, or Value(v.data) for a copy"
        )
    if not is_real(data):
        raise TypeError(f"Value() needs a real number (int or float), got {type(data).__name__}")
    return real_to_float(data, "Value()")


def real_to_float(
    x: numbers.Real,
    where: str,
    fix: str = "scale it down, or pass float('inf') if you mean infinity",
) -> float:
    """float(x), or an OverflowError saying where and what to do for an int beyond a float."""
    try:
        return float(x)
    except OverflowError:
        digits = f" ({len(str(abs(x)))} digits)" if isinstance(x, int) else ""
        raise OverflowError(
            f"{where}: the number {_short_int(x)}{digits} is out of a float's range "
            f"(at most about ±1.8e308); {fix}"
        ) from None


def _short_int(x: object) -> str:
    text = str(x)
    return text if len(text) <= 20 else f"{text[:8]}…{text[-8:]}"


def _describe(node: Value) -> str:
    return f"node '{node.label}'" if node.label else "an unlabelled node"


def _describe_op(node: Value) -> str:
    """The '<op>' node 'label', or an unlabelled '<op>' node."""
    if node.label:
        return f"the '{node.op}' node '{node.label}'"
    return f"an unlabelled '{node.op}' node"


class Value:
    """A scalar node: data, grad, the op that made it and its parents (ordered)."""

    # _label holds a str, a Label record (Renamed: a record with the user's text on top) or None
    __slots__ = ("__weakref__", "_label", "_meta", "_op", "data", "grad", "parents")

    data: float
    grad: Any  # a float; a Value after backward(create_graph=True)
    _label: str | Label | None
    parents: tuple[Value, ...]
    _op: Op
    _meta: _Meta | None

    def __init__(self, data: Number, label: str | Label | None = None) -> None:
        if type(data) is not float:
            data = _as_float(data)
        if label is not None and not isinstance(label, str | Label):
            raise TypeError(
                f"Value label must be a str, a Label record or None, got {type(label).__name__}"
            )
        self.data = data
        self.grad = 0.0
        self._label = label
        self.parents = ()
        self._op = LEAF
        self._meta = None
        if FLAGS.special and MODE.get() & ANOMALY:
            self._ensure_meta().where = caller_location()
            if not math.isfinite(data):
                raise _forward_anomaly(self, LEAF, ())

    # ----------------------------------------------------------------- inspection
    @property
    def op(self) -> str:
        """The name of the op that made this node ('' for a leaf)."""
        return self._op.name

    @property
    def row(self) -> Op:
        """The op-table row that made this node (a row with no inputs for a leaf)."""
        return self._op

    @property
    def is_leaf(self) -> bool:
        """True for a node with no parents (an input, a parameter, a constant)."""
        return not self.parents

    @property
    def label(self) -> str | None:
        """The node's text label: a user's string, or the text of its label record, or None."""
        x = self._label
        return x if x is None or type(x) is str else str(x)

    @label.setter
    def label(self, text: str | None) -> None:
        # a user's text replaces the shown label; a label record underneath is kept
        if text is not None and not isinstance(text, str):
            raise TypeError(
                f"Value label must be a str or None, got {type(text).__name__}; "
                "attach a Label record with .label_record"
            )
        record = self.label_record
        if record is None:
            self._label = text
        else:
            self._label = record if text is None else Renamed(text, record)

    @property
    def label_record(self) -> Label | None:
        """The structured record of what the node is (see nn.notation), or None."""
        x = self._label
        if x is None or isinstance(x, str):
            return None
        return x.record if isinstance(x, Renamed) else x

    @label_record.setter
    def label_record(self, record: Label | None) -> None:
        x = self._label
        if record is not None and not isinstance(record, Label):
            raise TypeError(f"label_record must be a Label or None, got {type(record).__name__}")
        if type(x) is Renamed or type(x) is str:
            text = str(x)
            self._label = text if record is None else Renamed(text, record)
        else:
            self._label = record

    @property
    def where(self) -> str | None:
        """file:line where the node was made, if it was made inside detect_anomaly()."""
        return None if self._meta is None else self._meta.where

    def __repr__(self) -> str:
        label = f"label={self.label!r}, " if self.label else ""
        op = f"op={self._op.name!r}, " if self.parents else ""
        grad = self.grad
        grad_text = f"{grad!r}" if isinstance(grad, float) else f"Value({grad.data!r})"
        return f"Value({label}{op}data={self.data!r}, grad={grad_text})"

    def __float__(self) -> float:
        return self.data

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        # Jupyter's rich display: a renderer registered by viz (set_display_hook) draws the graph
        bundle = None if _display_hook is None else _display_hook(self)
        return bundle if bundle is not None else {"text/plain": repr(self)}

    def _ensure_meta(self) -> _Meta:
        if self._meta is None:
            self._meta = _Meta()
        return self._meta

    # ----------------------------------------------------------------- arithmetic
    def __add__(self, other: Value | Number) -> Value:
        o = other if isinstance(other, Value) else _constant(other)
        return NotImplemented if o is None else apply2(ADD, self, o)

    def __radd__(self, other: Number) -> Value:
        o = _constant(other)
        return NotImplemented if o is None else apply2(ADD, o, self)

    def __sub__(self, other: Value | Number) -> Value:
        o = other if isinstance(other, Value) else _constant(other)
        return NotImplemented if o is None else apply2(SUB, self, o)

    def __rsub__(self, other: Number) -> Value:
        o = _constant(other)
        return NotImplemented if o is None else apply2(SUB, o, self)

    def __mul__(self, other: Value | Number) -> Value:
        o = other if isinstance(other, Value) else _constant(other)
        return NotImplemented if o is None else apply2(MUL, self, o)

    def __rmul__(self, other: Number) -> Value:
        o = _constant(other)
        return NotImplemented if o is None else apply2(MUL, o, self)

    def __truediv__(self, other: Value | Number) -> Value:
        o = other if isinstance(other, Value) else _constant(other)
        return NotImplemented if o is None else apply2(DIV, self, o)

    def __rtruediv__(self, other: Number) -> Value:
        o = _constant(other)
        return NotImplemented if o is None else apply2(DIV, o, self)

    def __pow__(self, other: Value | Number) -> Value:
        if isinstance(other, Value):
            return apply2(POW, self, other)
        if not is_real(other):
            return NotImplemented
        return apply1(pow_const(real_to_float(other, "exponent")), self)

    def __rpow__(self, other: Number) -> Value:
        if not is_real(other):
            return NotImplemented
        return apply1(rpow_const(real_to_float(other, "base")), self)

    def __neg__(self) -> Value:
        return apply1(NEG, self)

    def __pos__(self) -> Value:
        return self

    def exp(self) -> Value:
        """e ** self."""
        return apply1(EXP, self)

    def log(self) -> Value:
        """Natural logarithm; raises ValueError for a non-positive input."""
        return apply1(LOG, self)

    def tanh(self) -> Value:
        """Hyperbolic tangent."""
        return apply1(TANH, self)

    def sigmoid(self) -> Value:
        """Logistic sigmoid 1 / (1 + e^-x), computed without overflow for any x."""
        return apply1(SIGMOID, self)

    def relu(self) -> Value:
        """max(0, x); its derivative at exactly 0 is taken to be 0."""
        return apply1(RELU, self)

    def sin(self) -> Value:
        """Sine (radians)."""
        return apply1(SIN, self)

    def cos(self) -> Value:
        """Cosine (radians)."""
        return apply1(COS, self)

    def tan(self) -> Value:
        """Tangent (radians)."""
        return apply1(TAN, self)

    def arcsin(self) -> Value:
        """Inverse sine; raises ValueError outside [-1, 1] (backward at +-1 is infinite)."""
        return apply1(ARCSIN, self)

    def arccos(self) -> Value:
        """Inverse cosine; raises ValueError outside [-1, 1] (backward at +-1 is infinite)."""
        return apply1(ARCCOS, self)

    def arctan(self) -> Value:
        """Inverse tangent."""
        return apply1(ARCTAN, self)

    def abs(self) -> Value:
        """|x|; its derivative at exactly 0 is taken to be 0."""
        return apply1(ABS, self)

    def __abs__(self) -> Value:
        return apply1(ABS, self)

    def sqrt(self) -> Value:
        """Square root; raises ValueError below 0 (backward at exactly 0 is infinite and raises)."""
        return apply1(SQRT, self)

    def leaky_relu(self, slope: Number = 0.01) -> Value:
        """x if x > 0 else slope * x; its derivative at exactly 0 is taken to be slope."""
        slope = op_parameter("leaky_relu", "slope", slope)
        return apply1(LEAKY_RELU if slope == 0.01 else leaky_relu_op(slope), self)

    def softplus(self) -> Value:
        """ln(1 + e^x), computed without overflow for any x; its derivative is sigmoid(x)."""
        return apply1(SOFTPLUS, self)

    def elu(self, alpha: Number = 1.0) -> Value:
        """x if x > 0 else alpha (e^x - 1); its derivative at exactly 0 is taken to be alpha."""
        alpha = op_parameter("elu", "alpha", alpha)
        return apply1(ELU if alpha == 1.0 else elu_op(alpha), self)

    def gelu(self) -> Value:
        """GELU, the tanh approximation x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
        return apply1(GELU, self)

    # ----------------------------------------------------------------- comparisons
    # A comparison is a node too: a Mask, 1.0 or 0.0, with local derivatives 0 (see the op
    # table). It has a truth value, so `if v > 0:`, max(values) and sorted(values) work, and
    # x * (x > 0) is a mask with zero derivative. == is identity (nodes live in sets and dicts).
    def __lt__(self, other: Value | Number) -> Mask:
        return _compare(LT, self, other)

    def __le__(self, other: Value | Number) -> Mask:
        return _compare(LE, self, other)

    def __gt__(self, other: Value | Number) -> Mask:
        return _compare(GT, self, other)

    def __ge__(self, other: Value | Number) -> Mask:
        return _compare(GE, self, other)

    # ----------------------------------------------------------------- gradients
    def backward(self, gradient: Value | Number = 1.0, create_graph: bool = False) -> None:
        """Fill .grad on every node of the graph with gradient * d(self)/d(node) by the chain rule.

        gradient seeds self.grad (1.0 by default, as in PyTorch): the pass then computes
        gradient * d(self)/d(node), the vector-Jacobian product of a larger computation.

        Interior nodes hold the gradient of the latest pass; leaves accumulate across passes
        until reset (set .grad = 0.0, or Module.zero_grad()). With create_graph=True the
        gradients are Values in a new graph, so they can be differentiated again; such a .grad
        can refer back to its own node (d tanh = 1 - out**2 uses the output), a cycle that only
        the cyclic garbage collector frees: prefer grad(..., create_graph=True), which stores
        nothing on the nodes.
        """
        seed = _seed(gradient, create_graph, "backward")
        with gc_paused():  # the graph holds no cycles: the collector would only rescan it
            for _ in _backward(self, create_graph, record=False, seed=seed):
                pass

    def backward_steps(
        self, create_graph: bool = False, *, hooks: bool = True, gradient: Value | Number = 1.0
    ) -> Iterator[Step]:
        """backward() one node at a time: yields a Step per node in processing order.

        hooks=False skips registered hooks (for tools that replay a pass for display).
        """
        seed = _seed(gradient, create_graph, "backward_steps")
        return _backward(self, create_graph, record=True, hooks=hooks, seed=seed)

    def register_hook(self, fn: Hook) -> RemovableHandle:
        """Call fn(g) when this node's gradient is final in a backward pass.

        g is the gradient of that pass: for a leaf, what the pass added, not the running total.
        What fn returns is ignored.
        """
        if not callable(fn):
            raise TypeError(f"register_hook needs a callable, got {type(fn).__name__}")
        meta = self._ensure_meta()
        key = meta.next_key
        meta.next_key += 1
        meta.hooks[key] = fn
        return RemovableHandle(meta, key)


class Mask(Value):
    """The result of a comparison: a Value of 1.0 or 0.0 with zero derivative, and a truth value."""

    __slots__ = ()

    def __bool__(self) -> bool:
        return self.data != 0.0


def _compare(op: Op, x: Value, other: object) -> Mask:
    o = other if isinstance(other, Value) else _constant(other)
    if o is None:
        return NotImplemented  # type: ignore[no-any-return]
    v = make_node(op.forward(x.data, o.data), op, (x, o))
    v.__class__ = Mask
    return v  # type: ignore[return-value]


def op_parameter(op: str, name: str, value: object) -> float:
    """An op's parameter (a slope, an α) as a finite float, or an error naming op and name."""
    if not is_real(value):
        raise TypeError(f"{op}: {name} must be a number, got {type(value).__name__}")
    x = real_to_float(value, f"{op}: {name}", f"{name} must be a finite number")
    if not math.isfinite(x):
        raise ValueError(f"{op}: {name} must be a finite number, got {x!r}")
    return x


DisplayHook = Callable[[Value], dict[str, str] | None]
_display_hook: DisplayHook | None = None


def set_display_hook(fn: DisplayHook | None) -> None:
    """Register how notebooks display a Value (viz registers its graph drawing on import)."""
    global _display_hook
    _display_hook = fn


def _constant(x: object) -> Value | None:
    """A number on the other side of an operator becomes a leaf (None: not a number)."""
    if type(x) is float:
        return make_node(x, LEAF, ())
    return (
        make_node(real_to_float(x, "a number in Value arithmetic"), LEAF, ())
        if is_real(x)
        else None
    )


_new = object.__new__


def make_node(data: float, op: Op, parents: tuple[Value, ...]) -> Value:
    """A new node op(parents) = data, unchecked (the modes decide whether it records parents)."""
    v: Value = _new(Value)
    v.data = data
    v.grad = 0.0
    v._label = None
    v._meta = None
    if FLAGS.special:  # some thread or task is inside a mode: look up this context's modes
        mode = MODE.get()  # this thread's or task's modes, one lookup
        if mode & NO_GRAD:  # no_grad: a plain constant, nothing to walk back through
            v.parents = ()
            v._op = DETACHED
        else:
            v.parents = parents
            v._op = op
        if mode & ANOMALY:
            v._ensure_meta().where = caller_location()
            if not math.isfinite(data):  # the first NaN or infinity of this forward pass
                raise _forward_anomaly(v, op, parents)
        return v
    v.parents = parents
    v._op = op
    return v


def _forward_anomaly(node: Value, op: Op, inputs: Sequence[Value]) -> AnomalyError:
    if not op.name:
        what = "a leaf (an input, parameter or constant)"
    else:
        values = ", ".join(f"{p.data!r} ({_describe(p)})" for p in inputs)
        what = f"op '{op.name}' from input{'s' if len(inputs) != 1 else ''} {values}"
    return AnomalyError(f"forward produced {node.data!r} at {what}; {_origin(node)}")


def forward_error(op: Op, inputs: Sequence[Value], e: DomainError) -> Exception:
    """The error for op's forward leaving its domain, naming the op, the input and its node."""
    node = inputs[min(e.arg, len(inputs) - 1)]
    text = f"op '{op.name}': {e.reason}; got {node.data!r} at {_describe(node)}"
    if len(inputs) > 1:
        text += " (inputs " + ", ".join(repr(p.data) for p in inputs) + ")"
    return e.kind(f"{text}; {e.hint}" if e.hint else text)


def apply1(op: Op, x: Value) -> Value:
    """The node op(x) of a one-input op, or its domain error."""
    try:
        data = op.forward(x.data)
    except DomainError as e:
        raise forward_error(op, (x,), e) from None
    return make_node(data, op, (x,))


def apply2(op: Op, x: Value, y: Value) -> Value:
    """The node op(x, y) of a two-input op, or its domain error."""
    try:
        data = op.forward(x.data, y.data)
    except DomainError as e:
        raise forward_error(op, (x, y), e) from None
    return make_node(data, op, (x, y))


def apply(op: Op, *inputs: Value) -> Value:
    """The node op(*inputs) for any row of the op table (what the operators and methods do)."""
    try:
        data = op.forward(*[x.data for x in inputs])
    except DomainError as e:
        raise forward_error(op, inputs, e) from None
    return make_node(data, op, inputs)


def linear(
    weights: Sequence[Value | Number], inputs: Sequence[Value | Number], bias: Value | Number
) -> Value:
    """z = sum_k w_k x_k + b as one node, with dz/dw_k = x_k, dz/dx_k = w_k, dz/db = 1."""
    if len(weights) != len(inputs):
        raise ValueError(
            f"linear: got {len(weights)} weight{'' if len(weights) == 1 else 's'} and "
            f"{len(inputs)} input{'' if len(inputs) == 1 else 's'}; they must be equal"
        )
    parents: tuple[Any, ...] = (*weights, *inputs, bias)
    inputs_data = [p.data for p in parents if type(p) is Value]
    if len(inputs_data) != len(parents):  # numbers become constant leaves
        parents = tuple(_as_node(v, "linear") for v in parents)
        inputs_data = [p.data for p in parents]
    return make_node(LINEAR.forward(*inputs_data), LINEAR, parents)


def _as_node(v: object, where: str) -> Value:
    if isinstance(v, Value):
        return v
    c = _constant(v)
    if c is None:
        raise TypeError(f"{where}: expected a Value or a number, got {type(v).__name__}")
    return c


# --------------------------------------------------------------------- the backward pass
@dataclass(frozen=True, slots=True)
class Step:
    """One node's turn in the backward pass: what it received and what it passed on."""

    index: int
    node: Value
    upstream: Any  # dC/d(node), final at this point
    local: tuple[Any, ...]  # d(node)/d(parent_i), one per parent
    contributions: tuple[Any, ...]  # upstream * local_i, added to parent_i.grad

    @property
    def parents(self) -> tuple[Value, ...]:
        """The node's parents, in the order of local and contributions."""
        return self.node.parents


def topological_order(root: Value) -> list[Value]:
    """Every node reachable from root, parents before children (iterative, no recursion)."""
    return collect(root, reset=False)


def collect(
    root: Value,
    reset: bool,
    before: dict[Value, Any] | None = None,
    every_leaf: bool = False,
) -> list[Value]:
    """root's graph in post order (parents first); reset: interior grads to 0 on the way."""
    # Post-order depth-first walk with an explicit stack. A node is pushed back with a None
    # marker above it once its parents are pushed; popping the marker means they are done.
    # `before` receives the grads leaves had before this pass: every leaf's, or only those
    # with hooks or metadata (a hook receives the gradient of the pass, not the running total).
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[Value | None] = [root]
    push = stack.append
    pop = stack.pop
    extend = stack.extend
    emit = order.append
    seen = visited.add
    unseen = visited.__contains__
    while stack:
        node = pop()
        if node is None:
            emit(pop())  # type: ignore[arg-type]
            continue
        if node in visited:
            continue
        seen(node)
        parents = node.parents
        if parents:
            if reset:  # interior nodes hold the gradient of the latest pass only
                node.grad = 0.0
            push(node)
            push(None)
            extend(filterfalse(unseen, parents))  # the parents not visited yet
        else:
            emit(node)
            if before is not None and (every_leaf or node._meta is not None):
                before[node] = node.grad
    return order


def _seed(gradient: object, create_graph: bool, where: str) -> Any:
    """The seed d(root)/d(root) of a pass: a float, or a Value with create_graph=True."""
    if isinstance(gradient, Value):
        return gradient if create_graph else gradient.data
    if isinstance(gradient, bool):
        raise TypeError(
            f"{where}: gradient must be a number or a Value, got the bool {gradient!r}; the "
            "first argument is the seed gradient, so pass create_graph=True by name"
        )
    if not is_real(gradient):
        raise TypeError(
            f"{where}: gradient must be a number or a Value (the seed for the output's grad), "
            f"got {type(gradient).__name__}"
        )
    g = real_to_float(gradient, f"{where}: gradient")
    return Value(g) if create_graph else g


def _backward(
    root: Value, create_graph: bool, record: bool, hooks: bool = True, seed: Any = 1.0
) -> Iterator[Step]:
    _check_recorded(root, "backward")
    before: dict[Value, Any] = {}
    order = collect(root, reset=True, before=before, every_leaf=record)
    root.grad = seed if root.parents else _accumulate(root.grad, seed)
    yield from _propagate(order, create_graph, record, hooks, before)


def _check_recorded(root: Value, where: str) -> None:
    """Refuse a pass from a result made inside no_grad(): it has no graph (PyTorch raises too)."""
    if root._op is DETACHED:
        raise RuntimeError(
            f"{where}: {_describe(root)} was computed inside no_grad(), so no graph was recorded "
            "and every gradient would silently stay 0; compute it outside no_grad() to "
            "differentiate it"
        )


def _accumulate(total: Any, extra: Any) -> Any:
    # Skip "0.0 + v" nodes when gradients are Values (create_graph=True).
    if type(total) is float and total == 0.0:
        return extra
    if type(extra) is float and extra == 0.0:
        return total
    return total + extra


def _propagate(
    order: list[Value],
    create_graph: bool,
    record: bool,
    hooks: bool = True,
    before: dict[Value, Any] | None = None,
) -> Iterator[Step]:
    """The chain rule, one node at a time, children before parents: the heart of backward."""
    anomaly = FLAGS.special and bool(MODE.get() & ANOMALY)
    plain = not (record or anomaly or create_graph)
    index = 0
    for node in reversed(order):
        g = node.grad  # final: every child has added its contribution
        parents = node.parents
        if not parents:
            if record or node._meta is not None:
                if before:  # a leaf accumulates across passes; this pass gave it the difference
                    g = _difference(g, before.get(node, 0.0))
                if node._meta is not None and hooks:
                    _run_hooks(node._meta, g)
                if record:
                    yield Step(index, node, g, (), ())
                    index += 1
            continue
        if node._meta is not None and hooks:
            _run_hooks(node._meta, g)
        # local derivatives d(node)/d(parent_i), from the op's rule in the table
        rule = node._op.derivative
        arity = len(parents)
        try:
            if create_graph:
                local = rule(*parents, node)
            elif arity == 2:
                a, b = parents
                local = rule(a.data, b.data, node.data)
            elif arity == 1:
                local = rule(parents[0].data, node.data)
            else:
                local = rule(*[p.data for p in parents], node.data)
        except (DomainError, ArithmeticError, ValueError) as e:
            raise backward_error(node, e) from e
        if plain:
            # chain rule: parent.grad += dC/d(node) * d(node)/d(parent)
            if arity == 2:
                da, db = local
                a.grad += g * da
                b.grad += g * db
            elif arity == 1:
                parents[0].grad += g * local[0]
            else:
                for p, d in zip(parents, local):  # noqa: B905 - equal lengths; strict costs here
                    p.grad += g * d
            continue
        contributions = tuple(_times(g, d) for d in local)
        if anomaly:
            _check_finite(node, g, local, contributions)
        for p, c in zip(parents, contributions, strict=True):
            p.grad = _accumulate(p.grad, c)
        if record:
            yield Step(index, node, g, local, contributions)
            index += 1


def _run_hooks(meta: _Meta, g: Any) -> None:
    for fn in list(meta.hooks.values()):  # a copy: a hook may remove itself
        fn(g)


def _difference(total: Any, earlier: Any) -> Any:
    if type(earlier) is float and earlier == 0.0:
        return total
    return total - earlier


def _times(g: Any, d: Any) -> Any:
    # d is often the constant 1.0 (+, linear's bias): keep the graph of gradients small
    if type(d) is float and d == 1.0:
        return g
    return g * d


def _origin(node: Value) -> str:
    """Where a node was made (its file:line and source), as detect_anomaly() recorded it."""
    where = node.where
    if where is None:
        return "it was made outside detect_anomaly(), so its line is unknown"
    path, _, line = where.rpartition(":")
    source = linecache.getline(path, int(line)).strip() if line.isdigit() else ""
    return f"it was made at {where}" + (f": {source}" if source else "")


def backward_error(node: Value, e: Exception) -> Exception:
    """The error for a local derivative that is infinite or undefined at node's inputs."""
    reason = e.reason if isinstance(e, DomainError) else str(e)
    kind = e.kind if isinstance(e, DomainError) else type(e)
    values = ", ".join(repr(p.data) for p in node.parents)
    return kind(
        f"backward through {_describe_op(node)}: its local derivative is infinite "
        f"or undefined at input(s) {values} ({reason}); {_origin(node)}"
    )


def _check_finite(
    node: Value, g: Any, local: tuple[Any, ...], contributions: tuple[Any, ...]
) -> None:
    for i, c in enumerate(contributions):
        if math.isfinite(float(c)):
            continue
        parent = node.parents[i]
        raise AnomalyError(
            f"backward produced {float(c)!r} at {_describe_op(node)} "
            f"(data {node.data!r}): upstream gradient {float(g)!r} times local derivative "
            f"{float(local[i])!r} for input {i} ({_describe(parent)}); {_origin(node)}"
        )


@contextmanager
def fresh_grads(root: Value) -> Iterator[list[Value]]:
    """Context manager: every node of root's graph starts at grad 0.0, and gets its grad back after.

    It yields the nodes in topological order. grad() uses it; so can tools that run a backward
    pass of their own (viz's explain and stepper) without disturbing the user's gradients.
    """
    order = collect(root, reset=False)
    saved = [n.grad for n in order]
    try:
        for n in order:
            n.grad = 0.0
        yield order
    finally:
        for n, g in zip(order, saved, strict=True):
            n.grad = g


def grad(
    output: Value,
    inputs: Sequence[Value],
    create_graph: bool = False,
    grad_outputs: Value | Number = 1.0,
) -> list[Any]:
    """d(output)/d(input) for each input, leaving every node's .grad as it was.

    grad_outputs seeds the pass (1.0 by default): the results are grad_outputs * d(output)/dx.
    With create_graph=True the results are Values in a new graph, so they can be
    differentiated again: grad(grad(f, [x], create_graph=True)[0], [x]) is f''(x).
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    inputs = list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"grad: inputs[{i}] must be a Value, got {type(x).__name__}")
    seed = _seed(grad_outputs, create_graph, "grad(grad_outputs=...)")
    _check_recorded(output, "grad")
    with fresh_grads(output) as order:
        output.grad = seed
        for _ in _propagate(order, create_graph, record=False):
            pass
        members = set(order)
        results = [x.grad if x in members else 0.0 for x in inputs]
    if create_graph:
        return [r if isinstance(r, Value) else Value(float(r)) for r in results]
    return results
