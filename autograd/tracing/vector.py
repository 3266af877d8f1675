"""The numpy emitter: one lowered path as array code over a batch, sibling nodes as arrays.

``trace(fn, params, backend="numpy")`` writes this program beside the Python one. Every value
the per-example program computes becomes an array over the batch (one row per example), and
the equations are grouped where sibling nodes do the same thing to the same values:

- sibling ``linear`` nodes that read the same input vector, each with its own parameters as
  weights and bias, are one matrix product plus a bias: ``Z = X @ W.T + b``; a weighted sum
  built from + and * (micrograd's ``sum((w_k * x_k ...), b)``, nn's ``expand=True``) is read as
  the linear node it adds up to first (fuse_linear);
- the same one-input op applied to the members of such a group is one array op: ``A = f(Z)``;
- anything else is one array op per node, on the batch's column of each input.

The groups are found from the equations alone (the op of each node and which values it reads),
not from what a caller's objects are, so any graph of the same shape is grouped too. The
backward pass of a group comes from its op's row: ``linear``'s local derivatives ∂z/∂w_k = x_k,
∂z/∂x_k = w_k, ∂z/∂b = 1 (checked on the row before a group is made) give, over the batch,
``gW = gZᵀ X``, ``gX = gZ W``, ``gb = Σ gZ``; a one-input op's derivative formula is evaluated
on whole arrays. numpy is imported when such a program is made, never by ``import autograd``.

The numbers agree with the eager engine's to rounding (a matrix product adds in another
order), not to the bit; the Python trace stays the exact one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import ops as _ops
from ..ops import DomainError
from ..symbolic import Expr, row_template
from .lower import Atom, Equation, Path, Var
from .python import detach

__all__ = ["Miss", "PathProgram", "VectorProgram", "emit_vector"]


def _run(indices: Sequence[int]) -> slice | None:
    """The slice of these parameter indices when they run on, one after another (as an MLP's
    weights do, row by row): a view of _data and _grad, where an index array copies."""
    if not indices or list(indices) != list(range(indices[0], indices[0] + len(indices))):
        return None
    return slice(indices[0], indices[0] + len(indices))


def _literal(x: float) -> str:
    """x as source: a number, or the names of infinity and NaN in the program's namespace."""
    if math.isfinite(x):
        return f"({x!r})" if x < 0 or math.copysign(1.0, x) < 0 else repr(x)
    if math.isnan(x):
        return "_nan"
    return "_inf" if x > 0 else "(-_inf)"


class Miss(Exception):
    """Raised inside a program when an example of the batch fails the path's guard."""


@dataclass
class PathProgram:
    """The compiled array program of one path: its source, its step, and (where a trace has
    several paths) fits(R, data), a mask of the batch's examples that pass the checks that
    tell this path from the later ones (its step checks the rest).

    step(R, data, grad): R one row per example (its seed, then its inputs), data and grad
    every parameter's value and gradient by its index in the trace; raises Miss if an example
    fails one of the path's checks. index: the parameters the path reads.
    """

    source: str
    step: Callable[[Any, Any, Any], Any]
    fits: Callable[[Any, Any], Any] | None
    index: list[int]
    lines: dict[tuple[Any, str], str] = field(default_factory=dict)  # (Note.key, which) -> line


@dataclass(eq=False)
class _Linear:
    """Sibling linear nodes over one input vector: Z = X @ W.T + b."""

    xs: tuple[Atom, ...]
    members: list[Equation] = field(default_factory=list)
    weights: list[list[int]] = field(default_factory=list)  # param indices, one row per member
    biases: list[Any] = field(default_factory=list)  # param indices, or the constants
    constant_bias: bool = False  # a bias that is a number, not a parameter (linear(w, x, 0.0))
    name: str = ""
    # names in the program: the weight matrix, the bias, their index arrays, the input matrix
    w: str = ""
    b: str = ""
    w_index: str = ""
    b_index: str = ""
    w_shape: str = ""  # ".reshape(r, c)" where the weights are a slice of _data and _grad
    x: str = ""


@dataclass(eq=False)
class _Map:
    """One op applied column by column over the batch: member j reads column j of every group
    input (the same j for each), the same value for each shared input, and its own constant
    where the members' constants differ (masks [c = i] for i = 0, 1, ...)."""

    op: Any
    row: Any  # the op's row with every input a variable: a constant is a row vector here
    kinds: tuple[str, ...]  # per input: "g" a group's column, "s" shared, "c" a constant
    sources: dict[int, Any] = field(default_factory=dict)  # input position -> its group
    shared: dict[int, Atom] = field(default_factory=dict)  # input position -> the shared atom
    members: list[Equation] = field(default_factory=list)
    columns: list[int] = field(default_factory=list)  # the column each member reads (or its index)
    name: str = ""
    constants: dict[int, str] = field(default_factory=dict)  # "c" position -> its vector's name


_Group = _Linear | _Map


def _linear_row_is_a_product(row: Any, n: int) -> bool:
    """True if linear's row says ∂z/∂w_k = x_k, ∂z/∂x_k = w_k, ∂z/∂b = 1 (the matrix form)."""
    ds = row.derivatives
    if ds is None or len(ds) != 2 * n + 1:
        return False
    for k in range(n):
        if ds[k].kind != "var" or ds[k].value != f"_i{n + k}":
            return False
        if ds[n + k].kind != "var" or ds[n + k].value != f"_i{k}":
            return False
    return bool(ds[2 * n].kind == "const" and ds[2 * n].value == 1.0)


