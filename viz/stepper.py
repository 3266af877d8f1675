"""The backward-pass stepper: one self-contained HTML page that replays backward_steps()."""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Iterable
from typing import Any

from autograd import Expr, Value, fresh_grads
from autograd.symbolic import simplify
from nn import notation as nt
from nn.notation import Notation

from . import numbers, palette
from .draw import (
    COST_SIDE,
    LOSS_KEY,
    ROLES,
    build,
    build_partial,
    check_value,
    forward_order,
    group_nodes,
    legend_text,
    node_titles,
    processing_order,
    svg_labels,
    visible,
)
from .explain import Namer
from .names import Typeset, identify, role
from .numbers import javascript, number
from .render import render_svg
from .stepper_layers import CONTROLS as LAYER_CONTROLS
from .stepper_layers import PANEL as LAYER_PANEL
from .stepper_layers import SCRIPT as LAYER_SCRIPT
from .stepper_layers import STYLE as LAYER_STYLE
from .stepper_layers import layer_steps


def _records(root: Value, order: list[Value]) -> list[dict[str, Any]]:
    """root.backward_steps() as plain data; the caller has zeroed every grad beforehand."""
    index = {n: k for k, n in enumerate(order)}
    steps = []
    for step in root.backward_steps(hooks=False):
        steps.append(
            {
                "k": index[step.node],
                "up": numbers.upstream(step),
                "local": [numbers.local(step, i) for i in range(len(step.local))],
                "add": [numbers.contribution(step, i) for i in range(len(step.contributions))],
                "to": [index[p] for p in step.node.parents],
            }
        )
    return steps


def _constant(e: Expr | None) -> bool:
    return e is not None and simplify(e).kind == "const"


_FONT = ' font-family="Helvetica,sans-Serif" font-size="11.00"'


def _compact(svg: str) -> str:
    """The SVG to inline in the page, without what a browser does not need."""
    svg = svg[svg.index("<svg") :]  # no XML prolog or doctype inside HTML
    svg = re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)  # node names, as comments
    svg = re.sub(r"<title>[^<]*</title>\n?", "", svg)  # DOT names, shown as tooltips
    # the usual font is set once by the page's CSS (text:not([font-size]))
    return svg.replace(_FONT, "")


def _widest_grads(steps: list[dict[str, Any]], count: int, digits: int) -> list[float]:
    """For each node, the grad with the longest text among those it holds during the pass."""
    grads = [0.0] * count
    widest = [0.0] * count
    if steps:
        grads[steps[0]["k"]] = widest[steps[0]["k"]] = steps[0]["up"]
    for step in steps:
        for p, add in zip(step["to"], step["add"], strict=True):
            grads[p] = add if grads[p] == 0.0 else grads[p] + add
            if len(number(grads[p], digits)) > len(number(widest[p], digits)):
                widest[p] = grads[p]
    return widest


def script_json(data: object) -> str:
    """data as JSON to embed in a <script> element (the pages' data, stepper and playground)."""
    # no "</script>" or "<!--" can appear, and NaN/Infinity stay JS literals
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for ch, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(ch, escaped)
    return text


