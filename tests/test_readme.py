"""The README's code runs and prints what it says; its commands match CI."""

import contextlib
import io
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, re.S)


def block(starting: str) -> str:
    """The one python block whose code starts with `starting`."""
    found = [b for b in blocks() if b.startswith(starting)]
    assert len(found) == 1, starting
    return found[0]


def text_after(code: str) -> str:
    """The ```text block that follows a python block: what it prints."""
    rest = README[README.index(code) + len(code) :]
    match = re.match(r"\n*```\n\n```text\n(.*?)```", rest, re.S)
    assert match is not None, "no text block after the code"
    return match.group(1)


DELTA = "from nn import MLP\nfrom nn.losses import binary_cross_entropy\n"
ENGINE = "from autograd import"
VIZ = "# continues the example under"
TRAINING = "from nn import MLP\nfrom nn.data import moons"


def block_with(text: str) -> str:
    """The one python block of the README that contains text."""
    found = [b for b in blocks() if text in b]
    assert len(found) == 1, text
    return found[0]


def run_block(code: str, namespace: dict[str, object]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), namespace)
    return out.getvalue()


def test_delta_example_prints_a_minus_y_and_bp2() -> None:
    namespace: dict[str, object] = {}
    lines = run_block(block(DELTA), namespace).splitlines()
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
    assert run_block(block(ENGINE), {}).strip() == "54.0"


def test_engine_language_example_prints_what_its_comments_say() -> None:
    lines = run_block(block_with("autograd.primitive("), {}).splitlines()
    assert lines == ["0.077004", "3.0 True 0.0", "3.0 True", "True"]


def test_viz_example_runs_on_the_delta_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    namespace: dict[str, object] = {}
    run_block(block(DELTA), namespace)
    monkeypatch.chdir(tmp_path)  # the example writes stepper.html to the working directory
    code = block(VIZ)
    text = run_block(code, namespace)
    assert "δ²₁ = ∂C/∂z²₁ = " in text and (tmp_path / "stepper.html").exists()
    # the comment shows explain's own factors, in its order, up to the numbers
    shown = re.search(r"# prints (.*) = …\n(?:# .*\n)*print\(viz\.explain\(", code)
    assert shown is not None and text.startswith(shown.group(1) + " = ")


def test_training_walkthrough_prints_what_the_readme_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # the example saves moons.json in the working directory
    code = block(TRAINING)
    namespace: dict[str, object] = {}
    exec(
        compile(
            code.replace("batch_size=20)", "batch_size=20, progress=True)"), "README.md", "exec"
        ),
        namespace,
    )
    out, err = capsys.readouterr()
    assert out == text_after(code)
    assert "500/500" in err and "epoch=100" in err  # the progress bar, on stderr
    bar = re.search(r"`fit: 100%\|█+\| 500/500 \[\.\.\., epoch=100, loss=([\d.]+)\]`", README)
    assert bar is not None and f"loss={bar.group(1)}" in err
    assert (tmp_path / "moons.json").exists()


def cli_transcripts() -> list[tuple[list[str], str]]:
    """Each ```text block that starts with `$ deltagrad ...`: its arguments and its output."""
    found = re.findall(r"```text\n\$ deltagrad ([^\n]*)\n(.*?)```", README, re.S)
    return [(args.split(), output) for args, output in found]


