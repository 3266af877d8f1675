"""Exercise: backprop, softmax output, cross-entropy (plain Python, one example).

The network: tanh hidden layers and a softmax output layer; the cost of one example
of class c is the cross-entropy C = −ln a^L_c (nn.losses.cross_entropy). The target y is
the class index c; e is its one-hot vector (e_j = 1 if j = c, else 0).

Your task: replace the four placeholder lines marked TODO, one per equation of backpropagation,

    BP1  δ^L = ∇_a C ⊙ σ'(z^L)
    BP2  δ^l = ((w^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l)
    BP3  ∂C/∂b^l_j = δ^l_j
    BP4  ∂C/∂w^l_jk = a^{l−1}_k δ^l_j

then check your work against deltagrad's graph:

    deltagrad grade docs/exercises/softmax_cross_entropy.py

Indexing (Nielsen's): the input x is layer 1, and every list starts at layer 2, the first layer
with weights. weights[i][j][k] = w^{i+2}_jk is the weight from neuron k of layer i+1 to neuron
j of layer i+2, and biases[i][j] = b^{i+2}_j. Return deltas[i][j] = δ^{i+2}_j,
grad_w[i][j][k] = ∂C/∂w^{i+2}_jk and grad_b[i][j] = ∂C/∂b^{i+2}_j.
"""

import math

NET = [2, 3, 3]
ACTIVATION = "tanh"
OUTPUT_ACTIVATION = "softmax"
COST = "cross_entropy"


def tanh_prime(z):
    """tanh'(z) = 1 − tanh²(z)."""
    return 1.0 - math.tanh(z) ** 2


def softmax(z):
    """a_j = e^{z_j} / Σ_i e^{z_i} (shifted by max z so nothing overflows)."""
    top = max(z)
    e = [math.exp(v - top) for v in z]
    return [v / sum(e) for v in e]


def backprop(weights, biases, x, y):
    """δ, ∂C/∂w and ∂C/∂b of one example x with target y, for C = −ln a^L_c."""
    # Forward pass: zs[i] = z^{i+2} and activations[i] = a^{i+1} (activations[0] is x = a^1).
    activations, zs = [list(x)], []
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        a_in = activations[-1]
        z = [
            sum(w_jk * a_k for w_jk, a_k in zip(row, a_in, strict=True)) + b_j
            for row, b_j in zip(w, b, strict=True)
        ]
        zs.append(z)
        activations.append(softmax(z) if i == len(weights) - 1 else [math.tanh(v) for v in z])

    n_layers = len(weights)
    deltas = [None] * n_layers
    # The output layer L (the last entry of each list)
    e = [1.0 if j == y else 0.0 for j in range(len(zs[-1]))]  # the one-hot target
    a, z = activations[-1], zs[-1]
    # TODO BP1: δ^L_j = Σ_i ∂C/∂a^L_i ∂a^L_i/∂z^L_j (work out what it becomes)
    deltas[-1] = [a[j] - e[j] for j in range(len(z))]
    # The hidden layers, top down: layer i+2 gets its δ from layer i+3 through w^{i+3}
    for i in range(n_layers - 2, -1, -1):
        w_up, delta_up, z = weights[i + 1], deltas[i + 1], zs[i]
        # TODO BP2: δ^l_k = (Σ_j w^{l+1}_jk δ^{l+1}_j) σ'(z^l_k)
        deltas[i] = [
            sum(w_up[j][k] * d for j, d in enumerate(delta_up)) * tanh_prime(z[k])
            for k in range(len(z))
        ]
    # Every layer i+2: its δ is deltas[i], and a^{l−1} is activations[i]
    # TODO BP3: ∂C/∂b^l_j = δ^l_j
    grad_b = [[d_j for d_j in deltas[i]] for i in range(n_layers)]
    # TODO BP4: ∂C/∂w^l_jk = a^{l−1}_k δ^l_j
    grad_w = [
        [[a_k * d_j for a_k in a_in] for d_j in d]
        for d, a_in in zip(deltas, activations, strict=False)
    ]
    return deltas, grad_w, grad_b
