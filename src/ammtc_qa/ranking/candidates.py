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
    return Candidates(ids, dense, dense_rank, np.asarray(lexical, dtype=np.float32), lexical_rank, records,
                      backend.sentence_vectors(ids), documents)
