"""Loss functions C for one example, built from Values so backward() gives ∇C, and batch_loss."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import autograd
from autograd import Value, branch, is_real, is_traced_input

from .activations import softmax
from .notation import Name
from .targets import PROBABILITY, SIGN, Targets
from .words import count

__all__ = [
    "Prediction",
    "batch_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "half_mse",
    "hinge",
    "mse",
    "quadratic",
    "softmax",
    "squared_error",
]

# What a model returns for one example: its output layer a^L as a list, or one bare Value.
# Numbers in the list are taken as constants.
Prediction = Value | Sequence[Value | float]
# A per-example loss: (outputs, target) -> C.
Loss = Callable[[Any, Any], Value]

COST = Name("cost")  # what the loss node of one example is (C, LFD's e, Ng's L)
BATCH_COST = Name("cost", batch=True)  # the batch mean (C, LFD's E_in, Ng's J)


# ---------------------------------------------------------------------------------------------
# Validation: every user mistake becomes a sentence naming the loss, the value and the fix.
# ---------------------------------------------------------------------------------------------


def _non_finite_input(output: Value) -> Value | None:
    # Only on the error path: a network input (an a^1_k leaf, or the argument of a traced step
    # that stands for it) that is NaN or infinite, if any
    seen: set[int] = set()
    stack = [output]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        parents = node.parents
        if parents:
            stack.extend(parents)
        elif not math.isfinite(node.data) and (
            (isinstance(node._label, Name) and node._label.quantity == "input")
            or is_traced_input(node)
        ):
            return node
    return None


def _outputs(name: str, pred: object) -> list[Value]:
    """The outputs as a list of Values (a bare Value is one output; numbers become constants)."""
    if isinstance(pred, Value):
        items: list[object] = [pred]
    elif isinstance(pred, str | bytes) or not isinstance(pred, Iterable):
        raise TypeError(
            f"{name}: the prediction must be a Value or a list of Values (the model's outputs "
            f"for one example), got {type(pred).__name__}"
        )
    else:
        items = list(pred)
    if not items:
        raise ValueError(
            f"{name}: got an empty list of outputs; pass the model's outputs for one example"
        )
    outputs = []
    for j, a in enumerate(items):
        if is_real(a):
            a = Value(float(a))
        if not isinstance(a, Value):
            raise TypeError(
                f"{name}: output {j} must be a Value or a number, got {type(a).__name__}"
            )
        if not _finite(a):
            where = f" ('{a.label}')" if a.label else ""
            bad_input = _non_finite_input(a)
            if bad_input is not None:
                raise ValueError(
                    f"{name}: output {j}{where} is {a.data!r} because the input "
                    f"'{bad_input.label}' is {bad_input.data!r}: the inputs themselves contain "
                    "NaN or infinity; fix or drop that example (the learning rate and the "
                    "weights are not at fault)"
                )
            raise ValueError(
                f"{name}: output {j}{where} is {a.data!r}, not a finite number; the forward "
                "pass overflowed or made a NaN, so lower the learning rate or the initial "
                "weights, and use autograd.detect_anomaly() to find where it started"
            )
        outputs.append(a)
    return outputs


def _finite(v: Value) -> bool:
    """v.data is finite, tested with branch() so that a trace checks it on every example."""
    return branch(v, ">", -math.inf) and branch(v, "<", math.inf)


def _targets(name: str, target: object, n: int) -> list[Any]:
    """The targets as floats, one per output (a bare number is accepted for one output).

    Inside autograd.trace a target is the Value that stands for the program's argument: it is
    checked at its traced number and kept as a Value, so the program reads the next target.
    """
    if is_real(target):
        if n != 1:
            raise ValueError(
                f"{name}: got the single target {target!r} for {count(n, 'output')}; pass a "
                f"list of {count(n, 'target')}, one per output"
            )
        items: list[object] = [target]
    elif isinstance(target, str | bytes) or not isinstance(target, Iterable):
        raise ValueError(
            f"{name}: the target must be a list of numbers, one per output, got "
            f"{type(target).__name__} {target!r}"
        )
    else:
        items = list(target)
    if len(items) != n:
        raise ValueError(
            f"{name}: got {count(n, 'output')} but {count(len(items), 'target')}; pass one "
            "target per output"
        )
    ys: list[Any] = []
    for j, y in enumerate(items):
        if isinstance(y, Value) and is_traced_input(y):
            if not _finite(y):
                raise ValueError(
                    f"{name}: target[{j}] = {y.data!r} is not a finite number; targets must be "
                    "numbers"
                )
            ys.append(y)
            continue
        if isinstance(y, Value):
            raise ValueError(
                f"{name}: target[{j}] is a Value, but targets are constants; pass its number "
                f"y.data = {y.data!r}"
            )
        if not is_real(y) or not math.isfinite(y):
            raise ValueError(
                f"{name}: target[{j}] = {y!r} is not a finite number; targets must be numbers"
            )
        ys.append(float(y))
    return ys


def _target(y_j: Any, j: int) -> Value:
    """The target y_j as a node of the graph: a constant named by its record (a traced one kept).

    A drawing then names it y_j, as the cost's formula does, not by its number.
    """
    if isinstance(y_j, Value):
        return y_j
    node = Value(y_j)
    node.label_record = Name("target", j=j)
    return node


def _total(terms: list[Value]) -> Value:
    """Σ terms as one n-ary sum node (a single term is itself)."""
    total: Value = autograd.sum(terms)
    return total


def _labelled(c: Value, name: Name = COST) -> Value:
    c.label_record = name
    return c


# ---------------------------------------------------------------------------------------------
# The losses. Each comment gives C and ∂C/∂a, the number BP1 starts from.
# ---------------------------------------------------------------------------------------------


def mse(pred: Prediction, target: Sequence[float] | float) -> Value:
    """Mean squared error C = (1/n) Σ_j (a_j − y_j)², the mean over the n outputs."""
    a = _outputs("mse", pred)
    y = _targets("mse", target, len(a))
    # ∂C/∂a_j = 2 (a_j − y_j) / n
    mean: Value = autograd.mean(
        [(a_j - _target(y_j, j)) ** 2 for j, (a_j, y_j) in enumerate(zip(a, y, strict=True))]
    )
    return _labelled(mean)


def quadratic(pred: Prediction, target: Sequence[float] | float) -> Value:
    """Nielsen's quadratic cost C = ½ Σ_j (a_j − y_j)², a sum: a linear output gets δ = a − y."""
    a = _outputs("quadratic", pred)
    y = _targets("quadratic", target, len(a))
    # ∂C/∂a_j = a_j − y_j
    terms = [(a_j - _target(y_j, j)) ** 2 for j, (a_j, y_j) in enumerate(zip(a, y, strict=True))]
    return _labelled(0.5 * _total(terms))