def _numpy_functions(np: Any) -> dict[Callable[..., Any], Callable[..., Any]]:
    """Array versions of the float functions rows call (others run element by element)."""
    o = _ops.OPS

    def sigmoid(x: Any) -> Any:
        e = np.exp(-np.abs(x))
        return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))

    def relu(x: Any) -> Any:
        return np.where(x > 0.0, x, 0.0)

    def softplus(x: Any) -> Any:
        return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))

    def mask(test: Any) -> Callable[[Any, Any], Any]:
        def compare(x: Any, y: Any) -> Any:
            return np.where(test(x, y), 1.0, 0.0)

        compare.__name__ = str(test.__name__)  # the program calls it by numpy's name
        return compare

    gelu_c, gelu_a = _ops._GELU_C, _ops._GELU_A

    def gelu(x: Any) -> Any:  # the tanh approximation, as the row's forward writes it
        return 0.5 * x * (1.0 + np.tanh(gelu_c * (x + gelu_a * x * x * x)))

    table: dict[Callable[..., Any], Callable[..., Any]] = {
        o["exp"].forward: np.exp,
        o["log"].forward: np.log,
        o["tanh"].forward: np.tanh,
        o["sqrt"].forward: np.sqrt,
        o["sin"].forward: np.sin,
        o["cos"].forward: np.cos,
        o["tan"].forward: np.tan,
        o["arcsin"].forward: np.arcsin,
        o["arccos"].forward: np.arccos,
        o["arctan"].forward: np.arctan,
        o["abs"].forward: np.abs,
        o["sigmoid"].forward: sigmoid,
        o["relu"].forward: relu,
        o["softplus"].forward: softplus,
        o["gelu"].forward: gelu,
        o["**"].forward: np.power,
        # comparisons: 0/1 masks, as the rows compute them one number at a time
        o["<"].forward: mask(np.less),
        o["<="].forward: mask(np.less_equal),
        o[">"].forward: mask(np.greater),
        o[">="].forward: mask(np.greater_equal),
        math.exp: np.exp,
        math.log: np.log,
        math.sqrt: np.sqrt,
        math.tanh: np.tanh,
        math.sin: np.sin,
        math.cos: np.cos,
        abs: np.abs,
    }
    return table


def _family(op: Any, args: Sequence[str]) -> str | None:
    """A member of a family of ops (x**c, c**x, leaky_relu, elu) as array code, or None."""
    if op is None or op.family is None or op.constant is None or len(args) != 1:
        return None
    x, c = args[0], _literal(float(op.constant))
    if op.family == "x**c":
        return f"_np.power({x}, {c})"
    if op.family == "c**x":
        return f"_np.power({c}, {x})"
    if op.family == "leaky_relu":
        return f"_np.where({x} > 0.0, {x}, {c} * {x})"
    if op.family == "elu":  # expm1 of the negative side only: no overflow on the other
        return f"_np.where({x} > 0.0, {x}, {c} * _np.expm1(_np.minimum({x}, 0.0)))"
    return None


_SUMS = ("+", "sum")  # ops whose output is the sum of their inputs


def fuse_linear(path: Path) -> Path:
    """The path with every sum of products Σ_k w_k x_k + b written as one linear equation.

    A weighted sum written micrograd's way, ``sum((w_k * x_k for k ...), b)``, or nn's with
    ``expand=True``, ``((w_0 a_0 + w_1 a_1) + ...) + b``, is the linear node
    z = b + Σ_k w_k x_k built from + and *. It is found here from the equations: a tree of +
    and sum nodes, each inner one read by nothing else, whose leaves are products of a
    parameter and a value read by nothing else, at most one bare parameter (the bias), and
    numbers. It becomes the one ``linear`` equation its row describes, so that siblings over
    one input vector group into a matrix product as autograd.linear nodes do. The inner nodes
    have no other reader, so nothing else needs them; the numbers differ from the eager
    engine's only by the order of the additions.
    """
    params = {id(v) for _, v, _ in path.params}
    made: dict[int, Equation] = {}  # a variable -> the apply equation that computes it
    uses: dict[int, int] = {}  # a variable -> how many equation inputs read it
    for eq in path.forward:
        for a in eq.inputs:
            if isinstance(a, Var):
                uses[id(a)] = uses.get(id(a), 0) + 1
        if eq.primitive == "apply":
            made[id(eq.outputs[0])] = eq

    def inner(a: Atom, names: tuple[str, ...]) -> Equation | None:
        """The equation of one of these ops that computes a, if a is read only once."""
        if not isinstance(a, Var) or uses.get(id(a)) != 1:
            return None
        eq = made.get(id(a))
        return eq if eq is not None and eq.params["op"].name in names else None

    sums = [eq for eq in made.values() if eq.params["op"].name in _SUMS]
    absorbed = {id(e) for eq in sums for a in eq.inputs if (e := inner(a, _SUMS))}
    replaced: dict[int, Equation] = {}  # a root's id -> its linear equation
    dropped: set[int] = set()
    for root in sums:
        if id(root) in absorbed:
            continue
        tree = [root]  # the root and the + and sum nodes under it, read by nothing else
        leaves: list[Atom] = []
        stack = list(reversed(root.inputs))
        while stack:  # the leaves left to right
            a = stack.pop()
            e = inner(a, _SUMS)
            if e is None:
                leaves.append(a)
            else:
                tree.append(e)
                stack.extend(reversed(e.inputs))
        products = [inner(a, ("*",)) for a in leaves]
        fused = _as_linear(root, leaves, products, params)
        if fused is not None:
            replaced[id(root)] = fused
            dropped.update(id(e) for e in [*products, *tree[1:]] if e is not None)
    if not replaced:
        return path
    forward = [replaced.get(id(eq), eq) for eq in path.forward if id(eq) not in dropped]
    return Path(path.params, forward, path.backward)


