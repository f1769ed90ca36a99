"""Recognise references to numbered meetings ("AMMTC 7", "the 25th ASEAN Senior Officials Meeting on
Transnational Crime", "the 47th ASEAN Summit", "COP29") and profile which meeting an article is about.

Why canonical keys: news reports name the same meeting in a dozen ways ("AMMTC-7", "7th AMMTC",
"7th ASEAN Ministerial Conference on Transnational Crime"), and a question may use any of them.
Mapping every form to one key ("AMMTC 7") -- and to one lexical token ("ammtc_7") -- lets
retrieval match a question to the passages about that meeting, whatever wording either side uses,
and lets the answerer tell the 7th meeting from the 8th (which word overlap alone cannot).

Two sources of readings: the seed series (``MEETING_NAME_PATTERNS``: acronym -> the ways its
expanded name is written, more than a generic rule can guess), and any other numbered series,
recognised from its wording (``series``: an ordinal with an event name, an acronym the text defines
or numbers with an ordinal). A key is ``f"{kind} {number}"`` where the kind is an acronym or a
normalised event name and may contain spaces ("ASEAN Summit 47"): split keys with ``rpartition``.

Nothing here knows about particular articles, meetings or places.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from . import series as _series
from .numbers import DIGITS_RE, MAX_MEETING_NUMBER, ORDINAL_SUFFIX, ROMAN_RE, SEP, SPELLED_RE, parse_number

__all__ = [
    "MEETING_KINDS",
    "MEETING_NAME_PATTERNS",
    "MAX_MEETING_NUMBER",
    "MeetingMention",
    "MeetingProfile",
    "canonical_meeting",
    "find_meetings",
    "meeting_aliases",
    "meeting_token",
    "meetings_in_question",
    "profile_article",
    "series_mentions",
    "split_key",
]

MEETING_NAME_PATTERNS: dict[str, str] = {
    # "ASEAN Ministerial Meeting on Transnational Crime", "ASEAN Ministers' Meeting on Transnational
    # Crimes", "ASEAN Ministerial Conference on Transnational Crime"
    "AMMTC": r"Minist(?:erial|er['’]?s['’]?)\s+(?:Meeting|Conference)\s+on\s+Transnational\s+Crimes?",
    # "ASEAN Senior Officials Meeting on Transnational Crime", "Senior Officials' Meeting ..."
    "SOMTC": r"Senior\s+Officials?['’]?\s+Meeting\s+on\s+Transnational\s+Crimes?",
}
"""Meeting kinds: acronym -> regex of the expanded name *after* the optional leading "ASEAN".
Add a row to recognise another numbered meeting series."""

MEETING_KINDS: tuple[str, ...] = tuple(MEETING_NAME_PATTERNS)
"""The acronyms of the recognised meeting kinds, e.g. ("AMMTC", "SOMTC")."""

# --- patterns ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _KindPatterns:
    kind: str
    patterns: tuple[re.Pattern[str], ...]
    trigger: re.Pattern[str]
    """The acronym or the expanded name: every reading of this kind contains one, so a text
    without either is skipped (the full patterns try an ordinal at every position: slow)."""


def _named(template: str, **names: str) -> str:
    """Fill group-name placeholders (``@g@``) in a regex template; ``str.format`` would trip over the
    regex's own braces. Each use of a sub-pattern needs distinct group names."""
    for placeholder, name in names.items():
        template = template.replace(f"@{placeholder}@", name)
    return template


def _compile_kind(kind: str, name: str) -> _KindPatterns:
    acro = rf"(?<![A-Za-z0-9]){re.escape(kind)}"
    # The acronym with a number after it. Used alone and inside parentheses after a full name.
    acro_num = rf"{acro}(?:{SEP}(?P<@g@>{DIGITS_RE}){ORDINAL_SUFFIX}?|[\s-]+(?P<@r@>{ROMAN_RE}))(?![\w])"
    ordinal = rf"(?:(?P<@d@>{DIGITS_RE})\s?{ORDINAL_SUFFIX}|(?P<@s@>{SPELLED_RE}))"
    # "(AMMTC 7)", "(AMMTC-7)", "(7th AMMTC)", "(AMMTC)"
    paren = (
        r"(?:\s*\(\s*(?:"
        + _named(acro_num, g="pn", r="pr")
        + "|"
        + _named(ordinal, d="pd", s="ps")
        + rf"\s+{acro}(?![\w])|{acro}(?![\w]))\s*\))?"
    )
    expanded = re.compile(
        r"(?<![\w-])(?:" + _named(ordinal, d="od", s="os") + r"\s+)?"
        rf"(?:ASEAN\s+)?{name}(?:\s+and\s+Related\s+Meetings)?" + paren,
        re.IGNORECASE,
    )
    acronym_then_number = re.compile(_named(acro_num, g="an", r="ar"), re.IGNORECASE)
    number_then_acronym = re.compile(
        r"(?<![\w-])" + _named(ordinal, d="bd", s="bs") + rf"\s+(?:ASEAN\s+)?{acro}(?![\w])",
        re.IGNORECASE,
    )
    trigger = re.compile(rf"{re.escape(kind)}|{name}", re.IGNORECASE)
    return _KindPatterns(kind, (expanded, acronym_then_number, number_then_acronym), trigger)


