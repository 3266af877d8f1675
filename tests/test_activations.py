"""The activation table: σ′ written from the op row for any slope or α, ranges and thresholds."""

from __future__ import annotations

import math

import pytest

from autograd.ops import elu_op, leaky_relu_op
from autograd.symbolic import symbolic_row
from nn.activations import TABLE, sigma_prime_text
from nn.train import THRESHOLDS

ELEMENTWISE = [name for name in TABLE if name != "softmax"]


def central(f: object, z: float, h: float = 1e-6) -> float:
    return (f(z + h) - f(z - h)) / (2.0 * h)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("name", "param", "written"),
    [
        ("leaky_relu", 0.2, "([z > 0] + (1 − [z > 0])·0.2)"),
        ("leaky_relu", None, "([z > 0] + (1 − [z > 0])·0.01)"),
        ("elu", 2.5, "([z > 0] + (1 − [z > 0])·(elu(2.5)(z) + 2.5))"),
        ("elu", None, "([z > 0] + (1 − [z > 0])·(elu(z) + 1))"),
        ("sigmoid", None, "σ(z)·(1 − σ(z))"),
        ("tanh", None, "(1 − tanh(z)²)"),
        ("relu", None, "[z > 0]"),
        ("softplus", None, "σ(z)"),
        ("linear", None, "1"),
    ],
)
def test_sigma_prime_is_written_from_the_op_row_for_any_slope_or_alpha(
    name: str, param: float | None, written: str
) -> None:
    assert sigma_prime_text(name, "z", param=param) == (written, True)


@pytest.mark.parametrize(("family", "param"), [(leaky_relu_op, 0.3), (elu_op, 0.7), (elu_op, 2.0)])
@pytest.mark.parametrize("z", [-1.7, -0.2, 0.4, 2.3])
def test_the_written_sigma_prime_is_the_slope(family: object, param: float, z: float) -> None:
    # the row's derivative on symbols, evaluated at z, against central differences of forward
    op = family(param)  # type: ignore[operator]
    row = symbolic_row(op, ["z"], "out")
    assert row.derivatives is not None
    slope = float(row.derivatives[0].evaluate({"z": z, "out": op.forward(z)}))
    assert slope == pytest.approx(central(op.forward, z), rel=1e-6)


def test_gelu_and_softmax_write_sigma_prime_itself() -> None:
    assert sigma_prime_text("gelu", "z") == ("σ'(z)", False)
    assert sigma_prime_text("softmax", "z", "g") == ("g'(z)", False)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_every_output_lies_in_the_rows_range(name: str) -> None:
    row = TABLE[name]
    forward = (lambda z: z) if row.op is None else row.op(None).forward
    lo, hi = row.range
    for i in range(-400, 401):
        assert lo <= forward(i / 8.0) <= hi


def test_thresholds_are_sigma_of_0_by_hand() -> None:
    by_hand = {"sigmoid": 0.5, "softplus": math.log(2.0)}
    for name in ELEMENTWISE:
        assert TABLE[name].threshold == pytest.approx(by_hand.get(name, 0.0), abs=1e-15)
        assert THRESHOLDS[name] == TABLE[name].threshold
    with pytest.raises(ValueError, match="argmax"):
        _ = TABLE["softmax"].threshold
