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
import collections
import contextvars
import inspect
import keyword
import math
import operator
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .modes import is_anomaly_enabled, is_grad_enabled
from .ops import DomainError
from .symbolic import Expr, SymbolicRow, row_template
from .value import Value, topological_order

__all__ = ["Trace", "TraceError", "TraceMismatchError", "branch", "is_traced_input", "trace"]

CACHE_SIZE = 8  # programs kept per Trace, one per input shape (least recently used dropped)


class TraceError(Exception):
    """A function cannot be traced (it did not return a Value, or its inputs are not numbers)."""


class TraceMismatchError(TraceError):
    """check=True found that a call builds a different graph from the recorded program."""


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


def _rows(
    examples: Sequence[Sequence[Any]], seeds: Sequence[float]
) -> tuple[Shape, list[tuple[Any, ...]]] | None:
    """(shape, [(seed, *floats)] per example), or None if the examples' shapes differ."""
    first: list[float] = []
    shape = _flatten(examples[0], first)
    rows: list[tuple[Any, ...]] = [(seeds[0], *first)]
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
            if _flatten(args, flat) != shape:
                return None
            row = [seed, *flat]
        rows.append(tuple(row))
    return shape, rows


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

    __slots__ = ("guards", "inputs")

    def __init__(self, inputs: Sequence[Value]) -> None:
        self.inputs = frozenset(map(id, inputs))
        self.guards: list[tuple[Value, str, float, bool]] = []


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


@contextmanager
def _recording_of(inputs: Sequence[Value]) -> Iterator[_Recording]:
    rec = _Recording(inputs)
    token = _recording.set(rec)
    try:
        yield rec
    finally:
        _recording.reset(token)


@dataclass(frozen=True)
class _Record:
    """One traced call: the graph in topological order, what each leaf is, and the guards."""

    order: list[Value]
    root: Value
    loss_size: int  # order[:loss_size] is the loss's graph; after it, tested values it leaves out
    inputs: list[Value]  # one per flat input number, in argument order
    signature: list[tuple[Any, ...]]  # what check=True compares
    guards: list[tuple[int, str, float, bool]]  # (position in order, test, threshold, outcome)


def _record(
    fn: Callable[..., Any],
    params: dict[int, int],
    shape: Shape,
    flat: Sequence[float],
    names: list[str],
) -> _Record:
    if not is_grad_enabled():
        raise TraceError("trace: called inside no_grad(), where no graph is recorded to trace")
    inputs = [Value(x, name) for x, name in zip(flat, names, strict=True)]
    args = _rebuild(shape, iter(inputs))
    with _recording_of(inputs) as recording:
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
    guards = [(position[id(v)], t, c, o) for v, t, c, o in recording.guards]
    return _Record(order, root, loss_size, inputs, signature, guards)


def _describe(kind: tuple[Any, ...], node: Value | None) -> str:
    label = f" (label '{node.label}')" if node is not None and node.label else ""
    if kind[0] == "op":
        return f"op '{kind[1].name}'{label}"
    if kind[0] == "constant":
        return f"the constant {kind[1]}{label}"
    return f"{kind[0]} {kind[1]}{label}"


# --------------------------------------------------------------------------------- code
_RESERVED = {"_P", "_examples", "_losses", "_seed", "_Miss"}
_OPERATOR_WORDS = {"**": "pow", "*": "mul", "/": "div", "+": "add", "-": "sub", ".": "_"}
MAX_PATHS = 8  # guarded paths per program; an example that fits none beyond runs eagerly
MAX_DEPTH = 100  # operations in one generated expression (Python's compiler recurses on depth)


def _identifier(text: str) -> str:
    for symbol, word in _OPERATOR_WORDS.items():
        text = text.replace(symbol, word)
    out = "".join(c if c.isalnum() else "_" for c in text)
    while "__" in out:
        out = out.replace("__", "_")
    return out.strip("_")


