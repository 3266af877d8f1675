"""The training playground: the page embeds the recording, and in Chromium the numbers it shows
for a weight, a neuron and an example at step k are the recording's (headless Chromium driven by
Playwright; skipped without them, unless DELTAGRAD_REQUIRE_BROWSER=1, as in CI). Also the
deltagrad playground command and its --csv errors."""

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

import viz
from nn import MLP
from nn.data import moons
from nn.losses import binary_cross_entropy_with_logits
from nn.optim import Adam
from nn.record import Recorder
from nn.train import fit
from viz.cli import main
from viz.numbers import number


def trained(
    n: int = 40, sizes: tuple[int, ...] = (4, 3, 1), steps: int = 40, every: int = 5
) -> tuple[Recorder, MLP, list[list[float]], list[int]]:
    xs, ys = moons(n=n, seed=3)
    model = MLP(2, list(sizes), activation="tanh", seed=2)
    recorder = Recorder(every=every)
    opt = Adam(model.parameters(), lr=0.05)
    fit(model, xs, ys, binary_cross_entropy_with_logits, opt, epochs=steps, record=recorder)
    return recorder, model, xs, ys


def page_data(page: str) -> dict[str, Any]:
    m = re.search(r"const D = (.*?);\n", page)
    assert m
    data: dict[str, Any] = json.loads(m.group(1))
    return data


def shown(x: float) -> str:
    """What the page writes for x: viz.numbers.number, as every view (a real minus sign)."""
    return number(x)


# ------------------------------------------------------------------------ without a browser
def test_page_is_one_offline_file_that_embeds_the_recording(tmp_path: Path) -> None:
    recorder, model, xs, ys = trained()
    path = tmp_path / "page.html"
    viz.write_playground(recorder, model, xs, ys, path)
    page = path.read_text(encoding="utf-8")
    assert not re.search(r"https?://(?!www\.w3\.org)", page)  # no CDN, no network
    assert "<script src" not in page and "<link" not in page and "<img" not in page
    data = page_data(page)
    assert data["steps"] == json.loads(json.dumps(recorder.data()["steps"]))
    assert data["sizes"] == [2, 4, 3, 1] and data["acts"] == ["tanh", "tanh", "linear"]
    assert data["xs"] == xs and data["ys"] == ys and data["seed"] == 2
    # names are typeset, Nielsen's by default: w^l_{jk} with l = 3 for the second weight layer
    assert data["names"]["w"][1][2][0] == (
        '<span class="nm"><i>w</i><sup>3</sup><sub>2,0</sub></span>'
    )
    assert data["names"]["delta"][0][1] == '<span class="nm">δ<sup>2</sup><sub>1</sub></span>'


@pytest.mark.parametrize(
    ("notation", "weight", "delta", "cost", "bias"),
    [
        ("nielsen", "<i>w</i><sup>3</sup><sub>2,0</sub>", "δ<sup>2</sup><sub>1</sub>", "C", "b"),
        # LFD: layers from 0 in brackets, nodes from 1, w^(l)_{source,target}, x, s, E_in
        ("lfd", "<i>w</i><sup>(2)</sup><sub>1,3</sub>", "δ<sup>(1)</sup><sub>2</sub>", "E", "w"),
        (
            "ng",
            "<i>w</i><sup>[2]</sup><sub>3,1</sub>",
            "<i>dz</i><sup>[1]</sup><sub>2</sub>",
            "J",
            "b",
        ),
    ],
)
def test_names_come_from_the_notation(
    tmp_path: Path, notation: str, weight: str, delta: str, cost: str, bias: str
) -> None:
    recorder, model, xs, ys = trained(steps=2)
    path = tmp_path / "page.html"
    viz.write_playground(recorder, model, xs, ys, path, notation=notation)
    names = page_data(path.read_text(encoding="utf-8"))["names"]
    assert names["w"][1][2][0] == f'<span class="nm">{weight}</span>'
    assert names["delta"][0][1] == f'<span class="nm">{delta}</span>'
    assert names["C"].startswith(f'<span class="nm"><i>{cost}</i>')
    assert names["b"][0][0].startswith(f'<span class="nm"><i>{bias}</i>')
    assert names["wk"][0][1].count("k") == 1  # Σ_k keeps its letter in the notation's order


