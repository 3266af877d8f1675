"""The `deltagrad` command: demo (train, draw), check (graph vs BP1–BP4), explain (a gradient),
playground (a training page), grade (a learner's own backprop), site (the pages that run
deltagrad in a browser)."""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import random
import re
import shutil
import signal
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, TextIO, cast

from autograd import Value, __version__, no_grad, topological_order
from nn import compare as cmp
from nn import costs
from nn import notation as nt
from nn.activations import HIDDEN_ACTIVATIONS
from nn.activations import TABLE as ACTIVATION_TABLE
from nn.csvfile import CSVError, read_csv
from nn.data import DATASETS
from nn.losses import batch_loss, binary_cross_entropy_with_logits
from nn.module import MLP
from nn.optim import Adam
from nn.record import Recorder
from nn.train import accuracy, fit
from nn.words import count

from .numbers import number

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


_SEED = "fixes the random numbers (data, initial weights), so a run can be repeated"
_DATASET = "the toy dataset to train on"


def _param(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "expected a node like w:2:1:0 (layer 2, neuron 1, input 0), b:2:1, z:3:0 or a:2:1, "
            "got an empty --param"
        )
    return text


def build_parser() -> argparse.ArgumentParser:
    """The command line: deltagrad demo | check | explain."""
    parser = _Parser(prog="deltagrad", description=__doc__)
    parser.add_argument("--version", action="version", version=f"deltagrad {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    demo = sub.add_parser(
        "demo",
        help="train a small MLP, check it against BP1–BP4, draw it",
        description="Train an MLP 2-16-16-1 on a toy dataset, compare the gradients of one "
        "batch with the closed-form BP1–BP4, and write into --out its graph (graph.svg), a "
        "step-by-step backward pass (stepper.html), the loss curve, the decision boundary and "
        "the training playground. Ctrl-C stops the training and writes the files for the steps "
        "done (exit code 130).",
    )
    demo.add_argument("--dataset", choices=sorted(DATASETS), default="moons", help=_DATASET)
    demo.add_argument("--steps", type=_positive, default=150, help="gradient steps (full batch)")
    demo.add_argument("--out", default="deltagrad-demo", help="folder for the SVG/HTML files")
    demo.add_argument("--seed", type=int, default=0, help=_SEED)
    demo.add_argument(
        "--no-trace",
        dest="trace",
        action="store_false",
        help="train on the eager engine instead of the traced program (same numbers, slower)",
    )

    check = sub.add_parser(
        "check",
        help="random networks: graph gradients vs BP1–BP4",
        description="Build random networks (depths, widths, activations and costs) and compare "
        "every δ, ∂C/∂w and ∂C/∂b of the graph with the closed-form BP1–BP4, layer by layer. "
        f"Exit code 0: all agree within {TOLERANCE:g}; 1: a layer disagrees.",
    )
    check.add_argument(
        "--trials", type=_positive, default=20, help="how many random networks to check"
    )
    check.add_argument("--seed", type=int, default=0, help=_SEED)

    explain = sub.add_parser(
        "explain",
        help="derive one gradient by the chain rule, with numbers",
        description="Build a small network on one example and derive the gradient of one node "
        "(--param) by the chain rule, with its numbers; or, with --layer, show BP1–BP4 for a "
        "layer as vectors and matrices.",
    )
    explain.add_argument("--net", type=_widths, default=[2, 3, 1], help="layer sizes, e.g. 2,3,1")
    explain.add_argument(
        "--activation",
        choices=list(HIDDEN_ACTIVATIONS),
        default="sigmoid",
        help="of every layer, and of the output where the cost fits it",
    )
    explain.add_argument(
        "--cost",
        choices=costs.names(),
        default="cross_entropy",
        help="cross_entropy: sigmoid + binary cross-entropy for one output, "
        "softmax + cross-entropy for several",
    )
    explain.add_argument(
        "--param",
        type=_param,
        default=None,
        help="the node: w:2:1:0 (w^2_{1,0}: layer 2, neuron 1, input 0, numbered and ordered "
        "as the chosen notation writes them: LFD's w:1:1:2 is w^(1)_{1,2}), b:2:1, z:3:0, a:2:1, "
        "or w2_1_0; or its label as the chosen notation writes it, in ASCII or Unicode "
        "(w²₁,₀); a label with braces needs quotes in a shell: --param 'w^2_{1,0}'",
    )
    explain.add_argument("--input", type=_numbers, default=None, help="the example x, e.g. 0.5,-1")
    explain.add_argument(
        "--target",
        type=_numbers,
        default=None,
        help="the target y (a class index for softmax cross-entropy)",
    )
    explain.add_argument("--seed", type=int, default=0, help=_SEED)
    explain.add_argument(
        "--layer",
        default=None,
        help="the layer view instead: BP1–BP4 as vectors and matrices for layer N (numbered as "
        "the notation numbers layers) or 'all'",
    )
    explain.add_argument(
        "--batch", type=_positive, default=1, help="with --layer: a batch of this many examples"
    )
    explain.add_argument(
        "--all-columns", action="store_true", help="with --layer: show every column of a matrix"
    )

    _add_playground(sub)
    _add_grade_parser(sub)
    _add_site(sub)
    commands = list(sub.choices.values())
    # a global option: before the command (deltagrad --notation lfd check) or after it; the
    # command's own copy sets it only when given, so it does not undo one given before
    for command, default in [(parser, "nielsen"), *((c, argparse.SUPPRESS) for c in commands)]:
        command.add_argument(
            "--notation",
            choices=list(nt.NOTATIONS),
            default=default,
            help="the textbook notation of labels and tables (see docs/notation.md)",
        )
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
    return name


