"""deltagrad's networks: Module, Neuron, Layer and MLP (losses, optim, data, closed_form, train
are submodules to import explicitly)."""

from .module import MLP, Layer, Module, Neuron

__all__ = ["MLP", "Layer", "Module", "Neuron"]