def stepper_html(
    root: Value,
    *,
    rankdir: str = "LR",
    max_nodes: int = 500,
    parameters: Iterable[Value] | None = None,
    renderer: str = "auto",
    digits: int = 4,
    title: str | None = None,
    notation: str | Notation | None = None,
    about: str | None = None,
    layers: Any = None,
    **layer_view: Any,
) -> str:
    """A self-contained HTML page that steps through root's backward pass node by node.

    title is the page's heading; about, a line under it (what the graph is, where it is from).
    With layers= (a Layer or an MLP whose forward pass made root) the page has a second mode,
    "by layer": one step per equation of viz.explain(layers, root, **layer_view), BP1 at L,
    then BP3 and BP4, BP2 at L−1, ..., each highlighting every node the equation covers.

    Step k of the page shows record k of root.backward_steps() for a pass started from zero
    grads: the node being processed, its upstream gradient, its local derivatives, what it adds
    to each parent, and every grad on the graph as it accumulates. Every node's .grad is left
    as it was. Names are written in `notation`, typeset in the drawing and the side panel.
    """
    root = check_value(root, "stepper_html()")
    order = processing_order(root)
    if isinstance(max_nodes, int) and len(order) > max_nodes:
        raise ValueError(
            f"graph has {len(order)} nodes, more than max_nodes={max_nodes}; the stepper shows "
            "every node, so step through a smaller graph (one example, a smaller network), "
            "or raise max_nodes"
        )
    # every node's title as the drawing writes it (a constant's value, an op's formula over its
    # parents' titles): the panel calls each node that the drawing does not name otherwise by it
    titles = node_titles(forward_order(root), Typeset(notation), digits)
    name = Namer(order, notation, titles={n: t for n, t in titles.items() if not n.label})
    root_marked = name(root) if root.label else name.symbol("cost")
    root_name = name.unicode(root_marked)
    subjects = [name.subject(n) for n in order]
    # a node without a label shows the name the panel calls it by ("(z³₀·y₀)", "1"), as the
    # panel writes it (a formula's names with Unicode scripts), shortened as a label is
    unlabelled: dict[Value, nt.Tokens] = {
        n: (nt.Words(visible(name.unicode(m))),)
        for n, m in zip(order, subjects, strict=True)
        if not n.label
    }
    with fresh_grads(root):  # the pass starts from zero grads, as the page does
        steps = _records(root, order)
        # the layer view of this one pass (every grad now holds exactly one pass from zero)
        by_layer = _layer_steps(layers, root, order, digits, notation, layer_view)
        membership = group_nodes(root, order, "neuron")
        # each by-layer step's drawing: the layers its equation involves node by node, the
        # others one box per neuron (grads of the whole pass; those not computed yet are hidden)
        loss_side = [k for k, n in enumerate(order) if membership[n][0] == LOSS_KEY]
        for st in by_layer:
            known = set(st["known"])
            expand = st.pop("expand")
            # the view follows the nodes it covers, and the loss side where it is drawn (BP1)
            st["view"] = st["nodes"] + (loss_side if COST_SIDE in expand else [])
            partial, partial_labels = build_partial(
                root,
                expand,
                rankdir=rankdir,
                parameters=parameters,
                digits=digits,
                notation=notation,
                names=unlabelled,
                pending=[n for k, n in enumerate(order) if k not in known],
                keep=[order[k] for k in st["nodes"]],
            )
            st["svg"] = _compact(svg_labels(render_svg(partial.source, renderer), partial_labels))
        # Draw each node with the widest grad the page will write into its record, so the
        # record is wide enough for every value as the grads accumulate.
        for n, g in zip(order, _widest_grads(steps, len(order), digits), strict=True):
            n.grad = g
        graph, labels = build(
            root,
            rankdir,
            max_nodes,
            None,  # the page steps through every node
            parameters=parameters,
            show_grad=True,
            digits=digits,
            legend=False,  # the page shows the legend beside the drawing, as HTML
            notation=notation,
            names=unlabelled,
        )
    legend = _legend_html(root, order, set(parameters or ()), labels.typeset)
    for record in steps:  # each local derivative's formula, from the node's row
        node = order[record["k"]]
        locals_ = [name.local(node, i) for i in range(len(node.parents))]
        # a formula that is a number (∂(x + y)/∂x = 1) is said by the number alone
        record["sym"] = [
            "" if _constant(name.local_expr(node, i)) else name.as_html(marked)
            for i, (marked, _) in enumerate(locals_)
        ]
        record["symbolic"] = [reason is None for _, reason in locals_]
    data = {
        "count": len(order),
        "digits": digits,
        "root": root_name,
        "rootHtml": name.as_html(root_marked),
        "names": [name.unicode(m) for m in subjects],
        "namesHtml": [name.as_html(m) for m in subjects],
        "ops": [n.op for n in order],
        "steps": steps,
        "layers": by_layer,
    }
    svg = _compact(svg_labels(render_svg(graph.source, renderer), labels))
    heading = title if title is not None else f"Backward pass of {root_name}"
    parts = {
        "TITLE": html.escape(heading),
        "ABOUT": f'<p id="about">{html.escape(about)}</p>' if about else "",
        "LEGEND": legend,
        "SVG": svg,
        "DATA": script_json(data),
        "NUMBER": javascript(),
        "PALETTE": palette.css_variables(),
    }
    parts |= {
        "LAYER_STYLE": LAYER_STYLE,
        "LAYER_CONTROLS": LAYER_CONTROLS,
        "LAYER_PANEL": LAYER_PANEL,
        "LAYER_SCRIPT": LAYER_SCRIPT,
    }
    # one pass over the template, so text inside the SVG is never taken for a marker
    return re.sub(r"%([A-Z_]+)%", lambda m: parts.get(m.group(1), m.group(0)), _PAGE)


