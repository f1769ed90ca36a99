"""The public entry point: ``load()`` an index (building it when missing or stale) and ``ask``.

``load()`` with no arguments uses the corpus and index shipped with the package, found both
in an editable install (the repository's ``corpus/`` and ``index/``) and in a wheel (package
data under ``ammtc_qa/_shipped``). When the shipped index is stale and its folder read-only,
the index is built into the user cache folder instead.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import warnings
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from .answer import Answer
from .backends import factory
from .backends.base import Store, WritableBackend
from .backends.filters import Filter, as_date
from .backends.local.vectors import resolve_kind
from .errors import (
    AmmtcQaError,
    CorpusError,
    IndexCorruptError,
    IndexFormatError,
    IndexUnavailableError,
    InvalidInputError,
    InvalidTypeError,
    ModelNotAvailableError,
    ReadOnlyIndexError,
    StaleIndexWarning,
    TruncationWarning,
    UnknownDocumentError,
)
from .indexing.build import incompatible, stale_reasons
from .indexing.build import refresh as refresh_index
from .indexing.embedding import Embedder, load_embedder
from .input.document import Document
from .input.ingest import IngestReport, Item, apply, corpus_writer, plan_add, plan_remove, plan_update, staging_dir
from .paths import keyed
from .ranking import Ranker
from .ranking.rerank import DEFAULT_RERANKER, Reranker
from .settings import DEFAULT_MODEL, IndexSettings, SearchSettings
from .text.meetings import canonical_meeting

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
    """The default index folder of a corpus folder: in the user cache, keyed by its absolute path."""
    return keyed("index", str(corpus_dir.resolve()))


class QA:
    """Questions over one index. Thread-safe: every ask reads one version, whole, even while
    another thread or process changes the index."""

    def __init__(self, backend: WritableBackend, *, index_settings: IndexSettings, search_settings: SearchSettings,
                 corpus_dir: Path | None, index_dir: Path, reranker: Any = None, vector_kind: str | None = None,
                 progress: bool = False, stale: str | None = None, store: Store | None = None) -> None:
        if vector_kind is not None:
            index_settings = replace(index_settings, vector_kind=vector_kind)
        self.store = store or _local_store(index_dir, index_settings)
        self.index_settings = index_settings
        self.search_settings = search_settings
        self.corpus_dir = corpus_dir
        """The corpus folder the index is refreshed from; None when serving without it (``load()``
        of a backend with no ``corpus_dir``): then nothing is added, updated, removed or refreshed."""
        self.index_dir = index_dir
        self.vector_kind = vector_kind
        self.progress = progress
        self.stale = stale
        """Why the index being served is out of date (a refresh failed), or None."""
        self._reranker = reranker
        self._switch(backend)

    def _switch(self, backend: WritableBackend) -> None:
        """Serve ``backend`` from now on (an ask already running finishes on the old version):
        the backend and its ranker are swapped as one object."""
        self._ranker = Ranker(backend, self._embedder, self._reranker)

    @property
    def backend(self) -> WritableBackend:
        return self._ranker.backend  # type: ignore[return-value]

    @property
    def version(self) -> Path:
        """The live version folder being served."""
        return self.backend.version

    def _embedder(self) -> Embedder:
        return load_embedder(self.index_settings.model)

    def close(self) -> None:
        """Release the store's resources (a Qdrant client; in local mode ``path=`` and on Edge the
        folder's lock, so the folder can be opened again in this process). Idempotent; the object
        answers nothing afterwards."""
        close = getattr(self.store, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> QA:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _corpus(self) -> Path:
        """The corpus folder, or a clear error when this index is served without one."""
        if self.corpus_dir is None:
            raise ReadOnlyIndexError(f"{self.store.location} is served without its corpus folder (read-only): "
                                     "adding, updating, removing or refreshing articles needs the corpus folder "
                                     "it was built from: ammtc_qa.load(corpus_dir=..., backend=..., "
                                     "backend_options=...)")
        return self.corpus_dir

    def ask(self, question: str, k: int = 5, *, explain: bool = False,
            filters: Filter | Mapping[str, Any] | None = None, as_of: dt.date | str | None = None,
            **overrides: Any) -> Answer:
        """Passages answering ``question``, best first, each with its citation.

        ``filters``: which articles may answer (``{"since": "2024-01-01", "publisher": [...],
        "meeting": [...], "language": [...], "doc_id": [...]}`` or an ``ammtc_qa.Filter``),
        applied inside the store before ranking; meetings may be written in any form
        ("somtc-20", "the 20th SOMTC"). ``as_of``: the reference date for time in the question
        ("the latest AMMTC", "last year's SOMTC"; an ISO string or a ``datetime.date``; default
        today). ``overrides`` replace fields of ``SearchSettings`` for this call (e.g.
        ``fusion="rrf"``).
        """
        question = _check_question(question)
        if isinstance(k, bool) or not isinstance(k, int):
            raise InvalidTypeError(f"k must be an integer, not {type(k).__name__}")
        if k < 1:
            raise InvalidInputError(f"k must be at least 1, got {k}")
        where = _canonical_meetings(Filter.of(filters))
        reference = as_date(as_of, "as_of", bad_value=InvalidInputError, bad_type=InvalidTypeError)
        settings = self.search_settings.with_overrides(**overrides) if overrides else self.search_settings
        ranker = self._ranker  # one version for the whole call, even if add() switches meanwhile
        answer = ranker.ask(question, k, settings, explain=explain, where=where, as_of=reference)
        return _annotated(answer, ranker.backend, settings)

    def document(self, doc_id: str) -> Document:
        return self.backend.document(doc_id)

    def documents(self) -> list[Document]:
        return list(self.backend.documents())

    def copies(self, doc_id: str) -> list[Document]:
        """Near copies of a document (the same wire story from other publishers), indexed too.

        Found at build time: word 5-gram Jaccard similarity of at least 0.8 (see ``duplicates``).
        """
        backend = self.backend
        backend.document(doc_id)
        return [backend.document(c) for c in backend.copies(doc_id)]

    # -- changing the corpus ---------------------------------------------------------------------
    def add(self, items: Item | Iterable[Item], *, strict: bool = False) -> IngestReport:
        """Add articles: files or folders (``.txt``, ``.md``, ``.html``, ``.jsonl``; folders walked
        recursively) copied into the corpus folder, or documents given as dicts with the fields of
        a ``.jsonl`` line (``text``, and optionally ``title``, ``date``, ``url``, ``source``,
        ``publisher``, ``language``, ``id``), appended to ``added.jsonl`` there.

        Then the index is refreshed (only the new articles are read, chunked and embedded) and
        this object answers from the new version. A file that cannot be used is skipped with a
        ``CorpusWarning`` naming it (``strict=True``: ``CorpusError`` and nothing changes). The
        same text as an indexed article is not added again; a near copy is added and linked.
        """
        return self._change(lambda staging, docs: plan_add(self._corpus(), items, docs, staging, strict))

    def update(self, item: Item, *, strict: bool = False) -> IngestReport:
        """Replace an article: a file with the name of one in the corpus folder (or a file in
        the folder, edited in place), or a dict/Document with the ``id`` of an indexed one."""
        return self._change(lambda staging, docs: plan_update(self._corpus(), item, docs, staging, strict))

    def remove(self, doc_id: str) -> IngestReport:
        """Remove an article (its file, or its line of a ``.jsonl`` file) and refresh the index."""
        corpus = self._corpus()
        backend = self.backend
        count = backend.state["counts"]["documents"]
        try:
            backend.document(doc_id)
        except KeyError:
            raise UnknownDocumentError(f"no document with id {doc_id!r} in the index at {self.index_dir} "
                                       f"({count} documents; see qa.documents() or `ammtc-qa info`)") from None
        if count == 1:
            raise InvalidInputError(f"{doc_id!r} is the only document: an index needs at least one")
        doc = backend.document(doc_id)  # as indexed once the change has caught up with other writers:
        return self._change(lambda staging, docs: plan_remove(corpus, docs.get(doc_id, doc)))

    def refresh(self, *, strict: bool = False, force: bool = False) -> None:
        """Bring the index up to date with the corpus folder (reading and embedding only what changed)."""
        backend = refresh_index(self._corpus(), self.store, build_embedder(self.index_settings, self.progress),
                                self.index_settings,
                                force=force, strict=strict, progress=self.progress)
        self.stale = None
        version = getattr(backend, "version", None)
        if version is None or version != getattr(self.backend, "version", None):
            self._switch(backend)  # a version unchanged keeps its ranker (whose tables cost O(archive))

    def _change(self, make_plan: Any) -> IngestReport:
        corpus = self._corpus()
        shipped_corpus = _shipped_corpus()
        if shipped_corpus is not None and corpus.resolve() == shipped_corpus.resolve():
            raise CorpusError(f"{corpus} is the corpus shipped with ammtc-qa and is not changed; "
                              "copy it and load(corpus_dir=<your copy>) to add or remove articles")
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with corpus_writer(corpus), staging_dir() as staging:
            self.refresh()  # plan against the corpus as it is now, with what other writers added
            plan = make_plan(Path(staging), _DocsView(self.backend))
            apply(plan, corpus)
            self.refresh()  # reads what changed here (or by another process)
        report = plan.report
        backend = self.backend
        report.copies = {d: list(backend.copies(d)) for d in report.added if backend.copies(d)}
        return report

    def info(self) -> dict[str, Any]:
        backend = self.backend
        state = backend.state
        return {"corpus_dir": str(self.corpus_dir) if self.corpus_dir is not None else None,
                "read_only": self.corpus_dir is None, "index_dir": str(self.index_dir), "backend": backend.name,
                "store": self.store.location, "version": state.get("version"), "built_at": state.get("built_at"),
                "model": state.get("model"), "vector_kind": state.get("vector_kind"), **state["counts"],
                "meetings": self._ranker.catalog.keys, "skipped": state.get("corpus", {}).get("skipped", []),
                "embedding": state.get("embedding", {}), "linked_copies": state["counts"].get("linked_copies", 0),
                "languages": _languages(backend), "stale": self.stale}

    def cleaning_report(self, doc_id: str | None = None) -> str:
        """What cleaning removed from each article (or one), so it can be audited."""
        docs = [self.document(doc_id)] if doc_id else self.backend.documents()
        lines = []
        for doc in docs:
            decoded = f"; decoded from {doc.encoding}" if doc.encoding else ""
            lines.append(f"{doc.doc_id} ({doc.source}): {len(doc.removed)} removed{decoded}")
            for r in doc.removed:
                text = " ".join(r.text.split())
                lines.append(f"  - {r.kind:12s} {text[:90]!r}{'…' if len(text) > 90 else ''}")
        return "\n".join(lines)


_ENGLISH_NAMES = frozenset({"en", "eng", "english"})
"""An article's language field naming English, case-folded."""


