"""One palette and one number formatter in every view: drawings, stepper, playground, plots,
explain, the layer view and the notebook's network. Numbers are written with a true minus and
as 1.481×10⁻⁵ where the magnitude needs it, the same in Python and in the pages' JavaScript
(checked in headless Chromium, skipped without it unless DELTAGRAD_REQUIRE_BROWSER=1); every
colour that is not a grey comes from viz.palette, and orange means negative and class 0, blue
positive and class 1, in every view."""

from __future__ import annotations

import html
import math
import random
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import viz
from autograd import Value, linear
from nn import MLP
from nn.data import moons
from nn.losses import batch_loss, binary_cross_entropy_with_logits, mse
from nn.notation import Name
from nn.optim import Adam
from nn.record import Recorder
from nn.train import fit
from tests.shown import read
from viz import palette
from viz.cli import main
from viz.draw import processing_order
from viz.numbers import factor, javascript, number, number_latex
from viz.plots import decision_boundary_svg, loss_curve_svg

# a number written with the hyphen-minus, or in Python's e-notation: never in display text
HYPHEN_NUMBER = re.compile(r"(?<![\w)\]\-])-\d|(?<![A-Za-z_])\d(?:\.\d+)?e[-+]?\d")
COLOUR = re.compile(
    r"#[0-9a-fA-F]{8}\b|#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b|rgba?\(\s*\d+\s*,\s*\d+\s*,\s*\d+[^)]*\)"
)


# ------------------------------------------------------------------------ the formatter
@pytest.mark.parametrize(
    ("x", "digits", "text"),
    [
        (-0.5171, 4, "\u22120.5171"),
        (0.5171, 4, "0.5171"),
        (1.481e-05, 4, "1.481\u00d710\u207b\u2075"),
        (-1.481e-05, 4, "\u22121.481\u00d710\u207b\u2075"),
        (0.0001, 4, "0.0001"),  # 10⁻⁴ is still a plain decimal
        (0.00009999, 4, "9.999\u00d710\u207b\u2075"),
        (0.00012346, 4, "0.0001235"),  # 4 significant digits
        (9999.4, 4, "9999"),
        (9999.5, 4, "1\u00d710\u2074"),  # rounds up to 10⁴: scientific, trailing zeros gone
        (12345.6, 4, "1.235\u00d710\u2074"),
        (2.5, 4, "2.5"),
        (2.5, 1, "3"),  # a tie goes away from zero (as JavaScript's toFixed)
        (-2.5, 1, "\u22123"),
        (0.125, 2, "0.13"),
        (1.0625, 4, "1.063"),  # Python's format would say 1.062 (ties to even)
        (150.0, 2, "1.5\u00d710\u00b2"),
        (1e100, 3, "1\u00d710\u00b9\u2070\u2070"),
        (-0.0, 4, "0"),
        (0.0, 4, "0"),
        (math.inf, 4, "\u221e"),
        (-math.inf, 4, "\u2212\u221e"),
        (math.nan, 4, "NaN"),
        (5e-324, 3, "4.94\u00d710\u207b\u00b3\u00b2\u2074"),
    ],
)
def test_number_writes_the_one_form(x: float, digits: int, text: str) -> None:
    assert number(x, digits) == text


def test_factor_and_latex() -> None:
    assert factor(-0.25) == "(\u22120.25)" and factor(0.25) == "0.25"
    assert number_latex(-1.481e-05) == r"-1.481 \times 10^{-5}"
    assert number_latex(0.5) == "0.5" and number_latex(-math.inf) == r"-\infty"
    with pytest.raises(ValueError, match="digits must be an int from 1 to 17"):
        number(1.0, 0)


