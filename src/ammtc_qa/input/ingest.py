"""Adding, updating and removing articles: changes to the corpus folder, checked first.

The corpus folder stays the source of truth; the index is always rebuilt from it (cheaply:
only new texts are embedded, see ``embedding_cache``). So:

* ``add`` copies files into the corpus folder (a file keeps its name; a folder keeps its
  own name as a subfolder and is walked recursively), and appends documents given as dicts
  (the fields of a ``.jsonl`` line: ``text`` plus optional ``title``, ``date``, ``url``,
  ``source``, ``publisher``, ``language``, ``id``) to ``added.jsonl`` in the corpus folder;
* ``remove`` deletes the file of a doc id, or its line of a ``.jsonl`` file, and the
  ``metadata.json`` entries that named it (in its folder's file and those above; patterns and
  ``"*"`` describe other files too and stay);
* ``update`` replaces a file with the same name, or the ``.jsonl`` line with the same id.

Everything given is read and cleaned in a staging folder before anything in the corpus
changes. A file that cannot be used (unreadable, empty, binary, not UTF-8, no text after
cleaning) is reported by name and skipped with a ``CorpusWarning``, or fails the whole call
under ``strict=True``; either way nothing already in the corpus is touched by it. The same
text as an article already indexed is not added twice (reported as a duplicate); a file
name already in the corpus with different content is refused (use ``update``).
Files are written under a temporary name and renamed into place, so a reader of the corpus
never sees half a file.

Writers of one corpus folder are serialised by a lock file *in that folder* (``corpus_writer``),
held for the whole read-modify-write: two processes with different index folders (a notebook on
the default cache index beside a script with ``--index``) change the same ``added.jsonl``, so a
lock in the index folder would let their appends overwrite each other. Readers take no lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import (
    CorpusError,
    CorpusWarning,
    InvalidInputError,
    InvalidTypeError,
    MissingFileError,
    UnknownDocumentError,
    WriterBusyError,
    storage_errors,
)
from .corpus import (
    CORPUS_SUFFIXES,
    JSONL_FIELDS,
    METADATA_FILE,
    content_id,
    is_metadata_file,
    read_corpus,
    unknown_type_reason,
    walk_corpus,
)
from .document import Document
from .duplicates import text_hash

ADDED_FILE = "added.jsonl"
"""Where documents given as dicts are kept, one JSON object a line."""

CORPUS_LOCK = ".ammtc-qa-writer.lock"
"""The writer lock file in a corpus folder (a dot file: never read as an article)."""
WRITER_WAIT_S = 600.0
"""How long a change waits for another writer of the same corpus folder before giving up."""

Item = str | os.PathLike | Mapping[str, Any] | Document


@contextmanager
def corpus_writer(corpus_dir: Path, timeout: float = WRITER_WAIT_S) -> Iterator[None]:
    """Hold the writer lock of ``corpus_dir`` (across processes and threads) for the block.

    A second writer waits up to ``timeout`` seconds, then gets a ``WriterBusyError`` naming the
    folder; a folder where the lock file cannot be created is a ``StorageError``.
    """
    from filelock import FileLock, Timeout

    path = corpus_dir / CORPUS_LOCK
    lock = FileLock(str(path), timeout=timeout)
    try:
        with storage_errors(path, "create the writer lock of the corpus folder"):
            lock.acquire()
    except Timeout:
        raise WriterBusyError(f"{corpus_dir}: another process or thread has been changing this corpus folder "
                              f"for over {timeout:.0f} s (lock {path}); nothing was changed, try again when it "
                              "has finished") from None
    try:
        sweep_temporaries(corpus_dir)
        yield
    finally:
        lock.release()


@dataclass
class IngestReport:
    """What an ``add``/``update``/``remove`` did."""

    added: list[str] = field(default_factory=list)
    """Doc ids now indexed that were not."""
    updated: list[str] = field(default_factory=list)
    """Doc ids whose article was replaced by a new version (``update``)."""
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """``(name, reason)`` of what could not be used."""
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    """``(name, doc id already indexed with the same text)``: not added again."""
    copies: dict[str, list[str]] = field(default_factory=dict)
    """Near copies (syndicated stories) of the added documents, by doc id: kept, and linked."""

    def __str__(self) -> str:
        counts = [f"added {len(self.added)}", *([f"updated {len(self.updated)}"] if self.updated else []),
                  f"removed {len(self.removed)}", f"skipped {len(self.skipped)}", f"duplicates {len(self.duplicates)}"]
        lines = [", ".join(counts)]
        lines += [f"  added {d}" + (f" (near copy of {', '.join(self.copies[d])})" if d in self.copies else "")
                  for d in self.added]
        lines += [f"  updated {d}" for d in self.updated]
        lines += [f"  removed {d}" for d in self.removed]
        lines += [f"  skipped {n}: {r}" for n, r in self.skipped]
        lines += [f"  duplicate {n}: same text as {d}" for n, d in self.duplicates]
        return "\n".join(lines)


@dataclass(frozen=True)
class _MetadataDrop:
    """Exact ``metadata.json`` entries (in the folder of ``rel`` and every folder above) that
    describe a document going away: its file's name (``rel`` relative to that folder), with
    ``stem`` also its name without the extension, or (``doc_id``) a record's id in a ``.jsonl``
    file ``rel``. Patterns and ``"*"`` describe other files too and are never dropped."""

    rel: str
    stem: bool = False
    doc_id: str | None = None


@dataclass
class _Plan:
    files: dict[str, Path] = field(default_factory=dict)  # corpus rel path -> staged file to copy there
    replace: set[str] = field(default_factory=set)  # rels that may overwrite an existing file
    unlink: set[str] = field(default_factory=set)  # corpus files to delete
    records: list[dict[str, Any]] = field(default_factory=list)  # lines to append to added.jsonl
    jsonl_edits: dict[str, dict[int, tuple[str, dict[str, Any] | None]]] = field(default_factory=dict)
    """jsonl file -> {line number: (its doc id, replacement record or None to delete the line)}"""
    metadata_drop: set[_MetadataDrop] = field(default_factory=set)
    report: IngestReport = field(default_factory=IngestReport)


class _Problems:
    def __init__(self, strict: bool, report: IngestReport) -> None:
        self.strict, self.report = strict, report

    def __call__(self, name: str, reason: str) -> None:
        if self.strict:
            raise CorpusError(f"{name}: {reason}")
        self.report.skipped.append((name, reason))
        warnings.warn(f"{name}: {reason}; skipped", CorpusWarning, stacklevel=4)


def as_items(items: Item | Iterable[Item]) -> list[Item]:
    if isinstance(items, (str, os.PathLike, Mapping, Document)):
        return [items]
    if isinstance(items, Iterable):
        return list(items)
    raise InvalidTypeError(f"expected paths, documents (dicts) or a list of them, not {type(items).__name__}")


def record_of(item: Mapping[str, Any] | Document) -> dict[str, Any]:
    """A ``.jsonl`` record for a dict or a ``Document``."""
    if isinstance(item, Document):
        rec: dict[str, Any] = {"id": item.doc_id, "text": item.text, "title": item.title,
                               "date": item.date.isoformat() if item.date else None, "url": item.url,
                               "publisher": item.publisher, "language": item.language}
        return {k: v for k, v in rec.items() if v is not None}
    unknown = sorted(set(item) - JSONL_FIELDS)
    if unknown:
        raise CorpusError(f"unknown field(s) {unknown}; known fields: {sorted(JSONL_FIELDS)}")
    return {k: v for k, v in item.items() if v is not None}


def record_id(record: Mapping[str, Any]) -> str | None:
    """The doc id a ``.jsonl`` record gets (given, or derived from its text), None if it has no text."""
    given = record.get("id")
    if given is not None and not isinstance(given, bool) and isinstance(given, (str, int)):
        return str(given)
    text = record.get("text")
    return content_id(text) if isinstance(text, str) and text.strip() else None


def split_source(source: str) -> tuple[str, int | None]:
    """``"archive.jsonl:12"`` -> ``("archive.jsonl", 12)``; a plain file -> ``(rel, None)``."""
    rel, sep, line = source.rpartition(":")
    if sep and line.isdigit() and Path(rel).suffix.lower() == ".jsonl":
        return rel, int(line)
    return source, None


# ------------------------------------------------------------------------------------ staging


def _inside(path: Path, folder: Path) -> str | None:
    try:
        return path.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return None


def _collect(items: list[Item], corpus_dir: Path, problem: _Problems
             ) -> tuple[dict[str, Path], list[dict[str, Any]], set[str]]:
    """``(rel -> source file, records, rels already inside the corpus folder)``."""
    files: dict[str, Path] = {}
    records: list[dict[str, Any]] = []
    in_place: set[str] = set()
    for item in items:
        if isinstance(item, (Mapping, Document)):
            try:
                records.append(record_of(item))
            except CorpusError as exc:
                problem(f"document #{len(records) + 1}", str(exc))
            continue
        if not isinstance(item, (str, os.PathLike)):
            raise InvalidTypeError(f"cannot add a {type(item).__name__}: give paths, dicts or Documents")
        path = Path(item)
        if not path.exists():
            problem(str(path), "no such file or folder")
            continue
        inside = _inside(path, corpus_dir)
        if path.is_dir():
            walked = walk_corpus(path)
            found = walked.articles
            if not found:
                problem(str(path), f"no {'/'.join(sorted(CORPUS_SUFFIXES))} file in this folder")
            prefix = (inside + "/" if inside not in (None, ".") else "") if inside is not None \
                else path.resolve().name + "/"
            for rel, _ in walked.others:  # reported, never copied; not a failure even under strict
                reason = unknown_type_reason(prefix + rel)
                problem.report.skipped.append((str(path / rel), reason))
                warnings.warn(f"{reason}; skipped", CorpusWarning, stacklevel=4)
            if found and inside is None:  # the folder's metadata.json files come along with its articles
                found = found + walked.metadata
            for rel, file in found:
                files[prefix + rel] = file
                if inside is not None:
                    in_place.add(prefix + rel)
            continue
        if path.suffix.lower() not in CORPUS_SUFFIXES:
            problem(str(path), f"not a corpus file (expected {', '.join(sorted(CORPUS_SUFFIXES))})")
            continue
        rel = inside if inside is not None else path.name
        files[rel] = path
        if inside is not None:
            in_place.add(rel)
    return files, records, in_place


def _stage(files: dict[str, Path], records: list[dict[str, Any]], staging: Path, problem: _Problems,
           strict: bool) -> tuple[list[Document], list[Document], set[str]]:
    """Read what is given exactly as a build will: ``(file docs, record docs, rels unusable)``."""
    bad: set[str] = set()
    file_root, record_root = staging / "files", staging / "records"
    file_root.mkdir()
    record_root.mkdir()
    for rel, src in files.items():
        target = file_root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copy2(src, target)  # with its mtime: IndexSettings.date_from="mtime" dates by it
        except OSError as exc:
            problem(str(src), f"cannot be read ({exc.strerror or exc})")
            bad.add(rel)
    if records:
        lines = []
        for n, record in enumerate(records, 1):
            try:  # ASCII escapes: a lone surrogate is then refused by the reader, naming the field
                lines.append(json.dumps(record, ensure_ascii=True))
            except (TypeError, ValueError) as exc:  # a datetime, a 5,000-digit integer...
                problem(f"document #{n}", f"not JSON-serialisable ({exc})")
                lines.append("")  # a blank line keeps line n for record n
        (record_root / ADDED_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CorpusWarning)
        file_docs = read_corpus(file_root, strict=strict).documents if files else []
        record_docs = read_corpus(record_root, strict=strict).documents if records else []
    for w in caught:  # re-issue here, named as the caller knows them
        message = str(w.message).replace(f"{ADDED_FILE}, line ", "document #")
        name, _, reason = message.partition(": ")
        problem.report.skipped.append((name, reason.removesuffix("; skipped").removesuffix("; line skipped")))
        warnings.warn(message, CorpusWarning, stacklevel=4)
    have = {split_source(d.source)[0] for d in file_docs}
    bad.update(rel for rel in files if rel not in have and not is_metadata_file(rel))
    return file_docs, record_docs, bad


# --------------------------------------------------------------------------------- planning


def plan_add(corpus_dir: Path, items: Item | Iterable[Item], existing: Mapping[str, Document],
             staging: Path, strict: bool) -> _Plan:
    plan = _Plan()
    problem = _Problems(strict, plan.report)
    files, records, in_place = _collect(as_items(items), corpus_dir, problem)
    file_docs, record_docs, bad = _stage(files, records, staging, problem, strict)
    hashes = getattr(existing, "text_hashes", None)  # a store's view knows them without reading texts
    by_hash = hashes() if hashes is not None else {text_hash(d.text): d.doc_id for d in existing.values()}

    def check(doc: Document, name: str) -> str | None:
        """None when ``doc`` is new; else why not (and duplicates are reported)."""
        h = text_hash(doc.text)
        if h in by_hash:
            plan.report.duplicates.append((name, by_hash[h]))
            warnings.warn(f"{name}: same text as {by_hash[h]!r}, already indexed; kept once", CorpusWarning,
                          stacklevel=4)
            return "duplicate"
        if doc.doc_id in existing:
            problem(name, f"doc id {doc.doc_id!r} is already used by {existing[doc.doc_id].source}; "
                          "use update() to replace it")
            return "conflict"
        by_hash[h] = doc.doc_id
        return None

    per_file: dict[str, list[Document]] = {}
    for doc in file_docs:
        per_file.setdefault(split_source(doc.source)[0], []).append(doc)
    for rel, src in files.items():
        if rel in bad:
            continue
        docs = per_file.get(rel, [])
        if is_metadata_file(rel) and rel not in in_place:
            target = corpus_dir / rel
            if not target.exists():
                plan.files[rel] = staging / "files" / rel
            elif target.read_bytes() != (staging / "files" / rel).read_bytes():
                problem(str(src), f"{rel} already exists in the corpus with other entries; merge the two by hand")
            continue
        if rel in in_place:
            new = [d for d in docs if d.doc_id not in existing]
            plan.report.added.extend(d.doc_id for d in new)
            continue
        target = corpus_dir / rel
        if target.exists():
            if target.is_file() and target.read_bytes() == (staging / "files" / rel).read_bytes():
                plan.report.duplicates.extend((rel, d.doc_id) for d in docs)
            else:
                problem(str(src), f"{rel} already exists in the corpus with different content; "
                                  "use update() to replace it")
            continue
        verdicts = [check(d, f"{src}" + (f", line {split_source(d.source)[1]}" if len(docs) > 1 else ""))
                    for d in docs]
        if "conflict" in verdicts:
            continue
        if all(v == "duplicate" for v in verdicts):
            continue
        plan.files[rel] = staging / "files" / rel
        plan.report.added.extend(d.doc_id for d, v in zip(docs, verdicts, strict=True) if v is None)
    for doc in record_docs:
        n = split_source(doc.source)[1] or 0
        if check(doc, f"document #{n}") is None:
            plan.records.append(records[n - 1])
            plan.report.added.append(doc.doc_id)
    return plan


def plan_remove(corpus_dir: Path, doc: Document) -> _Plan:
    plan = _Plan()
    rel, line = split_source(doc.source)
    if not (corpus_dir / rel).is_file():
        raise UnknownDocumentError(f"doc id {doc.doc_id!r}: its file {rel} is no longer in the corpus folder "
                                   f"{corpus_dir}")
    if line is None:
        plan.unlink.add(rel)
        plan.metadata_drop.add(_MetadataDrop(rel, stem=True))
    else:
        plan.jsonl_edits[rel] = {line: (doc.doc_id, None)}
        plan.metadata_drop.add(_MetadataDrop(rel, doc_id=doc.doc_id))
    plan.report.removed.append(doc.doc_id)
    return plan


def plan_update(corpus_dir: Path, item: Item, existing: Mapping[str, Document], staging: Path,
                strict: bool) -> _Plan:
    plan = _Plan()
    problem = _Problems(strict, plan.report)
    if isinstance(item, (Mapping, Document)):
        record = record_of(item)
        doc_id = record_id(record)
        if doc_id is None or "id" not in record:
            raise InvalidInputError("update() needs the document's id (field 'id'); to add a new one, use add()")
        if doc_id not in existing:
            raise UnknownDocumentError(f"no document with id {doc_id!r} in the index; use add() for a new one")
        _, record_docs, _ = _stage({}, [record], staging, problem, strict)
        if not record_docs:
            return plan  # reported by _stage: nothing changes
        old = existing[doc_id]
        rel, line = split_source(old.source)
        if line is None:
            plan.unlink.add(rel)
            plan.metadata_drop.add(_MetadataDrop(rel))  # the id's own entry still describes the record
            plan.records.append(record)
        else:
            plan.jsonl_edits[rel] = {line: (doc_id, record)}
        plan.report.updated.append(doc_id)
        return plan
    if not isinstance(item, (str, os.PathLike)) or Path(item).is_dir():
        raise InvalidTypeError("update() takes one file, or one document (a dict with an 'id')")
    path = Path(item)
    if not path.is_file():
        raise MissingFileError(f"{path}: no such file")
    rel = _inside(path, corpus_dir) or _corpus_file_named(path.name, existing, corpus_dir)
    file_docs, _, bad = _stage({rel: path}, [], staging, problem, strict)
    if rel in bad:
        return plan  # the indexed version stays
    if _inside(path, corpus_dir) is None:
        plan.files[rel] = staging / "files" / rel
        plan.replace.add(rel)
    old_ids = {d.doc_id for d in existing.values() if split_source(d.source)[0] == rel}
    plan.report.updated.extend(d.doc_id for d in file_docs if d.doc_id in old_ids)
    plan.report.added.extend(d.doc_id for d in file_docs if d.doc_id not in old_ids)
    return plan


def _corpus_file_named(name: str, existing: Mapping[str, Document], corpus_dir: Path) -> str:
    """The corpus file (in any sub-folder) that a new version called ``name`` replaces."""
    if (corpus_dir / name).is_file():
        return name
    matches = sorted({rel for rel, _ in map(split_source, (d.source for d in existing.values()))
                      if Path(rel).name == name and (corpus_dir / rel).is_file()})
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise InvalidInputError(f"{name} matches several corpus files ({', '.join(matches)}); give the "
                                "file inside the corpus folder that is to be replaced")
    raise UnknownDocumentError(f"{name} is not in the corpus folder {corpus_dir}; use add() for a new article")


# --------------------------------------------------------------------------------- applying


def _write_atomic(target: Path, data: bytes, like: Path | None = None) -> None:
    """Write ``data`` to ``target`` under a temporary name, then rename; ``like``: a file whose
    modification time the new one keeps (an added article keeps its own)."""
    tmp = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
    try:
        with storage_errors(target, "write to the corpus folder"):
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
            if like is not None:
                st = like.stat()
                os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
            os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


_TEMPORARY = re.compile(r"^\..+\.[0-9a-f]{32}\.tmp$")
"""The names ``_write_atomic`` gives its temporary copies."""


def sweep_temporaries(corpus_dir: Path) -> None:
    """Delete the temporary copies a writer killed mid-write left in the corpus folder. Only run
    under the writer lock: then no writer is between writing a copy and renaming it."""
    for dirpath, dirnames, filenames in os.walk(corpus_dir, followlinks=False):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]  # never written to (see corpus_files)
        for name in filenames:
            if _TEMPORARY.match(name):
                with contextlib.suppress(OSError):  # not ours to insist on: the next change retries
                    os.unlink(os.path.join(dirpath, name))


def apply(plan: _Plan, corpus_dir: Path) -> None:
    """Make the planned changes to the corpus folder (each file replaced atomically)."""
    for rel, staged in plan.files.items():
        target = corpus_dir / rel
        if target.exists() and rel not in plan.replace:
            raise CorpusError(f"{target}: appeared while adding; not overwritten")
        _write_atomic(target, staged.read_bytes(), like=staged)
    for rel in plan.unlink:
        with storage_errors(corpus_dir / rel, "delete from the corpus folder"):
            (corpus_dir / rel).unlink(missing_ok=True)
    for rel, edits in plan.jsonl_edits.items():
        _edit_jsonl(corpus_dir / rel, edits)
    if plan.records:
        target = corpus_dir / ADDED_FILE
        old = target.read_bytes() if target.exists() else b""
        if old and not old.endswith(b"\n"):
            old += b"\n"
        new = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in plan.records).encode("utf-8")
        _write_atomic(target, old + new)
    if plan.metadata_drop:
        _drop_metadata(corpus_dir, plan.metadata_drop)


def _edit_jsonl(path: Path, edits: Mapping[int, tuple[str, dict[str, Any] | None]]) -> None:
    """Replace (or delete, for None) the indexed lines, by line number: another line with the same
    id (a duplicate the reader skipped) is the user's data and stays as it is."""
    out: list[bytes] = []
    found: set[int] = set()
    for lineno, raw in enumerate(_lines(path.read_bytes()), 1):
        if lineno in edits:
            doc_id, replacement = edits[lineno]
            try:
                record = json.loads(raw)
            except ValueError:
                record = None
            if not isinstance(record, dict) or record_id(record) != doc_id:
                raise KeyError(f"{path}, line {lineno}: no longer the line of doc id {doc_id!r} (the file changed "
                               "since it was indexed); nothing was changed")
            found.add(lineno)
            if replacement is not None:
                out.append(json.dumps(replacement, ensure_ascii=False).encode("utf-8") + b"\n")
            continue
        out.append(raw if raw.endswith(b"\n") else raw + b"\n")
    missing = set(edits) - found
    if missing:
        raise UnknownDocumentError(f"{path}: has no line {min(missing)} (the file changed since it was indexed); "
                                   "nothing was changed")
    if any(line.strip() for line in out):
        _write_atomic(path, b"".join(out))
    else:
        path.unlink()


