"""Lowering: a recorded path of a traced step becomes equations, data that an emitter writes out.

As in jax, a traced computation is first lowered to a list of equations (the primitive, the
variables it reads and writes, its parameters) and only then written as code by an emitter
(``autograd.tracing.python``). The forward equations apply each node's op row; the backward
equations are backward()'s chain rule: each interior node's gradient is the sum of what its
children pass it, in the order backward() adds them, and each parent gets that gradient times
the local derivative from the op's row, evaluated on symbols.

A caller may say what the nodes are: ``describe(node)`` returns a Note (the comments that head
the node's lines in each pass, the word its gradient's name starts with) or None. The engine
itself knows nothing of what a node means.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..symbolic import Expr, SymbolicRow, row_template
from ..value import Value
from .record import Record

__all__ = [
    "SEED",
    "Atom",
    "Describe",
    "Equation",
    "Local",
    "Note",
    "Path",
    "Term",
    "Var",
    "lower",
]


@dataclass(eq=False, slots=True)
class Var:
    """A variable of the program: the name a reader should see, and one to use if it has none.

    of: for a gradient or a held derivative, the variable it belongs to; its name is then
    wanted + "_" + the name of `of` (g_z_2_0). Variables compare by identity.
    """

    wanted: str
    fallback: str
    of: Var | None = None


Atom = Var | float  # what an equation reads: a variable, or a constant as its float

SEED = Var("_seed", "_seed")  # the example's seed: its loss's gradient is seeded with it


@dataclass(frozen=True, slots=True)
class Local:
    """A local derivative: the op row's rule on symbols (expr, its variables bound by names to
    atoms), or output `index` of the rule called on floats, held in the variable `held`."""

    expr: Expr | None
    names: Mapping[str, Atom]  # the row's variables (_i0, _i1, ..., _out) -> atoms
    held: Var | None = None
    index: int = 0


@dataclass(frozen=True, slots=True)
class Term:
    """One contribution to a gradient: gradient · local (local None: the derivative is 1)."""

    gradient: Var
    local: Local | None


@dataclass(frozen=True, slots=True)
class Equation:
    """One step of the program, as data: a primitive, the atoms it reads, the variables it writes.

    primitive  what it does, with its params:
      apply       outputs[0] = params["op"] on inputs; params["row"] is the op's row on symbols
                  (constant inputs folded in, as at run time)
      guard       an example whose inputs[0] fails one of params["tests"] (test, threshold,
                  outcome as recorded) takes another path; params["at"]: the node's position
                  in the record (Record.guards names it so)
      loss        inputs[0] is the example's loss
      gradient    outputs[0] = the sum of params["terms"], left to right; inputs are the node's
                  parents and then the node (params["row"], params["label"]: what it computes)
      rule        outputs[0] = params["op"]'s derivative rule called on inputs (parents, then the
                  output) as floats; params["derivatives"]: the rule on symbols, or None
      accumulate  outputs[0] (a parameter's gradient) += params["term"]
      max         outputs[0] = the largest of inputs: a constant computed from the data
                  (autograd.max_data), recomputed for each example; it has no gradient
    note: the caller's comment heading this step (from describe), or None.
    """

    primitive: str
    inputs: tuple[Atom, ...] = ()
    outputs: tuple[Var, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    note: str | None = None


@dataclass(frozen=True)
class Note:
    """What a caller's describe(node) says about a node, for the generated program.

    forward, backward: a comment heading the node's lines in that pass, shown where it differs
    from the last one shown; gradient: the word the name of the node's gradient starts with.
    For the numpy program (autograd.tracing.vector), where sibling nodes are one array:
    vector, the array's name (z_2); vector_gradient, its gradient's; weights and bias, the
    names of a linear group's weight matrix and bias vector (w_2, b_2); vector_input, the name
    of a linear group's input matrix where it is not an array of its own (the network's input
    a_1, read off the batch); comments, a comment
    for the line that completes the array's gradient ("gradient"), and for the lines that add
    into the weights' and bias's gradients and pass the gradient to the group's input
    ("weights", "bias", "inputs"); key, what the node is as the caller's data (any hashable
    value; nn.program_notes gives its own), by which VectorProgram.lines finds the group's
    lines.
    """

    forward: str | None = None
    backward: str | None = None
    gradient: str = "g"
    vector: str | None = None
    vector_gradient: str | None = None
    weights: str | None = None
    bias: str | None = None
    vector_input: str | None = None
    comments: Mapping[str, str] = field(default_factory=dict)
    key: Hashable | None = None


Describe = Callable[[Value], Note | None]  # a caller's hook: what a node is


@dataclass(frozen=True)
class Path:
    """One recorded path, lowered: its parameters, then its forward and backward equations."""

    params: list[tuple[int, Var, Var]]  # (index in the trace's params, value, gradient)
    forward: list[Equation]  # ends with the loss
    backward: list[Equation]


def _heading(text: str | None, last: list[str | None]) -> str | None:
    """text if it differs from the last heading shown (which it then becomes), else None."""
    if text is None or text == last[0]:
        return None
    last[0] = text
    return text


def _forward_positions(rec: Record) -> list[int]:
    """The positions of rec.order in an order to compute them: parents first (rec.order's), and
    a max_data constant after the values it is the max of (so its users after those too)."""
    order = rec.order
    if not rec.derived:
        return list(range(len(order)))
    position = {id(n): i for i, n in enumerate(order)}
    needs: list[list[int]] = [[position[id(p)] for p in n.parents] for n in order]
    for m, sources in rec.derived.items():
        needs[m] = list(sources)
    users: list[list[int]] = [[] for _ in order]
    waiting = [0] * len(order)
    for i, deps in enumerate(needs):
        for d in set(deps):
            users[d].append(i)
        waiting[i] = len(set(deps))
    ready = [i for i in range(len(order)) if waiting[i] == 0]
    heapq.heapify(ready)
    out: list[int] = []
    while ready:  # the earliest ready position first: rec.order's own order where it can
        i = heapq.heappop(ready)
        out.append(i)
        for u in users[i]:
            waiting[u] -= 1
            if waiting[u] == 0:
                heapq.heappush(ready, u)
    return out


def lower(
    rec: Record,
    inputs: Sequence[Var],
    params: Mapping[int, int],
    param_vars: dict[int, tuple[Var, Var]],
    describe: Describe | None = None,
) -> Path:
    """The equations of one recorded path; param_vars (shared by a trace's paths) grows."""
    order = rec.order
    value: dict[int, Atom] = {id(v): var for v, var in zip(rec.inputs, inputs, strict=True)}
    grad: dict[int, Var] = {}
    path_params: list[tuple[int, Var, Var]] = []
    for n in order:
        if not n.parents and id(n) in params:
            i = params[id(n)]
            if i not in param_vars:
                v = Var(n.label or f"p{i}", f"p{i}")
                param_vars[i] = (v, Var("g", f"g{i}", v))
            value[id(n)], grad[id(n)] = param_vars[i]
            path_params.append((i, *param_vars[i]))
    # the nodes whose gradient reaches a parameter: only their backward equations are needed
    needed: set[int] = set()
    for n in order[: rec.loss_size]:
        if id(n) in params or any(id(p) in needed for p in n.parents):
            needed.add(id(n))
    guards_at: dict[int, list[tuple[str, float, bool]]] = {}
    for pos, test, c, outcome in rec.guards:
        guards_at.setdefault(pos, []).append((test, c, outcome))

    forward: list[Equation] = []
    notes: dict[int, Note | None] = {}
    rows: dict[int, SymbolicRow] = {}
    constant: set[int] = set()
    last: list[str | None] = [None]
    for i in _forward_positions(rec):
        n = order[i]
        if not n.parents:
            if id(n) in value:
                pass
            elif i in rec.derived:  # the max of values computed before it (max_data)
                out = Var("m", f"v{i}")
                value[id(n)] = out
                sources = tuple(value[id(order[k])] for k in rec.derived[i])
                forward.append(Equation("max", sources, (out,)))
            else:  # a constant: part of the program
                constant.add(id(n))
                value[id(n)] = n.data
        else:
            note = notes[id(n)] = describe(n) if describe is not None else None
            # the row on symbols, its constant inputs folded in (the same floats as at run time)
            row = rows[id(n)] = row_template(
                n._op, tuple(p.data if id(p) in constant else None for p in n.parents)
            )
            out = Var(n.label or "", f"v{i}")
            value[id(n)] = out
            forward.append(
                Equation(
                    "apply",
                    tuple(value[id(p)] for p in n.parents),
                    (out,),
                    {"op": n._op, "row": row, "note": note},
                    _heading(note.forward if note else None, last),
                )
            )
        # the branches the recorded call took here; another example may take another path
        tests = guards_at.pop(i, None)
        if tests:
            guard = {"tests": tuple(tests), "at": i}
            forward.append(Equation("guard", (value[id(n)],), params=guard))
    root = rec.root
    forward.append(Equation("loss", (value[id(root)],)))

    # An interior node's gradient is the sum of its children's contributions in the order
    # backward() adds them, collected here and summed just before the node passes its gradient
    # on. Parameters add theirs into their running total at once, as leaves do.
    backward: list[Equation] = []
    terms: dict[int, list[Term]] = {}
    if id(root) in needed:
        if root.parents:
            terms[id(root)] = [Term(SEED, None)]
        else:
            backward.append(
                Equation("accumulate", (), (grad[id(root)],), {"term": Term(SEED, None)})
            )
    last = [None]
    for n in reversed(order):
        if not n.parents or id(n) not in needed:
            continue
        note, row, node = notes[id(n)], rows[id(n)], value[id(n)]
        assert isinstance(node, Var)  # an interior node's value is a variable
        g = Var(note.gradient if note else "g", "g", node)
        args = (*(value[id(p)] for p in n.parents), node)
        backward.append(
            Equation(
                "gradient",
                args,
                (g,),
                {"terms": tuple(terms.pop(id(n))), "row": row, "label": n.label},
                _heading(note.backward if note else None, last),
            )
        )
        names = {f"_i{k}": a for k, a in enumerate(args[:-1])}
        names["_out"] = node
        derivatives = row.derivatives
        locals_: list[Local | None]
        # A rule with no symbolic form runs as it is, on floats; so does a rule that branches on
        # data: its symbolic form builds the branch from 0/1 masks, and the float branch the
        # eager pass takes can differ from that at its edges (a NaN, a signed zero), so the
        # program calls the rule itself and shows the formula.
        if derivatives is None or any(d.has_comparison() for d in derivatives):
            held = Var("local", "local", node)
            backward.append(
                Equation("rule", args, (held,), {"op": n._op, "derivatives": derivatives})
            )
            locals_ = [Local(None, names, held, k) for k in range(len(n.parents))]
        else:
            locals_ = [
                None if d.kind == "const" and d.value == 1.0 else Local(d, names)
                for d in derivatives
            ]
        for p, local in zip(n.parents, locals_, strict=True):
            if id(p) not in needed:
                continue
            term = Term(g, local)
            if id(p) in grad:  # a parameter
                backward.append(Equation("accumulate", (), (grad[id(p)],), {"term": term}))
            else:
                terms.setdefault(id(p), []).append(term)
    return Path(path_params, forward, backward)
