"""Notebook display: every object a learner prints has text/plain and its rich form.

Value (its graph), Module (a table of layers and a drawing), fit()'s History (the loss curve),
Explanation (LaTeX and Markdown), check_backprop's report (Markdown), and the stepper and
playground pages as sandboxed iframes; the pages inline are driven in Chromium.
"""

import ast
import html
import math
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

import nn.notation
import viz
from autograd import Value
from nn import MLP, Layer, Module, Neuron, display
from nn.data import moons
from nn.losses import binary_cross_entropy_with_logits, quadratic
from nn.optim import SGD, Adam
from nn.record import Recorder
from nn.train import fit
from viz.notebook import MAX_SHOWN, Page

REQUIRE_BROWSER = os.environ.get("DELTAGRAD_REQUIRE_BROWSER") == "1"


def bundle(obj: Any) -> dict[str, str]:
    """What Jupyter shows for obj: IPython's own formatter (every _repr_*_ form, text/plain)."""
    formatters = pytest.importorskip("IPython.core.formatters", reason="IPython (ipykernel)")
    data, _ = formatters.DisplayFormatter().format(obj)
    return dict(data)


# ------------------------------------------------------------------------- Value
def test_a_value_shows_its_graph_scaled_to_the_output_width() -> None:
    a = Value(2.0, "a")
    c = a * a + 1.0
    c.label = "c"
    shown = bundle(c)
    assert shown["text/plain"] == repr(c)
    svg = shown["image/svg+xml"]
    assert re.search(r'<svg style="max-width:100%;height:auto" width="[\d.]+pt"', svg)
    assert ">a<" in svg and ">c<" in svg


# ------------------------------------------------------------------------ Module
def test_an_mlp_shows_its_layers_parameter_count_and_a_drawing() -> None:
    model = MLP(2, [3, 2], activation="sigmoid", output_activation="sigmoid", seed=0)
    shown = bundle(model)
    assert shown["text/plain"] == repr(model)
    page = shown["text/html"]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", page)
    rows = [cells[i : i + 6] for i in range(0, 18, 6)]
    assert rows[0][:2] == ["1 (input)", "2"]
    assert rows[1][0] == "2" and rows[1][1:3] == ["3", "sigmoid"] and rows[1][5] == "9"
    assert rows[2][0] == "3 (output)" and rows[2][1:3] == ["2", "sigmoid"] and rows[2][5] == "8"
    assert "w<sup>3</sup> (2×3)" in rows[2][3] and "b<sup>3</sup> (2)" in rows[2][4]
    assert f"<b>{len(model.parameters())}</b>" in page  # the total: 17
    # the drawing: one circle per neuron, an edge per weight
    svg = page[page.index("<svg") :]
    assert svg.count("<circle") == 2 + 3 + 2
    assert svg.count("<line") == 2 * 3 + 3 * 2
    assert "output: sigmoid" in svg and "a³₁" in svg and "a¹₀" in svg


def test_the_summary_is_written_in_the_active_notation() -> None:
    model = MLP(3, [4, 1], activation="tanh", seed=0)
    with nn.notation.using("lfd"):  # layers from 0, w^(l)_ij from i to j: shape in × out
        rows = display.summary_rows(model)
    assert [r["layer"] for r in rows] == ["0 (input)", "1", "2 (output)"]
    assert rows[1]["weights"].endswith("(3×4)") and "(1)" in rows[1]["weights"]
    assert rows[2]["parameters"] == "5"
    drawing = viz.network_svg([3, 4, 1], ["tanh", "linear"], notation="lfd")
    assert "layer 0" in drawing and "layer 2" in drawing and "layer 3" not in drawing


def test_a_wide_layer_is_drawn_with_its_first_neurons_an_ellipsis_and_its_last() -> None:
    svg = viz.network_svg([2, 16, 1], ["tanh", "linear"])
    assert svg.count("<circle") == 2 + (MAX_SHOWN - 1) + 1
    assert svg.count("⋮") == 1 and "16 neurons" in svg
    with pytest.raises(ValueError, match="one activation per"):
        viz.network_svg([2, 3], ["tanh", "tanh"])


