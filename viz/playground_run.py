"""One playground run, for `deltagrad playground` and the site's live playground alike.

Settings say what to train: the data (a toy dataset of some points, or a CSV table), the layer
sizes, the hidden activation, the cost (which fixes the output activation), the optimizer, its
learning rate, the batch size and the seed. Run builds from them the model, the data, the cost,
the optimizer and the batches (nn.train.Training: a seeded shuffle each epoch), so that the
desktop command and the page train the same steps with the same numbers.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

from nn import costs
from nn.activations import HIDDEN_ACTIVATIONS
from nn.csvfile import Table
from nn.data import DATASETS, standardise
from nn.losses import batch_loss
from nn.module import MLP
from nn.optim import SGD, Adam, Optimizer
from nn.record import Recorder
from nn.train import Training
from nn.words import count

__all__ = [
    "COSTS",
    "OPTIMIZERS",
    "Data",
    "Run",
    "Settings",
    "SettingsError",
    "hidden_sizes",
    "table_data",
    "toy_data",
]

# The costs a one-logit classifier of two classes (labels 0 and 1) can train with, each with the
# output activation it is written for and its words on the page; the cost table (nn.costs)
# checks each pair (Run refuses one it does not accept).
COSTS: dict[str, tuple[str, str]] = {
    "binary_cross_entropy_with_logits": ("linear", "binary cross-entropy on the logit"),
    "binary_cross_entropy": ("sigmoid", "binary cross-entropy on a sigmoid output"),
    "quadratic": ("sigmoid", "quadratic cost on a sigmoid output"),
}
OPTIMIZERS = {"adam": "Adam", "sgd": "SGD"}
NOISE = {"xor": 0.15}  # xor's corners get some noise, so its points do not sit on each other


class SettingsError(ValueError):
    """Settings that cannot train: one sentence naming the setting and what it accepts."""


@dataclass(frozen=True)
class Settings:
    """What a playground run trains; sizes run from the inputs to the one output."""

    sizes: tuple[int, ...] = (2, 8, 8, 1)
    activation: str = "tanh"  # of the hidden layers
    cost: str = "binary_cross_entropy_with_logits"
    optimizer: str = "adam"
    lr: float = 0.03
    batch_size: int | None = None  # None: the full batch
    seed: int = 0

    def check(self, features: int) -> None:
        """Raise SettingsError unless these settings train a classifier on `features` inputs."""
        sizes = list(self.sizes)
        if len(sizes) < 2 or any(
            isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1 for n in sizes
        ):
            raise SettingsError(f"layer sizes must be whole numbers >= 1, got {sizes!r}")
        if sizes[0] != features:
            raise SettingsError(
                f"the network starts with {sizes[0]} inputs but the data has {features} "
                f"features; use {','.join(map(str, [features, *sizes[1:]]))}"
            )
        if sizes[-1] != 1:
            raise SettingsError(
                "the network must end with 1 output: the playground classifies two classes by "
                "one output"
            )
        if self.activation not in HIDDEN_ACTIVATIONS:
            raise SettingsError(
                f"activation {self.activation!r} is not one of {', '.join(HIDDEN_ACTIVATIONS)}"
            )
        if self.cost not in COSTS:
            raise SettingsError(
                f"cost {self.cost!r} does not fit a classifier with one output here; choose one "
                f"of {', '.join(COSTS)}"
            )
        try:  # the cost table's own word on the pair
            costs.check_pair(self.cost, self.output, logits=True)
        except ValueError as e:
            raise SettingsError(str(e)) from None
        if self.optimizer not in OPTIMIZERS:
            raise SettingsError(
                f"optimizer {self.optimizer!r} is not one of {', '.join(OPTIMIZERS)}"
            )
        lr = self.lr
        if (
            isinstance(lr, bool)
            or not isinstance(lr, numbers.Real)
            or not (math.isfinite(lr) and lr > 0)
        ):
            raise SettingsError(f"the learning rate must be a number > 0 like 0.03, got {lr!r}")
        b = self.batch_size
        if b is not None and (isinstance(b, bool) or not isinstance(b, numbers.Integral) or b < 1):
            raise SettingsError(f"the batch size must be a whole number >= 1, got {b!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, numbers.Integral):
            raise SettingsError(f"the seed must be a whole number, got {self.seed!r}")

    @property
    def output(self) -> str:
        """The output layer's activation, the one the cost is written for."""
        return COSTS[self.cost][0] if self.cost in COSTS else "linear"


@dataclass(frozen=True)
class Data:
    """A two-class dataset as the playground trains on it, and how to name it."""

    xs: list[list[float]]
    ys: list[int]
    source: str  # "moons (100 points)", said on the page
    again: str  # the command line's options that give the same data
    features: list[str] | None = None
    classes: list[str] | None = None


