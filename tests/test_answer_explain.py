"""Answer.explain on answers asked with and without ``explain=True`` (no model needed)."""

from __future__ import annotations

from ammtc_qa.answer import EXPLAIN_HINT, Answer, Passage


def _passage(explanation: dict[str, object]) -> Passage:
    return Passage(text="Ministers agreed a plan.", score=0.5, doc_id="a", start=0, end=24, title="A plan",
                   publisher=None, date=None, url=None, meeting=None, explanation=explanation)


def test_explain_without_explanations_says_how_to_get_them() -> None:
    answer = Answer("What was agreed?", [_passage({}), _passage({})])
    text = answer.explain()
    assert EXPLAIN_HINT in text
    assert "explain=True" in EXPLAIN_HINT
    assert text.count(EXPLAIN_HINT) == 1
    assert ('[1] Unknown publisher, "A plan", n.d.\n    doc a, chars 0-24, score 0.5000\n'
            "    | Ministers agreed a plan.") in text


def test_explain_with_explanations_has_no_hint() -> None:
    answer = Answer("What was agreed?", [_passage({"dense_rank": 1, "lexical_rank": None, "fused": 0.25,
                                                   "highlight_scores": [None, 0.5]})])
    text = answer.explain()
    assert EXPLAIN_HINT not in text
    assert "rank among candidates: dense 1, BM25 - (not in its list)" in text
    assert "scores: fused 0.2500" in text and "sentence scores: headline, 0.5000" in text
    assert answer.passages[0].to_json()["explanation"]["lexical_rank"] is None


def test_html_keeps_paragraphs_and_left_aligns() -> None:
    text = "Ministers meet\n\nThey agreed a plan. It was signed."
    p = Passage(text=text, score=0.5, doc_id="a", start=0, end=len(text), title="A plan", publisher="X",
                date=None, url=None, meeting=None, highlights=((0, 20),))  # a mark across the break
    html = Answer("What was agreed?", [p])._repr_html_()
    assert "<p style='text-align:left;margin:0 0 0.5em 0'><mark>Ministers meet</mark></p>" in html
    assert "<p style='text-align:left;margin:0 0 0.5em 0'><mark>They</mark> agreed a plan. It was signed.</p>" in html
    assert html.count("<th style='text-align:left") == 4 and "<col style='width:16em'>" in html


def test_explain_without_passages_has_no_hint() -> None:
    assert EXPLAIN_HINT not in Answer("What was agreed?", [], notice="nothing indexed").explain()
