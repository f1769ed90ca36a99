"""BM25 over passages (bm25s), with a tokenizer that keeps what questions hinge on.

bm25s's default tokenizer (``\\w\\w+``) drops one-character tokens, so "AMMTC 9" would lose
its 9, and numbers like "1,584.36" fall apart. Ours keeps every number whole, turns each
meeting reference, in any surface form, into one canonical token ("ammtc_19"), removes
English stop words and stems the rest (PyStemmer).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .meetings import find_meetings, meeting_token

_TOKEN = re.compile(r"\d+(?:[.,:]\d+)*|[^\W\d_]+|\d+", re.UNICODE)
K1, B = 0.9, 0.4
"""Anserini's BM25 defaults, which are also what the squad-dev baseline uses."""


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def tokenize(text: str) -> list[str]:
    """Lexical tokens of ``text``: meeting keys, whole numbers, stemmed words."""
    tokens: list[str] = []
    pos = 0
    stop = _stopwords()
    for mention in find_meetings(text):
        tokens.extend(_words(text[pos:mention.start], stop))
        tokens.append(meeting_token(mention.key))
        pos = mention.end
    tokens.extend(_words(text[pos:], stop))
    return tokens


def _words(text: str, stop: frozenset[str]) -> list[str]:
    words = [w for w in _TOKEN.findall(text.lower()) if w not in stop]
    return _stemmer().stemWords(words) if words else []


class LexicalIndex:
    """A bm25s index over passage texts; ``scores`` returns one BM25 score per passage."""

    def __init__(self, retriever: Any) -> None:
        self.retriever = retriever
        self.vocab: dict[str, int] = retriever.vocab_dict

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        import bm25s

        retriever = bm25s.BM25(k1=K1, b=B, method="lucene")
        retriever.index([tokenize(t) for t in texts], show_progress=False)
        return cls(retriever)

    def scores(self, question_tokens: list[str]) -> np.ndarray:
        known = [t for t in question_tokens if t in self.vocab]
        if not known:
            return np.zeros(self.retriever.scores["num_docs"], dtype=np.float32)
        return np.asarray(self.retriever.get_scores(known), dtype=np.float32)

    def idf(self, tokens: list[str]) -> dict[str, float]:
        """BM25 idf of each known token, read from the index's document frequencies."""
        scores = self.retriever.scores
        n = float(scores["num_docs"])
        indptr = scores["indptr"]
        out = {}
        for t in set(tokens):
            tid = self.vocab.get(t)
            if tid is not None:
                df = float(indptr[tid + 1] - indptr[tid])
                out[t] = float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))
        return out

    def save(self, folder: Path) -> None:
        self.retriever.save(str(folder))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        import bm25s

        return cls(bm25s.BM25.load(str(folder), mmap=True, allow_pickle=False, load_corpus=False))