def test_neuron_and_layer_show_as_one_layer_networks() -> None:
    neuron = Neuron(3, "relu", layer_index=4, index=1, seed=0)
    shown = bundle(neuron)["text/html"]
    assert "3 (input)" in shown and "4 (output)" in shown and "<b>4</b>" in shown
    layer = Layer(2, 5, "tanh", seed=0)
    shown = bundle(layer)["text/html"]
    assert "<b>15</b>" in shown and shown.count("<circle") == 2 + 5


def test_a_module_of_ones_own_lists_its_parameters() -> None:
    class Pair(Module):
        def __init__(self) -> None:
            self.u, self.v = Value(1.0, "u"), [Value(2.0, "v0"), Value(3.0, "v1")]

        def _tensors(self) -> list[tuple[str, Any]]:
            return [("u", self.u), ("v", self.v)]

    shown = bundle(Pair())
    assert "3 parameters: u, v[0], v[1]" in shown["text/html"]
    assert "<svg" not in shown["text/html"]


def test_without_viz_s_hook_a_module_still_shows_nn_s_table() -> None:
    model = MLP(2, [1], seed=0)
    hook = display._hooks["module"]
    display.set_display_hook("module", None)
    try:
        shown = bundle(model)
    finally:
        display.set_display_hook("module", hook)
    assert "<table" in shown["text/html"] and "<svg" not in shown["text/html"]
    with pytest.raises(ValueError, match="kind must be one of"):
        display.set_display_hook("value", hook)


# ----------------------------------------------------------------------- History
def test_fit_returns_a_list_that_a_notebook_plots() -> None:
    xs, ys = moons(20, seed=0)
    model = MLP(2, [4, 1], seed=0)
    history = fit(model, xs, ys, binary_cross_entropy_with_logits, SGD(model.parameters(), 0.1), 5)
    assert isinstance(history, list) and isinstance(history, display.History)
    assert len(history) == 5 and history == list(history)
    shown = bundle(history)
    assert ast.literal_eval(shown["text/plain"]) == list(history)  # the list, as text
    svg = shown["image/svg+xml"]
    assert "training loss" in svg and svg.count("<polyline") == 1
    assert f"step 4: {history[-1]:.4g}" in svg


def test_a_history_with_nothing_to_plot_shows_its_list() -> None:
    assert bundle(display.History()) == {"text/plain": "[]"}  # nothing to plot
    assert set(bundle(display.History([1.0, math.nan]))) == {"text/plain"}


# --------------------------------------------------------- explain and the report
def test_explain_shows_as_latex_and_markdown_with_its_spacing_kept() -> None:
    a = Value(0.5, "a")
    b = Value(-1.5, "b")
    c = a * b
    c.label = "c"
    L = c.tanh() + a
    L.label = "L"
    shown = bundle(viz.explain(a, L))
    assert shown["text/plain"] == str(viz.explain(a, L))  # the text itself, unquoted
    lines = shown["text/markdown"].split("  \n")
    assert all(line.startswith("$") and line.endswith("$") for line in lines)
    # the terms of the sum are indented and their remarks set apart, as in the text
    assert lines[1].startswith(r"$\quad \quad \partial")
    assert lines[2].startswith(r"$\quad + \partial")
    assert r"\quad \text{(via }" in lines[1]
    assert shown["text/latex"].startswith("$\\begin{array}{l}")


def test_a_backprop_report_shows_as_markdown() -> None:
    def wrong(weights: Any, biases: Any, x: Any, y: Any) -> Any:
        return (
            [[0.0] * len(b) for b in biases],
            [[[0.0] * len(r) for r in w] for w in weights],
            [[0.0] * len(b) for b in biases],
        )

    report = nn.check_backprop(wrong, [2, 2, 1], trials=2)
    shown = bundle(report)
    assert shown["text/markdown"].startswith("**backprop WRONG**")
    assert shown["text/plain"] == str(report)  # the report, not its dataclass fields


# ------------------------------------------------------------------------- pages
def small_loss() -> Value:
    model = MLP(2, [2, 1], activation="tanh", seed=0)
    return quadratic(model([0.5, -1.0]), [0.25])