def _legend_html(root: Value, order: list[Value], params: set[Value], ts: Typeset) -> str:
    """The drawing's colour key as HTML swatches, one per role present, and the op ellipse."""
    names = identify(forward_order(root))
    present = {role(n, root, params, names) for n in order}
    keys = [
        f'<span class="key" style="background:{colour}">{html.escape(legend_text(r, ts))}</span>'
        for r, (colour, _) in ROLES.items()
        if r in present
    ]
    if len(order) > 1:
        keys.append('<span class="key op">op that made the node</span>')
        keys.append('<span class="key focus">node at this step</span>')
        keys.append('<span class="key linked">its parents</span>')
    return '<div id="legend">' + " ".join(keys) + "</div>"


def _layer_steps(
    layers: Any,
    root: Value,
    order: list[Value],
    digits: int,
    notation: str | Notation | None,
    options: dict[str, Any],
) -> list[dict[str, Any]]:
    """The by-layer mode's steps (none without layers=)."""
    if layers is None:
        if options:
            raise TypeError(f"stepper_html() takes {', '.join(options)} only with layers=")
        return []
    from .layer_view import explain_layers

    view = explain_layers(layers, root, digits=digits, notation=notation, **options)
    return layer_steps(view, order)


def write_stepper(root: Value, path: str | os.PathLike[str], **options: Any) -> None:
    """Write stepper_html(root, **options) to path (UTF-8)."""
    write_page(stepper_html(root, **options), path, "stepper")


def write_page(text: str, path: str | os.PathLike[str], page: str) -> None:
    """Write an HTML page's text to path, with a one-line error for a missing folder or a folder."""
    target = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"cannot write the {page} page to {target!r}: the folder {folder!r} does not "
            "exist; create it first (os.makedirs)"
        )
    if os.path.isdir(target):
        raise IsADirectoryError(
            f"cannot write the {page} page to {target!r}: it is a folder; give a file name "
            f"such as {os.path.join(target, page + '.html')!r}"
        )
    with open(target, "w", encoding="utf-8") as f:
        f.write(text)


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>%TITLE%</title>
<style>
  :root { %PALETTE% }
  body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial,
         sans-serif; font-size: clamp(14px, 0.95vw, 20px); color: #222; display: flex;
         height: 100vh; overflow: hidden; }
  /* the drawing fills its area; the page pans and zooms it through the SVG's viewBox */
  #graph { flex: 1; min-width: 0; min-height: 0; overflow: hidden; cursor: grab;
           touch-action: none; }
  #graph.dragging { cursor: grabbing; }
  #graph svg { display: block; width: 100%; height: 100%; }
  #graph text:not([font-size]) { font-family: Helvetica, sans-serif; font-size: 11px; }
  /* the panel and its text grow with the window, as the playground's do (14 px at 1400,
     18 px at 1920) */
  #side { width: clamp(400px, 27vw, 560px); flex: none; border-left: 1px solid #ccc;
          padding: 12px 14px; overflow: auto; background: #fafafa; box-sizing: border-box; }
  /* a wide, low drawing gets the whole width: the panel goes under it, in two columns (not
     in the by-layer mode, whose matrices need the panel's width) */
  body.below:not(.by-layer) { flex-direction: column; }
  body.below:not(.by-layer) #side { width: auto; height: max(290px, 30vh); border-left: none;
                     border-top: 1px solid #ccc; display: flex; gap: 24px; }
  body.below:not(.by-layer) #head { width: 520px; flex: none; overflow: auto; }
  body.below:not(.by-layer) #panel { flex: 1; min-width: 0; overflow: auto; }
  body.below:not(.by-layer) #status { margin-top: 0; }
  h1 { font-size: clamp(16px, 1.15vw, 24px); margin: 0 0 6px; }
  #about { color: #444; font-size: clamp(13px, 0.9vw, 19px); margin: 0 0 8px; }
  .controls button { font-size: clamp(14px, 0.95vw, 20px); padding: 4px 10px; margin-right: 4px; }
  .hint { color: #666; font-size: clamp(12px, 0.85vw, 18px); margin: 6px 0 8px; }
  #legend { font-size: clamp(12px, 0.85vw, 18px); line-height: 1.9; margin-bottom: 6px; }
  #legend .key { border: 1px solid #888; border-radius: 2px; padding: 1px 5px;
                 white-space: nowrap; }
  #legend .key.op { border-color: #777; border-radius: 10px; background: #fff; }
  #legend .key.focus { border: 3px solid var(--focus); background: #fff; }
  #legend .key.linked { border: 2.5px solid var(--linked); background: #fff; }
  #status { font-weight: 600; margin: 10px 0 6px; }
  #panel .num { font-family: ui-monospace, Menlo, Consolas, monospace; }
  table { border-collapse: collapse; margin-top: 8px; width: 100%; }
  th, td { border: 1px solid #ddd; padding: 3px 5px; text-align: left;
           font-size: clamp(13px, 0.9vw, 19px); }
  th { background: #eee; font-weight: 600; }
  #note { color: #444; margin-top: 10px; }
  #graph g.node.current > polygon, #graph g.node.current > ellipse {
    stroke: var(--focus); stroke-width: 3px; }
  #graph g.node.parent > polygon, #graph g.node.parent > ellipse {
    stroke: var(--linked); stroke-width: 2.5px; }
  #graph g.edge.active > path { stroke: var(--focus); stroke-width: 2.5px; }
  #graph g.edge.active > polygon { stroke: var(--focus); fill: var(--focus); }
  #graph text.changed { fill: var(--linked); font-weight: bold; }
  #graph g.node.cut { visibility: hidden; }
