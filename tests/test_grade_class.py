"""`deltagrad grade FOLDER`: a class at once. One line per submission, a summary whose counts
are the lines' verdicts, --jobs, and the --json and --gradescope files in their documented
shapes (checked by hand here, no schema library)."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from viz.cli import main

REPO = Path(__file__).parent.parent
SOLUTIONS = REPO / "tests" / "exercise_solutions"

# one changed line each, and the mistake it is (the registry's key); the exercises' solutions are
# right, so each mutant's only mistake is the change
MUTANTS: dict[str, tuple[str, str, str, str]] = {
    "missing_sigma_prime": (
        "sigmoid_quadratic.py",
        "(a[j] - y[j]) * sigmoid_prime(z[j])",
        "(a[j] - y[j])",
        "missing_sigma_prime",
    ),
    "factor_two": (
        "tanh_squared_error.py",
        "2 * (a[j] - y[j]) * tanh_prime(z[j])",
        "(a[j] - y[j]) * tanh_prime(z[j])",
        "factor_two",
    ),
    "sign_flip": (
        "sigmoid_cross_entropy.py",
        "deltas[-1] = [a[j] - y[j]",
        "deltas[-1] = [y[j] - a[j]",
        "sign_flip",
    ),
    "missing_batch_mean": (
        "sigmoid_quadratic_numpy.py",
        "grad_w = [d.T @ a / m",
        "grad_w = [d.T @ a",
        "missing_batch_mean",
    ),
    "extra_sigma_prime": (
        "sigmoid_cross_entropy.py",
        "deltas[-1] = [a[j] - y[j]",
        "deltas[-1] = [(a[j] - y[j]) * sigmoid_prime(z[j])",
        "extra_sigma_prime",
    ),
}

# source, and the cause the summary gives
UNGRADEABLE: dict[str, tuple[str, str]] = {
    "syntax": ("def backprop(weights, biases, x, y)\n    return 1\n", "import"),
    "no_function": ("def back_prop(weights, biases, x, y):\n    return 1\n", "function"),
    "exits": ("import os\nos._exit(3)\n", "exit"),
    "loops": ("while True:\n    pass\n", "time"),
    "raises": ("raise RuntimeError('not today')\n", "import"),
}


def make_class(folder: Path) -> dict[str, tuple[str, str | None]]:
    """40 submissions in folder; returns file name -> (verdict, mistake key or cause)."""
    pytest.importorskip("numpy")
    folder.mkdir()
    expected: dict[str, tuple[str, str | None]] = {}
    solutions = sorted(SOLUTIONS.glob("*.py"))
    for copy in range(2):  # 16 right
        for path in solutions:
            name = f"ok_{copy}_{path.name}"
            (folder / name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
            expected[name] = ("ok", None)
    for copy in range(3):  # 15 wrong
        for label, (base, old, new, key) in MUTANTS.items():
            text = (SOLUTIONS / base).read_text(encoding="utf-8")
            assert text.count(old) == 1
            name = f"wrong_{copy}_{label}.py"
            (folder / name).write_text(text.replace(old, new), encoding="utf-8")
            expected[name] = ("wrong", key)
    counts = {"syntax": 2, "no_function": 2, "exits": 2, "loops": 1, "raises": 2}  # 9
    for label, n in counts.items():
        source, cause = UNGRADEABLE[label]
        for copy in range(n):
            name = f"ungradeable_{copy}_{label}.py"
            (folder / name).write_text(source, encoding="utf-8")
            expected[name] = ("ungradeable", cause)
    assert len(expected) == 40
    return expected


LINE = re.compile(
    r"^(?P<file>\S+\.py): (?:(?P<ok>OK)|WRONG: .* \[(?P<key>\w+)\]; first wrong number .+"
    r"|could not be graded: (?P<reason>.+))$"
)


def check_records(data: Any) -> None:
    """The shape --json writes, as docs/check-your-backprop.md documents it."""
    assert isinstance(data, dict) and set(data) == {"format", "summary", "submissions"}
    assert data["format"] == "deltagrad-grade/1"
    s = data["summary"]
    assert set(s) == {"submissions", "ok", "wrong", "ungradeable", "mistakes", "causes"}
    assert all(isinstance(s[k], int) for k in ("submissions", "ok", "wrong", "ungradeable"))
    for table in (s["mistakes"], s["causes"]):
        assert isinstance(table, dict)
        assert all(isinstance(k, str) and isinstance(v, int) and v > 0 for k, v in table.items())
    assert isinstance(data["submissions"], list) and len(data["submissions"]) == s["submissions"]
    keys = {"file", "verdict", "mistake", "title", "detail", "message", "first_wrong", "cause"}
    keys.add("printed")
    for r in data["submissions"]:
        assert isinstance(r, dict) and set(r) == keys, r
        assert isinstance(r["file"], str) and r["verdict"] in ("ok", "wrong", "ungradeable")
        assert set(r["printed"]) == {"stdout_bytes", "stderr_bytes"}
        if r["verdict"] == "ok":
            assert r["mistake"] is r["title"] is r["message"] is r["first_wrong"] is r["cause"]
            assert r["detail"] is None
        elif r["verdict"] == "wrong":
            assert isinstance(r["mistake"], str) and isinstance(r["title"], str)
            assert isinstance(r["message"], str) and r["cause"] is None
            # a mistake found by the formula search has its gist; a catalogue one has none
            assert (r["detail"] is not None) == (r["mistake"] == "learner_formula"), r
            fw = r["first_wrong"]
            if fw is not None:
                assert set(fw) == {"symbol", "where", "trial", "example", "expected", "received"}
                assert isinstance(fw["symbol"], str) and isinstance(fw["where"], str)
                for number in (fw["expected"], fw["received"]):
                    assert isinstance(number, float) or number in ("nan", "inf", "-inf")
        else:
            assert r["mistake"] is None and r["first_wrong"] is None
            assert isinstance(r["message"], str) and isinstance(r["cause"], str)


def check_gradescope(data: Any) -> None:
    """Gradescope's results.json: a score, and tests with name, score, max_score, output."""
    assert isinstance(data, dict) and set(data) == {"score", "output", "tests"}
    assert isinstance(data["score"], float) and isinstance(data["output"], str)
    assert isinstance(data["tests"], list) and data["tests"]
    for t in data["tests"]:
        assert set(t) == {"name", "score", "max_score", "status", "output"}
        assert isinstance(t["name"], str) and isinstance(t["output"], str) and t["output"]
        assert t["max_score"] == 1.0 and t["score"] in (0.0, 1.0)
        assert t["status"] == ("passed" if t["score"] == 1.0 else "failed")
    assert math.isclose(data["score"], sum(t["score"] for t in data["tests"]))


