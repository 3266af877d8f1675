"""The layer view's cost= (aliases, unknown names), softmax BP1 without cost=, typeset prose."""

from __future__ import annotations

import re

import pytest

import viz
from nn import MLP, closed_form
from nn.compare import example_loss
from tests import shown
from viz.layer_view import as_html
from viz.stepper_layers import layer_steps


def small(cost: str, output: str) -> tuple[MLP, object]:
    model = MLP(2, [3, 2], activation="tanh", output_activation=output, seed=4)
    y: object = 1 if cost == "cross_entropy" else [1.0, 0.0]
    c = example_loss(model, [0.3, -0.7], y, cost)
    c.backward()
    return model, c


def test_an_alias_is_resolved_and_keeps_the_a_minus_y_line() -> None:
    model, c = small("quadratic", "linear")
    text = " ".join(str(viz.explain(model.layers[-1], c, cost="half_mse", y=[1.0, 0.0])).split())
    assert "Here δ³ = a³ − y" in text and "cost quadratic" in text
    assert "check: max |a³ − y − δ³| = " in text


def test_an_unknown_cost_is_refused_with_the_list() -> None:
    model, c = small("quadratic", "linear")
    with pytest.raises(ValueError) as info:
        viz.explain(model.layers[-1], c, cost="nonsense")
    message = str(info.value)
    assert message.startswith("unknown cost 'nonsense'; choose one of mse, quadratic")
    assert all(name in message for name in (*closed_form.COSTS, *closed_form.COST_ALIASES))


def test_softmax_bp1_without_cost_says_what_to_pass_instead_of_an_unchecked_picture() -> None:
    model, c = small("cross_entropy", "softmax")
    view = viz.explain(model.layers[-1], c)
    bp1 = view.equation("BP1")
    assert not re.search(r"[⎡\[] +[−\-\d]", bp1)  # no matrix picture at all
    words = " ".join(bp1.split())
    assert "No picture of Jᵀ ∇ₐ C = δ: the graph has no ∇ₐ C." in words
    assert "Pass cost='cross_entropy' and y=" in words
    eq = next(e for e in view.equations if e.key == "BP1")
    assert eq.pictures == [] and eq.checks == []
    # with cost= and y= the picture and its check are there
    eq = next(e for e in viz.explain(model.layers[-1], c, cost="cross_entropy", y=1).equations)
    assert eq.key == "BP1" and eq.pictures and eq.checks


def test_ng_prose_and_checks_are_typeset_in_html() -> None:
    model, c = small("quadratic", "linear")
    view = viz.explain(model, c, notation="ng", cost="quadratic", y=[1.0, 0.0])
    notes = [as_html(n) for eq in view.equations for n in eq.notes]
    checks = [as_html(w) for eq in view.equations for w, _ in eq.checks]
    assert notes and checks
    for text in notes + checks:
        assert "^" not in text, text  # no caret of the plain-text form
    assert any("dz<sup>[2]</sup>: the z<sup>[2]</sup> nodes' grads" in n for n in notes)
    # the unicode text is unchanged
    assert "dz^[2]: the z^[2] nodes' grads" in " ".join(str(view).split())
    # the stepper's by-layer panels use the typeset form for prose and check lines
    from autograd import topological_order

    steps = layer_steps(view, topological_order(c))
    panels = "".join(s["html"] for s in steps)
    prose = re.findall(r'<p class="eq-(?:note|check)">(.*?)</p>', panels)
    assert prose and all("^" not in p for p in prose)
    assert "check: max |dz<sup>[2]</sup> − db<sup>[2]</sup>|" in panels  # Ng's db for ∂L/∂b
    # the notebook's Markdown too
    md = view._repr_markdown_()
    assert "the z<sup>[2]</sup> nodes' grads" in md and "z^[2]" not in md


# ∇_a C as each cost is written by hand, in the layer view's symbols (output layer 3)
GRADIENT_BY_HAND = {
    "mse": "2·(a³ − y)/n",
    "quadratic": "a³ − y",
    "squared_error": "2·(a³ − y)",
    "binary_cross_entropy": "(a³ − y)/(a³·(1 − a³))",
    "binary_cross_entropy_with_logits": "σ(z³) − y",
    "hinge": "−y·[y·a³ < 1]",
}


@pytest.mark.parametrize("cost", sorted(GRADIENT_BY_HAND))
def test_bp1_writes_the_costs_gradient_and_checks_it_against_the_graph(cost: str) -> None:
    output = {"binary_cross_entropy": "sigmoid", "binary_cross_entropy_with_logits": "linear"}
    model = MLP(2, [3, 2], activation="tanh", output_activation=output.get(cost, "tanh"), seed=5)
    y = [1.0, -1.0] if cost == "hinge" else [0.25, 1.0]
    c = example_loss(model, [0.3, -0.6], y, cost)
    c.backward()
    text = str(viz.explain(model.layers[-1], c, cost=cost, y=y))
    words = " ".join(text.split())
    assert f"∇ₐ C = {GRADIENT_BY_HAND[cost]} elementwise (n = 2), the {cost} cost's ∂C/∂a." in words
    (line,) = [w for w in text.splitlines() if f"∇ₐ C − ({GRADIENT_BY_HAND[cost]})" in w]
    assert shown.read(line.rsplit("= ", 1)[1]) < 1e-12


def test_a_saturated_sigmoid_with_binary_cross_entropy_still_has_its_gradient_nodes() -> None:
    # σ(z) = 1.0 exactly for y = 0: ln(1 − a) is clamped at −100 with slope 0, and a stays in
    # the graph, so the layer view still reads ∇_a C (0 there) from the a node
    model = MLP(2, [2, 1], activation="tanh", output_activation="sigmoid", seed=0)
    model.layers[-1].neurons[0].b.data = 60.0
    c = example_loss(model, [0.1, 0.2], [0.0], "binary_cross_entropy")
    assert model.layers[-1].a[0].data == 1.0 and c.data == 100.0
    c.backward()
    text = str(viz.explain(model.layers[-1], c, cost="binary_cross_entropy", y=[0.0]))
    pic = [line for line in text.splitlines() if "⊙" in line and "[" in line]
    assert pic and "∇ₐ C" in text
    assert "The formula divides by 0 at a saturated output" in " ".join(text.split())
    assert model.layers[-1].a[0].grad == 0.0


def test_a_target_the_cost_does_not_take_is_refused_with_what_it_takes() -> None:
    # y=[0] for cross-entropy (a class index, one example) was a bare zip() error inside BP1
    import viz
    from nn import MLP
    from nn.losses import cross_entropy

    model = MLP(3, [4, 3], activation="tanh", output_activation="softmax", seed=0)
    model([0.1, 0.2, 0.3])
    c = cross_entropy(model.layers[-1].z, 0)
    c.backward()
    for y, words in (([0], "int class index in 0..2, got list"), (5, "out of range")):
        with pytest.raises(ValueError, match=words):
            viz.explain(model.layers[-1], c, cost="cross_entropy", y=y)
    assert "BP1" in str(viz.explain(model.layers[-1], c, cost="cross_entropy", y=0))
