"""A change costs what changed: unchanged files are not read, unchanged ``.jsonl`` lines not
cleaned, and the grown index equals one built from scratch (records, vectors, BM25)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import ammtc_qa
import ammtc_qa.input.corpus
from conftest import ARTICLES, EXTRA_ARTICLE


def _record_reads(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    files: list[str] = []
    cleaned: list[str] = []
    read_file, make_document = ammtc_qa.input.corpus._read_file, ammtc_qa.input.corpus.make_document

    def reading(rel: str, *args: object, **kwargs: object):  # noqa: ANN202
        files.append(rel)
        return read_file(rel, *args, **kwargs)

    def cleaning(doc_id: str, *args: object, **kwargs: object):  # noqa: ANN202
        cleaned.append(doc_id)
        return make_document(doc_id, *args, **kwargs)

    monkeypatch.setattr(ammtc_qa.input.corpus, "_read_file", reading)
    monkeypatch.setattr(ammtc_qa.input.corpus, "make_document", cleaning)
    return files, cleaned


def _lines(n: int) -> list[str]:
    return [json.dumps({"id": f"wire-{i}", "text": f"Wire story {i}\n\nPolice in district {i} seized {i + 2} kg of "
                                                    f"methamphetamine on day {i}, officials said.\n",
                        "publisher": "Wire"}) for i in range(n)]


def test_a_refresh_reads_only_changed_files_and_cleans_only_changed_lines(
        make_corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fast_encode: None) -> None:  # noqa: ANN001
    corpus = make_corpus({**ARTICLES, "archive.jsonl": "\n".join(_lines(6)) + "\n"})
    qa = ammtc_qa.load(corpus, tmp_path / "index")
    files, cleaned = _record_reads(monkeypatch)
    (corpus / "scam.txt").write_text(EXTRA_ARTICLE, encoding="utf-8")
    qa.refresh()
    assert files == ["scam.txt"] and cleaned == ["scam"]  # the other files were not read at all
    files.clear(), cleaned.clear()
    with open(corpus / "archive.jsonl", "a", encoding="utf-8") as f:
        f.write(_lines(7)[-1] + "\n")
    qa.refresh()
    assert files == ["archive.jsonl"] and cleaned == ["wire-6"]  # six unchanged lines were not cleaned again
    assert qa.document("wire-6").source == "archive.jsonl:7" and len(qa.documents()) == 10
    files.clear(), cleaned.clear()
    qa.refresh()
    assert files == [] and cleaned == []  # nothing changed: nothing read


def test_a_metadata_change_re_reads_only_what_it_names(make_corpus, tmp_path: Path,  # noqa: ANN001
                                                       monkeypatch: pytest.MonkeyPatch, fast_encode: None) -> None:
    corpus = make_corpus(ARTICLES)
    qa = ammtc_qa.load(corpus, tmp_path / "index")
    files, _ = _record_reads(monkeypatch)
    (corpus / "metadata.json").write_text(json.dumps({"pangolin.txt": {"publisher": "Border Post"}}),
                                          encoding="utf-8")
    qa.refresh()
    assert files == ["pangolin.txt"]
    assert qa.document("pangolin").publisher == "Border Post" and qa.document("melaka").publisher is None


def test_a_grown_index_equals_one_built_from_scratch(make_corpus, tmp_path: Path, fast_encode: None) -> None:  # noqa: ANN001
    corpus = make_corpus(ARTICLES)
    grown = ammtc_qa.load(corpus, tmp_path / "grown", settings=ammtc_qa.IndexSettings(merge_factor=2,
                                                                                      min_merge_passages=1))
    for i, line in enumerate(_lines(5)):
        grown.add(json.loads(line))
        if i == 2:
            grown.remove("melaka")
    grown.update({**json.loads(_lines(5)[1]), "text": "Wire story 1\n\nCustoms found 9 kg of heroin instead.\n"})
    fresh = ammtc_qa.load(corpus, tmp_path / "fresh")
    a, b = grown.backend, fresh.backend
    assert len(a.segments) > 1 and len(b.segments) == 1
    ids_a = sorted(p for m in a.doc_meta() for p in a.passage_ids(m.doc_id))
    ids_b = sorted(p for m in b.doc_meta() for p in b.passage_ids(m.doc_id))
    key = lambda backend, ids: sorted((r.doc_id, r.start, r.end) for r in backend.passages(ids))  # noqa: E731
    assert key(a, ids_a) == key(b, ids_b)
    for tokens in (["kg", "heroin"], ["methamphetamin", "polic", "district"], ["pangolin"]):
        got = dict(zip([(r.doc_id, r.start) for r in a.passages(ids_a)], a.lexical_scores(tokens, ids_a),
                       strict=True))
        want = dict(zip([(r.doc_id, r.start) for r in b.passages(ids_b)], b.lexical_scores(tokens, ids_b),
                        strict=True))
        assert got.keys() == want.keys()
        np.testing.assert_allclose([got[k] for k in sorted(got)], [want[k] for k in sorted(want)], rtol=1e-5)
        assert a.idf(tokens) == pytest.approx(b.idf(tokens))
    q = grown.ask("How much heroin did customs find?", k=3)
    assert q.passages[0].doc_id == "wire-1" and "9 kg of heroin" in q.passages[0].text
