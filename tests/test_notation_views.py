"""Every view in every notation: SVG typeset and valid, structure from records, not from text."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import nn
import viz
from autograd import Value, linear
from nn import MLP, compare, losses
from nn.notation import NOTATIONS, Name, Notation
from viz.draw import ROLES, forward_order, group_nodes, processing_order
from viz.names import identify, role

SVG = "{http://www.w3.org/2000/svg}"
RENDERERS = ["wasm", "dot"] if shutil.which("dot") else ["wasm"]
KEYS = list(NOTATIONS)
MINE = Notation(
    "mine",
    "a learner's notes",
    w="θ",
    b="β",
    z="u",
    a="v",
    delta="ε",
    cost="loss",
    cost_batch="mean_loss",
    sigma="φ",
    layer_offset=-1,
    layer_brackets=("{", "}"),
    index_order="kj",
    index_base=1,
)


@pytest.fixture(autouse=True)
def _nielsen_afterwards() -> Iterator[None]:
    yield
    nn.notation.use("nielsen")


def mlp_232(expand: bool = False) -> tuple[MLP, Value]:
    model = MLP(2, [3, 2], activation="tanh", output_activation="sigmoid", seed=0, expand=expand)
    loss = losses.quadratic(model([0.5, -1.0]), [1.0, 0.0])
    loss.backward()
    return model, loss


def texts(svg_text: str) -> list[str]:
    """The full text of each <text> element (tspans included)."""
    root = ET.fromstring(svg_text)
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def node_texts(svg_text: str, gid: str) -> list[ET.Element]:
    root = ET.fromstring(svg_text)
    for g in root.iter(f"{SVG}g"):
        if g.get("id") == gid:
            return list(g.iter(f"{SVG}text"))
    raise AssertionError(f"no node {gid}")


# ------------------------------------------------------------------------ typeset SVG
@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("key", [*KEYS, "mine"])
def test_every_notation_draws_valid_typeset_svg(key: str, renderer: str) -> None:
    model, loss = mlp_232()
    notation = MINE if key == "mine" else key
    svg_text = viz.svg(loss, collapse=None, renderer=renderer, notation=notation)
    order = processing_order(loss)
    w = model.layers[0].neurons[1].w[0]  # Nielsen's w^2_{1,0}
    label = node_texts(svg_text, f"v{order.index(w)}")[0]
    symbol, sup, sub = nn.notation.parts(Name("weight", 2, 1, 0), notation)
    # the label is one <text>: the symbol, then a raised superscript and a lowered subscript
    assert "".join(label.itertext()) == symbol + sup + sub
    spans = label.findall(f"{SVG}tspan")
    assert [s.text for s in spans] == [sup, sub]
    assert float(spans[0].get("dy", "0")) < 0 < float(spans[1].get("dy", "0"))
    assert all(s.get("font-size") == "75%" for s in spans)
    assert "loss (the root)" in texts(svg_text)  # the legend of a drawing of values
    # and the collapsed drawings too
    for collapse in ("neuron", "layer"):
        ET.fromstring(viz.svg(loss, renderer=renderer, notation=notation, collapse=collapse))


def test_both_renderers_set_the_same_text() -> None:
    if len(RENDERERS) < 2:
        pytest.skip("the system Graphviz `dot` is not on PATH")
    _, loss = mlp_232()
    for key in KEYS:
        dot_svg = viz.svg(loss, collapse=None, renderer="dot", notation=key)
        wasm_svg = viz.svg(loss, collapse=None, renderer="wasm", notation=key)
        assert texts(dot_svg) == texts(wasm_svg)
        assert dot_svg.count("<tspan") == wasm_svg.count("<tspan") > 0


def test_the_digraph_itself_carries_unicode_scripts() -> None:
    # draw() returns a graphviz.Digraph that any renderer shows readably (no tspans there)
    _, loss = mlp_232()
    assert "w²₁,₀" in viz.draw(loss, collapse=None).source
    assert "w⁽¹⁾₁,₂" in viz.draw(loss, collapse=None, notation="lfd").source
    assert (
        "w^[1]₂,₁" in viz.draw(loss, collapse=None, notation="ng").source
    )  # no Unicode superscript [ ]
    assert "s⁽¹⁾₂" in viz.draw(loss, collapse=None, notation="lfd").source


# ------------------------------------------------------------------------ structure is data
def _roles(loss: Value) -> list[str]:
    order = processing_order(loss)
    names = identify(forward_order(loss))
    return [role(n, loss, set(), names) for n in order]


def _delta_rows(source: str) -> list[str]:
    return re.findall(r"\bv(\d+) \[[^\]]*?(?:δ|dz|ε|g)\\ =", source)


@pytest.mark.parametrize("key", KEYS)
def test_collapse_groups_are_the_same_in_every_notation(key: str) -> None:
    _, loss = mlp_232()
    order = processing_order(loss)
    nielsen = group_nodes(loss, order, "neuron")
    with nn.notation.using(key):
        assert group_nodes(loss, order, "neuron") == nielsen
    boxes = re.findall(
        r"^\s*(n\d+_\d+|L\d+|loss|leaves) \[", viz.draw(loss, collapse="neuron").source, re.M
    )
    again = re.findall(
        r"^\s*(n\d+_\d+|L\d+|loss|leaves) \[",
        viz.draw(loss, collapse="neuron", notation=key).source,
        re.M,
    )
    assert boxes == again == ["n1_0", "n1_1", "n2_0", "n2_1", "n2_2", "n3_0", "n3_1", "loss"]


@pytest.mark.parametrize("expand", [False, True])
def test_relabelled_z_nodes_change_nothing_structural(expand: bool) -> None:
    model, loss = mlp_232(expand)
    order = processing_order(loss)
    before_roles = _roles(loss)
    before_groups = {c: group_nodes(loss, order, c) for c in ("neuron", "layer")}
    before_deltas = _delta_rows(viz.draw(loss, collapse=None).source)
    explained = viz.explain(model.layers[0].z[1], loss)
    for i, z in enumerate(n for layer in model.layers for n in layer.z):
        z.label = f"a^9_{i} looks like an activation"  # text that a parser would misread
    assert _roles(loss) == before_roles
    assert {c: group_nodes(loss, order, c) for c in ("neuron", "layer")} == before_groups
    source = viz.draw(loss, collapse=None).source
    assert _delta_rows(source) == before_deltas and len(before_deltas) == 5
    assert "a^9_0\\ looks\\ like\\ an\\ activation" in source  # the user's text is shown
    # explain keeps the numbers; the name of z is the user's text now, so δ is written ∂C/∂…
    again = viz.explain(model.layers[0].z[1], loss)
    assert again.rsplit("=", 1)[1] == explained.rsplit("=", 1)[1]
    assert "∂C/∂a^9_1 looks like an activation" in again


def test_plain_expressions_get_roles_from_their_shape() -> None:
    # a user's own graph with string labels: no records, the shape says z, a, w, b
    x = [Value(0.5, "first input"), Value(-1.0, "second input")]
    w = [Value(0.8, "p"), Value(-0.3, "q")]
    z = linear(w, x, Value(0.1, "r"))
    z.label = "pre"
    a = z.tanh()
    a.label = "post"
    c = (a - 0.25) ** 2
    c.label = "cost"
    c.backward()
    order = processing_order(c)
    roles = dict(zip(order, _roles(c), strict=True))
    assert [roles[v] for v in w] == ["parameter", "parameter"]
    assert roles[z.parents[-1]] == "parameter"  # the bias slot of linear
    assert [roles[v] for v in x] == ["input", "input"]
    assert (roles[z], roles[a], roles[c]) == ("preactivation", "activation", "loss")
    source = viz.draw(c, collapse=None).source
    assert f'fillcolor="{ROLES["preactivation"][0]}"' in source
    assert "δ\\ =" in source
    # an expanded sum feeding tanh is a pre-activation too
    s = w[0] * x[0] + w[1] * x[1]
    t = s.tanh()
    assert _roles(t)[processing_order(t).index(s)] == "preactivation"
    # the same graph with nn's records gives the same roles
    named = [Value(0.5, Name("input", 1, 0)), Value(-1.0, Name("input", 1, 1))]
    wn = [Value(0.8, Name("weight", 2, 0, 0)), Value(-0.3, Name("weight", 2, 0, 1))]
    zn = linear(wn, named, Value(0.1, Name("bias", 2, 0)))
    zn.label_record = Name("preactivation", 2, 0)
    an = zn.tanh()
    an.label_record = Name("activation", 2, 0)
    cn = (an - 0.25) ** 2
    cn.label_record = Name("cost")
    assert _roles(cn) == _roles(c)
    assert group_nodes(cn, processing_order(cn), "neuron") == {
        m: g
        for m, g in zip(processing_order(cn), group_nodes(c, order, "neuron").values(), strict=True)
    }


# ------------------------------------------------------------------------ a learner's notation
def test_a_learner_defined_notation_end_to_end(tmp_path: Path) -> None:
    model, loss = mlp_232()
    z = model.layers[0].z[1]
    # draw
    source = viz.draw(loss, collapse=None, notation=MINE).source
    # braces have no Unicode superscript: written ^{1} (escaped in the DOT record)
    assert "u^\\{1\\}₂" in source and "θ^\\{1\\}₁,₂" in source and "β^\\{1\\}₂" in source
    assert "ε\\ =" in source and "loss" in source
    svg_text = viz.svg(loss, collapse=None, notation=MINE)
    assert "u{1}2" in texts(svg_text)  # set as u with superscript {1} and subscript 2
    # explain, with LaTeX for notebooks
    text = viz.explain(z, loss, notation=MINE)
    assert text.startswith("ε^{1}₂ = ∂loss/∂u^{1}₂ = ∂loss/∂v^{1}₂ · ∂v^{1}₂/∂u^{1}₂")
    assert "φ = tanh" in text
    latex = text._repr_latex_()
    assert latex.startswith("$\\begin{array}{l}") and "\\partial" in latex
    assert "ε^{\\{1\\}}_{2}" in latex  # the notation's braces, shown
    assert text._repr_markdown_().count("$") == 2 * len(text.splitlines())
    # stepper
    page = viz.stepper_html(loss, notation=MINE)
    data = json.loads(
        re.search(r"const D = (\{.*?\});\n", page, re.S).group(1)  # type: ignore[union-attr]
    )
    k = processing_order(loss).index(z)
    assert data["names"][k] == "u^{1}₂"
    assert data["namesHtml"][k] == "u<sup>{1}</sup><sub>2</sub>"
    assert data["root"] == "loss"
    # and the CLI-style global switch, after registering it
    nn.notation.register(MINE)
    try:
        with nn.notation.using("mine"):
            assert z.label == "u^{1}_2"
    finally:
        del nn.notation.NOTATIONS["mine"]


def test_explanation_is_a_str_with_latex() -> None:
    model, loss = mlp_232()
    e = viz.explain(model.layers[0].neurons[1].w[0], loss, notation="lfd")
    assert isinstance(e, str) and isinstance(e, viz.Explanation)
    assert e.startswith("∂e/∂w⁽¹⁾₁,₂ = ∂e/∂s⁽¹⁾₂ · ∂s⁽¹⁾₂/∂w⁽¹⁾₁,₂ = δ⁽¹⁾₂ · x⁽⁰⁾₁ = ")
    lines = e.latex_lines()
    assert lines[0].startswith(
        r"\partial e/\partial w^{(1)}_{1,2} = \partial e/\partial s^{(1)}_{2} \cdot"
    )
    assert r"{\delta}^{(1)}_{2} \cdot  x^{(0)}_{1}" in lines[0]
    user = Value(2.0, "my_x & $y")
    out = user * 3.0
    words = viz.explain(user, out)._repr_markdown_()
    assert r"\text{my\_x \& \$y}" in words and r"\text{(}" in words


def test_compare_table_in_each_notation() -> None:
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    diffs = compare.compare(model, [[0.5, -1.0]], [[0.2]], "quadratic")
    nielsen = compare.table(diffs).splitlines()
    assert nielsen[0].split() == ["layer", "max|Δδ|", "max|Δ∂C/∂w|", "max|Δ∂C/∂b|"]
    assert [row.split()[0] for row in nielsen[1:]] == ["2", "3"]
    lfd = compare.table(diffs, notation="lfd").splitlines()
    assert lfd[0].split() == ["layer", "max|Δδ|", "max|Δ∂Eᵢₙ/∂w|", "max|Δ∂Eᵢₙ/∂w₀ⱼ|"]
    assert [row.split()[0] for row in lfd[1:]] == ["1", "2"]
    assert compare.columns("ng")[1:3] == ("max|Δdz|", "max|Δdw|")  # Ng writes ∂J/∂W as dW
    # half_mse is the old name of quadratic
    assert compare.compare(model, [[0.5, -1.0]], [[0.2]], "half_mse") == diffs


# ------------------------------------------------------------------------ the stepper in Chromium
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def test_stepper_panel_typesets_names_in_chromium(browser: Any, tmp_path: Path) -> None:
    model = MLP(2, [1], activation="tanh", output_activation="tanh", seed=0)
    loss = losses.squared_error(model([0.5, -1.0]), [0.25])
    path = tmp_path / "stepper.html"
    viz.write_stepper(loss, path, notation="lfd")
    z = model.layers[0].z[0]
    step = processing_order(loss).index(z)
    page = browser.new_page()
    try:
        page.goto(f"{path.as_uri()}#step={step}")
        shown: dict[str, Any] = page.evaluate(
            """() => ({
            node: document.getElementById('node-line').innerHTML,
            up: document.getElementById('upstream-line').textContent,
            first: document.querySelector('#contribs tbody td').innerHTML,
            sups: Object.fromEntries([...document.querySelectorAll('#graph g.node')]
                .filter((g) => /^v\\d+$/.test(g.id))
                .map((g) => [g.id, g.querySelectorAll('tspan').length])),
            })"""
        )
    finally:
        page.close()
    assert shown["node"].startswith("node: s<sup>(1)</sup><sub>1</sub>")
    assert shown["up"].startswith("upstream ∂e/∂s(1)1 = ")
    assert shown["first"] == "w<sup>(1)</sup><sub>1,1</sub>"

    # a superscript and a subscript in each name's text, the target y₁ a subscript only; e has
    # none; the unlabelled (x − y) shows the panel's name for it, (s⁽¹⁾₁ − y₁), as the panel
    # writes a formula: words with Unicode scripts, set as they are
    def scripts(n: Value) -> int:
        if n.label_record is None or n is loss:
            return 0
        return 1 if getattr(n.label_record, "quantity", "") == "target" else 2

    expected = {f"v{k}": scripts(n) for k, n in enumerate(processing_order(loss))}
    assert shown["sups"] == expected


def test_plain_networks_collapse_by_their_shape() -> None:
    # a two-layer network written by hand with string labels: the shape gives l and j
    x = [Value(0.5, "x1"), Value(-1.0, "x2")]
    hidden = []
    for j in range(2):
        w = [Value(0.3 * (j + 1), f"w{j}{k}") for k in range(2)]
        hidden.append(linear(w, x, Value(0.1, f"b{j}")).tanh())
    out = linear([Value(0.7, "v0"), Value(-0.2, "v1")], hidden, Value(0.0, "c"))
    loss = (out.sigmoid() - 1.0) ** 2
    order = processing_order(loss)
    groups = group_nodes(loss, order, "neuron")
    assert [groups[v] for v in x] == [("neuron", 1, 0), ("neuron", 1, 1)]
    assert [groups[h] for h in hidden] == [("neuron", 2, 0), ("neuron", 2, 1)]
    assert [groups[h.parents[0]] for h in hidden] == [("neuron", 2, 0), ("neuron", 2, 1)]  # z
    assert groups[out] == ("neuron", 3, 0) and groups[loss] == ("loss", 0, 0)
    boxes = re.findall(
        r"^\s*(n\d+_\d+|loss|leaves) \[", viz.draw(loss, collapse="neuron").source, re.M
    )
    assert boxes == ["n1_0", "n1_1", "n2_0", "n2_1", "n3_0", "loss"]
