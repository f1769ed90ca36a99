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
    assert "[1] a 0-24 score=0.5000" in text


def test_explain_with_explanations_has_no_hint() -> None:
    answer = Answer("What was agreed?", [_passage({"dense_rank": 1, "fused": 0.25})])
    text = answer.explain()
    assert EXPLAIN_HINT not in text
    assert "dense_rank=1" in text and "fused=0.2500" in text


def test_explain_without_passages_has_no_hint() -> None:
    assert EXPLAIN_HINT not in Answer("What was agreed?", [], notice="nothing indexed").explain()
