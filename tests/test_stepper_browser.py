"""The stepper page: self-contained, its data is backward_steps(), and in Chromium each step
shows that record's numbers (headless Chromium driven by Playwright; skipped without them,
unless DELTAGRAD_REQUIRE_BROWSER=1, as in CI)."""

import html
import json
import math
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import viz
from autograd import Value, linear, topological_order
from viz.draw import processing_order
from viz.numbers import number

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REQUIRE_BROWSER = os.environ.get("DELTAGRAD_REQUIRE_BROWSER") == "1"


def small_graph() -> Value:
    """A 2-2-1 tanh network on one example with a squared error (21 nodes)."""
    a1 = [Value(0.5, "a^1_0"), Value(-1.0, "a^1_1")]
    w2 = [[0.49, 0.36], [-0.11, -0.34]]
    hidden = []
    for j in range(2):
        w = [Value(w2[j][k], f"w^2_{{{j},{k}}}") for k in range(2)]
        z = linear(w, a1, Value(0.0, f"b^2_{j}"))
        z.label = f"z^2_{j}"
        a = z.tanh()
        a.label = f"a^2_{j}"
        hidden.append(a)
    z3 = linear([Value(0.02, "w^3_{0,0}"), Value(-0.13, "w^3_{0,1}")], hidden, Value(0.0, "b^3_0"))
    z3.label = "z^3_0"
    c = (z3 - 0.3) ** 2 / 1.0
    c.label = "C"
    return c


def page_data(page: str) -> dict[str, Any]:
    m = re.search(r"const D = (.*?);\n", page)
    assert m
    data: dict[str, Any] = json.loads(m.group(1))
    return data


def expected_grads(records: list[dict[str, Any]], count: int, upto: int) -> list[float]:
    """Every node's grad after record `upto`, accumulated as the engine does."""
    grads = [0.0] * count
    if upto >= 0:
        grads[records[0]["k"]] = records[0]["up"]
    for r in records[: upto + 1]:
        for p, add in zip(r["to"], r["add"], strict=True):
            grads[p] = add if grads[p] == 0.0 else (grads[p] if add == 0.0 else grads[p] + add)
    return grads


# ------------------------------------------------------------------------ without a browser
def test_page_is_self_contained_and_embeds_backward_steps() -> None:
    c = small_graph()
    page = viz.stepper_html(c)
    assert "<svg" in page and "<?xml" not in page
    assert not re.search(r"https?://(?!www\.w3\.org)", page)  # no CDN, no network
    assert "<script src" not in page and "<link" not in page
    data = page_data(page)
    order = processing_order(c)
    steps = list(c.backward_steps())
    assert len(data["steps"]) == len(steps) == data["count"] == len(order)
    for record, step in zip(data["steps"], steps, strict=True):
        assert order[record["k"]] is step.node
        assert record["up"] == step.upstream
        assert record["local"] == list(step.local)
        assert record["add"] == list(step.contributions)
        assert [order[p] for p in record["to"]] == list(step.node.parents)
    for k in range(len(order)):
        assert f'<g id="v{k}" class="node">' in page


def test_page_leaves_grads_as_they_were(tmp_path: Path) -> None:
    c = small_graph()
    c.backward()
    c.backward()  # leaves hold twice the gradient
    before = [n.grad for n in topological_order(c)]
    viz.write_stepper(c, tmp_path / "page.html")
    assert [n.grad for n in topological_order(c)] == before
    # the page replays one pass from zero grads, whatever the graph held
    data = page_data((tmp_path / "page.html").read_text(encoding="utf-8"))
    final = expected_grads(data["steps"], data["count"], len(data["steps"]) - 1)
    for node, g in zip(processing_order(c), final, strict=True):
        expected = node.grad / 2.0 if node.is_leaf else node.grad
        assert g == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_labels_cannot_break_out_of_the_script() -> None:
    x = Value(1.0, "</script><script>alert(1)</script>")
    out = x * 2.0
    page = viz.stepper_html(out)
    assert page.count("</script>") == 1
    k = processing_order(out).index(x)
    assert page_data(page)["names"][k] == "</script><script>alert(1)</script>"


# ------------------------------------------------------------------------ in Chromium
def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright; no browser download needed)"
    if shutil.which("chromium") is None and not os.path.exists("/usr/bin/chromium"):
        return "Chromium is not installed (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def browser_page(browser: Any) -> Iterator[Any]:
    """One page of the session's Chromium (conftest's `browser`: Playwright runs once)."""
    page = browser.new_page()
    yield page
    page.close()


def shown_state(page: Any) -> dict[str, Any]:
    """What the page shows: step, highlighted node, panel numbers, and each node's grad text."""
    result: dict[str, Any] = page.evaluate(
        """() => {
        const nodes = [...document.querySelectorAll('#graph g.node')]
            .filter((g) => /^v\\d+$/.test(g.id));
        const grads = {};
        for (const g of nodes) {
            const texts = g.querySelectorAll('text');
            grads[g.id] = [texts[texts.length - 1].textContent, g.getAttribute('data-grad')];
        }
        const rows = [...document.querySelectorAll('#contribs tbody tr')].map((tr) => [
            tr.dataset.parent, tr.querySelector('.local').textContent,
            tr.querySelector('.add').textContent]);
        const current = document.querySelector('#graph g.node.current');
        const up = document.getElementById('upstream');
        return {
            step: document.getElementById('step-index').textContent,
            dataStep: document.body.dataset.step,
            current: current ? current.id : null,
            parents: [...document.querySelectorAll('#graph g.node.parent')].map((g) => g.id),
            upstream: up && current ? [up.textContent, up.dataset.value] : null,
            rows, grads,
        };
    }"""
    )
    return result


