"""Grade a learner's file in a child process: the limits, the conversation, the verdict here.

``grade_file(path)`` starts ``nn/grade_child.py`` with ``python -I`` in a new session, lets it
import the file and send back the file's settings (NET, ACTIVATION, ...), builds the plan here,
sends the child the inputs of every trial, reads back what the function returned or raised as
plain data (one line of JSON per event, on a pipe of its own, capped in size and depth) and
grades it here. The child has a time limit, an address-space limit, its output captured and
capped, no standard input, and its whole process tree is killed when it ends. So nothing the
learner's code patches, prints, raises or calls (``os._exit``, ``atexit``, a signal, a fork) can
forge a pass or crash the grader.

What it is not: a security sandbox. The learner's code runs as the teacher's user, with the
file system and the network; grade code you do not trust in a container or a virtual machine
(for instance a locked-down container with no network).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from . import grading
from .activations import check_activation
from .grading import BackpropReport, Opaque, Outcome
from .submission import SETTINGS, constant_setting, import_failure, memory_size

__all__ = [
    "DEFAULT_MEMORY",
    "DEFAULT_TIMEOUT",
    "SETTINGS",
    "Graded",
    "SettingError",
    "check_options",
    "grade_file",
    "stop_all",
]

DEFAULT_TIMEOUT = 20.0  # seconds for one submission: its import and every trial
DEFAULT_MEMORY = 1 << 30  # bytes of address space for the child (RLIMIT_AS)
OUTPUT_KEPT = 8_000  # bytes of the child's stdout, and of its stderr, kept to show
MAX_LINE = 32 << 20  # bytes of one line of data from the child
MAX_DATA = 256 << 20  # bytes of data from the child in all
MAX_ENTRIES = 1_000_000  # lists' entries in one returned value
GRACE = 5.0  # seconds past the time limit before the grader kills the child itself
CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "grade_child.py")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # where nn and autograd are


class SettingError(ValueError):
    """A setting given by the caller (not read from the file) that no check can use."""


@dataclass
class Graded:
    """One submission's result: verdict "ok", "wrong" or "ungradeable" (could not be graded),
    the report (ok, wrong) or the reason (ungradeable; a phrase to read after the file's name,
    "could not be imported: …"), and what the file printed (capped)."""

    file: str
    verdict: str
    report: BackpropReport | None = None
    reason: str | None = None
    cause: str | None = None  # ungradeable: import, numpy, function, settings, time, crash, data
    stdout: str = ""
    stderr: str = ""
    stdout_bytes: int = 0  # what it printed in all, of which OUTPUT_KEPT bytes are kept
    stderr_bytes: int = 0

    @property
    def ok(self) -> bool:
        """Whether the submission's backprop is right."""
        return self.verdict == "ok"

    @property
    def mistake(self) -> str | None:
        """The diagnosed mistake's key (nn.grading.MISTAKES), when it is wrong."""
        return self.report.mistake if self.report is not None else None

    def printed(self) -> str:
        """What the file printed, each stream truncated to what was kept, or ''."""
        parts = []
        for name, text, total in (
            ("standard output", self.stdout, self.stdout_bytes),
            ("standard error", self.stderr, self.stderr_bytes),
        ):
            if total:
                cut = (
                    f", the first {OUTPUT_KEPT:,} bytes of {total:,}" if total > OUTPUT_KEPT else ""
                )
                parts.append(f"What it printed on {name}{cut}:\n{text.rstrip()}")
        return "\n".join(parts)


# ------------------------------------------------------------------------------ the options


def check_options(
    net: Sequence[int] | None = None,
    activation: str | None = None,
    output_activation: str | None = None,
    cost: str | None = None,
    batch: int | None = None,
    reduction: str = "mean",
) -> None:
    """Raise SettingError for a given setting that no check can use (each on its own)."""
    try:
        if net is not None:
            grading._check_sizes(net)
        if activation is not None:
            check_activation(activation, output=False)
        if output_activation is not None:
            check_activation(output_activation, output=True)
        if cost is not None:
            grading._cost_name(cost)
        if batch is not None and (
            isinstance(batch, bool) or not isinstance(batch, int) or batch < 1
        ):
            raise ValueError(f"batch must be None (one example) or a positive int, got {batch!r}")
        if reduction not in grading.REDUCTIONS:
            raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    except (TypeError, ValueError) as e:
        raise SettingError(str(e)) from None


# ------------------------------------------------------------------------------- the child

