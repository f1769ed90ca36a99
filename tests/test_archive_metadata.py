"""Metadata for a whole archive: folder-wide defaults, per-folder files, glob patterns, fallback
dates, readable citations without titles, legacy encodings and files of other types."""

from __future__ import annotations

import datetime as dt
import json
import os
import warnings
from pathlib import Path

import pytest

import ammtc_qa
from ammtc_qa.errors import CorpusError, CorpusWarning
from ammtc_qa.input.corpus import read_corpus
from ammtc_qa.input.document import body_dateline, fallback_title
from ammtc_qa.settings import IndexSettings

BODY = ("Ministers from ten member states gathered in the capital of Sylvania on Tuesday to agree a joint plan "
        "against cross-border smuggling networks and online fraud rings, officials said.")


def _article(title: str) -> str:
    return f"{title}\n\n{BODY}\n"


def _write(folder: Path, files: dict[str, str | bytes | dict]) -> Path:
    for rel, content in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, dict):
            path.write_text(json.dumps(content), encoding="utf-8")
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def _quiet(folder: Path, **kwargs: object):
    with warnings.catch_warnings():
        warnings.simplefilter("error", CorpusWarning)  # nothing may be skipped or unused
        return read_corpus(folder, **kwargs)


def test_folder_default_patterns_and_exact_entries_merge_field_by_field(tmp_path: Path) -> None:
    _write(tmp_path, {
        "a.txt": _article("Ministers agree border plan"),
        "bbc-001.txt": _article("Police seize record haul"),
        "2024/b.txt": _article("Customs stop pangolin scales"),
        "2024/bbc-002.txt": _article("Scam workers are rescued"),
        "metadata.json": {"*": {"publisher": "Archive Wire", "language": "en"},
                          "bbc-*": {"publisher": "BBC News"},
                          "2024/bbc-*.txt": {"publisher": "BBC Asia"},
                          "a.txt": {"date": "2004-05-01"}},
        "2024/metadata.json": {"*": {"publisher": "Wire 2024", "date_order": "DMY"},
                               "b.txt": {"date": "03/04/2024"}},
    })
    docs = {d.doc_id: d for d in _quiet(tmp_path).documents}
    assert docs["a"].publisher == "Archive Wire" and docs["a"].date == dt.date(2004, 5, 1)  # "*" + exact
    assert docs["bbc-001"].publisher == "BBC News"  # a pattern beats "*"
    assert docs["2024/bbc-002"].publisher == "BBC Asia"  # the longest pattern beats a shorter one
    assert docs["2024/b"].publisher == "Wire 2024"  # the nearest folder's "*" beats the parent's
    assert docs["2024/b"].date == dt.date(2024, 4, 3)  # its date_order comes from that "*" too
    assert docs["2024/b"].language == "en"  # a field only the parent gives still comes from it


def test_records_of_a_jsonl_get_the_defaults_of_their_folder(tmp_path: Path) -> None:
    _write(tmp_path, {"feeds/wire.jsonl": json.dumps({"id": "w1", "text": BODY}) + "\n" +
                      json.dumps({"id": "w2", "text": BODY + " More.", "publisher": "Own"}) + "\n",
                      "feeds/metadata.json": {"*": {"publisher": "Feed Wire"}, "w1": {"date": "2023-11-02"}}})
    docs = {d.doc_id: d for d in _quiet(tmp_path).documents}
    assert docs["w1"].publisher == "Feed Wire" and docs["w1"].date == dt.date(2023, 11, 2)
    assert docs["w2"].publisher == "Own"  # the record's own field wins