def srcdoc(frame: str) -> str:
    m = re.fullmatch(r'<iframe srcdoc="([^"]*)" sandbox="allow-scripts" .*></iframe>', frame)
    assert m, frame[:200]
    return html.unescape(m.group(1))


def test_the_stepper_page_is_an_iframe_of_the_whole_page(tmp_path: Path) -> None:
    loss = small_loss()
    page = viz.stepper_page(loss, digits=3)
    assert isinstance(page, Page)
    assert page.html == viz.stepper_html(loss, digits=3)
    shown = bundle(page)
    assert shown["text/plain"].startswith("<backward-pass stepper: an offline HTML page")
    assert srcdoc(shown["text/html"]) == page.html  # the attribute carries it exactly
    assert "allow-same-origin" not in shown["text/html"]
    page.save(tmp_path / "stepper.html")
    assert (tmp_path / "stepper.html").read_text(encoding="utf-8") == page.html


def recorded_run() -> tuple[Recorder, MLP, list[list[float]], list[int]]:
    xs, ys = moons(30, seed=1)
    model = MLP(2, [4, 1], activation="tanh", seed=1)
    recorder = Recorder(every=5)
    loss = binary_cross_entropy_with_logits
    fit(model, xs, ys, loss, Adam(model.parameters(), lr=0.05), epochs=20, record=recorder)
    return recorder, model, xs, ys


def test_the_playground_page_is_an_iframe_of_the_whole_page() -> None:
    recorder, model, xs, ys = recorded_run()
    page = viz.playground_page(recorder, model, xs, ys, title="moons")
    assert page.html == viz.playground_html(recorder, model, xs, ys, title="moons")
    assert srcdoc(page._repr_html_()) == page.html
    assert "height:900px" in page._repr_html_()


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright; no browser download needed)"
    if shutil.which("chromium") is None and not os.path.exists("/usr/bin/chromium"):
        return "Chromium is not installed (apt-get install chromium)"
    return None


def test_pages_run_inside_their_sandboxed_iframes(browser: Any, tmp_path: Path) -> None:
    recorder, model, xs, ys = recorded_run()
    stepper = viz.stepper_page(small_loss())._repr_html_()
    playground = viz.playground_page(recorder, model, xs, ys)._repr_html_()
    # the playground far below the fold, as the later outputs of a notebook are
    notebook = tmp_path / "notebook.html"
    notebook.write_text(
        '<!DOCTYPE html><meta charset="utf-8"><body style="width:1200px">'
        f'<div id="one">{stepper}</div><div style="height:3000px"></div>'
        f'<div id="two">{playground}</div>',
        encoding="utf-8",
    )
    page = browser.new_page(viewport={"width": 1250, "height": 950})
    try:
        page.goto(notebook.as_uri())
        # sandboxed without allow-same-origin: the notebook cannot reach into a page
        assert page.evaluate(
            "[...document.querySelectorAll('iframe')].map(f => f.contentDocument)"
        ) == [None, None]
        steps = page.frame_locator("#one iframe")
        steps.locator("#next").click()
        steps.locator("#next").click()
        assert re.search(r"Step 1\b", steps.locator("body").inner_text())
        # scrolled to, the playground has laid its network out at the size it is shown
        page.locator("#two iframe").scroll_into_view_if_needed()
        frame = page.locator("#two iframe").element_handle().content_frame()
        widths = "[...document.querySelectorAll('.neuron')].map(e => e.offsetWidth)"
        frame.wait_for_function(
            f"{widths}.length === 7 && Math.min(...{widths}) > 40", timeout=10_000
        )
        before = frame.evaluate(widths)
        # and again when its panel changes size while the window does not
        frame.evaluate("document.getElementById('netwrap').style.flex = '0 0 160px'")
        frame.wait_for_function(f"Math.max(...{widths}) < {min(before)}", timeout=10_000)
    finally:
        page.close()


def test_a_values_display_svg_is_well_formed_and_fitted_once() -> None:
    # svg() fits the drawing to the width; the notebook display must not add a second style
    import xml.etree.ElementTree as ET

    from autograd import Value

    x = Value(2.0, "x")
    y = x * x
    y.backward()
    bundle = y._repr_mimebundle_()
    text = bundle["image/svg+xml"]
    assert text.count("max-width:100%") == 1
    ET.fromstring(text[text.index("<svg") :])  # a duplicate attribute would not parse


