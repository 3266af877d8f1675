"""The learner's formula: a bounded search for what a wrong quantity equals on every trial.

When no registered mistake fits the learner's first wrong quantity (δ^l, ∂C/∂b^l or ∂C/∂w^l of
layer l, Nielsen's numbering), :func:`explain_quantity` searches a small grammar, bottom up, for
the simplest expression that equals the learner's numbers on EVERY trial (``math.isclose`` with
the grader's tolerances, rel 1e-6, abs 1e-9), and says in the learner's notation how it differs
from the right equation (BP1–BP4).

Layout. Internally every per-example quantity is a matrix with one row per example (a batch of
m; m = 1 for one example), so the textbook's column-vector (w^{l+1})ᵀ δ^{l+1} is the product
δ^{l+1} @ w^{l+1}; formulas are written back in the textbooks' column-vector form ((w³)ᵀ δ³,
δ² (a¹)ᵀ). A formula is a tree (:class:`Expr`) rendered to tokens by the notation's one symbol
function (nn.notation.term); nothing is parsed back from text.

The grammar, in its fixed order (this order breaks ties between formulas of equal size):

  atoms (0 operations), in this order, where the layer exists and the atom is new:
      z^l, a^l, a^{l−1}, δ^{l+1}, w^{l+1}, (w^{l+1})ᵀ δ^{l+1} (the error BP2 brings back to a
      hidden layer: for δ^l only; it is at hand there as a^L − y is at the output),
      a^L − y (the output error), ∇_a C, a^L, y, w^l, δ^l (for ∂C/∂b and ∂C/∂w only),
      z^{l−1}, z^{l+1}
  leaves (1 operation each), for each atom in the order above:
      σ′(atom), σ(atom) (per-example atoms only; σ is layer l's activation from
      nn.activations' table, its op row's derivative for σ′), atomᵀ
  operations (1 each). The formulas of size k are built from smaller ones in this order:
      (k = 1: the leaves above, then) Σ over the examples (rows) and Σ over the neurons
      (columns) of each formula of size k − 1, in the order it was found; then, for each leaf
      Y in order and each formula X of size k − 1 − size(Y) in order: X ⊙ Y (numpy
      broadcasting, so a sum can multiply a whole row), X @ Y and Y @ X (matrix products).
      A product has a leaf on one side at least (⊙ is associative, so a chain of ⊙ loses
      nothing; ⊙ of two leaves is built once).
  at the root (1 each): the transpose Xᵀ, then one or two constant factors c · X, c in 2, ½,
      1/m, m, and for ∂C/∂b and ∂C/∂w also 1/n, n (n: the fan-in, the width of layer l−1),
      1/n_l, n_l (the width of layer l), each value once (a constant equal to an earlier one,
      or to 1, is left out). A root operation is tried as the learner's numbers undone
      (divided by c, transposed), against the formulas already found, after the formulas of
      the same total size without it.

"Simplest" is fewest operations (atoms count 0); among formulas of the same size the first in
the order above. Where a layer of one neuron (or a batch of one) makes a matrix product the
same numbers as the elementwise product of its two factors, the formula found is written with
the ⊙, unless the right equation has that very product: the numbers cannot tell the two apart,
and the product would name a mistake that was not made (σ′(a − y) (a − y) for (a − y) ⊙
σ′(a − y)). The atom (w^{l+1})ᵀ δ^{l+1} does the same for BP2's product, which on a
one-neuron output layer is also δ^{l+1} ⊙ w^{l+1}; a formula found is written with the product
in its place.

Only formulas of at most MAX_OPS operations are tried, and at most MAX_CANDIDATES candidates
are evaluated, computing at most MAX_WORK numbers (an entry of a value, or a term of a matrix
product): the search stops there and reports nothing, so a big network (many neurons, a large
batch) gets a shorter search rather than a slow one.

Pruning: each candidate is evaluated on the first trial; a candidate whose value has the
signature of a formula found before is dropped (observational equivalence: the
earlier one is simpler or first in the order, and any larger formula built on the later one
has an equal twin built on the earlier); formulas of the last size are only built when their
shape fits the learner's quantity. A candidate that matches on the first trial is then
evaluated on every trial before it is reported. Each value carries its axes (the examples, or
the neurons of a layer), and a product or a sum is only built where the axes agree (see Axes).

Stale weights (the weights updated before BP2 used them) cannot match exactly, as the learner's
learning rate is not known: :func:`stale_weights` fits one η by least squares to BP2 computed
with w^{l+1} − η ∂C/∂w^{l+1} on the first trial and reports a hint when that η fits every trial.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from . import costs
from . import notation as notations
from .activations import TABLE as ACTIVATION_TABLE
from .notation import Frac, Num, Op, Sym, Tokens

__all__ = [
    "MAX_CANDIDATES",
    "MAX_OPS",
    "MAX_WORK",
    "Expr",
    "Found",
    "Search",
    "Setting",
    "apply",
    "atom",
    "canonical",
    "explain_quantity",
    "prepare",
    "render",
    "search",
    "stale_weights",
]

MAX_OPS = 4  # the largest formula tried, in operations
MAX_CANDIDATES = 100_000  # the most candidates evaluated in one search (about 2 s at worst)
MAX_WORK = 4_000_000  # the most numbers computed in one search (a big network stops early)
REL_TOL = 1e-6  # as the grader compares
ABS_TOL = 1e-9

Mat = tuple[tuple[float, ...], ...]  # rows × columns; rows are examples for per-example atoms

# ------------------------------------------------------------------------------- formulas
ATOM, SIGMA, SIGMA_PRIME, TRANSPOSE, SUM_X, SUM_J, HADAMARD, MATMUL, SCALE = (
    "atom",
    "sigma",
    "sigma_prime",
    "transpose",
    "sum_x",
    "sum_j",
    "hadamard",
    "matmul",
    "scale",
)
# atoms: what they are, for rendering; per-example atoms have one row per example
_PER_EXAMPLE = ("z", "a", "delta", "back", "error", "grad_a", "y")


@dataclass(frozen=True)
class Expr:
    """A formula as a tree: an atom (a quantity of a layer) or an operation on formulas."""

    op: str
    args: tuple[Expr, ...] = ()
    atom: str = ""  # ATOM: z, a, delta, w, back ((w^l)ᵀ δ^l), error (a^L − y), grad_a, y
    layer: int = 0  # ATOM: the layer, Nielsen's numbering
    const: str = ""  # SCALE: a key of the constants (2, half, 1/m, m, 1/n, n, 1/n_l, n_l)

    @property
    def size(self) -> int:
        """The number of operations (an atom has none)."""
        return 0 if self.op == ATOM else 1 + sum(a.size for a in self.args)

    def atoms(self) -> list[Expr]:
        """Every atom of the formula, left to right."""
        if self.op == ATOM:
            return [self]
        return [x for a in self.args for x in a.atoms()]

    def per_example(self) -> bool:
        """True if the formula's rows are examples (so it is written as a column per example)."""
        if self.op == ATOM:
            return self.atom in _PER_EXAMPLE
        if self.op == TRANSPOSE:
            return False
        if self.op == SUM_X:
            return False
        if self.op == MATMUL:
            return self.args[0].per_example()
        if self.op == HADAMARD:
            return any(a.per_example() for a in self.args)
        return self.args[0].per_example()


