"""trace(..., backend="numpy"): the batch as arrays, layers found from the graph, numbers that
agree with the eager engine's to rounding (a matrix product adds in another order)."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, linear, trace
from nn import MLP, notation
from nn.data import moons
from nn.losses import batch_loss, mse
from nn.optim import SGD
from nn.program_notes import backprop_notes
from nn.train import _batch_seeds, fit
from tests.nn_strategies import SCENARIOS, NetCase, net_cases

np = pytest.importorskip("numpy", reason="the numpy backend needs numpy: pip install '.[fast]'")

ROOT = Path(__file__).resolve().parents[1]
TRACEABLE = tuple(SCENARIOS)


def flatten_numbers(nested: Any) -> list[float]:
    """Every number of nested lists, in order."""
    if isinstance(nested, list | tuple):
        return [x for item in nested for x in flatten_numbers(item)]
    return [float(nested)]


def close(traced: list[float], eager: list[float]) -> None:
    """Each traced number within 1e-10 of the eager one, relative to the largest of the step."""
    scale = max([abs(x) for x in eager] + [1e-300])
    for t, e in zip(traced, eager, strict=True):
        assert abs(t - e) <= 1e-10 * scale, (t, e, scale)


def eager_grads(case: NetCase, model: MLP) -> tuple[float, list[float]]:
    model.zero_grad()
    preds = [case.prediction(model, model(x)) for x in case.xs]
    c = batch_loss(case.loss_fn, preds, case.ys)
    c.backward()
    return c.data, [p.grad for p in model.parameters()]


@pytest.mark.parametrize("scenario", TRACEABLE, ids=[f"{c}-{o}" for c, o in TRACEABLE])
@settings(max_examples=12, deadline=None)
@given(data=st.data())
def test_random_mlps_give_the_eager_gradients(scenario: tuple[str, str], data: Any) -> None:
    case = data.draw(net_cases(max_batch=5, scenarios=(scenario,)))
    model = case.model()
    try:
        c, expected = eager_grads(case, model)
    except ValueError:  # a loss refuses an output (a saturated sigmoid): not this test's case
        return
    model.zero_grad()
    step = trace(
        lambda x, y: case.loss_fn(case.prediction(model, model(x)), y),
        model.parameters(),
        backend="numpy",
    )
    seeds = _batch_seeds(len(case.xs))
    # twice: the first call records the examples' paths (a loss that branches on each label
    # has several), the second runs every path's array program on its examples
    for _ in range(2):
        model.zero_grad()
        losses = step.batch(list(zip(case.xs, case.ys, strict=True)), seeds)
        close([p.grad for p in model.parameters()], expected)
        total = batch_loss(lambda v, _: v, [Value(x) for x in losses], [None] * len(losses)).data
        assert math.isclose(total, c, rel_tol=1e-12, abs_tol=1e-300)


def test_the_program_is_the_vector_form_of_bp1_to_bp4() -> None:
    model = MLP(2, [16, 16, 1], activation="tanh", output_activation="linear", seed=0)
    step = trace(
        lambda x, y: mse(model(x), y),
        model.parameters(),
        describe=backprop_notes(model),
        backend="numpy",
    )
    xs, ys = moons(8)
    step.batch([(x, [float(y)]) for x, y in zip(xs, ys, strict=True)])
    source = step.vector_source
    # each layer one matrix product over the batch, and its activation one array op
    for line in ("z_2 = a_1 @ w_2.T + b_2", "z_3 = a_2 @ w_3.T + b_3", "a_3 = _tanh(z_3)"):
        assert line in source, source
    assert "a_1 = _X[:, 0:2]" in source  # the network's input, a¹
    # BP2 as a matrix product and a Hadamard product, BP3 and BP4 over the batch
    assert "g_a_2 = delta_3 @ w_3  # (w³)ᵀ δ³, one row per example" in source
    bp2 = "# layer 3: δ³ = ((w⁴)ᵀ δ⁴) ⊙ σ′(z³) (BP2); ∂C/∂b³ = δ³ (BP3); ∂C/∂w³ = δ³ (a²)ᵀ (BP4)"
    assert bp2 in source
    assert "# layer 4: δ⁴ = ∇ₐ C ⊙ σ′(z⁴) (BP1);" in source
    assert "delta_2 = g_a_2 * (1.0 - (a_2 * a_2))  # BP2" in source
    # an MLP's weights run on in the parameter list: read and added as views of a slice
    assert "w_3 = _data[w_3_index].reshape(16, 16)" in source
    assert "g_w_3 = _grad[w_3_index].reshape(16, 16)" in source
    assert "g_w_3 += delta_3.T @ a_2  # BP4" in source
    assert "_grad[b_3_index] += delta_3.sum(axis=0)  # BP3" in source
    assert "delta_4[:, 0] += g_v  # BP1" in source
    assert "(BP2)" in source and "(BP1)" in source
    # the program's size does not depend on the batch's
    step.batch([(x, [float(y)]) for x, y in zip(*moons(64), strict=True)])
    assert step.vector_source == source


@pytest.mark.parametrize(
    ("key", "lines"),
    [
        # Ng: the input is layer 0, δ is dz^[l], the activation function g
        (
            "ng",
            [
                "a_0 = _X[:, 0:2]",
                "z_1 = a_0 @ w_1.T + b_1",
                "dz_1 = da_1 * (a_1 * (1.0 - a_1))  # BP2",
                "da_1 = dz_2 @ w_2  # (w^[2])ᵀ dz^[2], one row per example",
                "# layer 1: dz^[1] = ((w^[2])ᵀ dz^[2]) ⊙ g′(z^[1]) (BP2); db^[1] = dz^[1] (BP3); "
                "dw^[1] = dz^[1] (a^[0])ᵀ (BP4)",
                "# the cost L of this example",
            ],
        ),
        # Goodfellow: a is the pre-activation, h the activation, g the gradient on a
        (
            "goodfellow",
            [
                "h_0 = _X[:, 0:2]",
                "a_1 = h_0 @ w_1.T + b_1",
                "h_1 = _sigmoid(a_1)",
                "g_1 = g_h_1 * (h_1 * (1.0 - h_1))  # BP2",
                "# layer 1: a⁽¹⁾ = w⁽¹⁾ h⁽⁰⁾ + b⁽¹⁾, then h⁽¹⁾ = f(a⁽¹⁾)",
            ],
        ),
        # LFD: s and x, weights w_ij from node i to node j, so BP2 multiplies by w as it is
        (
            "lfd",
            [
                "x_0 = _X[:, 0:2]",
                "s_1 = x_0 @ w_1.T + b_1",
                "# layer 1: δ⁽¹⁾ = (w⁽²⁾ δ⁽²⁾) ⊙ θ′(s⁽¹⁾) (BP2);",
                "∂e/∂w⁽¹⁾ = x⁽⁰⁾ (δ⁽¹⁾)ᵀ (BP4)",
            ],
        ),
    ],
)
def test_the_program_is_written_in_the_active_notation(key: str, lines: list[str]) -> None:
    with notation.using(key):
        model = MLP(2, [3, 1], activation="sigmoid", seed=0)
        step = trace(
            lambda x, y: mse(model(x), y),
            model.parameters(),
            describe=backprop_notes(model),
            backend="numpy",
        )
        step.batch([([0.1, 0.2], [1.0]), ([0.3, -0.2], [0.0])])
    source = step.vector_source
    for line in lines:
        assert line in source, source
    assert "delta" not in source or key == "lfd"  # no Nielsen name left behind
    assert "σ" not in source and "BP" in source


def test_the_notes_notation_can_be_named() -> None:
    model = MLP(2, [3, 1], activation="sigmoid", seed=0)
    step = trace(
        lambda x, y: mse(model(x), y),
        model.parameters(),
        describe=backprop_notes(model, notation="ng"),
        backend="numpy",
    )
    step.batch([([0.1, 0.2], [1.0])])
    assert "# layer 2: dz^[2] = da^[2] ⊙ g′(z^[2]) (BP1)" in step.vector_source
    with pytest.raises(ValueError, match="notation"):
        backprop_notes(model, notation="no-such-course")


def assert_eager_gradients(fn: Any, params: list[Value], xs: list[list[float]]) -> None:
    """The gradients the traced batch left in params equal the eager engine's, example by
    example, to rounding."""
    traced = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    for x in xs:
        fn([Value(c) for c in x]).backward()
    close(traced, [p.grad for p in params])


def test_a_hand_built_layer_is_grouped_too() -> None:
    # no nn: three linear nodes over one input vector, tanh over each, a sum of squares
    w = [[Value(0.1 * (j + 1) * (k - 1), f"w{j}{k}") for k in range(3)] for j in range(3)]
    b = [Value(0.05 * j, f"b{j}") for j in range(3)]
    params = [p for row in w for p in row] + b

    def fn(x: list[Value]) -> Value:
        hidden = [linear(w[j], x, b[j]).tanh() for j in range(3)]
        return sum((h * h for h in hidden), Value(0.0))

    step = trace(fn, params, backend="numpy")
    xs = [[0.3, -0.2, 0.9], [-0.5, 0.4, 0.1]]
    step.batch([(x,) for x in xs])
    assert "@" in step.vector_source and "_tanh(Z0)" in step.vector_source
    assert_eager_gradients(fn, params, xs)


@pytest.mark.parametrize("bias", [0.0, 0.25])
def test_a_hand_built_layer_without_bias_parameters_is_grouped(bias: float) -> None:
    # linear(w, x, <a number>): the bias is a constant vector in the program, with no gradient
    w = [[Value(0.2 * (j + 1) - 0.1 * k, f"w{j}{k}") for k in range(2)] for j in range(3)]
    v = [Value(0.3 - 0.2 * j, f"v{j}") for j in range(3)]
    params = [p for row in w for p in row] + v

    def fn(x: list[Value]) -> Value:
        hidden = [linear(w[j], x, bias).tanh() for j in range(3)]
        return linear(v, hidden, bias) ** 2

    step = trace(fn, params, backend="numpy")
    xs = [[0.3, -0.2], [-0.5, 0.4], [0.9, 0.1]]
    step.batch([(x,) for x in xs])
    source = step.vector_source
    assert source.count(" @ ") >= 3, source  # both layers matrix products, forward and back
    assert "_tanh(Z0)" in source and "_grad[b_" not in source
    assert_eager_gradients(fn, params, xs)


def test_a_micrograd_style_network_is_grouped_into_matrix_products() -> None:
    # neurons written as micrograd writes them, sum((w_k * x_k ...), b) from + and *, with no
    # autograd.linear: each layer is still one matrix product, forward and backward
    import itertools
    import random

    rng = random.Random(0)
    sizes = [2, 5, 4, 1]
    layers = [
        [
            ([Value(rng.uniform(-1, 1)) for _ in range(m)], Value(rng.uniform(-1, 1)))
            for _ in range(n)
        ]
        for m, n in itertools.pairwise(sizes)
    ]
    params = [p for layer in layers for w, b in layer for p in [*w, b]]

    def fn(x: list[Value]) -> Value:
        for k, layer in enumerate(layers):
            z = [sum((wi * xi for wi, xi in zip(w, x, strict=True)), b) for w, b in layer]
            x = [zj.tanh() for zj in z] if k < len(layers) - 1 else z
        return (x[0] - 0.5) ** 2

    step = trace(fn, params, backend="numpy")
    xs = [[rng.uniform(-1, 1) for _ in range(2)] for _ in range(6)]
    step.batch([(x,) for x in xs])
    source = step.vector_source
    assert source.count(" @ ") == 3 + 3 + 2, source  # forward, ∂C/∂W, and δ passed back
    assert "_data[0] *" not in source  # no product of one weight on its own
    assert_eager_gradients(fn, params, xs)


def test_expanded_neurons_give_the_program_of_linear_ones() -> None:
    # MLP(expand=True) builds z from + and * nodes; its program is the same array code
    sources = []
    for expand in (False, True):
        model = MLP(
            2, [4, 3, 1], activation="tanh", output_activation="linear", seed=0, expand=expand
        )
        step = trace(
            lambda x, y: mse(model(x), y),  # noqa: B023
            model.parameters(),
            describe=backprop_notes(model),
            backend="numpy",
        )
        xs = [[0.1, 0.2], [0.3, -0.5], [0.9, 0.4]]
        step.batch([(x, [0.5]) for x in xs])
        sources.append(step.vector_source)
        assert_eager_gradients(lambda x: mse(model(x), [0.5]), model.parameters(), xs)  # noqa: B023
    assert sources[1] == sources[0]
    assert "z_3 = a_2 @ w_3.T + b_3" in sources[1]


def test_the_values_hold_each_epochs_parameters_while_training(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # what another reader of the model sees during a numpy fit: the parameters of the last
    # epoch's end, the same as a run of that many epochs leaves
    from nn import train

    xs, ys = moons(32)
    seen: list[list[float]] = []

    class Bar:  # fit's progress bar, called after every step: it reads the model
        def __enter__(self) -> Bar:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def set_postfix(self, **_: object) -> None:
            seen.append([p.data for p in model.parameters()])

        def update(self) -> None:
            return None

    def run(epochs: int) -> list[float]:
        m = MLP(2, [4, 1], activation="tanh", output_activation="linear", seed=0)
        fit(m, xs, ys, mse, SGD(m.parameters(), lr=0.1), epochs, 8, backend="numpy")
        return [p.data for p in m.parameters()]

    after_one, after_two = run(1), run(2)
    monkeypatch.setattr(train, "_progress_bar", lambda *_: Bar())
    model = MLP(2, [4, 1], activation="tanh", output_activation="linear", seed=0)
    fit(model, xs, ys, mse, SGD(model.parameters(), lr=0.1), 3, 8, backend="numpy")
    assert len(seen) == 12
    assert seen[4] == seen[7] == after_one  # epoch 2's steps: the Values hold epoch 1's end
    assert seen[8] == after_two
    assert seen[4] != seen[3]


def test_fit_with_the_numpy_backend_follows_the_python_one() -> None:
    xs, ys = moons(64)
    runs = []
    for backend in ("python", "numpy"):
        model = MLP(2, [8, 8, 1], activation="tanh", output_activation="linear", seed=0)
        history = fit(model, xs, ys, mse, SGD(model.parameters(), lr=0.1), 5, 16, backend=backend)
        runs.append((history, [p.data for p in model.parameters()]))
    (h_py, p_py), (h_np, p_np) = runs
    close(h_np, h_py)
    close(p_np, p_py)
    assert h_np[-1] < h_np[0]


def python_program_off(step: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every recorded Python program of step fail if it runs: only arrays may."""

    def boom(*_: Any) -> list[float]:
        raise AssertionError("the batch ran as the Python program")

    for entry in step._programs.values():
        monkeypatch.setattr(entry.program, "function", boom)


