"""Reading a corpus folder into cleaned, cited documents.

A corpus is a folder (walked recursively) of ``.txt``/``.md`` articles, ``.html`` pages,
``.pdf``/``.docx`` documents (with the ``pdf``/``docx`` extras) and ``.jsonl`` files (one article
a line), plus optional ``metadata.json`` files for what the text cannot tell (publisher, URL,
language, a date order). Titles, dates and meetings are extracted from the text; metadata
overrides extraction.

An archive is rarely described file by file, so metadata is layered (``MetadataTree``): a
``metadata.json`` may sit in any folder, its keys are relative to that folder, and a key may be
a file, a doc id, a glob pattern (``"2024/*.txt"``, ``"bbc-*"``) or ``"*"`` (every file of the
folder and its sub-folders). Each field of an article comes from the most specific entry that
gives it: an exact name, then the longest matching pattern, then the nearest folder's ``"*"``,
then the ``"*"`` of the folders above. An exact entry or pattern that matches nothing (a typo, a
renamed file) is reported like a bad file.

Bad files never crash a build and are never dropped silently: each one is skipped with a
``CorpusWarning`` naming it, or raises ``CorpusError`` under ``strict=True``. Files of a type the
library does not read (images, spreadsheets) are listed as skipped with the reason, never read;
they do not fail a strict build. Text that is not UTF-8 is decoded when its legacy encoding
(Windows-1252, Latin-1...) can be told for sure, and refused with the ``iconv`` command that
converts it otherwise.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import stat
import warnings
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

from ..errors import CorpusError, CorpusWarning
from ..settings import IndexSettings
from ..text.dates import check_date_order, parse_dateline
from .document import Document, make_document

METADATA_FILE = "metadata.json"
ARTICLE_SUFFIXES = {".txt", ".md", ".markdown"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSONL_SUFFIXES = {".jsonl"}
PDF_SUFFIXES = {".pdf"}
DOCX_SUFFIXES = {".docx"}
BINARY_SUFFIXES = PDF_SUFFIXES | DOCX_SUFFIXES
"""Formats read by a library (pypdf, python-docx) from bytes, not decoded as text."""
CORPUS_SUFFIXES = ARTICLE_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES | BINARY_SUFFIXES
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
PER_ARTICLE_FIELDS = {"title", "url"}
"""Fields that describe one article: refused in a ``"*"`` or pattern entry, which many articles share."""
ID_TAKEN = " already used by "
"""How the skip message of a document whose doc id another one holds ends: ``... already used by
<source of the other>`` (a refresh reads the skipped file again when that source changes)."""
_PATTERN_CHARS = set("*?[")
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
    metadata: MetadataTree = field(default_factory=lambda: MetadataTree())


Reuse = Callable[[str], "Document | None"]
"""``reuse(raw sha256) -> Document | None``: an already-cleaned document for unchanged bytes."""


def _problem(strict: bool, message: str, outcome: str = "skipped") -> None:
    """Raise (``strict``) or warn; only the warning says ``outcome``: a strict read skips nothing."""
    if strict:
        raise CorpusError(message)
    warnings.warn(f"{message}; {outcome}", CorpusWarning, stacklevel=3)


@dataclass
class Listing:
    """What a corpus folder holds: articles to read, metadata files, and files of other types."""

    articles: list[tuple[str, Path]] = field(default_factory=list)
    metadata: list[tuple[str, Path]] = field(default_factory=list)
    """``metadata.json`` files (relative path, path), shallowest first."""
    others: list[tuple[str, Path]] = field(default_factory=list)
    """Regular files of a type that is not read (reported as skipped, never read)."""


def is_metadata_file(rel: str) -> bool:
    return rel.rsplit("/", 1)[-1] == METADATA_FILE


def corpus_files(folder: Path) -> Iterator[tuple[str, Path]]:
    """Yield ``(relative posix path, path)`` of every corpus file, sorted, recursively."""
    yield from walk_corpus(folder).articles


def walk_corpus(folder: Path) -> Listing:
    """Every regular file under ``folder``, sorted and sorted into a ``Listing``.

    Symbolic links that resolve outside the folder (or in a loop) are refused: a corpus must
    not read files its owner did not put in it. Linked folders are not followed. Anything that
    is not a regular file (a FIFO would block the reader forever, a device never ends) is
    skipped. Each refusal is a ``CorpusWarning`` naming the entry. Names starting with a dot
    (folders and files) are not part of the corpus.
    """
    root = folder.resolve()
    listing = Listing()

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
            if name.startswith("."):
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
                if path.suffix.lower() in CORPUS_SUFFIXES:
                    _skip_entry(f"{rel}: not a regular file (a FIFO, socket or device); skipped")
                continue
            if name == METADATA_FILE:
                listing.metadata.append((rel, path))
            elif path.suffix.lower() in CORPUS_SUFFIXES:
                listing.articles.append((rel, path))
            else:
                listing.others.append((rel, path))
    listing.metadata.sort(key=lambda item: (item[0].count("/"), item[0]))
    return listing


def unknown_type_reason(rel: str) -> str:
    """Why a file of another type is not indexed (``info()["skipped"]``, ``add``)."""
    suffix = Path(rel).suffix.lower() or "(no extension)"
    return (f"{rel}: file type {suffix} is not read (articles are {', '.join(sorted(CORPUS_SUFFIXES))}); "
            "convert it to one of these to index it")


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


UNREAD = "-"
"""The ``sha256`` recorded for a file of a type that is not read (not hashed)."""


def stamp_files(folder: Path, previous: dict[str, FileStamp] | None = None) -> dict[str, FileStamp]:
    """Fingerprint every corpus file, every ``metadata.json``, and files of other types (by size
    and mtime only: they are listed as skipped, so one added or removed changes what is reported).

    A file whose size and mtime match ``previous`` keeps its recorded hash, so checking a large
    corpus for staleness does not re-read it; anything else is hashed.
    """
    previous = previous or {}
    stamps: dict[str, FileStamp] = {}
    walked = walk_corpus(folder)
    for rel, path in walked.others:  # never read, so never hashed: only their coming and going counts
        try:
            st = path.stat()
        except OSError:
            continue
        stamps[rel] = FileStamp(st.st_size, st.st_mtime_ns, UNREAD)
    for rel, path in walked.articles + walked.metadata:
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


def _is_pattern(key: str) -> bool:
    return bool(_PATTERN_CHARS & set(key))


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """A glob as a regular expression over relative posix paths: ``*`` and ``?`` stay inside one
    path part, ``**`` crosses parts, ``[...]`` is a character class (``[!...]`` negated)."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2:]:
            close = pattern.index("]", i + 2)
            body = pattern[i + 1:close]
            negate = body.startswith("!")
            out.append("[" + ("^" if negate else "") + re.escape(body[1:] if negate else body) + "]")
            i = close + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


