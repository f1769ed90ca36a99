"""The cleaning word lists are data (``vocabulary.json``): it must load, and a broken file must say which."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ammtc_qa.errors import AmmtcQaError
from ammtc_qa.input.cleaning.vocabulary import LISTS, VOCABULARY, VOCABULARY_FILE, VocabularyError, load_vocabulary


def test_shipped_vocabulary_has_every_list_documented_and_non_empty() -> None:
    data = json.loads(VOCABULARY_FILE.read_text(encoding="utf-8"))
    assert set(VOCABULARY) == set(LISTS)
    for name in LISTS:
        assert data[name]["_doc"].strip(), name
        assert VOCABULARY[name] and all(isinstance(w, str) and w.strip() for w in VOCABULARY[name]), name


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "vocabulary.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


def _shipped() -> dict:
    return json.loads(VOCABULARY_FILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("damage", "named"),
    [
        (lambda d: "{not json", None),
        (lambda d: {k: v for k, v in d.items() if k != "months"}, "months"),
        (lambda d: {**d, "ui_words": {"_doc": "x", "words": []}}, "ui_words"),
        (lambda d: {**d, "date_words": {"_doc": "x", "words": ["ok", 3]}}, "date_words"),
        (lambda d: {**d, "wrap_connectors": {"words": ["the"]}}, "wrap_connectors"),
        (lambda d: {**d, "misspelt_list": {"_doc": "x", "words": ["a"]}}, "misspelt_list"),
    ],
)
def test_malformed_vocabulary_error_names_the_file_and_list(tmp_path: Path, damage, named: str | None) -> None:  # noqa: ANN001
    path = _write(tmp_path, damage(_shipped()))
    with pytest.raises(VocabularyError) as info:
        load_vocabulary(path)
    assert isinstance(info.value, AmmtcQaError)
    assert str(path) in str(info.value)
    if named:
        assert named in str(info.value)


def test_missing_vocabulary_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(VocabularyError, match="nope.json"):
        load_vocabulary(tmp_path / "nope.json")

