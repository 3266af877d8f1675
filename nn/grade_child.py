"""The child process that runs one learner's file for ``deltagrad grade`` (standard library only).

Run as a script, never imported by the grader: ``python -I -u grade_child.py IN OUT STATUS
TIMEOUT MEMORY``, where IN, OUT and STATUS are pipe file descriptors the grader passed down. Two
processes take part:

- the supervisor (this script's first process) makes itself the reaper of every orphan below it
  (Linux: ``prctl(PR_SET_CHILD_SUBREAPER)``), forks the worker, waits for it at most TIMEOUT
  seconds, then kills every process left below it (the worker's group and any daemon that
  escaped it) and writes how the worker ended to STATUS, a pipe the learner's code never holds;
- the worker limits its own address space to MEMORY bytes, reads the file and function names
  from IN, imports the file, sends its module constants, reads the inputs of every trial from
  IN, calls the function on each and sends what it returned (as plain lists of floats) or what
  it raised, as one line of JSON per event on OUT.

Nothing here decides a verdict: the grader makes the plan, reads these lines defensively and
grades them in its own process, so what the learner's code patches, prints or calls cannot
forge a pass.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import sys
import time
import traceback
from typing import Any

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
MAX_DEPTH = 12  # what a learner returns is at most 5 deep: (deltas, …), layer, row, column, 1
MAX_NUMBERS = 1_000_000  # numbers in one returned value
MAX_TEXT = 2_000  # characters of a message or a line of code
CONSTANTS = ("NET", "ACTIVATION", "OUTPUT_ACTIVATION", "COST", "BATCH")


def _prctl(option: int, arg: int) -> bool:
    """prctl(option, arg) on Linux; False where there is none."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(option, arg, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


# Landlock (Linux 6.12 and later): syscall numbers of the generic table (x86_64, aarch64, …)
_LANDLOCK_CREATE_RULESET, _LANDLOCK_RESTRICT_SELF = 444, 446
_LANDLOCK_CREATE_RULESET_VERSION = 1
_LANDLOCK_SCOPE_SIGNAL = 2  # ABI 6: no signal to a process outside the domain
_PR_SET_NO_NEW_PRIVS = 38


class _RulesetAttr(ctypes.Structure):
    _fields_ = (
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    )


def scope_to_itself() -> bool:
    """Keep the learner's code from reaching the grader's processes (Linux Landlock, ABI ≥ 6).

    The calling process and everything it forks can then neither signal a process outside them
    (the supervisor, the grader, a class run's other jobs) nor trace one, which also closes
    /proc/<pid>/fd of those processes (writing into the grader's output). Files and the network
    stay reachable: this is not a sandbox. False where the kernel has no such Landlock.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        abi = libc.syscall(
            _LANDLOCK_CREATE_RULESET,
            None,
            ctypes.c_size_t(0),
            ctypes.c_uint32(_LANDLOCK_CREATE_RULESET_VERSION),
        )
        if abi < 6:
            return False
        attr = _RulesetAttr(0, 0, _LANDLOCK_SCOPE_SIGNAL)
        fd = libc.syscall(
            _LANDLOCK_CREATE_RULESET,
            ctypes.byref(attr),
            ctypes.c_size_t(ctypes.sizeof(attr)),
            ctypes.c_uint32(0),
        )
        if fd < 0:
            return False
        try:
            if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
                return False
            done = libc.syscall(_LANDLOCK_RESTRICT_SELF, ctypes.c_int(fd), ctypes.c_uint32(0))
            return bool(done == 0)
        finally:
            os.close(fd)
    except (OSError, AttributeError):
        return False


def _text(obj: Any) -> str:
    """str(obj), capped, or a placeholder when its __str__ fails."""
    try:
        text = str(obj)
    except BaseException:
        return "<a message that could not be printed>"
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"


def _type_name(obj: Any) -> str:
    try:
        return _text(type(obj).__name__)
    except BaseException:
        return "object"


# ------------------------------------------------------------------------------- supervisor


def _children() -> list[int]:
    """The pids whose parent is this process (read from /proc)."""
    me, found = os.getpid(), []
    try:
        names = os.listdir("/proc")
    except OSError:
        return []
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat.rsplit(b")", 1)[-1].split()
        if len(fields) > 1 and fields[1] == str(me).encode():
            found.append(int(name))
    return found


def _kill_everything(worker: int) -> None:
    """SIGKILL the worker's group and every process reparented to this one, and reap them."""
    end = time.monotonic() + 10.0
    while True:
        with contextlib.suppress(OSError):
            os.killpg(worker, signal.SIGKILL)
        for pid in _children():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        try:
            while os.waitpid(-1, os.WNOHANG)[0] != 0:
                pass
        except ChildProcessError:
            return  # no child left
        if time.monotonic() > end:
            return
        time.sleep(0.01)


