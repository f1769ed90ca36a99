"""Time in questions, read against a made-up catalogue (no model), then end to end on the shipped corpus."""

from __future__ import annotations

import datetime as dt

import pytest

from ammtc_qa.backends.filters import DocMeta
from ammtc_qa.ranking.temporal import Timeline

D = dt.date


def _doc(doc_id: str, main: str | None, when: D | None, places: tuple[str, ...] = (),
         mentions: tuple[str, ...] = ()) -> DocMeta:
    return DocMeta(doc_id=doc_id, date=when, main_meeting=main, meetings=tuple({*mentions, *([main] if main else [])}),
                   places=places, meeting_date=when)


# A made-up series ZMM held in three places, a second series QOF, and a meeting only mentioned.
CATALOGUE = [
    _doc("a", "ZMM 4", D(2021, 3, 2), ("Freedonia",)),
    _doc("b", "ZMM 5", D(2022, 6, 9), ("Springfield",)),
    _doc("c", "ZMM 5", D(2022, 6, 9), ("Springfield",)),
    _doc("d", "ZMM 7", D(2024, 10, 1), ("Ruritania",), mentions=("ZMM 8",)),
    _doc("e", "QOF 2", D(2023, 1, 15), ("Genovia",)),
]
TODAY = D(2025, 1, 1)


@pytest.fixture(scope="module")
def timeline() -> Timeline:
    return Timeline.from_meta(CATALOGUE)


def keys(timeline: Timeline, question: str, as_of: D = TODAY) -> tuple[str, ...] | None:
    reading = timeline.read(question, as_of=as_of)
    return None if reading is None else reading.keys


@pytest.mark.parametrize("question", [
    "What did the latest ZMM agree?", "What was said at the most recent ZMM?", "Who chaired the last ZMM?",
    "What did the newest ZMM decide?", "what did the latest zmm agree", "At the most-recent ZMM, who spoke?",
])
def test_latest_is_the_highest_number_dated_up_to_the_reference(timeline: Timeline, question: str) -> None:
    assert keys(timeline, question) == ("ZMM 7",)


def test_reference_date_moves_latest_and_future_meetings_do_not_count(timeline: Timeline) -> None:
    assert keys(timeline, "the latest ZMM?", as_of=D(2023, 1, 1)) == ("ZMM 5",)
    assert keys(timeline, "the latest ZMM?", as_of=D(2021, 3, 2)) == ("ZMM 4",)
    # ZMM 8 is only mentioned (no article about it, so no date): never "latest".
    assert "ZMM 8" not in keys(timeline, "the latest ZMM?")  # type: ignore[operator]


def test_nothing_dated_yet_is_a_notice_not_a_guess(timeline: Timeline) -> None:
    reading = timeline.read("the latest ZMM?", as_of=D(2000, 1, 1))
    assert reading is not None and reading.keys == ()
    assert "cannot be resolved" in reading.notice and "2000-01-01" in reading.notice


def test_previous_and_next_step_from_the_latest_by_number(timeline: Timeline) -> None:
    assert keys(timeline, "What did the previous ZMM agree?") == ("ZMM 6",)
    assert keys(timeline, "What will the next ZMM discuss?") == ("ZMM 8",)
    assert keys(timeline, "What will the upcoming ZMM discuss?") == ("ZMM 8",)


@pytest.mark.parametrize(("question", "expected", "anchor"), [
    ("What was agreed at the meeting before ZMM 5?", "ZMM 4", "ZMM 5"),
    ("What did the ZMM preceding the 5th ZMM adopt?", "ZMM 4", "ZMM 5"),
    ("And the one after ZMM-4?", "ZMM 5", "ZMM 4"),
    ("What happened at the meeting before the Springfield one?", "ZMM 4", "ZMM 5"),
    ("What happened at the meeting held before the one in Ruritania?", "ZMM 6", "ZMM 7"),
    ("What did the ZMM after the 2021 one decide?", "ZMM 5", "ZMM 4"),
])
def test_relative_to_an_anchor(timeline: Timeline, question: str, expected: str, anchor: str) -> None:
    reading = timeline.read(question, as_of=TODAY)
    assert reading is not None
    assert reading.keys == (expected,) and reading.anchors == (anchor,)


def test_anchor_of_another_series_is_not_used(timeline: Timeline) -> None:
    assert keys(timeline, "What did the ZMM before QOF 2 agree?") is None


def test_nothing_before_the_first(timeline: Timeline) -> None:
    reading = timeline.read("the meeting before ZMM 1?", as_of=TODAY)
    assert reading is None or reading.keys == ()


def test_earliest_is_the_lowest_number_covered(timeline: Timeline) -> None:
    assert keys(timeline, "Who attended the earliest ZMM?") == ("ZMM 4",)


@pytest.mark.parametrize(("question", "expected"), [
    ("What did this year's ZMM agree?", ("ZMM 7",)),
    ("What did last year's ZMM agree?", ("ZMM 5",)),
    ("What did the ZMM in 2022 adopt?", ("ZMM 5",)),
    ("What did the 2021 ZMM adopt?", ("ZMM 4",)),
])
def test_years(timeline: Timeline, question: str, expected: tuple[str, ...]) -> None:
    as_of = D(2024, 12, 1) if "this year" in question else D(2023, 5, 5)
    assert keys(timeline, question, as_of=as_of) == expected


def test_a_year_without_that_series_is_a_notice(timeline: Timeline) -> None:
    reading = timeline.read("What did next year's ZMM plan?", as_of=D(2024, 12, 1))
    assert reading is not None and reading.keys == ()
    assert "2025" in reading.notice and "ZMM 7 2024" in reading.notice