def _languages(backend: WritableBackend) -> dict[str, Any]:
    """Articles per language (``"unknown"``: none given and none detected with confidence), and
    the ids of those not in English, which the model reads poorly (``info()["languages"]``).
    Languages are case-folded. A store with language columns counts without reading metadata."""
    if hasattr(backend, "language_counts") and hasattr(backend, "docs_in_languages"):
        counts = backend.language_counts()
        other = backend.docs_in_languages([lang for lang in counts if lang and lang not in _ENGLISH_NAMES])
    else:
        counts, other = {}, {}
        for meta in backend.doc_meta():
            lang = (meta.language or "").casefold()
            counts[lang] = counts.get(lang, 0) + 1
            if lang and lang not in _ENGLISH_NAMES:
                other[meta.doc_id] = lang
    named = {lang or "unknown": n for lang, n in counts.items()}
    return {"counts": dict(sorted(named.items())), "not_english": other}


def _annotated(answer: Answer, backend: WritableBackend, settings: SearchSettings) -> Answer:
    """The answer with each passage's source file and PDF page, and a notice when the question is
    in a language the (English) model reads poorly."""
    from .text.language import ENGLISH, name, question_language

    docs: dict[str, Document] = {}
    passages = []
    for p in answer.passages:
        doc = docs.get(p.doc_id)
        if doc is None:
            doc = docs[p.doc_id] = backend.document(p.doc_id)
        passages.append(replace(p, page=doc.page_at(p.start), source=doc.source))
    notice = answer.notice
    code = question_language(answer.question, settings.question_language_min_confidence,
                             settings.question_english_words)
    if code is not None and code != ENGLISH:
        note = (f"The question looks {name(code)} ({code}); the embedding model reads English well and other "
                "languages poorly, so passages are matched mostly on shared names and numbers. Asking in "
                "English gives better answers.")
        notice = f"{notice} {note}" if notice else note
    return replace(answer, passages=passages, notice=notice)


