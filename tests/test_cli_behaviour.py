"""The deltagrad command as a newcomer meets it: --version, --param without shell quoting, a
linear a that is its z, a closed pipe, and a check table that stays aligned."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograd._version import __version__
from viz.cli import build_parser, main

REPO = Path(__file__).parent.parent
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"deltagrad {__version__}"
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert 'version = { attr = "autograd._version.__version__" }' in pyproject


@pytest.mark.parametrize("form", ["w^2_{1,0}", "w:2:1:0", "w2_1_0"])
def test_every_param_form_names_the_same_weight(
    capsys: pytest.CaptureFixture[str], form: str
) -> None:
    code, out, err = run(capsys, "explain", "--param", form)
    assert code == 0, err
    assert out.splitlines()[1].startswith("∂C/∂w²₁,₀ = ")


def test_the_unquoted_forms_survive_a_real_shell() -> None:
    # bash brace-expands w^2_{1,0} into two words; w:2:1:0 and w2_1_0 need no quotes
    for form in ("w:2:1:0", "w2_1_0"):
        done = subprocess.run(
            ["bash", "-c", f"{sys.executable} -m viz explain --param {form}"],
            capture_output=True,
            text=True,
            env=ENV,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "∂C/∂w²₁,₀" in done.stdout


def test_the_help_shows_the_forms_and_the_quoting() -> None:
    parser = build_parser()
    explain = parser._subparsers._group_actions[0].choices["explain"]  # type: ignore[union-attr]
    text = explain.format_help()
    assert "w:2:1:0" in text and "--param 'w^2_{1,0}'" in text


def test_a_linear_layers_a_is_its_z_node(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "explain", "--activation", "linear", "--cost", "mse", "--param", "a:2:0"
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[1] == (
        "layer 2 has a linear activation, so there is no separate node a^2_0: a is the node "
        "z^2_0 itself, explained here"
    )
    assert lines[2].startswith("δ²₀ = ∂C/∂z²₀")


@pytest.mark.parametrize(
    ("param", "needle"),
    [
        ("w:1:0:0", "weight layers 2 to 3 (layer 1 is the input, as Nielsen numbers layers)"),
        ("w:2:5:0", "layer 2 has neurons 0 to 2"),
        ("w:2:0:7", "neuron 0 of layer 2 has inputs 0 to 1"),
        ("b:2:0:1", "a weight needs layer, neuron and input"),
        ("q7", "cannot read --param 'q7'; write w:2:1:0"),
    ],
)
def test_a_bad_param_says_what_exists(
    capsys: pytest.CaptureFixture[str], param: str, needle: str
) -> None:
    code, out, err = run(capsys, "explain", "--param", param)
    assert code == 2 and out == ""
    assert needle in err and len(err.strip().splitlines()) == 1


def test_a_closed_pipe_ends_quietly() -> None:
    done = subprocess.run(
        ["bash", "-c", f"{sys.executable} -m viz check --trials 200 | head -2"],
        capture_output=True,
        text=True,
        env=ENV,
        check=False,
    )
    assert len(done.stdout.splitlines()) == 2
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr


def test_the_check_table_stays_aligned_for_long_network_names(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "check", "--trials", "60", "--seed", "1")
    assert code == 0
    lines = out.splitlines()
    header, rows = lines[0], [line for line in lines[1:] if re.match(r"\s+\d+  ", line)]
    assert max(len(re.split(r"\s{2,}", row.strip())[1]) for row in rows) > 26  # long names
    for column in ("cost", "layer", "max|Δδ|", "ok"):
        start = header.index(column)
        end = start + len(column)
        if column in ("layer", "max|Δδ|"):  # right-aligned: every cell ends where the title does
            assert all(row[end - 1] != " " and row[end] == " " for row in rows), column
        else:  # left-aligned: every cell starts where the title does
            assert all(row[start - 1] == " " and row[start] != " " for row in rows), column