# The old name of quadratic (½ Σ, a sum over the outputs, not half of the mean); kept working.
half_mse = quadratic


def squared_error(pred: Prediction, target: Sequence[float] | float) -> Value:
    """Squared error C = Σ_j (a_j − y_j)², Learning From Data's e = (x − y)² (no ½, no mean)."""
    a = _outputs("squared_error", pred)
    y = _targets("squared_error", target, len(a))
    # ∂C/∂a_j = 2 (a_j − y_j)
    terms = [(a_j - _target(y_j, j)) ** 2 for j, (a_j, y_j) in enumerate(zip(a, y, strict=True))]
    return _labelled(_total(terms))


def _check_targets(name: str, y: list[Any], domain: Targets) -> None:
    for j, y_j in enumerate(y):
        if not domain.contains(y_j):
            raise ValueError(
                f"{name}: target[{j}] = {float(y_j)!r} is {domain.outside}; {domain.fix}"
            )


# PyTorch's BCELoss clamps each log at −100, so that a saturated sigmoid (p rounded to exactly
# 0 or 1) costs 100 instead of failing; below e^−100 the clamped log is flat (slope 0).
LOG_FLOOR = -100.0
_P_FLOOR = math.exp(LOG_FLOOR)


def _clamped_log(p: Value) -> Value:
    """max(ln p, −100) for p ≥ 0: ln p as one node, or −100 where p < e^−100 (slope 0 there)."""
    if branch(p, ">=", _P_FLOOR):  # a branch autograd.trace follows, example by example
        return p.log()
    # p stays in the graph with slope 0, so ∇_a C is still a node (0 where the log is clamped)
    return p * 0.0 + LOG_FLOOR


