"""The cost table: each row's ∂C/∂a, factor, pair, targets and fits vs the graph and by hand."""

from __future__ import annotations

import math
import random
import re
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autograd import Value
from autograd.symbolic import var
from nn import MLP, closed_form, costs, losses
from nn.activations import ACTIVATIONS
from nn.activations import TABLE as ACTIVATION_TABLE
from nn.compare import example_loss
from tests.nn_strategies import targets
from tests.strategies import reals

ROWS = list(costs.COSTS.values())


def _inputs(row: costs.Cost, n: int, draw: Any) -> tuple[list[float], Any]:
    """Outputs a (probabilities for a cost on probabilities or a softmax) and a target y."""
    if row.targets.kind == "class" or row.name == "binary_cross_entropy":
        raw = draw(st.lists(reals(0.05, 0.95), min_size=n, max_size=n))
        a = [v / sum(raw) for v in raw] if row.targets.kind == "class" else raw
    else:
        a = draw(st.lists(reals(-2.0, 2.0), min_size=n, max_size=n))
    return a, draw(targets(row.name, n))


def _one_hot(y: Any, n: int) -> list[float]:
    return [float(j == y) for j in range(n)] if isinstance(y, int) else list(y)


@settings(max_examples=40)
@given(data=st.data(), n=st.integers(2, 4))
@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_the_rows_gradient_is_the_closed_forms_and_its_formula_evaluates_to_it(
    row: costs.Cost, data: st.DataObject, n: int
) -> None:
    a, y = _inputs(row, n, data.draw)
    ys = _one_hot(y, n)
    if row.name == "hinge":  # away from the kink y a = 1
        assume(all(abs(1.0 - y_j * a_j) > 1e-9 for a_j, y_j in zip(a, ys, strict=True)))
    from_row = [row.gradient(a_j, y_j, float(n)) for a_j, y_j in zip(a, ys, strict=True)]
    reference = closed_form.cost_gradient(row.name, a, y)  # the oracle, from the equations
    assert from_row == pytest.approx(reference, rel=1e-9, abs=1e-12)
    expr = row.gradient_expr()  # the same row on symbols, evaluated back at the numbers
    for a_j, y_j, g in zip(a, ys, from_row, strict=True):
        assert float(expr.evaluate({row.wrt: a_j, "y": y_j, "n": float(n)})) == pytest.approx(g)


