"""One cleaned article and what the library knows about it.

The cleaned ``text`` is the reference for every offset the library hands out: a passage's
``start``/``end`` index into it, so ``document.text[start:end] == passage.text`` always. A
document read from a PDF also keeps where each page starts in that text (``pages``), so a
passage's page is computed from its offset, whatever the chunking did.

A citation never shows an opaque id as a title: an article without one is cited by its file
name made readable ("bbc-business-042" -> "bbc business 042"), or as "Untitled article (file)"
when the name is a hash or a number.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ..errors import CorpusError
from ..settings import IndexSettings
from ..text.dates import find_dates, parse_dateline
from ..text.language import language_of
from ..text.meetings import MeetingProfile, profile_article
from .cleaning import CleanedText, Removal, clean
from .cleaning.datelines import _is_dateline, _is_place_dateline
from .cleaning.pages import running_lines

_BAD_ID = re.compile(r"[\x00-\x1f\x7f]")
MAX_ID_CHARS = 256


def citation(publisher: str | None, title: str | None, doc_id: str, date: dt.date | None, source: str = "",
             page: int | None = None) -> str:
    """``Publisher, "Title", 2025-09-11`` (``, p. 3`` into a PDF): what a reader needs to find the
    article again. Without a title, the file name stands in (``fallback_title``)."""
    parts = [publisher or "Unknown publisher", f'"{title or fallback_title(doc_id, source)}"',
             date.isoformat() if date else "n.d."]
    if page is not None:
        parts.append(f"p. {page}")
    return ", ".join(parts)


_NAME_PARTS = re.compile(r"[\s_\-.+]+")
_OPAQUE = re.compile(r"(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}|[0-9a-f]{32,}|sha1", re.IGNORECASE)
"""A part of a file name that is a hash (hex with letters and digits, 8+ characters)."""


def fallback_title(doc_id: str, source: str = "") -> str:
    """What a citation shows for an article without a title: its file name made readable when it
    has words ("bbc-business-042" -> "bbc business 042"), else "Untitled article (file)"."""
    stem = doc_id.rsplit("/", 1)[-1]
    parts = [p for p in _NAME_PARTS.split(stem) if p and not _OPAQUE.fullmatch(p)]
    if any(sum(c.isalpha() for c in p) >= 3 for p in parts) and not doc_id.startswith("sha1-"):
        return " ".join(parts)
    where = source or doc_id
    rel, sep, line = where.rpartition(":")
    if sep and line.isdigit():
        where = f"{rel}, line {line}"
    return f"Untitled article ({where})"


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
    pages: tuple[int, ...] = ()
    """For a PDF: the offset in ``text`` where each page starts (page 1 at 0); empty otherwise."""
    encoding: str | None = None
    """The legacy encoding the file was decoded from (e.g. ``WINDOWS-1252``); None for UTF-8."""

    @property
    def citation(self) -> str:
        return citation(self.publisher, self.title, self.doc_id, self.date, self.source)

    def page_at(self, offset: int) -> int | None:
        """The (1-based) page of a PDF that holds ``offset`` of the text; None for other documents."""
        if not self.pages:
            return None
        return max(bisect.bisect_right(self.pages, offset), 1)

    def to_json(self) -> dict[str, object]:
        m = self.meetings
        return {
            "doc_id": self.doc_id, "text": self.text, "title": self.title,
            "date": self.date.isoformat() if self.date else None, "publisher": self.publisher,
            "url": self.url, "language": self.language, "source": self.source,
            "meetings": {"main": m.main, "mentioned": list(m.mentioned), "places": list(m.places),
                         "date": m.date.isoformat() if m.date else None, "aliases": [list(a) for a in m.aliases]},
            "removed": [[r.start, r.end, r.kind, r.text] for r in self.removed],
            **({"pages": list(self.pages)} if self.pages else {}),
            **({"encoding": self.encoding} if self.encoding else {}),
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
                   removed=removed, pages=tuple(int(p) for p in data.get("pages") or ()),  # type: ignore[union-attr]
                   encoding=data.get("encoding"))  # type: ignore[arg-type]


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
                  markdown: bool = False, settings: IndexSettings | None = None,
                  fallback_date: dt.date | None = None, pages: Sequence[str] | None = None,
                  encoding: str | None = None) -> Document:
    """Clean ``raw`` and extract title, date, language and meetings; ``meta`` overrides extraction.

    ``markdown=True`` for Markdown sources: heading ``#`` marks are not part of the text or title.
    ``fallback_date``: the date when neither metadata nor a dateline gives one (``date_from``).
    ``pages``: the raw text of each page of a PDF (``raw`` is then ignored): each page is cleaned
    on its own, so that where each page starts in the cleaned text is known exactly.
    ``encoding``: the legacy encoding the file was decoded from, kept for the audit.
    """
    settings = settings or IndexSettings()
    check_doc_id(doc_id, source)
    cleaned, starts = (_clean_pages(pages, settings) if pages is not None
                       else (clean(raw, markdown=markdown), ()))
    if not cleaned.text.strip():
        raise CorpusError(f"{source}: nothing left after cleaning (only page furniture?)")
    title = meta.get("title") or cleaned.title
    date = _published(cleaned, meta, source, settings.body_dateline_lines) or fallback_date
    language = meta.get("language") or language_of(cleaned.text, settings.language_min_confidence)
    profile = profile_article(title, cleaned.text, published=date)
    return Document(doc_id=doc_id, text=cleaned.text, title=title, date=date,
                    publisher=meta.get("publisher") or meta.get("source"), url=meta.get("url"),
                    language=language, source=source, meetings=profile,
                    removed=cleaned.removed, pages=tuple(starts), encoding=encoding)


def _clean_pages(pages: Sequence[str], settings: IndexSettings) -> tuple[CleanedText, list[int]]:
    """Clean each page; join them; ``(cleaned, start of each page in the joined text)``. A page
    left empty starts where the next one does. Removal offsets index the pages joined by
    blank lines, as ``raw`` would be. Running headers and footers (the same line at the margins
    of most pages, ``cleaning.pages``) are removed with the page's furniture."""
    texts: list[str] = []
    starts: list[int] = []
    removed: list[Removal] = []
    datelines: list[str] = []
    title = None
    pos = raw_pos = 0
    running = running_lines(pages, settings.pdf_margin_lines, settings.pdf_running_share)
    for k, page in enumerate(pages):
        cleaned = clean(page, running=running[k]) if page.strip() else CleanedText("", None, (), ())
        if texts and cleaned.text:
            pos += 2  # the blank line between pages
        starts.append(pos)
        if cleaned.text:
            texts.append(cleaned.text)
            pos += len(cleaned.text)
        if title is None and k == 0:
            title = cleaned.title
        datelines.extend(cleaned.datelines)
        removed.extend(replace(r, start=r.start + raw_pos, end=r.end + raw_pos) for r in cleaned.removed)
        raw_pos += len(page) + 2
    starts = [min(s, pos) for s in starts]
    return CleanedText("\n\n".join(texts), title, tuple(datelines), tuple(removed)), starts


