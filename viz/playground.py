"""The training playground: one offline HTML page that replays a Recorder's steps of fit()."""

from __future__ import annotations

import html
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

from nn import notation as notation_records

from . import palette
from .numbers import javascript
from .plots import log_ticks, nice_ticks, tick_label, wants_log_scale
from .stepper import script_json, write_page

__all__ = [
    "PAGE_SIGMA",
    "about_line",
    "name_html",
    "playground_data",
    "playground_html",
    "write_playground",
]

NOTATIONS = notation_records.NOTATIONS  # the notations a page can be written in, by key

_QUANTITY = {
    "w": "weight",
    "b": "bias",
    "z": "preactivation",
    "delta": "preactivation",
    "a": "activation",
    "x": "input",
}
# σ(z) of every elementwise activation, as the JavaScript body of (z) => …: the page draws its
# heatmaps with these (pictures only; every number it prints was recorded by the engine). The
# one table the page has; tests check each row against the engine's op at sample points.
PAGE_SIGMA = {
    "linear": "z",
    "sigmoid": "1 / (1 + Math.exp(-z))",
    "tanh": "Math.tanh(z)",
    "relu": "Math.max(0, z)",
    "leaky_relu": "z > 0 ? z : 0.01 * z",
    "softplus": "Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)))",
    "elu": "z > 0 ? z : Math.expm1(z)",
    "gelu": "0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z * z * z)))",
}
# A neuron's value a as a colour strength in [-1, 1]: tanh as is, sigmoid 2a − 1, others squashed.
PAGE_SHADE = {"tanh": "a", "sigmoid": "2 * a - 1", "linear": "Math.tanh(a / 2)"}


# The colour scale under each column of the network: the values a key marks, by how the column
# is shaded (the input layer by tanh(x), as PAGE_SHADE's default), each where its colour is.
SCALE_TICKS = {"tanh": [-1.0, 0.0, 1.0], "sigmoid": [0.0, 0.5, 1.0], "linear": [-2.0, 0.0, 2.0]}
TICKS_ELSE = [-1.0, 0.0, 1.0]
# Feature names that only number the inputs (what a CSV file without a header gets): the
# notation's symbol names those inputs, never such a name beside it.
_NUMBERING = re.compile(r"x_?\d+")


def _page_functions(table: Mapping[str, str], arg: str, default: str) -> str:
    rows = [f"{json.dumps(name)}: ({arg}) => {table.get(name, default)}" for name in PAGE_SIGMA]
    return "{\n  " + ",\n  ".join(rows) + ",\n}"


# A letter index (k in Σ_k, the x of C_x) is rendered through an int no network has, then
# written as the letter, so the notation's own index order and index base still apply.
def _check_notation(notation: str | notation_records.Notation | None) -> notation_records.Notation:
    try:
        return notation_records.get(notation)
    except ValueError as e:
        raise ValueError(f"write_playground: {e}") from None


def name_html(
    quantity: str,
    layer: int = 0,
    j: int | str = 0,
    k: int | str = 0,
    notation: str | notation_records.Notation | None = None,
) -> str:
    """A typeset name in HTML: 'w', 'b', 'z', 'a', 'delta', 'x' (an input), 'C' or 'C_x'.

    layer is Nielsen's (the input is layer 1); j and k are 0-based ints or letters ('k' for
    Σ_k); the notation (nn.notation: nielsen by default, lfd, ng, goodfellow, or a Notation)
    writes it.
    """
    n = _check_notation(notation)
    if quantity in ("C", "C_x"):
        tokens = notation_records.term(
            "cost",
            None,
            n.example if quantity == "C_x" else None,
            batch=quantity == "C",
            notation=n,
        )
    elif quantity == "x":
        tokens = notation_records.term("input", 1, k, notation=n)
    else:
        q = "delta" if quantity == "delta" else _QUANTITY[quantity]
        tokens = notation_records.term(q, layer, j, k if q == "weight" else None, notation=n)
    (written,) = tokens
    assert isinstance(written, notation_records.Sym)
    sym, sup, sub = written.base, written.sup, written.sub
    base, _, own_sub = sym.partition("_")  # a symbol's own subscript stays upright (E_in)
    symbol = notation_records.compose(base, "", "", "html")
    out = f"<i>{symbol}</i>" if base.isascii() else symbol
    out += f"<sub>{html.escape(own_sub)}</sub>" if own_sub else ""
    out += notation_records.compose("", sup, sub, "html")
    return f'<span class="nm">{out}</span>'


