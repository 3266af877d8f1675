"""The training loop fit() (shuffled mini-batches, a tqdm progress bar) and accuracy()."""

from __future__ import annotations

import contextlib
import functools
import inspect
import math
import numbers
import random
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from autograd import Trace, TraceError, Value, gc_paused, is_grad_enabled, is_real, no_grad
from autograd import trace as autograd_trace
from autograd.ops import MEAN, DomainError
from autograd.tracing import VectorMiss

from . import costs
from .classify import THRESHOLDS, decision_rule, output_activation, predict_class, target_class
from .display import History
from .losses import Loss, Prediction, batch_loss
from .module import MLP, Layer, Neuron
from .optim import Optimizer
from .program_notes import backprop_notes
from .record import Recorder
from .words import count

# decision_rule, predict_class and THRESHOLDS live in nn.classify; fit's users find them here too
__all__ = [
    "THRESHOLDS",
    "Training",
    "TrainingDiverged",
    "accuracy",
    "confusion",
    "decision_rule",
    "fit",
    "predict_class",
]

Model = Callable[[Any], Prediction]


def _positive_int(what: str, n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise ValueError(f"fit: {what} must be an int >= 1, got {type(n).__name__} {n!r}")
    if n < 1:
        raise ValueError(f"fit: {what} must be at least 1, got {n}")
    return int(n)


def _examples(owner: str, xs: Sequence[Any], ys: Sequence[Any]) -> tuple[list[Any], list[Any]]:
    xs, ys = list(xs), list(ys)
    if len(xs) != len(ys):
        raise ValueError(
            f"{owner}: got {count(len(xs), 'input')} but {count(len(ys), 'target')}; pass one "
            "target per input"
        )
    if not xs:
        raise ValueError(f"{owner}: got no examples; pass at least one input and its target")
    return xs, ys


def _check_finite_inputs(xs: list[Any]) -> None:
    # Once per fit, before any step: a NaN or infinity in the data is named, not blamed on the
    # learning rate when the loss turns NaN. Inputs of other shapes are left to the model.
    for i, x in enumerate(xs):
        items = [x] if isinstance(x, Value) or is_real(x) else x
        if isinstance(items, str | bytes) or not isinstance(items, Iterable):
            continue
        for k, v in enumerate(items):
            number = v.data if isinstance(v, Value) else v
            if is_real(number) and not math.isfinite(number):
                raise ValueError(
                    f"fit: example {i}, input {k} is {number!r}, not a finite number; the inputs "
                    "themselves contain NaN or infinity: fix or drop that example"
                )


def fit(
    model: Model,
    xs: Sequence[Any],
    ys: Sequence[Any],
    loss: Loss,
    optimizer: Optimizer,
    epochs: int,
    batch_size: int | None = None,
    *,
    seed: int = 0,
    progress: bool | None = None,
    record: Recorder | None = None,
    trace: bool = True,
    backend: str = "python",
) -> list[float]:
    """Train model on (xs, ys) by mini-batch gradient descent; return the batch loss of each step.

    Every epoch shuffles the examples with one random.Random(seed) (so a seed fixes the whole
    run) and cuts them into batches of batch_size (None: the whole set is one batch; the last
    batch of an epoch may be smaller). Each step is optimizer.zero_grad(); C = the mean of
    loss(model(x), y) over the batch (batch_loss); C.backward(); optimizer.step(). The history
    holds C.data for each step, taken before the step, so it has
    epochs · ceil(len(xs) / batch_size) entries; it is an nn.display.History, a list that a
    notebook shows as a loss curve.

    loss is a per-example loss such as nn.losses.mse; each target y is passed to it as-is,
    except that a plain number y is wrapped as [y] for every loss but cross_entropy (whose
    target is a class index), so labels like [0, 1, 1, 0] work with one-output models.
    With cross_entropy and a model whose output layer is a softmax (an nn.MLP with
    output_activation='softmax'), the loss is taken on that layer's logits z^L, as
    cross_entropy requires.

    progress=None shows a tqdm bar with the current loss only when stderr is a terminal;
    True or False forces it on or off.

    record=Recorder(every=k) keeps the parameters, gradients, z, a, δ, loss and accuracy of
    every k-th step as plain data (see nn.record); it only reads the graph, so the run is the
    same with or without it.

    Ctrl-C (KeyboardInterrupt) stops training cleanly: fit prints one line to stderr with the
    step reached and returns the history of the steps done. The parameters are those after the
    last finished step (or partly updated, if the interrupt came inside optimizer.step()).
    A loss that becomes infinite or NaN (a diverging run) raises TrainingDiverged, which
    carries the history up to that step as .history.

    trace=True (the default) runs each step as an autograd.trace program where the model
    allows it (an nn network, with any of nn.losses' losses): the same losses, gradients and
    errors, exactly, several times faster. Other models and losses, or trace=False, build the
    graph every step (so do the steps that record keeps).
    backend='numpy' runs the traced step as array code over the whole batch (autograd.trace's
    numpy backend: each layer one matrix product); its numbers agree with the exact Python
    program's to rounding. It needs numpy (pip install 'deltagrad[fast]'). The parameters,
    their gradients and the optimizer's state then live in arrays, written back into the
    Values at the end of each epoch, before a step that runs on the Values (one a Recorder
    keeps, or one with an example on a new branch) and whenever fit returns or raises: another
    thread that reads the model during training sees it as of the last epoch's end or later.
    """
    xs, ys = _examples("fit", xs, ys)
    _check_finite_inputs(xs)
    epochs = _positive_int("epochs", epochs)
    n = len(xs)
    size = n if batch_size is None else min(_positive_int("batch_size", batch_size), n)
    if not callable(model):
        raise TypeError(f"fit: model must be callable as model(x), got {type(model).__name__}")
    if not callable(loss):
        raise TypeError(f"fit: loss must be a function loss(pred, y), got {type(loss).__name__}")
    for method in ("zero_grad", "step"):
        if not callable(getattr(optimizer, method, None)):
            raise TypeError(
                f"fit: optimizer must have a {method}() method, like nn.optim.SGD or Adam; got "
                f"{type(optimizer).__name__}"
            )
    if record is not None and not isinstance(record, Recorder):
        raise TypeError(f"fit: record must be an nn.record.Recorder, got {type(record).__name__}")
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"fit: progress must be True, False or None, got {progress!r}")
    row = _cost_row(loss)  # None for a loss of the user's own
    output = output_activation(model)
    if row is not None and output is not None:
        # a pair that does not fit is refused before any step (logits: a linear output may
        # feed a cost that reads z, as cross_entropy on logits)
        costs.check_pair(row, output, logits=True)
    predict = model
    if row is not None and row.reads == "z" and _softmax_output(model):
        predict = _logits_of(model)  # cross_entropy reads the logits z^L of the softmax layer
    if row is None or row.targets.kind != "class":
        ys = [[y] if is_real(y) else y for y in ys]

    if backend not in ("python", "numpy"):
        raise ValueError(f"fit: backend must be 'python' or 'numpy', got {backend!r}")
    if backend == "numpy":
        try:
            import numpy  # noqa: F401
        except ImportError as e:
            raise ImportError(
                "fit(..., backend='numpy') needs numpy: pip install 'deltagrad[fast]', or leave "
                "backend='python'"
            ) from e
    step = _traced_step(model, predict, loss, row, backend) if trace else None
    if step is not None:
        try:  # every example flattened once, for every epoch
            # ints become floats, as Value() and the losses make them (an int would be static)
            examples = [(_floats(x), _floats(y)) for x, y in zip(xs, ys, strict=True)]
            shape, flats = step.prepare(examples)
        except TraceError:  # examples of different shapes: the eager engine
            step = None

    arrays = None
    if step is not None and backend == "numpy":
        arrays = _Arrays.start(step, shape, flats, optimizer)
    show = sys.stderr.isatty() if progress is None else progress
    rng = random.Random(seed)
    order = list(range(n))
    history: list[float] = History()
    steps = epochs * math.ceil(n / size)
    with (
        _stop_on_interrupt(history, steps),  # outermost: the bar is closed before its message
        _progress_bar(steps, show) as bar,
        gc_paused(),  # the step's graphs hold no cycles: the collector would only rescan them
        _kept_in(arrays),  # numpy backend: the arrays written back into the Values at the end
    ):
        for epoch in range(1, epochs + 1):
            rng.shuffle(order)
            for start in range(0, n, size):
                batch = order[start : start + size]
                rec = record if record is not None and record.wants(len(history), steps) else None
                done = arrays.batch(batch) if arrays is not None and rec is None else None
                if done is not None:  # the whole step in arrays, the update included
                    cost = done
                    if not math.isfinite(cost):
                        raise TrainingDiverged(cost, len(history) + 1, epoch, history)
                else:
                    if arrays is not None:  # this step on the Values (a branch, a record)
                        arrays.save()
                    optimizer.zero_grad()
                    if step is not None and rec is None:
                        cost = _traced_batch(step, shape, [flats[i] for i in batch])
                    else:
                        cost = _eager_batch(model, predict, loss, xs, ys, batch, rec, len(history))
                    if not math.isfinite(cost):
                        raise TrainingDiverged(cost, len(history) + 1, epoch, history)
                    optimizer.step()
                    if arrays is not None:
                        arrays.load()
                history.append(cost)
                bar.set_postfix(epoch=epoch, loss=f"{cost:.4g}", refresh=False)
                bar.update()
            if arrays is not None:  # each epoch's parameters in the Values, for other readers
                arrays.save()
    return history


