"""Pictures for a projector: numbers never cut, the demo's one story, the stepper's view at
lecture-screen sizes (1400×900, 1920×1080), every node the panel names found in the drawing,
wide drawings scaled to the window, legends inside their boxes, and weighted edges between
neuron boxes (the browser parts in headless Chromium; skipped without it, unless
DELTAGRAD_REQUIRE_BROWSER=1, as in CI)."""

import html
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import viz
from autograd import Value, linear
from nn import MLP
from nn.data import moons
from nn.losses import batch_loss, binary_cross_entropy_with_logits, mse, squared_error
from nn.notation import Name
from viz.cli import main
from viz.draw import _NUMBER, MAX_LABEL, processing_order, shorten
from viz.numbers import number
from viz.palette import NEGATIVE, POSITIVE
from viz.render import available_renderers

SIZES = [(1400, 900), (1920, 1080)]


def neuron_graph() -> Value:
    """One tanh neuron and its squared error against 0.25 (the README's figure), no backward."""
    a1 = [Value(0.5, Name("input", 1, 0)), Value(-1.0, Name("input", 1, 1))]
    w = [Value(0.8, Name("weight", 2, 0, 0)), Value(-0.3, Name("weight", 2, 0, 1))]
    z = linear(w, a1, Value(0.1, Name("bias", 2, 0)))
    z.label_record = Name("preactivation", 2, 0)
    a = z.tanh()
    a.label_record = Name("activation", 2, 0)
    c = (a - 0.25) ** 2
    c.label_record = Name("cost")
    return c


def batch(sizes: list[int], n: int = 8, seed: int = 0) -> tuple[MLP, Value]:
    model = MLP(2, sizes, activation="tanh", output_activation="linear", seed=seed)
    xs, ys = moons(n=n, seed=seed)
    loss = batch_loss(mse, [model(x) for x in xs], [[float(y)] for y in ys])
    loss.backward()
    return model, loss


def svg_texts(svg: str) -> list[str]:
    """The text of each <text> element as a browser shows it (tspans joined)."""
    return [
        html.unescape(re.sub(r"<[^>]+>", "", body))
        for body in re.findall(r"<text\b[^>]*>(.*?)</text>", svg, re.S)
    ]


def plain(text: str) -> str:
    """text with Unicode super- and subscripts as plain characters (z³₀ -> z30), as the SVG's
    textContent reads once its tspans are joined."""
    return unicodedata.normalize("NFKC", text)


# ------------------------------------------------------------------------ 1. numbers are whole
@given(
    st.lists(
        st.one_of(
            st.from_regex(r"[a-zA-Z∂‖]{1,9}", fullmatch=True),
            st.floats(allow_nan=False, allow_infinity=False).map(lambda x: number(x, 6)),
        ),
        min_size=1,
        max_size=14,
    )
)
def test_shortening_cuts_words_never_numbers(words: list[str]) -> None:
    text = " ".join(words)
    short = shorten(text)
    if len(text) <= MAX_LABEL:
        assert short == text
        return
    assert short.endswith("…") and text.startswith(short[:-1])
    # every number kept is whole: it is a number of the text, at the same place
    kept = [m.group(0) for m in _NUMBER.finditer(short[:-1])]
    assert kept == [m.group(0) for m in _NUMBER.finditer(text)][: len(kept)]
    assert len(short) <= MAX_LABEL or _NUMBER.search(text[: len(short)])


@pytest.mark.parametrize("notation", ["nielsen", "lfd", "ng", "goodfellow"])
def test_collapsed_drawings_write_every_number_in_full(notation: str) -> None:
    model, loss = batch([16, 16, 1])
    svg = viz.svg(loss, collapse="neuron", notation=notation)
    texts = svg_texts(svg)
    assert not [t for t in texts if "…" in t]
    shown = " ".join(texts)
    for layer in model.layers:
        for neuron in layer.neurons:
            assert number(neuron.b.grad) in shown  # ∂C/∂b of each neuron, every digit and exponent
    # the row that lost its exponent ("‖∂C/∂w‖ = 3.725×10⁻…") is whole in every notation
    for row in (t for t in texts if "‖" in t):
        assert re.search(r"= −?\d(\.\d+)?(×10⁻?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)?$", row), row


