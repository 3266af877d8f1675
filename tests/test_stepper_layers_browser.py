"""The stepper's "by layer" mode in Chromium: step k shows equation k of viz.explain(model, C)
with the same numbers, and highlights every node the equation covers (skipped without a
browser unless DELTAGRAD_REQUIRE_BROWSER=1, as in tests/test_stepper_browser.py)."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

import viz
from autograd import Value
from nn import MLP
from nn.losses import batch_loss, binary_cross_entropy_with_logits, quadratic
from tests.test_layer_view import num, pictures, sections
from tests.test_stepper_browser import (  # noqa: F401 - browser_page is a fixture
    browser_page,
    check_step,
    expected_grads,
    page_data,
)
from viz.draw import processing_order
from viz.layer_view import as_html, difference


def network(batch: bool = False) -> tuple[MLP, Value, Any]:
    model = MLP(2, [3, 2], activation="tanh", seed=0)
    if batch:
        ys: Any = [[0.5, -0.1], [0.0, 0.2]]
        c = batch_loss(quadratic, [model(x) for x in ([0.8, -0.4], [-0.5, 0.3])], ys)
        return model, c, ys
    y = [0.5, -0.1]
    return model, quadratic(model([0.8, -0.4]), y), y


def test_without_layers_the_page_has_no_layer_steps() -> None:
    _, c, _ = network()
    assert page_data(viz.stepper_html(c))["layers"] == []
    with pytest.raises(TypeError, match="only with layers="):
        viz.stepper_html(c, cost="quadratic")


def test_layer_steps_are_the_equations_of_explain() -> None:
    model, c, y = network()
    data = page_data(viz.stepper_html(c, layers=model, cost="quadratic", y=y))
    assert [(s["key"], s["layer"]) for s in data["layers"]] == [
        ("BP1", "3"),
        ("BP3", "3"),
        ("BP4", "3"),
        ("BP2", "2"),
        ("BP3", "2"),
        ("BP4", "2"),
    ]
    order = processing_order(c)
    index = {n: k for k, n in enumerate(order)}
    out, hidden = model.layers[1], model.layers[0]
    bp1, bp3, bp4, bp2 = (set(s["nodes"]) for s in data["layers"][:4])
    assert {index[z] for z in out.z} <= bp1
    assert {index[n.b] for n in out.neurons} <= bp3
    assert {index[w] for n in out.neurons for w in n.w} | {index[a] for a in hidden.a} <= bp4
    assert {index[w] for n in out.neurons for w in n.w} | {index[z] for z in hidden.z} <= bp2


def panel(page: Any) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(
        """() => ({
        step: document.body.dataset.layerStep,
        index: document.getElementById('layer-index').textContent,
        head: (document.querySelector('#layer-panel .eq-head') || {}).textContent || '',
        pictures: [...document.querySelectorAll('#layer-panel .picture')].map((p) =>
            [...p.querySelectorAll('.mat')].map((m) => [
                m.querySelector('.cap').textContent,
                [...m.querySelectorAll('tr')].map((tr) =>
                    [...tr.querySelectorAll('td')].map((td) => td.textContent))])),
        checks: [...document.querySelectorAll('#layer-panel .eq-check')].map((e) => e.textContent),
        covered: [...document.querySelectorAll('#graph g.node.covered')].map((g) => g.id),
        grads: [...document.querySelectorAll('#graph g.node')].filter((g) => /^v\\d+$/.test(g.id))
            .map((g) => [g.id, g.getAttribute('data-grad')]),
        layerMode: document.body.classList.contains('by-layer'),
        // covered nodes outside the graph pane (the layer mode zooms onto them)
        hidden: (() => {
            const pane = document.getElementById('graph').getBoundingClientRect();
            return [...document.querySelectorAll('#graph g.node.covered')].filter((g) => {
                const r = g.getBoundingClientRect();
                return r.left < pane.left - 1 || r.right > pane.right + 1 ||
                    r.top < pane.top - 1 || r.bottom > pane.bottom + 1;
            }).map((g) => g.id);
        })(),
        // the covered node drawn highest: the top of the equation, which leads the view
        top: [...document.querySelectorAll('#graph g.node.covered')].map((g) =>
            [g.getBoundingClientRect().top, g.id]).sort((a, b) => a[0] - b[0]).map((t) => t[1])[0],
        viewBox: document.querySelector('#graph svg').getAttribute('viewBox'),
    })"""
    )
    return result


def plain(markup: str) -> str:
    """What a browser shows of nn.notation's HTML (tags dropped)."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def check_layer_step(page: Any, data: dict[str, Any], view: Any, k: int) -> None:
    shown = panel(page)
    assert shown["layerMode"] and shown["step"] == str(k) and shown["index"] == str(k)
    record = data["layers"][k]
    eq = view.equations[k]
    assert shown["head"].startswith(f"{eq.key} {plain(eq.formula[2])}")
    expected = pictures(sections(str(view))[k])  # the numbers as the text prints them
    assert len(shown["pictures"]) == len(expected) == len(eq.pictures)
    for got, (_, blocks), pic in zip(shown["pictures"], expected, eq.pictures, strict=True):
        assert [cap for cap, _ in got] == [plain(m.caption[2]) for m in pic.matrices()]
        for (_, rows), (_, want) in zip(got, blocks, strict=True):
            assert [[num(c) for c in r] for r in rows] == want  # the same printed numbers
    section = sections(str(view))[k]
    text_checks = [line.strip() for line in section if line.strip().startswith("check:")]
    # the same check lines as the text, their names typeset (a caret-free HTML form)
    typeset = [
        f"check: max |{plain(as_html(what))}| = {difference(worst)}" for what, worst in eq.checks
    ]
    assert shown["checks"] == typeset and len(typeset) == len(text_checks)
    assert sorted(shown["covered"]) == sorted(f"v{n}" for n in record["nodes"])
    # the top of the equation is in view (text stays readable, so not always all)
    assert shown["top"] not in shown["hidden"]
    # the grads computed so far, as the whole pass leaves them; the rest are not shown yet
    # (of the nodes drawn one by one: the others are in their neuron's box)
    final = expected_grads(data["steps"], data["count"], len(data["steps"]) - 1)
    known = set(record["known"])
    got = dict(shown["grads"])
    assert all(got.get(f"v{k}", "") == "" for k in range(data["count"]) if k not in known)
    assert all(float(got[f"v{k}"]) == final[k] for k in known if f"v{k}" in got)


