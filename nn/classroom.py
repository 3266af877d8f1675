"""A class at once: one line per submission, the class summary, the JSON records, and the
results.json that Gradescope's autograders read."""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Sequence
from typing import Any

from . import grading
from .grading import NotationLike
from .isolation import OUTPUT_KEPT, Graded

__all__ = ["CAUSES", "FORMAT", "gradescope", "line", "record", "records", "submissions", "summary"]

FORMAT = "deltagrad-grade/1"  # the "format" of the JSON that --json writes

# why a submission could not be graded, in a few words, by Graded.cause
CAUSES = {
    "import": "could not be imported",
    "numpy": "numpy is not installed",
    "function": "no backprop function to call",
    "settings": "its settings cannot be graded",
    "time": "over the time limit",
    "exit": "ended its own process while being imported",
    "crash": "its process crashed or was killed",
    "data": "sent data the grader cannot read",
}


def submissions(paths: Sequence[str]) -> list[str]:
    """The files to grade: each file given, and the .py files directly in each folder given,
    sorted by name, each file once; ValueError for a path that is neither, or a folder with no
    .py file."""
    found: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            inside = sorted(
                os.path.join(path, name)
                for name in os.listdir(path)
                if name.endswith(".py") and os.path.isfile(os.path.join(path, name))
            )
            if not inside:
                raise ValueError(f"{path!r} holds no .py file to grade")
            found.extend(inside)
        elif os.path.isfile(path):
            found.append(path)
        else:
            raise ValueError(f"no such file: {path!r}")
    unique: dict[str, str] = {}  # a file given twice (or in a folder given too) is graded once
    for path in found:
        unique.setdefault(os.path.realpath(path), path)
    return list(unique.values())


def _title(g: Graded, notation: NotationLike) -> str:
    key = g.mistake
    return grading.mistake_title(key, notation) if key else ""


def _detail(g: Graded) -> str:
    """The gist of a mistake the formula search found ('' for a catalogue mistake)."""
    d = g.report.diagnosis if g.report is not None else None
    return d.detail if d is not None else ""


def _named(g: Graded, notation: NotationLike) -> str:
    """The mistake's title, and for one found by search its gist: what the line shows."""
    detail = _detail(g)
    return _title(g, notation) + (f": {detail}" if detail else "")


def line(g: Graded, notation: NotationLike = None) -> str:
    """One line: the file, then OK, WRONG with the mistake's name and the first wrong number,
    or could not be graded and why."""
    if g.verdict == "ok":
        return f"{g.file}: OK"
    if g.verdict == "wrong" and g.report is not None:
        first = g.report.first_wrong()
        at = f"; first wrong number {first[0]} = {first[1]}" if first else ""
        return f"{g.file}: WRONG: {_named(g, notation)} [{g.mistake}]{at}"
    return f"{g.file}: could not be graded: {g.reason}"


def summary(results: Sequence[Graded], notation: NotationLike = None) -> str:
    """The class summary: the counts, each mistake with how many submissions made it (most
    frequent first), and each reason a submission could not be graded."""
    verdicts = Counter(g.verdict for g in results)
    lines = [
        f"{len(results)} submission(s): {verdicts['ok']} OK, {verdicts['wrong']} WRONG, "
        f"{verdicts['ungradeable']} could not be graded."
    ]
    # a mistake found by the formula search is counted by its gist: the same key holds many
    mistakes = Counter((g.mistake, _detail(g)) for g in results if g.verdict == "wrong")
    if mistakes:
        lines.append("Mistakes, with the number of submissions that made each:")
        for (key, detail), n in sorted(
            mistakes.items(), key=lambda kv: (-kv[1], str(kv[0][0]), kv[0][1])
        ):
            title = grading.mistake_title(key, notation) if key else "wrong"
            lines.append(f"  {n:>3}  {title}{f': {detail}' if detail else ''} [{key}]")
    causes = Counter(g.cause or "import" for g in results if g.verdict == "ungradeable")
    if causes:
        lines.append("Could not be graded, by reason:")
        for cause, n in sorted(causes.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  {n:>3}  {CAUSES.get(cause, cause)} [{cause}]")
    return "\n".join(lines)


def _number(x: float) -> float | str:
    """A float for JSON, or 'nan', 'inf', '-inf' (which strict JSON has no numbers for)."""
    return x if math.isfinite(x) else str(x)


def record(g: Graded, notation: NotationLike = None) -> dict[str, Any]:
    """One submission as plain data (the shape is documented in docs/check-your-backprop.md)."""
    first_wrong = None
    message = g.reason
    if g.report is not None:
        if g.report.diagnosis is not None:
            message = g.report.diagnosis.message
        m = g.report.mismatch
        named = g.report.first_wrong()
        if m is not None and named is not None:
            first_wrong = {
                "symbol": named[0],
                "where": named[1],
                "trial": m.trial,
                "example": m.example,
                "expected": _number(m.expected),
                "received": _number(m.received),
            }
    return {
        "file": g.file,
        "verdict": g.verdict,
        "mistake": g.mistake,
        "title": _title(g, notation) or None,
        "detail": _detail(g) or None,
        "message": message,
        "first_wrong": first_wrong,
        "cause": g.cause,
        "printed": {"stdout_bytes": g.stdout_bytes, "stderr_bytes": g.stderr_bytes},
    }


def records(results: Sequence[Graded], notation: NotationLike = None) -> dict[str, Any]:
    """What --json writes: the format, the counts, and one record per submission."""
    verdicts = Counter(g.verdict for g in results)
    return {
        "format": FORMAT,
        "summary": {
            "submissions": len(results),
            "ok": verdicts["ok"],
            "wrong": verdicts["wrong"],
            "ungradeable": verdicts["ungradeable"],
            "mistakes": dict(Counter(str(g.mistake) for g in results if g.verdict == "wrong")),
            "causes": dict(Counter(str(g.cause) for g in results if g.verdict == "ungradeable")),
        },
        "submissions": [record(g, notation) for g in results],
    }


def _output(g: Graded) -> str:
    if g.report is not None:
        text = str(g.report)
    else:
        text = f"backprop could not be graded: {g.file}: {g.reason}"
    printed = g.printed()
    return text + (f"\n\n{printed}" if printed else "")


def gradescope(results: Sequence[Graded], notation: NotationLike = None) -> dict[str, Any]:
    """Gradescope's results.json: one test per submission, scored 1 when its backprop is right,
    0 otherwise, with the report as its output; the score is their sum."""
    tests = [
        {
            "name": f"backprop: {g.file}",
            "score": 1.0 if g.ok else 0.0,
            "max_score": 1.0,
            "status": "passed" if g.ok else "failed",
            "output": _output(g)[: 4 * OUTPUT_KEPT],
        }
        for g in results
    ]
    return {
        "score": sum(t["score"] for t in tests),
        "output": summary(results, notation),
        "tests": tests,
    }
