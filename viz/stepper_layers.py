"""The stepper's "by layer" mode: one step per equation and layer, from the layer view's records."""

from __future__ import annotations

import html
from typing import Any

from autograd import Value

from .draw import COST_SIDE
from .layer_view import Equation, LayerView, Matrix, Picture, as_html, difference
from .names import record_of


def _matrix_html(m: Matrix, digits: int, columns: int | None) -> str:
    rows = m.cells(digits, columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows
    )
    cap = m.caption[2]  # HTML made by nn.notation: escaped text and <sup>/<sub> only
    return (
        f'<div class="mat" data-source="{m.source}"><div class="cap">{cap}</div>'
        f'<table class="m">{body}</table></div>'
    )


def _picture_html(p: Picture, digits: int, columns: int | None) -> str:
    parts = []
    for item in p.items:
        if isinstance(item, Matrix):
            parts.append(_matrix_html(item, digits, columns))
        else:
            parts.append(f'<span class="op">{item[2]}</span>')  # HTML written by nn.notation
    title = f'<div class="pic-title">{html.escape(p.title)}</div>' if p.title else ""
    return f'<div class="picture">{title}<div class="pic-row">{"".join(parts)}</div></div>'


def _equation_html(eq: Equation, view: LayerView) -> str:
    layer = view.names.layer_number(eq.layer)
    out = [
        f'<div class="eq-head"><span class="eq-key">{eq.key}</span> '
        f'<span class="eq-formula">{eq.formula[2]}</span> '
        f'<span class="hint">(layer {html.escape(layer)})</span></div>'
    ]
    out += [_picture_html(p, view.digits, view.columns) for p in eq.pictures]
    out += [f'<p class="eq-note">{as_html(n)}</p>' for n in eq.notes]
    out += [
        f'<p class="eq-check">check: max |{as_html(what)}| = {html.escape(difference(worst))}</p>'
        for what, worst in eq.checks
    ]
    return "".join(out)


def layer_steps(view: LayerView, order: list[Value]) -> list[dict[str, Any]]:
    """One record per equation of the view: its panel HTML and the nodes it covers.

    ``upto`` is the node-by-node step after which every covered node's grad is final.
    ``known`` lists the nodes whose grad is computed once this equation has been applied: the
    nodes of the equation's own layer it covers, those of every earlier equation, and the
    nodes no equation covers that the pass reaches first (the cost's side); a node a later
    equation computes (w, b or a of an earlier layer) is not among them. ``expand`` lists the
    layers the equation involves (Nielsen's numbers, draw.COST_SIDE for the loss side), which
    its drawing shows node by node.
    """
    index = {n: k for k, n in enumerate(order)}
    covered = {index[n] for eq in view.equations for n in eq.nodes if n in index}
    steps: list[dict[str, Any]] = []
    known: set[int] = set()
    for i, eq in enumerate(view.equations):
        first = eq.key == "BP1"
        nodes = sorted(index[n] for n in eq.nodes if n in index)
        known |= {index[n] for n in eq.nodes if n in index and _layer_of(n) == eq.layer}
        last = i == len(view.equations) - 1
        reached = max(known, default=-1)
        shown = known | {k for k in range(len(order)) if k not in covered and (last or k < reached)}
        # the layers drawn node by node at this step: those of the nodes it covers, and for
        # BP1 the loss side, whose derivative ∇_a C it reads
        involved = {_layer_of(n) for n in eq.nodes}
        expand = sorted({x for x in involved if x is not None} | ({COST_SIDE} if first else set()))
        steps.append(
            {
                "key": eq.key,
                "expand": expand,
                "layer": view.names.layer_number(eq.layer),
                "nodes": nodes,
                "upto": max(nodes, default=0),
                "known": sorted(shown),
                "html": _equation_html(eq, view),
            }
        )
    return steps


def _layer_of(node: Value) -> int | None:
    """The layer (Nielsen's numbering) nn recorded for node, or None."""
    record = record_of(node)
    return None if record is None else record.layer


