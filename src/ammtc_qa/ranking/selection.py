"""Selection: the k passages shown, each once, with its copies folded in.

A greedy pass over the fused order penalises a passage by its similarity to the passages
already chosen above ``duplicate_similarity`` (passages of one article share its header, so
plain MMR would punish them for being from the same article). A passage that is the same wire
copy as a chosen one is not shown again but cited as "also reported by": either by vector
similarity (``syndicated_similarity``) across articles, or because its article is a linked near
copy (found at build time, see ``duplicates``) and one passage contains the other. Folding
happens inside the pass, so freed slots are filled by the next passages and the search never
runs twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ..backends.base import Backend
from ..input.duplicates import NEAR_COPY_JACCARD, shingles
from ..settings import SearchSettings
from .candidates import Candidates
from .signals import body_vectors


@dataclass
class Chosen:
    index: int
    """Candidate index."""
    score: float
    """Fused score minus the redundancy penalty: never increases down the list."""
    also: list[str] = field(default_factory=list)
    """Citations of folded copies."""


def select(c: Candidates, fused: np.ndarray, k: int, backend: Backend, s: SearchSettings) -> list[Chosen]:
    order = np.argsort(-fused, kind="stable")
    pool = order[: max(4 * k, 20)]
    vecs = body_vectors(c, pool)
    lo = float(fused[pool].min()) if len(pool) else 0.0
    span = float(fused[pool].max() - lo) or 1.0 if len(pool) else 1.0
    rel = (fused[pool] - lo) / span
    gram = vecs @ vecs.T  # every similarity the pass can ask for, in one product
    nearest = np.full(len(pool), -np.inf, dtype=np.float32)  # similarity to the closest chosen
    closest = np.zeros(len(pool), dtype=np.int64)  # which chosen that is (the first, on a tie)
    left = np.ones(len(pool), dtype=bool)
    chosen: list[int] = []
    out: list[Chosen] = []
    while left.any() and len(out) < k:
        remaining = np.flatnonzero(left)
        scores = rel[remaining].copy()
        if chosen:
            scores -= s.duplicate_penalty * np.clip(nearest[remaining] - s.duplicate_similarity, 0, None) / (
                1 - s.duplicate_similarity)
        best = int(np.argmax(scores))
        cand = int(remaining[best])
        left[cand] = False
        i = int(pool[cand])
        doc_id = c.records[i].doc_id
        twin = None
        if chosen and nearest[cand] >= s.syndicated_similarity:
            j = int(closest[cand])
            if c.records[int(pool[chosen[j]])].doc_id != doc_id:
                twin = j
        if twin is None:
            twin = _linked_twin(c, i, [out[j].index for j in range(len(out))], backend)
        if twin is not None:
            out[twin].also.append(c.document(i).citation)
            continue
        closer = gram[:, cand] > nearest
        nearest[closer] = gram[closer, cand]
        closest[closer] = len(chosen)
        chosen.append(cand)
        out.append(Chosen(i, lo + span * float(scores[best])))
    for item in out:
        item.also.extend(_containing_copies(c, item.index, backend))
        item.also[:] = list(dict.fromkeys(item.also))
    return out


def _linked_twin(c: Candidates, i: int, chosen: list[int], backend: Backend) -> int | None:
    """A chosen passage from a linked near copy of ``i``'s article that repeats ``i``."""
    doc_id = c.records[i].doc_id
    linked = backend.copies(doc_id)
    if not linked:
        return None
    text = c.text(i)
    for j, other in enumerate(chosen):
        if c.records[other].doc_id in linked:
            o = c.text(other)
            if max(contained(text, o), contained(o, text)) >= NEAR_COPY_JACCARD:
                return j
    return None


def _containing_copies(c: Candidates, i: int, backend: Backend) -> list[str]:
    """Citations of linked near copies whose text contains passage ``i``."""
    text = c.text(i)
    out = []
    for other in backend.copies(c.records[i].doc_id):
        doc = backend.document(other)
        if contained(text, doc.text) >= NEAR_COPY_JACCARD:
            out.append(doc.citation)
    return out


@lru_cache(maxsize=4096)
def contained(a: str, b: str) -> float:
    """Share of ``a``'s word 5-grams that also occur in ``b``; cached like ``_shingles``: a chosen
    passage is checked against the same linked copies at every question that finds it."""
    sa = _shingles(a)
    if not len(sa):
        return float(" ".join(a.split()) in " ".join(b.split()))
    return len(np.intersect1d(sa, _shingles(b), assume_unique=True)) / len(sa)


@lru_cache(maxsize=4096)
def _shingles(text: str) -> np.ndarray:
    """``shingles``, cached: the same chosen passages and linked copies recur across questions,
    and hashing a whole article's 5-grams at every ask was a quarter of its time (benchmarks/scale.py)."""
    out = shingles(text)
    out.flags.writeable = False
    return out
