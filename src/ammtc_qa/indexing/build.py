"""Building and refreshing an index: from corpus files to a ``ChangeSet`` for a backend.

A refresh costs what changed. Files whose size, mtime and hash are those recorded by the
live version are not read; a ``.jsonl`` line whose bytes are unchanged is not cleaned again;
an article whose cleaned text and metadata are unchanged is not touched. What is new or
changed is chunked, tokenised and embedded (an updated article reuses the vectors of its
unchanged passages and sentences), and handed to the backend as one atomic change. The whole
read-modify-write runs under the index's writer lock, so two writers never interleave.

What is embedded for a passage is a short context header (the article's title, main
meeting, place and date) followed by the passage text: a paragraph that says "he proposed
four approaches" is only findable for "AMMTC 19" through its article. The header is cut
first so that header + passage always fit the model window; the passage text returned to
users is the exact span of the cleaned article, header not included.

An index built with other settings, another model, or other code (the modules that clean,
chunk and tokenise: ``code_fingerprint``) is rebuilt whole.
"""

from __future__ import annotations

import hashlib
import logging
import warnings
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .._version import __version__
from ..backends.base import ChangeSet, IndexedDocument, IndexedPassage, Store, WritableBackend
from ..backends.local.backend import FORMAT
from ..backends.local.segment import source_file
from ..errors import CorpusWarning, IndexUnavailableError
from ..input import cleaning, duplicates, html, jsonl
from ..input import corpus as corpus_mod
from ..input import document as document_mod
from ..input import documents as formats
from ..input.corpus import ID_TAKEN, FileStamp, MetadataTree, is_metadata_file, read_corpus, read_metadata, stamp_files
from ..input.document import Document
from ..input.duplicates import ANCHORS, near_copies, shingles, text_hash
from ..settings import INDEX_FORMAT, IndexSettings
from ..text import dates, language, lexical, meetings, sentences
from ..text.lexical import tokenize
from . import chunking
from .chunking import Chunk, chunk_document
from .embedding import Embedder
from .embedding_cache import Journal, VectorTable, embed_with_cache

log = logging.getLogger("ammtc_qa")


def context_header(doc: Document) -> str:
    """``Title (AMMTC 19, Melaka, Malaysia, 2025-09-10, MPS)``: what the passage alone cannot say.
    The publisher comes last, so a header cut to fit the model loses it first: questions name
    the outlet ("as reported by VNA") less often than the meeting, place or date."""
    m = doc.meetings
    facts = [m.main or "", ", ".join(m.places), (m.date or doc.date or "") and str(m.date or doc.date),
             doc.publisher or ""]
    facts = [f for f in facts if f]
    title = doc.title or ""
    return f"{title} ({', '.join(facts)})" if facts else title


def fit_header(header: str, embedder: Embedder, budget: int) -> str:
    """Drop words from the end of the header until it fits ``budget`` word pieces."""
    words = header.split()
    while words and embedder.count_tokens(" ".join(words)) > budget:
        words.pop()
    return " ".join(words)


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


def code_fingerprint() -> str:
    """Hash of the code that decides what an index holds (reading, cleaning, extraction,
    chunking, tokenisation, headers): an index built by other code is rebuilt, even when
    settings and corpus are the same."""
    h = hashlib.sha256()
    files = [Path(str(m.__file__)) for m in (corpus_mod, jsonl, html, formats, dates, meetings, document_mod,
                                             duplicates, chunking, sentences, lexical, language)]
    files += sorted(Path(str(cleaning.__file__)).parent.glob("*.py")) + [cleaning.vocabulary.VOCABULARY_FILE]
    files += sorted(Path(str(meetings.__file__)).parent.glob("*.py"))  # a package: every module counts
    for file in files:
        h.update(file.read_bytes())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()[:16]


def build_state(settings: IndexSettings, embedder: Embedder) -> dict[str, Any]:
    """What makes an index of these settings and this model (compared by ``stale_reasons``)."""
    return {"format": INDEX_FORMAT, "store_format": FORMAT, "library_version": __version__,
            "model": {"name": embedder.name, "dim": embedder.dim, "max_tokens": embedder.max_tokens},
            "settings": settings.fingerprint(), "code": code_fingerprint()}


