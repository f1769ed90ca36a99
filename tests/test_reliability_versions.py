"""Versions under change and attack (issue 17 items 5-9): an ask sees one whole version while
another thread changes the index; crafted files whose checksums match are refused by shape;
``--force`` recomputes instead of trusting planted vectors; a failed refresh (another user's lock)
keeps serving the last good version, and reading needs no lock at all."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

import ammtc_qa
from ammtc_qa import IndexCorruptError, StaleIndexWarning
from ammtc_qa.backends.local import LocalBackend
from ammtc_qa.backends.local.store import MANIFEST, file_sha256, read_manifest
from ammtc_qa.indexing.embedding_cache import JOURNAL_DIR, text_keys
from conftest import ARTICLES, EXTRA_ARTICLE, build_tiny_index, live_segment, private_copy

QUESTION = "How many tonnes of pangolin scales did customs find?"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, embedder) -> tuple[Path, Path]:  # noqa: ANN001
    return build_tiny_index(tmp_path_factory.mktemp("versions"), ARTICLES, fake_vectors=True)


@pytest.fixture
def built(base: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    return private_copy(base, tmp_path)


def test_asks_see_one_whole_version_while_another_thread_updates(built: tuple[Path, Path],
                                                                 fast_encode: None) -> None:
    corpus, index = built
    qa = ammtc_qa.load(corpus, index)
    texts = {"A": ARTICLES["pangolin.txt"], "B": ARTICLES["pangolin.txt"].replace("2.5 tonnes", "9.5 tonnes")}
    versions = dict(texts)  # what the pangolin article says in each version
    stop = threading.Event()
    problems: list[str] = []
    answers = 0

    def ask() -> None:
        nonlocal answers
        while not stop.is_set():
            answer = qa.ask(QUESTION, k=3)
            docs = {p.doc_id: p.text for p in answer.passages}
            if "pangolin" not in docs:
                problems.append(f"no pangolin passage: {list(docs)}")
            whole = [name for name, text in versions.items()
                     if all(p.text in (text if p.doc_id == "pangolin" else ARTICLES["melaka.txt"])
                            or p.doc_id not in {"pangolin", "melaka"} for p in answer.passages)]
            if not whole:
                problems.append(f"an answer mixes versions: {[p.text[:40] for p in answer.passages]}")
            answers += 1

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for i in range(6):
            (corpus / "pangolin.txt").write_text(texts["AB"[i % 2]], encoding="utf-8")
            qa.refresh()
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert answers > 0 and not problems, problems[:3]


def _rewrite(index: Path, rel: str, array: np.ndarray) -> None:
    """Replace a segment file and update both checksums, as a careful attacker would."""
    segment = live_segment(index)
    np.save(segment / rel, array, allow_pickle=False)
    manifest = read_manifest(segment)
    manifest["files"][rel] = file_sha256(segment / rel)
    (segment / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    version = index / (index / "CURRENT").read_text(encoding="utf-8").strip()
    top = read_manifest(version)
    for entry in top["segments"]:
        if entry["name"] == segment.name:
            entry["manifest_sha256"] = file_sha256(segment / MANIFEST)
    (version / MANIFEST).write_text(json.dumps(top), encoding="utf-8")


@pytest.mark.parametrize("damage", ["rows-past-documents", "spans-inverted", "fewer-sentence-vectors",
                                    "wrong-width-vectors", "postings-out-of-range", "sentences-past-passages"])
def test_crafted_files_with_matching_checksums_are_refused_by_shape(built: tuple[Path, Path], damage: str) -> None:
    corpus, index = built
    segment = live_segment(index)
    passages = np.load(segment / "passages.npy")
    if damage == "rows-past-documents":
        passages[-1, 1] = 99
        rel, array = "passages.npy", passages
    elif damage == "spans-inverted":
        passages[0, 3] = passages[0, 2] - 1
        rel, array = "passages.npy", passages
    elif damage == "fewer-sentence-vectors":
        rel, array = "sentence_vectors.npy", np.load(segment / "sentence_vectors.npy")[:-1]
    elif damage == "wrong-width-vectors":
        rel, array = "vectors.npy", np.zeros((len(passages), 17), dtype=np.float16)
    elif damage == "postings-out-of-range":
        rows = np.load(segment / "bm25" / "rows.npy")
        rows[0] = 10_000
        rel, array = "bm25/rows.npy", rows
    else:
        sentences = np.load(segment / "sentences.npy")
        sentences[-1, 0] = len(passages) + 5
        rel, array = "sentences.npy", sentences
    before = (index / "CURRENT").read_text(encoding="utf-8").strip()
    _rewrite(index, rel, array)
    with pytest.raises(IndexCorruptError, match=rel.split("/")[0]):
        LocalBackend.open(index)  # checksums all match: the shapes do not
    qa = ammtc_qa.load(corpus, index)  # refused, so rebuilt from the corpus
    assert qa.version.name != before and qa.ask(QUESTION, k=1).passages[0].doc_id == "pangolin"


def test_force_recomputes_instead_of_trusting_planted_vectors(built: tuple[Path, Path], embedder,  # noqa: ANN001
                                                              fake_encoder, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, index = built
    monkeypatch.setattr(type(embedder), "encode", fake_encoder)
    qa = ammtc_qa.load(corpus, index)
    backend = qa.backend
    ids = [p for m in backend.doc_meta() for p in backend.passage_ids(m.doc_id)]
    clean = backend.vectors(ids)
    # plant a journal whose keys are those of every stored text, with wrong (unit) vectors
    seg = live_segment(index)
    keys = np.concatenate([np.load(seg / "keys.npy"), np.load(seg / "sentence_keys.npy")])
    poison = np.zeros((len(keys), embedder.dim), dtype=np.float16)
    poison[:, 0] = 1.0
    journal = index / JOURNAL_DIR
    journal.mkdir(exist_ok=True)
    (journal / f"{'0' * 32}-d{embedder.dim}.keys").write_bytes(keys.tobytes())
    (journal / f"{'0' * 32}-d{embedder.dim}.f16").write_bytes(poison.tobytes())
    assert text_keys(embedder.name, ["x"]).shape == (1, 32)
    forced = ammtc_qa.load(corpus, index, rebuild="always")
    again = forced.backend
    ids = [p for m in again.doc_meta() for p in again.passage_ids(m.doc_id)]
    np.testing.assert_array_equal(again.vectors(ids), clean)  # recomputed, not taken from the journal
    assert again.state["embedding"]["resumed"] == 0


def test_reading_needs_no_lock_and_a_failed_refresh_serves_the_last_good_version(
        built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, fast_encode: None) -> None:
    """Another user's lock file: ``ask`` on a current index takes no lock; a stale index whose
    refresh cannot take the lock is served as it is, saying why."""
    import filelock

    corpus, index = built

    def refused(self, *args: object, **kwargs: object) -> None:  # noqa: ANN001
        raise PermissionError(13, "Permission denied", str(self.lock_file))

    monkeypatch.setattr(filelock.FileLock, "acquire", refused)
    qa = ammtc_qa.load(corpus, index)  # current: no lock taken
    before = qa.version.name
    assert qa.ask(QUESTION, k=1).passages[0].doc_id == "pangolin"
    (corpus / "scam.txt").write_text(EXTRA_ARTICLE, encoding="utf-8")
    with pytest.warns(StaleIndexWarning, match="writer lock.*another user"):
        stale = ammtc_qa.load(corpus, index)
    assert stale.version.name == before and "scam.txt" in stale.stale
    assert stale.ask(QUESTION, k=1).passages[0].doc_id == "pangolin"
    monkeypatch.undo()
    fresh = ammtc_qa.load(corpus, index)  # the lock is free again: refreshed
    assert fresh.version.name != before and fresh.stale is None and "scam" in {d.doc_id for d in fresh.documents()}


FORCED_BUILD = r"""
import sys
sys.path.insert(0, {tests!r})
from pathlib import Path
import ammtc_qa
from ammtc_qa.indexing.embedding import Embedder, load_embedder
from ammtc_qa.indexing.build import refresh
from ammtc_qa.settings import IndexSettings
from conftest import fake_encode
Embedder.encode = fake_encode
embedder = load_embedder()
print("ready", flush=True)
sys.stdin.readline()
for _ in range({n}):
    refresh(Path({corpus!r}), Path({index!r}), embedder, IndexSettings(), force=True)  # `ammtc-qa index --force`
print("done", flush=True)
"""


def test_a_forced_rebuild_racing_adds_never_drops_an_added_article(built: tuple[Path, Path], tmp_path: Path,
                                                                   fast_encode: None) -> None:
    """``index --force`` in another process while this one adds articles: writers wait for each
    other, so every added article is in the final index and the index is current."""
    import subprocess
    import sys

    corpus, index = built
    script = FORCED_BUILD.format(tests=str(Path(__file__).parent), corpus=str(corpus), index=str(index), n=3)
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdin is not None
    assert proc.stdout.readline().strip() == "ready"
    qa = ammtc_qa.load(corpus, index)
    proc.stdin.write("go\n")
    proc.stdin.flush()
    added = []
    for i in range(4):
        doc_id = f"raid-{i}"
        qa.add({"id": doc_id, "text": f"Police raid {i}\n\nOfficers raided warehouse {i} and seized {i + 3} kg of "
                                      "heroin, officials said.\n"})
        added.append(doc_id)
    assert proc.stdout.readline().strip() == "done"
    proc.wait(timeout=120)
    final = ammtc_qa.load(corpus, index, rebuild="never")  # current: nothing left stale
    assert set(added) <= {d.doc_id for d in final.documents()}