@given(
    st.floats(-1e307, 1e307, allow_nan=False),  # rounded up, 1e308 could read back as ∞
    st.integers(min_value=1, max_value=17),
)
def test_a_shown_number_is_the_number_to_its_digits(x: float, digits: int) -> None:
    text = number(x, digits)
    assert "-" not in text and "e" not in text  # a true minus; no e-notation
    assert read(text) == pytest.approx(x, rel=0.51 * 10.0 ** (1 - digits), abs=1e-320)
    mantissa = re.sub(r"\u00d710.*", "", text).lstrip("\u2212")
    significant = mantissa.replace(".", "").lstrip("0")
    assert len(significant) <= digits  # never more digits than asked, trailing zeros dropped
    assert not ("." in mantissa and mantissa.endswith("0"))
    scientific = "\u00d7" in text
    assert scientific == (x != 0 and not 1e-4 <= abs(read(text)) < 10.0**digits)


# ------------------------------------------------------------------------ views, as text
def neuron(backward: bool = True) -> Value:
    """A tanh neuron with a squared error whose gradients span 10⁻⁷ to 1 (some negative)."""
    a1 = [Value(0.5, Name("input", 1, 0)), Value(-1.0, Name("input", 1, 1))]
    w = [Value(6.0, Name("weight", 2, 0, 0)), Value(-5.0, Name("weight", 2, 0, 1))]
    z = linear(w, a1, Value(0.1, Name("bias", 2, 0)))
    z.label_record = Name("preactivation", 2, 0)
    a = z.tanh()
    a.label_record = Name("activation", 2, 0)
    c = (a - 0.25) ** 2
    c.label_record = Name("cost")
    if backward:
        c.backward()
    return c


def svg_text(svg: str) -> str:
    """The text a reader sees in an SVG: every <text> element's characters."""
    rows = re.findall(r"<text\b[^>]*>(.*?)</text>", svg, re.S)
    return "\n".join(html.unescape(re.sub(r"<[^>]+>", "", r)) for r in rows)


def no_hyphen_numbers(text: str, where: str) -> None:
    found = [text[max(0, m.start() - 25) : m.end() + 10] for m in HYPHEN_NUMBER.finditer(text)]
    assert not found, f"{where} writes numbers with a hyphen or e-notation: {found}"


def test_the_hyphen_scan_catches_what_it_must() -> None:
    # the scan itself: Python's own formats are caught, the formatter's and "2-16-16-1" are not
    for bad in ("grad = -0.4629", "= 1.481e-05", "(-0.5)", "x: 3e+07"):
        assert HYPHEN_NUMBER.search(bad), bad
    for good in ("grad = \u22120.4629", "1.481\u00d710\u207b\u2075", "MLP 2-16-16-1", "w^2_0"):
        assert not HYPHEN_NUMBER.search(good), good


def test_drawings_explain_and_layer_view_write_every_number_one_way() -> None:
    c = neuron()
    no_hyphen_numbers(svg_text(viz.svg(c)), "the drawing")
    drawing = svg_text(viz.svg(c))
    assert "\u00d710\u207b" in drawing  # the small gradient is written in scientific form
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    xs, ys = moons(n=8, seed=0)
    loss = batch_loss(mse, [model(x) for x in xs], [[float(y)] for y in ys])
    loss.backward()
    for collapse in ("neuron", "layer"):
        no_hyphen_numbers(svg_text(viz.svg(loss, collapse=collapse)), f"collapse={collapse}")
    for node in processing_order(c):
        no_hyphen_numbers(str(viz.explain(node, c)), f"explain({node.label})")
    single = quadratic_example()
    no_hyphen_numbers(str(viz.explain(single[0], single[1], cost="quadratic", y=[0.3])), "layers")


def quadratic_example() -> tuple[MLP, Value]:
    from nn.losses import quadratic

    model = MLP(2, [3, 1], activation="tanh", seed=1)
    loss = quadratic(model([0.4, -0.9]), [0.3])
    loss.backward()
    return model, loss


