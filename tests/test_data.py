"""Tests for nn.data: seeded toy datasets are deterministic, balanced and shaped as promised."""

import itertools
import math
import random
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn.data import DATASETS, Dataset, circles, digits, moons, spirals, split, standardise, xor

NAMES = sorted(DATASETS)


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def by_class(data: Dataset, label: int) -> list[list[float]]:
    xs, ys = data
    return [x for x, y in zip(xs, ys, strict=True) if y == label]


def test_registry_names_every_dataset() -> None:
    expected = {"moons": moons, "circles": circles, "spirals": spirals, "xor": xor}
    assert expected == DATASETS


@settings(deadline=None)
@given(st.sampled_from(NAMES), st.integers(1, 60), st.integers(0, 2**32))
def test_shapes_labels_and_balance(name: str, n: int, seed: int) -> None:
    xs, ys = DATASETS[name](n=n, noise=0.1, seed=seed)
    assert len(xs) == len(ys) == n
    assert all(len(x) == 2 and all(isinstance(v, float) for v in x) for x in xs)
    assert all(type(y) is int and y in (0, 1) for y in ys)
    # n // 2 points in class 0, the odd one in class 1
    assert ys.count(0) == n // 2
    assert ys.count(1) == n - n // 2


@settings(deadline=None)
@given(st.sampled_from(NAMES), st.integers(1, 60), st.integers(0, 2**32))
def test_same_seed_gives_identical_output(name: str, n: int, seed: int) -> None:
    make = DATASETS[name]
    first = make(n=n, noise=0.2, seed=seed)
    random.seed(12345)  # the global generator must play no part
    assert make(n=n, noise=0.2, seed=seed) == first


@pytest.mark.parametrize("name", NAMES)
def test_different_seeds_differ(name: str) -> None:
    make = DATASETS[name]
    assert make(n=50, noise=0.1, seed=0) != make(n=50, noise=0.1, seed=1)


@pytest.mark.parametrize("name", NAMES)
def test_defaults_run_and_are_deterministic(name: str) -> None:
    make: Callable[..., Dataset] = DATASETS[name]
    assert make() == make()


def test_xor_four_points_without_noise_is_the_truth_table() -> None:
    assert xor() == ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    assert xor(n=4, noise=0.0, seed=99) == xor()


@settings(deadline=None)
@given(st.integers(1, 40), st.integers(0, 2**32))
def test_xor_points_sit_at_corners_labelled_x1_xor_x2(n: int, seed: int) -> None:
    xs, ys = xor(n=n, noise=0.0, seed=seed)
    for (x1, x2), y in zip(xs, ys, strict=True):
        assert x1 in (0.0, 1.0) and x2 in (0.0, 1.0)
        assert y == int(x1) ^ int(x2)


def test_xor_noise_jitters_points_near_their_corner() -> None:
    xs, ys = xor(n=400, noise=0.1, seed=3)
    for (x1, x2), y in zip(xs, ys, strict=True):
        # within 6 standard deviations of the corner whose label the point carries
        corner = (round(x1), round(x2))
        assert abs(x1 - corner[0]) < 0.6 and abs(x2 - corner[1]) < 0.6
        assert y == corner[0] ^ corner[1]
    assert any(x1 not in (0.0, 1.0) for x1, _ in xs)


def test_moons_without_noise_lie_on_their_half_circles() -> None:
    data = moons(n=101, noise=0.0, seed=0)
    for x1, x2 in by_class(data, 0):
        assert math.hypot(x1, x2) == pytest.approx(1.0)  # centre (0, 0)
        assert x2 >= -1e-12
    for x1, x2 in by_class(data, 1):
        assert math.hypot(x1 - 1.0, x2 - 0.5) == pytest.approx(1.0)  # centre (1, ½)
        assert x2 <= 0.5 + 1e-12


def test_moons_with_noise_stay_in_the_known_box() -> None:
    xs, _ = moons(n=500, noise=0.1, seed=1)
    assert all(-1.7 < x1 < 2.7 and -1.2 < x2 < 1.7 for x1, x2 in xs)
    data = moons(n=500, noise=0.1, seed=1)
    # class 0 is the upper moon, class 1 the lower one, shifted right
    assert mean([x2 for _, x2 in by_class(data, 0)]) > mean([x2 for _, x2 in by_class(data, 1)])
    assert mean([x1 for x1, _ in by_class(data, 0)]) < mean([x1 for x1, _ in by_class(data, 1)])


