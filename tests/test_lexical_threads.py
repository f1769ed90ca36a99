"""Tokenising from many threads: PyStemmer instances must not be shared between threads
(its documentation says so), so each thread stems with its own and gets the serial result."""

from __future__ import annotations

import random
import threading

from ammtc_qa.text import lexical
from ammtc_qa.text.lexical import tokenize

TEXTS = [
    "Ministers agreed to strengthen cooperation against trafficking in persons at AMMTC 19.",
    "Police seized methamphetamine hidden in fishing boats, and the investigations are continuing.",
    "The officials discussed cybercrime, scams, money laundering and the smuggling of wildlife.",
    "Rescuers freed workers held in online scam compounds who had been lured by fake job advertisements.",
]


def test_each_thread_has_its_own_stemmer() -> None:
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(lexical._stemmer())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(s) for s in seen}) == 4
    assert lexical._stemmer() is lexical._stemmer()  # reused within a thread


def test_concurrent_tokenising_equals_serial() -> None:
    rng = random.Random(7)
    texts = [" ".join(rng.sample(TEXTS, len(TEXTS))) * rng.randint(1, 6) for _ in range(64)]
    expected = [tokenize(t) for t in texts]
    results: dict[tuple[int, int], list[str]] = {}
    barrier = threading.Barrier(8)

    def work(worker: int) -> None:
        order = list(range(len(texts)))
        random.Random(worker).shuffle(order)
        barrier.wait()
        for _ in range(3):
            for i in order:
                results[worker, i] = tokenize(texts[i])

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8 * len(texts)
    for (_, i), tokens in results.items():
        assert tokens == expected[i]
