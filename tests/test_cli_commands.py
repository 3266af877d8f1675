"""The deltagrad command's edges: losses in the one number format, global options before the
subcommand, help for every option, output paths checked before training, a closed pipe, and
Ctrl-C while the demo writes its files."""

import re
from pathlib import Path

import pytest

from viz.cli import main

SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def as_float(text: str) -> float:
    """A number as the views write it (1.2×10⁻⁵ or 0.6941), read back by hand."""
    mantissa, _, exponent = text.partition("×10")
    return float(mantissa) * 10.0 ** int(exponent.translate(SUPERSCRIPT) or "0")


def test_a_tiny_demo_loss_is_written_in_the_number_format(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(["demo", "--dataset", "xor", "--steps", "150", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    loss = re.search(r"after 150 steps: loss (\S+),", out)[1]  # type: ignore[index]
    assert loss != "0.0000" and re.fullmatch(r"\d(\.\d+)?×10⁻[⁰¹²³⁴⁵⁶⁷⁸⁹]+", loss), loss
    assert 0.0 < as_float(loss) < 1e-3  # xor learned: a small loss, written in full


def test_a_tiny_playground_loss_is_written_in_the_number_format(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    page = tmp_path / "p.html"
    argv = ["playground", "--dataset", "circles", "--steps", "300", "--out", str(page)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    first, last = re.search(r": loss (\S+) -> (\S+) in 300 steps", out).groups()  # type: ignore[union-attr]
    assert first == "0.6941" or 0.3 < as_float(first) < 1.5  # near ln 2 at the start
    assert "0.0000" not in out and 0.0 < as_float(last) < as_float(first)
    digits = re.sub(r"\D", "", last.partition("×")[0]).lstrip("0")
    assert len(digits) >= 3, last  # significant digits, not 0.0002 for 0.0001946


@pytest.mark.parametrize("command", [["check", "--trials", "1"], ["explain"]])
def test_notation_works_before_the_command_as_after_it(
    capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    assert main([*command, "--notation", "lfd"]) == 0
    after = capsys.readouterr().out
    assert main(["--notation", "lfd", *command]) == 0
    before = capsys.readouterr().out
    assert before == after
    assert main(command) == 0  # and the default is still Nielsen's, which names things otherwise
    assert capsys.readouterr().out != after


def test_notation_given_after_the_command_wins(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--notation", "lfd"]) == 0
    lfd = capsys.readouterr().out
    assert main(["--notation", "ng", "explain", "--notation", "lfd"]) == 0
    assert capsys.readouterr().out == lfd
    assert "⁽¹⁾" in lfd  # LFD writes layers as parenthesised superscripts (docs/notation.md)