class _Names:
    """Unique Python names: from labels where they exist, v<i> otherwise."""

    def __init__(self, used: set[str] | None = None) -> None:
        self.used: set[str] = set(_RESERVED) if used is None else set(used)

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


def _row(n: Value, constant: set[int]) -> SymbolicRow:
    """n's row on symbols, its constant inputs folded in (the same floats as at run time)."""
    return row_template(n._op, tuple(p.data if id(p) in constant else None for p in n.parents))


def _record_of(n: Value) -> object:
    """The node's label record (nn's notation records carry quantity and layer), if any."""
    record = getattr(n, "label_record", None)
    return getattr(record, "record", record)  # a renamed record keeps the original inside


def _quantity(n: Value) -> str | None:
    return getattr(_record_of(n), "quantity", None)


def _block(n: Value) -> tuple[str, int] | None:
    """Which block of a network a node belongs to, from its label record: a layer, the cost."""
    record = _record_of(n)
    quantity = getattr(record, "quantity", None)
    if quantity == "cost":
        return ("cost", 0)
    layer = getattr(record, "layer", None)
    if quantity in ("preactivation", "activation") and isinstance(layer, int):
        return ("layer", layer)
    return None


def _forward_comment(where: tuple[str, int]) -> str:
    if where[0] == "cost":
        return "the cost C of this example"
    return f"layer {where[1]}: z = w a + b for each neuron, then a = σ(z)"


def _backward_comment(where: tuple[str, int], output_layer: bool) -> str:
    if where[0] == "cost":
        return "the cost: ∂C/∂a for the output layer"
    layer = where[1]
    bp = "δ = ∂C/∂a ⊙ σ'(z) (BP1)" if output_layer else f"δ = (wᵀ δ^{layer + 1}) ⊙ σ'(z) (BP2)"
    return f"layer {layer}: {bp}; ∂C/∂b = δ (BP3); ∂C/∂w = a^{layer - 1} δ (BP4)"


def _literal(x: float, bare: bool = False) -> str:
    """x as Python source; -_inf in parentheses unless bare (in a comparison)."""
    if math.isfinite(x):
        return repr(x)
    if math.isnan(x):
        return "_nan"
    return "_inf" if x > 0 else ("-_inf" if bare else "(-_inf)")


@dataclass
class Program:
    """One compiled program: its source, the function, and the recorded paths it was made from."""

    source: str
    function: Callable[[Sequence[tuple[Any, ...]], list[Value]], list[float]]
    signatures: list[list[tuple[Any, ...]]]  # one per path
    guards: list[list[tuple[int, str, float, bool]]]
    labels: list[list[str | None]]


