"""The pruned top-k BM25 (MaxScore) returns exactly what scoring every passage returns."""

from __future__ import annotations

import numpy as np
import pytest

from ammtc_qa.backends.local import bm25


def _postings(token_lists: list[list[str]]) -> bm25.Postings:
    fwd = bm25.Forward.from_tokens(token_lists)
    indptr, rows, tf = fwd.postings()
    return bm25.Postings(fwd.terms, {t: i for i, t in enumerate(fwd.terms)}, indptr, rows.astype(np.int32),
                         tf.astype(np.float32), fwd.indptr, fwd.term_ids, fwd.tf, fwd.lengths)


def _corpus(rng: np.random.Generator, n: int) -> list[list[str]]:
    vocab = [f"w{i}" for i in range(400)]
    p = 1.0 / np.arange(1, len(vocab) + 1)  # Zipf: a few terms in most passages, many rare ones
    p /= p.sum()
    return [list(rng.choice(vocab, size=int(rng.integers(3, 60)), p=p)) for _ in range(n)]


def _full_top(p: bm25.Postings, weights: dict[str, float], stats: bm25.Stats, k: int,
              allowed: np.ndarray | None) -> tuple[dict[int, float], np.ndarray]:
    acc = bm25.segment_scores(p, weights, stats)
    if allowed is not None:
        acc[~allowed] = 0.0
    positive = np.flatnonzero(acc > 0)
    order = positive[np.argsort(-acc[positive], kind="stable")]
    return {int(r): float(acc[r]) for r in order[:k]}, acc


@pytest.mark.parametrize("seed", range(6))
def test_pruned_top_k_equals_scoring_every_passage(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    rng = np.random.default_rng(seed)
    tokens = _corpus(rng, 3000)
    p = _postings(tokens)
    stats = bm25.corpus_stats([p], [np.zeros(0, dtype=np.int64)], k1=0.9, b=0.4)
    monkeypatch.setattr(bm25, "PRUNE_MIN_POSTINGS", 0)  # always take the pruned path
    pruned_reads = 0
    for trial in range(40):
        q = list(rng.choice(p.terms, size=int(rng.integers(1, 8))))
        if trial % 5 == 0:
            q += ["w0", "w1", "w2"]  # the commonest terms: long postings that pruning should skip
        weights = bm25.query_weights(q, stats.idf([p], q))
        k = int(rng.choice([1, 5, 10, 50]))
        allowed = rng.random(p.n) < 0.3 if trial % 3 == 0 else None
        want, acc = _full_top(p, weights, stats, k, allowed)
        rows, scores = bm25.segment_top(p, weights, stats, k, allowed)
        got = dict(zip(rows.tolist(), scores.tolist(), strict=True))
        assert len(got) == len(want)
        # equal scores, bit for bit, for the same passages (ties at the k-th score may swap members)
        for r, s in got.items():
            assert s == float(acc[r])
            assert allowed is None or allowed[r]
        assert sorted(got.values()) == sorted(want.values())
        pruned_reads += 1
    assert pruned_reads == 40


def test_pruning_reads_fewer_postings_on_a_common_term(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rare term with a high weight ends the search before the common term is read whole."""
    rng = np.random.default_rng(0)
    tokens = [["common"] * int(rng.integers(1, 4)) + ["x"] for _ in range(50_000)]
    for i in range(0, 50_000, 5000):
        tokens[i] += ["rare", "rare"]
    p = _postings(tokens)
    stats = bm25.corpus_stats([p], [np.zeros(0, dtype=np.int64)], k1=0.9, b=0.4)
    weights = bm25.query_weights(["rare", "common"], stats.idf([p], ["rare", "common"]))
    read: list[int] = []
    real = bm25._read_postings

    def counting(p: bm25.Postings, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        read.append(hi - lo)
        return real(p, lo, hi)

    monkeypatch.setattr(bm25, "_read_postings", counting)
    rows, scores = bm25.segment_top(p, weights, stats, 5)
    assert read == [10]  # the rare term's postings only; the 50,000 of "common" were looked up, not read
    want = bm25.segment_scores(p, weights, stats)
    assert sorted(scores.tolist()) == sorted(np.sort(want)[-5:].tolist())
    assert set(rows.tolist()) <= set(range(0, 50_000, 5000))
