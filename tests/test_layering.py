"""Data flows one way: autograd <- nn <- viz. autograd imports neither; nn never imports viz."""

import ast
import re
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


# What nn knows and the engine must not: the quantities of its records, layers and neurons,
# the equations BP1–BP4 and the notation they are written in. autograd learns what a node is
# only from a caller's hook (trace's describe), so none of these words belong in its source.
VOCABULARY = {
    "a layer": r"\blayers?\b",
    "a neuron": r"\bneurons?\b",
    "an activation": r"activation",  # also pre-activation, preactivation
    "a record's quantity": r"\bquantit(y|ies)\b",
    "one of BP1–BP4": r"\bBP[1-4]\b",
    "Nielsen": r"Nielsen",
    "the cost C or its gradients": r"\bcost\b|∂C|∇_?a",
    "δ": r"δ|\bdelta_",
    "a Hadamard product": r"⊙",
}


def _vocabulary(text: str) -> list[str]:
    """The names of the VOCABULARY entries found in text (comments and docstrings included)."""
    return [what for what, pattern in VOCABULARY.items() if re.search(pattern, text, re.I)]


def test_autograd_holds_no_notation_or_layer_vocabulary() -> None:
    offenders = []
    for path in sorted((REPO / "autograd").rglob("*.py")):
        found = _vocabulary(path.read_text(encoding="utf-8"))
        if found:
            offenders.append(f"{path.relative_to(REPO)} speaks of {', '.join(found)}")
    assert not offenders, "autograd knows what nn's nodes mean: " + "; ".join(offenders)


def test_the_vocabulary_check_sees_what_the_old_trace_wrote() -> None:
    # the comments autograd's trace wrote before nn's describe hook took them over
    old = [
        'if quantity in ("preactivation", "activation") and isinstance(layer, int):',
        'return f"layer {where[1]}: z = w a + b for each neuron, then a = σ(z)"',
        'bp = "δ = ∂C/∂a ⊙ σ\'(z) (BP1)"',
        'return "the cost: ∂C/∂a for the output layer"',
        'prefix = "delta" if _quantity(n) == "preactivation" else "g"',
    ]
    assert all(_vocabulary(line) for line in old)
    assert _vocabulary("def backward(self, gradient: float = 1.0) -> None:") == []


# --------------------------------------------------------------- the module graph
PACKAGES = ("autograd", "nn", "viz")


def _modules(root: Path = REPO, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    """Every module of the packages by dotted name ('nn.module'; a package by its own name)."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(name: str, path: Path, known: set[str]) -> list[tuple[str, str, int]]:
    """(module, name taken from it or '', line) for every import of a known module in the file.

    Every import counts: at the top, inside a function, under `if TYPE_CHECKING:`. A relative
    import is resolved against the importing module; `from pkg import sub` names the module
    pkg.sub when that is a module, else pkg and the name taken from it.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, "", node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                found.append(
                    (sub, "", node.lineno) if sub in known else (source, alias.name, node.lineno)
                )
    return [(module, what, line) for module, what, line in found if module in known]


def _graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Each module -> the modules it imports (not itself)."""
    known = set(modules)
    return {
        name: {module for module, _, _ in _imports(name, path, known) if module != name}
        for name, path in modules.items()
    }


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle [a, b, ..., a] of the graph, or None if it has none (explicit stack)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    for start in sorted(graph):
        if start in state:
            continue
        path = [start]
        state[start] = 1
        stack = [iter(sorted(graph[start]))]
        while stack:
            step = next(stack[-1], None)
            if step is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(step) == 1:
                return [*path[path.index(step) :], step]
            elif step not in state:
                state[step] = 1
                path.append(step)
                stack.append(iter(sorted(graph[step])))
    return None


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _private_imports(modules: dict[str, Path], root: Path = REPO) -> list[str]:
    """Imports of another module's _name, or of a _module from outside its package."""
    offenders = []
    for name, path in modules.items():
        for module, what, line in _imports(name, path, set(modules)):
            parts = module.split(".")
            outside = [
                part
                for i, part in enumerate(parts)
                if _private(part) and not _inside(name, ".".join(parts[:i]))
            ]
            if module != name and (_private(what) or outside):
                shown = f"{module}.{what}" if what else module
                offenders.append(f"{path.relative_to(root)}:{line} imports {shown}")
    return offenders


def test_no_import_cycles_even_through_imports_inside_functions() -> None:
    cycle = _cycle(_graph(_modules()))
    assert cycle is None, (
        "import cycle: " + " -> ".join(cycle) + " (imports inside functions count too); move "
        "what they share into a module that none of them is imported by"
    )


def test_no_module_imports_another_modules_private_names() -> None:
    # A leading underscore keeps a name inside its module and a module inside its package:
    # what another module needs is public where it lives, or lives where both can reach it.
    offenders = _private_imports(_modules())
    assert not offenders, "private imports: " + "; ".join(offenders)


def test_the_checkers_see_lazy_cycles_and_private_imports(tmp_path: Path) -> None:
    files = {
        "__init__.py": "from ._version import __version__\n",
        "_version.py": "__version__ = '1'\n",
        "a.py": "from .b import f\n\ndef g():\n    return f\n",
        "b.py": "def f():\n    from . import a  # the cycle hides in a function\n",
        "c.py": "from pkg.a import g, _h\nimport pkg.b\n",
        "d.py": "from pkg._version import __version__\nfrom .c import __doc__\n",
    }
    (tmp_path / "pkg").mkdir()
    for file, text in files.items():
        (tmp_path / "pkg" / file).write_text(text)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "__init__.py").write_text("from pkg._version import __version__\n")
    modules = _modules(tmp_path, ("pkg", "other"))
    graph = _graph(modules)
    assert graph == {
        "other": {"pkg._version"},
        "pkg": {"pkg._version"},
        "pkg._version": set(),
        "pkg.a": {"pkg.b"},
        "pkg.b": {"pkg.a"},
        "pkg.c": {"pkg.a", "pkg.b"},
        "pkg.d": {"pkg._version", "pkg.c"},
    }
    assert _cycle(graph) == ["pkg.a", "pkg.b", "pkg.a"]
    assert _cycle({**graph, "pkg.b": set()}) is None
    assert _private_imports(modules, tmp_path) == [
        "pkg/c.py:1 imports pkg.a._h",
        "other/__init__.py:1 imports pkg._version.__version__",
    ]