class _DocsView(Mapping[str, Document]):
    """The indexed documents by id, read on demand (what ingest plans check new items against).
    Membership and text hashes are looked up in the store when it can (the local store's segment
    tables), so planning one article does not list the archive."""

    def __init__(self, backend: WritableBackend) -> None:
        self._backend = backend
        self._fast = all(hasattr(backend, m) for m in ("has", "docs_with_text"))
        self._ids: set[str] | None = None

    def _all(self) -> set[str]:
        if self._ids is None:
            self._ids = {m.doc_id for m in self._backend.doc_meta()}
        return self._ids

    def __getitem__(self, doc_id: str) -> Document:
        return self._backend.document(doc_id)

    def __contains__(self, doc_id: object) -> bool:
        if self._fast:
            return isinstance(doc_id, str) and bool(self._backend.has(doc_id))  # type: ignore[attr-defined]
        return doc_id in self._all()

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return int(self._backend.state["counts"]["documents"])

    def text_hashes(self) -> MutableMapping[str, str]:
        if self._fast:
            return _TextHashes(self._backend)
        return {fp.text_sha: d for d, fp in self._backend.fingerprints().items()}


class _TextHashes(MutableMapping[str, str]):
    """text sha256 -> doc id: what the plan adds, over the store's own lookup."""

    def __init__(self, backend: WritableBackend) -> None:
        self._backend = backend
        self._new: dict[str, str] = {}

    def __getitem__(self, sha: str) -> str:
        if sha in self._new:
            return self._new[sha]
        found = self._backend.docs_with_text(sha)  # type: ignore[attr-defined]
        if not found:
            raise KeyError(sha)
        return str(found[0])

    def __contains__(self, sha: object) -> bool:
        return isinstance(sha, str) and (sha in self._new or bool(self._backend.docs_with_text(sha)))  # type: ignore[attr-defined]

    def __setitem__(self, sha: str, doc_id: str) -> None:
        self._new[sha] = doc_id

    def __delitem__(self, sha: str) -> None:
        del self._new[sha]

    def __iter__(self) -> Iterator[str]:
        return iter(self._new)

    def __len__(self) -> int:
        return len(self._new)


