"""The bridge to PyTorch: an MLP as a torch.nn.Sequential and back, and the costs as torch losses.

torch is an optional extra (``pip install 'deltagrad[torch]'``): this module imports it only
inside the functions that need it, so ``import nn`` never loads it.

Layout. The MLP's layer i (Nielsen's layer l = i + 2) becomes ``torch.nn.Linear(nin, nout)``
followed by the activation's module (none for ``linear``). ``Linear.weight[j, k]`` is w^l_jk,
the weight from neuron k of layer l−1 to neuron j of layer l, and ``Linear.bias[j]`` is b^l_j:
Nielsen's index order is PyTorch's (out, in) order, so the matrices copy over as they are. A
softmax output layer ends with its Linear: the network returns the logits z^L, because
``torch.nn.CrossEntropyLoss`` takes logits and applies the (log-)softmax itself, as
``nn.losses.cross_entropy`` does; pass ``softmax_module=True`` for a ``Softmax(dim=-1)`` at the
end instead. Everything is float64, so both libraries do the same arithmetic.

Costs. deltagrad's losses are per example, and ``batch_loss`` takes their mean over the m
examples of a batch. The same number in PyTorch, for outputs of shape (m, n):

    deltagrad cost                      PyTorch, batch_loss over m examples
    mse                                 MSELoss()
    quadratic (Nielsen's; half_mse)     ½ MSELoss(reduction="sum") / m
    squared_error (LFD's e)             MSELoss(reduction="sum") / m
    binary_cross_entropy                BCELoss(reduction="sum") / m
    binary_cross_entropy_with_logits    BCEWithLogitsLoss(reduction="sum") / m
    cross_entropy                       CrossEntropyLoss()   (targets: class indices)
    hinge                               clamp(1 − y·a, min=0).sum() / m   (no module)

For one example (m = 1) drop the "/ m"; with one output (n = 1) the "sum / m" forms equal
PyTorch's default reduction="mean". ``torch_loss(cost)`` returns the batch form as a function
of (outputs, targets), built from the cost table's rows (nn.costs, each row's `torch`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from . import costs
from .costs import COSTS, TorchCost

__all__ = [
    "ACTIVATION_MODULES",
    "TORCH_COSTS",
    "TorchCost",
    "from_torch",
    "lists_from_torch",
    "to_torch",
    "torch_loss",
    "torch_state_dict",
]

# deltagrad activation -> (the torch.nn class, the attributes a module of it must have). One row
# per activation; from_torch reads the same rows backwards, so a new activation needs one row.
# "linear" has no module (a Linear straight into the next Linear); softmax is handled apart.
ACTIVATION_MODULES: dict[str, tuple[str, dict[str, Any]]] = {
    "sigmoid": ("Sigmoid", {}),
    "tanh": ("Tanh", {}),
    "relu": ("ReLU", {}),
    "leaky_relu": ("LeakyReLU", {"negative_slope": 0.01}),
    # PyTorch's Softplus returns x itself above `threshold` (default 20, off by e^-20 ≈ 2e-9
    # there); from 40 on, x + ln(1 + e^-x) rounds to x in float64, so both agree everywhere
    "softplus": ("Softplus", {"beta": 1.0, "threshold": 40.0}),
    "elu": ("ELU", {"alpha": 1.0}),
    "gelu": ("GELU", {"approximate": "tanh"}),  # deltagrad's gelu is the tanh approximation
}

# why a module's attributes must have ACTIVATION_MODULES' values, for from_torch's errors
WHY_ATTRIBUTES = {
    "leaky_relu": "deltagrad's leaky_relu has slope 0.01 below 0",
    "softplus": "deltagrad's softplus is ln(1 + e^z) (beta 1) at every z, while PyTorch's "
    "Softplus returns z itself above threshold (default 20, off by up to e^-20 ≈ 2e-9); from 40 on "
    "ln(1 + e^z) rounds to z in float64, so the two agree everywhere",
    "elu": "deltagrad's elu is e^z − 1 below 0 (alpha 1)",
    "gelu": "deltagrad's gelu is the tanh approximation; approximate='none' is the exact erf "
    "form, up to 5e-4 away from it",
}

NO_MODULE = ("linear", "softmax")  # activations that make no module of their own


# deltagrad cost -> its PyTorch form, from the cost table's rows
TORCH_COSTS: dict[str, TorchCost] = {name: row.torch for name, row in COSTS.items()}


def _torch() -> Any:
    # torch as an untyped module: the bridge's signatures say Any rather than make mypy read torch
    try:
        return importlib.import_module("torch")
    except ImportError:
        raise ImportError(
            "the PyTorch bridge needs PyTorch: pip install 'deltagrad[torch]' (the CPU build "
            "is enough)"
        ) from None


# A network crosses the bridge as MLP.as_lists() gives it: weights[i][j][k] (Linear i's
# weight[j, k]), biases[i][j] (its bias[j]) and the activation of each layer i.
Weights = list[list[list[float]]]
Biases = list[list[float]]


def _module_rows(activations: list[str], softmax_module: bool) -> list[tuple[int, str | None]]:
    # (layer index, activation class or None for a Linear) for each module of the Sequential
    rows: list[tuple[int, str | None]] = []
    for i, name in enumerate(activations):
        rows.append((i, None))
        if name == "softmax":
            if softmax_module:
                rows.append((i, "Softmax"))
            continue
        if name == "linear":
            continue
        if name not in ACTIVATION_MODULES:
            raise ValueError(
                f"layer {i + 2} has activation {name!r}, which has no PyTorch module in "
                "nn.torch_bridge.ACTIVATION_MODULES; add a row there for it"
            )
        rows.append((i, ACTIVATION_MODULES[name][0]))
    return rows


def _linear_keys(activations: list[str]) -> list[int]:
    """The Sequential index of each layer's Linear (a trailing Softmax changes none of them)."""
    return [k for k, (_, cls) in enumerate(_module_rows(activations, False)) if cls is None]


