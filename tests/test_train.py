"""nn.train: fit() on small problems, its batching, shuffling and progress bar, and accuracy()."""

import io
import math
from typing import Any

import pytest

from autograd import Value
from nn.compare import compare
from nn.data import moons, xor
from nn.losses import batch_loss, binary_cross_entropy, cross_entropy, half_mse, hinge, mse
from nn.module import MLP
from nn.optim import SGD, Adam
from nn.train import accuracy, fit, predict_class


class Recorder:
    """A one-weight model a = w x_0 that records the index x_1 of every example it sees."""

    def __init__(self) -> None:
        self.w = Value(0.5, "w")
        self.seen: list[int] = []

    def __call__(self, x: list[float]) -> list[Value]:
        self.seen.append(int(x[1]))
        return [self.w * x[0]]


def recorder_data(n: int) -> tuple[list[list[float]], list[float]]:
    # y = 2 x: the fitted weight should move towards 2
    xs = [[(i + 1) / n, float(i)] for i in range(n)]
    return xs, [2.0 * x[0] for x in xs]


# ------------------------------------------------------------------------------ learning
def test_fit_learns_xor() -> None:
    xs, ys = xor()
    model = MLP(2, [4, 1], seed=0)
    history = fit(model, xs, ys, mse, Adam(model.parameters(), lr=0.05), epochs=200)
    assert len(history) == 200
    assert history[0] > 0.2  # a random net is no better than guessing 0.5
    assert history[-1] < 1e-3
    assert accuracy(model, xs, ys, decide=lambda a: int(a[0].data > 0.5)) == 1.0


def test_fit_learns_xor_with_cross_entropy_and_class_indices() -> None:
    # cross_entropy takes the int class index as is; fit must not wrap it as [y]
    xs, ys = xor()
    model = MLP(2, [4, 2], seed=1)
    history = fit(model, xs, ys, cross_entropy, Adam(model.parameters(), lr=0.05), epochs=150)
    assert history[-1] < 0.05 * history[0]
    assert accuracy(model, xs, ys) == 1.0


def test_fit_with_minibatches_and_momentum_decreases_the_loss() -> None:
    xs, ys = xor(n=8)
    model = MLP(2, [4, 1], seed=0)
    opt = SGD(model.parameters(), lr=0.05, momentum=0.9)
    history = fit(model, xs, ys, mse, opt, epochs=150, batch_size=2, seed=3)
    assert len(history) == 150 * 4
    first, last = sum(history[:20]) / 20, sum(history[-20:]) / 20
    assert first > 0.2
    assert last < 1e-3


def test_history_holds_the_batch_loss_before_each_step() -> None:
    xs, ys = xor()
    model = MLP(2, [3, 1], seed=2)
    before = batch_loss(half_mse, [model(x) for x in xs], [[y] for y in ys]).data
    history = fit(model, xs, ys, half_mse, SGD(model.parameters(), lr=0.1), epochs=2)
    assert history[0] == pytest.approx(before, rel=1e-12)
    after = batch_loss(half_mse, [model(x) for x in xs], [[y] for y in ys]).data
    assert history[1] != pytest.approx(after)  # the second entry is not the final loss either
    assert after < history[1] < history[0]


def test_plain_number_targets_are_wrapped_for_vector_losses() -> None:
    xs, ys = xor()
    runs = []
    for targets in (ys, [[y] for y in ys]):
        model = MLP(2, [3, 1], seed=4)
        runs.append(fit(model, xs, targets, mse, SGD(model.parameters(), lr=0.1), epochs=3))
    assert runs[0] == runs[1]
    # ±1 labels for hinge go through the same way
    model = MLP(2, [3, 1], seed=4)
    labels = [2 * y - 1 for y in ys]
    history = fit(model, xs, labels, hinge, SGD(model.parameters(), lr=0.1), epochs=2)
    assert all(math.isfinite(c) for c in history)


