"""Running headers and footers of a PDF (the issuer, "Page 3 of 4", a date line on every page) are
page furniture: removed, recorded in the audit, while the same words in a page's body, or a line
at one page's margin, stay; citations (spans and pages) stay exact."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import pytest

import ammtc_qa
from ammtc_qa.errors import CorpusWarning
from ammtc_qa.input.cleaning import clean
from ammtc_qa.input.cleaning.pages import running_lines
from ammtc_qa.input.corpus import read_corpus
from ammtc_qa.input.documents import pdf_pages
from conftest import pdf_bytes

pytest.importorskip("pypdf")

HEADER = "Ministry of Public Security \u2014 Press release"
DATE = "12 March 2025"

BODIES = [
    ["Police dismantle cross-border fraud ring",
     "",
     "Police in three provinces arrested 41 people on Monday who ran call centres that",
     "defrauded victims abroad of more than 2 million dollars, the ministry said."],
    ["Investigators seized 300 phones and 12 laptops at the call centres, along with",
     "bank cards issued under the names of people who had never opened an account.",
     "",
     HEADER,  # the issuer named in the body (a quoted heading): content, not a running header
     "",
     "The suspects face charges of fraud and of money laundering, officers said. Their",
     "lawyers have ten days to appeal against their detention, under the criminal",
     "procedure code, and the prosecutors have asked for the hearing to be held in public."],
    ["Annex: seized assets",  # at one page's top only: content
     "",
     "The seized assets include four cars and gold bars worth 150,000 dollars, which",
     "will be held by the court until the trial of the ring's leaders next year."],
    ["Victims who lost money to the ring are asked to contact the nearest police",
     "station with their bank statements so that their losses can be assessed."],
]


def release_pdf(bodies: list[list[str]], header: list[str], footer: str | None) -> bytes:
    """A PDF whose pages each have ``header`` lines at the top, a body, and ``footer`` ("{n}" and
    "{total}" filled in) at the bottom, as separate text blocks like a word processor's."""
    pages = []
    for i, body in enumerate(bodies):
        blocks = [(810, header), (740, body)]
        if footer is not None:
            blocks.append((30, [footer.format(n=i + 1, total=len(bodies))]))
        pages.append(blocks)
    return pdf_bytes(pages)


def _read(folder: Path) -> ammtc_qa.Document:
    with warnings.catch_warnings():
        warnings.simplefilter("error", CorpusWarning)
        (doc,) = read_corpus(folder).documents
    return doc


def test_running_headers_and_footers_go_and_the_content_stays(tmp_path: Path) -> None:
    data = release_pdf(BODIES, [HEADER, DATE], "Page {n} of {total}")
    (tmp_path / "release.pdf").write_bytes(data)
    doc = _read(tmp_path)
    assert "Page 1 of 4" not in doc.text and "Page 4 of 4" not in doc.text and DATE not in doc.text
    assert doc.text.count(HEADER) == 1  # only the body's own line (page 2), not the 4 headers
    assert doc.text.index(HEADER) > doc.text.index("300 phones")
    assert doc.text.startswith("Police dismantle cross-border fraud ring")
    assert doc.title == "Police dismantle cross-border fraud ring"
    for kept in ("Annex: seized assets", "more than 2 million dollars", "150,000 dollars", "bank statements"):
        assert kept in doc.text
    assert doc.date == dt.date(2025, 3, 12)  # the running date line still dates the release
    # the audit: every removal is the raw text at its span, 4 headers + 4 dates + 4 footers
    pages, _ = pdf_pages(data, "release.pdf")
    raw = "\n\n".join(pages)
    running = [r for r in doc.removed if r.kind == "running_header"]
    assert all(raw[r.start:r.end] == r.text for r in doc.removed)
    footers = [f"Page {n} of 4" for n in (1, 2, 3, 4)]
    assert sorted(r.text for r in running) == sorted([HEADER] * 4 + [DATE] * 4 + footers)
    # pages still map: each page's text starts with its body
    assert [doc.page_at(doc.text.index(s)) for s in ("41 people", "300 phones", "Annex", "bank statements")] \
        == [1, 2, 3, 4]
    assert doc.text[doc.pages[2]:].startswith("Annex: seized assets")


