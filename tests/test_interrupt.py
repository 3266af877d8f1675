"""Ctrl-C (a real SIGINT) in fit(), `deltagrad demo` and `playground` stops cleanly: one line."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).parent.parent

TRAIN = """
from nn import MLP
from nn.data import moons
from nn.losses import mse
from nn.optim import SGD
from nn.train import fit

xs, ys = moons(64, seed=0)
model = MLP(2, [8, 1], seed=0)
print("ready", flush=True)
history = fit(model, xs, ys, mse, SGD(model.parameters(), lr=0.01), epochs=100_000)
print("returned", len(history), flush=True)
"""


def start(argv: list[str], cwd: Path) -> subprocess.Popen[str]:
    # a session of its own, with SIGINT at its default: a background job of a non-interactive
    # shell would inherit SIGINT ignored, and Python would then never raise KeyboardInterrupt
    return subprocess.Popen(
        argv,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def interrupt(proc: subprocess.Popen[str], ready: str, after: float) -> tuple[str, str]:
    """Wait for the line `ready`, let it run `after` seconds, send SIGINT, collect the output."""
    assert proc.stdout is not None
    lines = []
    while True:
        line = proc.stdout.readline()
        assert line, "the process ended before it was ready"
        lines.append(line)
        if line.startswith(ready):
            break
    time.sleep(after)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    return "".join(lines) + out, err


def test_ctrl_c_in_fit_returns_the_history_so_far(tmp_path: Path) -> None:
    proc = start([sys.executable, "-c", TRAIN], tmp_path)
    out, err = interrupt(proc, "ready", 1.5)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    message = err.strip().splitlines()
    assert len(message) == 1, err
    match = re.fullmatch(
        r"fit: interrupted at step (\d+) of 100000; returning the loss history of the (\d+) "
        r"steps? done",
        message[0],
    )
    assert match is not None, message
    reached, done = int(match[1]), int(match[2])
    assert reached == done + 1 and done > 0
    assert f"returned {done}" in out


def replays_the_steps_done(page: Path, done: int) -> bool:
    """The playground page says it was interrupted after `done` steps and replays only those."""
    text = page.read_text(encoding="utf-8")
    data = json.loads(re.search(r"const D = (.*?);\n", text)[1])  # type: ignore[index]
    last = data["steps"][-1]["step"]  # the last recorded step may be the one Ctrl-C stopped
    return f"{done} of 100000 steps (interrupted)" in text and data["total"] == max(done, last + 1)


def test_ctrl_c_in_demo_writes_the_files_and_exits_130(tmp_path: Path) -> None:
    out_dir = tmp_path / "demo"
    argv = [sys.executable, "-m", "viz", "demo", "--steps", "100000", "--out", str(out_dir)]
    proc = start(argv, tmp_path)
    out, err = interrupt(proc, "MLP(", 2.0)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and re.fullmatch(r"fit: interrupted at step \d+ of 100000; .*", lines[0])
    done = int(re.search(r"after (\d+) steps?:", out)[1])  # type: ignore[index]
    assert 0 < done < 100_000
    for name in ("graph.svg", "stepper.html", "loss.svg", "boundary.svg"):
        assert (out_dir / name).stat().st_size > 0, name
    assert replays_the_steps_done(out_dir / "playground.html", done)


def test_ctrl_c_in_playground_writes_the_page_and_exits_130(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    argv = [sys.executable, "-m", "viz", "playground", "--steps", "100000", "--every", "50"]
    proc = start([*argv, "--out", str(page)], tmp_path)
    time.sleep(4.0)  # the command prints nothing before training: let it take some steps
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and re.fullmatch(r"fit: interrupted at step \d+ of 100000; .*", lines[0])
    done = int(re.search(r"in (\d+) steps?\b", out)[1])  # type: ignore[index]
    assert 0 < done < 100_000
    assert replays_the_steps_done(page, done)
    assert f"wrote {page}" in out


def test_ctrl_c_in_a_long_playground_keeps_the_state_it_reached(tmp_path: Path) -> None:
    # a Ctrl-C after a few seconds of a million steps: the page replays steps spread evenly
    # over the ones done (recorded adaptively), and ends at the state training reached
    page = tmp_path / "p.html"
    proc = start(
        [sys.executable, "-m", "viz", "playground", "--steps", "1000000", "--out", str(page)],
        tmp_path,
    )
    time.sleep(4.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (out, err)
    done = int(re.search(r"in (\d+) steps?\b", out)[1])  # type: ignore[index]
    assert 0 < done < 1_000_000
    text = page.read_text(encoding="utf-8")
    steps = json.loads(re.search(r"const D = (.*?);\n", text)[1])["steps"]  # type: ignore[index]
    held = [s["step"] for s in steps]
    every = held[1]  # the spacing the recording reached: 0, every, 2·every, … then `done`
    assert held in ([*range(0, done, every), done], [*range(0, done + 1, every)])
    assert 16 <= len(held) <= 32 and done - held[-2] <= every  # nothing lost at the end
    assert steps[-1]["loss"] < steps[0]["loss"]  # trained: Adam has lowered the loss
    recorded = re.search(r"(\d+) recorded (step|steps)\)", out)
    assert recorded is not None and recorded[2] == ("step" if recorded[1] == "1" else "steps"), out
    assert recorded[1] == str(len(held))
