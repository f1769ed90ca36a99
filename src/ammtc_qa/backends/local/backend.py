"""The local backend: immutable segments on disk, versions that list them, tombstones.

Layout::

    index/
      CURRENT                 name of the live version folder (replaced atomically)
      v-<time>-<id>/          one version: manifest.json (the segments it uses, with the sha256
                              of each segment's manifest), tombstones.npy, state.json (the build
                              state: settings, model, corpus file stamps; nothing per article)
      segments/s-<seq>-<id>/  immutable segments (see ``segment``), shared by versions
      .build.lock             the writer lock (see ``store.writer_lock``)

A change writes one small segment with the new articles, tombstones the passages of removed
or replaced ones, and commits a new version folder that lists the old segments plus the new
one: its cost is that of the change, not of the archive. What a build knows of each article
(text and raw hashes, near-copy sketch and links) is written once with its segment and looked
up in sorted tables there (``segment.Facts``), so a version holds no per-article table that a
change would read and write whole. Segments are merged in the
background of later changes by a base-``merge_factor`` counter (``merge_factor`` consecutive
segments of one size class become one of the next), so each passage is rewritten
O(log archive) times and a search visits O(log archive) segments. Readers open one version
and see it whole; superseded segments are deleted once no version lists them (a reader that
already mapped them keeps reading them).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..._version import __version__
from ...errors import IndexCorruptError, IndexFormatError, UnknownDocumentError
from ...input.document import Document
from ..base import ChangeSet, Fingerprint, Hits, IndexedDocument, PassageRecord, SentenceBlock, float32, offsets_of
from ..filters import DocMeta, Filter
from ..summary import MetaSummary
from .bm25 import Forward, corpus_stats, query_weights, scans_whole, scores_for, segment_scores, segment_top
from .reading import RowReader, run_rows
from .segment import (
    SEGMENTS,
    Facts,
    Ragged,
    Segment,
    SegmentData,
    _json,
    _read,
    concat,
    remove_unreferenced,
    segment_digest,
    sha_bytes,
    write_segment,
)
from .store import VersionWriter, current_version, file_sha256, read_live, read_manifest, verify, writer_lock
from .vectors import EXACT_ALLOWED_LIMIT, is_stale_kind

FORMAT = 4
"""On-disk layout of the local store; an index of another format is rebuilt (its vectors are
reused: ``stored_vectors``). 3: per-article build facts and near-copy links in the segments
(``facts/``), no ``links.json`` in versions. 4: article metadata read on demand
(``docmeta.jsonl`` + offsets, ``doc_ids.bin``) instead of a ``docmeta.json`` parsed at open, and a
per-segment ``summary.json`` the ranker's tables are added up from."""
VERIFY_BYTES = 256 << 20
"""``verify="auto"``: segments whose files add up to more than this are checked for shape and
size at open, and by checksum only with ``verify="full"`` (hashing gigabytes at every open
would cost seconds; their checksums were verified when they were written)."""
DOC_CACHE = 4096
_OPEN_SEGMENTS: weakref.WeakValueDictionary[Path, Segment] = weakref.WeakValueDictionary()
"""Segments some version in this process has open, by folder. A segment never changes once
written (its name is unique and its manifest checksum is checked against the version at every
open), so the version a change commits, or the same version opened again by the next refresh,
reuses them instead of parsing every segment's document table again: at 1M passages that parse
was most of the time of adding one article (benchmarks/scale.py). A reused segment is still
checked as ``verify`` asks (checksums up to ``VERIFY_BYTES``); a larger one had its shapes checked
when this process first opened it."""


@dataclass(frozen=True)
class LocalOptions:
    """How the local store writes (from ``IndexSettings``)."""

    vector_kind: str | None = None
    merge_factor: int = 8
    min_merge: int = 256


class LocalStore:
    """The local store of one index folder (see the module docstring)."""

    def __init__(self, index_dir: str | os.PathLike[str], *, verify: bool | str = True,
                 vector_kind: str | None = None, merge_factor: int = 8, min_merge: int = 256) -> None:
        self.index_dir = Path(index_dir)
        self.location = str(self.index_dir)
        self.work_dir = self.index_dir
        self.verify = verify
        self.options = LocalOptions(None if vector_kind in (None, "auto") else vector_kind, merge_factor, min_merge)

    def open(self) -> LocalBackend | None:
        return LocalBackend.open(self.index_dir, verify_files=self.verify, options=self.options)

    def create(self, change: ChangeSet) -> LocalBackend:
        return _apply(self.index_dir, None, change, self.options)

    def writer_lock(self, timeout: float = 600) -> AbstractContextManager[None]:
        self.index_dir.mkdir(parents=True, exist_ok=True)
        return writer_lock(self.index_dir, timeout=timeout)

    def stored_vectors(self, dim: int) -> tuple[np.ndarray, np.ndarray] | None:
        """``(cache keys, float16 vectors)`` of every text the live version embedded, read from its
        segments whatever their format (the key and vector files have not changed since format 2),
        for a rebuild to reuse: a vector is keyed by model and embedded text, so a rebuild because
        the code or the store format changed re-embeds only the texts that changed. None when the
        folder holds no readable index; a segment whose files fail their checksums is not used."""
        return read_live(self.index_dir, lambda version: _stored_vectors(self.index_dir, version, dim))


