"""Reading a segment's files without leaving their pages charged to the process.

Why not index long-lived memory maps: a page fault on a mapped file also maps the pages
around it that the page cache holds (fault-around, 64 KB, which ``MADV_RANDOM`` does not
turn off), and every mapped page counts in the process's RSS until the map closes. An ask
reads ~100 random rows of each table; at 1M passages long-lived maps grew to whole tables
resident after 1,000 asks (benchmarks/RESULTS.md, "1M re-measured"). So:

- ``RowReader.take``/``slice`` copy only the rows asked for with ``pread``;
- ``RowReader.mapped`` gives a second map of the whole table for one search (binary searches,
  gathers of many short runs), unmapped with the last view of it: its pages are charged only
  while that search runs;
- ``Blob`` reads byte ranges of a record file (documents, metadata) with ``pread``.

The kernel's page cache keeps the files warm without charging them to this process. Each
reader keeps its file open: a segment a newer version deleted stays readable by the readers
of the older one, as its maps did (POSIX unlink semantics).
"""

from __future__ import annotations

import math
import mmap
import os
import weakref
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ...errors import IndexCorruptError
from ..base import run_rows

__all__ = ["Blob", "RowReader", "run_rows"]


def _pread_into(fd: int, view: memoryview, offset: int, name: str) -> None:
    done = 0
    while done < len(view):
        got = os.preadv(fd, [view[done:]], offset + done)
        if got <= 0:
            raise IndexCorruptError(f"{name}: ends before byte {offset + done}")
        done += got


class RowReader:
    """Rows (along the first axis) of a memory-mapped ``.npy`` table, read into fresh arrays.
    An array that is not a file's map (in memory, empty) is indexed directly.

    ``hold=False`` (tables read rarely, e.g. build lookups): no file is kept open, so a segment
    costs no descriptor for them; ``mapped`` opens the file by name, and falls back to the
    long-lived map if a newer version deleted it. ``take``/``slice`` need ``hold=True``."""

    def __init__(self, array: np.ndarray, *, hold: bool = True) -> None:
        self.array = array
        self._fd: int | None = None
        self._path: str | None = None
        if (isinstance(array, np.memmap) and array.ndim >= 1 and array.size and array.filename
                and array.flags.c_contiguous):
            self._path = str(array.filename)
            self._offset = int(array.offset)
            self._row_bytes = int(math.prod(array.shape[1:]) * array.itemsize)
            if hold:
                self._fd = os.open(self._path, os.O_RDONLY)
                weakref.finalize(self, os.close, self._fd)

    def __len__(self) -> int:
        return len(self.array)

    def take(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """``array[rows]`` as an ordinary array, one ``pread`` a row."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        if self._fd is None:
            return np.asarray(self.array[rows])
        out = np.empty((len(rows), *self.array.shape[1:]), dtype=self.array.dtype)
        view = memoryview(out.reshape(-1).view(np.uint8))
        n = self._row_bytes
        for j, r in enumerate(rows.tolist()):
            if not 0 <= r < len(self.array):
                raise IndexError(f"row {r} out of range for {len(self.array)} rows")
            _pread_into(self._fd, view[j * n:(j + 1) * n], self._offset + r * n, str(self.array.filename))
        return out

    def slice(self, lo: int, hi: int) -> np.ndarray:
        """``array[lo:hi]`` as an ordinary array, in one read."""
        if self._fd is None or hi <= lo:
            return np.asarray(self.array[lo:hi])
        if lo < 0 or hi > len(self.array):
            raise IndexError(f"rows {lo}:{hi} out of range for {len(self.array)} rows")
        out = np.empty((hi - lo, *self.array.shape[1:]), dtype=self.array.dtype)
        _pread_into(self._fd, memoryview(out.reshape(-1).view(np.uint8)), self._offset + lo * self._row_bytes,
                    str(self.array.filename))
        return out

    def runs(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """``concatenate([array[a:b] for a, b in zip(lo, hi)])`` as one array, one ``pread`` a run."""
        lo = np.asarray(lo, dtype=np.int64).reshape(-1)
        hi = np.asarray(hi, dtype=np.int64).reshape(-1)
        if len(lo) and (int(lo.min()) < 0 or int(hi.max()) > len(self.array) or bool(np.any(hi < lo))):
            raise IndexError(f"runs out of range for {len(self.array)} rows")
        if self._fd is None:
            return np.asarray(self.array[run_rows(lo, hi)])
        out = np.empty((int((hi - lo).sum()), *self.array.shape[1:]), dtype=self.array.dtype)
        view = memoryview(out.reshape(-1).view(np.uint8))
        n, fd, name, at = self._row_bytes, self._fd, str(self.array.filename), 0
        for a, b in zip(lo.tolist(), hi.tolist(), strict=True):
            if b > a:
                _pread_into(fd, view[at:at + (b - a) * n], self._offset + a * n, name)
                at += (b - a) * n
        return out

    def mapped(self) -> np.ndarray:
        """The whole table through a map of its own, for one search: the map closes when the
        returned array and every view of it are dropped, and its pages stop counting then."""
        if self._path is None:
            return self.array
        if self._fd is not None:
            m = mmap.mmap(self._fd, 0, access=mmap.ACCESS_READ)
        else:
            try:
                with open(self._path, "rb") as f:
                    m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            except FileNotFoundError:  # deleted by a newer version: this reader's own map still reads it
                return self.array
        return np.ndarray(self.array.shape, dtype=self.array.dtype, buffer=m, offset=self._offset)


class Blob:
    """Byte ranges of a record file (records back to back, located by an offsets table)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self._fd)

    def read(self, lo: int, hi: int) -> bytes:
        """Bytes ``lo:hi`` of the file."""
        data = os.pread(self._fd, max(hi - lo, 0), lo)
        if len(data) == hi - lo or hi <= lo:
            return data
        out = bytearray(hi - lo)  # a short read: the loop that names the file if it ends early
        _pread_into(self._fd, memoryview(out), lo, str(self.path))
        return bytes(out)

    def ranges(self, lo: Sequence[int], hi: Sequence[int]) -> list[bytes]:
        """``[read(a, b) for a, b in zip(lo, hi)]`` through one map of the file, closed before
        returning (one ``pread`` each cost more than the map at ~100 ranges)."""
        if not len(lo):
            return []
        with mmap.mmap(self._fd, 0, access=mmap.ACCESS_READ) as m:
            if max(hi) > len(m):
                raise IndexCorruptError(f"{self.path}: ends before byte {max(hi)}")
            return [m[a:b] for a, b in zip(lo, hi, strict=True)]
