"""add / update / remove: the corpus folder changes, the index follows, answers reflect it.

Round trips use the real model (answers must change); file-handling tests use the fast
fake encoder. Each test works on its own corpus and index under tmp_path.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import ammtc_qa
import ammtc_qa.input.ingest
from ammtc_qa import CorpusError, CorpusWarning
from ammtc_qa.backends.local.backend import LocalStore
from ammtc_qa.cli import main
from ammtc_qa.input.ingest import CORPUS_LOCK
from conftest import ARTICLES, EXTRA_ARTICLE

SCAM_Q = "How many workers were rescued from the scam compound?"
PANGOLIN_Q = "How many tonnes of pangolin scales did customs find?"
UPDATED_SCAM = EXTRA_ARTICLE.replace("85 workers", "112 workers")
WIRE_COPY = ARTICLES["pangolin.txt"].replace(
    "Customs officers stop pangolin scale shipment", "Vietnam: pangolin scales found at port (Wire)")
LONG_STORY = (
    "Regional police chiefs agree joint plan against online scam compounds\n\n"
    "Police chiefs from ten Southeast Asian countries agreed on Wednesday to set up a joint task force "
    "against online scam compounds that hold tens of thousands of trafficked workers, officials said after "
    "a two-day meeting in Bangkok.\n\n"
    "The plan includes a shared database of suspects and bank accounts, faster extradition requests and "
    "joint operations along the borders of Myanmar, Laos and Cambodia, where most of the compounds operate. "
    "Delegates said the networks had moved billions of dollars through cryptocurrency exchanges.\n\n"
    "Victims are often lured by fake job advertisements promising well-paid office work, then forced to "
    "defraud strangers online through romance and investment scams. Those who refuse are beaten or sold "
    "to other compounds, according to rescued workers interviewed by police.\n\n"
    "The task force will report to the ministers responsible for transnational crime at their next meeting, "
    "which is expected to adopt a work plan for the coming two years and to review progress on "
    "information sharing between national police forces.\n")
LONG_WIRE = LONG_STORY.replace("Regional police chiefs agree joint plan against online scam compounds",
                               "ASEAN police to form task force on scam centres, Wire reports")

HTML_PAGE = """<!doctype html><html><head><title>Ivory tusks seized at Tan Son Nhat airport</title></head>
<body><nav><a href="/">Home</a> | <a href="/news">News</a></nav>
<article><h1>Ivory tusks seized at Tan Son Nhat airport</h1>
<p>Customs officers at Tan Son Nhat airport seized 45 elephant tusks weighing 120 kilograms hidden in
suitcases arriving from Nigeria, officials said on Monday.</p>
<p>Two passengers were detained. The ivory will be handed to the wildlife authorities for investigation
under the country's laws against trafficking endangered species.</p></article>
<footer>Copyright 2024 Example News. All rights reserved.</footer></body></html>"""


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def top_doc(qa: ammtc_qa.QA, question: str) -> str:
    return qa.ask(question, k=1).passages[0].doc_id


@pytest.fixture
def qa(make_corpus, tmp_path: Path) -> ammtc_qa.QA:  # noqa: ANN001
    return ammtc_qa.load(make_corpus(), tmp_path / "index")


@pytest.fixture
def fast_qa(make_corpus, tmp_path: Path, fast_encode: None) -> ammtc_qa.QA:  # noqa: ANN001
    return ammtc_qa.load(make_corpus(), tmp_path / "index")


# ---------------------------------------------------------------------------- round trips


def test_add_update_remove_round_trip(qa: ammtc_qa.QA, tmp_path: Path) -> None:
    source = write(tmp_path / "incoming" / "scam.txt", EXTRA_ARTICLE)
    version = qa.info()["version"]
    report = qa.add(source)
    assert report.added == ["scam"] and not report.skipped
    assert (qa.corpus_dir / "scam.txt").read_text(encoding="utf-8") == EXTRA_ARTICLE
    assert qa.info()["version"] != version and qa.info()["documents"] == 3
    top = qa.ask(SCAM_Q, k=1).passages[0]
    assert top.doc_id == "scam" and "85 workers" in top.text

    write(source, UPDATED_SCAM)
    assert qa.update(source).updated == ["scam"]
    top = qa.ask(SCAM_Q, k=1).passages[0]
    assert top.doc_id == "scam" and "112 workers" in top.text

    assert qa.remove("scam").removed == ["scam"]
    assert not (qa.corpus_dir / "scam.txt").exists()
    assert "scam" not in {d.doc_id for d in qa.documents()}
    assert all(p.doc_id != "scam" for p in qa.ask(SCAM_Q, k=3).passages)
    # a fresh load sees the same index: nothing is stale
    again = ammtc_qa.load(qa.corpus_dir, qa.index_dir, rebuild="never")
    assert again.info()["version"] == qa.info()["version"]


def test_documents_given_as_dicts_go_to_added_jsonl(qa: ammtc_qa.QA) -> None:
    report = qa.add([{"text": EXTRA_ARTICLE, "title": "Scam workers freed", "date": "2025-03-04",
                      "url": "https://example.org/scam", "source": "Example Wire", "id": "wire-1"}])
    assert report.added == ["wire-1"]
    lines = (qa.corpus_dir / "added.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["id"] == "wire-1"
    doc = qa.document("wire-1")
    assert (doc.title, str(doc.date), doc.publisher, doc.url) == (
        "Scam workers freed", "2025-03-04", "Example Wire", "https://example.org/scam")
    assert top_doc(qa, SCAM_Q) == "wire-1"

    qa.update({"id": "wire-1", "text": UPDATED_SCAM, "title": "Scam workers freed (updated)"})
    assert qa.document("wire-1").title == "Scam workers freed (updated)"
    assert "112 workers" in qa.ask(SCAM_Q, k=1).passages[0].text
    assert len((qa.corpus_dir / "added.jsonl").read_text(encoding="utf-8").splitlines()) == 1

    qa.remove("wire-1")
    assert not (qa.corpus_dir / "added.jsonl").exists()  # its last line went
    assert {d.doc_id for d in qa.documents()} == {"melaka", "pangolin"}


def test_a_folder_is_walked_recursively_with_every_format(fast_qa: ammtc_qa.QA, tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    write(folder / "scam.md", "# Scam workers rescued\n\n" + EXTRA_ARTICLE.split("\n\n", 1)[1])
    write(folder / "2024" / "ivory.html", HTML_PAGE)
    write(folder / "2024" / "archive.jsonl", json.dumps({"id": "arch-1", "text": WIRE_COPY.replace(
        "2.5 tonnes", "3 tonnes").replace("Hai Phong", "Da Nang") + " Extra unique closing sentence here."}) + "\n")
    write(folder / "notes.pdf", b"%PDF-1.4 not a corpus file")
    report = fast_qa.add(folder)
    assert sorted(report.added) == ["arch-1", "reports/2024/ivory", "reports/scam"]
    assert (fast_qa.corpus_dir / "reports" / "2024" / "ivory.html").is_file()
    ivory = fast_qa.document("reports/2024/ivory")
    assert ivory.title == "Ivory tusks seized at Tan Son Nhat airport"
    assert "Copyright" not in ivory.text and "Home" not in ivory.text and "45 elephant tusks" in ivory.text
    assert fast_qa.document("reports/scam").title == "Scam workers rescued"


# ---------------------------------------------------------------------------- bad input

BAD = {
    "empty.txt": (b"", "empty file"),
    "binary.txt": (b"PK\x03\x04\x14\x00\x00\x00\x08\x00 zipped", "NUL bytes"),
    # Shift-JIS reads as CP932 or as CP949 (Korean) equally well: not guessed between, refused with iconv.
    "sjis.txt": ("東京で会議が開かれた。大臣が出席した。".encode("shift_jis"), "not UTF-8.*iconv -f"),
    "furniture.html": (b"<html><body><nav>Home | News</nav></body></html>", "(no main text|nothing left)"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_file_is_reported_and_skipped_and_nothing_is_lost(fast_qa: ammtc_qa.QA, tmp_path: Path,
                                                                 name: str) -> None:
    content, reason = BAD[name]
    bad = write(tmp_path / "in" / name, content)
    good = write(tmp_path / "in" / "scam.txt", EXTRA_ARTICLE)
    with pytest.warns(CorpusWarning, match=f"{name}.*{reason}"):
        report = fast_qa.add([bad, good])
    assert report.added == ["scam"] and [n for n, _ in report.skipped] == [name]
    assert not (fast_qa.corpus_dir / name).exists()
    assert {d.doc_id for d in fast_qa.documents()} == {"melaka", "pangolin", "scam"}


@pytest.mark.parametrize("name", sorted(BAD))
def test_strict_fails_the_whole_call_and_changes_nothing(fast_qa: ammtc_qa.QA, tmp_path: Path, name: str) -> None:
    bad = write(tmp_path / "in" / name, BAD[name][0])
    good = write(tmp_path / "in" / "scam.txt", EXTRA_ARTICLE)
    before = sorted(p.name for p in fast_qa.corpus_dir.iterdir() if p.name != CORPUS_LOCK)
    version = fast_qa.info()["version"]
    with pytest.raises(CorpusError, match=name):
        fast_qa.add([good, bad], strict=True)
    # the writer lock file (empty, a dot file the reader ignores) is the only trace
    assert sorted(p.name for p in fast_qa.corpus_dir.iterdir() if p.name != CORPUS_LOCK) == before
    assert fast_qa.info()["version"] == version and len(fast_qa.documents()) == 2


def test_an_unreadable_file_is_named(fast_qa: ammtc_qa.QA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = write(tmp_path / "in" / "locked.txt", EXTRA_ARTICLE)
    real_copy = shutil.copyfile

    def copyfile(src, dst, *a, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202 - tests run as root: chmod is no barrier
        if Path(src).name == "locked.txt":
            raise PermissionError(13, "Permission denied")
        return real_copy(src, dst, *a, **kw)

    monkeypatch.setattr(ammtc_qa.input.ingest.shutil, "copyfile", copyfile)
    with pytest.warns(CorpusWarning, match=r"locked\.txt: cannot be read \(Permission denied\)"):
        report = fast_qa.add(locked)
    assert report.added == [] and report.skipped[0][0].endswith("locked.txt")
    with pytest.raises(CorpusError, match="locked.txt"):
        fast_qa.add(locked, strict=True)
    with pytest.warns(CorpusWarning, match="missing.txt: no such file"):
        fast_qa.add(tmp_path / "missing.txt")


def test_bad_jsonl_lines_name_the_file_and_line(fast_qa: ammtc_qa.QA, tmp_path: Path) -> None:
    archive = write(tmp_path / "archive.jsonl", "\n".join([
        json.dumps({"id": "ok-1", "text": EXTRA_ARTICLE}),
        "{not json",
        json.dumps({"id": "no-text", "title": "Only a title"}),
    ]) + "\n")
    with pytest.warns(CorpusWarning) as record:
        report = fast_qa.add(archive)
    messages = [str(w.message) for w in record]
    assert any("archive.jsonl, line 2" in m and "not valid JSON" in m for m in messages)
    assert any("archive.jsonl, line 3" in m and "'text'" in m for m in messages)
    assert report.added == ["ok-1"]
    with pytest.warns(CorpusWarning, match=r"document #2.*'text' is missing"):
        report = fast_qa.add([{"text": "Short note on drug seizures in Laos, officials said on Monday."},
                              {"title": "no text"}])
    assert len(report.added) == 1
    with pytest.raises(CorpusError, match="unknown field"):
        fast_qa.add({"text": "x y z", "author": "someone"}, strict=True)


def test_removing_an_unknown_id_is_a_clear_error(fast_qa: ammtc_qa.QA) -> None:
    with pytest.raises(KeyError, match="no document with id 'nope'"):
        fast_qa.remove("nope")
    with pytest.raises(KeyError, match="use add"):
        fast_qa.update({"id": "nope", "text": EXTRA_ARTICLE})
    assert len(fast_qa.documents()) == 2


def test_a_name_collision_with_other_content_is_refused(fast_qa: ammtc_qa.QA, tmp_path: Path) -> None:
    other = write(tmp_path / "in" / "pangolin.txt", EXTRA_ARTICLE)
    with pytest.warns(CorpusWarning, match="already exists in the corpus with different content"):
        report = fast_qa.add(other)
    assert report.added == []
    assert (fast_qa.corpus_dir / "pangolin.txt").read_text(encoding="utf-8") == ARTICLES["pangolin.txt"]
    with pytest.raises(CorpusError, match="update"):
        fast_qa.add(other, strict=True)
    fast_qa.update(other)  # what update is for
    assert "85 workers" in fast_qa.document("pangolin").text


# ---------------------------------------------------------------------------- duplicates


def test_the_same_text_is_kept_once(fast_qa: ammtc_qa.QA, tmp_path: Path) -> None:
    copy = write(tmp_path / "in" / "pangolin-again.txt", ARTICLES["pangolin.txt"])
    with pytest.warns(CorpusWarning, match="same text as 'pangolin'"):
        report = fast_qa.add([copy, {"text": ARTICLES["melaka.txt"]}])
    assert report.added == [] and sorted(d for _, d in report.duplicates) == ["melaka", "pangolin"]
    assert not (fast_qa.corpus_dir / "pangolin-again.txt").exists()
    assert len(fast_qa.documents()) == 2


def test_a_duplicate_put_in_the_folder_by_hand_is_indexed_once(make_corpus, tmp_path: Path,  # noqa: ANN001
                                                               fast_encode: None) -> None:
    corpus = make_corpus({**ARTICLES, "zz-copy.txt": ARTICLES["melaka.txt"]})
    with pytest.warns(CorpusWarning, match="zz-copy.txt: same text as melaka.txt"):
        qa = ammtc_qa.load(corpus, tmp_path / "index")
    assert sorted(d.doc_id for d in qa.documents()) == ["melaka", "pangolin"]
    assert any(name == "zz-copy.txt" for name, _ in qa.info()["skipped"])


def test_an_earlier_indexed_article_keeps_its_id_over_a_new_identical_file(fast_qa: ammtc_qa.QA) -> None:
    write(fast_qa.corpus_dir / "a-first-in-order.txt", ARTICLES["pangolin.txt"])  # sorts before pangolin.txt
    with pytest.warns(CorpusWarning, match="a-first-in-order.txt: same text as pangolin.txt"):
        fast_qa.refresh()
    assert sorted(d.doc_id for d in fast_qa.documents()) == ["melaka", "pangolin"]


def test_a_syndicated_copy_is_kept_and_linked(qa: ammtc_qa.QA) -> None:
    qa.add({"id": "story", "text": LONG_STORY, "source": "Daily Paper"})
    report = qa.add({"id": "wire-story", "text": LONG_WIRE, "source": "Wire Service"})
    assert report.added == ["wire-story"] and report.copies == {"wire-story": ["story"]}
    assert [d.doc_id for d in qa.copies("story")] == ["wire-story"]
    assert [d.doc_id for d in qa.copies("wire-story")] == ["story"]
    assert qa.copies("melaka") == []
    # stored once, with the segment of the later article (no per-version links table), and read back
    assert not (qa.version / "links.json").exists()
    reopened = LocalStore(qa.index_dir).open()
    assert reopened is not None
    assert reopened.copies("story") == ("wire-story",) and reopened.copies("wire-story") == ("story",)
    from ammtc_qa.input.duplicates import shingles

    for question in ("How are victims lured into scam compounds?", "What did the police chiefs agree in Bangkok?"):
        # the cut-off off: every slot is filled, so a copy that is not folded would take one
        answer = qa.ask(question, k=3, min_relevance=None, relative_cutoff=None)
        assert len(answer.passages) >= 2
        for p in answer.passages:
            if p.doc_id in {"story", "wire-story"}:
                other = "Wire Service" if p.doc_id == "story" else "Daily Paper"
                assert any(other in c for c in p.also_reported_by), p  # the linked copy is cited with it
        for a in answer.passages:  # and the same paragraph never takes two slots
            for b in answer.passages:
                if a is not b:
                    common = len(set(shingles(a.text)) & set(shingles(b.text)))
                    assert common < 0.8 * min(len(shingles(a.text)), len(shingles(b.text)))


def test_a_different_article_on_the_same_topic_is_not_a_copy(fast_qa: ammtc_qa.QA) -> None:
    other = ("Customs officers stop pangolin scale shipment\n\nCustoms officers at Cat Lai port found 1.2 tonnes "
             "of pangolin scales in a container of frozen fish shipped from Nigeria, the customs office said. "
             "It was the third such seizure this year.\n")
    report = fast_qa.add({"id": "other", "text": other})
    assert report.copies == {} and fast_qa.copies("pangolin") == []
    from ammtc_qa.input.duplicates import jaccard, shingles

    assert jaccard(shingles(LONG_STORY), shingles(LONG_WIRE)) >= 0.8
    assert jaccard(shingles(ARTICLES["pangolin.txt"]), shingles(other)) < 0.3


# ---------------------------------------------------------------------------- ids, CLI, shipped


def test_doc_ids_survive_a_rebuild_and_an_add(make_corpus, tmp_path: Path, fast_encode: None) -> None:  # noqa: ANN001
    corpus = make_corpus({**ARTICLES, "sub/story.md": EXTRA_ARTICLE,
                          "feed.jsonl": json.dumps({"text": WIRE_COPY}) + "\n"
                          + json.dumps({"id": 42, "text": "Police in Laos seized heroin, officials said."}) + "\n"})
    qa = ammtc_qa.load(corpus, tmp_path / "index")
    ids = {d.doc_id: d.text for d in qa.documents()}
    assert {"melaka", "pangolin", "sub/story", "42"} <= set(ids) and any(i.startswith("sha1-") for i in ids)
    rebuilt = ammtc_qa.load(corpus, tmp_path / "index", rebuild="always")
    assert {d.doc_id: d.text for d in rebuilt.documents()} == ids
    rebuilt.add({"text": "Thai police arrested two men with 30,000 methamphetamine pills, officials said."})
    rebuilt.remove("42")
    after = {d.doc_id: d.text for d in rebuilt.documents()}
    assert {k: v for k, v in after.items() if k in ids} == {k: v for k, v in ids.items() if k != "42"}
    fresh = ammtc_qa.load(corpus, tmp_path / "other-index")  # another machine, same corpus
    assert {d.doc_id for d in fresh.documents()} == set(after)


def test_remove_drops_the_metadata_entry(make_corpus, tmp_path: Path, fast_encode: None) -> None:  # noqa: ANN001
    corpus = make_corpus({**ARTICLES, "scam.txt": EXTRA_ARTICLE},
                         metadata={"scam.txt": {"publisher": "X"}, "pangolin": {"publisher": "Y"}})
    qa = ammtc_qa.load(corpus, tmp_path / "index")
    qa.remove("scam")
    assert json.loads((corpus / "metadata.json").read_text(encoding="utf-8")) == {"pangolin": {"publisher": "Y"}}


def test_cli_add_and_remove(make_corpus, tmp_path: Path, fast_encode: None, capsys: pytest.CaptureFixture[str]  # noqa: ANN001
                            ) -> None:
    corpus, index = make_corpus(), tmp_path / "index"
    new = write(tmp_path / "scam.txt", EXTRA_ARTICLE)
    assert main(["add", str(new), "--corpus", str(corpus), "--index", str(index)]) == 0
    assert "added scam" in capsys.readouterr().out
    assert main(["remove", "scam", "--corpus", str(corpus), "--index", str(index), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["removed"] == ["scam"]
    assert main(["remove", "scam", "--corpus", str(corpus), "--index", str(index)]) == 2
    assert "no article with id scam in the index" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["add", str(new)])
    assert exited.value.code == 2 and "give --corpus FOLDER" in capsys.readouterr().err
    write(new, UPDATED_SCAM)
    assert main(["add", str(new), "--corpus", str(corpus), "--index", str(index)]) == 0
    edited = write(tmp_path / "edited" / "scam.txt", EXTRA_ARTICLE.replace("85 workers", "97 workers"))
    assert main(["update", str(edited), "--corpus", str(corpus), "--index", str(index)]) == 0
    assert "97 workers" in (corpus / "scam.txt").read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["info", "--corpus", str(corpus), "--index", str(index), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["documents"] == 3 and info["embedding"]["embedded"] >= 1 and info["linked_copies"] == 0


def test_the_shipped_corpus_is_not_changed(shipped_qa: ammtc_qa.QA, tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="shipped"):
        shipped_qa.add(write(tmp_path / "scam.txt", EXTRA_ARTICLE))
