"""The grader's registry of mistakes: every registered mistake, written into each exercise's
solution the way a learner writes it, is named in every notation; right answers are never
flagged; zero is zero; the batch cost may be a sum; each message line appears only when it fits.

The mutants are the solutions in tests/exercise_solutions/ with one line changed as text, so the
wrong numbers come from the learner's own code, never from the checker's variants.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

from nn import check_backprop, closed_form, grading
from nn.grading import MISTAKES, REGISTRY, mistake_title, plan_check
from tests.learner_backprop import make_backprop
from tests.test_grading import MUTANTS, SETTINGS, scaled_learner
from tests.test_notation_messages import ALL, mixed

REPO = Path(__file__).parent.parent
SOLUTIONS = REPO / "tests" / "exercise_solutions"
NOTATION_KEYS = ["nielsen", "lfd", "ng", "goodfellow"]


def load(name: str, changes: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    """An exercise solution's namespace, with each (old, new) text replaced exactly once."""
    source = (SOLUTIONS / f"{name}.py").read_text(encoding="utf-8")
    if name.endswith("_numpy"):
        pytest.importorskip("numpy")
    for old, new in changes:
        assert source.count(old) == 1, f"{old!r} is not once in {name}.py"
        source = source.replace(old, new)
    space: dict[str, Any] = {"__name__": name}
    exec(compile(source, str(SOLUTIONS / f"{name}.py"), "exec"), space)
    return space


def grade(name: str, changes: tuple[tuple[str, str], ...] = (), **kwargs: Any) -> Any:
    """check_backprop on a (changed) solution, in the setting its file declares."""
    space = load(name, changes)
    args: dict[str, Any] = {
        "sizes": space["NET"],
        "activation": space["ACTIVATION"],
        "output_activation": space["OUTPUT_ACTIVATION"],
        "cost": space["COST"],
        "batch": space.get("BATCH"),
        "trials": 3,
    } | kwargs
    return check_backprop(space["backprop"], **args)


# A symbol written with ASCII scripts (δ^3, a^3_0, y_0, ∇_a, Σ_j), outside code: the text
# report's form, which the HTML report must not show. Ng's W^[l] stays as the course writes it
# (a bracket has no unicode superscript).
ASCII_SCRIPT = re.compile(r"\^(?!\[)|(?<![\w\[])[δσ∇Σazywbxsh]_[0-9ijkxnc{]")


def assert_typeset(report: Any, notation: str) -> None:
    """The HTML report (the site's check page) writes its sentences and its equation with real
    scripts, and says the same as the text report (which keeps ASCII scripts)."""
    shown = re.sub(r"<code>.*?</code>", "", report.html())
    words = html.unescape(re.sub(r"<[^>]+>", "", shown))
    assert not ASCII_SCRIPT.search(words), words
    d, m = report.diagnosis, report.mismatch
    if m is not None:
        assert m.equation_unicode and html.escape(m.equation_unicode) in report.html()
    if d is not None and d.mistake != "exception":
        assert d.unicode and html.escape(d.unicode, quote=False) in report.html()
        # the same sentence: only the symbols' scripts differ, so the words and numbers agree
        assert re.findall(r"[a-z]{3,}|\d+\.\d+", d.unicode) == re.findall(
            r"[a-z]{3,}|\d+\.\d+", d.message
        )


# The lines every plain solution shares (σ' is sigmoid_prime or tanh_prime, σ sigmoid or tanh)
BP2 = "sum(w_up[j][k] * d for j, d in enumerate(delta_up)) * {p}(z[k])"
BP3 = "grad_b = [[d_j for d_j in deltas[i]] for i in range(n_layers)]"
BP4_OUTER = "[[a_k * d_j for a_k in a_in] for d_j in d]"
BP4_PAIRS = "zip(deltas, activations, strict=False)"
# ... and every numpy solution
NP_BP2 = "deltas[i] = (deltas[i + 1] @ W[i + 1]) * {p}(Z[i])"
NP_BP3 = "grad_b = [d.mean(axis=0) for d in deltas]"
NP_BP4 = "grad_w = [d.T @ a / m for d, a in zip(deltas, A[:-1], strict=True)]"
NP_LOOP = "    for i in range(len(W) - 2, -1, -1):\n"