STYLE = """
  .modes { margin: 6px 0 4px; }
  .modes button { font-size: clamp(13px, 0.9vw, 19px); padding: 3px 8px; margin-right: 4px; }
  .modes button.on { background: var(--linked); color: #fff; border-color: var(--linked); }
  body.by-layer #side { width: clamp(640px, 40vw, 900px); }
  body.by-layer #panel { display: none; }
  body:not(.by-layer) #layer-panel { display: none; }
  #layer-panel .eq-head { font-weight: 600; font-size: clamp(16px, 1.1vw, 21px);
    margin: 10px 0 8px; }
  #layer-panel .eq-key { color: var(--focus); }
  #layer-panel .picture { margin: 8px 0; }
  #layer-panel .pic-title { color: #555; font-size: clamp(12px, 0.85vw, 18px); margin-bottom: 2px; }
  #layer-panel .pic-row { display: flex; align-items: center; flex-wrap: wrap; gap: 4px 4px; }
  #layer-panel .mat { display: inline-flex; flex-direction: column; align-items: center; }
  #layer-panel .cap { font-size: clamp(14px, 0.95vw, 18px); color: #333; margin-bottom: 2px; }
  #layer-panel table.m { border-collapse: separate; width: auto; margin: 0;
    border-left: 2px solid #333; border-right: 2px solid #333; border-radius: 5px;
    padding: 0 2px; }
  #layer-panel table.m td { border: none; padding: 1px 4px; text-align: right;
    font-family: ui-monospace, Menlo, Consolas, monospace; font-size: clamp(13px, 0.92vw, 18px); }
  #layer-panel .mat[data-source="computed"] table.m { background: #f3f3f3; }
  #layer-panel .op { font-size: clamp(18px, 1.2vw, 23px); padding: 0 1px; }
  #layer-panel .eq-note { color: #444; font-size: clamp(13px, 0.85vw, 16px); margin: 4px 0; }
  #layer-panel .eq-check { font-family: ui-monospace, Menlo, Consolas, monospace;
    font-size: clamp(13px, 0.85vw, 16px); color: var(--ok); margin: 4px 0; }
  #graph text.pending { fill: #999; }
  #graph g.node.covered > polygon, #graph g.node.covered > ellipse {
    stroke: var(--focus); stroke-width: 3px; fill: var(--focus-tint); }
"""

CONTROLS = """
  <div class="modes" id="modes">
    <button id="mode-node" type="button" class="on">Node by node</button>
    <button id="mode-layer" type="button">By layer</button>
  </div>
"""

PANEL = """
  <div id="layer-panel">
    <div id="layer-status">Step <span id="layer-index" class="num">&ndash;</span>
      <span class="hint">(steps 0 to <span id="layer-last"></span>: one equation on one
      layer each)</span></div>
    <div id="layer-body"></div>
  </div>
"""

