"""Closed-form reference: plain-Python forward pass and BP1–BP4 backprop for a fully connected net.

This module is the oracle the autodiff engine is checked against. It is written from the
equations and computes with lists, floats and the standard library only: no number here comes
from the engine. Which costs exist, which output each fits and what its targets may be are read
from the cost table, nn.costs.

Notation (Nielsen's): the input is layer 1 and the output is layer L. ``w^l_jk`` is the weight
from neuron k in layer l−1 to neuron j in layer l, and

    z^l = w^l a^{l−1} + b^l,    a^l = σ(z^l),    a^1 = x.

In code, ``weights[i][j][k]`` is ``w^{i+2}_jk``, ``biases[i][j]`` is ``b^{i+2}_j`` and
``activations[i]`` names σ for layer i+2, so index 0 is layer 2, the first layer with weights.

The four equations of backpropagation, with δ^l_j = ∂C/∂z^l_j:

    BP1  δ^L = ∇_a C ⊙ σ'(z^L)        (softmax: δ^L_j = Σ_i ∂C/∂a_i · a_i (1[i=j] − a_j))
    BP2  δ^l = ((w^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l)
    BP3  ∂C/∂b^l_j = δ^l_j
    BP4  ∂C/∂w^l_jk = a^{l−1}_k δ^l_j

BP1 is always computed in its general form, from ∇_a C and σ'. The textbook shortcuts
(δ^L = a − y for sigmoid + binary cross-entropy, for softmax + cross-entropy and for linear +
quadratic) are consequences the tests demonstrate, never code paths here.

Activations σ and their derivatives:

    linear   σ(z) = z                 σ'(z) = 1
    sigmoid  σ(z) = 1 / (1 + e^{−z})  σ'(z) = σ(z)(1 − σ(z))   (e^z / (1 + e^z) for z < 0)
    tanh     σ(z) = tanh z            σ'(z) = 1 − tanh² z
    relu     σ(z) = max(z, 0)         σ'(z) = 1 if z > 0 else 0  (0 at exactly z = 0)
    leaky_relu  σ(z) = z if z > 0 else 0.01 z    σ'(z) = 1 if z > 0 else 0.01
    softplus    σ(z) = ln(1 + e^z)               σ'(z) = 1 / (1 + e^{−z})
    elu         σ(z) = z if z > 0 else e^z − 1   σ'(z) = 1 if z > 0 else e^z
    gelu        σ(z) = z/2 (1 + tanh u), u = √(2/π)(z + 0.044715 z³)   (the tanh approximation)
                σ'(z) = (1 + tanh u)/2 + z/2 (1 − tanh² u) √(2/π)(1 + 3·0.044715 z²)
    softmax  a_j = e^{z_j − m} / Σ_i e^{z_i − m} with m = max_i z_i; output layer only

Costs, for one example with output activations a (n components) and target y:

    mse                               C = (1/n) Σ_j (a_j − y_j)²  (the mean over the n outputs)
    quadratic                         C = ½ Σ_j (a_j − y_j)²    (Nielsen's quadratic cost, a sum;
                                      also accepted under its old name half_mse)
    squared_error                     C = Σ_j (a_j − y_j)²      (Learning From Data's e = (x − y)²)
    binary_cross_entropy              C = −Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)],  y_j ∈ [0, 1],
                                      each ln clamped at −100 (as PyTorch's BCELoss), with
                                      slope 0 where it is clamped
    binary_cross_entropy_with_logits  C = Σ_j [max(z_j, 0) − z_j y_j + ln(1 + e^{−|z_j|})]
                                      on the logits z (the output activation must be linear)
    cross_entropy                     C = −ln a_c for the class index c (output must be softmax)
    hinge                             C = Σ_j max(0, 1 − y_j a_j),  y_j ∈ {−1, +1},
                                      derivative 0 at the kink

The target ``y`` is a list of floats, one per output neuron, except for ``cross_entropy`` where
it is the int class index. A batch cost is the mean of the per-example costs.
"""

import math
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import add, mul

from . import costs


def _left_to_right(xs: Iterable[float]) -> float:
    """x_1 + x_2 + ... added left to right, one rounding per addition."""
    return reduce(add, xs, 0.0)


# Python 3.12 made sum() of floats compensated. Before it, sum() adds left to right, in C and
# fast; from it on, the reduce above gives the same bits as 3.11's sum(), so every supported
# Python computes the same numbers (the README's printed checks among them).
_sum: Callable[[Iterable[float]], float] = sum if sys.version_info < (3, 12) else _left_to_right


