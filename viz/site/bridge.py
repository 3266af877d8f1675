"""The one entry point a page's worker calls: a JSON request in, a JSON answer out.

A request names a page's Python module (one of PAGES, imported as viz.site.<page>), one of the
functions that module lists in its CALLS table, and keyword arguments. The answer is
{"ok": true, "result": ...} or {"ok": false, "error": {"type", "message"}}: an exception in a
call is an answer the page shows, never a crash of the worker. Results must be JSON (finite
numbers: a page shows numbers as the Python formatter wrote them).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import platform
import sys
from collections.abc import Callable
from typing import Any

from autograd import __version__

from ..render import available_renderers

__all__ = ["DESKTOP_ONLY", "PAGES", "call", "info"]

PAGES = ("site", "playground", "lab", "check")  # "site": this module's own calls

# What only a desktop Python runs: the in-process SVG renderer's wasm runtime, the terminal's
# progress bar, the grader's child processes. A page must never import them.
DESKTOP_ONLY = ("wasmtime", "tqdm", "nn.isolation")


def info() -> dict[str, Any]:
    """What runs the pages: deltagrad's and Python's versions, the platform, the renderers."""
    return {
        "deltagrad": __version__,
        "python": platform.python_version(),
        "platform": sys.platform,
        "numpy": importlib.util.find_spec("numpy") is not None,
        "renderers": available_renderers(),
        "desktop_modules": [name for name in DESKTOP_ONLY if name in sys.modules],
    }


CALLS: dict[str, Callable[..., Any]] = {"info": info}


def _calls(page: str) -> dict[str, Callable[..., Any]]:
    if page not in PAGES:
        raise ValueError(f"no page {page!r}; the pages are {', '.join(PAGES)}")
    if page == "site":
        return CALLS
    module = importlib.import_module(f"viz.site.{page}")
    table: dict[str, Callable[..., Any]] = module.CALLS
    return table


def call(request: str) -> str:
    """Answer one JSON request {"page", "fn", "args"} with a JSON answer (never raises)."""
    try:
        message = json.loads(request)
        if not isinstance(message, dict):
            raise ValueError("a request is a JSON object with page, fn and args")
        page, fn, args = message.get("page"), message.get("fn"), message.get("args", {})
        if not isinstance(args, dict):
            raise ValueError(f"a request's args are a JSON object, got {type(args).__name__}")
        table = _calls(str(page))
        if fn not in table:
            raise ValueError(f"page {page!r} has no call {fn!r}; it has {', '.join(sorted(table))}")
        result = table[fn](**args)
        return json.dumps({"ok": True, "result": result}, allow_nan=False)
    except Exception as e:  # the page shows the error; the worker goes on answering
        error = {"type": type(e).__name__, "message": str(e) or type(e).__name__}
        return json.dumps({"ok": False, "error": error})
