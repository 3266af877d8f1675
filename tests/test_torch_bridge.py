"""nn.torch_bridge against PyTorch's autograd and optimizers: the same numbers, in float64.

Outputs, losses, every .grad, and the parameters after a few SGD and Adam steps agree with
PyTorch to 1e-12 (relative above 1, absolute below). Without torch these tests are skipped,
except where CI sets DELTAGRAD_REQUIRE_TORCH=1: there a missing torch is a failure.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autograd import Value
from nn import MLP, losses, torch_bridge
from nn.activations import ACTIVATIONS
from nn.optim import SGD, Adam
from tests.nn_strategies import NetCase, net_cases

REPO = Path(__file__).resolve().parent.parent
TOL = 1e-12


def close(a: float, b: float) -> bool:
    """Equal to 1e-12: relative for numbers above 1, absolute below."""
    return abs(a - b) <= TOL * max(1.0, abs(a), abs(b))


def usable(case: NetCase, model: MLP) -> bool:
    """False where the two libraries may rightly disagree: kinks and saturated probabilities."""
    try:
        for x, y in zip(case.xs, case.ys, strict=True):
            out = model(x)
            for layer in model.layers:
                if layer.activation == "relu" and any(abs(z.data) < 1e-9 for z in layer.z):
                    return False  # relu'(0) is a convention
            if case.cost == "binary_cross_entropy" and not all(
                1e-6 < a.data < 1 - 1e-6 for a in out
            ):
                # both clamp ln p at −100, but there PyTorch's gradient is
                # (p − y)/max(p(1 − p), 1e-12) and deltagrad's the clamped log's slope, 0
                return False
            if case.cost == "hinge" and any(
                abs(1 - y_j * a.data) < 1e-9 for a, y_j in zip(out, y, strict=True)
            ):
                return False
            case.loss_fn(case.prediction(model, out), y)
    except ValueError:  # a loss that refuses its input (cross_entropy's underflowed class)
        return False
    return True


def torch_targets(torch: Any, case: NetCase) -> Any:
    if case.cost == "cross_entropy":
        return torch.tensor(case.ys, dtype=torch.int64)
    return torch.tensor(case.ys, dtype=torch.float64)


def both_losses(torch: Any, case: NetCase, model: MLP, net: Any) -> tuple[Any, Any, Any]:
    """deltagrad's batch loss C and PyTorch's, each after backward, and PyTorch's outputs."""
    model.zero_grad()
    net.zero_grad()
    c = losses.batch_loss(
        case.loss_fn, [case.prediction(model, model(x)) for x in case.xs], case.ys
    )
    c.backward()
    out = net(torch.tensor(case.xs, dtype=torch.float64))
    loss = torch_bridge.torch_loss(case.cost)(out, torch_targets(torch, case))
    loss.backward()
    return c, loss, out


def linears(net: Any, torch: Any) -> list[Any]:
    return [m for m in net if isinstance(m, torch.nn.Linear)]


# ---------------------------------------------------------------- outputs, loss, every .grad
@settings(max_examples=60)
@given(case=net_cases(max_layers=3, max_width=5, max_batch=3))
def test_outputs_loss_and_every_grad_agree_with_pytorch(torch: Any, case: NetCase) -> None:
    model = case.model()
    assume(usable(case, model))
    net = model.to_torch()
    assert all(p.dtype == torch.float64 for p in net.parameters())
    c, loss, out = both_losses(torch, case, model, net)
    # outputs: a^L, or the logits z^L of a softmax layer (what the Sequential returns)
    for row, x in zip(out.tolist(), case.xs, strict=True):
        a = model(x)
        ours = model.layers[-1].z if case.output == "softmax" else a
        assert all(close(v.data, t) for v, t in zip(ours, row, strict=True))
        if case.output == "softmax":
            probs = torch.softmax(torch.tensor([row], dtype=torch.float64), dim=-1)[0].tolist()
            assert all(close(v.data, p) for v, p in zip(a, probs, strict=True))
    assert close(c.data, loss.item()), (c.data, loss.item())
    for layer, linear in zip(model.layers, linears(net, torch), strict=True):
        gw, gb = linear.weight.grad.tolist(), linear.bias.grad.tolist()
        for j, neuron in enumerate(layer.neurons):
            assert close(neuron.b.grad, gb[j]), (layer, j, neuron.b.grad, gb[j])
            for k, w in enumerate(neuron.w):
                assert close(w.grad, gw[j][k]), (layer, j, k, w.grad, gw[j][k])


