"""Dense vector search with FAISS (inner product on unit vectors = cosine similarity).

The index kind is a FAISS factory string, chosen by corpus size unless the user names one:
exact ``Flat`` while brute force is fast enough, ``HNSW32`` beyond (approximate, recall
measured in benchmarks/). Every kind goes through the same ``VectorIndex`` so search code,
filters and the contract test in ``tests/test_vectors.py`` are shared.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

FLAT_LIMIT = 200_000
"""Above this many passages, exact search costs more than ~20 ms a question on 2 cores."""


def choose_kind(n_vectors: int) -> str:
    return "Flat" if n_vectors <= FLAT_LIMIT else "HNSW32"


class VectorIndex:
    """A FAISS index over unit vectors, searchable with an optional whitelist of row ids."""

    def __init__(self, index: Any, kind: str) -> None:
        self.index = index
        self.kind = kind

    @classmethod
    def build(cls, vectors: np.ndarray, kind: str | None = None) -> VectorIndex:
        import faiss

        kind = kind or choose_kind(len(vectors))
        index = faiss.index_factory(vectors.shape[1], kind, faiss.METRIC_INNER_PRODUCT)
        if not index.is_trained:
            index.train(vectors)
        if kind.startswith("HNSW"):
            index.hnsw.efConstruction = 80
        index.add(vectors)
        return cls(index, kind)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` ``(scores, row ids)``; with ``allowed``, only those rows compete."""
        import faiss

        k = min(k, len(self) if allowed is None else len(allowed))
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        params = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
            params = (faiss.SearchParametersHNSW(sel=selector, efSearch=max(64, k))
                      if self.kind.startswith("HNSW") else faiss.SearchParameters(sel=selector))
        elif self.kind.startswith("HNSW"):
            params = faiss.SearchParametersHNSW(efSearch=max(64, k))
        scores, ids = self.index.search(query.reshape(1, -1).astype(np.float32), k, params=params)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path, kind: str) -> VectorIndex:
        import faiss

        return cls(faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY), kind)
