"""Reading corpus folders: HTML pages, Markdown headings, datelines and metadata.json keys."""

from __future__ import annotations

import builtins
import datetime as dt
import json
import warnings
from pathlib import Path

import pytest

from ammtc_qa.errors import CorpusError, CorpusWarning
from ammtc_qa.input.corpus import read_corpus

PARAGRAPHS = [
    "Ministers from ten member states gathered in the capital of Sylvania on Tuesday to agree a joint plan "
    "against cross-border smuggling networks and online fraud rings.",
    "The plan commits every delegation to share intelligence within forty-eight hours of an arrest and to "
    "open a common hotline staffed by liaison officers from each country.",
    "Delegates also agreed to meet again next year in Freedonia to review progress, the chair of the meeting "
    "told reporters after the closing session.",
]

PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Sylvania hosts regional meeting on border crime</title></head>
<body>
<header><nav><ul>
<li><a href="/">Home</a></li><li><a href="/world">World desk</a></li>
<li><a href="/politics">Politics desk</a></li><li><a href="/sport">Sport desk</a></li>
</ul></nav></header>
<div class="share-bar"><a href="#">Share on Facebook</a> <a href="#">Tweet this</a> <a href="#">Email</a></div>
<main><article>
<h1>Sylvania hosts regional meeting on border crime</h1>
<p>{PARAGRAPHS[0]}</p>
<p>{PARAGRAPHS[1]}</p>
<p>{PARAGRAPHS[2]}</p>
</article></main>
<footer><p>Copyright 2030 Example News Corporation. All rights reserved.</p>
<p>Contact us | Privacy policy | Terms of use</p></footer>
</body></html>
"""


def _read(folder: Path, **kwargs: object):
    with warnings.catch_warnings():
        warnings.simplefilter("error", CorpusWarning)  # nothing may be skipped or ignored
        return read_corpus(folder, **kwargs)


def test_html_article_is_read_without_page_furniture(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(PAGE, encoding="utf-8")
    corpus = _read(tmp_path)
    assert corpus.skipped == []
    (doc,) = corpus.documents
    assert doc.doc_id == "page"
    assert doc.title == "Sylvania hosts regional meeting on border crime"
    for paragraph in PARAGRAPHS:
        assert paragraph in doc.text
    for furniture in ("World desk", "Politics desk", "Share on Facebook", "Tweet this", "Copyright",
                      "Privacy policy", "Contact us"):
        assert furniture not in doc.text


def test_missing_html_dependency_is_a_corpus_error_naming_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "page.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "plain.txt").write_text(f"A plain article\n\n{PARAGRAPHS[0]}\n", encoding="utf-8")
    real_import = builtins.__import__

    def broken_import(name: str, *args: object, **kwargs: object):  # lxml >= 5.2 without lxml_html_clean
        if name == "trafilatura":
            raise ImportError("lxml.html.clean module is now a separate project lxml_html_clean.")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", broken_import)
    with pytest.warns(CorpusWarning, match="page.html.*lxml_html_clean"):
        corpus = read_corpus(tmp_path)
    assert [d.doc_id for d in corpus.documents] == ["plain"]
    assert corpus.skipped[0][0] == "page.html"
    with pytest.raises(CorpusError, match="pip install .*lxml_html_clean"):
        read_corpus(tmp_path, strict=True)


def test_markdown_heading_marks_are_not_in_title_or_text(tmp_path: Path) -> None:
    body = f"# Sylvania senior officials agree border plan\n\n{PARAGRAPHS[0]}\n\n## Next steps\n\n{PARAGRAPHS[1]}\n"
    (tmp_path / "notes.md").write_text(body, encoding="utf-8")
    (tmp_path / "plain.txt").write_text(body, encoding="utf-8")
    docs = {d.doc_id: d for d in _read(tmp_path).documents}
    md = docs["notes"]
    assert md.title == "Sylvania senior officials agree border plan"
    assert "#" not in md.text
    assert md.text.split("\n\n")[:3] == ["Sylvania senior officials agree border plan", PARAGRAPHS[0], "Next steps"]
    assert docs["plain"].title == "# Sylvania senior officials agree border plan"  # .txt is not Markdown


def test_place_dateline_gives_the_document_its_date(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(
        f"Sylvania hosts regional meeting on border crime\n\nSylvania, 5 August 2030\n\n{PARAGRAPHS[0]}\n",
        encoding="utf-8")
    (doc,) = _read(tmp_path).documents
    assert doc.date == dt.date(2030, 8, 5)
    assert "Sylvania, 5 August 2030" not in doc.text
    assert [r.kind for r in doc.removed] == ["dateline"]


def _with_metadata(folder: Path, metadata: dict[str, dict[str, str]]) -> None:
    (folder / "a.txt").write_text(f"First article\n\n{PARAGRAPHS[0]}\n", encoding="utf-8")
    (folder / "sub").mkdir()
    (folder / "sub" / "b.md").write_text(f"# Second article\n\n{PARAGRAPHS[1]}\n", encoding="utf-8")
    (folder / "feed.jsonl").write_text(json.dumps({"id": "wire-1", "text": PARAGRAPHS[2]}) + "\n",
                                       encoding="utf-8")
    (folder / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")


def test_metadata_keys_matching_files_and_ids_are_used_silently(tmp_path: Path) -> None:
    _with_metadata(tmp_path, {"a.txt": {"publisher": "Daily A"}, "sub/b": {"publisher": "Weekly B"},
                              "wire-1": {"publisher": "Wire"}})
    docs = {d.doc_id: d for d in _read(tmp_path).documents}
    assert {k: d.publisher for k, d in docs.items()} == {"a": "Daily A", "sub/b": "Weekly B", "wire-1": "Wire"}


def test_unmatched_metadata_key_warns_naming_file_and_key(tmp_path: Path) -> None:
    _with_metadata(tmp_path, {"a.txt": {"publisher": "Daily A"}, "b.md": {"publisher": "Weekly B"}})
    with pytest.warns(CorpusWarning, match=r"metadata\.json: entry 'b\.md' matches no corpus file or doc id"):
        corpus = read_corpus(tmp_path)
    assert len(corpus.documents) == 3
    with pytest.raises(CorpusError, match=r"metadata\.json: entry 'b\.md'"):
        read_corpus(tmp_path, strict=True)
