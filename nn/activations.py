"""Activation functions σ for nn layers: one row per activation (σ, σ′, range, names), softmax."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from autograd import Value, max_data, symbolic_row
from autograd.ops import OPS, Op, elu_op, leaky_relu_op

__all__ = [
    "ACTIVATIONS",
    "ELEMENTWISE",
    "HIDDEN_ACTIVATIONS",
    "TABLE",
    "Activation",
    "activate",
    "check_activation",
    "sigma_prime_text",
    "softmax",
]


@dataclass(frozen=True)
class Activation:
    """One activation σ: its op row (σ and σ′ side by side there), range and each course's name.

    op(param) is the engine's op row for the parameter (leaky_relu's slope, elu's α; None:
    the default); linear and softmax have none (linear makes no node: a^l_j IS z^l_j; softmax
    mixes a whole layer). σ′ is read from the row: sigma_prime_text evaluates its derivative
    rule on symbols, the numbers come from the same rule at run time.
    """

    name: str
    op: Callable[[float | None], Op] | None
    range: tuple[float, float]  # (inf, sup) of σ(z) over all z
    range_text: str
    courses: dict[str, str] = field(default_factory=dict)  # notation key -> that course's name
    write_prime: bool = True  # False: σ′ has no short form and is written σ'(z), its number given

    @property
    def threshold(self) -> float:
        """σ(0): a single output above it says class 1 (i.e. z^L > 0)."""
        if self.name == "softmax":
            raise ValueError("softmax has no threshold: its outputs are compared by argmax")
        return 0.0 if self.op is None else self.op(None).forward(0.0)

    def within(self, lo: float, hi: float) -> bool:
        """True if every output σ(z) lies in [lo, hi]."""
        return lo <= self.range[0] and self.range[1] <= hi


def _row(name: str) -> Callable[[float | None], Op]:
    return lambda param: OPS[name]


def _leaky(slope: float | None) -> Op:
    return leaky_relu_op(0.01 if slope is None else float(slope))


def _elu(alpha: float | None) -> Op:
    return elu_op(1.0 if alpha is None else float(alpha))


_INF = float("inf")

# fmt: off
TABLE: dict[str, Activation] = {row.name: row for row in (
    Activation("linear", None, (-_INF, _INF), "all reals",
               {"ng": "linear (no activation)", "goodfellow": "linear output unit"}),
    Activation("sigmoid", _row("sigmoid"), (0.0, 1.0), "(0, 1)",
               {"nielsen": "sigmoid σ", "lfd": "logistic θ(s) = e^s/(1 + e^s)",
                "ng": "sigmoid g(z) = σ(z)", "goodfellow": "logistic sigmoid σ"}),
    Activation("tanh", _row("tanh"), (-1.0, 1.0), "(−1, 1)",
               {"nielsen": "tanh", "lfd": "θ(s) = tanh(s)", "ng": "tanh g(z)",
                "goodfellow": "hyperbolic tangent"}),
    Activation("relu", _row("relu"), (0.0, _INF), "[0, ∞)",
               {"nielsen": "rectified linear unit", "ng": "ReLU g(z) = max(0, z)",
                "goodfellow": "rectified linear unit g(z) = max{0, z}"}),
    Activation("leaky_relu", _leaky, (-_INF, _INF), "all reals",
               {"ng": "leaky ReLU max(0.01z, z)", "goodfellow": "leaky ReLU"}),
    Activation("softplus", _row("softplus"), (0.0, _INF), "(0, ∞)",
               {"goodfellow": "softplus ζ(x) = log(1 + exp(x))"}),
    Activation("elu", _elu, (-1.0, _INF), "(−α, ∞)",
               {"goodfellow": "exponential linear unit"}),
    # gelu's derivative (tanh approximation) has no short form: written σ'(z), number given
    Activation("gelu", _row("gelu"), (-0.1701, _INF), "[≈ −0.17, ∞)",
               {"goodfellow": "GELU (after the book)"}, write_prime=False),
    Activation("softmax", None, (0.0, 1.0), "(0, 1), summing to 1",
               {"nielsen": "softmax (ch. 3)", "ng": "softmax", "goodfellow": "softmax unit"}),
)}
# fmt: on

ACTIVATIONS = tuple(TABLE)
HIDDEN_ACTIVATIONS = tuple(a for a in ACTIVATIONS if a != "softmax")  # softmax: output layers only

# Elementwise σ: a^l_j = σ(z^l_j), one node per neuron, applied by the engine's op row (σ′ is
# that row's derivative rule). "linear" is σ(z) = z and makes no node at all: a^l_j IS the node
# z^l_j, so a.grad = z.grad = δ^l_j.
ELEMENTWISE: dict[str, Callable[[Value], Value] | None] = {
    name: None if row.op is None else getattr(Value, name)  # Value.sigmoid applies OPS["sigmoid"]
    for name, row in TABLE.items()
    if name != "softmax"
}


def sigma_prime_text(
    name: str, z: str, sigma: str = "σ", param: float | None = None, out: str | None = None
) -> tuple[str, bool]:
    """(σ'(z) written out from the activation's op row, True), or (σ'(z) itself, False).

    param is leaky_relu's slope or elu's α (None: the default). The formula is the row's own
    derivative rule evaluated on symbols; where the rule reuses the output it is written out
    (default σ(z), or the op's name of z).
    """
    row = TABLE.get(name)
    if row is None or name == "softmax" or not row.write_prime:
        return f"{sigma}'({z})", False
    if row.op is None:  # linear: σ(z) = z
        return "1", True
    op = row.op(param)
    if out is None:
        out = f"{sigma}({z})" if name == "sigmoid" else f"{op.name}({z})"
    sym = symbolic_row(op, ["z"], "out")
    if sym.derivatives is None:
        return f"{sigma}'({z})", False
    d = sym.derivatives[0]
    text = d.unicode({"z": z, "out": out})
    # a sum is bracketed, so that it reads as one factor of BP1's product
    return (f"({text})" if d.precedence() < 3 and not d.is_comparison() else text), True


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
    # max_data makes it a constant a trace recomputes for each example.
    m = max_data(zs)
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
