"""The playground's pictures, measured in Chromium at 1400×900 and 1920×1080: input labels clear
of the panel's edge and named by the notation alone, a colour scale under each column of
heatmaps, a boundary plane with labelled, numbered axes, a loss curve with a log scale, and a
header that says which notation names things (headless Chromium driven by Playwright; skipped
without them, unless DELTAGRAD_REQUIRE_BROWSER=1, as in CI)."""

import itertools
import math
from pathlib import Path
from typing import Any

import pytest

import viz
from nn import MLP
from nn.data import moons
from nn.losses import binary_cross_entropy, binary_cross_entropy_with_logits
from nn.optim import Adam
from nn.record import Recorder
from nn.train import fit
from tests.test_playground import Watched, page_data, trained
from viz import palette
from viz.cli import main
from viz.numbers import number

SIZES = [(1400, 900), (1920, 1080)]
MINUS = "\u2212"


def value_of(text: str) -> float:
    """A number as the page writes it (a true minus sign) read back."""
    assert "-" not in text, f"{text!r}: a hyphen where a minus sign belongs"
    return float(text.replace(MINUS, "-"))


def headerless_csv(tmp_path: Path, notation: str) -> Path:
    """The page of `deltagrad playground --csv` on a file without a header, in notation."""
    xs, ys = moons(n=30, seed=4)
    rows = [f"{x[0]:.3f},{x[1]:.3f},{y}" for x, y in zip(xs, ys, strict=True)]
    csv = tmp_path / "data.csv"
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / f"{notation}.html"
    argv = ["playground", "--csv", str(csv), "--steps", "6", "--notation", notation]
    assert main([*argv, "--out", str(out)]) == 0
    return out


# ------------------------------------------------------------------------ without a browser
def test_the_header_names_the_notation_without_an_about_line() -> None:
    recorder, model, xs, ys = trained(steps=5)
    for key, title in (("nielsen", "Nielsen"), ("lfd", "Learning From Data")):
        page = viz.playground_page(recorder, model, xs, ys, notation=key).html
        assert f'<div class="about">names: {title}</div>' in page
        page = viz.playground_html(recorder, model, xs, ys, notation=key, about="moons")
        assert f'<div class="about">moons · names: {title}</div>' in page


def test_inputs_numbered_by_a_csv_without_header_take_the_notations_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = page_data(headerless_csv(tmp_path, "lfd").read_text(encoding="utf-8"))
    assert data["named"] is False and data["features"] == []
    assert data["names"]["x"][0] == '<span class="nm"><i>x</i><sup>(0)</sup><sub>1</sub></span>'
    capsys.readouterr()


# ------------------------------------------------------------------------ in Chromium
LABEL_BOXES = """() => {
    const net = document.getElementById('net').getBoundingClientRect();
    return [...document.querySelectorAll('#net .neuron.input')].map((box) => {
        const j = +box.id.slice(3), b = box.getBoundingClientRect();
        const lab = [...document.querySelectorAll('#net .nlabel')].filter((l) =>
          Math.abs(l.getBoundingClientRect().top + l.getBoundingClientRect().height / 2
                   - (b.top + b.height / 2)) < b.height / 2 &&
          l.getBoundingClientRect().right <= b.left + 1)[0];
        const r = lab.getBoundingClientRect();
        return {j, text: lab.innerText, left: r.left - net.left, right: r.right, box: b.left,
                size: parseFloat(getComputedStyle(lab).fontSize)};
    });
}"""


