"""RowReader: rows of a stored table read with pread equal the map's rows, and stay readable."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ammtc_qa.backends.local.segment import RowReader


def _table(tmp_path: Path, rows: int = 257, dim: int = 7) -> tuple[np.ndarray, np.ndarray]:
    data = np.random.default_rng(0).standard_normal((rows, dim)).astype(np.float16)
    np.save(tmp_path / "t.npy", data)
    return data, np.load(tmp_path / "t.npy", mmap_mode="r")


def test_rows_and_slices_equal_the_mapped_table(tmp_path: Path) -> None:
    data, mapped = _table(tmp_path)
    reader = RowReader(mapped)
    for rows in ([0], [256, 3, 3, 100], list(range(0, 257, 17)), []):
        got = reader.take(rows)
        assert got.dtype == np.float16 and not isinstance(got, np.memmap)
        np.testing.assert_array_equal(got, data[rows])
    for lo, hi in ((0, 1), (5, 200), (256, 257), (9, 9)):
        np.testing.assert_array_equal(reader.slice(lo, hi), data[lo:hi])
    with pytest.raises(IndexError):
        reader.take([257])
    with pytest.raises(IndexError):
        reader.slice(250, 258)


def test_a_deleted_file_stays_readable_while_the_reader_lives(tmp_path: Path) -> None:
    data, mapped = _table(tmp_path)
    reader = RowReader(mapped)
    (tmp_path / "t.npy").unlink()  # a newer version removed this segment while a reader used it
    np.testing.assert_array_equal(reader.take([4, 2]), data[[4, 2]])


def test_an_in_memory_table_is_indexed_directly() -> None:
    data = np.arange(12, dtype=np.float16).reshape(4, 3)
    np.testing.assert_array_equal(RowReader(data).take([3, 0]), data[[3, 0]])
    np.testing.assert_array_equal(RowReader(data).slice(1, 3), data[1:3])
