"""nn.notation: Name records on nn's nodes, the built-in notations, styles and selection."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import nn
from autograd import Label, Value, topological_order
from nn import MLP, losses
from nn.notation import Name, Notation

# Each notation's documented forms, written independently of nn.notation: (quantity, l, j, k)
# -> label, with l in Nielsen's numbering and j, k counted from 0 as deltagrad counts.
Form = Callable[[str, int, int, int], str]


def _nielsen(q: str, ln: int, j: int, k: int) -> str:
    return {
        "weight": f"w^{ln}_{{{j},{k}}}",
        "bias": f"b^{ln}_{j}",
        "input": f"a^{ln}_{j}",
        "preactivation": f"z^{ln}_{j}",
        "activation": f"a^{ln}_{j}",
        "cost": "C",
    }[q]


def _lfd(q: str, ln: int, j: int, k: int) -> str:
    return {
        "weight": f"w^({ln - 1})_{{{k + 1},{j + 1}}}",  # from node i to node j, nodes from 1
        "bias": f"w^({ln - 1})_{{0,{j + 1}}}",  # the weight from the constant node x_0 = 1
        "input": f"x^({ln - 1})_{j + 1}",
        "preactivation": f"s^({ln - 1})_{j + 1}",
        "activation": f"x^({ln - 1})_{j + 1}",
        "cost": "e",
    }[q]


def _ng(q: str, ln: int, j: int, k: int) -> str:
    return {
        "weight": f"w^[{ln - 1}]_{{{j + 1},{k + 1}}}",
        "bias": f"b^[{ln - 1}]_{j + 1}",
        "input": f"a^[{ln - 1}]_{j + 1}",
        "preactivation": f"z^[{ln - 1}]_{j + 1}",
        "activation": f"a^[{ln - 1}]_{j + 1}",
        "cost": "L",
    }[q]


def _goodfellow(q: str, ln: int, j: int, k: int) -> str:
    return {
        "weight": f"w^({ln - 1})_{{{j + 1},{k + 1}}}",
        "bias": f"b^({ln - 1})_{j + 1}",
        "input": f"h^({ln - 1})_{j + 1}",
        "preactivation": f"a^({ln - 1})_{j + 1}",  # Goodfellow's a is Nielsen's z
        "activation": f"h^({ln - 1})_{j + 1}",
        "cost": "L",
    }[q]


FORMS: dict[str, Form] = {
    "nielsen": _nielsen,
    "lfd": _lfd,
    "ng": _ng,
    "goodfellow": _goodfellow,
}


def _mlp_232() -> tuple[MLP, Value]:
    model = MLP(2, [3, 2], activation="tanh", output_activation="sigmoid", seed=0)
    loss = losses.quadratic(model([0.5, -1.0]), [1.0, 0.0])
    return model, loss


def _expected_labels(model: MLP, form: Form) -> dict[str, str]:
    """Every named node of the 2-3-2 model's graph, by a path, with its documented label."""
    out = {f"input {k}": form("input", 1, k, 0) for k in range(2)}
    for layer in model.layers:
        ln = layer.layer_index
        for j, n in enumerate(layer.neurons):
            for k in range(n.nin):
                out[f"w {ln} {j} {k}"] = form("weight", ln, j, k)
            out[f"b {ln} {j}"] = form("bias", ln, j, 0)
            out[f"z {ln} {j}"] = form("preactivation", ln, j, 0)
            out[f"a {ln} {j}"] = form("activation", ln, j, 0)
    out["cost"] = form("cost", 0, 0, 0)
    return out


def _actual_labels(model: MLP, loss: Value) -> dict[str, str | None]:
    inputs = [v for v in topological_order(loss) if v.is_leaf and v.label_record is not None]
    inputs = [v for v in inputs if getattr(v.label_record, "quantity", "") == "input"]
    inputs.sort(key=lambda v: getattr(v.label_record, "j", 0))
    out: dict[str, str | None] = {f"input {k}": v.label for k, v in enumerate(inputs)}
    for layer in model.layers:
        ln = layer.layer_index
        for j, n in enumerate(layer.neurons):
            for k, w in enumerate(n.w):
                out[f"w {ln} {j} {k}"] = w.label
            out[f"b {ln} {j}"] = n.b.label
            assert n.z is not None and n.a is not None
            out[f"z {ln} {j}"] = n.z.label
            out[f"a {ln} {j}"] = n.a.label
    out["cost"] = loss.label
    return out


@pytest.mark.parametrize("key", list(FORMS))
def test_labels_of_a_2_3_2_mlp_are_the_documented_forms(key: str) -> None:
    model, loss = _mlp_232()
    with nn.notation.using(key):
        assert _actual_labels(model, loss) == _expected_labels(model, FORMS[key])
    # and back to Nielsen's outside the block
    assert _actual_labels(model, loss) == _expected_labels(model, _nielsen)


