"""The backend contract suite (``ammtc_qa.testing.backend``) against every local configuration."""

from __future__ import annotations

from pathlib import Path

from ammtc_qa.backends.base import ChangeSet
from ammtc_qa.backends.local.backend import LocalBackend, LocalStore
from ammtc_qa.testing.backend import BackendContract

STATE = {"settings": {"bm25_k1": 0.9, "bm25_b": 0.4}}


class TestLocalFlat(BackendContract):
    def build(self, docs, tmp_path: Path) -> LocalBackend:
        return LocalStore(tmp_path / "index").create(ChangeSet(add=docs, state=STATE))


class TestLocalManySegments(BackendContract):
    """Every article in its own segment, merged three by three: the statistics stay corpus-wide."""

    def build(self, docs, tmp_path: Path) -> LocalBackend:
        backend = LocalStore(tmp_path / "index", merge_factor=3, min_merge=2).create(ChangeSet(add=docs[:1],
                                                                                               state=STATE))
        for d in docs[1:]:
            backend = backend.apply(ChangeSet(add=[d]))
        assert 1 < len(backend.segments) < len(docs)  # merged, but not into one
        return backend


class TestLocalHNSW(BackendContract):
    exact = False

    def build(self, docs, tmp_path: Path) -> LocalBackend:
        return LocalStore(tmp_path / "index", vector_kind="HNSW32").create(ChangeSet(add=docs, state=STATE))
