"""The plain-SVG charts: nice ticks, log scale, axes and key, the data drawn where it belongs."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from xml.etree import ElementTree

import pytest
from hypothesis import given
from hypothesis import strategies as st

from viz.plots import decision_boundary_svg, log_ticks, loss_curve_svg, nice_ticks, tick_label

SVG = "{http://www.w3.org/2000/svg}"
FONT = 15  # the tick labels' font size: a label's baseline sits 0.35 of it below its tick


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)


def group(root: ElementTree.Element, name: str) -> ElementTree.Element:
    (found,) = [g for g in root.iter(f"{SVG}g") if g.attrib.get("class") == name]
    return found


def texts(root: ElementTree.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def polyline(root: ElementTree.Element) -> list[tuple[float, float]]:
    (line,) = root.iter(f"{SVG}polyline")
    return [(float(x), float(y)) for x, y in (p.split(",") for p in line.attrib["points"].split())]


def y_ticks(root: ElementTree.Element) -> dict[str, float]:
    """Each y tick label's text -> the y of its tick."""
    return {
        t.text or "": float(t.attrib["y"]) - FONT * 0.35
        for t in group(root, "y-axis").iter(f"{SVG}text")
        if t.attrib.get("class") == "tick"
    }


# ---------------------------------------------------------------------------------- ticks
@given(
    st.floats(-1e6, 1e6, allow_nan=False),
    st.floats(1e-6, 1e6, allow_nan=False),
    st.integers(3, 10),
)
def test_nice_ticks_cover_the_range_at_one_two_or_five_times_a_power_of_ten(
    lo: float, span: float, count: int
) -> None:
    hi = lo + span
    ticks = nice_ticks(lo, hi, count)
    rounding = 1e-12 * max(abs(lo), abs(hi), 1e-300)  # the float spacing near the range
    steps = [b - a for a, b in itertools.pairwise(ticks)]
    magnitude = 10 ** math.floor(math.log10(steps[0]) + 1e-6)
    step = min((m * magnitude for m in (1, 2, 5, 10)), key=lambda s: abs(s - steps[0]))
    assert all(abs(s - step) <= 1e-6 * step + 2 * rounding for s in steps)  # 1, 2 or 5 × 10^k
    assert len(ticks) <= 2 * count + 2  # never a crowd of ticks
    slack = 1e-6 * step + 2 * rounding
    assert ticks[0] <= lo + slack and ticks[-1] >= hi - slack  # the ticks cover the range
    assert all(abs(t - round(t / step) * step) <= 1e-6 * step + 2 * rounding for t in ticks)


def test_nice_ticks_examples() -> None:
    assert nice_ticks(-0.93, 1.43) == [-1.0, -0.5, 0.0, 0.5, 1.0, 1.5]
    assert nice_ticks(0, 149) == [0, 50, 100, 150]
    assert nice_ticks(0.2, 1.0) == [0.2, 0.4, 0.6, 0.8, 1.0]  # no 0.6000000000000001
    assert nice_ticks(3.0, 3.0) == [2.6, 2.8, 3.0, 3.2, 3.4]  # one value: a margin around it
    with pytest.raises(ValueError, match="finite"):
        nice_ticks(0.0, math.inf)


def test_log_ticks_label_powers_of_ten_and_fill_in_short_ranges() -> None:
    major, minor = log_ticks(0.0005, 1.3)
    assert major == [0.001, 0.01, 0.1, 1.0]
    assert 0.0005 in minor and 0.3 in minor and 0.001 not in minor
    major, minor = log_ticks(0.15, 6.0)  # one power of ten inside: 2 and 5 × 10^k join it
    assert major == [0.2, 0.5, 1.0, 2.0, 5.0]
    assert set(major).isdisjoint(minor) and 0.3 in minor
    major, minor = log_ticks(0.5, 0.75)
    assert major == [0.5, 0.6, 0.7]  # fewer than three 1-2-5 ticks fit: every multiple
    major, minor = log_ticks(1e-12, 10.0)
    assert major == [1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2, 1.0]
    assert minor == []  # too many decades for minor ticks
    with pytest.raises(ValueError, match="0 < lo < hi"):
        log_ticks(0.0, 1.0)


def test_tick_labels() -> None:
    assert tick_label(-0.5, 0.5) == "\u22120.5"  # a real minus sign
    assert tick_label(0.0, 0.5) == "0.0"
    assert tick_label(150.0, 50.0) == "150"
    assert tick_label(0.001) == "0.001"
    assert tick_label(1e-6) == "10\u207b\u2076"
    assert tick_label(2e-6) == "2×10\u207b\u2076"  # written as every view writes 10^k
    assert tick_label(1e5) == "10\u2075"


