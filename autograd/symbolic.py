"""Symbolic evaluation of the op table: rules called on expressions give formulas, not numbers.

An ``Expr`` is an expression tree. Its arithmetic operators, comparisons and the methods the
rules' helpers call on a non-float (``x.log()``, ``x.tanh()``, ...) build a bigger tree, so
calling an op's own forward or derivative rule on symbols yields its formula:

    >>> from autograd import OPS
    >>> row = symbolic_row(OPS["/"], ["x", "y"], "z")
    >>> row.derivatives[1].unicode()
    '−z/y'
    >>> symbolic_row(OPS["tanh"], ["x"], "a").derivatives[0].text()
    '1 - a^2'

A tree renders as plain text, Unicode, LaTeX (with light simplification: 1·x → x, 0 terms
dropped) and as Python source (exactly the operations of the rule, for generated code), and
evaluates at numbers. A rule that branches on a symbol's value (``if x > 0.0:``) or calls a
float-only function (``math.exp(x)``) raises ``SymbolicError``; ``symbolic_row`` then keeps the
op's forward as an opaque call ``name(x)`` and reports the derivatives as not symbolic.
"""

from __future__ import annotations

import builtins
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .numbers import MINUS, number, number_latex, parts
from .ops import OPS, Op, elu_op, leaky_relu_op

__all__ = ["Expr", "SymbolicError", "SymbolicRow", "const", "symbolic_row", "var"]


class SymbolicError(TypeError):
    """A rule did something with a symbol that has no symbolic form (a branch on its value)."""


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_COMPARISONS = frozenset({"<", "<=", ">", ">=", "==", "!="})
# builtins a rule may reach through an operator or a helper, besides the op table and math
_BUILTINS: dict[str, Callable[..., Any]] = {"abs": builtins.abs}


def _function(name: str) -> Callable[..., Any]:
    """The float function behind a method name: the op table's row, else math's function."""
    op = OPS.get(name)
    if op is not None:
        return op.forward
    fn = _BUILTINS.get(name) or getattr(math, name, None)
    if not callable(fn):
        raise SymbolicError(f"no float function is known for the method {name}()")
    return fn


