"""Target domains of the costs: what a target y may be, a validator and a sampler for each."""

from __future__ import annotations

import math
import numbers
import random
from dataclasses import dataclass
from typing import Any

from autograd import Value, branch, is_real

from .words import count

__all__ = ["CLASS", "PROBABILITY", "REAL", "SIGN", "Targets"]


@dataclass(frozen=True)
class Targets:
    """A target domain: one number per output in [lo, hi] or in `values`, or a class index.

    contains() tests one target component with autograd.branch, so a traced loss checks it on
    every example; problem() checks a whole target of plain numbers and says what is wrong;
    sample() draws one (for check, explain, the grader's trials and the tests).
    """

    kind: str  # "interval", "values" or "class"
    text: str  # what a target is, for messages: "in [0, 1]"
    outside: str  # how a component outside it is described: "outside [0, 1]"
    fix: str  # what to do about it
    lo: float = -math.inf
    hi: float = math.inf
    values: tuple[float, ...] = ()

    def contains(self, y: Value | float) -> bool:
        """True if one component y_j lies in the domain (a branch a trace follows)."""
        if self.kind == "values":
            return any(branch(y, "==", v) for v in self.values)
        return branch(y, ">=", self.lo) and branch(y, "<=", self.hi)

    def problem(self, y: Any, n_out: int) -> str | None:
        """None if y is a target for n_out outputs, else a sentence saying what is wrong."""
        if self.kind == "class":
            if isinstance(y, bool) or not isinstance(y, numbers.Integral):
                return (
                    f"the target must be an int class index in 0..{n_out - 1}, got "
                    f"{type(y).__name__} {y!r}; for a one-hot list pass y.index(1)"
                )
            if not 0 <= int(y) < n_out:
                return (
                    f"class index {y!r} is out of range for {count(n_out, 'output')}; use "
                    f"0..{n_out - 1}"
                )
            return None
        items = [y] if is_real(y) else y
        if isinstance(items, str | bytes) or not isinstance(items, list | tuple):
            return f"the target must be a list of numbers, one per output, got {y!r}"
        if len(items) != n_out:
            return (
                f"got {count(len(items), 'target')} for {count(n_out, 'output')}; pass one "
                "target per output"
            )
        for j, y_j in enumerate(items):
            if not is_real(y_j) or not math.isfinite(y_j):
                return f"target[{j}] = {y_j!r} is not a finite number"
            if not self.contains(float(y_j)):
                return f"target[{j}] = {float(y_j)!r} is {self.outside}; {self.fix}"
        return None

    def sample(self, rng: random.Random, n_out: int, within: tuple[float, float] | None) -> Any:
        """A random target for n_out outputs; within: the output activation's range, if any.

        A real target is drawn in (0.05, 0.95) for an output that stays in [0, 1] (a sigmoid
        or softmax can reach it), else in [−1, 1].
        """
        if self.kind == "class":
            return rng.randrange(n_out)
        if self.kind == "values":
            return [rng.choice(list(self.values)) for _ in range(n_out)]
        bounded = self.lo >= 0.0 or (within is not None and within[0] >= 0.0 and within[1] <= 1.0)
        lo, hi = (0.05, 0.95) if bounded else (-1.0, 1.0)
        return [rng.uniform(lo, hi) for _ in range(n_out)]


REAL = Targets("interval", "a number per output", "not a finite number", "targets must be numbers")
PROBABILITY = Targets(
    "interval",
    "a number in [0, 1] per output (a 0/1 label or a probability)",
    "outside [0, 1]",
    "use 0/1 labels or probabilities (map −1/+1 labels to (y + 1) / 2)",
    lo=0.0,
    hi=1.0,
)
SIGN = Targets(
    "values", "−1 or +1 per output", "not −1 or +1", "map 0/1 labels to 2y − 1", values=(-1.0, 1.0)
)
CLASS = Targets("class", "the int class index c", "not a class index", "pass y.index(1)")
