"""The command line's choices come from the library's own tables: activations, costs, notations."""

from __future__ import annotations

import argparse
import random

import pytest

from nn import costs
from nn import notation as nt
from nn.activations import ACTIVATIONS
from nn.compare import random_case
from viz.cli import build_parser, main

HIDDEN = [a for a in ACTIVATIONS if a != "softmax"]


def choices(command: str, option: str) -> list[str]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    action = sub.choices[command]._option_string_actions[option]
    return list(action.choices or [])


def test_activation_and_cost_choices_are_the_librarys() -> None:
    assert choices("explain", "--activation") == HIDDEN
    assert choices("playground", "--activation") == HIDDEN
    assert choices("explain", "--cost") == [*costs.COSTS, *costs.ALIASES]


@pytest.mark.parametrize("command", ["demo", "check", "explain", "playground", "grade"])
def test_every_command_takes_the_same_notation_option(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert choices(command, "--notation") == list(nt.NOTATIONS)
    argv = [command, "--notation", "klingon"] + (["backprop.py"] if command == "grade" else [])
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("deltagrad: error: argument --notation: invalid choice: 'klingon'")
    assert err.count("\n") == 0


def test_check_draws_every_hidden_activation() -> None:
    # a one-layer network's first layer is its output layer; deeper ones show the hidden choice
    rng = random.Random(0)
    hidden = set()
    for _ in range(300):
        model = random_case(rng)[0]
        if len(model.layers) > 1:
            hidden.add(model.layers[0].activation)
    assert hidden == set(HIDDEN)


def test_check_agrees_on_the_new_activations(capsys: pytest.CaptureFixture[str]) -> None:
    # seed 0 draws a hidden layer of each (the draws follow the cost table's rows)
    assert main(["check", "--trials", "40", "--seed", "0"]) == 0
    out = capsys.readouterr().out
    for name in ("leaky_relu", "softplus", "elu", "gelu"):
        assert f"{name}/" in out, name  # a hidden layer of that activation was checked
    assert out.strip().endswith("all 40 networks agree with BP1–BP4 within 1e-09")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["explain", "--cost", "hinge", "--target", "0"],
            "hinge takes −1 or +1 per output: target[0] = 0.0 is not −1 or +1; map 0/1 labels "
            "to 2y − 1",
        ),
        (
            ["explain", "--activation", "relu", "--cost", "binary_cross_entropy", "--seed", "3"],
            "binary_cross_entropy does not fit a relu output: it takes ln a and ln(1 − a) of "
            "probabilities 0 < a < 1; use a sigmoid or softmax output",
        ),
    ],
)
def test_a_cost_that_does_not_fit_is_a_one_line_usage_error(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # both ended in a Python traceback from inside the loss before the cost table
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"deltagrad: error: {message}") and "\n" not in err


@pytest.mark.parametrize("cost", [*costs.COSTS, *costs.ALIASES])
def test_every_cost_and_activation_explains_or_says_why_not(
    cost: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for activation in HIDDEN:
        code = main(["explain", "--cost", cost, "--activation", activation, "--layer", "all"])
        out, err = capsys.readouterr()
        row = costs.get("binary_cross_entropy" if cost == "cross_entropy" else cost)
        output = activation if row.fits_output(activation) or len(row.fits) > 1 else row.fits[0]
        if row.fits_output(output) and row.targets.problem([1.0], 1) is None:
            assert code == 0, err
            assert "Traceback" not in out + err
        else:  # the default target 1 fits every cost; only the pair can be refused
            assert code == 2 and err.count("\n") == 1 and "does not fit" in err, err
