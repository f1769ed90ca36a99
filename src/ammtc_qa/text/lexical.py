"""BM25 over passages (bm25s), with a tokenizer that keeps what questions hinge on.

bm25s's default tokenizer (``\\w\\w+``) drops one-character tokens, so "AMMTC 9" would lose
its 9, and numbers like "1,584.36" fall apart. Ours keeps every number whole, turns each
meeting reference, in any surface form, into one canonical token ("ammtc_19"), removes
English stop words and stems the rest (PyStemmer). Questions also lose their interrogatives
and auxiliaries (``question_tokens``): "which" in a question asks, while "which" in a passage
relates, and matching one to the other only adds noise.

Latin diacritics are folded before matching, in documents and questions alike ("Lương" and
"Luong", "café" and "cafe" are one token): Vietnamese names reach English-language wires with
and without their marks, and a reader types them either way. Only Latin letters are folded
(marks on Thai, Devanagari or Arabic letters are part of the letter, not an accent).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .meetings import find_meetings, meeting_token

_TOKEN = re.compile(r"\d+(?:[.,:]\d+)*|[^\W\d_]+|\d+", re.UNICODE)
K1, B = 0.9, 0.4
"""Anserini's BM25 defaults, which are also what the squad-dev baseline uses."""

QUESTION_WORDS = frozenset({"what", "which", "who", "whom", "whose", "when", "where", "why", "how",
                            "do", "does", "did"})
"""Dropped from questions only. Passages keep them: "how" or "which" can be content there, and
the index must not depend on how questions are phrased. Measured on squad-dev (queries
1,000-4,000): nDCG@10 0.893 -> 0.901; NLTK's full 179-word list on the question side gave 0.899
and lost a hit on the blind question set (benchmarks/questions/blind.jsonl)."""


_LATIN_RANGES = ((0x00C0, 0x0250), (0x1E00, 0x1F00))
"""Latin-1 Supplement letters, Latin Extended-A/B and Latin Extended Additional (Vietnamese)."""
_LATIN_EXTRA = {"đ": "d", "Đ": "D", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "æ": "ae", "Æ": "AE", "œ": "oe",
                "Œ": "OE", "ß": "ss", "ı": "i", "ħ": "h", "Ħ": "H", "þ": "th", "Þ": "TH"}
"""Latin letters that Unicode does not decompose into a base letter and a mark."""


@lru_cache(maxsize=1)
def _fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {cp: None for cp in range(0x0300, 0x0370)}  # combining marks (decomposed text)
    for lo, hi in _LATIN_RANGES:
        for cp in range(lo, hi):
            ch = chr(cp)
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            if base != ch and base.isascii() and base.isalpha():
                table[cp] = base
    table.update({ord(k): v for k, v in _LATIN_EXTRA.items()})
    return table


def fold_diacritics(text: str) -> str:
    """``text`` with Latin diacritics removed ("Lương Tam Quang" -> "Luong Tam Quang", "đ" -> "d")."""
    return text if text.isascii() else text.translate(_fold_table())


_local = threading.local()


def _stemmer() -> Any:
    """This thread's stemmer: PyStemmer's documentation forbids sharing one instance across threads."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        import Stemmer

        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


@lru_cache(maxsize=1)
def _question_stopwords() -> frozenset[str]:
    return _stopwords() | QUESTION_WORDS


def tokenize(text: str) -> list[str]:
    """Lexical tokens of ``text``: meeting keys, whole numbers, stemmed words."""
    return _tokens(text, _stopwords())


def question_tokens(question: str) -> list[str]:
    """Lexical tokens of a question: as ``tokenize``, without interrogatives and auxiliaries."""
    return _tokens(question, _question_stopwords())


def _tokens(text: str, stop: frozenset[str]) -> list[str]:
    tokens: list[str] = []
    pos = 0
    for mention in find_meetings(text):
        tokens.extend(_words(text[pos:mention.start], stop))
        tokens.append(meeting_token(mention.key))
        pos = mention.end
    tokens.extend(_words(text[pos:], stop))
    return tokens


def _words(text: str, stop: frozenset[str]) -> list[str]:
    words = [w for w in _TOKEN.findall(fold_diacritics(text).lower()) if w not in stop]
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
