"""Building an index from a corpus, and loading one back.

What is embedded for a passage is a short context header (the article's title, main
meeting, place and date) followed by the passage text: a paragraph that says "he proposed
four approaches" is only findable for "AMMTC 19" through its article. The header is cut
first so that header + passage always fit the model window; the passage text returned to
users is the exact span of the cleaned article, header not included.
"""

from __future__ import annotations

import datetime as dt
import hashlib
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
from .errors import AmmtcQaError, CorpusWarning
from .lexical import LexicalIndex
from .settings import INDEX_FORMAT, IndexSettings
from .store import VersionWriter, build_lock, current_version, file_sha256, read_live, read_manifest, verify
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
                progress: bool = False, vector_kind: str | None = None, reuse_chunks: bool = True) -> Path:
    """Chunk, embed and write a new index version into ``index_dir``; return its folder.

    Only texts that the live version (or an interrupted build of this folder) has not
    embedded are sent to the model; see ``embedding_cache``. Articles whose text is unchanged
    keep the live version's passages and sentences instead of being chunked again (unless
    ``reuse_chunks=False``; see ``reusable_chunks``). Exact duplicates are kept once, near
    copies are linked (see ``duplicates``). ``vector_kind``: see ``vectors``.
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
    reusable = reusable_chunks(previous, settings, embedder.name) if reuse_chunks else {}
    reused = 0
    from tqdm.auto import tqdm

    for d, doc in enumerate(tqdm(documents, desc="Chunking", unit="article", disable=not progress, dynamic_ncols=True)):
        kept = reusable.get(doc.doc_id)
        if kept is not None and kept[0] == doc.text:
            chunks = kept[1]
            reused += 1
        else:
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
    del reusable
    stats["articles_rechunked"] = len(documents) - reused
    log.info("embedding: %(texts)d texts, %(unique)d distinct, %(cached)d cached, %(resumed)d resumed, "
             "%(embedded)d embedded; %(articles_rechunked)d articles chunked", stats)
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
                "settings": settings.fingerprint(), "chunker": chunker_fingerprint(), "vector_kind": dense.kind,
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


def chunker_fingerprint() -> str:
    """Hash of the code that cuts passages and sentences: chunks of an index built by other
    code are not reused, even when settings and text are the same."""
    from . import chunking, sentences

    h = hashlib.sha256()
    for module in (chunking, sentences):
        h.update(Path(str(module.__file__)).read_bytes())
    return h.hexdigest()[:16]


def reusable_chunks(previous: Path | None, settings: IndexSettings, model: str) -> dict[str, tuple[str, list[Chunk]]]:
    """``{doc id: (text, chunks)}`` of the live version, when it was built with the same settings,
    model and chunking code, and its files match their checksums (else empty): chunking is the
    costliest step of a refresh after embedding (it counts word pieces again and again)."""
    if previous is None:
        return {}
    try:
        manifest = read_manifest(previous)
        if (manifest.get("settings") != settings.fingerprint() or manifest["model"]["name"] != model
                or manifest.get("chunker") != chunker_fingerprint()):
            return {}
        for name in ("documents.json", "chunks.npy", "sentences.npy"):
            if manifest["files"].get(name) != file_sha256(previous / name):
                return {}
        raw = json.loads((previous / "documents.json").read_text(encoding="utf-8"))
        chunks = np.load(previous / "chunks.npy", allow_pickle=False)
        sentences = np.load(previous / "sentences.npy", allow_pickle=False)
    except (OSError, ValueError, KeyError, TypeError, AmmtcQaError):
        return {}
    chunk_bounds = np.searchsorted(chunks[:, 0], np.arange(len(raw) + 1))
    sentence_bounds = np.searchsorted(sentences[:, 0], np.arange(len(chunks) + 1))
    out: dict[str, tuple[str, list[Chunk]]] = {}
    for d, entry in enumerate(raw):
        doc_chunks = []
        for c in range(chunk_bounds[d], chunk_bounds[d + 1]):
            spans = tuple((int(a), int(b)) for _, a, b in sentences[sentence_bounds[c]:sentence_bounds[c + 1]])
            doc_chunks.append(Chunk(str(entry["doc_id"]), int(chunks[c, 1]), int(chunks[c, 2]), spans))
        out[str(entry["doc_id"])] = (str(entry["text"]), doc_chunks)
    return out


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
    """Load the live version of ``index_dir``; None when there is none yet.

    A build in another process may switch to a new version and delete this one while it is
    being read; the read then follows CURRENT to the new version (``store.read_live``).
    """
    return read_live(index_dir, lambda version: _load_version(version, verify_files))


def _load_version(version: Path, verify_files: bool) -> IndexData:
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
