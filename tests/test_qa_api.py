"""The public API on the shipped corpus: ``ammtc_qa.load().ask(...)`` and what an Answer offers."""

from __future__ import annotations

import re

import pytest

import ammtc_qa
from ammtc_qa import Answer, Passage

QUESTION = "What did Vietnam propose at AMMTC 19?"
CITATION = re.compile(r'^.+, ".+", (\d{4}-\d{2}-\d{2}|n\.d\.)$')


@pytest.fixture(scope="module")
def answer(shipped_qa) -> Answer:  # noqa: ANN001
    return shipped_qa.ask(QUESTION, k=5)


@pytest.fixture(scope="module")
def explained(shipped_qa) -> Answer:  # noqa: ANN001
    return shipped_qa.ask(QUESTION, k=5, explain=True)


def test_shipped_index_is_current() -> None:
    """The committed index matches the committed corpus, model and settings: loading it never rebuilds
    (and never writes into the package)."""
    qa = ammtc_qa.load(rebuild="never")
    assert len(qa.documents()) == 5


def test_ask_returns_at_most_k_cited_passages(answer: Answer, shipped_qa) -> None:  # noqa: ANN001
    assert isinstance(answer, Answer)
    assert answer.question == QUESTION
    assert 1 <= len(answer) <= 5
    assert answer.notice is None
    assert answer.meetings == ("AMMTC 19",)
    scores = [p.score for p in answer]
    assert scores == sorted(scores, reverse=True)
    for p in answer:
        assert isinstance(p, Passage)
        doc = shipped_qa.document(p.doc_id)
        assert doc.text[p.start:p.end] == p.text
        assert "AMMTC 19" in (doc.meetings.main, *doc.meetings.mentioned)  # a named meeting restricts


def test_ask_finds_the_proposal(answer: Answer) -> None:
    assert any("proposed four approaches" in p.text for p in answer)


def test_citation_has_publisher_quoted_title_and_iso_date(answer: Answer, shipped_qa) -> None:  # noqa: ANN001
    for p in answer:
        doc = shipped_qa.document(p.doc_id)
        assert p.publisher and p.title and p.date
        assert p.citation == f'{p.publisher}, "{p.title}", {p.date.isoformat()}'
        assert CITATION.match(p.citation)
        assert p.citation == doc.citation
    assert answer.passages[0].citation == (
        'MPS, "ASEAN strengthens cooperation in combating transnational crime", 2025-09-11')


def test_str_contains_question_and_citations(answer: Answer) -> None:
    text = str(answer)
    assert text.startswith(f"Q: {QUESTION}")
    for i, p in enumerate(answer, 1):
        assert f"[{i}] {p.citation}" in text


def test_repr_html_is_a_table(answer: Answer) -> None:
    page = answer._repr_html_()
    assert page.count("<table ") == 1 and page.count("</table>") == 1
    assert page.count("<tr>") == len(answer) + 1  # header row + one per passage
    assert "<mark>" in page
    assert "Vietnam propose at AMMTC 19?" in page
    assert "&quot;ASEAN strengthens cooperation" in page  # citation quotes are escaped


def test_repr_html_escapes_the_question(shipped_qa) -> None:  # noqa: ANN001
    page = shipped_qa.ask("<script>alert(1)</script> drug seizures", k=1)._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_explain_mentions_dense_and_lexical_ranks(explained: Answer) -> None:
    text = explained.explain()
    assert "meetings understood: AMMTC 19" in text
    assert text.count("rank among candidates: dense ") == len(explained)
    assert "restricted to articles mentioning AMMTC 19" in text
    for p in explained:
        ranks = (p.explanation["dense_rank"], p.explanation["lexical_rank"])
        assert any(r is not None for r in ranks)  # a candidate comes from one list at least
        assert all(r is None or (isinstance(r, int) and r >= 1) for r in ranks)  # 1-based, like the answer list


def test_explain_does_not_change_the_ranking(answer: Answer, explained: Answer) -> None:
    assert [(p.doc_id, p.start) for p in answer] == [(p.doc_id, p.start) for p in explained]