class Expr:
    """A node of an expression tree: a variable, a constant, an operator or a function call."""

    __slots__ = ("args", "fn", "kind", "op", "value")

    kind: str  # "var", "const", "neg", "call", or an operator of _BINARY
    args: tuple[Expr, ...]
    value: Any  # var: its name; const: the number; call: the function's name
    fn: Callable[..., Any] | None  # call: the float function
    op: Op | None  # call: the op-table row called, when it is one (its family and constant)

    def __init__(
        self,
        kind: str,
        args: tuple[Expr, ...] = (),
        value: Any = None,
        fn: Callable[..., Any] | None = None,
        op: Op | None = None,
    ) -> None:
        self.kind = kind
        self.args = args
        self.value = value
        self.fn = fn
        self.op = op

    # ----------------------------------------------------------------- building
    def _binary(self, kind: str, other: object, swap: bool = False) -> Any:
        o = _as_expr(other)
        if o is None:
            return NotImplemented
        a, b = (o, self) if swap else (self, o)
        if a.kind == "const" and b.kind == "const":  # fold: the same float operation as at run time
            result = _BINARY[kind](a.value, b.value)
            return result if kind in _COMPARISONS else Expr("const", value=result)
        return Expr(kind, (a, b))

    def __add__(self, other: object) -> Any:
        return self._binary("+", other)

    def __radd__(self, other: object) -> Any:
        return self._binary("+", other, swap=True)

    def __sub__(self, other: object) -> Any:
        return self._binary("-", other)

    def __rsub__(self, other: object) -> Any:
        return self._binary("-", other, swap=True)

    def __mul__(self, other: object) -> Any:
        return self._binary("*", other)

    def __rmul__(self, other: object) -> Any:
        return self._binary("*", other, swap=True)

    def __truediv__(self, other: object) -> Any:
        return self._binary("/", other)

    def __rtruediv__(self, other: object) -> Any:
        return self._binary("/", other, swap=True)

    def __pow__(self, other: object) -> Any:
        return self._binary("**", other)

    def __rpow__(self, other: object) -> Any:
        return self._binary("**", other, swap=True)

    def __lt__(self, other: object) -> Any:
        return self._binary("<", other)

    def __le__(self, other: object) -> Any:
        return self._binary("<=", other)

    def __gt__(self, other: object) -> Any:
        return self._binary(">", other)

    def __ge__(self, other: object) -> Any:
        return self._binary(">=", other)

    def __eq__(self, other: object) -> Any:
        return self._binary("==", other)

    def __ne__(self, other: object) -> Any:
        return self._binary("!=", other)

    __hash__ = object.__hash__  # an expression is identified by the object, as a Value is

    def __neg__(self) -> Expr:
        if self.kind == "const":
            return Expr("const", value=-self.value)
        return Expr("neg", (self,))

    def __pos__(self) -> Expr:
        return self

    def __abs__(self) -> Expr:
        return self.call("abs")

    def call(self, name: str, *rest: object) -> Expr:
        """The function `name` (a row of the op table, or math's) applied to self and rest."""
        fn = _function(name)
        args = (self, *(_as_expr_or_raise(r) for r in rest))
        if all(a.kind == "const" for a in args):
            return Expr("const", value=fn(*(a.value for a in args)))
        return Expr("call", args, name, fn, OPS.get(name))

    # the one-input rows' methods (exp, sin, ...) are made from the op table below the class;
    # leaky_relu and elu take their parameter, so they are written out
    def leaky_relu(self, slope: float = 0.01) -> Expr:
        """self if self > 0 else slope · self (the row of that slope)."""
        return self._family(leaky_relu_op(float(slope)))

    def elu(self, alpha: float = 1.0) -> Expr:
        """self if self > 0 else alpha (e^self − 1) (the row of that alpha)."""
        return self._family(elu_op(float(alpha)))

    def _family(self, op: Op) -> Expr:
        if self.kind == "const":
            return Expr("const", value=op.forward(self.value))
        return Expr("call", (self,), op.name, op.forward, op)

    def __getattr__(self, name: str) -> Callable[..., Expr]:
        # any other method a helper calls (a function of math, such as x.floor()) is a call of it
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            _function(name)  # refuse unknown names now, not at evaluation
        except SymbolicError as e:
            raise AttributeError(f"Expr has no method {name}(): {e}") from None
        return lambda *rest: self.call(name, *rest)

    # ----------------------------------------------------------------- refusing to be a number
    def __bool__(self) -> bool:
        raise SymbolicError(
            f"the rule branches on the value of {self.text()}, which a formula cannot do; "
            "write the branch as a comparison used as a 0/1 mask (x > 0.0)"
        )

    def __float__(self) -> float:
        if self.kind == "const":
            return float(self.value)
        raise SymbolicError(f"the rule needs the number {self.text()}, which is a symbol here")

    def __repr__(self) -> str:
        return f"Expr({self.text()})"

    # ----------------------------------------------------------------- reading
    def variables(self) -> list[str]:
        """The names of the variables in the tree, in order of first appearance."""
        names: list[str] = []
        stack = [self]
        while stack:
            e = stack.pop()
            if e.kind == "var" and e.value not in names:
                names.append(e.value)
            stack.extend(reversed(e.args))
        return names

    def depth(self) -> int:
        """The length of the longest path from the root to a leaf (a variable is 0)."""
        depth: dict[int, int] = {}
        for node in _post_order(self):
            depth[id(node)] = 1 + max((depth[id(a)] for a in node.args), default=-1)
        return depth[id(self)]

    def has_comparison(self) -> bool:
        """True if the tree holds a comparison (a branch on data written as a 0/1 mask)."""
        stack = [self]
        while stack:
            e = stack.pop()
            if e.kind in _COMPARISONS:
                return True
            stack.extend(e.args)
        return False

    def is_comparison(self) -> bool:
        """True if the tree's top is a comparison (a 0/1 mask, written [x > 0] on paper)."""
        return self.kind in _COMPARISONS

    def precedence(self) -> int:
        """How tightly the written form binds: comparisons 1, + − 2, · / 3, a sign 4, ^ 5, atoms 6.

        Of the lightly simplified tree, as text(), unicode() and latex() write it.
        """
        return _precedence(simplify(self))

    def evaluate(self, env: Mapping[str, Any]) -> Any:
        """The tree's number with each variable replaced by env[name] (the rule's own floats)."""
        done: dict[int, Any] = {}
        for node in _post_order(self):
            done[id(node)] = node._evaluate_node(env, [done[id(a)] for a in node.args])
        return done[id(self)]

    def _evaluate_node(self, env: Mapping[str, Any], values: list[Any]) -> Any:
        kind = self.kind
        if kind == "var":
            if self.value not in env:
                raise KeyError(f"no value given for the variable {self.value!r}")
            return env[self.value]
        if kind == "const":
            return self.value
        if kind == "neg":
            return -values[0]
        if kind == "call":
            assert self.fn is not None
            return self.fn(*values)
        return _BINARY[kind](*values)

    def text(self, names: Mapping[str, str] | None = None) -> str:
        """Plain text, lightly simplified: '1 - a^2'."""
        return _display(self, "text", names)

    def unicode(self, names: Mapping[str, str] | None = None) -> str:
        """Unicode, lightly simplified: '1 − a²'.

        names maps a variable to how it is written, and 'f()' to how a call of the op f is
        written ({'sigmoid()': 'θ'} writes θ(z) for sigmoid(z)).
        """
        return _display(self, "unicode", names)

    def latex(self, names: Mapping[str, str] | None = None) -> str:
        """LaTeX, lightly simplified: '1 - a^{2}' (names as for unicode)."""
        return _display(self, "latex", names)

    def python(
        self,
        names: Mapping[str, str] | None = None,
        functions: Mapping[Callable[..., Any], str] | None = None,
    ) -> str:
        """Python source of exactly these operations (no simplification), for generated code.

        A function call is written with the name `functions` gives its float function, else as
        `_<name>(...)`; functions() lists the functions a caller must put in scope.
        """
        return _render_tree(self, "python", names or {}, functions or {})

    def functions(self) -> dict[Callable[..., Any], str]:
        """The float functions the tree calls, each with its name, in order of appearance."""
        found: dict[Callable[..., Any], str] = {}
        stack = [self]
        while stack:
            e = stack.pop()
            if e.kind == "call" and e.fn is not None and e.fn not in found:
                found[e.fn] = e.value
            stack.extend(reversed(e.args))
        return found


