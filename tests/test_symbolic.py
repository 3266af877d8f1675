"""Every op's rules on symbols: the trees evaluate to the rule's own numbers, and they render."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import OPS, Expr, Op, SymbolicError, symbolic_row
from autograd.ops import _log, elu_op, leaky_relu_op, pow_const, rpow_const
from autograd.symbolic import const, simplify, var
from tests.strategies import positives, reals

# inputs inside each op's domain (a log of a positive number, a division by a non-zero one)
KINK = st.one_of(reals(), st.just(0.0))  # both sides of a kink, and the kink itself
DOMAIN: dict[str, Any] = {
    "/": st.tuples(reals(), st.one_of(reals(0.2, 3.0), reals(-3.0, -0.2))),
    # x^y for x > 0, and at x = 0 the special case y = 0 and exponents y >= 1 (for 0 < y < 1
    # the slope y·0^(y−1) is infinite: both the rule and its formula raise there)
    "**": st.one_of(
        st.tuples(positives(), reals()),
        st.tuples(st.just(0.0), st.one_of(st.just(0.0), reals(1.0, 3.0))),
    ),
    "log": st.tuples(positives()),
    "sqrt": st.tuples(positives()),
    "arcsin": st.tuples(reals(-0.9, 0.9)),
    "arccos": st.tuples(reals(-0.9, 0.9)),
    "relu": st.tuples(KINK),
    "abs": st.tuples(KINK),
    "leaky_relu": st.tuples(KINK),
    "elu": st.tuples(KINK),
}
BINARY = ("+", "-", "*", "/", "**", "<", "<=", ">", ">=")
NARY = ("linear", "sum", "mean")


def arity(name: str, n: int = 2) -> int:
    """How many inputs the op takes (linear: 2n + 1 for n weights; sum and mean: n)."""
    if name == "linear":
        return 2 * n + 1
    if name in ("sum", "mean"):
        return n
    if name in BINARY:
        return 2
    return 1


def inputs_for(name: str, n: int) -> st.SearchStrategy[tuple[float, ...]]:
    """Points in the op's domain."""
    if name in DOMAIN:
        return DOMAIN[name]  # type: ignore[no-any-return]
    return st.tuples(*[reals() for _ in range(n)])


# a user-defined primitive written with arithmetic and the table's helpers, like a built-in row
SOFTPLUS = Op(
    "softplus_user",
    lambda x: math.log(1.0 + math.exp(x)),
    lambda x, out: (1.0 - 1.0 / (1.0 + _exp(x)),),
)


def _exp(x: Any) -> Any:
    return math.exp(x) if isinstance(x, float) else x.exp()


def check_row(op: Op, point: tuple[float, ...]) -> None:
    """The symbolic forward and derivatives, evaluated at point, equal the rule's numbers."""
    row = symbolic_row(op, len(point))
    env = {x.value: v for x, v in zip(row.inputs, point, strict=True)}
    out = op.forward(*point)
    assert row.forward.evaluate(env) == out
    env[row.out.value] = out
    numeric = op.derivative(*point, out)
    if row.derivatives is None:
        assert row.reason is not None and f"op '{op.name}'" in row.reason
        return
    for d, want in zip(row.derivatives, numeric, strict=True):
        got = d.evaluate(env)
        assert got == want or (math.isnan(got) and math.isnan(want))


@pytest.mark.parametrize("name", sorted(OPS))
@given(data=st.data())
def test_every_row_evaluates_to_its_own_numbers(name: str, data: st.DataObject) -> None:
    n = arity(name, data.draw(st.integers(1, 3)))
    check_row(OPS[name], data.draw(inputs_for(name, n)))


@pytest.mark.parametrize("c", [0.0, 1.0, 2.0, 3.0, -1.0, 0.5])
@given(x=positives())
def test_pow_const_family(c: float, x: float) -> None:
    check_row(pow_const(c), (x,))


@pytest.mark.parametrize("c", [0.5, 2.0, math.e, 10.0])
@given(x=reals())
def test_rpow_const_family(c: float, x: float) -> None:
    check_row(rpow_const(c), (x,))


@given(x=reals())
def test_user_defined_primitive(x: float) -> None:
    row = symbolic_row(SOFTPLUS, 1)
    assert row.derivatives is not None  # written with arithmetic: symbolic like a built-in
    check_row(SOFTPLUS, (x,))


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_row_is_symbolic(name: str) -> None:
    # every rule is written with arithmetic, helpers and comparisons: a formula for each
    assert symbolic_row(OPS[name], arity(name)).derivatives is not None


@pytest.mark.parametrize("make", [leaky_relu_op, elu_op])
@given(x=KINK, c=reals(0.01, 2.0))
def test_parametrised_families(make: Any, x: float, c: float) -> None:
    check_row(make(c), (x,))