_KIND_PATTERNS: tuple[_KindPatterns, ...] = tuple(
    _compile_kind(kind, name) for kind, name in MEETING_NAME_PATTERNS.items()
)
# Group names in the order they are consulted: an explicit ordinal on the full name wins over a
# number in the parenthesised acronym.
_NUMBER_GROUPS = ("od", "os", "pn", "pr", "pd", "ps", "an", "ar", "bd", "bs")


@dataclass(frozen=True)
class MeetingMention:
    """One reference to a numbered meeting. ``surface`` is the text as written (``text[start:end]``);
    a full name followed by its acronym in parentheses is one mention spanning both."""

    key: str
    start: int
    end: int
    surface: str


def _key(kind: str, number: int) -> str:
    return f"{kind} {number}"


def split_key(key: str) -> tuple[str, int]:
    """("ASEAN Summit", 47) of "ASEAN Summit 47": kinds may contain spaces, numbers never do."""
    kind, _, number = key.rpartition(" ")
    return kind, int(number) if number.isdigit() else 0


_SEED_NAMES = {
    kind: re.compile(rf"(?:ASEAN\s+)?{name}(?:\s+and\s+Related\s+Meetings)?", re.IGNORECASE)
    for kind, name in MEETING_NAME_PATTERNS.items()
}


def _seed_of(kind: str) -> str:
    """The seed acronym an event name spells out ("ASEAN Ministers Meeting on Transnational Crimes"
    -> "AMMTC"), else the name itself."""
    for seed, pattern in _SEED_NAMES.items():
        if pattern.fullmatch(kind):
            return seed
    return kind


# (start, end, key, is_full_name, priority): is_full_name marks an expanded name with its own
# ordinal ("the 7th ASEAN Ministerial Meeting ..."); seed readings (priority 0) win ties.
_Candidate = tuple[int, int, str, bool, int]


def _seed_candidates(text: str) -> Iterable[_Candidate]:
    for kp in _KIND_PATTERNS:
        if not kp.trigger.search(text):
            continue
        for index, pattern in enumerate(kp.patterns):
            for match in pattern.finditer(text):
                groups = match.groupdict()
                number = None
                for name in _NUMBER_GROUPS:
                    if groups.get(name):
                        number = parse_number(groups[name])
                        break  # a present but implausible number means no key, not a fallback
                if number is not None:
                    full = index == 0 and bool(groups.get("od") or groups.get("os"))
                    yield match.start(), match.end(), _key(kp.kind, number), full, 0


def _find(
    text: str, known: Collection[str] = (), aliases: Mapping[str, str] | None = None
) -> tuple[list[tuple[MeetingMention, bool]], dict[str, str]]:
    """Mentions (with their is_full_name flag) and the acronym definitions of ``text``
    (name kind -> acronym). Name kinds an alias defines are keyed by the acronym."""
    found: set[_Candidate] = set(_seed_candidates(text))
    defined: dict[str, str] = {}
    for r in _series.readings(text, set(known) | set(MEETING_KINDS)):
        if r.alias is not None and r.alias[0] not in MEETING_KINDS and _seed_of(r.alias[1]) == r.alias[1]:
            defined.setdefault(r.alias[1], r.alias[0])
        if r.number is not None:
            found.add((r.start, r.end, _key(_seed_of(r.kind), r.number), r.full, 1))
    rename = {**(aliases or {}), **defined}
    result: list[tuple[MeetingMention, bool]] = []
    for start, end, key, full, _ in sorted(found, key=lambda c: (c[0], -(c[1] - c[0]), c[4])):
        if result and start < result[-1][0].end:
            continue
        kind, number = split_key(key)
        if kind in rename:
            key = _key(rename[kind], number)
        result.append((MeetingMention(key, start, end, text[start:end]), full))
    return result, defined


def find_meetings(
    text: str, *, known: Collection[str] = (), aliases: Mapping[str, str] | None = None
) -> list[MeetingMention]:
    """All references to numbered meetings in ``text``, in text order and non-overlapping.

    A mention needs a number: "SOMTC and AMMTC", "the AMMTC chair for 2031" or an unnumbered full name
    are not meeting keys. Where two readings overlap, the earliest and then longest wins, so
    "7th ASEAN Ministerial Conference on Transnational Crime (AMMTC 7)" is a single mention.

    An acronym with a number ("ADMM-12") is a meeting only if the acronym is a series: a seed, one
    this text defines or numbers with an ordinal, or one of ``known`` (acronyms the corpus knows).
    ``aliases`` (name kind -> acronym, see ``meeting_aliases``) keys a name by its acronym.
    """
    return [mention for mention, _ in _find(text, known, aliases)[0]]