def _method(name: str) -> Callable[[Expr], Expr]:
    def method(self: Expr) -> Expr:
        return self.call(name)

    method.__name__ = name
    method.__doc__ = f"{name}(self)."
    return method


# every one-input row as a method on the class too (autograd.cos(x) looks the method up on the
# type of x, as it does for a Value), so a user's rule written with autograd's functions reads
for _name in OPS:
    if _name.isidentifier() and not hasattr(Expr, _name):
        setattr(Expr, _name, _method(_name))


def _display(e: Expr, style: str, names: Mapping[str, str] | None) -> str:
    e = simplify(e)
    text = _render_tree(e, style, names or {})
    return f"[{text}]" if e.kind in _COMPARISONS else text  # a 0/1 mask: [x > 0]


def var(name: str) -> Expr:
    """A variable of an expression, named as a reader should see it."""
    return Expr("var", value=name)


def const(x: float) -> Expr:
    """A constant of an expression."""
    return Expr("const", value=x)


def _as_expr(x: object) -> Expr | None:
    if isinstance(x, Expr):
        return x
    if isinstance(x, int | float):  # bool too: a comparison folded on constants
        return const(x)
    return None


def _as_expr_or_raise(x: object) -> Expr:
    e = _as_expr(x)
    if e is None:
        raise SymbolicError(f"cannot use a {type(x).__name__} in an expression")
    return e


# --------------------------------------------------------------------------------- a row
@dataclass(frozen=True)
class SymbolicRow:
    """An op's row as formulas: its inputs and output as variables, forward and derivatives.

    forward is the row's forward on symbols, or the opaque call `name(inputs)` when it has no
    symbolic form (forward_symbolic False). derivatives holds d(out)/d(input_i) as expressions,
    or None when the rule has no symbolic form; reason then says why.
    """

    op: Op
    inputs: tuple[Expr, ...]
    out: Expr
    forward: Expr
    forward_symbolic: bool
    derivatives: tuple[Expr, ...] | None
    reason: str | None


def _default_names(arity: int) -> list[str]:
    if arity == 1:
        return ["x"]
    if arity == 2:
        return ["x", "y"]
    return [f"x{i + 1}" for i in range(arity)]


