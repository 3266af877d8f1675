"""deltagrad's networks: Module, Neuron, Layer, MLP, check_backprop and grade_file (losses, optim,
data, closed_form, train, grading, isolation, classroom are submodules to import explicitly;
notation, the textbook notations, is imported with nn)."""

from . import notation
from .grading import check_backprop
from .isolation import grade_file
from .module import MLP, Layer, Module, Neuron

__all__ = ["MLP", "Layer", "Module", "Neuron", "check_backprop", "grade_file", "notation"]
