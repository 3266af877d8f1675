"""The expression lab's Python: run a learner's lines over Values, draw, explain and step them.

run() executes the code with Value and autograd's functions in its namespace (NAMESPACE),
captures what it prints, and keeps the graph of its root: the Value the 'root' field names,
else the last line's Value when that line is an expression, else the Value assigned last. Each
unlabelled Value bound to a variable is labelled with the variable's name, so the drawing,
explain() and the stepper call it what the code calls it. Nodes are identified by their step k
in the backward pass (the drawing's node v{k}); explain_node() and stepper() take that k.
An error in the learner's code is an answer (its type, message and line), never an exception.
"""

from __future__ import annotations

import ast
import contextlib
import io
import sys
import traceback
from collections.abc import Callable
from typing import Any

import autograd
from autograd import Value, fresh_grads, functions
from nn import notation as nt

from .. import numbers
from ..draw import processing_order
from ..explain import explain
from ..stepper import stepper_html

__all__ = ["CALLS", "EXAMPLES", "NAMESPACE", "examples", "explain_node", "run", "stepper"]

FILENAME = "<lab>"  # the learner's code, as tracebacks name it
MAX_OUTPUT = 20_000  # characters of printed output kept (a loop that prints is cut, not kept)
MAX_DRAWN = 300  # nodes drawn and stepped through; a bigger graph is described, not drawn
DIGITS = range(2, 10)

# autograd's functions of one Value (and sum, mean of several) that the learner's code can call:
# autograd.functions' own list, less the decorator for making new ones
FUNCTIONS = [f for f in functions.__all__ if f not in ("Primitive", "primitive")]
NAMESPACE: dict[str, Any] = {"Value": Value} | {f: getattr(autograd, f) for f in FUNCTIONS}

MICROGRAD = """\
a = Value(-4.0)
b = Value(2.0)
c = a + b
d = a * b + b**3
c += c + 1
c += 1 + c + (-a)
d += d * 2 + (b + a).relu()
d += 3 * d + (b - a).relu()
e = c - d
f = e**2
g = f / 2.0
g += 10.0 / f
print(f'{g.data:.4f}') # prints 24.7041, the outcome of this forward pass
g.backward()
print(f'{a.grad:.4f}') # prints 138.8338, i.e. the numerical value of dg/da
print(f'{b.grad:.4f}') # prints 645.5773, i.e. the numerical value of dg/db
"""

NEURON = """\
# a neuron with two inputs: o = tanh(x1*w1 + x2*w2 + b)
x1 = Value(2.0)
x2 = Value(0.0)
w1 = Value(-3.0)
w2 = Value(1.0)
b = Value(6.8813735870195432)
x1w1 = x1 * w1
x2w2 = x2 * w2
n = x1w1 + x2w2 + b
o = n.tanh()
o.backward()
print("o =", o.data, " do/dw1 =", w1.grad, " do/dw2 =", w2.grad)
"""

TANH = """\
# d tanh(x)/dx = 1 - tanh(x)^2: the engine's gradient beside the closed form
x = Value(0.5)
y = tanh(x)
y.backward()
print("engine:      dy/dx =", x.grad)
print("closed form: 1 - tanh(x)^2 =", 1 - y.data**2)
y
"""

EXAMPLES: dict[str, tuple[str, str]] = {
    "micrograd": ("micrograd's README", MICROGRAD),
    "neuron": ("a neuron, tanh", NEURON),
    "tanh": ("tanh′ = 1 − tanh²", TANH),
}


class _Lab:
    """What the last run left: its root, the nodes in backward order, the notation and digits."""

    def __init__(self) -> None:
        self.root: Value | None = None
        self.order: list[Value] = []
        self.notation = "nielsen"
        self.digits = 4


_lab = _Lab()


def examples() -> list[dict[str, str]]:
    """The ready examples: key, title and code of each."""
    return [{"key": k, "title": t, "code": c} for k, (t, c) in EXAMPLES.items()]


def _where(code: str, line: int | None) -> dict[str, Any]:
    lines = code.splitlines()
    text = lines[line - 1] if line is not None and 1 <= line <= len(lines) else ""
    return {"line": line, "text": text}


