"""The few Qdrant operations the store needs, over either Python API of the same engine.

``qdrant-client`` reaches a server (``url=``) or runs the engine's Python re-implementation
in-process (``":memory:"``, ``path=``); ``qdrant-edge-py`` runs the real Rust engine in-process
with an API of its own (one shard per folder). ``Engine`` is the common subset — upsert,
delete, retrieve, dense and BM25 queries, count, scroll — and ``Cond`` a filter small enough to
translate into either API's models, so ``store`` is written once and tested against both.

Every call that reaches a server turns a transport failure (refused, timed out, unauthorised)
into ``QdrantUnavailableError`` naming the address and the collection.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from ...errors import IndexUnavailableError

T = TypeVar("T")
PointId = int | str
DENSE = "dense"
"""Name of the passage vector."""
TEXT = "bm25"
"""Payload field holding a passage's BM25 terms (encoded, space-separated), text-indexed."""
KEYWORDS = ("kind", "doc", "meetings", "publisher", "language")
INTEGERS = ("pid", "first_pid", "date")


class QdrantUnavailableError(IndexUnavailableError):
    """The Qdrant engine cannot be reached or refused a request (address, collection, cause)."""


@dataclass(frozen=True)
class Cond:
    """One filter clause: ``any`` (the field holds one of ``values``), ``range`` (``gte`` <=
    field < ``lt``, either bound optional), ``ids`` (the point id is one of ``values``),
    ``text`` (the text field holds the token ``values[0]``), ``has`` (the field is not empty),
    ``not`` (not all of the clauses in ``values`` hold)."""

    op: str
    key: str = ""
    values: tuple[Any, ...] = ()
    gte: float | None = None
    lt: float | None = None


@dataclass(frozen=True)
class Record:
    id: PointId
    payload: dict[str, Any]
    vector: list[float] | None


class Engine(Protocol):
    address: str
    key: str
    """Which collection this is, the same string from any working directory (keys the local work folder)."""

    def exists(self) -> bool: ...

    def create(self, dim: int) -> None:
        """A new, empty collection (replacing any of the same name) with its payload indexes."""

    def dense_dim(self) -> int | None:
        """Width of the stored passage vectors, None when the collection has no such vector."""

    def has_text_index(self) -> bool: ...

    def upsert(self, points: Sequence[tuple[PointId, list[float] | None, dict[str, Any]]]) -> None: ...

    def delete(self, where: Sequence[Cond]) -> None: ...

    def delete_ids(self, ids: Sequence[PointId]) -> None: ...

    def retrieve(self, ids: Sequence[PointId], fields: Sequence[str] | bool, vectors: bool) -> list[Record]: ...

    def dense(self, vector: list[float], k: int, where: Sequence[Cond], exact: bool) -> list[tuple[int, float]]: ...

    def text(self, query: str, k: int, where: Sequence[Cond], k1: float, b: float) -> list[tuple[int, float]]: ...

    def count(self, where: Sequence[Cond]) -> int: ...

    def scroll(self, where: Sequence[Cond], fields: Sequence[str] | bool, batch: int = 1024) -> Iterator[Record]: ...

    def close(self) -> None: ...


