"""Sentence boundaries, by nupunkt (a maintained Punkt splitter that bundles its model).

Punkt learns abbreviations from data; news about police and ministries is full of rank
titles it has not seen ("Sen. Lieut. Gen", "Lt. Gen.", "Maj."), so we add the common English
ones. They are generic titles, not names from any corpus.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

TITLE_ABBREVIATIONS = (
    "lt", "lieut", "gen", "sen", "col", "maj", "capt", "cpt", "sgt", "cpl", "pvt", "adm", "brig", "cmdr",
    "insp", "supt", "det", "gov", "rep", "pres", "sec", "amb", "hon", "rev", "dr", "prof", "mr", "mrs", "ms",
    "no", "nos", "jr", "sr", "st", "vol", "dept", "est", "approx", "jan", "feb", "mar", "apr", "jun", "jul",
    "aug", "sep", "sept", "oct", "nov", "dec", "inc", "ltd", "corp", "co",
)


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    import nupunkt

    tok = nupunkt.load_default_model()
    tok.add_abbreviations(list(TITLE_ABBREVIATIONS))
    return tok


def sentence_spans(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence of ``text``, shifted by ``offset``, whitespace trimmed."""
    spans = []
    for start, end in _tokenizer().span_tokenize(text):
        piece = text[start:end]
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece) - len(piece.rstrip())
        if end - trail > start + lead:
            spans.append((offset + start + lead, offset + end - trail))
    return spans