# ---------------------------------------------------------------------- layer view
MATHJAX = Path("/usr/share/javascript/mathjax/MathJax.js")  # Debian's libjs-mathjax


def test_the_layer_views_matrices_align_on_the_point_and_captions_are_full_size(
    browser: Any, tmp_path: Path
) -> None:
    """The notebook's layer view typeset by MathJax: in every matrix column the decimal points
    stand one above the other, and a caption (∂C/∂w³, a fraction) is set at the entries' size,
    not in the script size of an \\overset (5 px at a 14 px page)."""
    if not MATHJAX.exists():
        if REQUIRE_BROWSER:
            pytest.fail("DELTAGRAD_REQUIRE_BROWSER=1 but MathJax is not installed")
        pytest.skip("MathJax is not installed (apt-get install libjs-mathjax)")
    model = MLP(2, [3, 2], activation="sigmoid", output_activation="sigmoid", seed=1)
    cost = quadratic(model([0.5, -1.2]), [0.0, 1.0])
    cost.backward()
    shown = viz.explain(model, cost)._repr_markdown_()  # type: ignore[union-attr]
    displays = re.findall(r"\$\$(.*?)\$\$", shown, re.S)
    assert len(displays) >= 6
    body = "".join(f"<p>$${html.escape(d)}$$</p>" for d in displays)
    config = f"{MATHJAX.as_uri()}?config=TeX-AMS_CHTML-full,Safe"
    page_file = tmp_path / "view.html"
    page_file.write_text(
        f'<html><head><script src="{config}"></script></head>'
        f'<body style="font-size:14px">{body}</body></html>',
        encoding="utf-8",
    )
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        page.goto(page_file.as_uri())
        page.evaluate("new Promise((done) => MathJax.Hub.Queue(done))")
        measured = page.evaluate(
            """() => {
            const size = (node) => parseFloat(getComputedStyle(node.parentElement).fontSize);
            const texts = (el) => {
                const out = [], walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
                while (walk.nextNode()) {
                    const node = walk.currentNode;  // what is seen: not a phantom's text
                    if (node.data.trim() && getComputedStyle(node.parentElement).visibility
                        !== 'hidden') out.push(node);
                }
                return out;
            };
            const columns = [], captions = [], entries = [];
            const outer = [...document.querySelectorAll('.mjx-mtable')]
                .filter((table) => !table.parentElement.closest('.mjx-mtable'));
            outer.forEach((table, t) => {
                [...table.querySelectorAll('.mjx-mtr')]
                    .filter((row) => row.closest('.mjx-mtable') === table).forEach((row) => {
                    row.querySelectorAll(':scope > .mjx-mtd').forEach((cell, c) => {
                        for (const node of texts(cell)) {
                            entries.push(size(node));
                            const i = node.data.indexOf('.');
                            if (i < 0) continue;
                            const range = document.createRange();
                            range.setStart(node, i);
                            range.setEnd(node, i + 1);
                            const key = t + ':' + c;
                            columns[key] = columns[key] || [];
                            columns[key].push(range.getBoundingClientRect().left);
                        }
                    });
                });
            });
            document.querySelectorAll('.mjx-over').forEach((over) => {
                captions.push(texts(over).map(size));
            });
            return {points: Object.values(columns), captions, entries};
        }"""
        )
    finally:
        page.close()
    points = [xs for xs in measured["points"] if len(xs) > 1]
    assert len(points) >= 8  # columns of two or more numbers with a decimal point
    assert all(max(xs) - min(xs) < 0.5 for xs in points), points
    entry = max(measured["entries"])
    # a caption's letters at the entries' size, its indices at a superscript's 70 % (the
    # script-script 50 % of a fraction inside an \overset is what must not come back)
    assert len(measured["captions"]) >= 6
    for sizes in measured["captions"]:
        assert max(sizes) >= 0.95 * entry and min(sizes) >= 0.65 * entry, (sizes, entry)