# exercise: (σ' function, σ written as code, the BP1 line)
PLAIN = {
    "sigmoid_quadratic": (
        "sigmoid_prime",
        "sigmoid",
        "[(a[j] - y[j]) * sigmoid_prime(z[j]) for j in range(len(z))]",
    ),
    "sigmoid_cross_entropy": ("sigmoid_prime", "sigmoid", "[a[j] - y[j] for j in range(len(z))]"),
    "softmax_cross_entropy": ("tanh_prime", "math.tanh", "[a[j] - e[j] for j in range(len(z))]"),
    "tanh_squared_error": (
        "tanh_prime",
        "math.tanh",
        "[2 * (a[j] - y[j]) * tanh_prime(z[j]) for j in range(len(a))]",
    ),
}
NUMPY = {
    "sigmoid_quadratic_numpy": ("sigmoid_prime", "sigmoid", "(A[-1] - Y) * sigmoid_prime(Z[-1])"),
    "sigmoid_cross_entropy_numpy": ("sigmoid_prime", "sigmoid", "A[-1] - Y"),
    "softmax_cross_entropy_numpy": ("tanh_prime", "np.tanh", "A[-1] - E"),
    "tanh_squared_error_numpy": ("tanh_prime", "np.tanh", "2 * (A[-1] - Y) * tanh_prime(Z[-1])"),
}

# BP1 written wrong, per exercise: (mistake, the BP1 expression written by the learner)
BP1_MUTANTS: dict[str, list[tuple[str, str]]] = {
    "sigmoid_quadratic": [
        ("sigma_for_sigma_prime", "[(a[j] - y[j]) * sigmoid(z[j]) for j in range(len(z))]"),
        ("missing_sigma_prime", "[a[j] - y[j] for j in range(len(z))]"),
        ("factor_two", "[2 * (a[j] - y[j]) * sigmoid_prime(z[j]) for j in range(len(z))]"),
        ("sign_flip", "[(y[j] - a[j]) * sigmoid_prime(z[j]) for j in range(len(z))]"),
    ],
    "sigmoid_cross_entropy": [
        ("extra_sigma_prime", "[(a[j] - y[j]) * sigmoid_prime(z[j]) for j in range(len(z))]"),
        ("sign_flip", "[y[j] - a[j] for j in range(len(z))]"),
    ],
    "softmax_cross_entropy": [
        ("class_index_as_number", "[a[j] - y for j in range(len(z))]"),
        ("extra_sigma_prime", "[(a[j] - e[j]) * a[j] * (1 - a[j]) for j in range(len(z))]"),
        ("sign_flip", "[e[j] - a[j] for j in range(len(z))]"),
    ],
    "tanh_squared_error": [
        ("factor_two", "[(a[j] - y[j]) * tanh_prime(z[j]) for j in range(len(a))]"),
        ("sigma_for_sigma_prime", "[2 * (a[j] - y[j]) * math.tanh(z[j]) for j in range(len(a))]"),
        ("missing_sigma_prime", "[2 * (a[j] - y[j]) for j in range(len(a))]"),
        ("sign_flip", "[2 * (y[j] - a[j]) * tanh_prime(z[j]) for j in range(len(a))]"),
    ],
    "sigmoid_quadratic_numpy": [
        ("sigma_for_sigma_prime", "(A[-1] - Y) * sigmoid(Z[-1])"),
        ("missing_sigma_prime", "(A[-1] - Y)"),
        ("factor_two", "2 * (A[-1] - Y) * sigmoid_prime(Z[-1])"),
        ("sign_flip", "(Y - A[-1]) * sigmoid_prime(Z[-1])"),
    ],
    "sigmoid_cross_entropy_numpy": [
        ("extra_sigma_prime", "(A[-1] - Y) * sigmoid_prime(Z[-1])"),
        ("sign_flip", "Y - A[-1]"),
    ],
    "softmax_cross_entropy_numpy": [
        ("class_index_as_number", "A[-1] - np.array(y)[:, None]"),
        ("extra_sigma_prime", "(A[-1] - E) * A[-1] * (1 - A[-1])"),
        ("sign_flip", "E - A[-1]"),
    ],
    "tanh_squared_error_numpy": [
        ("factor_two", "(A[-1] - Y) * tanh_prime(Z[-1])"),
        ("sigma_for_sigma_prime", "2 * (A[-1] - Y) * np.tanh(Z[-1])"),
        ("missing_sigma_prime", "2 * (A[-1] - Y)"),
        ("sign_flip", "2 * (Y - A[-1]) * tanh_prime(Z[-1])"),
    ],
}

