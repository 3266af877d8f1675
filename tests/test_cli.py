"""The deltagrad command: demo, check, explain, and one-line errors with exit code 2."""

import os
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from viz.cli import main

REPO = Path(__file__).parent.parent


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_passes_and_prints_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--trials", "6", "--seed", "3")
    assert code == 0
    assert "max|Δδ|" in out and "all 6 networks agree" in out
    assert out.count(" yes") >= 6


def test_check_exits_non_zero_on_a_mismatch(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from nn import closed_form

    real = closed_form.backprop

    def skewed(*args: object, **kwargs: object) -> closed_form.Backprop:
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        result.layers[0].delta[0] += 1e-3
        return result

    monkeypatch.setattr(closed_form, "backprop", skewed)
    code, out, _ = run(capsys, "check", "--trials", "2")
    assert code == 1
    assert "NO" in out and "disagree" in out


def test_explain_derives_a_weight_gradient(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "explain",
        "--net",
        "2,3,1",
        "--activation",
        "sigmoid",
        "--cost",
        "cross_entropy",
        "--param",
        "w^2_{1,0}",
    )
    assert code == 0
    assert "∂C/∂w²₁,₀ = " in out and "δ²₁ · a¹₀" in out


def test_explain_default_and_softmax(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "explain", "--net", "2,3,3", "--target", "2", "--param", "z^3_2")
    assert code == 0 and "δ³₂ = ∂C/∂z³₂" in out
    # the Unicode form of a label finds the same node
    code, again, _ = run(capsys, "explain", "--net", "2,3,3", "--target", "2", "--param", "z³₂")
    assert code == 0 and again == out


def test_every_command_takes_a_notation(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "explain", "--notation", "lfd", "--param", "w^(1)_{1,2}")
    # LFD: w^(1)_ij from node i of layer 0 to node j of layer 1, nodes from 1: Nielsen's w^2_{1,0}
    assert code == 0 and "∂e/∂w⁽¹⁾₁,₂ = ∂e/∂s⁽¹⁾₂ · ∂s⁽¹⁾₂/∂w⁽¹⁾₁,₂ = δ⁽¹⁾₂ · x⁽⁰⁾₁" in out
    # --param's short form counts layers and nodes as LFD does too, and orders w_ij as LFD
    code, short, _ = run(capsys, "explain", "--notation", "lfd", "--param", "w:1:1:2")
    assert code == 0 and short == out
    code, out, _ = run(capsys, "explain", "--notation", "ng", "--param", "b:1:2")
    assert code == 0 and "∂L/∂b^[1]₂ = ∂L/∂z^[1]₂" in out  # Nielsen's b^2_1
    code, _, err = run(capsys, "explain", "--notation", "ng", "--param", "w:3:1:1")
    assert code == 2 and "weight layers 1 to 2 (layer 0 is the input" in err
    code, out, _ = run(capsys, "check", "--trials", "2", "--notation", "ng")
    assert code == 0 and "max|Δdz|" in out and "max|Δdw|" in out  # Ng writes ∂J/∂W as dW
    first_row = out.splitlines()[1].split()
    assert first_row[first_row.index("yes") - 4] == "1"  # Nielsen's layer 2 is Ng's layer 1
    code, out, _ = run(capsys, "demo", "--steps", "2", "--out", str(tmp_path), "--notation", "lfd")
    assert code == 0 and "max|Δδ|" in out and "max|Δ∂Eᵢₙ/∂w₀ⱼ|" in out
    page = (tmp_path / "stepper.html").read_text(encoding="utf-8")
    # the side panel's names, typeset (the page's JSON writes < as \u003c)
    assert "s<sup>(1)</sup><sub>1</sub>".replace("<", "\\u003c").replace(">", "\\u003e") in page
    graph = (tmp_path / "graph.svg").read_text(encoding="utf-8")
    # its first neuron's box starts with LFD's signal s⁽¹⁾₁ (typeset: s, then (1) and 1 as tspans)
    assert re.search(r">s<tspan[^>]*>\(1\)</tspan><tspan[^>]*>1</tspan><tspan[^>]*>: ", graph)
    code, _, err = run(capsys, "check", "--notation", "klingon")
    assert code == 2 and "invalid choice: 'klingon'" in err


def test_demo_writes_its_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "demo", "--steps", "30", "--out", str(tmp_path))
    assert code == 0
    assert "accuracy" in out and "max|Δδ|" in out
    for name in ("graph.svg", "loss.svg", "boundary.svg"):
        ElementTree.fromstring((tmp_path / name).read_text(encoding="utf-8"))
    page = (tmp_path / "stepper.html").read_text(encoding="utf-8")
    assert "<svg" in page and "http://" not in page.replace("http://www.w3.org", "")


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["demo", "--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["demo", "--dataset", "mnist"], "invalid choice: 'mnist'"),
        (["demo", "--steps", "0"], "positive integer"),
        (["explain", "--net", "2"], "at least two positive layer sizes"),
        (["explain", "--param", "w^9_{0,0}"], "has weight layers 2 to 3"),
        (["explain", "--net", "2,3,1", "--input", "1,2,3"], "takes 2 inputs"),
        (["explain", "--target", "nan"], "expected finite numbers"),
        (["explain", "--input", "1,x"], "expected finite numbers"),
        (["launch"], "invalid choice: 'launch'"),
        ([], "required"),
    ],
)
def test_bad_usage_is_one_line_and_exit_code_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], needle: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert needle in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_unwritable_output_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, _, err = run(capsys, "demo", "--steps", "1", "--out", str(blocker / "out"))
    assert code == 2
    assert "cannot write to output folder" in err and len(err.strip().splitlines()) == 1


def test_python_dash_m_runs_the_command() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "viz", "demo", "--dataset", "nope"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().startswith("deltagrad: error:") and "Traceback" not in done.stderr
