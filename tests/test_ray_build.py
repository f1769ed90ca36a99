"""Builds on Ray Data: same vectors, same index, and a build that resumes after a failed worker.

One local Ray (2 CPUs) for the module; the actors load the real model. Batches of 4 texts, so
the two tiny articles make several batches (the batch size is operational: not fingerprinted).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray", reason='builds on Ray need the ray extra: pip install "ammtc-qa[ray]"')
pytest.importorskip("ray.data", reason='builds on Ray need Ray Data: pip install "ammtc-qa[ray]"')

import ammtc_qa  # noqa: E402
from ammtc_qa.indexing.embedding_cache import JOURNAL_DIR  # noqa: E402
from ammtc_qa.indexing.ray_executor import EmbedActor, RayBuildError, RayEmbedder, RayOptions  # noqa: E402
from ammtc_qa.settings import IndexSettings  # noqa: E402

QUESTIONS = ["How much methamphetamine was seized in Melaka?", "Where were the pangolin scales found?"]
LOCAL = IndexSettings(batch_size=4)
RAY = IndexSettings(batch_size=4, executor="ray", ray_workers=2)


@pytest.fixture(scope="module", autouse=True)
def local_ray():  # noqa: ANN201
    # the actors unpickle the failing actor classes below: send them by value, not by module name
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


class FailingActor(EmbedActor):
    """Raises on its 2nd call, once (a marker file says it already did). Two actors share at
    least three batches, so one of them makes a 2nd call whatever Ray's scheduling."""

    marker = ""

    def __call__(self, rows):  # noqa: ANN001, ANN204
        self.calls = getattr(self, "calls", 0) + 1
        if self.calls == 2 and not Path(self.marker).exists():
            Path(self.marker).write_text("failed")
            import time

            time.sleep(1.5)  # let the batches already finished reach the driver
            raise RuntimeError("injected failure")
        return super().__call__(rows)


class DyingActor(EmbedActor):
    """The worker process exits on its 2nd call, once."""

    marker = ""

    def __call__(self, rows):  # noqa: ANN001, ANN204
        self.calls = getattr(self, "calls", 0) + 1
        if self.calls == 2 and not Path(self.marker).exists():
            Path(self.marker).write_text("died")
            import os

            os._exit(1)
        return super().__call__(rows)


def _snapshot(qa: ammtc_qa.QA) -> tuple[list, np.ndarray, list]:
    backend = qa.backend
    ids = sorted(p for d in sorted(m.doc_id for m in backend.doc_meta()) for p in backend.passage_ids(d))
    answers = [[(p.doc_id, p.start, p.end, p.citation, p.highlights, round(p.score, 5))
                for p in qa.ask(q, k=3).passages] for q in QUESTIONS]
    return ids, backend.vectors(ids), answers


def test_ray_encodes_the_same_vectors_as_this_process(embedder) -> None:  # noqa: ANN001
    texts = [f"Officers in port {i} seized {i * 7} kg of drugs. " * (1 + i % 5) for i in range(40)]
    batches = [texts[i:i + 8] for i in range(0, len(texts), 8)]
    local = dict(embedder.encode_batches(batches))
    got = list(RayEmbedder(embedder, RayOptions(workers=2)).encode_batches(batches))
    assert sorted(n for n, _ in got) == list(range(len(batches)))  # every batch once, whatever the order
    for number, vectors in got:
        assert vectors.shape == (len(batches[number]), embedder.dim)
        np.testing.assert_allclose(vectors, local[number], atol=1e-6, rtol=0)


def test_a_ray_build_is_the_same_index(make_corpus, tmp_path: Path) -> None:  # noqa: ANN001
    corpus = make_corpus()
    here = ammtc_qa.load(corpus, tmp_path / "local", settings=LOCAL)
    on_ray = ammtc_qa.load(corpus, tmp_path / "ray", settings=RAY)
    assert on_ray.info()["embedding"]["embedded"] == here.info()["embedding"]["embedded"] > 8
    ids, vectors, answers = _snapshot(here)
    ray_ids, ray_vectors, ray_answers = _snapshot(on_ray)
    assert ray_ids == ids
    np.testing.assert_allclose(ray_vectors, vectors, atol=1e-6, rtol=0)
    assert ray_answers == answers
    # and into the Qdrant backend (local mode), the same answers
    pytest.importorskip("qdrant_client")
    qdrant = ammtc_qa.load(corpus, tmp_path / "q-work", settings=RAY, backend="qdrant",
                           backend_options={"path": str(tmp_path / "qdrant")})
    assert [[p[:5] for p in a] for a in _snapshot(qdrant)[2]] == [[p[:5] for p in a] for a in answers]


def test_a_failed_ray_build_resumes_from_its_journal(make_corpus, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    corpus = make_corpus()
    reference = _snapshot(ammtc_qa.load(corpus, tmp_path / "reference", settings=LOCAL))
    monkeypatch.setattr(FailingActor, "marker", str(tmp_path / "failed-once"))
    monkeypatch.setattr(RayEmbedder, "actor_class", FailingActor)
    with pytest.raises(RayBuildError, match="run the same build again to resume"):
        ammtc_qa.load(corpus, tmp_path / "index", settings=RAY)
    assert (tmp_path / "failed-once").exists()
    journal = tmp_path / "index" / JOURNAL_DIR
    kept = sum(p.stat().st_size for p in journal.glob("*.keys")) // 32
    assert kept >= 4  # at least one finished batch was journaled before the failure
    qa = ammtc_qa.load(corpus, tmp_path / "index", settings=RAY)  # the actor does not fail again
    stats = qa.info()["embedding"]
    assert stats["resumed"] == kept
    assert stats["embedded"] == stats["unique"] - kept  # finished batches were not embedded again
    assert _same(_snapshot(qa), reference)
    assert not journal.exists() or not list(journal.iterdir())  # journal dropped once committed


def test_a_killed_ray_worker_is_restarted_and_the_build_completes(make_corpus, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    corpus = make_corpus()
    reference = _snapshot(ammtc_qa.load(corpus, tmp_path / "reference", settings=LOCAL))
    monkeypatch.setattr(DyingActor, "marker", str(tmp_path / "died-once"))
    monkeypatch.setattr(RayEmbedder, "actor_class", DyingActor)
    qa = ammtc_qa.load(corpus, tmp_path / "index", settings=RAY)
    assert (tmp_path / "died-once").exists()
    assert _same(_snapshot(qa), reference)


def _same(a: tuple, b: tuple) -> bool:
    return a[0] == b[0] and bool(np.allclose(a[1], b[1], atol=1e-6, rtol=0)) and a[2] == b[2]


def test_executor_setting_is_checked_and_not_fingerprinted() -> None:
    assert RAY.fingerprint() == LOCAL.fingerprint()
    with pytest.raises(ammtc_qa.errors.SettingsError, match="executor"):
        IndexSettings(executor="spark")
