"""Tests for nn.closed_form: the BP1–BP4 oracle vs central differences and textbook identities."""

import ast
import copy
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nn.closed_form import (
    COSTS,
    Backprop,
    backprop,
    backprop_batch,
    cost,
    cost_gradient,
    forward,
    sgd_step,
)
from nn.costs import COSTS as COST_TABLE

EPS = 1e-6
HIDDEN = ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "softplus", "elu", "gelu")
# The output activations each cost fits, from the cost table.
OUTPUTS_FOR_COST: dict[str, Sequence[str]] = {name: row.fits for name, row in COST_TABLE.items()}
KINK_MARGIN = 1e-3

Target = Any  # list[float], or an int class index for cross_entropy


@dataclass
class Case:
    """A random network, a batch of examples and a cost that fits the network."""

    weights: list[list[list[float]]]
    biases: list[list[float]]
    activations: list[str]
    xs: list[list[float]]
    ys: list[Target]
    cost_name: str

    def cost_at(self, x: list[float], y: Target) -> float:
        """C for one example, by the forward pass and the cost alone (no backprop)."""
        return cost(
            self.cost_name, forward(self.weights, self.biases, self.activations, x)[-1][1], y
        )


bounded = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)


def vectors(n: int) -> st.SearchStrategy[list[float]]:
    return st.lists(bounded, min_size=n, max_size=n)


def targets(cost_name: str, n_out: int) -> st.SearchStrategy[Target]:
    if cost_name == "cross_entropy":
        return st.integers(0, n_out - 1)
    if cost_name in ("binary_cross_entropy", "binary_cross_entropy_with_logits"):
        return st.lists(st.floats(0.0, 1.0), min_size=n_out, max_size=n_out)
    if cost_name == "hinge":
        return st.lists(st.sampled_from([-1.0, 1.0]), min_size=n_out, max_size=n_out)
    return vectors(n_out)


@st.composite
def cases(
    draw: st.DrawFn,
    cost_names: Sequence[str] = COSTS,
    outputs: Sequence[str] | None = None,
    n_out: int | None = None,
    max_batch: int = 1,
) -> Case:
    """Draw a 1–4 weight-layer net of widths 1–5 with a cost, targets and a valid last layer."""
    cost_name = draw(st.sampled_from(cost_names))
    last = draw(st.sampled_from(outputs or OUTPUTS_FOR_COST[cost_name]))
    n_layers = draw(st.integers(1, 4))
    widths = draw(st.lists(st.integers(1, 5), min_size=n_layers + 1, max_size=n_layers + 1))
    if n_out is not None:
        widths[-1] = n_out
    if last == "softmax" and cost_name == "binary_cross_entropy":
        widths[-1] = max(widths[-1], 2)  # a one-way softmax is exactly 1, where ln(1 − a) fails
    hidden = draw(st.lists(st.sampled_from(HIDDEN), min_size=n_layers - 1, max_size=n_layers - 1))
    weights = [[draw(vectors(widths[i])) for _ in range(widths[i + 1])] for i in range(n_layers)]
    biases = [draw(vectors(widths[i + 1])) for i in range(n_layers)]
    batch = draw(st.integers(1, max_batch))
    xs = [draw(vectors(widths[0])) for _ in range(batch)]
    ys = [draw(targets(cost_name, widths[-1])) for _ in range(batch)]
    case = Case(weights, biases, [*hidden, last], xs, ys, cost_name)
    assume(all(away_from_kinks(case, x, y) for x, y in zip(case.xs, case.ys, strict=True)))
    return case


