"""Module, Neuron, Layer and MLP: networks of Values whose z, a and δ can be read after backward.

Notation (Nielsen's): the input is layer 1; w^l_jk is the weight from neuron k of layer l−1 to
neuron j of layer l, and

    z^l_j = Σ_k w^l_jk a^{l−1}_k + b^l_j,    a^l_j = σ(z^l_j).

Every neuron makes z^l_j as ONE node (``autograd.linear``), or with ``expand=True`` as the
elementary ``*`` and ``+`` nodes of the sum, and a^l_j as one more node σ(z^l_j). After a
forward pass each layer keeps the latest nodes in ``layer.z`` and ``layer.a``, so after
``loss.backward()``:

    layer.z[j].grad        = ∂C/∂z^l_j = δ^l_j
    neuron.w[k].grad       = ∂C/∂w^l_jk = a^{l−1}_k δ^l_j     (BP4)
    neuron.b.grad          = ∂C/∂b^l_j = δ^l_j                (BP3)

With a linear activation there is no separate a node: a^l_j IS the node z^l_j (labelled z).

Every node made here carries an nn.notation.Name record (its ``label_record``: weight, bias,
input, pre-activation or activation, with l, j, k); ``.label`` is that record written in the
active notation (Nielsen's by default), and the views read the record, not the text.
"""

from __future__ import annotations

import math
import numbers
import os
import random
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

from autograd import Value, linear

from . import model_file, torch_bridge
from .activations import ELEMENTWISE, check_activation, softmax
from .display import mimebundle, summary_html
from .model_file import FORMAT, FORMAT_VERSION
from .notation import Name
from .words import count, short

__all__ = ["FORMAT", "FORMAT_VERSION", "MLP", "Layer", "Module", "Neuron"]

Number = int | float
Input = Iterable[Value | Number]
# A parameter tensor: a Value (a bias), a list of Values (w of a neuron, b of a layer) or a list
# of lists of Values (w of a layer, indexed [j][k]). state_dict maps the same shapes to floats.
Tensor = Value | list[Value] | list[list[Value]]
StateValue = float | list[float] | list[list[float]]


