"""gradcheck: the engine's gradients against central finite differences."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

from .modes import no_grad
from .value import Number, Value, grad, real_to_float


class GradcheckError(AssertionError):
    """Analytic and numeric gradients disagree; the message holds the table."""


def numeric_grad(f: Callable[..., Value], point: Sequence[float], eps: float = 1e-6) -> list[float]:
    """Central differences (f(x + eps e_i) - f(x - eps e_i)) / 2 eps for each input i."""
    result = []
    with no_grad():
        for i in range(len(point)):
            up = [Value(x + eps if j == i else x) for j, x in enumerate(point)]
            down = [Value(x - eps if j == i else x) for j, x in enumerate(point)]
            result.append((_call(f, up).data - _call(f, down).data) / (2.0 * eps))
    return result


def _call(f: Callable[..., Value], xs: list[Value]) -> Value:
    out = f(*xs)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}")
    return out


def _point(i: int, x: object) -> float:
    """The number to check at for inputs[i]: a Value's data or a real number."""
    if isinstance(x, Value):
        return x.data
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(
            f"gradcheck: inputs[{i}] must be a Value or a number, got {type(x).__name__} {x!r}"
        )
    return real_to_float(x, f"gradcheck: inputs[{i}]")


def gradcheck(
    f: Callable[..., Value],
    inputs: Sequence[Value | Number],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Check grad(f) at inputs against central differences; raise GradcheckError on mismatch.

    f is called with one Value per input and must return a Value. An input passes when
    |analytic - numeric| <= atol + rtol * |numeric| (PyTorch's default tolerances). The table
    names each input by its label (a labelled Value), else by its index.
    """
    if eps <= 0.0 or atol < 0.0 or rtol < 0.0:
        raise ValueError(
            f"gradcheck: need eps > 0, atol >= 0, rtol >= 0; got {eps}, {atol}, {rtol}"
        )
    point = [_point(i, x) for i, x in enumerate(inputs)]
    labels = [x.label if isinstance(x, Value) else None for x in inputs]
    names = [label or str(i) for i, label in enumerate(labels)]
    xs = [Value(x, labels[i] or f"x{i}") for i, x in enumerate(point)]
    analytic = [float(g) for g in grad(_call(f, xs), xs)]
    numeric = numeric_grad(f, point, eps)
    wide = max(5, *map(len, names))
    rows = []
    failed = False
    for i, (a, n) in enumerate(zip(analytic, numeric, strict=True)):
        ok = abs(a - n) <= atol + rtol * abs(n)
        failed |= not ok
        rows.append(
            f"{names[i]:>{wide}}  {point[i]:>12.6g}  {a:>14.8g}  {n:>14.8g}  {abs(a - n):>10.3g}  "
            + ("ok" if ok else "MISMATCH")
        )
    if failed:
        header = f"{'input':>{wide}}  {'x':>12}  {'analytic':>14}  {'numeric':>14}  {'|diff|':>10}"
        raise GradcheckError(
            f"gradcheck failed (eps={eps}, atol={atol}, rtol={rtol}):\n"
            + "\n".join([header, *rows])
        )
    return True
