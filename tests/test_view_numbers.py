"""Every number a view shows is the graph's value of the node and field its label names.

Random expression graphs and random MLPs (one example and a batch), after backward(): the SVG
records (full and collapsed by neuron and by layer) are parsed row by row, the stepper page's
embedded data is read, and explain's numbers are taken from its lines. Each number is checked
against the graph itself (node.data, node.grad, the op-table rule's local derivative), found
from the label the view writes beside it: a δ row holds its z node's grad, never its data.
"""

from __future__ import annotations

import html
import json
import math
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd
import viz
from autograd import Value
from nn import notation as nt
from nn.activations import ELEMENTWISE
from nn.losses import batch_loss
from nn.notation import Name
from tests.nn_strategies import net_cases
from tests.shown import NUMBER, read
from tests.strategies import reals
from viz.draw import forward_order, processing_order, visible
from viz.names import Typeset, svg_text

NUM = rf"(\(?(?:{NUMBER})\)?)"  # as viz.numbers writes it: −1.481×10⁻⁵, (−0.5), ∞, NaN
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def value(text: str) -> float:
    """A number as a view writes it (a real minus sign, parentheses around a negative factor)."""
    return read(text)


def close(shown: str, want: float, what: str) -> None:
    """The shown number is want to the digits shown (4 significant digits)."""
    got = value(shown)
    if math.isnan(want) or math.isinf(want):
        assert got == want or (math.isnan(got) and math.isnan(want)), what
        return
    assert math.isclose(got, want, rel_tol=6e-4, abs_tol=1e-300), f"{what}: {shown} vs {want!r}"


def grad(node: Value) -> float:
    g = node.grad
    return g if isinstance(g, float) else float(g.data)


# ------------------------------------------------------------------------------ SVG parsing
def boxes(svg: str) -> dict[str, list[str]]:
    """Each drawn node's id -> its text rows, with tspans flattened to their characters."""
    out = {}
    for gid, body in re.findall(r'<g id="([^"]+)" class="node">(.*?)</g>', svg, re.S):
        rows = re.findall(r"<text\b[^>]*>(.*?)</text>", body, re.S)
        out[gid] = [html.unescape(re.sub(r"<[^>]+>", "", r)) for r in rows]
    return out


def flat(tokens: nt.Tokens) -> str:
    """text as it reads in the SVG once its tspans are flattened."""
    svg = svg_text(tokens, 11.0)
    return html.unescape(re.sub(r"<[^>]+>", "", svg))


# ------------------------------------------------------------------------------ the graph's names
def graph_names(root: Value) -> dict[Value, Name]:
    """What each node IS, read from the graph itself (not from viz.names, the code under test).

    nn's nodes carry their Name record. A graph without records is read from its ops: a linear
    node, or a + node that an activation op reads, is a pre-activation z of layer l (1 + the
    most pre-activations on a path below it, the inputs being layer 1), numbered j in forward
    order within its layer; the activation op over it is its a; the leaves in a linear node's
    weight and bias slots are its w and b, and the others of layer 2 are the inputs.
    """
    forward = forward_order(root)
    recorded = {n: r for n in forward if isinstance(r := n.label_record, Name)}
    if recorded:
        return recorded
    activations = {op for op, sigma in ELEMENTWISE.items() if sigma is not None}
    read_by_activation = {n.parents[0] for n in forward if n.op in activations}
    names: dict[Value, Name] = {}
    layer_of: dict[Value, int] = {}
    width: dict[int, int] = {}
    for n in forward:
        below = max([layer_of.get(p, 1) for p in n.parents] or [1])
        if n.op == "linear" or (n.op == "+" and n in read_by_activation):
            layer = below + 1
            j = width.get(layer, 0)
            width[layer] = j + 1
            names[n] = Name("preactivation", layer, j)
            layer_of[n] = layer
            if n.op == "linear":
                half = (len(n.parents) - 1) // 2
                w, a, b = n.parents[:half], n.parents[half:-1], n.parents[-1]
                for k in range(half):
                    if w[k].is_leaf:
                        names.setdefault(w[k], Name("weight", layer, j, k))
                    if a[k].is_leaf and layer == 2:
                        names.setdefault(a[k], Name("input", 1, k))
                if b.is_leaf:
                    names.setdefault(b, Name("bias", layer, j))
        elif n.op in activations and names.get(n.parents[0], Name("cost")).quantity == (
            "preactivation"
        ):
            z = names[n.parents[0]]
            names[n] = Name("activation", z.layer, z.j)
            layer_of[n] = z.layer
        else:
            layer_of[n] = below
    return names


