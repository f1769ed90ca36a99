"""Candidates: the union of dense and BM25 hits, with everything later stages read about them.

Both searches run inside the store with the same ``Filter``; every candidate then gets both
scores (its cosine from the stored vector, its BM25 from the store), so fusion never sees a
missing signal for a passage that only one list found.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..backends.base import Backend, PassageRecord
from ..backends.filters import Filter
from ..input.document import Document
from ..settings import SearchSettings


@dataclass
class Candidates:
    ids: np.ndarray  # int64 passage ids
    dense: np.ndarray  # float32 cosine of each candidate
    dense_rank: np.ndarray  # rank in the dense list (len(backend) + 1 if absent)
    lexical: np.ndarray  # float32 BM25
    lexical_rank: np.ndarray
    records: list[PassageRecord]
    sentence_vectors: list[np.ndarray]
    documents: dict[str, Document]
    sentence_cosines: list[np.ndarray]
    """Cosine of each candidate's sentences to the question; the article's headline sentence
    (already in every passage's header) scores -1. Computed once per ask, in one product."""

    def __len__(self) -> int:
        return len(self.ids)

    def document(self, i: int) -> Document:
        return self.documents[self.records[i].doc_id]

    def text(self, i: int) -> str:
        r = self.records[i]
        return self.documents[r.doc_id].text[r.start:r.end]


def gather(backend: Backend, q_tokens: Sequence[str], query: np.ndarray, where: Filter | None,
           settings: SearchSettings) -> Candidates:
    dense_hits = backend.dense_search(query, settings.dense_depth, where)
    lexical_hits = backend.lexical_search(q_tokens, settings.lexical_depth, where)
    ids = np.unique(np.concatenate([dense_hits.ids, lexical_hits.ids])).astype(np.int64)
    absent = len(backend) + 1
    pos = {int(p): i for i, p in enumerate(ids.tolist())}
    dense_rank = np.full(len(ids), absent)
    lexical_rank = np.full(len(ids), absent)
    for rank, p in enumerate(dense_hits.ids.tolist()):
        dense_rank[pos[p]] = rank
    for rank, p in enumerate(lexical_hits.ids.tolist()):
        lexical_rank[pos[p]] = rank
    dense = (backend.vectors(ids) @ query).astype(np.float32) if len(ids) else np.zeros(0, dtype=np.float32)
    lexical = backend.lexical_scores(q_tokens, ids) if len(ids) else np.zeros(0, dtype=np.float32)
    records = backend.passages(ids)
    documents = {r.doc_id: backend.document(r.doc_id) for r in records}
    sentence_vectors = backend.sentence_vectors(ids)
    return Candidates(ids, dense, dense_rank, np.asarray(lexical, dtype=np.float32), lexical_rank, records,
                      sentence_vectors, documents, sentence_cosines(records, documents, sentence_vectors, query))


def sentence_cosines(records: Sequence[PassageRecord], documents: dict[str, Document],
                     sentence_vectors: Sequence[np.ndarray], query: np.ndarray) -> list[np.ndarray]:
    """Per candidate, its sentences' cosine to ``query``, the headline sentence set to -1."""
    counts = [len(v) for v in sentence_vectors]
    if not sum(counts):
        return [np.zeros(0, dtype=np.float32) for _ in counts]
    sims = (np.concatenate([v for v in sentence_vectors if len(v)]) @ query).astype(np.float32)
    headed: dict[str, int] = {}  # doc id -> length of a title the text starts with (0: none)
    at = 0
    for r, n in zip(records, counts, strict=True):
        if n:
            title = headed.get(r.doc_id)
            if title is None:
                doc = documents[r.doc_id]
                title = headed[r.doc_id] = len(doc.title) if doc.title and doc.text.startswith(doc.title) else 0
            if title:
                for j, (a, b) in enumerate(r.sentences):
                    if a != 0:
                        break
                    if b <= title:
                        sims[at + j] = -1.0
        at += n
    sims.flags.writeable = False  # every reader shares these views: none may change them
    ends = np.cumsum(counts).tolist()
    return [sims[b - n:b] for n, b in zip(counts, ends, strict=True)]  # np.split costs ~10 µs a part
