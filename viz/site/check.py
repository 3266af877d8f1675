"""The check page's Python: a learner's backprop graded in the page's own Python, by nn.grading.

The desktop grader (`deltagrad grade`, nn.isolation) runs a learner's file in a child process.
A browser has no processes: here the code runs in the page's Web Worker, which has its own
Python, and the page stops that worker (and starts a fresh one) when a check runs past its time
limit, so an endless loop never freezes the page. That protects the page from mistakes, not
from a learner who forges a result: the worker's Python is the learner's own, and code that
patches the grader can make it say anything. The verdict is made by the same grader and in the
same words (nn.grading, nn.submission) as on the desktop.

The exercises the page offers are docs/exercises' plain-Python files: the site's builder puts
them into the wheel (viz/site/exercises/), and a checkout reads them from docs/exercises.
"""

from __future__ import annotations

import ast
import contextlib
import io
import linecache
import sys
import traceback
import types
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from nn import costs, grading
from nn import notation as notations
from nn.activations import ACTIVATIONS, HIDDEN_ACTIVATIONS
from nn.submission import SETTINGS, constant_setting, import_failure

__all__ = [
    "CALLS",
    "EXERCISES",
    "FILENAME",
    "NUMPY_HERE",
    "OUTPUT_KEPT",
    "TIME_LIMIT",
    "choices",
    "exercise_source",
    "grade",
]

# docs/exercises' plain-Python exercises, in the order the page lists them
EXERCISES = (
    "sigmoid_quadratic",
    "sigmoid_cross_entropy",
    "softmax_cross_entropy",
    "tanh_squared_error",
)
FILENAME = "backprop.py"  # what a traceback calls the learner's code
TIME_LIMIT = 10  # seconds the page gives one check (the learner's code and the grader's work)
OUTPUT_KEPT = 4_000  # characters of what the code printed, kept to show
# what to do where the learner's code imports numpy: the page's Python is Pyodide's core runtime
NUMPY_HERE = (
    "this page's Python is Pyodide's core runtime, which has no numpy; use the exercise's "
    "plain-Python version, or a site built with deltagrad site --pyodide-url pointing at a full "
    "Pyodide distribution, which has numpy"
)


def exercise_source(key: str) -> str:
    """The source of one of EXERCISES: the wheel's copy in a built site, else the checkout's."""
    if key not in EXERCISES:
        raise ValueError(f"no exercise {key!r}; the exercises are {', '.join(EXERCISES)}")
    name = f"{key}.py"
    packaged = resources.files("viz.site").joinpath("exercises", name)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    checkout = Path(__file__).resolve().parents[2] / "docs" / "exercises" / name
    if checkout.is_file():
        return checkout.read_text(encoding="utf-8")
    raise FileNotFoundError(
        f"the exercise {name} is neither in this deltagrad (a site's wheel has it) nor in a "
        f"checkout's docs/exercises ({checkout})"
    )


def _constants(source: str) -> dict[str, Any]:
    """The settings a file's module constants give (NET = [2, 3, 1], ...), read without running
    it: each a literal assigned at the top level."""
    found: dict[str, Any] = {}
    names = {constant: key for key, (constant, _) in SETTINGS.items()}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id in names:
                value = ast.literal_eval(node.value)
                if isinstance(value, list):
                    value = [float(v) for v in value]  # as the grader's child sends a list
                found[names[target.id]] = constant_setting(target.id, value)
    return found


def choices() -> dict[str, Any]:
    """What the page's form offers: the exercises (source and settings), the activations, the
    costs with the outputs each fits, the notations, and the time limit."""
    exercises = []
    for key in EXERCISES:
        source = exercise_source(key)
        doc = ast.get_docstring(ast.parse(source)) or key
        title = doc.splitlines()[0].removeprefix("Exercise: ").rstrip(".")
        settings = {key: default for key, (_, default) in SETTINGS.items()}
        settings.update(_constants(source))
        exercises.append(
            {"key": key, "file": f"{key}.py", "title": title, "source": source, **settings}
        )
    return {
        "exercises": exercises,
        "activations": list(HIDDEN_ACTIVATIONS),
        "outputs": list(ACTIVATIONS),
        "costs": [{"name": row.name, "fits": list(row.fits)} for row in costs.COSTS.values()],
        "notations": [{"key": n.key, "title": n.title} for n in notations.NOTATIONS.values()],
        "timeLimit": TIME_LIMIT,
    }


