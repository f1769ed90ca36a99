"""Splitting cleaned articles into passages that fit the embedding model.

A passage is what a citation points at, so it follows the article's own structure: one
paragraph where it fits, whole sentences where it does not, and short paragraphs (a title,
a dateline, a caption) joined to the paragraph after them. Sizes are measured in the model's
own word pieces, because all-MiniLM-L6-v2 silently drops everything past 256 of them; a
chunk is never truncated, an over-long sentence is split at word boundaries instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..text.sentences import sentence_spans

TokenCounter = Callable[[str], int]
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class Chunk:
    """A passage: ``document.text[start:end]``, plus its sentences' spans (absolute offsets)."""

    doc_id: str
    start: int
    end: int
    sentences: tuple[tuple[int, int], ...]


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each non-blank paragraph (blocks separated by blank lines)."""
    spans, pos = [], 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        spans.append((pos, match.start()))
        pos = match.end()
    spans.append((pos, len(text)))
    out = []
    for start, end in spans:
        piece = text[start:end]
        lead, trail = len(piece) - len(piece.lstrip()), len(piece) - len(piece.rstrip())
        if end - trail > start + lead:
            out.append((start + lead, end - trail))
    return out


def _split_long_sentence(text: str, span: tuple[int, int], count: TokenCounter,
                         max_tokens: int) -> Iterator[tuple[int, int]]:
    """Cut one over-long sentence into pieces that each fit ``max_tokens``.

    Cuts at word boundaries; a single "word" longer than the window (scripts written
    without spaces, long number lists) is cut between characters instead.
    """
    start, end = span
    words: list[tuple[int, int]] = []
    for m in re.finditer(r"\S+", text[start:end]):
        w_start, w_end = m.start() + start, m.end() + start
        if count(text[w_start:w_end]) <= max_tokens:
            words.append((w_start, w_end))
        else:
            words.extend(_split_characters(text, w_start, w_end, count, max_tokens))
    # Word pieces never span whitespace, so a piece's count is the sum of its words' counts:
    # counting each word once keeps this linear in the sentence length.
    piece_start, last_end = words[0]
    used = count(text[piece_start:last_end])
    for w_start, w_end in words[1:]:
        n = count(text[w_start:w_end])
        if used + n > max_tokens:
            yield piece_start, last_end
            piece_start, used = w_start, 0
        used += n
        last_end = w_end
    yield piece_start, last_end


def _split_characters(text: str, start: int, end: int, count: TokenCounter,
                      max_tokens: int) -> Iterator[tuple[int, int]]:
    """Longest prefixes that fit, found by binary search on the character position."""
    while start < end:
        lo, hi = start + 1, end
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if count(text[start:mid]) <= max_tokens:
                lo = mid
            else:
                hi = mid - 1
        yield start, lo
        start = lo


def _units(text: str, count: TokenCounter, max_tokens: int) -> list[list[tuple[int, int]]]:
    """Each paragraph as one unit of sentences, or several where it does not fit."""
    units: list[list[tuple[int, int]]] = []
    for p_start, p_end in paragraph_spans(text):
        sents = sentence_spans(text[p_start:p_end], p_start) or [(p_start, p_end)]
        if count(text[p_start:p_end]) <= max_tokens:
            units.append(sents)
            continue
        current: list[tuple[int, int]] = []
        for sent in sents:
            pieces = [sent] if count(text[sent[0]:sent[1]]) <= max_tokens else list(
                _split_long_sentence(text, sent, count, max_tokens))
            for piece in pieces:
                if current and count(text[current[0][0]:piece[1]]) > max_tokens:
                    units.append(current)
                    current = []
                current.append(piece)
        if current:
            units.append(current)
    return units


def chunk_document(doc_id: str, text: str, count: TokenCounter, *, max_tokens: int,
                   min_tokens: int) -> list[Chunk]:
    """Chunks of one document, in order; never crossing into another document."""
    units = _units(text, count, max_tokens)
    merged: list[list[tuple[int, int]]] = []
    pending: list[tuple[int, int]] = []
    for unit in units:
        candidate = pending + unit
        if pending and count(text[candidate[0][0]:candidate[-1][1]]) > max_tokens:
            merged.append(pending)
            candidate = unit
        if count(text[candidate[0][0]:candidate[-1][1]]) < min_tokens:
            pending = candidate
        else:
            merged.append(candidate)
            pending = []
    if pending:
        if merged and count(text[merged[-1][0][0]:pending[-1][1]]) <= max_tokens:
            merged[-1] = merged[-1] + pending
        else:
            merged.append(pending)
    return [Chunk(doc_id, sents[0][0], sents[-1][1], tuple(sents)) for sents in merged]
