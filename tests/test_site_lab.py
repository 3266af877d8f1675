"""The expression lab (viz/site/lab.py and its page): run code, draw, explain, step, stop loops."""

from __future__ import annotations

from typing import Any

import pytest

from autograd import Value
from viz.numbers import MINUS
from viz.site import lab


# --------------------------------------------- micrograd's README example, as plain floats
def micrograd_g(a: float, b: float) -> float:
    """micrograd's README expression with floats (relu is max(0, x)): the independent check."""

    def relu(x: float) -> float:
        return max(0.0, x)

    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + relu(b + a)
    d += 3 * d + relu(b - a)
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g


def central(f: Any, x: float, h: float = 1e-6) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


G = micrograd_g(-4.0, 2.0)
DG_DA = central(lambda a: micrograd_g(a, 2.0), -4.0)
DG_DB = central(lambda b: micrograd_g(-4.0, b), 2.0)


def shown(text: str) -> float:
    """A number as the formatter writes plain decimals (a true minus sign)."""
    assert "×" not in text, text
    return float(text.replace(MINUS, "-"))


def node(answer: dict[str, Any], variable: str) -> dict[str, Any]:
    (found,) = [n for n in answer["nodes"] if n["variable"] == variable]
    return found


# ------------------------------------------------------------------------- Python side
def test_micrograd_example_runs_as_written_and_prints_its_numbers() -> None:
    answer = lab.run(lab.MICROGRAD, digits=9)
    assert answer["error"] is None
    printed = [float(line) for line in answer["output"].split()]
    assert printed == pytest.approx([G, DG_DA, DG_DB], abs=1e-4)  # printed with 4 decimals
    assert [round(x, 4) for x in (G, DG_DA, DG_DB)] == [24.7041, 138.8338, 645.5773]
    # the root is g, the Value assigned last; the table's gradients are dg/dx
    assert answer["root"]["name"] == "g"
    assert shown(node(answer, "a")["grad"]) == pytest.approx(DG_DA, rel=1e-6)
    assert shown(node(answer, "b")["grad"]) == pytest.approx(DG_DB, rel=1e-6)
    assert shown(node(answer, "g")["data"]) == pytest.approx(G, rel=1e-8)


def test_the_drawing_has_every_node_and_the_page_maps_its_ids_to_steps() -> None:
    answer = lab.run(lab.MICROGRAD)
    svg = answer["drawing"]["svg"]
    assert svg is not None and svg.count('class="node"') > len(answer["nodes"])  # + legend
    for k in range(len(answer["nodes"])):
        assert f'<g id="v{k}" class="node">' in svg
        assert answer["ids"][f"v{k}"] == k


def test_explain_of_a_chosen_node_derives_its_gradient() -> None:
    answer = lab.run(lab.MICROGRAD)
    explained = lab.explain_node(node(answer, "b")["k"])
    text = explained["text"]
    assert text.startswith("∂g/∂b = ")
    assert shown(text.splitlines()[-1].split("= ")[-1]) == pytest.approx(DG_DB, rel=1e-3)
    assert len(explained["html"]) == len(text.splitlines())
    with pytest.raises(ValueError, match="from 0 to"):
        lab.explain_node(len(answer["nodes"]))


def test_a_syntax_error_is_answered_with_its_line() -> None:
    answer = lab.run("x = Value(1.0)\ny = x * (2 +\nz = y\n")
    error = answer["error"]
    assert error["type"] == "SyntaxError"
    assert error["line"] == 2
    assert error["message"].startswith("SyntaxError on line 2:")
    assert answer["root"] is None


def test_an_exception_is_answered_with_the_learners_line_and_keeps_the_output() -> None:
    code = "x = Value(2.0)\nprint('before')\ny = x.log()\nz = (x - 2.0).log()\n"
    answer = lab.run(code)
    assert answer["output"] == "before\n"
    error = answer["error"]
    assert error["line"] == 4 and error["text"] == "z = (x - 2.0).log()"
    assert error["message"].startswith(f"{error['type']} on line 4: ")
    # what ran before the error is still there to draw
    assert answer["root"]["name"] == "y"


def test_the_root_is_the_field_else_the_last_line_else_the_last_assigned() -> None:
    code = "x = Value(3.0)\ny = x * x\nz = y + 1\n"
    assert lab.run(code)["root"]["name"] == "z"
    assert lab.run(code, root="y")["root"]["name"] == "y"
    assert lab.run(code + "y * 2\n")["root"]["name"] == ""  # the last line's value
    missing = lab.run(code, root="w")
    assert missing["root"] is None and "defines no 'w'" in missing["why"]
    assert lab.run(code, root="Value")["root"] is None  # a name of the namespace is not one
    assert "makes no Value" in lab.run("print(1)")["why"]


def test_the_tanh_example_matches_the_closed_form() -> None:
    answer = lab.run(lab.EXAMPLES["tanh"][1], digits=9)
    engine, closed = (float(line.split()[-1]) for line in answer["output"].splitlines())
    assert engine == pytest.approx(closed, rel=1e-12)
    assert shown(node(answer, "x")["grad"]) == pytest.approx(
        central(lambda x: float(Value(x).tanh().data), 0.5), rel=1e-6
    )


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown notation"):
        lab.run("x = Value(1.0)", notation="nobody")
    with pytest.raises(ValueError, match="digits must be"):
        lab.run("x = Value(1.0)", digits=40)