@pytest.mark.parametrize(("width", "height"), SIZES)
@pytest.mark.parametrize("notation", ["nielsen", "lfd", "goodfellow"])
def test_input_labels_keep_clear_of_the_edge_and_show_the_notations_symbol(
    browser: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    notation: str,
    width: int,
    height: int,
) -> None:
    path = headerless_csv(tmp_path, notation)
    capsys.readouterr()
    names = page_data(path.read_text(encoding="utf-8"))["names"]["x"]
    w = Watched(browser, width, height)
    w.page.goto(path.as_uri())
    labels = w.page.evaluate(LABEL_BOXES)
    assert len(labels) == 2
    shown = w.page.evaluate(
        "(names) => names.map((h) => { const d = document.createElement('div');"
        " d.innerHTML = h; document.body.appendChild(d); const t = d.innerText;"
        " d.remove(); return t; })",
        names,
    )
    for label in labels:
        assert label["left"] >= 6, label  # a gap between the panel's edge and the label
        assert label["right"] <= label["box"] - 2, label  # and between label and square
        assert label["size"] >= 11
        assert label["text"] == shown[label["j"]]  # the notation's symbol and nothing else
        assert "x0" not in label["text"] and "x1" not in label["text"]
    assert w.errors == []
    w.page.close()


# the strength a value takes on each column's colour scale, by the activation's range
STRENGTH = {
    "input": math.tanh,  # an input x, any real number
    "tanh": lambda a: a,  # a in [−1, 1]
    "sigmoid": lambda a: 2 * a - 1,  # a in [0, 1]
    "linear": lambda a: math.tanh(a / 2),  # any real number
}


def rgb(colour: str) -> list[int]:
    return [int(colour[i : i + 2], 16) for i in (1, 3, 5)]


@pytest.mark.parametrize(("width", "height"), [*SIZES, (1000, 800)])  # and a notebook's width
@pytest.mark.parametrize(("hidden", "output"), [("tanh", "sigmoid"), ("relu", "linear")])
def test_each_column_of_heatmaps_has_its_colour_scale(
    browser: Any, tmp_path: Path, hidden: str, output: str, width: int, height: int
) -> None:
    xs, ys = moons(n=30, seed=3)
    model = MLP(2, [3, 3, 1], activation=hidden, output_activation=output, seed=1)
    recorder = Recorder(every=3)
    opt = Adam(model.parameters(), lr=0.05)
    cost = binary_cross_entropy if output == "sigmoid" else binary_cross_entropy_with_logits
    fit(model, xs, ys, cost, opt, epochs=6, record=recorder)
    path = tmp_path / "page.html"
    viz.write_playground(recorder, model, xs, ys, path)
    w = Watched(browser, width, height)
    w.page.goto(path.as_uri())
    scales = w.page.evaluate(
        """() => [...document.querySelectorAll('#net .scale')].map((s) => {
            const cv = s.querySelector('canvas'), r = cv.getBoundingClientRect();
            const px = cv.getContext('2d').getImageData(0, 0, cv.width, 1).data;
            const net = document.getElementById('net').getBoundingClientRect();
            return {id: s.id, left: r.left, right: r.right, top: r.top, bottom: r.bottom,
              net: [net.left, net.right, net.bottom],
              ticks: [...s.querySelectorAll('.tick')].map((t) => {
                const b = t.getBoundingClientRect(), f = (b.left + b.width / 2 - r.left) / r.width;
                const i = Math.round(f * (cv.width - 1));
                return {text: t.textContent, value: +t.dataset.value, f,
                        rect: [b.left, b.right, b.bottom],
                        size: parseFloat(getComputedStyle(t).fontSize),
                        colour: [px[4 * i], px[4 * i + 1], px[4 * i + 2]]};
              })};
        })"""
    )
    kinds = ["input", hidden, hidden, output]
    assert [s["id"] for s in scales] == [f"scale-{c}" for c in range(4)]
    columns = w.page.evaluate(
        """() => [0, 1, 2, 3].map((l) => {
            const box = document.getElementById(l ? 'n-' + (l - 1) + '-0' : 'in-0');
            const r = box.getBoundingClientRect(); return r.left + r.width / 2; })"""
    )
    for scale, kind, centre in zip(scales, kinds, columns, strict=True):
        strength = STRENGTH.get(kind, math.tanh)  # relu and the others: tanh(a)
        assert abs((scale["left"] + scale["right"]) / 2 - centre) < 1.5  # under its column
        assert scale["net"][0] <= scale["left"] and scale["right"] <= scale["net"][1]
        assert len(scale["ticks"]) == 3
        for tick in scale["ticks"]:
            assert tick["text"] == number(tick["value"])
            assert tick["size"] >= 11 and tick["rect"][2] <= scale["net"][2]  # not cut
            # the colour under the tick is the palette's colour of that value's strength
            expected = rgb(palette.shade(strength(tick["value"])))
            assert all(abs(a - b) <= 4 for a, b in zip(tick["colour"], expected, strict=True)), (
                kind,
                tick,
                expected,
            )
    # no two labels overlap, within a scale or between neighbouring ones
    rects = [t["rect"] for scale in scales for t in scale["ticks"]]
    assert all(a[1] + 2 <= b[0] for a, b in itertools.pairwise(rects)), rects
    assert w.errors == []
    w.page.close()


