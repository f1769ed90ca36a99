"""Filters: which articles may answer, as a metadata expression every backend evaluates itself.

A ``Filter`` is a conjunction of clauses over an article's metadata; inside one clause, a list
means "any of". It is a value, not a list of row ids, so that each backend can push it into its
own search (a FAISS id selector and a BM25 mask over the local store's columns, a payload filter
in Qdrant) and the ranking code never masks results afterwards.

``Filter.matches`` is the reference semantics: the contract suite checks every backend against it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from ..errors import FilterError


@dataclass(frozen=True)
class DocMeta:
    """What filters, the meeting catalog and citations need of an article, without its text."""

    doc_id: str
    title: str | None = None
    date: dt.date | None = None
    publisher: str | None = None
    language: str | None = None
    url: str | None = None
    source: str = ""
    main_meeting: str | None = None
    meetings: tuple[str, ...] = ()
    """Every meeting the article mentions (canonical keys such as ``"AMMTC 19"``)."""
    places: tuple[str, ...] = ()
    meeting_date: dt.date | None = None
    aliases: tuple[tuple[str, str], ...] = ()
    """(acronym, name kind) pairs the article defines ("ADMM", "ASEAN Defence Ministers Meeting"):
    the meeting catalog merges them across articles. Stores written before the field load as ()."""

    @classmethod
    def of(cls, doc: Any) -> DocMeta:
        """The metadata of a ``Document``."""
        m = doc.meetings
        return cls(doc_id=doc.doc_id, title=doc.title, date=doc.date, publisher=doc.publisher,
                   language=doc.language, url=doc.url, source=doc.source, main_meeting=m.main,
                   meetings=tuple(m.mentioned), places=tuple(m.places), meeting_date=m.date,
                   aliases=tuple(m.aliases))

    @property
    def citation(self) -> str:
        from ..input.document import citation

        return citation(self.publisher, self.title, self.doc_id, self.date, self.source)

    def to_json(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "title": self.title, "date": _iso(self.date), "publisher": self.publisher,
                "language": self.language, "url": self.url, "source": self.source, "main": self.main_meeting,
                "meetings": list(self.meetings), "places": list(self.places), "mdate": _iso(self.meeting_date),
                "aliases": [list(a) for a in self.aliases]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DocMeta:
        return cls(doc_id=str(data["doc_id"]), title=data.get("title"), date=_date(data.get("date")),
                   publisher=data.get("publisher"), language=data.get("language"), url=data.get("url"),
                   source=str(data.get("source") or ""), main_meeting=data.get("main"),
                   meetings=tuple(data.get("meetings") or ()), places=tuple(data.get("places") or ()),
                   meeting_date=_date(data.get("mdate")),
                   aliases=tuple((str(a), str(k)) for a, k in data.get("aliases") or ()))


@dataclass(frozen=True)
class Filter:
    """Which articles may answer. ``None`` means "no constraint"; an empty set matches nothing.

    Every given field must hold (AND); within a field any value may match (OR). Publishers and
    languages compare case-insensitively. A date range excludes articles without a date.
    """

    meetings: frozenset[str] | None = None
    """The article mentions at least one of these meetings."""
    doc_ids: frozenset[str] | None = None
    since: dt.date | None = None
    """The article's date is on or after this day."""
    until: dt.date | None = None
    """The article's date is on or before this day."""
    publishers: frozenset[str] | None = None
    languages: frozenset[str] | None = None

    def __post_init__(self) -> None:
        for name in ("meetings", "doc_ids", "publishers", "languages"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, frozenset):
                object.__setattr__(self, name, _strings(name, value))
        for name in ("since", "until"):
            object.__setattr__(self, name, as_date(getattr(self, name), f"filter {name!r}"))
        if self.publishers is not None:
            object.__setattr__(self, "publishers", frozenset(p.casefold() for p in self.publishers))
        if self.languages is not None:
            object.__setattr__(self, "languages", frozenset(x.casefold() for x in self.languages))

    @classmethod
    def of(cls, value: Filter | Mapping[str, Any] | None) -> Filter | None:
        """A ``Filter`` from a mapping with the user-facing names (``since``, ``until``,
        ``publisher``, ``meeting``, ``language``, ``doc_id``; the plural field names work too).
        Unknown names and bad dates raise ``FilterError`` (a ``ValueError``) naming them."""
        if value is None or isinstance(value, Filter):
            return value
        if not isinstance(value, Mapping):
            raise FilterError(f"filters must be a mapping or an ammtc_qa.Filter, not {type(value).__name__}")
        out: dict[str, Any] = {}
        for key, v in value.items():
            name = _ALIASES.get(key, key)
            if name not in _FIELDS:
                raise FilterError(f"unknown filter field {key!r}; valid fields: {', '.join(sorted(_PUBLIC))}")
            out[name] = v
        return cls(**out)

    @property
    def empty(self) -> bool:
        """True when the filter constrains nothing."""
        return all(getattr(self, f.name) is None for f in fields(self))

    @property
    def dated(self) -> bool:
        return self.since is not None or self.until is not None

    def __and__(self, other: Filter | None) -> Filter:
        """Both filters at once (sets intersect, date ranges narrow)."""
        if other is None:
            return self
        merged: dict[str, Any] = {}
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if a is None or b is None:
                merged[f.name] = a if b is None else b
            elif f.name == "since":
                merged[f.name] = max(a, b)
            elif f.name == "until":
                merged[f.name] = min(a, b)
            else:
                merged[f.name] = a & b
        return replace(self, **merged)

    def matches(self, doc: DocMeta) -> bool:
        """The reference semantics every backend must agree with."""
        if self.doc_ids is not None and doc.doc_id not in self.doc_ids:
            return False
        if self.meetings is not None and not self.meetings.intersection(doc.meetings):
            return False
        if self.dated:
            if doc.date is None:
                return False
            if (self.since and doc.date < self.since) or (self.until and doc.date > self.until):
                return False
        if self.publishers is not None and (doc.publisher or "").casefold() not in self.publishers:
            return False
        return not (self.languages is not None and (doc.language or "").casefold() not in self.languages)

    def describe(self) -> str:
        parts = []
        for f in fields(self):
            v = getattr(self, f.name)
            if v is not None:
                parts.append(f"{f.name}={sorted(v) if isinstance(v, frozenset) else v.isoformat()}")
        return ", ".join(parts) or "no filter"