def away_from_kinks(case: Case, x: list[float], y: Target) -> bool:
    """True when no relu sits near z = 0, no hinge near its kink and no log near 0."""
    layers = forward(case.weights, case.biases, case.activations, x)
    for name, (z, _) in zip(case.activations, layers, strict=True):
        if name in ("relu", "leaky_relu") and any(abs(z_j) < KINK_MARGIN for z_j in z):
            return False
    a = layers[-1][1]
    if case.cost_name == "hinge":
        return all(abs(1.0 - y_j * a_j) > KINK_MARGIN for a_j, y_j in zip(a, y, strict=True))
    if case.cost_name == "binary_cross_entropy":
        # 1 − a keeps only ~16 + log10(1 − a) digits, which central differences amplify by 1/ε
        return all(1e-4 < a_j < 1.0 - 1e-4 for a_j in a)
    if case.cost_name == "cross_entropy":
        return bool(a[y] > 1e-9)
    return True


def central_difference(f: Callable[[], float], cell: list[float], k: int) -> float:
    """(f(θ + ε) − f(θ − ε)) / 2ε for the parameter θ = cell[k], restoring it afterwards."""
    theta = cell[k]
    cell[k] = theta + EPS
    up = f()
    cell[k] = theta - EPS
    down = f()
    cell[k] = theta
    return (up - down) / (2 * EPS)


def assert_close(analytic: float, numeric: float, c: float, what: str) -> None:
    # Central differences are off by ~ ε_mach |C| / EPS from rounding in C itself, hence the
    # |C|-scaled term next to the usual 1e-5 abs + 1e-4 rel.
    tolerance = 1e-5 + 1e-4 * abs(numeric) + 1e-8 * abs(c)
    assert abs(analytic - numeric) <= tolerance, f"{what}: backprop {analytic}, numeric {numeric}"


# --------------------------------------------------------------------------------------------
# BP1–BP4 against central differences of cost(forward(...))
# --------------------------------------------------------------------------------------------


@settings(deadline=None)
@given(cases())
def test_weight_bias_and_delta_match_central_differences(case: Case) -> None:
    x, y = case.xs[0], case.ys[0]
    result = backprop(case.weights, case.biases, case.activations, x, y, case.cost_name)
    c = case.cost_at(x, y)
    assert result.cost == pytest.approx(c, rel=1e-12, abs=1e-12)
    for i, layer in enumerate(result.layers):
        for j, row in enumerate(case.weights[i]):
            for k in range(len(row)):
                numeric = central_difference(lambda: case.cost_at(x, y), row, k)
                assert_close(layer.grad_w[j][k], numeric, c, f"dC/dw^{i + 2}_{j}{k}")
        for j in range(len(case.biases[i])):
            numeric = central_difference(lambda: case.cost_at(x, y), case.biases[i], j)
            assert_close(layer.grad_b[j], numeric, c, f"dC/db^{i + 2}_{j}")
            # Shifting b^l_j by ε shifts z^l_j by exactly ε (∂z^l_j/∂b^l_j = 1) and nothing else
            # in layer l, so the same central difference is ∂C/∂z^l_j = δ^l_j.
            assert_close(layer.delta[j], numeric, c, f"delta^{i + 2}_{j}")


@settings(deadline=None)
@given(cases())
def test_results_hold_the_forward_pass_and_bp3_bp4_exactly(case: Case) -> None:
    x, y = case.xs[0], case.ys[0]
    result = backprop(case.weights, case.biases, case.activations, x, y, case.cost_name)
    layers = forward(case.weights, case.biases, case.activations, x)
    a_prev = x
    for layer, (z, a) in zip(result.layers, layers, strict=True):
        assert layer.z == z
        assert layer.a == a
        assert layer.grad_b == layer.delta  # BP3
        assert layer.grad_w == [[d_j * a_k for a_k in a_prev] for d_j in layer.delta]  # BP4
        a_prev = a