def _names(sizes: list[int], notation: str | notation_records.Notation | None) -> dict[str, Any]:
    # Every name the page shows, made here once: weight layer i (0-based) is Nielsen's l = i + 2.
    layers = range(len(sizes) - 1)

    def each(quantity: str, i: int) -> list[str]:
        return [name_html(quantity, i + 2, j, 0, notation) for j in range(sizes[i + 1])]

    def activation(layer: int, j: int | str) -> str:
        return name_html("x" if layer == 1 else "a", layer, j, j, notation)

    n = _check_notation(notation)
    return {
        "w": [
            [
                [name_html("w", i + 2, j, k, notation) for k in range(sizes[i])]
                for j in range(sizes[i + 1])
            ]
            for i in layers
        ],
        "b": [each("b", i) for i in layers],
        "z": [each("z", i) for i in layers],
        "delta": [each("delta", i) for i in layers],
        # a[0] is the input layer a^1 (= x); a[i + 1] is the output of weight layer i
        "a": [[activation(i + 1, j) for j in range(sizes[i])] for i in range(len(sizes))],
        "x": [activation(1, k) for k in range(sizes[0])],
        # with letters: w^l_{jk} of neuron j (for Σ_k), w^{l}_{ij} (for BP2), a^{l}_k, δ^l_i
        "wk": [
            [name_html("w", i + 2, j, "k", notation) for j in range(sizes[i + 1])] for i in layers
        ],
        "wi": [[name_html("w", i + 2, "i", k, notation) for k in range(sizes[i])] for i in layers],
        "ak": [activation(i + 1, "k") for i in range(len(sizes))],
        "di": [name_html("delta", i + 2, "i", 0, notation) for i in layers],
        "C": name_html("C", notation=notation),
        "Cx": name_html("C_x", notation=notation),
        "sigma": notation_records.write(notation_records.term("sigma", notation=n), "html"),
        "notation": n.title,
        "offset": n.layer_offset,  # a layer as the notation numbers it: Nielsen's + offset
        "base": n.index_base,
    }


def _axis(lo: float, hi: float) -> dict[str, Any]:
    """A linear axis from lo to hi: its ticks inside, labelled by the one formatter."""
    ticks = nice_ticks(lo, hi)
    step = ticks[1] - ticks[0]
    inside = [t for t in ticks if lo <= t <= hi]
    return {"lo": lo, "hi": hi, "ticks": inside, "labels": [tick_label(t, step) for t in inside]}


def _plane_axes(points: list[list[float]]) -> list[dict[str, Any]]:
    """The plane's two axes: each feature's range with a margin of 12 % either side."""
    axes = []
    for k in range(2):
        a, b = min(p[k] for p in points), max(p[k] for p in points)
        pad = 0.12 * ((b - a) or 1.0)
        axes.append(_axis(a - pad, b + pad))
    return axes


def _loss_axes(losses: list[float]) -> dict[str, Any]:
    """The loss curve's y axis, linear from 0 and (all losses positive) log, and the default."""
    top = max(losses)
    ticks = nice_ticks(0.0, top or 1.0)
    linear = {
        "lo": 0.0,
        "hi": ticks[-1],
        "ticks": ticks,
        "labels": [tick_label(t, ticks[1] - ticks[0]) for t in ticks],
        "minor": [],
    }
    lo = min(losses)
    if lo <= 0:
        return {"linear": linear, "log": None, "start": "linear"}
    pad = (top / lo) ** 0.04 if top > lo else 2.0  # 4 % of the decades shown, as the plots
    major, minor = log_ticks(lo / pad, top * pad)
    log = {
        "lo": lo / pad,
        "hi": top * pad,
        "ticks": major,
        "labels": [tick_label(t) for t in major],
        "minor": minor,
    }
    start = "log" if wants_log_scale(losses) else "linear"
    return {"linear": linear, "log": log, "start": start}


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


