"""Build the static site: the pages, Pyodide and Graphviz from npm, deltagrad's wheel.

npm is needed at build time only, to fetch two pinned packages into a cache folder (reused by
later builds): Pyodide's core runtime and `@viz-js/viz` (Graphviz compiled to WebAssembly,
which draws the graphs in the browser, where the desktop's renderers cannot run). deltagrad's
wheel is built from the checkout with pip; the graphviz Python package (it writes the DOT text
that viz.draw makes) goes in as its wheel from the package registry. The built folder opens
offline: no page fetches anything from another host.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from importlib import metadata, resources
from pathlib import Path

from autograd import __version__

from .. import palette

__all__ = ["PYODIDE_VERSION", "VIZ_JS_VERSION", "SiteError", "build"]

PYODIDE_VERSION = "314.0.8"  # Pyodide's core runtime (CPython 3.14 in WebAssembly), npm
VIZ_JS_VERSION = "3.31.0"  # @viz-js/viz, Graphviz in WebAssembly, npm
# the files of Pyodide's core runtime that a page loads (its npm package's JavaScript, the
# WebAssembly, the standard library and the lock file it reads at start)
PYODIDE_FILES = (
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)
MARKER = "site.json"  # every built site has it: a folder with it may be rebuilt in place
PAGES = ("index.html", "playground.html", "lab.html", "check.html")


class SiteError(RuntimeError):
    """The site cannot be built here (npm missing, not a checkout, an unusable folder)."""


def _cache_folder(cache: str | os.PathLike[str] | None) -> Path:
    if cache is not None:
        return Path(cache)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "deltagrad" / f"site-npm-{PYODIDE_VERSION}-{VIZ_JS_VERSION}"


def _npm_packages(cache: Path, npm: str | None, log: Callable[[str], None]) -> Path:
    """node_modules with the pinned Pyodide and @viz-js/viz, installed by npm if not yet there."""
    modules = cache / "node_modules"
    wanted = {"pyodide": PYODIDE_VERSION, "@viz-js/viz": VIZ_JS_VERSION}
    if all(_npm_version(modules / name) == version for name, version in wanted.items()):
        return modules
    program = npm or shutil.which("npm")
    if program is None:
        raise SiteError(
            "building the site needs npm, to fetch Pyodide and @viz-js/viz once (Debian: "
            "apt-get install nodejs npm; elsewhere https://nodejs.org), and it is not on PATH"
        )
    cache.mkdir(parents=True, exist_ok=True)
    specs = [f"{name}@{version}" for name, version in wanted.items()]
    log(f"npm install {' '.join(specs)} (into {cache})")
    command = [program, "install", "--prefix", str(cache), "--no-audit", "--no-fund", "--no-save"]
    done = subprocess.run(
        [*command, *specs],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise SiteError(f"npm could not install {' and '.join(specs)}:\n{tail}")
    for name, version in wanted.items():
        if _npm_version(modules / name) != version:
            raise SiteError(f"npm did not install {name}@{version} into {modules}")
    return modules


def _npm_version(folder: Path) -> str | None:
    try:
        with open(folder / "package.json", encoding="utf-8") as f:
            version = json.load(f).get("version")
    except (OSError, ValueError):
        return None
    return version if isinstance(version, str) else None


def _checkout() -> Path:
    """The checkout deltagrad's wheel is built from: the one this viz package lives in."""
    root = Path(__file__).resolve().parents[2]
    try:
        text = (root / "pyproject.toml").read_text(encoding="utf-8")
    except OSError:
        text = ""
    if 'name = "deltagrad"' not in text:
        raise SiteError(
            "the site is built from a checkout of deltagrad (its wheel goes into the site), "
            f"and this deltagrad is installed without one ({root}); clone the repository and "
            "pip install -e . there, then build again"
        )
    return root