def binary_cross_entropy(p: Prediction, target: Sequence[float] | float) -> Value:
    """C = −Σ_j [y_j ln p_j + (1 − y_j) ln(1 − p_j)], each log clamped at −100 as in BCELoss."""
    name = "binary_cross_entropy"
    a = _outputs(name, p)
    y = _targets(name, target, len(a))
    _check_targets(name, y, PROBABILITY)
    for j, a_j in enumerate(a):
        if not (branch(a_j, ">=", 0.0) and branch(a_j, "<=", 1.0)):
            raise ValueError(
                f"{name}: output {j} is {a_j.data!r}, but ln p and ln(1 − p) need a probability "
                "0 ≤ p ≤ 1; give the model a sigmoid output, or a linear output and use "
                "binary_cross_entropy_with_logits, which is stable"
            )
    terms = []
    for j, (a_j, y_j) in enumerate(zip(a, y, strict=True)):
        # ∂C/∂p_j = −y_j / p_j + (1 − y_j) / (1 − p_j), and 0 for a clamped log. A term whose
        # weight y_j or 1 − y_j is exactly 0 contributes 0 to C and to ∂C/∂p_j, so it is left
        # out of the graph: a 0/1 label draws as the single log a textbook writes, −ln p or
        # −ln(1 − p).
        if branch(y_j, "==", 1.0):
            terms.append(-_clamped_log(a_j))
        elif branch(y_j, "==", 0.0):
            terms.append(-_clamped_log(1.0 - a_j))
        else:
            y_node = _target(y_j, j)
            terms.append(-(y_node * _clamped_log(a_j) + (1.0 - y_node) * _clamped_log(1.0 - a_j)))
    return _labelled(_total(terms))


def binary_cross_entropy_with_logits(z: Prediction, target: Sequence[float] | float) -> Value:
    """C = Σ_j [max(z_j, 0) − z_j y_j + ln(1 + e^{−|z_j|})]: BCE of σ(z), stable for any logit z."""
    name = "binary_cross_entropy_with_logits"
    logits = _outputs(name, z)
    y = _targets(name, target, len(logits))
    _check_targets(name, y, PROBABILITY)
    terms = []
    for j, (z_j, y_j) in enumerate(zip(logits, y, strict=True)):
        # −[y ln σ(z) + (1 − y) ln(1 − σ(z))] = ln(1 + e^z) − z y. max(z, 0) and |z| are settled
        # by the sign of z.data, leaving a smooth formula on each side whose exponent is ≤ 0, so
        # e^{·} never overflows:
        #   z ≥ 0:  z − z y + ln(1 + e^{−z})    ∂C/∂z = 1 − y − e^{−z}/(1 + e^{−z}) = σ(z) − y
        #   z < 0:  −z y + ln(1 + e^{z})        ∂C/∂z = −y + e^{z}/(1 + e^{z})      = σ(z) − y
        # Both sides are the same function, so the choice of side never changes the gradient.
        # (Building |z| as relu(z) + relu(−z) would give ∂C/∂z = −y at z = 0, not ½ − y,
        # because relu'(0) is taken to be 0.)
        y_node = _target(y_j, j)
        if branch(z_j, ">=", 0.0):  # a branch autograd.trace follows, example by example
            terms.append(z_j - z_j * y_node + (1.0 + (-z_j).exp()).log())
        else:
            terms.append(-(z_j * y_node) + (1.0 + z_j.exp()).log())
    return _labelled(_total(terms))


def cross_entropy(logits: Prediction, class_index: int) -> Value:
    """C = −ln softmax(z)_c = log Σ_i e^{z_i} − z_c, by a stable log-sum-exp on the logits z."""
    name = "cross_entropy"
    z = _outputs(name, logits)
    n = len(z)
    c = class_index
    if isinstance(c, Value) and is_traced_input(c):
        return _cross_entropy_traced(name, z, c)
    if isinstance(c, bool) or not isinstance(c, numbers.Integral):
        raise ValueError(
            f"{name}: the target must be an int class index in 0..{n - 1}, got "
            f"{type(c).__name__} {c!r}; for a one-hot list pass y.index(1)"
        )
    if not 0 <= c < n:
        raise ValueError(
            f"{name}: class index {c!r} is out of range for {n} logits; use 0..{n - 1}"
        )
    if _made_by_softmax(z):
        raise ValueError(
            f"{name}: got the outputs of a softmax (probabilities), but cross_entropy takes the "
            "logits z^L and applies the softmax itself; pass model.layers[-1].z (nn.train.fit "
            "does this for a softmax output layer), or use output_activation='linear'"
        )
    return _log_sum_exp_minus(z, [1.0 if i == c else 0.0 for i in range(n)])


