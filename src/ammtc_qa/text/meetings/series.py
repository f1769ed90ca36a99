"""Numbered meetings of any series, recognised from how they are written, with no series listed.

Why wording and not a list: a user's archive brings series this library has never heard of (the
ASEAN Defence Ministers' Meeting, COP sessions, the UN General Assembly). What marks a numbered
meeting in English is its shape: an ordinal, a capitalised name, and an event noun at the end of
the name ("the 12th ASEAN Defence Ministers' Meeting", "Forty-third ASEAN Summit"), or "the Nth
session of the X" ("the 79th session of the UN General Assembly"). Without the event noun an
ordinal is anything ("the 21st century", "the 1st Infantry Division"), so the noun is required.

Acronyms with a number are where false friends live: "COP29" and "G20", "ADMM-12" and "F-16",
"SOMTC-20" and "COVID-19" have the same shape. So an acronym + number is a meeting only when the
acronym is a *known series*: a seed, an acronym the text defines for an event name ("the ASEAN
Defence Ministers' Meeting (ADMM)"), one used with an ordinal ("the 12th ADMM"), or one the caller
knows from elsewhere in the corpus (``known``). Definitions are returned as aliases, so that the
catalogue can merge "ADMM 12" and "ASEAN Defence Ministers Meeting 12" into one meeting.

A series is named by its *kind*: the acronym ("ADMM", "COP") or the normalised event name
("ASEAN Summit", "UN General Assembly": apostrophes dropped, spaces collapsed). Kinds may contain
spaces; a key is ``f"{kind} {number}"``, split with ``rpartition``.

The vocabulary (event nouns and the few words around them) is data, in this module only.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from .numbers import DIGITS_RE, ORDINAL_SUFFIX, SPELLED_RE, parse_number

# --- vocabulary ----------------------------------------------------------------------------------

EVENT_NOUNS: tuple[str, ...] = (
    "Summit", "Meeting", "Conference", "Session", "Forum", "Congress", "Assembly", "Dialogue",
    "Retreat", "Games", "Convention", "Symposium", "Plenum", "Consultation", "Workshop", "Expo",
)  # fmt: skip
"""Words that end the name of a numbered event, capitalised as in a name."""

SESSION_NOUNS: tuple[str, ...] = ("session", "plenary session", "meeting", "plenum", "sitting")
"""Nouns of "the Nth session of the X", any case: the series is X itself (the UN General Assembly).
Other event nouns keep their "of" ("the 28th Conference of the Parties")."""

NOT_AFTER_EVENT: tuple[str, ...] = ("Room", "Hall", "Centre", "Center", "Building", "Venue", "Village",
                                    "Series", "Trophy", "Cup", "Award", "Awards", "Prize", "Medal")
"""Capitalised words that turn a name ending in an event noun into a place or a prize
("the 5th Floor Conference Room", "the 3rd Games Village")."""

NOT_SERIES: frozenset[str] = frozenset({"ASEAN", "NATO", "USA", "WHO", "NASA", "FIFA", "UNESCO", "OPEC"})
"""Acronyms of organisations, which an ordinal ranks rather than numbers ("Vietnam, the 7th ASEAN
member", "the 10th ASEAN.") -- their meetings have event names ("the 47th ASEAN Summit")."""

AFTER_NUMBERED_ACRONYM: frozenset[str] = frozenset(
    {"in", "at", "on", "held", "was", "is", "will", "would", "which", "that", "and", "or", "hosted", "took",
     "opened", "closed", "concluded", "ended", "began", "meeting", "meetings", "summit", "session",
     "sessions", "conference", "chaired", "where", "when", "with", "under", "this", "last", "next",
     "themed", "from", "here", "there", "has", "had", "have", "adopted", "agreed", "discussed",
     "participants", "delegates", "plenary", "be", "kicked", "wrapped", "via", "by", "earlier", "later"}
)  # fmt: skip
"""Lower-case words that may follow "the Nth ACRONYM" when it is a meeting ("the 12th ADMM in
Vientiane", "the 12th ADMM meeting"); a noun there means the acronym is something ranked ("the
2nd BTS album", "the 10th ASEAN member")."""

NUMBER_FOLLOWERS: tuple[str, ...] = ("in", "on", "at", "about", "and", "or", "held", "was", "is", "were",
                                     "will", "to", "for", "of")
"""Words that may follow "NAME 47" (the key's own form, "ASEAN Summit 47") other than punctuation."""

QUANTITY_AFTER: tuple[str, ...] = ("year", "years", "month", "months", "week", "weeks", "day", "days", "hour",
                                   "hours", "minutes", "percent", "per", "times", "million", "billion",
                                   "thousand", "hundred", "people", "members", "countries", "nations")
"""Words after "NAME 12" in a question that make 12 a quantity, not the meeting's number ("the zorblan
summit 10 years ago"): checked where a known series is read loosely (``loose_numbered``)."""

_MONTHS_AND_DAYS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                    "October", "November", "December", "Monday", "Tuesday", "Wednesday", "Thursday",
                    "Friday", "Saturday", "Sunday")