def _syntax_error(code: str, e: SyntaxError) -> dict[str, Any]:
    where = _where(code, e.lineno)
    message = f"SyntaxError on line {e.lineno}: {e.msg}"
    if where["text"]:
        message += f"\n    {where['text'].strip()}"
    return {"type": "SyntaxError", "message": message, **where}


def _exception(code: str, e: BaseException) -> dict[str, Any]:
    # the innermost frame of the learner's own code: where their line called what failed
    line = None
    for frame in traceback.extract_tb(e.__traceback__):
        if frame.filename == FILENAME:
            line = frame.lineno
    where = _where(code, line)
    what = "".join(traceback.format_exception_only(type(e), e)).strip()
    at = f"line {line}" if line is not None else "the code"
    message = f"{type(e).__name__} on {at}: {str(e) or type(e).__name__}"
    if where["text"]:
        message += f"\n    {where['text'].strip()}"
    return {"type": type(e).__name__, "message": message, "detail": what, **where}


def _assigned(tree: ast.Module) -> list[str]:
    """Variable names the code binds, in the order of the statements that bind them."""
    found = [
        (node.lineno, node.col_offset, node.id)
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    ]
    return [name for _, _, name in sorted(found)]


class _Output(io.StringIO):
    """Printed text, kept up to MAX_OUTPUT characters."""

    cut = False

    def write(self, s: str) -> int:
        room = MAX_OUTPUT - self.tell()
        if room <= 0:
            self.cut = True
            return len(s)
        if len(s) > room:
            self.cut = True
        return super().write(s[:room])


def _execute(code: str) -> tuple[dict[str, Any], Any, list[str], str, dict[str, Any] | None]:
    """Run code: (its namespace, the last line's value, names bound, output, error or None)."""
    namespace: dict[str, Any] = dict(NAMESPACE)
    out = _Output()
    try:
        tree = ast.parse(code, FILENAME)
    except SyntaxError as e:
        return namespace, None, [], "", _syntax_error(code, e)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    if last is not None:
        tree.body.pop()  # evaluated apart, as a REPL does: its value may be the root
    value: Any = None
    error = None
    with contextlib.redirect_stdout(out):
        try:
            exec(compile(tree, FILENAME, "exec"), namespace)
            if last is not None:
                value = eval(compile(ast.Expression(last.value), FILENAME, "eval"), namespace)
        except Exception as e:
            error = _exception(code, e)
    text = out.getvalue()
    if out.cut:
        text += f"\n… (output cut at {MAX_OUTPUT} characters)"
    if last is not None:
        tree.body.append(last)
    return namespace, value, _assigned(tree), text, error


def _pick_root(
    namespace: dict[str, Any], value: Any, assigned: list[str], root: str
) -> tuple[Value | None, str]:
    """The root and where it came from (a sentence), or None and why there is none."""
    if root.strip():
        name = root.strip()
        if name not in namespace or (name in NAMESPACE and namespace[name] is NAMESPACE[name]):
            return None, f"the root field names {name!r}, and the code defines no {name!r}"
        if not isinstance(namespace[name], Value):
            kind = type(namespace[name]).__name__
            return None, f"the root field names {name!r}, which is a {kind}, not a Value"
        return namespace[name], f"the root is {name}, as the root field says"
    if isinstance(value, Value):
        return value, "the root is the value of the last line"
    for name in reversed(assigned):
        if isinstance(namespace.get(name), Value):
            return namespace[name], f"the root is {name}, the Value assigned last"
    return None, "the code makes no Value: nothing to draw (write Value(2.0), for example)"


def _label_variables(namespace: dict[str, Any], assigned: list[str]) -> None:
    # a Value is called by the first variable bound to it, unless it has a label of its own
    for name in dict.fromkeys(assigned):
        v = namespace.get(name)
        if isinstance(v, Value) and not v.label and v.label_record is None:
            v.label = name


def _check_options(notation: str, digits: int) -> None:
    nt.get(notation)  # an unknown notation: its error names the known ones
    if isinstance(digits, bool) or digits not in DIGITS:
        raise ValueError(f"digits must be an int from {DIGITS[0]} to {DIGITS[-1]}, got {digits!r}")


