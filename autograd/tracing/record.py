"""Recording a traced call: inputs flattened to floats, branch() guards, the graph as data."""

from __future__ import annotations

import contextvars
import operator
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..modes import gc_paused, is_grad_enabled
from ..value import Value, topological_order

__all__ = [
    "Record",
    "Shape",
    "TraceError",
    "TraceMismatchError",
    "branch",
    "count",
    "describe_kind",
    "flat_rows",
    "flatten",
    "is_traced_input",
    "max_data",
    "rebuild",
    "record",
    "recording_of",
]


class TraceError(Exception):
    """A function cannot be traced (it did not return a Value, or its inputs are not numbers)."""


class TraceMismatchError(TraceError):
    """check=True found that a call builds a different graph from the recorded program."""


# --------------------------------------------------------------------------------- inputs
# "n" for a float, ("int", k) for an int k, a tuple of shapes for a sequence
Shape = Any


def flatten(args: Sequence[Any], out: list[float]) -> Shape:
    """Append every float of args to out; return the nested shape.

    An int is static, part of the shape (a class index picks a node, it is not data): the
    program is made for its value, and another value traces again.
    """
    shape: list[Any] = []
    for a in args:
        if type(a) is float:
            out.append(a)
            shape.append("n")
        elif type(a) is int:
            shape.append(("int", a))
        elif isinstance(a, Value | str | bytes | bool) or not isinstance(a, Sequence | Iterator):
            raise TraceError(
                f"trace: an input is a {type(a).__name__} ({a!r:.40}); inputs must be numbers or "
                "lists of numbers (features and targets), which become the program's arguments"
            )
        else:
            shape.append(flatten(list(a), out))
    return tuple(shape)


def flat_rows(
    examples: Sequence[Sequence[Any]], seeds: Sequence[float]
) -> tuple[Shape, list[tuple[Any, ...]]] | None:
    """(shape, [(seed, *floats)] per example), or None if the examples' shapes differ."""
    first: list[float] = []
    shape = flatten(examples[0], first)
    out: list[tuple[Any, ...]] = [(seeds[0], *first)]
    # the common case, arguments that are floats or flat lists of floats, without recursion
    flat_kinds = [0 if s == "n" else len(s) for s in shape]
    simple = all(s == "n" or all(t == "n" for t in s) for s in shape)
    for args, seed in zip(examples[1:], seeds[1:], strict=True):
        row: list[Any] = [seed]
        ok = simple and len(args) == len(flat_kinds)
        if ok:
            for a, k in zip(args, flat_kinds, strict=True):
                if k == 0:
                    row.append(a)
                elif (type(a) is list or type(a) is tuple) and len(a) == k:
                    row += a
                else:
                    ok = False
                    break
            ok = ok and all(type(v) is float for v in row[1:])
        if not ok:
            flat: list[float] = []
            if flatten(args, flat) != shape:
                return None
            row = [seed, *flat]
        out.append(tuple(row))
    return shape, out


def rebuild(shape: Shape, flat: Iterator[Any]) -> list[Any]:
    """The arguments of that shape, their numbers taken from flat in order."""
    out: list[Any] = []
    for s in shape:
        if s == "n":
            out.append(next(flat))
        elif s[0] == "int":
            out.append(s[1])
        else:
            out.append(rebuild(s, flat))
    return out


def count(shape: Shape) -> int:
    """How many numbers an input of that shape holds."""
    return sum(1 if s == "n" else 0 if s[0] == "int" else count(s) for s in shape)


# --------------------------------------------------------------------------------- recording
_TESTS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


class _Recording:
    """What a trace being recorded collects besides the graph: its inputs and its guards."""

    __slots__ = ("derived", "guards", "inputs")

    def __init__(self, inputs: Sequence[Value]) -> None:
        self.inputs = frozenset(map(id, inputs))
        self.guards: list[tuple[Value, str, float, bool]] = []
        # a constant computed from the data by max_data: its leaf, and the values it is the max of
        self.derived: list[tuple[Value, list[Value]]] = []


_recording: contextvars.ContextVar[_Recording | None] = contextvars.ContextVar(
    "deltagrad_trace_recording", default=None
)


def is_traced_input(v: object) -> bool:
    """True for a Value that stands for an input of a trace being recorded (a target, say)."""
    rec = _recording.get()
    return rec is not None and id(v) in rec.inputs and isinstance(v, Value)


def branch(v: Value | float, test: str, threshold: float) -> bool:
    """v.data <test> threshold (test is <, <=, >, >=, == or !=): a branch a trace can follow.

    In eager use it is the comparison. While a trace is recorded it is also a guard: the
    program checks the same comparison on each example, and an example that goes the other
    way gets a program path of its own, recorded the first time it is met. `if branch(z, ">=",
    0.0):` is traceable where `if z.data >= 0.0:` is not.
    """
    compare = _TESTS.get(test)
    if compare is None:
        raise ValueError(f"branch: test must be one of {', '.join(_TESTS)}, got {test!r}")
    if not isinstance(v, Value):
        return bool(compare(float(v), threshold))
    outcome = bool(compare(v.data, threshold))
    rec = _recording.get()
    if rec is not None:
        rec.guards.append((v, test, float(threshold), outcome))
    return outcome


