"""Index lifecycle on tiny corpora: reading a folder, staleness, atomic versions, corruption.

One index of the two default articles is built per module (``base``) and copied for each
test that only needs to look at, damage or re-check it (``built``); tests that must rebuild
do so on those copies. Everything lives under pytest's tmp_path.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import stat
from pathlib import Path

import numpy as np
import pytest

import ammtc_qa
import ammtc_qa.backends.local.bm25
import ammtc_qa.backends.local.store
import ammtc_qa.qa
from ammtc_qa import (
    CorpusError,
    CorpusWarning,
    IndexCorruptError,
    IndexSettings,
    IndexUnavailableError,
    StaleIndexWarning,
)
from ammtc_qa.backends.local import LocalBackend
from ammtc_qa.indexing.embedding import Embedder
from ammtc_qa.input.corpus import read_corpus
from conftest import build_tiny_index, live_segment, private_copy

PANGOLIN_Q = "How many tonnes of pangolin scales did customs find?"


def current(index: Path) -> str:
    return (index / "CURRENT").read_text(encoding="utf-8").strip()


def versions(index: Path) -> list[str]:
    return sorted(p.name for p in index.iterdir() if p.name.startswith("v-"))


def leftovers(index: Path) -> list[str]:
    found = [p.name for p in index.iterdir() if p.name.startswith((".tmp-", ".CURRENT."))]
    if (index / "segments").is_dir():
        found += [f"segments/{p.name}" for p in (index / "segments").iterdir() if p.name.startswith(".tmp-")]
    return sorted(found)


def listing(index: Path) -> list[str]:
    """The index folder's entries and its segments (not the embedding journal a failed build keeps
    on purpose, so that the next build resumes: see ``embedding_cache``)."""
    segments = [f"segments/{p.name}" for p in (index / "segments").iterdir()] if (index / "segments").is_dir() else []
    return sorted([p.name for p in index.iterdir() if p.name != ".embedding-journal"] + segments)


def load_index(index: Path, verify_files: bool | str = True) -> LocalBackend | None:
    return LocalBackend.open(index, verify_files=verify_files)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, articles: dict[str, str], embedder) -> tuple[Path, Path]:  # noqa: ANN001
    return build_tiny_index(tmp_path_factory.mktemp("base"), articles)


@pytest.fixture
def built(base: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of the base corpus and its current index (mtimes preserved)."""
    return private_copy(base, tmp_path)


# --------------------------------------------------------------------------- reading a corpus


def test_corpus_without_metadata_works(built: tuple[Path, Path]) -> None:
    corpus, index = built
    assert not (corpus / "metadata.json").exists()
    qa = ammtc_qa.load(corpus, index, rebuild="never")
    assert sorted(d.doc_id for d in qa.documents()) == ["melaka", "pangolin"]
    doc = qa.document("pangolin")
    assert doc.title == "Customs officers stop pangolin scale shipment"  # first paragraph
    assert doc.publisher is None and doc.citation.startswith('Unknown publisher, "Customs officers')
    top = qa.ask(PANGOLIN_Q, k=2).passages[0]
    assert top.doc_id == "pangolin" and "2.5 tonnes" in top.text


def test_metadata_overrides_extracted_fields(make_corpus) -> None:  # noqa: ANN001
    corpus = make_corpus(metadata={
        "pangolin.txt": {"title": "Pangolin scales seized in Hai Phong", "publisher": "Test Wire",
                         "date": "2024-03-03", "url": "https://example.org/pangolin"},
        "melaka": {"publisher": "Keyed By Doc Id"},  # a doc id works as the key too
    })
    docs = {d.doc_id: d for d in read_corpus(corpus).documents}
    doc = docs["pangolin"]
    assert (doc.title, doc.publisher, doc.url) == ("Pangolin scales seized in Hai Phong", "Test Wire",
                                                   "https://example.org/pangolin")
    assert doc.citation == 'Test Wire, "Pangolin scales seized in Hai Phong", 2024-03-03'
    assert docs["melaka"].publisher == "Keyed By Doc Id"
    assert docs["melaka"].title == "Police in Melaka seize record methamphetamine haul"  # not overridden


