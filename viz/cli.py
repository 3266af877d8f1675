"""The `deltagrad` command: demo (train, draw), check (graph vs BP1–BP4), explain (a gradient)."""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from autograd import no_grad, topological_order
from nn import compare as cmp
from nn.data import DATASETS
from nn.losses import batch_loss, binary_cross_entropy_with_logits
from nn.module import MLP
from nn.optim import Adam
from nn.train import accuracy, fit

TOLERANCE = 1e-9  # graph vs closed form: both are exact formulas, only rounding may differ


class UsageError(Exception):
    """A bad command line or an unusable output folder: one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _widths(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected layer sizes like 2,3,1, got {text!r}") from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"expected at least two positive layer sizes (inputs first) like 2,3,1, got {text!r}"
        )
    return sizes


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {n}")
    return n


def _numbers(text: str) -> list[float]:
    try:
        numbers = [float(part) for part in text.split(",")]
    except ValueError:
        numbers = []
    if not numbers or not all(math.isfinite(x) for x in numbers):
        raise argparse.ArgumentTypeError(f"expected finite numbers like 0.5,-1, got {text!r}")
    return numbers


def build_parser() -> argparse.ArgumentParser:
    """The command line: deltagrad demo | check | explain."""
    parser = _Parser(prog="deltagrad", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    demo = sub.add_parser("demo", help="train a small MLP, check it against BP1–BP4, draw it")
    demo.add_argument("--dataset", choices=sorted(DATASETS), default="moons")
    demo.add_argument("--steps", type=_positive, default=150, help="gradient steps (full batch)")
    demo.add_argument("--out", default="deltagrad-demo", help="folder for the SVG/HTML files")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument(
        "--no-trace",
        dest="trace",
        action="store_false",
        help="train on the eager engine instead of the traced program (same numbers, slower)",
    )

    check = sub.add_parser("check", help="random networks: graph gradients vs BP1–BP4")
    check.add_argument("--trials", type=_positive, default=20)
    check.add_argument("--seed", type=int, default=0)

    explain = sub.add_parser("explain", help="derive one gradient by the chain rule, with numbers")
    explain.add_argument("--net", type=_widths, default=[2, 3, 1], help="layer sizes, e.g. 2,3,1")
    explain.add_argument(
        "--activation", choices=["sigmoid", "tanh", "relu", "linear"], default="sigmoid"
    )
    explain.add_argument(
        "--cost",
        choices=["cross_entropy", "mse", "quadratic", "squared_error", "half_mse"],
        default="cross_entropy",
        help="cross_entropy: sigmoid + binary cross-entropy for one output, "
        "softmax + cross-entropy for several",
    )
    explain.add_argument("--param", default=None, help="a node label such as w^2_{1,0} or z^3_0")
    explain.add_argument("--input", type=_numbers, default=None, help="the example x, e.g. 0.5,-1")
    explain.add_argument(
        "--target",
        type=_numbers,
        default=None,
        help="the target y (a class index for softmax cross-entropy)",
    )
    explain.add_argument("--seed", type=int, default=0)
    return parser


# ----------------------------------------------------------------------------------- demo
def _prepare_out(path: str) -> str:
    try:
        os.makedirs(path, exist_ok=True)
        probe = os.path.join(path, ".deltagrad-write-test")
        with open(probe, "w", encoding="utf-8") as f:
            f.write("")
        os.remove(probe)
    except OSError as e:
        raise UsageError(f"cannot write to output folder {path!r}: {e.strerror or e}") from None
    return path


def _write(folder: str, name: str, text: str) -> str:
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def _print_diffs(diffs: Sequence[cmp.LayerDiff]) -> None:
    print(f"  {'layer':>5}  {'max|Δδ|':>10}  {'max|Δ∂C/∂w|':>12}  {'max|Δ∂C/∂b|':>12}")
    for d in diffs:
        print(f"  {d.layer:>5}  {d.delta:>10.2e}  {d.grad_w:>12.2e}  {d.grad_b:>12.2e}")


def run_demo(args: argparse.Namespace) -> int:
    """Train, check the gradients of one batch against BP1–BP4, and write the drawings."""
    from . import stepper_html, svg
    from .plots import decision_boundary_svg, loss_curve_svg

    out = _prepare_out(args.out)
    xs, ys = DATASETS[args.dataset](n=100, seed=args.seed)
    model = MLP(2, [16, 16, 1], activation="tanh", output_activation="linear", seed=args.seed)
    print(f"{model} on {args.dataset} ({len(xs)} points), loss: binary cross-entropy on the logit")
    optimizer = Adam(model.parameters(), lr=0.05)
    history = fit(
        model,
        xs,
        ys,
        binary_cross_entropy_with_logits,
        optimizer,
        epochs=args.steps,
        trace=getattr(args, "trace", True),
    )
    acc = accuracy(model, xs, ys)
    print(f"after {len(history)} steps: loss {history[-1]:.4f}, accuracy {acc:.1%}")

    batch_x, batch_y = xs[:16], [[float(y)] for y in ys[:16]]
    print("graph gradients vs closed-form BP1–BP4 on one batch of 16:")
    _print_diffs(cmp.compare(model, batch_x, batch_y, "binary_cross_entropy_with_logits"))

    written = []
    loss = batch_loss(binary_cross_entropy_with_logits, [model(x) for x in xs[:4]], batch_y[:4])
    loss.backward()
    written.append(_write(out, "graph.svg", svg(loss, collapse="neuron")))
    model.zero_grad()
    small = MLP(2, [3, 1], activation="tanh", output_activation="linear", seed=args.seed)
    one = binary_cross_entropy_with_logits(small(xs[0]), [float(ys[0])])
    written.append(_write(out, "stepper.html", stepper_html(one)))
    written.append(_write(out, "loss.svg", loss_curve_svg(history)))

    def decide(u: float, v: float) -> int:
        with no_grad():
            return 1 if model([u, v])[0].data > 0.0 else 0

    boundary = decision_boundary_svg(decide, xs, ys, title=f"{args.dataset}: decision boundary")
    written.append(_write(out, "boundary.svg", boundary))
    print("wrote " + ", ".join(written))
    return 0


# ----------------------------------------------------------------------------------- check
def _random_case(rng: random.Random) -> tuple[MLP, list[list[float]], list[Any], str]:
    depth = rng.randint(1, 3)
    widths = [rng.randint(1, 4) for _ in range(depth)]
    cost = rng.choice(list(cmp.LOSSES))
    hidden = rng.choice(["sigmoid", "tanh", "relu", "linear"])
    output = {
        "binary_cross_entropy": "sigmoid",
        "binary_cross_entropy_with_logits": "linear",
        "cross_entropy": "softmax",
    }.get(cost, rng.choice(["linear", "tanh", "sigmoid"]))
    if cost == "cross_entropy":
        widths[-1] = max(widths[-1], 2)
    nin = rng.randint(1, 4)
    model = MLP(nin, widths, activation=hidden, output_activation=output, seed=rng.randrange(2**31))
    for p in model.parameters():
        p.data = rng.uniform(-1.5, 1.5)
    xs = [[rng.uniform(-2.0, 2.0) for _ in range(nin)] for _ in range(3)]
    n_out = widths[-1]
    ys: list[Any]
    if cost == "cross_entropy":
        ys = [rng.randrange(n_out) for _ in xs]
    elif cost == "hinge":
        ys = [[rng.choice([-1.0, 1.0]) for _ in range(n_out)] for _ in xs]
    elif cost.startswith("binary"):
        ys = [[rng.random() for _ in range(n_out)] for _ in xs]
    else:
        ys = [[rng.uniform(-1.0, 1.0) for _ in range(n_out)] for _ in xs]
    return model, xs, ys, cost


def run_check(args: argparse.Namespace) -> int:
    """Random networks, activations and costs: graph gradients vs BP1–BP4, per layer."""
    rng = random.Random(args.seed)
    print(
        f"{'trial':>5}  {'network':<26}  {'cost':<33}  {'layer':>5}  "
        f"{'max|Δδ|':>9}  {'max|Δ∂C/∂w|':>11}  {'max|Δ∂C/∂b|':>11}  ok"
    )
    failures = 0
    for trial in range(args.trials):
        model, xs, ys, cost = _random_case(rng)
        sizes = [model.nin] + [layer.nout for layer in model.layers]
        acts = "/".join(layer.activation for layer in model.layers)
        name = f"{'-'.join(map(str, sizes))} {acts}"
        for d in cmp.compare(model, xs, ys, cost):
            ok = d.worst() <= TOLERANCE and not math.isnan(d.worst())
            failures += not ok
            print(
                f"{trial:>5}  {name:<26}  {cost:<33}  {d.layer:>5}  {d.delta:>9.1e}  "
                f"{d.grad_w:>11.1e}  {d.grad_b:>11.1e}  {'yes' if ok else 'NO'}"
            )
    if failures:
        print(f"{failures} layer(s) disagree with BP1–BP4 beyond {TOLERANCE:g}")
        return 1
    print(f"all {args.trials} networks agree with BP1–BP4 within {TOLERANCE:g}")
    return 0


# ----------------------------------------------------------------------------------- explain
def run_explain(args: argparse.Namespace) -> int:
    """Build a tiny network on one example and derive one gradient by the chain rule."""
    sizes: list[int] = args.net
    n_in, n_out = sizes[0], sizes[-1]
    softmax = args.cost == "cross_entropy" and n_out > 1
    output = (
        "softmax" if softmax else ("sigmoid" if args.cost == "cross_entropy" else args.activation)
    )
    model = MLP(
        n_in, sizes[1:], activation=args.activation, output_activation=output, seed=args.seed
    )
    x = args.input if args.input is not None else [round(0.5 - 0.3 * k, 2) for k in range(n_in)]
    if len(x) != n_in:
        raise UsageError(f"--input has {len(x)} numbers but the network takes {n_in} inputs")
    if softmax:
        y: Any = int(args.target[0]) if args.target else 0
        if not 0 <= y < n_out or (args.target and args.target[0] != y):
            raise UsageError(f"--target must be a class index from 0 to {n_out - 1}")
        cost = "cross_entropy"
    else:
        y = args.target if args.target is not None else [1.0] * n_out
        if len(y) != n_out:
            raise UsageError(f"--target has {len(y)} numbers but the network has {n_out} outputs")
        cost = "binary_cross_entropy" if args.cost == "cross_entropy" else args.cost
        if cost == "binary_cross_entropy" and not all(0.0 <= t <= 1.0 for t in y):
            raise UsageError("--target for cross-entropy must be between 0 and 1")
    loss = cmp.example_loss(model, x, y, cost)
    labels = {n.label: n for n in topological_order(loss) if n.label}
    wanted = args.param or "w^2_{0,0}"
    if wanted not in labels:
        known = ", ".join(sorted(k for k in labels if k.startswith(("w^", "b^", "z^")))[:8])
        raise UsageError(f"no node labelled {wanted!r} in this network; try one of {known}, …")
    from .explain import explain

    print(f"{model}, cost {cost}, x = {x}, y = {y}")
    print(explain(labels[wanted], loss))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `deltagrad` command; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        run = {"demo": run_demo, "check": run_check, "explain": run_explain}[args.command]
        code: int = run(args)
        return code
    except UsageError as e:
        print(f"deltagrad: error: {e}", file=sys.stderr)
        return 2
