"""Model files: any document loads exactly or is refused with ValueError (model unchanged);
the architecture is recorded and checked; saves survive SIGKILL and clean up after it, run
concurrently, and keep symbolic links; reads refuse devices, pipes and oversize files."""

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograd import Value
from nn import MLP, Layer, Module, Neuron

REPO = Path(__file__).parent.parent


def valid_document(model: Any) -> dict[str, Any]:
    return {
        "format": "deltagrad.state_dict",
        "version": 2,
        "architecture": model.architecture(),
        "state": model.state_dict(),
    }


# --------------------------------------------------------------- hypothesis: any document
# A JSON text is drawn as a tree whose objects are lists of (key, value) pairs, so that a
# key can repeat, and whose numbers include what JSON readers disagree on.
NUMBER_TEXTS = ["1e309", "-1e309", "NaN", "Infinity", "-Infinity", "1" + "0" * 400, "-0.0"]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
    st.sampled_from(NUMBER_TEXTS).map(lambda t: ("raw", t)),
)
KEYS = st.sampled_from(
    ["format", "version", "architecture", "state", "layers.0.w", "layers.0.b", "kind", "x"]
)


def trees(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.lists(st.tuples(KEYS | st.text(max_size=3), inner), max_size=4).map(
                lambda pairs: ("object", pairs)
            ),
        ),
        max_leaves=20,
    )


def render(node: Any) -> str:
    if isinstance(node, tuple) and node[0] == "raw":
        return str(node[1])
    if isinstance(node, tuple) and node[0] == "object":
        return "{" + ", ".join(f"{json.dumps(k)}: {render(v)}" for k, v in node[1]) + "}"
    if isinstance(node, list):
        return "[" + ", ".join(render(v) for v in node) + "]"
    return json.dumps(node)


