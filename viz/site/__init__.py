"""deltagrad in the browser: a static site whose pages run deltagrad itself, through Pyodide.

`build(out)` (or `deltagrad site --out DIR`) writes a folder that any static file server can
host: the pages, Pyodide's core runtime and the Graphviz WebAssembly build (both from npm, at
build time, pinned below), and deltagrad's own wheel built from the checkout. Each page starts
one Web Worker (static/worker.js) that boots Pyodide, installs the wheels and answers the page's
calls through `viz.site.bridge`; JavaScript draws and handles input, Python computes every
number a page shows. Nothing is fetched from any other host when the site runs.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PYODIDE_VERSION", "VIZ_JS_VERSION", "SiteError", "build"]


def __getattr__(name: str) -> Any:
    # the builder (npm, pip: subprocess) is imported when asked for, not by the pages' Python
    if name in __all__:
        from . import builder

        return getattr(builder, name)
    raise AttributeError(f"module 'viz.site' has no attribute {name!r}")
