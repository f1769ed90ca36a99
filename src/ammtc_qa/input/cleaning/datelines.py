"""Datelines: lines that are only a date and/or time, optionally led by a place.

A dateline is removed from the text but kept (``CleanedText.datelines``) because the
article's date is metadata the index filters on; that makes it the one kind of furniture
whose recognition must be exact about what else the line may hold.
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
_DATE_TOKEN = re.compile(r"[^\W\d_]+\.?(?:[^\W\d_]\.)*|\d+|\S", re.UNICODE)
_DATE_FILLER = set(",./:|-–—()+[]")
_DATELINE_MAX_CHARS = 64
# "Sylvania, 5 August 2030", "KUALA LUMPUR, Malaysia, Sept. 24, 2029": a place, then only a date.
_PLACE_DATELINE_MAX_CHARS = 80
_PLACE_MAX_WORDS = 4
_PLACE_MAX_PARTS = 2  # "City, Country"
_PLACE_CONNECTORS = set(VOCABULARY["place_connectors"])


def _is_dateline(text: str) -> bool:
    """A line that is only a date and/or time, with optional weekday, "Updated:", time zone."""
    if len(text) > _DATELINE_MAX_CHARS or not _DATE_SHAPE.search(text):
        return False
    for token in _DATE_TOKEN.findall(text):
        low = token.lower()
        if low.isdigit() or low in _DATE_FILLER or low in _DATE_WORDS or low.rstrip(".") in _DATE_WORDS:
            continue
        return False
    return True


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
    if len(text) > _PLACE_DATELINE_MAX_CHARS or "," not in text:
        return False
    parts = text.split(",")
    for k in range(1, min(_PLACE_MAX_PARTS, len(parts) - 1) + 1):
        rest = ",".join(parts[k:]).strip()
        if all(_is_place(p) for p in parts[:k]) and rest and _is_dateline(rest):
            return True
    return False