class Training:
    """fit() a few steps at a time: the same shuffled batches and the same steps, resumable.

    Training(model, xs, ys, loss, optimizer, batch_size, seed=seed).run(n) any number of times
    does what one fit(model, xs, ys, loss, optimizer, epochs, batch_size, seed=seed) does over
    as many steps: each epoch shuffles the examples with one random.Random(seed) and cuts them
    into batches; each step is zero_grad, the batch's C, backward and optimizer.step(), traced
    where fit traces (trace=True) and eager on the steps a Recorder keeps. .history holds C of
    every step done. The Python backend only (a page's Python has no numpy).
    """

    def __init__(
        self,
        model: Model,
        xs: Sequence[Any],
        ys: Sequence[Any],
        loss: Loss,
        optimizer: Optimizer,
        batch_size: int | None = None,
        *,
        seed: int = 0,
        trace: bool = True,
    ) -> None:
        xs, ys = _examples("Training", xs, ys)
        _check_finite_inputs(xs)
        self.n = len(xs)
        self.size = (
            self.n if batch_size is None else min(_positive_int("batch_size", batch_size), self.n)
        )
        if not callable(model):
            raise TypeError(
                f"Training: model must be callable as model(x), got {type(model).__name__}"
            )
        if not callable(loss):
            raise TypeError(
                f"Training: loss must be a function loss(pred, y), got {type(loss).__name__}"
            )
        for method in ("zero_grad", "step"):
            if not callable(getattr(optimizer, method, None)):
                raise TypeError(
                    f"Training: optimizer must have a {method}() method, like nn.optim.SGD or "
                    f"Adam; got {type(optimizer).__name__}"
                )
        row = _cost_row(loss)
        output = output_activation(model)
        if row is not None and output is not None:
            costs.check_pair(row, output, logits=True)
        self.predict = model
        if row is not None and row.reads == "z" and _softmax_output(model):
            self.predict = _logits_of(model)
        if row is None or row.targets.kind != "class":
            ys = [[y] if is_real(y) else y for y in ys]
        self.model, self.loss, self.optimizer = model, loss, optimizer
        self.xs, self.ys = xs, ys
        self.step_program = _traced_step(model, self.predict, loss, row) if trace else None
        if self.step_program is not None:
            try:
                examples = [(_floats(x), _floats(y)) for x, y in zip(xs, ys, strict=True)]
                self.shape, self.flats = self.step_program.prepare(examples)
            except TraceError:
                self.step_program = None
        self.rng = random.Random(seed)
        self.order = list(range(self.n))
        self.next = self.n  # where the next batch starts in the epoch's order (n: a new epoch)
        self.epoch = 0
        self.history: list[float] = History()

    def run(self, steps: int, record: Recorder | None = None, total: int | None = None) -> None:
        """Do `steps` more steps (Ctrl-C stops between steps, as fit); C of each goes to .history.

        record keeps the steps record.wants(step, total) of a run of total steps (default: the
        steps done after this call).
        """
        steps = _positive_int("steps", steps)
        if record is not None and not isinstance(record, Recorder):
            raise TypeError(
                f"Training: record must be an nn.record.Recorder, got {type(record).__name__}"
            )
        end = len(self.history) + steps
        total = end if total is None else total
        with _stop_on_interrupt(self.history, total), gc_paused():
            while len(self.history) < end:
                self._step(record, total)

    def _step(self, record: Recorder | None, total: int) -> None:
        if self.next >= self.n:  # a new epoch: shuffle as fit does
            self.rng.shuffle(self.order)
            self.next = 0
            self.epoch += 1
        batch = self.order[self.next : self.next + self.size]
        self.next += self.size
        done = len(self.history)
        rec = record if record is not None and record.wants(done, total) else None
        self.optimizer.zero_grad()
        if self.step_program is not None and rec is None:
            cost = _traced_batch(self.step_program, self.shape, [self.flats[i] for i in batch])
        else:
            cost = _eager_batch(
                self.model, self.predict, self.loss, self.xs, self.ys, batch, rec, done
            )
        if not math.isfinite(cost):
            raise TrainingDiverged(cost, done + 1, self.epoch, self.history)
        self.optimizer.step()
        self.history.append(cost)


