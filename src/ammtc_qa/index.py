"""Building an index from a corpus, and loading one back.

What is embedded for a passage is a short context header (the article's title, main
meeting, place and date) followed by the passage text: a paragraph that says "he proposed
four approaches" is only findable for "AMMTC 19" through its article. The header is cut
first so that header + passage always fit the model window; the passage text returned to
users is the exact span of the cleaned article, header not included.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._version import __version__
from .chunking import Chunk, chunk_document
from .corpus import Corpus, FileStamp
from .document import Document
from .duplicates import drop_exact_duplicates, near_copies
from .embedding import Embedder
from .embedding_cache import Journal, embed_with_cache, save_cache
from .errors import CorpusWarning
from .lexical import LexicalIndex
from .settings import INDEX_FORMAT, IndexSettings
from .store import VersionWriter, build_lock, current_version, read_manifest, verify
from .vectors import VectorIndex

log = logging.getLogger("ammtc_qa")

def context_header(doc: Document) -> str:
    """``Title (AMMTC 19, Melaka, Malaysia, 2025-09-10)``: what the passage alone cannot say."""
    m = doc.meetings
    facts = [m.main or "", ", ".join(m.places), (m.date or doc.date or "") and str(m.date or doc.date)]
    facts = [f for f in facts if f]
    title = doc.title or ""
    return f"{title} ({', '.join(facts)})" if facts else title


def fit_header(header: str, embedder: Embedder, budget: int) -> str:
    """Drop words from the end of the header until it fits ``budget`` word pieces."""
    words = header.split()
    while words and embedder.count_tokens(" ".join(words)) > budget:
        words.pop()
    return " ".join(words)


@dataclass
class IndexData:
    """Everything a search needs, loaded from one version folder."""

    version: Path
    manifest: dict[str, Any]
    documents: list[Document]
    chunks: np.ndarray  # int64 [n, 3]: document row, start, end
    sentences: np.ndarray  # int64 [m, 3]: chunk row, start, end
    sentence_vectors: np.ndarray  # float16 [m, dim]
    dense: VectorIndex
    lexical: LexicalIndex
    copies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Near copies of each document (syndicated wire stories), by doc id."""
    _by_id: dict[str, Document] | None = field(default=None, repr=False, compare=False)

    @property
    def by_id(self) -> dict[str, Document]:
        if self._by_id is None:
            self._by_id = {d.doc_id: d for d in self.documents}
        return self._by_id

    @property
    def corpus_stamps(self) -> dict[str, FileStamp]:
        files = self.manifest["corpus"]["files"]
        return {rel: FileStamp(v["size"], v["mtime_ns"], v["sha256"]) for rel, v in files.items()}


def embed_texts(doc: Document, chunks: list[Chunk], embedder: Embedder, settings: IndexSettings) -> list[str]:
    """The texts embedded (and lexically indexed) for a document's chunks: header + passage."""
    header = fit_header(context_header(doc), embedder, settings.header_max_tokens)
    out = []
    for c in chunks:
        body = doc.text[c.start:c.end]
        room = embedder.max_tokens - 2 - embedder.count_tokens(body) - 1
        h = header if embedder.count_tokens(header) <= room else fit_header(header, embedder, max(room, 0))
        out.append(f"{h}\n{body}" if h else body)
    return out


