"""The engine's z.grad, w.grad and b.grad on random MLPs against the closed-form BP1–BP4 oracle."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from nn import closed_form as cf
from nn import losses
from tests.nn_strategies import SCENARIOS, NetCase, net_cases

KINK = 1e-6  # kinked pre-activations and hinge margins stay this far from their kinks
KINKED = ("relu", "leaky_relu")  # σ' jumps at z = 0 (elu with α = 1 is C¹ there)
SATURATION = 1e-4  # sigmoid outputs fed to binary_cross_entropy stay inside (1e-4, 1 − 1e-4)


def oracle(case: NetCase, x: list[float], y: Any) -> cf.Backprop | None:
    """The closed-form pass for one example, or None where the engine and BP1–BP4 may disagree."""
    try:
        ref = cf.backprop(case.weights, case.biases, case.activations, x, y, case.cost)
    except ValueError:  # a softmax probability or sigmoid output rounded to 0 or 1
        return None
    for name, layer in zip(case.activations, ref.layers, strict=True):
        if name in KINKED and any(abs(z) <= KINK for z in layer.z):
            return None  # σ'(0) is a convention there, not a derivative
    out = ref.layers[-1].a
    if case.cost == "binary_cross_entropy" and not all(
        SATURATION < a < 1.0 - SATURATION for a in out
    ):
        return None
    if case.cost == "hinge" and any(
        abs(1.0 - y_j * a_j) <= KINK for a_j, y_j in zip(out, y, strict=True)
    ):
        return None
    return ref


def scale_of(refs: Sequence[cf.Backprop]) -> float:
    """1 + the largest |δ| or |∂C/∂w|: the size of the numbers whose rounding errors add up."""
    biggest = 0.0
    for ref in refs:
        for layer in ref.layers:
            biggest = max(biggest, *map(abs, layer.delta))
            biggest = max(biggest, *(abs(g) for row in layer.grad_w for g in row))
    return 1.0 + biggest


# Every (cost, output activation) pairing, each with fused linear nodes and with expanded * and +
# nodes: hypothesis then draws depths, widths, hidden activations, weights, inputs and targets.
CASES = [
    pytest.param(scenario, expand, id=f"{scenario[0]}-{scenario[1]}-{build}")
    for scenario in SCENARIOS
    for expand, build in ((False, "linear"), (True, "expand"))
]


def close(actual: float, expected: float, scale: float = 1.0) -> bool:
    """Equal up to rounding: the engine and the oracle sum the same terms in different orders."""
    return math.isclose(actual, expected, rel_tol=1e-7, abs_tol=1e-9 * scale)


@pytest.mark.parametrize(("scenario", "expand"), CASES)
@given(data=st.data())
def test_one_example_z_grad_is_delta_and_parameter_grads_are_bp3_bp4(
    scenario: tuple[str, str], expand: bool, data: st.DataObject
) -> None:
    case = data.draw(net_cases(scenarios=(scenario,), expand=expand))
    x, y = case.xs[0], case.ys[0]
    ref = oracle(case, x, y)
    assume(ref is not None)
    assert ref is not None
    s = scale_of([ref])
    model = case.model()
    out = model(x)
    c = case.loss_fn(case.prediction(model, out), y)
    c.backward()

    assert close(c.data, ref.cost, 1.0 + abs(ref.cost))
    assert [len(d) for d in model.deltas()] == case.widths
    a_prev: list[float] = x
    for layer_l, (layer, expected) in enumerate(
        zip(model.layers, ref.layers, strict=True), start=2
    ):
        for j, neuron in enumerate(layer.neurons):
            z = layer.z[j]
            assert neuron.z is z and neuron.a is layer.a[j]
            # the forward pass: the same z^l_j and a^l_j
            assert close(z.data, expected.z[j], 1.0 + abs(expected.z[j])), (layer_l, j)
            assert close(layer.a[j].data, expected.a[j]), (layer_l, j)
            # δ^l_j = ∂C/∂z^l_j is the gradient held by the z node
            assert close(z.grad, expected.delta[j], s), (
                "delta",
                layer_l,
                j,
                z.grad,
                expected.delta,
            )
            assert close(model.deltas()[layer_l - 2][j], expected.delta[j], s)
            # BP3: ∂C/∂b^l_j = δ^l_j
            assert close(neuron.b.grad, expected.grad_b[j], s), ("b", layer_l, j)
            assert close(neuron.b.grad, z.grad, s)
            for k, w in enumerate(neuron.w):
                # BP4: ∂C/∂w^l_jk = a^{l−1}_k δ^l_j, against the oracle and inside the engine
                assert close(w.grad, expected.grad_w[j][k], s), ("w", layer_l, j, k)
                assert close(w.grad, a_prev[k] * z.grad, s), ("w", layer_l, j, k)
        a_prev = [a.data for a in layer.a]


@pytest.mark.parametrize(("scenario", "expand"), CASES)
@given(data=st.data())
def test_batch_mean_parameter_grads_and_per_example_deltas(
    scenario: tuple[str, str], expand: bool, data: st.DataObject
) -> None:
    case = data.draw(net_cases(max_batch=4, scenarios=(scenario,), expand=expand))
    refs = [oracle(case, x, y) for x, y in zip(case.xs, case.ys, strict=True)]
    assume(all(ref is not None for ref in refs))
    checked = [ref for ref in refs if ref is not None]
    batch = cf.backprop_batch(
        case.weights, case.biases, case.activations, case.xs, case.ys, case.cost
    )
    s = scale_of([*checked, batch])
    n = len(case.xs)

    model = case.model()
    preds = []
    zs_per_example = []  # each forward pass makes new z nodes; keep every example's
    for x in case.xs:
        out = model(x)
        preds.append(case.prediction(model, out))
        zs_per_example.append([layer.z for layer in model.layers])
    c = losses.batch_loss(case.loss_fn, preds, case.ys)
    c.backward()

    assert close(c.data, batch.cost, 1.0 + abs(batch.cost))
    for layer, expected in zip(model.layers, batch.layers, strict=True):
        for j, neuron in enumerate(layer.neurons):
            # C = (1/N) Σ_x C_x, so ∂C/∂b and ∂C/∂w are the batch means of BP3 and BP4
            assert close(neuron.b.grad, expected.grad_b[j], s)
            for k, w in enumerate(neuron.w):
                assert close(w.grad, expected.grad_w[j][k], s)
    for zs, ref in zip(zs_per_example, checked, strict=True):
        for layer_z, expected in zip(zs, ref.layers, strict=True):
            for z, delta in zip(layer_z, expected.delta, strict=True):
                # ∂C/∂z_x = (1/N) δ_x: example x's δ, scaled by its share of the mean
                assert close(z.grad, delta / n, s)
    # the model's deltas() are those of the latest pass, the last example's
    last = model.deltas()
    for got, expected in zip(last, checked[-1].layers, strict=True):
        assert all(close(g, d / n, s) for g, d in zip(got, expected.delta, strict=True))
