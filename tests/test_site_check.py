"""The check page (viz.site.check, check.html): grading a learner's backprop in the page's Python.

The Python side runs in CPython here; the page itself in Chromium on the built site (slow).
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from viz.site import check

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "tests" / "exercise_solutions"
EXERCISE_FILES = ROOT / "docs" / "exercises"

# the sigmoid + quadratic solution with BP1's σ'(z^L) left out: one line changed
BP1_LINE = "deltas[-1] = [(a[j] - y[j]) * sigmoid_prime(z[j]) for j in range(len(z))]"
MUTANT_LINE = "deltas[-1] = [(a[j] - y[j]) for j in range(len(z))]"
ENDLESS = "def backprop(weights, biases, x, y):\n    while True:\n        pass\n"


def solution(key: str) -> str:
    return (SOLUTIONS / f"{key}.py").read_text(encoding="utf-8")


def mutant() -> str:
    source = solution("sigmoid_quadratic")
    assert source.count(BP1_LINE) == 1
    return source.replace(BP1_LINE, MUTANT_LINE)


def settings(key: str) -> dict[str, Any]:
    """The form's settings for an exercise, as the page sets them from choices()."""
    exercise = next(e for e in check.choices()["exercises"] if e["key"] == key)
    return {k: exercise[k] for k in ("net", "activation", "output_activation", "cost")}


# ------------------------------------------------------------------------ Python (CPython)
def test_the_page_offers_the_four_plain_exercises_with_their_settings() -> None:
    offered = check.choices()["exercises"]
    assert [e["file"] for e in offered] == [
        "sigmoid_quadratic.py",
        "sigmoid_cross_entropy.py",
        "softmax_cross_entropy.py",
        "tanh_squared_error.py",
    ]
    for e in offered:
        assert e["source"] == (EXERCISE_FILES / e["file"]).read_text(encoding="utf-8")
    # the settings each file declares (read from its NET, ACTIVATION, ... by hand)
    softmax = next(e for e in offered if e["key"] == "softmax_cross_entropy")
    assert (softmax["net"], softmax["activation"], softmax["output_activation"]) == (
        [2, 3, 3],
        "tanh",
        "softmax",
    )
    assert softmax["cost"] == "cross_entropy"
    assert settings("sigmoid_cross_entropy")["cost"] == "binary_cross_entropy"
    assert settings("tanh_squared_error")["output_activation"] == "tanh"


@pytest.mark.parametrize("key", check.EXERCISES)
def test_each_exercise_solution_passes(key: str) -> None:
    result = check.grade(solution(key), **settings(key))
    assert result["verdict"] == "ok", result["text"] or result["reason"]
    assert result["mistake"] is None and result["title"] is None
    assert result["html"].count('class="verdict">backprop OK</strong>') == 1


@pytest.mark.parametrize("key", check.EXERCISES)
def test_each_exercise_as_given_is_still_the_template(key: str) -> None:
    result = check.grade(check.exercise_source(key), **settings(key))
    assert result["verdict"] == "wrong"
    assert result["mistake"] == "not_filled_in"


def test_a_one_line_mutant_is_named_by_its_mistake_in_two_notations() -> None:
    nielsen = check.grade(mutant(), **settings("sigmoid_quadratic"), notation="nielsen")
    ng = check.grade(mutant(), **settings("sigmoid_quadratic"), notation="ng")
    for result in (nielsen, ng):
        assert result["verdict"] == "wrong"
        assert result["mistake"] == "missing_sigma_prime"
    # the title in each course's symbols (Nielsen's σ of z; Ng's g of z)
    assert nielsen["title"] == "σ'(z) left out"
    assert ng["title"] == "g'(z) left out"
    # the first wrong number, typeset: the output layer's first δ (Nielsen: layer 3 of 2-3-1,
    # neurons from 0; Ng: layer [2], the input being [0], neurons from 1, δ written dz)
    assert '<span class="maths">δ<sup>3</sup><sub>0</sub></span>' in nielsen["html"]
    assert '<span class="maths">dz<sup>[2]</sup><sub>1</sub></span>' in ng["html"]
    assert '<strong class="mistake">σ\'(z) left out</strong>' in nielsen["html"]
    # the diagnosis and the equation with real scripts too, not the text report's δ^3
    assert "δ³ was taken as a³ − y" in nielsen["html"] and "δ^3" not in nielsen["html"]
    assert "BP1: δ³₀ = ∂C/∂a³₀ · σ&#x27;(z³₀)" in nielsen["html"]
    # the same report as the desktop grader's, in its text and Markdown renderers
    assert "Diagnosis (σ'(z) left out)" in nielsen["text"]
    assert "`δ^3_0`" in nielsen["markdown"]


