"""`deltagrad grade`: the exercises' solutions pass, the shipped templates fail helpfully, and
every exit code (0 right, 1 wrong, 2 usage error) comes with one readable message."""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from viz.cli import main

REPO = Path(__file__).parent.parent
TEMPLATES = sorted((REPO / "docs" / "exercises").glob("*.py"))
SOLUTIONS = REPO / "tests" / "exercise_solutions"


def grade(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["grade", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_there_is_a_plain_and_a_numpy_template_for_each_pairing() -> None:
    names = {p.stem for p in TEMPLATES}
    for pairing in (
        "sigmoid_quadratic",
        "tanh_squared_error",
        "sigmoid_cross_entropy",
        "softmax_cross_entropy",
    ):
        assert {pairing, f"{pairing}_numpy"} <= names
    assert {p.stem for p in SOLUTIONS.glob("*.py")} == names


@pytest.mark.parametrize("template", TEMPLATES, ids=[p.stem for p in TEMPLATES])
def test_the_reference_solution_passes(template: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if template.stem.endswith("_numpy"):
        pytest.importorskip("numpy")
    code, out, err = grade(capsys, str(SOLUTIONS / template.name))
    assert code == 0, out + err
    assert out.startswith("backprop OK") and err == ""


@pytest.mark.parametrize("template", TEMPLATES, ids=[p.stem for p in TEMPLATES])
def test_the_shipped_template_fails_with_a_helpful_report(
    template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if template.stem.endswith("_numpy"):
        pytest.importorskip("numpy")
    code, out, _ = grade(capsys, str(template))
    assert code == 1
    assert "First wrong number: δ^" in out and "BP1" in out
    assert "fill in the line for BP1" in out
    text = template.read_text(encoding="utf-8")
    assert text.count("# TODO BP") == 4
    assert f"deltagrad grade docs/exercises/{template.name}" in text


@pytest.mark.parametrize("template", TEMPLATES, ids=[p.stem for p in TEMPLATES])
def test_the_solution_only_fills_in_the_todo_lines(template: Path) -> None:
    # the template stays an exercise: the solution is the template with the line after each
    # TODO comment replaced, nothing else changed
    ours = template.read_text(encoding="utf-8").splitlines()
    theirs = (SOLUTIONS / template.name).read_text(encoding="utf-8").splitlines()
    changes = difflib.SequenceMatcher(None, ours, theirs, autojunk=False).get_opcodes()
    replaced = [(i1, i2) for tag, i1, i2, _, _ in changes if tag != "equal"]
    assert len(replaced) == 4
    for i1, i2 in replaced:
        assert i2 == i1 + 1 and "# TODO BP" in ours[i1 - 1]


def test_options_override_the_file_and_a_wrong_setting_fails(
    capsys: pytest.CaptureFixture[str],
) -> None:
    solution = str(SOLUTIONS / "sigmoid_quadratic.py")
    code, out, _ = grade(capsys, solution, "--net", "3,2,4,2", "--trials", "3", "--seed", "5")
    assert code == 0 and "network 3-2-4-2" in out and "3 random trial(s)" in out
    # the sigmoid + quadratic solution graded as sigmoid + cross-entropy: δ^L carries an extra σ'
    code, out, _ = grade(capsys, solution, "--cost", "binary_cross_entropy")
    assert code == 1
    assert "σ'(z) applied where the output/cost pair cancels it" in out


def test_a_batch_solution_graded_one_example_at_a_time_reports_the_shapes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("numpy")
    code, out, _ = grade(capsys, str(SOLUTIONS / "sigmoid_quadratic_numpy.py"), "--batch", "3")
    assert code == 0 and "batches of 3" in out


def test_an_import_error_in_the_learners_file_means_it_could_not_be_graded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("def backprop(weights, biases, x, y)\n    return 1\n", encoding="utf-8")
    code, out, err = grade(capsys, str(broken))
    assert code == 2
    assert out.startswith(f"backprop could not be graded: {broken}: ")
    assert "could not be imported: SyntaxError" in out and "(line 1" in out
    assert out.count("line 1") == 1, out  # the line is said once, with its code
    assert "`def backprop(weights, biases, x, y)`" in out
    assert "Traceback" not in out + err


@pytest.mark.parametrize(
    ("source", "said"),
    [
        ("import sys\nsys.exit('bye')\n", "could not be imported: it called sys.exit('bye')"),
        ("raise SystemExit(4)\n", "could not be imported: it called sys.exit(4)"),
        (
            "import sys\n\n\ndef backprop(weights, biases, x, y):\n    sys.exit(3)\n",
            "the function called sys.exit(3)",
        ),
        ("def backprop(weights, biases, x, y):\n    raise SystemExit\n", "sys.exit(None)"),
    ],
)
def test_a_learner_calling_sys_exit_is_not_the_graders_exit(
    source: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # at import: the file could not be graded (2); in the function: a wrong answer (1)
    learner = tmp_path / "leaves.py"
    learner.write_text(source, encoding="utf-8")
    code, out, err = grade(capsys, str(learner), "--trials", "2")
    at_import = "could not be imported" in said
    assert code == (2 if at_import else 1), out + err
    start = "backprop could not be graded" if at_import else "backprop WRONG"
    assert out.startswith(start) and said in out, out
    assert "Traceback" not in out + err


def test_an_import_error_names_the_line_also_for_a_relative_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mine.py").write_text("x = 1\nraise ValueError('no')\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, _ = grade(capsys, "mine.py")
    assert code == 2 and "ValueError: no (line 2: `raise ValueError('no')`)" in out, out


def test_a_learner_raising_keyboardinterrupt_is_a_wrong_answer_not_a_ctrl_c(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the learner's code runs in a child process: what it raises is its answer; a real Ctrl-C
    # on the grader still stops it (tests/test_grade_isolation.py)
    learner = tmp_path / "stopped.py"
    learner.write_text(
        "def backprop(weights, biases, x, y):\n    raise KeyboardInterrupt\n", encoding="utf-8"
    )
    code, out, _ = grade(capsys, str(learner), "--trials", "2")
    assert code == 1 and out.startswith("backprop WRONG")
    assert "the function raised KeyboardInterrupt at stopped.py, line 2" in out


def test_a_folder_is_a_class_and_an_empty_one_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = grade(capsys, str(tmp_path))
    assert code == 2 and out == ""
    assert f"{str(tmp_path)!r} holds no .py file to grade" in err and "no such file" not in err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["missing.py"], "no such file: 'missing.py'"),
        ([str(SOLUTIONS / "sigmoid_quadratic.py"), "--function", "nope"], "defines no function"),
        ([str(SOLUTIONS / "sigmoid_quadratic.py"), "--activation", "cube"], "unknown activation"),
        ([str(SOLUTIONS / "sigmoid_quadratic.py"), "--cost", "l2"], "unknown cost 'l2'"),
        ([str(SOLUTIONS / "sigmoid_quadratic.py"), "--net", "2"], "at least two positive"),
        ([str(SOLUTIONS / "sigmoid_quadratic.py"), "--trials", "0"], "positive integer"),
        (
            [str(SOLUTIONS / "sigmoid_quadratic.py"), "--cost", "cross_entropy"],
            "does not fit a sigmoid output",
        ),
        ([], "the following arguments are required: file"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = grade(capsys, *argv)
    assert code == 2
    assert needle in err and err.startswith("deltagrad: error:")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and out == ""


def test_the_installed_command_grades_and_sets_the_exit_code(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for path, want in (
        (SOLUTIONS / "sigmoid_quadratic.py", 0),
        (REPO / "docs" / "exercises" / "sigmoid_quadratic.py", 1),
        (tmp_path / "absent.py", 2),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "viz", "grade", str(path), "--trials", "2"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
        )
        assert done.returncode == want, done.stdout + done.stderr
        assert "Traceback" not in done.stderr


def test_grade_takes_a_notation(capsys: pytest.CaptureFixture[str]) -> None:
    template = str(REPO / "docs" / "exercises" / "sigmoid_quadratic.py")
    code, out, _ = grade(capsys, template, "--notation", "ng", "--trials", "2")
    assert code == 1 and "First wrong number: dz^[2]_1 = deltas[1][0]" in out
    code, _, err = grade(capsys, template, "--notation", "klingon")
    assert code == 2 and "argument --notation: invalid choice: 'klingon'" in err


def test_a_learners_file_may_use_dataclasses_and_import_its_neighbours(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    solution = (SOLUTIONS / "sigmoid_quadratic.py").read_text(encoding="utf-8")
    (tmp_path / "helpers.py").write_text(solution, encoding="utf-8")
    (tmp_path / "mine.py").write_text(
        "from dataclasses import dataclass\n\nimport helpers\n\n\n@dataclass\nclass Net:\n"
        "    n: int\n\n\ndef my_backprop(weights, biases, x, y):\n"
        "    return helpers.backprop(weights, biases, x, y)\n",
        encoding="utf-8",
    )
    code, out, err = grade(capsys, str(tmp_path / "mine.py"), "--function", "my_backprop")
    assert code == 0, out + err


ZEROS = (
    "def backprop(weights, biases, x, y):\n"
    "    deltas = [[0.0] * len(b) for b in biases]\n"
    "    grad_w = [[[0.0] * len(row) for row in w] for w in weights]\n"
    "    return deltas, grad_w, [list(d) for d in deltas]\n"
)


@pytest.mark.parametrize("activation", ["leaky_relu", "softplus", "elu", "gelu"])
def test_every_activation_can_be_graded_from_the_command_line(
    activation: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = tmp_path / "zeros.py"
    wrong.write_text(ZEROS, encoding="utf-8")
    for option in ("--activation", "--output-activation"):
        code, out, err = grade(capsys, str(wrong), option, activation, "--trials", "2")
        assert code == 1, out + err
        assert out.startswith("backprop WRONG") and "BP1: δ^3_0" in out and err == ""
        assert f"{activation} {'hidden' if option == '--activation' else 'output'}" in out
