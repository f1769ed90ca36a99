"""One immutable segment of the local store: documents, passages, vectors and postings.

Layout of ``segments/s-<seq>-<id>/`` (written once under a temporary name, then renamed)::

    manifest.json          sha256 of every file below, and the segment's counts
    docs.jsonl             one cleaned document per line (``Document.to_json``)
    docs_offsets.npy       int64 [docs+1]: byte offsets of the lines (read on demand)
    docmeta.jsonl          per document, one line: metadata without text (citations, filters'
                           reference), read on demand through docmeta_offsets.npy (int64 [docs+1])
    doc_ids.bin            the documents' ids, UTF-8, back to back; doc_ids_offsets.npy int64 [docs+1]
    summary.json           what the ranker's corpus-wide tables need of the documents that have
                           passages, as counts (``backends.summary.MetaSummary``)
    facts/                 per document, what builds compare and link by (see ``Facts``):
                           text_sha/raw_sha.npy uint8 [docs, 32], anchors_*.npy (near-copy sketch),
                           links_*.npy (near copies, as the first passage id of each copy), and
                           sorted lookup tables (``*_keys.npy`` uint64 + ``*_rows.npy``) by doc id,
                           text hash, raw hash, source file, anchor and link target
    columns/               per document, what filters test (see ``Columns``): dates.npy int32 day
                           ordinals (-1: none), publisher/language.npy int32 codes into
                           publishers/languages.json (case-folded), meeting postings
                           (meetings.json keys, meeting_indptr.npy, meeting_docs.npy)
    passages.npy           int64 [n, 5]: passage id, document row, start, end, position
    sentences.npy          int64 [m, 3]: passage row, start, end
    vectors.npy            float16 [n, dim]: passage vectors (header + passage)
    sentence_vectors.npy   float16 [m, dim]
    keys.npy               uint8 [n, 32] / sentence_keys.npy [m, 32]: embedding-cache keys
    dense.faiss            FAISS index over local rows (Flat, or IVF-SQ8 for large segments)
    bm25/                  terms.json, forward (by passage) and postings (by term) arrays

Everything but ``summary.json`` and the BM25 term list is memory-mapped: opening a segment
reads neither the texts nor the metadata nor the vectors nor the build facts, so it costs
O(distinct terms and values), not O(documents). A segment never changes;
deletions are tombstones in the version that references it, and merges write a new segment.
A near-copy link names the linked article's first passage id, which is never reused: when
either article is removed or replaced its passages are tombstoned and the link is gone, with
nothing to rewrite.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from ...errors import IndexCorruptError
from ...input.document import Document
from ..base import offsets_of, take_runs
from ..filters import DocMeta
from ..summary import MetaSummary
from . import store
from .bm25 import Forward, Postings
from .reading import Blob, RowReader, run_rows
from .store import MANIFEST, file_sha256, read_manifest, verify
from .vectors import VectorIndex

T = TypeVar("T")
SEGMENTS = "segments"
KEY_BYTES = 32
FACTS = "facts"
LOOKUPS = ("doc", "text", "raw", "file", "anchor", "link")
"""The sorted lookup tables of ``facts/``: by doc id, text sha256, raw sha256, source file,
near-copy anchor and link target."""


def key64(text: str) -> int:
    """A 64-bit key of a string (doc id, file name) for the lookup tables; hits are confirmed."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def source_file(source: str) -> str:
    """The corpus file of a document's source: ``archive.jsonl:12`` -> ``archive.jsonl``."""
    head, _, tail = source.rpartition(":")
    return head if head and tail.isdigit() else source


def sha_bytes(hexdigest: str) -> np.ndarray:
    """uint8 [32] of a sha256 hex digest (zeros for none)."""
    out = np.zeros(32, dtype=np.uint8)
    if hexdigest:
        try:
            raw = bytes.fromhex(hexdigest)
        except ValueError:
            raw = b""
        if len(raw) != 32:
            raise ValueError(f"not a sha256 hex digest: {hexdigest[:80]!r}")
        out[:] = np.frombuffer(raw, dtype=np.uint8)
    return out


