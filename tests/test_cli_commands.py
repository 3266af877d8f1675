"""The deltagrad command's edges: losses in the one number format, global options before the
subcommand, help for every option, output paths checked before training, a closed pipe, and
Ctrl-C while the demo writes its files."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from viz.cli import main

REPO = Path(__file__).parent.parent
ENV = {**os.environ, "PYTHONPATH": str(REPO)}
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


def deltagrad(*argv: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """The command itself, as a shell runs it."""
    return subprocess.run(
        [sys.executable, "-m", "viz", *argv],
        cwd=REPO,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_the_top_level_help_names_every_command() -> None:
    done = deltagrad("--help")
    assert done.returncode == 0
    usage, _, description = done.stdout.partition("\n\n")
    commands = re.search(r"\{(demo,[a-z,]+)\}", usage)[1].split(",")  # type: ignore[index]
    assert "playground" in commands
    for command in commands:  # the paragraph under the usage line names each one
        assert re.search(rf"\b{command}\b", description.partition("\n\n")[0]), command


def _commands() -> list[str]:
    from viz.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return sorted(sub.choices)  # type: ignore[arg-type]


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_a_description_and_every_option_help(command: str) -> None:
    done = deltagrad(command, "--help")
    assert done.returncode == 0
    paragraphs = done.stdout.split("\n\n")
    assert not paragraphs[1].startswith(("positional", "options")), "no description"
    options = done.stdout[done.stdout.index("options:") :]
    # each option's line: its flags (and metavar or choices), then its help on the same line or
    # on the next, more indented; an option with no help has neither
    entries = re.findall(r"^  (-[^\n]*)\n((?:  {3,}[^\n]*\n)*)", options + "\n", re.M)
    assert len(entries) >= 3
    for head, rest in entries:
        flags, _, help_text = head.partition("  ")
        assert help_text.strip() or rest.strip(), f"{command} {flags}: no help"


def test_an_empty_param_is_a_usage_error_saying_what_a_param_looks_like() -> None:
    for empty in ("", "  "):
        done = deltagrad("explain", "--param", empty)
        assert done.returncode == 2 and done.stdout == ""
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "w:2:1:0" in lines[0] and "--param" in lines[0], lines


def test_playground_refuses_a_folder_as_out_before_training(tmp_path: Path) -> None:
    # a million steps would take hours: the answer must come before any training
    done = deltagrad("playground", "--steps", "1000000", "--out", str(tmp_path), timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "is a folder" in lines[0] and str(tmp_path) in lines[0], lines
    assert list(tmp_path.iterdir()) == []


DEMO_FILES = ["boundary.svg", "graph.svg", "loss.svg", "playground.html", "stepper.html"]


def test_a_closed_pipe_stops_the_printing_not_the_demo(tmp_path: Path) -> None:
    piped, alone = tmp_path / "piped", tmp_path / "alone"
    demo = f"{sys.executable} -m viz demo --steps 20 --out"
    done = subprocess.run(
        ["bash", "-c", f"{demo} {piped} | head -1; echo status ${{PIPESTATUS[0]}}"],
        cwd=REPO,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    first, status = done.stdout.splitlines()
    assert first.startswith("MLP(") and status == "status 0", done.stdout
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
    assert deltagrad("demo", "--steps", "20", "--out", str(alone)).returncode == 0
    assert sorted(p.name for p in piped.iterdir()) == DEMO_FILES
    for name in DEMO_FILES:  # every file whole: the same bytes as a run with a reader
        assert (piped / name).read_bytes() == (alone / name).read_bytes(), name


def test_ctrl_c_while_the_demo_writes_leaves_the_folder_as_it_was(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import viz.playground

    for name in [*DEMO_FILES, "notes.txt"]:  # a previous run's files, and one of the reader's
        (tmp_path / name).write_text("before", encoding="utf-8")

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # Ctrl-C while the last file, the playground, is written

    monkeypatch.setattr(viz.playground, "write_playground", interrupted)
    assert main(["demo", "--steps", "5", "--out", str(tmp_path)]) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "interrupted" in err[0], err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*DEMO_FILES, "notes.txt"])
    for path in tmp_path.iterdir():  # not this run's graph beside the last run's playground
        assert path.read_text(encoding="utf-8") == "before", path.name

    monkeypatch.undo()  # and a run that finishes replaces them all, keeping the reader's file
    assert main(["demo", "--steps", "5", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*DEMO_FILES, "notes.txt"])
    for name in DEMO_FILES:
        assert (tmp_path / name).read_text(encoding="utf-8") != "before", name
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "before"


def test_one_recorded_step_is_counted_in_the_singular(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    page = tmp_path / "p.html"
    assert main(["playground", "--steps", "1", "--out", str(page)]) == 0
    out = capsys.readouterr().out
    assert " in 1 step\n" in out, out
    assert out.rstrip().endswith(", 1 recorded step)"), out  # one step: step 0 is the last
