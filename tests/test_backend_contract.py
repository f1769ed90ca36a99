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


def test_near_copy_links_live_in_segments_and_end_with_their_articles(tmp_path: Path) -> None:
    """A link is written once, with the later article's segment, as the copy's first passage id:
    it is seen from both sides, survives merges, and ends when either article is removed or
    replaced, without a per-version table being rewritten."""
    from ammtc_qa.testing.backend import synthetic_documents

    docs = synthetic_documents(8, seed=5)
    a, b, c = (d.document.doc_id for d in docs[:3])
    store = LocalStore(tmp_path / "index", merge_factor=2, min_merge=1)
    backend = store.create(ChangeSet(add=docs[:1], state=STATE))
    backend = backend.apply(ChangeSet(add=[docs[1]], copies={b: (a,), a: (b,)}))
    backend = backend.apply(ChangeSet(add=[docs[2]], copies={c: (a, b)}))
    def linked(backend: LocalBackend) -> int:  # the count info() shows, against copies() per article
        count = backend.state["counts"]["linked_copies"]
        assert count == sum(1 for d in backend.by_doc if backend.copies(d))
        return count

    assert backend.copies(a) == (b, c) and backend.copies(b) == (a, c) and backend.copies(c) == (a, b)
    assert linked(backend) == 3
    for d in docs[3:]:  # merges rewrite the segments; passage ids, and so the links, stay
        backend = backend.apply(ChangeSet(add=[d]))
    assert backend.copies(a) == (b, c) and backend.copies(c) == (a, b) and linked(backend) == 3
    reopened = store.open()
    assert reopened is not None and reopened.copies(b) == (a, c)
    assert not (reopened.version / "links.json").exists()
    backend = backend.apply(ChangeSet(add=[docs[1]]))  # b replaced, found to be no copy any more
    assert backend.copies(a) == (c,) and backend.copies(b) == () and backend.copies(c) == (a,)
    assert linked(backend) == 2
    backend = backend.apply(ChangeSet(add=[docs[7]], copies={docs[7].document.doc_id: (docs[7].document.doc_id,)}))
    assert linked(backend) == 2  # a link to itself is no copy
    backend = backend.apply(ChangeSet(remove={c}))
    assert backend.copies(a) == () and backend.copies(c) == ()
    assert linked(backend) == 0


def test_build_lookups_see_only_live_articles(tmp_path: Path) -> None:
    """What a refresh asks one article at a time (by id, text hash, raw hash, source file, sketch
    anchor) agrees with the archive-wide fingerprints, before and after a removal."""
    from dataclasses import replace

    from ammtc_qa.testing.backend import synthetic_documents

    docs = [replace(d, raw_sha=f"{i + 1:064x}", anchors=(i, 1000 + i)) for i, d in enumerate(synthetic_documents(6))]
    backend = LocalStore(tmp_path / "index", min_merge=1000).create(ChangeSet(add=docs[:4], state=STATE))
    backend = backend.apply(ChangeSet(add=docs[4:]))
    fps = backend.fingerprints()
    assert sorted(fps) == sorted(d.document.doc_id for d in docs) == sorted(backend.by_doc)
    for d in docs:
        doc_id = d.document.doc_id
        assert backend.has(doc_id) and backend.fingerprint(doc_id) == fps[doc_id]
        assert backend.docs_with_text(d.text_sha) == [doc_id] and backend.docs_with_raw(d.raw_sha) == [doc_id]
        assert backend.docs_from_file(d.document.source) == [doc_id]
        assert backend.docs_with_anchors([d.anchors[1]]) == [doc_id]
    gone = docs[4].document.doc_id
    after = backend.apply(ChangeSet(remove={gone}))
    assert not after.has(gone) and after.fingerprint(gone) is None and gone not in after.by_doc
    assert after.docs_with_text(docs[4].text_sha) == [] and after.docs_from_file(docs[4].document.source) == []
    assert len(after.by_doc) == 5 and after.state["counts"]["documents"] == 5
    assert backend.has(gone)  # the older version still sees it (snapshot)


