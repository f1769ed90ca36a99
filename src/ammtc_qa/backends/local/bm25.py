"""BM25 over segments, with corpus-wide statistics.

Why not bm25s (used before, and still the reference the contract suite compares with): it
precomputes every ``(term, passage)`` score with the idf and average length of the corpus it
was built on, so adding one article means rebuilding it whole. SQLite FTS5 and tantivy index
incrementally but fix k1 = 1.2, b = 0.75 (and FTS5 uses another idf), which would change
every ranking. So each immutable segment stores raw term frequencies (postings by term, and a
forward index by passage for merges and deletions), and scores are computed at query time from
statistics over all live passages: N, the average length, and each term's document frequency
less the tombstoned passages that held it. The formula is bm25s's Lucene variant::

    idf(t)  = ln(1 + (N - df + 0.5) / (df + 0.5))
    s(t, d) = idf(t) * tf / (tf + k1 * (1 - b + b * |d| / avgdl))

so scores equal those of a bm25s index built from scratch over the same live passages.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .reading import run_rows


@dataclass(frozen=True)
class Postings:
    """One segment's term statistics (arrays may be memory-mapped)."""

    terms: list[str]
    vocab: dict[str, int]
    indptr: np.ndarray  # int64 [V+1]: postings of term t are rows[indptr[t]:indptr[t+1]]
    rows: np.ndarray  # int32 [P], ascending within a term
    tf: np.ndarray  # float32 [P]
    fwd_indptr: np.ndarray  # int64 [n+1]: terms of passage r are fwd_terms[fwd_indptr[r]:fwd_indptr[r+1]]
    fwd_terms: np.ndarray  # int32 [P]
    fwd_tf: np.ndarray  # float32 [P]
    lengths: np.ndarray  # float32 [n]: tokens per passage (repeats counted)

    @property
    def n(self) -> int:
        return len(self.lengths)

    @property
    def forward(self) -> Forward:
        return Forward(self.terms, self.fwd_indptr, self.fwd_terms, self.fwd_tf, self.lengths)

    def df(self, term: str) -> int:
        t = self.vocab.get(term)
        return 0 if t is None else int(self.indptr[t + 1] - self.indptr[t])


