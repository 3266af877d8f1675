"""read_csv and parse_csv: a two-class dataset from CSV (numeric feature columns, then a label).

The last column is the label: 0/1, or two class names (class 0 is the name that sorts first).
A first row whose feature cells are not all numbers is a header and names the columns. Blank
lines are skipped. Every problem raises CSVError with one sentence that names the line. Only a
regular file (after following symbolic links) of at most MAX_BYTES is read: a device such as
/dev/zero or a pipe is refused at once, never read forever or waited on.
"""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass

from .model_file import read_regular_file

__all__ = ["MAX_BYTES", "CSVError", "Table", "parse_csv", "read_csv"]

# the largest CSV file read_csv accepts (16 MiB, far more rows than the playground trains on in
# a page); pass max_bytes= to read_csv, or change this constant, to read larger ones
MAX_BYTES = 16 * 1024 * 1024


class CSVError(ValueError):
    """A CSV file that cannot be read as a two-class dataset; the message names the line."""


@dataclass
class Table:
    """A dataset read from a CSV file: xs[i] are the features of row i, ys[i] its class 0 or 1."""

    features: list[str]
    xs: list[list[float]]
    ys: list[int]
    classes: list[str]  # classes[c] is the label text of class c


def _number(text: str) -> float | None:
    try:
        x = float(text)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def read_csv(path: str | os.PathLike[str], max_bytes: int | None = None) -> Table:
    """Read path as feature columns and a last label column; raise CSVError naming the line."""
    name = os.fspath(path)
    limit = MAX_BYTES if max_bytes is None else max_bytes
    try:
        raw = read_regular_file(
            name,
            limit,
            "read",
            "a CSV file on disk",
            "raise nn.csvfile.MAX_BYTES (or pass read_csv a larger max_bytes)",
        )
    except ValueError as e:  # not a regular file, or too large: the message says it all
        raise CSVError(str(e)) from None
    except OSError as e:
        raise CSVError(f"{name}: cannot read the file ({e})") from None
    try:
        decoded = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise CSVError(f"{name}: cannot read the file ({e})") from None
    return parse_csv(decoded, name)


def parse_csv(text: str, name: str = "the pasted CSV") -> Table:
    """Read CSV text (as read_csv reads a file); raise CSVError naming `name` and the line."""
    if len(text) > MAX_BYTES:
        raise CSVError(f"{name}: {len(text)} characters, more than the {MAX_BYTES} read")
    decoded = text.removeprefix("\ufeff")
    try:
        rows = [
            (n, row) for n, row in enumerate(csv.reader(io.StringIO(decoded, newline="")), start=1)
        ]
    except csv.Error as e:
        raise CSVError(f"{name}: not a CSV file ({e})") from None
    rows = [(n, [cell.strip() for cell in row]) for n, row in rows if any(c.strip() for c in row)]
    if not rows:
        raise CSVError(
            f"{name}, line 1: the file is empty; give feature columns and a label column"
        )
    first_line, first = rows[0]
    width = len(first)
    if width < 3:
        raise CSVError(
            f"{name}, line {first_line}: {width} column(s), but the playground needs at least two "
            "feature columns and a label column (the last one)"
        )
    header = any(_number(cell) is None for cell in first[:-1])
    features = first[:-1] if header else [f"x{k}" for k in range(width - 1)]
    label_name = first[-1] if header else "label"
    data = rows[1:] if header else rows
    if not data:
        raise CSVError(f"{name}: the file has a header (line {first_line}) but no data rows")
    xs: list[list[float]] = []
    labels: list[tuple[int, str]] = []
    for line, row in data:
        if len(row) != width:
            raise CSVError(
                f"{name}, line {line}: {len(row)} column(s), expected {width} "
                f"({', '.join(features)}, {label_name})"
            )
        x = []
        for k, cell in enumerate(row[:-1]):
            value = _number(cell)
            if value is None:
                raise CSVError(
                    f"{name}, line {line}, column {k + 1} ({features[k]}): {cell!r} is not a "
                    "finite number"
                )
            x.append(value)
        if not row[-1]:
            raise CSVError(f"{name}, line {line}: the label ({label_name}) is empty")
        xs.append(x)
        labels.append((line, row[-1]))
    texts = sorted({text for _, text in labels})
    if len(texts) == 1:
        raise CSVError(
            f"{name}, lines {data[0][0]}-{data[-1][0]}: every label is {texts[0]!r}; the "
            "playground needs examples of two classes"
        )
    numeric = [_number(t) for t in texts]
    if all(v is not None for v in numeric) and {float(v or 0) for v in numeric} <= {0.0, 1.0}:
        classes = ["0", "1"]
        ys = [int(float(text)) for _, text in labels]
    else:
        seen: list[str] = []
        for line, text in labels:
            if text not in seen:
                seen.append(text)
            if len(seen) > 2:
                raise CSVError(
                    f"{name}, line {line}: a third class {text!r} (after {seen[0]!r} and "
                    f"{seen[1]!r}); the playground classifies two classes"
                )
        classes = sorted(seen)
        ys = [classes.index(text) for _, text in labels]
    return Table(features, xs, ys, classes)
