"""Textbook identities for δ^L (a − y and friends), read off z.grad, with BP2 checked by hand."""

from __future__ import annotations

import math

from hypothesis import assume, given
from hypothesis import strategies as st

from autograd import Value
from nn import MLP, losses
from tests.strategies import reals

seeds = st.integers(0, 2**32 - 1)


def inputs(n: int) -> st.SearchStrategy[list[float]]:
    return st.lists(reals(-2.0, 2.0), min_size=n, max_size=n)


def close(actual: float, expected: float) -> bool:
    return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-12)


def sigma_prime(activation: str, z: Value, a: Value) -> float:
    """σ'(z^l_j), written out from the textbook formulas (not taken from the engine)."""
    if activation == "tanh":
        return 1.0 - a.data**2
    if activation == "sigmoid":
        return a.data * (1.0 - a.data)
    if activation == "relu":
        return 1.0 if z.data > 0.0 else 0.0
    assert activation == "linear"
    return 1.0


def assert_hidden_layers_follow_bp2(model: MLP) -> None:
    """BP2 by hand: δ^l_k = (Σ_j w^{l+1}_jk δ^{l+1}_j) σ'(z^l_k), against z^l_k.grad."""
    for layer, upper in zip(model.layers, model.layers[1:], strict=False):
        for k, (z, a) in enumerate(zip(layer.z, layer.a, strict=True)):
            back = sum(
                n.w[k].data * z_up.grad for n, z_up in zip(upper.neurons, upper.z, strict=True)
            )
            expected = back * sigma_prime(layer.activation, z, a)
            assert close(z.grad, expected), (layer.layer_index, k, z.grad, expected)


def relu_off_kink(model: MLP) -> bool:
    return all(
        abs(z.data) > 1e-6 for layer in model.layers if layer.activation == "relu" for z in layer.z
    )


@given(seeds, inputs(3), st.lists(reals(0.0, 1.0), min_size=2, max_size=2))
def test_sigmoid_output_with_binary_cross_entropy_gives_delta_a_minus_y(
    seed: int, x: list[float], y: list[float]
) -> None:
    model = MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=seed)
    out = model(x)
    losses.binary_cross_entropy(out, y).backward()
    # ∂C/∂a = (a − y) / (a (1 − a)) and σ'(z) = a (1 − a): the sigmoid's slope cancels
    for z, a, y_j in zip(model.layers[-1].z, out, y, strict=True):
        assert close(z.grad, a.data - y_j)
    assert_hidden_layers_follow_bp2(model)


@given(seeds, inputs(3), st.integers(0, 3))
def test_softmax_output_with_cross_entropy_gives_delta_y_hat_minus_one_hot(
    seed: int, x: list[float], c: int
) -> None:
    model = MLP(3, [5, 4], activation="sigmoid", output_activation="softmax", seed=seed)
    y_hat = model(x)
    # nn.losses.cross_entropy takes the logits z^L (a stable log-sum-exp): C = −ln softmax(z)_c
    losses.cross_entropy(model.layers[-1].z, c).backward()
    for j, (z, a) in enumerate(zip(model.layers[-1].z, y_hat, strict=True)):
        assert close(z.grad, a.data - (1.0 if j == c else 0.0))
    assert_hidden_layers_follow_bp2(model)


@given(seeds, inputs(3), st.integers(0, 3))
def test_cross_entropy_from_the_softmax_probabilities_gives_the_same_delta(
    seed: int, x: list[float], c: int
) -> None:
    model = MLP(3, [5, 4], activation="tanh", output_activation="softmax", seed=seed)
    y_hat = model(x)
    # C = −ln a_c on the network's softmax nodes: backward goes through the softmax Jacobian
    # ∂a_i/∂z_j = a_i (1[i = j] − a_j) and still lands on ŷ − y
    (-(y_hat[c].log())).backward()
    for j, (z, a) in enumerate(zip(model.layers[-1].z, y_hat, strict=True)):
        assert math.isclose(z.grad, a.data - (1.0 if j == c else 0.0), rel_tol=1e-9, abs_tol=1e-9)
    assert_hidden_layers_follow_bp2(model)