def _log_sum_exp_minus(z: list[Value], onehot: Sequence[Value | float]) -> Value:
    """C = log Σ_i e^{z_i} − Σ_i y_i z_i for the one-hot target y (so − z_c), stably.

    m = max_i z_i is a constant (autograd.max_data: a leaf, recomputed for each example by a
    trace): log Σ e^{z_i} = m + log Σ e^{z_i − m} for any m, and this one keeps every
    e^{z_i − m} ≤ 1. As a constant it gets no gradient, and needs none: C does not depend on
    it. z_c is written Σ_i y_i z_i (adding the 0s changes no bit) so that the graph is the
    same whether y is made of numbers or, in a trace, of 0/1 masks of the class input: a
    traced run then adds every gradient in the eager order, to the bit.
    """
    m = autograd.max_data(z)
    log_sum_exp = m + _total([(z_i - m).exp() for z_i in z]).log()
    # ∂C/∂z_i = e^{z_i} / Σ_k e^{z_k} − y_i = softmax(z)_i − onehot(c)_i
    picked = _total([z_i * y_i for z_i, y_i in zip(z, onehot, strict=True)])
    return _labelled(log_sum_exp - picked)


def _cross_entropy_traced(name: str, z: list[Value], c: Value) -> Value:
    """cross_entropy for a class index that is an input of a trace being recorded (fit's).

    The program reads each example's class as a number, so z_c is picked by 0/1 masks:
    z_c = Σ_i z_i [c = i] (adding the 0s changes no bit, and each mask's derivative is 0), and
    the class is checked on every example, as the eager function checks it.
    """
    n = len(z)
    if not (branch(c, ">=", 0.0) and branch(c, "<=", float(n - 1))):
        raise ValueError(
            f"{name}: class index {c.data!r} is out of range for {n} logits; use 0..{n - 1}"
        )
    picks = [(c >= float(i)) * (c <= float(i)) for i in range(n)]
    if not branch(_total(picks), "==", 1.0):
        raise ValueError(
            f"{name}: the target must be an int class index in 0..{n - 1}, got {c.data!r}"
        )
    if _made_by_softmax(z):
        raise ValueError(
            f"{name}: got the outputs of a softmax (probabilities), but cross_entropy takes the "
            "logits z^L and applies the softmax itself; pass model.layers[-1].z (nn.train.fit "
            "does this for a softmax output layer), or use output_activation='linear'"
        )
    return _log_sum_exp_minus(z, picks)


def _made_by_softmax(values: list[Value]) -> bool:
    # softmax's outputs are e^{z_j − m} / Σ_i e^{z_i − m}: divisions of exps by one shared sum
    if len(values) < 2 or any(v.op != "/" for v in values):
        return False
    total = values[0].parents[1]
    return all(v.parents[1] is total and v.parents[0].op == "exp" for v in values)


def hinge(pred: Prediction, target: Sequence[float] | float) -> Value:
    """Hinge loss C = Σ_j max(0, 1 − y_j a_j) for labels y_j ∈ {−1, +1}."""
    name = "hinge"
    a = _outputs(name, pred)
    y = _targets(name, target, len(a))
    _check_targets(name, y, SIGN)
    # ∂C/∂a_j = −y_j where the margin is violated (y_j a_j < 1), else 0 (0 at the kink: relu'(0))
    terms = [
        (1.0 - _target(y_j, j) * a_j).relu() for j, (a_j, y_j) in enumerate(zip(a, y, strict=True))
    ]
    return _labelled(_total(terms))


def batch_loss(loss_fn: Loss, preds: Sequence[Any], targets: Sequence[Any]) -> Value:
    """C = (1/m) Σ_x C_x, the mean of loss_fn(pred, target) over the m examples of a batch."""
    preds = list(preds)
    targets = list(targets)
    if len(preds) != len(targets):
        raise ValueError(
            f"batch_loss: got {count(len(preds), 'prediction')} but "
            f"{count(len(targets), 'target')}; pass one "
            "target per example"
        )
    if not preds:
        raise ValueError("batch_loss: the batch is empty; pass at least one example")
    losses = []
    for i, (pred, y) in enumerate(zip(preds, targets, strict=True)):
        c_x = loss_fn(pred, y)
        if not isinstance(c_x, Value):
            raise TypeError(
                f"batch_loss: loss_fn must return a Value, got {type(c_x).__name__} for example {i}"
            )
        if c_x.label_record == COST and c_x.label == str(COST):
            # C_x for example x, so a drawing tells the examples apart
            c_x.label_record = Name("cost", example=i)
        losses.append(c_x)
    # ∂C/∂C_x = 1/m: each example's gradient enters the batch gradient divided by m
    mean: Value = autograd.mean(losses)
    return _labelled(mean, BATCH_COST)
