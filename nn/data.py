"""Seeded, dependency-free datasets: 2-D toys (moons, circles, spirals, xor), digits, split().

Every function returns ``(xs, ys)``: ``xs`` a list of ``[x1, x2]`` float pairs and ``ys`` a list
of int labels in {0, 1}. Class 0 gets ``n // 2`` points and class 1 the other ``n − n // 2``, so
an odd ``n`` gives class 1 the extra point. All randomness comes from one
``random.Random(seed)`` (never the global generator): the same arguments give the same lists.

moons, circles and spirals place points evenly along their curves, add Gaussian noise with
standard deviation ``noise`` to each coordinate, and shuffle the examples so that any slice of
the lists mixes both classes; with ``noise=0`` the seed only changes that order. xor cycles
through the truth table instead and is not shuffled (see :func:`xor`).

:func:`digits` is a real dataset shipped with the package: 1,797 handwritten digits as 8×8
images (64 features, labels 0–9; its source and licence are in nn/datasets/README.md), and
:func:`split` divides any dataset into a training and a held-out part, class by class.
"""

import gzip
import math
import random
from collections.abc import Callable, Sequence
from importlib import resources

__all__ = [
    "DATASETS",
    "Dataset",
    "circles",
    "digits",
    "moons",
    "spirals",
    "split",
    "standardise",
    "xor",
]

Dataset = tuple[list[list[float]], list[int]]


def _check_n(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int number of points, got {type(n).__name__} {n!r}")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}; ask for one or more points")


def _check_noise(noise: float) -> None:
    if not (math.isfinite(noise) and noise >= 0.0):
        raise ValueError(
            f"noise is a standard deviation and must be a finite number >= 0, got {noise!r}"
        )


def _evenly(count: int, stop: float) -> list[float]:
    # count points t_i = stop · i / (count − 1) from 0 to stop inclusive (just 0 for one point)
    if count == 1:
        return [0.0]
    return [stop * i / (count - 1) for i in range(count)]


def _finish(
    rng: random.Random, points: list[tuple[float, float, int]], noise: float, shuffle: bool
) -> Dataset:
    # Add N(0, noise²) to each coordinate, then optionally shuffle the examples.
    xs = [[x1 + rng.gauss(0.0, noise), x2 + rng.gauss(0.0, noise)] for x1, x2, _ in points]
    ys = [label for _, _, label in points]
    if shuffle:
        order = list(range(len(points)))
        rng.shuffle(order)
        xs = [xs[i] for i in order]
        ys = [ys[i] for i in order]
    return xs, ys


def moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Return two interleaved half circles: class 0 on top, class 1 below and shifted right."""
    _check_n(n)
    _check_noise(noise)
    rng = random.Random(seed)
    n0 = n // 2
    # class 0: (cos t, sin t), t ∈ [0, π]; class 1: (1 − cos t, ½ − sin t), the same arc flipped
    top = [(math.cos(t), math.sin(t), 0) for t in _evenly(n0, math.pi)]
    bottom = [(1.0 - math.cos(t), 0.5 - math.sin(t), 1) for t in _evenly(n - n0, math.pi)]
    return _finish(rng, top + bottom, noise, shuffle=True)


def circles(n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int = 0) -> Dataset:
    """Return two concentric circles: class 0 of radius 1 outside, class 1 of radius factor."""
    _check_n(n)
    _check_noise(noise)
    if not 0.0 < factor < 1.0:
        raise ValueError(
            f"factor is the inner radius relative to the outer one and must lie strictly "
            f"between 0 and 1, got {factor!r}"
        )
    rng = random.Random(seed)
    n0 = n // 2
    n1 = n - n0

    def ring(count: int, radius: float, label: int) -> list[tuple[float, float, int]]:
        # θ_i = 2π i / count, evenly around the circle; the point is (r cos θ, r sin θ)
        thetas = [2 * math.pi * i / count for i in range(count)]
        return [(radius * math.cos(t), radius * math.sin(t), label) for t in thetas]

    return _finish(rng, ring(n0, 1.0, 0) + ring(n1, factor, 1), noise, shuffle=True)


def spirals(n: int = 100, noise: float = 0.1, turns: float = 1.5, seed: int = 0) -> Dataset:
    """Return two interleaved spirals, class 1 being class 0 turned by half a revolution."""
    _check_n(n)
    _check_noise(noise)
    if not (math.isfinite(turns) and turns > 0.0):
        raise ValueError(f"turns must be a finite number > 0, got {turns!r}")
    rng = random.Random(seed)
    n0 = n // 2

    def arm(count: int, phase: float, label: int) -> list[tuple[float, float, int]]:
        # t_i = (i + ½)/count ∈ (0, 1); radius r = t, angle θ = 2π · turns · t + phase
        points = []
        for i in range(count):
            t = (i + 0.5) / count
            theta = 2 * math.pi * turns * t + phase
            points.append((t * math.cos(theta), t * math.sin(theta), label))
        return points

    return _finish(rng, arm(n0, 0.0, 0) + arm(n - n0, math.pi, 1), noise, shuffle=True)


# The XOR truth table: (x1, x2) -> x1 xor x2.
_XOR_TABLE = ((0.0, 0.0, 0), (0.0, 1.0, 1), (1.0, 0.0, 1), (1.0, 1.0, 0))
# Corners used for the n % 4 leftover points, chosen so class 1 gets the odd one and the
# classes stay balanced: 1 leftover -> (0,1); 2 -> (0,1),(0,0); 3 -> (0,1),(0,0),(1,0).
_XOR_LEFTOVER = ((0.0, 1.0, 1), (0.0, 0.0, 0), (1.0, 0.0, 1))


def xor(n: int = 4, noise: float = 0.0, seed: int = 0) -> Dataset:
    """Return points at the corners of the unit square labelled x1 xor x2, in truth-table order."""
    _check_n(n)
    _check_noise(noise)
    rng = random.Random(seed)
    # Whole copies of the truth table (0,0)->0, (0,1)->1, (1,0)->1, (1,1)->0, then the leftovers;
    # xor(4) with noise 0 is exactly the truth table. Noise, if any, jitters each point.
    points = list(_XOR_TABLE) * (n // 4) + list(_XOR_LEFTOVER[: n % 4])
    return _finish(rng, points, noise, shuffle=False)


DATASETS: dict[str, Callable[..., Dataset]] = {
    "moons": moons,
    "circles": circles,
    "spirals": spirals,
    "xor": xor,
}


def standardise(xs: list[list[float]]) -> list[list[float]]:
    """Each feature column as (x − mean) / standard deviation (a constant column becomes 0).

    Features of order 1 keep tanh and sigmoid units in their steep middle at the start of
    training, whatever units the data came in.
    """
    cols = list(zip(*xs, strict=True))
    means = [math.fsum(c) / len(c) for c in cols]
    sds = [
        math.sqrt(math.fsum((v - m) ** 2 for v in c) / len(c)) or 1.0
        for c, m in zip(cols, means, strict=True)
    ]
    return [[(v - m) / sd for v, m, sd in zip(x, means, sds, strict=True)] for x in xs]


DIGITS_FILE = "digits.csv.gz"  # in nn/datasets, with its source and licence in the README there
DIGITS_COUNT = 1797
DIGITS_PIXELS = 64  # 8×8, row by row
DIGITS_MAX = 16  # a pixel counts the "on" pixels of a 4×4 block: 0..16


def digits(scale: bool = True) -> Dataset:
    """Return the 1,797 handwritten digits: 64 pixels per image (8×8, row by row) and the digit.

    The test part of UCI's "Optical Recognition of Handwritten Digits" (Alpaydin and Kaynak,
    1998; CC BY 4.0), shipped with the package. Pixels are divided by 16 into [0, 1] (scale=True,
    the default, a range that keeps tanh and sigmoid units in their steep middle) or kept as the
    integers 0..16 (as floats). The order is the file's; take a held-out part with
    ``split(xs, ys, test=0.25, seed=0)``. ``xs[i][8 * r + c]`` is the pixel in row r, column c.
    """
    if not isinstance(scale, bool):
        raise TypeError(f"scale must be True or False, got {type(scale).__name__} {scale!r}")
    raw = resources.files("nn").joinpath("datasets", DIGITS_FILE).read_bytes()
    xs: list[list[float]] = []
    ys: list[int] = []
    for number, line in enumerate(gzip.decompress(raw).decode("ascii").splitlines(), 1):
        fields = line.split(",")
        if len(fields) != DIGITS_PIXELS + 1:
            raise ValueError(
                f"{DIGITS_FILE} line {number} has {len(fields)} fields, not "
                f"{DIGITS_PIXELS + 1}: the packaged file is damaged; reinstall deltagrad"
            )
        pixels = [float(int(v)) for v in fields[:DIGITS_PIXELS]]
        xs.append([v / DIGITS_MAX for v in pixels] if scale else pixels)
        ys.append(int(fields[DIGITS_PIXELS]))
    if len(xs) != DIGITS_COUNT:
        raise ValueError(
            f"{DIGITS_FILE} holds {len(xs)} images, not {DIGITS_COUNT}: the packaged file is "
            "damaged; reinstall deltagrad"
        )
    return xs, ys


def split(
    xs: Sequence[Sequence[float]], ys: Sequence[int], test: float = 0.25, seed: int = 0
) -> tuple[Dataset, Dataset]:
    """Divide a dataset into (train, test), each an (xs, ys) pair, class by class.

    Each class's examples are shuffled with ``random.Random(seed)`` and the first
    ``round(test · count)`` of them go to the test part, so both parts hold every class in the
    dataset's proportions (a stratified split). Within each part, examples keep the dataset's
    order. The same arguments give the same parts; no example is in both.
    """
    if len(xs) != len(ys):
        raise ValueError(f"xs has {len(xs)} examples and ys {len(ys)}; give one label per example")
    if isinstance(test, bool) or not isinstance(test, int | float):
        raise TypeError(f"test must be a fraction between 0 and 1, got {type(test).__name__}")
    if not 0.0 < test < 1.0:
        raise ValueError(
            f"test is the fraction of each class held out and must lie strictly between 0 "
            f"and 1, got {test!r}"
        )
    rng = random.Random(seed)
    by_class: dict[int, list[int]] = {}
    for i, y in enumerate(ys):
        by_class.setdefault(y, []).append(i)
    held: set[int] = set()
    for label in sorted(by_class):
        members = by_class[label]
        rng.shuffle(members)
        held.update(members[: round(test * len(members))])
    keep = [i for i in range(len(xs)) if i not in held]
    out = sorted(held)
    train = ([list(xs[i]) for i in keep], [ys[i] for i in keep])
    tested = ([list(xs[i]) for i in out], [ys[i] for i in out])
    return train, tested
