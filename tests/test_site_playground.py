"""The live playground: its Python (viz.site.playground) in CPython, `deltagrad playground`'s
new settings, and the page in Chromium trained against the same run in CPython."""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from nn import notation as nt
from nn.data import DATASETS
from nn.losses import batch_loss, binary_cross_entropy_with_logits, quadratic
from nn.module import MLP
from nn.optim import SGD, Adam
from nn.record import Recorder
from nn.train import Training, fit
from viz import playground_run
from viz.cli import build_parser, main
from viz.numbers import number
from viz.playground_run import Run, Settings, SettingsError, toy_data
from viz.site import playground as site

# the settings the browser test picks on the page, and the same run in CPython
PICKED = {
    "dataset": "circles",
    "points": "80",
    "hidden": "6,4",
    "activation": "tanh",
    "cost": "quadratic",
    "optimizer": "sgd",
    "lr": "0.3",
    "batch_size": "20",
    "seed": "7",
}
PICKED_SETTINGS = Settings((2, 6, 4, 1), "tanh", "quadratic", "sgd", 0.3, 20, 7)


def picked_run(steps: int) -> Run:
    """The run `deltagrad playground` trains for PICKED, after `steps` steps (CPython)."""
    run = Run(PICKED_SETTINGS, toy_data("circles", 80, 7))
    if steps:
        run.train(steps)
    return run


# ----------------------------------------------------------------------- Training (nn.train)
@pytest.mark.parametrize("batch_size", [None, 7])
def test_training_in_pieces_is_fit_bit_for_bit(batch_size: int | None) -> None:
    xs, ys = DATASETS["moons"](n=30, seed=1)
    model = MLP(2, [5, 1], activation="tanh", seed=3)
    history = fit(
        model,
        xs,
        ys,
        binary_cross_entropy_with_logits,
        Adam(model.parameters(), lr=0.05),
        epochs=4,
        batch_size=batch_size,
        seed=9,
        progress=False,
    )
    again = MLP(2, [5, 1], activation="tanh", seed=3)
    training = Training(
        again,
        xs,
        ys,
        binary_cross_entropy_with_logits,
        Adam(again.parameters(), lr=0.05),
        batch_size,
        seed=9,
    )
    for n in (1, 2, len(history) - 3):  # across epoch boundaries, in uneven pieces
        training.run(n)
    assert list(training.history) == list(history)
    assert [p.data for p in again.parameters()] == [p.data for p in model.parameters()]


# ----------------------------------------------------------------------- the page's Python
def test_a_step_is_gradient_descent_on_the_full_batch_cost() -> None:
    """One SGD step moves each parameter by −lr ∂C/∂p, ∂C/∂p by central differences of C."""
    answer = site.start(
        dataset="moons", points=12, hidden="3", cost="quadratic", optimizer="sgd", lr="0.5"
    )
    assert answer["step"] == 0
    before = site.parameters()["parameters"]
    site.train(steps=1)
    after = site.parameters()
    assert after["steps"] == 1
    xs, ys = DATASETS["moons"](n=12, seed=0)
    model = MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=0)
    params = model.parameters()

    def cost() -> float:
        return batch_loss(quadratic, [model(x) for x in xs], [[float(y)] for y in ys]).data

    h = 1e-6
    for i, p in enumerate(params):
        assert p.data == before[i]  # the same start as the seed gives a fresh MLP
        p.data = before[i] + h
        up = cost()
        p.data = before[i] - h
        down = cost()
        p.data = before[i]
        expected = before[i] - 0.5 * (up - down) / (2 * h)
        assert after["parameters"][i] == pytest.approx(expected, rel=1e-6, abs=1e-8)
    assert after["parameters"] != before


