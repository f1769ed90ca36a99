"""Reading a corpus folder into cleaned, cited documents.

A corpus is a folder (walked recursively) of ``.txt``/``.md`` articles, ``.html`` pages and
``.jsonl`` files (one article a line), plus an optional ``metadata.json`` for what the text
cannot tell (publisher, URL, language, a date order). Titles, dates and meetings are
extracted from the text; the metadata file overrides extraction. A metadata entry that matches
no corpus file or doc id (a typo, a renamed file) is reported like a bad file.

Bad files never crash a build and are never dropped silently: each one is skipped with a
``CorpusWarning`` naming it, or raises ``CorpusError`` under ``strict=True``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import warnings
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

from ..errors import CorpusError, CorpusWarning
from ..text.dates import check_date_order
from .document import Document, make_document

METADATA_FILE = "metadata.json"
ARTICLE_SUFFIXES = {".txt", ".md", ".markdown"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSONL_SUFFIXES = {".jsonl"}
CORPUS_SUFFIXES = ARTICLE_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES
MAX_FILE_BYTES = 64 * 1024 * 1024
"""Files larger than this are skipped with a warning: a news article is never 64 MB, and
reading one would hold it all in memory. (A ``.jsonl`` archive is streamed and may be larger;
its lines are bounded by ``MAX_LINE_BYTES``.)"""
MAX_LINE_BYTES = 16 * 1024 * 1024
"""A ``.jsonl`` line longer than this is skipped with a warning, without being held in memory."""
MAX_ARTICLE_CHARS = 1_000_000
"""One article's text (after HTML extraction) longer than this is skipped with a warning: about
150,000 words, several hundred pages. Anything that long is a dump or a concatenation, not an
article, and would cost minutes to clean, split and embed as one document."""

METADATA_FIELDS = {"title", "date", "publisher", "url", "language", "date_order", "source"}
JSONL_FIELDS = METADATA_FIELDS | {"id", "text"}
_SURROGATE = re.compile(r"[\ud800-\udfff]")
"""Valid in JSON ("\\udfff"), but not text: no UTF-8 encoding, so no tokenizer or file takes it."""


def check_fields(where: str, fields: dict[str, object]) -> None:
    """Refuse metadata/record fields that would fail later, naming ``where`` and the field:
    non-strings, lone surrogates, a ``date_order`` other than DMY/MDY."""
    for name, value in fields.items():
        if value is None:
            continue
        if not isinstance(value, str):
            raise CorpusError(f"{where}: field {name!r} must be a string")
        if _SURROGATE.search(value):
            raise CorpusError(f"{where}: field {name!r} contains a lone surrogate ({value[:40]!r}), "
                              "which is not text")
        if name == "date_order":
            try:
                check_date_order(value)
            except ValueError as exc:
                raise CorpusError(f"{where}: field 'date_order': {exc}") from None


@dataclass(frozen=True)
class FileStamp:
    """What we remember of a corpus file to tell whether it changed."""

    size: int
    mtime_ns: int
    sha256: str

    def to_json(self) -> dict[str, object]:
        return {"size": self.size, "mtime_ns": self.mtime_ns, "sha256": self.sha256}


@dataclass
class Corpus:
    """The documents read from a folder, and what was skipped on the way."""

    folder: Path
    documents: list[Document]
    stamps: dict[str, FileStamp]
    skipped: list[tuple[str, str]]
    raw_sha: dict[str, str] = field(default_factory=dict)
    """sha256 of the bytes each document came from (its file, or its ``.jsonl`` line)."""
    metadata: dict[str, dict[str, str]] = field(default_factory=dict)


Reuse = Callable[[str], "Document | None"]
"""``reuse(raw sha256) -> Document | None``: an already-cleaned document for unchanged bytes."""


def _problem(strict: bool, message: str, outcome: str = "skipped") -> None:
    """Raise (``strict``) or warn; only the warning says ``outcome``: a strict read skips nothing."""
    if strict:
        raise CorpusError(message)
    warnings.warn(f"{message}; {outcome}", CorpusWarning, stacklevel=3)


def corpus_files(folder: Path) -> Iterator[tuple[str, Path]]:
    """Yield ``(relative posix path, path)`` of every corpus file, sorted, recursively.

    Symbolic links that resolve outside the folder (or in a loop) are refused: a corpus must
    not read files its owner did not put in it. Linked folders are not followed. Anything that
    is not a regular file (a FIFO would block the reader forever, a device never ends) is
    skipped. Each refusal is a ``CorpusWarning`` naming the entry.
    """
    root = folder.resolve()

    def unreadable(exc: OSError) -> None:
        where = Path(exc.filename).relative_to(root).as_posix() if exc.filename else str(root)
        _skip_entry(f"{_printable(where)}: folder cannot be read ({exc.strerror or exc}); its files are not "
                    "indexed; skipped")

    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=unreadable):
        for d in sorted(dirnames):
            if not d.startswith(".") and (Path(dirpath) / d).is_symlink():
                rel = (Path(dirpath) / d).relative_to(root).as_posix()
                _skip_entry(f"{_printable(rel)}: symbolic link to a folder ({_link_target(Path(dirpath) / d)}); "
                            "linked folders are not followed; skipped")
        for d in sorted(dirnames):
            if not d.startswith(".") and not _utf8_name(d):
                rel = (Path(dirpath) / d).relative_to(root).as_posix()
                _skip_entry(f"{_printable(rel)}: folder name is not UTF-8; rename it to index its files; skipped")
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and _utf8_name(d))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if name.startswith(".") or path.suffix.lower() not in CORPUS_SUFFIXES:
                continue
            rel = path.relative_to(root).as_posix()
            if not _utf8_name(name):  # os.walk hands such names over with lone surrogates
                _skip_entry(f"{_printable(rel)}: file name is not UTF-8; rename it to index it; skipped")
                continue
            if path.is_symlink():
                try:
                    target = path.resolve(strict=True)
                except FileNotFoundError:
                    _skip_entry(f"{rel}: symbolic link to {_link_target(path)}, which does not exist; skipped")
                    continue
                except (OSError, RuntimeError):  # a loop (RuntimeError before Python 3.13)
                    _skip_entry(f"{rel}: symbolic link that cannot be resolved (a loop?); skipped")
                    continue
                if not target.is_relative_to(root):
                    _skip_entry(f"{rel}: symbolic link to {target} points outside the corpus folder; skipped")
                    continue
            try:
                mode = path.stat().st_mode
            except OSError:
                continue  # vanished since the listing: simply not part of the corpus now
            if not stat.S_ISREG(mode):
                _skip_entry(f"{rel}: not a regular file (a FIFO, socket or device); skipped")
                continue
            yield rel, path


def _utf8_name(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _printable(name: str) -> str:
    """A path for a message: bytes that are not UTF-8 shown as ``\\xNN`` escapes."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _link_target(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def _skip_entry(message: str) -> None:
    warnings.warn(message, CorpusWarning, stacklevel=3)