def check_records(root: Value) -> None:
    """The full drawing: every record's rows are its label, data, and grad (δ at a z node)."""
    order = processing_order(root)
    names = graph_names(root)
    ts = Typeset()
    delta = ts.symbol("delta")
    for gid, rows in boxes(viz.svg(root, collapse=None, legend=False)).items():
        m = re.fullmatch(r"v(\d+)", gid)
        if m is None:
            continue  # an op's ellipse: its name only
        node = order[int(m[1])]
        label = ts.label_tokens(node, visible(node.label or ""))
        if label:  # as it is, or told apart from a node of the same name
            assert rows[0] == flat(label) or rows[0].startswith(flat(label) + " (copy "), rows
        rows = rows[1:]  # every node has a title: its label, a constant's value, or a formula
        assert len(rows) == 2, rows
        d = re.fullmatch(f"data = {NUM}", rows[0])
        assert d, rows[0]
        close(d[1], node.data, f"{gid} data")
        g = re.fullmatch(f"(grad|{delta}) = {NUM}", rows[1])
        assert g, rows[1]
        z = names.get(node)
        is_z = node is not root and z is not None and z.quantity == "preactivation"
        # a δ row is only ever on a pre-activation, and holds its grad
        assert (g[1] == delta) == is_z, (gid, rows[1])
        close(g[2], grad(node), f"{gid} {g[1]}")


def by_record(root: Value) -> dict[tuple[str, int, int], list[Value]]:
    found: dict[tuple[str, int, int], list[Value]] = {}
    for node, name in graph_names(root).items():
        found.setdefault((name.quantity, name.layer, name.j), []).append(node)
    return found


def norm(nodes: list[Value]) -> float:
    return math.sqrt(math.fsum(grad(n) ** 2 for n in nodes))


def check_neurons(root: Value, examples: int) -> None:
    """collapse='neuron': each row of each box, found by its label, is the graph's number."""
    ts = Typeset()
    nodes = by_record(root)
    cost = ts.term("cost", batch=examples > 1)
    for gid, rows in boxes(viz.svg(root, collapse="neuron", legend=False)).items():
        m = re.fullmatch(r"n(\d+)_(\d+)", gid)
        if m is None:
            if gid == "loss" and len(rows) > 2:
                close(re.fullmatch(f".* = {NUM}", rows[1])[1], root.data, "loss")  # type: ignore[index]
            continue
        layer, j = int(m[1]), int(m[2])
        if layer == 1:
            a1 = flat(ts.name_tokens(Name("input", 1, j)))
            for r in rows:
                if (hit := re.fullmatch(f"{re.escape(a1)} = {NUM}", r)) is not None:
                    (x,) = nodes[("input", 1, j)]
                    close(hit[1], x.data, f"{gid} input")
            continue
        zs = nodes.get(("preactivation", layer, j), [])
        as_ = nodes.get(("activation", layer, j), [])
        bs = nodes.get(("bias", layer, j), [])
        ws = nodes.get(("weight", layer, j), [])
        z_name = re.escape(flat(ts.name_tokens(Name("preactivation", layer, j))))
        d_name = re.escape(flat(ts.delta_tokens(Name("preactivation", layer, j))))
        a_name = re.escape(flat(ts.name_tokens(Name("activation", layer, j))))
        b_name = re.escape(flat(ts.name_tokens(Name("bias", layer, j))))
        deltas = [grad(z) for z in zs]
        shown_as = iter(as_)  # one a row per activation node of a single example, in order
        for r in rows:
            if r == ts.neuron_words(layer, j) or re.fullmatch(r"\+ \d+ other nodes?", r):
                continue
            # a single example's z on the neuron's own line ("neuron 0 of layer 2: z²₀ = …")
            own = re.escape(ts.neuron_words(layer, j))
            if hit := re.fullmatch(f"(?:{own}: )?{z_name} = {NUM}", r):
                (z,) = zs
                close(hit[1], z.data, f"{gid} z")
            elif hit := re.fullmatch(f"{d_name} = {NUM}", r):
                (z,) = zs
                close(hit[1], grad(z), f"{gid} δ")  # the z node's grad, never its data
            elif hit := re.fullmatch(f"{a_name} = {NUM}", r):
                assert len(zs) <= 1, "a rows are shown for a single example only"
                close(hit[1], next(shown_as).data, f"{gid} a")
            elif hit := re.fullmatch(r".* over (\d+) examples", r):
                assert int(hit[1]) == examples
            elif hit := re.fullmatch(f"{d_name} from {NUM} to {NUM}", r):
                close(hit[1], min(deltas), f"{gid} min δ")
                close(hit[2], max(deltas), f"{gid} max δ")
            elif hit := re.fullmatch(f"Σ{d_name} = {NUM}", r):
                close(hit[1], math.fsum(deltas), f"{gid} Σδ")
            elif hit := re.fullmatch(f"∂{cost}/∂{b_name} = {NUM}(?:, Σ.* = {NUM})?", r):
                (b,) = bs
                close(hit[1], grad(b), f"{gid} ∂C/∂b")
                if hit[2] is not None:
                    close(hit[2], math.fsum(deltas), f"{gid} Σδ")
            elif hit := re.fullmatch(f"{b_name} = {NUM}", r):
                (b,) = bs
                close(hit[1], b.data, f"{gid} b")
            elif hit := re.fullmatch(rf"(\d+) weights? .*?(?:, ‖∂{cost}/∂w‖ = {NUM})?", r):
                assert int(hit[1]) == len(ws)
                if hit[2] is not None:
                    close(hit[2], norm(ws), f"{gid} ‖∂C/∂w‖")
            else:
                raise AssertionError(f"{gid}: a row no check reads: {r!r}")