def test_bad_date_in_metadata_skips_that_article(make_corpus) -> None:  # noqa: ANN001
    corpus = make_corpus(metadata={"pangolin.txt": {"date": "sometime soon"}})
    with pytest.warns(CorpusWarning, match="pangolin.txt.*sometime soon"):
        corpus_read = read_corpus(corpus)
    assert [d.doc_id for d in corpus_read.documents] == ["melaka"]
    with pytest.raises(CorpusError, match="pangolin.txt"):
        read_corpus(corpus, strict=True)


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        pytest.param('{"pangolin.txt": {"author": "X"}}', ["pangolin.txt", "author"], id="unknown-field"),
        pytest.param('{"pangolin.txt": {"title": 5}}', ["pangolin.txt", "title", "string"], id="not-a-string"),
        pytest.param('{"pangolin.txt": "Test Wire"}', ["pangolin.txt", "object"], id="entry-not-object"),
        pytest.param("[1, 2]", ["JSON object"], id="not-an-object"),
        pytest.param('{"pangolin.txt": {', ["not valid UTF-8 JSON"], id="invalid-json"),
    ],
)
def test_bad_metadata_is_a_corpus_error_naming_file_and_field(make_corpus, tmp_path: Path, metadata: str,  # noqa: ANN001
                                                              expected: list[str]) -> None:
    corpus = make_corpus()
    (corpus / "metadata.json").write_text(metadata, encoding="utf-8")
    with pytest.raises(CorpusError) as info:
        ammtc_qa.load(corpus, tmp_path / "index")
    message = str(info.value)
    assert str(corpus / "metadata.json") in message
    for part in expected:
        assert part in message
    assert not (tmp_path / "index" / "CURRENT").exists()


BAD_FILES: dict[str, bytes] = {
    "empty.txt": b"",
    "blank.md": b"  \n\n\t\n",
    "binary.txt": b"PK\x03\x04\x14\x00\x00\x00\x08\x00 some zipped bytes",
    "sjis.txt": "東京で会議が開かれた。大臣が出席した。".encode("shift_jis"),  # CP932 or CP949: not guessed
}
BAD_REASONS = {"empty.txt": "empty file", "blank.md": "empty file", "binary.txt": "NUL bytes",
               "sjis.txt": "not UTF-8"}


def test_bad_files_are_skipped_with_a_warning_and_the_rest_indexed(make_corpus, tmp_path: Path) -> None:  # noqa: ANN001
    corpus = make_corpus({**BAD_FILES})
    make_corpus()  # the two good articles, same folder
    with pytest.warns(CorpusWarning) as record:
        qa = ammtc_qa.load(corpus, tmp_path / "index")
    messages = [str(w.message) for w in record if issubclass(w.category, CorpusWarning)]
    for name, reason in BAD_REASONS.items():
        assert any(name in m and reason in m for m in messages), (name, messages)
    assert sorted(d.doc_id for d in qa.documents()) == ["melaka", "pangolin"]
    assert sorted(name for name, _ in qa.info()["skipped"]) == sorted(BAD_FILES)
    assert qa.ask(PANGOLIN_Q, k=1).passages[0].doc_id == "pangolin"


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_strict_makes_a_bad_file_a_corpus_error(make_corpus, tmp_path: Path, name: str) -> None:  # noqa: ANN001
    corpus = make_corpus({name: BAD_FILES[name]})
    make_corpus()
    with pytest.raises(CorpusError, match=name) as info:
        ammtc_qa.load(corpus, tmp_path / "index", strict=True)
    assert BAD_REASONS[name] in str(info.value)
    assert not (tmp_path / "index" / "CURRENT").exists()


def test_corpus_with_nothing_usable_is_refused(make_corpus, tmp_path: Path) -> None:  # noqa: ANN001
    corpus = make_corpus({"empty.txt": b""})
    with pytest.warns(CorpusWarning, match="empty.txt"), pytest.raises(IndexUnavailableError, match="no usable"):
        ammtc_qa.load(corpus, tmp_path / "index")


# --------------------------------------------------------------------------- staleness


def test_untouched_corpus_does_not_rebuild(built: tuple[Path, Path]) -> None:
    corpus, index = built
    before = current(index)
    assert ammtc_qa.load(corpus, index).version.name == before
    os.utime(corpus / "melaka.txt")  # a new mtime, same bytes: re-hashed, still current
    assert ammtc_qa.load(corpus, index).version.name == before
    assert ammtc_qa.load(corpus, index, rebuild="never").version.name == before
    assert current(index) == before and versions(index) == [before]


