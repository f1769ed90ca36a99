"""The storage seam: what ranking needs from a store, and what a build hands to one.

Ranking (``ammtc_qa.ranking``) sees a store only through ``Backend``: dense search, BM25
search and scores, passage records, sentence vectors and documents, each addressed by a
stable passage id (an integer that never changes while the passage exists; never a row
position), and each search taking a ``Filter`` that the store applies *inside* its search.
Tokenisation, fusion, sentence rescoring, diversity, highlights and citations stay in the
library, so every backend gives the same answers for the same stored data.

A build (``ammtc_qa.indexing``) prepares ``IndexedDocument``s (cleaned document, passage
spans, BM25 tokens, vectors) and hands a ``ChangeSet`` to ``WritableBackend.apply``; the store
makes the change visible all at once or not at all.

To add a backend: implement ``WritableBackend``, register a factory under a name with
``ammtc_qa.backends.register``, and run the contract suite (``ammtc_qa.testing.backend``)
against it by subclassing ``BackendContract``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, Protocol, runtime_checkable

import numpy as np

from ..input.document import Document
from .filters import DocMeta, Filter


@dataclass(frozen=True)
class Hits:
    """Search results, best first: passage ids and their scores (same length)."""

    ids: np.ndarray  # int64
    scores: np.ndarray  # float32

    @classmethod
    def empty(cls) -> Hits:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))

    @classmethod
    def top(cls, ids: np.ndarray, scores: np.ndarray, k: int) -> Hits:
        """The ``k`` best of unsorted ``(ids, scores)``; ties broken by the smaller id."""
        ids = np.asarray(ids, dtype=np.int64)
        scores = np.asarray(scores, dtype=np.float32)
        if k <= 0 or not len(ids):
            return cls.empty()
        order = np.lexsort((ids, -scores))[:k]
        return cls(ids[order], scores[order])

    def __len__(self) -> int:
        return len(self.ids)


def run_rows(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``concatenate([arange(a, b) for a, b in zip(lo, hi)])`` without a Python loop: the rows of
    several runs of a table, in order (a ragged table's rows, a passage's sentences)."""
    lo = np.asarray(lo, dtype=np.int64).reshape(-1)
    counts = np.asarray(hi, dtype=np.int64).reshape(-1) - lo
    return np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()), dtype=np.int64)


