"""``qa.ask`` from many threads gives exactly the serial results.

8 threads x 500 questions over the shipped index. The query vectors are the real model's:
each distinct question is encoded once by the real ``Embedder.encode`` in the serial run and
memoised (each thread's first question is encoded again, by all 8 threads at once), so the 4000 calls spend their
time in what the threads actually share (FAISS, BM25, stemmer, meeting catalogue, numpy views
of memory-mapped files) rather than in 4000 forward passes on a loaded 2-core CI machine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import numpy as np
import pytest

from ammtc_qa import Answer
from ammtc_qa.indexing.embedding import Embedder

THREADS = 8
PER_THREAD = 500

QUESTIONS: list[tuple[str, dict[str, object]]] = [
    ("What did Vietnam propose at AMMTC 19?", {}),
    ("Who led the Vietnamese delegation at AMMTC 13 in Bangkok?", {"k": 3}),
    ("Where was AMMTC 18 held?", {}),
    ("What is SOMTC?", {"k": 2}),
    ("drug trafficking cooperation between ASEAN countries", {}),
    ("cybercrime", {"k": 7}),
    ("trafficking in persons", {"explain": True}),
    ("Which minister chaired the opening ceremony in Vientiane?", {}),
    ("What happened at AMMTC 30?", {}),  # no article covers it: a notice, no passages
    ("SOMTC-20 online meeting", {}),
    ("money laundering and terrorism financing", {"k": 1}),
    ("2019", {}),
    ("Melaka Malaysia 2025", {}),
    ("What outcomes did Vietnam gain in combating transnational crimes?", {"k": 4}),
    ("AMMTC 13 AMMTC 18 AMMTC 19", {}),
    ("Lt. Gen. Nguyen Thanh Son", {}),
    ("ASEAN Ministerial Meeting on Transnational Crime joint statement", {"fusion": "convex"}),
    ("wildlife", {}),
    ("Politburo member Minister of Public Security", {"k": 10}),
    ("Who attended?", {}),
]


def _key(answer: Answer) -> tuple[object, ...]:
    """Everything an answer promises, compared exactly (scores as floats, not rounded)."""
    return (answer.question, answer.notice, tuple(answer.meetings),
            tuple((p.doc_id, p.start, p.end, p.score, p.text, p.highlights, p.also_reported_by)
                  for p in answer.passages))


@pytest.fixture
def memoised_encode(monkeypatch: pytest.MonkeyPatch, shipped_qa) -> Iterator[dict[tuple[str, ...], np.ndarray]]:  # noqa: ANN001
    real: Callable[..., np.ndarray] = Embedder.encode
    cache: dict[tuple[str, ...], np.ndarray] = {}

    def encode(self: Embedder, texts: list[str], **kwargs: object) -> np.ndarray:
        key = tuple(texts)
        if key not in cache:
            cache[key] = real(self, texts, **kwargs)
        return cache[key].copy()

    monkeypatch.setattr(Embedder, "encode", encode)
    yield cache


def test_ask_from_8_threads_matches_serial_results(shipped_qa, memoised_encode) -> None:  # noqa: ANN001
    serial = {}
    for i, (question, kwargs) in enumerate(QUESTIONS):
        serial[i] = _key(shipped_qa.ask(question, **kwargs))
    assert sum(1 for key in serial.values() if key[3]) >= len(QUESTIONS) - 1  # real answers, not all empty
    assert len({key[3] for key in serial.values()}) >= len(QUESTIONS) - 2  # and varied

    firsts = {(t * 7) % len(QUESTIONS) for t in range(THREADS)}
    assert len(firsts) == THREADS
    for i in firsts:  # each thread's first question is encoded again, concurrently, by the real model
        memoised_encode.pop((QUESTIONS[i][0],), None)
    barrier = threading.Barrier(THREADS)
    mismatches: list[tuple[int, int]] = []
    errors: list[BaseException] = []
    done = [0] * THREADS

    def work(t: int) -> None:
        try:
            barrier.wait()
            for n in range(PER_THREAD):
                i = (t * 7 + n) % len(QUESTIONS)  # each thread starts elsewhere in the list
                question, kwargs = QUESTIONS[i]
                if _key(shipped_qa.ask(question, **kwargs)) != serial[i]:
                    mismatches.append((t, i))
                done[t] += 1
        except BaseException as exc:  # noqa: BLE001 - reported below, with the thread's traceback
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    if errors:
        raise errors[0]
    assert done == [PER_THREAD] * THREADS
    assert not mismatches, f"{len(mismatches)} answers differ from the serial run, e.g. {mismatches[:5]}"
