"""Graph gradients of an MLP against the closed-form BP1–BP4 reference, layer by layer."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from autograd import Value

from . import closed_form, costs, losses
from . import notation as nt
from .activations import HIDDEN_ACTIVATIONS
from .activations import TABLE as ACTIVATION_TABLE
from .module import MLP


@dataclass(frozen=True)
class LayerDiff:
    """Largest |graph − closed form| in one layer l for δ, ∂C/∂w and ∂C/∂b."""

    layer: int  # l, Nielsen's numbering (the first weight layer is 2)
    delta: float
    grad_w: float
    grad_b: float

    def worst(self) -> float:
        """The largest of the three differences."""
        return max(self.delta, self.grad_w, self.grad_b)


def example_loss(model: MLP, x: Sequence[float], y: Any, cost: str) -> Value:
    """C for one example as a graph, by the cost table's row: a cost on the logits reads z^L."""
    row = costs.check_pair(cost, model.layers[-1].activation)  # refuses a pair that does not fit
    outputs = model(x)
    return row.loss(model.layers[-1].z if row.reads == "z" else outputs, y)


def weights_of(model: MLP) -> tuple[list[list[list[float]]], list[list[float]], list[str]]:
    """model.as_lists(): weights, biases and activations as plain lists for nn.closed_form."""
    return model.as_lists()


def compare(
    model: MLP, xs: Sequence[Sequence[float]], ys: Sequence[Any], cost: str
) -> list[LayerDiff]:
    """Per layer, the largest difference between the graph and BP1–BP4 over a batch.

    δ is compared example by example (each example's z^l nodes, after backward on that
    example's C); ∂C/∂w and ∂C/∂b for the batch mean C = (1/m) Σ_x C_x. Parameter gradients
    are reset before and after, so the model's .grad values are left at zero.
    """
    if len(xs) != len(ys) or not xs:
        raise ValueError(f"compare: need one target per input, got {len(xs)} and {len(ys)}")
    weights, biases, activations = model.as_lists()
    n_layers = len(model.layers)
    worst_delta = [0.0] * n_layers
    for x, y in zip(xs, ys, strict=True):
        model.zero_grad()
        example_loss(model, x, y, cost).backward()
        reference = closed_form.backprop(weights, biases, activations, x, y, cost)
        for i, (layer, ref) in enumerate(zip(model.layers, reference.layers, strict=True)):
            for z, d in zip(layer.z, ref.delta, strict=True):
                worst_delta[i] = max(worst_delta[i], abs(z.grad - d))
    model.zero_grad()
    total = losses.batch_loss(lambda x, y: example_loss(model, x, y, cost), list(xs), list(ys))
    total.backward()
    batch = closed_form.backprop_batch(weights, biases, activations, xs, ys, cost)
    result = []
    for i, (layer, ref) in enumerate(zip(model.layers, batch.layers, strict=True)):
        dw = max(
            abs(w.grad - g)
            for n, row in zip(layer.neurons, ref.grad_w, strict=True)
            for w, g in zip(n.w, row, strict=True)
        )
        db = max(abs(n.b.grad - g) for n, g in zip(layer.neurons, ref.grad_b, strict=True))
        result.append(LayerDiff(i + 2, worst_delta[i], dw, db))
    model.zero_grad()
    return result


def columns(notation: str | nt.Notation | None = None) -> tuple[str, str, str, str]:
    """The headers of a comparison table in a notation: layer, max|Δδ|, max|Δ∂C/∂w|, ∂C/∂b."""
    n = nt.get(notation)
    d = nt.text("delta", notation=n)
    # w and b are compared on the batch mean
    dw, db = (nt.text("cost", wrt=q, batch=True, notation=n) for q in ("weight", "bias"))
    return ("layer", f"max|Δ{d}|", f"max|Δ{dw}|", f"max|Δ{db}|")


def layer_number(diff: LayerDiff, notation: str | nt.Notation | None = None) -> int:
    """The layer of a LayerDiff as a notation numbers it (Nielsen's 2 is LFD's and Ng's 1)."""
    return nt.layer_number(diff.layer, notation)


def table(diffs: Sequence[LayerDiff], notation: str | nt.Notation | None = None) -> str:
    """compare()'s result as a text table, headed and numbered in a notation."""
    heads = columns(notation)
    widths = [max(5, len(h)) for h in heads]
    lines = ["  ".join(h.rjust(w) for h, w in zip(heads, widths, strict=True))]
    for d in diffs:
        cells = [
            str(layer_number(d, notation)),
            *(f"{x:.2e}" for x in (d.delta, d.grad_w, d.grad_b)),
        ]
        lines.append("  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)))
    return "\n".join(lines)


def random_case(rng: random.Random) -> tuple[MLP, list[list[float]], list[Any], str]:
    """A random network, three inputs, their targets and a cost that fits: one check trial.

    1 to 3 layers of 1 to 4 neurons, any hidden activation, an output the cost fits, weights
    and biases drawn from U(−1.5, 1.5), inputs from U(−2, 2) and targets from the cost's
    target domain (within the output's range).
    """
    depth = rng.randint(1, 3)
    widths = [rng.randint(1, 4) for _ in range(depth)]
    cost = rng.choice(list(costs.COSTS))
    row = costs.COSTS[cost]
    hidden = rng.choice(HIDDEN_ACTIVATIONS)
    # an output the cost fits: linear, tanh or sigmoid where it may, else its own (softmax)
    common = [a for a in ("linear", "tanh", "sigmoid") if row.fits_output(a)]
    output = rng.choice(common or list(row.fits))
    if output == "softmax":
        widths[-1] = max(widths[-1], 2)  # a softmax over one output is the constant 1
    nin = rng.randint(1, 4)
    model = MLP(nin, widths, activation=hidden, output_activation=output, seed=rng.randrange(2**31))
    for p in model.parameters():
        p.data = rng.uniform(-1.5, 1.5)
    xs = [[rng.uniform(-2.0, 2.0) for _ in range(nin)] for _ in range(3)]
    within = ACTIVATION_TABLE[output].range
    ys = [row.targets.sample(rng, widths[-1], within) for _ in xs]  # the cost's target domain
    return model, xs, ys, cost
