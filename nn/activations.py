"""Activation functions σ for nn layers: the elementwise ones and softmax, built from Values."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from autograd import Value

__all__ = [
    "ACTIVATIONS",
    "ELEMENTWISE",
    "activate",
    "check_activation",
    "sigma_prime_text",
    "softmax",
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

# Elementwise σ: a^l_j = σ(z^l_j), one node per neuron. Their derivatives live in the engine's op
# table (sigmoid' = σ(1 − σ), tanh' = 1 − tanh², relu' = 1[z > 0], leaky_relu' = 1 or 0.01,
# softplus' = sigmoid, elu' = 1 or e^z, gelu: the tanh approximation's derivative). "linear" is
# σ(z) = z and makes no node at all: a^l_j IS the node z^l_j, so a.grad = z.grad = δ^l_j.
ELEMENTWISE: dict[str, Callable[[Value], Value] | None] = {
    "linear": None,
    "sigmoid": Value.sigmoid,
    "tanh": Value.tanh,
    "relu": Value.relu,
    "leaky_relu": Value.leaky_relu,
    "softplus": Value.softplus,
    "elu": Value.elu,
    "gelu": Value.gelu,
}


# σ'(z) as a report writes it in an equation, one row per elementwise activation ({z}: the
# pre-activation's symbol, {s}: the notation's σ). The numbers always come from the op table;
# this is only how the formula reads. gelu's derivative has no short form: it is written σ'(z),
# and the report gives its number.
_SIGMA_PRIME_TEXT = {
    "linear": "1",
    "sigmoid": "{s}({z})(1 − {s}({z}))",
    "tanh": "(1 − tanh²({z}))",
    "relu": "1[{z} > 0]",
    "leaky_relu": "(1 if {z} > 0 else 0.01)",
    "softplus": "1/(1 + exp(−{z}))",
    "elu": "(1 if {z} > 0 else exp({z}))",
}


def sigma_prime_text(name: str, z: str, sigma: str = "σ") -> tuple[str, bool]:
    """(σ'(z) written out for the named activation, True), or (σ'(z) itself, False) without one."""
    template = _SIGMA_PRIME_TEXT.get(name)
    if template is None:
        return f"{sigma}'({z})", False
    return template.format(z=z, s=sigma), True


def check_activation(name: object, *, output: bool) -> str:
    """Return name if it is an activation allowed here (softmax only on an output layer)."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    if name == "softmax" and not output:
        raise ValueError(
            "softmax mixes all the neurons of a layer, so it is only allowed on the output "
            "layer (output_activation='softmax'); use an elementwise activation here ("
            + ", ".join(a for a in ACTIVATIONS if a != "softmax")
            + ")"
        )
    return name


def softmax(values: Sequence[Value | float]) -> list[Value]:
    """a_j = e^{z_j − m} / Σ_i e^{z_i − m} with m = max_i z_i, as a graph of Values."""
    if len(values) == 0:
        raise ValueError("softmax needs at least one value, got an empty list")
    zs = [v if isinstance(v, Value) else Value(v) for v in values]
    # Subtracting m leaves every a_j unchanged and keeps each e^{z − m} ≤ 1, so nothing overflows.
    # m enters as a constant: softmax is shift-invariant, so ∂a/∂z is exact without m's gradient.
    m = max(z.data for z in zs)
    exps = [(z - m).exp() for z in zs]
    total = exps[0]
    for e in exps[1:]:
        total = total + e
    return [e / total for e in exps]


def activate(name: str, zs: Sequence[Value]) -> list[Value]:
    """Apply the named activation to a layer's pre-activations z^l and return a^l."""
    if check_activation(name, output=True) == "softmax":
        return softmax(zs)
    sigma = ELEMENTWISE[name]
    if sigma is None:
        return list(zs)
    return [sigma(z) for z in zs]