def incompatible(state: dict[str, Any], settings: IndexSettings, model: str | None = None) -> list[str]:
    """Why an index must be rebuilt whole (empty when a refresh can reuse it)."""
    reasons = []
    if state.get("format") != INDEX_FORMAT:
        reasons.append(f"index format {state.get('format')} != {INDEX_FORMAT}")
    built_model = (state.get("model") or {}).get("name")
    if built_model != (model or settings.model):
        reasons.append(f"model {built_model!r} != {model or settings.model!r}")
    built = state.get("settings") or {}
    changed = sorted(k for k in set(built) | set(settings.fingerprint())
                     if built.get(k) != settings.fingerprint().get(k) and k != "vector_kind")
    if changed:
        reasons.append(f"index settings changed ({', '.join(changed)})")
    if state.get("code") != code_fingerprint():
        reasons.append("the code that builds indexes changed (library upgraded?)")
    return reasons


@dataclass
class CorpusChanges:
    """How the corpus folder differs from what the live version recorded."""

    stamps: dict[str, FileStamp]
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    @property
    def files(self) -> list[str]:
        return sorted(f for f in {*self.added, *self.changed} if not is_metadata_file(f))

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def reasons(self) -> list[str]:
        out = []
        for label, names in (("added", self.added), ("removed", self.removed), ("changed", self.changed)):
            if names:
                out.append(f"corpus files {label}: {', '.join(names[:5])}{' …' if len(names) > 5 else ''}")
        return out


def corpus_changes(corpus_dir: Path, state: dict[str, Any]) -> CorpusChanges:
    old = {rel: FileStamp(v["size"], v["mtime_ns"], v["sha256"])
           for rel, v in (state.get("corpus") or {}).get("files", {}).items()}
    now = stamp_files(corpus_dir, old)
    return CorpusChanges(now, added=sorted(set(now) - set(old)), removed=sorted(set(old) - set(now)),
                         changed=sorted(k for k in set(now) & set(old) if now[k].sha256 != old[k].sha256))


def stale_reasons(backend: WritableBackend, corpus_dir: Path, settings: IndexSettings,
                  vector_kind: str | None = None) -> list[str]:
    """Why an index no longer matches its corpus, model, settings or code (empty when current)."""
    state = dict(backend.state)
    reasons = incompatible(state, settings)
    if vector_kind and backend.stale_kind(vector_kind):
        reasons.append(f"vector index != requested {vector_kind!r}")
    return reasons + corpus_changes(corpus_dir, state).reasons()


def refresh(corpus_dir: Path, store: Store | Path, embedder: Embedder, settings: IndexSettings, *,
            force: bool = False, strict: bool = False, progress: bool = False,
            lock_timeout: float = 600) -> WritableBackend:
    """Bring the index in ``store`` (or a local index folder) up to date with ``corpus_dir``;
    return the live version.

    ``force``: rebuild everything and recompute every vector (no cache, no resumed journal).
    """
    if not hasattr(store, "writer_lock"):
        from ..backends.local.backend import LocalStore

        store = LocalStore(Path(store), vector_kind=settings.vector_kind, merge_factor=settings.merge_factor,
                           min_merge=settings.min_merge_passages)
    assert not isinstance(store, Path)
    vector_kind = None if settings.vector_kind == "auto" else settings.vector_kind
    with store.writer_lock(lock_timeout):
        try:
            base = None if force else store.open()
        except IndexUnavailableError as exc:  # corrupt or of another format: rebuilt from the corpus
            log.warning("%s; rebuilding", exc)
            base = None
        if base is not None:
            reasons = incompatible(dict(base.state), settings, embedder.name)
            if vector_kind and base.stale_kind(vector_kind):
                reasons.append("vector kind changed")
            if reasons:
                log.info("rebuilding %s: %s", store.location, "; ".join(reasons))
                base = None
        return _refresh(corpus_dir, store, base, embedder, settings, force=force, strict=strict, progress=progress)


