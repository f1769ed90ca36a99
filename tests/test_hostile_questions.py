"""Hostile questions on the shipped index: each returns an Answer or raises the documented
ValueError/TypeError, in bounded time; an over-long question warns TruncationWarning.

The property test replaces the model's forward pass with the fake encoder (the tokenizer, the
cut to the model window, meeting analysis, BM25 and FAISS are real): arbitrary text only reaches
the network as word-piece ids of a bounded count. A fixed list of noise goes through the real model.
"""

from __future__ import annotations

import string
import time
import tracemalloc
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ammtc_qa import Answer, TruncationWarning
from ammtc_qa.indexing.embedding import Embedder
from ammtc_qa.qa import MAX_QUESTION_CHARS
from conftest import fake_encode

SECONDS = 5.0
"""Bound on one ``ask``, whatever the question (a 1 MB question included)."""

NOISE = ["AMMTC 99999999999", "SOMTC-0", "19th 19th AMMTC AMMTC", "AMMTC", "AMMTC 0", "AMMTC -1", "AMMTC 19" * 300,
         "SOMTC-" + "9" * 400, "19th " * 2000, "?" * 5000, "0" * 100_000, "...", "A.M.M.T.C. 1.9",
         "ＡＭＭＴＣ １９", "AMMTC 19\u200b", "\u202eAMMTC 19", "AMMTC\x0019", "𝐀𝐌𝐌𝐓𝐂 𝟏𝟗", "x" * 1_000_000,
         "Where?" + "\x00" * 1_000_000 + "AMMTC 19"]

_any_char = st.characters(codec=None, exclude_categories=())  # every code point, surrogates and controls too
questions = st.one_of(
    st.text(_any_char, max_size=300),
    st.text(st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Cs", "Co"]), max_size=50),
    st.text(st.sampled_from(string.punctuation), min_size=1, max_size=500),
    st.text(st.sampled_from(string.digits + " ,.:"), min_size=1, max_size=500),
    st.lists(st.sampled_from(["AMMTC", "SOMTC", "SOMTC-", "19th", "13", "99999999999", "-", "0", "Melaka",
                              "2025", "AMMTC 19", "\x00", "\n", " "]), max_size=60).map("".join),
    st.tuples(st.text(_any_char, min_size=1, max_size=8), st.integers(1, 1_000_000 // 8)).map(lambda t: t[0] * t[1]),
)


def _ask_checked(qa, question: object, k: int = 5) -> Answer | None:  # noqa: ANN001
    """``qa.ask`` under the contract: an Answer or ValueError/TypeError, in bounded time, with a
    TruncationWarning whenever what is searched is not the whole question."""
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            answer = qa.ask(question, k=k)
        except (ValueError, TypeError) as exc:
            answer = None
            assert str(exc), "an error without a message"
    took = time.perf_counter() - start
    assert took < SECONDS, f"ask took {took:.1f}s on {question!r:.80}"
    truncated = [w for w in caught if issubclass(w.category, TruncationWarning)]
    if answer is None:
        if isinstance(question, str):
            visible = "".join(c for c in question if c.isprintable() and not c.isspace())
            assert not visible, f"a question with visible text {visible[:40]!r} was refused"
        return None
    assert isinstance(answer, Answer) and len(answer.passages) <= k
    for p in answer.passages:
        assert qa.document(p.doc_id).text[p.start:p.end] == p.text
    visible = "".join(c for c in question if c.isprintable()).strip()
    if len(visible) > MAX_QUESTION_CHARS:
        assert truncated, f"a {len(visible)}-character question was cut without a TruncationWarning"
    if not truncated:
        embedder = qa._embedder()
        assert len(answer.question) <= MAX_QUESTION_CHARS and embedder.fits(answer.question), \
            "the question was cut to the model window without a TruncationWarning"
    return answer


@pytest.fixture(scope="module", autouse=True)
def _warm(shipped_qa) -> None:  # noqa: ANN001
    """Load the model and touch every lazy import once: the time bound is per question, not start-up."""
    shipped_qa.ask("What did Vietnam propose at AMMTC 19?")


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch, shipped_qa) -> None:  # noqa: ANN001
    monkeypatch.setattr(Embedder, "encode", fake_encode)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(question=questions, k=st.integers(1, 12))
def test_any_question_gives_an_answer_or_a_documented_error_in_bounded_time(shipped_qa, fake_model, question: str,  # noqa: ANN001
                                                                              k: int) -> None:
    _ask_checked(shipped_qa, question, k)


@pytest.mark.parametrize("question", NOISE, ids=[repr(q[:20]) + f"-{len(q)}" for q in NOISE])
def test_meeting_like_noise_and_huge_questions_with_the_real_model(shipped_qa, question: str) -> None:  # noqa: ANN001
    answer = _ask_checked(shipped_qa, question)
    assert answer is not None


@pytest.mark.parametrize("question", ["", " ", "\x00", "\x00\x01\x1f\x7f", "\n\t\r ", "\u200b\u200e", "\ufeff"])
def test_empty_questions_raise_value_error(shipped_qa, question: str) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="question is empty"):
        shipped_qa.ask(question)


@pytest.mark.parametrize("question", [None, b"AMMTC 19", 19, ["AMMTC 19"], object()])
def test_non_string_questions_raise_type_error(shipped_qa, question: object) -> None:  # noqa: ANN001
    with pytest.raises(TypeError, match="question must be a string"):
        shipped_qa.ask(question)  # type: ignore[arg-type]


def test_over_long_question_warns_and_answers(shipped_qa) -> None:  # noqa: ANN001
    question = "What did Vietnam propose at AMMTC 19? " * 2000
    with pytest.warns(TruncationWarning, match=f"only the first {MAX_QUESTION_CHARS}"):
        answer = shipped_qa.ask(question, k=3)
    assert answer.passages and len(answer.question) <= MAX_QUESTION_CHARS


def test_memory_for_a_huge_question_is_bounded(shipped_qa, fake_model) -> None:  # noqa: ANN001
    question = "x" * 5_000_000
    tracemalloc.start()
    try:
        with pytest.warns(TruncationWarning):
            shipped_qa.ask(question)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000, f"asking a 5 MB question allocated {peak / 1e6:.0f} MB"