def stamp_files(folder: Path, previous: dict[str, FileStamp] | None = None) -> dict[str, FileStamp]:
    """Fingerprint every corpus file (and the metadata file).

    A file whose size and mtime match ``previous`` keeps its recorded hash, so checking a large
    corpus for staleness does not re-read it; anything else is hashed.
    """
    previous = previous or {}
    stamps: dict[str, FileStamp] = {}
    listing = list(corpus_files(folder))
    meta = folder / METADATA_FILE
    if meta.is_file():
        listing.append((METADATA_FILE, meta))
    for rel, path in listing:
        try:
            st = path.stat()
        except OSError:
            continue  # vanished between listing and stat: it is simply not part of the corpus now
        old = previous.get(rel)
        if old and old.size == st.st_size and old.mtime_ns == st.st_mtime_ns:
            stamps[rel] = old
            continue
        try:
            digest = _sha256(path)
        except OSError:
            continue
        stamps[rel] = FileStamp(st.st_size, st.st_mtime_ns, digest)
    return stamps


def _open_regular(path: Path) -> tuple[BinaryIO, os.stat_result]:
    """Open a file for reading without blocking on a FIFO; refuse anything but a regular file.

    The returned stat is taken from the open file *before* reading: a change made while or
    after the file is read gives another mtime, so the staleness check hashes it again.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(f"{path}: not a regular file")
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb"), st
    except BaseException:
        os.close(fd)
        raise


def _open_corpus_file(rel: str, path: Path) -> tuple[BinaryIO, os.stat_result]:
    """``_open_regular`` for a corpus file: a failure becomes a ``CorpusError`` naming the file."""
    try:
        return _open_regular(path)
    except OSError as exc:
        raise CorpusError(f"{rel}: cannot be read ({exc.strerror or exc})") from exc


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    f, _ = _open_regular(path)
    with f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _read_stamped(rel: str, path: Path, limit: int, stamps: dict[str, FileStamp]) -> bytes:
    """The bytes of a file, and its stamp (``stamps[rel]``) computed from those very bytes.

    A file over ``limit`` is hashed in blocks (its stamp is still recorded, so replacing it
    with a smaller one triggers a rebuild) and refused without being held in memory.
    """
    f, st = _open_corpus_file(rel, path)
    h = hashlib.sha256()
    with f:
        try:
            if st.st_size > limit:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
                stamps[rel] = FileStamp(st.st_size, st.st_mtime_ns, h.hexdigest())
                raise CorpusError(f"{rel}: {st.st_size / 1e6:.0f} MB is larger than the {limit // 2**20} MiB "
                                  "limit for one article file")
            blocks, total = [], 0
            while total <= limit:  # in blocks: read(limit + 1) would allocate the whole limit up front
                block = f.read(min(1 << 20, limit + 1 - total))
                if not block:
                    break
                blocks.append(block)
                total += len(block)
            data = b"".join(blocks)
            del blocks
        except OSError as exc:
            raise CorpusError(f"{rel}: cannot be read ({exc.strerror or exc})") from exc
    if len(data) > limit:  # grew since it was opened
        raise CorpusError(f"{rel}: larger than the {limit // 2**20} MiB limit for one article file")
    h.update(data)
    stamps[rel] = FileStamp(st.st_size, st.st_mtime_ns, h.hexdigest())
    return data


def read_metadata(folder: Path, stamps: dict[str, FileStamp] | None = None) -> dict[str, dict[str, str]]:
    """Read ``metadata.json``: ``{"<file or doc id>": {"publisher": ..., ...}}``."""
    path = folder / METADATA_FILE
    if not path.is_file():
        return {}
    try:
        raw = _read_stamped(str(path), path, MAX_FILE_BYTES, {} if stamps is None else stamps)
        data = json.loads(raw.decode("utf-8-sig"))
    except (ValueError, RecursionError) as exc:  # not UTF-8, not JSON, an integer of 5,000 digits, too deep
        raise CorpusError(f"{path}: not valid UTF-8 JSON: {exc}") from exc
    if stamps is not None:
        stamps[METADATA_FILE] = stamps.pop(str(path))
    if not isinstance(data, dict):
        raise CorpusError(f"{path}: expected a JSON object mapping file names to fields")
    for key, fields in data.items():
        if not isinstance(fields, dict):
            raise CorpusError(f"{path}: entry {key!r} must be an object of fields")
        unknown = set(fields) - METADATA_FIELDS
        if unknown:
            raise CorpusError(f"{path}: entry {key!r} has unknown field(s) {sorted(unknown)}; "
                              f"known fields: {sorted(METADATA_FIELDS)}")
        check_fields(f"{path}: entry {key!r}", fields)
    return data


def decode_text(data: bytes, name: str) -> str:
    """Decode a file's bytes as UTF-8, refusing binary content with a reason naming the file."""
    if b"\x00" in data[:8192]:
        raise CorpusError(f"{name}: looks binary (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def read_corpus(folder: str | os.PathLike[str], *, strict: bool = False, only: Collection[str] | None = None,
                known_ids: Collection[str] = (), reuse: Reuse | None = None, progress: bool = False) -> Corpus:
    """Read, clean and profile every article under ``folder`` (``progress``: a bar on stderr).

    ``strict``: every bad file is collected first, then one ``CorpusError`` names them all.
    ``only``: read just these files (relative paths); the others are listed, not read.
    ``known_ids``: doc ids of articles not re-read (a metadata entry naming one is not unused).
    ``reuse``: an already-cleaned document for ``.jsonl`` lines whose bytes are unchanged.
    """
    root = Path(folder)
    if not root.is_dir():
        raise CorpusError(f"{root}: corpus folder does not exist")
    stamps: dict[str, FileStamp] = {}
    metadata = read_metadata(root, stamps)
    documents: list[Document] = []
    skipped: list[tuple[str, str]] = []
    seen_ids: dict[str, str] = {}
    raw_sha: dict[str, str] = {}  # of the documents kept, by doc id
    by_source: dict[str, str] = {}  # of every document read, by source (a file, or file:line)
    known_keys: set[str] = set(known_ids)  # metadata keys that name something in the corpus
    problems: list[str] = []  # strict: all of them, reported together

    def problem(message: str, outcome: str = "skipped") -> None:
        if strict:
            problems.append(message)
        else:
            _problem(False, message, outcome)

    from tqdm.auto import tqdm

    listing = list(corpus_files(root))
    # A key that is a file's name is that file's entry, never a .jsonl record's that has it as id.
    record_metadata = {k: v for k, v in metadata.items() if k not in {rel for rel, _ in listing}}
    to_read = [(rel, path) for rel, path in listing if only is None or rel in only]
    for rel, _ in listing:
        known_keys.update((rel, rel.rsplit(".", 1)[0]))
    for rel, path in tqdm(to_read, desc="Reading and cleaning", unit="file", disable=not progress,
                          dynamic_ncols=True):
        try:
            docs = list(_read_file(rel, path, metadata, record_metadata, strict, stamps, reuse, by_source))
        except CorpusError as exc:
            skipped.append((rel, str(exc)))
            problem(str(exc))
            continue
        for doc in docs:
            if doc.doc_id in seen_ids:
                message = f"{doc.source}: doc id {doc.doc_id!r} already used by {seen_ids[doc.doc_id]}"
                skipped.append((doc.source, message))
                problem(message)
                continue
            seen_ids[doc.doc_id] = doc.source
            raw_sha[doc.doc_id] = by_source.get(doc.source, "")
            documents.append(doc)
    known_keys.update(seen_ids)
    for key in metadata:
        if key not in known_keys:
            message = f"{root / METADATA_FILE}: entry {key!r} matches no corpus file or doc id"
            problem(message, "its fields are not used")
    if problems:
        raise CorpusError(f"{len(problems)} bad corpus file(s) or line(s) in {root}; with strict nothing is "
                          "indexed:\n" + "\n".join(f"  {p}" for p in problems))
    # Stamps come from the bytes that were read: a file edited after it was read is seen as
    # changed by the next staleness check; one that vanished before it was read is not indexed.
    return Corpus(root, documents, stamps, skipped, raw_sha, metadata)


