"""deltagrad's drawings: graphs as SVG, explain(), the backward stepper and the training playground.

Importing viz also makes a Value display its graph in a notebook (for graphs of up to
DISPLAY_MAX_NODES nodes; bigger ones, or a machine without a Graphviz renderer, show the repr),
a Module its layers and a drawing of the network, and fit()'s history its loss curve
(viz.notebook); stepper_page() and playground_page() show those pages inline.
"""

from __future__ import annotations

from typing import Any

from autograd import Value, set_display_hook

from .draw import (
    ASPECT,
    build,
    collapsed_choice,
    count_nodes,
    draw,
    fits_screen,
    svg_labels,
    svg_size,
)
from .explain import Explanation, explain
from .notebook import Page, fit_width, network_svg, playground_page, stepper_page
from .playground import playground_html, write_playground
from .render import RendererUnavailable, available_renderers, render_svg
from .stepper import stepper_html, write_stepper

__all__ = [
    "DISPLAY_MAX_NODES",
    "Explanation",
    "Page",
    "RendererUnavailable",
    "available_renderers",
    "draw",
    "explain",
    "network_svg",
    "playground_html",
    "playground_page",
    "render_svg",
    "stepper_html",
    "stepper_page",
    "svg",
    "write_playground",
    "write_stepper",
]

DISPLAY_MAX_NODES = 150


def svg(root: Value, *, renderer: str = "auto", **draw_kwargs: Any) -> str:
    """The SVG text of draw(root, **draw_kwargs) (notation= too), sub/superscripts as tspans.

    A drawing too tall for a screen (draw.fits_screen) has its ranks spread out to a screen's
    shape, so that fitted to the window's width it is on screen whole.

    renderer is 'auto', 'dot' or 'wasm'; both set labels the same way.
    """
    graph, labels = build(root, **draw_kwargs)
    drawn = _fitted(graph, renderer)
    # the estimate let the whole graph through, but drawn it does not fit: collapse it
    whole = labels.auto and labels.collapse is None
    if whole and not fits_screen(*svg_size(drawn)) and collapsed_choice(root) is not None:
        graph, labels = build(root, **draw_kwargs, full=False)
        drawn = _fitted(graph, renderer)
    return fit_width(svg_labels(drawn, labels))


def _fitted(graph: Any, renderer: str) -> str:
    """graph rendered; one too tall for a screen's shape has its ranks spread apart (dot's
    ratio moves the nodes, never shrinks them), so that fitted to a window's width it is on
    screen whole."""
    drawn = render_svg(graph.source, renderer)
    width, height = svg_size(drawn)
    if not fits_screen(width, height) and height > ASPECT * width:
        graph.graph_attr["ratio"] = f"{ASPECT}"
        drawn = render_svg(graph.source, renderer)
    return drawn


def _display(value: Value) -> dict[str, str] | None:
    # Jupyter's rich display of a Value: its graph as SVG, or None to fall back to the repr
    if count_nodes(value, DISPLAY_MAX_NODES + 1) > DISPLAY_MAX_NODES:
        return None
    try:
        text = svg(value)
    except RendererUnavailable:
        return None
    return {"image/svg+xml": text, "text/plain": repr(value)}  # svg() fits the width


set_display_hook(_display)
