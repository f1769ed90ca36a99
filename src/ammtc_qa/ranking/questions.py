"""Understanding which meeting a question is about, from what the corpus says.

A question can name a meeting in any surface form ("AMMTC-19", "the 19th AMMTC"), or imply
one through a place or a year ("the Melaka meeting", "in 2019"). Places and years are
mapped to meetings only through what the library extracted from the articles, so the same
code works for any corpus: a year or place that points at more than one meeting implies
nothing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from ..backends.filters import DocMeta
from ..text.meetings import meetings_in_question

_YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")


@dataclass(frozen=True)
class MeetingCatalog:
    """Which documents mention which meeting, and where/when each meeting took place."""

    docs_mentioning: dict[str, frozenset[str]]
    """Doc ids of the articles that mention each meeting."""
    by_year: dict[int, frozenset[str]]
    by_place: dict[str, frozenset[str]]

    @classmethod
    def from_meta(cls, documents: Sequence[DocMeta]) -> MeetingCatalog:
        mentioning: dict[str, set[str]] = defaultdict(set)
        years: dict[int, set[str]] = defaultdict(set)
        places: dict[str, set[str]] = defaultdict(set)
        for doc in documents:
            for key in doc.meetings:
                mentioning[key].add(doc.doc_id)
            if doc.main_meeting:
                when = doc.meeting_date or doc.date
                if when:
                    years[when.year].add(doc.main_meeting)
                for place in doc.places:
                    places[place.casefold()].add(doc.main_meeting)
        freeze = lambda d: {k: frozenset(v) for k, v in d.items()}  # noqa: E731
        return cls(freeze(mentioning), freeze(years), freeze(places))

    @property
    def keys(self) -> list[str]:
        return sorted(self.docs_mentioning, key=_meeting_sort_key)


def _meeting_sort_key(key: str) -> tuple[str, int]:
    kind, _, number = key.partition(" ")
    return kind, int(number) if number.isdigit() else 0


@dataclass(frozen=True)
class QuestionMeetings:
    named: tuple[str, ...]
    """Meetings the question names and the corpus covers."""
    unknown: tuple[str, ...]
    """Meetings the question names that no article mentions."""
    implied: tuple[str, ...]
    """The one meeting a place or year in the question points at, if any."""
    reason: str = ""


def analyse(question: str, catalog: MeetingCatalog) -> QuestionMeetings:
    named = meetings_in_question(question)
    known = tuple(k for k in named if k in catalog.docs_mentioning)
    unknown = tuple(k for k in named if k not in catalog.docs_mentioning)
    if named:
        return QuestionMeetings(known, unknown, (), "named in the question")
    candidates: set[str] | None = None
    reasons = []
    for year in {int(y) for y in _YEAR.findall(question)}:
        if year in catalog.by_year:
            candidates = set(catalog.by_year[year]) if candidates is None else candidates & catalog.by_year[year]
            reasons.append(str(year))
    folded = question.casefold()
    for place, keys in catalog.by_place.items():
        if re.search(rf"\b{re.escape(place)}\b", folded):
            candidates = set(keys) if candidates is None else candidates & keys
            reasons.append(place)
    if candidates is not None and len(candidates) == 1:
        return QuestionMeetings((), (), tuple(candidates), f"implied by {', '.join(reasons)}")
    return QuestionMeetings((), (), ())


def unknown_notice(unknown: Sequence[str], catalog: MeetingCatalog) -> str:
    covered = catalog.keys
    listing = (", ".join(covered[:-1]) + " and " + covered[-1]) if len(covered) > 1 else "".join(covered)
    missing = " or ".join(unknown)
    tail = f"the corpus covers {listing}." if covered else "the corpus mentions no meeting."
    return f"No article in the corpus covers {missing}; {tail}"