def _published(cleaned: CleanedText, meta: dict[str, str], source: str, body_lines: int = 0) -> dt.date | None:
    given = meta.get("date")
    if given:
        parsed = parse_dateline(given, date_order=meta.get("date_order"))
        if parsed is None:
            raise CorpusError(f"{source}: field 'date' {given!r} is not a date")
        return parsed
    context = [m.date for m in find_dates(cleaned.text) if m.has_year]
    for line in cleaned.datelines:
        parsed = parse_dateline(line, date_order=meta.get("date_order"), context_dates=context)
        if parsed is not None:
            return parsed
    return body_dateline(cleaned.text, body_lines, meta.get("date_order"), context)


_LEAD = re.compile(r"\s*(?:\(|\||[-–—]\s|:\s)")
"""Where a dateline that opens a paragraph ends: an agency tag "(VNA)", a dash, a colon, a bar."""
_LEAD_MAX_CHARS = 90


def body_dateline(text: str, paragraphs: int, date_order: str | None = None,
                  context: Sequence[dt.date] = ()) -> dt.date | None:
    """The date of a dateline that opens one of the first ``paragraphs`` paragraphs ("HANOI,
    Sept. 24, 2029 (VNA) - The ministry ...", "March 5, 2023 — Police ..."): what the cleaning's
    dateline rule recognises, when it is followed by the first sentence rather than alone on a
    line. A date inside a sentence is an event, not the publication, and is not taken."""
    for para in text.split("\n\n")[:paragraphs]:
        head = para.strip()[:_LEAD_MAX_CHARS + 5]
        for stop in _LEAD.finditer(head):
            lead = head[:stop.start()].strip().rstrip(",")
            if lead and len(lead) <= _LEAD_MAX_CHARS and (_is_dateline(lead) or _is_place_dateline(lead)):
                parsed = parse_dateline(lead, date_order=date_order, context_dates=context)
                if parsed is not None:
                    return parsed
    return None