@dataclass(frozen=True)
class _Pattern:
    key: str
    regex: re.Pattern[str]
    whole_path: bool
    """A pattern with a ``/`` matches the path below its folder; one without, the file name."""

    def matches(self, local: str) -> bool:
        return bool(self.regex.match(local if self.whole_path else local.rsplit("/", 1)[-1]))

    @property
    def specificity(self) -> int:
        return sum(c not in _PATTERN_CHARS for c in self.key)


@dataclass
class _MetadataFile:
    rel: str
    folder: str
    """The folder its keys are relative to, as a prefix ("" or "sub/")."""
    entries: dict[str, dict[str, str]]
    patterns: list[_Pattern]


class MetadataTree:
    """Every ``metadata.json`` of a corpus folder, and the fields each article gets from them.

    For a file, the fields are merged field by field from, in order of precedence: exact
    entries (its path or doc id, relative to each ``metadata.json`` from the nearest folder up),
    patterns (the most specific, i.e. longest, first; the nearest folder first on a tie),
    ``"*"`` of the nearest folder, then ``"*"`` of each folder above.
    """

    def __init__(self, files: Mapping[str, Mapping[str, Mapping[str, str]]] | None = None,
                 articles: Collection[str] = ()) -> None:
        self.articles = frozenset(articles)
        """The corpus files: a key naming one is that file's entry, never a record's with it as id."""
        self.raw: dict[str, dict[str, dict[str, str]]] = {k: {e: dict(f) for e, f in v.items()}
                                                         for k, v in (files or {}).items()}
        self._files = []
        for rel, entries in sorted(self.raw.items(), key=lambda kv: (-kv[0].count("/"), kv[0])):
            folder = rel[: -len(METADATA_FILE)]
            patterns = [_Pattern(k, _pattern_regex(k), "/" in k) for k in entries if _is_pattern(k) and k != "*"]
            self._files.append(_MetadataFile(rel, folder, entries, patterns))  # nearest (deepest) first

    def __bool__(self) -> bool:
        return bool(self.raw)

    def _chain(self, rel: str) -> list[_MetadataFile]:
        """The metadata files whose folder holds ``rel``, nearest first."""
        return [m for m in self._files if rel.startswith(m.folder)]

    def for_file(self, rel: str) -> dict[str, str]:
        """The fields of the article file ``rel`` (or the defaults of the records of a ``.jsonl``)."""
        chain = self._chain(rel)
        layers: list[Mapping[str, str]] = []
        for m in chain:
            local = rel[len(m.folder):]
            for key in (local, local.rsplit(".", 1)[0]):
                if key in m.entries and not _is_pattern(key):
                    layers.append(m.entries[key])
        globbed = [(p.specificity, -depth, m.entries[p.key]) for depth, m in enumerate(chain)
                   for p in m.patterns if p.matches(rel[len(m.folder):])]
        layers += [fields for *_, fields in sorted(globbed, key=lambda g: (-g[0], -g[1]))]
        layers += [m.entries["*"] for m in chain if "*" in m.entries]
        return _merge(layers)

    def for_record(self, rel: str, doc_id: str) -> dict[str, str]:
        """The fields of a ``.jsonl`` record: entries naming its doc id (nearest first), then the
        defaults of its file (``for_file``). The record's own fields override both."""
        layers = [m.entries[doc_id] for m in self._chain(rel)
                  if doc_id in m.entries and not _is_pattern(doc_id) and m.folder + doc_id not in self.articles]
        return _merge([*layers, self.for_file(rel)])

    def unused(self, files: Collection[str], ids: Collection[str]) -> list[str]:
        """Messages for exact entries that name no corpus file or doc id, and patterns that match
        no corpus file. ``files``: every corpus file (relative path); ``ids``: every doc id."""
        out = []
        for m in sorted(self._files, key=lambda m: (m.rel.count("/"), m.rel)):
            local_files = [f[len(m.folder):] for f in files if f.startswith(m.folder)]
            names = set(local_files) | {f.rsplit(".", 1)[0] for f in local_files}
            where = m.rel
            for key in m.entries:
                if key == "*":
                    continue
                if _is_pattern(key):
                    pattern = next(p for p in m.patterns if p.key == key)
                    if not any(pattern.matches(f) for f in local_files):
                        out.append(f"{where}: pattern {key!r} matches no corpus file")
                elif key not in names and key not in ids:
                    out.append(f"{where}: entry {key!r} matches no corpus file or doc id")
        return out

    def files_affected(self, other: MetadataTree, files: Collection[str]) -> set[str]:
        """The files (of ``files``) whose fields differ between this tree and ``other``."""
        if self.raw == other.raw:
            return set()
        return {f for f in files if self.for_file(f) != other.for_file(f)}

    def ids_affected(self, other: MetadataTree) -> set[str]:
        """Keys naming a doc id whose entry differs between the two trees (in any folder)."""
        out: set[str] = set()
        for rel in set(self.raw) | set(other.raw):
            a, b = self.raw.get(rel, {}), other.raw.get(rel, {})
            out.update(k for k in set(a) | set(b) if not _is_pattern(k) and a.get(k) != b.get(k))
        return out


