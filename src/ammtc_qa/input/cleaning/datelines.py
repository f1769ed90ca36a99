"""Datelines: lines that are only a date and/or time, optionally led by a place.

A dateline is removed from the text but kept (``CleanedText.datelines``) because the
article's date is metadata the index filters on; that makes it the one kind of furniture
whose recognition must be exact about what else the line may hold.

The shape of a line is not enough, though: a timeline's month headings ("December 2023"), a
live blog's timestamps ("10:30 a.m.") and a chronology's dates are the article's structure.
So ``_dateline_class`` says what a date line holds ("stamp" with a label such as "Updated:",
a full "date", a bare "time"; a month and a year with no day is never a dateline) and
``passes._confine_datelines_and_bylines`` decides by position which ones are furniture.
"""

from __future__ import annotations

import re

from .vocabulary import VOCABULARY, alternation

_MONTHS = list(VOCABULARY["months"])
_DATE_WORDS = set(_MONTHS) | set(VOCABULARY["date_words"])
_MONTH = alternation(_MONTHS)
_DATE_SHAPE = re.compile(
    r"\b\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}\b|\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}:\d{2}\b|"
    rf"\b{_MONTH}\b\W*\d|\d\W*\b{_MONTH}\b",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_DATE_TOKEN = re.compile(r"[^\W\d_]+\.?(?:[^\W\d_]\.)*|\d+|\S", re.UNICODE)
_DATE_FILLER = set(",./:|-–—()+[]")
_DATELINE_MAX_CHARS = 64
# "Sylvania, 5 August 2030", "KUALA LUMPUR, Malaysia, Sept. 24, 2029": a place, then only a date.
_PLACE_DATELINE_MAX_CHARS = 80
_PLACE_MAX_WORDS = 4
_PLACE_MAX_PARTS = 2  # "City, Country"
_PLACE_CONNECTORS = set(VOCABULARY["place_connectors"])
_DATELINE_LABELS = set(VOCABULARY["dateline_labels"])
_NUMERIC_DATE = re.compile(r"\b\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}\b|\b\d{4}-\d{1,2}-\d{1,2}\b")
_TIME = re.compile(r"\b\d{1,2}:\d{2}\b")
# A day next to a month name: "27 November", "Nov. 27", "November, 27 2019" (not "November 2023").
_DAY_MONTH = re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\b\W*\b{_MONTH}\b|\b{_MONTH}\b\W*\d{{1,2}}(?!\d)", re.IGNORECASE)


def _is_dateline(text: str) -> bool:
    """A line that is only a date and/or time, with optional weekday, "Updated:", time zone."""
    # Every token a date's is the cheap test that fails first on text ("Line 12 here" at "line");
    # the date-shape search, which tries the month names at every word, runs only if it passes.
    if len(text) > _DATELINE_MAX_CHARS:
        return False
    first = _DATE_TOKEN.search(text)
    if first is None or not _is_date_token(first.group(0)):
        return False
    for token in _DATE_TOKEN.findall(text):
        if not _is_date_token(token):
            return False
    return _DATE_SHAPE.search(text) is not None


def _is_date_token(token: str) -> bool:
    low = token.lower()
    return low.isdigit() or low in _DATE_FILLER or low in _DATE_WORDS or low.rstrip(".") in _DATE_WORDS


def _dateline_class(text: str) -> str | None:
    """What a dateline-shaped line holds: "stamp" (a label such as "Updated" or "Published"),
    "date" (a day of a month, or a numeric date, with or without a time), "time" (only a time),
    or None: not a dateline, which includes a bare month and year ("December 2023")."""
    if _DIGIT.search(text) is None:  # every date shape holds a digit
        return None
    rest = _place_rest(text)
    if rest is None:
        if not _is_dateline(text):
            return None
        rest = text
    if any(t.lower().rstrip(".") in _DATELINE_LABELS for t in _DATE_TOKEN.findall(rest)):
        return "stamp"
    if _NUMERIC_DATE.search(rest) or _DAY_MONTH.search(rest):
        return "date"
    if _TIME.search(rest):
        return "time"
    return None


def _is_place(part: str) -> bool:
    words = part.split()
    if not 1 <= len(words) <= _PLACE_MAX_WORDS:
        return False
    for k, w in enumerate(words):
        if k and w in _PLACE_CONNECTORS:
            continue
        if not w[0].isupper() or not all(c.isalpha() or c in "-'’." for c in w):
            return False
    return True


def _is_place_dateline(text: str) -> bool:
    """A dateline led by a place: "Sylvania, 5 August 2030", "HANOI, Sept. 24, 2029".

    The line must be nothing but the place and a date (``_is_dateline`` on the rest): a line
    that goes on with an agency tag or the first sentence ("HANOI, Sept. 24 (VNA) - The ...")
    is article text and stays.
    """
    return _place_rest(text) is not None


def _place_rest(text: str) -> str | None:
    """The date after the place of a place dateline, or None when ``text`` is not one."""
    if len(text) > _PLACE_DATELINE_MAX_CHARS or "," not in text:
        return None
    parts = text.split(",")
    for k in range(1, min(_PLACE_MAX_PARTS, len(parts) - 1) + 1):
        rest = ",".join(parts[k:]).strip()
        if all(_is_place(p) for p in parts[:k]) and rest and _is_dateline(rest):
            return rest
    return None
