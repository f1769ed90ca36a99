"""Reading segment files (``reading``): pread rows and per-search maps equal the tables, stay
readable after deletion, and a search map closes with its last view."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ammtc_qa.backends.local.reading import Blob, RowReader, run_rows
from ammtc_qa.errors import IndexCorruptError


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


def _maps_of(path: Path) -> int:
    maps = Path("/proc/self/maps")
    return sum(1 for line in maps.read_text().splitlines() if line.endswith(str(path)))


def test_one_dimensional_tables_read_like_the_map(tmp_path: Path) -> None:
    data = np.arange(1000, dtype=np.int32) * 3
    np.save(tmp_path / "p.npy", data)
    reader = RowReader(np.load(tmp_path / "p.npy", mmap_mode="r"))
    np.testing.assert_array_equal(reader.slice(10, 990), data[10:990])
    np.testing.assert_array_equal(reader.take([999, 0, 5]), data[[999, 0, 5]])
    np.testing.assert_array_equal(reader.mapped()[[7, 3]], data[[7, 3]])


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc/self/maps (Linux)")
def test_a_search_map_closes_with_its_last_view(tmp_path: Path) -> None:
    data, mapped = _table(tmp_path)
    path = (tmp_path / "t.npy").resolve()
    reader = RowReader(mapped)
    before = _maps_of(path)
    view = reader.mapped()
    part = view[100:120]  # a view keeps the map open
    del view
    assert _maps_of(path) == before + 1
    np.testing.assert_array_equal(part, data[100:120])
    del part
    assert _maps_of(path) == before


def test_search_maps_read_a_deleted_file(tmp_path: Path) -> None:
    data, mapped = _table(tmp_path)
    held, unheld = RowReader(mapped), RowReader(mapped, hold=False)
    (tmp_path / "t.npy").unlink()
    np.testing.assert_array_equal(held.mapped()[[5, 1]], data[[5, 1]])
    np.testing.assert_array_equal(unheld.mapped()[[5, 1]], data[[5, 1]])  # falls back to the reader's own map


def test_blob_reads_byte_ranges_and_names_a_short_file(tmp_path: Path) -> None:
    (tmp_path / "b.bin").write_bytes(b"alpha\nbeta\ngamma\n")
    blob = Blob(tmp_path / "b.bin")
    assert blob.read(6, 11) == b"beta\n" and blob.read(3, 3) == b""
    with pytest.raises(IndexCorruptError, match="b.bin"):
        blob.read(12, 40)


def test_runs_concatenate_row_ranges_in_one_array(tmp_path: Path) -> None:
    data, mapped = _table(tmp_path)
    lo, hi = np.array([3, 100, 100, 250, 0]), np.array([9, 100, 104, 257, 1])  # one empty run
    expected = np.concatenate([data[a:b] for a, b in zip(lo, hi, strict=True)])
    for reader in (RowReader(mapped), RowReader(np.asarray(data))):  # pread, and an in-memory table
        got = reader.runs(lo, hi)
        assert got.dtype == np.float16 and got.shape == (len(expected), data.shape[1])
        np.testing.assert_array_equal(got, expected)
        assert reader.runs(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)).shape == (0, data.shape[1])
    with pytest.raises(IndexError):
        RowReader(mapped).runs(np.array([250]), np.array([258]))
    with pytest.raises(IndexError):
        RowReader(mapped).runs(np.array([9]), np.array([3]))


def test_blob_ranges_equal_single_reads_and_name_a_short_file(tmp_path: Path) -> None:
    (tmp_path / "b.bin").write_bytes(b"alpha\nbeta\ngamma\n")
    blob = Blob(tmp_path / "b.bin")
    assert blob.ranges([6, 0, 3], [11, 6, 3]) == [blob.read(6, 11), blob.read(0, 6), b""] and blob.ranges([], []) == []
    assert _maps_of(tmp_path / "b.bin") == 0  # the map of one call is closed when it returns
    with pytest.raises(IndexCorruptError, match="b.bin"):
        blob.ranges([0, 12], [5, 40])


def test_run_rows_are_the_concatenated_ranges() -> None:
    lo, hi = np.array([5, 0, 9, 9, 2]), np.array([8, 0, 12, 9, 3])  # empty runs included
    expected = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi, strict=True)])
    got = run_rows(lo, hi)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, expected)
    assert run_rows(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)).shape == (0,)
