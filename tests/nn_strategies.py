"""Hypothesis strategies for nn tests: random networks, weights, batches and the cost that fits."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from autograd import Value
from nn import MLP, costs
from tests.strategies import away_from_zero, reals

HIDDEN = ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "softplus", "elu", "gelu")

# (cost, output activation) pairs: the classic pairings plus a few that are merely legal.
SCENARIOS = (
    ("mse", "linear"),
    ("mse", "tanh"),
    ("mse", "relu"),
    ("mse", "leaky_relu"),
    ("mse", "softplus"),
    ("quadratic", "elu"),
    ("quadratic", "gelu"),
    ("quadratic", "linear"),
    ("quadratic", "sigmoid"),
    ("squared_error", "tanh"),
    ("binary_cross_entropy", "sigmoid"),
    ("binary_cross_entropy_with_logits", "linear"),
    ("cross_entropy", "softmax"),
    ("hinge", "linear"),
    ("hinge", "tanh"),
)
for _cost, _output in SCENARIOS:  # each one a pair the cost table accepts
    costs.check_pair(_cost, _output)


@dataclass
class NetCase:
    """A network (sizes, activations, weights), a batch of examples and the cost to use."""

    nin: int
    widths: list[int]
    hidden: str
    output: str
    cost: str
    weights: list[list[list[float]]]  # weights[i][j][k] = w^{i+2}_jk
    biases: list[list[float]]  # biases[i][j] = b^{i+2}_j
    xs: list[list[float]]
    ys: list[Any]  # list[float] per example, or an int class index for cross_entropy
    expand: bool

    @property
    def activations(self) -> list[str]:
        """The closed form's activation list: hidden layers, then the output layer."""
        return [self.hidden] * (len(self.widths) - 1) + [self.output]

    def state(self) -> dict[str, Any]:
        """The weights as an MLP state_dict."""
        state: dict[str, Any] = {}
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            state[f"layers.{i}.w"] = w
            state[f"layers.{i}.b"] = b
        return state

    def model(self) -> MLP:
        """An MLP with exactly these weights (set through load_state_dict)."""
        m = MLP(self.nin, self.widths, self.hidden, self.output, seed=0, expand=self.expand)
        m.load_state_dict(self.state())
        return m

    @property
    def loss_fn(self) -> Callable[[Any, Any], Value]:
        """The engine's per-example loss for this cost, from the cost table's row."""
        return costs.COSTS[self.cost].loss

    def prediction(self, model: MLP, outputs: list[Value]) -> list[Value]:
        """What the loss takes: the outputs a^L, or the logits z^L for a cost that reads z."""
        return model.layers[-1].z if costs.COSTS[self.cost].reads == "z" else outputs


def targets(cost: str, n_out: int) -> st.SearchStrategy[Any]:
    """A target for one example of the given cost with n_out outputs, from its target domain."""
    domain = costs.COSTS[cost].targets
    if domain.kind == "class":
        return st.integers(0, n_out - 1)
    if domain.kind == "values":
        component: st.SearchStrategy[float] = st.sampled_from(domain.values)
    else:  # an interval, within [−1, 1]
        component = reals(max(domain.lo, -1.0), min(domain.hi, 1.0))
    return st.lists(component, min_size=n_out, max_size=n_out)


@st.composite
def net_cases(
    draw: st.DrawFn,
    max_layers: int = 4,
    max_width: int = 6,
    max_batch: int = 1,
    scenarios: tuple[tuple[str, str], ...] = SCENARIOS,
    expand: bool | None = None,
) -> NetCase:
    """A random MLP (1..max_layers weight layers, widths 1..max_width), weights and examples.

    expand=None draws whether the neurons are built from * and + nodes; True/False fixes it.
    """
    cost, output = draw(st.sampled_from(scenarios))
    hidden = draw(st.sampled_from(HIDDEN))
    nin = draw(st.integers(1, max_width))
    n_layers = draw(st.integers(1, max_layers))
    widths = draw(st.lists(st.integers(1, max_width), min_size=n_layers, max_size=n_layers))
    if output == "softmax":
        widths[-1] = max(widths[-1], 2)  # a softmax over one neuron is the constant 1
    sizes = [nin, *widths]
    weights = [
        draw(
            st.lists(
                st.lists(reals(-1.5, 1.5), min_size=n_in, max_size=n_in),
                min_size=n_out,
                max_size=n_out,
            )
        )
        for n_in, n_out in itertools.pairwise(sizes)
    ]
    # biases away from 0, so all-zero weights do not put every relu exactly on its kink
    biases = [draw(st.lists(away_from_zero(0.05, 1.0), min_size=n, max_size=n)) for n in widths]
    batch = draw(st.integers(1, max_batch))
    xs = [draw(st.lists(reals(-2.0, 2.0), min_size=nin, max_size=nin)) for _ in range(batch)]
    ys = [draw(targets(cost, widths[-1])) for _ in range(batch)]
    if expand is None:
        expand = draw(st.booleans())
    return NetCase(nin, widths, hidden, output, cost, weights, biases, xs, ys, expand)
