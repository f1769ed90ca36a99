"""The embedding cache: rebuilds embed only new texts; interrupted builds resume; one progress bar.

Encode calls are counted by wrapping ``Embedder.encode`` (around the deterministic
``fake_encode`` of conftest, so builds are fast and vectors depend only on the text).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import ammtc_qa
from ammtc_qa import IndexSettings
from ammtc_qa.chunking import chunk_document
from ammtc_qa.embedding import Embedder
from ammtc_qa.embedding_cache import JOURNAL_DIR, text_keys
from ammtc_qa.index import embed_texts
from conftest import ARTICLES, EXTRA_ARTICLE, fake_encode

SETTINGS = IndexSettings()


class Counter:
    """Patches ``Embedder.encode``: counts texts and batches; can fail after ``fail_after`` batches."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail_after: int | None = None,
                 error: type[BaseException] = KeyboardInterrupt) -> None:
        self.texts: list[str] = []
        self.batches = 0
        self.fail_after = fail_after
        self.error = error
        counter = self

        def encode(self: Embedder, texts: list[str], **kwargs: object) -> np.ndarray:
            if counter.fail_after is not None and counter.batches >= counter.fail_after:
                raise counter.error("interrupted")
            counter.batches += 1
            counter.texts.extend(texts)
            return fake_encode(self, texts)

        monkeypatch.setattr(Embedder, "encode", encode)

    def reset(self) -> None:
        self.texts.clear()
        self.batches = 0


def article_texts(qa: ammtc_qa.QA, doc_id: str, embedder: Embedder) -> set[str]:
    doc = qa.document(doc_id)
    chunks = chunk_document(doc.doc_id, doc.text, embedder.count_tokens, max_tokens=SETTINGS.chunk_max_tokens,
                            min_tokens=SETTINGS.chunk_min_tokens)
    sentences = {doc.text[s:e] for c in chunks for s, e in c.sentences}
    return set(embed_texts(doc, chunks, embedder, SETTINGS)) | sentences


def many_articles(n: int) -> dict[str, str]:
    topics = ["methamphetamine", "pangolin scales", "scam compounds", "ivory", "cyber fraud", "human trafficking"]
    out = {}
    for i in range(n):
        t = topics[i % len(topics)]
        out[f"a{i:02d}.txt"] = (
            f"Report {i} on {t} seizures\n\n"
            f"Officers in province {i} seized a shipment of {t} on day {i}, officials said. "
            f"The operation number {i} involved {i + 3} agencies.\n\n"
            f"Investigators in case {i} arrested {i % 7 + 1} suspects linked to {t} networks.\n")
    return out