def check_layers(root: Value, examples: int) -> None:
    """collapse='layer': max |δ^l| and the gradient norms are the graph's."""
    ts = Typeset()
    nodes = by_record(root)
    cost = ts.term("cost", batch=examples > 1)
    for gid, rows in boxes(viz.svg(root, collapse="layer", legend=False)).items():
        m = re.fullmatch(r"L(\d+)", gid)
        if m is None or m[1] == "1":
            continue
        layer = int(m[1])

        def of(q: str, layer: int = layer) -> list[Value]:
            return [n for (qq, lay, _), ns in nodes.items() if (qq, lay) == (q, layer) for n in ns]

        d_layer = re.escape(flat(ts.term_tokens("delta", layer)))
        w_layer = re.escape(flat(ts.term_tokens("weight", layer)))
        b_layer = re.escape(flat(ts.term_tokens("bias", layer)))
        for r in rows:
            if hit := re.fullmatch(f"max \\|{d_layer}\\| = {NUM}", r):
                close(hit[1], max(abs(grad(z)) for z in of("preactivation")), f"{gid} max|δ|")
            elif hit := re.fullmatch(f"‖∂{cost}/∂{w_layer}‖ = {NUM}", r):
                close(hit[1], norm(of("weight")), f"{gid} ‖∂C/∂w‖")
            elif hit := re.fullmatch(f"‖∂{cost}/∂{b_layer}‖ = {NUM}", r):
                close(hit[1], norm(of("bias")), f"{gid} ‖∂C/∂b‖")
            elif "=" in r:
                raise AssertionError(f"{gid}: a number no check reads: {r!r}")


# ------------------------------------------------------------------------------ stepper, explain
def check_stepper(root: Value) -> None:
    """The page's data: each step's upstream is the node's grad, local the rule's number."""
    order = processing_order(root)
    page = viz.stepper_html(root, max_nodes=2000)
    data = json.loads(re.search(r"const D = (.*?);\n", page)[1])  # type: ignore[index]
    assert data["count"] == len(order)
    assert len(data["steps"]) == len(order)
    for s in data["steps"]:
        node = order[s["k"]]
        assert s["up"] == grad(node), "upstream is the node's grad after one pass"
        rule = node.row.derivative(*(p.data for p in node.parents), node.data)
        assert s["local"] == [float(d) for d in rule]
        assert s["add"] == [s["up"] * d for d in s["local"]]
        assert s["to"] == [order.index(p) for p in node.parents]
        assert len(s["sym"]) == len(node.parents)
    # the drawing inside the page shows each node's data in its record
    records = boxes(page[page.index("<svg") : page.index("</svg>")])
    for k, node in enumerate(order):
        rows = records[f"v{k}"]
        close(re.fullmatch(f"data = {NUM}", rows[-2])[1], node.data, f"v{k} data")  # type: ignore[index]