def _drawing(root: Value, order: list[Value], notation: str, digits: int) -> dict[str, Any]:
    from .. import svg

    if len(order) > MAX_DRAWN:
        return {
            "svg": None,
            "why": f"the graph has {len(order)} nodes; the lab draws graphs of up to {MAX_DRAWN}",
        }
    # the drawing's grads: one backward pass from the root, from zero (as explain() derives
    # them), whatever the code did with .grad; the code's own grads are put back after
    with fresh_grads(root):
        root.backward()
        text = svg(root, notation=notation, digits=digits, collapse=None, max_nodes=MAX_DRAWN)
    return {"svg": text, "why": None}


def run(code: str, root: str = "", notation: str = "nielsen", digits: int = 4) -> dict[str, Any]:
    """Run the learner's code; its output, error, root, nodes and drawing (see the module)."""
    _check_options(notation, digits)
    namespace, value, assigned, output, error = _execute(code)
    _lab.root, _lab.order, _lab.notation, _lab.digits = None, [], notation, digits
    answer: dict[str, Any] = {"output": output, "error": error, "root": None, "nodes": []}
    if error is not None and error["type"] == "SyntaxError":
        answer["why"] = "the code did not run"
        return answer
    _label_variables(namespace, assigned)
    chosen, why = _pick_root(namespace, value, assigned, root)
    answer["why"] = why
    if chosen is None:
        return answer
    order = processing_order(chosen)
    _lab.root, _lab.order = chosen, order
    with fresh_grads(chosen):
        chosen.backward()
        grads = [n.grad for n in order]
    names = {id(v): name for name, v in reversed(namespace.items()) if isinstance(v, Value)}
    answer["root"] = {
        "k": 0,
        "name": chosen.label or "",
        "data": numbers.number(chosen.data, digits),
    }
    answer["nodes"] = [
        {
            "k": k,
            "name": n.label or "",
            "variable": names.get(id(n), ""),
            "op": n.op,
            "data": numbers.number(numbers.data(n), digits),
            "grad": numbers.number(numbers.as_float(g), digits),
        }
        for k, (n, g) in enumerate(zip(order, grads, strict=True))
    ]
    answer["drawing"] = _drawing(chosen, order, notation, digits)
    # the drawing's SVG ids of each node's record and op: the page maps a click to k with these
    answer["ids"] = {f"v{k}": k for k in range(len(order))} | {
        f"v{k}op": k for k, n in enumerate(order) if n.parents
    }
    answer["notation"] = notation
    return answer


def _node(k: int) -> Value:
    if _lab.root is None:
        raise ValueError("run some code first: there is no graph yet")
    if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < len(_lab.order):
        raise ValueError(f"node k must be an int from 0 to {len(_lab.order) - 1}, got {k!r}")
    return _lab.order[k]


def explain_node(k: int) -> dict[str, Any]:
    """explain() of the node at step k of the last run's backward pass: its text and HTML lines."""
    node = _node(k)
    assert _lab.root is not None
    text = explain(node, _lab.root, _lab.digits, notation=_lab.notation)
    return {"k": k, "text": str(text), "html": text.html_lines()}


def stepper() -> dict[str, Any]:
    """The stepper's page (viz.stepper.stepper_html) for the last run's root."""
    if _lab.root is None:
        raise ValueError("run some code first: there is no graph yet")
    if len(_lab.order) > MAX_DRAWN:
        return {
            "html": None,
            "why": f"the graph has {len(_lab.order)} nodes; the stepper shows up to {MAX_DRAWN}",
        }
    page = stepper_html(
        _lab.root,
        digits=_lab.digits,
        notation=_lab.notation,
        max_nodes=MAX_DRAWN,
    )
    return {"html": page, "why": None}


def options() -> dict[str, Any]:
    """What the page offers: the notations, digits, the functions in the code's namespace."""
    return {
        "notations": [{"key": k, "title": n.title} for k, n in nt.NOTATIONS.items()],
        "digits": list(DIGITS),
        "namespace": list(NAMESPACE),
        "python": sys.version.split()[0],
    }


CALLS: dict[str, Callable[..., Any]] = {
    "examples": examples,
    "options": options,
    "run": run,
    "explain_node": explain_node,
    "stepper": stepper,
}
