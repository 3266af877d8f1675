"""The live playground's Python: settings in, a run trained a few steps a call, its data out.

One run lives in this module (one Python per page). start() builds it from the page's settings
through viz.playground_run (the code `deltagrad playground` runs), train() does a few more
steps and records the numbers at the parameters reached, and the page (viz/playground.html,
the desktop page's renderer, live) draws them: every number it shows comes from here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from nn import notation as nt
from nn.activations import HIDDEN_ACTIVATIONS
from nn.csvfile import CSVError, parse_csv
from nn.data import DATASETS
from nn.record import FORMAT, Recorder

from ..numbers import number
from ..playground import about_line, playground_data, playground_html
from ..playground_run import (
    COSTS,
    OPTIMIZERS,
    Data,
    Run,
    Settings,
    SettingsError,
    hidden_sizes,
    table_data,
    toy_data,
)

__all__ = ["CALLS", "options", "parameters", "reset", "start", "train", "view"]

MAX_RECORDS = 60  # recorded steps a page holds (older ones are thinned, every other one)
FULL = 1  # the newest recorded step keeps each example's z, a, δ (older ones: their means)
MAX_STEPS = 1000  # steps one call may train
MAX_POINTS = 2000  # points of a toy dataset in the page
CSV_NAME = "data.csv"  # what the rerun command calls a pasted CSV (saved under this name)


class _State:
    """The page's run, its recorded steps and how they are shown."""

    def __init__(self, run: Run, notation: str, args: dict[str, Any]) -> None:
        self.run, self.notation, self.args = run, notation, args
        self.records: list[dict[str, Any]] = []


_state: _State | None = None


def options() -> dict[str, Any]:
    """What the page offers: datasets, activations, costs, optimizers, notations, defaults."""
    d = Settings()
    return {
        "datasets": sorted(DATASETS),
        "activations": list(HIDDEN_ACTIVATIONS),
        "costs": [
            {"value": name, "label": words, "output": output}
            for name, (output, words) in COSTS.items()
        ],
        "optimizers": [{"value": k, "label": v} for k, v in OPTIMIZERS.items()],
        "notations": [{"value": k, "label": n.title} for k, n in nt.NOTATIONS.items()],
        "defaults": {
            "dataset": "moons",
            "points": 100,
            "hidden": ",".join(map(str, d.sizes[1:-1])),
            "activation": d.activation,
            "cost": d.cost,
            "optimizer": d.optimizer,
            "lr": f"{d.lr:g}",
            "batch_size": "",
            "seed": d.seed,
            "notation": "nielsen",
        },
    }


def _whole(name: str, value: Any, blank: int | None = None) -> int | None:
    """A whole number from the page (a number or its text); blank text gives `blank`."""
    if isinstance(value, str):
        if not value.strip():
            if blank is None and name != "batch size":
                raise SettingsError(f"{name}: give a whole number")
            return blank
        try:
            return int(value.strip())
        except ValueError:
            raise SettingsError(f"{name}: {value!r} is not a whole number") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise SettingsError(f"{name}: {value!r} is not a whole number")
    return int(value)


def _rate(value: Any) -> float:
    try:
        lr = float(value)
    except (TypeError, ValueError):
        lr = math.nan
    if not (math.isfinite(lr) and lr > 0):
        raise SettingsError(f"learning rate: expected a number > 0 like 0.03, got {value!r}")
    return lr


def _data(dataset: str, points: Any, csv: str | None, seed: int) -> Data:
    if dataset == "csv":
        if not csv or not csv.strip():
            raise SettingsError("CSV: paste or open a CSV file (feature columns, then a label)")
        try:
            table = parse_csv(csv, "the CSV")
        except CSVError as e:
            raise SettingsError(str(e)) from None
        return table_data(table, "your CSV", CSV_NAME)
    n = _whole("points", points)
    assert n is not None
    if n > MAX_POINTS:  # a page trains in a browser's Python: keep a step quick
        raise SettingsError(f"points: at most {MAX_POINTS} in the page, got {n}")
    return toy_data(dataset, n, seed)