def _refresh(corpus_dir: Path, store: Store, base: WritableBackend | None, embedder: Embedder,
             settings: IndexSettings, *, force: bool, strict: bool, progress: bool) -> WritableBackend:
    state = dict(base.state) if base is not None else {}
    changes = corpus_changes(corpus_dir, state)
    if base is not None and not changes:
        return base
    old_meta = MetadataTree(state.get("metadata") or {})
    facts = _Lookups.of(base)
    # metadata that changed: the files whose fields it changes are read again (with their records)
    new_meta = read_metadata(corpus_dir) if base is not None else MetadataTree()
    meta_files: set[str] = set()
    meta_ids: set[str] = set()
    if base is not None and old_meta.raw != new_meta.raw:  # rare: may look at every document
        meta_files = old_meta.files_affected(new_meta, facts.source_files())
        meta_ids = old_meta.ids_affected(new_meta)
    if base is None:
        only = None
    else:
        files = set(changes.files) | meta_files
        if meta_ids:
            for rel, ids in facts.by_source().items():
                if meta_ids & {rel, rel.rsplit(".", 1)[0], *ids}:
                    files.add(rel)
        # a file skipped because another held its doc id is read again once that other file changed or went
        touched = files | set(changes.removed)
        for rel, messages in (state.get("skipped_by_file") or {}).items():
            if any(_id_holder(m) in touched for m in messages):
                files.add(rel)
        only = files
    source_of: dict[str, str] = {}

    def source(doc_id: str) -> str:
        if doc_id not in source_of:
            source_of[doc_id] = facts.source(doc_id) or ""
        return source_of[doc_id]

    def reuse(sha: str) -> Document | None:
        if base is None:
            return None
        for doc_id in facts.docs_with_raw(sha):
            if doc_id in meta_ids or source_file(source(doc_id)) in meta_files:
                continue
            return base.document(doc_id)
        return None

    corpus = read_corpus(corpus_dir, strict=strict, only=only, known_ids=facts, reuse=reuse,
                         progress=progress, settings=settings)
    # what was read is stamped from the bytes read (a file gone before it was read is not stamped)
    read_files = set(only) if only is not None else {f for f in changes.stamps if not is_metadata_file(f)}
    stamps = {**{k: v for k, v in changes.stamps.items() if k not in read_files and not is_metadata_file(k)},
              **corpus.stamps}
    # documents of files that are gone or were read again, unless read back unchanged
    candidates_gone = {d for rel in set(changes.removed) | read_files for d in facts.docs_from_file(rel)}
    skipped = {k: v for k, v in (state.get("skipped_by_file") or {}).items()
               if k not in read_files and k not in changes.removed}
    for source_name, message in corpus.skipped:
        skipped.setdefault(source_file(source_name), []).append(message)
    unchanged: set[str] = set()

    def kept(doc_id: str) -> bool:
        """Live in ``base`` and staying: not in a file read again, or read back unchanged."""
        return doc_id in unchanged or (doc_id not in candidates_gone and facts.has(doc_id))

    new_docs: list[Document] = []
    for doc in corpus.documents:
        if kept(doc.doc_id):
            message = f"{doc.source}: doc id {doc.doc_id!r}{ID_TAKEN}{source(doc.doc_id) or '?'}"
            skipped.setdefault(source_file(doc.source), []).append(message)
            warnings.warn(f"{message}; skipped", CorpusWarning, stacklevel=3)
            continue
        source_of[doc.doc_id] = doc.source
        if base is not None and doc.doc_id in candidates_gone and _same_document(base, doc):
            unchanged.add(doc.doc_id)
            continue
        new_docs.append(doc)
    # exact duplicates: the article already indexed keeps its id, else the first in corpus order
    added: list[Document] = []
    added_hash: dict[str, str] = {}
    for doc in new_docs:
        h = text_hash(doc.text)
        same = added_hash.get(h) or next((d for d in facts.docs_with_text(h) if kept(d)), None)
        if same is not None:
            message = f"{doc.source}: same text as {source_of.get(same) or source(same) or same} " \
                      f"(doc id {same!r}); kept once"
            skipped.setdefault(source_file(doc.source), []).append(message)
            warnings.warn(message, CorpusWarning, stacklevel=3)
            continue
        added_hash[h] = doc.doc_id
        added.append(doc)
    remove = candidates_gone - unchanged
    if base is None and not added:
        raise IndexUnavailableError(f"{corpus_dir}: no usable article to index "
                                    f"({sum(len(v) for v in skipped.values())} problem(s) while reading)")
    if base is not None and facts.count() - len(remove) + len(added) == 0:
        raise IndexUnavailableError(f"{corpus_dir}: no usable article left to index; the index is unchanged")
    copies = _links(base, facts, added, lambda d: kept(d) and d not in remove, remove)
    replaced = [d for d in {doc.doc_id for doc in added} if facts.has(d)]
    previous = None
    if base is not None and not force and replaced:
        keys, vecs = base.embedded(replaced)
        previous = VectorTable(keys, vecs) if len(keys) else None
    elif base is None and not force:
        previous = _stored_vectors(store, embedder.dim)
    journal = Journal(store.work_dir, embedder.dim)
    indexed, stats = index_documents(added, embedder, settings, journal, previous=previous, resume=not force,
                                     progress=progress)
    indexed = [replace(item, raw_sha=corpus.raw_sha.get(item.document.doc_id, "")) for item in indexed]
    new_state = {**build_state(settings, embedder), "vector_kind_requested": settings.vector_kind,
                 "embedding": stats, "metadata": corpus.metadata.raw,
                 "skipped_by_file": skipped,
                 "corpus": {"folder": str(corpus_dir), "files": {k: v.to_json() for k, v in stamps.items()},
                            "skipped": [[f, m] for f, ms in sorted(skipped.items()) for m in ms]}}
    change = ChangeSet(add=indexed, remove=remove, copies=copies, state=new_state)
    backend = store.create(change) if base is None else base.apply(change)
    journal.discard()
    return backend