def _count(n: int, noun: str, plural: str | None = None) -> str:
    # as nn.words.count: this module imports only the standard library
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


__all__ = [
    "ACTIVATIONS",
    "COSTS",
    "COST_ALIASES",
    "Backprop",
    "LayerResult",
    "backprop",
    "backprop_batch",
    "cost",
    "cost_gradient",
    "forward",
    "sgd_step",
]

ACTIVATIONS = (
    "linear",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "softplus",
    "elu",
    "gelu",
    "softmax",
)
COSTS = tuple(costs.COSTS)  # the rows of the cost table
# old names that keep working: half_mse was ½ Σ, a sum, not half of the mean
COST_ALIASES = costs.ALIASES

Weights = Sequence[Sequence[Sequence[float]]]
Biases = Sequence[Sequence[float]]
Target = int | Sequence[float]


@dataclass
class LayerResult:
    """Every number the textbook writes down for one layer l = 2..L of one backward pass."""

    z: list[float]  # z^l_j
    a: list[float]  # a^l_j = σ(z^l)_j
    delta: list[float]  # δ^l_j = ∂C/∂z^l_j
    grad_w: list[list[float]]  # grad_w[j][k] = ∂C/∂w^l_jk = a^{l−1}_k δ^l_j  (BP4)
    grad_b: list[float]  # grad_b[j] = ∂C/∂b^l_j = δ^l_j  (BP3)


@dataclass
class Backprop:
    """The cost and the per-layer results of one backward pass; layers[0] is layer 2."""

    cost: float
    layers: list[LayerResult]


# ---------------------------------------------------------------------------------------------
# Activations: one row per elementwise σ, the function and its derivative side by side.
# The derivative receives both z and a = σ(z), so sigmoid and tanh can reuse their output.
# ---------------------------------------------------------------------------------------------


def _sigmoid(z: float) -> float:
    # σ(z) = 1/(1 + e^{−z}) = e^z/(1 + e^z); pick the form whose exponent is ≤ 0 so it never
    # overflows.
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _softplus(z: float) -> float:
    # ln(1 + e^z) = max(z, 0) + ln(1 + e^{−|z|}); the exponent is ≤ 0, so it never overflows
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


_GELU_C = math.sqrt(2.0 / math.pi)


def _gelu(z: float) -> float:
    return 0.5 * z * (1.0 + math.tanh(_GELU_C * (z + 0.044715 * z**3)))


def _gelu_prime(z: float) -> float:
    t = math.tanh(_GELU_C * (z + 0.044715 * z**3))
    return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * _GELU_C * (1.0 + 3.0 * 0.044715 * z * z)


_Elementwise = tuple[Callable[[float], float], Callable[[float, float], float]]

_ELEMENTWISE: dict[str, _Elementwise] = {
    # name: (σ(z), σ'(z) from z and a = σ(z))
    "linear": (lambda z: z, lambda z, a: 1.0),  # σ' = 1
    "sigmoid": (_sigmoid, lambda z, a: a * (1.0 - a)),  # σ' = σ(1 − σ)
    "tanh": (math.tanh, lambda z, a: 1.0 - a * a),  # tanh' = 1 − tanh²
    "relu": (lambda z: z if z > 0.0 else 0.0, lambda z, a: 1.0 if z > 0.0 else 0.0),  # relu'(0) = 0
    # leaky_relu' = 1 for z > 0, else 0.01 (0.01 at z = 0)
    "leaky_relu": (lambda z: z if z > 0.0 else 0.01 * z, lambda z, a: 1.0 if z > 0.0 else 0.01),
    "softplus": (_softplus, lambda z, a: _sigmoid(z)),  # softplus' = σ
    # elu' = 1 for z > 0, else e^z = a + 1 (e^0 = 1 at z = 0)
    "elu": (lambda z: z if z > 0.0 else math.expm1(z), lambda z, a: 1.0 if z > 0.0 else a + 1.0),
    "gelu": (_gelu, lambda z, a: _gelu_prime(z)),
}


def _softmax(z: Sequence[float]) -> list[float]:
    # a_j = e^{z_j} / Σ_i e^{z_i}; subtracting m = max z leaves a unchanged and keeps e^{·} ≤ 1.
    m = max(z)
    e = [math.exp(v - m) for v in z]
    s = _sum(e)
    return [v / s for v in e]