def atom(name: str, layer: int) -> Expr:
    """An atom: a quantity of a layer (Nielsen's numbering)."""
    return Expr(ATOM, atom=name, layer=layer)


def apply(op: str, *args: Expr, const: str = "") -> Expr:
    """An operation on formulas."""
    return Expr(op, tuple(args), const=const)


def _expanded(e: Expr) -> Expr:
    """The atom (w^l)ᵀ δ^l as the product it stands for (δ^l @ w^l, rows per example); any
    other formula as it is."""
    if e.op == ATOM and e.atom == "back":
        return apply(MATMUL, atom("delta", e.layer), atom("w", e.layer))
    return e


# ------------------------------------------------------------------------------- matrices
def _shape(x: Mat) -> tuple[int, int]:
    return len(x), len(x[0])


def _map(f: Callable[[float], float], x: Mat) -> Mat:
    return tuple(tuple(f(v) for v in row) for row in x)


def _transpose(x: Mat) -> Mat:
    return tuple(zip(*x, strict=True))


def _sum_x(x: Mat) -> Mat:
    return (tuple(math.fsum(col) for col in zip(*x, strict=True)),)


def _sum_j(x: Mat) -> Mat:
    return tuple((math.fsum(row),) for row in x)


def _broadcast(s: tuple[int, int], t: tuple[int, int]) -> tuple[int, int] | None:
    """numpy's broadcast of two shapes, or None when they do not broadcast."""
    out = []
    for p, q in zip(s, t, strict=True):
        if p != q and p != 1 and q != 1:
            return None
        out.append(max(p, q))
    return out[0], out[1]


def _hadamard(x: Mat, y: Mat) -> Mat:
    (r1, c1), (r2, c2) = _shape(x), _shape(y)
    if (r1, c1) == (r2, c2):
        return tuple(
            tuple(u * v for u, v in zip(a, b, strict=True)) for a, b in zip(x, y, strict=True)
        )
    rows, cols = max(r1, r2), max(c1, c2)
    return tuple(
        tuple(x[i % r1][j % c1] * y[i % r2][j % c2] for j in range(cols)) for i in range(rows)
    )


def _matmul(x: Mat, y: Mat) -> Mat:
    cols = tuple(zip(*y, strict=True))
    return tuple(
        tuple(math.fsum(a * b for a, b in zip(row, c, strict=True)) for c in cols) for row in x
    )


def _scale(c: float, x: Mat) -> Mat:
    return tuple(tuple(c * v for v in row) for row in x)


# ------------------------------------------------------------------------------- the setting
@dataclass
class Setting:
    """What one search needs: the layer, widths, σ of the layer, constants, each trial's atoms."""

    kind: str  # delta, grad_b or grad_w
    layer: int  # l, Nielsen's numbering
    sizes: list[int]
    hidden: str
    output: str
    cost: str
    batch: int | None
    notation: notations.Notation
    atoms: list[Expr]
    envs: list[dict[tuple[str, int], Mat]]  # per trial: (atom, layer) -> matrix
    targets: list[Mat]  # the learner's numbers per trial, in the same layout
    consts: list[tuple[str, float]]
    sigma: Callable[[Mat], Mat]
    sigma_prime: Callable[[Mat], Mat]
    reduction: str = "mean"  # the batch cost: the mean of the examples' costs, or their sum
    style: str = "ascii"  # how the sentences write symbols (nn.notation.STYLES)

    @property
    def L(self) -> int:
        return len(self.sizes)


def _elementwise(name: str) -> tuple[Callable[[Mat], Mat], Callable[[Mat], Mat]]:
    """σ and σ′ of an activation on matrices, from its row in nn.activations (softmax: by row,
    σ′ the diagonal of its Jacobian, s (1 − s), as the grader's slopes)."""
    if name == "softmax":

        def soft(x: Mat) -> Mat:
            out = []
            for row in x:
                top = max(row)
                e = [math.exp(v - top) for v in row]
                total = math.fsum(e)
                out.append(tuple(v / total for v in e))
            return tuple(out)

        return soft, lambda x: _map(lambda s: s * (1.0 - s), soft(x))
    row = ACTIVATION_TABLE[name]
    if row.op is None:  # linear: σ(z) = z, σ′ = 1
        return (lambda x: x), (lambda x: _map(lambda v: 1.0, x))
    op = row.op(None)

    def forward(v: float) -> float:
        try:
            return float(op.forward(v))
        except (OverflowError, ValueError):
            return math.nan

    def slope(v: float) -> float:
        try:
            return float(op.derivative(v, op.forward(v))[0])
        except (OverflowError, ValueError, ZeroDivisionError):
            return math.nan

    return (lambda x: _map(forward, x)), (lambda x: _map(slope, x))


def _one_hot(y: Any, n: int) -> tuple[float, ...]:
    if isinstance(y, int):
        return tuple(1.0 if j == y else 0.0 for j in range(n))
    return tuple(float(v) for v in y)