%LAYER_STYLE%
</style>
</head>
<body>
<div id="graph">%SVG%</div>
<div id="side">
  <div id="head">
  <h1>%TITLE%</h1>
  %ABOUT%
  <div class="controls">
    <button id="prev" type="button">&larr; Previous</button>
    <button id="next" type="button">Next &rarr;</button>
    <button id="play" type="button">Play</button>
    <button id="fit" type="button"
      title="as much of the graph as readable text allows, or back to close up">Fit</button>
  </div>
  <div class="hint">Keys: &larr; / &rarr; step, space plays or pauses, Home restarts,
    + / &minus; zoom. Drag or scroll to pan.</div>
  %LEGEND%
%LAYER_CONTROLS%
  </div>
  <div id="panel">
    <div id="status">Step <span id="step-index" class="num">&ndash;</span>
      <span class="hint">(steps 0 to <span id="step-last"></span>)</span></div>
    <div id="node-line"></div>
    <div id="upstream-line"></div>
    <table id="contribs"><thead><tr><th>parent</th><th>local &part;node/&part;parent</th>
      <th>adds upstream &middot; local</th><th>parent grad now</th></tr></thead>
      <tbody></tbody></table>
    <p id="note"></p>
  </div>
%LAYER_PANEL%
</div>
<script>
"use strict";
const D = %DATA%;
const STEPS = D.steps;
const C = D.rootHtml;  // names are HTML made by Python: escaped text and <sup>/<sub> only
const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

%NUMBER%
// every number the page writes, as the drawing writes it (viz.numbers.number, D.digits)
const fmt = (x) => number(x, D.digits);

// The engine adds a contribution to a parent's grad this way (skipping 0.0 + c).
const acc = (total, extra) => (total === 0 ? extra : extra === 0 ? total : total + extra);

// the drawn records of the drawing shown (the by-layer mode folds some into neuron boxes: null)
let nodes = [];
let gradTexts = [];
let prefixes = [];
function readNodes() {
  nodes = [];
  gradTexts = [];
  prefixes = [];
  for (let k = 0; k < D.count; k++) {
    const g = document.getElementById("v" + k);
    nodes.push(g);
    if (g === null) { gradTexts.push(null); prefixes.push(""); continue; }
    const texts = g.querySelectorAll("text");
    const t = texts[texts.length - 1];  // the last row of a record is its grad (or δ)
    gradTexts.push(t);
    const text = t.textContent;
    prefixes.push(text.slice(0, text.lastIndexOf("=") + 2));
  }
}
readNodes();

function gradsAfter(s) {
  const grads = new Array(D.count).fill(0);
  if (s >= 0) grads[STEPS[0].k] = STEPS[0].up;  // the seed: dC/dC = 1
  for (let i = 0; i <= s; i++) {
    const st = STEPS[i];
    for (let j = 0; j < st.to.length; j++) grads[st.to[j]] = acc(grads[st.to[j]], st.add[j]);
  }
  return grads;
}

let current = -1;  // -1: before the backward pass