def to_torch(
    weights: Weights, biases: Biases, activations: list[str], *, softmax_module: bool = False
) -> Any:
    """An MLP's lists as a float64 torch.nn.Sequential (Linear, activation, …), same weights."""
    torch = _torch()
    modules = []
    for i, cls in _module_rows(activations, softmax_module):
        if cls is None:
            nout, nin = len(weights[i]), len(weights[i][0])
            linear = torch.nn.Linear(nin, nout, dtype=torch.float64)
            with torch.no_grad():
                linear.weight.copy_(_tensor(torch, weights[i]))
                linear.bias.copy_(_tensor(torch, biases[i]))
            modules.append(linear)
        elif cls == "Softmax":
            modules.append(torch.nn.Softmax(dim=-1))
        else:
            modules.append(getattr(torch.nn, cls)(**ACTIVATION_MODULES[activations[i]][1]))
    return torch.nn.Sequential(*modules)


def _tensor(torch: Any, data: object) -> Any:
    return torch.tensor(data, dtype=torch.float64)


def _describe(index: int, module: object) -> str:
    return f"module {index} ({module!r})"


def _activation_of(torch: Any, module: object) -> str | None:
    """The deltagrad activation a torch module is, or None."""
    for name, (cls, attrs) in ACTIVATION_MODULES.items():
        kind = getattr(torch.nn, cls, None)
        if (
            kind is not None
            and type(module) is kind
            and all(getattr(module, key, None) == value for key, value in attrs.items())
        ):
            return name
    return None


def _form(cls: str, attrs: dict[str, Any]) -> str:
    shown = (f"{k}={v:g}" if isinstance(v, float) else f"{k}={v!r}" for k, v in attrs.items())
    return f"{cls}({', '.join(shown)})"


def _refuse_attributes(torch: Any, index: int, module: object) -> None:
    """Raise ValueError if module is of a supported class with other attributes, naming them."""
    for name, (cls, attrs) in ACTIVATION_MODULES.items():
        kind = getattr(torch.nn, cls, None)
        if kind is None or type(module) is not kind:
            continue
        differ = [k for k, v in attrs.items() if getattr(module, k, None) != v]
        got = ", ".join(f"{k}={getattr(module, k, None)!r}" for k in differ)
        raise ValueError(
            f"from_torch: {_describe(index, module)} has {got}; {WHY_ATTRIBUTES[name]}. "
            f"Build the module as {_form(cls, attrs)}"
        )