def _check_length(where: str, text: str) -> None:
    if len(text) > MAX_ARTICLE_CHARS:
        raise CorpusError(f"{where}: {len(text):,} characters of text is over the {MAX_ARTICLE_CHARS:,}-character "
                          "limit for one article (a dump or concatenation? split it into articles)")


def _read_file(rel: str, path: Path, metadata: dict[str, dict[str, str]],
               record_metadata: dict[str, dict[str, str]], strict: bool,
               stamps: dict[str, FileStamp], reuse: Reuse | None = None,
               raw_by_source: dict[str, str] | None = None) -> Iterator[Document]:
    suffix = path.suffix.lower()
    raw_by_source = {} if raw_by_source is None else raw_by_source
    if suffix in JSONL_SUFFIXES:
        yield from _read_jsonl(rel, path, record_metadata, strict, stamps, reuse, raw_by_source)
        return
    data = _read_stamped(rel, path, MAX_FILE_BYTES, stamps)
    if not data.strip():
        raise CorpusError(f"{rel}: empty file")
    text = decode_text(data, rel)
    del data
    if suffix not in HTML_SUFFIXES:
        _check_length(rel, text)
    doc_id = rel.rsplit(".", 1)[0]
    meta = dict(metadata.get(rel) or metadata.get(doc_id) or {})
    if suffix in HTML_SUFFIXES:
        from .html import html_to_text

        text, html_title = html_to_text(text, rel)
        _check_length(rel, text)
        if html_title and "title" not in meta:
            meta["title"] = html_title
    raw_by_source[rel] = stamps[rel].sha256 if rel in stamps else ""
    yield make_document(doc_id, text, meta, source=rel, markdown=suffix in MARKDOWN_SUFFIXES)


