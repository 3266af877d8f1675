"""The one number formatter: the rules every number a person reads is written by.

number() writes a float with `digits` significant digits (4 unless told otherwise), rounded
half away from zero, trailing zeros dropped; a true minus sign (U+2212); plain decimals from
10⁻⁴ up to 10^digits, and outside that range scientific notation written as a textbook writes
it, 1.481×10⁻⁵. factor() brackets a negative number that stands in a product, number_latex()
writes the same number as LaTeX maths. The rules are data (RULES), so that a port to another
language (viz.numbers' JavaScript for the pages) follows the same ones. Python's repr, with an
ASCII '-', stays the form of generated code and machine-readable output.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "LOWEST_PLAIN",
    "MINUS",
    "RULES",
    "SUPERSCRIPT_DIGITS",
    "SUPERSCRIPT_MINUS",
    "TIMES",
    "factor",
    "latex_halves",
    "number",
    "number_latex",
    "parts",
    "superscript",
]

MINUS = "\u2212"  # −, the minus sign (not the hyphen-minus '-')
TIMES = "\u00d7"  # ×, between a mantissa and its power of ten
SUPERSCRIPT_DIGITS = "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"
SUPERSCRIPT_MINUS = "\u207b"  # ⁻
LOWEST_PLAIN = -4  # 10⁻⁴ is the smallest power written as a plain decimal (0.0001)
# The rules as data: number() reads them, and a port to another language reads the same ones.
RULES = {
    "minus": MINUS,
    "times": TIMES,
    "superscripts": SUPERSCRIPT_DIGITS,
    "superminus": SUPERSCRIPT_MINUS,
    "lowest": LOWEST_PLAIN,
    "nan": "NaN",
    "infinity": "\u221e",
}


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
    return "".join(latex_halves(x, digits))


def latex_halves(x: float, digits: int = 4) -> tuple[str, str]:
    """number_latex(x) in two halves at its decimal point, to align a column of numbers on it:
    ('-0', '.5171'), ('1', '.481 \\times 10^{-5}'), ('12', ''), ('0', ''), ('\\infty', '')."""
    sign, mantissa, exponent = parts(x, digits)
    sign = "-" if sign else ""  # LaTeX's maths mode sets '-' as a minus sign
    if mantissa == RULES["infinity"]:
        return sign + r"\infty", ""
    if mantissa == RULES["nan"]:
        return r"\text{NaN}", ""
    whole, point, fraction = mantissa.partition(".")
    power = "" if exponent is None else f" \\times 10^{{{exponent}}}"
    return sign + whole, point + fraction + power
