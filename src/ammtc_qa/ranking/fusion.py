"""Fusion: one relevance score per candidate from every signal (see ``SearchSettings``).

A convex mix of normalised scores by default (dense cosine, BM25 over the best BM25 of the
candidates, best-sentence cosine), or reciprocal rank fusion; plus the lead prior, the boosts
for a meeting the question implies and for the publisher and period it names (``hints``), and a
share of the preceding passage's score.
"""

from __future__ import annotations

import numpy as np

from ..settings import SearchSettings
from .candidates import Candidates


def fuse(c: Candidates, best_sentence: np.ndarray, boosted: np.ndarray, s: SearchSettings,
         prior: np.ndarray | None = None) -> np.ndarray:
    """``prior``: extra per-candidate boosts on the convex scale (publisher, dates named in the
    question), scaled like the meeting boost under RRF."""
    if prior is None:
        prior = np.zeros(len(c))
    position = np.array([r.position for r in c.records], dtype=np.float64)
    if s.fusion == "rrf":
        unit = 1.0 / (s.rrf_k + 1)  # the best a single list can give: boosts are scaled to it
        score = (s.dense_weight / (s.rrf_k + c.dense_rank) + s.lexical_weight / (s.rrf_k + c.lexical_rank)
                 + s.sentence_weight * _reciprocal_ranks(best_sentence, s.rrf_k)
                 + unit * s.lead_weight / (1.0 + position) + unit * s.implied_meeting_boost * 4 * boosted
                 + unit * 4 * prior)
    else:
        top = float(c.lexical.max()) if len(c) else 0.0
        lexical = c.lexical / top if top > 0 else c.lexical
        score = (s.dense_weight * c.dense + s.lexical_weight * lexical + s.sentence_weight * best_sentence
                 + s.lead_weight / (1.0 + position) + s.implied_meeting_boost * boosted + prior)
    if s.neighbour_weight:
        score = score + s.neighbour_weight * previous_scores(c, score)
    return np.asarray(score, dtype=np.float32)


def _reciprocal_ranks(values: np.ndarray, k: int) -> np.ndarray:
    ranks = np.argsort(np.argsort(-values, kind="stable"), kind="stable")
    return 1.0 / (k + ranks)


def previous_scores(c: Candidates, score: np.ndarray) -> np.ndarray:
    """Score of each candidate's preceding passage in the same article (0 if not a candidate).
    Passage ids of one article are consecutive, in article order."""
    by_id = dict(zip(c.ids.tolist(), np.asarray(score).tolist(), strict=True))
    return np.array([by_id.get(int(p) - 1, 0.0) if r.position > 0 else 0.0
                     for p, r in zip(c.ids.tolist(), c.records, strict=True)], dtype=np.float64)
