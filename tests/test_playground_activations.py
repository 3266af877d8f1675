"""The playground: every elementwise activation, recorded σ′, and what it cannot show refused."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

import viz
from autograd import OPS, Value
from nn import MLP
from nn.activations import ACTIVATIONS, ELEMENTWISE
from nn.data import moons
from nn.losses import binary_cross_entropy_with_logits, cross_entropy
from nn.optim import Adam
from nn.record import Recorder
from nn.train import fit
from tests.test_playground import Watched, page_data, shown
from viz.playground import PAGE_SIGMA

HIDDEN = [a for a in ACTIVATIONS if a != "softmax"]
POINTS = [-40.0, -6.0, -2.5, -1.0, -0.3, -1e-3, 0.0, 1e-3, 0.3, 1.0, 2.5, 6.0, 40.0]


def trained(activation: str, steps: int = 6) -> tuple[Recorder, MLP, list[list[float]], list[int]]:
    xs, ys = moons(n=30, seed=3)
    model = MLP(2, [4, 3, 1], activation=activation, seed=2)
    recorder = Recorder(every=2)
    opt = Adam(model.parameters(), lr=0.05)
    fit(model, xs, ys, binary_cross_entropy_with_logits, opt, epochs=steps, record=recorder)
    return recorder, model, xs, ys


def test_the_page_table_has_every_elementwise_activation() -> None:
    assert set(PAGE_SIGMA) == set(ELEMENTWISE) == set(HIDDEN)


def test_recorded_sigma_prime_is_the_op_rule_at_the_recorded_z() -> None:
    for activation in HIDDEN:
        recorder, model, _, _ = trained(activation, steps=2)
        st = recorder.data()["steps"][-1]
        acts = [layer.activation for layer in model.layers]
        for li, act in enumerate(acts):
            for j, row in enumerate(st["sigma_prime"][li]):
                for e, sp in enumerate(row):
                    z = st["z"][li][j][e]
                    if act == "linear":
                        assert sp == 1.0
                        continue
                    a = getattr(Value(z), act)()
                    assert sp == OPS[a.op].derivative(z, a.data)[0]
                    if abs(z) > 1e-6:  # away from a kink, the slope of σ itself
                        h = 1e-6
                        f = getattr(Value, act)
                        slope = (f(Value(z + h)).data - f(Value(z - h)).data) / (2 * h)
                        assert sp == pytest.approx(slope, rel=1e-5, abs=1e-7)


def test_a_softmax_or_several_outputs_is_refused_by_name(tmp_path: Path) -> None:
    xs, ys = moons(n=12, seed=0)
    model = MLP(2, [3, 3], activation="gelu", output_activation="softmax", seed=0)
    recorder = Recorder()
    fit(model, xs, ys, cross_entropy, Adam(model.parameters(), lr=0.05), epochs=2, record=recorder)
    with pytest.raises(
        ValueError, match=r"one output neuron .*this model has 3 outputs and uses softmax"
    ):
        viz.write_playground(recorder, model, xs, ys, tmp_path / "p.html")
    model2 = MLP(2, [3, 2], activation="tanh", seed=0)
    recorder2 = Recorder()
    onehot = [[float(y == 0), float(y == 1)] for y in ys]
    from nn.losses import mse

    fit(model2, xs, onehot, mse, Adam(model2.parameters(), lr=0.05), epochs=2, record=recorder2)
    with pytest.raises(ValueError, match=r"this model has 2 outputs; train a model ending in one"):
        viz.write_playground(recorder2, model2, xs, ys, tmp_path / "p.html")
    assert not (tmp_path / "p.html").exists()


def test_an_old_recording_without_sigma_prime_is_refused(tmp_path: Path) -> None:
    recorder, model, xs, ys = trained("tanh", steps=2)
    data = recorder.data()
    for s in data["steps"]:
        del s["sigma_prime"]
    with pytest.raises(ValueError, match="no σ′ numbers"):
        viz.write_playground(data, model, xs, ys, tmp_path / "p.html")


def test_write_playground_path_errors_are_the_steppers(tmp_path: Path) -> None:
    recorder, model, xs, ys = trained("tanh", steps=2)
    missing = tmp_path / "nowhere" / "p.html"
    with pytest.raises(FileNotFoundError) as info:
        viz.write_playground(recorder, model, xs, ys, missing)
    assert str(info.value) == (
        f"cannot write the playground page to {str(missing)!r}: the folder "
        f"{str(missing.parent)!r} does not exist; create it first (os.makedirs)"
    )
    with pytest.raises(IsADirectoryError) as info2:
        viz.write_playground(recorder, model, xs, ys, tmp_path)
    assert str(info2.value) == (
        f"cannot write the playground page to {str(tmp_path)!r}: it is a folder; give a file "
        f"name such as {str(tmp_path / 'playground.html')!r}"
    )
    assert "\n" not in str(info.value) + str(info2.value)


# ------------------------------------------------------------------------ in a browser
def test_the_page_sigma_is_the_engines_at_sample_points(browser: Any, tmp_path: Path) -> None:
    recorder, model, xs, ys = trained("tanh", steps=2)
    path = tmp_path / "p.html"
    viz.write_playground(recorder, model, xs, ys, path)
    w = Watched(browser)
    w.page.goto(path.as_uri())
    for name in HIDDEN:
        got = w.page.evaluate("([n, zs]) => zs.map((z) => SIGMA[n](z))", [name, POINTS])
        f = ELEMENTWISE[name]
        want = [z if f is None else f(Value(z)).data for z in POINTS]
        for z, g, v in zip(POINTS, got, want, strict=True):
            assert g == pytest.approx(v, rel=1e-13, abs=1e-15), (name, z)
    assert w.errors == []
    w.page.close()


@pytest.mark.parametrize("activation", ["gelu", "softplus", "elu", "leaky_relu"])
def test_a_new_activation_draws_and_shows_recorded_sigma_prime(
    browser: Any, tmp_path: Path, activation: str
) -> None:
    recorder, model, xs, ys = trained(activation)
    path = tmp_path / "p.html"
    viz.write_playground(recorder, model, xs, ys, path)
    assert page_data(path.read_text(encoding="utf-8"))["acts"] == [activation, activation, "linear"]
    w = Watched(browser)
    page = w.page
    page.goto(path.as_uri())
    # every hidden neuron's heatmap is painted: more than one colour on its canvas
    colours = page.evaluate(
        """() => [...document.querySelectorAll('.neuron:not(.input) canvas')].map((c) => {
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            const seen = new Set();
            for (let i = 0; i < d.length; i += 4) seen.add(d[i] + ',' + d[i + 1] + ',' + d[i + 2]);
            return seen.size; })"""
    )
    assert len(colours) == 4 + 3 + 1 and min(colours) > 1, colours
    st = recorder.data()["steps"][1]
    w.scrub(1)
    e = st["examples"].index(0)
    for li, j, bp in ((0, 1, "BP2"), (1, 2, "BP2"), (2, 0, "BP1")):
        page.click(f"#n-{li}-{j}")
        nums = w.numbers()
        sp = st["sigma_prime"][li][j][e]
        assert nums["sigma-prime"] == (shown(sp), sp)  # the recorded number, not recomputed
        assert nums["bp"][1] == pytest.approx(st["delta"][li][j][e], rel=1e-9, abs=1e-15)
        text = page.locator("#item").inner_text()
        assert bp in text and "was recorded at this step" in text
        assert (activation if li < 2 else "linear") in text
    assert w.errors == []
    w.page.close()
    assert math.isfinite(st["loss"])