def check_explain(node: Value, root: Value) -> None:
    """explain's numbers: upstream, local, each contribution and the total, from the graph."""
    text = viz.explain(node, root)
    lines = text.splitlines()
    uses = [
        (child, i)
        for child in processing_order(root)
        for i, p in enumerate(child.parents)
        if p is node
    ]
    if node is root:
        assert lines[0].split("   ")[0].endswith("= 1")
        return
    if len(uses) == 1:
        parts = lines[0].split(" = ")
        up, local = parts[-2].split(" · ")
        rows = [(up, local, parts[-1])]
        total = parts[-1]
    else:
        rows = []
        for line in lines[1 : 1 + len(uses)]:
            body = line.split("   (via ")[0]
            parts = body.split(" = ")
            up, local = parts[-2].split(" · ")
            rows.append((up, local, parts[-1]))
        total = lines[1 + len(uses)].split(" = ")[-1]
    assert len(rows) == len(uses)
    for (up, local, add), (child, i) in zip(rows, uses, strict=True):
        rule = child.row.derivative(*(p.data for p in child.parents), child.data)[i]
        close(up, grad(child), "explain upstream")
        close(local, rule, "explain local")
        close(add, grad(child) * rule, "explain contribution")
    close(total, grad(node), "explain total")


def check_all(root: Value, examples: int, explained: list[Value]) -> None:
    """Every view of root, after one backward pass from zero grads."""
    root.backward()
    check_records(root)
    check_stepper(root)
    for n in explained:
        check_explain(n, root)
    if graph_names(root):
        check_neurons(root, examples)
        check_layers(root, examples)


# ------------------------------------------------------------------------------ graphs
UNARY = ("tanh", "sigmoid", "relu", "sin", "neg", "square")
BINARY = ("+", "-", "*", "linear", "sum")


@st.composite
def graphs(draw: st.DrawFn) -> tuple[Value, list[Value]]:
    """A random expression graph of labelled and unlabelled leaves; its root and its nodes."""
    n_leaves = draw(st.integers(1, 4))
    nodes: list[Value] = []
    for i in range(n_leaves):
        label = f"x{i}" if draw(st.booleans()) else ""
        nodes.append(Value(draw(reals(-2.0, 2.0)), label))
    for k in range(draw(st.integers(1, 8))):
        pick = st.sampled_from(nodes)
        op = draw(st.sampled_from(UNARY + BINARY))
        a, b = draw(pick), draw(pick)
        if op == "square":
            v = a**2
        elif op == "neg":
            v = -a
        elif op in UNARY:
            v = getattr(a, op)()
        elif op == "linear":
            v = autograd.linear([a], [b], draw(pick))
        elif op == "sum":
            v = autograd.sum([a, b, draw(pick)])
        else:
            v = {"+": a + b, "-": a - b, "*": a * b}[op]
        if draw(st.booleans()):
            v.label = f"v{k}"
        nodes.append(v)
    return nodes[-1], nodes


@SETTINGS
@given(case=graphs(), data=st.data())
def test_every_number_of_every_view_of_a_graph_is_the_graphs(
    case: tuple[Value, list[Value]], data: st.DataObject
) -> None:
    root, nodes = case
    reachable = set(processing_order(root))
    explained = [n for n in nodes if n in reachable]
    check_all(root, 1, data.draw(st.lists(st.sampled_from(explained), max_size=3)))


@SETTINGS
@given(case=net_cases(max_layers=2, max_width=3, max_batch=3), data=st.data())
def test_every_number_of_every_view_of_an_mlp_is_the_graphs(case: Any, data: st.DataObject) -> None:
    model = case.model()
    preds = []
    for x in case.xs:
        outputs = model(x)
        preds.append(case.prediction(model, outputs))
    if len(case.xs) == 1:
        root = case.loss_fn(preds[0], case.ys[0])
    else:
        root = batch_loss(case.loss_fn, preds, case.ys)
    named = list(graph_names(root))
    check_all(root, len(case.xs), data.draw(st.lists(st.sampled_from(named), max_size=3)))