def _publish(staging: str, out: str, names: Sequence[str]) -> None:
    """Move the files written into staging into out, with Ctrl-C held until all are moved."""
    hold = hasattr(signal, "pthread_sigmask")
    if hold:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        for name in names:
            os.replace(os.path.join(staging, name), os.path.join(out, name))
    finally:
        if hold:  # a Ctrl-C held back arrives now, with every file in place
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _print_diffs(diffs: Sequence[cmp.LayerDiff]) -> None:
    for line in cmp.table(diffs).splitlines():
        print("  " + line)


def run_demo(args: argparse.Namespace) -> int:
    """Train, check the gradients of one batch against BP1–BP4, and write the drawings."""
    out = _prepare_out(args.out)
    xs, ys = DATASETS[args.dataset](n=100, seed=args.seed)
    run = _Run([2, 16, 16, 1], "tanh", 0.05, args.steps, args.seed)
    model = run.model()
    print(f"{model} on {args.dataset} ({len(xs)} points), loss: {LOSS_NAME}")
    history, recorder = run.train(model, xs, ys, trace=getattr(args, "trace", True))
    if not history:
        print("deltagrad: interrupted before the first step; no files written", file=sys.stderr)
        return INTERRUPTED
    acc = accuracy(model, xs, ys)
    print(f"after {count(len(history), 'step')}: loss {number(history[-1])}, accuracy {acc:.1%}")

    batch_x, batch_y = xs[:16], [[float(y)] for y in ys[:16]]
    print("graph gradients vs closed-form BP1–BP4 on one batch of 16:")
    _print_diffs(cmp.compare(model, batch_x, batch_y, "binary_cross_entropy_with_logits"))

    # every file is written into a folder of its own beside them and moved into place at the
    # end: Ctrl-C while writing leaves the folder as the previous run left it, not half of each
    staging = tempfile.mkdtemp(prefix=".deltagrad-demo-", dir=out)
    try:
        written = _write_demo(args, run, model, xs, ys, history, recorder, staging)
        _publish(staging, out, [name for name, _ in written])
    except KeyboardInterrupt:
        print(
            f"deltagrad: interrupted while writing the files; {out} is as it was",
            file=sys.stderr,
        )
        return INTERRUPTED
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    print("wrote")
    for name, what in written:
        print(f"  {os.path.join(out, name)}: {what}")
    return INTERRUPTED if len(history) < args.steps else 0


def _write_demo(
    args: argparse.Namespace,
    run: _Run,
    model: MLP,
    xs: Any,
    ys: Any,
    history: list[float],
    recorder: Recorder,
    out: str,
) -> list[tuple[str, str]]:
    """Write the demo's drawings and pages into out: (file name, what it shows) of each."""
    from . import stepper_html, svg
    from .playground import write_playground
    from .plots import decision_boundary_svg, loss_curve_svg

    written: list[tuple[str, str]] = []  # (file name, what it shows)
    # The drawing shows the gradients of the first step of training, when they are large enough
    # to teach something (after training every δ is tiny): the same seed rebuilds the model as
    # it was before its first update, and the cost is over the full batch, as fit's first step.
    start = run.model()
    first = batch_loss(
        binary_cross_entropy_with_logits, [start(x) for x in xs], [[float(y)] for y in ys]
    )
    first.backward()
    written.append(
        (
            _write(out, "graph.svg", svg(first)),
            f"the {run.name} network at its first training step (before any update), one box "
            f"per neuron: its δ over the {len(xs)} points, ∂C/∂b, and edges drawn by ∂C/∂w",
        )
    )
    # Stepping through that graph would take tens of thousands of steps: the stepper shows the
    # same kind of network, small enough to step through, on one point.
    small = MLP(2, [3, 1], activation="tanh", output_activation="linear", seed=args.seed)
    one = binary_cross_entropy_with_logits(small(xs[0]), [float(ys[0])])
    page = stepper_html(  # node by node, or one equation BP1–BP4 per step ("By layer")
        one,
        layers=small,
        title="Backward pass, step by step: a small MLP 2-3-1",
        about=f"Small enough to step through: MLP 2-3-1 (tanh, linear output, untrained, seed "
        f"{args.seed}), one {args.dataset} point, {LOSS_NAME}. The demo trains {run.name} "
        "(graph.svg: its first step).",
    )
    written.append(
        (
            _write(out, "stepper.html", page),
            "the backward pass step by step on a small MLP 2-3-1 (small enough to step "
            "through) and one point",
        )
    )
    loss_curve = loss_curve_svg(history)
    written.append(
        (_write(out, "loss.svg", loss_curve), f"the loss over the {count(len(history), 'step')}")
    )

    def decide(u: float, v: float) -> float:
        with no_grad():
            return model([u, v])[0].data  # the logit: its sign is the class

    boundary = decision_boundary_svg(decide, xs, ys, title=f"{args.dataset}: decision boundary")
    written.append((_write(out, "boundary.svg", boundary), "the trained model's decision boundary"))
    path = os.path.join(out, "playground.html")
    write_playground(
        recorder,
        model,
        xs,
        ys,
        path,
        title=f"Training playground: {args.dataset}, {run.name}",
        about=run.about(f"{args.dataset} ({len(xs)} points)", recorder, len(history)),
        rerun=f"Rerun the same start: deltagrad demo --dataset {args.dataset} --steps "
        f"{args.steps} --seed {args.seed}",
    )
    written.append(
        (
            "playground.html",
            "training, replayed: every weight, δ and gradient at each recorded step",
        )
    )
    return written


