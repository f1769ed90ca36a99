"""The public entry point: ``load()`` an index (building it when missing or stale) and ``ask``.

``load()`` with no arguments uses the corpus and index shipped with the package, found both
in an editable install (the repository's ``corpus/`` and ``index/``) and in a wheel (package
data under ``ammtc_qa/_shipped``). When the shipped index is stale and its folder read-only,
the index is built into the user cache folder instead.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import warnings
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from .answer import Answer, Passage
from .corpus import read_corpus, stamp_files
from .document import Document
from .duplicates import NEAR_COPY_JACCARD, shingles
from .embedding import Embedder, load_embedder
from .errors import CorpusError, IndexCorruptError, IndexUnavailableError, ModelNotAvailableError, TruncationWarning
from .index import IndexData, build_index, load_index
from .ingest import IngestReport, Item, apply, plan_add, plan_remove, plan_update, staging_dir
from .rerank import DEFAULT_RERANKER, Reranker
from .settings import DEFAULT_MODEL, INDEX_FORMAT, IndexSettings, SearchSettings
from .vectors import is_stale_kind, resolve_kind

log = logging.getLogger("ammtc_qa")
MAX_QUESTION_CHARS = 2000
"""Longer questions are cut (with a warning): the model reads ~256 word pieces anyway, and
unbounded input must not make a search take unbounded time."""


def shipped_paths() -> tuple[Path, Path]:
    """``(corpus, index)`` folders shipped with the package."""
    package = Path(__file__).resolve().parent
    inside = package / "_shipped"
    if (inside / "corpus").is_dir():
        return inside / "corpus", inside / "index"
    repo = package.parents[1]
    if (repo / "corpus").is_dir():
        return repo / "corpus", repo / "index"
    raise IndexUnavailableError(f"no shipped corpus found next to {package}; pass corpus_dir=")


def cache_dir(corpus_dir: Path) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ammtc-qa"
    key = hashlib.sha256(str(corpus_dir.resolve()).encode()).hexdigest()[:16]
    return base / f"index-{key}"


def stale_reasons(data: IndexData, corpus_dir: Path, settings: IndexSettings,
                  vector_kind: str | None = None) -> list[str]:
    """Why an index no longer matches its corpus, model or settings (empty when current)."""
    m = data.manifest
    reasons = []
    if is_stale_kind(vector_kind, m.get("vector_kind", ""), int(m.get("counts", {}).get("chunks", 0))):
        reasons.append(f"vector index {m.get('vector_kind')!r} != requested {vector_kind!r}")
    if m.get("format") != INDEX_FORMAT:
        reasons.append(f"index format {m.get('format')} != {INDEX_FORMAT}")
    if m["model"]["name"] != settings.model:
        reasons.append(f"model {m['model']['name']!r} != {settings.model!r}")
    if m.get("settings") != settings.fingerprint():
        reasons.append("index settings changed")
    old = data.corpus_stamps
    now = stamp_files(corpus_dir, old)
    added, removed = sorted(set(now) - set(old)), sorted(set(old) - set(now))
    changed = sorted(k for k in set(now) & set(old) if now[k].sha256 != old[k].sha256)
    for label, names in (("added", added), ("removed", removed), ("changed", changed)):
        if names:
            reasons.append(f"corpus files {label}: {', '.join(names[:5])}{' …' if len(names) > 5 else ''}")
    return reasons


class QA:
    """Questions over one loaded index. Thread-safe: ``ask`` keeps no per-call state."""

    def __init__(self, data: IndexData, *, index_settings: IndexSettings, search_settings: SearchSettings,
                 corpus_dir: Path, index_dir: Path, reranker: Any = None, vector_kind: str | None = None,
                 progress: bool = False) -> None:
        self.index_settings = index_settings
        self.search_settings = search_settings
        self.corpus_dir = corpus_dir
        self.index_dir = index_dir
        self.vector_kind = vector_kind
        self.progress = progress
        self._reranker = reranker
        self._switch(data)

    def _switch(self, data: IndexData) -> None:
        """Serve ``data`` from now on (a search already running finishes on the old version)."""
        from .search import Searcher

        searcher = Searcher(data, self._embedder, self._reranker)
        self._docs = data.by_id
        self.data = data
        self._searcher = searcher

    def _embedder(self) -> Embedder:
        return load_embedder(self.index_settings.model)

    def ask(self, question: str, k: int = 5, *, explain: bool = False, **overrides: Any) -> Answer:
        """Passages answering ``question``, best first, each with its citation.

        ``overrides`` replace fields of ``SearchSettings`` for this call (e.g. ``fusion="convex"``).
        """
        question = _check_question(question)
        if isinstance(k, bool) or not isinstance(k, int):
            raise TypeError(f"k must be an integer, not {type(k).__name__}")
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        settings = replace(self.search_settings, **overrides) if overrides else self.search_settings
        searcher = self._searcher  # one version for the whole call, even if add() switches meanwhile
        answer = searcher.search(question, k, settings, explain=explain)
        folded = _fold_linked_copies(answer, searcher.data)
        if len(folded.passages) < len(answer.passages):  # slots freed by folding: fill them
            wider = searcher.search(question, k + len(answer.passages) - len(folded.passages), settings,
                                    explain=explain)
            folded = _fold_linked_copies(wider, searcher.data)
            folded = replace(folded, passages=folded.passages[:k])
        return folded

    def document(self, doc_id: str) -> Document:
        try:
            return self._docs[doc_id]
        except KeyError:
            raise KeyError(f"no document with id {doc_id!r} in this index") from None

    def documents(self) -> list[Document]:
        return list(self.data.documents)

    def copies(self, doc_id: str) -> list[Document]:
        """Near copies of a document (the same wire story from other publishers), indexed too.

        Found at build time: word 5-gram Jaccard similarity of at least 0.9 (see ``duplicates``).
        """
        self.document(doc_id)
        return [self._docs[c] for c in self.data.copies.get(doc_id, ()) if c in self._docs]

    # -- changing the corpus ---------------------------------------------------------------------
    def add(self, items: Item | Iterable[Item], *, strict: bool = False) -> IngestReport:
        """Add articles: files or folders (``.txt``, ``.md``, ``.html``, ``.jsonl``; folders walked
        recursively) copied into the corpus folder, or documents given as dicts with the fields of
        a ``.jsonl`` line (``text``, and optionally ``title``, ``date``, ``url``, ``source``,
        ``publisher``, ``language``, ``id``), appended to ``added.jsonl`` there.

        Then the index is refreshed (only the new texts are embedded) and this object answers
        from the new version. A file that cannot be used is skipped with a ``CorpusWarning``
        naming it (``strict=True``: ``CorpusError`` and nothing changes). The same text as an
        indexed article is not added again; a near copy is added and linked (``copies``).
        """
        return self._change(lambda staging: plan_add(self.corpus_dir, items, self._docs, staging, strict))

    def update(self, item: Item, *, strict: bool = False) -> IngestReport:
        """Replace an article: a file with the name of one in the corpus folder (or a file in
        the folder, edited in place), or a dict/Document with the ``id`` of an indexed one."""
        return self._change(lambda staging: plan_update(self.corpus_dir, item, self._docs, staging, strict))

    def remove(self, doc_id: str) -> IngestReport:
        """Remove an article (its file, or its line of a ``.jsonl`` file) and refresh the index."""
        if doc_id not in self._docs:
            raise KeyError(f"no document with id {doc_id!r} in the index at {self.index_dir} "
                           f"({len(self._docs)} documents; see qa.documents() or `ammtc-qa info`)")
        if len(self._docs) == 1:
            raise ValueError(f"{doc_id!r} is the only document: an index needs at least one")
        doc = self._docs[doc_id]
        return self._change(lambda staging: plan_remove(self.corpus_dir, doc))

    def refresh(self, *, strict: bool = False) -> None:
        """Rebuild the index from the corpus folder if it changed (embedding only new texts)."""
        reasons = stale_reasons(self.data, self.corpus_dir, self.index_settings, self.vector_kind)
        if reasons:
            log.info("refreshing %s: %s", self.index_dir, "; ".join(reasons))
            self._rebuild(strict)

    def _change(self, make_plan: Any) -> IngestReport:
        from filelock import FileLock

        shipped_corpus = _shipped_corpus()
        if shipped_corpus is not None and self.corpus_dir.resolve() == shipped_corpus.resolve():
            raise CorpusError(f"{self.corpus_dir} is the corpus shipped with ammtc-qa and is not changed; "
                              "copy it and load(corpus_dir=<your copy>) to add or remove articles")
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.index_dir / ".ingest.lock"), timeout=600), staging_dir() as staging:
            plan = make_plan(Path(staging))
            apply(plan, self.corpus_dir)
            self.refresh()  # rebuilds when the corpus folder changed (here, or by another process)
        report = plan.report
        report.copies = {d: list(self.data.copies[d]) for d in report.added if d in self.data.copies}
        return report

    def _rebuild(self, strict: bool) -> None:
        corpus = read_corpus(self.corpus_dir, strict=strict)
        if not corpus.documents:
            raise IndexUnavailableError(f"{self.corpus_dir}: no usable article to index "
                                        f"({len(corpus.skipped)} file(s) skipped)")
        build_index(corpus, self._embedder(), self.index_settings, self.index_dir, progress=self.progress,
                    vector_kind=self.vector_kind)
        data = load_index(self.index_dir)
        assert data is not None
        self._switch(data)

    def info(self) -> dict[str, Any]:
        m = self.data.manifest
        return {"corpus_dir": str(self.corpus_dir), "index_dir": str(self.index_dir),
                "version": self.data.version.name, "built_at": m["built_at"], "model": m["model"],
                "vector_kind": m["vector_kind"], **m["counts"],
                "meetings": self._searcher.catalog.keys, "skipped": m["corpus"].get("skipped", []),
                "embedding": m.get("embedding", {}), "linked_copies": len(self.data.copies)}

    def cleaning_report(self, doc_id: str | None = None) -> str:
        """What cleaning removed from each article (or one), so it can be audited."""
        docs = [self.document(doc_id)] if doc_id else self.data.documents
        lines = []
        for doc in docs:
            lines.append(f"{doc.doc_id} ({doc.source}): {len(doc.removed)} removed")
            for r in doc.removed:
                text = " ".join(r.text.split())
                lines.append(f"  - {r.kind:12s} {text[:90]!r}{'…' if len(text) > 90 else ''}")
        return "\n".join(lines)


def _fold_linked_copies(answer: Answer, data: IndexData) -> Answer:
    """Use the near-copy links made at build time (``duplicates``) so a syndicated story takes one
    slot: a passage of a linked copy that repeats one already listed (at least
    ``NEAR_COPY_JACCARD`` of either's word 5-grams in the other) is folded into it, and a linked
    copy that contains a listed passage (by the same measure) is cited as "also reported by".
    (Search folds twins by vector similarity, but only when the twin itself would reach the top k.)"""
    if not data.copies or not any(p.doc_id in data.copies for p in answer.passages):
        return answer
    docs = data.by_id
    kept: list[Passage] = []
    for p in answer.passages:
        linked = data.copies.get(p.doc_id, ())
        twin = next((i for i, q in enumerate(kept) if q.doc_id in linked
                     and max(_contained(p.text, q.text), _contained(q.text, p.text)) >= NEAR_COPY_JACCARD), None)
        if twin is not None:
            q = kept[twin]
            kept[twin] = replace(q, also_reported_by=tuple(dict.fromkeys([*q.also_reported_by, p.citation])))
            continue
        extra = [docs[c].citation for c in linked
                 if c in docs and _contained(p.text, docs[c].text) >= NEAR_COPY_JACCARD]
        if extra:
            p = replace(p, also_reported_by=tuple(dict.fromkeys([*p.also_reported_by, *extra])))
        kept.append(p)
    return replace(answer, passages=kept)


def _contained(a: str, b: str) -> float:
    """Share of ``a``'s word 5-grams that also occur in ``b``."""
    sa = shingles(a)
    if not len(sa):
        return float(" ".join(a.split()) in " ".join(b.split()))
    return len(np.intersect1d(sa, shingles(b), assume_unique=True)) / len(sa)


def _check_question(question: object) -> str:
    if not isinstance(question, str):
        raise TypeError(f"question must be a string, not {type(question).__name__}")
    # Clean only a bounded prefix: cleaning builds a list per character, so a gigabyte question
    # would cost gigabytes. Leading whitespace/control characters beyond it count as empty.
    head = question[:8 * MAX_QUESTION_CHARS]
    cleaned = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in head).strip()
    if not cleaned:
        raise ValueError("question is empty (or only whitespace/control characters)")
    if len(cleaned) > MAX_QUESTION_CHARS or len(question) > len(head):
        warnings.warn(f"question is {len(question)} characters; only the first {MAX_QUESTION_CHARS} are used",
                      TruncationWarning, stacklevel=3)
        cleaned = cleaned[:MAX_QUESTION_CHARS]
    return cleaned