class _Writer:
    """Writes the program of one or more recorded paths of the same function and shape."""

    def __init__(self, param_index: dict[int, int]) -> None:
        self.param_index = param_index
        self.names = _Names()
        self.functions: dict[Callable[..., Any], str] = {}
        self.namespace: dict[str, Any] = {
            "_inf": math.inf,
            "_nan": math.nan,
            "_isfinite": math.isfinite,
        }
        self.param_value: dict[int, str] = {}  # parameter index -> its name
        self.param_grad: dict[int, str] = {}

    def function_name(self, fn: Callable[..., Any], wanted: str) -> str:
        if fn not in self.functions:
            name = "_" + self.names.make(wanted, "f")
            self.functions[fn] = name
            self.namespace[name] = fn
        return self.functions[fn]

    def param(self, p: Value) -> tuple[str, str]:
        i = self.param_index[id(p)]
        if i not in self.param_value:
            self.param_value[i] = self.names.make(p.label or f"p{i}", f"p{i}")
            self.param_grad[i] = self.names.make(f"g_{self.param_value[i]}", f"g{i}")
        return self.param_value[i], self.param_grad[i]

    def path(self, rec: _Record, inputs: list[str], indent: str) -> list[str]:
        """The forward and backward lines of one recorded path, guards checked as it goes."""
        order = rec.order
        param_index = self.param_index
        names = _Names(self.names.used)  # interior names are the path's own
        value: dict[int, str] = {id(v): name for v, name in zip(rec.inputs, inputs, strict=True)}
        grad: dict[int, str] = {}
        for n in order:
            if not n.parents and id(n) in param_index:
                value[id(n)], grad[id(n)] = self.param(n)
        # the nodes whose gradient reaches a parameter: only their backward lines are needed
        needed: set[int] = set()
        for n in order[: rec.loss_size]:
            if id(n) in param_index or any(id(p) in needed for p in n.parents):
                needed.add(id(n))
        guards_at: dict[int, list[tuple[str, float, bool]]] = {}
        for pos, test, c, outcome in rec.guards:
            guards_at.setdefault(pos, []).append((test, c, outcome))
        lines: list[str] = []

        def guard(i: int) -> None:
            # the branches the recorded call took here; another example may take another path
            found = guards_at.pop(i, [])
            tests = [
                ("" if outcome else "not ") + f"{value[id(order[i])]} {test} {_literal(c, True)}"
                for test, c, outcome in found
            ]
            if len(found) == 1 and not found[0][2]:  # the comparison was false: it must stay so
                lines.append(f"{indent}if {tests[0][4:]}: raise _Miss")
            elif tests:
                lines.append(f"{indent}if not ({' and '.join(tests)}): raise _Miss")

        lines.append(f"{indent}# forward pass, one line per node, parents first")
        constant: set[int] = set()
        block: object = None
        for i, n in enumerate(order):
            if not n.parents:
                if id(n) not in value:  # a constant: part of the program
                    constant.add(id(n))
                    value[id(n)] = _literal(n.data)
                guard(i)
                continue
            where = _block(n)
            if where is not None and where != block:
                block = where
                lines.append(f"{indent}# {_forward_comment(where)}")
            row = _row(n, constant)
            mapping = {f"_i{k}": value[id(p)] for k, p in enumerate(n.parents)}
            name = names.make(n.label or "", f"v{i}")
            value[id(n)] = name
            if row.forward.depth() > MAX_DEPTH:  # a sum of 1,000s: the row's forward, called
                called = self.function_name(n._op.forward, n.op)
                args = ", ".join(mapping[f"_i{k}"] for k in range(len(n.parents)))
                lines.append(f"{indent}{name} = {called}({args})")
            else:
                for fn_, wanted in row.forward.functions().items():
                    self.function_name(fn_, wanted)
                lines.append(f"{indent}{name} = {row.forward.python(mapping, self.functions)}")
            guard(i)
        root = rec.root
        lines.append(f"{indent}_losses.append({value[id(root)]})")
        lines.append(f"{indent}# backward pass: g_n is _seed times the gradient of the loss wrt n")
        # An interior node's gradient is the sum of its children's contributions in the order
        # backward() adds them; they are collected and written as one sum, left to right (the
        # same float additions), just before the node passes its gradient on. Parameters add
        # theirs into the running total at once, as leaves do.
        terms: dict[int, list[str]] = {}
        if id(root) in needed:
            if root.parents:
                terms[id(root)] = ["_seed"]
            else:
                lines.append(f"{indent}{grad[id(root)]} += _seed")
        block = None
        layers_seen = 0
        for n in reversed(order):
            if not n.parents or id(n) not in needed:
                continue
            where = _block(n)
            if where is not None and where != block:
                block = where
                if where[0] == "layer":
                    layers_seen += 1
                lines.append(f"{indent}# {_backward_comment(where, layers_seen == 1)}")
            row = _row(n, constant)
            prefix = "delta" if _quantity(n) == "preactivation" else "g"
            g = names.make(f"{prefix}_{value[id(n)]}", "g")
            mapping = {f"_i{k}": value[id(p)] for k, p in enumerate(n.parents)}
            mapping["_out"] = value[id(n)]
            lines.append(
                f"{indent}# node {n.label or value[id(n)]} = {row.forward.unicode(mapping)}"
            )
            parts = terms.pop(id(n))
            # one left-to-right sum; a long one in pieces g = g + t + ..., the same additions
            lines.append(f"{indent}{g} = {' + '.join(parts[:MAX_DEPTH])}")
            for k in range(MAX_DEPTH, len(parts), MAX_DEPTH):
                lines.append(f"{indent}{g} = {' + '.join([g, *parts[k : k + MAX_DEPTH]])}")
            locals_: list[str]
            derivatives = row.derivatives
            exprs: list[Expr | None]
            # A rule with no symbolic form runs as it is, on floats; so does a rule that
            # branches on data: its symbolic form builds the branch from 0/1 masks, and the
            # float branch the eager pass takes can differ from that at its edges (a NaN, a
            # signed zero), so the program calls the rule itself and shows the formula.
            branching = derivatives is not None and any(d.has_comparison() for d in derivatives)
            if derivatives is None or branching:
                rule = self.function_name(n._op.derivative, f"d_{n.op}")
                args = ", ".join([*(value[id(p)] for p in n.parents), value[id(n)]])
                held = names.make(f"local_{value[id(n)]}", "local")
                shown = ""
                if derivatives is not None:
                    shown = "  # " + ", ".join(d.unicode(mapping) for d in derivatives)
                lines.append(f"{indent}{held} = {rule}({args}){shown}")
                locals_ = [f"{held}[{k}]" for k in range(len(n.parents))]
                exprs = [None] * len(n.parents)
            else:
                exprs = list(derivatives)
                locals_ = []
                for d in derivatives:
                    for fn, wanted in d.functions().items():
                        self.function_name(fn, wanted)
                    locals_.append(_atom(d.python(mapping, self.functions), d))
            for p, local, e in zip(n.parents, locals_, exprs, strict=True):
                if id(p) not in needed:
                    continue
                one = e is not None and e.kind == "const" and e.value == 1.0
                term = g if one else f"{g} * {local}"
                if id(p) in grad:  # a parameter
                    lines.append(f"{indent}{grad[id(p)]} += {term}")
                else:
                    terms.setdefault(id(p), []).append(term)
        return lines

    @staticmethod
    def _locals(lines: list[str]) -> set[str]:
        """The names the program assigns (its local variables)."""
        found = set()
        for line in lines:
            m = re.match(r"\s*(\w+) (\+)?= ", line)
            if m:
                found.add(m.group(1))
        return found

    def program(self, records: list[_Record], input_names: list[str], args: list[str]) -> Program:
        body: list[str] = []
        guarded = any(rec.guards for rec in records) or len(records) > 1
        indent = "        "
        for k, rec in enumerate(records):
            if guarded:
                body.append(
                    f"{indent}try:  # path {k + 1}" if len(records) > 1 else f"{indent}try:"
                )
                body.extend(self.path(rec, input_names, indent + "    "))
                body.append(f"{indent}except _Miss:  # another branch: try the next path")
                indent += "    "
            else:
                body.extend(self.path(rec, input_names, indent))
        if guarded:
            body.append(
                f"{indent}break  # no recorded path: the trace records one for this example"
            )
        load, store = [], []
        for i in sorted(self.param_value):
            load.append(f"    {self.param_value[i]} = _P[{i}].data")
            load.append(f"    {self.param_grad[i]} = _P[{i}].grad")
            store.append(f"    _P[{i}].grad = {self.param_grad[i]}")
        # the functions the program calls become locals (default arguments): faster than globals
        defaults = "".join(f", {name}={name}" for name in self.functions.values())
        unpack = ", ".join(["_seed", *input_names])
        lines = [
            f"def _program(_examples, _P{defaults}):",
            '    """The traced step for each example: forward, backward; gradients into .grad."""',
            "    # the parameters' values and their gradients so far",
            *load,
            "    _losses = []",
            f"    for {unpack} in _examples:  # inputs: {', '.join(args) or '-'}",
            *body,
            "    if not _isfinite(sum(_losses)):",
            "        raise FloatingPointError('a loss is not finite')",
            "    # the gradients, accumulated as backward() accumulates them",
            *store,
            "    return _losses",
        ]
        # Python reads its first 256 local variables with one instruction, later ones with two:
        # the names used most often in the loop are declared first, in a block that never runs
        assigned = self._locals(lines)
        counts = collections.Counter(re.findall(r"\b[A-Za-z_]\w*\b", "\n".join(body)))
        hot = [n for n, _ in counts.most_common() if n in assigned]
        if len(assigned) > 250:
            lines.insert(2, "    if False:  # declares the busiest names first (faster)")
            lines.insert(3, f"        {' = '.join(hot[:250])} = None")
        source = "\n".join(lines) + "\n"
        self.namespace["_Miss"] = _Miss
        exec(compile(source, "<deltagrad trace>", "exec"), self.namespace)
        return Program(
            source,
            self.namespace["_program"],
            [rec.signature for rec in records],
            [rec.guards for rec in records],
            [[n.label for n in rec.order] for rec in records],
        )