def _canonical_meetings(where: Filter | None) -> Filter | None:
    """Meeting filter values in their canonical key ("somtc-20" -> "SOMTC 20"); a value the
    recogniser does not read is kept as written (a series it learned from the corpus)."""
    if where is None or where.meetings is None:
        return where
    return replace(where, meetings=frozenset(canonical_meeting(m) or " ".join(m.split()) for m in where.meetings))


def _check_question(question: object) -> str:
    if not isinstance(question, str):
        raise InvalidTypeError(f"question must be a string, not {type(question).__name__}")
    # Clean only a bounded prefix: cleaning builds a list per character, so a gigabyte question
    # would cost gigabytes. Leading whitespace/control characters beyond it count as empty.
    head = question[:8 * MAX_QUESTION_CHARS]
    cleaned = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in head).strip()
    if not cleaned:
        raise InvalidInputError("question is empty (or only whitespace/control characters)")
    if len(cleaned) > MAX_QUESTION_CHARS or len(question) > len(head):
        warnings.warn(f"question is {len(question)} characters; only the first {MAX_QUESTION_CHARS} are used",
                      TruncationWarning, stacklevel=3)
        cleaned = cleaned[:MAX_QUESTION_CHARS]
    return cleaned


def load(corpus_dir: str | os.PathLike[str] | None = None, index_dir: str | os.PathLike[str] | None = None, *,
         model: str | None = None, settings: IndexSettings | None = None,
         search_settings: SearchSettings | None = None, rebuild: str = "auto", progress: bool | None = None,
         strict: bool = False, reranker: str | os.PathLike[str] | Reranker | None = None, verify: bool | str = True,
         vector_kind: str | None = None, backend: str = "local",
         backend_options: Mapping[str, Any] | None = None) -> QA:
    """Load an index for ``corpus_dir`` from ``index_dir``, building or refreshing it when needed.

    rebuild: ``"auto"`` (build when missing, corrupt or built otherwise; refresh what changed in
    the corpus), ``"never"`` (raise instead), ``"always"`` (rebuild and re-embed everything).
    When a refresh fails but a previous version exists, that version is served with a
    ``StaleIndexWarning`` and ``qa.stale`` says why.
    model: a sentence-transformers name or local folder (default all-MiniLM-L6-v2).
    reranker: ``"default"``, the sentence-level cross-encoder shipped in the package (sha256-checked,
    loaded on the first question; see ``ammtc_qa.ranking.rerank``), a ``Reranker``, a local
    CrossEncoder folder applied to every fused candidate's whole passage, or None (no reranking).
    verify: ``True`` checks checksums of every file up to a size (large segments are checked for
    shape and size; their checksums were verified when written), ``"full"`` all checksums,
    ``False`` shapes only.
    vector_kind: the FAISS index of each segment (``"Flat"``, ``"HNSW32"``, ``"IVF,SQ8"``...; see
    ``ammtc_qa.backends.local.vectors``); default ``"auto"``, exact search up to 200,000 passages a segment.
    backend: where the index lives (``ammtc_qa.backends.available()``); ``backend_options`` are
    passed to that backend's store (for the local store: none; for Qdrant: ``url=``/``path=``...,
    see the README). Another backend's local work folder (its writer lock and build journal)
    defaults to one in the user cache keyed by the index's location, not by the corpus.

    Serve-only: another backend with no ``corpus_dir`` opens the index it holds read-only, as a
    query server that has only the model and the engine's address: no corpus folder is read, the
    index settings and model are the ones it was built with (``settings=``/``model=`` given must
    match them), and ``add``/``update``/``remove``/``refresh`` raise ``ReadOnlyIndexError``. An
    empty or missing collection raises ``IndexUnavailableError`` naming it.
    """
    if rebuild not in ("auto", "never", "always"):
        raise InvalidInputError(f"rebuild must be 'auto', 'never' or 'always', not {rebuild!r}")
    make_store = factory(backend)  # an unknown name fails here, listing the known ones
    if corpus_dir is None and backend != "local":
        return _serve_only(make_store, index_dir, model=model, settings=settings, search_settings=search_settings,
                           rebuild=rebuild, reranker=reranker, verify=verify, backend_options=backend_options)
    shipped = corpus_dir is None
    if shipped:
        corpus_path, default_index = shipped_paths()
    else:
        corpus_path = Path(corpus_dir)  # type: ignore[arg-type]
        default_index = cache_dir(corpus_path)
    # another backend keys its work folder by where its index lives (``Store`` with index_dir None)
    index_path = Path(index_dir) if index_dir is not None else default_index if backend == "local" else None
    settings = settings or IndexSettings()
    if model is not None:
        settings = replace(settings, model=model)
    if vector_kind is not None:
        resolve_kind(vector_kind, 1)  # a bad name fails here, not after embedding
        settings = replace(settings, vector_kind=vector_kind)
    vector_kind = None if settings.vector_kind == "auto" else settings.vector_kind
    if progress is None:
        progress = sys.stderr.isatty()

    def store_at(path: Path | None) -> Store:
        return make_store(path, verify=verify, vector_kind=vector_kind, merge_factor=settings.merge_factor,
                          min_merge=settings.min_merge_passages, **dict(backend_options or {}))

    store = store_at(index_path)
    try:
        return _load(store, store_at, corpus_path, settings, rebuild=rebuild, progress=progress,
                     strict=strict, fall_back=shipped and index_dir is None and backend == "local",
                     vector_kind=vector_kind, reranker=reranker, search_settings=search_settings)
    except BaseException:
        _close(store)  # a local-mode folder stays locked while its client is open
        raise