def test_use_switches_the_notation_globally_and_back() -> None:
    model, loss = _mlp_232()
    try:
        assert nn.notation.use("lfd") is nn.notation.NOTATIONS["lfd"]
        assert nn.notation.active().key == "lfd"
        assert model.layers[0].neurons[0].w[1].label == "w^(1)_{2,1}"
        with nn.notation.using("ng"):
            assert loss.label == "L"
        assert loss.label == "e"
    finally:
        nn.notation.use("nielsen")
    assert model.layers[0].neurons[0].w[1].label == "w^2_{0,1}"


def test_names_are_records_and_every_node_of_a_model_has_one() -> None:
    model, loss = _mlp_232()
    z = model.layers[1].neurons[1].z
    assert z is not None
    assert z.label_record == Name("preactivation", 3, 1)
    assert isinstance(z.label_record, Label)
    named = [v for v in topological_order(loss) if v.label_record is not None]
    # 2 inputs, 6 + 6 weights, 3 + 2 biases, 3 + 2 z, 3 + 2 a, 2 targets y_j, 1 cost
    assert len(named) == 2 + 12 + 5 + 5 + 5 + 2 + 1


def test_a_user_label_on_a_named_node_keeps_the_record() -> None:
    model, _ = _mlp_232()
    z = model.layers[0].neurons[2].z
    assert z is not None
    z.label = "my signal"
    assert z.label == "my signal"
    assert z.label_record == Name("preactivation", 2, 2)
    assert "label='my signal'" in repr(z)
    z.label = None  # back to the record's own text
    assert z.label == "z^2_2"
    z.label_record = None
    assert z.label is None and z.label_record is None


def test_plain_string_labels_work_as_before() -> None:
    v = Value(2.0, "x")
    assert v.label == "x" and v.label_record is None
    v.label = "y"
    assert v.label == "y"
    v.label_record = Name("input", 1, 0)  # a record under the user's text keeps the text
    assert v.label == "y" and v.label_record == Name("input", 1, 0)
    assert Value(1.0, Name("bias", 2, 0)).label == "b^2_0"
    with pytest.raises(TypeError, match="label must be a str"):
        v.label = 3  # type: ignore[assignment]
    with pytest.raises(TypeError, match="label_record must be a Label"):
        v.label_record = "z"  # type: ignore[assignment]
    with pytest.raises(TypeError, match="Label record"):
        Value(1.0, 5)  # type: ignore[arg-type]


def test_batch_costs_are_named_per_example_and_for_the_mean() -> None:
    model = MLP(2, [1], seed=0)
    preds = [model([0.0, 1.0]), model([1.0, 0.0])]
    c = losses.batch_loss(losses.quadratic, preds, [[0.0], [1.0]])
    assert c.label_record == Name("cost", batch=True)
    per_example = sorted(
        v.label or ""
        for v in topological_order(c)
        if v.label_record is not None and v is not c
        if getattr(v.label_record, "quantity", "") == "cost"
    )
    assert per_example == ["C_0", "C_1"]
    assert c.label == "C"
    with nn.notation.using("lfd"):
        assert c.label == "E_in"
        assert nn.notation.render(Name("cost", example=0)) == "e_1"
    with nn.notation.using("ng"):
        assert c.label == "J"


STYLE_CASES = [
    ("nielsen", Name("weight", 2, 1, 0), ["w^2_{1,0}", "w²₁,₀", "w^{2}_{1,0}"]),
    ("lfd", Name("preactivation", 3, 0), ["s^(2)_1", "s⁽²⁾₁", "s^{(2)}_{1}"]),
    ("ng", Name("bias", 2, 0), ["b^[1]_1", "b^[1]₁", "b^{[1]}_{1}"]),
    ("lfd", Name("cost", batch=True), ["E_in", "Eᵢₙ", r"E_{\mathrm{in}}"]),
]


@pytest.mark.parametrize(("key", "name", "forms"), STYLE_CASES)
def test_styles_ascii_unicode_latex(key: str, name: Name, forms: list[str]) -> None:
    assert [nn.notation.render(name, key, s) for s in ("ascii", "unicode", "latex")] == forms


def test_html_and_delta_and_latex_greek() -> None:
    name = Name("preactivation", 2, 0)
    assert nn.notation.render(name, "nielsen", "html") == "z<sup>2</sup><sub>0</sub>"

    def delta(key: str, style: str = "ascii") -> str:
        return nn.notation.text("delta", name.layer, name.j, notation=key, style=style)

    assert delta("nielsen", "unicode") == "δ²₀"
    assert delta("nielsen", "latex") == r"{\delta}^{2}_{0}"
    assert delta("ng") == "dz^[1]_1"
    assert delta("goodfellow") == "g^(1)_1"
    with pytest.raises(ValueError, match="style must be one of"):
        nn.notation.render(name, "nielsen", "rtf")


def test_a_learner_defined_notation() -> None:
    mine = Notation(
        "mine",
        "my notes",
        w="θ",
        z="u",
        a="v",
        delta="ε",
        cost="loss",
        cost_batch="loss",
        layer_offset=-2,
        index_order="kj",
        index_base=1,
    )
    model, loss = _mlp_232()
    with nn.notation.using(mine):
        assert model.layers[0].neurons[1].w[0].label == "θ^0_{1,2}"
        assert model.layers[1].neurons[0].z.label == "u^1_1"  # type: ignore[union-attr]
        assert loss.label == "loss"
    nn.notation.register(mine)
    try:
        assert nn.notation.get("mine") is mine
    finally:
        del nn.notation.NOTATIONS["mine"]


