// The pages' side of the worker: `new Python()` starts a worker with deltagrad (worker.js), and
// `await python.call(page, fn, args)` runs viz.site.<page>.CALLS[fn](**args) there and returns
// its result. A call given a time limit that runs over it stops that Python (the worker is
// terminated, so an endless loop never freezes the page) and starts a fresh one.

export class PythonError extends Error {
  constructor(type, message) {
    super(message);
    this.name = type;  // the Python exception's class, such as ValueError
  }
}

export class Python {
  constructor(onStatus = () => {}) {
    this.onStatus = onStatus;
    this.start();
  }

  start() {
    this.pending = new Map();
    this.next = 0;
    this.worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    this.onStatus("starting", null);
    this.ready = new Promise((resolve, reject) => {
      this.worker.onmessage = (event) => {
        const message = event.data;
        if (message.type === "ready") {
          this.info = message.info;
          this.onStatus("ready", message.info);
          resolve(message.info);
        } else if (message.type === "failed") {
          this.onStatus("failed", message.message);
          reject(new Error(message.message));
        } else if (message.type === "answer") {
          const waiting = this.pending.get(message.id);
          if (!waiting) return;
          this.pending.delete(message.id);
          clearTimeout(waiting.timer);
          const answer = JSON.parse(message.answer);
          if (answer.ok) waiting.resolve(answer.result);
          else waiting.reject(new PythonError(answer.error.type, answer.error.message));
        }
      };
      this.worker.onerror = (event) => {
        this.onStatus("failed", event.message);
        reject(new Error(event.message));
      };
    });
  }

  restart() {
    this.worker.terminate();
    for (const waiting of this.pending.values()) {
      clearTimeout(waiting.timer);
      waiting.reject(new PythonError("Stopped", "Python was restarted"));
    }
    this.start();
  }

  // page: a page's Python module (viz.site.<page>); fn: one of its CALLS; args: keywords.
  // timeout (seconds, counted from when Python is ready): past it, this Python is replaced.
  async call(page, fn, args = {}, { timeout = null, packages = [] } = {}) {
    await this.ready;
    const id = this.next++;
    return new Promise((resolve, reject) => {
      const waiting = { resolve, reject, timer: null };
      if (timeout !== null) {
        waiting.timer = setTimeout(() => {
          this.pending.delete(id);
          this.restart();
          reject(new PythonError("TimeoutError", `still running after ${timeout} s: stopped`));
        }, timeout * 1000);
      }
      this.pending.set(id, waiting);
      this.worker.postMessage({ id, page, fn, args, packages });
    });
  }
}

// The status line every page has: what runs the page, or what went wrong starting it.
export function statusText(state, detail) {
  if (state === "starting") return "Starting Python in your browser (Pyodide)…";
  if (state === "ready") {
    return `deltagrad ${detail.deltagrad} · Python ${detail.python} in your browser (Pyodide)`;
  }
  return `Python could not start: ${detail}`;
}

// Start the page's Python, showing its state in #status and as body[data-python]
// ("starting", "ready" or "failed"), which the page's own script and the tests wait on.
export function startPython() {
  const status = document.getElementById("status");
  return new Python((state, detail) => {
    document.body.dataset.python = state;
    if (status) {
      status.textContent = statusText(state, detail);
      status.className = state;
    }
  });
}