@pytest.mark.parametrize(("width", "height"), SIZES)
@pytest.mark.parametrize("notation", ["nielsen", "lfd"])
def test_the_plane_has_numbered_axes_named_in_the_notation(
    browser: Any, tmp_path: Path, notation: str, width: int, height: int
) -> None:
    recorder, model, xs, ys = trained()
    path = tmp_path / "page.html"
    viz.write_playground(recorder, model, xs, ys, path, notation=notation)
    names = page_data(path.read_text(encoding="utf-8"))["names"]["x"]
    w = Watched(browser, width, height)
    w.page.goto(path.as_uri())
    got = w.page.evaluate(
        """() => {
            const c = document.getElementById('plane').getBoundingClientRect();
            const cs = getComputedStyle(document.getElementById('plane'));
            const bw = parseFloat(cs.borderLeftWidth);
            const inner = [c.left + bw, c.top + bw, c.width - 2 * bw, c.height - 2 * bw];
            const ticks = (id) => [...document.querySelectorAll('#' + id + ' .tick')].map((t) => {
                const b = t.getBoundingClientRect();
                return {text: t.textContent, x: b.left + b.width / 2, y: b.top + b.height / 2,
                        rect: [b.left, b.top, b.right, b.bottom],
                        size: parseFloat(getComputedStyle(t).fontSize)}; });
            return {inner, x: ticks('xticks'), y: ticks('yticks'),
                    xname: document.getElementById('xname').innerHTML,
                    yname: document.getElementById('yname').innerHTML,
                    view: [innerWidth, innerHeight]};
        }"""
    )
    left, top, size_x, size_y = got["inner"]
    for k, axis in ((0, got["x"]), (1, got["y"])):
        column = [x[k] for x in xs]
        pad = 0.12 * (max(column) - min(column))
        lo, hi = min(column) - pad, max(column) + pad
        assert len(axis) >= 3
        values = [value_of(t["text"]) for t in axis]
        steps = {round(b - a, 9) for a, b in itertools.pairwise(values)}
        assert len(steps) == 1  # evenly spaced
        for tick, v in zip(axis, values, strict=True):
            assert lo <= v <= hi
            assert tick["size"] >= 11
            assert tick["rect"][0] >= 0 and tick["rect"][2] <= got["view"][0]
            if k == 0:  # at its value along the plane, left to right
                assert tick["x"] == pytest.approx(left + (v - lo) / (hi - lo) * size_x, abs=2)
            else:  # upwards
                assert tick["y"] == pytest.approx(top + (hi - v) / (hi - lo) * size_y, abs=2)
    assert names[0] in got["xname"] and names[1] in got["yname"]
    assert w.errors == []
    w.page.close()


CURVE = """() => {
    const pts = document.getElementById('loss-line').getAttribute('points').trim().split(/\\s+/)
      .map((p) => p.split(',').map(Number));
    const ticks = [...document.querySelectorAll('#curves .ytick')].map((t) =>
      [t.textContent, +t.dataset.value, +t.getAttribute('y')]);
    const box = document.getElementById('logscale');
    return {pts, ticks, checked: box.checked, disabled: box.disabled,
            scale: document.body.dataset.lossScale};
}"""


