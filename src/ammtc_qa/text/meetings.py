"""Recognise references to numbered meetings ("AMMTC 7", "the 25th ASEAN Senior Officials Meeting on
Transnational Crime") and profile which meeting an article is about.

Why canonical keys: news reports name the same meeting in a dozen ways ("AMMTC-7", "7th AMMTC",
"7th ASEAN Ministerial Conference on Transnational Crime"), and a question may use any of them.
Mapping every form to one key ("AMMTC 7") -- and to one lexical token ("ammtc_7") -- lets
retrieval match a question to the passages about that meeting, whatever wording either side uses,
and lets the answerer tell the 7th meeting from the 8th (which word overlap alone cannot).

Nothing here knows about particular articles, meetings or places: the only data is the table of
meeting kinds (acronym -> expanded-name pattern), which can be extended with other bodies.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ammtc_qa.text.dates import MONTHS, WEEKDAYS, DateMention, find_dates

__all__ = [
    "MEETING_KINDS",
    "MEETING_NAME_PATTERNS",
    "MAX_MEETING_NUMBER",
    "MeetingMention",
    "MeetingProfile",
    "canonical_meeting",
    "find_meetings",
    "meeting_token",
    "meetings_in_question",
    "profile_article",
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

MAX_MEETING_NUMBER = 999
"""Meetings are numbered from 1; anything above this is a year or noise ("the AMMTC chair for 2031")."""

# --- numbers -------------------------------------------------------------------------------------

_UNITS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"]
_TEENS = ["tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
          "seventeenth", "eighteenth", "nineteenth"]  # fmt: skip
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_TENS_ORD = ["twentieth", "thirtieth", "fortieth", "fiftieth", "sixtieth", "seventieth", "eightieth",
             "ninetieth"]  # fmt: skip


def _spelled_ordinals() -> dict[str, int]:
    table: dict[str, int] = {}
    for i, word in enumerate(_UNITS, start=1):
        table[word] = i
    for i, word in enumerate(_TEENS, start=10):
        table[word] = i
    for i, (tens, tens_ord) in enumerate(zip(_TENS, _TENS_ORD, strict=True), start=2):
        table[tens_ord] = i * 10
        for j, unit in enumerate(_UNITS, start=1):
            table[f"{tens}-{unit}"] = i * 10 + j
    return table


_SPELLED: dict[str, int] = _spelled_ordinals()
_SPELLED_RE = (
    r"(?:(?:"
    + "|".join(_TENS)
    + r")[\s-]?(?:"
    + "|".join(_UNITS)
    + r")|"
    + "|".join(sorted((w for w in _SPELLED if "-" not in w), key=len, reverse=True))
    + ")"
)
# Upper-case only (scoped flag), so "AMMTC in" or "AMMTC Venue" never reads as a numeral; a
# lone "I" is refused ("... at AMMTC I said").
_ROMAN_RE = r"(?-i:(?=[MDCLXV]|I[IVX])M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3}))"
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
# Digits not continued by more digits ("2031", "1.5", "1,000" are not meeting numbers).
_DIGITS_RE = r"\d+(?![\d]|[.,]\d)"
_ORDINAL_SUFFIX = r"(?:st|nd|rd|th)"
_SEP = r"[\s_]*[-–—_]?[\s_]*"  # AMMTC 7, AMMTC-7, AMMTC7, AMMTC–7, ammtc_7


def _roman_to_int(numeral: str) -> int:
    total = 0
    for i, char in enumerate(numeral):
        value = _ROMAN_VALUES[char]
        nxt = _ROMAN_VALUES[numeral[i + 1]] if i + 1 < len(numeral) else 0
        total += -value if value < nxt else value
    return total


def _number(text: str | None) -> int | None:
    """A plausible meeting number from digits, a spelled ordinal or a Roman numeral, else None."""
    if not text:
        return None
    text = text.strip()
    if text.isdigit():
        if len(text) > 3:  # also avoids int() on absurdly long digit strings
            return None
        value = int(text)
    elif text.isupper() and re.fullmatch(r"[IVXLCDM]+", text):
        value = _roman_to_int(text)
    else:
        word = text.lower()
        for tens in _TENS:  # "twentyfirst" -> "twenty-first"
            if word.startswith(tens) and word[len(tens) : len(tens) + 1].isalpha():
                word = f"{tens}-{word[len(tens) :]}"
        value = _SPELLED.get(re.sub(r"[\s-]+", "-", word), 0)
    return value if 1 <= value <= MAX_MEETING_NUMBER else None


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
    acro_num = rf"{acro}(?:{_SEP}(?P<@g@>{_DIGITS_RE}){_ORDINAL_SUFFIX}?|[\s-]+(?P<@r@>{_ROMAN_RE}))(?![\w])"
    ordinal = rf"(?:(?P<@d@>{_DIGITS_RE})\s?{_ORDINAL_SUFFIX}|(?P<@s@>{_SPELLED_RE}))"
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


def _candidates(text: str) -> Iterable[tuple[int, int, str, bool]]:
    """(start, end, key, is_full_name) for every reading; is_full_name marks an expanded name with
    its own ordinal ("the 7th ASEAN Ministerial Meeting ...")."""
    for kp in _KIND_PATTERNS:
        if not kp.trigger.search(text):
            continue
        for index, pattern in enumerate(kp.patterns):
            for match in pattern.finditer(text):
                groups = match.groupdict()
                number = None
                for name in _NUMBER_GROUPS:
                    if groups.get(name):
                        number = _number(groups[name])
                        break  # a present but implausible number means no key, not a fallback
                if number is not None:
                    full = index == 0 and bool(groups.get("od") or groups.get("os"))
                    yield match.start(), match.end(), _key(kp.kind, number), full


def _find(text: str) -> list[tuple[MeetingMention, bool]]:
    found = sorted(set(_candidates(text)), key=lambda c: (c[0], -(c[1] - c[0])))
    result: list[tuple[MeetingMention, bool]] = []
    for start, end, key, full in found:
        if result and start < result[-1][0].end:
            continue
        result.append((MeetingMention(key, start, end, text[start:end]), full))
    return result


def find_meetings(text: str) -> list[MeetingMention]:
    """All references to numbered meetings in ``text``, in text order and non-overlapping.

    A mention needs a number: "SOMTC and AMMTC", "the AMMTC chair for 2031" or an unnumbered full name
    are not meeting keys. Where two readings overlap, the earliest and then longest wins, so
    "7th ASEAN Ministerial Conference on Transnational Crime (AMMTC 7)" is a single mention.
    """
    return [mention for mention, _ in _find(text)]


def canonical_meeting(reference: str) -> str | None:
    """The key of the one meeting ``reference`` names ("AMMTC-7", "7th AMMTC", "ammtc_7" ->
    "AMMTC 7"); None if it names none, or several different ones (the caller asked about *one*)."""
    keys = {m.key for m in find_meetings(reference)}
    return keys.pop() if len(keys) == 1 else None


def meeting_token(key: str) -> str:
    """A single lexical token for a meeting ("AMMTC 7" -> "ammtc_7").

    BM25 tokenisers split "AMMTC 7" into "ammtc" and "7", which match every AMMTC and every
    stray 7; the joined token (word characters only, so it survives tokenising and stemming)
    matches exactly the passages about that meeting. Any surface form is accepted.
    """
    canonical = canonical_meeting(key)
    if canonical is None:
        raise ValueError(f"not a meeting reference: {key!r}")
    kind, number = canonical.split()
    return f"{kind.lower()}_{number}"


# Questions may list several numbers after one acronym: "AMMTC 7 and 8", "SOMTC 7, 8 or 9".
_LIST_TAIL_RE = re.compile(r"\s*(?:,|and|or|&|vs\.?|versus)\s*(\d+)(?![\w]|[.,]\d)", re.IGNORECASE)


def meetings_in_question(question: str) -> list[str]:
    """Canonical keys of the meetings a question names, in order of first mention, deduplicated.

    Questions are short and written any way ("the 7th AMMTC", "ammtc-7", "AMMTC 7 and 8");
    implausible numbers ("AMMTC 123456") name nothing rather than raising.
    """
    keys: list[str] = []
    for mention in find_meetings(question):
        if mention.key not in keys:
            keys.append(mention.key)
        kind = mention.key.split()[0]
        pos = mention.end
        while match := _LIST_TAIL_RE.match(question, pos):
            number = _number(match.group(1))
            if number is None:
                break
            extra = _key(kind, number)
            if extra not in keys:
                keys.append(extra)
            pos = match.end()
    return keys


# --- article profiles -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingProfile:
    """What an article is about, meeting-wise, for filtering and boosting at query time."""

    main: str | None  # the meeting the article is mainly about
    mentioned: tuple[str, ...]  # every meeting key mentioned (including main), sorted
    places: tuple[str, ...]  # where the main meeting took place, as written ("Springfield", "Freedonia")
    date: datetime.date | None  # when the main meeting (or the session reported) took place


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
    scores: dict[str, int] = {}
    first_mention: dict[str, tuple[int, _Segment, MeetingMention]] = {}  # key -> (order, where)
    for segment in segments:
        for mention, full in _find(segment.text):
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
    return MeetingProfile(main, mentioned, places, date)


def _sort_key(key: str) -> tuple[int, str, int]:
    """Sort keys by kind table order, then number ("AMMTC 9" before "AMMTC 10")."""
    kind, number = key.split()
    rank = MEETING_KINDS.index(kind) if kind in MEETING_KINDS else len(MEETING_KINDS)
    return rank, kind, int(number)