def test_textbook_derivatives_render() -> None:
    div = symbolic_row(OPS["/"], ["x", "y"], "z")
    assert div.derivatives is not None
    assert div.derivatives[1].unicode() == "−z/y"  # the minus sign a learner must see
    assert div.derivatives[1].text() == "-z/y"
    assert div.derivatives[1].latex() == r"-\frac{z}{y}"
    assert div.derivatives[0].unicode() == "1/y"
    tanh = symbolic_row(OPS["tanh"], ["z"], "a")
    assert tanh.derivatives is not None
    assert tanh.derivatives[0].unicode() == "1 − a²"
    assert tanh.derivatives[0].text() == "1 - a^2"
    assert tanh.derivatives[0].latex() == "1 - a^{2}"
    assert tanh.forward.unicode() == "tanh(z)"
    assert tanh.forward.latex() == r"\tanh\left(z\right)"
    sig = symbolic_row(OPS["sigmoid"], ["z"], "a")
    assert sig.derivatives is not None
    assert sig.derivatives[0].unicode() == "a·(1 − a)"
    assert symbolic_row(OPS["log"], ["p"], "c").forward.unicode() == "ln(p)"


def test_names_supplied_at_render_time() -> None:
    tanh = symbolic_row(OPS["tanh"], 1)
    assert tanh.derivatives is not None
    assert tanh.derivatives[0].unicode({"out": "a²₁"}) == "1 − a²₁²"
    assert tanh.derivatives[0].latex({"out": "a^{2}_{1}"}) == "1 - a^{2}_{1}^{2}"
    lin = symbolic_row(OPS["linear"], ["w", "a", "b"], "z")
    assert lin.forward.unicode() == "b + w·a"
    assert [d.text() for d in lin.derivatives or ()] == ["a", "w", "1"]


def test_light_simplification() -> None:
    x, y = var("x"), var("y")
    assert (1.0 * x).text() == "x"
    assert (x * 1.0).text() == "x"
    assert (x + 0.0).text() == "x"
    assert (0.0 + x * y).text() == "x*y"
    assert (0.0 * x + y).text() == "y"
    assert (x - 0.0).text() == "x"
    assert (x / 1.0).text() == "x/1"  # a mean over one output stays visible
    minus_x = -x
    assert (-minus_x).text() == "x"
    assert (x + -y).unicode() == "x − y"
    assert (x - (y - x)).text() == "x - (y - x)"  # parentheses where the grouping needs them
    assert ((x - y) - x).text() == "x - y - x"


def test_simplify_keeps_the_sign_of_zero_minus_x() -> None:
    # 0 − x is −x (by hand): the sign stays in every rendering and in the number
    x, y = var("x"), var("y")
    zero_minus_x = 0.0 - x
    assert zero_minus_x.kind == "-"  # not folded when built: simplify() is what is tested
    simplified = simplify(zero_minus_x)
    assert simplified.evaluate({"x": 2.5}) == -2.5
    assert (zero_minus_x.text(), zero_minus_x.unicode(), zero_minus_x.latex()) == ("-x", "−x", "-x")
    assert (y * (0.0 - x)).unicode() == "y·(−x)"
    assert (y - (0.0 - x)).unicode() == "y + x"  # y − (−x)
    assert ((0.0 - x) / y).unicode() == "−x/y"


