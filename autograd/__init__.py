"""deltagrad's engine: Values, the op table, backward, grad, gradcheck, modes, symbols, trace."""

from .check import GradcheckError, gradcheck, numeric_grad
from .label import Label
from .modes import detect_anomaly, is_anomaly_enabled, is_grad_enabled, no_grad
from .ops import OPS, Op
from .symbolic import Expr, SymbolicError, symbolic_row
from .tracing import Trace, TraceError, TraceMismatchError, branch, is_traced_input, trace
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
    "Expr",
    "GradcheckError",
    "Label",
    "Op",
    "RemovableHandle",
    "Step",
    "SymbolicError",
    "Trace",
    "TraceError",
    "TraceMismatchError",
    "Value",
    "branch",
    "detect_anomaly",
    "fresh_grads",
    "grad",
    "gradcheck",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "is_traced_input",
    "linear",
    "no_grad",
    "numeric_grad",
    "set_display_hook",
    "symbolic_row",
    "topological_order",
    "trace",
]