@given(seeds, inputs(2), st.lists(reals(-1.0, 1.0), min_size=3, max_size=3))
def test_linear_output_with_half_mse_gives_delta_y_hat_minus_y(
    seed: int, x: list[float], y: list[float]
) -> None:
    model = MLP(2, [4, 3], activation="relu", output_activation="linear", seed=seed)
    for p in model.parameters():
        p.data += 0.05  # nonzero biases: z = 0 exactly (relu's kink) only by rare coincidence
    y_hat = model(x)
    assume(relu_off_kink(model))
    losses.half_mse(y_hat, y).backward()
    # C = ½ Σ (ŷ − y)²: the ½ cancels the 2 of the square, and σ' = 1
    for z, a, y_j in zip(model.layers[-1].z, y_hat, y, strict=True):
        assert close(z.grad, a.data - y_j)
    assert_hidden_layers_follow_bp2(model)


@given(seeds, inputs(2), reals(-1.0, 1.0))
def test_tanh_output_with_squared_error_gives_delta_2_a_minus_y_times_1_minus_a_squared(
    seed: int, x: list[float], y: float
) -> None:
    model = MLP(2, [3, 1], activation="linear", output_activation="tanh", seed=seed)
    (a,) = model(x)
    losses.mse([a], [y]).backward()  # one output: the mean is (a − y)² itself
    # ∂C/∂a = 2 (a − y) and tanh'(z) = 1 − a²: no cancellation, the slope stays in δ
    assert close(model.layers[-1].z[0].grad, 2.0 * (a.data - y) * (1.0 - a.data**2))
    assert_hidden_layers_follow_bp2(model)


@given(seeds, inputs(2), st.lists(reals(-1.0, 1.0), min_size=4, max_size=4))
def test_mse_means_over_n_outputs_so_delta_is_divided_by_n(
    seed: int, x: list[float], y: list[float]
) -> None:
    n = len(y)
    model = MLP(2, [3, n], activation="tanh", output_activation="tanh", seed=seed)
    out = model(x)
    losses.mse(out, y).backward()
    with_mean = [z.grad for z in model.layers[-1].z]
    for d, a, y_j in zip(with_mean, out, y, strict=True):
        # C = (1/n) Σ (a − y)²: δ^L_j = 2 (a_j − y_j)(1 − a_j²) / n
        assert close(d, 2.0 * (a.data - y_j) * (1.0 - a.data**2) / n)
    assert_hidden_layers_follow_bp2(model)

    out = model(x)
    losses.half_mse(out, y).backward()
    for d, z, a, y_j in zip(with_mean, model.layers[-1].z, out, y, strict=True):
        # C = ½ Σ (a − y)²: δ^L_j = (a_j − y_j)(1 − a_j²), n/2 times the mean's
        assert close(z.grad, (a.data - y_j) * (1.0 - a.data**2))
        assert close(z.grad, d * n / 2.0)


@given(seeds, inputs(2), st.lists(reals(-1.0, 1.0), min_size=2, max_size=2))
def test_delta_is_the_gradient_at_z_not_at_a(seed: int, x: list[float], y: list[float]) -> None:
    model = MLP(2, [3, 2], activation="sigmoid", output_activation="tanh", seed=seed)
    out = model(x)
    losses.half_mse(out, y).backward()
    for layer in model.layers:
        for z, a in zip(layer.z, layer.a, strict=True):
            # BP1/BP2 in one line: δ = ∂C/∂z = ∂C/∂a · σ'(z); a.grad is the "error" before σ'
            slope = sigma_prime(layer.activation, z, a)
            assert close(z.grad, a.grad * slope)
            if abs(a.grad) > 1e-9 and slope < 0.99:
                assert not close(z.grad, a.grad)