Change = tuple[tuple[str, str], ...]


def exercise_mutants() -> list[tuple[str, str, Change, list[int] | None]]:
    """(exercise, expected mistake, the text changes, sizes or None for the file's NET)."""
    out: list[tuple[str, str, Change, list[int] | None]] = []
    for name, (prime, sigma, bp1) in PLAIN.items():
        head = f"deltas[-1] = {bp1}"
        out += [
            (name, key, ((head, f"deltas[-1] = {new}"),), None) for key, new in BP1_MUTANTS[name]
        ]
        bp2 = BP2.format(p=prime)
        square = [3, 3, 3]
        out += [
            (name, "sigma_for_sigma_prime", ((bp2, bp2.replace(prime, sigma)),), None),
            (name, "missing_sigma_prime", ((bp2, bp2.replace(f" * {prime}(z[k])", "")),), None),
            (name, "not_transposed", ((bp2, bp2.replace("w_up[j][k]", "w_up[k][j]")),), square),
            (
                name,
                "wrong_layer_delta",
                ((BP3, BP3.replace("deltas[i]", "deltas[min(i + 1, n_layers - 1)]")),),
                [2, 3, 3],
            ),
            (
                name,
                "wrong_activation",
                ((BP4_PAIRS, BP4_PAIRS.replace("activations", "activations[1:]")),),
                square,
            ),
            (
                name,
                "z_for_a",
                ((BP4_PAIRS, BP4_PAIRS.replace("activations", "[activations[0], *zs]")),),
                None,
            ),
            (
                name,
                "outer_product_swapped",
                ((BP4_OUTER, "[[a_k * d_j for d_j in d] for a_k in a_in]"),),
                square,
            ),
        ]
    for name, (prime, sigma, bp1) in NUMPY.items():
        head = f"deltas[-1] = {bp1}"
        out += [
            (name, key, ((head, f"deltas[-1] = {new}"),), None) for key, new in BP1_MUTANTS[name]
        ]
        bp2 = NP_BP2.format(p=prime)
        square = [3, 3, 3]
        out += [
            (name, "sigma_for_sigma_prime", ((bp2, bp2.replace(prime, sigma)),), None),
            (name, "missing_sigma_prime", ((bp2, bp2.replace(f" * {prime}(Z[i])", "")),), None),
            (name, "not_transposed", ((bp2, bp2.replace("W[i + 1]", "W[i + 1].T")),), square),
            (
                name,
                "missing_batch_mean",
                ((NP_BP3, NP_BP3.replace("mean", "sum")), (NP_BP4, NP_BP4.replace(" / m", ""))),
                None,
            ),
            # three outputs: with two, δ/4 is also (a − y)/n for 2(a − y), the same numbers
            (
                name,
                "extra_batch_mean",
                ((NP_LOOP, "    deltas[-1] = deltas[-1] / m\n" + NP_LOOP),),
                [2, 3, 3],
            ),
            (name, "last_example_only", ((NP_BP3, "grad_b = [d[-1] for d in deltas]"),), None),
            (
                name,
                "wrong_layer_delta",
                (
                    (
                        NP_BP3,
                        "grad_b = [deltas[min(i + 1, len(W) - 1)].mean(axis=0) "
                        "for i in range(len(W))]",
                    ),
                ),
                [2, 3, 3],
            ),
            (
                name,
                "wrong_activation",
                ((NP_BP4, NP_BP4.replace("A[:-1]", "A[1:]")),),
                square,
            ),
            (name, "z_for_a", ((NP_BP4, NP_BP4.replace("A[:-1]", "[A[0], *Z[:-1]]")),), None),
            (
                name,
                "outer_product_swapped",
                ((NP_BP4, NP_BP4.replace("d.T @ a", "a.T @ d")),),
                square,
            ),
        ]
    return out


EXERCISE_MUTANTS = exercise_mutants()


