"""Time in questions: "the latest AMMTC", "the meeting before the Melaka one", "last year's SOMTC".

Analysts rarely name a meeting by number; they say "the latest", "the previous one", "the one
before X", "next", "this year's". Those words only mean something against a timeline, and the
only timeline the library can trust is the one the corpus itself gives: which meetings its
articles are about, their numbers, places and dates (``profile_article``). So a reference is
resolved against that catalogue -- by number within a series, and by date -- relative to a
reference date (``as_of``, default today), and the reading is always said back to the user in
``answer.notice`` ("latest AMMTC in the corpus: AMMTC 19, Melaka, 2025-09-10") so they can see it
and correct it by naming the meeting. A reference the catalogue cannot settle gets a notice and no
passages: a guess would answer confidently about the wrong meeting.

Readings:

* ``latest``/``most recent``/``last``/``newest``: the highest-numbered meeting of the series dated on
  or before ``as_of`` (across series, for "the latest meeting": the latest by date).
* ``previous``/``prior``/``preceding`` without an anchor: the one before the latest;
  ``next``/``upcoming``: the one after it.
* ``before``/``preceding``/``after``/``following`` + an anchor (a named meeting, "the <place> one",
  "the <year> one"): the neighbour by number in the anchor's series.
* ``earliest``/``oldest``: the lowest-numbered meeting of the series the corpus covers ("first" is
  an ordinal -- "the first AMMTC" is AMMTC 1 -- and is read by the meeting recogniser).
* ``this year's``/``last year's``/``next year's``/``in 2024`` with a series: the series' meetings
  dated in that year.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from ..backends.filters import DocMeta
from ..backends.summary import MetaSummary
from ..text.meetings import find_meetings, meetings_in_question
from ..text.meetings.series import fold_kind, loose_kind_pattern, loose_numbered

__all__ = ["MeetingInfo", "Reading", "Timeline"]


@dataclass(frozen=True)
class MeetingInfo:
    """One meeting as the corpus reports it."""

    key: str
    kind: str
    number: int
    date: dt.date | None
    """When it took place: the date most of the articles about it give, else their earliest
    publication date; None when no article is about it (only mentioned in passing)."""
    places: tuple[str, ...]

    def describe(self) -> str:
        """"AMMTC 19 (Melaka, 2025-09-10)"."""
        detail = [*self.places[:1], *([self.date.isoformat()] if self.date else [])]
        return f"{self.key} ({', '.join(detail)})" if detail else self.key


@dataclass(frozen=True)
class Reading:
    """How a time reference in a question was read."""

    keys: tuple[str, ...]
    """The meetings it resolves to (empty: it could not be resolved)."""
    anchors: tuple[str, ...]
    """Meetings named in the question only as anchors ("the one before AMMTC 19"): not the
    meeting asked about."""
    notice: str
    """The reading, said back to the user, or why there is none."""


def _key_parts(key: str) -> tuple[str, int] | None:
    kind, _, number = key.rpartition(" ")
    return (kind, int(number)) if kind and number.isdigit() else None


_LATEST = r"latest|most[\s-]+recent|last|newest"
_PREVIOUS = r"previous|prior|preceding|penultimate|second[\s-]+(?:to[\s-]+)?last"
_NEXT = r"next|upcoming|forthcoming|coming"
_EARLIEST = r"earliest|oldest"
_NOUNS = r"meeting|summit|session|conference|edition|gathering|one"
"""Singular on purpose: "previous meetings" is vague, "the previous meeting" is one meeting."""
_PLURALS = r"(?:meetings|summits|sessions|conferences|editions)"
_ROLES = r"(?:chairs?|chairman(?:ship)?|chairperson|chairmanship|hosts?|hosting|presidency|secretariat)"
"""After a series name, these make the time word about the role ("the next AMMTC chair"), not the meeting."""
_BEFORE = r"before|preceding|prior\s+to|previous\s+to|ahead\s+of"
_AFTER = r"after|following|succeeding|subsequent\s+to"
_YEAR_WORD = {"this": 0, "last": -1, "next": 1, "previous": -1}


@dataclass(frozen=True)
class Timeline:
    """The meetings the corpus covers, by series, number and date."""

    meetings: dict[str, MeetingInfo]
    by_kind: dict[str, tuple[MeetingInfo, ...]]
    """Each series' meetings, by number."""
    by_place: dict[str, tuple[str, ...]]
    """Casefolded place -> keys of the meetings held there."""
    names: dict[str, str]
    """Folded surface name of a series (its acronym, or an alias; ``fold_kind``) -> its kind."""
    surfaces: frozenset[str] = frozenset()
    """Every surface name of a series as the corpus writes it: what a question may name loosely."""

    @classmethod
    def from_meta(cls, documents: Iterable[DocMeta], aliases: dict[str, str] | None = None,
                  canonical: Callable[[str], str] | None = None) -> Timeline:
        """``aliases``: extra surface names of series (name -> kind); ``canonical``: one key for
        every stored form of a meeting (``MeetingCatalog.canonical``)."""
        return cls.from_summary(MetaSummary.of(documents), aliases, canonical)

    @classmethod
    def from_summary(cls, summary: MetaSummary, aliases: dict[str, str] | None = None,
                     canonical: Callable[[str], str] | None = None) -> Timeline:
        """The timeline of the articles ``summary`` counts (``backends.summary``)."""
        same = canonical or (lambda key: key)
        dates: dict[str, Counter[dt.date]] = defaultdict(Counter)
        published: dict[str, list[dt.date]] = defaultdict(list)
        places: dict[str, Counter[str]] = defaultdict(Counter)
        keys: set[str] = {same(k) for k in summary.meetings} | {same(k) for k in summary.mains}
        for (main, day), count in summary.ordered("meeting_dates"):
            dates[same(main)][dt.date.fromisoformat(day)] += count
        for main, day in summary.published:
            published[same(main)].append(dt.date.fromisoformat(day))
        for (main, place), count in summary.ordered("places"):
            places[same(main)][place] += count
        meetings: dict[str, MeetingInfo] = {}
        for key in keys:
            parts = _key_parts(key)
            if parts is None:
                continue
            when = dates[key].most_common(1)[0][0] if dates[key] else min(published[key], default=None)
            where = tuple(p for p, _ in places[key].most_common())
            meetings[key] = MeetingInfo(key, parts[0], parts[1], when, where)
        by_kind: dict[str, list[MeetingInfo]] = defaultdict(list)
        for info in meetings.values():
            by_kind[info.kind].append(info)
        by_place: dict[str, list[str]] = defaultdict(list)
        for info in meetings.values():
            for place in info.places:
                by_place[place.casefold()].append(info.key)
        surfaces = {*by_kind, *(k for k, v in (aliases or {}).items() if v in by_kind)}
        names = {fold_kind(kind): kind for kind in by_kind}
        names.update({fold_kind(k): v for k, v in (aliases or {}).items() if v in by_kind})
        return cls(meetings, {k: tuple(sorted(v, key=lambda i: i.number)) for k, v in by_kind.items()},
                   {k: tuple(sorted(v)) for k, v in by_place.items()}, names, frozenset(surfaces))

    # -- reading a question ------------------------------------------------------------------

    def read(self, question: str, *, as_of: dt.date | None = None) -> Reading | None:
        """The time reference in ``question`` resolved against the corpus, or None if it has none."""
        if not self.meetings:
            return None
        today = as_of or dt.date.today()
        text = " ".join(question.split())
        series = self._series_pattern
        relative = self._relative(text, series)
        if relative is not None or self._numbered(text):
            return relative  # a question naming its meeting by number means that one ("the next AMMTC chair")
        return self._ordinal_word(text, series, today) or self._year(text, series, today)

    @cached_property
    def _series_pattern(self) -> str:
        """Every series name, any case, apostrophes and hyphens optional (``loose_kind_pattern``)."""
        names = sorted({*self.surfaces, *self.by_kind}, key=len, reverse=True)
        return "|".join(f"(?:{loose_kind_pattern(n)})" for n in names)

    def _kind_of(self, surface: str) -> str | None:
        return self.names.get(fold_kind(surface))

    def _numbered(self, text: str) -> list[str]:
        """The meetings ``text`` names by number, the corpus's series read loosely ("admm 12")."""
        return meetings_in_question(text, kinds=self.surfaces)

    def _relative(self, text: str, series: str) -> Reading | None:
        """"the AMMTC before AMMTC 19", "the meeting after the Melaka one", "the one preceding the 2019 one"."""
        pattern = re.compile(
            rf"\b(?:(?P<series>{series})|{_NOUNS})\s+(?:(?:that\s+was\s+|which\s+was\s+)?held\s+|that\s+came\s+|"
            rf"which\s+came\s+|immediately\s+|just\s+|right\s+)?(?P<dir>{_BEFORE}|{_AFTER})\s+(?P<rest>.*)",
            re.IGNORECASE)
        for match in pattern.finditer(text):
            anchor = self._anchor(match.group("rest"))
            if anchor is None:
                continue
            anchor_key, anchor_text = anchor
            kind = _key_parts(anchor_key)[0]  # type: ignore[index]
            wanted = self._kind_of(match.group("series")) if match.group("series") else kind
            if wanted != kind:
                continue
            step = -1 if re.fullmatch(_BEFORE, match.group("dir"), re.IGNORECASE) else 1
            number = _key_parts(anchor_key)[1] + step  # type: ignore[index]
            word = "before" if step < 0 else "after"
            if number < 1:
                return Reading((), (anchor_key,), f"There is no {kind} before {anchor_key}.")
            key = f"{kind} {number}"
            return self._said(key, (anchor_key,), match.group(0).rstrip("?.!"),
                              f"the {kind} {word} {anchor_text}")
        return None

    def _anchor(self, rest: str) -> tuple[str, str] | None:
        """The meeting an anchor phrase names: a meeting key, "the <place> one/meeting", "the <year> one"."""
        series = self._series_pattern
        named = re.match(rf"(?:the\s+)?(?:(?P<n1>\d{{1,3}})(?:st|nd|rd|th)?\s+(?P<s1>{series})|"
                         rf"(?P<s2>{series})[\s_–-]*(?P<n2>\d{{1,3}}))(?![\w-])", rest, re.IGNORECASE)
        if named:
            kind = self._kind_of(named.group("s1") or named.group("s2"))
            key = f"{kind} {int(named.group('n1') or named.group('n2'))}"
            return key, key
        # spelled and Roman ordinals of the recogniser's series, and of the corpus's written loosely
        mentions = [(m.start, m.key) for m in find_meetings(rest)]
        mentions += [(start, f"{kind} {number}") for start, _, kind, number in loose_numbered(rest, self.surfaces)]
        if mentions and (first := min(mentions))[0] <= 8 and _key_parts(first[1]):
            kind, number = _key_parts(first[1])  # type: ignore[misc]
            key = f"{self.names.get(fold_kind(kind), kind)} {number}"
            return key, key
        head = re.match(r"(?:the\s+)?(?:one\s+(?:in|at)\s+|meeting\s+(?:in|at)\s+)?(?P<what>[\w'’ -]{2,40}?)"
                        rf"(?:\s+(?:{_NOUNS})|[?.,;!]|$)", rest, re.IGNORECASE)
        if head is None:
            return None
        what = head.group("what").strip().casefold()
        keys = self.by_place.get(what)
        if keys and len(keys) == 1:
            return keys[0], f"{keys[0]}, the {head.group('what').strip()} one"
        if re.fullmatch(r"(?:19|20)\d\d", what):
            dated = [i for i in self.meetings.values() if i.date and i.date.year == int(what)]
            if len(dated) == 1:
                return dated[0].key, f"{dated[0].key}, the {what} one"
        return None

    def _ordinal_word(self, text: str, series: str, today: dt.date) -> Reading | None:
        """"the latest AMMTC", "the most recent meeting", "the previous SOMTC", "the next AMMTC"."""
        pattern = re.compile(
            rf"\b(?P<word>{_LATEST}|{_PREVIOUS}|{_NEXT}|{_EARLIEST})\s+(?:(?:[\w'’-]+\s+){{0,4}}?)"
            rf"(?:(?P<series>{series})(?![\w-]*\s*\d)(?!s\b|\s+{_PLURALS}\b|\s+{_ROLES}\b)|(?P<noun>{_NOUNS}))\b",
            re.IGNORECASE)
        for match in pattern.finditer(text):
            word = " ".join(match.group("word").lower().split())
            if re.match(r"(?:last|next|previous)\s+(?:year|week|month)", text[match.start():], re.IGNORECASE):
                continue  # "last year's AMMTC" is a year, read below
            kind = self._kind_of(match.group("series")) if match.group("series") else self._only_series(text)
            if match.group("noun") and kind is None and len(self.by_kind) > 1:
                kind = None  # "the latest meeting" across series: by date
            return self._superlative(word, kind, today, match.group(0))
        return None

    def _only_series(self, text: str) -> str | None:
        """The one series a question names elsewhere ("at AMMTC, what did the latest meeting ..."),
        or the corpus's only series."""
        named = {self._kind_of(m.group()) for m in re.finditer(rf"\b(?:{self._series_pattern})\b", text,
                                                                re.IGNORECASE)} - {None}
        if len(named) == 1:
            return named.pop()
        return next(iter(self.by_kind)) if len(self.by_kind) == 1 else None

    def _superlative(self, word: str, kind: str | None, today: dt.date, phrase: str) -> Reading:
        pool = self.by_kind.get(kind, ()) if kind else tuple(self.meetings.values())
        label = kind or "meeting"
        if re.fullmatch(_EARLIEST, word):
            covered = [i for i in pool if i.date is not None] or list(pool)
            first = min(covered, key=lambda i: (i.date or dt.date.max) if kind is None else i.number)
            return self._said(first.key, (), phrase, f"the earliest {label} in the corpus")
        held = sorted((i for i in pool if i.date is not None and i.date <= today),
                      key=lambda i: (i.date, i.number) if kind is None else (i.number, i.date))
        if not held:
            return Reading((), (), f"The corpus dates no {label} on or before {today.isoformat()}, so "
                                   f"'{word} {label}' cannot be resolved; name the meeting (e.g. "
                                   f"'{(pool[-1].key if pool else 'AMMTC 19')}').")
        latest = held[-1]
        if re.fullmatch(_LATEST, word):
            return self._said(latest.key, (), phrase, f"the latest {label} in the corpus as of {today.isoformat()}")
        if kind is None:
            return Reading((), (), f"'{word} meeting' needs a series when the corpus covers several "
                                   f"({', '.join(sorted(self.by_kind))}); name it.")
        step = 1 if re.fullmatch(_NEXT, word) else -1
        key = f"{kind} {latest.number + step}"
        return self._said(key, (), phrase, f"the {kind} {'after' if step > 0 else 'before'} {latest.key}, "
                                           f"the latest in the corpus as of {today.isoformat()}")

    def _year(self, text: str, series: str, today: dt.date) -> Reading | None:
        """"this year's AMMTC", "last year's SOMTC", "the AMMTC in 2024", "the 2024 AMMTC"."""
        rel = re.search(rf"\b(?P<w>this|last|next|previous)\s+year['’]?s?\s+(?:(?:[\w'’-]+\s+){{0,3}}?)"
                        rf"(?P<series>{series})\b(?![\w-]*\s*\d)", text, re.IGNORECASE)
        year, m = None, None
        if rel:
            year, kind = today.year + _YEAR_WORD[rel.group("w").lower()], self._kind_of(rel.group("series"))
        else:
            m = (re.search(rf"\b(?P<series>{series})\b(?![\w-]*\s*\d)[^.?!]{{0,40}}?\b(?:in|of|during)\s+"
                           r"(?P<y>(?:19|20)\d\d)\b", text, re.IGNORECASE)
                 or re.search(rf"\b(?P<y>(?:19|20)\d\d)(?:['’]s)?\s+(?P<series>{series})\b(?![\w-]*\s*\d)", text,
                              re.IGNORECASE))
            if not m:
                return None
            year, kind = int(m.group("y")), self._kind_of(m.group("series"))
        if kind is None:
            return None
        found = [i for i in self.by_kind.get(kind, ()) if i.date and i.date.year == year]
        if not found:
            return Reading((), (), f"No {kind} dated {year} in the corpus"
                                   f"{self._covered(kind)}; name the meeting to ask about another.")
        keys = tuple(i.key for i in found)
        described = "; ".join(i.describe() for i in found)
        return Reading(keys, (), f"Read '{(rel or m).group(0)}' as {described}: the {kind} the corpus dates in {year}.")

    def _covered(self, kind: str) -> str:
        dated = [i for i in self.by_kind.get(kind, ()) if i.date]
        return f" (it dates {', '.join(f'{i.key} {i.date.year}' for i in dated)})" if dated else ""  # type: ignore[union-attr]

    def _said(self, key: str, anchors: Sequence[str], phrase: str, why: str) -> Reading:
        info = self.meetings.get(key)
        return Reading((key,), tuple(anchors), f"Read '{phrase}' as {info.describe() if info else key}: {why}.")