# ----------------------------------------------------------------------------------- training
LOSS_NAME = "binary cross-entropy on the logit"  # the loss of the demo and the playground
PLAYGROUND_BUDGET = 3_500_000  # bytes of per-example z, a, δ the page may embed


@dataclass(frozen=True)
class _Run:
    """A training run of the demo and the playground: an MLP with one logit, recorded.

    The output is linear (the logit); the loss is binary cross-entropy on the logit over the
    full batch, with Adam; the Recorder keeps what the playground page replays.
    """

    sizes: list[int]  # inputs first
    activation: str  # of the hidden layers
    lr: float  # Adam's learning rate
    steps: int
    seed: int  # fixes the initial weights and the run

    @property
    def name(self) -> str:
        """'MLP 2-16-16-1'."""
        return "MLP " + "-".join(map(str, self.sizes))

    def model(self) -> MLP:
        """The network before training (the same seed gives the same weights)."""
        return MLP(self.sizes[0], self.sizes[1:], activation=self.activation, seed=self.seed)

    def train(
        self, model: MLP, xs: Any, ys: Any, every: int | None = None, trace: bool = True
    ) -> tuple[list[float], Recorder]:
        """fit's history and the Recorder of the steps the playground page replays."""
        neurons = sum(self.sizes[1:])
        recorder = Recorder.within(PLAYGROUND_BUDGET, self.steps, len(xs), neurons, every)
        optimizer = Adam(model.parameters(), lr=self.lr)
        loss = binary_cross_entropy_with_logits
        history = fit(
            model, xs, ys, loss, optimizer, self.steps, seed=self.seed, record=recorder, trace=trace
        )
        if history and len(history) < self.steps:  # Ctrl-C: the page replays the steps done
            if recorder.steps[-1]["step"] < len(history):
                _record_last(model, xs, ys, recorder, len(history))
            recorder.total_steps = max(len(history), recorder.steps[-1]["step"] + 1)
        return history, recorder

    def about(self, data: str, recorder: Recorder, done: int) -> str:
        """The playground page's line saying what was trained, on what data, and how."""
        steps = count(self.steps, "step")
        if done < self.steps:
            steps = f"{done} of {self.steps} steps (interrupted)"
        return (
            f"{data} · {self.name}, {self.activation}, linear output · {LOSS_NAME} · Adam, lr "
            f"{self.lr:g}, full batch · {steps}, recorded every {recorder.every} · seed {self.seed}"
        )


def _record_last(model: MLP, xs: Any, ys: Any, recorder: Recorder, step: int) -> None:
    """Record the state a stopped run reached (after its last update) as step `step`.

    A run stopped by Ctrl-C between two recorded steps would otherwise replay only up to the
    last one it happened to record (step 0 of a long run). A second Ctrl-C skips this.
    """
    try:
        model.zero_grad()
        outputs = [recorder.forward(model, model, x, i) for i, x in enumerate(xs)]
        targets = [[float(y)] for y in ys]
        loss = batch_loss(binary_cross_entropy_with_logits, outputs, targets)
        loss.backward()
        recorder.capture(step, model, loss, outputs, targets)
    except KeyboardInterrupt:  # a second Ctrl-C: the page replays the steps recorded before
        return


# ----------------------------------------------------------------------------------- check
def _network_name(model: MLP) -> str:
    sizes = [model.nin] + [layer.nout for layer in model.layers]
    return f"{'-'.join(map(str, sizes))} {'/'.join(layer.activation for layer in model.layers)}"


