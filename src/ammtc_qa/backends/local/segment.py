"""One immutable segment of the local store: documents, passages, vectors and postings.

Layout of ``segments/s-<seq>-<id>/`` (written once under a temporary name, then renamed)::

    manifest.json          sha256 of every file below, and the segment's counts
    docs.jsonl             one cleaned document per line (``Document.to_json``)
    docs_offsets.npy       int64 [docs+1]: byte offsets of the lines (read on demand)
    docmeta.json           per document: metadata without text, text sha256, near-copy sketch
    passages.npy           int64 [n, 5]: passage id, document row, start, end, position
    sentences.npy          int64 [m, 3]: passage row, start, end
    vectors.npy            float16 [n, dim]: passage vectors (header + passage)
    sentence_vectors.npy   float16 [m, dim]
    keys.npy               uint8 [n, 32] / sentence_keys.npy [m, 32]: embedding-cache keys
    dense.faiss            FAISS index over local rows (Flat, or IVF-SQ8 for large segments)
    bm25/                  terms.json, forward (by passage) and postings (by term) arrays

Everything but ``docmeta.json`` and the BM25 term list is memory-mapped: opening a segment
reads neither the texts nor the vectors. A segment never changes; deletions are tombstones
in the version that references it, and merges write a new segment.
"""

from __future__ import annotations

import json
import mmap
import os
import shutil
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from ...errors import IndexCorruptError
from ...input.document import Document
from ..filters import DocMeta
from . import store
from .bm25 import Forward, Postings
from .store import MANIFEST, file_sha256, read_manifest, verify
from .vectors import VectorIndex

T = TypeVar("T")
SEGMENTS = "segments"
KEY_BYTES = 32


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


