// The expression lab: the learner's code runs in the page's Python (viz/site/lab.py), which
// answers with the printed output, the graph's nodes (numbers already formatted), the drawing
// and, on request, explain() of a node and the stepper's page. A node is identified by its step
// k in the backward pass: Python gives the drawing's SVG ids with their k, so a click on a node
// is looked up, never read from the drawing's text.
import { startPython } from "./site.js";

const python = startPython();
const $ = (id) => document.getElementById(id);
const code = $("code");
let graph = null; // the last run's answer, while it has a graph
let selected = null; // k of the node explained
let stepperShown = false; // the stepper's page is loaded for the current graph

function setBusy(busy, what = "") {
  document.body.dataset.busy = busy ? what : "";
  $("run").disabled = busy;
}

async function setup() {
  const [examples, options] = await Promise.all([
    python.call("lab", "examples"),
    python.call("lab", "options"),
  ]);
  for (const ex of examples) $("example").add(new Option(ex.title, ex.key));
  $("example").addEventListener("change", () => {
    code.value = examples.find((ex) => ex.key === $("example").value).code;
    $("root").value = "";
    run();
  });
  for (const n of options.notations) $("notation").add(new Option(n.title, n.key));
  for (const d of options.digits) $("digits").add(new Option(String(d), String(d)));
  $("digits").value = "4";
  $("namespace").innerHTML =
    "In your code's namespace: " +
    options.namespace.map((name) => `<code>${name}</code>`).join(", ") +
    ". Each unlabelled Value is called by its variable's name.";
  code.value = examples[0].code;
  for (const id of ["notation", "digits"]) $(id).addEventListener("change", run);
  document.body.dataset.lab = "ready";
  await run();
}

function showError(error) {
  $("error").textContent = error ? error.message : "";
}

function clearGraph(about) {
  graph = null;
  selected = null;
  stepperShown = false;
  $("graph").replaceChildren();
  $("explain-lines").replaceChildren();
  $("pick").replaceChildren();
  $("vars").tHead.replaceChildren();
  $("vars").tBodies[0].replaceChildren();
  $("stepper-frame").srcdoc = "";
  $("about").textContent = about;
}

async function run() {
  const limit = Math.max(1, Number($("limit").value) || 10);
  const args = {
    code: code.value,
    root: $("root").value,
    notation: $("notation").value,
    digits: Number($("digits").value),
  };
  setBusy(true, "running");
  showError(null);
  $("output").textContent = "";
  let answer;
  try {
    answer = await python.call("lab", "run", args, { timeout: limit });
  } catch (e) {
    clearGraph("Nothing to draw: the code did not finish.");
    if (e.name === "TimeoutError") {
      showError({
        message:
          `Stopped: your code was still running after ${limit} s (an endless loop?). ` +
          "Python was restarted; fix the code and run it again.",
      });
    } else {
      showError({ message: `${e.name}: ${e.message}` });
    }
    setBusy(false);
    document.body.dataset.ran = String(Number(document.body.dataset.ran || 0) + 1);
    return;
  }
  $("output").textContent = answer.output;
  showError(answer.error);
  show(answer);
  setBusy(false);
  document.body.dataset.ran = String(Number(document.body.dataset.ran || 0) + 1);
}

function show(answer) {
  clearGraph(answer.why);
  if (answer.root === null) return;
  graph = answer;
  const root = answer.root.name || "the root";
  $("about").textContent =
    `${answer.why[0].toUpperCase()}${answer.why.slice(1)}. Grads: one backward pass from ` +
    `${root}, from zero (what ${root}.backward() gives once), whatever the code did with .grad.`;
  // the drawing
  if (answer.drawing.svg) {
    $("graph").innerHTML = answer.drawing.svg;
    sizeGraph();
    for (const g of $("graph").querySelectorAll("g.node")) {
      const k = answer.ids[g.id];
      if (k !== undefined) g.addEventListener("click", () => select(k));
    }
  } else {
    $("graph").textContent = answer.drawing.why;
  }
  // the named variables, and every node, to pick for explain()
  const named = answer.nodes.filter((n) => n.variable);
  $("vars-title").textContent = `Variables (∂${root}/∂x: one backward pass from ${root})`;
  const head = $("vars").tHead.insertRow();
  for (const text of ["variable", "data", `∂${root}/∂ variable`]) {
    const th = document.createElement("th");
    th.textContent = text;
    head.appendChild(th);
  }
  for (const n of named) {
    const tr = $("vars").tBodies[0].insertRow();
    tr.dataset.k = String(n.k);
    tr.insertCell().textContent = n.variable;
    for (const text of [n.data, n.grad]) {
      const td = tr.insertCell();
      td.className = "num";
      td.textContent = text;
    }
    tr.addEventListener("click", () => select(n.k));
  }
  for (const n of answer.nodes) {
    const title = n.name || `step ${n.k}: ${n.op || "constant"} (${n.data})`;
    $("pick").add(new Option(title, String(n.k)));
  }
  const first = named.length ? named[named.length - 1].k : 0;
  select(first);
  if (!$("stepper").hidden) loadStepper();
}