def playground_data(
    recording: Any,
    model: Any,
    xs: Sequence[Sequence[float]],
    ys: Sequence[int],
    *,
    notation: str | notation_records.Notation | None = None,
    features: Sequence[str] | None = None,
    classes: Sequence[str] | None = None,
) -> dict[str, Any]:
    """What the playground page's script draws (JSON data): the recording, the names, the axes."""
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
    unknown = [a for a in acts if a not in PAGE_SIGMA]
    if sizes[-1] != 1 or unknown:
        what = f"{sizes[-1]} outputs" if sizes[-1] != 1 else "one output"
        raise ValueError(
            f"write_playground: the page shows one output neuron with elementwise activations "
            f"({', '.join(PAGE_SIGMA)}); this model has {what}"
            + (f" and uses {', '.join(dict.fromkeys(unknown))}" if unknown else "")
            + "; train a model ending in one output (two classes by one logit) to replay it"
        )
    if "sigma_prime" not in first:
        raise ValueError(
            "write_playground: the recording has no σ′ numbers (sigma_prime); record it again "
            "with this version's nn.record.Recorder"
        )
    seed = getattr(model, "seed", None)
    named = bool(features) and not all(_NUMBERING.fullmatch(f) for f in features or [])
    page = {
        "sizes": sizes,
        "acts": acts,
        "xs": points,
        "ys": labels,
        "features": list(features) if named and features else [],
        "named": named,
        "classes": list(classes) if classes else ["0", "1"],
        "seed": seed,
        "every": data.get("every"),
        "total": data.get("total_steps") or data["steps"][-1]["step"] + 1,
        "steps": data["steps"],
        "names": _names(sizes, notation),
        "plane": _plane_axes(points) if sizes[0] == 2 else None,
        "lossAxes": _loss_axes([s["loss"] for s in data["steps"]]),
        # the values marked on each column's colour scale: the input's, then each layer's
        "scaleTicks": [TICKS_ELSE, *(SCALE_TICKS.get(a, TICKS_ELSE) for a in acts)],
    }
    return page


def about_line(about: str, notation: str | notation_records.Notation | None = None) -> str:
    """The page's line under its title: what was trained, and the notation's name in words."""
    names = f"names: {_check_notation(notation).title}"
    return f"{about} · {names}" if about else names


def playground_html(
    recording: Any,
    model: Any,
    xs: Sequence[Sequence[float]],
    ys: Sequence[int],
    *,
    notation: str | notation_records.Notation | None = None,
    title: str | None = None,
    about: str = "",
    rerun: str | None = None,
    features: Sequence[str] | None = None,
    classes: Sequence[str] | None = None,
    live: bool = False,
) -> str:
    """The playground page (HTML text) for a recording of fit() on model with data (xs, ys).

    live=True: a page whose data a page around it replaces as training goes on (its script's
    window.playgroundLoad), without its own Play button.
    """
    chosen = _check_notation(notation)
    page = playground_data(
        recording, model, xs, ys, notation=notation, features=features, classes=classes
    )
    page["live"] = live
    sizes, acts = page["sizes"], page["acts"]
    heading = title or f"Training playground: MLP {'-'.join(map(str, sizes))}"
    if rerun is None:
        rerun = (
            f"The same start: MLP({sizes[0]}, {sizes[1:]}, activation={acts[0]!r}, "
            f"output_activation={acts[-1]!r}, seed={page['seed']!r}) and the same data."
        )
    parts = {
        "TITLE": html.escape(heading),
        "ABOUT": html.escape(about_line(about, chosen)),
        "RERUN": html.escape(rerun),
        "DATA": script_json(page),
        "SIGMA": _page_functions(PAGE_SIGMA, "z", "z"),
        "SHADE": _page_functions(PAGE_SHADE, "a", "Math.tanh(a)"),
        "NUMBER": javascript(),
        "PALETTE": script_json(palette.page_data()),
        "PALETTE_CSS": palette.css_variables(),
    }
    template = resources.files("viz").joinpath("playground.html").read_text(encoding="utf-8")
    # one pass over the template, so text inside the data is never taken for a marker
    return re.sub(
        r"%(TITLE|ABOUT|RERUN|DATA|SIGMA|SHADE|NUMBER|PALETTE|PALETTE_CSS)%",
        lambda m: parts[m.group(1)],
        template,
    )


def write_playground(
    recording: Any,
    model: Any,
    xs: Sequence[Sequence[float]],
    ys: Sequence[int],
    path: str | os.PathLike[str],
    notation: str | notation_records.Notation | None = None,
    **options: Any,
) -> None:
    """Write playground_html(recording, model, xs, ys, notation=notation, **options) to path."""
    text = playground_html(recording, model, xs, ys, notation=notation, **options)
    write_page(text, path, "playground")