def test_a_branch_that_differs_between_examples_runs_each_path_as_arrays(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a branch in the function on a value is a path per side; once both are recorded, a batch
    # that mixes them runs as arrays, each path's program on the examples that take it
    from autograd import branch

    p = Value(0.5, "p")

    def fn(x: Value) -> Value:
        return x * p if branch(x, ">", 0.0) else x * x * p

    step = trace(fn, [p], backend="numpy")
    assert step.batch([(1.0,), (-2.0,), (3.0,)]) == [0.5, 2.0, 1.5]  # records both paths
    assert p.grad == 1.0 + 4.0 + 3.0
    p.grad = 0.0
    python_program_off(step, monkeypatch)
    losses = step.batch([(2.0,), (-1.0,), (-3.0,), (0.5,), (-0.5,)])
    assert losses == [1.0, 0.5, 4.5, 0.25, 0.125]  # x p or x² p, by hand, in the batch's order
    assert p.grad == 2.0 + 1.0 + 9.0 + 0.5 + 0.25
    source = step.vector_source
    assert "# path 1 of 2" in source and "# path 2 of 2" in source and "def _fits" in source
    # a batch on one side only runs its one path
    p.grad = 0.0
    assert step.batch([(-1.0,), (-2.0,)]) == [0.5, 2.0] and p.grad == 5.0


def test_binary_cross_entropys_paths_are_told_apart_by_the_label_alone() -> None:
    # the paths differ first at the label's test (y = 1 or y = 0): _fits reads that column and
    # computes nothing of the network; the checks they share are left to each path's _step
    from nn.losses import binary_cross_entropy

    model = MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=0)
    step = trace(
        lambda x, y: binary_cross_entropy(model(x), y), model.parameters(), backend="numpy"
    )
    batch = [([0.1, 0.2], [1.0]), ([0.3, 0.1], [0.0]), ([-0.5, 0.4], [1.0])]
    step.batch(batch)
    step.batch(batch)
    source = step.vector_source
    fits = source[source.index("def _fits") : source.index("def _step")]
    assert " @ " not in fits and "_tanh" not in fits, fits
    assert "(_X[:, 2] == 1.0)" in fits
    model.zero_grad()
    step.batch(batch)
    assert_eager_gradients(
        lambda x: binary_cross_entropy(model(x[:2]), [x[2].data]),
        model.parameters(),
        [[*x, *y] for x, y in batch],
    )