def test_changed_added_and_removed_files_rebuild(built: tuple[Path, Path]) -> None:
    corpus, index = built
    seen = [current(index)]

    def reload() -> ammtc_qa.QA:
        qa = ammtc_qa.load(corpus, index)
        assert qa.version.name not in seen, "expected a rebuild"
        seen.append(qa.version.name)
        assert versions(index) == [qa.version.name]  # superseded versions are removed
        return qa

    melaka = corpus / "melaka.txt"
    melaka.write_text(melaka.read_text(encoding="utf-8")
                      + "\nThe boat also carried a dismantled ornithopter used as a decoy.\n", encoding="utf-8")
    qa = reload()
    assert "ornithopter" in qa.ask("Which decoy was found on the boat? ornithopter", k=1).passages[0].text

    (corpus / "scam.txt").write_text(
        "Scam centre workers rescued near the border\n\nRescuers freed 85 workers held in an online scam "
        "compound, where they had been forced to run fraudulent cryptocurrency schemes.\n", encoding="utf-8")
    qa = reload()
    assert len(qa.documents()) == 3
    assert qa.ask("How many scam compound workers were freed?", k=1).passages[0].doc_id == "scam"

    (corpus / "pangolin.txt").unlink()
    qa = reload()
    assert sorted(d.doc_id for d in qa.documents()) == ["melaka", "scam"]
    with pytest.raises(KeyError):
        qa.document("pangolin")
    assert all(p.doc_id != "pangolin" for p in qa.ask(PANGOLIN_Q, k=5))

    (corpus / "metadata.json").write_text(json.dumps({"scam.txt": {"publisher": "Border Post"}}), encoding="utf-8")
    with pytest.raises(IndexUnavailableError, match="corpus files added: metadata.json"):
        ammtc_qa.load(corpus, index, rebuild="never")


def _modify(corpus: Path) -> None:
    (corpus / "melaka.txt").write_text("Changed\n\nThe article was edited.\n", encoding="utf-8")


def _add(corpus: Path) -> None:
    (corpus / "new.txt").write_text("New\n\nA new article.\n", encoding="utf-8")


def _remove(corpus: Path) -> None:
    (corpus / "pangolin.txt").unlink()


@pytest.mark.parametrize(("change", "reason"), [(_modify, "corpus files changed: melaka.txt"),
                                                (_add, "corpus files added: new.txt"),
                                                (_remove, "corpus files removed: pangolin.txt")])
def test_never_on_a_stale_index_raises_with_the_reason(built: tuple[Path, Path], change, reason: str) -> None:  # noqa: ANN001
    corpus, index = built
    before = current(index)
    change(corpus)
    with pytest.raises(IndexUnavailableError, match=reason):
        ammtc_qa.load(corpus, index, rebuild="never")
    assert current(index) == before and versions(index) == [before]


def test_changed_settings_or_model_make_the_index_stale(built: tuple[Path, Path]) -> None:
    corpus, index = built
    with pytest.raises(IndexUnavailableError, match="index settings changed"):
        ammtc_qa.load(corpus, index, rebuild="never", settings=IndexSettings(chunk_max_tokens=150))
    with pytest.raises(IndexUnavailableError, match="model"):
        ammtc_qa.load(corpus, index, rebuild="never", model="/some/other/model")


@pytest.mark.parametrize("old", [2, 3])
def test_an_index_of_a_previous_store_format_is_refused_clearly_and_rebuilt_without_embedding(
        built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, old: int) -> None:
    """Format 2 kept per-article tables in each version; format 3 keeps them in the segments;
    format 4 reads article metadata on demand and keeps the ranker's summaries per segment. An
    old index is named as such by rebuild="never", and rebuilt by "auto" from the corpus with the
    old index's vectors (keyed by model and text): nothing is embedded again."""
    corpus, index = built
    before = ammtc_qa.load(corpus, index, rebuild="never")
    answer = before.ask("How many workers were rescued from the scam compound?")
    manifest_path = index / current(index) / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["format"] = old
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexUnavailableError, match=f"index format {old} is not 4"):
        ammtc_qa.load(corpus, index, rebuild="never")

    def no_model(self: Embedder, texts: list[str], **kw: object) -> np.ndarray:
        raise AssertionError(f"embedded {len(texts)} texts again")

    monkeypatch.setattr(Embedder, "encode", no_model)
    qa = ammtc_qa.load(corpus, index)
    assert qa.info()["embedding"]["embedded"] == 0 and qa.info()["embedding"]["cached"] > 0
    monkeypatch.undo()  # the question is encoded
    again = qa.ask("How many workers were rescued from the scam compound?")
    assert [(p.doc_id, p.start) for p in again.passages] == [(p.doc_id, p.start) for p in answer.passages]
    assert json.loads((index / current(index) / "manifest.json").read_text(encoding="utf-8"))["format"] == 4