def test_a_long_label_is_shortened_but_not_its_numbers() -> None:
    x = Value(2.0, "the learning rate we chose after a long search 0.0031415926")
    y = x * 3.0
    y.backward()
    svg = viz.svg(y)
    label = next(t for t in svg_texts(svg) if t.startswith("the learning"))
    assert label.endswith("…") and "0.003" not in label  # the number is dropped whole, not cut
    assert "data = 2" in svg_texts(svg) and "grad = 3" in svg_texts(svg)


# ------------------------------------------------------------------------ 2. the demo's story
@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("demo")
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["demo", "--steps", "5", "--out", str(out)])
    assert code == 0
    return out, buffer.getvalue()


def test_demo_draws_the_first_step_not_the_trained_model(demo: tuple[Path, str]) -> None:
    out, printed = demo
    shown = " ".join(svg_texts((out / "graph.svg").read_text(encoding="utf-8")))
    # the model as fit found it (same seed) and the full batch: fit's first gradient
    start = MLP(2, [16, 16, 1], activation="tanh", output_activation="linear", seed=0)
    xs, ys = moons(n=100, seed=0)
    first = batch_loss(
        binary_cross_entropy_with_logits, [start(x) for x in xs], [[float(y)] for y in ys]
    )
    first.backward()
    for layer in start.layers:
        for neuron in layer.neurons:
            assert number(neuron.b.grad) in shown
    assert f"C = {number(first.data)}" in shown and "100 examples" in shown
    assert "first training step" in printed and "graph.svg" in printed


def test_demo_names_its_small_stepper_network(demo: tuple[Path, str]) -> None:
    out, printed = demo
    page = (out / "stepper.html").read_text(encoding="utf-8")
    title = re.search(r"<title>(.*?)</title>", page)
    assert title is not None and "2-3-1" in title.group(1)
    about = re.search(r'<p id="about">(.*?)</p>', page, re.S)
    assert about is not None
    assert "small enough to step through" in about.group(1).lower()
    assert "2-16-16-1" in about.group(1)  # and which network the rest of the demo is
    line = next(x for x in printed.splitlines() if "stepper.html" in x)
    assert "2-3-1" in line and "small enough to step through" in line


# ------------------------------------------------------------------------ 4. names in the drawing
def page_data(page: str) -> dict[str, Any]:
    m = re.search(r"const D = (.*?);\n", page)
    assert m
    data: dict[str, Any] = json.loads(m.group(1))
    return data


def first_rows(page: str) -> dict[str, str]:
    """The first text row of each value node v{k} of the page's drawing."""
    rows = {}
    for m in re.finditer(r'<g id="(v\d+)" class="node">(.*?)</g>', page, re.S):
        texts = svg_texts(m.group(2))
        rows[m.group(1)] = texts[0]
    return rows


def plain_expression() -> Value:
    x, y = Value(1.5), Value(-2.0, "y")
    return (x * y + 3.0).tanh() * Value(0.5)


