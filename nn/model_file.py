"""Model files: the JSON document that Module.save writes and Module.load reads.

A model file is one JSON object:

    {"format": "deltagrad.state_dict", "version": 2,
     "architecture": {"kind": "MLP", "sizes": [...], "activations": [...], "expand": false},
     "state": {...}}

``state`` is the module's ``state_dict()``; ``architecture`` is its ``architecture()`` (a module
that records none leaves it out). Version 1 files have no architecture and are still read.
This module knows documents and paths only; the module's parameters are checked and assigned by
``Module.load_state_dict``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import tempfile
import time
from collections.abc import Mapping
from typing import Any

from .words import short

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MAX_BYTES",
    "READABLE_VERSIONS",
    "STALE_SECONDS",
    "read",
    "read_regular_file",
    "write",
]

FORMAT = "deltagrad.state_dict"
# version 2 adds "architecture" (sizes, activations, expand); version 1 files are still read
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
# the largest model file read() accepts (64 MiB, about 3 million parameters); pass max_bytes=
# to read() or Module.load(), or change this constant, to read larger ones
MAX_BYTES = 64 * 1024 * 1024
# a save's temporary untouched this long belongs to a save that was killed: the next save to the
# same path removes it. A live save finishes in milliseconds, so it is never one of these.
STALE_SECONDS = 10 * 60


def read_regular_file(path: str, max_bytes: int, verb: str, what: str, larger: str) -> bytes:
    """The bytes of the regular file at path (symlinks followed), at most max_bytes of them.

    Raises FileNotFoundError, IsADirectoryError or PermissionError saying "cannot {verb} path",
    and ValueError for a device, FIFO or socket (opened without waiting, never read) or a file
    over max_bytes, in one line naming the path, the limit and what to do.
    """
    fail = f"cannot {verb} {path!r}"
    try:
        # O_NONBLOCK: should the path become a FIFO after the check below, open does not wait
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise FileNotFoundError(f"{fail}: no such file") from None
    except IsADirectoryError:
        raise IsADirectoryError(f"{fail}: it is a folder; give the file's name") from None
    except PermissionError:
        raise PermissionError(
            f"{fail}: permission denied; make the file readable (chmod u+r) or copy it "
            "somewhere you can read"
        ) from None
    except OSError as e:  # a socket, a name too long, ...
        raise type(e)(e.errno, f"{fail}: {e.strerror or e}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(f"{fail}: it is a folder; give the file's name")
        raise ValueError(
            f"{fail}: it is not a regular file (a device, pipe or socket, after following "
            f"symbolic links); give {what}"
        )
    with os.fdopen(fd, "rb") as f:
        raw = f.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise ValueError(
            f"{fail}: it is larger than the limit of {max_bytes:,} bytes; give a smaller file, "
            f"or {larger}"
        )
    return raw


def write(
    path: str | os.PathLike[str], architecture: Mapping[str, Any] | None, state: Mapping[str, Any]
) -> None:
    """Write a model file (architecture and state) to path as JSON, atomically."""
    document: dict[str, Any] = {"format": FORMAT, "version": FORMAT_VERSION}
    if architecture is not None:
        document["architecture"] = dict(architecture)
    document["state"] = dict(state)
    _atomic_write_json(os.fspath(path), document)


def read(
    path: str | os.PathLike[str],
    architecture: Mapping[str, Any] | None,
    max_bytes: int | None = None,
) -> dict[str, Any]:
    """The state of the model file at path, checked against the architecture that will load it.

    Raises ValueError if the file is not one write() made, or (version 2) was written from
    another architecture, saying what differs, or is not a regular file, or is larger than
    max_bytes (default MAX_BYTES, 64 MiB); FileNotFoundError, IsADirectoryError or
    PermissionError for a path that names no readable file.
    """
    path = os.fspath(path)
    limit = MAX_BYTES if max_bytes is None else max_bytes
    raw = read_regular_file(
        path,
        limit,
        "load",
        "a model file written by Module.save",
        "pass load a larger max_bytes (or raise nn.model_file.MAX_BYTES)",
    )
    try:
        document = json.loads(raw.decode("utf-8"))
    except ValueError as e:  # JSONDecodeError or UnicodeDecodeError
        raise ValueError(
            f"{path} is not valid JSON ({e}); load reads files written by Module.save"
        ) from None
    except RecursionError:
        raise ValueError(
            f"{path} is not a deltagrad state_dict file: its JSON is nested too deeply to "
            "read; load reads files written by Module.save"
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(
            f"{path} is not a deltagrad state_dict file: expected a JSON object with "
            f'"format": "{FORMAT}"; write one with Module.save'
        )
    version = document.get("version")
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        raise ValueError(
            f"{path} has format version {short(version)}, but this deltagrad reads "
            f"versions {' and '.join(map(str, READABLE_VERSIONS))}"
        )
    if version >= 2:
        _check_architecture(path, document.get("architecture"), architecture)
    state = document.get("state")
    if not isinstance(state, dict):
        raise ValueError(f'{path} has no "state" object; it was not written by Module.save')
    return state


def _check_architecture(path: str, saved: object, mine: Mapping[str, Any] | None) -> None:
    # A version-2 file records what save's module was; loading into another one is refused.
    if mine is None:
        return  # a module that records no architecture reads the numbers only
    if not isinstance(saved, dict):
        raise ValueError(f'{path} has no "architecture" object; it was not written by Module.save')
    differences = [
        f"{key} {short(saved.get(key))} in the file, {short(mine.get(key))} here"
        for key in dict.fromkeys([*mine, *saved])
        if saved.get(key) != mine.get(key)
    ]
    if differences:
        raise ValueError(
            f"{path} was saved from a different architecture: "
            + "; ".join(differences)
            + "; build the model the file was saved from, then load"
        )


def _atomic_write_json(path: str, document: object) -> None:
    # Write a temporary file next to the target, make it durable, then rename it over the target:
    # os.replace is atomic, so a reader sees either the old file or the new one, never a mix.
    # Each save has its own temporary (mkstemp), so concurrent saves to one path all succeed and
    # the last rename wins. A symbolic link stays a link: its target is written, in its folder.
    target = os.path.realpath(path) if os.path.islink(path) else path
    directory = os.path.dirname(os.path.abspath(target))
    name = os.path.basename(target)
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"cannot save to {path!r}: the folder {directory!r} does not exist; create it first "
            "(os.makedirs)"
        )
    if os.path.isdir(path) or not name:
        raise IsADirectoryError(
            f"cannot save to {path!r}: it is a folder; give a file name such as "
            f"{os.path.join(path, 'model.json')!r}"
        )
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    except OSError as e:
        raise type(e)(e.errno, f"cannot save to {path!r}: {e.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            # mkstemp makes the file private (0o600); give it the old file's mode, or rw-r--r--
            try:
                mode = stat.S_IMODE(os.stat(target).st_mode)
            except FileNotFoundError:
                mode = 0o644
            os.chmod(tmp, mode)
            json.dump(document, f, allow_nan=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise type(e)(e.errno, f"cannot save to {path!r}: {e.strerror or e}") from None
        raise
    _fsync_directory(directory)
    _remove_stale_temporaries(directory, name)


def _remove_stale_temporaries(directory: str, name: str) -> None:
    # Temporaries of earlier saves to this path that were killed before their rename: exactly
    # mkstemp's pattern for this name (a dot, the name, 8 random characters, .tmp), nothing else,
    # and only those untouched for STALE_SECONDS: a younger one may be another process's live
    # save, which must not lose its temporary before its rename.
    pattern = re.compile(re.escape(f".{name}.") + r"[a-z0-9_]{8}\.tmp")
    try:
        entries = os.listdir(directory)
    except OSError:
        return
    now = time.time()
    for entry in entries:
        if pattern.fullmatch(entry):
            full = os.path.join(directory, entry)
            with contextlib.suppress(OSError):
                if now - os.lstat(full).st_mtime > STALE_SECONDS:
                    os.unlink(full)


def _fsync_directory(directory: str) -> None:
    # Make the rename itself durable where the platform allows it (POSIX); best effort elsewhere.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