def _close(store: Store) -> None:
    close = getattr(store, "close", None)
    if close is not None:
        try:
            close()
        except Exception:  # closing after a failure: the failure is what the caller needs
            log.debug("closing %s failed", store.location, exc_info=True)


def _load(store: Store, store_at: Any, corpus_path: Path, settings: IndexSettings, *,
          rebuild: str, progress: bool, strict: bool, fall_back: bool, vector_kind: str | None,
          reranker: str | os.PathLike[str] | Reranker | None, search_settings: SearchSettings | None) -> QA:
    live, reasons = _try_load(store, corpus_path, settings, raise_corrupt=rebuild == "never",
                              vector_kind=vector_kind)
    if rebuild == "always":
        reasons = [*reasons, "rebuild requested"]
    stale = None
    if reasons:
        if rebuild == "never":
            raise IndexUnavailableError(f"index at {store.location} is not usable: {'; '.join(reasons)}")
        try:
            store, live = _rebuild(corpus_path, store, store_at, settings, reasons, progress, strict,
                                   fall_back=fall_back, vector_kind=vector_kind, force=rebuild == "always")
        except (AmmtcQaError, OSError) as exc:
            if live is None or rebuild == "always":
                raise
            stale = f"the index could not be refreshed ({'; '.join(reasons)}): {exc}"
            warnings.warn(f"{store.location}: serving the last good version; {stale}", StaleIndexWarning,
                          stacklevel=3)
    assert live is not None
    cross_encoder = _load_reranker(reranker) if reranker else None
    return QA(live, index_settings=settings, search_settings=search_settings or SearchSettings(),
              corpus_dir=corpus_path, index_dir=store.work_dir, reranker=cross_encoder, progress=progress,
              stale=stale, store=store)


