"""The index folder under concurrent builds and damage: reading a version that a build replaces,
manifests naming paths outside their version, odd files in a version, ``ammtc-qa index`` on a
corrupt index.

Builds here use the fake encoder (``conftest.fake_encode``): what is checked is files, not ranking.
"""

from __future__ import annotations

import builtins
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import ammtc_qa
import ammtc_qa.backends.local.store
from ammtc_qa import IndexCorruptError, IndexUnavailableError
from ammtc_qa.backends.local import LocalBackend
from ammtc_qa.backends.local.store import MANIFEST, VersionWriter, read_live, read_manifest, verify
from ammtc_qa.cli import main
from ammtc_qa.indexing.embedding import Embedder
from conftest import ARTICLES, build_tiny_index, fake_encode, live_segment, private_copy

PANGOLIN_Q = "How many tonnes of pangolin scales did customs find?"


def current(index: Path) -> str:
    return (index / "CURRENT").read_text(encoding="utf-8").strip()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, embedder) -> tuple[Path, Path]:  # noqa: ANN001
    return build_tiny_index(tmp_path_factory.mktemp("store-base"), ARTICLES, fake_vectors=True)


@pytest.fixture
def built(base: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    return private_copy(base, tmp_path)


def load_index(index: Path) -> LocalBackend | None:
    return LocalBackend.open(index)


def publish_copy(index: Path) -> str:
    """Commit a new version with the live version's files (what a concurrent rebuild does):
    CURRENT switches and the old version folder is deleted. Returns the new version's name."""
    old = index / current(index)
    writer = VersionWriter(index)
    manifest = read_manifest(old)
    for rel in manifest["files"]:
        shutil.copyfile(old / rel, writer.path(rel))
    return writer.commit({k: v for k, v in manifest.items() if k != "files"}).name


# --------------------------------------------------------------------------- a version replaced mid-read


def test_read_live_follows_current_when_the_version_is_removed_mid_read(built: tuple[Path, Path]) -> None:
    _, index = built
    first = current(index)
    calls: list[str] = []

    def read(version: Path) -> dict[str, object]:
        calls.append(version.name)
        if len(calls) == 1:
            publish_copy(index)  # a build in another process commits while we read
        return read_manifest(version)

    manifest = read_live(index, read)
    assert calls[0] == first and calls[1] == current(index) != first
    assert manifest is not None and manifest["files"]
    assert not (index / first).exists()


def test_read_live_reports_corruption_of_a_live_version_without_retrying(built: tuple[Path, Path]) -> None:
    _, index = built
    (index / current(index) / MANIFEST).write_text("{", encoding="utf-8")
    calls: list[str] = []

    def read(version: Path) -> object:
        calls.append(version.name)
        return read_manifest(version)

    with pytest.raises(IndexCorruptError, match="not valid JSON"):
        read_live(index, read)
    assert len(calls) == 1
    assert read_live(index.parent / "no-index-here", read) is None


def test_read_live_gives_up_when_every_read_is_superseded(built: tuple[Path, Path]) -> None:
    _, index = built

    def read(version: Path) -> object:
        publish_copy(index)
        raise FileNotFoundError(version / "chunks.npy")

    with pytest.raises(IndexUnavailableError, match="replaced 3 times"):
        read_live(index, read, attempts=3)


def test_load_index_survives_a_build_switching_versions_mid_read(built: tuple[Path, Path],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, index = built
    first = current(index)
    real = ammtc_qa.backends.local.store.file_sha256
    switched: list[str] = []

    def sha256_then_switch(path: Path) -> str:
        if not switched and first in str(path):
            switched.append(publish_copy(index))  # the version being verified is replaced and deleted
        return real(path)

    monkeypatch.setattr(ammtc_qa.backends.local.store, "file_sha256", sha256_then_switch)
    data = load_index(index)
    assert switched and data is not None and data.version.name == switched[0]


# --------------------------------------------------------------------------- manifest names


ESCAPING_NAMES = ["../x", "../../etc/passwd", "/etc/passwd", "lexical/../../x", "a\x00b", "chunks.npy\x00.json",
                  "", "./chunks.npy", "lexical//x", "C:\\Windows\\win.ini", "lexical\\..\\..\\x", ".hidden",
                  "lexical/.hidden", MANIFEST, "a\nb"]


@pytest.mark.parametrize("name", ESCAPING_NAMES, ids=[repr(n) for n in ESCAPING_NAMES])
def test_manifest_naming_a_path_outside_its_version_is_refused_before_any_file_is_touched(
        built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    corpus, index = built
    version = index / current(index)
    manifest = read_manifest(version)
    manifest["files"][name] = "0" * 64  # after the genuine entries: a lazy check would open those first
    (version / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    manifest = read_manifest(version)

    touched: list[str] = []

    def refuse(real):  # noqa: ANN001, ANN202
        def wrapper(*args: object, **kwargs: object) -> object:
            touched.append(f"{real.__name__}{args[:1]}")
            raise AssertionError("verify touched the file system")
        return wrapper

    with monkeypatch.context() as m:
        for module, attr in [(os, "stat"), (os, "lstat"), (os, "open"), (builtins, "open")]:
            m.setattr(module, attr, refuse(getattr(module, attr)))
        with pytest.raises(IndexCorruptError) as info:
            verify(version, manifest)
    assert not touched, touched
    assert "not a plain relative path" in str(info.value) or "non-empty string" in str(info.value)
    with pytest.raises(IndexCorruptError, match="manifest.json"):
        load_index(index)
    with pytest.raises(IndexUnavailableError, match="manifest.json"):
        ammtc_qa.load(corpus, index, rebuild="never")


def test_manifest_entry_without_a_digest_is_refused(built: tuple[Path, Path]) -> None:
    _, index = built
    version = index / current(index)
    manifest = read_manifest(version)
    manifest["files"]["chunks.npy"] = {"sha256": "x"}
    (version / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="chunks.npy.*no sha256"):
        load_index(index)


def test_symlinked_index_file_is_refused_even_with_the_right_checksum(built: tuple[Path, Path],
                                                                      tmp_path: Path) -> None:
    """A file of a segment replaced by a link to an identical copy elsewhere: the checksum
    matches, but an index file must live in its folder."""
    _, index = built
    segment = live_segment(index)
    outside = tmp_path / "elsewhere.jsonl"
    shutil.copyfile(segment / "docs.jsonl", outside)
    (segment / "docs.jsonl").unlink()
    (segment / "docs.jsonl").symlink_to(outside)
    with pytest.raises(IndexCorruptError, match="docs.jsonl: is a symbolic link"):
        load_index(index)
    shutil.rmtree(segment / "bm25")  # a linked folder is refused the same way
    (segment / "bm25").symlink_to(tmp_path)
    (segment / "docs.jsonl").unlink()
    shutil.copyfile(outside, segment / "docs.jsonl")
    with pytest.raises(IndexCorruptError, match="bm25: is a symbolic link"):
        load_index(index)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_in_place_of_an_index_file_is_refused_without_blocking(built: tuple[Path, Path]) -> None:
    _, index = built
    segment = live_segment(index)
    (segment / "passages.npy").unlink()
    os.mkfifo(segment / "passages.npy")  # opening it for reading would wait for a writer forever
    with pytest.raises(IndexCorruptError, match="passages.npy: not a regular file"):
        load_index(index)


# --------------------------------------------------------------------------- the CLI repairs


@pytest.fixture
def _fast(monkeypatch: pytest.MonkeyPatch, embedder) -> Iterator[None]:  # noqa: ANN001
    monkeypatch.setattr(Embedder, "encode", fake_encode)
    yield


@pytest.mark.usefixtures("_fast")
@pytest.mark.parametrize("damage", ["flip-dense", "truncate-documents", "bad-manifest-name", "delete-lexical"])
def test_cli_index_rebuilds_a_corrupt_index(built: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
                                            damage: str) -> None:
    corpus, index = built
    before = current(index)
    version = index / before
    segment = live_segment(index)
    if damage == "flip-dense":
        data = bytearray((segment / "dense.faiss").read_bytes())
        data[len(data) // 2] ^= 0xFF
        (segment / "dense.faiss").write_bytes(bytes(data))
    elif damage == "truncate-documents":
        (segment / "docs.jsonl").write_bytes((segment / "docs.jsonl").read_bytes()[:50])
    elif damage == "bad-manifest-name":
        manifest = read_manifest(version)
        manifest["files"]["../../outside"] = "0" * 64
        (version / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    else:
        shutil.rmtree(segment / "bm25")
    with pytest.raises(IndexCorruptError):
        load_index(index)

    code = main(["index", "--corpus", str(corpus), "--index", str(index)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"index {index} (v-" in out and "2 articles" in out
    after = current(index)
    assert after != before and not (index / before).exists()
    data = load_index(index)
    assert data is not None and sorted(d.doc_id for d in data.documents()) == ["melaka", "pangolin"]
    code = main(["ask", PANGOLIN_Q, "--k", "1", "--corpus", str(corpus), "--index", str(index)])
    assert code == 0 and current(index) == after  # repaired for good: asking does not rebuild again


@pytest.mark.usefixtures("_fast")
def test_repairing_a_corrupt_index_does_not_reuse_its_damaged_vectors(built: tuple[Path, Path]) -> None:
    """A version is rebuilt because it is corrupt: none of its stored vectors may be carried into
    the new version (where the damaged vectors would get fresh, valid checksums)."""
    import numpy as np

    corpus, index = built
    before = load_index(index)
    assert before is not None
    ids = [p for m in before.doc_meta() for p in before.passage_ids(m.doc_id)]
    clean = [v.copy() for v in before.sentence_vectors(ids)]
    cached = live_segment(index) / "sentence_vectors.npy"
    damaged = np.load(cached)
    damaged[:] = 0.5  # every stored vector wrong (and the file's checksum no longer matches)
    np.save(cached, damaged)
    with pytest.raises(IndexCorruptError, match="sentence_vectors.npy"):
        load_index(index)
    repaired = ammtc_qa.load(corpus, index)
    assert repaired.version.name != before.version.name
    again = repaired.backend
    ids = [p for m in again.doc_meta() for p in again.passage_ids(m.doc_id)]
    assert all(np.array_equal(a, b) for a, b in zip(again.sentence_vectors(ids), clean, strict=True)), \
        "the repair kept the damaged vectors"