def _read_jsonl(rel: str, path: Path, metadata: dict[str, dict[str, str]], strict: bool,
                stamps: dict[str, FileStamp], reuse: Reuse | None = None,
                raw_by_source: dict[str, str] | None = None) -> Iterator[Document]:
    """Stream a ``.jsonl`` file line by line (archives can be large); a bad line is reported
    by file and line number and skipped, the good lines around it are kept. A line over
    ``MAX_LINE_BYTES`` is skipped without being held in memory."""
    handle, st = _open_corpus_file(rel, path)
    h = hashlib.sha256()
    with handle:
        lineno = 0
        while True:
            try:
                raw = handle.readline(MAX_LINE_BYTES + 1)
            except OSError as exc:
                raise CorpusError(f"{rel}: cannot be read ({exc.strerror or exc})") from exc
            if not raw:
                break
            lineno += 1
            h.update(raw)
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):  # drop the rest of the line, block by block
                    raw = handle.readline(1 << 20)
                    h.update(raw)
                _problem(strict, f"{rel}, line {lineno}: longer than the {MAX_LINE_BYTES // 2**20} MiB limit "
                                 "for one line", "line skipped")
                continue
            if not raw.strip():
                continue
            line_sha = hashlib.sha256(raw.rstrip(b"\r\n")).hexdigest()
            known = reuse(line_sha) if reuse is not None else None
            if known is not None:
                if raw_by_source is not None:
                    raw_by_source[f"{rel}:{lineno}"] = line_sha
                yield replace(known, source=f"{rel}:{lineno}")
                continue
            try:
                doc = _jsonl_document(rel, lineno, raw, metadata)
                if raw_by_source is not None:
                    raw_by_source[doc.source] = line_sha
                yield doc
            except CorpusError as exc:
                _problem(strict, str(exc), "line skipped")
    stamps[rel] = FileStamp(st.st_size, st.st_mtime_ns, h.hexdigest())