// ---- the view: the drawing fills #graph; panning and zooming move the SVG's viewBox.
// Scales are CSS px per SVG unit (Graphviz writes points: 4/3 px each at full size).
let svg = document.querySelector("#graph svg");
const MAIN_SVG = svg;  // the whole graph, node by node
const area = document.getElementById("graph");
const FULL = 4 / 3;  // full size, as Graphviz laid it out
const MOST = 2.2;  // a small graph is enlarged no further
const MIN_TEXT_PX = 11;  // zooming out stops where the smallest text would be this small
const MARGIN = 36;  // px kept free around the nodes followed
let G = null;  // the drawing's own box, in SVG units
let LEAST = 1;  // the least scale: its smallest text at MIN_TEXT_PX
const drawn = new Map();  // each drawing shown so far: its box and least scale
// Show the drawing el (the whole graph, or a by-layer step's): the view, the nodes and their
// grad texts are read from it from now on.
function useDrawing(el) {
  if (el !== svg) { area.replaceChild(el, svg); svg = el; }
  if (!drawn.has(el)) {
    const b = el.viewBox.baseVal;
    el.removeAttribute("width");
    el.removeAttribute("height");
    el.setAttribute("preserveAspectRatio", "xMidYMid meet");
    // the smallest font of the drawing's own text (sub- and superscripts are smaller by design)
    const smallest = Math.min(...[...el.querySelectorAll("text")].map(
      (t) => parseFloat(getComputedStyle(t).fontSize)).filter((x) => x > 0), 11);
    const box = { x: b.x, y: b.y, w: b.width, h: b.height };
    drawn.set(el, { G: box, least: MIN_TEXT_PX / smallest });
  }
  ({ G, least: LEAST } = drawn.get(el));
  readNodes();
}
useDrawing(svg);
const MAIN_G = G;
let overview = false;
let view = null;  // {cx, cy, s}: the centre in SVG units and the scale
let focusSet = [];
let focusMain = null;
let anim = null;

