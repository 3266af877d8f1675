// Check my backprop: the learner's code and the chosen network go to Python (viz.site.check),
// which runs the code in this page's worker and grades it with nn.grading; the report comes
// back as HTML written by the grader's own renderer. A check that runs past the time limit
// stops the worker (an endless loop never freezes the page) and a fresh Python starts.
import { startPython } from "./site.js";

const python = startPython();
const $ = (id) => document.getElementById(id);
const report = $("report");
let choices = null;

const OWN = "";  // the exercise menu's entry for the learner's own code

function option(select, value, text) {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = text;
  select.append(o);
}

function settings() {
  return {
    net: $("net").value.split(/[-,\s]+/).filter((s) => s).map(Number),
    activation: $("activation").value,
    output_activation: $("output").value,
    cost: $("cost").value,
    notation: $("notation").value,
  };
}

function pickExercise(key) {
  const exercise = choices.exercises.find((e) => e.key === key);
  if (!exercise) return;
  $("code").value = exercise.source;
  $("net").value = exercise.net.join("-");
  $("activation").value = exercise.activation;
  $("output").value = exercise.output_activation;
  $("cost").value = exercise.cost;
  showPlaceholder(`${exercise.file}: fill in its four TODO lines (BP1–BP4), then press Check.`);
}

function showPlaceholder(text) {
  report.removeAttribute("data-verdict");
  report.removeAttribute("data-mistake");
  report.replaceChildren();
  const p = document.createElement("p");
  p.className = "placeholder";
  p.textContent = text;
  report.append(p);
}

// The report: the grader's HTML (its own renderer's output: symbols typeset, text escaped),
// whose first paragraph is the verdict, with the named mistake as a headline after it; or why
// the code could not be graded; then what the code printed.
function showResult(result) {
  report.dataset.verdict = result.verdict;
  report.dataset.mistake = result.mistake || "";
  const parts = [];
  if (result.verdict === "ungradeable") {
    const verdict = document.createElement("p");
    verdict.id = "verdict";
    verdict.textContent = "Could not be graded";
    const reason = document.createElement("p");
    reason.className = "reason";
    reason.textContent = `It could not be graded: ${result.reason}.`;
    parts.push(verdict, reason);
  } else {
    const body = document.createElement("div");
    body.innerHTML = result.html;
    const graded = body.firstElementChild;  // div.backprop-report
    if (result.title) {
      const named = document.createElement("p");
      named.id = "named";
      named.innerHTML = `Mistake: <span class="title">${result.title}</span>`;
      graded.firstElementChild.after(named);
    }
    parts.push(graded);
  }
  if (result.printed) {
    const printed = document.createElement("pre");
    printed.className = "printed";
    printed.textContent = result.printed;
    parts.push(printed);
  }
  report.replaceChildren(...parts);
}

function showStopped(limit) {
  report.dataset.verdict = "stopped";
  report.dataset.mistake = "";
  const verdict = document.createElement("p");
  verdict.id = "verdict";
  verdict.textContent = "Could not be graded";
  const reason = document.createElement("p");
  reason.className = "reason";
  reason.textContent =
    `It ran longer than the time limit of ${limit} s (an endless loop?): the page stopped ` +
    "its Python and started a fresh one. Fix the loop and press Check again.";
  report.replaceChildren(verdict, reason);
}

function showError(error) {
  report.dataset.verdict = "refused";
  report.dataset.mistake = "";
  const p = document.createElement("p");
  p.className = "error";
  p.textContent = error.message;  // a setting no check can use, said by the grader
  report.replaceChildren(p);
}

let site = null;  // site.json: a site built with --pyodide-url loads numpy for numpy code

async function runCheck() {
  const button = $("check");
  button.disabled = true;
  document.body.dataset.checking = "yes";
  $("busy").textContent = "Checking…";
  const args = { source: $("code").value, ...settings() };
  const limit = choices.timeLimit;
  try {
    let result = await python.call("check", "grade", args, { timeout: limit });
    if (result.cause === "numpy" && site && site.pyodide !== "pyodide/") {
      // a full Pyodide distribution has numpy as a package to load: load it, check again
      result = await python.call("check", "grade", args, { timeout: limit, packages: ["numpy"] });
    }
    showResult(result);
  } catch (error) {
    if (error.name === "TimeoutError") showStopped(limit);
    else showError(error);
  } finally {
    $("busy").textContent = "";
    button.disabled = false;
    document.body.dataset.checking = "no";
  }
}

async function main() {
  site = await (await fetch("site.json")).json();
  choices = await python.call("check", "choices");
  for (const e of choices.exercises) option($("exercise"), e.key, `${e.file} — ${e.title}`);
  option($("exercise"), OWN, "your own code (paste it below)");
  for (const a of choices.activations) option($("activation"), a, a);
  for (const a of choices.outputs) option($("output"), a, a);
  for (const c of choices.costs) option($("cost"), c.name, c.name.replaceAll("_", " "));
  for (const n of choices.notations) option($("notation"), n.key, n.title);
  $("limits").textContent =
    `Your code runs in this page's own Python (Pyodide, in a Web Worker), stopped after ` +
    `${choices.timeLimit} s, so a mistake such as an endless loop never freezes the page. ` +
    "That protects the page from mistakes, not from a learner who forges a result: the " +
    "grader runs in the same Python as the code it checks. For grading a class, use " +
    "deltagrad grade on a desktop.";
  $("exercise").addEventListener("change", (event) => {
    if (event.target.value === OWN) {
      $("code").value = "";
      showPlaceholder("Paste your backprop(weights, biases, x, y) on the left, choose its " +
        "network, activations and cost, then press Check.");
    } else {
      pickExercise(event.target.value);
    }
  });
  // the report is written in the chosen notation: switching it checks the code again
  $("notation").addEventListener("change", () => {
    const shown = ["ok", "wrong", "ungradeable"].includes(report.dataset.verdict);
    if (shown && !$("check").disabled) runCheck();
  });
  $("check").addEventListener("click", runCheck);
  pickExercise(choices.exercises[0].key);
  $("check").disabled = false;
  document.body.dataset.page = "ready";
}

main().catch((error) => {
  const status = $("status");
  status.textContent = `The check page could not start: ${error.message}`;
  status.className = "failed";
});
