"""fit(..., record=Recorder(every=k)): the numbers of real training steps, exactly, as data."""

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn import MLP
from nn.closed_form import backprop_batch
from nn.data import moons
from nn.losses import binary_cross_entropy_with_logits, mse
from nn.optim import SGD, Adam
from nn.record import Recorder
from nn.train import fit


def run(
    steps: int, record: Recorder | None, batch_size: int | None = None
) -> tuple[MLP, list[float]]:
    xs, ys = moons(n=24, seed=1)
    model = MLP(2, [4, 3, 1], activation="tanh", seed=5)
    opt = Adam(model.parameters(), lr=0.05)
    history = fit(
        model,
        xs,
        ys,
        binary_cross_entropy_with_logits,
        opt,
        steps if batch_size is None else 2,
        batch_size=batch_size,
        record=record,
    )
    return model, history


def test_recording_leaves_the_run_exactly_as_without() -> None:
    plain, plain_history = run(13, None)
    recorder = Recorder(every=3)
    recorded, recorded_history = run(13, recorder)
    assert recorded_history == plain_history
    assert recorded.state_dict() == plain.state_dict()
    steps = [s["step"] for s in recorder.steps]
    assert steps == [0, 3, 6, 9, 12]
    for s in recorder.steps:
        assert s["loss"] == plain_history[s["step"]]  # the loss of that very step


def test_recorded_parameters_are_those_of_the_step_and_replay_it() -> None:
    recorder = Recorder(every=4)
    run(9, recorder)
    xs, ys = moons(n=24, seed=1)
    for s in recorder.steps:
        # the closed form BP1–BP4 on the recorded parameters gives the recorded gradients
        targets = [[float(y)] for y in ys]
        acts = ["tanh", "tanh", "linear"]
        cost = "binary_cross_entropy_with_logits"
        ref = backprop_batch(s["w"], s["b"], acts, xs, targets, cost)
        for li, layer in enumerate(ref.layers):
            for j in range(len(layer.grad_b)):
                assert s["grad_b"][li][j] == pytest.approx(layer.grad_b[j], rel=1e-9, abs=1e-12)
                for k in range(len(layer.grad_w[j])):
                    assert s["grad_w"][li][j][k] == pytest.approx(
                        layer.grad_w[j][k], rel=1e-9, abs=1e-12
                    )


def test_bp3_and_bp4_hold_in_the_recorded_numbers() -> None:
    recorder = Recorder(every=5)
    run(11, recorder)
    xs, _ = moons(n=24, seed=1)
    for s in recorder.steps:
        m = s["batch_size"]
        assert s["examples"] == list(range(m)) or sorted(s["examples"]) == list(range(m))
        for li in range(3):
            a_prev = (
                [[xs[i][k] for i in s["examples"]] for k in range(2)] if li == 0 else s["a"][li - 1]
            )
            for j, delta in enumerate(s["delta"][li]):
                # BP3: ∂C/∂b = mean δ; BP4: ∂C/∂w_jk = mean a_k δ_j
                assert math.fsum(delta) / m == pytest.approx(s["grad_b"][li][j], abs=1e-12)
                assert s["mean_delta"][li][j] == pytest.approx(s["grad_b"][li][j], abs=1e-12)
                for k, a_k in enumerate(a_prev):
                    bp4 = math.fsum(a * d for a, d in zip(a_k, delta, strict=True)) / m
                    assert bp4 == pytest.approx(s["grad_w"][li][j][k], abs=1e-12)


def test_recording_is_json_and_bounded_by_the_recorded_steps() -> None:
    short, long = Recorder(every=1000), Recorder(every=1000)
    run(4, short)
    run(60, long)
    assert [s["step"] for s in short.steps] == [0, 3]
    assert [s["step"] for s in long.steps] == [0, 59]
    size_short = len(json.dumps(short.data()))
    size_long = len(json.dumps(long.data()))
    assert abs(size_long - size_short) < 0.1 * size_short  # 15x the steps, the same size
    dense = Recorder(every=1)
    run(8, dense)
    assert len(json.dumps(dense.data())) > 3 * size_short  # grows with the recorded steps
    assert json.loads(json.dumps(dense.data())) == dense.data()


def test_chosen_examples_and_mini_batches() -> None:
    recorder = Recorder(every=1, examples=[0, 5, 23])
    run(0, recorder, batch_size=8)  # 2 epochs of 3 batches
    assert len(recorder.steps) == 6
    seen: set[int] = set()
    for s in recorder.steps:
        assert s["batch_size"] == 8 and set(s["examples"]) <= {0, 5, 23}
        assert all(len(row) == len(s["examples"]) for layer in s["z"] for row in layer)
        seen.update(s["examples"])
    assert seen == {0, 5, 23}


def test_output_error_factor_and_accuracy() -> None:
    xs, ys = moons(n=10, seed=2)
    model = MLP(2, [3, 1], activation="sigmoid", seed=0)
    recorder = Recorder(every=1)
    fit(model, xs, ys, mse, SGD(model.parameters(), lr=0.1), epochs=1, record=recorder)
    s = recorder.steps[0]
    # mse on one linear output: ∂C_x/∂a = 2 (a − y), and δ^L = ∂C_x/∂a · 1 (BP1)
    for e, i in enumerate(s["examples"]):
        a = s["a"][1][0][e]
        assert s["dC_da"][0][e] == pytest.approx(2 * (a - ys[i]), rel=1e-12)
        assert s["delta"][1][0][e] == pytest.approx(s["dC_da"][0][e], rel=1e-12)
    right = sum((s["a"][1][0][e] > 0) == (ys[i] == 1) for e, i in enumerate(s["examples"]))
    assert s["accuracy"] == right / 10