def meeting_aliases(text: str) -> dict[str, str]:
    """Acronyms ``text`` defines for event names: {"ASEAN Defence Ministers Meeting": "ADMM"} from
    "the ASEAN Defence Ministers' Meeting (ADMM)". Seeds are not redefined."""
    return _find(text)[1]


_KEY_FORM = re.compile(r"\s*(?P<a>[A-Za-z][A-Za-z]+)(?: |_)(?P<n>\d{1,3})\s*")


def canonical_meeting(reference: str, *, known: Collection[str] = ()) -> str | None:
    """The key of the one meeting ``reference`` names ("AMMTC-7", "7th AMMTC", "ammtc_7" ->
    "AMMTC 7"); None if it names none, or several different ones (the caller asked about *one*).

    A reference that is a key already ("ADMM 12", "ASEAN Summit 47") is one, whatever the acronym:
    the caller says it names a meeting; in running text "ADMM 12" needs ``known``."""
    keys = {m.key for m in find_meetings(reference, known=known)}
    if not keys and (m := _KEY_FORM.fullmatch(reference)) and (number := parse_number(m.group("n"))):
        return _key(m.group("a").upper(), number)
    return keys.pop() if len(keys) == 1 else None


def meeting_token(key: str) -> str:
    """A single lexical token for a meeting ("AMMTC 7" -> "ammtc_7", "ASEAN Summit 47" ->
    "asean_summit_47").

    BM25 tokenisers split "AMMTC 7" into "ammtc" and "7", which match every AMMTC and every
    stray 7; the joined token (word characters only, so it survives tokenising and stemming)
    matches exactly the passages about that meeting. Any surface form is accepted.
    """
    canonical = canonical_meeting(key)
    if canonical is None and split_key(key)[1] > 0:
        canonical = key  # a key as ``find_meetings`` gives it, of a series the recogniser only found in context
    if canonical is None:
        raise ValueError(f"not a meeting reference: {key!r}")
    kind, number = split_key(canonical)
    return f"{re.sub(r'[^0-9a-z]+', '_', kind.lower()).strip('_')}_{number}"


# Questions may list several numbers after one acronym: "AMMTC 7 and 8", "SOMTC 7, 8 or 9".
_LIST_TAIL_RE = re.compile(r"\s*(?:,|and|or|&|vs\.?|versus)\s*(\d+)(?![\w]|[.,]\d)", re.IGNORECASE)


def meetings_in_question(
    question: str, *, known: Collection[str] = (), aliases: Mapping[str, str] | None = None
) -> list[str]:
    """Canonical keys of the meetings a question names, in order of first mention, deduplicated.

    Questions are short and written any way ("the 7th AMMTC", "ammtc-7", "AMMTC 7 and 8",
    "the 48th ASEAN Summit"); implausible numbers ("AMMTC 123456") name nothing rather than
    raising. ``known`` and ``aliases`` as in ``find_meetings`` (a catalogue passes the corpus's).
    """
    keys: list[str] = []
    for mention in find_meetings(question, known=known, aliases=aliases):
        if mention.key not in keys:
            keys.append(mention.key)
        kind, _ = split_key(mention.key)
        pos = mention.end
        while match := _LIST_TAIL_RE.match(question, pos):
            number = parse_number(match.group(1))
            if number is None:
                break
            extra = _key(kind, number)
            if extra not in keys:
                keys.append(extra)
            pos = match.end()
    return keys


def series_mentions(text: str, kinds: Collection[str] = ()) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every series named *without* a number in ``text``: the seeds by
    acronym or expanded name, and each of ``kinds`` (acronyms or event names, any case) --
    "the latest AMMTC", "the most recent ASEAN Summit", "last year's ADMM". A series with a number
    ("the 19th AMMTC") is a meeting, not a series mention, and is left out."""
    found = _series.unnumbered(text, set(kinds) | set(MEETING_KINDS))
    for seed, pattern in _SEED_NAMES.items():
        found += [(m.start(), m.end(), seed) for m in pattern.finditer(text)]
    numbered = find_meetings(text, known=[k for k in kinds if " " not in k])
    found = [f for f in found if not any(m.start < f[1] and f[0] < m.end for m in numbered)]
    return _series.leftmost_longest(found)


from .profile import MeetingProfile, profile_article  # noqa: E402  (profile uses the finder above)
