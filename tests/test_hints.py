"""Publisher and period named in a question: recognised against the corpus, a preference never a filter."""

from __future__ import annotations

import datetime as dt

import pytest

from ammtc_qa.indexing.build import context_header
from ammtc_qa.ranking.hints import PublisherNames, period_in

TODAY = dt.date(2026, 12, 2)  # a Wednesday


@pytest.fixture(scope="module")
def names() -> PublisherNames:
    return PublisherNames(["Daily Planet", "VietnamPlus (VNA)", "The Verge", "Wired", "BBC News", "", "MPS"])


@pytest.mark.parametrize(("question", "expected"), [
    ("What did the Daily Planet report?", {"Daily Planet"}),
    ("what did daily   planet report", {"Daily Planet"}),
    ("What did VNA say about SOMTC?", {"VietnamPlus (VNA)"}),
    ("According to VietnamPlus, who attended?", {"VietnamPlus (VNA)"}),
    ("as reported by The Verge and Wired", {"The Verge", "Wired"}),
    ("according to bbc news", {"BBC News"}),
    ("What did MPS officers seize?", {"MPS"}),
])
def test_publishers_named(names: PublisherNames, question: str, expected: set[str]) -> None:
    assert names(question) == expected


@pytest.mark.parametrize("question", [
    "Were the networks wired together?",  # an ordinary word in lower case is not the magazine
    "What did the planet's leaders say?",
    "Who is on the verge of a deal?",  # "verge" alone is not "The Verge"
    "What did the VNAs do?",
    "What did MPs vote for?",  # members of parliament, not the MPS
    "How did Planetary science fare?",
])
def test_publishers_not_named(names: PublisherNames, question: str) -> None:
    assert names(question) == frozenset()


def test_no_publishers_names_nothing() -> None:
    assert PublisherNames([])("What did Reuters report?") == frozenset()


@pytest.mark.parametrize(("question", "start", "end"), [
    ("What happened in November 2023?", dt.date(2023, 11, 1), dt.date(2023, 11, 30)),
    ("What happened in Nov. 2023?", dt.date(2023, 11, 1), dt.date(2023, 11, 30)),
    ("What was said on 5 March 2024?", dt.date(2024, 3, 4), dt.date(2024, 3, 7)),
    ("What was said on March 5, 2024?", dt.date(2024, 3, 4), dt.date(2024, 3, 7)),
    ("What did the minister say in 2019?", dt.date(2019, 1, 1), dt.date(2019, 12, 31)),
    ("What did last week's reports say?", dt.date(2026, 11, 23), dt.date(2026, 12, 1)),
    ("What was announced this month?", dt.date(2026, 12, 1), dt.date(2026, 12, 31)),
    ("What was announced last month?", dt.date(2026, 11, 1), dt.date(2026, 11, 30)),
    ("What did reports say last year?", dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
    ("What was decided yesterday?", dt.date(2026, 11, 30), dt.date(2026, 12, 2)),
])
def test_periods(question: str, start: dt.date, end: dt.date) -> None:
    period = period_in(question, today=TODAY)
    assert period is not None and (period.start, period.end) == (start, end)


@pytest.mark.parametrize("question", [
    "Who won the 2010 World Cup?",            # a year as a name, not "in 2010"
    "What changed between 2019 and 2020?",    # two periods: no single preference
    "What did the plan for 2026-2035 say?",
    "What happened in May?",                  # a month without a year is too vague to prefer by
    "How is the weather?",
])
def test_no_period(question: str) -> None:
    assert period_in(question, today=TODAY) is None


def test_the_header_carries_the_publisher_last() -> None:
    from ammtc_qa.input.document import make_document

    doc = make_document("x", "Ministers met in Springfield on 4 May 2024 to talk trade. " * 3,
                        {"title": "Trade talks", "publisher": "Daily Planet", "date": "2024-05-05"}, source="x.txt")
    header = context_header(doc)
    assert header.startswith("Trade talks (") and header.endswith("Daily Planet)")


# -- end to end: the named publisher's and period's articles come first, others are still there ----

STORY = ("Harbour officials closed the Northgate bridge to traffic after inspectors found cracks in two "
         "support cables. Engineers said repairs would take several weeks and ferries would run extra trips. ")


@pytest.fixture(scope="module")
def qa(tmp_path_factory: pytest.TempPathFactory, embedder):  # noqa: ANN001, ANN201
    import json

    import ammtc_qa

    root = tmp_path_factory.mktemp("hints")
    corpus = root / "corpus"
    corpus.mkdir()
    files = {"planet.txt": ("Daily Planet", "2023-11-20", "City closes bridge"),
             "gazette.txt": ("Gotham Gazette", "2024-02-03", "Bridge shut for repairs"),
             "wire.txt": ("Metro Wire", "2024-02-04", "Northgate bridge closed")}
    for name, (_, _, title) in files.items():
        (corpus / name).write_text(f"{title}\n\n{STORY}\n\n{STORY.replace('several', 'four')}", encoding="utf-8")
    (corpus / "metadata.json").write_text(json.dumps(
        {n: {"publisher": p, "date": d, "title": t} for n, (p, d, t) in files.items()}), encoding="utf-8")
    return ammtc_qa.load(corpus, root / "index")


def _publishers(answer) -> list[str]:  # noqa: ANN001
    return [p.publisher for p in answer]


@pytest.mark.parametrize("publisher", ["Daily Planet", "Gotham Gazette", "Metro Wire"])
def test_named_publisher_first_others_kept(qa, publisher: str) -> None:  # noqa: ANN001
    answer = qa.ask(f"Why was the Northgate bridge closed, as reported by {publisher}?", k=5)
    assert _publishers(answer)[0] == publisher
    # a preference, not a filter: copies from other outlets are still cited
    others = set(_publishers(answer)[1:]) | {c for p in answer for c in p.also_reported_by}
    assert any(publisher not in o for o in others)


def test_named_period_prefers_articles_dated_in_it(qa) -> None:  # noqa: ANN001
    answer = qa.ask("Why was the Northgate bridge closed in November 2023?", k=5, explain=True)
    assert answer.passages[0].publisher == "Daily Planet"
    assert "November 2023" in str(answer.passages[0].explanation.get("preferred"))


def test_boosts_off_restore_plain_ranking(qa) -> None:  # noqa: ANN001
    question = "Why was the Northgate bridge closed, as reported by Metro Wire?"
    on = qa.ask(question, k=3, explain=True)
    off = qa.ask(question, k=3, explain=True, publisher_boost=0.0)
    assert "publisher Metro Wire" in str(on.passages[0].explanation.get("preferred"))
    assert on.passages[0].score > off.passages[0].score or off.passages[0].publisher != "Metro Wire"
