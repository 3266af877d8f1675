"""trace: record a step's graph once, replay it as straight-line Python made from the op table.

``step = trace(fn, params)`` where ``fn(*inputs)`` builds a scalar loss from Values. The first
call with inputs of a given shape runs ``fn`` on Values, walks the graph it built, and writes
one Python function: a line per node for the forward pass (the row's forward, evaluated on
symbols), a line per edge for the backward pass (``g_parent += g_node * <local derivative>``,
the row's own derivative rule evaluated on symbols), in exactly the order and with exactly the
float operations of ``backward()``. Later calls with the same shapes run that function on
floats: the gradients and the loss are equal (``==``) to the eager engine's.

What a trace cannot capture: a branch in ``fn`` on a value (``if x.data > 0:``), or a
constant computed from the data (``m = max(z.data ...)``), is recorded as it went for the
traced inputs, as with torch.jit.trace and jax.jit. ``trace(..., check=True)`` re-traces on
every call and raises ``TraceMismatchError`` naming the first op that differs. Branches inside
an op's own rule (relu, the special cases of ``**``) are fine: they are part of the row.
"""

from __future__ import annotations

import builtins
import contextvars
import inspect
import keyword
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .modes import FLAGS
from .ops import DomainError
from .symbolic import Expr, SymbolicRow, row_template
from .value import Value, topological_order

__all__ = ["Trace", "TraceError", "TraceMismatchError", "is_traced_input", "trace"]

CACHE_SIZE = 8  # programs kept per Trace, one per input shape (least recently used dropped)


class TraceError(Exception):
    """A function cannot be traced (it did not return a Value, or its inputs are not numbers)."""


class TraceMismatchError(TraceError):
    """check=True found that a call builds a different graph from the recorded program."""


# The inputs of the trace being recorded: losses accept these Values as targets (they are the
# program's arguments), while refusing Value targets in eager use.
_recording: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar(
    "deltagrad_trace_inputs", default=frozenset()
)


def is_traced_input(v: object) -> bool:
    """True for a Value that stands for an input of a trace being recorded (a target, say)."""
    return id(v) in _recording.get() and isinstance(v, Value)


@contextmanager
def _inputs_of(values: Sequence[Value]) -> Iterator[None]:
    token = _recording.set(frozenset(map(id, values)))
    try:
        yield
    finally:
        _recording.reset(token)


# --------------------------------------------------------------------------------- inputs
# "n" for a float, ("int", k) for an int k, a tuple of shapes for a sequence
Shape = Any


def _flatten(args: Sequence[Any], out: list[float]) -> Shape:
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
            shape.append(_flatten(list(a), out))
    return tuple(shape)


def _rebuild(shape: Shape, flat: Iterator[Any]) -> list[Any]:
    out: list[Any] = []
    for s in shape:
        if s == "n":
            out.append(next(flat))
        elif s[0] == "int":
            out.append(s[1])
        else:
            out.append(_rebuild(s, flat))
    return out


def _count(shape: Shape) -> int:
    return sum(1 if s == "n" else 0 if s[0] == "int" else _count(s) for s in shape)


# --------------------------------------------------------------------------------- recording
@dataclass(frozen=True)
class _Record:
    """One traced call: the graph in topological order and what each leaf is."""

    order: list[Value]
    root: Value
    inputs: list[Value]  # one per flat input number, in argument order
    signature: list[tuple[Any, ...]]  # what check=True compares


def _record(
    fn: Callable[..., Any],
    params: dict[int, int],
    shape: Shape,
    flat: list[float],
    names: list[str],
) -> _Record:
    if not FLAGS.recording:
        raise TraceError("trace: called inside no_grad(), where no graph is recorded to trace")
    inputs = [Value(x, name) for x, name in zip(flat, names, strict=True)]
    args = _rebuild(shape, iter(inputs))
    with _inputs_of(inputs):
        root = fn(*args)
    if not isinstance(root, Value):
        raise TraceError(
            f"trace: the function must return a Value (a scalar loss), got {type(root).__name__}"
        )
    order = topological_order(root)
    position = {id(n): i for i, n in enumerate(order)}
    input_index = {id(v): i for i, v in enumerate(inputs)}
    signature: list[tuple[Any, ...]] = []
    for n in order:
        if n.parents:
            signature.append(("op", n._op, tuple(position[id(p)] for p in n.parents)))
        elif id(n) in params:
            signature.append(("param", params[id(n)]))
        elif id(n) in input_index:
            signature.append(("input", input_index[id(n)]))
        else:
            signature.append(("constant", repr(n.data)))
    return _Record(order, root, inputs, signature)