def test_the_exercise_table_covers_every_exercise_and_every_registered_mistake() -> None:
    exercises = {p.stem for p in (REPO / "docs" / "exercises").glob("*.py")}
    assert {name for name, _, _, _ in EXERCISE_MUTANTS} == exercises
    assert exercises == {p.stem for p in SOLUTIONS.glob("*.py")}
    registered = {m.key for m in REGISTRY}
    tried = {key for _, key, _, _ in EXERCISE_MUTANTS} | {m[4] for m in MUTANTS}
    assert registered <= tried, registered - tried
    assert registered <= set(MISTAKES)


@pytest.mark.parametrize("notation", NOTATION_KEYS)
@pytest.mark.parametrize(
    ("name", "expected", "changes", "sizes"),
    EXERCISE_MUTANTS,
    ids=[f"{m[0]}-{m[1]}-{i}" for i, m in enumerate(EXERCISE_MUTANTS)],
)
def test_each_mistake_in_each_exercise_is_named_in_each_notation(
    name: str, expected: str, changes: Change, sizes: list[int] | None, notation: str
) -> None:
    extra = {"sizes": sizes} if sizes else {}
    report = grade(name, changes, notation=notation, **extra)
    assert not report.ok
    assert report.mistake == expected, str(report)
    assert f"({mistake_title(expected, notation)})" in str(report)
    assert_typeset(report, notation)


@pytest.mark.parametrize("notation", NOTATION_KEYS)
@pytest.mark.parametrize(
    "case", MUTANTS, ids=[f"{m[0]}-{m[1][2]}-{m[3]}-{i}" for i, m in enumerate(MUTANTS)]
)
def test_each_learner_mutant_is_named_in_each_notation(
    case: tuple[str, tuple[str, str, str], list[list[int]], int | None, str], notation: str
) -> None:
    mistake, (hidden, output, cost), all_sizes, batch, expected = case
    fn = make_backprop(hidden, output, cost, mistake, batch=batch is not None)
    report = check_backprop(
        fn, all_sizes[0], hidden, output, cost, trials=3, notation=notation, batch=batch
    )
    assert report.mistake == expected, str(report)
    assert f"({mistake_title(expected, notation)})" in str(report)
    assert_typeset(report, notation)


@pytest.mark.parametrize("notation", NOTATION_KEYS)
@pytest.mark.parametrize("name", [*PLAIN, *NUMPY])
def test_a_right_solution_is_never_flagged(name: str, notation: str) -> None:
    for sizes in (None, [3, 3, 3], [2, 4, 3, 2]):
        report = grade(name, notation=notation, **({"sizes": sizes} if sizes else {}))
        assert report.ok and report.diagnosis is None, str(report)


# The numpy solutions with the batch cost a sum, C = Σ_x C_x: no 1/m in BP3 and BP4
SUMMED = ((NP_BP3, NP_BP3.replace("mean", "sum")), (NP_BP4, NP_BP4.replace(" / m", "")))


@pytest.mark.parametrize("name", list(NUMPY))
def test_a_batch_sum_solution_passes_with_reduction_sum_and_is_told_about_it_without(
    name: str,
) -> None:
    for notation in NOTATION_KEYS:
        assert grade(name, SUMMED, reduction="sum", notation=notation).ok
    # the mean-convention solution is then divided once too often
    assert grade(name, reduction="sum").mistake == "extra_batch_mean"
    report = grade(name, SUMMED)
    assert report.mistake == "missing_batch_mean"
    assert 'reduction="sum"' in str(report) and "--reduction sum" in str(report)


def test_with_reduction_sum_the_expected_gradients_are_the_closed_form_sums() -> None:
    # closed_form.backprop_batch gives the means; the sum is m times the mean, by hand
    seen: dict[str, Any] = {}

    def learner(weights: Any, biases: Any, xs: Any, ys: Any) -> Any:
        seen.update(weights=weights, biases=biases, xs=xs, ys=ys)
        return make_backprop("sigmoid", "sigmoid", "quadratic", batch=True)(weights, biases, xs, ys)

    report = check_backprop(learner, [2, 3, 2], batch=3, trials=1, reduction="sum")
    assert report.mistake == "extra_batch_mean" and report.mismatch is not None
    means = closed_form.backprop_batch(
        seen["weights"], seen["biases"], ["sigmoid", "sigmoid"], seen["xs"], seen["ys"], "quadratic"
    )
    m = report.mismatch
    assert (m.quantity, m.layer, m.index) == ("grad_b", 3, (0,))
    assert m.expected == pytest.approx(3 * means.layers[-1].grad_b[0], rel=1e-9)
    assert m.received == pytest.approx(means.layers[-1].grad_b[0], rel=1e-9)
    assert "BP3 (batch sum C = Σ_x C_x): ∂C/∂b^3_0 = Σ_x δ^3_0(x)" in m.equation
    assert "(1/m)" not in m.equation
    with pytest.raises(ValueError, match=r"reduction must be 'mean'.*or 'sum'"):
        check_backprop(learner, [2, 3, 2], batch=3, reduction="average")


