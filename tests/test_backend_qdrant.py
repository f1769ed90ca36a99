"""The backend contract suite against Qdrant: local mode (``:memory:``, ``path=``), Qdrant Edge
(the Rust engine in-process), and a server when ``AMMTC_QA_QDRANT_URL`` is set."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

pytest.importorskip("qdrant_client")

from ammtc_qa.backends.base import ChangeSet  # noqa: E402
from ammtc_qa.backends.qdrant import QdrantStore  # noqa: E402
from ammtc_qa.testing.backend import BackendContract  # noqa: E402

STATE = {"settings": {"bm25_k1": 0.9, "bm25_b": 0.4}}
SERVER = os.environ.get("AMMTC_QA_QDRANT_URL")


class TestQdrantMemory(BackendContract):
    def build(self, docs, tmp_path: Path):
        return QdrantStore(tmp_path / "work", location=":memory:").create(ChangeSet(add=docs, state=STATE))


class TestQdrantPath(BackendContract):
    def build(self, docs, tmp_path: Path):
        return QdrantStore(tmp_path / "work", path=str(tmp_path / "qdrant")).create(ChangeSet(add=docs, state=STATE))


class TestQdrantEdge(BackendContract):
    def build(self, docs, tmp_path: Path):
        pytest.importorskip("qdrant_edge")
        return QdrantStore(tmp_path / "work", engine="edge", path=str(tmp_path / "shard")).create(
            ChangeSet(add=docs, state=STATE))


@pytest.mark.skipif(not SERVER, reason="set AMMTC_QA_QDRANT_URL to run against a Qdrant server")
class TestQdrantServer(BackendContract):
    def build(self, docs, tmp_path: Path):
        store = QdrantStore(tmp_path / "work", url=SERVER, collection=f"ammtc_qa_test_{uuid.uuid4().hex[:8]}",
                            exact=True)
        return store.create(ChangeSet(add=docs, state=STATE))
