"""Latin diacritics are folded for lexical matching, in documents and questions alike."""

from __future__ import annotations

import unicodedata

from ammtc_qa.text.lexical import LexicalIndex, fold_diacritics, question_tokens, tokenize


def test_vietnamese_names_match_with_and_without_marks() -> None:
    assert tokenize("Bộ trưởng Lương Tam Quang") == tokenize("Bo truong Luong Tam Quang")
    assert question_tokens("What did Lương Tam Quang say?") == question_tokens("What did Luong Tam Quang say?")
    assert fold_diacritics("Đà Nẵng") == "Da Nang"  # đ has no Unicode decomposition: mapped explicitly


def test_decomposed_marks_do_not_split_a_word() -> None:
    decomposed = unicodedata.normalize("NFD", "Lương café")
    assert tokenize(decomposed) == ["luong", "cafe"]


def test_non_latin_scripts_keep_their_marks() -> None:
    thai = "สวัสดีครับ"
    assert fold_diacritics(thai) == thai
    assert fold_diacritics("Москва́") == "Москва"  # a combining accent is dropped, the letters stay


def test_bm25_finds_a_marked_passage_for_an_unmarked_question() -> None:
    index = LexicalIndex.build(["Bộ trưởng Lương Tam Quang phát biểu tại hội nghị.",
                                "Police seized 120 kg of methamphetamine in Melaka."])
    scores = index.scores(question_tokens("What did Luong Tam Quang say?"))
    assert scores[0] > 0 and scores[1] == 0
