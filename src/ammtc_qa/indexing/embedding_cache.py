"""Embedding cache: a build embeds only the texts no earlier build (or interrupted run) did.

A vector is keyed by ``sha256(model name + "\\0" + embedded text)``, so a changed header, a
changed passage or another model is simply a miss. Vectors live in two places, neither
holding anything but raw numbers (no pickles):

* **In the store, beside each passage and sentence vector** (the local store's segments keep
  the key of every text they embedded): when a change replaces an article, the vectors of
  its unchanged passages and sentences are taken from the version it replaces, so an edited
  article costs only its edited texts.
* **In a journal** (``<index>/.embedding-journal/<run>-d<dim>.keys`` / ``.f16``): raw records
  appended after every finished batch of a build. A build that is interrupted (Ctrl-C,
  killed, out of memory) leaves its journal behind; the next build reads it and resumes
  where it stopped. A torn last record is ignored, and a vector that is not of unit length
  (a crash filling a file with zeros) is not trusted. Journals are deleted once a version
  that contains their vectors is committed.

Every vector, fresh or cached, goes through float16, so an index is the same whether its
vectors came from the cache or from the model.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import storage_errors

log = logging.getLogger("ammtc_qa")

JOURNAL_DIR = ".embedding-journal"
KEY_BYTES = 32
_JOURNAL_NAME = re.compile(r"^(?P<run>[0-9a-f]{32})-d(?P<dim>\d+)\.keys$")


def text_keys(model: str, texts: Iterable[str]) -> np.ndarray:
    """``uint8 [n, 32]``: the cache key of each text for ``model``."""
    prefix = model.encode("utf-8") + b"\0"
    digests = b"".join(hashlib.sha256(prefix + t.encode("utf-8", "surrogatepass")).digest() for t in texts)
    return np.frombuffer(digests, dtype=np.uint8).reshape(-1, KEY_BYTES).copy()


class VectorTable:
    """Vectors looked up by key (sorted on the keys' first 8 bytes, confirmed on all 32)."""

    def __init__(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        keys = np.ascontiguousarray(keys, dtype=np.uint8).reshape(-1, KEY_BYTES)
        self.keys64 = keys.view(np.uint64)  # [n, 4]
        self.vectors = vectors
        self.order = np.argsort(self.keys64[:, 0], kind="stable")
        self.first = self.keys64[self.order, 0]

    def __len__(self) -> int:
        return len(self.keys64)

    def find(self, keys: np.ndarray) -> np.ndarray:
        """Row of each key in this table, -1 where absent."""
        out = np.full(len(keys), -1, dtype=np.int64)
        if not len(self) or not len(keys):
            return out
        q = np.ascontiguousarray(keys, dtype=np.uint8).view(np.uint64)
        pos = np.minimum(np.searchsorted(self.first, q[:, 0]), len(self.first) - 1)
        rows = self.order[pos]
        hit = np.all(self.keys64[rows] == q, axis=1)
        out[hit] = rows[hit]
        return out


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors.astype(np.float32), axis=1)
    return np.abs(norms - 1.0) < 0.01


class Journal:
    """Append-only record of the vectors embedded by builds of one index folder."""

    def __init__(self, index_dir: Path, dim: int) -> None:
        self.folder = index_dir / JOURNAL_DIR
        self.dim = dim
        self.run = uuid.uuid4().hex
        self.found: list[Path] = []  # journals of earlier runs read by this one
        self._keys: Any = None
        self._vectors: Any = None

    @property
    def _own(self) -> tuple[Path, Path]:
        stem = self.folder / f"{self.run}-d{self.dim}"
        return stem.with_suffix(".keys"), stem.with_suffix(".f16")

    def read(self) -> VectorTable | None:
        """Every complete, sane record left by earlier runs."""
        if not self.folder.is_dir():
            return None
        keys, vectors = [], []
        row_bytes = self.dim * 2
        for path in sorted(self.folder.iterdir()):
            m = _JOURNAL_NAME.match(path.name)
            if not m or int(m["dim"]) != self.dim:
                continue
            try:
                k = np.frombuffer(path.read_bytes(), dtype=np.uint8)
                v = np.frombuffer(path.with_suffix(".f16").read_bytes(), dtype=np.float16)
            except OSError:
                continue
            self.found.append(path)
            n = min(len(k) // KEY_BYTES, len(v) * 2 // row_bytes)
            if not n:
                continue
            k = k[: n * KEY_BYTES].reshape(n, KEY_BYTES)
            v = v[: n * self.dim].reshape(n, self.dim)
            good = _unit_rows(v)
            keys.append(k[good])
            vectors.append(v[good])
        if not keys:
            return None
        table = VectorTable(np.concatenate(keys), np.concatenate(vectors))
        log.info("resuming: %d vectors from an interrupted build", len(table))
        return table

    def append(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Record a finished batch (vectors first: a record counts once its key is written)."""
        with storage_errors(self.folder, "record embedded vectors in the build journal"):
            if self._keys is None:
                self.folder.mkdir(parents=True, exist_ok=True)
                keys_path, vectors_path = self._own
                self._vectors = open(vectors_path, "ab")  # noqa: SIM115 - kept open across batches
                self._keys = open(keys_path, "ab")  # noqa: SIM115
            self._vectors.write(np.ascontiguousarray(vectors, dtype=np.float16).tobytes())
            self._vectors.flush()
            self._keys.write(np.ascontiguousarray(keys, dtype=np.uint8).tobytes())
            self._keys.flush()

    def close(self) -> None:
        for handle in (self._keys, self._vectors):
            if handle is not None:
                handle.close()
        self._keys = self._vectors = None

    def discard(self) -> None:
        """Delete this run's journal and the ones it read: their vectors are in a committed version."""
        self.close()
        paths = [*self.found, self._own[0]]
        for keys_path in paths:
            for path in (keys_path, keys_path.with_suffix(".f16")):
                with contextlib.suppress(OSError):
                    path.unlink()
        with contextlib.suppress(OSError):
            self.folder.rmdir()  # only when empty (another build may be writing its own)


def embed_with_cache(texts: Sequence[str], embedder: Any, *, previous: VectorTable | None, journal: Journal,
                     batch_size: int, progress: bool, resume: bool = True) -> tuple[np.ndarray, np.ndarray,
                                                                                   dict[str, int]]:
    """Vectors (float16 ``[n, dim]``) for ``texts``, embedding only those not cached.

    ``previous``: vectors already stored for these texts (the articles a change replaces);
    ``resume=False`` ignores the journals of interrupted builds (a forced rebuild recomputes).
    Returns ``(vectors, keys, stats)``. Texts are batched by length (less padding per batch), the
    batches run in a shuffled order (an honest first ETA) under one progress bar; each finished
    batch goes to the journal.
    """
    keys = text_keys(embedder.name, texts)
    unique, first, inverse = np.unique(keys.view(f"V{KEY_BYTES}").ravel(), return_index=True,
                                       return_inverse=True)
    ukeys = keys[first]
    uvecs = np.zeros((len(ukeys), embedder.dim), dtype=np.float16)
    missing = np.ones(len(ukeys), dtype=bool)
    from_cache = from_journal = 0
    for table, label in ((previous, "cache"), (journal.read() if resume else None, "journal")):
        if table is None:
            continue
        rows = table.find(ukeys)
        hit = missing & (rows >= 0)
        uvecs[hit] = table.vectors[rows[hit]]
        missing &= ~hit
        if label == "cache":
            from_cache = int(hit.sum())
        else:
            from_journal = int(hit.sum())
    todo = np.flatnonzero(missing)
    todo = todo[np.argsort([-len(texts[first[i]]) for i in todo], kind="stable")]
    stats = {"texts": len(texts), "unique": len(ukeys), "cached": from_cache, "resumed": from_journal,
             "embedded": len(todo)}
    try:
        if len(todo):
            _embed_batches(texts, first, todo, ukeys, uvecs, embedder, journal, batch_size, progress, stats)
    finally:
        journal.close()
    return uvecs[inverse.ravel()], keys, stats


def _embed_batches(texts: Sequence[str], first: np.ndarray, todo: np.ndarray, ukeys: np.ndarray,
                   uvecs: np.ndarray, embedder: Any, journal: Journal, batch_size: int, progress: bool,
                   stats: dict[str, int]) -> None:
    done_before = stats["cached"] + stats["resumed"]
    desc = f"Embedding {len(todo):,} texts" + (f" ({done_before:,} cached)" if done_before else "")
    # Batches hold texts of similar length (sorted: little padding), but run in a shuffled order: a
    # bar that saw only the longest texts first would give an ETA several times too long.
    starts = np.random.default_rng(0).permutation(np.arange(0, len(todo), batch_size))
    batches = [todo[lo:lo + batch_size] for lo in starts.tolist()]
    # The embedder runs the batches: in this process, or on a Ray actor pool (``ray_executor``), which
    # yields them as they finish, in any order; each carries its number, so its rows are known.
    runner = getattr(embedder, "encode_batches", None)
    if runner is None:  # a bare encoder (a stand-in in tests): one call per batch, in order
        def runner(texts_of: Sequence[Sequence[str]]) -> Any:
            for number, batch in enumerate(texts_of):
                yield number, embedder.encode(list(batch), batch_size=len(batch), progress=False)
    with _progress_bar(len(todo), desc, progress) as bar:
        for number, got in runner([[texts[first[i]] for i in rows] for rows in batches]):
            rows = batches[number]
            vectors = np.asarray(got, dtype=np.float32)
            if vectors.shape != (len(rows), embedder.dim):
                raise RuntimeError(f"embedder returned shape {vectors.shape} for {len(rows)} texts")
            uvecs[rows] = vectors.astype(np.float16)
            journal.append(ukeys[rows], uvecs[rows])
            bar.update(len(rows))


def _progress_bar(total: int, desc: str, progress: bool) -> Any:
    """A tqdm bar, disabled without ``progress``. (tqdm's lock is shared across fork: the fork hook
    in ``embedding`` gives each child its own, so a build killed inside tqdm hangs no sibling.)"""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="text", dynamic_ncols=True, smoothing=0.1, disable=not progress)
