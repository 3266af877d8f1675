"""Rough edges a newcomer hits in the library: accuracy's decision rule, plural messages,
gradcheck's table by label, and the anomaly message's grammar."""

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograd import AnomalyError, GradcheckError, Value, detect_anomaly, gradcheck, no_grad
from nn import MLP
from nn.activations import ELEMENTWISE
from nn.losses import binary_cross_entropy, mse
from nn.train import THRESHOLDS, accuracy, decision_rule
from nn.words import count


def test_accuracy_reads_the_decision_rule_from_the_output_activation() -> None:
    # a sigmoid network whose outputs are all in (0, 1): right on every example at 0.5
    model = MLP(1, [1], output_activation="sigmoid", seed=0)
    model.layers[0].neurons[0].w[0].data = 10.0
    model.layers[0].neurons[0].b.data = 0.0
    xs, ys = [[-1.0], [-0.5], [0.5], [1.0]], [0, 0, 1, 1]
    with no_grad():
        outputs = [model(x)[0].data for x in xs]
    assert all(0.0 < a < 1.0 for a in outputs) and outputs[0] < 0.5 < outputs[-1]
    assert accuracy(model, xs, ys) == 1.0  # was 0.5: every sigmoid output is > 0
    assert binary_cross_entropy(model([1.0]), [1.0]).data < 0.01
    tanh = MLP(1, [1], output_activation="tanh", seed=0)
    tanh.layers[0].neurons[0].w[0].data = 10.0
    assert accuracy(tanh, xs, ys) == 1.0 and accuracy(tanh, xs, [-1, -1, 1, 1]) == 1.0
    assert accuracy(model, xs, ys, decide=lambda a: 1) == 0.5  # decide= still wins


@pytest.mark.parametrize(
    ("output", "outputs", "expected"),
    [
        ("sigmoid", [0.4], 0),
        ("sigmoid", [0.6], 1),
        ("tanh", [-0.1], 0),
        ("tanh", [0.1], 1),
        ("linear", [0.1], 1),
        ("softmax", [0.2, 0.5, 0.3], 1),
        ("relu", [0.0], 0),
        ("leaky_relu", [-0.001], 0),
        ("elu", [-0.5], 0),
        ("gelu", [-0.1], 0),
        ("gelu", [0.1], 1),
        # softplus is > 0 everywhere: its threshold is softplus(0) = ln 2 ≈ 0.693
        ("softplus", [0.6], 0),
        ("softplus", [0.8], 1),
    ],
)
def test_decision_rule_per_activation(output: str, outputs: list[float], expected: int) -> None:
    model = MLP(2, [3, len(outputs)], output_activation=output, seed=0)
    assert decision_rule(model)([Value(a) for a in outputs]) == expected


@pytest.mark.parametrize("output", sorted(ELEMENTWISE))
def test_one_output_is_class_1_exactly_when_its_z_is_positive(output: str) -> None:
    # every elementwise σ splits at σ(0): a single output predicts class 1 iff z^L > 0
    model = MLP(1, [1], output_activation=output, seed=0)
    model.layers[0].neurons[0].w[0].data = 1.0
    model.layers[0].neurons[0].b.data = 0.0
    rule = decision_rule(model)
    for z in (-3.0, -0.4, -1e-6, 0.0, 1e-6, 0.3, 2.5):
        with no_grad():
            a = model([z])
        assert rule(a) == (1 if z > 0.0 else 0), (output, z, a[0].data)
    assert output in THRESHOLDS


def test_messages_count_in_the_right_number() -> None:
    assert count(1, "output") == "1 output" and count(2, "output") == "2 outputs"
    assert count(1, "entry", "entries") == "1 entry" and count(0, "entry", "entries") == "0 entries"
    with pytest.raises(ValueError, match=r"^mse: got 1 output but 2 targets;"):
        mse([Value(1.0)], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"expected 1 input, got 2"):
        MLP(1, [1], seed=0)([1.0, 2.0])


def test_gradcheck_table_names_inputs_by_label() -> None:
    def broken(w: Value, b: Value) -> Value:
        with no_grad():
            frozen = w * 1.0
        return w * frozen + b

    with pytest.raises(GradcheckError) as info:
        gradcheck(broken, [Value(1.5, "w^2_{0,0}"), 0.5])
    lines = str(info.value).splitlines()
    assert lines[2].split()[0] == "w^2_{0,0}" and lines[2].endswith("MISMATCH")
    assert lines[3].split()[0] == "1" and lines[3].endswith("ok")  # no label: its index
    assert lines[1].index("input") + len("input") == lines[2].index("}") + 1  # aligned


def test_anomaly_messages_read_as_sentences() -> None:
    with detect_anomaly():
        x = Value(1e300, "x")
        y = x * 1e-300
        z = y * 1e300
    with pytest.raises(AnomalyError) as info, detect_anomaly():
        z.backward()
    assert "at an unlabelled '*' node (data" in str(info.value)
    y.label = "y"
    with pytest.raises(AnomalyError) as info, detect_anomaly():
        z.backward()
    assert "at the '*' node 'y' (data" in str(info.value)
    assert math.isfinite(z.data)


DOCS = sorted((Path(__file__).parent.parent / "docs").rglob("*.md"))


@pytest.mark.parametrize("page", DOCS, ids=[p.stem for p in DOCS])
def test_docs_pages_pass_under_plain_python_m_doctest(page: Path) -> None:
    # the closing code fences must not be read as expected output: a blank line ends each one
    examples = [
        line
        for line in page.read_text(encoding="utf-8").splitlines()
        if line.startswith((">>>", "..."))
    ]
    if any("numpy" in line for line in examples):
        pytest.importorskip("numpy", reason=f"{page.name}'s examples use numpy")
    done = subprocess.run(
        [sys.executable, "-m", "doctest", str(page)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:]
