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


# -- faults ----------------------------------------------------------------------------------------
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402
import qdrant_client  # noqa: E402
from qdrant_client import models  # noqa: E402

from ammtc_qa.backends.qdrant.store import MARKER_ID  # noqa: E402
from ammtc_qa.errors import AmmtcQaError, IndexCorruptError, IndexUnavailableError  # noqa: E402
from ammtc_qa.testing.backend import ReferenceBackend, synthetic_documents  # noqa: E402

KILL_CHILD = r"""
import os, signal, sys
from ammtc_qa.backends.base import ChangeSet
from ammtc_qa.backends.qdrant import QdrantStore
from ammtc_qa.testing.backend import synthetic_documents
point, engine, work, where = sys.argv[1:5]
opts = {"engine": "edge", "path": where} if engine == "edge" else {"path": where}
store = QdrantStore(work, batch_size=5, **opts)
base = store.open()
if point == "before-commit":
    real, calls = store.engine.upsert, [0]
    def upsert(points):
        real(points)
        calls[0] += 1
        if calls[0] == 3:  # the marker, then two batches of the new passages
            os.kill(os.getpid(), signal.SIGKILL)
    store.engine.upsert = upsert
else:
    store._finish = lambda *a: os.kill(os.getpid(), signal.SIGKILL)
base.apply(ChangeSet(add=synthetic_documents(12, seed=6, dim=16, prefix="e"), remove={"d0", "d3"}))
"""


def _store(engine: str, tmp_path: Path, **kw) -> QdrantStore:
    if engine == "edge":
        pytest.importorskip("qdrant_edge")
        return QdrantStore(tmp_path / "work", engine="edge", path=str(tmp_path / "shard"), **kw)
    return QdrantStore(tmp_path / "work", path=str(tmp_path / "qdrant"), **kw)


@pytest.mark.parametrize("engine", ["client", "edge"])
@pytest.mark.parametrize("point", ["before-commit", "after-commit"])
def test_a_killed_add_is_rolled_back_or_finished_on_open(engine: str, point: str, tmp_path: Path) -> None:
    docs = synthetic_documents(20, seed=5, dim=16)
    store = _store(engine, tmp_path)
    store.create(ChangeSet(add=docs, state=STATE))
    store.engine.close()  # local mode and Edge lock their folder: one process at a time
    where = str(tmp_path / ("shard" if engine == "edge" else "qdrant"))
    child = subprocess.run([sys.executable, "-c", KILL_CHILD, point, engine, str(tmp_path / "work"), where],
                           env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}, capture_output=True,
                           timeout=300)
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()[-2000:]
    store = _store(engine, tmp_path)
    assert store.engine.retrieve([MARKER_ID], True, False), "the kill left the change marker"
    backend = store.open()
    assert backend is not None and not store.engine.retrieve([MARKER_ID], True, False)
    if point == "before-commit":
        live = docs  # rolled back
    else:  # committed: finished
        live = [d for d in docs if d.document.doc_id not in {"d0", "d3"}] + synthetic_documents(
            12, seed=6, dim=16, prefix="e")
    BackendContract()._check_same(backend, ReferenceBackend(live))
    assert store.engine.count([]) == len(ReferenceBackend(live)) + len(live) + 1  # passages, articles, state


def test_a_failed_write_is_undone_at_once(tmp_path: Path) -> None:
    docs = synthetic_documents(10, seed=1, dim=16)
    store = QdrantStore(tmp_path / "work", location=":memory:", batch_size=4)
    backend = store.create(ChangeSet(add=docs, state=STATE))
    real, calls = store.engine.upsert, [0]

    def flaky(points):  # noqa: ANN001, ANN202
        calls[0] += 1
        if calls[0] == 3:
            raise TimeoutError("simulated timeout")
        real(points)

    store.engine.upsert = flaky  # type: ignore[method-assign]
    with pytest.raises(TimeoutError):
        backend.apply(ChangeSet(add=synthetic_documents(6, seed=2, dim=16, prefix="e")))
    store.engine.upsert = real  # type: ignore[method-assign]
    again = store.open()
    assert not store.engine.retrieve([MARKER_ID], True, False)
    BackendContract()._check_same(again, ReferenceBackend(docs))


def test_an_unreachable_server_names_the_url_and_collection(tmp_path: Path) -> None:
    store = QdrantStore(tmp_path / "work", url="http://127.0.0.1:9", collection="news", timeout=2)
    with pytest.raises(AmmtcQaError) as err:
        store.open()
    message = str(err.value)
    assert "127.0.0.1:9" in message and "'news'" in message and "server is up" in message