def test_the_recorded_accuracy_uses_the_models_decision_rule() -> None:
    # a sigmoid output is a probability: class 1 above 0.5 (every a is > 0, so the threshold 0
    # of a logit would call every example class 1)
    xs, ys = moons(n=40, seed=1)
    model = MLP(2, [4, 1], activation="tanh", output_activation="sigmoid", seed=0)
    recorder = Recorder(every=10)
    fit(model, xs, ys, mse, SGD(model.parameters(), lr=0.5), epochs=60, record=recorder)
    s = recorder.steps[-1]
    a = s["a"][1][0]
    assert all(v > 0.0 for v in a) and sorted(s["examples"]) == list(range(40))
    right = sum((a[e] > 0.5) == (ys[i] == 1) for e, i in enumerate(s["examples"]))
    assert s["accuracy"] == right / 40
    assert s["accuracy"] > 0.75 and s["accuracy"] != sum(ys) / 40
    # decide= still wins
    recorder = Recorder(every=1, decide=lambda out: 1)
    fit(model, xs, ys, mse, SGD(model.parameters(), lr=0.5), epochs=1, record=recorder)
    assert recorder.steps[0]["accuracy"] == sum(ys) / 40


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [({"every": 0}, "every must be an int >= 1"), ({"examples": [-1]}, "indices >= 0")],
)
def test_bad_recorder_arguments(kwargs: dict[str, object], needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        Recorder(**kwargs)  # type: ignore[arg-type]


def test_fit_rejects_a_non_recorder() -> None:
    xs, ys = moons(n=4, seed=0)
    model = MLP(2, [1])
    with pytest.raises(TypeError, match=r"record must be an nn\.record\.Recorder"):
        fit(model, xs, ys, mse, SGD(model.parameters(), lr=0.1), 1, record=[])  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(
    steps=st.integers(1, 5000),
    n=st.integers(1, 3000),
    neurons=st.integers(1, 300),
    budget=st.sampled_from([10_000, 3_500_000]),
    stopped=st.floats(0.0, 1.0),
)
def test_a_recorder_within_a_budget_holds_steps_spread_over_what_was_done(
    steps: int, n: int, neurons: int, budget: int, stopped: float
) -> None:
    recorder = Recorder.within(budget, steps, n, neurons)
    done = max(1, round(stopped * steps))  # the run may be stopped by Ctrl-C after `done` steps
    for s in range(done):  # what fit does: ask, and hold the step's record
        if recorder.wants(s, steps):
            recorder._hold({"step": s})
    held = [r["step"] for r in recorder.steps]
    keep = recorder.keep
    assert keep is not None and 5 <= keep <= 15
    # step 0 and the newest step recorded, less than one spacing before the last step done
    assert held[0] == 0 and done - 1 - held[-1] < recorder.every
    # evenly spread: every multiple of the spacing so far, and only those (and the newest)
    multiples = list(range(0, done, recorder.every))
    assert held[: len(multiples)] == multiples and len(held) <= len(multiples) + 1
    # never more than 2·keep + 1 held, and never fewer than keep + 1 once the run is long
    assert len(held) <= 2 * keep + 1
    assert len(held) >= min(done, keep + 1)
    kept = n if recorder.examples is None else len(recorder.examples)
    size = (
        min(2 * keep + 1, steps) * kept * neurons * 3 * 21
    )  # z, a, δ; about 21 bytes a number in JSON
    assert size <= budget or kept == 1  # one example is always kept
    if recorder.examples is not None:  # fewer examples only at the fewest steps held
        assert keep == 5
        assert recorder.examples == sorted(set(recorder.examples)) and 0 < kept < n
        assert recorder.examples[0] == 0 and (kept == 1 or recorder.examples[-1] == n - 1)


def test_a_run_stopped_by_ctrl_c_keeps_steps_spread_over_what_it_did() -> None:
    """A long run stopped early: the recording spans the steps done, not step 0 alone."""
    xs, ys = moons(n=6, seed=1)
    model = MLP(2, [3, 1], activation="tanh", seed=5)
    calls = 0

    def loss(out: object, y: object) -> object:
        nonlocal calls
        calls += 1
        if calls > 6 * 100:  # the 101st full-batch step: Ctrl-C
            raise KeyboardInterrupt
        return binary_cross_entropy_with_logits(out, y)  # type: ignore[arg-type]

    recorder = Recorder.within(3_500_000, 1_000_000, len(xs), 4)
    history = fit(model, xs, ys, loss, Adam(model.parameters(), lr=0.05), 1_000_000,
                  record=recorder, trace=False)  # fmt: skip
    assert len(history) == 100
    held = [r["step"] for r in recorder.steps]
    # 31 held by step 30; doubled at 31 (0, 2, …, 30, 31) and at 60 (0, 4, …, 60): at 100 steps
    # the spacing is 4 and 0, 4, …, 96 are held (25 steps), spread over the 100 done
    assert recorder.every == 4 and held == list(range(0, 100, 4))
    # each held record is that step's: its loss is the loss fit returned for the step
    assert [r["loss"] for r in recorder.steps] == [history[s] for s in held]


def test_a_recorder_within_a_budget_keeps_a_given_spacing() -> None:
    recorder = Recorder.within(3_500_000, 300, 30, 17, every=7)
    assert recorder.every == 7 and recorder.examples is None
    squeezed = Recorder.within(500_000, 300, 30, 17, every=7)
    assert squeezed.every == 7 and squeezed.examples is not None
    # 44 recorded steps (0, 7, …, 294 and 299) of 17 neurons' z, a, δ: 10 examples fit
    assert len(squeezed.examples) == 10 and 44 * 10 * 17 * 63 <= 500_000 < 44 * 11 * 17 * 63
