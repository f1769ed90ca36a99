"""The embedding model: pinned weights, local-only loading, unit vectors, question truncation."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from ammtc_qa import DEFAULT_MODEL, ModelIntegrityError, ModelNotAvailableError, TruncationWarning
from ammtc_qa.indexing.embedding import DEFAULT_MODEL_SHA256, default_model_path, load_embedder, verify_weights


def test_verify_weights_refuses_a_different_sha256(tmp_path: Path) -> None:
    fake = b"not the all-MiniLM-L6-v2 weights"
    (tmp_path / "model.safetensors").write_bytes(fake)
    actual = hashlib.sha256(fake).hexdigest()
    with pytest.raises(ModelIntegrityError) as info:
        verify_weights(tmp_path, DEFAULT_MODEL_SHA256)
    message = str(info.value)
    assert actual in message and DEFAULT_MODEL_SHA256 in message
    assert "model.safetensors" in message and "Refusing" in message


def test_verify_weights_accepts_the_pinned_sha256(tmp_path: Path) -> None:
    data = b"some weights"
    (tmp_path / "model.safetensors").write_bytes(data)
    verify_weights(tmp_path, hashlib.sha256(data).hexdigest())


def test_verify_weights_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelIntegrityError, match="missing"):
        verify_weights(tmp_path, DEFAULT_MODEL_SHA256)


def test_installed_default_weights_match_the_pin() -> None:
    verify_weights(default_model_path(), DEFAULT_MODEL_SHA256)


def test_missing_model_folder_says_the_library_never_downloads() -> None:
    with pytest.raises(ModelNotAvailableError) as info:
        load_embedder("/nonexistent/model")
    message = str(info.value)
    assert "/nonexistent/model" in message and "never downloads" in message


def test_default_model_encodes_unit_vectors(embedder) -> None:  # noqa: ANN001
    assert embedder is load_embedder() is load_embedder(DEFAULT_MODEL)  # loaded once per process
    assert (embedder.dim, embedder.max_tokens) == (384, 256)
    vectors = embedder.encode(["Police seized heroin in Bangkok.", "Ministers met in Melaka.", "x"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.encode([]).shape == (0, 384)


def test_similar_texts_are_closer(embedder) -> None:  # noqa: ANN001
    q, near, far = embedder.encode(["drug trafficking arrests", "police arrested drug smugglers",
                                    "the weather was sunny at the beach"])
    assert q @ near > q @ far + 0.2


def test_count_tokens_excludes_special_tokens(embedder) -> None:  # noqa: ANN001
    assert embedder.count_tokens("") == 0
    assert embedder.count_tokens("police") == 1
    assert embedder.fits(" ".join(["police"] * 254)) and not embedder.fits(" ".join(["police"] * 255))


def test_encode_query_truncates_a_long_question_with_a_warning(embedder) -> None:  # noqa: ANN001
    question = " ".join(["what did the ministers agree on transnational crime"] * 250)  # 2,000 words
    assert len(question.split()) == 2000
    with pytest.warns(TruncationWarning, match="only the first 254"):
        vector = embedder.encode_query(question)
    assert vector.shape == (384,)
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5


def test_encode_query_short_question_does_not_warn(embedder, recwarn: pytest.WarningsRecorder) -> None:  # noqa: ANN001
    vector = embedder.encode_query("What did Vietnam propose?")
    assert vector.shape == (384,)
    assert not [w for w in recwarn if issubclass(w.category, TruncationWarning)]


def test_ask_with_an_overlong_question_warns_and_answers(shipped_qa) -> None:  # noqa: ANN001
    question = "What did Vietnam propose at AMMTC 19? " + "Please explain in detail. " * 200
    with pytest.warns(TruncationWarning):
        answer = shipped_qa.ask(question, k=1)
    assert len(answer) == 1