// fractional sizes: the panel is a share of the window, so the drawing area is not whole px
function areaSize() { const r = area.getBoundingClientRect(); return { w: r.width, h: r.height }; }
function fitScale() { const a = areaSize(); return Math.min(a.w / G.w, a.h / G.h); }
// the scale to follow the pass at: the whole graph when it fits with readable text, else
// full size (Fit: as much of the graph as readable text allows)
function baseScale() {
  const fit = fitScale();
  if (fit >= LEAST) return Math.min(fit, MOST);
  return overview ? LEAST : Math.max(FULL, LEAST);
}
function clampView(v) {
  const a = areaSize();
  const s = Math.max(Math.min(v.s, MOST), LEAST);  // never with text under MIN_TEXT_PX
  const half = { w: a.w / (2 * s), h: a.h / (2 * s) };
  const axis = (c, lo, size, h) =>
    2 * h >= size ? lo + size / 2 : Math.min(Math.max(c, lo + h), lo + size - h);
  return { s, cx: axis(v.cx, G.x, G.w, half.w), cy: axis(v.cy, G.y, G.h, half.h) };
}
function applyView(v) {
  const a = areaSize();
  const w = a.w / v.s;
  const h = a.h / v.s;
  const box = [v.cx - w / 2, v.cy - h / 2, w, h];
  svg.setAttribute("viewBox", box.map((x) => x.toFixed(3)).join(" "));
  hideCut();
}
// A box the edge of the drawing area would cut (numbers cut mid-digit) is not drawn: every
// box shown is whole; panning or zooming brings it back.
function hideCut() {
  const r = area.getBoundingClientRect();
  for (const g of svg.querySelectorAll("g.node")) {
    g.classList.remove("cut");
    const b = g.getBoundingClientRect();
    const inside = b.left >= r.left - 0.5 && b.right <= r.right + 0.5 &&
      b.top >= r.top - 0.5 && b.bottom <= r.bottom + 0.5;
    const outside = b.right <= r.left || b.left >= r.right || b.bottom <= r.top ||
      b.top >= r.bottom;
    if (!inside && !outside) g.classList.add("cut");
  }
}
function moveTo(target, animate) {
  target = clampView(target);
  if (anim !== null) cancelAnimationFrame(anim);
  anim = null;
  const from = view;
  view = target;
  if (!animate || from === null || matchMedia("(prefers-reduced-motion: reduce)").matches) {
    applyView(target);
    delete document.body.dataset.moving;
    return;
  }
  document.body.dataset.moving = "1";
  const start = performance.now();
  const frame = (now) => {
    if (layerMode()) {  // the by-layer mode took over the view
      anim = null;
      delete document.body.dataset.moving;
      return;
    }
    const t = Math.min(1, (now - start) / 280);
    const e = t * (2 - t);
    applyView({ cx: from.cx + (target.cx - from.cx) * e, cy: from.cy + (target.cy - from.cy) * e,
                s: from.s * Math.pow(target.s / from.s, e) });
    if (t < 1) anim = requestAnimationFrame(frame);
    else { anim = null; delete document.body.dataset.moving; }
  };
  anim = requestAnimationFrame(frame);
}
// an element's box in SVG units (whatever the view)
function unitBox(el) {
  const b = el.getBBox();
  const m = svg.getScreenCTM().inverse().multiply(el.getScreenCTM());
  const xs = [], ys = [];
  for (const [x, y] of [[b.x, b.y], [b.x + b.width, b.y], [b.x, b.y + b.height],
                        [b.x + b.width, b.y + b.height]]) {
    xs.push(m.a * x + m.c * y + m.e);
    ys.push(m.b * x + m.d * y + m.f);
  }
  return { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) };
}
// Keep the current node and its parents in view: zoom out (no further than readable text)
// when they do not fit, and pan, centring them, when any of them is out of view.
function follow(els, main) {
  focusSet = els.filter((e) => e);
  focusMain = main;
  if (!focusSet.length) return;
  const a = areaSize();
  const f = unionBox(focusSet);
  const need = Math.min((a.w - 2 * MARGIN) / (f.x1 - f.x0), (a.h - 2 * MARGIN) / (f.y1 - f.y0));
  const s = Math.min(baseScale(), Math.max(LEAST, need));
  let cx = (f.x0 + f.x1) / 2;
  let cy = (f.y0 + f.y1) / 2;
  if (view !== null && Math.abs(view.s - s) < 1e-9) {
    const half = { w: a.w / (2 * s) - MARGIN / s, h: a.h / (2 * s) - MARGIN / s };
    const inside = f.x0 >= view.cx - half.w && f.x1 <= view.cx + half.w &&
                   f.y0 >= view.cy - half.h && f.y1 <= view.cy + half.h;
    if (inside) { cx = view.cx; cy = view.cy; }
  }
  if (s === LEAST && need < LEAST) {
    // the parents do not all fit even zoomed out: keep the node itself in view, the nearest
    // parents around it
    const m = unitBox(main);
    const half = { w: a.w / (2 * s) - MARGIN / s, h: a.h / (2 * s) - MARGIN / s };
    cx = Math.min(Math.max(cx, m.x1 - half.w), m.x0 + half.w);
    cy = Math.min(Math.max(cy, m.y1 - half.h), m.y0 + half.h);
  }
  moveTo({ cx, cy, s }, view !== null);
}
function refollow() {
  view = null;
  if (current < 0 && !layerMode()) openView();
  else follow(focusSet, focusMain);
}
// Before the pass nothing is followed yet: the page opens at the scale it will follow the pass
// at, on the part of the graph that fills the drawing area most (the largest share of it
// covered by whole boxes), not on the root, whose side of a network's graph is a thin strip.
function openView() {
  const a = areaSize();
  const s = baseScale();
  const boxes = [...svg.querySelectorAll("g.node")].map(unitBox);
  let best = null;
  for (const c of boxes) {
    const v = clampView({ s, cx: (c.x0 + c.x1) / 2, cy: (c.y0 + c.y1) / 2 });
    const half = { w: a.w / (2 * v.s), h: a.h / (2 * v.s) };
    let covered = 0;
    for (const b of boxes) {
      if (b.x0 >= v.cx - half.w && b.x1 <= v.cx + half.w && b.y0 >= v.cy - half.h &&
          b.y1 <= v.cy + half.h) covered += (b.x1 - b.x0) * (b.y1 - b.y0);
    }
    if (best === null || covered > best.covered + 1e-9) best = { covered, v };
  }
  if (best !== null) moveTo(best.v, view !== null);
}
// the view shown now, whoever set it (the by-layer mode sets the viewBox itself)
function shownView() {
  const a = areaSize();
  const b = svg.viewBox.baseVal;
  return { s: Math.min(a.w / b.width, a.h / b.height), cx: b.x + b.width / 2,
           cy: b.y + b.height / 2 };
}
function zoomBy(factor, px, py) {
  view = shownView();
  const a = areaSize();
  const s = Math.min(MOST, Math.max(LEAST, view.s * factor));
  const ox = px === undefined ? 0 : px - a.w / 2;  // keep the point under the cursor still
  const oy = py === undefined ? 0 : py - a.h / 2;
  moveTo({ s, cx: view.cx + ox / view.s - ox / s, cy: view.cy + oy / view.s - oy / s }, false);
}
area.addEventListener("wheel", (e) => {
  e.preventDefault();
  view = shownView();
  const r = area.getBoundingClientRect();
  if (e.ctrlKey) zoomBy(Math.exp(-e.deltaY / 300), e.clientX - r.left, e.clientY - r.top);
  else moveTo({ s: view.s, cx: view.cx + e.deltaX / view.s, cy: view.cy + e.deltaY / view.s },
              false);
}, { passive: false });
let drag = null;
area.addEventListener("pointerdown", (e) => {
  view = shownView();
  drag = { x: e.clientX, y: e.clientY, cx: view.cx, cy: view.cy };
  area.setPointerCapture(e.pointerId);
  area.classList.add("dragging");
});
area.addEventListener("pointermove", (e) => {
  if (drag === null) return;
  moveTo({ s: view.s, cx: drag.cx - (e.clientX - drag.x) / view.s,
           cy: drag.cy - (e.clientY - drag.y) / view.s }, false);
});
const endDrag = () => { drag = null; area.classList.remove("dragging"); };
area.addEventListener("pointerup", endDrag);
area.addEventListener("pointercancel", endDrag);
// The panel beside the drawing, or under it (a wide, low drawing): whichever shows every
// step's node and parents larger (up to full size), then the whole graph larger.
let focusBoxes = null;
function unionBox(els) {
  const boxes = els.filter((e) => e).map(unitBox);
  return { x0: Math.min(...boxes.map((b) => b.x0)), y0: Math.min(...boxes.map((b) => b.y0)),
           x1: Math.max(...boxes.map((b) => b.x1)), y1: Math.max(...boxes.map((b) => b.y1)) };
}
const layerMode = () => document.body.classList.contains("by-layer");
function chooseLayout() {
  if (focusBoxes === null) {
    focusBoxes = STEPS.map((st) => unionBox(
      [nodes[st.k], document.getElementById("v" + st.k + "op"), ...st.to.map((p) => nodes[p])]));
  }
  const W = innerWidth, H = innerHeight;
  const score = (aw, ah) => {
    const worst = Math.min(FULL, ...focusBoxes.map((f) => Math.min(
      (aw - 2 * MARGIN) / (f.x1 - f.x0), (ah - 2 * MARGIN) / (f.y1 - f.y0))));
    return [worst, Math.min(aw / MAIN_G.w, ah / MAIN_G.h)];
  };
  const side = score(W - Math.min(560, Math.max(400, 0.27 * W)), H);  // #side, as in the CSS
  const below = score(W, H - Math.max(290, 0.3 * H));  // the panel's height, as in the CSS
  const better = below[0] > side[0] + 1e-9 || (Math.abs(below[0] - side[0]) <= 1e-9 &&
                                               below[1] > 1.1 * side[1]);
  const under = better && H >= 600;
  if (under !== document.body.classList.contains("below")) {
    document.body.classList.toggle("below", under);
  }
}
chooseLayout();
addEventListener("resize", () => { chooseLayout(); if (!layerMode()) refollow(); });
// the by-layer mode needs the panel beside the drawing (its matrices are wide)
new MutationObserver(() => { chooseLayout(); if (!layerMode()) refollow(); })
  .observe(document.body, { attributes: true, attributeFilter: ["class"] });