@dataclass
class Ragged:
    """Rows of varying length: ``values[indptr[i]:indptr[i + 1]]`` is row ``i``."""

    indptr: np.ndarray  # int64 [rows + 1]
    values: np.ndarray

    @classmethod
    def of(cls, rows: Sequence[Sequence[int]], dtype: Any) -> Ragged:
        indptr = offsets_of([len(r) for r in rows])
        values = np.array([v for r in rows for v in r], dtype=dtype) if indptr[-1] else np.zeros(0, dtype=dtype)
        return cls(indptr, values)

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def row(self, i: int) -> np.ndarray:
        return np.asarray(self.values[int(self.indptr[i]):int(self.indptr[i + 1])])

    def take(self, rows: np.ndarray) -> Ragged:
        indptr, picked = take_runs(self.indptr, rows)
        return Ragged(indptr, np.asarray(self.values[picked]))

    @staticmethod
    def concat(parts: Sequence[Ragged]) -> Ragged:
        indptr = [np.zeros(1, dtype=np.int64)]
        base = 0
        for p in parts:
            indptr.append(np.asarray(p.indptr[1:]) + base)
            base += int(p.indptr[-1])
        dtype = parts[0].values.dtype if parts else np.int64
        return Ragged(np.concatenate(indptr), np.concatenate([np.asarray(p.values) for p in parts]).astype(dtype)
                      if parts else np.zeros(0, dtype=dtype))


@dataclass
class Facts:
    """Per document, what a build compares and links by (in the order of the segment's documents)."""

    text_sha: np.ndarray  # uint8 [docs, 32]
    raw_sha: np.ndarray  # uint8 [docs, 32]; zeros when the raw bytes were not recorded
    anchors: Ragged  # uint64: bottom-k shingle sketch (``input.duplicates``)
    links: Ragged  # int64: first passage id of each near copy

    def take(self, rows: np.ndarray) -> Facts:
        rows = np.asarray(rows, dtype=np.int64)
        return Facts(np.asarray(self.text_sha[rows]).reshape(-1, 32), np.asarray(self.raw_sha[rows]).reshape(-1, 32),
                     self.anchors.take(rows), self.links.take(rows))

    @staticmethod
    def concat(parts: Sequence[Facts]) -> Facts:
        return Facts(np.concatenate([p.text_sha for p in parts]).reshape(-1, 32),
                     np.concatenate([p.raw_sha for p in parts]).reshape(-1, 32),
                     Ragged.concat([p.anchors for p in parts]), Ragged.concat([p.links for p in parts]))


COLUMNS = "columns"


class Columns:
    """A segment's filter columns, memory-mapped: a ``Filter`` becomes a row mask with a few
    array operations and no pass over documents in Python."""

    def __init__(self, folder: Path) -> None:
        cd = folder / COLUMNS
        self.dates = _read(cd / "dates.npy", _npy)
        self.publisher = _read(cd / "publisher.npy", _npy)
        self.language = _read(cd / "language.npy", _npy)
        self.publishers = _read(cd / "publishers.json", _json)
        self.languages = _read(cd / "languages.json", _json)
        keys = _read(cd / "meetings.json", _json)
        self.meeting_indptr = _read(cd / "meeting_indptr.npy", _npy)
        self.meeting_docs = _read(cd / "meeting_docs.npy", _npy)
        if not all(isinstance(t, list) and all(isinstance(x, str) for x in t)
                   for t in (self.publishers, self.languages, keys)):
            raise IndexCorruptError(f"{cd}: string tables are not lists of strings")
        self.meeting_row = {k: i for i, k in enumerate(keys)}

    def check(self, docs: int) -> str | None:
        """Why the columns do not fit ``docs`` documents (None when they do)."""
        for arr, table in ((self.publisher, self.publishers), (self.language, self.languages)):
            if arr.shape != (docs,) or (docs and (int(arr.min()) < 0 or int(arr.max()) >= len(table))):
                return "publisher/language codes do not fit their tables"
        if self.dates.shape != (docs,):
            return "dates do not fit the documents"
        ip, rows = self.meeting_indptr, self.meeting_docs
        if ip.shape != (len(self.meeting_row) + 1,) or int(ip[-1]) != len(rows) or np.any(np.diff(ip) < 0) \
                or (len(rows) and (int(rows.min()) < 0 or int(rows.max()) >= docs)):
            return "meeting postings do not fit the documents"
        return None

    def codes(self, table: list[str], wanted: frozenset[str]) -> list[int]:
        return [i for i, v in enumerate(table) if v in wanted]

    def mentioning(self, key: str) -> np.ndarray:
        i = self.meeting_row.get(key)
        if i is None:
            return np.zeros(0, dtype=np.int64)
        return np.asarray(self.meeting_docs[int(self.meeting_indptr[i]):int(self.meeting_indptr[i + 1])])


