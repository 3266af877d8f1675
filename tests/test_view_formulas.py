"""The views' formulas come from the op table: each, evaluated as a tree, is the row's own number.

For every op, family and a user-defined primitive, the local derivative explain and the stepper
render (the expression tree viz.explain.Namer.local_expr builds from the node's row, on the
graph's names) is evaluated at the node's inputs and compared with the number the backward pass
used; the same for the forward that names an unlabelled node. And no code in viz/ branches on
the name of the op that made a node (no per-op branch, no table of op names).
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import OPS, Value
from autograd.ops import elu_op, leaky_relu_op, pow_const, rpow_const
from tests.strategies import away_from_zero, positives, reals
from viz import explain
from viz.draw import processing_order
from viz.explain import Namer

Build = Callable[[list[Value]], Value]


def _one(f: Callable[[Value], Value]) -> tuple[int, Build]:
    return 1, lambda v: f(v[0])


def _two(f: Callable[[Value, Value], Value]) -> tuple[int, Build]:
    return 2, lambda v: f(v[0], v[1])


# how a learner makes each row's node from Values (an op the engine gains must be added here)
BUILD: dict[str, tuple[int, Build]] = {
    "+": _two(lambda a, b: a + b),
    "-": _two(lambda a, b: a - b),
    "*": _two(lambda a, b: a * b),
    "/": _two(lambda a, b: a / b),
    "**": _two(lambda a, b: a**b),
    "neg": _one(lambda a: -a),
    "linear": (5, lambda v: autograd.linear(v[0:2], v[2:4], v[4])),
    "sum": (3, lambda v: autograd.sum(v)),
    "mean": (3, lambda v: autograd.mean(v)),
    "<": _two(lambda a, b: a < b),
    "<=": _two(lambda a, b: a <= b),
    ">": _two(lambda a, b: a > b),
    ">=": _two(lambda a, b: a >= b),
}
for _name in ("exp", "log", "tanh", "sigmoid", "relu", "sin", "cos", "tan", "arcsin", "arccos"):
    BUILD[_name] = _one(lambda a, n=_name: getattr(a, n)())
for _name in ("arctan", "abs", "sqrt", "leaky_relu", "softplus", "elu", "gelu"):
    BUILD[_name] = _one(lambda a, n=_name: getattr(a, n)())

# inputs inside each op's domain, off the points where a derivative is infinite
DOMAIN: dict[str, Callable[[int], st.SearchStrategy[list[float]]]] = {
    "/": lambda n: st.tuples(reals(), away_from_zero()).map(list),
    "**": lambda n: st.tuples(positives(), reals()).map(list),
    "log": lambda n: st.lists(positives(), min_size=n, max_size=n),
    "sqrt": lambda n: st.lists(positives(), min_size=n, max_size=n),
    "arcsin": lambda n: st.lists(reals(-0.95, 0.95), min_size=n, max_size=n),
    "arccos": lambda n: st.lists(reals(-0.95, 0.95), min_size=n, max_size=n),
    "tan": lambda n: st.lists(reals(-1.4, 1.4), min_size=n, max_size=n),
}
KINKS = {"relu", "abs", "leaky_relu", "elu", "<", "<=", ">", ">="}  # 0 and ties included


def points(name: str, n: int) -> st.SearchStrategy[list[float]]:
    """Inputs for the op (kinked ops see exactly 0 and ties too)."""
    if name in DOMAIN:
        return DOMAIN[name](n)
    one = st.one_of(reals(), st.just(0.0)) if name in KINKS else reals()
    return st.lists(one, min_size=n, max_size=n)


def _cube_rule(x: Any, out: Any) -> Any:
    return 3.0 * x * x * autograd.cos(0.0 * x)  # autograd's functions read symbolically too


USER = autograd.primitive("cube", lambda x: x**3, _cube_rule)
FLOAT_ONLY = autograd.primitive("myexp", math.exp, lambda x, out: math.exp(x))


def check(node: Value, label_child: bool) -> None:
    """node's local derivatives and forward, as the views build them, evaluate to its numbers."""
    if label_child:
        node.label = "out"
    order = processing_order(node)
    name = Namer(order)
    env: dict[str, float] = {}
    for v in (*node.parents, node):
        e = name.expr(v)
        if e.kind == "var":
            env[e.value] = v.data
    step = next(node.backward_steps(hooks=False))
    row = node.row
    assert step.local == row.derivative(*(p.data for p in node.parents), node.data)
    # the forward: an unlabelled node is named by its row's forward, which must give its data
    forward = autograd.symbolic_row(row, [name.expr(p) for p in node.parents]).forward
    assert forward.evaluate(env) == node.data
    if not label_child:
        assert name.expr(node).evaluate(env) == node.data
    for i in range(len(node.parents)):
        e = name.local_expr(node, i)
        assert e is not None, f"op {row.name}: no symbolic form"
        got, want = e.evaluate(env), step.local[i]
        assert got == want or (math.isnan(got) and math.isnan(want)), (row.name, i, e, got, want)
        if label_child:  # the text a reader sees, read back as arithmetic, says the same
            idents = {marker: f"v{k}" for k, marker in enumerate(env)}
            shown = e.unicode(idents)
            values = {idents[m]: v for m, v in env.items()}
            read = read_back(shown, values)
            # constants are written to 6 significant digits (1.85938): close, not equal
            assert math.isclose(read, want, rel_tol=1e-4, abs_tol=1e-4), (row.name, shown, want)


