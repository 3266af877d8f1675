"""docs/debugging.md: its example, run under `python -m pdb` with the transcript's commands,
prints the numbers and stops at the lines the transcript shows."""

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "debugging.md"

# floats as Python prints them (ints such as step indices and line numbers are left out)
FLOAT = re.compile(r"(?<![\w.])-?(?:\d+\.\d+(?:e[+-]?\d+)?|\d+e[+-]?\d+|inf|nan)(?![\w.])")


def fenced_block_after(marker: str, text: str) -> str:
    """The body of the first fenced code block after the HTML comment marker."""
    m = re.search(re.escape(marker) + r"\s*\n```[a-z]*\n(.*?)\n```", text, re.S)
    assert m, f"no fenced block after {marker!r} in {DOC.name}"
    return m.group(1)


def documented() -> tuple[str, list[str], list[str]]:
    """The example's source, the pdb commands, and the output after each prompt."""
    text = DOC.read_text(encoding="utf-8")
    source = fenced_block_after("<!-- debugging-example: example.py -->", text)
    transcript = fenced_block_after("<!-- debugging-transcript -->", text).splitlines()
    assert transcript[0] == "$ python -m pdb example.py"
    commands: list[str] = []
    chunks: list[list[str]] = [[]]
    for line in transcript[1:]:
        if line.startswith("(Pdb) "):
            commands.append(line[len("(Pdb) ") :])
            chunks.append([])
        else:
            chunks[-1].append(line)
    return source + "\n", commands, ["\n".join(c) for c in chunks]


def run_pdb(source: str, commands: list[str], folder: Path) -> list[str]:
    """Run the example under pdb with the commands; the output after each prompt."""
    (folder / "example.py").write_text(source, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONBREAKPOINT"}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run(
        [sys.executable, "-m", "pdb", "example.py"],
        input="\n".join(commands) + "\n",
        capture_output=True,
        text=True,
        cwd=folder,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # pdb prints the path of the script; the doc shortens it to example.py
    out = done.stdout.replace(str(folder.resolve()) + os.sep, "").replace(str(folder) + os.sep, "")
    # without a terminal pdb does not echo the commands: each prompt is followed by the output
    return [chunk.rstrip("\n") for chunk in out.split("(Pdb) ")]


def floats(text: str) -> list[float]:
    return [float(x) for x in FLOAT.findall(text)]


def where_lines(text: str) -> list[str]:
    """The lines where pdb says where it stopped: '> file(line)function()' and '-> source'."""
    return [line for line in text.splitlines() if line.startswith(("> ", "-> "))]


def stop_after_breakpoint(lines: list[str], source: str) -> list[str]:
    """Where lines as Python 3.11 and 3.12 print them, from those of Python 3.13 and later.

    Since 3.13, breakpoint() opens pdb on its own line rather than on the next line to run;
    the doc's transcript shows the next line, as the doc's example says.
    """
    if sys.version_info < (3, 13):
        return lines
    code = source.splitlines()
    out = list(lines)
    for i in range(0, len(out) - 1, 2):
        m = re.fullmatch(r"> example\.py\((\d+)\)(.*)", out[i])
        if m and out[i + 1].startswith("-> breakpoint()"):
            n = int(m.group(1))
            out[i] = f"> example.py({n + 1}){m.group(2)}"
            out[i + 1] = "-> " + code[n].strip()
    return out


def test_the_transcript_is_what_pdb_prints(tmp_path: Path) -> None:
    source, commands, expected = documented()
    assert len(commands) >= 10 and commands[-1] == "q"
    actual = run_pdb(source, commands, tmp_path)
    assert len(actual) == len(expected), (len(actual), len(expected), actual)
    for i, (want, got) in enumerate(zip(expected, actual, strict=True)):
        where = f"after command {i} ({commands[i - 1] if i else 'start'})"
        assert stop_after_breakpoint(where_lines(got), source) == where_lines(want), where
        want_numbers, got_numbers = floats(want), floats(got)
        assert len(got_numbers) == len(want_numbers), (where, got, want)
        for w, g in zip(want_numbers, got_numbers, strict=True):
            assert math.isclose(w, g, rel_tol=1e-12, abs_tol=1e-300) or (w == g), (where, w, g)


def test_the_transcript_shows_the_gradients_the_engine_computes() -> None:
    # the same numbers, computed here without pdb: the hook's δ and BP4 for w^2_{0,0}
    _, commands, expected = documented()
    delta = float(expected[commands.index("p grad") + 1])
    a = math.tanh(0.8 * 0.5 + (-0.3) * (-1.0) + 0.1)
    assert delta == pytest.approx(2.0 * (a - 0.25) * (1.0 - a * a), rel=1e-12)
    w_grad = float(expected[commands.index("p w[0].grad", commands.index("c", 2)) + 1])
    assert w_grad == pytest.approx(0.5 * delta, rel=1e-12)


# Post-mortem: the doc's command for each pass, run in the frame pdb stops in.
FORWARD_COMMAND = "p op.name, [x.data for x in parents], data"
BACKWARD_COMMAND = "p node.op, node.data, g, local"
FORWARD_ANOMALY = "with detect_anomaly():\n    Value(709.0).exp() * 10.0\n"
# (x * 1e-300) * 1e300 is finite, but the constant 1e-300 receives 1e300 * x = 1e600 = inf
LOCAL_COMMAND = "p node.op, [q.data for q in parents], g"
LOCAL_ERROR = "x = Value(0.0)\n(x.sqrt() * 3.0).backward()\n"  # √x has no slope at 0
BACKWARD_ANOMALY = (
    "with detect_anomaly():\n    x = Value(1e300)\n    ((x * 1e-300) * 1e300).backward()\n"
)


@pytest.mark.parametrize(
    ("program", "command", "expected"),
    [
        (FORWARD_ANOMALY, FORWARD_COMMAND, ("*", [math.exp(709.0), 10.0], math.inf)),
        (BACKWARD_ANOMALY, BACKWARD_COMMAND, ("*", 1.0, 1e300, (1e-300, 1e300))),
        (LOCAL_ERROR, LOCAL_COMMAND, ("sqrt", [0.0], 3.0)),
    ],
)
def test_the_post_mortem_commands_of_the_doc_work(
    tmp_path: Path, program: str, command: str, expected: object
) -> None:
    assert f"`{command}`" in DOC.read_text(encoding="utf-8")
    source = "from autograd import Value, detect_anomaly\n\n" + program
    # c: run to the uncaught AnomalyError (pdb enters post-mortem), then the doc's command
    chunks = run_pdb(source, ["c", command, "q"], tmp_path)
    printed = next(chunk for chunk in chunks if chunk.startswith("("))
    assert "Error" not in printed, printed
    assert printed == repr(expected), printed