def test_reset_with_the_same_seed_replays_the_same_start_and_run() -> None:
    site.start(seed=3, hidden="4,4")
    start = site.parameters()["parameters"]
    site.train(steps=5)
    five = site.parameters()["parameters"]
    assert five != start
    answer = site.reset()
    assert answer["step"] == 0 and site.parameters()["parameters"] == start
    site.train(steps=2)
    site.train(steps=3)  # in other pieces: the same steps
    assert site.parameters()["parameters"] == five
    site.start(seed=4, hidden="4,4")
    assert site.parameters()["parameters"] != start


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ({"cost": "cross_entropy"}, "cost 'cross_entropy' does not fit a classifier with one"),
        ({"cost": "hinge"}, "choose one of binary_cross_entropy_with_logits"),
        ({"optimizer": "rmsprop"}, "optimizer 'rmsprop' is not one of adam, sgd"),
        ({"lr": "-0.1"}, "learning rate: expected a number > 0"),
        ({"lr": "fast"}, "learning rate: expected a number > 0"),
        ({"hidden": "8,x"}, "hidden layers: whole numbers like 8,8, got '8,x'"),
        ({"hidden": "8,0"}, "hidden layers: whole numbers >= 1"),
        ({"hidden": "8,80"}, "at most 6 layers of 64 neurons"),
        ({"batch_size": "0"}, "the batch size must be a whole number >= 1"),
        ({"batch_size": "ten"}, "batch size: 'ten' is not a whole number"),
        ({"seed": "1.5"}, "seed: '1.5' is not a whole number"),
        ({"points": "3"}, "points must be a whole number >= 4"),
        ({"points": "2001"}, "points: at most 2000 in the page, got 2001"),
        ({"activation": "softmax"}, "activation 'softmax' is not one of"),
        ({"dataset": "blobs"}, "dataset 'blobs' is not one of circles, moons, spirals, xor"),
        ({"notation": "mine"}, "unknown notation 'mine'"),
    ],
)
def test_bad_settings_are_refused_with_one_clear_sentence(args: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=re.escape(words)) as caught:
        site.start(**args)
    assert "\n" not in str(caught.value)


def test_a_cost_the_cost_table_refuses_for_its_output_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a table entry pairing binary cross-entropy with a tanh output: nn.costs says why not
    monkeypatch.setitem(playground_run.COSTS, "binary_cross_entropy", ("tanh", "bce"))
    with pytest.raises(SettingsError, match="binary_cross_entropy does not fit a tanh output"):
        site.start(cost="binary_cross_entropy")


def test_every_offered_cost_trains_a_one_output_classifier() -> None:
    offered = [c["value"] for c in site.options()["costs"]]
    assert offered == list(playground_run.COSTS)
    for cost in offered:
        site.start(cost=cost, points=20, hidden="3")
        answer = site.train(steps=3)
        assert answer["step"] == 3
        assert answer["data"]["acts"][-1] == playground_run.COSTS[cost][0]


CSV_TEXT = "size,weight,kind\n1,2,cat\n2,1,dog\n1.5,1.5,cat\n3,0.5,dog\n"