def test_adding_one_article_embeds_only_that_article(make_corpus, tmp_path: Path, embedder,  # noqa: ANN001
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    counter = Counter(monkeypatch)
    corpus = make_corpus(many_articles(12))
    qa = ammtc_qa.load(corpus, tmp_path / "index")
    assert counter.texts and qa.data.manifest["embedding"]["embedded"] == len(counter.texts)
    counter.reset()
    new = tmp_path / "scam.txt"
    new.write_text(EXTRA_ARTICLE, encoding="utf-8")
    report = qa.add(new)
    assert report.added == ["scam"]
    expected = article_texts(qa, "scam", embedder)
    assert set(counter.texts) == expected and len(counter.texts) == len(expected)
    manifest = qa.data.manifest["embedding"]
    assert manifest["embedded"] == len(expected) and manifest["cached"] == manifest["unique"] - len(expected)

    counter.reset()
    ammtc_qa.load(corpus, tmp_path / "index", rebuild="always")
    assert counter.texts == []  # a forced rebuild of an unchanged corpus embeds nothing


def test_cache_lives_in_the_version_as_plain_arrays(make_corpus, tmp_path: Path, fast_encode: None) -> None:  # noqa: ANN001
    qa = ammtc_qa.load(make_corpus(), tmp_path / "index")
    version = qa.data.version
    files = json.loads((version / "manifest.json").read_text())["files"]
    assert {"cache/keys.npy", "cache/vectors.npy"} <= set(files)  # checksummed like the rest
    keys = np.load(version / "cache/keys.npy", allow_pickle=False)
    vecs = np.load(version / "cache/vectors.npy", allow_pickle=False)
    assert keys.dtype == np.uint8 and keys.shape[1] == 32 and vecs.dtype == np.float16
    assert len(keys) == len(vecs) == len(np.unique(keys, axis=0))
    counts = qa.info()
    assert len(keys) <= counts["chunks"] + counts["sentences"]
    # the key is sha256(model name + NUL + text)
    doc = qa.document("pangolin")
    sentence = doc.text[int(qa.data.sentences[-1, 1]):int(qa.data.sentences[-1, 2])]
    assert any((keys == text_keys(qa.data.manifest["model"]["name"], [sentence])[0]).all(axis=1))


def test_removed_texts_leave_the_cache(make_corpus, tmp_path: Path, fast_encode: None) -> None:  # noqa: ANN001
    corpus = make_corpus({**ARTICLES, "scam.txt": EXTRA_ARTICLE})
    qa = ammtc_qa.load(corpus, tmp_path / "index")
    before = len(np.load(qa.data.version / "cache/keys.npy"))
    qa.remove("scam")
    after = len(np.load(qa.data.version / "cache/keys.npy"))
    assert after < before


def test_cached_vectors_equal_fresh_ones(make_corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    Counter(monkeypatch)
    grown = ammtc_qa.load(make_corpus(), tmp_path / "grown")
    extra = tmp_path / "scam.txt"
    extra.write_text(EXTRA_ARTICLE, encoding="utf-8")
    grown.add(extra)
    fresh = ammtc_qa.load(make_corpus({**ARTICLES, "scam.txt": EXTRA_ARTICLE}, name="all"), tmp_path / "fresh")
    assert [d.doc_id for d in grown.documents()] == [d.doc_id for d in fresh.documents()]
    np.testing.assert_array_equal(grown.data.chunks, fresh.data.chunks)
    np.testing.assert_array_equal(grown.data.sentence_vectors, fresh.data.sentence_vectors)
    rows = np.arange(len(fresh.data.chunks))
    np.testing.assert_array_equal(grown.data.dense.index.reconstruct_batch(rows),
                                  fresh.data.dense.index.reconstruct_batch(rows))


@pytest.mark.parametrize("error", [KeyboardInterrupt, MemoryError], ids=["ctrl-c", "crash"])
def test_an_interrupted_build_resumes_without_redoing_finished_batches(
        make_corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: type[BaseException]) -> None:  # noqa: ANN001
    corpus, index = make_corpus(many_articles(10)), tmp_path / "index"
    settings = IndexSettings(batch_size=4)
    counter = Counter(monkeypatch, fail_after=3, error=error)
    with pytest.raises(error):
        ammtc_qa.load(corpus, index, settings=settings)
    assert not (index / "CURRENT").exists()  # nothing published
    done = list(counter.texts)
    assert len(done) == 12 and (index / JOURNAL_DIR).is_dir()

    counter.reset()
    counter.fail_after = None
    qa = ammtc_qa.load(corpus, index, settings=settings)
    stats = qa.data.manifest["embedding"]
    assert stats["resumed"] == 12 and stats["embedded"] == stats["unique"] - 12
    assert not set(counter.texts) & set(done)  # finished batches were not redone
    assert len(counter.texts) == stats["unique"] - 12
    assert not (index / JOURNAL_DIR).exists()  # journal folded into the committed version


def test_a_torn_journal_record_is_ignored(make_corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """A kill in the middle of a write leaves half a record (or zeros): it is not trusted."""
    corpus, index = make_corpus(many_articles(6)), tmp_path / "index"
    settings = IndexSettings(batch_size=4)
    counter = Counter(monkeypatch, fail_after=2)
    with pytest.raises(KeyboardInterrupt):
        ammtc_qa.load(corpus, index, settings=settings)
    journal = index / JOURNAL_DIR
    keys = next(journal.glob("*.keys"))
    vecs = keys.with_suffix(".f16")
    with open(keys, "ab") as f:
        f.write(b"\x01" * 32 + b"\x02" * 10)  # one whole key whose vector is missing, then half a key
    data = bytearray(vecs.read_bytes())
    row = len(data) // 8
    data[-row:] = bytes(row)  # the last vector zeroed (a crash before the data reached the disk)
    vecs.write_bytes(bytes(data))
    counter.reset()
    counter.fail_after = None
    qa = ammtc_qa.load(corpus, index, settings=settings)
    assert qa.data.manifest["embedding"]["resumed"] == 7  # 8 recorded, the zeroed one re-embedded
    assert len(counter.texts) == qa.data.manifest["embedding"]["unique"] - 7


def test_one_labelled_progress_bar(make_corpus, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    """The real model: one bar named "Embedding … texts" with a rate, no "Batches" bars."""
    ammtc_qa.load(make_corpus(), tmp_path / "index", progress=True)
    err = capfd.readouterr().err
    assert "Embedding" in err and "text/s" in err
    assert "Batches" not in err


KILLED_BUILD = r"""
import os, signal, sys
sys.path.insert(0, {tests!r})
import ammtc_qa
from ammtc_qa import IndexSettings
from ammtc_qa.embedding import Embedder
from conftest import fake_encode

batches = [0]
def encode(self, texts, **kwargs):
    if batches[0] == 3:
        os.kill(os.getpid(), signal.SIGKILL)  # no cleanup, no finally: as the OOM killer would
    batches[0] += 1
    return fake_encode(self, texts)

Embedder.encode = encode
ammtc_qa.load({corpus!r}, {index!r}, settings=IndexSettings(batch_size=4))
"""


def test_a_killed_build_resumes(make_corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    import subprocess
    import sys

    corpus, index = make_corpus(many_articles(8)), tmp_path / "index"
    script = KILLED_BUILD.format(tests=str(Path(__file__).parent), corpus=str(corpus), index=str(index))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == -9, proc.stderr[-2000:]
    assert not (index / "CURRENT").exists()
    counter = Counter(monkeypatch)
    qa = ammtc_qa.load(corpus, index, settings=IndexSettings(batch_size=4))
    stats = qa.data.manifest["embedding"]
    assert stats["resumed"] == 12 and len(counter.texts) == stats["unique"] - 12


def test_a_damaged_cache_is_not_carried_into_the_next_version(make_corpus, tmp_path: Path,  # noqa: ANN001
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, index = make_corpus(), tmp_path / "index"
    counter = Counter(monkeypatch)
    qa = ammtc_qa.load(corpus, index)
    clean = np.array(qa.data.sentence_vectors)
    cached = qa.data.version / "cache" / "vectors.npy"
    damaged = np.load(cached)
    damaged[:] = 0.5
    np.save(cached, damaged)
    counter.reset()
    repaired = ammtc_qa.load(corpus, index)  # corrupt: rebuilt
    assert repaired.data.version != qa.data.version
    assert np.array_equal(np.array(repaired.data.sentence_vectors), clean)
    assert repaired.data.manifest["embedding"]["cached"] == 0 and counter.texts  # embedded again


def test_unchanged_articles_are_not_chunked_again(make_corpus, tmp_path: Path, fast_encode: None) -> None:  # noqa: ANN001
    corpus, index = make_corpus(many_articles(6)), tmp_path / "index"
    qa = ammtc_qa.load(corpus, index)
    assert qa.data.manifest["embedding"]["articles_rechunked"] == 6
    extra = tmp_path / "scam.txt"
    extra.write_text(EXTRA_ARTICLE, encoding="utf-8")
    qa.add(extra)
    assert qa.data.manifest["embedding"]["articles_rechunked"] == 1  # only the new one
    (corpus / "a01.txt").write_text(many_articles(6)["a01.txt"].replace("seized", "found"), encoding="utf-8")
    qa.refresh()
    assert qa.data.manifest["embedding"]["articles_rechunked"] == 1  # only the changed one
    fresh = ammtc_qa.load(corpus, tmp_path / "fresh")
    np.testing.assert_array_equal(qa.data.chunks, fresh.data.chunks)
    np.testing.assert_array_equal(qa.data.sentences, fresh.data.sentences)
    forced = ammtc_qa.load(corpus, index, rebuild="always")
    assert forced.data.manifest["embedding"]["articles_rechunked"] == 7  # a forced rebuild recomputes all