def _describe(kind: tuple[Any, ...], node: Value | None) -> str:
    label = f" (label '{node.label}')" if node is not None and node.label else ""
    if kind[0] == "op":
        return f"op '{kind[1].name}'{label}"
    if kind[0] == "constant":
        return f"the constant {kind[1]}{label}"
    return f"{kind[0]} {kind[1]}{label}"


# --------------------------------------------------------------------------------- code
_RESERVED = {"_P", "_examples", "_losses", "_seed", "_l"}
_OPERATOR_WORDS = {"**": "pow", "*": "mul", "/": "div", "+": "add", "-": "sub", ".": "_"}


def _identifier(text: str) -> str:
    for symbol, word in _OPERATOR_WORDS.items():
        text = text.replace(symbol, word)
    out = "".join(c if c.isalnum() else "_" for c in text)
    while "__" in out:
        out = out.replace("__", "_")
    return out.strip("_")


class _Names:
    """Unique Python names: from labels where they exist, v<i> otherwise."""

    def __init__(self) -> None:
        self.used: set[str] = set(_RESERVED)

    def make(self, wanted: str, fallback: str) -> str:
        base = _identifier(wanted) or fallback
        if base[0].isdigit() or keyword.iskeyword(base) or hasattr(builtins, base):
            base = f"v_{base}"
        name, k = base, 2
        while name in self.used:
            name, k = f"{base}_{k}", k + 1
        self.used.add(name)
        return name


def _atom(source: str, e: Expr) -> str:
    """source in parentheses unless it is a single name, number or call."""
    if e.kind in ("var", "call") or (e.kind == "const" and not str(source).startswith("-")):
        return source
    return f"({source})"


@dataclass
class Program:
    """One compiled program: its source, the function, and the graph signature it was made from."""

    source: str
    function: Callable[[list[tuple[Any, ...]], list[Value]], list[float]]
    signature: list[tuple[Any, ...]]
    labels: list[str | None]


