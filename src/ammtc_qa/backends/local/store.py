"""The on-disk index folder: versioned, checksummed, switched atomically.

Layout::

    index/
      CURRENT              name of the live version folder (replaced atomically)
      v-<time>-<id>/       one complete build: manifest.json + data files
      segments/            immutable segments the versions list (see ``backends.local``)
      .build.lock          the writer lock, held for a whole change (writers wait for each other)

A build writes a whole new version folder under a temporary name, renames it into place,
then swaps ``CURRENT``. A reader therefore sees the old index or the new one, never a mix,
and a build killed at any point leaves the previous version untouched. Every data file's
sha256 is in the manifest and checked at load, so truncation, bit flips or a planted file
(a pickle where an ``.npy`` should be) are refused with the file's name. Nothing read from
here can execute code: JSON, ``.npy`` without pickles, and FAISS's own format.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import stat
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from ...errors import IndexCorruptError, IndexUnavailableError, WriterBusyError

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
LOCK = ".build.lock"
TMP_PREFIX = ".tmp-"
"""A version being written (or the remains of a build killed while writing)."""
OLD_PREFIX = ".old-"
"""A superseded version being deleted."""
READ_ATTEMPTS = 5
"""How many times ``read_live`` follows CURRENT when builds keep replacing the version it reads."""

T = TypeVar("T")


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def _data_files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != MANIFEST:
            yield path


def current_version(index_dir: Path) -> Path | None:
    """The live version folder, or None when the folder holds no index."""
    pointer = index_dir / CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise IndexUnavailableError(f"{pointer}: cannot be read ({exc.strerror or exc})") from exc
    if not name or "/" in name or "\\" in name or name.startswith(".") or "\x00" in name:
        raise IndexCorruptError(f"{pointer}: does not name a version folder ({name[:60]!r})")
    return index_dir / name


def read_live(index_dir: Path, read: Callable[[Path], T], attempts: int = READ_ATTEMPTS) -> T | None:
    """``read(version)`` on the live version folder; None when the folder holds no index.

    Readers never lock, so a build in another process may switch CURRENT and delete the version
    a reader has started on (its files vanish mid-read: missing manifest, FileNotFoundError,
    FAISS's RuntimeError...). When ``read`` fails and CURRENT names another version by then,
    the read is redone on the new one. A failure on a version that is still live is raised as
    it is: corruption is reported, not retried. What ``read`` already opened or memory-mapped
    stays readable after the deletion (POSIX unlink semantics).
    """
    last: BaseException | None = None
    for _ in range(attempts):
        version = current_version(index_dir)
        if version is None:
            return None
        try:
            return read(version)
        except Exception as exc:
            if current_version(index_dir) == version:
                raise
            last = exc  # superseded (and removed) while being read: follow CURRENT
    raise IndexUnavailableError(f"{index_dir}: the live version was replaced {attempts} times while it was "
                                "being read (builds in a loop?); try again") from last


def read_manifest(version: Path) -> dict[str, Any]:
    path = version / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise IndexCorruptError(f"{path}: missing") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexCorruptError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        raise IndexCorruptError(f"{path}: not an ammtc-qa manifest")
    return data


_SHA256 = re.compile(r"[0-9a-f]{64}")


def check_member_name(version: Path, rel: object) -> str:
    """A manifest's file name, refused unless it is a plain relative path inside the version folder.

    Checked on the string alone, before the file system is touched: no absolute path, drive,
    backslash, ``..``/``.``/empty part, NUL or other control character, nothing hidden.
    """
    if not isinstance(rel, str) or not rel:
        raise IndexCorruptError(f"{version / MANIFEST}: file name {rel!r} is not a non-empty string")
    parts = rel.split("/")
    if (rel.startswith("/") or "\\" in rel or ":" in rel or any(ord(c) < 32 or c == "\x7f" for c in rel)
            or any(p in ("", ".", "..") or p.startswith(".") for p in parts) or rel == MANIFEST):
        raise IndexCorruptError(f"{version / MANIFEST}: file name {rel[:80]!r} is not a plain relative path "
                                "inside the version folder; refused")
    return rel


def _member(version: Path, rel: str) -> Path:
    """``version / rel`` if it is a regular file reached without symbolic links, else IndexCorruptError."""
    path = version
    for part in rel.split("/"):
        path = path / part
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:
            raise IndexCorruptError(f"{version / rel}: missing from the index") from None
        except OSError as exc:
            raise IndexCorruptError(f"{version / rel}: cannot be read ({exc.strerror or exc})") from exc
        if stat.S_ISLNK(mode):
            raise IndexCorruptError(f"{path}: is a symbolic link; index files must be regular files")
    if not stat.S_ISREG(mode):
        raise IndexCorruptError(f"{path}: not a regular file")
    return path


def verify(version: Path, manifest: dict[str, Any]) -> None:
    """Check every data file against the manifest's sha256; name the first that differs.

    Every name is checked before any file is opened (see ``check_member_name``), and a file
    reached through a symbolic link, or that is not a regular file (a FIFO would block), is refused.
    """
    expected: dict[str, str] = manifest["files"]
    for rel, digest in expected.items():
        check_member_name(version, rel)
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            raise IndexCorruptError(f"{version / MANIFEST}: entry {rel!r} has no sha256 digest")
    for rel, digest in expected.items():
        path = _member(version, rel)
        if file_sha256(path) != digest:
            raise IndexCorruptError(f"{path}: checksum mismatch (truncated, corrupted or replaced); "
                                    "rebuild with `ammtc-qa index`")
    extra = {p.relative_to(version).as_posix() for p in _data_files(version)} - set(expected)
    if extra:
        raise IndexCorruptError(f"{version}: unexpected file(s) {sorted(extra)} not in the manifest")


@contextmanager
def writer_lock(index_dir: Path, timeout: float = 600) -> Iterator[None]:
    """The one writer lock of an index folder, held for a whole read-modify-write (across
    processes and threads). A second writer waits up to ``timeout`` seconds, then gets an
    ``WriterBusyError``; readers never take it."""
    from filelock import FileLock, Timeout

    lock = FileLock(str(index_dir / LOCK), timeout=timeout, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        raise WriterBusyError(f"{index_dir}: another process has been writing this index for over {timeout:.0f} s "
                               f"(lock {index_dir / LOCK}); try again when it is done") from None
    except PermissionError as exc:
        raise IndexUnavailableError(f"{index_dir / LOCK}: cannot take the writer lock ({exc.strerror}); the index "
                                    "folder belongs to another user: pass index_dir= a folder of yours") from exc
    try:
        yield
    finally:
        lock.release()


class VersionWriter:
    """Collects a new version's files in a temporary folder; ``commit`` publishes it."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self.tmp = index_dir / f"{TMP_PREFIX}{uuid.uuid4().hex}"
        self.tmp.mkdir(parents=True)

    def path(self, rel: str) -> Path:
        target = self.tmp / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def commit(self, manifest: dict[str, Any]) -> Path:
        manifest = dict(manifest)
        manifest["files"] = {p.relative_to(self.tmp).as_posix(): file_sha256(p) for p in _data_files(self.tmp)}
        (self.tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
        for path in self.tmp.rglob("*"):
            if path.is_file():
                _fsync(path)
        name = f"v-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
        final = self.index_dir / name
        os.replace(self.tmp, final)
        pointer_tmp = self.index_dir / f".{CURRENT}.{uuid.uuid4().hex}"
        try:
            pointer_tmp.write_text(name + "\n", encoding="utf-8")
            _fsync(pointer_tmp)
            os.replace(pointer_tmp, self.index_dir / CURRENT)
        except BaseException:
            # Not published: CURRENT still names the previous version; leave nothing behind.
            pointer_tmp.unlink(missing_ok=True)
            shutil.rmtree(final, ignore_errors=True)
            raise
        _fsync_dir(self.index_dir)
        self._remove_old(keep=final)
        return final

    def abort(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _remove_old(self, keep: Path) -> None:
        """Drop superseded versions and leftovers of killed builds. A reader that already
        opened (or memory-mapped) their files keeps reading them: POSIX unlink semantics.

        A superseded version is first renamed out of the ``v-`` namespace (one atomic step),
        then deleted: a build killed while deleting leaves a ``.old-`` leftover for the next
        build to finish, never a half-deleted ``v-`` folder that looks like a version.
        """
        for child in self.index_dir.iterdir():
            if child == keep or child.is_symlink():
                continue
            if child.is_dir() and child.name.startswith("v-"):
                doomed = self.index_dir / f"{OLD_PREFIX}{uuid.uuid4().hex}"
                try:
                    os.replace(child, doomed)
                except OSError:
                    continue
                shutil.rmtree(doomed, ignore_errors=True)
            elif child.is_dir() and child.name.startswith((TMP_PREFIX, OLD_PREFIX)):
                shutil.rmtree(child, ignore_errors=True)
            elif child.is_file() and child.name.startswith(f".{CURRENT}."):
                child.unlink(missing_ok=True)  # pointer of a build killed before its switch


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # some filesystems refuse fsync on directories
        _fsync(path)