@pytest.mark.parametrize(("metadata", "message"), [
    ({"*": {"title": "Same for all"}}, r"metadata\.json: entry '\*' is shared .* field\(s\) \['title'\]"),
    ({"a*.txt": {"url": "https://x"}}, r"entry 'a\*\.txt' is shared .*\['url'\]"),
    ({"*": {"date": "soon"}}, r"metadata\.json: entry '\*': field 'date' 'soon' is not a date"),
    ({"*": {"publisher": 5}}, r"metadata\.json: entry '\*': field 'publisher' must be a string"),
    ({"*": {"author": "X"}}, r"metadata\.json: entry '\*' has unknown field\(s\) \['author'\]"),
])
def test_bad_metadata_names_file_entry_and_field(tmp_path: Path, metadata: dict, message: str) -> None:
    _write(tmp_path, {"a.txt": _article("Ministers agree border plan"), "sub/metadata.json": metadata})
    with pytest.raises(CorpusError, match=message) as info:
        read_corpus(tmp_path)
    assert str(tmp_path / "sub" / "metadata.json") in str(info.value)


def test_a_pattern_that_matches_nothing_is_reported(tmp_path: Path) -> None:
    _write(tmp_path, {"a.txt": _article("Ministers agree border plan"),
                      "metadata.json": {"*": {"publisher": "Wire"}, "2025/*.txt": {"publisher": "Typo"}}})
    with pytest.warns(CorpusWarning, match=r"metadata\.json: pattern '2025/\*\.txt' matches no corpus file"):
        corpus = read_corpus(tmp_path)
    assert corpus.documents[0].publisher == "Wire"
    with pytest.raises(CorpusError, match="matches no corpus file"):
        read_corpus(tmp_path, strict=True)


def test_date_from_mtime_is_a_fallback_and_off_by_default(tmp_path: Path) -> None:
    _write(tmp_path, {"undated.txt": _article("Ministers agree border plan"),
                      "dated.txt": _article("Police seize record haul"),
                      "metadata.json": {"dated.txt": {"date": "2005-01-02"}}})
    when = dt.datetime(2004, 11, 23, 12, tzinfo=dt.timezone.utc).timestamp()
    for name in ("undated.txt", "dated.txt"):
        os.utime(tmp_path / name, (when, when))
    assert {d.doc_id: d.date for d in _quiet(tmp_path).documents}["undated"] is None
    docs = {d.doc_id: d.date for d in _quiet(tmp_path, settings=IndexSettings(date_from="mtime")).documents}
    assert docs == {"undated": dt.date(2004, 11, 23), "dated": dt.date(2005, 1, 2)}  # metadata still wins
    with pytest.raises(ammtc_qa.SettingsError, match="date_from"):
        IndexSettings(date_from="ctime")


def test_a_dateline_opening_the_first_paragraph_dates_the_article(tmp_path: Path) -> None:
    _write(tmp_path, {"vna.txt": f"Ministers agree border plan\n\nHANOI, Sept. 24, 2029 (VNA) - {BODY}\n",
                      "event.txt": f"Police seize record haul\n\nOn March 5, 2023, police said that {BODY}\n"})
    docs = {d.doc_id: d for d in _quiet(tmp_path).documents}
    assert docs["vna"].date == dt.date(2029, 9, 24)
    assert "HANOI, Sept. 24, 2029 (VNA)" in docs["vna"].text  # kept: it opens the first sentence
    assert docs["event"].date is None  # a date inside a sentence is an event, not the publication
    assert body_dateline("March 5, 2023 — Police in Melaka said ...", 3) == dt.date(2023, 3, 5)
    assert body_dateline("Intro.\n\nSecond.\n\nThird.\n\nMarch 5, 2023 — Police said", 3) is None


def test_citations_never_show_a_hash_as_title(tmp_path: Path) -> None:
    assert fallback_title("bbc-business-042") == "bbc business 042"
    assert fallback_title("000_a521e67d7233a44a", "000_a521e67d7233a44a.txt") == \
        "Untitled article (000_a521e67d7233a44a.txt)"
    assert fallback_title("sha1-0123456789abcdef", "feed.jsonl:3") == "Untitled article (feed.jsonl, line 3)"
    _write(tmp_path, {"000_a521e67d7233a44a.txt": BODY + "\n",
                      "feed.jsonl": json.dumps({"text": BODY + " Another."}) + "\n",
                      "metadata.json": {"*": {"publisher": "Wire"}}})
    citations = sorted(d.citation for d in _quiet(tmp_path).documents)
    assert citations == ['Wire, "Untitled article (000_a521e67d7233a44a.txt)", n.d.',
                         'Wire, "Untitled article (feed.jsonl, line 1)", n.d.']


