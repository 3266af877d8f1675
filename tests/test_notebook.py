"""docs/tutorial.ipynb: stored without outputs, executed in a real Jupyter kernel (nbclient and
ipykernel, from the test extra) where any failing cell fails the test, its rich outputs present
in the notebook and in nbconvert's HTML, and its assertion cells able to fail.

Skipped without nbclient/ipykernel/nbconvert, unless DELTAGRAD_REQUIRE_NOTEBOOK=1 (as in CI).
"""

import base64
import html
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = REPO / "docs" / "tutorial.ipynb"
REQUIRE_NOTEBOOK = os.environ.get("DELTAGRAD_REQUIRE_NOTEBOOK") == "1"
REQUIRE_TORCH = os.environ.get("DELTAGRAD_REQUIRE_TORCH") == "1"


def stored() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    return data


def tagged(cells: list[Any], tag: str) -> Any:
    """The one cell carrying tag."""
    found = [c for c in cells if tag in c.get("metadata", {}).get("tags", [])]
    assert len(found) == 1, tag
    return found[0]


def test_the_notebook_is_stored_without_outputs() -> None:
    nb = stored()
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert len(code) > 10
    for cell in code:
        assert cell["outputs"] == [] and cell["execution_count"] is None, cell["source"][:2]
        assert set(cell["metadata"]) <= {"tags"}  # no execution times, no collapsed state
    assert set(nb["metadata"]) == {"kernelspec", "language_info"}


def test_every_check_cell_asserts() -> None:
    for cell in stored()["cells"]:
        tags = cell.get("metadata", {}).get("tags", [])
        source = "".join(cell["source"])
        is_check = source.startswith("# check")
        assert is_check == any(t.startswith("check-") or t == "torch" for t in tags), source[:60]
        if is_check:
            assert "assert " in source


# ------------------------------------------------------------------ in a kernel
def _missing() -> str | None:
    try:
        import ipykernel  # noqa: F401
        import nbclient  # noqa: F401
        import nbconvert  # noqa: F401
        import nbformat  # noqa: F401
    except ImportError as e:
        return f"{e.name} is not installed (pip install -e '.[test]')"
    return None


def _require_notebook_tools() -> None:
    missing = _missing()
    if missing is not None:
        if REQUIRE_NOTEBOOK:
            pytest.fail(f"DELTAGRAD_REQUIRE_NOTEBOOK=1 but {missing}")
        pytest.skip(missing)


def execute(nb: Any, cwd: Path) -> Any:
    """Run every cell of nb in a fresh python3 kernel (ipykernel); raise on a failing cell.

    The kernel is ipykernel in this interpreter, whatever python3 kernels the machine's
    Jupyter paths hold: JUPYTER_PATH comes first, and points at a kernelspec written here.
    The kernel inherits the environment, PYTHONPATH included.
    """
    from nbclient import NotebookClient

    spec = cwd / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": "Python 3", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")
    before = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join([str(cwd / "jupyter"), *filter(None, [before])])
    try:
        client = NotebookClient(
            nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
        )
        assert client.create_kernel_manager().kernel_spec.argv[0] == sys.executable
        client.execute()
    finally:
        if before is None:
            del os.environ["JUPYTER_PATH"]
        else:
            os.environ["JUPYTER_PATH"] = before
    return nb


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    _require_notebook_tools()
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    return execute(nb, tmp_path_factory.mktemp("tutorial"))


@pytest.mark.slow
def test_every_cell_runs_in_a_kernel(executed: Any) -> None:
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    # what each check prints: both ways of computing a number, equal
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    by_hand = re.search(r"∂L/∂a: by hand ([\d.]+), backward\(\) ([\d.]+)", text)
    assert by_hand and by_hand.group(1) == by_hand.group(2)
    assert "BP1–BP4 hold for every δ" in text and "backprop OK" in text