def _said(error: BaseException) -> dict[str, Any]:
    """What an exception raised while running the learner's code was, as the grader reads it."""
    said: dict[str, Any] = {"error": type(error).__name__, "message": str(error)}
    if isinstance(error, SystemExit):
        said["exit_code"] = repr(error.code)
    if isinstance(error, ModuleNotFoundError):
        said["module"] = error.name
    if isinstance(error, SyntaxError):
        said.update(message=error.msg, lineno=error.lineno, line=(error.text or "").strip() or None)
        return said
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == FILENAME]
    if frames:
        said.update(lineno=frames[-1].lineno, line=(frames[-1].line or "").strip() or None)
    return said


def _printed(out: str, err: str) -> str:
    """What the code printed, each stream capped, as Graded.printed says it on the desktop."""
    parts = []
    for name, text in (("standard output", out), ("standard error", err)):
        if text:
            cut = f", the first {OUTPUT_KEPT:,} characters of {len(text):,}"
            cut = cut if len(text) > OUTPUT_KEPT else ""
            parts.append(f"What it printed on {name}{cut}:\n{text[:OUTPUT_KEPT].rstrip()}")
    return "\n".join(parts)


def _run(source: str, function: str) -> tuple[Callable[..., Any] | None, tuple[str, str] | None]:
    """Run the learner's code as a module of its own: (its function, None), or (None, (cause,
    reason)) when it cannot be graded."""
    try:
        code = compile(source, FILENAME, "exec")
    except (SyntaxError, ValueError) as e:
        said = _said(e) if isinstance(e, SyntaxError) else {"error": "ValueError", "message": e}
        return None, import_failure(said, numpy_install=NUMPY_HERE)
    # the lines a traceback shows, as if the code were a file
    linecache.cache[FILENAME] = (len(source), None, source.splitlines(True), FILENAME)
    module = types.ModuleType("backprop")
    module.__file__ = FILENAME
    sys.modules["backprop"] = module  # as an import would (dataclasses in the code look it up)
    try:
        exec(code, module.__dict__)
    except (Exception, SystemExit) as e:  # what the code raised, or its sys.exit()
        return None, import_failure(_said(e), numpy_install=NUMPY_HERE)
    fn = module.__dict__.get(function)
    if fn is None:
        why = f"it defines no function {function!r}; write def {function}(weights, biases, x, y)"
        return None, ("function", why)
    if not callable(fn):
        return None, ("function", f"its {function!r} is not a function")
    return fn, None


def grade(
    source: str,
    net: list[int],
    activation: str = "sigmoid",
    output_activation: str = "sigmoid",
    cost: str = "quadratic",
    notation: str = "nielsen",
    trials: int = 20,
    seed: int = 0,
    function: str = "backprop",
) -> dict[str, Any]:
    """Grade the learner's code (its `backprop`) on the chosen network: the verdict ("ok",
    "wrong", or "ungradeable" with its cause and reason), the diagnosed mistake and its title,
    and the report as HTML (typeset), Markdown and text, all from the grader's report records.
    Settings no check can use raise ValueError, as for deltagrad grade's options."""
    if not isinstance(source, str):
        raise TypeError(f"source must be Python code as text, got {type(source).__name__}")
    plan = grading.plan_check(
        net, activation, output_activation, cost, trials, seed, notations.get(notation)
    )
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            fn, failed = _run(source, function)
            outcomes: list[grading.Outcome] = []
            if fn is not None:
                for args in plan.inputs():
                    outcomes.append(grading.call_learner(fn, args))
                    if outcomes[-1].raised is not None:
                        break
    finally:
        sys.modules.pop("backprop", None)
    result: dict[str, Any] = {
        "verdict": "ungradeable",
        "cause": None,
        "reason": None,
        "mistake": None,
        "title": None,
        "html": None,
        "markdown": None,
        "text": None,
        "printed": _printed(out.getvalue(), err.getvalue()),
    }
    if failed is not None:
        result["cause"], result["reason"] = failed
        return result
    report = plan.grade(outcomes)
    result.update(
        verdict="ok" if report.ok else "wrong",
        mistake=report.mistake,
        title=grading.mistake_title(report.mistake, plan.notation, "html")
        if report.mistake
        else None,
        html=report.html(),
        markdown=report._repr_markdown_(),
        text=str(report),
    )
    return result


CALLS: dict[str, Callable[..., Any]] = {"choices": choices, "grade": grade}
