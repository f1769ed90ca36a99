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


def test_versions_in_one_process_share_unchanged_segments(tmp_path: Path) -> None:
    """Opening the live version again, or the version a change commits, reuses the segments this
    process already has open (they never change) instead of parsing them again; answers are
    those of a store opened from scratch."""
    import gc

    import numpy as np

    from ammtc_qa.backends.local import backend as local
    from ammtc_qa.testing.backend import synthetic_documents

    docs = synthetic_documents(12, seed=3)
    store = LocalStore(tmp_path / "index", min_merge=1000)
    first = store.create(ChangeSet(add=docs[:10], state=STATE))
    again = store.open()
    assert again is not None and again.segments[0] is first.segments[0]
    after = first.apply(ChangeSet(add=docs[10:], remove={docs[0].document.doc_id}))
    assert len(after.segments) == 2 and after.segments[0] is first.segments[0]
    assert docs[0].document.doc_id not in after.by_doc and docs[11].document.doc_id in after.by_doc
    del first, again, after
    gc.collect()
    # nothing of this store is kept alive once no version uses it (other tests' stores may be)
    assert not [f for f in list(local._OPEN_SEGMENTS.keys()) if tmp_path in Path(f).parents]
    fresh = store.open()
    assert fresh is not None
    live = [p for d in fresh.by_doc for p in fresh.passage_ids(d)]
    records = fresh.passages(live)
    assert [r.pid for r in records] == live
    for r in records:
        text = fresh.document(r.doc_id).text
        assert all(r.start <= a < b <= r.end for a, b in r.sentences) and text[r.start:r.end]
    assert np.array_equal(fresh.vectors(live[:3]), fresh.vectors(live[:3]))
