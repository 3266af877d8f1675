"""Plain-SVG charts for training runs: a loss curve and a 2-D decision boundary, with real axes.

Both are written by hand, with no plotting library: ticks at "nice" numbers (1, 2 or 5 × 10^k
apart, or at powers of ten on a log scale), axis labels, grid lines and, for the boundary, a
colour key. The sizes suit a lecture screen (text 15–20 px at 100 % zoom); the SVG scales
without loss anywhere it is shown.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape

from . import palette
from .numbers import fixed, number, power_of_ten

__all__ = [
    "confusion_svg",
    "decision_boundary_svg",
    "log_ticks",
    "loss_curve_svg",
    "nice_ticks",
    "tick_label",
    "wants_log_scale",
]

_CLASS_COLOURS = palette.CLASS  # class 0 orange, class 1 blue, as in every view
_FILL_COLOURS = palette.CLASS_REGION  # the plane where the model predicts class 0 / 1
_LINE = palette.LOSS  # the loss curve, as the playground draws it
_GRID = "#e4e4e4"
_AXIS = "#333333"
_FONT = 15  # tick labels
_LABEL_FONT = 17  # axis labels and the key
_TITLE_FONT = 20


# ---------------------------------------------------------------------------------- ticks
def nice_ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    """About count ticks 1, 2 or 5 × 10^k apart; the first ≤ lo and the last ≥ hi."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"nice_ticks: the range must be finite, got {lo!r} to {hi!r}")
    lo, hi = min(lo, hi), max(lo, hi)
    if hi == lo:  # one value: a unit (or 10 %) either side of it
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    step = _nice_step((hi - lo) / max(count - 1, 1))
    first = math.floor(lo / step + 1e-9)
    last = math.ceil(hi / step - 1e-9)
    decimals = max(0, -math.floor(math.log10(step)) + 1)
    return [round(i * step, decimals) + 0.0 for i in range(first, last + 1)]


def _nice_step(raw: float) -> float:
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for m in (1.0, 2.0, 5.0, 10.0):
        if m * magnitude >= raw * (1 - 1e-9):
            return m * magnitude
    return 10.0 * magnitude  # pragma: no cover - the loop always returns


def log_ticks(lo: float, hi: float) -> tuple[list[float], list[float]]:
    """The labelled ticks of a log axis from lo to hi (0 < lo < hi), and the unlabelled ones.

    Labels sit at the powers of ten inside the range, with 2 and 5 × 10^k added (then every
    integer multiple) while fewer than three fit; over many decades only every second, third,
    … power of ten is labelled (at most about eight labels). The minor ticks are the other
    multiples 2…9 × 10^k, for up to eight decades.
    """
    if not (0 < lo < hi and math.isfinite(hi)):
        raise ValueError(f"log_ticks: a log axis needs 0 < lo < hi, finite, got {lo!r}, {hi!r}")
    k0 = math.floor(math.log10(lo)) - 1
    k1 = math.ceil(math.log10(hi)) + 1

    def within(multiples: Sequence[int]) -> list[float]:
        found = [float(f"{m}e{k}") for k in range(k0, k1 + 1) for m in multiples]
        return sorted(t for t in found if lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9))

    decades = math.log10(hi / lo)
    every = max(1, math.ceil(decades / 7))  # at most about 8 labels
    major = [t for t in within([1]) if round(math.log10(t)) % every == 0]
    for multiples in ([1, 2, 5], list(range(1, 10))):
        if len(major) >= 3:
            break
        major = within(multiples)
    minor = [t for t in within(list(range(2, 10))) if t not in major] if decades <= 8 else []
    return major, minor


def _power(k: int) -> float:
    return float(f"1e{k}")  # exactly the float nearest 10^k (10.0 ** k can be 1 ulp off)


def tick_label(value: float, step: float | None = None) -> str:
    """A tick's text: as many decimals as the tick spacing needs; 10⁻⁶ style when very small.

    Written by viz.numbers, as every number of every view: a true minus, 5×10⁻⁶.
    """
    if step is None:
        if value == 0:
            return "0"  # a log axis: each label on its own
        k = math.floor(math.log10(abs(value)) + 1e-9)
        mantissa = value / _power(k)
        if -4 <= k <= 4:
            return fixed(value, max(0, -k))
        sign = "\u2212" if value < 0 else ""
        if abs(abs(mantissa) - 1) < 1e-9:
            return sign + power_of_ten(k)
        return sign + power_of_ten(k, f"{abs(mantissa):.0f}")
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    return fixed(value, decimals)


