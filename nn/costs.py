"""The cost table: one row per cost C, everything deltagrad knows about it, read by every view.

A row holds the loss (built from engine ops in nn.losses), what it reads (the output a^L, or
the logit z^L), the output activations it fits, its target domain (nn.targets: a validator and
a sampler), ∂C/∂a as a row expression, its constant factor, the matching output activation
whose σ′ it cancels (δ^L = a − y) and why, each course's name for it and its PyTorch form.

∂C/∂a_j is written like an op row's derivative rule: arithmetic and autograd's functions only,
on (a_j, y_j, n), so the same expression gives floats, Values and formulas:

    >>> from autograd.symbolic import var
    >>> COSTS["mse"].gradient(var("a"), var("y"), var("n")).unicode()
    '2·(a − y)/n'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import autograd
from autograd.symbolic import var

from . import losses
from .activations import TABLE as ACTIVATION_TABLE
from .activations import Activation
from .targets import CLASS, PROBABILITY, REAL, SIGN, Targets

__all__ = [
    "ALIASES",
    "COSTS",
    "Cost",
    "TorchCost",
    "check_pair",
    "check_target",
    "get",
    "names",
]


@dataclass(frozen=True)
class TorchCost:
    """How a cost is written in PyTorch: factor · module(reduction)(…), / m or not."""

    module: str | None  # the torch.nn loss class; None: no module, see `formula`
    reduction: str  # "mean" or "sum"
    factor: float  # multiplies the module's result (½ for quadratic)
    per_example_sum: bool  # True: summed over outputs per example, so batch_loss divides by m
    formula: str  # the batch form, as the README's table writes it


Gradient = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class Cost:
    """One cost C of one example: the loss, what it reads and fits, its targets and ∂C/∂a."""

    name: str
    loss: Callable[[Any, Any], autograd.Value]
    formula: str  # C as a course writes it
    reads: str  # "a": the outputs a^L; "z": the logits z^L (the cost applies σ itself)
    fits: tuple[str, ...]  # the output activations it fits
    needs: str  # why only those: what the cost does with its input
    targets: Targets
    # ∂C/∂a_j from (a_j, y_j, n): a_j is the output activation (the logit for a cost that reads
    # z on a linear output; for cross_entropy the softmax output a = softmax(z), y one-hot)
    gradient: Gradient
    factor: tuple[str, Callable[[float], float]] | None  # k in C = k Σ_j (a_j − y_j)², or None
    pair: str | None  # the output activation with which BP1 gives δ^L = prediction(a) − y
    prediction: Callable[[Any], Any] | None  # what δ^L of that pair compares with y
    why: str  # why the pair cancels σ′ (prose; {a} {z} {s} {c} {d} are the notation's symbols)
    course: str  # who writes it, and as what
    torch: TorchCost
    aliases: tuple[str, ...] = ()
    instead: str = ""  # what to use for an output it does not fit, if anything
    traceable: bool = True  # False: computes a constant from the data that a trace cannot follow
    wrt: str = "a"  # the variable ∂C/∂· is written in: z for a cost on the logit

    def gradient_expr(self) -> autograd.Expr:
        """∂C/∂a_j as an expression in the variables a (z for a cost on the logit), y and n."""
        expr: autograd.Expr = self.gradient(var(self.wrt), var("y"), var("n"))
        return expr

    def delta_expr(self) -> autograd.Expr | None:
        """δ^L of the matching pair as an expression in a (or z) and y, or None without one."""
        if self.prediction is None:
            return None
        delta: autograd.Expr = self.prediction(var(self.wrt)) - var("y")
        return delta

    def fits_output(self, activation: str) -> bool:
        """True if the cost fits an output layer with this activation."""
        return activation in self.fits


def _outputs(test: Callable[[Activation], bool]) -> tuple[str, ...]:
    return tuple(name for name, row in ACTIVATION_TABLE.items() if test(row))


_ANY = _outputs(lambda row: True)


def _itself(a: Any) -> Any:
    return a


# fmt: off
_ROWS = (
    Cost(
        "mse", losses.mse, "(1/n) Σ_j (a_j − y_j)²", "a", _ANY,
        "it takes any real outputs", REAL,
        gradient=lambda a, y, n: 2.0 * (a - y) / n,  # the 2 of the square, the 1/n of the mean
        factor=("1/n", lambda n: 1.0 / n),
        pair=None, prediction=None, why="",
        course="the mean over the outputs; Ng's and Goodfellow's J average over examples instead",
        torch=TorchCost("MSELoss", "mean", 1.0, False, "MSELoss()"),
    ),
    Cost(
        "quadratic", losses.quadratic, "½ Σ_j (a_j − y_j)²", "a", _ANY,
        "it takes any real outputs", REAL,
        gradient=lambda a, y, n: a - y,  # the ½ cancels the 2 of the square
        factor=("½", lambda n: 0.5),
        pair="linear", prediction=_itself,
        why="a linear output has {s}′({z}) = 1 and the quadratic cost {c} = ½ Σ ({a} − y)² has "
        "∇_{a} {c} = {grad}",
        course="Nielsen's quadratic cost C_x (chapters 1–2)",
        torch=TorchCost("MSELoss", "sum", 0.5, True, '½ MSELoss(reduction="sum") / m'),
        aliases=("half_mse",),  # the old name: ½ Σ, a sum over the outputs, not half the mean
    ),
    Cost(
        "squared_error", losses.squared_error, "Σ_j (a_j − y_j)²", "a", _ANY,
        "it takes any real outputs", REAL,
        gradient=lambda a, y, n: 2.0 * (a - y),  # no ½: the 2 of the square stays
        factor=("1", lambda n: 1.0),
        pair=None, prediction=None, why="",
        course="Learning From Data's e(w) = (x^(L)_1 − y)² (e-Chapter 7), without ½",
        torch=TorchCost("MSELoss", "sum", 1.0, True, 'MSELoss(reduction="sum") / m'),
    ),
    Cost(
        "binary_cross_entropy", losses.binary_cross_entropy,
        "−Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)]", "a",
        _outputs(lambda row: row.within(0.0, 1.0)),
        "it takes ln a and ln(1 − a) of probabilities 0 < a < 1", PROBABILITY,
        # −y/a + (1 − y)/(1 − a) over one denominator (each log clamped at −100, as PyTorch's
        # BCELoss: where a log is clamped, its slope is 0)
        gradient=lambda a, y, n: (a - y) / (a * (1.0 - a)),
        factor=None,
        pair="sigmoid", prediction=_itself,
        instead="or a linear output with binary_cross_entropy_with_logits, which is stable",
        why="binary cross-entropy has ∂{c}/∂{a} = {grad} and the sigmoid has "
        "{s}′({z}) = {sp}: the product cancels to {delta}",
        course="Nielsen's cross-entropy (ch. 3); Ng's logistic loss L(a, y)",
        torch=TorchCost("BCELoss", "sum", 1.0, True, 'BCELoss(reduction="sum") / m'),
    ),
    Cost(
        "binary_cross_entropy_with_logits", losses.binary_cross_entropy_with_logits,
        "Σ_j [max(z_j, 0) − z_j y_j + ln(1 + e^{−|z_j|})]", "z", ("linear",),
        "it reads the logit z and applies the sigmoid itself", PROBABILITY,
        gradient=lambda a, y, n: autograd.sigmoid(a) - y,  # a = z: ∂C/∂z = σ(z) − y
        factor=None,
        pair="linear", prediction=autograd.sigmoid,  # δ^L = σ(z) − y, the probability − y
        why="the cost reads the logit {z} and applies the sigmoid itself: ∂{c}/∂{z} = {grad}, "
        "the probability minus the target, and a linear output has {s}′({z}) = 1",
        course="the same cost computed from the logit z, stably",
        torch=TorchCost(
            "BCEWithLogitsLoss", "sum", 1.0, True, 'BCEWithLogitsLoss(reduction="sum") / m'
        ),
        wrt="z",
    ),
    Cost(
        "cross_entropy", losses.cross_entropy, "−ln a_c, a = softmax(z)", "z", ("softmax",),
        "it reads the logits z^L of a softmax output and applies the softmax itself", CLASS,
        gradient=lambda a, y, n: -y / a,  # −1/a_c at the class c, 0 elsewhere (y one-hot)
        factor=None,
        pair="softmax", prediction=_itself,
        why="{c} = −ln {a}_c with the softmax Jacobian ∂{a}_i/∂{z}_j = {a}_i (1[i=j] − {a}_j) "
        "gives {d}_j = Σ_i (−1[i=c]/{a}_c) {a}_i (1[i=j] − {a}_j) = {a}_j − 1[j=c]: {delta} for "
        "the one-hot y",
        course="softmax + log-likelihood (Nielsen ch. 3, Goodfellow 6.2.2.3)",
        torch=TorchCost("CrossEntropyLoss", "mean", 1.0, False, "CrossEntropyLoss()"),
    ),
    Cost(
        "hinge", losses.hinge, "Σ_j max(0, 1 − y_j a_j)", "a", _ANY,
        "it takes any real outputs", SIGN,
        # −y where the margin is violated (y a < 1), else 0 (0 at the kink: relu'(0))
        gradient=lambda a, y, n: -y * (y * a < 1.0),
        factor=None,
        pair=None, prediction=None, why="",
        course="the SVM margin loss, for targets ±1",
        torch=TorchCost(None, "sum", 1.0, True, "clamp(1 − y·a, min=0).sum() / m"),
    ),
)
# fmt: on

COSTS: dict[str, Cost] = {row.name: row for row in _ROWS}
ALIASES: dict[str, str] = {alias: row.name for row in _ROWS for alias in row.aliases}


def names() -> list[str]:
    """Every name a cost is known by: the rows', then their documented aliases."""
    return [*COSTS, *ALIASES]