_LIVE: set[_Child] = set()
_LIVE_LOCK = threading.Lock()


def stop_all() -> None:
    """Kill every child still running (Ctrl-C in the grader)."""
    with _LIVE_LOCK:
        children = list(_LIVE)
    for child in children:
        child.kill()


class _ChildData(Exception):
    """The child sent something that is not the data it should send."""


class _Child:
    """One running grade_child.py: its pipes, what it sent, and how it ended."""

    def __init__(self, path: str, function: str, timeout: float, memory: int) -> None:
        to_r, self.to_w = os.pipe()
        self.from_r, from_w = os.pipe()
        self.status_r, status_w = os.pipe()
        env = dict(os.environ)
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = "1"  # one thread: less address space, and fair to the other jobs
        self.timeout = timeout
        self.started = time.monotonic()
        self.hard_deadline = self.started + timeout + GRACE
        argv = [str(to_r), str(from_w), str(status_w), repr(timeout), str(memory)]
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-u", CHILD, *argv],  # -u: prints reach us at once
                pass_fds=(to_r, from_w, status_w),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                env=env,
            )
        finally:
            for fd in (to_r, from_w, status_w):
                os.close(fd)
        with _LIVE_LOCK:
            _LIVE.add(self)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.out_fd, self.err_fd = self.proc.stdout.fileno(), self.proc.stderr.fileno()
        self.kept: dict[int, bytearray] = {self.out_fd: bytearray(), self.err_fd: bytearray()}
        self.totals = {self.out_fd: 0, self.err_fd: 0}
        self.data = bytearray()
        self.data_total = 0
        self.status_buf = bytearray()
        self.status: dict[str, Any] | None = None
        self.worker: int | None = None
        self.drain_until: float | None = None
        self.frames: list[dict[str, Any]] = []
        self.selector = selectors.DefaultSelector()
        for fd in (self.out_fd, self.err_fd, self.from_r, self.status_r):
            os.set_blocking(fd, False)
            self.selector.register(fd, selectors.EVENT_READ)
        self.open = {self.out_fd, self.err_fd, self.from_r, self.status_r}
        self.writer: threading.Thread | None = None
        self.send({"file": path, "function": function, "path": [ROOT]})

    # ---- talking
    def send(self, message: dict[str, Any]) -> None:
        """Write one line of JSON to the child, in a thread (the child may never read it)."""
        data = json.dumps(message).encode() + b"\n"

        def write() -> None:
            try:
                view = memoryview(data)
                fd = self.to_w
                os.set_blocking(fd, True)
                while view:
                    view = view[os.write(fd, view) :]
            except OSError:
                pass  # the child has gone; what it did is read from its pipes

        if self.writer is not None:
            self.writer.join()
        self.writer = threading.Thread(target=write, daemon=True)
        self.writer.start()

    def _pump(self, wait: float) -> None:
        for key, _ in self.selector.select(max(wait, 0.0)):
            fd = int(key.fd)
            try:
                chunk = os.read(fd, 1 << 16)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                self.selector.unregister(fd)
                self.open.discard(fd)
                continue
            if fd == self.from_r:
                self.data_total += len(chunk)
                if self.data_total > MAX_DATA:
                    raise _ChildData(f"it sent more than {MAX_DATA >> 20} MB of data")
                self.data += chunk
                while b"\n" in self.data:
                    line, _, rest = bytes(self.data).partition(b"\n")
                    self.data = bytearray(rest)
                    self.frames.append(_frame(line))
                if len(self.data) > MAX_LINE:
                    raise _ChildData(f"it sent a line of more than {MAX_LINE >> 20} MB")
            elif fd == self.status_r:
                self.status_buf += chunk[:4096]
                for line in bytes(self.status_buf).split(b"\n")[:-1]:
                    self._status_line(line)
                self.status_buf = bytearray(bytes(self.status_buf).rpartition(b"\n")[2])
            else:
                self.totals[fd] += len(chunk)
                kept = self.kept[fd]
                kept += chunk[: max(0, OUTPUT_KEPT - len(kept))]

    def _status_line(self, line: bytes) -> None:
        try:
            said = json.loads(line)
        except ValueError:
            return
        if isinstance(said, dict) and "worker" in said and isinstance(said["worker"], int):
            self.worker = said["worker"]
        elif isinstance(said, dict):
            self.status = said

    def next_frame(self) -> dict[str, Any] | None:
        """The child's next line of data, or None when it has ended (or run out of time)."""
        while not self.frames:
            now = time.monotonic()
            if self.from_r not in self.open or now > self.hard_deadline:
                return None
            if self.status is not None and self.status_r not in self.open:
                # the supervisor has killed every process below it: read what is left in the
                # pipe up to its end, for a few seconds at most
                if self.drain_until is None:
                    self.drain_until = now + 5.0
                elif now > self.drain_until:
                    return None
            self._pump(0.05)
        return self.frames.pop(0)

    def finish(self) -> dict[str, Any]:
        """Wait for the supervisor's report on how the worker ended, and the last output."""
        while self.status_r in self.open and time.monotonic() < self.hard_deadline:
            self._pump(0.05)
        end = time.monotonic() + 2.0
        while (self.out_fd in self.open or self.err_fd in self.open) and time.monotonic() < end:
            self._pump(0.05)
        if self.status is None:
            self.kill()
            late = time.monotonic() > self.hard_deadline
            return {"timed_out": late, "lost": not late}
        return self.status

    def kill(self) -> None:
        """Stop the supervisor (which kills what is below it), then kill what is left."""
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(2.0)
        for group in (self.proc.pid, self.worker):
            if group is not None:
                with contextlib.suppress(OSError):
                    os.killpg(group, signal.SIGKILL)

    def close(self) -> None:
        """Kill what may be left, reap the supervisor, close every pipe."""
        self.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5.0)
        self.selector.close()
        if self.writer is not None:
            # every reader is dead, so a blocked write fails now; joined before its descriptor
            # is closed, so it never writes into a pipe that reuses the number
            self.writer.join(5.0)
        for fd in (self.to_w, self.from_r, self.status_r):
            with contextlib.suppress(OSError):
                os.close(fd)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.proc.stdout.close()
        self.proc.stderr.close()
        with _LIVE_LOCK:
            _LIVE.discard(self)

    def output(self, fd: int) -> tuple[str, int]:
        return self.kept[fd].decode("utf-8", "replace"), self.totals[fd]