# ---------------------------------------------------------------------------------- frame
class _Axis:
    """A map from data values to pixels along one axis, linear or log."""

    def __init__(self, lo: float, hi: float, start: float, end: float, log: bool) -> None:
        self.log = log
        self.lo, self.hi = (math.log10(lo), math.log10(hi)) if log else (lo, hi)
        self.start, self.end = start, end

    def __call__(self, value: float) -> float:
        v = math.log10(value) if self.log else value
        return self.start + (self.end - self.start) * (v - self.lo) / (self.hi - self.lo)


def _svg(body: list[str], title: str, width: int, height: int) -> str:
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Helvetica, Arial, '
            f'sans-serif" font-size="{_FONT}" fill="{_AXIS}">',
            f"<title>{escape(title)}</title>",
            # opened on its own (the root of its document), the chart fills the browser window,
            # keeping its proportions; embedded in a page or an <img> it keeps its size
            "<style>svg:root { width: 100vw; height: 100vh }</style>",
            f'<rect width="{width}" height="{height}" fill="white"/>',
            f'<text x="{width / 2}" y="{_TITLE_FONT + 12}" text-anchor="middle" '
            f'font-size="{_TITLE_FONT}" font-weight="bold" class="title">{escape(title)}</text>',
            *body,
            "</svg>",
        ]
    )


