"""Candidates: the union of dense and BM25 hits, with everything later stages read about them.

Both searches run inside the store with the same ``Filter``; every candidate then gets both
scores (its cosine from the stored vector, its BM25 from the store), so fusion never sees a
missing signal for a passage that only one list found.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from ..backends.base import Backend, PassageRecord, SentenceBlock
from ..backends.filters import Filter
from ..input.document import Document
from ..settings import SearchSettings


@dataclass
class Candidates:
    ids: np.ndarray  # int64 passage ids
    dense: np.ndarray  # float32 cosine of each candidate
    dense_rank: np.ndarray  # rank in the dense list (len(backend) + 1 if absent)
    lexical: np.ndarray  # float32 BM25
    lexical_rank: np.ndarray
    records: list[PassageRecord]
    sentence_vectors: SentenceBlock
    documents: Mapping[str, Document]
    """The candidates' articles, each read from the store when a stage first needs it: most
    stages read a few (the top candidates' text, a lead passage's title), not all ~50."""
    cosines: np.ndarray
    """Cosine of every candidate's sentences to the question, back to back over
    ``sentence_vectors.bounds`` (read-only); the article's headline sentence (already in every
    passage's header) scores -1. Computed once per ask, in one product."""

    def __len__(self) -> int:
        return len(self.ids)

    def document(self, i: int) -> Document:
        return self.documents[self.records[i].doc_id]

    def sentence_cosines(self, i: int) -> np.ndarray:
        """Cosine of candidate ``i``'s sentences (a view of ``cosines``)."""
        b = self.sentence_vectors.bounds
        return self.cosines[int(b[i]):int(b[i + 1])]

    def text(self, i: int) -> str:
        r = self.records[i]
        return self.documents[r.doc_id].text[r.start:r.end]


def gather(backend: Backend, q_tokens: Sequence[str], query: np.ndarray, where: Filter | None,
           settings: SearchSettings) -> Candidates:
    if settings.parallel_searches:  # a backend is thread-safe; FAISS and numpy release the GIL
        dense_future = _searches().submit(backend.dense_search, query, settings.dense_depth, where)
        lexical_hits = backend.lexical_search(q_tokens, settings.lexical_depth, where)
        dense_hits = dense_future.result()
    else:
        dense_hits = backend.dense_search(query, settings.dense_depth, where)
        lexical_hits = backend.lexical_search(q_tokens, settings.lexical_depth, where)
    ids = np.unique(np.concatenate([dense_hits.ids, lexical_hits.ids])).astype(np.int64)
    absent = len(backend) + 1
    pos = {int(p): i for i, p in enumerate(ids.tolist())}
    dense_rank = np.full(len(ids), absent)
    lexical_rank = np.full(len(ids), absent)
    for rank, p in enumerate(dense_hits.ids.tolist()):
        dense_rank[pos[p]] = rank
    for rank, p in enumerate(lexical_hits.ids.tolist()):
        lexical_rank[pos[p]] = rank
    dense = (backend.vectors(ids) @ query).astype(np.float32) if len(ids) else np.zeros(0, dtype=np.float32)
    lexical = backend.lexical_scores(q_tokens, ids) if len(ids) else np.zeros(0, dtype=np.float32)
    records = backend.passages(ids)
    documents = Articles(backend.document)
    sentence_vectors = backend.sentence_vectors(ids)
    return Candidates(ids, dense, dense_rank, np.asarray(lexical, dtype=np.float32), lexical_rank, records,
                      sentence_vectors, documents, sentence_cosines(records, documents, sentence_vectors, query))


def _searches() -> ThreadPoolExecutor:
    """The threads dense searches run on beside the calling thread's BM25 search (shared by
    every ranker; created at the first ask). A forked child gets its own: the parent's worker
    threads do not exist there, and an executor copied from the parent could wait forever."""
    pid = os.getpid()
    executor = _EXECUTORS.get(pid)
    if executor is None:
        executor = _EXECUTORS.setdefault(pid, ThreadPoolExecutor(thread_name_prefix="ammtc-qa-search"))
    return executor


_EXECUTORS: dict[int, ThreadPoolExecutor] = {}


class Articles(dict[str, Document]):
    """Documents by id, each read once through ``load`` at its first lookup."""

    def __init__(self, load: Callable[[str], Document]) -> None:
        super().__init__()
        self._load = load

    def __missing__(self, doc_id: str) -> Document:
        doc = self[doc_id] = self._load(doc_id)
        return doc


def sentence_cosines(records: Sequence[PassageRecord], documents: Mapping[str, Document],
                     sentence_vectors: SentenceBlock, query: np.ndarray) -> np.ndarray:
    """Every candidate's sentences' cosine to ``query``, the headline sentence set to -1."""
    sims = (sentence_vectors.vectors @ query).astype(np.float32)
    headed: dict[str, int] = {}  # doc id -> length of a title the text starts with (0: none)
    for r, at in zip(records, sentence_vectors.bounds.tolist(), strict=False):
        if r.sentences and r.sentences[0][0] == 0:  # only a lead passage can start with the title
            title = headed.get(r.doc_id)
            if title is None:
                doc = documents[r.doc_id]
                title = headed[r.doc_id] = len(doc.title) if doc.title and doc.text.startswith(doc.title) else 0
            if title:
                for j, (a, b) in enumerate(r.sentences):
                    if a != 0:
                        break
                    if b <= title:
                        sims[at + j] = -1.0
    sims.flags.writeable = False  # every reader shares these views: none may change them
    return sims
