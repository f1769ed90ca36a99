"""The embedding cache: rebuilds embed only new texts; interrupted builds resume; one progress bar.

Encode calls are counted by wrapping ``Embedder.encode`` (around the deterministic
``fake_encode`` of conftest, so builds are fast and vectors depend only on the text).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ammtc_qa
from ammtc_qa import IndexSettings
from ammtc_qa.indexing.build import embed_texts
from ammtc_qa.indexing.chunking import chunk_document
from ammtc_qa.indexing.embedding import Embedder
from ammtc_qa.indexing.embedding_cache import JOURNAL_DIR, text_keys
from conftest import ARTICLES, EXTRA_ARTICLE, fake_encode, live_segment

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


def stats(qa: ammtc_qa.QA) -> dict[str, int]:
    return dict(qa.backend.state["embedding"])


def spans_and_vectors(qa: ammtc_qa.QA) -> dict[str, list[tuple[object, ...]]]:
    """Per article: each passage's span, sentences, vector and sentence vectors (as bytes)."""
    backend = qa.backend
    out = {}
    for m in backend.doc_meta():
        ids = backend.passage_ids(m.doc_id)
        out[m.doc_id] = [(r.start, r.end, r.sentences, v.tobytes(), s.tobytes()) for r, v, s in
                         zip(backend.passages(ids), backend.vectors(ids), backend.sentence_vectors(ids), strict=True)]
    return out


