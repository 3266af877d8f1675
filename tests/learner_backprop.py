"""A learner's backprop written from BP1–BP4 in plain Python, and one mutant per known mistake.

`make_backprop(hidden, output, cost, mistake=None, batch=False)` returns fn(weights, biases, x, y)
in the layout nn.grading.check_backprop documents. With `mistake` set, exactly one line of the
derivation is written the wrong way a learner writes it; the names are nn.grading's MISTAKES keys
(with a variant after a colon where one mistake has several forms).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

Backprop = Callable[[Any, Any, Any, Any], tuple[Any, Any, Any]]


GELU_C = math.sqrt(2.0 / math.pi)


def sigma(name: str, z: float) -> float:
    if name == "sigmoid":
        return 1.0 / (1.0 + math.exp(-z))
    if name == "tanh":
        return math.tanh(z)
    if name == "relu":
        return max(z, 0.0)
    if name == "leaky_relu":
        return z if z > 0.0 else 0.01 * z
    if name == "softplus":
        return math.log(1.0 + math.exp(z))
    if name == "elu":
        return z if z > 0.0 else math.exp(z) - 1.0
    if name == "gelu":  # the tanh approximation
        return 0.5 * z * (1.0 + math.tanh(GELU_C * (z + 0.044715 * z**3)))
    assert name == "linear", name
    return z


def sigma_prime(name: str, z: float) -> float:
    if name == "sigmoid":
        s = sigma("sigmoid", z)
        return s * (1.0 - s)
    if name == "tanh":
        return 1.0 - math.tanh(z) ** 2
    if name == "relu":
        return 1.0 if z > 0.0 else 0.0
    if name == "leaky_relu":
        return 1.0 if z > 0.0 else 0.01
    if name == "softplus":
        return sigma("sigmoid", z)
    if name == "elu":
        return 1.0 if z > 0.0 else math.exp(z)
    if name == "gelu":
        t = math.tanh(GELU_C * (z + 0.044715 * z**3))
        return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * GELU_C * (1.0 + 3 * 0.044715 * z * z)
    assert name == "linear", name
    return 1.0


def softmax(z: list[float]) -> list[float]:
    top = max(z)
    e = [math.exp(v - top) for v in z]
    return [v / sum(e) for v in e]


def cost_gradient(cost: str, a: list[float], y: Any, mistake: str | None) -> list[float]:
    n = len(a)
    if cost == "mse":
        if mistake == "missing_output_mean":
            return [2.0 * (a_j - y_j) for a_j, y_j in zip(a, y, strict=True)]
        if mistake == "missing_output_mean:a_minus_y":  # quadratic's derivative, for mse
            return [a_j - y_j for a_j, y_j in zip(a, y, strict=True)]
        if mistake == "factor_two":
            return [(a_j - y_j) / n for a_j, y_j in zip(a, y, strict=True)]
        return [2.0 * (a_j - y_j) / n for a_j, y_j in zip(a, y, strict=True)]
    if cost == "squared_error":
        if mistake == "factor_two":
            return [a_j - y_j for a_j, y_j in zip(a, y, strict=True)]
        return [2.0 * (a_j - y_j) for a_j, y_j in zip(a, y, strict=True)]
    if cost in ("quadratic", "half_mse"):
        if mistake == "factor_two":
            return [2.0 * (a_j - y_j) for a_j, y_j in zip(a, y, strict=True)]
        return [a_j - y_j for a_j, y_j in zip(a, y, strict=True)]
    if cost == "binary_cross_entropy":
        return [(a_j - y_j) / (a_j * (1.0 - a_j)) for a_j, y_j in zip(a, y, strict=True)]
    if cost == "hinge":
        return [-y_j if y_j * a_j < 1.0 else 0.0 for a_j, y_j in zip(a, y, strict=True)]
    raise ValueError(cost)


def output_delta(
    output: str, cost: str, z: list[float], a: list[float], y: Any, mistake: str | None
) -> list[float]:
    """BP1, with the mistakes that live in it."""
    if cost == "cross_entropy":  # softmax + cross-entropy: δ = a − e_c
        if mistake == "class_index_as_number":
            return [a_j - y for a_j in a]
        delta = [a_j - (1.0 if j == y else 0.0) for j, a_j in enumerate(a)]
        if mistake == "extra_sigma_prime":
            delta = [d * a_j * (1.0 - a_j) for d, a_j in zip(delta, a, strict=True)]
        return delta
    if cost == "binary_cross_entropy_with_logits":  # δ = σ(z) − y
        delta = [sigma("sigmoid", z_j) - y_j for z_j, y_j in zip(z, y, strict=True)]
        if mistake == "extra_sigma_prime":
            delta = [d * sigma_prime("sigmoid", z_j) for d, z_j in zip(delta, z, strict=True)]
        return delta
    if cost == "binary_cross_entropy" and output == "sigmoid" and mistake != "extra_sigma_prime":
        return [a_j - y_j for a_j, y_j in zip(a, y, strict=True)]  # σ' cancels
    if mistake == "missing_sigma_prime:error_signal":
        return [a_j - y_j for a_j, y_j in zip(a, y, strict=True)]
    grad = cost_gradient(cost, a, y, mistake)
    if mistake == "extra_sigma_prime":  # (a − y) · σ'(z) for sigmoid + BCE
        return [
            (a_j - y_j) * sigma_prime(output, z_j) for a_j, y_j, z_j in zip(a, y, z, strict=True)
        ]
    if output == "softmax":
        return [
            sum(
                g_i * a_i * ((1.0 if i == j else 0.0) - a[j])
                for i, (g_i, a_i) in enumerate(zip(grad, a, strict=True))
            )
            for j in range(len(a))
        ]
    if mistake in ("missing_sigma_prime", "missing_sigma_prime:bp1"):
        return grad
    if mistake in ("sigma_for_sigma_prime", "sigma_for_sigma_prime:bp1"):
        return [g * sigma(output, z_j) for g, z_j in zip(grad, z, strict=True)]
    return [g * sigma_prime(output, z_j) for g, z_j in zip(grad, z, strict=True)]


def make_backprop(
    hidden: str, output: str, cost: str, mistake: str | None = None, batch: bool = False
) -> Backprop:
    """A learner's backprop for one example (or a batch of rows), with at most one mistake."""

    def one(weights: Any, biases: Any, x: list[float], y: Any) -> tuple[Any, Any, Any]:
        n_layers = len(weights)
        names = [hidden] * (n_layers - 1) + [output]
        acts = [list(x)]  # acts[i] = a^{i+1}
        zs = []  # zs[i] = z^{i+2}
        for w, b, name in zip(weights, biases, names, strict=True):
            z = [
                sum(w_jk * a_k for w_jk, a_k in zip(row, acts[-1], strict=True)) + b_j
                for row, b_j in zip(w, b, strict=True)
            ]
            a = softmax(z) if name == "softmax" else [sigma(name, v) for v in z]
            zs.append(z)
            acts.append(a)
        deltas: list[list[float]] = [[] for _ in range(n_layers)]
        bp1_mistake = mistake
        if mistake in ("sign_flip",):
            bp1_mistake = None
        delta = output_delta(output, cost, zs[-1], acts[-1], y, bp1_mistake)
        if mistake == "sign_flip":
            # y − a instead of a − y
            delta = [-d for d in delta]
        deltas[-1] = delta
        for i in range(n_layers - 2, -1, -1):
            w_up, d_up = weights[i + 1], deltas[i + 1]
            n = len(zs[i])
            if mistake == "not_transposed":
                # w^{l+1} δ^{l+1}: row k of w instead of column k (zip stops at the shorter list)
                back = [
                    sum(w_kj * d_j for w_kj, d_j in zip(w_up[k], d_up, strict=False))
                    for k in range(n)
                ]
            else:
                back = [sum(w_up[j][k] * d_up[j] for j in range(len(d_up))) for k in range(n)]
            if mistake in ("missing_sigma_prime", "missing_sigma_prime:bp2"):
                slope = [1.0] * n
            elif mistake in ("sigma_for_sigma_prime", "sigma_for_sigma_prime:bp2"):
                slope = [sigma(hidden, z) for z in zs[i]]
            elif mistake == "wrong_layer_delta:bp2":
                slope = [sigma_prime(hidden, z) for z in zs[i + 1]]
            else:
                slope = [sigma_prime(hidden, z) for z in zs[i]]
            deltas[i] = [s * p for s, p in zip(back, slope, strict=True)]
        grad_b = [list(d) for d in deltas]
        if mistake == "wrong_layer_delta:bp3":
            grad_b = [list(deltas[min(i + 1, n_layers - 1)]) for i in range(n_layers)]
        grad_w = []
        for i in range(n_layers):
            d, a_in = deltas[i], acts[i]  # BP4: ∂C/∂w^l_jk = a^{l−1}_k δ^l_j
            if mistake == "wrong_activation:a_l":
                a_in = acts[i + 1]
            elif mistake == "wrong_activation:a_l_plus_1" and i + 2 <= n_layers:
                a_in = acts[i + 2]  # a^{l+1} (the output layer has none, and stays right)
            elif mistake == "z_for_a" and i > 0:
                a_in = zs[i - 1]
            elif mistake == "wrong_layer_delta:bp4":
                d = deltas[min(i + 1, n_layers - 1)]
            if mistake == "outer_product_swapped":
                grad_w.append([[a_j * d_k for d_k in d] for a_j in a_in])
            else:
                grad_w.append([[d_j * a_k for a_k in a_in] for d_j in d])
        if mistake == "reversed_lists":
            deltas, grad_w, grad_b = deltas[::-1], grad_w[::-1], grad_b[::-1]
        return deltas, grad_w, grad_b

    if not batch:
        return one

    def on_batch(weights: Any, biases: Any, xs: Any, ys: Any) -> tuple[Any, Any, Any]:
        m = len(xs)
        results = [one(weights, biases, x, y) for x, y in zip(xs, ys, strict=True)]
        n_layers = len(weights)
        deltas = [[r[0][i] for r in results] for i in range(n_layers)]
        if mistake == "extra_batch_mean":
            deltas = [[[v / m for v in row] for row in d] for d in deltas]
        scale = 1.0 if mistake == "missing_batch_mean" else 1.0 / m
        if mistake == "last_example_only":
            return deltas, results[-1][1], results[-1][2]
        grad_w = [
            [
                [
                    scale * sum(r[1][i][j][k] for r in results)
                    for k in range(len(results[0][1][i][j]))
                ]
                for j in range(len(results[0][1][i]))
            ]
            for i in range(n_layers)
        ]
        grad_b = [
            [scale * sum(r[2][i][j] for r in results) for j in range(len(results[0][2][i]))]
            for i in range(n_layers)
        ]
        return deltas, grad_w, grad_b

    return on_batch
