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
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from ..backends.filters import DocMeta
from ..backends.summary import MetaSummary
from ..text.meetings import MEETING_KINDS, meeting_token, meetings_in_question, series_mentions, split_key

_YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")


@dataclass(frozen=True)
class MeetingCatalog:
    """Which documents mention which meeting, and where/when each meeting took place.

    Meeting keys here are canonical: a series the articles write both as an acronym and as a name
    ("ADMM 12", "ASEAN Defence Ministers Meeting 12"; one article's "(ADMM)" definition suffices)
    is one series, keyed by its representative kind (the acronym). ``alias_keys`` gives back every
    stored form, for filters and BM25 tokens; nothing is re-indexed when an article defines an acronym.
    """

    docs_mentioning: Mapping[str, frozenset[str]]
    """Doc ids of the articles that mention each meeting (keys: every meeting an article mentions;
    the ids are looked up when read)."""
    by_year: dict[int, frozenset[str]]
    by_place: dict[str, frozenset[str]]
    series: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Every series: representative kind -> all its kinds, e.g. "ADMM" -> ("ADMM", "ASEAN Defence
    Ministers Meeting"). Kinds may contain spaces."""

    @classmethod
    def from_meta(cls, documents: Sequence[DocMeta]) -> MeetingCatalog:
        docs = list(documents)

        def docs_of(stored: Sequence[str]) -> frozenset[str]:
            wanted = set(stored)
            return frozenset(d.doc_id for d in docs if wanted.intersection(d.meetings))

        return cls.from_summary(MetaSummary.of(docs), docs_of)

    @classmethod
    def from_summary(cls, summary: MetaSummary,
                     docs_of: Callable[[Sequence[str]], frozenset[str]]) -> MeetingCatalog:
        """The catalog of the articles ``summary`` counts (``backends.summary``); ``docs_of(keys)``:
        the ids of the articles that mention any of these stored meeting keys (asked only when
        ``docs_mentioning[key]`` is read)."""
        parent: dict[str, str] = {k: k for k in MEETING_KINDS}

        def root(kind: str) -> str:
            parent.setdefault(kind, kind)
            while parent[kind] != kind:
                parent[kind] = parent[parent[kind]]
                kind = parent[kind]
            return kind

        # in the order the articles gave them (an article's meetings, then its aliases)
        events = sorted([((*e[1][:2], 0, e[1][2]), k, None) for k, e in summary.meetings.items()]
                        + [((*e[1][:2], 1, e[1][2]), a, n) for (a, n), e in summary.aliases.items()],
                        key=lambda ev: ev[0])
        for _, first, second in events:
            if second is None:
                root(split_key(first)[0])
            else:
                a, b = root(first), root(second)
                if a != b:
                    parent[b] = a
        classes: dict[str, list[str]] = defaultdict(list)
        for kind in list(parent):
            classes[root(kind)].append(kind)
        series = {_pick_representative(kinds): tuple(sorted(kinds, key=_kind_order)) for kinds in classes.values()}
        rep = {kind: r for r, kinds in series.items() for kind in kinds}

        def canonical(key: str) -> str:
            kind, number = split_key(key)
            return f"{rep.get(kind, kind)} {number}"

        stored: dict[str, list[str]] = defaultdict(list)
        for key, _ in summary.ordered("meetings"):
            stored[canonical(key)].append(key)
        years: dict[int, set[str]] = defaultdict(set)
        places: dict[str, set[str]] = defaultdict(set)
        for main, year in summary.years:
            years[year].add(canonical(main))
        for main, place in summary.places:
            places[place.casefold()].add(canonical(main))
        freeze = lambda d: {k: frozenset(v) for k, v in d.items()}  # noqa: E731
        return cls(_Mentioning({k: tuple(v) for k, v in stored.items()}, docs_of), freeze(years), freeze(places),
                   series)

    @property
    def keys(self) -> list[str]:
        return sorted(self.docs_mentioning, key=_meeting_sort_key)

    @cached_property
    def _representative(self) -> dict[str, str]:
        return {kind: rep for rep, kinds in self.series.items() for kind in kinds}

    @cached_property
    def acronyms(self) -> frozenset[str]:
        """Acronyms known to be meeting series: "ADMM-12" in a question is a meeting if ADMM is one."""
        return frozenset(k for k in self._representative if " " not in k and k.isupper())

    @cached_property
    def kinds(self) -> frozenset[str]:
        """Every name of every series the corpus knows (acronyms and event names, seeds included):
        what a question may write in any case ("the 45th asean summit", "admm 12")."""
        return frozenset(self._representative)

    def canonical(self, key: str) -> str:
        """The catalog's key for any stored form ("ASEAN Defence Ministers Meeting 12" -> "ADMM 12")."""
        kind, number = split_key(key)
        return f"{self._representative.get(kind, kind)} {number}"

    def alias_keys(self, key: str) -> tuple[str, ...]:
        """Every form of a meeting's key the articles may store (for filters and BM25 tokens)."""
        kind, number = split_key(self.canonical(key))
        return tuple(f"{k} {number}" for k in self.series.get(kind, (kind,)))

    def series_in(self, question: str) -> list[str]:
        """Series a question names without a number, as representative kinds, in order: "the
        latest ASEAN Summit" -> ["ASEAN Summit"], "last year's ADMM" -> ["ADMM"] (also when the
        corpus writes it only as "ASEAN Defence Ministers' Meeting"). Numbered meetings are
        ``analyse``'s; see ``keys_of`` for the meetings of a series."""
        found = series_mentions(question, self._representative)
        return list(dict.fromkeys(self._representative.get(kind, kind) for _, _, kind in found))

    def keys_of(self, kind: str) -> list[str]:
        """The meetings of a series the corpus mentions, by number ("AMMTC" -> ["AMMTC 12", ...])."""
        rep = self._representative.get(kind, kind)
        return sorted((k for k in self.docs_mentioning if split_key(k)[0] == rep), key=_meeting_sort_key)


class _Mentioning(Mapping[str, frozenset[str]]):
    """Canonical meeting key -> ids of the articles mentioning it, looked up on first read."""

    def __init__(self, stored: dict[str, tuple[str, ...]], docs_of: Callable[[Sequence[str]], frozenset[str]]) -> None:
        self._stored = stored
        self._docs_of = docs_of
        self._found: dict[str, frozenset[str]] = {}

    def __getitem__(self, key: str) -> frozenset[str]:
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = self._docs_of(self._stored[key])
        return found

    def __contains__(self, key: object) -> bool:
        return key in self._stored

    def __iter__(self) -> Iterator[str]:
        return iter(self._stored)

    def __len__(self) -> int:
        return len(self._stored)


def _kind_order(kind: str) -> tuple[int, int, int, str]:
    """Seeds first, then acronyms, shortest first."""
    return (kind not in MEETING_KINDS, not (" " not in kind and kind.isupper()), len(kind), kind)


def _pick_representative(kinds: Sequence[str]) -> str:
    return min(kinds, key=_kind_order)


def _meeting_sort_key(key: str) -> tuple[str, int]:
    return split_key(key)


@dataclass(frozen=True)
class QuestionMeetings:
    named: tuple[str, ...]
    """Meetings the question names and the corpus covers."""
    unknown: tuple[str, ...]
    """Meetings the question names that no article mentions."""
    implied: tuple[str, ...]
    """The one meeting a place or year in the question points at, if any."""
    reason: str = ""
    aliases: tuple[str, ...] = ()
    """Every stored form of the named meetings' keys ("ADMM 12", "ASEAN Defence Ministers Meeting 12"):
    what a meeting filter must accept."""

    @property
    def tokens(self) -> list[str]:
        """The BM25 meeting tokens of every form of the named meetings."""
        return list(dict.fromkeys(meeting_token(k) for k in self.aliases))


def analyse(question: str, catalog: MeetingCatalog) -> QuestionMeetings:
    found = meetings_in_question(question, known=catalog.acronyms, kinds=catalog.kinds)
    named = list(dict.fromkeys(catalog.canonical(k) for k in found))
    known = tuple(k for k in named if k in catalog.docs_mentioning)
    unknown = tuple(k for k in named if k not in catalog.docs_mentioning)
    if named:
        aliases = tuple(a for k in known for a in catalog.alias_keys(k))
        return QuestionMeetings(known, unknown, (), "named in the question", aliases)
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
