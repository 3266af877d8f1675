"""How a notebook shows nn's objects: a Module's summary table and fit()'s History.

nn never imports viz. A Module shows an HTML table of its layers by itself; viz, when it is
imported, registers richer forms here (a drawing of the network, the loss curve) with
set_display_hook, as it registers a Value's graph with autograd.set_display_hook.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from . import notation as notations

__all__ = ["KINDS", "History", "mimebundle", "set_display_hook", "summary_html", "summary_rows"]

Bundle = dict[str, str]
DisplayHook = Callable[[Any], Bundle | None]
KINDS = ("module", "history")
_hooks: dict[str, DisplayHook] = {}


def set_display_hook(kind: str, fn: DisplayHook | None) -> None:
    """Register how notebooks display a 'module' or a 'history' (None removes the hook)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if fn is None:
        _hooks.pop(kind, None)
    else:
        _hooks[kind] = fn


def mimebundle(kind: str, obj: object, bundle: Bundle) -> Bundle:
    """bundle (text/plain and nn's own forms) with what the registered hook adds or replaces."""
    hook = _hooks.get(kind)
    extra = None if hook is None else hook(obj)
    return bundle if extra is None else {**bundle, **extra}


class History(list[float]):
    """fit()'s result: the batch loss of each step, a plain list; a notebook plots it.

    The plot comes from viz (its loss curve), once viz is imported; without it a notebook
    shows the list.
    """

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> Bundle:
        # Jupyter's rich display: the loss curve that viz registers, over the list's own text
        return mimebundle("history", self, {"text/plain": list.__repr__(self)})


def _sizes(module: object) -> tuple[list[int], list[str]] | None:
    """(sizes, activations) of an MLP, Layer or Neuron: sizes[0] inputs, then each layer's width."""
    architecture = getattr(module, "architecture", None)
    arch = architecture() if callable(architecture) else None
    if not isinstance(arch, dict):
        return None
    kind = arch.get("kind")
    if kind == "MLP":
        return list(arch["sizes"]), list(arch["activations"])
    if kind == "Layer":
        return [arch["nin"], arch["nout"]], [arch["activation"]]
    if kind == "Neuron":
        return [arch["nin"], 1], [arch["activation"]]
    return None


def layers_of(module: object) -> tuple[list[int], list[str], int] | None:
    """(sizes, activations, Nielsen's number of the first layer with weights), or None."""
    found = _sizes(module)
    if found is None:
        return None
    first = getattr(module, "layer_index", 2)
    return found[0], found[1], first if isinstance(first, int) else 2


def summary_rows(module: object, notation: Any = None) -> list[dict[str, str]]:
    """One row per layer (input first) as HTML cells: layer, neurons, activation, w, b, count.

    Layers are numbered and w, b named in `notation` (None: the active one).
    """
    n = notations.get(notation)
    found = layers_of(module)
    if found is None:
        return []
    sizes, activations, first = found
    rows = [
        {
            "layer": f"{notations.layer_number(first - 1, n)} (input)",
            "neurons": str(sizes[0]),
            "activation": "",
            "weights": "",
            "biases": "",
            "parameters": "",
        }
    ]
    last = len(activations) - 1
    for i, activation in enumerate(activations):
        layer = first + i
        nin, nout = sizes[i], sizes[i + 1]
        shape = f"{nout}×{nin}" if n.index_order == "jk" else f"{nin}×{nout}"
        # the layer's weights and biases as vectors (LFD's biases are the weights w^(l)_0j)
        weights, bias = (
            notations.write(notations.term(q, layer, notation=n), "html")
            for q in ("weight", "bias")
        )
        rows.append(
            {
                "layer": f"{notations.layer_number(layer, n)}" + (" (output)" if i == last else ""),
                "neurons": str(nout),
                "activation": activation,
                "weights": f"{weights} ({shape})",
                "biases": f"{bias} ({nout})",
                "parameters": str(nout * (nin + 1)),
            }
        )
    return rows


_COLUMNS = ("layer", "neurons", "activation", "weights", "biases", "parameters")
_STYLE = "border-collapse:collapse;font-size:13px;margin:4px 0"
_CELL = "padding:2px 10px;border-bottom:1px solid #ddd"
_ALIGN = {c: "right" if c in ("neurons", "parameters") else "left" for c in _COLUMNS}


def summary_html(module: object, notation: Any = None) -> str:
    """An HTML table of the module's layers and its parameter count (any Module: its tensors)."""
    title = html.escape(repr(module))
    parameters = getattr(module, "parameters", None)
    count = len(parameters()) if callable(parameters) else 0
    rows = summary_rows(module, notation)
    head = f"<div class='deltagrad-summary'><div><code>{title}</code></div>"
    if not rows:  # a Module of one's own: its parameter tensors by key
        tensors = getattr(module, "named_parameters", None)
        keys = [name for name, _ in tensors()] if callable(tensors) else []
        shown = ", ".join(html.escape(k) for k in keys[:12]) + (", …" if len(keys) > 12 else "")
        return head + f"<div>{count} parameters: {shown}</div></div>"
    cells = "".join(f"<th style='{_CELL};text-align:{_ALIGN[c]}'>{c}</th>" for c in _COLUMNS)
    body = "".join(
        "<tr>"
        + "".join(f"<td style='{_CELL};text-align:{_ALIGN[c]}'>{row[c]}</td>" for c in _COLUMNS)
        + "</tr>"
        for row in rows
    )
    total = f"<tr><td colspan='5' style='{_CELL};text-align:left'><b>total</b></td>"
    total += f"<td style='{_CELL};text-align:right'>"
    total += f"<b>{count}</b></td></tr>"
    return head + f"<table style='{_STYLE}'><tr>{cells}</tr>{body}{total}</table></div>"
