"""The Qdrant backend: the same ranking over a Qdrant collection (server, local mode or Edge).

What lives where: everything a reader needs is in one collection, so a second machine with
only the model and the URL answers with exact citations.

* one point per passage (id = the passage id): its vector (``dense``, dot product), its span,
  sentence spans and sentence vectors (float16 bytes in the payload), its embedding-cache
  keys, the article metadata filters read (``doc``, ``meetings``, ``date`` as an ordinal,
  casefolded ``publisher``/``language``), and its BM25 terms in a text-indexed field;
* one point per article (a uuid from its id): the cleaned document, its metadata, text sha256,
  near-copy sketch and links, and where its passages are (``first_pid``, ``n``);
* one state point (the build state of ``ChangeSet.state``, the next passage id, a generation
  counter and counts) and, while a change runs, one change marker.

BM25 is the engine's: a text index with BM25 scoring ranks by ``TextQuery`` with our k1 and b,
from statistics it keeps itself (N, document frequencies, lengths, average length) over every
point that holds terms. Its score is ``(k1 + 1)`` times bm25s's Lucene variant (checked
against bm25s in ``tests/test_backend_qdrant.py``), so we divide. Tokenisation stays ours:
each of our tokens is stored as ``t`` + 16 hex digits of its BLAKE2b hash, one "word" for the
engine's word tokenizer whatever the token holds (digits, ``_``, diacritics). A query term
repeated in the question counts once in the engine but twice in bm25s: the terms are grouped
by multiplicity and the groups' scores added, with a threshold test that widens the engine's
candidate list until the weighted top k is exact (``lexical_search``). The alternative —
sparse vectors with ``Modifier.IDF`` — applies only the idf in the engine; the length
normalisation would be baked into stored values with the average length at write time, which
drifts as the archive grows.

Changes: Qdrant has no transactions, so ``apply`` is ordered to be recoverable. A marker is
written first (old and new next passage id, the articles leaving, the links to set); the new
passages and articles are written under ids a reader's view ignores (every search filters
``pid < next_pid`` of the view); the state point is committed; the replaced and removed
articles' points are deleted; the marker goes last. Opening a collection with a marker left by
a dead writer rolls the change back (not committed) or finishes it (committed). While a change
runs, readers see the committed version plus, for a moment, both copies of a replaced article
and BM25 statistics that already count the new passages.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
import os
import socket
from collections import Counter, OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..._version import __version__
from ...errors import IndexCorruptError, IndexUnavailableError, ReadOnlyIndexError, WriterBusyError
from ...input.document import Document
from ...paths import keyed
from ..base import ChangeSet, Fingerprint, Hits, IndexedDocument, PassageRecord, SentenceBlock
from ..filters import DocMeta, Filter
from ..local.store import writer_lock
from .engine import TEXT, ClientEngine, Cond, EdgeEngine, Engine, PointId, QdrantUnavailableError, point_uuid

log = logging.getLogger("ammtc_qa")

FORMAT = 1
"""Layout of the collection (points and payload fields); a collection of another is rebuilt."""
STATE_ID = point_uuid("state", "state")
MARKER_ID = point_uuid("marker", "change")
PASSAGE_FIELDS = ["doc", "start", "end", "pos", "sents", "svec"]
DOC_FIELDS = ["doc", "first_pid", "n", "meta", "text_sha", "anchors", "copies", "raw_sha"]


@dataclass(frozen=True)
class QdrantOptions:
    """How the store talks to Qdrant (``backend_options`` other than the client's own)."""

    collection: str = "ammtc_qa"
    """Collection name (Qdrant Edge: ignored, one shard per folder)."""
    engine: str = "client"
    """``"client"`` (qdrant-client: ``url=``, ``location=":memory:"``, ``path=``) or ``"edge"``
    (qdrant-edge-py, the Rust engine in-process, needs ``path=``)."""
    batch_size: int = 256
    """Points per upsert request."""
    exact: bool = False
    """Exact (brute-force) dense search on a server; else HNSW. ``vector_kind="Flat"`` sets it.
    Local mode always searches exactly."""
    shards: int | None = None
    """Shards of a new collection on a cluster (None: the server's default, 1). BM25 statistics
    are per shard in Qdrant: one shard keeps scores equal to a one-machine build."""
    replicas: int | None = None
    """Replication factor of a new collection on a cluster (None: the server's default)."""
    cache_passages: int = 65536
    """Passage records (span, sentences, vectors) kept in memory per view; a passage id's
    content never changes, so the cache needs no invalidation."""


@dataclass(frozen=True)
class DocEntry:
    point: str
    first_pid: int
    n: int
    meta: DocMeta
    text_sha: str
    anchors: tuple[int, ...]
    copies: tuple[str, ...]
    raw_sha: str = ""


def term(token: str) -> str:
    """One of our BM25 tokens as a single word for the engine's word tokenizer."""
    return "t" + hashlib.blake2b(token.encode("utf-8"), digest_size=8).hexdigest()


class QdrantStore:
    """An index in a Qdrant collection. ``index_dir`` is the local work folder (the build's
    embedding journal and writer lock; None: a folder in the user cache keyed by the collection's
    location, ``paths.keyed("qdrant", ...)``, so every build of one collection on this machine
    shares one lock whatever its working directory); the index itself lives in the engine.

    ``read_only``: a reader (``load()`` without a corpus folder): it never writes, not even to
    recover a change a dead writer left; its view leaves such a change out (see ``open``).
    ``close()`` releases the client (local mode ``path=`` and Edge lock their folder)."""

    def __init__(self, index_dir: str | os.PathLike[str] | None = None, *, verify: bool | str = True,
                 vector_kind: str | None = None, merge_factor: int = 8, min_merge: int = 256,
                 collection: str = "ammtc_qa", engine: str = "client", batch_size: int = 256,
                 exact: bool | None = None, shards: int | None = None, replicas: int | None = None,
                 read_only: bool = False, **client_options: Any) -> None:
        self.read_only = read_only
        self._exact_given = exact is not None or vector_kind is not None
        self.options = QdrantOptions(collection=collection, engine=engine, batch_size=batch_size,
                                     exact=bool(exact) if exact is not None else vector_kind == "Flat",
                                     shards=shards, replicas=replicas)
        if engine == "edge":
            path = client_options.pop("path", None)
            if path is None or client_options:
                raise IndexUnavailableError("backend_options for engine='edge': give path= (a folder) and no "
                                            f"client options (got {sorted(client_options)})")
            self.engine: Engine = EdgeEngine(path)
        elif engine == "client":
            self.engine = ClientEngine(collection, client_options, shards, replicas)
        else:
            raise IndexUnavailableError(f"backend_options engine={engine!r}: use 'client' or 'edge'")
        self.location = self.engine.address
        self.work_dir = Path(index_dir) if index_dir is not None else keyed("qdrant", self.engine.key)
        self.pending: str | None = None
        """Set by ``open`` when the collection holds a change another writer has not finished."""
        self._locked = False

    def close(self) -> None:
        """Release the engine's client (and, in local mode or Edge, the folder's lock); idempotent."""
        self.engine.close()

    def __enter__(self) -> QdrantStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _writable(self) -> None:
        if self.read_only:
            raise ReadOnlyIndexError(f"{self.location} is open read-only (no corpus folder was given): "
                                        "changing the index needs its corpus folder, load(corpus_dir=..., "
                                        "backend='qdrant', backend_options=...)")

    # -- Store -------------------------------------------------------------------------------
    def open(self) -> QdrantBackend | None:
        if not self.engine.exists():
            return None
        state = self._state_point()
        if state is None:
            if self.engine.count([]) == 0:
                return None
            raise IndexUnavailableError(f"{self.location} holds points but no ammtc-qa state: it was not built "
                                        "by ammtc-qa; choose another collection= (or delete this one)")
        if state.get("format") != FORMAT:
            raise IndexCorruptError(f"{self.location}: collection format {state.get('format')!r} is not {FORMAT}; "
                                    "rebuild with `ammtc-qa index --force`")
        missing = [f for f in ("next_pid", "generation", "state", "dim") if f not in state]
        dim = self.engine.dense_dim()
        if dim is None:
            missing.append(f"the {'dense'!r} vector")
        elif "dim" in state and dim != int(state["dim"]):
            missing.append(f"a {state['dim']}-wide vector (it has {dim})")
        if not self.engine.has_text_index():
            missing.append(f"the BM25 text index on {TEXT!r}")
        if missing:
            raise IndexCorruptError(f"{self.location} lacks {', '.join(missing)}; rebuild with "
                                    "`ammtc-qa index --force` (or load(..., rebuild='always'))")
        marker = self._marker()
        self.pending = None
        if marker is not None and not self.read_only and self._may_recover(marker):
            self._recover(marker)
            state = self._state_point() or state
            marker = None
        elif marker is not None:
            committed = _committed(marker, state)
            how = "committed but not finished" if committed else "not committed"
            self.pending = (f"{self.location}: a change from {marker.get('host')} (pid {marker.get('pid')}, started "
                            f"{marker.get('started_at')}) is {how}; serving "
                            f"{'the new' if committed else 'the last committed'} version without its "
                            "unfinished part (BM25 statistics may count its passages). A writer with the corpus "
                            "folder on that machine recovers it")
            log.warning("%s", self.pending)
        backend = QdrantBackend(self, state, marker)
        if self.read_only and not self._exact_given:  # served as built: vector_kind="Flat" stays exact
            self.options = replace(self.options, exact=backend._state.get("settings", {}).get("vector_kind") == "Flat")
        return backend

    def create(self, change: ChangeSet) -> QdrantBackend:
        self._writable()
        dims = {int(np.asarray(p.vector).shape[-1]) for d in change.add for p in d.passages}
        if len(dims) != 1:
            raise IndexUnavailableError(f"{self.location}: a first build needs passages of one vector width "
                                        f"(got {sorted(dims) or 'none'})")
        dim = dims.pop()
        self.engine.create(dim)
        empty = {"format": FORMAT, "next_pid": 0, "generation": 0, "state": "{}", "dim": dim, "kind": "s",
                 "counts": {"documents": 0, "chunks": 0}}
        self.engine.upsert([(STATE_ID, None, empty)])
        return QdrantBackend(self, empty).apply(change)

    def writer_lock(self, timeout: float = 600) -> AbstractContextManager[None]:
        self._writable()
        return self._lock(timeout)

    @contextmanager
    def _lock(self, timeout: float) -> Iterator[None]:
        if self._locked:  # re-entered by this store (apply inside a refresh)
            yield
            return
        self.work_dir.mkdir(parents=True, exist_ok=True)
        with writer_lock(self.work_dir, timeout=timeout):
            self._locked = True
            try:
                yield
            finally:
                self._locked = False

    # -- points the store keeps ------------------------------------------------------------------
    def _state_point(self) -> dict[str, Any] | None:
        got = self.engine.retrieve([STATE_ID], True, False)
        return got[0].payload if got else None

    def _marker(self) -> dict[str, Any] | None:
        got = self.engine.retrieve([MARKER_ID], True, False)
        return got[0].payload if got else None

    def _may_recover(self, marker: Mapping[str, Any]) -> bool:
        """Whether the writer that left ``marker`` is gone: ours (we hold the lock), or one of
        this machine whose lock is free. A marker from another machine is left to it."""
        if self._locked:
            return True
        if marker.get("host") != socket.gethostname():
            return False
        try:
            with self._lock(timeout=0):
                return True
        except WriterBusyError:
            return False

    def _recover(self, marker: Mapping[str, Any]) -> None:
        state = self._state_point() or {}
        old_next = int(marker["old_next"])
        if _committed(marker, state):
            log.warning("%s: finishing a change interrupted after its commit (started %s)", self.location,
                        marker.get("started_at"))
            self._finish(set(marker.get("remove", [])), old_next, dict(marker.get("copies", {})))
        else:
            log.warning("%s: rolling back a change interrupted before its commit (started %s); the next "
                        "refresh makes it again", self.location, marker.get("started_at"))
            self.engine.delete([Cond("any", "kind", ("p",)), Cond("range", "pid", gte=old_next)])
            self.engine.delete([Cond("any", "kind", ("d",)), Cond("range", "first_pid", gte=old_next)])
            self.engine.delete_ids([MARKER_ID])

    def _finish(self, gone: set[str], old_next: int, copies: dict[str, list[str]]) -> None:
        """The part of a change after its commit (idempotent): delete what left, set links."""
        if gone:
            ids = tuple(sorted(gone))
            self.engine.delete([Cond("any", "kind", ("p",)), Cond("any", "doc", ids),
                                Cond("range", "pid", lt=old_next)])
            self.engine.delete([Cond("any", "kind", ("d",)), Cond("any", "doc", ids),
                                Cond("range", "first_pid", lt=old_next)])
        if copies:
            points = {r.payload["doc"]: r for r in self.engine.scroll(
                [Cond("any", "kind", ("d",)), Cond("any", "doc", tuple(copies))], True)}
            if points:  # the linked articles may all be gone (an empty upsert is an error)
                self.engine.upsert([(r.id, None, {**r.payload, "copies": list(copies[d])})
                                    for d, r in points.items()])
        state = self._state_point() or {}
        counts = {"documents": self.engine.count([Cond("any", "kind", ("d",))]),
                  "chunks": self.engine.count([Cond("any", "kind", ("p",))])}
        self.engine.upsert([(STATE_ID, None, {**state, "counts": counts})])
        self.engine.delete_ids([MARKER_ID])


class QdrantBackend:
    """One committed version of a Qdrant collection, as ranking reads it.

    The article directory (metadata, where each article's passages are) is read at open, as
    the local backend does; searches and records go to the engine and ignore passages added
    after this version."""

    name = "qdrant"

    def __init__(self, store: QdrantStore, state: Mapping[str, Any], marker: Mapping[str, Any] | None = None
                 ) -> None:
        self.store = store
        self.engine = store.engine
        self._point = dict(state)
        self._state: dict[str, Any] = json.loads(state.get("state") or "{}")
        settings = self._state.get("settings", {})
        self.k1 = float(settings.get("bm25_k1", 0.9))
        self.b = float(settings.get("bm25_b", 0.4))
        self.next_pid = int(state.get("next_pid", 0))
        self.generation = int(state.get("generation", 0))
        self._dim = int(state.get("dim", 0))
        self.version = f"{store.location} generation {self.generation}"
        # a committed change whose clean-up another writer has not finished: leave out what it removes
        gone: set[str] = set()
        self._gone: list[Cond] = []
        links: dict[str, list[str]] = {}
        if marker is not None and _committed(marker, state):
            gone, links = set(marker.get("remove", ())), dict(marker.get("copies", {}))
            if gone:
                self._gone = [Cond("not", values=(Cond("any", "doc", tuple(sorted(gone))),
                                                  Cond("range", "pid", lt=int(marker["old_next"]))))]
        directory: dict[str, DocEntry] = {}
        if self.next_pid:
            for r in self.engine.scroll([Cond("any", "kind", ("d",)), Cond("range", "first_pid", lt=self.next_pid)],
                                        DOC_FIELDS):
                p = r.payload
                entry = DocEntry(str(r.id), int(p["first_pid"]), int(p["n"]), DocMeta.from_json(p["meta"]),
                                 str(p.get("text_sha", "")), tuple(int(a) for a in p.get("anchors", ())),
                                 tuple(links.get(str(p["doc"]), p.get("copies", ()))), str(p.get("raw_sha", "")))
                if entry.meta.doc_id in gone and marker is not None and entry.first_pid < int(marker["old_next"]):
                    continue
                old = directory.get(entry.meta.doc_id)
                if old is None or old.first_pid < entry.first_pid:  # a replacement not yet cleaned up
                    directory[entry.meta.doc_id] = entry
        self.directory = directory
        self._n = sum(e.n for e in directory.values())
        self._cache: OrderedDict[int, tuple[dict[str, Any], list[float] | None]] = OrderedDict()
        self.document = lru_cache(maxsize=4096)(self._document)  # type: ignore[method-assign]

    # -- facts ---------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._n

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def state(self) -> Mapping[str, Any]:
        counts = {"documents": len(self.directory), "chunks": self._n,
                  "linked_copies": sum(1 for d in self.directory if self.copies(d))}
        return {**self._state, "counts": counts, "version": self.version, "built_at": self._point.get("built_at"),
                "vector_kind": "qdrant-exact" if self.store.options.exact else "qdrant-hnsw"}

    def _conds(self, where: Filter | None) -> list[Cond] | None:
        """The committed passages ``where`` allows, as engine conditions (None: nothing matches)."""
        conds = [Cond("any", "kind", ("p",)), Cond("range", "pid", lt=self.next_pid), *self._gone]
        if where is None:
            return conds
        for key, values in (("doc", where.doc_ids), ("meetings", where.meetings), ("publisher", where.publishers),
                            ("language", where.languages)):
            if values is not None:
                if not values:
                    return None
                conds.append(Cond("any", key, tuple(sorted(values))))
        if where.dated:
            conds.append(Cond("range", "date", gte=where.since.toordinal() if where.since else None,
                              lt=where.until.toordinal() + 1 if where.until else None))
        return conds

    # -- dense ---------------------------------------------------------------------------------
    def dense_search(self, query: np.ndarray, k: int, where: Filter | None = None) -> Hits:
        conds = self._conds(where)
        if conds is None or k <= 0 or not self._n:
            return Hits.empty()
        q = np.asarray(query, dtype=np.float32).reshape(-1).tolist()
        hits = self.engine.dense(q, k, conds, self.store.options.exact)
        return Hits.top(np.array([i for i, _ in hits], dtype=np.int64), np.array([s for _, s in hits]), k)

    def _records(self, ids: Sequence[int]) -> list[tuple[dict[str, Any], list[float] | None]]:
        want = [int(i) for i in ids if int(i) not in self._cache]
        if want:
            for r in self.engine.retrieve(sorted(set(want)), PASSAGE_FIELDS, True):
                self._cache[int(r.id)] = (r.payload, r.vector)
                if len(self._cache) > self.store.options.cache_passages:
                    self._cache.popitem(last=False)
        out = []
        for i in ids:
            try:
                out.append(self._cache[int(i)])
            except KeyError:
                raise KeyError(f"no passage {int(i)} in {self.store.location}") from None
        return out

    def vectors(self, ids: Sequence[int]) -> np.ndarray:
        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        for j, (_, vec) in enumerate(self._records(ids)):
            out[j] = vec
        return out

    # -- lexical -------------------------------------------------------------------------------
    def _groups(self, tokens: Sequence[str]) -> dict[int, list[str]]:
        groups: dict[int, list[str]] = {}
        for t, n in sorted(Counter(tokens).items()):
            groups.setdefault(n, []).append(t)
        return groups

    def _text(self, terms: Sequence[str], k: int, conds: list[Cond]) -> list[tuple[int, float]]:
        return self.engine.text(" ".join(term(t) for t in terms), k, conds, self.k1, self.b)

    def idf(self, tokens: Sequence[str]) -> dict[str, float]:
        distinct = sorted(set(tokens))
        if not distinct:
            return {}
        n = self.engine.count([Cond("has", TEXT)])
        out = {}
        for t in distinct:
            df = self.engine.count([Cond("text", TEXT, (term(t),))])
            if df:
                out[t] = float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))
        return out

    def lexical_search(self, tokens: Sequence[str], k: int, where: Filter | None = None) -> Hits:
        conds = self._conds(where)
        groups = self._groups(tokens)
        if conds is None or k <= 0 or not groups:
            return Hits.empty()
        scale = 1.0 / (1.0 + self.k1)
        if len(groups) == 1:
            (mult, terms), = groups.items()
            hits = self._text(terms, k, conds)
            ids = np.array([i for i, _ in hits], dtype=np.int64)
            scores = np.array([s * scale * mult for _, s in hits], dtype=np.float32)
            return Hits.top(ids[scores > 0], scores[scores > 0], k)
        # weighted by multiplicity: any passage outside the engine's unweighted top `depth`
        # scores at most top_mult x the last unweighted score, so widen until the kth beats it
        everything = [t for ts in groups.values() for t in ts]
        top_mult = max(groups)
        depth = k
        while True:
            hits = self._text(everything, depth, conds)
            if not hits:
                return Hits.empty()
            ids = np.array([i for i, _ in hits], dtype=np.int64)
            scores = self._weighted(groups, ids)
            best = Hits.top(ids[scores > 0], scores[scores > 0], k)
            if len(hits) < depth or (len(best) == k and best.scores[-1] >= top_mult * hits[-1][1] * scale):
                return best
            depth *= 4

    def _weighted(self, groups: Mapping[int, Sequence[str]], ids: np.ndarray) -> np.ndarray:
        out = np.zeros(len(ids), dtype=np.float64)
        at = {int(p): j for j, p in enumerate(ids.tolist())}
        only = [Cond("ids", values=tuple(at))]
        for mult, terms in groups.items():
            for pid, s in self._text(terms, len(at), only):
                out[at[pid]] += mult * s / (1.0 + self.k1)
        return out.astype(np.float32)

    def lexical_scores(self, tokens: Sequence[str], ids: Sequence[int]) -> np.ndarray:
        groups = self._groups(tokens)
        if not groups or not len(ids):
            return np.zeros(len(ids), dtype=np.float32)
        return self._weighted(groups, np.asarray(ids, dtype=np.int64))

    # -- records -------------------------------------------------------------------------------
    def passages(self, ids: Sequence[int]) -> list[PassageRecord]:
        out = []
        for pid, (p, _) in zip(ids, self._records(ids), strict=True):
            out.append(PassageRecord(int(pid), str(p["doc"]), int(p["start"]), int(p["end"]), int(p["pos"]),
                                     tuple((int(a), int(b)) for a, b in p["sents"])))
        return out

    def sentence_vectors(self, ids: Sequence[int]) -> SentenceBlock:
        return SentenceBlock.of([_f16(p["svec"], self.dim) for p, _ in self._records(ids)], self.dim)

    def _document(self, doc_id: str) -> Document:
        entry = self.directory.get(doc_id)
        if entry is None:
            raise KeyError(f"no document with id {doc_id!r} in {self.store.location}")
        got = self.engine.retrieve([entry.point], ["json"], False)
        if not got:
            raise KeyError(f"document {doc_id!r} was removed from {self.store.location} after this version")
        return Document.from_json(got[0].payload["json"])

    def documents(self) -> Iterator[Document]:
        live = {e.point for e in self.directory.values()}
        for r in self.engine.scroll([Cond("any", "kind", ("d",)), Cond("range", "first_pid", lt=self.next_pid)],
                                    ["json"], batch=256):
            if str(r.id) in live:
                yield Document.from_json(r.payload["json"])

    def doc_meta(self) -> list[DocMeta]:
        return [e.meta for e in self.directory.values()]

    def copies(self, doc_id: str) -> tuple[str, ...]:
        entry = self.directory.get(doc_id)
        return tuple(c for c in entry.copies if c in self.directory) if entry else ()

    def passage_ids(self, doc_id: str) -> list[int]:
        e = self.directory[doc_id]
        return list(range(e.first_pid, e.first_pid + e.n))

    # -- for builds ----------------------------------------------------------------------------
    def fingerprints(self) -> dict[str, Fingerprint]:
        return {d: Fingerprint(e.text_sha, e.anchors, e.raw_sha) for d, e in self.directory.items()}

    def embedded(self, doc_ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        keys: list[np.ndarray] = [np.zeros((0, 32), dtype=np.uint8)]
        vecs: list[np.ndarray] = [np.zeros((0, self.dim), dtype=np.float16)]
        pids = [p for d in doc_ids if d in self.directory for p in self.passage_ids(d)]
        for start in range(0, len(pids), 1024):
            for r in self.engine.retrieve(pids[start:start + 1024], ["key", "skeys", "svec"], True):
                p = r.payload
                skeys = bytes.fromhex(p.get("skeys", ""))
                keys.append(np.frombuffer(bytes.fromhex(p.get("key", "")) + skeys, dtype=np.uint8).reshape(-1, 32))
                vecs.append(np.asarray([r.vector], dtype=np.float16))
                vecs.append(_f16(p["svec"], self.dim))
        k, v = np.concatenate(keys), np.concatenate(vecs)
        return (k, v) if len(k) == len(v) else (np.zeros((0, 32), dtype=np.uint8),
                                                 np.zeros((0, self.dim), dtype=np.float16))

    def stale_kind(self, vector_kind: str | None) -> bool:
        return False  # exact or HNSW is a search parameter here, not a property of the stored index

    def apply(self, change: ChangeSet) -> QdrantBackend:
        store = self.store
        with store.writer_lock(600):
            marker = store._marker()
            if marker is not None:
                raise WriterBusyError(f"{store.location}: a change from {marker.get('host')} (pid "
                                       f"{marker.get('pid')}, started {marker.get('started_at')}) is pending; let it "
                                       "finish, or open the index on that machine to recover it")
            live = store._state_point() or self._point
            if int(live.get("generation", 0)) != self.generation:
                raise WriterBusyError(f"{store.location} changed since this version was opened (generation "
                                       f"{self.generation} -> {live.get('generation')}); open it again and retry")
            try:
                self._write(change, live)
            except BaseException as exc:
                try:
                    marker = store._marker()
                    if marker is not None:
                        store._recover(marker)
                except Exception:
                    raise QdrantUnavailableError(
                        f"{store.location}: a change was interrupted ({type(exc).__name__}: {str(exc)[:200]}) and "
                        "could not be undone; the collection holds a pending change marker, and the next open on "
                        "this machine rolls it back (or finishes it if it was committed)") from exc
                raise
            point = store._state_point() or live
        return QdrantBackend(store, point)

    def _write(self, change: ChangeSet, live: Mapping[str, Any]) -> None:
        """The ordered steps of a change (see the module docstring); the caller recovers."""
        store = self.store
        old_next = int(live.get("next_pid", 0))
        generation = int(live.get("generation", 0)) + 1
        gone = {d for d in set(change.remove) | {i.document.doc_id for i in change.add} if d in self.directory}
        new_next = old_next + sum(len(i.passages) for i in change.add)
        new_ids = {i.document.doc_id for i in change.add}
        kept_copies = {d: list(c) for d, c in change.copies.items() if d not in new_ids}
        store.engine.upsert([(MARKER_ID, None, {
            "kind": "m", "old_next": old_next, "new_next": new_next, "generation": generation,
            "remove": sorted(gone), "copies": kept_copies, "host": socket.gethostname(), "pid": os.getpid(),
            "started_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")})])
        batch: list[tuple[PointId, list[float] | None, dict[str, Any]]] = []
        pid = old_next
        for item in change.add:
            batch.append(_doc_point(item, pid, tuple(change.copies.get(item.document.doc_id, ()))))
            for position in range(len(item.passages)):
                batch.append(_passage_point(item, position, pid))
                pid += 1
                if len(batch) >= store.options.batch_size:
                    store.engine.upsert(batch)
                    batch = []
        if batch:
            store.engine.upsert(batch)
        state = {**self._state, **change.state}
        dim = self._dim or (int(np.asarray(change.add[0].passages[0].vector).shape[-1]) if change.add else 0)
        store.engine.upsert([(STATE_ID, None, {
            **live, "kind": "s", "format": FORMAT, "next_pid": new_next, "generation": generation, "dim": dim,
            "library_version": __version__, "state": json.dumps(state, ensure_ascii=False, default=str),
            "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")})])
        store._finish(gone, old_next, kept_copies)


