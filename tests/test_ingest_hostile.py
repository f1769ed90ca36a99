"""Changes to a corpus whose ids collide, whose names are odd, on a disk that fails.

Removing or updating an id that two lines of one ``.jsonl`` share touches only the indexed
line; a record whose id is another file's name neither takes nor removes that file's metadata;
a file or folder name that is not UTF-8, or a folder that cannot be read, is a warning naming
it; temporary copies left by a writer killed mid-write are cleaned up by the next change; bad
documents given to ``add`` are skipped by name; a full disk, a refused permission or read-only
media are ``StorageError``s naming the path.
"""

from __future__ import annotations

import errno
import json
import os
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest

import ammtc_qa
from ammtc_qa import CorpusWarning, StorageError
from ammtc_qa.errors import storage_errors
from ammtc_qa.indexing import embedding_cache as embedding_cache_module
from ammtc_qa.indexing.embedding_cache import Journal
from ammtc_qa.input.corpus import read_corpus
from ammtc_qa.input.ingest import ADDED_FILE, _write_atomic
from conftest import ARTICLES, EXTRA_ARTICLE

FIRST = {"id": "dup", "text": "Police in Hanoi seized 120 kg of drugs on Tuesday, officials said."}
SECOND = {"id": "dup", "text": "Customs in Da Nang found pangolin scales in a container, officers said."}
OTHER = {"id": "other", "text": "Rescuers freed 85 workers held in an online scam compound near the border."}


def _jsonl(*records: dict[str, str]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


@pytest.fixture
def shared_id_corpus(make_corpus) -> Path:  # noqa: ANN001
    return make_corpus({**ARTICLES, "archive.jsonl": _jsonl(FIRST, SECOND, OTHER)})


def test_removing_a_shared_id_deletes_only_the_indexed_line(shared_id_corpus: Path, tmp_path: Path,
                                                            fast_encode: None) -> None:
    with pytest.warns(CorpusWarning, match=r"archive\.jsonl:2: doc id 'dup' already used by archive\.jsonl:1"):
        qa = ammtc_qa.load(shared_id_corpus, tmp_path / "index")
    assert "Hanoi" in qa.document("dup").text
    qa.remove("dup")
    assert (shared_id_corpus / "archive.jsonl").read_text(encoding="utf-8") == _jsonl(SECOND, OTHER)
    assert "Da Nang" in qa.document("dup").text  # the line that was a skipped duplicate is now indexed


def test_updating_a_shared_id_replaces_only_the_indexed_line(shared_id_corpus: Path, tmp_path: Path,
                                                             fast_encode: None) -> None:
    with pytest.warns(CorpusWarning):
        qa = ammtc_qa.load(shared_id_corpus, tmp_path / "index")
    new = {"id": "dup", "text": "Police in Hanoi seized 150 kg of drugs on Tuesday, officials said."}
    with pytest.warns(CorpusWarning):  # the second line is still a duplicate of the updated one
        qa.update(new)
    assert (shared_id_corpus / "archive.jsonl").read_text(encoding="utf-8") == _jsonl(new, SECOND, OTHER)
    assert "150 kg" in qa.document("dup").text


def test_a_record_named_like_a_file_neither_takes_nor_removes_its_metadata(make_corpus, tmp_path: Path,  # noqa: ANN001
                                                                           fast_encode: None) -> None:
    record = {"id": "scam.txt", "text": "Officers in Hanoi seized fake passports at the airport on Monday."}
    corpus = make_corpus({**ARTICLES, "scam.txt": EXTRA_ARTICLE, "archive.jsonl": _jsonl(record)},
                         metadata={"scam.txt": {"publisher": "Border Post"}})
    qa = ammtc_qa.load(corpus, tmp_path / "index")
    assert qa.document("scam").publisher == "Border Post"
    assert qa.document("scam.txt").publisher is None  # not the file's citation
    qa.remove("scam.txt")
    assert json.loads((corpus / "metadata.json").read_text(encoding="utf-8")) == {
        "scam.txt": {"publisher": "Border Post"}}
    assert qa.document("scam").publisher == "Border Post"


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="these file systems refuse non-UTF-8 names")
def test_a_file_or_folder_name_that_is_not_utf8_is_a_warning(make_corpus, tmp_path: Path,  # noqa: ANN001
                                                             fast_encode: None) -> None:
    corpus = make_corpus()
    root = os.fsencode(corpus)
    with open(os.path.join(root, b"caf\xe9.txt"), "w", encoding="utf-8") as fh:
        fh.write(EXTRA_ARTICLE)
    os.mkdir(os.path.join(root, b"d\xff"))
    with open(os.path.join(root, b"d\xff", b"inside.txt"), "w", encoding="utf-8") as fh:
        fh.write(EXTRA_ARTICLE)
    with pytest.warns(CorpusWarning) as caught:
        docs = read_corpus(corpus).documents
    messages = [str(w.message) for w in caught]
    assert any(m.startswith(r"caf\xe9.txt: file name is not UTF-8") for m in messages), messages
    assert any(m.startswith(r"d\xff: folder name is not UTF-8") for m in messages), messages
    assert {d.doc_id for d in docs} == {"melaka", "pangolin"}
    with pytest.warns(CorpusWarning):
        assert len(ammtc_qa.load(corpus, tmp_path / "index").documents()) == 2  # the build does not crash