def as_tree(value: Any) -> Any:
    if isinstance(value, dict):
        return ("object", [(k, as_tree(v)) for k, v in value.items()])
    if isinstance(value, list):
        return [as_tree(v) for v in value]
    return value


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A valid document with new numbers, one with parts replaced, or any JSON text."""
    model = MLP(2, [2, 1], seed=0)
    kind = draw(st.sampled_from(["new numbers", "mutated", "mutated", "any"]))
    if kind == "any":
        return render(draw(trees(scalars)))
    document = valid_document(model)
    if kind == "new numbers":  # loads, and must load exactly these numbers
        finite = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**6), 10**6)
        document["state"] = {
            key: json.loads(json.dumps(value), parse_float=lambda _: draw(finite))
            for key, value in document["state"].items()
        }
        return json.dumps(document)
    tree = as_tree(document)
    for _ in range(draw(st.integers(1, 3))):
        tree = mutate(draw, tree)
    return render(tree)


def mutate(draw: st.DrawFn, tree: Any) -> Any:
    # walk down a random path and replace, drop or duplicate what is there
    if isinstance(tree, tuple) and tree[0] == "object" and tree[1] and draw(st.booleans()):
        pairs = list(tree[1])
        i = draw(st.integers(0, len(pairs) - 1))
        action = draw(st.sampled_from(["down", "replace", "drop", "duplicate"]))
        key, value = pairs[i]
        if action == "down":
            pairs[i] = (key, mutate(draw, value))
        elif action == "replace":
            pairs[i] = (key, draw(trees(scalars)))
        elif action == "drop":
            del pairs[i]
        else:
            pairs.append((key, draw(trees(scalars))))
        return ("object", pairs)
    if isinstance(tree, list) and tree and draw(st.booleans()):
        items = list(tree)
        i = draw(st.integers(0, len(items) - 1))
        items[i] = mutate(draw, items[i])
        return items
    return draw(trees(scalars))


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=documents())
def test_any_document_loads_exactly_or_raises_value_error_and_changes_nothing(
    tmp_path: Path, text: str
) -> None:
    path = tmp_path / "model.json"
    path.write_text(text, encoding="utf-8")
    model = MLP(2, [2, 1], seed=1)
    before = model.state_dict()
    try:
        model.load(path)
    except ValueError:
        assert model.state_dict() == before
        return
    state = json.loads(text)["state"]  # what it loaded must be exactly the file's numbers
    assert model.state_dict() == state
    assert all(math.isfinite(p.data) for p in model.parameters())


def test_a_deeply_nested_document_is_a_value_error(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    model = MLP(2, [1], seed=0)
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"model\.json is not a deltagrad state_dict file: its "):
        model.load(path)
    deep_state = '{"format": "deltagrad.state_dict", "version": 1, "state": ' + "[" * 100_000
    path.write_text(deep_state + "]" * 100_000 + "}", encoding="utf-8")
    with pytest.raises(ValueError, match="nested too deeply"):
        model.load(path)
    assert model.state_dict() == before


def test_a_huge_integer_parameter_is_refused_as_not_finite(tmp_path: Path) -> None:
    document = valid_document(MLP(2, [1], seed=0))
    text = json.dumps(document).replace(repr(document["state"]["layers.0.b"][0]), "1" + "0" * 400)
    path = tmp_path / "model.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=r"layers\.0\.b'\]\[0\] is inf; parameters must be fin"):
        MLP(2, [1], seed=0).load(path)


# --------------------------------------------------------------- architecture
@pytest.mark.parametrize(
    ("saved", "loading", "message"),
    [
        (
            MLP(2, [3, 1], activation="tanh", seed=0),
            MLP(2, [3, 1], activation="relu", seed=0),
            r"activations \['tanh', 'linear'\] in the file, \['relu', 'linear'\] here",
        ),
        (
            MLP(2, [3, 1], output_activation="sigmoid", seed=0),
            MLP(2, [3, 1], seed=0),
            r"activations \['tanh', 'sigmoid'\] in the file, \['tanh', 'linear'\] here",
        ),
        (
            MLP(2, [3, 1], seed=0, expand=True),
            MLP(2, [3, 1], seed=0),
            r"expand True in the file, False here",
        ),
        (MLP(2, [3, 1], seed=0), MLP(2, [4, 1], seed=0), r"sizes \[2, 3, 1\] in the file"),
        (Layer(2, 3, "tanh"), Layer(2, 3, "sigmoid"), r"activation 'tanh' in the file, 'sigm"),
        (Neuron(2, "tanh"), Layer(2, 1, "tanh"), r"kind 'Neuron' in the file, 'Layer' here"),
    ],
)
def test_loading_into_a_different_architecture_says_what_differs(
    tmp_path: Path, saved: Any, loading: Any, message: str
) -> None:
    path = tmp_path / "model.json"
    saved.save(path)
    before = loading.state_dict()
    with pytest.raises(ValueError, match=r"was saved from a different architecture: .*" + message):
        loading.load(path)
    assert loading.state_dict() == before


def test_version_1_files_without_an_architecture_still_load(tmp_path: Path) -> None:
    source = MLP(2, [3, 1], seed=0)
    path = tmp_path / "old.json"
    old = {"format": "deltagrad.state_dict", "version": 1, "state": source.state_dict()}
    path.write_text(json.dumps(old), encoding="utf-8")
    target = MLP(2, [3, 1], activation="relu", seed=5)  # version 1 recorded no activations
    target.load(path)
    assert target.state_dict() == source.state_dict()


class Pair(Module):
    """Two parameters and no recorded architecture: the numbers are all its file holds."""

    def __init__(self) -> None:
        self.w = [Value(1.0), Value(2.0)]

    def _tensors(self) -> list[tuple[str, Any]]:
        return [("w", self.w)]


def test_a_module_without_an_architecture_saves_and_loads_the_numbers_only(
    tmp_path: Path,
) -> None:
    path = tmp_path / "pair.json"
    source = Pair()
    source.w[0].data = 0.25
    source.save(path)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document == {"format": "deltagrad.state_dict", "version": 2, "state": {"w": [0.25, 2.0]}}
    target = Pair()
    target.load(path)
    assert target.state_dict() == {"w": [0.25, 2.0]}
    # it checks no architecture a file records: only the numbers have to fit
    path.write_text(json.dumps({**document, "architecture": {"kind": "MLP"}}), encoding="utf-8")
    target.load(path)
    assert target.state_dict() == {"w": [0.25, 2.0]}


# --------------------------------------------------------------- paths and temporaries
def test_save_and_load_errors_name_the_users_path(tmp_path: Path) -> None:
    model = MLP(2, [1], seed=0)
    missing = tmp_path / "nodir" / "sub" / "model.json"
    with pytest.raises(FileNotFoundError) as info:
        model.save(missing)
    text = str(info.value)
    assert str(missing) in text and "does not exist" in text and ".tmp" not in text
    with pytest.raises(IsADirectoryError) as info2:
        model.save(tmp_path)
    assert "it is a folder" in str(info2.value) and ".tmp" not in str(info2.value)
    with pytest.raises(FileNotFoundError, match=r"cannot load .*nothing\.json'?: no such file"):
        model.load(tmp_path / "nothing.json")
    with pytest.raises(IsADirectoryError, match="it is a folder"):
        model.load(tmp_path)
    assert os.listdir(tmp_path) == []


def test_write_stepper_to_a_missing_folder_names_the_path(tmp_path: Path) -> None:
    import viz
    from autograd import Value

    target = tmp_path / "missing" / "stepper.html"
    with pytest.raises(FileNotFoundError, match=r"cannot write the stepper page to .*does not"):
        viz.write_stepper(Value(1.0) * Value(2.0), target)
    with pytest.raises(IsADirectoryError, match="it is a folder"):
        viz.write_stepper(Value(1.0) * Value(2.0), tmp_path)


def test_the_next_save_removes_stale_temporaries_of_its_own_target_only(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    stale = [".model.json.abcd1234.tmp", ".model.json.zz_9yy8x.tmp"]
    others = [".other.json.abcd1234.tmp", ".model.json.abc.tmp", "model.json.abcd1234.tmp"]
    long_ago = time.time() - 3600  # older than STALE_SECONDS: killed saves' leftovers
    for name in stale + others:
        (tmp_path / name).write_text("{", encoding="utf-8")
        os.utime(tmp_path / name, (long_ago, long_ago))
    MLP(2, [1], seed=0).save(path)
    assert sorted(os.listdir(tmp_path)) == sorted(["model.json", *others])


SAVER = """
import sys
from nn import MLP
a, b = MLP(2, [64, 64, 1], seed=1), MLP(2, [64, 64, 1], seed=2)
print("ready", flush=True)
while True:
    a.save(sys.argv[1])
    b.save(sys.argv[1])