def _lines(data: bytes) -> list[bytes]:
    """Lines as the reader numbers them (``readline``: only ``\\n`` ends a line, not ``\\r``)."""
    parts = data.split(b"\n")
    return [part + b"\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _drop_metadata(corpus_dir: Path, drops: set[_MetadataDrop]) -> None:
    """Remove the exact entries that describe the documents gone (``_MetadataDrop``) from every
    ``metadata.json`` that has one, each rewritten atomically. Run after the files are deleted."""
    walked = walk_corpus(corpus_dir)
    articles = {rel for rel, _ in walked.articles}
    for meta_rel, path in walked.metadata:
        folder = meta_rel[: -len(METADATA_FILE)]
        keys: set[str] = set()
        for drop in drops:
            if not drop.rel.startswith(folder):
                continue
            local = drop.rel[len(folder):]
            if drop.doc_id is not None:
                if folder + drop.doc_id not in articles:  # a key naming a file is that file's entry
                    keys.add(drop.doc_id)
                continue
            keys.add(local)
            stem = local.rsplit(".", 1)[0]
            same_stem = any(a.startswith(folder) and a[len(folder):].rsplit(".", 1)[0] == stem for a in articles)
            if drop.stem and not same_stem:  # "a" also names a.md when a.txt goes
                keys.add(stem)
        keys = {k for k in keys if k != "*" and not any(c in k for c in "*?[")}
        if keys:
            _drop_entries(path, keys)


def _drop_entries(path: Path, keys: set[str]) -> None:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return  # a broken metadata file is reported by the next read, not rewritten here
    if not isinstance(data, dict) or not keys & set(data):
        return
    kept = {k: v for k, v in data.items() if k not in keys}
    _write_atomic(path, (json.dumps(kept, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))


def staging_dir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="ammtc-qa-ingest-")