_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
FUNCTIONS: dict[str, Any] = {n: op.forward for n, op in OPS.items() if n.isidentifier()}
FUNCTIONS.update(ln=math.log, sqrt=math.sqrt, inf=math.inf)


def read_back(shown: str, values: dict[str, float]) -> float:
    """A formula as unicode() writes it, evaluated as Python arithmetic (a reader's reading)."""
    text = re.sub("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+", lambda m: "**(" + m[0].translate(_SUPERSCRIPT) + ")", shown)
    for a, b in (("−", "-"), ("·", "*"), ("×", "*"), ("√(", "sqrt("), ("σ(", "sigmoid(")):
        text = text.replace(a, b)
    for a, b in (
        ("^", "**"),
        ("[", "("),
        ("]", ")"),
        ("≤", "<="),
        ("≥", ">="),
        ("≠", "!="),
        ("∞", "inf"),
    ):
        text = text.replace(a, b)
    text = re.sub(r"\|([^|]*)\|", r"abs(\1)", text)
    return float(eval(text, {"__builtins__": {"abs": abs}}, {**FUNCTIONS, **values}))


@pytest.mark.parametrize("name", sorted(OPS))
@settings(max_examples=40)
@given(data=st.data(), label_child=st.booleans())
def test_every_rows_formula_evaluates_to_the_rules_number(
    name: str, data: st.DataObject, label_child: bool
) -> None:
    n, build = BUILD[name]
    xs = data.draw(points(name, n))
    node = build([Value(x, f"x{i}") for i, x in enumerate(xs)])
    assert node.op == name
    check(node, label_child)


def test_every_op_is_built_by_the_test() -> None:
    assert set(BUILD) == set(OPS)


@settings(max_examples=60)
@given(
    c=st.one_of(st.sampled_from([0.0, 1.0, 2.0, 3.0, -1.0, 0.5]), reals()),
    x=positives(),
    label_child=st.booleans(),
)
def test_the_pow_families(c: float, x: float, label_child: bool) -> None:
    node = Value(x, "x") ** c
    assert node.row is pow_const(c)
    check(node, label_child)
    base = abs(c) + 0.1
    other = base ** Value(x, "x")
    assert other.row is rpow_const(base)
    check(other, label_child)


@settings(max_examples=40)
@given(k=positives(0.01, 2.0), x=st.one_of(reals(), st.just(0.0)), label_child=st.booleans())
def test_the_leaky_relu_and_elu_families(k: float, x: float, label_child: bool) -> None:
    node = Value(x, "x").leaky_relu(k)
    assert node.row is leaky_relu_op(k)
    check(node, label_child)
    other = Value(x, "x").elu(k)
    assert other.row is elu_op(k)
    check(other, label_child)


@settings(max_examples=40)
@given(x=reals(), label_child=st.booleans())
def test_a_user_primitive_explains_itself(x: float, label_child: bool) -> None:
    node = USER(Value(x, "x"))
    check(node, label_child)


def test_a_user_primitive_in_explain_and_the_fallback() -> None:
    x = Value(0.5, "x")
    out = USER(x) + FLOAT_ONLY(x)
    out.backward()
    text = explain(x, out)
    # the user's rule, on the graph's names: 3·x·x·cos(0·x) lightly simplified
    assert "∂C/∂cube(x) · (3·x·x·cos(0)) = 1 · 0.75 = 0.75" in text
    # a rule that calls math on floats: ∂out/∂x beside the number, and a sentence saying so
    assert f"∂C/∂myexp(x) · ∂myexp(x)/∂x = 1 · {math.exp(0.5):.4g} = " in text
    assert "op 'myexp': its derivative rule has no symbolic form" in text
    assert "its local derivative is shown as a number" in text


def test_unlabelled_nodes_are_named_by_their_rows_forward() -> None:
    from nn import MLP
    from nn.losses import mse

    model = MLP(1, [2], activation="linear", seed=0)
    z = model([0.5])[1]  # z²₁, which is also a²₁ for a linear layer
    out = mse([z.tanh() * 3.0], [1.0])
    out.backward()
    text = explain(z, out)
    # tanh's row names the node tanh(z²₁); its rule 1 − out·out is written with that name
    t = math.tanh(z.data)
    assert "= ∂C/∂tanh(z²₁) · (1 − tanh(z²₁)²) = " in text
    assert f" · {1 - t * t:.4g} = " in text