"""


@pytest.mark.slow
def test_a_save_killed_at_random_moments_never_corrupts_the_file(tmp_path: Path) -> None:
    import random

    path = tmp_path / "model.json"
    a, b = MLP(2, [64, 64, 1], seed=1), MLP(2, [64, 64, 1], seed=2)
    a.save(path)
    states = [a.state_dict(), b.state_dict()]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    rng = random.Random(0)
    kills = 30
    for _ in range(kills):
        proc = subprocess.Popen(
            [sys.executable, "-c", SAVER, str(path)], stdout=subprocess.PIPE, env=env, text=True
        )
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0.0, 0.05))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stdout.close()
        loaded = MLP(2, [64, 64, 1], seed=3)
        loaded.load(path)  # never a half-written file: always the old or the new model
        assert loaded.state_dict() in states
    leftovers = [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
    print(f"{len(leftovers)} temporaries left by {kills} kills")
    long_ago = time.time() - 3600  # as if the next save came an hour later
    for name in leftovers:
        os.utime(tmp_path / name, (long_ago, long_ago))
    a.save(path)
    assert os.listdir(tmp_path) == ["model.json"], leftovers


def test_a_stale_temporary_younger_than_the_limit_is_kept_as_possibly_live(
    tmp_path: Path,
) -> None:
    # a temporary untouched for STALE_SECONDS is a killed save's; a younger one may be live
    from nn import model_file

    path = tmp_path / "model.json"
    old, young = tmp_path / ".model.json.abcd1234.tmp", tmp_path / ".model.json.efgh5678.tmp"
    for name in (old, young):
        name.write_text("{", encoding="utf-8")
    long_ago = time.time() - model_file.STALE_SECONDS - 60
    os.utime(old, (long_ago, long_ago))
    MLP(2, [1], seed=0).save(path)
    assert sorted(os.listdir(tmp_path)) == sorted(["model.json", young.name])


def _save_many(path: str, seed: int, times: int, start: Any, failures: Any) -> None:
    model = MLP(2, [16, 16, 1], seed=seed)
    start.wait()
    for _ in range(times):
        try:
            model.save(path)
        except Exception as e:  # counted, and reported by the test
            failures.put(f"writer {seed}: {type(e).__name__}: {e}")


def test_concurrent_saves_to_one_path_all_succeed_and_leave_no_debris(tmp_path: Path) -> None:
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    path = str(tmp_path / "model.json")
    start, failures = ctx.Event(), ctx.Queue()
    writers = [
        ctx.Process(target=_save_many, args=(path, seed, 60, start, failures)) for seed in (1, 2)
    ]
    for w in writers:
        w.start()
    start.set()
    for w in writers:
        w.join(timeout=120)
        assert w.exitcode == 0
    errors = []
    while not failures.empty():
        errors.append(failures.get())
    assert errors == []
    assert os.listdir(tmp_path) == ["model.json"]  # no temporary left behind
    states = [MLP(2, [16, 16, 1], seed=seed).state_dict() for seed in (1, 2)]
    loaded = MLP(2, [16, 16, 1], seed=3)
    loaded.load(path)  # one writer's complete document: the last rename wins
    assert loaded.state_dict() in states


def test_saving_through_a_symbolic_link_writes_its_target_and_keeps_the_link(
    tmp_path: Path,
) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "model.json"
    link = tmp_path / "link.json"
    MLP(2, [3, 1], seed=1).save(target)
    link.symlink_to(target)
    model = MLP(2, [3, 1], seed=2)
    model.save(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    loaded = MLP(2, [3, 1], seed=3)
    loaded.load(target)
    assert loaded.state_dict() == model.state_dict()
    assert os.listdir(tmp_path / "real") == ["model.json"]
    assert sorted(os.listdir(tmp_path)) == ["link.json", "real"]


# --------------------------------------------------------------- what a read refuses
def test_loading_a_link_to_dev_zero_is_refused_in_one_line(tmp_path: Path) -> None:
    link = tmp_path / "zero.json"
    link.symlink_to("/dev/zero")
    with pytest.raises(ValueError, match="not a regular file") as info:
        MLP(2, [1], seed=0).load(link)
    assert str(link) in str(info.value) and "\n" not in str(info.value)


def _returns_promptly(call: Any, fifo: Path) -> BaseException | None:
    # call() in a thread; if it still waits after 5 s, a writer opens and closes the FIFO so the
    # thread can end, and the test fails
    import threading

    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
            outcome.append(None)
        except BaseException as e:  # reported to the test
            outcome.append(e)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=5)
    if thread.is_alive():
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(timeout=5)
        pytest.fail(f"reading the FIFO {fifo} waited for a writer")
    return outcome[0]


def test_loading_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "model.json"
    os.mkfifo(fifo)
    error = _returns_promptly(lambda: MLP(2, [1], seed=0).load(fifo), fifo)
    assert isinstance(error, ValueError) and "not a regular file" in str(error)


def test_a_model_file_over_the_size_limit_is_refused_naming_path_and_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nn import model_file

    path = tmp_path / "model.json"
    model = MLP(2, [3, 1], seed=0)
    model.save(path)
    size = path.stat().st_size
    with pytest.raises(ValueError, match=rf"{size - 1:,} bytes") as info:
        model.load(path, max_bytes=size - 1)
    assert str(path) in str(info.value) and "max_bytes" in str(info.value)
    model.load(path, max_bytes=size)  # exactly at the limit is read
    monkeypatch.setattr(model_file, "MAX_BYTES", size - 1)
    with pytest.raises(ValueError, match="larger than the limit"):
        model.load(path)


def test_an_unreadable_model_file_says_cannot_load_and_permission_denied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "model.json"
    model = MLP(2, [1], seed=0)
    model.save(path)
    path.chmod(0)
    if os.access(path, os.R_OK):  # root reads any file: make the open fail as it would
        real_open = os.open

        def refuse(name: Any, flags: int, *args: Any) -> int:
            if os.fspath(name) == str(path):
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(name, flags, *args)

        monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(PermissionError, match=r"^cannot load .*model\.json'?: permission denied"):
        model.load(path)


def test_the_csv_reader_refuses_dev_zero_a_fifo_and_an_oversize_file(tmp_path: Path) -> None:
    from nn.csvfile import CSVError, read_csv

    link = tmp_path / "zero.csv"
    link.symlink_to("/dev/zero")
    with pytest.raises(CSVError, match="not a regular file"):
        read_csv(link)
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    error = _returns_promptly(lambda: read_csv(fifo), fifo)
    assert isinstance(error, CSVError) and "not a regular file" in str(error)
    data = tmp_path / "data.csv"
    data.write_text("a,b,label\n1,2,0\n3,4,1\n", encoding="utf-8")
    assert read_csv(data, max_bytes=data.stat().st_size).ys == [0, 1]
    with pytest.raises(CSVError, match=rf"{data}.*limit of 10 bytes"):
        read_csv(data, max_bytes=10)