def _pip(args: list[str], what: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
        raise SiteError(f"pip could not {what}:\n{tail}")


def _has_setuptools() -> bool:
    done = subprocess.run(
        [sys.executable, "-c", "import setuptools"], capture_output=True, check=False
    )
    return done.returncode == 0


def _wheels(folder: Path, log: Callable[[str], None]) -> list[str]:
    """deltagrad's wheel (from the checkout) and graphviz's (the installed version's, from PyPI)."""
    folder.mkdir()
    root = _checkout()
    log(f"pip wheel {root}")
    # built from a copy of what the wheel holds, so the checkout gets no build/ or egg-info
    with tempfile.TemporaryDirectory() as copy:
        for name in ("pyproject.toml", "README.md"):
            shutil.copyfile(root / name, Path(copy) / name)
        for package in ("autograd", "nn", "viz"):
            shutil.copytree(
                root / package, Path(copy) / package, ignore=shutil.ignore_patterns("__pycache__")
            )
        # the check page's exercises: docs/exercises' plain-Python files, as package data
        from .check import EXERCISES

        (Path(copy) / "viz" / "site" / "exercises").mkdir()
        for key in EXERCISES:
            name = f"{key}.py"
            shutil.copyfile(
                root / "docs" / "exercises" / name, Path(copy) / "viz/site/exercises" / name
            )
        # with setuptools at hand, no isolated build environment (nothing to fetch)
        isolation = ["--no-build-isolation"] if _has_setuptools() else []
        _pip(
            ["wheel", "--no-deps", "--quiet", *isolation, "-w", str(folder), copy],
            f"build deltagrad's wheel from {root}",
        )
    version = metadata.version("graphviz")
    wanted = f"graphviz=={version}"
    log(f"pip download {wanted}")
    _pip(
        ["download", "--no-deps", "--quiet", "--only-binary", ":all:", "-d", str(folder), wanted],
        f"download the graphviz {version} wheel",
    )
    names = sorted(p.name for p in folder.glob("*.whl"))
    if len(names) != 2 or not any(n.startswith("deltagrad-") for n in names):
        raise SiteError(f"expected deltagrad's and graphviz's wheels, pip wrote {names}")
    return names


def _static(out: Path) -> None:
    """The pages and their shared script, style and worker, as the package ships them."""
    for item in resources.files("viz.site").joinpath("static").iterdir():
        if item.is_file():
            (out / item.name).write_bytes(item.read_bytes())
    (out / "palette.css").write_text(
        f"/* the one palette (viz/palette.py), as every page of deltagrad uses it */\n"
        f":root {{ {palette.css_variables()} }}\n",
        encoding="utf-8",
    )


def _prepare(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise SiteError(f"cannot build the site into {str(out)!r}: it is a file")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise SiteError(
            f"{str(out)!r} is a folder with other files in it and not a built site "
            f"(no {MARKER}); give an empty or new folder"
        )
    parent = out.resolve().parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise SiteError(f"cannot build the site into {str(out)!r}: {str(parent)!r} is not writable")


def build(
    out: str | os.PathLike[str],
    *,
    pyodide_url: str | None = None,
    cache: str | os.PathLike[str] | None = None,
    npm: str | None = None,
    log: Callable[[str], None] = print,
) -> Path:
    """Build the site into the folder out (new, empty, or a site built before) and return it.

    pyodide_url: a full Pyodide distribution to load instead of the core runtime copied into
    the site (its folder's URL, ending in '/'), for pages whose Python needs numpy; the pages
    then fetch Pyodide from there. cache: where npm's packages are kept between builds
    (default ~/.cache/deltagrad/...). The folder is written aside and moved into place, so a
    failed build leaves the old site as it was.
    """
    target = Path(out)
    _prepare(target)
    if pyodide_url is not None and not pyodide_url.endswith("/"):
        raise SiteError(f"--pyodide-url is a folder's URL ending in '/', got {pyodide_url!r}")
    modules = _npm_packages(_cache_folder(cache), npm, log)
    work = Path(tempfile.mkdtemp(prefix=".site-", dir=target.resolve().parent))
    try:
        _static(work)
        if pyodide_url is None:
            (work / "pyodide").mkdir()
            for name in PYODIDE_FILES:
                shutil.copyfile(modules / "pyodide" / name, work / "pyodide" / name)
        (work / "viz-js").mkdir()
        shutil.copyfile(modules / "@viz-js" / "viz" / "dist" / "viz.js", work / "viz-js" / "viz.js")
        wheels = _wheels(work / "wheels", log)
        manifest = {
            "deltagrad": __version__,
            "pyodide": pyodide_url or "pyodide/",
            "pyodideVersion": PYODIDE_VERSION,
            "vizJsVersion": VIZ_JS_VERSION,
            "wheels": [f"wheels/{name}" for name in wheels],
        }
        (work / MARKER).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        os.chmod(work, 0o755)
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=".site-old-", dir=target.resolve().parent))
            os.replace(target, old / "site")
            os.replace(work, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    log(f"wrote the site to {target} (serve it: python -m http.server -d {target})")
    return target