@pytest.mark.slow
def test_a_class_of_40_is_graded_in_parallel_and_summarised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "class"
    expected = make_class(folder)
    records, results = tmp_path / "records.json", tmp_path / "results.json"
    argv = ["grade", str(folder), "--jobs", "2", "--trials", "3", "--timeout", "6"]
    code = main([*argv, "--json", str(records), "--gradescope", str(results)])
    out, err = capsys.readouterr()
    assert code == 1 and err == "" and "Traceback" not in out
    lines, _, summary = out.partition("\n\n")
    # one line per submission, in the order of their names
    got: dict[str, tuple[str, str | None]] = {}
    for line in lines.splitlines():
        match = LINE.match(line)
        assert match, line
        name = Path(match["file"]).name
        if match["ok"]:
            got[name] = ("ok", None)
        elif match["key"]:
            got[name] = ("wrong", match["key"])
        else:
            got[name] = ("ungradeable", None)
    assert list(got) == sorted(expected)
    assert {n: v for n, (v, _) in got.items()} == {n: v for n, (v, _) in expected.items()}
    wrong = {n: k for n, (v, k) in expected.items() if v == "wrong"}
    assert {n: got[n][1] for n in wrong} == wrong
    # the summary's counts are the lines' verdicts
    verdicts = Counter(v for v, _ in got.values())
    assert summary.startswith(
        f"40 submission(s): {verdicts['ok']} OK, {verdicts['wrong']} WRONG, "
        f"{verdicts['ungradeable']} could not be graded."
    )
    assert (verdicts["ok"], verdicts["wrong"], verdicts["ungradeable"]) == (16, 15, 9)
    for key, n in Counter(wrong.values()).items():
        assert re.search(rf"^ +{n}  .* \[{key}\]$", summary, re.M), (key, summary)
    causes = Counter(c for v, c in expected.values() if v == "ungradeable")
    for cause, n in causes.items():
        assert re.search(rf"^ +{n}  .* \[{cause}\]$", summary, re.M), (cause, summary)
    # the JSON records: their shape, and the same verdicts
    data = json.loads(records.read_text(encoding="utf-8"))
    check_records(data)
    by_file = {Path(r["file"]).name: r for r in data["submissions"]}
    assert {n: (r["verdict"], r["mistake"] or r["cause"]) for n, r in by_file.items()} == expected
    assert data["summary"]["mistakes"] == dict(Counter(wrong.values()))
    assert data["summary"]["causes"] == dict(causes)
    first = by_file["wrong_0_missing_sigma_prime.py"]["first_wrong"]
    assert first["symbol"] == "δ^3_0" and first["where"] == "deltas[1][0]"
    assert first["expected"] != first["received"]
    # Gradescope's file: one test per submission, the right ones scored 1
    gs = json.loads(results.read_text(encoding="utf-8"))
    check_gradescope(gs)
    assert gs["score"] == 16.0 and len(gs["tests"]) == 40
    assert gs["output"] == summary.rstrip("\n")