def prepare(
    runs: Sequence[Any],
    kind: str,
    i: int,
    sizes: Sequence[int],
    hidden: str,
    output: str,
    cost: str,
    batch: int | None,
    notation: str | notations.Notation | None = None,
    reduction: str = "mean",
) -> Setting:
    """The setting of one search: the learner's quantity and each trial's atoms (see
    explain_quantity for the arguments)."""
    sizes = list(sizes)
    L = len(sizes)
    layer = i + 2
    envs: list[dict[tuple[str, int], Mat]] = []
    targets: list[Mat] = []
    for t in runs:
        m = len(t.xs)
        env: dict[tuple[str, int], Mat] = {}
        for q in range(2, L + 1):
            env["z", q] = tuple(tuple(t.zs[x][q - 2]) for x in range(m))
            env["delta", q] = tuple(tuple(t.deltas[x][q - 2]) for x in range(m))
            env["w", q] = tuple(tuple(r) for r in t.weights[q - 2])
        for q in range(1, L + 1):
            env["a", q] = tuple(tuple(t.acts[x][q - 1]) for x in range(m))
        if kind == "delta" and layer < L:  # (w^{l+1})ᵀ δ^{l+1}: a row per example
            env["back", layer + 1] = _matmul(env["delta", layer + 1], env["w", layer + 1])
        ys = tuple(_one_hot(t.ys[x], sizes[-1]) for x in range(m))
        env["y", L] = ys
        env["error", L] = tuple(
            tuple(a - y for a, y in zip(env["a", L][x], ys[x], strict=True)) for x in range(m)
        )
        env["grad_a", L] = tuple(tuple(t.grad_a[x]) for x in range(m))
        envs.append(env)
        if kind == "delta":
            targets.append(tuple(tuple(r) for r in t.got_deltas[i]))
        elif kind == "grad_b":
            targets.append((tuple(t.got_b[i]),))
        else:
            targets.append(tuple(tuple(r) for r in t.got_w[i]))
    # the atoms in the grammar's order, where the layer exists
    wanted = [
        ("z", layer),
        ("a", layer),
        ("a", layer - 1),
        ("delta", layer + 1),
        ("w", layer + 1),
        ("back", layer + 1),
        ("error", L),
        ("grad_a", L),
        ("a", L),
        ("y", L),
        ("w", layer),
    ]
    if kind != "delta":
        wanted.append(("delta", layer))
    wanted += [("z", layer - 1), ("z", layer + 1)]
    atoms = [atom(name, q) for name, q in wanted if (name, q) in envs[0]]
    m = batch or 1
    consts: list[tuple[str, float]] = [("2", 2.0), ("half", 0.5)]
    if m > 1:
        consts += [("1/m", 1.0 / m), ("m", float(m))]
    if kind != "delta":  # a mean over the wrong count: a gradient's, never a δ's
        consts += [("1/n", 1.0 / sizes[i]), ("n", float(sizes[i]))]
        consts += [("1/n_l", 1.0 / sizes[i + 1]), ("n_l", float(sizes[i + 1]))]
    unique: list[tuple[str, float]] = []
    for key, value in consts:  # one name per value, the first in the order
        if value != 1.0 and all(not math.isclose(value, v) for _, v in unique):
            unique.append((key, value))
    name = output if layer == L else hidden
    sigma, sigma_prime = _elementwise(name)
    return Setting(
        kind,
        layer,
        sizes,
        hidden,
        output,
        cost,
        batch,
        notations.get(notation),
        atoms,
        envs,
        targets,
        unique,
        sigma,
        sigma_prime,
        reduction,
    )


def _evaluate(s: Setting, e: Expr, env: dict[tuple[str, int], Mat]) -> Mat:
    """The formula's value on one trial."""
    if e.op == ATOM:
        return env[e.atom, e.layer]
    args = [_evaluate(s, a, env) for a in e.args]
    if e.op == SIGMA:
        return s.sigma(args[0])
    if e.op == SIGMA_PRIME:
        return s.sigma_prime(args[0])
    if e.op == TRANSPOSE:
        return _transpose(args[0])
    if e.op == SUM_X:
        return _sum_x(args[0])
    if e.op == SUM_J:
        return _sum_j(args[0])
    if e.op == HADAMARD:
        return _hadamard(args[0], args[1])
    if e.op == MATMUL:
        return _matmul(args[0], args[1])
    assert e.op == SCALE, e.op
    return _scale(dict(s.consts)[e.const], args[0])