def get(cost: object) -> Cost:
    """The row of a cost given by name, documented alias, its loss function or the row itself."""
    if isinstance(cost, Cost):
        return cost
    if isinstance(cost, str):
        row = COSTS.get(ALIASES.get(cost, cost))
        if row is not None:
            return row
    else:
        for row in _ROWS:
            if cost is row.loss:
                return row
    old = ", ".join(f"{a} (the old name of {n})" for a, n in ALIASES.items())
    raise ValueError(f"unknown cost {cost!r}; choose one of {', '.join(COSTS)}, or {old}")


def check_pair(cost: object, output: str, *, logits: bool = False) -> Cost:
    """The cost's row, if it fits an output layer with this activation; else a ValueError.

    logits=True also accepts a linear output for a cost that reads the logits z (nn.train.fit
    on a model whose outputs are the logits themselves); the closed form, the grader and the
    views model the output layer the cost is written for, so they leave it False.
    """
    row = get(cost)
    if not (row.fits_output(output) or (logits and row.reads == "z" and output == "linear")):
        fits = " or ".join(", ".join(row.fits).rsplit(", ", 1))
        instead = f" ({row.instead})" if row.instead else ""
        raise ValueError(
            f"{row.name} does not fit a {output} output: {row.needs}; use a {fits} output{instead}"
        )
    return row


def check_target(cost: object, y: Any, n_out: int) -> Cost:
    """The cost's row, if y is one of its targets for n_out outputs; else a ValueError."""
    row = get(cost)
    problem = row.targets.problem(y, n_out)
    if problem is not None:
        raise ValueError(f"{row.name} takes {row.targets.text}: {problem}")
    return row
