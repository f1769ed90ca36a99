"""Publisher and time named in a question, as soft preferences for the articles that match.

Questions about news name the outlet ("... as reported by TechCrunch") and the time ("in
November 2023", "last week's reports") as often as the subject. Both are article metadata, not
passage text, so neither the model nor BM25 can match them on the passage alone. They are read
here against what the corpus holds -- its own publisher names, and article dates -- and turned
into a boost, never a filter: a question that names a publisher may still be best answered by
another outlet's copy, and only an explicit ``filters=`` excludes articles.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..text.dates import MONTHS, find_dates

__all__ = ["Period", "PublisherNames", "period_in"]


class PublisherNames:
    """Recognises the corpus's publishers in a question.

    A publisher written "VietnamPlus (VNA)" answers to "VietnamPlus" and to "VNA". A name of
    several words matches in any case; a single word only as written ("Time", "Wired", "MPS"),
    so "in time" never names a magazine and "MPs" never names the MPS.
    """

    def __init__(self, publishers: Iterable[str]) -> None:
        self._names: dict[str, set[str]] = {}
        loose, strict = [], []
        for publisher in {p for p in publishers if p and p.strip()}:
            for name in _surface_names(publisher):
                self._names.setdefault(name.casefold(), set()).add(publisher)
                (loose if " " in name else strict).append(name)
        self._loose = _alternation(loose, re.IGNORECASE)
        self._strict = _alternation(strict, 0)

    def __call__(self, question: str) -> frozenset[str]:
        """The publishers (as the corpus writes them) that ``question`` names."""
        found: set[str] = set()
        for pattern in (self._loose, self._strict):
            if pattern is not None:
                for match in pattern.finditer(question):
                    found |= self._names.get(" ".join(match.group().split()).casefold(), set())
        return frozenset(found)


def _surface_names(publisher: str) -> list[str]:
    names = []
    outer = re.sub(r"\([^)]*\)", " ", publisher)
    for part in [outer, *re.findall(r"\(([^)]*)\)", publisher)]:
        name = " ".join(part.split())
        name = re.sub(r"^(?i:the)\s+", "", name)
        if len(name) >= 2 and not name.isdigit():
            names.append(name)
    return names


def _alternation(names: list[str], flags: int) -> re.Pattern[str] | None:
    if not names:
        return None
    body = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in sorted(set(names), key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", flags)


@dataclass(frozen=True)
class Period:
    """A span of days a question points at; ``text`` is how it was written."""

    start: dt.date
    end: dt.date
    text: str

    def holds(self, day: dt.date | None) -> bool:
        return day is not None and self.start <= day <= self.end


_MONTH_ALT = "|".join(sorted(MONTHS, key=len, reverse=True))
_MONTH_YEAR = re.compile(rf"\b(?P<m>{_MONTH_ALT})\.?,?\s+(?P<y>(?:19|20)\d\d)\b", re.IGNORECASE)
_IN_YEAR = re.compile(r"\b(?:in|during|of|from|throughout)\s+(?P<y>(?:19|20)\d\d)\b(?!\s*[-–/]\d)", re.IGNORECASE)
_RELATIVE = re.compile(r"\b(?P<w>yesterday|today|this\s+(?:week|month|year)|last\s+(?:week|month|year)|"
                       r"past\s+(?:week|month|year))(?:['’]s)?\b", re.IGNORECASE)
_DAY_SLACK = dt.timedelta(days=2)
"""Reports of an event appear on the day or soon after: a date named as a day also matches
articles published up to this long after it (and a day before, for time zones)."""


def period_in(question: str, *, today: dt.date) -> Period | None:
    """The one period a question names, else None (several different periods: None)."""
    found: list[Period] = []
    for d in find_dates(question, default_year=today.year):
        found.append(Period(d.date - dt.timedelta(days=1), d.date + _DAY_SLACK, question[d.start:d.end]))
    taken = [(d.start, d.end) for d in find_dates(question, default_year=today.year)]
    for m in _MONTH_YEAR.finditer(question):
        if any(s <= m.start() < e for s, e in taken):
            continue
        month, year = MONTHS[m.group("m").lower()], int(m.group("y"))
        found.append(Period(dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1]),
                            m.group()))
    for m in _IN_YEAR.finditer(question):
        year = int(m.group("y"))
        if not any(p.start.year == year for p in found):
            found.append(Period(dt.date(year, 1, 1), dt.date(year, 12, 31), m.group()))
    for m in _RELATIVE.finditer(question):
        found.append(_relative(" ".join(m.group("w").lower().split()), today, m.group()))
    distinct = {(p.start, p.end) for p in found}
    return found[0] if len(distinct) == 1 else None


def _relative(word: str, today: dt.date, text: str) -> Period:
    if word == "today":
        return Period(today - dt.timedelta(days=1), today, text)
    if word == "yesterday":
        return Period(today - dt.timedelta(days=2), today, text)
    unit = word.split()[-1]
    if word.startswith("past"):
        days = {"week": 7, "month": 31, "year": 366}[unit]
        return Period(today - dt.timedelta(days=days), today, text)
    if unit == "week":
        monday = today - dt.timedelta(days=today.weekday())
        if word.startswith("last"):
            monday -= dt.timedelta(days=7)
        return Period(monday, monday + dt.timedelta(days=6 + 2), text)  # + reports of its last days
    if unit == "month":
        year, month = today.year, today.month
        if word.startswith("last"):
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        return Period(dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1]), text)
    year = today.year - (1 if word.startswith("last") else 0)
    return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), text)