@settings(max_examples=40)
@given(data=st.data(), n=st.integers(2, 4))
@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_the_rows_gradient_is_the_graphs(row: costs.Cost, data: st.DataObject, n: int) -> None:
    a, y = _inputs(row, n, data.draw)
    ys = _one_hot(y, n)
    if row.name == "hinge":  # away from the kink y a = 1
        assume(all(abs(1.0 - y_j * a_j) > 1e-9 for a_j, y_j in zip(a, ys, strict=True)))
    if row.targets.kind == "class":  # the loss reads logits: z = ln a gives softmax(z) = a
        z = [Value(math.log(v)) for v in a]
        row.loss(z, y).backward()
        # ∂C/∂z_j = Σ_i ∂C/∂a_i · a_i (1[i = j] − a_j), the softmax Jacobian by hand
        g = [row.gradient(a_i, y_i, float(n)) for a_i, y_i in zip(a, ys, strict=True)]
        want = [sum(g[i] * a[i] * ((i == j) - a[j]) for i in range(n)) for j in range(n)]
        assert [v.grad for v in z] == pytest.approx(want, rel=1e-9, abs=1e-12)
        return
    nodes = [Value(v) for v in a]
    row.loss(nodes, y).backward()
    want = [row.gradient(a_j, y_j, float(n)) for a_j, y_j in zip(a, ys, strict=True)]
    assert [v.grad for v in nodes] == pytest.approx(want, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("row", [r for r in ROWS if r.factor], ids=lambda r: r.name)
@pytest.mark.parametrize("n", [1, 2, 5])
def test_the_constant_factor_k_of_a_squared_cost(row: costs.Cost, n: int) -> None:
    # C = k Σ_j (a_j − y_j)², so C itself is k times the sum of squares, and ∂C/∂a_j = 2k (a − y)
    assert row.factor is not None
    k = row.factor[1](n)
    a, y = [0.3 * (j + 1) for j in range(n)], [0.1 - 0.2 * j for j in range(n)]
    squares = sum((a_j - y_j) ** 2 for a_j, y_j in zip(a, y, strict=True))
    assert row.loss([Value(v) for v in a], y).data == pytest.approx(k * squares)
    for a_j, y_j in zip(a, y, strict=True):
        assert row.gradient(a_j, y_j, float(n)) == pytest.approx(2.0 * k * (a_j - y_j))
    assert {"mse": "1/n", "quadratic": "½", "squared_error": "1"}[row.name] == row.factor[0]


@pytest.mark.parametrize("row", [r for r in ROWS if r.pair], ids=lambda r: r.name)
def test_a_matching_pair_has_delta_equal_to_prediction_minus_y(row: costs.Cost) -> None:
    # BP1 on the graph: δ^L read at the z nodes equals the row's δ = p − y, p = a or σ(z)
    assert row.pair is not None and row.prediction is not None
    model = MLP(2, [3, 3], activation="tanh", output_activation=row.pair, seed=4)
    y: Any = 2 if row.targets.kind == "class" else [1.0, 0.0, 0.7 * (row.name != "quadratic")]
    example_loss(model, [0.4, -0.8], y, row.name).backward()
    layer = model.layers[-1]
    outs = [v.data for v in (layer.a if row.wrt == "a" else layer.z)]
    delta = row.delta_expr()
    assert delta is not None
    for j, (o, t) in enumerate(zip(outs, _one_hot(y, 3), strict=True)):
        assert layer.z[j].grad == pytest.approx(float(delta.evaluate({row.wrt: o, "y": t})))
    assert delta.unicode() in ("a − y", "σ(z) − y")  # the statement the views print


def test_the_pairs_are_the_textbooks() -> None:
    pairs = {(r.pair, r.name) for r in ROWS if r.pair}
    assert pairs == {
        ("linear", "quadratic"),
        ("sigmoid", "binary_cross_entropy"),
        ("softmax", "cross_entropy"),
        ("linear", "binary_cross_entropy_with_logits"),
    }


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
@pytest.mark.parametrize("output", ACTIVATIONS)
def test_a_pair_that_does_not_fit_is_refused_in_one_line_saying_what_fits(
    row: costs.Cost, output: str
) -> None:
    if row.fits_output(output):
        assert costs.check_pair(row.name, output) is row
        return
    with pytest.raises(ValueError) as info:
        costs.check_pair(row.name, output)
    message = str(info.value)
    assert (
        message.startswith(f"{row.name} does not fit a {output} output: ") and "\n" not in message
    )
    assert all(name in message for name in row.fits)


def test_which_outputs_fit_by_hand() -> None:
    fits = {r.name: set(r.fits) for r in ROWS}
    assert fits["binary_cross_entropy"] == {"sigmoid", "softmax"}  # outputs in (0, 1) only
    assert fits["binary_cross_entropy_with_logits"] == {"linear"}
    assert fits["cross_entropy"] == {"softmax"}
    assert fits["mse"] == fits["hinge"] == set(ACTIVATIONS)


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_sampled_targets_lie_in_the_domain_and_the_loss_takes_them(row: costs.Cost) -> None:
    rng = random.Random(0)
    for output in row.fits:
        for _ in range(20):
            y = row.targets.sample(rng, 3, ACTIVATION_TABLE[output].range)
            assert row.targets.problem(y, 3) is None
            a = [Value(0.2), Value(0.3), Value(0.5)]
            assert math.isfinite(row.loss(a, y).data)


@pytest.mark.parametrize(
    ("cost", "y", "message"),
    [
        ("hinge", [0.0], "hinge takes −1 or +1 per output: target[0] = 0.0 is not −1 or +1"),
        ("binary_cross_entropy", [1.5], "target[0] = 1.5 is outside [0, 1]"),
        ("binary_cross_entropy_with_logits", [-1.0], "target[0] = -1.0 is outside [0, 1]"),
        ("cross_entropy", 3, "class index 3 is out of range for 1 output;"),
        ("cross_entropy", [1.0], "the target must be an int class index"),
        ("mse", [math.nan], "target[0] = nan is not a finite number"),
        ("quadratic", [1.0, 2.0], "got 2 targets for 1 output;"),
    ],
)
def test_a_target_outside_the_domain_is_refused(cost: str, y: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        costs.check_target(cost, y, 1)


def test_names_aliases_and_loss_functions_find_the_row() -> None:
    assert costs.get("half_mse") is costs.get("quadratic") is costs.get(losses.quadratic)
    assert costs.get(losses.half_mse) is costs.COSTS["quadratic"]
    assert costs.names() == [*costs.COSTS, "half_mse"]
    with pytest.raises(ValueError, match=r"unknown cost 'l1'; choose one of mse, quadratic"):
        costs.get("l1")


def test_every_row_has_its_pytorch_form_and_its_courses_name() -> None:
    for row in ROWS:
        assert row.torch.formula and row.course and row.formula
    assert costs.COSTS["quadratic"].torch.factor == 0.5  # ½ Σ: half of MSELoss's sum


def test_the_symbolic_gradients_read_as_the_textbooks_write_them() -> None:
    written = {r.name: r.gradient_expr().unicode() for r in ROWS}
    assert written == {
        "mse": "2·(a − y)/n",
        "quadratic": "a − y",
        "squared_error": "2·(a − y)",
        "binary_cross_entropy": "(a − y)/(a·(1 − a))",
        "binary_cross_entropy_with_logits": "σ(z) − y",
        "cross_entropy": "−y/a",
        "hinge": "−y·[y·a < 1]",
    }
    assert var("a").text() == "a"