def test_forward_matches_a_worked_example() -> None:
    # 2-2-1 net, sigmoid hidden, linear output, worked by hand from z = w a + b, a = σ(z).
    w2, b2 = [[0.5, -1.0], [2.0, 0.25]], [0.1, -0.2]
    w3, b3 = [[1.5, -0.5]], [0.3]
    x = [1.0, 2.0]
    z2 = [0.5 * 1.0 - 1.0 * 2.0 + 0.1, 2.0 * 1.0 + 0.25 * 2.0 - 0.2]  # [-1.4, 2.3]
    a2 = [1 / (1 + math.exp(-z)) for z in z2]
    z3 = [1.5 * a2[0] - 0.5 * a2[1] + 0.3]
    (got_z2, got_a2), (got_z3, got_a3) = forward([w2, w3], [b2, b3], ["sigmoid", "linear"], x)
    assert got_z2 == pytest.approx(z2, rel=1e-12)
    assert got_a2 == pytest.approx(a2, rel=1e-12)
    assert got_z3 == pytest.approx(z3, rel=1e-12)
    assert got_a3 == got_z3
    # quadratic with y = 0: δ^3 = a^3 − y (BP1), δ^2_k = w^3_0k δ^3_0 σ'(z^2_k) (BP2)
    result = backprop([w2, w3], [b2, b3], ["sigmoid", "linear"], x, [0.0], "half_mse")
    d3 = z3[0]
    d2 = [w3[0][k] * d3 * a2[k] * (1 - a2[k]) for k in range(2)]
    assert result.cost == pytest.approx(0.5 * z3[0] ** 2)
    assert result.layers[1].delta == pytest.approx([d3])
    assert result.layers[0].delta == pytest.approx(d2)
    for row, d in zip(result.layers[0].grad_w, d2, strict=True):
        assert row == pytest.approx([d * x_k for x_k in x])  # BP4: a^1_k δ^2_j


# --------------------------------------------------------------------------------------------
# Textbook identities, computed by the generic BP1 and observed here
# --------------------------------------------------------------------------------------------


def output_layer(case: Case) -> tuple[list[float], list[float]]:
    """(z^L, δ^L) of backprop on the case's first example."""
    result = backprop(
        case.weights, case.biases, case.activations, case.xs[0], case.ys[0], case.cost_name
    )
    return result.layers[-1].a, result.layers[-1].delta


@settings(deadline=None)
@given(cases(cost_names=["binary_cross_entropy"], outputs=["sigmoid"]))
def test_sigmoid_with_binary_cross_entropy_gives_delta_a_minus_y(case: Case) -> None:
    a, delta = output_layer(case)
    expected = [a_j - y_j for a_j, y_j in zip(a, case.ys[0], strict=True)]
    assert delta == pytest.approx(expected, rel=1e-9, abs=1e-12)


@settings(deadline=None)
@given(cases(cost_names=["cross_entropy"], outputs=["softmax"]))
def test_softmax_with_cross_entropy_gives_delta_a_minus_onehot(case: Case) -> None:
    a, delta = output_layer(case)
    c = case.ys[0]
    expected = [a_j - (1.0 if j == c else 0.0) for j, a_j in enumerate(a)]
    assert delta == pytest.approx(expected, rel=1e-9, abs=1e-12)


@settings(deadline=None)
@given(cases(cost_names=["quadratic"], outputs=["linear"]))
def test_linear_with_quadratic_gives_delta_a_minus_y(case: Case) -> None:
    a, delta = output_layer(case)
    assert delta == [a_j - y_j for a_j, y_j in zip(a, case.ys[0], strict=True)]


@settings(deadline=None)
@given(cases(cost_names=["mse"], outputs=["tanh"], n_out=1))
def test_tanh_with_mse_on_one_output_gives_delta_2_a_minus_y_times_1_minus_a2(case: Case) -> None:
    a, delta = output_layer(case)
    y = case.ys[0]
    assert delta == pytest.approx([2 * (a[0] - y[0]) * (1 - a[0] ** 2)], rel=1e-12, abs=1e-15)