def _merge(layers: list[Mapping[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for fields in layers:
        for name, value in fields.items():
            if value is not None and name not in out:
                out[name] = value
    return out


def read_metadata(folder: Path, stamps: dict[str, FileStamp] | None = None,
                  files: list[tuple[str, Path]] | None = None, articles: Collection[str] = ()) -> MetadataTree:
    """Read every ``metadata.json`` under ``folder`` (``files`` and ``articles``: the metadata
    files and article files as listed by ``walk_corpus``, when already listed)."""
    walked = walk_corpus(folder) if files is None else None
    listed = walked.metadata if walked is not None else files or []
    return MetadataTree({rel: _read_metadata_file(rel, path, stamps) for rel, path in listed},
                        [rel for rel, _ in walked.articles] if walked is not None else articles)


def _read_metadata_file(rel: str, path: Path, stamps: dict[str, FileStamp] | None) -> dict[str, dict[str, str]]:
    """One ``metadata.json``: ``{"<file, doc id, pattern or *>": {"publisher": ..., ...}}``; every
    problem is a ``CorpusError`` naming the file, the entry and the field."""
    try:
        raw = _read_stamped(str(path), path, MAX_FILE_BYTES, {} if stamps is None else stamps)
        data = json.loads(raw.decode("utf-8-sig"))
    except (ValueError, RecursionError) as exc:  # not UTF-8, not JSON, an integer of 5,000 digits, too deep
        raise CorpusError(f"{path}: not valid UTF-8 JSON: {exc}") from exc
    if stamps is not None:
        stamps[rel] = stamps.pop(str(path))
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
        shared = sorted(n for n in PER_ARTICLE_FIELDS & set(fields) if fields[n] is not None)
        if _is_pattern(key) and shared:
            raise CorpusError(f"{path}: entry {key!r} is shared by every file it matches, so it cannot give "
                              f"field(s) {shared} of one article; give them in an entry naming the file")
        if _is_pattern(key):
            try:
                _pattern_regex(key)
            except (re.error, ValueError) as exc:
                raise CorpusError(f"{path}: entry {key!r} is not a usable pattern ({exc})") from None
        date = fields.get("date")
        # an exact entry's bad date skips that article only (named by make_document); a shared one fails here
        if _is_pattern(key) and date is not None and parse_dateline(date, date_order=fields.get("date_order")) is None:
            raise CorpusError(f"{path}: entry {key!r}: field 'date' {date!r} is not a date (write it as "
                              "2025-09-11)")
    return data


def decode_text(data: bytes, name: str) -> str:
    """Decode bytes as UTF-8, refusing binary content with a reason naming the file (``.jsonl``
    lines: JSON is UTF-8 by definition)."""
    if b"\x00" in data[:8192]:
        raise CorpusError(f"{name}: looks binary (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def decode_file(data: bytes, name: str, settings: IndexSettings | None = None) -> tuple[str, str | None]:
    """``(text, legacy encoding or None for UTF-8)`` of an article file's bytes.

    Bytes that are not UTF-8 are decoded when their encoding can be told for sure
    (``legacy_encoding``); otherwise the ``CorpusError`` gives the ``iconv`` command that
    converts the file, with the most likely encoding filled in.
    """
    if b"\x00" in data[:8192]:
        raise CorpusError(f"{name}: looks binary (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        utf8_error = f"{exc.reason} at byte {exc.start}"
    max_chaos = (settings or IndexSettings()).encoding_max_chaos
    encoding, guess = legacy_encoding(data, max_chaos)
    if encoding is None:
        source = _iconv_name(guess or "cp1252")
        quoted = name.replace("'", "'\\''")
        hint = (f"it may be {source}, but that is not certain" if guess else "its encoding could not be told")
        raise CorpusError(f"{name}: not UTF-8 text ({utf8_error}) and {hint}; convert it to UTF-8 and index the "
                          f"converted file, e.g. `iconv -f {source} -t UTF-8 '{quoted}' > converted.txt` "
                          f"(replace {source} by the file's encoding if you know it)")
    return data.decode(encoding), _iconv_name(encoding)


_WESTERN = ("cp1252", "latin_1", "iso8859_15")
"""Tried first: the legacy encodings of most English and Western European news archives."""
_ICONV_NAMES = {"cp1252": "WINDOWS-1252", "latin_1": "ISO-8859-1", "iso8859_15": "ISO-8859-15",
                "cp1250": "WINDOWS-1250", "cp1251": "WINDOWS-1251", "cp1253": "WINDOWS-1253",
                "cp1254": "WINDOWS-1254", "cp1257": "WINDOWS-1257", "cp1258": "WINDOWS-1258",
                "cp932": "CP932", "shift_jis": "SHIFT_JIS", "euc_jp": "EUC-JP", "gb2312": "GB2312",
                "gb18030": "GB18030", "big5": "BIG5", "euc_kr": "EUC-KR", "cp949": "CP949", "koi8_r": "KOI8-R",
                "utf_16": "UTF-16", "utf_16_le": "UTF-16LE", "utf_16_be": "UTF-16BE", "tis_620": "TIS-620"}


def _iconv_name(encoding: str) -> str:
    """The name ``iconv -f`` knows an encoding by (Python's codec names differ)."""
    return _ICONV_NAMES.get(encoding, encoding.upper().replace("_", "-"))


def legacy_encoding(data: bytes, max_chaos: float) -> tuple[str | None, str | None]:
    """``(encoding to decode with, or None; best guess)`` for bytes that are not UTF-8.

    Windows-1252 is taken when the text it gives does not look garbled (charset-normalizer's
    mess ratio at most ``max_chaos``): Czech read as Windows-1252 scores about 0.25, Russian over
    1. Otherwise charset-normalizer ranks the encodings that decode the bytes by how garbled the
    result looks. Several often tie (Windows-1250 and Windows-1252 give the same text for most French
    or English prose), so the result is taken only when every tied reading gives the same text,
    with a Western encoding preferred when it is one of them; readings that differ (Japanese
    as Shift-JIS or as EUC-KR) are not guessed between.
    """
    try:
        from charset_normalizer import from_bytes
        from charset_normalizer.md import mess_ratio
    except ImportError:  # pragma: no cover - a dependency of the package
        return None, None
    for western in _WESTERN:  # checked first: charset-normalizer ranks e.g. CP775 above it on English prose
        try:
            text = data.decode(western)
        except UnicodeDecodeError:
            continue
        if mess_ratio(text, maximum_threshold=1.0) <= max_chaos:
            return western, western
        break
    # UTF-16/32 without a byte order mark: bytes without NULs (checked before) are not that
    results = [r for r in from_bytes(data) if r.bom or not r.encoding.startswith(("utf_16", "utf_32"))]
    if not results:
        return None, None
    best = results[0]
    tied = [r for r in results if r.percent_chaos <= best.percent_chaos + 0.5]
    texts = {str(r) for r in tied}
    guess = best.encoding
    if best.percent_chaos > max_chaos * 100:
        return None, _western_guess(data) or guess
    for western in _WESTERN:
        try:
            text = data.decode(western)
        except UnicodeDecodeError:
            continue
        if text in texts:
            return western, western
    if len(texts) == 1:
        return guess, guess
    return None, _western_guess(data) or guess


def _western_guess(data: bytes) -> str | None:
    """Windows-1252 when the bytes decode in it: the likeliest legacy encoding of a news file,
    named in the conversion hint when detection is not sure."""
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    return "cp1252"


class _AnyOf(Collection[str]):
    """Membership in either collection, without copying them (``known_ids`` may be a store's
    lookup over a whole archive)."""

    def __init__(self, *parts: Collection[str]) -> None:
        self.parts = parts

    def __contains__(self, item: object) -> bool:
        return any(item in p for p in self.parts)

    def __iter__(self) -> Iterator[str]:
        for p in self.parts:
            yield from p

    def __len__(self) -> int:
        return sum(len(p) for p in self.parts)


def read_corpus(folder: str | os.PathLike[str], *, strict: bool = False, only: Collection[str] | None = None,
                known_ids: Collection[str] = (), reuse: Reuse | None = None, progress: bool = False,
                settings: IndexSettings | None = None) -> Corpus:
    """Read, clean and profile every article under ``folder`` (``progress``: a bar on stderr).

    ``strict``: every bad file is collected first, then one ``CorpusError`` names them all.
    ``only``: read just these files (relative paths); the others are listed, not read.
    ``known_ids``: doc ids of articles not re-read (a metadata entry naming one is not unused).
    ``reuse``: an already-cleaned document for ``.jsonl`` lines whose bytes are unchanged.
    ``settings``: what reading takes from ``IndexSettings`` (``date_from``, detection thresholds).
    """
    root = Path(folder)
    if not root.is_dir():
        raise CorpusError(f"{root}: corpus folder does not exist")
    settings = settings or IndexSettings()
    stamps: dict[str, FileStamp] = {}
    walked = walk_corpus(root)
    metadata = read_metadata(root, stamps, walked.metadata, [rel for rel, _ in walked.articles])
    documents: list[Document] = []
    skipped: list[tuple[str, str]] = []
    seen_ids: dict[str, str] = {}
    raw_sha: dict[str, str] = {}  # of the documents kept, by doc id
    by_source: dict[str, str] = {}  # of every document read, by source (a file, or file:line)
    problems: list[str] = []  # strict: all of them, reported together

    def problem(message: str, outcome: str = "skipped") -> None:
        if strict:
            problems.append(message)
        else:
            _problem(False, message, outcome)

    from tqdm.auto import tqdm

    listing = walked.articles
    to_read = [(rel, path) for rel, path in listing if only is None or rel in only]
    others = [(rel, path) for rel, path in walked.others if only is None or rel in only]
    for rel, path in others:  # listed, never read: not a problem even under strict
        skipped.append((rel, unknown_type_reason(rel)))
        with contextlib.suppress(OSError):
            st = path.stat()
            stamps[rel] = FileStamp(st.st_size, st.st_mtime_ns, UNREAD)
    if others:
        kinds = sorted({Path(rel).suffix.lower() or "(no extension)" for rel, _ in others})
        warnings.warn(f"{len(others)} file(s) of a type that is not read ({', '.join(kinds)}): "
                      f"{', '.join(rel for rel, _ in others[:3])}{' …' if len(others) > 3 else ''}; skipped "
                      "(info()['skipped'] lists them)", CorpusWarning, stacklevel=2)
    for rel, path in tqdm(to_read, desc="Reading and cleaning", unit="file", disable=not progress,
                          dynamic_ncols=True):
        try:
            docs = list(_read_file(rel, path, metadata, strict, stamps, reuse, by_source, settings))
        except CorpusError as exc:
            skipped.append((rel, str(exc)))
            problem(str(exc))
            continue
        for doc in docs:
            if doc.doc_id in seen_ids:
                message = f"{doc.source}: doc id {doc.doc_id!r}{ID_TAKEN}{seen_ids[doc.doc_id]}"
                skipped.append((doc.source, message))
                problem(message)
                continue
            seen_ids[doc.doc_id] = doc.source
            raw_sha[doc.doc_id] = by_source.get(doc.source, "")
            documents.append(doc)
    for message in metadata.unused([rel for rel, _ in listing], _AnyOf(known_ids, seen_ids)):
        problem(str(root / message), "its fields are not used")
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


def _read_file(rel: str, path: Path, metadata: MetadataTree, strict: bool,
               stamps: dict[str, FileStamp], reuse: Reuse | None = None,
               raw_by_source: dict[str, str] | None = None,
               settings: IndexSettings | None = None) -> Iterator[Document]:
    suffix = path.suffix.lower()
    raw_by_source = {} if raw_by_source is None else raw_by_source
    if suffix in JSONL_SUFFIXES:
        yield from _read_jsonl(rel, path, metadata, strict, stamps, reuse, raw_by_source, settings)
        return
    data = _read_stamped(rel, path, MAX_FILE_BYTES, stamps)
    if not data.strip():
        raise CorpusError(f"{rel}: empty file")
    doc_id = rel.rsplit(".", 1)[0]
    meta = metadata.for_file(rel)
    pages: list[str] | None = None
    encoding = None
    if suffix in BINARY_SUFFIXES:
        from . import documents as formats

        if suffix in PDF_SUFFIXES:
            pages, pdf_title = formats.pdf_pages(data, rel)
            text = "\n\n".join(pages)
        else:
            text, pdf_title = formats.docx_text(data, rel)
        if pdf_title and "title" not in meta:
            meta["title"] = pdf_title
    else:
        text, encoding = decode_file(data, rel, settings)
    del data
    if suffix not in HTML_SUFFIXES:
        _check_length(rel, text)
    if suffix in HTML_SUFFIXES:
        from .html import html_to_text

        text, html_title = html_to_text(text, rel)
        _check_length(rel, text)
        if html_title and "title" not in meta:
            meta["title"] = html_title
    raw_by_source[rel] = stamps[rel].sha256 if rel in stamps else ""
    mtime = None
    if settings is not None and settings.date_from == "mtime" and rel in stamps:
        mtime = dt.datetime.fromtimestamp(stamps[rel].mtime_ns / 1e9, tz=dt.timezone.utc).date()
    yield make_document(doc_id, text, meta, source=rel, markdown=suffix in MARKDOWN_SUFFIXES, settings=settings,
                        fallback_date=mtime, pages=pages, encoding=encoding)


def _read_jsonl(rel: str, path: Path, metadata: MetadataTree, strict: bool,
                stamps: dict[str, FileStamp], reuse: Reuse | None = None,
                raw_by_source: dict[str, str] | None = None,
                settings: IndexSettings | None = None) -> Iterator[Document]:
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
                doc = _jsonl_document(rel, lineno, raw, metadata, settings)
                if raw_by_source is not None:
                    raw_by_source[doc.source] = line_sha
                yield doc
            except CorpusError as exc:
                _problem(strict, str(exc), "line skipped")
    stamps[rel] = FileStamp(st.st_size, st.st_mtime_ns, h.hexdigest())


def _jsonl_document(rel: str, lineno: int, raw: bytes, metadata: MetadataTree,
                    settings: IndexSettings | None = None) -> Document:
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
    meta = {**metadata.for_record(rel, doc_id), **fields}
    return make_document(doc_id, body, meta, source=f"{rel}:{lineno}", settings=settings)


def content_id(text: str) -> str:
    """A doc id derived from the text, stable across rebuilds, for articles given without one."""
    return "sha1-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