def _text(x: float, y: float, text: str, anchor: str = "middle", **attrs: object) -> str:
    extra = "".join(f' {k.rstrip("_").replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{escape(text)}</text>'


def _x_axis(
    ticks: Sequence[float],
    labels: Sequence[str],
    px: Callable[[float], float],
    top: float,
    bottom: float,
    title: str,
    centre: float,
    grid: bool = True,
) -> list[str]:
    out = ['<g class="x-axis">']
    for t, label in zip(ticks, labels, strict=True):
        x = px(t)
        if grid:
            out.append(
                f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="{_GRID}"/>'
            )
        out.append(
            f'<line x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 6}" stroke="{_AXIS}"/>'
        )
        out.append(_text(x, bottom + 8 + _FONT, label, class_="tick"))
    out.append(
        _text(
            centre, bottom + 18 + _FONT + _LABEL_FONT, title, font_size=_LABEL_FONT, class_="label"
        )
    )
    out.append("</g>")
    return out


def _y_axis(
    ticks: Sequence[float],
    labels: Sequence[str],
    py: Callable[[float], float],
    left: float,
    right: float,
    title: str,
    centre: float,
    minor: Sequence[float] = (),
    grid: bool = True,
) -> list[str]:
    out = ['<g class="y-axis">']
    for t in minor:
        y = py(t)
        out.append(
            f'<line x1="{left - 3}" y1="{y:.1f}" x2="{left}" y2="{y:.1f}" stroke="{_AXIS}" '
            'class="minor"/>'
        )
    for t, label in zip(ticks, labels, strict=True):
        y = py(t)
        if grid:
            out.append(
                f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="{_GRID}"/>'
            )
        out.append(
            f'<line x1="{left - 6}" y1="{y:.1f}" x2="{left}" y2="{y:.1f}" stroke="{_AXIS}"/>'
        )
        out.append(_text(left - 10, y + _FONT * 0.35, label, "end", class_="tick"))
    x = left - 20 - _tick_width(labels)
    out.append(
        _text(
            x,
            centre,
            title,
            font_size=_LABEL_FONT,
            transform=f"rotate(-90 {x:.1f} {centre:.1f})",
            class_="label",
        )
    )
    out.append("</g>")
    return out


def _tick_width(labels: Sequence[str]) -> float:
    return max((len(label) for label in labels), default=1) * _FONT * 0.6


def _frame(left: float, top: float, right: float, bottom: float) -> str:
    return (
        f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" '
        f'fill="none" stroke="{_AXIS}" class="frame"/>'
    )


# ---------------------------------------------------------------------------------- loss
def wants_log_scale(losses: Sequence[float]) -> bool:
    """Whether losses read better on a log scale: all positive, spanning a factor of 10 or more."""
    lo, hi = min(losses), max(losses)
    return lo > 0 and hi / lo >= 10


def loss_curve_svg(
    history: Sequence[float],
    title: str = "training loss",
    log: bool | None = None,
    ylabel: str = "loss C",
) -> str:
    """A line chart of the loss per step, with ticks, axis labels and grid lines.

    log=None uses a log scale when every loss is positive and they span a factor of 10 or
    more (most of the curve would otherwise lie flat on the axis), a linear scale otherwise;
    True or False forces it.
    """
    ys = [float(y) for y in history]
    if not ys:
        raise ValueError("loss_curve_svg: the history is empty; train for at least one step")
    if not all(math.isfinite(y) for y in ys):
        raise ValueError("loss_curve_svg: the history holds NaN or infinity; nothing to plot")
    if log is not None and not isinstance(log, bool):
        raise TypeError(f"loss_curve_svg: log must be True, False or None, got {log!r}")
    lo, hi = min(ys), max(ys)
    if log and lo <= 0:
        raise ValueError(
            f"loss_curve_svg: a log scale needs positive losses, but the smallest is {lo!r}; "
            "pass log=False"
        )
    if log is None:
        log = wants_log_scale(ys)
    if log:
        pad = (hi / lo) ** 0.04 if hi > lo else 2.0  # a margin of 4 % of the decades shown
        y_lo, y_hi = lo / pad, hi * pad
        yticks, minor = log_ticks(y_lo, y_hi)
        ylabels = [tick_label(t) for t in yticks]
    else:
        # a margin of 4 % of the range, so the curve never lies on the frame
        margin = 0.04 * (hi - lo) or 0.1 * abs(lo) or 1.0
        y_lo, y_hi = lo - margin, hi + margin
        all_ticks = nice_ticks(y_lo, y_hi)
        step = all_ticks[1] - all_ticks[0]
        yticks, minor = [t for t in all_ticks if y_lo <= t <= y_hi], []
        ylabels = [tick_label(t, step) for t in yticks]
    n = len(ys)
    xticks = [t for t in nice_ticks(0, max(n - 1, 1)) if t == int(t)]
    if len(xticks) > 1 and xticks[1] - xticks[0] < 1:  # whole steps only
        xticks = [float(t) for t in range(0, max(n - 1, 1) + 1)]
    xlabels = [str(int(t)) for t in xticks]

    width, height = 800, 500
    left = 44 + _tick_width(ylabels) + _LABEL_FONT
    right, top, bottom = width - 28, 52, height - 70
    px = _Axis(xticks[0], xticks[-1], left, right, log=False)
    py = _Axis(y_lo, y_hi, bottom, top, log=log)

    points = " ".join(f"{px(i):.1f},{py(y):.1f}" for i, y in enumerate(ys))
    scale = "log scale" if log else "linear scale"
    body = [
        *_x_axis(xticks, xlabels, px, top, bottom, "step", (left + right) / 2),
        *_y_axis(
            yticks, ylabels, py, left, right, f"{ylabel} ({scale})", (top + bottom) / 2, minor
        ),
        _frame(left, top, right, bottom),
        f'<polyline points="{points}" fill="none" stroke="{_LINE}" stroke-width="2.5" '
        'stroke-linejoin="round" class="loss"/>',
    ]
    last_x, last_y = px(n - 1), py(ys[-1])
    body.append(
        f'<circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="4.5" fill="{_LINE}" class="last"/>'
    )
    # the last loss, written beside its point inside the frame where the curve leaves room: the
    # first of a few places below, above and further along whose box the curve does not cross
    anchor = "end" if last_x > (left + right) / 2 else "start"
    side = -1 if anchor == "end" else 1
    text = f"step {n - 1}: {number(ys[-1])}"
    span = len(text) * _LABEL_FONT * 0.6
    trace = _dense([(px(i), py(y)) for i, y in enumerate(ys)])

    def crossings(place: tuple[float, float]) -> int:
        x = last_x + place[0]
        x0, x1 = sorted((x, x + side * span))
        y0, y1 = last_y + place[1] - _LABEL_FONT - 2, last_y + place[1] + 5
        if y0 < top or y1 > bottom or x0 < left or x1 > right:
            return len(trace) + 1  # outside the frame
        return sum(1 for u, v in trace if x0 - 4 <= u <= x1 + 4 and y0 <= v <= y1)

    places = [(side * shift, dy) for shift in (10, 70, 150) for dy in (30, -16, 60, -46, 90, -76)]
    dx, dy = min(places, key=crossings)  # the first of the fewest crossings
    body.append(
        _text(last_x + dx, last_y + dy, text, anchor, font_size=_LABEL_FONT, class_="final")
    )
    return _svg(body, title, width, height)


def _dense(points: list[tuple[float, float]], gap: float = 3.0) -> list[tuple[float, float]]:
    """The polyline's points with more in between, no two more than about gap pixels apart."""
    out = points[:1]
    for (xa, ya), (xb, yb) in itertools.pairwise(points):
        parts = max(1, math.ceil(math.hypot(xb - xa, yb - ya) / gap))
        out += [
            (xa + (xb - xa) * t / parts, ya + (yb - ya) * t / parts) for t in range(1, parts + 1)
        ]
    return out


# ---------------------------------------------------------------------------------- boundary
def decision_boundary_svg(
    decide: Callable[[float, float], float],
    xs: Sequence[Sequence[float]],
    ys: Sequence[int],
    resolution: int = 60,
    title: str = "decision boundary",
    axis_labels: tuple[str, str] = ("x\u2080 (input 0)", "x\u2081 (input 1)"),
) -> str:
    """The plane coloured by the class decide(x0, x1) gives, the points on top, axes and a key.

    decide returns a class, 0 or 1, or a score whose sign is the class, such as the logit of a
    sigmoid output (> 0: class 1). It is evaluated on a grid of (resolution + 1)² points, and
    the boundary is drawn where the linearly interpolated value crosses 0 (a score) or ½ (a
    class), by marching squares: with a score it is a smooth line, not a staircase.
    """
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
    ticks0 = [t for t in nice_ticks(lo0, hi0) if lo0 <= t <= hi0]
    ticks1 = [t for t in nice_ticks(lo1, hi1) if lo1 <= t <= hi1]
    labels0 = [tick_label(t, _tick_step(ticks0, hi0 - lo0)) for t in ticks0]
    labels1 = [tick_label(t, _tick_step(ticks1, hi1 - lo1)) for t in ticks1]

    size = 520
    left = 40 + _tick_width(labels1) + _LABEL_FONT
    top = 52
    right, bottom = left + size, top + size
    key_left = right + 28
    width, height = int(key_left + 250), int(bottom + 72)
    px = _Axis(lo0, hi0, left, right, log=False)
    py = _Axis(lo1, hi1, bottom, top, log=False)

    # values[r][c] at the grid point (u_c, v_r), row 0 at the top (v = hi1)
    n = resolution
    values = [
        [_score(decide, lo0 + (hi0 - lo0) * c / n, hi1 - (hi1 - lo1) * r / n) for c in range(n + 1)]
        for r in range(n + 1)
    ]
    classes = all(v in (0.0, 1.0) for row in values for v in row)
    level = 0.5 if classes else 0.0
    region, line = _march(values, level, left, top, size / n)
    body = [
        f'<rect x="{left}" y="{top}" width="{size}" height="{size}" fill="{_FILL_COLOURS[0]}" '
        'class="region class-0"/>',
    ]
    if region:
        body.append(f'<path d="{region}" fill="{_FILL_COLOURS[1]}" class="region class-1"/>')
    if line:
        body.append(
            f'<path d="{line}" stroke="{_AXIS}" stroke-width="2.5" fill="none" '
            'stroke-linecap="round" stroke-linejoin="round" class="boundary"/>'
        )
    body += _x_axis(
        ticks0, labels0, px, top, bottom, axis_labels[0], (left + right) / 2, grid=False
    )
    body += _y_axis(
        ticks1, labels1, py, left, right, axis_labels[1], (top + bottom) / 2, grid=False
    )
    body.append(_frame(left, top, right, bottom))
    body.append('<g class="points">')
    for u, v, label in zip(x0s, x1s, ys, strict=True):
        body.append(_marker(px(u), py(v), 1 if label else 0))
    body.append("</g>")
    body += _key(key_left, top + 10, bool(line))
    return _svg(body, title, width, height)


def _score(decide: Callable[[float, float], float], u: float, v: float) -> float:
    value = decide(u, v)
    if isinstance(value, bool):
        return float(value)
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(
            f"decision_boundary_svg: decide({u:.3g}, {v:.3g}) returned {value!r}; it must "
            "return a class (0 or 1) or a finite score whose sign is the class"
        )
    return float(value)


def _march(
    values: list[list[float]], level: float, left: float, top: float, cell: float
) -> tuple[str, str]:
    """Marching squares: the region above level as polygons, and the boundary as segments."""
    region: list[str] = []
    line: list[str] = []
    n = len(values) - 1
    for r in range(n):
        for c in range(n):
            # the square's corners clockwise from the top left, as (x, y, value)
            corners = [
                (left + c * cell, top + r * cell, values[r][c]),
                (left + (c + 1) * cell, top + r * cell, values[r][c + 1]),
                (left + (c + 1) * cell, top + (r + 1) * cell, values[r + 1][c + 1]),
                (left + c * cell, top + (r + 1) * cell, values[r + 1][c]),
            ]
            inside = [v > level for _, _, v in corners]
            if not any(inside):
                continue
            if all(inside):
                x, y, _ = corners[0]
                region.append(f"M{x:.2f} {y:.2f}h{cell:.2f}v{cell:.2f}h{-cell:.2f}z")
                continue
            polygon: list[tuple[float, float, bool]] = []  # (x, y, on the boundary)
            for i in range(4):
                xa, ya, va = corners[i]
                xb, yb, vb = corners[(i + 1) % 4]
                if inside[i]:
                    polygon.append((xa, ya, False))
                if inside[i] != inside[(i + 1) % 4]:
                    t = (level - va) / (vb - va)  # where the interpolated value is the level
                    polygon.append((xa + t * (xb - xa), ya + t * (yb - ya), True))
            region.append("M" + "L".join(f"{x:.2f} {y:.2f}" for x, y, _ in polygon) + "z")
            # the polygon's edges from one crossing straight to the next are the boundary
            for (xa, ya, a), (xb, yb, b) in itertools.pairwise([*polygon, polygon[0]]):
                if a and b:
                    line.append(f"M{xa:.2f} {ya:.2f}L{xb:.2f} {yb:.2f}")
    return "".join(region), "".join(line)


def _tick_step(ticks: Sequence[float], span: float) -> float:
    return ticks[1] - ticks[0] if len(ticks) > 1 else _nice_step(span / 5)


def _marker(x: float, y: float, label: int, r: float = 5.0) -> str:
    # class 0: an orange circle; class 1: a blue square (the shape tells them apart without colour)
    colour = _CLASS_COLOURS[label]
    if label:
        return (
            f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}" '
            f'fill="{colour}" stroke="white" stroke-width="1" class="point class-1"/>'
        )
    return (
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r + 0.5:.1f}" fill="{colour}" stroke="white" '
        'stroke-width="1" class="point class-0"/>'
    )


