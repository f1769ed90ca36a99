"""Sentence splitting (nupunkt + rank titles) and chunking into model-sized passages.

Chunks are what citations point at and what the model embeds, so the properties checked
here are the ones a wrong offset or a silent truncation would break: a passage is the exact
span of its article, stays inside one article, and fits the 256-word-piece window together
with its context header.
"""

from __future__ import annotations

import re

import pytest

from ammtc_qa.indexing.build import embed_texts
from ammtc_qa.indexing.chunking import Chunk, chunk_document, paragraph_spans
from ammtc_qa.input.document import Document
from ammtc_qa.settings import IndexSettings
from ammtc_qa.text.sentences import sentence_spans

# --------------------------------------------------------------------------- sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "Lt. Gen. Nguyen Van Long attended the meeting. He spoke first.",
            ["Lt. Gen. Nguyen Van Long attended the meeting.", "He spoke first."],
            id="lt-gen",
        ),
        pytest.param(
            "The delegation was led by Sen. Lieut. Gen Luong Tam Quang, Minister of Public Security. "
            "The talks ended in the evening.",
            ["The delegation was led by Sen. Lieut. Gen Luong Tam Quang, Minister of Public Security.",
             "The talks ended in the evening."],
            id="sen-lieut-gen",
        ),
        pytest.param(
            "Decree No. 5 on drug control was adopted in 2019. It entered into force a year later.",
            ["Decree No. 5 on drug control was adopted in 2019.", "It entered into force a year later."],
            id="no-5",
        ),
        pytest.param(
            "Police seized 1,584.36 kg of heroin and 136.98 kg of cocaine. Seizures rose again in 2020.",
            ["Police seized 1,584.36 kg of heroin and 136.98 kg of cocaine.", "Seizures rose again in 2020."],
            id="decimals",
        ),
    ],
)
def test_sentence_spans_keep_titles_numbers_and_decimals(text: str, expected: list[str]) -> None:
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == expected


def test_sentence_spans_offset_and_trimmed() -> None:
    text = "  First one here.   Second one there.  \n"
    spans = sentence_spans(text, offset=100)
    assert [text[s - 100:e - 100] for s, e in spans] == ["First one here.", "Second one there."]
    assert all(s >= 100 for s, _ in spans)


def test_sentence_spans_of_blank_text() -> None:
    assert sentence_spans("") == []
    assert sentence_spans("   \n\t ") == []


def test_paragraph_spans_trim_and_skip_blank_blocks() -> None:
    text = "\n\n  Title  \n\n\n   \n\nBody line one.\nBody line two.\n\n"
    assert [text[s:e] for s, e in paragraph_spans(text)] == ["Title", "Body line one.\nBody line two."]


# --------------------------------------------------------------------------- chunking

SETTINGS = IndexSettings()
WORDS = ("officials", "from", "the", "ministry", "discussed", "cooperation", "against", "trafficking", "in",
         "persons", "and", "drugs", "across", "borders", "with", "partners")


def _words(text: str) -> list[str]:
    return re.findall(r"\S+", text)


def _chunk(doc_id: str, text: str, embedder) -> list[Chunk]:  # noqa: ANN001
    return chunk_document(doc_id, text, embedder.count_tokens, max_tokens=SETTINGS.chunk_max_tokens,
                          min_tokens=SETTINGS.chunk_min_tokens)


def test_overlong_sentence_is_split_without_truncation(embedder) -> None:  # noqa: ANN001
    body = " ".join(f"{WORDS[i % len(WORDS)]}{i}" for i in range(600))  # 600 words, no full stop
    text = f"A title for the long one\n\n{body}"
    chunks = _chunk("long", text, embedder)
    body_chunks = [c for c in chunks if c.end > text.index(body)]
    assert len(body_chunks) >= 3
    for c in chunks:
        assert embedder.count_tokens(text[c.start:c.end]) <= SETTINGS.chunk_max_tokens
    # together the chunks are the whole article, word for word, in order, without overlap
    assert [w for c in chunks for w in _words(text[c.start:c.end])] == _words(text)
    assert all(a.end <= b.start for a, b in zip(chunks, chunks[1:], strict=False))
    # and what is embedded for them (header + passage) fits the model window
    doc = Document(doc_id="long", text=text, title="A title for the long one")
    for embedded in embed_texts(doc, chunks, embedder, SETTINGS):
        assert embedder.count_tokens(embedded) + 2 <= embedder.max_tokens


def test_short_paragraphs_are_joined_and_chunk_spans_are_sentences(embedder) -> None:  # noqa: ANN001
    text = ("Title of a short article\n\nHANOI - dateline paragraph.\n\n"
            + " ".join(["The ministry signed a memorandum on police cooperation."] * 6) + "\n\n"
            + " ".join(["Delegates agreed to share data on wanted criminals."] * 6))
    chunks = _chunk("d", text, embedder)
    for c in chunks:
        assert c.doc_id == "d"
        assert c.sentences[0][0] == c.start and c.sentences[-1][1] == c.end
        assert all(c.start <= s < e <= c.end for s, e in c.sentences)
        assert text[c.start:c.end] == text[c.start:c.end].strip()
    # the title and dateline (both under chunk_min_tokens) are not passages of their own
    assert not any(text[c.start:c.end] == "Title of a short article" for c in chunks)
    assert [w for c in chunks for w in _words(text[c.start:c.end])] == _words(text)