def test_missing_index_with_never_is_unavailable(make_corpus, tmp_path: Path) -> None:  # noqa: ANN001
    with pytest.raises(IndexUnavailableError, match="no index in"):
        ammtc_qa.load(make_corpus(), tmp_path / "nothing-here", rebuild="never")


# --------------------------------------------------------------------------- atomic versions


def _raise(*args: object, **kwargs: object) -> None:
    raise RuntimeError("simulated crash in the middle of a build")


_real_fsync = ammtc_qa.backends.local.store._fsync


def _raise_on_pointer(path: Path) -> None:
    """Crash while the new CURRENT is being written: after the version folder was renamed into place."""
    if Path(path).name.startswith(".CURRENT."):
        _raise()
    _real_fsync(path)


def _failed_build(corpus: Path, index: Path, monkeypatch: pytest.MonkeyPatch, fake_encoder, owner: object,  # noqa: ANN001
                  name: str, replacement: object) -> None:
    with monkeypatch.context() as m:
        m.setattr(Embedder, "encode", fake_encoder)  # the model's output does not matter here
        m.setattr(owner, name, replacement)
        with pytest.raises(RuntimeError, match="simulated crash"):
            ammtc_qa.load(corpus, index, rebuild="always")


@pytest.mark.parametrize("target", [
    pytest.param((ammtc_qa.backends.local.bm25.Forward, "postings", _raise), id="writing-a-segment"),
    pytest.param((ammtc_qa.backends.local.store, "_fsync", _raise), id="syncing-files"),
])
def test_failed_build_keeps_the_previous_version(built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
                                                 target: tuple[object, str, object], fake_encoder) -> None:  # noqa: ANN001
    corpus, index = built
    before, entries = current(index), listing(index)
    _failed_build(corpus, index, monkeypatch, fake_encoder, *target)
    assert current(index) == before
    assert leftovers(index) == [], "an aborted build left temporary files behind"
    assert listing(index) == entries
    qa = ammtc_qa.load(corpus, index, rebuild="never")
    assert qa.version.name == before
    assert qa.ask(PANGOLIN_Q, k=1).passages[0].doc_id == "pangolin"


def test_crash_while_switching_current_keeps_the_previous_version(built: tuple[Path, Path],
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  fake_encoder) -> None:  # noqa: ANN001
    corpus, index = built
    before = current(index)
    _failed_build(corpus, index, monkeypatch, fake_encoder, ammtc_qa.backends.local.store, "_fsync", _raise_on_pointer)
    assert current(index) == before
    qa = ammtc_qa.load(corpus, index, rebuild="never")
    assert qa.version.name == before
    assert qa.ask(PANGOLIN_Q, k=1).passages[0].doc_id == "pangolin"


def test_crash_while_switching_current_leaves_nothing_behind(built: tuple[Path, Path],
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             fake_encoder) -> None:  # noqa: ANN001
    corpus, index = built
    before, entries = current(index), listing(index)
    _failed_build(corpus, index, monkeypatch, fake_encoder, ammtc_qa.backends.local.store, "_fsync", _raise_on_pointer)
    assert listing(index) == entries, "leftovers after an aborted build"
    assert versions(index) == [before]


def test_leftovers_of_a_killed_build_do_not_count_as_an_index(built: tuple[Path, Path]) -> None:
    corpus, index = built
    before = current(index)
    killed = index / ".tmp-0123456789abcdef"
    (killed / "lexical").mkdir(parents=True)
    (killed / "chunks.npy").write_bytes(b"half written")
    (index / "segments" / ".tmp-0123456789abcdef" / "bm25").mkdir(parents=True)  # a segment being written
    qa = ammtc_qa.load(corpus, index, rebuild="never")
    assert qa.version.name == before