def symbolic_row(
    op: Op, inputs: int | Sequence[str | float | Expr] = 1, out: str | Expr = "out"
) -> SymbolicRow:
    """The op's forward and local derivatives as expressions in the given variable names.

    inputs is the number of inputs (named x, y or x1..xn) or, per input, its name, a number
    (a constant, folded where the rule computes with it) or an Expr; out names the output,
    which derivative rules may reuse (d tanh/dx = 1 − out²), by name or as an Expr.
    """
    given = _default_names(inputs) if isinstance(inputs, int) else list(inputs)
    xs = tuple(var(n) if isinstance(n, str) else _as_expr_or_raise(n) for n in given)
    out_var = var(out) if isinstance(out, str) else out
    try:
        forward = _as_expr_or_raise(op.forward(*xs))
        forward_symbolic = True
    except Exception:  # a float-only function or a branch: keep the row's forward as a call
        forward = Expr("call", xs, op.name, op.forward, op)
        forward_symbolic = False
    derivatives: tuple[Expr, ...] | None = None
    reason = None
    try:
        local = op.derivative(*xs, out_var)
        derivatives = tuple(_as_expr_or_raise(d) for d in local)
        if len(derivatives) != len(xs):
            raise SymbolicError(f"the rule returned {len(derivatives)} derivatives for {len(xs)}")
    except Exception as e:
        derivatives = None
        reason = f"op '{op.name}': its derivative rule has no symbolic form ({e})"
    return SymbolicRow(op, xs, out_var, forward, forward_symbolic, derivatives, reason)


@lru_cache(maxsize=1024)
def row_template(op: Op, constants: tuple[float | None, ...]) -> SymbolicRow:
    """The row with input i named _i<i>, or the constant constants[i] where it is not None.

    The output is _out. Cached: generated code renders it with the names of each node.
    """
    inputs = [f"_i{i}" if c is None else c for i, c in enumerate(constants)]
    return symbolic_row(op, inputs, "_out")


# --------------------------------------------------------------------------------- simplifying
def _is_const(e: Expr, value: float | None = None) -> bool:
    return e.kind == "const" and (value is None or e.value == value)


