"""The backend contract suite (``ammtc_qa.testing.backend``) against every local configuration."""

from __future__ import annotations

from pathlib import Path

from ammtc_qa.backends.base import ChangeSet
from ammtc_qa.backends.local.backend import LocalBackend, create
from ammtc_qa.testing.backend import BackendContract


class TestLocalFlat(BackendContract):
    def build(self, docs, tmp_path: Path) -> LocalBackend:
        return create(tmp_path / "index", ChangeSet(add=docs, state={"settings": {"bm25_k1": 0.9, "bm25_b": 0.4}}))


class TestLocalManySegments(BackendContract):
    """Every article in its own segment, merged two by two: the statistics stay corpus-wide."""

    def build(self, docs, tmp_path: Path) -> LocalBackend:
        backend = create(tmp_path / "index", ChangeSet(add=docs[:1], state={"settings": {"bm25_k1": 0.9,
                                                                                          "bm25_b": 0.4}}))
        for d in docs[1:]:
            backend = self.apply(backend, ChangeSet(add=[d]))
        return backend

    def apply(self, backend: LocalBackend, change: ChangeSet) -> LocalBackend:
        return backend.apply(change, merge_factor=3, min_merge=2)


class TestLocalHNSW(BackendContract):
    exact = False

    def build(self, docs, tmp_path: Path) -> LocalBackend:
        return create(tmp_path / "index", ChangeSet(add=docs, state={"settings": {"bm25_k1": 0.9, "bm25_b": 0.4}}),
                      vector_kind="HNSW32")

    def apply(self, backend: LocalBackend, change: ChangeSet) -> LocalBackend:
        return backend.apply(change, vector_kind="HNSW32")