def _key(x: float, y: float, boundary: bool) -> list[str]:
    row = _LABEL_FONT + 16
    out = ['<g class="key">', _text(x, y + _LABEL_FONT, "key", "start", font_weight="bold")]
    entries: list[tuple[str, str]] = [
        (_marker(x + 10, 0, 0), f"data: class 0 ({palette.CLASS_NAMES[0]})"),
        (_marker(x + 10, 0, 1), f"data: class 1 ({palette.CLASS_NAMES[1]})"),
        (
            f'<rect x="{x}" y="{{y}}" width="20" height="20" fill="{_FILL_COLOURS[0]}" '
            f'stroke="{_AXIS}" stroke-width="0.5"/>',
            "model predicts 0",
        ),
        (
            f'<rect x="{x}" y="{{y}}" width="20" height="20" fill="{_FILL_COLOURS[1]}" '
            f'stroke="{_AXIS}" stroke-width="0.5"/>',
            "model predicts 1",
        ),
    ]
    if boundary:
        entries.append(
            (
                f'<line x1="{x}" y1="{{mid}}" x2="{x + 20}" y2="{{mid}}" stroke="{_AXIS}" '
                'stroke-width="2"/>',
                "decision boundary",
            )
        )
    for i, (shape, text) in enumerate(entries):
        top = y + 16 + (i + 0.5) * row
        mid = top + 10
        if "class-" in shape:  # a point marker, drawn at y = 0: move it to this row
            shape = f'<g transform="translate(0 {mid:.1f})">{shape}</g>'
        else:
            shape = shape.replace("{y}", f"{top:.1f}").replace("{mid}", f"{mid:.1f}")
        out.append(shape)
        out.append(_text(x + 32, mid + _LABEL_FONT * 0.35, text, "start", font_size=_LABEL_FONT))
    out.append("</g>")
    return out