def test_legacy_encodings_are_decoded_and_recorded_or_refused_with_iconv(tmp_path: Path) -> None:
    text = ("Café owner held over smuggling\n\nPolice in Hanoi arrested the café owner, who “denied” "
            "everything – officials said €2 million was seized.\n")
    japanese = "東京で会議が開かれた。大臣が出席した。".encode("shift_jis")  # CP932 or CP949: not guessed
    _write(tmp_path, {"cp1252.txt": text.encode("cp1252"), "sjis.txt": japanese})
    with pytest.warns(CorpusWarning, match=r"sjis\.txt: not UTF-8 .*`iconv -f CP932 -t UTF-8 'sjis\.txt' >"):
        corpus = read_corpus(tmp_path)
    (doc,) = corpus.documents
    assert doc.encoding == "WINDOWS-1252" and "“denied” everything – officials said €2 million" in doc.text
    assert [name for name, _ in corpus.skipped] == ["sjis.txt"]


def test_files_of_other_types_are_reported_not_silently_ignored(tmp_path: Path) -> None:
    _write(tmp_path, {"a.txt": _article("Ministers agree border plan"), "photos/p1.jpg": b"\xff\xd8\xff",
                      "table.xlsx": b"PK\x03\x04"})
    with pytest.warns(CorpusWarning, match=r"2 file\(s\) of a type that is not read \(\.jpg, \.xlsx\)"):
        corpus = read_corpus(tmp_path, strict=True)  # not a bad file: strict still indexes the rest
    assert len(corpus.documents) == 1
    reasons = dict(corpus.skipped)
    assert set(reasons) == {"photos/p1.jpg", "table.xlsx"}
    assert "file type .jpg is not read" in reasons["photos/p1.jpg"]


def test_load_reports_other_types_and_rereads_what_a_subfolder_metadata_change_touches(
        tmp_path: Path, fast_encode: None) -> None:
    corpus = _write(tmp_path / "corpus", {
        "a.txt": _article("Ministers agree border plan"), "sub/b.txt": _article("Police seize record haul"),
        "sub/metadata.json": {"*": {"publisher": "Old Wire"}}, "notes.odt": b"PK"})
    with pytest.warns(CorpusWarning, match="notes.odt"):
        qa = ammtc_qa.load(corpus, tmp_path / "index")
    assert [name for name, _ in qa.info()["skipped"]] == ["notes.odt"]
    assert qa.document("sub/b").publisher == "Old Wire" and qa.document("a").publisher is None
    (corpus / "sub" / "metadata.json").write_text(json.dumps({"*": {"publisher": "New Wire"}}), encoding="utf-8")
    (corpus / "notes.odt").unlink()
    qa = ammtc_qa.load(corpus, tmp_path / "index")
    assert qa.document("sub/b").publisher == "New Wire"
    assert qa.info()["skipped"] == []


def test_add_reports_other_types_and_brings_a_folders_metadata_and_mtimes(tmp_path: Path,
                                                                         fast_encode: None) -> None:
    corpus = _write(tmp_path / "corpus", {"a.txt": _article("Ministers agree border plan")})
    qa = ammtc_qa.load(corpus, tmp_path / "index", settings=IndexSettings(date_from="mtime"))
    incoming = _write(tmp_path / "bbc", {"tech/001.txt": _article("Police seize record haul"),
                                         "tech/photo.png": b"\x89PNG", "metadata.json": {"*": {"publisher": "BBC"}}})
    when = dt.datetime(2005, 2, 14, 9, tzinfo=dt.timezone.utc).timestamp()
    os.utime(incoming / "tech" / "001.txt", (when, when))
    with pytest.warns(CorpusWarning, match=r"bbc/tech/photo\.png: file type \.png is not read"):
        report = qa.add(incoming)
    assert report.added == ["bbc/tech/001"]
    assert [name for name, _ in report.skipped] == [str(incoming / "tech" / "photo.png")]
    assert (corpus / "bbc" / "metadata.json").is_file() and not (corpus / "bbc" / "tech" / "photo.png").exists()
    doc = qa.document("bbc/tech/001")
    assert doc.publisher == "BBC" and doc.date == dt.date(2005, 2, 14)
    assert doc.citation == 'BBC, "Police seize record haul", 2005-02-14'