def test_plots_write_numbers_one_way() -> None:
    history = [3.0 * 0.5**k - 2.9999 for k in range(20)]  # crosses 0: negative losses
    no_hyphen_numbers(svg_text(loss_curve_svg(history, log=False)), "the loss curve")
    tiny = [10.0**-k for k in range(3, 12)]
    text = svg_text(loss_curve_svg(tiny))
    no_hyphen_numbers(text, "a log-scale loss curve")
    assert f"step 8: {number(1e-11)}" in text and "\u00d710\u207b" in text
    xs = [[-3.0, -2.0], [2.0, 1.0]]
    no_hyphen_numbers(svg_text(decision_boundary_svg(lambda u, v: u, xs, [0, 1])), "boundary")


# ------------------------------------------------------------------------ views, colours
def hex6(colour: str) -> str:
    c = colour.lower()
    return "#" + "".join(ch * 2 for ch in c[1:4]) if len(c) == 4 else c[:7]


def grey(colour: str) -> bool:
    c = hex6(colour)
    return c[1:3] == c[3:5] == c[5:7]


def foreign_colours(text: str) -> set[str]:
    """Colours in text that are neither greys nor the palette's."""
    found = set()
    for m in COLOUR.finditer(text):
        c = m.group(0)
        if c.startswith("rgb"):
            parts = [int(float(p)) for p in re.findall(r"[\d.]+", c)[:3]]
            c = "#" + "".join(f"{p:02x}" for p in parts)
        if not grey(c) and hex6(c) not in palette.colours():
            found.add(c)
    return found


def test_the_palette_is_tensorflow_playgrounds() -> None:
    def rgb(c: str) -> tuple[int, int, int]:
        return int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16)

    r, g, b = rgb(palette.NEGATIVE)
    assert r > g > b  # orange
    r, g, b = rgb(palette.POSITIVE)
    assert b > g > r  # blue
    assert palette.CLASS == (palette.NEGATIVE, palette.POSITIVE)
    assert palette.sign_colour(-2.0) == palette.NEGATIVE == palette.shade(-1.0)
    assert palette.sign_colour(0.5) == palette.POSITIVE == palette.shade(3.0)
    assert palette.shade(0.0) == "#ffffff" and palette.tint(palette.POSITIVE, 0) == "#ffffff"
    assert foreign_colours("#1f77b4 #ddd #e8871e80 rgb(26,120,194)") == {"#1f77b4"}


def test_every_static_view_uses_only_palette_colours(tmp_path: Path) -> None:
    c = neuron()
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    xs, ys = moons(n=8, seed=0)
    loss = batch_loss(mse, [model(x) for x in xs], [[float(y)] for y in ys])
    loss.backward()
    recorder, trained_model, pxs, pys = trained()
    layers, layer_loss = quadratic_example()
    views = {
        "drawing": viz.svg(c),
        "collapsed": viz.svg(loss, collapse="neuron"),
        "stepper": viz.stepper_html(neuron(backward=False)),
        "layer stepper": viz.stepper_html(layer_loss, layers=layers, cost="quadratic", y=[0.3]),
        "playground": viz.playground_html(recorder, trained_model, pxs, pys),
        "loss": loss_curve_svg([1.0, 0.5, 0.2]),
        "boundary": decision_boundary_svg(lambda u, v: u, [[0.0, 0.0], [1.0, 1.0]], [0, 1]),
        "network": viz.notebook.network_svg([2, 3, 1], ["tanh", "linear"]),
    }
    for name, text in views.items():
        assert not foreign_colours(text), (name, foreign_colours(text))