# ------------------------------------------------------------------------------- matching
def _close(got: float, want: float) -> bool:
    return math.isclose(got, want, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def _fits_shape(got: tuple[int, int], want: tuple[int, int]) -> bool:
    """A value of shape got can stand for the learner's quantity of shape want: the same shape,
    a vector of the same length (a vector's orientation is not read), or broadcast to it."""
    if got == want:
        return True
    if 1 in got and 1 in want and got[0] * got[1] == want[0] * want[1]:
        return True
    return all(g in (1, w) for g, w in zip(got, want, strict=True))


def _equal(value: Mat, target: Mat) -> bool:
    if not _close(target[0][0], value[0][0]):  # the first entry decides most candidates
        return False
    vs, ts = _shape(value), _shape(target)
    if vs == ts:
        return all(
            _close(t, v)
            for vr, tr in zip(value, target, strict=True)
            for v, t in zip(vr, tr, strict=True)
        )
    if 1 in vs and 1 in ts and vs[0] * vs[1] == ts[0] * ts[1]:
        flat = [v for r in value for v in r]
        return all(_close(t, v) for v, t in zip(flat, (t for r in target for t in r), strict=False))
    if not _fits_shape(vs, ts):
        return False
    return all(
        _close(target[i][j], value[i % vs[0]][j % vs[1]])
        for i in range(ts[0])
        for j in range(ts[1])
    )


def _key(value: Mat) -> tuple[Any, ...]:
    """A value's signature on the first trial: its shape and two random projections, rounded.
    Equal values give equal keys; different values colliding has probability ~0."""
    flat = [v for r in value for v in r]
    p = math.fsum(v * w for v, w in zip(flat, _WEIGHTS, strict=False))
    q = math.fsum(v * w for v, w in zip(flat, _WEIGHTS[::-1], strict=False))
    return len(value), len(value[0]), round(p, 9), round(q, 9)


# fixed pseudo-random weights for the signature (deterministic: no seed from the clock)
_WEIGHTS = tuple(math.sin(1.0 + 7.0 * k) + 1.5 for k in range(4096))


@dataclass
class Search:
    """The outcome of one search: the formula (or None) and how many candidates it evaluated."""

    expr: Expr | None
    candidates: int
    capped: bool = False  # stopped at the cap or the work budget
    work: int = 0  # the numbers computed (see MAX_WORK)


@dataclass
class _Variant:
    """The learner's numbers undone by a root operation: Expr X fits when root(X) fits."""

    cost: int
    wrap: Callable[[Expr], Expr]
    targets: list[Mat]  # per trial
    const: str = ""  # "T": the transpose; else the constant factors' keys


def _variants(s: Setting) -> list[_Variant]:
    out = [_Variant(0, lambda e: e, s.targets)]

    def scaled(v: _Variant, key: str, c: float) -> _Variant:
        return _Variant(
            v.cost + 1,
            lambda e: apply(SCALE, v.wrap(e), const=key),
            [_scale(1.0 / c, t) for t in v.targets],
        )

    if _shape(s.targets[0])[0] > 1 and _shape(s.targets[0])[1] > 1:
        out.append(
            _Variant(1, lambda e: apply(TRANSPOSE, e), [_transpose(t) for t in s.targets], "T")
        )
    ones = [scaled(out[0], key, c) for key, c in s.consts]
    out += ones
    # two constant factors (the batch mean's 1/m twice, 2 beside 1/m), each pair once
    for n, first in enumerate(ones):
        out += [scaled(first, key, c) for key, c in s.consts[n:]]
    return out


# What each axis of a value runs over: "x" the examples, an int q the neurons of layer q, "1" a
# summed-out axis (it broadcasts). A product of two leaves whose axes do not agree (a learner's
# δ ⊙ w that numpy accepted because the sizes happened to be equal) is kept only when it has the
# learner's quantity's shape, and then takes that quantity's axes.
Axes = tuple[str | int, str | int]
_Entry = tuple[Expr, Mat, Axes]  # a formula, its value on the first trial, its axes


def _atom_axes(e: Expr, L: int) -> Axes:
    if e.atom == "w":
        return e.layer, e.layer - 1
    if e.atom == "back":  # (w^{l+1})ᵀ δ^{l+1}: layer l's neurons
        return "x", e.layer - 1
    return "x", (L if e.atom in ("error", "grad_a", "y") else e.layer)


def _join(p: str | int, q: str | int) -> str | int | None:
    """The axis of an elementwise product of axes p and q (None: they do not agree)."""
    if p == "1":
        return q
    if q == "1" or p == q:
        return p
    return None


def _target_axes(s: Setting) -> Axes:
    if s.kind == "delta":
        return "x", s.layer
    if s.kind == "grad_b":
        return "1", s.layer
    return s.layer, s.layer - 1


def _fits_axes(got: Axes, want: Axes) -> bool:
    """A value with axes got can stand for the learner's quantity (axes want): the same axes up
    to broadcasting; a vector (one axis "1") read in either orientation."""
    if all(g == "1" or g == w for g, w in zip(got, want, strict=True)):
        return True
    return "1" in want and "1" in got  # two vectors (their lengths are checked with the shapes)


def search(
    s: Setting, max_ops: int = MAX_OPS, cap: int = MAX_CANDIDATES, budget: int = MAX_WORK
) -> Search:
    """The simplest formula of the grammar that equals s.targets on every trial (see the module
    docstring for the grammar, its order and the pruning)."""
    env0 = s.envs[0]
    variants = _variants(s)
    want = _shape(s.targets[0])
    axes_wanted = _target_axes(s)
    axes_t = (axes_wanted[1], axes_wanted[0])
    count = 0
    seen: set[tuple[Any, ...]] = set()
    banks: list[list[_Entry]] = []
    leaves: list[_Entry] = []  # the atoms and the one-operation leaves, in order
    rank: dict[int, int] = {}  # a leaf's place in leaves, by id (the banks keep it alive)

    def matches(e: Expr, value: Mat, axes: Axes, cost: int) -> Expr | None:
        shape = _shape(value)
        for v in variants:
            if v.cost != cost or not _fits_shape(shape, _shape(v.targets[0])):
                continue
            if not _fits_axes(axes, axes_t if v.cost == 1 and v.const == "T" else axes_wanted):
                continue
            if _equal(value, v.targets[0]) and all(
                _equal(_evaluate(s, e, env), t)
                for env, t in zip(s.envs[1:], v.targets[1:], strict=True)
            ):
                return v.wrap(e)
        return None

    fit_cache: dict[tuple[Any, ...], bool] = {}

    def fits(shape: tuple[int, int], axes: Axes, last: bool) -> bool:
        if not last:
            return True
        known = fit_cache.get((shape, axes))
        if known is None:
            known = _fits_shape(shape, want) and (
                _fits_axes(axes, axes_wanted) or _fits_axes(axes, axes_t)
            )
            fit_cache[shape, axes] = known
        return known

    def candidates(size: int) -> Any:
        """(formula, value on the first trial, axes) of one size, in the grammar's order; at
        the last size only those whose shape and axes fit the learner's quantity."""
        last = size == max_ops
        if size == 0:
            for a in s.atoms:
                yield a, env0[a.atom, a.layer], _atom_axes(a, s.L)
            return
        if size == 1:
            for a, v, (ar, ac) in banks[0]:
                if a.atom in _PER_EXAMPLE:
                    yield apply(SIGMA_PRIME, a), s.sigma_prime(v), (ar, ac)
                    yield apply(SIGMA, a), s.sigma(v), (ar, ac)
                if _shape(v) != (1, 1):
                    yield apply(TRANSPOSE, a), _transpose(v), (ac, ar)
        for e, v, (ar, ac) in banks[size - 1]:
            r, c = _shape(v)
            if r > 1 and fits((1, c), ("1", ac), last):
                yield apply(SUM_X, e), _sum_x(v), ("1", ac)
            if c > 1 and fits((r, 1), (ar, "1"), last):
                yield apply(SUM_J, e), _sum_j(v), (ar, "1")
        # a product has a leaf (an atom or a one-operation leaf) on one side at least; its axes
        # must agree, except between two leaves (where a learner's shapes happened to fit: δ ⊙ w
        # in a square layer, the output error beside a hidden layer's σ′)
        for n2, (y, yv, (yr, yc)) in enumerate(leaves):
            rest = size - 1 - y.size
            if rest < 0:
                continue
            sy = _shape(yv)
            for x, xv, (xr, xc) in banks[rest]:
                sx = _shape(xv)
                n1 = rank.get(id(x))  # the other side is a leaf too: each pair once for ⊙
                loose = n1 is not None
                b = _broadcast(sx, sy) if sx != sy else sx
                if b is not None and (n1 is None or n1 <= n2):
                    ax: Any = (_join(xr, yr), _join(xc, yc))
                    if None in ax and loose and b == want:
                        ax = axes_wanted
                    if None not in ax and fits(b, ax, last):
                        yield apply(HADAMARD, x, y), _hadamard(xv, yv), ax
                if sx[1] == sy[0] and (xc == yr or (loose and (sx[0], sy[1]) == want)):
                    ax = (xr, yc) if xc == yr else axes_wanted
                    if fits((sx[0], sy[1]), ax, last):
                        work[0] += sx[0] * sx[1] * sy[1]
                        yield apply(MATMUL, x, y), _matmul(xv, yv), ax
                if n1 is None and sy[1] == sx[0] and yc == xr:
                    ax = (yr, xc)
                    if fits((sy[0], sx[1]), ax, last):
                        work[0] += sy[0] * sy[1] * sx[1]
                        yield apply(MATMUL, y, x), _matmul(yv, xv), ax

    work = [0]  # the products computed so far: each value's entries, a matrix product's terms
    for size in range(max_ops + 1):
        bank: list[_Entry] = []
        for e, value, axes in candidates(size):
            count += 1
            work[0] += len(value) * len(value[0])
            if count > cap or work[0] > budget:
                return Search(None, count - 1, True, work[0])
            if size == max_ops:  # never built on: no signature needed
                found = matches(e, value, axes, 0)
                if found is not None:
                    return Search(found, count, work=work[0])
                continue
            k = _key(value)
            if k in seen or any(math.isnan(v) for r in value for v in r):
                continue
            seen.add(k)
            found = matches(e, value, axes, 0)
            if found is not None:
                return Search(found, count, work=work[0])
            if size < max_ops:
                bank.append((e, value, axes))
        banks.append(bank)
        if size <= 1:  # the leaves: atoms, σ′, σ and ᵀ of an atom
            for entry in bank:
                if entry[0].op in (ATOM, SIGMA_PRIME, SIGMA, TRANSPOSE):
                    rank[id(entry[0])] = len(leaves)
                    leaves.append(entry)
        # the same total size with root operations: smaller formulas against undone targets
        for cost in range(1, size + 1):
            for e, value, axes in banks[size - cost]:
                found = matches(e, value, axes, cost)
                if found is not None:
                    return Search(found, count, work=work[0])
    return Search(None, count, work=work[0])


# ------------------------------------------------------------------------------- rendering
def _tokens(s: Setting, e: Expr) -> Tokens:
    return _write(s.notation, s.batch, s.sizes, e, top=True)


def _write(
    n: notations.Notation, batch: int | None, sizes: list[int], e: Expr, top: bool = False
) -> Tokens:
    """A formula as tokens, in the textbooks' column-vector form."""

    def w(x: Expr) -> Tokens:
        return _write(n, batch, sizes, x)

    def group(x: Expr) -> Tokens:
        t = w(x)
        compound = x.op in (HADAMARD, MATMUL, SCALE) or (
            x.op == ATOM and x.atom in ("error", "back")
        )
        return (Op("("), *t, Op(")")) if compound else t

    def operand(x: Expr) -> Tokens:  # under a constant factor or a sum: a product stays bare
        t = w(x)
        compound = x.op in (HADAMARD, SCALE) or (x.op == ATOM and x.atom == "error")
        return (Op("("), *t, Op(")")) if compound else t

    def weight(x: Expr, flipped: bool) -> Tokens:
        # a course that indexes weights source-then-target (LFD's w_ij) writes Nielsen's w^l
        # as its transpose: Nielsen's (w^{l+1})ᵀ δ is LFD's w^(l+1) δ
        t = notations.term("weight", x.layer, notation=n)
        if flipped == (n.index_order == "kj"):
            return t
        return (Op("("), *t, Op(")ᵀ"))

    def transposed(x: Expr) -> Tokens:
        if x.op == TRANSPOSE:  # (Xᵀ)ᵀ = X
            return w(x.args[0])
        if x.op == ATOM and x.atom == "w":
            return weight(x, True)
        t = w(x)
        bare = len(t) == 1 and isinstance(t[0], Sym) and not t[0].sup
        return (*(t if bare else (Op("("), *t, Op(")"))), Op("ᵀ"))

    if e.op == ATOM:
        L = len(sizes)
        if e.atom == "back":
            return w(_expanded(e))
        if e.atom == "error":
            a = notations.term("activation", L, notation=n)
            return (*a, Op(" − "), *notations.term("target", notation=n))
        if e.atom == "grad_a":
            return notations.term("cost", L, wrt="activation", notation=n)
        if e.atom == "y":
            return notations.term("target", notation=n)
        if e.atom == "w":
            return weight(e, False)
        q = {"z": "preactivation", "a": "activation", "delta": "delta"}[e.atom]
        return notations.term(q, e.layer, notation=n)
    if e.op in (SIGMA, SIGMA_PRIME):
        f = notations.term(e.op, notation=n)
        return (*f, Op("("), *w(e.args[0]), Op(")"))
    if e.op == TRANSPOSE:
        (x,) = e.args
        if x.op == ATOM and x.atom in _PER_EXAMPLE:
            return w(x)  # a row per example, transposed: the column vector the textbook writes
        return transposed(x)
    if e.op in (SUM_X, SUM_J):
        index = n.example if e.op == SUM_X else "j"
        return (Sym("Σ", "", index), Op(" "), *operand(e.args[0]))
    if e.op == SCALE:
        c = {
            "2": (Num("2"),),
            "half": (Num("½"),),
            "1/m": notations.term("mean", notation=n),
            "m": (Sym(n.batch_size),),
            "1/n": (Frac((Num("1"),), (Sym("n"),)),),
            "n": (Sym("n"),),
            "1/n_l": (Frac((Num("1"),), (Sym("n", "", "l"),)),),
            "n_l": (Sym("n", "", "l"),),
        }[e.const]
        if isinstance(c[0], Frac):
            c = (Op("("), *c, Op(")"))
        inner = e.args[0]
        return (*c, Op(" "), *(w(inner) if inner.op == SCALE else operand(inner)))
    x, y = e.args
    if e.op == HADAMARD:  # a chain of ⊙ written flat: X ⊙ Y ⊙ Z
        out: list[Any] = []
        for factor in _factors(e):
            out += [*([Op(" ⊙ ")] if out else []), *group(factor)]
        return tuple(out)
    # X @ Y in rows-are-examples form, written as the textbooks' column vectors:
    # (per-example X) @ Y is (Yᵀ X)ᵀ, written Yᵀ X; Xᵀ @ (per-example Y) is X Yᵀ
    if x.per_example() and not y.per_example():
        return (*transposed(y), Op(" "), *group(x))
    if x.op == TRANSPOSE and x.args[0].per_example() and y.per_example():
        return (*group(x.args[0]), Op(" "), *transposed(y))
    return (*group(x), Op(" "), *group(y))


def render(e: Expr, setting: Any, style: str | None = None) -> str:
    """A formula as text in the setting's notation and a style (nn.notation.STYLES; by default
    the setting's own)."""
    return notations.write(_tokens(setting, e), style or setting.style)


# ------------------------------------------------------------------------------- the message
def _correct(s: Setting) -> Expr | None:
    """The right formula for the quantity, in the grammar (None: BP1 of a softmax output)."""
    layer, L = s.layer, s.L
    m = (s.batch or 1) if s.reduction == "mean" else 1  # a sum over the batch has no 1/m
    if s.kind == "delta":
        if layer < L:
            return apply(
                HADAMARD,
                apply(MATMUL, atom("delta", layer + 1), atom("w", layer + 1)),
                apply(SIGMA_PRIME, atom("z", layer)),
            )
        row = costs.COSTS[s.cost]
        if (s.output, s.cost) in {(r.pair, r.name) for r in costs.COSTS.values() if r.pair}:
            return atom("error", L) if row.wrt == "a" else None
        if s.output == "softmax" or row.wrt != "a":
            return None
        # ∇_a C written as a − y where the two are the same numbers (the quadratic cost), as
        # the search writes it (the output error comes first in the grammar's order)
        same = all(env["grad_a", L] == env["error", L] for env in s.envs)
        grad = atom("error" if same else "grad_a", L)
        return apply(HADAMARD, grad, apply(SIGMA_PRIME, atom("z", L)))
    if s.kind == "grad_b":
        d = atom("delta", layer)
        return apply(SCALE, apply(SUM_X, d), const="1/m") if m > 1 else d
    product = apply(MATMUL, apply(TRANSPOSE, atom("delta", layer)), atom("a", layer - 1))
    return apply(SCALE, product, const="1/m") if m > 1 else product


def _expand_all(e: Expr) -> Expr:
    """e with every atom (w^l)ᵀ δ^l written as the product it stands for."""
    if e.op == ATOM:
        return _expanded(e)
    return apply(e.op, *(_expand_all(a) for a in e.args), const=e.const)


def _same_numbers(s: Setting, x: Expr, y: Expr) -> bool:
    """Whether two formulas are the same numbers on every trial."""
    for env in s.envs:
        xv, yv = _evaluate(s, x, env), _evaluate(s, y, env)
        if _shape(xv) != _shape(yv):
            return False
        if not all(
            _close(p, q) for r, t in zip(xv, yv, strict=True) for p, q in zip(r, t, strict=True)
        ):
            return False
    return True


def _as_the_right_one_reads(s: Setting, e: Expr, right: Expr | None) -> Expr:
    """e with each matrix product that is the same numbers, on every trial, as the elementwise
    product of its two factors (a layer of one neuron, a batch of one) written as that ⊙,
    unless the right formula has that very product: the numbers cannot tell them apart."""
    if e.op == ATOM:
        return e
    out = apply(e.op, *(_as_the_right_one_reads(s, a, right) for a in e.args), const=e.const)
    if out.op != MATMUL or (right is not None and e in _subtrees(right)):
        return out
    x, y = out.args
    shapes = _shape(_evaluate(s, x, s.envs[0])), _shape(_evaluate(s, y, s.envs[0]))
    if _broadcast(*shapes) is not None:
        elementwise = apply(HADAMARD, x, y)
        if _same_numbers(s, out, elementwise):
            return elementwise
    return out


def _factors(e: Expr) -> list[Expr]:
    """The factors of a chain of ⊙ (a formula that is no ⊙: itself)."""
    if e.op == HADAMARD:
        return [f for a in e.args for f in _factors(a)]
    return [e]


def _chain(factors: Sequence[Expr]) -> Expr:
    out = factors[0]
    for f in factors[1:]:
        out = apply(HADAMARD, out, f)
    return out


def canonical(found: Expr, right: Expr | None) -> Expr:
    """found with its ⊙ factors in the right formula's order (those that replace one of its
    factors in that factor's place, any extra ones last): the same numbers, easier to compare."""
    if right is None:
        return found
    if found.op == SCALE:
        x = found.args[0]
        if x.op == SCALE and right.op == SCALE and found.const == right.const:
            # two constants: the right formula's one inside, the extra one outside
            found = apply(SCALE, apply(SCALE, x.args[0], const=found.const), const=x.const)
        inner = right.args[0] if right.op == SCALE else right
        return apply(SCALE, canonical(found.args[0], inner), const=found.const)
    have, want = _factors(found), _factors(right)
    if len(have) == 1:
        return found
    rest = list(have)
    placed: list[Expr | None] = []
    for f in want:
        if f in rest:
            rest.remove(f)
            placed.append(f)
        else:
            placed.append(None)
    order: list[Expr] = []
    for p, w in zip(placed, want, strict=True):
        if p is not None:
            order.append(p)
            continue
        # in the place of a missing factor: the ones made of its atoms (δ, w for wᵀδ), or the
        # first one left
        mine = [x for x in rest if set(_atoms_of([x])) <= set(_atoms_of([w]))]
        for x in mine or rest[:1]:
            rest.remove(x)
            order.append(x)
    return _chain(order + rest)


def _difference(found: Expr, right: Expr) -> tuple[list[Expr], list[Expr]]:
    """(what the learner has, what belongs there) where the two formulas differ: ([extra
    factors], []) for extra factors of the right formula, ([one], [one]) for one part in the
    place of another (followed down to where they differ)."""
    if found == right:
        return [], []
    if found.op == SCALE or right.op == SCALE:
        f = found.args[0] if found.op == SCALE else found
        r = right.args[0] if right.op == SCALE else right
        fc = [apply(SCALE, atom("y", 0), const=found.const)] if found.op == SCALE else []
        rc = [apply(SCALE, atom("y", 0), const=right.const)] if right.op == SCALE else []
        if f == r:
            return fc, rc
        if found.op == SCALE and f == right:  # an extra constant around the right formula
            return fc, []
        if fc == rc:
            return _difference(f, r)
        return [found], [right]
    have, want = _factors(found), _factors(right)
    if len(have) > 1 or len(want) > 1:
        extra = list(have)
        missing = []
        for w in want:
            if w in extra:
                extra.remove(w)
            else:
                missing.append(w)
        if not missing:
            return extra, []
        if len(missing) == 1 and len(extra) == 1:
            return _difference(extra[0], missing[0])
        if len(missing) == 1 and _atoms_of(extra) == _atoms_of(missing):  # δ ⊙ w for wᵀδ
            return [_chain(extra)], missing
        return [found], [right]
    if found.op == right.op and found.op not in (SIGMA, SIGMA_PRIME) and found.args:
        # the same operation: follow the one operand that differs (σ′ of the wrong quantity is
        # told as such, one level up)
        diff = [(f, r) for f, r in zip(found.args, right.args, strict=True) if f != r]
        if len(diff) == 1:
            return _difference(*diff[0])
    return [found], [right]


def _atoms_of(es: Sequence[Expr]) -> list[tuple[str, int]]:
    return sorted((b.atom, b.layer) for e in es for a in e.atoms() for b in _expanded(a).atoms())


def _is_zero(targets: list[Mat]) -> bool:
    return all(abs(v) <= ABS_TOL for t in targets for r in t for v in r)


@dataclass
class Found:
    """The learner's formula: the tree, its text (ascii, as the report writes), a sentence."""

    expr: Expr | None  # None for a stale-weights hint (no exact formula)
    text: str
    sentence: str
    candidates: int
    zero: bool = False  # the quantity is 0 on every trial; the sentence gives the likely cause
    sentence_unicode: str = ""  # the sentence with its symbols in unicode (δ³, not δ^3)
    unicode: str = ""
    latex: str = ""
    eta: float | None = None  # the fitted learning rate of a stale-weights hint
    name: str = ""  # the quantity's symbol: δ^2, ∂C/∂w^3 (ascii style, as the report writes)
    # the gist of the mistake, one line in the report's style ("σ′ must be taken at z^2, not
    # at a^2"; for a stale-weights hint "w^3 already updated when BP2 used it"): what a class
    # summary counts
    gist: str = ""


def _symbol(s: Setting) -> str:
    q = {"delta": "delta", "grad_b": "bias", "grad_w": "weight"}[s.kind]
    if q == "delta":
        return notations.text("delta", s.layer, notation=s.notation, style=s.style)
    return notations.text(
        "cost", s.layer, wrt=q, batch=bool(s.batch), notation=s.notation, style=s.style
    )


def _equation(s: Setting) -> tuple[str, str]:
    """(BPn, the right equation in this setting's symbols)."""
    name = _symbol(s)
    right = _correct(s)
    bp = {"grad_b": "BP3", "grad_w": "BP4"}.get(s.kind, "BP1" if s.layer == s.L else "BP2")
    if right is None:
        eqs = notations.bp_equations(s.notation)
        return bp, eqs[bp]
    return bp, f"{name} = {render(right, s)}"


def _const_text(s: Setting, const: str) -> str:
    """A constant factor as the notation writes it: 2, ½, 1/m (LFD 1/N), n."""
    return render(apply(SCALE, atom("y", 0), const=const), s).rsplit(" ", 1)[0].strip("()")


def _sentence(s: Setting, e: Expr) -> str:
    name = _symbol(s)
    text = render(e, s)
    bp, equation = _equation(s)
    head = f"your {name} equals {text} on every trial; the right one is {bp}: {equation}"
    why = _why(s, e)[0]
    return head + (f": {why}." if why else ".")


def _why(s: Setting, e: Expr) -> tuple[str, str]:
    """How the learner's formula e differs from the right one, in the setting's style: the
    whole clause, and its gist (the clause without its notes in parentheses), for a class
    summary that counts the submissions that made the same mistake ('' when there is no right
    formula to compare with)."""
    right = _correct(s)
    if right is None:
        return "", ""
    bp = _equation(s)[0]
    have, belongs = _difference(e, right)

    def r(x: Expr) -> str:
        if x.op == SCALE and x.args[0] == atom("y", 0):
            return _const_text(s, x.const)
        return render(x, s)

    sig = notations.text("sigma", notation=s.notation, style=s.style)
    why = note = ""
    if have and not belongs:
        why = "an extra factor " + " and ".join(r(x) for x in have)
        consts = [x.const for x in have if x.op == SCALE]
        note = _constant_note(s, consts[0]) if consts else ""
    elif len(have) == 1 and len(belongs) == 1:
        h, b = have[0], _expanded(belongs[0])
        if h.op == SIGMA_PRIME and b.op == SIGMA_PRIME:
            at, instead = r(b.args[0]), r(h.args[0])
            why = f"{sig}′ must be taken at {at}, not at {instead}"
            if h.args[0] == atom("a", b.args[0].layer):
                sigmoid = (s.output if s.layer == s.L else s.hidden) == "sigmoid"
                note = (
                    f" ({instead} is already {sig}({at}), so this applies {sig} twice"
                    + (
                        f"; for a sigmoid {sig}′({at}) = {instead}(1 − {instead})"
                        if sigmoid
                        else ""
                    )
                    + ")"
                )
        elif h.op == SCALE and b.op == SCALE:
            why = f"the factor is {r(h)} where {r(b)} belongs"
            note = _constant_note(s, h.const)
        elif h.op == HADAMARD and b.op == MATMUL:
            why = f"an elementwise product {r(h)} where the matrix product {r(b)} belongs"
        elif h.op == MATMUL and b.op == HADAMARD:
            why = f"a matrix product {r(h)} where the elementwise {r(b)} belongs"
        elif h == atom("error", s.L) and b.op != ATOM:
            why = f"{bp} needs {r(b)} where you used the output error {r(h)}"
        elif h.op == SUM_J and b.op == SUM_X:
            sum_j = notations.compose("Σ", "", "j", s.style)
            why = f"the sum runs over the neurons ({sum_j}) where it belongs over the examples"
        elif h.op == ATOM and b.op == ATOM and h.atom == b.atom and h.layer != b.layer:
            why = f"{r(h)} where {r(b)} belongs: the layer index is off by one"
        else:
            why = f"{bp} needs {r(b)} where you used {r(h)}"
    elif not have and belongs:
        why = "it is missing the factor " + " and ".join(r(x) for x in belongs)
    return why + note, why


def _constant_note(s: Setting, const: str) -> str:
    m = s.batch or 1
    size = s.notation.batch_size
    if const in ("n", "1/n"):
        return (
            f" (n = {s.sizes[s.layer - 2]}, the fan-in of layer {_ln(s, s.layer)}; the batch "
            f"mean divides by {size} = {m})"
        )
    if const in ("n_l", "1/n_l"):
        return f" (n_l = {s.sizes[s.layer - 1]}, the width of layer {_ln(s, s.layer)})"
    if const in ("m", "1/m"):
        return f" ({size} = {m}, the batch size)"
    return ""


def _ln(s: Setting, layer: int) -> int:
    return notations.layer_number(layer, s.notation)


def _zero_sentence(s: Setting, e: Expr) -> str:
    cause = f"Likely cause: it equals {render(e, s)}, which is 0 on every trial"
    sums_classes = any(x.op == SUM_J for x in _subtrees(e))
    if sums_classes and s.output == "softmax" and s.cost == "cross_entropy":
        a = notations.text("activation", s.L, notation=s.notation, style=s.style)
        a_j = notations.text("activation", s.L, "j", notation=s.notation, style=s.style)
        y_j = notations.text("target", None, "j", notation=s.notation, style=s.style)
        sum_j = notations.compose("Σ", "", "j", s.style)
        also = any(x.op == SUM_X for x in _subtrees(e))
        over = "the classes as well as the examples" if also else "the classes"
        cause += (
            f": for softmax + cross-entropy each example's {a} − y sums to 0 over the classes "
            f"({sum_j} {a_j} = 1 = {sum_j} {y_j}), so a sum over {over} gives exactly 0: sum "
            "over the examples only (the rows, axis 0)"
        )
    return cause + "."


def _subtrees(e: Expr) -> list[Expr]:
    return [e, *(x for a in e.args for x in _subtrees(a))]


def _stale_sentence(s: Setting, eta: float) -> tuple[str, str]:
    """The stale-weights hint for a fitted η, and its formula w^{l+1} − η ∂C/∂w^{l+1}."""
    name = _symbol(s)
    w_up = notations.text("weight", s.layer + 1, notation=s.notation, style=s.style)
    dw = notations.text(
        "cost", s.layer + 1, wrt="weight", batch=bool(s.batch), notation=s.notation, style=s.style
    )
    bp, equation = _equation(s)
    sentence = (
        f"your {name} matches {bp} computed with {w_up} − η {dw} for η = "
        f"{eta:.6g} (fitted to your numbers), on every trial: the weights were already "
        f"updated when {bp} used them. Compute every delta with the old weights first "
        f"({equation}), then update the weights."
    )
    return sentence, f"{w_up} − η {dw}"


def stale_weights(s: Setting) -> float | None:
    """η if the learner's δ^l is BP2 computed with w^{l+1} − η ∂C/∂w^{l+1} on every trial."""
    if s.kind != "delta" or s.layer >= s.L:
        return None
    layer = s.layer
    rows: list[tuple[Mat, Mat, Mat]] = []  # per trial: right δ, the η-part, the learner's
    for t, env in enumerate(s.envs):
        d_up, w_up = env["delta", layer + 1], env["w", layer + 1]
        sp = s.sigma_prime(env["z", layer])
        m = len(d_up)
        # ∂C/∂w^{l+1} of the batch cost: (1/m) Σ_x δ^{l+1} (a^l)ᵀ (a sum: no 1/m)
        mean = 1.0 / m if s.reduction == "mean" else 1.0
        grad = _scale(mean, _matmul(_transpose(d_up), env["a", layer]))
        right = _hadamard(_matmul(d_up, w_up), sp)
        part = _hadamard(_matmul(d_up, grad), sp)
        rows.append((right, part, s.targets[t]))
    right, part, got = rows[0]
    num = sum(
        (r - g) * p
        for rr, pr, gr in zip(right, part, got, strict=True)
        for r, p, g in zip(rr, pr, gr, strict=True)
    )
    den = sum(p * p for pr in part for p in pr)
    if den == 0.0:
        return None
    eta = num / den
    if abs(eta) < 1e-12:
        return None
    for right, part, got in rows:
        want = tuple(
            tuple(r - eta * p for r, p in zip(rr, pr, strict=True))
            for rr, pr in zip(right, part, strict=True)
        )
        if not _equal(want, got):
            return None
    return eta


def explain_quantity(
    runs: Sequence[Any],
    kind: str,
    i: int,
    sizes: Sequence[int],
    hidden: str,
    output: str,
    cost: str,
    batch: int | None,
    notation: str | notations.Notation | None = None,
    reduction: str = "mean",
) -> Found | None:
    """The learner's formula for its first wrong quantity (kind 'delta', 'grad_b' or 'grad_w'
    of layer i + 2), found by the bounded search; a stale-weights hint; or None.

    runs are the grader's trials (weights, xs, ys, acts, zs, deltas, grad_a and the learner's
    got_deltas, got_w, got_b, in nn.grading's layout)."""
    s = prepare(runs, kind, i, sizes, hidden, output, cost, batch, notation, reduction)
    u = replace(s, style="unicode")  # the same setting, writing its sentences in unicode
    zero = _is_zero(s.targets)
    if zero and all(v == 0.0 for t in s.targets for r in t for v in r):
        return None  # exactly 0.0 everywhere: a placeholder not filled in, not a formula
    if not zero:
        eta = stale_weights(s)
        if eta is not None:
            sentence, text = _stale_sentence(s, eta)
            bp = _equation(s)[0]
            w_up = notations.text("weight", s.layer + 1, notation=s.notation, style=s.style)
            return Found(
                None,
                text,
                sentence,
                0,
                sentence_unicode=_stale_sentence(u, eta)[0],
                eta=eta,
                name=_symbol(s),
                gist=f"{w_up} already updated when {bp} used it",
            )
    result = search(s)
    if result.expr is None:
        return None
    right = _correct(s)
    e = _expand_all(result.expr)  # the atom (w^{l+1})ᵀ δ^{l+1} as its product
    e = e if zero else canonical(_as_the_right_one_reads(s, e, right), right)
    say = _zero_sentence if zero else _sentence
    return Found(
        e,
        render(e, s),
        say(s, e),
        result.candidates,
        zero=zero,
        sentence_unicode=say(u, e),
        unicode=render(e, s, "unicode"),
        latex=render(e, s, "latex"),
        name=_symbol(s),
        gist="" if zero else (_why(s, e)[1] or f"{_symbol(s)} = {render(e, s)}"),
    )
