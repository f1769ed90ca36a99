"""One cleaned article and what the library knows about it.

The cleaned ``text`` is the reference for every offset the library hands out: a passage's
``start``/``end`` index into it, so ``document.text[start:end] == passage.text`` always.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from ..errors import CorpusError
from ..text.dates import find_dates, parse_dateline
from ..text.meetings import MeetingProfile, profile_article
from .cleaning import CleanedText, Removal, clean

_BAD_ID = re.compile(r"[\x00-\x1f\x7f]")
MAX_ID_CHARS = 256


def citation(publisher: str | None, title: str | None, doc_id: str, date: dt.date | None) -> str:
    """``Publisher, "Title", 2025-09-11``: what a reader needs to find the article again."""
    return ", ".join([publisher or "Unknown publisher", f'"{title or doc_id}"', date.isoformat() if date else "n.d."])


@dataclass(frozen=True)
class Document:
    """A cleaned article with its citation metadata and extracted meetings."""

    doc_id: str
    text: str
    title: str | None = None
    date: dt.date | None = None
    publisher: str | None = None
    url: str | None = None
    language: str | None = None
    source: str = ""
    meetings: MeetingProfile = field(default_factory=lambda: MeetingProfile(None, (), (), None))
    removed: tuple[Removal, ...] = ()

    @property
    def citation(self) -> str:
        return citation(self.publisher, self.title, self.doc_id, self.date)

    def to_json(self) -> dict[str, object]:
        m = self.meetings
        return {
            "doc_id": self.doc_id, "text": self.text, "title": self.title,
            "date": self.date.isoformat() if self.date else None, "publisher": self.publisher,
            "url": self.url, "language": self.language, "source": self.source,
            "meetings": {"main": m.main, "mentioned": list(m.mentioned), "places": list(m.places),
                         "date": m.date.isoformat() if m.date else None, "aliases": [list(a) for a in m.aliases]},
            "removed": [[r.start, r.end, r.kind, r.text] for r in self.removed],
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Document:
        m = data["meetings"]
        assert isinstance(m, dict)
        profile = MeetingProfile(m["main"], tuple(m["mentioned"]), tuple(m["places"]), _date(m["date"]),
                                 tuple((str(a), str(k)) for a, k in m.get("aliases") or ()))
        removed = tuple(Removal(int(a), int(b), str(k), str(t)) for a, b, k, t in data["removed"])  # type: ignore[union-attr]
        return cls(doc_id=str(data["doc_id"]), text=str(data["text"]), title=data["title"],  # type: ignore[arg-type]
                   date=_date(data["date"]), publisher=data["publisher"], url=data["url"],  # type: ignore[arg-type]
                   language=data["language"], source=str(data["source"]), meetings=profile,  # type: ignore[arg-type]
                   removed=removed)


def _date(value: object) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) and value else None


def check_doc_id(doc_id: str, where: str) -> None:
    """Doc ids end up in citations, JSON and CLI arguments: keep them printable and bounded."""
    if not doc_id or not doc_id.strip():
        raise CorpusError(f"{where}: empty doc id")
    if _BAD_ID.search(doc_id) or len(doc_id) > MAX_ID_CHARS:
        raise CorpusError(f"{where}: doc id {doc_id[:40]!r} has control characters or is over "
                          f"{MAX_ID_CHARS} characters")


def make_document(doc_id: str, raw: str, meta: dict[str, str], *, source: str,
                  markdown: bool = False) -> Document:
    """Clean ``raw`` and extract title, date and meetings; ``meta`` overrides extraction.

    ``markdown=True`` for Markdown sources: heading ``#`` marks are not part of the text or title.
    """
    check_doc_id(doc_id, source)
    cleaned: CleanedText = clean(raw, markdown=markdown)
    if not cleaned.text.strip():
        raise CorpusError(f"{source}: nothing left after cleaning (only page furniture?)")
    title = meta.get("title") or cleaned.title
    date = _published(cleaned, meta, source)
    profile = profile_article(title, cleaned.text, published=date)
    return Document(doc_id=doc_id, text=cleaned.text, title=title, date=date,
                    publisher=meta.get("publisher") or meta.get("source"), url=meta.get("url"),
                    language=meta.get("language"), source=source, meetings=profile,
                    removed=cleaned.removed)


def _published(cleaned: CleanedText, meta: dict[str, str], source: str) -> dt.date | None:
    given = meta.get("date")
    if given:
        parsed = parse_dateline(given, date_order=meta.get("date_order"))
        if parsed is None:
            raise CorpusError(f"{source}: field 'date' {given!r} is not a date")
        return parsed
    if not cleaned.datelines:
        return None
    context = [m.date for m in find_dates(cleaned.text) if m.has_year]
    for line in cleaned.datelines:
        parsed = parse_dateline(line, date_order=meta.get("date_order"), context_dates=context)
        if parsed is not None:
            return parsed
    return None
