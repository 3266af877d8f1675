"""What `pip install .` installs: every package of the source tree, not only the top three."""

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_directory_is_installed() -> None:
    # a subpackage left out (autograd.tracing once was) imports from a checkout but not from a
    # wheel: the installed `deltagrad` command then fails at its first import
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = config["tool"]["setuptools"]
    packages = setuptools["packages"]
    assert isinstance(packages, dict), "find the packages (packages.find), do not list them"
    include = packages["find"]["include"]
    found = sorted(
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("autograd", "nn", "viz")
        for init in (ROOT / top).rglob("__init__.py")
    )
    assert "autograd.tracing" in found
    for package in found:
        assert any(fnmatch.fnmatchcase(package, pattern) for pattern in include), package


def test_every_data_file_of_a_package_is_installed() -> None:
    # a file the code reads at run time (the playground's template, the digits data) that
    # package-data does not name is missing from the wheel: pip install . then fails on first use
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = config["tool"]["setuptools"]["package-data"]
    for top in ("autograd", "nn", "viz"):
        for path in (ROOT / top).rglob("*"):
            if path.is_dir() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
                continue
            inside = path.relative_to(ROOT / top).as_posix()
            assert any(fnmatch.fnmatchcase(inside, p) for p in listed.get(top, [])), (top, inside)


def test_every_skip_reason_gives_one_form_of_install_hint() -> None:
    # a skipped test says how to install what it needs as the README does, from the checkout
    # (pip install '.[extra]'), never 'deltagrad[extra]' in one place and '.[extra]' in another
    import re

    root = Path(__file__).resolve().parents[1]
    extras = tomllib.loads((root / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    hints = []
    for source in (root / "tests").glob("*.py"):
        for reason in re.findall(r"reason=(?:f?\"[^\"]*\")", source.read_text(encoding="utf-8")):
            hints += [(source.name, h) for h in re.findall(r"pip install [^\"]+", reason)]
    assert len(hints) >= 3
    for name, hint in hints:
        m = re.fullmatch(r"pip install '\.\[(\w+)\]'", hint)
        assert m is not None and m[1] in extras, (name, hint)