def load(corpus_dir: str | os.PathLike[str] | None = None, index_dir: str | os.PathLike[str] | None = None, *,
         model: str | None = None, settings: IndexSettings | None = None,
         search_settings: SearchSettings | None = None, rebuild: str = "auto", progress: bool | None = None,
         strict: bool = False, reranker: str | os.PathLike[str] | Reranker | None = None, verify: bool = True,
         vector_kind: str | None = None) -> QA:
    """Load an index for ``corpus_dir`` from ``index_dir``, (re)building it when needed.

    rebuild: ``"auto"`` (build when missing, stale or corrupt), ``"never"`` (raise instead),
    ``"always"``. model: a sentence-transformers name or local folder (default all-MiniLM-L6-v2).
    reranker: ``"default"``, the sentence-level cross-encoder shipped in the package (sha256-checked,
    loaded on the first question; see ``ammtc_qa.rerank``), a ``rerank.Reranker``, a local
    CrossEncoder folder applied to every fused candidate's whole passage, or None (no reranking).
    vector_kind: the FAISS index (``"Flat"``, ``"HNSW32"``, ``"HNSW32,SQ8"``, ``"IVF,SQ8"``...; see
    ``ammtc_qa.vectors``); default ``"auto"``, exact search up to 200,000 passages.
    """
    if rebuild not in ("auto", "never", "always"):
        raise ValueError(f"rebuild must be 'auto', 'never' or 'always', not {rebuild!r}")
    shipped = corpus_dir is None
    if shipped:
        corpus_path, default_index = shipped_paths()
    else:
        corpus_path = Path(corpus_dir)  # type: ignore[arg-type]
        default_index = cache_dir(corpus_path)
    index_path = Path(index_dir) if index_dir is not None else default_index
    settings = settings or IndexSettings()
    if model is not None:
        settings = replace(settings, model=model)
    if progress is None:
        progress = sys.stderr.isatty()

    if vector_kind is not None:
        resolve_kind(vector_kind, 1)  # a bad name fails here, not after embedding
    data, reasons = _try_load(index_path, corpus_path, settings, verify, raise_corrupt=rebuild == "never",
                              vector_kind=vector_kind)
    if rebuild == "always":
        reasons = [*reasons, "rebuild requested"]
    if reasons:
        if rebuild == "never":
            raise IndexUnavailableError(f"index at {index_path} is not usable: {'; '.join(reasons)}")
        index_path, data = _rebuild(corpus_path, index_path, settings, reasons, progress, strict,
                                    fall_back=shipped and index_dir is None, vector_kind=vector_kind)
    assert data is not None
    cross_encoder = _load_reranker(reranker) if reranker else None
    return QA(data, index_settings=settings, search_settings=search_settings or SearchSettings(),
              corpus_dir=corpus_path, index_dir=index_path, reranker=cross_encoder, vector_kind=vector_kind,
              progress=progress)


