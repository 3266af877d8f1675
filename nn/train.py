"""The training loop fit() (shuffled mini-batches, a tqdm progress bar) and accuracy()."""

from __future__ import annotations

import math
import numbers
import random
import sys
from collections.abc import Callable, Sequence
from typing import Any

from tqdm import tqdm

from autograd import Value, no_grad

from .losses import Loss, Prediction, _is_number, batch_loss, cross_entropy
from .optim import Optimizer
from .record import Recorder

__all__ = ["accuracy", "fit", "predict_class"]

Model = Callable[[Any], Prediction]


def _positive_int(what: str, n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise ValueError(f"fit: {what} must be an int >= 1, got {type(n).__name__} {n!r}")
    if n < 1:
        raise ValueError(f"fit: {what} must be at least 1, got {n}")
    return int(n)


def _examples(owner: str, xs: Sequence[Any], ys: Sequence[Any]) -> tuple[list[Any], list[Any]]:
    xs, ys = list(xs), list(ys)
    if len(xs) != len(ys):
        raise ValueError(
            f"{owner}: got {len(xs)} inputs but {len(ys)} targets; pass one target per input"
        )
    if not xs:
        raise ValueError(f"{owner}: got no examples; pass at least one input and its target")
    return xs, ys


def fit(
    model: Model,
    xs: Sequence[Any],
    ys: Sequence[Any],
    loss: Loss,
    optimizer: Optimizer,
    epochs: int,
    batch_size: int | None = None,
    *,
    seed: int = 0,
    progress: bool | None = None,
    record: Recorder | None = None,
) -> list[float]:
    """Train model on (xs, ys) by mini-batch gradient descent; return the batch loss of each step.

    Every epoch shuffles the examples with one random.Random(seed) (so a seed fixes the whole
    run) and cuts them into batches of batch_size (None: the whole set is one batch; the last
    batch of an epoch may be smaller). Each step is optimizer.zero_grad(); C = the mean of
    loss(model(x), y) over the batch (batch_loss); C.backward(); optimizer.step(). The history
    holds C.data for each step, taken before the step, so it has
    epochs · ceil(len(xs) / batch_size) entries.

    loss is a per-example loss such as nn.losses.mse; each target y is passed to it as-is,
    except that a plain number y is wrapped as [y] for every loss but cross_entropy (whose
    target is a class index), so labels like [0, 1, 1, 0] work with one-output models.
    With cross_entropy and a model whose output layer is a softmax (an nn.MLP with
    output_activation='softmax'), the loss is taken on that layer's logits z^L, as
    cross_entropy requires.

    progress=None shows a tqdm bar with the current loss only when stderr is a terminal;
    True or False forces it on or off.

    record=Recorder(every=k) keeps the parameters, gradients, z, a, δ, loss and accuracy of
    every k-th step as plain data (see nn.record); it only reads the graph, so the run is the
    same with or without it.
    """
    xs, ys = _examples("fit", xs, ys)
    epochs = _positive_int("epochs", epochs)
    n = len(xs)
    size = n if batch_size is None else min(_positive_int("batch_size", batch_size), n)
    if not callable(model):
        raise TypeError(f"fit: model must be callable as model(x), got {type(model).__name__}")
    if not callable(loss):
        raise TypeError(f"fit: loss must be a function loss(pred, y), got {type(loss).__name__}")
    for method in ("zero_grad", "step"):
        if not callable(getattr(optimizer, method, None)):
            raise TypeError(
                f"fit: optimizer must have a {method}() method, like nn.optim.SGD or Adam; got "
                f"{type(optimizer).__name__}"
            )
    if record is not None and not isinstance(record, Recorder):
        raise TypeError(f"fit: record must be an nn.record.Recorder, got {type(record).__name__}")
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"fit: progress must be True, False or None, got {progress!r}")
    predict = model
    if loss is cross_entropy and _softmax_output(model):
        predict = _logits_of(model)
    if loss is not cross_entropy:
        ys = [[y] if _is_number(y) else y for y in ys]

    show = sys.stderr.isatty() if progress is None else progress
    rng = random.Random(seed)
    order = list(range(n))
    history: list[float] = []
    steps = epochs * math.ceil(n / size)
    with tqdm(total=steps, disable=not show, file=sys.stderr, unit="step", desc="fit") as bar:
        for epoch in range(1, epochs + 1):
            rng.shuffle(order)
            for start in range(0, n, size):
                batch = order[start : start + size]
                optimizer.zero_grad()
                rec = record if record is not None and record.wants(len(history), steps) else None
                if rec is None:
                    preds = [predict(xs[i]) for i in batch]
                else:  # the same forward pass, keeping each example's z and a nodes
                    preds = [rec.forward(model, predict, xs[i], i) for i in batch]
                c = batch_loss(loss, preds, [ys[i] for i in batch])
                c.backward()
                if rec is not None:
                    rec.capture(len(history), model, c, preds, [ys[i] for i in batch])
                optimizer.step()
                history.append(c.data)
                bar.set_postfix(epoch=epoch, loss=f"{c.data:.4g}", refresh=False)
                bar.update()
    return history


def _softmax_output(model: object) -> bool:
    layers = getattr(model, "layers", None)
    return bool(layers) and getattr(layers[-1], "activation", None) == "softmax"  # type: ignore[index]


def _logits_of(model: Any) -> Callable[[Any], Prediction]:
    # cross_entropy takes the logits z^L; a softmax layer keeps them as layer.z
    def logits(x: Any) -> Prediction:
        model(x)
        return list(model.layers[-1].z)

    return logits


def predict_class(outputs: Prediction) -> int:
    """The default decision rule: argmax of several outputs; 1 if a single output is > 0, else 0.

    The threshold 0 suits a linear or tanh output (and a logit); for a sigmoid output pass
    accuracy(..., decide=lambda a: int(a[0].data > 0.5)) instead.
    """
    values = [outputs.data] if isinstance(outputs, Value) else [float(a) for a in outputs]
    if not values:
        raise ValueError("predict_class: got no outputs; pass the model's outputs for one input")
    if len(values) == 1:
        return 1 if values[0] > 0.0 else 0
    return max(range(len(values)), key=values.__getitem__)  # the first maximum on a tie


def _target_class(y: object) -> object:
    # [y] is y; a longer list is one-hot (its argmax); −1 (the ±1 labels of tanh/hinge) is 0.
    if not _is_number(y) and isinstance(y, Sequence) and not isinstance(y, str):
        if len(y) == 1:
            y = y[0]
        elif len(y) > 1:
            return max(range(len(y)), key=lambda i: float(y[i]))
    return 0 if _is_number(y) and y == -1 else y


def accuracy(
    model: Model,
    xs: Sequence[Any],
    ys: Sequence[Any],
    decide: Callable[[Any], object] | None = None,
) -> float:
    """The fraction of examples whose predicted class decide(model(x)) equals the target's class.

    decide maps the model's outputs to a class index; the default is predict_class (argmax of
    several outputs, threshold 0 for one). A target may be a class index, a one-element list
    [y] or a one-hot list (its argmax); a label −1 counts as class 0, so ±1 labels work too.
    """
    xs, ys = _examples("accuracy", xs, ys)
    rule = predict_class if decide is None else decide
    with no_grad():  # no graph is needed to read off predictions
        correct = sum(1 for x, y in zip(xs, ys, strict=True) if rule(model(x)) == _target_class(y))
    return correct / len(xs)
