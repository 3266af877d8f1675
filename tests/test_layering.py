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