def test_an_example_on_a_path_not_recorded_yet_is_recorded() -> None:
    from autograd import branch

    p = Value(2.0, "p")

    def fn(x: Value) -> Value:
        if branch(x, ">", 1.0):
            return x * p
        if branch(x, ">", -1.0):
            return x * x * p
        return p * 3.0

    step = trace(fn, [p], backend="numpy")
    step.batch([(2.0,), (0.5,)])  # two paths recorded
    p.grad = 0.0
    # the third path is met in a batch with the other two: recorded, and every number right
    assert step.batch([(3.0,), (-4.0,), (0.0,)]) == [6.0, 6.0, 0.0]
    assert p.grad == 3.0 + 3.0 + 0.0
    assert "# path 3 of 3" in step.vector_source
    p.grad = 0.0
    assert step.batch([(-5.0,), (2.0,), (0.5,)]) == [6.0, 4.0, 0.5]
    assert p.grad == 3.0 + 2.0 + 0.25


@pytest.mark.parametrize(
    ("cost", "output"),
    [
        ("binary_cross_entropy", "sigmoid"),
        ("binary_cross_entropy_with_logits", "linear"),
        ("hinge", "linear"),
    ],
)
def test_losses_that_branch_per_example_train_in_arrays(
    cost: str, output: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # labels of both classes in every batch: each example's loss takes the branch of its label
    # (or of its logit's sign); fit runs every step in arrays once the paths are recorded
    from nn import losses
    from nn.train import _Arrays

    xs, ys = moons(64)
    if cost == "hinge":
        ys = [2.0 * y - 1.0 for y in ys]

    def train(backend: str) -> tuple[list[float], list[float]]:
        model = MLP(2, [8, 8, 1], activation="tanh", output_activation=output, seed=0)
        opt = SGD(model.parameters(), lr=0.1)
        history = fit(model, xs, ys, getattr(losses, cost), opt, 6, 16, backend=backend)
        return history, [p.data for p in model.parameters()]

    h_py, p_py = train("python")
    arrays: list[bool] = []  # whether each step of the numpy run ran in arrays
    batch = _Arrays.batch

    def counted(self: Any, rows: list[int]) -> float | None:
        done = batch(self, rows)
        arrays.append(done is not None)
        return done

    monkeypatch.setattr(_Arrays, "batch", counted)
    h_np, p_np = train("numpy")
    close(h_np, h_py)
    close(p_np, p_py)
    assert len(arrays) == 24 and all(arrays[4:]), arrays  # arrays from the second epoch on


def test_bad_backends_and_numpy_missing_are_said_plainly() -> None:
    with pytest.raises(ValueError, match="backend must be one of 'python', 'numpy'"):
        trace(lambda x: x, [], backend="torch")
    model = MLP(1, [1], seed=0)
    with pytest.raises(ValueError, match="backend must be 'python' or 'numpy'"):
        fit(model, [[0.0]], [0.0], mse, SGD(model.parameters(), lr=0.1), 1, backend="fast")
    code = (
        "import sys; sys.modules['numpy'] = None\n"
        "import autograd, nn, nn.train\n"
        "try:\n"
        "    autograd.trace(lambda x: x, [], backend='numpy')\n"
        "except ImportError as e:\n"
        "    print(e)\n"
        "from nn import MLP, optim, losses\n"
        "m = MLP(1, [1], seed=0)\n"
        "try:\n"
        "    nn.train.fit(m, [[0.0]], [0.0], losses.mse, optim.SGD(m.parameters(), 0.1), 1,\n"
        "                 backend='numpy', progress=False)\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    said = done.stdout.splitlines()
    assert said[0].startswith("trace(..., backend='numpy') needs numpy"), said
    assert said[1].startswith("fit(..., backend='numpy') needs numpy"), said  # fit's own words
    assert all("pip install 'deltagrad[fast]'" in line for line in said)


def test_an_optimizer_whose_step_adds_to_the_rule_is_not_bypassed() -> None:
    # a subclass that clips the gradients in step(): the arrays, which apply update() alone,
    # would skip the clipping; fit runs its step() on the Values instead
    class Clipped(SGD):
        def step(self) -> None:
            for p in self.params:
                p.grad = max(-0.01, min(0.01, p.grad))
            super().step()

    xs, ys = moons(32, seed=1)
    runs = []
    for backend in ("python", "numpy"):
        model = MLP(2, [5, 1], activation="tanh", output_activation="linear", seed=3)
        fit(model, xs, ys, mse, Clipped(model.parameters(), lr=0.5), 3, 8, backend=backend,
            progress=False)  # fmt: skip
        runs.append([p.data for p in model.parameters()])
    assert max(abs(a - b) for a, b in zip(*runs, strict=True)) < 1e-12


def run_fit(backend: str, optimizer: str, **options: Any) -> tuple[list[float], MLP, Any]:
    from nn.optim import Adam

    xs, ys = moons(48, seed=1)
    model = MLP(2, [6, 5, 1], activation="tanh", output_activation="linear", seed=3)
    params = model.parameters()
    opt: Any = (
        SGD(params, lr=0.05, momentum=0.9, weight_decay=1e-3)
        if optimizer == "sgd"
        else Adam(params, lr=0.01, weight_decay=1e-3)
    )
    history = fit(model, xs, ys, mse, opt, 6, 16, backend=backend, **options)
    return history, model, opt


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_the_parameters_and_the_optimizer_live_in_arrays_and_come_back(optimizer: str) -> None:
    # the arrays run the optimizer's own update() rule: parameters, their last gradients and
    # the optimizer's state (velocities; moments and t) end as the Python backend leaves them
    h_py, m_py, o_py = run_fit("python", optimizer)
    h_np, m_np, o_np = run_fit("numpy", optimizer)
    close(h_np, h_py)
    close([p.data for p in m_np.parameters()], [p.data for p in m_py.parameters()])
    close([p.grad for p in m_np.parameters()], [p.grad for p in m_py.parameters()])
    for kept_np, kept_py in zip(o_np.state(), o_py.state(), strict=True):
        assert all(isinstance(x, float) for x in kept_np)  # lists of floats again, not arrays
        close(kept_np, kept_py)
    if optimizer == "adam":
        assert o_np.t == o_py.t == len(h_py)
    # and training on continues from there as it would have
    more_np = fit(m_np, *moons(48, seed=1), mse, o_np, 2, 16, backend="python")
    more_py = fit(m_py, *moons(48, seed=1), mse, o_py, 2, 16, backend="python")
    close(more_np, more_py)


def test_recorded_steps_run_on_the_values_between_array_steps() -> None:
    from nn.record import Recorder

    kept_py, kept_np = Recorder(every=4), Recorder(every=4)
    h_py, m_py, _ = run_fit("python", "sgd", record=kept_py)
    h_np, m_np, _ = run_fit("numpy", "sgd", record=kept_np)
    close(h_np, h_py)
    close([p.data for p in m_np.parameters()], [p.data for p in m_py.parameters()])
    assert [s["step"] for s in kept_np.steps] == [s["step"] for s in kept_py.steps]
    assert len(kept_np.steps) > 2
    for a, b in zip(kept_np.steps, kept_py.steps, strict=True):
        for key in ("w", "b", "grad_w", "grad_b"):  # the Values were up to date at each record
            close(flatten_numbers(a[key]), flatten_numbers(b[key]))


def test_a_diverging_run_leaves_the_values_of_its_last_step() -> None:
    from nn.train import TrainingDiverged

    xs, ys = moons(32, seed=2)
    ends = []
    for backend in ("python", "numpy"):
        model = MLP(2, [4, 1], activation="tanh", output_activation="linear", seed=0)
        with pytest.raises(TrainingDiverged) as stop:
            fit(
                model,
                xs,
                [10.0**150 * y for y in ys],
                mse,
                SGD(model.parameters(), lr=1e5),
                20,
                8,
                backend=backend,
            )
        ends.append((stop.value.history, [p.data for p in model.parameters()]))
    (h_py, p_py), (h_np, p_np) = ends
    assert len(h_np) == len(h_py)
    close(p_np, p_py)