class _Arrays:
    """fit's numpy backend: parameters, their gradients and the optimizer's state in arrays.

    Each step runs the traced program's array step over the batch and the optimizer's own
    update() rule on whole arrays (the formula its step() applies to each float), so nothing
    is computed twice; save() writes everything back into the model's Values and the
    optimizer's lists (at the end of fit, and before any step that runs on the Values).
    """

    def __init__(self, np: Any, step: Trace, shape: Any, flats: list[Any], optimizer: Any) -> None:
        self.np = np
        self.step = step
        self.shape = shape
        self.inputs = np.asarray(flats, dtype=float).reshape(len(flats), -1)
        self.first = (1.0, *flats[0])
        self.optimizer = optimizer
        self.params = step.params
        self.sqrt = "sqrt" in inspect.signature(optimizer.update).parameters
        self.grad = np.zeros(len(self.params))
        self.seeds: dict[int, Any] = {}  # ∂C/∂C_x of a batch of m, as an array, by m
        self.load()

    @classmethod
    def start(cls, step: Trace, shape: Any, flats: list[Any], optimizer: Any) -> _Arrays | None:
        """The arrays for this run, or None where the Values must be used step by step: an
        optimizer without update()/state()/begin_step(), or one over other parameters."""
        import numpy as np

        rules = ("update", "state", "begin_step")
        if not flats or not all(callable(getattr(optimizer, r, None)) for r in rules):
            return None
        if _overrides_step(optimizer):  # its own step() must run: on the Values, each step
            return None
        mine = getattr(optimizer, "params", None)
        if not isinstance(mine, list) or len(mine) != len(step.params):
            return None
        if any(p is not q for p, q in zip(mine, step.params, strict=True)):
            return None
        return cls(np, step, shape, flats, optimizer)

    def load(self) -> None:
        """Read the Values' data and the optimizer's state into the arrays."""
        np = self.np
        self.data = np.fromiter((p.data for p in self.params), float, len(self.params))
        self.state = [np.asarray(s, dtype=float) for s in self.optimizer.state()]

    def save(self) -> None:
        """Write the arrays into the Values (data and grad) and the optimizer's state lists."""
        for p, x, g in zip(self.params, self.data.tolist(), self.grad.tolist(), strict=True):
            p.data = x
            p.grad = g
        for kept, array in zip(self.optimizer.state(), self.state, strict=True):
            kept[:] = array.tolist()

    def batch(self, batch: list[int]) -> float | None:
        """One step over these examples, in arrays; its cost C, or None if it must run on the
        Values (an example on another branch, a number the eager engine should report)."""
        np = self.np
        program = self.step.vector(self.shape, self.first)
        if program is None:
            return None
        m = len(batch)
        rows = np.empty((m, self.inputs.shape[1] + 1))
        seeds = self.seeds.get(m)
        if seeds is None:
            seeds = self.seeds[m] = np.array(_batch_seeds(m))
        rows[:, 0] = seeds
        rows[:, 1:] = self.inputs[batch]
        grad = np.zeros(len(self.params))
        try:
            losses = program.step(rows, self.data, grad)
        except (VectorMiss, ArithmeticError, ValueError, DomainError):
            return None
        if not np.isfinite(grad).all():  # the optimizer's step() says which and what to do
            return None
        cost = MEAN.forward(*losses.tolist())  # C = (1/m) Σ_x C_x, as batch_loss's node
        self.grad = grad
        if not math.isfinite(cost):
            return cost
        opt = self.optimizer
        opt.begin_step()
        if self.sqrt:
            self.data, *self.state = opt.update(self.data, grad, *self.state, sqrt=np.sqrt)
        else:
            self.data, *self.state = opt.update(self.data, grad, *self.state)
        return cost