# ---------------------------------------------------------------------------------------------
# Costs: one row per cost with a vector target, the cost and its gradient ∇_a C side by side.
# cross_entropy takes a class index instead and is handled next to the table.
# ---------------------------------------------------------------------------------------------


def _mse(a: Sequence[float], y: Sequence[float]) -> float:
    # C = (1/n) Σ_j (a_j − y_j)²
    return _sum((a_j - y_j) ** 2 for a_j, y_j in zip(a, y, strict=True)) / len(a)


def _mse_grad(a: Sequence[float], y: Sequence[float]) -> list[float]:
    # ∂C/∂a_j = 2 (a_j − y_j) / n
    n = len(a)
    return [2.0 * (a_j - y_j) / n for a_j, y_j in zip(a, y, strict=True)]


def _quadratic(a: Sequence[float], y: Sequence[float]) -> float:
    # C = ½ Σ_j (a_j − y_j)²
    return 0.5 * _sum((a_j - y_j) ** 2 for a_j, y_j in zip(a, y, strict=True))


def _quadratic_grad(a: Sequence[float], y: Sequence[float]) -> list[float]:
    # ∂C/∂a_j = a_j − y_j
    return [a_j - y_j for a_j, y_j in zip(a, y, strict=True)]


def _squared_error(a: Sequence[float], y: Sequence[float]) -> float:
    # C = Σ_j (a_j − y_j)²
    return _sum((a_j - y_j) ** 2 for a_j, y_j in zip(a, y, strict=True))


def _squared_error_grad(a: Sequence[float], y: Sequence[float]) -> list[float]:
    # ∂C/∂a_j = 2 (a_j − y_j)
    return [2.0 * (a_j - y_j) for a_j, y_j in zip(a, y, strict=True)]


# PyTorch's BCELoss clamps each log at −100: max(ln p, −100), which is −100 below p = e^−100
_LOG_FLOOR = -100.0
_P_FLOOR = math.exp(_LOG_FLOOR)


def _clamped_log(p: float) -> float:
    return math.log(p) if p >= _P_FLOOR else _LOG_FLOOR


def _bce(a: Sequence[float], y: Sequence[float]) -> float:
    # C = −Σ_j [y_j max(ln a_j, −100) + (1 − y_j) max(ln(1 − a_j), −100)]; a term whose weight
    # y_j or 1 − y_j is 0 adds nothing (even where its log would be −∞)
    total = 0.0
    for a_j, y_j in zip(a, y, strict=True):
        if y_j != 0.0:
            total -= y_j * _clamped_log(a_j)
        if y_j != 1.0:
            total -= (1.0 - y_j) * _clamped_log(1.0 - a_j)
    return total


def _bce_grad(a: Sequence[float], y: Sequence[float]) -> list[float]:
    # ∂C/∂a_j = −y_j/a_j + (1 − y_j)/(1 − a_j) = (a_j − y_j) / (a_j (1 − a_j)); a clamped log is
    # flat, so its term adds 0 there
    grads = []
    for a_j, y_j in zip(a, y, strict=True):
        g = 0.0
        if y_j != 0.0 and a_j >= _P_FLOOR:
            g -= y_j / a_j
        if y_j != 1.0 and 1.0 - a_j >= _P_FLOOR:
            g += (1.0 - y_j) / (1.0 - a_j)
        grads.append(g)
    return grads


def _bce_logits(z: Sequence[float], y: Sequence[float]) -> float:
    # −[y ln σ(z) + (1 − y) ln(1 − σ(z))] = ln(1 + e^z) − z y = max(z, 0) − z y + ln(1 + e^{−|z|})
    return _sum(
        max(z_j, 0.0) - z_j * y_j + math.log1p(math.exp(-abs(z_j)))
        for z_j, y_j in zip(z, y, strict=True)
    )


def _bce_logits_grad(z: Sequence[float], y: Sequence[float]) -> list[float]:
    # ∂C/∂z_j = σ(z_j) − y_j
    return [_sigmoid(z_j) - y_j for z_j, y_j in zip(z, y, strict=True)]


def _hinge(a: Sequence[float], y: Sequence[float]) -> float:
    # C = Σ_j max(0, 1 − y_j a_j)
    return _sum(max(0.0, 1.0 - y_j * a_j) for a_j, y_j in zip(a, y, strict=True))


