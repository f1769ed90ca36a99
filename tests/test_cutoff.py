"""The relevance cut-off and the evidence-meeting preference (``ranking.cutoff``).

A corpus made here: two articles about made-up numbered meetings in made-up places, and one
general news story. The thresholds are the shipped defaults, never tuned to these texts.
"""

from __future__ import annotations

import math

import pytest

import ammtc_qa
from ammtc_qa.errors import SettingsError
from ammtc_qa.settings import SearchSettings

OFF = {"min_relevance": None, "relative_cutoff": None, "evidence_meeting_boost": 0.0}
UNRELATED = ["Who won the 2022 World Cup?", "What is the boiling point of tungsten?"]


def _meeting(n: int, place: str, year: int, topic: str) -> str:
    return (
        f"Ministers meet in {place} on transnational crime\n\n"
        f"The {n}th ASEAN Ministerial Meeting on Transnational Crime (AMMTC {n}) opened in {place} on "
        f"March 3, {year}, with delegations from the member states.\n\n"
        f"{topic}\n\n"
        "At the meeting, the Minister of Public Security proposed that member states share information "
        "on criminal networks in real time and set up joint investigation teams for cases that cross "
        "borders.\n"
    )


@pytest.fixture(scope="module")
def qa(tmp_path_factory: pytest.TempPathFactory, articles: dict[str, str]) -> ammtc_qa.QA:
    root = tmp_path_factory.mktemp("cutoff")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "freedonia.txt").write_text(_meeting(
        7, "Freedonia", 2021, "Delegates agreed to study piracy in the northern straits, where armed gangs "
                              "have boarded cargo ships and taken crews hostage."), encoding="utf-8")
    (corpus / "sylvania.txt").write_text(_meeting(
        8, "Sylvania", 2022, "Delegates agreed to study wildlife trafficking in the southern forests, where "
                             "poachers hunt tigers and elephants for export."), encoding="utf-8")
    (corpus / "melaka.txt").write_text(articles["melaka.txt"], encoding="utf-8")
    return ammtc_qa.load(corpus, root / "index")


@pytest.mark.parametrize("question", UNRELATED)
def test_unrelated_question_gets_no_passages_and_a_notice(qa: ammtc_qa.QA, question: str) -> None:
    answer = qa.ask(question, k=5)
    assert answer.passages == []
    assert answer.notice and "relevant" in answer.notice


@pytest.mark.parametrize("question", UNRELATED)
def test_unrelated_question_on_the_shipped_corpus(shipped_qa, question: str) -> None:  # noqa: ANN001
    answer = shipped_qa.ask(question, k=5)
    assert answer.passages == [] and answer.notice


@pytest.mark.parametrize("question", UNRELATED)
def test_off_switch_restores_k_passages(qa: ammtc_qa.QA, question: str) -> None:
    answer = qa.ask(question, k=3, **OFF)
    assert len(answer) == 3 and answer.notice is None


def test_related_question_keeps_its_evidence(qa: ammtc_qa.QA) -> None:
    answer = qa.ask("How much methamphetamine did police seize in Melaka?", k=5)
    assert answer.passages and "120 kg" in answer.passages[0].text
    assert answer.notice is None


def test_padding_is_cut_below_the_margin(qa: ammtc_qa.QA) -> None:
    question = "How much methamphetamine did police seize in Melaka?"
    full = qa.ask(question, k=5, explain=True, **OFF)
    cut = qa.ask(question, k=5, explain=True)
    assert len(full) == min(5, len(qa.backend))
    assert 0 < len(cut) < len(full)  # fewer than k: the other stories are padding
    top = max(float(p.explanation["relevance"]) for p in cut)
    margin = SearchSettings().relative_cutoff
    assert margin is not None
    assert all(float(p.explanation["relevance"]) >= top - margin for p in cut.passages[1:])
    dropped = [p for p in full if (p.doc_id, p.start) not in {(q.doc_id, q.start) for q in cut}]
    assert dropped and all(float(p.explanation["relevance"]) < top - margin for p in dropped)


def test_floor_alone_and_margin_alone(qa: ammtc_qa.QA) -> None:
    question = UNRELATED[0]
    assert qa.ask(question, k=3, relative_cutoff=None).passages == []
    assert len(qa.ask(question, k=3, min_relevance=None)) >= 1  # the margin keeps the best passage
    assert qa.ask(question, k=3, min_relevance=-1.0, relative_cutoff=None).passages  # a floor nothing is under


def test_evidence_meeting_is_preferred(qa: ammtc_qa.QA) -> None:
    question = "Where did delegates agree to study piracy?"  # names no meeting; the evidence is AMMTC 7's
    answer = qa.ask(question, k=5, explain=True, relative_cutoff=None)
    assert answer.passages[0].doc_id == "freedonia"
    docs = [p.doc_id for p in answer]
    other = [i for i, d in enumerate(docs) if d == "sylvania"]
    own = [i for i, d in enumerate(docs) if d == "freedonia"]
    assert all(answer.passages[i].explanation["demoted"] for i in other)
    assert not any(answer.passages[i].explanation["demoted"] for i in own)
    assert not any(p.explanation["demoted"] for p in answer if p.doc_id == "melaka")  # about no meeting
    assert not other or min(other) > max(own)
    plain = qa.ask(question, k=5, explain=True, relative_cutoff=None, evidence_meeting_boost=0.0)
    assert not any(p.explanation["demoted"] for p in plain)


def test_named_meeting_is_not_demoted(qa: ammtc_qa.QA) -> None:
    answer = qa.ask("What did the minister propose at AMMTC 8?", k=5, explain=True)
    assert answer.passages and {p.doc_id for p in answer} == {"sylvania"}
    assert not any(p.explanation["demoted"] for p in answer)


@pytest.mark.parametrize(("name", "value"), [
    ("min_relevance", 1.5), ("min_relevance", -2.0), ("min_relevance", "0.3"), ("min_relevance", True),
    ("min_relevance", math.nan), ("relative_cutoff", -0.1), ("relative_cutoff", 3.0), ("relative_cutoff", "x"),
    ("evidence_meeting_boost", -0.5), ("evidence_meeting_boost", None),
])
def test_bad_settings_are_refused(name: str, value: object) -> None:
    with pytest.raises(SettingsError, match=name):
        SearchSettings(**{name: value})  # type: ignore[arg-type]


def test_bad_setting_through_ask_is_refused(qa: ammtc_qa.QA) -> None:
    with pytest.raises(SettingsError, match="relative_cutoff"):
        qa.ask("What did the minister propose?", relative_cutoff=-1.0)


def test_none_turns_each_off() -> None:
    s = SearchSettings(min_relevance=None, relative_cutoff=None, evidence_meeting_boost=0)
    assert s.min_relevance is None and s.relative_cutoff is None


def test_a_keyword_query_below_the_cosine_floor_is_rescued_by_its_terms(qa: ammtc_qa.QA) -> None:
    strict = {"min_relevance": 0.99}  # no cosine reaches it: only the term test can keep an answer
    assert qa.ask("methamphetamine Melaka", k=3, **strict).passages
    assert not qa.ask("methamphetamine Melaka", k=3, min_term_coverage=None, **strict).passages
    assert not qa.ask("tungsten boiling point", k=3, **strict).passages
