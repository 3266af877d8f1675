"""The training playground: one offline HTML page that replays a Recorder's steps of fit()."""

from __future__ import annotations

import html
import math
import os
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

from .stepper import _script_json

__all__ = ["name_html", "playground_html", "write_playground"]

NOTATIONS = ("nielsen",)

# Nielsen's names: (base, superscript, subscript) with {l} the layer (the input is layer 1),
# {j} the neuron of layer l and {k} the neuron of layer l − 1.
_NIELSEN = {
    "w": ("w", "{l}", "{j},{k}"),
    "b": ("b", "{l}", "{j}"),
    "z": ("z", "{l}", "{j}"),
    "a": ("a", "{l}", "{j}"),
    "delta": ("δ", "{l}", "{j}"),
    "x": ("x", "", "{k}"),
    "C": ("C", "", ""),
}


def _check_notation(notation: str | None) -> str:
    chosen = "nielsen" if notation is None else notation
    if chosen not in NOTATIONS:
        raise ValueError(
            f"unknown notation {notation!r} for the playground; choose one of "
            f"{', '.join(NOTATIONS)}"
        )
    return chosen


def name_html(
    quantity: str, layer: int = 0, j: int = 0, k: int = 0, notation: str | None = None
) -> str:
    """A quantity's typeset name in HTML (<sup>, <sub>): 'w', 'b', 'z', 'a', 'delta', 'x' or 'C'."""
    _check_notation(notation)
    base, sup, sub = _NIELSEN[quantity]
    fill = {"l": str(layer), "j": str(j), "k": str(k)}
    sup_text = sup.format(**fill)
    sub_text = sub.format(**fill)
    out = f"<i>{html.escape(base)}</i>" if base.isascii() else html.escape(base)
    if sup_text:
        out += f"<sup>{html.escape(sup_text)}</sup>"
    if sub_text:
        out += f"<sub>{html.escape(sub_text)}</sub>"
    return f'<span class="nm">{out}</span>'


def _names(sizes: list[int], notation: str | None) -> dict[str, Any]:
    # Every name the page shows, made here once: weight layer i (0-based) is Nielsen's l = i + 2.
    layers = range(len(sizes) - 1)
    return {
        "w": [
            [
                [name_html("w", i + 2, j, k, notation) for k in range(sizes[i])]
                for j in range(sizes[i + 1])
            ]
            for i in layers
        ],
        "b": [[name_html("b", i + 2, j, 0, notation) for j in range(sizes[i + 1])] for i in layers],
        "z": [[name_html("z", i + 2, j, 0, notation) for j in range(sizes[i + 1])] for i in layers],
        "delta": [
            [name_html("delta", i + 2, j, 0, notation) for j in range(sizes[i + 1])] for i in layers
        ],
        # a[0] is the input layer a^1 (= x); a[i + 1] is the output of weight layer i
        "a": [
            [name_html("a", i + 1, j, 0, notation) for j in range(sizes[i])]
            for i in range(len(sizes))
        ],
        "x": [name_html("x", 0, 0, k, notation) for k in range(sizes[0])],
        "C": name_html("C", notation=notation),
    }


def _recording_data(recording: Any) -> dict[str, Any]:
    data = recording.data() if callable(getattr(recording, "data", None)) else recording
    if not isinstance(data, Mapping) or data.get("format") != "deltagrad.recording":
        raise TypeError(
            "write_playground: recording must be an nn.record.Recorder (or its .data()) filled "
            f"by fit(..., record=Recorder(every=k)), got {type(recording).__name__}"
        )
    if not data.get("steps"):
        raise ValueError(
            "write_playground: the recording holds no steps; train with fit(..., record=...) first"
        )
    return dict(data)


def playground_html(
    recording: Any,
    model: Any,
    xs: Sequence[Sequence[float]],
    ys: Sequence[int],
    *,
    notation: str | None = None,
    title: str | None = None,
    about: str = "",
    rerun: str | None = None,
    features: Sequence[str] | None = None,
    classes: Sequence[str] | None = None,
) -> str:
    """The playground page (HTML text) for a recording of fit() on model with data (xs, ys)."""
    _check_notation(notation)
    data = _recording_data(recording)
    layers = getattr(model, "layers", None)
    if not layers:
        raise TypeError(f"write_playground: model must be an nn.MLP, got {type(model).__name__}")
    sizes = [layers[0].nin] + [layer.nout for layer in layers]
    first = data["steps"][0]
    if [len(w) for w in first["w"]] != sizes[1:] or len(first["w"][0][0]) != sizes[0]:
        raise ValueError(
            f"write_playground: the recording's layer sizes do not match the model "
            f"{'-'.join(map(str, sizes))}; record the same model you pass"
        )
    points = [[float(v) for v in x] for x in xs]
    labels = [int(y) for y in ys]
    if len(points) != len(labels) or not points:
        raise ValueError(
            f"write_playground: got {len(points)} inputs and {len(labels)} labels; pass the "
            "data fit() was trained on"
        )
    if any(len(p) != sizes[0] for p in points):
        raise ValueError(f"write_playground: every input needs {sizes[0]} numbers, as the model")
    for s in data["steps"]:
        for key in ("loss",):
            if not math.isfinite(s[key]):
                raise ValueError(
                    f"write_playground: the loss at step {s['step']} is {s[key]!r}; the training "
                    "diverged (try a smaller learning rate)"
                )
    acts = [layer.activation for layer in layers]
    seed = getattr(model, "seed", None)
    heading = title or f"Training playground: MLP {'-'.join(map(str, sizes))}"
    if rerun is None:
        rerun = (
            f"The same start: MLP({sizes[0]}, {sizes[1:]}, activation={acts[0]!r}, "
            f"output_activation={acts[-1]!r}, seed={seed!r}) and the same data."
        )
    page = {
        "sizes": sizes,
        "acts": acts,
        "xs": points,
        "ys": labels,
        "features": list(features) if features else [f"x{k}" for k in range(sizes[0])],
        "named": bool(features),
        "classes": list(classes) if classes else ["0", "1"],
        "seed": seed,
        "every": data.get("every"),
        "total": data.get("total_steps") or data["steps"][-1]["step"] + 1,
        "steps": data["steps"],
        "names": _names(sizes, notation),
    }
    parts = {
        "TITLE": html.escape(heading),
        "ABOUT": html.escape(about),
        "RERUN": html.escape(rerun),
        "DATA": _script_json(page),
    }
    template = resources.files("viz").joinpath("playground.html").read_text(encoding="utf-8")
    # one pass over the template, so text inside the data is never taken for a marker
    return re.sub(r"%(TITLE|ABOUT|RERUN|DATA)%", lambda m: parts[m.group(1)], template)


def write_playground(
    recording: Any,
    model: Any,
    xs: Sequence[Sequence[float]],
    ys: Sequence[int],
    path: str | os.PathLike[str],
    notation: str | None = None,
    **options: Any,
) -> None:
    """Write playground_html(recording, model, xs, ys, notation=notation, **options) to path."""
    text = playground_html(recording, model, xs, ys, notation=notation, **options)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