def test_the_report_html_escapes_what_the_code_raised() -> None:
    source = "def backprop(weights, biases, x, y):\n    raise ValueError('<b>&</b>')\n"
    result = check.grade(source, [2, 3, 1])
    assert result["verdict"] == "wrong" and result["mistake"] == "exception"
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in result["html"] and "<b>" not in result["html"]
    # the learner's line, as a file's traceback would show it
    assert "raise ValueError" in result["text"]


def test_a_syntax_error_cannot_be_graded_and_says_where() -> None:
    source = "def backprop(weights, biases, x, y)\n    return [], [], []\n"
    result = check.grade(source, [2, 3, 1])
    assert result["verdict"] == "ungradeable"
    assert result["cause"] == "import"
    assert result["reason"].startswith("could not be imported: SyntaxError: ")
    assert "(line 1: `def backprop(weights, biases, x, y)`)" in result["reason"]
    assert result["html"] is None and result["mistake"] is None


def test_code_without_backprop_cannot_be_graded_and_says_what_to_write() -> None:
    result = check.grade("def back_prop(weights, biases, x, y):\n    pass\n", [2, 3, 1])
    assert result["verdict"] == "ungradeable"
    assert result["cause"] == "function"
    assert result["reason"] == (
        "it defines no function 'backprop'; write def backprop(weights, biases, x, y)"
    )
    result = check.grade("backprop = 3\n", [2, 3, 1])
    assert result["reason"] == "its 'backprop' is not a function"


def test_what_the_code_prints_is_kept_and_shown() -> None:
    source = solution("sigmoid_quadratic").replace(
        "    n_layers = len(weights)\n", "    print('here')\n    n_layers = len(weights)\n"
    )
    result = check.grade(source, [2, 3, 1])
    assert result["verdict"] == "ok"
    assert result["printed"] == "What it printed on standard output:\n" + "\n".join(["here"] * 20)


def test_settings_no_check_can_use_are_refused_with_what_fits() -> None:
    with pytest.raises(ValueError, match="cross_entropy does not fit a sigmoid output"):
        check.grade(solution("sigmoid_quadratic"), [2, 3, 1], cost="cross_entropy")


def test_a_numpy_exercise_without_numpy_says_so_as_the_grader_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from nn.submission import NUMPY_INSTALL, import_failure

    monkeypatch.setitem(sys.modules, "numpy", None)  # import numpy fails, as in the core runtime
    source = (EXERCISE_FILES / "sigmoid_quadratic_numpy.py").read_text(encoding="utf-8")
    result = check.grade(source, [2, 3, 1])
    assert result["verdict"] == "ungradeable" and result["cause"] == "numpy"
    desktop = import_failure({"error": "ModuleNotFoundError", "module": "numpy"})
    assert desktop == ("numpy", f"it imports numpy, which is not installed here: {NUMPY_INSTALL}")
    head = "it imports numpy, which is not installed here: "
    assert result["reason"] == head + check.NUMPY_HERE
    assert "deltagrad site --pyodide-url" in result["reason"]


FRESH = """
import json, sys
{imports}
print(json.dumps(sorted(m for m in {watched!r} if m in sys.modules)))
"""
WATCHED = ("nn.isolation", "nn.grade_child", "subprocess", "viz.site.builder", "tqdm")


def imported_in_a_fresh_python(imports: str) -> list[str]:
    """Which of WATCHED a fresh Python has imported after running imports (this worktree)."""
    code = FRESH.format(imports=imports, watched=WATCHED)
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        check=True,
    )
    found: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def test_the_check_page_grades_without_importing_process_based_modules() -> None:
    # the browser has no processes: the page's module, the bridge and a whole check import none
    # of the desktop grader's child-process machinery
    solution_path = SOLUTIONS / "sigmoid_quadratic.py"
    imports = (
        "import viz.site.bridge, viz.site.check\n"
        f"source = open({str(solution_path)!r}).read()\n"
        "assert viz.site.check.grade(source, [2, 3, 1])['verdict'] == 'ok'"
    )
    assert imported_in_a_fresh_python(imports) == []
    assert imported_in_a_fresh_python("import nn\nfrom nn import check_backprop") == []
    # nn.grade_file is still there, imported when asked for
    assert imported_in_a_fresh_python("import nn\nnn.grade_file") == ["nn.isolation", "subprocess"]


def test_the_sites_wheel_carries_the_exercises_as_docs_has_them(site_dir: Path) -> None:
    (wheel,) = site_dir.glob("wheels/deltagrad-*.whl")
    with zipfile.ZipFile(wheel) as z:
        packaged = {
            Path(n).name: z.read(n).decode("utf-8")
            for n in z.namelist()
            if n.startswith("viz/site/exercises/")
        }
    assert sorted(packaged) == sorted(f"{key}.py" for key in check.EXERCISES)
    for name, text in packaged.items():
        assert text == (EXERCISE_FILES / name).read_text(encoding="utf-8"), name


# --------------------------------------------------------------------- the page in Chromium
def open_check(site_page: Any) -> Any:
    page = site_page.open("check.html")
    page.wait_for_function("document.body.dataset.page === 'ready'", timeout=60_000)
    return page