def test_a_collection_missing_fields_or_not_ours_is_refused(tmp_path: Path) -> None:
    client = qdrant_client.QdrantClient(path=str(tmp_path / "qdrant"))
    client.create_collection("foreign", vectors_config=models.VectorParams(size=4, distance=models.Distance.DOT))
    client.upsert("foreign", [models.PointStruct(id=1, vector=[1.0, 0, 0, 0], payload={"x": 1})])
    client.close()
    with pytest.raises(IndexUnavailableError, match="not built by ammtc-qa") as err:
        QdrantStore(tmp_path / "work", path=str(tmp_path / "qdrant"), collection="foreign").open()
    assert not isinstance(err.value, IndexCorruptError)  # load() must not rebuild over someone else's data
    # ours, but its text index was dropped: corrupt, rebuilt by load(rebuild="auto")
    store = QdrantStore(tmp_path / "work2", location=":memory:", collection="ours")
    store.create(ChangeSet(add=synthetic_documents(3, dim=16), state=STATE))
    store.engine.client.delete_payload_index("ours", "bm25")
    store.engine.client._client.collections["ours"].text_indexes.pop("bm25", None)
    with pytest.raises(IndexCorruptError, match="'ours'.*lacks the BM25 text index"):
        store.open()


def test_incremental_batches_give_the_one_shot_bm25(tmp_path: Path) -> None:
    docs = synthetic_documents(30, seed=9, dim=16)
    one = QdrantStore(tmp_path / "a", location=":memory:").create(ChangeSet(add=docs, state=STATE))
    inc = QdrantStore(tmp_path / "b", location=":memory:").create(ChangeSet(add=docs[:5], state=STATE))
    for lo in range(5, 30, 5):
        inc = inc.apply(ChangeSet(add=docs[lo:lo + 5]))
    ids = list(range(len(one)))
    assert [r.doc_id for r in one.passages(ids)] == [r.doc_id for r in inc.passages(ids)]
    for tokens in (["w1", "w2"], ["drug", "drug", "fraud"], ["ammtc_19"]):
        np.testing.assert_allclose(inc.lexical_scores(tokens, ids), one.lexical_scores(tokens, ids), rtol=1e-6)
        assert inc.idf(tokens) == one.idf(tokens)


# -- through load() and the CLI ------------------------------------------------------------------
def test_load_builds_answers_and_a_second_client_answers_the_same(make_corpus, fast_encode, tmp_path: Path) -> None:
    import ammtc_qa
    from ammtc_qa.qa import QA
    from ammtc_qa.settings import IndexSettings, SearchSettings

    corpus = make_corpus()
    where = str(tmp_path / "qdrant")
    qa = ammtc_qa.load(corpus, tmp_path / "work", backend="qdrant", backend_options={"path": where,
                                                                                   "collection": "news"})
    assert qa.info()["backend"] == "qdrant" and "'news'" in qa.info()["store"]
    first = qa.ask("Where were pangolin scales found?", k=3)
    assert first.passages and all(qa.document(p.doc_id).text[p.start:p.end] == p.text for p in first.passages)
    qa.store.engine.close()
    # another machine: no corpus, no index folder, only the engine
    store = QdrantStore(tmp_path / "elsewhere", path=where, collection="news")
    backend = store.open()
    assert backend is not None
    other = QA(backend, index_settings=IndexSettings(), search_settings=SearchSettings(),
               corpus_dir=tmp_path / "absent", index_dir=tmp_path / "elsewhere", store=store)
    again = other.ask("Where were pangolin scales found?", k=3)
    assert [(p.doc_id, p.start, p.end, p.text) for p in again.passages] == \
           [(p.doc_id, p.start, p.end, p.text) for p in first.passages]
    store.engine.close()
    # built with other settings: stale, and the error names the collection
    with pytest.raises(IndexUnavailableError, match=r"'news'.*index settings changed \(chunk_max_tokens\)"):
        ammtc_qa.load(corpus, tmp_path / "work", backend="qdrant",
                      backend_options={"path": where, "collection": "news"},
                      settings=IndexSettings(chunk_max_tokens=150), rebuild="never")


def test_cli_flags_reach_the_qdrant_backend(make_corpus, fast_encode, tmp_path: Path, capsys) -> None:
    from ammtc_qa.cli import main

    corpus = make_corpus()
    where = tmp_path / "qdrant"
    assert main(["index", "--corpus", str(corpus), "--index", str(tmp_path / "work"), "--qdrant-path",
                 str(where), "--qdrant-edge"]) == 0
    assert "passages" in capsys.readouterr().out
    assert (where / "edge_config.json").is_file()
    import gc

    gc.collect()  # the first command's shard (each command is a process of its own in a shell)
    assert main(["ask", "Where were pangolin scales found?", "--corpus", str(corpus), "--index",
                 str(tmp_path / "work"), "--qdrant-path", str(where), "--qdrant-edge", "--json", "-k", "2"]) == 0
    assert "pangolin" in capsys.readouterr().out.lower()
