"""The ranker's corpus-wide tables (meeting catalog, timeline, publisher names) are added up from
per-segment summaries, and article metadata is read on demand: neither may go stale when
articles are added, replaced or removed, and both must equal what every article's metadata gives."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

import ammtc_qa
from ammtc_qa.backends.filters import DocMeta, Filter
from ammtc_qa.backends.summary import MetaSummary
from ammtc_qa.ranking.hints import PublisherNames
from ammtc_qa.ranking.questions import MeetingCatalog
from ammtc_qa.ranking.temporal import Timeline

AS_OF = dt.date(2026, 1, 1)


def _zmm(n: int, place: str, day: str, publisher: str, doc_id: str | None = None) -> dict[str, str]:
    return {"id": doc_id or f"zmm-{n}", "publisher": publisher, "date": day,
            "text": f"Ministers open the {n}th ZMM in {place}\n\n"
                    f"The {n}th Zorblan Ministers' Meeting (ZMM) opened in {place} on {day}. Delegates of the "
                    f"{n}th ZMM agreed on a plan against frobnication, officials in {place} said.\n"}


def _corpus(make_corpus, extra: dict[str, str] | None = None) -> Path:  # noqa: ANN001
    lines = [_zmm(3, "Quux", "2021-03-02", "Quux Daily"), _zmm(4, "Blorp", "2022-05-10", "Blorp Times"),
             {"id": "undated", "text": "Police seize pangolin scales\n\nCustoms officers seized 40 kg of pangolin "
                                       "scales at the border port, officials said.\n", "publisher": "Quux Daily"}]
    return make_corpus({"archive.jsonl": "\n".join(json.dumps(x) for x in lines) + "\n", **(extra or {})})


def _tables(meta: list[DocMeta]) -> tuple[object, ...]:
    """What the tables say, built from every article's metadata the way the ranker once did."""
    catalog = MeetingCatalog.from_meta(meta)
    timeline = Timeline.from_meta(meta, aliases={k: r for r, ks in catalog.series.items() for k in ks},
                                  canonical=catalog.canonical)
    return _said(catalog, timeline)


def _said(catalog: MeetingCatalog, timeline: Timeline) -> tuple[object, ...]:
    return (catalog.keys, {k: sorted(catalog.docs_mentioning[k]) for k in catalog.keys}, catalog.by_year,
            catalog.by_place, list(catalog.series.items()), timeline.meetings, timeline.by_kind, timeline.by_place,
            timeline.names, timeline.surfaces)


def _check_fresh(qa: ammtc_qa.QA) -> None:
    ranker = qa._ranker
    meta = list(qa.backend.doc_meta())
    assert sorted(m.doc_id for m in meta) == sorted(d.doc_id for d in qa.documents())
    assert all(m == DocMeta.of(qa.document(m.doc_id)) for m in meta)  # read on demand, never stale
    assert _said(ranker.catalog, ranker.timeline) == _tables(meta)
    names = PublisherNames(m.publisher for m in meta if m.publisher)
    for publisher in {m.publisher for m in meta if m.publisher} | {"Quux Daily", "Blorp Times", "Wibble Wire"}:
        question = f"What did {publisher} report?"
        assert ranker.publishers(question) == names(question)


def latest(qa: ammtc_qa.QA) -> tuple[str, ...]:
    reading = qa._ranker.timeline.read("What did the latest ZMM agree?", as_of=AS_OF)
    assert reading is not None
    return reading.keys