def _frame(line: bytes) -> dict[str, Any]:
    try:
        message = json.loads(line)
    except (ValueError, RecursionError):
        raise _ChildData("it sent a line that is not the grader's JSON") from None
    if not isinstance(message, dict) or not isinstance(message.get("event"), str):
        raise _ChildData("it sent a line that is not one of the grader's events")
    return message


def _returned(data: Any) -> Any:
    """What the child sent for a returned value, as lists, floats, dicts and Opaque values;
    checked with a stack (depth, entries), never trusted."""
    holder: list[Any] = []
    stack: list[tuple[Any, int, list[Any]]] = [(data, 0, holder)]
    entries = 0
    while stack:
        item, depth, out = stack.pop()
        if depth > grading.MAX_DEPTH + 2:
            out.append(Opaque("list nested too deep"))
        elif item is None or isinstance(item, bool):
            out.append(item)
        elif isinstance(item, int | float):
            out.append(float(item) if abs(item) < 1e308 or isinstance(item, float) else math.inf)
        elif isinstance(item, list):
            entries += len(item)
            if entries > MAX_ENTRIES:
                return Opaque(f"value with more than {MAX_ENTRIES:,} entries")
            inner: list[Any] = []
            out.append(inner)
            stack.extend((v, depth + 1, inner) for v in reversed(item))
        elif isinstance(item, dict) and isinstance(item.get("__type__"), str):
            out.append(Opaque(item["__type__"][:200]))
        elif isinstance(item, dict) and isinstance(item.get("__dict__"), list):
            pairs = item["__dict__"]
            entries += len(pairs)
            if entries > MAX_ENTRIES:
                return Opaque(f"value with more than {MAX_ENTRIES:,} entries")
            d: dict[Any, Any] = {}
            for pair in pairs:
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise _ChildData("it sent a dict that is not a list of pairs")
                key = pair[0]
                if isinstance(key, dict):
                    key = Opaque(str(key.get("__type__", "key"))[:100])
                elif not isinstance(key, int | str) or isinstance(key, bool):
                    raise _ChildData("it sent a dict key that is not an int or a str")
                value: list[Any] = []
                d[key] = value
                stack.append((pair[1], depth + 1, value))
            out.append(_Pending(d))
        else:
            raise _ChildData(f"it sent a {type(item).__name__} where numbers belong")
    return _settle(holder[0])


class _Pending:
    """A dict whose values are still one-item lists while _returned walks."""

    def __init__(self, d: dict[Any, Any]) -> None:
        self.d = d