@pytest.mark.parametrize("factor", [0.2, 0.5, 0.8])
def test_circles_without_noise_have_radius_1_and_factor(factor: float) -> None:
    data = circles(n=60, noise=0.0, factor=factor, seed=0)
    assert all(math.hypot(*x) == pytest.approx(1.0) for x in by_class(data, 0))
    assert all(math.hypot(*x) == pytest.approx(factor) for x in by_class(data, 1))


@settings(deadline=None)
@given(st.integers(0, 2**32))
def test_circles_outer_class_has_the_larger_mean_radius(seed: int) -> None:
    data = circles(n=100, noise=0.05, factor=0.5, seed=seed)
    outer = mean([math.hypot(*x) for x in by_class(data, 0)])
    inner = mean([math.hypot(*x) for x in by_class(data, 1)])
    assert outer > inner
    assert outer == pytest.approx(1.0, abs=0.05)
    assert inner == pytest.approx(0.5, abs=0.05)


def test_spirals_without_noise_are_point_reflections_of_each_other() -> None:
    data = spirals(n=80, noise=0.0, seed=0)
    arm0 = sorted((round(x1, 9), round(x2, 9)) for x1, x2 in by_class(data, 0))
    arm1 = sorted((round(-x1, 9) + 0.0, round(-x2, 9) + 0.0) for x1, x2 in by_class(data, 1))
    assert arm0 == arm1
    assert all(0.0 < math.hypot(*x) < 1.0 for x in data[0])


