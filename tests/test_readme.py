"""The README's code runs and prints what it says; its commands match CI."""

import contextlib
import io
import os
import re
from pathlib import Path

import pytest

REPO = Path(__file__).parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, re.S)


def run_block(code: str, namespace: dict[str, object]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), namespace)
    return out.getvalue()


def test_delta_example_prints_a_minus_y_and_bp2() -> None:
    namespace: dict[str, object] = {}
    lines = run_block(blocks()[0], namespace).splitlines()
    label, delta, residual = lines[0].split()
    assert label == "z^3_0"
    assert abs(float(delta) - float(residual)) < 1e-12  # δ^L = a − y
    model = namespace["model"]
    hidden = model.layers[0]  # type: ignore[attr-defined]
    out = model.layers[1]  # type: ignore[attr-defined]
    a1 = hidden.a[1].data
    bp2 = out.neurons[0].w[1].data * float(delta) * a1 * (1 - a1)
    assert abs(float(lines[1]) - bp2) < 1e-12
    assert abs(float(lines[2]) - a1 * float(delta)) < 1e-12  # BP4


def test_engine_example_prints_54() -> None:
    assert run_block(blocks()[1], {}).strip() == "54.0"


def test_viz_example_runs_on_the_delta_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    namespace: dict[str, object] = {}
    run_block(blocks()[0], namespace)
    monkeypatch.chdir(tmp_path)  # the example writes stepper.html to the working directory
    text = run_block(blocks()[2], namespace)
    assert "w^2_{1,0}" in text and (tmp_path / "stepper.html").exists()


def test_ci_runs_the_readme_test_command() -> None:
    commands = re.findall(r"```sh\n(.*?)\n```", README, re.S)
    assert len(commands) == 2
    install_and_demo, install_and_test = commands
    assert "deltagrad demo" in install_and_demo and "pip install ." in install_and_demo
    assert "pip install -e '.[test]'" in install_and_test and "pytest" in install_and_test
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -e '.[test]'" in ci and "README.md" in ci


def section(title: str) -> str:
    """The README's text under '## title', up to the next '## ' heading."""
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else len(README)]


def test_to_pytorch_example_prints_what_the_readme_shows() -> None:
    if os.environ.get("DELTAGRAD_REQUIRE_TORCH") != "1":
        pytest.importorskip("torch", reason="PyTorch is not installed: pip install '.[torch]'")
    text = section("To PyTorch")
    code = re.search(r"```python\n(.*?)```", text, re.S)
    shown = re.search(r"```text\n(.*?)```", text, re.S)
    assert code and shown and "to_torch()" in code.group(1)
    printed = run_block(code.group(1), {})
    assert printed == shown.group(1)
    rows = printed.splitlines()[1:]
    assert len(rows) == 3
    for row in rows:  # the two columns: deltagrad and PyTorch
        ours, theirs = map(float, row.split()[-2:])
        assert abs(ours - theirs) <= 1e-12


def test_to_pytorch_cost_table_is_the_bridges_table() -> None:
    from nn.torch_bridge import TORCH_COSTS

    rows = re.findall(r"^\| `(\w+)` \| `([^`]+)` \|", section("To PyTorch"), re.M)
    assert dict(rows) == {name: row.formula for name, row in TORCH_COSTS.items()}
