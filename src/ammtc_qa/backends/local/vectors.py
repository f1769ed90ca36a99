"""Dense vector search with FAISS (inner product on unit vectors = cosine similarity).

The index kind is a FAISS factory string, chosen by corpus size unless the user names one
(``load(..., vector_kind=...)``):

* ``"Flat"``: exact brute force, while it is fast enough (up to ``FLAT_LIMIT`` passages);
* ``"IVF{nlist},SQ8"`` (``"IVF,SQ8"`` lets the size choose ``nlist``, about 2·√n): k-means
  cells and 8-bit scalar-quantised vectors (1 byte per dimension), ``nprobe`` = nlist/16.
  The default beyond ``FLAT_LIMIT``: at 1M synthetic passages (benchmarks/scale.py) it had
  recall@10 0.997 against exact search, 4 ms a search, 384 MB on disk and about 440 MB
  resident after 500 queries, and built in 20 s; float32 vectors alone would be 1.5 GB;
* ``"HNSW32,SQ8"``: graph search over the same 8-bit vectors: faster (0.3 ms) but lower
  recall (0.953 on the same data), 7x slower to build, and read fully into memory;
* ``"HNSW32"``: the graph over float32 vectors (4 bytes per dimension).

Aliases: ``"auto"``/None (by size), ``"exact"``/``"flat"``, ``"hnsw"``, ``"hnsw-sq8"``,
``"ivf"``. Every kind goes through ``VectorIndex``, so search code, filters and the contract
test in ``tests/test_vectors.py`` are shared. Indexes are loaded memory-mapped and read-only
(FAISS maps flat and IVF storage; an HNSW graph is read into memory).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import InvalidInputError

FLAT_LIMIT = 200_000
"""Above this many passages, exact search costs more than ~20 ms a question on 2 cores."""
LARGE_KIND = "IVF,SQ8"
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 96
EXACT_ALLOWED_LIMIT = 20_000
"""A whitelist this small is searched exactly (decoded vectors of the allowed rows), which is
faster and more accurate than a filtered graph or cell search."""
IVF_TRAIN_PER_LIST = 64
QUERY_THREADS = 1
"""FAISS's OpenMP threads for the search of one query (the calling thread's setting, restored
after). Splitting one query's scan over threads costs more than it gains here: a flat search
at 100k passages took 13.6 ms on one thread, 18.3 ms on two (2 cores, benchmarks/scale_notes.md),
and the second core is then free for the BM25 search that ranking runs beside it."""
ALIASES = {"exact": "Flat", "flat": "Flat", "hnsw": "HNSW32", "hnsw-sq8": "HNSW32,SQ8", "ivf": "IVF,SQ8",
           "ivf-sq8": "IVF,SQ8"}
_IVF = re.compile(r"^IVF(\d*)(,.*)?$")


def choose_kind(n_vectors: int) -> str:
    return "Flat" if n_vectors <= FLAT_LIMIT else resolve_kind(LARGE_KIND, n_vectors)


def ivf_lists(n_vectors: int) -> int:
    """About 2·√n cells (a power of two), but never fewer than 39 training points per cell."""
    target = 2 ** round(math.log2(max(2.0, 2 * math.sqrt(n_vectors))))
    return int(max(1, min(target, n_vectors // 39)))


def resolve_kind(kind: str | None, n_vectors: int) -> str:
    """The FAISS factory string for a user's ``vector_kind`` and a number of vectors."""
    if kind is None or kind == "auto":
        return choose_kind(n_vectors)
    if not isinstance(kind, str) or not kind.strip():
        raise InvalidInputError(f"vector_kind must be a FAISS factory string or one of {sorted(ALIASES)}, not {kind!r}")
    kind = ALIASES.get(kind.strip().lower(), kind.strip())
    m = _IVF.match(kind)
    if m and not m.group(1):
        kind = f"IVF{ivf_lists(n_vectors)}{m.group(2) or ',SQ8'}"
    return kind


def is_stale_kind(requested: str | None, built: str, n_vectors: int) -> bool:
    """Whether an index built as ``built`` does not honour a request for ``requested``."""
    if requested is None or requested == "auto":
        return False
    wanted = resolve_kind(requested, n_vectors)
    asked = _IVF.match(ALIASES.get(requested.strip().lower(), requested.strip()))
    w, b = _IVF.match(wanted), _IVF.match(built)
    if asked and not asked.group(1) and w and b:  # "IVF,SQ8": the number of cells follows the size
        return w.group(2) != b.group(2)
    return wanted != built


class VectorIndex:
    """A FAISS index over unit vectors, searchable with an optional whitelist of row ids."""

    def __init__(self, index: Any, kind: str) -> None:
        self.index = index
        self.kind = kind

    @classmethod
    def build(cls, vectors: np.ndarray, kind: str | None = None) -> VectorIndex:
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, dim = vectors.shape
        kind = resolve_kind(kind, n)
        try:
            index = faiss.index_factory(dim, kind, faiss.METRIC_INNER_PRODUCT)
        except RuntimeError as exc:
            raise InvalidInputError(f"vector_kind {kind!r} is not a FAISS index factory string ({exc})") from exc
        if kind.startswith("HNSW"):
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        ivf = _ivf(index)
        if not index.is_trained:
            if ivf is not None and n < ivf.nlist:
                raise InvalidInputError(f"vector_kind {kind!r} needs at least {ivf.nlist} vectors, got {n}")
            sample = vectors
            if ivf is not None and n > IVF_TRAIN_PER_LIST * ivf.nlist:
                rows = np.random.default_rng(0).choice(n, IVF_TRAIN_PER_LIST * ivf.nlist, replace=False)
                sample = vectors[np.sort(rows)]
            index.train(sample)
        index.add(vectors)
        if ivf is not None:
            ivf.nprobe = min(ivf.nlist, max(16, ivf.nlist // 16))
        return cls(index, kind)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    @property
    def approximate(self) -> bool:
        return self.kind != "Flat"

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` ``(scores, row ids)``; with ``allowed`` (a boolean mask over the rows, or row
        ids), only those rows compete: the selector is applied inside FAISS's search."""
        import faiss

        mask = None
        if allowed is not None:
            allowed = np.asarray(allowed)
            if allowed.dtype == bool:
                mask = allowed
            else:
                mask = np.zeros(len(self), dtype=bool)
                mask[allowed.astype(np.int64)] = True
        k = min(k, len(self) if mask is None else int(mask.sum()))
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        params = None
        ivf = _ivf(self.index)
        bits = np.packbits(mask, bitorder="little") if mask is not None else None
        sel = faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bits)) if mask is not None else None
        if self.kind.startswith("HNSW"):
            params = faiss.SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, k))
        elif ivf is not None:
            params = faiss.SearchParametersIVF(nprobe=ivf.nprobe)
        elif sel is not None:
            params = faiss.SearchParameters()
        if sel is not None:
            params.sel = sel
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(QUERY_THREADS)  # this thread's OpenMP setting, not the process's
        try:
            scores, ids = self.index.search(query, k, params=params)
        finally:
            faiss.omp_set_num_threads(threads)
        del bits
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path, kind: str) -> VectorIndex:
        import faiss

        return cls(faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY), kind)


def _ivf(index: Any) -> Any:
    import faiss

    try:
        return faiss.extract_index_ivf(index)
    except RuntimeError:
        return None