@dataclass(frozen=True)
class Forward:
    """Term counts by passage, the form a segment is written from (and merged from)."""

    terms: list[str]
    indptr: np.ndarray  # int64 [n+1]
    term_ids: np.ndarray  # int32, ascending within a passage
    tf: np.ndarray  # float32
    lengths: np.ndarray  # float32 [n]

    @classmethod
    def from_tokens(cls, token_lists: Sequence[Sequence[str]]) -> Forward:
        counts = [Counter(t) for t in token_lists]
        terms = sorted(set().union(*counts)) if counts else []
        vocab = {t: i for i, t in enumerate(terms)}
        sizes = np.fromiter((len(c) for c in counts), dtype=np.int64, count=len(counts))
        indptr = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(sizes, out=indptr[1:])
        ids = np.fromiter((vocab[t] for c in counts for t in c), dtype=np.int32, count=int(indptr[-1]))
        tf = np.fromiter((n for c in counts for n in c.values()), dtype=np.float32, count=int(indptr[-1]))
        rows = np.repeat(np.arange(len(counts)), sizes)
        order = np.lexsort((ids, rows))  # ascending term id within each passage
        lengths = np.fromiter((sum(c.values()) for c in counts), dtype=np.float32, count=len(counts))
        return cls(terms, indptr, ids[order], tf[order], lengths)

    @classmethod
    def concat(cls, parts: Sequence[tuple[Forward, np.ndarray]]) -> Forward:
        """The passages ``rows`` of each part, in order, over one merged vocabulary."""
        terms = sorted(set().union(*(p.terms for p, _ in parts))) if parts else []
        vocab = {t: i for i, t in enumerate(terms)}
        indptrs, ids, tfs, lengths = [np.zeros(1, dtype=np.int64)], [], [], []
        offset = 0
        for p, rows in parts:
            remap = np.fromiter((vocab[t] for t in p.terms), dtype=np.int32, count=len(p.terms))
            lo, hi = p.indptr[rows], p.indptr[rows + 1]
            sizes = hi - lo
            take = run_rows(lo, hi)
            ids.append(remap[p.term_ids[take]] if len(take) else np.zeros(0, dtype=np.int32))
            tfs.append(p.tf[take])
            indptrs.append(offset + np.cumsum(sizes))
            offset += int(sizes.sum())
            lengths.append(p.lengths[rows])
        return cls(terms, np.concatenate(indptrs).astype(np.int64), np.concatenate(ids or [np.zeros(0, np.int32)]),
                   np.concatenate(tfs or [np.zeros(0, np.float32)]).astype(np.float32),
                   np.concatenate(lengths or [np.zeros(0, np.float32)]).astype(np.float32))

    def postings(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(indptr, rows, tf)`` by term, rows ascending within a term."""
        n = len(self.lengths)
        rows = np.repeat(np.arange(n, dtype=np.int32), np.diff(self.indptr))
        order = np.lexsort((rows, self.term_ids))
        indptr = np.zeros(len(self.terms) + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.term_ids, minlength=len(self.terms)), out=indptr[1:])
        return indptr, rows[order], self.tf[order]


@dataclass(frozen=True)
class Stats:
    """Corpus-wide BM25 statistics over the live passages of every segment."""

    n: int
    avgdl: float
    k1: float
    b: float
    removed_df: Counter[str]
    """Document frequency held by tombstoned passages, subtracted from the segments' own."""

    def idf(self, segments: Sequence[Postings], terms: Sequence[str]) -> dict[str, float]:
        out = {}
        for t in set(terms):
            df = sum(p.df(t) for p in segments) - self.removed_df.get(t, 0)
            if df > 0:
                out[t] = float(np.log(1.0 + (self.n - df + 0.5) / (df + 0.5)))
        return out


def corpus_stats(segments: Sequence[Postings], dead: Sequence[np.ndarray], k1: float, b: float) -> Stats:
    """``dead[i]``: sorted local rows of segment ``i`` that are tombstoned."""
    n = 0
    total = 0.0
    removed: Counter[str] = Counter()
    for p, rows in zip(segments, dead, strict=True):
        n += p.n - len(rows)
        total += float(p.lengths.sum(dtype=np.float64)) - float(p.lengths[rows].sum(dtype=np.float64))
        for r in rows.tolist():
            lo, hi = int(p.fwd_indptr[r]), int(p.fwd_indptr[r + 1])
            removed.update(p.terms[int(t)] for t in p.fwd_terms[lo:hi])
    return Stats(n=n, avgdl=(total / n) if n else 1.0, k1=k1, b=b, removed_df=removed)


def segment_scores(p: Postings, weights: dict[str, float], stats: Stats) -> np.ndarray:
    """float32 ``[n]``: BM25 of every passage of the segment; ``weights`` = idf x query multiplicity."""
    acc = np.zeros(p.n, dtype=np.float32)
    for term, w in weights.items():
        t = p.vocab.get(term)
        if t is None:
            continue
        lo, hi = int(p.indptr[t]), int(p.indptr[t + 1])
        rows = p.rows[lo:hi]
        tf = p.tf[lo:hi]
        norm = stats.k1 * (1.0 - stats.b + stats.b * p.lengths[rows] / stats.avgdl)
        acc[rows] += (w * tf / (tf + norm)).astype(np.float32)
    return acc


PRUNE_MIN_POSTINGS = 32_768
"""Below this many postings over the query's terms a segment is scored whole (a scan of a few
thousand entries costs less than pruning's bookkeeping); above it ``segment_top`` skips."""


def scans_whole(p: Postings, weights: dict[str, float]) -> bool:
    """Whether ``segment_top`` scores the whole segment for these terms (few postings) rather
    than pruning."""
    total = 0
    for term in weights:
        t = p.vocab.get(term)
        if t is not None:
            total += int(p.indptr[t + 1] - p.indptr[t])
    return total < PRUNE_MIN_POSTINGS


def segment_top(p: Postings, weights: dict[str, float], stats: Stats, k: int,
                allowed: np.ndarray | None = None, whole: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best ``(local rows, scores)`` of a segment, exactly the top of
    ``segment_scores`` (rows with a positive score, among ``allowed``), without reading every
    posting of the query's common terms.

    MaxScore, term at a time: a term adds at most its weight (``tf / (tf + norm) < 1``), so the
    terms are read whole rarest first (highest weight, shortest postings) until the ``k``-th
    best partial score beats the sum of the weights not yet read. No unseen passage can then
    reach the top, and the seen ones that still could (partial + that sum ≥ the ``k``-th
    partial) are scored exactly by lookups (``scores_for``: binary searches in the long
    postings, a few pages each, instead of scanning them).

    ``whole``: ``segment_scores`` already computed for these weights (when ``scans_whole``)."""
    spans = []
    for term, w in weights.items():
        t = p.vocab.get(term)
        if t is not None and p.indptr[t + 1] > p.indptr[t]:
            spans.append((w, int(p.indptr[t]), int(p.indptr[t + 1])))
    if k <= 0 or not spans:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    if whole is not None or scans_whole(p, weights):
        acc = segment_scores(p, weights, stats) if whole is None else whole
        if allowed is not None:
            acc = np.where(allowed, acc, np.float32(0.0))
        return _top(np.flatnonzero(acc > 0), acc, k)
    spans.sort(key=lambda s: (-s[0], s[2] - s[1]))
    rest = np.cumsum([w for w, _, _ in spans][::-1])[::-1].tolist()[1:] + [0.0]  # weight not yet read
    left = np.cumsum([hi - lo for _, lo, hi in spans][::-1])[::-1].tolist()[1:] + [0]  # postings not yet read
    rows_u = np.zeros(0, dtype=np.int64)  # the passages seen so far, ascending
    part = np.zeros(0, dtype=np.float64)  # their partial scores over the terms read
    for i, (w, lo, hi) in enumerate(spans):
        rows, tf = _read_postings(p, lo, hi)
        if allowed is not None:
            keep = allowed[rows]
            rows, tf = rows[keep], tf[keep]
        norm = stats.k1 * (1.0 - stats.b + stats.b * p.lengths[rows] / stats.avgdl)
        rows_u, inv = np.unique(np.concatenate([rows_u, rows]), return_inverse=True)
        part = np.bincount(inv, weights=np.concatenate([part, w * tf / (tf + norm)]), minlength=len(rows_u))
        if len(rows_u) < k and i + 1 < len(spans):
            continue
        theta = float(np.partition(part, len(part) - k)[len(part) - k]) if len(part) >= k else 0.0
        if i + 1 < len(spans) and theta <= rest[i]:
            continue
        # float slack: the exact scores below are float32 sums in the query's term order
        maybe = rows_u[part + rest[i] >= theta * (1 - 1e-5) - 1e-6]
        if i + 1 < len(spans) and len(maybe) * (len(spans) - i - 1) > left[i]:
            continue  # looking up this many passages costs more than reading the next term
        exact = scores_for(p, maybe, weights, stats)
        return _top(np.flatnonzero(exact > 0), exact, k, rows=maybe)
    raise AssertionError("unreachable: the last term always ends the loop")


def _read_postings(p: Postings, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """One term's postings read whole (every page of them)."""
    return np.asarray(p.rows[lo:hi]), np.asarray(p.tf[lo:hi])


def _top(at: np.ndarray, scores: np.ndarray, k: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    if len(at) > k:
        at = at[np.argpartition(-scores[at], k - 1)[:k]]
    return (at if rows is None else rows[at]).astype(np.int64), scores[at]


def scores_for(p: Postings, rows: np.ndarray, weights: dict[str, float], stats: Stats) -> np.ndarray:
    """BM25 of the given local rows only (no accumulator over the whole segment)."""
    out = np.zeros(len(rows), dtype=np.float32)
    if not len(rows):
        return out
    norm = stats.k1 * (1.0 - stats.b + stats.b * p.lengths[rows] / stats.avgdl)
    for term, w in weights.items():
        t = p.vocab.get(term)
        if t is None:
            continue
        lo, hi = int(p.indptr[t]), int(p.indptr[t + 1])
        posting = p.rows[lo:hi]
        at = np.minimum(np.searchsorted(posting, rows), max(hi - lo - 1, 0))
        hit = (hi > lo) & (posting[at] == rows) if hi > lo else np.zeros(len(rows), dtype=bool)
        tf = np.where(hit, p.tf[lo:hi][at] if hi > lo else 0.0, 0.0)
        out += (w * tf / (tf + norm)).astype(np.float32)
    return out


def query_weights(tokens: Sequence[str], idf: dict[str, float]) -> dict[str, float]:
    """idf x how often the term occurs in the query (bm25s counts a repeated query term twice)."""
    counts = Counter(t for t in tokens if t in idf)
    return {t: idf[t] * n for t, n in counts.items()}