def point_uuid(kind: str, key: str) -> str:
    """A stable point id for a non-passage point (passages use their integer id)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ammtc-qa:{kind}:{key}"))


# -- qdrant-client ----------------------------------------------------------------------------
class ClientEngine:
    """A collection reached through ``qdrant_client.QdrantClient`` (server or local mode)."""

    def __init__(self, collection: str, client_options: dict[str, Any], shards: int | None = None,
                 replicas: int | None = None) -> None:
        self.shards, self.replicas = shards, replicas
        try:
            from qdrant_client import QdrantClient, models
        except ImportError as exc:
            raise QdrantUnavailableError(f'backend "qdrant" needs qdrant-client: pip install "ammtc-qa[qdrant]" '
                                         f"({exc})") from None

        self.m = models
        self.collection = collection
        opts = dict(client_options)
        if opts.get("path"):
            opts["path"] = str(Path(opts["path"]).expanduser().resolve())  # one folder, whatever the cwd
        where = opts.get("url") or opts.get("host") or opts.get("path") or opts.get("location") or ":memory:"
        self.address = f"Qdrant collection {collection!r} at {where}"
        self.key = f"client {str(where).rstrip('/')} {collection}"
        self.remote = bool(opts.get("url") or opts.get("host") or (
            opts.get("location") not in (None, ":memory:") and "path" not in opts))
        if not any(opts.get(k) for k in ("url", "host", "path", "location")):
            opts["location"] = ":memory:"
        try:
            self.client = QdrantClient(**opts)
        except (TypeError, ValueError) as exc:
            raise QdrantUnavailableError(f"{self.address}: bad client options ({exc})") from exc
        except RuntimeError as exc:  # local mode: the folder is open in another client
            raise QdrantUnavailableError(f"{self.address}: {exc}") from exc

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except (ValueError, TypeError, KeyError, AssertionError):
            raise
        except Exception as exc:  # transport errors come from httpx, grpc and the client itself
            raise QdrantUnavailableError(f"{self.address}: {what} failed ({type(exc).__name__}: "
                                         f"{str(exc)[:200]}); check that the server is up and the "
                                         "URL/api_key are right") from exc

    def exists(self) -> bool:
        return self._call("checking the collection", lambda: self.client.collection_exists(self.collection))

    def create(self, dim: int) -> None:
        m = self.m

        def run() -> None:
            if self.client.collection_exists(self.collection):
                self.client.delete_collection(self.collection)
            self.client.create_collection(self.collection, vectors_config={
                DENSE: m.VectorParams(size=dim, distance=m.Distance.DOT)}, shard_number=self.shards,
                replication_factor=self.replicas)
            self.client.create_payload_index(self.collection, TEXT, m.TextIndexParams(
                type=m.TextIndexType.TEXT, tokenizer=m.TokenizerType.WORD, lowercase=True,
                scoring=m.TextScoringParams(type=m.TextScoringType.BM25)))
            if self.remote:  # local mode scans payloads and warns that indexes have no effect
                for key in KEYWORDS:
                    self.client.create_payload_index(self.collection, key, m.PayloadSchemaType.KEYWORD)
                for key in INTEGERS:
                    self.client.create_payload_index(self.collection, key, m.PayloadSchemaType.INTEGER)

        self._call("creating the collection", run)

    def _info(self) -> Any:
        return self._call("reading the collection", lambda: self.client.get_collection(self.collection))

    def dense_dim(self) -> int | None:
        vectors = self._info().config.params.vectors
        params = vectors.get(DENSE) if isinstance(vectors, dict) else None
        return int(params.size) if params is not None else None

    def has_text_index(self) -> bool:
        schema = self._info().payload_schema or {}
        if TEXT in schema:
            return True
        # local mode keeps no payload schema but records text indexes for text queries
        local = getattr(getattr(self.client, "_client", None), "collections", {}).get(self.collection)
        return local is not None and TEXT in getattr(local, "text_indexes", {})

    def _filter(self, where: Sequence[Cond]) -> Any:
        m = self.m
        must: list[Any] = []
        for c in where:
            if c.op == "any":
                must.append(m.FieldCondition(key=c.key, match=m.MatchAny(any=list(c.values))))
            elif c.op == "range":
                must.append(m.FieldCondition(key=c.key, range=m.Range(gte=c.gte, lt=c.lt)))
            elif c.op == "ids":
                must.append(m.HasIdCondition(has_id=list(c.values)))
            elif c.op == "text":
                must.append(m.FieldCondition(key=c.key, match=m.MatchText(text=str(c.values[0]))))
            elif c.op == "has":
                must.append(m.Filter(must_not=[m.IsEmptyCondition(is_empty=m.PayloadField(key=c.key))]))
            elif c.op == "not":
                must.append(m.Filter(must_not=[self._filter(c.values)]))
            else:
                raise ValueError(f"unknown condition {c.op!r}")
        return m.Filter(must=must) if must else None

    def upsert(self, points: Sequence[tuple[PointId, list[float] | None, dict[str, Any]]]) -> None:
        structs = [self.m.PointStruct(id=i, vector={DENSE: v} if v is not None else {}, payload=p)
                   for i, v, p in points]
        self._call("writing points", lambda: self.client.upsert(self.collection, structs, wait=True))

    def delete(self, where: Sequence[Cond]) -> None:
        selector = self.m.FilterSelector(filter=self._filter(where))
        self._call("deleting points", lambda: self.client.delete(self.collection, selector, wait=True))

    def delete_ids(self, ids: Sequence[PointId]) -> None:
        selector = self.m.PointIdsList(points=list(ids))
        self._call("deleting points", lambda: self.client.delete(self.collection, selector, wait=True))

    def retrieve(self, ids: Sequence[PointId], fields: Sequence[str] | bool, vectors: bool) -> list[Record]:
        payload = list(fields) if not isinstance(fields, bool) else fields
        got = self._call("reading points", lambda: self.client.retrieve(
            self.collection, list(ids), with_payload=payload, with_vectors=[DENSE] if vectors else False))
        return [Record(p.id, p.payload or {}, (p.vector or {}).get(DENSE) if vectors else None)  # type: ignore[union-attr]
                for p in got]

    def dense(self, vector: list[float], k: int, where: Sequence[Cond], exact: bool) -> list[tuple[int, float]]:
        params = self.m.SearchParams(exact=True) if exact and self.remote else None
        res = self._call("searching", lambda: self.client.query_points(
            self.collection, query=vector, using=DENSE, query_filter=self._filter(where), limit=k,
            search_params=params, with_payload=False))
        return [(int(p.id), float(p.score)) for p in res.points]

    def text(self, query: str, k: int, where: Sequence[Cond], k1: float, b: float) -> list[tuple[int, float]]:
        m = self.m
        q = m.TextQuery(text=m.TextQueryInput(query=query, scoring=m.Bm25Scoring(bm25=m.Bm25Params(k=k1, b=b))))
        res = self._call("searching", lambda: self.client.query_points(
            self.collection, query=q, using=TEXT, query_filter=self._filter(where), limit=k, with_payload=False))
        return [(int(p.id), float(p.score)) for p in res.points]

    def count(self, where: Sequence[Cond]) -> int:
        res = self._call("counting", lambda: self.client.count(self.collection, count_filter=self._filter(where),
                                                               exact=True))
        return int(res.count)

    def scroll(self, where: Sequence[Cond], fields: Sequence[str] | bool, batch: int = 1024) -> Iterator[Record]:
        payload = list(fields) if not isinstance(fields, bool) else fields
        offset = None
        flt = self._filter(where)
        while True:
            points, offset = self._call("reading points", lambda o=offset: self.client.scroll(  # type: ignore[misc]
                self.collection, scroll_filter=flt, limit=batch, offset=o, with_payload=payload,
                with_vectors=False))
            for p in points:
                yield Record(p.id, p.payload or {}, None)
            if offset is None:
                return

    def close(self) -> None:
        self.client.close()


# -- qdrant-edge ------------------------------------------------------------------------------
class EdgeEngine:
    """One Qdrant Edge shard in a folder: the real engine, in-process, no server. Its write-ahead
    log makes each update durable when it returns (no ``flush`` per write: 0.4 s each here)."""

    def __init__(self, folder: str | Path) -> None:
        try:
            import qdrant_edge as e
        except ImportError as exc:
            raise QdrantUnavailableError(f'engine "edge" needs qdrant-edge-py: pip install "ammtc-qa[qdrant]" '
                                         f"({exc})") from None

        self.e = e
        self.folder = Path(folder).expanduser().resolve()
        self.address = f"Qdrant Edge shard at {self.folder}"
        self.key = f"edge {self.folder}"
        self.shard: Any = None
        if self.exists():
            try:
                self.shard = e.EdgeShard.load(str(self.folder))
            except Exception as exc:
                busy = " (it is open in another process or client: one at a time per folder)" \
                    if "WouldBlock" in str(exc) else ""
                raise QdrantUnavailableError(f"{self.address}: cannot be opened{busy} ({exc})") from exc

    def _shard(self) -> Any:
        if self.shard is None:
            raise QdrantUnavailableError(f"{self.address}: no shard here")
        return self.shard

    def exists(self) -> bool:
        return self.folder.is_dir() and any(self.folder.iterdir())

    def create(self, dim: int) -> None:
        import shutil

        e = self.e
        if self.shard is not None:
            self.shard.close()
            self.shard = None
        if self.folder.exists():
            shutil.rmtree(self.folder)
        shard = e.EdgeShard.create(str(self.folder), e.EdgeConfig(
            vectors={DENSE: e.EdgeVectorParams(size=dim, distance=e.Distance.Dot)}))
        shard.update(e.UpdateOperation.create_field_index(TEXT, e.TextIndexParams(
            tokenizer=e.TokenizerType.Word, lowercase=True, scoring=True)))
        for key in KEYWORDS:
            shard.update(e.UpdateOperation.create_field_index(key, e.PayloadSchemaType.Keyword))
        for key in INTEGERS:
            shard.update(e.UpdateOperation.create_field_index(key, e.PayloadSchemaType.Integer))
        self.shard = shard

    def dense_dim(self) -> int | None:
        """From the shard's ``edge_config.json`` (``ShardInfo`` does not carry the vector config)."""
        import json

        try:
            config = json.loads((self.folder / "edge_config.json").read_text(encoding="utf-8"))
            return int(config["vectors"][DENSE]["size"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def has_text_index(self) -> bool:
        schema = getattr(self._shard().info(), "payload_schema", None) or {}
        return TEXT in schema

    def _filter(self, where: Sequence[Cond]) -> Any:
        e = self.e
        must: list[Any] = []
        for c in where:
            if c.op == "any":
                must.append(e.FieldCondition(key=c.key, match=e.MatchAny(list(c.values))))
            elif c.op == "range":
                must.append(e.FieldCondition(key=c.key, range=e.RangeFloat(gte=c.gte, lt=c.lt)))
            elif c.op == "ids":
                must.append(e.HasIdCondition(set(c.values)))
            elif c.op == "text":
                must.append(e.FieldCondition(key=c.key, match=e.MatchText(str(c.values[0]))))
            elif c.op == "has":
                must.append(e.Filter(must_not=[e.IsEmptyCondition(c.key)]))
            elif c.op == "not":
                must.append(e.Filter(must_not=[self._filter(c.values)]))
            else:
                raise ValueError(f"unknown condition {c.op!r}")
        return e.Filter(must=must) if must else None

    def upsert(self, points: Sequence[tuple[PointId, list[float] | None, dict[str, Any]]]) -> None:
        e = self.e
        self._shard().update(e.UpdateOperation.upsert_points(
            [e.Point(id=i, vector={DENSE: v} if v is not None else {}, payload=p) for i, v, p in points]))

    def delete(self, where: Sequence[Cond]) -> None:
        self._shard().update(self.e.UpdateOperation.delete_points_by_filter(self._filter(where)))

    def delete_ids(self, ids: Sequence[PointId]) -> None:
        self._shard().update(self.e.UpdateOperation.delete_points(list(ids)))

    def retrieve(self, ids: Sequence[PointId], fields: Sequence[str] | bool, vectors: bool) -> list[Record]:
        payload: Any = list(fields) if not isinstance(fields, bool) else fields
        got = self._shard().retrieve(list(ids), with_payload=payload, with_vector=[DENSE] if vectors else False)
        return [Record(_edge_id(r.id), dict(r.payload or {}), _edge_vector(r.vector) if vectors else None)
                for r in got]

    def dense(self, vector: list[float], k: int, where: Sequence[Cond], exact: bool) -> list[tuple[int, float]]:
        e = self.e
        got = self._shard().query(e.QueryRequest(limit=k, query=e.Query.Nearest(vector, using=DENSE),
                                                 filter=self._filter(where), with_payload=False,
                                                 params=e.SearchParams(exact=exact)))
        return [(int(p.id), float(p.score)) for p in got]

    def text(self, query: str, k: int, where: Sequence[Cond], k1: float, b: float) -> list[tuple[int, float]]:
        e = self.e
        got = self._shard().query(e.QueryRequest(limit=k, query=e.TextQuery(TEXT, query, e.Bm25Params(k=k1, b=b)),
                                                 filter=self._filter(where), with_payload=False))
        return [(int(p.id), float(p.score)) for p in got]

    def count(self, where: Sequence[Cond]) -> int:
        return int(self._shard().count(self.e.CountRequest(exact=True, filter=self._filter(where))))

    def scroll(self, where: Sequence[Cond], fields: Sequence[str] | bool, batch: int = 1024) -> Iterator[Record]:
        payload: Any = list(fields) if not isinstance(fields, bool) else fields
        offset = None
        flt = self._filter(where)
        while True:
            points, offset = self._shard().scroll(self.e.ScrollRequest(offset=offset, limit=batch, filter=flt,
                                                                       with_payload=payload, with_vector=False))
            for r in points:
                yield Record(_edge_id(r.id), dict(r.payload or {}), None)
            if offset is None:
                return

    def close(self) -> None:
        if self.shard is not None:
            self.shard.flush()
            self.shard.close()
            self.shard = None


def _edge_id(value: Any) -> PointId:
    return value if isinstance(value, int) else str(value)


def _edge_vector(vector: Any) -> list[float] | None:
    if isinstance(vector, dict):
        return vector.get(DENSE)
    return vector
