"""How fast the site's live playground is in Chromium: page open to ready, and 100 steps.

Run from the repository root (needs npm for the build, Playwright and a Chromium):

    python tests/benchmarks/site_timing.py                 # builds the site into a temp folder
    python tests/benchmarks/site_timing.py --site DIR      # times a site built already

It serves the site on the loopback interface, opens playground.html twice in one browser
context (the second open is the warm cache, the one reported) and times from the page's
navigation to the first run shown (Python booted, deltagrad imported, the 2-8-8-1 network on
100 moons drawn). Then it trains 100 steps in the page (the traced step, through the same call
that Play and Step make), timed in the page: the Python call alone, and the call with its
picture drawn. Wall time of one machine: informational, printed against the aims (ready
<= 5 s from a warm cache, 100 traced steps <= 1 s), the exit status stays 0.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
AIM_READY, AIM_STEPS = 5.0, 1.0  # seconds
STEPS = 100

# the time from navigation start to the first run shown, in the page's own clock
READY = """async () => {
  while (document.body.dataset.started !== "yes") await new Promise((r) => setTimeout(r, 20));
  return performance.now() / 1000;
}"""
# 100 steps of the page's run: the Python call alone, then the call and the picture
TRAIN = """async (steps) => {
  await window.playgroundIdle();
  let t = performance.now();
  await window.playgroundCall("train", { steps });
  const call = (performance.now() - t) / 1000;
  t = performance.now();
  await window.playgroundTrain(steps);
  return [call, (performance.now() - t) / 1000];
}"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _measure(site: Path, chromium: str, rounds: int) -> tuple[list[float], list[float], float]:
    from playwright.sync_api import sync_playwright

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/playground.html"
    ready: list[float] = []
    calls: list[float] = []
    drawn: list[float] = []
    cold = 0.0
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            page = context.new_page()
            for i in range(rounds + 1):  # the first open fills the cache
                page.goto(url)
                seconds = page.evaluate(READY)
                if i == 0:
                    cold = seconds
                    continue
                ready.append(seconds)
                call, both = page.evaluate(TRAIN, STEPS)
                calls.append(call)
                drawn.append(both)
            sizes = page.evaluate("window.playgroundCall('parameters')")
            assert len(sizes["parameters"]) == 2 * 8 + 8 + 8 * 8 + 8 + 8 + 1  # 2-8-8-1
            browser.close()
    finally:
        server.shutdown()
    print(f"cold open to ready: {cold:.2f} s (the first open, filling the cache)")
    return ready, calls, drawn


def main(argv: list[str] | None = None) -> int:
    """Build (or take) the site, time it in Chromium, print the numbers against the aims."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=None, help="a site built already")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="the browser to run")
    parser.add_argument("--rounds", type=int, default=3, help="warm opens to time (median)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as scratch:
        site = args.site
        if site is None:
            from viz.site import build

            site = Path(scratch) / "site"
            build(site, log=lambda line: None)
        ready, calls, drawn = _measure(site, args.chromium, max(1, args.rounds))
    med = statistics.median
    verdict = {True: "PASS", False: "FAIL"}
    print(f"| playground, Chromium | median of {len(ready)} | best | aim | |")
    print("|---|---|---|---|---|")
    print(
        f"| page open to ready (warm cache) | {med(ready):.2f} s | {min(ready):.2f} s | "
        f"<= {AIM_READY:g} s | {verdict[med(ready) <= AIM_READY]} |"
    )
    print(
        f"| {STEPS} traced steps, 2-8-8-1 on 100 points (the Python call) | {med(calls):.2f} s "
        f"| {min(calls):.2f} s | <= {AIM_STEPS:g} s | {verdict[med(calls) <= AIM_STEPS]} |"
    )
    print(
        f"| {STEPS} steps and their picture drawn | {med(drawn):.2f} s | {min(drawn):.2f} s | | |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