def test_boundary_and_collapsed_edges_follow_the_convention() -> None:
    svg = decision_boundary_svg(lambda u, v: u, [[0.0, 0.0], [1.0, 1.0]], [0, 1])
    zero = re.search(r'<circle [^>]*fill="(#\w+)"[^>]*class="point class-0"', svg)
    one = re.search(r'<rect [^>]*fill="(#\w+)"[^>]*class="point class-1"', svg)
    assert zero and one and (zero[1], one[1]) == palette.CLASS
    assert "class 0 (orange)" in svg_text(svg) and "class 1 (blue)" in svg_text(svg)
    regions = re.findall(r'fill="(#\w+)" class="region class-(\d)"', svg)
    for colour, k in regions:  # a pale tint of the class's own colour
        assert colour == palette.tint(palette.CLASS[int(k)], 0.25)


# ------------------------------------------------------------------------ in Chromium
def trained() -> tuple[Recorder, MLP, list[list[float]], list[int]]:
    xs, ys = moons(n=40, seed=3)
    model = MLP(2, [4, 3, 1], activation="tanh", seed=2)
    recorder = Recorder(every=5)
    opt = Adam(model.parameters(), lr=0.05)
    fit(model, xs, ys, binary_cross_entropy_with_logits, opt, epochs=40, record=recorder)
    return recorder, model, xs, ys


def agreement_cases() -> list[tuple[float, int]]:
    """Numbers across every magnitude, exact ties, signed zeros, the extremes, and specials."""
    rng = random.Random(7)
    xs = [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308]
    xs += [0.125, 0.375, 2.5, 1.0625, 1234.5, 9.9995, 99995.0, 0.00009999, 0.0001, 1e21]
    xs += [math.inf, -math.inf, math.nan, 1e-5, 1.481e-05, -0.5171, 0.30000000000000004]
    for _ in range(1500):
        x = rng.uniform(1, 10) * 10.0 ** rng.randint(-15, 15)
        xs.append(-x if rng.random() < 0.5 else x)
    for _ in range(200):  # short binary fractions: ties at some number of digits
        xs.append(rng.randint(-(2**20), 2**20) / 2 ** rng.randint(0, 12))
    return [(x, digits) for x in xs for digits in (1, 2, 4, 6, 17)]


def test_javascript_and_python_write_the_same_text(browser: Any) -> None:
    page = browser.new_page()
    page.set_content(f"<script>{javascript()}</script>")
    cases = agreement_cases()
    encoded = [[repr(x) if math.isfinite(x) else str(x).title(), d] for x, d in cases]
    encoded = [[t.replace("Inf", "Infinity").replace("Nan", "NaN"), d] for t, d in encoded]
    shown = page.evaluate("(cases) => cases.map(([x, d]) => number(Number(x), d))", encoded)
    page.close()
    wrong = [(x, d, js, number(x, d)) for (x, d), js in zip(cases, shown, strict=True)]
    wrong = [w for w in wrong if w[2] != w[3]]
    assert not wrong, wrong[:10]


def test_the_stepper_writes_every_number_one_way(browser: Any, tmp_path: Path) -> None:
    path = tmp_path / "stepper.html"
    model, loss = quadratic_example()
    viz.write_stepper(loss, path, layers=model, cost="quadratic", y=[0.3])
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(path.as_uri())
    count = page.evaluate("STEPS.length")
    for s in range(-1, count):
        page.evaluate(f"show({s})")
        text = page.evaluate(
            "document.body.innerText + '\\n' + "
            "[...document.querySelectorAll('#graph text')].map((t) => t.textContent).join('\\n')"
        )
        no_hyphen_numbers(text, f"the stepper at step {s}")
    # the page's grads, as the drawing writes them: the same formatter as Python's
    page.evaluate(f"show({count - 1})")
    grads = page.evaluate(
        "[...document.querySelectorAll('#graph g.node[data-grad]')].map("
        "(g) => [Number(g.dataset.grad), gradTexts[nodes.indexOf(g)].textContent])"
    )
    for g, text in grads:
        assert text.endswith("= " + number(g)), (g, text)
    page.click("#mode-layer")
    no_hyphen_numbers(page.evaluate("document.body.innerText"), "the stepper's layer mode")
    page.close()