def _as_linear(
    root: Equation,
    leaves: Sequence[Atom],
    products: Sequence[Equation | None],
    params: set[int],
) -> Equation | None:
    """The linear equation of a sum whose terms are these leaves, or None if they are not
    products w_k · x_k of a parameter and a value (each products[k], read only by the sum),
    at most one bare parameter (the bias) and numbers (a bias of their sum, if no parameter)."""
    ws: list[Atom] = []
    xs: list[Atom] = []
    bias: Atom | None = None
    constant = 0.0
    for a, product in zip(leaves, products, strict=True):
        if not isinstance(a, Var):
            constant += a
        elif id(a) in params and bias is None:
            bias = a
        elif product is not None and sum(_is_param(v, params) for v in product.inputs) == 1:
            w, x = product.inputs
            if not _is_param(w, params):
                w, x = x, w
            if not isinstance(x, Var):
                return None
            ws.append(w)
            xs.append(x)
        else:
            return None
    if not ws or (bias is not None and constant != 0.0):
        return None
    n = len(ws)
    linear = _ops.OPS["linear"]
    folded = (None,) * (2 * n) + ((constant,) if bias is None else (None,))
    notes = [e.note for e in [*products, root] if e is not None and e.note]
    return Equation(
        "apply",
        (*ws, *xs, constant if bias is None else bias),
        root.outputs,
        {"op": linear, "row": row_template(linear, folded), "note": root.params.get("note")},
        notes[0] if notes else root.note,
    )


def _is_param(a: Atom, params: set[int]) -> bool:
    return isinstance(a, Var) and id(a) in params