def test_tables_follow_adds_updates_and_removes(make_corpus, tmp_path: Path, fast_encode: None) -> None:  # noqa: ANN001
    settings = ammtc_qa.IndexSettings(merge_factor=2, min_merge_passages=1)
    qa = ammtc_qa.load(_corpus(make_corpus), tmp_path / "index", settings=settings)
    _check_fresh(qa)
    assert latest(qa) == ("ZMM 4",)
    assert "zmm-4" in qa._ranker.catalog.docs_mentioning["ZMM 4"]
    assert qa._ranker.publishers("as reported by Wibble Wire") == frozenset()

    qa.add(_zmm(5, "Wibbleton", "2023-07-01", "Wibble Wire"))  # a newer meeting, a new publisher
    _check_fresh(qa)
    assert latest(qa) == ("ZMM 5",)
    assert qa._ranker.publishers("as reported by Wibble Wire") == frozenset({"Wibble Wire"})
    assert qa._ranker.catalog.by_place["wibbleton"] == frozenset({"ZMM 5"})

    # a second article about ZMM 5, then the first one replaced by one that moves it
    qa.add(_zmm(5, "Wibbleton", "2023-07-02", "Quux Daily", doc_id="zmm-5-again"))
    _check_fresh(qa)
    qa.update(_zmm(6, "Frobville", "2024-02-03", "Wibble Wire", doc_id="zmm-5"))
    _check_fresh(qa)
    assert latest(qa) == ("ZMM 6",)
    assert qa._ranker.catalog.docs_mentioning["ZMM 5"] == frozenset({"zmm-5-again"})

    # removing the only article of a meeting removes the meeting; the only one of a publisher, its name
    qa.remove("zmm-5")
    _check_fresh(qa)
    assert "ZMM 6" not in qa._ranker.catalog.docs_mentioning and latest(qa) == ("ZMM 5",)
    assert "frobville" not in qa._ranker.catalog.by_place
    assert qa._ranker.publishers("as reported by Wibble Wire") == frozenset()
    qa.remove("zmm-5-again")
    _check_fresh(qa)
    assert latest(qa) == ("ZMM 4",) and "ZMM 5" not in qa._ranker.catalog.keys

    again = ammtc_qa.load(qa.corpus_dir, tmp_path / "index",
                          rebuild="never", settings=settings)
    _check_fresh(again)  # the same from the segments' stored summaries, in a fresh open
    assert latest(again) == ("ZMM 4",)


def test_the_undated_notice_counts_from_the_date_column(make_corpus, tmp_path: Path, fast_encode: None) -> None:  # noqa: ANN001
    qa = ammtc_qa.load(_corpus(make_corpus), tmp_path / "index")
    backend = qa.backend
    meta = list(backend.doc_meta())
    for where in (Filter(), Filter(publishers=frozenset({"quux daily"})), Filter(publishers=frozenset({"none"})),
                  Filter(meetings=frozenset({"ZMM 3"}))):
        assert backend.count_undated(where) == sum(where.matches(m) for m in meta if m.date is None)
    qa.add({"id": "undated-2", "publisher": "Blorp Times",
            "text": "Raid on a warehouse\n\nOfficers found 12 kg of ivory in a warehouse, police said.\n"})
    assert qa.backend.count_undated(Filter()) == 2
    answer = qa.ask("What was seized?", filters={"since": "2020-01-01"})
    assert "left out 2 articles without a date" in (answer.notice or "")


def test_summary_without_its_first_article_is_counted_again() -> None:
    """Ties in the timeline's place order go to the first article; a summary that loses the
    article a value first came from cannot know the next one, and says so."""
    a = DocMeta("a", date=dt.date(2024, 1, 1), main_meeting="ZMM 1", meetings=("ZMM 1",), places=("Quux", "Blorp"))
    b = DocMeta("b", date=dt.date(2024, 1, 2), main_meeting="ZMM 1", meetings=("ZMM 1",), places=("Blorp", "Quux"))
    c = DocMeta("c", date=dt.date(2024, 1, 3), main_meeting="ZMM 2", meetings=("ZMM 2",), places=("Wib",))
    whole = MetaSummary.of([a, b, c])
    assert whole.without([(0, a)]) is None
    rest = whole.without([(2, c)])
    assert rest is not None and rest.to_json() == MetaSummary.of([a, b]).to_json()
    assert MetaSummary.from_json(json.loads(json.dumps(whole.to_json()))).to_json() == whole.to_json()
    # the order of first occurrence survives combining parts
    combined = MetaSummary.combine([MetaSummary.of([b]), MetaSummary.of([a, c])])
    assert [k for k, _ in combined.ordered("places")] == [("ZMM 1", "Blorp"), ("ZMM 1", "Quux"), ("ZMM 2", "Wib")]
    assert Timeline.from_summary(combined).meetings["ZMM 1"].places == ("Blorp", "Quux")
    assert Timeline.from_meta([b, a, c]).meetings == Timeline.from_summary(combined).meetings
    assert dataclasses.asdict(Timeline.from_meta([a, b]).meetings["ZMM 1"])["places"] == ("Quux", "Blorp")


@pytest.mark.parametrize("index", [0, -1])
def test_doc_meta_is_a_lazy_sequence(make_corpus, tmp_path: Path, fast_encode: None, index: int) -> None:  # noqa: ANN001
    qa = ammtc_qa.load(_corpus(make_corpus), tmp_path / "index")
    meta = qa.backend.doc_meta()
    assert len(meta) == 3 and meta[index] == list(meta)[index]
    with pytest.raises(IndexError):
        meta[3]