@settings(deadline=None)
@given(cases(cost_names=["binary_cross_entropy_with_logits"]))
def test_bce_with_logits_gives_delta_sigmoid_z_minus_y(case: Case) -> None:
    z, delta = output_layer(case)
    expected = [1 / (1 + math.exp(-z_j)) - y_j for z_j, y_j in zip(z, case.ys[0], strict=True)]
    assert delta == pytest.approx(expected, rel=1e-9, abs=1e-12)


# --------------------------------------------------------------------------------------------
# Costs on their own
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "a", "y", "expected"),
    [
        ("mse", [1.0, 2.0, 3.0], [0.0, 0.0, 0.0], 14 / 3),
        ("quadratic", [1.0, 2.0, 3.0], [0.0, 0.0, 0.0], 7.0),
        ("half_mse", [1.0, 2.0, 3.0], [0.0, 0.0, 0.0], 7.0),  # the old name of quadratic
        ("squared_error", [1.0, 2.0, 3.0], [0.0, 0.0, 0.0], 14.0),
        ("binary_cross_entropy", [0.8, 0.1], [1.0, 0.0], -math.log(0.8) - math.log(0.9)),
        ("binary_cross_entropy_with_logits", [0.0], [1.0], math.log(2.0)),
        ("binary_cross_entropy_with_logits", [1000.0], [0.0], 1000.0),
        ("binary_cross_entropy_with_logits", [-1000.0], [0.0], 0.0),
        ("cross_entropy", [0.2, 0.5, 0.3], 1, -math.log(0.5)),
        ("hinge", [0.5, -2.0, 3.0], [1.0, -1.0, -1.0], 0.5 + 0.0 + 4.0),
    ],
)
def test_cost_values(name: str, a: list[float], y: Target, expected: float) -> None:
    assert cost(name, a, y) == pytest.approx(expected, rel=1e-12, abs=1e-12)


@settings(deadline=None)
@given(st.lists(st.floats(-12.0, 12.0), min_size=1, max_size=5), st.data())
def test_bce_with_logits_equals_bce_of_sigmoid(z: list[float], data: st.DataObject) -> None:
    # |z| ≤ 12 keeps 1 − σ(z) ≥ 6e-6, so the naive form still has 10 good digits; beyond that it
    # drifts (z = 27, y = 0: naive 26.99996, logits 27.0), which is why the logits form exists.
    y = data.draw(targets("binary_cross_entropy", len(z)))
    a = [1 / (1 + math.exp(-z_j)) for z_j in z]
    expected = cost("binary_cross_entropy", a, y)
    assert cost("binary_cross_entropy_with_logits", z, y) == pytest.approx(expected, rel=1e-6)


@settings(deadline=None)
@given(st.sampled_from(COSTS), st.integers(1, 5), st.data())
def test_cost_gradient_matches_central_differences(name: str, n: int, data: st.DataObject) -> None:
    if name in ("binary_cross_entropy", "cross_entropy"):
        a = data.draw(st.lists(st.floats(0.05, 0.95), min_size=n, max_size=n))
    else:
        a = data.draw(vectors(n))
    y = data.draw(targets(name, n))
    if name == "hinge":
        assume(all(abs(1 - y_j * a_j) > KINK_MARGIN for a_j, y_j in zip(a, y, strict=True)))
    gradient = cost_gradient(name, a, y)
    c = cost(name, a, y)
    for j in range(n):
        numeric = central_difference(lambda: cost(name, a, y), a, j)
        assert_close(gradient[j], numeric, c, f"dC/da_{j} for {name}")


def test_hinge_derivative_is_zero_at_the_kink() -> None:
    assert cost_gradient("hinge", [1.0, -1.0], [1.0, -1.0]) == [0.0, 0.0]
    assert cost_gradient("hinge", [0.5, 2.0], [1.0, 1.0]) == [-1.0, 0.0]


def test_relu_derivative_is_zero_at_exactly_zero() -> None:
    result = backprop([[[1.0]]], [[0.0]], ["relu"], [0.0], [1.0], "half_mse")
    assert result.layers[0].z == [0.0]
    assert result.layers[0].delta == [0.0]