function cell(row, text, cls, markup) {
  const td = document.createElement("td");
  if (markup) td.innerHTML = markup;
  else td.textContent = text;
  if (cls) td.className = cls;
  row.appendChild(td);
}

function show(s) {
  current = Math.max(-1, Math.min(STEPS.length - 1, s));
  document.body.dataset.step = String(current);
  const grads = gradsAfter(current);
  const st = current >= 0 ? STEPS[current] : null;
  const touched = new Set(st ? st.to : []);
  document.querySelectorAll("#graph .current, #graph .parent, #graph .active, #graph .changed")
    .forEach((el) => el.classList.remove("current", "parent", "active", "changed"));
  for (let k = 0; k < D.count; k++) {
    gradTexts[k].textContent = prefixes[k] + fmt(grads[k]);
    nodes[k].setAttribute("data-grad", String(grads[k]));
    if (touched.has(k)) gradTexts[k].classList.add("changed");
  }
  document.getElementById("step-index").textContent = st ? String(current) : "\\u2013";
  const body = document.querySelector("#contribs tbody");
  body.replaceChildren();
  document.getElementById("contribs").style.display = st && st.to.length ? "" : "none";
  const nodeLine = document.getElementById("node-line");
  const upLine = document.getElementById("upstream-line");
  const note = document.getElementById("note");
  if (!st) {
    nodeLine.textContent = "Before the backward pass: every grad is 0.";
    upLine.textContent = "";
    note.innerHTML = "Press Next (\\u2192) to start: step 0 seeds the root with \\u2202" +
      C + "/\\u2202" + C + " = 1 and passes it on to the root's parents.";
    if (STEPS.length) {  // step 0 starts at the root
      focusSet = [nodes[STEPS[0].k]];
      focusMain = nodes[STEPS[0].k];
    }
    openView();
    return;
  }
  const g = nodes[st.k];
  g.classList.add("current");
  const name = D.namesHtml[st.k];
  const op = D.ops[st.k];
  nodeLine.innerHTML = "node: " + name + esc(op ? "  (op " + op + ")" : "  (a leaf)");
  nodeLine.dataset.node = "v" + st.k;
  upLine.innerHTML = "upstream \\u2202" + C + "/\\u2202" + name + " = ";
  const up = document.createElement("span");
  up.id = "upstream";
  up.className = "num";
  up.textContent = fmt(st.up);
  up.dataset.value = String(st.up);
  upLine.append(up);
  st.to.forEach((p, j) => {
    nodes[p].classList.add("parent");
    const edge = document.getElementById("e" + st.k + "_" + j);
    if (edge) edge.classList.add("active");
    const row = document.createElement("tr");
    row.dataset.parent = "v" + p;
    cell(row, D.names[p], "", D.namesHtml[p]);
    // the local derivative's formula from the op's row (names are HTML made by Python), then
    // its number; a rule with no symbolic form shows the derivative's name beside its number
    const local = document.createElement("td");
    local.className = "local-cell";
    if (st.sym[j]) local.innerHTML = '<span class="sym">' + st.sym[j] + '</span> = ';
    if (!st.symbolic[j]) local.title = "this op's rule has no symbolic form: the number only";
    const value = document.createElement("span");
    value.className = "num local";
    value.textContent = fmt(st.local[j]);
    local.append(value);
    row.appendChild(local);
    cell(row, fmt(st.add[j]), "num add");
    cell(row, fmt(grads[p]), "num grad");
    body.appendChild(row);
  });
  const opEdge = document.getElementById("e" + st.k + "op");
  if (opEdge) opEdge.classList.add("active");
  note.innerHTML = st.to.length
    ? "Its grad is final: every node it feeds has been processed. The chain rule passes " +
      "upstream \\u00b7 local derivative to each parent, where it adds to the parent's grad."
    : "A leaf: nothing to pass on. Its grad \\u2202" + C + "/\\u2202" + name + " is final.";
  follow([g, document.getElementById("v" + st.k + "op"), ...st.to.map((p) => nodes[p])], g);
}

