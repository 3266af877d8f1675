"""trace: record a step's graph once, replay it as straight-line Python made from the op table.

``step = trace(fn, params)`` where ``fn(*inputs)`` builds a scalar loss from Values. The first
call with inputs of a given shape runs ``fn`` on Values, walks the graph it built, and writes
one Python function: a line per node for the forward pass (the row's forward, evaluated on
symbols), a line per edge for the backward pass (``g_parent += g_node * <local derivative>``,
the row's own derivative rule evaluated on symbols), in exactly the order and with exactly the
float operations of ``backward()``. Later calls with the same shapes run that function on
floats: the gradients and the loss are equal (``==``) to the eager engine's.

In three passes, as jax does it: ``record`` runs fn and keeps the graph (and the guards branch()
met); ``lower`` turns a recorded path into equations (op, inputs, outputs, params as data);
``python`` writes those as source and compiles it. A caller's ``describe(node)`` hook adds what
the engine cannot know about a node (nn.program_notes says what each node of a network is).

What a trace cannot capture: a branch in ``fn`` on a value (``if x.data > 0:``), or a
constant computed from the data (``m = max(z.data ...)``), is recorded as it went for the
traced inputs, as with torch.jit.trace and jax.jit. ``trace(..., check=True)`` re-traces on
every call and raises ``TraceMismatchError`` naming the first op that differs. Branches inside
an op's own rule (relu, the special cases of ``**``) are fine: they are part of the row.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ..modes import is_anomaly_enabled
from ..ops import DomainError
from ..value import Value
from .lower import Describe, Note, Path, Var, lower
from .python import Program, emit
from .record import (
    Record,
    Shape,
    TraceError,
    TraceMismatchError,
    branch,
    count,
    describe_kind,
    flat_rows,
    is_traced_input,
    max_data,
    rebuild,
    record,
    recording_of,
)
from .vector import Miss as VectorMiss
from .vector import VectorProgram, emit_vector

__all__ = [
    "Note",
    "Trace",
    "TraceError",
    "TraceMismatchError",
    "VectorMiss",
    "branch",
    "is_traced_input",
    "max_data",
    "trace",
]

# programs kept per Trace, one per input shape (least recently used dropped): an int class
# index is part of the shape, so a 10-class problem's batches need 10, used in turn
CACHE_SIZE = 32
MAX_PATHS = 8  # guarded paths per program; an example that fits none beyond runs eagerly
BACKENDS = ("python", "numpy")  # the Python program (exact, the default) or numpy over a batch


# --------------------------------------------------------------------------------- Trace
class _Entry:
    """The recorded paths of one input shape and the programs made from them."""

    __slots__ = ("program", "records", "vector")

    def __init__(
        self, records: list[Record], program: Program, vector: VectorProgram | None = None
    ) -> None:
        self.records = records
        self.program = program
        self.vector = vector  # the numpy backend's program over a batch, when there is one


class Trace:
    """A traced step: call it with one example's inputs; see trace()."""

    def __init__(
        self,
        fn: Callable[..., Any],
        params: Sequence[Value],
        check: bool = False,
        describe: Describe | None = None,
        backend: str = "python",
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(
                f"trace: backend must be one of {', '.join(map(repr, BACKENDS))}, got {backend!r}"
            )
        if backend == "numpy":
            try:
                import numpy  # noqa: F401
            except ImportError as e:
                raise ImportError(
                    "trace(..., backend='numpy') needs numpy: pip install 'deltagrad[fast]', "
                    "or leave backend='python'"
                ) from e
        self.backend = backend
        if not callable(fn):
            raise TypeError(f"trace: fn must be callable, got {type(fn).__name__}")
        self.fn = fn
        self.params = list(params)
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"trace: params[{i}] must be a Value, got {type(p).__name__}")
        self.check = bool(check)
        if describe is not None and not callable(describe):
            raise TypeError(
                f"trace: describe must be a function of a node, got {type(describe).__name__}"
            )
        self.describe = describe
        self._index = {id(p): i for i, p in enumerate(self.params)}
        self._programs: dict[Shape, _Entry] = {}
        self._capacity = CACHE_SIZE  # programs kept: more if one batch has more shapes
        self._latest: Program | None = None
        self._latest_entry: _Entry | None = None
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

    @property
    def vector_source(self) -> str:
        """The numpy backend's program of the latest call (backend='numpy' only)."""
        return self.vector_program.source

    @property
    def vector_program(self) -> VectorProgram:
        """The numpy backend's program of the latest call: its .source, and .lines(key), the
        lines of a group whose describe Note has that key (backend='numpy' only)."""
        if self.backend != "numpy":
            raise TraceError(
                f"trace: this trace uses backend={self.backend!r}, which writes no numpy "
                "program; trace with backend='numpy'"
            )
        entry = self._latest_entry
        if entry is None or entry.vector is None:
            raise TraceError("trace: no numpy program yet; call the step once, then read it")
        return entry.vector

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
            raise ValueError(
                f"trace: seeds must be one per example: got {len(seeds)} for {len(examples)}"
            )
        if not examples:
            return []
        prepared = flat_rows(examples, seeds)
        if prepared is not None:
            return self.replay(*prepared)
        with self._all_or_none():
            return self._mixed(examples, seeds)

    def _mixed(self, examples: Sequence[Sequence[Any]], seeds: Sequence[float]) -> list[float]:
        """batch() of examples whose shapes differ."""
        # mixed shapes (an int class index is part of the shape): the numpy backend runs each
        # shape's examples as one batch; the Python one runs each run of examples of one shape
        # in turn, so that the gradients add up in the eager engine's order
        groups = _by_shape(examples, seeds, anywhere=self.backend == "numpy")
        # the cache holds at least every shape of one batch: else each batch would trace its
        # shapes again, one after another pushing the next one out
        self._capacity = max(self._capacity, len({shape for shape, _, _ in groups}))
        losses = [0.0] * len(examples)
        for shape, at, rows in groups:
            for k, c in zip(at, self.replay(shape, rows), strict=True):
                losses[k] = c
        return losses

    def prepare(self, examples: Sequence[Sequence[Any]]) -> tuple[Shape, list[tuple[Any, ...]]]:
        """Flatten examples once for many calls: their shape and one tuple of floats each.

        Raises TraceError if the examples' shapes differ. replay(shape, [(seed, *floats)...])
        then runs them without flattening again (what fit does, epoch after epoch).
        """
        examples = list(examples)
        if not examples:
            return (), []
        prepared = flat_rows(examples, [1.0] * len(examples))
        if prepared is None:
            raise TraceError("trace.prepare: the examples have different shapes")
        shape, rows = prepared
        return shape, [row[1:] for row in rows]

    def replay(self, shape: Shape, rows: list[tuple[Any, ...]]) -> list[float]:
        """Run rows (seed, *floats) of one shape, as prepare() gives them; the losses.

        It adds the gradients of all the rows or of none (batch() too): if one raises (a NaN
        input, a domain error), the params' .grad are left as they were.
        """
        if not rows:
            return []
        if len(rows) == 1:  # a program adds one row's gradients at its end; _eager guards itself
            return self._replay(shape, rows)
        with self._all_or_none():
            return self._replay(shape, rows)

    @contextlib.contextmanager
    def _all_or_none(self) -> Iterator[None]:
        """The params' .grad put back as they were if the block raises."""
        kept = [p.grad for p in self.params]
        try:
            yield
        except BaseException:
            for p, g in zip(self.params, kept, strict=True):
                p.grad = g
            raise

    def _replay(self, shape: Shape, rows: list[tuple[Any, ...]]) -> list[float]:
        entry = self._entry(shape, rows[0])
        if self.check:
            for row in rows:
                self._check(entry, shape, row)
        if is_anomaly_enabled():  # debugging: the eager engine finds the node that made a NaN
            return self._eager(shape, rows)
        if entry.vector is not None:
            try:
                return entry.vector.function(rows, self.params)
            except VectorMiss:  # an example takes another branch: the Python program's paths
                pass
            except (ArithmeticError, ValueError, DomainError):
                return self._eager(shape, rows)  # the eager engine's error, or its numbers
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

    def vector(self, shape: Shape, row: tuple[Any, ...]) -> VectorProgram | None:
        """The numpy program for rows of this shape (traced at row, (seed, *floats), if none
        is yet), or None with backend='python'."""
        return self._entry(shape, row).vector

    def _names(self, shape: Shape) -> list[str]:
        names: list[str] = []
        for k, s in enumerate(shape):
            arg = self._arg_names[k] if k < len(self._arg_names) else f"arg{k}"
            if s == "n":
                names.append(arg)
            elif s[0] != "int":
                names.extend(f"{arg}_{i}" for i in range(count(s)))
        return names

    def _make(self, shape: Shape, records: list[Record]) -> _Entry:
        inputs = [Var(name, "x") for name in self._names(shape)]
        params: dict[int, tuple[Var, Var]] = {}
        paths: list[Path] = [
            lower(rec, inputs, self._index, params, self.describe) for rec in records
        ]
        program = emit(paths, inputs, self._arg_names)
        vector = None
        if self.backend == "numpy":  # one array program per path; each but the last picks
            last = len(paths) - 1  # its examples out of a batch (the last takes the rest)
            args = self._arg_names
            vector = VectorProgram(
                [
                    emit_vector(p, inputs, args, k < last, _telling(records, k))
                    for k, p in enumerate(paths)
                ]
            )
        entry = _Entry(records, program, vector)
        self._programs.pop(shape, None)
        if len(self._programs) >= self._capacity:
            self._programs.pop(next(iter(self._programs)))
        self._programs[shape] = entry  # most recently used last
        self._latest = program
        self._latest_entry = entry
        return entry

    def _entry(self, shape: Shape, row: tuple[Any, ...]) -> _Entry:
        """The programs for this shape, traced at row if there are none yet."""
        entry = self._programs.pop(shape, None)
        if entry is None:
            return self._make(shape, [self._record(shape, row)])
        self._programs[shape] = entry  # most recently used last
        self._latest = entry.program
        self._latest_entry = entry
        return entry

    def _record(self, shape: Shape, row: tuple[Any, ...]) -> Record:
        return record(self.fn, self._index, shape, row[1:], self._names(shape))

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

    def _mismatch(self, old: Record, rec: Record) -> None:
        for i, (was, now) in enumerate(zip(old.signature, rec.signature, strict=False)):
            if was != now:
                raise TraceMismatchError(
                    f"trace check: node {i} of this call's graph is "
                    f"{describe_kind(now, rec.order[i])}, but the recorded program has "
                    f"{describe_kind(was, old.order[i])} there; the function takes another path "
                    "for these inputs (a branch on a value, or a constant computed from the data), "
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
            with recording_of(inputs):
                losses.append(self.fn(*rebuild(shape, iter(inputs))))
        with self._all_or_none():  # a backward that raises midway adds nothing
            for c, (seed, *_) in zip(losses, rows, strict=True):
                c.backward(gradient=seed)
        return [c.data for c in losses]

    def clear(self) -> None:
        """Forget every recorded program (the next call traces again)."""
        self._programs.clear()
        self._latest = None
        self._latest_entry = None


def _by_shape(
    examples: Sequence[Sequence[Any]], seeds: Sequence[float], anywhere: bool
) -> list[tuple[Shape, list[int], list[tuple[Any, ...]]]]:
    """The examples in groups of one shape: (shape, their positions, their rows (seed, *floats)).

    anywhere: every example of a shape in one group; else a group is a run of examples of one
    shape that follow each other (the groups in the examples' order)."""
    groups: list[tuple[Shape, list[int], list[tuple[Any, ...]]]] = []
    by_shape: dict[Shape, tuple[Shape, list[int], list[tuple[Any, ...]]]] = {}
    for k, (e, w) in enumerate(zip(examples, seeds, strict=True)):
        one = flat_rows([e], [w])
        assert one is not None  # a single example has one shape
        shape = one[0]
        group = by_shape.get(shape) if anywhere else None
        if group is None and groups and groups[-1][0] == shape:
            group = groups[-1]
        if group is None:
            group = by_shape[shape] = (shape, [], [])
            groups.append(group)
        group[1].append(k)
        group[2].extend(one[1])
    return groups


def _telling(records: Sequence[Record], k: int) -> set[int] | None:
    """The positions of record k's guards that tell it from each later record: the first test
    that went another way. The guards are in the order fn met them, and fn runs the same code
    for both until that test, so they are compared by test and outcome alone (a node's position
    in a record depends on the rest of its graph). None: all of them, where no test differs."""
    mine = records[k].guards
    out: set[int] = set()
    for other in records[k + 1 :]:
        pairs = enumerate(zip(mine, other.guards, strict=False))
        i = next((i for i, (a, b) in pairs if a[1:] != b[1:]), None)
        if i is None:
            return None
        out.add(mine[i][0])
    return out


def trace(
    fn: Callable[..., Value],
    params: Sequence[Value],
    *,
    check: bool = False,
    describe: Describe | None = None,
    backend: str = "python",
) -> Trace:
    """Record fn's graph once per input shape and replay it as generated straight-line Python.

    fn(*inputs) must build a scalar loss from Values; inputs are numbers or lists of numbers
    (features and targets alike), and reach the program as its arguments; an int is static (a
    class index), part of the shape. step(*inputs) adds d(loss)/dp into p.grad for every p in
    params (as backward() does) and returns the loss. A branch in fn on a value is recorded as
    it went when traced, unless it is written with branch(), which the program checks and
    follows: check=True re-traces every call and raises TraceMismatchError at the first op
    that differs from the recorded path. describe(node) -> Note | None, if given, says what a
    node is, for the program's comments and names (nn.program_notes gives a network's).

    backend='numpy' also writes the step as array code over a batch (autograd.tracing.vector:
    sibling linear nodes as one matrix product, an op over them as one array op), one program
    per path, run by batch() and replay() on the examples that take that path; its numbers
    agree with the eager engine's to rounding, not to the bit. It needs numpy (pip install
    'deltagrad[fast]'). The default, 'python', is exact.
    """
    return Trace(fn, params, check, describe, backend)
