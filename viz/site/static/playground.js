// The live playground: the settings and Play / Pause / Step / Reset here; deltagrad trains in
// the page's Python (viz.site.playground, in the worker) a few steps per call, and the desktop
// playground's own page (viz/playground.html, in the iframe) draws what Python recorded.
import { startPython } from "./site.js";

const python = startPython();
const $ = (id) => document.getElementById(id);
const view = $("view");
const call = (fn, args = {}) => python.call("playground", fn, args);

let playing = false;
let queue = Promise.resolve();  // one thing at a time: a start, a few steps, a notation
let viewReady = Promise.resolve();
let generation = 0;  // a new start makes the answers of an older run stale

function enqueue(task) {
  const next = queue.then(task, task);
  queue = next.catch(() => {});
  return next;
}

function message(text) {
  $("message").textContent = text;
  document.body.dataset.error = text ? "yes" : "";
}

function settings() {
  return {
    dataset: $("dataset").value,
    points: $("points").value,
    csv: $("dataset").value === "csv" ? $("csv").value : null,
    hidden: $("hidden").value,
    activation: $("activation").value,
    cost: $("cost").value,
    optimizer: $("optimizer").value,
    lr: $("lr").value,
    batch_size: $("batch").value,
    seed: $("seed").value,
    notation: $("notation").value,
  };
}

function counter(answer) {
  $("counter").textContent = `step ${answer.step} · loss ${answer.loss} · accuracy ${answer.accuracy}`;
  document.body.dataset.steps = String(answer.step);
}

function buttons(enabled) {
  for (const id of ["play", "step", "reset"]) $(id).disabled = !enabled;
}

// a new run from the settings: the desktop page's document, live
async function start() {
  pause();
  const mine = ++generation;
  document.body.dataset.started = "";
  try {
    const answer = await call("start", settings());
    if (mine !== generation) return;
    viewReady = new Promise((resolve) => { view.onload = resolve; });
    view.srcdoc = answer.html;
    await viewReady;
    message("");
    document.body.classList.remove("editing");  // the CSV read: its box closes
    counter(answer);
    buttons(true);
    document.body.dataset.started = "yes";
  } catch (error) {
    if (mine !== generation) return;
    message(error.message);
    buttons(false);
    $("reset").disabled = false;
  }
}

function show(answer) {
  view.contentWindow.playgroundLoad(answer.data, answer.rerun, answer.about);
  counter(answer);
}

// n more steps, then the picture of the parameters reached
async function train(n) {
  const mine = generation;
  try {
    const answer = await call("train", { steps: n });
    if (mine !== generation) return;
    await viewReady;
    show(answer);
  } catch (error) {
    pause();
    message(error.message);
  }
}

function pause() {
  playing = false;
  $("play").textContent = "Play";
  document.body.dataset.playing = "";
}

// Play: calls of a few steps each, one after the other, so Pause takes effect at once
function play() {
  playing = true;
  $("play").textContent = "Pause";
  document.body.dataset.playing = "yes";
  const loop = async () => {
    while (playing) {
      await enqueue(() => (playing ? train(parseInt($("perframe").value, 10)) : null));
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
  };
  loop();
}

async function options() {
  const o = await call("options");
  const fill = (id, items) => {
    $(id).replaceChildren(...items.map((item) => {
      const option = document.createElement("option");
      option.value = typeof item === "string" ? item : item.value;
      option.textContent = typeof item === "string" ? item : item.label;
      return option;
    }));
  };
  fill("dataset", [...o.datasets, { value: "csv", label: "your CSV…" }]);
  fill("activation", o.activations);
  fill("cost", o.costs.map((c) => ({ value: c.value, label: `${c.label}` })));
  fill("optimizer", o.optimizers);
  fill("notation", o.notations);
  const d = o.defaults;
  $("dataset").value = d.dataset;
  $("points").value = d.points;
  $("hidden").value = d.hidden;
  $("activation").value = d.activation;
  $("cost").value = d.cost;
  $("optimizer").value = d.optimizer;
  $("lr").value = d.lr;
  $("batch").value = d.batch_size;
  $("seed").value = d.seed;
  $("notation").value = d.notation;
}

$("csvedit").addEventListener("click", () => document.body.classList.toggle("editing"));
$("play").addEventListener("click", () => (playing ? pause() : play()));
$("step").addEventListener("click", () => { pause(); enqueue(() => train(1)); });
$("reset").addEventListener("click", () => { pause(); enqueue(start); });
$("settings").addEventListener("submit", (event) => event.preventDefault());
$("settings").addEventListener("change", (event) => {
  document.body.classList.toggle("csv", $("dataset").value === "csv");
  if (event.target.id === "dataset") document.body.classList.toggle("editing", $("dataset").value === "csv");
  if (event.target.id === "notation") {
    const mine = generation;
    enqueue(async () => {
      try {
        const answer = await call("view", { notation: $("notation").value });
        if (mine === generation) { await viewReady; show(answer); }
      } catch (error) { message(error.message); }
    });
  } else if (event.target.id !== "dataset" || $("dataset").value !== "csv" || $("csv").value.trim()) {
    pause();
    enqueue(start);  // any other setting: a new run (the same seed, the same start)
  } else {
    pause();
    message("Paste or open a CSV, then press Reset.");
  }
});
$("csvfile").addEventListener("change", async () => {
  const file = $("csvfile").files[0];
  if (!file) return;
  $("csv").value = await file.text();
  pause();
  enqueue(start);
});

// for the tests and the measurement script: n steps through the same path as Step and Play,
// and the page's Python itself
window.playgroundTrain = (n) => enqueue(() => train(n));
window.playgroundCall = call;
window.playgroundIdle = () => queue;  // settles when what was asked so far is done

await python.ready;
await options();
await enqueue(start);