def test_text_without_spaces_is_split_to_fit(embedder) -> None:  # noqa: ANN001
    text = "东盟打击跨国犯罪部长级会议在马来西亚举行各国代表同意加强合作打击毒品走私和人口贩卖" * 8
    assert embedder.count_tokens(text) > embedder.max_tokens  # one CJK character = one word piece
    chunks = _chunk("zh", text, embedder)
    assert all(embedder.count_tokens(text[c.start:c.end]) <= SETTINGS.chunk_max_tokens for c in chunks)


@pytest.mark.usefixtures("fast_encode")
def test_chunks_never_cross_documents(make_corpus, embedder, tmp_path) -> None:  # noqa: ANN001
    """Articles far below chunk_min_tokens still get their own passages, never a shared one."""
    from ammtc_qa.indexing.build import refresh

    folder = make_corpus({"a.txt": "Short note one\n\nPolice met on Monday.",
                          "b.txt": "Short note two\n\nCustoms met on Tuesday.",
                          "c.txt": "Short note three\n\nJudges met on Friday."})
    backend = refresh(folder, tmp_path / "index", embedder, SETTINGS)
    assert sorted(m.doc_id for m in backend.doc_meta()) == ["a", "b", "c"]
    for m in backend.doc_meta():
        doc = backend.document(m.doc_id)
        for r in backend.passages(backend.passage_ids(m.doc_id)):
            assert r.doc_id == m.doc_id and 0 <= r.start < r.end <= len(doc.text)
            assert "Short note" in doc.text[r.start:r.end]


# --------------------------------------------------------------------------- shipped index


def _shipped_chunks(qa) -> dict[int, list[Chunk]]:  # noqa: ANN001
    """The shipped index's chunks per document, as Chunk objects with their sentences."""
    backend = qa.backend
    out: dict[str, list[Chunk]] = {}
    for m in backend.doc_meta():
        out[m.doc_id] = [Chunk(r.doc_id, r.start, r.end, r.sentences)
                         for r in backend.passages(backend.passage_ids(m.doc_id))]
    return out


def test_shipped_chunks_are_exact_ordered_spans_of_one_document(shipped_qa) -> None:  # noqa: ANN001
    for doc_id, chunks in _shipped_chunks(shipped_qa).items():
        doc = shipped_qa.document(doc_id)
        for c in chunks:
            assert 0 <= c.start < c.end <= len(doc.text)
            passage = doc.text[c.start:c.end]
            assert passage == passage.strip() and passage
            assert c.sentences and all(c.start <= s < e <= c.end for s, e in c.sentences)
        assert all(a.end <= b.start for a, b in zip(chunks, chunks[1:], strict=False))
        # no text of the article is left out of every passage
        assert [w for c in chunks for w in _words(doc.text[c.start:c.end])] == _words(doc.text)


def test_every_shipped_passage_is_its_document_span(shipped_qa) -> None:  # noqa: ANN001
    n = len(shipped_qa.backend)
    answer = shipped_qa.ask("transnational crime cooperation between ASEAN countries", k=n)
    chunk_rows = {(d, c.start, c.end) for d, chunks in _shipped_chunks(shipped_qa).items() for c in chunks}
    returned = set()
    for p in answer:
        assert shipped_qa.document(p.doc_id).text[p.start:p.end] == p.text
        assert (p.doc_id, p.start, p.end) in chunk_rows
        returned.add((p.doc_id, p.start, p.end))
    folded = sum(len(p.also_reported_by) for p in answer)
    assert len(returned) + folded >= 0.9 * n  # a question with no meeting reaches (nearly) every chunk


def test_every_shipped_chunk_fits_the_model_window(shipped_qa, embedder) -> None:  # noqa: ANN001
    settings = IndexSettings(**shipped_qa.backend.state["settings"])
    assert embedder.max_tokens == 256
    n = 0
    for doc_id, chunks in _shipped_chunks(shipped_qa).items():
        doc = shipped_qa.document(doc_id)
        for chunk, embedded in zip(chunks, embed_texts(doc, chunks, embedder, settings), strict=True):
            assert embedded.endswith(doc.text[chunk.start:chunk.end])  # header first, passage verbatim
            assert embedder.count_tokens(embedded) + 2 <= 256, (doc.doc_id, chunk.start, chunk.end)
            assert embedder.count_tokens(doc.text[chunk.start:chunk.end]) <= settings.chunk_max_tokens
            n += 1
    assert n == len(shipped_qa.backend) == shipped_qa.backend.state["counts"]["chunks"]