def test_a_pasted_csv_is_the_data() -> None:
    answer = site.start(dataset="csv", csv=CSV_TEXT, hidden="3")
    assert "your CSV (4 rows" in answer["about"]
    assert "--csv data.csv" in answer["command"]
    shown = site.train(steps=1)["data"]
    assert shown["classes"] == ["cat", "dog"] and shown["ys"] == [0, 1, 0, 1]
    assert shown["features"] == ["size", "weight"]
    column = [x[0] for x in shown["xs"]]  # standardised: mean 0, variance 1
    assert math.fsum(column) == pytest.approx(0.0, abs=1e-12)
    assert math.fsum(v * v for v in column) / 4 == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "CSV: paste or open a CSV file"),
        ("1,2\n3,4\n", "the CSV, line 1: 2 column(s), but the playground needs at least two"),
        ("a,b,label\n1,2,0\n1,oops,1\n", "the CSV, line 3, column 2 (b): 'oops' is not a finite"),
        ("1,2,0\n3,4,0\n", "every label is '0'; the playground needs examples of two classes"),
        ("1,2,0\n3,4\n", "the CSV, line 2: 2 column(s), expected 3"),
    ],
)
def test_a_bad_pasted_csv_says_which_line(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        site.start(dataset="csv", csv=text)


def test_the_notation_changes_the_names_not_the_run() -> None:
    site.start(hidden="3")
    nielsen = site.train(steps=2)
    ng = site.view(notation="ng")
    assert ng["step"] == 2 and ng["data"]["steps"] == nielsen["data"]["steps"]
    assert "<sup>2</sup>" in nielsen["data"]["names"]["z"][0][0]
    assert "<sup>[1]</sup>" in ng["data"]["names"]["z"][0][0]
    assert ng["about"].endswith(f"names: {nt.get('ng').title}")
    assert nielsen["about"].endswith(f"names: {nt.get('nielsen').title}")


def test_the_page_holds_few_records_and_each_examples_numbers_only_for_the_newest() -> None:
    site.start(points=20, hidden="3")
    for _ in range(site.MAX_RECORDS + 5):
        answer = site.train(steps=1)
    steps = answer["data"]["steps"]
    assert len(steps) <= site.MAX_RECORDS and steps[0]["step"] == 0
    assert steps[-1]["step"] == site.MAX_RECORDS + 5 and len(steps[-1]["examples"]) == 20
    assert all(s["examples"] == [] for s in steps[:-1])
    assert answer["data"]["total"] == site.MAX_RECORDS + 6


def test_the_page_shows_the_numbers_at_the_parameters_reached() -> None:
    """The newest record: C and ∂C/∂p of the whole data at the parameters now (no update)."""
    site.start(**PICKED)  # type: ignore[arg-type]
    record = site.train(steps=4)["data"]["steps"][-1]
    run = picked_run(4)
    xs, ys = run.data.xs, run.data.ys
    model = run.model
    c = batch_loss(quadratic, [model(x) for x in xs], [[float(y)] for y in ys])
    model.zero_grad()
    c.backward()
    assert record["loss"] == c.data
    assert record["grad_b"][0] == [n.b.grad for n in model.layers[0].neurons]
    assert record["w"][1] == [[w.data for w in n.w] for n in model.layers[1].neurons]


# ----------------------------------------------------------------------- deltagrad playground
def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def page_data(path: Path) -> dict[str, Any]:
    m = re.search(r"const D = (.*?);\n", path.read_text(encoding="utf-8"))
    assert m
    data: dict[str, Any] = json.loads(m.group(1))
    return data


def test_the_command_trains_the_pages_run_with_the_new_settings(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    code, out, _ = run_cli(
        "playground", "--dataset", "circles", "--points", "80", "--net", "2,6,4,1",
        "--cost", "quadratic", "--optimizer", "sgd", "--lr", "0.3", "--batch-size", "20",
        "--seed", "7", "--steps", "12", "--every", "1", "--out", str(page),
    )  # fmt: skip
    assert code == 0, out
    text = page.read_text(encoding="utf-8")
    rerun = re.search(r'id="rerun">[^<]*?(deltagrad playground [^<]*)<', text)
    assert rerun
    command = rerun.group(1)
    for flag in ("--cost quadratic", "--optimizer sgd", "--batch-size 20", "--lr 0.3"):
        assert flag in command
    assert "quadratic cost on a sigmoid output · SGD, lr 0.3, batches of 20" in text
    recorded = page_data(page)["steps"]
    assert page_data(page)["acts"][-1] == "sigmoid"
    # step 11's record holds the parameters 11 steps reached: those of the page's run
    run = picked_run(11)
    flat = [v for layer in recorded[-1]["w"] for n in layer for v in n]
    assert recorded[-1]["step"] == 11
    assert flat == [w.data for layer in run.model.layers for n in layer.neurons for w in n.w]
    # the printed command, parsed, is these settings again
    args = build_parser().parse_args(shlex.split(command)[1:])
    assert (args.cost, args.optimizer, args.batch_size, args.lr, args.seed) == (
        "quadratic",
        "sgd",
        20,
        0.3,
        7,
    )


def test_the_pages_rerun_command_is_the_commands_own() -> None:
    answer = site.start(**PICKED)  # type: ignore[arg-type]
    site.train(steps=3)
    command = site.train(steps=2)["command"]
    assert answer["command"].replace("--steps 0", "--steps 5") == command
    args = build_parser().parse_args(shlex.split(command)[1:])
    assert args.net == [2, 6, 4, 1] and args.steps == 5 and args.points == 80
    assert (args.cost, args.optimizer, args.batch_size, args.dataset) == (
        "quadratic",
        "sgd",
        20,
        "circles",
    )


def test_the_default_command_is_full_batch_adam_on_the_logit(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    code, _, _ = run_cli("playground", "--steps", "3", "--every", "1", "--out", str(page))
    assert code == 0
    text = page.read_text(encoding="utf-8")
    assert "binary cross-entropy on the logit · Adam, lr 0.03, full batch" in text
    xs, ys = DATASETS["moons"](n=100, seed=0)
    model = MLP(2, [8, 8, 1], activation="tanh", seed=0)
    opt = Adam(model.parameters(), lr=0.03)
    fit(model, xs, ys, binary_cross_entropy_with_logits, opt, 2, seed=0, progress=False)
    last = page_data(page)["steps"][-1]
    assert last["b"][0] == [n.b.data for n in model.layers[0].neurons]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--optimizer", "rmsprop"], "argument --optimizer: invalid choice: 'rmsprop'"),
        (["--cost", "cross_entropy"], "argument --cost: invalid choice: 'cross_entropy'"),
        (["--batch-size", "0"], "argument --batch-size: expected a positive integer, got 0"),
        (["--batch-size", "all"], "argument --batch-size: expected a positive integer"),
        (["--points", "3"], "--points: points must be a whole number >= 4, got 3"),
    ],
)
def test_bad_new_settings_exit_2_with_one_line(tmp_path: Path, argv: list[str], words: str) -> None:
    code, out, err = run_cli("playground", *argv, "--out", str(tmp_path / "p.html"))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and words in err, err
    assert not (tmp_path / "p.html").exists()


def test_sgd_settings_make_an_sgd_optimizer() -> None:
    run = Run(Settings((2, 3, 1), optimizer="sgd", lr=0.1), toy_data("xor", 8, 0))
    assert isinstance(run.optimizer, SGD)
    assert run.model.layers[-1].activation == "linear"


# ----------------------------------------------------------------------- in Chromium
def pick(page: Any, settings: dict[str, str]) -> None:
    """Set the page's settings as a person does (each change starts a new run), then wait."""
    fields = {"batch_size": "batch"}
    for key, value in settings.items():
        where = "#" + fields.get(key, key)
        if page.evaluate(f"document.querySelector('{where}').tagName") == "SELECT":
            page.select_option(where, value)
        else:
            page.fill(where, value)
            page.locator(where).blur()  # typed, then left: its change event
    idle(page)


def idle(page: Any) -> None:
    page.evaluate("window.playgroundIdle()")
    page.wait_for_function("document.body.dataset.started === 'yes'")


def params(page: Any) -> dict[str, Any]:
    answer: dict[str, Any] = page.evaluate("window.playgroundCall('parameters')")
    return answer


def frame(page: Any) -> Any:
    return page.frame_locator("#view")


@pytest.mark.slow
def test_fifty_steps_in_the_page_are_the_commands_fifty_steps(site_page: Any) -> None:
    page = site_page.open("playground.html")
    idle(page)
    pick(page, PICKED)
    page.evaluate("window.playgroundTrain(50)")
    assert page.evaluate("document.body.dataset.steps") == "50"
    got = params(page)
    assert got["steps"] == 50
    expected = picked_run(50).parameters()
    assert len(got["parameters"]) == len(expected) == 6 * 3 + 4 * 7 + 5
    worst = max(
        abs(g - e) / max(abs(e), 1e-300) for g, e in zip(got["parameters"], expected, strict=True)
    )
    assert worst <= 1e-9
    assert got["parameters"] != picked_run(49).parameters()  # 50 steps, not 49
    # a neuron clicked: its numbers, as Python in CPython computes them at step 50
    f = frame(page)
    f.locator("#n-0-2").click()
    assert f.locator("#item").get_attribute("data-item") == "n-0-2"
    run = picked_run(50)
    recorder = Recorder()
    run.record_state(recorder)
    record = recorder.steps[-1]
    assert f.locator("#item [data-q=grad-b]").inner_text() == number(record["grad_b"][0][2])
    assert f.locator("#item [data-q=mean-z]").inner_text() == number(record["mean_z"][0][2])
    assert "BP3" in f.locator("#item").inner_text() and "BP2" in f.locator("#item").inner_text()
    assert f.locator("#readout").inner_text().startswith("step 50 of 50")


@pytest.mark.slow
def test_play_pause_step_and_reset(site_page: Any) -> None:
    page = site_page.open("playground.html")
    idle(page)
    start = params(page)
    assert start["steps"] == 0
    assert start["parameters"] == Run(Settings(), toy_data("moons", 100, 0)).parameters()
    page.click("#play")
    page.wait_for_function("Number(document.body.dataset.steps) >= 20", timeout=60_000)
    page.click("#play")  # Pause
    assert page.inner_text("#play") == "Play"
    page.evaluate("window.playgroundIdle()")
    stopped = params(page)["steps"]
    page.wait_for_timeout(600)
    assert params(page)["steps"] == stopped
    assert page.evaluate("document.body.dataset.steps") == str(stopped)
    page.click("#step")
    page.evaluate("window.playgroundIdle()")
    assert params(page)["steps"] == stopped + 1
    assert page.evaluate("document.body.dataset.steps") == str(stopped + 1)
    page.click("#reset")
    idle(page)
    assert params(page) == start
    assert frame(page).locator("#readout").inner_text().startswith("step 0 of 0")


@pytest.mark.slow
def test_the_notation_switch_changes_the_symbols_shown(site_page: Any) -> None:
    page = site_page.open("playground.html")
    idle(page)
    page.evaluate("window.playgroundTrain(3)")
    f = frame(page)
    f.locator("#n-0-0").click()
    nielsen = f.locator("#item").inner_html()
    assert "<sup>2</sup>" in nielsen
    page.select_option("#notation", "ng")
    page.evaluate("window.playgroundIdle()")
    ng = f.locator("#item").inner_html()
    assert "<sup>[1]</sup>" in ng and "<sup>2</sup>" not in ng
    assert f.locator("#item").get_attribute("data-item") == "n-0-0"  # the selection stays
    assert params(page)["steps"] == 3  # the same run, named otherwise


# every element with text of its own: its font size on screen (SVG text scaled by its CTM)
MEASURE = """() => {
  const out = [];
  const walk = (doc, where) => {
    const win = doc.defaultView;
    for (const el of doc.querySelectorAll("body *")) {
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      if (!own || !el.getClientRects().length) continue;
      const cs = win.getComputedStyle(el);
      if (cs.visibility === "hidden") continue;
      let px = parseFloat(cs.fontSize);
      if (el instanceof win.SVGElement) { const m = el.getScreenCTM(); px *= Math.hypot(m.a, m.b); }
      out.push([where, el.tagName, el.textContent.trim().slice(0, 30), px]);
    }
  };
  walk(document, "page");
  const inner = document.getElementById("view").contentDocument;
  walk(inner, "view");
  const overflow = (doc) => doc.documentElement.scrollWidth - doc.documentElement.clientWidth;
  return { texts: out, wide: [overflow(document), overflow(inner)],
           tall: document.documentElement.scrollHeight - innerHeight };
}"""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("width", "height", "data"),
    [(1400, 900, "moons"), (1920, 1080, "moons"), (1400, 900, "csv"), (1920, 1080, "csv")],
)
def test_text_is_11_px_or_more_and_nothing_is_cut(
    site_page: Any, width: int, height: int, data: str
) -> None:
    page = site_page.open("playground.html")
    page.set_viewport_size({"width": width, "height": height})
    idle(page)
    if data == "csv":  # three features: a row per class instead of the plane
        page.select_option("#dataset", "csv")
        page.fill("#csv", "\n".join(f"{i % 7},{i * 3 % 5},{i % 4},{i % 2}" for i in range(30)))
        page.click("#reset")
        idle(page)
    page.evaluate("window.playgroundTrain(20)")
    frame(page).locator("#n-0-2").click()
    page.wait_for_timeout(300)  # the network laid out again at this size
    seen = page.evaluate(MEASURE)
    assert len(seen["texts"]) > 100
    assert {w for w, *_ in seen["texts"]} == {"page", "view"}
    small = [t for t in seen["texts"] if t[3] < 11]
    assert small == [], f"text under 11 px at {width}×{height}: {small[:5]}"
    assert seen["wide"] == [0, 0] and seen["tall"] <= 0


@pytest.mark.slow
def test_a_pasted_csv_trains_in_the_page(site_page: Any) -> None:
    page = site_page.open("playground.html")
    idle(page)
    page.select_option("#dataset", "csv")
    assert page.is_visible("#csv")  # the box to paste into opens
    page.fill("#csv", "a,b,c,label\n" + CSV_TEXT.split("\n", 1)[1].replace(",cat", ",0,cat")
              .replace(",dog", ",1,dog"))  # fmt: skip
    page.click("#reset")
    idle(page)
    assert not page.is_visible("#csv")  # read: the box closes, "edit CSV" opens it again
    page.evaluate("window.playgroundTrain(2)")
    assert params(page)["steps"] == 2
    assert len(params(page)["parameters"]) == 3 * 8 + 8 + 8 * 8 + 8 + 8 + 1  # 3 features
    assert "--csv data.csv" in frame(page).locator("#rerun").inner_text()
    page.click("#csvedit")
    assert page.is_visible("#csv")
    page.fill("#csv", "1,2\n")
    page.click("#reset")
    page.evaluate("window.playgroundIdle()")
    assert "line 1: 2 column(s)" in page.inner_text("#message")