# ---------------------------------------------------------------- SGD and Adam, step for step
OPTIMIZERS = st.one_of(
    st.tuples(
        st.just("SGD"),
        st.fixed_dictionaries(
            {
                "lr": st.sampled_from([0.01, 0.1, 0.5]),
                "momentum": st.sampled_from([0.0, 0.5, 0.9]),
                "weight_decay": st.sampled_from([0.0, 0.01, 0.1]),
            }
        ),
    ),
    st.tuples(
        st.just("Adam"),
        st.fixed_dictionaries(
            {
                "lr": st.sampled_from([0.001, 0.01, 0.1]),
                "betas": st.sampled_from([(0.9, 0.999), (0.5, 0.9), (0.0, 0.99)]),
                "eps": st.sampled_from([1e-8, 1e-6]),
                "weight_decay": st.sampled_from([0.0, 0.01, 0.1]),
            }
        ),
    ),
)


@settings(max_examples=40)
@given(case=net_cases(max_layers=3, max_width=4, max_batch=3), opt=OPTIMIZERS)
def test_parameters_after_sgd_and_adam_steps_agree_with_torch_optim(
    torch: Any, case: NetCase, opt: tuple[str, dict[str, Any]]
) -> None:
    name, hyper = opt
    model = case.model()
    assume(usable(case, model))
    net = model.to_torch()
    ours = (SGD if name == "SGD" else Adam)(model.parameters(), **hyper)
    theirs = getattr(torch.optim, name)(net.parameters(), **hyper)
    for _ in range(3):
        assume(usable(case, model))  # a step may push a relu onto its kink
        both_losses(torch, case, model, net)
        ours.step()
        theirs.step()
        for layer, linear in zip(model.layers, linears(net, torch), strict=True):
            w, b = linear.weight.tolist(), linear.bias.tolist()
            for j, neuron in enumerate(layer.neurons):
                assert close(neuron.b.data, b[j]), (name, hyper, neuron.b.data, b[j])
                assert all(close(v.data, t) for v, t in zip(neuron.w, w[j], strict=True))


# ---------------------------------------------------------------- the bridge both ways
@settings(max_examples=30)
@given(case=net_cases(max_layers=4, max_width=5))
def test_from_torch_of_to_torch_is_the_same_network(torch: Any, case: NetCase) -> None:
    model = case.model()
    net = model.to_torch()
    back = MLP.from_torch(
        net, output_activation="softmax" if case.output == "softmax" else None, expand=case.expand
    )
    assert back.state_dict() == model.state_dict()  # exactly: float64 both ways
    assert [layer.activation for layer in back.layers] == [
        layer.activation for layer in model.layers
    ]
    assert back.expand == case.expand
    # Nielsen's w^l_jk is Linear.weight[j, k]
    first = linears(net, torch)[0]
    assert first.weight[0, first.in_features - 1].item() == model.layers[0].neurons[0].w[-1].data


def test_from_torch_reads_a_pytorch_built_network(torch: Any) -> None:
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(3, 5),
        torch.nn.ReLU(),
        torch.nn.Linear(5, 4),
        torch.nn.ReLU(),
        torch.nn.Linear(4, 2),
        torch.nn.Sigmoid(),
    )  # float32, PyTorch's own initialisation
    model = MLP.from_torch(net)
    assert repr(model) == "MLP(3 inputs -> [5 relu, 4 relu, 2 sigmoid], 54 parameters)"
    x = [0.3, -1.2, 2.0]
    expected = net.double()(torch.tensor([x], dtype=torch.float64))[0].tolist()
    assert all(close(a.data, e) for a, e in zip(model(x), expected, strict=True))
    # a trailing Softmax is a softmax output; Linear, Linear is a linear hidden layer
    soft = torch.nn.Sequential(
        torch.nn.Linear(2, 3), torch.nn.Linear(3, 3), torch.nn.Softmax(dim=-1)
    ).double()
    model = MLP.from_torch(soft)
    assert [layer.activation for layer in model.layers] == ["linear", "softmax"]
    expected = soft(torch.tensor([[1.0, -2.0]], dtype=torch.float64))[0].tolist()
    assert all(close(a.data, e) for a, e in zip(model([1.0, -2.0]), expected, strict=True))
    assert model.to_torch(softmax_module=True)[-1].__class__ is torch.nn.Softmax


