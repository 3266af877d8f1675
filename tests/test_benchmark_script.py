"""The benchmark script runs end to end with --quick and prints every table (no timing asserts)."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent / "benchmarks" / "run.py"

TITLES = [
    "## Section 1: engine",
    "### Engine vs micrograd: neuron-style graph of `+ * ** relu`",
    "### Engine on a chain `v = v * c + d`",
    "### Engine at scale: a deep chain and a wide node",
    "### Engine: building while another thread is inside a mode",
    "## Section 2: nn step",
    "### nn: one SGD step, MLP 2-16-16-1, MSE over a batch of 64",
    "### `deltagrad demo`: wall time with and without trace",
    "### Grader: the search for the learner's formula",
    "## Section 3: engine language",
    "### Engine: a mean of n squares as one `mean` node vs a chain of `+`",
    "### Engine: forward vs reverse mode, the whole gradient of",
]
# the header row of each table, up to its last column
HEADERS = [
    "| measure | deltagrad | micrograd 0.1.0 | micrograd / deltagrad | target | result |",
    "| measure | 10^4 nodes | 10^5 nodes | 10^5 / 10^4 | target | result |",
    "| implementation | graph nodes per step | time per step (best of ",
    "| ratio | best | median | target | result |",
    "| measure | no mode anywhere | `no_grad()` held by another thread | other thread / none |",
    "| graph | build, time per node | backward, time per node | memory per node, built |",
    "| case | candidates evaluated | time (best of ",
    "| measure | `autograd.mean` (one node) | chain of `+`, then `/` | chain / mean |",
    "| inputs n | graph nodes | reverse: 1 × `grad` (best of ",
]


# the numpy backend's sections, measured where numpy is installed (the script says so otherwise)
HAS_NUMPY = importlib.util.find_spec("numpy") is not None
if HAS_NUMPY:
    TITLES += [
        "### array step: MLP 2-16-16-1, MSE over a batch of 64, one SGD step",
        "### digits: MLP 64-32-10, tanh, softmax + cross-entropy, one epoch of 1347 images",
    ]
    HEADERS += [
        "| implementation | time per step (best of ",
        "| array step ratio | best | median | target | result |",
        "| implementation | one epoch (best of ",
        "| digits ratio | best | median | target | result |",
    ]


def header_index(lines: list[str], header: str) -> int:
    """The index of the one line that starts with header."""
    found = [i for i, line in enumerate(lines) if line.startswith(header)]
    assert len(found) == 1, (header, found)
    return found[0]


@pytest.fixture(scope="module")
def quick() -> subprocess.CompletedProcess[str]:
    """One --quick run of the script, shared by the tests below."""
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=SCRIPT.parents[2],
    )


def test_quick_run_exits_0(quick: subprocess.CompletedProcess[str]) -> None:
    assert quick.returncode == 0, quick.stderr


def test_prints_every_title_and_table_header(quick: subprocess.CompletedProcess[str]) -> None:
    lines = quick.stdout.splitlines()
    for title in TITLES:
        assert any(line.startswith(title) for line in lines), title
    for header in HEADERS:
        header_index(lines, header)


def test_tables_are_markdown(quick: subprocess.CompletedProcess[str]) -> None:
    # every header row is followed by a separator row with one cell per column
    lines = quick.stdout.splitlines()
    for header in HEADERS:
        i = header_index(lines, header)
        columns = lines[i].count("|") - 1
        assert re.fullmatch(r"\|---\|(--:\|)+", lines[i + 1])
        assert lines[i + 1].count("|") - 1 == columns
        body = lines[i + 2]
        assert body.startswith("| ") and body.count("|") - 1 == columns


def target_rows(output: str) -> list[str]:
    """The rows with a target: build + backward ≥ 2×, memory ≤ 200 B, chain ≤ 1.5× (backward,
    and building inside gc_paused()), the two nn
    eager ratios, the two traced ones, one trace vs an eager step, the program's lines, and
    building with a mode held by another thread ≤ 1.05× building with none, the grader's
    formula search ≤ 2 s in its two cases, the numpy backend against numpy by hand and
    PyTorch eager on the benchmark MLP and on the digits, and its trace (with its first step
    on the benchmark MLP) against eager steps."""
    rows = [line for line in output.splitlines() if re.search(r"[≥≤] [\d.]+", line)]
    assert len(rows) == (19 if HAS_NUMPY else 13)
    return rows


def test_quick_sizes_judge_no_target(quick: subprocess.CompletedProcess[str]) -> None:
    # two rounds of small graphs measure overheads, not what the targets are about
    for row in target_rows(quick.stdout):
        assert row.rstrip(" |").rsplit("| ", 1)[-1] == "not judged (quick)", row
    assert "PASS" not in quick.stdout and "FAIL" not in quick.stdout


def test_the_full_sizes_judge_every_target() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("benchmarks_run", SCRIPT)
    assert spec is not None and spec.loader is not None
    run = importlib.util.module_from_spec(spec)
    sys.modules["benchmarks_run"] = run  # dataclasses look their module up
    spec.loader.exec_module(run)
    full = run.FULL
    assert run.target_cells(3.0, 2.0, True, full) == ["≥ 2×", "PASS"]
    assert run.target_cells(1.0, 2.0, True, full) == ["≥ 2×", "FAIL (50% short)"]  # 1 = 2 − 50%
    assert run.target_cells(1.8, 1.5, False, full) == ["≤ 1.5×", "FAIL (20% over)"]  # 1.8 = 1.2·1.5
    assert run.target_cells(1.8, 1.5, False, run.QUICK) == ["≤ 1.5×", "not judged (quick)"]


def test_micrograd_fails_on_a_deep_chain(quick: subprocess.CompletedProcess[str]) -> None:
    # micrograd's recursive topological sort cannot walk a 10^4-node chain
    row = next(line for line in quick.stdout.splitlines() if line.startswith("| micrograd"))
    at_10_4 = row.split("|")[2].strip()
    assert at_10_4.startswith("RecursionError"), row


def test_nn_step_is_the_same_work_as_the_closed_form(
    quick: subprocess.CompletedProcess[str],
) -> None:
    match = re.search(
        r"∂C/∂b = (\S+); of the weights after one step = (\S+)\.", quick.stdout, re.MULTILINE
    )
    assert match is not None
    grad_diff, step_diff = (float(x) for x in match.groups())
    assert grad_diff <= 1e-9
    assert step_diff <= 1e-9


def test_the_formula_search_reports_its_candidates(
    quick: subprocess.CompletedProcess[str],
) -> None:
    lines = quick.stdout.splitlines()
    i = header_index(lines, "| case | candidates evaluated | time (best of ")
    rows = lines[i + 2 : i + 4]
    assert rows[0].startswith("| an extra factor z") and rows[1].startswith("| δ + 0.1")
    counts = [int(row.split("|")[2].strip().replace(",", "")) for row in rows]
    # the search that finds nothing walks the whole bounded space, more than the one that finds
    assert 0 < counts[0] < counts[1] <= 100_000
