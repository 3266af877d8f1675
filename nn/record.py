"""Recorder: what fit() computed at chosen steps (parameters, gradients, z, a, δ), as plain data.

``fit(..., record=Recorder(every=k))`` keeps, at steps 0, k, 2k, … and the last step, the
numbers of that real training step read off the engine's own graph after ``backward()`` and
before the optimizer moves anything:

- the parameters w^l_jk, b^l_j that the forward pass used, and their gradients ∂C/∂w, ∂C/∂b;
- the batch loss C and the batch accuracy (the fraction of the batch that the outputs of this
  forward pass classify right, by the model's decision rule as in ``accuracy()``);
- for every neuron, the batch means of z, a and δ, and z, a and δ for each recorded example.

C is the batch mean (1/m) Σ_x C_x, so the engine's z.grad for example x is ∂C/∂z^x = δ^x / m,
where δ^x = ∂C_x/∂z^x is Nielsen's per-example error. The recording keeps δ^x = m · z.grad,
so that BP4 reads ∂C/∂w^l_jk = (1/m) Σ_x a^{x,l−1}_k δ^{x,l}_j and BP3 ∂C/∂b^l_j = mean δ^l_j.
It keeps σ′(z^x) of each recorded example too, from the derivative rule of the op that made a
(None for a softmax layer). For the output layer it also keeps ∂C_x/∂a^L_j = m · a.grad,
the first factor of BP1 (0 for a
softmax layer under cross_entropy, whose loss is taken on the logits z^L, not on a^L).

The recording is a dict of lists of floats (json.dumps works on it); its size grows with the
number of recorded steps and examples, never with the number of training steps.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from autograd import OPS, Value

from .classify import decision_rule, target_class

__all__ = ["FORMAT", "Recorder"]

FORMAT = "deltagrad.recording"
# about the length of one number of a recording in JSON ("-0.12345678901234567, "), for budgets
BYTES_PER_NUMBER = 21


def _count(what: str, n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"Recorder: {what} must be an int >= 1, got {n!r}")
    return int(n)


def _sigma_prime(
    examples: list[tuple[list[Value], list[Value]]], activation: str
) -> list[list[float]] | None:
    """σ′(z_j) for each neuron j and example, by the a node's op-table derivative rule.

    None for softmax, whose a_j depends on every z_i of the layer (no elementwise σ′).
    """
    if activation == "softmax":
        return None
    width = len(examples[0][0]) if examples else 0
    rows: list[list[float]] = []
    for j in range(width):
        row = []
        for zs, as_ in examples:
            z, a = zs[j], as_[j]
            if a is z:  # linear: a^l_j is the node z^l_j itself, σ(z) = z
                row.append(1.0)
            elif a.parents == (z,) and a.op in OPS:
                row.append(float(OPS[a.op].derivative(z.data, a.data)[0]))
            else:
                raise TypeError(
                    f"Recorder: the {activation} activation of neuron {j} is not one op applied "
                    "to its z, so its σ′ cannot be read from the graph"
                )
        rows.append(row)
    return rows


class Recorder:
    """Keeps the numbers of every k-th training step of fit(); pass it as fit(..., record=...).

    every: record steps 0, every, 2·every, … and the last step. keep: record adaptively
    instead, so that a run stopped early still has its steps spread over what it did: start
    at the spacing every, and whenever more than 2·keep + 1 steps are held, double the spacing
    and drop the records between (step 0 and the newest stay; keep + 1 to 2·keep + 1 are
    held). examples: the indices (into
    fit's xs) whose per-example z, a and δ are kept when they are in the batch; None keeps
    every example of the batch. decide maps a model's outputs to a class for the accuracy;
    the default is the model's own rule, nn.classify.decision_rule(model) (as accuracy() uses):
    argmax of several outputs, and for one output the threshold of its activation (0.5 after
    a sigmoid, 0 after a linear output or tanh).
    """

    def __init__(
        self,
        every: int = 1,
        examples: Iterable[int] | None = None,
        decide: Callable[[Any], object] | None = None,
        keep: int | None = None,
    ) -> None:
        self.every = _count("every", every)
        self.keep = None if keep is None else _count("keep", keep)
        self.examples: list[int] | None = None
        if examples is not None:
            chosen = list(examples)
            for i in chosen:
                if isinstance(i, bool) or not isinstance(i, numbers.Integral) or i < 0:
                    raise ValueError(
                        f"Recorder: examples must be indices >= 0 into fit's xs, got {i!r}"
                    )
            self.examples = sorted({int(i) for i in chosen})
        self.decide = decide
        self.steps: list[dict[str, Any]] = []
        self.total_steps = 0
        self._nodes: list[tuple[int, list[tuple[list[Value], list[Value]]]]] = []

    @classmethod
    def within(
        cls, budget: int, steps: int, n: int, neurons: int, every: int | None = None
    ) -> Recorder:
        """A Recorder for a run of steps on n examples whose per-example z, a, δ fit in budget.

        budget is in bytes of JSON and neurons is the model's number of neurons. At most 31
        steps are held, recorded adaptively (keep=15): every step at first, the spacing doubling
        as the run goes on, so a run stopped by Ctrl-C replays steps spread over what it did;
        to keep z, a and δ of every example it holds fewer (keep down to 5), and past that it
        keeps them for evenly spaced examples only. every= fixes the spacing of the recorded
        steps instead (steps/every + 1 of them, or about).
        """
        per_example = neurons * 3 * BYTES_PER_NUMBER  # z, a and δ of every neuron
        keep: int | None = None
        if every is None:
            fits = max(11, budget // (n * per_example))  # recorded steps that fit
            keep = min(15, (fits - 1) // 2)  # at most 2·keep + 1 are ever held
            recorded = min(2 * keep + 1, steps)
            every = 1
        else:
            recorded = math.ceil(steps / every) + 1
        kept = max(1, min(n, budget // (recorded * per_example)))
        examples = (
            None if kept >= n else [round(i * (n - 1) / max(kept - 1, 1)) for i in range(kept)]
        )
        return cls(every=every, examples=examples, keep=keep)

    # ------------------------------------------------------------------ called by fit()
    def wants(self, step: int, total: int) -> bool:
        """True if step (0-based) of a run of total steps is one to record."""
        self.total_steps = total
        return step % self.every == 0 or step == total - 1

    def forward(self, model: Any, predict: Callable[[Any], Any], x: Any, index: int) -> Any:
        """predict(x) for example index, keeping the z and a nodes of each layer it made."""
        layers = getattr(model, "layers", None)
        if not layers or not all(hasattr(layer, "z") for layer in layers):
            raise TypeError(
                "Recorder: the model must be an nn.MLP (or have .layers with .z and .a after a "
                f"forward pass) to record z, a and δ; got {type(model).__name__}"
            )
        out = predict(x)
        self._nodes.append((index, [(list(layer.z), list(layer.a)) for layer in layers]))
        return out

    def capture(self, step: int, model: Any, loss: Value, outputs: Sequence[Any], ys: Any) -> None:
        """Keep step's numbers: call after loss.backward() and before optimizer.step()."""
        nodes, self._nodes = self._nodes, []
        m = len(nodes)
        rule = decision_rule(model) if self.decide is None else self.decide
        correct = sum(1 for out, y in zip(outputs, ys, strict=True) if rule(out) == target_class(y))
        chosen = None if self.examples is None else set(self.examples)
        keep = [e for e, (i, _) in enumerate(nodes) if chosen is None or i in chosen]
        layers = model.layers
        record: dict[str, Any] = {
            "step": step,
            "loss": float(loss.data),
            "accuracy": correct / m,
            "batch_size": m,
            "w": [[[float(w.data) for w in n.w] for n in layer.neurons] for layer in layers],
            "b": [[float(n.b.data) for n in layer.neurons] for layer in layers],
            "grad_w": [[[float(w.grad) for w in n.w] for n in layer.neurons] for layer in layers],
            "grad_b": [[float(n.b.grad) for n in layer.neurons] for layer in layers],
            "examples": [nodes[e][0] for e in keep],
        }
        for key in ("z", "a", "delta"):
            record[key] = []
            record[f"mean_{key}"] = []
        for li in range(len(layers)):
            zs = [nodes[e][1][li][0] for e in range(m)]  # [example][j] z nodes
            as_ = [nodes[e][1][li][1] for e in range(m)]
            width = len(zs[0])
            per = {
                "z": [[float(zs[e][j].data) for e in range(m)] for j in range(width)],
                "a": [[float(as_[e][j].data) for e in range(m)] for j in range(width)],
                # δ^x = ∂C_x/∂z^x = m · ∂C/∂z^x, as C = (1/m) Σ_x C_x
                "delta": [[m * float(zs[e][j].grad) for e in range(m)] for j in range(width)],
            }
            for key, rows in per.items():
                record[key].append([[row[e] for e in keep] for row in rows])
                record[f"mean_{key}"].append([math.fsum(row) / m for row in rows])
        record["sigma_prime"] = [  # σ′(z^l_j) per recorded example, BP1's and BP2's last factor
            _sigma_prime([nodes[e][1][li] for e in keep], layer.activation)
            for li, layer in enumerate(layers)
        ]
        last = len(layers) - 1
        record["dC_da"] = [  # ∂C_x/∂a^L_j, BP1's first factor
            [m * float(nodes[e][1][last][1][j].grad) for e in keep]
            for j in range(len(nodes[0][1][last][1]))
        ]
        self._hold(record)

    def _hold(self, record: dict[str, Any]) -> None:
        """Add a step's record; with keep=, thin to twice the spacing when too many are held."""
        if self.keep is not None and self.steps and self.steps[-1]["step"] % self.every:
            self.steps.pop()  # off the spacing, held only while it was the newest
        self.steps.append(record)
        if self.keep is not None and len(self.steps) > 2 * self.keep + 1:
            # twice the spacing: the records between go, step 0 and this newest one stay
            self.every *= 2
            self.steps = [s for s in self.steps if s["step"] % self.every == 0 or s is record]

    # ------------------------------------------------------------------ the result
    def data(self) -> dict[str, Any]:
        """The recording as plain JSON-serialisable data (a fresh dict of lists)."""
        return {
            "format": FORMAT,
            "version": 1,
            "every": self.every,
            "total_steps": self.total_steps,
            "steps": [dict(s) for s in self.steps],
        }