@pytest.mark.parametrize("batch", [False, True], ids=["one example", "a batch"])
def test_stepping_by_layer_in_chromium_shows_explains_numbers(
    browser_page: Any,  # noqa: F811
    tmp_path: Path,
    batch: bool,
) -> None:
    model, c, y = network(batch)
    path = tmp_path / "stepper.html"
    viz.write_stepper(c, path, layers=model, cost="quadratic", y=y)
    data = page_data(path.read_text(encoding="utf-8"))
    c.backward()
    text = viz.explain(model, c, cost="quadratic", y=y, width=None)  # the panel wraps itself
    page = browser_page
    page.goto(path.as_uri())
    check_step(page, data, -1)  # the node-by-node mode is the default and still works
    page.click("#next")
    check_step(page, data, 0)
    page.click("#mode-layer")
    assert panel(page)["step"] == "-1"
    n = len(data["layers"])
    for k in range(n):
        page.click("#next")
        check_layer_step(page, data, text, k)
    page.click("#next")  # past the end: stays on the last equation
    check_layer_step(page, data, text, n - 1)
    page.click("#prev")
    check_layer_step(page, data, text, n - 2)
    page.keyboard.press("ArrowLeft")
    check_layer_step(page, data, text, n - 3)
    page.keyboard.press("Home")
    assert panel(page)["step"] == "-1"
    page.keyboard.press("End")
    check_layer_step(page, data, text, n - 1)
    zoomed = panel(page)["viewBox"]
    page.click("#mode-node")  # back to node by node, where it was, the whole drawing
    assert not panel(page)["layerMode"] and panel(page)["viewBox"] != zoomed
    check_step(page, data, 0)
    page.keyboard.press("ArrowRight")
    check_step(page, data, 1)