def test_highlights_lie_inside_the_passage(answer: Answer) -> None:
    assert any(p.highlights for p in answer)
    for p in answer:
        last = p.start
        for s, e in p.highlights:
            assert p.start <= s < e <= p.end
            assert s >= last  # sorted, not overlapping
            last = e
        marked = p.marked("<<", ">>")
        assert marked.replace("<<", "").replace(">>", "") == p.text
        assert marked.count("<<") == len(p.highlights)


def test_to_json_round_trips_the_fields(answer: Answer) -> None:
    data = answer.to_json()
    assert data["question"] == QUESTION and len(data["passages"]) == len(answer)
    first = data["passages"][0]
    assert first["citation"] == answer.passages[0].citation and first["date"] == "2025-09-11"


def test_unknown_meeting_gives_no_passages_and_a_notice(shipped_qa) -> None:  # noqa: ANN001
    answer = shipped_qa.ask("What happened at AMMTC 30?")
    assert len(answer) == 0 and answer.passages == []
    assert answer.notice and "AMMTC 30" in answer.notice
    assert "AMMTC 30" in str(answer)
    assert "AMMTC 30" in answer._repr_html_()


@pytest.mark.parametrize("question", ["", "   ", "\n\t ", "\x00\x01"])
def test_empty_question_is_a_value_error(shipped_qa, question: str) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="empty"):
        shipped_qa.ask(question)


@pytest.mark.parametrize("question", [None, 42, b"What did Vietnam propose?", ["AMMTC 19"]])
def test_non_string_question_is_a_type_error(shipped_qa, question: object) -> None:  # noqa: ANN001
    with pytest.raises(TypeError, match="question must be a string"):
        shipped_qa.ask(question)  # type: ignore[arg-type]


@pytest.mark.parametrize("k", [0, -1])
def test_k_below_one_is_a_value_error(shipped_qa, k: int) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="k must be at least 1"):
        shipped_qa.ask(QUESTION, k=k)


@pytest.mark.parametrize("k", ["3", 2.0, True, None])
def test_non_integer_k_is_a_type_error(shipped_qa, k: object) -> None:  # noqa: ANN001
    with pytest.raises(TypeError, match="k must be an integer"):
        shipped_qa.ask(QUESTION, k=k)  # type: ignore[arg-type]


def test_large_k_returns_what_there_is(shipped_qa) -> None:  # noqa: ANN001
    # with the relevance cut-off off: otherwise only the passages that answer come back
    answer = shipped_qa.ask(QUESTION, k=1000, min_relevance=None, relative_cutoff=None)
    assert 5 < len(answer) <= len(shipped_qa.backend)


def test_unknown_document_id_is_a_key_error(shipped_qa) -> None:  # noqa: ANN001
    with pytest.raises(KeyError, match="no-such-article"):
        shipped_qa.document("no-such-article")


def test_unknown_doc_in_cleaning_report_is_a_key_error(shipped_qa) -> None:  # noqa: ANN001
    with pytest.raises(KeyError):
        shipped_qa.cleaning_report("no-such-article")


def test_bad_rebuild_mode_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="rebuild must be"):
        ammtc_qa.load(rebuild="sometimes")


def test_info_describes_the_shipped_index(shipped_qa) -> None:  # noqa: ANN001
    info = shipped_qa.info()
    assert info["documents"] == 5 and info["chunks"] == len(shipped_qa.backend)
    assert info["model"] == {"name": "all-MiniLM-L6-v2", "dim": 384, "max_tokens": 256}
    assert "AMMTC 19" in info["meetings"] and info["skipped"] == []


def test_setting_overrides_are_checked(shipped_qa) -> None:  # noqa: ANN001
    from ammtc_qa import AmmtcQaError

    with pytest.raises(ValueError, match="fusion must be one of convex, rrf, not 'rfr'") as bad_value:
        shipped_qa.ask("drug seizures", fusion="rfr")
    with pytest.raises(TypeError, match="unknown search setting.* fuson; valid: k, dense_depth") as bad_name:
        shipped_qa.ask("drug seizures", fuson="rrf")
    with pytest.raises(ValueError, match="dense_depth must be at least 1"):
        shipped_qa.ask("drug seizures", dense_depth=0)
    assert isinstance(bad_value.value, AmmtcQaError) and isinstance(bad_name.value, AmmtcQaError)
    assert shipped_qa.ask("drug seizures", k=1, fusion="rrf").passages  # a valid override still works
