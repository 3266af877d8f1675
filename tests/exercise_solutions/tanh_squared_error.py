"""Exercise: backprop, tanh network, squared error (plain Python, one example).

The network: tanh in every layer, the output too; the cost of one example is the
squared error C = Σ_j (a^L_j − y_j)² (nn.losses.squared_error; with one output, as in
the plain version, C = (a − y)², Learning From Data's e = (x − y)²).

Your task: replace the four placeholder lines marked TODO, one per equation of backpropagation,

    BP1  δ^L = ∇_a C ⊙ σ'(z^L)
    BP2  δ^l = ((w^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l)
    BP3  ∂C/∂b^l_j = δ^l_j
    BP4  ∂C/∂w^l_jk = a^{l−1}_k δ^l_j

then check your work against deltagrad's graph:

    deltagrad grade docs/exercises/tanh_squared_error.py

Indexing (Nielsen's): the input x is layer 1, and every list starts at layer 2, the first layer
with weights. weights[i][j][k] = w^{i+2}_jk is the weight from neuron k of layer i+1 to neuron
j of layer i+2, and biases[i][j] = b^{i+2}_j. Return deltas[i][j] = δ^{i+2}_j,
grad_w[i][j][k] = ∂C/∂w^{i+2}_jk and grad_b[i][j] = ∂C/∂b^{i+2}_j.
"""

import math

NET = [2, 3, 1]
ACTIVATION = "tanh"
OUTPUT_ACTIVATION = "tanh"
COST = "squared_error"


def tanh_prime(z):
    """tanh'(z) = 1 − tanh²(z)."""
    return 1.0 - math.tanh(z) ** 2


def backprop(weights, biases, x, y):
    """δ, ∂C/∂w and ∂C/∂b of one example x with target y, for C = Σ_j (a^L_j − y_j)²."""
    # Forward pass: zs[i] = z^{i+2} and activations[i] = a^{i+1} (activations[0] is x = a^1).
    activations, zs = [list(x)], []
    for w, b in zip(weights, biases, strict=True):
        a_in = activations[-1]
        z = [
            sum(w_jk * a_k for w_jk, a_k in zip(row, a_in, strict=True)) + b_j
            for row, b_j in zip(w, b, strict=True)
        ]
        zs.append(z)
        activations.append([math.tanh(z_j) for z_j in z])

    n_layers = len(weights)
    deltas = [None] * n_layers
    # The output layer L (the last entry of each list)
    a, z = activations[-1], zs[-1]
    # TODO BP1: δ^L_j = ∂C/∂a^L_j · σ'(z^L_j)
    deltas[-1] = [2 * (a[j] - y[j]) * tanh_prime(z[j]) for j in range(len(a))]
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