class _Miss(Exception):
    """Raised inside a program when an example fails a path's guard."""


def _generate(
    records: list[_Record], param_index: dict[int, int], names: list[str], args: list[str]
) -> Program:
    writer = _Writer(param_index)
    input_names = [writer.names.make(name, "x") for name in names]
    return writer.program(records, input_names, args)


# --------------------------------------------------------------------------------- Trace
class _Entry:
    """The recorded paths of one input shape and the program made from them."""

    __slots__ = ("program", "records")

    def __init__(self, records: list[_Record], program: Program) -> None:
        self.records = records
        self.program = program


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
        self._programs: dict[Shape, _Entry] = {}
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
        prepared = _rows(examples, seeds)
        if prepared is None:  # mixed shapes: one program per shape, in order
            return [self.batch([e], [w])[0] for e, w in zip(examples, seeds, strict=True)]
        return self.replay(*prepared)

    def prepare(self, examples: Sequence[Sequence[Any]]) -> tuple[Shape, list[tuple[Any, ...]]]:
        """Flatten examples once for many calls: their shape and one tuple of floats each.

        Raises TraceError if the examples' shapes differ. replay(shape, [(seed, *floats)...])
        then runs them without flattening again (what fit does, epoch after epoch).
        """
        examples = list(examples)
        if not examples:
            return (), []
        prepared = _rows(examples, [1.0] * len(examples))
        if prepared is None:
            raise TraceError("trace.prepare: the examples have different shapes")
        shape, rows = prepared
        return shape, [row[1:] for row in rows]

    def replay(self, shape: Shape, rows: list[tuple[Any, ...]]) -> list[float]:
        """Run rows (seed, *floats) of one shape, as prepare() gives them; the losses."""
        if not rows:
            return []
        entry = self._entry(shape, rows[0])
        if self.check:
            for row in rows:
                self._check(entry, shape, row)
        if is_anomaly_enabled():  # debugging: the eager engine finds the node that made a NaN
            return self._eager(shape, rows)
        losses: list[float] = []
        while len(losses) < len(rows):
            rest = rows[len(losses) :] if losses else rows
            try:
                done = entry.program.function(rest, self.params)
            except (ArithmeticError, ValueError, DomainError):
                # a domain error or a non-finite loss: the eager engine raises the error it
                # raises (naming the op and the node's label) or computes the same numbers
                return losses + self._eager(shape, rest)
            losses += done
            if len(losses) < len(rows):  # an example took a branch no recorded path has
                row = rows[len(losses)]
                if len(entry.records) >= MAX_PATHS:
                    losses += self._eager(shape, [row])
                    continue
                entry = self._add_path(shape, entry, row)
        return losses

    def _names(self, shape: Shape) -> list[str]:
        names: list[str] = []
        for k, s in enumerate(shape):
            arg = self._arg_names[k] if k < len(self._arg_names) else f"arg{k}"
            if s == "n":
                names.append(arg)
            elif s[0] != "int":
                names.extend(f"{arg}_{i}" for i in range(_count(s)))
        return names

    def _make(self, shape: Shape, records: list[_Record]) -> _Entry:
        program = _generate(records, self._index, self._names(shape), self._arg_names)
        entry = _Entry(records, program)
        self._programs.pop(shape, None)
        if len(self._programs) >= CACHE_SIZE:
            self._programs.pop(next(iter(self._programs)))
        self._programs[shape] = entry  # most recently used last
        self._latest = program
        return entry

    def _entry(self, shape: Shape, row: tuple[Any, ...]) -> _Entry:
        """The programs for this shape, traced at row if there are none yet."""
        entry = self._programs.pop(shape, None)
        if entry is None:
            return self._make(shape, [self._record(shape, row)])
        self._programs[shape] = entry  # most recently used last
        self._latest = entry.program
        return entry

    def _record(self, shape: Shape, row: tuple[Any, ...]) -> _Record:
        return _record(self.fn, self._index, shape, row[1:], self._names(shape))

    def _add_path(self, shape: Shape, entry: _Entry, row: tuple[Any, ...]) -> _Entry:
        rec = self._record(shape, row)
        for old in entry.records:
            if old.guards == rec.guards:  # same branches, another graph: not capturable
                self._mismatch(old, rec)
        return self._make(shape, [*entry.records, rec])

    def _check(self, entry: _Entry, shape: Shape, row: tuple[Any, ...]) -> None:
        rec = self._record(shape, row)
        for old in entry.records:
            if old.guards == rec.guards and old.signature != rec.signature:
                self._mismatch(old, rec)

    def _mismatch(self, old: _Record, rec: _Record) -> None:
        for i, (was, now) in enumerate(zip(old.signature, rec.signature, strict=False)):
            if was != now:
                raise TraceMismatchError(
                    f"trace check: node {i} of this call's graph is "
                    f"{_describe(now, rec.order[i])}, but the recorded program has "
                    f"{_describe(was, old.order[i])} there; the function takes another path for "
                    "these inputs (a branch on a value, or a constant computed from the data), "
                    "which a trace cannot capture: run it eagerly (call fn and backward()), or "
                    "write the test as autograd.branch(v, '>', 0.0), which a trace follows"
                )
        if len(old.signature) != len(rec.signature):
            raise TraceMismatchError(
                f"trace check: this call's graph has {len(rec.signature)} nodes, the recorded "
                f"program {len(old.signature)}; the function takes another path for these "
                "inputs, which a trace cannot capture: run it eagerly (call fn and backward())"
            )

    def _eager(self, shape: Shape, rows: Sequence[tuple[Any, ...]]) -> list[float]:
        """The rows on the eager engine: the graph the program was recorded from, built again."""
        names = self._names(shape)
        losses = []
        for row in rows:  # every forward first, as a batch loss does
            inputs = [Value(x, name) for x, name in zip(row[1:], names, strict=True)]
            with _recording_of(inputs):
                losses.append(self.fn(*_rebuild(shape, iter(inputs))))
        for c, (seed, *_) in zip(losses, rows, strict=True):
            c.backward(gradient=seed)
        return [c.data for c in losses]

    def clear(self) -> None:
        """Forget every recorded program (the next call traces again)."""
        self._programs.clear()
        self._latest = None


def trace(fn: Callable[..., Value], params: Sequence[Value], *, check: bool = False) -> Trace:
    """Record fn's graph once per input shape and replay it as generated straight-line Python.

    fn(*inputs) must build a scalar loss from Values; inputs are numbers or lists of numbers
    (features and targets alike), and reach the program as its arguments; an int is static (a
    class index), part of the shape. step(*inputs) adds d(loss)/dp into p.grad for every p in
    params (as backward() does) and returns the loss. A branch in fn on a value is recorded as
    it went when traced, unless it is written with branch(), which the program checks and
    follows: check=True re-traces every call and raises TraceMismatchError at the first op
    that differs from the recorded path.
    """
    return Trace(fn, params, check)