def _try_load(index_path: Path, corpus_path: Path, settings: IndexSettings, verify: bool,
              raise_corrupt: bool = False, vector_kind: str | None = None) -> tuple[IndexData | None, list[str]]:
    try:
        data = load_index(index_path, verify_files=verify)
    except IndexCorruptError as exc:
        if raise_corrupt:
            raise
        return None, [f"index is corrupt ({exc})"]
    if data is None:
        return None, [f"no index in {index_path}"]
    return data, stale_reasons(data, corpus_path, settings, vector_kind)


def _rebuild(corpus_path: Path, index_path: Path, settings: IndexSettings, reasons: list[str], progress: bool,
             strict: bool, fall_back: bool, vector_kind: str | None = None) -> tuple[Path, IndexData]:
    if fall_back and not _writable(index_path):
        cached = cache_dir(corpus_path)
        log.warning("shipped index is stale (%s) and %s is read-only; using %s", "; ".join(reasons),
                    index_path, cached)
        data, cache_reasons = _try_load(cached, corpus_path, settings, True, vector_kind=vector_kind)
        if data is not None and not cache_reasons:
            return cached, data
        index_path = cached
    elif not _writable(index_path):
        raise IndexUnavailableError(f"index at {index_path} must be rebuilt ({'; '.join(reasons)}) but the "
                                    "folder is not writable; pass index_dir= a writable folder")
    log.info("building index in %s: %s", index_path, "; ".join(reasons))
    corpus = read_corpus(corpus_path, strict=strict)
    if not corpus.documents:
        raise IndexUnavailableError(f"{corpus_path}: no usable article to index "
                                    f"({len(corpus.skipped)} file(s) skipped)")
    embedder = load_embedder(settings.model)
    # a forced rebuild or a repair recomputes every passage; a stale index reuses unchanged ones
    fresh = any(r == "rebuild requested" or r.startswith("index is corrupt") for r in reasons)
    build_index(corpus, embedder, settings, index_path, progress=progress, vector_kind=vector_kind,
                reuse_chunks=not fresh)
    data = load_index(index_path)
    assert data is not None
    return index_path, data


def _shipped_corpus() -> Path | None:
    try:
        return shipped_paths()[0]
    except IndexUnavailableError:
        return None


def _writable(folder: Path) -> bool:
    probe = folder
    while not probe.exists():
        probe = probe.parent
    return os.access(probe, os.W_OK)


def _load_reranker(reranker: str | os.PathLike[str] | Reranker) -> Any:
    """``"default"``: the shipped sentence reranker; a ``Reranker``: as given; a path: a CrossEncoder."""
    if isinstance(reranker, Reranker):
        return reranker
    if reranker == DEFAULT_RERANKER:
        return Reranker()
    path = str(reranker)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import CrossEncoder

    try:
        return CrossEncoder(path, device="cpu", local_files_only=True)
    except Exception as exc:  # sentence-transformers raises OSError, ValueError, HF errors...
        raise ModelNotAvailableError(f"reranker {path!r} could not be loaded from local files ({type(exc).__name__}: "
                                     f"{exc}); pass 'default', a local CrossEncoder folder, or None") from exc


__all__ = ["QA", "load", "DEFAULT_MODEL"]