def start(
    dataset: str = "moons",
    points: Any = 100,
    csv: str | None = None,
    hidden: str = "8,8",
    activation: str = "tanh",
    cost: str = "binary_cross_entropy_with_logits",
    optimizer: str = "adam",
    lr: Any = 0.03,
    batch_size: Any = None,
    seed: Any = 0,
    notation: str = "nielsen",
) -> dict[str, Any]:
    """A new run from the page's settings (its step 0 recorded): the page to show, in full."""
    global _state
    args = dict(locals())
    nt.get(notation)  # an unknown notation: its ValueError names the known ones
    chosen_seed = _whole("seed", seed)
    assert chosen_seed is not None
    data = _data(dataset, points, csv, chosen_seed)
    inner = hidden_sizes(str(hidden))
    settings = Settings(
        (len(data.xs[0]), *inner, 1),
        activation,
        cost,
        optimizer,
        _rate(lr),
        _whole("batch size", batch_size) if batch_size is not None else None,
        chosen_seed,
    )
    state = _State(Run(settings, data), notation, args)
    _record(state)
    _state = state
    run = state.run
    html = playground_html(
        _recording(state),
        run.model,
        data.xs,
        data.ys,
        notation=notation,
        title="Live playground: MLP " + "-".join(map(str, settings.sizes)),
        about=run.about(None),
        rerun=_rerun(state),
        features=data.features,
        classes=data.classes,
        live=True,
    )
    return {"html": html, **_summary(state)}


def _record(state: _State) -> None:
    """Record the numbers at the parameters now; thin the older records."""
    recorder = Recorder()
    state.run.record_state(recorder)
    records = state.records
    records.append(recorder.steps[-1])
    if len(records) > MAX_RECORDS:
        state.records = records = [*records[:-1][::2], records[-1]]
    for old in records[:-FULL]:
        if old["examples"]:  # the means, parameters and gradients stay
            old["examples"] = []
            for key in ("z", "a", "delta", "sigma_prime"):
                old[key] = [[[] for _ in layer] for layer in old[key]]
            old["dC_da"] = [[] for _ in old["dC_da"]]


def _recording(state: _State) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": 1,
        "every": None,
        "total_steps": state.run.done + 1,
        "steps": state.records,
    }


def _rerun(state: _State) -> str:
    run = state.run
    saved = f" (the CSV saved as {CSV_NAME})" if state.args["dataset"] == "csv" else ""
    return f"The same run on the desktop{saved}: {run.command()}"


def _summary(state: _State) -> dict[str, Any]:
    run = state.run
    last = state.records[-1]
    return {
        "step": run.done,
        "loss": number(last["loss"]),
        "accuracy": f"{100 * last['accuracy']:.0f}%",
        "command": run.command(),
        "about": run.about(None),
    }


def _current() -> _State:
    if _state is None:
        raise RuntimeError("no run yet: start one first")
    return _state


def _shown(state: _State) -> dict[str, Any]:
    run = state.run
    data = playground_data(
        _recording(state),
        run.model,
        run.data.xs,
        run.data.ys,
        notation=state.notation,
        features=run.data.features,
        classes=run.data.classes,
    )
    data["live"] = True
    about = about_line(run.about(None), state.notation)
    return {"data": data, "rerun": _rerun(state), **_summary(state), "about": about}


def train(steps: Any = 10) -> dict[str, Any]:
    """Train `steps` more steps, record the numbers at the parameters reached, and show them."""
    n = _whole("steps", steps)
    if n is None or not 1 <= n <= MAX_STEPS:
        raise SettingsError(f"steps: train 1 to {MAX_STEPS} steps per call, got {steps!r}")
    state = _current()
    state.run.train(n)
    _record(state)
    return _shown(state)


def view(notation: str) -> dict[str, Any]:
    """The same run shown in another notation (nn.notation: nielsen, lfd, ng, goodfellow)."""
    nt.get(notation)
    state = _current()
    state.notation = notation
    state.args["notation"] = notation
    return _shown(state)


def reset() -> dict[str, Any]:
    """The run started again from its settings: the same seed gives the same start."""
    return start(**_current().args)


def parameters() -> dict[str, Any]:
    """The steps trained and every parameter's value (model.parameters() order), unformatted."""
    state = _current()
    return {"steps": state.run.done, "parameters": state.run.parameters()}


CALLS: dict[str, Callable[..., Any]] = {
    "options": options,
    "start": start,
    "train": train,
    "view": view,
    "reset": reset,
    "parameters": parameters,
}