def max_data(values: Sequence[Value]) -> Value:
    """A constant leaf holding max(v.data for v in values): a shift a trace can follow.

    Softmax and cross-entropy subtract the largest logit m so that no exponential overflows;
    the result does not depend on m, so m is a constant (a leaf: no gradient flows into it).
    In eager use this is Value(max(v.data ...)). While a trace is recorded, the program
    computes the same max from each example's own values instead of keeping the recorded
    number (written `m = max(z_0, z_1, ...)`, a row-wise max in the numpy program).
    """
    vs = list(values)
    if not vs:
        raise ValueError("max_data: got no values; pass the list to take the largest of")
    for i, v in enumerate(vs):
        if not isinstance(v, Value):
            raise TypeError(f"max_data: values[{i}] must be a Value, got {type(v).__name__}")
    m = Value(max(v.data for v in vs))
    rec = _recording.get()
    if rec is not None:
        rec.derived.append((m, vs))
    return m


@contextmanager
def recording_of(inputs: Sequence[Value]) -> Iterator[_Recording]:
    """While the block runs, branch() collects guards and is_traced_input() knows the inputs."""
    rec = _Recording(inputs)
    token = _recording.set(rec)
    try:
        yield rec
    finally:
        _recording.reset(token)


@dataclass(frozen=True)
class Record:
    """One traced call: the graph in topological order, what each leaf is, and the guards."""

    order: list[Value]
    root: Value
    loss_size: int  # order[:loss_size] is the loss's graph; after it, tested values it leaves out
    inputs: list[Value]  # one per flat input number, in argument order
    signature: list[tuple[Any, ...]]  # what check=True compares
    guards: list[tuple[int, str, float, bool]]  # (position in order, test, threshold, outcome)
    # a constant computed from the data (max_data): its position -> the positions it is the max of
    derived: dict[int, tuple[int, ...]]


def record(
    fn: Callable[..., Any],
    params: dict[int, int],
    shape: Shape,
    flat: Sequence[float],
    names: list[str],
) -> Record:
    """Run fn once on Values made from flat (named by names) and record the graph it built."""
    with gc_paused():  # the graph holds no cycles: the collector would only rescan it
        return _record(fn, params, shape, flat, names)


def _record(
    fn: Callable[..., Any],
    params: dict[int, int],
    shape: Shape,
    flat: Sequence[float],
    names: list[str],
) -> Record:
    if not is_grad_enabled():
        raise TraceError("trace: called inside no_grad(), where no graph is recorded to trace")
    inputs = [Value(x, name) for x, name in zip(flat, names, strict=True)]
    args = rebuild(shape, iter(inputs))
    with recording_of(inputs) as recording:
        root = fn(*args)
    if not isinstance(root, Value):
        raise TraceError(
            f"trace: the function must return a Value (a scalar loss), got {type(root).__name__}"
        )
    order = topological_order(root)
    loss_size = len(order)
    position = {id(n): i for i, n in enumerate(order)}
    for node, *_ in recording.guards:  # a tested value that the loss does not use
        if id(node) not in position:
            for n in topological_order(node):
                if id(n) not in position:
                    position[id(n)] = len(order)
                    order.append(n)
    for _, sources in recording.derived:  # a value the max reads but the loss does not use
        for v in sources:
            if id(v) not in position:
                for n in topological_order(v):
                    if id(n) not in position:
                        position[id(n)] = len(order)
                        order.append(n)
    derived = {
        position[id(m)]: tuple(position[id(v)] for v in sources)
        for m, sources in recording.derived
        if id(m) in position
    }
    input_index = {id(v): i for i, v in enumerate(inputs)}
    signature: list[tuple[Any, ...]] = []
    for i, n in enumerate(order):
        if n.parents:
            signature.append(("op", n._op, tuple(position[id(p)] for p in n.parents)))
        elif id(n) in params:
            signature.append(("param", params[id(n)]))
        elif id(n) in input_index:
            signature.append(("input", input_index[id(n)]))
        elif i in derived:
            signature.append(("max", derived[i]))
        else:
            signature.append(("constant", repr(n.data)))
    guards = [(position[id(v)], t, c, o) for v, t, c, o in recording.guards]
    return Record(order, root, loss_size, inputs, signature, guards, derived)


def describe_kind(kind: tuple[Any, ...], node: Value | None) -> str:
    """One entry of a signature in words, for TraceMismatchError: "op '*' (label 'z')"."""
    label = f" (label '{node.label}')" if node is not None and node.label else ""
    if kind[0] == "op":
        return f"op '{kind[1].name}'{label}"
    if kind[0] == "constant":
        return f"the constant {kind[1]}{label}"
    if kind[0] == "max":
        return f"the max of {len(kind[1])} values (max_data){label}"
    return f"{kind[0]} {kind[1]}{label}"