def _generate(rec: _Record, param_index: dict[int, int], arg_names: list[str]) -> Program:
    order = rec.order
    names = _Names()
    functions: dict[Callable[..., Any], str] = {}
    namespace: dict[str, Any] = {"_inf": math.inf, "_nan": math.nan, "_isfinite": math.isfinite}

    def function_name(fn: Callable[..., Any], wanted: str) -> str:
        if fn not in functions:
            name = names.make(wanted, "f")
            name = "_" + name
            functions[fn] = name
            namespace[name] = fn
        return functions[fn]

    # the nodes whose gradient reaches a parameter: only their backward lines are needed
    needed: set[int] = set()
    for n in order:
        if id(n) in param_index or any(id(p) in needed for p in n.parents):
            needed.add(id(n))
    value: dict[int, str] = {}
    grad: dict[int, str] = {}
    load: list[str] = []
    store: list[str] = []
    for v in rec.inputs:
        value[id(v)] = names.make(v.label or "", "x")
    used_params = sorted(
        (n for n in order if not n.parents and id(n) in param_index),
        key=lambda p: param_index[id(p)],
    )
    for p in used_params:
        i = param_index[id(p)]
        value[id(p)] = names.make(p.label or f"p{i}", f"p{i}")
        grad[id(p)] = names.make(f"g_{value[id(p)]}", f"g{i}")
        load.append(f"    {value[id(p)]} = _P[{i}].data")
        load.append(f"    {grad[id(p)]} = _P[{i}].grad")
        store.append(f"    _P[{i}].grad = {grad[id(p)]}")
    forward: list[str] = []
    constant: set[int] = set()
    for i, n in enumerate(order):
        if not n.parents:
            if id(n) not in value:  # a constant: part of the program
                constant.add(id(n))
                if math.isfinite(n.data):
                    value[id(n)] = repr(n.data)
                else:
                    value[id(n)] = (
                        "_nan" if math.isnan(n.data) else ("_inf" if n.data > 0 else "(-_inf)")
                    )
            continue
        row = _row(n, constant)
        mapping = {f"_i{k}": value[id(p)] for k, p in enumerate(n.parents)}
        for fn in row.forward.functions():
            function_name(fn, n.op if fn is n._op.forward else getattr(fn, "__name__", "f"))
        name = names.make(n.label or "", f"v{i}")
        value[id(n)] = name
        forward.append(f"        {name} = {row.forward.python(mapping, functions)}")
    root = rec.root
    backward: list[str] = []
    # An interior node's gradient is the sum of its children's contributions in the order
    # backward() adds them; they are collected and written as one sum, left to right (the same
    # float additions), just before the node passes its gradient on. Parameters add theirs
    # into the running total at once, as leaves do.
    terms: dict[int, list[str]] = {}
    if id(root) in needed:
        if root.parents:
            terms[id(root)] = ["_seed"]
        else:
            backward.append(f"        {grad[id(root)]} += _seed")
    for n in reversed(order):
        if not n.parents or id(n) not in needed:
            continue
        row = _row(n, constant)
        g = names.make(f"g_{value[id(n)]}", "g")
        mapping = {f"_i{k}": value[id(p)] for k, p in enumerate(n.parents)}
        mapping["_out"] = value[id(n)]
        backward.append(
            f"        # through {n.label or value[id(n)]} = {row.forward.unicode(mapping)}"
        )
        backward.append(f"        {g} = {' + '.join(terms.pop(id(n)))}")
        locals_: list[str]
        derivatives = row.derivatives
        if derivatives is None:  # a rule with no symbolic form runs as it is, on floats
            rule = function_name(n._op.derivative, f"d_{n.op}")
            args = ", ".join([*(value[id(p)] for p in n.parents), value[id(n)]])
            held = names.make(f"local_{value[id(n)]}", "local")
            backward.append(f"        {held} = {rule}({args})")
            locals_ = [f"{held}[{k}]" for k in range(len(n.parents))]
            exprs: list[Expr | None] = [None] * len(n.parents)
        else:
            exprs = list(derivatives)
            locals_ = []
            for d in derivatives:
                for fn in d.functions():
                    function_name(fn, getattr(fn, "__name__", "f"))
                locals_.append(_atom(d.python(mapping, functions), d))
        for p, local, e in zip(n.parents, locals_, exprs, strict=True):
            if id(p) not in needed:
                continue
            one = e is not None and e.kind == "const" and e.value == 1.0
            term = g if one else f"{g} * {local}"
            if id(p) in grad:  # a parameter
                backward.append(f"        {grad[id(p)]} += {term}")
            else:
                terms.setdefault(id(p), []).append(term)
    unpack = ", ".join(["_seed", *(value[id(v)] for v in rec.inputs)])
    # the functions the program calls become locals (default arguments): faster than globals
    defaults = "".join(f", {name}={name}" for name in functions.values())
    lines = [
        f"def _program(_examples, _P{defaults}):",
        '    """One traced step per example: forward, backward, then the gradients into .grad."""',
        "    # the parameters' values and their gradients so far",
        *load,
        "    _losses = []",
        f"    for {unpack} in _examples:",
        f"        # forward pass, one line per node, parents first; inputs: {', '.join(arg_names)}",
        *forward,
        f"        _losses.append({value[id(root)]})",
        "        # backward pass: g_n is _seed times the gradient of the loss with respect to n",
        *backward,
        "    if not _isfinite(sum(_losses)):",
        "        raise FloatingPointError('a loss is not finite')",
        "    # the gradients, accumulated as backward() accumulates them",
        *store,
        "    return _losses",
    ]
    source = "\n".join(lines) + "\n"
    code = compile(source, "<deltagrad trace>", "exec")
    exec(code, namespace)
    return Program(source, namespace["_program"], rec.signature, [n.label for n in order])


def _row(n: Value, constant: set[int]) -> SymbolicRow:
    """n's row on symbols, its constant inputs folded in (the same floats as at run time)."""
    return row_template(n._op, tuple(p.data if id(p) in constant else None for p in n.parents))


