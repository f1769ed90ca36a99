"""The ask's fast paths give what the plain ones give: the sentence block, the float16
conversion, the BM25 scores kept from the search, the dense search beside the BM25 one, FAISS's
thread setting, and the articles read on first use."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from ammtc_qa.backends.base import TORCH_GRAIN, SentenceBlock, float32
from ammtc_qa.ranking.candidates import Articles
from ammtc_qa.text.lexical import question_tokens

QUESTIONS = ("What did Vietnam propose at AMMTC 19?", "Who chaired the plenary session?",
             "drug trafficking cooperation", "What was agreed on cybercrime?")


def test_sentence_block_views_and_take() -> None:
    parts = [np.arange(6, dtype=np.float32).reshape(2, 3), np.zeros((0, 3), np.float32),
             np.ones((3, 3), np.float32)]
    block = SentenceBlock.of(parts, 3)
    assert len(block) == 3 and block.counts.tolist() == [2, 0, 3]
    assert all(np.array_equal(a, b) for a, b in zip(block, parts, strict=True))
    assert np.array_equal(block[-1], parts[2])
    with pytest.raises(IndexError):
        block[3]
    with pytest.raises(ValueError, match="read-only"):
        block[0][0, 0] = 7.0  # every stage shares these views
    taken = block.take([2, 0])
    assert taken.counts.tolist() == [3, 2] and np.array_equal(taken[1], parts[0])
    with pytest.raises(ValueError, match="bounds"):
        SentenceBlock(np.zeros((4, 3), np.float32), np.array([0, 2], dtype=np.int64))


def test_float32_equals_numpy_for_every_float16_value() -> None:
    every = np.arange(1 << 16, dtype=np.uint16).view(np.float16)  # zeros, subnormals, inf, nan
    assert every.size > TORCH_GRAIN  # the piecewise torch path
    assert np.array_equal(float32(every), every.astype(np.float32), equal_nan=True)
    table = every[: 384 * 100].reshape(100, 384)
    table.flags.writeable = False  # a read-only map's rows
    assert np.array_equal(float32(table[::2]), table[::2].astype(np.float32), equal_nan=True)
    small = np.array([1.5, -2.0], dtype=np.float16)
    assert float32(small).dtype == np.float32 and float32(small).tolist() == [1.5, -2.0]


def test_bm25_scores_kept_from_the_search_equal_fresh_ones(shipped_qa) -> None:  # noqa: ANN001
    backend = shipped_qa.backend
    for q in QUESTIONS:
        tokens = question_tokens(q)
        hits = backend.lexical_search(tokens, 20)
        ids = np.unique(np.concatenate([hits.ids, np.arange(min(len(backend), 10), dtype=np.int64)]))
        kept = backend.lexical_scores(tokens, ids)  # this thread's search just scored the segment
        fresh: list[np.ndarray] = []
        worker = threading.Thread(target=_score_into, args=(fresh, backend, tokens, ids))
        worker.start()
        worker.join()  # another thread has no kept scores: scored from the postings
        assert np.array_equal(kept, fresh[0]), q
        at = {int(p): j for j, p in enumerate(ids.tolist())}
        assert np.allclose([kept[at[int(p)]] for p in hits.ids], hits.scores, rtol=1e-6), q


def _score_into(out: list[np.ndarray], backend, tokens: list[str], ids: np.ndarray) -> None:  # noqa: ANN001
    out.append(backend.lexical_scores(tokens, ids))


def test_answers_equal_with_and_without_parallel_searches(shipped_qa) -> None:  # noqa: ANN001
    for q in QUESTIONS:
        together = shipped_qa.ask(q, explain=True)
        apart = shipped_qa.ask(q, explain=True, parallel_searches=False)
        assert together.passages and [(p.doc_id, p.start, p.score, p.explanation) for p in together.passages] == \
               [(p.doc_id, p.start, p.score, p.explanation) for p in apart.passages], q


def test_dense_search_restores_faiss_threads(shipped_qa) -> None:  # noqa: ANN001
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(2)
    try:
        query = shipped_qa.backend.vectors([0])[0]
        hits = shipped_qa.backend.dense_search(query, 3)
        assert faiss.omp_get_max_threads() == 2
        assert int(hits.ids[0]) == 0 and hits.scores[0] == pytest.approx(1.0, abs=1e-2)
    finally:
        faiss.omp_set_num_threads(before)


def test_articles_are_read_once_on_first_use() -> None:
    reads: list[str] = []

    def load(doc_id: str) -> str:
        reads.append(doc_id)
        return doc_id.upper()

    docs = Articles(load)  # type: ignore[arg-type]
    assert docs["a"] == "A" and docs["a"] == "A" and docs["b"] == "B"
    assert reads == ["a", "b"] and "c" not in docs


def _ask_in_child(qa, question: str, vector: np.ndarray, out) -> None:  # noqa: ANN001
    from ammtc_qa.indexing.embedding import Embedder

    Embedder.encode_query = lambda self, text: vector  # type: ignore[method-assign]  # no torch after fork
    out.put([(p.doc_id, p.start) for p in qa.ask(question).passages])


def test_parallel_searches_work_in_a_forked_child(shipped_qa) -> None:  # noqa: ANN001
    import multiprocessing

    question = QUESTIONS[0]
    expected = [(p.doc_id, p.start) for p in shipped_qa.ask(question).passages]  # the parent's threads exist
    vector = shipped_qa._embedder().encode_query(question)
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    child = ctx.Process(target=_ask_in_child, args=(shipped_qa, question, vector, out))
    child.start()
    child.join(timeout=60)
    if child.is_alive():
        child.kill()
        pytest.fail("an ask in a forked child did not finish: it waited for the parent's search threads")
    assert child.exitcode == 0 and out.get(timeout=5) == expected
