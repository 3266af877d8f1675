// One Python with deltagrad in a Web Worker: Pyodide boots here, installs the site's wheels and
// answers each page's calls through viz.site.bridge, so training and grading never block the
// page. Graphviz (WebAssembly, @viz-js/viz) is loaded here too, for Python's viz.render.
let python = null;

async function boot() {
  const started = performance.now();
  const manifest = await (await fetch("site.json")).json();
  const base = new URL(manifest.pyodide, self.location.href).href;
  const { loadPyodide } = await import(base + "pyodide.mjs");
  const py = await loadPyodide({ indexURL: base });
  for (const wheel of manifest.wheels) {
    const bytes = await (await fetch(wheel)).arrayBuffer();
    py.unpackArchive(bytes, "wheel");
  }
  const viz = await (await import("./viz-js/viz.js")).instance();
  // viz.render's browser path: DOT text in, SVG text out (Graphviz's own errors as an exception)
  self.deltagradRenderDot = (dot) => {
    const result = viz.render(dot, { format: "svg" });
    if (result.status !== "success") {
      throw new Error(result.errors.map((e) => e.message).join("; ") || "Graphviz failed");
    }
    return result.output;
  };
  python = { py, call: py.pyimport("viz.site.bridge").call };
  const info = JSON.parse(python.call(JSON.stringify({ page: "site", fn: "info", args: {} })));
  return { ...info.result, bootMs: Math.round(performance.now() - started) };
}

const booting = boot();
booting.then(
  (info) => self.postMessage({ type: "ready", info }),
  (error) => self.postMessage({ type: "failed", message: String(error && error.stack || error) }),
);

self.onmessage = async (event) => {
  const { id, page, fn, args, packages } = event.data;
  try {
    await booting;
    if (packages && packages.length) await python.py.loadPackage(packages);
    const answer = python.call(JSON.stringify({ page, fn, args }));
    self.postMessage({ type: "answer", id, answer });
  } catch (error) {
    const answer = JSON.stringify({
      ok: false,
      error: { type: "WorkerError", message: String(error && error.message || error) },
    });
    self.postMessage({ type: "answer", id, answer });
  }
};
