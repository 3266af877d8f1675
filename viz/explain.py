"""explain(): one gradient derived by the chain rule, in the graph's own labels, with numbers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autograd import Step, Value, fresh_grads
from nn.module import MLP, Layer

from .draw import check_value, processing_order, visible

# How an unlabelled node made by an op is written in terms of its parents' names.
_BINARY = {"+": "({} + {})", "-": "({} − {})", "*": "({}·{})", "/": "({} / {})", "**": "({}**{})"}
_FUNCTIONS = ("exp", "log", "tanh", "sigmoid", "relu")

# σ'(z) for the activation ops, said once under the derivation
_ACTIVATIONS = {
    "tanh": "σ = tanh, σ'(z) = 1 − tanh²(z)",
    "sigmoid": "σ = sigmoid, σ'(z) = σ(z)·(1 − σ(z))",
    "relu": "σ = relu, σ'(z) = 1 if z > 0 else 0",
}


class Namer:
    """Readable names for the nodes of one graph: labels, else a small expression, else 'node #k'.

    k is the node's step in the backward pass (the same k as the drawing's node id v{k}).
    """

    def __init__(self, order: list[Value]) -> None:
        self.position = {n: k for k, n in enumerate(order)}
        self._cache: dict[Value, str] = {}

    def __call__(self, node: Value) -> str:
        """The name of node inside formulas (an unlabelled leaf is written as its number)."""
        name = self._cache.get(node)
        if name is None:
            name = self._name(node)
            self._cache[node] = name
        return name

    def subject(self, node: Value) -> str:
        """The name of node as the subject of a sentence (an unlabelled leaf is 'node #k')."""
        if not node.label and node.is_leaf:
            return f"node #{self.position[node]}"
        return self(node)

    def _short(self, node: Value) -> str | None:
        if node.label:
            return visible(node.label)
        if node.is_leaf:
            return f"{node.data:g}"
        return None

    def _name(self, node: Value) -> str:
        own = self._short(node)
        if own is not None:
            return own
        parts = [self._short(p) for p in node.parents]
        op = node.op
        if all(p is not None for p in parts):
            names = [p for p in parts if p is not None]
            if len(names) == 2 and op in _BINARY:
                return _BINARY[op].format(*names)
            if len(names) == 1:
                if op == "neg":
                    return f"(−{names[0]})"
                if op in _FUNCTIONS:
                    return f"{op}({names[0]})"
                if op.startswith("**"):  # x ** c, the exponent is part of the op
                    return f"({names[0]}{op})"
                if op.endswith("**"):  # c ** x
                    return f"({op}{names[0]})"
        return f"node #{self.position[node]}"


def number(x: float, digits: int) -> str:
    """x with `digits` significant digits and a real minus sign."""
    return f"{x:.{digits}g}".replace("-", "−")


def factor(x: float, digits: int) -> str:
    """number(x), in parentheses when negative (it stands in a product)."""
    text = number(x, digits)
    return f"({text})" if text.startswith("−") else text


def _delta_name(label: str | None) -> str | None:
    # z^l_j's gradient is δ^l_j
    if label and label.startswith("z^"):
        return "δ" + visible(label)[1:]
    return None


def _local_symbol(child: Value, i: int, name: Callable[[Value], str], node_name: str) -> str:
    """∂child/∂(parent i) written with the graph's names, from the op's derivative rule."""
    op, ps = child.op, child.parents
    if op == "linear":  # z = Σ_k w_k x_k + b: ∂z/∂w_k = x_k, ∂z/∂x_k = w_k, ∂z/∂b = 1
        n = (len(ps) - 1) // 2
        if i < n:
            return name(ps[n + i])
        if i < 2 * n:
            return name(ps[i - n])
        return "1"
    if op == "+":
        return "1"
    if op == "-":
        return "1" if i == 0 else "−1"
    if op == "*":  # ∂(xy)/∂x = y
        return name(ps[1 - i])
    if op == "/":  # ∂(x/y)/∂x = 1/y, ∂(x/y)/∂y = −(x/y)/y
        return f"1/{name(ps[1])}" if i == 0 else f"−{name(child)}/{name(ps[1])}"
    if op == "neg":
        return "−1"
    if op == "exp":  # d e^x/dx = e^x
        return f"exp({name(ps[0])})"
    if op == "log":
        return f"1/{name(ps[0])}"
    if op in _ACTIVATIONS:
        return f"σ'({name(ps[0])})"
    if op == "**":  # ∂x^y/∂x = y x^(y−1), ∂x^y/∂y = x^y ln x
        x, y = name(ps[0]), name(ps[1])
        return f"{y}·{x}**({y} − 1)" if i == 0 else f"{x}**{y}·ln {x}"
    if op.startswith("**"):  # d x^c/dx = c x^(c−1)
        c = float(op[2:])
        return f"{c:g}·{name(ps[0])}" if c == 2.0 else f"{c:g}·{name(ps[0])}**{c - 1.0:g}"
    if op.endswith("**"):  # d c^x/dx = c^x ln c
        return f"{op}{name(ps[0])}·ln {op[:-2]}"
    return f"∂{name(child)}/∂{node_name}"


def explain(node: Value | Layer | MLP, root: Value, digits: int = 4, **layer_view: Any) -> str:
    """∂root/∂node derived by the chain rule, term by term, from root.backward_steps() records.

    Every node's .grad is left exactly as it was. The number is the gradient of one backward
    pass started from zero grads (what node.grad holds after a single root.backward()). Hooks
    registered on nodes run, as in any backward pass.

    For a Layer or an MLP, the layer view instead (viz.layer_view.explain_layers: BP1–BP4 as
    vectors and matrices with the graph's numbers, options notation, cost, y, columns, examples).
    """
    if isinstance(node, Layer | MLP):
        from .layer_view import explain_layers

        return explain_layers(node, root, digits=digits, **layer_view)
    if layer_view:
        raise TypeError(f"explain() of a node takes no options {', '.join(layer_view)}")
    node = check_value(node, "explain()")
    root = check_value(root, "explain(root=...)")
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise ValueError(f"digits must be an int from 1 to 17, got {digits!r}")
    order = processing_order(root)
    name = Namer(order)
    if node not in name.position:
        what = f"node '{visible(node.label)}'" if node.label else "the node"
        raise ValueError(
            f"{what} is not in the graph of "
            f"{name(root)}: it does not feed root; pass the output it feeds (e.g. the loss) as root"
        )
    own, terms = _records(root, node)
    c = visible(root.label) if root.label else "C"
    subject = name.subject(node)
    delta = _delta_name(node.label)
    head = f"{delta} = ∂{c}/∂{subject}" if delta else f"∂{c}/∂{subject}"
    lines: list[str] = []
    if node is root:
        lines.append(f"{head} = 1   (the seed: the backward pass starts from the root)")
    elif len(terms) == 1:
        step, i = terms[0]
        child = name(step.node)
        up = _delta_name(step.node.label) or f"∂{c}/∂{child}"
        local = _local_symbol(step.node, i, name, subject)
        chain = f"∂{c}/∂{child} · ∂{child}/∂{subject}"
        lines.append(
            f"{head} = {chain} = {up} · {local} = {factor(float(step.upstream), digits)} · "
            f"{factor(float(step.local[i]), digits)} = {number(float(own.upstream), digits)}"
        )
    else:
        lines.append(
            f"{head} = Σ over the {len(terms)} uses of {subject}, "
            f"each ∂{c}/∂child · ∂child/∂{subject}:"
        )
        for t, (step, i) in enumerate(terms):
            child = name(step.node)
            up = _delta_name(step.node.label) or f"∂{c}/∂{child}"
            local = _local_symbol(step.node, i, name, subject)
            lead = "    " if t == 0 else "  + "
            lines.append(
                f"{lead}{up} · {local} = {factor(float(step.upstream), digits)} · "
                f"{factor(float(step.local[i]), digits)} = "
                f"{number(float(step.contributions[i]), digits)}   (via {child}, op {step.node.op})"
            )
        lines.append(f"  = {number(float(own.upstream), digits)}")
    notes = sorted({_ACTIVATIONS[s.node.op] for s, _ in terms if s.node.op in _ACTIVATIONS})
    lines.extend(f"  where {note}" for note in notes)
    if not root.label:
        lines.append("  (C stands for the root, which has no label)")
    return "\n".join(lines)


def _records(root: Value, node: Value) -> tuple[Step, list[tuple[Step, int]]]:
    """node's own Step and (Step, parent position) for each use of node, from one fresh pass."""
    own: Step | None = None
    terms: list[tuple[Step, int]] = []
    # leaves accumulate: start from zero so the pass is a single one; the user's grads come back
    with fresh_grads(root):
        for step in root.backward_steps(hooks=False):
            if step.node is node:
                own = step
            for i, p in enumerate(step.node.parents):
                if p is node:  # this step added upstream · local_i to node.grad
                    terms.append((step, i))
    assert own is not None, "every node of the graph gets a step"
    return own, terms
