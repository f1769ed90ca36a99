"""What the ranker's corpus-wide tables need of a set of articles, as counts that add up.

The meeting catalog (``ranking.questions.MeetingCatalog``), the timeline (``ranking.temporal``)
and the publisher names (``ranking.hints``) read a few fields of every article's ``DocMeta``.
Building them from every article at every change costs O(archive). A ``MetaSummary`` holds the
same information as counts of distinct values -- (meeting, place), (meeting, date), publisher
... -- so a store keeps one per immutable part (a segment, written with it), adds the parts of a
version together and subtracts its few removed articles: O(change + parts) per change, and the
tables are built from O(distinct values), not O(articles).

Where a table's order depends on which article came first (``Counter.most_common`` breaks ties
by first occurrence), each count keeps the position of its first occurrence, ``(part, row,
index)``, so the combined tables are exactly those built from the articles in order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .filters import DocMeta

Order = tuple[int, int, int]
"""Where a value first occurred: (part, document row, index within the document's list)."""


@dataclass
class MetaSummary:
    """Counts over a set of articles (see the module docstring). Tables map a value to
    ``[count, first occurrence]``."""

    meetings: dict[str, list[Any]] = field(default_factory=dict)
    """Stored meeting key -> articles mentioning it."""
    aliases: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    """(acronym, name kind) an article defines -> articles defining it."""
    mains: dict[str, list[Any]] = field(default_factory=dict)
    """Main meeting (stored key) -> articles about it."""
    years: dict[tuple[str, int], list[Any]] = field(default_factory=dict)
    """(main meeting, year of its meeting date or else publication date) -> articles."""
    places: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    """(main meeting, place as written) -> articles."""
    meeting_dates: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    """(main meeting, ISO meeting date) -> articles."""
    published: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    """(main meeting, ISO publication date) -> articles."""
    publishers: dict[str, list[Any]] = field(default_factory=dict)
    """Publisher as written -> articles."""

    TABLES = ("meetings", "aliases", "mains", "years", "places", "meeting_dates", "published", "publishers")

    # -- building -------------------------------------------------------------------------------
    @classmethod
    def of(cls, documents: Iterable[DocMeta], rows: Iterable[int] | None = None, part: int = 0) -> MetaSummary:
        """The summary of ``documents`` (``rows``: their positions, default 0, 1, ...)."""
        out = cls()
        pairs = enumerate(documents) if rows is None else zip(rows, documents, strict=True)
        for row, doc in pairs:
            out._count(doc, (part, row), 1)
        return out

    def _count(self, doc: DocMeta, at: tuple[int, int], sign: int) -> None:
        def add(table: dict[Any, list[Any]], key: Any, j: int = 0) -> None:
            entry = table.get(key)
            if entry is None:
                table[key] = [sign, (*at, j)]
            else:
                entry[0] += sign
                if sign > 0 and (*at, j) < entry[1]:
                    entry[1] = (*at, j)

        for j, key in enumerate(dict.fromkeys(doc.meetings)):
            add(self.meetings, key, j)
        for j, pair in enumerate(dict.fromkeys(doc.aliases)):
            add(self.aliases, (str(pair[0]), str(pair[1])), j)
        if doc.publisher:
            add(self.publishers, doc.publisher)
        main = doc.main_meeting
        if not main:
            return
        add(self.mains, main)
        when = doc.meeting_date or doc.date
        if when:
            add(self.years, (main, when.year))
        for j, place in enumerate(doc.places):  # counted per mention, as the timeline's Counter does
            add(self.places, (main, place), j)
        if doc.meeting_date:
            add(self.meeting_dates, (main, doc.meeting_date.isoformat()))
        if doc.date:
            add(self.published, (main, doc.date.isoformat()))

    def without(self, documents: Sequence[tuple[int, DocMeta]]) -> MetaSummary | None:
        """This summary less ``(row, doc)`` of articles it counted; None when one of them was the
        first occurrence of a value that other articles still hold (the order of that value is then
        unknown, and the caller summarises the remaining articles again)."""
        out = self.copy()
        for row, doc in documents:
            out._count(doc, (-1, row), -1)
        removed = {row for row, _ in documents}
        for name in self.TABLES:
            table = getattr(out, name)
            for key, entry in list(table.items()):
                if entry[0] <= 0:
                    del table[key]
                elif entry[1][1] in removed:
                    return None
        return out

    def copy(self) -> MetaSummary:
        return MetaSummary(**{name: {k: list(v) for k, v in getattr(self, name).items()} for name in self.TABLES})

    @classmethod
    def combine(cls, parts: Sequence[MetaSummary]) -> MetaSummary:
        """The summary of the parts' articles in order (part ``i``'s positions become part ``i``)."""
        out = cls()
        for i, part in enumerate(parts):
            for name in cls.TABLES:
                table = getattr(out, name)
                for key, (count, first) in getattr(part, name).items():
                    at = (i, first[1], first[2])
                    entry = table.get(key)
                    if entry is None:
                        table[key] = [count, at]
                    else:
                        entry[0] += count
                        entry[1] = min(entry[1], at)
        return out

    # -- reading --------------------------------------------------------------------------------
    def ordered(self, name: str) -> list[tuple[Any, int]]:
        """``(value, count)`` of a table in order of first occurrence."""
        table = getattr(self, name)
        return [(k, v[0]) for k, v in sorted(table.items(), key=lambda kv: kv[1][1])]

    # -- storing --------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        def row(key: Any, entry: list[Any]) -> list[Any]:
            return [*(key if isinstance(key, tuple) else (key,)), entry[0], entry[1][1], entry[1][2]]

        return {name: [row(k, v) for k, v in getattr(self, name).items()] for name in self.TABLES}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MetaSummary:
        out = cls()
        for name in cls.TABLES:
            table = getattr(out, name)
            for item in data.get(name) or ():
                *parts, count, row, j = item
                key: Any = str(parts[0]) if len(parts) == 1 else (
                    (str(parts[0]), int(parts[1])) if name == "years" else (str(parts[0]), str(parts[1])))
                table[key] = [int(count), (0, int(row), int(j))]
        return out
