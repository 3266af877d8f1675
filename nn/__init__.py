"""deltagrad's networks: Module, Neuron, Layer, MLP and check_backprop (losses, optim, data,
closed_form, train, grading are submodules to import explicitly; notation, the textbook
notations, is imported with nn)."""

from . import notation
from .grading import check_backprop
from .module import MLP, Layer, Module, Neuron

__all__ = ["MLP", "Layer", "Module", "Neuron", "check_backprop", "notation"]