def _columns_of(meta: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The column files of documents' metadata (``DocMeta.to_json`` dicts)."""
    def ordinal(value: Any) -> int:
        return dt.date.fromisoformat(value).toordinal() if isinstance(value, str) and value else -1

    def coded(values: list[str]) -> tuple[np.ndarray, list[str]]:
        table = sorted(set(values))
        at = {v: i for i, v in enumerate(table)}
        return np.array([at[v] for v in values], dtype=np.int32), table

    publisher, publishers = coded([(m.get("publisher") or "").casefold() for m in meta])
    language, languages = coded([(m.get("language") or "").casefold() for m in meta])
    mentioning: dict[str, list[int]] = {}
    for r, m in enumerate(meta):
        for key in m.get("meetings") or ():
            mentioning.setdefault(str(key), []).append(r)
    keys = sorted(mentioning)
    indptr = np.zeros(len(keys) + 1, dtype=np.int64)
    np.cumsum([len(mentioning[k]) for k in keys], out=indptr[1:])
    docs = np.array([r for k in keys for r in mentioning[k]], dtype=np.int64)
    return {"dates.npy": np.array([ordinal(m.get("date")) for m in meta], dtype=np.int32),
            "publisher.npy": publisher, "publishers.json": publishers, "language.npy": language,
            "languages.json": languages, "meetings.json": keys, "meeting_indptr.npy": indptr,
            "meeting_docs.npy": docs}


def _sorted_lookup(keys: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(keys, kind="stable")
    return np.ascontiguousarray(keys[order], dtype=np.uint64), np.ascontiguousarray(rows[order], dtype=np.int64)


def _sha_key(sha: np.ndarray) -> np.ndarray:
    """uint64 of the first 8 bytes of each sha256 row."""
    return np.ascontiguousarray(np.asarray(sha, dtype=np.uint8).reshape(-1, 32)[:, :8]).view("<u8").reshape(-1)


def _lookups(data: SegmentData) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    f = data.facts
    d = len(data.meta)
    docs = np.arange(d, dtype=np.int64)
    has_raw = np.flatnonzero(np.asarray(f.raw_sha).any(axis=1)) if d else docs
    anchor_rows = np.repeat(docs, np.diff(f.anchors.indptr))
    link_rows = np.repeat(docs, np.diff(f.links.indptr))
    return {
        "doc": _sorted_lookup(np.array([key64(m["doc_id"]) for m in data.meta], dtype=np.uint64), docs),
        "text": _sorted_lookup(_sha_key(f.text_sha), docs),
        "raw": _sorted_lookup(_sha_key(f.raw_sha)[has_raw], has_raw),
        "file": _sorted_lookup(np.array([key64(source_file(str(m.get("source") or ""))) for m in data.meta],
                                        dtype=np.uint64), docs),
        "anchor": _sorted_lookup(np.asarray(f.anchors.values, dtype=np.uint64), anchor_rows),
        "link": _sorted_lookup(np.asarray(f.links.values, dtype=np.int64).view(np.uint64), link_rows),
    }


@dataclass
class SegmentData:
    """A segment's content in memory, ready to be written."""

    doc_lines: list[bytes]
    meta: list[dict[str, Any]]
    passages: np.ndarray
    sentences: np.ndarray
    vectors: np.ndarray
    sentence_vectors: np.ndarray
    keys: np.ndarray
    sentence_keys: np.ndarray
    forward: Forward
    facts: Facts


class Segment:
    """A read-only, memory-mapped segment."""

    def __init__(self, folder: Path, *, verify_files: bool = True) -> None:
        self.folder = folder
        self.name = folder.name
        manifest = read_manifest(folder)
        if verify_files:
            verify(folder, manifest)
        self.manifest = manifest
        self.meta_offsets = _read(folder / "docmeta_offsets.npy", _view)
        self.id_offsets = _read(folder / "doc_ids_offsets.npy", _view)
        n_docs = max(len(self.meta_offsets) - 1, 0)
        self.meta = _Rows(folder / "docmeta.jsonl", self.meta_offsets, _meta_of)
        self.doc_ids = _Rows(folder / "doc_ids.bin", self.id_offsets, _id_of)
        self.offsets = _read(folder / "docs_offsets.npy", _view)
        self.passages = _read(folder / "passages.npy", _npy)
        self.sentences = _read(folder / "sentences.npy", _npy)
        self.vectors_f16 = _read(folder / "vectors.npy", _npy)
        self.sentence_vectors_f16 = _read(folder / "sentence_vectors.npy", _npy)
        self.keys = _read(folder / "keys.npy", _npy)
        self.sentence_keys = _read(folder / "sentence_keys.npy", _npy)
        # every table an ask reads is read through a RowReader, never through these maps (see
        # ``reading``); the maps give shapes and dtypes, and the scans at open read second maps
        self.vector_rows = RowReader(self.vectors_f16)
        self.sentence_vector_rows = RowReader(self.sentence_vectors_f16)
        self.passage_rows = RowReader(self.passages)
        self.sentence_table = RowReader(self.sentences)
        fd = folder / FACTS
        self.facts = Facts(
            text_sha=_read(fd / "text_sha.npy", _npy), raw_sha=_read(fd / "raw_sha.npy", _npy),
            anchors=Ragged(_read(fd / "anchors_indptr.npy", _npy), _read(fd / "anchors.npy", _npy)),
            links=Ragged(_read(fd / "links_indptr.npy", _npy), _read(fd / "links.npy", _npy)))
        self.columns = Columns(folder)
        self.lookups = {name: (_read(fd / f"{name}_keys.npy", _npy), _read(fd / f"{name}_rows.npy", _npy))
                        for name in LOOKUPS}
        self._lookup_readers = {name: (RowReader(keys, hold=False), RowReader(rows, hold=False))
                               for name, (keys, rows) in self.lookups.items()}
        bm = folder / "bm25"
        terms = _read(bm / "terms.json", _json)
        if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
            raise IndexCorruptError(f"{bm / 'terms.json'}: not a list of terms")
        self.postings = Postings(
            terms=terms, vocab={t: i for i, t in enumerate(terms)}, indptr=_read(bm / "indptr.npy", _view),
            rows=_read(bm / "rows.npy", _npy), tf=_read(bm / "tf.npy", _npy),
            fwd_indptr=_read(bm / "fwd_indptr.npy", _npy), fwd_terms=_read(bm / "fwd_terms.npy", _npy),
            fwd_tf=_read(bm / "fwd_tf.npy", _npy), lengths=_read(bm / "lengths.npy", _view))
        self._posting_rows, self._posting_tf = RowReader(self.postings.rows), RowReader(self.postings.tf)
        try:
            kind = str(manifest["segment"]["vector_kind"])
        except (KeyError, TypeError) as exc:
            raise IndexCorruptError(f"{folder / MANIFEST}: not a segment manifest") from exc
        self.dense = _read(folder / "dense.faiss", lambda p: VectorIndex.load(p, kind))
        # whole-table scans read second maps, dropped on return: through the segment's own maps
        # every page scanned here would stay resident (counted in RSS) for the segment's lifetime
        passages_scan, sentences_scan = _npy(folder / "passages.npy"), _npy(folder / "sentences.npy")
        self._check_shapes(passages_scan, sentences_scan)
        self.pids = np.array(passages_scan[:, 0])
        self.doc_row = np.array(passages_scan[:, 1])
        self.sentence_bounds = np.searchsorted(np.asarray(sentences_scan[:, 0]), np.arange(len(self.passages) + 1))
        del passages_scan, sentences_scan
        self.passage_bounds = np.searchsorted(self.doc_row, np.arange(len(self.meta) + 1))
        # Opened now, not on first use: a later change may delete this segment, and a version that
        # is still being read must keep reading it (POSIX unlink semantics hold for open files).
        self._docs = _read(folder / "docs.jsonl", Blob) if n_docs else None
        _ = self.summary  # read at open (a few counts): a damaged summary is refused here, by name

    @cached_property
    def summary(self) -> MetaSummary:
        """The ranker's counts over this segment's documents that have passages (read once)."""
        data = _read(self.folder / "summary.json", _json)
        try:
            return MetaSummary.from_json(data)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise IndexCorruptError(f"{self.folder / 'summary.json'}: not a segment summary ({exc})") from exc

    def __len__(self) -> int:
        return len(self.passages)

    @property
    def dim(self) -> int:
        return int(self.vectors_f16.shape[1])

    def _check_shapes(self, passages: np.ndarray, sentences: np.ndarray) -> None:
        """Checksums prove the files are the ones written, not that they fit together.
        ``passages``, ``sentences``: second maps of those tables for the scans (see ``__init__``)."""
        n, m, d = len(self.passages), len(self.sentences), len(self.meta)
        p = self.postings
        problems = []
        bm = self.folder / "bm25"  # second maps for the scans, as ``passages``
        rows_scan, fwd_scan = _npy(bm / "rows.npy"), _npy(bm / "fwd_terms.npy")
        if passages.ndim != 2 or passages.shape[1] != 5:
            problems.append(("passages.npy", f"shape {passages.shape}, expected [n, 5]"))
        elif n and (passages[:, 1].min() < 0 or passages[:, 1].max() >= d
                    or np.any(np.diff(passages[:, 1]) < 0) or np.any(np.diff(passages[:, 0]) <= 0)
                    or passages[:, 2].min() < 0 or np.any(passages[:, 3] < passages[:, 2])):
            problems.append(("passages.npy", "document rows, ids or spans out of range or out of order"))
        for fname, offsets in (("docmeta.jsonl", self.meta_offsets), ("doc_ids.bin", self.id_offsets)):
            fsize = (self.folder / fname).stat().st_size
            if offsets.shape != (d + 1,) or (d and (np.any(np.diff(offsets) < 0) or offsets[0] != 0
                                                    or offsets[-1] != fsize)):
                problems.append((fname, f"offsets do not fit {fname} and {d} documents"))
        size = (self.folder / "docs.jsonl").stat().st_size
        if self.offsets.shape != (d + 1,) or (d and (np.any(np.diff(self.offsets) <= 0) or self.offsets[0] != 0
                                                     or self.offsets[-1] != size)):
            problems.append(("docs_offsets.npy", f"does not fit docs.jsonl and {d} documents"))
        if sentences.ndim != 2 or sentences.shape[1] != 3 or (
                m and (sentences[:, 0].min() < 0 or sentences[:, 0].max() >= n
                       or np.any(np.diff(sentences[:, 0]) < 0))):
            problems.append(("sentences.npy", "passage rows out of range or out of order"))
        dim = self.vectors_f16.shape[1] if self.vectors_f16.ndim == 2 else -1
        for name, arr, rows in (("vectors.npy", self.vectors_f16, n), ("sentence_vectors.npy",
                                                                       self.sentence_vectors_f16, m)):
            if arr.ndim != 2 or arr.shape != (rows, dim):
                problems.append((name, f"shape {arr.shape}, expected [{rows}, {dim}]"))
        for name, arr, rows in (("keys.npy", self.keys, n), ("sentence_keys.npy", self.sentence_keys, m)):
            if arr.shape != (rows, KEY_BYTES):
                problems.append((name, f"shape {arr.shape}, expected [{rows}, {KEY_BYTES}]"))
        if len(self.dense) != n or self.dense.index.d != dim:
            problems.append(("dense.faiss", f"{len(self.dense)} vectors of dimension {self.dense.index.d}, "
                                            f"expected {n} of {dim}"))
        v = len(p.terms)
        if (p.indptr.shape != (v + 1,) or p.fwd_indptr.shape != (n + 1,) or p.lengths.shape != (n,)
                or p.rows.shape != p.tf.shape or p.fwd_terms.shape != p.fwd_tf.shape
                or int(p.indptr[-1]) != len(p.rows) or int(p.fwd_indptr[-1]) != len(p.fwd_terms)
                or (len(p.rows) and (int(rows_scan.min()) < 0 or int(rows_scan.max()) >= n))
                or (len(p.fwd_terms) and (int(fwd_scan.min()) < 0 or int(fwd_scan.max()) >= v))):
            problems.append(("bm25/", "postings do not fit the passages or the term list"))
        f = self.facts
        if (f.text_sha.shape != (d, 32) or f.raw_sha.shape != (d, 32)
                or f.anchors.indptr.shape != (d + 1,) or f.links.indptr.shape != (d + 1,)
                or int(f.anchors.indptr[-1]) != len(f.anchors.values) or int(f.links.indptr[-1]) != len(f.links.values)
                or f.anchors.values.dtype != np.uint64 or f.links.values.dtype != np.int64
                or np.any(np.diff(f.anchors.indptr) < 0) or np.any(np.diff(f.links.indptr) < 0)):
            problems.append((FACTS, "document facts do not fit the documents"))
        for name, (keys, _) in self.lookups.items():
            rows = self._lookup_readers[name][1].mapped()  # a second map for the scan, as ``passages``
            if (keys.ndim != 1 or keys.shape != rows.shape or keys.dtype != np.uint64
                    or (len(rows) and (int(rows.min()) < 0 or int(rows.max()) >= d))):
                problems.append((f"{FACTS}/{name}_keys.npy", "lookup table does not fit the documents"))
        why_columns = self.columns.check(d)
        if why_columns:
            problems.append((COLUMNS, why_columns))
        if problems:
            name, why = problems[0]
            raise IndexCorruptError(f"{self.folder / name}: {why}; rebuild with `ammtc-qa index --force`")

    # -- documents ----------------------------------------------------------------------------
    def document_line(self, row: int) -> bytes:
        assert self._docs is not None
        return self._docs.read(int(self.offsets[row]), int(self.offsets[row + 1]))

    def document(self, row: int) -> Document:
        try:
            return Document.from_json(json.loads(self.document_line(row)))
        except (ValueError, KeyError, TypeError) as exc:
            raise IndexCorruptError(f"{self.folder / 'docs.jsonl'}: document {row} cannot be read ({exc})") from exc

    def search_postings(self) -> Postings:
        """The postings with their long arrays mapped for one search (see ``reading``)."""
        return replace(self.postings, rows=self._posting_rows.mapped(), tf=self._posting_tf.mapped())

    # -- build facts, looked up without reading the others -------------------------------------
    def find(self, table: str, keys: Sequence[int] | np.ndarray) -> np.ndarray:
        """Document rows whose ``table`` key is one of ``keys`` (unconfirmed: 64-bit keys)."""
        key_reader, row_reader = self._lookup_readers[table]
        sorted_keys, rows = key_reader.mapped(), row_reader.mapped()  # binary searches: maps of one call
        if isinstance(keys, list) and len(keys) == 1:  # one key (a doc id, a file): no array arithmetic
            key = np.uint64(keys[0])
            lo, hi = int(sorted_keys.searchsorted(key, "left")), int(sorted_keys.searchsorted(key, "right"))
            return np.asarray(rows[lo:hi], dtype=np.int64)
        k = np.asarray(keys, dtype=np.uint64).reshape(-1)
        if not len(k) or not len(sorted_keys):
            return np.zeros(0, dtype=np.int64)
        lo, hi = np.searchsorted(sorted_keys, k, side="left"), np.searchsorted(sorted_keys, k, side="right")
        return np.asarray(rows[run_rows(lo, hi)], dtype=np.int64)

    def rows_of_doc(self, doc_id: str) -> list[int]:
        return [r for r in self.find("doc", [key64(doc_id)]).tolist() if self.doc_ids[r] == doc_id]

    def rows_with_sha(self, table: str, hexdigest: str) -> list[int]:
        """Rows whose text (``table="text"``) or raw (``"raw"``) sha256 is ``hexdigest``."""
        if not hexdigest:
            return []
        want = sha_bytes(hexdigest)
        column = self.facts.text_sha if table == "text" else self.facts.raw_sha
        return [r for r in self.find(table, _sha_key(want)).tolist() if np.array_equal(column[r], want)]

    def rows_of_file(self, rel: str) -> list[int]:
        return [r for r in self.find("file", [key64(rel)]).tolist() if source_file(self.meta[r].source) == rel]

    def link_edges(self) -> tuple[np.ndarray, np.ndarray]:
        """Every near-copy link written with this segment, as (document row, the copy's first
        passage id), read through maps of this call (a whole-table scan: see ``__init__``)."""
        indptr = RowReader(self.facts.links.indptr, hold=False).mapped()
        targets = np.array(RowReader(self.facts.links.values, hold=False).mapped(), dtype=np.int64)
        return np.repeat(np.arange(len(indptr) - 1, dtype=np.int64), np.diff(indptr)), targets

    def rows_linking_to(self, pid: int) -> list[int]:
        return self.find("link", [int(np.int64(pid).view(np.uint64))]).tolist()

    def text_sha_hex(self, row: int) -> str:
        return _hex(self.facts.text_sha[row])

    def raw_sha_hex(self, row: int) -> str:
        return _hex(self.facts.raw_sha[row])

    def extract(self, live_docs: np.ndarray) -> SegmentData:
        """The given document rows (ascending) with all their passages, as data for a new segment."""
        docs = np.asarray(live_docs, dtype=np.int64)
        prows = run_rows(self.passage_bounds[docs], self.passage_bounds[docs + 1])
        srows = run_rows(self.sentence_bounds[prows], self.sentence_bounds[prows + 1])
        doc_remap = np.full(len(self.meta), -1, dtype=np.int64)
        doc_remap[live_docs] = np.arange(len(live_docs))
        row_remap = np.full(len(self.passages), -1, dtype=np.int64)
        row_remap[prows] = np.arange(len(prows))
        passages = np.array(self.passage_rows.mapped()[prows])  # maps of this call (see ``reading``)
        passages[:, 1] = doc_remap[passages[:, 1]]
        sentences = np.array(self.sentence_table.mapped()[srows])
        sentences[:, 0] = row_remap[sentences[:, 0]]
        return SegmentData(
            doc_lines=[self.document_line(int(d)) for d in live_docs],
            meta=[json.loads(self.meta.line(int(d))) for d in live_docs],
            facts=self.facts.take(np.asarray(live_docs, dtype=np.int64)),
            passages=passages, sentences=sentences, vectors=self.vector_rows.mapped()[prows],
            sentence_vectors=self.sentence_vector_rows.mapped()[srows],
            keys=RowReader(self.keys, hold=False).mapped()[prows],
            sentence_keys=RowReader(self.sentence_keys, hold=False).mapped()[srows],
            forward=Forward.concat([(self.postings.forward, prows)]))


def concat(parts: Sequence[SegmentData]) -> SegmentData:
    """Several segments' data as one (passage ids stay as they are)."""
    doc_base = np.cumsum([0] + [len(p.meta) for p in parts])
    row_base = np.cumsum([0] + [len(p.passages) for p in parts])
    passages, sentences = [], []
    for i, p in enumerate(parts):
        q = np.array(p.passages)
        q[:, 1] += doc_base[i]
        passages.append(q)
        s = np.array(p.sentences)
        s[:, 0] += row_base[i]
        sentences.append(s)
    rows = [(p.forward, np.arange(len(p.passages))) for p in parts]
    return SegmentData(
        doc_lines=[line for p in parts for line in p.doc_lines], meta=[m for p in parts for m in p.meta],
        passages=np.concatenate(passages).reshape(-1, 5), sentences=np.concatenate(sentences).reshape(-1, 3),
        vectors=np.concatenate([p.vectors for p in parts]),
        sentence_vectors=np.concatenate([p.sentence_vectors for p in parts]),
        keys=np.concatenate([p.keys for p in parts]), sentence_keys=np.concatenate([p.sentence_keys for p in parts]),
        forward=Forward.concat(rows), facts=Facts.concat([p.facts for p in parts]))


def write_segment(index_dir: Path, seq: int, data: SegmentData, vector_kind: str | None) -> str:
    """Write ``data`` as a new segment folder; return its name. Nothing is visible until the
    folder is renamed into place, and nothing references it until a version commits."""
    root = index_dir / SEGMENTS
    root.mkdir(parents=True, exist_ok=True)
    name = f"s-{seq:08d}-{uuid.uuid4().hex[:8]}"
    tmp = root / f".tmp-{uuid.uuid4().hex}"
    (tmp / "bm25").mkdir(parents=True)
    try:
        offsets = np.zeros(len(data.doc_lines) + 1, dtype=np.int64)
        with open(tmp / "docs.jsonl", "wb") as f:
            for i, line in enumerate(data.doc_lines):
                line = line.rstrip(b"\n") + b"\n"
                f.write(line)
                offsets[i + 1] = offsets[i] + len(line)
        _save(tmp / "docs_offsets.npy", offsets)
        _blob(tmp / "docmeta.jsonl", tmp / "docmeta_offsets.npy",
              [json.dumps(m, ensure_ascii=False).encode("utf-8", "surrogatepass") + b"\n" for m in data.meta])
        _blob(tmp / "doc_ids.bin", tmp / "doc_ids_offsets.npy",
              [str(m["doc_id"]).encode("utf-8", "surrogatepass") for m in data.meta])
        with_passages = np.unique(np.asarray(data.passages, dtype=np.int64).reshape(-1, 5)[:, 1]).tolist()
        summary = MetaSummary.of((DocMeta.from_json(data.meta[r]) for r in with_passages), with_passages)
        (tmp / "summary.json").write_text(json.dumps(summary.to_json(), ensure_ascii=False), encoding="utf-8")
        _save(tmp / "passages.npy", np.asarray(data.passages, dtype=np.int64).reshape(-1, 5))
        _save(tmp / "sentences.npy", np.asarray(data.sentences, dtype=np.int64).reshape(-1, 3))
        _save(tmp / "vectors.npy", np.asarray(data.vectors, dtype=np.float16))
        _save(tmp / "sentence_vectors.npy", np.asarray(data.sentence_vectors, dtype=np.float16))
        _save(tmp / "keys.npy", np.asarray(data.keys, dtype=np.uint8).reshape(-1, KEY_BYTES))
        _save(tmp / "sentence_keys.npy", np.asarray(data.sentence_keys, dtype=np.uint8).reshape(-1, KEY_BYTES))
        dense = VectorIndex.build(np.asarray(data.vectors, dtype=np.float32), vector_kind)
        dense.save(tmp / "dense.faiss")
        f = data.facts
        (tmp / FACTS).mkdir()
        for fname, arr in (("text_sha", np.asarray(f.text_sha, dtype=np.uint8).reshape(-1, 32)),
                           ("raw_sha", np.asarray(f.raw_sha, dtype=np.uint8).reshape(-1, 32)),
                           ("anchors_indptr", f.anchors.indptr), ("anchors", np.asarray(f.anchors.values, np.uint64)),
                           ("links_indptr", f.links.indptr), ("links", np.asarray(f.links.values, np.int64))):
            _save(tmp / FACTS / f"{fname}.npy", arr)
        (tmp / COLUMNS).mkdir()
        for fname, value in _columns_of(data.meta).items():
            if fname.endswith(".json"):
                (tmp / COLUMNS / fname).write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
            else:
                _save(tmp / COLUMNS / fname, value)
        for table, (keys, rows_) in _lookups(data).items():
            _save(tmp / FACTS / f"{table}_keys.npy", keys)
            _save(tmp / FACTS / f"{table}_rows.npy", rows_)
        fw = data.forward
        indptr, rows, tf = fw.postings()
        (tmp / "bm25" / "terms.json").write_text(json.dumps(fw.terms, ensure_ascii=False), encoding="utf-8")
        for fname, arr in (("indptr", indptr), ("rows", rows), ("tf", tf), ("fwd_indptr", fw.indptr),
                           ("fwd_terms", fw.term_ids), ("fwd_tf", fw.tf), ("lengths", fw.lengths)):
            _save(tmp / "bm25" / f"{fname}.npy", arr)
        files = {p.relative_to(tmp).as_posix(): file_sha256(p) for p in sorted(tmp.rglob("*")) if p.is_file()}
        manifest = {"files": files, "segment": {"passages": len(data.passages), "documents": len(data.meta),
                                                "sentences": len(data.sentences), "vector_kind": dense.kind,
                                                "dim": int(np.asarray(data.vectors).shape[1])}}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
        for p in tmp.rglob("*"):
            if p.is_file():
                store._fsync(p)
        os.replace(tmp, root / name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return name


class _Rows(Sequence[T]):
    """Row ``i`` of a blob of records (``offsets[i]:offsets[i + 1]``), read and parsed on demand."""

    def __init__(self, path: Path, offsets: np.ndarray, parse: Callable[[bytes], T]) -> None:
        self.path = path
        self.offsets = offsets
        self.parse = parse
        # opened now, not on first use: the segment may be deleted while a version still reads it
        self._blob = _read(path, Blob) if len(offsets) > 1 and int(offsets[-1]) > 0 else None

    def __len__(self) -> int:
        return max(len(self.offsets) - 1, 0)

    def line(self, i: int) -> bytes:
        if not 0 <= i < len(self):
            raise IndexError(i)
        if self._blob is None:
            return b""
        return self._blob.read(int(self.offsets[i]), int(self.offsets[i + 1]))

    def many(self, rows: Sequence[int]) -> list[T]:
        """``[self[i] for i in rows]`` in one pass over the file (``Blob.ranges``)."""
        at = np.asarray(rows, dtype=np.int64)
        if len(at) and (int(at.min()) < 0 or int(at.max()) >= len(self)):
            raise IndexError(f"rows out of range for {len(self)} rows")
        if self._blob is None:
            return [self.parse(b"") for _ in rows]
        lines = self._blob.ranges(self.offsets[at].tolist(), self.offsets[at + 1].tolist())
        try:
            return [self.parse(line) for line in lines]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise IndexCorruptError(f"{self.path}: a row of {list(rows)[:5]} cannot be read ({exc})") from exc

    def __getitem__(self, i: int) -> T:  # type: ignore[override]
        try:
            return self.parse(self.line(int(i)))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise IndexCorruptError(f"{self.path}: row {i} cannot be read ({exc})") from exc

    def __iter__(self) -> Iterator[T]:
        for i in range(len(self)):
            yield self[i]


def _meta_of(line: bytes) -> DocMeta:
    return DocMeta.from_json(json.loads(line))


def _id_of(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogatepass")


def _blob(path: Path, offsets_path: Path, records: Sequence[bytes]) -> None:
    offsets = np.zeros(len(records) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in records], out=offsets[1:])
    with open(path, "wb") as f:
        for r in records:
            f.write(r)
    _save(offsets_path, offsets)


def _hex(row: np.ndarray) -> str:
    b = bytes(np.asarray(row, dtype=np.uint8))
    return b.hex() if any(b) else ""


def segment_digest(index_dir: Path, name: str) -> str:
    return file_sha256(index_dir / SEGMENTS / name / MANIFEST)


def remove_unreferenced(index_dir: Path, keep: set[str]) -> None:
    """Delete segments no version references (and leftovers of killed writes). Readers that
    opened them keep their memory maps (POSIX unlink semantics)."""
    root = index_dir / SEGMENTS
    if not root.is_dir():
        return
    for child in root.iterdir():
        if child.is_dir() and not child.is_symlink() and child.name not in keep:
            shutil.rmtree(child, ignore_errors=True)


def _read(path: Path, load: Callable[[Path], T]) -> T:
    """``load(path)``, any failure an ``IndexCorruptError`` naming the file."""
    try:
        return load(path)
    except IndexCorruptError:
        raise
    except (OSError, ValueError, TypeError, KeyError, RuntimeError, RecursionError, EOFError) as exc:
        raise IndexCorruptError(f"{path}: cannot be read ({str(exc)[:200]}); rebuild with "
                                "`ammtc-qa index --force`") from exc


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _npy(path: Path) -> np.ndarray:
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError:  # an empty array cannot be memory-mapped
        return np.load(path, allow_pickle=False)


def _view(path: Path) -> np.ndarray:
    """``_npy`` as a plain array over the same map: tables indexed a few scalars at a time per
    ask (offsets, BM25 term bounds), where ``np.memmap.__getitem__``'s Python-level overhead
    was a measurable share of an ask at 10k passages."""
    return np.asarray(_npy(path))


def _save(path: Path, array: np.ndarray) -> None:
    np.save(path, np.ascontiguousarray(array), allow_pickle=False)


