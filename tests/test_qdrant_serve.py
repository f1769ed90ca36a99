"""Serving a Qdrant index without its corpus folder (a second machine), where the local work
folder lives, ``close()``, and a writer killed mid-``add`` seen by the next reader and writer."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

pytest.importorskip("qdrant_client")

import ammtc_qa  # noqa: E402
from ammtc_qa.backends.qdrant.store import MARKER_ID, QdrantStore  # noqa: E402
from ammtc_qa.errors import IndexUnavailableError, ReadOnlyIndexError, StaleIndexWarning  # noqa: E402
from ammtc_qa.paths import cache_root  # noqa: E402
from ammtc_qa.settings import IndexSettings  # noqa: E402

QUESTIONS = ["Where were pangolin scales found?", "How much methamphetamine was seized in Melaka?"]


def _answers(qa: ammtc_qa.QA) -> list[list[tuple]]:
    out = []
    for q in QUESTIONS:
        passages = qa.ask(q, k=3).passages
        for p in passages:  # exact citations: the passage is the document's text at its span
            assert qa.document(p.doc_id).text[p.start:p.end] == p.text
        out.append([(p.doc_id, p.start, p.end, p.text, p.citation, p.highlights, round(p.score, 6))
                    for p in passages])
    return out


@pytest.mark.parametrize("engine", ["client", "edge"])
def test_a_second_machine_answers_with_only_the_engine(engine: str, make_corpus, fast_encode, tmp_path: Path) -> None:
    if engine == "edge":
        pytest.importorskip("qdrant_edge")
    corpus = make_corpus()
    options = {"path": str(tmp_path / "qdrant"), "engine": engine}
    with ammtc_qa.load(corpus, tmp_path / "work", backend="qdrant", backend_options=options) as built:
        expected = _answers(built)
        docs = sorted(d.doc_id for d in built.documents())
    assert expected[0] and expected[1]
    shutil.rmtree(corpus)  # nothing local is left but the engine's folder
    shutil.rmtree(tmp_path / "work")
    served = ammtc_qa.load(backend="qdrant", backend_options=options)
    try:
        assert _answers(served) == expected
        assert sorted(d.doc_id for d in served.documents()) == docs
        info = served.info()
        assert info["read_only"] is True and info["corpus_dir"] is None and info["stale"] is None
        assert served.index_settings.model == info["model"]["name"]
        for change in (lambda: served.add({"text": "A new article about smuggling."}),
                       lambda: served.remove(docs[0]), lambda: served.refresh(),
                       lambda: served.update({"id": docs[0], "text": "changed"})):
            with pytest.raises(ReadOnlyIndexError, match="corpus folder"):
                change()
        assert not served.index_dir.exists()  # a reader writes nothing locally either
    finally:
        served.close()
    assert not (tmp_path / "work").exists() and not corpus.exists()


def test_serve_only_refuses_an_empty_or_missing_collection_naming_it(make_corpus, fast_encode,
                                                                     tmp_path: Path) -> None:
    empty = tmp_path / "nothing-here"
    with pytest.raises(IndexUnavailableError, match=f"{empty}.*holds no index.*corpus folder"):
        ammtc_qa.load(backend="qdrant", backend_options={"path": str(empty)})
    where = str(tmp_path / "qdrant")
    ammtc_qa.load(make_corpus(), backend="qdrant", backend_options={"path": where}).close()
    with pytest.raises(IndexUnavailableError, match="'other'.*holds no index"):
        ammtc_qa.load(backend="qdrant", backend_options={"path": where, "collection": "other"})
    with pytest.raises(ammtc_qa.InvalidInputError, match="corpus folder"):
        ammtc_qa.load(backend="qdrant", backend_options={"path": where}, rebuild="always")
    # settings or a model other than the build's are refused (nothing can be rebuilt here)
    with pytest.raises(IndexUnavailableError, match=r"index settings changed \(chunk_max_tokens\)"):
        ammtc_qa.load(backend="qdrant", backend_options={"path": where}, settings=IndexSettings(chunk_max_tokens=150))
    with pytest.raises(IndexUnavailableError, match="model 'all-MiniLM-L6-v2' != 'some-other-model'"):
        ammtc_qa.load(backend="qdrant", backend_options={"path": where}, model="some-other-model")
    ammtc_qa.load(backend="qdrant", backend_options={"path": where}, settings=IndexSettings()).close()  # the same


def test_cli_asks_a_collection_without_a_corpus(make_corpus, fast_encode, tmp_path: Path, capsys) -> None:
    from ammtc_qa.cli import main

    corpus = make_corpus()
    where = tmp_path / "qdrant"
    assert main(["index", "--corpus", str(corpus), "--qdrant-path", str(where)]) == 0
    capsys.readouterr()
    shutil.rmtree(corpus)
    assert main(["ask", QUESTIONS[0], "--qdrant-path", str(where), "--json", "-k", "2"]) == 0
    out = capsys.readouterr().out
    assert "pangolin" in out.lower() and "pangolin" in out  # the doc id of the pangolin article
    assert main(["index", "--qdrant-path", str(where)]) == 2
    assert "--corpus" in capsys.readouterr().err
    assert main(["ask", QUESTIONS[0], "--qdrant-path", str(tmp_path / "empty")]) == 2
    assert "holds no index" in capsys.readouterr().err


def test_the_work_folder_is_in_the_user_cache_keyed_by_the_location(make_corpus, fast_encode, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = make_corpus()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    with ammtc_qa.load(corpus, backend="qdrant", backend_options={"path": "../qdrant"}) as qa:
        work = qa.index_dir
        assert work.parent == cache_root() and work.name.startswith("qdrant-")
        assert (work / "index.lock").exists() or any(work.iterdir())  # the writer lock (and journal) live there
    assert os.listdir(tmp_path / "a") == []  # nothing in the working directory
    monkeypatch.chdir(tmp_path / "b")  # the same collection from elsewhere: the same work folder
    assert QdrantStore(path="../qdrant").work_dir == work
    assert QdrantStore(path=str(tmp_path / "qdrant")).work_dir == work
    assert QdrantStore(path=str(tmp_path / "qdrant"), collection="other").work_dir != work
    assert QdrantStore(location=":memory:").work_dir != work


def test_close_releases_the_local_mode_folder(make_corpus, fast_encode, tmp_path: Path) -> None:
    where = str(tmp_path / "qdrant")
    qa = ammtc_qa.load(make_corpus(), tmp_path / "work", backend="qdrant", backend_options={"path": where})
    with pytest.raises(IndexUnavailableError, match="already accessed"):  # local mode locks its folder
        ammtc_qa.load(backend="qdrant", backend_options={"path": where})
    expected = _answers(qa)
    qa.close()
    qa.close()  # idempotent
    again = ammtc_qa.load(backend="qdrant", backend_options={"path": where})
    assert _answers(again) == expected
    again.close()
    store = QdrantStore(tmp_path / "work", path=where)
    store.close()
    with QdrantStore(tmp_path / "work", path=where) as store:
        assert store.open() is not None


# -- a writer killed mid-add (a real process, SIGKILL) -------------------------------------------
CHILD = r"""
import os, signal, sys
sys.path.insert(0, sys.argv[5])
from conftest import fake_encode
import ammtc_qa
from ammtc_qa.indexing.embedding import Embedder
Embedder.encode = fake_encode  # the vectors of the parent's build (tests/conftest.py)
point, corpus, work, where = sys.argv[1:5]
qa = ammtc_qa.load(corpus, work, backend="qdrant", backend_options={"path": where, "batch_size": 2})
store = qa.store
if point == "before-commit":
    real, calls = store.engine.upsert, [0]
    def upsert(points):
        real(points)
        calls[0] += 1
        if calls[0] == 3:  # the marker, then two batches of the new points: the state is not committed
            os.kill(os.getpid(), signal.SIGKILL)
    store.engine.upsert = upsert
    qa.add([{"id": "new1", "title": "Ferry drug seizure", "text": "Police on a ferry seized heroin worth millions. "
             "The haul was found in a truck. " * 3},
            {"id": "new2", "title": "Gibbons rescued", "text": "Rangers rescued six gibbons from traffickers. "
             "The animals were returned to the forest. " * 3}])