def test_torch_state_dict_loads_into_a_sequential_and_back(torch: Any) -> None:
    model = MLP(2, [4, 4, 3], activation="tanh", output_activation="softmax", seed=3)
    state = model.torch_state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert state["2.weight"][1, 3].item() == model.layers[1].neurons[1].w[3].data
    net = torch.nn.Sequential(
        torch.nn.Linear(2, 4),
        torch.nn.Tanh(),
        torch.nn.Linear(4, 4),
        torch.nn.Tanh(),
        torch.nn.Linear(4, 3),
    ).double()
    net.load_state_dict(state)  # strict: the keys and shapes are PyTorch's
    model(x := [0.5, -0.25])
    logits = net(torch.tensor([x], dtype=torch.float64))[0].tolist()
    assert all(close(z.data, t) for z, t in zip(model.layers[-1].z, logits, strict=True))
    # a trailing Softmax has no parameters: the same keys load into that Sequential
    model.to_torch(softmax_module=True).load_state_dict(state)
    other = MLP(2, [4, 4, 3], activation="tanh", output_activation="softmax", seed=9)
    other.load_torch_state_dict(net.state_dict())
    assert other.state_dict() == model.state_dict()
    lists = {key: value.tolist() for key, value in state.items()}
    other = MLP(2, [4, 4, 3], activation="tanh", output_activation="softmax", seed=9)
    other.load_torch_state_dict(lists)
    assert other.state_dict() == model.state_dict()


def test_load_torch_state_dict_names_a_wrong_key(torch: Any) -> None:
    model = MLP(2, [3, 1], seed=0)
    state = model.torch_state_dict()
    with pytest.raises(ValueError, match=r"unexpected key '1\.weight'.*0\.weight, 0\.bias"):
        model.load_torch_state_dict({**state, "1.weight": state["0.weight"]})
    del state["2.bias"]
    with pytest.raises(ValueError, match=r"missing key '2\.bias'"):
        model.load_torch_state_dict(state)
    state = model.torch_state_dict()
    state["0.weight"] = state["0.weight"][:2]
    with pytest.raises(ValueError, match=r"layers\.0\.w.*2 entries but this model needs 3"):
        model.load_torch_state_dict(state)


def test_unsupported_modules_raise_value_error_naming_the_module(torch: Any) -> None:
    nn_ = torch.nn

    def refuse(seq: Any, pattern: str, **kwargs: Any) -> None:
        with pytest.raises(ValueError, match=pattern):
            MLP.from_torch(seq, **kwargs)

    refuse(
        nn_.Sequential(nn_.Linear(2, 3), nn_.Dropout(0.5), nn_.Linear(3, 1)),
        r"module 1 \(Dropout\(p=0\.5.*\) is not supported; .*Linear, Sigmoid, Tanh, ReLU",
    )
    refuse(
        nn_.Sequential(nn_.Linear(2, 3), nn_.Hardswish(), nn_.Linear(3, 1)),
        r"module 1 \(Hardswish\(\)\) is not supported",
    )
    refuse(nn_.Sequential(nn_.Linear(2, 3, bias=False)), r"module 0 .*bias=False.* no bias")
    refuse(nn_.Sequential(nn_.Tanh(), nn_.Linear(2, 1)), r"module 0 \(Tanh\(\)\) comes before")
    refuse(nn_.Sequential(nn_.Linear(2, 3), nn_.Linear(4, 1)), r"module 1 .*takes 4 inputs")
    refuse(
        nn_.Sequential(nn_.Linear(2, 3), nn_.Tanh(), nn_.ReLU(), nn_.Linear(3, 1)),
        r"module 2 \(ReLU\(\)\) follows another activation",
    )
    refuse(
        nn_.Sequential(
            nn_.Linear(2, 3), nn_.Tanh(), nn_.Linear(3, 3), nn_.ReLU(), nn_.Linear(3, 1)
        ),
        r"module 3 \(ReLU\(\)\) gives layer 3 the activation 'relu', .* uses 'tanh'",
    )
    refuse(
        nn_.Sequential(nn_.Linear(2, 3), nn_.Softmax(dim=-1), nn_.Linear(3, 1)),
        r"module 1 \(Softmax.*only allowed as the last module",
    )
    refuse(nn_.Sequential(nn_.Linear(2, 3), nn_.Softmax(dim=0)), r"over the features")
    refuse(
        nn_.Sequential(nn_.Linear(2, 3), nn_.Tanh()),
        r"output_activation='sigmoid'.*'tanh'",
        output_activation="sigmoid",
    )
    refuse(nn_.Sequential(), r"empty")
    with pytest.raises(TypeError, match=r"needs a torch\.nn\.Sequential"):
        MLP.from_torch(nn_.Linear(2, 1))


def test_every_activation_has_a_row_in_the_one_mapping_table(torch: Any) -> None:
    for name in ACTIVATIONS:
        if name in torch_bridge.NO_MODULE:
            continue
        assert name in torch_bridge.ACTIVATION_MODULES, f"no PyTorch module for {name!r}"
        cls, attrs = torch_bridge.ACTIVATION_MODULES[name]
        module = getattr(torch.nn, cls)(**attrs)
        model = MLP(2, [3, 1], activation=name, seed=0)
        net = model.to_torch()
        assert type(net[1]) is type(module)
        assert MLP.from_torch(net).activation == name


