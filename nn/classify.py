"""Classes: the class a model's outputs predict (its decision rule) and the class a target names.

accuracy() and the Recorder's batch accuracy compare the two, so both rules live here, once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from autograd import Value, is_real

from .activations import TABLE as ACTIVATION_TABLE
from .losses import Prediction

__all__ = ["THRESHOLDS", "decision_rule", "output_activation", "predict_class", "target_class"]


def predict_class(outputs: Prediction, threshold: float = 0.0) -> int:
    """argmax of several outputs; for a single output, 1 if it is > threshold, else 0."""
    values = [outputs.data] if isinstance(outputs, Value) else [float(a) for a in outputs]
    if not values:
        raise ValueError("predict_class: got no outputs; pass the model's outputs for one input")
    if len(values) == 1:
        return 1 if values[0] > threshold else 0
    return max(range(len(values)), key=values.__getitem__)  # the first maximum on a tie


# The threshold of a single output, by the output activation: σ(0), so that the output says
# class 1 exactly when its pre-activation z^L is > 0 (every elementwise σ here keeps the sign
# of z: σ(z) > σ(0) iff z > 0). A sigmoid is a probability, split at 0.5; softplus is > 0
# everywhere, split at softplus(0) = ln 2 ≈ 0.693; linear (a logit), tanh, relu, leaky_relu,
# elu and gelu at 0.
THRESHOLDS: dict[str, float] = {
    name: row.threshold for name, row in ACTIVATION_TABLE.items() if name != "softmax"
}


def output_activation(model: object) -> str | None:
    """The activation of a model's output layer (a Layer's or Neuron's own), or None."""
    layers = getattr(model, "layers", None)
    last = layers[-1] if isinstance(layers, Sequence) and layers else model
    activation = getattr(last, "activation", None)
    return activation if isinstance(activation, str) else None


def decision_rule(model: object) -> Callable[[Prediction], int]:
    """The class a model's outputs predict, from its output activation.

    A single output is class 1 when it is > THRESHOLDS[activation] = σ(0), i.e. when z^L > 0:
    > 0.5 after a sigmoid, > ln 2 after softplus, > 0 after linear, tanh, relu, leaky_relu,
    elu and gelu. Several outputs (softmax or not): their argmax. A model with no recorded
    activation (any callable) gets threshold 0.
    """
    threshold = THRESHOLDS.get(output_activation(model) or "linear", 0.0)
    if threshold == 0.0:
        return predict_class
    return functools.partial(predict_class, threshold=threshold)


def target_class(y: object) -> object:
    """The class a target names: y itself, [y] as y, a one-hot list's argmax, and −1 as 0.

    A label −1 is class 0, so the ±1 labels of tanh outputs and hinge work as 0/1 labels do.
    """
    if not is_real(y) and isinstance(y, Sequence) and not isinstance(y, str):
        if len(y) == 1:
            y = y[0]
        elif len(y) > 1:
            return max(range(len(y)), key=lambda i: float(y[i]))
    return 0 if is_real(y) and y == -1 else y
