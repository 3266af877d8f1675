"""Exercise: backprop, sigmoid network, Nielsen's quadratic cost (numpy, a batch).

The network: sigmoid in every layer; the cost of one example is Nielsen's
quadratic cost C = ½ Σ_j (a^L_j − y_j)² (nn.losses.quadratic).

Your task: replace the four placeholder lines marked TODO, one per equation of backpropagation,

    BP1  δ^L = ∇_a C ⊙ σ'(z^L)
    BP2  δ^l = ((w^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l)
    BP3  ∂C/∂b^l_j = δ^l_j              (for the batch: the mean over the examples)
    BP4  ∂C/∂w^l_jk = a^{l−1}_k δ^l_j   (for the batch: the mean over the examples)

then check your work against deltagrad's graph:

    deltagrad grade docs/exercises/sigmoid_quadratic_numpy.py

Indexing (Nielsen's): the input is layer 1, and every list starts at layer 2, the first layer
with weights: weights[i] is w^{i+2}, a matrix with one row per neuron j of layer i+2 and one
column per neuron k of layer i+1; biases[i] is b^{i+2}. x is a batch, one row per example
(m × n_in), and y is the targets, one row per example (m × n_out).
Rows are examples everywhere, so the column-vector formula z = w a + b becomes
Z = A @ w.T + b, as in the forward pass below.

Return deltas[i]: an m × n_{i+2} array whose row x is δ^{x,i+2}, the δ of example x's own cost
C_x; and grad_w[i], grad_b[i]: the gradients of the batch cost C = (1/m) Σ_x C_x, the mean.
"""

import numpy as np

NET = [2, 3, 2]
BATCH = 4
ACTIVATION = "sigmoid"
OUTPUT_ACTIVATION = "sigmoid"
COST = "quadratic"


def sigmoid(z):
    """σ(z) = 1 / (1 + e^{−z}), elementwise."""
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    """σ'(z) = σ(z)(1 − σ(z)), elementwise."""
    return sigmoid(z) * (1.0 - sigmoid(z))


def backprop(weights, biases, x, y):
    """Per-example δ; ∂C/∂w and ∂C/∂b of the batch mean C = (1/m) Σ_x C_x."""
    W = [np.array(w, dtype=float) for w in weights]  # W[i] = w^{i+2}
    B = [np.array(b, dtype=float) for b in biases]  # B[i] = b^{i+2}
    X = np.array(x, dtype=float)
    m = len(X)
    Y = np.array(y, dtype=float)
    # Forward pass, every example at once: Z[i] = z^{i+2}, A[i] = a^{i+1} (A[0] = X = a^1)
    A, Z = [X], []
    for w, b in zip(W, B, strict=True):
        Z.append(A[-1] @ w.T + b)
        A.append(sigmoid(Z[-1]))

    deltas = [None] * len(W)
    # TODO BP1 (one row per example): δ^L = ∂C/∂a^L_j · σ'(z^L_j)
    deltas[-1] = (A[-1] - Y) * sigmoid_prime(Z[-1])
    for i in range(len(W) - 2, -1, -1):
        # TODO BP2: δ^l = ((w^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l), one row per example
        deltas[i] = (deltas[i + 1] @ W[i + 1]) * sigmoid_prime(Z[i])
    # TODO BP3: ∂C/∂b^l = (1/m) Σ_x δ^{x,l}
    grad_b = [d.mean(axis=0) for d in deltas]
    # TODO BP4: ∂C/∂w^l = (1/m) Σ_x δ^{x,l} (a^{x,l−1})ᵀ
    grad_w = [d.T @ a / m for d, a in zip(deltas, A[:-1], strict=True)]
    return deltas, grad_w, grad_b