def _settle(obj: Any) -> Any:
    """Replace each _Pending by its dict, its values unwrapped (a second walk, with a stack)."""
    root = [obj]
    stack: list[tuple[Any, Any]] = [(root, 0)]
    while stack:
        container, key = stack.pop()
        item = container[key]
        if isinstance(item, _Pending):
            d = {k: (v[0] if v else None) for k, v in item.d.items()}
            container[key] = d
            stack.extend((d, k) for k in d)
        elif isinstance(item, list):
            stack.extend((item, i) for i in range(len(item)))
    return root[0]


# ------------------------------------------------------------------------------ the verdict

_SIGNALS = {int(s): s.name for s in signal.Signals}


def _ended(status: dict[str, Any], when: str, timeout: float, memory: int) -> tuple[str, str]:
    """(cause, reason) for a child that ended without saying what happened."""
    if status.get("timed_out"):
        return "time", (
            f"it ran longer than the time limit of {timeout:g} s {when} (an endless loop?); "
            "--timeout sets the limit"
        )
    if status.get("stopped") or status.get("lost"):
        return "crash", f"the grader's child process was stopped {when}"
    sig = status.get("signal")
    if isinstance(sig, int):
        name = _SIGNALS.get(sig, f"signal {sig}")
        return "crash", (
            f"its process was killed by {name} {when} (a crash in compiled code, or the "
            f"memory limit of {memory_size(memory)}: --memory sets it)"
        )
    code = status.get("exit")
    return "exit", f"it ended its own process {when} (exit status {code}, as os._exit does)"


def _settings(
    given: dict[str, Any],
    constants: dict[str, Any],
    from_file: list[str],
    read: Collection[str] | None = None,
) -> dict[str, Any]:
    """The check's settings: each given on the command line, else the file's constant (of
    those in read; None: any), else the default (SETTINGS). Each constant used is appended to
    from_file; ValueError or TypeError for one that cannot be a setting."""
    settings: dict[str, Any] = {}
    for key, (constant, default) in SETTINGS.items():
        if given[key] is not None:
            settings[key] = given[key]
        elif constant in constants and (read is None or constant in read):
            value = constants[constant]
            settings[key] = constant_setting(
                constant, value if isinstance(value, str) else _returned(value)
            )
            from_file.append(constant)
        else:
            settings[key] = default
    return settings


def _gradable(
    read: set[str], given: dict[str, Any], constants: dict[str, Any], reduction: str
) -> bool:
    """Whether a check can be planned with these of the file's constants (the rest given on
    the command line, or the defaults): which constant a refused setting is to blame on."""
    try:
        settings = _settings(given, constants, [], read)
        net = settings.pop("net")
        grading.check_settings(net, reduction=reduction, **settings)
    except (TypeError, ValueError):
        return False
    return True


def grade_file(
    path: str,
    function: str = "backprop",
    *,
    net: Sequence[int] | None = None,
    activation: str | None = None,
    output_activation: str | None = None,
    cost: str | None = None,
    batch: int | None = None,
    trials: int = 20,
    seed: int = 0,
    notation: grading.NotationLike = None,
    reduction: str = "mean",
    timeout: float = DEFAULT_TIMEOUT,
    memory: int = DEFAULT_MEMORY,
) -> Graded:
    """Grade the function of a learner's file in a child process (see the module's notes).

    Settings left as None are read from the file's NET, ACTIVATION, OUTPUT_ACTIVATION, COST and
    BATCH, else the defaults (SETTINGS). Raises SettingError for a given setting no check can
    use; everything the file does is a Graded verdict, never an exception here.
    """
    given: dict[str, Any] = {
        "net": net,
        "activation": activation,
        "output_activation": output_activation,
        "cost": cost,
        "batch": batch,
    }
    check_options(**given, reduction=reduction)
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise SettingError(f"trials must be a positive int, got {trials!r}")
    if not (isinstance(timeout, int | float) and 0 < timeout < 1e6):
        raise SettingError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if isinstance(memory, bool) or not isinstance(memory, int) or memory < 1 << 26:
        raise SettingError(f"memory must be at least 64 MiB (in bytes), got {memory!r}")
    if not os.path.isfile(path):
        return Graded(path, "ungradeable", reason="no such file", cause="import")
    child = _Child(path, function, float(timeout), memory)
    try:
        graded = _converse(child, path, function, given, trials, seed, notation, reduction, memory)
    except _ChildData as e:
        graded = Graded(path, "ungradeable", reason=f"its process {e}", cause="data")
    finally:
        child.close()
    graded.stdout, graded.stdout_bytes = child.output(child.out_fd)
    graded.stderr, graded.stderr_bytes = child.output(child.err_fd)
    return graded