@pytest.mark.parametrize(
    "graph", ["neuron", "demo", "plain", "lfd"], ids=["neuron", "demo", "plain", "lfd"]
)
def test_every_node_the_panel_names_is_named_in_the_drawing(graph: str) -> None:
    notation = None
    if graph == "neuron":
        root = neuron_graph()
    elif graph == "demo":
        small = MLP(2, [3, 1], activation="tanh", output_activation="linear", seed=0)
        root = binary_cross_entropy_with_logits(small([0.3, -0.2]), [1.0])
    elif graph == "plain":
        root = plain_expression()
    else:
        model = MLP(2, [1], activation="tanh", output_activation="tanh", seed=0)
        root, notation = squared_error(model([0.5, -1.0]), [0.25]), "lfd"
    page = viz.stepper_html(root, notation=notation)
    data = page_data(page)
    rows = first_rows(page)
    assert len(rows) == data["count"]
    # the panel names a node in its node line and its parents' rows by D.names (as HTML)
    for k, name in enumerate(data["names"]):
        assert plain(rows[f"v{k}"]) == plain(name), (k, name, rows[f"v{k}"])
    # each graph has unlabelled nodes (a constant, an expression) that the panel names as the
    # drawing titles them: a constant by its value, an expression by its formula, never
    # 'node #k' (the lfd graph's only constant is its target, named y₁ by its record)
    assert not any(n.startswith("node #") for n in data["names"])
    assert any(n.startswith("(") for n in data["names"])


# ------------------------------------------------------------------------ 5. edges, renderers
def test_edges_between_neurons_say_which_weights_matter() -> None:
    model, loss = batch([4, 3, 1])
    source = viz.draw(loss, collapse="neuron").source
    styles = {
        (m.group(1), m.group(2)): (m.group(3), float(m.group(4)))
        for m in re.finditer(
            r"(n\d+_\d+) -> (n\d+_\d+) \[[^\]]*color=\"(#[0-9a-f]{8})\"[^\]]*penwidth=([\d.]+)",
            source,
        )
    }
    assert len(styles) == 2 * 4 + 4 * 3 + 3 * 1  # one edge per weight, each styled
    for layer_no, layer in enumerate(model.layers, start=2):
        grads = {
            (f"n{layer_no - 1}_{k}", f"n{layer_no}_{j}"): w.grad
            for j, neuron in enumerate(layer.neurons)
            for k, w in enumerate(neuron.w)
        }
        widest = max(grads, key=lambda e: abs(grads[e]))
        assert styles[widest][1] == max(styles[e][1] for e in grads)
        for edge, g in grads.items():
            colour, width = styles[edge]
            # TensorFlow Playground's convention: blue above 0, orange below
            assert colour.startswith(POSITIVE if g > 0 else NEGATIVE), edge
            # width grows with |∂C/∂w|, the layer's largest the widest
            assert width == pytest.approx(0.3 + 3.7 * abs(g) / abs(grads[widest]), abs=0.006)
    assert "width ∝ |∂C/∂w" in source  # and the legend says so


def test_edges_by_weight_before_backward() -> None:
    model = MLP(2, [3, 1], activation="tanh", seed=1)
    out = model([0.2, 0.4])[0]
    source = viz.draw(out, collapse="neuron", show_grad=False).source
    w = model.layers[1].neurons[0].w
    widest = max(range(3), key=lambda k: abs(w[k].data))
    m = re.search(rf"n2_{widest} -> n3_0 \[[^\]]*penwidth=([\d.]+)", source)
    assert m is not None and float(m.group(1)) == 4.0
    assert "width ∝ |w" in source


# ------------------------------------------------------------------------ in Chromium
VIEW = """() => {
  const area = document.getElementById("graph").getBoundingClientRect();
  const svg = document.querySelector("#graph svg");
  const s = svg.getScreenCTM().a;  // CSS px per SVG unit
  const fonts = [...svg.querySelectorAll("text")].map(
    (t) => parseFloat(getComputedStyle(t).fontSize));
  const g = document.querySelector("#graph svg g.graph").getBoundingClientRect();
  const axis = (lo, hi, alo, ahi) => ({
    covered: (Math.min(hi, ahi) - Math.max(lo, alo)) / (ahi - alo),
    whole: lo >= alo - 1 && hi <= ahi + 1 });
  const st = D.steps[Math.max(0, current)];
  const ids = current < 0 ? ["v" + st.k] : ["v" + st.k, ...st.to.map((p) => "v" + p)];
  const out = ids.filter((id) => {
    const r = document.getElementById(id).getBoundingClientRect();
    return r.left < area.left - 1 || r.right > area.right + 1 || r.top < area.top - 1 ||
      r.bottom > area.bottom + 1;
  });
  return { minText: Math.min(...fonts) * s, out, x: axis(g.left, g.right, area.left, area.right),
           y: axis(g.top, g.bottom, area.top, area.bottom), area: [area.width, area.height] };
}"""