# ---------------------------------------------------------------------------------- loss
def test_loss_curve_draws_one_point_per_step_against_labelled_axes() -> None:
    history = [1.0, 0.5, 0.25, 0.2]
    root = parse(loss_curve_svg(history))
    points = polyline(root)
    assert len(points) == 4
    assert [p[0] for p in points] == sorted(p[0] for p in points)
    assert [p[1] for p in points] == sorted(p[1] for p in points)  # SVG y grows downwards
    words = texts(root)
    assert "step" in words and "loss C (linear scale)" in words  # a factor of 5: linear
    ticks = y_ticks(root)
    assert list(ticks) == ["0.2", "0.4", "0.6", "0.8", "1.0"]
    # the curve passes through its tick: loss 1.0 at the "1.0" tick, 0.2 at the "0.2" tick
    assert points[0][1] == pytest.approx(ticks["1.0"], abs=0.15)
    assert points[3][1] == pytest.approx(ticks["0.2"], abs=0.15)
    # the mid tick sits halfway on a linear axis
    assert ticks["0.6"] == pytest.approx((ticks["0.2"] + ticks["1.0"]) / 2, abs=0.15)
    x_labels = [t.text for t in group(root, "x-axis").iter(f"{SVG}text")]
    assert x_labels == ["0", "1", "2", "3", "step"]  # whole steps only
    assert "step 3: 0.2" in words  # the last loss, written beside its point


def test_a_loss_over_decades_is_drawn_on_a_log_scale() -> None:
    history = [1.0, 0.1, 0.01, 0.001]
    root = parse(loss_curve_svg(history))
    assert "loss C (log scale)" in texts(root)
    ys = [y for _, y in polyline(root)]
    gaps = [b - a for a, b in itertools.pairwise(ys)]
    assert gaps == pytest.approx([gaps[0]] * 3, abs=0.15)  # equal ratios, equal steps
    ticks = y_ticks(root)
    assert {"0.001", "0.01", "0.1", "1"} <= set(ticks)
    assert ys[1] == pytest.approx(ticks["0.1"], abs=0.15)
    minor = [line for line in group(root, "y-axis") if line.attrib.get("class") == "minor"]
    # 2…9 in each of the three decades, and 8, 9 × 10⁻⁴ in the margin below 0.001
    assert len(minor) == 3 * 8 + 2
    # forced either way
    assert "loss C (linear scale)" in texts(parse(loss_curve_svg(history, log=False)))
    assert "loss C (log scale)" in texts(parse(loss_curve_svg([1.0, 0.9], log=True)))


@pytest.mark.parametrize(
    "history",
    [
        [0.3 + 0.4 * math.exp(-i / 40) + 0.05 * ((i * 7919) % 13) / 13 for i in range(300)],
        [0.69 * 0.95**i for i in range(150)],
        [0.1 * 1.05**i for i in range(60)],
    ],
    ids=["noisy", "falling", "rising"],
)
def test_the_last_loss_is_written_clear_of_the_curve(history: list[float]) -> None:
    root = parse(loss_curve_svg(history))
    (label,) = [t for t in root.iter(f"{SVG}text") if t.attrib.get("class") == "final"]
    x, y = float(label.attrib["x"]), float(label.attrib["y"])
    width = len(label.text or "") * 17 * 0.6
    x0, x1 = (x - width, x) if label.attrib["text-anchor"] == "end" else (x, x + width)
    points = polyline(root)
    trace = [  # the curve, every pixel or so
        (xa + (xb - xa) * t / 20, ya + (yb - ya) * t / 20)
        for (xa, ya), (xb, yb) in itertools.pairwise(points)
        for t in range(21)
    ]
    inside = [(u, v) for u, v in trace if x0 <= u <= x1 and y - 17 <= v <= y + 3]
    assert inside == []


def test_loss_curve_edge_cases_and_errors() -> None:
    assert len(polyline(parse(loss_curve_svg([0.7])))) == 1  # one step: still a chart
    assert "loss C (linear scale)" in texts(parse(loss_curve_svg([0.5, 0.5])))
    assert "loss C (linear scale)" in texts(parse(loss_curve_svg([0.0, 2.0, 1.0])))
    with pytest.raises(ValueError, match="empty"):
        loss_curve_svg([])
    with pytest.raises(ValueError, match="NaN"):
        loss_curve_svg([1.0, float("nan")])
    with pytest.raises(ValueError, match=r"log scale needs positive losses.*log=False"):
        loss_curve_svg([1.0, 0.0], log=True)
    with pytest.raises(TypeError, match="log must be True, False or None"):
        loss_curve_svg([1.0], log="yes")  # type: ignore[arg-type]


