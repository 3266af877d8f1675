"""nn.check_backprop: correct learners pass; each known mistake is found and named by a mutant."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn import check_backprop
from nn.grading import MISTAKES, BackpropReport
from tests.learner_backprop import make_backprop
from tests.shown import NUMBER, read

# (hidden, output, cost) settings a learner meets, every cost included
SETTINGS = [
    ("sigmoid", "sigmoid", "quadratic"),
    ("tanh", "tanh", "mse"),
    ("sigmoid", "sigmoid", "binary_cross_entropy"),
    ("relu", "softmax", "cross_entropy"),
    ("tanh", "linear", "binary_cross_entropy_with_logits"),
    ("tanh", "linear", "hinge"),
    ("sigmoid", "softmax", "mse"),
    ("linear", "relu", "mse"),
    ("tanh", "tanh", "squared_error"),
    ("leaky_relu", "softplus", "mse"),
    ("elu", "gelu", "quadratic"),
    ("gelu", "elu", "squared_error"),
    ("softplus", "leaky_relu", "hinge"),
]


def grade(
    mistake: str | None,
    sizes: list[int],
    setting: tuple[str, str, str],
    seed: int = 0,
    batch: int | None = None,
    trials: int = 4,
) -> BackpropReport:
    hidden, output, cost = setting
    fn = make_backprop(hidden, output, cost, mistake, batch=batch is not None)
    return check_backprop(fn, sizes, hidden, output, cost, trials=trials, seed=seed, batch=batch)


@pytest.mark.parametrize("setting", SETTINGS, ids="/".join)
@pytest.mark.parametrize("batch", [None, 3])
def test_a_correct_learner_passes(setting: tuple[str, str, str], batch: int | None) -> None:
    report = grade(None, [3, 4, 2], setting, batch=batch, trials=6)
    assert report.ok, str(report)
    assert report.mismatch is None and report.diagnosis is None
    assert str(report).startswith("backprop OK")


# mutant, setting, sizes (each case runs on two seeds), batch, expected diagnosis
MUTANTS: list[tuple[str, tuple[str, str, str], list[list[int]], int | None, str]] = [
    (
        "sigma_for_sigma_prime:bp1",
        SETTINGS[0],
        [[2, 3, 1], [3, 2, 2]],
        None,
        "sigma_for_sigma_prime",
    ),
    ("sigma_for_sigma_prime:bp1", SETTINGS[1], [[2, 3, 2]], 3, "sigma_for_sigma_prime"),
    (
        "sigma_for_sigma_prime:bp2",
        ("tanh", "linear", "quadratic"),
        [[2, 3, 1], [1, 4, 2, 2]],
        None,
        "sigma_for_sigma_prime",
    ),
    (
        "missing_sigma_prime:error_signal",
        SETTINGS[0],
        [[2, 3, 1], [4, 2, 3]],
        None,
        "missing_sigma_prime",
    ),
    ("missing_sigma_prime:error_signal", SETTINGS[1], [[2, 3, 2]], 2, "missing_sigma_prime"),
    ("missing_sigma_prime:bp1", SETTINGS[1], [[2, 3, 1], [3, 3, 2]], None, "missing_sigma_prime"),
    (
        "missing_sigma_prime:bp2",
        ("sigmoid", "linear", "mse"),
        [[2, 3, 1], [2, 2, 3, 1]],
        None,
        "missing_sigma_prime",
    ),
    ("extra_sigma_prime", SETTINGS[2], [[2, 3, 1], [3, 2, 2]], None, "extra_sigma_prime"),
    ("extra_sigma_prime", SETTINGS[3], [[2, 3, 3], [2, 4]], None, "extra_sigma_prime"),
    ("extra_sigma_prime", SETTINGS[4], [[2, 3, 1]], 3, "extra_sigma_prime"),
    ("not_transposed", SETTINGS[0], [[2, 2, 2], [3, 3, 3], [2, 2, 3]], None, "not_transposed"),
    ("not_transposed", ("tanh", "linear", "mse"), [[3, 3, 3]], 2, "not_transposed"),
    ("wrong_activation:a_l", SETTINGS[0], [[2, 2, 2], [3, 3, 3]], None, "wrong_activation"),
    ("wrong_activation:a_l", SETTINGS[1], [[2, 3, 1], [3, 2, 4]], None, "wrong_activation"),
    (
        "wrong_activation:a_l_plus_1",
        SETTINGS[0],
        [[2, 3, 2], [3, 2, 3, 2]],
        None,
        "wrong_activation",
    ),
    ("z_for_a", SETTINGS[1], [[2, 3, 1], [3, 2, 2]], None, "z_for_a"),
    ("outer_product_swapped", SETTINGS[0], [[2, 2, 2], [3, 3]], None, "outer_product_swapped"),
    ("outer_product_swapped", SETTINGS[2], [[2, 3, 1], [4, 2]], None, "outer_product_swapped"),
    ("wrong_layer_delta:bp2", SETTINGS[0], [[2, 3, 3], [2, 2, 2, 2]], None, "wrong_layer_delta"),
    ("wrong_layer_delta:bp3", SETTINGS[1], [[2, 3, 3], [2, 2, 2]], None, "wrong_layer_delta"),
    ("wrong_layer_delta:bp4", SETTINGS[0], [[2, 3, 3], [3, 2, 2, 2]], None, "wrong_layer_delta"),
    ("missing_batch_mean", SETTINGS[0], [[2, 3, 1], [3, 2, 2]], 4, "missing_batch_mean"),
    ("missing_batch_mean", SETTINGS[3], [[2, 3, 3]], 2, "missing_batch_mean"),
    ("extra_batch_mean", SETTINGS[1], [[2, 3, 1]], 4, "extra_batch_mean"),
    ("missing_output_mean", SETTINGS[1], [[2, 3, 3], [3, 2, 2]], None, "missing_output_mean"),
    ("factor_two", SETTINGS[1], [[2, 3, 1], [2, 2, 3]], None, "factor_two"),
    ("factor_two", SETTINGS[0], [[2, 3, 1], [3, 3, 2]], 3, "factor_two"),
    ("factor_two", SETTINGS[8], [[2, 3, 1], [2, 2, 3]], None, "factor_two"),
    ("sign_flip", SETTINGS[0], [[2, 3, 1], [2, 2, 2]], None, "sign_flip"),
    ("sign_flip", SETTINGS[3], [[2, 3, 4]], 3, "sign_flip"),
    ("last_example_only", SETTINGS[1], [[2, 3, 1], [3, 2, 2]], 3, "last_example_only"),
    ("class_index_as_number", SETTINGS[3], [[2, 3, 3], [3, 4]], None, "class_index_as_number"),
    ("reversed_lists", SETTINGS[0], [[2, 3, 1], [3, 4, 2, 1]], None, "shape"),
]


@pytest.mark.parametrize(
    ("mistake", "setting", "all_sizes", "batch", "expected"),
    MUTANTS,
    ids=[f"{m[0]}-{m[1][2]}-{m[3]}" for m in MUTANTS],
)
@pytest.mark.parametrize("seed", [0, 7])
def test_each_mutant_is_diagnosed_by_name(
    mistake: str,
    setting: tuple[str, str, str],
    all_sizes: list[list[int]],
    batch: int | None,
    expected: str,
    seed: int,
) -> None:
    for sizes in all_sizes:
        report = grade(mistake, sizes, setting, seed=seed, batch=batch)
        assert not report.ok
        assert report.mistake == expected, f"{sizes}: {report}"
        assert expected in MISTAKES
        text = str(report)
        assert "backprop WRONG" in text and MISTAKES[expected] in text


@pytest.mark.parametrize("n", [3, 4])
def test_mse_taken_as_a_minus_y_is_n_over_2_times_too_large_and_says_why(n: int) -> None:
    # By hand: mse is C = (1/n) Σ_j (a_j − y_j)², so ∂C/∂a_j = 2(a_j − y_j)/n; a learner who
    # writes a − y (the quadratic cost's derivative) is off by n/2, missing both the 2 and 1/n.
    report = grade("missing_output_mean:a_minus_y", [2, 3, n], ("tanh", "tanh", "mse"))
    m, d = report.mismatch, report.diagnosis
    assert m is not None and d is not None, str(report)
    assert m.received / m.expected == pytest.approx(n / 2)
    assert d.mistake == "missing_output_mean"
    assert d.message.startswith(
        f"δ is {n / 2:g} times the right one: ∂C/∂a^3_j was taken as a^3_j − y_j, but mse is "
        "C = (1/n) Σ_j (a^3_j − y_j)², so ∂C/∂a^3_j = 2·(a^3_j − y_j)/n"
    )
    assert "the factor 2 from the square is missing" in d.message
    assert f"the 1/n of the mean over the n = {n} outputs is missing" in d.message


def test_the_first_wrong_number_is_reported_with_its_equation() -> None:
    report = grade("missing_sigma_prime:error_signal", [2, 3, 1], SETTINGS[0])
    m = report.mismatch
    assert m is not None
    assert (m.quantity, m.layer, m.index, m.trial) == ("delta", 3, (0,), 0)
    assert m.expected != pytest.approx(m.received)
    text = str(report)
    assert "δ^3_0 = deltas[1][0] (trial 0): expected" in text
    assert "BP1: δ^3_0 = ∂C/∂a^3_0 · σ'(z^3_0)" in m.equation
    # the equation ends in the expected value; the learner's (a − y) is its first factor
    assert f" = {m.expected:.4g}   (z^3_0 = " in m.equation
    assert f"= {m.received:.4g} · " in m.equation
    assert "δ^3, δ^2" in text  # everything downstream is listed as wrong too


# σ'(z^3_0) as BP1 writes it out for each elementwise output activation (gelu has no short
# form: its σ' is written σ'(z) and the number follows on the next line)
SIGMA_PRIME_TEXT = {
    "linear": "· 1\n",
    "sigmoid": "σ(z^3_0)·(1 − σ(z^3_0))",
    "tanh": "(1 − tanh(z^3_0)²)",
    "relu": "[z^3_0 > 0]",
    "leaky_relu": "([z^3_0 > 0] + (1 − [z^3_0 > 0])·0.01)",
    "softplus": "σ(z^3_0)",
    "elu": "([z^3_0 > 0] + (1 − [z^3_0 > 0])·(elu(z^3_0) + 1))",
    "gelu": "(a^3_0 − y_0) · σ'(z^3_0)\n",
}


@pytest.mark.parametrize(
    ("output", "mistake"),
    [
        (output, mistake)
        for output in sorted(SIGMA_PRIME_TEXT)
        for mistake in ("sigma_for_sigma_prime:bp1", "missing_sigma_prime:bp1")
        if not (output == "linear" and mistake.startswith("missing"))  # σ' = 1: not a mistake
    ],
)
def test_bp1_is_written_out_for_every_elementwise_output(output: str, mistake: str) -> None:
    report = grade(mistake, [2, 3, 2], ("tanh", output, "quadratic"))
    assert not report.ok and report.mismatch is not None, str(report)
    assert report.mismatch.equation.startswith("BP1: δ^3_0 = ∂C/∂a^3_0 · σ'(z^3_0)")
    assert SIGMA_PRIME_TEXT[output] in report.mismatch.equation, report.mismatch.equation
    if output == "gelu":  # no formula, so the line says which σ the number is the slope of
        assert "σ = gelu" in report.mismatch.equation
    if output != "linear":
        assert report.mistake == mistake.split(":")[0], str(report)


def test_bp2_mistake_reports_the_hidden_layer_with_bp2_written_out() -> None:
    report = grade("missing_sigma_prime:bp2", [2, 3, 2], ("sigmoid", "linear", "mse"))
    m = report.mismatch
    assert m is not None and (m.quantity, m.layer) == ("delta", 2)
    assert m.equation.startswith(
        "BP2: δ^2_0 = ((w^3)ᵀ δ^3)_0 · σ'(z^2_0) = (w^3_{0,0}·δ^3_0 + w^3_{1,0}·δ^3_1)"
    )
    # the received number is the equation's bracket without σ'
    assert f"{m.received:.4g}".replace("-", "−") in m.equation


def test_the_transpose_mistake_says_when_the_square_shape_hid_it() -> None:
    square = grade("not_transposed", [2, 2, 2], SETTINGS[0])
    assert square.mistake == "not_transposed"
    assert "square (2×2), so the shapes hid the mistake" in str(square)
    assert "--net 2,3,2" in str(square)
    # with zip the row k of a wider w^{l+1} silently stops early
    short = grade("not_transposed", [2, 2, 3], SETTINGS[0])
    assert short.mistake == "not_transposed" and "stopped early" in str(short)
    # a non-square layer makes the same code fail: the report points at the line and the shapes
    failing = grade("not_transposed", [2, 3, 1], SETTINGS[0])
    assert failing.mistake == "exception"
    text = str(failing)
    assert "IndexError" in text and "learner_backprop.py" in text
    assert "w^3 1×3, δ^3 1" in text and "(w^{l+1})ᵀ δ^{l+1}" in text


def test_shape_errors_name_the_layer_and_the_expected_shape() -> None:
    def transposed(weights: Any, biases: Any, x: Any, y: Any) -> Any:
        d, w, b = make_backprop("sigmoid", "sigmoid", "quadratic")(weights, biases, x, y)
        w[0] = [list(col) for col in zip(*w[0], strict=True)]
        return d, w, b

    report = check_backprop(transposed, [2, 3, 1], trials=2)
    assert not report.ok and report.mistake == "outer_product_swapped"
    text = str(report)
    assert "grad_w[0] (∂C/∂w^2) has shape 2×3, but w^2 is 3×2" in text

    def short(weights: Any, biases: Any, x: Any, y: Any) -> Any:
        d, w, b = make_backprop("sigmoid", "sigmoid", "quadratic")(weights, biases, x, y)
        return d[:1], w, b

    report = check_backprop(short, [2, 3, 1], trials=2)
    assert report.mistake == "shape"
    assert "deltas has 1 entries but the network has 2 layers with weights" in str(report)

    def with_input(weights: Any, biases: Any, x: Any, y: Any) -> Any:
        d, w, b = make_backprop("sigmoid", "sigmoid", "quadratic")(weights, biases, x, y)
        return [list(x), *d], w, b

    assert "the input layer 1 has no δ" in str(check_backprop(with_input, [2, 3, 1], trials=1))

    def reversed_lists(weights: Any, biases: Any, x: Any, y: Any) -> Any:
        return make_backprop("sigmoid", "sigmoid", "quadratic", "reversed_lists")(
            weights, biases, x, y
        )

    assert "reverse order" in str(check_backprop(reversed_lists, [2, 3, 1], trials=1))

    def bad_delta(weights: Any, biases: Any, x: Any, y: Any) -> Any:
        d, w, b = make_backprop("sigmoid", "sigmoid", "quadratic")(weights, biases, x, y)
        d[0] = d[0][:2]
        return d, w, b

    text = str(check_backprop(bad_delta, [2, 3, 1], trials=1))
    assert "deltas[0] (δ^2) has shape 2 entries, but layer 2 has 3 neuron(s)" in text


def test_batch_shape_errors_explain_rows_and_means() -> None:
    fn = make_backprop("sigmoid", "sigmoid", "quadratic", batch=True)

    def columns(weights: Any, biases: Any, xs: Any, ys: Any) -> Any:
        d, w, b = fn(weights, biases, xs, ys)
        return [[list(c) for c in zip(*di, strict=True)] for di in d], w, b

    text = str(check_backprop(columns, [2, 3, 1], batch=4, trials=1))
    assert "looks transposed" in text and "one row per example" in text

    def per_example_b(weights: Any, biases: Any, xs: Any, ys: Any) -> Any:
        d, w, _ = fn(weights, biases, xs, ys)
        return d, w, d

    text = str(check_backprop(per_example_b, [2, 3, 1], batch=4, trials=1))
    assert "grad_b[0]" in text and "mean of the examples' δ" in text


def test_nothing_fits_shows_the_table_of_expected_and_received() -> None:
    right = make_backprop("tanh", "tanh", "mse")

    def odd(weights: Any, biases: Any, x: Any, y: Any) -> Any:
        d, w, b = right(weights, biases, x, y)
        d[-1] = [v * v + 0.1 for v in d[-1]]
        return d, w, b

    report = check_backprop(odd, [2, 3, 2], "tanh", "tanh", "mse", trials=3)
    assert report.mistake == "nothing_fits"
    assert [row[0] for row in report.table] == ["δ^3_0", "δ^3_1"]
    first = report.table[0]
    assert report.mismatch is not None and first[1] == report.mismatch.expected
    assert first[2] == pytest.approx(first[1] ** 2 + 0.1)
    text = str(report)
    assert "expected" in text and "received" in text and "δ^3_1" in text
    md = report._repr_markdown_()
    assert "| `δ^3_0` |" in md and "```" in md and md.startswith("**backprop WRONG**")


def test_a_placeholder_and_an_exception_are_reported_not_raised() -> None:
    def zeros(weights: Any, biases: Any, x: Any, y: Any) -> Any:
        return (
            [[0.0] * len(b) for b in biases],
            [[[0.0] * len(r) for r in w] for w in weights],
            [[0.0] * len(b) for b in biases],
        )

    report = check_backprop(zeros, [2, 3, 1], trials=2)
    assert report.mistake == "not_filled_in" and "placeholder" in str(report)

    def broken(weights: Any, biases: Any, x: Any, y: Any) -> Any:
        raise ZeroDivisionError("oops")

    report = check_backprop(broken, [2, 3, 1], trials=2)
    assert report.mistake == "exception"
    assert "ZeroDivisionError: oops" in str(report) and "test_grading.py" in str(report)

    report = check_backprop(lambda w, b, x, y: None, [2, 3, 1], trials=1)
    assert report.mistake == "shape" and "(deltas, grad_w, grad_b)" in str(report)


def test_a_function_calling_sys_exit_is_reported_and_ctrl_c_is_not_swallowed() -> None:
    def leaves(weights: Any, biases: Any, x: Any, y: Any) -> Any:
        sys.exit(2)

    report = check_backprop(leaves, [2, 3, 1], trials=2)
    assert report.mistake == "exception" and not report.ok
    assert "the function called sys.exit(2)" in str(report) and "test_grading.py" in str(report)

    def stopped(weights: Any, biases: Any, x: Any, y: Any) -> Any:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        check_backprop(stopped, [2, 3, 1], trials=1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sizes": [2]}, "at least two positive layer widths"),
        ({"sizes": "2,3"}, "sizes must list every layer's width"),
        ({"activation": "softmax"}, "only allowed on the output layer"),
        ({"output_activation": "cube"}, "unknown activation"),
        ({"cost": "l2"}, "unknown cost"),
        ({"cost": "cross_entropy"}, "^cross_entropy does not fit a sigmoid output: .*softmax"),
        ({"trials": 0}, "trials must be a positive int"),
        (
            {"output_activation": "softmax", "cost": "cross_entropy"},
            "softmax over one output is always 1",
        ),
        ({"batch": 0}, "batch must be None"),
    ],
)
def test_bad_arguments_raise_a_sentence(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"sizes": [2, 3, 1]} | kwargs
    with pytest.raises((ValueError, TypeError), match=message):
        check_backprop(make_backprop("sigmoid", "sigmoid", "quadratic"), **args)


def test_old_cost_names_work_and_are_reported_by_their_new_name() -> None:
    report = check_backprop(
        make_backprop("sigmoid", "sigmoid", "half_mse"), [2, 3, 1], cost="half_mse"
    )
    assert report.ok and report.cost == "quadratic"


def test_numpy_arrays_and_columns_are_accepted() -> None:
    np = pytest.importorskip("numpy")
    right = make_backprop("sigmoid", "sigmoid", "quadratic")

    def as_arrays(weights: Any, biases: Any, x: Any, y: Any) -> Any:
        d, w, b = right(weights, biases, x, y)
        # Nielsen's network.py keeps vectors as columns (n × 1)
        return (
            [np.array(v).reshape(-1, 1) for v in d],
            [np.array(m) for m in w],
            np.array([np.array(v).reshape(-1, 1) for v in b], dtype=object),
        )

    assert check_backprop(as_arrays, [2, 3, 1], trials=3).ok


OUTPUTS = {
    "mse": [
        "linear",
        "tanh",
        "sigmoid",
        "relu",
        "softmax",
        "leaky_relu",
        "softplus",
        "elu",
        "gelu",
    ],
    "quadratic": ["linear", "sigmoid", "tanh", "softplus", "elu"],
    "squared_error": ["tanh", "linear", "leaky_relu", "gelu"],
    "binary_cross_entropy": ["sigmoid"],
    "binary_cross_entropy_with_logits": ["linear"],
    "cross_entropy": ["softmax"],
    "hinge": ["linear", "tanh", "elu"],
}
HIDDEN = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "softplus", "elu", "gelu"]


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[int], str, str, str, int | None, int]:
    cost = draw(st.sampled_from(sorted(OUTPUTS)))
    output = draw(st.sampled_from(OUTPUTS[cost]))
    hidden = draw(st.sampled_from(HIDDEN))
    sizes = draw(st.lists(st.integers(1, 4), min_size=2, max_size=4))
    if output == "softmax":
        sizes[-1] = max(sizes[-1], 2)
    batch = draw(st.none() | st.integers(1, 3))
    return sizes, hidden, output, cost, batch, draw(st.integers(0, 2**16))


@settings(max_examples=25)
@given(cases())
def test_a_correct_learner_passes_for_any_network(
    case: tuple[list[int], str, str, str, int | None, int],
) -> None:
    sizes, hidden, output, cost, batch, seed = case
    fn = make_backprop(hidden, output, cost, batch=batch is not None)
    report = check_backprop(fn, sizes, hidden, output, cost, trials=2, seed=seed, batch=batch)
    assert report.ok, str(report)


def numpy_backprop(mistake: str | None = None) -> Any:
    """A numpy learner on a batch (rows are examples), sigmoid + quadratic, with one mistake."""
    np = pytest.importorskip("numpy")

    def backprop(weights: Any, biases: Any, x: Any, y: Any) -> Any:
        w_ = [np.array(w) for w in weights]
        a_, z_ = [np.array(x)], []
        for w, b in zip(w_, biases, strict=True):
            z_.append(a_[-1] @ w.T + np.array(b))
            a_.append(1.0 / (1.0 + np.exp(-z_[-1])))
        deltas: list[Any] = [None] * len(w_)
        deltas[-1] = (a_[-1] - np.array(y)) * a_[-1] * (1.0 - a_[-1])
        for i in range(len(w_) - 2, -1, -1):
            # rows are examples: ((w^{l+1})ᵀ δ^{l+1}) for every example is δ^{l+1} @ w^{l+1}
            w_up = w_[i + 1].T if mistake == "not_transposed" else w_[i + 1]
            deltas[i] = (deltas[i + 1] @ w_up) * a_[i + 1] * (1.0 - a_[i + 1])
        m = 1 if mistake == "missing_batch_mean" else len(x)
        grad_w = [d.T @ a / m for d, a in zip(deltas, a_, strict=False)]
        grad_b = [d.sum(axis=0) / m for d in deltas]
        return deltas, grad_w, grad_b

    return backprop


@pytest.mark.parametrize("sizes", [[2, 3, 1], [3, 3, 3], [4, 2, 5, 2]])
def test_a_correct_numpy_learner_passes(sizes: list[int]) -> None:
    assert check_backprop(numpy_backprop(), sizes, batch=4, trials=5).ok


def test_numpy_mutants_are_diagnosed() -> None:
    report = check_backprop(numpy_backprop("not_transposed"), [3, 3, 3], batch=4, trials=4)
    assert report.mistake == "not_transposed" and "shapes hid" in str(report)
    report = check_backprop(numpy_backprop("not_transposed"), [2, 3, 1], batch=4, trials=4)
    assert report.mistake == "exception" and "matmul" in str(report)
    assert "w^3 1×3, δ^3 4×1" in str(report)
    for seed in (0, 3):
        report = check_backprop(
            numpy_backprop("missing_batch_mean"), [2, 3, 2], batch=5, trials=4, seed=seed
        )
        assert report.mistake == "missing_batch_mean" and "5 times too large" in str(report)


def test_importing_the_checker_does_not_import_numpy() -> None:
    code = "import sys, nn, nn.grading; print('numpy' in sys.modules)"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent.parent))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.stdout.strip() == "False", done.stderr


def test_the_report_speaks_the_chosen_notation() -> None:
    from nn import notation

    fn = make_backprop("sigmoid", "sigmoid", "quadratic", "missing_sigma_prime:bp2")
    nielsen = check_backprop(fn, [2, 3, 3], trials=2)
    ng = check_backprop(fn, [2, 3, 3], trials=2, notation="ng")
    # the same finding, in Nielsen's layer numbering as data
    a, b = nielsen.mismatch, ng.mismatch
    assert a is not None and b is not None
    assert (a.quantity, a.layer, a.index, a.received) == (b.quantity, b.layer, b.index, b.received)
    assert b.layer == 2 and b.index == (0,)
    text = str(ng)
    # Ng counts layers from the input as 0 and units from 1, and writes δ as dz
    assert "First wrong number: dz^[1]_1 = deltas[0][0]" in text
    assert "BP2: dz^[1]_1 = ((w^[2])ᵀ dz^[2])_1 · g'(z^[1]_1)" in text
    assert "All the wrong quantities: dz^[1], db^[1], dw^[1]" in text
    assert "δ^2" not in text and "δ^3" not in text
    lfd = str(check_backprop(fn, [2, 3, 3], trials=2, notation="lfd"))
    assert "δ^(1)_1" in lfd and "θ'(s^(1)_1)" in lfd
    # the active notation is used when none is given, and kept in the report
    with notation.using("goodfellow"):
        report = check_backprop(fn, [2, 3, 3], trials=2)
    assert "g^(1)_1 = deltas[0][0]" in str(report)
    mine = notation.Notation("mine", "my notes", delta="e", layer_offset=-1)
    assert "e^1_0 = deltas[0][0]" in str(check_backprop(fn, [2, 3, 3], trials=2, notation=mine))
    shape = check_backprop(
        make_backprop("sigmoid", "sigmoid", "quadratic", "wrong_activation:a_l"),
        [2, 3, 1],
        trials=1,
        notation="ng",
    )
    assert "w^[1] is 3×2" in str(shape) and "layer 0" in str(shape)
    with pytest.raises(ValueError, match="unknown notation"):
        check_backprop(fn, [2, 3, 3], notation="klingon")


def test_a_function_with_the_wrong_parameters_is_told_how_it_is_called() -> None:
    def two(weights: Any, biases: Any) -> Any:
        return None

    report = check_backprop(two, [2, 3, 1], trials=1)
    assert report.mistake == "exception"
    assert "TypeError" in str(report) and "when called as fn(weights, biases, x, y)" in str(report)


def test_results_may_be_indexed_by_the_notations_layer_numbers() -> None:
    right = make_backprop("tanh", "tanh", "mse")

    def as_dicts(first: int) -> Any:
        def fn(weights: Any, biases: Any, x: Any, y: Any) -> Any:
            parts = right(weights, biases, x, y)
            return tuple({first + i: v for i, v in enumerate(p)} for p in parts)

        return fn

    def padded(first: int) -> Any:
        def fn(weights: Any, biases: Any, x: Any, y: Any) -> Any:
            return tuple([None] * first + list(p) for p in right(weights, biases, x, y))

        return fn

    sizes, args = [2, 3, 2], ("tanh", "tanh", "mse")
    assert check_backprop(as_dicts(2), sizes, *args, trials=2).ok  # Nielsen: layers 2, 3
    assert check_backprop(as_dicts(1), sizes, *args, trials=2, notation="ng").ok  # Ng: 1, 2
    assert check_backprop(padded(2), sizes, *args, trials=2).ok  # [None, None, δ^2, δ^3]
    assert check_backprop(padded(1), sizes, *args, trials=2, notation="lfd").ok
    wrong = check_backprop(as_dicts(2), sizes, *args, trials=1, notation="ng")
    assert wrong.mistake == "shape" and "keys must be the layer numbers 1, 2" in str(wrong)


# ------------------------------------------------------------------------ numbers in the messages
# any number-like text: a sign only where it cannot be a hyphen between words or sizes (2-3-1),
# Python's exponent (1.5e-05, 1.5e−05) or the formatter's power of ten (1.5×10⁻⁵)
ANY_NUMBER = re.compile(
    r"(?:(?<![\w)[])[-−+])?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+−]?\d+|×10[⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)?"
)


def assert_numbers_are_the_formatters(text: str) -> None:
    """Every number in text is an integer or as the formatter writes it: true minus, ≤ 4 digits."""
    for m in ANY_NUMBER.finditer(text):
        token = m[0]
        if token.isdigit():
            continue  # an index, a size, a layer number, a count
        assert re.fullmatch(NUMBER, token), f"{token!r} is not in the formatter's form: {text}"
        mantissa = token.lstrip("−").split("×")[0]
        significant = mantissa.replace(".", "").lstrip("0")
        assert len(significant) <= 4, f"{token!r} has more than 4 significant digits"


def close_to_shown(shown: str, want: float) -> bool:
    """shown (read back, tests/shown.py) is want to the 4 significant digits written."""
    return math.isclose(read(shown), want, rel_tol=6e-4, abs_tol=1e-300)


def scaled_learner(scale: float) -> Any:
    """A correct learner whose every returned number is multiplied by scale."""
    fn = make_backprop("sigmoid", "sigmoid", "quadratic", None)

    def learner(*args: Any) -> Any:
        deltas, grad_w, grad_b = fn(*args)
        return (
            [[scale * v for v in layer] for layer in deltas],
            [[[scale * v for v in row] for row in layer] for layer in grad_w],
            [[scale * v for v in layer] for layer in grad_b],
        )

    return learner


@pytest.mark.parametrize("case", MUTANTS, ids=[m[0] + ("/batch" if m[3] else "") for m in MUTANTS])
def test_every_number_in_a_report_is_written_by_the_one_formatter(
    case: tuple[str, tuple[str, str, str], list[list[int]], int | None, str],
) -> None:
    mistake, setting, sizes, batch, _ = case
    report = grade(mistake, sizes[0], setting, batch=batch)
    for text in (str(report), report._repr_markdown_()):
        assert_numbers_are_the_formatters(text)
    m = report.mismatch
    if m is not None:  # (a shape mistake is reported before any number is compared)
        shown = re.search(rf"expected ({NUMBER}), received ({NUMBER})\.", str(report))
        assert shown is not None, str(report)
        assert close_to_shown(shown[1], m.expected) and close_to_shown(shown[2], m.received)
    for symbol, expected, got, _ in report.table:
        row = re.search(rf"{re.escape(symbol)}\s+({NUMBER})\s+({NUMBER})$", str(report), re.M)
        assert row is not None, (symbol, str(report))
        assert close_to_shown(row[1], expected) and close_to_shown(row[2], got)


def test_a_tiny_factor_is_written_as_a_power_of_ten() -> None:
    report = check_backprop(scaled_learner(1e-6), [2, 3, 1], "sigmoid", "sigmoid", "quadratic")
    assert report.mistake == "constant_factor"
    text = str(report)
    assert_numbers_are_the_formatters(text)
    ratio = re.search(rf"every number is ({NUMBER}) times the right one", text)
    assert ratio is not None and close_to_shown(ratio[1], 1e-6), text
    assert "×10⁻" in ratio[1]  # 10⁻⁶ is below the plain decimals' range (10⁻⁴ and up)
    m = report.mismatch
    assert m is not None
    received = re.search(rf"received ({NUMBER})\.", text)
    assert received is not None and close_to_shown(received[1], m.received)


# A mistake of one equation is named at that equation, not only by its key: the same numbers
# could be read as a generic off-by-one in the lists, which says less (each line by hand).
@pytest.mark.parametrize(
    ("mistake", "setting", "sizes", "says"),
    [
        (
            "wrong_layer_delta:bp2",
            SETTINGS[0],
            [2, 3, 3],
            "BP2 used σ'(z^3), the derivative at layer 3, where σ'(z^2) belongs",
        ),
        (
            "wrong_layer_delta:bp3",
            SETTINGS[1],
            [2, 3, 3],
            "∂C/∂b^2 was set to δ^3, the δ of the wrong layer: BP3 is ∂C/∂b^2_j = δ^2_j",
        ),
        (
            "wrong_layer_delta:bp4",
            SETTINGS[0],
            [2, 3, 3],
            "BP4 used δ^3, the δ of the wrong layer: ∂C/∂w^2_jk = a^1_k δ^2_j",
        ),
    ],
)
def test_a_wrong_layer_delta_is_named_at_its_equation(
    mistake: str, setting: tuple[str, str, str], sizes: list[int], says: str
) -> None:
    report = grade(mistake, sizes, setting, seed=0, batch=None)
    assert report.mistake == "wrong_layer_delta"
    assert says in str(report)