# --------------------------------------------------------------------------------- zero is zero
def test_a_sum_over_the_classes_as_well_is_0_on_every_trial_not_a_tiny_factor() -> None:
    # softmax + cross-entropy: Σ_j δ^L_j = Σ_j a_j − 1 = 0 for every example, so summing the
    # output δ over the examples AND the classes gives 0 up to rounding
    changes = ((NP_BP3, "grad_b = [np.full(d.shape[1], d.sum() / m) for d in deltas]"),)
    for notation in NOTATION_KEYS:
        report = grade("softmax_cross_entropy_numpy", changes, notation=notation)
        assert report.mistake == "zero", str(report)
        text = str(report)
        assert "is 0 on every trial, up to rounding" in text
        assert "times the right one" not in text
        assert "a sum over the classes as well as the examples gives exactly 0" in text
        m = report.mismatch
        assert m is not None and abs(m.received) < 1e-15
    exact = grade("softmax_cross_entropy_numpy", ((NP_BP3, "grad_b = [0 * d[0] for d in deltas]"),))
    assert exact.mistake == "not_filled_in" and "is 0 on every trial" in str(exact)


def test_a_constant_factor_is_reported_per_layer_when_the_layers_differ() -> None:
    right = make_backprop("sigmoid", "sigmoid", "quadratic")

    def grows(weights: Any, biases: Any, x: Any, y: Any) -> Any:
        # by hand: a factor 3 in BP1 and again in BP2 makes δ^3 three times too large and δ^2
        # nine times; BP3 and BP4 are linear in δ, so ∂C/∂b and ∂C/∂w follow layer by layer
        d, w, b = right(weights, biases, x, y)
        k = [9.0, 3.0]
        return (
            [[k[i] * v for v in d[i]] for i in range(2)],
            [[[k[i] * v for v in row] for row in w[i]] for i in range(2)],
            [[k[i] * v for v in b[i]] for i in range(2)],
        )

    report = check_backprop(grows, [2, 3, 2], trials=3)
    assert report.mistake == "constant_factor", str(report)
    text = str(report)
    assert "δ^3 is 3 times, δ^2 is 9 times" in text
    assert "∂C/∂b^3 is 3 times, ∂C/∂b^2 is 9 times" in text
    assert "∂C/∂w^3 is 3 times, ∂C/∂w^2 is 9 times" in text
    uniform = check_backprop(scaled_learner(3.0), [2, 3, 2], trials=2)
    assert uniform.mistake == "constant_factor"
    assert "every number is 3 times the right one" in str(uniform)


# ------------------------------------------------------------------------ messages that fit
def test_a_batch_table_gives_each_row_its_example() -> None:
    seen: dict[str, Any] = {}
    right = make_backprop("tanh", "tanh", "mse", batch=True)

    def odd(weights: Any, biases: Any, xs: Any, ys: Any) -> Any:
        seen.setdefault("args", (weights, biases, xs, ys))
        d, w, b = right(weights, biases, xs, ys)
        d[-1] = [[v * v + 0.1 for v in row] for row in d[-1]]
        return d, w, b

    report = check_backprop(odd, [2, 3, 2], "tanh", "tanh", "mse", batch=3, trials=2)
    assert report.mistake == "nothing_fits"
    assert [(r.symbol, r.example) for r in report.table] == [
        (f"δ^3_{j}", x) for x in range(3) for j in range(2)
    ]
    weights, biases, xs, ys = seen["args"]
    for r in report.table:  # each row's expected number is that example's own δ (closed form)
        one = closed_form.backprop(
            weights, biases, ["tanh", "tanh"], xs[r.example], ys[r.example], "mse"
        )
        j = int(r.symbol[-1])
        assert r.expected == pytest.approx(one.layers[-1].delta[j], rel=1e-9)
        assert r.received == pytest.approx(r.expected**2 + 0.1, rel=1e-9)
    text = str(report)
    assert "example" in text.splitlines()[-7]
    md = report._repr_markdown_()
    assert "| | example | expected | received |" in md
    assert "| `δ^3_1` | 2 |" in md
    # one example at a time: no example column
    plain = check_backprop(
        lambda *a: (lambda d, w, b: ([*d[:-1], [v * v + 0.1 for v in d[-1]]], w, b))(
            *make_backprop("tanh", "tanh", "mse")(*a)
        ),
        [2, 3, 2],
        "tanh",
        "tanh",
        "mse",
        trials=2,
    )
    assert plain.mistake == "nothing_fits" and all(r.example is None for r in plain.table)
    assert "| example |" not in plain._repr_markdown_()