def _overrides_step(optimizer: Any) -> bool:
    """Whether the optimizer's class replaces the step() of the nn.optim class whose update()
    it uses (a subclass that clips gradients, say): the arrays would skip what it adds."""
    cls = type(optimizer)
    owner = next((c for c in cls.__mro__ if "update" in c.__dict__), None)
    step_owner = next((c for c in cls.__mro__ if "step" in c.__dict__), None)
    if owner is None or step_owner is None:
        return True
    return step_owner is not owner and issubclass(step_owner, owner)


@contextlib.contextmanager
def _kept_in(arrays: _Arrays | None) -> Iterator[None]:
    """On every way out of fit, the numpy backend's arrays written back into the Values."""
    try:
        yield
    finally:
        if arrays is not None:
            arrays.save()


class _NoBar:
    """What fit calls on a progress bar, doing nothing: no bar is shown."""

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def set_postfix(self, **values: object) -> None:
        return None

    def update(self) -> None:
        return None


def _progress_bar(steps: int, show: bool) -> Any:
    """tqdm's bar on stderr when shown, else one that does nothing.

    tqdm is imported only to show a bar, so fit runs where there is no terminal and no tqdm
    (a browser's Python).
    """
    if not show:
        return _NoBar()
    try:
        from tqdm import tqdm
    except ImportError as e:
        raise ImportError(
            "fit(progress=True) draws its bar with tqdm, which is not installed: "
            "pip install tqdm, or pass progress=False"
        ) from e
    return tqdm(total=steps, file=sys.stderr, unit="step", desc="fit")