def run_check(args: argparse.Namespace) -> int:
    """Random networks, activations and costs: graph gradients vs BP1–BP4, per layer."""
    rng = random.Random(args.seed)
    cases = [cmp.random_case(rng) for _ in range(args.trials)]  # cheap; drawn first for the widths
    names = [_network_name(model) for model, *_ in cases]
    wide = max(len("network"), *map(len, names))
    cost_wide = max(len("cost"), *(len(cost) for *_, cost in cases))
    layer, d_head, w_head, b_head = cmp.columns()
    widths = [max(9, len(d_head)), max(11, len(w_head)), max(11, len(b_head))]
    print(
        f"{'trial':>5}  {'network':<{wide}}  {'cost':<{cost_wide}}  {layer:>5}  "
        f"{d_head:>{widths[0]}}  {w_head:>{widths[1]}}  {b_head:>{widths[2]}}  ok"
    )
    failures = 0
    for trial, ((model, xs, ys, cost), name) in enumerate(zip(cases, names, strict=True)):
        for d in cmp.compare(model, xs, ys, cost):
            ok = d.worst() <= TOLERANCE and not math.isnan(d.worst())
            failures += not ok
            print(
                f"{trial:>5}  {name:<{wide}}  {cost:<{cost_wide}}  {cmp.layer_number(d):>5}  "
                f"{d.delta:>{widths[0]}.1e}  {d.grad_w:>{widths[1]}.1e}  "
                f"{d.grad_b:>{widths[2]}.1e}  {'yes' if ok else 'NO'}"
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
    # cross_entropy on one output is sigmoid + binary cross-entropy
    cost = "binary_cross_entropy" if args.cost == "cross_entropy" and not softmax else args.cost
    row = costs.get(cost)
    # the output layer: --activation where the cost fits it, else the one output the cost fits
    # (softmax for cross_entropy, linear for a cost on the logit)
    fits_one = len(row.fits) == 1 and not row.fits_output(args.activation)
    output = row.fits[0] if fits_one else args.activation
    model = MLP(
        n_in, sizes[1:], activation=args.activation, output_activation=output, seed=args.seed
    )
    x = args.input if args.input is not None else [round(0.5 - 0.3 * k, 2) for k in range(n_in)]
    if len(x) != n_in:
        raise UsageError(
            f"--input has {count(len(x), 'number')} but the network takes {count(n_in, 'input')}"
        )
    y: Any
    if row.targets.kind == "class":
        y = int(args.target[0]) if args.target else 0
        if not 0 <= y < n_out or (args.target and args.target[0] != y):
            raise UsageError(f"--target must be a class index from 0 to {n_out - 1}")
    else:
        y = args.target if args.target is not None else [1.0] * n_out
        if len(y) != n_out:
            raise UsageError(
                f"--target has {count(len(y), 'number')} but the network has "
                f"{count(n_out, 'output')}"
            )
    try:  # the cost table refuses a pair or a target that does not fit, saying what does
        costs.check_pair(row, output)
        costs.check_target(row, y, n_out)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if args.layer is None and (args.batch != 1 or args.all_columns):
        raise UsageError("--batch and --all-columns are for the layer view: add --layer N or all")
    if args.layer is not None:
        if args.param is not None:
            raise UsageError("--param explains one node, --layer a whole layer; give one of them")
        return _explain_layers(args, model, x, y, cost)
    loss = cmp.example_loss(model, x, y, cost)
    notation = nt.get(getattr(args, "notation", None))
    first, base = nt.layer_number(2, notation), nt.index_number(0, notation)
    wanted = f"w:{first}:{base}:{base}" if args.param is None else args.param
    node, note = _find_param(model, loss, wanted, notation)
    from .explain import explain

    print(f"{model}, cost {cost}, x = {x}, y = {y}")
    if note:
        print(note)
    print(explain(node, loss))
    return 0


def _rounded(y: Any) -> Any:
    """A sampled target as a command line would print it (two decimals; a class index as is)."""
    return y if isinstance(y, int) else [round(v, 2) for v in y]


def _explain_layers(args: argparse.Namespace, model: MLP, x: list[float], y: Any, cost: str) -> int:
    """The layer view of one layer or all of them, for one example or a small batch."""

    from .layer_view import explain_layers

    try:
        notation = nt.get(args.notation)
    except ValueError as e:
        raise UsageError(str(e)) from None
    numbers = [nt.layer_number(layer.layer_index, notation) for layer in model.layers]
    if args.layer == "all":
        target: Any = model
    else:
        try:
            wanted = int(args.layer)
        except ValueError:
            wanted = -1
        if wanted not in numbers:
            raise UsageError(
                f"--layer must be 'all' or a layer with weights, {', '.join(map(str, numbers))} "
                f"in {notation.title}'s numbering, got {args.layer!r}"
            )
        target = model.layers[numbers.index(wanted)]
    if args.batch == 1:
        loss = cmp.example_loss(model, x, y, cost)
        targets: Any = y
    else:
        rng = random.Random(args.seed)
        xs = [x] + [[round(rng.uniform(-1, 1), 2) for _ in x] for _ in range(args.batch - 1)]
        n_out = model.layers[-1].nout
        row, within = costs.get(cost), ACTIVATION_TABLE[model.layers[-1].activation].range
        ys = [y] + [_rounded(row.targets.sample(rng, n_out, within)) for _ in range(args.batch - 1)]
        loss = batch_loss(lambda xi, yi: cmp.example_loss(model, xi, yi, cost), xs, ys)
        targets = ys
        x = xs  # type: ignore[assignment]
    loss.backward()
    print(f"{model}, cost {cost}, x = {x}, y = {targets}")
    view = explain_layers(
        target,
        loss,
        notation=notation,
        cost=cost,
        y=targets,
        columns=None if args.all_columns else 6,
    )
    print(view)
    return 0


# ----------------------------------------------------------------------------------- playground
def _learning_rate(text: str) -> float:
    try:
        lr = float(text)
    except ValueError:
        lr = math.nan
    if not (math.isfinite(lr) and lr > 0.0):
        raise argparse.ArgumentTypeError(f"expected a learning rate > 0 like 0.03, got {text!r}")
    return lr


def _add_playground(sub: Any) -> None:
    from .playground_run import COSTS, OPTIMIZERS

    play = sub.add_parser(
        "playground",
        help="train an MLP and write the training playground page (one HTML file)",
        description="Train an MLP with one output on a toy dataset or a CSV file (by default "
        "Adam, full batch, binary cross-entropy on the logit), recording its weights, δ and "
        "gradients, and write one offline HTML page that replays the training. The same "
        "settings train the same steps as the site's live playground. Ctrl-C stops the "
        "training and writes the page for the steps done (exit code 130).",
    )
    data = play.add_mutually_exclusive_group()
    data.add_argument("--dataset", choices=sorted(DATASETS), default=None, help="default moons")
    data.add_argument("--csv", default=None, metavar="FILE", help="feature columns, then a label")
    play.add_argument("--net", type=_widths, default=None, help="layer sizes, default 2,8,8,1")
    play.add_argument(
        "--activation",
        choices=list(HIDDEN_ACTIVATIONS),
        default="tanh",
        help="of the hidden layers",
    )
    play.add_argument(
        "--cost",
        choices=list(COSTS),
        default="binary_cross_entropy_with_logits",
        help="the cost; it sets the output layer: "
        + "; ".join(f"{name}: {output} output" for name, (output, _) in COSTS.items()),
    )
    play.add_argument("--optimizer", choices=list(OPTIMIZERS), default="adam", help="default adam")
    play.add_argument("--steps", type=_positive, default=300, help="gradient steps")
    play.add_argument("--lr", type=_learning_rate, default=0.03, help="the learning rate")
    play.add_argument(
        "--batch-size",
        type=_positive,
        default=None,
        help="examples per step, shuffled by the seed each epoch (default: the full batch)",
    )
    play.add_argument("--points", type=_positive, default=100, help="points of a --dataset")
    play.add_argument("--every", type=_positive, default=None, help="record every N steps")
    play.add_argument("--seed", type=int, default=0, help=_SEED)
    play.add_argument("--out", default="playground.html", help="the page to write")


def run_playground(args: argparse.Namespace) -> int:
    """Train with a Recorder and write the playground page."""
    from .playground import write_playground
    from .playground_run import Run, Settings, SettingsError, table_data, toy_data

    try:
        if args.csv is not None:
            try:
                table = read_csv(args.csv)
            except CSVError as e:
                raise UsageError(str(e)) from None
            data = table_data(table, os.path.basename(args.csv), args.csv)
        else:
            data = toy_data(args.dataset or "moons", args.points, args.seed)
    except SettingsError as e:
        raise UsageError(f"--points: {e}") from None
    features = len(data.xs[0])
    sizes: list[int] = args.net or [features, 8, 8, 1]
    if sizes[0] != features:
        raise UsageError(
            f"--net starts with {sizes[0]} inputs but the data has {features} features; "
            f"use --net {features},{','.join(map(str, sizes[1:]))}"
        )
    if sizes[-1] != 1:
        raise UsageError(
            "--net must end with 1 output: the playground classifies two classes by one output"
        )
    out = args.out
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        raise UsageError(f"cannot write {out!r}: its folder does not exist or is not writable")
    if os.path.isdir(out):  # checked before training, not found after it
        raise UsageError(
            f"--out {out!r} is a folder; give the page's file name, such as "
            f"{os.path.join(out, 'playground.html')!r}"
        )
    settings = Settings(
        tuple(sizes),
        args.activation,
        args.cost,
        args.optimizer,
        args.lr,
        args.batch_size,
        args.seed,
    )
    try:
        run = Run(settings, data)
    except ValueError as e:  # SettingsError, or the cost table refusing a pair
        raise UsageError(str(e)) from None
    model = run.model
    neurons = sum(sizes[1:])
    recorder = Recorder.within(PLAYGROUND_BUDGET, args.steps, len(data.xs), neurons, args.every)
    run.train(args.steps, recorder, args.steps)
    history = run.training.history
    if not history:  # Ctrl-C before the first step was done
        print("deltagrad: interrupted before the first step; no page written", file=sys.stderr)
        return INTERRUPTED
    if len(history) < args.steps:  # Ctrl-C: the page replays the steps done
        if recorder.steps[-1]["step"] < len(history):
            with contextlib.suppress(KeyboardInterrupt):  # a second Ctrl-C skips it
                run.record_state(recorder)
        recorder.total_steps = max(len(history), recorder.steps[-1]["step"] + 1)
    rerun = (
        "Rerun the same start (the seed fixes the data, the initial weights and the run): "
        f"{run.command(args.steps)}"
    )
    write_playground(
        recorder,
        model,
        data.xs,
        data.ys,
        out,
        notation=args.notation,
        title=f"Training playground: {'-'.join(map(str, sizes))}",
        about=run.about(recorder.every, args.steps),
        rerun=rerun,
        features=data.features,
        classes=data.classes,
    )
    print(
        f"{model}: loss {number(history[0])} -> {number(history[-1])} in "
        f"{count(len(history), 'step')}"
    )
    print(
        f"wrote {out} ({os.path.getsize(out) / 1e6:.1f} MB, "
        f"{count(len(recorder.steps), 'recorded step')})"
    )
    return INTERRUPTED if len(history) < args.steps else 0


# w^2_{1,0} (the label), w:2:1:0 and w2_1_0 (no shell quoting needed): kind, layer, j, k
_PARAM_FORMS = [
    re.compile(r"(?P<kind>[wbza])\^(?P<layer>\d+)_\{?(?P<j>\d+)(?:,(?P<k>\d+))?\}?"),
    re.compile(r"(?P<kind>[wbza]):(?P<layer>\d+):(?P<j>\d+)(?::(?P<k>\d+))?"),
    re.compile(r"(?P<kind>[wbza])(?P<layer>\d+)_(?P<j>\d+)(?:_(?P<k>\d+))?"),
]


def _find_param(model: MLP, loss: Value, wanted: str, notation: nt.Notation) -> tuple[Value, str]:
    """The node --param names, found by the model's structure; and a note to print, if any.

    Its layer, neuron and input are numbered (and a weight's two indices ordered) as the
    notation writes them, the same as --layer and the labels.
    """
    match = next((m for form in _PARAM_FORMS if (m := form.fullmatch(wanted.strip()))), None)
    if match is None:
        # a label as the chosen notation writes it, in ASCII or with Unicode scripts
        labels: dict[str, Value] = {}
        for n in topological_order(loss):
            record = n.label_record
            if isinstance(record, nt.Name):
                labels[nt.render(record, notation, "unicode")] = n
                labels[nt.render(record, notation, "ascii")] = n
            if n.label:
                labels[n.label] = n
        if wanted in labels:  # any other labelled node, such as the loss C
            return labels[wanted], ""
        raise UsageError(
            f"cannot read --param {wanted!r}; write w:2:1:0 for w^2_{{1,0}} (layer 2, neuron 1, "
            "input 0), b:2:1, z:3:0 or a:2:1"
        )
    kind, written, j = match["kind"], int(match["layer"]), int(match["j"])
    k = None if match["k"] is None else int(match["k"])
    if kind == "w" and k is not None and notation.index_order == "kj":
        j, k = k, j  # LFD's w_ij: from i to j
    # the layer and the indices as deltagrad counts them (Nielsen's layers, j and k from 0)
    layer_index = nt.nielsen_layer(written, notation)
    base = nt.index_number(0, notation)
    j -= base
    k = None if k is None else k - base
    first, last = nt.layer_number(2, notation), nt.layer_number(len(model.layers) + 1, notation)
    if not 2 <= layer_index <= len(model.layers) + 1:
        raise UsageError(
            f"--param {wanted!r}: this network has weight layers {first} to {last} (layer "
            f"{nt.layer_number(1, notation)} is the input, as {notation.title} numbers layers)"
        )
    layer = model.layers[layer_index - 2]
    if not 0 <= j < layer.nout:
        raise UsageError(
            f"--param {wanted!r}: layer {written} has neurons {base} to {layer.nout - 1 + base}"
        )
    if (kind == "w") != (k is not None):
        raise UsageError(
            f"--param {wanted!r}: a weight needs layer, neuron and input (w:2:1:0); "
            "b, z and a need layer and neuron (b:2:1)"
        )
    neuron = layer.neurons[j]
    if kind == "w":
        assert k is not None
        if not 0 <= k < layer.nin:
            raise UsageError(
                f"--param {wanted!r}: neuron {j + base} of layer {written} has inputs {base} to "
                f"{layer.nin - 1 + base}"
            )
        return neuron.w[k], ""
    if kind == "b":
        return neuron.b, ""
    if kind == "z":
        return layer.z[j], ""
    if layer.a[j] is layer.z[j]:
        a_j, z_j = (
            nt.text(q, layer_index, j, notation=notation, style="ascii")
            for q in ("activation", "preactivation")
        )
        return layer.z[j], (
            f"layer {written} has a linear activation, so there is no separate node {a_j}: "
            f"{nt.text('activation', notation=notation, style='ascii')} is the node {z_j} itself, "
            "explained here"
        )
    return layer.a[j], ""


INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for a command stopped by Ctrl-C


# ----------------------------------------------------------------------------------- grade
def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < 1e6:
        raise argparse.ArgumentTypeError(
            f"expected a number of seconds above 0 and below 1,000,000, got {text!r}"
        )
    return value


_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def _bytes(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?)(?:i?B)?\s*", text, re.I)
    if match is None:
        raise argparse.ArgumentTypeError(
            f"expected a size such as 1G, 512M or 2000000000, got {text!r}"
        )
    size = int(float(match[1]) * _UNITS[match[2].upper()])
    if size < 64 << 20:
        raise argparse.ArgumentTypeError(
            f"expected at least 64M (the child needs Python), got {text!r}"
        )
    return size


def _add_grade_parser(sub: Any) -> None:
    from nn.grading import MAX_WEIGHTS, REDUCTIONS
    from nn.isolation import DEFAULT_TIMEOUT

    grade = sub.add_parser(
        "grade",
        help="check your own backprop function against the graph, and say what is wrong",
        description="Run FILE.py's backprop(weights, biases, x, y) -> (deltas, grad_w, "
        "grad_b) on random networks, in a child process with a time and a memory limit, and "
        "compare every number with the graph's. weights[i][j][k] is w^{i+2}_jk (Nielsen's "
        "indexing, layer 2 first). Options not given are read from the file's NET, ACTIVATION, "
        "OUTPUT_ACTIVATION, COST and BATCH if it sets them. Several files or a folder: one line "
        "per submission, then the class summary. Exit code 0: every submission right; 1: one "
        "is wrong (or, in a class, could not be graded); 2: usage error, or the one file given "
        "could not be graded.",
    )
    grade.add_argument(
        "file",
        nargs="+",
        help="the Python file with your backprop function; or several, or folders of them",
    )
    grade.add_argument("--function", default="backprop", help="the function's name")
    grade.add_argument(
        "--net",
        type=_widths,
        default=None,
        help=f"layer sizes, e.g. 2,3,1 (at most {MAX_WEIGHTS:,} weights)",
    )
    grade.add_argument("--activation", default=None, help="hidden layers (default sigmoid)")
    grade.add_argument(
        "--output-activation", default=None, help="the output layer (default sigmoid)"
    )
    grade.add_argument("--cost", default=None, help="a cost of nn.losses (default quadratic)")
    grade.add_argument(
        "--batch",
        type=_positive,
        default=None,
        help="pass batches of this many examples (x a list of examples) instead of one",
    )
    grade.add_argument(
        "--reduction",
        choices=list(REDUCTIONS),
        default="mean",
        help="with --batch: the batch cost is the mean of the examples' costs (default) or "
        "their sum",
    )
    grade.add_argument("--trials", type=_positive, default=20, help="random networks to try")
    grade.add_argument("--seed", type=int, default=0, help=_SEED)
    grade.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        help="seconds one submission may run, its import and every trial "
        f"(default {DEFAULT_TIMEOUT:g})",
    )
    grade.add_argument(
        "--memory",
        type=_bytes,
        default="1G",
        help="address space one submission may use, such as 512M or 2G (default 1G)",
    )
    grade.add_argument(
        "--jobs", type=_positive, default=1, help="submissions graded at once (default 1)"
    )
    grade.add_argument(
        "--json",
        default=None,
        metavar="FILE",
        help="also write one record per submission to FILE (see docs/check-your-backprop.md)",
    )
    grade.add_argument(
        "--gradescope",
        default=None,
        metavar="FILE",
        help="also write Gradescope's results.json to FILE: one test per submission",
    )


