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
from collections.abc import Mapping
from typing import Any

from .words import short

__all__ = ["FORMAT", "FORMAT_VERSION", "READABLE_VERSIONS", "read", "write"]

FORMAT = "deltagrad.state_dict"
# version 2 adds "architecture" (sizes, activations, expand); version 1 files are still read
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)


def write(
    path: str | os.PathLike[str], architecture: Mapping[str, Any] | None, state: Mapping[str, Any]
) -> None:
    """Write a model file (architecture and state) to path as JSON, atomically."""
    document: dict[str, Any] = {"format": FORMAT, "version": FORMAT_VERSION}
    if architecture is not None:
        document["architecture"] = dict(architecture)
    document["state"] = dict(state)
    _atomic_write_json(os.fspath(path), document)


def read(path: str | os.PathLike[str], architecture: Mapping[str, Any] | None) -> dict[str, Any]:
    """The state of the model file at path, checked against the architecture that will load it.

    Raises ValueError if the file is not one write() made, or (version 2) was written from
    another architecture, saying what differs; FileNotFoundError or IsADirectoryError for a
    path that names no file.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"cannot load {path!r}: it is a folder; give the model file's name")
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"cannot load {path!r}: no such file") from None
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
    directory = os.path.dirname(os.path.abspath(path))
    name = os.path.basename(path)
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
                mode = stat.S_IMODE(os.stat(path).st_mode)
            except FileNotFoundError:
                mode = 0o644
            os.chmod(tmp, mode)
            json.dump(document, f, allow_nan=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
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
    # mkstemp's pattern for this name (a dot, the name, 8 random characters, .tmp), nothing else.
    pattern = re.compile(re.escape(f".{name}.") + r"[a-z0-9_]{8}\.tmp")
    try:
        entries = os.listdir(directory)
    except OSError:
        return
    for entry in entries:
        if pattern.fullmatch(entry):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(directory, entry))


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