def test_sigmoid_and_softmax_are_stable_for_huge_inputs() -> None:
    ((_, a),) = forward([[[1.0], [-1.0]]], [[0.0, 0.0]], ["sigmoid"], [1000.0])
    assert a == [1.0, 0.0]
    ((_, a),) = forward([[[1.0], [1.0], [-1.0]]], [[0.0, 0.0, 0.0]], ["softmax"], [1000.0])
    assert a == [0.5, 0.5, 0.0]


# --------------------------------------------------------------------------------------------
# Batches and the SGD step
# --------------------------------------------------------------------------------------------


@settings(deadline=None)
@given(cases(max_batch=4))
def test_backprop_batch_is_the_mean_of_backprop(case: Case) -> None:
    singles = [
        backprop(case.weights, case.biases, case.activations, x, y, case.cost_name)
        for x, y in zip(case.xs, case.ys, strict=True)
    ]
    batch = backprop_batch(
        case.weights, case.biases, case.activations, case.xs, case.ys, case.cost_name
    )
    m = len(singles)
    assert batch.cost == pytest.approx(sum(s.cost for s in singles) / m, rel=1e-12, abs=1e-12)
    for i, layer in enumerate(batch.layers):
        mean_b = [sum(s.layers[i].grad_b[j] for s in singles) / m for j in range(len(layer.grad_b))]
        assert layer.grad_b == pytest.approx(mean_b, rel=1e-12, abs=1e-12)
        for j, row in enumerate(layer.grad_w):
            mean_row = [sum(s.layers[i].grad_w[j][k] for s in singles) / m for k in range(len(row))]
            assert row == pytest.approx(mean_row, rel=1e-12, abs=1e-12)
        # z, a and delta are those of the last example
        assert layer.z == singles[-1].layers[i].z
        assert layer.a == singles[-1].layers[i].a
        assert layer.delta == singles[-1].layers[i].delta


@settings(deadline=None)
@given(cases(max_batch=4), st.floats(1e-3, 1.0))
def test_sgd_step_moves_by_minus_lr_times_the_mean_gradient(case: Case, lr: float) -> None:
    before_w, before_b = copy.deepcopy(case.weights), copy.deepcopy(case.biases)
    rows = [row for w in case.weights for row in w]
    grads = backprop_batch(
        case.weights, case.biases, case.activations, case.xs, case.ys, case.cost_name
    )
    returned = sgd_step(
        case.weights, case.biases, case.activations, case.xs, case.ys, case.cost_name, lr
    )
    assert returned == pytest.approx(grads.cost, rel=1e-12, abs=1e-12)
    assert [row for w in case.weights for row in w] == rows  # the same lists, updated in place
    assert all(a is b for a, b in zip(rows, [row for w in case.weights for row in w], strict=True))
    for i, layer in enumerate(grads.layers):
        expected_b = [b - lr * g for b, g in zip(before_b[i], layer.grad_b, strict=True)]
        assert case.biases[i] == pytest.approx(expected_b, rel=1e-12, abs=1e-12)
        for j, g_row in enumerate(layer.grad_w):
            expected_w = [w - lr * g for w, g in zip(before_w[i][j], g_row, strict=True)]
            assert case.weights[i][j] == pytest.approx(expected_w, rel=1e-12, abs=1e-12)


def test_sgd_steps_learn_xor() -> None:
    xs = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    ys = [[0.0], [1.0], [1.0], [0.0]]
    weights = [[[0.5, -0.4], [-0.3, 0.6], [0.7, 0.2], [-0.6, -0.5]], [[0.4, -0.3, 0.5, 0.2]]]
    biases = [[0.1, -0.1, 0.0, 0.2], [0.0]]
    activations = ["tanh", "linear"]
    first = sgd_step(weights, biases, activations, xs, ys, "mse", 0.2)
    for _ in range(1000):
        last = sgd_step(weights, biases, activations, xs, ys, "mse", 0.2)
    assert first > 0.2
    assert last < 1e-3