def test_bad_arguments_are_sentences(tmp_path: Path) -> None:
    recorder, model, xs, ys = trained(steps=2)
    with pytest.raises(ValueError, match="write_playground: unknown notation 'klingon'"):
        viz.write_playground(recorder, model, xs, ys, tmp_path / "p.html", notation="klingon")
    with pytest.raises(TypeError, match=r"must be an nn\.record\.Recorder"):
        viz.write_playground({"steps": []}, model, xs, ys, tmp_path / "p.html")
    with pytest.raises(ValueError, match="holds no steps"):
        viz.write_playground(Recorder(), model, xs, ys, tmp_path / "p.html")
    other = MLP(2, [5, 1])
    with pytest.raises(ValueError, match="do not match the model"):
        viz.write_playground(recorder, other, xs, ys, tmp_path / "p.html")


def test_default_command_writes_a_page_under_5_mb(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "page.html"
    assert main(["playground", "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    size = out.stat().st_size
    assert size < 5_000_000, size
    data = page_data(out.read_text(encoding="utf-8"))
    # recorded adaptively, 31 held at most: 300 steps end at the spacing 16 (doubled at steps
    # 31, 62, 124 and 248), so 0, 16, …, 288 and the last step, 299: 20 steps
    held = [s["step"] for s in data["steps"]]
    assert data["sizes"] == [2, 8, 8, 1] and held == [*range(0, 300, 16), 299]
    assert all(len(s["examples"]) == 100 for s in data["steps"])  # every point, every step


def test_a_big_dataset_keeps_per_example_numbers_for_a_subset(tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    argv = ["playground", "--points", "600", "--steps", "30", "--net", "2,16,16,1"]
    assert main([*argv, "--out", str(out)]) == 0
    assert out.stat().st_size < 5_000_000
    data = page_data(out.read_text(encoding="utf-8"))
    kept = data["steps"][0]["examples"]
    assert 1 < len(kept) < 600 and data["steps"][0]["batch_size"] == 600


def test_demo_writes_the_playground_too(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["demo", "--steps", "20", "--out", str(tmp_path)]) == 0
    assert "playground.html" in capsys.readouterr().out
    data = page_data((tmp_path / "playground.html").read_text(encoding="utf-8"))
    assert data["sizes"] == [2, 16, 16, 1]
    steps = [s["step"] for s in data["steps"]]
    assert steps[0] == 0 and steps[-1] == 19 and len(steps) >= 11
    assert all(len(s["examples"]) == 100 for s in data["steps"])  # every point: fewer steps


# ------------------------------------------------------------------------ --csv
def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "data.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "line 1: the file is empty"),
        ("\n\n", "line 1: the file is empty"),
        ("x1,x2,label\n", "has a header (line 1) but no data rows"),
        ("x1,x2,label\n1,2,a\n3,b\n", "line 3: 2 column(s), expected 3 (x1, x2, label)"),
        ("x1,x2,label\n1,2,a\n3,4,5,b\n", "line 3: 4 column(s), expected 3"),
        ("1,label\n2,a\n", "line 1: 2 column(s), but the playground needs at least two feature"),
        ("x1,x2,y\n1,2,0\n3,abc,1\n", "line 3, column 2 (x2): 'abc' is not a finite number"),
        ("1,2,0\n3,nan,1\n", "line 2, column 2 (x1): 'nan' is not a finite number"),
        ("x1,x2,y\n1,2,a\n3,4,a\n", "lines 2-3: every label is 'a'"),
        ("1,2,1\n3,4,1\n5,6,1\n", "lines 1-3: every label is '1'"),
        ("x,y,c\n1,2,a\n3,4,b\n5,6,c\n", "line 4: a third class 'c'"),
        ("x,y,c\n1,2,a\n3,4,\n", "line 3: the label (c) is empty"),
    ],
)
def test_malformed_csv_is_one_line_and_exit_code_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, needle: str
) -> None:
    path = write(tmp_path, text)
    code = main(["playground", "--csv", str(path), "--out", str(tmp_path / "p.html")])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert needle in err, err
    assert err.startswith("deltagrad: error: ") and str(path) in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "p.html").exists()


