"""Scale: a 2,000,000-node chain and a linear node with 100,001 parents, forward and backward,
with no recursion and within the memory per node that the benchmark reports."""

import gc
import math
import random
import tracemalloc
from collections.abc import Callable

import pytest

from autograd import Value, linear

# the benchmark's scale table (tests/benchmarks/run.py, engine_scale) measures about 170 B per
# node once built and 250 B at the peak of backward; these bounds leave room for platforms
BUILT_PER_NODE = 260
PEAK_PER_NODE = 400


def measured(build: Callable[[], Value], nodes: int) -> tuple[Value, float, float]:
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        root = build()
        built = tracemalloc.get_traced_memory()[0] - base
        tracemalloc.reset_peak()
        root.backward()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return root, built / nodes, peak / nodes


@pytest.mark.slow
def test_a_two_million_node_chain_runs_forward_and_backward() -> None:
    c, d = Value(0.999, "c"), Value(0.001, "d")
    v0 = Value(1.0, "v0")
    steps = 10**6  # two nodes per step: 2,000,003 nodes with the three leaves

    def build() -> Value:
        v = v0
        for _ in range(steps):
            v = v * c + d
        return v

    root, built, peak = measured(build, 2 * steps + 3)
    assert root.data == pytest.approx(1.0)  # v stays at its fixed point d / (1 − c)
    assert v0.grad == pytest.approx(0.999**steps, rel=1e-9)  # dv_n/dv_0 = c^n
    assert built <= BUILT_PER_NODE and peak <= PEAK_PER_NODE, (built, peak)


def test_a_linear_node_with_100001_parents() -> None:
    rng = random.Random(0)
    n = 50_000
    w = [Value(rng.uniform(-1.0, 1.0)) for _ in range(n)]
    x = [Value(rng.uniform(-1.0, 1.0)) for _ in range(n)]
    b = Value(0.5)
    root, _, peak = measured(lambda: linear(w, x, b), 2 * n + 2)
    assert len(root.parents) == 2 * n + 1
    assert root.data == pytest.approx(
        0.5 + math.fsum(a.data * c.data for a, c in zip(w, x, strict=True))
    )
    assert all(wk.grad == xk.data and xk.grad == wk.data for wk, xk in zip(w, x, strict=True))
    assert b.grad == 1.0
    assert peak <= PEAK_PER_NODE, peak
