"""A learner's file as the grader reads it, wherever it runs: its settings, why it did not import.

Shared by the desktop grader (nn.isolation, which runs the file in a child process) and the
browser's check page (viz.site.check, which runs it in the page's own Python), so both read the
same constants and say the same sentence for the same failure. Nothing here starts a process.
"""

from __future__ import annotations

from typing import Any

__all__ = ["NUMPY_INSTALL", "SETTINGS", "constant_setting", "import_failure", "memory_size"]

# the settings a learner's file may set as module constants, with their defaults; a setting
# given to the grader (the command line's options, the page's choices) wins over the file's
SETTINGS: dict[str, tuple[str, Any]] = {
    "net": ("NET", [2, 3, 1]),
    "activation": ("ACTIVATION", "sigmoid"),
    "output_activation": ("OUTPUT_ACTIVATION", "sigmoid"),
    "cost": ("COST", "quadratic"),
    "batch": ("BATCH", None),
}

# what to do when a file imports numpy and the grader's Python has none (on the desktop)
NUMPY_INSTALL = "pip install 'deltagrad[exercises]' (or pip install numpy), then grade it again"


def constant_setting(name: str, value: Any) -> Any:
    """A module constant (as plain data: lists of floats, str, None) as the setting it names;
    ValueError if it is none."""
    if name == "NET":
        if isinstance(value, str):
            parts = value.split(",")
            if all(p.strip().isdigit() for p in parts):
                return [int(p) for p in parts]
        elif isinstance(value, list) and all(
            isinstance(v, float) and v.is_integer() and abs(v) < 1e9 for v in value
        ):
            return [int(v) for v in value]
        raise ValueError(f"NET must list the layer widths, such as [2, 3, 1], got {value!r}")
    if name == "BATCH":
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e9:
            return int(value)
        raise ValueError(f"BATCH must be a positive int or None, got {value!r}")
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a name such as 'sigmoid', got {value!r}")
    return value


def memory_size(memory: int) -> str:
    """A memory limit in bytes as a person reads it: 1 GiB, 512 MiB."""
    return f"{memory / (1 << 30):g} GiB" if memory >= 1 << 30 else f"{memory / (1 << 20):g} MiB"


def import_failure(
    said: dict[str, Any], memory: int | None = None, numpy_install: str = NUMPY_INSTALL
) -> tuple[str, str]:
    """(cause, reason) for a file whose import raised, from what was said about the exception
    (error, message, line, lineno, module, exit_code). memory: the grader's memory limit, if it
    sets one; numpy_install: what to do where numpy is missing (it differs in a browser)."""
    error = str(said.get("error", "an error"))[:200]
    message = str(said.get("message", ""))[:2000]
    line, lineno = said.get("line"), said.get("lineno")
    lineno = lineno if isinstance(lineno, int) else None
    code = f": `{line}`" if isinstance(line, str) and line else ""
    where = f" (line {lineno}{code})" if lineno is not None else ""
    module = said.get("module")
    if (
        error == "ModuleNotFoundError"
        and isinstance(module, str)
        and module.split(".")[0] == "numpy"
    ):
        return "numpy", f"it imports numpy, which is not installed here: {numpy_install}"
    if error == "SyntaxError":
        what = f"SyntaxError: {message}{where}"
    elif "exit_code" in said:
        what = f"it called sys.exit({str(said['exit_code'])[:200]}){where} while being imported"
    else:
        what = f"{error}: {message}{where}"
        if error == "MemoryError" and memory is not None:
            what += f" (the memory limit is {memory_size(memory)}; --memory sets it)"
    return "import", f"could not be imported: {what}"