@pytest.mark.slow
def test_every_result_has_its_rich_form_and_plain_text(executed: Any) -> None:
    def data(tag: str) -> dict[str, str]:
        (result,) = [o for o in tagged(executed.cells, tag).outputs if "data" in o]
        assert result.data["text/plain"]
        return dict(result.data)

    graph = data("graph")["image/svg+xml"]
    assert "<svg" in graph and ">L<" in graph and ">a<" in graph
    explained = data("explain")
    assert explained["text/markdown"].startswith("$")  # LaTeX, the names typeset
    assert r"\delta" in explained["text/markdown"] and "z^{2}_{0}" in explained["text/markdown"]
    assert explained["text/latex"].startswith("$\\begin{array}")
    layers = data("layer-view")
    assert "$$" in layers["text/markdown"] and r"\odot" in layers["text/markdown"]
    assert layers["text/latex"].startswith("$$\\begin{aligned}")
    network = data("mlp")["text/html"]
    assert "<table" in network and "<b>17</b>" in network and network.count("<circle") == 7
    assert "backprop WRONG" in data("report")["text/markdown"]
    for tag in ("stepper", "stepper-layers", "playground"):
        assert data(tag)["text/html"].startswith('<iframe srcdoc="&lt;!DOCTYPE html&gt;')
    assert "training loss" in data("history")["image/svg+xml"]
    torch_text = "".join(o.get("text", "") for o in tagged(executed.cells, "torch").outputs)
    if REQUIRE_TORCH or "not installed" not in torch_text:
        rows = torch_text.splitlines()[1:]
        assert [r.split()[0] for r in rows] == ["C", "∂C/∂w^2_{1,0}", "w^2_{1,0}"]
        for row in rows:
            ours, theirs = map(float, row.split()[-2:])
            assert abs(ours - theirs) <= 1e-12


def cell_html(page: str, tag: str) -> str:
    """The HTML of the cell with tag, as nbconvert's lab template writes it."""
    m = re.search(f'celltag_{re.escape(tag)}[" ]', page)
    assert m, tag
    start = m.start()
    end = page.find('<div class="jp-Cell ', start)
    return page[start : end if end != -1 else len(page)]


@pytest.mark.slow
def test_the_rendered_notebook_shows_the_rich_outputs(executed: Any) -> None:
    from nbconvert import HTMLExporter

    page, _ = HTMLExporter().from_notebook_node(executed)
    # the graph: an SVG (nbconvert embeds it as an image)
    graph = cell_html(page, "graph")
    m = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', graph)
    assert m and b"<svg" in base64.b64decode(m.group(1))
    # explain: its Markdown with the LaTeX left for MathJax to typeset
    explained = cell_html(page, "explain")
    assert "jp-RenderedMarkdown" in explained and "$" in explained
    assert r"\delta" in explained and "z^{2}_{0}" in explained
    layers = cell_html(page, "layer-view")
    assert "jp-RenderedMarkdown" in layers and "$$" in layers and r"\odot" in layers
    assert "MathJax" in page
    # the stepper and the playground: their whole pages in sandboxed iframes
    pages = (
        ("stepper", "Backward pass of"),
        ("stepper-layers", "By layer"),
        ("playground", "Training playground"),
    )
    for tag, title in pages:
        frame = cell_html(page, tag)
        assert frame.count("<iframe ") == 1 and 'sandbox="allow-scripts"' in frame
        shown = re.search(r'srcdoc="([^"]*)"', frame)
        assert shown and title in html.unescape(shown.group(1))
        (result,) = [o for o in tagged(executed.cells, tag).outputs if "data" in o]
        source = re.search(r'srcdoc="([^"]*)"', result.data["text/html"])
        assert source and html.unescape(shown.group(1)) == html.unescape(source.group(1))
    # the network: the table and the drawing; the training run: its loss curve
    assert "<svg" in cell_html(page, "mlp") and "<table" in cell_html(page, "mlp")
    assert "jp-RenderedSVG" in cell_html(page, "history")
    assert "backprop WRONG" in cell_html(page, "report")