def test_adding_one_article_embeds_only_that_article(make_corpus, tmp_path: Path, embedder,  # noqa: ANN001
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    counter = Counter(monkeypatch)
    corpus = make_corpus(many_articles(12))
    qa = ammtc_qa.load(corpus, tmp_path / "index")
    assert counter.texts and stats(qa)["embedded"] == len(counter.texts)
    everything = set(counter.texts)
    counter.reset()
    new = tmp_path / "scam.txt"
    new.write_text(EXTRA_ARTICLE, encoding="utf-8")
    report = qa.add(new)
    assert report.added == ["scam"]
    expected = article_texts(qa, "scam", embedder)
    assert set(counter.texts) == expected and len(counter.texts) == len(expected)
    assert stats(qa)["embedded"] == stats(qa)["unique"] == len(expected) and stats(qa)["articles_chunked"] == 1

    counter.reset()
    assert ammtc_qa.load(corpus, tmp_path / "index").version == qa.version and counter.texts == []  # current
    counter.reset()
    ammtc_qa.load(corpus, tmp_path / "index", rebuild="always")
    assert set(counter.texts) == everything | expected  # a forced rebuild recomputes every vector


def test_segments_keep_the_cache_key_of_every_text(make_corpus, tmp_path: Path, fast_encode: None) -> None:  # noqa: ANN001
    qa = ammtc_qa.load(make_corpus(), tmp_path / "index")
    segment = live_segment(qa.index_dir)
    keys = np.load(segment / "keys.npy", allow_pickle=False)
    sentence_keys = np.load(segment / "sentence_keys.npy", allow_pickle=False)
    assert keys.dtype == np.uint8 and keys.shape == (len(qa.backend), 32)
    assert sentence_keys.shape == (qa.info()["sentences"], 32)
    # the key is sha256(model name + NUL + text)
    backend = qa.backend
    record = backend.passages(backend.passage_ids("pangolin"))[-1]
    doc = qa.document("pangolin")
    a, b = record.sentences[-1]
    assert any((sentence_keys == text_keys(qa.backend.state["model"]["name"], [doc.text[a:b]])[0]).all(axis=1))


def test_an_edited_article_re_embeds_only_its_changed_texts(make_corpus, tmp_path: Path, embedder,  # noqa: ANN001
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = make_corpus(many_articles(4))
    counter = Counter(monkeypatch)
    qa = ammtc_qa.load(corpus, tmp_path / "index")
    before = article_texts(qa, "a01", embedder)
    counter.reset()
    text = many_articles(4)["a01.txt"].replace("arrested 2 suspects", "arrested 9 suspects")
    (corpus / "a01.txt").write_text(text, encoding="utf-8")
    qa.refresh()
    after = article_texts(qa, "a01", embedder)
    assert after != before and set(counter.texts) == after - before  # unchanged sentences come from the store
    assert stats(qa)["cached"] == len(after & before)


def test_cached_vectors_equal_fresh_ones(make_corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    Counter(monkeypatch)
    grown = ammtc_qa.load(make_corpus(), tmp_path / "grown")
    extra = tmp_path / "scam.txt"
    extra.write_text(EXTRA_ARTICLE, encoding="utf-8")
    grown.add(extra)
    fresh = ammtc_qa.load(make_corpus({**ARTICLES, "scam.txt": EXTRA_ARTICLE}, name="all"), tmp_path / "fresh")
    assert sorted(d.doc_id for d in grown.documents()) == sorted(d.doc_id for d in fresh.documents())
    assert spans_and_vectors(grown) == spans_and_vectors(fresh)


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
    got = stats(qa)
    assert got["resumed"] == 12 and got["embedded"] == got["unique"] - 12
    assert not set(counter.texts) & set(done)  # finished batches were not redone
    assert len(counter.texts) == got["unique"] - 12
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
    assert stats(qa)["resumed"] == 7  # 8 recorded, the zeroed one re-embedded
    assert len(counter.texts) == stats(qa)["unique"] - 7


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
from ammtc_qa.indexing.embedding import Embedder
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
    got = stats(qa)
    assert got["resumed"] == 12 and len(counter.texts) == got["unique"] - 12


def test_a_damaged_store_is_not_carried_into_the_next_version(make_corpus, tmp_path: Path,  # noqa: ANN001
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, index = make_corpus(), tmp_path / "index"
    counter = Counter(monkeypatch)
    qa = ammtc_qa.load(corpus, index)
    clean = spans_and_vectors(qa)
    stored = live_segment(index) / "sentence_vectors.npy"
    damaged = np.load(stored)
    damaged[:] = 0.5
    np.save(stored, damaged)
    counter.reset()
    repaired = ammtc_qa.load(corpus, index)  # corrupt: rebuilt
    assert repaired.version != qa.version
    assert spans_and_vectors(repaired) == clean
    assert stats(repaired)["cached"] == 0 and counter.texts  # embedded again


def test_unchanged_articles_are_not_chunked_again(make_corpus, tmp_path: Path, fast_encode: None) -> None:  # noqa: ANN001
    corpus, index = make_corpus(many_articles(6)), tmp_path / "index"
    qa = ammtc_qa.load(corpus, index)
    assert stats(qa)["articles_chunked"] == 6
    extra = tmp_path / "scam.txt"
    extra.write_text(EXTRA_ARTICLE, encoding="utf-8")
    qa.add(extra)
    assert stats(qa)["articles_chunked"] == 1  # only the new one
    (corpus / "a01.txt").write_text(many_articles(6)["a01.txt"].replace("seized", "found"), encoding="utf-8")
    qa.refresh()
    assert stats(qa)["articles_chunked"] == 1  # only the changed one
    fresh = ammtc_qa.load(corpus, tmp_path / "fresh")
    assert spans_and_vectors(qa) == spans_and_vectors(fresh)
    forced = ammtc_qa.load(corpus, index, rebuild="always")
    assert stats(forced)["articles_chunked"] == 7  # a forced rebuild recomputes all


def test_batches_are_of_similar_lengths_but_not_run_longest_first(make_corpus, tmp_path: Path,  # noqa: ANN001
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Little padding per batch, and a progress bar whose first ETA is not inflated by seeing only
    the longest texts first."""
    counter = Counter(monkeypatch)
    lengths: list[list[int]] = []
    encode = Embedder.encode

    def recording(self: Embedder, texts: list[str], **kwargs: object) -> np.ndarray:
        lengths.append([len(t) for t in texts])
        return encode(self, texts, **kwargs)

    monkeypatch.setattr(Embedder, "encode", recording)
    ammtc_qa.load(make_corpus(many_articles(12)), tmp_path / "index", settings=IndexSettings(batch_size=4))
    assert counter.texts and len(lengths) > 5
    ordered = sorted((length for batch in lengths for length in batch), reverse=True)
    spans = [max(b) - min(b) for b in lengths]
    assert max(spans) <= ordered[0] - ordered[-1] and sum(spans) < sum(max(b) for b in lengths) / 2  # homogeneous
    firsts = [max(b) for b in lengths]
    assert firsts != sorted(firsts, reverse=True)  # not longest first
