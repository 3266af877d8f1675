"""deltagrad's engine: scalar Values, the op table, backward, grad, gradcheck and debug modes."""

from .check import GradcheckError, gradcheck, numeric_grad
from .label import Label
from .modes import detect_anomaly, is_anomaly_enabled, is_grad_enabled, no_grad
from .ops import OPS, Op
from .value import (
    AnomalyError,
    RemovableHandle,
    Step,
    Value,
    fresh_grads,
    grad,
    linear,
    set_display_hook,
    topological_order,
)

__all__ = [
    "OPS",
    "AnomalyError",
    "GradcheckError",
    "Label",
    "Op",
    "RemovableHandle",
    "Step",
    "Value",
    "detect_anomaly",
    "fresh_grads",
    "grad",
    "gradcheck",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "linear",
    "no_grad",
    "numeric_grad",
    "set_display_hook",
    "topological_order",
]
