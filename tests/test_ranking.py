"""Ranking mechanisms, each checked on a small corpus made here (not only on the shipped one).

The articles are about made-up meetings in made-up places, worded almost identically, so
only the meeting logic can tell them apart.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ammtc_qa
from ammtc_qa.text.lexical import LexicalIndex, question_tokens, tokenize

PROPOSALS = (
    "At the meeting, the Minister of Public Security proposed three measures. Firstly, member states "
    "should share information on criminal networks in real time. Secondly, they should set up joint "
    "investigation teams for cases that cross borders. Thirdly, they should train police officers "
    "to trace stolen assets abroad."
)


def _article(n: int, place: str, year: int, extra: str) -> str:
    ordinal = {7: "7th", 8: "8th"}[n]
    return (
        f"Ministers meet in {place} on transnational crime\n\n"
        f"The {ordinal} ASEAN Ministerial Meeting on Transnational Crime (AMMTC {n}) opened in {place} on "
        f"March 3, {year}, with delegations from the member states.\n\n"
        f"{PROPOSALS}\n\n{extra}\n"
    )


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> ammtc_qa.QA:
    root = tmp_path_factory.mktemp("twins")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "freedonia.txt").write_text(_article(
        7, "Freedonia", 2021, "Delegates also agreed to study piracy in the northern straits."), encoding="utf-8")
    (corpus / "sylvania.txt").write_text(_article(
        8, "Sylvania", 2022, "Delegates also agreed to study wildlife trafficking in the southern forests."),
        encoding="utf-8")
    return ammtc_qa.load(corpus, root / "index")


def _doc_ids(answer: ammtc_qa.Answer) -> set[str]:
    return {p.doc_id for p in answer.passages}


@pytest.mark.parametrize(("question", "expected"), [
    ("What did the minister propose at AMMTC 8?", "sylvania"),
    ("What did the minister propose at the 7th AMMTC?", "freedonia"),
    ("What was proposed at AMMTC-7?", "freedonia"),
    ("Which measures were proposed at the Eighth ASEAN Ministerial Meeting on Transnational Crime?", "sylvania"),
])
def test_named_meeting_restricts_to_its_articles(twins: ammtc_qa.QA, question: str, expected: str) -> None:
    answer = twins.ask(question, k=5)
    assert answer.passages, question
    assert _doc_ids(answer) == {expected}


def test_unknown_meeting_abstains_with_notice(twins: ammtc_qa.QA) -> None:
    answer = twins.ask("What did the minister propose at AMMTC 30?", k=5)
    assert answer.passages == []
    assert answer.notice is not None
    assert "AMMTC 30" in answer.notice and "AMMTC 7" in answer.notice and "AMMTC 8" in answer.notice


@pytest.mark.parametrize(("question", "expected", "meeting"), [
    ("What did the minister propose at the Sylvania meeting?", "sylvania", "AMMTC 8"),
    ("What did the minister propose in 2021?", "freedonia", "AMMTC 7"),
])
def test_place_or_year_implies_the_meeting(twins: ammtc_qa.QA, question: str, expected: str, meeting: str) -> None:
    answer = twins.ask(question, k=3)
    assert answer.meetings == (meeting,)
    assert answer.passages[0].doc_id == expected


def test_place_and_year_that_disagree_imply_nothing(twins: ammtc_qa.QA) -> None:
    answer = twins.ask("What did the minister propose in Sylvania in 2021?", k=3)
    assert answer.meetings == ()


def test_numbers_and_meeting_keys_survive_tokenization() -> None:
    tokens = tokenize("AMMTC 9 seized 1,584.36 kg in 2019 at room 9; the 19th AMMTC met")
    assert "ammtc_9" in tokens and "ammtc_19" in tokens
    assert "1,584.36" in tokens and "2019" in tokens and "9" in tokens
    assert tokenize("AMMTC 9") != tokenize("AMMTC 19")


def test_question_words_match_nothing_in_passages() -> None:
    # "which" asks in a question and relates in a passage: a passage must not score for it.
    assert question_tokens("Which city hosted AMMTC 9?") == [t for t in tokenize("city hosted AMMTC 9")]
    assert "which" in tokenize("The plan, which was adopted, hosted")
    index = LexicalIndex.build(["The plan, which was adopted, which many backed.", "Hanoi hosted the talks.",
                                "Officials met in Hanoi."])
    scores = index.scores(question_tokens("Which city hosted the talks?"))
    assert scores[0] == 0 and scores[1] > 0


def test_explain_shows_every_signal(twins: ammtc_qa.QA) -> None:
    answer = twins.ask("What did the minister propose at AMMTC 8?", k=2, explain=True)
    text = answer.explain()
    for field in ("rank among candidates: dense ", ", BM25 ", "fused ", "best sentence ", "meeting: restricted",
                  "sentence scores: "):
        assert field in text


def test_highlights_mark_the_matching_sentence(twins: ammtc_qa.QA) -> None:
    answer = twins.ask("Who should set up joint investigation teams at AMMTC 7?", k=3)
    top = answer.passages[0]
    assert top.highlights
    for start, end in top.highlights:
        assert top.start <= start < end <= top.end
    doc = twins.document(top.doc_id)
    assert any("joint investigation teams" in doc.text[s:e] for s, e in top.highlights)
    assert "**" in top.marked() and "<mark>" in answer._repr_html_()


def test_reranker_scores_change_the_order(twins: ammtc_qa.QA, monkeypatch: pytest.MonkeyPatch) -> None:
    question = "What did delegates agree to study at AMMTC 8?"
    baseline = twins.ask(question, k=3)
    last = baseline.passages[-1]

    class Favouring:
        def predict(self, pairs: list[tuple[str, str]]) -> np.ndarray:
            return np.array([50.0 if text == last.text else -50.0 for _, text in pairs])

    monkeypatch.setattr(twins._ranker, "reranker", Favouring())
    assert twins.ask(question, k=3).passages[0].text == last.text


def test_cross_encoder_folder_is_loaded_and_applied(twins: ammtc_qa.QA, tmp_path: Path) -> None:
    """Wiring only: a tiny random-weight CrossEncoder saved here, loaded through load()."""
    transformers = pytest.importorskip("transformers")
    from ammtc_qa.indexing.embedding import default_model_path

    tokenizer = transformers.AutoTokenizer.from_pretrained(str(default_model_path()))
    config = transformers.BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=1,
                                     num_attention_heads=2, intermediate_size=64, num_labels=1)
    transformers.BertForSequenceClassification(config).save_pretrained(tmp_path / "tiny-ce")
    tokenizer.save_pretrained(tmp_path / "tiny-ce")
    qa = ammtc_qa.load(twins.corpus_dir, twins.index_dir, reranker=str(tmp_path / "tiny-ce"))
    reranker = qa._ranker.reranker
    assert reranker is not None
    calls: list[int] = []
    predict = reranker.predict
    reranker.predict = lambda pairs, **kw: calls.append(len(pairs)) or predict(pairs, **kw)
    answer = qa.ask("What did the minister propose at AMMTC 8?", k=3)
    assert calls and calls[0] >= 1
    assert answer.passages and all(p.doc_id == "sylvania" for p in answer.passages)


def test_syndicated_copy_is_folded_not_repeated(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    story = ("The 9th ASEAN Ministerial Meeting on Transnational Crime (AMMTC 9) closed in Ruritania on May 2, "
             "2023.\n\nMinisters agreed to create a regional register of seized cargo ships and to inspect "
             "container ports jointly every quarter, starting next year, with shared funding.\n")
    (corpus / "wire_a.txt").write_text("Ministers agree cargo ship register\n\n" + story, encoding="utf-8")
    (corpus / "wire_b.txt").write_text("Regional register of cargo ships agreed\n\n" + story, encoding="utf-8")
    (corpus / "metadata.json").write_text(
        '{"wire_a.txt": {"publisher": "Agency A"}, "wire_b.txt": {"publisher": "Agency B"}}', encoding="utf-8")
    qa = ammtc_qa.load(corpus, tmp_path / "index")
    answer = qa.ask("What register did ministers agree to create at AMMTC 9?", k=2)
    texts = [p.text for p in answer.passages]
    assert len(set(texts)) == len(texts)
    assert any(p.also_reported_by for p in answer.passages)
    assert any("Agency" in c for p in answer.passages for c in p.also_reported_by)