def _committed(marker: Mapping[str, Any], state: Mapping[str, Any]) -> bool:
    """Whether the change ``marker`` describes was committed (the state point is its new version)."""
    return (int(state.get("next_pid", -1)) == int(marker.get("new_next", -2))
            and int(state.get("generation", -1)) == int(marker.get("generation", -2)))


def _doc_point(item: IndexedDocument, first_pid: int, copies: tuple[str, ...]
               ) -> tuple[PointId, None, dict[str, Any]]:
    doc = item.document
    meta = DocMeta.of(doc)
    return (point_uuid("doc", f"{doc.doc_id}\x00{first_pid}"), None, {
        "kind": "d", "doc": doc.doc_id, "first_pid": first_pid, "n": len(item.passages), "json": doc.to_json(),
        "meta": meta.to_json(), "text_sha": item.text_sha, "anchors": list(item.anchors), "copies": list(copies),
        "raw_sha": item.raw_sha})


def _passage_point(item: IndexedDocument, position: int, pid: int) -> tuple[PointId, list[float], dict[str, Any]]:
    doc = item.document
    p = item.passages[position]
    payload: dict[str, Any] = {
        "kind": "p", "pid": pid, "doc": doc.doc_id, "start": p.start, "end": p.end, "pos": position,
        "sents": [list(s) for s in p.sentences],
        "svec": base64.b64encode(np.ascontiguousarray(p.sentence_vectors, dtype=np.float16).tobytes()).decode(),
        "key": p.text_key.hex(), "skeys": b"".join(p.sentence_keys).hex(),
        "meetings": list(doc.meetings.mentioned), "publisher": (doc.publisher or "").casefold(),
        "language": (doc.language or "").casefold()}
    if doc.date is not None:
        payload["date"] = doc.date.toordinal()
    if p.tokens:
        payload[TEXT] = " ".join(term(t) for t in p.tokens)
    return pid, np.asarray(p.vector, dtype=np.float32).tolist(), payload


def _f16(encoded: str, dim: int) -> np.ndarray:
    return np.frombuffer(base64.b64decode(encoded), dtype=np.float16).reshape(-1, dim)
