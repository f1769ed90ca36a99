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
from dataclasses import replace
from pathlib import Path
from typing import Any

from .answer import Answer
from .corpus import read_corpus, stamp_files
from .document import Document
from .embedding import Embedder, load_embedder
from .errors import IndexCorruptError, IndexUnavailableError, TruncationWarning
from .index import IndexData, build_index, load_index
from .settings import DEFAULT_MODEL, INDEX_FORMAT, IndexSettings, SearchSettings

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


def stale_reasons(data: IndexData, corpus_dir: Path, settings: IndexSettings) -> list[str]:
    """Why an index no longer matches its corpus, model or settings (empty when current)."""
    m = data.manifest
    reasons = []
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
                 corpus_dir: Path, index_dir: Path, reranker: Any = None) -> None:
        from .search import Searcher

        self.data = data
        self.index_settings = index_settings
        self.search_settings = search_settings
        self.corpus_dir = corpus_dir
        self.index_dir = index_dir
        self._docs = {d.doc_id: d for d in data.documents}
        self._searcher = Searcher(data, self._embedder, reranker)

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
        return self._searcher.search(question, k, settings, explain=explain)

    def document(self, doc_id: str) -> Document:
        try:
            return self._docs[doc_id]
        except KeyError:
            raise KeyError(f"no document with id {doc_id!r} in this index") from None

    def documents(self) -> list[Document]:
        return list(self.data.documents)

    def info(self) -> dict[str, Any]:
        m = self.data.manifest
        return {"corpus_dir": str(self.corpus_dir), "index_dir": str(self.index_dir),
                "version": self.data.version.name, "built_at": m["built_at"], "model": m["model"],
                "vector_kind": m["vector_kind"], **m["counts"],
                "meetings": self._searcher.catalog.keys, "skipped": m["corpus"].get("skipped", [])}

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


def _check_question(question: object) -> str:
    if not isinstance(question, str):
        raise TypeError(f"question must be a string, not {type(question).__name__}")
    cleaned = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in question).strip()
    if not cleaned:
        raise ValueError("question is empty (or only whitespace/control characters)")
    if len(cleaned) > MAX_QUESTION_CHARS:
        warnings.warn(f"question is {len(cleaned)} characters; only the first {MAX_QUESTION_CHARS} are used",
                      TruncationWarning, stacklevel=3)
        cleaned = cleaned[:MAX_QUESTION_CHARS]
    return cleaned


def load(corpus_dir: str | os.PathLike[str] | None = None, index_dir: str | os.PathLike[str] | None = None, *,
         model: str | None = None, settings: IndexSettings | None = None,
         search_settings: SearchSettings | None = None, rebuild: str = "auto", progress: bool | None = None,
         strict: bool = False, reranker: str | None = None, verify: bool = True) -> QA:
    """Load an index for ``corpus_dir`` from ``index_dir``, (re)building it when needed.

    rebuild: ``"auto"`` (build when missing, stale or corrupt), ``"never"`` (raise instead),
    ``"always"``. model: a sentence-transformers name or local folder (default all-MiniLM-L6-v2).
    reranker: a local CrossEncoder folder applied to the fused candidates (optional).
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

    data, reasons = _try_load(index_path, corpus_path, settings, verify, raise_corrupt=rebuild == "never")
    if rebuild == "always":
        reasons = reasons or ["rebuild requested"]
    if reasons:
        if rebuild == "never":
            raise IndexUnavailableError(f"index at {index_path} is not usable: {'; '.join(reasons)}")
        index_path, data = _rebuild(corpus_path, index_path, settings, reasons, progress, strict,
                                    fall_back=shipped and index_dir is None)
    assert data is not None
    cross_encoder = _load_reranker(reranker) if reranker else None
    return QA(data, index_settings=settings, search_settings=search_settings or SearchSettings(),
              corpus_dir=corpus_path, index_dir=index_path, reranker=cross_encoder)


def _try_load(index_path: Path, corpus_path: Path, settings: IndexSettings, verify: bool,
              raise_corrupt: bool = False) -> tuple[IndexData | None, list[str]]:
    try:
        data = load_index(index_path, verify_files=verify)
    except IndexCorruptError as exc:
        if raise_corrupt:
            raise
        return None, [f"index is corrupt ({exc})"]
    if data is None:
        return None, [f"no index in {index_path}"]
    return data, stale_reasons(data, corpus_path, settings)


def _rebuild(corpus_path: Path, index_path: Path, settings: IndexSettings, reasons: list[str], progress: bool,
             strict: bool, fall_back: bool) -> tuple[Path, IndexData]:
    if fall_back and not _writable(index_path):
        cached = cache_dir(corpus_path)
        log.warning("shipped index is stale (%s) and %s is read-only; using %s", "; ".join(reasons),
                    index_path, cached)
        data, cache_reasons = _try_load(cached, corpus_path, settings, True)
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
    build_index(corpus, embedder, settings, index_path, progress=progress)
    data = load_index(index_path)
    assert data is not None
    return index_path, data


def _writable(folder: Path) -> bool:
    probe = folder
    while not probe.exists():
        probe = probe.parent
    return os.access(probe, os.W_OK)


def _load_reranker(path: str) -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import CrossEncoder

    return CrossEncoder(path, device="cpu", local_files_only=True)


__all__ = ["QA", "load", "DEFAULT_MODEL"]