def _serve_only(make_store: Any, index_dir: str | os.PathLike[str] | None, *, model: str | None,
                settings: IndexSettings | None, search_settings: SearchSettings | None, rebuild: str,
                reranker: str | os.PathLike[str] | Reranker | None, verify: bool | str,
                backend_options: Mapping[str, Any] | None) -> QA:
    """``load()`` of another backend without a corpus folder: the index it holds, read-only."""
    if rebuild == "always":
        raise InvalidInputError("rebuild='always' needs the corpus folder to rebuild from: pass corpus_dir=")
    store = make_store(Path(index_dir) if index_dir is not None else None, verify=verify, read_only=True,
                       **dict(backend_options or {}))
    try:
        return _serve(store, model=model, settings=settings, search_settings=search_settings, reranker=reranker)
    except BaseException:
        _close(store)  # a local-mode folder stays locked while its client is open
        raise


def _serve(store: Store, *, model: str | None, settings: IndexSettings | None,
           search_settings: SearchSettings | None, reranker: str | os.PathLike[str] | Reranker | None) -> QA:
    live = store.open()
    if live is None:
        raise IndexUnavailableError(f"{store.location} holds no index: build it first from its corpus folder "
                                    "(ammtc_qa.load(corpus_dir=..., backend=..., backend_options=...) or "
                                    "`ammtc-qa index --corpus FOLDER --qdrant-url/--qdrant-path ...`)")
    state = dict(live.state)
    built = _built_settings(state)
    stale = None
    if model is not None or settings is not None:  # asked for: must be what the index was built with
        wanted = replace(settings or built, model=model or (settings or built).model)
        reasons = [r for r in incompatible(state, wanted) if not r.startswith("the code")]
        if reasons:
            raise IndexUnavailableError(f"index at {store.location} is not usable: {'; '.join(reasons)}; "
                                        "load it without settings=/model= to use what it was built with, or "
                                        "rebuild it from its corpus folder")
        built = replace(wanted, vector_kind=built.vector_kind)
    reasons = incompatible(state, built)
    if any(not r.startswith("the code") for r in reasons):
        raise IndexUnavailableError(f"index at {store.location} cannot be served by this version of ammtc-qa: "
                                    f"{'; '.join(reasons)}; rebuild it from its corpus folder")
    if reasons:
        stale = ("the index was built by another version of the code that reads articles and questions: "
                 "answers may differ slightly from a fresh build until it is rebuilt from its corpus folder")
    pending = getattr(store, "pending", None)
    if pending:
        stale = f"{stale}; {pending}" if stale else pending
    if stale:
        warnings.warn(f"{store.location}: {stale}", StaleIndexWarning, stacklevel=4)
    cross_encoder = _load_reranker(reranker) if reranker else None
    return QA(live, index_settings=built, search_settings=search_settings or SearchSettings(), corpus_dir=None,
              index_dir=store.work_dir, reranker=cross_encoder, progress=False, stale=stale, store=store)