def test_an_activation_without_a_row_names_itself(
    torch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(torch_bridge.ACTIVATION_MODULES, "relu")
    with pytest.raises(ValueError, match=r"layer 2 has activation 'relu'.*ACTIVATION_MODULES"):
        MLP(2, [3, 1], activation="relu").to_torch()


def test_every_cost_has_a_pytorch_form() -> None:
    from nn.costs import COSTS

    assert set(torch_bridge.TORCH_COSTS) == set(COSTS)
    with pytest.raises(ValueError, match="unknown cost 'l1'"):
        torch_bridge.torch_loss("l1")


def test_half_mse_is_the_quadratic_cost_in_pytorch_too(torch: Any) -> None:
    out = torch.tensor([[0.5, -1.0], [2.0, 0.0]], dtype=torch.float64)
    y = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    quadratic = torch_bridge.torch_loss("quadratic")(out, y).item()
    assert torch_bridge.torch_loss("half_mse")(out, y).item() == quadratic
    # ½ Σ_j (a_j − y_j)² per example, then the mean over the two examples
    assert quadratic == pytest.approx(((0.25 + 1.0) / 2 + (4.0 + 1.0) / 2) / 2, rel=1e-15)


# ---------------------------------------------------------------- without torch
def test_importing_the_packages_never_imports_torch() -> None:
    code = "import sys, autograd, nn, nn.torch_bridge, viz; print('torch' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_without_torch_the_bridge_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'deltagrad\[torch\]'"):
        MLP(2, [1]).to_torch()
    assert math.isfinite(MLP(2, [1], seed=0)([1.0, 2.0])[0].data)  # the rest still works


@pytest.mark.parametrize(
    ("cls", "kwargs", "got", "form", "why"),
    [
        ("Softplus", {}, "threshold=20.0", "Softplus(beta=1, threshold=40)", "returns z itself"),
        ("Softplus", {"beta": 2.0, "threshold": 40.0}, "beta=2.0", "Softplus(beta=1, thr", ""),
        ("GELU", {}, "approximate='none'", "GELU(approximate='tanh')", "tanh approximation"),
        ("LeakyReLU", {"negative_slope": 0.2}, "negative_slope=0.2", "LeakyReLU(", "0.01"),
        ("ELU", {"alpha": 0.5}, "alpha=0.5", "ELU(alpha=1)", "alpha 1"),
    ],
)
def test_a_supported_class_with_other_attributes_names_them_and_the_accepted_form(
    torch: Any, cls: str, kwargs: dict[str, Any], got: str, form: str, why: str
) -> None:
    made = getattr(torch.nn, cls)(**kwargs)
    seq = torch.nn.Sequential(torch.nn.Linear(2, 3), made, torch.nn.Linear(3, 1))
    with pytest.raises(ValueError) as info:
        MLP.from_torch(seq)
    message = str(info.value)
    assert f"module 1 ({made!r}) has {got};" in message
    assert f"Build the module as {form}" in message and why in message
    assert "is not supported" not in message  # the class is; its attributes are not
    # the accepted form is read
    name, (_, attrs) = next(
        (n, row) for n, row in torch_bridge.ACTIVATION_MODULES.items() if row[0] == cls
    )
    accepted = getattr(torch.nn, cls)(**attrs)
    ok = MLP.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3), accepted, torch.nn.Linear(3, 1)))
    assert ok.layers[0].activation == name


def test_every_row_with_attributes_says_why() -> None:
    rows = {n for n, (_, attrs) in torch_bridge.ACTIVATION_MODULES.items() if attrs}
    assert set(torch_bridge.WHY_ATTRIBUTES) == rows


@pytest.mark.parametrize("p", [0.0, 1.0, 1e-50, 1.0 - 1e-17, 3e-44, 0.3])
@pytest.mark.parametrize("y", [0.0, 1.0, 0.25])
def test_binary_cross_entropy_is_bceloss_at_saturation_too(torch: Any, p: float, y: float) -> None:
    # both clamp each log at −100, so a saturated sigmoid costs the same finite number
    ours = losses.binary_cross_entropy([Value(p)], [y]).data
    theirs = torch.nn.BCELoss(reduction="sum")(
        torch.tensor([p], dtype=torch.float64), torch.tensor([y], dtype=torch.float64)
    ).item()
    assert close(ours, theirs), (ours, theirs)
