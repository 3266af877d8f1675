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
from nn.notation import Notation

from . import numbers
from .draw import build, check_value, fmt, processing_order
from .explain import Namer
from .names import svg_tspans
from .render import render_svg


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
            if len(fmt(grads[p], digits)) > len(fmt(widest[p], digits)):
                widest[p] = grads[p]
    return widest


def _script_json(data: object) -> str:
    # JSON inside <script>: no "</script>" or "<!--" can appear, and NaN/Infinity stay JS literals
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
) -> str:
    """A self-contained HTML page that steps through root's backward pass node by node.

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
    with fresh_grads(root):  # the pass starts from zero grads, as the page does
        steps = _records(root, order)
        # Draw each node with the widest grad the page will write into its record, so the
        # record is wide enough for every value as the grads accumulate.
        for n, g in zip(order, _widest_grads(steps, len(order), digits), strict=True):
            n.grad = g
        graph, typeset = build(
            root,
            rankdir,
            max_nodes,
            parameters=parameters,
            show_grad=True,
            digits=digits,
            notation=notation,
        )
    name = Namer(order, notation)
    root_marked = name(root) if root.label else name.symbol("cost")
    root_name = name.unicode(root_marked)
    subjects = [name.subject(n) for n in order]
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
    }
    svg = _compact(svg_tspans(render_svg(graph.source, renderer), typeset.fragments))
    heading = title if title is not None else f"Backward pass of {root_name}"
    parts = {"TITLE": html.escape(heading), "SVG": svg, "DATA": _script_json(data)}
    # one pass over the template, so text inside the SVG is never taken for a marker
    return re.sub(r"%(TITLE|SVG|DATA)%", lambda m: parts[m.group(1)], _PAGE)


def write_stepper(root: Value, path: str | os.PathLike[str], **options: Any) -> None:
    """Write stepper_html(root, **options) to path (UTF-8)."""
    text = stepper_html(root, **options)
    target = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"cannot write the stepper page to {target!r}: the folder {folder!r} does not "
            "exist; create it first (os.makedirs)"
        )
    if os.path.isdir(target):
        raise IsADirectoryError(
            f"cannot write the stepper page to {target!r}: it is a folder; give a file name "
            f"such as {os.path.join(target, 'stepper.html')!r}"
        )
    with open(target, "w", encoding="utf-8") as f:
        f.write(text)


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>%TITLE%</title>
<style>
  body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial,
         sans-serif; font-size: 14px; color: #222; display: flex; height: 100vh; }
  #graph { flex: 1; overflow: auto; padding: 8px; }
  #graph.fit svg { width: 100%; height: auto; }
  #graph text:not([font-size]) { font-family: Helvetica, sans-serif; font-size: 11px; }
  #side { width: 400px; border-left: 1px solid #ccc; padding: 12px 14px; overflow: auto;
          background: #fafafa; box-sizing: border-box; }
  h1 { font-size: 16px; margin: 0 0 8px; }
  .controls button { font-size: 14px; padding: 4px 10px; margin-right: 4px; }
  .hint { color: #666; font-size: 12px; margin: 6px 0 10px; }
  #status { font-weight: 600; margin: 10px 0 6px; }
  #panel .num { font-family: ui-monospace, Menlo, Consolas, monospace; }
  table { border-collapse: collapse; margin-top: 8px; width: 100%; }
  th, td { border: 1px solid #ddd; padding: 3px 5px; text-align: left; font-size: 13px; }
  th { background: #eee; font-weight: 600; }
  #note { color: #444; margin-top: 10px; }
  #graph g.node.current > polygon, #graph g.node.current > ellipse {
    stroke: #d62728; stroke-width: 3px; }
  #graph g.node.parent > polygon, #graph g.node.parent > ellipse {
    stroke: #1f77b4; stroke-width: 2.5px; }
  #graph g.edge.active > path { stroke: #d62728; stroke-width: 2.5px; }
  #graph g.edge.active > polygon { stroke: #d62728; fill: #d62728; }
  #graph text.changed { fill: #1f4fb4; font-weight: bold; }
</style>
</head>
<body>
<div id="graph">%SVG%</div>
<div id="side">
  <h1>%TITLE%</h1>
  <div class="controls">
    <button id="prev" type="button">&larr; Previous</button>
    <button id="next" type="button">Next &rarr;</button>
    <button id="play" type="button">Play</button>
    <button id="fit" type="button" title="fit the graph to the window, or full size">Fit</button>
  </div>
  <div class="hint">Keys: &larr; / &rarr; step, space plays or pauses, Home restarts.</div>
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
</div>
<script>
"use strict";
const D = %DATA%;
const STEPS = D.steps;
const C = D.rootHtml;  // names are HTML made by Python: escaped text and <sup>/<sub> only
const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

// The same text as Python's format(x, ".4g"), so the page and the drawing agree.
function fmt(x) {
  const p = D.digits;
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const [m, e] = x.toExponential(p - 1).split("e");
  const exp = parseInt(e, 10);
  const strip = (s) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\\.$/, "") : s);
  if (exp < -4 || exp >= p) {
    return strip(m) + "e" + (exp < 0 ? "-" : "+") + String(Math.abs(exp)).padStart(2, "0");
  }
  return strip(x.toFixed(Math.max(0, p - 1 - exp)));
}

// The engine adds a contribution to a parent's grad this way (skipping 0.0 + c).
const acc = (total, extra) => (total === 0 ? extra : extra === 0 ? total : total + extra);

const nodes = [];
const gradTexts = [];
const prefixes = [];
for (let k = 0; k < D.count; k++) {
  const g = document.getElementById("v" + k);
  nodes.push(g);
  const texts = g.querySelectorAll("text");
  const t = texts[texts.length - 1];  // the last row of a record is its grad (or δ)
  gradTexts.push(t);
  const text = t.textContent;
  prefixes.push(text.slice(0, text.lastIndexOf("=") + 2));
}

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
  g.scrollIntoView({ block: "nearest", inline: "nearest" });
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
  const fit = document.getElementById("graph").classList.toggle("fit");
  document.getElementById("fit").textContent = fit ? "Full size" : "Fit";
});
document.addEventListener("keydown", (e) => {
  if (e.key === "ArrowRight") { pause(); show(current + 1); }
  else if (e.key === "ArrowLeft") { pause(); show(current - 1); }
  else if (e.key === "Home") { pause(); show(-1); }
  else if (e.key === "End") { pause(); show(STEPS.length - 1); }
  else if (e.key === " ") { if (timer === null) play(); else pause(); }
  else return;
  e.preventDefault();
});
document.getElementById("step-last").textContent = String(STEPS.length - 1);
const wanted = /^#step=(-?\\d+)$/.exec(location.hash);
show(wanted ? parseInt(wanted[1], 10) : -1);
</script>
</body>
</html>
"""
