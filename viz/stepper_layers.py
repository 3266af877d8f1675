"""The stepper's "by layer" mode: one step per equation and layer, from the layer view's records."""

from __future__ import annotations

import html
from typing import Any

from autograd import Value

from .layer_view import Equation, LayerView, Matrix, Picture, as_html, difference


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

    ``upto`` is the node-by-node step after which every covered node's grad is final (the
    graph shows the grads as they are then).
    """
    index = {n: k for k, n in enumerate(order)}
    steps = []
    for eq in view.equations:
        nodes = sorted(index[n] for n in eq.nodes if n in index)
        steps.append(
            {
                "key": eq.key,
                "layer": view.names.layer_number(eq.layer),
                "nodes": nodes,
                "upto": max(nodes, default=0),
                "html": _equation_html(eq, view),
            }
        )
    return steps


STYLE = """
  .modes { margin: 6px 0 4px; }
  .modes button { font-size: 13px; padding: 3px 8px; margin-right: 4px; }
  .modes button.on { background: var(--linked); color: #fff; border-color: var(--linked); }
  body.by-layer #side { width: clamp(640px, 40vw, 900px); }
  body.by-layer #panel { display: none; }
  body:not(.by-layer) #layer-panel { display: none; }
  #layer-panel .eq-head { font-weight: 600; font-size: clamp(16px, 1.1vw, 21px);
    margin: 10px 0 8px; }
  #layer-panel .eq-key { color: var(--focus); }
  #layer-panel .picture { margin: 8px 0; }
  #layer-panel .pic-title { color: #555; font-size: 12px; margin-bottom: 2px; }
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
const svgEl = document.querySelector("#graph svg");
// the whole drawing (the node-by-node script pans and zooms through the viewBox)
const fullView = [G.x, G.y, G.w, G.h].join(" ");
// Fitted, the layer mode zooms the drawing onto the nodes an equation covers (with a margin);
// full size, or in the node-by-node mode, the whole drawing is shown as it is.
function focusGraph(ks) {
  svgEl.setAttribute("viewBox", fullView);
  const fitted = document.getElementById("graph").classList.contains("fit");
  if (mode !== "layer" || !fitted || !ks.length) return;
  const box = svgEl.getBoundingClientRect();
  const vb = fullView.split(/[\\s,]+/).map(Number);
  // the drawing is scaled uniformly (preserveAspectRatio meet): user units per CSS pixel
  const scale = Math.max(vb[2] / box.width, vb[3] / box.height);
  const left = box.left + (box.width - vb[2] / scale) / 2;
  const top = box.top + (box.height - vb[3] / scale) / 2;
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const k of ks) {
    const r = nodes[k].getBoundingClientRect();
    x0 = Math.min(x0, r.left); y0 = Math.min(y0, r.top);
    x1 = Math.max(x1, r.right); y1 = Math.max(y1, r.bottom);
  }
  const pad = 24 * scale;
  let x = vb[0] + (x0 - left) * scale - pad, y = vb[1] + (y0 - top) * scale - pad;
  let w = (x1 - x0) * scale + 2 * pad, h = (y1 - y0) * scale + 2 * pad;
  // never closer than 2.5 times the fitted size, so a one-node equation keeps its neighbours
  const least = Math.max(vb[2], vb[3]) / 2.5;
  if (w < least) { x -= (least - w) / 2; w = least; }
  if (h < least * box.height / box.width) {
    const want = least * box.height / box.width;
    y -= (want - h) / 2; h = want;
  }
  svgEl.setAttribute("viewBox", `${x} ${y} ${w} ${h}`);
}
let mode = "node";
let fitted = false;
let layerCurrent = -1;
function showLayer(i) {
  layerCurrent = Math.max(-1, Math.min(LAYERS.length - 1, i));
  document.body.dataset.layerStep = String(layerCurrent);
  document.querySelectorAll("#graph .current, #graph .parent, #graph .active, " +
    "#graph .changed, #graph .covered")
    .forEach((el) => el.classList.remove("current", "parent", "active", "changed", "covered"));
  const st = layerCurrent >= 0 ? LAYERS[layerCurrent] : null;
  const grads = gradsAfter(st ? st.upto : -1);
  for (let k = 0; k < D.count; k++) {
    gradTexts[k].textContent = prefixes[k] + fmt(grads[k]);
    nodes[k].setAttribute("data-grad", String(grads[k]));
  }
  document.getElementById("layer-index").textContent = st ? String(layerCurrent) : "\\u2013";
  const body = document.getElementById("layer-body");
  if (!st) {
    body.innerHTML = "<p class='eq-note'>Press Next (\\u2192): each step applies one of " +
      "BP1\\u2013BP4 to one layer, with the graph's own numbers, and highlights every node " +
      "the equation covers.</p>";
    return;
  }
  body.innerHTML = st.html;
  st.nodes.forEach((k) => nodes[k].classList.add("covered"));
  focusGraph(st.nodes);
  if (st.nodes.length) nodes[st.nodes[0]].scrollIntoView({ block: "nearest", inline: "nearest" });
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
    focusGraph([]);
    show(current);
  }
}
if (!LAYERS.length) document.getElementById("modes").style.display = "none";
document.getElementById("layer-last").textContent = String(LAYERS.length - 1);
document.getElementById("mode-node").addEventListener("click", () => setMode("node"));
document.getElementById("fit").addEventListener("click", () => {
  if (mode === "layer") showLayer(layerCurrent);  // zoom in fitted, the whole drawing full size
});
document.getElementById("mode-layer").addEventListener("click", () => setMode("layer"));
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