def _trees() -> st.SearchStrategy[Expr]:
    """Expressions in x and y, rich in the patterns simplify() rewrites (0 − e, −1·e, e·e ...)."""
    leaves = st.one_of(
        st.sampled_from(["x", "y"]).map(var),
        st.sampled_from([0.0, 1.0, -1.0, 2.0, -0.5]).map(const),
    )
    zero, one, minus_one = const(0.0), const(1.0), const(-1.0)

    def grow(inner: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
        pair = st.tuples(inner, inner)
        return st.one_of(
            pair.map(lambda p: Expr("+", p)),
            pair.map(lambda p: Expr("-", p)),
            pair.map(lambda p: Expr("*", p)),
            # a denominator that is never 0: e / (f·f + 1)
            pair.map(lambda p: Expr("/", (p[0], Expr("+", (Expr("*", (p[1], p[1])), one))))),
            inner.map(lambda e: Expr("neg", (e,))),
            inner.map(lambda e: Expr("**", (e, const(2.0)))),
            inner.map(lambda e: Expr("**", (e, one))),
            inner.map(lambda e: e.tanh()),
            # each rewrite of simplify(), met on purpose
            inner.map(lambda e: Expr("-", (zero, e))),
            inner.map(lambda e: Expr("-", (e, zero))),
            inner.map(lambda e: Expr("+", (zero, e))),
            inner.map(lambda e: Expr("*", (minus_one, e))),
            inner.map(lambda e: Expr("*", (e, minus_one))),
            inner.map(lambda e: Expr("*", (one, e))),
            inner.map(lambda e: Expr("*", (e, e))),
            pair.map(lambda p: Expr("+", (p[0], Expr("neg", (p[1],))))),
            pair.map(lambda p: Expr("-", (p[0], Expr("neg", (p[1],))))),
        )

    return st.recursive(leaves, grow, max_leaves=10)


@settings(max_examples=300)
@given(e=_trees(), x=reals(), y=reals())
def test_simplify_keeps_the_value_of_every_expression(e: Expr, x: float, y: float) -> None:
    # the displayed (simplified) formula is the same function as the rule's tree
    env = {"x": x, "y": y}
    assert simplify(e).evaluate(env) == pytest.approx(e.evaluate(env), rel=1e-9, abs=1e-12)


@given(a=reals(), b=st.one_of(reals(0.2, 3.0), reals(-3.0, -0.2)), c=positives())
def test_python_source_is_the_same_float_operations(a: float, b: float, c: float) -> None:
    x, y, z = var("x"), var("y"), var("z")
    exprs = [
        1.0 - x * x,
        x - (y - x),
        (x - y) - x,
        -x / y,
        -(x**2.0),
        (-x) ** 2.0,
        z ** (x - 1.0),
        2.0 ** (-x),
        x / y / z,
        x / (y / z),
        x.tanh() * (1.0 - y),
        z.log() / y,
    ]
    env = {"x": a, "y": b, "z": c}
    for e in exprs:
        names = {fn: f"_{name}" for fn, name in e.functions().items()}
        scope = {name: fn for fn, name in names.items()}
        assert eval(e.python(functions=names), scope, dict(env)) == e.evaluate(env), e.python()


def test_a_branch_on_a_symbol_is_refused() -> None:
    x = var("x")
    with pytest.raises(SymbolicError, match=r"branches on the value of \[x > 0\]"):
        bool(x > 0.0)
    with pytest.raises(SymbolicError, match="needs the number x"):
        float(x)
    assert isinstance(x > 0.0, Expr)
    assert (const(2.0) > 0.0) is True  # constants fold, so a branch on a constant still runs
    assert (x > 0.0).evaluate({"x": 1.5}) is True
    assert (x <= 0.0).unicode() == "[x ≤ 0]"  # a comparison is a 0/1 value: Iverson's bracket
    mask = (x > 0.0) * 1.0 + var("y") * (x <= 0.0)  # a branch as masks: the rules' way
    assert mask.unicode() == "[x > 0] + y·[x ≤ 0]"  # Iverson brackets
    assert mask.evaluate({"x": -1.0, "y": 0.25}) == 0.25


def test_helpers_call_the_same_named_method() -> None:
    e = _log(var("p"))  # the table's helper, on a non-float
    assert e.unicode() == "ln(p)"
    assert e.evaluate({"p": 2.0}) == math.log(2.0)
    assert abs(var("x")).unicode() == "|x|"
    assert var("x").sqrt().latex() == r"\sqrt{x}"
    with pytest.raises(AttributeError, match="no float function"):
        var("x").no_such_function()
    assert getattr(var("x"), "label", None) is None  # probing an attribute stays harmless


def test_a_rule_that_needs_floats_says_so() -> None:
    float_only = Op("float_only", lambda x: x, lambda x, out: (math.cos(x),))
    row = symbolic_row(float_only, ["t"])
    assert row.derivatives is None
    assert row.reason is not None and "op 'float_only'" in row.reason
    opaque = Op("wiggle", math.sin, lambda x, out: (0.0,))
    row = symbolic_row(opaque, ["t"])
    assert not row.forward_symbolic and row.forward.unicode() == "wiggle(t)"
    assert row.forward.evaluate({"t": 0.5}) == math.sin(0.5)


def test_module_docstring_examples() -> None:
    import doctest

    import autograd.symbolic

    result = doctest.testmod(autograd.symbolic)
    assert result.attempted >= 4 and result.failed == 0


def test_a_negative_number_after_an_operator_is_bracketed() -> None:
    # a constant leaf of -0.1 subtracted from z reads z − (−0.1) on paper, never z − −0.1
    from autograd.symbolic import const, var

    z = var("z")
    assert (z - const(-0.1)).unicode({}) == "z − (−0.1)"
    assert (z * const(-2.0)).unicode({}) == "z·(−2)"
    assert (z + const(-2.0)).latex({}) == r"z + \left(-2\right)"
    assert "- -" not in (z - const(-0.1)).text({})


def test_a_small_constant_in_a_displayed_formula_is_written_as_every_view_writes_numbers() -> None:
    # 10⁻⁵ is below the plain decimals' range (10⁻⁴ and up): a textbook's 1×10⁻⁵, a true minus
    x = var("x")
    assert (x + const(1e-5)).unicode() == "x + 1×10⁻⁵"
    assert (x + const(1e-5)).latex() == r"x + 1 \times 10^{-5}"
    assert (x * const(-3e-7)).unicode() == "x·(−3×10⁻⁷)"  # a power of ten reads as a product
    assert (const(2e-5) ** x).unicode() == "(2×10⁻⁵)^x"
    # a rule's own constant (elu's α) in its displayed derivative
    derivative = symbolic_row(elu_op(2.5e-6), ["x"], "a").derivatives[0]
    assert "(a + 2.5×10⁻⁶)" in derivative.unicode()
    assert r"a + 2.5 \times 10^{-6}" in derivative.latex()
    # plain text and generated Python stay ASCII: Python's own forms
    assert (x + const(1e-5)).text() == "x + 1e-05"
    assert (x * const(-3e-7)).python() == "x * -3e-07"