def test_a_class_all_right_exits_0_and_one_file_gets_one_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [str(SOLUTIONS / "sigmoid_quadratic.py"), str(SOLUTIONS / "tanh_squared_error.py")]
    code = main(["grade", *files, "--trials", "2"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert out.splitlines()[:2] == [f"{files[0]}: OK", f"{files[1]}: OK"]
    assert "2 submission(s): 2 OK, 0 WRONG, 0 could not be graded." in out
    records, results = tmp_path / "r.json", tmp_path / "results.json"
    template = str(REPO / "docs" / "exercises" / "sigmoid_quadratic.py")
    code = main(["grade", template, "--json", str(records), "--gradescope", str(results)])
    out, _ = capsys.readouterr()
    assert code == 1 and out.startswith("backprop WRONG")  # one file: its full report
    data = json.loads(records.read_text(encoding="utf-8"))
    check_records(data)
    (record,) = data["submissions"]
    assert record["verdict"] == "wrong" and record["mistake"] == "not_filled_in"
    gs = json.loads(results.read_text(encoding="utf-8"))
    check_gradescope(gs)
    assert gs["score"] == 0.0 and gs["tests"][0]["output"].startswith("backprop WRONG")


def test_the_reduction_option_reaches_the_check(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("numpy")
    mean = str(SOLUTIONS / "sigmoid_quadratic_numpy.py")  # divides by m: right for the mean
    assert main(["grade", mean, "--trials", "2"]) == 0
    code = main(["grade", mean, "--trials", "2", "--reduction", "sum"])
    out, _ = capsys.readouterr()
    assert code == 1 and "(batch cost the sum" in out and "an extra 1/m" in out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--jobs", "0"], "argument --jobs: expected a positive integer"),
        (["--timeout", "-1"], "argument --timeout: expected a number of seconds above 0"),
        (["--timeout", "1e9"], "above 0 and below 1,000,000, got '1e9'"),
        (["--memory", "lots"], "argument --memory: expected a size such as 1G"),
        (["--memory", "1M"], "argument --memory: expected at least 64M"),
        (["--reduction", "max"], "argument --reduction: invalid choice: 'max'"),
        (["missing.py"], "no such file: 'missing.py'"),
        # the record files' folder is checked before anything is graded
        (["--json", "/no/such/folder/g.json"], "cannot write '/no/such/folder/g.json'"),
        (["--gradescope", "/no/such/folder/r.json"], "'/no/such/folder' is not a writable folder"),
    ],
)
def test_class_options_are_checked_as_usage_errors(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["grade", str(SOLUTIONS / "sigmoid_quadratic.py"), *argv])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and needle in err, err


def test_the_pages_class_example_is_what_the_command_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    page = (REPO / "docs" / "check-your-backprop.md").read_text(encoding="utf-8")
    shown = re.search(r"<!-- class-example:[^\n]*-->\n```\n(.*?)```", page, re.S)
    assert shown is not None
    folder = tmp_path / "submissions"
    folder.mkdir()
    solution = (SOLUTIONS / "sigmoid_quadratic.py").read_text(encoding="utf-8")
    template = (REPO / "docs" / "exercises" / "sigmoid_quadratic.py").read_text(encoding="utf-8")
    _, old, new, _ = MUTANTS["missing_sigma_prime"]
    for name, text in (
        ("alice", solution),
        ("bob", template),
        ("carol", solution.replace(old, new)),
        ("dan", solution.replace(old, new)),
        ("erin", UNGRADEABLE["syntax"][0]),
        # two mistakes outside the catalogue, found by the formula search: told apart
        ("frank", solution.replace("sigmoid_prime(z[j])", "sigmoid_prime(a[j] - y[j])")),
        (
            "grace",
            solution.replace("* sigmoid_prime(z[k])", "* sigmoid_prime(activations[i + 1][k])"),
        ),
        (
            "heidi",
            solution.replace("* sigmoid_prime(z[k])", "* sigmoid_prime(activations[i + 1][k])"),
        ),
    ):
        (folder / f"{name}.py").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    argv = ["grade", "submissions", "--jobs", "2", "--json", "grades.json"]
    code = main([*argv, "--gradescope", "results.json"])
    out, _ = capsys.readouterr()
    assert code == 1 and out == shown[1]
    carol = json.loads((tmp_path / "grades.json").read_text(encoding="utf-8"))["submissions"][2]
    first = carol["first_wrong"]
    assert f'"expected": {first["expected"]!r},' in page
    assert f'"received": {first["received"]!r}}}' in page


def test_a_file_given_twice_is_graded_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    solution = folder / "a.py"
    solution.write_text((SOLUTIONS / "sigmoid_quadratic.py").read_text(encoding="utf-8"))
    code = main(["grade", str(folder), str(solution), str(solution), "--trials", "2"])
    out, _ = capsys.readouterr()
    assert code == 0 and out.count(": OK") == 1 and "1 submission(s): 1 OK" in out, out