# --------------------------------------------------------------------- in Chromium (Pyodide)
def ran(page: Any, count: int) -> None:
    page.wait_for_function(f"Number(document.body.dataset.ran || 0) >= {count}", timeout=60_000)


def table_grads(page: Any) -> dict[str, float]:
    rows = page.eval_on_selector_all(
        "#vars tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )
    return {name: shown(grad) for name, _, grad in rows}


@pytest.mark.slow
def test_the_page_runs_the_example_draws_explains_and_steps(site_page: Any) -> None:
    page = site_page.open("lab.html")
    ran(page, 1)  # the first example runs when the page is ready
    assert page.inner_text("#output").split() == ["24.7041", "138.8338", "645.5773"]
    page.select_option("#digits", "8")
    ran(page, 2)
    grads = table_grads(page)
    assert grads["a"] == pytest.approx(DG_DA, rel=1e-6)
    assert grads["b"] == pytest.approx(DG_DB, rel=1e-6)
    # the drawing: one node per Value (ids v0..), drawn by Graphviz in the page
    count = page.eval_on_selector_all("#vars tbody tr", "rows => rows.length")
    assert count == 7
    drawn = page.eval_on_selector_all("#graph g.node[id^='v']:not([id$='op'])", "g => g.length")
    assert drawn == 33
    # click b's node in the drawing: its explain() is shown
    k = page.get_attribute("#vars tbody tr:has(td:text-is('b'))", "data-k")
    page.click(f"#graph g.node[id='v{k}']")
    page.wait_for_function(f"document.getElementById('explain-lines').dataset.k === '{k}'")
    lines = page.inner_text("#explain-lines").splitlines()
    assert lines[0].startswith("∂g/∂b = ")
    assert shown(lines[-1].split("= ")[-1]) == pytest.approx(DG_DB, rel=1e-6)
    assert "selected" in page.get_attribute(f"#graph g.node[id='v{k}']", "class")
    # the stepper steps through the backward pass
    page.click("#tab-stepper")
    frame = page.frame_locator("#stepper-frame")
    frame.locator("#next").click()
    assert frame.locator("#step-index").inner_text() == "0"
    frame.locator("#next").click()
    assert frame.locator("#step-index").inner_text() == "1"


@pytest.mark.slow
def test_typed_code_runs_with_ctrl_enter_and_errors_show_their_line(site_page: Any) -> None:
    page = site_page.open("lab.html")
    ran(page, 1)
    page.fill("#code", "x = Value(0.7)\ny = x * x + tanh(x)\n")
    page.select_option("#digits", "8")
    ran(page, 2)
    page.press("#code", "Control+Enter")
    ran(page, 3)
    import math

    expected = central(lambda x: x * x + math.tanh(x), 0.7)
    assert table_grads(page)["x"] == pytest.approx(expected, rel=1e-6)
    assert page.inner_text("#error") == ""
    page.fill("#code", "x = Value(1.0)\n\ny = x.log(\n")
    page.click("#run")
    ran(page, 4)
    assert page.inner_text("#error").startswith("SyntaxError on line 3:")


@pytest.mark.slow
def test_an_endless_loop_is_stopped_and_the_page_works_after(site_page: Any) -> None:
    page = site_page.open("lab.html")
    ran(page, 1)
    page.fill("#limit", "3")
    page.fill("#code", "x = Value(1.0)\nwhile True:\n    x = x + 1\n")
    page.click("#run")
    ran(page, 2)  # the run ends: stopped by the page, the worker restarted
    assert "still running after 3 s" in page.inner_text("#error")
    assert page.eval_on_selector_all("#graph svg", "s => s.length") == 0
    page.fill("#code", "x = Value(2.0)\ny = x * x\nprint(y.data)\n")
    page.click("#run")
    ran(page, 3)
    assert page.inner_text("#output").strip() == "4.0"
    assert page.inner_text("#error") == ""
    assert page.evaluate("document.body.dataset.python") == "ready"


TEXT_SIZES = """() => {
  const sizes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || !el.getClientRects().length) continue;
    if (el.closest("[hidden], option")) continue;
    let px = parseFloat(getComputedStyle(el).fontSize);
    const svg = el.closest("svg");
    if (svg) px *= el.getScreenCTM().a;  // the drawing's scale
    sizes.push([px, walker.currentNode.textContent.trim().slice(0, 30)]);
  }
  return sizes;
}"""


@pytest.mark.slow
@pytest.mark.parametrize("size", [(1400, 900), (1920, 1080)])
def test_text_is_readable_and_nothing_is_cut(site_page: Any, size: tuple[int, int]) -> None:
    page = site_page.open("lab.html")
    page.set_viewport_size({"width": size[0], "height": size[1]})
    ran(page, 1)
    small = [(px, text) for px, text in page.evaluate(TEXT_SIZES) if px < 11 - 1e-6]
    assert small == []
    # the page itself never scrolls sideways; only the drawing's own area does
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # the left column's controls are inside the window
    for selector in ("#run", "#code", "#root", "#notation", "#limit"):
        box = page.locator(selector).bounding_box()
        assert box["x"] + box["width"] <= size[0] and box["y"] + box["height"] <= size[1]