def test_a_line_at_the_margin_of_one_page_only_is_kept(tmp_path: Path) -> None:
    """Without running furniture nothing is removed: page 3's "Annex" heading is at a margin once."""
    (tmp_path / "release.pdf").write_bytes(release_pdf(BODIES, [], None))
    doc = _read(tmp_path)
    assert not [r for r in doc.removed if r.kind == "running_header"]
    assert "Annex: seized assets" in doc.text and doc.text.count(HEADER) == 1


def test_running_lines_need_repetition_at_the_margins() -> None:
    pages = ["Report of the agency\nFirst paragraph of the first page, long enough.\n- 1 -",
             "Report of the agency\nSecond page text.\nTotals: 1 234 567 890 123 456\n- 2 -\n2 345 678 901 234",
             "Third page text.\nReport of the agency\nMore text.\nAnd more.\nEven more.\nLast line.\nTotals: 9 "
             "876 543 210 987 654\n2 345 678 901 234"]
    spans = running_lines(pages, 2, 0.5)
    found = [[page[s:e] for s, e in page_spans] for page, page_spans in zip(pages, spans, strict=True)]
    # the bare page numbers and the header; on page 3 the header is the 2nd line: still a margin line.
    # Rows of figures at the bottom are content: with many numbers ("Totals: ...") digits count,
    # and a long line of figures without letters is never a page number, even repeated verbatim
    assert found == [["Report of the agency", "- 1 -"], ["Report of the agency", "- 2 -"],
                     ["Report of the agency"]]
    assert running_lines(pages[:1], 2, 0.5) == [[]]  # one page: nothing repeats
    assert running_lines(pages, 0, 0.5) == [[], [], []]  # turned off
    # a line repeated in the bodies only (not within 1 line of either margin) is not furniture
    bodies = ["Top one\nRepeated line\nmiddle\nBottom one", "Top two\nRepeated line\nmiddle\nBottom two"]
    assert running_lines(bodies, 1, 0.5) == [[], []]


def test_clean_removes_given_running_spans_and_keeps_a_running_dateline() -> None:
    raw = "Agency bulletin\n12 March 2025\n\nPolice arrested 41 people on Monday in three provinces, the ministry said."
    start = raw.index("Agency")
    cleaned = clean(raw, running=[(start, start + len("Agency bulletin")), (16, 29)])
    assert cleaned.text.startswith("Police arrested 41 people")
    assert [(r.kind, r.text) for r in cleaned.removed] == [("running_header", "Agency bulletin"),
                                                           ("running_header", "12 March 2025")]
    assert cleaned.datelines == ("12 March 2025",)


def test_running_header_removal_can_be_turned_off(tmp_path: Path) -> None:
    (tmp_path / "release.pdf").write_bytes(release_pdf(BODIES, [HEADER], "Page {n} of {total}"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", CorpusWarning)
        (doc,) = read_corpus(tmp_path, settings=ammtc_qa.IndexSettings(pdf_margin_lines=0)).documents
    assert doc.text.count(HEADER) >= 4 and not [r for r in doc.removed if r.kind == "running_header"]


def test_citations_into_a_pdf_with_running_headers_stay_exact(tmp_path: Path, fast_encode: None) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "release.pdf").write_bytes(release_pdf(BODIES, [HEADER, DATE], "Page {n} of {total}"))
    qa = ammtc_qa.load(corpus, tmp_path / "index",
                       settings=ammtc_qa.IndexSettings(chunk_max_tokens=24, chunk_min_tokens=0))
    answer = qa.ask("What did investigators seize at the call centres?", k=20)
    doc = qa.document("release")
    assert answer.passages
    for p in answer.passages:
        assert doc.text[p.start:p.end] == p.text
        assert p.page == doc.page_at(p.start) and p.citation.endswith(f", p. {p.page}")
        assert "Page " not in p.text and DATE not in p.text
    assert {p.page for p in answer.passages} >= {2}
