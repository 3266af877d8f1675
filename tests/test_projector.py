"""Drawings a teacher shows on a projector: fitted into a 1400×900 or 1920×1080 browser window,
every text is 11 px or more and no box is cut; neurons in index order; lines with scripts that
do not overprint; every node titled once (headless Chromium; skipped without it, unless
DELTAGRAD_REQUIRE_BROWSER=1)."""

from __future__ import annotations

import contextlib
import importlib
import io
import itertools
import re
from pathlib import Path
from typing import Any

import pytest

import viz
from autograd import Value
from nn import MLP
from nn.losses import binary_cross_entropy_with_logits, mse
from tests.test_pictures import neuron_graph
from viz.cli import main
from viz.draw import fits_screen, processing_order, svg_size

SCREENS = [(1400, 900), (1920, 1080)]

# Every <text>'s font size on screen (px): its computed font size times the screen scale of
# its coordinate system; and every drawn node's box against the window.
MEASURE = """() => {
  const vw = window.innerWidth, vh = window.innerHeight;
  const fonts = [...document.querySelectorAll("text")].map((t) => {
    const m = t.getScreenCTM();
    return [t.textContent, parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b)];
  });
  const cut = [...document.querySelectorAll("g.node")].filter((g) => {
    const r = g.getBoundingClientRect();
    return r.left < -0.5 || r.top < -0.5 || r.right > vw + 0.5 || r.bottom > vh + 0.5;
  }).map((g) => g.id);
  return { fonts, cut, boxes: document.querySelectorAll("g.node").length };
}"""


def network(sizes: list[int]) -> Value:
    """The loss of an MLP 2-…-1 (tanh, linear output) on one point, after backward()."""
    model = MLP(2, sizes, activation="tanh", output_activation="linear", seed=0)
    c = binary_cross_entropy_with_logits(model([0.5, -1.0]), [1.0])
    c.backward()
    return c


@pytest.fixture(scope="module")
def demo_graph(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["demo", "--steps", "2", "--out", str(out)]) == 0
    return out / "graph.svg"


def shown(browser: Any, path: Path, width: int, height: int) -> dict[str, Any]:
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(path.as_uri())  # an SVG file opened on its own, as the demo's files are viewed
    result: dict[str, Any] = page.evaluate(MEASURE)
    page.close()
    return result


@pytest.mark.parametrize(("width", "height"), SCREENS)
@pytest.mark.parametrize("what", ["neuron", "2-3-1", "2-8-1", "2-8-8-1", "demo"])
def test_the_default_drawing_fits_a_screen_with_readable_text(
    browser: Any, tmp_path: Path, demo_graph: Path, what: str, width: int, height: int
) -> None:
    if what == "demo":
        path = demo_graph
    elif what == "neuron":  # one neuron and its squared error: drawn whole, legend beside it
        c = neuron_graph()
        c.backward()
        path = tmp_path / "neuron.svg"
        svg = viz.svg(c)
        assert 'id="v0op"' in svg and 'id="legend_parameter"' in svg
        path.write_text(svg, encoding="utf-8")
    else:
        path = tmp_path / f"{what}.svg"
        sizes = [int(n) for n in what.split("-")[1:]]
        path.write_text(viz.svg(network(sizes)), encoding="utf-8")
    seen = shown(browser, path, width, height)
    assert seen["boxes"] > 5
    assert seen["cut"] == [], f"boxes off screen at {width}×{height}: {seen['cut']}"
    small = [(text, round(px, 2)) for text, px in seen["fonts"] if px < 11]
    assert small == [], f"text under 11 px at {width}×{height}: {small[:5]}"


def test_auto_collapses_only_what_would_not_fit() -> None:
    c = Value(0.5, "x") * Value(2.0, "w")  # a small graph: every node
    assert "v0op" in viz.draw(c).source
    big = network([8, 8, 1])
    assert "n3_7" in viz.draw(big).source  # one box per neuron
    assert "n3_7" not in viz.draw(big, collapse=None).source  # None: the full graph