class TrainingDiverged(FloatingPointError):
    """fit stopped because the loss became infinite or NaN; .history holds the steps before."""

    def __init__(self, loss: float, step: int, epoch: int, history: list[float]) -> None:
        super().__init__(
            f"fit: the loss is {loss!r} at step {step} (epoch {epoch}): the training diverged; "
            "try a smaller learning rate (the losses of the steps before are in .history)"
        )
        self.history = history


@contextlib.contextmanager
def _stop_on_interrupt(history: list[float], steps: int) -> Iterator[None]:
    # Ctrl-C ends training, not the program: one line, and fit returns what it has
    try:
        yield
    except KeyboardInterrupt:
        done = len(history)
        print(
            f"fit: interrupted at step {done + 1} of {steps}; returning the loss history of the "
            f"{count(done, 'step')} done",
            file=sys.stderr,
        )


def _cost_row(loss: object) -> costs.Cost | None:
    """The cost table's row of one of nn.losses' losses, or None for any other function."""
    try:
        return costs.get(loss)
    except ValueError:
        return None


def _traced_step(
    model: Any,
    predict: Callable[[Any], Prediction],
    loss: Loss,
    row: costs.Cost | None,
    backend: str = "python",
) -> Trace | None:
    """A trace of loss(predict(x), y) when the model and loss allow it, else None (eager)."""
    # a cost row says whether its branches are all autograd.branch and its constants from the
    # data autograd.max_data (softmax's and cross-entropy's shift), which a trace follows
    if not isinstance(model, MLP | Layer | Neuron) or row is None or not row.traceable:
        return None
    if not is_grad_enabled():
        return None
    return autograd_trace(
        lambda x, y: loss(predict(x), y),
        model.parameters(),
        describe=backprop_notes(model),
        backend=backend,
    )


def _traced_batch(step: Trace, shape: Any, flats: list[tuple[float, ...]]) -> float:
    """Run a batch (examples as step.prepare flattened them) through the program; return C.

    Each example's gradient is scaled by ∂C/∂C_x and C is batch_loss of the examples' losses,
    both from batch_loss itself (traced too), so C and the gradients are eager's to the bit.
    """
    m = len(flats)
    seeds = _batch_seeds(m)
    losses = step.replay(shape, [(s, *f) for s, f in zip(seeds, flats, strict=True)])
    total = _batch_total(m)
    return total.replay(_total_shape(m), [(0.0, *losses)])[0]