def settle(page: Any) -> dict[str, Any]:
    page.wait_for_function("() => !document.body.dataset.moving")
    view: dict[str, Any] = page.evaluate(VIEW)
    return view


def filled(view: dict[str, Any]) -> None:
    """No large empty areas: along each axis the drawing fills the area or is all in view,
    and along at least one it fills it."""
    for axis in ("x", "y"):
        assert view[axis]["covered"] > 0.97 or view[axis]["whole"], view
    assert max(view["x"]["covered"], view["y"]["covered"]) > 0.9, view


@pytest.mark.parametrize(("width", "height"), SIZES)
@pytest.mark.parametrize("graph", ["neuron", "demo"])
def test_the_stepper_follows_the_pass_with_readable_text(
    browser: Any, tmp_path: Path, graph: str, width: int, height: int
) -> None:
    if graph == "neuron":
        root = neuron_graph()
    else:
        small = MLP(2, [3, 1], activation="tanh", output_activation="linear", seed=0)
        root = binary_cross_entropy_with_logits(small([0.43, -0.23]), [1.0])
    path = tmp_path / "stepper.html"
    viz.write_stepper(root, path)
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    # it opens on the part of the graph that fills the area most (all of it, C included, when
    # it fits; tests/test_stepper_layers_browser.py measures how much the boxes cover)
    view = settle(page)
    assert view["minText"] >= 11
    if view["x"]["whole"] and view["y"]["whole"]:
        assert view["out"] == []
    filled(view)
    steps = len(processing_order(root))
    for s in range(steps):
        page.keyboard.press("ArrowRight")
        view = settle(page)
        assert view["out"] == [], (s, view)  # the current node and its parents are in view
        assert view["minText"] >= 11 - 1e-3, (s, view)
        filled(view)
    # Fit shows more of the graph (all of it if it was in view), never with text under 11 px
    page.click("#fit")
    fitted = settle(page)
    assert fitted["minText"] >= 11 - 1e-3 and fitted["out"] == []
    assert fitted["minText"] <= view["minText"] + 1e-6  # zoomed out, or as far as it may
    if view["x"]["whole"] and view["y"]["whole"]:
        assert fitted["x"]["whole"] and fitted["y"]["whole"]
    filled(fitted)
    assert errors == []
    page.close()


@pytest.mark.parametrize("renderer", ["dot", "wasm"])
def test_wide_drawings_fit_the_window_and_legends_hold_their_text(
    browser: Any, tmp_path: Path, renderer: str
) -> None:
    if renderer not in available_renderers():
        pytest.skip(f"the {renderer} renderer is not installed here")
    c = neuron_graph()
    c.backward()
    path = tmp_path / "neuron.svg"
    path.write_text(viz.svg(c, renderer=renderer), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(path.as_uri())
    shown = page.evaluate(
        """() => {
        const r = (el) => el.getBoundingClientRect();
        const legend = [...document.querySelectorAll('g[id^="legend_"]')].map((g) => {
            const shape = r(g.querySelector("polygon, ellipse"));
            const text = r(g.querySelector("text"));
            return [g.id, text.left - shape.left, shape.right - text.right];
        });
        return { width: r(document.documentElement).width,
                 root: r(document.getElementById("v0")).right, legend };
    }"""
    )
    page.close()
    # the loss node, at the far right, is on the page: the drawing is scaled, not cut off
    assert shown["width"] <= 1400 and shown["root"] <= 1400
    assert len(shown["legend"]) >= 5
    for key, left, right in shown["legend"]:
        assert left >= 0 and right >= 0, (key, left, right)  # the text inside its box