def test_svg_collapses_a_graph_the_estimate_let_through_but_that_does_not_fit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    c = network([3, 1])
    whole = viz.svg(c, collapse=None)
    assert not fits_screen(*svg_size(whole))  # drawn whole, 2-3-1 is too wide for a screen
    draw_module = importlib.import_module("viz.draw")  # the module (viz.draw is the function)
    monkeypatch.setattr(draw_module, "estimate_size", lambda root, rankdir="LR": (0.0, 0.0))
    assert "v0op" in viz.draw(c).source  # the estimate alone would draw every node
    svg = viz.svg(c)
    assert 'id="n2_2"' in svg and 'id="v0op"' not in svg  # svg() measured, and collapsed it
    assert fits_screen(*svg_size(svg))


# ------------------------------------------------------------------------------ index order
def node_tops(browser: Any, svg: str, ids: list[str]) -> list[float]:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_content(svg)
    tops: list[float] = page.evaluate(
        "(ids) => ids.map((id) => document.getElementById(id).getBoundingClientRect().top)", ids
    )
    page.close()
    return tops


@pytest.mark.parametrize("sizes", [[3, 1], [3, 3, 1]])
def test_the_full_graph_draws_neurons_and_inputs_in_index_order(
    browser: Any, sizes: list[int]
) -> None:
    model = MLP(2, sizes, activation="tanh", output_activation="linear", seed=0)
    c = binary_cross_entropy_with_logits(model([0.5, -1.0]), [1.0])
    c.backward()
    k = {node: i for i, node in enumerate(processing_order(c))}
    svg = viz.svg(c, collapse=None)
    inputs = sorted((n for n in k if n.label in ("a^1_0", "a^1_1")), key=lambda n: n.label)
    for column in [inputs] + [nodes for layer in model.layers for nodes in (layer.z, layer.a)]:
        tops = node_tops(browser, svg, [f"v{k[v]}" for v in column])
        assert tops == sorted(tops), ([v.label for v in column], tops)
    # the inputs in a column of their own, left of every weight
    weights = [w for layer in model.layers for n in layer.neurons for w in n.w]
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_content(svg)
    edges = """(ids) => ids.map((id) => document.getElementById(id).getBoundingClientRect())
        .map((r) => [r.left, r.right])"""
    right_of_inputs = max(r for _, r in page.evaluate(edges, [f"v{k[v]}" for v in inputs]))
    left_of_weights = min(left for left, _ in page.evaluate(edges, [f"v{k[v]}" for v in weights]))
    page.close()
    assert right_of_inputs < left_of_weights


def test_collapsed_neurons_are_in_index_order(browser: Any) -> None:
    svg = viz.svg(network([8, 8, 1]))
    for layer in (2, 3):
        tops = node_tops(browser, svg, [f"n{layer}_{j}" for j in range(8)])
        assert tops == sorted(tops), (layer, tops)


# ------------------------------------------------------------------------------ scripts
LINES = """() => [...document.querySelectorAll('g.node[id^="n"]')].map((g) =>
  [...g.querySelectorAll("text")].map((t) => {
    const rects = [t, ...t.querySelectorAll("tspan")].map((e) => e.getBoundingClientRect());
    return [t.textContent, Math.min(...rects.map((r) => r.top)),
            Math.max(...rects.map((r) => r.bottom))];
  }))"""


@pytest.mark.parametrize("notation", ["nielsen", "lfd"])
def test_lines_with_scripts_in_a_collapsed_box_do_not_overlap(browser: Any, notation: str) -> None:
    svg = viz.svg(network([8, 8, 1]), collapse="neuron", notation=notation)
    assert "<tspan" in svg  # the boxes set scripts
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.set_content(svg)
    boxes = page.evaluate(LINES)
    page.close()
    assert len(boxes) >= 16
    for lines in boxes:
        for (above, _, bottom), (below, top, _) in itertools.pairwise(lines):
            assert bottom <= top + 0.01, (above, below, bottom, top)


