"""Tests for ammtc_qa.text.dates: scraped datelines and dates in running text."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from ammtc_qa.text.dates import DateMention, find_dates, parse_dateline

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
D = datetime.date


def _seed(prefix: str) -> str:
    (path,) = CORPUS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


# --- parse_dateline ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("November, 27 2019", D(2019, 11, 27)),
        ("August 30, 2024 | 15:10", D(2024, 8, 30)),
        ("August 30, 2024 3:12 PM GMT+7", D(2024, 8, 30)),
        ("2025-09-11", D(2025, 9, 11)),
        ("  2025-09-11T08:00:00+07:00 ", D(2025, 9, 11)),
        ("13/09/2025", D(2025, 9, 13)),  # unambiguous: 13 cannot be a month
        ("09/13/2025", D(2025, 9, 13)),
        ("11/11/2025", D(2025, 11, 11)),  # both readings agree
        ("Thứ Năm, 13/09/2025 15:00", D(2025, 9, 13)),
        ("27 tháng 11 năm 2019", D(2019, 11, 27)),
        ("Sept. 24, 2020", D(2020, 9, 24)),
        ("24.09.20", D(2020, 9, 24)),
    ],
)
def test_parse_dateline(text: str, expected: datetime.date) -> None:
    assert parse_dateline(text) == expected


@pytest.mark.parametrize(
    "text", ["00:00", "", "   ", "Print", "2 hours ago", "yesterday", "By Cong Tuan", "31/02/2025", "15:10"]
)
def test_parse_dateline_not_a_date(text: str) -> None:
    assert parse_dateline(text) is None


def test_ambiguous_numeric_defaults_to_month_first() -> None:
    assert parse_dateline("11/09/2025") == D(2025, 11, 9)


def test_ambiguous_numeric_with_date_order() -> None:
    assert parse_dateline("11/09/2025", date_order="DMY") == D(2025, 9, 11)
    assert parse_dateline("11/09/2025", date_order="MDY") == D(2025, 11, 9)
    # date_order does not override an unambiguous date
    assert parse_dateline("13/09/2025", date_order="MDY") == D(2025, 9, 13)


def test_date_order_is_lenient_about_case_and_blank() -> None:
    assert parse_dateline("11/09/2025", date_order="dmy") == D(2025, 9, 11)
    assert parse_dateline("11/09/2025", date_order="") == D(2025, 11, 9)


def test_date_order_beats_context() -> None:
    assert parse_dateline("11/09/2025", date_order="MDY", context_dates=[D(2025, 9, 10)]) == D(2025, 11, 9)


def test_bad_date_order_rejected() -> None:
    with pytest.raises(ValueError):
        parse_dateline("11/09/2025", date_order="YMD")


def test_ambiguous_numeric_resolved_by_context() -> None:
    # Event on 10 September: the article appeared on/after it, so 11 September, not 9 November...
    assert parse_dateline("11/09/2025", context_dates=[D(2025, 9, 10)]) == D(2025, 9, 11)
    # ...but an event on 5 November makes 9 November the reading on/after it.
    assert parse_dateline("11/09/2025", context_dates=[D(2025, 9, 10), D(2025, 11, 5)]) == D(2025, 11, 9)
    # The latest context date counts, not the first.
    assert parse_dateline("03/04/2024", context_dates=[D(2024, 4, 2), D(2024, 1, 1)]) == D(2024, 4, 3)


def test_ambiguous_numeric_context_all_later_picks_closest() -> None:
    # A preview article: both readings precede the event; the nearer one wins.
    assert parse_dateline("09/08/2020", context_dates=[D(2020, 9, 24)]) == D(2020, 9, 8)


def test_seed_004_dateline_with_body_dates() -> None:
    text = _seed("004")
    context = [m.date for m in find_dates(text)]
    assert D(2025, 9, 10) in context
    assert parse_dateline("11/09/2025", context_dates=context) == D(2025, 9, 11)


# --- find_dates ----------------------------------------------------------------------------------


def _dates(text: str, default_year: int | None = None) -> list[datetime.date]:
    return [m.date for m in find_dates(text, default_year=default_year)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("on September 10, 2025", D(2025, 9, 10)),
        ("on 28 August 2024 in", D(2024, 8, 28)),
        ("held on September 8-13, 2019.", D(2019, 9, 8)),
        ("held on 8–13 September 2019.", D(2019, 9, 8)),
        ("on the 27th of November, 2019", D(2019, 11, 27)),
        ("August 28 2024", D(2024, 8, 28)),
        ("SEPTEMBER 10, 2025", D(2025, 9, 10)),
        ("Sept 24, 2020", D(2020, 9, 24)),
        ("Dec. 1st, 2023", D(2023, 12, 1)),
    ],
)
def test_find_dates_with_year(text: str, expected: datetime.date) -> None:
    mentions = find_dates(text)
    assert [m.date for m in mentions] == [expected]
    assert mentions[0].has_year


def test_find_dates_without_year() -> None:
    assert _dates("on November 27 attended") == []  # no default year: skipped, not guessed
    (mention,) = find_dates("on November 27 attended", default_year=2019)
    assert mention == DateMention(3, 14, D(2019, 11, 27), False)
    assert _dates("scheduled for Sept. 24.", default_year=2020) == [D(2020, 9, 24)]
    assert _dates("August 28", default_year=2024) == [D(2024, 8, 28)]


def test_find_dates_spans() -> None:
    text = "It opened on September 10, 2025 in the city."
    (mention,) = find_dates(text)
    assert text[mention.start : mention.end] == "September 10, 2025"


@pytest.mark.parametrize(
    "text",
    [
        "October 2025",  # no day
        "the end of October 2025, in Malaysia",
        "it may 5 times",  # lower-case month word is a verb
        "February 30, 2024",  # invalid day
        "August 45",
        "1,584.36 kg of heroin",
        "Mar",
    ],
)
def test_find_dates_rejects(text: str) -> None:
    assert _dates(text, default_year=2024) == []


def test_find_dates_number_after_day_is_not_year() -> None:
    assert _dates("On November 27, 132 cases were found", default_year=2019) == [D(2019, 11, 27)]


def test_find_dates_order_and_no_overlap() -> None:
    text = "From 8 September to October 3, 2019 and again on 5 November."
    mentions = find_dates(text, default_year=2019)
    assert [m.date for m in mentions] == [D(2019, 9, 8), D(2019, 10, 3), D(2019, 11, 5)]
    assert all(a.end <= b.start for a, b in zip(mentions, mentions[1:], strict=False))


def test_find_dates_seeds() -> None:
    # The dateline "November, 27 2019" is not running-text style; the body dates are found.
    assert _dates(_seed("000"), default_year=2019) == [D(2019, 11, 27), D(2019, 11, 15), D(2019, 9, 8)]
    assert _dates(_seed("001"), default_year=2024)[:3] == [D(2024, 8, 28), D(2024, 8, 30), D(2024, 8, 28)]
    assert _dates(_seed("002")) == []
    assert _dates(_seed("002"), default_year=2020) == [D(2020, 9, 24)]
    assert _dates(_seed("003")) == [D(2024, 8, 30), D(2024, 8, 28)]
    assert _dates(_seed("004")) == [D(2025, 9, 10)]


def test_find_dates_is_fast() -> None:
    import time

    text = _seed("001") * 50
    began = time.perf_counter()
    find_dates(text, default_year=2024)
    assert time.perf_counter() - began < 0.5