def run_check(page: Any, source: str | None = None, timeout: float = 30.0) -> str:
    """Put source in the editor (if given), press Check, wait for the report; its verdict."""
    if source is not None:
        page.fill("#code", source)
    page.evaluate("document.querySelector('#report').removeAttribute('data-verdict')")
    page.click("#check")
    page.wait_for_function(
        "document.querySelector('#report').dataset.verdict && "
        "document.body.dataset.checking === 'no'",
        timeout=timeout * 1000,
    )
    verdict: str = page.get_attribute("#report", "data-verdict")
    return verdict


@pytest.mark.slow
def test_the_page_grades_an_exercise_a_buggy_and_a_correct_solution(site_page: Any) -> None:
    page = open_check(site_page)
    page.select_option("#exercise", "softmax_cross_entropy")
    assert page.input_value("#net") == "2-3-3"
    assert page.input_value("#output") == "softmax"
    assert page.input_value("#cost") == "cross_entropy"
    assert page.input_value("#code") == (EXERCISE_FILES / "softmax_cross_entropy.py").read_text(
        encoding="utf-8"
    )
    assert run_check(page) == "wrong"  # the template, as given
    assert page.get_attribute("#report", "data-mistake") == "not_filled_in"

    page.select_option("#exercise", "sigmoid_quadratic")
    assert run_check(page, mutant()) == "wrong"
    assert page.get_attribute("#report", "data-mistake") == "missing_sigma_prime"
    assert page.inner_text("#named") == "Mistake: σ'(z) left out"
    # typeset: the first wrong number δ^3_0 with a real superscript and subscript
    first = page.locator(".backprop-report .maths").first
    assert first.evaluate(
        "e => [e.childNodes[0].textContent, e.querySelector('sup').textContent,"
        " e.querySelector('sub').textContent]"
    ) == ["δ", "3", "0"]
    assert page.locator(".backprop-report pre.equation").inner_text().startswith("BP1: δ³₀ = ")

    assert run_check(page, solution("sigmoid_quadratic")) == "ok"
    assert page.inner_text(".backprop-report strong.verdict") == "backprop OK"
    assert page.locator("#named").count() == 0


@pytest.mark.slow
def test_the_notation_switch_writes_the_report_in_that_course(site_page: Any) -> None:
    page = open_check(site_page)
    assert run_check(page, mutant()) == "wrong"
    assert page.inner_text("#named") == "Mistake: σ'(z) left out"
    page.select_option("#notation", "ng")  # checks the code again, written in Ng's notation
    page.wait_for_function(
        "document.querySelector('#named')?.textContent.includes(\"g'\") && "
        "document.body.dataset.checking === 'no'",
        timeout=30_000,
    )
    assert page.get_attribute("#report", "data-verdict") == "wrong"
    assert page.inner_text("#named") == "Mistake: g'(z) left out"
    first = page.locator(".backprop-report .maths").first
    assert first.inner_html() == "dz<sup>[2]</sup><sub>1</sub>"


@pytest.mark.slow
def test_an_endless_loop_is_stopped_and_the_page_works_after_it(site_page: Any) -> None:
    page = open_check(site_page)
    limit = check.TIME_LIMIT
    # stopped by the page's time limit (waited for with a margin for the restart)
    assert run_check(page, ENDLESS, timeout=limit + 20) == "stopped"
    assert f"time limit of {limit} s" in page.inner_text("#report")
    # a fresh Python answers the next check
    assert run_check(page, solution("sigmoid_quadratic"), timeout=60) == "ok"
    assert page.evaluate("document.body.dataset.python") == "ready"


@pytest.mark.slow
def test_a_numpy_exercise_in_the_core_runtime_says_what_to_do(site_page: Any) -> None:
    page = open_check(site_page)
    source = (SOLUTIONS / "sigmoid_quadratic_numpy.py").read_text(encoding="utf-8")
    assert run_check(page, source) == "ungradeable"
    text = page.inner_text("#report")
    assert "it imports numpy, which is not installed here" in text
    assert "deltagrad site --pyodide-url" in text


SIZES = """() => [...document.querySelectorAll('body *')].filter((e) =>
    e.getClientRects().length > 0 &&
    [...e.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim()))
    .map((e) => [e.tagName, e.className, parseFloat(getComputedStyle(e).fontSize)])"""


@pytest.mark.slow
def test_text_is_at_least_11_px_with_a_report_shown(site_page: Any) -> None:
    page = open_check(site_page)
    assert run_check(page, mutant()) == "wrong"
    for width, height in ((1400, 900), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        sizes = page.evaluate(SIZES)
        assert any(tag == "SUB" for tag, _, _ in sizes)  # the typeset symbols are measured
        small = [s for s in sizes if s[2] < 11]
        assert small == [], (width, small)