def test_a_chart_fills_the_window_only_when_opened_on_its_own() -> None:
    svg = loss_curve_svg([1.0, 0.5])
    assert "svg:root { width: 100vw; height: 100vh }" in svg  # not `svg {…}`: pages keep sizes
    root = parse(svg)
    assert root.attrib["width"] == "800" and root.attrib["viewBox"] == "0 0 800 500"


# ---------------------------------------------------------------------------------- boundary
def frame_map(
    root: ElementTree.Element, lo: tuple[float, float], hi: tuple[float, float]
) -> Callable[[float, float], tuple[float, float]]:
    """Pixels -> data, from the plot's frame and its data range."""
    (frame,) = [r for r in root.iter(f"{SVG}rect") if r.attrib.get("class") == "frame"]
    left, top = float(frame.attrib["x"]), float(frame.attrib["y"])
    w, h = float(frame.attrib["width"]), float(frame.attrib["height"])

    def to_data(x: float, y: float) -> tuple[float, float]:
        return lo[0] + (x - left) / w * (hi[0] - lo[0]), hi[1] - (y - top) / h * (hi[1] - lo[1])

    return to_data


def path_points(d: str) -> list[tuple[float, float]]:
    """The vertices of a path made of M, L (absolute), h, v (relative) and z commands."""
    points: list[tuple[float, float]] = []
    x = y = 0.0
    for command, args in re.findall(r"([MLhvz])([^MLhvz]*)", d):
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", args)]
        if command in "ML":
            x, y = numbers
        elif command == "h":
            x += numbers[0]
        elif command == "v":
            y += numbers[0]
        else:
            continue
        points.append((x, y))
    return points


def paths(root: ElementTree.Element, cls: str) -> list[ElementTree.Element]:
    return [p for p in root.iter(f"{SVG}path") if cls in p.attrib.get("class", "").split()]


def test_a_score_boundary_lies_exactly_where_the_score_is_zero() -> None:
    # points span u in [-1, 1], v in [-1, 1]: with the 10 % margin the plot is [-1.2, 1.2]²
    xs = [[-1.0, -1.0], [1.0, 1.0], [-1.0, 1.0], [1.0, -1.0]]
    root = parse(decision_boundary_svg(lambda u, v: u + 2 * v - 0.3, xs, [0, 1, 0, 1], 12))
    to_data = frame_map(root, (-1.2, -1.2), (1.2, 1.2))
    (line,) = paths(root, "boundary")
    points = [to_data(x, y) for x, y in path_points(line.attrib["d"])]
    assert len(points) >= 2 * 12
    # linear interpolation is exact for a linear score: every vertex is on u + 2v = 0.3
    assert all(abs(u + 2 * v - 0.3) < 0.03 for u, v in points)
    # the class-1 region lies on the positive side
    (region,) = paths(root, "class-1")
    for x, y in path_points(region.attrib["d"]):
        u, v = to_data(x, y)
        assert u + 2 * v - 0.3 > -0.03


def test_a_class_boundary_and_the_key() -> None:
    xs = [[-1.0, 0.0], [1.0, 0.0]]
    root = parse(decision_boundary_svg(lambda u, v: int(u > 0.5), xs, [0, 1], 10))
    to_data = frame_map(root, (-1.2, -0.1), (1.2, 0.1))
    (region,) = paths(root, "class-1")
    assert min(to_data(x, y)[0] for x, y in path_points(region.attrib["d"])) > 0.2
    (line,) = paths(root, "boundary")
    us = [to_data(x, y)[0] for x, y in path_points(line.attrib["d"])]
    assert all(0.24 < u < 0.72 for u in us)  # between the grid points either side of 0.5
    points = list(group(root, "points"))
    assert [p.attrib["class"] for p in points] == ["point class-0", "point class-1"]
    assert (
        points[0].tag == f"{SVG}circle" and points[1].tag == f"{SVG}rect"
    )  # shape, not only colour
    assert float(points[0].attrib["cx"]) < float(points[1].attrib["x"])
    key = [t.text for t in group(root, "key").iter(f"{SVG}text")]
    assert key == [
        "key",
        "data: class 0 (orange)",
        "data: class 1 (blue)",
        "model predicts 0",
        "model predicts 1",
        "decision boundary",
    ]
    words = texts(root)
    assert "x\u2080 (input 0)" in words and "x\u2081 (input 1)" in words
    x_ticks = [t.text for t in group(root, "x-axis").iter(f"{SVG}text")][:-1]
    assert x_ticks == ["\u22121.0", "\u22120.5", "0.0", "0.5", "1.0"]