def _hinge_grad(a: Sequence[float], y: Sequence[float]) -> list[float]:
    # ∂C/∂a_j = −y_j where the margin is violated (y_j a_j < 1), else 0; 0 at the kink y_j a_j = 1
    return [-y_j if y_j * a_j < 1.0 else 0.0 for a_j, y_j in zip(a, y, strict=True)]


_VectorCost = tuple[
    Callable[[Sequence[float], Sequence[float]], float],
    Callable[[Sequence[float], Sequence[float]], list[float]],
]

_VECTOR_COSTS: dict[str, _VectorCost] = {
    "mse": (_mse, _mse_grad),
    "quadratic": (_quadratic, _quadratic_grad),
    "squared_error": (_squared_error, _squared_error_grad),
    "binary_cross_entropy": (_bce, _bce_grad),
    "binary_cross_entropy_with_logits": (_bce_logits, _bce_logits_grad),
    "hinge": (_hinge, _hinge_grad),
}


def _cross_entropy(a: Sequence[float], c: int) -> float:
    # C = −ln a_c
    return -math.log(a[c])


def _cross_entropy_grad(a: Sequence[float], c: int) -> list[float]:
    # ∂C/∂a_i = −1/a_c for i = c, 0 otherwise
    g = [0.0] * len(a)
    g[c] = -1.0 / a[c]
    return g


def _cost_and_gradient(name: str, a: Sequence[float], y: Target) -> tuple[float, list[float]]:
    # Inputs already validated by the caller.
    name = costs.ALIASES.get(name, name)
    if name == "cross_entropy":
        assert isinstance(y, int)
        return _cross_entropy(a, y), _cross_entropy_grad(a, y)
    assert not isinstance(y, int)
    value, gradient = _VECTOR_COSTS[name]
    return value(a, y), gradient(a, y)


# ---------------------------------------------------------------------------------------------
# Validation: every user mistake becomes a sentence saying what is wrong and what to do.
# ---------------------------------------------------------------------------------------------


def _check_cost_name(name: str) -> None:
    costs.get(name)  # a ValueError naming every cost for an unknown one


def _check_network(weights: Weights, biases: Biases, activations: Sequence[str]) -> None:
    if isinstance(activations, str):
        raise TypeError(
            f"activations must be a list of names, one per weight layer, not the string "
            f"{activations!r}; e.g. ['tanh', 'linear']"
        )
    n_layers = len(weights)
    if n_layers == 0:
        raise ValueError("the network has no weight layers; pass at least one weight matrix")
    if len(biases) != n_layers:
        raise ValueError(
            f"got {n_layers} weight matrices but {len(biases)} bias vectors; "
            "pass one bias vector per weight layer"
        )
    if len(activations) != n_layers:
        raise ValueError(
            f"got {n_layers} weight matrices but {len(activations)} activations; "
            "pass one activation name per weight layer"
        )
    n_prev = len(weights[0][0]) if len(weights[0]) > 0 else 1
    if n_prev == 0:
        raise ValueError(
            "weights[0][0] is empty, so layer 1 would have no neurons; give each row of "
            "weights[0] one weight per input"
        )
    for i, (w, b, name) in enumerate(zip(weights, biases, activations, strict=True)):
        layer = i + 2
        if name not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {name!r} for layer {layer}; "
                f"choose one of {', '.join(ACTIVATIONS)}"
            )
        if name == "softmax" and i != n_layers - 1:
            raise ValueError(
                f"softmax is only allowed on the output layer, but layer {layer} of "
                f"{n_layers + 1} uses it; use an elementwise activation for hidden layers"
            )
        if len(w) == 0:
            raise ValueError(
                f"weights[{i}] (layer {layer}) has no rows; each layer needs at least one neuron"
            )
        if len(b) != len(w):
            raise ValueError(
                f"biases[{i}] has {_count(len(b), 'entry', 'entries')} but weights[{i}] has "
                f"{_count(len(w), 'row')}; layer "
                f"{layer} needs one bias per neuron, the same as its number of weight rows"
            )
        for j, row in enumerate(w):
            if len(row) != n_prev:
                raise ValueError(
                    f"weights[{i}][{j}] has {_count(len(row), 'entry', 'entries')} but layer "
                    f"{layer - 1} has {_count(n_prev, 'neuron')}; row j of w^{layer} needs one "
                    f"weight per neuron of layer {layer - 1}"
                )
        n_prev = len(w)