_Span = TypeVar("_Span", bound=tuple[Any, ...])

# --- patterns ------------------------------------------------------------------------------------

_WORD = r"[A-Z][\w&+\-]*(?:['’]s?)?"  # "ASEAN", "G20", "ASEAN-Japan", "ASEAN+3", "Ministers'", "People's"
_BODY_WORD = rf"(?!(?:{'|'.join(_MONTHS_AND_DAYS)})\b){_WORD}"
_CONN = r"(?:(?:of|on|for)(?:\s+the)?|and|&)"
_RUN = rf"{_BODY_WORD}(?:[ \t]+(?:{_CONN}[ \t]+)?{_BODY_WORD}){{0,7}}"  # greedy: "UN General Assembly"
_NOUN = rf"(?:{'|'.join(EVENT_NOUNS)})"
_NOT_AFTER = rf"(?![ \t]+(?:{'|'.join(NOT_AFTER_EVENT)})\b)"
# Body words then the first event noun ("ASEAN Summit", not "ASEAN Summit and Related Summits"),
# then an optional "on/of/for X" ("Conference of the Parties", "Meeting on Agriculture and Forestry").
_NAME = (
    rf"(?P<name>(?:(?P<body>{_BODY_WORD}(?:[ \t]+(?:{_CONN}[ \t]+)?{_BODY_WORD}){{0,7}}?)[ \t]+)?"
    rf"(?P<noun>{_NOUN})(?![\w'’-]){_NOT_AFTER}(?P<tail>[ \t]+(?:of|on|for)(?:[ \t]+the)?[ \t]+{_RUN})?)"
    rf"(?![\w'’-]){_NOT_AFTER}"
)
# The look-around is for speed as well: a spelled ordinal starts with one of these letters, and
# trying ~100 words case-insensitively at every position costs ten times the rest of the scan.
_ORD = (
    rf"(?<![\w-])(?:(?P<d>\d{{1,3}})[ \t]?(?i:{ORDINAL_SUFFIX})|(?=[EFNSTefnst])(?P<s>(?i:{SPELLED_RE})))"
    r"(?![\w-])"
)
_ORD_TRIGGER = re.compile(_ORD)
# Substrings every ordinal contains: most texts have none, and ``in`` is far cheaper than a scan.
_ORDINAL_STEMS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
                  "tenth", "eleventh", "twelfth", "teenth", "tieth")