def test_the_cli_section_shows_what_the_commands_print(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from viz.cli import main

    transcripts = dict((args[0], (args, text)) for args, text in cli_transcripts())
    assert set(transcripts) == {"check", "explain"}
    args, text = transcripts["explain"]
    assert main(args) == 0
    assert capsys.readouterr().out == text
    args, text = transcripts["check"]
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    shown = text.splitlines()
    assert shown[2] == "…"  # the rows between are left out; the first ones are exact
    assert lines[:2] == shown[:2] and lines[-1] == shown[-1]


def sh_commands() -> list[str]:
    """The README's ```sh blocks, in order."""
    return re.findall(r"```sh\n(.*?)\n```", README, re.S)


def test_ci_runs_the_readme_test_command() -> None:
    # the two required commands, then the optional ones that open and export the tutorial
    commands = sh_commands()
    assert len(commands) == 4  # and the tutorial's offline HTML export (tests/test_notebook.py)
    install_and_demo, install_and_test, notebook, export = commands
    assert "pip install -e '.[test]'" not in notebook + export  # CI takes the first line with it
    assert "deltagrad demo" in install_and_demo and "pip install ." in install_and_demo
    assert "pip install -e '.[test]'" in install_and_test and "pytest" in install_and_test
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -e '.[test]'" in ci and "README.md" in ci
    assert README.index(install_and_test) < README.index(notebook)


def requirement_names(requirements: list[str]) -> list[str]:
    """The package names of requirement strings such as 'jupyterlab>=4'."""
    return [re.split(r"[\s<>=!~\[;]", req, maxsplit=1)[0].lower() for req in requirements]


def test_the_optional_notebook_command_matches_the_extras() -> None:
    import tomllib

    extras = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    command = sh_commands()[2]
    m = re.fullmatch(
        r"python3 -m venv \.venv && \. \.venv/bin/activate && pip install '\.\[(\w+)\]' && "
        r"jupyter lab (\S+)",
        command,
    )
    assert m, command
    extra, notebook = m.groups()
    assert (REPO / notebook).exists()
    names = requirement_names(extras[extra])
    # the extra brings what the command runs (jupyter lab) and the kernel the notebook names
    assert "jupyterlab" in names and "ipykernel" in names
    # and the test extra what the tests execute and render the notebook with
    tested = requirement_names(extras["test"])
    assert {"nbclient", "nbformat", "ipykernel", "nbconvert"} <= set(tested)
    kernel = json.loads((REPO / notebook).read_text(encoding="utf-8"))["metadata"]["kernelspec"]
    assert kernel["name"] == "python3"  # ipykernel's own kernel


def section(title: str) -> str:
    """The README's text under '## title', up to the next '## ' heading."""
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else len(README)]


def test_to_pytorch_example_prints_what_the_readme_shows(torch: Any) -> None:
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


def test_the_layer_view_example_prints_what_the_readme_shows() -> None:
    code = block_with("print(viz.explain(model.layers[0], C))")
    assert run_block(code, {}) == text_after(code)


def test_the_readme_runs_top_to_bottom_in_one_namespace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a reader pastes the blocks in order into one session: a later block may use what an
    # earlier one made (the drawing block draws the δ example's C), so no block may clobber it
    has_torch = os.environ.get("DELTAGRAD_REQUIRE_TORCH") == "1"  # CI's torch job: never skip
    if not has_torch:
        try:
            import torch  # noqa: F401

            has_torch = True
        except ImportError:
            pass
    monkeypatch.chdir(tmp_path)  # the examples write moons.json, stepper.html, playground.html
    namespace: dict[str, object] = {}
    ran = 0
    for code in blocks():
        if re.search(r"^import torch", code, re.M) and not has_torch:
            continue  # the To PyTorch block needs the optional extra
        try:
            run_block(code, namespace)
        except Exception as e:
            first = code.strip().splitlines()[0]
            raise AssertionError(f"the README block starting {first!r} failed: {e!r}") from e
        ran += 1
    assert ran >= len(blocks()) - 1
    assert (tmp_path / "stepper.html").exists() and (tmp_path / "moons.json").exists()


CONTINUES = re.compile(r'# continues the example under "(.+?)"')


def python_blocks() -> list[tuple[str, str]]:
    """Every ```python block of the README with the heading it stands under."""
    found = []
    for m in re.finditer(r"```python\n(.*?)```", README, re.S):
        heading = re.findall(r"^#+ (.+)$", README[: m.start()], re.M)[-1]
        found.append((heading, m.group(1)))
    return found


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_each_python_block_runs_alone_or_says_which_it_continues(
    index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a reader pastes one block: it runs in a fresh interpreter state, or its first line names
    # the block it continues (which then runs first)
    heading, code = python_blocks()[index]
    if "import torch" in code and os.environ.get("DELTAGRAD_REQUIRE_TORCH") != "1":
        pytest.importorskip("torch", reason="PyTorch is not installed: pip install '.[torch]'")
    monkeypatch.chdir(tmp_path)  # blocks write files (moons.json, stepper.html, …)
    namespace: dict[str, object] = {}
    first = code.splitlines()[0]
    if (m := CONTINUES.match(first)) is not None:
        earlier = [c for h, c in python_blocks() if h == m.group(1)]
        assert earlier, f"{heading}: no block under the heading {m.group(1)!r}"
        run_block(earlier[0], namespace)
    run_block(code, namespace)
