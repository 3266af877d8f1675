"""deltagrad's networks: Module, Neuron, Layer, MLP, check_backprop and grade_file (losses, optim,
data, closed_form, train, grading, isolation, classroom are submodules to import explicitly;
notation, the textbook notations, is imported with nn)."""

from typing import Any

from . import notation
from .grading import check_backprop
from .module import MLP, Layer, Module, Neuron

__all__ = ["MLP", "Layer", "Module", "Neuron", "check_backprop", "grade_file", "notation"]


def __getattr__(name: str) -> Any:
    # grade_file runs a file in a child process (nn.isolation, subprocess): imported when first
    # asked for, so nn and check_backprop import where processes cannot start (a browser's Python)
    if name == "grade_file":
        from .isolation import grade_file

        return grade_file
    raise AttributeError(f"module 'nn' has no attribute {name!r}")