_DIGIT_ORDINAL = re.compile(rf"\d[ \t]?(?i:{ORDINAL_SUFFIX})")
_SESSION_NOUN = re.compile(rf"(?i:{'|'.join(SESSION_NOUNS)})")
# "a second Summit" is another one, not the 2nd: an ordinal after "a"/"an" is no number.
_ARTICLE_BEFORE = re.compile(r"(?:^|\W)(?:a|an|A|An)[ \t]+$")  # searched in the few characters before
_ACRONYM = r"[A-Z][A-Z]+"
_NAMED = re.compile(rf"{_ORD}[ \t]+{_NAME}")
_SESSION_OF = re.compile(
    rf"{_ORD}[ \t]+(?i:{'|'.join(SESSION_NOUNS)})[ \t]+of[ \t]+(?:the[ \t]+)?(?P<name>{_RUN})(?![\w'’-])"
)
_FOLLOW = rf"(?=[ \t]*(?:[,.;:!?)\"”’]|$)|\s*\n|[ \t]+(?:{'|'.join(sorted(AFTER_NUMBERED_ACRONYM))})\b)"
_ORD_ACRONYM = re.compile(rf"{_ORD}[ \t]+(?P<a>{_ACRONYM})(?![\w&+-]){_FOLLOW}")
_ACRONYM_NUMBER = re.compile(
    rf"(?<![\w&+-])(?P<a>{_ACRONYM})(?:[ \t]?[-–—]?[ \t]?)(?P<n>{DIGITS_RE})(?:{ORDINAL_SUFFIX})?(?![\w-])"
)
# "(ADMM)", "(ADMM-12)", "(ADMM 12)", "(12th ADMM)"
_PAREN = re.compile(
    rf"\([ \t]*(?:{_ORD}[ \t]+)?(?P<a>{_ACRONYM})(?:[ \t]?[-–—]?[ \t]?(?P<n>{DIGITS_RE}))?[ \t]*\)"
)
_NAME_BEFORE = re.compile(rf"(?<![\w'’&+-])(?:{_ORD}[ \t]+)?{_NAME}[ \t]*$")
# "ASEAN Summit 47": the number first (rare), then the name before it (an anchored search).
_NUMBER_AFTER_WORD = re.compile(
    rf"(?<=[\w'’])[ \t](?P<n>\d{{1,3}})(?![\w.,:/-]\w|\w)"
    rf"(?=[ \t]*(?:[,;:!?)\"”’]|\.(?!\d)|$)|[ \t]+(?:{'|'.join(NUMBER_FOLLOWERS)})\b)"
)
_NOUN_RE = re.compile(_NOUN)
_NAME_END = re.compile(rf"(?<![\w'’&+-]){_NAME}$")
_LOOKBACK = 160  # characters searched for the name before "(ADMM)"


@dataclass(frozen=True)
class Reading:
    """One reading of a span as a numbered meeting (``number`` None: an unnumbered definition)."""

    start: int
    end: int
    kind: str
    number: int | None
    full: bool  # an event name with its own ordinal: how a report introduces its meeting
    alias: tuple[str, str] | None = None  # (acronym, name kind) defined here


def normalise_kind(name: str) -> str:
    """The kind of an event name: apostrophes dropped, spaces collapsed, "and Related ..." cut
    ("ASEAN Defence Ministers’ Meeting" -> "ASEAN Defence Ministers Meeting")."""
    name = re.sub(r"['’]", "", name)
    name = re.sub(r"\s+and\s+Related\s+\w+$", "", name)
    return " ".join(name.split()).strip(" .,-")


def fits_acronym(acronym: str, name: str) -> int | None:
    """How many leading words of ``name`` to drop so that ``acronym`` abbreviates the rest, else None.

    The trimmed name must start with the acronym's first letter, the acronym's letters must appear
    in order in the name, and all but one of them (all, for a two-letter acronym) must be initials
    of its words, "of/on/for/the" included ("ADMM": ASEAN Defence Ministers Meeting; "COP":
    Conference of the Parties). So "(VNA)" or "(AI)" after a name is a credit, not a definition."""
    words = name.split()
    for drop in range(len(words)):
        rest = words[drop:]
        if rest[0][:1].upper() != acronym[0]:
            continue
        initials = "".join(w[:1] for w in rest).upper()
        enough = min(len(acronym), max(2, len(acronym) - 1))
        if _subsequence(acronym, initials) >= enough and _subsequence(acronym, "".join(rest).upper()) == len(acronym):
            return drop
    return None


def _subsequence(needle: str, haystack: str) -> int:
    """How many leading characters of ``needle`` appear in order in ``haystack``."""
    i = 0
    for ch in haystack:
        if i < len(needle) and ch == needle[i]:
            i += 1
    return i


def _ordinal(match: re.Match[str]) -> int | None:
    return parse_number(match.group("d") or match.group("s"))


def _name_kind(match: re.Match[str]) -> str | None:
    """The kind of a ``_NAME`` match: a body is required, or a tail ("Conference of the Parties")."""
    if not match.group("body") and (not match.group("tail") or _SESSION_NOUN.fullmatch(match.group("noun"))):
        return None  # "Session of the Scottish Parliament": the series is the parliament
    return normalise_kind(match.group("name"))


def acronyms_with_ordinals(text: str) -> set[str]:
    """Acronyms this text numbers with an ordinal ("the 12th ADMM"): known series for the text."""
    found: set[str] = set()
    for m in _ORD_TRIGGER.finditer(text):
        hit = _ORD_ACRONYM.match(text, m.start())
        if hit and _ordinal(hit) and hit.group("a") not in NOT_SERIES and len(hit.group("a")) > 2:
            found.add(hit.group("a"))
    return found