DIGITS = "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"  # ⁰¹²³⁴⁵⁶⁷⁸⁹
SUPERSCRIPTS = {c: str(i) for i, c in enumerate(DIGITS)}


def tick_value(text: str) -> float:
    """A tick label read back: 0.25, −1, 10⁻⁵, 2×10⁻⁶."""
    mantissa, times, power = text.partition("\u00d7")
    if not times and text.startswith("10") and text[2:3] in {"\u207b", *SUPERSCRIPTS}:
        mantissa, power = "1", text
    if not power:
        return value_of(text)
    exponent = "".join(SUPERSCRIPTS.get(c, "-" if c == "\u207b" else "?") for c in power[2:])
    return value_of(mantissa) * 10.0 ** int(exponent)


def check_scale(got: dict[str, Any], losses: list[float], f: Any) -> None:
    """The curve's y and the labelled ticks' y are one linear map of f(loss)."""
    ys = [p[1] for p in got["pts"]]
    assert len(ys) == len(losses)
    (y0, v0), (y1, v1) = (ys[0], f(losses[0])), (ys[-1], f(losses[-1]))
    slope = (y1 - y0) / (v1 - v0)
    assert slope < 0  # up the screen as the loss grows
    for y, loss in zip(ys, losses, strict=True):
        assert y == pytest.approx(y0 + slope * (f(loss) - v0), abs=0.15)
    assert len(got["ticks"]) >= 3
    for text, value, y in got["ticks"]:
        assert tick_value(text) == pytest.approx(value, rel=1e-12, abs=1e-12)
        assert y - 4 == pytest.approx(y0 + slope * (f(value) - v0), abs=0.15)


def test_the_loss_curve_has_a_log_scale_toggle(browser: Any, tmp_path: Path) -> None:
    recorder, model, xs, ys = trained(steps=120, every=4)
    losses = [s["loss"] for s in recorder.data()["steps"]]
    assert max(losses) / min(losses) > 100  # most of it would lie flat on a linear axis
    path = tmp_path / "page.html"
    viz.write_playground(recorder, model, xs, ys, path)
    w = Watched(browser)
    w.page.goto(path.as_uri())
    got = w.page.evaluate(CURVE)
    # it opens as viz.plots.loss_curve_svg would draw these losses: on a log scale
    assert got["checked"] and not got["disabled"] and got["scale"] == "log"
    check_scale(got, losses, math.log10)
    labels = [t[0] for t in got["ticks"]]
    assert "0.1" in labels or "0.01" in labels
    # below the middle of the curve's height: the second half of training is not flat on 0
    w.page.click("#logscale")
    got = w.page.evaluate(CURVE)
    assert not got["checked"] and got["scale"] == "linear"
    check_scale(got, losses, lambda v: v)
    assert got["ticks"][0][1] == 0
    # the scrubbed step's cursor still works after a redraw
    w.page.keyboard.press("ArrowRight")
    assert w.page.evaluate("document.body.dataset.step") == "1"
    assert w.errors == []
    w.page.close()


def test_a_loss_of_zero_keeps_the_linear_scale(browser: Any, tmp_path: Path) -> None:
    recorder, model, xs, ys = trained(steps=5, every=1)
    data = recorder.data()
    data["steps"][-1]["loss"] = 0.0  # a recording that reached 0 exactly: no log of it
    path = tmp_path / "page.html"
    viz.write_playground(data, model, xs, ys, path)
    w = Watched(browser)
    w.page.goto(path.as_uri())
    got = w.page.evaluate(CURVE)
    assert got["disabled"] and not got["checked"] and got["scale"] == "linear"
    check_scale(got, [s["loss"] for s in data["steps"]], lambda v: v)
    assert w.errors == []
    w.page.close()
