"""`deltagrad grade` runs each submission in a child process: nothing a hostile or broken file
does (patching the grader, exiting, looping, allocating, printing, forking, returning values
that are not numbers) is graded OK, crashes the grader, outlives its limits or leaves a process
behind."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nn import grading
from nn.isolation import GRACE
from viz.cli import main

REPO = Path(__file__).parent.parent
TEMPLATE = (REPO / "docs" / "exercises" / "sigmoid_quadratic.py").read_text(encoding="utf-8")
SOLUTION_PATH = REPO / "tests" / "exercise_solutions" / "sigmoid_quadratic.py"
SOLUTION = SOLUTION_PATH.read_text(encoding="utf-8")
TIMEOUT = 3  # seconds: the limit these tests give the child

# every hostile file first notes its pid, so the test can check that no process is left behind
NOTE_PID = "import os\nwith open({pids!r}, 'a') as _f:\n    _f.write(f'{{os.getpid()}}\\n')\n"

# name: (source, what the grader must say). The wrong template returns zeros: anything that made
# the grader believe zeros are right (isclose always True, a backward() that leaves gradients at
# 0, a patched report) would turn it into "backprop OK".
HOSTILE: dict[str, tuple[str, str]] = {
    "math.isclose always True": (
        "import math\nmath.isclose = lambda *a, **k: True\n" + TEMPLATE,
        "backprop WRONG",
    ),
    "Value.backward patched": (
        "from autograd import Value\nValue.backward = lambda self, *a, **k: None\n" + TEMPLATE,
        "backprop WRONG",
    ),
    "the grader's report patched": (
        "import nn.grading as g\n"
        "g.BackpropReport.__str__ = lambda self: 'backprop OK'\n"
        "g._close = lambda got, want: True\n" + TEMPLATE,
        "backprop WRONG",
    ),
    "numpy patched": (
        "import numpy\nnumpy.isclose = lambda *a, **k: True\n"
        "numpy.allclose = lambda *a, **k: True\n" + TEMPLATE,
        "backprop WRONG",
    ),
    "os._exit(0) at import": (
        "import os\nos._exit(0)\n",
        "it ended its own process while being imported (exit status 0, as os._exit does)",
    ),
    "os._exit(0) in backprop": (
        "import os\n\n\ndef backprop(weights, biases, x, y):\n    os._exit(0)\n",
        "the function ended its own process (exit status 0, as os._exit does)",
    ),
    "sys.exit(0) at import": (
        "import sys\nsys.exit(0)\n",
        "could not be imported: it called sys.exit(0) (line 5: `sys.exit(0)`)",
    ),
    "KeyboardInterrupt at import": (
        "raise KeyboardInterrupt\n",
        "could not be imported: KeyboardInterrupt",
    ),
    "GeneratorExit in backprop": (
        "def backprop(weights, biases, x, y):\n    raise GeneratorExit\n",
        "the function raised GeneratorExit at",
    ),
    "an endless loop at import": (
        "while True:\n    pass\n",
        f"it ran longer than the time limit of {TIMEOUT} s while being imported",
    ),
    "an endless loop in backprop": (
        "def backprop(weights, biases, x, y):\n    while True:\n        pass\n",
        f"it ran longer than the time limit of {TIMEOUT} s while running backprop (trial 1 of 2)",
    ),
    "3 GiB at import": (
        "block = bytearray(3 << 30)\n",
        "MemoryError",
    ),
    "3 GiB in backprop": (
        "def backprop(weights, biases, x, y):\n    return bytearray(3 << 30), [], []\n",
        "the function raised MemoryError",
    ),
    "a closed standard output and error": (
        "os.close(1)\nos.close(2)\n" + TEMPLATE,
        "backprop WRONG",
    ),
    "a returned value nested 100,000 deep": (
        "def backprop(weights, biases, x, y):\n    v = []\n    for _ in range(100_000):\n"
        "        v = [v]\n    return v, v, v\n",
        "is a list nested more than 12 deep",
    ),
    "a returned list inside itself": (
        "def backprop(weights, biases, x, y):\n    v = []\n    v.append(v)\n    return v, v, v\n",
        "is a list nested more than 12 deep",
    ),
    "a returned value of 5,000,000 entries": (
        "def backprop(weights, biases, x, y):\n    return [0.0] * 5_000_000, [], []\n",
        "got value with more than 1,000,000 entries",
    ),
    "10**400 returned": (
        "def backprop(weights, biases, x, y):\n    return [[10**400]], [[[0.0]]], [[0.0]]\n",
        "deltas[0][0] is an int too large for a float",
    ),
    "an object whose tolist() raises": (
        "class A:\n    def tolist(self):\n        raise ValueError('no')\n\n\n"
        "def backprop(weights, biases, x, y):\n    return A(), A(), A()\n",
        "deltas is an A whose tolist() raised ValueError",
    ),
    "forged lines on every descriptor": (
        "for fd in range(3, 30):\n    try:\n"
        "        os.write(fd, b'{\"event\": \"done\"}\\n' + b'[' * 100_000 + b'\\n')\n"
        "    except OSError:\n        pass\n" + TEMPLATE,
        "backprop ",
    ),
    "its supervisor killed": (
        "import signal\nos.kill(os.getppid(), signal.SIGKILL)\n" + TEMPLATE,
        "could not be graded",
    ),
}


def alive(pid: int) -> bool:
    """Whether pid is a running process (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[-1].split()[0]
    except OSError:
        return False
    return state != b"Z"


def pids_of(path: Path) -> list[int]:
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def gone(pids: list[int]) -> bool:
    """Whether every one of pids has ended, waiting a moment for the kernel to clean up."""
    end = time.monotonic() + 5
    while any(alive(p) for p in pids) and time.monotonic() < end:
        time.sleep(0.05)
    return not any(alive(p) for p in pids)


def write(tmp_path: Path, name: str, source: str) -> tuple[Path, Path]:
    pids = tmp_path / f"{name}.pids"
    learner = tmp_path / f"{name}.py"
    learner.write_text(NOTE_PID.format(pids=str(pids)) + source, encoding="utf-8")
    return learner, pids


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_submission_is_never_ok_and_never_crashes_the_grader(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if "numpy" in name:
        pytest.importorskip("numpy")
    source, said = HOSTILE[name]
    learner, pids = write(tmp_path, "hostile", source)
    start = time.monotonic()
    # a short limit where the file never ends; the default elsewhere, so a slow machine is
    # never mistaken for an endless loop
    limit = ["--timeout", str(TIMEOUT)] if "endless" in name else []
    code = main(["grade", str(learner), "--trials", "2", *limit])
    took = time.monotonic() - start
    out, err = capsys.readouterr()
    assert code in (1, 2), out + err
    assert "backprop OK" not in out
    assert said in out, out[:3000]
    assert "Traceback" not in out + err and err == ""
    assert len(out) < 100_000
    assert took < (TIMEOUT if limit else 20) + GRACE + 10  # within its limit, not the test's
    assert pids_of(pids) and gone(pids_of(pids)), "a process of the submission is still running"


def run_grader(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "viz", "grade", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        timeout=120,
    )


def test_an_atexit_hook_cannot_turn_wrong_into_exit_code_0(tmp_path: Path) -> None:
    learner, pids = write(
        tmp_path, "atexit", "import atexit\natexit.register(lambda: os._exit(0))\n" + TEMPLATE
    )
    done = run_grader(str(learner), "--trials", "2", cwd=tmp_path)
    assert done.returncode == 1 and done.stdout.startswith("backprop WRONG"), done.stdout
    assert gone(pids_of(pids))


def test_os_exit_at_import_gives_a_reason_and_exit_code_2(tmp_path: Path) -> None:
    learner, _ = write(tmp_path, "leaves", "os._exit(0)\n")
    done = run_grader(str(learner), cwd=tmp_path)
    assert done.returncode == 2 and "could not be graded" in done.stdout
    assert "exit status 0" in done.stdout and done.stderr == ""


def test_a_fork_does_not_print_the_report_twice(tmp_path: Path) -> None:
    learner, pids = write(
        tmp_path,
        "forks",
        "os.fork()\n" + NOTE_PID.format(pids=str(tmp_path / "forks.pids")) + TEMPLATE,
    )
    done = run_grader(str(learner), "--trials", "2", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout.count("backprop WRONG") == 1, done.stdout
    assert len(pids_of(pids)) == 3 and gone(pids_of(pids))  # before the fork, then both copies


def test_a_daemon_grandchild_is_killed(tmp_path: Path) -> None:
    # double fork + setsid: it leaves the worker's process group and session, and its parent
    # exits; the supervisor, its reaper, still finds and kills it
    daemon = tmp_path / "daemon.pid"
    source = (
        "import time\nfirst = os.fork()\nif first == 0:\n    os.setsid()\n"
        "    second = os.fork()\n    if second == 0:\n        time.sleep(300)\n"
        f"    open({str(daemon)!r}, 'w').write(str(second))\n    os._exit(0)\n"
        "os.waitpid(first, 0)\n" + TEMPLATE
    )
    learner, pids = write(tmp_path, "daemon", source)
    done = run_grader(str(learner), "--trials", "2", cwd=tmp_path)
    assert done.returncode == 1 and "backprop WRONG" in done.stdout
    assert daemon.exists(), "the daemon never started"
    assert gone([int(daemon.read_text())]), "the daemon grandchild outlived the grading"
    assert gone(pids_of(pids))


def test_100_mb_of_output_is_captured_and_shown_truncated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    learner, _ = write(
        tmp_path, "loud", "import sys\nsys.stdout.write('x' * (100 << 20))\n" + SOLUTION
    )
    code = main(["grade", str(learner), "--trials", "2"])
    out, err = capsys.readouterr()
    assert code == 0 and out.startswith("backprop OK") and err == ""
    assert "What it printed on standard output, the first 8,000 bytes of 104,857,600:" in out
    assert out.count("x") < 9_000


@pytest.mark.parametrize("many", [False, True], ids=["one file", "a class with --jobs 2"])
def test_a_real_ctrl_c_stops_the_grader_and_its_children(many: bool, tmp_path: Path) -> None:
    loops = "def backprop(weights, biases, x, y):\n    while True:\n        pass\n"
    folder = tmp_path / "class"
    folder.mkdir()
    pids = tmp_path / "loops.pids"
    for name in ("a", "b", "c") if many else ("a",):
        (folder / f"{name}.py").write_text(NOTE_PID.format(pids=str(pids)) + loops)
    target = [str(folder), "--jobs", "2"] if many else [str(folder / "a.py")]
    proc = subprocess.Popen(
        [sys.executable, "-m", "viz", "grade", *target, "--timeout", "60"],
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    end = time.monotonic() + 30
    while len(pids_of(pids)) < (2 if many else 1) and time.monotonic() < end:
        time.sleep(0.05)
    time.sleep(0.3)  # the children are in their loops
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, out + err
    assert err.strip() == "deltagrad: interrupted" and "backprop" not in out
    assert len(pids_of(pids)) == (2 if many else 1) and gone(pids_of(pids))


def test_numpy_missing_says_how_to_install_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a numpy that cannot be imported, beside the file (the file's folder comes first on its path)
    (tmp_path / "numpy").mkdir()
    (tmp_path / "numpy" / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'numpy'\", name='numpy')\n", encoding="utf-8"
    )
    numpy_exercise = REPO / "tests" / "exercise_solutions" / "sigmoid_quadratic_numpy.py"
    learner = tmp_path / "mine.py"
    learner.write_text(numpy_exercise.read_text(encoding="utf-8"), encoding="utf-8")
    code = main(["grade", str(learner)])
    out, err = capsys.readouterr()
    assert code == 2 and err == ""
    assert out.startswith(f"backprop could not be graded: {learner}: it imports numpy")
    assert "pip install 'deltagrad[exercises]'" in out


def test_a_network_over_the_cap_is_refused_before_anything_is_built(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*args: object) -> None:
        raise AssertionError("a trial was built")

    monkeypatch.setattr(grading, "_make_trial", never)
    assert grading.MAX_WEIGHTS == 10_000
    with pytest.raises(ValueError, match="10,100 weights, more than the 10,000"):
        grading.plan_check([1, 100, 100])
    learner = tmp_path / "big.py"
    learner.write_text("NET = [100, 100, 2]\n" + SOLUTION.replace("NET = [2, 3, 1]", ""))
    code = main(["grade", str(learner)])
    out, _ = capsys.readouterr()
    assert code == 2 and "10,200 weights, more than the 10,000" in out
    # only the constant to blame is named, not every one the file sets
    assert "it sets NET, and this setting cannot be graded" in out, out
    code = main(["grade", str(learner), "--net", "200,60,1"])
    _, err = capsys.readouterr()
    assert code == 2 and "12,060 weights" in err and err.startswith("deltagrad: error:")
    monkeypatch.undo()
    assert grading.plan_check([100, 99, 1], trials=1).sizes == [100, 99, 1]  # 9,999: allowed


def test_what_the_function_raised_and_where_reach_the_grader(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the child sends the exception's class and the learner's line as data: the grader's BP2
    # hint (a transpose) needs both
    pytest.importorskip("numpy")
    solution = (REPO / "tests" / "exercise_solutions" / "sigmoid_quadratic_numpy.py").read_text(
        encoding="utf-8"
    )
    right = "(deltas[i + 1] @ W[i + 1])"
    assert solution.count(right) == 1
    learner = tmp_path / "bp2.py"
    learner.write_text(solution.replace(right, "(deltas[i + 1] @ W[i + 1].T)"), encoding="utf-8")
    code = main(["grade", str(learner), "--trials", "2"])
    out, _ = capsys.readouterr()
    assert code == 1 and "the function raised ValueError: matmul" in out
    assert "at bp2.py, line 65: `deltas[i] = (deltas[i + 1] @ W[i + 1].T)" in out
    assert "In BP2, check both factors of (w^{l+1})ᵀ δ^{l+1}" in out
    assert "so w^{l+1} must be transposed and δ^{l+1} must have the shape above" in out


def test_check_backprop_in_process_reads_unreadable_returns_as_wrong_answers() -> None:
    # the library function runs fn in this process: what fn returns is read defensively too
    class Unlistable:
        def tolist(self) -> list[float]:
            raise ValueError("no")

    looped: list[object] = []
    looped.append(looped)
    cases = [
        (lambda *a: ([[10**400]], [[[0.0]]], [[0.0]]), "is an int too large for a float"),
        (lambda *a: (looped, looped, looped), "nested more than 12 deep"),
        (lambda *a: (Unlistable(), [], []), "is an Unlistable whose tolist() raised ValueError"),
    ]
    for fn, said in cases:
        report = grading.check_backprop(fn, [2, 3, 1], trials=1)
        assert not report.ok and report.mistake == "not_numbers"  # not "shape"
        assert report.diagnosis is not None and said in report.diagnosis.message


@pytest.mark.parametrize(
    "line",
    [
        b"[" * 100_000,
        b"not json",
        b'["a list"]',
        b'{"no": "event"}',
        b'{"event": "trial", "trial": 0, "returned": {"__dict__": [[true, 1.0]]}}',
        b'{"event": "trial", "trial": 0, "returned": {"__dict__": [1, 2, 3]}}',
        b'{"event": "trial", "trial": 0, "returned": ["text"]}',
        b'{"event": "trial", "trial": 0, "returned": {"other": 1}}',
    ],
)
def test_data_from_the_child_is_checked_not_trusted(line: bytes) -> None:
    from nn import isolation

    with pytest.raises(isolation._ChildData):
        frame = isolation._frame(line)
        isolation._returned(frame["returned"])


def test_returned_data_is_capped_in_depth_and_size() -> None:
    from nn import isolation
    from nn.grading import Opaque

    deep: list[object] = [1.0]
    for _ in range(10_000):
        deep = [deep]
    got = isolation._returned(deep)
    for _ in range(grading.MAX_DEPTH + 3):
        got = got[0]
    assert got == Opaque("list nested too deep")
    big = isolation._returned([[0.0] * 600_000, [0.0] * 600_000])
    assert big == Opaque("value with more than 1,000,000 entries")
    assert isolation._returned([1, 1e400, None, True, {"__type__": "str"}]) == [
        1.0,
        math.inf,
        None,
        True,
        Opaque("str"),
    ]
    assert isolation._returned({"__dict__": [[2, [1.0]], ["3", [2.0]]]}) == {2: [1.0], "3": [2.0]}


def test_what_the_file_prints_is_shown_and_it_imports_the_graders_deltagrad(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a short print is not lost in a buffer when the child ends; the file's `import nn` is the
    # grader's own copy, installed or not (python -I ignores PYTHONPATH)
    learner = tmp_path / "chatty.py"
    learner.write_text("import nn\nprint('using', nn.__file__)\n" + SOLUTION, encoding="utf-8")
    code = main(["grade", str(learner), "--trials", "2"])
    out, _ = capsys.readouterr()
    assert code == 0 and out.startswith("backprop OK")
    shown = out.split("\n\n", 1)[1]
    assert (
        shown == f"What it printed on standard output:\nusing {grading.__file__[:-10]}__init__.py\n"
    )


def _landlock_scopes_signals() -> bool:
    """Whether this kernel keeps a worker's signals to itself (Landlock ABI 6, Linux 6.12)."""
    probe = (
        "import sys; sys.path.insert(0, 'nn'); import grade_child; "
        "print(grade_child.scope_to_itself())"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=30
    )
    return done.stdout.strip() == "True"


# walks up from the worker to the grader (the process running `-m viz grade`), trying on each
# ancestor what a submission could do to end or forge the grading: write a pass into its
# standard output through /proc, then SIGKILL it; every failure is noted, and the file goes on
REACH_THE_GRADER = """
import signal
def _parent(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(next(line for line in f if line.startswith("PPid:")).split()[1])
_pid, _chain = os.getpid(), []
while _pid > 1:
    _pid = _parent(_pid)
    with open(f"/proc/{_pid}/cmdline", "rb") as f:
        _cmd = f.read()
    _chain.append(_pid)
    if b"viz\\x00grade" in _cmd:
        break
for _target in _chain:
    try:
        with open(f"/proc/{_target}/fd/1", "a") as f:
            f.write("backprop OK: forged\\n")
    except OSError as e:
        print("could not write:", type(e).__name__)
    try:
        os.kill(_target, signal.SIGKILL)
    except OSError as e:
        print("could not kill:", type(e).__name__)
"""


def test_a_submission_can_neither_kill_the_grader_nor_write_into_its_output(
    tmp_path: Path,
) -> None:
    if not sys.platform.startswith("linux") or not _landlock_scopes_signals():
        pytest.skip("needs Landlock's signal scoping (Linux 6.12 or later)")
    folder = tmp_path / "class"
    folder.mkdir()
    pids = tmp_path / "class.pids"
    for name in ("a", "b", "c"):
        (folder / f"{name}.py").write_text(
            NOTE_PID.format(pids=str(pids)) + REACH_THE_GRADER + TEMPLATE, encoding="utf-8"
        )
    (folder / "ok.py").write_text(SOLUTION, encoding="utf-8")
    report = tmp_path / "class.json"
    done = run_grader(str(folder), "--jobs", "2", "--json", str(report), cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "forged" not in done.stdout + done.stderr
    assert "4 submission(s): 1 OK, 3 WRONG" in done.stdout, done.stdout
    assert report.exists() and '"verdict"' in report.read_text(encoding="utf-8")
    # each learner's file tried and was refused: what it printed says so
    single = run_grader(str(folder / "a.py"), "--trials", "2", cwd=tmp_path)
    assert single.returncode == 1 and single.stdout.startswith("backprop WRONG"), single.stdout
    assert "could not kill: PermissionError" in single.stdout
    assert "could not write: PermissionError" in single.stdout
    assert "forged" not in single.stdout.split("What it printed")[0]
    assert gone(pids_of(pids))


def test_a_file_without_backprop_could_not_be_graded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    learner = tmp_path / "empty.py"
    learner.write_text("x = 1\n", encoding="utf-8")
    code = main(["grade", str(learner)])
    out, err = capsys.readouterr()
    assert code == 2 and err == ""
    assert out.startswith(f"backprop could not be graded: {learner}: it defines no function")
    # a --function the file lacks is the command's own usage error
    code = main(["grade", str(SOLUTION_PATH), "--function", "nope"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.startswith("deltagrad: error:")