def readings(text: str, known: Collection[str] = ()) -> Iterator[Reading]:
    """Every generic reading in ``text``; ``known`` are acronyms known to be series elsewhere."""
    series = set(known)
    folded = text.lower()
    has_ordinal = any(stem in folded for stem in _ORDINAL_STEMS) or _DIGIT_ORDINAL.search(text)
    for m in _ORD_TRIGGER.finditer(text) if has_ordinal else ():
        if _ARTICLE_BEFORE.search(text[max(0, m.start() - 4) : m.start()]):
            continue
        hit = _NAMED.match(text, m.start())
        if hit and (number := _ordinal(hit)) and (kind := _name_kind(hit)):
            yield Reading(hit.start(), hit.end(), kind, number, True)
        hit = _SESSION_OF.match(text, m.start())
        if hit and (number := _ordinal(hit)):
            yield Reading(hit.start(), hit.end(), normalise_kind(hit.group("name")), number, True)
        hit = _ORD_ACRONYM.match(text, m.start())
        if hit and (number := _ordinal(hit)):
            acro = hit.group("a")
            if acro in series or (acro not in NOT_SERIES and len(acro) > 2):
                series.add(acro)
                yield Reading(hit.start(), hit.end(), acro, number, False)
    if "(" in text:
        for p in _PAREN.finditer(text):
            acro = p.group("a")
            window_start = max(0, p.start() - _LOOKBACK)
            before = _NAME_BEFORE.search(text, window_start, p.start())
            if before is None or not (kind := _name_kind(before)):
                continue
            drop = fits_acronym(acro, kind)
            if drop is None:
                continue
            start = before.start()
            if drop:
                word_starts = [w.start() for w in re.finditer(r"\S+", before.group("name"))]
                start = before.start("name") + word_starts[drop]
                kind = normalise_kind(text[start : before.end("name")])
            number = parse_number(p.group("n")) if p.group("n") else None
            if number is None and (p.group("d") or p.group("s")):
                number = _ordinal(p)
            if number is None and drop == 0 and (before.group("d") or before.group("s")):
                number = _ordinal(before)
            series.add(acro)
            yield Reading(start, p.end(), acro, number, number is not None, (acro, kind))
    if any(acronym in text for acronym in series):  # a substring test is far cheaper than the scan
        for hit in _ACRONYM_NUMBER.finditer(text):
            if hit.group("a") in series and (number := parse_number(hit.group("n"))):
                yield Reading(hit.start(), hit.end(), hit.group("a"), number, False)
    for hit in _NUMBER_AFTER_WORD.finditer(text):
        if not _NOUN_RE.search(text, max(0, hit.start() - _LOOKBACK), hit.start()):
            continue
        before = _NAME_END.search(text, max(0, hit.start() - _LOOKBACK), hit.start())
        if before and (kind := _name_kind(before)) and (number := parse_number(hit.group("n"))):
            yield Reading(before.start(), hit.end(), kind, number, False)


def loose_kind_pattern(kind: str) -> str:
    """Regex source for ``kind`` as a question may write it, for an ``re.IGNORECASE`` search: any
    case (a two-letter acronym only as written), with or without apostrophes ("Ministers'",
    "Minister’s", "Ministers"), its words split by spaces, hyphens or underscores."""
    words = []
    for word in re.sub(r"['’]", "", kind).split():
        if len(word) > 1 and word[-1] in "sS":
            words.append(re.escape(word[:-1]) + r"['’]?" + re.escape(word[-1]) + r"['’]?")
        else:
            words.append(re.escape(word))
    pattern = r"[\s_–—-]+".join(words)
    return f"(?-i:{pattern})" if kind.isupper() and len(kind) <= 2 else pattern


def fold_kind(surface: str) -> str:
    """A series name as ``loose_kind_pattern`` matches it, reduced to one spelling for look-ups
    ("ASEAN Defence Ministers' Meeting", "asean-defence ministers meeting" -> "asean defence
    ministers meeting")."""
    return " ".join(re.sub(r"[_–—-]", " ", re.sub(r"['’]", "", surface)).split()).casefold()