# ------------------------------------------------------------------------------ titles
def titles(svg: str) -> dict[str, str]:
    """Each value node's title: the first text line of its <g id="v{k}">, tspans joined (so a
    script is written on the line: z³₀ reads z30)."""
    out = {}
    for m in re.finditer(r'<g id="(v\d+)" class="node">(.*?)</g>', svg, re.S):
        first = re.search(r"<text[^>]*>(.*?)</text>", m.group(2), re.S)
        assert first is not None
        out[m.group(1)] = re.sub(r"<[^>]+>", "", first.group(1))
    return out


@pytest.mark.parametrize("loss", [binary_cross_entropy_with_logits, mse])
def test_every_node_has_one_title_of_its_own(loss: Any) -> None:
    model = MLP(2, [3, 1], activation="tanh", output_activation="linear", seed=0)
    c = loss(model([0.5, -1.0]), [1.0])
    c.backward()
    shown_titles = titles(viz.svg(c, collapse=None, renderer="dot"))
    assert len(shown_titles) == len(processing_order(c))
    values = list(shown_titles.values())
    assert len(set(values)) == len(values), sorted(values)
    assert not [t for t in values if "node #" in t or t.startswith("data =")]
    # the target is y₀, and the product with it is named by it (not z³₀ again)
    assert "y0" in values
    assert sum(t == "z30" for t in values) == 1
    # a function's argument in its own brackets only, a square as a superscript
    assert not [t for t in values if "((" in t or "^" in t], sorted(values)
    if loss is mse:
        assert "(z³₀ − y₀)²" in values, sorted(values)
    else:
        assert "ln(1 + exp(z³₀))" in values, sorted(values)


def test_the_target_is_a_named_node_with_its_value() -> None:
    model = MLP(2, [1], activation="linear", seed=0)
    c = mse(model([0.5, -1.0]), [0.25])
    y = next(n for n in processing_order(c) if n.label_record is not None and n.label == "y_0")
    assert y.data == 0.25 and y.is_leaf
    with_lfd = titles(viz.svg(c, collapse=None, notation="lfd", renderer="dot"))
    assert "y1" in with_lfd.values()  # LFD counts from 1
    assert "s⁽¹⁾₁ − y₁" in with_lfd.values()  # the error s − y, then its square
    assert "(s⁽¹⁾₁ − y₁)²" in with_lfd.values()  # a square written as one, as the ** op writes it


def test_repeated_titles_are_told_apart() -> None:
    x = Value(2.0)
    c = (x * 3.0) + (x * 3.0)  # two different nodes that compute the same formula
    shown_titles = titles(viz.svg(c, collapse=None, renderer="dot"))
    assert "2·3 (copy 2)" in shown_titles.values() or "(2·3) (copy 2)" in shown_titles.values()


def test_fits_screen_by_hand() -> None:
    # 1050 × 675 pt is 1400 × 900 px at its natural size (4/3 px a pt): on both screens whole
    assert fits_screen(1050, 675)
    # 1400 pt wide is fitted to 1400 px (11 pt text at 11 px), but at 1920 it is shown at its
    # natural size, 900 pt × 4/3 = 1200 px > 1080 px high
    assert not fits_screen(1400, 900)
    # 1500 pt fitted into 1400 px: 11 pt text at 11 × 1400 / 1500 = 10.3 px
    assert not fits_screen(1500, 300)
    # 1260 × 800 pt: 1400 px wide shows it 889 px high; 1920 px, 1067 px high (4/3 px a pt)
    assert fits_screen(1260, 800)
    assert not fits_screen(1260, 811)  # 811 × 4/3 = 1081.3 px > 1080