def _built_settings(state: Mapping[str, Any]) -> IndexSettings:
    """The ``IndexSettings`` an index was built with, from its state (fields this version knows)."""
    from dataclasses import fields

    known = {f.name for f in fields(IndexSettings)}
    recorded = {k: v for k, v in (state.get("settings") or {}).items() if k in known}
    model = (state.get("model") or {}).get("name")
    if model:
        recorded["model"] = model
    try:
        return IndexSettings(**recorded)
    except (TypeError, ValueError) as exc:
        raise IndexUnavailableError(f"the index records settings this version cannot read ({exc})") from exc


def _try_load(store: Store, corpus_path: Path, settings: IndexSettings, raise_corrupt: bool = False,
              vector_kind: str | None = None) -> tuple[WritableBackend | None, list[str]]:
    try:
        live = store.open()
    except IndexFormatError as exc:  # not damaged: a rebuild may reuse its vectors
        if raise_corrupt:
            raise
        return None, [f"index is of another format ({exc})"]
    except IndexCorruptError as exc:
        if raise_corrupt:
            raise
        return None, [f"index is corrupt ({exc})"]
    if live is None:
        return None, [f"no index in {store.location}"]
    return live, stale_reasons(live, corpus_path, settings, vector_kind)


def _rebuild(corpus_path: Path, store: Store, store_at: Any, settings: IndexSettings, reasons: list[str],
             progress: bool, strict: bool, fall_back: bool, vector_kind: str | None = None, force: bool = False
             ) -> tuple[Store, WritableBackend]:
    index_path = store.work_dir
    if fall_back and not _writable(index_path):
        cached = cache_dir(corpus_path)
        log.warning("shipped index is stale (%s) and %s is read-only; using %s", "; ".join(reasons),
                    index_path, cached)
        store = store_at(cached)
        live, cache_reasons = _try_load(store, corpus_path, settings, vector_kind=vector_kind)
        if live is not None and not cache_reasons and not force:
            return store, live
        index_path = cached
    elif not _writable(index_path):
        raise IndexUnavailableError(f"index at {index_path} must be rebuilt ({'; '.join(reasons)}) but the "
                                    "folder is not writable; pass index_dir= a writable folder")
    log.info("updating index in %s: %s", store.location, "; ".join(reasons))
    # a forced rebuild or a repair recomputes every passage; a stale index reuses unchanged ones
    fresh = force or any(r.startswith("index is corrupt") for r in reasons)
    live = refresh_index(corpus_path, store, build_embedder(settings, progress), settings, force=fresh,
                         strict=strict, progress=progress)
    return store, live


def build_embedder(settings: IndexSettings, progress: bool = False) -> Embedder:
    """The embedder a build runs: the model in this process, or (``settings.executor == "ray"``) the
    same model on a Ray actor pool for the embedding (``indexing.ray_executor``)."""
    embedder = load_embedder(settings.model)
    if settings.executor != "ray":
        return embedder
    from .indexing.ray_executor import INSTALL_HINT, RayBuildError, RayEmbedder, RayOptions, ray_available

    if not ray_available():
        raise RayBuildError(f"executor='ray' (--ray) needs Ray Data: {INSTALL_HINT}")
    return RayEmbedder(embedder, RayOptions(settings.ray_address, settings.ray_workers),  # type: ignore[return-value]
                       progress=progress)


def _local_store(index_dir: Path, settings: IndexSettings) -> Store:
    return factory("local")(index_dir, vector_kind=None if settings.vector_kind == "auto" else settings.vector_kind,
                            merge_factor=settings.merge_factor, min_merge=settings.min_merge_passages)


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