def _write_json(path: str, data: Any) -> None:
    import json

    try:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1, allow_nan=False)
            f.write("\n")
    except OSError as e:
        raise UsageError(f"cannot write {path!r}: {e.strerror}") from None


def run_grade(args: argparse.Namespace) -> int:
    """Grade learners' backprop functions, each in a child process: print the report (one file)
    or one line per submission and the class summary; 0 if all right, 1 if not."""
    from concurrent.futures import Future, ThreadPoolExecutor, wait

    from nn import classroom
    from nn.isolation import Graded, SettingError, check_options, grade_file, stop_all

    given = {
        "net": args.net,
        "activation": args.activation,
        "output_activation": args.output_activation,
        "cost": args.cost,
        "batch": args.batch,
    }
    try:
        check_options(**given, reduction=args.reduction)
        files = classroom.submissions(args.file)
    except ValueError as e:
        raise UsageError(str(e)) from None
    for out in (args.json, args.gradescope):  # before grading a class, not after
        folder = os.path.dirname(os.path.abspath(out)) if out else ""
        if out and not (os.path.isdir(folder) and os.access(folder, os.W_OK)):
            raise UsageError(
                f"cannot write {out!r}: its folder {folder!r} is not a writable folder"
            )
    single = len(args.file) == 1 and not os.path.isdir(args.file[0])

    def one(path: str) -> Graded:
        return grade_file(
            path,
            args.function,
            trials=args.trials,
            seed=args.seed,
            notation=args.notation,
            reduction=args.reduction,
            timeout=args.timeout,
            memory=args.memory,
            **given,
        )

    results: list[Graded] = []
    pool = ThreadPoolExecutor(max_workers=args.jobs)
    futures: list[Future[Graded]] = []
    try:
        futures = [pool.submit(one, path) for path in files]
        for future in futures:
            g = future.result()
            results.append(g)
            if not single:
                print(classroom.line(g, args.notation), flush=True)
    except SettingError as e:
        raise UsageError(str(e)) from None
    finally:
        # after Ctrl-C or an error: no queued submission starts, and no child keeps running
        # (one that started meanwhile is stopped on the next round)
        pool.shutdown(wait=False, cancel_futures=True)
        while not all(f.done() for f in futures):
            stop_all()
            wait(futures, timeout=0.1)
    if args.json:
        _write_json(args.json, classroom.records(results, args.notation))
    if args.gradescope:
        _write_json(args.gradescope, classroom.gradescope(results, args.notation))
    if single:
        (g,) = results
        # a usage error where the command's own options are to blame (--function NAME, --net …);
        # a file without the default backprop, or with constants that cannot be graded, is a
        # file that cannot be graded
        if (g.cause == "function" and args.function != "backprop") or (
            g.cause == "settings" and any(v is not None for v in given.values())
        ):
            raise UsageError(f"{g.file}: {g.reason}")
        if g.report is not None:
            print(g.report)
        else:
            print(f"backprop could not be graded: {g.file}: {g.reason}")
        printed = g.printed()
        if printed:
            print(f"\n{printed}")
        return {"ok": 0, "wrong": 1}.get(g.verdict, 2)
    print()
    print(classroom.summary(results, args.notation))
    return 0 if all(g.ok for g in results) else 1