def test_latest_meeting_across_series_is_by_date(timeline: Timeline) -> None:
    assert keys(timeline, "What happened at the most recent meeting?", as_of=D(2023, 6, 1)) == ("QOF 2",)
    assert keys(timeline, "What happened at the latest meeting?") == ("ZMM 7",)


def test_the_notice_says_how_it_was_read(timeline: Timeline) -> None:
    reading = timeline.read("What did the latest ZMM agree?", as_of=TODAY)
    assert reading is not None
    assert "ZMM 7 (Ruritania, 2024-10-01)" in reading.notice and "2025-01-01" in reading.notice


@pytest.mark.parametrize("question", [
    "What did ZMM 5 agree?",                       # a number: the recogniser's job
    "What did previous ZMM meetings agree on?",    # plural: vague, not one meeting
    "Who won the last World Cup?",                 # not a series the corpus covers
    "What happened last week?",
    "How is cooperation going?",
    "Before the meeting, what did ministers say?",  # "before" with no meeting anchor
])
def test_no_time_reference(timeline: Timeline, question: str) -> None:
    assert keys(timeline, question) is None


def test_empty_corpus_reads_nothing() -> None:
    assert Timeline.from_meta([]).read("the latest ZMM?") is None


def test_aliases_name_a_series() -> None:
    timeline = Timeline.from_meta(CATALOGUE, aliases={"Zorblan Ministers' Meeting": "ZMM"})
    assert keys(timeline, "What did the latest Zorblan Ministers' Meeting agree?") == ("ZMM 7",)


# -- end to end on the shipped corpus ----------------------------------------------------------


def test_latest_restricts_to_the_latest_meeting_and_says_so(shipped_qa) -> None:  # noqa: ANN001
    answer = shipped_qa.ask("What did Vietnam propose at the latest AMMTC?", as_of="2026-01-01")
    assert answer.passages and {p.meeting for p in answer} == {"AMMTC 19"}
    assert "AMMTC 19" in (answer.notice or "") and "Melaka" in (answer.notice or "")
    earlier = shipped_qa.ask("What did Vietnam propose at the latest AMMTC?", as_of=dt.date(2020, 1, 1))
    assert {p.meeting for p in earlier} == {"AMMTC 13"}


def test_unresolvable_reference_gets_no_passages(shipped_qa) -> None:  # noqa: ANN001
    answer = shipped_qa.ask("What did this year's AMMTC agree?", as_of="2030-06-01")
    assert answer.passages == [] and "2030" in (answer.notice or "")


def test_bad_reference_date_is_a_clear_error(shipped_qa) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="as_of"):
        shipped_qa.ask("the latest AMMTC?", as_of="yesterday")


def test_date_filter_counts_undated_articles(shipped_qa) -> None:  # noqa: ANN001
    undated = sum(d.date is None for d in shipped_qa.documents())
    assert undated  # the shipped corpus has an article without a date
    answer = shipped_qa.ask("What did Vietnam propose?", filters={"since": "2000-01-01"})
    assert f"left out {undated} article" in (answer.notice or "")
    assert all(p.date is not None for p in answer)
    assert "left out" not in (shipped_qa.ask("What did Vietnam propose?").notice or "")


def test_meeting_filter_accepts_any_surface_form(shipped_qa) -> None:  # noqa: ANN001
    # a question with content: "What was discussed?" alone is below the relevance floor (no passages)
    answer = shipped_qa.ask("What was discussed about transnational crime?", filters={"meeting": ["the 20th SOMTC"]})
    assert answer.passages and all("SOMTC 20" in shipped_qa.document(p.doc_id).meetings.mentioned for p in answer)


# -- series written loosely ---------------------------------------------------------------------

LOOSE = [*CATALOGUE, _doc("f", "Quuxian Summit 3", D(2023, 4, 4), ("Genovia",)),
         _doc("g", "Quuxian Summit 4", D(2024, 11, 4), ("Freedonia",))]  # after ZMM 7


@pytest.fixture(scope="module")
def loose() -> Timeline:
    return Timeline.from_meta(LOOSE, aliases={"Zorblan Ministers Meeting": "ZMM"})


@pytest.mark.parametrize(("question", "expected"), [
    ("what did the latest quuxian summit agree?", ("Quuxian Summit 4",)),
    ("what did the latest QUUXIAN SUMMIT agree?", ("Quuxian Summit 4",)),
    ("what did the latest quuxian-summit agree?", ("Quuxian Summit 4",)),
    ("what did the latest zorblan ministers’ meeting agree?", ("ZMM 7",)),
    ("what did the latest zorblan ministers meeting agree?", ("ZMM 7",)),
    ("what did the previous zmm agree?", ("ZMM 6",)),
    ("what did the quuxian summit before the 4th quuxian summit agree?", ("Quuxian Summit 3",)),
    ("what did the one before quuxian summit 4 agree?", ("Quuxian Summit 3",)),
    ("what did the one before the fourth quuxian summit agree?", ("Quuxian Summit 3",)),
    ("what did the meeting before zmm-5 agree?", ("ZMM 4",)),
    ("what did the meeting after the 4th zorblan ministers meeting agree?", ("ZMM 5",)),
    ("what did last year's quuxian summit agree?", ("Quuxian Summit 4",)),
])
def test_series_named_in_any_case(loose: Timeline, question: str, expected: tuple[str, ...]) -> None:
    assert keys(loose, question) == expected


def test_a_loosely_numbered_meeting_is_not_a_time_reference(loose: Timeline) -> None:
    # "next" is about the chair here; the question names its meeting by number
    assert keys(loose, "who is the next chair after the 4th quuxian summit?") is None
    assert keys(loose, "who will chair the next quuxian summit 5?") is None