_LOOSE_ORD = rf"(?<![\w-])(?:(?P<d>\d{{1,3}})[ \t]?{ORDINAL_SUFFIX}|(?P<s>{SPELLED_RE}))[\s_–—-]+(?:the[ \t]+)?"
_LOOSE_NUMBER = (
    rf"[ \t]*[-–—_]?[ \t]*(?P<n>\d{{1,3}})(?:{ORDINAL_SUFFIX})?(?![\w-]|[.,:/]\d|[ \t]*%)"
    rf"(?![ \t]+(?:{'|'.join(QUANTITY_AFTER)})\b)"
)
_LOOSE_END = rf"(?![\w&+'’-])(?![ \t]+(?:{'|'.join(NOT_AFTER_EVENT)})\b)"


@dataclass(frozen=True)
class _Loose:
    before: re.Pattern[str]
    after: re.Pattern[str]
    bare: re.Pattern[str]
    kinds: dict[str, str]  # fold_kind(kind) -> kind


@functools.lru_cache(maxsize=16)
def _loose(kinds: frozenset[str]) -> _Loose | None:
    """One pattern per reading over every kind (longest first, so "ASEAN Summit" is not read
    as a shorter kind inside it); compiled once per catalogue, not per question."""
    ordered = sorted((k for k in kinds if k.strip()), key=lambda k: (-len(k), k))
    if not ordered:
        return None
    names = "(?P<name>" + "|".join(loose_kind_pattern(k) for k in ordered) + ")"
    lookup: dict[str, str] = {}
    for kind in ordered:
        lookup.setdefault(fold_kind(kind), kind)
    return _Loose(
        re.compile(_LOOSE_ORD + names + _LOOSE_END, re.IGNORECASE),
        re.compile(rf"(?<![\w&+-]){names}{_LOOSE_NUMBER}", re.IGNORECASE),
        re.compile(rf"(?<![\w&+-]){names}(?![\w&+'’-])(?![ \t]?[-–—]?[ \t]?\d)", re.IGNORECASE),
        lookup,
    )


def loose_numbered(text: str, kinds: Collection[str]) -> list[tuple[int, int, str, int]]:
    """(start, end, kind, number) of every known series in ``kinds`` written with a number the
    loose way questions are typed: "the 45th asean summit", "admm 12", "cop29", "the forty-fifth
    ASEAN summit", "the 12th asean defence ministers meeting" (no apostrophe).

    Only ``kinds`` are read: a lower-case question never makes up a series ("the 5th floor", "the
    21st century" stay nothing unless the corpus has such a series). The guards of article text
    hold here too: "a second X" is another one, "X Hall" a place, "X 10 years" a quantity, and a
    number is 1-999 (no years)."""
    loose = _loose(frozenset(kinds))
    if loose is None:
        return []
    found: list[tuple[int, int, str, int]] = []
    for m in loose.before.finditer(text):
        if _ARTICLE_BEFORE.search(text[max(0, m.start() - 4) : m.start()]):
            continue
        if (number := _ordinal(m)) and (kind := loose.kinds.get(fold_kind(m.group("name")))):
            found.append((m.start(), m.end(), kind, number))
    for m in loose.after.finditer(text):
        if (number := parse_number(m.group("n"))) and (kind := loose.kinds.get(fold_kind(m.group("name")))):
            found.append((m.start(), m.end(), kind, number))
    return leftmost_longest(found)


def unnumbered(text: str, kinds: Collection[str]) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every kind in ``kinds`` written in ``text`` without a number
    ("the latest ASEAN Summit", "last year's ADMM"), as loosely as ``loose_numbered`` reads them
    (any case, apostrophes and hyphens optional; a two-letter acronym only as written), longest
    first where two overlap."""
    loose = _loose(frozenset(kinds))
    if loose is None:
        return []
    found = [(m.start(), m.end(), loose.kinds[fold_kind(m.group("name"))]) for m in loose.bare.finditer(text)
             if fold_kind(m.group("name")) in loose.kinds]
    return leftmost_longest(found)


def leftmost_longest(found: Iterable[_Span]) -> list[_Span]:
    """Non-overlapping spans (tuples starting ``start, end, ...``): the earliest first, the longest of those."""
    ordered = sorted(found, key=lambda f: (f[0], -(f[1] - f[0])))
    result: list[_Span] = []
    for item in ordered:
        if not result or item[0] >= result[-1][1]:
            result.append(item)
    return result
