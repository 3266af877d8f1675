"""Words for messages: a count with its noun in the right number ("1 output", "2 outputs")."""

from __future__ import annotations

__all__ = ["count"]


def count(n: int, noun: str, plural: str | None = None) -> str:
    """'1 output', '3 outputs'; plural= for irregular nouns ('1 entry', '2 entries')."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"