def _stored_vectors(store: Store, dim: int) -> VectorTable | None:
    """The vectors of the index a full rebuild replaces (another format, other code or settings),
    when the store can read them: texts embedded the same way are not embedded again."""
    read = getattr(store, "stored_vectors", None)
    if read is None:
        return None
    try:
        found = read(dim)
    except IndexUnavailableError:
        return None
    if found is None or not len(found[0]):
        return None
    log.info("rebuild: %d vectors of the previous index can be reused", len(found[0]))
    return VectorTable(*found)


def _id_holder(message: str) -> str | None:
    """The file holding the doc id a skipped document wanted, from its skip message (None for other skips)."""
    head, sep, holder = message.rpartition(ID_TAKEN)
    return source_file(holder) if sep and " doc id " in head else None


class _Lookups:
    """What a refresh asks of the live version, one article at a time. A backend with lookups
    (``docs_with_text`` ...: the local store's segment tables) answers without archive-wide
    tables; another is read once into dicts (O(archive) per refresh)."""

    def __init__(self, base: WritableBackend | None) -> None:
        self.base = base
        self._fps: dict[str, Any] | None = None
        self._by_source: dict[str, list[str]] | None = None
        self._sources: dict[str, str] | None = None
        self.fast = base is not None and all(hasattr(base, m) for m in _LOOKUP_METHODS)

    @classmethod
    def of(cls, base: WritableBackend | None) -> _Lookups:
        return cls(base)

    def _dicts(self) -> None:
        if self._fps is None:
            base = self.base
            self._fps = base.fingerprints() if base is not None else {}
            self._by_source = defaultdict(list)
            self._sources = {}
            for m in base.doc_meta() if base is not None else ():
                self._by_source[source_file(m.source)].append(m.doc_id)
                self._sources[m.doc_id] = m.source

    def has(self, doc_id: str) -> bool:
        if self.fast:
            return bool(self.base.has(doc_id))  # type: ignore[union-attr]
        self._dicts()
        return doc_id in self._fps  # type: ignore[operator]

    __contains__ = has  # read_corpus asks ``doc_id in known_ids``

    def __iter__(self) -> Any:
        if self.base is None:
            return iter(())
        return iter(m.doc_id for m in self.base.doc_meta())

    def count(self) -> int:
        return int(self.base.state["counts"]["documents"]) if self.base is not None else 0

    __len__ = count

    def source(self, doc_id: str) -> str | None:
        if self.fast:
            return self.base.source(doc_id)  # type: ignore[union-attr, no-any-return]
        self._dicts()
        return self._sources.get(doc_id)  # type: ignore[union-attr]

    def docs_from_file(self, rel: str) -> list[str]:
        if self.fast:
            return list(self.base.docs_from_file(rel))  # type: ignore[union-attr]
        self._dicts()
        return list(self._by_source.get(rel, []))  # type: ignore[union-attr]

    def docs_with_raw(self, sha: str) -> list[str]:
        if not sha:
            return []
        if self.fast:
            return list(self.base.docs_with_raw(sha))  # type: ignore[union-attr]
        self._dicts()
        return [d for d, fp in self._fps.items() if fp.raw_sha == sha]  # type: ignore[union-attr]

    def docs_with_text(self, sha: str) -> list[str]:
        if self.fast:
            return list(self.base.docs_with_text(sha))  # type: ignore[union-attr]
        self._dicts()
        return [d for d, fp in self._fps.items() if fp.text_sha == sha]  # type: ignore[union-attr]

    def docs_with_anchors(self, anchors: set[int]) -> list[str]:
        if self.fast:
            return list(self.base.docs_with_anchors(sorted(anchors)))  # type: ignore[union-attr]
        self._dicts()
        return [d for d, fp in self._fps.items() if anchors.intersection(fp.anchors)]  # type: ignore[union-attr]

    def by_source(self) -> dict[str, list[str]]:
        self._dicts()
        return self._by_source  # type: ignore[return-value]

    def source_files(self) -> list[str]:
        self._dicts()
        return list(self._by_source)  # type: ignore[arg-type]