# ------------------------------------------------------------------------------ batching
@pytest.mark.parametrize(
    ("n", "batch_size", "steps"),
    [(10, 3, 4), (10, None, 1), (10, 10, 1), (10, 50, 1), (7, 1, 7), (8, 4, 2)],
)
def test_history_has_one_entry_per_step(n: int, batch_size: int | None, steps: int) -> None:
    xs, ys = recorder_data(n)
    model = Recorder()
    history = fit(model, xs, ys, mse, SGD([model.w], lr=0.01), epochs=3, batch_size=batch_size)
    assert len(history) == 3 * steps
    assert len(model.seen) == 3 * n  # every example once per epoch


def test_every_epoch_visits_every_example_once_in_a_shuffled_order() -> None:
    n, epochs = 12, 4
    xs, ys = recorder_data(n)
    model = Recorder()
    fit(model, xs, ys, mse, SGD([model.w], lr=0.01), epochs=epochs, batch_size=5, seed=7)
    orders = [model.seen[e * n : (e + 1) * n] for e in range(epochs)]
    for order in orders:
        assert sorted(order) == list(range(n))
    assert len({tuple(order) for order in orders}) > 1  # reshuffled each epoch
    assert orders[0] != list(range(n))


def test_the_seed_fixes_the_run() -> None:
    xs, ys = recorder_data(12)
    runs = {}
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        model = Recorder()
        history = fit(model, xs, ys, mse, SGD([model.w], lr=0.1), epochs=3, batch_size=4, seed=seed)
        runs[name] = (model.seen, history, model.w.data)
    assert runs["a"] == runs["b"]
    assert runs["a"][0] != runs["c"][0]
    assert runs["a"][1] != runs["c"][1]


def test_fit_moves_the_weight_towards_the_solution() -> None:
    xs, ys = recorder_data(8)
    model = Recorder()
    fit(model, xs, ys, mse, SGD([model.w], lr=0.5), epochs=60, batch_size=3)
    assert model.w.data == pytest.approx(2.0, abs=1e-3)


# ------------------------------------------------------------------------------ progress bar
def quick_fit(progress: bool | None) -> None:
    xs, ys = recorder_data(4)
    model = Recorder()
    fit(model, xs, ys, mse, SGD([model.w], lr=0.1), epochs=2, progress=progress)


@pytest.mark.parametrize("progress", [None, False])
def test_no_progress_bar_when_stderr_is_not_a_terminal(
    progress: bool | None, capsys: pytest.CaptureFixture[str]
) -> None:
    quick_fit(progress)
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out == ""


