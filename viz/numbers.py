"""The numbers views show: one accessor per quantity, and the one formatter that writes them.

Every drawing, page and explanation reads its numbers through these, so a number shown under a
name is that node's value of that field and nothing else (δ^l_j is the grad of z^l_j, never
its data). The backward pass's own numbers (upstream, local derivatives, what a step adds to
each parent) come from its Step records, read here too.

number() writes every number a person reads, in every view (and in nn's messages and autograd's
displayed formulas): the formatter lives in autograd.numbers, the lowest layer that needs it,
and is re-exported here. `digits` significant digits (4 unless a view is told otherwise),
rounded half away from zero, trailing zeros dropped; a true minus sign (U+2212); plain decimals
from 10⁻⁴ up to 10^digits, and outside that range scientific notation written as a textbook
writes it, 1.481×10⁻⁵. The browser pages format with javascript(), the same rules fed by the
same RULES. Generated code and machine-readable output (JSON, CSV) keep Python's own repr with
an ASCII '-'.
"""

from __future__ import annotations

import json

from autograd import Step, Value
from autograd.numbers import (
    LOWEST_PLAIN,
    MINUS,
    RULES,
    SUPERSCRIPT_DIGITS,
    SUPERSCRIPT_MINUS,
    TIMES,
    factor,
    latex_halves,
    number,
    number_latex,
    parts,
    superscript,
)

__all__ = [
    "LOWEST_PLAIN",
    "MINUS",
    "RULES",
    "SUPERSCRIPT_DIGITS",
    "SUPERSCRIPT_MINUS",
    "TIMES",
    "as_float",
    "contribution",
    "data",
    "delta",
    "factor",
    "fixed",
    "grad",
    "javascript",
    "latex_halves",
    "local",
    "number",
    "number_latex",
    "parts",
    "power_of_ten",
    "superscript",
    "upstream",
]


def as_float(x: object) -> float:
    """x as a float: a Value's data (a grad after backward(create_graph=True)), else float(x)."""
    if isinstance(x, float):
        return x
    if isinstance(x, Value):
        return x.data
    return float(x)  # type: ignore[arg-type]


def data(node: Value) -> float:
    """The node's value (its forward result)."""
    return node.data


def grad(node: Value) -> float:
    """node.grad as a float (after backward(create_graph=True) it is a Value)."""
    return as_float(node.grad)


def delta(z: Value) -> float:
    """δ at a pre-activation z: ∂C/∂z, the grad of the z node (never its data)."""
    return as_float(z.grad)


def upstream(step: Step) -> float:
    """The gradient a step received: ∂root/∂(step's node), final at that step."""
    return as_float(step.upstream)


def local(step: Step, i: int) -> float:
    """The local derivative ∂(step's node)/∂(its parent i)."""
    return as_float(step.local[i])


def contribution(step: Step, i: int) -> float:
    """What the step added to parent i's grad: upstream · local."""
    return as_float(step.contributions[i])


# ------------------------------------------------------------ a view's own forms, the pages' port
def fixed(x: float, decimals: int) -> str:
    """x with a fixed number of decimals and a true minus sign (an axis's tick labels)."""
    text = f"{float(x):.{max(0, decimals)}f}"
    if text.lstrip("-").strip("0.") == "":
        return text.lstrip("-")  # −0.00 is 0.00
    return text.replace("-", MINUS)


def power_of_ten(k: int, mantissa: str = "") -> str:
    """10^k as every view writes it (10⁻⁶), after a mantissa when one is given (5×10⁻⁶)."""
    return f"{mantissa}{TIMES if mantissa else ''}10{superscript(k)}"


_JAVASCRIPT = """// number(x, digits): x as every view writes it, by autograd/numbers.py
const NUMBER_RULES = %RULES%;
function number(x, digits) {
  const R = NUMBER_RULES;
  if (Number.isNaN(x)) return R.nan;
  const sign = x < 0 ? R.minus : "";
  if (!Number.isFinite(x)) return sign + R.infinity;
  if (x === 0) return "0";
  const m = Math.abs(x);
  const strip = (s) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\\.$/, "") : s);
  // toExponential and toFixed round the float's exact value half away from zero
  const [mantissa, e] = m.toExponential(digits - 1).split("e");
  const exp = parseInt(e, 10);
  if (exp >= R.lowest && exp < digits) return sign + strip(m.toFixed(digits - 1 - exp));
  const sup = String(Math.abs(exp)).split("").map((d) => R.superscripts[+d]).join("");
  return sign + strip(mantissa) + R.times + "10" + (exp < 0 ? R.superminus : "") + sup;
}"""


def javascript() -> str:
    """The JavaScript function number(x, digits) of a page: these rules, RULES as JSON."""
    return _JAVASCRIPT.replace("%RULES%", json.dumps(RULES, ensure_ascii=True))