def test_records_tell_where_their_articles_are(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """A document read after its passages' records, its near-copy links or a metadata listing is
    found where those read it (no search of every segment's doc-id table), and it is the live
    version of a replaced article."""
    from dataclasses import replace

    from ammtc_qa.backends.local.segment import Segment
    from ammtc_qa.testing.backend import replace_id, synthetic_documents

    docs = synthetic_documents(9)
    backend = LocalStore(tmp_path / "index", min_merge=1000).create(ChangeSet(add=docs[:3], state=STATE))
    for lo in (3, 6):  # d3 and d6 are near copies of d0: a forward and a backward link each
        backend = backend.apply(ChangeSet(add=docs[lo:lo + 3], copies={f"d{lo}": ("d0",)}))
    new = synthetic_documents(1, seed=9, prefix="x")[0]
    backend = backend.apply(ChangeSet(add=[replace(new, document=replace_id(new.document, "d1"))]))
    assert len(backend.segments) == 4  # d1's old version is a tombstone in the first
    searched: list[str] = []
    rows_of_doc = Segment.rows_of_doc
    monkeypatch.setattr(Segment, "rows_of_doc", lambda seg, doc_id: searched.append(doc_id) or rows_of_doc(seg, doc_id))
    ids = sorted(p for m in backend.doc_meta() for p in backend.passage_ids(m.doc_id))
    backend = LocalStore(tmp_path / "index").open()  # nothing looked up yet
    assert backend is not None
    searched.clear()
    records = backend.passages(ids)
    texts = {r.doc_id: backend.document(r.doc_id).text for r in records}
    assert searched == [] and len(texts) == 9
    assert texts["d1"] == new.document.text and texts["d0"] == docs[0].document.text
    assert all(texts[r.doc_id][r.start:r.end] for r in records)
    for doc_id, linked in (("d0", ("d3", "d6")), ("d3", ("d0",))):  # links read in either direction
        backend = LocalStore(tmp_path / "index").open()
        assert backend is not None and backend.copies(doc_id) == linked
        searched.clear()
        assert [backend.document(c).doc_id for c in linked] == list(linked) and searched == []
    backend = LocalStore(tmp_path / "index").open()
    assert backend is not None
    searched.clear()
    listed = {m.doc_id: backend.passage_ids(m.doc_id) for m in backend.doc_meta()}  # a listing (info --json)
    assert searched == [] and sorted(p for pids in listed.values() for p in pids) == ids


def test_language_counts_from_the_columns_equal_the_metadata(tmp_path: Path) -> None:
    """info()'s languages, counted from the store's language columns, are what every live
    article's metadata says (case-folded), across segments and after a removal."""
    from dataclasses import replace

    from ammtc_qa.qa import _languages
    from ammtc_qa.testing.backend import synthetic_documents

    tags = ["EN", "vi", "Vi", None, "en", "th", "English", "vi", None, "km"]
    docs = [replace(d, document=replace(d.document, language=lang))
            for d, lang in zip(synthetic_documents(len(tags)), tags, strict=True)]
    backend = LocalStore(tmp_path / "index", min_merge=1000).create(ChangeSet(add=docs[:5], state=STATE))
    backend = backend.apply(ChangeSet(add=docs[5:], remove={"d1"}))

    class MetadataOnly:  # a store without language columns: the metadata of every article
        def doc_meta(self):  # noqa: ANN202
            return backend.doc_meta()

    got = _languages(backend)
    assert got == _languages(MetadataOnly())  # type: ignore[arg-type]
    assert got == {"counts": {"en": 2, "english": 1, "km": 1, "th": 1, "unknown": 2, "vi": 2},
                   "not_english": {"d2": "vi", "d5": "th", "d7": "vi", "d9": "km"}}