def _check_cost_fits_network(name: str, activations: Sequence[str]) -> None:
    costs.check_pair(name, activations[-1])  # a ValueError saying which outputs fit


def _check_input(weights: Weights, x: Sequence[float]) -> list[float]:
    n_in = len(weights[0][0])
    if len(x) != n_in:
        raise ValueError(
            f"x has {_count(len(x), 'entry', 'entries')} but the first weight layer expects "
            f"{_count(n_in, 'input')}; pass one value per input neuron"
        )
    return [float(v) for v in x]


def _check_target(name: str, n_out: int, y: Target) -> None:
    row = costs.get(name)
    if row.targets.kind == "class":
        if isinstance(y, bool) or not isinstance(y, int):
            raise TypeError(
                f"{row.name} takes the target as an int class index, got "
                f"{type(y).__name__}; for a one-hot list pass y.index(1)"
            )
    elif isinstance(y, int | float):
        raise TypeError(
            f"{row.name} takes a list of targets, one per output neuron, got the number {y!r}; "
            f"wrap it as [{y!r}]"
        )
    elif len(y) != n_out:
        raise ValueError(
            f"y has {_count(len(y), 'entry', 'entries')} but the output layer has "
            f"{_count(n_out, 'neuron')}; "
            "pass one target per output neuron"
        )
    costs.check_target(row.name, y, n_out)  # the cost table's target domain


def _check_outputs(name: str, a: Sequence[float], y: Target) -> None:
    # The logs of binary cross-entropy are clamped (ln 0 counts −100), but a probability must
    # still lie in [0, 1]; cross-entropy's −ln a_c must not see 0: raise rather than return inf.
    if name == "binary_cross_entropy":
        for j, a_j in enumerate(a):
            if not 0.0 <= a_j <= 1.0:
                raise ValueError(
                    f"binary_cross_entropy takes ln a and ln(1 − a) of probabilities, so every "
                    f"output must lie in [0, 1], got a[{j}] = {a_j!r}; use a sigmoid output, or "
                    "a linear output with binary_cross_entropy_with_logits, which is stable"
                )
    elif name == "cross_entropy":
        assert isinstance(y, int)
        if not a[y] > 0.0:
            raise ValueError(
                f"cross_entropy takes −ln a_c, but a[{y}] = {a[y]!r}; the softmax probability "
                "of the target class underflowed to 0 because the logits are too far apart, "
                "so scale the inputs or weights down"
            )


def _check_vector(name: str, a: Sequence[float]) -> None:
    if len(a) == 0:
        raise ValueError(f"{name} needs at least one output activation, got an empty list")


# ---------------------------------------------------------------------------------------------
# The passes.
# ---------------------------------------------------------------------------------------------


def _forward(
    weights: Weights, biases: Biases, activations: Sequence[str], x: list[float]
) -> tuple[list[list[float]], list[list[float]]]:
    # Returns zs[i] = z^{i+2} and acts[i] = a^{i+1}, so acts[0] = x = a^1 and acts[-1] = a^L.
    zs: list[list[float]] = []
    acts: list[list[float]] = [x]
    a_prev = x
    for w, b, name in zip(weights, biases, activations, strict=True):
        # z^l_j = Σ_k w^l_jk a^{l−1}_k + b^l_j
        z = [b_j + _sum(map(mul, row, a_prev)) for row, b_j in zip(w, b, strict=True)]
        if name == "softmax":
            a = _softmax(z)
        else:
            sigma = _ELEMENTWISE[name][0]
            a = [sigma(z_j) for z_j in z]
        zs.append(z)
        acts.append(a)
        a_prev = a
    return zs, acts


