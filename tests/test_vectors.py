"""Contract every vector index kind must honour, and switching kinds from ``load()``.

The same checks run against each kind (as Haystack runs one document-store contract against
every store): on 2,000 random unit vectors a vector finds itself first, a whitelist is
respected, and a saved index answers exactly as the one in memory.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ammtc_qa
import ammtc_qa.backends.local.vectors as vectors_mod
from ammtc_qa.backends.local.vectors import VectorIndex, ivf_lists, resolve_kind

KINDS = ["Flat", "HNSW32", "HNSW32,SQ8", "IVF,SQ8", "IVF32,Flat"]
N, DIM = 2000, 64


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    x = np.random.default_rng(7).standard_normal((N, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture(scope="module", params=KINDS)
def built(request: pytest.FixtureRequest, data: np.ndarray) -> VectorIndex:
    return VectorIndex.build(data, request.param)


def test_a_vector_finds_itself_first(built: VectorIndex, data: np.ndarray) -> None:
    hits = sum(int(built.search(data[i], 5)[1][0] == i) for i in range(0, N, 4))
    assert hits >= 0.95 * (N // 4), f"{built.kind}: self is top-1 for {hits} of {N // 4}"
    scores, ids = built.search(data[0], 10)
    assert len(ids) == 10 and np.all(np.diff(scores) <= 1e-6)  # best first
    assert ids.dtype.kind == "i" and scores.dtype == np.float32


@pytest.mark.parametrize("filtered_by_faiss", [False, True], ids=["exact-over-allowed", "faiss-selector"])
def test_the_whitelist_is_respected(built: VectorIndex, data: np.ndarray, monkeypatch: pytest.MonkeyPatch,
                                    filtered_by_faiss: bool) -> None:
    if filtered_by_faiss:
        monkeypatch.setattr(vectors_mod, "EXACT_ALLOWED_LIMIT", 0)
    allowed = np.random.default_rng(1).choice(N, 300, replace=False)
    allowed_set = set(allowed.tolist())
    found_self = 0
    for i in allowed[:40]:
        _, ids = built.search(data[i], 10, allowed)
        assert set(ids.tolist()) <= allowed_set
        found_self += int(len(ids) and ids[0] == i)
    assert found_self >= 38
    _, ids = built.search(data[0], 10, np.array([5, 9]))  # fewer allowed rows than k
    assert sorted(ids.tolist()) == [5, 9] or set(ids.tolist()) <= {5, 9}
    assert len(built.search(data[0], 10, np.array([], dtype=np.int64))[1]) == 0


def test_save_and_load_give_the_same_results(built: VectorIndex, data: np.ndarray, tmp_path: Path) -> None:
    path = tmp_path / "dense.faiss"
    built.save(path)
    loaded = VectorIndex.load(path, built.kind)
    assert len(loaded) == N and loaded.kind == built.kind
    for i in range(0, N, 100):
        s1, i1 = built.search(data[i], 10)
        s2, i2 = loaded.search(data[i], 10)
        np.testing.assert_array_equal(i1, i2)
        np.testing.assert_allclose(s1, s2, rtol=1e-6)
    mask = np.zeros(N, dtype=bool)
    mask[[3, 1, 4]] = True  # a boolean mask is a pre-filter inside FAISS, like a row list
    assert set(loaded.search(data[1], 10, mask)[1].tolist()) <= {1, 3, 4}


def test_kind_names_and_sizes() -> None:
    assert resolve_kind(None, 1000) == "Flat" and resolve_kind("auto", 10**6) == "IVF2048,SQ8"
    assert resolve_kind("hnsw", 10) == "HNSW32" and resolve_kind("exact", 10) == "Flat"
    assert resolve_kind("IVF,SQ8", 10**6) == f"IVF{ivf_lists(10**6)},SQ8" == "IVF2048,SQ8"
    assert resolve_kind("IVF256,SQ8", 10**6) == "IVF256,SQ8"
    assert ivf_lists(100) == 2  # at least 39 training vectors per cell
    with pytest.raises(ValueError, match="not a FAISS index factory string"):
        VectorIndex.build(np.eye(4, dtype=np.float32), "NoSuchIndex")
    with pytest.raises(ValueError, match="needs at least 64 vectors"):
        VectorIndex.build(np.eye(4, dtype=np.float32), "IVF64,SQ8")


def test_load_switches_the_index_kind(make_corpus, tmp_path: Path, fast_encode: None) -> None:  # noqa: ANN001
    corpus, index = make_corpus(), tmp_path / "index"
    qa = ammtc_qa.load(corpus, index, vector_kind="HNSW32")
    assert qa.info()["vector_kind"] == "HNSW32"
    version = qa.info()["version"]
    assert ammtc_qa.load(corpus, index).info()["version"] == version  # default "auto": any kind is current
    assert ammtc_qa.load(corpus, index, vector_kind="hnsw").info()["version"] == version
    qa = ammtc_qa.load(corpus, index, vector_kind="IVF,SQ8")
    assert qa.info()["vector_kind"].startswith("IVF") and qa.info()["version"] != version
    top = qa.ask("pangolin scales customs", k=1).passages
    assert len(top) == 1
    flat = ammtc_qa.load(corpus, index, vector_kind="Flat")
    assert flat.info()["vector_kind"] == "Flat"
    with pytest.raises(ValueError, match="vector_kind"):
        ammtc_qa.load(corpus, index, vector_kind="")


def test_large_corpora_get_compressed_cells(make_corpus, tmp_path: Path, fast_encode: None,  # noqa: ANN001
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vectors_mod, "FLAT_LIMIT", 1)
    qa = ammtc_qa.load(make_corpus(), tmp_path / "index")
    assert qa.info()["vector_kind"].startswith("IVF") and qa.info()["vector_kind"].endswith(",SQ8")
    assert qa.ask("methamphetamine seized in Melaka", k=2).passages
