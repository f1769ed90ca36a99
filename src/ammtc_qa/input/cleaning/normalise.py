"""Normalisation with an offset map back into the raw text.

Every rule works on normalised text (one line-break form, no NBSP, NFC), but removals and
citations must point into the *raw* input, so normalisation keeps, for each character it
produces, the raw span it came from.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

# Non-breaking spaces are typographic, not semantic: phrase matching must not depend on them.
_SPACE_LIKE = {"\u00a0": " ", "\u202f": " ", "\u2007": " "}
_LINE_BREAKS = {"\u2028", "\u2029", "\x85", "\x0b", "\x0c"}


_PLAIN_RUN = re.compile(r"[\x00-\x0a\x0e-\x7f]+")
"""ASCII other than CR, VT and FF: characters that normalisation leaves as they are."""


def _is_continuation(ch: str) -> bool:
    """True for characters NFC may fold into the preceding one (combining marks, Hangul V/T jamo)."""
    return unicodedata.combining(ch) != 0 or "\u1160" <= ch <= "\u11ff"


def _normalise_cluster(raw: str, i: int) -> tuple[str, int]:
    """``(normalised text, end)`` of the cluster starting at ``raw[i]``: a line break (CRLF as one),
    or a character with the combining marks that follow it, NFC-composed and NBSP-folded."""
    ch = raw[i]
    if ch == "\r" or ch in _LINE_BREAKS:
        return "\n", i + 2 if ch == "\r" and raw[i + 1 : i + 2] == "\n" else i + 1
    j = i + 1
    while j < len(raw) and _is_continuation(raw[j]):
        j += 1
    chunk = raw[i:j]
    if j - i > 1 or not ch.isascii():
        chunk = unicodedata.normalize("NFC", "".join(_SPACE_LIKE.get(c, c) for c in chunk))
    return chunk, j


def _normalise(raw: str) -> tuple[str, Sequence[int], Sequence[int]]:
    """Normalise line endings, NBSP and Unicode form, remembering where each char came from.

    Returns the normalised text and, for each of its characters, the raw span
    ``[starts[i], ends[i])`` it was produced from.  NFC is applied per grapheme-ish
    cluster (a base character plus its combining marks) so that the map stays exact even
    when composition changes the length; CRLF collapses to one ``\\n``. Text that
    normalisation leaves as it is (plain ASCII, no CR) maps by ranges, not lists.
    """
    n = len(raw)
    plain = _PLAIN_RUN.match(raw)
    if plain and plain.end() == n:  # all of it maps to itself: the map is the identity, as ranges
        return raw, range(n), range(1, n + 1)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i = 0
    while i < n:
        plain = _PLAIN_RUN.match(raw, i)
        if plain:  # ASCII that maps to itself, one char each: copied in bulk (most of any text)
            j = plain.end()
            if j < n and _is_continuation(raw[j]):
                j -= 1  # the run's last char starts a cluster with what follows
            if j > i:
                out.append(raw[i:j])
                starts.extend(range(i, j))
                ends.extend(range(i + 1, j + 1))
                i = j
                continue
        chunk, j = _normalise_cluster(raw, i)
        out.append(chunk)
        starts.extend([i] * len(chunk))
        ends.extend([j] * len(chunk))
        i = j
    return "".join(out), starts, ends