def _same(a: Expr, b: Expr) -> bool:
    """True if the two trees are the same formula (same kinds, names, numbers and functions)."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if x is y:
            continue
        if x.kind != y.kind or x.value != y.value or x.fn is not y.fn or len(x.args) != len(y.args):
            return False
        stack.extend(zip(x.args, y.args, strict=True))
    return True


def simplify(e: Expr) -> Expr:
    """Light simplification for display: 1·x → x, 0·x → 0, x + 0 → x, x·x → x², −(−x) → x.

    A division stays (x/1 is the mean over one output, which a reader should see).
    """
    done: dict[int, Expr] = {}
    for node in _post_order(e):
        done[id(node)] = _simplify_node(node, tuple(done[id(a)] for a in node.args))
    return done[id(e)]


def _simplify_node(e: Expr, args: tuple[Expr, ...]) -> Expr:
    """One node, its arguments already simplified."""
    kind = e.kind
    if kind in ("var", "const"):
        return e
    if kind == "neg":
        (a,) = args
        if a.kind == "neg":
            return a.args[0]
        return -a
    if kind not in _BINARY or kind in _COMPARISONS or kind == "**":
        if kind == "**" and _is_const(args[1], 1.0):
            return args[0]
        return Expr(kind, args, e.value, e.fn, e.op)
    a, b = args
    if a.kind == "const" and b.kind == "const":
        return Expr("const", value=_BINARY[kind](a.value, b.value))
    if kind == "*":
        if _is_const(a, 0.0) or _is_const(b, 0.0):
            return const(0.0)
        if _is_const(a, 1.0):
            return b
        if _is_const(b, 1.0):
            return a
        if _is_const(a, -1.0):
            return simplify(-b)
        if _is_const(b, -1.0):
            return simplify(-a)
        if a.kind != "const" and _same(a, b):  # x·x → x², tanh(z)·tanh(z) → tanh(z)²
            return Expr("**", (a, const(2.0)))
    elif kind == "+":
        if _is_const(a, 0.0):
            return b
        if _is_const(b, 0.0):
            return a
        if b.kind == "neg":
            return Expr("-", (a, b.args[0]))
    elif kind == "-":
        if _is_const(b, 0.0):
            return a
        if _is_const(a, 0.0):
            return simplify(-b)
        if b.kind == "neg":
            return Expr("+", (a, b.args[0]))
    elif kind == "/":
        if _is_const(a, 0.0):
            return const(0.0)
        if a.kind == "neg":  # −x/y reads better than (−x)/y
            return Expr("neg", (Expr("/", (a.args[0], b)),))
    return Expr(kind, (a, b))


# --------------------------------------------------------------------------------- rendering
_PRECEDENCE = {"<": 1, "<=": 1, ">": 1, ">=": 1, "==": 1, "!=": 1, "+": 2, "-": 2, "*": 3, "/": 3}
_NEG, _POW, _ATOM = 4, 5, 6
_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_UNICODE_OPS = {"*": "·", "-": " − ", "+": " + ", "<=": " ≤ ", ">=": " ≥ ", "!=": " ≠ "}
_LATEX_OPS = {"*": r" \cdot ", "<=": r" \le ", ">=": r" \ge ", "!=": r" \ne "}
_LATEX_FUNCTIONS = {
    "log": r"\ln",
    "exp": r"\exp",
    "tanh": r"\tanh",
    "sin": r"\sin",
    "cos": r"\cos",
    "tan": r"\tan",
    "arcsin": r"\arcsin",
    "arccos": r"\arccos",
    "arctan": r"\arctan",
    "sigmoid": r"\sigma",
}
_TEXT_FUNCTIONS = {"log": "ln", "sigmoid": "σ"}


def _python_name(name: str) -> str:
    return "_" + "".join(c if c.isalnum() else "_" for c in name)


def _precedence(e: Expr) -> int:
    if e.kind == "neg" or (e.kind == "const" and _negative(e.value)):
        return _NEG
    if e.kind == "**":
        return _POW
    return _PRECEDENCE.get(e.kind, _ATOM)


def _negative(x: Any) -> bool:
    return isinstance(x, int | float) and (x < 0 or (x == 0 and math.copysign(1.0, x) < 0))


FORMULA_DIGITS = 6  # a constant in a displayed formula keeps %g's six significant digits


def _number(x: Any, style: str) -> str:
    if style == "python":
        if isinstance(x, float) and not math.isfinite(x):
            return "_nan" if math.isnan(x) else ("_inf" if x > 0 else "-_inf")
        return repr(x)
    if isinstance(x, bool):
        return str(int(x))
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        x = int(x)
    if isinstance(x, int):  # an integer constant is exact: written whole, never rounded
        return str(x).replace("-", MINUS) if style == "unicode" else str(x)
    if style == "unicode":  # as every view writes numbers: −0.5, 1×10⁻⁵, ∞ (6 digits, as %g)
        return number(x, FORMULA_DIGITS)
    if style == "latex":
        return number_latex(x, FORMULA_DIGITS)
    # plain text is ASCII, for terminals and machine output: Python's %g (1e-05, -inf), NaN
    return "NaN" if math.isnan(x) else f"{x:g}"


def _scientific(e: Expr) -> bool:
    """e is a constant a display writes as mantissa × 10^k (it reads as a product)."""
    x = e.value
    return (
        e.kind == "const"
        and isinstance(x, float)
        and math.isfinite(x)
        and not (x.is_integer() and abs(x) < 1e15)
        and parts(x, FORMULA_DIGITS)[2] is not None
    )


def _post_order(e: Expr) -> list[Expr]:
    """Every node of the tree once, children before parents (explicit stack: sums of 1,000s)."""
    order: list[Expr] = []
    seen: set[int] = set()
    stack: list[tuple[Expr, bool]] = [(e, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((a, False) for a in reversed(node.args) if id(a) not in seen)
    return order


def _render_tree(
    e: Expr,
    style: str,
    names: Mapping[str, str],
    functions: Mapping[Callable[..., Any], str] | None = None,
) -> str:
    """_render bottom-up, each node once: no recursion however deep the tree."""
    memo: dict[int, str] = {}
    for node in _post_order(e):
        memo[id(node)] = _render(node, style, names, functions, memo)
    return memo[id(e)]


def _render(
    e: Expr,
    style: str,
    names: Mapping[str, str],
    functions: Mapping[Callable[..., Any], str] | None = None,
    memo: dict[int, str] | None = None,
) -> str:
    if memo is not None and id(e) in memo:
        return memo[id(e)]
    kind = e.kind
    if kind == "var":
        return names.get(e.value, e.value)
    if kind == "const":
        return _number(e.value, style)
    if kind == "neg":
        # −z/y needs no parentheses on paper; Python code keeps the exact grouping
        if style == "python":
            inner = _wrap(
                e.args[0], _NEG, style, names, strict=True, functions=functions, memo=memo
            )
        else:
            inner = _wrap(
                e.args[0], _PRECEDENCE["*"], style, names, strict=False, functions=functions
            )
        return ("−" if style == "unicode" else "-") + inner
    if kind == "call":
        args = [_render(a, style, names, functions, memo) for a in e.args]
        if style == "python":
            fn_name = (functions or {}).get(e.fn) if e.fn is not None else None
            return f"{fn_name or _python_name(e.value)}({', '.join(args)})"
        return _call(e.value, args, style, e.op, names.get(e.value + "()"))
    a, b = e.args
    if kind == "**":
        base = _wrap(a, _POW, style, names, strict=True, functions=functions, memo=memo)
        if style == "python":
            exponent = _wrap(b, _NEG, style, names, strict=False, functions=functions, memo=memo)
            return f"{base} ** {exponent}"
        if style == "latex":
            return f"{base}^{{{_render(b, style, names, functions, memo)}}}"
        exponent = _render(b, style, names, functions, memo)
        if style == "unicode" and b.kind == "const" and exponent.lstrip("−").isdigit():
            return base + exponent.replace("−", "-").translate(_SUPERSCRIPTS)
        return f"{base}^{_wrap(b, _POW, style, names, strict=True, functions=functions, memo=memo)}"
    p = _PRECEDENCE[kind]
    if style == "latex" and kind == "/":
        top, bottom = (
            _render(a, style, names, functions, memo),
            _render(b, style, names, functions, memo),
        )
        return rf"\frac{{{top}}}{{{bottom}}}"
    left = _wrap(a, p, style, names, strict=p == 1, functions=functions, memo=memo)
    right = _wrap(b, p, style, names, strict=True, functions=functions, memo=memo)
    if style != "python" and _precedence(b) == _NEG and not right.startswith(("(", r"\left(")):
        # on paper a sign after an operator is bracketed: z − (−0.1), z·(−2), not z − −0.1
        right = rf"\left({right}\right)" if style == "latex" else f"({right})"
    if style == "python":
        symbol = f" {kind} "
    elif style == "unicode":
        symbol = _UNICODE_OPS.get(kind, f" {kind} " if kind != "/" else "/")
    elif style == "latex":
        symbol = _LATEX_OPS.get(kind, f" {kind} " if kind != "/" else "/")
    else:
        symbol = f" {kind} " if kind not in ("*", "/") else kind
    return left + symbol + right


def _wrap(
    e: Expr,
    parent: int,
    style: str,
    names: Mapping[str, str],
    strict: bool,
    functions: Mapping[Callable[..., Any], str] | None = None,
    memo: dict[int, str] | None = None,
) -> str:
    """e rendered, in parentheses if its precedence is below the parent's (or equal, if strict)."""
    text = _render(e, style, names, functions, memo)
    p = _precedence(e)
    if style in ("unicode", "latex") and p > _PRECEDENCE["*"] and _scientific(e):
        p = _PRECEDENCE["*"]  # (1×10⁻⁵)², not 1×10⁻⁵²
    if e.kind in _COMPARISONS and style != "python":  # a 0/1 mask in a formula: [x > 0]
        return f"[{text}]"
    if p < parent or (strict and p == parent and p != _ATOM):
        if style == "latex":
            return rf"\left({text}\right)"
        return f"({text})"
    return text


