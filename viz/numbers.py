"""The numbers views show: one accessor per quantity, and the one formatter that writes them.

Every drawing, page and explanation reads its numbers through these, so a number shown under a
name is that node's value of that field and nothing else (δ^l_j is the grad of z^l_j, never
its data). The backward pass's own numbers (upstream, local derivatives, what a step adds to
each parent) come from its Step records, read here too.

number() writes every number a person reads, in every view: `digits` significant digits (4
unless a view is told otherwise), rounded half away from zero, trailing zeros dropped; a true
minus sign (U+2212); plain decimals from 10⁻⁴ up to 10^digits, and outside that range
scientific notation written as a textbook writes it, 1.481×10⁻⁵. The browser pages format with
javascript(), the same rules fed by the same RULES. Generated code and machine-readable output
(JSON, CSV) keep Python's own repr with an ASCII '-'.
"""

from __future__ import annotations

import json
import math
from decimal import ROUND_HALF_UP, Decimal

from autograd import Step, Value

MINUS = "\u2212"  # −, the minus sign (not the hyphen-minus '-')
TIMES = "\u00d7"  # ×, between a mantissa and its power of ten
SUPERSCRIPT_DIGITS = "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"
SUPERSCRIPT_MINUS = "\u207b"  # ⁻
LOWEST_PLAIN = -4  # 10⁻⁴ is the smallest power written as a plain decimal (0.0001)
# The rules as data: number() reads them, and javascript() hands the same ones to the pages.
RULES = {
    "minus": MINUS,
    "times": TIMES,
    "superscripts": SUPERSCRIPT_DIGITS,
    "superminus": SUPERSCRIPT_MINUS,
    "lowest": LOWEST_PLAIN,
    "nan": "NaN",
    "infinity": "\u221e",
}


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


# ------------------------------------------------------------------------------ the formatter
def _check_digits(digits: int) -> None:
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise ValueError(f"digits must be an int from 1 to 17, got {digits!r}")


def _rounded(magnitude: float, decimals: int) -> str:
    """magnitude (≥ 0) with `decimals` digits after the point (< 0: to tens, hundreds, ...).

    Rounded half away from zero on the float's exact value, as JavaScript's toFixed and
    toExponential do, so that the pages and Python agree digit for digit.
    """
    exact = Decimal(magnitude)
    return str(exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def parts(x: float, digits: int = 4) -> tuple[str, str, int | None]:
    """x split as number() writes it: (sign, mantissa, exponent); exponent None: a plain decimal.

    sign is '' or MINUS; the mantissa has `digits` significant digits, trailing zeros dropped.
    NaN and infinities come back as ('', 'NaN', None), (sign, '∞', None); 0 and −0 as '0'.
    """
    _check_digits(digits)
    x = float(x)
    if math.isnan(x):
        return "", str(RULES["nan"]), None
    sign = MINUS if x < 0 else ""
    if math.isinf(x):
        return sign, str(RULES["infinity"]), None
    if x == 0:
        return "", "0", None
    magnitude = abs(x)
    # the exponent after rounding to `digits` significant digits (9.9996 is 10.00: exponent 1)
    exponent = Decimal(_rounded_significant(magnitude, digits)).adjusted()
    if LOWEST_PLAIN <= exponent < digits:
        return sign, _strip(_rounded(magnitude, digits - 1 - exponent)), None
    mantissa = Decimal(_rounded_significant(magnitude, digits)).scaleb(-exponent)
    return sign, _strip(f"{mantissa:f}"), exponent


def _rounded_significant(magnitude: float, digits: int) -> str:
    exact = Decimal(magnitude)
    step = Decimal(1).scaleb(exact.adjusted() - digits + 1)
    return str(exact.quantize(step, rounding=ROUND_HALF_UP))


def _strip(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def superscript(k: int) -> str:
    """An integer as superscript characters: −5 is ⁻⁵."""
    digits = str(RULES["superscripts"])
    text = "".join(digits[int(d)] for d in str(abs(k)))
    return (SUPERSCRIPT_MINUS if k < 0 else "") + text


def number(x: float, digits: int = 4) -> str:
    """x as every view writes it: −0.5171, 0.0001234, 1.481×10⁻⁵, −2.5×10⁶, ∞, NaN."""
    sign, mantissa, exponent = parts(x, digits)
    if exponent is None:
        return sign + mantissa
    return f"{sign}{mantissa}{TIMES}10{superscript(exponent)}"


def factor(x: float, digits: int = 4) -> str:
    """number(x), in parentheses when negative (it stands in a product): (−0.5171)."""
    text = number(x, digits)
    return f"({text})" if text.startswith(MINUS) else text


def number_latex(x: float, digits: int = 4) -> str:
    """number(x) as LaTeX maths: -0.5171, 1.481 \\times 10^{-5}, \\infty."""
    sign, mantissa, exponent = parts(x, digits)
    sign = "-" if sign else ""  # LaTeX's maths mode sets '-' as a minus sign
    if mantissa == RULES["infinity"]:
        return sign + r"\infty"
    if mantissa == RULES["nan"]:
        return r"\text{NaN}"
    if exponent is None:
        return sign + mantissa
    return f"{sign}{mantissa} \\times 10^{{{exponent}}}"


def fixed(x: float, decimals: int) -> str:
    """x with a fixed number of decimals and a true minus sign (an axis's tick labels)."""
    text = f"{float(x):.{max(0, decimals)}f}"
    if text.lstrip("-").strip("0.") == "":
        return text.lstrip("-")  # −0.00 is 0.00
    return text.replace("-", MINUS)


def power_of_ten(k: int, mantissa: str = "") -> str:
    """10^k as every view writes it (10⁻⁶), after a mantissa when one is given (5×10⁻⁶)."""
    return f"{mantissa}{TIMES if mantissa else ''}10{superscript(k)}"


_JAVASCRIPT = """// number(x, digits): x as every view writes it, by the rules of viz/numbers.py
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