def test_an_unreadable_folder_is_a_warning(make_corpus, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    corpus = make_corpus({**ARTICLES, "locked/scam.txt": EXTRA_ARTICLE})
    locked = (corpus / "locked").resolve()
    if os.geteuid() == 0:  # root reads any folder: refuse this one the way the OS would
        real = os.scandir

        def scandir(path: object = ".") -> object:
            if Path(os.fsdecode(path)).resolve() == locked:  # type: ignore[arg-type]
                raise PermissionError(errno.EACCES, "Permission denied", str(path))
            return real(path)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "scandir", scandir)
    else:
        locked.chmod(0)
    try:
        with pytest.warns(CorpusWarning, match=r"^locked: folder cannot be read \(Permission denied\)"):
            docs = read_corpus(corpus).documents
    finally:
        locked.chmod(0o755)
    assert {d.doc_id for d in docs} == {"melaka", "pangolin"}


def test_temporary_copies_left_by_a_killed_writer_are_cleaned_up(make_corpus, tmp_path: Path,  # noqa: ANN001
                                                                 fast_encode: None) -> None:
    corpus = make_corpus({**ARTICLES, "sub/scam.txt": EXTRA_ARTICLE})
    qa = ammtc_qa.load(corpus, tmp_path / "index")
    leftovers = [corpus / f".{ADDED_FILE}.{uuid.uuid4().hex}.tmp", corpus / "sub" / f".scam.txt.{uuid.uuid4().hex}.tmp"]
    for path in leftovers:
        path.write_text("half a file", encoding="utf-8")
    mine = [corpus / ".notes.tmp", corpus / ".git" / f".x.{uuid.uuid4().hex}.tmp"]  # not ours: kept
    for path in mine:
        path.parent.mkdir(exist_ok=True)
        path.write_text("the user's", encoding="utf-8")
    qa.add({"id": "new", "text": "Police in Hanoi seized fake passports at the airport on Monday."})
    assert not any(p.exists() for p in leftovers)
    assert all(p.exists() for p in mine)


@pytest.mark.parametrize(("document", "reason"), [
    ({"id": "s1", "text": "Police seized drugs \udfff in Hanoi."}, "field 'text' contains a lone surrogate"),
    ({"text": "Police seized drugs in Hanoi.", "title": "\ud800"}, "field 'title' contains a lone surrogate"),
    ({"id": "s3", "text": "Police seized drugs in Hanoi.", "date_order": "YMD"}, "field 'date_order'"),
    ({"id": 10**5000, "text": "Police seized drugs in Hanoi."}, "not JSON-serialisable"),
])
def test_a_bad_document_given_to_add_is_skipped_by_name(make_corpus, tmp_path: Path, fast_encode: None,  # noqa: ANN001
                                                        document: dict[str, object], reason: str) -> None:
    corpus = make_corpus()
    qa = ammtc_qa.load(corpus, tmp_path / "index")
    with pytest.warns(CorpusWarning, match="document #1"):
        report = qa.add([document, OTHER])
    assert report.added == ["other"]
    assert [n for n, _ in report.skipped] == ["document #1"] and reason in report.skipped[0][1]
    assert (corpus / ADDED_FILE).read_text(encoding="utf-8") == _jsonl(OTHER)


# ------------------------------------------------------------------------ environment failures


@pytest.mark.parametrize(("code", "advice"), [(errno.ENOSPC, "disk is full"), (errno.EACCES, "permission denied"),
                                              (errno.EROFS, "read-only")])
def test_environment_failures_are_storage_errors_naming_the_path(code: int, advice: str) -> None:
    with pytest.raises(StorageError, match=rf"/some/folder.*{advice}") as info, \
            storage_errors("/some/folder", "write the file"):
        raise OSError(code, os.strerror(code))
    assert info.value.errno == code and isinstance(info.value, OSError)
    with pytest.raises(FileNotFoundError), storage_errors("/x", "write"):  # not the environment: unchanged
        raise FileNotFoundError(errno.ENOENT, "No such file")


class _FullDisk:
    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def test_a_full_disk_in_the_embedding_journal_is_a_storage_error(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedding_cache_module, "open", _FullDisk, raising=False)
    journal = Journal(tmp_path, 4)
    with pytest.raises(StorageError, match=r"build journal.*disk is full"):
        journal.append(np.zeros((1, 20), dtype=np.uint8), np.ones((1, 4), dtype=np.float32) / 2)


def test_a_full_disk_during_add_is_a_storage_error_and_the_old_version_answers(
        make_corpus, tmp_path: Path, fast_encode: None, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    qa = ammtc_qa.load(make_corpus(), tmp_path / "index")
    version, docs = qa.info()["version"], {d.doc_id for d in qa.documents()}
    monkeypatch.setattr(embedding_cache_module, "open", _FullDisk, raising=False)
    with pytest.raises(StorageError, match=r"No space|disk is full"):
        qa.add({"id": "new", "text": "Police in Hanoi seized fake passports at the airport on Monday."})
    assert qa.info()["version"] == version and {d.doc_id for d in qa.documents()} == docs
    assert qa.ask("pangolin scales", k=1).passages


def test_a_full_disk_while_writing_the_corpus_keeps_the_old_file(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / ADDED_FILE
    target.write_bytes(b"old\n")

    def full(self: Path, data: bytes) -> int:
        self.open("wb").write(data[:3])  # a partial write, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)
    with pytest.raises(StorageError, match=rf"{target}.*disk is full"):
        _write_atomic(target, b"old\nnew\n")
    assert target.read_bytes() == b"old\n"
    assert [p.name for p in tmp_path.iterdir()] == [ADDED_FILE]  # no temporary copy left