def build_index(corpus: Corpus, embedder: Embedder, settings: IndexSettings, index_dir: Path, *,
                progress: bool = False, vector_kind: str | None = None) -> Path:
    """Chunk, embed and write a new index version into ``index_dir``; return its folder.

    Only texts that the live version (or an interrupted build of this folder) has not
    embedded are sent to the model; see ``embedding_cache``. Exact duplicates are kept once,
    near copies are linked (see ``duplicates``). ``vector_kind``: see ``vectors``.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    previous = current_version(index_dir)
    documents, dropped = drop_exact_duplicates(corpus.documents, _previous_ids(previous))
    skipped = list(corpus.skipped)
    for doc, kept in dropped:
        message = f"{doc.source}: same text as {kept.source} (doc id {kept.doc_id!r}); kept once"
        skipped.append((doc.source, message))
        warnings.warn(message, CorpusWarning, stacklevel=2)
    copies = near_copies(documents)
    count = embedder.count_tokens
    chunk_rows: list[tuple[int, int, int]] = []
    sentence_rows: list[tuple[int, int, int]] = []
    texts: list[str] = []
    for d, doc in enumerate(documents):
        chunks = chunk_document(doc.doc_id, doc.text, count, max_tokens=settings.chunk_max_tokens,
                                min_tokens=settings.chunk_min_tokens)
        texts.extend(embed_texts(doc, chunks, embedder, settings))
        for c in chunks:
            sentence_rows.extend((len(chunk_rows), s, e) for s, e in c.sentences)
            chunk_rows.append((d, c.start, c.end))
    sentence_texts = [documents[chunk_rows[c][0]].text[s:e] for c, s, e in sentence_rows]
    journal = Journal(index_dir, embedder.dim)
    all_vectors, cache_keys, cache_vectors, stats = embed_with_cache(
        texts + sentence_texts, embedder, previous=previous, journal=journal, batch_size=settings.batch_size,
        progress=progress)
    log.info("embedding: %(texts)d texts, %(unique)d distinct, %(cached)d cached, %(resumed)d resumed, "
             "%(embedded)d embedded", stats)
    vectors = all_vectors[:len(texts)].astype(np.float32)
    sentence_vectors = all_vectors[len(texts):]
    with build_lock(index_dir):
        writer = VersionWriter(index_dir)
        try:
            docs_json = [doc.to_json() for doc in documents]
            for entry in docs_json:
                if entry["doc_id"] in copies:
                    entry["copies"] = copies[str(entry["doc_id"])]
            writer.path("documents.json").write_text(json.dumps(docs_json, ensure_ascii=False), encoding="utf-8")
            _save_npy(writer.path("chunks.npy"), np.asarray(chunk_rows, dtype=np.int64).reshape(-1, 3))
            _save_npy(writer.path("sentences.npy"), np.asarray(sentence_rows, dtype=np.int64).reshape(-1, 3))
            _save_npy(writer.path("sentence_vectors.npy"), sentence_vectors.astype(np.float16))
            save_cache(writer.path, cache_keys, cache_vectors)
            dense = VectorIndex.build(vectors, vector_kind)
            dense.save(writer.path("dense.faiss"))
            LexicalIndex.build(texts).save(writer.path("lexical/x").parent)
            manifest = {
                "format": INDEX_FORMAT, "library_version": __version__,
                "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "model": {"name": embedder.name, "dim": embedder.dim, "max_tokens": embedder.max_tokens},
                "settings": settings.fingerprint(), "vector_kind": dense.kind,
                "vector_kind_requested": vector_kind or "auto",
                "counts": {"documents": len(documents), "chunks": len(chunk_rows),
                           "sentences": len(sentence_rows)},
                "embedding": stats,
                "corpus": {"folder": str(corpus.folder), "files": {k: v.to_json() for k, v in corpus.stamps.items()},
                           "skipped": skipped},
            }
            version = writer.commit(manifest)
        except BaseException:
            writer.abort()
            raise
    journal.discard()
    return version


def _previous_ids(previous: Path | None) -> set[str]:
    """Doc ids of the live version: on an exact duplicate, the article already indexed keeps its id."""
    if previous is None:
        return set()
    try:
        return {str(d["doc_id"]) for d in json.loads((previous / "documents.json").read_text(encoding="utf-8"))}
    except (OSError, ValueError, KeyError, TypeError):
        return set()


def _save_npy(path: Path, array: np.ndarray) -> None:
    np.save(path, array, allow_pickle=False)


def _load_npy(path: Path) -> np.ndarray:
    return np.load(path, mmap_mode="r", allow_pickle=False)


def load_index(index_dir: Path, *, verify_files: bool = True) -> IndexData | None:
    """Load the live version of ``index_dir``; None when there is none yet."""
    version = current_version(index_dir)
    if version is None:
        return None
    manifest = read_manifest(version)
    if verify_files:
        verify(version, manifest)
    raw = json.loads((version / "documents.json").read_text(encoding="utf-8"))
    docs = [Document.from_json(d) for d in raw]
    copies = {str(d["doc_id"]): tuple(d["copies"]) for d in raw if d.get("copies")}
    return IndexData(
        version=version, manifest=manifest, documents=docs,
        chunks=np.asarray(_load_npy(version / "chunks.npy")),
        sentences=np.asarray(_load_npy(version / "sentences.npy")),
        sentence_vectors=_load_npy(version / "sentence_vectors.npy"),
        dense=VectorIndex.load(version / "dense.faiss", manifest["vector_kind"]),
        lexical=LexicalIndex.load(version / "lexical"), copies=copies,
    )