class Segment:
    """A read-only, memory-mapped segment."""

    def __init__(self, folder: Path, *, verify_files: bool = True) -> None:
        self.folder = folder
        self.name = folder.name
        manifest = read_manifest(folder)
        if verify_files:
            verify(folder, manifest)
        self.manifest = manifest
        meta = _read(folder / "docmeta.json", _json)
        try:
            self.meta = [DocMeta.from_json(m) for m in meta["docs"]]
            self.text_sha: list[str] = [str(m.get("text_sha", "")) for m in meta["docs"]]
            self.anchors: list[tuple[int, ...]] = [tuple(int(a) for a in m.get("anchors", ())) for m in meta["docs"]]
            self.raw_sha: list[str] = [str(m.get("raw_sha", "")) for m in meta["docs"]]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise IndexCorruptError(f"{folder / 'docmeta.json'}: not a segment's document table ({exc})") from exc
        self.offsets = _read(folder / "docs_offsets.npy", _npy)
        self.passages = np.asarray(_read(folder / "passages.npy", _npy))
        self.sentences = _read(folder / "sentences.npy", _npy)
        self.vectors_f16 = _read(folder / "vectors.npy", _npy)
        self.sentence_vectors_f16 = _read(folder / "sentence_vectors.npy", _npy)
        self.keys = _read(folder / "keys.npy", _npy)
        self.sentence_keys = _read(folder / "sentence_keys.npy", _npy)
        bm = folder / "bm25"
        terms = _read(bm / "terms.json", _json)
        if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
            raise IndexCorruptError(f"{bm / 'terms.json'}: not a list of terms")
        self.postings = Postings(
            terms=terms, vocab={t: i for i, t in enumerate(terms)}, indptr=_read(bm / "indptr.npy", _npy),
            rows=_read(bm / "rows.npy", _npy), tf=_read(bm / "tf.npy", _npy),
            fwd_indptr=_read(bm / "fwd_indptr.npy", _npy), fwd_terms=_read(bm / "fwd_terms.npy", _npy),
            fwd_tf=_read(bm / "fwd_tf.npy", _npy), lengths=_read(bm / "lengths.npy", _npy))
        try:
            kind = str(manifest["segment"]["vector_kind"])
        except (KeyError, TypeError) as exc:
            raise IndexCorruptError(f"{folder / MANIFEST}: not a segment manifest") from exc
        self.dense = _read(folder / "dense.faiss", lambda p: VectorIndex.load(p, kind))
        self._check_shapes()
        self.doc_ids = [m.doc_id for m in self.meta]
        self.pids = np.ascontiguousarray(self.passages[:, 0])
        self.doc_row = np.ascontiguousarray(self.passages[:, 1])
        self.sentence_bounds = np.searchsorted(np.asarray(self.sentences[:, 0]), np.arange(len(self.passages) + 1))
        self.passage_bounds = np.searchsorted(self.doc_row, np.arange(len(self.meta) + 1))
        # Mapped now, not on first use: a later change may delete this segment, and a version that
        # is still being read must keep reading it (POSIX unlink semantics hold for open maps only).
        self._docs_map = _read(folder / "docs.jsonl", _map) if self.meta else None

    def __len__(self) -> int:
        return len(self.passages)

    @property
    def dim(self) -> int:
        return int(self.vectors_f16.shape[1])

    def _check_shapes(self) -> None:
        """Checksums prove the files are the ones written, not that they fit together."""
        n, m, d = len(self.passages), len(self.sentences), len(self.meta)
        p = self.postings
        problems = []
        if self.passages.ndim != 2 or self.passages.shape[1] != 5:
            problems.append(("passages.npy", f"shape {self.passages.shape}, expected [n, 5]"))
        elif n and (self.passages[:, 1].min() < 0 or self.passages[:, 1].max() >= d
                    or np.any(np.diff(self.passages[:, 1]) < 0) or np.any(np.diff(self.passages[:, 0]) <= 0)
                    or self.passages[:, 2].min() < 0 or np.any(self.passages[:, 3] < self.passages[:, 2])):
            problems.append(("passages.npy", "document rows, ids or spans out of range or out of order"))
        size = (self.folder / "docs.jsonl").stat().st_size
        if self.offsets.shape != (d + 1,) or (d and (np.any(np.diff(self.offsets) <= 0) or self.offsets[0] != 0
                                                     or self.offsets[-1] != size)):
            problems.append(("docs_offsets.npy", f"does not fit docs.jsonl and {d} documents"))
        if self.sentences.ndim != 2 or self.sentences.shape[1] != 3 or (
                m and (self.sentences[:, 0].min() < 0 or self.sentences[:, 0].max() >= n
                       or np.any(np.diff(self.sentences[:, 0]) < 0))):
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
                or (len(p.rows) and (int(p.rows.min()) < 0 or int(p.rows.max()) >= n))
                or (len(p.fwd_terms) and (int(p.fwd_terms.min()) < 0 or int(p.fwd_terms.max()) >= v))):
            problems.append(("bm25/", "postings do not fit the passages or the term list"))
        if problems:
            name, why = problems[0]
            raise IndexCorruptError(f"{self.folder / name}: {why}; rebuild with `ammtc-qa index --force`")

    # -- documents ----------------------------------------------------------------------------
    def document_line(self, row: int) -> bytes:
        assert self._docs_map is not None
        return self._docs_map[int(self.offsets[row]):int(self.offsets[row + 1])]

    def document(self, row: int) -> Document:
        try:
            return Document.from_json(json.loads(self.document_line(row)))
        except (ValueError, KeyError, TypeError) as exc:
            raise IndexCorruptError(f"{self.folder / 'docs.jsonl'}: document {row} cannot be read ({exc})") from exc

    def sentence_rows(self, row: int) -> tuple[int, int]:
        return int(self.sentence_bounds[row]), int(self.sentence_bounds[row + 1])

    def extract(self, live_docs: np.ndarray) -> SegmentData:
        """The given document rows (ascending) with all their passages, as data for a new segment."""
        prows = np.concatenate([np.arange(self.passage_bounds[d], self.passage_bounds[d + 1]) for d in live_docs]
                               or [np.zeros(0, dtype=np.int64)]).astype(np.int64)
        srows = np.concatenate([np.arange(self.sentence_bounds[r], self.sentence_bounds[r + 1]) for r in prows]
                               or [np.zeros(0, dtype=np.int64)]).astype(np.int64)
        doc_remap = np.full(len(self.meta), -1, dtype=np.int64)
        doc_remap[live_docs] = np.arange(len(live_docs))
        row_remap = np.full(len(self.passages), -1, dtype=np.int64)
        row_remap[prows] = np.arange(len(prows))
        passages = np.array(self.passages[prows])
        passages[:, 1] = doc_remap[passages[:, 1]]
        sentences = np.array(self.sentences[srows])
        sentences[:, 0] = row_remap[sentences[:, 0]]
        raw = json.loads((self.folder / "docmeta.json").read_text(encoding="utf-8"))["docs"]
        return SegmentData(
            doc_lines=[self.document_line(int(d)) for d in live_docs], meta=[raw[int(d)] for d in live_docs],
            passages=passages, sentences=sentences, vectors=np.asarray(self.vectors_f16[prows]),
            sentence_vectors=np.asarray(self.sentence_vectors_f16[srows]), keys=np.asarray(self.keys[prows]),
            sentence_keys=np.asarray(self.sentence_keys[srows]),
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
        forward=Forward.concat(rows))


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
        (tmp / "docmeta.json").write_text(json.dumps({"docs": data.meta}, ensure_ascii=False), encoding="utf-8")
        _save(tmp / "passages.npy", np.asarray(data.passages, dtype=np.int64).reshape(-1, 5))
        _save(tmp / "sentences.npy", np.asarray(data.sentences, dtype=np.int64).reshape(-1, 3))
        _save(tmp / "vectors.npy", np.asarray(data.vectors, dtype=np.float16))
        _save(tmp / "sentence_vectors.npy", np.asarray(data.sentence_vectors, dtype=np.float16))
        _save(tmp / "keys.npy", np.asarray(data.keys, dtype=np.uint8).reshape(-1, KEY_BYTES))
        _save(tmp / "sentence_keys.npy", np.asarray(data.sentence_keys, dtype=np.uint8).reshape(-1, KEY_BYTES))
        dense = VectorIndex.build(np.asarray(data.vectors, dtype=np.float32), vector_kind)
        dense.save(tmp / "dense.faiss")
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


def _map(path: Path) -> mmap.mmap:
    with open(path, "rb") as f:
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _npy(path: Path) -> np.ndarray:
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError:  # an empty array cannot be memory-mapped
        return np.load(path, allow_pickle=False)


def _save(path: Path, array: np.ndarray) -> None:
    np.save(path, np.ascontiguousarray(array), allow_pickle=False)


