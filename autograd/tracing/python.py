"""The Python emitter: lowered paths -> the source of one straight-line function, compiled.

It reads the equations of ``autograd.tracing.lower`` and nothing else: names come from the
variables' wanted names, formulas from the op rows on symbols the equations carry, comments
from their notes. What is Python's own is decided here: identifiers, literals, the guards as
``raise _Miss``, a long expression split so that Python's compiler does not recurse too deep,
and the busiest names declared first.
"""

from __future__ import annotations

import builtins
import collections
import keyword
import math
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..symbolic import Expr
from .lower import SEED, Atom, Equation, Local, Path, Term, Var

__all__ = ["MAX_DEPTH", "Miss", "Program", "emit"]

MAX_DEPTH = 100  # operations in one generated expression (Python's compiler recurses on depth)
_HOT = 250  # Python reads its first 256 local variables with one instruction, later ones with two
_RESERVED = {"_P", "_examples", "_losses", "_seed", "_Miss", "_max"}
_NEW_PATH = "the trace records one for this example"
_OPERATOR_WORDS = {"**": "pow", "*": "mul", "/": "div", "+": "add", "-": "sub", ".": "_"}


class Miss(Exception):
    """Raised inside a program when an example fails a path's guard."""


@dataclass
class Program:
    """One compiled program: its source and the function it defines."""

    source: str
    function: Callable[[Sequence[tuple[Any, ...]], list[Any]], list[float]]


