"""deltagrad's drawings: graphs as SVG, explain(), the backward stepper and the training playground.

Importing viz also makes a Value display its graph in a notebook (for graphs of up to
DISPLAY_MAX_NODES nodes; bigger ones, or a machine without a Graphviz renderer, show the repr).
"""

from __future__ import annotations

from typing import Any

from autograd import Value, set_display_hook

from .draw import build, count_nodes, draw
from .explain import Explanation, explain
from .names import svg_tspans
from .playground import playground_html, write_playground
from .render import RendererUnavailable, available_renderers, render_svg
from .stepper import stepper_html, write_stepper

__all__ = [
    "DISPLAY_MAX_NODES",
    "Explanation",
    "RendererUnavailable",
    "available_renderers",
    "draw",
    "explain",
    "playground_html",
    "render_svg",
    "stepper_html",
    "svg",
    "write_playground",
    "write_stepper",
]

DISPLAY_MAX_NODES = 150


def svg(root: Value, *, renderer: str = "auto", **draw_kwargs: Any) -> str:
    """The SVG text of draw(root, **draw_kwargs) (notation= too), sub/superscripts as tspans.

    renderer is 'auto', 'dot' or 'wasm'; both set labels the same way.
    """
    graph, typeset = build(root, **draw_kwargs)
    return fit_width(svg_tspans(render_svg(graph.source, renderer), typeset.fragments))


def fit_width(svg_text: str) -> str:
    """svg_text whose drawing shrinks to the width of the window or page it is shown in.

    The width and height Graphviz writes stay (a README's image keeps its size); a standalone
    file opened in a browser narrower than the drawing is scaled down instead of cut off.
    """
    return svg_text.replace("<svg ", '<svg style="max-width:100%;height:auto" ', 1)


def _display(value: Value) -> dict[str, str] | None:
    # Jupyter's rich display of a Value: its graph as SVG, or None to fall back to the repr
    if count_nodes(value, DISPLAY_MAX_NODES + 1) > DISPLAY_MAX_NODES:
        return None
    try:
        text = svg(value)
    except RendererUnavailable:
        return None
    return {"image/svg+xml": text, "text/plain": repr(value)}


set_display_hook(_display)