// The drawing at a readable size: fitted to the area's width, but never so small that its 11 pt
// text is under 11 px (it then scrolls); "whole graph" fits it entirely, however small.
// 11 pt is 14.7 px: at 0.75 of its size, 11 px, beside 14 px text (1400 wide); the drawing
// grows with the page's text (18 px at 1920), as the desktop pages' text does
const READABLE = 0.75;
const readable = () =>
  Math.min(1, (READABLE * parseFloat(getComputedStyle(document.body).fontSize)) / 14);
let whole = false;

function sizeGraph() {
  const svg = $("graph").querySelector("svg");
  if (!svg) return;
  const width = svg.width.baseVal.value;
  const height = svg.height.baseVal.value;
  const area = $("graph");
  const fit = Math.min(1, (area.clientWidth - 4) / width, whole ? (area.clientHeight - 4) / height : 1);
  const scale = whole ? fit : Math.max(fit, readable());
  svg.style.maxWidth = "none";
  svg.style.width = `${width * scale}px`;
  svg.style.height = `${height * scale}px`;
  $("whole").textContent = whole ? "Readable size" : "Whole graph";
  $("whole").hidden = !whole && fit >= readable();
}

function scrollToSelected() {
  const drawn = $("graph").querySelector("g.node.selected");
  if (drawn) drawn.scrollIntoView({ block: "nearest", inline: "nearest" });
}

async function select(k) {
  if (graph === null) return;
  selected = k;
  $("pick").value = String(k);
  for (const g of $("graph").querySelectorAll("g.node.selected")) g.classList.remove("selected");
  const drawn = $("graph").querySelector(`g.node[id="v${k}"]`);
  if (drawn) {
    drawn.classList.add("selected");
    scrollToSelected();
  }
  for (const tr of $("vars").tBodies[0].rows) {
    tr.classList.toggle("selected", tr.dataset.k === String(k));
  }
  try {
    const e = await python.call("lab", "explain_node", { k });
    if (selected !== k) return;
    const lines = $("explain-lines");
    lines.replaceChildren();
    for (const line of e.html) {
      const div = document.createElement("div");
      div.innerHTML = line; // HTML written by Python: names' <sub>/<sup>, the rest escaped
      lines.appendChild(div);
    }
    lines.dataset.k = String(k);
  } catch (error) {
    $("explain-lines").textContent = `${error.name}: ${error.message}`;
  }
}

async function loadStepper() {
  if (graph === null || stepperShown) return;
  stepperShown = true;
  try {
    const answer = await python.call("lab", "stepper");
    if (answer.html) $("stepper-frame").srcdoc = answer.html;
    else $("stepper-frame").srcdoc = `<p style="font: 16px sans-serif">${answer.why}</p>`;
  } catch (error) {
    stepperShown = false;
    showError({ message: `${error.name}: ${error.message}` });
  }
}

function tab(which) {
  const stepper = which === "stepper";
  $("tab-graph").setAttribute("aria-selected", String(!stepper));
  $("tab-stepper").setAttribute("aria-selected", String(stepper));
  $("graph-view").hidden = stepper;
  $("stepper").hidden = !stepper;
  $("whole").classList.toggle("off", stepper); // the stepper has its own Fit
  if (stepper) loadStepper();
}

$("tab-graph").addEventListener("click", () => tab("graph"));
$("tab-stepper").addEventListener("click", () => tab("stepper"));
$("run").addEventListener("click", run);
$("whole").addEventListener("click", () => {
  whole = !whole;
  sizeGraph();
  scrollToSelected();
});
window.addEventListener("resize", sizeGraph);
$("pick").addEventListener("change", () => select(Number($("pick").value)));
for (const id of ["code", "root"]) {
  $(id).addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
    }
  });
}
setup().catch((error) => showError({ message: `The lab could not start: ${error.message}` }));