def detach(namespace: dict[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """The functions `names` that exec defined in namespace, rebuilt so that no cycle holds them.

    A function made by exec keeps the namespace it was defined in as its globals, and that
    namespace holds the function: a reference cycle, which only the cyclic collector frees.
    Each function is rebuilt here with globals of its own, the namespace without the generated
    functions plus the ones before it in `names` (a function calls only those), and they are
    taken out of the namespace, so reference counting frees a program and its arrays when its
    trace is dropped (tests/test_no_cycles.py).
    """
    base = {k: v for k, v in namespace.items() if k not in names}
    out: dict[str, Any] = {}
    for name in names:
        f = namespace.pop(name)
        g = types.FunctionType(f.__code__, {**base, **out}, name, f.__defaults__, f.__closure__)
        g.__kwdefaults__ = f.__kwdefaults__
        out[name] = g
    return out


def _identifier(text: str) -> str:
    for symbol, word in _OPERATOR_WORDS.items():
        text = text.replace(symbol, word)
    out = "".join(c if c.isalnum() else "_" for c in text)
    while "__" in out:
        out = out.replace("__", "_")
    return out.strip("_")


class _Names:
    """Unique Python names: from the wanted text where it makes one, the fallback otherwise."""

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


def _literal(x: float, bare: bool = False) -> str:
    """x as Python source; -_inf in parentheses unless bare (in a comparison)."""
    if math.isfinite(x):
        return repr(x)
    if math.isnan(x):
        return "_nan"
    return "_inf" if x > 0 else ("-_inf" if bare else "(-_inf)")


def _atom(source: str, e: Expr) -> str:
    """source in parentheses unless it is a single name, a call or a number with no sign."""
    if e.kind in ("var", "call"):
        return source
    if e.kind == "const" and isinstance(e.value, int | float):
        x = float(e.value)
        if not (x < 0.0 or math.copysign(1.0, x) < 0.0) or math.isnan(x):  # no leading minus
            return source
    return f"({source})"


def _uses(e: Expr) -> collections.Counter[str]:
    """How often each variable is written in e's source (a shared subtree once per use)."""
    found: collections.Counter[str] = collections.Counter()
    stack = [e]
    while stack:
        x = stack.pop()
        if x.kind == "var":
            found[x.value] += 1
        stack.extend(x.args)
    return found


class _Emitter:
    """Writes the program of one or more lowered paths of the same function and shape."""

    def __init__(self) -> None:
        self.names = _Names()  # the program's names; a path's own names are made on a copy
        self.name: dict[Var, str] = {SEED: "_seed"}
        self.functions: dict[Callable[..., Any], str] = {}
        self.namespace: dict[str, Any] = {
            "_inf": math.inf,
            "_nan": math.nan,
            "_isfinite": math.isfinite,
            "_max": builtins.max,
            "_Miss": Miss,
        }
        self.params: dict[int, tuple[str, str]] = {}  # index -> (value name, gradient name)
        self.uses: collections.Counter[str] = collections.Counter()
        self.assigned: set[str] = {"_losses"}
        self.bound: dict[int, dict[str, str]] = {}  # id of a binding -> its names in the source
        self.keep: list[Mapping[str, Atom]] = []  # the bindings, alive while their ids are keys

    # ------------------------------------------------------------------ names
    def define(self, v: Var, names: _Names) -> str:
        wanted = f"{v.wanted}_{self.name[v.of]}" if v.of is not None else v.wanted
        made = self.name[v] = names.make(wanted, v.fallback)
        return made

    def source(self, a: Atom, bare: bool = False) -> str:
        return self.name[a] if isinstance(a, Var) else _literal(a, bare)

    def use(self, a: Atom, times: int = 1) -> str:
        if isinstance(a, Var):
            self.uses[self.name[a]] += times
        return self.source(a)

    def function_name(self, fn: Callable[..., Any], wanted: str) -> str:
        if fn not in self.functions:
            name = "_" + self.names.make(wanted, "f")
            self.functions[fn] = name
            self.namespace[name] = fn
        return self.functions[fn]

    def formula(self, e: Expr, bound: Mapping[str, Atom]) -> str:
        """e as Python source, its variables bound to atoms, the functions it calls in scope."""
        for fn, wanted in e.functions().items():
            self.function_name(fn, wanted)
        for var, k in _uses(e).items():
            if var in bound:
                self.use(bound[var], k)
        # a node's derivatives share one binding: its names are looked up once
        names = self.bound.get(id(bound))
        if names is None:
            names = self.bound[id(bound)] = {v: self.source(a) for v, a in bound.items()}
            self.keep.append(bound)
        return e.python(names, self.functions)

    # ------------------------------------------------------------------ equations
    def term(self, t: Term) -> str:
        g = self.use(t.gradient)
        local: Local | None = t.local
        if local is None:
            return g
        if local.held is not None:
            return f"{g} * {self.use(local.held)}[{local.index}]"
        assert local.expr is not None
        return f"{g} * {_atom(self.formula(local.expr, local.names), local.expr)}"

    def equation(self, eq: Equation, names: _Names) -> list[str]:
        """The lines of one equation (unindented), its note first as a comment."""
        write = _WRITERS.get(eq.primitive)
        if write is None:
            raise AssertionError(f"no Python for the primitive {eq.primitive!r}")
        lines = write(self, eq, names)
        self.assigned.update(self.name[v] for v in eq.outputs)
        return [f"# {eq.note}", *lines] if eq.note is not None else lines

    def shown(self, inputs: Sequence[Atom]) -> dict[str, str]:
        """The names of a row's variables (_i0, ..., _out) for a formula in a comment."""
        *parents, out = inputs
        names = {f"_i{k}": self.source(a) for k, a in enumerate(parents)}
        names["_out"] = self.source(out)
        return names

    def apply(self, eq: Equation, names: _Names) -> list[str]:
        op, row = eq.params["op"], eq.params["row"]
        if row.forward.depth() > MAX_DEPTH:  # a sum of 1,000s: the row's forward, called
            called = self.function_name(op.forward, op.name)
            text = f"{called}({', '.join(self.use(a) for a in eq.inputs)})"
        else:
            text = self.formula(row.forward, {f"_i{k}": a for k, a in enumerate(eq.inputs)})
        return [f"{self.define(eq.outputs[0], names)} = {text}"]

    def guard(self, eq: Equation, names: _Names) -> list[str]:
        tests = eq.params["tests"]
        x = self.use(eq.inputs[0], len(tests))
        said = [f"{x} {test} {_literal(c, True)}" for test, c, _ in tests]
        if len(tests) == 1 and not tests[0][2]:  # the comparison was false: it must stay so
            return [f"if {said[0]}: raise _Miss"]
        outcomes = [outcome for _, _, outcome in tests]
        checks = [s if o else f"not {s}" for s, o in zip(said, outcomes, strict=True)]
        return [f"if not ({' and '.join(checks)}): raise _Miss"]

    def loss(self, eq: Equation, names: _Names) -> list[str]:
        self.uses["_losses"] += 1
        return [f"_losses.append({self.use(eq.inputs[0])})"]

    def gradient(self, eq: Equation, names: _Names) -> list[str]:
        formula = eq.params["row"].forward.unicode(self.shown(eq.inputs))
        lines = [f"# node {eq.params['label'] or self.source(eq.inputs[-1])} = {formula}"]
        g = self.define(eq.outputs[0], names)
        parts = [self.term(t) for t in eq.params["terms"]]
        # one left-to-right sum; a long one in pieces g = g + t + ..., the same additions
        lines.append(f"{g} = {' + '.join(parts[:MAX_DEPTH])}")
        for k in range(MAX_DEPTH, len(parts), MAX_DEPTH):
            self.uses[g] += 1
            lines.append(f"{g} = {' + '.join([g, *parts[k : k + MAX_DEPTH]])}")
        return lines

    def rule(self, eq: Equation, names: _Names) -> list[str]:
        op, derivatives = eq.params["op"], eq.params["derivatives"]
        called = self.function_name(op.derivative, f"d_{op.name}")
        args = ", ".join(self.use(a) for a in eq.inputs)
        held = self.define(eq.outputs[0], names)
        comment = ""
        if derivatives is not None:  # the formula the rule computes, for the reader
            shown = self.shown(eq.inputs)
            comment = "  # " + ", ".join(d.unicode(shown) for d in derivatives)
        return [f"{held} = {called}({args}){comment}"]

    def max(self, eq: Equation, names: _Names) -> list[str]:
        args = ", ".join(self.use(a) for a in eq.inputs)
        return [f"{self.define(eq.outputs[0], names)} = _max({args})  # max_data: a constant"]

    def accumulate(self, eq: Equation, names: _Names) -> list[str]:
        return [f"{self.use(eq.outputs[0])} += {self.term(eq.params['term'])}"]

    def path(self, path: Path, indent: str) -> list[str]:
        """The lines of one lowered path: forward (guards checked as it goes), then backward."""
        for i, value, gradient in path.params:
            if i not in self.params:
                self.params[i] = (self.define(value, self.names), self.define(gradient, self.names))
                self.assigned.update(self.params[i])
        names = _Names(self.names.used)  # interior names are the path's own
        lines = [f"{indent}# forward pass, one line per node, parents first"]
        for eq in path.forward:
            lines += [indent + line for line in self.equation(eq, names)]
        lines.append(f"{indent}# backward pass: g_n is _seed times the gradient of the loss wrt n")
        for eq in path.backward:
            lines += [indent + line for line in self.equation(eq, names)]
        return lines

    def program(self, paths: list[Path], inputs: list[Var], args: list[str]) -> Program:
        input_names = [self.define(v, self.names) for v in inputs]
        body: list[str] = []
        guarded = len(paths) > 1 or any(
            eq.primitive == "guard" for path in paths for eq in path.forward
        )
        indent = "        "
        for k, path in enumerate(paths):
            if guarded:
                body.append(f"{indent}try:  # path {k + 1}" if len(paths) > 1 else f"{indent}try:")
                body.extend(self.path(path, indent + "    "))
                body.append(f"{indent}except _Miss:  # another branch: try the next path")
                indent += "    "
            else:
                body.extend(self.path(path, indent))
        if guarded:
            body.append(
                f"{indent}break  # no recorded path: the trace records one for this example"
            )
        load, store = [], []
        for i in sorted(self.params):
            value, gradient = self.params[i]
            load.append(f"    {value} = _P[{i}].data")
            load.append(f"    {gradient} = _P[{i}].grad")
            store.append(f"    _P[{i}].grad = {gradient}")
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
        if len(self.assigned) > _HOT:  # the names used most in the loop are declared first
            hot = [n for n, _ in self.uses.most_common() if n in self.assigned]
            lines.insert(2, "    if False:  # declares the busiest names first (faster)")
            lines.insert(3, f"        {' = '.join(hot[:_HOT])} = None")
        source = "\n".join(lines) + "\n"
        exec(compile(source, "<deltagrad trace>", "exec"), self.namespace)
        return Program(source, detach(self.namespace, ["_program"])["_program"])


# how each primitive of autograd.tracing.lower is written in Python
_WRITERS: dict[str, Callable[[_Emitter, Equation, _Names], list[str]]] = {
    "apply": _Emitter.apply,
    "guard": _Emitter.guard,
    "loss": _Emitter.loss,
    "gradient": _Emitter.gradient,
    "rule": _Emitter.rule,
    "accumulate": _Emitter.accumulate,
    "max": _Emitter.max,
}


def emit(paths: list[Path], inputs: list[Var], args: list[str]) -> Program:
    """The compiled program of a trace's lowered paths (inputs: one variable per input number).

    args are the traced function's argument names, shown in a comment.
    """
    return _Emitter().program(paths, inputs, args)