class LocalBackend:
    """One version of a local index. Read-only and thread-safe; ``apply`` returns a new one."""

    name = "local"

    def __init__(self, index_dir: Path, version: Path, manifest: dict[str, Any], segments: list[Segment],
                 tombstones: np.ndarray, state: dict[str, Any], options: LocalOptions | None = None) -> None:
        self.options = options or LocalOptions()
        self.index_dir = index_dir
        self.version = version
        self.manifest = manifest
        self.segments = segments
        self.tombstones = tombstones
        self._state = state
        settings = state.get("settings", {})
        self.k1 = float(settings.get("bm25_k1", 0.9))
        self.b = float(settings.get("bm25_b", 0.4))
        self.live = [~np.isin(s.pids, tombstones) if len(tombstones) else np.ones(len(s), dtype=bool)
                     for s in segments]
        self.any_dead = [not bool(m.all()) for m in self.live]
        self._dead_rows = [np.flatnonzero(~m) for m in self.live]
        self.stats = corpus_stats([s.postings for s in segments], self._dead_rows, self.k1, self.b)
        self._first_pid = np.array([int(s.pids[0]) if len(s) else 0 for s in segments], dtype=np.int64)
        self.doc_live = []  # per segment: documents whose first passage is live
        for i, s in enumerate(segments):
            bounds = s.passage_bounds
            first = bounds[:-1]
            self.doc_live.append((bounds[1:] > first) & self.live[i][np.minimum(first, max(len(s) - 1, 0))]
                                 if len(s) else np.zeros(len(s.meta), dtype=bool))
        self.by_doc = _DocIndex(self)
        self._columns = [_columns(s) for s in segments]
        self.document = lru_cache(maxsize=DOC_CACHE)(self._document)  # type: ignore[method-assign]
        self.copies = lru_cache(maxsize=DOC_CACHE)(self._copies)  # type: ignore[method-assign]
        self._masks: OrderedDict[tuple[int, Filter], np.ndarray] = OrderedDict()
        self._last_bm25 = threading.local()  # this thread's last whole-segment BM25 (``_whole_bm25``)
        self._counts: dict[str, int] | None = None
        self._summary: MetaSummary | None = None

    # -- opening ------------------------------------------------------------------------------
    @classmethod
    def open(cls, index_dir: Path, *, verify_files: bool | str = True,
             options: LocalOptions | None = None) -> LocalBackend | None:
        """The live version of ``index_dir`` (None when it holds none)."""
        return read_live(index_dir, lambda version: cls._open_version(index_dir, version, verify_files, options))

    @classmethod
    def _open_version(cls, index_dir: Path, version: Path, verify_files: bool | str,
                      options: LocalOptions | None = None) -> LocalBackend:
        manifest = read_manifest(version)
        if manifest.get("format") != FORMAT or not isinstance(manifest.get("segments"), list):
            raise IndexFormatError(f"{version / 'manifest.json'}: index format {manifest.get('format')!r} "
                                    f"is not {FORMAT} (written by another ammtc-qa version); rebuild it "
                                    "(`ammtc-qa index`, or load() with rebuild='auto'): the rebuild reuses its "
                                    "vectors, so only texts that changed are embedded again")
        if verify_files:
            verify(version, manifest)
        segments = []
        for entry in manifest["segments"]:
            name = str(entry["name"])
            folder = index_dir / SEGMENTS / name
            if not (folder / "manifest.json").is_file():
                raise IndexCorruptError(f"{folder}: segment listed by {version.name} is missing")
            if verify_files and segment_digest(index_dir, name) != entry.get("manifest_sha256"):
                raise IndexCorruptError(f"{folder / 'manifest.json'}: checksum mismatch (replaced?)")
            full = bool(verify_files == "full" or (verify_files and _size(folder) <= VERIFY_BYTES))
            segment = _OPEN_SEGMENTS.get(folder)
            if segment is None:
                segment = Segment(folder, verify_files=full)
                _OPEN_SEGMENTS[folder] = segment
            elif full:  # reused, not re-parsed; its files are still checked as an open would
                verify(folder, segment.manifest)
            if len(segment) != int(entry.get("passages", -1)):
                raise IndexCorruptError(f"{folder}: {len(segment)} passages, the version lists {entry.get('passages')}")
            segments.append(segment)
        tombstones = _read(version / "tombstones.npy", lambda p: np.load(p, allow_pickle=False))
        state = _read(version / "state.json", _json)
        if tombstones.dtype != np.int64 or tombstones.ndim != 1:
            raise IndexCorruptError(f"{version / 'tombstones.npy'}: not a list of passage ids")
        if not isinstance(state, dict):
            raise IndexCorruptError(f"{version / 'state.json'}: not a build state")
        dims = {s.dim for s in segments}
        if len(dims) > 1:
            raise IndexCorruptError(f"{version}: segments of different vector widths {sorted(dims)}")
        return cls(index_dir, version, manifest, segments, tombstones, state, options)

    # -- Backend: facts ----------------------------------------------------------------------
    def __len__(self) -> int:
        return self.stats.n

    @property
    def dim(self) -> int:
        return self.segments[0].dim if self.segments else 0

    @property
    def state(self) -> Mapping[str, Any]:
        if self._counts is None:  # a version never changes: counted once
            self._counts = _Counts(self, {"documents": len(self.by_doc), "chunks": len(self),
                                          "segments": len(self.segments),
                                          "sentences": sum(int(s.sentence_bounds[-1]) for s in self.segments)})
        counts = self._counts
        return {**self._state, "counts": counts, "version": self.version.name,
                "built_at": self.manifest.get("built_at"),
                "vector_kind": ",".join(sorted({s.dense.kind for s in self.segments}))}

    # -- Backend: dense ------------------------------------------------------------------------
    def dense_search(self, query: np.ndarray, k: int, where: Filter | None = None) -> Hits:
        ids, scores = [], []
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(-1)
        for i, seg in enumerate(self.segments):
            allowed = self._allowed(i, where)
            if allowed is not None and not allowed.any():
                continue
            if allowed is not None and seg.dense.approximate and int(allowed.sum()) <= EXACT_ALLOWED_LIMIT:
                rows = np.flatnonzero(allowed)
                s = float32(seg.vector_rows.take(rows)) @ q
            else:
                s, rows = seg.dense.search(q, k, allowed)
            ids.append(seg.pids[rows])
            scores.append(s)
        if not ids:
            return Hits.empty()
        return Hits.top(np.concatenate(ids), np.concatenate(scores), k)

    def vectors(self, ids: Sequence[int]) -> np.ndarray:
        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        for _, (seg, rows, at) in self._locate(ids):
            out[at] = float32(seg.vector_rows.mapped()[rows])  # one gather (``reading``): ~80 preads cost more
        return out

    # -- Backend: lexical ----------------------------------------------------------------------
    def idf(self, tokens: Sequence[str]) -> dict[str, float]:
        return self.stats.idf([s.postings for s in self.segments], tokens)

    def lexical_search(self, tokens: Sequence[str], k: int, where: Filter | None = None) -> Hits:
        weights = query_weights(tokens, self.idf(tokens))
        if not weights or k <= 0:
            return Hits.empty()
        ids, scores = [], []
        for i, seg in enumerate(self.segments):
            allowed = self._allowed(i, where)
            if allowed is not None and not allowed.any():
                continue
            postings = seg.search_postings()
            rows, s = segment_top(postings, weights, self.stats, k, allowed, self._whole_bm25(i, postings, weights))
            ids.append(seg.pids[rows])
            scores.append(s)
        if not ids:
            return Hits.empty()
        return Hits.top(np.concatenate(ids), np.concatenate(scores), k)

    def lexical_scores(self, tokens: Sequence[str], ids: Sequence[int]) -> np.ndarray:
        out = np.zeros(len(ids), dtype=np.float32)
        weights = query_weights(tokens, self.idf(tokens))
        if not weights:
            return out
        memo = self._last_bm25
        last = memo.scores if getattr(memo, "key", None) == tuple(weights.items()) else {}
        for i, (seg, rows, at) in self._locate(ids):
            whole = last.get(i)
            out[at] = whole[rows] if whole is not None else scores_for(seg.search_postings(), rows, weights, self.stats)
        return out

    def _whole_bm25(self, i: int, postings: Any, weights: dict[str, float]) -> np.ndarray | None:
        """Segment ``i``'s BM25 of every passage when the search scores it whole (few postings),
        kept as this thread's last: ranking asks ``lexical_scores`` of the candidates next, and
        reads them from it instead of scoring again. One query's arrays per thread at most."""
        if not scans_whole(postings, weights):
            return None
        key = tuple(weights.items())
        memo = self._last_bm25
        if getattr(memo, "key", None) != key:
            memo.key, memo.scores = key, {}
        whole = memo.scores.get(i)
        if whole is None:
            whole = memo.scores[i] = segment_scores(postings, weights, self.stats)
            whole.flags.writeable = False
        return whole

    # -- Backend: records ----------------------------------------------------------------------
    def passages(self, ids: Sequence[int]) -> list[PassageRecord]:
        out: list[PassageRecord | None] = [None] * len(ids)
        for i, (seg, rows, at) in self._locate(ids):
            # one gather per array, not one memory-map view per row and element
            lo, hi = seg.sentence_bounds[rows], seg.sentence_bounds[rows + 1]
            spans = seg.sentence_table.mapped()[run_rows(lo, hi), 1:].tolist()  # maps of this call (``reading``)
            ends = np.cumsum(hi - lo).tolist()
            starts = [0, *ends[:-1]]
            table = seg.passage_rows.mapped()[rows].tolist()
            docs = list({row[1] for row in table})
            doc_ids = dict(zip(docs, seg.doc_ids.many(docs), strict=True))
            for d, doc_id in doc_ids.items():
                self.by_doc.learn(doc_id, i, d)
            for (pid, d, start, end, position), j, a, b in zip(table, at.tolist(), starts, ends, strict=True):
                out[j] = PassageRecord(pid, doc_ids[d], start, end, position, tuple(map(tuple, spans[a:b])))
        return out  # type: ignore[return-value]

    def sentence_vectors(self, ids: Sequence[int]) -> SentenceBlock:
        ats, blocks, counts = [], [], []
        for _, (seg, rows, at) in self._locate(ids):
            lo, hi = seg.sentence_bounds[rows], seg.sentence_bounds[rows + 1]
            ats.append(at)
            blocks.append(seg.sentence_vector_rows.runs(lo, hi))  # one read a run of passages
            counts.append(hi - lo)
        if not ats:
            return SentenceBlock.of([], self.dim)
        block = SentenceBlock(float32(np.concatenate(blocks) if len(blocks) > 1 else blocks[0]),
                              offsets_of(np.concatenate(counts)))  # in segment order
        order = np.concatenate(ats)
        if np.array_equal(order, np.arange(len(ids))):  # ascending ids, as ranking asks
            return block
        return block.take(np.argsort(order))  # block passage j is ids[order[j]]

    def _document(self, doc_id: str) -> Document:
        where = self.by_doc.get(doc_id)
        if where is None:
            raise UnknownDocumentError(f"no document with id {doc_id!r} in this index")
        return self.segments[where[0]].document(where[1])

    def documents(self) -> Iterator[Document]:
        for doc_id in self.by_doc:
            yield self.document(doc_id)

    def doc_meta(self) -> Sequence[DocMeta]:
        """Every live document's metadata, read from disk as it is iterated or indexed."""
        return _MetaView(self)

    def meta_summary(self) -> MetaSummary:
        """The ranker's counts over the live documents (``backends.summary``): each segment's
        summary, written with it, less its tombstoned documents, added up. O(segments + removed
        documents + distinct values), never a pass over the archive's metadata."""
        if self._summary is None:
            parts = []
            for seg, live in zip(self.segments, self.doc_live, strict=True):
                if len(seg.meta) == 0:
                    continue
                has = np.diff(seg.passage_bounds) > 0
                dead = np.flatnonzero(has & ~live).tolist()
                part = seg.summary.without([(r, seg.meta[r]) for r in dead]) if dead else seg.summary
                if part is None:  # a removed document came first for a value others hold: count again
                    rows = np.flatnonzero(live).tolist()
                    part = MetaSummary.of((seg.meta[r] for r in rows), rows)
                parts.append(part)
            self._summary = MetaSummary.combine(parts)
        return self._summary

    def docs_mentioning(self, keys: Sequence[str]) -> frozenset[str]:
        """Ids of the live documents that mention any of these stored meeting keys (the
        segments' meeting postings)."""
        out: set[str] = set()
        for seg, live in zip(self.segments, self.doc_live, strict=True):
            rows = np.unique(np.concatenate([seg.columns.mentioning(k) for k in keys] or [np.zeros(0, np.int64)]))
            out.update(seg.doc_ids[r] for r in rows[live[rows]].tolist())
        return frozenset(out)

    def count_undated(self, where: Filter) -> int:
        """Live documents without a date that ``where`` (given no date range) would let through."""
        total = 0
        for i, seg in enumerate(self.segments):
            docs = self._columns[i].doc_mask(where) & self.doc_live[i] & (np.asarray(seg.columns.dates) < 0)
            total += int(docs.sum())
        return total

    def copies(self, doc_id: str) -> tuple[str, ...]:
        """Ids of the document's near copies (cached per version: ``_copies``)."""
        return self._copies(doc_id)

    def _copies(self, doc_id: str) -> tuple[str, ...]:
        """Forward links written with the document, and links to it written with later ones
        (each a first passage id, so a removed or replaced copy drops out by its tombstones)."""
        where = self.by_doc.get(doc_id)
        if where is None:
            return ()
        i, row = where
        seg = self.segments[i]
        out = {self._doc_of_first_pid(int(pid)) for pid in seg.facts.links.row(row).tolist()}
        first = int(seg.pids[seg.passage_bounds[row]])
        for j, other in enumerate(self.segments):
            for r in other.rows_linking_to(first):
                if self.doc_live[j][r]:
                    out.add(copy := other.doc_ids[r])
                    self.by_doc.learn(copy, j, r)  # an answer reads its copies next
        out.discard(None)
        out.discard(doc_id)
        return tuple(sorted(out))  # type: ignore[arg-type]

    def language_counts(self) -> dict[str, int]:
        """Live documents per language (case-folded; "" for none), from the segments' language
        columns: no metadata is read."""
        counts: dict[str, int] = {}
        for seg, _, codes in self._language_codes():
            for code, n in enumerate(np.bincount(codes, minlength=len(seg.columns.languages)).tolist()):
                if n:
                    lang = seg.columns.languages[code]
                    counts[lang] = counts.get(lang, 0) + n
        return counts

    def docs_in_languages(self, languages: Collection[str]) -> dict[str, str]:
        """Doc id -> language of the live documents whose (case-folded) language is one of these."""
        wanted = {lang.casefold() for lang in languages}
        out: dict[str, str] = {}
        for seg, rows, codes in self._language_codes():
            table = seg.columns.languages
            picked = np.isin(codes, [c for c, lang in enumerate(table) if lang in wanted])
            if picked.any():
                ids = seg.doc_ids.many(rows[picked].tolist())
                out.update(zip(ids, (table[c] for c in codes[picked].tolist()), strict=True))
        return out

    def _language_codes(self) -> Iterator[tuple[Segment, np.ndarray, np.ndarray]]:
        """Per segment, its live documents' rows and language codes (a scan: maps of this call)."""
        for seg, live in zip(self.segments, self.doc_live, strict=True):
            rows = np.flatnonzero(live)
            yield seg, rows, np.asarray(RowReader(seg.columns.language, hold=False).mapped())[rows]

    def linked_documents(self) -> int:
        """How many live documents have a live near copy (``copies(d)`` not empty), from every
        segment's link table in a few array operations: a ``copies`` call per document opened two
        lookup files per segment each, minutes at a million articles."""
        firsts, sources, targets = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)], \
            [np.zeros(0, dtype=np.int64)]
        for seg, live in zip(self.segments, self.doc_live, strict=True):
            if not len(seg):
                continue
            first = seg.pids[np.minimum(seg.passage_bounds[:-1], len(seg) - 1)]  # a live document's first id
            firsts.append(first[live])
            rows, to = seg.link_edges()
            sources.append(first[rows[live[rows]]])
            targets.append(to[live[rows]])
        source, target = np.concatenate(sources), np.concatenate(targets)
        real = np.isin(target, np.concatenate(firsts)) & (source != target)  # to a live copy, not itself
        return len(np.union1d(source[real], target[real]))  # a link counts for both of its articles

    def _doc_of_first_pid(self, pid: int) -> str | None:
        """The live document whose first passage is ``pid`` (None when it is gone)."""
        i = int(np.searchsorted(self._first_pid, pid, side="right")) - 1
        if i < 0:
            return None
        seg = self.segments[i]
        row = int(np.searchsorted(seg.pids, pid))
        if row >= len(seg) or int(seg.pids[row]) != pid:
            return None
        d = int(seg.doc_row[row])
        if int(seg.passage_bounds[d]) != row or not self.doc_live[i][d]:
            return None
        doc_id: str = seg.doc_ids[d]
        self.by_doc.learn(doc_id, i, d)
        return doc_id

    def first_pid(self, doc_id: str) -> int | None:
        where = self.by_doc.get(doc_id)
        if where is None:
            return None
        seg = self.segments[where[0]]
        return int(seg.pids[seg.passage_bounds[where[1]]])

    # -- build lookups: one article at a time, without archive-wide tables ----------------------
    def has(self, doc_id: str) -> bool:
        return self.by_doc.get(doc_id) is not None

    def fingerprint(self, doc_id: str) -> Fingerprint | None:
        where = self.by_doc.get(doc_id)
        if where is None:
            return None
        seg, r = self.segments[where[0]], where[1]
        return Fingerprint(seg.text_sha_hex(r), tuple(int(a) for a in seg.facts.anchors.row(r).tolist()),
                           seg.raw_sha_hex(r))

    def source(self, doc_id: str) -> str | None:
        where = self.by_doc.get(doc_id)
        return None if where is None else self.segments[where[0]].meta[where[1]].source

    def docs_with_text(self, text_sha: str) -> list[str]:
        """Live documents whose cleaned text has this sha256."""
        return self._live_rows(lambda seg: seg.rows_with_sha("text", text_sha))

    def docs_with_raw(self, raw_sha: str) -> list[str]:
        """Live documents read from bytes with this sha256 (a file, or a ``.jsonl`` line)."""
        return self._live_rows(lambda seg: seg.rows_with_sha("raw", raw_sha))

    def docs_from_file(self, rel: str) -> list[str]:
        """Live documents read from the corpus file ``rel``."""
        return self._live_rows(lambda seg: seg.rows_of_file(rel))

    def docs_with_anchors(self, anchors: Sequence[int]) -> list[str]:
        """Live documents whose near-copy sketch shares an anchor with ``anchors``."""
        keys = np.asarray(list(anchors), dtype=np.uint64)
        return self._live_rows(lambda seg: sorted(set(seg.find("anchor", keys).tolist())))

    def source_files(self) -> list[str]:
        """Every corpus file a live document was read from (O(archive): for metadata changes)."""
        from .segment import source_file

        return sorted({source_file(m.source) for m in self.doc_meta()})

    def _live_rows(self, rows_of: Any) -> list[str]:
        out = []
        for i, seg in enumerate(self.segments):
            out.extend(seg.doc_ids[r] for r in rows_of(seg) if self.doc_live[i][r])
        return out

    def passage_ids(self, doc_id: str) -> list[int]:
        i, row = self.by_doc[doc_id]
        seg = self.segments[i]
        return seg.pids[seg.passage_bounds[row]:seg.passage_bounds[row + 1]].tolist()

    # -- for builds ----------------------------------------------------------------------------
    def fingerprints(self) -> dict[str, Fingerprint]:
        """Every live document's ``Fingerprint`` (O(archive); a refresh uses the lookups above)."""
        out = {}
        for seg, live in zip(self.segments, self.doc_live, strict=True):
            for r in np.flatnonzero(live).tolist():
                out[seg.doc_ids[r]] = Fingerprint(seg.text_sha_hex(r),
                                                  tuple(int(a) for a in seg.facts.anchors.row(r).tolist()),
                                                  seg.raw_sha_hex(r))
        return out

    def embedded(self, doc_ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(keys, float16 vectors)`` stored for these documents' passages and sentences: an
        updated article re-embeds only the texts that changed."""
        keys, vecs = [np.zeros((0, 32), dtype=np.uint8)], [np.zeros((0, self.dim), dtype=np.float16)]
        for d in doc_ids:
            if d not in self.by_doc:
                continue
            i, row = self.by_doc[d]
            seg = self.segments[i]
            lo, hi = int(seg.passage_bounds[row]), int(seg.passage_bounds[row + 1])
            slo, shi = int(seg.sentence_bounds[lo]), int(seg.sentence_bounds[hi])
            keys += [np.asarray(seg.keys[lo:hi]), np.asarray(seg.sentence_keys[slo:shi])]
            vecs += [seg.vector_rows.slice(lo, hi), seg.sentence_vector_rows.slice(slo, shi)]
        return np.concatenate(keys), np.concatenate(vecs)

    def apply(self, change: ChangeSet) -> LocalBackend:
        """Write a new version with ``change`` (the caller holds the writer lock)."""
        return _apply(self.index_dir, self, change, self.options)

    def stale_kind(self, vector_kind: str | None) -> bool:
        return any(is_stale_kind(vector_kind, s.dense.kind, len(s)) for s in self.segments)

    # -- internals -----------------------------------------------------------------------------
    def _locate(self, ids: Sequence[int]) -> Iterator[tuple[int, tuple[Segment, np.ndarray, np.ndarray]]]:
        """Per segment: ``(segment, local rows, positions in ids)``; unknown ids raise KeyError."""
        pids = np.asarray(ids, dtype=np.int64)
        if not len(pids):
            return
        if len(self.segments) == 1:  # the common case after a merge: no split by segment
            groups = [(0, np.arange(len(pids)))]
        else:
            which = np.searchsorted(self._first_pid, pids, side="right") - 1
            groups = [(i, np.flatnonzero(which == i)) for i in np.unique(which).tolist()]
        for i, at in groups:
            seg = self.segments[i] if i >= 0 else None
            rows = np.searchsorted(seg.pids, pids[at]) if seg is not None else at
            if seg is None or np.any(rows >= len(seg)) or np.any(seg.pids[np.minimum(rows, len(seg) - 1)] != pids[at]) \
                    or not self.live[i][rows].all():
                raise KeyError(f"passage id(s) not in this index: {pids[at][:5].tolist()}")
            yield i, (seg, rows, at)

    def _allowed(self, i: int, where: Filter | None) -> np.ndarray | None:
        """Rows of segment ``i`` that may compete, or None for all of them."""
        if where is None or where.empty:
            return self.live[i] if self.any_dead[i] else None
        key = (i, where)
        mask = self._masks.get(key)
        if mask is None:
            mask = self._columns[i].passage_mask(where) & self.live[i]
            self._masks[key] = mask
            if len(self._masks) > 256:
                self._masks.popitem(last=False)
        return mask


_MISSING = object()


class _DocIndex(Mapping[str, tuple[int, int]]):
    """``doc id -> (segment, document row)`` of the live documents, looked up in each segment's
    sorted doc-id table (newest segment first) instead of a dict built at every open."""

    def __init__(self, backend: LocalBackend) -> None:
        self._segments = backend.segments
        self._live = backend.doc_live
        self._len = int(sum(int(m.sum()) for m in backend.doc_live))
        self._cache: dict[str, tuple[int, int] | None] = {}

    def get(self, doc_id: str, default: Any = None) -> Any:  # type: ignore[override]
        if not isinstance(doc_id, str):
            return default
        found = self._cache.get(doc_id, _MISSING)
        if found is _MISSING:
            found = self._find(doc_id)
            self._remember(doc_id, found)
        return default if found is None else found

    def learn(self, doc_id: str, segment: int, row: int) -> None:
        """Where a live document is, from a lookup that read its segment and row anyway (a
        passage's record, a near-copy link), so that reading it next does not search every
        segment's doc-id table."""
        if doc_id not in self._cache and self._live[segment][row]:
            self._remember(doc_id, (segment, row))

    def _remember(self, doc_id: str, found: tuple[int, int] | None) -> None:
        if len(self._cache) >= DOC_CACHE * 4:  # a version never changes: a bounded memo is safe
            self._cache.pop(next(iter(self._cache)))
        self._cache[doc_id] = found

    def _find(self, doc_id: str) -> tuple[int, int] | None:
        for i in range(len(self._segments) - 1, -1, -1):
            for r in self._segments[i].rows_of_doc(doc_id):
                if self._live[i][r]:
                    return i, r
        return None

    def __getitem__(self, doc_id: str) -> tuple[int, int]:
        where = self.get(doc_id)
        if where is None:
            raise KeyError(doc_id)
        return where  # type: ignore[no-any-return]

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and self.get(doc_id) is not None

    def __iter__(self) -> Iterator[str]:
        for seg, live in zip(self._segments, self._live, strict=True):
            for r in np.flatnonzero(live).tolist():
                yield seg.doc_ids[r]

    def __len__(self) -> int:
        return self._len


class _MetaView(Sequence[DocMeta]):
    """A version's live documents' metadata, in segment order, read on demand."""

    def __init__(self, backend: LocalBackend) -> None:
        self._segments = backend.segments
        self._by_doc = backend.by_doc
        self._rows = [np.flatnonzero(live) for live in backend.doc_live]
        self._ends = np.cumsum([len(r) for r in self._rows]) if self._rows else np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return int(self._ends[-1]) if len(self._ends) else 0

    def __getitem__(self, i: int) -> DocMeta:  # type: ignore[override]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i %= len(self)
        s = int(np.searchsorted(self._ends, i, side="right"))
        before = int(self._ends[s - 1]) if s else 0
        return self._segments[s].meta[int(self._rows[s][i - before])]

    def __iter__(self) -> Iterator[DocMeta]:
        for i, (seg, rows) in enumerate(zip(self._segments, self._rows, strict=True)):
            for r in rows.tolist():
                meta = seg.meta[r]
                self._by_doc.learn(meta.doc_id, i, r)  # a listing looks each one up next (passage_ids)
                yield meta


class _Counts(Mapping[str, int]):
    """A version's counts; ``linked_copies`` (a pass over every document) only when read."""

    def __init__(self, backend: LocalBackend, counts: dict[str, int]) -> None:
        self._backend = weakref.ref(backend)
        self._counts = counts

    def __getitem__(self, key: str) -> int:
        if key == "linked_copies" and key not in self._counts:
            backend = self._backend()
            self._counts[key] = backend.linked_documents() if backend else 0
        return self._counts[key]

    def __iter__(self) -> Iterator[str]:
        return iter([*[k for k in self._counts if k != "linked_copies"], "linked_copies"])

    def __len__(self) -> int:
        return len(self._counts) + ("linked_copies" not in self._counts)


class _Columns:
    """Evaluates a ``Filter`` on a segment's memory-mapped columns (``segment.Columns``)."""

    def __init__(self, seg: Segment) -> None:
        self.n_docs = len(seg.meta)
        self.doc_row = seg.doc_row  # not the segment: _COLUMNS holds these and must not keep it alive
        self.cols = seg.columns
        self.rows_of_doc = weakref.WeakMethod(seg.rows_of_doc)

    def passage_mask(self, f: Filter) -> np.ndarray:
        return self.doc_mask(f)[self.doc_row]

    def doc_mask(self, f: Filter) -> np.ndarray:
        n = self.n_docs
        c = self.cols
        docs = np.ones(n, dtype=bool)
        if f.doc_ids is not None:
            pick = np.zeros(n, dtype=bool)
            rows_of = self.rows_of_doc()
            pick[[r for d in f.doc_ids for r in (rows_of(d) if rows_of else [])]] = True
            docs &= pick
        if f.meetings is not None:
            pick = np.zeros(n, dtype=bool)
            for key in f.meetings:
                pick[c.mentioning(key)] = True
            docs &= pick
        if f.dated:
            dates = np.asarray(c.dates)
            docs &= dates >= 0
            if f.since:
                docs &= dates >= f.since.toordinal()
            if f.until:
                docs &= dates <= f.until.toordinal()
        if f.publishers is not None:
            docs &= np.isin(c.publisher, c.codes(c.publishers, f.publishers))
        if f.languages is not None:
            docs &= np.isin(c.language, c.codes(c.languages, f.languages))
        return docs


_COLUMNS: weakref.WeakKeyDictionary[Segment, _Columns] = weakref.WeakKeyDictionary()


def _columns(seg: Segment) -> _Columns:
    """A segment's filter columns, built once per open segment (segments never change)."""
    cols = _COLUMNS.get(seg)
    if cols is None:
        cols = _COLUMNS[seg] = _Columns(seg)
    return cols


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


# -- writing ---------------------------------------------------------------------------------------
def new_segment_data(docs: Sequence[IndexedDocument], first_pid: int, dim: int,
                     links: Sequence[Sequence[int]] | None = None) -> SegmentData:
    """Pack freshly built documents, numbering their passages from ``first_pid``; ``links[d]``:
    the first passage ids of document ``d``'s near copies."""
    passages, sentences, vectors, svectors, keys, skeys, tokens = [], [], [], [], [], [], []
    pid = first_pid
    for d, item in enumerate(docs):
        for position, p in enumerate(item.passages):
            row = len(passages)
            passages.append((pid, d, p.start, p.end, position))
            sentences.extend((row, a, b) for a, b in p.sentences)
            vectors.append(np.asarray(p.vector, dtype=np.float16).reshape(dim))
            svectors.append(np.asarray(p.sentence_vectors, dtype=np.float16).reshape(-1, dim))
            keys.append(np.frombuffer(p.text_key.ljust(32, b"\0")[:32], dtype=np.uint8))
            skeys.extend(np.frombuffer(k.ljust(32, b"\0")[:32], dtype=np.uint8) for k in p.sentence_keys)
            if len(p.sentence_keys) != len(p.sentences):
                skeys.extend(np.zeros(32, dtype=np.uint8) for _ in range(len(p.sentences) - len(p.sentence_keys)))
            tokens.append(p.tokens)
            pid += 1
    meta = [DocMeta.of(item.document).to_json() for item in docs]
    facts = Facts(
        text_sha=np.stack([sha_bytes(item.text_sha) for item in docs]) if docs else np.zeros((0, 32), np.uint8),
        raw_sha=np.stack([sha_bytes(item.raw_sha) for item in docs]) if docs else np.zeros((0, 32), np.uint8),
        anchors=Ragged.of([[int(a) for a in item.anchors] for item in docs], np.uint64),
        links=Ragged.of(list(links) if links is not None else [[] for _ in docs], np.int64))
    return SegmentData(
        facts=facts,
        doc_lines=[json.dumps(item.document.to_json(), ensure_ascii=False).encode("utf-8", "surrogatepass")
                   for item in docs],
        meta=meta, passages=np.asarray(passages, dtype=np.int64).reshape(-1, 5),
        sentences=np.asarray(sentences, dtype=np.int64).reshape(-1, 3),
        vectors=np.stack(vectors) if vectors else np.zeros((0, dim), dtype=np.float16),
        sentence_vectors=np.concatenate(svectors) if svectors else np.zeros((0, dim), dtype=np.float16),
        keys=np.stack(keys) if keys else np.zeros((0, 32), dtype=np.uint8),
        sentence_keys=np.stack(skeys) if skeys else np.zeros((0, 32), dtype=np.uint8),
        forward=Forward.from_tokens(tokens))


def _apply(index_dir: Path, base: LocalBackend | None, change: ChangeSet, options: LocalOptions) -> LocalBackend:
    index_dir.mkdir(parents=True, exist_ok=True)
    vector_kind, merge_factor, min_merge = options.vector_kind, options.merge_factor, options.min_merge
    if base is None:
        merge_factor = 0  # a full build is one segment
    segments = list(base.segments) if base else []
    manifest = base.manifest if base else {}
    next_pid = int(manifest.get("next_pid", 0))
    next_seq = int(manifest.get("next_seq", 0))
    dim = base.dim if base and base.segments else (
        int(np.asarray(change.add[0].passages[0].vector).shape[-1]) if change.add and change.add[0].passages else 0)
    gone = set(change.remove) | {item.document.doc_id for item in change.add}
    dead = set(base.tombstones.tolist()) if base else set()
    if base:
        for doc_id in gone:
            if doc_id in base.by_doc:
                dead.update(base.passage_ids(doc_id))
    names = [s.name for s in segments]
    sizes = [len(s) - int(np.isin(s.pids, list(dead)).sum()) if dead else len(s) for s in segments]
    written: list[str] = []
    try:
        return _write(index_dir, base, change, options, vector_kind, merge_factor, min_merge, segments, names, sizes,
                      dead, written, next_pid, next_seq, dim)
    except BaseException:
        live = current_version(index_dir)
        if live is None or base is None or live == base.version:  # not committed: drop what this change wrote
            remove_unreferenced(index_dir, _referenced(live))
        raise


def _write(index_dir: Path, base: LocalBackend | None, change: ChangeSet, options: LocalOptions,
           vector_kind: str | None, merge_factor: int, min_merge: int, segments: list[Segment], names: list[str],
           sizes: list[int],
           dead: set[int], written: list[str], next_pid: int, next_seq: int, dim: int) -> LocalBackend:
    if change.add:
        data = new_segment_data(change.add, next_pid, dim, _new_links(base, change, next_pid))
        next_pid += len(data.passages)
        name = write_segment(index_dir, next_seq, data, vector_kind)
        next_seq += 1
        names.append(name)
        sizes.append(len(data.passages))
        written.append(name)
    # merges: a run of `merge_factor` consecutive segments of one size class becomes one
    opened: dict[str, Segment] = {s.name: s for s in segments}
    while True:
        run = _merge_run(sizes, merge_factor, min_merge)
        empty = next((i for i, n in enumerate(sizes) if n == 0), None)
        if run is None and empty is None:
            break
        lo, hi = run if run is not None else (empty, empty + 1)  # type: ignore[operator]
        parts = []
        for name in names[lo:hi]:
            seg = opened.get(name) or Segment(index_dir / SEGMENTS / name, verify_files=False)
            opened[name] = seg
            live_docs = np.flatnonzero(~np.isin(seg.pids[seg.passage_bounds[:-1].clip(max=max(len(seg) - 1, 0))],
                                                list(dead))) if dead else np.arange(len(seg.meta))
            if len(live_docs):
                parts.append(seg.extract(live_docs))
        merged_size = sum(len(p.passages) for p in parts)
        replacement: list[str] = []
        if merged_size:
            name = write_segment(index_dir, next_seq, concat(parts), vector_kind)
            next_seq += 1
            replacement = [name]
            written.append(name)
        names[lo:hi] = replacement
        sizes[lo:hi] = [merged_size] if merged_size else []
    keep_pids = [opened.get(n) or Segment(index_dir / SEGMENTS / n, verify_files=False) for n in names]
    all_pids = np.concatenate([s.pids for s in keep_pids]) if keep_pids else np.zeros(0, dtype=np.int64)
    tombstones = np.array(sorted(dead), dtype=np.int64)
    tombstones = tombstones[np.isin(tombstones, all_pids)]
    state = {**(base._state if base else {}), **change.state}
    writer = VersionWriter(index_dir)
    try:
        np.save(writer.path("tombstones.npy"), tombstones, allow_pickle=False)
        writer.path("state.json").write_text(json.dumps(state, ensure_ascii=False, default=str), encoding="utf-8")
        version = writer.commit({
            "format": FORMAT, "library_version": __version__,
            "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "next_pid": next_pid, "next_seq": next_seq,
            "segments": [{"name": n, "manifest_sha256": segment_digest(index_dir, n),
                          "passages": len(s)} for n, s in zip(names, keep_pids, strict=True)],
        })
    except BaseException:
        writer.abort()
        raise
    remove_unreferenced(index_dir, set(names))
    return LocalBackend._open_version(index_dir, version, verify_files=False, options=options)


def _new_links(base: LocalBackend | None, change: ChangeSet, first_pid: int) -> list[list[int]]:
    """Per added document, the first passage ids of its near copies (``change.copies``): other
    added documents, or live ones of ``base``. A kept document's links need no entry: links are
    symmetric and found from either side (``LocalBackend.copies``), and a link to a removed or
    replaced document ends with its passages."""
    first: dict[str, int] = {}
    pid = first_pid
    for item in change.add:
        if item.passages:
            first[item.document.doc_id] = pid
        pid += len(item.passages)
    out = []
    for item in change.add:
        targets = set()
        for c in change.copies.get(item.document.doc_id, ()):
            p = first.get(c)
            if p is None and base is not None and c not in change.remove:
                p = base.first_pid(c)
            if p is not None and c != item.document.doc_id:
                targets.add(p)
        out.append(sorted(targets))
    return out


def _stored_vectors(index_dir: Path, version: Path, dim: int) -> tuple[np.ndarray, np.ndarray] | None:
    try:
        manifest = read_manifest(version)
        names = [str(e["name"]) for e in manifest.get("segments", [])]
    except (IndexCorruptError, KeyError, TypeError):
        return None
    keys, vecs = [np.zeros((0, 32), dtype=np.uint8)], [np.zeros((0, dim), dtype=np.float16)]
    wanted = ("keys.npy", "sentence_keys.npy", "vectors.npy", "sentence_vectors.npy")
    for name in names:
        folder = index_dir / SEGMENTS / name
        try:
            files = read_manifest(folder)["files"]
            for f in wanted:
                if file_sha256(folder / f) != files.get(f):
                    raise IndexCorruptError(f"{folder / f}: checksum mismatch")
            k, sk = np.load(folder / "keys.npy", mmap_mode="r"), np.load(folder / "sentence_keys.npy", mmap_mode="r")
            v = np.load(folder / "vectors.npy", mmap_mode="r")
            sv = np.load(folder / "sentence_vectors.npy", mmap_mode="r")
        except (IndexCorruptError, OSError, ValueError, KeyError, TypeError):
            continue
        if v.ndim != 2 or v.shape[1] != dim or k.shape != (len(v), 32) or sv.shape[1:] != (dim,) \
                or sk.shape != (len(sv), 32):
            continue
        keys += [np.asarray(k), np.asarray(sk)]
        vecs += [np.asarray(v, dtype=np.float16), np.asarray(sv, dtype=np.float16)]
    if len(keys) == 1:
        return None
    return np.concatenate(keys), np.concatenate(vecs)


def _referenced(version: Path | None) -> set[str]:
    """Segments a version lists (empty when there is none or it cannot be read)."""
    if version is None:
        return set()
    try:
        return {str(e["name"]) for e in read_manifest(version).get("segments", [])}
    except (IndexCorruptError, KeyError, TypeError):
        return set()


def _merge_run(sizes: list[int], factor: int, min_merge: int) -> tuple[int, int] | None:
    """The newest run of ``factor`` consecutive segments of one size class, if any."""
    if factor < 2 or len(sizes) < factor:
        return None
    level = [0 if n <= min_merge else 1 + int(math.log(n / min_merge, factor)) for n in sizes]
    for hi in range(len(sizes), factor - 1, -1):
        window = level[hi - factor:hi]
        if len(set(window)) == 1:
            return hi - factor, hi
    return None


def create(index_dir: Path, change: ChangeSet, *, vector_kind: str | None = None) -> LocalBackend:
    """A first version holding exactly ``change.add`` (a full build)."""
    return LocalStore(index_dir, vector_kind=vector_kind).create(change)
