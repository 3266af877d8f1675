"""The numbers views show, one accessor per quantity: a node's data, its grad, δ at a z node.

Every drawing, page and explanation reads its numbers through these, so a number shown under a
name is that node's value of that field and nothing else (δ^l_j is the grad of z^l_j, never
its data). The backward pass's own numbers (upstream, local derivatives, what a step adds to
each parent) come from its Step records, read here too.
"""

from __future__ import annotations

from autograd import Step, Value


def as_float(x: object) -> float:
    """x as a float: a Value's data (a grad after backward(create_graph=True)), else float(x)."""
    if isinstance(x, float):
        return x
    if isinstance(x, Value):
        return x.data
    return float(x)  # type: ignore[arg-type]


def data(node: Value) -> float:
    """The node's value (its forward result)."""
    return node.data


def grad(node: Value) -> float:
    """node.grad as a float (after backward(create_graph=True) it is a Value)."""
    return as_float(node.grad)


def delta(z: Value) -> float:
    """δ at a pre-activation z: ∂C/∂z, the grad of the z node (never its data)."""
    return as_float(z.grad)


def upstream(step: Step) -> float:
    """The gradient a step received: ∂root/∂(step's node), final at that step."""
    return as_float(step.upstream)


def local(step: Step, i: int) -> float:
    """The local derivative ∂(step's node)/∂(its parent i)."""
    return as_float(step.local[i])


def contribution(step: Step, i: int) -> float:
    """What the step added to parent i's grad: upstream · local."""
    return as_float(step.contributions[i])