def _converse(
    child: _Child,
    path: str,
    function: str,
    given: dict[str, Any],
    trials: int,
    seed: int,
    notation: grading.NotationLike,
    reduction: str,
    memory: int,
) -> Graded:
    first = child.next_frame()
    if first is not None and first["event"] not in ("imported", "import_failed"):
        raise _ChildData("sent its events out of order")
    if first is None:
        cause, reason = _ended(child.finish(), "while being imported", child.timeout, memory)
        return Graded(path, "ungradeable", reason=reason, cause=cause)
    if first["event"] == "import_failed":
        cause, reason = import_failure(first, memory)
        return Graded(path, "ungradeable", reason=reason, cause=cause)
    if not first.get("has"):
        reason = (
            f"it defines no function {function!r}; write def {function}(weights, biases, "
            "x, y) or pass --function NAME"
        )
        return Graded(path, "ungradeable", reason=reason, cause="function")
    if not first.get("callable"):
        return Graded(
            path,
            "ungradeable",
            reason=f"its {function!r} is not a function",
            cause="function",
        )
    constants = first.get("constants")
    constants = constants if isinstance(constants, dict) else {}
    from_file: list[str] = []
    try:
        settings = _settings(given, constants, from_file)
        net = settings.pop("net")
        plan = grading.plan_check(
            net, trials=trials, seed=seed, notation=notation, reduction=reduction, **settings
        )
    except (TypeError, ValueError) as e:
        if not from_file:
            raise SettingError(str(e)) from None
        blamed = [c for c in from_file if not _gradable({c}, given, constants, reduction)]
        blamed = blamed or from_file  # the constants that cannot be graded on their own
        these = "this setting cannot" if len(blamed) == 1 else "these settings cannot"
        return Graded(
            path,
            "ungradeable",
            reason=f"it sets {', '.join(blamed)}, and {these} be graded: {e}",
            cause="settings",
        )
    inputs = plan.inputs()
    child.send({"inputs": inputs})
    outcomes: list[Outcome] = []
    while True:
        frame = child.next_frame()
        if frame is None or frame["event"] == "done":
            break
        if frame["event"] != "trial" or frame.get("trial") != len(outcomes):
            raise _ChildData("it sent the trials out of order")
        if len(outcomes) >= len(inputs):
            raise _ChildData("it sent more trials than it was given")
        raised = frame.get("raised")
        if isinstance(raised, dict):
            outcomes.append(_raised_outcome(raised, memory))
            break
        outcomes.append(Outcome(returned=_returned(frame.get("returned"))))
    complete = len(outcomes) == len(inputs) or (outcomes and outcomes[-1].raised is not None)
    if not complete:
        status = child.finish()
        when = f"while running {function} (trial {len(outcomes) + 1} of {len(inputs)})"
        cause, reason = _ended(status, when, child.timeout, memory)
        if cause != "exit":
            return Graded(path, "ungradeable", reason=reason, cause=cause)
        ended = (
            f"the function ended its own process (exit status {status.get('exit')}, as os._exit "
            "does) instead of returning (deltas, grad_w, grad_b)"
        )
        outcomes.append(Outcome(raised=ended, error="SystemExit"))
    report = plan.grade(outcomes)
    return Graded(path, "ok" if report.ok else "wrong", report=report)


def _raised_outcome(said: dict[str, Any], memory: int) -> Outcome:
    """The Outcome of a function that raised, from what the child said about it."""
    error = str(said.get("error", "an error"))[:200]
    message = str(said.get("message", ""))[:2000]
    file, lineno, line = said.get("file"), said.get("lineno"), said.get("line")
    where = grading.where_text(
        file if isinstance(file, str) else None,
        lineno if isinstance(lineno, int) else None,
        line if isinstance(line, str) else None,
    )
    exit_code = said.get("exit_code")
    sentence = grading.raised_sentence(
        error, message, str(exit_code)[:200] if exit_code is not None else None, where
    )
    if error == "MemoryError":
        sentence += f" (the memory limit is {memory_size(memory)}; --memory sets it)"
    return Outcome(
        raised=sentence, error=error, line=line.strip() if isinstance(line, str) else None
    )