class _Writer:
    """Writes one path's array program."""

    def __init__(self, path: Path, inputs: Sequence[Var], np: Any) -> None:
        self.path = path
        self.np = np
        self.fast = _numpy_functions(np)
        self.namespace: dict[str, Any] = {
            "_np": np,
            "_Miss": Miss,
            "_inf": math.inf,
            "_nan": math.nan,
        }
        self.functions: dict[Callable[..., Any], str] = {}
        self.used: set[str] = {"_np", "_Miss", "_inf", "_nan", "_R", "_P", "_X", "_seed", "_data"}
        self.param_of: dict[int, int] = {id(v): i for i, v, _ in path.params}
        self.input_of: dict[int, int] = {id(v): k for k, v in enumerate(inputs)}
        self.name: dict[int, str] = {}  # a single node's array, by the id of its Var
        self.member: dict[int, tuple[_Group, int]] = {}  # a grouped node: its group and column
        self.groups: list[_Group] = []
        self.scalars: set[int] = set()  # parameters used one by one (not in a group)
        self.arrays: set[int] = set()  # single nodes computed as arrays over the batch
        self.written: dict[int, int] = {}  # a group -> the backward line that last added to it
        # a guard's line in the forward pass -> its test's mask, and the node's record position
        self.guards: dict[int, tuple[str, Any]] = {}
        self.marked: list[tuple[Any, str, int]] = []  # (Note.key, which line, its backward line)
        # the forward pass's lines by what wrote them: (first, end, variables read, computed)
        self.chunks: list[tuple[int, int, set[int], set[int]]] = []

    # ------------------------------------------------------------------ names
    def make(self, wanted: str, fallback: str) -> str:
        base = "".join(c if c.isalnum() else "_" for c in wanted).strip("_") or fallback
        if base[0].isdigit():
            base = "v_" + base
        name, k = base, 2
        while name in self.used:
            name, k = f"{base}_{k}", k + 1
        self.used.add(name)
        return name

    def function(self, fn: Callable[..., Any], wanted: str) -> str:
        if fn not in self.functions:
            array = self.fast.get(fn)
            if array is None:  # no array version: element by element, as the row computes it
                array = self.np.vectorize(fn, otypes=[float])
            else:  # named as numpy names it (power for **)
                wanted = str(getattr(array, "__name__", wanted))
            name = "_" + self.make(wanted, "f")
            self.functions[fn] = name
            self.namespace[name] = array
        return self.functions[fn]

    def atom(self, a: Atom) -> str:
        """An input of an equation as an array expression (or a number)."""
        if not isinstance(a, Var):
            return _literal(a)
        key = id(a)
        if key in self.param_of:
            i = self.param_of[key]
            self.scalars.add(i)
            return f"_data[{i}]"
        if key in self.input_of:
            return f"_X[:, {self.input_of[key]}]"
        if key in self.member:
            group, column = self.member[key]
            return f"{group.name}[:, {column}]"
        return self.name[key]

    def is_array(self, a: Atom) -> bool:
        """True if a has a value per example (an input, or computed from one)."""
        return (
            isinstance(a, Var)
            and id(a) not in self.param_of
            and (id(a) in self.input_of or id(a) in self.member or id(a) in self.arrays)
        )

    def formula(self, e: Expr, names: Mapping[str, str]) -> str:
        """e as array code: operators on arrays, comparisons as 0/1 masks."""
        memo: dict[int, str] = {}
        stack: list[tuple[Expr, bool]] = [(e, False)]
        while stack:
            x, done = stack.pop()
            if id(x) in memo:
                continue
            if not done:
                stack.append((x, True))
                stack.extend((a, False) for a in x.args)
                continue
            kind = x.kind
            if kind == "var":
                text = names[x.value]
            elif kind == "const":
                text = _literal(float(x.value))
            elif kind == "neg":
                text = f"(-{memo[id(x.args[0])]})"
            elif kind == "call":
                assert x.fn is not None
                args = [memo[id(a)] for a in x.args]
                family = _family(x.op, args)
                if family is not None:
                    text = family
                else:
                    text = f"{self.function(x.fn, str(x.value))}({', '.join(args)})"
            else:
                a, b = (memo[id(y)] for y in x.args)
                if kind in ("<", "<=", ">", ">=", "==", "!="):
                    text = f"_np.where({a} {kind} {b}, 1.0, 0.0)"
                else:
                    text = f"({a} {kind} {b})"
            memo[id(x)] = text
        return memo[id(e)]

    # ------------------------------------------------------------------ grouping
    def find_groups(self) -> None:
        """Which apply equations form groups: linear siblings, then ops over them column by
        column."""
        linear: dict[tuple[Any, ...], _Linear] = {}
        maps: dict[tuple[Any, ...], _Map] = {}
        for eq in self.path.forward:
            if eq.primitive != "apply":
                continue
            op, row = eq.params["op"], eq.params["row"]
            out = eq.outputs[0]
            if op.name == "linear":
                n = (len(eq.inputs) - 1) // 2
                ws, xs, b = eq.inputs[:n], eq.inputs[n : 2 * n], eq.inputs[-1]
                params = [self.param_of.get(id(w)) for w in (*ws, b)]
                bias = params[n]
                constant = bias is None and not isinstance(b, Var)  # linear(w, x, 0.0)
                if (
                    n == 0
                    or None in params[:n]
                    or (bias is None and not constant)
                    or not _linear_row_is_a_product(row, n)
                ):
                    continue
                key = (*(id(x) if isinstance(x, Var) else ("c", x) for x in xs), constant)
                group = linear.get(key)
                if group is None:
                    group = linear[key] = _Linear(tuple(xs), constant_bias=constant)
                    self.groups.append(group)
                self.member[id(out)] = (group, len(group.members))
                group.members.append(eq)
                group.weights.append([p for p in params[:n] if p is not None])
                group.biases.append(float(b) if constant else bias)  # type: ignore[arg-type]
                continue
            self.map_member(eq, maps)
        # a linear group's nodes in the order of their parameters (as a model lists them, its
        # them), and an op over groups in the order of their columns
        for g in self.groups:
            if isinstance(g, _Linear):
                lead = [w[0] for w in g.weights] if g.constant_bias else list(g.biases)
                order = sorted(range(len(g.members)), key=lambda m: lead[m])
                g.members = [g.members[m] for m in order]
                g.weights = [g.weights[m] for m in order]
                g.biases = [g.biases[m] for m in order]
            elif not g.sources:  # no group read: in the order of the members' constants
                consts = [tuple(a for a in eq.inputs if not isinstance(a, Var)) for eq in g.members]
                order = sorted(range(len(consts)), key=consts.__getitem__)
                g.members = [g.members[m] for m in order]
                g.columns = list(range(len(order)))
            else:
                first = min(g.sources)
                source = g.sources[first]
                position = {id(eq.outputs[0]): c for c, eq in enumerate(source.members)}
                # the source's columns as they are once sorted
                cols = [position[id(eq.inputs[first])] for eq in g.members]
                order = sorted(range(len(cols)), key=cols.__getitem__)
                g.members = [g.members[m] for m in order]
                g.columns = [cols[m] for m in order]
            for c, eq in enumerate(g.members):
                self.member[id(eq.outputs[0])] = (g, c)
        # an op over one column is that one node, and so is each op over it
        while True:
            gone = [
                g
                for g in self.groups
                if isinstance(g, _Map)
                and (
                    len(g.members) < 2
                    or any(all(s is not h for h in self.groups) for s in g.sources.values())
                )
            ]
            if not gone:
                break
            for g in gone:
                for eq in g.members:
                    del self.member[id(eq.outputs[0])]
            self.groups = [g for g in self.groups if all(g is not h for h in gone)]
        for k, g in enumerate(self.groups):
            g.name = self.make(self.group_name(g, k), f"G{k}")
        # the member of each group the forward pass meets first: where the group is computed
        self.first: dict[int, Equation] = {}
        for eq in self.path.forward:
            if eq.primitive == "apply" and id(eq.outputs[0]) in self.member:
                self.first.setdefault(id(self.member[id(eq.outputs[0])][0]), eq)

    def map_member(self, eq: Equation, maps: dict[tuple[Any, ...], _Map]) -> None:
        """Put eq in the column-by-column group of its kind, if it reads group columns (all at
        one index) or constants that differ between such equations."""
        op = eq.params["op"]
        kinds: list[str] = []
        sources: dict[int, Any] = {}
        shared: dict[int, Atom] = {}
        column = None
        for k, a in enumerate(eq.inputs):
            if isinstance(a, Var) and id(a) in self.member:
                g, j = self.member[id(a)]
                if column is not None and column != j:
                    return  # columns at different indices: not column by column
                column = j
                kinds.append("g")
                sources[k] = g
            elif isinstance(a, Var):
                kinds.append("s")
                shared[k] = a
            else:
                kinds.append("c")
        if column is None and "c" not in kinds:
            return  # nothing varies from one such equation to the next
        row = row_template(op, (None,) * len(eq.inputs))
        if row.forward is None or row.derivatives is None:
            return
        key = (
            id(op),
            tuple(kinds),
            tuple((k, id(g)) for k, g in sources.items()),
            tuple((k, id(a)) for k, a in shared.items()),
        )
        group = maps.get(key)
        index = column if column is not None else len(group.members) if group else 0
        if group is None or index in group.columns:
            group = maps[key] = _Map(op, row, tuple(kinds), sources, shared)
            self.groups.append(group)
            index = column if column is not None else 0
        self.member[id(eq.outputs[0])] = (group, len(group.members))
        group.members.append(eq)
        group.columns.append(index)

    def group_name(self, g: _Group, k: int) -> str:
        """The caller's name for the group's array (describe's Note.vector), else Z0, A1, ..."""
        note = g.members[0].params.get("note")
        if note is not None and note.vector:
            return str(note.vector)
        return f"{'Z' if isinstance(g, _Linear) else 'A'}{k}"

    def group_names(self, g: _Group) -> tuple[str, str, str]:
        """The names of g's gradient, and of a linear group's weight matrix and bias vector."""
        note = g.members[0].params.get("note")
        gradient = (note.vector_gradient if note is not None else None) or f"g_{g.name}"
        weights = (note.weights if note is not None else None) or f"W_{g.name}"
        bias = (note.bias if note is not None else None) or f"b_{g.name}"
        return gradient, weights, bias

    # ------------------------------------------------------------------ forward
    def matrix(self, atoms: Sequence[Atom]) -> str:
        """The batch's matrix whose columns are these atoms (a slice or a group where it can)."""
        keys = [id(a) if isinstance(a, Var) else None for a in atoms]
        cols = [self.input_of.get(k) if k is not None else None for k in keys]
        if all(c is not None for c in cols):
            first = cols[0]
            assert first is not None
            if cols == list(range(first, first + len(cols))):
                return f"_X[:, {first}:{first + len(cols)}]"
            return f"_X[:, {cols!r}]"
        members = [self.member.get(k) if k is not None else None for k in keys]
        if all(m is not None for m in members):
            groups = {id(m[0]) for m in members if m is not None}
            if len(groups) == 1:
                g = members[0][0]  # type: ignore[index]
                columns = [m[1] for m in members if m is not None]
                if columns == list(range(len(g.members))):
                    return g.name
                return f"{g.name}[:, {columns!r}]"
        return f"_np.stack([{', '.join(self.atom(a) for a in atoms)}], axis=1)"

    def forward(self) -> list[str]:
        """The forward pass's lines; self.chunks says which lines each equation (or group)
        wrote, what they read and what they computed (by the ids of the variables)."""
        out: list[str] = []
        emitted: set[int] = set()
        for eq in self.path.forward:
            start = len(out)
            self.forward_one(eq, out, emitted)
            if len(out) == start:
                continue
            key = id(eq.outputs[0]) if eq.outputs else None
            group = self.member[key][0] if key in self.member else None
            made = group.members if group is not None else [eq]
            reads = {id(a) for e in made for a in e.inputs if isinstance(a, Var)}
            writes = {id(v) for e in made for v in e.outputs}
            self.chunks.append((start, len(out), reads, writes))
        return out

    def forward_one(self, eq: Equation, out: list[str], emitted: set[int]) -> None:
        """Add eq's lines to out (a group's, at its first member; nothing at the others)."""
        note = [f"# {eq.note}"] if eq.note else []
        if eq.primitive == "apply":
            key = id(eq.outputs[0])
            if key in self.member:
                group, _ = self.member[key]
                if id(group) in emitted:
                    return
                emitted.add(id(group))
                out += note + self.forward_group(group)
                return
            op, row = eq.params["op"], eq.params["row"]
            name = self.name[key] = self.make(eq.outputs[0].wanted, "v")
            if any(self.is_array(a) for a in eq.inputs):
                self.arrays.add(key)
            else:  # made an array below, with + _zero
                self.arrays.add(key)
            names = {f"_i{k}": self.atom(a) for k, a in enumerate(eq.inputs)}
            whole = self.whole_group(eq.inputs) if op.name in ("sum", "mean") else None
            if whole is not None:  # a sum over a group's columns: one row-wise reduction
                mean = f" / {float(len(eq.inputs))!r}" if op.name == "mean" else ""
                text = f"{whole.name}.sum(axis=1){mean}"
            elif op.name == "linear" and row.forward.depth() > 50:
                n = (len(eq.inputs) - 1) // 2
                text = (
                    f"{self.matrix(eq.inputs[n : 2 * n])} @ "
                    f"_np.array([{', '.join(self.atom(a) for a in eq.inputs[:n])}]) + "
                    f"{self.atom(eq.inputs[-1])}"
                )
            else:
                text = self.formula(row.forward, names)
            if not any(self.is_array(a) for a in eq.inputs):
                text += " + _zero"  # parameters and constants only: one value per example
            out += [*note, f"{name} = {text}"]
        elif eq.primitive == "guard":
            x = self.atom(eq.inputs[0])
            tests = {(test, c, outcome) for test, c, outcome in eq.params["tests"]}
            at = eq.params.get("at")
            if tests == {(">", -math.inf, True), ("<", math.inf, True)}:
                # −inf < x < inf on every example: isfinite, a quarter of the two tests' time
                self.guards[len(out)] = (f"_np.isfinite({x})", at)
                out.append(f"if not _np.isfinite({x}).all(): raise _Miss")
                return
            checks = []
            for test, c, outcome in eq.params["tests"]:
                said = f"({x} {test} {_literal(c)})"
                checks.append(said if outcome else f"~{said}")
            self.guards[len(out)] = (" & ".join(checks), at)
            out.append(f"if not _np.all({' & '.join(checks)}): raise _Miss")
        elif eq.primitive == "max":  # max_data: each example's own max, row by row
            name = self.name[id(eq.outputs[0])] = self.make("m", "m")
            self.arrays.add(id(eq.outputs[0]))
            out.append(f"{name} = {self.matrix(eq.inputs)}.max(axis=1)  # max_data")
        elif eq.primitive == "loss":
            loss = eq.inputs[0]
            zero = "" if self.is_array(loss) else " + _zero"
            out.append(f"_loss = {self.atom(loss)}{zero}")

    def forward_group(self, g: _Group) -> list[str]:
        if isinstance(g, _Linear):
            _, w, b = self.group_names(g)
            g.w, g.b = self.make(w, "W"), self.make(b, "b")
            g.w_index = self.make(f"{g.w}_index", "W_index")
            g.b_index = self.make(f"{g.b}_index", "b_index")
            # where the parameters are in _data and _grad: a slice where they run on (a view,
            # the weights reshaped to their matrix), else an array of their indices
            w_run = _run([i for row in g.weights for i in row])
            b_run = None if g.constant_bias else _run(g.biases)
            self.namespace[g.w_index] = (
                w_run if w_run is not None else self.np.array(g.weights, dtype=self.np.intp)
            )
            if g.constant_bias:  # numbers, not parameters: the bias vector itself
                self.namespace[g.b_index] = self.np.array(g.biases, dtype=float)
            else:
                self.namespace[g.b_index] = (
                    b_run if b_run is not None else self.np.array(g.biases, dtype=self.np.intp)
                )
            if w_run is not None:
                g.w_shape = f".reshape({len(g.weights)}, {len(g.weights[0])})"
            x = self.matrix(g.xs)
            if not x.isidentifier():
                note = g.members[0].params.get("note")
                wanted = note.vector_input if note is not None else None
                g.x = self.make(wanted or f"{g.name}_in", "X")
                lines = [f"{g.x} = {x}"]
            else:
                g.x, lines = x, []
            return [
                f"{g.w} = _data[{g.w_index}]{g.w_shape}",
                f"{g.b} = {g.b_index}" if g.constant_bias else f"{g.b} = _data[{g.b_index}]",
                *lines,
                f"{g.name} = {g.x} @ {g.w}.T + {g.b}",
            ]
        text = self.formula(g.row.forward, self.map_names(g))
        return [f"{g.name} = {text}"]

    def map_names(self, g: _Map) -> dict[str, str]:
        """The row's variables for a column-by-column group: matrices, shared columns, rows."""
        names: dict[str, str] = {}
        for k, kind in enumerate(g.kinds):
            if kind == "g":
                src = g.sources[k]
                full = g.columns == list(range(len(src.members)))
                names[f"_i{k}"] = src.name if full else f"{src.name}[:, {g.columns!r}]"
            elif kind == "s":
                a = g.shared[k]
                names[f"_i{k}"] = f"{self.atom(a)}[:, None]" if self.is_array(a) else self.atom(a)
            else:
                if k not in g.constants:
                    g.constants[k] = self.make(f"_{g.name}_c{k}", "c")
                    values = [float(eq.inputs[k]) for eq in g.members]  # type: ignore[arg-type]
                    self.namespace[g.constants[k]] = self.np.array(values)
                names[f"_i{k}"] = g.constants[k]
        names["_out"] = g.name
        return names

    # ------------------------------------------------------------------ backward
    def backward(self) -> list[str]:
        """Reverse mode over the forward equations, a group's gradient as one matrix."""
        out: list[str] = []
        # the values that lead to a parameter: only their gradients are computed
        needed: set[int] = set(self.param_of)
        for eq in self.path.forward:
            if eq.primitive == "apply" and any(
                isinstance(a, Var) and id(a) in needed for a in eq.inputs
            ):
                needed.add(id(eq.outputs[0]))
        single: dict[int, str] = {}  # a single node's gradient array, once it has one
        whole: dict[int, str] = {}  # a group's gradient matrix, once it has one

        def group_grad(g: _Group) -> str:
            if id(g) not in whole:
                whole[id(g)] = self.make(self.group_names(g)[0], "gG")
                out.append(f"{whole[id(g)]} = _np.zeros_like({g.name})")
            return whole[id(g)]

        def add(a: Atom, term: str) -> None:
            """Add term (an array over the batch) to the gradient of a."""
            if not isinstance(a, Var) or id(a) not in needed:
                return
            key = id(a)
            if key in self.param_of:
                out.append(f"_grad[{self.param_of[key]}] += _np.sum({term})")
            elif key in self.member:
                group, column = self.member[key]
                out.append(f"{group_grad(group)}[:, {column}] += {term}")
                self.written[id(group)] = len(out) - 1
            elif key in single:
                out.append(f"{single[key]} = {single[key]} + {term}")
            else:
                single[key] = self.make(f"g_{self.name[key]}", "g")
                out.append(f"{single[key]} = {term}")

        def add_group(g: _Group, term: str) -> None:
            """Add term (a matrix over the batch and g's columns) to g's gradient."""
            if not any(id(eq.outputs[0]) in needed for eq in g.members):
                return
            if id(g) in whole:
                out.append(f"{whole[id(g)]} = {whole[id(g)]} + {term}")
            else:
                whole[id(g)] = self.make(self.group_names(g)[0], "gG")
                out.append(f"{whole[id(g)]} = {term}")
            self.written[id(g)] = len(out) - 1

        last: list[str | None] = [None]

        def heading(eq: Equation) -> None:
            """The caller's comment on this part of the backward pass, where it changes."""
            note = eq.params.get("note")
            text = note.backward if note is not None else None
            if text is not None and text != last[0]:
                out.append(f"# {text}")
                last[0] = text

        add(self.path.forward[-1].inputs[0], "_seed")
        done: set[int] = set()
        for eq in reversed(self.path.forward):
            if eq.primitive != "apply" or id(eq.outputs[0]) not in needed:
                continue
            key = id(eq.outputs[0])
            if key in self.member:
                group, _ = self.member[key]
                # a group's backward comes once every member's gradient is complete: at the
                # member the forward pass computed first (the last one this reverse loop meets)
                if eq is not self.first[id(group)] or id(group) in done:
                    continue
                done.add(id(group))
                if id(group) not in whole:  # nothing reaches it
                    continue
                heading(eq)
                self.backward_group(group, whole[id(group)], add, add_group, out)
                continue
            if key not in single:
                continue
            g = single[key]
            row = eq.params["row"]
            names = {f"_i{k}": self.atom(a) for k, a in enumerate(eq.inputs)}
            names["_out"] = self.atom(eq.outputs[0])
            heading(eq)
            ds = row.derivatives
            over = self.whole_group(eq.inputs)
            if (
                over is not None
                and ds is not None
                and all(d.kind == "const" and d.value == ds[0].value for d in ds)
            ):  # a sum (or mean) over a group's columns: its gradient to every column at once
                c = float(ds[0].value)
                add_group(over, f"{g}[:, None]" + ("" if c == 1.0 else f" * {c!r}"))
                continue
            if ds is None or (
                any(d.has_comparison() for d in ds) and eq.params["op"].name in ("**",)
            ):  # the row's own rule, example by example (its special cases included)
                rule = self.rule(eq.params["op"])
                held = self.make("local", "local")
                args = ", ".join(names[f"_i{k}"] for k in range(len(eq.inputs)))
                out.append(f"{held} = {rule}(_zero, {args}, {names['_out']})")
                for k, a in enumerate(eq.inputs):
                    add(a, f"{g} * {held}[{k}]")
                continue
            for a, d in zip(eq.inputs, ds, strict=True):
                if not isinstance(a, Var) or id(a) not in needed:
                    continue
                if d.kind == "const" and d.value == 1.0:
                    add(a, g)
                else:
                    add(a, f"{g} * {self.formula(d, names)}")
        return out

    def rule(self, op: Any) -> str:
        """op's derivative rule over arrays: the float rule, example by example."""
        np = self.np

        def rule(zero: Any, *arrays: Any) -> tuple[Any, ...]:
            columns = zip(*(np.broadcast_to(a, zero.shape) for a in arrays), strict=True)
            rows = [op.derivative(*map(float, r)) for r in columns]
            return tuple(np.array(c, dtype=float) for c in zip(*rows, strict=True))

        name = "_" + self.make(f"d_{op.name}", "rule")
        self.namespace[name] = rule
        return name

    def backward_group(
        self,
        g: _Group,
        gg: str,
        add: Callable[[Atom, str], None],
        add_group: Callable[[_Group, str], None],
        out: list[str],
    ) -> None:
        if isinstance(g, _Linear):
            done = self.written.get(id(g))
            if done is not None:  # the line that completed the group's gradient
                self.say(g, "gradient", out, done)
            # linear's row over the batch: ∂z/∂w_k = x_k, ∂z/∂x_k = w_k, ∂z/∂b = 1 give
            # gW = gZᵀ X, gb = Σ gZ (over the batch), gX = gZ W
            flat = [i for row in g.weights for i in row]
            if len(set(flat)) == len(flat) and (
                g.constant_bias or len(set(g.biases)) == len(g.biases)
            ):
                if g.w_shape:  # the weights' gradient is a view of _grad: added in place
                    view = self.make(f"g_{g.w}", "g_W")
                    out.append(f"{view} = _grad[{g.w_index}]{g.w_shape}")
                    out.append(f"{view} += {gg}.T @ {g.x}")
                else:
                    out.append(f"_grad[{g.w_index}] += {gg}.T @ {g.x}")
                self.say(g, "weights", out)
                if not g.constant_bias:
                    bias = f"_grad[{g.b_index}] += {gg}.sum(axis=0)"
                    out.append(bias)
                    self.say(g, "bias", out)
            else:  # a parameter used twice in the group: each use adds its part
                grad_w = f"_np.add.at(_grad, {g.w_index}, {gg}.T @ {g.x})"
                out.append(grad_w)
                self.say(g, "weights", out)
                if not g.constant_bias:
                    grad_b = f"_np.add.at(_grad, {g.b_index}, {gg}.sum(axis=0))"
                    out.append(grad_b)
                    self.say(g, "bias", out)
            inner = [a for a in g.xs if isinstance(a, Var) and id(a) not in self.input_of]
            if not inner:
                return
            source = self.whole_group(g.xs)
            if source is not None:
                add_group(source, f"{gg} @ {g.w}")
                self.say(g, "inputs", out)
                return
            gx = self.make(f"g_{g.x}", "gX")
            out.append(f"{gx} = {gg} @ {g.w}")
            for k, a in enumerate(g.xs):
                add(a, f"{gx}[:, {k}]")
            return
        # out = f(inputs) column by column: each input's gradient is gOut * ∂f/∂input from the
        # op's row, on whole matrices; a shared input adds up its columns, a constant gets none
        names = self.map_names(g)
        for k, (kind, d) in enumerate(zip(g.kinds, g.row.derivatives, strict=True)):
            if kind == "c":
                continue
            one = d.kind == "const" and d.value == 1.0
            term = gg if one else f"{gg} * {self.formula(d, names)}"
            if kind == "s":
                add(g.shared[k], f"({term}).sum(axis=1)")
                continue
            src = g.sources[k]
            if g.columns == list(range(len(src.members))):
                add_group(src, term)
                continue
            held = self.make(f"g_{g.name}_in{k}", "gA")
            out.append(f"{held} = {term}")
            for j, col in enumerate(g.columns):
                add(src.members[col].outputs[0], f"{held}[:, {j}]")

    def say(self, g: _Group, line: str, out: list[str], at: int | None = None) -> None:
        """Mark out[at] (default the last line) as g's `line` line of the backward pass
        ("gradient", "weights", "bias", "inputs"), with the caller's comment for it, if any
        (Note.comments)."""
        at = len(out) - 1 if at is None else at
        note = g.members[0].params.get("note")
        text = note.comments.get(line) if note is not None else None
        if text:
            out[at] += f"  # {text}"
        if note is not None and note.key is not None:
            self.marked.append((note.key, line, at))

    def whole_group(self, atoms: Sequence[Atom]) -> _Group | None:
        """The group whose columns, in order, are exactly these atoms, if there is one."""
        members = [self.member.get(id(a)) if isinstance(a, Var) else None for a in atoms]
        if not members or any(m is None for m in members):
            return None
        first = members[0]
        assert first is not None
        g = first[0]
        if len(atoms) != len(g.members):
            return None
        if all(m is not None and m[0] is g and m[1] == k for k, m in enumerate(members)):
            return g
        return None


