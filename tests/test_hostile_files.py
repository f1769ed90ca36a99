"""Hostile files: in a corpus folder (huge, one endless line, deeply nested HTML, links out of the
folder, FIFOs, files vanishing or changing mid-scan) and in an index folder (pickles planted in
place of every file; doc ids that look like paths).

Builds use the fake encoder: these tests are about files, not ranking.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import resource
import shutil
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest

import ammtc_qa
import ammtc_qa.input.corpus
from ammtc_qa import CorpusError, CorpusWarning, IndexCorruptError
from ammtc_qa.backends.local import LocalBackend
from ammtc_qa.backends.local.store import read_manifest
from ammtc_qa.indexing.embedding import Embedder
from ammtc_qa.input.corpus import MAX_ARTICLE_CHARS, MAX_FILE_BYTES, read_corpus, stamp_files
from conftest import ARTICLES, build_tiny_index, fake_encode, live_segment

PANGOLIN_Q = "How many tonnes of pangolin scales did customs find?"


@pytest.fixture(autouse=True)
def _fake_model(monkeypatch: pytest.MonkeyPatch, embedder) -> None:  # noqa: ANN001
    monkeypatch.setattr(Embedder, "encode", fake_encode)


def _messages(record: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in record if issubclass(w.category, CorpusWarning)]


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


# --------------------------------------------------------------------------- corpus: size


def test_200_mb_file_is_skipped_by_size_without_being_read_into_memory(make_corpus, tmp_path: Path) -> None:  # noqa: ANN001
    corpus = make_corpus()
    read_corpus(corpus)  # imports and caches warmed up: what is measured next is the file
    huge = corpus / "huge.txt"
    with open(huge, "wb") as f:  # sparse: 200 MB of zeros costs no disk and no time to write
        f.truncate(200 * 1024 * 1024)
    assert huge.stat().st_size > MAX_FILE_BYTES
    rss_before = _max_rss_mb()
    tracemalloc.start()
    try:
        with pytest.warns(CorpusWarning) as record:
            read_corpus(corpus)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert any("huge.txt" in m and "larger than the 64 MiB limit" in m for m in _messages(record)), _messages(record)
    assert peak < 10e6, f"reading the corpus allocated {peak / 1e6:.0f} MB"
    with pytest.warns(CorpusWarning, match="huge.txt"):
        qa = ammtc_qa.load(corpus, tmp_path / "index")
    assert _max_rss_mb() - rss_before < 100, "the process grew by about the size of the file"
    assert sorted(d.doc_id for d in qa.documents()) == ["melaka", "pangolin"]
    assert [name for name, _ in qa.info()["skipped"]] == ["huge.txt"]
    # It is part of the corpus fingerprint: replacing it is noticed (without reading it again when untouched).
    assert "huge.txt" in qa.backend.state["corpus"]["files"]
    assert ammtc_qa.load(corpus, tmp_path / "index", rebuild="never").version == qa.version


def test_one_10_mb_line_is_skipped_quickly_with_a_clear_message(make_corpus, tmp_path: Path) -> None:  # noqa: ANN001
    corpus = make_corpus()
    words = b"police seized drugs in Melaka customs officers said the minister "
    (corpus / "endless.txt").write_bytes(words * (10 * 1024 * 1024 // len(words)))  # no newline, no full stop
    start = time.perf_counter()
    tracemalloc.start()
    try:
        with pytest.warns(CorpusWarning) as record:
            qa = ammtc_qa.load(corpus, tmp_path / "index")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    took = time.perf_counter() - start
    assert any("endless.txt" in m and f"over the {MAX_ARTICLE_CHARS:,}-character limit" in m
               for m in _messages(record)), _messages(record)
    assert took < 20, f"{took:.0f}s to skip one long line"
    assert peak < 120e6, f"{peak / 1e6:.0f} MB to skip a 10 MB line"
    assert sorted(d.doc_id for d in qa.documents()) == ["melaka", "pangolin"]


def test_over_long_jsonl_line_is_skipped_and_the_other_lines_kept(make_corpus, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(ammtc_qa.input.corpus, "MAX_LINE_BYTES", 1000)
    lines = [json.dumps({"id": "short", "text": ARTICLES["melaka.txt"][:500]}),
             json.dumps({"id": "long", "text": "x " * 5000}),
             json.dumps({"id": "after", "text": ARTICLES["pangolin.txt"][:500]})]
    corpus = make_corpus({"archive.jsonl": "\n".join(lines) + "\n"})
    with pytest.warns(CorpusWarning, match=r"archive.jsonl, line 2: longer than the 0 MiB limit"):
        read = read_corpus(corpus)
    assert [d.doc_id for d in read.documents] == ["short", "after"]
    assert read.stamps["archive.jsonl"] == stamp_files(corpus)["archive.jsonl"]  # hashed whole, while streaming


def test_deeply_nested_json_line_is_reported_not_a_recursion_error(make_corpus) -> None:  # noqa: ANN001
    corpus = make_corpus({"archive.jsonl": "[" * 100_000 + "]" * 100_000 + "\n"
                          + json.dumps({"id": "ok", "text": ARTICLES["melaka.txt"]}) + "\n"})
    with pytest.warns(CorpusWarning, match="archive.jsonl, line 1"):
        read = read_corpus(corpus)
    assert [d.doc_id for d in read.documents] == ["ok"]


@pytest.mark.parametrize("depth", [300, 100_000])
def test_deeply_nested_html_is_skipped_with_a_message_or_extracted(make_corpus, tmp_path: Path, depth: int) -> None:  # noqa: ANN001
    pytest.importorskip("trafilatura")
    page = ("<html><head><title>Deep page</title></head><body>" + "<div>" * depth
            + "<p>Police in Melaka seized 120 kg of methamphetamine hidden in a fishing boat, officials said.</p>"
            + "</div>" * depth + "</body></html>")
    corpus = make_corpus({**ARTICLES, "deep.html": page})
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        read = read_corpus(corpus)
    assert time.perf_counter() - start < 20
    ids = sorted(d.doc_id for d in read.documents)
    assert ids in (["deep", "melaka", "pangolin"], ["melaka", "pangolin"])
    if "deep" not in ids:
        assert any(m.startswith("deep.html: ") for m in _messages(record)), _messages(record)


# --------------------------------------------------------------------------- corpus: links, FIFOs, races


def test_links_out_of_the_corpus_folder_are_skipped_with_a_warning_naming_them(make_corpus, tmp_path: Path) -> None:  # noqa: ANN001
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("Secret\n\nA file outside the corpus folder.\n", encoding="utf-8")
    corpus = make_corpus()
    (corpus / "leak.txt").symlink_to(outside / "secret.txt")
    (corpus / "leakdir").symlink_to(outside, target_is_directory=True)
    (corpus / "dangling.txt").symlink_to(tmp_path / "nothing-here.txt")
    (corpus / "loop.txt").symlink_to(corpus / "loop.txt")
    (corpus / "inside.txt").symlink_to(corpus / "melaka.txt")  # inside the folder: allowed
    with pytest.warns(CorpusWarning) as record:
        read = read_corpus(corpus)
    messages = _messages(record)
    for name, reason in [("leak.txt", "points outside the corpus folder"), ("leakdir", "linked folders are not"),
                         ("dangling.txt", "does not exist"), ("loop.txt", "cannot be resolved")]:
        assert any(m.startswith(f"{name}: ") and reason in m for m in messages), (name, messages)
    assert sorted(d.doc_id for d in read.documents) == ["inside", "melaka", "pangolin"]
    assert all("Secret" not in d.text for d in read.documents)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_in_the_corpus_is_skipped_instead_of_blocking(make_corpus) -> None:  # noqa: ANN001
    corpus = make_corpus()
    os.mkfifo(corpus / "pipe.txt")  # reading it would wait for a writer forever
    with pytest.warns(CorpusWarning, match="pipe.txt: not a regular file"):
        read = read_corpus(corpus)
    assert sorted(d.doc_id for d in read.documents) == ["melaka", "pangolin"]
    with pytest.warns(CorpusWarning, match="pipe.txt"):
        assert "pipe.txt" not in stamp_files(corpus)


def test_file_vanishing_between_listing_and_reading_is_reported_and_the_rest_indexed(
        make_corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    corpus = make_corpus({**ARTICLES, "gone.txt": "Gone\n\nThis article is deleted while the corpus is read.\n"})
    real = ammtc_qa.input.corpus._read_file

    def delete_then_read(rel: str, path: Path, *args: object):  # noqa: ANN202
        if rel == "gone.txt":
            path.unlink()
        return real(rel, path, *args)

    monkeypatch.setattr(ammtc_qa.input.corpus, "_read_file", delete_then_read)
    with pytest.warns(CorpusWarning, match="gone.txt: cannot be read"):
        qa = ammtc_qa.load(corpus, tmp_path / "index")
    assert sorted(d.doc_id for d in qa.documents()) == ["melaka", "pangolin"]
    assert [name for name, _ in qa.info()["skipped"]] == ["gone.txt"]
    monkeypatch.undo()
    assert ammtc_qa.load(corpus, tmp_path / "index", rebuild="never").version == qa.version


def test_file_edited_after_it_was_read_makes_the_index_stale(make_corpus, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """The fingerprint of a file is taken from the bytes that were indexed, not from a second
    look at the folder afterwards: an edit made in between must not pass for indexed."""
    corpus = make_corpus()
    real = ammtc_qa.input.corpus._read_file

    def read_then_edit(rel: str, path: Path, *args: object):  # noqa: ANN202
        docs = list(real(rel, path, *args))
        if rel == "pangolin.txt":
            path.write_text(ARTICLES["pangolin.txt"].replace("2.5 tonnes", "9.5 tonnes"), encoding="utf-8")
            os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
        return iter(docs)

    monkeypatch.setattr(ammtc_qa.input.corpus, "_read_file", read_then_edit)
    qa = ammtc_qa.load(corpus, tmp_path / "index")
    assert "2.5 tonnes" in qa.document("pangolin").text
    monkeypatch.undo()
    with pytest.raises(ammtc_qa.IndexUnavailableError, match="corpus files changed: pangolin.txt"):
        ammtc_qa.load(corpus, tmp_path / "index", rebuild="never")
    assert "9.5 tonnes" in ammtc_qa.load(corpus, tmp_path / "index").document("pangolin").text


# --------------------------------------------------------------------------- index: nothing executes


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return open, (self.marker, "w")


def _object_npy(marker: Path, tmp: Path) -> bytes:
    array = np.empty(1, dtype=object)
    array[0] = _Payload(marker)
    np.save(tmp / "planted.npy", array, allow_pickle=True)
    return (tmp / "planted.npy").read_bytes()


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory, embedder) -> tuple[Path, Path]:  # noqa: ANN001
    return build_tiny_index(tmp_path_factory.mktemp("pickles"), ARTICLES, fake_vectors=True)


def test_a_pickle_planted_as_any_index_file_is_refused_never_run(pristine: tuple[Path, Path], tmp_path: Path) -> None:
    """Every file of a version and of its segment (each ``.npy``, the JSON files, the documents,
    the FAISS index) replaced by a pickle that creates a marker file when unpickled: with
    checksums on, the file is named as corrupt; with checksums off, the loaders refuse it, naming
    it; a rebuild that starts from the damaged index does not run it either."""
    corpus, index = pristine
    version_name = (index / "CURRENT").read_text(encoding="utf-8").strip()
    segment = live_segment(index)
    files = [f"{version_name}/{f}" for f in sorted(read_manifest(index / version_name)["files"])]
    files += [f"segments/{segment.name}/{f}" for f in sorted(read_manifest(segment)["files"])]
    npys = [f for f in files if f.endswith(".npy")]
    assert {"passages.npy", "sentences.npy", "sentence_vectors.npy", "tombstones.npy"} <= \
        {f.rsplit("/", 1)[-1] for f in npys}
    assert sum("/bm25/" in f for f in npys) >= 5  # the postings arrays
    marker = tmp_path / "EXECUTED"
    for rel in files:
        name = rel.rsplit("/", 1)[-1]
        for kind in ("object-npy", "raw-pickle"):
            damaged = tmp_path / f"index-{kind}-{rel.replace('/', '_')}"
            shutil.copytree(index, damaged)
            payload = _object_npy(marker, tmp_path) if kind == "object-npy" else pickle.dumps(_Payload(marker))
            (damaged / rel).write_bytes(payload)
            with pytest.raises(IndexCorruptError, match=re.escape(name)):
                LocalBackend.open(damaged)
            with pytest.raises(IndexCorruptError, match=re.escape(name)):
                LocalBackend.open(damaged, verify_files=False)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                qa = ammtc_qa.load(corpus, damaged)  # corrupt: rebuilt
            assert qa.version.name != version_name and qa.ask(PANGOLIN_Q, k=1).passages
            assert not marker.exists(), f"the pickle planted as {rel} was executed"


# --------------------------------------------------------------------------- ids are not paths


HOSTILE_IDS = ["../../etc/passwd", "/tmp/absolute", "..", "a/../../b", "C:\\Windows\\x", "~/x", "-rf", "$(touch x)",
               "..\\..\\x", "lexical/../../../x", "CURRENT", "manifest.json", "v-20250101T000000-deadbeef"]


def test_doc_ids_and_metadata_keys_that_look_like_paths_are_only_ids(tmp_path: Path) -> None:
    """Doc ids are never used as paths: nothing is written anywhere but the index folder, and a
    hostile id is stored and returned as it was given. Ids with NUL or other control characters
    are refused (with a warning naming the line)."""
    root = tmp_path / "world"
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    base = ARTICLES["pangolin.txt"]
    records = [{"id": doc_id, "text": f"{base}\nCase {i}: {doc_id!r} number {i * 7919}.\n"}
               for i, doc_id in enumerate(HOSTILE_IDS)]
    records += [{"id": "nul\x00id", "text": base + "\nNUL case.\n"}, {"id": "line\nbreak", "text": base + "\nLF.\n"}]
    (corpus / "archive.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    (corpus / "metadata.json").write_text(json.dumps({"../../etc/passwd": {"publisher": "Wire"},
                                                      "../../../outside.txt": {"publisher": "Nobody"}}),
                                          encoding="utf-8")

    def listing() -> set[str]:
        return {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if "index" not in p.relative_to(root).parts}

    before = listing()
    index = root / "index"
    with pytest.warns(CorpusWarning) as record:
        qa = ammtc_qa.load(corpus, index)
    messages = _messages(record)
    assert any("archive.jsonl:" in m and "control characters" in m for m in messages), messages
    assert any("'../../../outside.txt' matches no corpus file" in m for m in messages), messages
    assert listing() == before, "something was written outside the index folder"
    assert sorted(d.doc_id for d in qa.documents()) == sorted(HOSTILE_IDS)
    assert qa.document("../../etc/passwd").publisher == "Wire"
    version = qa.version
    for folder in (version, live_segment(index)):
        written = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
        assert set(written) == set(read_manifest(folder)["files"]) | {"manifest.json"}  # no file named after an id
    assert {p.name for p in index.iterdir()} <= {"CURRENT", version.name, "segments", ".build.lock",
                                                 ".embedding-journal"}
    for answer_passage in qa.ask("pangolin scales number", k=5):
        assert answer_passage.doc_id in HOSTILE_IDS
    with pytest.raises(CorpusError, match="control characters"):
        read_corpus(corpus, strict=True)