_LOOKUP_METHODS = ("has", "source", "docs_from_file", "docs_with_raw", "docs_with_text", "docs_with_anchors")


def _same_document(base: WritableBackend, doc: Document) -> bool:
    try:
        return base.document(doc.doc_id).to_json() == doc.to_json()
    except KeyError:
        return False


def _links(base: WritableBackend | None, facts: _Lookups, added: Sequence[Document], kept: Callable[[str], bool],
           removed: set[str]) -> dict[str, tuple[str, ...]]:
    """Near-copy links to set: between new articles, and between new and kept ones that share a
    sketch anchor (``duplicates``); links to removed articles are dropped."""
    out: dict[str, tuple[str, ...]] = {}
    kept_docs: list[Document] = []
    if base is not None and added:
        anchors = {int(a) for doc in added for a in shingles(doc.text)[:ANCHORS].tolist()}
        kept_docs = [base.document(d) for d in sorted(set(facts.docs_with_anchors(anchors))) if kept(d)]
    found = near_copies([*added, *kept_docs])
    new_ids = {d.doc_id for d in added}
    if base is not None:
        # links are symmetric: only articles linked to a removed or replaced one, or found linked to
        # a new one, can change (looping over every kept article cost O(archive) per change)
        touched = {c for r in removed | new_ids for c in _copies(base, r)} | set(found)
        for d in sorted(d for d in touched if kept(d)):
            old = base.copies(d)
            now = tuple(sorted({c for c in old if c not in removed and c not in new_ids}
                               | {c for c in found.get(d, ()) if c in new_ids}))
            if now != tuple(old):
                out[d] = now
    for d in new_ids:
        if found.get(d):
            out[d] = tuple(found[d])
    for d in removed:
        out.setdefault(d, ())
    return out


def _copies(base: WritableBackend, doc_id: str) -> tuple[str, ...]:
    try:
        return base.copies(doc_id)
    except KeyError:
        return ()


def index_documents(docs: Sequence[Document], embedder: Embedder, settings: IndexSettings, journal: Journal, *,
                    previous: VectorTable | None = None, resume: bool = True, progress: bool = False,
                    ) -> tuple[list[IndexedDocument], dict[str, int]]:
    """Chunk, tokenise and embed ``docs`` (only texts not in ``previous`` or the journal)."""
    count = embedder.count_tokens
    plans = []
    texts: list[str] = []
    sentence_texts: list[str] = []
    from tqdm.auto import tqdm

    for doc in tqdm(docs, desc="Chunking", unit="article", disable=not progress, dynamic_ncols=True):
        chunks = chunk_document(doc.doc_id, doc.text, count, max_tokens=settings.chunk_max_tokens,
                                min_tokens=settings.chunk_min_tokens)
        embedded = embed_texts(doc, chunks, embedder, settings)
        plans.append((doc, chunks, embedded))
        texts.extend(embedded)
        sentence_texts.extend(doc.text[a:b] for c in chunks for a, b in c.sentences)
    all_vectors, keys, stats = embed_with_cache(texts + sentence_texts, embedder, previous=previous,
                                                journal=journal, batch_size=settings.batch_size,
                                                progress=progress, resume=resume)
    stats["articles_chunked"] = len(docs)
    log.info("embedding: %(texts)d texts, %(unique)d distinct, %(cached)d cached, %(resumed)d resumed, "
             "%(embedded)d embedded; %(articles_chunked)d articles chunked", stats)
    out: list[IndexedDocument] = []
    t = 0
    s = len(texts)
    for doc, chunks, embedded in plans:
        passages = []
        for c, text in zip(chunks, embedded, strict=True):
            n = len(c.sentences)
            passages.append(IndexedPassage(
                start=c.start, end=c.end, sentences=tuple(c.sentences), tokens=tuple(tokenize(text)),
                vector=all_vectors[t], sentence_vectors=all_vectors[s:s + n], text_key=keys[t].tobytes(),
                sentence_keys=tuple(k.tobytes() for k in keys[s:s + n])))
            t += 1
            s += n
        out.append(IndexedDocument(doc, tuple(passages), text_sha=text_hash(doc.text),
                                   anchors=tuple(int(a) for a in shingles(doc.text)[:ANCHORS].tolist())))
    return out, stats