# ------------------------------------------------------------------------- no op names in viz
VIZ = Path(__file__).resolve().parents[1] / "viz"
OP_NAMES = set(OPS) | {"neg", "leaky_relu", "elu"}


def _mentions_op(node: ast.AST) -> bool:
    """True if the expression reads a node's op name (x.op, or a variable called op)."""
    return any(
        (isinstance(n, ast.Attribute) and n.attr == "op")
        or (isinstance(n, ast.Name) and n.id == "op")
        for n in ast.walk(node)
    )


def _op_strings(e: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(e) if isinstance(n, ast.Constant) and n.value in OP_NAMES}


def _literal_names(tree: ast.Module) -> dict[str, set[str]]:
    """Module-level names bound to a table written out in the code: the op names in it."""
    tables: dict[str, set[str]] = {}
    for stmt in tree.body:
        target = stmt.targets[0] if isinstance(stmt, ast.Assign) else getattr(stmt, "target", None)
        value = getattr(stmt, "value", None)
        if (
            isinstance(target, ast.Name)
            and value is not None
            and not isinstance(value, ast.Constant)
        ):
            tables[target.id] = _op_strings(value)
    return tables


def op_names_in(path: Path) -> list[str]:
    """Each place the file's code branches on a node's op name (a per-op branch)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    tables = _literal_names(tree)
    found = []

    def names_an_op(e: ast.AST) -> bool:
        if isinstance(e, ast.Constant):
            return e.value in OP_NAMES
        if isinstance(e, ast.Name):
            return bool(tables.get(e.id))
        if isinstance(e, ast.Dict | ast.Set | ast.List | ast.Tuple | ast.Call):
            return bool(_op_strings(e))
        return False

    for node in ast.walk(tree):
        where = f"{path.name}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Compare) and _mentions_op(node):
            if any(names_an_op(e) for e in [node.left, *node.comparators]):
                found.append(f"{where}: a node's op compared with op names")
        elif isinstance(node, ast.Subscript) and _mentions_op(node.slice):
            if names_an_op(node.value):
                found.append(f"{where}: a table of op names looked up by a node's op")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ("startswith", "endswith") and _mentions_op(node.func.value):
                found.append(f"{where}: a node's op read as text")
            if (
                node.func.attr == "get"
                and names_an_op(node.func.value)
                and any(_mentions_op(a) for a in node.args)
            ):
                found.append(f"{where}: a table of op names looked up by a node's op")
    return found


def test_viz_branches_on_no_op_name() -> None:
    # explain, the stepper, the drawings and the layer view take formulas and names from the
    # op table's rows (node.row); none of them tests which op made a node
    found = [hit for path in sorted(VIZ.glob("*.py")) for hit in op_names_in(path)]
    assert found == []


def test_the_op_name_check_finds_what_the_old_explain_had(tmp_path: Path) -> None:
    old = tmp_path / "explain.py"
    old.write_text(
        '_BINARY = {"+": "({} + {})", "-": "({} − {})"}\n'
        '_FUNCTIONS = ("exp", "log")\n'
        "def f(child, names):\n"
        "    op, ps = child.op, child.parents\n"
        '    if op == "/":\n'
        "        return 1\n"
        "    if op in _FUNCTIONS:\n"
        "        return 2\n"
        "    if child.op.startswith('**'):\n"
        "        return 3\n"
        "    return _BINARY[child.op].format(*names)\n",
        encoding="utf-8",
    )
    found = op_names_in(old)
    assert len(found) == 4, found


def test_the_stepper_shows_each_local_derivative_from_the_row() -> None:
    import json

    from viz import stepper_html

    x = Value(0.5, "x")
    out = USER(x) * 2.0 + FLOAT_ONLY(x)
    page = stepper_html(out)
    data = json.loads(re.search(r"const D = (.*?);\n", page)[1])  # type: ignore[index]
    order = processing_order(out)
    by_op = {order[s["k"]].op: s for s in data["steps"]}
    assert by_op["cube"]["sym"] == ["3·x·x·cos(0)"] and by_op["cube"]["symbolic"] == [True]
    # a rule that calls math on floats: the derivative's name beside the number, flagged
    assert by_op["myexp"]["sym"] == ["∂myexp(x)/∂x"] and by_op["myexp"]["symbolic"] == [False]
    assert by_op["myexp"]["local"] == [math.exp(0.5)]
    # ∂(u·2)/∂u = 2 is a number: the page shows the number alone
    assert by_op["*"]["sym"] == ["", "cube(x)"]