def test_bad_notations_and_names_are_explained() -> None:
    with pytest.raises(ValueError, match="unknown notation 'klingon'; choose one of nielsen"):
        nn.notation.get("klingon")
    with pytest.raises(ValueError, match="index_order must be 'jk'"):
        Notation("x", "x", index_order="ij")
    with pytest.raises(ValueError, match="the symbol for z is empty"):
        Notation("x", "x", z="")
    with pytest.raises(ValueError, match="quantity must be one of"):
        Name("gradient", 2, 0)
    with pytest.raises(TypeError, match="needs a Notation"):
        nn.notation.register("lfd")  # type: ignore[arg-type]


def test_bp_equations_in_each_notation() -> None:
    assert nn.notation.bp_equations("nielsen") == {
        "BP1": "δ^L = ∇_a C ⊙ σ′(z^L)",
        "BP2": "δ^l = ((w^{l+1})ᵀ δ^{l+1}) ⊙ σ′(z^l)",
        "BP3": "∂C/∂b^l_j = δ^l_j",
        "BP4": "∂C/∂w^l_jk = a^{l−1}_k δ^l_j",
    }
    lfd = nn.notation.bp_equations("lfd")
    assert lfd["BP4"] == "∂e/∂w^(l)_ij = x^(l−1)_i δ^(l)_j"
    assert lfd["BP3"] == "∂e/∂w^(l)_0j = δ^(l)_j"


# ------------------------------------------------------------------- the one symbol function
@pytest.mark.parametrize(
    ("key", "args", "kwargs", "written"),
    [
        # the derivative of the cost: ∂C/∂w (Nielsen), Ng's dW, LFD's bias as the weight w_0j
        ("nielsen", ("cost", 2, 1, 0), {"wrt": "weight"}, "∂C/∂w^2_{1,0}"),
        ("ng", ("cost", 2, 1, 0), {"wrt": "weight", "batch": True}, "dw^[1]_{2,1}"),
        ("ng", ("cost", 3), {"wrt": "bias"}, "db^[2]"),
        ("lfd", ("cost", 2, 1), {"wrt": "bias", "batch": True}, "∂E_in/∂w^(1)_{0,2}"),
        ("lfd", ("cost", 2), {"wrt": "bias"}, "∂e/∂w^(1)_0j"),
        ("lfd", ("cost", 2), {"wrt": "weight"}, "∂e/∂w^(1)"),
        # ∇_a C for the output vector, in each course's letters
        ("nielsen", ("cost", 3), {"wrt": "activation"}, "∇_a C"),
        ("lfd", ("cost", 3), {"wrt": "activation"}, "∇_x e"),
        ("ng", ("cost", 3), {"wrt": "activation"}, "da^[2]"),
        # σ, σ′ applied to z of a layer; the input as layer 1; letters as they are
        ("goodfellow", ("sigma_prime", 2, 0), {}, "f′(a^(1)_1)"),
        ("lfd", ("activation", 1, 0), {}, "x^(0)_1"),
        ("nielsen", ("weight", "l+1", "j", "k"), {}, "w^{l+1}_jk"),
        ("lfd", ("weight", "l", "j", "i"), {}, "w^(l)_ij"),
        ("nielsen", ("mean",), {}, "1/m"),
        ("lfd", ("mean",), {}, "1/N"),
        ("ng", ("cost",), {"batch": True}, "J"),
    ],
)
def test_term_writes_each_quantity_as_the_course_does(
    key: str, args: tuple[object, ...], kwargs: dict[str, object], written: str
) -> None:
    tokens = nn.notation.term(*args, notation=key, **kwargs)  # type: ignore[arg-type]
    assert nn.notation.write(tokens, "ascii") == written


def test_term_gives_typed_tokens_and_latex_from_them() -> None:
    from nn.notation import Frac, Op, Sym

    tokens = nn.notation.term("cost", 2, 1, 0, wrt="weight", notation="nielsen")
    assert tokens == (Frac((Op("∂"), Sym("C")), (Op("∂"), Sym("w", "2", "1,0"))),)
    assert nn.notation.write(tokens, "latex") == r"\frac{\partial C}{\partial w^{2}_{1,0}}"
    assert nn.notation.write(tokens, "html") == "∂C/∂w<sup>2</sup><sub>1,0</sub>"
    with pytest.raises(ValueError, match="no symbol for 'gradient'"):
        nn.notation.term("gradient")
    with pytest.raises(ValueError, match="derivative of the cost"):
        nn.notation.term("weight", 2, wrt="bias")


def test_layer_numbers_round_trip_in_every_notation() -> None:
    for key, n in nn.notation.NOTATIONS.items():
        for layer in range(1, 5):
            written = nn.notation.layer_number(layer, key)
            assert written == layer + n.layer_offset
            assert nn.notation.nielsen_layer(written, key) == layer