def _deltas(
    weights: Weights,
    activations: Sequence[str],
    zs: list[list[float]],
    acts: list[list[float]],
    grad_a: list[float],
) -> list[list[float]]:
    # Returns deltas[i] = δ^{i+2}.
    n_layers = len(weights)
    deltas: list[list[float]] = [[] for _ in range(n_layers)]
    z, a, last = zs[-1], acts[-1], activations[-1]
    if last == "softmax":
        # BP1, Jacobian form: δ^L_j = Σ_i ∂C/∂a_i · ∂a_i/∂z_j with ∂a_i/∂z_j = a_i (1[i=j] − a_j)
        pairs = list(enumerate(zip(grad_a, a, strict=True)))
        delta = [
            _sum(g_i * a_i * ((1.0 if i == j else 0.0) - a_j) for i, (g_i, a_i) in pairs)
            for j, a_j in enumerate(a)
        ]
    else:
        # BP1: δ^L_j = ∂C/∂a_j · σ'(z^L_j)
        d_sigma = _ELEMENTWISE[last][1]
        delta = [g_j * d_sigma(z_j, a_j) for g_j, z_j, a_j in zip(grad_a, z, a, strict=True)]
    deltas[-1] = delta
    for i in range(n_layers - 2, -1, -1):
        # BP2: δ^l_k = (Σ_j w^{l+1}_jk δ^{l+1}_j) σ'(z^l_k); a column of w^{l+1} is (w^{l+1})ᵀ_k
        d_sigma = _ELEMENTWISE[activations[i]][1]
        back = [_sum(map(mul, column, delta)) for column in zip(*weights[i + 1], strict=True)]
        delta = [
            s_k * d_sigma(z_k, a_k) for s_k, z_k, a_k in zip(back, zs[i], acts[i + 1], strict=True)
        ]
        deltas[i] = delta
    return deltas


def _one_example(
    weights: Weights,
    biases: Biases,
    activations: Sequence[str],
    x: Sequence[float],
    y: Target,
    cost_name: str,
) -> tuple[float, list[list[float]], list[list[float]], list[list[float]]]:
    # Forward and backward for one example of an already validated network:
    # (C, zs, acts, deltas) with the indexing of _forward and _deltas.
    x_floats = _check_input(weights, x)
    _check_target(cost_name, len(weights[-1]), y)
    zs, acts = _forward(weights, biases, activations, x_floats)
    _check_outputs(cost_name, acts[-1], y)
    c, grad_a = _cost_and_gradient(cost_name, acts[-1], y)
    return c, zs, acts, _deltas(weights, activations, zs, acts, grad_a)


def _batch_sums(
    weights: Weights,
    biases: Biases,
    activations: Sequence[str],
    xs: Sequence[Sequence[float]],
    ys: Sequence[Target],
    cost_name: str,
) -> tuple[
    float,
    list[list[list[float]]],
    list[list[float]],
    tuple[list[list[float]], list[list[float]], list[list[float]]],
]:
    # Σ over the batch of C, ∂C/∂w and ∂C/∂b, plus (zs, acts, deltas) of the last example.
    _check_network(weights, biases, activations)
    _check_cost_fits_network(cost_name, activations)
    if len(xs) != len(ys):
        raise ValueError(
            f"got {_count(len(xs), 'input')} but {_count(len(ys), 'target')}; "
            "pass one target per example"
        )
    if len(xs) == 0:
        raise ValueError("the batch is empty; pass at least one example")
    n_layers = len(weights)
    cost_sum = 0.0
    # Per layer, the δ^l and a^{l−1} of every example: rows are examples.
    batch_deltas: list[list[list[float]]] = [[] for _ in range(n_layers)]
    batch_inputs: list[list[list[float]]] = [[] for _ in range(n_layers)]
    last: tuple[list[list[float]], list[list[float]], list[list[float]]] = ([], [], [])
    for x, y in zip(xs, ys, strict=True):
        c, zs, acts, deltas = _one_example(weights, biases, activations, x, y, cost_name)
        cost_sum += c
        for i in range(n_layers):
            batch_deltas[i].append(deltas[i])
            batch_inputs[i].append(acts[i])
        last = (zs, acts, deltas)
    gw_sum: list[list[list[float]]] = []
    gb_sum: list[list[float]] = []
    for deltas_i, inputs_i in zip(batch_deltas, batch_inputs, strict=True):
        # Columns: delta_of[j] = (δ^l_j over the batch), input_of[k] = (a^{l−1}_k over the batch).
        delta_of = list(zip(*deltas_i, strict=True))
        input_of = list(zip(*inputs_i, strict=True))
        # BP3 summed over the batch: Σ_x ∂C_x/∂b^l_j = Σ_x δ^{x,l}_j
        gb_sum.append([_sum(d_j) for d_j in delta_of])
        # BP4 summed over the batch: Σ_x ∂C_x/∂w^l_jk = Σ_x a^{x,l−1}_k δ^{x,l}_j
        gw_sum.append([[_sum(map(mul, d_j, a_k)) for a_k in input_of] for d_j in delta_of])
    return cost_sum, gw_sum, gb_sum, last