# --------------------------------------------------------------------------- corruption


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_flipped_byte_in_any_data_file_is_detected_and_named(base: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, pristine = base
    version = pristine / current(pristine)
    segment = live_segment(pristine)
    files = []
    for folder in (version, segment):
        names = sorted(json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["files"])
        on_disk = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
        assert on_disk == sorted([*names, "manifest.json"])  # every data file is checksummed
        files += [(folder.relative_to(pristine) / n).as_posix() for n in names]
    assert {"docs.jsonl", "passages.npy", "sentences.npy", "sentence_vectors.npy", "dense.faiss", "tombstones.npy",
            "state.json"} <= {f.rsplit("/", 1)[-1] for f in files}
    assert any("/bm25/" in f for f in files)
    for i, rel in enumerate(files):
        index = tmp_path / f"index-{i}"
        shutil.copytree(pristine, index)
        _flip_byte(index / rel)
        with pytest.raises(IndexCorruptError, match="checksum mismatch") as direct:
            load_index(index)
        assert rel in str(direct.value)
        with pytest.raises(IndexUnavailableError) as info:
            ammtc_qa.load(corpus, index, rebuild="never")
        assert rel in str(info.value) and "corrupt" in str(info.value)
        # the manifest of a segment is itself checksummed by the version that lists it
    index = tmp_path / "index-segment-manifest"
    shutil.copytree(pristine, index)
    manifest = live_segment(index) / "manifest.json"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('"passages"', '"passages" '), encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="manifest.json: checksum mismatch"):
        load_index(index)


def test_never_on_a_corrupt_index_raises_index_corrupt_error(built: tuple[Path, Path]) -> None:
    corpus, index = built
    _flip_byte(live_segment(index) / "dense.faiss")
    with pytest.raises(IndexUnavailableError) as info:
        ammtc_qa.load(corpus, index, rebuild="never")
    assert isinstance(info.value, IndexCorruptError), type(info.value).__name__


def test_auto_load_rebuilds_a_corrupt_index_and_clears_leftovers(built: tuple[Path, Path]) -> None:
    corpus, index = built
    before = current(index)
    killed = index / ".tmp-0123456789abcdef"  # what a build killed mid-way leaves behind
    (killed / "lexical").mkdir(parents=True)
    (killed / "chunks.npy").write_bytes(b"half written")
    _flip_byte(live_segment(index) / "dense.faiss")
    qa = ammtc_qa.load(corpus, index)
    assert qa.version.name != before and versions(index) == [qa.version.name]
    assert not killed.exists() and leftovers(index) == []
    assert qa.ask(PANGOLIN_Q, k=1).passages[0].doc_id == "pangolin"


@pytest.mark.parametrize("damage", ["truncate", "extra-file", "no-manifest", "bad-current", "missing-version"])
def test_other_damage_is_refused(built: tuple[Path, Path], damage: str) -> None:
    corpus, index = built
    version = index / current(index)
    segment = live_segment(index)
    if damage == "truncate":
        path = segment / "dense.faiss"
        path.write_bytes(path.read_bytes()[:100])
        expected = "dense.faiss"
    elif damage == "extra-file":
        (segment / "bm25" / "planted.npy").write_bytes(b"x")
        expected = "planted.npy"
    elif damage == "no-manifest":
        (version / "manifest.json").unlink()
        expected = "manifest.json: missing"
    elif damage == "bad-current":
        (index / "CURRENT").write_text("../../etc\n", encoding="utf-8")
        expected = "does not name a version folder"
    else:
        shutil.rmtree(version)
        expected = "missing"
    with pytest.raises(IndexCorruptError, match=expected):
        load_index(index)
    with pytest.raises(IndexUnavailableError, match=expected):
        ammtc_qa.load(corpus, index, rebuild="never")


class _Payload:
    """Unpickling this creates ``marker``: proof that the pickle was executed."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return open, (self.marker, "w")


def _pickle_bytes(marker: Path) -> bytes:
    return pickle.dumps(_Payload(marker))


def _object_npy_bytes(marker: Path, tmp: Path) -> bytes:
    path = tmp / "planted-object.npy"
    array = np.empty(1, dtype=object)
    array[0] = _Payload(marker)
    np.save(path, array, allow_pickle=True)  # a genuine .npy header followed by a pickle
    return path.read_bytes()


REFUSED = "pickle|Python objects"
"""numpy's refusals: allow_pickle=False, or (for an object array) mmap_mode that cannot map objects."""