class Module:
    """Base class: parameters, named_parameters, zero_grad, state_dict and JSON save/load."""

    def _tensors(self) -> list[tuple[str, Tensor]]:
        """The parameter tensors in a fixed order, by state_dict key."""
        raise NotImplementedError(f"{type(self).__name__} must define _tensors()")

    def architecture(self) -> dict[str, Any] | None:
        """What save records besides the numbers (kind, sizes, activations, expand), or None."""
        return None

    def parameters(self) -> list[Value]:
        """Every parameter Value, in the order of named_parameters()."""
        params: list[Value] = []
        for _, tensor in self._tensors():
            if isinstance(tensor, Value):
                params.append(tensor)
                continue
            items: Sequence[Value | list[Value]] = tensor
            for item in items:
                if isinstance(item, Value):
                    params.append(item)
                else:
                    params.extend(item)
        return params

    def named_parameters(self) -> list[tuple[str, Value]]:
        """(name, Value) pairs: 'layers.0.w[2][1]' is w^2_{2,1}, 'layers.0.b[2]' is b^2_2."""
        named: list[tuple[str, Value]] = []
        for key, tensor in self._tensors():
            if isinstance(tensor, Value):
                named.append((key, tensor))
                continue
            items: Sequence[Value | list[Value]] = tensor
            for i, item in enumerate(items):
                if isinstance(item, Value):
                    named.append((f"{key}[{i}]", item))
                else:
                    named.extend((f"{key}[{i}][{k}]", v) for k, v in enumerate(item))
        return named

    def zero_grad(self) -> None:
        """Set every parameter's .grad to 0.0 (leaves accumulate across backward passes)."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> dict[str, StateValue]:
        """The parameters as plain floats: {'w': [[...], ...], 'b': [...]} per tensor key."""
        state: dict[str, StateValue] = {}
        for key, tensor in self._tensors():
            if isinstance(tensor, Value):
                state[key] = tensor.data
                continue
            items: Sequence[Value | list[Value]] = tensor
            state[key] = [
                item.data if isinstance(item, Value) else [v.data for v in item] for item in items
            ]  # type: ignore[assignment]
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Copy state's numbers into the parameters, all or nothing.

        Raises ValueError naming the key, and changes nothing, if a key is missing or extra, a
        shape differs, or an entry is not a finite number (bool, None, str, NaN and ±infinity
        are all rejected).
        """
        if not isinstance(state, Mapping):
            raise TypeError(
                f"load_state_dict needs a dict such as model.state_dict() returns, "
                f"got {type(state).__name__}"
            )
        tensors = self._tensors()
        expected = [key for key, _ in tensors]
        missing = [key for key in expected if key not in state]
        if missing:
            raise ValueError(
                f"state_dict is missing key {missing[0]!r}"
                + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
                + f"; a {type(self).__name__} like this one has keys {', '.join(expected)}"
            )
        known = set(expected)
        extra = [key for key in state if key not in known]
        if extra:
            raise ValueError(
                f"state_dict has unexpected key {extra[0]!r}; a {type(self).__name__} like this "
                f"one has keys {', '.join(expected)} (was it saved from a different model?)"
            )
        # Validate everything first, then assign: a bad entry leaves the model as it was.
        updates: list[tuple[Value, float]] = []
        for key, tensor in tensors:
            _collect_updates(key, tensor, state[key], updates)
        for param, number in updates:
            param.data = number

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the architecture and state_dict to path as JSON, atomically.

        The file is written to a temporary `.NAME.XXXXXXXX.tmp` next to it, then renamed over
        path, so a reader sees the old file or the new one, never a mix. A save that fails
        keeps the old file and removes its temporary; a save that is killed (power loss,
        SIGKILL) keeps the old file but may leave its temporary behind: a later save to the
        same path removes such leftovers once they are ten minutes old (only files of that
        exact pattern; a younger one may be a concurrent save's, which must finish). Concurrent
        saves to one path all succeed, each with its own temporary; the last one wins. Saving
        through a symbolic link writes the link's target and keeps the link.
        """
        for name, param in self.named_parameters():
            if not math.isfinite(param.data):
                raise ValueError(
                    f"cannot save: parameter {name} is {param.data!r}, and JSON has no NaN or "
                    "infinity; the training probably diverged (try a smaller learning rate)"
                )
        model_file.write(path, self.architecture(), self.state_dict())

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        # Jupyter's rich display: a table of the layers; viz adds a drawing (nn.display)
        own = {"text/plain": repr(self), "text/html": summary_html(self)}
        return mimebundle("module", self, own)

    def load(self, path: str | os.PathLike[str], *, max_bytes: int | None = None) -> None:
        """Load parameters saved by save(path) into this module (same architecture).

        Raises ValueError, and changes nothing, if the file is not one save wrote, or was saved
        from a different architecture (the message says what differs), or is not a regular
        file (a device or pipe, after following links), or is larger than max_bytes (default
        nn.model_file.MAX_BYTES, 64 MiB).
        """
        state = model_file.read(path, self.architecture(), max_bytes)
        try:
            self.load_state_dict(state)
        except ValueError as e:
            raise ValueError(f"{os.fspath(path)}: {e}") from None


def _collect_updates(
    key: str, tensor: Tensor, given: object, out: list[tuple[Value, float]]
) -> None:
    # Match the nested lists in `given` against the tensor's shape, with an explicit stack.
    stack: list[tuple[str, Value | list[Value] | list[list[Value]], object]] = [
        (f"state_dict[{key!r}]", tensor, given)
    ]
    while stack:
        where, template, item = stack.pop()
        if isinstance(template, Value):
            out.append((template, _finite_number(where, item)))
            continue
        n = len(template)
        if isinstance(item, str | bytes) or not isinstance(item, list | tuple):
            raise ValueError(
                f"{where} should be a list of {n} {_entries(template)}, "
                f"got {type(item).__name__} {short(item)}; wrong shape"
            )
        if len(item) != n:
            raise ValueError(
                f"{where} has {count(len(item), 'entry', 'entries')} but this model needs {n} "
                f"{_entries(template)}; wrong shape (was it saved from a different architecture?)"
            )
        for i in reversed(range(n)):
            stack.append((f"{where}[{i}]", template[i], item[i]))


def _entries(template: list[Value] | list[list[Value]]) -> str:
    return "lists" if template and isinstance(template[0], list) else "numbers"


def _finite_number(where: str, item: object) -> float:
    if isinstance(item, bool) or not isinstance(item, numbers.Real):
        raise ValueError(f"{where} is {short(item)} ({type(item).__name__}); expected a number")
    try:
        number = float(item)
    except OverflowError:  # an int beyond a float's range
        number = math.inf
    if not math.isfinite(number):
        raise ValueError(f"{where} is {number!r}; parameters must be finite numbers")
    return number


def _rng(seed: int | None, rng: random.Random | None) -> random.Random:
    if rng is not None and seed is not None:
        raise ValueError("pass either seed or rng, not both")
    if rng is not None:
        if not isinstance(rng, random.Random):
            raise TypeError(f"rng must be a random.Random, got {type(rng).__name__}")
        return rng
    return random.Random(seed)


def _check_count(name: str, n: object, least: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{name} must be an int, got {type(n).__name__} {n!r}")
    if n < least:
        raise ValueError(f"{name} must be at least {least}, got {n}")
    return n


def _wrap_inputs(x: Input, nin: int, labels: list[Name]) -> list[Value]:
    # Numbers become leaf Values named a^{l−1}_k (the input of the first weight layer is a^1).
    # any iterable of numbers works (a list, a tuple, a 1-D numpy array), not a string or a Value
    if isinstance(x, Value | str | bytes) or not isinstance(x, Iterable):
        raise TypeError(
            f"expected a list of {count(nin, 'input')} (numbers or Values), got {type(x).__name__}"
        )
    if isinstance(x, Mapping | AbstractSet):
        # a dict's keys (or a set's unordered members) would silently become the inputs
        raise TypeError(
            f"expected a list of {count(nin, 'input')} (numbers or Values), got a "
            f"{type(x).__name__}, whose keys or order would be taken as the inputs; pass a list "
            "of numbers such as [0.5, -1.0]"
        )
    if not isinstance(x, Sequence):
        x = list(x)
    if len(x) != nin:
        raise ValueError(f"expected {count(nin, 'input')}, got {len(x)}")
    return [
        v if isinstance(v, Value) else Value(v, label) for v, label in zip(x, labels, strict=True)
    ]


class Neuron(Module):
    """One neuron j of layer l: z^l_j = Σ_k w^l_jk a^{l−1}_k + b^l_j and a^l_j = σ(z^l_j).

    Weights start as w ~ U(−1/√nin, 1/√nin) and the bias as 0 (see MLP for why).
    """

    def __init__(
        self,
        nin: int,
        activation: str = "tanh",
        *,
        expand: bool = False,
        layer_index: int = 2,
        index: int = 0,
        seed: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.nin = _check_count("nin", nin)
        self.activation = check_activation(activation, output=False)
        self.expand = bool(expand)
        self.layer_index = _check_count("layer_index (the input is layer 1)", layer_index, 2)
        self.index = _check_count("index", index, 0)
        layer, j = self.layer_index, self.index
        r = _rng(seed, rng)
        bound = 1.0 / math.sqrt(nin)
        # Each node carries a Name record (nn.notation): what it is, shown in any notation.
        self.w: list[Value] = [
            Value(r.uniform(-bound, bound), Name("weight", layer, j, k)) for k in range(nin)
        ]
        self.b = Value(0.0, Name("bias", layer, j))
        # Names are made once here and shared by every forward pass's nodes.
        self._sigma = ELEMENTWISE[self.activation]
        self._z_label = Name("preactivation", layer, j)
        self._a_label = Name("activation", layer, j)
        self._in_labels = [Name("input", layer - 1, k) for k in range(nin)]
        self.z: Value | None = None  # the latest z^l_j node
        self.a: Value | None = None  # the latest a^l_j node (z itself for a linear activation)

    def __call__(self, x: Input) -> Value:
        """a^l_j for the inputs x (numbers or Values, one per input)."""
        return self._fire(_wrap_inputs(x, self.nin, self._in_labels))

    def _fire(self, a_prev: list[Value]) -> Value:
        if self.expand:
            # the same sum from elementary nodes: ((w_0 a_0 + w_1 a_1) + ...) + b
            w = self.w
            z = w[0] * a_prev[0]
            for k in range(1, self.nin):
                z = z + w[k] * a_prev[k]
            z = z + self.b
        else:
            z = linear(self.w, a_prev, self.b)
        z._label = self._z_label  # a fresh node: the record goes straight into its label slot
        self.z = z
        sigma = self._sigma
        if sigma is None:
            self.a = z
            return z
        a = sigma(z)
        a._label = self._a_label
        self.a = a
        return a

    def _tensors(self) -> list[tuple[str, Tensor]]:
        return [("w", self.w), ("b", self.b)]

    def architecture(self) -> dict[str, Any]:
        """{'kind': 'Neuron', 'nin', 'activation', 'expand'}: what save records."""
        return {
            "kind": "Neuron",
            "nin": self.nin,
            "activation": self.activation,
            "expand": self.expand,
        }

    def __repr__(self) -> str:
        kind = ", expand=True" if self.expand else ""
        return (
            f"Neuron(nin={self.nin}, activation={self.activation!r}, "
            f"layer_index={self.layer_index}, index={self.index}{kind})"
        )


class Layer(Module):
    """Layer l of nout neurons, each fed by all nin activations of layer l−1; returns a list."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "tanh",
        *,
        expand: bool = False,
        layer_index: int = 2,
        seed: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.nin = _check_count("nin", nin)
        self.nout = _check_count("nout", nout)
        self.activation = check_activation(activation, output=True)
        self.expand = bool(expand)
        self.layer_index = _check_count("layer_index (the input is layer 1)", layer_index, 2)
        if self.activation == "softmax" and self.nout < 2:
            raise ValueError(
                "a softmax over one output is always 1, so every gradient would be 0 and the "
                "network could not learn; give the output layer at least 2 neurons (or use "
                "sigmoid for one output)"
            )
        r = _rng(seed, rng)
        self._softmax = self.activation == "softmax"
        # softmax is applied by the layer to all z^l at once; its neurons stop at z
        per_neuron = "linear" if self._softmax else self.activation
        self.neurons = [
            Neuron(nin, per_neuron, expand=expand, layer_index=layer_index, index=j, rng=r)
            for j in range(nout)
        ]
        layer = self.layer_index
        self._a_labels = [Name("activation", layer, j) for j in range(nout)]
        self._in_labels = [Name("input", layer - 1, k) for k in range(nin)]
        self.z: list[Value] = []  # the latest z^l nodes, one per neuron
        self.a: list[Value] = []  # the latest a^l nodes (the z nodes for a linear activation)

    def __call__(self, x: Input) -> list[Value]:
        """a^l for the inputs x (numbers or Values, one per input), always as a list."""
        return self._forward(_wrap_inputs(x, self.nin, self._in_labels))

    def _forward(self, a_prev: list[Value]) -> list[Value]:
        # A forward pass rebinds layer.z and layer.a to new lists; earlier lists are not changed.
        neurons = self.neurons
        a = [n._fire(a_prev) for n in neurons]
        if self._softmax:
            self.z = a  # the neurons stopped at z^L: these are the logits
            a = softmax(a)
            for n, a_j, label in zip(neurons, a, self._a_labels, strict=True):
                a_j.label_record = label
                n.a = a_j
        else:
            self.z = [n.z for n in neurons]  # type: ignore[misc]
        self.a = a
        return a

    def _tensors(self) -> list[tuple[str, Tensor]]:
        return [("w", [n.w for n in self.neurons]), ("b", [n.b for n in self.neurons])]

    def architecture(self) -> dict[str, Any]:
        """{'kind': 'Layer', 'nin', 'nout', 'activation', 'expand'}: what save records."""
        return {
            "kind": "Layer",
            "nin": self.nin,
            "nout": self.nout,
            "activation": self.activation,
            "expand": self.expand,
        }

    def deltas(self) -> list[float]:
        """δ^l_j = z^l_j.grad of the latest forward pass (after a backward pass through it)."""
        if not self.z:
            raise RuntimeError("no forward pass yet: call the layer on an input, then backward()")
        return [z.grad for z in self.z]

    def __repr__(self) -> str:
        kind = ", expand=True" if self.expand else ""
        return (
            f"Layer(nin={self.nin}, nout={self.nout}, activation={self.activation!r}, "
            f"layer_index={self.layer_index}{kind})"
        )


class MLP(Module):
    """A multilayer perceptron: nin inputs (layer 1), then one Layer per entry of nouts.

    The i-th Layer (0-based) is layer l = i + 2 in Nielsen's numbering. Hidden layers use
    `activation`, the last layer `output_activation` (which may also be 'softmax').

    Initialisation, reproducible with `seed` (one random.Random(seed) draws every weight, layer
    by layer, neuron by neuron, input by input; seed=None draws fresh randomness):
    w^l_jk ~ U(−1/√n, 1/√n) with n = the number of inputs to layer l, and b^l_j = 0. For inputs
    of order 1 this keeps each z^l_j of order 1 (its variance is about the mean of the a²/3), so
    tanh and sigmoid start in their steep middle, not saturated where σ' ≈ 0 and δ vanishes. The
    bound is PyTorch's default for nn.Linear weights. The random weights alone break the symmetry
    between neurons, so the biases can start at 0, and a zero bias keeps a drawing readable.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "tanh",
        output_activation: str = "linear",
        seed: int | None = None,
        expand: bool = False,
    ) -> None:
        self.nin = _check_count("nin", nin)
        if isinstance(nouts, int | str) or not isinstance(nouts, Sequence):
            raise TypeError(
                f"nouts must be a list of layer widths such as [16, 16, 1], "
                f"got {type(nouts).__name__} {nouts!r}"
            )
        if len(nouts) == 0:
            raise ValueError("nouts is empty; give at least one layer width, e.g. [1]")
        widths = [_check_count(f"nouts[{i}]", n) for i, n in enumerate(nouts)]
        self.activation = check_activation(activation, output=False)
        self.output_activation = check_activation(output_activation, output=True)
        self.expand = bool(expand)
        self.seed = seed
        rng = random.Random(seed)
        sizes = [self.nin, *widths]
        last = len(widths) - 1
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                self.output_activation if i == last else self.activation,
                expand=expand,
                layer_index=i + 2,
                rng=rng,
            )
            for i in range(len(widths))
        ]

    def __call__(self, x: Input) -> list[Value]:
        """The output activations a^L for the inputs x (numbers or Values), always as a list."""
        layers = self.layers
        a = _wrap_inputs(x, self.nin, layers[0]._in_labels)
        for layer in layers:
            a = layer._forward(a)
        return a

    def _tensors(self) -> list[tuple[str, Tensor]]:
        return [
            (f"layers.{i}.{key}", tensor)
            for i, layer in enumerate(self.layers)
            for key, tensor in layer._tensors()
        ]

    def architecture(self) -> dict[str, Any]:
        """{'kind': 'MLP', 'sizes', 'activations' (one per layer), 'expand'}: what save records."""
        return {
            "kind": "MLP",
            "sizes": [self.nin, *(layer.nout for layer in self.layers)],
            "activations": [layer.activation for layer in self.layers],
            "expand": self.expand,
        }

    def deltas(self) -> list[list[float]]:
        """δ^l for every layer l = 2..L of the latest forward pass: deltas()[i][j] = δ^{i+2}_j."""
        return [layer.deltas() for layer in self.layers]

    def as_lists(self) -> tuple[list[list[list[float]]], list[list[float]], list[str]]:
        """weights[i][j][k], biases[i][j] and each layer's activation: nn.closed_form's input."""
        weights = [[[w.data for w in n.w] for n in layer.neurons] for layer in self.layers]
        biases = [[n.b.data for n in layer.neurons] for layer in self.layers]
        return weights, biases, [layer.activation for layer in self.layers]

    # The bridge to PyTorch (nn.torch_bridge) imports torch only when one of these is called.
    def to_torch(self, *, softmax_module: bool = False) -> Any:
        """This network as a float64 torch.nn.Sequential with the same weights (torch_bridge)."""
        return torch_bridge.to_torch(*self.as_lists(), softmax_module=softmax_module)

    @classmethod
    def from_torch(
        cls, seq: Any, *, output_activation: str | None = None, expand: bool = False
    ) -> MLP:
        """An MLP with the weights of a torch.nn.Sequential of Linear and activation modules."""
        weights, biases, activations = torch_bridge.from_torch(
            seq, output_activation=output_activation
        )
        model = cls(
            len(weights[0][0]),
            [len(w) for w in weights],
            activation=activations[0] if len(activations) > 1 else "tanh",
            output_activation=activations[-1],
            seed=0,
            expand=expand,
        )
        model._load_lists(weights, biases)
        return model

    def torch_state_dict(self) -> dict[str, Any]:
        """The parameters as float64 tensors under PyTorch's keys: '0.weight', '0.bias', …"""
        return torch_bridge.torch_state_dict(*self.as_lists())

    def load_torch_state_dict(self, state: Mapping[str, Any]) -> None:
        """Copy a PyTorch state_dict ('0.weight', '0.bias', …) into this network's parameters."""
        self._load_lists(*torch_bridge.lists_from_torch(self.as_lists()[2], state))

    def _load_lists(self, weights: Sequence[object], biases: Sequence[object]) -> None:
        # as_lists' weights and biases, back into the parameters through load_state_dict's checks
        state = {}
        for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
            state[f"layers.{i}.w"], state[f"layers.{i}.b"] = w, b
        self.load_state_dict(state)

    def __repr__(self) -> str:
        layers = ", ".join(f"{layer.nout} {layer.activation}" for layer in self.layers)
        count = sum(layer.nout * (layer.nin + 1) for layer in self.layers)
        kind = ", expand=True" if self.expand else ""
        return f"MLP({self.nin} inputs -> [{layers}], {count} parameters{kind})"