def forward(
    weights: Weights, biases: Biases, activations: Sequence[str], x: Sequence[float]
) -> list[tuple[list[float], list[float]]]:
    """Return (z^l, a^l) for every layer l = 2..L; entry 0 is layer 2, the last is the output."""
    _check_network(weights, biases, activations)
    zs, acts = _forward(weights, biases, activations, _check_input(weights, x))
    return list(zip(zs, acts[1:], strict=True))


def cost(name: str, a: Sequence[float], y: Target) -> float:
    """Return the cost C of one example from its output activations a and target y."""
    _check_cost_name(name)
    _check_vector(name, a)
    _check_target(name, len(a), y)
    _check_outputs(name, a, y)
    return _cost_and_gradient(name, a, y)[0]


def cost_gradient(name: str, a: Sequence[float], y: Target) -> list[float]:
    """Return ∇_a C for one example (for the with_logits cost, a is the logit z and this ∇_z C)."""
    _check_cost_name(name)
    _check_vector(name, a)
    _check_target(name, len(a), y)
    _check_outputs(name, a, y)
    return _cost_and_gradient(name, a, y)[1]


def backprop(
    weights: Weights,
    biases: Biases,
    activations: Sequence[str],
    x: Sequence[float],
    y: Target,
    cost_name: str,
) -> Backprop:
    """Run the forward pass and BP1–BP4 for one example and return every z, a, δ and gradient."""
    _check_network(weights, biases, activations)
    _check_cost_fits_network(cost_name, activations)
    c, zs, acts, deltas = _one_example(weights, biases, activations, x, y, cost_name)
    layers = [
        LayerResult(
            z=z,
            a=a,
            delta=delta,
            # BP4: ∂C/∂w^l_jk = a^{l−1}_k δ^l_j
            grad_w=[[d_j * a_k for a_k in a_prev] for d_j in delta],
            # BP3: ∂C/∂b^l_j = δ^l_j
            grad_b=list(delta),
        )
        for z, a, a_prev, delta in zip(zs, acts[1:], acts[:-1], deltas, strict=True)
    ]
    return Backprop(cost=c, layers=layers)


def backprop_batch(
    weights: Weights,
    biases: Biases,
    activations: Sequence[str],
    xs: Sequence[Sequence[float]],
    ys: Sequence[Target],
    cost_name: str,
) -> Backprop:
    """Backprop over a batch: cost, grad_w, grad_b are batch means; z, a, delta are the last x's."""
    cost_sum, gw_sum, gb_sum, (zs, acts, deltas) = _batch_sums(
        weights, biases, activations, xs, ys, cost_name
    )
    m = len(xs)
    # C = (1/m) Σ_x C_x, so every gradient is the mean of the per-example gradients too.
    layers = [
        LayerResult(
            z=z,
            a=a,
            delta=delta,
            grad_w=[[g / m for g in row] for row in gw],
            grad_b=[g / m for g in gb],
        )
        for z, a, delta, gw, gb in zip(zs, acts[1:], deltas, gw_sum, gb_sum, strict=True)
    ]
    return Backprop(cost=cost_sum / m, layers=layers)


def sgd_step(
    weights: list[list[list[float]]],
    biases: list[list[float]],
    activations: Sequence[str],
    xs: Sequence[Sequence[float]],
    ys: Sequence[Target],
    cost_name: str,
    lr: float,
) -> float:
    """Take one SGD step in place with the batch-mean gradients; return the batch cost before it."""
    if not (math.isfinite(lr) and lr > 0.0):
        raise ValueError(f"the learning rate must be a finite number > 0, got {lr!r}")
    cost_sum, gw_sum, gb_sum, _ = _batch_sums(weights, biases, activations, xs, ys, cost_name)
    m = len(xs)
    # w ← w − η (1/m) Σ_x ∂C_x/∂w,  b ← b − η (1/m) Σ_x ∂C_x/∂b
    scale = lr / m
    for w, b, gw, gb in zip(weights, biases, gw_sum, gb_sum, strict=True):
        for row, g_row in zip(w, gw, strict=True):
            row[:] = [w_jk - scale * g for w_jk, g in zip(row, g_row, strict=True)]
        b[:] = [b_j - scale * g for b_j, g in zip(b, gb, strict=True)]
    return cost_sum / m
