"""Reading numbers back from what a view shows (for tests): −1.481×10⁻⁵, (−0.5), ∞, NaN.

Written apart from viz.numbers, from the form the views promise: a true minus sign (U+2212),
a power of ten written ×10 with superscript digits, parentheses around a negative factor.
"""

from __future__ import annotations

import re

_SUPERSCRIPTS = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")
# one number as a view writes it (the first group: mantissa, the second: the power of ten)
NUMBER = r"−?(?:\d+(?:\.\d+)?|∞)(?:×10[⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)?|NaN"
_PARTS = re.compile(r"(−?)(\d+(?:\.\d+)?|∞)(?:×10([⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+))?")


def read(text: str) -> float:
    """The float a shown number stands for (to the digits shown)."""
    text = text.strip().strip("()")
    if text == "NaN":
        return float("nan")
    m = _PARTS.fullmatch(text)
    if m is None:
        raise ValueError(f"not a number as the views write one: {text!r}")
    sign, mantissa, power = m.groups()
    exponent = power.translate(_SUPERSCRIPTS) if power else "0"
    value = float("inf") if mantissa == "∞" else float(f"{mantissa}e{exponent}")
    return -value if sign else value
