"""Data flows one way: autograd <- nn <- viz. autograd imports neither; nn never imports viz."""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FORBIDDEN = {"autograd": {"nn", "viz"}, "nn": {"viz"}}


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_import_points_back(package: str) -> None:
    offenders = []
    for path in sorted((REPO / package).rglob("*.py")):
        bad = _imported_packages(path) & FORBIDDEN[package]
        if bad:
            offenders.append(f"{path.relative_to(REPO)} imports {', '.join(sorted(bad))}")
    assert not offenders, "layering broken: " + "; ".join(offenders)


def test_the_checker_sees_a_lazy_import(tmp_path: Path) -> None:
    # an import inside a function counts too (that is how nn/cli.py used to reach viz)
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    import viz\n    from viz.plots import x\n")
    assert _imported_packages(sample) == {"viz"}