def test_a_layer_step_can_be_opened_from_the_address(
    browser_page: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    model, c, y = network()
    path = tmp_path / "stepper.html"
    viz.write_stepper(c, path, layers=model, notation="ng", cost="quadratic", y=y)
    data = page_data(path.read_text(encoding="utf-8"))
    c.backward()
    text = viz.explain(model, c, notation="ng", cost="quadratic", y=y, width=None)
    browser_page.goto(path.as_uri() + "#layer=3")
    check_layer_step(browser_page, data, text, 3)
    assert "dz[1] = ((w[2])T dz[2])" in panel(browser_page)["head"]  # Ng's, typeset


def deep() -> tuple[MLP, Value, list[float]]:
    """A 2-8-8-1 tanh network on one example (a graph of about 300 nodes)."""
    model = MLP(2, [8, 8, 1], activation="tanh", seed=0)
    y = [0.5]
    return model, quadratic(model([0.8, -0.4]), y), y


SVG_SIZES = """() => {
    const svg = document.querySelector('#graph svg');
    const scale = svg.getScreenCTM().a;  // CSS px per SVG unit
    const px = [...svg.querySelectorAll('text, tspan')].filter((t) => t.textContent.trim())
        .map((t) => parseFloat(getComputedStyle(t).fontSize) * scale);
    const area = document.getElementById('graph').getBoundingClientRect();
    // node boxes on screen that the drawing area's edge cuts (numbers cut mid-digit)
    const cut = [...svg.querySelectorAll('g.node')].filter((g) => {
        if (getComputedStyle(g).visibility === 'hidden') return false;
        const r = g.getBoundingClientRect();
        const seen = r.right > area.left && r.left < area.right && r.bottom > area.top &&
            r.top < area.bottom;
        return seen && (r.left < area.left - 1 || r.right > area.right + 1 ||
            r.top < area.top - 1 || r.bottom > area.bottom + 1);
    }).map((g) => g.id);
    return { scale, smallest: Math.min(...px), cut };
}"""


@pytest.mark.parametrize("size", [(1400, 900), (1920, 1080)], ids=["1400x900", "1920x1080"])
def test_by_layer_on_a_deeper_network_keeps_text_readable_and_close_up_zooms(
    browser_page: Any,  # noqa: F811
    tmp_path: Path,
    size: tuple[int, int],
) -> None:
    model, c, y = deep()
    path = tmp_path / "stepper.html"
    viz.write_stepper(c, path, layers=model, cost="quadratic", y=y)
    data = page_data(path.read_text(encoding="utf-8"))
    page = browser_page
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(path.as_uri())
    page.click("#mode-layer")
    for k in range(len(data["layers"])):
        page.click("#next")
        measured = page.evaluate(SVG_SIZES)
        assert measured["smallest"] >= 11 - 1e-6, (k, measured)  # every text, sub/sup too
        assert measured["cut"] == [], (k, measured)  # every box shown is whole
        fitted = measured["scale"]
        page.click("#fit")  # Close up
        closer = page.evaluate(SVG_SIZES)
        assert closer["scale"] > 1.2 * fitted and closer["smallest"] >= 11 - 1e-6
        assert closer["smallest"] > 1.2 * measured["smallest"]  # the text grows with it
        assert closer["cut"] == []
        page.click("#fit")  # back to Fit
        assert page.evaluate(SVG_SIZES)["scale"] == pytest.approx(fitted)


def test_by_layer_step_0_shows_only_what_bp1_computed(
    browser_page: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    model, c, y = deep()
    path = tmp_path / "stepper.html"
    viz.write_stepper(c, path, layers=model, cost="quadratic", y=y)
    index = {n: k for k, n in enumerate(processing_order(c))}
    out, last_hidden = model.layers[-1], model.layers[-2]
    # BP3's, BP4's and BP2's, each with the box it is folded into when not drawn alone
    later = [(w, f"n4_{j}") for j, n in enumerate(out.neurons) for w in n.w]
    later += [(n.b, f"n4_{j}") for j, n in enumerate(out.neurons)]
    later += [(a, f"n3_{j}") for j, a in enumerate(last_hidden.a)]
    browser_page.goto(path.as_uri() + "#layer=0")
    grads = dict(panel(browser_page)["grads"])
    texts = browser_page.evaluate(
        "(ids) => ids.map(([id, box]) => { const g = document.getElementById(id);"
        " if (g === null) return [true, document.getElementById(box).textContent];"
        " const t = g.querySelectorAll('text'); return [false, t[t.length - 1].textContent]; })",
        [(f"v{index[n]}", box) for n, box in later],
    )
    assert [grads.get(f"v{index[n]}", "") for n, _ in later] == [""] * len(later)
    # neither a grad in a record nor a δ or gradient in a neuron's box (its data only)
    for boxed, t in texts:
        assert ("∂" not in t and "δ" not in t) if boxed else not re.search(r"\d", t.split("=")[-1])
    c.backward()
    z = index[out.z[0]]
    assert float(grads[f"v{z}"]) == pytest.approx(out.z[0].grad)  # BP1's δ is shown


@pytest.mark.parametrize("size", [(1400, 900), (1920, 1080)], ids=["1400x900", "1920x1080"])
def test_the_stepper_opens_without_a_cut_box(
    browser_page: Any,  # noqa: F811
    tmp_path: Path,
    size: tuple[int, int],
) -> None:
    model = MLP(2, [3, 1], activation="tanh", output_activation="linear", seed=0)
    root = binary_cross_entropy_with_logits(model([0.43, -0.23]), [1.0])  # the demo's stepper
    path = tmp_path / "stepper.html"
    viz.write_stepper(root, path)
    page = browser_page
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(path.as_uri())
    measured = page.evaluate(SVG_SIZES)
    assert measured["cut"] == [] and measured["smallest"] >= 11 - 1e-6, measured
    for _ in range(5):
        page.keyboard.press("ArrowRight")
        page.wait_for_function("!document.body.dataset.moving")
        assert page.evaluate(SVG_SIZES)["cut"] == []


def involved(key: str, layer: int) -> set[int]:
    """The layers (Nielsen's) an equation at layer l reads or writes, from BP1–BP4 themselves."""
    return {
        "BP1": {layer},  # δ^L from ∇_a C and z^L (and the cost, drawn too)
        "BP2": {layer, layer + 1},  # δ^l from w^{l+1}, δ^{l+1} and z^l
        "BP3": {layer},  # ∂C/∂b^l = δ^l
        "BP4": {layer, layer - 1},  # ∂C/∂w^l = δ^l (a^{l−1})ᵀ
    }[key]


def test_by_layer_draws_the_layers_its_equation_involves_and_folds_the_rest(
    browser_page: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    model, c, y = deep()
    path = tmp_path / "stepper.html"
    viz.write_stepper(c, path, layers=model, cost="quadratic", y=y)
    data = page_data(path.read_text(encoding="utf-8"))
    index = {n: k for k, n in enumerate(processing_order(c))}
    # each neuron's nodes by its layer (Nielsen's: the first hidden layer is 2, the input 1)
    neurons: dict[tuple[int, int], list[Value]] = {}
    for i, layer in enumerate(model.layers):
        for j, n in enumerate(layer.neurons):
            neurons[(i + 2, j)] = [layer.z[j], layer.a[j], n.b, *n.w]
    first = model.layers[0]
    weights = {w for n in first.neurons for w in n.w} | {n.b for n in first.neurons}
    inputs = [p for p in first.z[0].parents if p not in weights]
    assert len(inputs) == 2
    for k, x in enumerate(inputs):
        neurons[(1, k)] = [x]
    page = browser_page
    page.goto(path.as_uri())
    page.click("#mode-layer")
    for step in data["layers"]:
        page.click("#next")
        ids = set(
            page.evaluate("[...document.querySelectorAll('#graph svg g.node')].map((g) => g.id)")
        )
        wanted = involved(step["key"], int(step["layer"]))
        for (layer, j), nodes in neurons.items():
            drawn = {f"v{index[n]}" for n in nodes} & ids
            if layer in wanted:  # its z and a (or its input) node by node
                assert (
                    f"v{index[nodes[0]]}" in drawn and f"v{index[nodes[1 % len(nodes)]]}" in drawn
                )
            else:  # one box for the neuron, none of its nodes alone
                assert f"n{layer}_{j}" in ids and drawn == set(), (step, layer, j, drawn)
        # the loss side (the root C is v0) node by node for BP1 only, else one box
        assert ("v0" in ids) == (step["key"] == "BP1") and ("loss" in ids) != ("v0" in ids)
        # the nodes the equation covers are all drawn, and highlighted
        covered = page.evaluate("[...document.querySelectorAll('#graph g.node.covered')].length")
        assert covered == len(step["nodes"])


# The share of the drawing area that whole boxes on screen cover, and the share of its width
# and height between the outermost boxes on screen (an empty band lowers it).
COVERAGE = """() => {
    const area = document.getElementById('graph').getBoundingClientRect();
    const shown = [...document.querySelectorAll('#graph svg g.node')]
        .filter((g) => getComputedStyle(g).visibility !== 'hidden')
        .map((g) => g.getBoundingClientRect())
        .filter((r) => r.left >= area.left - 1 && r.right <= area.right + 1 &&
            r.top >= area.top - 1 && r.bottom <= area.bottom + 1);
    const covered = shown.reduce((s, r) => s + r.width * r.height, 0);
    return {
        covered: covered / (area.width * area.height),
        width: (Math.max(...shown.map((r) => r.right)) - Math.min(...shown.map((r) => r.left)))
            / area.width,
        height: (Math.max(...shown.map((r) => r.bottom)) - Math.min(...shown.map((r) => r.top)))
            / area.height,
    };
}"""


@pytest.mark.parametrize("size", [(1400, 900), (1920, 1080)], ids=["1400x900", "1920x1080"])
def test_the_stepper_opens_on_a_view_that_fills_the_drawing_area(
    browser_page: Any,  # noqa: F811
    tmp_path: Path,
    size: tuple[int, int],
) -> None:
    small = MLP(2, [3, 1], activation="tanh", output_activation="linear", seed=0)
    root = binary_cross_entropy_with_logits(small([0.43, -0.23]), [1.0])  # the demo's stepper
    path = tmp_path / "stepper.html"
    viz.write_stepper(root, path, layers=small)
    page = browser_page
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(path.as_uri())
    measured = page.evaluate(SVG_SIZES)
    assert measured["cut"] == [] and measured["smallest"] >= 11 - 1e-6, measured
    fill = page.evaluate(COVERAGE)
    # boxes from edge to edge (no empty band, as the root's thin side of the graph left 40% of
    # the screen empty), and a sixth of the area or more under whole boxes (7% on the root)
    assert fill["width"] >= 0.8 and fill["height"] >= 0.8, fill
    assert fill["covered"] >= 1 / 6, fill
    page.keyboard.press("ArrowRight")  # step 0 goes to the root, still whole boxes
    page.wait_for_function("!document.body.dataset.moving")
    assert page.evaluate(SVG_SIZES)["cut"] == []
    assert page.evaluate("document.getElementById('v0').classList.contains('current')")