def test_the_playground_writes_numbers_and_colours_as_every_view(
    browser: Any, tmp_path: Path
) -> None:
    recorder, model, xs, ys = trained()
    path = tmp_path / "playground.html"
    viz.write_playground(recorder, model, xs, ys, path)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    for hash_ in ("#step=2&w=1-2-0&x=3", "#step=8&n=0-1&x=3", "#step=8&n=2-0&x=5"):
        page.goto(path.as_uri() + hash_)
        text = page.evaluate("document.body.innerText") + svg_text(
            page.evaluate("document.getElementById('curves').outerHTML")
        )
        no_hyphen_numbers(text, f"the playground at {hash_}")
        for value, shown in page.evaluate(
            "[...document.querySelectorAll('.num[data-value]')].map("
            "(e) => [Number(e.dataset.value), e.textContent])"
        ):
            if "%" not in shown:
                assert shown == number(value), (value, shown)
    # weights: blue for w > 0, orange for w < 0, the palette's tint (the same as the drawings)
    strokes = page.evaluate(
        "[...document.querySelectorAll('#net path.w')].map((p) => {"
        "  const [l, j, k] = p.id.split('-').slice(1).map(Number);"
        "  return [S[cur].w[l][j][k], p.getAttribute('stroke')]; })"
    )
    for w, stroke in strokes:
        want = palette.tint(palette.POSITIVE if w >= 0 else palette.NEGATIVE, 0.85)
        got = "#" + "".join(f"{int(p):02x}" for p in re.findall(r"\d+", stroke))
        assert got == want, (w, stroke)
    # each data point with no other near it: its centre pixel is its class's colour
    pixels = page.evaluate(
        """() => {
          const ps = pointPositions(S[cur]), ctx = plane.getContext('2d'), out = [];
          ps.forEach((p, i) => {
            if (!p || ps.some((q, j) => j !== i && q && Math.hypot(q[0] - p[0], q[1] - p[1]) < 16))
              return;
            const d = ctx.getImageData(Math.round(p[0]), Math.round(p[1]), 1, 1).data;
            out.push([D.ys[i], '#' + [d[0], d[1], d[2]].map((v) => v.toString(16)
              .padStart(2, '0')).join('')]);
          });
          return out;
        }"""
    )
    assert {k for k, _ in pixels} == {0, 1}
    for k, colour in pixels:
        assert colour == palette.CLASS[k], (k, colour)
    page.close()


def test_one_demo_draws_class_0_and_negative_orange_in_every_picture(
    browser: Any, tmp_path: Path
) -> None:
    assert main(["demo", "--steps", "3", "--out", str(tmp_path)]) == 0
    boundary = (tmp_path / "boundary.svg").read_text(encoding="utf-8")
    zero = re.search(r'fill="(#\w+)"[^>]*class="point class-0"', boundary)
    assert zero is not None
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto((tmp_path / "playground.html").as_uri())
    class0 = page.evaluate("css(-1)")
    page.close()
    rgb = tuple(int(p) for p in re.findall(r"\d+", class0))
    assert "#" + "".join(f"{p:02x}" for p in rgb) == zero[1] == palette.NEGATIVE
    # graph.svg: an edge of a weight whose ∂C/∂w < 0 is orange, > 0 blue (the legend says so)
    graph = (tmp_path / "graph.svg").read_text(encoding="utf-8")
    legend = svg_text(graph)
    assert "blue: ∂C/∂w > 0" in legend.replace("\n", " ") or "blue: ∂C/∂w > 0" in legend
    assert "orange: ∂C/∂w < 0" in legend
    edges = re.findall(r'<path fill="none" stroke="(#\w{6})\w{0,2}"', graph)
    signed = {e for e in edges if not grey(e)}
    assert signed == {palette.NEGATIVE, palette.POSITIVE}
    no_hyphen_numbers(legend, "graph.svg")
