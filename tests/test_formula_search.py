"""The learner's formula: each family of mistakes, written as a numpy mutant, is found by the
bounded search and named in the report in the learner's notation; correct code gets none."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from nn import formula_search as fs
from nn.formula_search import (
    HADAMARD,
    MATMUL,
    SCALE,
    SIGMA_PRIME,
    SUM_J,
    SUM_X,
    TRANSPOSE,
    Expr,
    apply,
    atom,
)
from nn.grading import Plan, call_learner, check_backprop, plan_check
from tests.learner_backprop import make_backprop, sigma, sigma_prime

np = pytest.importorskip("numpy")

Change = dict[str, Callable[..., Any]]


def mutant(hidden: str, output: str, cost: str, change: Change | None = None) -> Any:
    """A learner's numpy backprop (rows are examples) with one line replaced by change."""

    def act(name: str, z: Any) -> Any:
        if name == "softmax":
            e = np.exp(z - z.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        return np.vectorize(lambda v: sigma(name, v))(z)

    def slope(name: str, z: Any) -> Any:
        return np.vectorize(lambda v: sigma_prime(name, v))(z)

    def backprop(weights: Any, biases: Any, x: Any, y: Any) -> Any:
        W = [np.array(w, dtype=float) for w in weights]
        B = [np.array(b, dtype=float) for b in biases]
        X = np.array(x, dtype=float)
        single = X.ndim == 1
        X = X[None, :] if single else X
        m, n_out = len(X), len(B[-1])
        if cost == "cross_entropy":
            Y = np.eye(n_out)[np.atleast_1d(np.array(y))]
        else:
            Y = np.array(y, dtype=float).reshape(m, n_out)
        A, Z = [X], []
        for i, (w, b) in enumerate(zip(W, B, strict=True)):
            Z.append(A[-1] @ w.T + b)
            A.append(act(output if i == len(W) - 1 else hidden, Z[-1]))
        c = {"W": W, "A": A, "Z": Z, "Y": Y, "m": m, "sp": slope}
        D: list[Any] = [None] * len(W)
        matching = cost == "cross_entropy" or (output, cost) == ("sigmoid", "binary_cross_entropy")
        D[-1] = A[-1] - Y if matching else (A[-1] - Y) * slope(output, Z[-1])
        if change and "bp1" in change:
            D[-1] = change["bp1"](c)
        for i in range(len(W) - 2, -1, -1):
            D[i] = (D[i + 1] @ W[i + 1]) * slope(hidden, Z[i])
            if change and "bp2" in change:
                D[i] = change["bp2"](c, i, D)
        grad_b = [d.mean(axis=0) for d in D]
        grad_w = [d.T @ a / m for d, a in zip(D, A[:-1], strict=True)]
        if change and "bp3" in change:
            grad_b = [change["bp3"](c, i, D) for i in range(len(W))]
        if change and "bp4" in change:
            grad_w = [change["bp4"](c, i, D) for i in range(len(W))]
        return [d[0] for d in D] if single else D, grad_w, grad_b

    return backprop


def graded(fn: Any, sizes: list[int], hidden: str, output: str, cost: str, batch: Any) -> Plan:
    """The plan of a check after grading fn (its trials hold the learner's numbers)."""
    plan = plan_check(sizes, hidden, output, cost, trials=20, batch=batch)
    plan.grade([call_learner(fn, args) for args in plan.inputs()])
    return plan


def normal(e: Expr) -> Any:
    """A formula up to the order of ⊙'s factors (⊙ commutes and associates)."""
    if e.op == HADAMARD:
        return ("⊙", tuple(sorted(repr(normal(f)) for f in fs._factors(e))))
    if e.op == "atom":
        return (e.atom, e.layer)
    return (e.op, e.const, tuple(normal(a) for a in e.args))


d3, d2, w3, w2 = atom("delta", 3), atom("delta", 2), atom("w", 3), atom("w", 2)
z2, z3, a2, a3, a1 = atom("z", 2), atom("z", 3), atom("a", 2), atom("a", 3), atom("a", 1)
err = atom("error", 3)


def bp2(slope_of: Expr = z2, weights: Expr = w3) -> Expr:
    return apply(HADAMARD, apply(MATMUL, d3, weights), apply(SIGMA_PRIME, slope_of))


def bp4(layer: int, const: str = "1/m") -> Expr:
    d, a = atom("delta", layer), atom("a", layer - 1)
    return apply(SCALE, apply(MATMUL, apply(TRANSPOSE, d), a), const=const)


# family: (hidden, output, cost, sizes, batch, change, (kind, i), the formula,
#          {notation: text the report must contain})
FAMILIES: dict[str, tuple[Any, ...]] = {
    "sigma_prime_of_the_error": (
        "sigmoid",
        "sigmoid",
        "quadratic",
        [2, 3, 2],
        None,
        {"bp1": lambda c: (c["A"][-1] - c["Y"]) * c["sp"]("sigmoid", c["A"][-1] - c["Y"])},
        ("delta", 1),
        apply(HADAMARD, err, apply(SIGMA_PRIME, err)),
        {
            "nielsen": "σ′ must be taken at z^3, not at a^3 − y",
            "ng": "g′ must be taken at z^[2], not at a^[2] − y",
        },
    ),
    "sigma_prime_of_a_in_bp2": (
        "sigmoid",
        "sigmoid",
        "quadratic",
        [2, 3, 2],
        4,
        {"bp2": lambda c, i, D: (D[i + 1] @ c["W"][i + 1]) * c["sp"]("sigmoid", c["A"][i + 1])},
        ("delta", 0),
        bp2(slope_of=a2),
        {
            "nielsen": "your δ^2 equals ((w^3)ᵀ δ^3) ⊙ σ′(a^2)",
            "goodfellow": "your g^(1) equals ((w^(2))ᵀ g^(2)) ⊙ f′(h^(1))",
        },
    ),
    "a_times_one_minus_a_on_an_activated_a": (
        "sigmoid",
        "sigmoid",
        "quadratic",
        [2, 3, 2],
        4,
        {
            "bp1": lambda c: (
                (c["A"][-1] - c["Y"])
                * (1 / (1 + np.exp(-c["A"][-1])))
                * (1 - 1 / (1 + np.exp(-c["A"][-1])))
            )
        },
        ("delta", 1),
        apply(HADAMARD, err, apply(SIGMA_PRIME, a3)),
        {"nielsen": "σ′(z^3) = a^3(1 − a^3)", "lfd": "θ′(s^(2)) = x^(2)(1 − x^(2))"},
    ),
    "extra_factor_z": (
        "tanh",
        "sigmoid",
        "quadratic",
        [2, 3, 2],
        4,
        {
            "bp2": lambda c, i, D: (
                (D[i + 1] @ c["W"][i + 1]) * c["sp"]("tanh", c["Z"][i]) * c["Z"][i]
            )
        },
        ("delta", 0),
        apply(HADAMARD, bp2(), z2),
        {"nielsen": "an extra factor z^2", "ng": "an extra factor z^[1]"},
    ),
    "extra_factor_a": (
        "tanh",
        "sigmoid",
        "quadratic",
        [2, 3, 2],
        4,
        {"bp1": lambda c: (c["A"][-1] - c["Y"]) * c["sp"]("sigmoid", c["Z"][-1]) * c["A"][-1]},
        ("delta", 1),
        apply(HADAMARD, apply(HADAMARD, err, apply(SIGMA_PRIME, z3)), a3),
        {"nielsen": "an extra factor a^3", "goodfellow": "an extra factor h^(2)"},
    ),
    "extra_factor_2": (
        "tanh",
        "sigmoid",
        "quadratic",
        [2, 3, 2],
        3,
        {"bp4": lambda c, i, D: 2 * D[i].T @ c["A"][i] / c["m"]},
        ("grad_w", 1),
        apply(SCALE, bp4(3), const="2"),
        {"nielsen": "an extra factor 2", "ng": "your dw^[2] equals 2 (1/m) dz^[2] (a^[1])ᵀ"},
    ),
    "extra_factor_m": (
        "tanh",
        "sigmoid",
        "quadratic",
        [2, 3, 2],
        4,
        {"bp4": lambda c, i, D: c["m"] * D[i].T @ c["A"][i]},
        ("grad_w", 1),
        bp4(3, "m"),
        {"nielsen": "the factor is m where 1/m belongs", "lfd": "the factor is N where 1/N"},
    ),
    "elementwise_where_the_matrix_product_belongs": (
        "tanh",
        "sigmoid",
        "quadratic",
        [3, 3, 3],
        3,
        {"bp2": lambda c, i, D: (D[i + 1] * c["W"][i + 1]) * c["sp"]("tanh", c["Z"][i])},
        ("delta", 0),
        apply(HADAMARD, apply(HADAMARD, d3, w3), apply(SIGMA_PRIME, z2)),
        {
            "nielsen": "an elementwise product δ^3 ⊙ w^3 where the matrix product (w^3)ᵀ δ^3",
            "ng": "an elementwise product dz^[2] ⊙ w^[2] where the matrix product (w^[2])ᵀ dz^[2]",
        },
    ),
    "matrix_product_where_the_elementwise_belongs": (
        "tanh",
        "sigmoid",
        "quadratic",
        [3, 3, 3],
        3,
        {"bp1": lambda c: (c["A"][-1] - c["Y"]) @ c["sp"]("sigmoid", c["Z"][-1])},
        ("delta", 1),
        apply(MATMUL, err, apply(SIGMA_PRIME, z3)),
        {"nielsen": "a matrix product", "goodfellow": "a matrix product"},
    ),
    "output_error_for_a_hidden_delta": (
        "sigmoid",
        "sigmoid",
        "quadratic",
        [2, 3, 3],
        4,
        {"bp2": lambda c, i, D: (c["A"][-1] - c["Y"]) * c["sp"]("sigmoid", c["Z"][i])},
        ("delta", 0),
        apply(HADAMARD, err, apply(SIGMA_PRIME, z2)),
        {
            "nielsen": "BP2 needs (w^3)ᵀ δ^3 where you used the output error a^3 − y",
            "ng": "BP2 needs (w^[2])ᵀ dz^[2] where you used the output error a^[2] − y",
        },
    ),
    "sum_over_the_wrong_axis": (
        "tanh",
        "sigmoid",
        "quadratic",
        [3, 4, 4],
        4,
        {"bp3": lambda c, i, D: D[i].mean(axis=1)},
        ("grad_b", 1),
        apply(SCALE, apply(SUM_J, atom("delta", 3)), const="1/m"),
        {"nielsen": "the sum runs over the neurons (Σ_j)", "lfd": "(1/N) Σ_j δ^(2)"},
    ),
    "the_mean_over_the_fan_in": (
        "tanh",
        "sigmoid",
        "quadratic",
        [2, 3, 2],
        4,
        {"bp4": lambda c, i, D: D[i].T @ c["A"][i] / c["A"][i].shape[1]},
        ("grad_w", 1),
        bp4(3, "1/n"),
        {
            "nielsen": "the factor is 1/n where 1/m belongs (n = 3, the fan-in of layer 3",
            "ng": "(n = 3, the fan-in of layer 2",
        },
    ),
    "layer_index_off_by_one": (
        "tanh",
        "sigmoid",
        "quadratic",
        [3, 3, 3],
        4,
        {"bp2": lambda c, i, D: (D[i + 1] @ c["W"][i]) * c["sp"]("tanh", c["Z"][i])},
        ("delta", 0),
        bp2(weights=w2),
        {
            "nielsen": "w^2 where w^3 belongs: the layer index is off by one",
            "ng": "w^[1] where w^[2] belongs: the layer index is off by one",
        },
    ),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_each_family_is_found_as_a_formula_and_named_in_the_report(family: str) -> None:
    hidden, output, cost, sizes, batch, change, (kind, i), want, texts = FAMILIES[family]
    fn = mutant(hidden, output, cost, change)
    plan = graded(fn, sizes, hidden, output, cost, batch)
    found = fs.explain_quantity(plan.runs, kind, i, sizes, hidden, output, cost, batch)
    assert found is not None and found.expr is not None
    assert normal(found.expr) == normal(want), fs.render(
        found.expr,
        fs.prepare(plan.runs, kind, i, sizes, hidden, output, cost, batch),
    )
    assert 0 < found.candidates <= fs.MAX_CANDIDATES
    for notation, text in texts.items():
        report = check_backprop(fn, sizes, hidden, output, cost, notation=notation, batch=batch)
        assert report.mistake == "learner_formula", str(report)
        assert report.mismatch is not None and report.mismatch.quantity == kind
        assert text in str(report), str(report)


def test_the_mean_applied_twice_is_found_and_the_catalogue_names_it() -> None:
    fn = mutant("tanh", "sigmoid", "quadratic", {"bp4": lambda c, i, D: D[i].T @ c["A"][i] / 16})
    plan = graded(fn, [2, 3, 2], "tanh", "sigmoid", "quadratic", 4)
    found = fs.explain_quantity(
        plan.runs, "grad_w", 1, [2, 3, 2], "tanh", "sigmoid", "quadratic", 4
    )
    assert found is not None and found.expr is not None
    assert normal(found.expr) == normal(apply(SCALE, bp4(3), const="1/m"))
    report = check_backprop(fn, [2, 3, 2], "tanh", batch=4)
    assert report.mistake == "extra_batch_mean"


def test_stale_weights_are_a_hint_with_the_fitted_learning_rate() -> None:
    def stale(c: Any, i: int, D: Any) -> Any:
        dw = D[i + 1].T @ c["A"][i + 1] / c["m"]  # ∂C/∂w^{l+1}, applied before BP2
        return (D[i + 1] @ (c["W"][i + 1] - 0.3 * dw)) * c["sp"]("tanh", c["Z"][i])

    fn = mutant("tanh", "sigmoid", "quadratic", {"bp2": stale})
    plan = graded(fn, [2, 3, 2], "tanh", "sigmoid", "quadratic", 4)
    found = fs.explain_quantity(plan.runs, "delta", 0, [2, 3, 2], "tanh", "sigmoid", "quadratic", 4)
    assert found is not None and found.expr is None and found.eta == pytest.approx(0.3)
    report = check_backprop(fn, [2, 3, 2], "tanh", batch=4, notation="ng")
    assert report.mistake == "learner_formula"
    assert "w^[2] − η dw^[2] for η = 0.3" in str(report)


def test_a_sum_over_the_classes_too_is_zero_and_the_report_says_why() -> None:
    def summed(c: Any, i: int, D: Any) -> Any:
        if i < len(D) - 1:
            return D[i].mean(axis=0)
        return np.full(D[i].shape[1], D[i].sum() / c["m"])  # Σ over examples AND classes

    fn = mutant("tanh", "softmax", "cross_entropy", {"bp3": summed})
    sizes = [3, 4, 3]
    plan = graded(fn, sizes, "tanh", "softmax", "cross_entropy", 4)
    assert all(abs(v) < 1e-12 for t in plan.runs for v in t.got_b[1])
    found = fs.explain_quantity(
        plan.runs, "grad_b", 1, sizes, "tanh", "softmax", "cross_entropy", 4
    )
    assert found is not None and found.zero and found.expr is not None
    ops = [x.op for x in fs._subtrees(found.expr)]
    assert SUM_J in ops and SUM_X in ops
    report = check_backprop(fn, sizes, "tanh", "softmax", "cross_entropy", batch=4)
    assert "a sum over the classes as well as the examples" in str(report)


def test_a_placeholder_of_exact_zeros_gets_no_cause() -> None:
    # the template's zeros: exactly 0.0, not a sum that cancels (even where one would be 0)
    def placeholder(c: Any, i: int, D: Any) -> Any:
        return np.zeros(D[i].shape[1])

    fn = mutant("tanh", "softmax", "cross_entropy", {"bp3": placeholder})
    report = check_backprop(fn, [3, 4, 3], "tanh", "softmax", "cross_entropy", batch=4)
    assert report.mistake == "not_filled_in" and "Likely cause" not in str(report)


def test_without_a_cause_in_the_grammar_zero_gets_no_formula() -> None:
    # sigmoid + quadratic: no formula of the grammar is 0 on every trial
    fn = mutant(
        "sigmoid", "sigmoid", "quadratic", {"bp3": lambda c, i, D: D[i].mean(axis=0) * 1e-13}
    )
    plan = graded(fn, [2, 3, 2], "sigmoid", "sigmoid", "quadratic", 4)
    assert (
        fs.explain_quantity(plan.runs, "grad_b", 1, [2, 3, 2], "sigmoid", "sigmoid", "quadratic", 4)
        is None
    )


SETTINGS = [
    ("sigmoid", "sigmoid", "quadratic"),
    ("tanh", "softmax", "cross_entropy"),
    ("relu", "linear", "mse"),
    ("tanh", "sigmoid", "binary_cross_entropy"),
]


@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("batch", [None, 3])
def test_correct_solutions_never_get_a_formula(setting: tuple[str, str, str], batch: Any) -> None:
    hidden, output, cost = setting
    for fn in (
        make_backprop(hidden, output, cost, batch=bool(batch)),
        mutant(hidden, output, cost),
    ):
        report = check_backprop(fn, [3, 3, 3, 2], hidden, output, cost, trials=5, batch=batch)
        assert report.ok and report.mistake is None, str(report)


def test_the_search_is_deterministic_and_bounded() -> None:
    # a mistake outside the grammar (an added constant): the whole bounded space is searched
    odd = {"bp2": lambda c, i, D: (D[i + 1] @ c["W"][i + 1]) * c["sp"]("tanh", c["Z"][i]) + 0.1}
    fn = mutant("tanh", "sigmoid", "quadratic", odd)
    plan = graded(fn, [3, 3, 3], "tanh", "sigmoid", "quadratic", 3)
    s = fs.prepare(plan.runs, "delta", 0, [3, 3, 3], "tanh", "sigmoid", "quadratic", 3)
    first, again = fs.search(s), fs.search(s)
    assert first.expr is None and not first.capped
    assert first.candidates == again.candidates <= fs.MAX_CANDIDATES
    capped = fs.search(s, cap=100)
    assert capped.capped and capped.expr is None and capped.candidates == 100
    assert 0 < first.work <= fs.MAX_WORK
    short = fs.search(s, budget=first.work // 2)  # a big network: the work budget stops it
    assert short.capped and short.expr is None and short.work <= first.work // 2 + 10**4
    report = check_backprop(fn, [3, 3, 3], "tanh", batch=3)
    assert report.mistake == "nothing_fits"
    # a formula found twice is the same tree, after the same number of candidates
    fn = mutant("tanh", "sigmoid", "quadratic", FAMILIES["extra_factor_z"][5])
    plan = graded(fn, [2, 3, 2], "tanh", "sigmoid", "quadratic", 4)
    s = fs.prepare(plan.runs, "delta", 0, [2, 3, 2], "tanh", "sigmoid", "quadratic", 4)
    one, two = fs.search(s), fs.search(s)
    assert one.expr is not None and one.expr == two.expr and one.candidates == two.candidates


def test_fewer_operations_win_over_the_grammars_order() -> None:
    # δ^3 = (a^3 − y) ⊙ σ′(a^3 − y) has 2 operations; the search finds no larger twin first
    fn = mutant("sigmoid", "sigmoid", "quadratic", FAMILIES["sigma_prime_of_the_error"][5])
    plan = graded(fn, [2, 3, 2], "sigmoid", "sigmoid", "quadratic", None)
    s = fs.prepare(plan.runs, "delta", 1, [2, 3, 2], "sigmoid", "sigmoid", "quadratic", None)
    assert fs.search(s, max_ops=1).expr is None
    found = fs.search(s, max_ops=2).expr
    assert found is not None and found.size == 2


def test_the_search_makes_no_cycle() -> None:
    from tests.test_no_cycles import cycles_of

    def run() -> None:
        for change in (FAMILIES["extra_factor_z"][5], {"bp2": lambda c, i, D: D[i] + 0.1}):
            fn = mutant("tanh", "sigmoid", "quadratic", change)
            str(check_backprop(fn, [2, 3, 2], "tanh", batch=4, trials=3))

    assert cycles_of(run) == []


def test_a_course_that_sums_over_the_batch_gets_its_own_right_formula() -> None:
    # reduction="sum": ∂C/∂w = δ aᵀ summed over the batch, no 1/m; a 1/n is then extra
    summed = {"bp3": lambda c, i, D: D[i].sum(axis=0), "bp4": lambda c, i, D: D[i].T @ c["A"][i]}
    assert check_backprop(mutant("tanh", "sigmoid", "quadratic", summed), [3, 3, 2], "tanh",
                          batch=4, reduction="sum").ok  # fmt: skip
    fn = mutant(
        "tanh", "sigmoid", "quadratic", {**summed, "bp4": lambda c, i, D: D[i].T @ c["A"][i] / 3}
    )
    report = check_backprop(fn, [3, 3, 2], "tanh", batch=4, reduction="sum")
    assert report.mistake == "learner_formula", str(report)
    assert "the right one is BP4: ∂C/∂w^3 = δ^3 (a^2)ᵀ: an extra factor 1/n" in str(report)


# A one-neuron output layer (the exercises' 2-3-1): there a matrix product of two of its
# vectors is the same numbers as their elementwise product, and δ³ ⊙ w³ is (w³)ᵀ δ³. The
# formula found must still read as the mistake made, not as a product swapped for another.
ONE_OUTPUT: dict[str, tuple[str, Change, tuple[str, int], str, str]] = {
    "σ′ of the output error": (
        "sigmoid",
        {"bp1": lambda c: (c["A"][-1] - c["Y"]) * c["sp"]("sigmoid", c["A"][-1] - c["Y"])},
        ("delta", 1),
        "your δ^3 equals (a^3 − y) ⊙ σ′(a^3 − y)",
        "σ′ must be taken at z^3, not at a^3 − y.",
    ),
    "σ′ of a in BP2": (
        "sigmoid",
        {"bp2": lambda c, i, D: (D[i + 1] @ c["W"][i + 1]) * c["sp"]("sigmoid", c["A"][i + 1])},
        ("delta", 0),
        "your δ^2 equals ((w^3)ᵀ δ^3) ⊙ σ′(a^2)",
        "σ′ must be taken at z^2, not at a^2",
    ),
    "an extra factor z in BP1": (
        "sigmoid",
        {"bp1": lambda c: (c["A"][-1] - c["Y"]) * c["sp"]("sigmoid", c["Z"][-1]) * c["Z"][-1]},
        ("delta", 1),
        "your δ^3 equals (a^3 − y) ⊙ σ′(z^3) ⊙ z^3",
        "an extra factor z^3.",
    ),
    "σ′ of the error BP2 brings back": (
        "tanh",
        {
            "bp2": lambda c, i, D: (
                (D[i + 1] @ c["W"][i + 1]) * c["sp"]("tanh", D[i + 1] @ c["W"][i + 1])
            )
        },
        ("delta", 0),
        "your δ^2 equals ((w^3)ᵀ δ^3) ⊙ σ′((w^3)ᵀ δ^3)",
        "σ′ must be taken at z^2, not at (w^3)ᵀ δ^3.",
    ),
}


@pytest.mark.parametrize("batch", [None, 4], ids=["one example", "a batch of 4"])
@pytest.mark.parametrize("case", list(ONE_OUTPUT))
def test_a_one_neuron_output_layer_reads_as_the_mistake_made(case: str, batch: Any) -> None:
    hidden, change, (kind, _), formula, why = ONE_OUTPUT[case]
    fn = mutant(hidden, "sigmoid", "quadratic", change)
    report = check_backprop(fn, [2, 3, 1], hidden, "sigmoid", "quadratic", batch=batch)
    text = str(report)
    assert report.mistake == "learner_formula", text
    assert report.mismatch is not None and report.mismatch.quantity == kind
    assert formula in text and why in text, text
    assert "matrix product" not in text and "elementwise" not in text, text


def test_a_sum_over_the_classes_alone_is_not_called_a_sum_over_the_examples_too() -> None:
    def per_example(c: Any, i: int, D: Any) -> Any:
        if i < len(D) - 1:
            return D[i].mean(axis=0)
        return D[i].sum(axis=1)  # Σ over the classes of each example: 0 for softmax + CE

    fn = mutant("tanh", "softmax", "cross_entropy", {"bp3": per_example})
    text = str(check_backprop(fn, [3, 4, 4], "tanh", "softmax", "cross_entropy", batch=4))
    assert "is 0 on every trial" in text and "so a sum over the classes gives exactly 0" in text
    assert "as well as the examples" not in text, text