let timer = null;
function pause() {
  if (timer !== null) clearInterval(timer);
  timer = null;
  document.getElementById("play").textContent = "Play";
}
function play() {
  if (current >= STEPS.length - 1) show(-1);
  document.getElementById("play").textContent = "Pause";
  timer = setInterval(() => {
    if (current >= STEPS.length - 1) pause();
    else show(current + 1);
  }, 800);
}
document.getElementById("next").addEventListener("click", () => { pause(); show(current + 1); });
document.getElementById("prev").addEventListener("click", () => { pause(); show(current - 1); });
document.getElementById("play").addEventListener("click", () => {
  if (timer === null) play();
  else pause();
});
document.getElementById("fit").addEventListener("click", () => {
  overview = !overview;
  area.classList.toggle("fit", overview);  // the by-layer mode zooms onto equations when fitted
  document.getElementById("fit").textContent = overview ? "Close up" : "Fit";
  if (!layerMode()) refollow();
});
document.addEventListener("keydown", (e) => {
  if (e.key === "ArrowRight") { pause(); show(current + 1); }
  else if (e.key === "ArrowLeft") { pause(); show(current - 1); }
  else if (e.key === "Home") { pause(); show(-1); }
  else if (e.key === "End") { pause(); show(STEPS.length - 1); }
  else if (e.key === " ") { if (timer === null) play(); else pause(); }
  else if (e.key === "+" || e.key === "=") zoomBy(1.15);
  else if (e.key === "-" || e.key === "_") zoomBy(1 / 1.15);
  else return;
  e.preventDefault();
});
document.getElementById("step-last").textContent = String(STEPS.length - 1);
const wanted = /^#step=(-?\\d+)$/.exec(location.hash);
show(wanted ? parseInt(wanted[1], 10) : -1);
%LAYER_SCRIPT%
</script>
</body>
</html>
"""
