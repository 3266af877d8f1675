"""The plain-SVG charts: valid XML, the data drawn where it belongs, clear errors."""

from xml.etree import ElementTree

import pytest

from viz.plots import decision_boundary_svg, loss_curve_svg

SVG = "{http://www.w3.org/2000/svg}"


def test_loss_curve_draws_one_point_per_step() -> None:
    history = [1.0, 0.5, 0.25, 0.2]
    root = ElementTree.fromstring(loss_curve_svg(history))
    (line,) = root.iter(f"{SVG}polyline")
    points = [tuple(map(float, p.split(","))) for p in line.attrib["points"].split()]
    assert len(points) == 4
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    assert xs == sorted(xs)
    assert ys == sorted(ys)  # SVG y grows downwards: a falling loss has rising y
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "1" in texts and "0.2" in texts and "step" in texts


def test_loss_curve_errors() -> None:
    with pytest.raises(ValueError, match="empty"):
        loss_curve_svg([])
    with pytest.raises(ValueError, match="NaN"):
        loss_curve_svg([1.0, float("nan")])


def test_decision_boundary_colours_the_plane_by_the_rule() -> None:
    xs = [[-1.0, 0.0], [1.0, 0.0]]
    ys = [0, 1]
    root = ElementTree.fromstring(decision_boundary_svg(lambda u, v: int(u > 0), xs, ys, 10))
    cells = [r for r in root.iter(f"{SVG}rect") if "x" in r.attrib]
    assert len(cells) == 100
    left = [c for c in cells if float(c.attrib["x"]) < 60]
    right = [c for c in cells if float(c.attrib["x"]) > 250]
    assert {c.attrib["fill"] for c in left} == {"#cfe2f3"}
    assert {c.attrib["fill"] for c in right} == {"#f4cccc"}
    points = list(root.iter(f"{SVG}circle"))
    assert [p.attrib["class"] for p in points] == ["class-0", "class-1"]
    assert float(points[0].attrib["cx"]) < float(points[1].attrib["cx"])


def test_decision_boundary_errors() -> None:
    with pytest.raises(ValueError, match="2 points and 1 labels"):
        decision_boundary_svg(lambda u, v: 0, [[0, 0], [1, 1]], [0])
    with pytest.raises(ValueError, match="two coordinates"):
        decision_boundary_svg(lambda u, v: 0, [[0, 0, 0]], [0])
    with pytest.raises(ValueError, match="resolution"):
        decision_boundary_svg(lambda u, v: 0, [[0, 0]], [0], resolution=1)