def test_progress_true_forces_the_bar_with_the_loss(capsys: pytest.CaptureFixture[str]) -> None:
    quick_fit(True)
    err = capsys.readouterr().err
    assert "loss=" in err
    assert "2/2" in err


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("progress", "shown"), [(None, True), (False, False)])
def test_the_bar_appears_on_a_terminal_unless_switched_off(
    progress: bool | None, shown: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = FakeTerminal()
    monkeypatch.setattr("sys.stderr", terminal)
    quick_fit(progress)
    assert ("loss=" in terminal.getvalue()) is shown


# ------------------------------------------------------------------------------ accuracy
def constant_model(outputs: list[float]) -> Any:
    return lambda x: [Value(v) for v in outputs]


def test_predict_class_default_rule() -> None:
    assert predict_class([Value(0.3)]) == 1
    assert predict_class([Value(-0.3)]) == 0
    assert predict_class(Value(0.0)) == 0  # threshold: strictly greater than 0
    assert predict_class([Value(0.1), Value(2.0), Value(-1.0)]) == 1
    assert predict_class([Value(2.0), Value(2.0)]) == 0  # the first maximum on a tie


def test_accuracy_counts_the_examples_whose_class_matches() -> None:
    model = lambda x: [Value(x[0])]  # noqa: E731 - the prediction is the input itself
    xs = [[0.5], [-0.5], [2.0], [-1.0]]
    assert accuracy(model, xs, [1, 0, 0, 0]) == 0.75
    assert accuracy(model, xs, [[1.0], [0.0], [1.0], [1.0]]) == 0.75
    # ±1 labels: −1 counts as class 0
    assert accuracy(model, xs, [1, -1, 1, -1]) == 1.0
    # a custom rule (a sigmoid-style threshold at 0.5)
    assert accuracy(model, xs, [1, 0, 1, 0], decide=lambda a: int(a[0].data > 1.0)) == 0.75


def test_accuracy_with_several_outputs_takes_the_argmax() -> None:
    model = constant_model([0.1, 0.7, 0.2])
    assert accuracy(model, [[0.0]] * 3, [1, 1, 2]) == pytest.approx(2 / 3)
    assert accuracy(model, [[0.0]] * 2, [[0, 1, 0], [1, 0, 0]]) == 0.5  # one-hot targets


def test_accuracy_builds_no_graph() -> None:
    made: list[Value] = []
    w = Value(1.0)

    def model(x: list[float]) -> list[Value]:
        out = w * x[0]
        made.append(out)
        return [out]

    accuracy(model, [[1.0], [2.0]], [1, 1])
    assert all(out.is_leaf for out in made)


# ------------------------------------------------------------------------------ errors
def test_fit_errors() -> None:
    xs, ys = recorder_data(4)
    model = Recorder()
    opt = SGD([model.w], lr=0.1)
    with pytest.raises(ValueError, match=r"^fit: got 4 inputs but 3 targets; pass one target"):
        fit(model, xs, ys[:3], mse, opt, epochs=1)
    with pytest.raises(ValueError, match=r"^fit: got no examples"):
        fit(model, [], [], mse, opt, epochs=1)
    for epochs in (0, -1):
        with pytest.raises(ValueError, match=rf"^fit: epochs must be at least 1, got {epochs}"):
            fit(model, xs, ys, mse, opt, epochs=epochs)
    with pytest.raises(ValueError, match=r"^fit: epochs must be an int >= 1, got float 2.0"):
        fit(model, xs, ys, mse, opt, epochs=2.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^fit: batch_size must be at least 1, got 0"):
        fit(model, xs, ys, mse, opt, epochs=1, batch_size=0)
    with pytest.raises(ValueError, match=r"^fit: batch_size must be an int >= 1, got bool True"):
        fit(model, xs, ys, mse, opt, epochs=1, batch_size=True)
    with pytest.raises(TypeError, match=r"^fit: optimizer must have a zero_grad\(\) method"):
        fit(model, xs, ys, mse, [model.w], epochs=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^fit: model must be callable as model\(x\), got list"):
        fit([], xs, ys, mse, opt, epochs=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^fit: progress must be True, False or None, got 'yes'"):
        fit(model, xs, ys, mse, opt, epochs=1, progress="yes")  # type: ignore[arg-type]
    assert model.seen == []  # every check runs before the first step


def test_fit_passes_on_a_diverging_run_as_an_error() -> None:
    # a huge learning rate blows the weight up until (a − y)² overflows; fit stops with the
    # engine's sentence rather than training on inf or NaN
    xs, ys = recorder_data(4)
    model = Recorder()
    with pytest.raises(FloatingPointError, match=r"^fit: the loss is inf at step \d+ \(epoch") as e:
        fit(model, xs, ys, mse, SGD([model.w], lr=1e6), epochs=50)
    history = e.value.history  # type: ignore[attr-defined]
    assert history and all(math.isfinite(c) for c in history)


def test_accuracy_and_predict_class_errors() -> None:
    with pytest.raises(ValueError, match=r"^accuracy: got 2 inputs but 1 target;"):
        accuracy(constant_model([1.0]), [[0.0], [1.0]], [1])
    with pytest.raises(ValueError, match=r"^accuracy: got no examples"):
        accuracy(constant_model([1.0]), [], [])
    with pytest.raises(ValueError, match=r"^predict_class: got no outputs"):
        predict_class([])


def test_fit_with_a_softmax_output_trains_on_the_logits() -> None:
    from nn import closed_form
    from nn.compare import weights_of

    xs = [[0.0, 0.0], [1.0, 1.0], [0.0, 1.0]]
    ys = [0, 1, 2]
    model = MLP(2, [4, 3], output_activation="softmax", seed=0)
    history = fit(model, xs, ys, cross_entropy, SGD(model.parameters(), lr=0.5), epochs=30)
    # the first loss is the mean of −ln softmax(z)_c: the logits' cross-entropy, not twice applied
    fresh = MLP(2, [4, 3], output_activation="softmax", seed=0)
    w, b, acts = weights_of(fresh)
    expected = closed_form.backprop_batch(w, b, acts, xs, ys, "cross_entropy").cost
    assert history[0] == pytest.approx(expected, rel=1e-12)
    assert history[-1] < history[0]


def test_cross_entropy_refuses_softmax_outputs() -> None:
    model = MLP(2, [3], output_activation="softmax", seed=1)
    probs = model([0.5, -1.0])
    with pytest.raises(ValueError, match=r"outputs of a softmax.*model.layers\[-1\].z"):
        cross_entropy(probs, 1)
    assert cross_entropy(model.layers[-1].z, 1).data > 0


def _saturated_sigmoid_net() -> tuple[MLP, list[list[float]], list[float]]:
    """A sigmoid output with |z| ≫ 37 on most examples: σ(z) rounds to exactly 0 or 1."""
    xs, labels = moons(12, seed=2)
    net = MLP(2, [4, 1], activation="tanh", output_activation="sigmoid", seed=0)
    last = net.layers[-1].neurons[0]
    for w in last.w:
        w.data = 100.0  # the hidden tanh outputs are in (−1, 1): z reaches ±400
    last.b.data = 0.0
    return net, xs, [float(y) for y in labels]


def test_binary_cross_entropy_trains_10000_steps_past_saturation() -> None:
    # a saturated sigmoid used to end training with a ValueError from ln 0 (the README's own
    # example, trained 3,200 epochs, lost its history so); each log is now clamped at −100 as
    # in PyTorch's BCELoss, so C stays finite and the examples still inside (0, 1) keep learning
    net, xs, ys = _saturated_sigmoid_net()
    p = [net(x)[0].data for x in xs]
    wrong = [(p_i, y) for p_i, y in zip(p, ys, strict=True) if p_i == 1.0 - y]
    assert wrong and any(0.0 < p_i < 1.0 for p_i in p)  # 1 − p is exactly 0 for y = 0

    def by_hand(net: MLP) -> float:  # the batch cost, each log max(ln v, −100)
        def log(v: float) -> float:
            return max(math.log(v), -100.0) if v > 0.0 else -100.0

        p = [net(x)[0].data for x in xs]
        terms = [
            -(y * log(p_i) if y else 0.0) - ((1 - y) * log(1 - p_i) if y < 1 else 0.0)
            for p_i, y in zip(p, ys, strict=True)
        ]
        return sum(terms) / len(terms)

    start = by_hand(net)
    history = fit(net, xs, ys, binary_cross_entropy, SGD(net.parameters(), lr=0.1), 10_000)
    assert len(history) == 10_000 and all(math.isfinite(c) for c in history)
    assert history[0] == pytest.approx(start, rel=1e-12)
    end = batch_loss(binary_cross_entropy, [net(x) for x in xs], [[y] for y in ys]).data
    assert end == pytest.approx(by_hand(net), rel=1e-12)
    assert 1.0 in [net(x)[0].data for x in xs]  # still saturated after 10,000 steps


def test_a_saturated_binary_cross_entropy_step_matches_the_closed_form_and_eager() -> None:
    net, xs, ys = _saturated_sigmoid_net()
    targets = [[y] for y in ys]
    assert max(d.worst() for d in compare(net, xs, targets, "binary_cross_entropy")) < 1e-9
    runs = []
    for traced in (False, True):
        net, xs, ys = _saturated_sigmoid_net()
        fit(net, xs, ys, binary_cross_entropy, SGD(net.parameters(), lr=0.1), 5, trace=traced)
        runs.append([p.data for p in net.parameters()])
    assert runs[0] == runs[1]