# ----------------------------------------------------------------------------- confusion
_CELL = 46  # px: a cell holds a 4-digit count at the tick font


def confusion_svg(
    counts: Sequence[Sequence[int]],
    labels: Sequence[str] | None = None,
    title: str = "Confusion matrix",
) -> str:
    """A confusion matrix (nn.train.confusion) as an SVG grid: rows the true class, columns the
    predicted one, each cell its count.

    Correct predictions (the diagonal) are tinted green in proportion to their share of the row
    (their class's examples), so a weak class shows at a glance; mistakes are tinted red, from
    light for one example to strong for the most frequent mistake, so every mistake is seen; a
    cell with no example stays white. labels name the classes (their indices by default).
    """
    size = len(counts)
    if size == 0 or any(len(row) != size for row in counts):
        raise ValueError("confusion_svg: counts must be a square matrix, one row per class")
    if any(isinstance(c, bool) or not isinstance(c, int) or c < 0 for r in counts for c in r):
        raise ValueError("confusion_svg: counts must be whole numbers >= 0")
    names = [str(k) for k in range(size)] if labels is None else [str(x) for x in labels]
    if len(names) != size:
        raise ValueError(f"confusion_svg: {len(names)} labels for {size} classes")
    left = 60 + _LABEL_FONT + _tick_width(names)
    top = _TITLE_FONT + 40 + _LABEL_FONT + _FONT
    width = int(left + size * _CELL + 30)
    height = int(top + size * _CELL + 20 + _LABEL_FONT)
    total = sum(map(sum, counts))
    correct = sum(counts[k][k] for k in range(size))
    worst = max((c for t, r in enumerate(counts) for p, c in enumerate(r) if t != p), default=0)
    body = ['<g class="cells">']
    for t, row in enumerate(counts):
        share = sum(row)
        for p, c in enumerate(row):
            x, y = left + p * _CELL, top + t * _CELL
            strength = 0.85 * c / share if t == p else 0.2 + 0.5 * c / max(worst, 1)
            hue = palette.ACCURACY if t == p else palette.WRONG
            fill = palette.tint(hue, strength) if c else "#ffffff"
            ink = "#ffffff" if c and strength > 0.55 else _AXIS
            body.append(
                f'<rect x="{x}" y="{y}" width="{_CELL}" height="{_CELL}" fill="{fill}" '
                f'stroke="{_GRID}" data-true="{t}" data-predicted="{p}" data-count="{c}"/>'
            )
            if c:
                body.append(_text(x + _CELL / 2, y + _CELL / 2 + _FONT * 0.35, str(c), fill=ink))
    body.append("</g>")
    body.append(_frame(left, top, left + size * _CELL, top + size * _CELL))
    for k, name in enumerate(names):  # column labels above, row labels at the left
        body.append(_text(left + (k + 0.5) * _CELL, top - 8, name, class_="tick"))
        body.append(
            _text(left - 10, top + (k + 0.5) * _CELL + _FONT * 0.35, name, "end", class_="tick")
        )
    body.append(
        _text(
            left + size * _CELL / 2,
            top - 16 - _FONT,
            "predicted class",
            font_size=_LABEL_FONT,
            class_="label",
        )
    )
    x, centre = left - 20 - _tick_width(names), top + size * _CELL / 2
    body.append(
        _text(
            x,
            centre,
            "true class",
            font_size=_LABEL_FONT,
            transform=f"rotate(-90 {x:.1f} {centre:.1f})",
            class_="label",
        )
    )
    summary = f"{correct} of {total} correct ({fixed(100 * correct / total, 1)}%)" if total else ""
    body.append(_text(left + size * _CELL / 2, height - 10, summary, class_="summary"))
    return _svg(body, title, width, height)
