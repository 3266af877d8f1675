"""Forward mode: jvp pushes tangents through a recorded graph with each op's derivative rule."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .ops import DomainError
from .value import Number, Value, backward_error, collect, is_real


def _point(where: str, xs: Sequence[Value | Number], what: str) -> list[float]:
    if isinstance(xs, Value | str | bytes) or not isinstance(xs, Sequence):
        raise TypeError(f"{where}: {what} must be a list of numbers, got {type(xs).__name__}")
    out = []
    for i, x in enumerate(xs):
        if isinstance(x, Value):
            out.append(x.data)
        elif is_real(x):
            out.append(float(x))
        else:
            raise TypeError(f"{where}: {what}[{i}] must be a number, got {type(x).__name__}")
    return out


def tangent_of(output: Value, tangents: dict[Value, float]) -> float:
    """d(output) along a direction: the tangents of some leaves pushed forward through the graph.

    For every node in topological order, ṫ_node = Σ_i ∂node/∂parent_i · ṫ_parent_i, with
    ∂node/∂parent_i from the op's derivative rule in the op table (the rule backward uses).
    Leaves not in `tangents` have tangent 0.
    """
    dot: dict[Value, float] = {}
    for node in collect(output, reset=False):
        parents = node.parents
        if not parents:
            dot[node] = tangents.get(node, 0.0)
            continue
        try:
            local = node._op.derivative(*[p.data for p in parents], node.data)
        except (DomainError, ArithmeticError, ValueError) as e:
            raise backward_error(node, e) from e
        t = 0.0
        for p, d in zip(parents, local, strict=True):
            tp = dot[p]
            if tp != 0.0:  # a zero tangent adds nothing (and 0 * inf would make a NaN)
                t += d * tp
        dot[node] = t
    return dot[output]


def jvp(
    f: Callable[..., Value],
    primals: Sequence[Value | Number],
    tangents: Sequence[Value | Number],
) -> tuple[float, float]:
    """(f(primals), the directional derivative Σ_i ∂f/∂x_i · tangents_i), by forward mode.

    f is called with one Value per primal and must return a Value. One call costs one forward
    pass over the graph, whatever the number of inputs: a whole gradient of f: Rⁿ → R takes n
    calls with the unit tangents, where reverse mode (grad) takes one backward pass.
    """
    point = _point("jvp", primals, "primals")
    direction = _point("jvp", tangents, "tangents")
    if len(point) != len(direction):
        raise ValueError(
            f"jvp: got {len(point)} primals but {len(direction)} tangents; pass one tangent "
            "per primal"
        )
    xs = [Value(x, f"x{i}") for i, x in enumerate(point)]
    out = f(*xs)
    if not isinstance(out, Value):
        raise TypeError(f"jvp: f must return a Value, got {type(out).__name__}")
    return out.data, tangent_of(out, dict(zip(xs, direction, strict=True)))