def check_step(page: Any, data: dict[str, Any], s: int) -> None:
    state = shown_state(page)
    assert state["dataStep"] == str(s)
    grads = expected_grads(data["steps"], data["count"], s)
    for k, g in enumerate(grads):
        text, raw = state["grads"][f"v{k}"]
        assert text.endswith(f"= {number(g)}"), (s, k, text, g)  # the drawing's formatter
        assert float(raw) == g
    if s < 0:
        assert state["current"] is None and state["step"] == "–"
        return
    record = data["steps"][s]
    assert state["step"] == str(s)
    assert state["current"] == f"v{record['k']}"
    assert sorted(state["parents"]) == sorted({f"v{p}" for p in record["to"]})
    assert state["upstream"][0] == number(record["up"])
    assert float(state["upstream"][1]) == record["up"]
    assert state["rows"] == [
        [f"v{p}", number(local), number(add)]
        for p, local, add in zip(record["to"], record["local"], record["add"], strict=True)
    ]


def test_stepping_in_chromium_shows_each_record(browser_page: Any, tmp_path: Path) -> None:
    c = small_graph()
    path = tmp_path / "stepper.html"
    viz.write_stepper(c, path)
    data = page_data(path.read_text(encoding="utf-8"))
    page = browser_page
    page.goto(path.as_uri())
    check_step(page, data, -1)
    n = len(data["steps"])
    for s in range(n):
        page.click("#next")
        check_step(page, data, s)
    page.click("#next")  # past the end: stays on the last step
    check_step(page, data, n - 1)
    # after the last step the page holds exactly what backward() computes
    c.backward()
    final = shown_state(page)["grads"]
    for k, node in enumerate(processing_order(c)):
        assert math.isclose(float(final[f"v{k}"][1]), node.grad, rel_tol=1e-15, abs_tol=1e-300)
    page.click("#prev")
    check_step(page, data, n - 2)
    page.keyboard.press("ArrowLeft")
    check_step(page, data, n - 3)
    page.keyboard.press("ArrowRight")
    check_step(page, data, n - 2)
    page.keyboard.press("Home")
    check_step(page, data, -1)
    page.keyboard.press("ArrowRight")
    check_step(page, data, 0)
    page.click("#play")
    page.wait_for_function("() => Number(document.body.dataset.step) >= 2", timeout=15000)
    page.click("#play")  # pause
    s = int(shown_state(page)["dataStep"])
    check_step(page, data, s)


def test_a_step_can_be_opened_from_the_address(browser_page: Any, tmp_path: Path) -> None:
    c = small_graph()
    path = tmp_path / "stepper.html"
    viz.write_stepper(c, path)
    data = page_data(path.read_text(encoding="utf-8"))
    browser_page.goto(path.as_uri() + "#step=7")
    check_step(browser_page, data, 7)


PANEL_TEXT = """() => [...document.querySelectorAll('#side *')].filter((e) =>
    e.offsetParent !== null &&
    [...e.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim()))
    .map((e) => parseFloat(getComputedStyle(e).fontSize))"""


def test_the_panel_text_grows_with_the_window_as_the_playgrounds_does(
    browser_page: Any,
    tmp_path: Path,
) -> None:
    path = tmp_path / "stepper.html"
    viz.write_stepper(small_graph(), path)
    page = browser_page
    smallest = {}
    for width, height in ((1400, 900), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{path.as_uri()}#step=3")
        sizes = page.evaluate(PANEL_TEXT)
        assert len(sizes) > 10
        smallest[width] = min(sizes)
    # the playground's panel text is 16-21 px at 1920 wide: the stepper's is at least 16 too
    assert smallest[1400] >= 12 and smallest[1920] >= 16, smallest


def test_every_node_of_the_page_has_a_name_and_none_is_node_k() -> None:
    # the demo's stepper graph: binary cross-entropy on a logit, with unlabelled constants (the
    # 1 of 1 + e^(−z)) and intermediate nodes whose parents have no names of their own
    from nn import MLP
    from nn.losses import binary_cross_entropy_with_logits

    model = MLP(2, [3, 1], activation="tanh", output_activation="linear", seed=0)
    root = binary_cross_entropy_with_logits(model([0.43, -0.23]), [1.0])
    text = viz.stepper_html(root)
    data = page_data(text)
    assert "node #" not in text
    names = data["names"]
    assert len(set(names)) == len(names)  # the panel tells every node apart
    order = processing_order(root)
    for node, shown in zip(order, names, strict=True):
        if node.is_leaf and not node.label and node.label_record is None:
            assert shown == number(node.data, 4)  # a constant is named by its value
    # the same names in the drawing's title rows
    for shown in names:
        assert html.escape(shown) in text or shown in text