@pytest.mark.parametrize("kind", ["raw-pickle", "object-npy"])
def test_planted_pickle_is_refused_never_executed(built: tuple[Path, Path], tmp_path: Path, kind: str) -> None:
    corpus, index = built
    canary = tmp_path / "canary"
    pickle.loads(_pickle_bytes(canary)).close()  # the payload does work when unpickled...
    assert canary.exists()
    marker = tmp_path / "EXECUTED"
    payload = _pickle_bytes(marker) if kind == "raw-pickle" else _object_npy_bytes(marker, tmp_path)
    (live_segment(index) / "passages.npy").write_bytes(payload)

    with pytest.raises(IndexCorruptError, match="passages.npy"):
        load_index(index)
    with pytest.raises(IndexCorruptError, match=f"passages.npy.*({REFUSED})"):  # checksums off: numpy refuses
        load_index(index, verify_files=False)
    with pytest.raises(IndexUnavailableError, match="passages.npy"):
        ammtc_qa.load(corpus, index, rebuild="never")
    with pytest.raises(IndexCorruptError, match=REFUSED):
        ammtc_qa.load(corpus, index, rebuild="never", verify=False)
    assert not marker.exists(), "the planted pickle was executed"


# --------------------------------------------------------------------------- read-only folders


def test_read_only_stale_index_is_unavailable(built: tuple[Path, Path]) -> None:
    corpus, index = built
    _add(corpus)
    mode = index.stat().st_mode
    index.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        if os.access(index, os.W_OK):
            pytest.skip("chmod does not make a folder read-only for this user (root?)")
        with pytest.warns(StaleIndexWarning, match="not writable") as info:
            qa = ammtc_qa.load(corpus, index)  # the last good version answers, and says it is stale
        assert "corpus files added: new.txt" in str(info[0].message) and qa.stale
        assert qa.ask(PANGOLIN_Q, k=1).passages
    finally:
        index.chmod(mode)


def test_read_only_stale_index_is_unavailable_simulated(built: tuple[Path, Path],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The same check where chmod cannot bite (root): the library asks ``qa._writable``."""
    corpus, index = built
    _add(corpus)
    before = current(index)
    monkeypatch.setattr(ammtc_qa.qa, "_writable", lambda folder: False)
    with pytest.warns(StaleIndexWarning, match="not writable") as info:
        stale = ammtc_qa.load(corpus, index)
    message = str(info[0].message)
    assert str(index) in message and "corpus files added: new.txt" in message and "index_dir=" in message
    assert stale.version.name == before and stale.stale and stale.info()["stale"] == stale.stale
    assert current(index) == before and leftovers(index) == []
    with pytest.raises(IndexUnavailableError, match="not usable"):  # never serves a stale index
        ammtc_qa.load(corpus, index, rebuild="never")
    # a read-only index that is current still loads
    monkeypatch.undo()
    (corpus / "new.txt").unlink()
    monkeypatch.setattr(ammtc_qa.qa, "_writable", lambda folder: False)
    assert ammtc_qa.load(corpus, index).version.name == before


@pytest.mark.usefixtures("fast_encode")
def test_stale_read_only_shipped_index_falls_back_to_the_user_cache(built: tuple[Path, Path],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """``load()`` without folders: a stale shipped index in a read-only install is rebuilt into the
    user cache (XDG_CACHE_HOME, a tmp folder in these tests), leaving the shipped one alone."""
    corpus, index = built
    _add(corpus)
    before = current(index)
    monkeypatch.setattr(ammtc_qa.qa, "shipped_paths", lambda: (corpus, index))
    monkeypatch.setattr(ammtc_qa.qa, "_writable", lambda folder: Path(folder) != index)
    qa = ammtc_qa.load()
    cache = ammtc_qa.qa.cache_dir(corpus)
    assert qa.index_dir == cache and qa.version.parent == cache
    assert Path(os.environ["XDG_CACHE_HOME"]) in cache.parents
    assert "new" in {d.doc_id for d in qa.documents()}
    assert current(index) == before
    assert ammtc_qa.load().version == qa.version  # the cached build is reused, not rebuilt