def emit_vector(
    path: Path,
    inputs: Sequence[Var],
    args: Sequence[str],
    fits: bool = False,
    tells: Collection[int] | None = None,
) -> PathProgram:
    """The compiled array program of one lowered path (inputs: one variable per input number).

    args are the traced function's argument names, shown in a comment. fits: also write
    _fits, which of a batch's examples take this path (for a trace with several paths); tells:
    the record positions of the guards that tell this path from the others (None: all). _fits
    tests those alone, with only the forward lines they read: an example that passes them but
    fails another of the path's checks fits no recorded path, which its _step then finds.
    """
    import numpy as np

    w = _Writer(fuse_linear(path), inputs, np)
    w.find_groups()
    forward = w.forward()
    backward = w.backward()
    said = f"    # _R: one row per example, its seed, then its inputs ({', '.join(args) or '-'});"
    head = ["    _X = _R[:, 1:]", "    _zero = _np.zeros(len(_R))"]
    body = [
        "def _step(_R, _data, _grad):",
        '    """The traced step over a batch of examples: the losses; gradients added to _grad."""',
        said,
        "    # _data, _grad: every parameter's value and gradient, by its index in the trace",
        "    _seed = _R[:, 0]",
        *head,
        "    with _np.errstate(over='raise', divide='raise', invalid='raise', under='ignore'):",
        "        # forward pass, the batch at once",
        *("        " + line for line in forward),
        "        # backward pass: g_v is the gradient of the sum of seed · loss wrt v",
        *("        " + line for line in backward),
        "    if not _np.isfinite(_loss).all():",
        "        raise FloatingPointError('a loss is not finite')",
        "    return _loss",
    ]
    names = ["_step"]
    telling = {k: mask for k, (mask, at) in w.guards.items() if tells is None or at in tells}
    if fits and telling:
        # the checks that tell the paths apart, each a mask of the examples it holds for, and
        # the forward lines they need (the others' checks are left to _step); on examples of
        # other paths a number may overflow or be NaN, which fails a check
        wanted: set[int] = set(telling)
        needed: set[int] = set()
        for first, end, reads, writes in reversed(w.chunks):
            if first in telling:
                needed |= reads
            elif writes & needed:
                wanted.update(range(first, end))
                needed |= reads
        tested = [
            f"_ok &= {telling[k]}" if k in telling else line
            for k, line in enumerate(forward)
            if k in wanted
        ]
        body = [
            "def _fits(_R, _data):",
            '    """Which examples of the batch take this path: a mask, True where the checks '
            'that tell it from the others hold."""',
            said,
            "    # _data: every parameter's value, by its index in the trace",
            *head,
            "    _ok = _np.ones(len(_R), dtype=bool)",
            "    with _np.errstate(all='ignore'):",
            *("        " + line for line in tested),
            "    return _ok",
            "",
            "",
            *body,
        ]
        names = ["_fits", "_step"]
    source = "\n".join(body) + "\n"
    exec(compile(source, "<deltagrad numpy trace>", "exec"), w.namespace)
    made = detach(w.namespace, names)
    index = sorted({i for i, _, _ in path.params})
    lines = {(key, which): backward[at].strip() for key, which, at in w.marked}
    return PathProgram(source, made["_step"], made.get("_fits"), index, lines)