def test_a_missing_csv_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = main(["playground", "--csv", str(tmp_path / "nope.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "cannot read the file" in err and len(err.strip().splitlines()) == 1


def test_csv_with_header_and_class_names(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    xs, ys = moons(n=30, seed=0)
    rows = [
        f"{x[0] * 10 + 50},{x[1] * 10 - 5},{'dog' if y else 'cat'}"
        for x, y in zip(xs, ys, strict=True)
    ]
    path = write(tmp_path, "width,height,animal\n" + "\n".join(rows) + "\n")
    out = tmp_path / "p.html"
    assert main(["playground", "--csv", str(path), "--steps", "5", "--out", str(out)]) == 0
    data = page_data(out.read_text(encoding="utf-8"))
    assert data["features"] == ["width", "height"] and data["classes"] == ["cat", "dog"]
    assert data["ys"] == ys
    for k in range(2):  # standardised: mean 0, standard deviation 1
        column = [x[k] for x in data["xs"]]
        assert abs(math.fsum(column) / 30) < 1e-12
        assert math.fsum(v * v for v in column) / 30 == pytest.approx(1.0)
    capsys.readouterr()


def test_csv_without_header_and_wrong_net(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "1,2,3,0\n2,3,1,1\n0,1,1,0\n4,1,2,1\n")
    out = tmp_path / "p.html"
    assert main(["playground", "--csv", str(path), "--steps", "3", "--out", str(out)]) == 0
    data = page_data(out.read_text(encoding="utf-8"))
    # no header: the inputs are named by the notation's symbol alone, not by x0, x1, x2
    assert data["sizes"] == [3, 8, 8, 1] and data["features"] == [] and not data["named"]
    capsys.readouterr()
    code = main(["playground", "--csv", str(path), "--net", "2,4,1"])
    err = capsys.readouterr().err
    assert code == 2 and "the data has 3 features; use --net 3,4,1" in err
    code = main(["playground", "--net", "2,4,2"])
    assert code == 2 and "must end with 1 output" in capsys.readouterr().err


# ------------------------------------------------------------------------ in Chromium
class Watched:
    """A page that records console errors, page errors and every request it makes."""

    def __init__(self, browser: Any, width: int = 1400, height: int = 900) -> None:
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))

    def numbers(self) -> dict[str, tuple[str, float]]:
        """The detail panel's numbers by their data-q key: (text shown, the value it holds)."""
        pairs = self.page.evaluate(
            """() => [...document.querySelectorAll('#detail [data-q]')].map(
                (e) => [e.dataset.q, e.textContent, e.dataset.value])"""
        )
        return {q: (text, float(value)) for q, text, value in pairs}

    def scrub(self, k: int) -> None:
        self.page.evaluate(
            """(k) => { const s = document.getElementById('scrub'); s.value = String(k);
                s.dispatchEvent(new Event('input', {bubbles: true})); }""",
            k,
        )

    def click_edge(self, layer: int, j: int, k: int) -> tuple[float, float]:
        # a point on the edge's own hit path that no other edge covers, clicked with the mouse
        point = self.page.evaluate(
            """([l, j, k]) => {
                const hit = document.getElementById(`hit-${l}-${j}-${k}`);
                const len = hit.getTotalLength();
                for (let f = 0.1; f < 0.95; f += 0.02) {
                    const p = hit.getPointAtLength(f * len);
                    const m = hit.getScreenCTM();
                    const x = m.a * p.x + m.c * p.y + m.e, y = m.b * p.x + m.d * p.y + m.f;
                    if (document.elementFromPoint(x, y) === hit) return [x, y];
                }
                return null;
            }""",
            [layer, j, k],
        )
        assert point is not None, f"edge {layer}-{j}-{k} is covered everywhere"
        self.page.mouse.click(point[0], point[1])
        return point[0], point[1]


def check_weight(
    nums: dict[str, tuple[str, float]],
    st: dict[str, Any],
    xs: list[list[float]],
    e: int,
    li: int,
    j: int,
    k: int,
) -> None:
    w, g = st["w"][li][j][k], st["grad_w"][li][j][k]
    assert nums["w"] == (shown(w), w)
    assert nums["grad"] == (shown(g), g)
    assert nums["bp4"][1] == pytest.approx(g, abs=1e-12)  # BP4's mean of a·δ is ∂C/∂w
    a = xs[st["examples"][e]][k] if li == 0 else st["a"][li - 1][k][e]
    d = st["delta"][li][j][e]
    assert nums["a-x"] == (shown(a), a)
    assert nums["delta-x"] == (shown(d), d)
    assert nums["term-x"][1] == pytest.approx(a * d, rel=1e-12)


def check_neuron(
    nums: dict[str, tuple[str, float]], st: dict[str, Any], e: int, li: int, j: int
) -> None:
    for q in ("z", "a", "delta"):
        mean = st[f"mean_{q}"][li][j]
        assert nums[f"mean-{q}"] == (shown(mean), mean)
        one = st[q][li][j][e]
        assert nums[f"{q}-x"] == (shown(one), one)
    assert nums["grad-b"] == (shown(st["grad_b"][li][j]), st["grad_b"][li][j])
    # BP1 or BP2 with the recorded numbers gives the recorded δ
    assert nums["bp"][1] == pytest.approx(st["delta"][li][j][e], rel=1e-9, abs=1e-15)


def test_scrub_click_and_play_show_the_recorded_numbers(browser: Any, tmp_path: Path) -> None:
    recorder, model, xs, ys = trained()
    path = tmp_path / "page.html"
    viz.write_playground(recorder, model, xs, ys, path)
    steps = recorder.data()["steps"]
    w = Watched(browser)
    page = w.page
    page.goto(path.as_uri())
    assert page.evaluate("document.body.dataset.step") == "0"
    assert page.locator(".neuron").count() == 2 + 4 + 3 + 1
    assert page.locator("#net path.w").count() == 2 * 4 + 4 * 3 + 3 * 1

    k = 5
    w.scrub(k)
    st = steps[k]
    assert page.evaluate("document.body.dataset.trainStep") == str(st["step"]) == "25"
    assert page.locator("#readout [data-q=loss]").text_content() == shown(st["loss"])

    # a weight of the second layer, w^3_{2,1}: value, ∂C/∂w, BP4 and example 0's term
    w.click_edge(1, 2, 1)
    assert page.locator("#item").get_attribute("data-item") == "w-1-2-1"
    e = st["examples"].index(0)
    check_weight(w.numbers(), st, xs, e, 1, 2, 1)
    x, y = w.click_edge(0, 3, 0)  # a first-layer weight: its a^{l−1} is the input x
    check_weight(w.numbers(), st, xs, e, 0, 3, 0)
    page.mouse.move(x + 1, y)  # hovering shows the weight and its gradient
    tip = page.locator("#tip")
    assert tip.is_visible()
    text = tip.inner_text()
    assert shown(st["w"][0][3][0]) in text and shown(st["grad_w"][0][3][0]) in text
    page.mouse.move(2, 2)
    assert not tip.is_visible()

    # a hidden neuron (BP2) and the output neuron (BP1)
    page.click("#n-0-1")
    assert page.locator("#item").get_attribute("data-item") == "n-0-1"
    check_neuron(w.numbers(), st, e, 0, 1)
    assert "BP2" in page.locator("#item").inner_text()
    page.click("#n-2-0")
    check_neuron(w.numbers(), st, e, 2, 0)
    assert "BP1" in page.locator("#item").inner_text()
    bp1 = w.numbers()["dCda"]
    assert bp1 == (shown(st["dC_da"][0][e]), st["dC_da"][0][e])

    # click a data point: it becomes the example of the per-example numbers
    i = 17
    x, y = page.evaluate(
        """(i) => { const p = pointPositions(S[cur])[i], r = plane.getBoundingClientRect();
            return [r.left + p[0] / PX * r.width, r.top + p[1] / PX * r.height]; }""",
        i,
    )
    page.mouse.click(x, y)
    assert "example #17" in page.locator("#example").inner_text()
    check_neuron(w.numbers(), st, st["examples"].index(i), 2, 0)
    nums = w.numbers()
    assert nums["x0"] == (shown(xs[i][0]), xs[i][0])
    out = st["a"][2][0][st["examples"].index(i)]
    assert nums["out"] == (shown(out), out)

    # another step shows that step's numbers
    w.scrub(2)
    check_neuron(w.numbers(), steps[2], steps[2]["examples"].index(i), 2, 0)

    # Play advances, Pause stops
    page.click("#play")
    page.wait_for_function("() => Number(document.body.dataset.step) >= 5", timeout=15000)
    page.click("#play")
    stopped = page.evaluate("document.body.dataset.step")
    page.wait_for_timeout(600)
    assert page.evaluate("document.body.dataset.step") == stopped
    s = int(stopped)
    check_neuron(w.numbers(), steps[s], steps[s]["examples"].index(i), 2, 0)

    assert w.errors == []
    assert w.requests == [path.as_uri()]  # nothing but the page itself
    page.close()


def test_more_than_two_features_show_outputs_by_class(browser: Any, tmp_path: Path) -> None:
    xs3 = [[x[0], x[1], x[0] * x[1]] for x in moons(n=30, seed=1)[0]]
    ys = moons(n=30, seed=1)[1]
    model = MLP(3, [4, 1], activation="tanh", seed=0)
    recorder = Recorder(every=4)
    opt = Adam(model.parameters(), lr=0.05)
    fit(model, xs3, ys, binary_cross_entropy_with_logits, opt, epochs=9, record=recorder)
    path = tmp_path / "page.html"
    viz.write_playground(recorder, model, xs3, ys, path, features=["u", "v", "uv"])
    w = Watched(browser)
    w.page.goto(path.as_uri())
    assert "3 features: no plane to draw" in w.page.locator("#plane-title").inner_text()
    w.page.click("#n-0-2")
    st = recorder.data()["steps"][0]
    check_neuron(w.numbers(), st, st["examples"].index(0), 0, 2)
    assert w.errors == [] and w.requests == [path.as_uri()]
    w.page.close()


def test_command_notation(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "p.html"
    argv = ["playground", "--steps", "2", "--out", str(out)]
    assert main([*argv, "--notation", "ng"]) == 0
    assert page_data(out.read_text(encoding="utf-8"))["names"]["C"] == (
        '<span class="nm"><i>J</i></span>'
    )
    capsys.readouterr()
    assert main([*argv, "--notation", "klingon"]) == 2
    err = capsys.readouterr().err
    assert "argument --notation: invalid choice: 'klingon' (choose from 'nielsen', 'lfd'" in err


def test_readme_example_writes_the_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    (code,) = [b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if "Recorder" in b]
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(code.replace("300,", "12,"), "README.md", "exec"), namespace)
    data = page_data((tmp_path / "playground.html").read_text(encoding="utf-8"))
    assert [s["step"] for s in data["steps"]] == [0, 10, 11]