def test_fix_the_first_one_first_only_when_the_later_ones_are_computed_from_it() -> None:
    downstream = check_backprop(
        make_backprop("sigmoid", "sigmoid", "quadratic", "missing_sigma_prime:error_signal"),
        [2, 3, 1],
        trials=3,
    )
    assert "(fix the first one first: the later ones are computed from it)." in str(downstream)
    assert downstream.computed_from == downstream.wrong[1:]
    # a sum over the batch: each gradient is wrong by itself, none is computed from another
    summed = check_backprop(
        make_backprop("sigmoid", "sigmoid", "quadratic", "missing_batch_mean", batch=True),
        [2, 3, 2],
        batch=3,
        trials=3,
    )
    assert "fix the first one first" not in str(summed)
    assert "(each is wrong on its own: none is computed from an earlier wrong one)." in str(summed)
    assert summed.computed_from == []
    # both: δ^3 wrong, δ^2 and ∂C/∂b computed from it, ∂C/∂w also doubled by the learner
    wrong = make_backprop("sigmoid", "sigmoid", "quadratic", "missing_sigma_prime:error_signal")

    def doubled_w(*args: Any) -> Any:
        d, w, b = wrong(*args)
        return d, [[[2 * v for v in row] for row in wi] for wi in w], b

    mixed = check_backprop(doubled_w, [2, 3, 1], trials=3)
    assert mixed.wrong == ["δ^3", "δ^2", "∂C/∂b^3", "∂C/∂b^2", "∂C/∂w^3", "∂C/∂w^2"]
    assert mixed.computed_from == ["δ^2", "∂C/∂b^3", "∂C/∂b^2"]
    assert "fix the first one first" not in str(mixed)
    assert (
        "(δ^2, ∂C/∂b^3, ∂C/∂b^2: computed from the wrong ones before them; ∂C/∂w^3, ∂C/∂w^2: "
        "each wrong on its own, to fix as well)."
    ) in str(mixed)


HINT = "not transposed"
SHAPES = "The shapes in this network: w^2 3×2, δ^2 3; w^3 1×3, δ^3 1."


def test_the_bp2_transpose_hint_only_follows_a_shape_error_in_bp2() -> None:
    bp2 = BP2.format(p="sigmoid_prime")
    in_bp2 = grade("sigmoid_quadratic", ((bp2, bp2.replace("w_up[j][k]", "w_up[k][j]")),))
    assert in_bp2.mistake == "exception" and "IndexError" in str(in_bp2)
    assert SHAPES in str(in_bp2) and HINT in str(in_bp2)
    # a shape error in BP4: the shapes, but no word about BP2
    bp4 = "[[a_in[k + 1] * d_j for k in range(len(a_in))] for d_j in d]"
    in_bp4 = grade("sigmoid_quadratic", ((BP4_OUTER, bp4),))
    assert in_bp4.mistake == "exception" and "IndexError" in str(in_bp4)
    assert SHAPES in str(in_bp4) and HINT not in str(in_bp4) and "BP2" not in str(in_bp4)
    # any other exception: neither
    head = "deltas[-1] = " + PLAIN["sigmoid_quadratic"][2]
    divided = grade("sigmoid_quadratic", ((head, "deltas[-1] = [1 / 0 for j in z]"),))
    assert divided.mistake == "exception" and "ZeroDivisionError" in str(divided)
    assert "shapes" not in str(divided) and HINT not in str(divided)