# --------------------------------------------------------------------------------- Trace
class Trace:
    """A traced step: call it with one example's inputs; see trace()."""

    def __init__(
        self, fn: Callable[..., Any], params: Sequence[Value], check: bool = False
    ) -> None:
        if not callable(fn):
            raise TypeError(f"trace: fn must be callable, got {type(fn).__name__}")
        self.fn = fn
        self.params = list(params)
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"trace: params[{i}] must be a Value, got {type(p).__name__}")
        self.check = bool(check)
        self._index = {id(p): i for i, p in enumerate(self.params)}
        self._programs: dict[Shape, Program] = {}
        self._latest: Program | None = None
        try:
            self._arg_names = list(inspect.signature(fn).parameters)
        except (TypeError, ValueError):
            self._arg_names = []

    @property
    def source(self) -> str:
        """The generated program of the latest call (raises before the first call)."""
        if self._latest is None:
            raise TraceError("trace: nothing traced yet; call the step once, then read .source")
        return self._latest.source

    def __call__(self, *inputs: Any) -> float:
        """Run one example: add d(loss)/dp into p.grad for every p in params; return the loss."""
        return self.batch([inputs])[0]

    def batch(
        self, examples: Sequence[Sequence[Any]], seeds: Sequence[float] | None = None
    ) -> list[float]:
        """Run several examples in one call: p.grad += seed_i · d(loss_i)/dp; the losses.

        seeds (default 1.0 each) scale each example's gradient, as a batch loss's backward pass
        does (1/m for a mean over m examples).
        """
        examples = list(examples)
        if seeds is None:
            seeds = [1.0] * len(examples)
        if len(seeds) != len(examples):
            raise ValueError(f"trace: got {len(examples)} examples but {len(seeds)} seeds")
        if not examples:
            return []
        rows: list[tuple[Any, ...]] = []
        shape: Shape = None
        for args, seed in zip(examples, seeds, strict=True):
            flat: list[float] = []
            s = _flatten(args, flat)
            if shape is None:
                shape = s
            elif s != shape:  # mixed shapes: one program per shape, in order
                return self._mixed(examples, list(seeds))
            rows.append((seed, *flat))
        program, fresh = self._program(shape, list(rows[0][1:]))
        if self.check:
            for row in rows[1:] if fresh else rows:
                self._check(program, shape, list(row[1:]))
        if FLAGS.anomaly:  # debugging: the eager engine finds the node that made a NaN
            return self._eager(shape, rows)
        try:
            return program.function(rows, self.params)
        except (ArithmeticError, ValueError, DomainError):
            # a domain error or a non-finite loss: the eager engine raises the error it raises
            # (naming the op and the node's label) or computes the same numbers
            return self._eager(shape, rows)

    def _mixed(self, examples: list[Sequence[Any]], seeds: list[float]) -> list[float]:
        return [self.batch([e], [s])[0] for e, s in zip(examples, seeds, strict=True)]

    def _names(self, shape: Shape) -> list[str]:
        names: list[str] = []
        for k, s in enumerate(shape):
            arg = self._arg_names[k] if k < len(self._arg_names) else f"arg{k}"
            if s == "n":
                names.append(arg)
            elif s[0] != "int":
                names.extend(f"{arg}_{i}" for i in range(_count(s)))
        return names

    def _program(self, shape: Shape, flat: list[float]) -> tuple[Program, bool]:
        """The program for this shape, traced at flat if there is none yet (then fresh)."""
        program = self._programs.pop(shape, None)
        fresh = program is None
        if program is None:
            rec = _record(self.fn, self._index, shape, flat, self._names(shape))
            program = _generate(rec, self._index, self._arg_names)
            if len(self._programs) >= CACHE_SIZE:
                self._programs.pop(next(iter(self._programs)))
        self._programs[shape] = program  # most recently used last
        self._latest = program
        return program, fresh

    def _check(self, program: Program, shape: Shape, flat: list[float]) -> None:
        rec = _record(self.fn, self._index, shape, flat, self._names(shape))
        now = rec.signature
        for i, (old, new) in enumerate(zip(program.signature, now, strict=False)):
            if old != new:
                node = rec.order[i]
                was = _describe(old, None) + (
                    f" (label '{program.labels[i]}')" if program.labels[i] else ""
                )
                raise TraceMismatchError(
                    f"trace check: node {i} of this call's graph is {_describe(new, node)}, but "
                    f"the recorded program has {was} there; the function takes another path for "
                    "these inputs (a branch on a value, or a constant computed from the data), "
                    "which a trace cannot capture: run it eagerly (call fn and backward())"
                )
        if len(now) != len(program.signature):
            raise TraceMismatchError(
                f"trace check: this call's graph has {len(now)} nodes, the recorded program "
                f"{len(program.signature)}; the function takes another path for these inputs, "
                "which a trace cannot capture: run it eagerly (call fn and backward())"
            )

    def _eager(self, shape: Shape, rows: list[tuple[Any, ...]]) -> list[float]:
        """The rows on the eager engine: the graph the program was recorded from, built again."""
        names = self._names(shape)
        losses = []
        for row in rows:  # every forward first, as a batch loss does
            inputs = [Value(x, name) for x, name in zip(row[1:], names, strict=True)]
            with _inputs_of(inputs):
                losses.append(self.fn(*_rebuild(shape, iter(inputs))))
        for c, (seed, *_) in zip(losses, rows, strict=True):
            (c if seed == 1.0 else c * seed).backward()
        return [c.data for c in losses]

    def clear(self) -> None:
        """Forget every recorded program (the next call traces again)."""
        self._programs.clear()
        self._latest = None


def trace(fn: Callable[..., Value], params: Sequence[Value], *, check: bool = False) -> Trace:
    """Record fn's graph once per input shape and replay it as generated straight-line Python.

    fn(*inputs) must build a scalar loss from Values; inputs are numbers or lists of numbers
    (features and targets alike), and reach the program as its arguments. step(*inputs) adds
    d(loss)/dp into p.grad for every p in params (as backward() does) and returns the loss.
    A branch in fn on a value is recorded as it went when traced: check=True re-traces every
    call and raises TraceMismatchError at the first op that differs.
    """
    return Trace(fn, params, check)