class _Stdout(io.TextIOBase):
    """Standard output that a closed pipe silences instead of stopping the command's work.

    `deltagrad demo | head -1`: once the reader has gone, what is printed is dropped, and the
    files are still written; the exit code is the command's own.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.gone = False  # the reader closed the pipe

    @property
    def encoding(self) -> str:  # type: ignore[override]
        """The real stream's encoding."""
        return self.stream.encoding

    def writable(self) -> bool:
        """Always: what cannot be delivered is dropped."""
        return True

    def write(self, text: str) -> int:
        """Write text, or drop it once the reader has gone."""
        if not self.gone:
            try:
                self.stream.write(text)
            except BrokenPipeError:
                self._silence()
        return len(text)

    def flush(self) -> None:
        """Flush, or nothing once the reader has gone."""
        if not self.gone:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._silence()

    def _silence(self) -> None:
        self.gone = True
        try:  # what is still buffered goes to /dev/null at exit instead of raising again
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass


# ----------------------------------------------------------------------------------- site
def _add_site(sub: Any) -> None:
    site = sub.add_parser(
        "site",
        help="build the static site whose pages run deltagrad in a browser (needs npm)",
        description="Build the site (playground, expression lab, check my backprop) into a "
        "folder that any static file server can host, such as a course's web space: the pages, "
        "Pyodide and Graphviz in WebAssembly (fetched once by npm, at build time only) and "
        "deltagrad's wheel built from this checkout. Serve it over HTTP, for example with "
        "python -m http.server -d site; once built it needs no network.",
    )
    site.add_argument("--out", default="site", help="the folder to write (new, empty, or a site)")
    site.add_argument(
        "--pyodide-url",
        default=None,
        metavar="URL",
        help="a full Pyodide distribution's folder URL (ending in /) to load instead of the "
        "core runtime the site carries: its numpy lets pages run numpy code",
    )
    site.add_argument(
        "--cache", default=None, metavar="DIR", help="where npm's packages are kept between builds"
    )


def run_site(args: argparse.Namespace) -> int:
    """Build the site with viz.site.build."""
    from .site import SiteError, build

    try:
        build(args.out, pyodide_url=args.pyodide_url, cache=args.cache)
    except SiteError as e:
        raise UsageError(str(e)) from None
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `deltagrad` command; returns the exit code."""
    stdout = sys.stdout
    sys.stdout = cast(TextIO, _Stdout(stdout))
    try:
        args = build_parser().parse_args(argv)
        run = {
            "demo": run_demo,
            "check": run_check,
            "explain": run_explain,
            "playground": run_playground,
            "grade": run_grade,
            "site": run_site,
        }[args.command]
        notation = getattr(args, "notation", None)
        # labels, tables and drawings in that notation (argparse took only a known one)
        with nt.using(notation):
            code: int = run(args)
            sys.stdout.flush()  # a closed pipe shows up here, and is dropped
        return code
    except UsageError as e:
        print(f"deltagrad: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("deltagrad: interrupted", file=sys.stderr)
        return INTERRUPTED
    finally:
        sys.stdout = stdout