def test_spirals_wind_the_requested_number_of_turns() -> None:
    # along one arm, sorted by radius, the angle grows by 2π · turns in total
    turns = 2.0
    arm = sorted(
        by_class(spirals(n=400, noise=0.0, turns=turns, seed=0), 0), key=lambda p: math.hypot(*p)
    )
    angles = [math.atan2(x2, x1) for x1, x2 in arm]
    total = 0.0
    for previous, current in itertools.pairwise(angles):
        total += (current - previous + math.pi) % (2 * math.pi) - math.pi  # step in (−π, π]
    expected = 2 * math.pi * turns * (len(arm) - 1) / len(arm)  # t runs from ½/n to 1 − ½/n
    assert total == pytest.approx(expected)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n": 0}, ValueError, "n must be at least 1"),
        ({"n": -5}, ValueError, "n must be at least 1"),
        ({"n": 2.5}, TypeError, "n must be an int"),
        ({"n": True}, TypeError, "n must be an int"),
        ({"noise": -0.1}, ValueError, "noise is a standard deviation"),
        ({"noise": math.nan}, ValueError, "noise is a standard deviation"),
        ({"noise": math.inf}, ValueError, "noise is a standard deviation"),
    ],
)
def test_bad_common_arguments_raise(
    name: str, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        DATASETS[name](**kwargs)


@pytest.mark.parametrize("factor", [0.0, 1.0, -0.5, 1.5, math.nan])
def test_circles_rejects_a_factor_outside_0_1(factor: float) -> None:
    with pytest.raises(ValueError, match=r"factor .* strictly between 0 and 1"):
        circles(factor=factor)


@pytest.mark.parametrize("turns", [0.0, -1.0, math.inf, math.nan])
def test_spirals_rejects_non_positive_turns(turns: float) -> None:
    with pytest.raises(ValueError, match="turns must be a finite number > 0"):
        spirals(turns=turns)


def test_standardise_gives_each_feature_mean_0_and_standard_deviation_1() -> None:
    xs = [[1.0, 5.0, 2.0], [3.0, 5.0, -2.0], [5.0, 5.0, 6.0], [7.0, 5.0, 2.0]]
    # column 0: mean 4, population sd √5; column 1 constant: x − mean; column 2: mean 2, sd √8
    expected = [[(x0 - 4.0) / math.sqrt(5.0), 0.0, (x2 - 2.0) / math.sqrt(8.0)] for x0, _, x2 in xs]
    got = standardise(xs)
    assert [[pytest.approx(v, abs=1e-15) for v in row] for row in expected] == got


# ------------------------------------------------------------------------------- digits
# UCI's description of optdigits.tes (the file digits() ships): 1,797 images of 8x8 pixels in
# 0..16, and how many of each digit 0..9 it holds
UCI_CLASS_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_digits_is_uci_optdigits_test_part() -> None:
    xs, ys = digits(scale=False)
    assert len(xs) == len(ys) == 1797
    assert all(len(x) == 64 for x in xs)
    assert [ys.count(d) for d in range(10)] == UCI_CLASS_COUNTS
    assert all(v == int(v) and 0 <= v <= 16 for x in xs for v in x)
    assert max(v for x in xs for v in x) == 16
    # the first image, a 0 (copied by hand from the file): its top row, then a hollow middle
    assert ys[0] == 0
    assert xs[0][:8] == [0, 0, 5, 13, 9, 1, 0, 0]
    assert xs[0][8 * 4 : 8 * 5] == [0, 5, 8, 0, 0, 9, 8, 0]


def test_digits_scaled_are_the_pixels_over_16() -> None:
    raw, labels = digits(scale=False)
    scaled, same = digits()
    assert same == labels
    assert scaled == [[v / 16 for v in x] for x in raw]
    assert min(min(x) for x in scaled) == 0.0 and max(max(x) for x in scaled) == 1.0
    with pytest.raises(TypeError, match="scale must be True or False"):
        digits(scale="yes")  # type: ignore[arg-type]


def test_the_shipped_file_is_the_one_its_readme_describes() -> None:
    import hashlib
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "nn" / "datasets"
    digest = hashlib.sha256((folder / "digits.csv.gz").read_bytes()).hexdigest()
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert digest in readme
    assert "CC BY 4.0" in readme and "1,797" in readme
    assert ", ".join(map(str, UCI_CLASS_COUNTS)) in readme


@settings(max_examples=40, deadline=None)
@given(
    labels=st.lists(st.integers(0, 4), min_size=1, max_size=60),
    test=st.floats(0.05, 0.95),
    seed=st.integers(0, 10**6),
)
def test_split_is_stratified_disjoint_and_seeded(labels: list[int], test: float, seed: int) -> None:
    xs = [[float(i), -float(i)] for i in range(len(labels))]  # each example unique by its x
    (tr_x, tr_y), (te_x, te_y) = split(xs, labels, test=test, seed=seed)
    train = {x[0] for x in tr_x}
    held = {x[0] for x in te_x}
    assert not train & held and train | held == set(range(len(labels)))
    for c in set(labels):
        count = labels.count(c)
        assert te_y.count(c) == round(test * count) and tr_y.count(c) == count - round(test * count)
    # each example keeps its label, and each part keeps the dataset's order
    assert all(labels[int(x[0])] == y for x, y in zip(tr_x + te_x, tr_y + te_y, strict=True))
    assert [x[0] for x in tr_x] == sorted(train) and [x[0] for x in te_x] == sorted(held)
    assert split(xs, labels, test=test, seed=seed) == ((tr_x, tr_y), (te_x, te_y))


def test_split_of_digits_depends_on_the_seed_only() -> None:
    xs, ys = digits()
    first = split(xs, ys, test=0.25, seed=0)
    assert split(xs, ys, test=0.25, seed=0) == first
    assert split(xs, ys, test=0.25, seed=1)[1][1] != first[1][1] or (
        split(xs, ys, test=0.25, seed=1)[1][0] != first[1][0]
    )
    (_, train_y), (_, test_y) = first
    assert len(test_y) == sum(round(0.25 * c) for c in UCI_CLASS_COUNTS)
    assert len(train_y) + len(test_y) == 1797


@pytest.mark.parametrize(
    ("args", "error", "words"),
    [
        (([[0.0]], [0, 1]), ValueError, "one label per example"),
        (([[0.0]], [0], 0.0), ValueError, "strictly between 0 and 1"),
        (([[0.0]], [0], 1.0), ValueError, "strictly between 0 and 1"),
        (([[0.0]], [0], float("nan")), ValueError, "strictly between 0 and 1"),
        (([[0.0]], [0], "0.2"), TypeError, "fraction between 0 and 1"),
        (([[0.0]], [0], True), TypeError, "fraction between 0 and 1"),
    ],
)
def test_split_refuses_bad_arguments(args: tuple[Any, ...], error: type, words: str) -> None:
    with pytest.raises(error, match=words):
        split(*args)