def toy_data(dataset: str, points: int, seed: int) -> Data:
    """points of a toy dataset (moons, circles, spirals, xor) drawn with seed."""
    if dataset not in DATASETS:
        raise SettingsError(f"dataset {dataset!r} is not one of {', '.join(sorted(DATASETS))}")
    if isinstance(points, bool) or not isinstance(points, numbers.Integral) or points < 4:
        raise SettingsError(f"points must be a whole number >= 4, got {points!r}")
    noise = {"noise": NOISE[dataset]} if dataset in NOISE else {}
    xs, ys = DATASETS[dataset](n=points, seed=seed, **noise)
    said = f", noise {NOISE[dataset]:g}" if noise else ""
    return Data(
        [list(map(float, x)) for x in xs],
        [int(y) for y in ys],
        f"{dataset} ({len(xs)} points{said})",
        f"--dataset {dataset} --points {points}",
    )


def table_data(table: Table, name: str, file: str) -> Data:
    """A CSV table read by nn.csvfile, its features standardised; file: its name for --csv."""
    xs = standardise(table.xs)
    return Data(
        xs,
        list(table.ys),
        f"{name} ({len(xs)} rows, features standardised)",
        f"--csv {file}",
        table.features,
        table.classes,
    )


@dataclass
class Run:
    """A model, its optimizer and its batches from Settings and Data: the steps both train."""

    settings: Settings
    data: Data
    model: MLP = field(init=False)
    optimizer: Optimizer = field(init=False)
    training: Training = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        s.check(len(self.data.xs[0]))
        self.model = MLP(
            s.sizes[0],
            list(s.sizes[1:]),
            activation=s.activation,
            output_activation=s.output,
            seed=s.seed,
        )
        params = self.model.parameters()
        self.optimizer = Adam(params, lr=s.lr) if s.optimizer == "adam" else SGD(params, lr=s.lr)
        self.training = Training(
            self.model,
            self.data.xs,
            self.data.ys,
            costs.get(s.cost).loss,
            self.optimizer,
            s.batch_size,
            seed=s.seed,
        )

    @property
    def done(self) -> int:
        """The steps trained so far."""
        return len(self.training.history)

    def train(self, steps: int, record: Recorder | None = None, total: int | None = None) -> None:
        """Train `steps` more steps (record: a Recorder of the steps it wants of total)."""
        self.training.run(steps, record, total)

    def record_state(self, recorder: Recorder) -> None:
        """Record the numbers of the next step at the parameters now (no update) as step done."""
        t = self.training
        self.model.zero_grad()
        outputs = [recorder.forward(self.model, t.predict, x, i) for i, x in enumerate(t.xs)]
        loss = batch_loss(t.loss, outputs, t.ys)
        loss.backward()
        recorder.capture(self.done, self.model, loss, outputs, t.ys)
        self.model.zero_grad()

    def parameters(self) -> list[float]:
        """Every parameter's value, in model.parameters() order."""
        return [p.data for p in self.model.parameters()]

    def command(self, steps: int | None = None) -> str:
        """The `deltagrad playground` command line that trains the same steps."""
        s = self.settings
        batch = "" if s.batch_size is None else f" --batch-size {s.batch_size}"
        return (
            f"deltagrad playground {self.data.again} --net {','.join(map(str, s.sizes))} "
            f"--activation {s.activation} --cost {s.cost} --optimizer {s.optimizer} --lr "
            f"{s.lr:g}{batch} --steps {self.done if steps is None else steps} --seed {s.seed}"
        )

    def about(self, every: int | None, planned: int | None = None) -> str:
        """The page's line saying what was trained, on what data, and how."""
        s = self.settings
        name = "MLP " + "-".join(map(str, s.sizes))
        n = len(self.data.xs)
        batch = (
            "full batch"
            if s.batch_size is None or s.batch_size >= n
            else (f"batches of {s.batch_size}")
        )
        steps = count(self.done, "step")
        if planned is not None and self.done < planned:
            steps = f"{self.done} of {planned} steps (interrupted)"
        recorded = f", recorded every {every}" if every is not None else ""
        return (
            f"{self.data.source} · {name}, {s.activation}, {s.output} output · "
            f"{COSTS[s.cost][1]} · {OPTIMIZERS[s.optimizer]}, lr {s.lr:g}, {batch} · "
            f"{steps}{recorded} · seed {s.seed}"
        )


def hidden_sizes(text: str) -> tuple[int, ...]:
    """Hidden layer sizes from text like '8,8' (blank: none); a SettingsError for anything else."""
    parts = [p for p in text.replace(" ", "").split(",")] if text.strip() else []
    try:
        sizes = tuple(int(p) for p in parts)
    except ValueError:
        raise SettingsError(f"hidden layers: whole numbers like 8,8, got {text!r}") from None
    if any(n < 1 for n in sizes):
        raise SettingsError(f"hidden layers: whole numbers >= 1 like 8,8, got {text!r}")
    if any(n > 64 for n in sizes) or len(sizes) > 6:
        raise SettingsError(f"hidden layers: at most 6 layers of 64 neurons here, got {text!r}")
    return sizes