# A wrong number in a check cell: the run stops there with an AssertionError. Each case runs the
# notebook up to that cell with one mistake a learner makes.
MISTAKES = {
    # forgetting the direct path from a to L: only the path through c
    "check-chain-rule": ("dL_da = dL_dc * b.data + 1", "dL_da = dL_dc * b.data"),
    # BP1 without σ'(z): the output δ as "the error" a − y
    "check-neuron": ("bp1 = (out.data - y) * (1 - out.data**2)", "bp1 = out.data - y"),
    # BP2 without σ'(z^l)
    "check-bp": (") * sigma_prime(z2[k]) for k in range(3)]", ") for k in range(3)]"),
}


@pytest.mark.slow
@pytest.mark.parametrize("tag", sorted(MISTAKES))
def test_a_check_cell_fails_when_a_number_is_wrong(tag: str, tmp_path: Path) -> None:
    _require_notebook_tools()
    import nbformat
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(NOTEBOOK, as_version=4)
    last = nb.cells.index(tagged(nb.cells, tag))
    nb.cells = nb.cells[: last + 1]
    right, wrong = MISTAKES[tag]
    changed = [c for c in nb.cells if right in c.source]
    assert len(changed) == 1, right
    changed[0].source = changed[0].source.replace(right, wrong)
    with pytest.raises(CellExecutionError) as failure:
        execute(nb, tmp_path)
    assert "AssertionError" in str(failure.value)
    (error,) = [o for o in nb.cells[last].outputs if o.output_type == "error"]
    assert error.ename == "AssertionError"


# ------------------------------------------------------------------ exported offline
def documented_export() -> list[str]:
    """The README's command that exports the tutorial as HTML, split into its words."""
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    found = [line for line in lines if line.startswith("jupyter nbconvert --execute --to html")]
    assert len(found) == 1, "the README documents one HTML export of the tutorial"
    words = shlex.split(found[0])
    assert words[-1] == "docs/tutorial.ipynb"
    return words


@pytest.mark.slow
def test_the_documented_html_export_typesets_every_formula_offline(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The README's nbconvert command, run as written, then its HTML in Chromium with every
    request off this machine refused: the formulas come out typeset, no raw $ left."""
    _require_notebook_tools()
    # the session's one Chromium (conftest), asked for only once the notebook tools are there
    browser = request.getfixturevalue("browser")

    words = documented_export()
    assert words[:2] == ["jupyter", "nbconvert"]
    # the kernel is this interpreter's ipykernel, as in execute() above
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": "Python 3", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")
    env = dict(os.environ, JUPYTER_PATH=str(tmp_path / "jupyter"))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "nbconvert", *words[2:], "--output-dir", str(out)]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    exported = out / "tutorial.html"

    refused: list[str] = []

    def local_only(route: Any) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:", "about:", "blob:")):
            route.continue_()
        else:
            refused.append(url)
            route.abort()

    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        page.route("**/*", local_only)
        page.goto(exported.as_uri())
        # once MathJax (if it loaded at all) has typeset every formula
        page.evaluate(
            "window.MathJax && MathJax.Hub ? new Promise((d) => MathJax.Hub.Queue(d)) : 0"
        )
        typeset = page.locator(".MathJax_CHTML, .MathJax_SVG, mjx-container").count()
        # the visible text of the Markdown cells and outputs, formulas typeset: no $ left
        raw = page.evaluate(
            """() => [...document.querySelectorAll('.jp-RenderedMarkdown')]
                .map((e) => e.innerText).filter((t) => /\\$[^$\\n]+\\$/.test(t))"""
        )
    finally:
        page.close()
    assert refused == [], f"requests off this machine: {refused}"
    markdown = [c for c in stored()["cells"] if c["cell_type"] == "markdown"]
    inline = sum(len(re.findall(r"\$[^$\n]+\$", "".join(c["source"]))) for c in markdown)
    assert inline > 10 and typeset >= inline
    assert raw == [], raw[:2]
