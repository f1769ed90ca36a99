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

from ..settings import SearchSettings
from ..text.lexical import tokenize
from .candidates import Candidates


def sentence_scores(c: Candidates, i: int, query: np.ndarray) -> np.ndarray:
    """Cosine of each sentence of candidate ``i``; the article's headline sentence gets -1."""
    vecs = c.sentence_vectors[i]
    if not len(vecs):
        return np.zeros(0, dtype=np.float32)
    sims = vecs @ query
    doc = c.document(i)
    title = doc.title
    if title and doc.text.startswith(title):
        spans = c.records[i].sentences
        headline = np.array([a == 0 and b <= len(title) for a, b in spans], dtype=bool)
        sims = np.where(headline, -1.0, sims)
    return sims.astype(np.float32)


def best_sentence(c: Candidates, query: np.ndarray) -> np.ndarray:
    out = np.zeros(len(c), dtype=np.float32)
    for i in range(len(c)):
        sims = sentence_scores(c, i, query)
        if len(sims):
            out[i] = float(sims.max())
    return out


def rescore(c: Candidates, query: np.ndarray, idf: dict[str, float], best: np.ndarray, fused: np.ndarray,
            fuse: Callable[[np.ndarray], np.ndarray], s: SearchSettings) -> tuple[np.ndarray, np.ndarray]:
    """Second stage on the top ``rescore_depth`` fused candidates: a sentence's score becomes its
    cosine plus ``sentence_lexical_weight`` times the idf-weighted share of question terms it
    holds. Candidates outside that top keep their rank below it."""
    total = sum(idf.values())
    if total <= 0:
        return best, fused
    top = np.argsort(-fused, kind="stable")[: s.rescore_depth]
    best = best.copy()
    for i in top:
        sims = sentence_scores(c, int(i), query)
        if not len(sims):
            continue
        text = c.document(int(i)).text
        cover = np.array([sum(idf.get(t, 0.0) for t in terms(text[a:b])) / total
                          for a, b in c.records[int(i)].sentences], dtype=np.float32)
        best[i] = float(np.max(sims + s.sentence_lexical_weight * cover))
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
    dim = c.sentence_vectors[0].shape[1] if len(c.sentence_vectors) else 0
    out = np.zeros((len(rows), dim), dtype=np.float32)
    for j, i in enumerate(rows):
        vecs = c.sentence_vectors[int(i)]
        if len(vecs):
            v = vecs.mean(axis=0)
            out[j] = v / (np.linalg.norm(v) or 1.0)
    return out


@lru_cache(maxsize=65536)
def terms(sentence: str) -> frozenset[str]:
    """Lexical terms of a sentence; cached because the same candidates recur across questions."""
    return frozenset(tokenize(sentence))