else:  # killed after the commit, before the removed article's points are deleted
    store._finish = lambda *a: os.kill(os.getpid(), signal.SIGKILL)
    qa.remove(sys.argv[6])
"""


@pytest.mark.parametrize("point", ["before-commit", "after-commit"])
def test_a_writer_killed_mid_change_is_served_consistently_then_recovered(
        point: str, make_corpus, fast_encode, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    corpus = make_corpus()
    where = str(tmp_path / "qdrant")
    with ammtc_qa.load(corpus, tmp_path / "work", backend="qdrant", backend_options={"path": where}) as qa:
        before = _answers(qa)
        docs = sorted(d.doc_id for d in qa.documents())
        removed = before[0][0][0]  # the best answer's article: its removal shows in the answers
    child = subprocess.run([sys.executable, "-c", CHILD, point, str(corpus), str(tmp_path / "work"), where,
                            str(Path(__file__).parent), removed],
                           env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}, capture_output=True,
                           timeout=600)
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()[-3000:]

    # a reader (no corpus folder) leaves the marker alone, serves a consistent version, and says so
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reader = ammtc_qa.load(backend="qdrant", backend_options={"path": where})
    try:
        said = [str(w.message) for w in caught if issubclass(w.category, StaleIndexWarning)]
        expect = "not committed" if point == "before-commit" else "committed but not finished"
        assert any(expect in m for m in said), said
        assert expect in (reader.stale or "")
        assert reader.store.engine.retrieve([MARKER_ID], True, False), "a reader must not write"
        served = _answers(reader)  # every passage is its document's text at its span (checked inside)
        ids = sorted(d.doc_id for d in reader.documents())
        if point == "before-commit":  # the same passages (scores move: the engine's BM25 counts new points)
            assert [[p[:6] for p in a] for a in served] == [[p[:6] for p in a] for a in before] and ids == docs
        else:
            assert ids == [d for d in docs if d != removed] and len(reader.backend) > 0
            assert all(p[0] != removed for a in served for p in a)
            with pytest.raises(KeyError):
                reader.backend.document(removed)
    finally:
        reader.close()

    # the next writer (with the corpus) rolls back or finishes it, says so, and catches up with the corpus
    with caplog.at_level(logging.WARNING, logger="ammtc_qa"):
        writer = ammtc_qa.load(corpus, tmp_path / "work", backend="qdrant", backend_options={"path": where})
    try:
        assert ("rolling back" if point == "before-commit" else "finishing a change") in caplog.text
        assert not writer.store.engine.retrieve([MARKER_ID], True, False)
        ids = sorted(d.doc_id for d in writer.documents())
        if point == "before-commit":  # the added articles were in the corpus already: the refresh adds them
            assert ids == sorted([*docs, "new1", "new2"])
            assert writer.ask("Who rescued gibbons?", k=1).passages[0].doc_id == "new2"
        else:
            assert ids == [d for d in docs if d != removed]
        _answers(writer)
        state = writer.store._state_point()
        assert state["counts"]["documents"] == len(ids)
    finally:
        writer.close()


def test_an_unreachable_server_or_another_model_is_a_clear_error(make_corpus, fast_encode, tmp_path: Path) -> None:
    with pytest.raises(IndexUnavailableError, match=r"'news' at http://127.0.0.1:9.*server is up"):
        ammtc_qa.load(backend="qdrant", backend_options={"url": "http://127.0.0.1:9", "collection": "news",
                                                         "timeout": 2, "check_compatibility": False})
    corpus = make_corpus()
    where = str(tmp_path / "qdrant")
    ammtc_qa.load(corpus, backend="qdrant", backend_options={"path": where, "collection": "news"}).close()
    with pytest.raises(IndexUnavailableError, match=r"'news'.*model 'all-MiniLM-L6-v2' != 'another-model'"):
        ammtc_qa.load(corpus, backend="qdrant", backend_options={"path": where, "collection": "news"},
                      model="another-model", rebuild="never")
    ammtc_qa.load(backend="qdrant", backend_options={"path": where, "collection": "news"}).close()  # not locked


def test_a_served_index_is_searched_as_it_was_built(make_corpus, fast_encode, tmp_path: Path) -> None:
    """A collection built with vector_kind="Flat" (exact search) stays exact on the machine that
    serves it without the build's settings; an explicit ``exact=`` in backend_options wins."""
    corpus = make_corpus()
    options = {"path": str(tmp_path / "qdrant")}
    with ammtc_qa.load(corpus, tmp_path / "work", backend="qdrant", backend_options=options,
                       settings=IndexSettings(vector_kind="Flat")) as built:
        assert built.store.options.exact is True
    with ammtc_qa.load(backend="qdrant", backend_options=options) as served:
        assert served.index_settings.vector_kind == "Flat" and served.store.options.exact is True
    with ammtc_qa.load(backend="qdrant", backend_options={**options, "exact": False}) as served:
        assert served.store.options.exact is False


def test_a_cli_command_releases_the_local_folder_it_opened(make_corpus, fast_encode, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Each command closes what it opened, even while something still refers to its QA (a
    traceback, a cycle not yet collected): the next command in the process opens the folder."""
    from ammtc_qa import cli

    kept: list[ammtc_qa.QA] = []
    opener = cli._open_index

    def keep(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        qa = opener(*args, **kwargs)
        kept.append(qa)
        return qa

    monkeypatch.setattr(cli, "_open_index", keep)
    where = tmp_path / "qdrant"
    assert cli.main(["index", "--corpus", str(make_corpus()), "--qdrant-path", str(where)]) == 0
    assert kept  # still referenced here
    with ammtc_qa.load(backend="qdrant", backend_options={"path": str(where)}) as served:
        assert served.ask(QUESTIONS[0], k=1).passages