def test_the_report_is_plain_data_too() -> None:
    report = check_backprop(
        make_backprop("sigmoid", "sigmoid", "quadratic", "missing_sigma_prime:error_signal"),
        [2, 3, 1],
        trials=2,
        notation="ng",
    )
    data = json.loads(json.dumps(report.as_dict()))
    m, d = report.mismatch, report.diagnosis
    assert m is not None and d is not None
    assert data["ok"] is False and data["notation"] == "ng"
    assert data["mistake"] == "missing_sigma_prime" == d.mistake
    assert data["title"] == mistake_title("missing_sigma_prime", "ng")
    assert data["diagnosis"] == {
        "mistake": d.mistake,
        "message": d.message,
        "unicode": d.unicode,
        "detail": d.detail,
    }
    assert data["mismatch"]["equation_unicode"] == m.equation_unicode
    assert data["mismatch"]["expected"] == m.expected and data["mismatch"]["received"] == m.received
    assert tuple(data["mismatch"]["index"]) == m.index and data["mismatch"]["layer"] == 3
    assert data["wrong"] == report.wrong and data["computed_from"] == report.computed_from
    assert data["sizes"] == [2, 3, 1] and data["reduction"] == "mean"
    ok = check_backprop(make_backprop("sigmoid", "sigmoid", "quadratic"), [2, 3, 1], trials=1)
    assert ok.as_dict()["ok"] is True and ok.as_dict()["mismatch"] is None
    # text and Markdown are rendered from the same records
    md = report._repr_markdown_()
    assert md.startswith("**backprop WRONG**") and f"`{m.equation.splitlines()[0]}`" not in md
    assert "```\n" + m.equation.split("\n")[0] in md
    assert d.message in md and d.message in str(report)


def new_messages(notation: Any) -> list[str]:
    """The reports whose sentences this registry adds, in one notation."""
    texts = []
    zero = ((NP_BP3, "grad_b = [np.full(d.shape[1], d.sum() / m) for d in deltas]"),)
    texts.append(str(grade("softmax_cross_entropy_numpy", zero, notation=notation)))
    texts.append(str(grade("sigmoid_quadratic_numpy", SUMMED, notation=notation)))
    texts.append(str(grade("sigmoid_quadratic_numpy", notation=notation, reduction="sum")))
    texts.append(str(grade("sigmoid_quadratic_numpy", SUMMED, notation=notation, reduction="sum")))
    right = make_backprop("sigmoid", "sigmoid", "quadratic")

    def grows(*args: Any) -> Any:
        d, w, b = right(*args)
        return [[9 * v for v in d[0]], [3 * v for v in d[1]]], w, b

    texts.append(str(check_backprop(grows, [2, 3, 2], trials=2, notation=notation)))
    bp2 = BP2.format(p="sigmoid_prime")
    transposed = ((bp2, bp2.replace("w_up[j][k]", "w_up[k][j]")),)
    texts.append(str(grade("sigmoid_quadratic", transposed, notation=notation)))
    return texts


@pytest.mark.parametrize("notation", ALL, ids=[n.key for n in ALL])
def test_the_new_messages_speak_one_notation(notation: Any) -> None:
    pytest.importorskip("numpy")
    hits = [h for t in new_messages(notation) for h in mixed(t, notation)]
    assert not hits, "\n".join(hits[:20])


@pytest.mark.parametrize("setting", SETTINGS, ids="/".join)
@pytest.mark.parametrize(("batch", "reduction"), [(None, "mean"), (3, "mean"), (3, "sum")])
def test_the_walk_with_no_step_replaced_gives_the_graphs_numbers(
    setting: tuple[str, str, str], batch: int | None, reduction: str
) -> None:
    # every mistake is this walk with one step replaced: unchanged, it is BP1–BP4 themselves
    hidden, output, cost = setting
    plan = plan_check([3, 4, 2], hidden, output, cost, 3, 1, None, batch, reduction)
    check = grading._Check(
        plan.sizes, hidden, output, cost, batch, plan.notation, plan.runs, reduction
    )
    for kind, i in check.order():
        walked = grading._walk(check, kind, i)
        for t, values in zip(plan.runs, walked, strict=True):
            truth = grading._flat(check.truth(t, kind, i))
            assert grading._flat(values) == pytest.approx(truth, rel=1e-9, abs=1e-12), (kind, i)
