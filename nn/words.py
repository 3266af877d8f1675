"""Words for messages: a count with its noun in the right number, a value's repr cut short."""

from __future__ import annotations

__all__ = ["count", "short"]


def count(n: int, noun: str, plural: str | None = None) -> str:
    """'1 output', '3 outputs'; plural= for irregular nouns ('1 entry', '2 entries')."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


def short(item: object) -> str:
    """repr(item) for a message, cut to 40 characters ('[1, 2, 3, ...')."""
    text = repr(item)
    return text if len(text) <= 40 else text[:37] + "..."
