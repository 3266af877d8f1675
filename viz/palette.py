"""The one palette of every view: TensorFlow Playground's orange (negative, class 0) and blue.

Orange stands for a negative number and for class 0, blue for a positive number and for class
1, in weights, gradients, data points, decision regions and heatmaps alike: the convention
learners know from TensorFlow Playground. A strength in [−1, 1] is drawn as white blended
towards orange (below 0) or blue (above 0). The other colours a view uses (the node roles of a
drawing, the stepper's highlights, the loss curve) are named here too, and the browser pages
get all of them from page_data(), embedded as JSON, so that no page writes a colour of its own.
"""

from __future__ import annotations

import math

__all__ = [
    "ACCURACY",
    "CLASS",
    "CLASS_NAMES",
    "CLASS_REGION",
    "FOCUS",
    "FOCUS_TINT",
    "LINKED",
    "LOSS",
    "NEGATIVE",
    "POSITIVE",
    "ROLE",
    "SIGN_WORDS",
    "WRONG",
    "ZERO",
    "colours",
    "css_variables",
    "page_data",
    "shade",
    "sign_colour",
    "tint",
]

NEGATIVE = "#e8871e"  # orange: a negative number, class 0
POSITIVE = "#1a78c2"  # blue: a positive number, class 1
ZERO = "#999999"  # grey: exactly 0 (neither sign)
CLASS = (NEGATIVE, POSITIVE)  # the colour of class 0 and of class 1
CLASS_NAMES = ("orange", "blue")  # what a legend calls them
SIGN_WORDS = {"negative": CLASS_NAMES[0], "positive": CLASS_NAMES[1]}


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def tint(colour: str, strength: float) -> str:
    """colour blended with white: strength 0 is white, 1 the colour itself (as a #rrggbb)."""
    t = min(1.0, max(0.0, strength))
    mixed = (round(255 + (c - 255) * t) for c in _rgb(colour))
    return "#" + "".join(f"{c:02x}" for c in mixed)


def shade(value: float) -> str:
    """A strength in [−1, 1] as a colour: white at 0, towards orange below 0 and blue above."""
    if math.isnan(value):
        return ZERO
    v = min(1.0, max(-1.0, value))
    return tint(NEGATIVE if v < 0 else POSITIVE, abs(v))


def sign_colour(value: float) -> str:
    """The colour of a number's sign: orange below 0, blue above, grey at 0 (or NaN)."""
    return NEGATIVE if value < 0 else POSITIVE if value > 0 else ZERO


# the plane where a model predicts class 0 / class 1: light tints of the classes' colours
CLASS_REGION = (tint(NEGATIVE, 0.25), tint(POSITIVE, 0.25))
FOCUS_TINT = "#fef2f2"  # the fill of nodes an equation covers: a trace of FOCUS

# the drawings' node roles (viz.draw): pale fills, so that the text on them reads and no fill
# is taken for a sign
ROLE = {
    "parameter": "#fde9a9",  # w and b: pale yellow
    "input": "#e4e4e4",  # other leaves
    "preactivation": "#dcd3ec",  # z: pale lilac (not the blue of a positive number)
    "activation": "#c7e9c0",  # a: pale green
    "loss": "#f2c4d6",  # the root: pale pink
    "other": "#ffffff",
}
FOCUS = "#d62728"  # the stepper's node being processed (and the equation in focus)
LINKED = "#7b3294"  # the stepper's parents of that node, and the grads it just changed
LOSS = "#b22222"  # a loss curve
ACCURACY = "#1b7f3b"  # an accuracy curve; a check that agrees
WRONG = "#b22222"  # a wrong prediction


def colours() -> set[str]:
    """Every colour of the palette as lower-case #rrggbb (tints of its colours excepted)."""
    named = [NEGATIVE, POSITIVE, ZERO, *CLASS_REGION, *ROLE.values(), FOCUS_TINT]
    return {c.lower() for c in [*named, FOCUS, LINKED, LOSS, ACCURACY, WRONG]}


def page_data() -> dict[str, object]:
    """The palette as data for a page's script (embedded as JSON): sign, class and curve colours."""
    return {
        "negative": list(_rgb(NEGATIVE)),
        "positive": list(_rgb(POSITIVE)),
        "zero": ZERO,
        "classes": list(CLASS),
        "classNames": list(CLASS_NAMES),
        "loss": LOSS,
        "accuracy": ACCURACY,
        "wrong": WRONG,
        "focus": FOCUS,
        "linked": LINKED,
    }


def css_variables() -> str:
    """The palette as CSS custom properties (--neg, --pos, --focus, ...) for a page's :root."""
    pairs = {
        "neg": NEGATIVE,
        "pos": POSITIVE,
        "zero": ZERO,
        "focus": FOCUS,
        "focus-tint": FOCUS_TINT,
        "linked": LINKED,
        "loss": LOSS,
        "ok": ACCURACY,
        "wrong": WRONG,
    }
    return " ".join(f"--{k}: {v};" for k, v in pairs.items())