# Runs after the node-by-node script: it reuses D, nodes, gradTexts, prefixes, fmt, gradsAfter.
SCRIPT = """
const LAYERS = D.layers || [];
// Each step has a drawing of its own: the layers its equation involves node by node, the
// others folded into one box per neuron. Before the first step, the first step's drawing.
const layerDrawings = new Map();
function layerDrawing(i) {
  const key = Math.max(i, 0);
  if (!layerDrawings.has(key)) {
    const t = document.createElement("template");
    t.innerHTML = LAYERS[key].svg;
    layerDrawings.set(key, t.content.querySelector("svg"));
  }
  return layerDrawings.get(key);
}
// the least scale of the drawing shown with sub- and superscripts too: on a projector they
// must be readable as well
const layerLeast = new Map();
function leastWithScripts() {
  if (!layerLeast.has(svg)) {
    layerLeast.set(svg, MIN_TEXT_PX / Math.min(...[...svg.querySelectorAll("text, tspan")].map(
      (t) => parseFloat(getComputedStyle(t).fontSize)).filter((x) => x > 0), 11));
  }
  return layerLeast.get(svg);
}
// Fitted, the layer mode shows the nodes an equation covers as large as fits, but never with
// text under MIN_TEXT_PX; close up, larger still (at least full size). In the node-by-node
// mode, the node-by-node script's view takes over again.
function focusGraph(ks, leads) {
  if (mode !== "layer" || !ks.length) return;
  const a = areaSize();
  const f = unionBox(ks.map((k) => nodes[k]));
  const need = Math.min((a.w - 2 * MARGIN) / (f.x1 - f.x0), (a.h - 2 * MARGIN) / (f.y1 - f.y0));
  const fitted = document.getElementById("graph").classList.contains("fit");
  // fitted: no larger than full size, so a one-node equation keeps its neighbours in view
  const fit = Math.max(leastWithScripts(), Math.min(need, FULL));
  const s = fitted ? fit : Math.min(MOST, 1.5 * fit);
  // when they do not all fit, the top of the equation's own nodes leads (its first row)
  const lead = leads.map((k) => unitBox(nodes[k])).reduce((a, b) => (b.y0 < a.y0 ? b : a));
  const half = { w: a.w / (2 * s) - MARGIN / s, h: a.h / (2 * s) - MARGIN / s };
  let cx = (f.x0 + f.x1) / 2, cy = (f.y0 + f.y1) / 2;
  cx = Math.min(Math.max(cx, lead.x1 - half.w), lead.x0 + half.w);
  cy = Math.min(Math.max(cy, lead.y1 - half.h), lead.y0 + half.h);
  const v = clampView({ cx, cy, s });
  view = v;
  applyView(v);
}
let mode = "node";
let fitted = false;
let layerCurrent = -1;
function showLayer(i) {
  layerCurrent = Math.max(-1, Math.min(LAYERS.length - 1, i));
  document.body.dataset.layerStep = String(layerCurrent);
  useDrawing(layerDrawing(layerCurrent));  // its marks are cleared below, as they were left
  document.querySelectorAll("#graph .current, #graph .parent, #graph .active, " +
    "#graph .changed, #graph .covered")
    .forEach((el) => el.classList.remove("current", "parent", "active", "changed", "covered"));
  const st = layerCurrent >= 0 ? LAYERS[layerCurrent] : null;
  // the grads computed by this equation and the ones before it (final values); a grad a
  // later equation computes is not shown yet
  const grads = gradsAfter(STEPS.length - 1);
  const known = new Set(st ? st.known : []);
  for (let k = 0; k < D.count; k++) {
    if (nodes[k] === null) continue;  // folded into its neuron's box
    const done = known.has(k);
    gradTexts[k].textContent = prefixes[k] + (done ? fmt(grads[k]) : "\u2013");
    gradTexts[k].classList.toggle("pending", !done);
    nodes[k].setAttribute("data-grad", done ? String(grads[k]) : "");
  }
  document.getElementById("layer-index").textContent = st ? String(layerCurrent) : "\\u2013";
  const body = document.getElementById("layer-body");
  if (!st) {
    body.innerHTML = "<p class='eq-note'>Press Next (\\u2192): each step applies one of " +
      "BP1\\u2013BP4 to one layer, with the graph's own numbers, and highlights every node " +
      "the equation covers.</p>";
    focusGraph(LAYERS[0].view, LAYERS[0].nodes);  // where the first step starts, unmarked
    return;
  }
  body.innerHTML = st.html;
  st.nodes.forEach((k) => nodes[k].classList.add("covered"));
  focusGraph(st.view, st.nodes);
}
function setMode(m) {
  if (m === "layer" && !LAYERS.length) return;
  pause();
  layerPause();
  mode = m;
  document.body.classList.toggle("by-layer", m === "layer");
  document.getElementById("mode-node").classList.toggle("on", m === "node");
  document.getElementById("mode-layer").classList.toggle("on", m === "layer");
  if (m === "layer") {
    // the first time, fit the graph to the window: an equation covers nodes all over it
    if (!fitted) {
      fitted = true;
      if (!document.getElementById("graph").classList.contains("fit")) {
        document.getElementById("fit").click();
      }
    }
    showLayer(layerCurrent);
  } else {
    useDrawing(MAIN_SVG);
    show(current);
    refollow();
  }
}
if (!LAYERS.length) document.getElementById("modes").style.display = "none";
document.getElementById("layer-last").textContent = String(LAYERS.length - 1);
document.getElementById("mode-node").addEventListener("click", () => setMode("node"));
document.getElementById("fit").addEventListener("click", () => {
  if (mode === "layer") showLayer(layerCurrent);  // zoom in fitted, the whole drawing full size
});
document.getElementById("mode-layer").addEventListener("click", () => setMode("layer"));
addEventListener("resize", () => { if (mode === "layer") showLayer(layerCurrent); });
// In the layer mode, the step buttons and keys move through the equations instead.
for (const [id, delta] of [["next", 1], ["prev", -1]]) {
  document.getElementById(id).addEventListener("click", (e) => {
    if (mode !== "layer") return;
    e.stopImmediatePropagation();
    showLayer(layerCurrent + delta);
  }, true);
}
let layerTimer = null;
function layerPause() {
  if (layerTimer !== null) clearInterval(layerTimer);
  layerTimer = null;
  document.getElementById("play").textContent = "Play";
}
function layerPlay() {
  if (layerTimer !== null) { layerPause(); return; }
  if (layerCurrent >= LAYERS.length - 1) showLayer(-1);
  document.getElementById("play").textContent = "Pause";
  layerTimer = setInterval(() => {
    if (layerCurrent >= LAYERS.length - 1) layerPause();
    else showLayer(layerCurrent + 1);
  }, 1500);
}
document.getElementById("play").addEventListener("click", (e) => {
  if (mode !== "layer") return;
  e.stopImmediatePropagation();
  layerPlay();
}, true);
document.addEventListener("keydown", (e) => {
  if (mode !== "layer") return;
  const moves = { ArrowRight: layerCurrent + 1, ArrowLeft: layerCurrent - 1, Home: -1,
                  End: LAYERS.length - 1 };
  if (e.key === " ") { e.stopImmediatePropagation(); e.preventDefault(); layerPlay(); return; }
  if (!(e.key in moves)) return;
  e.stopImmediatePropagation();
  e.preventDefault();
  layerPause();
  showLayer(moves[e.key]);
}, true);
const wantedMode = /^#layer=(-?\\d+)$/.exec(location.hash);
if (wantedMode && LAYERS.length) { layerCurrent = parseInt(wantedMode[1], 10); setMode("layer"); }
"""
