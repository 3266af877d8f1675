"""Plain-SVG charts for training runs: a loss curve and a 2-D decision boundary."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape

_WIDTH, _HEIGHT, _MARGIN = 480, 320, 48
_CLASS_COLOURS = ("#1f77b4", "#d62728")  # class 0 blue, class 1 red
_FILL_COLOURS = ("#cfe2f3", "#f4cccc")


def _svg(body: list[str], title: str, width: int = _WIDTH, height: int = _HEIGHT) -> str:
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
            f"<title>{escape(title)}</title>",
            f'<rect width="{width}" height="{height}" fill="white"/>',
            f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">'
            f"{escape(title)}</text>",
            *body,
            "</svg>",
        ]
    )


def loss_curve_svg(history: Sequence[float], title: str = "training loss") -> str:
    """A line chart of the loss per step, with its axes labelled."""
    ys = [float(y) for y in history]
    if not ys:
        raise ValueError("loss_curve_svg: the history is empty; train for at least one step")
    if not all(math.isfinite(y) for y in ys):
        raise ValueError("loss_curve_svg: the history holds NaN or infinity; nothing to plot")
    lo, hi = min(ys), max(ys)
    span = hi - lo or 1.0
    left, right, top, bottom = _MARGIN + 20, _WIDTH - 16, 32, _HEIGHT - _MARGIN
    steps = max(len(ys) - 1, 1)

    def px(i: int) -> float:
        return left + (right - left) * i / steps

    def py(y: float) -> float:
        return bottom - (bottom - top) * (y - lo) / span

    points = " ".join(f"{px(i):.1f},{py(y):.1f}" for i, y in enumerate(ys))
    body = [
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="black"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="black"/>',
        f'<polyline points="{points}" fill="none" stroke="{_CLASS_COLOURS[0]}" '
        'stroke-width="1.5"/>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end">{hi:.3g}</text>',
        f'<text x="{left - 4}" y="{bottom}" text-anchor="end">{lo:.3g}</text>',
        f'<text x="{left}" y="{bottom + 16}" text-anchor="middle">0</text>',
        f'<text x="{right}" y="{bottom + 16}" text-anchor="middle">{len(ys) - 1}</text>',
        f'<text x="{(left + right) / 2}" y="{_HEIGHT - 10}" text-anchor="middle">step</text>',
        f'<text x="14" y="{(top + bottom) / 2}" text-anchor="middle" '
        f'transform="rotate(-90 14 {(top + bottom) / 2})">loss C</text>',
    ]
    return _svg(body, title)


def decision_boundary_svg(
    decide: Callable[[float, float], int],
    xs: Sequence[Sequence[float]],
    ys: Sequence[int],
    resolution: int = 60,
    title: str = "decision boundary",
) -> str:
    """The plane coloured by decide(x0, x1) on a grid, with the labelled points on top."""
    if len(xs) != len(ys) or not xs:
        raise ValueError(
            f"decision_boundary_svg: need as many labels as points (and at least one), "
            f"got {len(xs)} points and {len(ys)} labels"
        )
    if resolution < 2:
        raise ValueError(f"decision_boundary_svg: resolution must be at least 2, got {resolution}")
    if any(len(x) != 2 for x in xs):
        raise ValueError("decision_boundary_svg: every point needs exactly two coordinates")
    x0s = [float(x[0]) for x in xs]
    x1s = [float(x[1]) for x in xs]
    pad0 = 0.1 * ((max(x0s) - min(x0s)) or 1.0)
    pad1 = 0.1 * ((max(x1s) - min(x1s)) or 1.0)
    lo0, hi0 = min(x0s) - pad0, max(x0s) + pad0
    lo1, hi1 = min(x1s) - pad1, max(x1s) + pad1
    size = _HEIGHT - 40
    left, top = 16, 30
    cell = size / resolution

    def px(u: float) -> float:
        return left + size * (u - lo0) / (hi0 - lo0)

    def py(v: float) -> float:
        return top + size * (hi1 - v) / (hi1 - lo1)

    body = []
    for row in range(resolution):
        v = hi1 - (row + 0.5) * (hi1 - lo1) / resolution
        for col in range(resolution):
            u = lo0 + (col + 0.5) * (hi0 - lo0) / resolution
            fill = _FILL_COLOURS[1 if decide(u, v) else 0]
            body.append(
                f'<rect x="{left + col * cell:.2f}" y="{top + row * cell:.2f}" '
                f'width="{cell + 0.3:.2f}" height="{cell + 0.3:.2f}" fill="{fill}"/>'
            )
    for u, v, label in zip(x0s, x1s, ys, strict=True):
        colour = _CLASS_COLOURS[1 if label else 0]
        body.append(
            f'<circle cx="{px(u):.1f}" cy="{py(v):.1f}" r="3" fill="{colour}" stroke="white" '
            f'stroke-width="0.5" class="class-{1 if label else 0}"/>'
        )
    return _svg(body, title, width=size + 2 * left, height=size + top + 10)
