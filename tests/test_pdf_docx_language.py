"""PDF and DOCX articles (the ``pdf`` and ``docx`` extras): text with page numbers through pypdf,
paragraphs through python-docx; a citation into a PDF gives the page, in both stores. Also
language detection and the notice on a question the English model reads poorly."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import pytest

import ammtc_qa
from ammtc_qa.errors import CorpusWarning
from ammtc_qa.input.corpus import read_corpus
from conftest import pdf_bytes

pypdf = pytest.importorskip("pypdf")
docx = pytest.importorskip("docx")

PAGE_1 = ["ASEAN ministers adopt plan against border crime",
          "",
          "Ministers from ten member states met in Sylvania on Tuesday to adopt",
          "a joint plan against smuggling networks and online fraud rings.",
          "The plan commits every delegation to share intelligence within",
          "forty-eight hours of an arrest, the chair of the meeting said."]
PAGE_2 = ["Customs officers will open a common hotline staffed by liaison",
          "officers from each country, and a registry of seized wildlife.",
          "Pangolin scales and ivory seized at ports will be logged there",
          "within a week of each seizure, delegates agreed."]
PAGE_3 = ["Delegates agreed to meet again next year in Freedonia to review",
          "progress on the hotline and the registry of seizures."]


def paged_pdf(pages: list[list[str]], title: str | None = None) -> bytes:
    return pdf_bytes([[(780, lines)] for lines in pages], title)


def make_docx(paragraphs: list[str], title: str | None = None) -> bytes:
    document = docx.Document()
    if title:
        document.core_properties.title = title
    for p in paragraphs:
        document.add_paragraph(p)
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Seized", "2.5 tonnes of pangolin scales"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _quiet(folder: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", CorpusWarning)
        return read_corpus(folder)


def test_a_pdf_is_read_page_by_page_and_offsets_map_to_pages(tmp_path: Path) -> None:
    (tmp_path / "plan.pdf").write_bytes(paged_pdf([PAGE_1, PAGE_2, PAGE_3], title="Border crime plan"))
    (doc,) = _quiet(tmp_path).documents
    assert doc.doc_id == "plan" and doc.title == "Border crime plan"
    assert len(doc.pages) == 3 and doc.pages[0] == 0
    for number, needle in ((1, "online fraud rings"), (2, "registry of seized wildlife"), (3, "Freedonia")):
        assert doc.page_at(doc.text.index(needle)) == number
    assert doc.text[doc.pages[1]:].startswith("Customs officers")
    restored = ammtc_qa.Document.from_json(doc.to_json())
    assert restored.pages == doc.pages


def test_a_pdf_without_text_or_a_broken_one_is_skipped_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "scan.pdf").write_bytes(paged_pdf([[], []]))
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 nothing else")
    (tmp_path / "a.txt").write_text("Police seize record haul\n\nPolice in Melaka seized 120 kg of drugs.\n",
                                    encoding="utf-8")
    with pytest.warns(CorpusWarning):
        corpus = read_corpus(tmp_path)
    reasons = dict(corpus.skipped)
    assert "no text layer" in reasons["scan.pdf"] and "ocr" in reasons["scan.pdf"].lower()
    assert "not a readable PDF" in reasons["broken.pdf"]


def test_a_missing_extra_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_pypdf(name: str, *args: object, **kwargs: object) -> object:
        if name == "pypdf" or name.startswith("pypdf."):
            raise ImportError("No module named 'pypdf'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pypdf)
    (tmp_path / "plan.pdf").write_bytes(paged_pdf([PAGE_1]))
    hint = r'plan\.pdf: reading PDF files needs pypdf; install it with `pip install "ammtc-qa\[pdf\]"'
    with pytest.warns(CorpusWarning, match=hint):
        read_corpus(tmp_path)


def test_a_docx_is_read_with_its_tables_in_order(tmp_path: Path) -> None:
    (tmp_path / "note.docx").write_bytes(make_docx([" ".join(PAGE_1[2:]), " ".join(PAGE_2)],
                                                   title="Customs note on seizures"))
    (doc,) = _quiet(tmp_path).documents
    assert doc.title == "Customs note on seizures" and doc.pages == ()
    assert "online fraud rings" in doc.text and "Seized | 2.5 tonnes of pangolin scales" in doc.text
    assert doc.page_at(0) is None


@pytest.mark.parametrize("backend", ["local", "qdrant"])
def test_a_citation_into_a_pdf_gives_the_page_in_both_stores(tmp_path: Path, fast_encode: None,
                                                              backend: str) -> None:
    if backend == "qdrant":
        pytest.importorskip("qdrant_client")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "plan.pdf").write_bytes(paged_pdf([PAGE_1, PAGE_2, PAGE_3]))
    (corpus / "a.txt").write_text("Police seize record haul\n\nPolice in Melaka seized 120 kg of drugs.\n",
                                  encoding="utf-8")
    options = {"backend": "qdrant", "backend_options": {"path": str(tmp_path / "q")}} if backend == "qdrant" else {}
    qa = ammtc_qa.load(corpus, tmp_path / "index", settings=ammtc_qa.IndexSettings(chunk_max_tokens=24,
                                                                                   chunk_min_tokens=0), **options)
    answer = qa.ask("Where will delegates meet again next year?", k=20)
    pdf = [p for p in answer.passages if p.doc_id == "plan"]
    assert len({p.page for p in pdf}) >= 2  # small passages: several pages are cited
    doc = qa.document("plan")
    for p in pdf:
        assert p.page == doc.page_at(p.start) and p.citation.endswith(f", p. {p.page}")
        assert p.to_json()["page"] == p.page
    assert all(p.page is None for p in answer.passages if p.doc_id == "a")
    if backend == "qdrant":
        qa.store.engine.close()


def test_language_is_detected_reported_and_given_metadata_wins(tmp_path: Path) -> None:
    vi = ("Bộ trưởng Lương Tam Quang dự hội nghị\n\nBộ trưởng Bộ Công an Lương Tam Quang đã dự Hội nghị Bộ trưởng "
          "ASEAN về phòng, chống tội phạm xuyên quốc gia lần thứ 19 và đề xuất bốn giải pháp tăng cường hợp tác.\n")
    en = "Police seize record haul\n\nPolice in Melaka seized 120 kg of methamphetamine hidden in a fishing boat.\n"
    (tmp_path / "vi.txt").write_text(vi, encoding="utf-8")
    (tmp_path / "en.txt").write_text(en, encoding="utf-8")
    (tmp_path / "given.txt").write_text(vi.replace("19", "20"), encoding="utf-8")
    (tmp_path / "metadata.json").write_text('{"given.txt": {"language": "vie"}}', encoding="utf-8")
    docs = {d.doc_id: d.language for d in _quiet(tmp_path).documents}
    assert docs == {"vi": "vi", "en": "en", "given": "vie"}


def test_info_lists_languages_and_a_foreign_question_gets_a_notice(tmp_path: Path, fast_encode: None) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "vi.txt").write_text(
        "Bộ trưởng Lương Tam Quang dự hội nghị\n\nBộ trưởng Bộ Công an Lương Tam Quang đã dự Hội nghị Bộ trưởng "
        "ASEAN về phòng, chống tội phạm xuyên quốc gia và đề xuất bốn giải pháp tăng cường hợp tác.\n",
        encoding="utf-8")
    (corpus / "en.txt").write_text("Police seize record haul\n\nPolice in Melaka seized 120 kg of "
                                   "methamphetamine hidden in a fishing boat, officials said.\n", encoding="utf-8")
    qa = ammtc_qa.load(corpus, tmp_path / "index")
    assert qa.info()["languages"] == {"counts": {"en": 1, "vi": 1}, "not_english": {"vi": "vi"}}
    foreign = qa.ask("Bộ trưởng Lương Tam Quang đã đề xuất những giải pháp gì?")
    assert foreign.notice and "Vietnamese" in foreign.notice and "English" in foreign.notice
    assert qa.ask("What did Luong Tam Quang propose?").notice is None
    assert qa.ask("Where did police seize methamphetamine?").notice is None
    # folded diacritics: the unmarked name finds the marked article lexically
    assert qa.ask("Luong Tam Quang", k=1).passages[0].doc_id == "vi"