def test_remove_drops_the_entries_of_per_folder_metadata_but_not_shared_ones(tmp_path: Path,
                                                                           fast_encode: None) -> None:
    record = {"id": "wire-7", "text": BODY.replace("Tuesday", "Friday")}
    corpus = _write(tmp_path / "corpus", {
        "a.txt": _article("Ministers agree border plan"),
        "bbc/tech/001.txt": _article("Police seize record haul"),
        "bbc/tech/002.txt": _article("Customs stop pangolin scales"),
        "bbc/tech/003.txt": _article("Scam workers are rescued"),
        "bbc/tech/003.md": _article("Scam workers are rescued, in Markdown"),
        "bbc/wire.jsonl": json.dumps(record) + "\n",
        "metadata.json": {"*": {"language": "en"}, "bbc/tech/001.txt": {"date": "2005-02-14"}},
        "bbc/metadata.json": {"*": {"publisher": "BBC"}, "tech/00*.txt": {"date_order": "DMY"},
                              "tech/001": {"publisher": "BBC Tech"}, "wire-7": {"publisher": "Wire"}},
        "bbc/tech/metadata.json": {"001.txt": {"title": "Record haul"}, "002.txt": {"title": "Pangolins"},
                                   "003": {"date": "2005-03-01"}},
    })
    with pytest.warns(CorpusWarning, match="doc id 'bbc/tech/003' already used by bbc/tech/003.md"):
        qa = ammtc_qa.load(corpus, tmp_path / "index")
    assert qa.document("bbc/tech/001").title == "Record haul" and qa.document("wire-7").publisher == "Wire"
    before = {rel: (corpus / rel).stat().st_mtime_ns for rel in ("metadata.json", "bbc/metadata.json")}
    qa.remove("bbc/tech/001")
    # every exact entry naming the file goes, in its folder's file and the folders above ...
    assert json.loads((corpus / "bbc/tech/metadata.json").read_text(encoding="utf-8")) == {
        "002.txt": {"title": "Pangolins"}, "003": {"date": "2005-03-01"}}
    assert json.loads((corpus / "metadata.json").read_text(encoding="utf-8")) == {"*": {"language": "en"}}
    # ... while "*" and the pattern, which describe other files too, stay
    assert json.loads((corpus / "bbc/metadata.json").read_text(encoding="utf-8")) == {
        "*": {"publisher": "BBC"}, "tech/00*.txt": {"date_order": "DMY"}, "wire-7": {"publisher": "Wire"}}
    qa.remove("wire-7")  # a record's id entry goes with its line
    assert "wire-7" not in json.loads((corpus / "bbc/metadata.json").read_text(encoding="utf-8"))
    qa.remove("bbc/tech/003")  # 003.md goes; "003" also names 003.txt, indexed as bbc/tech/003 from now
    assert json.loads((corpus / "bbc/tech/metadata.json").read_text(encoding="utf-8")) == {
        "002.txt": {"title": "Pangolins"}, "003": {"date": "2005-03-01"}}
    assert not list(corpus.rglob("*.tmp"))  # written under a temporary name, renamed into place
    assert (corpus / "metadata.json").stat().st_mtime_ns != before["metadata.json"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", CorpusWarning)  # no entry left that names nothing
        qa = ammtc_qa.load(corpus, tmp_path / "index")
    assert qa.document("bbc/tech/002").publisher == "BBC" and qa.document("bbc/tech/002").title == "Pangolins"
    # 003.txt, skipped while 003.md held its doc id, is read again by the refresh, as by a fresh build
    for built in (qa, ammtc_qa.load(corpus, tmp_path / "fresh-index")):
        assert built.document("bbc/tech/003").source == "bbc/tech/003.txt"
        assert built.document("bbc/tech/003").date == dt.date(2005, 3, 1)
