"""Dates in scraped news articles: publication datelines and dates mentioned in the body.

Two different jobs live here because they feed each other:

* ``parse_dateline`` turns the publication line a scraper picked up ("March 5, 2023 | 09:40",
  "05/03/2023") into a ``datetime.date``. Scraped datelines are messy and sometimes ambiguous
  (many Asian and European sites write day first, most English sites month first), so the caller can pass the
  dates of the events the article reports and let them break the tie.
* ``find_dates`` finds month-name dates inside running text ("on March 5", "5 March 2023").
  It is a plain regular expression over month names plus ``datetime`` -- no ``dateparser`` --
  because it runs over every paragraph of thousands of articles at index time.

``dateparser`` is slow to import (hundreds of milliseconds), so it is imported lazily, only when a
dateline is not in one of the numeric forms handled here directly.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["DateMention", "check_date_order", "find_dates", "parse_dateline", "MONTHS", "WEEKDAYS"]

MONTHS: dict[str, int] = {
    "january": 1, "jan": 1,
    "february": 2, "feb": 2,
    "march": 3, "mar": 3,
    "april": 4, "apr": 4,
    "may": 5,
    "june": 6, "jun": 6,
    "july": 7, "jul": 7,
    "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9,
    "october": 10, "oct": 10,
    "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip
"""Month names and abbreviations (lower case) -> month number. Also used by other modules to tell
a month from a proper noun."""

WEEKDAYS: frozenset[str] = frozenset(
    {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
     "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun"}
)  # fmt: skip
"""Weekday names and abbreviations (lower case)."""

_DATE_ORDERS = ("DMY", "MDY")

# A year written in a dateline: used to refuse relative expressions ("2 hours ago", "yesterday"),
# which dateparser would happily resolve against *today* -- meaningless for a scraped page.
_YEAR_RE = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
_ISO_RE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
# 05/03/2023, 05.03.2023, 05-03-23: the separators must agree, so "1-2/2023" is not a date.
_NUMERIC_RE = re.compile(r"(?<![\d/.-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?![\d/.-]?\d)")

# Longest alternatives first, so "September" is not matched as "Sep" + "tember".
_MONTH_ALT = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY = r"(?:[12]\d|3[01]|0?[1-9])"
_ORD = r"(?:st|nd|rd|th)?"
_RANGE = rf"(?:\s*[-–—]\s*{_DAY}{_ORD})?"  # "8-13": a range reports its first day
_YEAR = r"(?:(?:19|20)\d{2})"
# "March 5", "Sept. 4", "September 1-6, 2023", "March 5 2023"
_MONTH_DAY_RE = re.compile(
    rf"\b(?P<month>{_MONTH_ALT})\b\.?\s+(?P<day>{_DAY}){_ORD}{_RANGE}"
    rf"(?:,?\s+(?P<year>{_YEAR}))?(?![\w,.]?\d)",
    re.IGNORECASE,
)
# "5 March 2023", "5th of March", "1-6 September 2023"
_DAY_MONTH_RE = re.compile(
    rf"(?<![\w.,/-])(?P<day>{_DAY}){_ORD}{_RANGE}\s+(?:of\s+)?(?P<month>{_MONTH_ALT})\b\.?"
    rf"(?:,?\s+(?P<year>{_YEAR})(?!\d))?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DateMention:
    """A date written in running text. ``has_year`` is False when the year was supplied by the caller's
    ``default_year`` rather than written, so callers can correct it (e.g. an article published in
    January reporting a December meeting)."""

    start: int
    end: int
    date: datetime.date
    has_year: bool


def _expand_year(year: str) -> int:
    """Two-digit years in datelines are recent ones: "25" is 2025, "99" is 1999."""
    value = int(year)
    if len(year) == 2:
        value += 2000 if value < 70 else 1900
    return value


def _safe_date(year: int, month: int, day: int) -> datetime.date | None:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def _pick_by_context(
    candidates: Sequence[datetime.date], context_dates: Sequence[datetime.date]
) -> datetime.date | None:
    """Choose between readings of an ambiguous dateline using the dates of the events reported.

    A news article is published on or shortly after what it reports, so the best reading is the one
    on/after the latest event date and closest to it. If no reading is on/after it (a preview
    article, or a stray future date in the body), the reading closest to that date is taken, since
    it is still far more likely than one months away. Returns None without context.
    """
    if not context_dates:
        return None
    latest = max(context_dates)
    after = [c for c in candidates if c >= latest]
    pool = after or list(candidates)
    return min(pool, key=lambda c: (abs((c - latest).days), c))


def _parse_numeric(
    match: re.Match[str], date_order: str | None, context_dates: Sequence[datetime.date]
) -> datetime.date | None:
    first, second, year = int(match.group(1)), int(match.group(3)), _expand_year(match.group(4))
    dmy = _safe_date(year, second, first)
    mdy = _safe_date(year, first, second)
    if dmy is None or mdy is None or dmy == mdy:
        return dmy or mdy  # unambiguous (a field > 12, or both fields equal)
    if date_order == "DMY":
        return dmy
    if date_order == "MDY":
        return mdy
    by_context = _pick_by_context((dmy, mdy), context_dates)
    # Without any evidence, behave like dateparser's default (month first).
    return by_context or mdy


def check_date_order(date_order: str | None) -> str | None:
    """``date_order`` normalised ("dmy", " DMY " -> "DMY"; "" -> None), or a ``ValueError`` saying
    what is accepted. Only day/month order is ambiguous: year-first dates (2025-09-11) need none."""
    order = (date_order or "").strip().upper() or None
    if order is not None and order not in _DATE_ORDERS:
        raise ValueError(f"date_order must be {' or '.join(map(repr, _DATE_ORDERS))} (how to read a date such as "
                         f"05/03/2023), not {date_order!r}; year-first dates such as 2023-03-05 are read "
                         "without it")
    return order


def parse_dateline(
    text: str, *, date_order: str | None = None, context_dates: Sequence[datetime.date] = ()
) -> datetime.date | None:
    """Parse a scraped publication dateline into a date, or None if it is not one.

    Handles "March, 5 2023", "March 5, 2023 | 09:40", "March 5, 2023 9:40 AM GMT+7",
    "2023-03-05" and numeric "05/03/2023". A numeric date whose two fields are both <= 12 is
    ambiguous; it is resolved, in order, by:

    1. ``date_order`` ("DMY" or "MDY", any case; "" means not given) when the caller knows the site's
       convention;
    2. ``context_dates`` -- the dates of events mentioned in the article body: the reading on/after
       the latest of them and closest to it wins (articles are published on or shortly after the
       events they report);
    3. otherwise month first (MDY), dateparser's default. Day-first sites should pass
       ``date_order="DMY"`` or context dates.

    Strings without a written year ("00:00", "2 hours ago", "yesterday") give None: a dateline
    relative to *now* says nothing about when a scraped page was published.
    """
    # Per-source metadata is hand-written: accept "dmy" or " DMY ", and "" as "not given"; anything
    # else is a configuration error worth failing loudly on.
    date_order = check_date_order(date_order)
    text = text.strip()
    if not text or len(text) > 200:  # a paragraph is not a dateline
        return None
    iso = _ISO_RE.search(text)
    if iso:
        return _safe_date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    numeric = _NUMERIC_RE.search(text)
    if numeric:
        return _parse_numeric(numeric, date_order, context_dates)
    if not _YEAR_RE.search(text):
        return None

    import dateparser  # lazy: slow to import, and only needed for the long tail of formats

    settings: dict[str, object] = {"REQUIRE_PARTS": ["day", "month", "year"]}
    if date_order is not None:
        settings["DATE_ORDER"] = date_order
    # Separators like "|" confuse dateparser's tokenizer; times and zones after them are not needed.
    for candidate in (text, re.split(r"\s*[|•·]\s*", text)[0]):
        try:
            parsed = dateparser.parse(candidate, settings=settings)
        except (ValueError, OverflowError):  # pragma: no cover - dateparser edge cases
            parsed = None
        if parsed is not None:
            return parsed.date()
    # Last resort: a month-name date with a year somewhere in the string.
    for mention in find_dates(text):
        return mention.date
    return None


def _mention(match: re.Match[str], default_year: int | None) -> DateMention | None:
    month_word = match.group("month")
    if month_word.islower():
        # "may 5" is usually the verb; real month names are capitalised (or all caps).
        return None
    year_text = match.group("year")
    if year_text is None and default_year is None:
        return None
    year = int(year_text) if year_text else default_year
    assert year is not None
    date = _safe_date(year, MONTHS[month_word.lower()], int(match.group("day")))
    if date is None:
        return None
    return DateMention(match.start(), match.end(), date, year_text is not None)


def find_dates(text: str, *, default_year: int | None = None) -> list[DateMention]:
    """Find month-name dates in running text, in text order and non-overlapping.

    Matches "March 5", "Sept. 4", "September 4, 2023", "5 March 2023", "5th of March"
    and ranges ("September 1-6, 2023" gives the 1st). Year-less mentions get ``default_year``
    (typically the publication year) and are skipped when it is None, because a wrong year is worse
    than no date. Lower-case month words ("may") are ignored as likely verbs. Month-year phrases
    without a day ("October 2023") are not dates of an event and are not returned.
    """
    found: list[DateMention] = []
    for pattern in (_MONTH_DAY_RE, _DAY_MONTH_RE):
        for match in pattern.finditer(text):
            mention = _mention(match, default_year)
            if mention is not None:
                found.append(mention)
    # Both patterns can claim the same digits ("10 September 11"); keep the earliest, longest.
    found.sort(key=lambda m: (m.start, -(m.end - m.start)))
    result: list[DateMention] = []
    for mention in found:
        if result and mention.start < result[-1].end:
            continue
        result.append(mention)
    return result
