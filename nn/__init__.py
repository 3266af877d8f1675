"""deltagrad's networks: Module, Neuron, Layer and MLP (losses, optim, data, closed_form, train
are submodules to import explicitly; notation, the textbook notations, is imported with nn)."""

from . import notation
from .module import MLP, Layer, Module, Neuron

__all__ = ["MLP", "Layer", "Module", "Neuron", "notation"]
