"""Label, the base of structured node labels: what a node IS, kept as data, shown as text."""

from __future__ import annotations

from abc import ABC, abstractmethod


class Label(ABC):
    """A structured label: a record of what a node is; str(label) is its text in one notation.

    Attach one with ``Value(x, label=record)`` or ``v.label_record = record``; ``v.label``
    then reads ``str(record)`` and ``v.label_record`` the record itself. Subclasses (nn's
    notation records) are small immutable objects that many nodes may share.
    """

    __slots__ = ()

    @abstractmethod
    def __str__(self) -> str:
        """The label's text, as Value.label shows it."""


class Renamed(Label):
    """A record with a user's own text on top: the text is shown, the record is kept."""

    __slots__ = ("record", "text")

    def __init__(self, text: str, record: Label) -> None:
        self.text = text
        self.record = record

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Renamed({self.text!r}, {self.record!r})"
