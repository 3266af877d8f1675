"""The browser site's build, its bridge to Python, and its worker (viz.site)."""

from __future__ import annotations

import json
import sys
import types
import zipfile
from pathlib import Path
from typing import Any

import pytest

from autograd import __version__
from viz import render
from viz.cli import main
from viz.site import PYODIDE_VERSION, VIZ_JS_VERSION, SiteError, bridge, build


def answer(request: object) -> dict[str, Any]:
    reply: dict[str, Any] = json.loads(bridge.call(json.dumps(request)))
    return reply


# ---------------------------------------------------------------------------- the bridge
def test_bridge_answers_a_call_with_its_result() -> None:
    reply = answer({"page": "site", "fn": "info", "args": {}})
    assert reply["ok"] is True
    assert reply["result"]["deltagrad"] == __version__
    assert reply["result"]["platform"] == sys.platform


@pytest.mark.parametrize(
    ("request_", "words"),
    [
        ({"page": "nowhere", "fn": "info"}, "no page 'nowhere'"),
        ({"page": "site", "fn": "nothing"}, "has no call 'nothing'"),
        ({"page": "site", "fn": "info", "args": [1]}, "args are a JSON object"),
        ({"page": "site", "fn": "info", "args": {"x": 1}}, "unexpected keyword"),
        ([1, 2], "a JSON object"),
    ],
)
def test_bridge_answers_a_bad_call_with_an_error_not_an_exception(
    request_: object, words: str
) -> None:
    reply = answer(request_)
    assert reply["ok"] is False
    assert words in reply["error"]["message"]


def test_bridge_answers_text_that_is_not_json() -> None:
    reply = json.loads(bridge.call("{not json"))
    assert reply["ok"] is False and reply["error"]["type"] == "JSONDecodeError"


# ------------------------------------------------------- viz.render's browser path (Pyodide)
def test_render_uses_the_pages_graphviz_in_a_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    fake_js = types.ModuleType("js")
    fake_js.deltagradRenderDot = lambda dot: seen.append(dot) or "<svg>drawn</svg>"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "js", fake_js)
    monkeypatch.setattr(sys, "platform", "emscripten")
    assert render.available_renderers()[0] == "browser"
    assert render.render_svg("digraph { a -> b }") == "<svg>drawn</svg>"
    assert seen == ["digraph { a -> b }"]


def test_the_browser_renderer_is_refused_outside_a_browser() -> None:
    assert "browser" not in render.available_renderers()
    with pytest.raises(render.RendererUnavailable, match="does not run in one"):
        render.render_svg("digraph { a }", renderer="browser")


# ----------------------------------------------------------------------------- the build
def test_the_built_site_has_its_pages_runtime_and_wheels(site_dir: Path) -> None:
    manifest = json.loads((site_dir / "site.json").read_text())
    assert manifest["deltagrad"] == __version__
    assert manifest["pyodideVersion"] == PYODIDE_VERSION
    assert manifest["vizJsVersion"] == VIZ_JS_VERSION
    assert manifest["pyodide"] == "pyodide/"
    for name in ("index.html", "site.js", "worker.js", "site.css", "palette.css"):
        assert (site_dir / name).is_file(), name
    assert (site_dir / "pyodide" / "pyodide.asm.wasm").stat().st_size > 1_000_000
    assert (site_dir / "viz-js" / "viz.js").stat().st_size > 500_000
    wheels = manifest["wheels"]
    assert [Path(w).name.split("-")[0] for w in wheels] == ["deltagrad", "graphviz"]
    with zipfile.ZipFile(site_dir / wheels[0]) as wheel:
        names = set(wheel.namelist())
    # the wheel is the checkout's: every module of the three packages, the site's pages too
    root = Path(__file__).resolve().parents[1]
    for package in ("autograd", "nn", "viz"):
        for source in (root / package).rglob("*.py"):
            assert source.relative_to(root).as_posix() in names
    assert "viz/site/static/worker.js" in names


def test_palette_css_is_the_palette(site_dir: Path) -> None:
    from viz import palette

    css = (site_dir / "palette.css").read_text()
    assert palette.NEGATIVE in css and palette.POSITIVE in css


