"""Fuzzing the corpus readers: whatever a ``.jsonl`` line or ``metadata.json`` holds, a build
never crashes.

JSON values of every type (huge integers, floats, nested containers, strings with lone
surrogates, which JSON allows and UTF-8 does not), records with the known fields set to any of
them, raw bytes lines, and metadata entries of any shape. ``read_corpus`` returns (a bad line
is a ``CorpusWarning`` naming file and line), or under ``strict=True`` raises ``CorpusError``;
a ``metadata.json`` that cannot be used is a ``CorpusError`` naming it in both modes. Every
document returned can be encoded, serialised and cited.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ammtc_qa.errors import CorpusError, CorpusWarning
from ammtc_qa.input.corpus import JSONL_FIELDS, METADATA_FIELDS, read_corpus

ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=30)  # surrogates included
WORDY = st.lists(st.sampled_from(["Police", "seized", "drugs", "on", "March", "5,", "2024", "AMMTC", "19",
                                  "05/03/2023", "in", "Hanoi", "\n", "\n\n", "- Home", "\udfff", "é"]),
                 min_size=1, max_size=25).map(" ".join)
SCALARS = (st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT | WORDY
           | st.sampled_from(["DMY", "MDY", "YMD", "dmy", "", " ", "2024-03-05", "yesterday", "99/99/9999"]))
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(ANY_TEXT, inner, max_size=3), max_leaves=6)
RECORDS = st.dictionaries(st.sampled_from(sorted(JSONL_FIELDS)) | ANY_TEXT, JSON_VALUES, max_size=6) | JSON_VALUES
HUGE_INTEGER_LINES = st.sampled_from([b'{"id": ' + b"9" * 5000 + b', "text": "Police seized drugs."}',
                                      b'{"text": "Police seized drugs.", "date": ' + b"1" * 4400 + b"}"])
LINES = st.lists(RECORDS.map(lambda r: json.dumps(r, ensure_ascii=True).encode()) | st.binary(max_size=40)
                 | HUGE_INTEGER_LINES, min_size=1, max_size=6)
METADATA = st.none() | st.dictionaries(
    st.sampled_from(["a.jsonl", "a", "b.txt", "x"]) | ANY_TEXT,
    st.dictionaries(st.sampled_from(sorted(METADATA_FIELDS)), JSON_VALUES, max_size=3) | JSON_VALUES,
    max_size=3)
GOOD = {"id": "good", "text": "Police in Hanoi seized 120 kg of drugs on Tuesday, officials said."}


def _read(folder: Path, strict: bool) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorpusWarning)
        return read_corpus(folder, strict=strict)


@given(LINES, METADATA, st.text(max_size=200), st.booleans())
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_readers_never_crash(lines: list[bytes], metadata: object, article: str, with_metadata: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "a.jsonl").write_bytes(b"\n".join([json.dumps(GOOD).encode(), *lines]) + b"\n")
        (folder / "b.txt").write_text(article, encoding="utf-8")
        if with_metadata and metadata is not None:
            (folder / "metadata.json").write_text(json.dumps(metadata, ensure_ascii=True), encoding="utf-8")
        for strict in (False, True):
            try:
                corpus = _read(folder, strict)
            except CorpusError as exc:
                if not strict:  # only an unusable metadata file stops a lenient read
                    assert "metadata.json" in str(exc), exc
                continue
            docs = corpus.documents  # type: ignore[attr-defined]
            assert "good" in {d.doc_id for d in docs} or with_metadata
            for doc in docs:
                json.dumps(doc.to_json(), ensure_ascii=False).encode("utf-8")
                doc.citation.encode("utf-8")


@pytest.mark.parametrize("line", [
    {"id": "s1", "text": "Police seized drugs \udfff in Hanoi."},
    {"id": "s2", "text": "Police seized drugs in Hanoi.", "title": "Drugs \ud800 seized"},
    {"text": "Police seized drugs in Hanoi \udfff without an id."},
    {"id": "s\udfff", "text": "Police seized drugs in Hanoi."},
    {"id": "d1", "text": "Police seized drugs in Hanoi.", "date": "05/03/2024", "date_order": "YMD"},
])
def test_one_bad_line_is_a_warning_naming_file_line_and_field(tmp_path: Path, line: dict[str, str]) -> None:
    (tmp_path / "a.jsonl").write_text(json.dumps(GOOD) + "\n" + json.dumps(line) + "\n", encoding="utf-8")
    with pytest.warns(CorpusWarning, match=r"a\.jsonl, line 2: field '(text|title|id|date_order)'"):
        corpus = read_corpus(tmp_path)
    assert [d.doc_id for d in corpus.documents] == ["good"]
    with pytest.raises(CorpusError, match=r"a\.jsonl, line 2"):
        read_corpus(tmp_path, strict=True)


def test_a_huge_integer_is_a_bad_line_or_a_bad_metadata_file(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(json.dumps(GOOD) + '\n{"id": ' + "9" * 5000 + ', "text": "x y"}\n',
                                      encoding="utf-8")
    with pytest.warns(CorpusWarning, match=r"a\.jsonl, line 2: not usable JSON"):
        assert [d.doc_id for d in read_corpus(tmp_path).documents] == ["good"]
    (tmp_path / "metadata.json").write_text('{"good": {"title": ' + "9" * 5000 + "}}", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"metadata\.json: not valid UTF-8 JSON"):
        read_corpus(tmp_path)


@pytest.mark.parametrize("order", ["YMD", "ymd", "day-first"])
def test_an_unknown_date_order_in_metadata_names_file_entry_and_field(tmp_path: Path, order: str) -> None:
    (tmp_path / "a.jsonl").write_text(json.dumps(GOOD) + "\n", encoding="utf-8")
    (tmp_path / "metadata.json").write_text(json.dumps({"good": {"date_order": order}}), encoding="utf-8")
    with pytest.raises(CorpusError, match=r"metadata\.json: entry 'good': field 'date_order': date_order must be "
                                          r"'DMY' or 'MDY'"):
        read_corpus(tmp_path)


@pytest.mark.parametrize("order", ["DMY", "mdy", " DMY ", ""])
def test_known_date_orders_are_accepted(tmp_path: Path, order: str) -> None:
    (tmp_path / "a.jsonl").write_text(json.dumps({**GOOD, "date": "05/03/2024"}) + "\n", encoding="utf-8")
    (tmp_path / "metadata.json").write_text(json.dumps({"good": {"date_order": order}}), encoding="utf-8")
    [doc] = read_corpus(tmp_path).documents
    assert doc.date is not None and doc.date.year == 2024
    assert (doc.date.month, doc.date.day) == ((3, 5) if order.strip().upper() == "DMY" else (5, 3))