# --------------------------------------------------------------------------------------------
# User errors
# --------------------------------------------------------------------------------------------

W = [[[0.1, 0.2], [0.3, 0.4]], [[0.5, 0.6]]]  # a 2-2-1 net
B = [[0.0, 0.0], [0.0]]


def run(
    weights: Any = W,
    biases: Any = B,
    activations: Any = ("tanh", "linear"),
    x: Any = (1.0, 2.0),
    y: Any = (0.5,),
    cost_name: str = "mse",
) -> Backprop:
    return backprop(weights, biases, activations, x, y, cost_name)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: run(weights=[], biases=[], activations=[]), ValueError, "no weight layers"),
        (lambda: run(biases=[[0.0, 0.0]]), ValueError, "2 weight matrices but 1 bias"),
        (lambda: run(activations=["tanh"]), ValueError, "2 weight matrices but 1 activations"),
        (lambda: run(activations="tanh"), TypeError, "list of names"),
        (lambda: run(x=[1.0]), ValueError, "x has 1 entry but .* expects 2 inputs"),
        (lambda: run(y=[0.5, 0.5]), ValueError, "y has 2 entries but the output layer has 1"),
        (lambda: run(biases=[[0.0], [0.0]]), ValueError, r"biases\[0\] has 1 entry but"),
        (
            lambda: run(weights=[W[0], [[0.5, 0.6, 0.7]]]),
            ValueError,
            r"weights\[1\]\[0\] has 3 entries but layer 2 has 2 neurons",
        ),
        (lambda: run(weights=[W[0], []]), ValueError, r"weights\[1\] \(layer 3\) has no rows"),
        (lambda: run(weights=[[[], []], W[1]]), ValueError, r"weights\[0\]\[0\] is empty"),
        (lambda: run(activations=["swish", "linear"]), ValueError, "unknown activation 'swish'"),
        (
            lambda: run(activations=["softmax", "linear"]),
            ValueError,
            "softmax is only allowed on the output layer",
        ),
        (lambda: run(cost_name="l1"), ValueError, "unknown cost 'l1'"),
        (
            lambda: run(y=0, cost_name="cross_entropy"),
            ValueError,
            "cross_entropy does not fit a linear output: .*; use a softmax output",
        ),
        (
            lambda: run(
                activations=["tanh", "sigmoid"], cost_name="binary_cross_entropy_with_logits"
            ),
            ValueError,
            "does not fit a sigmoid output: it reads the logit z .*; use a linear output",
        ),
        (
            lambda: run(activations=["tanh", "softmax"], y=1, cost_name="cross_entropy"),
            ValueError,
            "class index 1 is out of range for 1 output;",
        ),
        (
            lambda: run(activations=["tanh", "softmax"], y=-1, cost_name="cross_entropy"),
            ValueError,
            "class index -1 is out of range",
        ),
        (
            lambda: run(activations=["tanh", "softmax"], y=[1.0], cost_name="cross_entropy"),
            TypeError,
            "int class index",
        ),
        (
            lambda: run(activations=["tanh", "softmax"], y=True, cost_name="cross_entropy"),
            TypeError,
            "int class index",
        ),
        (lambda: run(y=0.5), TypeError, r"wrap it as \[0.5\]"),
        (
            lambda: run(activations=["tanh", "sigmoid"], y=[1.5], cost_name="binary_cross_entropy"),
            ValueError,
            r"takes a number in \[0, 1\] per output .*: target\[0\] = .* is outside \[0, 1\]",
        ),
        (
            lambda: run(y=[-0.5], cost_name="binary_cross_entropy_with_logits"),
            ValueError,
            r"takes a number in \[0, 1\] per output .*: target\[0\] = .* is outside \[0, 1\]",
        ),
        (lambda: run(y=[0.0], cost_name="hinge"), ValueError, "hinge takes −1 or \\+1 per output"),
        (
            lambda: run(activations=["tanh", "relu"], cost_name="binary_cross_entropy", y=[1.0]),
            ValueError,
            "^binary_cross_entropy does not fit a relu output: .*; use a sigmoid or softmax output",
        ),
        (lambda: cost("binary_cross_entropy", [1.5], [1.0]), ValueError, "with_logits"),
        (lambda: cost_gradient("binary_cross_entropy", [-0.5], [0.0]), ValueError, r"in \[0, 1\]"),
        (lambda: cost("cross_entropy", [1.0, 0.0], 1), ValueError, "underflowed"),
        (lambda: cost("mse", [], []), ValueError, "at least one output"),
        (lambda: cost("nope", [1.0], [1.0]), ValueError, "unknown cost 'nope'"),
        (lambda: cost_gradient("hinge", [1.0], [2.0]), ValueError, "map 0/1 labels"),
        (
            lambda: backprop_batch(W, B, ["tanh", "linear"], [[1.0, 2.0]], [], "mse"),
            ValueError,
            "1 input but 0 targets",
        ),
        (
            lambda: backprop_batch(W, B, ["tanh", "linear"], [], [], "mse"),
            ValueError,
            "the batch is empty",
        ),
        (
            lambda: sgd_step(
                copy.deepcopy(W),
                copy.deepcopy(B),
                ["tanh", "linear"],
                [[1.0, 2.0]],
                [[0.0]],
                "mse",
                0.0,
            ),
            ValueError,
            "learning rate must be a finite number > 0",
        ),
        (
            lambda: sgd_step(
                copy.deepcopy(W),
                copy.deepcopy(B),
                ["tanh", "linear"],
                [[1.0, 2.0]],
                [[0.0]],
                "mse",
                math.nan,
            ),
            ValueError,
            "learning rate",
        ),
        (lambda: forward(W, B, ["tanh", "linear"], [1.0, 2.0, 3.0]), ValueError, "x has 3 entries"),
    ],
)
def test_user_errors_raise_with_a_helpful_message(
    call: Callable[[], object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        call()


def test_sgd_step_leaves_parameters_alone_when_it_raises() -> None:
    weights, biases = copy.deepcopy(W), copy.deepcopy(B)
    xs = [[1.0, 2.0], [1.0, 2.0, 3.0]]  # the second example is malformed
    with pytest.raises(ValueError, match="x has 3 entries"):
        sgd_step(weights, biases, ["tanh", "linear"], xs, [[0.0], [0.0]], "mse", 0.1)
    assert weights == W
    assert biases == B


def imported_modules(path: Path) -> set[str]:
    """The top-level names of every module a source file imports, anywhere in the file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            # a relative import (from . import x) would reach into the package, e.g. the engine
            names.add("." if node.level else (node.module or "").partition(".")[0])
    return names


@pytest.mark.parametrize("module", ["closed_form", "data"])
def test_oracle_and_datasets_use_the_standard_library_only(module: str) -> None:
    # nn.closed_form is the oracle: written without the engine (or numpy) it cannot share a bug
    # with it; nn.data is dependency-free so the datasets work wherever the package installs
    # (the oracle reads the cost table, nn.costs, for which costs exist, which output each fits
    # and what its targets are: names and domains, never a number it computes)
    path = Path(__file__).parent.parent / "nn" / f"{module}.py"
    outside = imported_modules(path) - set(sys.stdlib_module_names)
    if module == "closed_form":
        assert relative_imports(path) == {"costs"}
        outside -= {"."}
    assert not outside, f"nn/{module}.py imports {sorted(outside)}"


def relative_imports(path: Path) -> set[str]:
    """The names a source file imports with `from . import name`."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            assert node.module is None, "only `from . import name` is expected"
            names |= {alias.name for alias in node.names}
    return names