def _eager_batch(
    model: Any,
    predict: Callable[[Any], Prediction],
    loss: Loss,
    xs: list[Any],
    ys: list[Any],
    batch: list[int],
    rec: Recorder | None,
    step: int,
) -> float:
    """Run a batch on the eager engine: C's graph, then (if C is finite) backward; return C.

    With a Recorder the forward pass keeps each example's z and a nodes, and the recorder
    reads the step's numbers after backward.
    """
    if rec is None:
        preds = [predict(xs[i]) for i in batch]
    else:
        preds = [rec.forward(model, predict, xs[i], i) for i in batch]
    targets = [ys[i] for i in batch]
    c = batch_loss(loss, preds, targets)
    if not math.isfinite(c.data):
        return c.data  # fit raises TrainingDiverged without a backward pass through it
    c.backward()
    if rec is not None:
        rec.capture(step, model, c, preds, targets)
    return c.data


def _floats(v: Any) -> Any:
    """v with every int in it (not a bool) as a float, lists and tuples as lists."""
    if type(v) is int:
        return float(v)
    if isinstance(v, list | tuple):
        return [_floats(u) for u in v]
    return v


def _total_shape(m: int) -> Any:
    """The trace shape of one list of m floats."""
    return (("n",) * m,)


@functools.lru_cache(maxsize=16)
def _batch_total(m: int) -> Trace:
    # C = batch_loss over m examples as a traced program of their m losses (no parameters)
    return autograd_trace(lambda cs: batch_loss(_itself, cs, [None] * m), [])


def _itself(c: Value, _: object) -> Value:
    return c


@functools.lru_cache(maxsize=64)
def _batch_seeds(m: int) -> list[float]:
    # ∂C/∂C_x for C = batch_loss over m examples, from batch_loss's own backward pass
    leaves = [Value(0.0) for _ in range(m)]
    batch_loss(_itself, leaves, [None] * m).backward()
    return [v.grad for v in leaves]


def _softmax_output(model: object) -> bool:
    layers = getattr(model, "layers", None)
    return bool(layers) and getattr(layers[-1], "activation", None) == "softmax"  # type: ignore[index]


def _logits_of(model: Any) -> Callable[[Any], Prediction]:
    # cross_entropy takes the logits z^L; a softmax layer keeps them as layer.z
    def logits(x: Any) -> Prediction:
        model(x)
        return list(model.layers[-1].z)

    return logits


def accuracy(
    model: Model,
    xs: Sequence[Any],
    ys: Sequence[Any],
    decide: Callable[[Any], object] | None = None,
) -> float:
    """The fraction of examples whose predicted class decide(model(x)) equals the target's class.

    decide maps the model's outputs to a class index; the default, decision_rule(model), reads
    the model's output activation: argmax of several outputs, and for one output the threshold
    σ(0) (0.5 after a sigmoid, ln 2 after softplus, 0 after tanh, a linear output and the relu
    family). A target may be a class index, a
    one-element list [y] or a one-hot list (its argmax); a label −1 counts as class 0, so ±1
    labels work too.
    """
    xs, ys = _examples("accuracy", xs, ys)
    rule = decision_rule(model) if decide is None else decide
    with no_grad():  # no graph is needed to read off predictions
        correct = sum(1 for x, y in zip(xs, ys, strict=True) if rule(model(x)) == target_class(y))
    return correct / len(xs)


def confusion(
    model: Model,
    xs: Sequence[Any],
    ys: Sequence[Any],
    decide: Callable[[Any], object] | None = None,
) -> list[list[int]]:
    """The confusion matrix: counts[t][p] examples of class t that the model puts in class p.

    Classes are read as accuracy() reads them (decide, or decision_rule(model); a target's class
    by nn.classify.target_class) and must be ints from 0; the matrix is square, one row and
    column per class up to the largest seen. Its diagonal holds the correct predictions, so
    accuracy = trace / total.
    """
    xs, ys = _examples("confusion", xs, ys)
    rule = decision_rule(model) if decide is None else decide
    pairs: list[tuple[int, int]] = []
    with no_grad():
        for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
            t, p = target_class(y), rule(model(x))
            for what, c in (("target", t), ("prediction", p)):
                if isinstance(c, bool) or not isinstance(c, int) or c < 0:
                    raise ValueError(
                        f"confusion: example {i}'s {what} is class {c!r}; classes must be ints "
                        "0, 1, 2, ... (pass decide= to map the outputs to one)"
                    )
            pairs.append((int(t), int(p)))  # type: ignore[call-overload]
    size = 1 + max(max(t, p) for t, p in pairs)
    counts = [[0] * size for _ in range(size)]
    for t, p in pairs:
        counts[t][p] += 1
    return counts
