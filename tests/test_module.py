"""nn.Module, Neuron, Layer, MLP: structure, names, labels, state_dict and atomic JSON save/load."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pytest

import nn.model_file
from autograd import Value, no_grad
from nn import MLP, Layer, Module, Neuron


def outputs(model: MLP, x: list[float]) -> list[float]:
    return [a.data for a in model(x)]


# ------------------------------------------------------------------------------- structure
def test_mlp_structure_is_layers_of_neurons_of_weights() -> None:
    model = MLP(3, [4, 2], seed=0)
    assert [type(layer) for layer in model.layers] == [Layer, Layer]
    assert [(layer.nin, layer.nout) for layer in model.layers] == [(3, 4), (4, 2)]
    assert [len(layer.neurons) for layer in model.layers] == [4, 2]
    for layer, nin in zip(model.layers, (3, 4), strict=True):
        for neuron in layer.neurons:
            assert isinstance(neuron, Neuron)
            assert len(neuron.w) == nin
            assert all(isinstance(w, Value) and w.is_leaf for w in neuron.w)
            assert isinstance(neuron.b, Value)
    assert len(model.parameters()) == 4 * (3 + 1) + 2 * (4 + 1)
    assert [layer.activation for layer in model.layers] == ["tanh", "linear"]


def test_named_parameters_use_layer_neuron_input_indices() -> None:
    model = MLP(2, [2, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert names == [
        "layers.0.w[0][0]",
        "layers.0.w[0][1]",
        "layers.0.w[1][0]",
        "layers.0.w[1][1]",
        "layers.0.b[0]",
        "layers.0.b[1]",
        "layers.1.w[0][0]",
        "layers.1.w[0][1]",
        "layers.1.b[0]",
    ]
    named = dict(model.named_parameters())
    assert named["layers.0.w[1][0]"] is model.layers[0].neurons[1].w[0]
    assert named["layers.1.b[0]"] is model.layers[1].neurons[0].b
    # parameters() is the same Values in the same order
    assert all(
        p is q for p, (_, q) in zip(model.parameters(), model.named_parameters(), strict=True)
    )


def test_named_parameters_of_a_layer_and_a_neuron() -> None:
    layer = Layer(2, 2, seed=0)
    assert [n for n, _ in layer.named_parameters()] == [
        "w[0][0]",
        "w[0][1]",
        "w[1][0]",
        "w[1][1]",
        "b[0]",
        "b[1]",
    ]
    neuron = Neuron(3, seed=0)
    assert [n for n, _ in neuron.named_parameters()] == ["w[0]", "w[1]", "w[2]", "b"]
    assert dict(neuron.named_parameters())["b"] is neuron.b


def test_zero_grad_resets_every_parameter_gradient() -> None:
    model = MLP(2, [3, 1], seed=0)
    for p in model.parameters():
        p.data += 0.1  # nonzero biases, so every gradient below is nonzero
    model([0.5, -1.0])[0].backward()
    assert all(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(type(p.grad) is float and p.grad == 0.0 for p in model.parameters())


def test_parameter_gradients_accumulate_until_zero_grad() -> None:
    model = MLP(2, [3, 1], seed=0)
    model([0.5, -1.0])[0].backward()
    first = [p.grad for p in model.parameters()]
    model([0.5, -1.0])[0].backward()
    assert all(
        math.isclose(p.grad, 2.0 * g, abs_tol=1e-15)
        for p, g in zip(model.parameters(), first, strict=True)
    )


def test_seed_makes_initialisation_reproducible() -> None:
    assert MLP(2, [5, 3, 1], seed=7).state_dict() == MLP(2, [5, 3, 1], seed=7).state_dict()
    assert MLP(2, [5, 3, 1], seed=7).state_dict() != MLP(2, [5, 3, 1], seed=8).state_dict()
    assert MLP(2, [5, 3, 1]).state_dict() != MLP(2, [5, 3, 1]).state_dict()
    # the same draws whether the neurons are expanded or not
    assert MLP(2, [3, 1], seed=1, expand=True).state_dict() == MLP(2, [3, 1], seed=1).state_dict()
    assert Neuron(4, seed=3).state_dict() == Neuron(4, seed=3).state_dict()
    assert Layer(4, 2, seed=3).state_dict() == Layer(4, 2, seed=3).state_dict()


def test_initial_weights_lie_within_one_over_sqrt_nin_and_biases_are_zero() -> None:
    model = MLP(4, [9, 3], seed=0)
    for layer in model.layers:
        bound = 1.0 / math.sqrt(layer.nin)
        ws = [w.data for n in layer.neurons for w in n.w]
        assert all(-bound <= w <= bound for w in ws)
        assert max(map(abs, ws)) > bound / 2  # spread over the interval, not all near 0
        assert all(n.b.data == 0.0 for n in layer.neurons)


def test_seed_and_rng_together_is_an_error() -> None:
    import random

    with pytest.raises(ValueError, match="either seed or rng"):
        Neuron(2, seed=1, rng=random.Random(1))


# ------------------------------------------------------------------------------- calling
@pytest.mark.parametrize(
    "module", [MLP(2, [3, 1], seed=0), Layer(2, 3, seed=0), Neuron(2, seed=0)], ids=repr
)
def test_wrong_number_of_inputs_names_both_counts(module: Any) -> None:
    with pytest.raises(ValueError, match=r"^expected 2 inputs, got 3$"):
        module([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"^expected 2 inputs, got 1$"):
        module([1.0])


def test_inputs_must_be_a_list() -> None:
    with pytest.raises(TypeError, match="expected a list of 1 input \\("):
        MLP(1, [1], seed=0)(0.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expected a list of 2 inputs"):
        Layer(2, 1, seed=0)("ab")  # type: ignore[arg-type]


def test_mlp_with_width_one_hidden_layers_returns_a_list() -> None:
    # micrograd's MLP(2, [16, 1, 1]) raises TypeError: its one-neuron layer returns a bare Value
    model = MLP(2, [16, 1, 1], seed=0)
    out = model([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 1 and isinstance(out[0], Value)
    # the value is what the layers compute one after the other
    a = [1.0, 2.0]
    for layer in model.layers:
        a = [n.b.data + sum(w.data * x for w, x in zip(n.w, a, strict=True)) for n in layer.neurons]
        if layer.activation == "tanh":
            a = [math.tanh(v) for v in a]
    assert math.isclose(out[0].data, a[0], rel_tol=1e-12, abs_tol=1e-15)


def test_layer_returns_a_list_and_neuron_a_value() -> None:
    out = Layer(2, 1, seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 1
    assert isinstance(Neuron(2, seed=0)([1.0, 2.0]), Value)


def test_numbers_are_wrapped_once_per_call_and_values_pass_through() -> None:
    layer = Layer(2, 3, seed=0)
    layer([1.0, 2.0])
    # z = linear(w, a_prev, b): parents are (*w, *a_prev, b); every neuron sees the same inputs
    inputs = [z.parents[2:4] for z in layer.z]
    assert all(x is inputs[0][k] for xs in inputs for k, x in enumerate(xs))
    assert [x.data for x in inputs[0]] == [1.0, 2.0]
    x0, x1 = Value(1.0), Value(2.0)
    layer([x0, x1])
    assert all(z.parents[2] is x0 and z.parents[3] is x1 for z in layer.z)
    layer([x0, 2])  # numbers and Values mixed
    assert layer.z[0].parents[2] is x0 and layer.z[0].parents[3].data == 2.0


def test_each_layer_feeds_its_a_nodes_to_the_next() -> None:
    model = MLP(2, [3, 2], seed=0)
    model([0.1, 0.2])
    first, second = model.layers
    for z in second.z:
        assert all(p is a for p, a in zip(z.parents[3:6], first.a, strict=True))


def test_forward_under_no_grad_gives_the_same_numbers_and_no_graph() -> None:
    model = MLP(2, [3, 1], seed=0)
    with_graph = outputs(model, [0.3, -0.7])
    with no_grad():
        out = model([0.3, -0.7])
    assert out[0].is_leaf
    assert [a.data for a in out] == with_graph


# ------------------------------------------------------------------------------- labels
def test_nodes_are_labelled_in_nielsens_notation() -> None:
    model = MLP(2, [2, 2], seed=0)
    model([0.5, -1.0])
    first, second = model.layers
    neuron = first.neurons[1]
    assert neuron.w[0].label == "w^2_{1,0}"
    assert neuron.b.label == "b^2_1"
    assert first.z[1].label == "z^2_1" and first.z[1] is neuron.z
    assert first.a[1].label == "a^2_1" and first.a[1] is neuron.a
    assert first.a[1].op == "tanh" and first.a[1].parents == (first.z[1],)
    assert first.z[1].op == "linear"
    assert [x.label for x in first.z[1].parents[2:4]] == ["a^1_0", "a^1_1"]
    assert second.neurons[0].w[1].label == "w^3_{0,1}"
    # a linear output makes no a node: a^3_j IS z^3_j, labelled z
    assert second.a[1] is second.z[1] and second.a[1].label == "z^3_1"


def test_standalone_layer_and_neuron_take_layer_index_and_index() -> None:
    layer = Layer(2, 2, "sigmoid", layer_index=4, seed=0)
    layer([1.0, 2.0])
    assert layer.neurons[1].w[0].label == "w^4_{1,0}"
    assert layer.z[0].parents[2].label == "a^3_0"
    assert layer.a[1].label == "a^4_1"
    neuron = Neuron(2, "relu", layer_index=3, index=5, seed=0)
    neuron([1.0, 2.0])
    assert [w.label for w in neuron.w] == ["w^3_{5,0}", "w^3_{5,1}"]
    assert neuron.b.label == "b^3_5"
    assert neuron.z is not None and neuron.z.label == "z^3_5"
    assert neuron.a is not None and neuron.a.label == "a^3_5" and neuron.a.op == "relu"
    with pytest.raises(ValueError, match="layer_index"):
        Neuron(2, layer_index=1)


def test_expand_builds_z_from_products_and_sums() -> None:
    model = MLP(3, [2, 1], seed=0, expand=True)
    plain = MLP(3, [2, 1], seed=0)
    out = model([0.5, -1.0, 2.0])
    z = model.layers[0].z[1]
    # z = ((w_0 a_0 + w_1 a_1) + w_2 a_2) + b, with b added last
    assert z.op == "+" and z.label == "z^2_1"
    assert z.parents[1] is model.layers[0].neurons[1].b
    ops = {node.op for node in _ancestors(z) if not node.is_leaf}
    assert ops == {"+", "*"}
    assert math.isclose(out[0].data, outputs(plain, [0.5, -1.0, 2.0])[0], rel_tol=1e-12)


def _ancestors(root: Value) -> list[Value]:
    seen: list[Value] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if any(node is s for s in seen):
            continue
        seen.append(node)
        stack.extend(node.parents)
    return seen


def test_softmax_output_layer_keeps_logits_in_z() -> None:
    model = MLP(2, [3, 4], output_activation="softmax", seed=0)
    out = model([0.5, -1.0])
    last = model.layers[-1]
    assert all(z.op == "linear" for z in last.z)
    assert [a.label for a in out] == ["a^3_0", "a^3_1", "a^3_2", "a^3_3"]
    assert math.isclose(sum(a.data for a in out), 1.0, rel_tol=1e-12)
    zs = [z.data for z in last.z]
    total = sum(math.exp(v) for v in zs)
    assert all(
        math.isclose(a.data, math.exp(v) / total, rel_tol=1e-12)
        for a, v in zip(out, zs, strict=True)
    )
    assert all(n.a is a for n, a in zip(last.neurons, out, strict=True))


def test_deltas_before_any_forward_pass_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="no forward pass yet"):
        MLP(2, [1], seed=0).deltas()


# ------------------------------------------------------------------------------- bad arguments
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"activation": "swish"}, "unknown activation 'swish'"),
        ({"output_activation": "Tanh"}, "unknown activation 'Tanh'"),
        ({"activation": "softmax"}, "only allowed on the output layer"),
        ({"nin": 0}, "nin must be at least 1, got 0"),
        ({"nouts": []}, "nouts is empty"),
        ({"nouts": [2, 0]}, r"nouts\[1\] must be at least 1, got 0"),
    ],
)
def test_bad_mlp_arguments_raise_value_error(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"nin": 2, "nouts": [3, 1]} | kwargs
    with pytest.raises(ValueError, match=message):
        MLP(**args)


def test_bad_argument_types_raise_type_error() -> None:
    with pytest.raises(TypeError, match="nouts must be a list of layer widths"):
        MLP(2, 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="nin must be an int"):
        MLP(2.0, [1])  # type: ignore[arg-type]


def test_neuron_rejects_softmax_and_layer_accepts_it() -> None:
    with pytest.raises(ValueError, match="only allowed on the output layer"):
        Neuron(3, "softmax")
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        Layer(3, 2, "swish")
    out = Layer(3, 2, "softmax", seed=0)([1.0, 2.0, 3.0])
    assert math.isclose(sum(a.data for a in out), 1.0, rel_tol=1e-12)


def test_repr_shows_the_architecture() -> None:
    model = MLP(2, [16, 16, 1], seed=0)
    assert repr(model) == "MLP(2 inputs -> [16 tanh, 16 tanh, 1 linear], 337 parameters)"
    assert len(model.parameters()) == 337
    assert "expand=True" in repr(MLP(2, [1], expand=True))
    assert repr(Layer(2, 3, "relu")) == "Layer(nin=2, nout=3, activation='relu', layer_index=2)"
    assert repr(Neuron(2)) == "Neuron(nin=2, activation='tanh', layer_index=2, index=0)"


# ------------------------------------------------------------------------------- state_dict
def test_state_dict_holds_nested_lists_of_floats() -> None:
    model = MLP(2, [3, 1], seed=0)
    state: dict[str, Any] = model.state_dict()
    assert list(state) == ["layers.0.w", "layers.0.b", "layers.1.w", "layers.1.b"]
    assert [len(row) for row in state["layers.0.w"]] == [2, 2, 2]
    assert state["layers.0.w"][2][1] == model.layers[0].neurons[2].w[1].data
    assert state["layers.1.b"] == [model.layers[1].neurons[0].b.data]
    assert Layer(2, 2, seed=0).state_dict().keys() == {"w", "b"}
    neuron_state = Neuron(2, seed=0).state_dict()
    assert isinstance(neuron_state["b"], float) and len(neuron_state["w"]) == 2  # type: ignore[arg-type]


def test_state_dict_round_trip_copies_the_function() -> None:
    source, target = MLP(3, [4, 2], seed=1), MLP(3, [4, 2], seed=2)
    x = [0.3, -0.2, 0.9]
    assert outputs(source, x) != outputs(target, x)
    target.load_state_dict(source.state_dict())
    assert target.state_dict() == source.state_dict()
    assert outputs(target, x) == outputs(source, x)


def test_state_dict_is_a_copy() -> None:
    model = MLP(2, [1], seed=0)
    state = model.state_dict()
    before = model.layers[0].neurons[0].w[0].data
    state["layers.0.w"][0][0] = 123.0  # type: ignore[index]
    assert model.layers[0].neurons[0].w[0].data == before


def test_load_state_dict_accepts_ints_and_tuples() -> None:
    model = MLP(2, [1], seed=0)
    model.load_state_dict({"layers.0.w": ((1, 2),), "layers.0.b": [3]})
    assert model.state_dict() == {"layers.0.w": [[1.0, 2.0]], "layers.0.b": [3.0]}


def _other_state() -> dict[str, Any]:
    # valid values for every key, all different from MLP(2, [3, 1], seed=0)'s, so a load that
    # assigned the good keys before finding a bad one would show up as a changed model
    state: dict[str, Any] = MLP(2, [3, 1], seed=99).state_dict()
    return state


def _corrupt(change: str) -> dict[str, Any]:
    state = _other_state()
    if change == "missing":
        del state["layers.1.b"]
    elif change == "extra":
        state["layers.2.w"] = [[0.0]]
    elif change == "rows":
        state["layers.1.w"] = state["layers.1.w"] * 2
    elif change == "columns":
        state["layers.1.w"][0] = state["layers.1.w"][0][:2]
    elif change == "number_for_list":
        state["layers.1.w"] = 0.5
    elif change == "list_for_number":
        state["layers.1.b"] = [[0.5]]
    elif change == "string_row":
        state["layers.1.w"] = ["abc"]
    else:  # a bad entry: a str, a bool, None, NaN or infinity
        bad = {"str": "0.5", "bool": True, "none": None, "nan": math.nan, "inf": -math.inf}
        state["layers.1.b"] = [bad[change]]
    return state


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("missing", r"missing key 'layers\.1\.b'"),
        ("extra", r"unexpected key 'layers\.2\.w'"),
        ("rows", r"state_dict\['layers\.1\.w'\] has 2 entries but this model needs 1 lists"),
        ("columns", r"state_dict\['layers\.1\.w'\]\[0\] has 2 entries but this model needs 3"),
        ("number_for_list", r"state_dict\['layers\.1\.w'\] should be a list of 1 lists, got float"),
        ("list_for_number", r"state_dict\['layers\.1\.b'\]\[0\] is \[0\.5\] \(list\); expected"),
        ("string_row", r"state_dict\['layers\.1\.w'\]\[0\] should be a list of 3 numbers, got str"),
        ("str", r"state_dict\['layers\.1\.b'\]\[0\] is '0\.5' \(str\); expected a number"),
        ("bool", r"state_dict\['layers\.1\.b'\]\[0\] is True \(bool\); expected a number"),
        ("none", r"state_dict\['layers\.1\.b'\]\[0\] is None \(NoneType\); expected a number"),
        ("nan", r"state_dict\['layers\.1\.b'\]\[0\] is nan; parameters must be finite"),
        ("inf", r"state_dict\['layers\.1\.b'\]\[0\] is -inf; parameters must be finite"),
    ],
)
def test_load_state_dict_errors_name_the_key_and_change_nothing(change: str, message: str) -> None:
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(ValueError, match=message):
        model.load_state_dict(_corrupt(change))
    assert model.state_dict() == before


def test_load_state_dict_needs_a_mapping() -> None:
    with pytest.raises(TypeError, match="needs a dict"):
        MLP(2, [1], seed=0).load_state_dict([[1.0, 2.0], [0.0]])  # type: ignore[arg-type]


def test_neuron_load_state_dict_wants_a_number_for_b() -> None:
    neuron = Neuron(2, seed=0)
    with pytest.raises(ValueError, match=r"state_dict\['b'\] is \[0\.0\] \(list\)"):
        neuron.load_state_dict({"w": [1.0, 2.0], "b": [0.0]})
    neuron.load_state_dict({"w": [1.0, 2.0], "b": 0.5})
    assert neuron([1.0, 1.0]).data == math.tanh(3.5)


# ------------------------------------------------------------------------------- save / load
def test_save_and_load_round_trip_exactly(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    source = MLP(2, [4, 3], output_activation="softmax", seed=3)
    source.save(path)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["format"] == "deltagrad.state_dict" and document["version"] == 2
    assert document["architecture"] == {
        "kind": "MLP",
        "sizes": [2, 4, 3],
        "activations": ["tanh", "softmax"],
        "expand": False,
    }
    assert document["state"] == source.state_dict()
    target = MLP(2, [4, 3], output_activation="softmax", seed=4)
    target.load(str(path))
    # JSON writes floats with repr, which reads back to the same float: the copy is exact
    assert target.state_dict() == source.state_dict()
    assert outputs(target, [0.1, 0.2]) == outputs(source, [0.1, 0.2])


def test_save_replaces_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    MLP(2, [1], seed=1).save(path)
    second = MLP(2, [1], seed=2)
    second.save(path)
    assert json.loads(path.read_text())["state"] == second.state_dict()
    assert os.listdir(tmp_path) == ["model.json"]


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_save_gives_a_new_file_mode_644_and_keeps_an_old_files_mode(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    MLP(2, [1], seed=1).save(path)
    assert path.stat().st_mode & 0o777 == 0o644
    path.chmod(0o600)
    MLP(2, [1], seed=2).save(path)
    assert path.stat().st_mode & 0o777 == 0o600


def _interrupted_dump(obj: Any, f: Any, **kwargs: Any) -> None:
    f.write('{"format": "deltagrad.state_dict", "ver')  # half a document, then the crash
    f.flush()
    raise KeyboardInterrupt


def _failing_replace(src: str, dst: str) -> None:
    raise OSError("disk full")


@pytest.mark.parametrize(
    ("target", "replacement", "error"),
    [
        ("json.dump", _interrupted_dump, KeyboardInterrupt),
        ("os.replace", _failing_replace, OSError),
    ],
)
def test_an_interrupted_save_keeps_the_old_file_and_leaves_no_temp_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    target: str,
    replacement: Any,
    error: type[BaseException],
) -> None:
    path = tmp_path / "model.json"
    old = MLP(2, [3, 1], seed=1)
    old.save(path)
    old_text = path.read_text()
    module_name, attr = target.split(".")
    monkeypatch.setattr(getattr(nn.model_file, module_name), attr, replacement)
    with pytest.raises(error):
        MLP(2, [3, 1], seed=2).save(path)
    monkeypatch.undo()
    assert path.read_text() == old_text
    assert os.listdir(tmp_path) == ["model.json"]
    fresh = MLP(2, [3, 1], seed=5)
    fresh.load(path)
    assert fresh.state_dict() == old.state_dict()


def test_save_refuses_non_finite_parameters_and_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    model = MLP(2, [2, 1], seed=0)
    model.save(path)
    old_text = path.read_text()
    model.layers[0].neurons[1].w[0].data = math.nan
    with pytest.raises(ValueError, match=r"parameter layers\.0\.w\[1\]\[0\] is nan"):
        model.save(path)
    assert path.read_text() == old_text
    assert os.listdir(tmp_path) == ["model.json"]


def test_load_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        MLP(2, [1], seed=0).load(tmp_path / "nothing.json")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"format": "deltagrad.state_dict", "ver', "is not valid JSON"),
        ("[1, 2, 3]", "is not a deltagrad state_dict file"),
        ('{"layers.0.w": [[1.0, 2.0]], "layers.0.b": [0.0]}', "is not a deltagrad state_dict"),
        ('{"format": "deltagrad.state_dict", "version": 3, "state": {}}', "format version 3"),
        ('{"format": "deltagrad.state_dict", "version": 2, "state": {}}', 'no "architecture"'),
        ('{"format": "deltagrad.state_dict", "version": 1}', 'has no "state" object'),
        (
            '{"format": "deltagrad.state_dict", "version": 1, '
            '"state": {"layers.0.w": [[1.0, 2.0]], "layers.0.b": [NaN]}}',
            r"model\.json: state_dict\['layers\.0\.b'\]\[0\] is nan",
        ),
        (
            '{"format": "deltagrad.state_dict", "version": 1, '
            '"state": {"layers.0.w": [[1.0, 2.0, 3.0]], "layers.0.b": [0.0]}}',
            r"model\.json: state_dict\['layers\.0\.w'\]\[0\] has 3 entries",
        ),
    ],
)
def test_load_bad_content_raises_value_error_and_changes_nothing(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "model.json"
    path.write_text(text, encoding="utf-8")
    model = MLP(2, [1], seed=0)
    before = model.state_dict()
    with pytest.raises(ValueError, match=message):
        model.load(path)
    assert model.state_dict() == before


def test_load_a_binary_file_raises_value_error(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ValueError, match="is not valid JSON"):
        MLP(2, [1], seed=0).load(path)


def test_every_module_is_a_module() -> None:
    assert all(issubclass(cls, Module) for cls in (Neuron, Layer, MLP))


def test_inputs_may_be_any_iterable_of_numbers() -> None:
    model = MLP(2, [3, 1], seed=0)
    expected = model([0.5, -1.0])[0].data
    assert model((0.5, -1.0))[0].data == expected
    assert model(iter([0.5, -1.0]))[0].data == expected
    with pytest.raises(TypeError, match="list of 2 inputs"):
        model("ab")
    with pytest.raises(ValueError, match="expected 2 inputs, got 3"):
        model(iter([1.0, 2.0, 3.0]))


@pytest.mark.parametrize("x", [{0: 1.0, 1: 2.0}, {1.0, 2.0}, frozenset({3.0, 4.0})])
def test_a_dict_or_a_set_of_inputs_is_refused_with_a_type_error(x: Any) -> None:
    # a dict would give its keys (0, 1) as the inputs, a set its members in hash order
    model = MLP(2, [3, 1], seed=0)
    for call in (model, model.layers[0], model.layers[0].neurons[0]):
        with pytest.raises(TypeError, match=rf"got a {type(x).__name__}.*pass a list of numbers"):
            call(x)


def test_a_softmax_over_one_output_is_refused_at_construction() -> None:
    # softmax over one output is exp(z)/exp(z) = 1 whatever z: a constant that cannot learn
    with pytest.raises(ValueError, match=r"softmax over one output is always 1.*at least 2"):
        MLP(2, [3, 1], output_activation="softmax")
    with pytest.raises(ValueError, match="softmax over one output is always 1"):
        Layer(2, 1, "softmax")
    assert [round(sum(a.data for a in MLP(2, [2], output_activation="softmax")([1, 2])), 12)] == [
        1.0
    ]