def from_torch(
    seq: Any, *, output_activation: str | None = None
) -> tuple[Weights, Biases, list[str]]:
    """An MLP's lists (as_lists) read from a torch.nn.Sequential of Linear and activation modules.

    The Sequential is Linear, then optionally one activation module, per layer; every hidden
    layer must use the same activation (an MLP has one), and a trailing Softmax(dim=-1) makes
    a softmax output. output_activation='softmax' reads a Sequential that ends in a Linear as
    the logits of a softmax output (what to_torch returns for one). Raises ValueError naming
    the module that does not fit.
    """
    torch = _torch()
    if not isinstance(seq, torch.nn.Sequential):
        raise TypeError(
            f"from_torch needs a torch.nn.Sequential of Linear and activation modules, got "
            f"{type(seq).__name__}"
        )
    modules = list(seq)
    if not modules:
        raise ValueError("from_torch: the Sequential is empty; it needs at least one Linear")
    # layers: [Linear index, Linear, activation index (None: no module), activation name]
    layers: list[list[Any]] = []
    for index, module in enumerate(modules):
        if isinstance(module, torch.nn.Linear):
            if module.bias is None:
                raise ValueError(
                    f"from_torch: {_describe(index, module)} has no bias, but every deltagrad "
                    "neuron has one; build it with bias=True (a zero bias is the same network)"
                )
            if layers and module.in_features != layers[-1][1].out_features:
                raise ValueError(
                    f"from_torch: {_describe(index, module)} takes {module.in_features} inputs "
                    f"but the layer before it has {layers[-1][1].out_features} outputs"
                )
            layers.append([index, module, None, "linear"])
            continue
        if not layers:
            raise ValueError(
                f"from_torch: {_describe(index, module)} comes before any Linear; the "
                "Sequential must start with a Linear"
            )
        if layers[-1][2] is not None:
            raise ValueError(
                f"from_torch: {_describe(index, module)} follows another activation; an MLP "
                "layer is one Linear and at most one activation"
            )
        if isinstance(module, torch.nn.Softmax):
            if index != len(modules) - 1 or module.dim not in (-1, 1):
                raise ValueError(
                    f"from_torch: {_describe(index, module)}: softmax is only allowed as the "
                    "last module, over the features (dim=-1)"
                )
            name = "softmax"
        else:
            found = _activation_of(torch, module)
            if found is None:
                _refuse_attributes(torch, index, module)
                known = ", ".join(
                    ["Linear", *(cls for cls, _ in ACTIVATION_MODULES.values()), "Softmax"]
                )
                raise ValueError(
                    f"from_torch: {_describe(index, module)} is not supported; deltagrad's "
                    f"MLP is built from {known}"
                )
            name = found
        layers[-1][2:] = [index, name]
    hidden = layers[:-1]
    for position, (linear_index, _, act_index, name) in enumerate(hidden[1:], start=1):
        if name != hidden[0][3]:
            where = act_index if act_index is not None else linear_index
            raise ValueError(
                f"from_torch: {_describe(where, modules[where])} gives layer "
                f"{position + 2} the activation {name!r}, but the first hidden layer uses "
                f"{hidden[0][3]!r}; an MLP uses one activation for every hidden layer"
            )
    _, _, out_index, output = layers[-1]
    if output_activation is not None:
        if out_index is None and output_activation == "softmax":
            output = "softmax"
        elif output_activation != output:
            ends = _describe(out_index, modules[out_index]) if out_index is not None else "a Linear"
            raise ValueError(
                f"from_torch: output_activation={output_activation!r}, but the Sequential "
                f"ends in {ends}, which makes a {output!r} output"
            )
    weights, biases = [], []
    for _, linear, _, _ in layers:
        weights.append(linear.weight.detach().to(torch.float64).tolist())
        biases.append(linear.bias.detach().to(torch.float64).tolist())
    return weights, biases, [layer[3] for layer in hidden] + [output]


def torch_state_dict(weights: Weights, biases: Biases, activations: list[str]) -> dict[str, Any]:
    """An MLP's lists as float64 tensors under PyTorch's keys ('0.weight', '0.bias', …)."""
    torch = _torch()
    state: dict[str, Any] = {}
    for index, w, b in zip(_linear_keys(activations), weights, biases, strict=True):
        state[f"{index}.weight"] = _tensor(torch, w)
        state[f"{index}.bias"] = _tensor(torch, b)
    return state


def lists_from_torch(
    activations: list[str], state: Mapping[str, Any]
) -> tuple[list[Any], list[Any]]:
    """The weights and biases (as_lists' order) in a PyTorch state_dict of an MLP's Sequential.

    state is what Sequential.state_dict() returns ('0.weight', '0.bias', …; tensors or lists);
    the entries are returned as given, for Module.load_state_dict to check.
    """
    if not isinstance(state, Mapping):
        raise TypeError(
            f"load_torch_state_dict needs a dict such as Sequential.state_dict() returns, got "
            f"{type(state).__name__}"
        )
    keys = _linear_keys(activations)
    expected = [f"{index}.{kind}" for index in keys for kind in ("weight", "bias")]
    for key in state:
        if key not in expected:
            raise ValueError(
                f"PyTorch state_dict has unexpected key {key!r}; this model's Sequential has "
                f"keys {', '.join(expected)}"
            )
    lists: dict[str, list[Any]] = {"weight": [], "bias": []}
    for index in keys:
        for kind, found in lists.items():
            key = f"{index}.{kind}"
            if key not in state:
                raise ValueError(
                    f"PyTorch state_dict is missing key {key!r}; this model's Sequential has "
                    f"keys {', '.join(expected)}"
                )
            value = state[key]
            if hasattr(value, "detach"):  # a tensor: as float64 nested lists
                value = value.detach().double().tolist()
            found.append(value)
    return lists["weight"], lists["bias"]


def torch_loss(cost: str) -> Callable[[Any, Any], Any]:
    """PyTorch's form of batch_loss(cost) as a function (outputs (m, n), targets) -> C."""
    row = costs.get(cost).torch  # half_mse: the old name of quadratic
    torch = _torch()

    def loss(outputs: Any, targets: Any) -> Any:
        m = outputs.shape[0]
        if row.module is None:  # hinge: Σ_j max(0, 1 − y_j a_j), mean over examples
            c = torch.clamp(1.0 - targets * outputs, min=0.0).sum()
        else:
            c = getattr(torch.nn, row.module)(reduction=row.reduction)(outputs, targets)
        if row.factor != 1.0:
            c = row.factor * c
        return c / m if row.per_example_sum else c

    return loss