class _Stop(Exception):
    pass


def _stop(signum: int, frame: Any) -> None:
    raise _Stop


def supervise(in_fd: int, out_fd: int, status_fd: int, timeout: float, memory: int) -> None:
    """Fork the worker, wait for it at most timeout seconds, kill what is left, report."""
    signal.signal(signal.SIGTERM, _stop)
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)  # the grader gone: stop and clean up
    reaper = _prctl(PR_SET_CHILD_SUBREAPER, 1)
    worker = os.fork()
    if worker != 0:
        os.write(status_fd, json.dumps({"worker": worker}).encode() + b"\n")
    if worker == 0:
        code = 70
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.close(status_fd)
            work(in_fd, out_fd, memory)
            code = 0
        finally:
            for stream in (sys.stdout, sys.stderr):
                # what the file printed, shown to the learner; atexit hooks never run
                with contextlib.suppress(BaseException):
                    stream.flush()
            os._exit(code)
    os.close(in_fd)
    os.close(out_fd)
    status: dict[str, Any] = {"reaper": reaper, "timed_out": False, "stopped": False}
    deadline = time.monotonic() + timeout
    try:
        while True:
            pid, wait = os.waitpid(worker, os.WNOHANG)
            if pid:
                if os.WIFSIGNALED(wait):
                    status["signal"] = os.WTERMSIG(wait)
                else:
                    status["exit"] = os.WEXITSTATUS(wait)
                break
            if time.monotonic() > deadline:
                status["timed_out"] = True
                break
            time.sleep(0.005)
    except _Stop:
        status["stopped"] = True
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _kill_everything(worker)
    try:
        os.write(status_fd, json.dumps(status).encode() + b"\n")
    finally:
        os._exit(0)


# ----------------------------------------------------------------------------------- worker


def _opaque(kind: str) -> dict[str, str]:
    """A value that is not numbers: the grader's report says what it was."""
    return {"__type__": kind}


def plain(obj: Any) -> Any:
    """obj as JSON data: lists, floats, None, bools, {"__dict__": [[key, value], …]}, and
    {"__type__": what} for anything else (a str, an int too large for a float, a list nested
    too deep). Walks with a stack: a list inside itself or 100,000 levels deep is not a crash."""
    holder: list[Any] = []
    stack: list[tuple[Any, int, list[Any]]] = [(obj, 0, holder)]
    count = 0
    while stack:
        item, depth, out = stack.pop()
        if depth > MAX_DEPTH:
            out.append(_opaque(f"list nested more than {MAX_DEPTH} deep (a list inside itself?)"))
            continue
        if not isinstance(item, list | tuple | dict | float | int | type(None)):
            try:
                tolist = getattr(item, "tolist", None)
                if callable(tolist):
                    item = tolist()
            except BaseException as e:
                kind = f"{_type_name(item)} whose tolist() raised {_type_name(e)}"
                out.append(_opaque(kind))
                continue
        if item is None or isinstance(item, bool):
            out.append(item)
        elif isinstance(item, int | float):
            try:
                out.append(float(item))
            except (OverflowError, ValueError, TypeError):
                out.append(_opaque("int too large for a float"))
        elif isinstance(item, list | tuple | dict):
            pairs = list(item.items()) if isinstance(item, dict) else list(item)
            count += len(pairs)
            if count > MAX_NUMBERS:
                return _opaque(f"value with more than {MAX_NUMBERS:,} entries")
            inner: list[Any] = []
            if isinstance(item, dict):
                for key, value in pairs:
                    if isinstance(key, int) and not isinstance(key, bool):
                        key = key if abs(key) < 10**9 else _opaque("large int")
                    elif isinstance(key, str):
                        key = key[:100]
                    else:
                        key = _opaque(_type_name(key))
                    pair: list[Any] = [key]
                    inner.append(pair)
                    stack.append((value, depth + 1, pair))
                out.append({"__dict__": inner})  # each value lands in its own pair
            else:
                out.append(inner)
                stack.extend((value, depth + 1, inner) for value in reversed(pairs))
        else:
            try:
                value = float(item) if _is_real(item) else None
            except BaseException:
                value = None
            out.append(value if value is not None else _opaque(_type_name(item)))
    return holder[0]