class VectorProgram:
    """The numpy program of one input shape: one array program per recorded path.

    step(R, data, grad) runs a batch (R one row per example, its seed and then its inputs;
    data and grad every parameter's value and gradient, by its index in the trace): the
    losses, the gradients added into grad. With one path, its program runs the whole batch.
    With several (a branch that goes one way for some examples and another way for others:
    a label of 0 or 1 in binary cross-entropy), each path's _fits picks the examples that take
    it, and its program runs them; the last path runs the rest, and its checks raise Miss if
    an example takes none of them (a path not recorded yet: the caller runs the batch on the
    Python program, which records it). function(rows, params) is the same on Values.
    """

    def __init__(self, paths: Sequence[PathProgram]) -> None:
        import numpy as np

        self.np = np
        self.paths = list(paths)
        self.index = sorted({i for p in self.paths for i in p.index})

    @property
    def source(self) -> str:
        """The program as text: the one path's, or each path's under a heading."""
        if len(self.paths) == 1:
            return self.paths[0].source
        n = len(self.paths)
        parts = []
        for k, p in enumerate(self.paths, 1):
            which = (
                "the examples its _fits picks"
                if p.fits is not None
                else "the examples no path before it picks"
            )
            parts.append(f"# path {k} of {n}: {which}\n\n{p.source}")
        return "\n\n".join(parts)

    def lines(self, key: Any) -> dict[str, str]:
        """The backward lines of the group whose Note has this key, by what each does:
        "gradient" (the line that completes the group's gradient), "weights" and "bias" (the
        lines that add into their gradients), "inputs" (the gradient passed to the group's
        input)."""
        for p in self.paths:
            found = {which: line for (k, which), line in p.lines.items() if k == key}
            if found:
                return found
        return {}

    def step(self, R: Any, data: Any, grad: Any) -> Any:
        """The batch's losses (an array); its gradients added into grad (Miss: an example on a
        path not recorded, and grad to be dropped)."""
        if len(self.paths) == 1:
            return self.paths[0].step(R, data, grad)
        np = self.np
        losses = np.empty(len(R))
        rest = np.arange(len(R))  # the examples no path has taken yet, by their row
        for p in self.paths:
            rows = R if len(rest) == len(R) else R[rest]
            if p.fits is None:  # the last path: every example left, its checks raise Miss
                losses[rest] = p.step(rows, data, grad)
                rest = rest[:0]
                break
            try:
                ok = p.fits(rows, data)
            except (ArithmeticError, ValueError, DomainError) as e:  # a rule on one number
                raise Miss from e
            if ok.all():
                losses[rest] = p.step(rows, data, grad)
                rest = rest[:0]
                break
            if ok.any():
                losses[rest[ok]] = p.step(rows[ok], data, grad)
                rest = rest[~ok]
        if len(rest):  # grad holds part of the batch: the caller drops it
            raise Miss
        return losses

    def function(self, rows: Sequence[tuple[Any, ...]], params: list[Any]) -> list[float]:
        """step on Values: their data in, their gradients added into .grad; the losses."""
        np = self.np
        data = np.fromiter((p.data for p in params), float, len(params))
        grad = np.zeros(len(params))
        losses = self.step(np.asarray(rows, dtype=float), data, grad)
        for i, g in zip(self.index, grad[self.index].tolist(), strict=True):
            params[i].grad += g
        return list(losses.tolist())
