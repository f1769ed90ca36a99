"""Which meeting an article is about, where and when it took place: the article-level view.

Series knowledge is pooled over the whole article before its segments are read: an acronym the
article defines or numbers with an ordinal anywhere ("the 12th ASEAN Defence Ministers' Meeting
(ADMM)") makes "ADMM-13" in another paragraph a meeting too, and keys the name form by the acronym.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from ..dates import MONTHS, WEEKDAYS, DateMention, find_dates
from . import MEETING_KINDS, MeetingMention, _find, split_key
from . import series as _series


@dataclass(frozen=True)
class MeetingProfile:
    """What an article is about, meeting-wise, for filtering and boosting at query time."""

    main: str | None  # the meeting the article is mainly about
    mentioned: tuple[str, ...]  # every meeting key mentioned (including main), sorted
    places: tuple[str, ...]  # where the main meeting took place, as written ("Springfield", "Freedonia")
    date: datetime.date | None  # when the main meeting (or the session reported) took place
    aliases: tuple[tuple[str, str], ...] = ()
    """(acronym, name kind) pairs the article defines, e.g. ("ADMM", "ASEAN Defence Ministers Meeting"):
    the catalogue merges them across articles, so "ADMM 12" and the full name are one meeting."""


_PARAGRAPH_SPLIT_RE = re.compile(r"\n[ \t\r\f\v]*\n")
_MIN_PROSE_WORDS = 12
_TITLE_WEIGHT, _LEAD_WEIGHT, _BODY_WEIGHT = 3, 2, 1
_LEAD_PARAGRAPHS = 2
# A full name with an ordinal is how a report introduces the meeting it is about; passing
# references to earlier or later meetings tend to use the bare acronym.
_EXPANDED_BONUS = 1
# A year-less date this far after publication must be from the previous year.
_MAX_DAYS_AHEAD = 183

# Abbreviations that end in a period without ending a sentence (titles, ranks, "No.", initials).
_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "prof", "gen", "lt", "col", "maj", "capt", "sen", "lieut", "sgt",
     "st", "no", "vs", "jr", "sr", "rev", "hon", "gov", "pres", "dept", "corp", "inc", "co", "ltd",
     "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.s"}
)  # fmt: skip
_SENTENCE_END_RE = re.compile(r"[.!?][\"'”’)]*\s+(?=[\"“‘(]?[A-Z0-9])|\n")

_CAP_WORD = r"[A-Z][\w'’.-]*[\w]"
_CAP_RUN = rf"{_CAP_WORD}(?:[ \t]+{_CAP_WORD})*"
_PLACE_RE = re.compile(rf"\b[Ii]n\s+(?P<x>{_CAP_RUN})(?:\s*,\s*(?P<y>{_CAP_RUN})|\s*\(\s*(?P<z>{_CAP_RUN}))?")
# Capitalised words after "in" that are not places: months and weekdays (dates), articles, and
# common capitalised non-place words in titles and bylines.
_NOT_PLACE = frozenset(
    set(MONTHS)
    | set(WEEKDAYS)
    | {"the", "this", "that", "these", "those", "a", "an", "his", "her", "its", "their", "our",
       "addition", "particular", "general", "order", "response", "accordance", "line", "terms",
       "support", "charge", "total", "fact", "short", "brief", "contrast", "turn", "view",
       "combating", "countering", "preventing", "fighting", "enhancing", "promoting", "addressing",
       "strengthening", "implementing", "tackling", "minister", "ministers", "president", "prime",
       "deputy", "mr", "mrs", "ms", "dr", "sen", "lt", "gen", "senior", "vice", "secretary",
       "photo", "asean"}
)  # fmt: skip


@dataclass(frozen=True)
class _Segment:
    """A unit of text (the title or one paragraph) with its weight and position."""

    text: str
    offset: int  # start in the article text; -1 for the title
    weight: int
    is_lead: bool  # the first prose paragraph


def _segments(title: str | None, text: str) -> list[_Segment]:
    """Title and paragraphs. Only prose paragraphs count as the "first two": scraped pages start
    with menus, titles and datelines that are not the lead."""
    segments: list[_Segment] = []
    if title and title.strip():
        segments.append(_Segment(title, -1, _TITLE_WEIGHT, False))
    pos = 0
    prose_seen = 0
    for part in _PARAGRAPH_SPLIT_RE.split(text):
        start = text.find(part, pos)
        pos = start + len(part)
        if not part.strip():
            continue
        is_prose = len(part.split()) >= _MIN_PROSE_WORDS
        weight = _LEAD_WEIGHT if is_prose and prose_seen < _LEAD_PARAGRAPHS else _BODY_WEIGHT
        segments.append(_Segment(part, start, weight, is_prose and prose_seen == 0))
        prose_seen += is_prose
    return segments


def _sentence_bounds(text: str, index: int) -> tuple[int, int]:
    """Start and end of the sentence containing ``text[index]`` (a line break also ends one)."""
    start, end = 0, len(text)
    for match in _SENTENCE_END_RE.finditer(text):
        if match.group() != "\n":
            # Only the word before the stop matters; a bounded window keeps this linear.
            word = re.search(r"([\w.]+)[.!?][\"'”’)]*$", text[max(0, match.start() - 40) : match.start() + 1])
            if word and (word.group(1).lower() in _ABBREVIATIONS or len(word.group(1)) == 1):
                continue
        if match.end() <= index:
            start = match.end()
        else:
            end = match.start() + (0 if match.group() == "\n" else 1)
            break
    return start, end


def _clean_place(run: str) -> str:
    """Trim a capitalised run to the place name: drop trailing acronyms ("Freedonia PDR" -> "Freedonia")."""
    words = run.split()
    while len(words) > 1 and words[-1].isupper() and len(words[-1]) > 1:
        words.pop()
    return " ".join(words).rstrip(".")


def _is_place(run: str | None) -> bool:
    return run is not None and run.split()[0].lower().strip(".") not in _NOT_PLACE


def _places_in(sentence: str, after: int) -> tuple[str, ...]:
    """Places from "in X", "in X, Y", "in X (Y ...)" in a sentence, preferring the first occurrence
    after the meeting mention (``after``), where reports put the venue."""
    matches = [m for m in _PLACE_RE.finditer(sentence) if _is_place(m.group("x"))]
    if not matches:
        return ()
    ordered = [m for m in matches if m.start() >= after] + [m for m in matches if m.start() < after]
    best = ordered[0]
    places = [_clean_place(best.group("x"))]
    extra: str | None = best.group("y") or best.group("z")
    if extra is not None and _is_place(extra):
        places.append(_clean_place(extra))
    return tuple(dict.fromkeys(p for p in places if p))


def _dates_in(text: str, published: datetime.date | None) -> list[DateMention]:
    mentions = find_dates(text, default_year=published.year if published else None)
    if published is None:
        return mentions
    fixed = []
    for m in mentions:
        if not m.has_year and (m.date - published).days > _MAX_DAYS_AHEAD:
            try:
                m = DateMention(m.start, m.end, m.date.replace(year=m.date.year - 1), False)
            except ValueError:  # 29 February
                continue
        fixed.append(m)
    return fixed


def profile_article(
    title: str | None, text: str, *, published: datetime.date | None = None
) -> MeetingProfile:
    """Which meeting an article is mainly about, where and when it took place.

    * main: mentions are weighted by where they occur (title x3, first two prose paragraphs x2,
      elsewhere x1, plus a bonus for a full name with an ordinal); ties go to the first mentioned.
    * places: "in X", "in X, Y", "in X (Y ...)" in the sentence of the main meeting's first mention,
      else in the lead sentence.
    * date: a date in that sentence, else the first in the lead paragraph. Year-less dates take the
      publication year (and the year before, if that would put them months after publication);
      without ``published`` they are ignored rather than guessed.
    """
    segments = _segments(title, text)
    whole = "\n\n".join([title or "", text])
    _, defined = _find(whole)
    known = _series.acronyms_with_ordinals(whole) | set(defined.values())
    scores: dict[str, int] = {}
    first_mention: dict[str, tuple[int, _Segment, MeetingMention]] = {}  # key -> (order, where)
    for segment in segments:
        for mention, full in _find(segment.text, known, defined)[0]:
            scores[mention.key] = scores.get(mention.key, 0) + segment.weight + (_EXPANDED_BONUS * full)
            first_mention.setdefault(mention.key, (len(first_mention), segment, mention))
    mentioned = tuple(sorted(scores, key=_sort_key))
    main = min(scores, key=lambda k: (-scores[k], first_mention[k][0])) if scores else None

    lead = next((s for s in segments if s.is_lead), None)
    sentence = ""
    mention_pos = 0
    if main is not None:
        _, segment, mention = first_mention[main]
        s_start, s_end = _sentence_bounds(segment.text, mention.start)
        sentence = segment.text[s_start:s_end]
        mention_pos = mention.end - s_start
    places = _places_in(sentence, mention_pos) if sentence else ()
    if not places and lead is not None:
        l_start, l_end = _sentence_bounds(lead.text, 0)
        places = _places_in(lead.text[l_start:l_end], 0)

    date = None
    for source in (sentence, lead.text if lead is not None else ""):
        dates = _dates_in(source, published)
        if dates:
            date = dates[0].date
            break
    aliases = tuple(sorted((acronym, kind) for kind, acronym in defined.items()))
    return MeetingProfile(main, mentioned, places, date, aliases)


def _sort_key(key: str) -> tuple[int, str, int]:
    """Sort keys by seed table order, then kind, then number ("AMMTC 9" before "AMMTC 10")."""
    kind, number = split_key(key)
    rank = MEETING_KINDS.index(kind) if kind in MEETING_KINDS else len(MEETING_KINDS)
    return rank, kind, number