def _jsonl_document(rel: str, lineno: int, raw: bytes, metadata: dict[str, dict[str, str]]) -> Document:
    where = f"{rel}, line {lineno}"
    try:
        record = json.loads(decode_text(raw, where))
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{where}: not valid JSON ({exc.msg})") from exc
    except ValueError as exc:  # e.g. an integer of 5,000 digits (Python's int conversion limit)
        raise CorpusError(f"{where}: not usable JSON ({exc})") from exc
    except RecursionError as exc:  # e.g. 100,000 nested brackets
        raise CorpusError(f"{where}: JSON nested too deeply") from exc
    if not isinstance(record, dict):
        raise CorpusError(f"{where}: expected a JSON object")
    body = record.get("text")
    if not isinstance(body, str) or not body.strip():
        raise CorpusError(f"{where}: field 'text' is missing or empty")
    _check_length(where, body)
    fields = {k: v for k, v in record.items() if k in JSONL_FIELDS - {"id"} and v is not None}
    check_fields(where, fields)
    del fields["text"]
    given = record.get("id")
    if given is not None and (not isinstance(given, (str, int)) or isinstance(given, bool)):
        raise CorpusError(f"{where}: field 'id' must be a string or an integer")
    if isinstance(given, str):
        check_fields(where, {"id": given})
    doc_id = str(given) if given is not None else content_id(body)
    meta = {**(metadata.get(doc_id) or {}), **fields}
    return make_document(doc_id, body, meta, source=f"{rel}:{lineno}")


def content_id(text: str) -> str:
    """A doc id derived from the text, stable across rebuilds, for articles given without one."""
    return "sha1-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
