"""Sentence-level signals: a passage that *contains* the answer beats one that is on topic.

Each candidate's sentences are scored by cosine to the question (the article's headline
sentence is excluded: it is in every passage's header already); the best one is a fusion
signal. The top fused candidates are then rescored: a sentence also earns the idf-weighted
share of the question's terms it holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np

from ..backends.base import offsets_of, run_rows
from ..settings import SearchSettings
from ..text.lexical import tokenize
from .candidates import Candidates


def sentence_scores(c: Candidates, i: int) -> np.ndarray:
    """Cosine of each sentence of candidate ``i``; the article's headline sentence gets -1."""
    return c.sentence_cosines(i)


def best_sentence(c: Candidates) -> np.ndarray:
    """The best sentence cosine of each candidate (0 for one without sentences)."""
    return _per_passage(np.maximum, c.cosines, c.sentence_vectors.bounds)


def _per_passage(op: np.ufunc, values: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """``op`` reduced over each passage's rows of ``values`` (zeros for a passage without any):
    one ``reduceat`` over the block, not one call per passage."""
    counts = np.diff(bounds)
    out = np.zeros((len(counts), *values.shape[1:]), dtype=np.float32)
    filled = counts > 0
    if filled.any():
        out[filled] = op.reduceat(values, bounds[:-1][filled], axis=0)
    return out


def rescore(c: Candidates, idf: dict[str, float], best: np.ndarray, fused: np.ndarray,
            fuse: Callable[[np.ndarray], np.ndarray], s: SearchSettings) -> tuple[np.ndarray, np.ndarray]:
    """Second stage on the top ``rescore_depth`` fused candidates: a sentence's score becomes its
    cosine plus ``sentence_lexical_weight`` times the idf-weighted share of question terms it
    holds. Candidates outside that top keep their rank below it."""
    total = sum(idf.values())
    if total <= 0:
        return best, fused
    top = np.argsort(-fused, kind="stable")[: s.rescore_depth]
    bounds = c.sentence_vectors.bounds
    rows = top[bounds[top + 1] > bounds[top]]  # a candidate without sentences keeps its score
    weights = [(t, w) for t, w in idf.items() if w]
    asked = frozenset(t for t, _ in weights)
    cover: list[float] = []  # per sentence of ``rows``, back to back: idf share of the terms held
    for i in rows.tolist():
        text = c.document(i).text
        for a, b in c.records[i].sentences:
            held = asked.intersection(terms(text[a:b]))  # most sentences hold none of the terms
            cover.append(sum(w for t, w in weights if t in held) / total if held else 0.0)
    lo, hi = bounds[rows], bounds[rows + 1]
    scores = c.cosines[run_rows(lo, hi)] + s.sentence_lexical_weight * np.array(cover, dtype=np.float32)
    best = best.copy()
    if len(rows):
        best[rows] = np.maximum.reduceat(scores, offsets_of(hi - lo)[:-1])
    rescored = fuse(best)
    rest = np.ones(len(fused), dtype=bool)
    rest[top] = False
    if rest.any() and len(top):
        rescored[rest] = np.minimum(rescored[rest], rescored[top].min() - 1e-6)
    return best, rescored


def body_vectors(c: Candidates, rows: Sequence[int]) -> np.ndarray:
    """Passage vectors without the shared article header: the normalised mean of the passage's
    sentence vectors. Used for redundancy, where the header would make every passage of one
    article look alike."""
    block = c.sentence_vectors.take(rows)
    sums = _per_passage(np.add, block.vectors, block.bounds)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)  # the mean's direction: the count cancels
    return sums / np.where(norms > 0, norms, 1.0)


@lru_cache(maxsize=65536)
def terms(sentence: str) -> frozenset[str]:
    """Lexical terms of a sentence; cached because the same candidates recur across questions."""
    return frozenset(tokenize(sentence))