def _call(
    name: str, args: list[str], style: str, op: Op | None = None, shown: str | None = None
) -> str:
    joined = ", ".join(args)
    if shown is not None and style != "python":  # the reader's own name for the function
        return rf"{shown}\left({joined}\right)" if style == "latex" else f"{shown}({joined})"
    # an op named after an operator reads as one: x/y, x**y, and the families x**c, c**x
    if len(args) == 2 and name in _BINARY:
        return f"({args[0]} {name} {args[1]})"
    family = op.family if op is not None and len(args) == 1 else None
    if family in ("x**c", "c**x"):
        assert op is not None and op.constant is not None
        c = f"{op.constant:g}"
        if family == "x**c":
            if style == "unicode" and c.lstrip("-").isdigit():  # x², as the ** op writes it
                return args[0] + c.translate(_SUPERSCRIPTS)
            return f"{args[0]}^{c}" if style != "latex" else f"{{{args[0]}}}^{{{c}}}"
        return f"{c}^{args[0]}" if style != "latex" else f"{c}^{{{args[0]}}}"
    if style == "python":
        return f"{_python_name(name)}({joined})"
    if name == "abs" and len(args) == 1:
        return rf"\left|{joined}\right|" if style == "latex" else f"|{joined}|"
    if name == "sqrt" and len(args) == 1:
        return rf"\sqrt{{{joined}}}" if style == "latex" else (f"√({joined})")
    if style == "latex":
        fn = _LATEX_FUNCTIONS.get(name, rf"\operatorname{{{name}}}")
        return rf"{fn}\left({joined}\right)"
    if style == "unicode":
        name = _TEXT_FUNCTIONS.get(name, name)
    elif name == "log":
        name = "ln"
    return f"{name}({joined})"