_FIELDS = {f.name for f in fields(Filter)}
_ALIASES = {"meeting": "meetings", "doc_id": "doc_ids", "publisher": "publishers", "language": "languages"}
_PUBLIC = set(_ALIASES) | {"since", "until"}


def _strings(name: str, value: object) -> frozenset[str]:
    items: Iterable[object] = [value] if isinstance(value, str) else value  # type: ignore[assignment]
    try:
        values = list(items)
    except TypeError:
        raise FilterError(f"filter {name!r} must be a string or a list of strings, not {type(value).__name__}") \
            from None
    bad = [v for v in values if not isinstance(v, str)]
    if bad:
        raise FilterError(f"filter {name!r} must hold strings, got {bad[0]!r}")
    return frozenset(values)  # type: ignore[arg-type]


def as_date(value: object, label: str, *, bad_value: type[Exception] = FilterError,
            bad_type: type[Exception] = FilterError) -> dt.date | None:
    """A day from ``None``, a ``datetime.date``, a ``datetime`` or an ISO string; ``label`` names
    the argument in the error (``bad_value`` for an unreadable string, ``bad_type`` otherwise)."""
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value  # type: ignore[return-value]
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise bad_value(f"{label}: {value!r} is not an ISO date (YYYY-MM-DD)") from None
    raise bad_type(f"{label} must be an ISO date string or a datetime.date, not {type(value).__name__}")


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: object) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) and value else None