def _is_real(item: Any) -> bool:
    import numbers

    return isinstance(item, numbers.Real)


class _Channel:
    def __init__(self, fd: int) -> None:
        self.fd = fd

    def send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message, allow_nan=True).encode() + b"\n"
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]


def _frame(error: BaseException, path: str) -> dict[str, Any]:
    """The deepest frame of error in the learner's file (else outside this script)."""
    try:
        frames = traceback.extract_tb(error.__traceback__)
    except BaseException:
        return {}
    here = os.path.abspath(__file__)
    mine = [f for f in frames if os.path.abspath(f.filename) == path]
    other = [f for f in frames if os.path.abspath(f.filename) != here]
    if not (mine or other):
        return {}
    chosen = (mine or other)[-1]
    return {
        "file": os.path.basename(chosen.filename),
        "lineno": chosen.lineno,
        "line": _text((chosen.line or "").strip()) or None,
    }


def _raised(error: BaseException, path: str) -> dict[str, Any]:
    """What an exception was, as data: class, message, exit code, module, frame."""
    said: dict[str, Any] = {"error": _type_name(error), "message": _text(error)}
    if isinstance(error, SystemExit):
        said["exit_code"] = _text(repr(error.code))
    if isinstance(error, ModuleNotFoundError):
        said["module"] = _text(error.name) if error.name is not None else None
    if isinstance(error, SyntaxError):
        said["lineno"] = error.lineno
        said["line"] = _text((error.text or "").strip()) or None
        said["message"] = _text(error.msg)
    else:
        said.update(_frame(error, path))
    return said


def work(in_fd: int, out_fd: int, memory: int) -> None:
    """Import the learner's file, send its constants, run each trial, send each outcome."""
    import importlib.util
    import resource

    os.setpgid(0, 0)
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    for limit, value in ((resource.RLIMIT_AS, memory), (resource.RLIMIT_CORE, 0)):
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(limit, (value, value))
    scope_to_itself()  # no signal to, and no /proc/<pid>/fd of, the grader's processes
    me = os.getpid()
    reader = os.fdopen(in_fd, "rb")
    out = _Channel(out_fd)
    setup = json.loads(reader.readline())
    path, function = os.path.abspath(setup["file"]), setup["function"]
    name = "deltagrad_grade_" + "".join(c if c.isalnum() else "_" for c in path)
    # the file may import its neighbours, and deltagrad (the grader's own copy, installed or not)
    sys.path[0:0] = [
        os.path.dirname(path),
        *(p for p in setup.get("path", []) if p not in sys.path),
    ]
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {path!r}: give a Python file such as backprop.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # as an import would (dataclasses in the file look it up)
        spec.loader.exec_module(module)
    except BaseException as e:
        if os.getpid() == me:  # not a copy the file forked
            out.send({"event": "import_failed", **_raised(e, path)})
        return
    if os.getpid() != me:
        os._exit(0)
    constants: dict[str, Any] = {}
    for constant in CONSTANTS:
        try:
            if hasattr(module, constant):
                value = getattr(module, constant)
                constants[constant] = value[:100] if isinstance(value, str) else plain(value)
        except BaseException:
            constants[constant] = _opaque("value that could not be read")
    try:
        fn = getattr(module, function, None)
        has, can_call = fn is not None, callable(fn)
    except BaseException:
        fn, has, can_call = None, False, False
    out.send({"event": "imported", "constants": constants, "has": has, "callable": can_call})
    line = reader.readline()
    if not line or not can_call:
        return
    inputs = json.loads(line)["inputs"]
    for trial, args in enumerate(inputs):
        message: dict[str, Any] = {"event": "trial", "trial": trial}
        try:
            returned = fn(*args)  # type: ignore[misc]
        except BaseException as e:
            if os.getpid() != me:
                os._exit(0)
            out.send({**message, "raised": _raised(e, path)})
            break
        if os.getpid() != me:
            os._exit(0)
        try:
            data = plain(returned)
        except BaseException:
            data = _opaque("value that could not be read")
        out.send({**message, "returned": data})
    out.send({"event": "done"})


def main(argv: list[str]) -> None:
    """Entry point: IN OUT STATUS TIMEOUT MEMORY."""
    in_fd, out_fd, status_fd = (int(a) for a in argv[:3])
    supervise(in_fd, out_fd, status_fd, float(argv[3]), int(argv[4]))


if __name__ == "__main__":
    main(sys.argv[1:])