def test_build_refuses_a_folder_that_is_not_a_site(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(SiteError, match="not a built site"):
        build(tmp_path, log=lambda line: None)
    assert (tmp_path / "notes.txt").read_text() == "mine"  # nothing lost
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(SiteError, match="it is a file"):
        build(afile, log=lambda line: None)


def test_build_without_npm_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import viz.site.builder as site_build

    monkeypatch.setattr(site_build.shutil, "which", lambda name: None)
    with pytest.raises(SiteError, match=r"needs npm.*apt-get install nodejs npm"):
        build(tmp_path / "out", cache=tmp_path / "empty-cache", log=lambda line: None)
    assert not (tmp_path / "out").exists()


def test_site_command_reports_a_bad_folder_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "afile").write_text("x")
    assert main(["site", "--out", str(tmp_path / "afile")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("deltagrad: error: cannot build the site") and err.count("\n") == 1


def test_rebuilding_a_site_replaces_it(site_dir: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "site"
    shutil.copytree(site_dir, copy)
    (copy / "stale.html").write_text("old")
    build(copy, log=lambda line: None)
    assert not (copy / "stale.html").exists()
    assert (copy / "site.json").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["site"]  # no temporary folder left


# ------------------------------------------------------------------- in Chromium (Pyodide)
@pytest.mark.slow
def test_a_page_starts_deltagrad_in_the_browser(site_page: Any) -> None:
    page = site_page.open("index.html", ready=False)
    info = page.evaluate(
        """async () => {
            const { Python } = await import("./site.js");
            const python = new Python();
            return await python.call("site", "info");
        }"""
    )
    assert info["deltagrad"] == __version__
    assert info["platform"] == "emscripten"
    assert info["python"].startswith("3.14")
    assert info["renderers"] == ["browser"]  # Graphviz in WebAssembly, given by the worker
    assert info["numpy"] is False  # the core runtime has none: the pages use pure Python


@pytest.mark.slow
def test_every_page_runs_in_the_browser_without_a_desktop_only_module(site_page: Any) -> None:
    # one Python does what each page does (train, run the lab's example and step it, grade a
    # solution), then says which of the desktop-only modules it has imported: none
    solution = (Path(__file__).parent / "exercise_solutions" / "sigmoid_quadratic.py").read_text()
    page = site_page.open("index.html", ready=False)
    found = page.evaluate(
        """async (solution) => {
            const { Python } = await import("./site.js");
            const python = new Python();
            const before = await python.call("site", "info");
            await python.call("playground", "start", {hidden: "3", points: 40});
            const trained = await python.call("playground", "train", {steps: 5});
            const [example] = await python.call("lab", "examples");
            const ran = await python.call("lab", "run", {code: example.code});
            const stepper = await python.call("lab", "stepper");
            const graded = await python.call("check", "grade", {source: solution, net: [2, 3, 1]});
            const info = await python.call("site", "info");
            return {step: trained.step, error: ran.error, stepper: stepper.html.length,
                    verdict: graded.verdict, desktop: info.desktop_modules,
                    before: before.desktop_modules};
        }""",
        solution,
    )
    assert found["step"] == 5  # the playground trained
    assert found["error"] is None  # the lab's example ran
    assert found["stepper"] > 1000  # and its stepper page was made
    assert found["verdict"] == "ok"  # the check graded the solution
    assert found["before"] == []
    assert found["desktop"] == []
    assert set(bridge.DESKTOP_ONLY) == {"wasmtime", "tqdm", "nn.isolation"}


def test_the_readme_and_docs_build_the_site_with_the_commands_options() -> None:
    # the documented command parses (with its defaults) and names the folder it serves
    from viz.cli import build_parser

    root = Path(__file__).resolve().parents[1]
    for doc in (root / "README.md", root / "docs" / "site.md"):
        text = doc.read_text(encoding="utf-8")
        line = next(t for t in text.splitlines() if "deltagrad site --out" in t)
        command = line[line.index("deltagrad site") :].split()
        args = build_parser().parse_args(command[1:])
        assert args.command == "site"
        assert f"python -m http.server -d {args.out}" in text, doc.name
