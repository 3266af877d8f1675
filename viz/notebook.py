"""Notebook display: a network's drawing, pages shown inline, and fit()'s loss curve.

Importing viz registers these with nn.display (nn never imports viz), so in Jupyter a Module
shows its table of layers and a drawing of the network, and fit()'s history its loss curve.
stepper_page() and playground_page() return a Page: the offline page of write_stepper or
write_playground, shown inline in a sandboxed <iframe srcdoc=...> (no file, no server, no
network) and written to a file with .save(path).
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from typing import Any

from autograd import Value
from nn import display
from nn import notation as notations
from nn.notation import Name, Notation

from .draw import GROUP_ROLES, ROLES
from .playground import playground_html
from .plots import loss_curve_svg
from .stepper import stepper_html

__all__ = ["MAX_SHOWN", "Page", "fit_width", "network_svg", "playground_page", "stepper_page"]

MAX_SHOWN = 8  # neurons drawn per layer; a wider layer shows its first ones, ⋮ and its last

_GAP_X, _GAP_Y, _R = 150, 38, 13
_EDGE = "#b8b8b8"
_INK = "#333333"


def fit_width(svg: str) -> str:
    """svg scaled down to the width of the window or output area when it is wider (never up).

    The width and height Graphviz writes stay (a README's image keeps its size); a standalone
    file opened in a browser narrower than the drawing is scaled down instead of cut off.
    """
    start = svg.find("<svg")
    if start == -1 or svg.startswith(' style="max-width:100%', start + 4):
        return svg  # no drawing, or already fitted
    return svg[: start + 4] + ' style="max-width:100%;height:auto"' + svg[start + 4 :]


def _shown(n: int) -> list[int | None]:
    """The neuron indices drawn for a layer of n (None marks the ⋮ between them)."""
    if n <= MAX_SHOWN:
        return list(range(n))
    return [*range(MAX_SHOWN - 2), None, n - 1]


def network_svg(
    sizes: Sequence[int],
    activations: Sequence[str],
    *,
    first_layer: int = 2,
    notation: str | Notation | None = None,
) -> str:
    """A drawing of a fully connected network: a column of neurons per layer, every edge.

    sizes[0] is the number of inputs, sizes[i] the width of the i-th layer with weights, whose
    activation is activations[i − 1]; first_layer is that first layer's number in Nielsen's
    numbering (the input is layer 1). Layers are numbered and neurons named in `notation`.
    """
    if len(sizes) != len(activations) + 1 or any(n < 1 for n in sizes):
        raise ValueError(
            f"network_svg: sizes {list(sizes)} need one width per layer and one activation per "
            f"layer after the input, got {len(activations)} activations"
        )
    n = notations.get(notation)
    columns = [_shown(size) for size in sizes]
    tallest = max(len(c) for c in columns)
    width = 90 + _GAP_X * (len(sizes) - 1) + 90
    top = 58
    height = top + _GAP_Y * (tallest - 1) + 70

    def position(col: int, row: int) -> tuple[float, float]:
        rows = len(columns[col])
        y0 = top + (tallest - rows) * _GAP_Y / 2
        return 90 + col * _GAP_X, y0 + row * _GAP_Y

    body: list[str] = []
    for col in range(len(sizes) - 1):  # edges first, under the neurons
        for r1, j1 in enumerate(columns[col]):
            for r2, j2 in enumerate(columns[col + 1]):
                if j1 is None or j2 is None:
                    continue
                (x1, y1), (x2, y2) = position(col, r1), position(col + 1, r2)
                body.append(
                    f'<line x1="{x1 + _R}" y1="{y1:.1f}" x2="{x2 - _R}" y2="{y2:.1f}" '
                    f'stroke="{_EDGE}" stroke-width="0.8"/>'
                )
    last = len(sizes) - 1
    for col, rows in enumerate(columns):
        layer = first_layer - 1 + col  # Nielsen's number of this column
        fill = GROUP_ROLES["inputs"][0] if col == 0 else ROLES["activation"][0]
        quantity = "input" if col == 0 else "activation"
        for row, j in enumerate(rows):
            x, y = position(col, row)
            if j is None:
                body.append(_text(x, y + 6, "⋮", size=20))
                continue
            body.append(
                f'<circle cx="{x}" cy="{y:.1f}" r="{_R}" fill="{fill}" stroke="{_INK}" '
                'stroke-width="1"/>'
            )
            if col == 0 or col == last:  # the inputs and outputs are named beside them
                name = notations.render(Name(quantity, layer, j), n, "unicode")
                side = -1 if col == 0 else 1
                body.append(_text(x + side * (_R + 5), y + 5, name, "end" if col == 0 else "start"))
        x = position(col, 0)[0]
        shown = notations.layer_number(layer, n)
        what = "input" if col == 0 else ("output" if col == last else "hidden")
        body.append(_text(x, 22, f"layer {shown}", weight="bold"))
        body.append(_text(x, 40, what if col == 0 else f"{what}: {activations[col - 1]}"))
        count = f"{sizes[col]} input{'s' if sizes[col] != 1 else ''}" if col == 0 else ""
        count = count or f"{sizes[col]} neuron{'s' if sizes[col] != 1 else ''}"
        body.append(_text(x, height - 14, count, colour="#555555"))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" '
        f'font-size="13" class="network">'
        f"<title>network {'-'.join(map(str, sizes))}</title>" + "".join(body) + "</svg>"
    )


def _text(
    x: float,
    y: float,
    text: str,
    anchor: str = "middle",
    *,
    size: int | None = None,
    weight: str | None = None,
    colour: str = _INK,
) -> str:
    extra = f' font-size="{size}"' if size else ""
    extra += f' font-weight="{weight}"' if weight else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{colour}"{extra}>'
        f"{html.escape(text)}</text>"
    )


def _module_display(module: object) -> dict[str, str] | None:
    # a Module in a notebook: nn's table of layers beside a drawing of the network
    found = display.layers_of(module)
    if found is None:
        return None
    sizes, activations, first = found
    drawing = network_svg(sizes, activations, first_layer=first)
    table = display.summary_html(module)
    return {
        "text/html": "<div style='display:flex;flex-wrap:wrap;gap:24px;align-items:center'>"
        f"{table}<div>{drawing}</div></div>"
    }


def _history_display(history: Sequence[float]) -> dict[str, str] | None:
    # fit()'s history in a notebook: the loss curve (nothing to plot: the list alone)
    try:
        svg = loss_curve_svg(history)
    except ValueError:  # empty, or NaN/inf in it
        return None
    return {"image/svg+xml": svg}


class Page:
    """An offline HTML page shown inline in a notebook (a sandboxed iframe); .save(path) writes it.

    .html is the page's text, the same a write_... function writes to a file.
    """

    def __init__(self, page: str, title: str, height: int = 620) -> None:
        self.html = page
        self.title = title
        self.height = height

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the page to path (UTF-8), to open in a browser on its own."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.html)

    def __repr__(self) -> str:
        return (
            f"<{self.title}: an offline HTML page of {len(self.html):,} characters; a notebook "
            "shows it inline, .save(path) writes it>"
        )

    def _repr_html_(self) -> str:
        # srcdoc holds the whole page; sandbox lets its scripts run and nothing else (no
        # network, no access to the notebook around it)
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox="allow-scripts" '
            f'title="{html.escape(self.title)}" class="deltagrad-page" '
            f'style="width:100%;height:{self.height}px;border:1px solid #ccc;'
            'border-radius:4px"></iframe>'
        )


def stepper_page(root: Value, *, height: int = 620, **options: Any) -> Page:
    """The backward-pass stepper of root (stepper_html(root, **options)) as a Page."""
    return Page(stepper_html(root, **options), "backward-pass stepper", height)


def playground_page(
    recording: Any,
    model: Any,
    xs: Sequence[Sequence[float]],
    ys: Sequence[int],
    *,
    height: int = 900,
    **options: Any,
) -> Page:
    """The training playground (playground_html(recording, model, xs, ys, **options)) as a Page."""
    return Page(playground_html(recording, model, xs, ys, **options), "training playground", height)


display.set_display_hook("module", _module_display)
display.set_display_hook("history", _history_display)