def test_one_class_everywhere_has_no_boundary() -> None:
    root = parse(decision_boundary_svg(lambda u, v: 0, [[0, 0], [1, 1]], [0, 1], 5))
    assert paths(root, "boundary") == [] and paths(root, "class-1") == []
    key = [t.text for t in group(root, "key").iter(f"{SVG}text")]
    assert "decision boundary" not in key and "model predicts 1" in key


def test_decision_boundary_errors() -> None:
    with pytest.raises(ValueError, match="2 points and 1 labels"):
        decision_boundary_svg(lambda u, v: 0, [[0, 0], [1, 1]], [0])
    with pytest.raises(ValueError, match="two coordinates"):
        decision_boundary_svg(lambda u, v: 0, [[0, 0, 0]], [0])
    with pytest.raises(ValueError, match="resolution"):
        decision_boundary_svg(lambda u, v: 0, [[0, 0]], [0], resolution=1)
    with pytest.raises(ValueError, match=r"decide\(.*\) returned nan; it must return a class"):
        decision_boundary_svg(lambda u, v: math.nan, [[0, 0]], [0], resolution=2)
    with pytest.raises(ValueError, match="returned 'a'"):
        decision_boundary_svg(lambda u, v: "a", [[0, 0]], [0], resolution=2)  # type: ignore[arg-type,return-value]


# ----------------------------------------------------------------------------- confusion
def test_confusion_counts_each_true_class_against_each_prediction() -> None:
    from nn.train import accuracy, confusion

    # a "model" that answers the argmax of its input: the predictions are known by hand
    xs = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    ys = [0, 2, 2, 1, 0]

    def model(x: list[float]) -> list[float]:
        return x

    counts = confusion(model, xs, ys)
    assert counts == [[1, 0, 1], [0, 1, 0], [0, 1, 1]]
    correct = sum(counts[k][k] for k in range(3))
    assert correct / len(xs) == accuracy(model, xs, ys) == 3 / 5
    with pytest.raises(ValueError, match="example 0's target is class 'a'"):
        confusion(model, xs[:1], ["a"])


def test_confusion_svg_draws_one_cell_per_count_in_green_and_red() -> None:
    from viz import palette
    from viz.plots import confusion_svg

    counts = [[8, 2, 0], [0, 10, 0], [1, 4, 5]]
    svg = confusion_svg(counts, labels=["cat", "dog", "owl"])
    root = ElementTree.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    cells = [r for r in root.iter(f"{ns}rect") if "data-count" in r.attrib]
    assert len(cells) == 9
    for r in cells:
        t, p, c = (int(r.attrib[k]) for k in ("data-true", "data-predicted", "data-count"))
        assert c == counts[t][p]
        if c == 0:
            assert r.attrib["fill"] == "#ffffff"
        else:  # correct ones a tint of the accuracy green, mistakes of the wrong-answer red
            hue = palette.ACCURACY if t == p else palette.WRONG
            assert r.attrib["fill"] in {palette.tint(hue, k / 1000) for k in range(1001)}
    texts = [t.text for t in root.iter(f"{ns}text")]
    assert texts.count("cat") == texts.count("owl") == 2  # a row label and a column label
    assert "predicted class" in texts and "true class" in texts
    assert "23 of 30 correct (76.7%)" in texts  # 8 + 10 + 5 of 30
    # the most frequent mistake (4) is drawn stronger than a single one
    fill = {(r.attrib["data-true"], r.attrib["data-predicted"]): r.attrib["fill"] for r in cells}
    darkness = lambda colour: sum(int(colour[i : i + 2], 16) for i in (1, 3, 5))  # noqa: E731
    assert darkness(fill[("2", "1")]) < darkness(fill[("2", "0")])
    for bad in ([], [[1, 2]], [[-1]], [[1.5]]):
        with pytest.raises(ValueError):
            confusion_svg(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="2 labels for 3 classes"):
        confusion_svg(counts, labels=["a", "b"])