def offsets_of(counts: Sequence[int] | np.ndarray) -> np.ndarray:
    """int64 ``[len(counts) + 1]``: where each of several runs of these lengths starts, back to
    back, and the total at the end (the ``indptr`` of a ragged table)."""
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def take_runs(indptr: np.ndarray, rows: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Of a ragged table (row ``i`` is ``values[indptr[i]:indptr[i + 1]]``): the ``indptr`` of
    ``rows`` taken in that order, and which value rows to gather for them."""
    rows = np.asarray(rows, dtype=np.int64)
    lo, hi = np.asarray(indptr[rows]), np.asarray(indptr[rows + 1])
    return offsets_of(hi - lo), run_rows(lo, hi)


TORCH_GRAIN = 32_768
"""Elements torch converts on the calling thread (``at::internal::GRAIN_SIZE``): above it a
conversion wakes torch's OpenMP pool, whose spinning threads then compete with FAISS's."""


def float32(values: np.ndarray) -> np.ndarray:
    """``values.astype(np.float32)`` for stored float16 vectors, through torch's conversion
    (vectorised, F16C), in pieces of ``TORCH_GRAIN`` so it stays on this thread: numpy's costs
    ~3 ns an element here, ~0.45 ms for the ~370 sentence vectors of one ask's candidates;
    torch's ~50 µs (benchmarks/scale_notes.md). torch is there already: sentence-transformers
    runs on it. Any other dtype is converted by numpy."""
    if values.dtype != np.float16 or values.size < 4096:
        return np.asarray(values, dtype=np.float32)
    import torch  # imported lazily: opening an index need not load torch

    out = np.empty(values.shape, dtype=np.float32)
    src = torch.from_numpy(np.array(values, order="C") if not values.flags.writeable else
                           np.ascontiguousarray(values)).reshape(-1)  # torch wraps only writable memory
    dst = torch.from_numpy(out).reshape(-1)
    for lo in range(0, len(src), TORCH_GRAIN):
        dst[lo:lo + TORCH_GRAIN].copy_(src[lo:lo + TORCH_GRAIN])
    return out


class SentenceBlock(Sequence[np.ndarray]):
    """The sentence vectors of several passages back to back, one array for all of them:
    ``block[i]`` (a read-only view) is passage ``i``'s ``[n_sentences, dim]``. Ranking scores
    every candidate's sentences in one product over ``vectors`` and reduces per passage over
    ``bounds``; a list of small arrays would be concatenated again at every ask."""

    __slots__ = ("vectors", "bounds")

    def __init__(self, vectors: np.ndarray, bounds: np.ndarray) -> None:
        if vectors.ndim != 2 or bounds.ndim != 1 or not len(bounds) or int(bounds[-1]) != len(vectors):
            raise ValueError(f"SentenceBlock: bounds (last {bounds[-1] if len(bounds) else None}) "
                             f"must end at the {len(vectors)} vectors")
        self.vectors = vectors
        self.vectors.flags.writeable = False
        self.bounds = np.asarray(bounds, dtype=np.int64)
        """int64 ``[passages + 1]``: passage ``i``'s rows are ``bounds[i]:bounds[i + 1]``."""

    @classmethod
    def of(cls, parts: Sequence[np.ndarray], dim: int) -> SentenceBlock:
        """From one ``[n, dim]`` array per passage (a backend that reads them one by one)."""
        filled = [np.asarray(v).reshape(-1, dim) for v in parts if len(v)]
        return cls(float32(np.concatenate(filled)) if filled else np.zeros((0, dim), dtype=np.float32),
                   offsets_of([len(v) for v in parts]))

    @property
    def counts(self) -> np.ndarray:
        """Sentences of each passage."""
        return np.diff(self.bounds)

    def take(self, passages: Sequence[int] | np.ndarray) -> SentenceBlock:
        """The block of some of these passages, in the order given (one gather)."""
        bounds, rows = take_runs(self.bounds, passages)
        return SentenceBlock(self.vectors[rows], bounds)

    def __len__(self) -> int:
        return len(self.bounds) - 1

    def __getitem__(self, i: int) -> np.ndarray:  # type: ignore[override]
        if not -len(self) <= i < len(self):
            raise IndexError(f"passage {i} of a block of {len(self)}")
        i %= len(self)
        return self.vectors[int(self.bounds[i]):int(self.bounds[i + 1])]


@dataclass(frozen=True)
class PassageRecord:
    """Where a passage sits: ``document(doc_id).text[start:end]`` is its text."""

    pid: int
    doc_id: str
    start: int
    end: int
    position: int
    """Index of the passage within its article (0 = the lead)."""
    sentences: tuple[tuple[int, int], ...]
    """Sentence spans, as offsets into the document text, inside ``start:end``."""


@dataclass(frozen=True)
class IndexedPassage:
    """A passage ready to be stored: its span, its BM25 tokens and its vectors."""

    start: int
    end: int
    sentences: tuple[tuple[int, int], ...]
    tokens: tuple[str, ...]
    """BM25 terms of the embedded text (header + passage), tokenised by the library."""
    vector: np.ndarray  # float16 [dim]
    sentence_vectors: np.ndarray  # float16 [len(sentences), dim]
    text_key: bytes = b""
    """Embedding-cache key of the embedded text (``embedding_cache.text_keys``)."""
    sentence_keys: tuple[bytes, ...] = ()


@dataclass(frozen=True)
class IndexedDocument:
    document: Document
    passages: tuple[IndexedPassage, ...]
    text_sha: str = ""
    anchors: tuple[int, ...] = ()
    """Bottom-k shingle sketch for near-copy detection (``duplicates``)."""
    raw_sha: str = ""
    """sha256 of the bytes the document was read from (its file, or its ``.jsonl`` line)."""


class Fingerprint(NamedTuple):
    """What a build compares a stored document by, without reading its text."""

    text_sha: str
    anchors: tuple[int, ...]
    raw_sha: str


@dataclass
class ChangeSet:
    """One atomic change: remove these articles, add those, record the corpus state."""

    add: list[IndexedDocument] = field(default_factory=list)
    remove: set[str] = field(default_factory=set)
    copies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Near-copy links to set (an empty tuple clears a document's links). Links are symmetric and
    end with either article; a store may keep only the added articles' entries (the local store
    writes them with the new segment, and the others follow from them and from its tombstones)."""
    state: dict[str, Any] = field(default_factory=dict)
    """Build facts stored with the version (settings, model, corpus stamps, skipped files...)."""


@runtime_checkable
class Backend(Protocol):
    """A read-only view of one version of an index. Safe to share between threads."""

    name: str

    def __len__(self) -> int:
        """Number of live passages."""

    @property
    def dim(self) -> int: ...

    @property
    def state(self) -> Mapping[str, Any]:
        """What the build recorded (``ChangeSet.state``) plus ``counts``."""

    # dense
    def dense_search(self, query: np.ndarray, k: int, where: Filter | None = None) -> Hits: ...

    def vectors(self, ids: Sequence[int]) -> np.ndarray:
        """float32 ``[len(ids), dim]``, the stored passage vectors."""

    # lexical
    def lexical_search(self, tokens: Sequence[str], k: int, where: Filter | None = None) -> Hits:
        """BM25 (Lucene variant, the settings' k1/b) over corpus-wide statistics; only passages
        with a positive score are returned."""

    def lexical_scores(self, tokens: Sequence[str], ids: Sequence[int]) -> np.ndarray:
        """BM25 score of each given passage (0 where no term matches)."""

    def idf(self, tokens: Sequence[str]) -> dict[str, float]:
        """BM25 idf of each term that occurs in the corpus."""

    # records
    def passages(self, ids: Sequence[int]) -> list[PassageRecord]: ...

    def sentence_vectors(self, ids: Sequence[int]) -> SentenceBlock:
        """float32 ``[n_sentences, dim]`` per passage, in ``PassageRecord.sentences`` order, back
        to back in one block (``SentenceBlock.of`` builds one from a list)."""

    def document(self, doc_id: str) -> Document:
        """Raises ``KeyError`` for an unknown id."""

    def documents(self) -> Iterator[Document]:
        """Every document, streamed (an archive need not fit in memory)."""

    def doc_meta(self) -> Sequence[DocMeta]:
        """Metadata of every document (no text), for callers that list the archive (``info``, the
        contract suite). The ranker does not iterate it when the backend also offers
        ``meta_summary()`` (``backends.summary.MetaSummary`` of the live documents),
        ``docs_mentioning(stored meeting keys)`` and ``count_undated(filter)``: the local store
        answers those from per-segment summaries and columns, so opening a version and building
        its ranker cost O(segments), not O(articles). Without them the ranker reads this once."""

    def copies(self, doc_id: str) -> tuple[str, ...]:
        """Ids of the document's near copies (syndicated versions)."""

    def passage_ids(self, doc_id: str) -> list[int]: ...


@runtime_checkable
class WritableBackend(Backend, Protocol):
    def apply(self, change: ChangeSet) -> WritableBackend:
        """Apply ``change`` atomically; return a view of the new version (this one is unchanged)."""

    def fingerprints(self) -> dict[str, Fingerprint]:
        """``Fingerprint`` of every live document, by doc id (for dedup and unchanged inputs)."""

    def embedded(self, doc_ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(cache keys uint8 [n, 32], float16 vectors [n, dim])`` stored for these documents'
        passages and sentences, so a changed article re-embeds only its changed texts."""

    def stale_kind(self, vector_kind: str | None) -> bool:
        """Whether the stored vector index does not honour a request for ``vector_kind``."""


class Store(Protocol):
    """Where an index lives: opens its live version, creates a first one, serialises writers.

    ``work_dir`` is a local folder for what a build keeps beside the store (its embedding
    journal, so an interrupted build resumes)."""

    location: str
    work_dir: Path

    def open(self) -> WritableBackend | None:
        """The live version, or None when the store holds no index yet."""

    def create(self, change: ChangeSet) -> WritableBackend:
        """Replace whatever the store holds with exactly ``change.add`` (a full build)."""

    def writer_lock(self, timeout: float) -> AbstractContextManager[None]:
        """Held for a whole read-modify-write; a second writer waits, then fails clearly."""
