"""The command line's choices come from the library's own tables: activations, costs, notations."""

from __future__ import annotations

import argparse
import random

import pytest

from nn import closed_form
from nn import notation as nt
from nn.activations import ACTIVATIONS
from viz.cli import _random_case, build_parser, main

HIDDEN = [a for a in ACTIVATIONS if a != "softmax"]


def choices(command: str, option: str) -> list[str]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    action = sub.choices[command]._option_string_actions[option]
    return list(action.choices or [])


def test_activation_and_cost_choices_are_the_librarys() -> None:
    assert choices("explain", "--activation") == HIDDEN
    assert choices("playground", "--activation") == HIDDEN
    assert choices("explain", "--cost") == [*closed_form.COSTS, *closed_form.COST_ALIASES]


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
        model = _random_case(rng)[0]
        if len(model.layers) > 1:
            hidden.add(model.layers[0].activation)
    assert hidden == set(HIDDEN)


def test_check_agrees_on_the_new_activations(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--trials", "40", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    for name in ("leaky_relu", "softplus", "elu", "gelu"):
        assert f"{name}/" in out, name  # a hidden layer of that activation was checked
    assert out.strip().endswith("all 40 networks agree with BP1–BP4 within 1e-09")
